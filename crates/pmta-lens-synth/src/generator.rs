//! The generator's state and main loop: background rows drawn by weight, bursts, scheduled
//! sends, showcase rows and the follow-ups of a delivery (retries, bounces, complaints),
//! written in time order.

use super::columns::Col;
use super::compiled::{Compiled, fnv};
use super::events::{Event, Kind, Pending, Special};
use super::numbers::{Rng, TimeFmt};
use super::profile::{Profile, Provider, Size};
use super::render::{cut_after_fields, render};
use super::responses::{CATALOGUE, RespKind};
use super::stats::{BurstTruth, ResponseCount, SendTruth, Stats};
use super::{FLUSH_AT, MAX_ATTEMPTS, SHOWCASE_PROVIDERS};
use pmta_lens_core::duration::DAY;
use std::collections::BinaryHeap;
use std::io;
use std::io::Write;

impl<'p> Gen<'p> {
    pub(super) fn new(profile: &'p Profile) -> io::Result<Gen<'p>> {
        let c = Compiled::new(profile)?;
        let mut g = Gen {
            p: profile,
            time: TimeFmt::new(profile.iso_times, profile.utc_offset_mins),
            rng: Rng(profile.seed),
            heap: BinaryHeap::new(),
            seq: 0,
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            flushed: 0,
            stats: Stats::default(),
            resp_counts: vec![(0, 0); CATALOGUE.len()],
            rows: 0,
            quirk_bad_time: profile.quirks.bad_timestamp_row,
            quirk_truncate: profile.quirks.truncated_row,
            quirk_multiline: profile.quirks.multiline_subject_row,
            c,
        };
        g.stats.bursts = profile
            .bursts
            .iter()
            .map(|b| BurstTruth {
                code: b.code.clone(),
                window_start: b.start,
                window_end: b.start + i64::from(b.duration_secs),
                ..BurstTruth::default()
            })
            .collect();
        g.stats.sends = profile
            .sends
            .iter()
            .map(|s| SendTruth {
                job: s.job.clone(),
                source_ip: s.source_ip.clone(),
                window_start: s.start,
                window_end: s.start + i64::from(s.duration_secs),
                ..SendTruth::default()
            })
            .collect();
        g.schedule_bursts();
        g.schedule_sends();
        if profile.showcase {
            g.schedule_showcase();
        }
        Ok(g)
    }
}

pub(super) struct Gen<'p> {
    pub(super) p: &'p Profile,
    pub(super) c: Compiled,
    pub(super) time: TimeFmt,
    pub(super) rng: Rng,
    pub(super) heap: BinaryHeap<Pending>,
    pub(super) seq: u64,
    pub(super) buf: Vec<u8>,
    pub(super) flushed: u64,
    pub(super) stats: Stats,
    /// (count, first line) per catalogue entry.
    pub(super) resp_counts: Vec<(u64, u64)>,
    pub(super) rows: u64,
    pub(super) quirk_bad_time: Option<u64>,
    pub(super) quirk_truncate: Option<u64>,
    pub(super) quirk_multiline: Option<u64>,
}

