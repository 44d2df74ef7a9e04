//! `pmta-lens metrics`: the summary's numbers as Prometheus metrics (docs/scale-out.md lists
//! them). Everything comes from the summary of one scan, so a metric and the summary's JSON
//! agree on the same files.
//!
//! Label cardinality is bounded whatever the input: domains, VMTAs, fallback response codes and
//! the sending IPs of bursts keep their `top` largest values (domains also keep `outlook.com`,
//! the rollup the reference article is about; codes keep every rule id, a fixed table) and sum
//! the rest under [`OTHER`]; `pmta_lens_folded_label_values` says how many values each folded.
//! The connection rows are the summary's (config-named, Microsoft, rollups, the busiest and every
//! one over budget), cut to `top` by mail sent with the over-budget ones always kept.

use std::collections::{BTreeMap, BTreeSet};

use super::exposition::{Exposition, Type};
use super::summary::Summary;
use crate::aggregate::{Aggregates, Keyed};
use crate::classify::Classifier;
use crate::model::{Code, RecordKind};
use crate::rollup::MICROSOFT;

/// The label value the values past the top `N` of a dimension are summed under. Parenthesised
/// as `(none)` and `(unattributed)` are: no domain, VMTA, code or address can be named so.
pub const OTHER: &str = "(other)";

/// What the metrics are made from, besides the summary.
#[derive(Debug)]
pub struct Inputs<'a> {
    pub aggregates: &'a Aggregates,
    pub classifier: &'a Classifier,
    /// The codes bursts were looked for (`--burst-code`, RP-002 always).
    pub burst_codes: &'a [String],
    /// Values kept per dimension.
    pub top: usize,
    /// How long the scan and analyses took, seconds.
    pub scan_seconds: f64,
}

/// The exposition text.
pub fn render(s: &Summary<'_>, m: &Inputs<'_>) -> String {
    let mut e = Exposition::default();
    let mut folded: BTreeMap<&'static str, usize> = BTreeMap::new();
    scope(&mut e, s, m);
    responses(&mut e, s, m, &mut folded);
    domains(&mut e, s, m, &mut folded);
    bursts(&mut e, s, m, &mut folded);
    connections(&mut e, s, m, &mut folded);
    let f = e.family(
        "pmta_lens_folded_label_values",
        "Distinct values summed under (other) to bound label cardinality (--top), per dimension: \
         code, domain, vmta, source_ip, connections (destination and pool pairs).",
        Type::Gauge,
        &["dimension"],
    );
    for (label, n) in folded {
        e.set(f, &[label], n as f64);
    }
    e.render()
}

/// Rows by type, malformed rows, unreadable inputs, the time the rows cover, the scan's time.
fn scope(e: &mut Exposition, s: &Summary<'_>, m: &Inputs<'_>) {
    let rows = e.family(
        "pmta_lens_rows",
        "Accounting rows read (after --where), by record type.",
        Type::Gauge,
        &["type"],
    );
    for kind in RecordKind::ALL {
        e.set(rows, &[kind.as_str()], s.by_type.get(kind) as f64);
    }
    let malformed = e.family(
        "pmta_lens_malformed_rows",
        "Rows that could not be read (summary --format json lists the first 20).",
        Type::Gauge,
        &[],
    );
    e.set(malformed, &[], s.malformed as f64);
    let errors = e.family(
        "pmta_lens_input_errors",
        "Inputs that could not be read, or not to their end.",
        Type::Gauge,
        &[],
    );
    let failed = s.files.iter().filter(|f| f.error.is_some()).count();
    e.set(errors, &[], failed as f64);
    let files = e.family(
        "pmta_lens_input_files",
        "Accounting files read.",
        Type::Gauge,
        &[],
    );
    e.set(files, &[], s.files.len() as f64);
    let newest = e.family(
        "pmta_lens_newest_row_timestamp_seconds",
        "timeLogged of the newest row read, Unix seconds.",
        Type::Gauge,
        &[],
    );
    let oldest = e.family(
        "pmta_lens_oldest_row_timestamp_seconds",
        "timeLogged of the oldest row read, Unix seconds.",
        Type::Gauge,
        &[],
    );
    if let (Some(first), Some(last)) = (s.first, s.last) {
        e.set(newest, &[], last as f64);
        e.set(oldest, &[], first as f64);
    }
    let took = e.family(
        "pmta_lens_scan_duration_seconds",
        "Time the scan and its analyses took.",
        Type::Gauge,
        &[],
    );
    e.set(took, &[], m.scan_seconds);
}

