//! Aggregates: what a scan counts, in two forms. [`Partial`] is what one worker folds rows into
//! (strings interned to ids, cheap to update per row, mergeable); [`Aggregates`] is the merged,
//! resolved result every front end reads (rollups applied, deterministic order).
//!
//! Memory model: every distinct VMTA, IP, pool and recipient domain is interned once
//! ([`Dict`]), and counts live in per-dimension tables keyed by those ids: per sender (one VMTA
//! on one IP in one pool, as `PowerMTA` configures them), per recipient domain, per code, and
//! the few cross-tables a view or a finding needs (sender x code, domain x code, per minute,
//! Microsoft per sender and day, SMTP rows per destination and pool). Nothing is keyed by the
//! product of the dimensions, so memory grows with the sum of the distinct values (a few dozen
//! bytes each, plus one count row per domain), never with the number of rows.

mod counts;
pub mod dict;
pub mod jobs;
mod resolved;

use std::sync::Arc;

use rustc_hash::FxHashMap;

pub use counts::CountTable;
pub use dict::Dict;
pub use resolved::{Aggregates, Bucket, Destination, Dim, Keyed, RcptLine, SenderLine};

use crate::model::{Code, NONE_KEY, RecordKind, TypeCounts, UNATTRIBUTED_KEY};
use crate::rollup::{self, DomainHints, MICROSOFT, Rollup};

/// Seconds in a day: per-day counts are per UTC calendar day.
pub use crate::duration::DAY;

/// Counts by record type with the first and last time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellCounts {
    pub counts: TypeCounts,
    /// First and last `timeLogged` of the rows (`i64::MAX` / `i64::MIN` when none had one).
    pub first: i64,
    pub last: i64,
}

impl Default for CellCounts {
    fn default() -> Self {
        CellCounts {
            counts: TypeCounts::default(),
            first: i64::MAX,
            last: i64::MIN,
        }
    }
}

impl CellCounts {
    #[inline]
    pub fn add(&mut self, kind: RecordKind, time: Option<i64>) {
        self.counts.add(kind, 1);
        if let Some(t) = time {
            self.first = self.first.min(t);
            self.last = self.last.max(t);
        }
    }

    pub fn merge(&mut self, other: &CellCounts) {
        self.counts.merge(&other.counts);
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
    }

    pub fn first(&self) -> Option<i64> {
        (self.first != i64::MAX).then_some(self.first)
    }

    pub fn last(&self) -> Option<i64> {
        (self.last != i64::MIN).then_some(self.last)
    }
}

/// One row, reduced to what aggregation needs (borrowed from the scanned bytes).
#[derive(Clone, Copy, Debug)]
pub struct RowKeys<'a> {
    pub kind: RecordKind,
    pub time: Option<i64>,
    pub vmta: &'a [u8],
    pub source_ip: &'a [u8],
    pub rcpt_domain: &'a [u8],
    pub pool: &'a [u8],
    pub code: Code,
    /// A `NAME.rollup` from the row's queue.
    pub queue_rollup: Option<&'a [u8]>,
    pub microsoft_mx: bool,
    /// The row's `jobId` (empty: none).
    pub job: &'a [u8],
}

/// How a recipient domain relates to the Microsoft rollup, decided from the rollup alone the
/// first time a worker sees the domain (the hints that may change it come later).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fixed {
    /// Rolls up to `outlook.com` whatever the hints say.
    Microsoft,
    /// Rolls up elsewhere whatever the hints say (an operator rollup).
    Elsewhere,
    /// Up to the hints: itself, a queue's `NAME.rollup`, or `outlook.com` for a Microsoft MX.
    Hinted,
}

/// Per recipient domain (as written): what bears on its rollup (its counts are apart, in a
/// [`CountTable`]).
#[derive(Clone, Copy, Debug)]
struct DomainStat {
    fixed: Fixed,
    /// A row of the domain went to a Microsoft consumer MX.
    microsoft_mx: bool,
}

