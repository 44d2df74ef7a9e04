//! Recipient domains' rollups, learned from every row before a pass that needs them, in bounded
//! memory: the `domain` of `export` and `rows --format ndjson`, and the `domain=` filter of
//! `rows`, `export` and the dashboard. A domain's rollup (the summary's: [`Rollup::resolve`] with
//! what every row of the domain said) can differ from what one of its rows says by itself only
//! for a domain some row gave evidence for (a `NAME.rollup` queue, a Microsoft consumer MX): only
//! those domains are learned, the others are rolled up from their row as the summary does
//! ([`scan::destination`]). Up to the learn budget they are kept in a hash map; past it (a
//! domain per row, millions a day), each worker's table is written out sorted (a run) into a
//! hidden directory of the directory the caller names (the export's output directory; for
//! `rows` and the dashboard the temporary directory, `$TMPDIR`, never the logs'), and the runs
//! are merged into one sorted table on disk that is mapped and binary-searched: the page cache
//! holds it, not the heap, whatever the number of domains. The learned [`Rollups`] are the
//! scan's [`DomainLookup`].

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;
use rustc_hash::FxHashMap;

use crate::acct::discover::Input;
use crate::acct::guard::GuardedMap;
use crate::classify::Classifier;
use crate::filter::Filter;
use crate::rollup::{DomainHints, Rollup};
use crate::scan::{self, DomainLookup, Driver, Engine, Row, ScanOptions, Sink};

/// The default learn budget: the heap the learned domains may take before they go to disk.
pub const LEARN_BYTES: usize = 24 << 20;
/// Domains longer than this are never looked up ([`scan::destination`] takes them as they are).
const LONGEST: usize = 256;
/// Heap bytes an entry costs beside its names: the hash slot, two allocations' headers.
const ENTRY_COST: usize = 64;
/// Runs merged at once (each with a read buffer of `RUN_BUFFER`).
const FAN_IN: usize = 32;
const RUN_BUFFER: usize = 16 << 10;

/// Every learned domain's rollup.
#[derive(Debug)]
pub enum Rollups {
    /// Lowercase domain -> its rollup, for the domains with evidence.
    Memory(FxHashMap<String, String>),
    /// The same, sorted on disk (see the module documentation).
    Table(Table),
}

impl Default for Rollups {
    fn default() -> Self {
        Rollups::Memory(FxHashMap::default())
    }
}

/// A sorted table of (domain, rollup) on disk: `data` holds the entries (`u32` length and bytes
/// of the domain, then of the rollup), `index` each entry's offset (`u64`, little-endian).
pub struct Table {
    data: GuardedMap,
    index: GuardedMap,
    entries: usize,
    /// Where the table's files are, removed when the table is dropped; `None` once removed
    /// already (on Unix, as soon as they are mapped: a process killed later leaves nothing).
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("entries", &self.entries)
            .finish_non_exhaustive()
    }
}

/// The `u32`-length-prefixed bytes at `at` in `data`, and where they end.
fn prefixed(data: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let len = data.get(at..at + 4)?;
    let len = u32::from_le_bytes(len.try_into().ok()?) as usize;
    let start = at + 4;
    Some((data.get(start..start + len)?, start + len))
}

impl Table {
    fn get(&self, domain: &[u8]) -> Option<&[u8]> {
        let (data, index) = (&self.data[..], &self.index[..]);
        let entry = |i: usize| -> Option<(&[u8], usize)> {
            let at = index.get(i * 8..i * 8 + 8)?;
            prefixed(data, u64::from_le_bytes(at.try_into().ok()?) as usize)
        };
        let (mut lo, mut hi) = (0, self.entries);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let (name, end) = entry(mid)?;
            match name.cmp(domain) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return prefixed(data, end).map(|(r, _)| r),
            }
        }
        None
    }
}

/// The learned rollups, for [`scan::destination`] and the scan's `domain=` filter: a domain
/// they do not hold is rolled up from its row.
impl DomainLookup for Rollups {
    #[inline]
    fn bucket(&self, lower_domain: &str) -> Option<&[u8]> {
        match self {
            Rollups::Memory(m) => m.get(lower_domain).map(String::as_bytes),
            Rollups::Table(t) => t.get(lower_domain.as_bytes()),
        }
    }
}

