//! The background scan: one pass of the scan driver over the inputs, the same pass `summary`
//! makes (counts, what the analyses collect, the connection estimate's rows), with a
//! [`Snapshot`] every so often so the views fill in; the analyses at the end, from what the
//! pass collected and the same follow-up pass as `summary`. With `--follow` it keeps looking
//! about once a second for bytes appended to the files and for new files that rotation creates
//! in a watched directory, and scans only those. The UI never waits on it: it only receives
//! snapshots.
//!
//! [`Scanner`] is the synchronous part (tests drive it directly); [`spawn`] runs it on a thread.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;

use super::data::{Burst, Located, ReportView, RowIndex, Segment, Snapshot};
use super::views::rows::index::LineRuns;
use crate::acct::discover::{Input, discover};
use crate::acct::header::Header;
use crate::aggregate::{Aggregates, Partial, Plan};
use crate::analysis::{self, Analyses, AnalysisParams, Collected, index};
use crate::classify::Classifier;
use crate::connections::stream::Stream;
use crate::connections::{self, Connections, estimate};
use crate::filter::Filter;
use crate::learn;
use crate::scan::{self, ChunkAt, Driver, Engine, FollowEvent, Progress, Row, ScanOptions, Step};

/// The fewest bytes read between two snapshots of a big scan.
pub const BLOCK: usize = 64 << 20;

/// The most matching rows the Rows view can list: no limit. The index costs about 2 bytes a
/// row without a filter, 8 to 16 with one (see [`super::views::rows::index`]): about 6 MB for
/// a 1 GiB day. Tests pass a smaller cap.
pub const ROW_CAP: usize = usize::MAX;

/// The shortest time between two snapshots of a scan in progress.
const SNAPSHOT_EVERY: Duration = Duration::from_millis(250);

/// How often `--follow` looks for new data.
pub const FOLLOW_INTERVAL: Duration = Duration::from_secs(1);

/// How often the analyses are run again while following (their follow-up pass reads the
/// inputs again, skimming).
const ANALYSES_INTERVAL: Duration = Duration::from_secs(10);

/// The most decompressed bytes kept in memory for the Rows view.
pub const STREAM_KEEP: usize = 256 << 20;

/// What to scan and how. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The paths as the user gave them (directories are looked at again when following).
    pub paths: Vec<PathBuf>,
    pub filter: Filter,
    pub follow: bool,
    pub chunk_size: usize,
    /// Bytes read between two snapshots at least ([`BLOCK`]; smaller in tests).
    pub block: usize,
    pub mmap: bool,
    /// The most rows to locate for the Rows view.
    pub row_cap: usize,
    pub classifier: Arc<Classifier>,
    /// What the scan counts: the rollup (the config's ahead of the built-in ones), the config's
    /// pools.
    pub plan: Arc<Plan>,
    pub params: AnalysisParams,
    /// Where the connection budget comes from (`--config`, a `pmta-config` in a directory
    /// argument, `--max-smtp-out` / `--pool-size`; `--pmta-log`); `None`: no budget source, the
    /// Connections view says what it needs.
    pub budget: Option<Arc<crate::connections::Setup>>,
    /// Test hook: panic in a scan worker before reading (the end-to-end test checks that the
    /// terminal is restored). Set only from the `PMTA_LENS_TEST_PANIC` environment variable, in
    /// a build with the `testing` feature (`cargo test` builds one).
    #[cfg(feature = "testing")]
    pub panic_in_worker: bool,
}

impl Spec {
    /// Whether the connection estimate's rows are collected during the pass (as `summary`
    /// does): a budget source, unfiltered rows and no `log-connections` log.
    fn collects_estimate(&self) -> bool {
        self.budget.as_ref().is_some_and(|b| b.pmta_log.is_none()) && self.filter.is_empty()
    }

