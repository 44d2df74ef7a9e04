//! The background scan: reads the inputs file by file (so the views fill in as it goes), sends a
//! [`Snapshot`] after each file, runs the analyses at the end, and with `--follow` keeps looking
//! about once a second for bytes appended to the files and for new files that rotation creates
//! in a watched directory. The UI never waits on it: it only receives snapshots.
//!
//! [`Scanner`] is the synchronous part (tests drive it directly); [`spawn`] runs it on a thread.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;

use super::data::{Burst, ReportView, RowIndex, Segment, Snapshot};
use crate::acct::chunk::next_boundary;
use crate::acct::discover::{Input, InputKind, discover};
use crate::acct::header::Header;
use crate::acct::source::{BlockReader, Opened, open};
use crate::aggregate::Partial;
use crate::analysis::{self, Analyses, AnalysisParams};
use crate::classify::Classifier;
use crate::connections::{self, Connections};
use crate::filter::Filter;
use crate::rollup::Rollup;
use crate::scan::{
    self, BlockScan, Engine, FileReport, Malformed, Progress, ScanOptions, ScanReport,
};

/// The most bytes of a plain file read (and shown) at once, so big files fill the views in.
pub const BLOCK: usize = 64 << 20;

/// The most matching rows the Rows view can list (16 bytes each).
pub const ROW_CAP: usize = 1_000_000;

/// How often `--follow` looks for new data.
pub const FOLLOW_INTERVAL: Duration = Duration::from_secs(1);

/// How often the analyses are run again while following (they may read the inputs again).
const ANALYSES_INTERVAL: Duration = Duration::from_secs(10);

/// What to scan and how. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The paths as the user gave them (directories are looked at again when following).
    pub paths: Vec<PathBuf>,
    pub filter: Filter,
    pub follow: bool,
    pub chunk_size: usize,
    /// Bytes of a plain file read at once ([`BLOCK`]; smaller in tests).
    pub block: usize,
    pub mmap: bool,
    /// The most rows to locate for the Rows view.
    pub row_cap: usize,
    pub classifier: Arc<Classifier>,
    pub rollup: Arc<Rollup>,
    pub params: AnalysisParams,
    /// Where the connection budget comes from (`--config`, a `pmta-config` in a directory
    /// argument, `--max-smtp-out` / `--pool-size`; `--pmta-log`); `None`: no budget source, the
    /// Connections view says what it needs.
    pub budget: Option<Arc<crate::cli::connections::Setup>>,
    /// Test hook: panic in a scan worker before reading (the end-to-end test checks that the
    /// terminal is restored). Set only from the `PMTA_LENS_TEST_PANIC` environment variable.
    pub panic_in_worker: bool,
}

/// One followed input.
#[derive(Debug)]
struct FileState {
    input: Input,
    /// Bytes read so far (up to the end of the last complete line when following).
    consumed: u64,
    header: Option<Arc<Header>>,
    lines: u64,
    /// A stream (gzip, stdin) is read once, whole.
    done: bool,
}

/// The scan's state: everything read so far.
#[derive(Debug)]
pub struct Scanner {
    spec: Spec,
    opts: ScanOptions,
    files: Vec<FileState>,
    partial: Partial,
    report: ReportView,
    rows: RowIndex,
    /// Lowercased recipient domain -> rollup, when the filter tests `domain`.
    domain_map: Option<FxHashMap<String, String>>,
    findings: Arc<Vec<analysis::Finding>>,
    bursts: Option<Arc<Vec<Burst>>>,
    connections: Option<Arc<Connections>>,
    complete: bool,
    generation: u64,
    /// Decompressed bytes kept for the Rows view.
    kept: usize,
}

impl Scanner {
    /// Finds the inputs (problems go to the report) without reading them yet.
    pub fn new(spec: Spec, generation: u64, progress: Option<Arc<Progress>>) -> Scanner {
        let (inputs, errors) = discover(&spec.paths);
        let opts = ScanOptions {
            chunk_size: spec.chunk_size,
            mmap: spec.mmap,
            progress,
            // Files grow while the dashboard runs: every look maps them anew.
            maps: None,
        };
        let mut s = Scanner {
            rows: RowIndex {
                cap: spec.row_cap,
                ..RowIndex::default()
            },
            spec,
            opts,
            files: Vec::new(),
            partial: Partial::default(),
            report: ReportView {
                errors: errors.iter().map(ToString::to_string).collect(),
                ..ReportView::default()
            },
            domain_map: None,
            findings: Arc::default(),
            bursts: None,
            connections: None,
            complete: false,
            generation,
            kept: 0,
        };
        s.add_inputs(inputs);
        s
    }

