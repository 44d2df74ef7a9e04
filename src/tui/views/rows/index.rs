//! The Rows view's index: where every matching row is (input, byte offset, file line), never
//! its bytes. The loader builds it in the background as the scan reads (one [`Segment`] per
//! piece of input, appended in input order; following a file appends more), so it reaches every
//! row of any file; the view reads back and parses only the rows it shows.
//!
//! Cost: a piece whose rows all matched (no filter) keeps about 2 bytes a row (where each
//! starts, from the start of its group of 16 rows); other pieces 8 (start and length). File
//! lines are kept as runs (the line of the first row of each run of rows on consecutive lines,
//! 8 bytes a run): one run per piece without a filter, at most one per row with one. A 1 GiB
//! day of about 2.4 million rows: about 6 MB unfiltered.

use std::path::PathBuf;
use std::sync::Arc;

use crate::acct::header::Header;

/// The located rows of one piece of one input.
#[derive(Debug, Default)]
pub struct Segment {
    /// Index of the input (in [`RowIndex::paths`]).
    pub file: usize,
    /// Where the segment's piece starts (in the file, or in `buffer`).
    pub base: u64,
    /// The 0-based line of the piece's first byte in its input.
    pub line: u64,
    /// Where each row is, from `base`, in file order.
    pub rows: Located,
    /// The rows' lines as runs: (first row of the run, its line from `line`); the rows after it
    /// up to the next run are on the lines after it, one each.
    pub lines: Vec<(u32, u32)>,
    /// (index in `rows`, header those rows were read with), one entry per change.
    pub headers: Vec<(usize, Arc<Header>)>,
    /// For a compressed input or standard input: the decompressed block the offsets are in.
    pub buffer: Option<Arc<Vec<u8>>>,
}

impl Segment {
    /// The 1-based line of row `i` in its input.
    pub fn line_of(&self, i: usize) -> u64 {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        let run = self.lines.partition_point(|(at, _)| *at <= i);
        let (at, delta) = run.checked_sub(1).map_or((0, 0), |r| self.lines[r]);
        self.line + u64::from(delta) + u64::from(i - at) + 1
    }

    /// The byte range of rows `from..to` (of this segment), from `base`.
    pub fn span(&self, from: usize, to: usize) -> Option<(u64, u64)> {
        let (first, _) = self.rows.get(from)?;
        let (last, len) = self.rows.get(to.checked_sub(1)?)?;
        Some((u64::from(first), u64::from(last) + u64::from(len)))
    }
}

/// Lines as runs, built row by row (in the scan's workers) from the piece's bytes.
#[derive(Debug, Default)]
pub struct LineRuns {
    pub runs: Vec<(u32, u32)>,
    /// Newlines in the piece before `counted`.
    lines: u64,
    counted: usize,
    /// Rows seen.
    rows: u32,
}

impl LineRuns {
    /// Notes the next row, starting at `offset` in `piece`.
    #[inline]
    pub fn row(&mut self, piece: &[u8], offset: usize) {
        let before = piece
            .get(self.counted.min(offset)..offset)
            .unwrap_or_default();
        self.lines += memchr::memchr_iter(b'\n', before).count() as u64;
        self.counted = self.counted.max(offset);
        let line = u32::try_from(self.lines).unwrap_or(u32::MAX);
        let next = self
            .runs
            .last()
            .map(|&(at, l)| l.saturating_add(self.rows - at));
        if next != Some(line) {
            self.runs.push((self.rows, line));
        }
        self.rows += 1;
    }
}

/// Rows per group of [`Located::Packed`]: 16 rows of a few KiB each lie well within the
/// 64 KiB a 16-bit offset reaches.
const GROUP: usize = 16;

/// Where the rows of a segment are, from its base.
#[derive(Debug)]
pub enum Located {
    /// (offset, length) of each row: 8 bytes a row.
    Sparse(Vec<(u32, u32)>),
    /// Rows back to back, only line ends between them (every row of the piece matched, as
    /// without a filter): where each starts and where the last ends, 4 bytes a row (a row's
    /// bytes then take in its line end, which the reader drops).
    Dense { starts: Vec<u32>, end: u32 },
    /// [`Located::Dense`] in about 2 bytes a row (the form rows take unless a group of 16
    /// rows spans 64 KiB or more): each row's start as a 16-bit offset from the start of its
    /// group, each group's start in full.
    Packed {
        groups: Vec<u32>,
        offsets: Vec<u16>,
        end: u32,
    },
}

impl Default for Located {
    fn default() -> Self {
        Located::Sparse(Vec::new())
    }
}

