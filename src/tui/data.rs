//! What the loader hands the dashboard: one immutable [`Snapshot`] of a scan (complete or in
//! progress), shared by `Arc` so a new one replaces the old without copying the big parts.

use std::sync::Arc;

use crate::aggregate::Aggregates;
use crate::analysis::Finding;
use crate::scan::ScanReport;

/// The Rows view's index of row locations (built by the loader).
pub use super::views::rows::index::{Located, RowIndex, RowLoc, Segment};

/// A burst of deferrals as the analyses report it (RP-002 by default, `--burst-code`).
pub use crate::analysis::Burst;

/// Files, malformed rows and input problems of the scan so far: the driver's report, and what
/// only the dashboard knows.
#[derive(Debug, Default)]
pub struct ReportView {
    /// Files and malformed rows as the driver reports them (its input errors are in
    /// [`Self::problems`], as messages).
    pub scan: ScanReport,
    /// Inputs that could not be found or read, and warnings of the reads, as messages.
    pub problems: Vec<String>,
    /// Compressed inputs (or standard input) with rows past what is kept in memory for Rows.
    pub unbrowsable: Vec<String>,
    /// Files truncated while followed (`copytruncate`, `> file`), read again from their start;
    /// the latest last.
    pub shrunk: Vec<String>,
}

/// One state of the scan, as the views show it.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Which scan (filter) this belongs to: older generations are ignored.
    pub generation: u64,
    pub aggregates: Arc<Aggregates>,
    pub report: Arc<ReportView>,
    /// What to act on, most severe first (from the rule codes while scanning, from every
    /// analysis once complete).
    pub findings: Arc<Vec<Finding>>,
    /// RP-002 bursts; `None` while the analyses that find them are not available.
    pub bursts: Option<Arc<Vec<Burst>>>,
    /// Complaints per VMTA, IP, domain and job, as the summary has them; `None` until the
    /// analyses ran.
    pub complaints: Option<Arc<crate::analysis::Complaints>>,
    /// RP-001 retry hygiene (the recipients and queues retried too soon), after the analyses.
    pub retry: Option<Arc<crate::analysis::retry::RetryHygiene>>,
    /// Budget and observed connections per destination and pool; `None` without a budget
    /// source (no config, no `--max-smtp-out` / `--pool-size`) or before the analyses ran.
    pub connections: Option<Arc<crate::connections::Connections>>,
    /// There is a budget source: `connections` comes once the analyses have run.
    pub budget_expected: bool,
    pub rows: RowIndex,
    /// The first pass over every input is done (following goes on after it).
    pub complete: bool,
}