impl Rollups {
    /// Domains learned.
    pub fn len(&self) -> usize {
        match self {
            Rollups::Memory(m) => m.len(),
            Rollups::Table(t) => t.entries,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the learned domains went to disk.
    pub fn spilled(&self) -> bool {
        matches!(self, Rollups::Table(_))
    }
}

/// What the rows of one domain said about its rollup.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Evidence {
    /// The smallest `NAME.rollup` queue name seen (lowercase).
    queue: Option<Box<[u8]>>,
    microsoft: bool,
}

impl Evidence {
    fn merge(&mut self, queue: Option<&[u8]>, microsoft: bool) -> usize {
        self.microsoft |= microsoft;
        match (queue, &self.queue) {
            (Some(q), Some(cur)) if q < &cur[..] => {
                let grown = q.len().saturating_sub(cur.len());
                self.queue = Some(q.into());
                grown
            }
            (Some(q), None) => {
                self.queue = Some(q.into());
                q.len()
            }
            _ => 0,
        }
    }

    fn hints(&self) -> DomainHints {
        DomainHints {
            queue_rollup: self
                .queue
                .as_ref()
                .map(|q| String::from_utf8_lossy(q).into_owned()),
            microsoft_mx: self.microsoft,
        }
    }
}

/// One worker's learned domains and the heap they take.
#[derive(Default)]
struct Learned {
    map: FxHashMap<Box<[u8]>, Evidence>,
    bytes: usize,
    /// The sink's count of every table's bytes, given back when the table goes (the driver
    /// drops the workers' tables when it counts a window again from the start: the count must
    /// not keep them, or every later row would go to disk on its own).
    used: Option<Arc<AtomicUsize>>,
}

impl Drop for Learned {
    fn drop(&mut self) {
        if let Some(u) = &self.used {
            u.fetch_sub(self.bytes, Ordering::Relaxed);
        }
    }
}

/// Where runs go, and the first error writing one.
struct Spill {
    parent: PathBuf,
    dir: Option<tempfile::TempDir>,
    runs: Vec<PathBuf>,
    /// Runs made so far (their names).
    made: usize,
    error: Option<anyhow::Error>,
}

/// The learning pass's sink.
struct Learning<'a> {
    rollup: &'a Rollup,
    budget: usize,
    /// Heap taken by every worker's table.
    used: Arc<AtomicUsize>,
    spill: Mutex<Spill>,
}

impl Learning<'_> {
    /// Writes a worker's table out as a run and empties it.
    fn spill(&self, learned: &mut Learned) {
        let map = std::mem::take(&mut learned.map);
        self.used.fetch_sub(learned.bytes, Ordering::Relaxed);
        learned.bytes = 0;
        if map.is_empty() {
            return;
        }
        let mut entries: Vec<(Box<[u8]>, Evidence)> = map.into_iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut spill = self.spill.lock().unwrap_or_else(PoisonError::into_inner);
        if spill.error.is_some() {
            return;
        }
        match write_run(&mut spill, entries.iter().map(|(d, e)| (&d[..], e))) {
            Ok(path) => spill.runs.push(path),
            Err(e) => spill.error = Some(e),
        }
    }

    /// Whether the tables go to disk now: a run was written, or writing one failed (its
    /// entries are lost: the learning fails).
    fn spilling(&self) -> bool {
        let spill = self.spill.lock().unwrap_or_else(PoisonError::into_inner);
        !spill.runs.is_empty() || spill.error.is_some()
    }
}

