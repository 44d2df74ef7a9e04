//! One connections row per (destination, pool): its budget from the config (queues, pool, VMTAs)
//! beside the connections observed, and which rows are worth reporting.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::groups::{Groups, Rows, busiest};
use super::{Budget, BudgetRow, Method, Others, Settings, SourceIpUsage, Timeline, budget, stream};
use crate::config::{Config, DEFAULT_MAX_SMTP_OUT};
use crate::model::NONE_KEY;
use crate::rollup;

/// The rows worth reporting (see [`Connections::rows`]), and the rest summed up.
pub(super) fn select_rows<'a>(
    parts: &Parts<'a>,
    keys: impl Iterator<Item = (&'a str, &'a str)>,
) -> (Vec<BudgetRow>, Others) {
    let top = busiest(parts.aggregated);
    let mut others = Others::default();
    let mut out: Vec<BudgetRow> = Vec::new();
    // The keys come in key order: each group list is walked once.
    let (mut rows, mut observed, mut estimated) = (
        parts.aggregated.seek(),
        parts.observed.seek(),
        parts.estimated.seek(),
    );
    for key in keys {
        let found = Found {
            rows: rows.get(&key),
            observed: observed.get(&key).copied(),
            estimated: estimated.get(&key).copied(),
        };
        let b = parts.budget(&key, &found);
        let peak = found.observed.map_or(0, |g| g.timeline.peak());
        let kept = top.contains(&key)
            || peak > b.budget.budget
            || key.0 == rollup::MICROSOFT
            || key.0.ends_with(".rollup")
            || b.queues.len() > 1
            || b.configured;
        if kept {
            out.push(parts.row(key, b, &found));
        } else {
            others.destinations += 1;
            others.smtp_rows += found.rows.map_or(0, |g| g.smtp_rows);
            others.peak = others.peak.max(peak);
        }
    }
    (out, others)
}

/// One key's groups, each looked up once.
pub(super) struct Found<'p> {
    pub(super) rows: Option<&'p Rows>,
    pub(super) observed: Option<&'p stream::Group>,
    pub(super) estimated: Option<&'p stream::Group>,
}

/// The groups a row is built from.
pub(super) struct Parts<'a> {
    pub(super) aggregated: &'a Groups<'a, Rows>,
    pub(super) estimated: &'a Groups<'a, &'a stream::Group>,
    pub(super) observed: &'a Groups<'a, &'a stream::Group>,
    pub(super) method: Method,
    /// Keep the per-minute series of each row.
    pub(super) series: bool,
    pub(super) config: Option<&'a Config>,
    pub(super) settings: &'a Settings,
    /// Budgets by (the config blocks that match the queue, pool, VMTAs): a large sender's
    /// thousands of destinations share a handful.
    /// Shared, not copied, by the rows that use one: a budget holds a name and a
    /// `max-smtp-out` per VMTA of the pool.
    pub(super) budgets: RefCell<FxHashMap<BudgetKey, Arc<Budget>>>,
}

/// What decides a budget: the config blocks matching the destination's queue and how well,
/// the pool, and the VMTAs seen (the pool's, shared).
pub(super) type BudgetKey = (Vec<(usize, (u8, usize, u8, u8))>, String, usize);

/// A row's budget, with what it was derived from.
pub(super) struct RowBudget {
    pub(super) budget: Arc<Budget>,
    pub(super) queues: Vec<String>,
    pub(super) seen: Arc<BTreeSet<String>>,
    /// A config block other than the catch-all `*` sets the queue's settings.
    pub(super) configured: bool,
}

impl Parts<'_> {
    pub(super) fn budget(&self, key: &(&str, &str), found: &Found<'_>) -> RowBudget {
        let (from_rows, seen_obs) = (found.rows, found.observed);
        let rows_vmtas = from_rows.map(|g| &g.vmtas);
        let seen = match (rows_vmtas, seen_obs.map(|g| &g.vmtas)) {
            (Some(r), Some(o)) if !o.is_subset(r) => Arc::new(r.union(o).cloned().collect()),
            (Some(r), _) => Arc::clone(r),
            (None, Some(o)) => Arc::clone(o),
            (None, None) => Arc::default(),
        };
        let mut queues: BTreeSet<String> = found
            .estimated
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
        let compute = || {
            Arc::new(budget::budget(
                &config_queue,
                key.1,
                &seen,
                config,
                self.settings.overrides,
            ))
        };
        let (budget, configured) = match config {
            Some(c) => {
                let signature = c.match_signature(&config_queue);
                let configured = signature.iter().any(|(i, _)| c.domains[*i].pattern != "*");
                let cache_key = (signature, key.1.to_owned(), Arc::as_ptr(&seen) as usize);
                let mut cache = self.budgets.borrow_mut();
                let b = Arc::clone(cache.entry(cache_key).or_insert_with(compute));
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

    pub(super) fn row(&self, key: (&str, &str), rb: RowBudget, found: &Found<'_>) -> BudgetRow {
        let (config, s) = (self.config, self.settings);
        let seen_obs = found.observed;
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
            .then_some(found.estimated)
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
            source: b.source.clone(),
            observed,
            estimate,
            queues,
            ceiling,
            note,
            smtp_rows: found.rows.map_or(0, |g| g.smtp_rows),
            timeline,
            by_source_ip,
        }
    }
}

/// The pool of a row: its `vmtaPool`, else the config's pool of its VMTA, else `(none)`.
pub(super) fn pool_of(row_pool: &str, vmta: &str, config: Option<&Config>) -> String {
    if !row_pool.is_empty() && row_pool != NONE_KEY {
        return row_pool.to_owned();
    }
    config
        .and_then(|c| c.pools_of(vmta).first().map(|p| p.name.clone()))
        .unwrap_or_else(|| NONE_KEY.to_owned())
}

/// `max-smtp-out` and `connection-idle-timeout` (ms) of one queue on one VMTA.
pub(super) fn queue_limits(
    config: Option<&Config>,
    queue: &str,
    vmta: &str,
    s: &Settings,
) -> (u32, i64) {
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
pub(super) fn ceiling(
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

pub(super) fn short_list(items: &[String], n: usize) -> String {
    let mut s = items.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > n {
        let _ = write!(s, ", and {} more", items.len() - n);
    }
    s
}
