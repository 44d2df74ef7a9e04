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

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::fmt::Write as _;
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
use crate::config::{Config, DEFAULT_MAX_SMTP_OUT};
use crate::duration::DAY;
use crate::model::{NONE_KEY, RecordKind, UNATTRIBUTED_KEY};
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

/// The rows worth reporting (see [`Connections::rows`]), and the rest summed up.
fn select_rows<'a>(
    parts: &Parts<'a>,
    keys: impl Iterator<Item = (&'a str, &'a str)>,
) -> (Vec<BudgetRow>, Others) {
    let top = busiest(parts.aggregated);
    let mut others = Others::default();
    let mut out: Vec<BudgetRow> = Vec::new();
    for key in keys {
        let b = parts.budget(&key);
        let peak = parts.observed.get(&key).map_or(0, |g| g.timeline.peak());
        let kept = top.contains(&key)
            || peak > b.budget.budget
            || key.0 == rollup::MICROSOFT
            || key.0.ends_with(".rollup")
            || b.queues.len() > 1
            || b.configured;
        if kept {
            out.push(parts.row(key, b));
        } else {
            others.destinations += 1;
            others.smtp_rows += parts.aggregated.get(&key).map_or(0, |g| g.smtp_rows);
            others.peak = others.peak.max(peak);
        }
    }
    (out, others)
}

/// The [`BUSIEST`] groups by SMTP rows (ties by name), kept as they are found: a large sender
/// has a hundred thousand groups to choose from.
fn busiest<'a>(groups: &Groups<'a, Rows>) -> BTreeSet<(&'a str, &'a str)> {
    // The worst of the kept on top: most rows first, then name, is the order wanted.
    let mut kept: BinaryHeap<(Reverse<u64>, (&'a str, &'a str))> = BinaryHeap::new();
    for (k, g) in groups.iter() {
        kept.push((Reverse(g.smtp_rows), *k));
        if kept.len() > BUSIEST {
            kept.pop();
        }
    }
    kept.into_iter().map(|(_, k)| k).collect()
}

/// What the aggregates say of one (destination, pool).
struct Rows {
    /// Its VMTAs: the pool's (shared by every destination of the pool).
    vmtas: Arc<BTreeSet<String>>,
    smtp_rows: u64,
}

/// Groups keyed by (destination, pool), in key order: a sorted list, not a tree (a large
/// sender's hundred thousand destinations cost a third as much). Each is the aggregates' rows
/// ([`Rows`]) or connections counted (`&stream::Group`, estimated or logged), borrowed.
struct Groups<'a, V>(Vec<((&'a str, &'a str), V)>);

impl<V> Default for Groups<'_, V> {
    fn default() -> Self {
        Groups(Vec::new())
    }
}

impl<'a, V> Groups<'a, V> {
    /// From entries in any order, one per key.
    fn of(mut v: Vec<((&'a str, &'a str), V)>) -> Groups<'a, V> {
        v.sort_by(|a, b| a.0.cmp(&b.0));
        Groups(v)
    }

    fn get(&self, key: &(&str, &str)) -> Option<&V> {
        self.0
            .binary_search_by(|(k, _)| k.cmp(key))
            .ok()
            .map(|i| &self.0[i].1)
    }

    fn keys(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.0.iter().map(|(k, _)| *k)
    }

    fn iter(&self) -> impl Iterator<Item = (&(&'a str, &'a str), &V)> {
        self.0.iter().map(|(k, g)| (k, g))
    }
}

/// Two sorted key lists as one, each key once.
fn merged_keys<'a>(
    a: impl Iterator<Item = (&'a str, &'a str)>,
    b: impl Iterator<Item = (&'a str, &'a str)>,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(x), Some(y)) if x < y => a.next(),
        (Some(x), Some(y)) if x > y => b.next(),
        (Some(_), Some(_)) => {
            b.next();
            a.next()
        }
        (Some(_), None) => a.next(),
        (None, _) => b.next(),
    })
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

