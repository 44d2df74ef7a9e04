//! The merged, resolved aggregates every front end reads: names instead of ids, recipient
//! domains case-folded and rolled up once each, every table in a deterministic order (ids
//! follow name order, so the result does not depend on how the rows were split among workers),
//! and the queries the reports, analyses and views make of them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::{CellCounts, Dict, Partial, attributed, lower};
use crate::model::{Code, NONE_KEY, RecordKind, TypeCounts};
use crate::rollup::{DomainHints, MICROSOFT, Rollup};

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
    rcpt_counts: Vec<TypeCounts>,
    /// Rolled-up destinations in name order, with their counts.
    dests: Vec<Arc<str>>,
    dest_counts: Vec<TypeCounts>,
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
    /// SMTP rows of a known VMTA per (destination index, pool: the row's, else the config's
    /// pool of its VMTA).
    smtp_groups: BTreeMap<(u32, Arc<str>), u64>,
}

/// Sorted distinct names of a dictionary, and each id's index among them.
fn sorted_names(d: &Dict) -> (Vec<Arc<str>>, Vec<u32>) {
    let mut order: Vec<(String, u32)> = d
        .iter()
        .enumerate()
        .map(|(i, s)| (String::from_utf8_lossy(s).into_owned(), i as u32))
        .collect();
    order.sort_unstable();
    let mut names: Vec<Arc<str>> = Vec::with_capacity(order.len());
    let mut map = vec![0u32; order.len()];
    for (name, id) in order {
        if names.last().is_none_or(|last| **last != *name) {
            names.push(Arc::from(name));
        }
        map[id as usize] = (names.len() - 1) as u32;
    }
    (names, map)
}

/// Adds `n` to a count table keyed by remapped ids.
fn add<K: std::hash::Hash + Eq>(map: &mut FxHashMap<K, u64>, k: K, n: u64) {
    *map.entry(k).or_default() += n;
}

