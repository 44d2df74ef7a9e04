//! Parses `timeLogged` values into Unix seconds (UTC): `YYYY-MM-DD HH:MM:SS+HHMM` with any offset
//! (also `+HH:MM`, `Z`, or none meaning UTC) as `PowerMTA` writes with `iso-times yes`, and plain
//! Unix seconds as it writes with `iso-times no`. The calendar arithmetic is chrono's; one-entry
//! caches of the whole value and of the date part keep it off the hot path (rows arrive in time
//! order, so most rows share the previous row's second, and nearly all its date).

use chrono::NaiveDate;

/// Parses timestamps, caching the last value and the last date seen.
#[derive(Debug, Default)]
pub struct TimeParser {
    date: [u8; 10],
    date_start: Option<i64>,
    /// The last value parsed (its first `value_len` bytes) and its result. A busy MTA logs many
    /// rows per second, so most rows repeat the previous row's `timeLogged` exactly.
    value: [u8; 32],
    value_len: usize,
    value_secs: Option<i64>,
}

impl TimeParser {
    /// Unix seconds UTC, or `None` if the value is not a timestamp.
    #[inline]
    pub fn parse(&mut self, v: &[u8]) -> Option<i64> {
        if self.value_secs.is_some() && v == &self.value[..self.value_len] {
            return self.value_secs;
        }
        let secs = self.parse_new(v);
        if let (Some(_), Some(last)) = (secs, self.value.get_mut(..v.len())) {
            last.copy_from_slice(v);
            self.value_len = v.len();
            self.value_secs = secs;
        }
        secs
    }

    fn parse_new(&mut self, v: &[u8]) -> Option<i64> {
        if v.len() >= 19 && v[4] == b'-' {
            self.parse_iso(v)
        } else {
            parse_unix(v)
        }
    }

    fn parse_iso(&mut self, v: &[u8]) -> Option<i64> {
        self.parse_iso_prefix(v)
            .and_then(|(secs, len)| (len == v.len()).then_some(secs))
    }

    /// A `YYYY-MM-DD HH:MM:SS` time at the start of `v`, then an optional fraction and zone as
    /// [`TimeParser::parse`] reads them: Unix seconds (UTC) and how many bytes it took, for
    /// lines that go on after the time (`PowerMTA`'s main log). Without a zone it is UTC; an
    /// invalid date (`2026-02-31`) or offset (`+2500`) is `None`, never read as something else.
    pub fn parse_iso_prefix(&mut self, v: &[u8]) -> Option<(i64, usize)> {
        // `YYYY-MM-DD HH:MM:SS` then an optional zone.
        if v.len() < 19
            || v[4] != b'-'
            || v[7] != b'-'
            || !matches!(v[10], b' ' | b'T')
            || v[13] != b':'
            || v[16] != b':'
        {
            return None;
        }
        let date: [u8; 10] = v[..10].try_into().ok()?;
        let day_start = match self.date_start {
            Some(d) if date == self.date => d,
            _ => {
                let d = day_start(&date)?;
                self.date = date;
                self.date_start = Some(d);
                d
            }
        };
        let h = two(v[11], v[12])?;
        let m = two(v[14], v[15])?;
        let s = two(v[17], v[18])?;
        // 60 allows a leap second as written by some syslog-style clocks.
        if h > 23 || m > 59 || s > 60 {
            return None;
        }
        let (offset, zone_len) = parse_offset(&v[19..])?;
        Some((day_start + h * 3600 + m * 60 + s - offset, 19 + zone_len))
    }
}

fn day_start(date: &[u8; 10]) -> Option<i64> {
    if date[4] != b'-' || date[7] != b'-' {
        return None;
    }
    let year = digits(&date[..4])?;
    let month = digits(&date[5..7])?;
    let day = digits(&date[8..10])?;
    let d = NaiveDate::from_ymd_opt(year as i32, month as u32, day as u32)?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp())
}

/// Seconds east of UTC for `+HHMM`, `-HH:MM`, `Z`, `UTC`, `GMT`, or nothing (UTC), after an
/// optional space, at the start of `z`, and the bytes that took. Fractional seconds (`.123`)
/// before the zone are accepted and ignored. A zone must end where a word would (`UTCx` is no
/// zone); a sign must start a valid offset.
fn parse_offset(z: &[u8]) -> Option<(i64, usize)> {
    let mut used = 0;
    if let [b'.', rest @ ..] = z {
        let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        used = 1 + digits;
    }
    let space = usize::from(z.get(used) == Some(&b' '));
    let zone = &z[used + space..];
    let ends = |len: usize| {
        zone.get(len)
            .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b':')
    };
    match zone {
        // A trailing space with nothing after it belongs to the time.
        [] => Some((0, used + space)),
        [sign @ (b'+' | b'-'), ..] => {
            let (h, m, len) = match zone {
                [_, h1, h2, b':', m1, m2, ..] => (two(*h1, *h2)?, two(*m1, *m2)?, 6),
                [_, h1, h2, m1, m2, ..] => (two(*h1, *h2)?, two(*m1, *m2)?, 5),
                _ => return None,
            };
            if h > 23 || m > 59 || !ends(len) {
                return None;
            }
            let secs = h * 3600 + m * 60;
            Some((if *sign == b'-' { -secs } else { secs }, used + space + len))
        }
        _ => [&b"UTC"[..], b"GMT", b"Z"]
            .into_iter()
            .find(|name| zone.starts_with(name) && ends(name.len()))
            .map_or(Some((0, used)), |name| Some((0, used + space + name.len()))),
    }
}

