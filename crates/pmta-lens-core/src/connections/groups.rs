//! The (destination, pool) groups a connections row is built from: what the aggregates counted,
//! what the estimate or the log measured, and where a logged connection belongs.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::rows::pool_of;
use super::{BUSIEST, Estimated, Live, LogConnection, Span, stream};
use crate::aggregate::Aggregates;
use crate::config::Config;
use crate::model::{NONE_KEY, RecordKind, UNATTRIBUTED_KEY};
use crate::rollup;

/// The [`BUSIEST`] groups by SMTP rows (ties by name), kept as they are found: a large sender
/// has a hundred thousand groups to choose from.
pub(super) fn busiest<'a>(groups: &Groups<'a, Rows>) -> BTreeSet<(&'a str, &'a str)> {
    // The worst of the kept on top: most rows first, then name, is the order wanted.
    let mut kept: BinaryHeap<(Reverse<u64>, (&'a str, &'a str))> = BinaryHeap::new();
    for (k, g) in groups.iter() {
        kept.push((Reverse(g.smtp_rows), *k));
        if kept.len() > BUSIEST {
            kept.pop();
        }
    }
    kept.into_iter().map(|(_, k)| k).collect()
}

/// What the aggregates say of one (destination, pool).
pub(super) struct Rows {
    /// Its VMTAs: the pool's (shared by every destination of the pool).
    pub(super) vmtas: Arc<BTreeSet<String>>,
    pub(super) smtp_rows: u64,
}

/// Groups keyed by (destination, pool), in key order: a sorted list, not a tree (a large
/// sender's hundred thousand destinations cost a third as much). Each is the aggregates' rows
/// ([`Rows`]) or connections counted (`&stream::Group`, estimated or logged), borrowed.
pub(super) struct Groups<'a, V>(pub(super) Vec<((&'a str, &'a str), V)>);

impl<V> Default for Groups<'_, V> {
    fn default() -> Self {
        Groups(Vec::new())
    }
}

impl<'a, V> Groups<'a, V> {
    /// From entries in any order, one per key.
    pub(super) fn of(mut v: Vec<((&'a str, &'a str), V)>) -> Groups<'a, V> {
        v.sort_by(|a, b| a.0.cmp(&b.0));
        Groups(v)
    }

    /// Lookups of keys that come in key order (see [`Seek`]).
    pub(super) fn seek(&self) -> Seek<'_, 'a, V> {
        Seek {
            groups: self,
            at: 0,
        }
    }

    pub(super) fn keys(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.0.iter().map(|(k, _)| *k)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&(&'a str, &'a str), &V)> {
        self.0.iter().map(|(k, g)| (k, g))
    }
}

/// Lookups in [`Groups`] of keys that come in key order, as a walk over every destination
/// asks them: each moves forward from the last, a comparison or two a group, where a binary
/// search made about seventeen string comparisons a key among a large sender's hundred
/// thousand, each a cache miss. A key before the last one is found by a search.
pub(super) struct Seek<'g, 'a, V> {
    groups: &'g Groups<'a, V>,
    /// The first entry whose key is not before the last key looked up.
    at: usize,
}

impl<'g, V> Seek<'g, '_, V> {
    pub(super) fn get(&mut self, key: &(&str, &str)) -> Option<&'g V> {
        let v = &self.groups.0;
        if self.at > 0 && v[self.at - 1].0 >= *key {
            self.at = v.partition_point(|(k, _)| k < key);
        }
        while v.get(self.at).is_some_and(|(k, _)| k < key) {
            self.at += 1;
        }
        v.get(self.at).filter(|(k, _)| k == key).map(|(_, g)| g)
    }
}

/// Two sorted key lists as one, each key once.
pub(super) fn merged_keys<'a>(
    a: impl Iterator<Item = (&'a str, &'a str)>,
    b: impl Iterator<Item = (&'a str, &'a str)>,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(x), Some(y)) if x < y => a.next(),
        (Some(x), Some(y)) if x > y => b.next(),
        (Some(_), Some(_)) => {
            b.next();
            a.next()
        }
        (Some(_), None) => a.next(),
        (None, _) => b.next(),
    })
}

