//! Simulated `PowerMTA` connections, for measuring how well connection counts can be estimated
//! from accounting rows alone. Opt in with [`super::Profile::connections`]: instead of drawing
//! rows independently, messages are injected into per-VMTA queues and delivered over simulated
//! SMTP connections the way `PowerMTA` does it, and the run returns the true connection timeline
//! next to the accounting rows (and, if asked, writes it as a `log-connections` log).
//!
//! The model, per queue (a destination domain or rollup name, on one VMTA):
//! - a message waits in its queue; while messages wait and fewer than `max-smtp-out`
//!   connections exist, another connection is opened (setup: TCP, greeting, EHLO, STARTTLS);
//! - an open connection delivers the queue's messages one transaction after another (pipelined
//!   commands: MAIL, RCPT and DATA in one round), each writing one `d`, `t` or `b` row at its end;
//! - a connection with nothing left to send waits `connection-idle-timeout` (`PowerMTA`'s default
//!   is 0: it closes at once) and closes, as it does after `max-msg-per-connection` messages;
//! - a deferred recipient is injected again after the profile's retry interval.
//!
//! Only `d`, `t` and `b` rows are written (no `r`, `f`, `rb`, `rs`, `tq`): they are the rows that
//! carry connection evidence. Like the rest of the generator this is a pure function of the
//! profile, seed included.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::io::{self, Write};

use rustc_hash::FxHashMap;

use super::{
    DAY, Event, FLUSH_AT, Gen, Kind, MAX_ATTEMPTS, Profile, Provider, RespKind, Stats,
    civil_from_days, invalid, put2,
};

/// How the simulated `PowerMTA` delivers: traffic and the settings that shape connections.
#[derive(Clone, Debug)]
pub struct ConnectionSim {
    /// Messages injected at random times over the profile's time range (the steady trickle).
    pub background_messages: u64,
    /// Campaign drops: many messages injected in a short time, so queues back up.
    pub waves: Vec<Wave>,
    /// `max-smtp-out`: the most connections one queue (domain or rollup, on one VMTA) opens.
    pub max_smtp_out: u32,
    /// Per-queue `max-smtp-out` (queue name as in the `queue` column, before `/vmta`).
    pub max_smtp_out_by_queue: Vec<(String, u32)>,
    /// Connection setup in milliseconds (TCP, greeting, EHLO, STARTTLS): uniform in the range.
    pub connect_ms: (u32, u32),
    /// One transaction in milliseconds (MAIL, RCPT, DATA and the reply): uniform in the range.
    pub transaction_ms: (u32, u32),
    /// `connection-idle-timeout` in milliseconds (`PowerMTA`'s default: 0).
    pub idle_timeout_ms: u32,
    /// `max-msg-per-connection` (0: unlimited, `PowerMTA`'s default).
    pub max_msg_per_connection: u32,
    /// Per mille of transactions deferred (`t`, retried later) and bounced (`b`).
    pub deferred_permille: u32,
    pub bounced_permille: u32,
    /// The host name our VMTAs greet with is `VMTA.DOMAIN` (for the log's `connecting from`).
    pub helo_domain: String,
}

impl Default for ConnectionSim {
    fn default() -> Self {
        ConnectionSim {
            background_messages: 2_000,
            waves: Vec::new(),
            max_smtp_out: 20,
            max_smtp_out_by_queue: Vec::new(),
            connect_ms: (300, 1_500),
            transaction_ms: (400, 2_000),
            idle_timeout_ms: 0,
            max_msg_per_connection: 0,
            deferred_permille: 60,
            bounced_permille: 15,
            helo_domain: "mail.example.com".to_owned(),
        }
    }
}

/// A campaign drop: `messages` injected uniformly over `[start, start + duration_secs)`, to the
/// destinations of `provider` (any destination when `None`), by the profile's weights.
#[derive(Clone, Debug)]
pub struct Wave {
    /// Unix seconds.
    pub start: i64,
    pub duration_secs: u32,
    pub messages: u64,
    pub provider: Option<Provider>,
}

/// One connection as it really was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrueConnection {
    pub vmta: String,
    pub source_ip: String,
    /// The queue name (the domain, or its rollup), as in the `queue` column before `/vmta`.
    pub queue: String,
    pub mx_host: String,
    pub mx_ip: String,
    /// When the connection was opened and closed, Unix milliseconds.
    pub open_ms: i64,
    pub close_ms: i64,
    /// Transactions (rows) it carried.
    pub messages: u32,
    /// The session number the log shows as `( N)`: the smallest one free when it opened.
    pub slot: u32,
}

