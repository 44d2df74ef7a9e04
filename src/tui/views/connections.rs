//! View 5, Connections: the connection budget per rolled-up destination and pool (pool size x
//! `max-smtp-out` from the `PowerMTA` config, or `--max-smtp-out` / `--pool-size`) against the
//! connections observed (exact from a `log-connections` log, else estimated from the accounting
//! rows): a gauge per row, and the selected row's connections over time with the budget line and
//! the RP-002 bursts on the same time axis, so the operator sees whether bursts follow peaks.
//! Without a budget source the view says what it needs.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::symbols::Marker;
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Widget};

use crate::connections::{BudgetRow, Connections, Method};
use crate::fmt::thousands;
use crate::tui::app::{App, Cursor};
use crate::tui::theme::Theme;
use crate::tui::widgets::table::{Cell, Col, Table};
use crate::tui::widgets::{self, fit, hm, wrap};

const TEXT: &[&str] = &[
    "Connection budget: needs your PowerMTA config.",
    "",
    "This view compares, per destination (outlook.com and the rest) and pool, the connections \
     your pools may open with the connections observed: pool size x max-smtp-out from the \
     config (for example 10 IPs x 6 = 60 connections to Microsoft) against the connections \
     counted from a log-connections log or estimated from the accounting rows, over time, with \
     the RP-002 bursts on the same time axis.",
    "",
    "Give it the PowerMTA config (--config PATH, a pmta-config file in the directory you pass, \
     or /etc/pmta/config), or state the budget with --max-smtp-out N and --pool-size N; \
     --pmta-log PATH makes the counts exact. Without one no numbers are shown rather than \
     guessed ones.",
    "",
    "Meanwhile: RP-002 deferrals per minute are in Timeline (6), and per VMTA and sending IP in \
     Senders (3).",
];

/// (note line and table with its header, chart with its title, burst line and time axis).
pub fn areas(body: Rect) -> (Rect, Rect) {
    // the table gets about a third of the body, at least a header and 3 rows
    let list_h = (body.height / 3).max(4).min(body.height.saturating_sub(1)) + 1;
    let list_h = list_h.min(body.height);
    (
        Rect {
            height: list_h,
            ..body
        },
        Rect {
            y: body.y + list_h,
            height: body.height - list_h,
            ..body
        },
    )
}

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let Some(conns) = app.data.connections.as_deref() else {
        if app.data.budget_expected {
            widgets::text(
                buf,
                area,
                1,
                "  Scanning… the connections against the budget come once the first pass is done.",
                t.text(),
            );
        } else {
            draw_needs(app, area, buf);
        }
        return;
    };
    let (top, chart) = areas(area);
    let method = match conns.method {
        Method::Log => "counted from the log (exact)".to_string(),
        Method::Estimate => "estimated from the accounting rows".to_string(),
    };
    let mut parts = vec![format!(
        "{} destination/pool rows",
        thousands(conns.rows.len() as u64)
    )];
    if let Some(e) = &conns.log_error {
        parts.push(format!("log unreadable: {e}"));
    }
    parts.push(format!("connections {method}"));
    parts.push("j/k select".into());
    let list = app.views.connections.list;
    super::note_line(app, top, buf, &parts, Some((list.sel(), conns.rows.len())));
    let table = super::table_area(top);
    if conns.rows.is_empty() {
        widgets::text(
            buf,
            table,
            0,
            "No SMTP connections to budget (no deliveries seen).",
            t.text(),
        );
        return;
    }
    let list = app.views.connections.list;
    let h = table.height.saturating_sub(1) as usize;
    let from = list.visible_from(h);
    let rows = conns
        .rows
        .iter()
        .skip(from)
        .take(h)
        .map(|r| row_cells(r, t))
        .collect();
    Table {
        cols: vec![
            Col::left("destination · pool", 40, 0).grow(16),
            Col::left("peak / budget", 22, 0),
            Col::right("p95", 5, 1),
            Col::right("over budget", 11, 1),
            Col::left("method", 8, 2).grow(8),
        ],
        rows,
        selected: Some(list.sel().min(conns.rows.len() - 1) - from),
        sorted: None,
        widths: None,
        column: None,
        theme: t,
    }
    .render(table, buf);
    let sel = &conns.rows[list.sel().min(conns.rows.len() - 1)];
    draw_chart(app, conns, sel, chart, buf);
}

fn draw_needs(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let mut y = 1;
    for (i, para) in TEXT.iter().enumerate() {
        let style = if i == 0 { t.header() } else { t.text() };
        if para.is_empty() {
            y += 1;
            continue;
        }
        for l in wrap(para, area.width.saturating_sub(4) as usize) {
            widgets::text(buf, area, y, &format!("  {l}"), style);
            y += 1;
        }
    }
}

