//! The connection estimate from accounting rows alone. `PowerMTA` records deliveries, not
//! connections, so the connections are rebuilt the way `PowerMTA` would most plausibly have
//! opened them, queue by queue (one destination queue on one VMTA):
//!
//! 1. every SMTP row (`d`, `t`, `b` with a sending IP; `tq` with one) is one transaction that
//!    ended at its `timeLogged` (taken as the middle of that second) and took the assumed
//!    transaction time before it;
//! 2. rows are replayed in time order; a row reuses an open connection of its queue that is free
//!    by the time its transaction started and goes to the same MX address (`dlvDestinationIp`:
//!    one connection talks to one address), the one freed last first; otherwise a connection is
//!    opened (the assumed setup time before the transaction), unless the queue already has
//!    `max-smtp-out` connections, in which case the row waits for the one that frees first;
//! 3. a connection closes `connection-idle-timeout` after its last transaction (`PowerMTA`'s
//!    default: at once); a `tq` row is a connection that failed during setup.
//!
//! The cap and the idle timeout come from the config (or `PowerMTA`'s defaults); the
//! transaction and setup times are assumptions. docs/connections.md gives the error measured
//! against simulated connections with known truth. The rows come from the scan, chunk by chunk
//! ([`Collector`]); `connections::stream` replays them as they come.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use rustc_hash::{FxBuildHasher, FxHashMap};
use serde::Serialize;

use super::timeline::Span;
use crate::acct::header::Col;
use crate::aggregate::Dict as Interner;
use crate::model::{NONE_KEY, RecordKind};
use crate::rollup;
use crate::scan::Row;

/// The assumptions of the estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Params {
    /// How long one transaction (MAIL, RCPT, DATA, reply) keeps a connection busy, ms.
    pub transaction_ms: i64,
    /// How long before its first transaction a connection was opened (TCP, greeting, EHLO,
    /// STARTTLS), ms.
    pub setup_ms: i64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            transaction_ms: 1_200,
            setup_ms: 900,
        }
    }
}

/// One SMTP row, reduced to what the estimate needs, in 8 bytes: the estimate keeps one per
/// SMTP row until the connections are rebuilt. Orders by (time, MX, failed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Attempt {
    /// Unix seconds (`timeLogged`): 1970 to 2106.
    time: u32,
    /// The MX index shifted left by one, the low bit set for a failed connection.
    mx_failed: u32,
}

impl Attempt {
    /// `time` in Unix seconds, `mx` an index into the MX names (0 is "unknown"), `failed` for a
    /// `tq` row (a connection that failed before any transaction). `None` for a time outside
    /// 1970-2106 or an index past 2^31.
    pub fn new(time: i64, mx: u32, failed: bool) -> Option<Attempt> {
        let time = u32::try_from(time).ok()?;
        (mx < 1 << 31).then_some(Attempt {
            time,
            mx_failed: mx << 1 | u32::from(failed),
        })
    }

    pub fn time(self) -> i64 {
        i64::from(self.time)
    }

    pub fn mx(self) -> u32 {
        self.mx_failed >> 1
    }

    pub fn failed(self) -> bool {
        self.mx_failed & 1 == 1
    }

    /// The same row with another MX index (below 2^31).
    pub(super) fn with_mx(self, mx: u32) -> Attempt {
        Attempt {
            time: self.time,
            mx_failed: mx << 1 | (self.mx_failed & 1),
        }
    }
}

/// What one chunk of rows contributes: a side collector of the scan (see
/// [`crate::scan::run_with`]), or of its own pass ([`super::stream::collect`]).
/// [`Collector::default`] leaves out the MX hosts (only a log without queue names needs them);
/// [`Collector::with_hosts`] keeps them.
#[derive(Clone, Debug, Default)]
pub struct Collector {
    hosts: bool,
    strings: Interner,
    /// (VMTA, IP, queue, recipient domain, pool) as ids of `strings`, each key once; found by
    /// hash in `keys` (no bytes per key: a large sender's chunk has a key for nearly every
    /// row).
    keys: HashTable<u32>,
    key_list: Vec<[u32; 5]>,
    /// A row of the key went to a Microsoft consumer MX.
    key_microsoft: Vec<bool>,
    /// The key of the row before, to skip the lookup when rows repeat it.
    scratch: Vec<u8>,
    last: Vec<u8>,
    last_id: u32,
    /// (key, attempt whose MX is the chunk's string id of the address plus one, 0 unknown)
    attempts: Vec<(u32, Attempt)>,
    /// (MX host, key) -> rows
    mx_hosts: FxHashMap<(u32, u32), u64>,
    /// The `dsnMta` of the row before and its host id.
    last_mta: Vec<u8>,
    last_host: u32,
}

