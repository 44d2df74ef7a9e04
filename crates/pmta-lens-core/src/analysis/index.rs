//! The main scan's index of the rows the follow-up pass may want: where each attempt row of a
//! mapped file starts, with the 32-bit [`Sieve::hash`] of its recipient. With it the follow-up
//! reads only the rows whose recipient hashes like an RP-001 target's or a complainer's, not
//! every byte of the inputs again: on a large sender's day that second read was
//! a sixth of `summary`'s time, bound by memory bandwidth, not by the few rows it wanted.
//!
//! It costs 8 bytes per attempt row, so it is kept within a budget and dropped whole past it:
//! the follow-up then reads every input again as before. A file with a piece that could not be
//! indexed (read as a stream: standard input, a `.gz`; another header within) is read again
//! alone, in its place among the others. Either way the rows the follow-up hands on, and their
//! order, are the same.

use std::sync::Arc;

use crate::acct::discover::Input;
use crate::acct::guard::GuardedMap;
use crate::acct::header::{Col, Header};
use crate::acct::source::{MapCache, Opened};
use crate::model::RecordKind;
use crate::scan::{ChunkAt, Row, ScanReport};

use super::follow::Sieve;

/// The most bytes the index takes: 3 M attempt rows, about 1.7 GB of a large sender's log.
/// Past it, the follow-up reads the inputs again (as fast as memory streams them).
pub const BUDGET: usize = 24 << 20;

/// One piece's attempt rows, as the main scan found them.
#[derive(Debug)]
pub struct PieceIndex {
    /// The header every indexed row was read under.
    header: Option<Arc<Header>>,
    /// Per row: the recipient's [`Sieve::hash`] in the high 32 bits, the row's offset in the piece
    /// in the low 32.
    entries: Vec<u64>,
    /// `false` once a row could not be indexed (another header, an offset past 4 GiB).
    usable: bool,
}

impl Default for PieceIndex {
    fn default() -> Self {
        PieceIndex {
            header: None,
            entries: Vec::new(),
            usable: true,
        }
    }
}

impl PieceIndex {
    /// Notes a counted row if the follow-up could want it: an attempt, other than a queue's
    /// (`tq`), the kinds [`super::follow::Wanted::wants`] looks up by recipient.
    #[inline]
    pub fn row(&mut self, row: &Row<'_>) {
        let kind = row.keys.kind;
        if !self.usable || !kind.is_attempt() || kind == RecordKind::TransientQueue {
            return;
        }
        match &self.header {
            Some(h) if Arc::ptr_eq(h, row.header) => {}
            None => self.header = Some(Arc::clone(row.header)),
            Some(_) => return self.unusable(),
        }
        let Ok(offset) = u32::try_from(row.offset()) else {
            return self.unusable();
        };
        let hash = u64::from(Sieve::hash(row.get(Col::Rcpt)));
        self.entries.push(hash << 32 | u64::from(offset));
    }

    fn unusable(&mut self) {
        self.usable = false;
        self.entries = Vec::new();
    }
}

/// A piece's index, with where the piece is.
#[derive(Debug)]
struct Indexed {
    file: usize,
    offset: usize,
    len: usize,
    header: Arc<Header>,
    entries: Box<[u64]>,
}

/// Every piece's index, in input order, but for the files that could not be indexed; nothing
/// once the budget is spent.
#[derive(Debug)]
pub struct RowIndex {
    pieces: Vec<Indexed>,
    bytes: usize,
    budget: usize,
    over_budget: bool,
    /// Inputs with a piece that could not be indexed (read as a stream, another header within,
    /// past 4 GiB): the follow-up reads them again whole.
    unindexed: Vec<usize>,
}

impl RowIndex {
    pub fn new(budget: usize) -> RowIndex {
        RowIndex {
            pieces: Vec::new(),
            bytes: 0,
            budget,
            over_budget: false,
            unindexed: Vec::new(),
        }
    }

