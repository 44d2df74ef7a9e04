//! The merged, resolved aggregates every front end reads: names instead of ids, recipient
//! domains case-folded and rolled up once each, every table in a deterministic order (ids
//! follow name order, so the result does not depend on how the rows were split among workers),
//! and the queries the reports, analyses and views make of them.

mod finish;

pub(super) use finish::finish;

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::slice::ParallelSliceMut as _;
use rustc_hash::FxHashMap;

use super::{CellCounts, CountTable};
use crate::model::{Code, NONE_KEY, RecordKind, TypeCounts};
use crate::rollup::{DomainHints, Rollup};

/// A dimension to group rows by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dim {
    Vmta,
    SourceIp,
    Pool,
    /// Rolled-up destination (`outlook.com`).
    Domain,
    /// Recipient domain, lowercased (`hotmail.de`).
    RcptDomain,
}

/// A group of rows under one key, for reports and views.
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

/// Rows under one key, for reports: a [`Bucket`] or a destination borrowed from the
/// aggregates ([`Aggregates::ranked_destinations`]).
pub trait Keyed {
    fn key(&self) -> &str;
    fn type_counts(&self) -> TypeCounts;
    fn total(&self) -> u64 {
        self.type_counts().total()
    }
}

impl Keyed for Bucket<Arc<str>> {
    fn key(&self) -> &str {
        &self.key
    }

    fn type_counts(&self) -> TypeCounts {
        self.counts.counts
    }
}

/// A destination and its counts, borrowed from the aggregates (24 bytes: a large sender has a
/// hundred thousand).
#[derive(Clone, Copy, Debug)]
pub struct Destination<'a> {
    pub key: &'a Arc<str>,
    table: &'a CountTable,
    id: u32,
}

impl Keyed for Destination<'_> {
    fn key(&self) -> &str {
        self.key
    }

    fn type_counts(&self) -> TypeCounts {
        self.table.get(self.id)
    }
}

/// One sender: a VMTA on one IP in one pool, with its counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SenderLine {
    pub vmta: Arc<str>,
    pub source_ip: Arc<str>,
    pub pool: Arc<str>,
    pub counts: TypeCounts,
}

/// One recipient domain as [`Aggregates::rcpt_lines`] lists it.
#[derive(Clone, Debug)]
pub struct RcptLine<'a> {
    /// Lowercased.
    pub name: Arc<str>,
    pub destination: &'a Arc<str>,
    pub counts: TypeCounts,
    /// Rows with a response per code.
    pub codes: Vec<(Code, u64)>,
}

/// The merged result of a scan: the numbers every front end shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Aggregates {
    pub records: u64,
    pub by_type: TypeCounts,
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Ordered by (VMTA, IP, pool).
    senders: Vec<SenderLine>,
    /// Recipient domains, lowercased, in name order; each one's destination and counts.
    rcpt: Vec<u8>,
    rcpt_ends: Vec<usize>,
    rcpt_dest: Vec<u32>,
    rcpt_counts: CountTable,
    /// Rolled-up destinations in name order, with their counts.
    dests: Vec<Arc<str>>,
    dest_counts: CountTable,
    /// Rows with a response per code, ordered by code.
    codes: Vec<(Code, CellCounts)>,
    /// (sender index, code) and (recipient domain index, code) -> rows with a response, sorted.
    sender_codes: Vec<(u32, Code, u64)>,
    rcpt_codes: Vec<(u32, Code, u64)>,
    /// Rows per minute (start of minute, Unix seconds) and type.
    pub minutes: BTreeMap<i64, TypeCounts>,
    /// Rows with a response per minute and code.
    pub code_minutes: BTreeMap<(i64, Code), u64>,
    /// Toward the `outlook.com` destination: rows per sender (index, sorted); delivery attempts (every kind
    /// but `r` and `f`) per UTC day (start, Unix seconds) and sending IP; rows with a response
    /// per sending IP and code.
    ms_senders: Vec<(u32, TypeCounts)>,
    ms_days: BTreeMap<(i64, Arc<str>), TypeCounts>,
    ms_codes: BTreeMap<(Arc<str>, Code), u64>,
    /// SMTP rows of a known VMTA per (destination index, pool index: the row's pool, else the
    /// config's pool of its VMTA), sorted; the pools' names in name order.
    smtp_groups: Vec<(u32, u32, u64)>,
    smtp_pools: Vec<Arc<str>>,
    /// Deliveries per job, while there were few jobs (see [`super::jobs::JobCounts::complete`]).
    pub job_deliveries: super::jobs::JobCounts,
}

