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
    draw_prompt_notes(app, body, buf);
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
        View::Overview => {
            // the findings list, its footer line not a row (added back below)
            return overview::findings_room(w, h).saturating_sub(1);
        }
    };
    // the table's header line is not a row
    list.height.saturating_sub(1) as usize
}

/// A view's note line: as many of `parts` as fit, joined by ` · ` (whole parts only, dropped
/// from the end, where the key hints are, on a narrow screen), and on the right the position
/// of the selection in the list (`37/5,376`).
pub fn note_line(
    app: &App,
    area: Rect,
    buf: &mut Buffer,
    parts: &[String],
    pos: Option<(usize, usize)>,
) {
    let t = app.ctx.theme;
    let w = area.width as usize;
    let pos = pos
        .filter(|(_, len)| *len > 0)
        .map(|(sel, len)| format!("{}/{}", thousands(sel as u64 + 1), thousands(len as u64)));
    let right = pos.as_ref().map_or(0, |p| p.chars().count() + 1);
    let room = w.saturating_sub(right);
    let mut left = String::new();
    for (i, p) in parts.iter().enumerate() {
        let sep = if i == 0 { "" } else { " · " };
        // a part that does not fit is left out, the shorter ones after it still said
        if i > 0 && left.chars().count() + sep.len() + p.chars().count() > room {
            continue;
        }
        left.push_str(sep);
        left.push_str(p);
    }
    let left = fit(&left, room);
    let mut spans = vec![Span::styled(left.clone(), t.dim())];
    if let Some(p) = pos {
        let pad = w.saturating_sub(left.chars().count() + p.chars().count());
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled(p, t.key()));
    }
    widgets::line(buf, area, 0, &Line::from(spans));
}

/// A note line's parts with the sort's note: last, or first when the sort's column is hidden
/// at this width (a sort nobody can see must be said, even at the cost of the rest).
pub fn with_sort(mut parts: Vec<String>, sort: String) -> Vec<String> {
    if sort.starts_with("sorted by") {
        parts.insert(0, sort);
    } else {
        parts.push(sort);
    }
    parts
}

/// What an empty list says: the scan is running, the filter matched nothing, or the inputs
/// had no rows.
pub fn empty_note(app: &App, what: &str) -> String {
    if !app.data.complete {
        format!("No {what} yet: the scan is running.")
    } else if !app.filter.is_empty() && app.data.aggregates.records == 0 {
        "The filter matched no rows (Esc clears it, ⌫ goes back).".to_string()
    } else if app.data.aggregates.records == 0 {
        "No rows in the inputs.".to_string()
    } else {
        format!("No {what} in the rows that match.")
    }
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
        prompt_line(app, p, w)
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
        // the filter whole, the hint only where there is room for both; a filter longer than
        // the line loses whole terms from its end, and says how many
        let hint = "  Esc clear · ⌫ back";
        let text = app.filter.as_str();
        let room = w.saturating_sub(8);
        let (shown, hint) = if text.chars().count() + hint.chars().count() <= room {
            (text.to_string(), hint)
        } else {
            (fit_terms(text, room), "")
        };
        Line::from(vec![
            Span::styled("filter: ", t.key()),
            Span::styled(shown, t.header()),
            Span::styled(hint, t.dim()),
        ])
    };
    widgets::line(buf, area, 0, &line);
}

/// A filter in at most `room` columns: whole, or its first terms and `… +N` for the rest (a
/// single term too long for the line is cut).
fn fit_terms(text: &str, room: usize) -> String {
    if text.chars().count() <= room {
        return text.to_string();
    }
    let terms: Vec<&str> = text.split(' ').filter(|t| !t.is_empty()).collect();
    for keep in (1..terms.len()).rev() {
        let head = terms[..keep].join(" ");
        let out = format!("{head} … +{}", terms.len() - keep);
        if out.chars().count() <= room {
            return out;
        }
    }
    fit(text, room)
}

/// The prompt's line: `/ `, the text with the cursor, and the keys when there is room. A text
/// longer than the line scrolls so the cursor stays in view.
fn prompt_line<'a>(app: &App, p: &'a super::prompt::Prompt, w: usize) -> Line<'a> {
    let t = app.ctx.theme;
    let chars: Vec<char> = p.text.chars().collect();
    let cursor = p.cursor.min(chars.len());
    // the text and one cell for the cursor past its end
    let room = w
        .saturating_sub(if app.rows.finding { 6 } else { 2 })
        .max(1);
    let from = (cursor + 1).saturating_sub(room);
    let to = (from + room).min(chars.len());
    let before: String = chars[from..cursor].iter().collect();
    let (under, after): (String, String) = if cursor < chars.len() {
        (
            chars[cursor].to_string(),
            chars[cursor + 1..to.max(cursor + 1)].iter().collect(),
        )
    } else {
        (" ".into(), String::new())
    };
    // `f`'s prompt finds a text in the rows; `/`'s filters
    let (prefix, hints): (&str, &[&str]) = if app.rows.finding {
        (
            "find: ",
            &[
                "  Enter find · Esc cancel · ↑↓ earlier texts",
                "  Enter find · Esc cancel",
            ],
        )
    } else {
        (
            "/ ",
            &[
                "  Enter apply · Esc cancel · Tab complete · ↑↓ history",
                "  Enter apply · Esc cancel · Tab complete",
                "  Enter apply · Esc cancel",
            ],
        )
    };
    let mut spans = vec![
        Span::styled(prefix, t.key()),
        Span::raw(before),
        Span::styled(under, t.selected()),
        Span::raw(after),
    ];
    let used = prefix.chars().count() + (to - from) + usize::from(cursor == chars.len());
    for &hint in hints {
        if used + hint.chars().count() <= w {
            spans.push(Span::styled(hint, t.dim()));
            break;
        }
    }
    Line::from(spans)
}

