//! The summary as a report an operator pastes into a ticket: plain text (aligned columns) or
//! markdown (headings and tables), from one layout.

use std::fmt::Write as _;
use std::sync::Arc;

use super::summary::Summary;
use super::table::{Align, Table};
use crate::aggregate::Bucket;
use crate::fmt::{bytes, duration, percent, thousands, utc};

/// How many rows each bucket table shows (JSON has them all).
pub const TOP: usize = 10;

/// Text or markdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Text,
    Markdown,
}

pub(super) struct Doc {
    pub(super) style: Style,
    pub(super) out: String,
}

impl Doc {
    pub(super) fn heading(&mut self, title: &str) {
        match self.style {
            Style::Text => {
                let _ = writeln!(self.out, "\n{title}\n{}", "-".repeat(title.chars().count()));
            }
            Style::Markdown => {
                let _ = writeln!(self.out, "\n## {title}\n");
            }
        }
    }

    pub(super) fn table(&mut self, t: &Table) {
        match self.style {
            Style::Text => self.out += &t.text(),
            Style::Markdown => self.out += &t.markdown(),
        }
    }

    pub(super) fn line(&mut self, s: &str) {
        match self.style {
            Style::Text => {
                let _ = writeln!(self.out, "  {s}");
            }
            Style::Markdown => {
                let _ = writeln!(self.out, "- {s}");
            }
        }
    }

    pub(super) fn code(&self, s: &str) -> String {
        match self.style {
            Style::Text => s.to_string(),
            Style::Markdown => format!("`{s}`"),
        }
    }
}

/// Renders the summary.
pub fn render(s: &Summary, style: Style) -> String {
    let mut d = Doc {
        style,
        out: String::new(),
    };
    match style {
        Style::Text => d.out += "pmta-lens summary\n=================\n",
        Style::Markdown => d.out += "# pmta-lens summary\n",
    }
    scope(&mut d, s);
    findings(&mut d, s);
    types(&mut d, s);
    buckets(&mut d, "Destinations (rolled up)", "domain", &s.by_domain);
    super::budget::section(&mut d, s);
    buckets(&mut d, "VMTAs", "vmta", &s.by_vmta);
    buckets(&mut d, "Sending IPs", "source ip", &s.by_source_ip);
    codes(&mut d, s);
    malformed(&mut d, s);
    d.out
}

fn scope(d: &mut Doc, s: &Summary) {
    d.heading("Scope");
    let total_bytes: u64 = s.files.iter().map(|f| f.bytes).sum();
    d.line(&format!(
        "files: {} ({})",
        thousands(s.files.len() as u64),
        bytes(total_bytes)
    ));
    match (s.first, s.last) {
        (Some(a), Some(b)) => d.line(&format!(
            "time range: {} to {} ({})",
            utc(a),
            utc(b),
            duration(b - a)
        )),
        _ => d.line("time range: none (no row had a timeLogged)"),
    }
    d.line(&format!(
        "records: {}; malformed rows: {}{}",
        thousands(s.records),
        thousands(s.malformed),
        if s.malformed > 0 {
            " (listed at the end)"
        } else {
            ""
        }
    ));
    if let Some(f) = &s.filter {
        d.line(&format!(
            "filter: {} (counts below are matching rows only)",
            d.code(f)
        ));
    }
    d.out += "\n";
    let mut t = Table::new(&[
        ("file", Align::Left),
        ("bytes", Align::Right),
        ("records", Align::Right),
        ("malformed", Align::Right),
        ("note", Align::Left),
    ]);
    for f in &s.files {
        t.row(vec![
            f.path.clone(),
            thousands(f.bytes),
            thousands(f.records),
            thousands(f.malformed),
            f.error
                .clone()
                .map(|e| format!("unreadable: {e}"))
                .unwrap_or_default(),
        ]);
    }
    d.table(&t);
}

fn findings(d: &mut Doc, s: &Summary) {
    d.heading("Findings");
    if s.findings.is_empty() {
        d.line("nothing to act on");
        return;
    }
    for f in &s.findings {
        let tag = f.severity.as_str().to_uppercase();
        match d.style {
            Style::Text => {
                let _ = writeln!(d.out, "  [{tag}] {}", f.title);
                let _ = writeln!(d.out, "      evidence: {}", f.evidence);
                let _ = writeln!(d.out, "      action:   {}", f.action);
            }
            Style::Markdown => {
                let _ = writeln!(
                    d.out,
                    "- **{tag}** {}  \n  evidence: {}  \n  action: {}",
                    f.title, f.evidence, f.action
                );
            }
        }
    }
}