/// What a scan counts, and how (made once per scan, shared by its workers).
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// The rollup in force: decides which domains' rows the Microsoft tables keep.
    pub rollup: Arc<Rollup>,
    /// Count SMTP rows per destination and pool (for the connection budget).
    pub pool_groups: bool,
    /// Count rows with a response per recipient domain and code (for the dashboard's
    /// Domains view; the summary does not show them).
    pub domain_codes: bool,
    /// The config's pool of each VMTA (by lowercase name), for rows that name none (no
    /// `vmtaPool` column): the first pool in the config that lists it.
    pub vmta_pools: FxHashMap<Box<[u8]>, Box<[u8]>>,
}

/// What one worker accumulates. Mergeable in any order with the same result. `Clone`, so a front
/// end can finish a snapshot of a scan in progress and keep adding to the original.
#[derive(Clone, Debug)]
pub struct Partial {
    plan: Arc<Plan>,
    pub records: u64,
    pub by_type: TypeCounts,
    pub first: Option<i64>,
    pub last: Option<i64>,
    vmtas: Dict,
    ips: Dict,
    pools: Dict,
    /// Recipient domains as written (case is folded when resolved).
    domains: Dict,
    domain_stats: Vec<DomainStat>,
    domain_counts: CountTable,
    /// `NAME.rollup` queue names, and the one a domain's rows named (the smallest when several).
    rollups: Dict,
    queue_rollups: FxHashMap<u32, u32>,
    /// (VMTA, IP, pool) as bytes -> sender id; the ids of each sender's parts (and of its pool
    /// for the budget: the config's when the rows name none); its counts.
    senders: Dict,
    sender_dims: Vec<[u32; 4]>,
    sender_counts: Vec<TypeCounts>,
    /// Rows with a response, per code.
    codes: FxHashMap<Code, CellCounts>,
    sender_codes: FxHashMap<(u32, Code), u64>,
    domain_codes: FxHashMap<(u32, Code), u64>,
    minutes: FxHashMap<i64, TypeCounts>,
    /// Rows of the current minute, not yet in `minutes` (rows come in time order, so the minute
    /// rarely changes from one row to the next).
    minute: Option<(i64, TypeCounts)>,
    /// Rows with a response per (minute, code), and the current one.
    code_minutes: FxHashMap<(i64, Code), u64>,
    code_minute: Option<((i64, Code), u64)>,
    /// Rows toward `outlook.com`: per sender; delivery attempts per (UTC day, sender); rows
    /// with a response per (sender, code). A row counts when its domain is Microsoft's by the
    /// rollup, or when the row itself went to a Microsoft consumer MX (deliveries and
    /// Microsoft's replies do) and no queue rolled it up elsewhere: decided per row, so these
    /// tables grow with the senders, not with a large sender's many domains, and do not depend
    /// on how the rows were shared among workers.
    ms_senders: FxHashMap<u32, TypeCounts>,
    ms_days: FxHashMap<(i64, u32), TypeCounts>,
    ms_codes: FxHashMap<(u32, Code), u64>,
    /// SMTP rows (`d`, `t`, `b`, `tq`) of a known VMTA per (domain, pool id), when planned.
    /// Kept per domain for its first pool (most domains are sent through one), in the map
    /// for the others.
    domain_pool: Vec<(u32, u32)>,
    smtp_pools: FxHashMap<(u32, u32), u64>,
    /// Deliveries per job (for complaint rates per job), up to [`jobs::JOB_CAP`] jobs.
    jobs: jobs::JobCounts,
    /// Scratch for a sender's key bytes and a lowercased domain.
    scratch: Vec<u8>,
}

impl Default for Partial {
    fn default() -> Self {
        Partial::new(Arc::new(Plan {
            pool_groups: true,
            domain_codes: true,
            ..Plan::default()
        }))
    }
}