/// Which VMTA sends from which IP, as the rows say (to place log lines): (IP, VMTA) -> rows.
pub(super) fn ip_vmta(agg: &Aggregates) -> FxHashMap<(String, String), u64> {
    let mut out: FxHashMap<(String, String), u64> = FxHashMap::default();
    for s in agg.senders() {
        if &*s.source_ip != NONE_KEY && &*s.vmta != UNATTRIBUTED_KEY {
            *out.entry((s.source_ip.to_string(), s.vmta.to_string()))
                .or_default() += s.counts.total();
        }
    }
    out
}

/// Destinations and pools with SMTP rows in the aggregates, with their VMTAs (the pool's
/// VMTAs with SMTP rows to any destination: `PowerMTA` may use each of them for every
/// destination the pool serves) and row counts.
pub(super) fn aggregated_groups<'a>(
    agg: &'a Aggregates,
    config: Option<&Config>,
) -> Groups<'a, Rows> {
    // The VMTAs of each pool as the budget names pools: the row's, else the config's.
    let mut members: BTreeMap<String, Arc<BTreeSet<String>>> = BTreeMap::new();
    for s in agg.senders() {
        let vmta: &str = &s.vmta;
        let n = &s.counts;
        let smtp = n.get(RecordKind::Delivered)
            + n.get(RecordKind::Transient)
            + n.get(RecordKind::Bounced)
            + n.get(RecordKind::TransientQueue);
        if vmta == NONE_KEY || vmta == UNATTRIBUTED_KEY || smtp == 0 {
            continue;
        }
        Arc::make_mut(members.entry(pool_of(&s.pool, vmta, config)).or_default())
            .insert(vmta.to_owned());
    }
    // One entry per (destination, pool), already in key order.
    Groups(
        agg.smtp_groups()
            .map(|((dest, pool), n)| {
                let g = Rows {
                    vmtas: members.get(&**pool).cloned().unwrap_or_default(),
                    smtp_rows: n,
                };
                ((&**dest, &**pool), g)
            })
            .collect(),
    )
}

/// Connections counted per destination and pool (estimated or logged), by their key.
pub(super) fn groups_of(list: &[stream::Group]) -> Groups<'_, &stream::Group> {
    Groups::of(list.iter().map(|g| ((&*g.domain, &*g.pool), g)).collect())
}

/// The log's connections, placed on a destination, pool, IP and VMTA.
pub(super) fn logged_groups(
    conns: &[LogConnection],
    place: &Placer<'_>,
    vmta_pools: &BTreeMap<&str, &str>,
    resolve: &dyn Fn(&str) -> String,
    series: bool,
) -> Vec<stream::Group> {
    // (destination, pool) -> (source IP, VMTA) -> spans.
    type Key = (String, String);
    let mut spans: BTreeMap<Key, BTreeMap<Key, Vec<Span>>> = BTreeMap::new();
    let mut groups: BTreeMap<Key, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for c in conns {
        let (ip, vmta) = place.source(c);
        let row_pool = vmta_pools.get(vmta.as_str()).copied().unwrap_or(NONE_KEY);
        let pool = pool_of(row_pool, &vmta, place.config);
        let dest = match &c.queue {
            Some(q) => resolve(q),
            None => place.destination(&c.mx_host, resolve),
        };
        let (vmtas, queues) = groups.entry((dest.clone(), pool.clone())).or_default();
        if vmta != NONE_KEY {
            vmtas.insert(vmta.clone());
        }
        if let Some(q) = &c.queue {
            queues.insert(q.clone());
        }
        spans
            .entry((dest, pool))
            .or_default()
            .entry((ip, vmta))
            .or_default()
            .push(Span {
                open: c.open_ms,
                close: c.close_ms,
            });
    }
    spans
        .into_iter()
        .map(|(key, per_ip)| {
            let (vmtas, queues) = groups.remove(&key).unwrap_or_default();
            let all: Vec<Span> = per_ip.values().flatten().copied().collect();
            let queues = queues.into_iter().map(String::into_boxed_str).collect();
            stream::Group {
                other_queues: stream::Group::queues_field(&key.0, queues),
                domain: key.0.into_boxed_str(),
                pool: Arc::from(key.1),
                vmtas: Arc::new(vmtas),
                timeline: Live::of(&all, series).finish(),
                by_source_ip: per_ip
                    .into_iter()
                    .map(|(k, s)| (k, Live::of(&s, false).finish()))
                    .collect(),
            }
        })
        .collect()
}

