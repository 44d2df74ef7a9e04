//! The scan: inputs -> chunks -> rows -> sinks. Plain files are mapped and their record-aligned
//! chunks scanned in parallel (rayon), each folded into a [`Partial`] that is merged at the end;
//! gzip files and standard input are streamed in blocks through the same row loop. Bad rows are
//! counted and sampled with file and line; an unreadable input is recorded and skipped.
//!
//! The core never prints: problems come back in [`ScanReport`] for the front end to show.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::acct::chunk::{
    DEFAULT_CHUNK_SIZE, StartHeaders, changes_header, split_points, start_headers,
};
use crate::acct::discover::Input;
use crate::acct::header::{Col, Header};
use crate::acct::record::{Field, FieldSplitter, RecordEnd, Split, is_record_start};
use crate::acct::source::{BlockReader, MapCache, Opened, open};
use crate::acct::time::TimeParser;
use crate::aggregate::{Aggregates, Partial, RowKeys};
use crate::classify::Classifier;
use crate::error::InputError;
use crate::filter::{Filter, RowView};
use crate::model::{Code, NONE_KEY, RecordKind, UNATTRIBUTED_KEY};
use crate::rollup::{self, DomainHints, Rollup};

/// How many malformed-row samples a scan keeps.
pub const MAX_SAMPLES: usize = 20;

/// Tuning and inputs of a scan that are not the files themselves.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Target chunk size in bytes.
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
    /// Lowercased recipient domain -> rollup bucket, needed when the filter tests `domain`.
    pub domain_map: Option<&'a FxHashMap<String, String>>,
}

/// A malformed row: where, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Malformed {
    pub path: String,
    pub line: u64,
    pub reason: String,
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

/// Receives the rows of a chunk that pass the filter.
pub trait RowSink {
    /// Whether a well-formed row of this type, with these fields, can matter to the sink: asked
    /// before the row's timestamp is parsed, its response classified and the filter applied, so
    /// a pass that needs few rows skips the rest cheaply. A declined row is counted neither as a
    /// record nor as malformed (such passes discard their report).
    #[inline]
    fn wants<'d>(&mut self, _kind: RecordKind, _field: &dyn Fn(Col) -> &'d [u8]) -> bool {
        true
    }

    /// Whether [`Self::skim`] can decline rows: then the scan offers it each single-line
    /// record before splitting it into fields.
    const SKIMS: bool = false;

    /// Whether a record (one line, without its line ending, `header` in effect) may matter:
    /// a conservative look at its raw bytes, cheaper than splitting it. `false` skips the row
    /// unread (as [`Self::wants`] does); when unsure, say `true`.
    #[inline]
    fn skim(&mut self, _line: &[u8], _header: &Header) -> bool {
        true
    }

    fn row(&mut self, row: &Row<'_>);
}

impl RowSink for Partial {
    #[inline]
    fn row(&mut self, row: &Row<'_>) {
        self.add(&row.keys);
    }
}

/// What the row loop reports about one chunk.
#[derive(Debug, Default)]
struct ChunkReport {
    /// Newlines consumed (the next chunk's first line is this many lines further).
    lines: u64,
    records: u64,
    malformed: u64,
    /// Malformed rows as (0-based line offset within the chunk, reason).
    samples: Vec<(u64, String)>,
    /// The header in effect at the chunk's end.
    header: Option<Arc<Header>>,
    /// Header lines that changed the columns (see [`StartHeaders::held`]).
    header_changes: u64,
    bytes: u64,
}

/// Scans one chunk of whole records.
///
/// Fields past the header's last [`Col::HOT`] column are only counted, not stored.
fn scan_chunk<S: RowSink>(
    eng: &Engine<'_>,
    data: &[u8],
    mut header: Option<Arc<Header>>,
    sink: &mut S,
) -> ChunkReport {
    let mut rep = ChunkReport {
        bytes: data.len() as u64,
        ..ChunkReport::default()
    };
    let mut splitter = FieldSplitter::default();
    let mut times = TimeParser::default();
    // Classify each distinct response text once per chunk: most rows repeat a few texts.
    let mut codes: FxHashMap<(&[u8], &[u8]), Code> = FxHashMap::default();
    let mut lower = [0u8; 256];
    let mut pos = 0;
    while pos < data.len() {
        if S::SKIMS
            && let Some(h) = &header
            && let Some(next) = skimmed(data, pos, h, sink)
        {
            pos = next;
            rep.lines += 1;
            continue;
        }
        let start = pos;
        let line = rep.lines;
        // A header row is recognised by its first field, so at least one is always stored.
        let limit = header.as_ref().map_or(usize::MAX, |h| h.hot_len);
        let split = splitter.split_first(data, pos, limit);
        pos = split.next;
        rep.lines += split.newlines;
        let fields = splitter.fields();
        // A blank line carries nothing.
        if split.field_count == 1
            && fields[0].start == fields[0].end
            && split.end != RecordEnd::UnterminatedQuote
        {
            continue;
        }
        if fields[0].bytes(data) == b"type" {
            let line = &data[start..split.content_end];
            if changes_header(header.as_ref(), line) {
                header = Header::parse(line);
                rep.header_changes += 1;
            }
            continue;
        }
        let checked = check_shape(data, fields, &split, header.as_ref()).and_then(|(h, kind)| {
            let get = |col: Col| h.pos(col).map_or(&b""[..], |p| fields[p].bytes(data));
            if !sink.wants(kind, &get) {
                return Ok(None);
            }
            let time = check_time(data, fields, h, &mut times)?;
            Ok(Some((h, kind, time)))
        });
        let (h, kind, time) = match checked {
            Ok(Some(ok)) => ok,
            Ok(None) => continue,
            Err(reason) => {
                rep.malformed += 1;
                if rep.samples.len() < MAX_SAMPLES {
                    rep.samples.push((line, reason));
                }
                continue;
            }
        };
        rep.records += 1;
        let get = |col: Col| h.pos(col).map_or(&b""[..], |p| fields[p].bytes(data));
        let keys = row_keys(kind, time, get, |diag, status| {
            *codes
                .entry((diag, status))
                .or_insert_with(|| eng.classifier.classify(diag, status))
        });
        if !eng.filter.is_empty() && !passes(eng, &keys, get, &mut lower) {
            continue;
        }
        sink.row(&Row {
            keys,
            raw: &data[start..split.next],
            header: h,
            data,
            fields,
        });
    }
    rep.header = header;
    rep
}

