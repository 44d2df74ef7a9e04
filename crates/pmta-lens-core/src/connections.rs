//! Connections against the budget, per rolled-up destination and pool: the budget the
//! `PowerMTA` config allows (pool size x `max-smtp-out`, [`budget`]), and the connections
//! actually open over time, exact from a `log-connections` log ([`log`]) or else estimated from
//! the accounting rows ([`estimate`]), measured the same way ([`timeline`]). The summary, the
//! JSON and the dashboard's Connections view all read [`analyze`]'s result. Part of the core:
//! returns data, never prints.

pub mod budget;
pub mod estimate;
pub mod log;
pub mod setup;
pub mod stream;
pub mod timeline;
pub mod volume;

mod groups;
mod rows;

use groups::{Groups, Placer, aggregated_groups, groups_of, ip_vmta, logged_groups, merged_keys};
use rows::{Parts, pool_of, queue_limits, select_rows};

use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::Serialize;

pub use budget::{Budget, Overrides};
pub use estimate::Params;
pub use log::{LogConnection, LogReport};
pub use setup::Setup;
pub use stream::Estimated;
pub use timeline::{Live, Point, Span, Stats, Steps, Timeline};

use crate::acct::discover::Input;
use crate::aggregate::{Aggregates, Plan};
use crate::classify::Classifier;
use crate::config::Config;
use crate::duration::DAY;
use crate::rollup::{self, DomainHints, Rollup};
use crate::scan::{ScanOptions, ScanResult};

/// What a scan counts for the connection analysis: `rollup`, the SMTP rows per destination and
/// pool, and the config's pool of each VMTA for rows that name none.
pub fn plan(rollup: Rollup, config: Option<&Config>) -> Arc<Plan> {
    let mut vmta_pools: FxHashMap<Box<[u8]>, Box<[u8]>> = FxHashMap::default();
    for p in config.iter().flat_map(|c| &c.pools) {
        for m in &p.members {
            vmta_pools
                .entry(m.to_ascii_lowercase().into_bytes().into())
                .or_insert_with(|| p.name.as_bytes().into());
        }
    }
    Arc::new(Plan {
        rollup: Arc::new(rollup),
        pool_groups: true,
        domain_codes: true,
        vmta_pools,
    })
}

/// Tuning of the connection analysis.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// `--max-smtp-out N` / `--pool-size N`.
    pub overrides: Overrides,
    /// The estimate's assumptions.
    pub estimate: Params,
    /// Width of [`Connections::series`] buckets in seconds; 0 picks one from the time range.
    pub bucket_secs: i64,
}

/// What the analysis reads.
#[derive(Debug)]
pub struct ConnectionsInput<'a> {
    pub aggregates: &'a Aggregates,
    /// What the scan learned about each recipient domain's rollup.
    pub hints: &'a FxHashMap<String, DomainHints>,
    pub rollup: &'a Rollup,
    pub classifier: &'a Classifier,
    /// The accounting inputs, read once more for the estimate when `estimated` is `None`;
    /// `None`: no estimate.
    pub inputs: Option<(&'a [Input], &'a ScanOptions)>,
    /// The estimate, when the scan already made it (an unfiltered scan feeding a
    /// [`stream::Stream`]): no second pass then.
    pub estimated: Option<&'a Estimated>,
    /// Keep each row's per-minute series (for a chart).
    pub series: bool,
    pub config: Option<&'a Config>,
    /// A `PowerMTA` log written with `log-connections yes`.
    pub pmta_log: Option<&'a Path>,
    /// Report only the destinations and pools the aggregates hold (set when they were filtered:
    /// connections seen elsewhere would not belong to the report).
    pub only_aggregated: bool,
}

impl<'a> ConnectionsInput<'a> {
    /// A context over a finished scan, with the estimate read from `inputs`.
    pub fn new(
        scan: &'a ScanResult,
        rollup: &'a Rollup,
        classifier: &'a Classifier,
        inputs: &'a [Input],
        opts: &'a ScanOptions,
    ) -> ConnectionsInput<'a> {
        ConnectionsInput {
            aggregates: &scan.aggregates,
            hints: &scan.hints,
            rollup,
            classifier,
            inputs: Some((inputs, opts)),
            estimated: None,
            series: false,
            config: None,
            pmta_log: None,
            only_aggregated: false,
        }
    }
}

/// How the observed connections were counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Paired from a `log-connections` log: exact.
    Log,
    /// Rebuilt from the accounting rows: an estimate (docs/connections.md gives its error).
    Estimate,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Log => "log",
            Method::Estimate => "estimate",
        }
    }
}

