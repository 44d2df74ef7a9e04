//! The one driver of every pass: opens the inputs (mapped files; gzip, standard input and pipes
//! decompressed and read ahead on threads of their own, several at once), cuts them into
//! record-aligned pieces, decides the header each piece starts under, scans a window of pieces
//! in parallel and hands each piece's state to the caller in input order, with its file, byte
//! offset and first line. Memory is bounded by the window, whatever the inputs' size.
//!
//! Headers: a mapped file's pieces start *speculatively* with the header the window opens with
//! (searching every file for `type,` lines first cost a good part of a scan); a window whose
//! guess fails (a `record-fields` change in mid-file) is scanned again with its headers found
//! exactly, and since the workers' counts then hold part of it twice, they are redone at the end
//! from the start, exactly, without delivering anything twice. Streams arrive block by block:
//! their header lines are found exactly (cheap next to decompression).

mod grow;
mod open;
mod sink;
mod window;

pub use sink::Sink;
pub use window::Ahead;
use window::{Scanned, Window, exact_headers, guess_headers, merged, scan_pieces, unreport};

use std::io;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, PoisonError};

use super::follow::Followed;
use super::{Engine, FileReport, MAX_SAMPLES, Malformed, ScanOptions, ScanReport};
use crate::acct::discover::{Input, InputKind};
use crate::acct::guard::GuardedMap;
use crate::acct::header::Header;
use crate::acct::source::Block;

/// The largest block a stream is read in.
const STREAM_BLOCK: usize = 1 << 20;

/// Where a piece of input was, as its state is handed back.
#[derive(Debug)]
pub struct ChunkAt<'a> {
    /// Index of the input.
    pub file: usize,
    /// Offset of the piece's first byte in the input (decompressed, for a stream).
    pub offset: u64,
    /// 0-based line number of the piece's first line.
    pub line: u64,
    /// The piece's bytes.
    pub data: &'a [u8],
    /// For a stream, the block the bytes are in, for a consumer that keeps them.
    pub block: Option<&'a Arc<Vec<u8>>>,
}

/// What one [`Driver::step`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Read a window; there may be more.
    More,
    /// Nothing to read now (following: the files may grow).
    Idle,
    /// Every input was read.
    Done,
    /// The consumer asked to stop.
    Stopped,
}

/// Where in an input reading starts: a byte offset at the start of a line, and that line's
/// number (0-based), so that the lines of what is read are numbered as in the whole file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Start {
    pub offset: u64,
    pub line: u64,
}

/// How an input is being read.
enum Source {
    Unopened,
    Mapped {
        map: Arc<GuardedMap>,
        /// Piece starts from the read position on, and where the readable part ends.
        starts: Vec<usize>,
        next: usize,
        end: usize,
    },
    Stream(Receiver<io::Result<Block>>),
    Done,
}

/// One input and how far it was read.
struct Cursor {
    input: Input,
    source: Source,
    /// Bytes scanned so far (decompressed, for a stream).
    offset: u64,
    line: u64,
    /// The header in effect at `offset`.
    header: Option<Arc<Header>>,
    /// Find this file's header lines exactly (a guess failed).
    exact: bool,
    /// The mapped file shrank while it was read: the byte offset of the last whole line kept.
    cut: Option<usize>,
    /// Following: the file, held open (see `scan::follow`).
    followed: Option<Followed>,
    /// Where to start reading a mapped file ([`Driver::start_at`]).
    start: Option<Start>,
}

impl Cursor {
    fn new(input: Input) -> Cursor {
        Cursor {
            input,
            source: Source::Unopened,
            offset: 0,
            line: 0,
            header: None,
            exact: false,
            cut: None,
            followed: None,
            start: None,
        }
    }
}

/// One piece of a window: its bytes and, for a stream, the block that owns them.
struct Piece<'a> {
    data: &'a [u8],
    block: Option<&'a Arc<Vec<u8>>>,
    /// Bytes of the input up to the piece's end that are not in it (see [`Block::skipped`]).
    skipped: u64,
}

