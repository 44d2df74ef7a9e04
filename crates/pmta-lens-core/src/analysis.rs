//! Deliverability analyses: the findings an operator acts on, computed by the core from a scan so
//! the summary, the JSON and the dashboard show the same ones. Each analysis lives in its own
//! module; [`run`] runs them all and orders the findings by severity.

pub mod bursts;
pub mod codes;
pub mod complaints;
pub mod findings;
pub mod follow;
pub mod index;
pub mod retry;
pub mod snds;
pub mod tiers;

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::acct::discover::Input;
use crate::aggregate;
use crate::classify::Classifier;
use crate::filter::Filter;
use crate::model::{Code, Severity};
use crate::rollup::Rollup;
use crate::scan::{self, Driver, Engine, Row, ScanOptions, ScanResult};

pub use bursts::Burst;
pub use complaints::Complaints;
pub use retry::RetryHygiene;
pub use snds::Snds;
pub use tiers::{Consistency, Tiers};

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
    pub severity: Severity,
    /// A stable identifier: the rule id (`RP-001`) or the analysis (`burst`, `rp001-retry`).
    pub code: String,
    pub title: String,
    /// Counts, times and IPs that support it.
    pub evidence: String,
    pub action: String,
}

/// Everything the analyses found.
#[derive(Clone, Debug, Default)]
pub struct Analyses {
    /// Ordered by severity, then by the size of the evidence.
    pub findings: Vec<Finding>,
    /// Bursts of the `--burst-code` codes, ordered by start, then scope (overall first, then
    /// sending IP), then code.
    pub bursts: Vec<Burst>,
    pub retry_hygiene: RetryHygiene,
    pub tiers: Tiers,
    pub consistency: Consistency,
    pub complaints: Complaints,
    /// The `--snds` join, when a file was given.
    pub snds: Option<Snds>,
    /// The window the bursts were measured over, seconds (for reports).
    pub burst_window: i64,
}

/// What the analyses read: the scan's result, and the inputs for analyses that need another
/// pass over the rows.
#[derive(Debug)]
pub struct AnalysisInput<'a> {
    pub inputs: &'a [Input],
    pub opts: &'a ScanOptions,
    pub classifier: &'a Classifier,
    pub filter: &'a Filter,
    pub rollup: &'a Rollup,
    pub scan: &'a ScanResult,
    pub params: &'a AnalysisParams,
}

/// The codes whose bursts are detected: the `burst_codes` names the classifier knows, each once.
fn burst_codes(params: &AnalysisParams, classifier: &Classifier) -> Vec<Code> {
    let mut out: Vec<Code> = Vec::new();
    for name in &params.burst_codes {
        if let Some(c) = classifier.parse_code(name).filter(|c| !out.contains(c)) {
            out.push(c);
        }
    }
    out
}

/// What the analyses need to see of the rows during the main scan (rows of the burst codes,
/// RP-001 deferrals, complaints): small, and bounded by the rows that have them.
#[derive(Clone, Debug, Default)]
pub struct Collected {
    minutes: bursts::CodeMinutes,
    blocks: retry::Blocks,
    reports: complaints::Reports,
}

/// Which rows [`Collected`] keeps; made once from the parameters.
#[derive(Debug)]
pub struct Plan {
    burst_codes: Vec<Code>,
    rp001: Option<Code>,
}

impl Plan {
    pub fn new(params: &AnalysisParams, classifier: &Classifier) -> Plan {
        Plan {
            burst_codes: burst_codes(params, classifier),
            rp001: classifier.rule_id("RP-001").map(Code::Rule),
        }
    }
}

impl Collected {
    /// Looks at one counted row (a side collector of the main scan, see [`scan::run_with`]).
    #[inline]
    pub fn row(&mut self, plan: &Plan, row: &Row<'_>) {
        self.minutes.row(&plan.burst_codes, row);
        if let Some(c) = plan.rp001 {
            self.blocks.row(c, row);
        }
        self.reports.row(row);
    }

