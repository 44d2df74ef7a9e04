//! The Timeline's moves: where it starts (the busiest minute), jumping between bursts, marking
//! a span and zooming to it (a per-IP burst zooms to its IP too).

use super::{App, Cursor, View};
use crate::tui::findings::burst_filter;

impl App {
    /// Until the operator moves, the Timeline starts where most mail was deferred: that is
    /// where an operator looks first.
    pub(super) fn start_at_peak(&mut self) {
        if self.views.timeline.moved {
            return;
        }
        let peak = self
            .derived
            .minutes
            .iter()
            .enumerate()
            .max_by(|a, b| {
                a.1.counts
                    .deferred()
                    .cmp(&b.1.counts.deferred())
                    .then(b.0.cmp(&a.0))
            })
            .map_or(0, |(i, _)| i);
        let len = self.derived.minutes.len();
        let h = crate::tui::views::list_height(View::Timeline, self.size.0, self.size.1);
        let l = &mut self.views.timeline.list;
        l.select(Some(peak));
        *l.offset_mut() = peak.saturating_sub(h / 2);
        l.fit(len, h);
    }

    /// The bursts the Timeline lists (indices in [`App::bursts`]), each event once: a burst on
    /// one IP that an all-IPs burst of its code overlaps is part of that one (its IPs are
    /// listed with it), as in the findings.
    pub fn burst_events(&self) -> Vec<usize> {
        let all = self.bursts().unwrap_or_default();
        (0..all.len())
            .filter(|&i| {
                let b = &all[i];
                b.source_ip.is_none()
                    || !all.iter().any(|o| {
                        o.source_ip.is_none()
                            && o.code == b.code
                            && o.start <= b.end
                            && b.start <= o.end
                    })
            })
            .collect()
    }

    pub(super) fn jump_burst(&mut self, forward: bool) {
        let Some(bursts) = self.bursts().map(<[_]>::to_vec) else {
            self.message = Some("bursts are found when the scan completes".into());
            return;
        };
        let mut order = self.burst_events();
        if order.is_empty() {
            self.message = Some("no bursts in the scanned range".into());
            return;
        }
        order.sort_by_key(|i| (bursts[*i].start, *i));
        let tl = &mut self.views.timeline;
        let pos = tl.burst.and_then(|b| order.iter().position(|i| *i == b));
        let next = match (pos, forward) {
            (None, true) => 0,
            (None, false) => order.len() - 1,
            (Some(p), true) => (p + 1) % order.len(),
            (Some(p), false) => (p + order.len() - 1) % order.len(),
        };
        let b = order[next];
        tl.burst = Some(b);
        tl.moved = true;
        self.view = View::Timeline;
        let start = bursts[b].start.div_euclid(60) * 60;
        if let Some(i) = self.derived.minutes.iter().position(|m| m.t >= start) {
            let len = self.derived.minutes.len();
            let h = self.list_height();
            let l = &mut self.views.timeline.list;
            l.select(Some(i));
            // show the burst from its first minute
            *l.offset_mut() = i;
            l.fit(len, h);
        }
    }

    pub(super) fn set_mark(&mut self) {
        if self.view != View::Timeline {
            self.message = Some("m marks a span in the Timeline (6)".into());
            return;
        }
        let tl = &mut self.views.timeline;
        let sel = tl.list.sel();
        tl.mark = if tl.mark == Some(sel) {
            None
        } else {
            Some(sel)
        };
    }

    /// The span `z` zooms to: the marked minutes, else the selected burst if the cursor is in
    /// it, else the selected minute.
    pub fn zoom_span(&self) -> Option<(i64, i64)> {
        self.zoom_target().map(|(s, e, _)| (s, e))
    }

    /// The span to zoom to, and the burst it is, if any.
    fn zoom_target(&self) -> Option<(i64, i64, Option<usize>)> {
        let tl = &self.views.timeline;
        let minutes = &self.derived.minutes;
        let cur = minutes.get(tl.list.sel())?.t;
        if let Some(m) = tl.mark.and_then(|m| minutes.get(m)) {
            return Some((m.t.min(cur), m.t.max(cur) + 60, None));
        }
        if let (Some(i), Some(bursts)) = (tl.burst, self.bursts())
            && let Some(b) = bursts.get(i)
        {
            let (s, e) = (b.start.div_euclid(60) * 60, b.end.div_euclid(60) * 60 + 60);
            if (s..e).contains(&cur) {
                return Some((s, e, Some(i)));
            }
        }
        Some((cur, cur + 60, None))
    }

    pub(super) fn zoom(&mut self) {
        if self.view != View::Timeline {
            self.message = Some("z zooms in the Timeline (6)".into());
            return;
        }
        let Some((s, e, burst)) = self.zoom_target() else {
            return;
        };
        let zoomed = burst.and_then(|i| self.bursts()?.get(i).cloned());
        let outer: Option<Vec<_>> = self.bursts().map(|all| {
            all.iter()
                .filter(|b| b.start < e && b.end + 60 > s)
                .cloned()
                .collect()
        });
        // a burst measured on one IP zooms to that IP's rows
        let expr = match &zoomed {
            Some(b) => burst_filter(b),
            None => format!(
                "since={} until={}",
                crate::fmt::rfc3339(s),
                crate::fmt::rfc3339(e)
            ),
        };
        let generation = self.generation;
        self.narrow(&expr, View::Timeline);
        if self.generation != generation {
            let tl = &mut self.views.timeline;
            tl.outer = outer.map(std::sync::Arc::new);
            // the burst zoomed to stays the one described
            tl.burst = zoomed.and_then(|z| tl.outer.as_ref()?.iter().position(|b| *b == z));
        }
    }
}
