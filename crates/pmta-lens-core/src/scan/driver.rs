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

use std::io;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;

use super::follow::{FileId, FollowEvent, Followed, find_in, uncompressed_name};
use super::records::{ChunkReport, Target, scan_chunk};
use super::{Engine, FileReport, MAX_SAMPLES, Malformed, Progress, Row, ScanOptions, ScanReport};
use crate::acct::broken::header_line;
use crate::acct::chunk::{changes_header, header_start, split_points};
use crate::acct::discover::{Input, InputKind};
use crate::acct::guard::GuardedMap;
use crate::acct::header::{Col, Header};
use crate::acct::source::{BOM, Block, GzipEnd, Opened, open, read_ahead};
use crate::error::InputError;
use crate::model::RecordKind;

/// The largest block a stream is read in.
const STREAM_BLOCK: usize = 1 << 20;

/// What a pass does with rows. Each worker folds rows into its own [`Sink::Fold`] (merged at
/// the end: counts); each piece fills its own [`Sink::Chunk`], handed back in input order
/// (sequences, output, anything whose order matters or that must not be kept whole).
pub trait Sink: Sync {
    type Fold: Send;
    type Chunk: Send;

    fn new_fold(&self) -> Self::Fold;

    fn new_chunk(&self) -> Self::Chunk;

    fn merge(&self, into: &mut Self::Fold, from: Self::Fold);