/// The connections of one sending IP within a [`BudgetRow`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceIpUsage {
    pub source_ip: String,
    pub vmta: String,
    /// The VMTA's `max-smtp-out` for the destination (its share of the budget).
    pub max_smtp_out: u32,
    pub stats: Stats,
}

/// One destination and pool: budget and observed connections.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetRow {
    /// The rolled-up destination (`outlook.com`).
    pub domain: String,
    pub pool: String,
    pub pool_size: u32,
    /// Per VMTA (the largest where they differ).
    pub max_smtp_out: u32,
    pub budget: u32,
    pub method: Method,
    /// Where the budget's numbers came from.
    pub source: String,
    /// Peak, p95 and time over budget of the observed connections.
    pub observed: Stats,
    /// The estimate as well, when a log gave the observed numbers (to compare the two).
    pub estimate: Option<Stats>,
    /// The `PowerMTA` queues (domain or rollup names) the destination's connections belonged to.
    pub queues: Vec<String>,
    /// When those are several queues: the connections they may open together (each queue has
    /// its own `max-smtp-out`), which is what `PowerMTA` enforces instead of the budget.
    pub ceiling: Option<u32>,
    /// What the operator should know about this row (not rolled up, log and rows disagree ...).
    pub note: Option<String>,
    /// SMTP rows (`d`, `t`, `b`, `tq`) in the aggregates: how much mail this row stands for.
    pub smtp_rows: u64,
    /// Open connections over time (with its per-minute series when the context asked for it).
    pub timeline: Timeline,
    /// Per sending IP, busiest first.
    pub by_source_ip: Vec<SourceIpUsage>,
}

/// The result: one row per destination and pool that matters, most mail first.
#[derive(Clone, Debug, PartialEq)]
pub struct Connections {
    /// The destinations and pools the config names, Microsoft's, rollups, the busiest
    /// ([`BUSIEST`]) and every one above its budget.
    pub rows: Vec<BudgetRow>,
    /// The rest, summed up: a large sender's tail of small destinations.
    pub others: Others,
    pub method: Method,
    /// What reading `--pmta-log` found, when one was given and read.
    pub log: Option<LogReport>,
    /// Why `--pmta-log` could not be read.
    pub log_error: Option<String>,
    /// The estimate's assumptions (reported with every estimate).
    pub params: Params,
    /// The time the observations cover, Unix seconds.
    pub range: Option<(i64, i64)>,
    /// The bucket width [`Connections::series`] uses.
    pub bucket_secs: i64,
}

impl Connections {
    /// Open connections of `row` per bucket over [`Connections::range`], for a chart (the
    /// budget line is `row.budget`).
    pub fn series(&self, row: &BudgetRow) -> Vec<Point> {
        match self.range {
            Some((from, to)) => row.timeline.series(from, to, self.bucket_secs),
            None => Vec::new(),
        }
    }
}

/// How many of the busiest destinations and pools (by SMTP rows) are always reported.
pub const BUSIEST: usize = 50;

/// The destinations and pools [`Connections::rows`] leaves out: none is above its budget.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Others {
    pub destinations: u64,
    pub smtp_rows: u64,
    /// The most connections any of them had open at once.
    pub peak: u32,
}

