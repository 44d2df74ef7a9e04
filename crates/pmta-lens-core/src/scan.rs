//! The scan: inputs -> chunks -> rows -> sinks. One driver ([`Driver`]) owns the inputs, cuts
//! them into record-aligned chunks (mapped files) or blocks (gzip, standard input, pipes), finds
//! the header each chunk starts under, counts lines and reports progress; every pass (the
//! summary, `rows`, the dashboard, the analyses' follow-up) is a [`Sink`] that it feeds. Chunks
//! are scanned in parallel a window at a time; each worker folds rows into its own state, and
//! each chunk's own state comes back in input order. Bad rows are counted and sampled with file
//! and line; an unreadable input is recorded and skipped.
//!
//! The core never prints: problems come back in [`ScanReport`] for the front end to show.

mod driver;
mod follow;
mod output;
mod records;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use rustc_hash::FxHashMap;

pub use driver::{Ahead, ChunkAt, Driver, Sink, Start, Step};
pub use follow::FollowEvent;
pub use output::{Deliver, Follow, deliver, rows, rows_following};
pub use records::{destination, response_kind};

use crate::acct::chunk::DEFAULT_CHUNK_SIZE;
use crate::acct::discover::Input;
use crate::acct::header::{Col, Header};
use crate::acct::record::Field;
use crate::acct::source::MapCache;
use crate::aggregate::{Aggregates, Partial, Plan, RowKeys};
use crate::classify::Classifier;
use crate::error::InputError;
use crate::filter::Filter;
use crate::rollup::{DomainHints, Rollup};

/// How many malformed-row samples a scan keeps.
pub const MAX_SAMPLES: usize = 20;

/// Tuning and inputs of a scan that are not the files themselves.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Target chunk size in bytes (streams are read in blocks of at most 1 MiB).
    pub chunk_size: usize,
    /// Map plain files (`false`: read them as streams).
    pub mmap: bool,
    /// Live progress, for a front end that shows it.
    pub progress: Option<Arc<Progress>>,
    /// Mappings shared by the passes that use these options (`None`: each pass maps anew).
    pub maps: Option<Arc<MapCache>>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            chunk_size: DEFAULT_CHUNK_SIZE,
            mmap: true,
            progress: None,
            maps: None,
        }
    }
}

impl ScanOptions {
    /// These options with a mapping cache, for a command that reads the files more than once.
    #[must_use]
    pub fn sharing_maps(&self) -> ScanOptions {
        ScanOptions {
            maps: Some(self.maps.clone().unwrap_or_default()),
            ..self.clone()
        }
    }

    /// These options without progress reports (for passes a front end does not show).
    #[must_use]
    pub fn quiet(&self) -> ScanOptions {
        ScanOptions {
            progress: None,
            ..self.clone()
        }
    }
}

/// Counters a running scan updates, readable from another thread.
#[derive(Debug, Default)]
pub struct Progress {
    pub bytes_total: AtomicU64,
    pub bytes_done: AtomicU64,
    pub records: AtomicU64,
}

/// The rules a scan applies to rows.
#[derive(Debug)]
pub struct Engine<'a> {
    pub classifier: &'a Classifier,
    pub filter: &'a Filter,
    pub rollup: &'a Rollup,
    /// The rollup buckets learned before the pass, needed when the filter tests `domain`
    /// (`None`: the filter sees each row's recipient domain as it is).
    pub domain_map: Option<&'a dyn DomainLookup>,
}

/// The rollup bucket of the recipient domains a pass before the scan learned, for
/// [`destination`]: the summary's every domain (a hash map, or the [`Aggregates`] a scan made),
/// or a front end's table of the few domains whose rows gave rollup evidence (every other
/// domain's bucket comes from its row alone). Looked up once per row by the scan's workers: it
/// neither allocates nor copies.
pub trait DomainLookup: Sync + std::fmt::Debug {
    /// The bucket of a lowercase recipient domain, if this lookup holds it (`None`: the scan
    /// decides from the row, [`destination`]).
    fn bucket(&self, lower_domain: &str) -> Option<&[u8]>;
}

impl<S: std::hash::BuildHasher + Sync> DomainLookup
    for std::collections::HashMap<String, String, S>
{
    #[inline]
    fn bucket(&self, lower_domain: &str) -> Option<&[u8]> {
        self.get(lower_domain).map(String::as_bytes)
    }
}

/// The buckets a scan resolved (binary-searched: for a filtered scan's few domains; a pass
/// over every domain of a large day wants a hash map).
impl DomainLookup for Aggregates {
    #[inline]
    fn bucket(&self, lower_domain: &str) -> Option<&[u8]> {
        self.destination_of(lower_domain).map(|d| d.as_bytes())
    }
}

