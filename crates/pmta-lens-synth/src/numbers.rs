//! The generator's random numbers (splitmix64), integer (`itoa`) and hex formatting into the row buffer,
//! and `PowerMTA`'s time format.

use pmta_lens_core::duration::DAY;

/// splitmix64: tiny, fast, and stable across platforms and versions (the bytes of the shipped
/// samples depend on it, so no external crate whose stream could change).
#[derive(Clone)]
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n; 0 when n is 0. The modulo bias is far below what test data can show.
    pub(super) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    pub(super) fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(len as u64)).unwrap_or(0)
    }

    pub(super) fn chance(&mut self, permille: u32) -> bool {
        self.below(1000) < u64::from(permille)
    }
}

/// Appends `v` in decimal (`itoa`: no allocation, no formatter).
pub(super) fn put_u64(buf: &mut Vec<u8>, v: u64) {
    buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

pub(super) fn put_i64(buf: &mut Vec<u8>, v: i64) {
    buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

pub(super) fn put_hex(buf: &mut Vec<u8>, v: u64, digits: u32, upper: bool) {
    let table: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    for k in (0..digits).rev() {
        let nibble = (v >> (4 * (k % 16))) & 0xf;
        buf.push(table[usize::from(nibble.to_le_bytes()[0])]);
    }
}

pub(super) fn put2(buf: &mut [u8], at: usize, v: u64) {
    buf[at] = b'0' + (v / 10 % 10).to_le_bytes()[0];
    buf[at + 1] = b'0' + (v % 10).to_le_bytes()[0];
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub(super) fn civil_from_days(days: i64) -> (i64, u64, u64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month.unsigned_abs(), day.unsigned_abs())
}

/// Unix seconds of a UTC civil time (month 1-12, day 1-31); for profiles and the CLI.
#[must_use]
pub fn unix_time(year: i64, month: u32, day: u32, hour: u32, min: u32, sec: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * DAY + i64::from(hour) * 3600 + i64::from(min) * 60 + i64::from(sec)
}

/// Formats times as `PowerMTA` does, caching the date part (rows come in time order).
pub(super) struct TimeFmt {
    pub(super) iso: bool,
    pub(super) offset_secs: i64,
    pub(super) suffix: [u8; 5],
    pub(super) day: i64,
    pub(super) date: [u8; 11],
}

impl TimeFmt {
    pub(super) fn new(iso: bool, offset_mins: i32) -> TimeFmt {
        let abs = u64::from(offset_mins.unsigned_abs());
        let mut suffix = *b"+0000";
        if offset_mins < 0 {
            suffix[0] = b'-';
        }
        put2(&mut suffix, 1, abs / 60 % 100);
        put2(&mut suffix, 3, abs % 60);
        TimeFmt {
            iso,
            offset_secs: i64::from(offset_mins) * 60,
            suffix,
            day: i64::MIN,
            date: [0; 11],
        }
    }

    pub(super) fn put(&mut self, buf: &mut Vec<u8>, t: i64) {
        if !self.iso {
            put_i64(buf, t);
            return;
        }
        let local = t + self.offset_secs;
        let day = local.div_euclid(DAY);
        if day != self.day {
            let (y, m, d) = civil_from_days(day);
            let mut date = *b"0000-00-00 ";
            let y = y.clamp(0, 9999).unsigned_abs();
            put2(&mut date, 0, y / 100);
            put2(&mut date, 2, y % 100);
            put2(&mut date, 5, m);
            put2(&mut date, 8, d);
            self.date = date;
            self.day = day;
        }
        let sod = local.rem_euclid(DAY).unsigned_abs();
        let mut hms = *b"00:00:00";
        put2(&mut hms, 0, sod / 3600);
        put2(&mut hms, 3, sod / 60 % 60);
        put2(&mut hms, 6, sod % 60);
        buf.extend_from_slice(&self.date);
        buf.extend_from_slice(&hms);
        buf.extend_from_slice(&self.suffix);
    }
}
