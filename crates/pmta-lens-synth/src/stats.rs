//! What a run wrote: row counts per record type, and the ground truth of bursts, scheduled
//! sends and responses that detectors are checked against.

use super::RECORD_TYPES;
use super::responses::id_matches;

/// What [`write_accounting`](super::write_accounting) wrote.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Data rows per type, in the order of [`RECORD_TYPES`].
    pub rows: [u64; 8],
    /// Bytes written (header included).
    pub bytes: u64,
    /// Physical lines (header included; an embedded line break counts).
    pub lines: u64,
    /// timeLogged of the first and last row (Unix seconds).
    pub first_time: i64,
    pub last_time: i64,
    /// Ground truth of each [`Profile::bursts`](super::Profile::bursts) entry, in the same order.
    pub bursts: Vec<BurstTruth>,
    /// Ground truth of each [`Profile::sends`](super::Profile::sends) entry, in the same order.
    pub sends: Vec<SendTruth>,
    /// Rows per response of the catalogue (only those written), catalogue order.
    pub responses: Vec<ResponseCount>,
    /// The defective rows [`Quirks`](super::Quirks) asked for: physical line and why.
    pub malformed: Vec<(u64, String)>,
    /// The physical line where the row with the multi-line Subject starts.
    pub multiline_row_line: Option<u64>,
}

impl Stats {
    /// Rows of one type (`"d"`, `"tq"` ...); 0 for an unknown type.
    #[must_use]
    pub fn rows_of(&self, ty: &str) -> u64 {
        RECORD_TYPES
            .iter()
            .position(|t| *t == ty)
            .map_or(0, |i| self.rows[i])
    }

    #[must_use]
    pub fn total_rows(&self) -> u64 {
        self.rows.iter().sum()
    }

    /// Rows whose response is `CODE` in any form (`"RP-002"` counts `ms:RP-002/article`,
    /// `ms:RP-002/log` and `ms:RP-002/bracket`), or exactly that id (`"gmail:4.7.28"`). Burst rows included.
    #[must_use]
    pub fn code_rows(&self, code: &str) -> u64 {
        self.responses
            .iter()
            .filter(|r| id_matches(r.id, code))
            .map(|r| r.count)
            .sum()
    }
}

/// What one burst really was, counted as its rows were written (rows cut off by `size` are not
/// counted).
#[derive(Clone, Debug, Default)]
pub struct BurstTruth {
    pub code: String,
    /// The window asked for: [`window_start`, `window_end`).
    pub window_start: i64,
    pub window_end: i64,
    /// timeLogged of the first and last burst row written.
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub count: u64,
    /// Burst rows per sending IP.
    pub by_ip: Vec<(String, u64)>,
    /// Physical lines of the first and last burst row.
    pub first_line: u64,
    pub last_line: u64,
}

/// What one scheduled send really was, counted as its rows were written.
#[derive(Clone, Debug, Default)]
pub struct SendTruth {
    pub job: String,
    pub source_ip: String,
    /// The window asked for: [`window_start`, `window_end`).
    pub window_start: i64,
    pub window_end: i64,
    /// timeLogged of the first and last row written.
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub count: u64,
    /// Physical lines of the first and last row.
    pub first_line: u64,
    pub last_line: u64,
}

/// Rows written with one response of the catalogue.
#[derive(Clone, Debug)]
pub struct ResponseCount {
    pub id: &'static str,
    pub count: u64,
    /// Physical line of the first such row.
    pub first_line: u64,
}
