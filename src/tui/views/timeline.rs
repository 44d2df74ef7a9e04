//! View 6, Timeline: per-minute counts by type and by code over the scanned range, with the
//! RP-002 bursts the analyses found marked; `n` / `N` jump between bursts, `m` marks a span and
//! `z` (or Enter) zooms to it by adding since/until to the filter.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Sparkline, Widget};

use crate::duration::DAY;
use crate::fmt::thousands;
use crate::tui::app::{App, Cursor};
use crate::tui::data::Burst;
use crate::tui::widgets::table::{Col, Table};
use crate::tui::widgets::{self, count, fit, hm};

/// (chart with its title and axis, burst panel, minute table with header).
pub fn areas(body: Rect) -> (Rect, Rect, Rect) {
    let (chart_h, panel_h) = if body.height >= 30 { (9, 4) } else { (5, 3) };
    let chart_h = chart_h.min(body.height);
    let panel_h = panel_h.min(body.height - chart_h);
    (
        Rect {
            height: chart_h,
            ..body
        },
        Rect {
            y: body.y + chart_h,
            height: panel_h,
            ..body
        },
        Rect {
            y: body.y + chart_h + panel_h,
            height: body.height - chart_h - panel_h,
            ..body
        },
    )
}

/// How the per-minute series fits the chart's width: `per` minutes a bar, each bar `stretch`
/// columns wide, right of a `gutter` with the scale. The Overview's chart is laid out the
/// same way.
pub(super) struct ChartLayout {
    bars: Vec<u64>,
    pub(super) per: usize,
    stretch: usize,
    pub(super) gutter: usize,
}

impl ChartLayout {
    pub(super) fn new(series: &[u64], w: usize) -> ChartLayout {
        let bucket = |width: usize| {
            let per = series.len().div_ceil(width.max(1)).max(1);
            let bars: Vec<u64> = series.chunks(per).map(|c| c.iter().sum()).collect();
            (per, bars)
        };
        // the scale's width from the bars at the full width (they only grow as it narrows)
        let (_, first) = bucket(w);
        let gutter = digits(first.iter().copied().max().unwrap_or(0)) + 1;
        let (per, bars) = bucket(w.saturating_sub(gutter));
        let gutter = gutter.max(digits(bars.iter().copied().max().unwrap_or(0)) + 1);
        let room = w.saturating_sub(gutter);
        let stretch = if bars.is_empty() {
            1
        } else {
            (room / bars.len()).max(1)
        };
        ChartLayout {
            bars,
            per,
            stretch,
            gutter,
        }
    }

    /// The column of the minute `i` minutes after the first (the middle of its bar).
    fn x_of(&self, i: usize) -> usize {
        self.gutter + (i / self.per) * self.stretch + (self.stretch - 1) / 2
    }

    pub(super) fn draw(&self, area: Rect, buf: &mut Buffer, t: crate::tui::theme::Theme) {
        if area.height == 0 {
            return;
        }
        let max = self.bars.iter().copied().max().unwrap_or(0);
        let g = self.gutter as u16;
        // the scale: the top of the bars and zero
        widgets::text(
            buf,
            area,
            0,
            &format!("{:>1$}", thousands(max), self.gutter - 1),
            t.dim(),
        );
        if area.height > 1 {
            widgets::text(
                buf,
                area,
                area.height - 1,
                &format!("{:>1$}", 0, self.gutter - 1),
                t.dim(),
            );
        }
        let data: Vec<u64> = self
            .bars
            .iter()
            .flat_map(|b| std::iter::repeat_n(*b, self.stretch))
            .collect();
        Sparkline::default()
            .data(&data)
            .max(max.max(1))
            .style(t.chart())
            .render(
                Rect {
                    x: area.x + g,
                    width: area.width.saturating_sub(g),
                    ..area
                },
                buf,
            );
    }
}

fn digits(n: u64) -> usize {
    thousands(n).chars().count()
}

/// Whether a burst covers the minute starting at `t`.
fn covers(b: &Burst, t: i64) -> bool {
    b.start.div_euclid(60) * 60 <= t && t <= b.end.div_euclid(60) * 60
}

