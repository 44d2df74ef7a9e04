//! The connection estimate, rebuilt while the rows are read: each chunk's SMTP rows
//! ([`Collector`]) come in input order, wait a minute (rows of one file are in time order to
//! within seconds) and are replayed in time order, queue by queue ([`Replay`]); every
//! connection's opening and closing goes to its destination and pool ([`Live`]) in time order.
//! Only the queues with connections open are held, and the rows of the last minute, so memory
//! does not grow with the files.
//!
//! Rows that come later than that (inputs that overlap in time, such as `t` rows written to a
//! file of their own) cannot be replayed in order: when there are more than a few, the stream
//! says so ([`Disorder`]) and the caller replays every row at the end instead (holding each SMTP
//! row until then).

mod chunked;
mod collect;

pub use collect::collect;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use chunked::Chunked;

use super::estimate::{Attempt, Collector, Event, Replay};
use super::timeline::{Live, Timeline};
use super::{Settings, pool_of, queue_limits};
use crate::aggregate::Dict;
use crate::config::{Config, Scope};
use crate::rollup::{MICROSOFT, Rollup};

/// How long a row may wait for rows of its time from later in the input, seconds.
pub const SLACK_SECS: i64 = 60;

/// How often queues idle past their timeout are closed (seconds of replayed time).
const SWEEP_SECS: i64 = 10;

/// The estimated (or logged) connections of one destination and pool. Compact: a large
/// sender has a hundred thousand.
#[derive(Clone, Debug)]
pub struct Group {
    /// The rolled-up destination.
    pub domain: Box<str>,
    /// Shared by the groups of the pool.
    pub pool: Arc<str>,
    /// The `PowerMTA` queues (domain or rollup names) its connections belonged to, sorted;
    /// `None` for the destination's own queue alone (the common case: no allocation for a
    /// large sender's hundred thousand tail domains). See [`Group::queues`].
    pub other_queues: Option<Box<[Box<str>]>>,
    /// The VMTAs its connections came from, where they are known (a log names them; the
    /// estimate leaves them to the aggregates).
    pub vmtas: Arc<std::collections::BTreeSet<String>>,
    pub timeline: Timeline,
    /// Per (sending IP, VMTA), for destinations the config names and Microsoft.
    pub by_source_ip: Box<[IpTimeline]>,
}

impl Group {
    /// The `PowerMTA` queues its connections belonged to, sorted.
    pub fn queues(&self) -> Vec<&str> {
        match &self.other_queues {
            None => vec![&*self.domain],
            Some(list) => list.iter().map(|q| &**q).collect(),
        }
    }

    /// The field for `queues` (sorted, each once) of a group of `domain`.
    pub fn queues_field(domain: &str, queues: Vec<Box<str>>) -> Option<Box<[Box<str>]>> {
        if queues.len() == 1 && *queues[0] == *domain {
            None
        } else {
            Some(queues.into_boxed_slice())
        }
    }
}

/// The connections of one (sending IP, VMTA) within a [`Group`].
pub type IpTimeline = ((String, String), Timeline);

/// The finished estimate.
#[derive(Clone, Debug, Default)]
pub struct Estimated {
    pub groups: Vec<Group>,
    /// (MX host lowercased, recipient domain lowercased) -> rows, when the collectors kept
    /// them (to place log connections that name only their MX host).
    pub mx_hosts: FxHashMap<(String, String), u64>,
    /// Rows that came too late to be replayed in time order and were replayed at the time
    /// reached (few; more make the stream give up: see [`Disorder`]).
    pub late: u64,
}

/// The rows were too far out of time order to be replayed as they came: replay them at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Disorder {
    pub late: u64,
    pub rows: u64,
}

/// A queue as the stream keys it: (sender, queue name), a sender being a (VMTA, IP, pool)
/// (see [`Senders`]).
type QueueId = [u32; 2];

/// A row waiting to be replayed: its queue and recipient domain.
#[derive(Clone, Copy, Debug)]
struct Pending {
    attempt: Attempt,
    queue: QueueId,
    rcpt: u32,
    microsoft_mx: bool,
}

/// No accumulator, not worked out yet.
const NONE: u32 = u32::MAX;

