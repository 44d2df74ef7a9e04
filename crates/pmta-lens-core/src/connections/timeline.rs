//! Open connections over time, from connection intervals: the count at every instant, its peak,
//! its 95th percentile over the time anything was open, the time spent above a budget, and a
//! bucketed series for charts. The same code measures a `log-connections` log, an estimate and a
//! simulation's truth, so they are compared on equal terms. Pure arithmetic on milliseconds.

use serde::Serialize;

use crate::duration::DAY;

/// A connection's life, Unix milliseconds, `open <= close`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub open: i64,
    pub close: i64,
}

/// What a set of connections amounts to over time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// The most connections open at one instant.
    pub peak: u32,
    /// The 95th percentile of the open count over the time at least one was open
    /// (time-weighted): for 95 % of that time, this many or fewer were open.
    pub p95: u32,
    /// Seconds during which more than the budget were open (rounded to whole seconds).
    pub seconds_over_budget: u64,
    /// Seconds during which at least one was open.
    pub active_seconds: u64,
    /// When the peak was first reached (Unix seconds); 0 when nothing was open.
    pub peak_at: i64,
}

/// One bucket of a series.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Point {
    /// Bucket start, Unix seconds.
    pub t: i64,
    /// The most connections open at one instant in the bucket.
    pub max: u32,
    /// The time-weighted mean over the bucket.
    pub mean: f64,
}

/// The open count as steps: `(from, count)` sorted by time, each count holding until the next
/// step; the last step is always 0.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Steps(pub Vec<(i64, u32)>);

impl Steps {
    /// Builds the steps of a set of spans. An empty span (`open == close`) counts for one
    /// millisecond, so a connection opened and closed within one log second is not lost.
    pub fn of(spans: &[Span]) -> Steps {
        // Each edge as one integer, time shifted left with the low bit 1 for an open: sorting
        // plain integers is fast, and at equal times closes come first (a connection closed
        // when another opened did not overlap it).
        let mut edges: Vec<i64> = Vec::with_capacity(spans.len() * 2);
        for s in spans {
            let close = s.close.max(s.open + 1);
            edges.push(s.open << 1 | 1);
            edges.push(close << 1);
        }
        edges.sort_unstable();
        let mut steps: Vec<(i64, u32)> = Vec::with_capacity(edges.len());
        let mut open: i64 = 0;
        let mut i = 0;
        while i < edges.len() {
            let t = edges[i] >> 1;
            while i < edges.len() && edges[i] >> 1 == t {
                open += if edges[i] & 1 == 1 { 1 } else { -1 };
                i += 1;
            }
            let n = u32::try_from(open.max(0)).unwrap_or(u32::MAX);
            match steps.last_mut() {
                Some(last) if last.1 == n => {}
                _ => steps.push((t, n)),
            }
        }
        Steps(steps)
    }

