//! View 3, Senders: per VMTA, per sending IP or per pool (`g`): volume, delivered / deferred /
//! bounced %, the Microsoft codes each got, and its most frequent code.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::table_area;
use crate::fmt::thousands;
use crate::model::{NONE_KEY, UNATTRIBUTED_KEY};
use crate::tui::app::{App, CountsRow, LINE_SORTS, Sort, View};
use crate::tui::widgets::table::{Cell, Col, Table};
use crate::tui::widgets::{self, count, pct};

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let d = &app.derived;
    let sort = app.sorts[View::Senders.index()];
    let next = match app.group {
        crate::tui::app::Group::Vmta => "sending IP",
        crate::tui::app::Group::SourceIp => "pool",
        crate::tui::app::Group::Pool => "VMTA",
    };
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
        app.group.label(),
        if real == 1 { "" } else { "s" }
    );
    if !pseudo.is_empty() {
        count.push_str(" + ");
        count.push_str(&pseudo.join(" "));
    }
    let list = app.lists[View::Senders.index()];
    super::note_line(
        app,
        area,
        buf,
        &[
            count,
            format!("g: by {next}"),
            format!("s/r sort ({})", LINE_SORTS[sort.col]),
            "Enter: rows".into(),
        ],
        Some((list.selected, d.senders.len())),
    );
    let table = table_area(area);
    if d.senders.is_empty() {
        widgets::text(buf, table, 0, &super::empty_note(app, "rows"), t.text());
        return;
    }
    let h = table.height.saturating_sub(1) as usize;
    let from = list.visible_from(h);
    let rows = d
        .senders
        .iter()
        .skip(from)
        .take(h)
        .map(|l| line_cells(app, l.key.to_string(), l))
        .collect();
    Table {
        cols: line_cols(app, app.group.label()),
        rows,
        selected: Some(list.selected - from),
        sorted: Some(sorted_col(sort)),
        theme: t,
    }
    .render(table, buf);
}

/// The columns of a Senders or Domains table: the Microsoft codes seen have one each.
pub fn line_cols(app: &App, key: &str) -> Vec<Col> {
    let ms_codes: Vec<String> = app
        .derived
        .ms_codes
        .iter()
        .map(|c| app.ctx.classifier.code_name(*c))
        .collect();
    let mut cols = vec![
        Col::left(key, 40, 0).grow(18),
        Col::right("rows", 11, 0),
        Col::right("dlv%", 6, 1),
        Col::right("dfr%", 6, 1),
        Col::right("bnc%", 6, 2),
    ];
    for (i, m) in ms_codes.iter().enumerate() {
        cols.push(Col::right(m, 16, 4 + i.min(200) as u8));
    }
    cols.push(Col::left("top code", 22, 3));
    cols
}

/// The cells of one Senders or Domains row.
pub fn line_cells(app: &App, key: String, l: &CountsRow) -> Vec<Cell> {
    let t = app.ctx.theme;
    let c = &l.counts;
    let a = c.attempts();
    let mut cells = vec![
        (key, t.text()),
        (thousands(c.total()), t.text()),
        (pct(c.delivered(), a), t.delivered()),
        (pct(c.deferred(), a), t.deferred()),
        (pct(c.bounced(), a), t.bounced()),
    ];
    for n in &l.ms {
        cells.push((count(*n), t.text()));
    }
    cells.push((
        l.top_code.map_or("-".into(), |(code, n)| {
            format!("{} ({})", app.ctx.classifier.code_name(code), thousands(n))
        }),
        t.dim(),
    ));
    cells
}

/// The header column a sort marks.
pub fn sorted_col(s: Sort) -> (usize, bool) {
    let col = match s.col {
        1 => 0,
        2 => 2,
        3 => 3,
        4 => 4,
        _ => 1,
    };
    (col, s.reverse)
}
