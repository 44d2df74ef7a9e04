//! Value syntax of `PowerMTA` settings: time intervals (`20m`, `4d12h`, `1w2d12h`, lists such as
//! `10m,10m,1h` for `retry-after`) and rates (`0.5/s`, `200/h`, `10/m`, `1/min`, `400/day`,
//! `6/10h`). Pure functions on text; never touches the accounting logs.

/// Seconds in a time interval, `None` for anything else, including `never`: the one span
/// parser, [`crate::duration::parse`], read leniently as the config checks need.
pub fn parse_duration(text: &str) -> Option<u64> {
    crate::duration::parse(text).ok()
}

/// The intervals of a comma-separated list (`retry-after 10m,10m,1h,4h`). `None` if any item is
/// not an interval.
pub fn parse_duration_list(text: &str) -> Option<Vec<u64>> {
    text.split(',').map(parse_duration).collect()
}

/// A rate in events per second: `N/UNIT` or `N/XUNIT` (`6/10h` is six per ten hours), with the
/// units of [`parse_duration`]. `unlimited` is infinity. `None` for anything else.
pub fn parse_rate(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("unlimited") {
        return Some(f64::INFINITY);
    }
    let (count, per) = text.split_once('/')?;
    let count: f64 = count.trim().parse().ok()?;
    let per = per.trim();
    // `/h` has no number before the unit; `parse_duration` needs one.
    let seconds = if per.starts_with(|c: char| c.is_ascii_digit()) {
        parse_duration(per)?
    } else {
        parse_duration(&format!("1{per}"))?
    };
    if seconds == 0 || !count.is_finite() || count < 0.0 {
        return None;
    }
    Some(count / seconds as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for (text, secs) in [
            ("20m", 1200),
            ("4h", 14_400),
            ("1d", 86_400),
            ("30s", 30),
            ("4d12h", 388_800),
            ("1w2d12h", 820_800),
            ("300", 300),
            ("10 min", 600),
            ("2hours", 7200),
            ("1.5h", 5400),
        ] {
            assert_eq!(parse_duration(text), Some(secs), "{text}");
        }
        for bad in ["never", "", "m5", "5x", "tuning 5"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(
            parse_duration_list("10m,10m,1h"),
            Some(vec![600, 600, 3600])
        );
    }

    #[test]
    fn rates() {
        let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-12);
        assert!(close(parse_rate("0.5/s"), 0.5));
        assert!(close(parse_rate("200/h"), 200.0 / 3600.0));
        assert!(close(parse_rate("10/m"), 10.0 / 60.0));
        assert!(close(parse_rate("1/min"), 1.0 / 60.0));
        assert!(close(
            parse_rate("400/day"),
            400.0 / crate::duration::DAY as f64
        ));
        assert!(close(parse_rate("6/10h"), 6.0 / 36_000.0));
        assert_eq!(parse_rate("unlimited"), Some(f64::INFINITY));
        assert_eq!(parse_rate("fast"), None);
        assert_eq!(parse_rate("5/0s"), None);
    }
}