/// Buckets ordered by total descending, then key ascending.
pub(super) fn sorted<K: Ord>(mut v: Vec<Bucket<K>>) -> Vec<Bucket<K>> {
    v.sort_by(|a, b| b.total().cmp(&a.total()).then_with(|| a.key.cmp(&b.key)));
    v
}

pub(super) fn bucket(key: Arc<str>, counts: TypeCounts) -> Bucket<Arc<str>> {
    Bucket {
        key,
        counts: CellCounts {
            counts,
            ..CellCounts::default()
        },
    }
}

impl Aggregates {
    /// The name of recipient domain `i`.
    fn rcpt_name(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.rcpt_ends[i - 1] };
        // Names were stored from `String`s: always UTF-8.
        std::str::from_utf8(&self.rcpt[start..self.rcpt_ends[i]]).unwrap_or_default()
    }

    /// Recipient domains (lowercase) with their destination.
    pub fn rcpt_domains(&self) -> impl Iterator<Item = (&str, &Arc<str>)> {
        (0..self.rcpt_dest.len())
            .map(|i| (self.rcpt_name(i), &self.dests[self.rcpt_dest[i] as usize]))
    }

    /// The destination a lowercase recipient domain rolled up to, if the scan saw it.
    pub fn destination_of(&self, rcpt_domain: &str) -> Option<&Arc<str>> {
        let (mut lo, mut hi) = (0, self.rcpt_dest.len());
        while lo < hi {
            let mid = usize::midpoint(lo, hi);
            match self.rcpt_name(mid).cmp(rcpt_domain) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    return Some(&self.dests[self.rcpt_dest[mid] as usize]);
                }
            }
        }
        None
    }

    /// The destination of a lowercase recipient domain: as the scan rolled it up, else by the
    /// rollup with `hints` (for a domain the aggregates do not hold: a filtered scan's).
    #[allow(clippy::implicit_hasher)] // the scan's hints are always an FxHashMap
    pub fn destination(
        &self,
        rcpt_domain: &str,
        rollup: &Rollup,
        hints: &FxHashMap<String, DomainHints>,
    ) -> String {
        match self.destination_of(rcpt_domain) {
            Some(d) => d.to_string(),
            None => rollup.resolve(rcpt_domain, hints.get(rcpt_domain)),
        }
    }

    /// Recipient domain -> destination, for filters on `domain`.
    pub fn domain_map(&self) -> FxHashMap<String, String> {
        self.rcpt_domains()
            .map(|(r, d)| (r.to_owned(), d.to_string()))
            .collect()
    }

    /// Rolled-up destinations with their counts, in name order.
    pub fn destinations(&self) -> impl Iterator<Item = (&Arc<str>, TypeCounts)> {
        (0..self.dests.len()).map(|i| (&self.dests[i], self.dest_counts.get(i as u32)))
    }

    /// The counts of one rolled-up destination, if any row went to it.
    pub fn destination_counts(&self, destination: &str) -> Option<TypeCounts> {
        let i = self
            .dests
            .binary_search_by(|d| (**d).cmp(destination))
            .ok()?;
        Some(self.dest_counts.get(i as u32))
    }

    /// The rolled-up destinations, most rows first (then by name), borrowed: a large sender
    /// has a hundred thousand.
    pub fn ranked_destinations(&self) -> Vec<Destination<'_>> {
        let mut v: Vec<(u64, Destination<'_>)> = self
            .dests
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let d = Destination {
                    key,
                    table: &self.dest_counts,
                    id: i as u32,
                };
                (d.total(), d)
            })
            .collect();
        // Already in name order: a stable sort by total keeps it among equal totals, without
        // comparing a hundred thousand names.
        v.par_sort_by_key(|(total, _)| std::cmp::Reverse(*total));
        v.into_iter().map(|(_, d)| d).collect()
    }

    /// Senders (VMTA, IP, pool) with their counts, in that order.
    pub fn senders(&self) -> &[SenderLine] {
        &self.senders
    }

    /// Rows with a response per (index into [`Self::senders`], code), sorted.
    pub fn sender_codes(&self) -> &[(u32, Code, u64)] {
        &self.sender_codes
    }

    /// Rows with a response per (destination, code), in no particular order.
    pub fn destination_codes(&self) -> FxHashMap<(&Arc<str>, Code), u64> {
        let mut out = FxHashMap::default();
        for (r, code, n) in &self.rcpt_codes {
            *out.entry((&self.dests[self.rcpt_dest[*r as usize] as usize], *code))
                .or_default() += n;
        }
        out
    }

    /// Recipient domains with their destination, counts and codes, in name order.
    pub fn rcpt_lines(&self) -> Vec<RcptLine<'_>> {
        let mut codes = self.rcpt_codes.iter().peekable();
        (0..self.rcpt_dest.len())
            .map(|i| {
                let mut mine = Vec::new();
                while let Some((_, c, n)) = codes.next_if(|(r, _, _)| *r as usize == i) {
                    mine.push((*c, *n));
                }
                RcptLine {
                    name: Arc::from(self.rcpt_name(i)),
                    destination: &self.dests[self.rcpt_dest[i] as usize],
                    counts: self.rcpt_counts.get(i as u32),
                    codes: mine,
                }
            })
            .collect()
    }

    /// The member domains of the destinations that gather other domains (or one domain under
    /// another name), with their counts and codes: a large sender's tail domains are their own
    /// destinations and are left out.
    pub fn rollup_members(&self) -> Vec<(&Arc<str>, Vec<RcptLine<'_>>)> {
        let mut members = vec![0u32; self.dests.len()];
        for d in &self.rcpt_dest {
            members[*d as usize] += 1;
        }
        let rollup = |i: usize| {
            let d = self.rcpt_dest[i] as usize;
            members[d] > 1 || *self.dests[d] != *self.rcpt_name(i)
        };
        let mut out: BTreeMap<u32, Vec<RcptLine<'_>>> = BTreeMap::new();
        let mut codes = self.rcpt_codes.iter().peekable();
        for i in 0..self.rcpt_dest.len() {
            let mut mine = Vec::new();
            while let Some((_, c, n)) = codes.next_if(|(r, _, _)| *r as usize <= i) {
                mine.push((*c, *n));
            }
            if !rollup(i) {
                continue;
            }
            out.entry(self.rcpt_dest[i]).or_default().push(RcptLine {
                name: Arc::from(self.rcpt_name(i)),
                destination: &self.dests[self.rcpt_dest[i] as usize],
                counts: self.rcpt_counts.get(i as u32),
                codes: mine,
            });
        }
        out.into_iter()
            .map(|(d, v)| (&self.dests[d as usize], v))
            .collect()
    }

    /// Groups the rows under a dimension, ordered by total descending then key ascending.
    pub fn group(&self, dim: Dim) -> Vec<Bucket<Arc<str>>> {
        let by_sender = |key: fn(&SenderLine) -> &Arc<str>| {
            let mut map: BTreeMap<&Arc<str>, TypeCounts> = BTreeMap::new();
            for s in &self.senders {
                map.entry(key(s)).or_default().merge(&s.counts);
            }
            map.into_iter()
                .map(|(k, c)| bucket(Arc::clone(k), c))
                .collect()
        };
        let v: Vec<Bucket<Arc<str>>> = match dim {
            Dim::Vmta => by_sender(|s| &s.vmta),
            Dim::SourceIp => by_sender(|s| &s.source_ip),
            Dim::Pool => by_sender(|s| &s.pool),
            Dim::Domain => self
                .destinations()
                .map(|(k, c)| bucket(Arc::clone(k), c))
                .collect(),
            Dim::RcptDomain => (0..self.rcpt_dest.len())
                .map(|i| bucket(Arc::from(self.rcpt_name(i)), self.rcpt_counts.get(i as u32)))
                .collect(),
        };
        sorted(v)
    }

    /// Member domains of one rolled-up destination.
    pub fn members(&self, domain: &str) -> Vec<Bucket<Arc<str>>> {
        let Ok(d) = self.dests.binary_search_by(|x| (**x).cmp(domain)) else {
            return Vec::new();
        };
        sorted(
            (0..self.rcpt_dest.len())
                .filter(|i| self.rcpt_dest[*i] as usize == d)
                .map(|i| bucket(Arc::from(self.rcpt_name(i)), self.rcpt_counts.get(i as u32)))
                .collect(),
        )
    }

    /// Rows with a response grouped by code, ordered by total descending then by `name` of the
    /// code ascending.
    pub fn codes(&self, name: impl Fn(Code) -> String) -> Vec<Bucket<Code>> {
        let mut named: Vec<(String, Bucket<Code>)> = self
            .codes
            .iter()
            .map(|(key, counts)| {
                (
                    name(*key),
                    Bucket {
                        key: *key,
                        counts: *counts,
                    },
                )
            })
            .collect();
        named.sort_by(|a, b| b.1.total().cmp(&a.1.total()).then_with(|| a.0.cmp(&b.0)));
        named.into_iter().map(|(_, b)| b).collect()
    }

    /// Sending IPs of the rows with `code` (rows with a response), largest first.
    pub fn code_source_ips(&self, code: Code) -> Vec<Bucket<Arc<str>>> {
        let mut map: BTreeMap<&Arc<str>, u64> = BTreeMap::new();
        for (s, c, n) in &self.sender_codes {
            if *c == code {
                *map.entry(&self.senders[*s as usize].source_ip).or_default() += n;
            }
        }
        sorted(
            map.into_iter()
                .map(|(k, n)| {
                    // Only the total is meaningful: counted as responses of one kind.
                    let mut c = TypeCounts::default();
                    c.add(RecordKind::Transient, n);
                    bucket(Arc::clone(k), c)
                })
                .collect(),
        )
    }

    /// Toward `outlook.com`: rows per sending IP, largest first.
    pub fn microsoft_source_ips(&self) -> Vec<Bucket<Arc<str>>> {
        let mut map: BTreeMap<&Arc<str>, TypeCounts> = BTreeMap::new();
        for (s, c) in &self.ms_senders {
            map.entry(&self.senders[*s as usize].source_ip)
                .or_default()
                .merge(c);
        }
        sorted(
            map.into_iter()
                .map(|(k, c)| bucket(Arc::clone(k), c))
                .collect(),
        )
    }

    /// Toward `outlook.com`: the senders with rows, and those rows' counts.
    pub fn microsoft_senders(&self) -> impl Iterator<Item = (&SenderLine, &TypeCounts)> {
        self.ms_senders
            .iter()
            .map(|(s, c)| (&self.senders[*s as usize], c))
    }

    /// Toward `outlook.com`: delivery attempts per (UTC day, sending IP).
    pub fn microsoft_days(&self) -> &BTreeMap<(i64, Arc<str>), TypeCounts> {
        &self.ms_days
    }

    /// Toward `outlook.com` from one sending IP: rows with a response per code, ordered by
    /// count descending then by `name` of the code.
    pub fn microsoft_codes(&self, ip: &str, name: impl Fn(Code) -> String) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self
            .ms_codes
            .iter()
            .filter(|((i, _), _)| &**i == ip)
            .map(|((_, c), n)| (name(*c), *n))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }

    /// SMTP rows (`d`, `t`, `b`, `tq`) of a known VMTA per (destination, pool).
    pub fn smtp_groups(&self) -> impl Iterator<Item = ((&Arc<str>, &Arc<str>), u64)> {
        self.smtp_groups
            .iter()
            .map(|&(d, p, n)| ((&self.dests[d as usize], &self.smtp_pools[p as usize]), n))
    }

    /// Each VMTA's pool as the rows name it (the first in name order when several; `(none)`
    /// rows left out).
    pub fn vmta_pools(&self) -> BTreeMap<&str, &str> {
        let mut out: BTreeMap<&str, &str> = BTreeMap::new();
        for s in &self.senders {
            if &*s.pool != NONE_KEY {
                out.entry(&s.vmta).or_insert(&s.pool);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::finish::sorted_names;
    use crate::aggregate::Dict;

    fn dict(names: &[&[u8]]) -> Dict {
        let mut d = Dict::default();
        for n in names {
            d.intern(n);
        }
        d
    }

    #[test]
    fn names_sort_as_text_and_each_id_finds_its_own() {
        let d = dict(&[
            b"zeta.example",
            b"Alpha.example",
            b"\xc3\xa9t\xc3\xa9.example",
            b"a",
        ]);
        let (names, map) = sorted_names(&d);
        let names: Vec<&str> = names.iter().map(|n| &**n).collect();
        assert_eq!(names, ["Alpha.example", "a", "zeta.example", "été.example"]);
        assert_eq!(map, [2, 0, 3, 1]);
    }

    #[test]
    fn names_that_read_the_same_lossily_merge() {
        // Two invalid bytes both read as U+FFFD: one name, both ids on it.
        let d = dict(&[b"b\xff", b"b\xfe", b"a"]);
        let (names, map) = sorted_names(&d);
        let names: Vec<&str> = names.iter().map(|n| &**n).collect();
        assert_eq!(names, ["a", "b\u{fffd}"]);
        assert_eq!(map, [1, 1, 0]);
    }
}
