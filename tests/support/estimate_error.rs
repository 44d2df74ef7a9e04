//! The connection estimate against simulated truth, shared by `tests/connections.rs` (which
//! asserts the bound documented in docs/connections.md) and `examples/connections.rs` (which
//! prints the measured table for that document).
//!
//! A scenario is a simulated `PowerMTA` day (`synth::connections`): the accounting rows are
//! scanned and the estimate built exactly as `pmta-lens summary` does, with a config that
//! states the simulated `max-smtp-out` and `connection-idle-timeout`; the truth is the
//! simulation's own connection list, measured with the same timeline code.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use pmta_lens::acct::discover::discover;
use pmta_lens::classify::Classifier;
use pmta_lens::config::Config;
use pmta_lens::connections::{self, ConnectionsInput, Params, Settings, Span, Stats, Steps};
use pmta_lens::filter::Filter;
use pmta_lens::rollup::Rollup;
use pmta_lens::scan::{self, ScanOptions};
use pmta_lens_synth::connections::{ConnectionSim, Wave, simulate};
use pmta_lens_synth::{Profile, Provider, unix_time};

/// One simulated day and the config that describes it.
pub struct Scenario {
    pub name: String,
    pub profile: Profile,
}

/// Estimate and truth of one destination and pool.
#[derive(Debug, Clone)]
pub struct Pair {
    pub domain: String,
    pub pool: String,
    pub budget: u32,
    pub truth: Stats,
    pub estimate: Stats,
    pub truth_connections: usize,
}

impl Pair {
    pub fn peak_error(&self) -> f64 {
        rel(self.estimate.peak, self.truth.peak)
    }
    pub fn p95_error(&self) -> f64 {
        rel(self.estimate.p95, self.truth.p95)
    }
}

/// (estimate - truth) / truth.
fn rel(est: u32, truth: u32) -> f64 {
    (f64::from(est) - f64::from(truth)) / f64::from(truth.max(1))
}

/// What the estimator was measured on: the example sender's pools and destinations, Microsoft
/// queues capped at `ms_max` (the article's tiers), everything else at 20.
pub fn scenario(
    name: &str,
    seed: u64,
    scale: u64,
    sim: impl FnOnce(&mut ConnectionSim),
    rollup_microsoft: bool,
    ms_max: u32,
) -> Scenario {
    let start = unix_time(2026, 11, 20, 0, 0, 0);
    let mut p = Profile::example_sender(seed, start);
    p.duration_secs = 12 * 3600;
    p.recipients = 500_000;
    let ms = Provider::MicrosoftConsumer;
    let microsoft: Vec<String> = p
        .domains
        .iter()
        .filter(|d| d.provider == ms)
        .map(|d| d.name.clone())
        .collect();
    if rollup_microsoft {
        p.rollups = microsoft
            .iter()
            .map(|d| (d.clone(), "outlook.com".to_owned()))
            .collect();
    }
    let mut by_queue: Vec<(String, u32)> = if rollup_microsoft {
        vec![("outlook.com".to_owned(), ms_max)]
    } else {
        microsoft.iter().map(|d| (d.clone(), ms_max)).collect()
    };
    by_queue.push(("gmail.com".to_owned(), 10));
    let mut c = ConnectionSim {
        background_messages: 3_000 * scale,
        waves: vec![
            // A newsletter to Microsoft at 02:00: queues back up for a while.
            Wave {
                start: start + 2 * 3600,
                duration_secs: 900,
                messages: 4_000 * scale,
                provider: Some(ms),
            },
            // A mixed campaign at 06:00 over an hour.
            Wave {
                start: start + 6 * 3600,
                duration_secs: 3600,
                messages: 5_000 * scale,
                provider: None,
            },
            // A short transactional spike to Gmail at 09:30.
            Wave {
                start: start + 9 * 3600 + 1800,
                duration_secs: 120,
                messages: 400 * scale,
                provider: Some(Provider::Gmail),
            },
        ],
        max_smtp_out_by_queue: by_queue,
        ..ConnectionSim::default()
    };
    sim(&mut c);
    p.connections = Some(c);
    Scenario {
        name: name.to_owned(),
        profile: p,
    }
}