fn ip_list(v: &[(String, u64)], max: usize) -> String {
    let mut s: Vec<String> = v
        .iter()
        .take(max)
        .map(|(k, n)| format!("{k} ({})", thousands(*n)))
        .collect();
    if v.len() > max {
        s.push(format!("+{} more", v.len() - max));
    }
    s.join(", ")
}

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let (chart, panel, table) = areas(area);
    let d = &app.derived;
    let md = d.multi_day;
    let w = area.width as usize;
    let minutes = &d.minutes;
    // Chart: deferrals per minute, squeezed to the width, or stretched to it when there are
    // fewer minutes than columns (a zoom), right of a scale.
    let series = &d.series;
    let layout = ChartLayout::new(series, w);
    let per = layout.per;
    let unit = if per == 1 {
        "minute".to_string()
    } else {
        format!("{} minutes", thousands(per as u64))
    };
    let list = app.views.timeline.list;
    let pos = if minutes.is_empty() {
        String::new()
    } else {
        format!(
            " · {}/{}",
            thousands(list.sel() as u64 + 1),
            thousands(minutes.len() as u64)
        )
    };
    widgets::rule(
        buf,
        chart,
        0,
        &format!(
            "Deferrals per {unit} (UTC) · {} minutes with rows{pos}",
            thousands(minutes.len() as u64)
        ),
        t.dim(),
    );
    if minutes.is_empty() {
        widgets::text(
            buf,
            chart,
            1,
            &if app.data.complete && app.data.aggregates.records > 0 {
                "No timestamped rows.".to_string()
            } else {
                super::empty_note(app, "rows")
            },
            t.text(),
        );
        return;
    }
    let chart_rows = Rect {
        y: chart.y + 1,
        height: chart.height.saturating_sub(2),
        ..chart
    };
    layout.draw(chart_rows, buf, t);
    // the axis: first and last minute at the ends, the selected minute marked ▲ between (a
    // label that would be under the mark moves aside)
    let (a, b) = (hm(d.series_range.0, md), hm(d.series_range.1, md));
    let sel_x = minutes
        .get(app.views.timeline.list.sel())
        .map(|m| layout.x_of(((m.t - d.series_range.0) / 60) as usize));
    let axis_y = chart.height - 1;
    let (aw, bw) = (a.chars().count(), b.chars().count());
    let mut ax = layout.gutter;
    let mut bx = w.saturating_sub(bw);
    if let Some(x) = sel_x {
        if (ax..ax + aw).contains(&x) {
            ax = x + 1;
        }
        if (bx..bx + bw).contains(&x) {
            bx = x.saturating_sub(bw);
        }
    }
    let mut axis: Vec<char> = vec![' '; w];
    let mut put = |at: usize, text: &str| {
        for (i, ch) in text.chars().enumerate() {
            if let Some(c) = axis.get_mut(at + i) {
                *c = ch;
            }
        }
    };
    put(ax, &a);
    // the last label only where it does not run into the first
    if bx > ax + aw {
        put(bx, &b);
    }
    widgets::text(
        buf,
        chart,
        axis_y,
        &axis.iter().collect::<String>(),
        t.dim(),
    );
    if let Some(x) = sel_x.filter(|x| *x < w) {
        widgets::text(
            buf,
            Rect {
                x: chart.x + x as u16,
                width: 1,
                ..chart
            },
            axis_y,
            "▲",
            t.key(),
        );
    }
    // Burst panel: each event once, numbered in time order.
    let bursts = app.bursts();
    let mut events = app.burst_events();
    if let Some(all) = bursts {
        events.sort_by_key(|i| (all[*i].start, *i));
    }
    let event_bursts: Option<Vec<&Burst>> =
        bursts.map(|all| events.iter().map(|i| &all[*i]).collect());
    let lines: Vec<Line> = match (
        event_bursts.as_deref(),
        app.views
            .timeline
            .burst
            .and_then(|i| Some((events.iter().position(|e| *e == i)?, bursts?.get(i)?))),
    ) {
        (None, _) => vec![
            Line::from(Span::styled(
                "Bursts: found when the scan completes.",
                t.header(),
            )),
            Line::from(Span::raw(fit(
                "Meanwhile the code columns below show when the deferrals came.",
                w,
            ))),
        ],
        (Some([]), _) => vec![Line::from(Span::styled(
            "No bursts in this range (dense runs of RP-002 or the --burst-code codes).",
            t.delivered(),
        ))],
        (Some(all), None) => vec![
            Line::from(Span::styled(
                format!(
                    "{} burst{} marked ◆ · n / N: next / previous",
                    all.len(),
                    if all.len() == 1 { "" } else { "s" }
                ),
                t.burst(),
            )),
            Line::from(Span::styled(
                "m marks a span · z or Enter zooms (adds since/until) · ⌫ zooms out",
                t.dim(),
            )),
        ],
        (Some(all), Some((i, b))) => {
            let mut v = vec![
                Line::from(vec![
                    Span::styled(format!("Burst {}/{} ", i + 1, all.len()), t.burst()),
                    Span::raw(fit(
                        &format!(
                            "{} {} · {}–{} · {} rows · peak {}/min",
                            b.code,
                            b.source_ip
                                .as_deref()
                                .map_or("all IPs".to_string(), |ip| format!("on {ip}")),
                            hm(b.start, md),
                            hm(
                                b.end,
                                md && b.start.div_euclid(DAY) != b.end.div_euclid(DAY)
                            ),
                            thousands(b.count),
                            thousands(b.peak_per_minute)
                        ),
                        w.saturating_sub(12),
                    )),
                ]),
                Line::from(vec![
                    Span::styled("IPs ", t.key()),
                    Span::raw(fit(&ip_list(&b.source_ips, 4), w.saturating_sub(4))),
                ]),
            ];
            if panel.height >= 4 {
                v.push(Line::from(vec![
                    Span::styled("VMTAs ", t.key()),
                    Span::raw(fit(&ip_list(&b.vmtas, 4), w.saturating_sub(6))),
                ]));
            }
            v.push(Line::from(vec![
                Span::styled("Do ", t.key()),
                Span::styled(fit(&b.action, w.saturating_sub(3)), t.header()),
            ]));
            v
        }
    };
    for (i, l) in lines.iter().take(panel.height as usize).enumerate() {
        widgets::line(buf, panel, i as u16, l);
    }
    // Minute table.
    let list = app.views.timeline.list;
    let h = table.height.saturating_sub(1) as usize;
    let from = list.visible_from(h);
    let span = app
        .views
        .timeline
        .mark
        .map(|m| (m.min(list.sel()), m.max(list.sel())));
    let rows = minutes
        .iter()
        .enumerate()
        .skip(from)
        .take(h)
        .map(|(i, m)| {
            let in_burst = bursts.and_then(|all| {
                events
                    .iter()
                    .map(|k| (*k, &all[*k]))
                    .find(|(_, b)| covers(b, m.t))
            });
            let base = if span.is_some_and(|(a, b)| (a..=b).contains(&i)) {
                t.mark()
            } else {
                t.text()
            };
            let c = &m.counts;
            let mut cells = vec![
                (hm(m.t, md), base),
                (count(c.total()), base),
                (count(c.delivered()), t.delivered().patch(base)),
                (count(c.deferred()), t.deferred().patch(base)),
                (count(c.bounced()), t.bounced().patch(base)),
            ];
            for n in &m.codes {
                cells.push((count(*n), base));
            }
            cells.push(match in_burst {
                Some((k, b)) => (
                    format!(
                        "◆ {} {}",
                        b.code,
                        b.source_ip.as_deref().unwrap_or("all IPs")
                    ) + if app.views.timeline.burst == Some(k) {
                        " ◀"
                    } else {
                        ""
                    },
                    t.burst(),
                ),
                None => (String::new(), base),
            });
            cells
        })
        .collect();
    let mut cols = vec![
        Col::left(if md { "day time" } else { "time" }, 11, 0),
        Col::right("rows", 9, 0),
        Col::right("dlv", 8, 1),
        Col::right("dfr", 8, 0),
        Col::right("bnc", 8, 1),
    ];
    for (i, name) in d.minute_codes.iter().enumerate() {
        // RP-002 is what this view is for: it goes last among the hidden
        let pri = if name == "RP-002" { 2 } else { 3 + i as u8 };
        cols.push(Col::right(name, 16, pri));
    }
    // with bursts to show, their column outranks the less frequent codes
    let burst_min = if events.is_empty() { 5 } else { 20 };
    cols.push(Col::left("burst", 30, 0).grow(burst_min));
    Table {
        cols,
        rows,
        selected: Some(list.sel() - from),
        sorted: None,
        widths: None,
        column: None,
        theme: t,
    }
    .render(table, buf);
}
