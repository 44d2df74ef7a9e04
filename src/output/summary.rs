//! The summary report's content, built once from a scan and rendered as text, markdown or JSON,
//! so all three carry the same numbers.

use std::sync::Arc;

use crate::aggregate::{Bucket, Destination, Dim};
use crate::analysis::{
    Analyses, Burst, Complaints, Consistency, Finding, RetryHygiene, Snds, Tiers,
};
use crate::classify::{Classifier, CodeInfo};
use crate::filter::Filter;
use crate::model::{Code, TypeCounts};
use crate::scan::{FileReport, Malformed, ScanResult};

/// One response code with what the rule table knows of it.
#[derive(Clone, Debug)]
pub struct CodeReport {
    pub name: String,
    pub bucket: Bucket<Code>,
    pub info: CodeInfo,
}

/// Everything the summary shows (the destinations borrowed from the scan's aggregates).
#[derive(Clone, Debug)]
pub struct Summary<'a> {
    pub files: Vec<FileReport>,
    /// Rows counted (after the filter).
    pub records: u64,
    pub malformed: u64,
    pub malformed_samples: Vec<Malformed>,
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub by_type: TypeCounts,
    pub by_vmta: Vec<Bucket<Arc<str>>>,
    pub by_source_ip: Vec<Bucket<Arc<str>>>,
    pub by_domain: Vec<Destination<'a>>,
    pub by_code: Vec<CodeReport>,
    /// The filter applied, if any.
    pub filter: Option<String>,
    /// What to act on, most severe first.
    pub findings: Vec<Finding>,
    pub bursts: Vec<Burst>,
    /// The `--burst-window` the bursts were measured with, seconds.
    pub burst_window: i64,
    pub retry_hygiene: RetryHygiene,
    pub tiers: Tiers,
    pub consistency: Consistency,
    pub complaints: Complaints,
    pub snds: Option<Snds>,
    /// Connections against the budget per destination and pool (set by the caller, which
    /// knows the config and the log; `None`: not computed).
    pub budget: Option<crate::connections::Connections>,
}

impl<'a> Summary<'a> {
    pub fn build(
        scan: &'a ScanResult,
        analyses: &Analyses,
        classifier: &Classifier,
        filter: &Filter,
    ) -> Summary<'a> {
        let agg = &scan.aggregates;
        let by_code = agg
            .codes(|c| classifier.code_name(c))
            .into_iter()
            .map(|bucket| CodeReport {
                name: classifier.code_name(bucket.key),
                info: classifier.describe(bucket.key),
                bucket,
            })
            .collect();
        Summary {
            files: scan.report.files.clone(),
            records: agg.records,
            malformed: scan.report.malformed,
            malformed_samples: scan.report.malformed_samples.clone(),
            first: agg.first,
            last: agg.last,
            by_type: agg.by_type,
            by_vmta: agg.group(Dim::Vmta),
            by_source_ip: agg.group(Dim::SourceIp),
            by_domain: agg.ranked_destinations(),
            by_code,
            filter: (!filter.is_empty()).then(|| filter.as_str().to_string()),
            findings: analyses.findings.clone(),
            bursts: analyses.bursts.clone(),
            burst_window: analyses.burst_window,
            retry_hygiene: analyses.retry_hygiene.clone(),
            tiers: analyses.tiers.clone(),
            consistency: analyses.consistency.clone(),
            complaints: analyses.complaints.clone(),
            snds: analyses.snds.clone(),
            budget: None,
        }
    }
}