/// The scenarios of docs/connections.md. `scale` multiplies the traffic (1 for tests).
pub fn scenarios(scale: u64) -> Vec<Scenario> {
    vec![
        scenario("as assumed", 11, scale, |_| {}, true, 5),
        scenario("not rolled up", 12, scale, |_| {}, false, 5),
        scenario(
            "fast server (0.2-0.8 s transactions)",
            13,
            scale,
            |c| c.transaction_ms = (200, 800),
            true,
            5,
        ),
        scenario(
            "slow server (2-5 s transactions)",
            14,
            scale,
            |c| c.transaction_ms = (2_000, 5_000),
            true,
            5,
        ),
        scenario(
            "connection-idle-timeout 30s",
            15,
            scale,
            |c| c.idle_timeout_ms = 30_000,
            true,
            5,
        ),
        scenario(
            "limits never reached (max-smtp-out 100)",
            17,
            scale,
            |c| {
                c.max_smtp_out = 100;
                c.max_smtp_out_by_queue.clear();
            },
            true,
            100,
        ),
        scenario(
            "max-msg-per-connection 20",
            16,
            scale,
            |c| c.max_msg_per_connection = 20,
            true,
            6,
        ),
    ]
}

/// The config a `PowerMTA` running `profile` would have (VMTAs, pools, the simulated limits).
pub fn config_text(profile: &Profile) -> String {
    let sim = profile.connections.as_ref().expect("a simulation profile");
    let mut out = String::new();
    let mut pools: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for v in &profile.vmtas {
        let _ = writeln!(
            out,
            "<virtual-mta {}>\n  smtp-source-host {} {}.{}\n</virtual-mta>",
            v.name, v.ip, v.name, sim.helo_domain
        );
        pools.entry(&v.pool).or_default().push(&v.name);
    }
    for (pool, members) in &pools {
        let _ = writeln!(out, "<virtual-mta-pool {pool}>");
        for m in members {
            let _ = writeln!(out, "  virtual-mta {m}");
        }
        let _ = writeln!(out, "</virtual-mta-pool>");
    }
    let _ = writeln!(
        out,
        "<domain *>\n  max-smtp-out {}\n  connection-idle-timeout {}s\n</domain>",
        sim.max_smtp_out,
        sim.idle_timeout_ms / 1000
    );
    for (q, n) in &sim.max_smtp_out_by_queue {
        let _ = writeln!(out, "<domain {q}>\n  max-smtp-out {n}\n</domain>");
    }
    out
}

/// Runs one scenario in `dir`: estimate and truth per destination and pool.
pub fn measure(s: &Scenario, dir: &Path, params: Params) -> Vec<Pair> {
    let acct = dir.join("acct-sim.csv");
    let file = std::fs::File::create(&acct).expect("create");
    let sim = simulate(&s.profile, std::io::BufWriter::new(file), None).expect("simulate");
    let config = Config::parse_str(&config_text(&s.profile), dir.join("config")).expect("config");
    let (inputs, errors) = discover(&[acct]);
    assert!(errors.is_empty(), "{errors:?}");
    let classifier = Classifier::builtin();
    let rollup = Rollup::new(config.rollups());
    let opts = ScanOptions::default();
    let plan = pmta_lens::connections::plan(rollup.clone(), Some(&config));
    let result = scan::run(&inputs, &opts, &classifier, &Filter::default(), &plan);
    let mut ctx = ConnectionsInput::new(&result, &rollup, &classifier, &inputs, &opts);
    ctx.config = Some(&config);
    let settings = Settings {
        estimate: params,
        ..Settings::default()
    };
    let conns = connections::analyze(&ctx, &settings);

    let pool_of = |vmta: &str| {
        s.profile
            .vmtas
            .iter()
            .find(|v| v.name == vmta)
            .map(|v| v.pool.clone())
            .unwrap_or_default()
    };
    let mut truth: BTreeMap<(String, String), Vec<Span>> = BTreeMap::new();
    for c in &sim.connections {
        let dest = rollup.resolve(&c.queue, None);
        truth
            .entry((dest, pool_of(&c.vmta)))
            .or_default()
            .push(Span {
                open: c.open_ms,
                close: c.close_ms,
            });
    }
    conns
        .rows
        .iter()
        .filter_map(|r| {
            let spans = truth.get(&(r.domain.clone(), r.pool.clone()))?;
            Some(Pair {
                domain: r.domain.clone(),
                pool: r.pool.clone(),
                budget: r.budget,
                truth: Steps::of(spans).stats(Some(r.budget)),
                estimate: r.observed,
                truth_connections: spans.len(),
            })
        })
        .collect()
}