    /// Whether the pass notes where the rows the analyses' follow-up may want are, as
    /// `summary`'s does (see [`index`]): when it collects no estimate rows (those take the
    /// memory), and not when following (the files grow past what the pass saw).
    fn indexes_rows(&self) -> bool {
        !self.collects_estimate() && !self.follow
    }
}

/// What each piece of input gives the dashboard besides the counts.
struct Piece {
    collected: Collected,
    estimate: Option<estimate::Collector>,
    /// Where the rows the follow-up may want are.
    index: Option<index::PieceIndex>,
    /// Matching rows: (address of the row's first byte, length), and the header of each run.
    rows: Vec<(usize, u32)>,
    /// The rows' lines in the piece.
    lines: LineRuns,
    headers: Vec<(usize, Arc<Header>)>,
}

/// The dashboard's pass: counts, what the analyses collect, row locations.
struct Dash {
    plan: Arc<Plan>,
    collect: analysis::Plan,
    estimate: bool,
    index: bool,
}

impl scan::Sink for Dash {
    type Fold = Partial;
    type Chunk = Piece;

    fn new_fold(&self) -> Partial {
        Partial::new(Arc::clone(&self.plan))
    }

    fn new_chunk(&self) -> Piece {
        Piece {
            collected: Collected::default(),
            estimate: self.estimate.then(estimate::Collector::default),
            index: self.index.then(index::PieceIndex::default),
            rows: Vec::new(),
            lines: LineRuns::default(),
            headers: Vec::new(),
        }
    }

    fn merge(&self, into: &mut Partial, from: Partial) {
        into.merge(from);
    }

    #[inline]
    fn row(&self, fold: &mut Partial, p: &mut Piece, row: &Row<'_>) {
        fold.add(&row.keys);
        p.collected.row(&self.collect, row);
        if let Some(e) = &mut p.estimate {
            e.row(row);
        }
        if let Some(ix) = &mut p.index {
            ix.row(row);
        }
        if p.headers
            .last()
            .is_none_or(|(_, h)| !Arc::ptr_eq(h, row.header))
        {
            p.headers.push((p.rows.len(), Arc::clone(row.header)));
        }
        p.lines.row(row.piece(), row.offset());
        p.rows.push((
            row.raw.as_ptr().addr(),
            u32::try_from(row.raw.len()).unwrap_or(u32::MAX),
        ));
    }
}

/// What the pass has handed back so far, in input order.
#[derive(Default)]
struct Gathered {
    collected: Collected,
    /// The connection estimate, rebuilt as the rows come (when the pass collects its rows).
    estimate: Option<Stream>,
    /// Where the rows the follow-up may want are (when the pass notes them).
    index: Option<index::RowIndex>,
    rows: RowIndex,
    /// Decompressed bytes kept for the Rows view.
    kept: usize,
    unbrowsable: Vec<String>,
    /// Bytes handed back since the last snapshot.
    since_snapshot: usize,
}

impl Gathered {
    fn take(&mut self, p: Piece, at: &ChunkAt<'_>, names: &[String]) {
        self.collected.merge(p.collected);
        if let (Some(e), Some(stream)) = (p.estimate, &mut self.estimate) {
            stream.push(e);
        }
        if let (Some(ix), Some(all)) = (p.index, &mut self.index) {
            all.add(ix, at);
        }
        self.since_snapshot += at.data.len();
        let room = self.rows.cap.saturating_sub(self.rows.len);
        let keep = match at.block {
            None => true,
            Some(_) => self.kept + at.data.len() <= STREAM_KEEP,
        };
        if !keep || p.rows.len() > room {
            let lost = if keep {
                p.rows.len() - room
            } else {
                p.rows.len()
            };
            self.rows.unlocated += lost as u64;
            if !keep {
                let name = names.get(at.file).cloned().unwrap_or_default();
                if lost > 0 && !self.unbrowsable.contains(&name) {
                    self.unbrowsable.push(name);
                }
                return;
            }
        }
        let take = p.rows.len().min(room);
        if take == 0 {
            return;
        }
        // A file's rows are located by their offset in the file; a stream's by their offset in
        // its block, which the segment keeps. Each row by its offset in the piece (a few MiB).
        let start = at.data.as_ptr().addr();
        let base = match at.block {
            Some(b) => (start - b.as_ptr().addr()) as u64,
            None => at.offset,
        };
        let rows: Vec<(u32, u32)> = p.rows[..take]
            .iter()
            .map_while(|&(addr, len)| Some((u32::try_from(addr - start).ok()?, len)))
            .collect();
        self.rows.unlocated += (take - rows.len()) as u64;
        let take = rows.len();
        let headers = p.headers.into_iter().filter(|(i, _)| *i < take).collect();
        let lines = p
            .lines
            .runs
            .into_iter()
            .filter(|(i, _)| (*i as usize) < take)
            .collect();
        let buffer = at.block.map(|b| {
            self.kept += b.len();
            Arc::clone(b)
        });
        self.rows.push(Segment {
            file: at.file,
            base,
            line: at.line,
            rows: Located::of(rows, at.data),
            lines,
            headers,
            buffer,
        });
    }
}

