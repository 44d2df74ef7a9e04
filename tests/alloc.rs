//! The scan's hot path allocates nothing per row, nor does `rows --format ndjson`'s encoder. A binary of its own because it counts every
//! allocation of the process with a global allocator, which must not see other tests' work.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use pmta_lens::acct::discover::{Input, InputKind};
use pmta_lens::classify::Classifier;
use pmta_lens::filter::Filter;
use pmta_lens::output::ndjson::{Ndjson, Writer};
use pmta_lens::rollup::Rollup;
use pmta_lens::scan::{self, Engine, ScanOptions};
use pmta_lens_synth::{Profile, Size, write_accounting};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

#[allow(unsafe_code)]
// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc` is passed on as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `realloc` is passed on as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The counter is the process's: the tests take turns, so none counts another's allocations.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `measure` on `path` as one input read in one chunk (so per-chunk work is the same for
/// any number of rows), with the built-in rules, no filter and no rollup configuration.
fn in_one_chunk<R>(
    path: &Path,
    measure: impl FnOnce(&[Input], &ScanOptions, &Engine<'_>) -> R,
) -> R {
    let inputs = [Input {
        path: path.to_path_buf(),
        kind: InputKind::Plain,
    }];
    let classifier = Classifier::builtin();
    let filter = Filter::default();
    let rollup = Rollup::default();
    let eng = Engine {
        classifier: &classifier,
        filter: &filter,
        rollup: &rollup,
        domain_map: None,
    };
    let opts = ScanOptions {
        chunk_size: 1 << 30,
        ..ScanOptions::default()
    };
    measure(&inputs, &opts, &eng)
}

/// Allocations made by aggregating one file (one chunk, so per-chunk work is the same).
fn allocations_to_aggregate(path: &Path) -> (u64, u64) {
    in_one_chunk(path, |inputs, opts, eng| {
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let sink = scan::Counting {
            plan: std::sync::Arc::default(),
            init: || (),
            side: |(): &mut (), _: &scan::Row<'_>| {},
        };
        let (partial, report) = scan::Driver::new(inputs, opts)
            .run(eng, &sink, |(), _| std::ops::ControlFlow::Continue(()));
        let after = ALLOCATIONS.load(Ordering::Relaxed);
        drop(partial);
        assert_eq!(report.malformed, 0);
        (after - before, report.records())
    })
}

/// Allocations made by writing one file as JSON lines (one chunk), and the lines written.
fn allocations_to_write_ndjson(path: &Path) -> (u64, u64) {
    in_one_chunk(path, |inputs, opts, eng| {
        let sink = Ndjson {
            classifier: eng.classifier,
            rollup: eng.rollup,
            domain_map: None,
        };
        let mut out = std::io::sink();
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let mut w = Writer::new(&mut out);
        let (r, report) = scan::deliver(inputs, opts, eng, &sink, None, &mut w);
        let after = ALLOCATIONS.load(Ordering::Relaxed);
        r.expect("written");
        assert_eq!(report.malformed, 0);
        (after - before, w.written)
    })
}

/// A generated file, and the same rows five times over: more rows, no new distinct keys or
/// response texts.
fn one_and_five(dir: &tempfile::TempDir) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut profile = Profile::default_bench(7);
    profile.size = Size::Rows(4_000);
    let mut data = Vec::new();
    write_accounting(&profile, &mut data).expect("generate");
    let body = data.iter().position(|c| *c == b'\n').map_or(0, |p| p + 1);
    let mut repeated = data.clone();
    for _ in 0..4 {
        repeated.extend_from_slice(&data[body..]);
    }
    let (one_path, five_path) = (dir.path().join("one.csv"), dir.path().join("five.csv"));
    std::fs::write(&one_path, &data).expect("write");
    std::fs::write(&five_path, &repeated).expect("write");
    (one_path, five_path)
}

/// `count` on the file and on its five-fold copy, after a first run that warms up what is made
/// once per process, in one worker thread, the other tests waiting: ((allocations, rows) of the
/// one, of the five).
fn one_then_five(count: fn(&Path) -> (u64, u64)) -> ((u64, u64), (u64, u64)) {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().expect("tempdir");
    let (one_path, five_path) = one_and_five(&dir);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    pool.install(|| {
        count(&one_path); // warm up what is made once per process
        (count(&one_path), count(&five_path))
    })
}

#[test]
fn ndjson_allocates_nothing_per_row() {
    let ((one, rows_one), (five, rows_five)) = one_then_five(allocations_to_write_ndjson);
    assert_eq!(rows_five, 5 * rows_one);
    assert!(one > 0, "the counter counts");
    // The piece's buffers grow by doubling: a few more allocations for five times the rows.
    assert!(
        five <= one + 50,
        "{one} allocations for {rows_one} rows, {five} for {rows_five}"
    );
}

#[test]
fn aggregating_allocates_nothing_per_row() {
    let ((one, rows_one), (five, rows_five)) = one_then_five(allocations_to_aggregate);
    assert_eq!(rows_five, 5 * rows_one);
    assert!(one > 0, "the counter counts");
    assert!(
        five <= one + 50,
        "{one} allocations for {rows_one} rows, {five} for {rows_five}"
    );
}