    /// Sums several step functions (connections of several queues or IPs): a merge of the
    /// sorted steps, no sort.
    pub fn sum(parts: &[&Steps]) -> Steps {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let mut heap: BinaryHeap<Reverse<(i64, usize)>> = parts
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.0.first().map(|s| Reverse((s.0, i))))
            .collect();
        let mut pos = vec![0usize; parts.len()];
        let mut current = vec![0i64; parts.len()];
        let mut total = 0i64;
        let mut steps: Vec<(i64, u32)> = Vec::new();
        while let Some(&Reverse((t, _))) = heap.peek() {
            while let Some(&Reverse((at, i))) = heap.peek() {
                if at != t {
                    break;
                }
                heap.pop();
                let n = i64::from(parts[i].0[pos[i]].1);
                total += n - current[i];
                current[i] = n;
                pos[i] += 1;
                if let Some(next) = parts[i].0.get(pos[i]) {
                    heap.push(Reverse((next.0, i)));
                }
            }
            let n = u32::try_from(total.max(0)).unwrap_or(u32::MAX);
            match steps.last_mut() {
                Some(last) if last.1 == n => {}
                _ => steps.push((t, n)),
            }
        }
        Steps(steps)
    }

    /// Peak, p95 and time above `budget` (no time above when `budget` is `None`).
    pub fn stats(&self, budget: Option<u32>) -> Stats {
        let mut s = Stats::default();
        let mut durations: Vec<(u32, i64)> = Vec::new();
        let mut over_ms = 0i64;
        let mut active_ms = 0i64;
        for w in self.0.windows(2) {
            let ((t, n), (next, _)) = (w[0], w[1]);
            if n > s.peak {
                s.peak = n;
                s.peak_at = t.div_euclid(1000);
            }
            if n == 0 {
                continue;
            }
            let len = next - t;
            active_ms += len;
            durations.push((n, len));
            if budget.is_some_and(|b| n > b) {
                over_ms += len;
            }
        }
        s.p95 = percentile(&mut durations, 0.95);
        s.seconds_over_budget = ms_to_secs(over_ms);
        s.active_seconds = ms_to_secs(active_ms);
        s
    }

    /// The open count per bucket of `bucket_secs`, from the bucket holding `from` to the one
    /// holding `to` (Unix seconds): max and time-weighted mean.
    pub fn series(&self, from: i64, to: i64, bucket_secs: i64) -> Vec<Point> {
        let bucket = bucket_secs.max(1) * 1000;
        let first = (from * 1000).div_euclid(bucket) * bucket;
        let last = (to * 1000).div_euclid(bucket) * bucket;
        if last < first {
            return Vec::new();
        }
        let n = usize::try_from((last - first) / bucket + 1).unwrap_or(0);
        let mut max = vec![0u32; n];
        let mut area = vec![0i64; n];
        for (i, &(t, count)) in self.0.iter().enumerate() {
            let end = self.0.get(i + 1).map_or(t, |s| s.0);
            if count == 0 || end <= first || t > last + bucket {
                continue;
            }
            let mut at = t.max(first);
            let end = end.min(last + bucket);
            while at < end {
                let b = usize::try_from((at - first) / bucket).unwrap_or(0);
                let b_end = first + (i64::try_from(b).unwrap_or(0) + 1) * bucket;
                let upto = end.min(b_end);
                if let (Some(m), Some(a)) = (max.get_mut(b), area.get_mut(b)) {
                    *m = (*m).max(count);
                    *a += i64::from(count) * (upto - at);
                }
                at = upto;
            }
        }
        (0..n)
            .map(|b| Point {
                t: (first + i64::try_from(b).unwrap_or(0) * bucket) / 1000,
                max: max[b],
                mean: area[b] as f64 / bucket as f64,
            })
            .collect()
    }

    /// The count at an instant (ms).
    pub fn at(&self, t: i64) -> u32 {
        match self.0.binary_search_by_key(&t, |s| s.0) {
            Ok(i) => self.0[i].1,
            Err(0) => 0,
            Err(i) => self.0[i - 1].1,
        }
    }

    /// First and last instant with a connection open (ms), if any.
    pub fn range(&self) -> Option<(i64, i64)> {
        let first = self.0.iter().find(|s| s.1 > 0)?.0;
        let last = self.0.last()?.0;
        Some((first, last))
    }
}

/// One step of a series with something open: (its index: Unix seconds / the step; most open;
/// count x ms, saturating). 12 bytes: a large sender's series hold millions (24 bytes with
/// `i64`s); the count x ms of an hour stays under `u32` up to 1,190 connections open on average
/// (71,000 for a minute).
type Minute = (i32, u32, u32);

/// A per-step series of open connections. The step starts at a minute and grows with the span
/// the series covers, as the report's buckets do (`connections::auto_bucket`: 5 minutes past 6
/// hours, an hour past 2 days), so a day costs 288 entries a destination instead of 1,440.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Series {
    /// Seconds per entry: 60, 300 or 3600.
    step: u32,
    points: Vec<Minute>,
}

impl Series {
    fn new() -> Series {
        Series {
            step: 60,
            points: Vec::new(),
        }
    }

