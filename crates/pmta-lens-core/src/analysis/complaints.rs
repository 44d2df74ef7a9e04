//! Complaints (JMRP / ARF `f` rows) attributed to the delivery they complain about: the `d` row
//! with the same recipient (`rcpt`, else `header_X-HmXmrOriginalRecipient`), and the same job when
//! both rows carry one; then counts and complaint rates (complaints / delivered) per VMTA, sending
//! IP, rolled-up domain and job. A complaint no delivery matches stays `(unattributed)`.
//!
//! Memory stays bounded by the complaints: pass 1 keeps the `f` rows ([`Reports`]) while the
//! aggregates count the deliveries per job ([`JobCounts`], up to [`JOB_CAP`] jobs, in each
//! worker's fold rather than per chunk), pass 2 the `d` rows of just the
//! complaining recipients ([`Deliveries`]); only past the cap does pass 3 count the jobs
//! complained about.
//! Recipients compare ASCII case-insensitively.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::acct::header::Col;
pub use crate::aggregate::jobs::{JOB_CAP, JobCounts};
use crate::aggregate::{Aggregates, Dim};
use crate::model::{RecordKind, UNATTRIBUTED_KEY};
use crate::rollup;
use crate::scan::{self, Engine, Row, ScanOptions, ScanReport};

/// A complaint rate at or above this (0.3%) on a VMTA or IP makes the finding a warning.
pub const WARN_RATE: f64 = 0.003;

/// The complaining recipient of a row: `rcpt`, else the JMRP original-recipient header.
#[inline]
pub fn recipient<'a>(row: &Row<'a>) -> &'a [u8] {
    let r = row.get(Col::Rcpt);
    if r.is_empty() {
        row.get(Col::HmXmrOriginalRecipient)
    } else {
        r
    }
}

/// Lowercases into `buf` (reused: no allocation once it has grown).
#[inline]
fn lower<'b>(buf: &'b mut Vec<u8>, s: &[u8]) -> &'b [u8] {
    buf.clear();
    buf.extend_from_slice(s);
    buf.make_ascii_lowercase();
    buf
}

/// One `f` row.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Report {
    rcpt: Box<[u8]>,
    job: Box<[u8]>,
    time: Option<i64>,
}

/// Pass 1, per chunk: the complaints, in order.
#[derive(Clone, Debug, Default)]
pub struct Reports {
    reports: Vec<Report>,
    buf: Vec<u8>,
}

impl Reports {
    #[inline]
    pub fn row(&mut self, row: &Row<'_>) {
        if row.keys.kind != RecordKind::Feedback {
            return;
        }
        let rcpt: Box<[u8]> = lower(&mut self.buf, recipient(row)).into();
        self.reports.push(Report {
            rcpt,
            job: row.get(Col::JobId).into(),
            time: row.keys.time,
        });
    }

    pub fn merge(&mut self, mut other: Reports) {
        self.reports.append(&mut other.reports);
    }

    pub fn is_empty(&self) -> bool {
        self.reports.is_empty()
    }

    /// The recipients to look for in pass 2.
    pub fn recipients(&self) -> FxHashSet<Box<[u8]>> {
        self.reports
            .iter()
            .filter(|r| !r.rcpt.is_empty())
            .map(|r| r.rcpt.clone())
            .collect()
    }
}

/// One `d` row of a complaining recipient.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Delivery {
    time: Option<i64>,
    job: Box<[u8]>,
    vmta: Box<[u8]>,
    source_ip: Box<[u8]>,
}

/// Pass 2, per chunk: the deliveries to complaining recipients.
#[derive(Debug, Default)]
pub struct Deliveries {
    by_rcpt: FxHashMap<Box<[u8]>, Vec<Delivery>>,
    buf: Vec<u8>,
}

