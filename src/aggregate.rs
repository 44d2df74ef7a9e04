//! Aggregates: what a scan counts, in two forms. [`Partial`] is what one worker folds rows into
//! (strings interned to ids, cheap to update per row, mergeable); [`Aggregates`] is the merged,
//! resolved result every front end reads (strings, rollups applied, deterministic order).
//!
//! The central table is a small "cube": one cell per distinct (VMTA, source IP, recipient domain,
//! response code, pool), holding counts per record type and first/last times. Every bucket list
//! (by VMTA, by domain, per code within one IP, ...) is a projection of it, so all views agree.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::model::{Code, RecordKind, SmtpCode, TypeCounts};
use crate::rollup::{DomainHints, Rollup};

/// Seconds in a day: per-day counts are per UTC calendar day.
pub const DAY: i64 = 86_400;

/// Interns byte strings to dense ids within one [`Partial`].
#[derive(Clone, Debug, Default)]
pub struct Interner {
    ids: FxHashMap<Box<[u8]>, u32>,
    strings: Vec<Box<[u8]>>,
}

impl Interner {
    #[inline]
    pub fn intern(&mut self, s: &[u8]) -> u32 {
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        let id = self.strings.len() as u32;
        self.strings.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }

    pub fn get(&self, id: u32) -> &[u8] {
        &self.strings[id as usize]
    }
}

/// The dimensions of one cube cell, as interned ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CellKey {
    pub vmta: u32,
    pub source_ip: u32,
    /// The recipient domain as written (case folded when resolved).
    pub rcpt_domain: u32,
    pub code: Code,
    pub pool: u32,
}

/// Counts of one cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellCounts {
    pub counts: TypeCounts,
    /// First and last `timeLogged` of the cell's rows (`i64::MAX` / `i64::MIN` when none had one).
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

/// Rollup evidence for one domain, interned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Hint {
    queue_rollup: Option<u32>,
    microsoft_mx: bool,
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
}

/// What one worker accumulates. Mergeable in any order with the same result. `Clone`, so a front
/// end can finish a snapshot of a scan in progress and keep adding to the original.
#[derive(Clone, Debug, Default)]
pub struct Partial {
    pub records: u64,
    pub by_type: TypeCounts,
    pub first: Option<i64>,
    pub last: Option<i64>,
    strings: Interner,
    cells: FxHashMap<CellKey, CellCounts>,
    hints: FxHashMap<u32, Hint>,
    minutes: FxHashMap<i64, TypeCounts>,
    code_minutes: FxHashMap<(i64, Code, u32), u64>,
    /// Delivery attempts per (UTC day start, recipient domain, sending IP), for volume tiers and
    /// sending consistency.
    days: FxHashMap<(i64, u32, u32), TypeCounts>,
    /// The hot path's view of `cells`: each cell by the bytes of its row key, with the counts
    /// not yet added to `cells` ([`Self::flush`]). One lookup per row instead of an interner
    /// lookup per string and a cell lookup.
    recent: FxHashMap<Box<[u8]>, RecentCell>,
    /// Scratch for the byte key of `recent`, reused for every row.
    recent_key: Vec<u8>,
    /// Rows of the current minute, not yet in `minutes` (rows come in time order, so the minute
    /// rarely changes from one row to the next). See [`Self::flush`].
    minute: Option<(i64, TypeCounts)>,
    /// Likewise, the current (minute, code, source IP) of `code_minutes` and its rows.
    code_minute: Option<((i64, Code, u32), u64)>,
}

/// A cell as [`Partial::add`] finds it.
#[derive(Clone, Debug)]
struct RecentCell {
    key: CellKey,
    /// Counted here, not yet in `Partial::cells`.
    counts: CellCounts,
    /// The hints already say the cell's recipient domain went to a Microsoft consumer MX.
    microsoft_mx_hinted: bool,
}

/// A code as bytes, for the byte key of [`Partial::recent`] (distinct codes, distinct bytes; the
/// declared types make a wider field in [`Code`] a compile error, not a silent truncation).
fn code_bytes(code: Code) -> [u8; 6] {
    let (tag, class, x, y): (u8, u8, u16, u16) = match code {
        Code::Rule(id) => (0, 0, id, 0),
        Code::Status(s) => (1, s.class, s.subject, s.detail),
        Code::Smtp(SmtpCode(n)) => (2, 0, n, 0),
        Code::None => (3, 0, 0, 0),
    };
    let (x, y) = (x.to_le_bytes(), y.to_le_bytes());
    [tag, class, x[0], x[1], y[0], y[1]]
}