fn budget_value(r: &BudgetRow) -> f64 {
    f64::from(r.budget)
}

/// A text gauge: `██████░░░░ 24/80`, in the deferred colour when over the budget.
fn gauge(peak: u32, budget: u32, width: usize) -> String {
    let filled = if budget == 0 {
        width
    } else {
        ((u64::from(peak) * width as u64).div_ceil(u64::from(budget)) as usize).min(width)
    };
    format!(
        "{}{} {peak}/{budget}",
        "█".repeat(filled),
        "░".repeat(width - filled)
    )
}

/// Connections of the log with no pool and no budget: opened before the log begins (their
/// `starting` line, which names the queue, is not in it), as `summary` leaves them out.
pub fn before_log(r: &BudgetRow) -> bool {
    r.pool == crate::model::NONE_KEY && r.budget == 0 && r.smtp_rows == 0
}

fn row_cells(r: &BudgetRow, t: Theme) -> Vec<Cell> {
    if before_log(r) {
        return vec![
            (format!("{} · {}", r.domain, r.pool), t.dim()),
            (format!("{} open before the log", r.observed.peak), t.dim()),
            ("-".into(), t.dim()),
            ("-".into(), t.dim()),
            (r.method.as_str().to_string(), t.dim()),
        ];
    }
    let over = r.observed.peak > r.budget;
    vec![
        (format!("{} · {}", r.domain, r.pool), t.text()),
        (
            gauge(r.observed.peak, r.budget, 10),
            if over { t.bounced() } else { t.delivered() },
        ),
        (r.observed.p95.to_string(), t.text()),
        (
            if r.observed.seconds_over_budget == 0 {
                "·".into()
            } else {
                crate::fmt::duration(r.observed.seconds_over_budget as i64)
            },
            if over { t.bounced() } else { t.text() },
        ),
        (r.method.as_str().to_string(), t.text()),
    ]
}