impl Collector {
    /// A collector that also learns which MX hosts served which recipient domains.
    pub fn with_hosts() -> Collector {
        Collector {
            hosts: true,
            ..Collector::default()
        }
    }

    /// Looks at one row (all rows should be seen: connections are not filtered).
    #[inline]
    pub fn row(&mut self, row: &Row<'_>) {
        let k = row.keys;
        let kind = k.kind;
        let smtp = matches!(
            kind,
            RecordKind::Delivered
                | RecordKind::Transient
                | RecordKind::Bounced
                | RecordKind::TransientQueue
        );
        let Some(time) = k.time else { return };
        if !smtp || k.source_ip == NONE_KEY.as_bytes() || k.source_ip == b"0.0.0.0" {
            return;
        }
        let queue = rollup::queue_domain(row.get(Col::Queue));
        let queue = if queue.is_empty() {
            k.rcpt_domain
        } else {
            queue
        };
        self.scratch.clear();
        for part in [k.vmta, k.source_ip, queue, k.rcpt_domain, k.pool] {
            self.scratch.extend_from_slice(part);
            self.scratch.push(0);
        }
        let id = if !self.last.is_empty() && self.scratch == self.last {
            self.last_id
        } else {
            let key = [
                self.strings.intern(k.vmta),
                self.strings.intern(k.source_ip),
                self.strings.intern(queue),
                self.strings.intern(k.rcpt_domain),
                self.strings.intern(k.pool),
            ];
            let list = &self.key_list;
            let hash = |k: &[u32; 5]| FxBuildHasher.hash_one(k);
            match self.keys.entry(
                hash(&key),
                |&id| list[id as usize] == key,
                |&id| hash(&list[id as usize]),
            ) {
                Entry::Occupied(e) => *e.get(),
                Entry::Vacant(e) => {
                    let id = u32::try_from(self.key_list.len()).unwrap_or(u32::MAX);
                    e.insert(id);
                    self.key_list.push(key);
                    self.key_microsoft.push(false);
                    id
                }
            }
        };
        std::mem::swap(&mut self.scratch, &mut self.last);
        self.last_id = id;
        if k.microsoft_mx {
            self.key_microsoft[id as usize] = true;
        }
        let mx_ip = row.get(Col::DlvDestinationIp);
        let mx = if mx_ip.is_empty() {
            0
        } else {
            self.strings.intern(mx_ip) + 1
        };
        // A time past 2106 (or before 1970) is no real row: left out of the estimate.
        if let Some(a) = Attempt::new(time, mx, kind == RecordKind::TransientQueue) {
            self.attempts.push((id, a));
        }
        let dsn_mta = row.get(Col::DsnMta);
        if self.hosts && !dsn_mta.is_empty() && kind != RecordKind::TransientQueue {
            let host = if dsn_mta == self.last_mta.as_slice() {
                self.last_host
            } else {
                let name = dsn_mta.split(|b| *b == b' ').next().unwrap_or_default();
                self.last_mta.clear();
                self.last_mta.extend_from_slice(dsn_mta);
                self.last_host = self.strings.intern(name);
                self.last_host
            };
            *self.mx_hosts.entry((host, id)).or_default() += 1;
        }
    }

    /// What the chunk collected, taken apart.
    pub(super) fn into_parts(self) -> Parts {
        Parts {
            strings: self.strings,
            keys: self.key_list,
            microsoft_mx: self.key_microsoft,
            attempts: self.attempts,
            mx_hosts: self.mx_hosts,
        }
    }
}