/// The scan's state: everything read so far.
pub struct Scanner {
    spec: Spec,
    opts: ScanOptions,
    driver: Driver<Partial>,
    sink: Dash,
    gathered: Gathered,
    /// The rollups learned before the pass (in bounded memory), when the filter tests `domain`.
    domain_map: Option<learn::Rollups>,
    /// The inputs' names as reports show them.
    names: Vec<String>,
    /// Problems found before reading (paths that do not exist).
    errors: Vec<String>,
    /// Files truncated while followed (read again from their start), the latest last.
    shrunk: Vec<String>,
    /// Inputs no longer at their path (deleted or moved away while followed): the analyses'
    /// second pass, which reads by path, leaves them out.
    gone: Vec<usize>,
    aggregates: Arc<Aggregates>,
    hints: FxHashMap<String, crate::rollup::DomainHints>,
    findings: Arc<Vec<analysis::Finding>>,
    bursts: Option<Arc<Vec<Burst>>>,
    complaints: Option<Arc<analysis::Complaints>>,
    retry: Option<Arc<analysis::retry::RetryHygiene>>,
    connections: Option<Arc<Connections>>,
    complete: bool,
    generation: u64,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("generation", &self.generation)
            .field("complete", &self.complete)
            .finish_non_exhaustive()
    }
}

/// The engine of the dashboard's passes: the spec's classifier, filter and rollup, and the
/// rollups learned for a `domain=` filter. A function of the two fields, not a method: a pass
/// borrows the scanner's other fields mutably meanwhile.
fn engine<'a>(spec: &'a Spec, learned: Option<&'a learn::Rollups>) -> Engine<'a> {
    Engine {
        classifier: &spec.classifier,
        filter: &spec.filter,
        rollup: &spec.plan.rollup,
        domain_map: learned.map(|l| l as &dyn scan::DomainLookup),
    }
}

impl Scanner {
    /// Finds the inputs (problems go to the report) without reading them yet.
    pub fn new(spec: Spec, generation: u64, progress: Option<Arc<Progress>>) -> Scanner {
        let (inputs, errors) = discover(&spec.paths);
        let opts = ScanOptions {
            chunk_size: spec.chunk_size,
            mmap: spec.mmap,
            progress,
            // The follow-up pass reads the same mappings (and standard input's spool); a file
            // that grows is mapped anew.
            maps: Some(Arc::default()),
        };
        let driver = Driver::new(&inputs, &opts).following(spec.follow);
        let sink = Dash {
            plan: Arc::clone(&spec.plan),
            collect: analysis::Plan::new(&spec.params, &spec.classifier),
            estimate: spec.collects_estimate(),
            index: spec.indexes_rows(),
        };
        let mut gathered = Gathered {
            index: spec
                .indexes_rows()
                .then(|| index::RowIndex::new(index::BUDGET)),
            ..Gathered::default()
        };
        if let (true, Some(setup)) = (spec.collects_estimate(), &spec.budget) {
            gathered.estimate = Some(Stream::new(
                Arc::clone(&spec.plan.rollup),
                setup.config.clone().map(Arc::new),
                setup.settings(),
                true,
                false,
            ));
        }
        gathered.rows.cap = spec.row_cap;
        gathered.rows.paths = Arc::new(inputs.iter().map(|i| i.path.clone()).collect());
        Scanner {
            spec,
            opts,
            driver,
            sink,
            gathered,
            domain_map: None,
            names: inputs.iter().map(Input::display).collect(),
            errors: errors.iter().map(ToString::to_string).collect(),
            shrunk: Vec::new(),
            gone: Vec::new(),
            aggregates: Arc::default(),
            hints: FxHashMap::default(),
            findings: Arc::default(),
            bursts: None,
            complaints: None,
            retry: None,
            connections: None,
            complete: false,
            generation,
        }
    }