/// Resolves a partial: see [`Partial::finish`].
#[allow(clippy::too_many_lines)] // one pass per table, in dependency order
pub(super) fn finish(
    p: Partial,
    rollup: &Rollup,
    hints: &FxHashMap<String, DomainHints>,
) -> Aggregates {
    let Partial {
        records,
        by_type,
        first,
        last,
        vmtas,
        ips,
        pools,
        domains,
        domain_stats,
        senders,
        sender_dims,
        sender_counts,
        codes,
        sender_codes,
        domain_codes,
        minutes,
        code_minutes,
        ms_senders,
        ms_days,
        ms_codes,
        smtp_pools,
        ..
    } = p;
    drop(senders);
    let (vmta_names, vmta_of) = sorted_names(&vmtas);
    let (ip_names, ip_of) = sorted_names(&ips);
    let (pool_names, pool_of) = sorted_names(&pools);
    drop((vmtas, ips, pools));

    // Senders in (VMTA, IP, pool) order. Distinct ids may name the same sender once names are
    // read lossily, so equal keys merge.
    let mut order: Vec<([u32; 3], u32)> = sender_dims
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                [
                    vmta_of[d[0] as usize],
                    ip_of[d[1] as usize],
                    pool_of[d[2] as usize],
                ],
                i as u32,
            )
        })
        .collect();
    order.sort_unstable();
    let mut sender_list: Vec<SenderLine> = Vec::with_capacity(order.len());
    let mut sender_of = vec![0u32; order.len()];
    let mut last_key = None;
    for (key, old) in order {
        if last_key != Some(key) {
            sender_list.push(SenderLine {
                vmta: Arc::clone(&vmta_names[key[0] as usize]),
                source_ip: Arc::clone(&ip_names[key[1] as usize]),
                pool: Arc::clone(&pool_names[key[2] as usize]),
                counts: TypeCounts::default(),
            });
            last_key = Some(key);
        }
        let i = sender_list.len() - 1;
        sender_list[i].counts.merge(&sender_counts[old as usize]);
        sender_of[old as usize] = i as u32;
    }
    drop((sender_dims, sender_counts));

    // Recipient domains: case-folded, sorted, each rolled up once.
    let mut order: Vec<(String, u32)> = domains
        .iter()
        .enumerate()
        .map(|(i, s)| (lower(s), i as u32))
        .collect();
    drop(domains);
    order.sort_unstable();
    let mut rcpt = Vec::new();
    let mut rcpt_ends = Vec::new();
    let mut rcpt_counts: Vec<TypeCounts> = Vec::new();
    let mut rcpt_dest_names: Vec<String> = Vec::new();
    let mut rcpt_of = vec![0u32; order.len()];
    for (name, old) in order {
        if !ends_with_name(&rcpt, &rcpt_ends, &name) {
            rcpt.extend_from_slice(name.as_bytes());
            rcpt_ends.push(rcpt.len());
            rcpt_counts.push(TypeCounts::default());
            rcpt_dest_names.push(rollup.resolve(&name, hints.get(&name)));
        }
        let i = rcpt_ends.len() - 1;
        rcpt_counts[i].merge(&domain_stats[old as usize].counts);
        rcpt_of[old as usize] = i as u32;
    }
    drop(domain_stats);
    let mut dest_sorted: Vec<&str> = rcpt_dest_names.iter().map(String::as_str).collect();
    dest_sorted.sort_unstable();
    dest_sorted.dedup();
    let dests: Vec<Arc<str>> = dest_sorted.iter().map(|s| Arc::from(*s)).collect();
    let rcpt_dest: Vec<u32> = rcpt_dest_names
        .iter()
        .map(|d| dests.binary_search_by(|x| (**x).cmp(d)).unwrap_or(0) as u32)
        .collect();
    drop(rcpt_dest_names);
    let mut dest_counts = vec![TypeCounts::default(); dests.len()];
    for (i, c) in rcpt_counts.iter().enumerate() {
        dest_counts[rcpt_dest[i] as usize].merge(c);
    }
    let microsoft = dests
        .binary_search_by(|x| (**x).cmp(MICROSOFT))
        .ok()
        .map(|i| i as u32);
    let to_microsoft = |old_domain: u32| {
        microsoft.is_some_and(|m| rcpt_dest[rcpt_of[old_domain as usize] as usize] == m)
    };

    let mut codes: Vec<(Code, CellCounts)> = codes.into_iter().collect();
    codes.sort_unstable_by_key(|(c, _)| *c);

    let mut by_sender: FxHashMap<(u32, Code), u64> = FxHashMap::default();
    for ((s, code), n) in sender_codes {
        add(&mut by_sender, (sender_of[s as usize], code), n);
    }
    let mut sender_codes: Vec<(u32, Code, u64)> =
        by_sender.into_iter().map(|((s, c), n)| (s, c, n)).collect();
    sender_codes.sort_unstable();
    let mut by_rcpt: FxHashMap<(u32, Code), u64> = FxHashMap::default();
    for ((d, code), n) in domain_codes {
        add(&mut by_rcpt, (rcpt_of[d as usize], code), n);
    }
    let mut rcpt_codes: Vec<(u32, Code, u64)> =
        by_rcpt.into_iter().map(|((d, c), n)| (d, c, n)).collect();
    rcpt_codes.sort_unstable();

    let ip = |old_sender: u32| {
        Arc::clone(&sender_list[sender_of[old_sender as usize] as usize].source_ip)
    };
    let mut ms_sender_map: BTreeMap<u32, TypeCounts> = BTreeMap::new();
    for ((d, s), c) in ms_senders {
        if to_microsoft(d) {
            ms_sender_map
                .entry(sender_of[s as usize])
                .or_default()
                .merge(&c);
        }
    }
    let mut ms_day_map: BTreeMap<(i64, Arc<str>), TypeCounts> = BTreeMap::new();
    for ((day, d, s), c) in ms_days {
        if to_microsoft(d) {
            ms_day_map.entry((day, ip(s))).or_default().merge(&c);
        }
    }
    let mut ms_code_map: BTreeMap<(Arc<str>, Code), u64> = BTreeMap::new();
    for ((d, s, code), n) in ms_codes {
        if to_microsoft(d) {
            *ms_code_map.entry((ip(s), code)).or_default() += n;
        }
    }
    let mut smtp_groups: BTreeMap<(u32, Arc<str>), u64> = BTreeMap::new();
    for ((d, pool), n) in smtp_pools {
        let dest = rcpt_dest[rcpt_of[d as usize] as usize];
        *smtp_groups
            .entry((
                dest,
                Arc::clone(&pool_names[pool_of[pool as usize] as usize]),
            ))
            .or_default() += n;
    }
    Aggregates {
        records,
        by_type,
        first,
        last,
        senders: sender_list,
        rcpt,
        rcpt_ends,
        rcpt_dest,
        rcpt_counts,
        dests,
        dest_counts,
        codes,
        sender_codes,
        rcpt_codes,
        minutes: minutes.into_iter().collect(),
        code_minutes: code_minutes.into_iter().collect(),
        ms_senders: ms_sender_map.into_iter().collect(),
        ms_days: ms_day_map,
        ms_codes: ms_code_map,
        smtp_groups,
    }
}

