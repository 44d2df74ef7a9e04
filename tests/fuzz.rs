//! The fuzz harness (see docs/fuzzing.md): random and grammar-built input for every parser that
//! reads what a user hands pmta-lens (accounting files mapped, streamed and gzipped, the
//! `--where` language, `PowerMTA` configs, SNDS exports). Properties: no panic, no hang (a
//! watchdog fails the run when one case takes too long), bounded memory (peak RSS reported and
//! checked), and the scan gives the same answer whatever the chunk size, block size and path.
//!
//! `cargo test` runs a short pass (a few hundred cases per target); `PMTA_FUZZ_CASES=N` spreads
//! N cases over the targets (`scripts/fuzz.sh` runs a million in release). Failing seeds are
//! saved in `proptest-regressions/` and replayed first on every run.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

use pmta_lens::acct::discover::{Input, InputKind};
use pmta_lens::acct::source::{GUNZIP_STEP, Gunzip};
use pmta_lens::aggregate::Aggregates;
use pmta_lens::classify::Classifier;
use pmta_lens::config::Config as PmtaConfig;
use pmta_lens::filter::{Filter, RowView};
use pmta_lens::model::{Code, RecordKind, ResponseKind, SmtpCode};
use pmta_lens::scan::{self, ScanOptions};

// ---------------------------------------------------------------------------------------------
// Budget, watchdog and memory

/// Each target's share of `PMTA_FUZZ_CASES`, and its cases in the short run of `cargo test`.
/// The scan targets cost about a thousand times a parser case: they get fewer.
const TARGETS: &[(&str, f64, u32)] = &[
    ("scan_grammar", 0.05, 100),
    ("scan_raw", 0.04, 100),
    ("gzip_damage", 0.03, 60),
    ("filter_any", 0.16, 1000),
    ("filter_grammar", 0.24, 1500),
    ("config_any", 0.12, 500),
    ("config_grammar", 0.18, 800),
    ("snds", 0.18, 1000),
];

/// How many cases `target` runs: its share of `PMTA_FUZZ_CASES`, or the short run's count.
fn cases(target: &str) -> u32 {
    let (_, share, short) = TARGETS
        .iter()
        .find(|(name, ..)| *name == target)
        .copied()
        .unwrap_or((target, 0.0, 10));
    match std::env::var("PMTA_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
    {
        Some(total) => ((total * share).ceil() as u32).max(1),
        None => short,
    }
}

/// The proptest configuration of a target: its case count, its own regression file (replayed
/// first on every run), and a bound on shrinking so a failure is reported in reasonable time.
fn config(target: &'static str) -> Config {
    let file: &'static str = Box::leak(format!("proptest-regressions/{target}.txt").into());
    Config {
        cases: cases(target),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(file))),
        max_shrink_time: 120_000,
        ..Config::default()
    }
}

/// The per-case time limit (`PMTA_FUZZ_CASE_SECS`, default 60 s: a debug build on a busy
/// machine scans the largest generated files in well under a second).
fn case_limit() -> Duration {
    Duration::from_secs(
        std::env::var("PMTA_FUZZ_CASE_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(60),
    )
}

/// Target -> when its running case started, and its input (saved if it hangs).
type Cases = HashMap<&'static str, (Instant, Vec<u8>)>;

/// The case each target is running.
static RUNNING: LazyLock<Mutex<Cases>> = LazyLock::new(|| {
    std::thread::Builder::new()
        .name("fuzz-watchdog".into())
        .spawn(watchdog)
        .expect("start the watchdog");
    Mutex::new(HashMap::new())
});

/// Fails the whole run when a case has run longer than [`case_limit`]: a hang can never be
/// caught from the thread that hangs, and proptest's own timeout forks a process per case. The
/// input is saved so the hang can be replayed.
fn watchdog() {
    let limit = case_limit();
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
        for (target, (started, input)) in running.iter() {
            if started.elapsed() > limit {
                let saved = std::env::temp_dir().join(format!("pmta-fuzz-hang-{target}.bin"));
                let _ = std::fs::write(&saved, input);
                eprintln!(
                    "fuzz {target}: HANG: one case ran over {limit:?}; its input ({} bytes) is \
                     in {}",
                    input.len(),
                    saved.display()
                );
                std::process::exit(3);
            }
        }
    }
}

/// Marks a case of `target` as running until dropped.
struct Running(&'static str);

impl Running {
    fn start(target: &'static str, input: &[u8]) -> Running {
        RUNNING
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(target, (Instant::now(), input.to_vec()));
        Running(target)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(self.0);
    }
}

/// The process's peak resident set, in KiB (`VmHWM`), where the kernel reports it.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reports a target's run (cases, time, peak RSS of the process so far) and fails it when the
/// peak is over `PMTA_FUZZ_MAX_RSS_MIB` (default 2048): memory that grows with the input shows.
fn report(target: &str, started: Instant) {
    let peak = peak_rss_kib();
    eprintln!(
        "fuzz {target}: {} cases in {:.1} s, peak RSS {} MiB",
        cases(target),
        started.elapsed().as_secs_f64(),
        peak.map_or_else(|| "?".to_string(), |k| (k / 1024).to_string())
    );
    let limit: u64 = std::env::var("PMTA_FUZZ_MAX_RSS_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2048);
    if let Some(k) = peak {
        assert!(
            k / 1024 <= limit,
            "peak RSS {} MiB over {limit} MiB",
            k / 1024
        );
    }
}

/// Runs `body` on every case of `target` and reports the run.
macro_rules! fuzz {
    ($target:literal, $strategy:expr, |$input:pat_param| $body:block) => {{
        let started = Instant::now();
        let mut runner = proptest::test_runner::TestRunner::new(config($target));
        let result = runner.run(&$strategy, |$input| {
            $body;
            Ok(())
        });
        report($target, started);
        if let Err(e) = result {
            panic!("fuzz {}: {e}", $target);
        }
    }};
}

static CLASSIFIER: LazyLock<Classifier> = LazyLock::new(Classifier::builtin);

/// A case's bytes, shown escaped and cut short in failure messages (the persisted seed
/// reproduces the whole case).
#[derive(Clone)]
struct Bytes(Vec<u8>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN: usize = 600;
        let shown = &self.0[..self.0.len().min(SHOWN)];
        write!(f, "b\"{}\"", shown.escape_ascii())?;
        if self.0.len() > SHOWN {
            write!(f, "... ({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

// The targets, one module per kind of input (after the macros they use).
#[path = "fuzz/acct.rs"]
mod acct;
#[path = "fuzz/config.rs"]
mod config_targets;
#[path = "fuzz/filter.rs"]
mod filter;
#[path = "fuzz/snds.rs"]
mod snds;