/// What a simulation wrote, and the truth behind it.
#[derive(Clone, Debug, Default)]
pub struct Simulation {
    pub stats: Stats,
    /// Every connection, in the order they were opened.
    pub connections: Vec<TrueConnection>,
}

#[derive(Clone, Copy, Debug)]
enum What {
    Arrive(usize),
    Ready(usize),
    Done(usize),
    Idle(usize, u32),
}

struct Timed {
    at: i64,
    seq: u64,
    what: What,
}

impl PartialEq for Timed {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Timed {}
impl PartialOrd for Timed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timed {
    /// Reversed, so the max-heap gives the earliest first; `seq` keeps creation order.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Connecting,
    Busy,
    Idle,
    Closed,
}

struct Conn {
    queue: usize,
    mx: u8,
    state: State,
    open_ms: i64,
    messages: u32,
    /// Bumped whenever the connection leaves `Idle`, so a stale idle timer is ignored.
    generation: u32,
    current: Option<usize>,
    slot: u32,
    bytes_out: u64,
}

struct Queue {
    name: String,
    vmta: usize,
    max: u32,
    waiting: VecDeque<usize>,
    conns: Vec<usize>,
}

struct Msg {
    ev: Event,
    queue: usize,
}

struct Sim<'g, 'p> {
    g: &'g mut Gen<'p>,
    cfg: &'p ConnectionSim,
    heap: BinaryHeap<Timed>,
    seq: u64,
    msgs: Vec<Msg>,
    queues: Vec<Queue>,
    queue_ids: FxHashMap<(usize, String), usize>,
    conns: Vec<Conn>,
    free_slots: BinaryHeap<std::cmp::Reverse<u32>>,
    next_slot: u32,
    truth: Vec<TrueConnection>,
    /// Log lines as (time ms, order, text).
    log: Vec<(i64, u64, String)>,
    want_log: bool,
}

/// Runs the simulation of `profile` (which must have [`super::Profile::connections`] set): the
/// accounting rows go to `acct`, the `log-connections` lines to `log` if given.
///
/// # Errors
/// `InvalidInput` for an inconsistent profile, and any write error.
pub fn simulate<W: Write>(
    profile: &Profile,
    mut acct: W,
    log: Option<&mut dyn Write>,
) -> io::Result<Simulation> {
    let Some(cfg) = profile.connections.as_ref() else {
        return Err(invalid(
            "the profile has no connection simulation".to_owned(),
        ));
    };
    if cfg.max_smtp_out == 0 || cfg.connect_ms.0 > cfg.connect_ms.1 {
        return Err(invalid("max-smtp-out must be at least 1".to_owned()));
    }
    if cfg.transaction_ms.0 == 0 || cfg.transaction_ms.0 > cfg.transaction_ms.1 {
        return Err(invalid("transactions must take time".to_owned()));
    }
    let mut g = Gen::new(profile)?;
    // Bursts and showcase rows belong to the row generator; the simulation has its own traffic.
    g.heap.clear();
    // One connection serves every domain of its queue, so the domains of a rollup queue answer
    // from the same MX hosts (those of the queue's first domain): a row shows its connection's.
    let domains = &mut g.c.domains;
    for i in 0..domains.len() {
        if let Some(first) = (0..i).find(|&j| domains[j].queue == domains[i].queue) {
            let shared: Vec<super::Mx> = domains[first]
                .mx
                .iter()
                .map(|m| super::Mx {
                    dsn_mta: m.dsn_mta.clone(),
                    ip: m.ip.clone(),
                })
                .collect();
            domains[i].mx = shared;
        }
    }
    if profile.write_header {
        g.buf.extend_from_slice(&g.c.header);
        g.stats.lines = 1;
    }
    let mut sim = Sim {
        g: &mut g,
        cfg,
        heap: BinaryHeap::new(),
        seq: 0,
        msgs: Vec::new(),
        queues: Vec::new(),
        queue_ids: FxHashMap::default(),
        conns: Vec::new(),
        free_slots: BinaryHeap::new(),
        next_slot: 1,
        truth: Vec::new(),
        log: Vec::new(),
        want_log: log.is_some(),
    };
    sim.inject(profile);
    sim.run(&mut acct)?;
    let Sim {
        mut truth,
        log: mut lines,
        ..
    } = sim;
    if g.stats.lines > 0 && !profile.quirks.no_final_newline {
        g.buf.extend_from_slice(g.c.eol);
    }
    g.flush(&mut acct)?;
    acct.flush()?;
    g.finish();
    if let Some(out) = log {
        lines.sort_by_key(|(t, seq, _)| (*t, *seq));
        let mut text = String::new();
        for (_, _, line) in &lines {
            text.push_str(line);
            text.push('\n');
        }
        out.write_all(text.as_bytes())?;
        out.flush()?;
    }
    truth.sort_by_key(|c| (c.open_ms, c.slot));
    Ok(Simulation {
        stats: std::mem::take(&mut g.stats),
        connections: truth,
    })
}

impl Sim<'_, '_> {
    fn push(&mut self, at: i64, what: What) {
        self.seq += 1;
        self.heap.push(Timed {
            at,
            seq: self.seq,
            what,
        });
    }