    /// Whether a well-formed row of this type, with these fields, can matter to the sink: asked
    /// before the row's timestamp is parsed, its response classified and the filter applied, so
    /// a pass that needs few rows skips the rest cheaply. A declined row is counted neither as a
    /// record nor as malformed (such passes discard their report).
    #[inline]
    fn wants<'d>(&self, _kind: RecordKind, _field: &dyn Fn(Col) -> &'d [u8]) -> bool {
        true
    }

    /// Whether [`Self::skim`] can decline rows: then the scan offers it each single-line
    /// record before splitting it into fields.
    const SKIMS: bool = false;

    /// Whether a record (one line, without its line ending, `header` in effect) may matter:
    /// a conservative look at its raw bytes, cheaper than splitting it. `false` skips the row
    /// unread (as [`Self::wants`] does); when unsure, say `true`.
    #[inline]
    fn skim(&self, _line: &[u8], _header: &Header) -> bool {
        true
    }

    fn row(&self, fold: &mut Self::Fold, chunk: &mut Self::Chunk, row: &Row<'_>);
}

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

    pub fn inputs(&self) -> impl Iterator<Item = &Input> {
        self.cursors.iter().map(|c| &c.input)
    }

    pub fn report(&self) -> &ScanReport {
        &self.report
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

    /// Opens input `i`; a failure is reported and the input skipped.
    fn open(&mut self, i: usize) {
        if self.follow && self.opts.mmap && self.cursors[i].input.kind == InputKind::Plain {
            self.open_followed(i);
            return;
        }
        let input = &self.cursors[i].input;
        let opened = match &self.opts.maps {
            Some(cache) => cache.open(input, self.opts.mmap),
            None => open(input, self.opts.mmap),
        };
        let source = match opened {
            Ok(Opened::Mapped(map)) => {
                // A byte order mark before the header is no part of it.
                let bom = if map.starts_with(BOM) { BOM.len() } else { 0 };
                let end = if self.follow {
                    memchr::memrchr(b'\n', &map).map_or(0, |p| p + 1)
                } else {
                    map.len()
                }
                .max(bom);
                if let Some(p) = &self.opts.progress {
                    p.bytes_total.fetch_add(map.len() as u64, Ordering::Relaxed);
                }
                self.cursors[i].offset = bom as u64;
                self.report.files[i].bytes += bom as u64;
                Source::Mapped {
                    starts: split_points(&map[bom..end], self.opts.chunk_size)
                        .into_iter()
                        .map(|s| s + bom)
                        .collect(),
                    map,
                    next: 0,
                    end,
                }
            }
            Ok(Opened::Empty) => Source::Done,
            Ok(Opened::Stream(s)) => {
                let block = self.opts.chunk_size.clamp(64, STREAM_BLOCK);
                match read_ahead(s, block, self.folds.len() * 2) {
                    Ok(rx) => Source::Stream(rx),
                    Err(e) => {
                        self.fail(i, e, true);
                        Source::Done
                    }
                }
            }
            Err(e) => {
                self.report.files[i].error = Some(e.to_string());
                self.report.errors.push(e);
                Source::Done
            }
        };
        self.cursors[i].source = source;
    }

    /// Following: opens input `i` and keeps it open, mapped through its descriptor (an empty
    /// file stays open, with nothing to read yet). The mapping cache is bypassed: its mappings
    /// are found by path, and a followed file may not be at its path any more.
    fn open_followed(&mut self, i: usize) {
        let path = self.cursors[i].input.path.clone();
        match Followed::open(&path) {
            Ok((f, map)) => {
                self.cursors[i].followed = Some(f);
                // Past the first read, a failed header guess could not be redone: the redo
                // reads every file again from its start, and a truncated file no longer has
                // what was counted (see `Self::exact_from_now_on`).
                self.cursors[i].exact |= self.looked;
                self.cursors[i].source = Source::Done;
                if let Some(map) = map {
                    if let Some(p) = &self.opts.progress {
                        p.bytes_total.fetch_add(map.len() as u64, Ordering::Relaxed);
                    }
                    self.set_mapped(i, Arc::new(map), 0);
                }
            }
            Err(source) => {
                let e = InputError::Io { path, source };
                self.report.files[i].error = Some(e.to_string());
                self.report.errors.push(e);
                self.cursors[i].source = Source::Done;
            }
        }
    }

    /// Makes `map` the source of input `i`, read from byte `from` up to its last whole line
    /// (following: the last line may still be being written).
    fn set_mapped(&mut self, i: usize, map: Arc<GuardedMap>, from: usize) {
        let from = from.min(map.len());
        let end = memchr::memrchr(b'\n', &map[from..]).map_or(from, |p| from + p + 1);
        let starts = split_points(&map[from..end], self.opts.chunk_size)
            .into_iter()
            .map(|s| s + from)
            .collect();
        let c = &mut self.cursors[i];
        c.cut = None;
        if let Some(f) = &mut c.followed {
            f.remember(&map, end);
        }
        c.source = Source::Mapped {
            map,
            starts,
            next: 0,
            end,
        };
    }

    /// Starts reading ahead the streams after input `from`, so that several decompress at
    /// once (as many as there are workers).
    fn read_ahead_from(&mut self, from: usize) {
        let busy = self.cursors[self.current..from]
            .iter()
            .filter(|c| matches!(c.source, Source::Stream(_)))
            .count();
        let mut room = self.folds.len().saturating_sub(busy);
        for i in from..self.cursors.len() {
            if room == 0 {
                break;
            }
            let c = &self.cursors[i];
            if matches!(c.source, Source::Unopened)
                && c.input.kind != crate::acct::discover::InputKind::Plain
            {
                self.open(i);
                room -= 1;
            }
        }
    }

    /// Stops a mapped input at its last whole line when its file has shrunk since it was mapped
    /// (truncated or rewritten in place while being read): the pieces past the cut are dropped,
    /// the rows before it count, and, unless following (where `grow` starts the file again),
    /// the input gets an error saying what happened. Costs one `stat` per window.
    fn check_shrink(&mut self, i: usize) {
        let c = &mut self.cursors[i];
        let Source::Mapped {
            map,
            starts,
            next,
            end,
        } = &mut c.source
        else {
            return;
        };
        if c.cut.is_some() {
            return;
        }
        let Some(now) = map.shrunk_to(&c.input.path) else {
            return;
        };
        let size = usize::try_from(now).unwrap_or(usize::MAX).min(*end);
        let cut = memchr::memrchr(b'\n', &map[..size]).map_or(0, |p| p + 1);
        c.cut = Some(cut);
        *end = (*end).min(cut);
        starts.retain(|&s| s < cut);
        *next = (*next).min(starts.len());
        if self.follow {
            return;
        }
        let e = InputError::Shrank {
            path: c.input.path.clone(),
            from: map.len() as u64,
            to: now,
        };
        self.report.files[i].error = Some(e.to_string());
        self.report.files[i].partial = true;
        self.report.errors.push(e);
    }

    /// Records a read error of input `i` (what was read before it counts, and the report says
    /// so when there was any).
    fn fail(&mut self, i: usize, source: io::Error, deliver: bool) {
        if !deliver {
            return;
        }
        let path = self.cursors[i].input.path.clone();
        let f = &mut self.report.files[i];
        let e = match GzipEnd::of(&source) {
            Some(GzipEnd::Truncated) => InputError::Truncated {
                path,
                rows: f.records,
            },
            Some(GzipEnd::TrailingGarbage) => InputError::TrailingGarbage {
                path,
                rows: f.records,
            },
            None if f.bytes > 0 => InputError::Cut {
                path,
                source,
                rows: f.records,
            },
            None => InputError::Io { path, source },
        };
        f.error = Some(e.to_string());
        f.partial = e.is_partial();
        self.report.errors.push(e);
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

    /// Following: looks at every followed file again, after the last window was read. For each
    /// (and in this order):
    ///
    /// - a file that no longer holds what was read (shorter than the read position, or other
    ///   bytes just before it: `copytruncate`, `> file`) is read again from its start
    ///   ([`FollowEvent::Truncated`]);
    /// - appended bytes (whole lines only) become the next pieces to read, from where the
    ///   reading stopped, whatever the file's name is now;
    /// - a file rotated away (an earlier look found its path naming another file or nothing)
    ///   that did not grow since is no longer followed ([`FollowEvent::Dropped`]): it was read
    ///   to its end once and is never read again;
    /// - a file whose path no longer names it was rotated: its new name in the same directory
    ///   becomes its path ([`FollowEvent::Renamed`]; else [`FollowEvent::Gone`]), and a new
    ///   file at the old path is a new input, read from its start ([`FollowEvent::Added`]).
    ///
    /// Each row is counted once: a file is known by its device and inode, never by its name.
    pub fn grow(&mut self) -> Vec<FollowEvent> {
        self.exact_from_now_on();
        let mut events = Vec::new();
        for i in 0..self.cursors.len() {
            self.grow_one(i, &mut events);
        }
        self.current = 0;
        events
    }

    /// Following, once the first read is over: every window is scanned with its header lines
    /// found exactly (cheap for what is appended), never guessed. A failed guess makes the
    /// driver count every input again from its start at the next settle, which, once files
    /// have been truncated, renamed or replaced, would count other bytes than were read.
    fn exact_from_now_on(&mut self) {
        if !self.looked {
            self.looked = true;
            for c in &mut self.cursors {
                c.exact = true;
            }
        }
    }

    fn grow_one(&mut self, i: usize, events: &mut Vec<FollowEvent>) {
        let c = &mut self.cursors[i];
        let Some(f) = &c.followed else {
            return;
        };
        let mapped = match &c.source {
            // Still reading what the last look found.
            Source::Mapped { starts, next, .. } if *next < starts.len() => return,
            Source::Mapped { map, .. } => map.len() as u64,
            _ => 0,
        };
        let Ok(size) = f.size() else {
            return;
        };
        let forget = |path: &std::path::Path| {
            if let Some(cache) = &self.opts.maps {
                cache.forget(path);
            }
        };
        if f.rewritten(size) {
            c.offset = 0;
            c.line = 0;
            c.header = None;
            c.source = Source::Done;
            if let Some(f) = &mut c.followed {
                f.restart();
            }
            forget(&c.input.path);
            events.push(FollowEvent::Truncated(i));
            self.remap(i, size);
        } else if size > mapped {
            forget(&c.input.path);
            self.remap(i, size.saturating_sub(mapped));
        } else if f.rotated {
            c.followed = None;
            c.source = Source::Done;
            events.push(FollowEvent::Dropped(i));
            return;
        }
        self.check_path(i, events);
    }

    /// Maps followed input `i` again, `added` bytes more than before, and reads on from its
    /// position.
    fn remap(&mut self, i: usize, added: u64) {
        let c = &self.cursors[i];
        let Some(Ok(Some(map))) = c.followed.as_ref().map(Followed::map) else {
            return;
        };
        let from = usize::try_from(c.offset).unwrap_or(usize::MAX);
        if let Some(p) = &self.opts.progress {
            p.bytes_total.fetch_add(added, Ordering::Relaxed);
        }
        self.set_mapped(i, Arc::new(map), from);
    }

    /// Whether followed input `i` is still at its path; if not, it was rotated (see
    /// [`Self::grow`]).
    fn check_path(&mut self, i: usize, events: &mut Vec<FollowEvent>) {
        let c = &mut self.cursors[i];
        let Some(f) = &mut c.followed else {
            return;
        };
        if f.rotated {
            return;
        }
        let now = std::fs::metadata(&c.input.path).ok();
        if now.as_ref().is_some_and(|m| FileId::of(m) == f.id) {
            return;
        }
        f.rotated = true;
        let id = f.id;
        let old = c.input.path.clone();
        if let Some(cache) = &self.opts.maps {
            cache.forget(&old);
        }
        let renamed = old.parent().and_then(|dir| {
            let dir = if dir.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                dir
            };
            find_in(dir, id)
        });
        if let Some(new) = renamed {
            // Keep the path as the user would type it (`find_in` lists `dir/name`).
            let new = old.with_file_name(new.file_name().unwrap_or_default());
            c.input.path.clone_from(&new);
            self.report.files[i].path = c.input.display();
            self.former.push((new, i));
            events.push(FollowEvent::Renamed {
                input: i,
                from: old.clone(),
            });
        } else {
            events.push(FollowEvent::Gone(i));
        }
        let replaced = now.is_some_and(|m| m.is_file())
            && !self
                .cursors
                .iter()
                .enumerate()
                .any(|(j, c)| j != i && c.input.path == old);
        if replaced {
            self.add_input(Input {
                path: old,
                kind: InputKind::Plain,
            });
            events.push(FollowEvent::Added(self.cursors.len() - 1));
        }
    }

    /// Following a directory: takes the accounting files `found` in it now (see
    /// [`crate::acct::discover::discover`]) and adds the new ones as inputs read from their
    /// start ([`FollowEvent::Added`]), except:
    ///
    /// - a file already followed under another name (renamed, not yet seen by [`Self::grow`]),
    ///   known by its device and inode;
    /// - a `.gz` whose name is that of a file already read (under any name it has had) plus
    ///   `.gz`: the compressed copy logrotate (or `gzip`) makes of a rotated file. It is not
    ///   read, and reported once ([`FollowEvent::Compressed`]).
    pub fn discovered(&mut self, found: Vec<Input>) -> Vec<FollowEvent> {
        let mut events = Vec::new();
        for input in found {
            if self.cursors.iter().any(|c| c.input.path == input.path)
                || self.compressed.contains(&input.path)
            {
                continue;
            }
            if input.kind == InputKind::Gzip
                && let Some(plain) = uncompressed_name(&input.path)
                && let Some(&(_, of)) = self.former.iter().find(|(p, _)| *p == plain)
            {
                self.compressed.push(input.path.clone());
                events.push(FollowEvent::Compressed {
                    path: input.path,
                    of,
                });
                continue;
            }
            if input.kind == InputKind::Plain
                && let Ok(m) = std::fs::metadata(&input.path)
            {
                let id = FileId::of(&m);
                let followed = self
                    .cursors
                    .iter()
                    .any(|c| c.followed.as_ref().is_some_and(|f| f.id == id));
                if followed {
                    continue;
                }
            }
            self.add_input(input);
            events.push(FollowEvent::Added(self.cursors.len() - 1));
        }
        events
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
        let exact: Vec<bool> = self.cursors.iter().map(|c| c.exact).collect();
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
        for (c, x) in again.cursors.iter_mut().zip(exact) {
            c.exact = x;
        }
        again.report.files.clone_from(&self.report.files);
        while again.next_window(eng, sink, false).is_ok() {}
        self.folds = again.folds;
    }
}