    /// Reads what can be read now, calling `each` with a snapshot every so often. Stops early
    /// (and returns false) when `cancel` is set.
    fn read(&mut self, cancel: &AtomicBool, each: &mut dyn FnMut(Snapshot)) -> bool {
        // The pieces of a window are gathered while the next one is scanned.
        let mut ahead = scan::Ahead::default();
        let mut last = Instant::now();
        let mut cost = Duration::ZERO;
        loop {
            if cancel.load(Ordering::Relaxed) {
                return false;
            }
            let names = &self.names;
            let eng = engine(&self.spec, self.domain_map.as_ref());
            let gathered = &mut self.gathered;
            let step = self.driver.step_ahead(
                &eng,
                &self.sink,
                &mut |p, at| {
                    gathered.take(p, at, names);
                    ControlFlow::Continue(())
                },
                &mut ahead,
            );
            if step != Step::More {
                return true;
            }
            // A snapshot merges every worker's counts: often enough that the views fill in
            // (a few times a second at most), rarely enough that it costs a tenth of the scan.
            // None when less is left to read than was read since the last one: the complete
            // snapshot comes sooner than a next one would, and one taken near the end is the
            // pass's largest (every count twice, beside the one on screen).
            // (Asked last: it looks at the size of each file not opened yet.)
            let near_end = || {
                self.driver
                    .bytes_left()
                    .is_some_and(|left| left < self.gathered.since_snapshot as u64)
            };
            if self.gathered.since_snapshot >= self.spec.block
                && last.elapsed() >= (cost * 9).max(SNAPSHOT_EVERY)
                && !near_end()
            {
                let t = Instant::now();
                self.refresh(false);
                each(self.snapshot());
                self.gathered.since_snapshot = 0;
                cost = t.elapsed();
                last = Instant::now();
            }
        }
    }

    /// Reads every input once, calling `each` with snapshots along the way and a complete one
    /// at the end. Stops early (and returns false) when `cancel` is set.
    pub fn initial(&mut self, cancel: &AtomicBool, mut each: impl FnMut(Snapshot)) -> bool {
        if self.spec.filter.needs_domain() {
            let inputs: Vec<Input> = self.driver.inputs().cloned().collect();
            let learned = learn::rollups_in_temp_dir(
                &inputs,
                &self.opts.quiet(),
                &self.spec.classifier,
                &self.spec.plan.rollup,
                learn::LEARN_BYTES,
            );
            self.domain_map = Some(learned.unwrap_or_else(|e| {
                // No room to spill: each row's domain is rolled up from the row alone.
                self.errors.push(format!(
                    "the domains' rollups could not be learned ({e:#}): `domain=` rolls each \
                     row up by itself"
                ));
                learn::Rollups::default()
            }));
        }
        if !self.read(cancel, &mut each) {
            return false;
        }
        self.refresh(true);
        // Every count goes out before the analyses run (their follow-up pass and the
        // connections' replay take a while on a large day): the dashboard shows them sooner,
        // and drops the snapshot before, whose memory the analyses then have.
        each(self.snapshot());
        self.complete = true;
        self.analyze();
        each(self.snapshot());
        true
    }