/// A recipient domain no fixed rollup takes.
const NOT_FIXED: u32 = u32::MAX - 1;

/// The entry of a name (an id of [`Stream::names`]) in a table by name, [`NONE`] until set.
fn by_name(table: &mut Vec<u32>, name: u32) -> &mut u32 {
    let i = name as usize;
    if table.len() <= i {
        table.resize(i + 1, NONE);
    }
    &mut table[i]
}

/// The (VMTA, IP, pool) the rows name, with dense ids: a large sender has a few hundred of
/// them for hundreds of thousands of queues, so a queue is keyed by its sender and its name.
/// Each sender's pool as the budget names it is worked out once.
#[derive(Clone, Default)]
struct Senders {
    keys: Vec<[u32; 3]>,
    ids: FxHashMap<[u32; 3], u32>,
    budget_pools: Vec<u32>,
}

impl Senders {
    fn id(&mut self, key: [u32; 3]) -> u32 {
        let next = self.keys.len() as u32;
        let id = *self.ids.entry(key).or_insert(next);
        if id == next {
            self.keys.push(key);
            self.budget_pools.push(NONE);
        }
        id
    }
}

/// A queue with connections open (or closed too recently to forget), or a free slot whose
/// replay keeps its buffers for the next queue to start.
#[derive(Clone)]
struct Active {
    /// The queue, `None` for a free slot.
    queue: Option<QueueId>,
    replay: Replay,
    /// It has rows in the second being replayed.
    in_second: bool,
    group: u32,
    /// Its (group, IP, VMTA) accumulator, when the group keeps them.
    ip: Option<u32>,
}

/// One destination and pool as it is accumulated.
#[derive(Clone)]
struct GroupAcc {
    dest: u32,
    pool: u32,
    /// Its first queue (the others, rare, are in [`Stream::more_queues`]).
    queue: u32,
    live: Live,
    tracked: bool,
}

/// Whose count an edge changes: a group, or a group's (IP, VMTA).
const IP_TARGET: u32 = 1 << 31;

/// The streaming rebuild; see the module documentation.
#[derive(Clone)]
pub struct Stream {
    rollup: Arc<Rollup>,
    config: Option<Arc<Config>>,
    settings: Settings,
    series: bool,
    /// Replay nothing until the end (the inputs overlap in time).
    keep_all: bool,
    /// VMTAs, IPs, queues, pools, recipient domains and destinations (the last three
    /// lowercased), and the MX addresses apart (their order decides ties, as in [`Replay`]).
    names: Dict,
    mx: Dict,
    groups: Chunked<GroupAcc>,
    group_ids: FxHashMap<(u32, u32), u32>,
    /// A hash set each: a destination's queues can be many (each Office 365 tenant's domain
    /// its own queue, all to Microsoft's MX), and the set is looked up on every queue start.
    more_queues: FxHashMap<u32, FxHashSet<u32>>,
    ips: Vec<(u32, u32, u32, Live)>,
    ip_ids: FxHashMap<(u32, u32, u32), u32>,
    /// (max-smtp-out, idle timeout ms): per queue name, an index into `limit_values`; per
    /// (queue, VMTA) when the config sets them per VMTA (`per_vmta`).
    name_limits: Vec<u32>,
    limit_values: Vec<(u32, i64)>,
    vmta_limits: FxHashMap<(u32, u32), (u32, i64)>,
    per_vmta: bool,
    /// Per recipient domain: the destination a fixed rollup gives it, else [`NOT_FIXED`].
    fixed_dest: Vec<u32>,

    senders: Senders,
    /// The queues with something open: their slots, which are reused (see [`Active`]). Only
    /// the active queues are held: a large sender's hundreds of thousands of queues have a
    /// few thousand open at a time.
    slots: FxHashMap<QueueId, u32>,
    active: Vec<Active>,
    free: Vec<u32>,
    /// Slots of the queues with rows in the second being replayed.
    dirty: Vec<u32>,
    pending: Vec<Pending>,
    /// The latest row time seen, and the second being replayed (rows before it are late).
    high: i64,
    second: Option<i64>,
    /// The second of the last sweep, and its bound: every connection still open closes at or
    /// after it, so no edge before it can come any more.
    swept: i64,
    swept_bound: i64,
    edges: BinaryHeap<Reverse<(i64, u32, i64)>>,
    events: Vec<Event>,
    mx_hosts: FxHashMap<(u32, u32), u64>,
    late: u64,
    rows: u64,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("rows", &self.rows)
            .field("active", &(self.active.len() - self.free.len()))
            .finish_non_exhaustive()
    }
}

