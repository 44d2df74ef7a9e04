//! View 1, Overview: scope, totals by type, what to do (the findings with the rule table's
//! actions), the top destinations and deferrals per minute.

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::fmt::{duration, percent, thousands};
use crate::model::{RecordKind, Severity};
use crate::tui::app::{App, Cursor};
use crate::tui::findings::{Item, Target};
use crate::tui::widgets::table::{Col, Table};
use crate::tui::widgets::{self, fit, hm, pct, wrap};

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let w = area.width as usize;
    let agg = &app.data.aggregates;
    let r = &app.data.report;
    let mut y = 0;
    // Scope
    let range = match (agg.first, agg.last) {
        (Some(a), Some(b)) => format!(
            "{} → {} UTC ({})",
            day_time(a),
            if app.derived.multi_day {
                day_time(b)
            } else {
                hm(b, false)
            },
            duration(b - a)
        ),
        _ if !app.data.complete => "no timestamps yet".into(),
        _ if agg.records == 0 && !app.filter.is_empty() => "the filter matched no rows".into(),
        _ if agg.records == 0 => "no rows".into(),
        _ => "no timestamps in the rows".into(),
    };
    widgets::line(
        buf,
        area,
        y,
        &Line::from(vec![
            Span::styled("Scope  ", t.header()),
            Span::raw({
                // the range whole; the source (a path) shortened to what is left, on purpose
                let room = w.saturating_sub(7);
                let left = room.saturating_sub(crate::fmt::width(&range) + 3);
                if crate::fmt::width(&app.ctx.source) <= left || left >= 8 {
                    format!("{} · {range}", fit(&app.ctx.source, left))
                } else {
                    words(&range, room)
                }
            }),
        ]),
    );
    y += 1;
    let mut scope2 = vec![
        crate::fmt::counted(r.scan.files.len() as u64, "file"),
        format!(
            "{}{}",
            crate::fmt::counted(agg.records, "record"),
            if app.filter.is_empty() {
                String::new()
            } else {
                format!(" match the filter (of {})", thousands(r.scan.records()))
            }
        ),
        format!("{} malformed", thousands(r.scan.malformed)),
    ];
    let fbl = agg.by_type.get(RecordKind::Feedback);
    if fbl > 0 {
        scope2.push(format!("{} complaints (FBL)", thousands(fbl)));
    }
    if !r.problems.is_empty() {
        let n = r.problems.len();
        let what = if n == 1 {
            "input problem"
        } else {
            "input problems"
        };
        // the first problem in full when it fits, else how many (whole words either way)
        let full = format!("{n} {what}: {}", r.problems[0]);
        let room = w.saturating_sub(7 + crate::fmt::width(&scope2.join(" · ")) + 3);
        // right after the files: never the part a narrow screen drops
        scope2.insert(
            1,
            if crate::fmt::width(&full) <= room {
                full
            } else {
                format!("{n} {what}")
            },
        );
    }
    widgets::text(
        buf,
        area,
        y,
        &format!("       {}", fit_parts(&scope2, w.saturating_sub(7))),
        t.text(),
    );
    y += 1;
    // Totals by type, with rates of attempts
    let c = &agg.by_type;
    let att = c.attempts();
    let mut spans = vec![Span::styled("Mail   ", t.header())];
    let mut part = |label: &str, n: u64, style| {
        spans.push(Span::styled(format!("{label} "), style));
        spans.push(Span::raw(format!("{} {}  ", thousands(n), pct(n, att))));
    };
    part("delivered", c.delivered(), t.delivered());
    part("deferred", c.deferred(), t.deferred());
    part("bounced", c.bounced(), t.bounced());
    widgets::line(buf, area, y, &Line::from(spans));
    y += 1;
    // What to do
    let findings = &app.data.findings;
    let room = findings_room(area.width, area.height + 3);
    let mut title = if findings.is_empty() {
        "What to do".to_string()
    } else {
        format!("What to do ({})", thousands(findings.len() as u64))
    };
    let events = app.burst_events();
    if let Some(b) = events
        .iter()
        .filter_map(|i| app.bursts()?.get(*i))
        .min_by_key(|b| b.start)
    {
        let n = events.len();
        let _ = write!(
            title,
            " · {} burst{} ({} at {}): n shows {}",
            n,
            if n == 1 { "" } else { "s" },
            b.code,
            hm(b.start, app.derived.multi_day),
            if n == 1 { "it" } else { "them" }
        );
    }
    widgets::rule(buf, area, y, &title, t.dim());
    y += 1;
    let used = if findings.is_empty() {
        let (msg, style) = if agg.records == 0 && !app.filter.is_empty() && app.data.complete {
            (
                "The filter matched no rows: Esc clears it, ⌫ goes back.",
                t.text(),
            )
        } else if !app.data.complete {
            (
                "Nothing to act on so far (the scan is still running).",
                t.delivered(),
            )
        } else if agg.records == 0 {
            ("No rows in the inputs.", t.text())
        } else {
            (
                "Nothing to act on: no code of the rule table was seen.",
                t.delivered(),
            )
        };
        widgets::text(buf, area, y, msg, style);
        1
    } else {
        draw_findings(
            app,
            Rect {
                y: area.y + y,
                height: room as u16,
                ..area
            },
            buf,
        )
    };
    y += used;
    let lower = Rect {
        y: area.y + y,
        height: area.height.saturating_sub(y),
        ..area
    };
    if lower.height < 3 {
        return;
    }
    let (left, right) = if lower.width >= 72 {
        let lw = (lower.width * 6 / 10).min(70);
        (
            Rect { width: lw, ..lower },
            Rect {
                x: lower.x + lw + 1,
                width: lower.width - lw - 1,
                ..lower
            },
        )
    } else {
        (lower, Rect::default())
    };
    destinations(app, left, buf);
    deferrals(app, right, buf);
}

