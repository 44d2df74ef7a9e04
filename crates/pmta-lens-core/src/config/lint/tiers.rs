//! Settings against the article's volume tier: `max-smtp-out`, `max-connect-rate`,
//! `max-msg-rate` and `retry-after` per Microsoft queue, and what a pool's size allows.

use super::directives::whole_rate;
use super::microsoft::{Queue, block_loc};
use super::{Config, DEFAULT_RETRY_AFTER_SECS, Loc, Problem, Problems, Source, Tier};
use crate::config::values::{parse_duration, parse_rate};
use crate::duration;
use crate::model::Severity;
use crate::rollup::MICROSOFT;

/// A tier's settings as numbers.
pub(super) struct Limits {
    pub(super) connect_per_sec: f64,
    pub(super) msg_per_hour: f64,
    pub(super) retry_after_secs: u64,
    /// The largest pool the article pairs with the tier (`6-10 IPs`: 10).
    pub(super) max_pool: Option<u32>,
}

impl Limits {
    pub(super) fn of(t: &Tier) -> Limits {
        Limits {
            connect_per_sec: parse_rate(t.max_connect_rate).unwrap_or(f64::INFINITY),
            msg_per_hour: parse_rate(t.max_msg_rate).map_or(f64::INFINITY, |r| r * 3600.0),
            retry_after_secs: parse_duration(t.retry_after).unwrap_or(DEFAULT_RETRY_AFTER_SECS),
            max_pool: t
                .pool
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|n| n.parse().ok())
                .max(),
        }
    }
}

/// Pools that carry Microsoft mail: given (from the accounting files), and the article's
/// `virtual-mta-pool` in the Microsoft domain block.
pub(super) fn microsoft_pools(config: &Config, given: &[String]) -> Vec<String> {
    let mut pools: Vec<String> = given.to_vec();
    if let Some((p, _)) = config.pool_for_domain(MICROSOFT)
        && !pools.iter().any(|x| x.eq_ignore_ascii_case(&p))
    {
        pools.push(p);
    }
    pools
}

/// One setting of the Microsoft queues that is off the tier: the queues that share its line.
pub(super) struct Off {
    pub(super) loc: Option<Loc>,
    pub(super) value: String,
    pub(super) queues: Vec<String>,
}

/// Groups per-queue values by the line they come from, so one line is reported once.
pub(super) fn off_tier(items: Vec<(String, Option<Loc>, String)>) -> Vec<Off> {
    let mut out: Vec<Off> = Vec::new();
    for (queue, loc, value) in items {
        match out.iter_mut().find(|o| o.loc == loc && o.value == value) {
            Some(o) => o.queues.push(queue),
            None => out.push(Off {
                loc,
                value,
                queues: vec![queue],
            }),
        }
    }
    out
}

/// `outlook.com`, or `the 10 Microsoft queues` when there are many.
pub(super) fn queues_text(queues: &[String]) -> String {
    match queues {
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        many => format!("the {} Microsoft queues", many.len()),
    }
}