    fn uniform(&mut self, (lo, hi): (u32, u32)) -> i64 {
        i64::from(lo) + i64::try_from(self.g.rng.below(u64::from(hi - lo) + 1)).unwrap_or(0)
    }

    /// Draws every first attempt: the background over the whole range, then each wave.
    fn inject(&mut self, p: &Profile) {
        let start_ms = p.start * 1000;
        let span = u64::from(p.duration_secs.max(1)) * 1000;
        for _ in 0..self.cfg.background_messages {
            let at = start_ms + i64::try_from(self.g.rng.below(span)).unwrap_or(0);
            let domain = self.g.c.domain_pick.pick(&mut self.g.rng).unwrap_or(0);
            self.new_message(at, domain);
        }
        for w in &self.cfg.waves {
            let span = u64::from(w.duration_secs.max(1)) * 1000;
            for _ in 0..w.messages {
                let at = w.start * 1000 + i64::try_from(self.g.rng.below(span)).unwrap_or(0);
                let pick = match w.provider {
                    Some(prov) => &self.g.c.provider_domains[prov.index()],
                    None => &self.g.c.domain_pick,
                };
                let domain = pick.pick(&mut self.g.rng).unwrap_or(0);
                self.new_message(at, domain);
            }
        }
    }

    fn new_message(&mut self, at: i64, domain: usize) {
        let secs = at.div_euclid(1000);
        let mut ev = self.g.new_event(Kind::D, secs, domain, None);
        ev.queued = secs;
        let queue_name = self.g.c.domains[domain].queue.clone();
        let key = (ev.vmta, queue_name);
        let queue = if let Some(q) = self.queue_ids.get(&key) {
            *q
        } else {
            let max = self
                .cfg
                .max_smtp_out_by_queue
                .iter()
                .find(|(q, _)| q.eq_ignore_ascii_case(&key.1))
                .map_or(self.cfg.max_smtp_out, |(_, n)| *n)
                .max(1);
            self.queues.push(Queue {
                name: key.1.clone(),
                vmta: key.0,
                max,
                waiting: VecDeque::new(),
                conns: Vec::new(),
            });
            let id = self.queues.len() - 1;
            self.queue_ids.insert(key, id);
            id
        };
        self.msgs.push(Msg { ev, queue });
        let id = self.msgs.len() - 1;
        self.push(at, What::Arrive(id));
    }

    fn run<W: Write>(&mut self, out: &mut W) -> io::Result<()> {
        while let Some(Timed { at, what, .. }) = self.heap.pop() {
            match what {
                What::Arrive(m) => {
                    let q = self.msgs[m].queue;
                    self.queues[q].waiting.push_back(m);
                    self.dispatch(q, at);
                }
                What::Ready(c) => {
                    self.conns[c].state = State::Idle;
                    self.next_or_idle(c, at);
                }
                What::Done(c) => {
                    self.finish_transaction(c, at);
                    if self.g.buf.len() >= FLUSH_AT {
                        self.g.flush(out)?;
                    }
                }
                What::Idle(c, generation) => {
                    let conn = &self.conns[c];
                    if conn.state == State::Idle && conn.generation == generation {
                        self.close(c, at);
                    }
                }
            }
        }
        Ok(())
    }