/// Reads inputs for one pass; see the module documentation.
pub struct Driver<F> {
    opts: ScanOptions,
    /// Leave a last line without its newline for later (the file is being written).
    follow: bool,
    cursors: Vec<Cursor>,
    /// Index of the first input not read to its end.
    current: usize,
    /// One state per worker thread.
    folds: Vec<Mutex<Option<F>>>,
    /// A window was scanned twice: the folds must be redone from the start.
    redo: bool,
    report: ScanReport,
    /// Following: every name an input has had, with its index (a `.gz` of one of them is not
    /// read again).
    former: Vec<(PathBuf, usize)>,
    /// Following: the compressed copies already reported (each is reported once).
    compressed: Vec<PathBuf>,
    /// Following: [`Self::grow`] has looked once (the first read is over).
    looked: bool,
}

impl<F: Send> Driver<F> {
    /// A driver over `inputs` (nothing is opened yet). Uses the current rayon pool.
    pub fn new(inputs: &[Input], opts: &ScanOptions) -> Driver<F> {
        let mut d = Driver {
            opts: opts.clone(),
            follow: false,
            cursors: Vec::new(),
            current: 0,
            folds: (0..rayon::current_num_threads().max(1))
                .map(|_| Mutex::new(None))
                .collect(),
            redo: false,
            report: ScanReport::default(),
            former: Vec::new(),
            compressed: Vec::new(),
            looked: false,
        };
        for input in inputs {
            d.add_input(input.clone());
        }
        d
    }

    /// Leaves the last line of a file without its newline unread, and keeps files open for
    /// what is appended (see [`Self::grow`]).
    #[must_use]
    pub fn following(mut self, follow: bool) -> Self {
        self.follow = follow;
        self
    }

    /// Adds an input after the others (a file that rotation created), read from its start.
    pub fn add_input(&mut self, input: Input) {
        self.report.files.push(FileReport {
            path: input.display(),
            ..FileReport::default()
        });
        self.former.push((input.path.clone(), self.cursors.len()));
        self.cursors.push(Cursor::new(input));
    }

    /// Reads input `i` (a mapped file) from `start` on, as if what is before had been read: the
    /// header in effect there is the last header line before it, and lines are numbered from
    /// `start.line`. An offset past the file's end reads nothing. A stream cannot skip what it
    /// decompresses: it is read from its start whatever `start` says (its consumer drops what it
    /// has seen). Call before the first step.
    pub fn start_at(&mut self, i: usize, start: Start) {
        if let Some(c) = self.cursors.get_mut(i) {
            c.start = Some(start);
        }
    }

    pub fn inputs(&self) -> impl Iterator<Item = &Input> {
        self.cursors.iter().map(|c| &c.input)
    }

    pub fn report(&self) -> &ScanReport {
        &self.report
    }

    /// The bytes still to read, when every input's size is known: a file mapped or not yet
    /// opened (its size now), not a stream (standard input, a `.gz`), whose length is known
    /// only at its end. A front end uses it to leave out a snapshot that the complete one
    /// would follow at once.
    pub fn bytes_left(&self) -> Option<u64> {
        self.cursors.iter().try_fold(0u64, |sum, c| {
            let left = match &c.source {
                Source::Done => 0,
                Source::Mapped {
                    starts, next, end, ..
                } => end.saturating_sub(starts.get(*next).copied().unwrap_or(*end)) as u64,
                Source::Unopened if c.input.kind == InputKind::Plain => {
                    let meta = std::fs::metadata(&c.input.path).ok()?;
                    // A pipe or device is read as a stream.
                    meta.is_file().then_some(meta.len())?
                }
                Source::Unopened | Source::Stream(_) => return None,
            };
            Some(sum.saturating_add(left))
        })
    }

    /// How many inputs are being read as streams right now (decompressing ahead).
    #[cfg(test)]
    pub(super) fn streams_reading(&self) -> usize {
        self.cursors
            .iter()
            .filter(|c| matches!(c.source, Source::Stream(_)))
            .count()
    }

