//! Deliverability analyses: the findings an operator acts on, computed by the core from a scan so
//! the summary, the JSON and the dashboard show the same ones. Each analysis lives in its own
//! module; [`analyze`] runs them all and orders the findings by severity.

pub mod codes;

use std::path::PathBuf;

use crate::acct::discover::Input;
use crate::classify::Classifier;
use crate::filter::Filter;
use crate::model::Severity;
use crate::rollup::Rollup;
use crate::scan::{ScanOptions, ScanResult};

/// Tuning of the analyses (command-line flags).
#[derive(Clone, Debug)]
pub struct AnalysisParams {
    /// Width in seconds of the window a burst is measured over (`--burst-window`).
    pub burst_window: i64,
    /// Fewest events that make a burst (`--burst-min`).
    pub burst_min: u64,
    /// Codes whose bursts are detected (`--burst-code`, default RP-002).
    pub burst_codes: Vec<String>,
    /// The shortest acceptable retry after an RP-001, in seconds (`--rp001-min-retry`, 4 h).
    pub rp001_min_retry: i64,
    /// A Microsoft SNDS data export to join per sending IP (`--snds`).
    pub snds: Option<PathBuf>,
}

impl Default for AnalysisParams {
    fn default() -> Self {
        AnalysisParams {
            burst_window: 300,
            burst_min: 10,
            burst_codes: vec!["RP-002".to_string()],
            rp001_min_retry: 4 * 3600,
            snds: None,
        }
    }
}

/// One thing an operator should know, with its evidence and what to do.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    #[serde(serialize_with = "severity_str")]
    pub severity: Severity,
    /// A stable identifier: the rule id (`RP-001`) or the analysis (`burst`, `rp001-retry`).
    pub code: String,
    pub title: String,
    /// Counts, times and IPs that support it.
    pub evidence: String,
    pub action: String,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `serialize_with` passes a reference
fn severity_str<S: serde::Serializer>(s: &Severity, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.as_str())
}

/// Everything the analyses found.
#[derive(Clone, Debug, Default)]
pub struct Analyses {
    /// Ordered by severity, then by the size of the evidence.
    pub findings: Vec<Finding>,
}

/// What the analyses read: the scan's result, and the inputs for analyses that need another
/// pass over the rows.
#[derive(Debug)]
pub struct Context<'a> {
    pub inputs: &'a [Input],
    pub opts: &'a ScanOptions,
    pub classifier: &'a Classifier,
    pub filter: &'a Filter,
    pub rollup: &'a Rollup,
    pub scan: &'a ScanResult,
    pub params: &'a AnalysisParams,
}

/// Runs every analysis.
pub fn analyze(ctx: &Context<'_>) -> Analyses {
    let mut findings = codes::findings(&ctx.scan.aggregates, ctx.classifier);
    findings.sort_by_key(|f| f.severity);
    Analyses { findings }
}