    /// Adds `area` (count x ms) with `n` open, at `at` ms.
    fn add(&mut self, at: i64, n: u32, area: u32) {
        let index = i32::try_from(at.div_euclid(i64::from(self.step) * 1000)).unwrap_or(i32::MAX);
        match self.points.last_mut() {
            Some(last) if last.0 == index => {
                last.1 = last.1.max(n);
                last.2 = last.2.saturating_add(area);
            }
            _ => {
                // Most destinations of a large sender's day have a connection open in one
                // minute only: room for one entry, not the four a first push makes.
                if self.points.capacity() == 0 {
                    self.points.reserve_exact(1);
                }
                self.points.push((index, n, area));
                self.coarsen();
            }
        }
    }

    /// Moves to the next step once the series spans more than the current step is kept for.
    fn coarsen(&mut self) {
        let (Some(first), Some(last)) = (self.points.first(), self.points.last()) else {
            return;
        };
        let span = i64::from(last.0 - first.0) * i64::from(self.step);
        let step = match self.step {
            60 if span > 6 * 3600 => 300,
            300 if span > 2 * DAY => 3600,
            _ => return,
        };
        let ratio = i32::try_from(step / self.step).unwrap_or(1);
        let mut merged: Vec<Minute> = Vec::with_capacity(self.points.len() / 4 + 1);
        for &(index, n, area) in &self.points {
            let index = index.div_euclid(ratio);
            match merged.last_mut() {
                Some(m) if m.0 == index => {
                    m.1 = m.1.max(n);
                    m.2 = m.2.saturating_add(area);
                }
                _ => merged.push((index, n, area)),
            }
        }
        self.step = step;
        self.points = merged;
    }
}

/// Open connections over time, accumulated from edges fed in time order: the numbers
/// [`Steps::of`] then [`Steps::stats`] and [`Steps::series`] give, without keeping the steps.
/// Memory is one count per connection level, plus one entry per minute with something open
/// when the series is kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Live {
    /// The instant whose edges are being gathered (all edges at one instant apply together),
    /// and their net change.
    at: i64,
    delta: i32,
    gathering: bool,
    /// The open count since `since`.
    open: u32,
    since: i64,
    /// Milliseconds spent with one connection open, and at each count from two on (index:
    /// the count - 2): most of a large sender's hundred thousand destinations never have two
    /// open at once, and then `more` allocates nothing.
    one: i64,
    more: Vec<i64>,
    peak: u32,
    peak_at: i64,
    /// The series, when kept. Boxed: a large sender's hundred thousand accumulators rarely
    /// keep one, and an empty `Option<Box<_>>` takes 8 bytes.
    minutes: Option<Box<Series>>,
}

impl Live {
    /// An accumulator; `series`: keep the per-minute series too.
    pub fn new(series: bool) -> Live {
        Live {
            minutes: series.then(|| Box::new(Series::new())),
            ..Live::default()
        }
    }

    /// The accumulator of a whole set of spans (sorted here; [`Self::edge`] takes edges already
    /// in time order).
    pub fn of(spans: &[Span], series: bool) -> Live {
        let mut edges: Vec<(i64, i64)> = Vec::with_capacity(spans.len() * 2);
        for s in spans {
            edges.push((s.open, 1));
            edges.push((s.close.max(s.open + 1), -1));
        }
        edges.sort_unstable();
        let mut live = Live::new(series);
        for (t, d) in edges {
            live.edge(t, d);
        }
        live.flush();
        live
    }

    /// One edge (`+1` a connection opens, `-1` one closes) at `t` ms; edges must come in
    /// time order (at one instant, in any order).
    pub fn edge(&mut self, t: i64, delta: i64) {
        if self.gathering && t != self.at {
            self.apply();
        }
        if !self.gathering {
            self.gathering = true;
            self.at = t;
            self.delta = 0;
        }
        let delta = i32::try_from(delta).unwrap_or(if delta < 0 { i32::MIN } else { i32::MAX });
        self.delta = self.delta.saturating_add(delta);
    }

    /// Applies the edges gathered so far (nothing more will come at their instant).
    pub fn flush(&mut self) {
        if self.gathering {
            self.apply();
        }
    }

