//! Drawing: the frame around every view (tab bar, filter line, status line, help) and one
//! module per view. Everything here is a pure function of [`App`]: no I/O, no clock.

// Drawing code reads best with its conventional short names (`t` theme, `d` derived tables,
// `w` width, `x`/`y`), and a view's draw function is one screen top to bottom.
#![allow(clippy::many_single_char_names, clippy::too_many_lines)]

pub mod codes;
pub mod connections;
pub mod domains;
pub mod help;
pub mod overview;
pub mod rows;
pub mod senders;
pub mod timeline;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::app::{App, View};
use super::widgets::{self, fit};
use crate::fmt::{bytes, percent, thousands};

/// Draws the whole screen.
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let [tabs, filter, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_tabs(app, tabs, buf);
    draw_filter(app, filter, buf);
    match app.view {
        View::Overview => overview::draw(app, body, buf),
        View::Codes => codes::draw(app, body, buf),
        View::Senders => senders::draw(app, body, buf),
        View::Domains => domains::draw(app, body, buf),
        View::Connections => connections::draw(app, body, buf),
        View::Timeline => timeline::draw(app, body, buf),
        View::Rows => rows::draw(app, body, buf),
    }
    draw_status(app, status, buf);
    if app.help {
        help::draw(app, area, buf);
    }
}

/// The body area of a screen of `w` x `h`.
pub fn body(w: u16, h: u16) -> Rect {
    Rect::new(0, 2, w, h.saturating_sub(3))
}

/// Rows a view's list shows at a screen size (for paging and keeping the selection in view).
pub fn list_height(view: View, w: u16, h: u16) -> usize {
    let b = body(w, h);
    let list = match view {
        View::Codes => codes::areas(b).1,
        View::Senders | View::Domains | View::Rows => table_area(b),
        View::Timeline => timeline::areas(b).2,
        View::Connections => connections::areas(b).0,
        View::Overview => Rect::default(),
    };
    // the table's header line is not a row
    list.height.saturating_sub(1) as usize
}

/// Body below a one-line note: the table (header included).
pub fn table_area(body: Rect) -> Rect {
    Rect {
        y: body.y + 1,
        height: body.height.saturating_sub(1),
        ..body
    }
}

fn draw_tabs(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let full: usize = View::ALL.iter().map(|v| v.title().len() + 4).sum();
    let with_name = area.width as usize >= full + 11;
    let short = (area.width as usize) < full;
    let mut spans = Vec::new();
    if with_name {
        spans.push(Span::styled(" pmta-lens ", t.title()));
    }
    for v in View::ALL {
        let name = if short { v.short() } else { v.title() };
        let label = format!(" {} {name} ", v.index() + 1);
        let style = if v == app.view {
            t.tab_active()
        } else {
            t.tab()
        };
        spans.push(Span::styled(label, style));
    }
    widgets::line(buf, area, 0, &Line::from(spans));
}

fn draw_filter(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let w = area.width as usize;
    let line = if let Some(p) = &app.prompt {
        let hint = "  Enter apply · Esc cancel";
        let room = w.saturating_sub(2 + hint.len() + 1);
        // keep the end of a long expression in view, where the typing happens
        let shown: String = {
            let n = p.text.chars().count();
            p.text.chars().skip(n.saturating_sub(room)).collect()
        };
        Line::from(vec![
            Span::styled("/ ", t.key()),
            Span::raw(shown),
            Span::styled("█", t.key()),
            Span::styled(hint, t.dim()),
        ])
    } else if app.filter.is_empty() {
        Line::from(vec![
            Span::styled("filter: ", t.dim()),
            Span::raw("none"),
            Span::styled(
                fit("  (/ to filter, e.g. domain=outlook.com code=RP-002)", w),
                t.dim(),
            ),
        ])
    } else {
        let hint = "  Esc clear · ⌫ back";
        let room = w.saturating_sub(8 + hint.chars().count());
        Line::from(vec![
            Span::styled("filter: ", t.key()),
            Span::styled(fit(app.filter.as_str(), room.max(10)), t.header()),
            Span::styled(hint, t.dim()),
        ])
    };
    widgets::line(buf, area, 0, &line);
}

fn draw_status(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let keys = " ? help  q quit";
    let w = area.width as usize;
    let left_room = w.saturating_sub(keys.len() + 1);
    let (left, style) = if let Some(e) = app.prompt.as_ref().and_then(|p| p.error.as_ref()) {
        (e.clone(), t.error())
    } else if let Some(m) = &app.message {
        (m.clone(), t.severity(crate::model::Severity::Warning))
    } else {
        (status_text(app), t.dim())
    };
    widgets::line(
        buf,
        area,
        0,
        &Line::from(vec![
            Span::styled(format!("{:<left_room$}", fit(&left, left_room)), style),
            Span::raw(" "),
            Span::styled(keys, t.key()),
        ]),
    );
}

/// What the scan is doing, in words.
pub fn status_text(app: &App) -> String {
    let r = &app.data.report;
    let matched = app.data.aggregates.records;
    let files = r.files.len();
    let files_s = format!("{files} file{}", if files == 1 { "" } else { "s" });
    if !app.data.complete {
        let p = app.progress;
        let share = if p.bytes_total > 0 {
            percent(p.bytes_done.min(p.bytes_total), p.bytes_total)
        } else {
            "-".into()
        };
        let rate = (p.records * 1000)
            .checked_div(p.elapsed_ms)
            .map_or_else(String::new, |r| format!(" · {}/s", thousands(r)));
        return format!(
            "scanning {share} of {} · {} records{rate}",
            bytes(p.bytes_total),
            thousands(p.records)
        );
    }
    let rows = if app.filter.is_empty() {
        format!("{} rows", thousands(matched))
    } else {
        format!(
            "{} of {} rows match",
            thousands(matched),
            thousands(r.records())
        )
    };
    if app.ctx.follow {
        // A truncated file is read again from its start: say so, first, so a narrow terminal
        // keeps it (the rows read before stay counted).
        let notice = r.shrunk.last().map_or_else(String::new, |name| {
            let name = name.rsplit('/').next().unwrap_or(name);
            format!("{name} truncated: read again from its start · ")
        });
        if app.paused {
            format!("{notice}PAUSED (p resumes) · {rows} · {files_s}")
        } else {
            format!("{notice}following {files_s} · {rows} · p pauses")
        }
    } else {
        format!("{rows} · {files_s}, {} · scan complete", bytes(r.bytes()))
    }
}