/// The lines "What to do" gets on a screen of `w` x `h` (the list and its footer line).
pub fn findings_room(_w: u16, h: u16) -> usize {
    // tabs, filter and status lines; scope, mail and the rule; the lower part's minimum
    const LOWER_MIN: u16 = 6;
    h.saturating_sub(3 + 4 + LOWER_MIN).max(2) as usize
}

/// The findings as a list: one line each (the selected one with its action in full), or with
/// their title and evidence when there is room; a last line says where the selection is and
/// what Enter opens. Returns the lines used.
fn draw_findings(app: &App, area: Rect, buf: &mut Buffer) -> u16 {
    let t = app.ctx.theme;
    let w = area.width as usize;
    let items = app.findings();
    let room = area.height as usize;
    let list_h = room.saturating_sub(1).max(1);
    let sel = app
        .views
        .overview
        .list
        .sel()
        .min(items.len().saturating_sub(1));
    let per = if list_h >= items.len() * 3 {
        3
    } else if list_h >= items.len() * 2 {
        2
    } else {
        1
    };
    let tag = |i: &Item| match i.severity {
        Severity::Critical => "CRIT",
        Severity::Warning => "WARN",
        Severity::Info => "INFO",
    };
    // the selected item's action in full, under its line (one line: it wraps)
    let indent = 21;
    let sel_lines = items.get(sel).map_or(Vec::new(), |i| {
        wrap(&i.action, w.saturating_sub(indent))
            .into_iter()
            .take(3)
            .collect()
    });
    // only when every finding still shows: a line of each kind comes first
    let extra = sel_lines.len().saturating_sub(1);
    let extra = if per == 1 && items.len() + extra <= list_h {
        extra
    } else {
        0
    };
    let shown = (list_h.saturating_sub(extra) / per).max(1);
    let from = app.views.overview.list.visible_from(shown);
    let mut y = 0u16;
    for (k, i) in items.iter().enumerate().skip(from).take(shown) {
        let sev = t.severity(i.severity);
        let selected = k == sel;
        let pick = |s: ratatui::style::Style| if selected { t.selected() } else { s };
        if per == 1 {
            let first = if selected && extra > 0 {
                sel_lines.first().cloned().unwrap_or_default()
            } else {
                words(&i.action, w.saturating_sub(indent))
            };
            widgets::line(
                buf,
                area,
                y,
                &Line::from(vec![
                    Span::styled(format!("{} {:<15} ", tag(i), fit(&i.label, 15)), pick(sev)),
                    Span::styled(
                        format!("{first:<0$}", w.saturating_sub(indent)),
                        pick(t.text()),
                    ),
                ]),
            );
            y += 1;
            if selected && extra > 0 {
                for l in sel_lines.iter().skip(1) {
                    widgets::text(
                        buf,
                        area,
                        y,
                        &format!("{}{l}", " ".repeat(indent)),
                        t.text(),
                    );
                    y += 1;
                }
            }
            continue;
        }
        widgets::line(
            buf,
            area,
            y,
            &Line::from(vec![
                Span::styled(format!("{} ", tag(i)), pick(sev)),
                Span::styled(
                    format!(
                        "{:<1$}",
                        words(&i.title, w.saturating_sub(5)),
                        w.saturating_sub(5)
                    ),
                    pick(sev),
                ),
            ]),
        );
        y += 1;
        if per == 3 {
            widgets::text(
                buf,
                area,
                y,
                &format!("     {}", words(&i.evidence, w.saturating_sub(5))),
                t.dim(),
            );
            y += 1;
        }
        widgets::line(
            buf,
            area,
            y,
            &Line::from(vec![
                Span::styled("   → ", t.key()),
                Span::raw(words(&i.action, w.saturating_sub(5))),
            ]),
        );
        y += 1;
    }
    // where the selection is, what is not shown, what Enter opens
    let mut parts = vec![format!("{}/{}", sel + 1, items.len())];
    parts.push(match items.get(sel).map(|i| &i.target) {
        Some(Target::Filter(f, v)) => format!("Enter: {f} in {}", v.title()),
        Some(Target::Nothing(why)) => (*why).to_string(),
        None => String::new(),
    });
    let below = items.len().saturating_sub(from + shown);
    if from > 0 || below > 0 {
        parts.push(format!("{from} above, {below} below"));
    }
    if items.len() < app.data.findings.len() {
        parts.push(format!(
            "{} findings, codes grouped",
            app.data.findings.len()
        ));
    }
    widgets::text(
        buf,
        area,
        y,
        &format!("  {}", fit_parts(&parts, w.saturating_sub(2))),
        t.dim(),
    );
    y + 1
}

