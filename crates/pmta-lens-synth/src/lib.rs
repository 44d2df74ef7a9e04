//! Seeded synthetic `PowerMTA` accounting logs in the real format (union header, quoted fields,
//! Microsoft responses in both the article's and the real-log form, RP-002 bursts with ground
//! truth), for tests, benches and the shipped `sample-logs/`. It only writes to the writer or
//! directory it is given; the scan never calls it.
//!
//! The benches use three profiles: [`Profile::default_bench`] (narrow: one sender, a handful of
//! VMTAs, domains and jobs), [`Profile::esp`] (a large sender's day: hundreds of VMTAs, thousands
//! of jobs, a Zipf tail of domains, per-row ids in the replies) and [`Profile::adversarial`]
//! (every row its own domain, job and envelope id). Output is streamed: memory does not grow
//! with the file (recipients and tail domains are derived from numbers, not kept).
//!
//! Everything is a pure function of the [`Profile`] (seed included): the same profile gives the
//! same bytes on every platform, which is what lets `sample-logs/` be checked against a rerun.
//!
//! A file is made in four steps, one module each: the [`Profile`] (`profile`, `presets`) is
//! checked and compiled into tables (`compiled`, with the `responses` catalogue and the
//! `columns`' templates), the `generator` draws events in time order (`events`, `numbers`), and
//! `render` writes each as a row; `stats` is what came out. `connections` replaces the generator
//! with a connection simulation; `pmta_config` and `samples` are built on the profile.

use std::io::{self, Write};

use pmta_lens_core::duration::DAY;

pub mod connections;

/// The header of a real accounting file holding d, b, f, r and rb records (from
/// `reference/real-union-header.txt`): 38 columns, `rcvSourceIp` twice, user-chosen `header_*`.
pub const REAL_UNION_HEADER: &str = "type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,\
dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp,\
dlvEsmtpAvailable,dlvSize,vmta,jobId,envId,queue,vmtaPool,header_x-sp-subaccount-id,\
header_x-sp-message-id,repSourceIp,feedbackType,format,userAgent,reportingMta,reportedDomain,\
header_From,header_Return-Path,header_X-job,header_Subject,rcvSourceIp,rcvSourceIp,\
dsnReportingMta";

/// A narrow custom `record-fields` header, as operators configure for pipes and slim files.
pub const NARROW_HEADER: &str =
    "type,timeLogged,orig,rcpt,dsnStatus,dsnDiag,dsnMta,dlvSourceIp,vmta,queue,jobId";

/// The record types, in the order of [`Stats::rows`] (the same order as the core's
/// `RecordKind::ALL`).
pub const RECORD_TYPES: [&str; 8] = ["d", "b", "t", "tq", "r", "f", "rb", "rs"];

mod columns;
mod compiled;
mod events;
mod generator;
mod numbers;
mod pmta_config;
mod presets;
mod profile;
mod render;
mod responses;
mod samples;
mod stats;
#[cfg(test)]
mod tests;

use compiled::{Mx, invalid};
use events::{Event, Kind};
use generator::Gen;
pub use numbers::unix_time;
use numbers::{civil_from_days, put2};
pub use pmta_config::pmta_config;
pub use profile::{
    Burst, Campaign, DomainSpec, DomainTail, Profile, Provider, Quirks, ROWS_PER_GIB,
    ScheduledSend, Size, TypeMix, Vmta,
};
use render::msg_size;
use responses::RespKind;
pub use responses::response_ids;
pub use samples::{SampleFile, sample_files, write_sample_dir};
pub use stats::{BurstTruth, ResponseCount, SendTruth, Stats};

/// Responses in this set are rendered once each by [`Profile::showcase`].
const SHOWCASE_PROVIDERS: [Option<Provider>; 3] = [
    Some(Provider::MicrosoftConsumer),
    Some(Provider::Office365),
    None,
];
/// A deferred recipient is retried at most this many times before it is delivered anyway.
const MAX_ATTEMPTS: u8 = 3;
/// Rows are formatted into one buffer that is handed to the writer in pieces of about this size.
const FLUSH_AT: usize = 1 << 16;

// ---------------------------------------------------------------------------------------------
// Writing

/// Writes one accounting file for `profile` to `out` (header first, unless turned off) and
/// returns what was written, burst ground truth included. `out` gets large writes; no extra
/// buffering is needed.
///
/// # Errors
/// `InvalidInput` for an inconsistent profile (a pool without VMTAs, a burst IP that is no
/// VMTA's, a burst code that is no deferral, a domain name with odd characters ...), and any
/// error of `out`.
pub fn write_accounting<W: Write>(profile: &Profile, out: W) -> io::Result<Stats> {
    if profile.connections.is_some() {
        return connections::simulate(profile, out, None).map(|s| s.stats);
    }
    let clock = match profile.size {
        Size::Rows(n) => Some(fit_clock(profile, n)?),
        Size::Bytes(_) => None,
    };
    generate(profile, out, clock).map(|(stats, _)| stats)
}

/// Files up to this many rows get their clock fitted by dry runs.
const FIT_CLOCK_MAX_ROWS: u64 = 200_000;

/// The number of background rows a `Rows(n)` file holds, which sets the clock so the rows span
/// the duration (the row count itself is exact either way). Scheduled rows (bursts, retries,
/// complaints) take part of the n rows, and how many fall inside the file depends on the clock.
/// A larger budget slows the clock, so search with dry runs for the smallest budget whose rows all
/// stay before the end of the duration (the one that fills it best): bracket it from the
/// estimate, then bisect. Each run is deterministic for its budget, so the result is too.
fn fit_clock(profile: &Profile, n: u64) -> io::Result<u64> {
    let estimate = Gen::new(profile)?.background_budget(n).max(1);
    if n > FIT_CLOCK_MAX_ROWS {
        return Ok(estimate);
    }
    let end = profile.start + i64::from(profile.duration_secs);
    let fits = |budget: u64| -> io::Result<bool> {
        let (stats, _) = generate(profile, io::sink(), Some(budget))?;
        Ok(stats.last_time < end)
    };
    // Invariant once bracketed: `hi` fits, `lo` does not (or is 0).
    let (mut lo, mut hi);
    let mut step = 1;
    if fits(estimate)? {
        hi = estimate;
        lo = estimate.saturating_sub(step);
        while lo > 0 && fits(lo)? {
            hi = lo;
            step *= 2;
            lo = lo.saturating_sub(step);
        }
    } else {
        lo = estimate;
        hi = estimate + step;
        // With a budget of n the clock cannot pass the end: at most n rows are written.
        while hi < n && !fits(hi)? {
            lo = hi;
            step *= 2;
            hi = (hi + step).min(n);
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi.max(1))
}

/// One run: the stats and how many background rows it took.
fn generate<W: Write>(
    profile: &Profile,
    mut out: W,
    clock: Option<u64>,
) -> io::Result<(Stats, u64)> {
    let mut g = Gen::new(profile)?;
    if profile.write_header {
        g.buf.extend_from_slice(&g.c.header);
        g.stats.lines = 1;
    }
    let background_rows = g.run(&mut out, clock)?;
    if g.stats.lines > 0 && !profile.quirks.no_final_newline {
        g.buf.extend_from_slice(g.c.eol);
    }
    g.flush(&mut out)?;
    out.flush()?;
    g.finish();
    Ok((g.stats, background_rows))
}
