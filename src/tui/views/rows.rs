//! View 7, Rows: the raw rows behind the current filter, every one of them (the loader indexes
//! where each is; only the rows in view are read back and parsed). Enter shows the selected row
//! in full, `f` finds a text in the rows (`n` / `N` again), `y` / `Y` copy.

pub mod copy;
pub mod index;
pub mod search;
pub mod state;

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
    let st = &app.rows;
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
    let list = st.list;
    let mut parts = vec![note];
    if let Some(f) = &st.find {
        parts.push(format!("find `{}`: n/N", f.text));
    }
    if st.tail && app.ctx.follow {
        parts.push("following the end".into());
    }
    if !st.detail {
        parts.push("f find · Enter all fields · y/Y copy".into());
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
    if st.detail {
        return detail(app, table, buf);
    }
    let h = table.height.saturating_sub(1) as usize;
    let from = list.visible_from(h);
    let mut times = TimeParser::default();
    let md = app.derived.multi_day;
    let c = &app.ctx.classifier;
    // a cell holding the text being found stands out
    let hit = |s: String, style| {
        let found = st.find.as_ref().is_some_and(|f| f.is_in(&s));
        (s, if found { t.mark() } else { style })
    };
    let rows = (from..(from + h).min(idx.len))
        .map(|i| match st.row(i) {
            Some(r) if r.error.is_none() => {
                let time = times
                    .parse(r.get(C::TimeLogged).as_bytes())
                    .map_or_else(|| r.get(C::TimeLogged).to_string(), |x| hms(x, md));
                vec![
                    (thousands(r.line), t.dim()),
                    (time, t.dim()),
                    (r.get(C::Type).to_string(), t.text()),
                    (
                        state::code(r, c).map_or_else(String::new, |code| c.code_name(code)),
                        t.text(),
                    ),
                    hit(r.get(C::Vmta).to_string(), t.text()),
                    hit(state::source_ip(r).to_string(), t.text()),
                    hit(state::rcpt(r).to_string(), t.text()),
                    (
                        r.get(C::DsnStatus)
                            .split(' ')
                            .next()
                            .unwrap_or_default()
                            .to_string(),
                        t.text(),
                    ),
                    hit(r.get(C::DsnDiag).to_string(), t.text()),
                ]
            }
            Some(r) => vec![
                (thousands(r.line), t.dim()),
                (
                    format!("cannot read row: {}", r.error.clone().unwrap_or_default()),
                    t.error(),
                ),
            ],
            None => vec![("…".into(), t.dim())],
        })
        .collect();
    Table {
        cols: vec![
            Col::right("line", 11, 0),
            Col::left("time", 14, 0),
            Col::left("type", 4, 0),
            Col::left("code", 16, 0),
            Col::left("vmta", 18, 3),
            Col::left("source ip", 15, 2),
            Col::left("rcpt", 28, 0),
            Col::left("status", 7, 4),
            Col::left("dsnDiag", 300, 0).grow(6),
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
    let sel = app.rows.list.sel();
    let Some(r) = app.rows.row(sel) else {
        widgets::text(buf, area, 0, "…", t.dim());
        return;
    };
    let lines = state::lines(r, &app.ctx.classifier, area.width as usize);
    let height = area.height.saturating_sub(1) as usize;
    let scroll = app
        .rows
        .detail_scroll
        .min(lines.len().saturating_sub(height));
    let shown = if lines.len() > height {
        format!(
            " · lines {}-{}/{}",
            scroll + 1,
            (scroll + height).min(lines.len()),
            lines.len()
        )
    } else {
        String::new()
    };
    widgets::rule(
        buf,
        area,
        0,
        &format!(
            "Row {} of {} · {}:{}{shown} · Esc back",
            thousands(sel as u64 + 1),
            thousands(app.data.rows.len as u64),
            r.file,
            r.line,
        ),
        t.dim(),
    );
    if let Some(e) = &r.error {
        widgets::text(buf, area, 1, &format!("cannot read row: {e}"), t.error());
        return;
    }
    let kw = state::name_width(&state::fields(r, &app.ctx.classifier));
    for (y, (k, v)) in lines.into_iter().skip(scroll).take(height).enumerate() {
        widgets::line(
            buf,
            area,
            y as u16 + 1,
            &Line::from(vec![
                Span::styled(format!("{:<kw$}  ", fit(&k, kw)), t.key()),
                Span::raw(v),
            ]),
        );
    }
}