/// No pool yet (see `Partial::domain_pool`).
const NO_POOL: u32 = u32::MAX;

/// SMTP rows per (domain, pool) from the per-domain first pools and the map of the others, each
/// pair once or more (the sums are the counts).
fn smtp_pairs<'a>(
    first: &'a [(u32, u32)],
    others: &'a FxHashMap<(u32, u32), u64>,
) -> impl Iterator<Item = (u32, u32, u64)> + 'a {
    first
        .iter()
        .enumerate()
        .filter(|(_, (p, n))| *p != NO_POOL && *n > 0)
        .map(|(d, &(p, n))| (d as u32, p, u64::from(n)))
        .chain(others.iter().map(|(&(d, p), &n)| (d, p, n)))
}

impl Partial {
    pub fn new(plan: Arc<Plan>) -> Partial {
        Partial {
            plan,
            records: 0,
            by_type: TypeCounts::default(),
            first: None,
            last: None,
            vmtas: Dict::default(),
            ips: Dict::default(),
            pools: Dict::default(),
            domains: Dict::default(),
            domain_stats: Vec::new(),
            domain_counts: CountTable::default(),
            rollups: Dict::default(),
            queue_rollups: FxHashMap::default(),
            senders: Dict::default(),
            sender_dims: Vec::new(),
            sender_counts: Vec::new(),
            codes: FxHashMap::default(),
            sender_codes: FxHashMap::default(),
            domain_codes: FxHashMap::default(),
            minutes: FxHashMap::default(),
            minute: None,
            code_minutes: FxHashMap::default(),
            code_minute: None,
            ms_senders: FxHashMap::default(),
            ms_days: FxHashMap::default(),
            ms_codes: FxHashMap::default(),
            domain_pool: Vec::new(),
            smtp_pools: FxHashMap::default(),
            jobs: jobs::JobCounts::default(),
            scratch: Vec::new(),
        }
    }

    /// The sender (VMTA, IP, pool) of a row.
    #[inline]
    fn sender(&mut self, vmta: &[u8], ip: &[u8], pool: &[u8]) -> u32 {
        let key = &mut self.scratch;
        key.clear();
        // Each part with its length before it, so no two senders' keys run together.
        for s in [vmta, ip, pool] {
            key.extend_from_slice(&(s.len() as u32).to_le_bytes());
            key.extend_from_slice(s);
        }
        let (id, new) = self.senders.intern_new(key);
        if new {
            let configured = (pool == NONE_KEY.as_bytes() && !self.plan.vmta_pools.is_empty())
                .then(|| self.plan.vmta_pools.get(&vmta.to_ascii_lowercase()[..]))
                .flatten();
            let budget_pool = match configured {
                Some(p) => self.pools.intern(p),
                None => self.pools.intern(pool),
            };
            let dims = [
                self.vmtas.intern(vmta),
                self.ips.intern(ip),
                self.pools.intern(pool),
                budget_pool,
            ];
            self.sender_dims.push(dims);
            self.sender_counts.push(TypeCounts::default());
        }
        id
    }

    /// The recipient domain of a row.
    #[inline]
    fn domain(&mut self, domain: &[u8]) -> u32 {
        let (id, new) = self.domains.intern_new(domain);
        if new {
            let fixed = self.fixed(domain);
            self.new_domain(fixed);
        }
        id
    }

    /// A recipient domain whose relation to the rollup is known (merging another partial).
    fn domain_as(&mut self, domain: &[u8], fixed: Fixed) -> u32 {
        let (id, new) = self.domains.intern_new(domain);
        if new {
            self.new_domain(fixed);
        }
        id
    }

    fn new_domain(&mut self, fixed: Fixed) {
        self.domain_counts.push();
        self.domain_stats.push(DomainStat {
            fixed,
            microsoft_mx: false,
        });
    }