    fn add_inputs(&mut self, inputs: Vec<Input>) {
        for input in inputs {
            if let Some(p) = &self.opts.progress {
                let size = std::fs::metadata(&input.path).map_or(0, |m| m.len());
                if input.kind == InputKind::Plain {
                    p.bytes_total.fetch_add(size, Ordering::Relaxed);
                }
            }
            self.report.files.push(FileReport {
                path: input.display(),
                ..FileReport::default()
            });
            self.files.push(FileState {
                input,
                consumed: 0,
                header: None,
                lines: 0,
                done: false,
            });
        }
        self.rows.paths = Arc::new(self.files.iter().map(|f| f.input.path.clone()).collect());
    }

    /// Reads every input once, calling `each` with a snapshot after each file. Stops early (and
    /// returns false) when `cancel` is set.
    pub fn initial(&mut self, cancel: &AtomicBool, mut each: impl FnMut(Snapshot)) -> bool {
        if self.spec.filter.needs_domain() {
            let inputs: Vec<Input> = self.files.iter().map(|f| f.input.clone()).collect();
            let quiet = ScanOptions {
                progress: None,
                ..self.opts.clone()
            };
            self.domain_map = Some(scan::domain_map_of(
                &inputs,
                &quiet,
                &self.spec.classifier,
                &self.spec.rollup,
            ));
        }
        for i in 0..self.files.len() {
            if cancel.load(Ordering::Relaxed) {
                return false;
            }
            // a big file is read in blocks, with a snapshot after each, so the views fill in
            while self.read_file(i) {
                if cancel.load(Ordering::Relaxed) {
                    return false;
                }
                self.refresh_findings();
                each(self.snapshot());
            }
            self.refresh_findings();
            each(self.snapshot());
        }
        self.complete = true;
        self.analyze();
        each(self.snapshot());
        true
    }

    /// Looks for appended bytes and new files once; true if anything was read.
    pub fn poll(&mut self) -> bool {
        if self.spec.paths.iter().any(|p| p.is_dir()) {
            let (found, _) = discover(&self.spec.paths);
            let new: Vec<Input> = found
                .into_iter()
                .filter(|i| self.files.iter().all(|f| f.input.path != i.path))
                .collect();
            self.add_inputs(new);
        }
        let before = self.partial.records + self.report.malformed;
        let files_before = self.report.files.iter().filter(|f| f.bytes > 0).count();
        for i in 0..self.files.len() {
            while self.read_file(i) {}
        }
        let changed = self.partial.records + self.report.malformed != before
            || self.report.files.iter().filter(|f| f.bytes > 0).count() != files_before;
        if changed {
            self.refresh_findings();
        }
        changed
    }

    /// The findings of the rule codes seen so far (cheap: from the aggregates only).
    fn refresh_findings(&mut self) {
        self.findings = Arc::new(analysis::codes::findings(
            &self.finish_partial(),
            &self.spec.classifier,
        ));
    }

    fn finish_partial(&self) -> crate::aggregate::Aggregates {
        let hints = self.partial.domain_hints();
        self.partial.clone().finish(&self.spec.rollup, &hints)
    }

