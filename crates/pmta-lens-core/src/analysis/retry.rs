//! RP-001 retry hygiene: the article says a 421 RP-001 is a reputation block, to be retried no
//! sooner than 4 h. Finds each recipient (`t` rows) and each queue (`tq` rows) attempted again
//! sooner than `--rp001-min-retry` after an RP-001.
//!
//! Two passes keep memory bounded by the RP-001 rows, not the file: the first collects every
//! RP-001 (key, time, IP, VMTA) ([`Blocks`]); the second looks, for each of them, for the earliest
//! later attempt of the same key ([`NextAttempts`]). Both work on times, not on row order, and
//! merge per chunk with a minimum, so chunk and file boundaries (and the order files are given in)
//! cannot change the result. An attempt in the same second as the RP-001 is not a retry (parallel
//! connections of one queue often get the 421 together).

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::acct::header::Col;
use crate::classify::Classifier;
use crate::model::{Code, RecordKind};
use crate::scan::Row;

use super::bursts::ranked;

/// How many example retries the report keeps per scope.
pub const EXAMPLES: usize = 5;

/// The article's action for RP-001 retried too soon.
pub const ACTION: &str = "Set retry-after to 4h minimum for RP-001 via smtp-pattern-list \
(\"421 4.7.0 RP-001\" retry-after=4h in the outlook.com domain's pattern list): retrying a \
reputation block sooner adds blocked connection attempts that worsen SNDS data";

/// Whether a key is a recipient (`t` rows) or a queue (`tq` rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Recipient,
    Queue,
}

/// One RP-001: when and from where.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Block {
    time: i64,
    source_ip: String,
    vmta: String,
}

/// A recipient or a queue.
type Key = (Scope, Box<[u8]>);

/// Pass 1, per chunk: the RP-001 rows by (scope, key).
#[derive(Clone, Debug, Default)]
pub struct Blocks {
    by_key: FxHashMap<Key, Vec<Block>>,
}

impl Blocks {
    #[inline]
    pub fn row(&mut self, rp001: Code, row: &Row<'_>) {
        if row.keys.code != rp001 {
            return;
        }
        let Some(time) = row.keys.time else { return };
        let (scope, key) = match row.keys.kind {
            RecordKind::Transient => (Scope::Recipient, row.get(Col::Rcpt)),
            RecordKind::TransientQueue => (Scope::Queue, row.get(Col::Queue)),
            _ => return,
        };
        if key.is_empty() {
            return;
        }
        self.by_key
            .entry((scope, key.into()))
            .or_default()
            .push(Block {
                time,
                source_ip: String::from_utf8_lossy(row.keys.source_ip).into_owned(),
                vmta: String::from_utf8_lossy(row.keys.vmta).into_owned(),
            });
    }

    pub fn merge(&mut self, other: Blocks) {
        for (k, mut v) in other.by_key {
            self.by_key.entry(k).or_default().append(&mut v);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Sorted, one block per key and second, ready for the second pass.
    pub fn targets(self) -> Targets {
        let mut keys: Vec<(Key, Vec<Block>)> = self.by_key.into_iter().collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        let mut t = Targets::default();
        for (i, (k, mut v)) in keys.into_iter().enumerate() {
            v.sort();
            v.dedup_by(|b, a| a.time == b.time);
            let index = match k.0 {
                Scope::Recipient => &mut t.recipients,
                Scope::Queue => &mut t.queues,
            };
            index.insert(k.1.clone(), i as u32);
            t.blocks.push((k, v));
        }
        t
    }
}

/// The keys that had an RP-001, with their blocks sorted by time.
#[derive(Debug, Default)]
pub struct Targets {
    /// Key -> index in `blocks`, one map per scope so a borrowed field can be looked up.
    recipients: FxHashMap<Box<[u8]>, u32>,
    queues: FxHashMap<Box<[u8]>, u32>,
    blocks: Vec<(Key, Vec<Block>)>,
}

impl Targets {
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The recipients that had an RP-001.
    pub fn recipient_keys(&self) -> impl Iterator<Item = &[u8]> {
        self.recipients.keys().map(|k| &k[..])
    }

    #[inline]
    pub fn has_recipient(&self, rcpt: &[u8]) -> bool {
        !self.recipients.is_empty() && self.recipients.contains_key(rcpt)
    }

    /// Whether any queue had an RP-001 (`tq` rows).
    #[inline]
    pub fn has_queues(&self) -> bool {
        !self.queues.is_empty()
    }

    #[inline]
    pub fn has_queue(&self, queue: &[u8]) -> bool {
        !self.queues.is_empty() && self.queues.contains_key(queue)
    }
}

/// The earliest attempt after one RP-001.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Next {
    time: i64,
    kind: RecordKind,
    code: Code,
}

/// Pass 2, per chunk: for (key index, block index), the earliest later attempt.
#[derive(Debug, Default)]
pub struct NextAttempts {
    next: FxHashMap<(u32, u32), Next>,
}

impl NextAttempts {
    #[inline]
    pub fn row(&mut self, targets: &Targets, row: &Row<'_>) {
        let kind = row.keys.kind;
        if !kind.is_attempt() || kind == RecordKind::Received {
            return;
        }
        let Some(time) = row.keys.time else { return };
        if kind != RecordKind::TransientQueue {
            self.check(targets, Scope::Recipient, row.get(Col::Rcpt), time, row);
        }
        self.check(targets, Scope::Queue, row.get(Col::Queue), time, row);
    }

