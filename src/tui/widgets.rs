//! Small drawing helpers shared by the views: a table that fits its columns to the width
//! (hiding the least important first), text truncation, and number cells.

pub mod table;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::fmt::{percent, thousands};

/// `s` cut to `width` characters, with `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// A count, or `·` for zero (keeps tables readable).
pub fn count(n: u64) -> String {
    if n == 0 { "·".into() } else { thousands(n) }
}

/// `n / of` as a percentage, `-` when `of` is 0.
pub fn pct(n: u64, of: u64) -> String {
    percent(n, of)
}

/// Writes one line of spans into `area`'s row `dy` (clipped to the area).
pub fn line(buf: &mut Buffer, area: Rect, dy: u16, l: &Line<'_>) {
    if dy >= area.height {
        return;
    }
    buf.set_line(area.x, area.y + dy, l, area.width);
}

/// A one-line text in a style.
pub fn text(buf: &mut Buffer, area: Rect, dy: u16, s: &str, style: Style) {
    line(
        buf,
        area,
        dy,
        &Line::from(Span::styled(s.to_string(), style)),
    );
}

/// A horizontal rule with a title: `── Title ─────`.
pub fn rule(buf: &mut Buffer, area: Rect, dy: u16, title: &str, style: Style) {
    let w = area.width as usize;
    let head = format!("── {title} ");
    let rest = w.saturating_sub(head.chars().count());
    text(
        buf,
        area,
        dy,
        &fit(&format!("{head}{}", "─".repeat(rest)), w),
        style,
    );
}

/// Word-wraps `s` to `width` columns.
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        let need = cur.chars().count() + usize::from(!cur.is_empty()) + word.chars().count();
        if need > width && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
        while cur.chars().count() > width {
            let head: String = cur.chars().take(width).collect();
            let tail: String = cur.chars().skip(width).collect();
            out.push(head);
            cur = tail;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Unix seconds as `10:03` (or `01-14 10:03` when the range spans days), UTC.
pub fn hm(t: i64, multi_day: bool) -> String {
    chrono::DateTime::from_timestamp(t, 0).map_or_else(
        || t.to_string(),
        |d| {
            if multi_day {
                d.format("%m-%d %H:%M").to_string()
            } else {
                d.format("%H:%M").to_string()
            }
        },
    )
}

/// Unix seconds as `10:03:05` (or `01-14 10:03:05`), UTC.
pub fn hms(t: i64, multi_day: bool) -> String {
    chrono::DateTime::from_timestamp(t, 0).map_or_else(
        || t.to_string(),
        |d| {
            if multi_day {
                d.format("%m-%d %H:%M:%S").to_string()
            } else {
                d.format("%H:%M:%S").to_string()
            }
        },
    )
}