/// Which VMTA sends from which IP, as the rows say (to place log lines): (IP, VMTA) -> rows.
fn ip_vmta(agg: &Aggregates) -> FxHashMap<(String, String), u64> {
    let mut out: FxHashMap<(String, String), u64> = FxHashMap::default();
    for s in agg.senders() {
        if &*s.source_ip != NONE_KEY && &*s.vmta != UNATTRIBUTED_KEY {
            *out.entry((s.source_ip.to_string(), s.vmta.to_string()))
                .or_default() += s.counts.total();
        }
    }
    out
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

/// Destinations and pools with SMTP rows in the aggregates, with their VMTAs (the pool's
/// VMTAs with SMTP rows to any destination: `PowerMTA` may use each of them for every
/// destination the pool serves) and row counts.
fn aggregated_groups<'a>(agg: &'a Aggregates, config: Option<&Config>) -> Groups<'a, Rows> {
    // The VMTAs of each pool as the budget names pools: the row's, else the config's.
    let mut members: BTreeMap<String, Arc<BTreeSet<String>>> = BTreeMap::new();
    for s in agg.senders() {
        let vmta: &str = &s.vmta;
        let n = &s.counts;
        let smtp = n.get(RecordKind::Delivered)
            + n.get(RecordKind::Transient)
            + n.get(RecordKind::Bounced)
            + n.get(RecordKind::TransientQueue);
        if vmta == NONE_KEY || vmta == UNATTRIBUTED_KEY || smtp == 0 {
            continue;
        }
        Arc::make_mut(members.entry(pool_of(&s.pool, vmta, config)).or_default())
            .insert(vmta.to_owned());
    }
    // One entry per (destination, pool), already in key order.
    Groups(
        agg.smtp_groups()
            .map(|((dest, pool), n)| {
                let g = Rows {
                    vmtas: members.get(&**pool).cloned().unwrap_or_default(),
                    smtp_rows: n,
                };
                ((&**dest, &**pool), g)
            })
            .collect(),
    )
}

/// Connections counted per destination and pool (estimated or logged), by their key.
fn groups_of(list: &[stream::Group]) -> Groups<'_, &stream::Group> {
    Groups::of(list.iter().map(|g| ((&*g.domain, &*g.pool), g)).collect())
}

/// The log's connections, placed on a destination, pool, IP and VMTA.
fn logged_groups(
    conns: &[LogConnection],
    place: &Placer<'_>,
    vmta_pools: &BTreeMap<&str, &str>,
    resolve: &dyn Fn(&str) -> String,
    series: bool,
) -> Vec<stream::Group> {
    // (destination, pool) -> (source IP, VMTA) -> spans.
    type Key = (String, String);
    let mut spans: BTreeMap<Key, BTreeMap<Key, Vec<Span>>> = BTreeMap::new();
    let mut groups: BTreeMap<Key, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for c in conns {
        let (ip, vmta) = place.source(c);
        let row_pool = vmta_pools.get(vmta.as_str()).copied().unwrap_or(NONE_KEY);
        let pool = pool_of(row_pool, &vmta, place.config);
        let dest = match &c.queue {
            Some(q) => resolve(q),
            None => place.destination(&c.mx_host, resolve),
        };
        let (vmtas, queues) = groups.entry((dest.clone(), pool.clone())).or_default();
        if vmta != NONE_KEY {
            vmtas.insert(vmta.clone());
        }
        if let Some(q) = &c.queue {
            queues.insert(q.clone());
        }
        spans
            .entry((dest, pool))
            .or_default()
            .entry((ip, vmta))
            .or_default()
            .push(Span {
                open: c.open_ms,
                close: c.close_ms,
            });
    }
    spans
        .into_iter()
        .map(|(key, per_ip)| {
            let (vmtas, queues) = groups.remove(&key).unwrap_or_default();
            let all: Vec<Span> = per_ip.values().flatten().copied().collect();
            let queues = queues.into_iter().map(String::into_boxed_str).collect();
            stream::Group {
                other_queues: stream::Group::queues_field(&key.0, queues),
                domain: key.0.into_boxed_str(),
                pool: Arc::from(key.1),
                vmtas: Arc::new(vmtas),
                timeline: Live::of(&all, series).finish(),
                by_source_ip: per_ip
                    .into_iter()
                    .map(|(k, s)| (k, Live::of(&s, false).finish()))
                    .collect(),
            }
        })
        .collect()
}

/// The groups a row is built from.
struct Parts<'a> {
    aggregated: &'a Groups<'a, Rows>,
    estimated: &'a Groups<'a, &'a stream::Group>,
    observed: &'a Groups<'a, &'a stream::Group>,
    method: Method,
    /// Keep the per-minute series of each row.
    series: bool,
    config: Option<&'a Config>,
    settings: &'a Settings,
    /// Budgets by (the config blocks that match the queue, pool, VMTAs): a large sender's
    /// thousands of destinations share a handful.
    budgets: RefCell<FxHashMap<BudgetKey, Budget>>,
}

/// What decides a budget: the config blocks matching the destination's queue and how well,
/// the pool, and the VMTAs seen (the pool's, shared).
type BudgetKey = (Vec<(usize, (u8, usize, u8, u8))>, String, usize);

/// A row's budget, with what it was derived from.
struct RowBudget {
    budget: Budget,
    queues: Vec<String>,
    seen: Arc<BTreeSet<String>>,
    /// A config block other than the catch-all `*` sets the queue's settings.
    configured: bool,
}

