//! The pool of worker threads a command scans with: `--threads` (or `RAYON_NUM_THREADS`), all
//! cores by default, and never more than a few times the cores.

use anyhow::Context;

/// Workers per core at most. The scan is CPU-bound: beyond a few per core, threads only cost
/// memory (each keeps its own partial counts) and scheduling, and thousands would take the
/// host's thread and memory limits from `PowerMTA`.
const PER_CORE: usize = 4;

/// How many workers to start for a request (`n` and where it came from), and a note for stderr
/// when it was capped.
pub fn count(
    requested: Option<(usize, &str)>,
    cores: usize,
) -> anyhow::Result<(usize, Option<String>)> {
    let cores = cores.max(1);
    let Some((n, from)) = requested else {
        return Ok((cores, None));
    };
    anyhow::ensure!(n > 0, "{from} must be at least 1");
    let cap = PER_CORE * cores;
    if n > cap {
        let note = format!(
            "{from}={n} is more than {PER_CORE} per core: using {cap} ({cores} cores here)"
        );
        return Ok((cap, Some(note)));
    }
    Ok((n, None))
}

/// The worker pool for `--threads` (`None`: `RAYON_NUM_THREADS` if set, else all cores),
/// capped with a note on stderr.
pub fn pool(threads: Option<usize>) -> anyhow::Result<rayon::ThreadPool> {
    let requested = threads.map(|n| (n, "--threads")).or_else(|| {
        std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .filter(|&n| n > 0)
            .map(|n| (n, "RAYON_NUM_THREADS"))
    });
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let (n, note) = count(requested, cores)?;
    if let Some(note) = note {
        super::stdout::warn(note);
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("pmta-lens-{i}"))
        .build()
        .context("starting worker threads")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_are_capped_at_a_few_per_core() {
        let count = |n: Option<usize>, cores| {
            count(n.map(|n| (n, "--threads")), cores).map_err(|e| e.to_string())
        };
        assert_eq!(count(None, 2), Ok((2, None)));
        assert_eq!(count(Some(1), 2), Ok((1, None)));
        assert_eq!(count(Some(8), 2), Ok((8, None)));
        assert_eq!(
            count(Some(100_000), 2),
            Ok((
                8,
                Some("--threads=100000 is more than 4 per core: using 8 (2 cores here)".into())
            ))
        );
        assert_eq!(
            count(Some(0), 2),
            Err("--threads must be at least 1".into())
        );
        // a machine that reports no cores still gets a worker
        assert_eq!(count(None, 0), Ok((1, None)));
    }
}
