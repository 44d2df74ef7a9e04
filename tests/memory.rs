//! Memory grows with the number of distinct values, not with their product nor the file: the
//! peak of live heap bytes while `summary` scans and analyses a file where every row has a new
//! recipient domain, job and envId, above the same for a file of as many rows with few distinct
//! values, stays within a bound per distinct domain. A binary of its own because it counts every
//! allocation of the process with a global allocator.

use std::path::Path;
use std::sync::Arc;

use pmta_lens::acct::discover::{Input, InputKind};
use pmta_lens::analysis::{self, AnalysisParams};
use pmta_lens::classify::Classifier;
use pmta_lens::filter::Filter;
use pmta_lens::rollup::Rollup;
use pmta_lens::scan::ScanOptions;
use pmta_lens_synth::{Profile, Size};

mod support {
    pub mod generated;
    pub mod peak_alloc;
}

use support::generated::generated_file;
use support::peak_alloc::{self, peak_during};

#[global_allocator]
static GLOBAL: peak_alloc::Peak = peak_alloc::Peak;

/// Peak live heap bytes above the start while `summary`'s pass (counts, analyses and their
/// follow-up) runs on `path`, the distinct recipient domains it found and its records.
fn peak_of_summary(path: &Path) -> (usize, usize, u64) {
    let inputs = [Input {
        path: path.to_path_buf(),
        kind: InputKind::Plain,
    }];
    let classifier = Classifier::builtin();
    let plan = Arc::new(pmta_lens::connections::plan(Rollup::default(), None));
    let ((scan, analyses), peak) = peak_during(|| {
        analysis::run(
            &inputs,
            &ScanOptions::default(),
            &classifier,
            &Filter::default(),
            &plan,
            &AnalysisParams::default(),
        )
    });
    let domains = scan.aggregates.rcpt_domains().count();
    let records = scan.aggregates.records;
    drop((scan, analyses));
    (peak, domains, records)
}

/// The budget per distinct recipient domain on top of a file of few distinct values (issue 9:
/// 256 bytes; the whole summary's peak, so every table that grows with domains is in it).
const BYTES_PER_DOMAIN: usize = 256;

#[test]
fn memory_per_distinct_domain_is_bounded() {
    const ROWS: u64 = 100_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut narrow = Profile::default_bench(11);
    narrow.size = Size::Rows(ROWS);
    let mut adversarial = Profile::adversarial(11);
    adversarial.size = Size::Rows(ROWS);
    let narrow = generated_file(&narrow, dir.path(), "narrow.csv");
    let adversarial = generated_file(&adversarial, dir.path(), "adversarial.csv");

    let pool = support::generated::two_workers();
    pool.install(|| {
        peak_of_summary(&narrow); // what is made once per process
        let (base, few, base_records) = peak_of_summary(&narrow);
        let (peak, domains, records) = peak_of_summary(&adversarial);
        assert!(few < 100, "{few} domains in the narrow file");
        assert!(
            domains as u64 > records / 2,
            "{domains} domains for {records} records"
        );
        assert!(base_records >= ROWS && records >= ROWS);
        let per_domain = peak.saturating_sub(base) / domains;
        eprintln!(
            "peak {peak} B with {domains} domains, {base} B with {few}: {per_domain} B per domain"
        );
        assert!(
            per_domain <= BYTES_PER_DOMAIN,
            "{per_domain} bytes per distinct domain (peak {peak} B, {domains} domains; \
             base {base} B): more than {BYTES_PER_DOMAIN}"
        );
    });
}