    /// Gives waiting messages to idle connections, then opens connections for the rest, up to
    /// the queue's `max-smtp-out`.
    fn dispatch(&mut self, q: usize, now: i64) {
        let idle: Vec<usize> = self.queues[q]
            .conns
            .iter()
            .copied()
            .filter(|&c| self.conns[c].state == State::Idle)
            .collect();
        for c in idle {
            if self.queues[q].waiting.is_empty() {
                break;
            }
            self.start_transaction(c, now);
        }
        let connecting = self.queues[q]
            .conns
            .iter()
            .filter(|&&c| self.conns[c].state == State::Connecting)
            .count();
        let mut needed = self.queues[q].waiting.len().saturating_sub(connecting);
        while needed > 0 && self.queues[q].conns.len() < self.queues[q].max as usize {
            self.open(q, now);
            needed -= 1;
        }
    }

    fn open(&mut self, q: usize, now: i64) {
        let slot = if let Some(std::cmp::Reverse(s)) = self.free_slots.pop() {
            s
        } else {
            self.next_slot += 1;
            self.next_slot - 1
        };
        let mx = u8::try_from(self.g.rng.below(4)).unwrap_or(0);
        let c = self.conns.len();
        self.conns.push(Conn {
            queue: q,
            mx,
            state: State::Connecting,
            open_ms: now,
            messages: 0,
            generation: 0,
            current: None,
            slot,
            bytes_out: 0,
        });
        self.queues[q].conns.push(c);
        if self.want_log {
            let (queue, vmta) = (&self.queues[q].name, self.queues[q].vmta);
            let vm = &self.g.p.vmtas[vmta];
            let (host, ip) = self.mx_of(q, mx);
            let starting = format!("starting {queue}/{}", vm.name);
            let connecting = format!(
                "connecting from {}.{} ({}) to {host} ({ip})",
                vm.name, self.cfg.helo_domain, vm.ip
            );
            self.log_line(now, slot, &starting);
            self.log_line(now, slot, &connecting);
        }
        let setup = self.uniform(self.cfg.connect_ms);
        self.push(now + setup, What::Ready(c));
    }

    /// The MX host and address of a queue's connection (the queue's first domain decides).
    fn mx_of(&self, q: usize, mx: u8) -> (String, String) {
        let queue = &self.queues[q];
        let domain = self
            .g
            .c
            .domains
            .iter()
            .find(|d| d.queue == queue.name)
            .or_else(|| self.g.c.domains.first());
        let Some(d) = domain else {
            return (String::new(), String::new());
        };
        let m = &d.mx[usize::from(mx) % d.mx.len()];
        let text = String::from_utf8_lossy(&m.dsn_mta).into_owned();
        let host = text.split(' ').next().unwrap_or_default().to_owned();
        (host, String::from_utf8_lossy(&m.ip).into_owned())
    }

    fn log_line(&mut self, at: i64, slot: u32, text: &str) {
        self.seq += 1;
        let line = format!("{} ({slot:>3}){text}", log_time(at.div_euclid(1000)));
        self.log.push((at, self.seq, line));
    }

    fn start_transaction(&mut self, c: usize, now: i64) {
        let q = self.conns[c].queue;
        let Some(m) = self.queues[q].waiting.pop_front() else {
            return;
        };
        let conn = &mut self.conns[c];
        conn.state = State::Busy;
        conn.generation += 1;
        conn.current = Some(m);
        let took = self.uniform(self.cfg.transaction_ms);
        self.push(now + took, What::Done(c));
    }

    fn next_or_idle(&mut self, c: usize, now: i64) {
        let q = self.conns[c].queue;
        let limit = self.cfg.max_msg_per_connection;
        if limit > 0 && self.conns[c].messages >= limit {
            self.close(c, now);
            // Its messages still wait: another connection takes over.
            self.dispatch(q, now);
            return;
        }
        if !self.queues[q].waiting.is_empty() {
            self.start_transaction(c, now);
            return;
        }
        let conn = &mut self.conns[c];
        conn.state = State::Idle;
        conn.generation += 1;
        let generation = conn.generation;
        if self.cfg.idle_timeout_ms == 0 {
            self.close(c, now);
        } else {
            self.push(
                now + i64::from(self.cfg.idle_timeout_ms),
                What::Idle(c, generation),
            );
        }
    }

