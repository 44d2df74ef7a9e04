//! The Overview's "What to do" as a list to act from: each finding (or a family of rule codes
//! of one severity, when the screen is short) with the filter that shows its rows and the view
//! to open, and the order that keeps the most severe finding of every kind on the first screen.

use crate::analysis::Finding;
use crate::analysis::retry::RetryHygiene;
use crate::model::Severity;
use crate::tui::data::Burst;
use crate::tui::derive::term;
use crate::tui::state::View;

/// Where Enter on a finding goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Add these terms to the filter and open the view.
    Filter(String, View),
    /// Nothing to filter by: why, for the status line.
    Nothing(&'static str),
}

/// One line of "What to do".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub severity: Severity,
    /// What it is, short: `RP-001`, `5.7.x ×7`, `burst`.
    pub label: String,
    pub title: String,
    pub evidence: String,
    pub action: String,
    pub target: Target,
}

/// The analyses' finding codes; any other is a rule code (`RP-001`, `5.7.606`).
const ANALYSES: [&str; 5] = [
    "burst",
    "rp001-retry",
    "volume-tier",
    "spike-and-silence",
    "complaints",
];

fn is_rule_code(f: &Finding) -> bool {
    !ANALYSES.contains(&f.code.as_str()) && !f.code.starts_with("snds-")
}

/// What kind of finding (rule codes of a severity are one kind, each analysis another).
fn kind(f: &Finding) -> String {
    if is_rule_code(f) {
        format!("code {}", f.severity.as_str())
    } else {
        f.code.clone()
    }
}

/// The family a rule code is grouped in: `RP` for `RP-001`, `5.7` for `5.7.606`.
fn family(code: &str) -> String {
    if code.starts_with("RP-") {
        return "RP-".into();
    }
    let mut parts = code.splitn(3, '.');
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) if b.chars().all(|c| c.is_ascii_digit()) || b.len() == 1 => {
            format!("{a}.{}.", b.get(..1).unwrap_or(b))
        }
        _ => code.to_string(),
    }
}

/// The list: one item a finding when they all fit in `room` lines, else rule codes of one
/// severity and family grouped; ordered by severity, the first of every kind first when even
/// that does not fit.
pub fn items(
    findings: &[Finding],
    bursts: &[Burst],
    retry: Option<&RetryHygiene>,
    room: usize,
) -> Vec<Item> {
    let single: Vec<(String, Item)> = findings
        .iter()
        .map(|f| (kind(f), item(f, bursts, retry)))
        .collect();
    if single.len() <= room {
        return single.into_iter().map(|(_, i)| i).collect();
    }
    // group the rule codes of a severity and family, where the first of them was
    let mut out: Vec<(String, Vec<&Finding>)> = Vec::new();
    for f in findings {
        let key = if is_rule_code(f) {
            format!("{}{}", f.severity.as_str(), family(&f.code))
        } else {
            // an analysis finding is never grouped
            format!("#{}", out.len())
        };
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(f),
            None => out.push((key, vec![f])),
        }
    }
    let mut grouped: Vec<(String, Item)> = out
        .into_iter()
        .map(|(_, fs)| match fs.as_slice() {
            [f] => (kind(f), item(f, bursts, retry)),
            _ => (kind(fs[0]), group(&fs)),
        })
        .collect();
    if grouped.len() > room {
        // the criticals (grouped), then the first of every other kind, then the rest, each
        // in severity order
        let mut seen: Vec<String> = Vec::new();
        let (first, rest): (Vec<_>, Vec<_>) = grouped.into_iter().partition(|(k, i)| {
            if i.severity == Severity::Critical {
                true
            } else if seen.contains(k) {
                false
            } else {
                seen.push(k.clone());
                true
            }
        });
        grouped = first.into_iter().chain(rest).collect();
    }
    grouped.into_iter().map(|(_, i)| i).collect()
}

