//! View 6, Timeline: per-minute counts by type and by code over the scanned range, with the
//! RP-002 bursts the analyses found marked; `n` / `N` jump between bursts, `m` marks a span and
//! `z` (or Enter) zooms to it by adding since/until to the filter.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Sparkline, Widget};

use crate::duration::DAY;
use crate::fmt::thousands;
use crate::tui::app::{App, View};
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
    // Chart: deferrals per minute, squeezed to the width.
    let series = &d.series;
    let per = series.len().div_ceil(w.max(1)).max(1);
    let unit = if per == 1 {
        "minute".to_string()
    } else {
        format!("{} minutes", thousands(per as u64))
    };
    let list = app.lists[View::Timeline.index()];
    let pos = if minutes.is_empty() {
        String::new()
    } else {
        format!(
            " · {}/{}",
            thousands(list.selected as u64 + 1),
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
    let bars: Vec<u64> = series.chunks(per).map(|c| c.iter().sum()).collect();
    let chart_rows = Rect {
        y: chart.y + 1,
        height: chart.height.saturating_sub(2),
        ..chart
    };
    Sparkline::default()
        .data(&bars)
        .style(t.chart())
        .render(chart_rows, buf);
    // where the selected minute is on the chart
    if let Some(m) = minutes.get(app.lists[View::Timeline.index()].selected) {
        let x = ((m.t - d.series_range.0) / 60) as usize / per;
        if x < chart.width as usize {
            widgets::text(
                buf,
                Rect {
                    x: chart.x + x as u16,
                    width: 1,
                    ..chart
                },
                chart.height - 1,
                "▲",
                t.key(),
            );
        }
    }
    let (a, b) = (hm(d.series_range.0, md), hm(d.series_range.1, md));
    let pad = w.saturating_sub(a.len() + b.len());
    let axis = Rect {
        height: chart.height,
        ..chart
    };
    let sel_x = minutes
        .get(app.lists[View::Timeline.index()].selected)
        .map(|m| ((m.t - d.series_range.0) / 60) as usize / per);
    for (x, ch) in format!("{a}{}{b}", " ".repeat(pad)).chars().enumerate() {
        if Some(x) != sel_x && x < w {
            widgets::text(
                buf,
                Rect {
                    x: axis.x + x as u16,
                    width: 1,
                    ..axis
                },
                chart.height - 1,
                &ch.to_string(),
                t.dim(),
            );
        }
    }
    // Burst panel.
    let bursts = app.bursts();
    let lines: Vec<Line> = match (
        bursts,
        app.burst.and_then(|i| bursts?.get(i).map(|b| (i, b))),
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
    let list = app.lists[View::Timeline.index()];
    let h = table.height.saturating_sub(1) as usize;
    let from = list.visible_from(h);
    let span = app
        .mark
        .map(|m| (m.min(list.selected), m.max(list.selected)));
    let rows = minutes
        .iter()
        .enumerate()
        .skip(from)
        .take(h)
        .map(|(i, m)| {
            let in_burst =
                bursts.and_then(|all| all.iter().enumerate().find(|(_, b)| covers(b, m.t)));
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
                    ) + if app.burst == Some(k) { " ◀" } else { "" },
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
    let burst_min = if bursts.is_some_and(|b| !b.is_empty()) {
        20
    } else {
        5
    };
    cols.push(Col::left("burst", 30, 0).grow(burst_min));
    Table {
        cols,
        rows,
        selected: Some(list.selected - from),
        sorted: None,
        theme: t,
    }
    .render(table, buf);
}