/// Whether the last name stored in `bytes` is `name`.
fn ends_with_name(bytes: &[u8], ends: &[usize], name: &str) -> bool {
    let Some(&end) = ends.last() else {
        return false;
    };
    let start = if ends.len() > 1 {
        ends[ends.len() - 2]
    } else {
        0
    };
    &bytes[start..end] == name.as_bytes()
}

/// Buckets ordered by total descending, then key ascending.
fn sorted<K: Ord>(mut v: Vec<Bucket<K>>) -> Vec<Bucket<K>> {
    v.sort_by(|a, b| b.total().cmp(&a.total()).then_with(|| a.key.cmp(&b.key)));
    v
}

fn bucket(key: Arc<str>, counts: TypeCounts) -> Bucket<Arc<str>> {
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

    /// Recipient domain -> destination, for filters on `domain`.
    pub fn domain_map(&self) -> FxHashMap<String, String> {
        self.rcpt_domains()
            .map(|(r, d)| (r.to_owned(), d.to_string()))
            .collect()
    }

    /// Rolled-up destinations with their counts, in name order.
    pub fn destinations(&self) -> impl Iterator<Item = (&Arc<str>, &TypeCounts)> {
        self.dests.iter().zip(&self.dest_counts)
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
                    counts: self.rcpt_counts[i],
                    codes: mine,
                }
            })
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
                .map(|(k, c)| bucket(Arc::clone(k), *c))
                .collect(),
            Dim::RcptDomain => (0..self.rcpt_dest.len())
                .map(|i| bucket(Arc::from(self.rcpt_name(i)), self.rcpt_counts[i]))
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
                .map(|i| bucket(Arc::from(self.rcpt_name(i)), self.rcpt_counts[i]))
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
            .map(|((d, p), n)| ((&self.dests[*d as usize], p), *n))
    }

    /// The VMTAs of `pool` with SMTP rows (any destination): the pool's members as the rows
    /// show them.
    pub fn pool_vmtas(&self, pool: &str) -> BTreeSet<String> {
        self.senders
            .iter()
            .filter(|s| &*s.pool == pool && attributed(s.vmta.as_bytes()) && smtp(&s.counts) > 0)
            .map(|s| s.vmta.to_string())
            .collect()
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

    /// The recipient domains that roll up to `domain`.
    pub fn rcpt_domains_to(&self, domain: &str) -> FxHashSet<String> {
        self.rcpt_domains()
            .filter(|(_, d)| &***d == domain)
            .map(|(r, _)| r.to_owned())
            .collect()
    }
}

/// SMTP rows among counts.
fn smtp(c: &TypeCounts) -> u64 {
    c.get(RecordKind::Delivered)
        + c.get(RecordKind::Transient)
        + c.get(RecordKind::Bounced)
        + c.get(RecordKind::TransientQueue)
}