impl Sink for Learning<'_> {
    type Fold = Learned;
    type Chunk = ();

    fn new_fold(&self) -> Learned {
        Learned {
            map: FxHashMap::default(),
            bytes: 0,
            used: Some(Arc::clone(&self.used)),
        }
    }

    fn new_chunk(&self) {}

    fn merge(&self, into: &mut Learned, mut from: Learned) {
        // Past the budget, merging would hold both tables and their union: the smaller goes
        // to disk instead.
        if self.spilling() || into.bytes + from.bytes > self.budget {
            self.spill(&mut from);
            return;
        }
        // What `from` held of domains `into` has already stays with `from`, and is given
        // back when it is dropped; the rest moves to `into`.
        let mut dup = 0;
        for (d, e) in std::mem::take(&mut from.map) {
            let q = e.queue.as_deref();
            match into.map.get_mut(&d) {
                Some(cur) => {
                    let grown = cur.merge(q, e.microsoft);
                    into.bytes += grown;
                    self.used.fetch_add(grown, Ordering::Relaxed);
                    dup += d.len() + ENTRY_COST + q.map_or(0, <[u8]>::len);
                }
                None => {
                    into.map.insert(d, e);
                }
            }
        }
        let moved = from.bytes.saturating_sub(dup);
        into.bytes += moved;
        from.bytes -= moved;
    }

    fn row(&self, learned: &mut Learned, (): &mut (), row: &Row<'_>) {
        let keys = &row.keys;
        if keys.queue_rollup.is_none() && !keys.microsoft_mx {
            return;
        }
        // `(none)` (no recipient) too: a `domain=` filter looks it up like any domain.
        let d = keys.rcpt_domain;
        if d.len() > LONGEST {
            return;
        }
        let mut buf = [0u8; LONGEST];
        let name = &mut buf[..d.len()];
        name.copy_from_slice(d);
        name.make_ascii_lowercase();
        match std::str::from_utf8(name) {
            Ok(n) if self.rollup.fixed(n).is_none() => {}
            // Fixed whatever the rows say, or never looked up.
            _ => return,
        }
        // The queue's name lowercased, on the stack but for a name no domain is as long as
        // (kept all the same: the summary's rollup would be it).
        let mut qbuf = [0u8; LONGEST];
        let long: Vec<u8>;
        let queue = match keys.queue_rollup {
            None => None,
            Some(q) if q.len() > LONGEST => {
                long = q.to_ascii_lowercase();
                Some(&long[..])
            }
            Some(q) => {
                let l = &mut qbuf[..q.len()];
                l.copy_from_slice(q);
                l.make_ascii_lowercase();
                Some(&*l)
            }
        };
        let grown = if let Some(e) = learned.map.get_mut(&*name) {
            e.merge(queue, keys.microsoft_mx)
        } else {
            let mut e = Evidence::default();
            let q = e.merge(queue, keys.microsoft_mx);
            learned.map.insert((&*name).into(), e);
            name.len() + q + ENTRY_COST
        };
        if grown == 0 {
            return;
        }
        learned.bytes += grown;
        if self.used.fetch_add(grown, Ordering::Relaxed) + grown > self.budget {
            self.spill(learned);
        }
    }
}

/// A new run in the spill directory, written entry by entry (in domain order).
struct RunWriter {
    w: BufWriter<File>,
    path: PathBuf,
}

impl RunWriter {
    fn new(spill: &mut Spill) -> anyhow::Result<RunWriter> {
        if spill.dir.is_none() {
            let dir = tempfile::Builder::new()
                .prefix(".pmta-lens-rollups")
                .tempdir_in(&spill.parent)
                .with_context(|| format!("creating a directory in {}", spill.parent.display()))?;
            spill.dir = Some(dir);
        }
        spill.made += 1;
        let dir = spill
            .dir
            .as_ref()
            .map_or(Path::new("."), tempfile::TempDir::path);
        let path = dir.join(format!("run-{}", spill.made));
        let f = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(RunWriter {
            w: BufWriter::with_capacity(RUN_BUFFER, f),
            path,
        })
    }

    fn push(&mut self, domain: &[u8], e: &Evidence) -> anyhow::Result<()> {
        let w = &mut self.w;
        put(w, domain)?;
        match &e.queue {
            Some(q) => put(w, q)?,
            None => w.write_all(&u32::MAX.to_le_bytes())?,
        }
        w.write_all(&[u8::from(e.microsoft)])?;
        Ok(())
    }

    fn finish(mut self) -> anyhow::Result<PathBuf> {
        self.w
            .flush()
            .with_context(|| format!("writing {}", self.path.display()))?;
        Ok(self.path)
    }
}

