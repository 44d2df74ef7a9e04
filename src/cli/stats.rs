//! `--stats`: throughput and peak anonymous memory of a run, printed to stderr. Anonymous memory
//! (`RssAnon`) is what the process allocated; pages of mapped files are the page cache's and are
//! left out, so this shows whether memory grows with the input.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::fmt::{bytes, thousands};
use crate::scan::ScanReport;

/// Samples `RssAnon` from /proc/self/status every few milliseconds and keeps the peak.
pub struct MemorySampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    handle: Option<JoinHandle<()>>,
}

fn rss_anon() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("RssAnon:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

impl MemorySampler {
    pub fn start() -> MemorySampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(rss_anon().unwrap_or(0)));
        let (s, p) = (Arc::clone(&stop), Arc::clone(&peak));
        let handle = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Some(now) = rss_anon() {
                    p.fetch_max(now, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        MemorySampler {
            stop,
            peak,
            handle: Some(handle),
        }
    }

    /// Stops sampling; the peak in bytes (0 where /proc is not available).
    pub fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        if let Some(now) = rss_anon() {
            self.peak.fetch_max(now, Ordering::Relaxed);
        }
        self.peak.load(Ordering::Relaxed)
    }
}

/// Prints one line of run statistics to stderr.
pub fn print(report: &ScanReport, elapsed: Duration, peak_anon: u64) {
    let secs = elapsed.as_secs_f64();
    let b = report.bytes();
    eprintln!(
        "pmta-lens: {} records, {} malformed, {} in {secs:.3} s = {:.2} GB/s on {} threads; \
         peak anonymous memory {}",
        thousands(report.records()),
        thousands(report.malformed),
        bytes(b),
        if secs > 0.0 {
            b as f64 / secs / 1e9
        } else {
            0.0
        },
        rayon::current_num_threads(),
        bytes(peak_anon),
    );
    if let Some(line) = super::priority::stats_line() {
        eprintln!("pmta-lens: {line}");
    }
}

/// One more line when the domains' rollups learned before the pass went past their budget to a
/// table on disk (the temporary directory's, removed when the command ends).
pub fn spilled(learned: &crate::learn::Rollups, budget: usize) {
    eprintln!(
        "pmta-lens: rollups of {} domains learned past the {} budget: on disk in {}, removed",
        thousands(learned.len() as u64),
        bytes(budget as u64),
        std::env::temp_dir().display(),
    );
}