/// A chunk's SMTP rows: its strings, its queues' keys (VMTA, IP, queue, recipient domain,
/// pool, as ids of `strings`), whether each key's rows went to a Microsoft MX, its rows (key,
/// attempt whose MX is the string id of the address plus one) and (MX host, key) -> rows.
pub(super) struct Parts {
    pub strings: Interner,
    pub keys: Vec<[u32; 5]>,
    pub microsoft_mx: Vec<bool>,
    pub attempts: Vec<(u32, Attempt)>,
    pub mx_hosts: FxHashMap<(u32, u32), u64>,
}

/// The resolution of `timeLogged`.
const RESOLUTION_MS: i64 = 250;

#[derive(Clone, Copy)]
struct Open {
    mx: u32,
    opened: i64,
    /// When its last transaction ended.
    free_at: i64,
}

/// What a [`Replay`] tells as it goes: a connection opened, or one closed (with when it had
/// opened, so a consumer can make spans of the two).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Open(i64),
    Close { opened: i64, at: i64 },
}

/// Rebuilds the connections of one queue from its rows (sorted by time): at most `cap` open at
/// once, closing `idle_ms` after their last transaction.
pub fn rebuild(attempts: &[Attempt], cap: u32, idle_ms: i64, p: &Params) -> Vec<Span> {
    let mut replay = Replay::new(cap, idle_ms, *p);
    let mut events = Vec::new();
    for a in attempts {
        replay.push(*a, &mut events);
    }
    replay.finish(&mut events);
    events
        .into_iter()
        .filter_map(|e| match e {
            Event::Close { opened, at } => Some(Span {
                open: opened,
                close: at,
            }),
            Event::Open(_) => None,
        })
        .collect()
}

/// One queue's connections, rebuilt row by row in time order. It holds the queue's open
/// connections and the rows of the current second (their order within it is unknown, so they
/// are spread evenly over it once the second is complete), and tells each connection's opening
/// and closing as [`Event`]s: an opening as soon as it is decided, a closing once no later row
/// can keep the connection.
#[derive(Clone)]
pub struct Replay {
    cap: usize,
    idle_ms: i64,
    p: Params,
    open: Vec<Open>,
    /// Close times of connections that closed recently: a new connection must not overlap so
    /// many of them that the queue would have had more than `cap` at once.
    recent: Vec<i64>,
    /// The rows of the latest second.
    second: Vec<Attempt>,
}

impl Replay {
    pub fn new(cap: u32, idle_ms: i64, p: Params) -> Replay {
        Replay {
            cap: cap.max(1) as usize,
            idle_ms,
            p,
            open: Vec::new(),
            recent: Vec::new(),
            second: Vec::new(),
        }
    }

    /// The replay of another queue, in the same buffers: as [`Replay::new`], without allocating.
    pub fn reset(&mut self, cap: u32, idle_ms: i64, p: Params) {
        self.cap = cap.max(1) as usize;
        self.idle_ms = idle_ms;
        self.p = p;
        self.open.clear();
        self.recent.clear();
        self.second.clear();
    }

    /// The next row, in time order (a row from an earlier second counts as the current one).
    pub fn push(&mut self, a: Attempt, out: &mut Vec<Event>) {
        if self.second.first().is_some_and(|s| a.time > s.time) {
            self.flush_second(out);
        }
        self.second.push(a);
    }

    /// Replays the rows buffered for the latest second (no more will come for it).
    pub fn flush_second(&mut self, out: &mut Vec<Event>) {
        let rows = std::mem::take(&mut self.second);
        let k = rows.len().max(1) as i64;
        for (i, a) in rows.iter().enumerate() {
            let end = a.time() * 1000 + (1000 * (2 * i as i64 + 1)) / (2 * k);
            self.replay(*a, end, out);
        }
        self.second = rows;
        self.second.clear();
    }

    /// Closes the connections idle since before `bound` ms: no row whose transaction starts at
    /// or after `bound` could reuse them (the close a later row would find, found now).
    pub fn sweep(&mut self, bound: i64, out: &mut Vec<Event>) {
        let idle_ms = self.idle_ms;
        let recent = &mut self.recent;
        self.open.retain(|c| {
            let closes = c.free_at + idle_ms;
            if closes < bound {
                out.push(close(c.opened, closes));
                recent.push(closes);
                false
            } else {
                true
            }
        });
    }

