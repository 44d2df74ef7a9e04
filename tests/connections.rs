//! Connection counts against simulated truth: the estimate from accounting rows stays within
//! the bound docs/connections.md states, and a `log-connections` log written by the simulation
//! pairs back into exactly the simulated connections.

mod support {
    pub mod estimate_error;
}

use std::path::Path;

use pmta_lens::acct::discover::discover;
use pmta_lens::classify::Classifier;
use pmta_lens::config::Config;
use pmta_lens::connections::{self, ConnectionsInput, Method, Params, Settings, Span, Steps};
use pmta_lens::filter::Filter;
use pmta_lens::rollup::Rollup;
use pmta_lens::scan::{self, ScanOptions};
use pmta_lens_synth::connections::simulate;
use support::estimate_error::{self, Scenario};

/// The documented bound (docs/connections.md, "Measured error"): for every destination and
/// pool whose true peak is at least 5 connections, in every scenario where the estimate's
/// assumptions hold, the estimated peak is within 25 % of the true peak and the p95 within 2
/// connections of the true p95.
const PEAK_BOUND: f64 = 0.25;
const P95_BOUND: i64 = 2;

fn assumptions_hold(s: &Scenario) -> bool {
    !s.name.contains("server")
}

#[test]
fn the_estimate_stays_within_the_documented_bound() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut checked = 0;
    for s in estimate_error::scenarios(1) {
        if !assumptions_hold(&s) {
            continue;
        }
        let pairs = estimate_error::measure(&s, dir.path(), Params::default());
        assert!(!pairs.is_empty(), "{}: nothing measured", s.name);
        for p in pairs.iter().filter(|p| p.truth.peak >= 5) {
            checked += 1;
            assert!(
                p.peak_error().abs() <= PEAK_BOUND,
                "{}: {} {}: peak {} estimated as {}",
                s.name,
                p.domain,
                p.pool,
                p.truth.peak,
                p.estimate.peak
            );
            let p95 = i64::from(p.estimate.p95) - i64::from(p.truth.p95);
            assert!(
                p95.abs() <= P95_BOUND,
                "{}: {} {}: p95 {} estimated as {}",
                s.name,
                p.domain,
                p.pool,
                p.truth.p95,
                p.estimate.p95
            );
        }
    }
    assert!(
        checked >= 10,
        "only {checked} pairs were big enough to check"
    );
}

#[test]
fn without_rollup_the_estimate_sees_more_connections_than_the_budget() {
    // The article's point: ten Microsoft queues per IP, each with its own max-smtp-out.
    let dir = tempfile::tempdir().expect("tempdir");
    let s = estimate_error::scenarios(1)
        .into_iter()
        .find(|s| s.name == "not rolled up")
        .expect("scenario");
    let pairs = estimate_error::measure(&s, dir.path(), Params::default());
    let ms = pairs
        .iter()
        .find(|p| p.domain == "outlook.com" && p.pool == "microsoft-pool")
        .expect("outlook.com through microsoft-pool");
    assert_eq!(ms.budget, 20, "4 VMTAs x max-smtp-out 5");
    assert!(ms.truth.peak > ms.budget, "{ms:?}");
    assert!(ms.estimate.peak > ms.budget, "{ms:?}");
}

fn scan_with(
    acct: &Path,
    config: &Config,
    log: Option<&Path>,
) -> (connections::Connections, Rollup) {
    let (inputs, errors) = discover(&[acct.to_path_buf()]);
    assert!(errors.is_empty(), "{errors:?}");
    let classifier = Classifier::builtin();
    let rollup = Rollup::new(config.rollups());
    let opts = ScanOptions::default();
    let plan = connections::plan(rollup.clone(), Some(config));
    let result = scan::run(&inputs, &opts, &classifier, &Filter::default(), &plan);
    let mut ctx = ConnectionsInput::new(&result, &rollup, &classifier, &inputs, &opts);
    ctx.config = Some(config);
    ctx.pmta_log = log;
    ctx.series = true;
    let c = connections::analyze(&ctx, &Settings::default());
    (c, rollup)
}

#[test]
fn the_simulated_log_pairs_into_the_true_connections() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = estimate_error::scenarios(1)
        .into_iter()
        .find(|s| s.name == "not rolled up")
        .expect("scenario");
    let acct = dir.path().join("acct-sim.csv");
    let log_path = dir.path().join("log");
    let mut log = Vec::new();
    let sim = simulate(
        &s.profile,
        std::fs::File::create(&acct).expect("create"),
        Some(&mut log),
    )
    .expect("simulate");
    std::fs::write(&log_path, &log).expect("write log");

    // Connection by connection: every simulated connection is in the log, to the second.
    let (conns, rep) = connections::log::read(&log_path).expect("read log");
    assert_eq!(conns.len(), sim.connections.len());
    assert_eq!((rep.open_at_start, rep.never_closed), (0, 0));
    let mut truth: Vec<(i64, i64, &str)> = sim
        .connections
        .iter()
        .map(|c| (c.open_ms / 1000, c.close_ms / 1000, c.mx_ip.as_str()))
        .collect();
    let mut paired: Vec<(i64, i64, &str)> = conns
        .iter()
        .map(|c| (c.open_ms / 1000, c.close_ms / 1000, c.mx_ip.as_str()))
        .collect();
    truth.sort_unstable();
    paired.sort_unstable();
    assert_eq!(paired, truth);
    assert!(
        conns
            .iter()
            .all(|c| c.source_ip.is_some() && c.queue.is_some())
    );

    // Through the analysis: the log method, placed on the right destination and pool, and the
    // peak as the simulation had it (to within the log's one-second resolution).
    let config = Config::parse_str(
        &estimate_error::config_text(&s.profile),
        dir.path().join("config"),
    )
    .expect("config");
    let (c, rollup) = scan_with(&acct, &config, Some(&log_path));
    assert_eq!(c.method, Method::Log);
    let row = c
        .rows
        .iter()
        .find(|r| r.domain == "outlook.com" && r.pool == "microsoft-pool")
        .expect("row");
    let spans: Vec<Span> = sim
        .connections
        .iter()
        .filter(|t| {
            rollup.resolve(&t.queue, None) == "outlook.com" && t.vmta.starts_with("vmta-ms")
        })
        .map(|t| Span {
            open: t.open_ms,
            close: t.close_ms,
        })
        .collect();
    let truth = Steps::of(&spans).stats(Some(row.budget));
    assert!(
        row.observed.peak.abs_diff(truth.peak) <= 2,
        "log {:?} truth {truth:?}",
        row.observed
    );
    assert_eq!(row.queues.len(), 10, "one queue per Microsoft domain");
    assert!(row.ceiling.is_some_and(|c| c == 200), "{:?}", row.ceiling);
    assert!(
        row.estimate.is_none(),
        "a log naming its queues needs no second read of the rows"
    );
    assert_eq!(row.by_source_ip.len(), 4);
    let series = c.series(row);
    assert_eq!(
        series.iter().map(|p| p.max).max(),
        Some(row.observed.peak),
        "the series holds the peak"
    );
}