    pub fn merge(&mut self, other: Collected) {
        self.minutes.merge(other.minutes);
        self.blocks.merge(other.blocks);
        self.reports.merge(other.reports);
    }
}

/// Scans and analyses in one go: the main scan collects what the analyses need, and the rows are
/// read a second time only when RP-001 retries or complaints must be followed to later (or
/// earlier) rows of the same recipients.
pub fn run(
    inputs: &[Input],
    opts: &ScanOptions,
    classifier: &Classifier,
    filter: &Filter,
    plan: &Arc<aggregate::Plan>,
    params: &AnalysisParams,
) -> (ScanResult, Analyses) {
    // The follow-up pass reads the same mappings.
    let opts = &opts.sharing_maps();
    let (scan, collected, rows) = scan_collecting(
        inputs,
        opts,
        classifier,
        filter,
        plan,
        params,
        index::BUDGET,
    );
    let ctx = AnalysisInput {
        inputs,
        opts,
        classifier,
        filter,
        rollup: &plan.rollup,
        scan: &scan,
        params,
    };
    let analyses = analyze_collected(&ctx, collected, Some(rows));
    (scan, analyses)
}

/// The main scan, collecting beside the counts what the analyses need and, within `budget`,
/// where the rows the follow-up may want are (so it need not read everything again).
fn scan_collecting(
    inputs: &[Input],
    opts: &ScanOptions,
    classifier: &Classifier,
    filter: &Filter,
    plan: &Arc<aggregate::Plan>,
    params: &AnalysisParams,
    budget: usize,
) -> (ScanResult, Collected, index::RowIndex) {
    let collect = Plan::new(params, classifier);
    let mut collected = Collected::default();
    let mut rows = index::RowIndex::new(budget);
    let scan = scan::run_with(
        inputs,
        opts,
        classifier,
        filter,
        plan,
        <(Collected, index::PieceIndex)>::default,
        |(c, ix), row| {
            c.row(&collect, row);
            ix.row(row);
        },
        |(c, ix), at| {
            collected.merge(c);
            rows.add(ix, at);
        },
    );
    (scan, collected, rows)
}

/// The engine of the passes after the scan: the scan's filter, rollup and classifier.
fn engine<'a>(ctx: &AnalysisInput<'a>) -> Engine<'a> {
    // `domain=` filters need every domain's rollup, as the scan had: its aggregates hold every
    // domain that can match (looked up in place, no copy).
    Engine {
        classifier: ctx.classifier,
        filter: ctx.filter,
        rollup: ctx.rollup,
        domain_map: ctx
            .filter
            .needs_domain()
            .then_some(&*ctx.scan.aggregates as &dyn scan::DomainLookup),
    }
}

/// Reads the rows of `inputs` (the scan's, or some of them) once more, with the scan's filter,
/// handing each piece's state to `consume` in input order.
fn pass<S>(
    ctx: &AnalysisInput<'_>,
    inputs: &[Input],
    sink: &S,
    mut consume: impl FnMut(S::Chunk) + Send,
) where
    S: scan::Sink<Fold = ()>,
{
    Driver::new(inputs, &ctx.opts.quiet()).run(&engine(ctx), sink, |c, _| {
        consume(c);
        ControlFlow::Continue(())
    });
}

/// The follow-up pass: through the scan's index of the rows it may want where there is one,
/// else by reading the inputs again. The same rows come to `consume`'s states in input order.
fn follow_up(
    ctx: &AnalysisInput<'_>,
    side: &FollowUp<'_>,
    rows: Option<&index::RowIndex>,
    mut consume: impl FnMut(Second) + Send,
) {
    let plan = rows.filter(|_| !side.want.by_queue()).and_then(|ix| {
        let maps = ctx.opts.maps.as_deref()?;
        ix.plan(ctx.inputs, maps, ctx.opts.mmap, &ctx.scan.report)
    });
    let Some(plan) = plan else {
        return pass(ctx, ctx.inputs, side, consume);
    };
    let eng = engine(ctx);
    for step in plan {
        match step {
            index::Step::Revisit(pieces) => {
                let states: Vec<Second> = pieces
                    .par_iter()
                    .map(|r| {
                        let offsets = r.offsets(|hash| side.want.may_want_hash(hash));
                        scan::revisit(&eng, r.data(), r.header(), offsets, side)
                    })
                    .collect();
                states.into_iter().for_each(&mut consume);
            }
            index::Step::Reread(files) => {
                let inputs = ctx.inputs.get(files).unwrap_or_default();
                pass(ctx, inputs, side, &mut consume);
            }
        }
    }
}

