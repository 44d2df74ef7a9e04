//! `check-config`: the config read against the reference article and the `PowerMTA` manual.
//! Each finding names its file and line, says why it matters (the article's reasoning) and
//! gives the likely fix. The checks:
//!
//! - directives `PowerMTA` does not know (a misspelling such as the article's `max-conn-rate`,
//!   or the article's own shorthand such as `mx-rollup`) and values it cannot read
//!   (`max-smtp-out tuning 5`, a rate with a fraction);
//! - Microsoft's consumer domains not rolled up into one queue;
//! - no `smtp-pattern-list` for Microsoft, RP-001 retried sooner than 4 h, RP-002 without a
//!   longer retry or fewer connections, patterns that miss the form real replies take;
//! - `max-smtp-out`, `max-connect-rate`, `max-msg-rate` and `retry-after` against the article's
//!   volume tier, and pool size x `max-smtp-out` against what the tier allows;
//! - no DKIM signing for the Microsoft domains.
//!
//! Works on the parsed model only; the daily volume comes from the caller.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Config, DEFAULT_RETRY_AFTER_SECS, Directive, Loc, Source};
use crate::model::Severity;

pub use crate::volume::{TIERS, Tier, tier_of};

mod directives;
mod microsoft;
#[cfg(test)]
mod tests;
mod tiers;

use directives::directives;
use microsoft::{dkim, microsoft_queues, patterns, rollup};
use tiers::{microsoft_pools, queues_text, tiers};

/// The article's RP-001 wait before a retry.
pub const RP001_MIN_RETRY_SECS: u64 = 4 * 3600;
/// The article's RP-002 retry ("increase retry-after to 30m").
pub const RP002_MIN_RETRY_SECS: u64 = 30 * 60;

/// Microsoft's replies in both forms: the article's and the one real logs show.
const RP001_REPLIES: [&str; 2] = [
    "421 4.7.0 RP-001 (COL004-MC5F12) Unfortunately, some messages from 192.0.2.10 weren't sent.",
    "421 RP-001 (SNT0-MC2-F19) Unfortunately, some messages from 192.0.2.10 weren't sent. \
     Please try again. We have limits for how many messages can be sent per hour and per day.",
];
const RP002_REPLIES: [&str; 2] = [
    "421 4.7.0 RP-002 (BAY004-MC1F37) Unfortunately, some messages from 192.0.2.10 weren't sent.",
    "421 RP-002 (BAY004-MC1F37) Unfortunately, some messages from 192.0.2.10 weren't sent.",
];
/// The MX host Microsoft's consumer domains resolve to (for `<mx-rollup-list>` patterns).
const MICROSOFT_MX: [&str; 2] = [
    "outlook-com.olc.protection.outlook.com",
    "eur.olc.protection.outlook.com",
];

/// One problem, where it is, why it matters and what to write instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub severity: Severity,
    /// A stable identifier (`unknown-directive`, `rp001-retry`, `tier-max-smtp-out` ...).
    pub code: &'static str,
    /// The line it is about (`None`: something missing from the whole config).
    pub loc: Option<Loc>,
    /// More lines with the same problem and the same fix.
    pub also: Vec<Loc>,
    pub title: String,
    /// Why it matters, after the article.
    pub reasoning: String,
    pub fix: String,
}

/// The daily volume to Outlook the tier checks use, and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Volume {
    pub daily: u64,
    pub source: String,
}

/// Everything `check-config` found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Most severe first, then in file order.
    pub findings: Vec<Problem>,
    pub volume: Option<Volume>,
    pub tier: Option<Tier>,
    /// The `PowerMTA` queues Microsoft's consumer domains land in (one when rolled up).
    pub microsoft_queues: Vec<String>,
    /// The pools whose budget was checked against the tier.
    pub microsoft_pools: Vec<String>,
}

impl Report {
    /// Whether anything above `info` was found (exit code 1).
    pub fn has_problems(&self) -> bool {
        self.findings.iter().any(|f| f.severity < Severity::Info)
    }
}

/// Runs every check. `pools` are the pools known to carry Microsoft mail (from the accounting
/// files); the article's `virtual-mta-pool` in the domain block is used as well.
pub fn check(config: &Config, volume: Option<Volume>, pools: &[String]) -> Report {
    let mut out = Problems::default();
    directives(config, &mut out);
    let queues = microsoft_queues(config);
    rollup(config, &queues, &mut out);
    patterns(config, &queues, &mut out);
    dkim(config, &queues, &mut out);
    let tier = volume.as_ref().map(|v| *tier_of(v.daily));
    let mut checked_pools = Vec::new();
    if let Some(t) = &tier {
        checked_pools = microsoft_pools(config, pools);
        tiers(config, &queues, t, &checked_pools, &mut out);
    } else {
        out.push(Problem {
            severity: Severity::Info,
            code: "tier-skipped",
            loc: None,
            also: Vec::new(),
            title: "volume tier not checked: no daily volume to Outlook".into(),
            reasoning: "The article's max-smtp-out, max-connect-rate, max-msg-rate and \
                        retry-after depend on the daily volume to Outlook."
                .into(),
            fix: "Pass the accounting files (`pmta-lens check-config acct-*.csv`) or \
                  `--daily-volume N`."
                .into(),
        });
    }
    let mut findings = out.finish();
    findings.sort_by(|a, b| {
        a.severity.cmp(&b.severity).then_with(|| {
            let key = |f: &Problem| f.loc.as_ref().map(|l| (l.file.clone(), l.line));
            key(a).cmp(&key(b))
        })
    });
    Report {
        findings,
        volume,
        tier,
        microsoft_queues: queues.iter().map(|q| q.name.clone()).collect(),
        microsoft_pools: checked_pools,
    }
}

/// Collects findings, merging those that differ only in their line, and per-queue findings
/// (whose title holds `{queues}`) that differ only in their queue.
#[derive(Default)]
struct Problems {
    list: Vec<Problem>,
    /// (code, title, fix) -> index in `list`
    index: BTreeMap<(&'static str, String, String), usize>,
    /// index in `list` -> the queues of a per-queue finding
    queues: BTreeMap<usize, Vec<String>>,
}

impl Problems {
    fn push(&mut self, f: Problem) {
        let key = (f.code, f.title.clone(), f.fix.clone());
        if let Some(&i) = self.index.get(&key) {
            if let Some(l) = f.loc
                && self.list[i].loc.as_ref() != Some(&l)
                && !self.list[i].also.contains(&l)
            {
                self.list[i].also.push(l);
            }
        } else {
            self.index.insert(key, self.list.len());
            self.list.push(f);
        }
    }

    /// A finding about one Microsoft queue; the same finding at the same line for other queues
    /// becomes one finding naming them all.
    fn push_for(&mut self, queue: &str, f: Problem) {
        let key = (f.code, format!("{}@{:?}", f.title, f.loc), f.fix.clone());
        let i = if let Some(&i) = self.index.get(&key) {
            i
        } else {
            self.index.insert(key, self.list.len());
            self.list.push(f);
            self.list.len() - 1
        };
        self.queues.entry(i).or_default().push(queue.to_owned());
    }

    fn finish(mut self) -> Vec<Problem> {
        for (i, queues) in self.queues {
            let f = &mut self.list[i];
            f.title = f.title.replace("{queues}", &queues_text(&queues));
        }
        self.list
    }
}