impl Parts<'_> {
    fn budget(&self, key: &(&str, &str)) -> RowBudget {
        let from_rows = self.aggregated.get(key);
        let seen_obs = self.observed.get(key);
        let rows_vmtas = from_rows.map(|g| &g.vmtas);
        let seen = match (rows_vmtas, seen_obs.map(|g| &g.vmtas)) {
            (Some(r), Some(o)) if !o.is_subset(r) => Arc::new(r.union(o).cloned().collect()),
            (Some(r), _) => Arc::clone(r),
            (None, Some(o)) => Arc::clone(o),
            (None, None) => Arc::default(),
        };
        let mut queues: BTreeSet<String> = self
            .estimated
            .get(key)
            .map(|g| g.queues().into_iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        if let Some(g) = seen_obs {
            queues.extend(g.queues().into_iter().map(ToString::to_string));
        }
        let queues: Vec<String> = queues.into_iter().collect();
        // The settings that apply are those of the queue PowerMTA used (`microsoft.rollup`
        // when an <mx-rollup-list> names it), else of the destination.
        let config = self.config;
        let config_queue = match queues.as_slice() {
            [one] => one.clone(),
            _ => config
                .and_then(|c| c.rollup_for_domain(key.0))
                .unwrap_or_else(|| key.0.to_owned()),
        };
        let compute =
            || budget::budget(&config_queue, key.1, &seen, config, self.settings.overrides);
        let (budget, configured) = match config {
            Some(c) => {
                let signature = c.match_signature(&config_queue);
                let configured = signature.iter().any(|(i, _)| c.domains[*i].pattern != "*");
                let cache_key = (signature, key.1.to_owned(), Arc::as_ptr(&seen) as usize);
                let mut cache = self.budgets.borrow_mut();
                let b = if let Some(b) = cache.get(&cache_key) {
                    b.clone()
                } else {
                    let b = compute();
                    cache.insert(cache_key, b.clone());
                    b
                };
                (b, configured)
            }
            None => (compute(), false),
        };
        RowBudget {
            budget,
            queues,
            seen,
            configured,
        }
    }

    fn row(&self, key: (&str, &str), rb: RowBudget) -> BudgetRow {
        let (config, s) = (self.config, self.settings);
        let seen_obs = self.observed.get(&key);
        let RowBudget {
            budget: b,
            queues,
            seen,
            ..
        } = rb;
        let timeline =
            seen_obs.map_or_else(|| Timeline::empty(self.series), |g| g.timeline.clone());
        let observed = timeline.stats(Some(b.budget));
        let estimate = (self.method == Method::Log)
            .then(|| self.estimated.get(&key))
            .flatten()
            .map(|g| g.timeline.stats(Some(b.budget)));
        let mut by_source_ip: Vec<SourceIpUsage> = seen_obs
            .map_or(&[][..], |g| &g.by_source_ip)
            .iter()
            .map(|((ip, vmta), ip_live)| {
                let cap = b
                    .per_vmta
                    .iter()
                    .find(|(v, _)| v == vmta)
                    .map_or(b.max_smtp_out, |(_, n)| *n);
                SourceIpUsage {
                    source_ip: ip.clone(),
                    vmta: vmta.clone(),
                    max_smtp_out: cap,
                    stats: ip_live.stats(Some(cap)),
                }
            })
            .collect();
        by_source_ip.sort_by(|a, b| {
            b.stats
                .peak
                .cmp(&a.stats.peak)
                .then_with(|| a.source_ip.cmp(&b.source_ip))
        });
        let members: Vec<String> = if b.per_vmta.is_empty() {
            seen.iter().cloned().collect()
        } else {
            b.per_vmta.iter().map(|(v, _)| v.clone()).collect()
        };
        let ceiling =
            (queues.len() > 1).then(|| ceiling(&queues, &members, config, s, b.pool_size));
        let note = ceiling.map(|c| {
            format!(
                "{} PowerMTA queues ({}): each has its own max-smtp-out, so together they \
                 may open {c} connections, not {}; roll them up into one queue",
                queues.len(),
                short_list(&queues, 4),
                b.budget
            )
        });
        let (domain, pool) = key;
        BudgetRow {
            domain: domain.to_owned(),
            pool: pool.to_owned(),
            pool_size: b.pool_size,
            max_smtp_out: b.max_smtp_out,
            budget: b.budget,
            method: self.method,
            source: b.source,
            observed,
            estimate,
            queues,
            ceiling,
            note,
            smtp_rows: self.aggregated.get(&key).map_or(0, |g| g.smtp_rows),
            timeline,
            by_source_ip,
        }
    }
}