/// Where the next record starts if the sink declines the one at `pos` on sight
/// ([`RowSink::skim`]). Only a record on one line is offered: its newline must be followed by a
/// record start, the rule by which the splitter too ends a record there (see `acct::chunk`), so
/// skipping to it agrees with splitting. Header lines are never skimmed.
#[inline]
fn skimmed<S: RowSink>(data: &[u8], pos: usize, h: &Header, sink: &mut S) -> Option<usize> {
    let nl = pos + memchr::memchr(b'\n', &data[pos..])?;
    let next = nl + 1;
    if next < data.len() && !is_record_start(data, next) {
        return None;
    }
    let line = &data[pos..nl];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.starts_with(b"type,") || sink.skim(line, h) {
        return None;
    }
    Some(next)
}

/// Validates a data row against its header: known type, field count (the timestamp is
/// [`check_time`]'s).
fn check_shape<'h>(
    data: &[u8],
    fields: &[Field],
    split: &Split,
    header: Option<&'h Arc<Header>>,
) -> Result<(&'h Arc<Header>, RecordKind), String> {
    if split.end == RecordEnd::UnterminatedQuote {
        return Err("unterminated quoted field (a quote opened and never closed)".into());
    }
    let Some(h) = header else {
        return Err("no header line (`type,...`) before this row".into());
    };
    let type_field = fields[0].bytes(data);
    let Some(kind) = RecordKind::from_bytes(type_field) else {
        return Err(format!("unknown record type `{}`", lossy(type_field, 20)));
    };
    // A trailing comma (an empty extra field) is tolerated: the manual's own `t` sample has one.
    let count = split.field_count;
    let extra = count.saturating_sub(h.len());
    let extra_empty =
        (1..=8).contains(&extra) && data[..split.content_end].ends_with(&b",,,,,,,,"[..extra]);
    if count != h.len() && !extra_empty {
        let what = if split.end == RecordEnd::EndOfInput && count < h.len() {
            " (incomplete last line: no newline at the end; the file may still be written)"
        } else {
            ""
        };
        return Err(format!(
            "expected {} fields as in the header, found {count}{what}",
            h.len(),
        ));
    }
    Ok((h, kind))
}

/// A data row's `timeLogged` as UTC seconds (`None` when the column is absent or empty).
fn check_time(
    data: &[u8],
    fields: &[Field],
    h: &Header,
    times: &mut TimeParser,
) -> Result<Option<i64>, String> {
    match h.pos(Col::TimeLogged).map(|p| fields[p].bytes(data)) {
        None | Some(b"") => Ok(None),
        Some(v) => times
            .parse(v)
            .map(Some)
            .ok_or_else(|| format!("bad timeLogged `{}`", lossy(v, 40))),
    }
}

/// The aggregation keys of a valid row. `classify` maps (dsnDiag, dsnStatus) to a code.
#[inline]
fn row_keys<'a>(
    kind: RecordKind,
    time: Option<i64>,
    get: impl Fn(Col) -> &'a [u8],
    mut classify: impl FnMut(&'a [u8], &'a [u8]) -> Code,
) -> RowKeys<'a> {
    // `f` rows are reports about our mail from someone else: their dlvSourceIp is the
    // reporter's, and they have no VMTA or pool of their own.
    let (vmta, source_ip, pool) = if kind == RecordKind::Feedback {
        let u = UNATTRIBUTED_KEY.as_bytes();
        (u, u, u)
    } else {
        (
            or_none(get(Col::Vmta)),
            or_none(get(Col::DlvSourceIp)),
            or_none(get(Col::VmtaPool)),
        )
    };
    let queue = get(Col::Queue);
    let mut rcpt_domain = if kind == RecordKind::TransientQueue {
        rollup::queue_domain(queue)
    } else {
        rollup::address_domain(get(Col::Rcpt))
    };
    if rcpt_domain.is_empty() && kind == RecordKind::Feedback {
        rcpt_domain = rollup::address_domain(get(Col::HmXmrOriginalRecipient));
    }
    let code = if kind.has_response() {
        classify(get(Col::DsnDiag), get(Col::DsnStatus))
    } else {
        Code::None
    };
    let dsn_mta = get(Col::DsnMta);
    RowKeys {
        kind,
        time,
        vmta,
        source_ip,
        rcpt_domain: or_none(rcpt_domain),
        pool,
        code,
        queue_rollup: rollup::queue_rollup(queue),
        microsoft_mx: !dsn_mta.is_empty() && rollup::is_microsoft_consumer_mx(dsn_mta),
    }
}

/// Whether a row passes the engine's filter.
#[inline]
fn passes<'a>(
    eng: &Engine<'_>,
    keys: &RowKeys<'a>,
    get: impl Fn(Col) -> &'a [u8],
    lower: &mut [u8; 256],
) -> bool {
    let domain = if eng.filter.needs_domain() {
        rolled_domain(eng, keys.rcpt_domain, lower)
    } else {
        keys.rcpt_domain
    };
    let view = RowView {
        kind: keys.kind,
        vmta: keys.vmta,
        pool: keys.pool,
        source_ip: keys.source_ip,
        domain,
        rcpt_domain: keys.rcpt_domain,
        code: keys.code,
        response_kind: response_kind(eng.classifier, keys.code),
        job: or_none(get(Col::JobId)),
        diag: get(Col::DsnDiag),
        time: keys.time,
    };
    eng.filter.matches(&view)
}

/// The kind of a classified code: the rule's, else implied by the code's class.
pub fn response_kind(classifier: &Classifier, code: Code) -> Option<crate::model::ResponseKind> {
    match code {
        Code::Rule(id) => Some(classifier.rule(id).kind),
        other => other.fallback_kind(),
    }
}

/// The rollup bucket of a recipient domain, from the pre-pass map (no allocation).
fn rolled_domain<'a>(eng: &'a Engine<'_>, domain: &'a [u8], lower: &'a mut [u8; 256]) -> &'a [u8] {
    let Some(map) = eng.domain_map else {
        return domain;
    };
    if domain.len() > lower.len() {
        return domain;
    }
    let l = &mut lower[..domain.len()];
    l.copy_from_slice(domain);
    l.make_ascii_lowercase();
    match std::str::from_utf8(l).ok().and_then(|s| map.get(s)) {
        Some(r) => r.as_bytes(),
        None => l,
    }
}

#[inline]
fn or_none(v: &[u8]) -> &[u8] {
    if v.is_empty() { NONE_KEY.as_bytes() } else { v }
}

fn lossy(v: &[u8], max: usize) -> String {
    let s = String::from_utf8_lossy(v);
    if s.chars().count() > max {
        format!("{}...", s.chars().take(max).collect::<String>())
    } else {
        s.into_owned()
    }
}

/// One unit of parallel work: a chunk of a mapped file.
struct Job<'m> {
    file: usize,
    seq: usize,
    data: &'m [u8],
    header: Option<Arc<Header>>,
}