impl Partial {
    /// Counts a row in its cell; returns the cell's key and whether the hints already have its
    /// domain as Microsoft consumer mail.
    #[inline]
    fn add_to_cell(&mut self, row: &RowKeys<'_>) -> (CellKey, bool) {
        let strs = [row.vmta, row.source_ip, row.rcpt_domain, row.pool];
        // Each string with its length before it, so no two rows' keys run together.
        let key = &mut self.recent_key;
        key.clear();
        for s in strs {
            key.extend_from_slice(&s.len().to_le_bytes());
            key.extend_from_slice(s);
        }
        key.extend_from_slice(&code_bytes(row.code));
        if let Some(cell) = self.recent.get_mut(key.as_slice()) {
            cell.counts.add(row.kind, row.time);
            let hinted = cell.microsoft_mx_hinted;
            cell.microsoft_mx_hinted |= row.microsoft_mx;
            return (cell.key, hinted);
        }
        let [vmta, source_ip, rcpt_domain, pool] = strs.map(|s| self.strings.intern(s));
        let mut cell = RecentCell {
            key: CellKey {
                vmta,
                source_ip,
                rcpt_domain,
                code: row.code,
                pool,
            },
            counts: CellCounts::default(),
            microsoft_mx_hinted: row.microsoft_mx,
        };
        cell.counts.add(row.kind, row.time);
        let key = cell.key;
        self.recent.insert(self.recent_key.as_slice().into(), cell);
        (key, false)
    }