/// The selected row's open connections over time, the budget as a horizontal line, and under
/// it the bursts on the same time axis.
fn draw_chart(app: &App, conns: &Connections, row: &BudgetRow, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    if area.height < 4 {
        return;
    }
    let w = area.width as usize;
    // the title in parts, the last ones left out rather than cut ("── " and " ─" around it)
    widgets::rule(
        buf,
        area,
        0,
        &super::overview::fit_parts(
            &[
                format!(
                    "{} · {}: connections ({})",
                    row.domain,
                    row.pool,
                    row.method.as_str()
                ),
                format!("budget {} (─)", row.budget),
                format!("peak {}", row.observed.peak),
            ],
            w.saturating_sub(5),
        ),
        t.dim(),
    );
    // where the budget comes from, whole, on as many lines as it needs (at most 2 here)
    let detail: Vec<String> = if before_log(row) {
        wrap(
            "opened before the log begins (no queue named): not counted against a budget, as \
             in `summary`",
            w,
        )
    } else {
        source_lines(&format!("budget {} from {}", row.budget, row.source), w)
    }
    .into_iter()
    .take(2)
    .collect();
    for (i, l) in detail.iter().enumerate() {
        widgets::text(buf, area, 1 + i as u16, l, t.dim());
    }
    let area = Rect {
        y: area.y + detail.len() as u16,
        height: area.height.saturating_sub(detail.len() as u16),
        ..area
    };
    if area.height < 4 {
        return;
    }
    let Some((from, to)) = conns.range else {
        widgets::text(buf, area, 1, "No connections in the time range.", t.text());
        return;
    };
    let to = to.max(from + 1);
    let series = conns.series(row);
    let points: Vec<(f64, f64)> = series
        .iter()
        .map(|p| (p.t as f64, f64::from(p.max)))
        .collect();
    let top_n = row.budget.max(row.observed.peak).max(1);
    let top = f64::from(top_n) * 1.1;
    // the scale, left of the chart: the top, the budget and zero
    let gutter = thousands(u64::from(top.floor() as u32)).len().max(1) as u16 + 1;
    let plot = Rect {
        x: area.x + gutter,
        y: area.y + 1,
        width: area.width.saturating_sub(gutter),
        height: area.height - 3,
    };
    let line_style = if row.observed.peak > row.budget && !before_log(row) {
        t.bounced()
    } else {
        t.key()
    };
    Chart::new(vec![
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(line_style)
            .data(&points),
    ])
    .style(t.chart())
    .x_axis(Axis::default().bounds([from as f64, to as f64]))
    .y_axis(Axis::default().bounds([0.0, top]))
    .render(plot, buf);
    // the row of a value, as the chart's braille grid (4 dots a cell) places it
    let row_of = |v: f64| {
        let dots = f64::from(plot.height) * 4.0 - 1.0;
        (((top - v) / top * dots) / 4.0)
            .floor()
            .clamp(0.0, f64::from(plot.height - 1)) as u16
    };
    let gutter_area = Rect {
        x: area.x,
        y: plot.y,
        width: gutter,
        height: plot.height,
    };
    let scale = |buf: &mut Buffer, v: f64, label: String| {
        widgets::text(
            buf,
            gutter_area,
            row_of(v),
            &format!("{label:>0$}", (gutter - 1) as usize),
            t.dim(),
        );
    };
    scale(buf, top, thousands(top.floor() as u64));
    scale(buf, 0.0, "0".into());
    if row.budget > 0 {
        // the budget as the legend draws it, where the connections' line does not pass
        let y = plot.y + row_of(budget_value(row));
        for x in plot.x..plot.right() {
            let cell = &mut buf[(x, y)];
            if cell.symbol() == " " || cell.symbol() == "\u{2800}" {
                cell.set_symbol("─").set_style(t.dim());
            }
        }
        scale(buf, budget_value(row), thousands(u64::from(row.budget)));
    }
    // the bursts on the same time axis
    // each burst event once, as the Timeline lists them
    let all = app.bursts().unwrap_or_default();
    let bursts: Vec<_> = app
        .burst_events()
        .into_iter()
        .filter_map(|i| all.get(i))
        .collect();
    let span = (to - from) as f64;
    let marks: String = (0..w)
        .map(|x| {
            let a = from as f64 + span * x as f64 / w as f64;
            let b = from as f64 + span * (x + 1) as f64 / w as f64;
            if bursts
                .iter()
                .any(|bu| (bu.start as f64) < b && ((bu.end + 60) as f64) > a)
            {
                '▀'
            } else {
                ' '
            }
        })
        .collect();
    let code = bursts.first().map_or("RP-002", |b| b.code.as_str());
    let label = if bursts.is_empty() {
        format!("no {code} bursts")
    } else {
        format!("{code} bursts: {}", bursts.len())
    };
    let by = area.height - 2;
    widgets::text(buf, area, by, &marks, t.burst());
    if marks.trim().is_empty() || w > label.len() + 2 {
        // label at the right end where it hides the fewest marks
        let x = w.saturating_sub(label.len());
        let free = marks.chars().skip(x).all(|c| c == ' ');
        let lx = if free { x } else { 0 };
        if free || marks.chars().take(label.len()).all(|c| c == ' ') {
            widgets::text(
                buf,
                Rect {
                    x: area.x + lx as u16,
                    width: label.len() as u16,
                    ..area
                },
                by,
                &label,
                t.dim(),
            );
        }
    }
    let md = app.derived.multi_day;
    let (a, b) = (hm(from, md), hm(to, md));
    let pad = w.saturating_sub(a.len() + b.len());
    widgets::text(
        buf,
        area,
        area.height - 1,
        &fit(&format!("{a}{}{b}", " ".repeat(pad)), w),
        t.dim(),
    );
}

/// The budget's source on lines of `w`: its parts (`; `) kept whole on a line where they fit,
/// config files named by their file name alone (`pmta-config:60`) when a path does not fit.
fn source_lines(source: &str, w: usize) -> Vec<String> {
    let long = source.split("; ").any(|p| crate::fmt::width(p) > w);
    let short = |part: &str| -> String {
        if !long {
            return part.to_string();
        }
        part.split(' ')
            .map(|word| match word.rsplit_once('/') {
                Some((_, file)) if !file.is_empty() => file,
                _ => word,
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut lines: Vec<String> = Vec::new();
    for part in source.split("; ").map(short) {
        match lines.last_mut() {
            Some(l) if crate::fmt::width(l) + 2 + crate::fmt::width(&part) <= w => {
                l.push_str("; ");
                l.push_str(&part);
            }
            _ => lines.extend(wrap(&part, w)),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::source_lines;

    #[test]
    fn a_budget_source_keeps_its_parts_whole_and_names_a_long_path_by_its_file() {
        let s = "budget 20 from pool microsoft-pool at /work/main/sample-logs/pmta-config:60 \
                 (4 VMTAs); max-smtp-out 5 at /work/main/sample-logs/pmta-config:91";
        assert_eq!(
            source_lines(s, 80),
            [
                "budget 20 from pool microsoft-pool at pmta-config:60 (4 VMTAs)",
                "max-smtp-out 5 at pmta-config:91"
            ]
        );
        assert_eq!(source_lines(s, 200), [s]);
    }
}