    /// Reads and scans the next window of pieces, handing each piece's state to `consume` in
    /// input order.
    pub fn step<S, C>(&mut self, eng: &Engine<'_>, sink: &S, consume: &mut C) -> Step
    where
        S: Sink<Fold = F>,
        C: FnMut(S::Chunk, &ChunkAt<'_>) -> ControlFlow<()>,
    {
        match self.next_window(eng, sink, true) {
            Ok(scanned) => {
                if scanned.deliver(consume) {
                    Step::Stopped
                } else {
                    Step::More
                }
            }
            Err(step) => step,
        }
    }

    /// [`Self::step`], handing on the window scanned by the previous call (kept in `ahead`)
    /// while this one's is scanned, as [`Self::run`] does; the last window is handed on when
    /// there is no next one.
    pub fn step_ahead<S, C>(
        &mut self,
        eng: &Engine<'_>,
        sink: &S,
        consume: &mut C,
        ahead: &mut Ahead<S::Chunk>,
    ) -> Step
    where
        S: Sink<Fold = F>,
        C: FnMut(S::Chunk, &ChunkAt<'_>) -> ControlFlow<()> + Send,
    {
        let (next, stopped) = match ahead.0.take() {
            None => (self.next_window(eng, sink, true), false),
            Some(scanned) => rayon::join(
                || self.next_window(eng, sink, true),
                || scanned.deliver(consume),
            ),
        };
        match next {
            _ if stopped => Step::Stopped,
            Ok(scanned) => {
                ahead.0 = Some(scanned);
                Step::More
            }
            Err(step) => step,
        }
    }

    /// Reads and scans the next window; `Err` says why there is none. With `deliver` false
    /// (recounting), nothing is reported or handed back.
    fn next_window<S>(
        &mut self,
        eng: &Engine<'_>,
        sink: &S,
        deliver: bool,
    ) -> Result<Scanned<S::Chunk>, Step>
    where
        S: Sink<Fold = F>,
    {
        let threads = self.folds.len();
        // A stream's read error, recorded after the blocks read before it are counted.
        let mut failed = None;
        while self.current < self.cursors.len() {
            let i = self.current;
            if matches!(self.cursors[i].source, Source::Unopened) {
                self.open(i);
                self.read_ahead_from(i + 1);
            }
            self.check_shrink(i);
            let window = match &mut self.cursors[i].source {
                Source::Mapped {
                    map,
                    starts,
                    next,
                    end,
                } => {
                    if *next >= starts.len() {
                        if self.follow {
                            // Stay on this file: later ones are read once it stops growing.
                            self.current += 1;
                            continue;
                        }
                        self.cursors[i].source = Source::Done;
                        self.current += 1;
                        continue;
                    }
                    let take = (threads * 4).min(starts.len() - *next);
                    let bounds: Vec<(usize, usize)> = (*next..*next + take)
                        .map(|k| (starts[k], starts.get(k + 1).copied().unwrap_or(*end)))
                        .collect();
                    *next += take;
                    Window::Mapped(Arc::clone(map), bounds)
                }
                Source::Stream(rx) => {
                    let mut blocks = Vec::new();
                    let mut ended = false;
                    while blocks.len() < threads * 2 {
                        match rx.recv() {
                            Ok(Ok(b)) => blocks.push(b),
                            Ok(Err(e)) => {
                                failed = Some(e);
                                break;
                            }
                            Err(_) => {
                                ended = true;
                                break;
                            }
                        }
                    }
                    if failed.is_some() || ended {
                        self.cursors[i].source = Source::Done;
                        self.current += 1;
                    }
                    if blocks.is_empty() {
                        if let Some(e) = failed.take() {
                            self.fail(i, e, deliver);
                        }
                        continue;
                    }
                    Window::Stream(blocks)
                }
                Source::Done | Source::Unopened => {
                    self.current += 1;
                    continue;
                }
            };
            let scanned = self.scan_window(i, eng, sink, window, deliver);
            if let Some(e) = failed {
                self.fail(i, e, deliver);
            }
            return Ok(scanned);
        }
        Err(if self.follow { Step::Idle } else { Step::Done })
    }

    /// Scans one window of input `i`, counts its pieces in the report and moves the input's
    /// position on; the pieces' states come back to be handed on in order.
    fn scan_window<S>(
        &mut self,
        i: usize,
        eng: &Engine<'_>,
        sink: &S,
        window: Window,
        deliver: bool,
    ) -> Scanned<S::Chunk>
    where
        S: Sink<Fold = F>,
    {
        let pieces = window.pieces();
        let initial = self.cursors[i].header.clone();
        let exact = self.cursors[i].exact || matches!(window, Window::Stream(_));
        let progress = self.opts.progress.as_deref().filter(|_| deliver);
        let guess = if exact {
            exact_headers(&pieces, initial.clone())
        } else {
            guess_headers(&pieces, initial.clone())
        };
        let mut done = scan_pieces(&self.folds, eng, sink, &pieces, &guess.headers, progress);
        if !guess.held(&done) {
            // A header line changed the columns inside the window: scan it again with its
            // headers found exactly. The folds now count part of it twice: redo them at the end.
            unreport(progress, &done);
            self.cursors[i].exact = true;
            self.redo = true;
            let exact = exact_headers(&pieces, initial);
            done = scan_pieces(&self.folds, eng, sink, &pieces, &exact.headers, progress);
        }
        let skips: Vec<u64> = pieces.iter().map(|p| p.skipped).collect();
        drop(pieces);
        // The file may have shrunk while this window was read: pieces past the cut read zeros
        // (see `acct::guard`), which are not rows of the file and not malformed ones.
        let past_cut: Vec<bool> = match &window {
            Window::Mapped(_, bounds) => {
                self.check_shrink(i);
                let cut = self.cursors[i].cut.unwrap_or(usize::MAX);
                bounds.iter().map(|&(s, _)| s >= cut).collect()
            }
            Window::Stream(_) => Vec::new(),
        };
        let mut states = Vec::with_capacity(done.len());
        for (k, ((state, mut rep), skipped)) in done.into_iter().zip(skips).enumerate() {
            if past_cut.get(k) == Some(&true) {
                rep.malformed = 0;
                rep.samples.clear();
            }
            let c = &mut self.cursors[i];
            let (offset, line) = (c.offset, c.line);
            c.offset += rep.bytes + skipped;
            c.line += rep.lines;
            c.header = rep.header;
            if !deliver {
                // Recounting: only the position moves on.
                continue;
            }
            let f = &mut self.report.files[i];
            f.records += rep.records;
            f.malformed += rep.malformed;
            f.bytes += rep.bytes + skipped;
            self.report.malformed += rep.malformed;
            for (l, reason) in rep.samples {
                if self.report.malformed_samples.len() < MAX_SAMPLES {
                    self.report.malformed_samples.push(Malformed {
                        path: f.path.clone(),
                        line: line + l + 1,
                        reason,
                    });
                }
            }
            states.push((state, offset, line));
        }
        Scanned {
            file: i,
            window,
            states,
        }
    }

    /// Merges the workers' folds into one (redoing them first if a window was scanned twice)
    /// and returns a copy: for a front end that shows a complete scan and keeps following.
    pub fn settle<S>(&mut self, eng: &Engine<'_>, sink: &S) -> F
    where
        S: Sink<Fold = F>,
        F: Clone,
    {
        if self.redo {
            self.recount(eng, sink);
            self.redo = false;
        }
        let mut all = sink.new_fold();
        for slot in &self.folds {
            if let Some(f) = slot.lock().unwrap_or_else(PoisonError::into_inner).take() {
                sink.merge(&mut all, f);
            }
        }
        let copy = all.clone();
        *self.folds[0].lock().unwrap_or_else(PoisonError::into_inner) = Some(all);
        copy
    }

    /// Reads every input to its end (or until `consume` stops), then merges the workers' folds.
    /// Each window's pieces are handed to `consume` while the next window is scanned.
    pub fn run<S, C>(mut self, eng: &Engine<'_>, sink: &S, mut consume: C) -> (F, ScanReport)
    where
        S: Sink<Fold = F>,
        C: FnMut(S::Chunk, &ChunkAt<'_>) -> ControlFlow<()> + Send,
    {
        let mut ready: Option<Scanned<S::Chunk>> = None;
        loop {
            let (next, stopped) = match ready.take() {
                None => (self.next_window(eng, sink, true), false),
                Some(scanned) => rayon::join(
                    || self.next_window(eng, sink, true),
                    || scanned.deliver(&mut consume),
                ),
            };
            match next {
                Ok(scanned) if !stopped => ready = Some(scanned),
                _ => break,
            }
        }
        self.finish(eng, sink)
    }

    /// [`Self::run`] for a consumer that cannot move to another thread (one that writes to
    /// standard output): each window is handed on before the next is scanned.
    pub fn run_in_order<S, C>(
        mut self,
        eng: &Engine<'_>,
        sink: &S,
        mut consume: C,
    ) -> (F, ScanReport)
    where
        S: Sink<Fold = F>,
        C: FnMut(S::Chunk, &ChunkAt<'_>) -> ControlFlow<()>,
    {
        while self.step(eng, sink, &mut consume) == Step::More {}
        self.finish(eng, sink)
    }

    /// Every worker's fold taken out, merged into one, while the scan goes on (the workers
    /// start new, small folds): a front end that shows snapshots reads it in place, then hands
    /// it back with [`Self::restore`], so that what it holds is one fold of everything seen
    /// plus what came since, never a copy (a large sender's day: tens of MB each). `None` when
    /// nothing was counted yet.
    pub fn take_consolidated<S>(&self, sink: &S) -> Option<F>
    where
        S: Sink<Fold = F>,
    {
        let mut all: Option<F> = None;
        // One lock at a time: a worker holds its slot while it scans a piece, never two.
        for slot in &self.folds {
            let taken = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
            match (&mut all, taken) {
                (Some(a), Some(f)) => sink.merge(a, f),
                (None, f) => all = f,
                (Some(_), None) => {}
            }
        }
        all
    }

    /// Gives back a fold taken with [`Self::take_consolidated`], with what the first worker
    /// counted meanwhile.
    pub fn restore<S>(&self, sink: &S, mut all: F)
    where
        S: Sink<Fold = F>,
    {
        let mut first = self.folds[0].lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(f) = first.take() {
            sink.merge(&mut all, f);
        }
        *first = Some(all);
    }

    /// The workers' folds merged into one, taken out of the driver (redone first if a window
    /// was scanned twice): for a front end that shows a complete scan and reads no more.
    pub fn take_folds<S>(&mut self, eng: &Engine<'_>, sink: &S) -> F
    where
        S: Sink<Fold = F>,
    {
        if self.redo {
            self.recount(eng, sink);
            self.redo = false;
        }
        let folds = self
            .folds
            .iter()
            .filter_map(|slot| slot.lock().unwrap_or_else(PoisonError::into_inner).take());
        merged(sink, folds)
    }

    /// The workers' folds merged into one, and the report. Redoes the folds first if a window
    /// was scanned twice.
    pub fn finish<S>(mut self, eng: &Engine<'_>, sink: &S) -> (F, ScanReport)
    where
        S: Sink<Fold = F>,
    {
        if self.redo {
            self.recount(eng, sink);
        }
        let folds = self
            .folds
            .into_iter()
            .filter_map(|slot| slot.into_inner().unwrap_or_else(PoisonError::into_inner));
        (merged(sink, folds), self.report)
    }

    /// Counts every input again from the start, exactly where a guess failed, delivering
    /// nothing: the folds of a pass in which a window was scanned twice.
    fn recount<S>(&mut self, eng: &Engine<'_>, sink: &S)
    where
        S: Sink<Fold = F>,
    {
        for slot in &self.folds {
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }
        let exact: Vec<(bool, Option<Start>)> =
            self.cursors.iter().map(|c| (c.exact, c.start)).collect();
        let inputs: Vec<Input> = self.cursors.iter().map(|c| c.input.clone()).collect();
        let mut again: Driver<F> = Driver {
            opts: self.opts.quiet(),
            follow: self.follow,
            cursors: inputs.into_iter().map(Cursor::new).collect(),
            current: 0,
            folds: std::mem::take(&mut self.folds),
            redo: false,
            report: ScanReport::default(),
            former: Vec::new(),
            compressed: Vec::new(),
            looked: false,
        };
        for (c, (x, start)) in again.cursors.iter_mut().zip(exact) {
            c.exact = x;
            c.start = start;
        }
        again.report.files.clone_from(&self.report.files);
        while again.next_window(eng, sink, false).is_ok() {}
        self.folds = again.folds;
    }
}
