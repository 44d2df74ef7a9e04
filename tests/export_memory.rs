//! The export's memory does not grow with the input: the peak of live heap bytes while
//! `export` writes a file four times as large stays within a small margin of the peak for the
//! smaller one (row groups are flushed and parts rolled as they fill, pieces are written as the
//! scan delivers them), also when every row has a recipient domain of its own (the rollups
//! learned first go to disk past their budget, and the parts are the same as with them all in
//! memory). A binary of its own because it counts every allocation of the process with a
//! global allocator; its tests run one after the other (the counters are the process's). The absolute bound (under 128 MiB of anonymous memory with the
//! default limits, on a GiB file) is measured with `--stats` and recorded in docs/scale-out.md.

use std::path::Path;
use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use pmta_lens::acct::discover::{Input, InputKind};
use pmta_lens::classify::Classifier;
use pmta_lens::export::writer::Limits;
use pmta_lens::export::{self, Rules, Target};
use pmta_lens::filter::Filter;
use pmta_lens::rollup::Rollup;
use pmta_lens::scan::ScanOptions;
use pmta_lens_synth::Profile;

mod support {
    pub mod generated;
    pub mod peak_alloc;
}

use support::peak_alloc::{self, peak_during};

#[global_allocator]
static GLOBAL: peak_alloc::Peak = peak_alloc::Peak;

/// Small limits, so that the files of the test fill several row groups and parts.
const LIMITS: Limits = Limits {
    row_group_bytes: 256 << 10,
    part_bytes: 2 << 20,
    open_days: 2,
};

/// The tests measure the process's allocations: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Peak live heap bytes above the start while `path` is exported into a new directory, and the
/// rows written.
fn peak_of_export(path: &Path) -> (usize, u64) {
    let out = tempfile::tempdir().expect("tempdir");
    let (peak, rows) = peak_of_export_to(path, out.path(), pmta_lens::learn::LEARN_BYTES);
    (peak, rows)
}

/// [`peak_of_export`] into `out`, the learned rollups allowed `learn_bytes` of heap.
fn peak_of_export_to(path: &Path, out: &Path, learn_bytes: usize) -> (usize, u64) {
    let inputs = [Input {
        path: path.to_path_buf(),
        kind: InputKind::Plain,
    }];
    let classifier = Classifier::builtin();
    let filter = Filter::default();
    let plan = Arc::new(pmta_lens::connections::plan(Rollup::default(), None));
    let opts = ScanOptions {
        chunk_size: 256 << 10,
        ..ScanOptions::default()
    };
    let (outcome, peak) = peak_during(|| {
        export::export(
            &inputs,
            &opts,
            &Rules {
                classifier: &classifier,
                filter: &filter,
                plan: &plan,
            },
            &Target {
                dir: out,
                host: "mem",
                filter: None,
                limits: LIMITS,
                learn_bytes,
            },
        )
        .expect("exported")
    });
    (peak, outcome.rows)
}

#[test]
fn export_memory_does_not_grow_with_the_input() {
    const ROWS: u64 = 25_000;
    let _one = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().expect("tempdir");
    let (small, large) =
        support::generated::small_and_large(&Profile::default_bench(5), ROWS, dir.path());
    let pool = support::generated::two_workers();
    pool.install(|| {
        peak_of_export(&small); // what is made once per process
        let (base, n) = peak_of_export(&small);
        let (peak, m) = peak_of_export(&large);
        assert!(n >= ROWS && m >= 4 * ROWS, "{n} and {m} rows");
        let bytes = std::fs::metadata(&large).expect("size").len() as usize;
        eprintln!("peak {peak} B for {m} rows ({bytes} B), {base} B for {n} rows");
        // Buffering the rows (or the parts) would add about the growth of the input, three
        // quarters of the large file; what is allowed is a tenth of it.
        assert!(
            peak <= base + bytes / 10,
            "peak {peak} B exporting {bytes} B, {base} B for a quarter of it"
        );
    });
}

/// Every batch of every part under `dir`, parts in the order they were started.
fn batches(dir: &Path) -> Vec<RecordBatch> {
    fn walk(d: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(d).expect("list").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
    }
    let mut parts = Vec::new();
    walk(dir, &mut parts);
    // Names differ by run only: the sequence number at their end orders them.
    parts.sort_by_key(|p| {
        p.file_name()
            .map(|n| n.to_string_lossy().rsplit('-').next().map(str::to_string))
    });
    parts
        .iter()
        .flat_map(|p| {
            let f = std::fs::File::open(p).expect("part");
            ParquetRecordBatchReaderBuilder::try_new(f)
                .expect("Parquet")
                .build()
                .expect("reader")
                .map(|b| b.expect("batch"))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn a_domain_per_row_keeps_the_learned_rollups_within_their_budget_and_the_parts_the_same() {
    const ROWS: u64 = 12_000;
    const BUDGET: usize = 64 << 10;
    let _one = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().expect("tempdir");
    let (small, large) =
        support::generated::small_and_large(&Profile::adversarial(5), ROWS, dir.path());
    let pool = support::generated::two_workers();
    pool.install(|| {
        let run = |path: &Path, budget: usize| {
            let out = tempfile::tempdir().expect("tempdir");
            let (peak, rows) = peak_of_export_to(path, out.path(), budget);
            (peak, rows, out)
        };
        run(&small, BUDGET); // what is made once per process
        // The peak depends on how many pieces are in flight when the workers meet: the base is
        // the larger of two runs, so a lucky one does not tighten the bound.
        let base = run(&small, BUDGET).0.max(run(&small, BUDGET).0);
        let (bounded, n, spilled) = run(&large, BUDGET);
        let (unbounded, m, in_memory) = run(&large, usize::MAX);
        eprintln!("peak {bounded} B with a budget, {unbounded} B without; {base} B for a quarter");
        assert_eq!(n, m);
        assert!(n >= 4 * ROWS, "{n} rows");
        // The learned domains would take about a hundred bytes for each row with evidence;
        // past the budget they are on disk, and the peak is that of the smaller file's.
        assert!(
            bounded <= base + 2 * BUDGET + (3 << 19),
            "peak {bounded} B for {n} rows, {base} B for a quarter of them"
        );
        assert!(
            bounded < unbounded,
            "{bounded} B spilled, {unbounded} B in memory"
        );
        let (a, b) = (batches(spilled.path()), batches(in_memory.path()));
        assert_eq!(a.iter().map(RecordBatch::num_rows).sum::<usize>() as u64, n);
        assert!(a == b, "the same parts, spilled or not");
        // No spill directory is left behind.
        let hidden = std::fs::read_dir(spilled.path())
            .expect("list")
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".pmta-lens-rollups")
            })
            .count();
        assert_eq!(hidden, 0);
    });
}