/// The first `top` of `ranked` (largest first), plus `always` when it occurs further down.
fn kept<'a>(
    ranked: impl Iterator<Item = &'a str>,
    top: usize,
    always: &[&str],
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, k) in ranked.enumerate() {
        if i < top || always.contains(&k) {
            out.insert(k.to_string());
        }
    }
    out
}

/// `value` if kept, else [`OTHER`], counting the distinct values folded.
fn label<'a>(value: &'a str, keep: &BTreeSet<String>, seen: &mut BTreeSet<String>) -> &'a str {
    if keep.contains(value) {
        value
    } else {
        seen.insert(value.to_string());
        OTHER
    }
}

/// Rows with a response by code, kind and VMTA.
fn responses(
    e: &mut Exposition,
    s: &Summary<'_>,
    m: &Inputs<'_>,
    folded: &mut BTreeMap<&'static str, usize>,
) {
    let f = e.family(
        "pmta_lens_responses",
        "Rows with a remote response (b, t, tq, rb, rs) by response code (rule id, else the \
         enhanced or basic status code), kind (deferral, bounce) and VMTA.",
        Type::Gauge,
        &["code", "kind", "vmta"],
    );
    let vmtas = kept(s.by_vmta.iter().map(Keyed::key), m.top, &[]);
    // Rule ids are a fixed table (and what alerts name): all kept. Fallback codes by rows.
    let fallback = kept(
        s.by_code
            .iter()
            .filter(|c| !matches!(c.bucket.key, Code::Rule(_)))
            .map(|c| c.name.as_str()),
        m.top,
        &[],
    );
    let (mut vmta_folded, mut code_folded) = (BTreeSet::new(), BTreeSet::new());
    let senders = m.aggregates.senders();
    for &(sender, code, n) in m.aggregates.sender_codes() {
        let Some(line) = senders.get(sender as usize) else {
            continue;
        };
        let name = m.classifier.code_name(code);
        let code_label = if matches!(code, Code::Rule(_)) {
            name.as_str()
        } else {
            label(&name, &fallback, &mut code_folded)
        };
        let kind = m
            .classifier
            .describe(code)
            .kind
            .map_or("(none)", |k| k.as_str());
        let vmta = label(&line.vmta, &vmtas, &mut vmta_folded);
        e.add(f, &[code_label, kind, vmta], n as f64);
    }
    folded.insert("vmta", vmta_folded.len());
    folded.insert("code", code_folded.len());
}

/// Attempts, deferrals and the deferral rate per rolled-up destination.
fn domains(
    e: &mut Exposition,
    s: &Summary<'_>,
    m: &Inputs<'_>,
    folded: &mut BTreeMap<&'static str, usize>,
) {
    let attempts = e.family(
        "pmta_lens_domain_attempts",
        "Delivery attempts (d, t, tq, b, rb rows) per rolled-up destination domain.",
        Type::Gauge,
        &["domain"],
    );
    let deferrals = e.family(
        "pmta_lens_domain_deferrals",
        "Deferrals (t, tq rows) per rolled-up destination domain.",
        Type::Gauge,
        &["domain"],
    );
    let ratio = e.family(
        "pmta_lens_domain_deferral_ratio",
        "Deferrals / attempts per rolled-up destination domain (0-1; absent without attempts).",
        Type::Gauge,
        &["domain"],
    );
    let keep = kept(s.by_domain.iter().map(Keyed::key), m.top, &[MICROSOFT]);
    let mut seen = BTreeSet::new();
    let mut sums: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for d in &s.by_domain {
        let c = d.type_counts();
        let name = label(d.key(), &keep, &mut seen);
        let sum = sums.entry(name).or_default();
        sum.0 += c.attempts();
        sum.1 += c.deferred();
    }
    for (name, (a, d)) in sums {
        e.set(attempts, &[name], a as f64);
        e.set(deferrals, &[name], d as f64);
        if a > 0 {
            e.set(ratio, &[name], d as f64 / a as f64);
        }
    }
    folded.insert("domain", seen.len());
}