/// Rule codes of one severity and family as one line: Enter shows them in Codes, where each
/// has its own action.
fn group(fs: &[&Finding]) -> Item {
    let codes: Vec<&str> = fs.iter().map(|f| f.code.as_str()).collect();
    Item {
        severity: fs[0].severity,
        label: format!("{}x ×{}", family(codes[0]), codes.len()),
        title: format!(
            "{} {} codes: {}",
            codes.len(),
            fs[0].severity.as_str(),
            codes.join(", ")
        ),
        evidence: fs[0].evidence.clone(),
        action: fs
            .iter()
            .map(|f| format!("{}: {}", f.code, f.action))
            .collect::<Vec<_>>()
            .join(" · "),
        target: Target::Filter(
            format!(
                "code={}",
                codes
                    .iter()
                    .map(|c| quoted(c))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            View::Codes,
        ),
    }
}

/// A list value, quoted when it has to be.
fn quoted(v: &str) -> String {
    term("x", v).split_off(2)
}

fn item(f: &Finding, bursts: &[Burst], retry: Option<&RetryHygiene>) -> Item {
    let label = match f.code.as_str() {
        "rp001-retry" => "RP-001 retry".to_string(),
        "spike-and-silence" => "spikes".to_string(),
        c => c.to_string(),
    };
    Item {
        severity: f.severity,
        label,
        title: f.title.clone(),
        evidence: f.evidence.clone(),
        action: f.action.clone(),
        target: target(f, bursts, retry),
    }
}

fn target(f: &Finding, bursts: &[Burst], retry: Option<&RetryHygiene>) -> Target {
    match f.code.as_str() {
        "burst" => bursts.iter().find(|b| is_finding_of(f, b)).map_or(
            Target::Nothing("the burst is not in the scanned range"),
            |b| Target::Filter(burst_filter(b), View::Timeline),
        ),
        "rp001-retry" => {
            let queues = f.title.ends_with("queues");
            let scope = retry.map(|r| if queues { &r.queues } else { &r.recipients });
            match scope.filter(|s| !s.examples.is_empty()) {
                Some(s) => {
                    let mut keys: Vec<String> = s.examples.iter().map(|e| quoted(&e.key)).collect();
                    keys.dedup();
                    let field = if queues { "queue" } else { "rcpt" };
                    Target::Filter(format!("{field}={}", keys.join(",")), View::Rows)
                }
                None => Target::Nothing("the retried recipients come when the scan completes"),
            }
        }
        "complaints" => Target::Filter("type=f".into(), View::Rows),
        "volume-tier" => Target::Filter("domain=outlook.com".into(), View::Domains),
        "spike-and-silence" => {
            // the evidence names each IP first: `192.0.2.10: 3 silent days ...; 192.0.2.11: ...`
            let ips: Vec<&str> = f
                .evidence
                .split("; ")
                .filter_map(|p| p.split_once(": ").map(|(ip, _)| ip))
                .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
                .collect();
            if ips.is_empty() {
                Target::Nothing("no sending IP named in this finding")
            } else {
                Target::Filter(format!("ip={}", ips.join(",")), View::Timeline)
            }
        }
        c if c.starts_with("snds-") => {
            Target::Nothing("SNDS data is not in the logs: see `pmta-lens summary --snds`")
        }
        c => Target::Filter(term("code", c), View::Codes),
    }
}

/// Whether a burst finding is about burst `b` (the finding names its code, IP and span).
fn is_finding_of(f: &Finding, b: &Burst) -> bool {
    let scope_ok = match &b.source_ip {
        Some(ip) => f.title.contains(&format!(" on {ip}:")),
        None => !f.title.contains(" on "),
    };
    scope_ok
        && f.title.starts_with(&format!("Burst of {}", b.code))
        && f.evidence
            .starts_with(&crate::analysis::findings::span(b.start, b.end))
}

/// The filter a burst's rows match: its minutes, and its IP when measured on one.
pub fn burst_filter(b: &Burst) -> String {
    let (s, e) = (b.start.div_euclid(60) * 60, b.end.div_euclid(60) * 60 + 60);
    let mut f = format!(
        "since={} until={}",
        crate::fmt::rfc3339(s),
        crate::fmt::rfc3339(e)
    );
    if let Some(ip) = &b.source_ip {
        f.push(' ');
        f.push_str(&term("ip", ip));
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(sev: Severity, code: &str) -> Finding {
        Finding {
            severity: sev,
            code: code.into(),
            title: format!("title of {code}"),
            evidence: String::new(),
            action: format!("do {code}"),
        }
    }

    #[test]
    fn families_group_rule_codes_only_when_short_of_room() {
        assert_eq!(family("RP-001"), "RP-");
        assert_eq!(family("5.7.606"), "5.7.");
        assert_eq!(family("5.7.1-blocklist"), "5.7.");
        assert_eq!(family("PR(ct1)"), "PR(ct1)");
        let all = vec![
            f(Severity::Critical, "RP-001"),
            f(Severity::Critical, "5.7.606"),
            f(Severity::Critical, "RP-003"),
            f(Severity::Critical, "5.7.1-blocklist"),
            f(Severity::Warning, "burst"),
            f(Severity::Warning, "RP-002"),
            f(Severity::Info, "volume-tier"),
        ];
        assert_eq!(items(&all, &[], None, 10).len(), 7);
        let short = items(&all, &[], None, 5);
        let labels: Vec<&str> = short.iter().map(|i| i.label.as_str()).collect();
        assert_eq!(
            labels,
            ["RP-x ×2", "5.7.x ×2", "burst", "RP-002", "volume-tier"]
        );
        assert_eq!(
            short[0].target,
            Target::Filter("code=RP-001,RP-003".into(), View::Codes)
        );
        // shorter still: the first of each kind before the second warning code
        let more = vec![
            f(Severity::Critical, "RP-001"),
            f(Severity::Warning, "4.7.650"),
            f(Severity::Warning, "RP-002"),
            f(Severity::Warning, "complaints"),
        ];
        let labels: Vec<String> = items(&more, &[], None, 2)
            .into_iter()
            .map(|i| i.label)
            .collect();
        assert_eq!(labels, ["RP-001", "4.7.650", "complaints", "RP-002"]);
        // criticals stay first, and a group's line says each code's action
        let crit = vec![
            f(Severity::Info, "volume-tier"),
            f(Severity::Critical, "5.7.606"),
            f(Severity::Critical, "5.7.510"),
            f(Severity::Warning, "burst"),
            f(Severity::Warning, "RP-002"),
            f(Severity::Warning, "4.7.650"),
        ];
        let got = items(&crit, &[], None, 3);
        let labels: Vec<&str> = got.iter().map(|i| i.label.as_str()).collect();
        assert_eq!(
            labels,
            ["volume-tier", "5.7.x ×2", "burst", "RP-002", "4.7.650"]
        );
        assert_eq!(got[1].action, "5.7.606: do 5.7.606 · 5.7.510: do 5.7.510");
    }
}
