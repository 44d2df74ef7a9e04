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

use super::values::{parse_duration, parse_duration_list, parse_rate};
use super::{Config, DEFAULT_RETRY_AFTER_SECS, Directive, Loc, Source};
use crate::duration;
use crate::model::Severity;
use crate::rollup::{MICROSOFT, MICROSOFT_FAMILY};

pub use crate::analysis::tiers::{TIERS, Tier, tier_of};

/// A tier's settings as numbers.
struct Limits {
    connect_per_sec: f64,
    msg_per_hour: f64,
    retry_after_secs: u64,
    /// The largest pool the article pairs with the tier (`6-10 IPs`: 10).
    max_pool: Option<u32>,
}

impl Limits {
    fn of(t: &Tier) -> Limits {
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

// ---- directives and values ----------------------------------------------------------------

/// Blocks whose lines are patterns or list entries, not directives.
const ENTRY_BLOCKS: [&str; 6] = [
    "smtp-pattern-list",
    "pattern-list",
    "bounce-category-patterns",
    "mx-rollup-list",
    "rewrite-list",
    "email-patterns",
];

fn directives(config: &Config, out: &mut Problems) {
    for d in &config.directives {
        let block = d
            .context
            .last()
            .and_then(|c| c.split_whitespace().next())
            .unwrap_or("");
        if ENTRY_BLOCKS.contains(&block)
            || d.name.starts_with(['/', '"', '\''])
            || d.name.is_empty()
        {
            continue;
        }
        if let Some(f) = special(d, block) {
            out.push(f);
            continue;
        }
        if let Some((right, why)) = misspelling(&d.name) {
            let value = fixed_value(right, &d.value).unwrap_or_else(|| d.value.clone());
            out.push(Problem {
                severity: Severity::Warning,
                code: "unknown-directive",
                loc: Some(d.loc.clone()),
                also: Vec::new(),
                title: format!("`{}` is not a PowerMTA directive", d.name),
                reasoning: format!(
                    "PowerMTA refuses a config with a directive it does not know, or the setting \
                     silently has no effect; {why}."
                ),
                fix: format!("`{right} {value}`"),
            });
            continue;
        }
        if !KNOWN.contains(&d.name.as_str()) {
            out.push(Problem {
                severity: Severity::Info,
                code: "unknown-directive",
                loc: Some(d.loc.clone()),
                also: Vec::new(),
                title: format!("`{}` is not a directive pmta-lens knows", d.name),
                reasoning: "It is not in the PowerMTA manual's directive list; newer versions may \
                            know it."
                    .into(),
                fix: "Check the spelling against the manual of your PowerMTA version.".into(),
            });
            continue;
        }
        if let Some(f) = value_check(d) {
            out.push(f);
        }
    }
}

/// The article's shorthand and other lines that read like directives but are not.
fn special(d: &Directive, block: &str) -> Option<Problem> {
    let f = |code, title: String, reasoning: &str, fix: &str| Problem {
        severity: Severity::Warning,
        code,
        loc: Some(d.loc.clone()),
        also: Vec::new(),
        title,
        reasoning: reasoning.to_owned(),
        fix: fix.to_owned(),
    };
    match (d.name.as_str(), block) {
        ("mx-rollup", _) => Some(f(
            "unknown-directive",
            "`mx-rollup` is the article's shorthand, not a PowerMTA directive".into(),
            "PowerMTA does not know it, so the domains are not rolled up: each keeps its own \
             queue and connections.",
            &format!(
                "`queue-to {}` in the domain block, or one `<mx-rollup-list>` entry for the \
                 MX hosts (`mx *.olc.protection.outlook.com microsoft.rollup`)",
                d.value
            ),
        )),
        ("virtual-mta-pool", "domain") => Some(f(
            "unknown-directive",
            "`virtual-mta-pool` is not a <domain> setting".into(),
            "PowerMTA picks the pool per message (the X-Virtual-MTA header or a <pattern-list> \
             in the <source>), not per destination domain.",
            &format!(
                "`X-Virtual-MTA: {}` on the messages, or `virtual-mta={}` in a <pattern-list>",
                d.value, d.value
            ),
        )),
        ("dkim-sign", _) if d.value.contains('=') => Some(f(
            "invalid-value",
            "`dkim-sign` takes yes or no, not the key".into(),
            "PowerMTA reads the key from a `domain-key` directive; without one no mail is signed, \
             and Microsoft enforces DMARC.",
            &dkim_fix(&d.value),
        )),
        ("type" | "command", "source") => Some(f(
            "unknown-directive",
            format!("`{}` is not a <source> setting", d.name),
            "A <source> block configures inbound connections; pipe delivery is a <domain> with \
             `type pipe` and `command` (for JMRP reports: the domain of the feedback address).",
            "`<domain fbl.yourdomain.com>` with `type pipe` and `command \"...\"`",
        )),
        _ => None,
    }
}

/// The article's `dkim-sign domain="d" key-file="f" selector="s"` as `PowerMTA` writes it.
fn dkim_fix(value: &str) -> String {
    let arg = |name: &str| {
        super::lexer::split_words(value).into_iter().find_map(|w| {
            w.strip_prefix(name)
                .and_then(|r| r.strip_prefix('='))
                .map(|v| v.trim_matches('"').to_owned())
        })
    };
    let domain = arg("domain").unwrap_or_else(|| "yourdomain.com".into());
    let selector = arg("selector").unwrap_or_else(|| "s1".into());
    let key = arg("key-file").unwrap_or_else(|| format!("/etc/pmta/dkim/{domain}.pem"));
    format!("`domain-key {selector},{domain},{key}` (global or in the VMTA) and `dkim-sign yes`")
}

/// Directive names people write for `PowerMTA`'s, with why.
const ALIASES: [(&str, &str, &str); 8] = [
    (
        "max-conn-rate",
        "max-connect-rate",
        "the article writes `max-conn-rate`; PowerMTA's directive is `max-connect-rate`",
    ),
    (
        "max-connection-rate",
        "max-connect-rate",
        "PowerMTA's directive is `max-connect-rate`",
    ),
    (
        "max-message-rate",
        "max-msg-rate",
        "PowerMTA's directive is `max-msg-rate`",
    ),
    (
        "max-messages-per-connection",
        "max-msg-per-connection",
        "PowerMTA's directive is `max-msg-per-connection`",
    ),
    (
        "max-smtp-connections",
        "max-smtp-out",
        "PowerMTA's directive is `max-smtp-out`",
    ),
    (
        "retry",
        "retry-after",
        "PowerMTA's directive is `retry-after`",
    ),
    (
        "idle-timeout",
        "connection-idle-timeout",
        "PowerMTA's directive is `connection-idle-timeout`",
    ),
    ("dkim", "dkim-sign", "PowerMTA's directive is `dkim-sign`"),
];

/// The directive `name` was probably meant to be, with why.
fn misspelling(name: &str) -> Option<(&'static str, String)> {
    if let Some((_, right, why)) = ALIASES.iter().find(|(wrong, _, _)| *wrong == name) {
        return Some((right, (*why).to_owned()));
    }
    if KNOWN.contains(&name) || name.len() < 6 {
        return None;
    }
    // Names whose lengths differ by more than 2 are more than 2 edits apart: skipping them
    // keeps a long word (a pasted key, a stray line of binary) from costing its length times
    // every known name's.
    let (best, distance) = KNOWN
        .iter()
        .filter(|k| k.len().abs_diff(name.len()) <= 2)
        // The same distance as `--where` field names: a swap of neighbours is one edit.
        .map(|k| (*k, strsim::osa_distance(name, k)))
        .min_by_key(|(k, d)| (*d, *k))?;
    (distance <= 2).then(|| (best, format!("`{best}` is the closest PowerMTA directive")))
}

const INTEGERS: [&str; 8] = [
    "max-smtp-out",
    "backoff-max-smtp-out",
    "max-msg-per-connection",
    "max-errors-per-connection",
    "max-rcpt-per-transaction",
    "max-rcpt-per-message",
    "total-max-smtp-out",
    "queue-priority",
];
const DURATIONS: [&str; 10] = [
    "retry-after",
    "backoff-retry-after",
    "bounce-after",
    "connection-idle-timeout",
    "connect-timeout",
    "smtp-greeting-timeout",
    "data-send-timeout",
    "backoff-to-normal-after",
    "smtp-out-rampup-interval",
    "reenable-source-ip-after",
];
const RATES: [&str; 6] = [
    "max-msg-rate",
    "max-connect-rate",
    "backoff-max-msg-rate",
    "backoff-max-connect-rate",
    "max-smtp-msg-rate",
    "max-msg-per-hour",
];

/// The value written correctly, when `value` is close to valid for `name`.
fn fixed_value(name: &str, value: &str) -> Option<String> {
    let v = value.trim();
    if INTEGERS.contains(&name) {
        if v.parse::<u64>().is_ok() || v.eq_ignore_ascii_case("unlimited") {
            return None;
        }
        let numbers: Vec<&str> = v
            .split_whitespace()
            .filter(|w| w.parse::<u64>().is_ok())
            .collect();
        return (numbers.len() == 1).then(|| numbers[0].to_owned());
    }
    if RATES.contains(&name) && name != "max-msg-per-hour" {
        return whole_rate(v);
    }
    None
}

/// `0.5/s` as `PowerMTA`'s syntax writes it (`N/[M]unit` with whole numbers): `1/2s`.
fn whole_rate(v: &str) -> Option<String> {
    let (count, per) = v.split_once('/')?;
    let count: f64 = count.trim().parse().ok()?;
    if count.fract() == 0.0 {
        return None;
    }
    let per = per.trim();
    let digits = per.find(|c: char| !c.is_ascii_digit()).unwrap_or(per.len());
    let m: u64 = per[..digits].parse().unwrap_or(1);
    let unit = &per[digits..];
    let k =
        (2..=1000u64).find(|k| ((count * *k as f64) - (count * *k as f64).round()).abs() < 1e-9)?;
    Some(format!(
        "{}/{}{unit}",
        (count * k as f64).round() as u64,
        m * k
    ))
}

fn value_check(d: &Directive) -> Option<Problem> {
    let name = d.name.as_str();
    let v = d.value.trim();
    let bad = |what: &str, fix: String| Problem {
        severity: Severity::Warning,
        code: "invalid-value",
        loc: Some(d.loc.clone()),
        also: Vec::new(),
        title: format!("`{name} {v}`: PowerMTA cannot read the value"),
        reasoning: format!(
            "{name} takes {what}; PowerMTA refuses the config or ignores the line, and the \
             default applies."
        ),
        fix,
    };
    if INTEGERS.contains(&name) {
        if v.parse::<u64>().is_ok() || v.eq_ignore_ascii_case("unlimited") {
            return None;
        }
        let fix =
            fixed_value(name, v).map_or_else(|| format!("`{name} N`"), |n| format!("`{name} {n}`"));
        return Some(bad("a whole number", fix));
    }
    if DURATIONS.contains(&name) {
        if parse_duration_list(v).is_some() || v.eq_ignore_ascii_case("never") {
            return None;
        }
        return Some(bad(
            "a time interval such as 20m, 4h or 1d",
            format!("`{name} 20m`"),
        ));
    }
    if RATES.contains(&name) {
        if name == "max-msg-per-hour" {
            return None;
        }
        if v == "0" {
            return None;
        }
        if let Some(whole) = whole_rate(v) {
            let mut f = bad(
                "N/[M]unit with whole numbers (the manual's syntax)",
                format!("`{name} {whole}`"),
            );
            f.title = format!("`{name} {v}`: a rate with a fraction");
            return Some(f);
        }
        if parse_rate(v).is_none() {
            return Some(bad(
                "a rate such as 200/h, 1/s or unlimited",
                format!("`{name} 200/h`"),
            ));
        }
    }
    None
}

// ---- Microsoft ---------------------------------------------------------------------------

/// A queue Microsoft's consumer domains land in, with the domains and where that was decided.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Queue {
    name: String,
    domains: Vec<String>,
    /// The line that rolls them up, if any.
    loc: Option<Loc>,
}

/// The queues of the article's Microsoft domains: an `<mx-rollup-list>` entry for their MX
/// hosts, `queue-to` (or the article's `mx-rollup`), or each its own.
fn microsoft_queues(config: &Config) -> Vec<Queue> {
    let mx = MICROSOFT_MX.iter().find_map(|h| {
        config
            .mx_rollups
            .iter()
            .filter(|r| r.pattern.matches(h))
            .max_by_key(|r| r.pattern.specificity())
    });
    let mut queues: Vec<Queue> = Vec::new();
    for d in MICROSOFT_FAMILY {
        let (name, loc) = match (config.rollup_for_domain(d), mx) {
            (Some(q), _) => {
                let loc = ["queue-to", "mx-rollup"]
                    .iter()
                    .find_map(|k| config.effective_setting(d, None, k))
                    .map(|s| s.loc.clone());
                (q, loc)
            }
            (None, Some(r)) => (r.rollup.clone(), Some(r.loc.clone())),
            (None, None) => (d.to_owned(), None),
        };
        match queues.iter_mut().find(|q| q.name == name) {
            Some(q) => q.domains.push(d.to_owned()),
            None => queues.push(Queue {
                name,
                domains: vec![d.to_owned()],
                loc,
            }),
        }
    }
    queues
}

/// The line of the most specific block that applies to a queue (for findings about what is
/// missing in it).
fn block_loc(config: &Config, queue: &str) -> Option<Loc> {
    config
        .matching_blocks(queue, None)
        .first()
        .map(|b| b.loc.clone())
}

fn rollup(config: &Config, queues: &[Queue], out: &mut Problems) {
    if queues.len() <= 1 {
        return;
    }
    let own: Vec<&str> = queues
        .iter()
        .filter(|q| q.domains.len() == 1)
        .map(|q| q.name.as_str())
        .collect();
    out.push(Problem {
        severity: Severity::Critical,
        code: "microsoft-not-rolled-up",
        loc: block_loc(config, "hotmail.com").or_else(|| block_loc(config, MICROSOFT)),
        also: Vec::new(),
        title: format!(
            "Microsoft's consumer domains are in {} queues, not one",
            queues.len()
        ),
        reasoning: format!(
            "Without a rollup PowerMTA opens a separate set of connections per domain ({}), \
             each up to its own max-smtp-out, all to Microsoft's shared MX hosts: many more \
             simultaneous connections per IP than Microsoft allows, which brings RP-002 \
             rate-limit deferrals. Microsoft enforces one set of limits for all of them.",
            own.join(", ")
        ),
        fix: "Roll them into one queue: an `<mx-rollup-list>` with \
              `mx *.olc.protection.outlook.com microsoft.rollup` (settings then go in \
              `<domain microsoft.rollup>`), or `queue-to outlook.com` in a \
              `<domain $microsoft>` block over a `domain-macro microsoft hotmail.com, ...`."
            .into(),
    });
}

/// The pattern entries of a list and its nested lists.
fn entries(list: &super::PatternList) -> Vec<&super::PatternEntry> {
    let mut all: Vec<&super::PatternEntry> = list.entries.iter().collect();
    for n in &list.nested {
        all.extend(entries(n));
    }
    all
}

#[allow(clippy::too_many_lines)] // one pass per Microsoft queue, one paragraph per rule
fn patterns(config: &Config, queues: &[Queue], out: &mut Problems) {
    for q in queues {
        let name = q.name.as_str();
        let list_setting = config.effective_setting(name, None, "smtp-pattern-list");
        let list = list_setting.and_then(|s| config.pattern_list(&s.value));
        let Some(list) = list else {
            let loc = list_setting
                .map(|s| s.loc.clone())
                .or_else(|| block_loc(config, name));
            let title = match list_setting {
                Some(s) => format!("smtp-pattern-list `{}` is not defined", s.value),
                None => "no smtp-pattern-list for {queues}".to_owned(),
            };
            out.push_for(
                name,
                Problem {
                    severity: Severity::Critical,
                    code: "microsoft-no-pattern-list",
                    loc,
                    also: Vec::new(),
                    title,
                    reasoning: "Without one, RP-001 (a reputation block) and RP-002 (a connection \
                            rate limit) are retried like any deferral, after retry-after: the \
                            article says never to retry RP-001 sooner than 4h, and to slow down \
                            on RP-002."
                        .into(),
                    fix: "`<smtp-pattern-list microsoft>` with `reply /RP-001/ mode=backoff` and \
                      `reply /RP-002/ mode=backoff`, used by the Microsoft queue \
                      (`smtp-pattern-list microsoft`) with `backoff-retry-after 4h` and \
                      `backoff-max-smtp-out 2`; or the article's form with `retry-after=4h` \
                      per pattern."
                        .into(),
                },
            );
            continue;
        };
        let retry = |e: &super::PatternEntry| -> (u64, String, Option<Loc>) {
            if let Some(Some(v)) = e.action("retry-after")
                && let Some(s) = parse_duration(v)
            {
                return (s, format!("retry-after={v}"), Some(e.loc.clone()));
            }
            let backoff = e
                .action("mode")
                .flatten()
                .is_some_and(|m| m.eq_ignore_ascii_case("backoff"));
            if backoff
                && let (secs, Source::Config(l) | Source::Lenient(l)) = config.effective_duration(
                    name,
                    None,
                    "backoff-retry-after",
                    DEFAULT_RETRY_AFTER_SECS,
                )
            {
                return (secs, "backoff-retry-after".into(), Some(l));
            }
            let (secs, src) = config.retry_after(name, None);
            (secs, "retry-after".into(), src.loc().cloned())
        };
        for (code, replies, min, label) in [
            ("rp001", RP001_REPLIES, RP001_MIN_RETRY_SECS, "RP-001"),
            ("rp002", RP002_REPLIES, RP002_MIN_RETRY_SECS, "RP-002"),
        ] {
            let all = entries(list);
            let matching: Vec<&&super::PatternEntry> = all
                .iter()
                .filter(|e| e.kind == "reply" && replies.iter().any(|r| e.matches(r)))
                .collect();
            let Some(first) = matching.first() else {
                out.push(Problem {
                    severity: if label == "RP-001" {
                        Severity::Critical
                    } else {
                        Severity::Warning
                    },
                    code: if label == "RP-001" {
                        "rp001-no-pattern"
                    } else {
                        "rp002-no-pattern"
                    },
                    loc: Some(list.loc.clone()),
                    also: Vec::new(),
                    title: format!("smtp-pattern-list `{}` has no entry for {label}", list.name),
                    reasoning: if label == "RP-001" {
                        "421 RP-001 is a reputation block, not a transient deferral: retrying \
                         it aggressively makes more blocked connection attempts and worsens \
                         SNDS data. The article: do not retry for 4h minimum."
                            .into()
                    } else {
                        "421 RP-002 means the connection rate limit was exceeded: the article \
                         answers with a lower connection rate and retry-after 30m, so the \
                         queue slows down instead of hammering."
                            .into()
                    },
                    fix: if label == "RP-001" {
                        "`reply /RP-001/ mode=backoff` with `backoff-retry-after 4h` in the \
                         Microsoft queue's domain block (or the article's `\"RP-001\" \
                         retry-after=4h`)"
                            .into()
                    } else {
                        "`reply /RP-002/ mode=backoff` with `backoff-retry-after 30m` and \
                         `backoff-max-smtp-out 2` (or the article's `\"RP-002\" retry-after=2h \
                         max-smtp-out=2`)"
                            .into()
                    },
                });
                continue;
            };
            // Real Microsoft replies read `421 RP-001 (SNT0-MC2-F19) ...`: a pattern written for
            // the article's `421 4.7.0 RP-001` misses them.
            if !replies
                .iter()
                .all(|r| matching.iter().any(|e| e.matches(r)))
            {
                out.push(Problem {
                    severity: Severity::Warning,
                    code: "pattern-misses-real-replies",
                    loc: Some(first.loc.clone()),
                    also: Vec::new(),
                    title: format!(
                        "the {label} pattern `{}` matches one form only",
                        first.pattern
                    ),
                    reasoning: format!(
                        "Microsoft's replies come as `421 4.7.0 {label} ...` (the article's form) \
                         and as `421 {label} (SERVER-ID) Unfortunately, ...` (real logs); this \
                         pattern misses one of them, and those are retried normally."
                    ),
                    fix: format!("`reply /{label}/ ...`: match the code alone"),
                });
            }
            let (secs, what, loc) = retry(first);
            if code == "rp001" && secs < min {
                out.push(Problem {
                    severity: Severity::Critical,
                    code: "rp001-retry",
                    loc: loc.or_else(|| Some(first.loc.clone())),
                    also: Vec::new(),
                    title: format!(
                        "RP-001 is retried after {} ({what}), sooner than 4h",
                        duration::compact(secs)
                    ),
                    reasoning: "A 421 RP-001 is a reputation block; retrying it aggressively \
                                generates more blocked connection attempts that worsen SNDS \
                                data. The article: 4h minimum."
                        .into(),
                    fix: "`retry-after=4h` on the RP-001 entry, or `backoff-retry-after 4h` \
                          when it uses `mode=backoff`"
                        .into(),
                });
            }
            if code == "rp002" {
                let fewer = first
                    .action("max-smtp-out")
                    .flatten()
                    .and_then(|v| v.parse::<u32>().ok())
                    .is_some()
                    || (first
                        .action("mode")
                        .flatten()
                        .is_some_and(|m| m.eq_ignore_ascii_case("backoff"))
                        && [
                            "backoff-max-smtp-out",
                            "backoff-max-msg-rate",
                            "backoff-max-connect-rate",
                        ]
                        .iter()
                        .any(|k| config.effective_setting(name, None, k).is_some()));
                if secs < min && !fewer {
                    out.push(Problem {
                        severity: Severity::Warning,
                        code: "rp002-no-slowdown",
                        loc: Some(first.loc.clone()),
                        also: Vec::new(),
                        title: format!(
                            "RP-002 is retried after {} with the same connections",
                            duration::compact(secs)
                        ),
                        reasoning: "RP-002 says the connection rate limit was exceeded; the \
                                    article's answer is a lower connection rate and \
                                    retry-after 30m. Coming back sooner with as many \
                                    connections brings the next RP-002."
                            .into(),
                        fix: "`retry-after=30m` (or longer) and `max-smtp-out=2` on the RP-002 \
                              entry, or `backoff-retry-after 30m` and `backoff-max-smtp-out 2` \
                              with `mode=backoff`"
                            .into(),
                    });
                }
            }
        }
    }
}

fn dkim(config: &Config, queues: &[Queue], out: &mut Problems) {
    let has_key = config
        .directives
        .iter()
        .any(|d| d.name == "domain-key" || d.name == "domain-key-list");
    for q in queues {
        let sign = config.effective_setting(&q.name, None, "dkim-sign");
        let value = sign.map(|s| s.value.trim().to_ascii_lowercase());
        let on = matches!(value.as_deref(), Some("yes" | "true" | "on"));
        // The article's key-in-the-value form is reported as an invalid value already.
        if value.as_deref().is_some_and(|v| v.contains('=')) {
            continue;
        }
        if on && has_key {
            continue;
        }
        let (title, fix) = if on {
            (
                format!(
                    "dkim-sign is on for {} but no domain-key is defined",
                    q.name
                ),
                "`domain-key s1,yourdomain.com,/etc/pmta/dkim/yourdomain.pem` (global or in \
                 each VMTA)",
            )
        } else {
            (
                "no DKIM signing for {queues}".to_owned(),
                "`dkim-sign yes` in the Microsoft queue's domain block (or `<domain *>`) and \
                 `domain-key s1,yourdomain.com,/etc/pmta/dkim/yourdomain.pem`",
            )
        };
        out.push_for(
            &q.name,
            Problem {
                severity: Severity::Warning,
                code: "microsoft-no-dkim",
                loc: sign
                    .map(|s| s.loc.clone())
                    .or_else(|| block_loc(config, &q.name)),
                also: Vec::new(),
                title,
                reasoning:
                    "Microsoft enforces DMARC at p=reject for Outlook.com: mail needs SPF and \
                        DKIM aligned with the From domain."
                        .into(),
                fix: fix.into(),
            },
        );
    }
}

/// Pools that carry Microsoft mail: given (from the accounting files), and the article's
/// `virtual-mta-pool` in the Microsoft domain block.
fn microsoft_pools(config: &Config, given: &[String]) -> Vec<String> {
    let mut pools: Vec<String> = given.to_vec();
    if let Some((p, _)) = config.pool_for_domain(MICROSOFT)
        && !pools.iter().any(|x| x.eq_ignore_ascii_case(&p))
    {
        pools.push(p);
    }
    pools
}

/// One setting of the Microsoft queues that is off the tier: the queues that share its line.
struct Off {
    loc: Option<Loc>,
    value: String,
    queues: Vec<String>,
}

/// Groups per-queue values by the line they come from, so one line is reported once.
fn off_tier(items: Vec<(String, Option<Loc>, String)>) -> Vec<Off> {
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
fn queues_text(queues: &[String]) -> String {
    match queues {
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        many => format!("the {} Microsoft queues", many.len()),
    }
}

#[allow(clippy::too_many_lines)] // one paragraph per setting of the tier
fn tiers(config: &Config, queues: &[Queue], t: &Tier, pools: &[String], out: &mut Problems) {
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
fn pool_budget(
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

fn rate_text(per_sec: f64) -> String {
    if !per_sec.is_finite() {
        "unlimited (PowerMTA default)".into()
    } else if per_sec >= 1.0 {
        format!("{per_sec:.1}/s")
    } else {
        format!("{:.0}/h", per_sec * 3600.0)
    }
}

/// Directive names of the `PowerMTA` manual (v5.0) and of the real configs in the project's
/// reference material.
const KNOWN: &[&str] = &[
    // global
    "total-max-smtp-out",
    "total-max-smtp-in",
    "postmaster",
    "spool",
    "spool-delete-corrupted",
    "spool-min-free-space",
    "spool-max-recipients",
    "run-as-root",
    "smtp-server-tls-certificate",
    "smtp-server-tls-ca-file",
    "smtp-server-tls-allow-sslv3",
    "smtp-server-tls-allow-tlsv1",
    "smtp-server-tls-allow-tlsv1.1",
    "smtp-server-tls-allow-tlsv1.2",
    "smtp-server-tls-ciphers",
    "smtp-source-host",
    "alias",
    "smtp-ip",
    "smtp-port",
    "smtp-listener",
    "custom-dsn-from-header",
    "smtp-await-slot",
    "host-id",
    "domain-suffix",
    "host-name",
    "name-server",
    "thread-min-priority",
    "thread-max-priority",
    "thread-reuse",
    "mailmerge-expands-undefined-variables",
    "pmc-acct-min-free-space",
    "include",
    "always-allow-relaying",
    "relay-domain",
    "relay-address",
    "relay-debug",
    "domain-key",
    "invalid-virtual-mta-fallback",
    "include-headers-from",
    "domain-macro",
    "pickup",
    "pickup-retry-interval",
    "pickup-remove-dot",
    "dummy-smtp-ip",
    "dummy-smtp-port",
    "dummy-smtp-await-slot",
    "dummy-smtp-has-chunking",
    "dummy-smtp-has-pipelining",
    "dummy-smtp-has-verp",
    "dummy-smtp-latency",
    "dummy-smtp-update-stats",
    "http-mgmt-port",
    "http-redirect-to-https",
    "http-access",
    "http-csrf-protection",
    "http-api-key",
    "http-strict-transport-security-max-age",
    "http-mgmt-source",
    "no-http-mgmt-source",
    "http-tls-allow-sslv3",
    "http-tls-allow-tlsv1",
    "http-tls-allow-tlsv1.1",
    "http-tls-allow-tlsv1.2",
    "http-tls-ciphers",
    "http-tls-ca-file",
    "http-log-tls",
    "http-log-data",
    "http-log-requests",
    "http-default-max-items",
    "http-default-sort-order",
    "log-auto-rotation",
    "log-file",
    "log-rotate",
    "log-file-world-readable",
    "mx-connection-limit",
    "ip-connection-limit",
    "use-proxy",
    // <spool>, <bounce-processor>, <feedback-loop-processor>, <address-list>, <email-patterns>
    "delete-file-holders",
    "deliver-only",
    "priority",
    "min-free-space",
    "deliver-unmatched-email",
    "deliver-matched-email",
    "deliver-email",
    "forward-unmatched-to",
    "forward-errors-to",
    "address",
    "address-file",
    "domain",
    "body-pattern-file",
    "log-match-info",
    // <source>
    "add-date-header",
    "date-header-time",
    "bcc",
    "add-message-id-header",
    "add-received-header",
    "allow-auth",
    "smtp-max-auth-failure-rate",
    "remove-header",
    "require-auth",
    "allow-mailmerge",
    "allow-unencrypted-plain-auth",
    "allow-starttls",
    "require-starttls-before-auth",
    "broken-auth-clients",
    "verp-default",
    "check-dkim-inbound",
    "trace-dkim-check",
    "trace-spf-check",
    "check-spf-inbound",
    "check-spf-inbound-best-guess",
    "check-spf-inbound-max-void-lookups",
    "check-iprev-inbound",
    "trace-iprev-check",
    "reject-iprev-check-temperror",
    "reject-iprev-check-permerror",
    "reject-iprev-check-fail",
    "suppress-local-dsn",
    "dsn-return-default",
    "default-virtual-mta",
    "log-tls",
    "reject-invalid-virtual-mta",
    "disconnect-on-transient-error",
    "hide-message-source",
    "max-message-size",
    "max-message-hops",
    "max-rcpt-per-message",
    "too-many-rcpts-fails-message",
    "suppression-lists",
    "pattern-list",
    "process-x-envid",
    "process-x-dkim-options",
    "process-x-dkim-key",
    "retain-x-dkim-key",
    "jobid-prefix",
    "process-x-job",
    "jobid-header",
    "retain-x-job",
    "process-x-virtual-mta",
    "retain-x-virtual-mta",
    "add-x-virtual-mta-header",
    "source-group",
    "smtp-data-timeout",
    "smtp-command-timeout",
    "process-x-schedule",
    "retain-x-schedule",
    "retain-x-dkim-options",
    "allow-chunking",
    "allow-smtputf8",
    "smtp-service",
    "log-connections",
    "log-commands",
    "log-data",
    "allow-empty-x-virtual-mta",
    "accept-invalid-recipients",
    "reject-spf-check-temperror",
    "reject-spf-check-permerror",
    "reject-spf-check-fail",
    "always-allow-api-submission",
    "auto-qualify-domain",
    // <smtp-user>, <source-group>
    "password",
    "authentication-method",
    "tls-certificate",
    "source",
    "max-smtp-in",
    "reserved-smtp-in",
    // <domain>
    "max-errors-per-connection",
    "check-spf-outbound",
    "dsn-format",
    "log-resolution",
    "log-transfer-failures",
    "log-disabled-ips",
    "max-events-recorded",
    "disable-acct-records",
    "deliver-local-dsn",
    "bounce-after",
    "bcc-upon-delivery",
    "allow-priority-interruption",
    "allow-priority-interruption-during-transfer",
    "queue-priority",
    "track-recipient-events",
    "delivery-priority",
    "notify-of-delay-every",
    "dkim-sign",
    "dkim-add-body-limit",
    "dkim-add-timestamp",
    "dkim-algorithm",
    "dkim-body-canon",
    "dkim-headers-canon",
    "dkim-expire-after",
    "dkim-query-method",
    "dkim-headers",
    "dkim-identity",
    "dkim-identity-fallback",
    "dkim-disallow-adding-headers",
    "queue-to",
    "source-ip-max-msg-rate",
    "max-msg-rate",
    "backoff-max-msg-rate",
    "max-msg-per-hour",
    "backoff-max-msg-per-hour",
    "max-data-volume-rate",
    "backoff-max-data-volume-rate",
    "retry-after",
    "backoff-retry-after",
    "retry-recipients-after",
    "backoff-notify",
    "disabled-source-ip-notify",
    "backoff-to-normal-after",
    "backoff-to-normal-after-delivery",
    "backoff-upon-all-sources-disabled",
    "reenable-source-ip-after",
    "max-cold-virtual-mta-msg",
    "reroute-to-virtual-mta",
    "backoff-reroute-to-virtual-mta",
    "type",
    "allow-cancel-during-transfer",
    "auth-username",
    "smtp-data-termination-timeout",
    "auth-password",
    "use-unencrypted-plain-auth",
    "smtp-553-means-invalid-mailbox",
    "smtp-421-means-mx-unavailable",
    "replace-smtp-421-service-response",
    "bounce-upon-no-mx",
    "bounce-upon-5xx-greeting",
    "bounce-upon-pix-transfer-failure",
    "bounce-upon-transfer-failure",
    "connect-timeout",
    "smtp-greeting-timeout",
    "data-send-timeout",
    "ignore-8bitmime",
    "ignore-chunking",
    "ignore-pipelining",
    "ignore-dsn",
    "max-msg-per-connection",
    "max-rcpt-per-transaction",
    "max-smtp-out",
    "backoff-max-smtp-out",
    "max-smtp-out-per-source-ip",
    "source-ip-max-smtp-out",
    "smtp-out-rampup-interval",
    "max-connect-rate",
    "source-ip-max-connect-rate",
    "connection-idle-timeout",
    "source-ip-max-data-volume-rate",
    "backoff-max-connect-rate",
    "retry-upon-new-mail",
    "pix-bug-workaround",
    "route",
    "default-smtp-port",
    "smtp-hosts",
    "smtp-pattern-list",
    "assume-delivery-upon-data-termination-timeout",
    "disable-mx-rollup",
    "use-starttls",
    "require-starttls",
    "use-dane",
    "reuse-ssl-session",
    "smtp-tls-allow-tlsv1",
    "smtp-tls-allow-tlsv1.1",
    "smtp-tls-allow-tlsv1.2",
    "smtp-tls-allow-sslv3",
    "smtp-tls-ca-file",
    "smtp-tls-ciphers",
    "discard-as-bounce",
    "file-format",
    "file-destination",
    "command",
    "macro-variables-preserve-case",
    "http-delivery-url",
    "http-delivery-extra-headers",
    "add-x-msys-api-header",
    "sparkpost-sandbox",
    "sparkpost-ip-pool",
    // <acct-file>
    "delete-after",
    "move-to",
    "move-interval",
    "max-size",
    "queue-filter",
    "retry-interval",
    "iso-times",
    "user-string",
    "write-timeout",
    "map-header-to-field",
    "records",
    "record-fields",
    "world-readable",
    "count-moved-records",
    "sync",
    "privacy-policy",
    // <virtual-mta>, <virtual-mta-pool>, <pattern-list>, <dns>, <smtp-listener>, <rewrite-list>
    "max-smtp-msg-rate",
    "max-smtp-data-volume-rate",
    "cold-virtual-mta",
    "rewrite-list",
    "virtual-mta",
    "header",
    "mail-from",
    "rcpt-to",
    "precached-domains-file",
    "precached-refresh-interval",
    "precached-max-domains",
    "await-slot",
    "immediate-tls",
    "tls-allow-tlsv1.2",
    "tls-allow-tlsv1.1",
    "tls-allow-tlsv1",
    "tls-allow-sslv3",
    "tls-ciphers",
    "tls-ca-file",
    "from-domain",
    "log-requests",
    "api-key",
    // seen in real configs (older or newer versions)
    "dk-sign",
    "enable-signals",
    "sync-msg-create",
    "sync-msg-update",
    "remove-received-headers",
    "custom-message-id-header",
    "engagement-tracking",
    "log-verbose",
    "process-x-sp-subaccount-id",
    "retain-x-sp-subaccount-id",
    "upload-url",
    "domain-key-list",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspellings_and_whole_rates() {
        assert_eq!(
            misspelling("max-conn-rate").map(|m| m.0),
            Some("max-connect-rate")
        );
        assert_eq!(
            misspelling("max-smtp-outt").map(|m| m.0),
            Some("max-smtp-out")
        );
        assert_eq!(
            misspelling("retry-afterr").map(|m| m.0),
            Some("retry-after")
        );
        assert_eq!(misspelling("max-smtp-out"), None);
        assert_eq!(misspelling("frobnicate-everything"), None);
        assert_eq!(whole_rate("0.5/s").as_deref(), Some("1/2s"));
        assert_eq!(whole_rate("1.5/h").as_deref(), Some("3/2h"));
        assert_eq!(whole_rate("0.25/10m").as_deref(), Some("1/40m"));
        assert_eq!(whole_rate("200/h"), None);
        assert_eq!(
            fixed_value("max-smtp-out", "tuning 5").as_deref(),
            Some("5")
        );
        assert_eq!(fixed_value("max-smtp-out", "5"), None);
        assert_eq!(strsim::osa_distance("kitten", "sitting"), 3);
        // Two swaps of neighbours are two edits (four apart for plain Levenshtein).
        assert_eq!(
            misspelling("mxa-smtp-otu").map(|m| m.0),
            Some("max-smtp-out")
        );
    }

    #[test]
    fn a_long_unknown_directive_is_checked_in_linear_time() {
        // Found by the fuzz harness (tests/fuzz.rs): each unknown name was compared with every
        // known one, at a cost of its length times theirs; 2 MiB of one word took minutes.
        let text = format!("{} 1\nmax-smtp-ot 5\n", "x".repeat(2 << 20));
        let config = Config::parse_str(&text, "/etc/pmta/config").expect("parses");
        let started = std::time::Instant::now();
        let report = check(&config, None, &[]);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.title.contains("max-smtp-ot")),
            "short names still get their suggestion"
        );
    }

    #[test]
    fn tiers_by_volume() {
        assert_eq!(tier_of(0).max_smtp_out, 4);
        assert_eq!(tier_of(99_999).max_smtp_out, 4);
        assert_eq!(tier_of(100_000).max_smtp_out, 5);
        assert_eq!(tier_of(2_000_000).max_smtp_out, 6);
    }

    #[test]
    fn every_known_directive_is_unique_and_lowercase() {
        let mut seen = std::collections::BTreeSet::new();
        for k in KNOWN {
            assert_eq!(k.to_ascii_lowercase(), *k);
            assert!(seen.insert(*k), "{k} twice");
        }
    }
}