impl Deliveries {
    #[inline]
    pub fn row(&mut self, wanted: &FxHashSet<Box<[u8]>>, row: &Row<'_>) {
        if row.keys.kind != RecordKind::Delivered {
            return;
        }
        let rcpt = lower(&mut self.buf, row.get(Col::Rcpt));
        if !wanted.contains(rcpt) {
            return;
        }
        let d = Delivery {
            time: row.keys.time,
            job: row.get(Col::JobId).into(),
            vmta: row.keys.vmta.into(),
            source_ip: row.keys.source_ip.into(),
        };
        match self.by_rcpt.get_mut(rcpt) {
            Some(v) => v.push(d),
            None => {
                self.by_rcpt.insert(rcpt.into(), vec![d]);
            }
        }
    }

    pub fn merge(&mut self, other: Deliveries) {
        for (k, mut v) in other.by_rcpt {
            self.by_rcpt.entry(k).or_default().append(&mut v);
        }
    }
}

/// Complaints and rates under one key.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ComplaintGroup {
    pub key: String,
    pub complaints: u64,
    /// Delivered rows under the key (0 for `(unattributed)`).
    pub delivered: u64,
    /// complaints / delivered; `None` when nothing was delivered.
    pub rate: Option<f64>,
    /// The complaining recipients under the key, distinct (ASCII case-insensitively), in input
    /// order, lowercased: what a `rcpt=` filter needs to list exactly these complaint rows (the
    /// `f` rows carry no VMTA, IP or job of their delivery). Empty past
    /// [`GROUP_RECIPIENTS_CAP`] (such a filter would be too long to be of use) or when a
    /// complaint has no recipient.
    #[serde(skip)]
    pub recipients: Vec<String>,
}

/// The most recipients a [`ComplaintGroup`] lists.
pub const GROUP_RECIPIENTS_CAP: usize = 1_000;

/// A group's complaints while counting: the count and its distinct recipients (already
/// lowercased by [`Reports`]).
#[derive(Default)]
struct Tally {
    complaints: u64,
    seen: FxHashSet<Box<[u8]>>,
    recipients: Vec<String>,
    /// Past the cap, or a complaint without a recipient: no list.
    incomplete: bool,
}

impl Tally {
    fn add(&mut self, rcpt: &[u8]) {
        self.complaints += 1;
        if self.incomplete {
            return;
        }
        if rcpt.is_empty() || self.seen.len() >= GROUP_RECIPIENTS_CAP && !self.seen.contains(rcpt) {
            self.incomplete = true;
            self.seen = FxHashSet::default();
            self.recipients = Vec::new();
            return;
        }
        if self.seen.insert(rcpt.into()) {
            self.recipients
                .push(String::from_utf8_lossy(rcpt).into_owned());
        }
    }
}

/// Complaints attributed to deliveries.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Complaints {
    /// `f` rows.
    pub total: u64,
    /// Attributed to a delivery, and not.
    pub matched: u64,
    pub unmatched: u64,
    pub by_vmta: Vec<ComplaintGroup>,
    pub by_source_ip: Vec<ComplaintGroup>,
    pub by_domain: Vec<ComplaintGroup>,
    pub by_job: Vec<ComplaintGroup>,
}

/// The attribution of each complaint: (VMTA, IP, job) of its delivery, `None` when unmatched.
pub struct Matched {
    reports: Vec<Report>,
    attributed: Vec<Option<(String, String, String)>>,
}

impl Matched {
    /// The jobs to count deliveries of in pass 3.
    pub fn jobs(&self) -> FxHashSet<Box<[u8]>> {
        self.attributed
            .iter()
            .flatten()
            .filter(|(_, _, j)| !j.is_empty())
            .map(|(_, _, j)| j.as_bytes().into())
            .collect()
    }
}

/// Attributes each complaint to its delivery: same recipient, same job when both have one, the
/// latest delivery not after the complaint (else the earliest one: clocks can disagree).
pub fn attribute(reports: Reports, deliveries: Deliveries) -> Matched {
    let mut by_rcpt = deliveries.by_rcpt;
    for v in by_rcpt.values_mut() {
        v.sort();
    }
    let attributed = reports
        .reports
        .iter()
        .map(|r| {
            let cands: Vec<&Delivery> = by_rcpt
                .get(&r.rcpt)?
                .iter()
                .filter(|d| r.job.is_empty() || d.job.is_empty() || d.job == r.job)
                .collect();
            let before = match r.time {
                Some(t) => cands
                    .iter()
                    .rev()
                    .find(|d| d.time.is_some_and(|dt| dt <= t)),
                None => cands.last(),
            };
            let d = before.or(cands.first())?;
            let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            Some((s(&d.vmta), s(&d.source_ip), s(&d.job)))
        })
        .collect();
    Matched {
        reports: reports.reports,
        attributed,
    }
}