    /// Moves what the hot path counted on the side into the maps.
    fn flush(&mut self) {
        for cell in self.recent.values_mut() {
            if cell.counts.counts.total() > 0 {
                self.cells.entry(cell.key).or_default().merge(&cell.counts);
                cell.counts = CellCounts::default();
            }
        }
        if let Some((m, c)) = self.minute.take() {
            self.minutes.entry(m).or_default().merge(&c);
        }
        if let Some((k, n)) = self.code_minute.take() {
            *self.code_minutes.entry(k).or_default() += n;
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
        let (key, microsoft_mx_hinted) = self.add_to_cell(row);
        if let (Some(m), true) = (minute, row.kind.has_response()) {
            let k = (m, row.code, key.source_ip);
            match &mut self.code_minute {
                Some((cur, n)) if *cur == k => *n += 1,
                _ => {
                    if let Some((cur, n)) = self.code_minute.replace((k, 1)) {
                        *self.code_minutes.entry(cur).or_default() += n;
                    }
                }
            }
        }
        if let (Some(t), true) = (row.time, row.kind.is_attempt()) {
            self.days
                .entry((t.div_euclid(DAY) * DAY, key.rcpt_domain, key.source_ip))
                .or_default()
                .add(row.kind, 1);
        }
        // Once a domain's hints say Microsoft MX, another such row changes nothing.
        if row.queue_rollup.is_some() || (row.microsoft_mx && !microsoft_mx_hinted) {
            let queue_rollup = row.queue_rollup.map(|q| self.strings.intern(q));
            let h = self.hints.entry(key.rcpt_domain).or_default();
            h.microsoft_mx |= row.microsoft_mx;
            if let Some(q) = queue_rollup {
                h.queue_rollup = Some(q);
            }
        }
    }

    /// Folds `other` into `self`.
    pub fn merge(&mut self, mut other: Partial) {
        self.flush();
        other.flush();
        self.records += other.records;
        self.by_type.merge(&other.by_type);
        self.first = min_opt(self.first, other.first);
        self.last = max_opt(self.last, other.last);
        let remap: Vec<u32> = other
            .strings
            .strings
            .iter()
            .map(|s| self.strings.intern(s))
            .collect();
        let map = |id: u32| remap[id as usize];
        for (k, v) in other.cells {
            let key = CellKey {
                vmta: map(k.vmta),
                source_ip: map(k.source_ip),
                rcpt_domain: map(k.rcpt_domain),
                code: k.code,
                pool: map(k.pool),
            };
            self.cells.entry(key).or_default().merge(&v);
        }
        for (d, h) in other.hints {
            let mine = self.hints.entry(map(d)).or_default();
            mine.microsoft_mx |= h.microsoft_mx;
            if let Some(q) = h.queue_rollup.map(map) {
                // Keep the smallest name so the merge order cannot change the result.
                let keep = match mine.queue_rollup {
                    Some(cur) if self.strings.get(cur) <= self.strings.get(q) => cur,
                    _ => q,
                };
                mine.queue_rollup = Some(keep);
            }
        }
        for (m, c) in other.minutes {
            self.minutes.entry(m).or_default().merge(&c);
        }
        for ((m, code, ip), n) in other.code_minutes {
            *self.code_minutes.entry((m, code, map(ip))).or_default() += n;
        }
        for ((day, d, ip), c) in other.days {
            self.days
                .entry((day, map(d), map(ip)))
                .or_default()
                .merge(&c);
        }
    }

    /// What the scan saw about each recipient domain's rollup (lowercased domain).
    pub fn domain_hints(&self) -> FxHashMap<String, DomainHints> {
        let mut out: FxHashMap<String, DomainHints> = FxHashMap::default();
        for (d, h) in &self.hints {
            let hints = DomainHints {
                queue_rollup: h
                    .queue_rollup
                    .map(|q| lossy_lower(self.strings.get(q)).into_owned()),
                microsoft_mx: h.microsoft_mx,
            };
            out.entry(lossy_lower(self.strings.get(*d)).into_owned())
                .or_default()
                .merge(&hints);
        }
        out
    }

    /// Resolves ids to strings, applies the rollup once per distinct domain, and orders
    /// everything deterministically.
    pub fn finish(mut self, rollup: &Rollup, hints: &FxHashMap<String, DomainHints>) -> Aggregates {
        self.flush();
        let text: Vec<Arc<str>> = self
            .strings
            .strings
            .iter()
            .map(|s| Arc::from(String::from_utf8_lossy(s).as_ref()))
            .collect();
        let mut domains: FxHashMap<u32, (Arc<str>, Arc<str>)> = FxHashMap::default();
        let mut resolve = |id: u32| {
            domains
                .entry(id)
                .or_insert_with(|| {
                    let lower: Arc<str> = Arc::from(text[id as usize].to_lowercase());
                    let rolled = rollup.resolve(&lower, hints.get(lower.as_ref()));
                    let rolled = if rolled == *lower {
                        Arc::clone(&lower)
                    } else {
                        Arc::from(rolled)
                    };
                    (lower, rolled)
                })
                .clone()
        };
        let mut merged: BTreeMap<CellId, CellCounts> = BTreeMap::new();
        for (k, v) in self.cells {
            let (rcpt_domain, domain) = resolve(k.rcpt_domain);
            let id = CellId {
                domain,
                rcpt_domain,
                vmta: Arc::clone(&text[k.vmta as usize]),
                source_ip: Arc::clone(&text[k.source_ip as usize]),
                pool: Arc::clone(&text[k.pool as usize]),
                code: k.code,
            };
            merged.entry(id).or_default().merge(&v);
        }
        let cells = merged
            .into_iter()
            .map(|(id, counts)| Cell { id, counts })
            .collect();
        let mut code_minutes: BTreeMap<(i64, Code, Arc<str>), u64> = BTreeMap::new();
        for ((m, code, ip), n) in self.code_minutes {
            *code_minutes
                .entry((m, code, Arc::clone(&text[ip as usize])))
                .or_default() += n;
        }
        let mut days: BTreeMap<(i64, Arc<str>, Arc<str>), TypeCounts> = BTreeMap::new();
        for ((day, d, ip), c) in self.days {
            let (_, domain) = resolve(d);
            days.entry((day, domain, Arc::clone(&text[ip as usize])))
                .or_default()
                .merge(&c);
        }
        Aggregates {
            records: self.records,
            by_type: self.by_type,
            first: self.first,
            last: self.last,
            cells,
            minutes: self.minutes.into_iter().collect(),
            code_minutes,
            days,
        }
    }
}

fn lossy_lower(b: &[u8]) -> std::borrow::Cow<'_, str> {
    let s = String::from_utf8_lossy(b);
    if s.bytes().any(|c| c.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(s.to_ascii_lowercase())
    } else {
        s
    }
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

/// The resolved dimensions of a cell. Ordered, so iteration order never depends on hashing.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellId {
    /// Rolled-up destination (`outlook.com`).
    pub domain: Arc<str>,
    /// Recipient domain, lowercased (`hotmail.de`).
    pub rcpt_domain: Arc<str>,
    pub vmta: Arc<str>,
    pub source_ip: Arc<str>,
    pub pool: Arc<str>,
    pub code: Code,
}

/// One resolved cube cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub id: CellId,
    pub counts: CellCounts,
}

/// A dimension to group cells by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dim {
    Vmta,
    SourceIp,
    Domain,
    RcptDomain,
    Pool,
    Code,
}

/// A group of cells under one key, for reports and views.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket<K> {
    pub key: K,
    pub counts: CellCounts,
}

impl<K> Bucket<K> {
    pub fn total(&self) -> u64 {
        self.counts.counts.total()
    }
}