impl Stream {
    /// A stream that replays rows as they come (`keep_all`: only at the end); `series`: keep
    /// each destination's per-minute series (for a chart).
    pub fn new(
        rollup: Arc<Rollup>,
        config: Option<Arc<Config>>,
        settings: Settings,
        series: bool,
        keep_all: bool,
    ) -> Stream {
        let per_vmta = config
            .as_ref()
            .is_some_and(|c| c.domains.iter().any(|d| d.scope != Scope::Global));
        Stream {
            rollup,
            config,
            settings,
            series,
            keep_all,
            names: Dict::default(),
            mx: Dict::default(),
            groups: Chunked::default(),
            group_ids: FxHashMap::default(),
            more_queues: FxHashMap::default(),
            ips: Vec::new(),
            ip_ids: FxHashMap::default(),
            name_limits: Vec::new(),
            limit_values: Vec::new(),
            vmta_limits: FxHashMap::default(),
            per_vmta,
            fixed_dest: Vec::new(),
            senders: Senders::default(),
            slots: FxHashMap::default(),
            active: Vec::new(),
            free: Vec::new(),
            dirty: Vec::new(),
            pending: Vec::new(),
            high: i64::MIN,
            second: None,
            swept: i64::MIN,
            swept_bound: i64::MIN,
            edges: BinaryHeap::new(),
            events: Vec::new(),
            mx_hosts: FxHashMap::default(),
            late: 0,
            rows: 0,
        }
    }

    /// One chunk's SMTP rows, chunks in input order.
    pub fn push(&mut self, c: Collector) {
        let parts = c.into_parts();
        // The chunk's strings as the stream's ids, queues and domains lowercased.
        let mut plain: Vec<Option<u32>> = vec![None; parts.strings.len()];
        let mut lower: Vec<Option<u32>> = vec![None; parts.strings.len()];
        let mut mx: Vec<Option<u32>> = vec![None; parts.strings.len()];
        let mut keys: Vec<(QueueId, u32)> = Vec::with_capacity(parts.keys.len());
        for k in &parts.keys {
            let mut id = |i: usize| {
                let id = k[i];
                *plain[id as usize].get_or_insert_with(|| self.names.intern(parts.strings.get(id)))
            };
            let (v, ip, pool) = (id(0), id(1), id(4));
            let queue = self_lower(&mut self.names, &mut lower, &parts.strings, k[2]);
            let rcpt = self_lower(&mut self.names, &mut lower, &parts.strings, k[3]);
            keys.push(([self.senders.id([v, ip, pool]), queue], rcpt));
        }
        for (key, a) in parts.attempts {
            let m = a.mx();
            let m = if m == 0 {
                0
            } else {
                let local = m - 1;
                let strings = &parts.strings;
                let dict = &mut self.mx;
                *mx[local as usize].get_or_insert_with(|| dict.intern(strings.get(local)) + 1)
            };
            let (queue, rcpt) = keys[key as usize];
            let time = a.time();
            self.high = self.high.max(time);
            self.rows += 1;
            self.pending.push(Pending {
                attempt: a.with_mx(m),
                queue,
                rcpt,
                microsoft_mx: parts.microsoft_mx[key as usize],
            });
        }
        for ((host, key), n) in parts.mx_hosts {
            let h = self_lower(&mut self.names, &mut lower, &parts.strings, host);
            let rcpt = keys[key as usize].1;
            *self.mx_hosts.entry((h, rcpt)).or_default() += n;
        }
        if !self.keep_all {
            self.advance(self.high - SLACK_SECS);
        }
    }