    /// Looks for appended bytes, rotation and new files once (see [`Driver::grow`] and
    /// [`Driver::discovered`] for the rules); true if anything was read or changed.
    pub fn poll(&mut self) -> bool {
        let mut events = self.driver.grow();
        if self.spec.paths.iter().any(|p| p.is_dir()) {
            let (found, _) = discover(&self.spec.paths);
            events.extend(self.driver.discovered(found));
        }
        self.rotated(&events);
        let before = self.driver.report().records() + self.driver.report().malformed;
        let files_before = self.files_with_bytes();
        self.read(&AtomicBool::new(false), &mut |_| {});
        let changed = self.driver.report().records() + self.driver.report().malformed != before
            || self.files_with_bytes() != files_before
            || !events.is_empty();
        if changed {
            self.refresh(true);
        }
        changed
    }

    /// Follows what rotation did: names and row paths as the driver's inputs are now; the rows
    /// located in a file that was truncated, or whose path names another file now, can no
    /// longer be read back (they stay counted, as not located).
    fn rotated(&mut self, events: &[FollowEvent]) {
        if events.is_empty() {
            return;
        }
        for e in events {
            match e {
                FollowEvent::Truncated(i) => {
                    let name = self.names[*i].clone();
                    self.shrunk.retain(|n| *n != name);
                    self.shrunk.push(name);
                    self.gathered.rows.forget_file(*i);
                }
                FollowEvent::Gone(i) => {
                    self.gone.push(*i);
                    self.gathered.rows.forget_file(*i);
                }
                _ => {}
            }
        }
        self.names = self.driver.inputs().map(Input::display).collect();
        self.gathered.rows.paths = Arc::new(self.driver.inputs().map(|i| i.path.clone()).collect());
    }

    fn files_with_bytes(&self) -> usize {
        self.driver
            .report()
            .files
            .iter()
            .filter(|f| f.bytes > 0)
            .count()
    }

    /// The counts so far (`settled`: the pass is complete for now, so the workers' counts are
    /// merged for good), and the findings of the rule codes among them.
    fn refresh(&mut self, settled: bool) {
        if !settled {
            // The workers' counts, merged and read in place: a copy would add one fold of
            // everything seen to the two snapshots (the one on screen and the next).
            let Some(mut all) = self.driver.take_consolidated(&self.sink) else {
                return;
            };
            crate::allocator::release_free_memory();
            let aggregates = all.finish_so_far(&self.spec.plan.rollup, &self.aggregates);
            self.driver.restore(&self.sink, all);
            self.set_aggregates(aggregates);
            return;
        }
        let partial = {
            let eng = engine(&self.spec, self.domain_map.as_ref());
            if self.spec.follow {
                self.driver.settle(&eng, &self.sink)
            } else {
                // Nothing more will be read: the counts move into the aggregates, no copy.
                self.driver.take_folds(&eng, &self.sink)
            }
        };
        // The workers' counts were freed in their threads' arenas: back to the system before
        // the snapshot is built beside the one on screen.
        crate::allocator::release_free_memory();
        let aggregates = partial.finish_after(&self.spec.plan.rollup, &self.aggregates);
        self.set_aggregates(aggregates);
    }

    /// Problems the reads handed back as values (standard input's spool could not be kept,
    /// say), for the report on screen.
    fn take_warnings(&mut self) {
        if let Some(maps) = &self.opts.maps {
            self.errors.extend(maps.take_warnings());
        }
    }

    /// New counts, and the findings of the rule codes among them.
    fn set_aggregates(&mut self, aggregates: Aggregates) {
        self.take_warnings();
        self.aggregates = Arc::new(aggregates);
        if self.bursts.is_none() {
            self.findings = Arc::new(analysis::codes::findings(
                &self.aggregates,
                &self.spec.classifier,
            ));
        }
    }