/// The pool of a row: its `vmtaPool`, else the config's pool of its VMTA, else `(none)`.
fn pool_of(row_pool: &str, vmta: &str, config: Option<&Config>) -> String {
    if !row_pool.is_empty() && row_pool != NONE_KEY {
        return row_pool.to_owned();
    }
    config
        .and_then(|c| c.pools_of(vmta).first().map(|p| p.name.clone()))
        .unwrap_or_else(|| NONE_KEY.to_owned())
}

/// `max-smtp-out` and `connection-idle-timeout` (ms) of one queue on one VMTA.
fn queue_limits(config: Option<&Config>, queue: &str, vmta: &str, s: &Settings) -> (u32, i64) {
    let cap = s.overrides.max_smtp_out.unwrap_or_else(|| {
        config.map_or(DEFAULT_MAX_SMTP_OUT, |c| {
            c.max_smtp_out(queue, Some(vmta)).0
        })
    });
    let idle = config.map_or(0, |c| {
        c.effective_duration(queue, Some(vmta), "connection-idle-timeout", 0)
            .0
    });
    (cap, i64::try_from(idle.min(600)).unwrap_or(0) * 1000)
}

/// What several queues of one destination may open together.
fn ceiling(
    queues: &[String],
    members: &[String],
    config: Option<&Config>,
    s: &Settings,
    pool_size: u32,
) -> u32 {
    let mut total = 0u32;
    for q in queues {
        if s.overrides.pool_size.is_some() || members.is_empty() {
            let (cap, _) = queue_limits(config, q, "", s);
            total = total.saturating_add(cap.saturating_mul(pool_size));
            continue;
        }
        for v in members {
            total = total.saturating_add(queue_limits(config, q, v, s).0);
        }
    }
    total
}

fn short_list(items: &[String], n: usize) -> String {
    let mut s = items.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > n {
        let _ = write!(s, ", and {} more", items.len() - n);
    }
    s
}

/// Buckets of a minute for up to 6 hours, 5 minutes up to 2 days, an hour beyond.
fn auto_bucket(range: Option<(i64, i64)>) -> i64 {
    match range.map(|(a, b)| b - a) {
        Some(span) if span > 2 * DAY => 3600,
        Some(span) if span > 6 * 3600 => 300,
        _ => 60,
    }
}

/// Places a log connection: our IP and VMTA, and its destination.
struct Placer<'a> {
    config: Option<&'a Config>,
    rows: Option<&'a Estimated>,
    /// (source IP, VMTA) -> rows, from the aggregates.
    ip_vmta: &'a FxHashMap<(String, String), u64>,
}

impl Placer<'_> {
    /// (source IP, VMTA), each `(none)` when neither the line, the config nor the rows say.
    fn source(&self, c: &LogConnection) -> (String, String) {
        let by_rows_ip = |ip: &str| {
            self.ip_vmta
                .iter()
                .filter(|((i, _), _)| i == ip)
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                .map(|((_, v), _)| v.clone())
        };
        let by_rows_vmta = |vmta: &str| {
            self.ip_vmta
                .iter()
                .filter(|((_, v), _)| v.eq_ignore_ascii_case(vmta))
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                .map(|((i, _), _)| i.clone())
        };
        let vmta = c
            .vmta
            .clone()
            .or_else(|| {
                let ip = c.source_ip.as_deref()?;
                self.config
                    .and_then(|cfg| cfg.vmta_for_ip(ip).map(str::to_owned))
                    .or_else(|| by_rows_ip(ip))
            })
            .unwrap_or_else(|| NONE_KEY.to_owned());
        let ip = c
            .source_ip
            .clone()
            .or_else(|| {
                self.config
                    .and_then(|cfg| cfg.vmta_ips(&vmta).first().map(|s| (*s).to_owned()))
                    .or_else(|| by_rows_vmta(&vmta))
            })
            .unwrap_or_else(|| NONE_KEY.to_owned());
        (ip, vmta)
    }

    /// The destination of a connection known only by its MX host: the recipient domains the
    /// rows delivered through that host, the config's `<mx-rollup-list>`, Microsoft's consumer
    /// MX, else the host itself.
    fn destination(&self, host: &str, resolve: &dyn Fn(&str) -> String) -> String {
        if let Some(rows) = self.rows {
            let best = rows
                .mx_hosts
                .iter()
                .filter(|((h, _), _)| h == host)
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.1.cmp(&a.0.1)));
            if let Some(((_, rcpt), _)) = best {
                return resolve(rcpt);
            }
        }
        if rollup::is_microsoft_consumer_mx(host.as_bytes()) {
            return rollup::MICROSOFT.to_owned();
        }
        if let Some(r) = self.config.and_then(|c| c.rollup_for_mx_host(host)) {
            return r.to_owned();
        }
        host.to_owned()
    }
}

#[cfg(test)]
mod tests {
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