/// The inputs opened for a scan, with their chunks.
struct Opening {
    files: Vec<FileReport>,
    maps: Vec<Option<Arc<memmap2::Mmap>>>,
    streams: Vec<Option<Box<dyn io::Read + Send>>>,
    errors: Vec<InputError>,
}

fn open_all(inputs: &[Input], opts: &ScanOptions) -> Opening {
    let mut o = Opening {
        files: Vec::new(),
        maps: Vec::new(),
        streams: Vec::new(),
        errors: Vec::new(),
    };
    for input in inputs {
        let mut rep = FileReport {
            path: input.display(),
            ..FileReport::default()
        };
        let opened = match &opts.maps {
            Some(cache) => cache.open(input, opts.mmap),
            None => open(input, opts.mmap),
        };
        let (map, stream) = match opened {
            Ok(Opened::Mapped(m)) => (Some(m), None),
            Ok(Opened::Empty) => (None, None),
            Ok(Opened::Stream(s)) => (None, Some(s)),
            Err(e) => {
                rep.error = Some(e.to_string());
                o.errors.push(e);
                (None, None)
            }
        };
        if let (Some(m), Some(p)) = (&map, &opts.progress) {
            p.bytes_total.fetch_add(m.len() as u64, Ordering::Relaxed);
        }
        o.files.push(rep);
        o.maps.push(map);
        o.streams.push(stream);
    }
    o
}

/// The chunks of every mapped input, and per input the headers guessed for them (`None` for
/// inputs that are not mapped). Inputs marked in `exact` have their headers found exactly.
fn jobs<'m>(
    maps: &'m [Option<Arc<memmap2::Mmap>>],
    chunk_size: usize,
    exact: &[bool],
) -> (Vec<Job<'m>>, Vec<Option<StartHeaders>>) {
    let mut work = Vec::new();
    let mut guesses = Vec::with_capacity(maps.len());
    for (file, map) in maps.iter().enumerate() {
        guesses.push(map.as_ref().map(|m| {
            let starts = split_points(m, chunk_size);
            let sh = start_headers(m, &starts, m.len(), None, exact[file]);
            work.extend(range_jobs(m, file, 0, &starts, m.len(), &sh));
            sh
        }));
    }
    (work, guesses)
}

/// The jobs of the chunks starting at `starts` (the last ends at `end`), numbered from `seq`.
fn range_jobs<'m>(
    data: &'m [u8],
    file: usize,
    seq: usize,
    starts: &[usize],
    end: usize,
    sh: &StartHeaders,
) -> Vec<Job<'m>> {
    let ends = starts.iter().skip(1).copied().chain([end]);
    starts
        .iter()
        .zip(ends)
        .zip(&sh.headers)
        .enumerate()
        .map(|(i, ((s, e), h))| Job {
            file,
            seq: seq + i,
            data: &data[*s..e],
            header: h.clone(),
        })
        .collect()
}

/// Inputs whose guessed chunk headers turned out wrong, from the chunk reports sorted by
/// (file, sequence).
fn wrong_guesses<'r>(
    guesses: &[Option<StartHeaders>],
    reports: impl Iterator<Item = ((usize, usize), &'r ChunkReport)>,
) -> Vec<usize> {
    let mut changes: Vec<Vec<u64>> = vec![Vec::new(); guesses.len()];
    for ((file, _), rep) in reports {
        changes[file].push(rep.header_changes);
    }
    guesses
        .iter()
        .enumerate()
        .filter(|(file, g)| g.as_ref().is_some_and(|g| !g.held(&changes[*file])))
        .map(|(file, _)| file)
        .collect()
}

/// Counts a scanned chunk in the progress.
fn report(progress: Option<&Progress>, rep: &ChunkReport) {
    if let Some(p) = progress {
        p.bytes_done.fetch_add(rep.bytes, Ordering::Relaxed);
        p.records.fetch_add(rep.records, Ordering::Relaxed);
    }
}

/// Scans the chunks of one range with guessed start headers (`scan(false)`) and, if a header
/// line changed the columns before the last chunk, again with the headers found exactly
/// (`scan(true)`), taking back the first run's progress. `scan` returns each chunk's result with
/// its report, in chunk order, and the start headers it used.
fn with_guessed_headers<X>(
    progress: Option<&Progress>,
    scan: impl Fn(bool) -> (Vec<(X, ChunkReport)>, StartHeaders),
) -> Vec<(X, ChunkReport)> {
    let (done, sh) = scan(false);
    let changes: Vec<u64> = done.iter().map(|(_, rep)| rep.header_changes).collect();
    if sh.held(&changes) {
        return done;
    }
    unreport(progress, done.iter().map(|(_, rep)| rep));
    scan(true).0
}

/// Takes back the progress of chunks that are scanned again.
fn unreport<'r>(progress: Option<&Progress>, reports: impl Iterator<Item = &'r ChunkReport>) {
    if let Some(p) = progress {
        for rep in reports {
            p.bytes_done.fetch_sub(rep.bytes, Ordering::Relaxed);
            p.records.fetch_sub(rep.records, Ordering::Relaxed);
        }
    }
}

/// Per-chunk reports keyed by (file, sequence), folded into the file reports and samples.
fn settle(
    files: &mut [FileReport],
    mut reports: Vec<((usize, usize), ChunkReport)>,
) -> (u64, Vec<Malformed>) {
    reports.sort_by_key(|(k, _)| *k);
    let mut malformed = 0;
    let mut samples = Vec::new();
    let mut line_base: FxHashMap<usize, u64> = FxHashMap::default();
    for ((file, _), rep) in reports {
        let base = line_base.entry(file).or_insert(0);
        let f = &mut files[file];
        f.records += rep.records;
        f.malformed += rep.malformed;
        f.bytes += rep.bytes;
        malformed += rep.malformed;
        for (line, reason) in rep.samples {
            if samples.len() < MAX_SAMPLES {
                samples.push(Malformed {
                    path: f.path.clone(),
                    line: *base + line + 1,
                    reason,
                });
            }
        }
        *base += rep.lines;
    }
    (malformed, samples)
}

/// Streams one input through `each`, block by block, in order.
fn stream_blocks(
    stream: Box<dyn io::Read + Send>,
    chunk_size: usize,
    progress: Option<&Progress>,
    mut each: impl FnMut(&[u8], Option<Arc<Header>>) -> ChunkReport,
) -> (Vec<ChunkReport>, Option<io::Error>) {
    let mut reader = BlockReader::new(stream, chunk_size);
    let mut header = None;
    let mut reps = Vec::new();
    loop {
        match reader.next_block() {
            Ok(Some(block)) => {
                let rep = each(block, header.take());
                report(progress, &rep);
                header.clone_from(&rep.header);
                reps.push(rep);
            }
            Ok(None) => return (reps, None),
            Err(e) => return (reps, Some(e)),
        }
    }
}

