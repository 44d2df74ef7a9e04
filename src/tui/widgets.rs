//! Small drawing helpers shared by the views: a table that fits its columns to the width
//! (hiding the least important first), text truncation, and number cells.

pub mod table;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::fmt::{self, percent, split_at_width, thousands};

/// `s` cut to `width` display columns, with `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    if fmt::width(s) <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = split_at_width(s, width - 1).0.to_string();
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
    let rest = w.saturating_sub(fmt::width(&head));
    text(
        buf,
        area,
        dy,
        &fit(&format!("{head}{}", "─".repeat(rest)), w),
        style,
    );
}

/// Word-wraps `s` to `width` display columns.
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        let need = fmt::width(&cur) + usize::from(!cur.is_empty()) + fmt::width(word);
        if need > width && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
        while fmt::width(&cur) > width {
            // At least one character a line, even one wider than the line.
            let cut = match split_at_width(&cur, width).0.len() {
                0 => cur.chars().next().map_or(cur.len(), char::len_utf8),
                n => n,
            };
            let tail = cur.split_off(cut);
            out.push(std::mem::replace(&mut cur, tail));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `parts` joined by ` · `, a line break between two parts where the next does not fit in
/// `width` (a part wider than a line is word-wrapped): never a word cut.
pub fn join_wrapped(parts: &[String], width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for p in parts {
        if !cur.is_empty() && fmt::width(&cur) + 3 + fmt::width(p) > width {
            out.push(std::mem::take(&mut cur));
        }
        let sep = if cur.is_empty() { "" } else { " · " };
        if fmt::width(p) > width {
            let mut w = wrap(&format!("{cur}{sep}{p}"), width);
            cur = w.pop().unwrap_or_default();
            out.extend(w);
        } else {
            cur.push_str(sep);
            cur.push_str(p);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Each row of `buf` as text, trailing spaces trimmed, a wide character once (the cell after it
/// is its own, not a space): what a terminal would show (tests, snapshots).
#[cfg(any(test, feature = "testing"))]
pub fn buffer_lines(buf: &Buffer) -> Vec<String> {
    let area = buf.area;
    (area.top()..area.bottom())
        .map(|y| {
            let mut line = String::new();
            let mut x = area.left();
            while x < area.right() {
                let symbol = buf[(x, y)].symbol();
                line.push_str(symbol);
                x = x.saturating_add(fmt::width(symbol).max(1) as u16);
            }
            line.trim_end().to_string()
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_counts_display_columns() {
        assert_eq!(fit("outlook.com", 11), "outlook.com");
        assert_eq!(fit("outlook.com", 8), "outlook…");
        // A CJK subject takes two columns a character: 5 columns hold two and the ellipsis.
        assert_eq!(fit("お知らせです", 5), "お知…");
        assert_eq!(fmt::width(&fit("お知らせです", 6)), 5);
        // A combining mark takes none: `münchen.de` fits in 10 although it is 11 chars.
        assert_eq!(fit("mu\u{308}nchen.de", 10), "mu\u{308}nchen.de");
        assert_eq!(fit("mu\u{308}nchen.de", 3), "mu\u{308}…");
        assert_eq!(fit("abc", 0), "");
    }

    #[test]
    fn join_wrapped_breaks_between_parts() {
        let parts: Vec<String> = ["RP-002", "Microsoft", "52 rows (36.9% of 141)"]
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            join_wrapped(&parts, 80),
            ["RP-002 · Microsoft · 52 rows (36.9% of 141)"]
        );
        assert_eq!(
            join_wrapped(&parts, 20),
            ["RP-002 · Microsoft", "52 rows (36.9% of", "141)"]
        );
        for l in join_wrapped(&parts, 7) {
            assert!(fmt::width(&l) <= 7, "{l}");
        }
    }

    #[test]
    fn wrap_counts_display_columns() {
        assert_eq!(wrap("RP-002 rate limit", 8), ["RP-002", "rate", "limit"]);
        assert_eq!(wrap("お知らせ です", 4), ["お知", "らせ", "です"]);
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        // A character wider than the line still gets one, alone: no endless loop.
        assert_eq!(wrap("例え", 1), ["例", "え"]);
        for line in wrap("件名: お知らせ 配信 停止 のお願い mu\u{308}nchen.de", 7) {
            assert!(fmt::width(&line) <= 7, "{line}");
        }
    }
}
