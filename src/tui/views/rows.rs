//! View 7, Rows: the raw rows behind the current filter. Only the rows in view are read (by byte
//! offset) and parsed; Enter shows every field of one row, one per line.

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::table_area;
use crate::acct::header::Col as C;
use crate::acct::time::TimeParser;
use crate::fmt::thousands;
use crate::tui::app::{App, Cursor};
use crate::tui::widgets::table::{Col, Table};
use crate::tui::widgets::{self, fit, hms};

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let idx = &app.data.rows;
    let mut note = format!(
        "{} matching row{}{}",
        thousands(app.data.aggregates.records),
        if app.data.aggregates.records == 1 {
            ""
        } else {
            "s"
        },
        if app.data.complete { "" } else { " so far" }
    );
    if idx.unlocated > 0 {
        let _ = write!(note, " · {} listed", thousands(idx.len as u64));
        if idx.len >= idx.cap && idx.cap > 0 {
            let _ = write!(
                note,
                " (the first {}; narrow with /)",
                thousands(idx.cap as u64)
            );
        }
    }
    if !app.data.report.unbrowsable.is_empty() {
        note.push_str(" · some compressed rows not listed (memory): use `pmta-lens rows`");
    }
    let list = app.rows_list;
    let mut parts = vec![note];
    if !app.detail {
        parts.push("Enter: all fields".into());
    }
    super::note_line(app, area, buf, &parts, Some((list.sel(), idx.len)));
    let table = table_area(area);
    if idx.len == 0 {
        let msg = if app.data.complete && app.data.aggregates.records > 0 {
            "None of the matching rows can be listed here (see above): use `pmta-lens rows`."
                .to_string()
        } else {
            super::empty_note(app, "rows")
        };
        widgets::text(buf, table, 0, &msg, t.text());
        return;
    }
    if app.detail {
        return detail(app, table, buf);
    }
    let h = table.height.saturating_sub(1) as usize;
    let from = list.visible_from(h);
    let mut times = TimeParser::default();
    let md = app.derived.multi_day;
    let rows = (from..(from + h).min(idx.len))
        .map(|i| match app.row(i) {
            Some(r) if r.error.is_none() => {
                let time = times
                    .parse(r.get(C::TimeLogged).as_bytes())
                    .map_or_else(|| r.get(C::TimeLogged).to_string(), |x| hms(x, md));
                vec![
                    (time, t.dim()),
                    (r.get(C::Type).to_string(), t.text()),
                    (r.get(C::Vmta).to_string(), t.text()),
                    (r.get(C::DlvSourceIp).to_string(), t.text()),
                    (r.get(C::Rcpt).to_string(), t.text()),
                    (
                        r.get(C::DsnStatus)
                            .split(' ')
                            .next()
                            .unwrap_or_default()
                            .to_string(),
                        t.text(),
                    ),
                    (r.get(C::DsnDiag).to_string(), t.text()),
                ]
            }
            Some(r) => vec![(
                format!("cannot read row: {}", r.error.clone().unwrap_or_default()),
                t.error(),
            )],
            None => vec![("…".into(), t.dim())],
        })
        .collect();
    Table {
        cols: vec![
            Col::left("time", 14, 0),
            Col::left("type", 4, 0),
            Col::left("vmta", 18, 3),
            Col::left("source ip", 15, 2),
            Col::left("rcpt", 30, 1),
            Col::left("status", 7, 4),
            Col::left("dsnDiag", 300, 0).grow(14),
        ],
        rows,
        selected: Some(list.sel() - from),
        sorted: None,
        widths: None,
        column: None,
        theme: t,
    }
    .render(table, buf);
}

fn detail(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let sel = app.rows_list.sel();
    let Some(r) = app.row(sel) else {
        widgets::text(buf, area, 0, "…", t.dim());
        return;
    };
    widgets::rule(
        buf,
        area,
        0,
        &format!(
            "Row {} of {} · {} at byte {} · Esc back",
            thousands(sel as u64 + 1),
            thousands(app.data.rows.len as u64),
            r.file,
            thousands(r.offset)
        ),
        t.dim(),
    );
    if let Some(e) = &r.error {
        widgets::text(buf, area, 1, &format!("cannot read row: {e}"), t.error());
        return;
    }
    let fields = r.fields();
    let kw = fields
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        .min(30);
    let vw = (area.width as usize).saturating_sub(kw + 2);
    let mut y = 1u16;
    for (k, v) in fields.iter().skip(app.detail_scroll) {
        if y >= area.height {
            break;
        }
        // long values wrap under themselves, so nothing is cut off
        let parts = widgets::wrap(v, vw.max(10));
        let parts = if parts.is_empty() {
            vec![String::new()]
        } else {
            parts
        };
        for (i, p) in parts.into_iter().enumerate() {
            if y >= area.height {
                break;
            }
            let key = if i == 0 { fit(k, kw) } else { String::new() };
            widgets::line(
                buf,
                area,
                y,
                &Line::from(vec![
                    Span::styled(format!("{key:<kw$}  "), t.key()),
                    Span::raw(p),
                ]),
            );
            y += 1;
        }
    }
}