/// Scans `inputs` into aggregates. Uses the current rayon pool (install one for `--threads`).
pub fn aggregate(inputs: &[Input], opts: &ScanOptions, eng: &Engine<'_>) -> (Partial, ScanReport) {
    let (partial, _, report) = aggregate_with(inputs, opts, eng, || (), |(), _| {});
    (partial, report)
}

/// What a pass does with the rows besides folding them, with one state `T` per chunk. Any
/// `Fn(&mut T, &Row)` closure is one that wants every row; implement `wants` to decline rows
/// early.
pub trait Side<T>: Sync {
    /// See [`RowSink::wants`].
    #[inline]
    fn wants<'d>(
        &self,
        _state: &mut T,
        _kind: RecordKind,
        _field: &dyn Fn(Col) -> &'d [u8],
    ) -> bool {
        true
    }
    /// See [`RowSink::SKIMS`].
    const SKIMS: bool = false;
    /// See [`RowSink::skim`].
    #[inline]
    fn skim(&self, _state: &mut T, _line: &[u8], _header: &Header) -> bool {
        true
    }
    fn row(&self, state: &mut T, row: &Row<'_>);
}

impl<T, F: Fn(&mut T, &Row<'_>) + Sync> Side<T> for F {
    #[inline]
    fn row(&self, state: &mut T, row: &Row<'_>) {
        self(state, row);
    }
}

/// Folds rows into a sink and also hands each row to a side collector.
struct WithSide<'a, S, T, F> {
    sink: &'a mut S,
    state: T,
    side: &'a F,
}

impl<S: RowSink, T, F: Side<T>> RowSink for WithSide<'_, S, T, F> {
    #[inline]
    fn wants<'d>(&mut self, kind: RecordKind, field: &dyn Fn(Col) -> &'d [u8]) -> bool {
        self.sink.wants(kind, field) || self.side.wants(&mut self.state, kind, field)
    }

    const SKIMS: bool = S::SKIMS && F::SKIMS;

    #[inline]
    fn skim(&mut self, line: &[u8], header: &Header) -> bool {
        self.sink.skim(line, header) || self.side.skim(&mut self.state, line, header)
    }

    #[inline]
    fn row(&mut self, row: &Row<'_>) {
        self.sink.row(row);
        self.side.row(&mut self.state, row);
    }
}

/// A sink that workers fill separately and that merges back into one.
pub trait Fold: RowSink + Default + Send {
    fn merge(&mut self, other: Self);
}

impl Fold for Partial {
    fn merge(&mut self, other: Self) {
        Partial::merge(self, other);
    }
}

/// No sink: for passes that only visit rows (it wants none; the side decides).
impl RowSink for () {
    #[inline]
    fn wants<'d>(&mut self, _kind: RecordKind, _field: &dyn Fn(Col) -> &'d [u8]) -> bool {
        false
    }

    const SKIMS: bool = true;

    #[inline]
    fn skim(&mut self, _line: &[u8], _header: &Header) -> bool {
        false
    }

    #[inline]
    fn row(&mut self, _row: &Row<'_>) {}
}

impl Fold for () {
    fn merge(&mut self, (): ()) {}
}

