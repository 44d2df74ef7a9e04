//! Directives and values: names `PowerMTA` does not know (misspellings, the article's
//! shorthand), directives in the wrong block, and values it cannot read.

use super::{Config, Directive, Problem, Problems};
use crate::config::values::{parse_duration_list, parse_rate};
use crate::model::Severity;
use std::sync::LazyLock;

/// Blocks whose lines are patterns or list entries, not directives.
pub(super) const ENTRY_BLOCKS: [&str; 6] = [
    "smtp-pattern-list",
    "pattern-list",
    "bounce-category-patterns",
    "mx-rollup-list",
    "rewrite-list",
    "email-patterns",
];

pub(super) fn directives(config: &Config, out: &mut Problems) {
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
pub(super) fn special(d: &Directive, block: &str) -> Option<Problem> {
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
pub(super) fn dkim_fix(value: &str) -> String {
    let arg = |name: &str| {
        crate::config::lexer::split_words(value)
            .into_iter()
            .find_map(|w| {
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
pub(super) const ALIASES: [(&str, &str, &str); 8] = [
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
pub(super) fn misspelling(name: &str) -> Option<(&'static str, String)> {
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

pub(super) const INTEGERS: [&str; 8] = [
    "max-smtp-out",
    "backoff-max-smtp-out",
    "max-msg-per-connection",
    "max-errors-per-connection",
    "max-rcpt-per-transaction",
    "max-rcpt-per-message",
    "total-max-smtp-out",
    "queue-priority",
];
pub(super) const DURATIONS: [&str; 10] = [
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
pub(super) const RATES: [&str; 6] = [
    "max-msg-rate",
    "max-connect-rate",
    "backoff-max-msg-rate",
    "backoff-max-connect-rate",
    "max-smtp-msg-rate",
    "max-msg-per-hour",
];

/// The value written correctly, when `value` is close to valid for `name`.
pub(super) fn fixed_value(name: &str, value: &str) -> Option<String> {
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
pub(super) fn whole_rate(v: &str) -> Option<String> {
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

pub(super) fn value_check(d: &Directive) -> Option<Problem> {
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

/// Directive names of the `PowerMTA` manual (v5.0) and of the real configs in the project's
/// reference material: a table, kept as data in `known-directives.txt` (one name a line, `#`
/// comments) and read once.
pub(super) static KNOWN: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    include_str!("known-directives.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});