/// A malformed row: where, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Malformed {
    pub path: String,
    pub line: u64,
    pub reason: String,
}

/// `path:line: reason`, as messages name a malformed row.
impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.path, self.line, self.reason)
    }
}

/// What a scan read from one input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileReport {
    pub path: String,
    /// Bytes read (decompressed for gzip).
    pub bytes: u64,
    /// Parsed data rows (headers and malformed rows excluded; before the filter).
    pub records: u64,
    pub malformed: u64,
    /// Why the input could not be read (fully), if so.
    pub error: Option<String>,
    /// The error came after part of the input was read, and its rows count (a truncated
    /// gzip file): the input was not skipped.
    pub partial: bool,
}

/// Everything about a scan except the aggregates: files, malformed rows, errors.
#[derive(Debug, Default)]
pub struct ScanReport {
    pub files: Vec<FileReport>,
    pub malformed: u64,
    pub malformed_samples: Vec<Malformed>,
    pub errors: Vec<InputError>,
}

impl ScanReport {
    /// A copy of the files and malformed rows, without the input errors (which are not
    /// `Clone`: a front end that keeps a copy shows them as messages).
    #[must_use]
    pub fn without_errors(&self) -> ScanReport {
        ScanReport {
            files: self.files.clone(),
            malformed: self.malformed,
            malformed_samples: self.malformed_samples.clone(),
            errors: Vec::new(),
        }
    }

    /// Data rows parsed, before the filter.
    pub fn records(&self) -> u64 {
        self.files.iter().map(|f| f.records).sum()
    }

    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

/// One valid row that passed the filter, as a sink sees it.
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    pub keys: RowKeys<'a>,
    /// The record's original bytes, including its line ending (if it had one).
    pub raw: &'a [u8],
    pub header: &'a Arc<Header>,
    data: &'a [u8],
    fields: &'a [Field],
}

impl<'a> Row<'a> {
    /// Where the row starts in its piece's bytes ([`ChunkAt::data`]).
    #[inline]
    pub fn offset(&self) -> usize {
        // `raw` is a part of `data`: the scanner cuts both from the same piece.
        self.raw.as_ptr().addr() - self.data.as_ptr().addr()
    }

    /// The bytes of the piece the row is in ([`ChunkAt::data`]): the row's line is the piece's
    /// first line plus the newlines before [`Self::offset`].
    #[inline]
    pub fn piece(&self) -> &'a [u8] {
        self.data
    }

    /// The raw bytes of a column (empty if the header lacks it). Quoted fields come without
    /// their quotes; doubled quotes inside are left as written. Sinks see the [`Col::HOT`]
    /// columns: the scanner stores no field past them.
    #[inline]
    pub fn get(&self, col: Col) -> &'a [u8] {
        debug_assert!(Col::HOT.contains(&col), "{col:?} is not stored by the scan");
        self.header
            .pos(col)
            .and_then(|p| self.fields.get(p))
            .map_or(&b""[..], |f| f.bytes(self.data))
    }
}

/// The counting pass: every row folded into a [`Partial`], and `side` with one state per chunk
/// (made by `init`) for what an analysis collects besides the counts.
pub struct Counting<I, F> {
    pub plan: Arc<Plan>,
    pub init: I,
    pub side: F,
}