    /// Replays the waiting rows up to second `upto`, in time order.
    fn advance(&mut self, upto: i64) {
        if self.pending.is_empty() {
            return;
        }
        // Stable: rows of one second keep the order of their MX address, as a queue's sorted
        // rows did.
        self.pending
            .sort_by_key(|p| (p.attempt.time(), p.attempt.mx(), p.attempt.failed()));
        let ready = self.pending.partition_point(|p| p.attempt.time() <= upto);
        // Replayed in place, then cut off: a copy of the ready rows (nearly a window's) would
        // double the largest buffer of the estimate.
        let pending = std::mem::take(&mut self.pending);
        for p in &pending[..ready] {
            let mut t = p.attempt.time();
            if let Some(s) = self.second {
                if t < s {
                    // Too late to be replayed at its time: at the time reached.
                    self.late += 1;
                    t = s;
                } else if t > s {
                    self.next_second(t);
                }
            } else {
                self.second = Some(t);
            }
            let a = Attempt::new(t, p.attempt.mx(), p.attempt.failed()).unwrap_or(p.attempt);
            self.replay(p, a);
        }
        self.pending = pending;
        self.pending.drain(..ready);
    }

    /// Starts second `t`: the queues' rows of the second before are replayed, idle connections
    /// closed, and every edge that no later row can precede is counted.
    fn next_second(&mut self, t: i64) {
        let dirty = std::mem::take(&mut self.dirty);
        for &slot in &dirty {
            let q = &mut self.active[slot as usize];
            q.in_second = false;
            q.replay.flush_second(&mut self.events);
            let (g, ip) = (q.group, q.ip);
            self.route(g, ip);
        }
        self.dirty = dirty;
        self.dirty.clear();
        self.second = Some(t);
        // Every later row ends at or after `t` s, so starts after `bound`.
        let p = self.settings.estimate;
        let bound = t * 1000 - p.transaction_ms;
        if t >= self.swept.saturating_add(SWEEP_SECS) {
            self.swept = t;
            self.swept_bound = bound;
            for slot in 0..self.active.len() {
                let q = &mut self.active[slot];
                let Some(queue) = q.queue else {
                    continue;
                };
                q.replay.sweep(bound, &mut self.events);
                let (g, ip) = (q.group, q.ip);
                if q.replay.is_idle(bound) {
                    // Forgotten: the slot (and its replay's buffers) waits for the next start.
                    self.slots.remove(&queue);
                    q.queue = None;
                    self.free.push(slot as u32);
                }
                self.route(g, ip);
            }
        }
        self.settle(self.swept_bound.min(bound - p.setup_ms));
    }

    /// Hands one row to its queue's replay, starting the queue if it had nothing open.
    fn replay(&mut self, p: &Pending, a: Attempt) {
        let slot = if let Some(&slot) = self.slots.get(&p.queue) {
            slot
        } else {
            let slot = self.start(p);
            self.slots.insert(p.queue, slot);
            slot
        };
        let q = &mut self.active[slot as usize];
        if !q.in_second {
            q.in_second = true;
            self.dirty.push(slot);
        }
        q.replay.push(a, &mut self.events);
        let (g, ip) = (q.group, q.ip);
        self.route(g, ip);
    }

    /// Starts a queue in a free slot (or a new one): its replay, with its limits and where its
    /// connections count, from its first row.
    fn start(&mut self, p: &Pending) -> u32 {
        let [sender, queue] = p.queue;
        let [vmta, ip, _] = self.senders.keys[sender as usize];
        let (cap, idle_ms) = self.limits(queue, vmta);
        let dest = self.destination(p.rcpt, queue, p.microsoft_mx);
        let pool = self.budget_pool(sender);
        let next = self.groups.len() as u32;
        let group = *self.group_ids.entry((dest, pool)).or_insert(next);
        if group == next {
            let d = self.names.text(dest).into_owned();
            let tracked = d == MICROSOFT
                || self
                    .config
                    .as_ref()
                    .is_some_and(|c| c.domains.iter().any(|b| b.pattern == d));
            self.groups.push(GroupAcc {
                dest,
                pool,
                queue,
                live: Live::new(self.series),
                tracked,
            });
        }
        let g = self.groups.get_mut(group);
        if g.queue != queue {
            self.more_queues.entry(group).or_default().insert(queue);
        }
        let ip = g.tracked.then(|| {
            let next = self.ips.len() as u32;
            let slot = *self.ip_ids.entry((group, ip, vmta)).or_insert(next);
            if slot == next {
                self.ips.push((group, ip, vmta, Live::new(false)));
            }
            slot
        });
        let estimate = self.settings.estimate;
        if let Some(slot) = self.free.pop() {
            let q = &mut self.active[slot as usize];
            q.queue = Some(p.queue);
            q.replay.reset(cap, idle_ms, estimate);
            q.in_second = false;
            q.group = group;
            q.ip = ip;
            slot
        } else {
            self.active.push(Active {
                queue: Some(p.queue),
                replay: Replay::new(cap, idle_ms, estimate),
                in_second: false,
                group,
                ip,
            });
            (self.active.len() - 1) as u32
        }
    }

