//! Unix seconds as RFC 3339 UTC (`2026-11-20T00:00:27Z`) into a buffer without allocating: the
//! civil calendar from a day count (Howard Hinnant's `civil_from_days`), with a one-entry cache
//! because consecutive rows mostly share their second.

/// Formats timestamps, remembering the last one.
#[derive(Debug, Default)]
pub struct Rfc3339 {
    last: Option<(i64, [u8; 20])>,
}

impl Rfc3339 {
    /// `secs` as `2026-11-20T00:00:27Z`; `None` for years outside 0..=9999, which this form
    /// cannot write (the field is then left out rather than written in another type).
    #[inline]
    pub fn text(&mut self, secs: i64) -> Option<[u8; 20]> {
        if let Some((t, text)) = self.last
            && t == secs
        {
            return Some(text);
        }
        let text = format(secs)?;
        self.last = Some((secs, text));
        Some(text)
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`, or `None` outside years 0..=9999.
fn format(secs: i64) -> Option<[u8; 20]> {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let mut text = *b"0000-00-00T00:00:00Z";
    let put = |text: &mut [u8; 20], at: usize, mut value: i64, width: usize| {
        for k in (0..width).rev() {
            text[at + k] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(&mut text, 0, year, 4);
    put(&mut text, 5, month, 2);
    put(&mut text, 8, day, 2);
    put(&mut text, 11, rem / 3600, 2);
    put(&mut text, 14, rem / 60 % 60, 2);
    put(&mut text, 17, rem % 60, 2);
    Some(text)
}

/// (year, month, day) of a day count since 1970-01-01, proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(secs: i64) -> Option<String> {
        Rfc3339::default()
            .text(secs)
            .map(|t| String::from_utf8_lossy(&t).into_owned())
    }

    #[test]
    fn agrees_with_chrono() {
        // Epoch, leap days, centuries, the samples' days, the last second of 9999, before 1970.
        let cases = [
            0,
            951_782_400,
            951_868_799,
            1_795_220_091,
            4_107_542_400,
            253_402_300_799,
            -1,
            -62_167_219_200,
        ];
        for secs in cases {
            assert_eq!(text(secs), Some(crate::fmt::rfc3339(secs)), "{secs}");
        }
        // A sweep over every day from 1900 to 2200 at a varying second.
        let mut f = Rfc3339::default();
        for day in -25_567..84_000_i64 {
            let secs = day * 86_400 + (day * 7919).rem_euclid(86_400);
            let got = f.text(secs).expect("in range");
            assert_eq!(got, crate::fmt::rfc3339(secs).as_bytes(), "{secs}");
            // The cached second comes back the same.
            assert_eq!(f.text(secs), Some(got));
        }
    }

    #[test]
    fn out_of_range_years_are_none() {
        assert_eq!(text(253_402_300_800), None);
        assert_eq!(text(-62_167_219_201), None);
        assert_eq!(text(i64::MIN), None);
        assert_eq!(text(i64::MAX), None);
    }
}
