//! View 3, Senders: per VMTA, per sending IP, per pool or per job complained about (`g`): volume, delivered / deferred /
//! bounced %, complaints and their rate, the Microsoft codes each got, and its most frequent
//! code. ←/→ choose a cell; Enter opens its rows.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::table_area;
use crate::fmt::thousands;
use crate::model::{NONE_KEY, UNATTRIBUTED_KEY};
use crate::tui::app::{App, CountsRow, Cursor, Group, LineCol, Sort, View};

use crate::tui::derive::line_cell;
use crate::tui::widgets;
use crate::tui::widgets::table::{Cell, Col, Table};

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let d = &app.derived;
    let s = &app.views.senders;
    let next = s.group.next().label();
    // `(none)` (no VMTA: bounces PowerMTA decided itself) and `(unattributed)` (complaints)
    // are lines of the table, not senders: counted apart.
    let pseudo: Vec<&str> = d
        .senders
        .iter()
        .map(|l| &*l.key)
        .filter(|k| *k == NONE_KEY || *k == UNATTRIBUTED_KEY)
        .collect();
    let real = d.senders.len() - pseudo.len();
    let mut count = format!(
        "{} {}{}",
        thousands(real as u64),
        s.group.label(),
        if real == 1 { "" } else { "s" }
    );
    if s.group == Group::Job {
        // the summary's table: only jobs with complaints, and only their complaints known
        count.push_str(" complained about");
    }
    if !pseudo.is_empty() {
        count.push_str(" + ");
        count.push_str(&pseudo.join(" "));
    }
    let list = s.list;
    super::note_line(
        app,
        area,
        buf,
        &super::with_sort(
            vec![count, enter_note(app), format!("g: by {next}")],
            app.sort_note(View::Senders),
        ),
        Some((list.sel(), d.senders.len())),
    );
    let table = table_area(area);
    if d.senders.is_empty() {
        let note = if s.group == Group::Job && app.data.complaints.is_some() {
            "No complaints: jobs are listed by their complaints (g: by VMTA)".to_string()
        } else {
            super::empty_note(app, "rows")
        };
        widgets::text(buf, table, 0, &note, t.text());
        return;
    }
    let h = table.height.saturating_sub(1) as usize;
    let from = list.visible_from(h);
    let rows = d
        .senders
        .iter()
        .skip(from)
        .take(h)
        .map(|l| line_cells(app, &l.key, l))
        .collect();
    Table {
        cols: line_cols(app, s.group.label()),
        rows,
        selected: Some(list.sel() - from),
        sorted: Some(sorted_col(s.sort)),
        widths: Some(d.sender_widths.clone()),
        column: list.selected_column(),
        theme: t,
    }
    .render(table, buf);
}

/// What Enter on the selected cell opens: `Enter: vmta=vmta-ms-01 code=RP-001`; a list of
/// complaining recipients is counted rather than spelt out.
pub fn enter_note(app: &App) -> String {
    let has_lines = match app.view {
        View::Domains => !app.derived.domain_lines.is_empty(),
        _ => !app.derived.senders.is_empty(),
    };
    match app.drill_term() {
        None if has_lines => "no complaint rows here".into(),
        None => "Enter: rows".into(),
        Some(t) if t.starts_with("type=f rcpt=") => {
            let n = app
                .derived
                .senders
                .get(app.views.senders.list.sel())
                .map_or(0, |l| l.complaint_rcpts.len());
            format!(
                "Enter: the complaints of {n} recipient{}",
                if n == 1 { "" } else { "s" }
            )
        }
        Some(t) => format!("Enter: {t}"),
    }
}

/// The columns of a Senders or Domains table: complaints when there are any, the Microsoft
/// codes seen (RP-001 and RP-002 kept longest), the top code.
pub fn line_cols(app: &App, key: &str) -> Vec<Col> {
    let d = &app.derived;
    d.line_cols
        .iter()
        .map(|c| match c {
            LineCol::Key => Col::left(key, 40, 0).grow(18),
            LineCol::Rows => Col::right("rows", 11, 0),
            LineCol::Delivered => Col::right("dlv%", 6, 1),
            LineCol::Deferred => Col::right("dfr%", 6, 1),
            LineCol::Bounced => Col::right("bnc%", 7, 2),
            LineCol::Complaints => Col::right("cmpl", 8, 2),
            LineCol::ComplaintRate => Col::right("cmpl%", 8, 3),
            LineCol::Code(i) => {
                let name = d
                    .ms_codes
                    .get(*i)
                    .map_or_else(String::new, |k| app.ctx.classifier.code_name(*k));
                // the two codes the article is about outlast the top code
                let pri = if name == "RP-001" || name == "RP-002" {
                    2
                } else {
                    5 + (*i).min(200) as u8
                };
                Col::right(&name, 16, pri)
            }
            LineCol::Top => Col::left("top code", 22, 4),
        })
        .collect()
}

/// The cells of one Senders or Domains row, the key as given (indented, marked).
pub fn line_cells(app: &App, key: &str, l: &CountsRow) -> Vec<Cell> {
    let t = app.ctx.theme;
    app.derived
        .line_cols
        .iter()
        .map(|c| {
            let style = match c {
                LineCol::Delivered => t.delivered(),
                LineCol::Deferred => t.deferred(),
                LineCol::Bounced => t.bounced(),
                LineCol::Top => t.dim(),
                _ => t.text(),
            };
            let text = if *c == LineCol::Key {
                key.to_string()
            } else {
                line_cell(&app.ctx.classifier, l, *c)
            };
            (text, style)
        })
        .collect()
}

/// The header column a sort marks.
pub fn sorted_col(s: Sort) -> (usize, bool) {
    (s.col, s.reverse)
}