/// Scans pieces in parallel, each starting under its header, into the workers' folds.
fn scan_pieces<F: Send, S>(
    folds: &[Mutex<Option<F>>],
    eng: &Engine<'_>,
    sink: &S,
    pieces: &[Piece<'_>],
    headers: &[Option<Arc<Header>>],
    progress: Option<&Progress>,
) -> Vec<(S::Chunk, ChunkReport)>
where
    S: Sink<Fold = F>,
{
    pieces
        .par_iter()
        .zip(headers)
        .map(|(piece, header)| {
            let worker = rayon::current_thread_index().unwrap_or(0) % folds.len();
            let mut slot = folds[worker].lock().unwrap_or_else(PoisonError::into_inner);
            let fold = slot.get_or_insert_with(|| sink.new_fold());
            let mut chunk = sink.new_chunk();
            let rep = scan_chunk(
                eng,
                piece.data,
                header.clone(),
                &mut Target {
                    sink,
                    fold,
                    chunk: &mut chunk,
                },
            );
            if let Some(p) = progress {
                p.bytes_done.fetch_add(rep.bytes, Ordering::Relaxed);
                p.records.fetch_add(rep.records, Ordering::Relaxed);
            }
            (chunk, rep)
        })
        .collect()
}

/// A window [`Driver::step_ahead`] scanned and will hand on at its next call.
pub struct Ahead<C>(Option<Scanned<C>>);

impl<C> Default for Ahead<C> {
    fn default() -> Self {
        Ahead(None)
    }
}

impl<C> std::fmt::Debug for Ahead<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Ahead(window)"
        } else {
            "Ahead(none)"
        })
    }
}