    fn apply(&mut self) {
        self.gathering = false;
        let n = u32::try_from((i64::from(self.open) + i64::from(self.delta)).max(0))
            .unwrap_or(u32::MAX);
        if n == self.open {
            return;
        }
        self.account(self.since, self.at);
        self.open = n;
        self.since = self.at;
        if n > self.peak {
            self.peak = n;
            self.peak_at = self.at.div_euclid(1000);
        }
    }

    /// Counts `[from, to)` ms at the current open count.
    fn account(&mut self, from: i64, to: i64) {
        let n = self.open;
        if n == 0 || to <= from {
            return;
        }
        if n == 1 {
            self.one += to - from;
        } else {
            let i = n as usize - 2;
            if self.more.len() <= i {
                self.more.resize(i + 1, 0);
            }
            self.more[i] += to - from;
        }
        if let Some(minutes) = &mut self.minutes {
            let mut at = from;
            while at < to {
                let step = i64::from(minutes.step) * 1000;
                let upto = to.min((at.div_euclid(step) + 1) * step);
                let area = u32::try_from(i64::from(n) * (upto - at)).unwrap_or(u32::MAX);
                minutes.add(at, n, area);
                at = upto;
            }
        }
    }

    /// The finished timeline (every edge fed).
    pub fn finish(mut self) -> Timeline {
        self.flush();
        // Indexed by the count, up to the highest with time spent at it (none: empty).
        let time_at = if self.one > 0 || !self.more.is_empty() {
            [0, self.one].into_iter().chain(self.more).collect()
        } else {
            Box::default()
        };
        Timeline {
            time_at,
            peak: self.peak,
            peak_at: self.peak_at,
            minutes: self.minutes.map(|m| (m.step, m.points.into_boxed_slice())),
        }
    }
}

/// Open connections over time, accumulated by a [`Live`]: the time spent at each open count,
/// the peak, and the per-minute series when it was kept. What a report keeps of a destination.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    /// Milliseconds spent at each open count (index: the count).
    time_at: Box<[i64]>,
    peak: u32,
    peak_at: i64,
    /// The series when kept: its step (seconds) and entries (see [`Series`]).
    minutes: Option<(u32, Box<[Minute]>)>,
}

impl Timeline {
    /// An empty timeline (nothing was open), with an empty series when `series`.
    pub fn empty(series: bool) -> Timeline {
        Timeline {
            minutes: series.then(|| (60, Box::default())),
            ..Timeline::default()
        }
    }

    /// The most connections open at once.
    pub fn peak(&self) -> u32 {
        self.peak
    }

    /// Peak, p95 and time above `budget` (none when `budget` is `None`), as [`Steps::stats`].
    pub fn stats(&self, budget: Option<u32>) -> Stats {
        let total: i64 = self.time_at.iter().sum();
        let over: i64 = match budget {
            Some(b) => self.time_at.iter().skip(b as usize + 1).sum(),
            None => 0,
        };
        let mut durations: Vec<(u32, i64)> = self
            .time_at
            .iter()
            .enumerate()
            .filter(|(_, ms)| **ms > 0)
            .map(|(n, ms)| (u32::try_from(n).unwrap_or(u32::MAX), *ms))
            .collect();
        Stats {
            peak: self.peak,
            p95: percentile(&mut durations, 0.95),
            seconds_over_budget: ms_to_secs(over),
            active_seconds: ms_to_secs(total),
            peak_at: if self.peak > 0 { self.peak_at } else { 0 },
        }
    }

