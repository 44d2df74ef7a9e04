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
    /// Where each row is, from `base`, in file order.
    pub rows: Located,
    /// (index in `rows`, header those rows were read with), one entry per change.
    pub headers: Vec<(usize, Arc<Header>)>,
    /// For a compressed input or standard input: the decompressed block the offsets are in.
    pub buffer: Option<Arc<Vec<u8>>>,
}

/// Where the rows of a segment are, from its base.
#[derive(Debug)]
pub enum Located {
    /// (offset, length) of each row: 8 bytes a row.
    Sparse(Vec<(u32, u32)>),
    /// Rows back to back, only line ends between them (every row of the piece matched, as
    /// without a filter): where each starts and where the last ends, 4 bytes a row (a row's
    /// bytes then take in its line end, which the reader drops).
    Dense { starts: Vec<u32>, end: u32 },
}

impl Default for Located {
    fn default() -> Self {
        Located::Sparse(Vec::new())
    }
}

impl Located {
    /// The rows `(offset, length)` of a piece `data`, dense when they are back to back.
    pub fn of(rows: Vec<(u32, u32)>, data: &[u8]) -> Located {
        let back_to_back = rows.windows(2).all(|w| {
            let (end, next) = ((w[0].0 + w[0].1) as usize, w[1].0 as usize);
            next >= end
                && next - end <= 2
                && data
                    .get(end..next)
                    .is_some_and(|gap| gap.iter().all(|&b| b == b'\n' || b == b'\r'))
        });
        match rows.last() {
            Some(&(at, len)) if back_to_back => Located::Dense {
                end: at + len,
                // Collected from a borrow: `into_iter` would reuse the pairs' buffer, twice
                // the size the starts need, for as long as the index lives.
                starts: rows.iter().map(|&(at, _)| at).collect(),
            },
            _ => Located::Sparse(rows),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Located::Sparse(rows) => rows.len(),
            Located::Dense { starts, .. } => starts.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`th row: (offset, length).
    pub fn get(&self, i: usize) -> Option<(u32, u32)> {
        match self {
            Located::Sparse(rows) => rows.get(i).copied(),
            Located::Dense { starts, end } => {
                let at = *starts.get(i)?;
                let to = starts.get(i + 1).copied().unwrap_or(*end);
                Some((at, to - at))
            }
        }
    }
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
                let (rel, len) = seg.rows.get(i)?;
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
    /// Complaints per VMTA, IP, domain and job, as the summary has them; `None` until the
    /// analyses ran.
    pub complaints: Option<Arc<crate::analysis::Complaints>>,
    /// RP-001 retry hygiene (the recipients and queues retried too soon), after the analyses.
    pub retry: Option<Arc<crate::analysis::retry::RetryHygiene>>,
    /// Budget and observed connections per destination and pool; `None` without a budget
    /// source (no config, no `--max-smtp-out` / `--pool-size`) or before the analyses ran.
    pub connections: Option<Arc<crate::connections::Connections>>,
    /// There is a budget source: `connections` comes once the analyses have run.
    pub budget_expected: bool,
    pub rows: RowIndex,
    /// The first pass over every input is done (following goes on after it).
    pub complete: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_back_to_back_are_located_in_four_bytes_each_and_read_the_same() {
        let data = b"d,a\nd,bb\r\nd,c\nt,x\nd,e";
        // Every row (line ends between them): dense.
        let all = vec![(0, 3), (4, 4), (10, 3), (14, 3), (18, 3)];
        let dense = Located::of(all.clone(), data);
        assert!(matches!(dense, Located::Dense { .. }));
        assert_eq!(dense.len(), 5);
        for (i, &(at, len)) in all.iter().enumerate() {
            let (got_at, got_len) = dense.get(i).expect("row");
            assert_eq!(got_at, at);
            // The line end comes with the row, nothing more.
            let bytes = &data[got_at as usize..(got_at + got_len) as usize];
            assert_eq!(
                bytes.trim_ascii_end(),
                &data[at as usize..(at + len) as usize]
            );
        }
        assert_eq!(dense.get(5), None);
        // A row left out (filtered, malformed or a header line between): sparse, as given.
        let some = vec![(0, 3), (10, 3), (18, 3)];
        let sparse = Located::of(some.clone(), data);
        assert!(matches!(sparse, Located::Sparse(_)));
        assert_eq!(
            (0..3)
                .map(|i| sparse.get(i).expect("row"))
                .collect::<Vec<_>>(),
            some
        );
        assert!(Located::of(Vec::new(), data).is_empty());
    }
}
