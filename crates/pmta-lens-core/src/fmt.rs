//! Number, rate and time formatting shared by the front ends: thousands separators, one-decimal
//! percentages, UTC timestamps and durations, so the summary and the dashboard print alike.

use chrono::DateTime;

use crate::duration::{DAY, HOUR, MINUTE};

/// How many terminal columns `s` takes: what aligns a column, where counting `char`s would
/// give a CJK subject half its width and an accented domain written with combining marks too much.
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// The longest start of `s` that fits in `cols` columns, and the rest.
pub fn split_at_width(s: &str, cols: usize) -> (&str, &str) {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        used += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used > cols {
            return s.split_at(i);
        }
    }
    (s, "")
}

/// `1234567` -> `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n` and its noun, in the plural unless `n` is 1: `1 record`, `1,203 records`.
pub fn counted(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", thousands(n), plural(n))
}

/// The plural ending of a noun counted `n` times: `""` for 1, `"s"` otherwise. For texts that
/// print the number apart or without thousands separators; [`counted`] does both at once.
pub fn plural(n: impl TryInto<u64>) -> &'static str {
    if n.try_into().is_ok_and(|n| n == 1) {
        ""
    } else {
        "s"
    }
}

/// `part / whole` as a percentage with one decimal (`12.3%`); `-` when `whole` is 0.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".to_string()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// Unix seconds as `2026-01-14 10:03:00 UTC`.
pub fn utc(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0).map_or_else(
        || secs.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// Unix seconds as RFC 3339 UTC (`2026-01-14T10:03:00Z`), the JSON form.
pub fn rfc3339(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0).map_or_else(
        || secs.to_string(),
        |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

/// A duration in seconds as `2d 3h 4m`, `3h 4m`, `4m 5s` or `5s`.
pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m, s) = (s / DAY, s / HOUR % 24, s / MINUTE % 60, s % MINUTE);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h {m}m"),
    }
}

/// A byte count as `1.5 GB`, `12.0 MB`, `3.4 KB` or `512 B` (decimal units, as `ls -lh --si`).
pub fn bytes(n: u64) -> String {
    let f = n as f64;
    if f >= 1e9 {
        format!("{:.1} GB", f / 1e9)
    } else if f >= 1e6 {
        format!("{:.1} MB", f / 1e6)
    } else if f >= 1e3 {
        format!("{:.1} KB", f / 1e3)
    } else {
        format!("{n} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_by_count_of_any_width() {
        assert_eq!(plural(1u64), "");
        assert_eq!(plural(1usize), "");
        assert_eq!(plural(0u32), "s");
        assert_eq!(plural(2usize), "s");
        assert_eq!(counted(1, "row"), "1 row");
        assert_eq!(counted(1203, "row"), "1,203 rows");
    }

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(1, 0), "-");
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(rfc3339(86_400), "1970-01-02T00:00:00Z");
        assert_eq!(duration(59), "59s");
        assert_eq!(duration(61), "1m 1s");
        assert_eq!(duration(3 * 3600 + 120), "3h 2m");
        assert_eq!(duration(2 * 86_400 + 3600), "2d 1h 0m");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1_500_000_000), "1.5 GB");
    }
}