/// Bursts per code, and which are still going: a burst is active when its last minute is
/// within one `--burst-window` of the newest row read (the scan's end, not the clock: metrics
/// from an old file say what was active when it was written).
fn bursts(
    e: &mut Exposition,
    s: &Summary<'_>,
    m: &Inputs<'_>,
    folded: &mut BTreeMap<&'static str, usize>,
) {
    let total = e.family(
        "pmta_lens_bursts",
        "Bursts of a response code (all sending IPs together) in the rows read.",
        Type::Gauge,
        &["code"],
    );
    let active = e.family(
        "pmta_lens_bursts_active",
        "Bursts of a response code (all sending IPs together) whose last minute is within one \
         --burst-window of the newest row.",
        Type::Gauge,
        &["code"],
    );
    let by_ip = e.family(
        "pmta_lens_source_ip_bursts_active",
        "Bursts of a response code on one sending IP whose last minute is within one \
         --burst-window of the newest row (0: the IP had a burst earlier).",
        Type::Gauge,
        &["code", "source_ip"],
    );
    for code in m.burst_codes {
        e.set(total, &[code], 0.0);
        e.set(active, &[code], 0.0);
    }
    let is_active = |end: i64| s.last.is_some_and(|last| end + 60 + s.burst_window >= last);
    // Sending IPs by their rows in bursts, largest first (then by address).
    let mut ip_rows: BTreeMap<&str, u64> = BTreeMap::new();
    for b in &s.bursts {
        if let Some(ip) = &b.source_ip {
            *ip_rows.entry(ip).or_default() += b.count;
        }
    }
    let mut ranked: Vec<(&str, u64)> = ip_rows.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let keep = kept(ranked.iter().map(|(ip, _)| *ip), m.top, &[]);
    let mut seen = BTreeSet::new();
    for b in &s.bursts {
        let now = if is_active(b.end) { 1.0 } else { 0.0 };
        match &b.source_ip {
            None => {
                e.add(total, &[&b.code], 1.0);
                e.add(active, &[&b.code], now);
            }
            Some(ip) => {
                let ip = label(ip, &keep, &mut seen);
                e.add(by_ip, &[&b.code, ip], now);
            }
        }
    }
    folded.insert("source_ip", seen.len());
}