    /// A sender's pool as the budget names it: the row's, else the config's pool of its VMTA.
    fn budget_pool(&mut self, sender: u32) -> u32 {
        let known = self.senders.budget_pools[sender as usize];
        if known != NONE {
            return known;
        }
        let [vmta, _, pool] = self.senders.keys[sender as usize];
        let name = pool_of(
            &self.names.text(pool),
            &self.names.text(vmta),
            self.config.as_deref(),
        );
        let id = self.names.intern(name.as_bytes());
        self.senders.budget_pools[sender as usize] = id;
        id
    }

    /// `max-smtp-out` and the idle timeout (ms) of a queue on a VMTA, worked out once per queue
    /// name (and VMTA, when the config sets them per VMTA).
    fn limits(&mut self, queue: u32, vmta: u32) -> (u32, i64) {
        let compute = |s: &Self| {
            queue_limits(
                s.config.as_deref(),
                &s.names.text(queue),
                &s.names.text(vmta),
                &s.settings,
            )
        };
        if self.per_vmta {
            if let Some(l) = self.vmta_limits.get(&(queue, vmta)) {
                return *l;
            }
            let l = compute(self);
            self.vmta_limits.insert((queue, vmta), l);
            return l;
        }
        let known = *by_name(&mut self.name_limits, queue);
        if known != NONE {
            return self.limit_values[known as usize];
        }
        let l = compute(self);
        // Few distinct values: each is kept once.
        let i = self
            .limit_values
            .iter()
            .position(|v| *v == l)
            .unwrap_or_else(|| {
                self.limit_values.push(l);
                self.limit_values.len() - 1
            });
        *by_name(&mut self.name_limits, queue) = i as u32;
        l
    }

    /// The destination of a queue's recipient domain, from what its first row tells: the
    /// operator's rollups and the Microsoft family, a `NAME.rollup` queue, a Microsoft MX.
    fn destination(&mut self, rcpt: u32, queue: u32, microsoft_mx: bool) -> u32 {
        // The fixed rollup of each recipient domain is looked up once.
        let mut fixed = *by_name(&mut self.fixed_dest, rcpt);
        if fixed == NONE {
            let r = self.names.text(rcpt).into_owned();
            fixed = match self.rollup.fixed(&r) {
                Some(d) => self.names.intern(d.as_bytes()),
                None => NOT_FIXED,
            };
            *by_name(&mut self.fixed_dest, rcpt) = fixed;
        }
        if fixed != NOT_FIXED {
            fixed
        } else if self.names.get(queue).ends_with(b".rollup") {
            queue
        } else if microsoft_mx {
            self.names.intern(MICROSOFT.as_bytes())
        } else {
            rcpt
        }
    }

    /// Queues the replay's events as edges of its group (and IP).
    fn route(&mut self, group: u32, ip: Option<u32>) {
        for e in self.events.drain(..) {
            let (t, d) = match e {
                Event::Open(t) => (t, 1),
                Event::Close { at, .. } => (at, -1),
            };
            self.edges.push(Reverse((t, group, d)));
            if let Some(i) = ip {
                self.edges.push(Reverse((t, IP_TARGET | i, d)));
            }
        }
    }

    /// Counts every queued edge before `before` ms.
    fn settle(&mut self, before: i64) {
        while let Some(Reverse((t, target, d))) = self.edges.peek().copied() {
            if t >= before {
                break;
            }
            self.edges.pop();
            if target & IP_TARGET == 0 {
                self.groups.get_mut(target).live.edge(t, d);
            } else {
                self.ips[(target & !IP_TARGET) as usize].3.edge(t, d);
            }
        }
    }