/// What the second pass collects in one chunk.
#[derive(Default)]
struct Second {
    next: retry::NextAttempts,
    deliveries: complaints::Deliveries,
}

/// The second pass: follows RP-001 recipients and queues to their next attempts, and
/// complaining recipients to their deliveries, declining every other row early.
struct FollowUp<'a> {
    want: follow::Wanted<'a>,
    targets: &'a retry::Targets,
    complainers: &'a rustc_hash::FxHashSet<Box<[u8]>>,
}

impl scan::Sink for FollowUp<'_> {
    type Fold = ();
    type Chunk = Second;

    fn new_fold(&self) {}

    fn new_chunk(&self) -> Second {
        Second::default()
    }

    fn merge(&self, (): &mut (), (): ()) {}

    #[inline]
    fn wants<'d>(
        &self,
        kind: crate::model::RecordKind,
        field: &dyn Fn(crate::acct::header::Col) -> &'d [u8],
    ) -> bool {
        self.want.wants(kind, field)
    }

    const SKIMS: bool = true;

    #[inline]
    fn skim(&self, line: &[u8], header: &crate::acct::header::Header) -> bool {
        self.want.may_want(line, header)
    }

    #[inline]
    fn row(&self, (): &mut (), st: &mut Second, row: &Row<'_>) {
        if !self.targets.is_empty() {
            st.next.row(self.targets, row);
        }
        if !self.complainers.is_empty() {
            st.deliveries.row(self.complainers, row);
        }
    }
}

/// The third pass: deliveries of the jobs complained about.
struct JobPass<'a> {
    jobs: &'a rustc_hash::FxHashSet<Box<[u8]>>,
}

impl scan::Sink for JobPass<'_> {
    type Fold = ();
    type Chunk = complaints::JobCounts;

    fn new_fold(&self) {}

    fn new_chunk(&self) -> complaints::JobCounts {
        complaints::JobCounts::default()
    }

    fn merge(&self, (): &mut (), (): ()) {}

    #[inline]
    fn wants<'d>(
        &self,
        kind: crate::model::RecordKind,
        _field: &dyn Fn(crate::acct::header::Col) -> &'d [u8],
    ) -> bool {
        kind == crate::model::RecordKind::Delivered
    }

    #[inline]
    fn row(&self, (): &mut (), st: &mut complaints::JobCounts, row: &Row<'_>) {
        st.count_listed(self.jobs, row.get(crate::acct::header::Col::JobId));
    }
}