    /// The open count per bucket of `bucket_secs` (rounded up to a whole number of the series' steps), from the bucket holding
    /// `from` to the one holding `to` (Unix seconds): max and time-weighted mean. Empty when
    /// the series was not kept.
    pub fn series(&self, from: i64, to: i64, bucket_secs: i64) -> Vec<Point> {
        let Some((step, minutes)) = &self.minutes else {
            return Vec::new();
        };
        // A whole number of the series' steps (a bucket finer than the step kept for a long
        // span comes out at the step).
        let step = i64::from(*step);
        let bucket = (bucket_secs.max(step) + step - 1) / step * step;
        let first = from.div_euclid(bucket) * bucket;
        let last = to.div_euclid(bucket) * bucket;
        if last < first {
            return Vec::new();
        }
        let n = usize::try_from((last - first) / bucket + 1).unwrap_or(0);
        let mut max = vec![0u32; n];
        let mut area = vec![0i64; n];
        for &(index, m, a) in &**minutes {
            let minute = i64::from(index) * step;
            if minute < first || minute >= last + bucket {
                continue;
            }
            let b = usize::try_from((minute - first) / bucket).unwrap_or(0);
            max[b] = max[b].max(m);
            area[b] += i64::from(a);
        }
        (0..n)
            .map(|b| Point {
                t: first + i64::try_from(b).unwrap_or(0) * bucket,
                max: max[b],
                mean: area[b] as f64 / (bucket * 1000) as f64,
            })
            .collect()
    }
}

fn ms_to_secs(ms: i64) -> u64 {
    u64::try_from((ms + 500).div_euclid(1000)).unwrap_or(0)
}

