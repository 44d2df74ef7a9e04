//! The export's memory does not grow with the input: the peak of live heap bytes while
//! `export` writes a file four times as large stays within a small margin of the peak for the
//! smaller one (row groups are flushed and parts rolled as they fill, pieces are written as the
//! scan delivers them). A binary of its own because it counts every allocation of the process
//! with a global allocator. The absolute bound (under 128 MiB of anonymous memory with the
//! default limits, on a GiB file) is measured with `--stats` and recorded in docs/scale-out.md.

use std::path::Path;
use std::sync::Arc;

use pmta_lens::acct::discover::{Input, InputKind};
use pmta_lens::classify::Classifier;
use pmta_lens::export::writer::Limits;
use pmta_lens::export::{self, Rules, Target};
use pmta_lens::filter::Filter;
use pmta_lens::rollup::Rollup;
use pmta_lens::scan::ScanOptions;
use pmta_lens_synth::{Profile, Size, write_accounting};

mod support {
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

/// Peak live heap bytes above the start while `path` is exported into a new directory, and the
/// rows written.
fn peak_of_export(path: &Path) -> (usize, u64) {
    let inputs = [Input {
        path: path.to_path_buf(),
        kind: InputKind::Plain,
    }];
    let out = tempfile::tempdir().expect("tempdir");
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
                dir: out.path(),
                host: "mem",
                filter: None,
                limits: LIMITS,
            },
        )
        .expect("exported")
    });
    (peak, outcome.rows)
}

fn generate(rows: u64, dir: &Path, name: &str) -> std::path::PathBuf {
    let mut p = Profile::default_bench(5);
    p.size = Size::Rows(rows);
    let path = dir.join(name);
    let file = std::fs::File::create(&path).expect("create");
    write_accounting(&p, std::io::BufWriter::new(file)).expect("generate");
    path
}

#[test]
fn export_memory_does_not_grow_with_the_input() {
    const ROWS: u64 = 25_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let small = generate(ROWS, dir.path(), "small.csv");
    let large = generate(4 * ROWS, dir.path(), "large.csv");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
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
