//! What the loader hands the dashboard: one immutable [`Snapshot`] of a scan (complete or in
//! progress), shared by `Arc` so a new one replaces the old without copying the big parts.

use std::path::PathBuf;
use std::sync::Arc;

use crate::acct::header::Header;
use crate::aggregate::Aggregates;
use crate::analysis::Finding;
use crate::scan::{FileReport, Malformed};

/// A burst of deferrals as the analyses report it (RP-002 by default, `--burst-code`).
pub use crate::analysis::Burst;

/// Files, malformed rows and input problems of the scan so far.
#[derive(Clone, Debug, Default)]
pub struct ReportView {
    pub files: Vec<FileReport>,
    pub malformed: u64,
    pub malformed_samples: Vec<Malformed>,
    /// Inputs that could not be read, as messages.
    pub errors: Vec<String>,
    /// Compressed inputs (or standard input) with rows past what is kept in memory for Rows.
    pub unbrowsable: Vec<String>,
    /// Files truncated while followed (`copytruncate`, `> file`), read again from their start;
    /// the latest last.
    pub shrunk: Vec<String>,
}

impl ReportView {
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    pub fn records(&self) -> u64 {
        self.files.iter().map(|f| f.records).sum()
    }
}

/// The located rows of one block of one file: where each matching row is, never its bytes.
#[derive(Debug, Default)]
pub struct Segment {
    /// Index of the input (in [`RowIndex::paths`]).
    pub file: usize,
    /// Where the segment's piece starts (in the file, or in `buffer`).
    pub base: u64,
    /// (byte offset from `base`, length) of each row, in file order: 8 bytes a row, so a day's
    /// two million rows take 16 MB.
    pub rows: Vec<(u32, u32)>,
    /// (index in `rows`, header those rows were read with), one entry per change.
    pub headers: Vec<(usize, Arc<Header>)>,
    /// For a compressed input or standard input: the decompressed block the offsets are in.
    pub buffer: Option<Arc<Vec<u8>>>,
}

/// Every located matching row, in input order, as append-only segments (following a file adds
/// segments; a snapshot clones only the list of `Arc`s).
#[derive(Clone, Debug, Default)]
pub struct RowIndex {
    pub paths: Arc<Vec<PathBuf>>,
    pub segments: Vec<Arc<Segment>>,
    /// Rows located (the sum of the segments' lengths).
    pub len: usize,
    /// Matching rows that were counted but not located (past the limit, or in compressed
    /// input past what is kept in memory).
    pub unlocated: u64,
    /// The most rows the index holds.
    pub cap: usize,
}

/// Where one located row is.
#[derive(Clone, Debug)]
pub struct RowLoc {
    pub path: PathBuf,
    pub offset: u64,
    pub len: u32,
    pub header: Option<Arc<Header>>,
    /// The bytes the offset is in, when not the file's (compressed input).
    pub buffer: Option<Arc<Vec<u8>>>,
}

impl RowIndex {
    pub fn push(&mut self, seg: Segment) {
        if seg.rows.is_empty() {
            return;
        }
        self.len += seg.rows.len();
        self.segments.push(Arc::new(seg));
    }

    /// Forgets the rows located in input `file` (it was truncated, or its path names another
    /// file now): they stay counted, as not located.
    pub fn forget_file(&mut self, file: usize) {
        let before = self.len;
        self.segments.retain(|s| s.file != file);
        self.len = self.segments.iter().map(|s| s.rows.len()).sum();
        self.unlocated += (before - self.len) as u64;
    }

    /// The `i`th located row.
    pub fn get(&self, mut i: usize) -> Option<RowLoc> {
        for seg in &self.segments {
            if i < seg.rows.len() {
                let (rel, len) = seg.rows[i];
                let offset = seg.base + u64::from(rel);
                let h = seg.headers.partition_point(|(at, _)| *at <= i);
                return Some(RowLoc {
                    path: self.paths.get(seg.file)?.clone(),
                    offset,
                    len,
                    header: h.checked_sub(1).map(|k| Arc::clone(&seg.headers[k].1)),
                    buffer: seg.buffer.clone(),
                });
            }
            i -= seg.rows.len();
        }
        None
    }
}

/// One state of the scan, as the views show it.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Which scan (filter) this belongs to: older generations are ignored.
    pub generation: u64,
    pub aggregates: Arc<Aggregates>,
    pub report: Arc<ReportView>,
    /// What to act on, most severe first (from the rule codes while scanning, from every
    /// analysis once complete).
    pub findings: Arc<Vec<Finding>>,
    /// RP-002 bursts; `None` while the analyses that find them are not available.
    pub bursts: Option<Arc<Vec<Burst>>>,
    /// Budget and observed connections per destination and pool; `None` without a budget
    /// source (no config, no `--max-smtp-out` / `--pool-size`) or before the analyses ran.
    pub connections: Option<Arc<crate::connections::Connections>>,
    /// There is a budget source: `connections` comes once the analyses have run.
    pub budget_expected: bool,
    pub rows: RowIndex,
    /// The first pass over every input is done (following goes on after it).
    pub complete: bool,
}