    #[inline]
    fn check(&mut self, targets: &Targets, scope: Scope, key: &[u8], time: i64, row: &Row<'_>) {
        if key.is_empty() {
            return;
        }
        let index = match scope {
            Scope::Recipient => &targets.recipients,
            Scope::Queue => &targets.queues,
        };
        let Some(&ki) = index.get(key) else { return };
        let blocks = &targets.blocks[ki as usize].1;
        // The last RP-001 strictly before this attempt: an attempt after a later RP-001 is that
        // one's retry, and the later RP-001 row itself is this one's.
        let after = blocks.partition_point(|b| b.time < time);
        if after == 0 {
            return;
        }
        let n = Next {
            time,
            kind: row.keys.kind,
            code: row.keys.code,
        };
        self.next
            .entry((ki, (after - 1) as u32))
            .and_modify(|cur| *cur = (*cur).min(n))
            .or_insert(n);
    }

    pub fn merge(&mut self, other: NextAttempts) {
        for (k, n) in other.next {
            self.next
                .entry(k)
                .and_modify(|cur| *cur = (*cur).min(n))
                .or_insert(n);
        }
    }
}

/// RP-001 retry hygiene, for recipients and queues.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct RetryHygiene {
    /// The shortest acceptable gap, seconds (`--rp001-min-retry`).
    pub min_retry: i64,
    /// Recipients, from `t` rows.
    pub recipients: RetryScope,
    /// Queues (`domain/vmta`), from `tq` rows.
    pub queues: RetryScope,
}

/// Retry hygiene of one kind of key.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct RetryScope {
    /// RP-001s (one per key and second).
    pub rp001: u64,
    /// Distinct keys with an RP-001.
    pub keys: u64,
    /// RP-001s followed by another attempt of the same key.
    pub retried: u64,
    /// RP-001s retried sooner than the minimum, and their distinct keys.
    pub too_soon: u64,
    pub too_soon_keys: u64,
    /// Over every retried RP-001, seconds.
    pub shortest_gap: Option<i64>,
    pub median_gap: Option<i64>,
    pub by_source_ip: Vec<RetryGroup>,
    pub by_vmta: Vec<RetryGroup>,
    /// The shortest too-soon retries.
    pub examples: Vec<RetryExample>,
}

/// Retry hygiene under one sending IP or VMTA (of the RP-001).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RetryGroup {
    pub key: String,
    pub rp001: u64,
    pub retried: u64,
    pub too_soon: u64,
    pub shortest_gap: Option<i64>,
    pub median_gap: Option<i64>,
}

/// One RP-001 and its retry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RetryExample {
    /// The recipient or the queue.
    pub key: String,
    #[serde(serialize_with = "super::ser::time")]
    pub rp001_at: i64,
    #[serde(serialize_with = "super::ser::time")]
    pub retry_at: i64,
    pub gap: i64,
    pub source_ip: String,
    pub vmta: String,
    /// The retry's record type and code (`(none)` for a delivery).
    pub retry_type: String,
    pub retry_code: String,
}

fn median(sorted: &[i64]) -> Option<i64> {
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some(i64::midpoint(sorted[n / 2 - 1], sorted[n / 2])),
    }
}

