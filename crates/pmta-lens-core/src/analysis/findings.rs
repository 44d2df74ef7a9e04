//! Findings from the analyses (bursts, RP-001 retries, tiers, consistency, complaints, SNDS): each
//! one what an operator should know, its evidence and the article's action. Rule codes seen become
//! findings in `codes.rs`; `analyze` merges both lists by severity.

use std::fmt::Write as _;

use crate::fmt::{duration, thousands};
use crate::model::Severity;

use super::bursts::Burst;
use super::retry::{RetryScope, top_ips};
use super::snds::Colour;
use super::tiers::TOP_TIER_MIN_POOL;
use super::{Analyses, Finding};

/// How many names (IPs, VMTAs, domains) an evidence line lists before "and N more".
const NAMES: usize = 3;

/// `a (3), b (2) and 4 more`.
pub fn named(pairs: &[(String, u64)]) -> String {
    let mut s = pairs
        .iter()
        .take(NAMES)
        .map(|(k, n)| format!("{k} ({})", thousands(*n)))
        .collect::<Vec<_>>()
        .join(", ");
    if pairs.len() > NAMES {
        let _ = write!(s, " and {} more", pairs.len() - NAMES);
    }
    if s.is_empty() { "-".to_string() } else { s }
}

/// `2026-01-14 10:00 to 10:11 UTC` (minute precision; the date again when it changes).
pub fn span(start: i64, end: i64) -> String {
    let a = crate::fmt::utc(start);
    let b = crate::fmt::utc(end);
    let (a_day, a_time) = a.split_at(10.min(a.len()));
    let (b_day, b_time) = b.split_at(10.min(b.len()));
    let hm = |t: &str| t.get(1..6).unwrap_or(t).to_string();
    if start == end {
        format!("{a_day} {} UTC", hm(a_time))
    } else if a_day == b_day {
        format!("{a_day} {} to {} UTC", hm(a_time), hm(b_time))
    } else {
        format!("{a_day} {} to {b_day} {} UTC", hm(a_time), hm(b_time))
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

fn burst(b: &Burst, window: i64) -> Finding {
    let scope = b
        .source_ip
        .as_ref()
        .map_or(String::new(), |ip| format!(" on {ip}"));
    Finding {
        severity: Severity::Warning,
        code: "burst".to_string(),
        title: format!(
            "Burst of {}{scope}: {} in {} (peak {}/min)",
            b.code,
            plural(b.count, "row", "rows"),
            duration(b.end - b.start + 60),
            thousands(b.peak_per_minute)
        ),
        evidence: format!(
            "{}; background {:.1}/min, burst = at least {} in {}; sending IPs: {}; VMTAs: {}; \
             domains: {}",
            span(b.start, b.end),
            b.background_per_minute,
            thousands(b.threshold),
            duration(window),
            named(&b.source_ips),
            named(&b.vmtas),
            named(&b.domains),
        ),
        action: b.action.clone(),
    }
}

fn retry(s: &RetryScope, what: &str, min_retry: i64) -> Option<Finding> {
    if s.too_soon == 0 {
        return None;
    }
    let ex = s
        .examples
        .first()
        .map(|e| {
            format!(
                "; e.g. {} RP-001 at {}, retried {} later",
                e.key,
                crate::fmt::utc(e.rp001_at),
                duration(e.gap)
            )
        })
        .unwrap_or_default();
    Some(Finding {
        severity: Severity::Warning,
        code: "rp001-retry".to_string(),
        title: format!(
            "RP-001 retried sooner than {}: {} of {} {what}s",
            duration(min_retry),
            thousands(s.too_soon_keys),
            thousands(s.keys)
        ),
        evidence: format!(
            "{} of {} RP-001s retried too soon; shortest gap {}, median gap {}; sending IPs: {}{ex}",
            thousands(s.too_soon),
            thousands(s.rp001),
            s.shortest_gap.map_or("-".into(), duration),
            s.median_gap.map_or("-".into(), duration),
            named(&top_ips(s, usize::MAX)),
        ),
        action: super::retry::ACTION.to_string(),
    })
}

/// Every finding of the analyses, unordered (`analyze` orders them).
#[allow(clippy::too_many_lines)] // one block per analysis, in report order
pub fn all(a: &Analyses, window: i64) -> Vec<Finding> {
    let mut out = Vec::new();
    // Bursts overall, and bursts on one IP that no overall burst of the code covers.
    for b in &a.bursts {
        let covered = b.source_ip.is_some()
            && a.bursts.iter().any(|o| {
                o.source_ip.is_none() && o.code == b.code && o.start <= b.end && b.start <= o.end
            });
        if !covered {
            out.push(burst(b, window));
        }
    }
    let r = &a.retry_hygiene;
    out.extend(retry(&r.recipients, "recipient", r.min_retry));
    out.extend(retry(&r.queues, "queue", r.min_retry));
    if let Some(t) = &a.tiers.recommended {
        let peak = a.tiers.days.iter().max_by_key(|d| (d.delivered, -d.day));
        let small_pool = t.from >= 500_000 && a.tiers.peak_source_ips < TOP_TIER_MIN_POOL;
        let ips = a.tiers.peak_source_ips.max(1);
        out.push(Finding {
            severity: if small_pool {
                Severity::Warning
            } else {
                Severity::Info
            },
            code: "volume-tier".to_string(),
            title: format!("Outlook volume tier {}", t.name),
            evidence: format!(
                "busiest day {}: {} delivered ({} attempts) to outlook.com (rolled up) from {}; \
                 {} in range",
                peak.map_or("-".into(), |d| super::ser::day(d.day)),
                thousands(a.tiers.peak_delivered),
                thousands(peak.map_or(0, |d| d.attempts)),
                plural(a.tiers.peak_source_ips, "sending IP", "sending IPs"),
                plural(a.tiers.days.len() as u64, "day", "days"),
            ),
            action: format!(
                "domain outlook.com: max-smtp-out {} max-conn-rate {} max-msg-rate {} \
                 retry-after {} with mx-rollup outlook.com{}; total connections = pool size x \
                 max-smtp-out = {ips} x {} = {}",
                t.max_smtp_out,
                t.max_connect_rate,
                t.max_msg_rate,
                t.retry_after,
                if t.pool.is_empty() {
                    String::new()
                } else {
                    format!(", from a pool of {}", t.pool)
                },
                t.max_smtp_out,
                ips * u64::from(t.max_smtp_out),
            ),
        });
    }
    let spiky: Vec<_> = a
        .consistency
        .ips
        .iter()
        .filter(|i| i.spike_and_silence)
        .collect();
    if !spiky.is_empty() {
        let ev: Vec<String> = spiky
            .iter()
            .take(NAMES)
            .map(|i| {
                format!(
                    "{}: {} between {} (max {} attempts/day, median {:.0}, {})",
                    i.source_ip,
                    plural(i.silent_days, "silent day", "silent days"),
                    plural(i.sending_days, "sending day", "sending days"),
                    thousands(i.max),
                    i.median,
                    plural(i.spike_days.len() as u64, "spike day", "spike days"),
                )
            })
            .collect();
        let more = spiky.len().saturating_sub(NAMES);
        out.push(Finding {
            severity: Severity::Warning,
            code: "spike-and-silence".to_string(),
            title: format!(
                "Spike-and-silence sending toward Microsoft from {}",
                plural(spiky.len() as u64, "IP", "IPs")
            ),
            evidence: ev.join("; ")
                + &if more > 0 {
                    format!("; and {more} more")
                } else {
                    String::new()
                },
            action: super::tiers::HEARTBEAT_ACTION.to_string(),
        });
    }
    let c = &a.complaints;
    if c.total > 0 {
        let worst = c
            .by_source_ip
            .iter()
            .chain(&c.by_vmta)
            .filter_map(|g| g.rate.map(|r| (r, g)))
            .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.key.cmp(&a.1.key)));
        let high = worst.is_some_and(|(r, _)| r >= super::complaints::WARN_RATE);
        out.push(Finding {
            severity: if high {
                Severity::Warning
            } else {
                Severity::Info
            },
            code: "complaints".to_string(),
            title: format!(
                "{} (feedback loop)",
                plural(c.total, "complaint", "complaints")
            ),
            evidence: format!(
                "{} attributed to a delivery, {} unattributed; highest rate: {}",
                thousands(c.matched),
                thousands(c.unmatched),
                worst.map_or("-".into(), |(r, g)| format!(
                    "{} {:.3}% ({} of {} delivered)",
                    g.key,
                    r * 100.0,
                    thousands(g.complaints),
                    thousands(g.delivered)
                )),
            ),
            action: "Suppress the complaining addresses now (pmta-lens rows --where 'type=f' \
                     --format rcpt); review the lists and content of the jobs and IPs with the \
                     highest rates"
                .to_string(),
        });
    }
    if let Some(s) = &a.snds {
        snds(s, &mut out);
    }
    out
}