/// The merged result of a scan: the numbers every front end shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Aggregates {
    pub records: u64,
    pub by_type: TypeCounts,
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Cube cells ordered by [`CellId`].
    pub cells: Vec<Cell>,
    /// Rows per minute (start of minute, Unix seconds) and type.
    pub minutes: BTreeMap<i64, TypeCounts>,
    /// Rows with a response per minute, code and sending IP.
    pub code_minutes: BTreeMap<(i64, Code, Arc<str>), u64>,
    /// Delivery attempts (every kind but `r` and `f`) per UTC day (start, Unix seconds), rolled-up
    /// destination and sending IP.
    pub days: BTreeMap<(i64, Arc<str>, Arc<str>), TypeCounts>,
}

impl Aggregates {
    /// Groups the cells accepted by `keep` under a string dimension, ordered by total descending
    /// then key ascending.
    pub fn group_where(&self, dim: Dim, keep: impl Fn(&CellId) -> bool) -> Vec<Bucket<Arc<str>>> {
        let mut map: BTreeMap<&Arc<str>, CellCounts> = BTreeMap::new();
        for c in self.cells.iter().filter(|c| keep(&c.id)) {
            let key = match dim {
                Dim::Vmta => &c.id.vmta,
                Dim::SourceIp => &c.id.source_ip,
                Dim::Domain => &c.id.domain,
                Dim::RcptDomain => &c.id.rcpt_domain,
                Dim::Pool => &c.id.pool,
                Dim::Code => continue,
            };
            map.entry(key).or_default().merge(&c.counts);
        }
        sorted(
            map.into_iter()
                .map(|(k, counts)| Bucket {
                    key: Arc::clone(k),
                    counts,
                })
                .collect(),
            std::cmp::Ord::cmp,
        )
    }

    pub fn group(&self, dim: Dim) -> Vec<Bucket<Arc<str>>> {
        self.group_where(dim, |_| true)
    }

    /// Groups the cells accepted by `keep` by response code (rows with a response only), ordered
    /// by total descending then by `name` of the code ascending.
    pub fn codes_where(
        &self,
        keep: impl Fn(&CellId) -> bool,
        name: impl Fn(Code) -> String,
    ) -> Vec<Bucket<Code>> {
        let mut map: BTreeMap<Code, CellCounts> = BTreeMap::new();
        for c in self.cells.iter().filter(|c| keep(&c.id)) {
            let mut counts = c.counts;
            // Only rows that carry a response have a code; the rest of the cell's rows
            // (delivered, received, complaints) were keyed with `Code::None` and are not codes.
            for k in RecordKind::ALL {
                if !k.has_response() {
                    counts.counts.0[k.index()] = 0;
                }
            }
            if counts.counts.total() > 0 {
                map.entry(c.id.code).or_default().merge(&counts);
            }
        }
        let named: Vec<(String, Bucket<Code>)> = map
            .into_iter()
            .map(|(key, counts)| (name(key), Bucket { key, counts }))
            .collect();
        let mut named = named;
        named.sort_by(|a, b| b.1.total().cmp(&a.1.total()).then_with(|| a.0.cmp(&b.0)));
        named.into_iter().map(|(_, b)| b).collect()
    }

    /// Attempts per (UTC day, sending IP) toward one rolled-up destination.
    pub fn days_to(&self, domain: &str) -> BTreeMap<(i64, Arc<str>), TypeCounts> {
        let mut out: BTreeMap<(i64, Arc<str>), TypeCounts> = BTreeMap::new();
        for ((day, d, ip), c) in &self.days {
            if &**d == domain {
                out.entry((*day, Arc::clone(ip))).or_default().merge(c);
            }
        }
        out
    }

    /// Member domains of one rolled-up destination.
    pub fn members(&self, domain: &str) -> Vec<Bucket<Arc<str>>> {
        self.group_where(Dim::RcptDomain, |id| &*id.domain == domain)
    }
}

