//! `since` and `until` values: RFC 3339, dates and clock times in UTC, and times back from now.

use super::parser::TIME_FORMS;
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeDelta, Utc};

/// Parses a `since`/`until` value into Unix seconds plus its canonical RFC 3339 form.
/// Fractional seconds round up: row times are whole seconds, and for a whole `t`,
/// `t >= x` and `t < x` both hold exactly when they hold against `ceil(x)`.
pub(super) fn parse_time(s: &str, now: DateTime<Utc>) -> Result<(i64, String), String> {
    let dt = parse_datetime(s, now)?;
    let secs = dt.timestamp() + i64::from(dt.timestamp_subsec_nanos() > 0);
    let canonical = DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| format!("time `{s}` is out of range"))?
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    Ok((secs, canonical))
}

pub(super) fn parse_datetime(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Some(rel) = s.strip_prefix('-') {
        return parse_relative(rel, now);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Ok(dt.with_timezone(&Utc));
    }
    // One set of formats serves `T`, `t` and a space between date and time, and `z` for `Z`.
    let mut norm = s.to_string();
    if norm
        .get(10..11)
        .is_some_and(|sep| sep.eq_ignore_ascii_case("t"))
    {
        norm.replace_range(10..11, " ");
    }
    if norm.ends_with('z') {
        norm.pop();
        norm.push('Z');
    }
    // With an offset: RFC 3339 without seconds, and PowerMTA's own `2026-01-14 10:00:00+0000`.
    for fmt in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%d %H:%M%#z"] {
        if let Ok(dt) = DateTime::parse_from_str(&norm, fmt) {
            return Ok(dt.with_timezone(&Utc));
        }
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(&norm, fmt) {
            return Ok(dt.and_utc());
        }
    }
    if let Some(midnight) = NaiveDate::parse_from_str(&norm, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return Ok(midnight.and_utc());
    }
    // Only with a unit: a bare number is more likely Unix seconds than a span missing its `-`.
    if s.bytes().any(|b| b.is_ascii_alphabetic()) && parse_relative(s, now).is_ok() {
        return Err(format!(
            "bad time `{s}`: a relative time counts back from now and starts with `-` (-{s})"
        ));
    }
    Err(format!("bad time `{s}`: {TIME_FORMS}"))
}

/// `2h`, `30m`, `1d`, `90s`, `1w`, or a sum such as `1h30m`, subtracted from `now`.
pub(super) fn parse_relative(rel: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let total = crate::duration::parse_secs(rel)
        .map_err(|_| format!("bad relative time `-{rel}`: {TIME_FORMS}"))?;
    TimeDelta::try_seconds(total)
        .and_then(|d| now.checked_sub_signed(d))
        .ok_or_else(|| format!("relative time `-{rel}` reaches too far back"))
}