    fn finish_transaction(&mut self, c: usize, now: i64) {
        let Some(m) = self.conns[c].current.take() else {
            return;
        };
        let mut ev = self.msgs[m].ev;
        let mx = self.conns[c].mx;
        // The row's MX address is the connection's (the renderer picks it from these bits).
        ev.msg = (ev.msg & !(3u64 << 60)) | (u64::from(mx) << 60);
        ev.logged = now.div_euclid(1000);
        let roll = self.g.rng.below(1000);
        let last = ev.attempt + 1 >= MAX_ATTEMPTS;
        let (kind, resp_kind) = if !last && roll < u64::from(self.cfg.deferred_permille) {
            (Kind::T, RespKind::Defer)
        } else if roll
            < u64::from(self.cfg.deferred_permille) + u64::from(self.cfg.bounced_permille)
        {
            (Kind::B, RespKind::Bounce)
        } else {
            (Kind::D, RespKind::Deliver)
        };
        let mut resp = self.g.pick_resp(ev.domain, resp_kind);
        let kind = if resp.is_some() {
            kind
        } else {
            resp = self.g.pick_resp(ev.domain, RespKind::Deliver);
            Kind::D
        };
        ev.kind = kind;
        ev.resp = resp;
        self.g.emit(ev);
        self.conns[c].messages += 1;
        self.conns[c].bytes_out += 120 + super::msg_size(ev.msg);
        if kind == Kind::T {
            let wait = resp.map_or(self.g.p.retry_after_secs, |r| self.g.c.retry_after[r]);
            let retry = Event {
                attempt: ev.attempt + 1,
                ..self.msgs[m].ev
            };
            let queue = self.msgs[m].queue;
            self.msgs.push(Msg { ev: retry, queue });
            let id = self.msgs.len() - 1;
            self.push(now + i64::from(wait) * 1000, What::Arrive(id));
        }
        self.next_or_idle(c, now);
    }