fn sorted<K>(
    mut v: Vec<Bucket<K>>,
    key_cmp: impl Fn(&K, &K) -> std::cmp::Ordering,
) -> Vec<Bucket<K>> {
    v.sort_by(|a, b| {
        b.total()
            .cmp(&a.total())
            .then_with(|| key_cmp(&a.key, &b.key))
    });
    v
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
            source_ip: b"192.0.2.1",
            rcpt_domain: domain.as_bytes(),
            pool: b"(none)",
            code,
            queue_rollup: None,
            microsoft_mx: false,
        }
    }

    fn sample_rows() -> Vec<RowKeys<'static>> {
        let s = Code::Status(EnhancedStatus::parse(b"5.1.1").expect("valid"));
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
        ]
    }

    fn fold(rows: &[RowKeys<'_>], split: usize) -> Aggregates {
        let mut a = Partial::default();
        let mut b = Partial::default();
        for r in &rows[..split] {
            a.add(r);
        }
        for r in &rows[split..] {
            b.add(r);
        }
        // merge in both directions must agree
        a.merge(b);
        let hints = a.domain_hints();
        a.finish(&Rollup::default(), &hints)
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
        assert_eq!(fold(&rev, 2), whole);
    }

    #[test]
    fn hints_survive_the_row_cache_and_merges() {
        let mut ms = row(RecordKind::Delivered, "v1", "Example.net", Code::None, 100);
        ms.microsoft_mx = true;
        let mut queued = row(RecordKind::Delivered, "v1", "example.org", Code::None, 100);
        queued.queue_rollup = Some(b"Big.rollup");
        let plain = row(RecordKind::Delivered, "v1", "example.org", Code::None, 100);
        let mut a = Partial::default();
        let mut b = Partial::default();
        for r in [&plain, &ms, &ms, &queued, &plain] {
            a.add(r);
        }
        b.add(&ms);
        b.add(&plain);
        a.merge(b);
        a.add(&ms); // after a merge, the cell is cached and the domain already hinted
        let hints = a.domain_hints();
        assert_eq!(
            hints.get("example.net"),
            Some(&DomainHints {
                queue_rollup: None,
                microsoft_mx: true
            })
        );
        assert_eq!(
            hints.get("example.org"),
            Some(&DomainHints {
                queue_rollup: Some("big.rollup".into()),
                microsoft_mx: false
            })
        );
        let agg = a.finish(&Rollup::default(), &hints);
        assert_eq!(agg.records, 8);
        let total: u64 = agg.cells.iter().map(|c| c.counts.counts.total()).sum();
        assert_eq!(total, 8, "every row in a cell once");
    }

    #[test]
    fn distinct_codes_have_distinct_key_bytes() {
        let status = |s: &[u8]| Code::Status(EnhancedStatus::parse(s).expect("valid"));
        let codes = [
            Code::None,
            Code::Rule(0),
            Code::Rule(1),
            Code::Rule(256),
            Code::Smtp(SmtpCode(1)),
            Code::Smtp(SmtpCode(421)),
            Code::Smtp(SmtpCode(550)),
            status(b"4.7.0"),
            status(b"4.0.7"),
            status(b"5.7.1"),
            status(b"5.1.7"),
            status(b"5.7.650"),
        ];
        let bytes: std::collections::BTreeSet<[u8; 6]> =
            codes.iter().map(|c| code_bytes(*c)).collect();
        assert_eq!(bytes.len(), codes.len());
    }

    #[test]
    fn groups_and_rollup() {
        let agg = fold(&sample_rows(), 3);
        assert_eq!(agg.records, 7);
        assert_eq!((agg.first, agg.last), (Some(90), Some(DAY + 9)));
        let domains: Vec<(String, u64)> = agg
            .group(Dim::Domain)
            .iter()
            .map(|b| (b.key.to_string(), b.total()))
            .collect();
        assert_eq!(
            domains,
            [
                ("outlook.com".to_string(), 5),
                ("example.org".into(), 1),
                ("gmail.com".into(), 1)
            ]
        );
        let members: Vec<String> = agg
            .members("outlook.com")
            .iter()
            .map(|b| b.key.to_string())
            .collect();
        assert_eq!(
            members,
            ["hotmail.com", "live.com", "live.de"],
            "case folded before grouping"
        );
        let codes = agg.codes_where(|_| true, |c| format!("{c:?}"));
        assert_eq!(codes.len(), 2, "delivered rows are not codes");
        assert_eq!(agg.minutes.len(), 4);
        assert_eq!(agg.minutes[&120].total(), 2);
    }

    #[test]
    fn days_count_attempts_per_utc_day_and_rolled_up_domain() {
        let agg = fold(&sample_rows(), 4);
        let days: Vec<(i64, u64, u64)> = agg
            .days_to("outlook.com")
            .iter()
            .map(|((day, _), c)| (*day, c.attempts(), c.delivered()))
            .collect();
        // day 0: hotmail.com d + b, live.de t; day 1: live.com d (the `f` row is no attempt)
        assert_eq!(days, [(0, 3, 1), (DAY, 1, 1)]);
        assert_eq!(
            agg.days.len(),
            4,
            "outlook.com x 2 days, example.org, gmail.com"
        );
    }
}