#[test]
fn a_log_cut_in_the_middle_keeps_the_open_connections() {
    // Drop the first and last tenth of the simulated log: connections opened before the cut
    // start at the log's first line, those closed after it end at its last.
    let dir = tempfile::tempdir().expect("tempdir");
    let s = estimate_error::scenarios(1).remove(0);
    let mut log = Vec::new();
    let sim = simulate(&s.profile, std::io::sink(), Some(&mut log)).expect("simulate");
    let text = String::from_utf8(log).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    let (a, b) = (lines.len() / 10, lines.len() * 9 / 10);
    // Cut where a connection is open across each edge.
    let cut = lines[a..b].join("\n");
    let path = dir.path().join("log");
    std::fs::write(&path, cut).expect("write");
    let (conns, rep) = connections::log::read(&path).expect("read");
    assert!(rep.open_at_start > 0 || rep.never_closed > 0, "{rep:?}");
    let first = rep.first.expect("first") * 1000 + 500;
    let last = rep.last.expect("last") * 1000 + 500;
    for c in &conns {
        assert!(c.open_ms >= first && c.close_ms <= last, "{c:?}");
        assert_eq!(c.open_ms == first && !c.start_seen, !c.start_seen);
    }
    assert!(conns.len() < sim.connections.len());
}

/// An estimate's destination, pool, stats and per-minute series (minutes with something open).
type Estimate = (String, String, connections::Stats, Vec<(i64, u32)>);

/// What an estimate says of every destination and pool.
fn estimate_of(
    inputs: &[pmta_lens::acct::discover::Input],
    chunk_size: usize,
    rollup: &Rollup,
    config: &Config,
) -> Vec<Estimate> {
    let opts = ScanOptions {
        chunk_size,
        ..ScanOptions::default()
    };
    let est = connections::stream::collect(
        inputs,
        &opts,
        &Classifier::builtin(),
        rollup,
        Some(config),
        &Settings::default(),
        true,
    );
    let mut out: Vec<_> = est
        .groups
        .iter()
        .map(|g| {
            let series = g
                .timeline
                .series(1_795_132_800, 1_795_132_800 + 86_400, 60)
                .iter()
                .filter(|p| p.max > 0)
                .map(|p| (p.t, p.max))
                .collect();
            (
                g.domain.to_string(),
                g.pool.to_string(),
                g.timeline.stats(Some(5)),
                series,
            )
        })
        .collect();
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    out
}

#[test]
fn the_streamed_estimate_is_the_same_at_any_chunk_size_and_from_files_that_overlap_in_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = estimate_error::scenarios(1).remove(0);
    let acct = dir.path().join("acct-sim.csv");
    let mut data = Vec::new();
    simulate(&s.profile, &mut data, None).expect("simulate");
    std::fs::write(&acct, &data).expect("write");
    let config = Config::parse_str(
        &estimate_error::config_text(&s.profile),
        dir.path().join("config"),
    )
    .expect("config");
    let rollup = Rollup::new(config.rollups());
    let (inputs, _) = discover(&[acct]);
    let whole = estimate_of(&inputs, 4 << 20, &rollup, &config);
    assert!(whole.iter().any(|g| g.2.peak >= 5), "{whole:?}");
    for chunk_size in [4096, 100_000] {
        assert_eq!(
            estimate_of(&inputs, chunk_size, &rollup, &config),
            whole,
            "chunk size {chunk_size}"
        );
    }
    // The same rows in two files that cover the same day (deferrals written apart, as many
    // operators configure them): the stream cannot replay them as they come, so the estimate
    // replays them all at the end, and says the same.
    let text = String::from_utf8(data).expect("utf-8");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let (mut delivered, mut deferred) = (format!("{header}\n"), format!("{header}\n"));
    for line in lines {
        let out = if line.starts_with("t,") || line.starts_with("tq,") {
            &mut deferred
        } else {
            &mut delivered
        };
        out.push_str(line);
        out.push('\n');
    }
    let (a, b) = (dir.path().join("acct-a.csv"), dir.path().join("acct-b.csv"));
    std::fs::write(&a, delivered).expect("write");
    std::fs::write(&b, deferred).expect("write");
    let (split, _) = discover(&[a, b]);
    assert_eq!(split.len(), 2);
    assert_eq!(estimate_of(&split, 1 << 20, &rollup, &config), whole);
}