    /// Whether the queue remembers nothing a row starting at or after `bound` ms would need.
    pub fn is_idle(&self, bound: i64) -> bool {
        self.open.is_empty()
            && self.second.is_empty()
            && self.recent.iter().all(|t| *t <= bound - self.p.setup_ms)
    }

    /// Closes everything, once every row was pushed.
    pub fn finish(&mut self, out: &mut Vec<Event>) {
        self.flush_second(out);
        let idle_ms = self.idle_ms;
        out.extend(
            self.open
                .drain(..)
                .map(|c| close(c.opened, c.free_at + idle_ms)),
        );
    }

    /// One row whose transaction ended at `end` (ms).
    fn replay(&mut self, a: Attempt, end: i64, out: &mut Vec<Event>) {
        let (p, cap) = (self.p, self.cap);
        let start = end - p.transaction_ms;
        // Connections idle for longer than the timeout by now have closed.
        self.sweep(start, out);
        self.recent.retain(|&t| t > start - p.setup_ms);
        if a.failed() {
            out.push(Event::Open(end - p.setup_ms));
            out.push(close(end - p.setup_ms, end));
            return;
        }
        let same_mx = |c: &Open| a.mx() == 0 || c.mx == 0 || c.mx == a.mx();
        // `timeLogged` has whole seconds: both ends are known to within a second.
        let reuse = self
            .open
            .iter_mut()
            .filter(|c| same_mx(c) && c.free_at <= start + RESOLUTION_MS)
            .max_by_key(|c| c.free_at);
        if let Some(c) = reuse {
            c.free_at = end;
            return;
        }
        if self.open.len() < cap {
            // Opened for this row: setup before its transaction, but not before enough of the
            // recently closed connections had gone.
            let mut opened = start - p.setup_ms;
            if self.open.len() + self.recent.len() >= cap {
                self.recent.sort_unstable();
                let i = self.open.len() + self.recent.len() - cap;
                opened = opened.max(self.recent[i]);
            }
            out.push(Event::Open(opened));
            self.open.push(Open {
                mx: a.mx(),
                opened,
                free_at: end,
            });
            return;
        }
        // At the cap: the row waited for a connection to the same address (the one that frees
        // first); with none, the connection that frees first closed and one to this row's
        // address took its place.
        if let Some(c) = self
            .open
            .iter_mut()
            .filter(|c| same_mx(c))
            .min_by_key(|c| c.free_at)
        {
            c.free_at = c.free_at.max(end);
            return;
        }
        let Some(first) = self.open.iter_mut().min_by_key(|c| c.free_at) else {
            return;
        };
        let swap = first.free_at.max(start - p.setup_ms).min(end - 1);
        if swap > first.opened {
            out.push(close(first.opened, swap));
            self.recent.push(swap);
            out.push(Event::Open(swap));
        }
        *first = Open {
            mx: a.mx(),
            opened: swap.max(first.opened),
            free_at: end,
        };
    }
}