impl Located {
    /// The rows `(offset, length)` of a piece `data`, packed when they are back to back.
    pub fn of(rows: Vec<(u32, u32)>, data: &[u8]) -> Located {
        let back_to_back = rows.windows(2).all(|w| {
            let (end, next) = ((w[0].0 + w[0].1) as usize, w[1].0 as usize);
            next >= end
                && next - end <= 2
                && data
                    .get(end..next)
                    .is_some_and(|gap| gap.iter().all(|&b| b == b'\n' || b == b'\r'))
        });
        let Some(&(at, len)) = rows.last() else {
            return Located::Sparse(rows);
        };
        if !back_to_back {
            return Located::Sparse(rows);
        }
        let end = at + len;
        // Collected from a borrow: `into_iter` would reuse the pairs' buffer, four times the
        // size the offsets need, for as long as the index lives.
        let groups: Vec<u32> = rows.iter().step_by(GROUP).map(|&(at, _)| at).collect();
        let offsets: Option<Vec<u16>> = rows
            .iter()
            .enumerate()
            .map(|(i, &(at, _))| u16::try_from(at - groups[i / GROUP]).ok())
            .collect();
        match offsets {
            Some(offsets) => Located::Packed {
                groups,
                offsets,
                end,
            },
            None => Located::Dense {
                starts: rows.iter().map(|&(at, _)| at).collect(),
                end,
            },
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Located::Sparse(rows) => rows.len(),
            Located::Dense { starts, .. } => starts.len(),
            Located::Packed { offsets, .. } => offsets.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where the `i`th row starts.
    fn start(&self, i: usize) -> Option<u32> {
        match self {
            Located::Sparse(rows) => rows.get(i).map(|r| r.0),
            Located::Dense { starts, .. } => starts.get(i).copied(),
            Located::Packed {
                groups, offsets, ..
            } => {
                let offset = *offsets.get(i)?;
                Some(groups[i / GROUP] + u32::from(offset))
            }
        }
    }

    /// The `i`th row: (offset, length).
    pub fn get(&self, i: usize) -> Option<(u32, u32)> {
        let at = self.start(i)?;
        match self {
            Located::Sparse(rows) => Some(rows[i]),
            Located::Dense { end, .. } | Located::Packed { end, .. } => {
                let to = self.start(i + 1).unwrap_or(*end);
                Some((at, to - at))
            }
        }
    }

    /// The row whose bytes hold offset `at` (from the base), if any.
    pub fn row_at(&self, at: u32) -> Option<usize> {
        // Halving until `lo` is the number of rows starting at or before `at`.
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = usize::midpoint(lo, hi);
            if self.start(mid).is_some_and(|s| s <= at) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let i = lo.checked_sub(1)?;
        let (s, len) = self.get(i)?;
        (at < s + len).then_some(i)
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
    /// Matching rows that were counted but not located (in compressed input past what is
    /// kept in memory, or in a file truncated while followed).
    pub unlocated: u64,
    /// The most rows the index holds (`usize::MAX`: no limit).
    pub cap: usize,
}

/// Where one located row is.
#[derive(Clone, Debug)]
pub struct RowLoc {
    pub path: PathBuf,
    pub offset: u64,
    pub len: u32,
    /// The 1-based line of the row in its input.
    pub line: u64,
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

    /// The segment row `i` is in, that segment's first row and its index in `segments`.
    pub fn segment_of(&self, i: usize) -> Option<(usize, usize)> {
        let mut first = 0;
        for (k, seg) in self.segments.iter().enumerate() {
            if i < first + seg.rows.len() {
                return Some((k, first));
            }
            first += seg.rows.len();
        }
        None
    }

    /// The `i`th located row.
    pub fn get(&self, i: usize) -> Option<RowLoc> {
        let (k, first) = self.segment_of(i)?;
        let seg = &self.segments[k];
        let i = i - first;
        let (rel, len) = seg.rows.get(i)?;
        let h = seg.headers.partition_point(|(at, _)| *at <= i);
        Some(RowLoc {
            path: self.paths.get(seg.file)?.clone(),
            offset: seg.base + u64::from(rel),
            len,
            line: seg.line_of(i),
            header: h.checked_sub(1).map(|k| Arc::clone(&seg.headers[k].1)),
            buffer: seg.buffer.clone(),
        })
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    #[test]
    fn rows_back_to_back_are_located_in_two_bytes_each_and_read_the_same() {
        let data = b"d,a\nd,bb\r\nd,c\nt,x\nd,e";
        // Every row (line ends between them): packed.
        let all = vec![(0, 3), (4, 4), (10, 3), (14, 3), (18, 3)];
        let dense = Located::of(all.clone(), data);
        assert!(matches!(dense, Located::Packed { .. }));
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
        // A byte finds its row; a byte between rows (a row left out) none.
        assert_eq!(sparse.row_at(11), Some(1));
        assert_eq!(sparse.row_at(5), None);
        assert_eq!(dense.row_at(9), Some(1));
    }

    /// `n` rows back to back, each `len` bytes and a newline: the data and the rows.
    fn rows_of(n: usize, len: usize) -> (Vec<u8>, Vec<(u32, u32)>) {
        let mut data = Vec::new();
        let mut rows = Vec::new();
        for i in 0..n {
            rows.push((data.len() as u32, len as u32));
            data.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, len));
            data.push(b'\n');
        }
        (data, rows)
    }

    /// Every row of `located` reads back as `rows` gave it (with its newline), and every byte
    /// of a row finds it.
    fn reads_back(located: &Located, rows: &[(u32, u32)]) {
        assert_eq!(located.len(), rows.len());
        for (i, &(at, len)) in rows.iter().enumerate() {
            let (got_at, got_len) = located.get(i).expect("row");
            assert_eq!(got_at, at, "row {i}");
            let last = i + 1 == rows.len();
            assert_eq!(got_len, if last { len } else { len + 1 }, "row {i}");
            for byte in [at, at + len / 2, at + len - 1] {
                assert_eq!(located.row_at(byte), Some(i), "byte {byte}");
            }
        }
        assert_eq!(located.get(rows.len()), None);
    }

    #[test]
    fn groups_of_rows_past_the_reach_of_16_bits_keep_4_bytes_a_row() {
        // Many groups of short rows: packed, read back across group edges.
        let (data, rows) = rows_of(GROUP * 5 + 3, 40);
        let packed = Located::of(rows.clone(), &data);
        assert!(matches!(packed, Located::Packed { .. }));
        reads_back(&packed, &rows);
        // Rows of 5,000 bytes: a group of 16 spans 80 KB, beyond 16 bits: dense.
        let (data, rows) = rows_of(GROUP * 2 + 1, 5_000);
        let dense = Located::of(rows.clone(), &data);
        assert!(matches!(dense, Located::Dense { .. }));
        reads_back(&dense, &rows);
    }

    /// The index the loader builds for a file of `text` (in the directory returned, which goes
    /// with it), its rows read back: (line, fields).
    pub(in crate::tui::views::rows) fn indexed(
        text: &str,
        chunk_size: usize,
    ) -> (tempfile::TempDir, RowIndex, Vec<(u64, Vec<String>)>) {
        use crate::tui::loader::{ROW_CAP, Scanner, Spec};
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("acct.csv");
        std::fs::write(&path, text).expect("write");
        let spec = Spec {
            paths: vec![path],
            filter: crate::filter::Filter::default(),
            follow: false,
            chunk_size,
            block: 1,
            mmap: true,
            row_cap: ROW_CAP,
            classifier: Arc::new(crate::classify::Classifier::builtin()),
            plan: crate::connections::plan(crate::rollup::Rollup::default(), None),
            params: crate::analysis::AnalysisParams::default(),
            budget: None,
            #[cfg(feature = "testing")]
            panic_in_worker: false,
        };
        let mut s = Scanner::new(spec, 0, None);
        assert!(s.initial(&std::sync::atomic::AtomicBool::new(false), |_| {}));
        let idx = s.snapshot().rows;
        let mut reader = crate::tui::reader::Reader::default();
        let rows = (0..idx.len)
            .map(|i| {
                let r = reader.read(&idx.get(i).expect("located"));
                assert!(r.error.is_none(), "{:?}", r.error);
                (r.line, r.values)
            })
            .collect();
        (dir, idx, rows)
    }

    #[test]
    fn offsets_and_lines_hold_with_quoted_newlines_crlf_and_a_broken_row() {
        let text = "type,timeLogged,rcpt,dsnDiag\r\n\
                    d,2026-01-14 10:00:00+0000,a@x.example,\"smtp;250 ok\"\r\n\
                    t,2026-01-14 10:00:01+0000,b@x.example,\"smtp;421 first\r\nsecond line\"\r\n\
                    zz,broken row\r\n\
                    d,2026-01-14 10:00:02+0000,c@x.example,\"said \"\"hi\"\"\"\r\n\
                    d,2026-01-14 10:00:03+0000,d@x.example,no newline at the end";
        // one piece, and pieces of a few rows each (rows cut across pieces)
        for chunk in [1 << 16, 64] {
            let (_dir, idx, rows) = indexed(text, chunk);
            assert_eq!(idx.len, 4, "the broken row is not listed (chunk {chunk})");
            let got: Vec<(u64, &str, &str)> = rows
                .iter()
                .map(|(line, v)| (*line, v[2].as_str(), v[3].as_str()))
                .collect();
            assert_eq!(
                got,
                vec![
                    (2, "a@x.example", "smtp;250 ok"),
                    (3, "b@x.example", "smtp;421 first\r\nsecond line"),
                    (6, "c@x.example", "said \"hi\""),
                    (7, "d@x.example", "no newline at the end"),
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn lines_are_kept_as_runs_of_consecutive_lines() {
        // a header, two rows, a row over two lines (a quoted newline), a row left out, a row
        let piece = b"h\nd,1\nd,2\nd,\"a\nb\"\nt,x\nd,3\n";
        let mut runs = LineRuns::default();
        for at in [2, 6, 10, 22] {
            runs.row(piece, at);
        }
        // rows 0-2 on lines 1, 2, 3 (0-based); row 3 on line 6
        assert_eq!(runs.runs, vec![(0, 1), (3, 6)]);
        let seg = Segment {
            line: 10,
            lines: runs.runs,
            ..Segment::default()
        };
        let lines: Vec<u64> = (0..4).map(|i| seg.line_of(i)).collect();
        assert_eq!(lines, vec![12, 13, 14, 17]);
    }
}