/// A scanned window: what holds its bytes, and each piece's state with its offset and first
/// line, to hand on in order.
struct Scanned<C> {
    file: usize,
    window: Window,
    states: Vec<(C, u64, u64)>,
}

impl<C> Scanned<C> {
    /// Hands each piece's state to `consume`, in order; true if it stopped.
    fn deliver(self, consume: &mut impl FnMut(C, &ChunkAt<'_>) -> ControlFlow<()>) -> bool {
        let pieces = self.window.pieces();
        for ((state, offset, line), piece) in self.states.into_iter().zip(&pieces) {
            let at = ChunkAt {
                file: self.file,
                offset,
                line,
                data: piece.data,
                block: piece.block,
            };
            if consume(state, &at).is_break() {
                return true;
            }
        }
        false
    }
}

/// The pieces of one window and what holds their bytes.
enum Window {
    Mapped(Arc<GuardedMap>, Vec<(usize, usize)>),
    Stream(Vec<Block>),
}

impl Window {
    fn pieces(&self) -> Vec<Piece<'_>> {
        match self {
            Window::Mapped(map, bounds) => bounds
                .iter()
                .map(|(s, e)| Piece {
                    data: &map[*s..*e],
                    block: None,
                    skipped: 0,
                })
                .collect(),
            Window::Stream(blocks) => blocks
                .iter()
                .map(|b| Piece {
                    data: &b.data,
                    block: Some(&b.data),
                    skipped: b.skipped,
                })
                .collect(),
        }
    }
}