/// Writes sorted entries as a new run in the spill directory.
fn write_run<'e>(
    spill: &mut Spill,
    entries: impl Iterator<Item = (&'e [u8], &'e Evidence)>,
) -> anyhow::Result<PathBuf> {
    let mut w = RunWriter::new(spill)?;
    for (d, e) in entries {
        w.push(d, e)?;
    }
    w.finish()
}

fn put(w: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX - 1);
    w.write_all(&len.to_le_bytes())?;
    w.write_all(&bytes[..len as usize])
}

/// A run read back, one entry at a time.
struct RunReader {
    r: BufReader<File>,
}

impl RunReader {
    fn open(path: &Path) -> anyhow::Result<RunReader> {
        let f = File::open(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(RunReader {
            r: BufReader::with_capacity(RUN_BUFFER, f),
        })
    }

    fn len(&mut self) -> anyhow::Result<Option<u32>> {
        let mut b = [0u8; 4];
        match self.r.read_exact(&mut b) {
            Ok(()) => Ok(Some(u32::from_le_bytes(b))),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn bytes(&mut self, n: u32) -> anyhow::Result<Box<[u8]>> {
        let mut v = vec![0u8; n as usize];
        self.r.read_exact(&mut v)?;
        Ok(v.into())
    }

    fn next(&mut self) -> anyhow::Result<Option<(Box<[u8]>, Evidence)>> {
        let Some(n) = self.len()? else {
            return Ok(None);
        };
        let domain = self.bytes(n)?;
        let queue = match self.len()?.context("a cut run")? {
            u32::MAX => None,
            n => Some(self.bytes(n)?),
        };
        let mut m = [0u8; 1];
        self.r.read_exact(&mut m)?;
        Ok(Some((
            domain,
            Evidence {
                queue,
                microsoft: m[0] != 0,
            },
        )))
    }
}

/// Merges sorted runs, giving each domain once with the evidence of every run, in order.
fn merge_runs(
    runs: &[PathBuf],
    mut out: impl FnMut(&[u8], &Evidence) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut readers = runs
        .iter()
        .map(|p| RunReader::open(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut heap = std::collections::BinaryHeap::new();
    for (i, r) in readers.iter_mut().enumerate() {
        if let Some((d, e)) = r.next()? {
            heap.push(std::cmp::Reverse((d, i, e.queue, e.microsoft)));
        }
    }
    let mut current: Option<(Box<[u8]>, Evidence)> = None;
    while let Some(std::cmp::Reverse((d, i, queue, microsoft))) = heap.pop() {
        match &mut current {
            Some((cd, ce)) if *cd == d => {
                ce.merge(queue.as_deref(), microsoft);
            }
            _ => {
                if let Some((cd, ce)) = current.take() {
                    out(&cd, &ce)?;
                }
                let mut e = Evidence::default();
                e.merge(queue.as_deref(), microsoft);
                current = Some((d, e));
            }
        }
        if let Some((d, e)) = readers[i].next()? {
            heap.push(std::cmp::Reverse((d, i, e.queue, e.microsoft)));
        }
    }
    if let Some((cd, ce)) = current {
        out(&cd, &ce)?;
    }
    Ok(())
}

/// Learns the rollup of every domain some row of `inputs` gave evidence for (every row, the
/// filter's or not: as the summary does), keeping at most about `budget` bytes of them on the
/// heap; past it, in a new hidden directory of `spill_in` (made only then), removed with the
/// result, or on an error.
pub fn rollups(
    inputs: &[Input],
    opts: &ScanOptions,
    classifier: &Classifier,
    rollup: &Rollup,
    budget: usize,
    spill_in: &Path,
) -> anyhow::Result<Rollups> {
    let unfiltered = Filter::default();
    let eng = Engine {
        classifier,
        filter: &unfiltered,
        rollup,
        domain_map: None,
    };
    // Streams read once cannot be read again for the pass after.
    let again = scan::rereadable(inputs, opts);
    let sink = Learning {
        rollup,
        budget,
        used: Arc::new(AtomicUsize::new(0)),
        spill: Mutex::new(Spill {
            parent: spill_in.to_path_buf(),
            dir: None,
            runs: Vec::new(),
            made: 0,
            error: None,
        }),
    };
    let (mut learned, _) = Driver::new(&again, &opts.quiet())
        .run(&eng, &sink, |(), _| std::ops::ControlFlow::Continue(()));
    if !sink.spilling() {
        let map = learned
            .map
            .drain()
            .map(|(d, e)| {
                let name = String::from_utf8_lossy(&d).into_owned();
                let to = rollup.resolve(&name, Some(&e.hints()));
                (name, to)
            })
            .collect();
        drop(learned);
        // Every table's bytes were given back (none were kept by a table that is gone).
        debug_assert_eq!(sink.used.load(Ordering::Relaxed), 0);
        return Ok(Rollups::Memory(map));
    }
    sink.spill(&mut learned);
    debug_assert_eq!(sink.used.load(Ordering::Relaxed), 0);
    let mut spill = sink
        .spill
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(e) = spill.error.take() {
        return Err(e);
    }
    // Few enough runs to read at once: groups of them are merged into longer runs first.
    while spill.runs.len() > FAN_IN {
        let group: Vec<PathBuf> = spill.runs.drain(..FAN_IN).collect();
        let mut w = RunWriter::new(&mut spill)?;
        merge_runs(&group, |d, e| w.push(d, e))?;
        let merged = w.finish()?;
        for p in &group {
            let _ = std::fs::remove_file(p);
        }
        spill.runs.push(merged);
    }
    let dir = spill.dir.take().context("the spill directory")?;
    let table = write_table(dir, &spill.runs, rollup)?;
    Ok(Rollups::Table(table))
}

/// [`rollups`] for a pass whose output is not a directory of ours (`rows` writes to stdout; the
/// dashboard to the terminal): past the budget, into a hidden directory of the temporary
/// directory (`$TMPDIR`, else /tmp), never next to the logs.
pub fn rollups_in_temp_dir(
    inputs: &[Input],
    opts: &ScanOptions,
    classifier: &Classifier,
    rollup: &Rollup,
    budget: usize,
) -> anyhow::Result<Rollups> {
    rollups(
        inputs,
        opts,
        classifier,
        rollup,
        budget,
        &std::env::temp_dir(),
    )
}

/// Removes the spill directories of runs that were killed (a live run's is removed with it;
/// runs into one directory are not concurrent: the state file would lose one's commit).
pub fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name()
            .to_string_lossy()
            .starts_with(".pmta-lens-rollups")
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Merges the runs into the sorted table of (domain, rollup), and maps it.
fn write_table(dir: tempfile::TempDir, runs: &[PathBuf], rollup: &Rollup) -> anyhow::Result<Table> {
    let (data_path, index_path) = (dir.path().join("table"), dir.path().join("index"));
    let mut data = BufWriter::new(File::create(&data_path)?);
    let mut index = BufWriter::new(File::create(&index_path)?);
    let (mut at, mut entries) = (0u64, 0usize);
    merge_runs(runs, |d, e| {
        let name = String::from_utf8_lossy(d);
        let to = rollup.resolve(&name, Some(&e.hints()));
        index.write_all(&at.to_le_bytes())?;
        put(&mut data, d)?;
        put(&mut data, to.as_bytes())?;
        at += 8 + d.len() as u64 + to.len() as u64;
        entries += 1;
        Ok(())
    })?;
    data.flush()?;
    index.flush()?;
    drop((data, index));
    for r in runs {
        let _ = std::fs::remove_file(r);
    }
    let map = |p: &Path| -> anyhow::Result<GuardedMap> {
        let f = File::open(p).with_context(|| format!("reading {}", p.display()))?;
        GuardedMap::map(&f).with_context(|| format!("mapping {}", p.display()))
    };
    let (data, index) = (map(&data_path)?, map(&index_path)?);
    // A mapping outlives its file's name on Unix: the directory goes now.
    #[cfg(unix)]
    let dir = {
        drop(dir);
        None
    };
    #[cfg(not(unix))]
    let dir = Some(dir);
    Ok(Table {
        data,
        index,
        entries,
        _dir: dir,
    })
}

#[cfg(test)]
mod tests;