/// The smallest count whose cumulative time reaches `q` of the total (counts are small: one
/// bucket of time per count).
fn percentile(durations: &mut [(u32, i64)], q: f64) -> u32 {
    let total: i64 = durations.iter().map(|d| d.1).sum();
    if total <= 0 {
        return 0;
    }
    let top = durations.iter().map(|d| d.0).max().unwrap_or(0) as usize;
    let mut time_at = vec![0i64; top + 1];
    for &(n, len) in durations.iter() {
        time_at[n as usize] += len;
    }
    let want = (total as f64 * q).ceil() as i64;
    let mut acc = 0;
    for (n, len) in time_at.iter().enumerate() {
        acc += len;
        if acc >= want {
            return u32::try_from(n).unwrap_or(u32::MAX);
        }
    }
    u32::try_from(top).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(open: i64, close: i64) -> Span {
        Span {
            open: open * 1000,
            close: close * 1000,
        }
    }

    #[test]
    fn steps_peak_p95_and_time_over() {
        // 0-10 s: one; 10-12 s: three; 12-20 s: two; then none.
        let spans = [span(0, 20), span(10, 12), span(10, 20)];
        let steps = Steps::of(&spans);
        assert_eq!(
            steps.0,
            [(0, 1), (10_000, 3), (12_000, 2), (20_000, 0)],
            "{steps:?}"
        );
        let s = steps.stats(Some(2));
        assert_eq!((s.peak, s.peak_at), (3, 10));
        assert_eq!(s.seconds_over_budget, 2);
        assert_eq!(s.active_seconds, 20);
        // 10 s at 1, 8 s at 2, 2 s at 3: 95 % of 20 s is 19 s, reached within the 3s.
        assert_eq!(s.p95, 3);
        assert_eq!(steps.stats(Some(3)).seconds_over_budget, 0);
        assert_eq!(steps.stats(None).seconds_over_budget, 0);
        assert_eq!(steps.at(11_000), 3);
        assert_eq!(steps.at(-5), 0);
        assert_eq!(steps.range(), Some((0, 20_000)));
    }

    #[test]
    fn p95_ignores_idle_time_and_short_spikes() {
        // One connection for 100 s, a spike of 5 for 2 s, an hour of nothing.
        let mut spans = vec![span(0, 100)];
        spans.extend((0..4).map(|_| span(50, 52)));
        spans.push(span(3700, 3701));
        let s = Steps::of(&spans).stats(None);
        assert_eq!(s.peak, 5);
        assert_eq!(s.p95, 1, "the spike is 2 % of the active time");
        assert_eq!(s.active_seconds, 101);
    }

    #[test]
    fn back_to_back_connections_do_not_overlap_and_empty_ones_count() {
        let steps = Steps::of(&[span(0, 5), span(5, 9), span(20, 20)]);
        assert_eq!(steps.stats(None).peak, 1);
        assert_eq!(steps.at(20_000), 1, "a zero-length span lasts 1 ms");
        assert!(Steps::of(&[]).0.is_empty());
        assert_eq!(Steps::of(&[]).stats(Some(1)), Stats::default());
    }

    #[test]
    fn sum_adds_step_functions() {
        let a = Steps::of(&[span(0, 10)]);
        let b = Steps::of(&[span(5, 15), span(5, 6)]);
        let both = Steps::sum(&[&a, &b]);
        let all = Steps::of(&[span(0, 10), span(5, 15), span(5, 6)]);
        assert_eq!(both, all);
    }

    #[test]
    fn live_accumulation_gives_what_the_steps_give() {
        let mut x: u64 = 7;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..300 {
            let n = 1 + (next() % 60) as usize;
            let spans: Vec<Span> = (0..n)
                .map(|_| {
                    let open = (next() % 7_200_000) as i64 - 1_000_000;
                    let len = [0, 1, 999, 1000, 45_000, 400_000][(next() % 6) as usize];
                    Span {
                        open,
                        close: open + len + (next() % 3) as i64,
                    }
                })
                .collect();
            let steps = Steps::of(&spans);
            let live = Live::of(&spans, true).finish();
            for budget in [None, Some(0), Some(1), Some(3)] {
                assert_eq!(live.stats(budget), steps.stats(budget), "round {round}");
            }
            for bucket in [60, 300, 3600] {
                let want = steps.series(-2000, 7000, bucket);
                let got = live.series(-2000, 7000, bucket);
                assert_eq!(want.len(), got.len(), "round {round} bucket {bucket}");
                for (w, g) in want.iter().zip(&got) {
                    assert_eq!((w.t, w.max), (g.t, g.max), "round {round} bucket {bucket}");
                    assert!((w.mean - g.mean).abs() < 1e-9, "round {round}: {w:?} {g:?}");
                }
            }
        }
        assert!(
            Live::new(false).finish().series(0, 600, 60).is_empty(),
            "no series kept"
        );
    }

    #[test]
    fn a_long_series_keeps_coarser_steps_and_the_same_buckets() {
        // One connection every 10 minutes for 8 hours, then for 3 days: the series steps up to
        // 5 minutes, then to an hour, and the report's buckets (auto_bucket) come out exact.
        for (hours, bucket) in [(8, 300), (72, 3600)] {
            let spans: Vec<Span> = (0..hours * 6)
                .map(|i| span(i * 600, i * 600 + 45 + i % 7))
                .collect();
            let steps = Steps::of(&spans);
            let live = Live::of(&spans, true).finish();
            let kept = live.minutes.as_ref().map(|(step, m)| (*step, m.len()));
            assert_eq!(
                kept.map(|k| k.0),
                Some(u32::try_from(bucket).expect("step"))
            );
            assert!(kept.is_some_and(|k| k.1 <= spans.len()), "{kept:?}");
            let to = hours * 3600;
            let (want, got) = (steps.series(0, to, bucket), live.series(0, to, bucket));
            assert_eq!(want.len(), got.len());
            for (w, g) in want.iter().zip(&got) {
                assert_eq!((w.t, w.max), (g.t, g.max), "{hours} h");
                assert!((w.mean - g.mean).abs() < 1e-9, "{w:?} {g:?}");
            }
            // A finer bucket than the step kept comes out at the step.
            assert_eq!(live.series(0, to, 60).len(), got.len());
        }
    }

    #[test]
    fn series_buckets_max_and_mean() {
        // 0-30 s: 2 open; 30-90 s: 1 open.
        let steps = Steps::of(&[span(0, 30), span(0, 90)]);
        let pts = steps.series(0, 119, 60);
        assert_eq!(pts.len(), 2);
        assert_eq!((pts[0].t, pts[0].max), (0, 2));
        assert!((pts[0].mean - 1.5).abs() < 1e-9, "{pts:?}");
        assert_eq!((pts[1].t, pts[1].max), (60, 1));
        assert!((pts[1].mean - 0.5).abs() < 1e-9);
        assert!(steps.series(100, 50, 60).is_empty());
    }
}