    /// Adds the next piece's index (pieces come in input order).
    pub fn add(&mut self, piece: PieceIndex, at: &ChunkAt<'_>) {
        if self.over_budget || self.unindexed.last() == Some(&at.file) {
            return;
        }
        let (Ok(offset), true, true) =
            (usize::try_from(at.offset), at.block.is_none(), piece.usable)
        else {
            // This file's pieces so far are the last ones kept: they go.
            while self.pieces.last().is_some_and(|p| p.file == at.file) {
                if let Some(p) = self.pieces.pop() {
                    self.bytes -= p.entries.len() * size_of::<u64>();
                }
            }
            self.unindexed.push(at.file);
            return;
        };
        let bytes = self.bytes + piece.entries.len() * size_of::<u64>();
        if bytes > self.budget {
            self.over_budget = true;
            self.pieces = Vec::new();
            return;
        }
        // A piece without attempt rows has nothing to read again.
        let Some(header) = piece.header else { return };
        self.bytes = bytes;
        self.pieces.push(Indexed {
            file: at.file,
            offset,
            len: at.data.len(),
            header,
            entries: piece.entries.into_boxed_slice(),
        });
    }

    /// Heap bytes held (for tests).
    pub fn heap_bytes(&self) -> usize {
        self.bytes
    }

    /// How the follow-up reads the inputs, in input order: the indexed pieces of a file, each
    /// with its bytes mapped again, or the file read again whole when it could not be indexed,
    /// failed, shrank or no longer maps as the scan read it. `None` past the budget: every
    /// input is read again.
    pub fn plan<'a>(
        &'a self,
        inputs: &[Input],
        maps: &MapCache,
        mmap: bool,
        report: &ScanReport,
    ) -> Option<Vec<Step<'a>>> {
        if self.over_budget {
            return None;
        }
        let mut steps = Vec::new();
        let mut pieces = self.pieces.iter().peekable();
        for (file, input) in inputs.iter().enumerate() {
            let mine: Vec<&Indexed> =
                std::iter::from_fn(|| pieces.next_if(|p| p.file == file)).collect();
            match revisits(file, input, &mine, maps, mmap, report) {
                Some(r) if !self.unindexed.contains(&file) => steps.push(Step::Revisit(r)),
                _ => match steps.last_mut() {
                    // Files read again one after another go through one pass.
                    Some(Step::Reread(range)) if range.end == file => range.end = file + 1,
                    _ => steps.push(Step::Reread(file..file + 1)),
                },
            }
        }
        Some(steps)
    }
}

/// The indexed pieces of input `file` with its bytes mapped again, if it reads as the scan read
/// it: not failed, not cut short since (nor rewritten, which no check could tell, and which
/// would change a second read as much), mapped whole.
fn revisits<'a>(
    file: usize,
    input: &Input,
    pieces: &[&'a Indexed],
    maps: &MapCache,
    mmap: bool,
    report: &ScanReport,
) -> Option<Vec<Revisit<'a>>> {
    let f = report.files.get(file)?;
    if f.partial || f.error.is_some() {
        return None;
    }
    if pieces.is_empty() {
        return Some(Vec::new());
    }
    let Opened::Mapped(whole) = maps.open(input, mmap).ok()? else {
        return None;
    };
    if whole.shrunk_to(&input.path).is_some() {
        return None;
    }
    pieces
        .iter()
        .map(|p| {
            (whole.len() >= p.offset.checked_add(p.len)?).then(|| Revisit {
                map: Arc::clone(&whole),
                piece: p,
            })
        })
        .collect()
}

/// One input in the follow-up's plan.
#[derive(Debug)]
pub enum Step<'a> {
    /// Its indexed pieces (none: it has no attempt rows).
    Revisit(Vec<Revisit<'a>>),
    /// Inputs to read again whole, by their indices.
    Reread(std::ops::Range<usize>),
}

/// One piece to read again: its file's mapping and its index.
#[derive(Debug)]
pub struct Revisit<'a> {
    map: Arc<GuardedMap>,
    piece: &'a Indexed,
}