/// Connections against the budget per destination and pool (only with a budget source).
fn connections(
    e: &mut Exposition,
    s: &Summary<'_>,
    m: &Inputs<'_>,
    folded: &mut BTreeMap<&'static str, usize>,
) {
    let Some(c) = &s.budget else {
        folded.insert("connections", 0);
        return;
    };
    let labels: &'static [&'static str] = &["domain", "pool"];
    let peak = e.family(
        "pmta_lens_connections_peak",
        "Most connections open at once per rolled-up destination and pool.",
        Type::Gauge,
        labels,
    );
    let p95 = e.family(
        "pmta_lens_connections_p95",
        "95th percentile of open connections (over the time any was open) per destination and \
         pool.",
        Type::Gauge,
        labels,
    );
    let budget = e.family(
        "pmta_lens_connections_budget",
        "Connections the PowerMTA config allows per destination and pool (pool size x \
         max-smtp-out).",
        Type::Gauge,
        labels,
    );
    let over = e.family(
        "pmta_lens_connections_over_budget_seconds",
        "Time more connections than the budget were open, per destination and pool.",
        Type::Gauge,
        labels,
    );
    let method = e.family(
        "pmta_lens_connections_method",
        "How connections were counted: log (exact, from a log-connections log) or estimate \
         (from the accounting rows); the series present has the value 1.",
        Type::Gauge,
        &["method"],
    );
    e.set(method, &[c.method.as_str()], 1.0);
    let mut rows: Vec<_> = c
        .rows
        .iter()
        .filter(|r| r.smtp_rows > 0 || r.observed.peak > 0)
        .collect();
    rows.sort_by(|a, b| {
        b.smtp_rows
            .cmp(&a.smtp_rows)
            .then_with(|| (&a.domain, &a.pool).cmp(&(&b.domain, &b.pool)))
    });
    let mut rest = 0;
    for (i, r) in rows.iter().enumerate() {
        let over_budget = r.observed.peak > r.budget;
        if i >= m.top && !over_budget {
            rest += 1;
            e.max(peak, &[OTHER, OTHER], f64::from(r.observed.peak));
            continue;
        }
        let at = [r.domain.as_str(), r.pool.as_str()];
        e.set(peak, &at, f64::from(r.observed.peak));
        e.set(p95, &at, f64::from(r.observed.p95));
        e.set(budget, &at, f64::from(r.budget));
        e.set(over, &at, r.observed.seconds_over_budget as f64);
    }
    if c.others.destinations > 0 {
        e.max(peak, &[OTHER, OTHER], f64::from(c.others.peak));
    }
    let pairs = rest + usize::try_from(c.others.destinations).unwrap_or(usize::MAX);
    folded.insert("connections", pairs);
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;
    use std::sync::Arc;

    use super::*;
    use crate::acct::discover::{Input, InputKind};
    use crate::analysis::{self, AnalysisParams};
    use crate::filter::Filter;
    use crate::scan::ScanOptions;

    /// A row every minute from 09:30 to 09:59 to a domain each (deliveries and 4.4.1
    /// deferrals in turn, over VMTAs v0-v2), then twelve RP-002 deferrals in the 10:00 minute on
    /// 192.0.2.10 from v9, then `after` (more rows, later).
    fn fixture(after: &str) -> String {
        let mut s = String::from("type,timeLogged,rcpt,dsnStatus,dsnDiag,dlvSourceIp,vmta\n");
        for m in 30..60 {
            let (kind, diag) = if m % 2 == 0 {
                ("d", "smtp;250 ok")
            } else {
                ("t", "smtp;451 4.4.1 timeout")
            };
            let _ = writeln!(
                s,
                "{kind},2026-11-20 09:{m:02}:00+0000,u@d{m}.example,2.0.0,{diag},192.0.2.1,v{}",
                m % 3
            );
        }
        for sec in 0..12 {
            let _ = writeln!(
                s,
                "t,2026-11-20 10:00:{sec:02}+0000,u@hotmail.com,4.7.0,smtp;421 RP-002 (BAY) \
                 Unfortunately,192.0.2.10,v9"
            );
        }
        s + after
    }

    fn metrics_of(data: &str, top: usize) -> String {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("acct.csv");
        std::fs::write(&path, data).expect("write");
        let inputs = [Input {
            path,
            kind: InputKind::Plain,
        }];
        let classifier = Classifier::builtin();
        let params = AnalysisParams::default();
        let (scan, analyses) = analysis::run(
            &inputs,
            &ScanOptions::default(),
            &classifier,
            &Filter::default(),
            &Arc::default(),
            &params,
        );
        let s = Summary::build(&scan, &analyses, &classifier, &Filter::default());
        render(
            &s,
            &Inputs {
                aggregates: &scan.aggregates,
                classifier: &classifier,
                burst_codes: &params.burst_codes,
                top,
                scan_seconds: 0.5,
            },
        )
    }

    #[test]
    fn a_burst_at_the_newest_row_is_active_and_one_an_hour_old_is_not() {
        let now = metrics_of(&fixture(""), 20);
        assert!(
            now.contains("pmta_lens_bursts{code=\"RP-002\"} 1\n"),
            "{now}"
        );
        assert!(
            now.contains("pmta_lens_bursts_active{code=\"RP-002\"} 1\n"),
            "{now}"
        );
        assert!(
            now.contains(
                "pmta_lens_source_ip_bursts_active{code=\"RP-002\",source_ip=\"192.0.2.10\"} 1\n"
            ),
            "{now}"
        );
        let later = metrics_of(
            &fixture("d,2026-11-20 11:00:00+0000,u@d1.example,2.0.0,smtp;250 ok,192.0.2.1,v1\n"),
            20,
        );
        assert!(
            later.contains("pmta_lens_bursts{code=\"RP-002\"} 1\n"),
            "{later}"
        );
        assert!(
            later.contains("pmta_lens_bursts_active{code=\"RP-002\"} 0\n"),
            "{later}"
        );
        // Five minutes (one --burst-window) after the burst's last minute it is still going.
        let edge = metrics_of(
            &fixture("d,2026-11-20 10:06:00+0000,u@d1.example,2.0.0,smtp;250 ok,192.0.2.1,v1\n"),
            20,
        );
        assert!(
            edge.contains("pmta_lens_bursts_active{code=\"RP-002\"} 1\n"),
            "{edge}"
        );
    }

    #[test]
    fn the_tail_of_each_dimension_is_folded_and_counted() {
        let text = metrics_of(&fixture(""), 2);
        // 31 destinations: outlook.com (12 rows) and the first of the one-row domains by name
        // are kept; the other 29 are summed.
        assert!(
            text.contains("pmta_lens_domain_attempts{domain=\"(other)\"} 29\n"),
            "{text}"
        );
        assert!(text.contains("pmta_lens_domain_attempts{domain=\"outlook.com\"} 12\n"));
        assert!(text.contains("pmta_lens_folded_label_values{dimension=\"domain\"} 29\n"));
        // Four VMTAs: v0, v1 and v2 (10 rows each) and v9 (12): v9 and v0 kept, the 4.4.1
        // deferrals of v1 and v2 summed.
        assert!(text.contains("pmta_lens_folded_label_values{dimension=\"vmta\"} 2\n"));
        assert!(
            text.contains(
                "pmta_lens_responses{code=\"4.4.1\",kind=\"deferral\",vmta=\"(other)\"} 10\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "pmta_lens_responses{code=\"RP-002\",kind=\"deferral\",vmta=\"v9\"} 12\n"
            ),
            "{text}"
        );
        // No budget source: no connection metrics, nothing folded there.
        assert!(!text.contains("pmta_lens_connections_peak"));
        assert!(text.contains("pmta_lens_folded_label_values{dimension=\"connections\"} 0\n"));
    }
}