/// Budget and observed connections per destination and pool.
pub fn analyze(ctx: &ConnectionsInput<'_>, settings: &Settings) -> Connections {
    let agg = ctx.aggregates;
    let vmta_pools = agg.vmta_pools();
    let resolve = |d: &str| -> String {
        let d = d.trim_end_matches('.').to_lowercase();
        match agg.destination_of(&d) {
            Some(dest) => dest.to_string(),
            None => ctx.rollup.resolve(&d, ctx.hints.get(&d)),
        }
    };
    let aggregated = aggregated_groups(agg, ctx.config);
    let ip_vmta = ip_vmta(agg);
    let log = ctx
        .pmta_log
        .map(|path| log::read(path).map_err(|e| format!("{}: {e}", path.display())));
    let read;
    let rows = match ctx.estimated {
        Some(r) => Some(r),
        None if needs_rows(ctx.config, log.as_ref()) => {
            read = ctx.inputs.map(|(inputs, opts)| {
                stream::collect(
                    inputs,
                    opts,
                    ctx.classifier,
                    ctx.rollup,
                    ctx.config,
                    settings,
                    ctx.series,
                )
            });
            read.as_ref()
        }
        None => None,
    };
    let estimated = rows.map(|e| groups_of(&e.groups)).unwrap_or_default();
    let (logged, log_report, log_error) = match log {
        Some(Ok((conns, rep))) => {
            let place = Placer {
                config: ctx.config,
                rows,
                ip_vmta: &ip_vmta,
            };
            let groups = logged_groups(&conns, &place, &vmta_pools, &resolve, ctx.series);
            (groups, Some(rep), None)
        }
        Some(Err(e)) => (Vec::new(), None, Some(e)),
        None => (Vec::new(), None, None),
    };
    let logged = groups_of(&logged);
    let method = if log_report.as_ref().is_some_and(|r| r.connections > 0) {
        Method::Log
    } else {
        Method::Estimate
    };
    let observed = match method {
        Method::Log => &logged,
        Method::Estimate => &estimated,
    };
    // Filtered aggregates: connections seen elsewhere would not belong to the report.
    let seen_elsewhere = if ctx.only_aggregated {
        Groups::default()
    } else {
        Groups(observed.0.iter().map(|(k, _)| (*k, ())).collect())
    };
    let keys = merged_keys(aggregated.keys(), seen_elsewhere.keys());
    let parts = Parts {
        aggregated: &aggregated,
        estimated: &estimated,
        observed,
        method,
        series: ctx.series,
        config: ctx.config,
        settings,
        budgets: RefCell::default(),
    };
    let (mut out, others) = select_rows(&parts, keys);
    out.sort_by(|a, b| {
        b.smtp_rows
            .cmp(&a.smtp_rows)
            .then_with(|| b.observed.peak.cmp(&a.observed.peak))
            .then_with(|| a.domain.cmp(&b.domain))
            .then_with(|| a.pool.cmp(&b.pool))
    });
    let range = match method {
        Method::Log => log_report.as_ref().and_then(|r| r.first.zip(r.last)),
        Method::Estimate => agg.first.zip(agg.last),
    };
    let bucket_secs = match settings.bucket_secs {
        n if n > 0 => n,
        _ => auto_bucket(range),
    };
    Connections {
        rows: out,
        others,
        method,
        log: log_report,
        log_error,
        params: settings.estimate,
        range,
        bucket_secs,
    }
}

/// Whether the rows must be read again: for the estimate, or to place log connections that
/// name neither their queue nor a well-known MX host.
fn needs_rows(
    config: Option<&Config>,
    log: Option<&Result<(Vec<LogConnection>, LogReport), String>>,
) -> bool {
    let Some(Ok((conns, _))) = log else {
        return true;
    };
    conns.is_empty()
        || conns.iter().any(|c| {
            c.queue.is_none()
                && !rollup::is_microsoft_consumer_mx(c.mx_host.as_bytes())
                && config
                    .and_then(|cfg| cfg.rollup_for_mx_host(&c.mx_host))
                    .is_none()
        })
}

/// Buckets of a minute for up to 6 hours, 5 minutes up to 2 days, an hour beyond.
fn auto_bucket(range: Option<(i64, i64)>) -> i64 {
    match range.map(|(a, b)| b - a) {
        Some(span) if span > 2 * DAY => 3600,
        Some(span) if span > 6 * 3600 => 300,
        _ => 60,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::groups::{Rows, busiest};
    use super::*;

    #[test]
    fn merged_keys_are_sorted_and_each_once() {
        let a = [("a", "p"), ("c", "p"), ("d", "q")];
        let b = [("b", "p"), ("c", "p"), ("e", "p")];
        let got: Vec<_> = merged_keys(a.into_iter(), b.into_iter()).collect();
        assert_eq!(
            got,
            [("a", "p"), ("b", "p"), ("c", "p"), ("d", "q"), ("e", "p")]
        );
        assert_eq!(merged_keys(a.into_iter(), std::iter::empty()).count(), 3);
        assert_eq!(merged_keys(std::iter::empty(), b.into_iter()).count(), 3);
    }

    #[test]
    fn the_busiest_are_the_most_rows_then_the_first_names() {
        let names: Vec<String> = (0..200).map(|i| format!("d{i:03}.example")).collect();
        // Rows: 200 - i for the first 40, then 10 for everyone else (a tie across the cut).
        let groups = Groups::of(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let rows = if i < 40 { 200 - i as u64 } else { 10 };
                    (
                        (n.as_str(), "pool"),
                        Rows {
                            vmtas: Arc::default(),
                            smtp_rows: rows,
                        },
                    )
                })
                .rev()
                .collect(),
        );
        let top = busiest(&groups);
        assert_eq!(top.len(), BUSIEST);
        let want: BTreeSet<(&str, &str)> = names[..BUSIEST]
            .iter()
            .map(|n| (n.as_str(), "pool"))
            .collect();
        assert_eq!(
            top, want,
            "the 40 largest, then the 10 first names of the tie"
        );
    }
}
