//! View 2, Codes: every response code with provider, kind, count, share, first/last seen,
//! meaning and action; the selected code's meaning and action in full below the table.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use std::fmt::Write as _;

use crate::fmt::thousands;
use crate::model::RecordKind;
use crate::tui::app::{App, Cursor, View};
use crate::tui::derive::{CODE_COLS, code_cell};
use crate::tui::widgets::table::{Col, Table};
use crate::tui::widgets::{self, pct, wrap};

/// (note line, table with header, detail pane) of the body.
pub fn areas(body: Rect) -> (Rect, Rect, Rect) {
    let detail_h = if body.height >= 32 { 9 } else { 6 };
    let detail_h = detail_h.min(body.height.saturating_sub(4));
    let table_h = body.height.saturating_sub(1 + detail_h);
    (
        Rect {
            height: 1.min(body.height),
            ..body
        },
        Rect {
            y: body.y + 1,
            height: table_h,
            ..body
        },
        Rect {
            y: body.y + 1 + table_h,
            height: detail_h,
            ..body
        },
    )
}

/// The columns of Codes ([`CODE_COLS`]).
pub fn cols() -> Vec<Col> {
    vec![
        Col::left(CODE_COLS[0], 18, 0),
        Col::left(CODE_COLS[1], 10, 3),
        Col::left(CODE_COLS[2], 8, 2),
        Col::right(CODE_COLS[3], 11, 0),
        Col::right(CODE_COLS[4], 7, 1),
        Col::left(CODE_COLS[5], 15, 4),
        Col::left(CODE_COLS[6], 15, 4),
        Col::left(CODE_COLS[7], 200, 0).grow(14),
    ]
}

/// What the codes are counted in, said once: the rows with a response, by type, so that the
/// Overview's deferred and bounced (and the `rs` rows it does not list) add up to it.
fn counted_in(app: &App) -> String {
    let c = &app.data.aggregates.by_type;
    let rs = c.get(RecordKind::RemoteStatus);
    let mut s = format!(
        "{} codes in {} deferral and bounce rows ({} deferred + {} bounced",
        thousands(app.derived.codes.len() as u64),
        thousands(app.derived.responses),
        thousands(c.deferred()),
        thousands(c.bounced()),
    );
    if rs > 0 {
        let _ = write!(s, " + {} rs", thousands(rs));
    }
    s.push(')');
    s
}

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let (note, table, detail) = areas(area);
    let d = &app.derived;
    let list = app.views.codes.list;
    let sort = app.views.codes.sort;
    super::note_line(
        app,
        note,
        buf,
        &super::with_sort(
            vec![counted_in(app), "Enter: rows".into()],
            app.sort_note(View::Codes),
        ),
        Some((list.sel(), d.codes.len())),
    );
    if d.codes.is_empty() {
        widgets::text(
            buf,
            table,
            0,
            &if app.data.complete && app.data.aggregates.records > 0 {
                "No deferral or bounce rows: nothing to classify.".to_string()
            } else {
                super::empty_note(app, "codes")
            },
            t.text(),
        );
        return;
    }
    let h = table.height.saturating_sub(1) as usize;
    let from = list.visible_from(h);
    let md = d.multi_day;
    let rows = d
        .codes
        .iter()
        .skip(from)
        .take(h)
        .map(|c| {
            let sev = c.info.severity.map_or(t.text(), |s| t.severity(s));
            (0..CODE_COLS.len())
                .map(|i| {
                    let style = match i {
                        0 => sev,
                        5 | 6 => t.dim(),
                        _ => t.text(),
                    };
                    (code_cell(c, i, d.responses, md), style)
                })
                .collect()
        })
        .collect();
    Table {
        cols: cols(),
        rows,
        selected: Some(list.sel() - from),
        sorted: Some((sort.col, sort.reverse)),
        widths: Some(d.code_widths.clone()),
        column: list.selected_column(),
        theme: t,
    }
    .render(table, buf);
    // The selected code in full.
    let Some(c) = d.codes.get(list.sel()) else {
        return;
    };
    let w = detail.width as usize;
    widgets::rule(buf, detail, 0, &format!("{} in full", c.name), t.dim());
    let mut lines: Vec<Line> = Vec::new();
    // the header's parts, wrapped between parts (never inside one) onto as many lines as needed
    let parts: Vec<String> = [
        Some(c.name.clone()),
        c.info.provider.map(str::to_string),
        c.info.kind.map(|k| k.as_str().to_string()),
        c.info.severity.map(|s| s.as_str().to_string()),
        Some(format!(
            "{} rows ({} of {})",
            thousands(c.total()),
            pct(c.total(), d.responses),
            thousands(d.responses)
        )),
    ]
    .into_iter()
    .flatten()
    .collect();
    for (i, l) in widgets::join_wrapped(&parts, w).into_iter().enumerate() {
        let style = if i == 0 {
            c.info.severity.map_or(t.header(), |s| t.severity(s))
        } else {
            t.text()
        };
        lines.push(Line::from(Span::styled(l, style)));
    }
    let mut labelled = |label: &str, text: &str, style| {
        for (i, l) in wrap(text, w.saturating_sub(9)).into_iter().enumerate() {
            let lab = if i == 0 {
                format!("{label:<9}")
            } else {
                " ".repeat(9)
            };
            lines.push(Line::from(vec![
                Span::styled(lab, t.key()),
                Span::styled(l, style),
            ]));
        }
    };
    labelled(
        "Meaning",
        c.info
            .meaning
            .unwrap_or("not in the rule table: see the response text in Rows (7)"),
        t.text(),
    );
    labelled(
        "Action",
        c.info.action.unwrap_or("no action known for this code"),
        t.header(),
    );
    for (i, l) in lines
        .iter()
        .take(detail.height.saturating_sub(1) as usize)
        .enumerate()
    {
        widgets::line(buf, detail, 1 + i as u16, l);
    }
}