    fn report_view(&self) -> ReportView {
        let r = self.driver.report();
        let mut problems = self.errors.clone();
        problems.extend(r.errors.iter().map(ToString::to_string));
        ReportView {
            scan: r.without_errors(),
            problems,
            unbrowsable: self.gathered.unbrowsable.clone(),
            shrunk: self.shrunk.clone(),
        }
    }

    /// The current state as the views show it.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            generation: self.generation,
            aggregates: Arc::clone(&self.aggregates),
            report: Arc::new(self.report_view()),
            findings: Arc::clone(&self.findings),
            bursts: self.bursts.clone(),
            complaints: self.complaints.clone(),
            retry: self.retry.clone(),
            connections: self.connections.clone(),
            budget_expected: self.spec.budget.is_some(),
            rows: self.gathered.rows.clone(),
            complete: self.complete,
        }
    }

    /// Runs every analysis on what was read: from what the pass collected, plus the same
    /// follow-up pass as `summary` (RP-001 retries, complaints), and the connections.
    pub fn analyze(&mut self) {
        let inputs: Vec<Input> = self
            .driver
            .inputs()
            .enumerate()
            .filter(|(i, _)| !self.gone.contains(i))
            .map(|(_, input)| input.clone())
            .collect();
        let hints = self.hints.clone();
        let r = self.driver.report();
        let result = scan::ScanResult {
            aggregates: Arc::clone(&self.aggregates),
            report: r.without_errors(),
            hints,
        };
        let quiet = self.opts.quiet();
        let ctx = analysis::AnalysisInput {
            inputs: &inputs,
            opts: &quiet,
            classifier: &self.spec.classifier,
            filter: &self.spec.filter,
            rollup: &self.spec.plan.rollup,
            scan: &result,
            params: &self.spec.params,
        };
        // Following, what was collected goes on growing and is analysed again; otherwise it
        // is handed over (a large sender's day collects tens of MB).
        let collected = if self.spec.follow {
            self.gathered.collected.clone()
        } else {
            std::mem::take(&mut self.gathered.collected)
        };
        // The index serves the one analysis after the pass (it is kept only when not following).
        let analyses = analysis::analyze_collected(&ctx, collected, self.gathered.index.take());
        self.bursts = Some(bursts_of(&analyses));
        self.complaints = Some(Arc::new(analyses.complaints));
        self.retry = Some(Arc::new(analyses.retry_hygiene));
        self.findings = Arc::new(analyses.findings);
        if let Some(setup) = &self.spec.budget {
            // Connections are not filtered: the estimate's rows come from this pass when it
            // read them all, else from a pass of their own. A log that cannot be read leaves
            // the estimate, and the view says why.
            // Rows too far out of time order (inputs that overlap): the estimate reads them
            // again.
            let estimated = if self.spec.follow {
                self.gathered
                    .estimate
                    .as_ref()
                    .and_then(|s| s.estimate().ok())
            } else {
                // The replay's state is not needed again: finished, not copied.
                self.gathered.estimate.take().and_then(|s| s.finish().ok())
            };
            let mut ctx = connections::ConnectionsInput::new(
                &result,
                &self.spec.plan.rollup,
                &self.spec.classifier,
                &inputs,
                &quiet,
            );
            ctx.estimated = estimated.as_ref();
            ctx.series = true;
            ctx.config = setup.config.as_ref();
            ctx.pmta_log = setup.pmta_log.as_deref();
            ctx.only_aggregated = !self.spec.filter.is_empty();
            self.connections = Some(Arc::new(connections::analyze(&ctx, &setup.settings())));
        }
        self.take_warnings();
    }
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

    /// Asks the thread to stop at its next window or poll; does not wait for it.
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
    #[cfg(feature = "testing")]
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
        // The counts are sent every time they change; the analyses (whose follow-up pass
        // reads the inputs again) catch up at their own pace.
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