    /// How a new domain relates to the Microsoft rollup (once per distinct domain).
    fn fixed(&mut self, domain: &[u8]) -> Fixed {
        // Without operator rollups, an ASCII name needs no lowercased copy (non-ASCII ones do:
        // Unicode folds some letters to ASCII).
        if self.plan.rollup.builtin_only() && domain.is_ascii() {
            return if rollup::is_microsoft_family_ascii(domain) {
                Fixed::Microsoft
            } else {
                Fixed::Hinted
            };
        }
        let lower = &mut self.scratch;
        lower.clear();
        lower.extend_from_slice(domain);
        lower.make_ascii_lowercase();
        let name = match std::str::from_utf8(lower) {
            Ok(s) if s.is_ascii() => std::borrow::Cow::Borrowed(s),
            // Non-ASCII names are folded as `finish` folds them.
            _ => std::borrow::Cow::Owned(String::from_utf8_lossy(domain).to_lowercase()),
        };
        match self.plan.rollup.fixed(&name) {
            Some(MICROSOFT) => Fixed::Microsoft,
            Some(_) => Fixed::Elsewhere,
            None => Fixed::Hinted,
        }
    }

    /// Counts one row.
    #[inline]
    pub fn add(&mut self, row: &RowKeys<'_>) {
        self.records += 1;
        self.by_type.add(row.kind, 1);
        let minute = row.time.map(|t| t.div_euclid(60) * 60);
        if let Some(t) = row.time {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        if let Some(m) = minute {
            match &mut self.minute {
                Some((cur, counts)) if *cur == m => counts.add(row.kind, 1),
                _ => {
                    let mut counts = TypeCounts::default();
                    counts.add(row.kind, 1);
                    if let Some((cur, c)) = self.minute.replace((m, counts)) {
                        self.minutes.entry(cur).or_default().merge(&c);
                    }
                }
            }
        }
        let sender = self.sender(row.vmta, row.source_ip, row.pool);
        self.sender_counts[sender as usize].add(row.kind, 1);
        let domain = self.domain(row.rcpt_domain);
        self.domain_counts.add(domain, row.kind);
        let stat = &mut self.domain_stats[domain as usize];
        stat.microsoft_mx |= row.microsoft_mx;
        let microsoft = match stat.fixed {
            Fixed::Microsoft => true,
            Fixed::Elsewhere => false,
            // Up to the row itself (so no worker's share of the rows changes the count): it
            // went to a Microsoft MX, and no queue's `NAME.rollup` (which wins) took it.
            Fixed::Hinted => row.microsoft_mx && row.queue_rollup.is_none(),
        };
        if let Some(q) = row.queue_rollup {
            let q = self.rollups.intern(q);
            let smallest = match self.queue_rollups.get(&domain) {
                Some(&cur) if self.rollups.get(cur) <= self.rollups.get(q) => cur,
                _ => q,
            };
            self.queue_rollups.insert(domain, smallest);
        }
        if row.kind == RecordKind::Delivered {
            self.jobs.count_delivery(row.job);
        }
        let responds = row.kind.has_response();
        if responds {
            self.codes
                .entry(row.code)
                .or_default()
                .add(row.kind, row.time);
            *self.sender_codes.entry((sender, row.code)).or_default() += 1;
            if self.plan.domain_codes {
                *self.domain_codes.entry((domain, row.code)).or_default() += 1;
            }
            if let Some(m) = minute {
                let k = (m, row.code);
                match &mut self.code_minute {
                    Some((cur, n)) if *cur == k => *n += 1,
                    _ => {
                        if let Some((cur, n)) = self.code_minute.replace((k, 1)) {
                            *self.code_minutes.entry(cur).or_default() += n;
                        }
                    }
                }
            }
        }
        if microsoft {
            self.ms_senders.entry(sender).or_default().add(row.kind, 1);
            if let (Some(t), true) = (row.time, row.kind.is_attempt()) {
                self.ms_days
                    .entry((t.div_euclid(DAY) * DAY, sender))
                    .or_default()
                    .add(row.kind, 1);
            }
            if responds {
                *self.ms_codes.entry((sender, row.code)).or_default() += 1;
            }
        }
        if self.plan.pool_groups && row.kind.is_smtp() && attributed(row.vmta) {
            let pool = self.sender_dims[sender as usize][3];
            self.add_smtp_pool(domain, pool, 1);
        }
    }

    /// Moves what the hot path counted on the side into the maps.
    fn flush(&mut self) {
        if let Some((m, c)) = self.minute.take() {
            self.minutes.entry(m).or_default().merge(&c);
        }
        if let Some((k, n)) = self.code_minute.take() {
            *self.code_minutes.entry(k).or_default() += n;
        }
    }

    /// Folds `other` into `self`.
    #[allow(clippy::needless_pass_by_value)] // takes the worker's state and frees it
    pub fn merge(&mut self, other: Partial) {
        self.merge_ref(&other);
    }

    /// Folds a copy of `other` into `self` (`other` is left as it was: a front end's snapshot
    /// of a scan that goes on).
    pub fn merge_ref(&mut self, other: &Partial) {
        self.flush();
        self.records += other.records;
        self.by_type.merge(&other.by_type);
        self.first = min_opt(self.first, other.first);
        self.last = max_opt(self.last, other.last);
        // Senders and domains first: they add their parts' ids and stats as they are new.
        let mut senders = Vec::with_capacity(other.senders.len());
        for (i, dims) in other.sender_dims.iter().enumerate() {
            let id = self.sender(
                other.vmtas.get(dims[0]),
                other.ips.get(dims[1]),
                other.pools.get(dims[2]),
            );
            self.sender_counts[id as usize].merge(&other.sender_counts[i]);
            senders.push(id);
        }
        let mut domains = Vec::with_capacity(other.domains.len());
        for (i, name) in other.domains.iter().enumerate() {
            // Its relation to the rollup is the other's: the same plan decided it.
            let id = self.domain_as(name, other.domain_stats[i].fixed);
            self.domain_counts
                .add_counts(id, &other.domain_counts.get(i as u32));
            self.domain_stats[id as usize].microsoft_mx |= other.domain_stats[i].microsoft_mx;
            domains.push(id);
        }
        let pools = self.pools.absorb(&other.pools);
        let rollups = self.rollups.absorb(&other.rollups);
        let (s, d) = (
            |id: u32| senders[id as usize],
            |id: u32| domains[id as usize],
        );
        for (&dom, &q) in &other.queue_rollups {
            let (dom, q) = (d(dom), rollups[q as usize]);
            let smallest = match self.queue_rollups.get(&dom) {
                Some(&cur) if self.rollups.get(cur) <= self.rollups.get(q) => cur,
                _ => q,
            };
            self.queue_rollups.insert(dom, smallest);
        }
        for (code, c) in &other.codes {
            self.codes.entry(*code).or_default().merge(c);
        }
        for ((sender, code), n) in &other.sender_codes {
            *self.sender_codes.entry((s(*sender), *code)).or_default() += n;
        }
        for ((dom, code), n) in &other.domain_codes {
            *self.domain_codes.entry((d(*dom), *code)).or_default() += n;
        }
        // Their pending minute is merged like the rest.
        for (m, c) in other
            .minutes
            .iter()
            .chain(other.minute.as_ref().map(|(m, c)| (m, c)))
        {
            self.minutes.entry(*m).or_default().merge(c);
        }
        for (k, n) in other
            .code_minutes
            .iter()
            .chain(other.code_minute.as_ref().map(|(k, n)| (k, n)))
        {
            *self.code_minutes.entry(*k).or_default() += n;
        }
        for (sender, c) in &other.ms_senders {
            self.ms_senders.entry(s(*sender)).or_default().merge(c);
        }
        for ((day, sender), c) in &other.ms_days {
            self.ms_days.entry((*day, s(*sender))).or_default().merge(c);
        }
        for ((sender, code), n) in &other.ms_codes {
            *self.ms_codes.entry((s(*sender), *code)).or_default() += n;
        }
        for (dom, pool, n) in other.smtp_pools() {
            self.add_smtp_pool(d(dom), pools[pool as usize], n);
        }
        self.jobs.merge_any(&other.jobs);
    }

    /// Counts `n` SMTP rows of `domain` through `pool`.
    fn add_smtp_pool(&mut self, domain: u32, pool: u32, n: u64) {
        let i = domain as usize;
        if self.domain_pool.len() <= i {
            self.domain_pool.resize(i + 1, (NO_POOL, 0));
        }
        let slot = &mut self.domain_pool[i];
        if slot.0 == NO_POOL {
            slot.0 = pool;
        }
        if slot.0 == pool
            && let Some(sum) = u32::try_from(n).ok().and_then(|n| slot.1.checked_add(n))
        {
            slot.1 = sum;
            return;
        }
        *self.smtp_pools.entry((domain, pool)).or_default() += n;
    }

    /// SMTP rows per (domain, pool), each pair once or more (the sums are the counts).
    fn smtp_pools(&self) -> impl Iterator<Item = (u32, u32, u64)> + '_ {
        smtp_pairs(&self.domain_pool, &self.smtp_pools)
    }