/// The header each piece of a window starts under.
struct StartHeaders {
    headers: Vec<Option<Arc<Header>>>,
    /// Header changes the pieces before the last may report without invalidating the guess
    /// (1 when the window opens with a header line other than the one in effect); `None`:
    /// found exactly.
    expected: Option<u64>,
}

impl StartHeaders {
    /// Whether every piece started under the right header, given what scanning them found.
    fn held<T>(&self, done: &[(T, ChunkReport)]) -> bool {
        let before_last = &done[..done.len().saturating_sub(1)];
        self.expected.is_none_or(|n| {
            before_last
                .iter()
                .map(|(_, r)| r.header_changes)
                .sum::<u64>()
                == n
        })
    }
}

/// The guess: the first piece starts under `initial`, the others under the header the window
/// opens with (its first line, when that is a header line, else `initial`).
fn guess_headers(pieces: &[Piece<'_>], initial: Option<Arc<Header>>) -> StartHeaders {
    let (mut later, mut expected) = (initial.clone(), 0);
    if let Some(first) = pieces.first()
        && first.data.starts_with(b"type,")
        && let Some(line) = first_line(first.data)
        && changes_header(initial.as_ref(), line)
    {
        later = Header::parse(line);
        expected = 1;
    }
    let mut headers = vec![later; pieces.len()];
    if let Some(h) = headers.first_mut() {
        *h = initial;
    }
    StartHeaders {
        headers,
        expected: Some(expected),
    }
}

/// The exact start headers: every header line of every piece found first (in parallel).
fn exact_headers(pieces: &[Piece<'_>], initial: Option<Arc<Header>>) -> StartHeaders {
    let last_lines: Vec<Option<&[u8]>> = pieces
        .par_iter()
        .map(|p| last_header_line(p.data))
        .collect();
    let mut headers = Vec::with_capacity(pieces.len());
    let mut current = initial;
    for line in last_lines {
        headers.push(current.clone());
        if let Some(line) = line
            && changes_header(current.as_ref(), line)
        {
            current = Header::parse(line);
        }
    }
    StartHeaders {
        headers,
        expected: None,
    }
}

/// The workers' folds merged into the first (not into a new one, which would hold a copy of
/// the first beside it: twice the memory of a large sender's domains at the end of a scan).
fn merged<S: Sink>(sink: &S, mut folds: impl Iterator<Item = S::Fold>) -> S::Fold {
    let mut out = folds.next().unwrap_or_else(|| sink.new_fold());
    for f in folds {
        sink.merge(&mut out, f);
    }
    out
}

/// The last header line (`type,...`, without its line ending) that starts in `data`, where the
/// scan starts a record ([`header_start`]; a broken one is no header: `acct::broken`).
fn last_header_line(data: &[u8]) -> Option<&[u8]> {
    // Searched forward: memmem's forward search is vectorised and its reverse one is not (the
    // reverse search took a quarter of a streamed scan's time). Header lines are few.
    let starts: Vec<usize> = memchr::memmem::find_iter(data, b"type,")
        .filter(|&at| header_start(data, at))
        .collect();
    starts
        .into_iter()
        .rev()
        .find_map(|at| header_line(data, at))
}

/// The first record of `data` as the scan reads it, without its line ending (`None` if it is
/// broken).
fn first_line(data: &[u8]) -> Option<&[u8]> {
    header_line(data, 0)
}

/// Takes back the progress of pieces that are scanned again.
fn unreport<T>(progress: Option<&Progress>, done: &[(T, ChunkReport)]) {
    if let Some(p) = progress {
        for (_, rep) in done {
            p.bytes_done.fetch_sub(rep.bytes, Ordering::Relaxed);
            p.records.fetch_sub(rep.records, Ordering::Relaxed);
        }
    }
}