/// A closing, as [`crate::connections::Steps::of`] counts it: a connection lasts at least 1 ms.
fn close(opened: i64, at: i64) -> Event {
    Event::Close {
        opened,
        at: at.max(opened + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connections::timeline::Steps;

    fn at(time: i64, mx: u32) -> Attempt {
        Attempt::new(time, mx, false).expect("in range")
    }

    #[test]
    fn sparse_rows_are_one_short_connection_each() {
        let p = Params::default();
        let spans = rebuild(&[at(100, 1), at(200, 1)], 20, 0, &p);
        assert_eq!(spans.len(), 2);
        assert_eq!(
            spans[0],
            Span {
                open: 100_500 - 1200 - 900,
                close: 100_500
            }
        );
        assert_eq!(Steps::of(&spans).stats(None).peak, 1);
    }

    #[test]
    fn back_to_back_rows_share_a_connection_and_idle_time_keeps_it() {
        let p = Params {
            transaction_ms: 1000,
            setup_ms: 500,
        };
        // One row a second: each transaction starts when the previous ended.
        let rows: Vec<Attempt> = (0..10).map(|s| at(s, 1)).collect();
        assert_eq!(rebuild(&rows, 20, 0, &p).len(), 1);
        // Ten seconds apart: a new connection each, unless the idle timeout bridges the gap.
        let sparse: Vec<Attempt> = (0..5).map(|s| at(s * 10, 1)).collect();
        assert_eq!(rebuild(&sparse, 20, 0, &p).len(), 5);
        assert_eq!(rebuild(&sparse, 20, 10_000, &p).len(), 1);
    }

    #[test]
    fn the_cap_bounds_the_estimate_and_addresses_split_connections() {
        let p = Params {
            transaction_ms: 2000,
            setup_ms: 500,
        };
        // 30 rows in one second need 30 connections; the queue's max-smtp-out is 5.
        let burst: Vec<Attempt> = (0..30).map(|_| at(50, 1)).collect();
        let s = Steps::of(&rebuild(&burst, 5, 0, &p)).stats(None);
        assert_eq!(s.peak, 5);
        // Alternating MX addresses cannot share one connection.
        let alternating: Vec<Attempt> = (0..10).map(|s| at(s * 2, 1 + (s as u32 % 2))).collect();
        let spans = rebuild(&alternating, 20, 0, &p);
        assert_eq!(Steps::of(&spans).stats(None).peak, 2, "{spans:?}");
        // Unknown addresses (no dlvDestinationIp column) match any connection.
        let unknown: Vec<Attempt> = (0..10).map(|s| at(s * 2, 0)).collect();
        assert_eq!(rebuild(&unknown, 20, 0, &p).len(), 1);
    }

    #[test]
    fn attempts_pack_into_8_bytes_and_order_by_time_mx_failed() {
        assert_eq!(std::mem::size_of::<Attempt>(), 8);
        let a = Attempt::new(1_795_132_800, 7, true).expect("in range");
        assert_eq!((a.time(), a.mx(), a.failed()), (1_795_132_800, 7, true));
        assert_eq!(a.with_mx(3).mx(), 3);
        assert!(a.with_mx(3).failed());
        let mut v = [
            Attempt::new(5, 2, false),
            Attempt::new(5, 1, true),
            Attempt::new(4, 9, true),
            Attempt::new(5, 1, false),
        ]
        .map(|a| a.expect("in range"));
        v.sort_unstable();
        let order: Vec<(i64, u32, bool)> =
            v.iter().map(|a| (a.time(), a.mx(), a.failed())).collect();
        assert_eq!(
            order,
            [(4, 9, true), (5, 1, false), (5, 1, true), (5, 2, false)]
        );
        assert!(Attempt::new(-1, 1, false).is_none());
        assert!(Attempt::new(1 << 32, 1, false).is_none());
        assert!(Attempt::new(0, 1 << 31, false).is_none());
    }

    #[test]
    fn failed_connections_are_short_and_separate() {
        let p = Params::default();
        let rows = [Attempt::new(10, 1, true).expect("in range"), at(10, 1)];
        let spans = rebuild(&rows, 20, 0, &p);
        assert_eq!(spans.len(), 2);
        assert_eq!(Steps::of(&spans).stats(None).peak, 2);
    }
}

#[cfg(test)]
mod cap_property {
    use super::*;
    use crate::connections::timeline::Steps;

    #[test]
    fn never_more_than_the_cap_at_once() {
        let mut x: u64 = 42;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..200 {
            let n = 50 + (next() % 400) as usize;
            let mut rows: Vec<Attempt> = (0..n)
                .map(|_| {
                    Attempt::new((next() % 120) as i64, (next() % 4) as u32, false)
                        .expect("in range")
                })
                .collect();
            rows.sort_unstable();
            let cap = 1 + (next() % 8) as u32;
            let idle = [0, 1000, 5000][(next() % 3) as usize];
            let spans = rebuild(&rows, cap, idle, &Params::default());
            let peak = Steps::of(&spans).stats(None).peak;
            assert!(peak <= cap, "round {round}: peak {peak} > cap {cap}");
        }
    }
}
