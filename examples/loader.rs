//! Times the dashboard's scan without a terminal: the background loader's complete first pass
//! (counts, snapshots, the analyses' follow-up, the connections) on the given inputs, as
//! `pmta-lens` runs it before it shows "scan complete". `benches/compare.py` runs it beside
//! `pmta-lens summary` on the same file.
//!
//! ```text
//! cargo run --release --example loader -- bench-data/acct-esp-1g-seed42.csv [--config PATH]
//! ```
//!
//! Prints one line: seconds, snapshots sent, records, and the peak anonymous memory.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pmta_lens::analysis::AnalysisParams;
use pmta_lens::classify::Classifier;
use pmta_lens::cli::connections::{self as conn_cli, Args};
use pmta_lens::filter::Filter;
use pmta_lens::tui::loader::{self, Scanner, Spec};

fn rss_anon() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("RssAnon:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}

fn main() -> ExitCode {
    pmta_lens::allocator::tune_allocator();
    // As the dashboard does before its scan starts.
    pmta_lens::allocator::one_allocator_arena();
    let mut paths = Vec::new();
    let mut args = Args {
        no_config: true,
        ..Args::default()
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        if a == "--config" {
            args.config = it.next().map(PathBuf::from);
            args.no_config = false;
        } else {
            paths.push(PathBuf::from(a));
        }
    }
    let setup = match conn_cli::load(&args, &paths) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("loader: {e:#}");
            return ExitCode::from(2);
        }
    };
    let spec = Spec {
        paths,
        filter: Filter::default(),
        follow: false,
        chunk_size: pmta_lens::acct::chunk::DEFAULT_CHUNK_SIZE,
        block: loader::BLOCK,
        mmap: true,
        row_cap: loader::ROW_CAP,
        classifier: Arc::new(Classifier::builtin()),
        plan: setup.dashboard_plan(),
        params: AnalysisParams::default(),
        budget: setup.has_budget().then(|| Arc::new(setup)),
        panic_in_worker: false,
    };
    let peak = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, stop) = (Arc::clone(&peak), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_anon(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let started = Instant::now();
    let mut s = Scanner::new(spec, 0, None);
    let mut snapshots = 0;
    let mut records = 0;
    // The dashboard shows each snapshot until the next arrives: the last one is held here too,
    // so its memory counts as it does in the dashboard.
    let mut shown = None;
    // PMTA_LOADER_TRACE=1: each snapshot's time and the memory then, to find where the peak is.
    let trace = std::env::var_os("PMTA_LOADER_TRACE").is_some();
    s.initial(&AtomicBool::new(false), |snap| {
        snapshots += 1;
        if trace {
            eprintln!(
                "{:7.3} s  snapshot {snapshots:3}  {:>10} records  anon {:6.1} MB, peak {:6.1} MB",
                started.elapsed().as_secs_f64(),
                snap.aggregates.records,
                rss_anon() as f64 / 1e6,
                peak.load(Ordering::Relaxed) as f64 / 1e6
            );
        }
        records = snap.aggregates.records;
        shown = Some(snap);
    });
    drop(shown);
    let secs = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    peak.fetch_max(rss_anon(), Ordering::Relaxed);
    println!(
        "loader: {secs:.3} s, {snapshots} snapshots, {records} records, peak anonymous memory {:.1} MB",
        peak.load(Ordering::Relaxed) as f64 / 1e6
    );
    ExitCode::SUCCESS
}