/// Counts per key, with the delivered denominators.
fn groups(counts: BTreeMap<String, Tally>, delivered: impl Fn(&str) -> u64) -> Vec<ComplaintGroup> {
    let mut v: Vec<ComplaintGroup> = counts
        .into_iter()
        .map(|(key, t)| {
            let (complaints, recipients) = (t.complaints, t.recipients);
            let delivered = if key == UNATTRIBUTED_KEY {
                0
            } else {
                delivered(&key)
            };
            ComplaintGroup {
                rate: (delivered > 0).then(|| complaints as f64 / delivered as f64),
                key,
                complaints,
                delivered,
                recipients,
            }
        })
        .collect();
    v.sort_by(|a, b| {
        b.complaints
            .cmp(&a.complaints)
            .then_with(|| a.key.cmp(&b.key))
    });
    v
}

/// The complaint report. `jobs` holds the deliveries per job from pass 3.
pub fn finish(
    m: &Matched,
    jobs: &JobCounts,
    agg: &Aggregates,
    resolve: &dyn Fn(&str) -> String,
) -> Complaints {
    let un = || UNATTRIBUTED_KEY.to_string();
    let mut out = Complaints {
        total: m.reports.len() as u64,
        ..Complaints::default()
    };
    let mut by_vmta: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_ip: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_domain: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_job: BTreeMap<String, Tally> = BTreeMap::new();
    for (r, a) in m.reports.iter().zip(&m.attributed) {
        let domain = String::from_utf8_lossy(rollup::address_domain(&r.rcpt)).into_owned();
        let domain = if domain.is_empty() {
            un()
        } else {
            resolve(&domain)
        };
        by_domain.entry(domain).or_default().add(&r.rcpt);
        let (vmta, ip, job) = a.clone().unwrap_or_default();
        if a.is_some() {
            out.matched += 1;
        } else {
            out.unmatched += 1;
        }
        let or_un = |s: String| if s.is_empty() { un() } else { s };
        by_vmta.entry(or_un(vmta)).or_default().add(&r.rcpt);
        by_ip.entry(or_un(ip)).or_default().add(&r.rcpt);
        by_job.entry(or_un(job)).or_default().add(&r.rcpt);
    }
    let delivered_by = |dim: Dim| -> FxHashMap<String, u64> {
        agg.group(dim)
            .into_iter()
            .map(|b| (b.key.to_string(), b.counts.counts.delivered()))
            .collect()
    };
    let vmtas = delivered_by(Dim::Vmta);
    let ips = delivered_by(Dim::SourceIp);
    out.by_vmta = groups(by_vmta, |k| vmtas.get(k).copied().unwrap_or(0));
    out.by_source_ip = groups(by_ip, |k| ips.get(k).copied().unwrap_or(0));
    // Looked up one by one: a large sender has a hundred thousand destinations.
    out.by_domain = groups(by_domain, |k| {
        agg.destination_counts(k).map_or(0, |c| c.delivered())
    });
    out.by_job = groups(by_job, |k| jobs.of(k.as_bytes()));
    out
}