    fn close(&mut self, c: usize, now: i64) {
        let conn = &mut self.conns[c];
        conn.state = State::Closed;
        conn.generation += 1;
        let (q, slot, mx) = (conn.queue, conn.slot, conn.mx);
        let (open_ms, messages, out) = (conn.open_ms, conn.messages, conn.bytes_out);
        self.queues[q].conns.retain(|&x| x != c);
        self.free_slots.push(std::cmp::Reverse(slot));
        let (host, ip) = self.mx_of(q, mx);
        let vm = &self.g.p.vmtas[self.queues[q].vmta];
        self.truth.push(TrueConnection {
            vmta: vm.name.clone(),
            source_ip: vm.ip.clone(),
            queue: self.queues[q].name.clone(),
            mx_host: host.clone(),
            mx_ip: ip.clone(),
            open_ms,
            close_ms: now,
            messages,
            slot,
        });
        if self.want_log {
            let inbound = 600 + 90 * u64::from(messages);
            let line = format!("closed {host} ({ip}) in={inbound} out={}", 48 + out);
            self.log_line(now, slot, &line);
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS` in UTC, as the log writes its times.
fn log_time(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(DAY));
    let sod = t.rem_euclid(DAY).unsigned_abs();
    let mut hms = *b"00:00:00";
    put2(&mut hms, 0, sod / 3600);
    put2(&mut hms, 3, sod / 60 % 60);
    put2(&mut hms, 6, sod % 60);
    format!("{y:04}-{m:02}-{d:02} {}", String::from_utf8_lossy(&hms))
}

/// The simulated `PowerMTA` behind `sample-logs/pmta-log`: the sample sender of
/// [`super::sample_files`] on 2026-11-20 from 13:00 to 15:00, with the limits of
/// `sample-logs/pmta-config` (Microsoft domains not rolled up, `max-smtp-out 5` each; Gmail 15;
/// `yahoo.rollup` 8; everything else 10; `connection-idle-timeout 30s`) and a newsletter to
/// Microsoft from 13:45 that fills
/// every Microsoft queue before the RP-002 burst of the accounting sample at 13:58.
#[must_use]
pub fn sample_log_profile() -> Profile {
    let day = super::unix_time(2026, 11, 20, 0, 0, 0);
    let start = day + 13 * 3600;
    let mut p = Profile::example_sender(2026, start);
    p.duration_secs = 2 * 3600;
    p.recipients = 90_000;
    p.rollups = vec![
        ("yahoo.com".to_owned(), "yahoo.rollup".to_owned()),
        ("aol.com".to_owned(), "yahoo.rollup".to_owned()),
    ];
    let mut by_queue: Vec<(String, u32)> = p
        .domains
        .iter()
        .filter(|d| d.provider == Provider::MicrosoftConsumer)
        .map(|d| (d.name.clone(), 5))
        .collect();
    by_queue.push(("gmail.com".to_owned(), 15));
    by_queue.push(("yahoo.rollup".to_owned(), 8));
    p.connections = Some(ConnectionSim {
        background_messages: 150,
        waves: vec![Wave {
            start: start + 45 * 60,
            duration_secs: 15 * 60,
            messages: 900,
            provider: Some(Provider::MicrosoftConsumer),
        }],
        max_smtp_out: 10,
        max_smtp_out_by_queue: by_queue,
        idle_timeout_ms: 30_000,
        ..ConnectionSim::default()
    });
    p
}

/// The text of `sample-logs/pmta-log`: [`sample_log_profile`]'s `log-connections` lines from
/// 13:45:20 to 14:10, so the log begins and ends with connections open (their start or close is
/// outside it).
///
/// # Errors
/// Only if the profile were inconsistent.
pub fn sample_pmta_log() -> io::Result<String> {
    let p = sample_log_profile();
    let mut log = Vec::new();
    simulate(&p, io::sink(), Some(&mut log))?;
    let text = String::from_utf8_lossy(&log);
    let (from, to) = ("2026-11-20 13:45:20", "2026-11-20 14:10:00");
    let mut out = String::new();
    for line in text.lines() {
        let when = line.get(..19).unwrap_or_default();
        if when >= from && when < to {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Profile, unix_time};

    fn small() -> Profile {
        let mut p = Profile::example_sender(5, unix_time(2026, 11, 20, 0, 0, 0));
        p.duration_secs = 3600;
        p.connections = Some(ConnectionSim {
            background_messages: 300,
            waves: vec![Wave {
                start: p.start + 600,
                duration_secs: 120,
                messages: 300,
                provider: Some(Provider::MicrosoftConsumer),
            }],
            max_smtp_out: 3,
            ..ConnectionSim::default()
        });
        p
    }

    #[test]
    fn connections_respect_max_smtp_out_per_queue() {
        let p = small();
        let mut rows = Vec::new();
        let sim = simulate(&p, &mut rows, None).expect("simulate");
        assert!(!sim.connections.is_empty());
        let mut by_queue: FxHashMap<(String, String), Vec<(i64, i64)>> = FxHashMap::default();
        for c in &sim.connections {
            assert!(c.close_ms >= c.open_ms, "{c:?}");
            by_queue
                .entry((c.vmta.clone(), c.queue.clone()))
                .or_default()
                .push((c.open_ms, c.close_ms));
        }
        for ((vmta, queue), spans) in by_queue {
            let mut edges: Vec<(i64, i32)> =
                spans.iter().flat_map(|&(o, c)| [(o, 1), (c, -1)]).collect();
            edges.sort_unstable();
            let mut open = 0;
            for (_, d) in edges {
                open += d;
                assert!(open <= 3, "{vmta} {queue}: {open} connections at once");
            }
        }
        // Every row is one transaction of one connection.
        let carried: u64 = sim.connections.iter().map(|c| u64::from(c.messages)).sum();
        assert_eq!(carried, sim.stats.total_rows());
    }

    #[test]
    fn same_profile_same_rows_log_and_truth() {
        let p = small();
        let run = || {
            let (mut rows, mut log) = (Vec::new(), Vec::new());
            let sim = simulate(&p, &mut rows, Some(&mut log)).expect("simulate");
            (rows, log, sim.connections)
        };
        assert_eq!(run(), run());
        let mut plain = Vec::new();
        crate::write_accounting(&p, &mut plain).expect("write");
        assert_eq!(
            plain,
            run().0,
            "write_accounting runs the simulation when asked"
        );
    }

    #[test]
    fn sample_pmta_log_is_reproducible() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-logs/pmta-log");
        let committed = std::fs::read_to_string(&path).expect("sample-logs/pmta-log");
        let now = sample_pmta_log().expect("generate");
        assert!(
            committed == now,
            "sample-logs/pmta-log differs from synth::connections::sample_pmta_log(): rerun \
             `cargo run --example gen -- sample sample-logs/`"
        );
    }
}