    /// What the scan saw about each recipient domain's rollup (lowercased domain).
    pub fn domain_hints(&self) -> FxHashMap<String, DomainHints> {
        let mut out: FxHashMap<String, DomainHints> = FxHashMap::default();
        for (id, stat) in self.domain_stats.iter().enumerate() {
            let queue_rollup = self.queue_rollups.get(&(id as u32));
            if !stat.microsoft_mx && queue_rollup.is_none() {
                continue;
            }
            let hints = DomainHints {
                queue_rollup: queue_rollup.map(|q| lower(self.rollups.get(*q))),
                microsoft_mx: stat.microsoft_mx,
            };
            out.entry(lower(self.domains.get(id as u32)))
                .or_default()
                .merge(&hints);
        }
        out
    }

    /// Resolves ids to strings, applies the rollup once per distinct domain (with what this
    /// partial saw of each domain), and orders everything deterministically.
    pub fn finish(self, rollup: &Rollup) -> Aggregates {
        self.finish_after(rollup, &Aggregates::default())
    }

    /// [`Self::finish`] for a front end that shows snapshots: the destinations' names that
    /// `shown` (the snapshot on screen) has too are shared with it, not allocated again.
    pub fn finish_after(mut self, rollup: &Rollup, shown: &Aggregates) -> Aggregates {
        self.flush();
        resolved::finish(&mut self, rollup, None, true, shown)
    }