    /// The current state as the views show it.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            generation: self.generation,
            aggregates: Arc::new(self.finish_partial()),
            report: Arc::new(self.report.clone()),
            findings: Arc::clone(&self.findings),
            bursts: self.bursts.clone(),
            connections: self.connections.clone(),
            budget_expected: self.spec.budget.is_some(),
            rows: self.rows.clone(),
            complete: self.complete,
        }
    }

    /// Runs every analysis on what was read (findings, and bursts once they exist).
    pub fn analyze(&mut self) {
        let inputs: Vec<Input> = self.files.iter().map(|f| f.input.clone()).collect();
        let hints = self.partial.domain_hints();
        let result = scan::ScanResult {
            aggregates: self.partial.clone().finish(&self.spec.rollup, &hints),
            report: ScanReport {
                files: self.report.files.clone(),
                malformed: self.report.malformed,
                malformed_samples: self.report.malformed_samples.clone(),
                errors: Vec::new(),
            },
            hints,
        };
        let quiet = ScanOptions {
            progress: None,
            ..self.opts.clone()
        };
        let analyses = analysis::analyze(&analysis::Context {
            inputs: &inputs,
            opts: &quiet,
            classifier: &self.spec.classifier,
            filter: &self.spec.filter,
            rollup: &self.spec.rollup,
            scan: &result,
            params: &self.spec.params,
        });
        self.bursts = Some(bursts_of(&analyses));
        self.findings = Arc::new(analyses.findings);
        if let Some(setup) = &self.spec.budget {
            // The estimate reads the inputs once more (connections are not filtered); a log
            // that cannot be read leaves the estimate, and the view says why.
            let mut ctx = connections::Context::new(
                &result,
                &self.spec.rollup,
                &self.spec.classifier,
                &inputs,
                &quiet,
            );
            ctx.config = setup.config.as_ref();
            ctx.pmta_log = setup.pmta_log.as_deref();
            ctx.only_aggregated = !self.spec.filter.is_empty();
            let settings = connections::Settings {
                overrides: setup.overrides,
                ..connections::Settings::default()
            };
            self.connections = Some(Arc::new(connections::analyze(&ctx, &settings)));
        }
    }

    /// Reads what is new in one input, or the next block of it; true if more is waiting.
    fn read_file(&mut self, i: usize) -> bool {
        let f = &self.files[i];
        if f.done {
            return false;
        }
        match f.input.kind {
            InputKind::Plain => self.read_plain(i),
            InputKind::Gzip | InputKind::Stdin => {
                self.read_stream(i);
                false
            }
        }
    }

    /// Reads the next block (about `spec.block` bytes, whole records) of a plain file; true if
    /// more is waiting.
    fn read_plain(&mut self, i: usize) -> bool {
        let f = &self.files[i];
        let size = match std::fs::metadata(&f.input.path) {
            Ok(m) => m.len(),
            Err(e) => {
                if f.consumed == 0 && self.report.files[i].error.is_none() {
                    let msg = format!("{}: {e}", f.input.path.display());
                    self.report.files[i].error = Some(msg.clone());
                    self.report.errors.push(msg);
                }
                // A file that disappears (rotated away and compressed) keeps what was read.
                self.files[i].done = !self.spec.follow;
                return false;
            }
        };
        if size < f.consumed {
            let name = f.input.display();
            if !self.report.shrunk.contains(&name) {
                self.report.shrunk.push(name);
            }
            return false;
        }
        if size == f.consumed {
            if !self.spec.follow {
                self.files[i].done = true;
            }
            return false;
        }
        let bytes = match read_from(&f.input, f.consumed, self.spec.mmap) {
            Ok(b) => b,
            Err(msg) => {
                self.report.files[i].error = Some(msg.clone());
                self.report.errors.push(msg);
                self.files[i].done = true;
                return false;
            }
        };
        let data = bytes.as_slice(f.consumed);
        // While following, a last line without its newline is still being written: leave it.
        let mut usable = if self.spec.follow {
            memchr::memrchr(b'\n', data).map_or(0, |p| p + 1)
        } else {
            data.len()
        };
        let mut more = false;
        if self.spec.mmap
            && usable > self.spec.block
            && let Some(cut) = next_boundary(&data[..usable], self.spec.block)
        {
            usable = cut;
            more = true;
        }
        if usable == 0 {
            return false;
        }
        let room = self.rows.cap.saturating_sub(self.rows.len);
        let mut b = scan::scan_block(
            &data[..usable],
            f.consumed,
            f.header.clone(),
            &self.opts,
            &self.engine(),
            room,
        );
        self.tally(i, usable as u64, &mut b);
        self.rows.push(Segment {
            file: i,
            rows: b.rows,
            headers: b.row_headers,
            buffer: None,
        });
        let f = &mut self.files[i];
        f.consumed += usable as u64;
        f.lines += b.lines;
        f.header = b.header;
        if !self.spec.follow && !more {
            f.done = true;
        }
        more
    }

    /// Reads a compressed file or standard input once, in record-aligned blocks. Blocks are
    /// kept in memory (up to [`STREAM_KEEP`] bytes in all) so the Rows view can list their rows;
    /// past that, rows are counted but not listed.
    fn read_stream(&mut self, i: usize) {
        let input = self.files[i].input.clone();
        let stream = match open(&input, self.spec.mmap) {
            Ok(Opened::Stream(r)) => r,
            Ok(_) => {
                self.files[i].done = true;
                return;
            }
            Err(e) => {
                self.report.files[i].error = Some(e.to_string());
                self.report.errors.push(e.to_string());
                self.files[i].done = true;
                return;
            }
        };
        let path = input.display();
        let mut reader = BlockReader::new(stream, self.opts.chunk_size.max(1 << 20));
        let mut header: Option<Arc<Header>> = None;
        loop {
            let block = match reader.next_block() {
                Ok(Some(b)) => b,
                Ok(None) => break,
                Err(e) => {
                    let msg = format!("{path}: {e}");
                    self.report.files[i].error = Some(msg.clone());
                    self.report.errors.push(msg);
                    break;
                }
            };
            let keep = self.kept + block.len() <= STREAM_KEEP;
            let room = if keep {
                self.rows.cap.saturating_sub(self.rows.len)
            } else {
                0
            };
            let mut b = scan::scan_block(block, 0, header.take(), &self.opts, &self.engine(), room);
            self.tally(i, block.len() as u64, &mut b);
            if keep && !b.rows.is_empty() {
                self.kept += block.len();
                self.rows.push(Segment {
                    file: i,
                    rows: b.rows,
                    headers: b.row_headers,
                    buffer: Some(Arc::new(block.to_vec())),
                });
            } else if !keep && b.unlocated > 0 && !self.report.unbrowsable.contains(&path) {
                self.report.unbrowsable.push(path.clone());
            }
            self.files[i].lines += b.lines;
            header = b.header;
        }
        self.files[i].done = true;
    }

    /// What a block is scanned with: the spec's classifier, filter and rollup, and the domain map.
    fn engine(&self) -> Engine<'_> {
        Engine {
            classifier: &self.spec.classifier,
            filter: &self.spec.filter,
            rollup: &self.spec.rollup,
            domain_map: self.domain_map.as_ref(),
        }
    }

    /// Counts block `b` of input `i` (`bytes` long, read after the input's lines so far) into
    /// the aggregate and the report, and its rows past the Rows view's cap into the index. Takes
    /// `b`'s aggregate and malformed samples; the caller files its rows and moves the input on.
    fn tally(&mut self, i: usize, bytes: u64, b: &mut BlockScan) {
        let path = self.files[i].input.display();
        let line_base = self.files[i].lines;
        self.partial.merge(std::mem::take(&mut b.partial));
        let rep = &mut self.report.files[i];
        rep.bytes += bytes;
        rep.records += b.records;
        rep.malformed += b.malformed;
        self.report.malformed += b.malformed;
        for (line, reason) in b.samples.drain(..) {
            if self.report.malformed_samples.len() < scan::MAX_SAMPLES {
                self.report.malformed_samples.push(Malformed {
                    path: path.clone(),
                    line: line_base + line + 1,
                    reason,
                });
            }
        }
        self.rows.unlocated += b.unlocated;
    }
}