/// Unix seconds, optionally with a fraction (`1178807903.25`).
fn parse_unix(v: &[u8]) -> Option<i64> {
    let int = match memchr::memchr(b'.', v) {
        Some(dot) if dot > 0 && v[dot + 1..].iter().all(u8::is_ascii_digit) => &v[..dot],
        Some(_) => return None,
        None => v,
    };
    if int.is_empty() || int.len() > 12 {
        return None;
    }
    digits(int)
}

#[inline]
fn two(a: u8, b: u8) -> Option<i64> {
    if a.is_ascii_digit() && b.is_ascii_digit() {
        Some(i64::from(a - b'0') * 10 + i64::from(b - b'0'))
    } else {
        None
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn rfc3339(secs: i64) -> String {
        DateTime::from_timestamp(secs, 0)
            .expect("in range")
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    #[test]
    fn table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("2019-02-08 21:54:05+0000", Some("2019-02-08T21:54:05Z")),
            ("2010-04-17 16:19:57-0400", Some("2010-04-17T20:19:57Z")),
            ("2026-01-14 09:00:00+0530", Some("2026-01-14T03:30:00Z")),
            ("2026-01-14 09:00:00+05:30", Some("2026-01-14T03:30:00Z")),
            ("2026-01-14T09:00:00Z", Some("2026-01-14T09:00:00Z")),
            ("2026-01-14 09:00:00", Some("2026-01-14T09:00:00Z")),
            ("2026-01-14 09:00:00.250+0000", Some("2026-01-14T09:00:00Z")),
            ("2024-02-29 23:59:59+0000", Some("2024-02-29T23:59:59Z")),
            ("1178807903", Some("2007-05-10T14:38:23Z")),
            ("1178807903.5", Some("2007-05-10T14:38:23Z")),
            ("2023-02-29 00:00:00+0000", None),
            ("2026-13-45 99:00:00+0000", None),
            ("2026-01-14 24:00:00+0000", None),
            ("2026-01-14 09:00:00+2500", None),
            ("2026-01-14 09:00:00 PST", None),
            ("2026/01/14 09:00:00+0000", None),
            ("yesterday", None),
            ("", None),
            ("12ab", None),
            (".5", None),
        ];
        let mut p = TimeParser::default();
        for (input, want) in cases {
            assert_eq!(
                p.parse(input.as_bytes()).map(rfc3339).as_deref(),
                *want,
                "{input}"
            );
        }
    }

    #[test]
    fn a_prefix_is_read_up_to_its_zone() {
        let mut p = TimeParser::default();
        let t = 1_768_381_200; // 2026-01-14 09:00:00 UTC
        let cases: &[(&str, Option<(i64, usize)>)] = &[
            ("2026-01-14 09:00:00 ( 1)x", Some((t, 19))),
            ("2026-01-14 09:00:00+0000 x", Some((t, 24))),
            ("2026-01-14 14:30:00+05:30 x", Some((t, 25))),
            ("2026-01-14 04:00:00 -0500 x", Some((t, 25))),
            ("2026-01-14 09:00:00.250Z x", Some((t, 24))),
            ("2026-01-14 09:00:00 GMT", Some((t, 23))),
            ("2026-01-14 09:00:00 UTCx", Some((t, 19))),
            ("2026-01-14 09:00:00+05301", None),
            ("2026-01-14 09:00:00+2400 x", None),
            ("2026-01-14 09:00:00-05 x", None),
            ("2026-02-30 09:00:00 x", None),
            ("2026-01-14 09:00", None),
        ];
        for (input, want) in cases {
            assert_eq!(p.parse_iso_prefix(input.as_bytes()), *want, "{input}");
        }
    }

    #[test]
    fn the_value_cache_gives_what_parsing_gives() {
        let mut cached = TimeParser::default();
        let values: &[&str] = &[
            "2026-01-14 09:00:00+0000",
            "2026-01-14 09:00:00+0000",
            "2026-01-14 09:00:00+0100",
            "2026-01-14 09:00:00",
            "2026-01-14 09:00:00+0000",
            "bad",
            "2026-01-14 09:00:00+0000",
            "1178807903",
            "1178807903.5",
            "1178807903",
            "2026-01-14 09:00:00.250+0000",
            "2026-01-14 09:00:00.250+0000 and more than thirty-two bytes",
            "2026-01-14 09:00:00.250+0000",
            "",
        ];
        for v in values {
            let fresh = TimeParser::default().parse(v.as_bytes());
            assert_eq!(cached.parse(v.as_bytes()), fresh, "{v}");
        }
    }

    #[test]
    fn the_date_cache_never_leaks_into_another_date() {
        let mut p = TimeParser::default();
        let a = p.parse(b"2026-01-14 10:00:00+0000");
        let b = p.parse(b"2026-01-15 10:00:00+0000");
        let c = p.parse(b"2026-01-14 10:00:00+0000");
        assert_eq!(b.zip(a).map(|(b, a)| b - a), Some(86_400));
        assert_eq!(a, c);
    }
}
