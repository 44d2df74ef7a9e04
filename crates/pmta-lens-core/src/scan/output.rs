//! `rows`: every matching row, in input order, written as each window completes ([`deliver`]),
//! once or, following, as the files grow. Pieces are scanned in parallel and written in order, so
//! memory is bounded by the window whatever the input size. The raw format is here: the original
//! bytes, with the header line before them (again whenever it changes); other formats bring their
//! own [`Sink`] and [`Deliver`].

use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{ChunkAt, Driver, Engine, Row, ScanOptions, ScanReport, Sink, Step};
use crate::acct::discover::{Input, discover};
use crate::acct::header::Header;

/// The matching rows of one piece, with the header of each run of rows.
#[derive(Default)]
pub(super) struct RowsOut {
    bytes: Vec<u8>,
    /// (offset in `bytes`, header of the rows from there on)
    headers: Vec<(usize, Arc<Header>)>,
    matched: u64,
}

/// The sink of `rows`: each piece collects its matching rows.
struct Matching;

impl Sink for Matching {
    type Fold = ();
    type Chunk = RowsOut;

    fn new_fold(&self) {}

    fn new_chunk(&self) -> RowsOut {
        RowsOut::default()
    }

    fn merge(&self, (): &mut (), (): ()) {}

    fn row(&self, (): &mut (), out: &mut RowsOut, row: &Row<'_>) {
        if out
            .headers
            .last()
            .is_none_or(|(_, h)| !Arc::ptr_eq(h, row.header))
        {
            out.headers.push((out.bytes.len(), Arc::clone(row.header)));
        }
        out.bytes.extend_from_slice(row.raw);
        if !row.raw.ends_with(b"\n") {
            out.bytes.push(b'\n');
        }
        out.matched += 1;
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

impl Deliver<RowsOut> for RowsWriter<'_> {
    fn piece(&mut self, chunk: RowsOut, _: &ChunkAt<'_>, _: &[String]) -> io::Result<()> {
        self.write(&chunk)
    }

    fn idle(&mut self) -> io::Result<()> {
        self.out.flush()
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
    rows_following(inputs, opts, eng, None, out)
}

/// [`rows`], going on with what is appended when `follow` is given.
pub fn rows_following(
    inputs: &[Input],
    opts: &ScanOptions,
    eng: &Engine<'_>,
    follow: Option<&Follow<'_>>,
    out: &mut dyn Write,
) -> (Result<u64, io::Error>, ScanReport) {
    let mut w = RowsWriter {
        out,
        last_header: None,
        matched: 0,
    };
    let (result, report) = deliver(inputs, opts, eng, &Matching, follow, &mut w);
    (result.map(|()| w.matched), report)
}

/// What receives each piece's rows, in input order, on the thread that runs the scan.
pub trait Deliver<C> {
    /// One piece's state; `names` are the inputs' names as shown to users, indexed by
    /// [`ChunkAt::file`] (following, a rotated file's name changes).
    fn piece(&mut self, chunk: C, at: &ChunkAt<'_>, names: &[String]) -> io::Result<()>;

    /// Following, everything there is was read: write out what is buffered before waiting.
    fn idle(&mut self) -> io::Result<()>;
}

/// How [`deliver`] keeps reading as the files grow (`rows --follow`), by the dashboard's rules:
/// appended rows, rotation by rename, truncation and new files in a watched directory
/// ([`Driver::grow`], [`Driver::discovered`]).
#[derive(Debug)]
pub struct Follow<'a> {
    /// The paths as given: directories are looked at again for new accounting files.
    pub paths: &'a [PathBuf],
    /// How long to wait after reading everything there was.
    pub every: Duration,
    /// Set to end the follow (the command line never sets it: a signal or a closed pipe ends it).
    pub stop: &'a AtomicBool,
}

/// Scans `inputs` with `sink` and hands each piece's state to `out` in input order; following,
/// looks for more every `follow.every` until `out` fails or `follow.stop` is set.
pub fn deliver<S, D>(
    inputs: &[Input],
    opts: &ScanOptions,
    eng: &Engine<'_>,
    sink: &S,
    follow: Option<&Follow<'_>>,
    out: &mut D,
) -> (io::Result<()>, ScanReport)
where
    S: Sink<Fold = ()>,
    D: Deliver<S::Chunk>,
{
    let mut driver = Driver::new(inputs, opts).following(follow.is_some());
    let mut names: Vec<String> = driver.inputs().map(Input::display).collect();
    let mut result = Ok(());
    loop {
        let step = driver.step(
            eng,
            sink,
            &mut |chunk, at| match out.piece(chunk, at, &names) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    result = Err(e);
                    ControlFlow::Break(())
                }
            },
        );
        match (step, follow) {
            (Step::More, _) => {}
            (Step::Idle, Some(f)) => {
                if let Err(e) = out.idle() {
                    result = Err(e);
                    break;
                }
                if !wait(f) {
                    break;
                }
                let mut events = driver.grow();
                if f.paths.iter().any(|p| p.is_dir()) {
                    // Problems finding files were said at the start; a directory that went
                    // away for a moment (rotation by a script) is looked at again next time.
                    let (found, _) = discover(f.paths);
                    events.extend(driver.discovered(found));
                }
                if !events.is_empty() {
                    names = driver.inputs().map(Input::display).collect();
                }
            }
            _ => break,
        }
    }
    let ((), report) = driver.finish(eng, sink);
    (result, report)
}

/// Waits `f.every`, looking at `f.stop` often; false if it was set.
fn wait(f: &Follow<'_>) -> bool {
    let until = Instant::now() + f.every;
    loop {
        if f.stop.load(Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        if now >= until {
            return true;
        }
        std::thread::sleep((until - now).min(Duration::from_millis(50)));
    }
}
