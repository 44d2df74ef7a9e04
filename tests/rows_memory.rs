//! `rows --format ndjson` and `rows --where domain=...` do not hold every recipient domain: the
//! rollups they need are learned first in bounded memory (`pmta_lens::learn`: only the domains
//! some row gave rollup evidence for, on disk past the budget), so on a file where every row has
//! a domain of its own the peak of live heap bytes stays within the budget of the peak for a
//! file a quarter of its size, where the summary's map of every domain (what `rows` learned
//! before) grows with the file. A binary of its own because it counts every allocation of the
//! process with a global allocator; its tests run one after the other (the counters are the
//! process's). docs/performance.md records the `--stats` numbers of the binary.

use std::path::Path;
use std::sync::{Arc, Mutex};

use pmta_lens::acct::discover::{Input, InputKind};
use pmta_lens::aggregate::Plan;
use pmta_lens::classify::Classifier;
use pmta_lens::filter::Filter;
use pmta_lens::output::ndjson::{Ndjson, Writer};
use pmta_lens::rollup::Rollup;
use pmta_lens::scan::{self, DomainLookup, Engine, ScanOptions};
use pmta_lens_synth::Profile;

mod support {
    pub mod generated;
    pub mod peak_alloc;
}

use support::peak_alloc::{self, peak_during};

#[global_allocator]
static GLOBAL: peak_alloc::Peak = peak_alloc::Peak;

/// The tests measure the process's allocations: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// The learn budget of the test: small, so that the files' learned domains go to disk.
const BUDGET: usize = 64 << 10;

/// Where `rows` finds each domain's rollup.
#[derive(Clone, Copy)]
enum Learning {
    /// The learned rollups, at most [`BUDGET`] on the heap.
    Bounded,
    /// The summary's map of every domain (what `rows` built before).
    Every,
}

/// Peak live heap bytes above the start while `rows` writes `path` (`--format ndjson` without a
/// filter, or the raw rows of `domain=outlook.com`), the rows written and whether the learned
/// rollups went to disk.
fn peak_of_rows(path: &Path, learning: Learning, expr: Option<&str>) -> (usize, u64, bool) {
    let inputs = [Input {
        path: path.to_path_buf(),
        kind: InputKind::Plain,
    }];
    let classifier = Classifier::builtin();
    let filter = expr.map_or_else(Filter::default, |e| {
        Filter::parse(e, &classifier, chrono::Utc::now()).expect("filter")
    });
    let plan: Arc<Plan> = pmta_lens::connections::plan(Rollup::default(), None);
    let opts = ScanOptions {
        chunk_size: 256 << 10,
        ..ScanOptions::default()
    };
    let spill = tempfile::tempdir().expect("tempdir");
    let ((written, spilled), peak) = peak_during(|| {
        let (learned, every);
        let (lookup, spilled): (&dyn DomainLookup, bool) = match learning {
            Learning::Bounded => {
                learned = pmta_lens::learn::rollups(
                    &inputs,
                    &opts,
                    &classifier,
                    &plan.rollup,
                    BUDGET,
                    spill.path(),
                )
                .expect("learned");
                (&learned, learned.spilled())
            }
            Learning::Every => {
                every = scan::run(&inputs, &opts, &classifier, &Filter::default(), &plan)
                    .aggregates
                    .domain_map();
                (&every, false)
            }
        };
        let eng = Engine {
            classifier: &classifier,
            filter: &filter,
            rollup: &plan.rollup,
            domain_map: Some(lookup),
        };
        let mut out = std::io::sink();
        let written = if expr.is_some() {
            let (n, _) = scan::rows(&inputs, &opts, &eng, &mut out);
            n.expect("rows")
        } else {
            let sink = Ndjson {
                classifier: &classifier,
                rollup: &plan.rollup,
                domain_map: Some(lookup),
            };
            let mut w = Writer::new(&mut out);
            let (r, _) = scan::deliver(&inputs, &opts, &eng, &sink, None, &mut w);
            r.expect("ndjson");
            w.written
        };
        (written, spilled)
    });
    assert_eq!(std::fs::read_dir(spill.path()).expect("list").count(), 0);
    (peak, written, spilled)
}

#[test]
fn a_domain_per_row_keeps_rows_within_the_learn_budget() {
    const ROWS: u64 = 10_000;
    let _one = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().expect("tempdir");
    let (small, large) =
        support::generated::small_and_large(&Profile::adversarial(5), ROWS, dir.path());
    let pool = support::generated::two_workers();
    pool.install(|| {
        for expr in [None, Some("domain=outlook.com")] {
            peak_of_rows(&small, Learning::Bounded, expr); // what is made once per process
            let (base, _, _) = peak_of_rows(&small, Learning::Bounded, expr);
            let (bounded, n, spilled) = peak_of_rows(&large, Learning::Bounded, expr);
            let (every, m, _) = peak_of_rows(&large, Learning::Every, expr);
            eprintln!(
                "rows {expr:?}: peak {bounded} B learned within {BUDGET} B, {every} B with every \
                 domain; {base} B for a quarter of the rows"
            );
            assert_eq!(n, m, "{expr:?}: the same rows");
            assert!(
                n >= if expr.is_some() { ROWS } else { 4 * ROWS },
                "{n} rows"
            );
            assert!(spilled, "{expr:?}: the learned domains went to disk");
            // The learned domains would take about a hundred bytes for each row with evidence
            // (a Microsoft consumer MX: half the rows); past the budget they are on disk, and
            // the peak is the smaller file's.
            assert!(
                bounded <= base + 2 * BUDGET + (1 << 20),
                "{expr:?}: peak {bounded} B for {n} rows, {base} B for a quarter of them"
            );
            assert!(
                bounded + (4 << 20) < every,
                "{expr:?}: {bounded} B learned, {every} B with every domain"
            );
        }
    });
}