    /// The estimate of what was pushed so far, and the stream goes on (a front end that follows
    /// growing files).
    pub fn estimate(&self) -> Result<Estimated, Disorder> {
        self.clone().finish()
    }

    /// The estimate, once every chunk was pushed; [`Disorder`] when too many rows came too late
    /// to be replayed in time order.
    pub fn finish(mut self) -> Result<Estimated, Disorder> {
        self.advance(i64::MAX);
        if self.late > (self.rows / 1000).max(100) {
            return Err(Disorder {
                late: self.late,
                rows: self.rows,
            });
        }
        for slot in 0..self.active.len() {
            let q = &mut self.active[slot];
            if q.queue.is_some() {
                q.replay.finish(&mut self.events);
                let (g, ip) = (q.group, q.ip);
                self.route(g, ip);
            }
        }
        self.active = Vec::new();
        self.settle(i64::MAX);
        // What the replay needed goes before the groups are made.
        drop((
            std::mem::take(&mut self.slots),
            std::mem::take(&mut self.group_ids),
            std::mem::take(&mut self.ip_ids),
            std::mem::take(&mut self.fixed_dest),
            std::mem::take(&mut self.name_limits),
            std::mem::take(&mut self.pending),
            std::mem::take(&mut self.edges),
            std::mem::take(&mut self.mx),
        ));
        let Stream {
            names,
            groups: mut accs,
            mut more_queues,
            ips,
            mx_hosts,
            late,
            ..
        } = self;
        let text = |id: u32| names.text(id).into_owned();
        let mut by_ip: BTreeMap<u32, Vec<IpTimeline>> = BTreeMap::new();
        for (g, ip, vmta, live) in ips {
            by_ip
                .entry(g)
                .or_default()
                .push(((text(ip), text(vmta)), live.finish()));
        }
        let mut pools: FxHashMap<u32, Arc<str>> = FxHashMap::default();
        // The estimate leaves the VMTAs to the aggregates: one empty set for every group.
        let no_vmtas = Arc::default();
        // Made from the last, each accumulator freed as its group is made (a large sender has a
        // hundred thousand of both).
        let mut groups = Vec::with_capacity(accs.len());
        while let Some(g) = accs.pop() {
            let i = accs.len() as u32;
            let mut queues: Vec<Box<str>> = vec![text(g.queue).into_boxed_str()];
            for q in more_queues.remove(&i).unwrap_or_default() {
                queues.push(text(q).into_boxed_str());
            }
            queues.sort();
            let mut ips = by_ip.remove(&i).unwrap_or_default();
            ips.sort_by(|a, b| a.0.cmp(&b.0));
            let domain = text(g.dest).into_boxed_str();
            let other_queues = Group::queues_field(&domain, queues);
            groups.push(Group {
                domain,
                pool: Arc::clone(
                    pools
                        .entry(g.pool)
                        .or_insert_with(|| Arc::from(text(g.pool))),
                ),
                other_queues,
                vmtas: Arc::clone(&no_vmtas),
                timeline: g.live.finish(),
                by_source_ip: ips.into_boxed_slice(),
            });
        }
        groups.reverse();
        let mx_hosts = mx_hosts
            .into_iter()
            .map(|((h, r), n)| ((text(h).trim_end_matches('.').to_owned(), text(r)), n))
            .fold(FxHashMap::default(), |mut m, (k, n)| {
                *m.entry(k).or_default() += n;
                m
            });
        Ok(Estimated {
            groups,
            mx_hosts,
            late,
        })
    }
}

/// The stream's id of a chunk's string, lowercased (cached per chunk id).
fn self_lower(names: &mut Dict, cache: &mut [Option<u32>], strings: &Dict, id: u32) -> u32 {
    *cache[id as usize].get_or_insert_with(|| {
        let s = strings.get(id);
        if s.iter().any(u8::is_ascii_uppercase) {
            names.intern(&s.to_ascii_lowercase())
        } else {
            names.intern(s)
        }
    })
}