    /// [`Self::finish_after`] of what was counted so far, which goes on counting: a front
    /// end's snapshot of a scan in progress, with no copy of the counts.
    pub fn finish_so_far(&mut self, rollup: &Rollup, shown: &Aggregates) -> Aggregates {
        self.flush();
        resolved::finish(self, rollup, None, false, shown)
    }

    /// [`Self::finish`], with the rollup hints of a scan of all the rows (the partial of a
    /// filtered scan saw only some).
    pub fn finish_with_hints(
        mut self,
        rollup: &Rollup,
        hints: &FxHashMap<String, DomainHints>,
    ) -> Aggregates {
        self.flush();
        resolved::finish(&mut self, rollup, Some(hints), true, &Aggregates::default())
    }
}

/// A domain or name lowercased as the rollup compares them.
fn lower(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_lowercase()
}

fn attributed(vmta: &[u8]) -> bool {
    vmta != NONE_KEY.as_bytes() && vmta != UNATTRIBUTED_KEY.as_bytes()
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Each bucket's key and total, in order: what the tests compare.
#[cfg(test)]
pub(crate) fn key_totals(buckets: &[Bucket<Arc<str>>]) -> Vec<(String, u64)> {
    buckets
        .iter()
        .map(|b| (b.key.to_string(), b.total()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EnhancedStatus, SmtpCode};

    fn row<'a>(
        kind: RecordKind,
        vmta: &'a str,
        domain: &'a str,
        code: Code,
        t: i64,
    ) -> RowKeys<'a> {
        RowKeys {
            kind,
            time: Some(t),
            vmta: vmta.as_bytes(),
            source_ip: if vmta == "v1" {
                b"192.0.2.1"
            } else {
                b"192.0.2.2"
            },
            rcpt_domain: domain.as_bytes(),
            pool: b"(none)",
            code,
            queue_rollup: None,
            microsoft_mx: false,
            job: b"",
        }
    }

    fn sample_rows() -> Vec<RowKeys<'static>> {
        let s = Code::Status(EnhancedStatus::parse(b"5.1.1").expect("valid"));
        let mut mx = row(RecordKind::Delivered, "v2", "Hotmail.es", Code::None, 300);
        mx.microsoft_mx = true;
        let mut rolled = row(RecordKind::Delivered, "v2", "aol.com", Code::None, 310);
        rolled.queue_rollup = Some(b"yahoo.rollup");
        rolled.microsoft_mx = true;
        vec![
            row(RecordKind::Delivered, "v1", "Hotmail.com", Code::None, 100),
            row(RecordKind::Delivered, "v2", "gmail.com", Code::None, 160),
            row(
                RecordKind::Transient,
                "v1",
                "live.de",
                Code::Smtp(SmtpCode(421)),
                130,
            ),
            row(RecordKind::Bounced, "v2", "hotmail.com", s, 90),
            row(RecordKind::Delivered, "v1", "example.org", Code::None, 200),
            row(RecordKind::Delivered, "v1", "live.com", Code::None, DAY + 5),
            row(RecordKind::Feedback, "v1", "live.com", Code::None, DAY + 9),
            mx,
            // Microsoft's reply: this row shows the MX too.
            {
                let mut t = row(RecordKind::Transient, "v2", "hotmail.es", s, 305);
                t.microsoft_mx = true;
                t
            },
            rolled,
        ]
    }

    /// The rows split between two partials at `split`, merged.
    fn fold(rows: &[RowKeys<'_>], split: usize) -> Aggregates {
        let mut a = Partial::default();
        let mut b = Partial::default();
        for r in &rows[..split] {
            a.add(r);
        }
        for r in &rows[split..] {
            b.add(r);
        }
        a.merge(b);
        a.finish(&Rollup::default())
    }

    #[test]
    fn merge_is_independent_of_split_and_order() {
        let rows = sample_rows();
        let whole = fold(&rows, rows.len());
        for split in 0..rows.len() {
            assert_eq!(fold(&rows, split), whole, "split at {split}");
        }
        let mut rev = rows.clone();
        rev.reverse();
        assert_eq!(fold(&rev, 3), whole);
    }

    #[test]
    fn snapshots_share_the_destination_names_of_the_one_shown() {
        let rows = sample_rows();
        let mut p = Partial::default();
        for r in &rows[..5] {
            p.add(r);
        }
        let shown = p.finish_so_far(&Rollup::default(), &Aggregates::default());
        for r in &rows[5..] {
            p.add(r);
        }
        let next = p.finish_after(&Rollup::default(), &shown);
        assert_eq!(next, fold(&rows, rows.len()), "sharing changes no number");
        let names = |a: &Aggregates| -> Vec<Arc<str>> {
            a.destinations().map(|(d, _)| Arc::clone(d)).collect()
        };
        let (before, after) = (names(&shown), names(&next));
        assert!(
            after.len() > before.len(),
            "the later rows add destinations"
        );
        for d in &after {
            match before.iter().find(|b| **b == *d) {
                Some(b) => assert!(Arc::ptr_eq(b, d), "{d}: shared"),
                // Held by `next` and by `after` alone.
                None => assert_eq!(Arc::strong_count(d), 2, "{d}: new, its own"),
            }
        }
    }

    #[test]
    fn domains_roll_up_once_case_folded_with_the_hints_the_rows_carry() {
        let agg = fold(&sample_rows(), 4);
        assert_eq!(agg.records, 10);
        assert_eq!((agg.first, agg.last), (Some(90), Some(DAY + 9)));
        let domains = key_totals(&agg.group(Dim::Domain));
        assert_eq!(
            domains,
            [
                ("outlook.com".to_string(), 7),
                ("example.org".into(), 1),
                ("gmail.com".into(), 1),
                ("yahoo.rollup".into(), 1),
            ],
            "hotmail.es by its Microsoft MX; aol.com by its queue's rollup, which wins"
        );
        let members: Vec<String> = agg
            .members("outlook.com")
            .iter()
            .map(|b| b.key.to_string())
            .collect();
        assert_eq!(
            members,
            ["hotmail.com", "hotmail.es", "live.com", "live.de"],
            "case folded before grouping"
        );
        assert_eq!(
            agg.destination_of("hotmail.es").map(|d| &**d),
            Some("outlook.com")
        );
        let codes = agg.codes(|c| format!("{c:?}"));
        assert_eq!(codes.len(), 2, "delivered rows are not codes");
        let ips: Vec<String> = agg
            .code_source_ips(codes[0].key)
            .iter()
            .map(|b| b.key.to_string())
            .collect();
        assert_eq!(ips, ["192.0.2.2"], "5.1.1 came back to v2 only");
        assert_eq!(agg.minutes.len(), 5);
        assert_eq!(agg.minutes[&120].total(), 2);
    }

    #[test]
    fn microsoft_days_count_attempts_per_utc_day_and_sending_ip() {
        let agg = fold(&sample_rows(), 5);
        let days: Vec<(i64, &str, u64, u64)> = agg
            .microsoft_days()
            .iter()
            .map(|((day, ip), c)| (*day, &**ip, c.attempts(), c.delivered()))
            .collect();
        // day 0: hotmail.com d (v1) + b (v2), live.de t (v1), hotmail.es d + t (v2); day 1:
        // live.com d (the `f` row is no attempt); aol.com's rollup is not Microsoft.
        assert_eq!(
            days,
            [
                (0, "192.0.2.1", 2, 1),
                (0, "192.0.2.2", 3, 1),
                (DAY, "192.0.2.1", 1, 1)
            ]
        );
        let ips = key_totals(&agg.microsoft_source_ips());
        assert_eq!(ips, [("192.0.2.1".to_string(), 4), ("192.0.2.2".into(), 3)]);
    }

    #[test]
    fn the_budget_pool_of_a_row_without_one_is_the_configs() {
        let mut vmta_pools = FxHashMap::default();
        vmta_pools.insert(
            b"v1".to_vec().into_boxed_slice(),
            b"ms-pool".to_vec().into(),
        );
        let plan = Arc::new(Plan {
            pool_groups: true,
            vmta_pools,
            ..Plan::default()
        });
        let mut p = Partial::new(plan);
        for r in sample_rows() {
            p.add(&r);
        }
        let agg = p.finish(&Rollup::default());
        let groups: Vec<(String, String, u64)> = agg
            .smtp_groups()
            .map(|((d, pool), n)| (d.to_string(), pool.to_string(), n))
            .collect();
        assert!(
            groups.contains(&("outlook.com".into(), "ms-pool".into(), 3)),
            "{groups:?}"
        );
        assert!(
            groups.contains(&("outlook.com".into(), "(none)".into(), 3)),
            "{groups:?}"
        );
    }
}