fn types(d: &mut Doc, s: &Summary) {
    d.heading("Totals by type");
    let total = s.by_type.total();
    let mut t = Table::new(&[
        ("type", Align::Left),
        ("meaning", Align::Left),
        ("rows", Align::Right),
        ("share", Align::Right),
    ]);
    for (k, n) in s.by_type.nonzero() {
        t.row(vec![
            k.as_str().into(),
            k.label().into(),
            thousands(n),
            percent(n, total),
        ]);
    }
    if t.is_empty() {
        d.line("no rows");
        return;
    }
    d.table(&t);
    let c = &s.by_type;
    let attempts = c.attempts();
    d.out += "\n";
    d.line(&format!(
        "delivery attempts (d + t + tq + b + rb): {}; delivered {}, deferred {}, bounced {}",
        thousands(attempts),
        percent(c.delivered(), attempts),
        percent(c.deferred(), attempts),
        percent(c.bounced(), attempts),
    ));
}

fn buckets(d: &mut Doc, title: &str, key: &str, b: &[Bucket<Arc<str>>]) {
    let shown = b.len().min(TOP);
    if b.len() > shown {
        d.heading(&format!(
            "{title}: top {shown} of {}",
            thousands(b.len() as u64)
        ));
    } else {
        d.heading(title);
    }
    if b.is_empty() {
        d.line("none");
        return;
    }
    let mut t = Table::new(&[
        (key, Align::Left),
        ("rows", Align::Right),
        ("delivered", Align::Right),
        ("deferred", Align::Right),
        ("bounced", Align::Right),
        ("complaints", Align::Right),
    ]);
    for x in &b[..shown] {
        let c = &x.counts.counts;
        let attempts = c.attempts();
        t.row(vec![
            x.key.to_string(),
            thousands(x.total()),
            count_pct(c.delivered(), attempts),
            count_pct(c.deferred(), attempts),
            count_pct(c.bounced(), attempts),
            thousands(c.get(crate::model::RecordKind::Feedback)),
        ]);
    }
    d.table(&t);
}

fn count_pct(n: u64, of: u64) -> String {
    if n == 0 {
        "0".into()
    } else {
        format!("{} ({})", thousands(n), percent(n, of))
    }
}

fn codes(d: &mut Doc, s: &Summary) {
    let total: u64 = s.by_code.iter().map(|c| c.bucket.total()).sum();
    d.heading("Response codes (deferrals and bounces)");
    if s.by_code.is_empty() {
        d.line("none: no deferral or bounce rows");
        return;
    }
    let mut t = Table::new(&[
        ("code", Align::Left),
        ("provider", Align::Left),
        ("kind", Align::Left),
        ("rows", Align::Right),
        ("share", Align::Right),
        ("meaning", Align::Left),
    ]);
    for c in &s.by_code {
        t.row(vec![
            c.name.clone(),
            c.info.provider.unwrap_or("-").into(),
            c.info.kind.map_or("-", |k| k.as_str()).into(),
            thousands(c.bucket.total()),
            percent(c.bucket.total(), total),
            c.info.meaning.unwrap_or("").into(),
        ]);
    }
    d.table(&t);
    let actions: Vec<_> = s
        .by_code
        .iter()
        .filter_map(|c| c.info.action.map(|a| (c, a)))
        .collect();
    if !actions.is_empty() {
        d.heading("What to do, per code");
        for (c, a) in actions {
            let n = c.bucket.total();
            let rows = if n == 1 { "row" } else { "rows" };
            d.line(&format!(
                "{} ({} {rows}): {a}",
                d.code(&c.name),
                thousands(n)
            ));
        }
    }
}

fn malformed(d: &mut Doc, s: &Summary) {
    if s.malformed == 0 {
        return;
    }
    let shown = s.malformed_samples.len() as u64;
    d.heading(&format!(
        "Malformed rows: {}{}",
        thousands(s.malformed),
        if shown < s.malformed {
            format!(" (first {shown} shown)")
        } else {
            String::new()
        }
    ));
    for m in &s.malformed_samples {
        d.line(&format!("{}:{}: {}", m.path, m.line, m.reason));
    }
}