impl Gen<'_> {
    pub(super) fn push(&mut self, time: i64, ev: Event) {
        self.seq += 1;
        self.heap.push(Pending {
            time,
            seq: self.seq,
            ev: Event { logged: time, ..ev },
        });
    }

    pub(super) fn progress(&self) -> (u64, u64) {
        match self.p.size {
            Size::Rows(n) => (self.rows, n),
            Size::Bytes(n) => (self.flushed + self.buf.len() as u64, n),
        }
    }

    /// How many background rows a `Rows(n)` file will hold: n minus the scheduled rows (bursts,
    /// showcase) and the follow-ups expected from both. An estimate: the starting point of
    /// [`fit_clock`], and the clock itself for large files. It only sets the clock; the row count
    /// stays exact either way.
    pub(super) fn background_budget(&self, n: u64) -> u64 {
        const M: u64 = 1_000_000;
        let m = &self.p.mix;
        let total = u64::from(m.delivered)
            + u64::from(m.deferred)
            + u64::from(m.bounced)
            + u64::from(m.queue_deferred)
            + u64::from(m.received);
        let share = |w: u32| u64::from(w) * M / total.max(1);
        let (pt, pd) = (share(m.deferred), share(m.delivered));
        let weight = |providers: [Provider; 2]| -> u64 {
            providers
                .iter()
                .map(|p| {
                    self.c.provider_domains[p.index()]
                        .cum
                        .last()
                        .copied()
                        .unwrap_or(0)
                })
                .sum()
        };
        let complaining = weight([Provider::MicrosoftConsumer, Provider::Yahoo]);
        let corporate = weight([Provider::Office365, Provider::Other])
            + self.c.tail.as_ref().map_or(0, |t| u64::from(t.weight));
        let all = self.c.domain_pick.cum.last().copied().unwrap_or(1).max(1);
        let after_d = (u64::from(m.complaint_permille) * complaining
            + (u64::from(m.remote_bounce_permille) + u64::from(m.remote_status_permille))
                * corporate)
            * 1000
            / all;
        // A deferral is retried about 1.12 times (12% are deferred once more), if the retry
        // falls inside the file.
        let duration = u64::from(self.p.duration_secs).max(1);
        let inside = duration.saturating_sub(u64::from(self.p.retry_after_secs)) * M / duration;
        let per_row = pt * 112 / 100 * inside / M + pd * after_d / M;
        let end = self.p.start + i64::from(self.p.duration_secs);
        let retried = |e: &&Pending| {
            e.ev.kind == Kind::T
                && e.ev
                    .resp
                    .is_some_and(|r| e.time + i64::from(self.c.retry_after[r]) < end)
        };
        let scheduled = self.heap.len() as u64;
        let fixed = scheduled + self.heap.iter().filter(retried).count() as u64 * 112 / 100;
        (n.saturating_sub(fixed).max(1) * M / (M + per_row)).max(1)
    }

    /// Writes rows until the size is reached; returns how many were background rows.
    pub(super) fn run<W: Write>(&mut self, out: &mut W, clock: Option<u64>) -> io::Result<u64> {
        let duration = u128::from(self.p.duration_secs);
        // The clock: background rows against their budget (exact row counts), or bytes against
        // the target (large files, where scheduled rows are a rounding error).
        let clock_target = match self.p.size {
            Size::Rows(n) => clock.unwrap_or_else(|| self.background_budget(n)),
            Size::Bytes(n) => n,
        };
        let step = u64::try_from(duration / u128::from(clock_target.max(1))).unwrap_or(0);
        let mut background_rows = 0u64;
        // The time of the next background row, fixed once drawn so that scheduled rows before it
        // come first and times never go backwards.
        let mut next_background = None;
        loop {
            let (done, target) = self.progress();
            if done >= target {
                return Ok(background_rows);
            }
            let now = if let Some(t) = next_background {
                t
            } else {
                let clock = match self.p.size {
                    Size::Rows(_) => background_rows,
                    Size::Bytes(_) => done,
                };
                let offset = u128::from(clock) * duration / u128::from(clock_target.max(1));
                // Anywhere inside its step, so rows do not sit on a visible grid.
                let jitter = u128::from(self.rng.below(step));
                let t = self.p.start + i64::try_from(offset + jitter).unwrap_or(i64::MAX);
                next_background = Some(t);
                t
            };
            let ev = match self.heap.peek() {
                Some(next) if next.time <= now => match self.heap.pop() {
                    Some(next) => next.ev,
                    None => continue,
                },
                _ => {
                    next_background = None;
                    background_rows += 1;
                    self.background(now)
                }
            };
            // A truncated row gets no follow-ups: a complaint or retry about a row the reader
            // cannot parse would make the ground truth ambiguous. Rows of a scheduled send get
            // none either (see `ScheduledSend`).
            if self.emit(ev) && ev.send.is_none() {
                self.follow_ups(&ev);
            }
            if self.buf.len() >= FLUSH_AT {
                self.flush(out)?;
            }
        }
    }

    pub(super) fn flush<W: Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(&self.buf)?;
        self.flushed += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    pub(super) fn pick_vmta(&mut self, campaign: usize, domain: usize) -> usize {
        let list = self.c.campaigns[campaign]
            .vmtas
            .as_ref()
            .unwrap_or(&self.c.domains[domain].vmtas);
        list[self.rng.index(list.len())]
    }

    pub(super) fn new_event(
        &mut self,
        kind: Kind,
        t: i64,
        domain: usize,
        resp: Option<usize>,
    ) -> Event {
        let campaign = self.c.campaign_pick.pick(&mut self.rng).unwrap_or(0);
        let vmta = self.pick_vmta(campaign, domain);
        self.event_of(kind, t, domain, resp, campaign, vmta)
    }

    /// An event of a given campaign and VMTA (the rest drawn as for any event).
    pub(super) fn event_of(
        &mut self,
        kind: Kind,
        t: i64,
        domain: usize,
        resp: Option<usize>,
        campaign: usize,
        vmta: usize,
    ) -> Event {
        let subject = self.rng.index(self.c.campaigns[campaign].subjects.len());
        let msg = self.rng.next();
        let user = self.rng.below(self.c.recipients);
        let queued = match kind {
            Kind::R | Kind::Tq => t,
            _ if resp.is_some_and(|r| CATALOGUE[r].kind == RespKind::Expire) => {
                // PowerMTA's default bounce-after is 4d12h.
                t - (4 * DAY + 12 * 3600) - i64::try_from(self.rng.below(3600)).unwrap_or(0)
            }
            _ => t - i64::try_from(self.rng.below(900)).unwrap_or(0),
        };
        Event {
            kind,
            logged: t,
            queued,
            msg,
            user,
            domain,
            rank: 0,
            vmta,
            campaign,
            subject,
            resp,
            attempt: 0,
            burst: None,
            send: None,
        }
    }

    pub(super) fn pick_resp(&mut self, domain: usize, kind: RespKind) -> Option<usize> {
        let provider = self.c.domains[domain].provider;
        self.c.resp_list(provider, kind).pick(&mut self.rng)
    }

    pub(super) fn background(&mut self, t: i64) -> Event {
        let kind = self
            .c
            .kind_pick
            .pick(&mut self.rng)
            .and_then(|k| Kind::ALL.get(k).copied())
            .unwrap_or(Kind::D);
        let (domain, rank, user) = if self.c.stable_recipients {
            let user = self.rng.below(self.c.recipients);
            let (domain, rank) = self.c.domain_of_user(user);
            (domain, rank, Some(user))
        } else {
            let (domain, rank) = self.pick_domain();
            (domain, rank, None)
        };
        let resp_kind = match kind {
            Kind::T => Some(RespKind::Defer),
            Kind::Tq => Some(RespKind::QueueDefer),
            Kind::B if self.rng.chance(self.p.mix.expired_permille) => Some(RespKind::Expire),
            Kind::B => Some(RespKind::Bounce),
            Kind::R => None,
            _ => Some(RespKind::Deliver),
        };
        let mut resp = resp_kind.and_then(|k| self.pick_resp(domain, k));
        // A type whose responses are all switched off becomes a delivery.
        let kind = match (kind, resp) {
            (Kind::R, _) => Kind::R,
            (k, Some(_)) => k,
            (_, None) => {
                resp = self.pick_resp(domain, RespKind::Deliver);
                Kind::D
            }
        };
        let mut ev = self.new_event(kind, t, domain, resp);
        ev.rank = rank;
        if let Some(user) = user {
            ev.user = user;
        }
        ev
    }

    /// A destination drawn by weight: a named domain (rank 0), or a [`DomainTail`] rank and its
    /// stand-in. Without a tail this draws exactly what `domain_pick` alone did.
    pub(super) fn pick_domain(&mut self) -> (usize, u32) {
        let domain = self.c.domain_pick.pick(&mut self.rng).unwrap_or(0);
        match &self.c.tail {
            Some(t) if domain == t.own_mx => {
                let rank = t.rank_at(self.rng.below(t.total()));
                (t.domain_of(rank, self.c.seed), rank)
            }
            _ => (domain, 0),
        }
    }

    pub(super) fn schedule_bursts(&mut self) {
        for (bi, b) in self.p.bursts.iter().enumerate() {
            for _ in 0..b.events {
                let cb = &self.c.bursts[bi];
                let domain = self.c.provider_domains[cb.provider.index()]
                    .pick(&mut self.rng)
                    .unwrap_or(0);
                let resp = cb.resps.pick(&mut self.rng);
                let vmta = cb.vmtas[self.rng.index(cb.vmtas.len())];
                let t = b.start
                    + i64::try_from(self.rng.below(u64::from(b.duration_secs.max(1)))).unwrap_or(0);
                let mut ev = self.new_event(Kind::T, t, domain, resp);
                ev.vmta = vmta;
                ev.burst = Some(bi);
                self.push(t, ev);
            }
        }
    }

    /// Schedules the rows of [`Profile::sends`], drawn from a random stream of their own so that
    /// a profile's other rows do not depend on its sends.
    pub(super) fn schedule_sends(&mut self) {
        let p = self.p;
        if p.sends.is_empty() {
            return;
        }
        let background = std::mem::replace(&mut self.rng, Rng(p.seed ^ fnv("sends")));
        for (si, s) in p.sends.iter().enumerate() {
            let (provider, vmta, campaign) = {
                let cs = &self.c.sends[si];
                (cs.provider, cs.vmta, cs.campaign)
            };
            for _ in 0..s.events {
                let domain = self.c.provider_domains[provider.index()]
                    .pick(&mut self.rng)
                    .unwrap_or(0);
                let resp = self.pick_resp(domain, RespKind::Deliver);
                let t = s.start
                    + i64::try_from(self.rng.below(u64::from(s.duration_secs.max(1)))).unwrap_or(0);
                let mut ev = self.event_of(Kind::D, t, domain, resp, campaign, vmta);
                ev.send = Some(si);
                self.push(t, ev);
            }
        }
        self.rng = background;
    }

    pub(super) fn schedule_showcase(&mut self) {
        let chosen: Vec<usize> = CATALOGUE
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.kind != RespKind::Deliver && SHOWCASE_PROVIDERS.contains(&r.provider)
            })
            .filter(|(_, r)| {
                r.provider
                    .is_none_or(|p| !self.c.provider_domains[p.index()].is_empty())
            })
            .filter(|(i, _)| self.c.opted_in(*i))
            .map(|(i, _)| i)
            .collect();
        // Two more slots: a received row, and a delivery that is reported as spam an hour later.
        let n = chosen.len() as u64 + 2;
        // Slot k starts at k/n of the duration, plus up to half a slot, so times look natural.
        let width = u64::from(self.p.duration_secs) / n;
        let slot_time = |k: u64, rng: &mut Rng| {
            let at = k * u64::from(self.p.duration_secs) / n + rng.below(width / 2 + 1);
            self.p.start + i64::try_from(at).unwrap_or(0)
        };
        let (t_r, t_d) = (slot_time(0, &mut self.rng), slot_time(1, &mut self.rng));
        let (domain, rank) = self.pick_domain();
        let mut ev = self.new_event(Kind::R, t_r, domain, None);
        ev.rank = rank;
        self.push(t_r, ev);
        let complaining = &self.c.provider_domains[Provider::MicrosoftConsumer.index()];
        if let Some(domain) = complaining.pick(&mut self.rng) {
            let resp = self.pick_resp(domain, RespKind::Deliver);
            let ev = self.new_event(Kind::D, t_d, domain, resp);
            self.push(t_d, ev);
            self.push(
                t_d + 3600,
                Event {
                    kind: Kind::F,
                    resp: None,
                    ..ev
                },
            );
        }
        for (k, &ri) in chosen.iter().enumerate() {
            let r = &CATALOGUE[ri];
            let corporate = self.c.provider_domains[Provider::Other.index()].pick(&mut self.rng);
            let (domain, rank) = match r.provider {
                Some(p) => (
                    self.c.provider_domains[p.index()]
                        .pick(&mut self.rng)
                        .unwrap_or(0),
                    0,
                ),
                None => match corporate {
                    Some(d) => (d, 0),
                    None => self.pick_domain(),
                },
            };
            let t = slot_time(k as u64 + 2, &mut self.rng);
            let mut ev = self.new_event(Kind::for_resp(r.kind), t, domain, Some(ri));
            ev.rank = rank;
            self.push(t, ev);
        }
    }

    /// What happens to a recipient later: retries after a deferral, complaints and remote
    /// notices after a delivery. They are scheduled, so they always follow their cause.
    pub(super) fn follow_ups(&mut self, ev: &Event) {
        let t = ev.logged;
        let provider = self.c.domains[ev.domain].provider;
        match ev.kind {
            Kind::T if ev.attempt + 1 < MAX_ATTEMPTS => {
                let wait = ev
                    .resp
                    .map_or(self.p.retry_after_secs, |r| self.c.retry_after[r]);
                let at = t + i64::from(wait) + i64::try_from(self.rng.below(120)).unwrap_or(0);
                let roll = self.rng.below(100);
                let (kind, resp) = if roll < 85 || ev.attempt + 2 >= MAX_ATTEMPTS {
                    (Kind::D, self.pick_resp(ev.domain, RespKind::Deliver))
                } else if roll < 97 {
                    let same = self.rng.chance(500);
                    (
                        Kind::T,
                        if same {
                            ev.resp
                        } else {
                            self.pick_resp(ev.domain, RespKind::Defer)
                        },
                    )
                } else {
                    (Kind::B, self.pick_resp(ev.domain, RespKind::Bounce))
                };
                if resp.is_some() {
                    let retry = Event {
                        kind,
                        resp,
                        attempt: ev.attempt + 1,
                        burst: None,
                        ..*ev
                    };
                    self.push(at, retry);
                }
            }
            Kind::D => {
                let m = self.p.mix;
                let complains = matches!(provider, Provider::MicrosoftConsumer | Provider::Yahoo);
                let corporate = matches!(provider, Provider::Office365 | Provider::Other);
                let later = |rng: &mut Rng, min: u64, spread: u64| {
                    t + i64::try_from(min + rng.below(spread)).unwrap_or(0)
                };
                if complains && self.rng.chance(m.complaint_permille) {
                    let at = later(&mut self.rng, 600, 3 * 3600);
                    self.push(
                        at,
                        Event {
                            kind: Kind::F,
                            resp: None,
                            burst: None,
                            ..*ev
                        },
                    );
                } else if corporate && self.rng.chance(m.remote_bounce_permille) {
                    let at = later(&mut self.rng, 60, 3600);
                    let resp = self.pick_resp(ev.domain, RespKind::RemoteBounce);
                    self.push(
                        at,
                        Event {
                            kind: Kind::Rb,
                            resp,
                            burst: None,
                            ..*ev
                        },
                    );
                } else if corporate && self.rng.chance(m.remote_status_permille) {
                    let at = later(&mut self.rng, 300, 2 * 3600);
                    let resp = self.pick_resp(ev.domain, RespKind::RemoteStatus);
                    self.push(
                        at,
                        Event {
                            kind: Kind::Rs,
                            resp,
                            burst: None,
                            ..*ev
                        },
                    );
                }
            }
            _ => {}
        }
    }

    pub(super) fn take_quirk(slot: &mut Option<u64>, rows: u64, ev: &Event) -> bool {
        match *slot {
            Some(at) if rows >= at && ev.kind == Kind::D => {
                *slot = None;
                true
            }
            _ => false,
        }
    }

    /// Writes one row; false if it was cut short on purpose.
    pub(super) fn emit(&mut self, ev: Event) -> bool {
        let bad_time = Self::take_quirk(&mut self.quirk_bad_time, self.rows, &ev);
        let truncate = Self::take_quirk(&mut self.quirk_truncate, self.rows, &ev);
        let multiline = Self::take_quirk(&mut self.quirk_multiline, self.rows, &ev);
        let special = if bad_time {
            Special::BadTime
        } else if multiline {
            Special::Multiline
        } else {
            Special::None
        };
        if self.stats.lines > 0 {
            self.buf.extend_from_slice(self.c.eol);
        }
        let line = self.stats.lines + 1;
        let start = self.buf.len();
        render(
            &self.c,
            &mut self.time,
            &ev,
            special,
            self.rows,
            &mut self.buf,
        );
        let ncols = self.c.cols.len();
        let truncate = truncate && ncols > 2;
        if truncate {
            let keep = ncols.min(9) - 1;
            cut_after_fields(&mut self.buf, start, keep);
            self.stats
                .malformed
                .push((line, format!("truncated: {keep} of {ncols} fields")));
        }
        if bad_time && self.c.cols.contains(&Col::TimeLogged) {
            let reason = if self.p.iso_times {
                "bad timeLogged 2026-13-45 99:00:00+0000 (month 13, day 45, hour 99)"
            } else {
                "bad timeLogged 1795X83402 (not a number)"
            };
            self.stats.malformed.push((line, reason.to_owned()));
        }
        // Only the multi-line Subject puts a line break inside a row.
        let breaks = u64::from(multiline);
        if multiline {
            self.stats.multiline_row_line = Some(line);
        }
        self.stats.lines = line + breaks;
        self.rows += 1;

        let s = &mut self.stats;
        s.rows[ev.kind as usize] += 1;
        if s.total_rows() == 1 {
            s.first_time = ev.logged;
        }
        s.last_time = ev.logged;
        if let Some(r) = ev.resp {
            let slot = &mut self.resp_counts[r];
            if slot.0 == 0 {
                slot.1 = line;
            }
            slot.0 += 1;
        }
        if let Some(bi) = ev.burst {
            let ip = String::from_utf8_lossy(&self.c.vmtas[ev.vmta].ip).into_owned();
            let bt = &mut s.bursts[bi];
            if bt.count == 0 {
                bt.first = Some(ev.logged);
                bt.first_line = line;
            }
            bt.count += 1;
            bt.last = Some(ev.logged);
            bt.last_line = line;
            match bt.by_ip.iter_mut().find(|(i, _)| *i == ip) {
                Some((_, n)) => *n += 1,
                None => bt.by_ip.push((ip, 1)),
            }
        }
        if let Some(si) = ev.send {
            let st = &mut s.sends[si];
            if st.count == 0 {
                st.first = Some(ev.logged);
                st.first_line = line;
            }
            st.count += 1;
            st.last = Some(ev.logged);
            st.last_line = line;
        }
        !truncate
    }

    pub(super) fn finish(&mut self) {
        self.stats.bytes = self.flushed + self.buf.len() as u64;
        self.stats.responses = CATALOGUE
            .iter()
            .zip(&self.resp_counts)
            .filter(|(_, (n, _))| *n > 0)
            .map(|(r, &(count, first_line))| ResponseCount {
                id: r.id,
                count,
                first_line,
            })
            .collect();
        for b in &mut self.stats.bursts {
            b.by_ip.sort();
        }
    }
}