/// `s` cut to `width` at a word boundary, `…` after the last whole word kept (a single word
/// wider than the line is cut, as nothing else shows any of it).
pub fn words(s: &str, width: usize) -> String {
    if crate::fmt::width(s) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    for word in s.split_whitespace() {
        let need = crate::fmt::width(&out) + usize::from(!out.is_empty()) + crate::fmt::width(word);
        if need + 1 > width {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        return fit(s, width);
    }
    out.push('…');
    out
}

/// As many of `parts` as fit in `width`, whole, joined by ` · ` (the first one cut at a word
/// if even it does not fit).
pub fn fit_parts(parts: &[String], width: usize) -> String {
    let mut out = String::new();
    for p in parts.iter().filter(|p| !p.is_empty()) {
        if out.is_empty() {
            out = words(p, width);
            continue;
        }
        if crate::fmt::width(&out) + 3 + crate::fmt::width(p) > width {
            break;
        }
        out.push_str(" · ");
        out.push_str(p);
    }
    out
}

fn destinations(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    // "[4]": the key of the view with all of them (a "(4)" read as a count, beside "What to do (22)").
    widgets::rule(buf, area, 0, "Top destinations [4]", t.dim());
    let n = area.height.saturating_sub(2) as usize;
    let rows = app
        .derived
        .top_domains
        .iter()
        .take(n)
        .map(|(key, c)| {
            let a = c.attempts();
            vec![
                (key.to_string(), t.text()),
                (thousands(c.total()), t.text()),
                (pct(c.delivered(), a), t.delivered()),
                (pct(c.deferred(), a), t.deferred()),
                (pct(c.bounced(), a), t.bounced()),
            ]
        })
        .collect();
    Table {
        cols: vec![
            Col::left("domain", 28, 0).grow(16),
            Col::right("rows", 11, 0),
            Col::right("dlv", 6, 1),
            Col::right("dfr", 6, 1),
            Col::right("bnc", 6, 2),
        ],
        rows,
        selected: None,
        sorted: None,
        widths: None,
        column: None,
        theme: t,
    }
    .render(
        Rect {
            y: area.y + 1,
            height: area.height.saturating_sub(1),
            ..area
        },
        buf,
    );
}

/// Deferrals per minute, squeezed to the width (each bar sums the minutes it covers).
fn deferrals(app: &App, area: Rect, buf: &mut Buffer) {
    if area.width < 10 || area.height < 3 {
        return;
    }
    let t = app.ctx.theme;
    let series = &app.derived.series;
    let total: u64 = series.iter().sum();
    // a scale (the top of the bars and 0) left of the bars, as in the Timeline
    let layout = super::timeline::ChartLayout::new(series, area.width as usize);
    let per = layout.per;
    let title = if per == 1 {
        "Deferrals per minute [6]".to_string()
    } else {
        format!("Deferrals per {} min [6]", thousands(per as u64))
    };
    widgets::rule(buf, area, 0, &title, t.dim());
    if total == 0 {
        widgets::text(buf, area, 1, "no deferrals", t.delivered());
        return;
    }
    let chart = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(3),
        ..area
    };
    layout.draw(chart, buf, t);
    let md = app.derived.multi_day;
    let (first, last) = app.derived.series_range;
    let (a, b) = (hm(first, md), hm(last, md));
    // the time axis starts under the bars, right of the scale
    let g = layout.gutter;
    let pad = (area.width as usize).saturating_sub(g + a.chars().count() + b.chars().count());
    widgets::text(
        buf,
        area,
        area.height - 2,
        &format!("{}{a}{}{b}", " ".repeat(g), " ".repeat(pad)),
        t.dim(),
    );
    let peak = app.derived.minutes.iter().max_by(|a, b| {
        a.counts
            .deferred()
            .cmp(&b.counts.deferred())
            .then(b.t.cmp(&a.t))
    });
    if let Some(p) = peak {
        widgets::text(
            buf,
            area,
            area.height - 1,
            &fit_parts(
                &[
                    format!(
                        "peak {}/min at {}",
                        thousands(p.counts.deferred()),
                        hm(p.t, md)
                    ),
                    format!("{} in all", thousands(total)),
                    format!(
                        "{} of attempts",
                        percent(total, app.data.aggregates.by_type.attempts())
                    ),
                ],
                area.width as usize,
            ),
            t.text(),
        );
    }
}

/// `2026-11-19 00:05`, UTC.
fn day_time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map_or_else(|| t.to_string(), |d| d.format("%Y-%m-%d %H:%M").to_string())
}