/// [`aggregate`], and in the same pass `side` over every counted row with one state per chunk
/// made by `init`; the states come back in input order (file, then position). Analyses collect
/// what they need from the rows here instead of reading the files again.
pub fn aggregate_with<T, I, F>(
    inputs: &[Input],
    opts: &ScanOptions,
    eng: &Engine<'_>,
    init: I,
    side: F,
) -> (Partial, Vec<T>, ScanReport)
where
    T: Send,
    I: Fn() -> T + Sync,
    F: Fn(&mut T, &Row<'_>) + Sync,
{
    fold_ordered(inputs, opts, eng, init, side)
}

/// The scan loop shared by every pass: chunks of mapped files in parallel, each folded into a
/// `P` (merged in any order) and visited by `side` with its own state (returned in input order),
/// then streamed inputs block by block.
#[allow(clippy::needless_pass_by_value)] // taken by value like the closures callers pass
fn fold_ordered<P, T, I, F>(
    inputs: &[Input],
    opts: &ScanOptions,
    eng: &Engine<'_>,
    init: I,
    side: F,
) -> (P, Vec<T>, ScanReport)
where
    P: Fold,
    T: Send,
    I: Fn() -> T + Sync,
    F: Side<T>,
{
    let mut o = open_all(inputs, opts);
    let progress = opts.progress.as_deref();
    let mut exact = vec![false; inputs.len()];
    let (mut folded, mut done) = loop {
        let (work, guesses) = jobs(&o.maps, opts.chunk_size, &exact);
        let (folded, mut done): (P, Vec<_>) = work
            .par_iter()
            .fold(
                || (P::default(), Vec::new()),
                |(mut folded, mut done), job| {
                    let mut sink = WithSide {
                        sink: &mut folded,
                        state: init(),
                        side: &side,
                    };
                    let rep = scan_chunk(eng, job.data, job.header.clone(), &mut sink);
                    report(progress, &rep);
                    done.push(((job.file, job.seq), rep, sink.state));
                    (folded, done)
                },
            )
            .reduce(
                || (P::default(), Vec::new()),
                |(mut a, mut da), (b, db)| {
                    a.merge(b);
                    da.extend(db);
                    (a, da)
                },
            );
        done.sort_by_key(|(k, _, _)| *k);
        let wrong = wrong_guesses(&guesses, done.iter().map(|(k, rep, _)| (*k, rep)));
        if wrong.is_empty() {
            break (folded, done);
        }
        // A header changed the columns in mid-file: scan everything again (the partial results
        // are already merged), with the headers of those files found exactly.
        unreport(progress, done.iter().map(|(_, rep, _)| rep));
        for file in wrong {
            exact[file] = true;
        }
    };
    for (file, input) in inputs.iter().enumerate() {
        let Some(stream) = o.streams[file].take() else {
            continue;
        };
        let mut states = Vec::new();
        let (reps, err) = stream_blocks(stream, opts.chunk_size, progress, |block, header| {
            let mut sink = WithSide {
                sink: &mut folded,
                state: init(),
                side: &side,
            };
            let rep = scan_chunk(eng, block, header, &mut sink);
            states.push(sink.state);
            rep
        });
        for (seq, (rep, state)) in reps.into_iter().zip(states).enumerate() {
            done.push(((file, seq), rep, state));
        }
        if let Some(e) = err {
            record_read_error(&mut o, file, input, e);
        }
    }
    done.sort_by_key(|(k, _, _)| *k);
    let mut states = Vec::with_capacity(done.len());
    let mut reports = Vec::with_capacity(done.len());
    for (k, rep, state) in done {
        reports.push((k, rep));
        states.push(state);
    }
    let (malformed, malformed_samples) = settle(&mut o.files, reports);
    let report = ScanReport {
        files: o.files,
        malformed,
        malformed_samples,
        errors: o.errors,
    };
    (folded, states, report)
}

/// Runs `visit` over every row that passes the engine's filter, with one state per chunk made by
/// `init`; returns the states in input order (file, then position) and the scan report. For
/// analyses that need more than the aggregates (per-recipient sequences, complaint joins): each
/// chunk's state is built in parallel, and ordering them lets the caller reason across chunk and
/// file boundaries.
pub fn visit<T, I, F>(
    inputs: &[Input],
    opts: &ScanOptions,
    eng: &Engine<'_>,
    init: I,
    visit: F,
) -> (Vec<T>, ScanReport)
where
    T: Send,
    I: Fn() -> T + Sync,
    F: Fn(&mut T, &Row<'_>) + Sync,
{
    visit_side(inputs, opts, eng, init, visit)
}

/// [`visit`] with any [`Side`], e.g. one that declines most rows cheaply.
pub fn visit_side<T, I, F>(
    inputs: &[Input],
    opts: &ScanOptions,
    eng: &Engine<'_>,
    init: I,
    side: F,
) -> (Vec<T>, ScanReport)
where
    T: Send,
    I: Fn() -> T + Sync,
    F: Side<T>,
{
    let ((), states, report) = fold_ordered::<(), _, _, _>(inputs, opts, eng, init, side);
    (states, report)
}

/// [`visit`] over every row, unfiltered and without progress reports: for passes of the core's
/// own (connection estimate, daily volumes) that read all rows whatever the user's filter.
pub fn visit_all<T, I, F>(
    inputs: &[Input],
    opts: &ScanOptions,
    classifier: &Classifier,
    rollup: &Rollup,
    init: I,
    f: F,
) -> Vec<T>
where
    T: Send,
    I: Fn() -> T + Sync,
    F: Fn(&mut T, &Row<'_>) + Sync,
{
    let unfiltered = Filter::default();
    let eng = Engine {
        classifier,
        filter: &unfiltered,
        rollup,
        domain_map: None,
    };
    let quiet = ScanOptions {
        progress: None,
        ..opts.clone()
    };
    visit(inputs, &quiet, &eng, init, f).0
}

fn record_read_error(o: &mut Opening, file: usize, input: &Input, source: io::Error) {
    let e = InputError::Io {
        path: input.path.clone(),
        source,
    };
    o.files[file].error = Some(e.to_string());
    o.errors.push(e);
}

/// A complete scan: aggregates with rollups resolved, and the report.
#[derive(Debug)]
pub struct ScanResult {
    pub aggregates: Aggregates,
    pub report: ScanReport,
    /// What the scan learned about each domain's rollup (lowercase domain -> hints).
    pub hints: FxHashMap<String, DomainHints>,
}

/// Scans with a filter, doing the rollup pre-pass when the filter needs rolled-up domains.
pub fn run(
    inputs: &[Input],
    opts: &ScanOptions,
    classifier: &Classifier,
    filter: &Filter,
    rollup: &Rollup,
) -> ScanResult {
    run_with(inputs, opts, classifier, filter, rollup, || (), |(), _| {}).0
}

/// [`run`], with a side collector over the counted rows (see [`aggregate_with`]).
pub fn run_with<T, I, F>(
    inputs: &[Input],
    opts: &ScanOptions,
    classifier: &Classifier,
    filter: &Filter,
    rollup: &Rollup,
    init: I,
    side: F,
) -> (ScanResult, Vec<T>)
where
    T: Send,
    I: Fn() -> T + Sync,
    F: Fn(&mut T, &Row<'_>) + Sync,
{
    // `domain=` needs every domain's rollup, learned from all rows first, so it selects the same
    // rows whatever part of the data they are in. Streams can be read only once: for them the
    // pre-pass sees nothing and rollups fall back to the built-in rules.
    let pre = filter
        .needs_domain()
        .then(|| learn_rollups(inputs, opts, classifier, rollup));
    let eng = Engine {
        classifier,
        filter,
        rollup,
        domain_map: pre.as_ref().map(|(map, _)| map),
    };
    let (partial, states, report) = aggregate_with(inputs, opts, &eng, init, side);
    let hints = match pre {
        Some((_, hints)) => hints,
        None => partial.domain_hints(),
    };
    let aggregates = partial.finish(rollup, &hints);
    (
        ScanResult {
            aggregates,
            report,
            hints,
        },
        states,
    )
}

/// An unfiltered pass over the mapped inputs: every recipient domain's rollup bucket, and the
/// rollup evidence behind it.
fn learn_rollups(
    inputs: &[Input],
    opts: &ScanOptions,
    classifier: &Classifier,
    rollup: &Rollup,
) -> (FxHashMap<String, String>, FxHashMap<String, DomainHints>) {
    let unfiltered = Filter::default();
    let eng = Engine {
        classifier,
        filter: &unfiltered,
        rollup,
        domain_map: None,
    };
    let plain: Vec<Input> = inputs
        .iter()
        .filter(|i| i.kind == crate::acct::discover::InputKind::Plain)
        .cloned()
        .collect();
    let quiet = ScanOptions {
        progress: None,
        ..opts.clone()
    };
    let (pre, _) = aggregate(&plain, &quiet, &eng);
    let hints = pre.domain_hints();
    (domain_map(&pre.finish(rollup, &hints)), hints)
}

/// Learns every recipient domain's rollup bucket from the mapped inputs (streams can be read only
/// once, so they are left out; their domains fall back to the built-in rules).
pub fn domain_map_of(
    inputs: &[Input],
    opts: &ScanOptions,
    classifier: &Classifier,
    rollup: &Rollup,
) -> FxHashMap<String, String> {
    learn_rollups(inputs, opts, classifier, rollup).0
}

/// Recipient domain -> rollup bucket, from resolved aggregates.
pub fn domain_map(agg: &Aggregates) -> FxHashMap<String, String> {
    agg.cells
        .iter()
        .map(|c| (c.id.rcpt_domain.to_string(), c.id.domain.to_string()))
        .collect()
}

/// What [`scan_block`] found in one block of bytes of an input.
#[derive(Debug, Default)]
pub struct BlockScan {
    /// The matching rows, aggregated.
    pub partial: Partial,
    /// Where the first `locate` matching rows are: byte offset from the start of the input
    /// (the block's `base` added) and length including the line ending, in input order.
    pub rows: Vec<(u64, u32)>,
    /// Which header the located rows from an index on were read with: (index in `rows`,
    /// header), one entry per change.
    pub row_headers: Vec<(usize, Arc<Header>)>,
    /// Matching rows past the `locate` limit (counted in `partial`, not located).
    pub unlocated: u64,
    /// Data rows parsed (before the filter) and malformed rows.
    pub records: u64,
    pub malformed: u64,
    /// Malformed rows as (0-based line within the block, reason), at most [`MAX_SAMPLES`].
    pub samples: Vec<(u64, String)>,
    /// Newlines in the block (the next block's first line is this many lines further).
    pub lines: u64,
    /// The header in effect at the block's end: pass it with the input's next block.
    pub header: Option<Arc<Header>>,
}

/// Aggregates a sink's rows and remembers where the first `cap` of them are.
struct Locate {
    partial: Partial,
    /// Address of the block's first byte: a row's offset is its address minus this.
    base_addr: usize,
    base: u64,
    cap: usize,
    rows: Vec<(u64, u32)>,
    row_headers: Vec<(usize, Arc<Header>)>,
    unlocated: u64,
}

impl RowSink for Locate {
    fn row(&mut self, row: &Row<'_>) {
        self.partial.add(&row.keys);
        if self.rows.len() >= self.cap {
            self.unlocated += 1;
            return;
        }
        if self
            .row_headers
            .last()
            .is_none_or(|(_, h)| !Arc::ptr_eq(h, row.header))
        {
            self.row_headers
                .push((self.rows.len(), Arc::clone(row.header)));
        }
        let offset = self.base + (row.raw.as_ptr().addr() - self.base_addr) as u64;
        self.rows
            .push((offset, u32::try_from(row.raw.len()).unwrap_or(u32::MAX)));
    }
}

/// Scans one block of whole records of an input (a mapped file, or the part of it appended
/// since the last look) in parallel chunks: aggregates plus the locations of the first `locate`
/// matching rows, for a viewer that parses rows only when they are shown. `header` is the
/// header in effect before the block (from the previous block's [`BlockScan::header`]); `base`
/// is the block's offset in the input. Results do not depend on the chunk size.
pub fn scan_block(
    data: &[u8],
    base: u64,
    header: Option<Arc<Header>>,
    opts: &ScanOptions,
    eng: &Engine<'_>,
    locate: usize,
) -> BlockScan {
    let starts = split_points(data, opts.chunk_size);
    let base_addr = data.as_ptr().addr();
    let progress = opts.progress.as_deref();
    let done = with_guessed_headers(progress, |exact| {
        let sh = start_headers(data, &starts, data.len(), header.clone(), exact);
        let done: Vec<(Locate, ChunkReport)> = range_jobs(data, 0, 0, &starts, data.len(), &sh)
            .into_par_iter()
            .map(|job| {
                let mut sink = Locate {
                    partial: Partial::default(),
                    base_addr,
                    base,
                    cap: locate,
                    rows: Vec::new(),
                    row_headers: Vec::new(),
                    unlocated: 0,
                };
                let rep = scan_chunk(eng, job.data, job.header, &mut sink);
                report(progress, &rep);
                (sink, rep)
            })
            .collect();
        (done, sh)
    });
    let mut out = BlockScan {
        header,
        ..BlockScan::default()
    };
    for (sink, rep) in done {
        out.partial.merge(sink.partial);
        let room = locate.saturating_sub(out.rows.len());
        let take = sink.rows.len().min(room);
        for (i, h) in sink.row_headers {
            if i < take
                && out
                    .row_headers
                    .last()
                    .is_none_or(|(_, last)| !Arc::ptr_eq(last, &h))
            {
                out.row_headers.push((out.rows.len() + i, h));
            }
        }
        out.unlocated += sink.unlocated + (sink.rows.len() - take) as u64;
        out.rows.extend_from_slice(&sink.rows[..take]);
        out.records += rep.records;
        out.malformed += rep.malformed;
        for (line, reason) in rep.samples {
            if out.samples.len() < MAX_SAMPLES {
                out.samples.push((out.lines + line, reason));
            }
        }
        out.lines += rep.lines;
        if rep.header.is_some() {
            out.header = rep.header;
        }
    }
    out
}

/// Collects matching rows of one chunk, remembering which header each run of rows had.
#[derive(Default)]
struct RowsOut {
    bytes: Vec<u8>,
    /// (offset in `bytes`, header of the rows from there on)
    headers: Vec<(usize, Arc<Header>)>,
    matched: u64,
}

impl RowSink for RowsOut {
    fn row(&mut self, row: &Row<'_>) {
        if self
            .headers
            .last()
            .is_none_or(|(_, h)| !Arc::ptr_eq(h, row.header))
        {
            self.headers
                .push((self.bytes.len(), Arc::clone(row.header)));
        }
        self.bytes.extend_from_slice(row.raw);
        if !row.raw.ends_with(b"\n") {
            self.bytes.push(b'\n');
        }
        self.matched += 1;
    }
}

/// Writes rows in order, repeating the header line whenever it changes.
struct RowsWriter<'w> {
    out: &'w mut dyn Write,
    last_header: Option<Vec<u8>>,
    matched: u64,
}

impl RowsWriter<'_> {
    fn write(&mut self, chunk: &RowsOut) -> io::Result<()> {
        let mut at = 0;
        for (i, (off, h)) in chunk.headers.iter().enumerate() {
            self.out.write_all(&chunk.bytes[at..*off])?;
            if self.last_header.as_deref() != Some(&h.raw[..]) {
                self.out.write_all(&h.raw)?;
                self.out.write_all(b"\n")?;
                self.last_header = Some(h.raw.clone());
            }
            at = *off;
            if i + 1 == chunk.headers.len() {
                break;
            }
        }
        self.out.write_all(&chunk.bytes[at..])?;
        self.matched += chunk.matched;
        Ok(())
    }
}

/// Writes every row that passes the filter, in input order, as its original bytes.
/// Returns the number of rows written; a write error (a closed pipe) stops the scan.
pub fn rows(
    inputs: &[Input],
    opts: &ScanOptions,
    eng: &Engine<'_>,
    out: &mut dyn Write,
) -> (Result<u64, io::Error>, ScanReport) {
    let mut o = open_all(inputs, opts);
    let mut reports = Vec::new();
    let mut w = RowsWriter {
        out,
        last_header: None,
        matched: 0,
    };
    // Chunks are scanned in parallel a window at a time and written in order, so memory stays
    // bounded by the window whatever the file size.
    let window = rayon::current_num_threads() * 4;
    let progress = opts.progress.as_deref();
    let mut result = Ok(());
    'files: for (file, input) in inputs.iter().enumerate() {
        if let Some(map) = &o.maps[file] {
            let starts = split_points(map, opts.chunk_size);
            // The header at the end of the previous window is known exactly: each window
            // guesses from it and, if a header changed the columns inside, is scanned again.
            let mut header = None;
            for (w_index, batch) in starts.chunks(window).enumerate() {
                let seq = w_index * window;
                let end = starts.get(seq + batch.len()).copied().unwrap_or(map.len());
                let chunk_outputs = with_guessed_headers(progress, |exact| {
                    let sh = start_headers(map, batch, end, header.clone(), exact);
                    let out: Vec<(RowsOut, ChunkReport)> =
                        range_jobs(map, file, seq, batch, end, &sh)
                            .into_par_iter()
                            .map(|job| {
                                let mut sink = RowsOut::default();
                                let rep = scan_chunk(eng, job.data, job.header, &mut sink);
                                report(progress, &rep);
                                (sink, rep)
                            })
                            .collect();
                    (out, sh)
                });
                for (i, (sink, rep)) in chunk_outputs.into_iter().enumerate() {
                    header.clone_from(&rep.header);
                    reports.push(((file, seq + i), rep));
                    if result.is_ok() {
                        result = w.write(&sink);
                    }
                }
                if result.is_err() {
                    break 'files;
                }
            }
        }
        if let Some(stream) = o.streams[file].take() {
            let (reps, err) = stream_blocks(stream, opts.chunk_size, progress, |block, header| {
                let mut sink = RowsOut::default();
                let rep = scan_chunk(eng, block, header, &mut sink);
                if result.is_ok() {
                    result = w.write(&sink);
                }
                rep
            });
            reports.extend(
                reps.into_iter()
                    .enumerate()
                    .map(|(seq, r)| ((file, seq), r)),
            );
            if let Some(e) = err {
                record_read_error(&mut o, file, input, e);
            }
            if result.is_err() {
                break 'files;
            }
        }
    }
    let (malformed, malformed_samples) = settle(&mut o.files, reports);
    let report = ScanReport {
        files: o.files,
        malformed,
        malformed_samples,
        errors: o.errors,
    };
    (result.map(|()| w.matched), report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::LazyLock;

    use crate::acct::discover::InputKind;
    use crate::aggregate::Dim;

    /// Every hard case in one file: quoted commas, doubled quotes, a newline inside quotes,
    /// CRLF, a malformed row, a stray quote, a second header with another column order, and a
    /// final line without a newline.
    const FIXTURE: &[u8] = b"type,timeLogged,rcpt,dsnStatus,dsnDiag,dsnMta,dlvSourceIp,vmta,queue,dlvEsmtpAvailable\n\
d,2026-01-14 10:00:00+0000,a@hotmail.com,2.0.0 (success),smtp;250 ok,mx1.hotmail.com (1.2.3.4),192.0.2.1,v1,hotmail.com/v1,\"PIPELINING,8BITMIME\"\n\
t,2026-01-14 10:00:30+0000,b@live.de,4.7.0 (x),\"smtp;421 RP-002 (BAY) \"\"limit\"\", try later\",,192.0.2.1,v1,live.de/v1,\"A,B\"\r\n\
b,2026-01-14 10:01:00-0100,c@gmail.com,5.1.1 (bad),\"smtp;550 5.1.1 line one\nline two\",,,v2,gmail.com/v2,\n\
d,2026-13-45 99:00:00+0000,d@example.org,2.0.0,smtp;250,,192.0.2.2,v2,example.org/v2,\n\
d,2026-01-14 10:02:00+0000,e@example.org,2.0.0,\"smtp;250 never closed,,192.0.2.2,v2,example.org/v2,\n\
tq,2026-01-14 10:03:00+0000,,4.4.1 (no answer),,,192.0.2.2,v2,yahoo.rollup/v2,\n\
type,vmta,rcpt,timeLogged\n\
d,v3,f@Example.ORG,1768384980\n\
x,v3,g@example.org,1768384981\n\
d,v3,h@example.org,1768384982";

    /// The built-in rules, no filter, no rollup configuration.
    fn engine() -> Engine<'static> {
        static CLASSIFIER: LazyLock<Classifier> = LazyLock::new(Classifier::builtin);
        static FILTER: LazyLock<Filter> = LazyLock::new(Filter::default);
        static ROLLUP: LazyLock<Rollup> = LazyLock::new(Rollup::default);
        Engine {
            classifier: &CLASSIFIER,
            filter: &FILTER,
            rollup: &ROLLUP,
            domain_map: None,
        }
    }

    fn input(dir: &tempfile::TempDir, name: &str, data: &[u8]) -> Input {
        let path = dir.path().join(name);
        std::fs::write(&path, data).expect("write fixture");
        Input {
            path,
            kind: InputKind::Plain,
        }
    }

    fn run_with(
        inputs: &[Input],
        chunk_size: usize,
        mmap: bool,
    ) -> (Aggregates, Vec<FileReport>, u64, Vec<Malformed>) {
        let classifier = Classifier::builtin();
        let opts = ScanOptions {
            chunk_size,
            mmap,
            progress: None,
            maps: None,
        };
        let r = run(
            inputs,
            &opts,
            &classifier,
            &Filter::default(),
            &Rollup::default(),
        );
        (
            r.aggregates,
            r.report.files,
            r.report.malformed,
            r.report.malformed_samples,
        )
    }

    #[test]
    fn the_fixture_reads_as_intended() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inputs = [input(&dir, "acct.csv", FIXTURE)];
        let (agg, files, malformed, samples) = run_with(&inputs, 1 << 20, true);
        assert_eq!(agg.records, 6);
        assert_eq!(files[0].records, 6);
        assert_eq!(malformed, 3);
        let reasons: Vec<(u64, &str)> = samples
            .iter()
            .map(|m| (m.line, m.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 3);
        assert_eq!(
            reasons[0].0, 6,
            "line numbers count the newline inside quotes"
        );
        assert!(
            reasons[0].1.starts_with("bad timeLogged `2026-13-45"),
            "{reasons:?}"
        );
        assert_eq!(reasons[1].0, 7);
        assert!(
            reasons[1].1.starts_with("unterminated quoted field"),
            "{reasons:?}"
        );
        assert_eq!(reasons[2].0, 11);
        assert!(
            reasons[2].1.starts_with("unknown record type `x`"),
            "{reasons:?}"
        );
        let domains: Vec<(String, u64)> = agg
            .group(Dim::Domain)
            .iter()
            .map(|b| (b.key.to_string(), b.total()))
            .collect();
        assert_eq!(
            domains,
            [
                ("example.org".to_string(), 2),
                ("outlook.com".into(), 2),
                ("gmail.com".into(), 1),
                ("yahoo.rollup".into(), 1),
            ]
        );
        // the -0100 offset is stored as UTC
        assert_eq!(agg.first, Some(1_768_384_800));
        assert_eq!(agg.last, Some(1_768_388_460), "10:01 at -0100 is 11:01 UTC");
    }

    #[test]
    fn every_split_point_gives_the_sequential_result() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inputs = [input(&dir, "acct.csv", FIXTURE)];
        let whole = run_with(&inputs, usize::MAX, true);
        for chunk_size in 1..=FIXTURE.len() {
            assert_eq!(
                run_with(&inputs, chunk_size, true),
                whole,
                "chunk size {chunk_size}"
            );
        }
        // the streamed path (gzip, stdin, --no-mmap) gives the same result with any block size
        for block in [1, 7, 64, 300, 1 << 20] {
            assert_eq!(
                run_with(&inputs, block, false),
                whole,
                "stream block {block}"
            );
        }
    }

    #[test]
    fn scan_block_matches_the_scan_and_locates_rows_at_any_chunk_size() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inputs = [input(&dir, "acct.csv", FIXTURE)];
        let (whole, _, malformed, _) = run_with(&inputs, 1 << 20, true);
        let eng = engine();
        let mut expected = None;
        for chunk_size in 1..=FIXTURE.len() {
            let opts = ScanOptions {
                chunk_size,
                mmap: true,
                progress: None,
                maps: None,
            };
            let b = scan_block(FIXTURE, 100, None, &opts, &eng, 4);
            assert_eq!(b.malformed, malformed, "chunk size {chunk_size}");
            assert_eq!(b.unlocated, 2, "6 rows, 4 located");
            let hints = b.partial.domain_hints();
            assert_eq!(b.partial.finish(eng.rollup, &hints), whole);
            let got = (b.rows, b.lines, b.samples);
            match &expected {
                None => expected = Some(got),
                Some(e) => assert_eq!(&got, e, "chunk size {chunk_size}"),
            }
        }
        let (rows, lines, samples) = expected.expect("scanned");
        assert_eq!(lines, 11, "newlines, the last line has none");
        assert_eq!(samples.len(), 3);
        let first = &FIXTURE[(rows[0].0 - 100) as usize..][..rows[0].1 as usize];
        assert!(first.starts_with(b"d,2026-01-14 10:00:00") && first.ends_with(b"\n"));
        let third = &FIXTURE[(rows[2].0 - 100) as usize..][..rows[2].1 as usize];
        assert!(
            third.starts_with(b"b,2026-01-14 10:01:00-0100"),
            "quoted newline kept"
        );
    }

    #[test]
    fn rows_are_the_same_at_every_chunk_size() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A repeat of the first header (files joined with `cat`) changes nothing; the second,
        // other header is printed before the rows it governs.
        let mut data = FIXTURE.to_vec();
        let first_line = FIXTURE.split(|b| *b == b'\n').next().expect("header");
        let at = FIXTURE
            .windows(3)
            .position(|w| w == b"\ntq")
            .expect("tq row")
            + 1;
        data.splice(at..at, [first_line, b"\n"].concat());
        let inputs = [input(&dir, "acct.csv", &data)];
        let eng = engine();
        let rows_at = |chunk_size| {
            let opts = ScanOptions {
                chunk_size,
                mmap: true,
                progress: None,
                maps: None,
            };
            let mut out = Vec::new();
            let (n, report) = rows(&inputs, &opts, &eng, &mut out);
            (n.expect("written"), report.malformed, out)
        };
        let whole = rows_at(usize::MAX);
        assert_eq!((whole.0, whole.1), (6, 3));
        let text = String::from_utf8_lossy(&whole.2);
        assert_eq!(text.matches("type,timeLogged").count(), 1, "{text}");
        assert!(text.contains("\ntype,vmta,rcpt,timeLogged\nd,v3,f@Example.ORG"));
        for chunk_size in 1..=data.len() {
            assert_eq!(rows_at(chunk_size), whole, "chunk size {chunk_size}");
        }
    }

    /// Keeps the rows whose raw line holds `xample.`, declining the others on sight.
    struct Skimmer;

    impl Side<Vec<Vec<u8>>> for Skimmer {
        const SKIMS: bool = true;

        fn skim(&self, _: &mut Vec<Vec<u8>>, line: &[u8], _: &Header) -> bool {
            memchr::memmem::find(line, b"xample.").is_some()
        }

        // Skimming only saves work: rows offered unskimmed (multi-line, the last without a
        // newline) are tested again here.
        fn row(&self, rows: &mut Vec<Vec<u8>>, row: &Row<'_>) {
            if memchr::memmem::find(row.raw, b"xample.").is_some() {
                rows.push(row.raw.to_vec());
            }
        }
    }

    #[test]
    fn skimming_agrees_with_splitting_at_every_chunk_size() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A record whose marker is on its second line: skipping to the first newline would
        // lose it (the next line is no record start, so it is not skimmed).
        let data = [FIXTURE, b"\nd,v4,\"k@x.test\nxample.\",1768384990\n"].concat();
        let inputs = [input(&dir, "acct.csv", &data)];
        let eng = engine();
        let opts = |chunk_size| ScanOptions {
            chunk_size,
            ..ScanOptions::default()
        };
        let flat = |v: Vec<Vec<Vec<u8>>>| v.into_iter().flatten().collect::<Vec<_>>();
        // Without skimming: every row, then the ones the skimmer keeps.
        let all = flat(
            visit(&inputs, &opts(usize::MAX), &eng, Vec::new, |v, r| {
                v.push(r.raw.to_vec());
            })
            .0,
        );
        let want: Vec<Vec<u8>> = all
            .into_iter()
            .filter(|r| memchr::memmem::find(r, b"xample.").is_some())
            .collect();
        assert_eq!(
            want.len(),
            3,
            "f, h and k (the other example.org rows are malformed)"
        );
        for chunk_size in 1..=data.len() {
            let got = flat(visit_side(&inputs, &opts(chunk_size), &eng, Vec::new, Skimmer).0);
            assert_eq!(got, want, "chunk size {chunk_size}");
        }
    }

    #[test]
    fn an_unreadable_file_is_reported_and_the_rest_is_scanned() {
        let dir = tempfile::tempdir().expect("tempdir");
        let good = input(&dir, "acct-good.csv", FIXTURE);
        let missing = Input {
            path: dir.path().join("acct-missing.csv"),
            kind: InputKind::Plain,
        };
        let classifier = Classifier::builtin();
        let r = run(
            &[missing, good],
            &ScanOptions::default(),
            &classifier,
            &Filter::default(),
            &Rollup::default(),
        );
        assert_eq!(r.report.errors.len(), 1);
        assert!(
            r.report.files[0]
                .error
                .as_deref()
                .is_some_and(|e| e.contains("acct-missing.csv"))
        );
        assert_eq!(r.aggregates.records, 6);
    }
}