/// The most decompressed bytes kept in memory for the Rows view.
pub const STREAM_KEEP: usize = 256 << 20;

/// The bytes of a file from an offset on: mapped, or read when `--no-mmap`.
enum Bytes {
    Mapped(Arc<memmap2::Mmap>),
    Read(Vec<u8>),
}

impl Bytes {
    fn as_slice(&self, from: u64) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m.get(from as usize..).unwrap_or_default(),
            Bytes::Read(v) => v,
        }
    }
}

fn read_from(input: &Input, from: u64, mmap: bool) -> Result<Bytes, String> {
    if mmap {
        return match open(input, true) {
            Ok(Opened::Mapped(m)) => Ok(Bytes::Mapped(m)),
            Ok(_) => Ok(Bytes::Read(Vec::new())),
            Err(e) => Err(e.to_string()),
        };
    }
    let err = |e: std::io::Error| format!("{}: {e}", input.path.display());
    let mut f = std::fs::File::open(&input.path).map_err(err)?;
    f.seek(SeekFrom::Start(from)).map_err(err)?;
    let mut v = Vec::new();
    f.read_to_end(&mut v).map_err(err)?;
    Ok(Bytes::Read(v))
}

/// The bursts the analyses found.
fn bursts_of(analyses: &Analyses) -> Arc<Vec<Burst>> {
    Arc::new(analyses.bursts.clone())
}