#[allow(clippy::too_many_lines)] // one paragraph per setting of the tier
pub(super) fn tiers(
    config: &Config,
    queues: &[Queue],
    t: &Tier,
    pools: &[String],
    out: &mut Problems,
) {
    let limits = Limits::of(t);
    let why = |what: &str| {
        format!(
            "The article's tier ({}) sets {what}; Microsoft enforces limits per IP and \
             rewards steady, moderate connection patterns.",
            t.name
        )
    };
    let default = |src: &Source| {
        if *src == Source::Default {
            " (PowerMTA default)"
        } else {
            ""
        }
    };
    let mut smtp = Vec::new();
    let mut connect = Vec::new();
    let mut msg = Vec::new();
    let mut retry = Vec::new();
    for q in queues {
        let name = q.name.as_str();
        let here = |src: &Source| src.loc().cloned().or_else(|| block_loc(config, name));
        let (n, src) = config.max_smtp_out(name, None);
        if n > t.max_smtp_out {
            smtp.push((q.name.clone(), here(&src), format!("{n}{}", default(&src))));
        }
        let misspelt = config
            .effective_setting(name, None, "max-conn-rate")
            .map(|s| format!(" (`max-conn-rate` at {} is not read)", s.loc))
            .unwrap_or_default();
        let (rate, src) = config.effective_rate(name, None, "max-connect-rate");
        if rate > limits.connect_per_sec + 1e-9 {
            connect.push((
                q.name.clone(),
                here(&src),
                format!("{}{misspelt}", rate_text(rate)),
            ));
        }
        let (rate, src) = config.effective_rate(name, None, "max-msg-rate");
        if rate * 3600.0 > limits.msg_per_hour + 1e-6 {
            let text = if rate.is_finite() {
                format!("{:.0}/h", rate * 3600.0)
            } else {
                "unlimited (PowerMTA default)".into()
            };
            msg.push((q.name.clone(), here(&src), text));
        }
        let (secs, src) = config.retry_after(name, None);
        if secs < limits.retry_after_secs {
            retry.push((
                q.name.clone(),
                here(&src),
                format!("{}{}", duration::compact(secs), default(&src)),
            ));
        }
    }
    let mut push = |code, setting: &str, above: bool, tier_value: &str, fix: String, items| {
        for o in off_tier(items) {
            out.push(Problem {
                severity: Severity::Warning,
                code,
                loc: o.loc,
                also: Vec::new(),
                title: format!(
                    "{setting} for {} is {}, {} the tier's {tier_value}",
                    queues_text(&o.queues),
                    o.value,
                    if above { "above" } else { "shorter than" }
                ),
                reasoning: why(&format!("{setting} {tier_value}")),
                fix: fix.clone(),
            });
        }
    };
    push(
        "tier-max-smtp-out",
        "max-smtp-out",
        true,
        &t.max_smtp_out.to_string(),
        format!("`max-smtp-out {}`", t.max_smtp_out),
        smtp,
    );
    push(
        "tier-max-connect-rate",
        "max-connect-rate",
        true,
        t.max_connect_rate,
        format!(
            "`max-connect-rate {}`",
            whole_rate(t.max_connect_rate).unwrap_or_else(|| t.max_connect_rate.into())
        ),
        connect,
    );
    push(
        "tier-max-msg-rate",
        "max-msg-rate",
        true,
        t.max_msg_rate,
        format!("`max-msg-rate {}`", t.max_msg_rate),
        msg,
    );
    push(
        "tier-retry-after",
        "retry-after",
        false,
        t.retry_after,
        format!("`retry-after {}`", t.retry_after),
        retry,
    );
    pool_budget(config, queues, t, &limits, pools, out);
}

/// Pool size x `max-smtp-out` (times the queues, when not rolled up) against the tier.
pub(super) fn pool_budget(
    config: &Config,
    queues: &[Queue],
    t: &Tier,
    limits: &Limits,
    pools: &[String],
    out: &mut Problems,
) {
    for pool in pools {
        let Some(p) = config.pool(pool) else {
            continue;
        };
        let size = u32::try_from(p.members.len()).unwrap_or(u32::MAX);
        let per_queue: u32 = p
            .members
            .iter()
            .map(|v| config.max_smtp_out(&queues[0].name, Some(v)).0)
            .fold(0, u32::saturating_add);
        let mut total: u32 = 0;
        for q in queues {
            total = total.saturating_add(
                p.members
                    .iter()
                    .map(|v| config.max_smtp_out(&q.name, Some(v)).0)
                    .fold(0, u32::saturating_add),
            );
        }
        let allowed_size = limits.max_pool.map_or(size, |m| size.min(m));
        let allowed = allowed_size.saturating_mul(t.max_smtp_out);
        if total <= allowed {
            continue;
        }
        let vmtas = if size == 1 { "VMTA" } else { "VMTAs" };
        let how = if queues.len() > 1 {
            format!(
                "{size} {vmtas} x {} per queue x {} queues (not rolled up) = {total}",
                per_queue / size.max(1),
                queues.len()
            )
        } else {
            format!("{size} {vmtas} x max-smtp-out = {total}")
        };
        out.push(Problem {
            severity: Severity::Warning,
            code: "tier-pool-budget",
            loc: Some(p.loc.clone()),
            also: Vec::new(),
            title: format!(
                "pool {} may open {total} connections to Microsoft; the tier allows {allowed}",
                p.name
            ),
            reasoning: format!(
                "Total connections = pool size x max-smtp-out ({how}); the article's tier ({}) \
                 allows {} per IP{}.",
                t.name,
                t.max_smtp_out,
                limits
                    .max_pool
                    .map(|m| format!(" and pools of up to {m} IPs"))
                    .unwrap_or_default()
            ),
            fix: format!(
                "max-smtp-out {} for the Microsoft queue{}",
                t.max_smtp_out,
                if queues.len() > 1 {
                    ", and one rolled-up queue"
                } else {
                    ""
                }
            ),
        });
    }
}

pub(super) fn rate_text(per_sec: f64) -> String {
    if !per_sec.is_finite() {
        "unlimited (PowerMTA default)".into()
    } else if per_sec >= 1.0 {
        format!("{per_sec:.1}/s")
    } else {
        format!("{:.0}/h", per_sec * 3600.0)
    }
}
