//! The summary as JSON: a stable contract other tools and tests rely on (documented in
//! docs/json.md). Keys appear in a fixed order; arrays are sorted by total descending, then key.

use serde::Serialize;
use serde::ser::SerializeMap;

use super::summary::Summary;
use crate::aggregate::{Bucket, Destination, Keyed};
use crate::fmt::rfc3339;
use crate::model::TypeCounts;
use crate::scan::Malformed;

/// A per-type count map holding only the types that occur, in `PowerMTA`'s type order.
struct ByType(TypeCounts);

impl Serialize for ByType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (k, n) in self.0.nonzero() {
            m.serialize_entry(k.as_str(), &n)?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct FileJson<'a> {
    path: &'a str,
    bytes: u64,
    records: u64,
    malformed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct BucketJson<'a> {
    key: &'a str,
    total: u64,
    by_type: ByType,
}

#[derive(Serialize)]
struct CodeJson<'a> {
    key: &'a str,
    total: u64,
    by_type: ByType,
    provider: Option<&'a str>,
    kind: Option<&'a str>,
    severity: Option<&'a str>,
    meaning: Option<&'a str>,
    action: Option<&'a str>,
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    files: Vec<FileJson<'a>>,
    records: u64,
    malformed: u64,
    malformed_samples: &'a [Malformed],
    first: Option<String>,
    last: Option<String>,
    filter: Option<&'a str>,
    by_type: ByType,
    by_vmta: Buckets<'a, Bucket<std::sync::Arc<str>>>,
    by_source_ip: Buckets<'a, Bucket<std::sync::Arc<str>>>,
    by_domain: Buckets<'a, Destination<'a>>,
    by_code: Vec<CodeJson<'a>>,
    findings: &'a [crate::analysis::Finding],
    bursts: &'a [crate::analysis::Burst],
    retry_hygiene: &'a crate::analysis::RetryHygiene,
    tiers: &'a crate::analysis::Tiers,
    consistency: &'a crate::analysis::Consistency,
    complaints: &'a crate::analysis::Complaints,
    snds: Option<&'a crate::analysis::Snds>,
    budget: Vec<super::budget::BudgetJson<'a>>,
    /// The small destinations the budget leaves out, when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    budget_others: Option<crate::connections::Others>,
}

/// A bucket list, serialised one bucket at a time (a large sender has a hundred thousand
/// destinations: no second copy of them is made).
struct Buckets<'a, T>(&'a [T]);

impl<T: Keyed> Serialize for Buckets<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|b| BucketJson {
            key: b.key(),
            total: b.total(),
            by_type: ByType(b.type_counts()),
        }))
    }
}

fn buckets<T: Keyed>(b: &[T]) -> Buckets<'_, T> {
    Buckets(b)
}

/// Writes the summary as pretty-printed JSON, ending with a newline, as it is serialised.
///
/// # Errors
///
/// Writing to `out` failed.
pub fn write<W: std::io::Write + ?Sized>(s: &Summary, out: &mut W) -> std::io::Result<()> {
    let doc = SummaryJson {
        files: s
            .files
            .iter()
            .map(|f| FileJson {
                path: &f.path,
                bytes: f.bytes,
                records: f.records,
                malformed: f.malformed,
                error: f.error.as_deref(),
            })
            .collect(),
        records: s.records,
        malformed: s.malformed,
        malformed_samples: &s.malformed_samples,
        first: s.first.map(rfc3339),
        last: s.last.map(rfc3339),
        filter: s.filter.as_deref(),
        by_type: ByType(s.by_type),
        by_vmta: buckets(&s.by_vmta),
        by_source_ip: buckets(&s.by_source_ip),
        by_domain: buckets(&s.by_domain),
        by_code: s
            .by_code
            .iter()
            .map(|c| CodeJson {
                key: &c.name,
                total: c.bucket.total(),
                by_type: ByType(c.bucket.counts.counts),
                provider: c.info.provider,
                kind: c.info.kind.map(crate::model::ResponseKind::as_str),
                severity: c.info.severity.map(crate::model::Severity::as_str),
                meaning: c.info.meaning,
                action: c.info.action,
            })
            .collect(),
        findings: &s.findings,
        bursts: &s.bursts,
        retry_hygiene: &s.retry_hygiene,
        tiers: &s.tiers,
        consistency: &s.consistency,
        complaints: &s.complaints,
        snds: s.snds.as_ref(),
        budget: super::budget::json(s),
        budget_others: s
            .budget
            .as_ref()
            .map(|c| c.others)
            .filter(|o| o.destinations > 0),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}