/// What the loader thread tells the UI.
#[derive(Debug)]
pub enum Msg {
    Snapshot(Box<Snapshot>),
    /// The scan thread panicked: the dashboard cannot go on.
    Failed(String),
}

/// A running background scan.
#[derive(Debug)]
pub struct Loader {
    pub generation: u64,
    pub progress: Arc<Progress>,
    pub started: Instant,
    cancel: Arc<AtomicBool>,
    paused: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Loader {
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Relaxed);
    }

    /// Asks the thread to stop at its next file or poll; does not wait for it.
    pub fn cancel(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        self.handle.take();
    }
}

impl Drop for Loader {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// Starts a scan on its own thread, inside `pool` (so `--threads` holds). `send` gets every
/// message; it returns false when the UI is gone.
pub fn spawn(
    spec: Spec,
    generation: u64,
    pool: Arc<rayon::ThreadPool>,
    send: impl Fn(Msg) -> bool + Send + 'static,
) -> Loader {
    let progress = Arc::new(Progress::default());
    let cancel = Arc::new(AtomicBool::new(false));
    let paused = Arc::new(AtomicBool::new(false));
    let (p, c, z) = (
        Arc::clone(&progress),
        Arc::clone(&cancel),
        Arc::clone(&paused),
    );
    let send = Arc::new(Mutex::new(send));
    let handle = std::thread::Builder::new()
        .name("pmta-lens-scan".into())
        .spawn(move || {
            let tell = |m: Msg| send.lock().is_ok_and(|s| s(m));
            let run = std::panic::AssertUnwindSafe(|| {
                pool.install(|| follow_loop(spec, generation, p, &c, &z, &tell));
            });
            if let Err(e) = std::panic::catch_unwind(run) {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_string()))
                    .unwrap_or_else(|| "unknown panic".into());
                tell(Msg::Failed(msg));
            }
        })
        .ok();
    Loader {
        generation,
        progress,
        started: Instant::now(),
        cancel,
        paused,
        handle,
    }
}

fn follow_loop(
    spec: Spec,
    generation: u64,
    progress: Arc<Progress>,
    cancel: &AtomicBool,
    paused: &AtomicBool,
    tell: &dyn Fn(Msg) -> bool,
) {
    let follow = spec.follow;
    if spec.panic_in_worker {
        use rayon::prelude::*;
        (0..64).into_par_iter().for_each(|i| {
            assert!(
                i != 63,
                "PMTA_LENS_TEST_PANIC: a scan worker panicked on purpose"
            );
        });
    }
    let mut s = Scanner::new(spec, generation, Some(progress));
    let mut alive = true;
    if !s.initial(cancel, |snap| alive &= tell(Msg::Snapshot(Box::new(snap)))) || !follow {
        return;
    }
    let mut analysed = Instant::now();
    let mut analyses_behind = false;
    while alive && !cancel.load(Ordering::Relaxed) {
        std::thread::sleep(FOLLOW_INTERVAL);
        if paused.load(Ordering::Relaxed) || cancel.load(Ordering::Relaxed) {
            continue;
        }
        let changed = s.poll();
        analyses_behind |= changed;
        // The counts are sent every time they change; the analyses (which may read the inputs
        // again) catch up at their own pace.
        let analyse = analyses_behind && analysed.elapsed() >= ANALYSES_INTERVAL;
        if analyse {
            s.analyze();
            analysed = Instant::now();
            analyses_behind = false;
        }
        if changed || analyse {
            alive = tell(Msg::Snapshot(Box::new(s.snapshot())));
        }
    }
}