impl Revisit<'_> {
    pub fn data(&self) -> &[u8] {
        &self.map[self.piece.offset..self.piece.offset + self.piece.len]
    }

    pub fn header(&self) -> &Arc<Header> {
        &self.piece.header
    }

    /// The offsets of the rows whose recipient's hash `wanted` says may be wanted, ascending.
    pub fn offsets(&self, wanted: impl Fn(u32) -> bool) -> impl Iterator<Item = usize> {
        self.piece
            .entries
            .iter()
            .filter(move |&&e| wanted((e >> 32) as u32))
            .map(|&e| (e & u64::from(u32::MAX)) as usize)
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;
    use crate::acct::discover::InputKind;
    use crate::aggregate;
    use crate::analysis::{
        Analyses, AnalysisInput, AnalysisParams, analyze_collected, scan_collecting,
    };
    use crate::classify::Classifier;
    use crate::filter::Filter;
    use crate::scan::ScanOptions;

    const HEADER: &str =
        "type,timeLogged,rcpt,dsnStatus,dsnDiag,vmta,dlvSourceIp,jobId,queue,dlvEsmtpAvailable";

    /// A seeded hour of one Microsoft domain's recipients: RP-001 deferrals, retries soon and
    /// late, deliveries, complaints, recipients written in several cases, quoted commas and
    /// newlines, CRLF; with `queues`, RP-001s of whole queues too; with `second_header`, a header
    /// line with the columns in another order halfway.
    fn day(seed: u64, queues: bool, second_header: bool) -> String {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut out = format!("{HEADER}\n");
        let mut reordered = false;
        for i in 0..3000u64 {
            if second_header && i == 1500 {
                out.push_str("type,rcpt,timeLogged,dsnStatus,dsnDiag,vmta,dlvSourceIp,jobId,queue,dlvEsmtpAvailable\n");
                reordered = true;
            }
            // Recipients 0..60 are deferred with RP-001 and 0..30 complain; the others are
            // rows the follow-up does not want.
            let n = rng.u32(0..400);
            let rcpt = match rng.u8(0..4) {
                0 => format!("User{n}@Hotmail.COM"),
                _ => format!("user{n}@hotmail.com"),
            };
            let h = i / 3600;
            let time = format!("2026-11-20 {h:02}:{:02}:{:02}+0000", (i / 60) % 60, i % 60);
            let ip = format!("192.0.2.{}", rng.u8(1..4));
            let pick = match rng.u8(0..10) {
                0..=2 if n >= 60 => 9,
                4 if n >= 30 => 9,
                p => p,
            };
            let (kind, status, diag) = match pick {
                0..=2 => (
                    "t",
                    "4.7.0 (deferred)",
                    format!(
                        "\"smtp;421 4.7.0 RP-001 (BAY004-MC5F12) Unfortunately, some messages from [{ip}] weren't sent.\""
                    ),
                ),
                3 if queues => (
                    "tq",
                    "4.7.0 (deferred)",
                    "\"smtp;421 RP-001 (SNT0) Unfortunately, later\"".to_string(),
                ),
                4 => ("f", "", String::new()),
                5 => (
                    "d",
                    "2.0.0 (success)",
                    "\"smtp;250 ok\nqueued, as 1\"".into(),
                ),
                6 => ("b", "5.1.1 (bad)", "smtp;550 5.1.1 no such user".into()),
                _ => ("d", "2.0.0 (success)", format!("smtp;250 2.0.0 OK {i}")),
            };
            let rcpt = if kind == "tq" { String::new() } else { rcpt };
            let (a, b) = if reordered {
                (&rcpt, &time)
            } else {
                (&time, &rcpt)
            };
            // `writeln!` adds the `\n`.
            let end = if rng.bool() { "\r" } else { "" };
            let (vmta, job) = (rng.u8(1..3), rng.u8(0..5));
            writeln!(
                out,
                "{kind},{a},{b},{status},{diag},vmta-{vmta},{ip},job-{job},hotmail.com/vmta-1,\"SIZE 1,8BITMIME\"{end}"
            )
            .expect("to a string");
        }
        out
    }

    /// The analyses of `text` read in pieces of `chunk` bytes: with the scan's index under
    /// `budget`, and with the follow-up reading the file again; and the index's plan.
    fn both_ways(text: &str, chunk: usize, budget: usize) -> (Analyses, Analyses, String) {
        both_ways_of(&[("acct.csv", text.as_bytes().to_vec())], chunk, budget)
    }

    /// [`both_ways`] over several files (a name ending in `.gz` is a compressed input); the
    /// plan as `i` (an input's pieces revisited) and `r` (inputs read again) per step.
    fn both_ways_of(
        files: &[(&str, Vec<u8>)],
        chunk: usize,
        budget: usize,
    ) -> (Analyses, Analyses, String) {
        let dir = tempfile::tempdir().expect("temp dir");
        let inputs: Vec<Input> = files
            .iter()
            .map(|(name, bytes)| {
                let path = dir.path().join(name);
                std::fs::write(&path, bytes).expect("write");
                let kind = if name.to_ascii_lowercase().ends_with(".gz") {
                    InputKind::Gzip
                } else {
                    InputKind::Plain
                };
                Input { path, kind }
            })
            .collect();
        let opts = ScanOptions {
            chunk_size: chunk,
            ..ScanOptions::default()
        }
        .sharing_maps();
        let classifier = Classifier::builtin();
        let filter = Filter::default();
        let plan = Arc::new(aggregate::Plan::default());
        let params = AnalysisParams::default();
        let (result, collected, rows) =
            scan_collecting(&inputs, &opts, &classifier, &filter, &plan, &params, budget);
        let ctx = AnalysisInput {
            inputs: &inputs,
            opts: &opts,
            classifier: &classifier,
            filter: &filter,
            rollup: &plan.rollup,
            scan: &result,
            params: &params,
        };
        let maps = opts.maps.as_deref().expect("shared maps");
        let steps = match rows.plan(&inputs, maps, true, &result.report) {
            None => "none".to_string(),
            Some(steps) => steps
                .iter()
                .map(|s| match s {
                    Step::Revisit(_) => "i".to_string(),
                    Step::Reread(r) => format!("r{}-{}", r.start, r.end),
                })
                .collect::<Vec<_>>()
                .join(" "),
        };
        let indexed = analyze_collected(&ctx, collected.clone(), Some(rows));
        let again = analyze_collected(&ctx, collected, None);
        (indexed, again, steps)
    }

    /// The analyses the follow-up feeds are the same.
    fn assert_same(indexed: &Analyses, again: &Analyses, case: &str) {
        assert_eq!(indexed.retry_hygiene, again.retry_hygiene, "{case}");
        assert_eq!(indexed.complaints, again.complaints, "{case}");
        assert_eq!(indexed.findings, again.findings, "{case}");
    }

    #[test]
    fn the_index_finds_the_rows_a_second_read_finds() {
        for seed in 1..4 {
            let text = day(seed, false, false);
            for chunk in [300, 4096, 1 << 20] {
                let (indexed, again, steps) = both_ways(&text, chunk, BUDGET);
                assert_eq!(
                    steps, "i",
                    "seed {seed}, chunk {chunk}: the index was dropped"
                );
                assert_same(&indexed, &again, &format!("seed {seed}, chunk {chunk}"));
                // There are retries and complaints to find, so the comparison means something.
                assert!(again.retry_hygiene.recipients.retried > 0);
                assert!(again.complaints.matched > 0);
            }
        }
    }

    #[test]
    fn without_a_usable_index_the_inputs_are_read_again_to_the_same_result() {
        // Over budget: dropped whole.
        let text = day(7, false, false);
        let (indexed, again, steps) = both_ways(&text, 4096, 64);
        assert_eq!(steps, "none");
        assert_same(&indexed, &again, "over budget");
        // A piece with two headers cannot be read again by offset alone: its file is read
        // again whole.
        let (indexed, again, steps) = both_ways(&day(8, false, true), 1 << 20, BUDGET);
        assert_eq!(steps, "r0-1");
        assert_same(&indexed, &again, "two headers");
        // RP-001s of queues: every attempt may be a retry, whatever its recipient.
        let text = day(9, true, false);
        assert!(text.contains("\ntq,"));
        let (indexed, again, _) = both_ways(&text, 4096, BUDGET);
        assert_same(&indexed, &again, "queues");
        assert!(again.retry_hygiene.queues.rp001 > 0);
    }

    #[test]
    fn a_compressed_rotation_among_plain_files_is_read_again_alone() {
        // One day cut in three files, the middle one compressed (read as a stream: no index),
        // so retries and deliveries are followed across files both ways.
        let text = day(11, false, false);
        let lines: Vec<&str> = text.lines().collect();
        let third = lines.len() / 3;
        let part = |from: usize, to: usize| {
            let mut out = format!("{HEADER}\n");
            for l in &lines[from.max(1)..to] {
                out.push_str(l);
                out.push('\n');
            }
            out.into_bytes()
        };
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &part(third, 2 * third)).expect("gzip");
        let files = [
            ("a.csv", part(1, third)),
            ("b.csv.gz", gz.finish().expect("gzip")),
            ("c.csv", part(2 * third, lines.len())),
            ("d.csv", Vec::new()),
        ];
        for chunk in [4096, 1 << 20] {
            let (indexed, again, steps) = both_ways_of(&files, chunk, BUDGET);
            assert_eq!(steps, "i r1-2 i i", "chunk {chunk}");
            assert_same(&indexed, &again, &format!("mixed, chunk {chunk}"));
            assert!(again.retry_hygiene.recipients.retried > 0);
            assert!(again.complaints.matched > 0);
        }
    }
}