/// Places a log connection: our IP and VMTA, and its destination.
pub(super) struct Placer<'a> {
    pub(super) config: Option<&'a Config>,
    pub(super) rows: Option<&'a Estimated>,
    /// (source IP, VMTA) -> rows, from the aggregates.
    pub(super) ip_vmta: &'a FxHashMap<(String, String), u64>,
}

impl Placer<'_> {
    /// (source IP, VMTA), each `(none)` when neither the line, the config nor the rows say.
    pub(super) fn source(&self, c: &LogConnection) -> (String, String) {
        let by_rows_ip = |ip: &str| {
            self.ip_vmta
                .iter()
                .filter(|((i, _), _)| i == ip)
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                .map(|((_, v), _)| v.clone())
        };
        let by_rows_vmta = |vmta: &str| {
            self.ip_vmta
                .iter()
                .filter(|((_, v), _)| v.eq_ignore_ascii_case(vmta))
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                .map(|((i, _), _)| i.clone())
        };
        let vmta = c
            .vmta
            .clone()
            .or_else(|| {
                let ip = c.source_ip.as_deref()?;
                self.config
                    .and_then(|cfg| cfg.vmta_for_ip(ip).map(str::to_owned))
                    .or_else(|| by_rows_ip(ip))
            })
            .unwrap_or_else(|| NONE_KEY.to_owned());
        let ip = c
            .source_ip
            .clone()
            .or_else(|| {
                self.config
                    .and_then(|cfg| cfg.vmta_ips(&vmta).first().map(|s| (*s).to_owned()))
                    .or_else(|| by_rows_vmta(&vmta))
            })
            .unwrap_or_else(|| NONE_KEY.to_owned());
        (ip, vmta)
    }

    /// The destination of a connection known only by its MX host: the recipient domains the
    /// rows delivered through that host, the config's `<mx-rollup-list>`, Microsoft's consumer
    /// MX, else the host itself.
    pub(super) fn destination(&self, host: &str, resolve: &dyn Fn(&str) -> String) -> String {
        if let Some(rows) = self.rows {
            let best = rows
                .mx_hosts
                .iter()
                .filter(|((h, _), _)| h == host)
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.1.cmp(&a.0.1)));
            if let Some(((_, rcpt), _)) = best {
                return resolve(rcpt);
            }
        }
        if rollup::is_microsoft_consumer_mx(host.as_bytes()) {
            return rollup::MICROSOFT.to_owned();
        }
        if let Some(r) = self.config.and_then(|c| c.rollup_for_mx_host(host)) {
            return r.to_owned();
        }
        host.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::Groups;

    #[test]
    fn seek_finds_keys_in_order_and_out_of_order_as_a_search_does() {
        let groups = Groups::of(vec![
            (("b.example", "pool-2"), 2),
            (("a.example", "pool-1"), 1),
            (("d.example", "pool-1"), 4),
            (("b.example", "pool-1"), 3),
        ]);
        let search = |key: &(&str, &str)| {
            groups
                .0
                .binary_search_by(|(k, _)| k.cmp(key))
                .ok()
                .map(|i| groups.0[i].1)
        };
        let keys = [
            ("a.example", "pool-1"),
            ("a.example", "pool-2"),
            ("b.example", "pool-1"),
            ("b.example", "pool-1"),
            ("b.example", "pool-2"),
            ("c.example", "pool-1"),
            ("d.example", "pool-1"),
            ("e.example", "pool-1"),
            // Backwards: found by a search from the start.
            ("b.example", "pool-2"),
            ("a.example", "pool-1"),
            ("0.example", "pool-1"),
            ("d.example", "pool-1"),
        ];
        let mut seek = groups.seek();
        for key in &keys {
            assert_eq!(seek.get(key).copied(), search(key), "{key:?}");
        }
        assert_eq!(Groups::<u8>::default().seek().get(&("a", "b")), None);
    }
}