/// Recipients of the rows that pass the engine's filter (`rcpt`, else the JMRP
/// original-recipient header), deduplicated ASCII case-insensitively, first spelling kept, in
/// input order: `rows --format rcpt`, a suppression list from `--where type=f`.
pub fn recipient_list(
    inputs: &[crate::acct::discover::Input],
    opts: &ScanOptions,
    eng: &Engine<'_>,
) -> (Vec<String>, ScanReport) {
    /// Each piece's recipients, first spelling kept.
    #[derive(Default)]
    struct Chunk {
        seen: FxHashSet<Box<[u8]>>,
        list: Vec<Box<[u8]>>,
        buf: Vec<u8>,
    }
    struct Recipients;
    impl scan::Sink for Recipients {
        type Fold = ();
        type Chunk = Chunk;

        fn new_fold(&self) {}

        fn new_chunk(&self) -> Chunk {
            Chunk::default()
        }

        fn merge(&self, (): &mut (), (): ()) {}

        fn row(&self, (): &mut (), c: &mut Chunk, row: &Row<'_>) {
            let r = recipient(row);
            if r.is_empty() {
                return;
            }
            let l = lower(&mut c.buf, r);
            if !c.seen.contains(l) {
                c.seen.insert(l.into());
                c.list.push(r.into());
            }
        }
    }
    let mut seen: FxHashSet<Vec<u8>> = FxHashSet::default();
    let mut out = Vec::new();
    let ((), report) = scan::Driver::new(inputs, opts).run(eng, &Recipients, |c, _| {
        for r in c.list {
            if seen.insert(r.to_ascii_lowercase()) {
                out.push(String::from_utf8_lossy(&r).into_owned());
            }
        }
        std::ops::ControlFlow::Continue(())
    });
    (out, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rep(rcpt: &str, job: &str, time: i64) -> Report {
        Report {
            rcpt: rcpt.as_bytes().into(),
            job: job.as_bytes().into(),
            time: Some(time),
        }
    }

    fn dlv(job: &str, time: i64, vmta: &str) -> Delivery {
        Delivery {
            time: Some(time),
            job: job.as_bytes().into(),
            vmta: vmta.as_bytes().into(),
            source_ip: b"192.0.2.1"[..].into(),
        }
    }

    #[test]
    fn a_group_lists_its_recipients_once_up_to_the_cap() {
        let mut t = Tally::default();
        for r in ["a@x.example", "b@x.example", "a@x.example"] {
            t.add(r.as_bytes());
        }
        assert_eq!(t.complaints, 3);
        assert_eq!(t.recipients, ["a@x.example", "b@x.example"]);
        // a complaint without a recipient: no `rcpt=` list can name it
        t.add(b"");
        assert!(t.incomplete && t.recipients.is_empty());
        let mut t = Tally::default();
        for i in 0..=GROUP_RECIPIENTS_CAP {
            t.add(format!("u{i}@x.example").as_bytes());
        }
        assert_eq!(t.complaints, GROUP_RECIPIENTS_CAP as u64 + 1);
        assert!(t.incomplete && t.recipients.is_empty());
    }

    #[test]
    fn attribution_cases() {
        let mut deliveries = Deliveries::default();
        deliveries.by_rcpt.insert(
            b"a@x.example"[..].into(),
            vec![
                dlv("j2", 200, "v2"),
                dlv("j1", 100, "v1"),
                dlv("", 50, "v0"),
            ],
        );
        // (case, report, expected VMTA)
        let cases: [(&str, Report, Option<&str>); 5] = [
            (
                "same job wins over a later delivery of another job",
                rep("a@x.example", "j1", 1000),
                Some("v1"),
            ),
            (
                "no job: the latest delivery before the complaint",
                rep("a@x.example", "", 150),
                Some("v1"),
            ),
            (
                "complaint before every delivery: the earliest",
                rep("a@x.example", "j2", 10),
                Some("v0"),
            ),
            ("unknown recipient", rep("b@x.example", "", 1000), None),
            (
                "a job no delivery has: only the job-less delivery",
                rep("a@x.example", "j9", 1000),
                Some("v0"),
            ),
        ];
        for (name, r, want) in cases {
            let mut reports = Reports::default();
            reports.reports.push(r);
            let d = Deliveries {
                by_rcpt: deliveries.by_rcpt.clone(),
                buf: Vec::new(),
            };
            let m = attribute(reports, d);
            assert_eq!(
                m.attributed[0].as_ref().map(|a| a.0.as_str()),
                want,
                "{name}"
            );
        }
    }
}