impl<T, I, F> Sink for Counting<I, F>
where
    T: Send,
    I: Fn() -> T + Sync,
    F: Fn(&mut T, &Row<'_>) + Sync,
{
    type Fold = Partial;
    type Chunk = T;

    fn new_fold(&self) -> Partial {
        Partial::new(Arc::clone(&self.plan))
    }

    fn new_chunk(&self) -> T {
        (self.init)()
    }

    fn merge(&self, into: &mut Partial, from: Partial) {
        into.merge(from);
    }

    #[inline]
    fn row(&self, fold: &mut Partial, chunk: &mut T, row: &Row<'_>) {
        fold.add(&row.keys);
        (self.side)(chunk, row);
    }
}

/// Reads again the records of one piece that start at `offsets` (ascending, data rows under
/// `header`, as an earlier scan of the same bytes found them) and hands each to `sink` as a scan
/// would: for a follow-up pass that knows which rows it may want. The bytes between them are not
/// read.
pub fn revisit<S: Sink<Fold = ()>>(
    eng: &Engine<'_>,
    piece: &[u8],
    header: &Arc<Header>,
    offsets: impl Iterator<Item = usize>,
    sink: &S,
) -> S::Chunk {
    let mut chunk = sink.new_chunk();
    records::scan_records(
        eng,
        piece,
        Some(Arc::clone(header)),
        &mut records::Target {
            sink,
            fold: &mut (),
            chunk: &mut chunk,
        },
        records::Chosen(offsets),
    );
    chunk
}

/// A complete scan: aggregates with rollups resolved, and the report.
#[derive(Debug)]
pub struct ScanResult {
    /// Shared: the dashboard hands the same counts to its views and its analyses.
    pub aggregates: Arc<Aggregates>,
    pub report: ScanReport,
    /// What the pre-pass of a scan filtered on `domain` learned about each domain's rollup
    /// (lowercase domain -> hints); empty otherwise (the aggregates hold every domain's
    /// rollup: [`Aggregates::destination`]).
    pub hints: FxHashMap<String, DomainHints>,
}

/// Scans with a filter into aggregates (after the rollup pre-pass when the filter needs
/// rolled-up domains).
pub fn run(
    inputs: &[Input],
    opts: &ScanOptions,
    classifier: &Classifier,
    filter: &Filter,
    plan: &Arc<Plan>,
) -> ScanResult {
    run_with(
        inputs,
        opts,
        classifier,
        filter,
        plan,
        || (),
        |(), _| {},
        |(), _| {},
    )
}

/// [`run`], with a side collector over the counted rows: `side` fills one state per chunk
/// (made by `init`), and `consume` receives the states in input order as the scan goes.
#[allow(clippy::too_many_arguments)] // the scan's parts, and the three of the side collector
pub fn run_with<T, I, F, C>(
    inputs: &[Input],
    opts: &ScanOptions,
    classifier: &Classifier,
    filter: &Filter,
    plan: &Arc<Plan>,
    init: I,
    side: F,
    mut consume: C,
) -> ScanResult
where
    T: Send,
    I: Fn() -> T + Sync,
    F: Fn(&mut T, &Row<'_>) + Sync,
    C: FnMut(T, &ChunkAt<'_>) + Send,
{
    // `domain=` needs every domain's rollup, learned from all rows first, so it selects the same
    // rows whatever part of the data they are in. Streams can be read only once (standard input
    // twice when the options share a spool): for them the pre-pass sees what it can.
    let pre = filter
        .needs_domain()
        .then(|| learn_rollups(inputs, opts, classifier, plan));
    let eng = Engine {
        classifier,
        filter,
        rollup: &plan.rollup,
        domain_map: pre.as_ref().map(|(map, _)| map as &dyn DomainLookup),
    };
    let sink = Counting {
        plan: Arc::clone(plan),
        init,
        side,
    };
    let (partial, report) = Driver::new(inputs, opts).run(&eng, &sink, |t, at| {
        consume(t, at);
        std::ops::ControlFlow::Continue(())
    });
    // A filtered scan's partial saw only the matching rows: its rollups take the pre-pass's
    // hints; an unfiltered one's has every hint itself.
    let (aggregates, hints) = match pre {
        Some((_, hints)) => (partial.finish_with_hints(&plan.rollup, &hints), hints),
        None => (partial.finish(&plan.rollup), FxHashMap::default()),
    };
    ScanResult {
        aggregates: Arc::new(aggregates),
        report,
        hints,
    }
}

/// The inputs a pass before the main one can read again: every one but the streams read once
/// (standard input is, when the options keep a spool of it).
pub fn rereadable(inputs: &[Input], opts: &ScanOptions) -> Vec<Input> {
    inputs
        .iter()
        .filter(|i| !i.kind.is_once() || opts.maps.is_some())
        .cloned()
        .collect()
}

/// An unfiltered pass over the inputs that can be read again (plain files, and standard input
/// when the options keep a spool of it): every recipient domain's rollup bucket, and the rollup
/// evidence behind it.
fn learn_rollups(
    inputs: &[Input],
    opts: &ScanOptions,
    classifier: &Classifier,
    plan: &Arc<Plan>,
) -> (FxHashMap<String, String>, FxHashMap<String, DomainHints>) {
    let unfiltered = Filter::default();
    let eng = Engine {
        classifier,
        filter: &unfiltered,
        rollup: &plan.rollup,
        domain_map: None,
    };
    let again = rereadable(inputs, opts);
    let sink = Counting {
        plan: Arc::new(Plan {
            rollup: Arc::clone(&plan.rollup),
            ..Plan::default()
        }),
        init: || (),
        side: |(): &mut (), _: &Row<'_>| {},
    };
    let (pre, _) = Driver::new(&again, &opts.quiet())
        .run(&eng, &sink, |(), _| std::ops::ControlFlow::Continue(()));
    let hints = pre.domain_hints();
    (pre.finish(&plan.rollup).domain_map(), hints)
}