/// Every analysis, from the aggregates and what the main scan collected; reads the rows again
/// (each pass only when something needs it) to follow RP-001 retries and complaints: through
/// `rows`, the scan's index of the rows the follow-up may want, when it kept one (see
/// [`index`]), else the inputs whole.
#[allow(clippy::too_many_lines)] // the passes in order, each reading what the last found
pub fn analyze_collected(
    ctx: &AnalysisInput<'_>,
    first: Collected,
    rows: Option<index::RowIndex>,
) -> Analyses {
    let agg = &ctx.scan.aggregates;
    let p = ctx.params;
    let codes = burst_codes(p, ctx.classifier);
    let mut found_bursts = bursts::find(
        &first.minutes,
        agg.minutes.len(),
        ctx.classifier,
        &codes,
        p.burst_window,
        p.burst_min,
    );
    let windows = bursts::Windows::new(&found_bursts, ctx.classifier);
    let resolve = |d: &str| agg.destination(d, ctx.rollup, &ctx.scan.hints);
    bursts::Detail::from_minutes(&windows, &first.minutes).fill(&mut found_bursts, &resolve);

    let targets = first.blocks.targets();
    let wanted = first.reports.recipients();
    let mut second = Second::default();
    if !targets.is_empty() || !wanted.is_empty() {
        let side = FollowUp {
            want: follow::Wanted::new(&targets, &wanted),
            targets: &targets,
            complainers: &wanted,
        };
        follow_up(ctx, &side, rows.as_ref(), |c| {
            second.next.merge(c.next);
            second.deliveries.merge(c.deliveries);
        });
    }
    // The index is of no more use: its memory goes back before the reports are built.
    drop(rows);
    let retry_hygiene = retry::finish(&targets, &second.next, p.rp001_min_retry, ctx.classifier);

    let matched = complaints::attribute(first.reports, second.deliveries);
    let jobs = matched.jobs();
    // Counted with the aggregates while there were few jobs; past that, pass 3.
    let mut job_counts = std::borrow::Cow::Borrowed(&agg.job_deliveries);
    if !jobs.is_empty() && !job_counts.complete() {
        let mut counted = complaints::JobCounts::default();
        pass(ctx, ctx.inputs, &JobPass { jobs: &jobs }, |c| {
            counted.merge(&c);
        });
        job_counts = std::borrow::Cow::Owned(counted);
    }
    let complaints = complaints::finish(&matched, &job_counts, agg, &resolve);

    let snds = p.snds.as_ref().map(|path| {
        let mut s = Snds {
            path: path.display().to_string(),
            ..Snds::default()
        };
        match snds::read(path) {
            Ok((rows, malformed)) => {
                s.rows = rows.len() as u64;
                s.malformed = malformed;
                s.ips = snds::join(&rows, agg, ctx.classifier);
            }
            Err(e) => s.error = Some(format!("{}: {e}", path.display())),
        }
        s
    });

    let mut a = Analyses {
        findings: Vec::new(),
        bursts: found_bursts,
        retry_hygiene,
        tiers: tiers::tiers(agg),
        consistency: tiers::consistency(agg),
        complaints,
        snds,
        burst_window: p.burst_window,
    };
    let mut f = codes::findings(agg, ctx.classifier);
    f.extend(findings::all(&a, p.burst_window));
    // Stable: within a severity, rule codes (largest first) come before the analyses.
    f.sort_by_key(|f| f.severity);
    a.findings = f;
    a
}

/// Serde helpers for the JSON shapes of the analyses (docs/json.md).
mod ser {
    use serde::Serializer;
    use serde::ser::{SerializeMap, SerializeSeq};

    use crate::aggregate::DAY;

    #[allow(clippy::trivially_copy_pass_by_ref)] // serde's `serialize_with` passes a reference
    pub fn time<S: Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::fmt::rfc3339(*t))
    }

    /// A UTC day start as `2026-01-14`.
    pub fn day(t: i64) -> String {
        let d = crate::fmt::rfc3339(t.div_euclid(DAY) * DAY);
        d.get(..10).unwrap_or(&d).to_string()
    }

    #[allow(clippy::trivially_copy_pass_by_ref)]
    pub fn date<S: Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&day(*t))
    }

    pub fn dates<S: Serializer>(v: &[i64], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for t in v {
            seq.serialize_element(&day(*t))?;
        }
        seq.end()
    }

    /// `[("a", 3)]` as `[{"key": "a", "count": 3}]`.
    pub fn pairs<S: Serializer>(v: &[(String, u64)], s: S) -> Result<S::Ok, S::Error> {
        struct Pair<'a>(&'a str, u64);
        impl serde::Serialize for Pair<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("key", self.0)?;
                m.serialize_entry("count", &self.1)?;
                m.end()
            }
        }
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for (k, n) in v {
            seq.serialize_element(&Pair(k, *n))?;
        }
        seq.end()
    }
}
