//! The summary's connection budget: a section of the text and markdown report, and the JSON
//! key `budget` (one object per destination and pool: `domain`, `pool`, `pool_size`,
//! `max_smtp_out`, `budget`, `observed_peak`, `observed_p95`, `seconds_over_budget`, `method`,
//! `source`).

use serde::Serialize;

use super::summary::Summary;
use super::table::{Align, Table};
use super::text::{Doc, Style, TOP};
use crate::connections::{BudgetRow, Connections, Method};
use crate::fmt::{duration, plural, thousands, utc};

/// One destination and pool in the JSON.
#[derive(Serialize)]
pub struct BudgetJson<'a> {
    domain: &'a str,
    pool: &'a str,
    pool_size: u32,
    max_smtp_out: u32,
    budget: u32,
    observed_peak: u32,
    observed_p95: u32,
    seconds_over_budget: u64,
    method: &'static str,
    source: &'a str,
}

/// The `budget` array (empty when the summary has none).
pub fn json<'a>(s: &'a Summary<'_>) -> Vec<BudgetJson<'a>> {
    let Some(c) = &s.budget else {
        return Vec::new();
    };
    c.rows
        .iter()
        .map(|r| BudgetJson {
            domain: &r.domain,
            pool: &r.pool,
            pool_size: r.pool_size,
            max_smtp_out: r.max_smtp_out,
            budget: r.budget,
            observed_peak: r.observed.peak,
            observed_p95: r.observed.p95,
            seconds_over_budget: r.observed.seconds_over_budget,
            method: r.method.as_str(),
            source: &r.source,
        })
        .collect()
}

/// Rows worth a line: mail was sent, or connections were seen.
fn shown(c: &Connections) -> Vec<&BudgetRow> {
    c.rows
        .iter()
        .filter(|r| r.smtp_rows > 0 || r.observed.peak > 0)
        .collect()
}

/// The report section.
pub(super) fn section(d: &mut Doc, summary: &Summary) {
    let Some(c) = &summary.budget else {
        d.heading("Connections against the budget");
        d.line(
            "not computed: pass a PowerMTA config (--config, or a file named pmta-config beside \
             the logs), a log-connections log (--pmta-log) or --max-smtp-out / --pool-size",
        );
        return;
    };
    let rows = shown(c);
    let n = rows.len().min(TOP);
    if rows.len() > n {
        d.heading(&format!(
            "Connections against the budget: top {n} of {}",
            thousands(rows.len() as u64)
        ));
    } else {
        d.heading("Connections against the budget");
    }
    d.line(&method_line(c));
    let others = &c.others;
    if others.destinations > 0 {
        d.line(&format!(
            "left out: {} smaller destination/pool pairs ({} SMTP rows), none above its budget; \
             at most {} connection{} open at once to any of them",
            thousands(others.destinations),
            thousands(others.smtp_rows),
            others.peak,
            plural(others.peak)
        ));
    }
    if rows.is_empty() {
        d.line("no SMTP rows (d, t, b, tq) from a known VMTA");
        return;
    }
    d.out += "\n";
    let mut t = Table::new(&[
        ("destination", Align::Left),
        ("pool", Align::Left),
        ("VMTAs", Align::Right),
        ("max-smtp-out", Align::Right),
        ("budget", Align::Right),
        ("peak", Align::Right),
        ("p95", Align::Right),
        ("over budget", Align::Right),
        ("method", Align::Left),
    ]);
    for r in &rows[..n] {
        t.row(vec![
            r.domain.clone(),
            r.pool.clone(),
            r.pool_size.to_string(),
            r.max_smtp_out.to_string(),
            r.budget.to_string(),
            r.observed.peak.to_string(),
            r.observed.p95.to_string(),
            if r.observed.seconds_over_budget > 0 {
                duration(i64::try_from(r.observed.seconds_over_budget).unwrap_or(i64::MAX))
            } else {
                "-".into()
            },
            r.method.as_str().into(),
        ]);
    }
    d.table(&t);
    d.out += "\n";
    for r in &rows[..n] {
        let name = format!("{} / {}", r.domain, r.pool);
        d.line(&format!("{}: {}", d.code(&name), r.source));
        if r.observed.peak > r.budget {
            d.line(&format!(
                "{}: {} connections at {} against a budget of {}; above it for {}",
                d.code(&name),
                r.observed.peak,
                utc(r.observed.peak_at),
                r.budget,
                duration(i64::try_from(r.observed.seconds_over_budget).unwrap_or(i64::MAX))
            ));
        }
        if let Some(note) = &r.note {
            d.line(&format!("{}: {note}", d.code(&name)));
        }
        if let (Some(e), true) = (&r.estimate, r.observed.peak > r.budget) {
            d.line(&format!(
                "{}: the estimate from the accounting rows says peak {}, p95 {}",
                d.code(&name),
                e.peak,
                e.p95
            ));
        }
    }
    if d.style == Style::Markdown {
        d.out += "\n";
    }
}

fn method_line(c: &Connections) -> String {
    match (c.method, &c.log) {
        (Method::Log, Some(l)) => {
            let when = match (l.first, l.last) {
                (Some(a), Some(b)) => format!(", {} to {}", utc(a), utc(b)),
                _ => String::new(),
            };
            format!(
                "counted from the log-connections log {}: {} connections ({} open when it \
                 begins, {} never closed){when}",
                l.path,
                thousands(l.connections),
                l.open_at_start,
                l.never_closed
            )
        }
        (_, log) => {
            // Say why a log that was given did not count: the reader must not take an
            // estimate for the log's exact numbers.
            let why = match (log, &c.log_error) {
                (Some(l), _) if l.connection_lines == 0 => format!(
                    "the log {} has no connection lines: PowerMTA writes them only with \
                     log-connections yes",
                    l.path
                ),
                (_, Some(_)) => "the log-connections log could not be read".to_string(),
                _ => "no log-connections log".to_string(),
            };
            format!(
                "estimated from the accounting rows ({why}): {:.1} s per transaction and {:.1} s \
                 of connection setup assumed; the measured error is in docs/connections.md",
                c.params.transaction_ms as f64 / 1000.0,
                c.params.setup_ms as f64 / 1000.0
            )
        }
    }
}