fn snds(s: &super::Snds, out: &mut Vec<Finding>) {
    if let Some(e) = &s.error {
        out.push(Finding {
            severity: Severity::Warning,
            code: "snds-unreadable".to_string(),
            title: "SNDS file could not be read".to_string(),
            evidence: e.clone(),
            action: "Pass the SNDS data export (CSV) with --snds".to_string(),
        });
        return;
    }
    for (colour, severity) in [
        (Colour::Red, Severity::Critical),
        (Colour::Yellow, Severity::Warning),
    ] {
        let ips: Vec<_> = s.ips.iter().filter(|i| i.status == Some(colour)).collect();
        if ips.is_empty() {
            continue;
        }
        let ev: Vec<String> = ips
            .iter()
            .map(|i| {
                format!(
                    "{} (complaint rate {}, trap hits {}; our attempts to Microsoft {})",
                    i.source_ip,
                    i.complaint_rate.as_deref().unwrap_or("-"),
                    thousands(i.trap_hits),
                    thousands(i.attempts)
                )
            })
            .collect();
        out.push(Finding {
            severity,
            code: format!("snds-{}", colour.as_str().to_ascii_lowercase()),
            title: format!(
                "SNDS {}: {}",
                colour.as_str(),
                plural(ips.len() as u64, "IP", "IPs")
            ),
            evidence: ev.join("; "),
            action: colour.action().to_string(),
        });
    }
    let missing: Vec<(String, u64)> = s
        .ips
        .iter()
        .filter(|i| i.status.is_none())
        .map(|i| (i.source_ip.clone(), i.attempts))
        .collect();
    if !missing.is_empty() {
        out.push(Finding {
            severity: Severity::Info,
            code: "snds-missing".to_string(),
            title: format!(
                "{} sending to Microsoft not in SNDS",
                plural(missing.len() as u64, "IP", "IPs")
            ),
            evidence: format!("attempts to Microsoft: {}", named(&missing)),
            action: super::snds::NOT_IN_SNDS.to_string(),
        });
    }
    if !s.malformed.is_empty() {
        let first = &s.malformed[0];
        out.push(Finding {
            severity: Severity::Info,
            code: "snds-malformed".to_string(),
            title: format!(
                "SNDS file: {} skipped",
                plural(
                    s.malformed.len() as u64,
                    "malformed line",
                    "malformed lines"
                )
            ),
            evidence: format!("{}:{}: {}", first.path, first.line, first.reason),
            action: "Check the export: each line needs the 14 SNDS columns".to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_names() {
        let t = 1_768_384_800; // 2026-01-14 10:00 UTC
        assert_eq!(span(t, t), "2026-01-14 10:00 UTC");
        assert_eq!(span(t, t + 660), "2026-01-14 10:00 to 10:11 UTC");
        assert_eq!(
            span(t, t + 86_400),
            "2026-01-14 10:00 to 2026-01-15 10:00 UTC"
        );
        let pairs: Vec<(String, u64)> = (1..=5).map(|i| (format!("ip{i}"), 10 - i)).collect();
        assert_eq!(named(&pairs), "ip1 (9), ip2 (8), ip3 (7) and 2 more");
        assert_eq!(named(&[]), "-");
    }
}
