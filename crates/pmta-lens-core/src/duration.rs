//! Spans of time written by people, and the units they are counted in: the one parser behind
//! `--burst-window 5m`, `since=-1h30m` and `PowerMTA`'s `retry-after 4d12h`. Pure functions on
//! text; never touches a log.

use std::fmt::Write as _;

// Seconds in each unit: Unix time has no leap seconds, so a day is always 86,400.
/// Seconds in a minute.
pub const MINUTE: i64 = 60;
/// Seconds in an hour.
pub const HOUR: i64 = 60 * MINUTE;
/// Seconds in a day (a UTC calendar day in Unix time).
pub const DAY: i64 = 24 * HOUR;
/// Seconds in a week.
pub const WEEK: i64 = 7 * DAY;

/// Why a text is not a span.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Empty, or a part with no number (`m5`, `never`).
    #[error("expected a duration such as 30s, 5m, 4h, 1d or 1h30m")]
    NoNumber,
    /// A number followed by a word that is no unit (`5x`).
    #[error("`{0}` is not a unit: use s, m, h, d or w")]
    Unit(String),
    /// More seconds than an `i64` holds.
    #[error("too long")]
    TooLong,
}

/// Seconds in a span: one or more `NUMBER UNIT` parts, added up (`1h30m`, `4d12h`, `10 min`).
/// Units, in any case, with or without a plural `s`: `s`/`sec`/`second`, `m`/`min`/`minute`/`mn`,
/// `h`/`hr`/`hour`, `d`/`day`, `w`/`wk`/`week`. A number without a unit is seconds; a number
/// may have a fraction (`1.5h`), and the total is rounded to the second.
pub fn parse(text: &str) -> Result<u64, DurationError> {
    let text = text.trim().to_ascii_lowercase();
    if text.is_empty() {
        return Err(DurationError::NoNumber);
    }
    // Whole numbers are summed exactly; a fraction anywhere sums in floating point, as
    // `PowerMTA` values such as `0.5h` need, and is rounded once at the end.
    let mut whole: Option<u64> = Some(0);
    let mut total = 0.0_f64;
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..num_len];
        let value: f64 = number.parse().map_err(|_| DurationError::NoNumber)?;
        rest = rest[num_len..].trim_start();
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        let scale = if unit.is_empty() {
            1
        } else {
            unit_seconds(unit).ok_or_else(|| DurationError::Unit(unit.to_owned()))?
        };
        whole = match (whole, number.parse::<u64>()) {
            (Some(sum), Ok(n)) => Some(
                n.checked_mul(scale)
                    .and_then(|secs| sum.checked_add(secs))
                    .ok_or(DurationError::TooLong)?,
            ),
            _ => None,
        };
        total += value * scale as f64;
        rest = rest[unit_len..].trim_start();
    }
    let secs = match whole {
        Some(secs) => secs,
        None if total.is_finite() && total < i64::MAX as f64 => total.round() as u64,
        None => return Err(DurationError::TooLong),
    };
    if i64::try_from(secs).is_err() {
        return Err(DurationError::TooLong);
    }
    Ok(secs)
}

/// [`parse`] for callers that count in signed seconds (times before and after a point).
pub fn parse_secs(text: &str) -> Result<i64, DurationError> {
    // `parse` keeps every result within `i64`.
    parse(text).and_then(|s| i64::try_from(s).map_err(|_| DurationError::TooLong))
}

/// `secs` as [`parse`] reads it back and a `PowerMTA` config writes it: `1200` as `20m`, `5400`
/// as `1h30m`, `0` as `0s`.
pub fn compact(secs: u64) -> String {
    let (day, hour, minute) = (DAY as u64, HOUR as u64, MINUTE as u64);
    let parts = [
        (secs / day, "d"),
        (secs / hour % 24, "h"),
        (secs / minute % 60, "m"),
        (secs % minute, "s"),
    ];
    let mut out = String::new();
    for (n, unit) in parts.iter().filter(|(n, _)| *n > 0) {
        let _ = write!(out, "{n}{unit}");
    }
    if out.is_empty() { "0s".into() } else { out }
}

fn unit_seconds(unit: &str) -> Option<u64> {
    let unit = unit
        .strip_suffix('s')
        .filter(|u| !u.is_empty())
        .unwrap_or(unit);
    let secs = match unit {
        "w" | "week" | "wk" => WEEK,
        "d" | "day" => DAY,
        "h" | "hr" | "hour" => HOUR,
        "m" | "min" | "minute" | "mn" => MINUTE,
        "s" | "sec" | "second" => 1,
        _ => return None,
    };
    Some(secs as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for (text, secs) in [
            ("1h30m", 5400),
            ("4d12h", 388_800),
            ("10 min", 600),
            ("1.5h", 5400),
            ("300", 300),
            ("1W", 604_800),
            (" 90s ", 90),
            ("0.5s0.5s", 1),
        ] {
            assert_eq!(parse(text), Ok(secs), "{text}");
        }
        for bad in [
            "never", "", "m5", "5x", "tuning 5", "1.2.3h", ".", "-5m", "5m-",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(parse("5x"), Err(DurationError::Unit("x".into())));
        assert_eq!(parse("h"), Err(DurationError::NoNumber));
    }

    #[test]
    fn too_long_is_an_error_not_a_wrap() {
        assert_eq!(parse("9999999999999999d"), Err(DurationError::TooLong));
        assert_eq!(parse("99999999999999999999"), Err(DurationError::TooLong));
        assert_eq!(parse("1e300"), Err(DurationError::Unit("e".into())));
        assert_eq!(parse("9999999999999999.5d"), Err(DurationError::TooLong));
        assert_eq!(parse_secs("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(parse("9223372036854775808"), Err(DurationError::TooLong));
        assert_eq!(parse_secs("99999999999d"), Ok(99_999_999_999 * DAY));
    }

    #[test]
    fn compact_is_read_back() {
        for (secs, text) in [
            (0, "0s"),
            (1200, "20m"),
            (5400, "1h30m"),
            (388_800, "4d12h"),
            (90_061, "1d1h1m1s"),
        ] {
            assert_eq!(compact(secs), text);
            assert_eq!(parse(text), Ok(secs));
        }
    }

    #[test]
    fn the_constants_are_what_they_say() {
        assert_eq!((MINUTE, HOUR, DAY, WEEK), (60, 3600, 86_400, 604_800));
    }
}
