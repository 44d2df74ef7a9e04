//! View 1, Overview: scope, totals by type, what to do (the findings with the rule table's
//! actions), the top destinations and deferrals per minute.

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Sparkline, Widget};

use crate::fmt::{duration, percent, thousands};
use crate::model::RecordKind;
use crate::tui::app::App;
use crate::tui::widgets::table::{Col, Table};
use crate::tui::widgets::{self, fit, hm, pct};

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
            Span::raw(fit(
                &format!("{} · {range}", app.ctx.source),
                w.saturating_sub(7),
            )),
        ]),
    );
    y += 1;
    let mut scope2 = format!(
        "{} · {}{} · {} malformed",
        crate::fmt::counted(r.files.len() as u64, "file"),
        crate::fmt::counted(agg.records, "record"),
        if app.filter.is_empty() {
            String::new()
        } else {
            format!(" match the filter (of {})", thousands(r.records()))
        },
        thousands(r.malformed)
    );
    let fbl = agg.by_type.get(RecordKind::Feedback);
    if fbl > 0 {
        let _ = write!(scope2, " · {} complaints (FBL)", thousands(fbl));
    }
    if !r.errors.is_empty() {
        let n = r.errors.len();
        let what = if n == 1 {
            "input problem"
        } else {
            "input problems"
        };
        let _ = write!(scope2, " · {n} {what}: {}", r.errors[0]);
    }
    widgets::text(buf, area, y, &fit(&format!("       {scope2}"), w), t.text());
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
    let lower_min = 7u16;
    let room = area.height.saturating_sub(y + 1 + lower_min).max(2);
    let mut title = if findings.is_empty() {
        "What to do".to_string()
    } else {
        format!("What to do ({})", thousands(findings.len() as u64))
    };
    if let Some(b) = app.bursts().and_then(|b| b.first()) {
        let n = app.bursts().map_or(0, <[_]>::len);
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
    let mut used = 0u16;
    if findings.is_empty() {
        let (msg, style) = if !app.data.complete {
            (
                "Nothing to act on so far (the scan is still running).",
                t.delivered(),
            )
        } else if agg.records == 0 && !app.filter.is_empty() {
            (
                "The filter matched no rows: Esc clears it, ⌫ goes back.",
                t.text(),
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
        used = 1;
    } else {
        // One line per finding when short of room (severity, code, what to do), two with the
        // title, three with the evidence.
        let per: u16 = if room as usize >= findings.len() * 3 {
            3
        } else if room as usize >= findings.len() * 2 {
            2
        } else {
            1
        };
        let fits = (room / per) as usize;
        let shown = if fits < findings.len() {
            fits.saturating_sub(1).max(1)
        } else {
            fits
        };
        for f in findings.iter().take(shown) {
            let tag = match f.severity {
                crate::model::Severity::Critical => "CRIT",
                crate::model::Severity::Warning => "WARN",
                crate::model::Severity::Info => "INFO",
            };
            let sev = t.severity(f.severity);
            if per == 1 {
                widgets::line(
                    buf,
                    area,
                    y + used,
                    &Line::from(vec![
                        Span::styled(format!("{tag} {:<15} ", fit(&f.code, 15)), sev),
                        Span::raw(fit(&f.action, w.saturating_sub(21))),
                    ]),
                );
                used += 1;
                continue;
            }
            widgets::line(
                buf,
                area,
                y + used,
                &Line::from(vec![
                    Span::styled(format!("{tag} "), sev),
                    Span::styled(fit(&f.title, w.saturating_sub(5)), sev),
                ]),
            );
            used += 1;
            if per == 3 {
                widgets::text(
                    buf,
                    area,
                    y + used,
                    &fit(&format!("     {}", f.evidence), w),
                    t.dim(),
                );
                used += 1;
            }
            widgets::line(
                buf,
                area,
                y + used,
                &Line::from(vec![
                    Span::styled("   → ", t.key()),
                    Span::raw(fit(&f.action, w.saturating_sub(5))),
                ]),
            );
            used += 1;
        }
        if shown < findings.len() {
            widgets::text(
                buf,
                area,
                y + used,
                &format!(
                    "     +{} more on a taller screen and in `pmta-lens summary`",
                    thousands((findings.len() - shown) as u64)
                ),
                t.dim(),
            );
            used += 1;
        }
    }
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
    let per = series.len().div_ceil(area.width as usize).max(1);
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
    let bars: Vec<u64> = series.chunks(per).map(|c| c.iter().sum()).collect();
    let chart = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(3),
        ..area
    };
    Sparkline::default()
        .data(&bars)
        .style(t.chart())
        .render(chart, buf);
    let md = app.derived.multi_day;
    let (first, last) = app.derived.series_range;
    let (a, b) = (hm(first, md), hm(last, md));
    let pad = (area.width as usize).saturating_sub(a.chars().count() + b.chars().count());
    widgets::text(
        buf,
        area,
        area.height - 2,
        &format!("{a}{}{b}", " ".repeat(pad)),
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
            &fit(
                &format!(
                    "peak {}/min at {} · {} in all ({} of attempts)",
                    thousands(p.counts.deferred()),
                    hm(p.t, md),
                    thousands(total),
                    percent(total, app.data.aggregates.by_type.attempts())
                ),
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
