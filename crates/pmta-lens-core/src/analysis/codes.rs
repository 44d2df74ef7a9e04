//! Findings from the response codes seen: every code of the rule table that occurred becomes a
//! finding with the rule's severity and action, and the evidence of where and when it came.

use crate::aggregate::Aggregates;
use crate::classify::Classifier;
use crate::fmt::{percent, thousands, utc};
use crate::model::Code;

use super::Finding;

/// How many sending IPs a finding names.
const TOP_IPS: usize = 3;

/// One finding per rule code seen, largest first within a severity.
pub fn findings(agg: &Aggregates, classifier: &Classifier) -> Vec<Finding> {
    let codes = agg.codes(|c| classifier.code_name(c));
    let with_response: u64 = codes.iter().map(crate::aggregate::Bucket::total).sum();
    let mut out: Vec<Finding> = codes
        .iter()
        .filter_map(|b| {
            let Code::Rule(id) = b.key else {
                return None;
            };
            let rule = classifier.rule(id);
            let ips = agg.code_source_ips(b.key);
            let named: Vec<String> = ips
                .iter()
                .take(TOP_IPS)
                .map(|ip| format!("{} ({})", ip.key, thousands(ip.total())))
                .collect();
            let more = ips.len().saturating_sub(TOP_IPS);
            let when = match (b.counts.first(), b.counts.last()) {
                (Some(f), Some(l)) if f == l => format!(" at {}", utc(f)),
                (Some(f), Some(l)) => format!(" from {} to {}", utc(f), utc(l)),
                _ => String::new(),
            };
            Some(Finding {
                severity: rule.severity,
                code: rule.id.to_string(),
                title: format!(
                    "{} {}: {}",
                    rule.provider,
                    rule.id,
                    first_clause(rule.meaning)
                ),
                evidence: format!(
                    "{} {} ({} of deferrals and bounces){when}; sending IPs: {}{}",
                    thousands(b.total()),
                    if b.total() == 1 { "row" } else { "rows" },
                    percent(b.total(), with_response),
                    named.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    },
                ),
                action: rule.action.to_string(),
            })
        })
        .collect();
    // Codes arrive ordered by count; a stable sort by severity keeps that order within one.
    out.sort_by_key(|f| f.severity);
    out
}

/// The meaning up to its first colon: the headline, without the explanation.
fn first_clause(meaning: &str) -> &str {
    meaning.split(':').next().unwrap_or(meaning).trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{Partial, RowKeys};
    use crate::model::{RecordKind, Severity};
    use crate::rollup::Rollup;

    #[test]
    fn rule_codes_become_findings_in_severity_order() {
        let c = Classifier::builtin();
        let rp002 = c.classify(b"smtp;421 4.7.0 RP-002 too fast", b"");
        let rp001 = c.classify(b"smtp;421 RP-001 (SNT0-MC2-F19) Unfortunately", b"");
        let fallback = c.classify(b"smtp;550 5.1.1 no such user", b"");
        let mut p = Partial::default();
        let mut add = |code, ip: &'static str, t| {
            p.add(&RowKeys {
                kind: RecordKind::Transient,
                time: Some(t),
                vmta: b"v1",
                source_ip: ip.as_bytes(),
                rcpt_domain: b"hotmail.com",
                pool: b"p",
                code,
                queue_rollup: None,
                microsoft_mx: false,
                job: b"",
            });
        };
        for i in 0..5 {
            add(rp002, "192.0.2.1", 1000 + i);
        }
        add(rp002, "192.0.2.2", 2000);
        add(rp001, "192.0.2.3", 3000);
        add(fallback, "192.0.2.3", 3000);
        let agg = p.finish(&Rollup::default());
        let f = findings(&agg, &c);
        assert_eq!(f.len(), 2, "the fallback 5.1.1 is not a rule finding");
        assert_eq!(
            (f[0].code.as_str(), f[0].severity),
            ("RP-001", Severity::Critical)
        );
        assert_eq!(
            (f[1].code.as_str(), f[1].severity),
            ("RP-002", Severity::Warning)
        );
        assert_eq!(
            f[0].evidence,
            "1 row (12.5% of deferrals and bounces) at 1970-01-01 00:50:00 UTC; sending IPs: 192.0.2.3 (1)"
        );
        assert!(
            f[1].evidence
                .starts_with("6 rows (75.0% of deferrals and bounces) from"),
            "{}",
            f[1].evidence
        );
        assert!(
            f[1].evidence
                .ends_with("sending IPs: 192.0.2.1 (5), 192.0.2.2 (1)"),
            "{}",
            f[1].evidence
        );
        assert_eq!(
            f[1].action,
            "Reduce max-connect-rate; increase retry-after to 30m"
        );
    }
}