/// Under the prompt, over the view: why the filter was refused, or what Tab found, wrapped onto
/// as many lines as it needs (never cut), then a rule.
fn draw_prompt_notes(app: &App, body: Rect, buf: &mut Buffer) {
    use super::prompt::Completion;
    use ratatui::widgets::{Clear, Widget};
    let t = app.ctx.theme;
    let Some(p) = &app.prompt else {
        return;
    };
    let w = (body.width as usize).max(1);
    let (lines, style) = if let Some(e) = &p.error {
        (wrap_lines(e, w), t.error())
    } else {
        match &p.completion {
            Some(Completion::None(why)) => (widgets::wrap(why, w), t.dim()),
            Some(Completion::Choices(c)) => (choices(c, w, body.height), t.text()),
            None => return,
        }
    };
    let height = (lines.len() as u16 + 1).min(body.height);
    let area = Rect { height, ..body };
    Clear.render(area, buf);
    for (y, l) in lines.iter().enumerate() {
        widgets::text(buf, area, y as u16, l, style);
    }
    if (lines.len() as u16) < height {
        widgets::text(buf, area, height - 1, &"─".repeat(w), t.dim());
    }
}

/// `s` wrapped to `w`, line by line, each line's indent kept (a regex error points at the bad
/// spot with a `^` under it).
fn wrap_lines(s: &str, w: usize) -> Vec<String> {
    let mut out = Vec::new();
    for line in s.lines() {
        let rest = line.trim_start();
        let indent = (line.len() - rest.len()).min(w / 2);
        if rest.is_empty() {
            continue;
        }
        for l in widgets::wrap(rest, w - indent) {
            out.push(format!("{}{l}", " ".repeat(indent)));
        }
    }
    out
}

/// The candidates of a Tab, packed into lines of `w` (as many lines as the body allows, less
/// one for the rule; then how many more there are).
fn choices(c: &[String], w: usize, height: u16) -> Vec<String> {
    // room kept on the last line for `  +N more`
    const MORE: usize = 16;
    let max_lines = (height as usize).saturating_sub(1).max(2);
    let mut lines: Vec<String> = vec![format!("{} candidates (type more, then Tab):", c.len())];
    let mut cur = String::new();
    for (i, v) in c.iter().enumerate() {
        let last = lines.len() + 1 >= max_lines;
        let need = cur.chars().count() + 2 + v.chars().count() + if last { MORE } else { 0 };
        if !cur.is_empty() && need > w {
            if last {
                lines.push(format!("{cur}  +{} more", c.len() - i));
                return lines;
            }
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push_str("  ");
        }
        cur.push_str(v);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

fn draw_status(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let keys = " ? help  q quit";
    let w = area.width as usize;
    let left_room = w.saturating_sub(keys.len() + 1);
    let (left, style) = if app.prompt.as_ref().is_some_and(|p| p.error.is_some()) {
        // the whole error is above, under the prompt
        (
            "the filter was not applied: fix it (↑ for an earlier one) or Esc".to_string(),
            t.error(),
        )
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
    let r = &app.data.report.scan;
    let shrunk = &app.data.report.shrunk;
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
        crate::fmt::counted(matched, "row")
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
        let notice = shrunk.last().map_or_else(String::new, |name| {
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

#[cfg(test)]
mod tests {
    use super::fit_terms;

    #[test]
    fn a_long_filter_keeps_whole_terms_and_counts_the_rest() {
        let f = "since=2026-11-20T13:58:00Z until=2026-11-20T14:04:00Z ip=192.0.2.10";
        assert_eq!(fit_terms(f, 72), f);
        assert_eq!(
            fit_terms(f, 60),
            "since=2026-11-20T13:58:00Z until=2026-11-20T14:04:00Z … +1"
        );
        assert_eq!(fit_terms(f, 40), "since=2026-11-20T13:58:00Z … +2");
        assert_eq!(fit_terms(f, 10).chars().count(), 10);
    }
}