#[derive(Default)]
struct GroupAcc {
    rp001: u64,
    too_soon: u64,
    gaps: Vec<i64>,
}

impl GroupAcc {
    fn add(&mut self, gap: Option<i64>, min_retry: i64) {
        self.rp001 += 1;
        if let Some(g) = gap {
            self.gaps.push(g);
            if g < min_retry {
                self.too_soon += 1;
            }
        }
    }

    fn finish(mut self, key: String) -> RetryGroup {
        self.gaps.sort_unstable();
        RetryGroup {
            key,
            rp001: self.rp001,
            retried: self.gaps.len() as u64,
            too_soon: self.too_soon,
            shortest_gap: self.gaps.first().copied(),
            median_gap: median(&self.gaps),
        }
    }
}

fn groups(map: BTreeMap<String, GroupAcc>) -> Vec<RetryGroup> {
    let mut v: Vec<RetryGroup> = map.into_iter().map(|(k, g)| g.finish(k)).collect();
    v.sort_by(|a, b| {
        (b.too_soon, b.rp001)
            .cmp(&(a.too_soon, a.rp001))
            .then_with(|| a.key.cmp(&b.key))
    });
    v
}

/// Joins the blocks with their next attempts.
pub fn finish(
    targets: &Targets,
    next: &NextAttempts,
    min_retry: i64,
    classifier: &Classifier,
) -> RetryHygiene {
    let mut out = RetryHygiene {
        min_retry,
        ..RetryHygiene::default()
    };
    for scope in [Scope::Recipient, Scope::Queue] {
        let mut s = RetryScope::default();
        let mut gaps = Vec::new();
        let mut by_ip: BTreeMap<String, GroupAcc> = BTreeMap::new();
        let mut by_vmta: BTreeMap<String, GroupAcc> = BTreeMap::new();
        let mut examples = Vec::new();
        for (ki, ((sc, key), blocks)) in targets.blocks.iter().enumerate() {
            if *sc != scope {
                continue;
            }
            s.keys += 1;
            let mut key_too_soon = false;
            for (bi, b) in blocks.iter().enumerate() {
                s.rp001 += 1;
                let n = next.next.get(&(ki as u32, bi as u32));
                let gap = n.map(|n| n.time - b.time);
                by_ip
                    .entry(b.source_ip.clone())
                    .or_default()
                    .add(gap, min_retry);
                by_vmta
                    .entry(b.vmta.clone())
                    .or_default()
                    .add(gap, min_retry);
                let (Some(n), Some(gap)) = (n, gap) else {
                    continue;
                };
                s.retried += 1;
                gaps.push(gap);
                if gap < min_retry {
                    s.too_soon += 1;
                    key_too_soon = true;
                    examples.push(RetryExample {
                        key: String::from_utf8_lossy(key).into_owned(),
                        rp001_at: b.time,
                        retry_at: n.time,
                        gap,
                        source_ip: b.source_ip.clone(),
                        vmta: b.vmta.clone(),
                        retry_type: n.kind.as_str().to_string(),
                        retry_code: classifier.code_name(n.code),
                    });
                }
            }
            s.too_soon_keys += u64::from(key_too_soon);
        }
        gaps.sort_unstable();
        s.shortest_gap = gaps.first().copied();
        s.median_gap = median(&gaps);
        s.by_source_ip = groups(by_ip);
        s.by_vmta = groups(by_vmta);
        examples.sort_by(|a, b| (a.gap, &a.key, a.rp001_at).cmp(&(b.gap, &b.key, b.rp001_at)));
        examples.truncate(EXAMPLES);
        s.examples = examples;
        match scope {
            Scope::Recipient => out.recipients = s,
            Scope::Queue => out.queues = s,
        }
    }
    out
}

/// The sending IPs with the most too-soon retries, for a finding's evidence.
pub fn top_ips(s: &RetryScope, n: usize) -> Vec<(String, u64)> {
    let mut v = ranked(
        s.by_source_ip
            .iter()
            .filter(|g| g.too_soon > 0)
            .map(|g| (g.key.clone(), g.too_soon)),
    );
    v.truncate(n);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        let cases: [(&[i64], Option<i64>); 4] = [
            (&[], None),
            (&[5], Some(5)),
            (&[1, 3], Some(2)),
            (&[1, 2, 9], Some(2)),
        ];
        for (v, want) in cases {
            assert_eq!(median(v), want, "{v:?}");
        }
    }
}
