//! The summary as a report an operator pastes into a ticket: plain text (aligned columns) or
//! markdown (headings and tables), from one layout.

use std::fmt::Write as _;

use super::summary::Summary;
use super::table::{Align, Table};
use crate::aggregate::Keyed;
use crate::analysis::findings::{named, span};
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
                let _ = writeln!(
                    self.out,
                    "\n{title}\n{}",
                    "-".repeat(crate::fmt::width(title))
                );
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
    bursts(&mut d, s);
    retries(&mut d, s);
    tiers(&mut d, s);
    consistency(&mut d, s);
    complaints(&mut d, s);
    snds(&mut d, s);
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
            match &f.error {
                Some(e) if f.partial => e.clone(),
                Some(e) => format!("unreadable: {e}"),
                None => String::new(),
            },
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

fn buckets<T: Keyed>(d: &mut Doc, title: &str, key: &str, b: &[T]) {
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
        let c = x.type_counts();
        let attempts = c.attempts();
        t.row(vec![
            x.key().to_string(),
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

fn opt_duration(v: Option<i64>) -> String {
    v.map_or_else(|| "-".to_string(), duration)
}

fn bursts(d: &mut Doc, s: &Summary) {
    d.heading("Bursts");
    if s.bursts.is_empty() {
        d.line(&format!(
            "none: no code came in a burst (a window of {} holding 3x its background rate and \
             at least --burst-min rows)",
            duration(s.burst_window)
        ));
        return;
    }
    let mut t = Table::new(&[
        ("code", Align::Left),
        ("scope", Align::Left),
        ("when", Align::Left),
        ("rows", Align::Right),
        ("peak/min", Align::Right),
        ("sending IPs", Align::Left),
        ("VMTAs", Align::Left),
        ("domains", Align::Left),
    ]);
    for b in &s.bursts {
        t.row(vec![
            b.code.clone(),
            b.source_ip.clone().unwrap_or_else(|| "all IPs".into()),
            span(b.start, b.end),
            thousands(b.count),
            thousands(b.peak_per_minute),
            named(&b.source_ips),
            named(&b.vmtas),
            named(&b.domains),
        ]);
    }
    d.table(&t);
    d.out += "\n";
    let mut actions: Vec<(&str, &str)> = s
        .bursts
        .iter()
        .map(|b| (b.code.as_str(), b.action.as_str()))
        .collect();
    actions.dedup();
    actions.sort_unstable();
    actions.dedup();
    for (code, action) in actions {
        d.line(&format!("{}: {action}", d.code(code)));
    }
}

fn retries(d: &mut Doc, s: &Summary) {
    let r = &s.retry_hygiene;
    d.heading(&format!(
        "RP-001 retries (minimum {})",
        duration(r.min_retry)
    ));
    if r.recipients.rp001 == 0 && r.queues.rp001 == 0 {
        d.line("no RP-001 deferral");
        return;
    }
    let mut totals = Table::new(&[
        ("retried", Align::Left),
        ("RP-001s", Align::Right),
        ("keys", Align::Right),
        ("retried", Align::Right),
        ("too soon", Align::Right),
        ("shortest gap", Align::Right),
        ("median gap", Align::Right),
    ]);
    for (name, x) in [
        ("recipients (t)", &r.recipients),
        ("queues (tq)", &r.queues),
    ] {
        totals.row(vec![
            name.into(),
            thousands(x.rp001),
            thousands(x.keys),
            thousands(x.retried),
            thousands(x.too_soon),
            opt_duration(x.shortest_gap),
            opt_duration(x.median_gap),
        ]);
    }
    d.table(&totals);
    let mut groups = Table::new(&[
        ("of", Align::Left),
        ("sending IP / VMTA", Align::Left),
        ("RP-001s", Align::Right),
        ("too soon", Align::Right),
        ("shortest gap", Align::Right),
        ("median gap", Align::Right),
    ]);
    for (name, x) in [("recipients", &r.recipients), ("queues", &r.queues)] {
        for grp in x.by_source_ip.iter().chain(&x.by_vmta) {
            groups.row(vec![
                name.into(),
                grp.key.clone(),
                thousands(grp.rp001),
                thousands(grp.too_soon),
                opt_duration(grp.shortest_gap),
                opt_duration(grp.median_gap),
            ]);
        }
    }
    if !groups.is_empty() {
        d.out += "\n";
        d.table(&groups);
    }
    let examples: Vec<_> = r
        .recipients
        .examples
        .iter()
        .chain(&r.queues.examples)
        .collect();
    if !examples.is_empty() {
        d.out += "\n";
        for example in examples {
            // Say what the retry became: delivered, or deferred / bounced again with a code.
            let outcome = match crate::model::RecordKind::from_bytes(example.retry_type.as_bytes())
            {
                Some(crate::model::RecordKind::Delivered) => "delivered".to_string(),
                Some(k) => format!("{} {}", k.label(), example.retry_code),
                None => format!("{} {}", example.retry_type, example.retry_code),
            };
            d.line(&format!(
                "{}: RP-001 at {} from {} ({}), retried after {}: {outcome}",
                d.code(&example.key),
                utc(example.rp001_at),
                example.source_ip,
                example.vmta,
                duration(example.gap),
            ));
        }
    }
}

fn tiers(d: &mut Doc, s: &Summary) {
    let t = &s.tiers;
    d.heading("Outlook volume tiers (outlook.com rolled up, per UTC day)");
    if t.days.is_empty() {
        d.line("no traffic to outlook.com");
        return;
    }
    let mut tab = Table::new(&[
        ("day", Align::Left),
        ("attempts", Align::Right),
        ("delivered", Align::Right),
        ("sending IPs", Align::Right),
        ("tier", Align::Left),
    ]);
    for day in &t.days {
        tab.row(vec![
            day_str(day.day),
            thousands(day.attempts),
            thousands(day.delivered),
            thousands(day.source_ips),
            day.tier.into(),
        ]);
    }
    d.table(&tab);
    d.out += "\n";
    let mut tiers = Table::new(&[
        ("tier (delivered/day)", Align::Left),
        ("max-smtp-out", Align::Right),
        ("max-conn-rate", Align::Right),
        ("max-msg-rate", Align::Right),
        ("retry-after", Align::Right),
        ("pool", Align::Left),
        ("", Align::Left),
    ]);
    for x in &crate::analysis::tiers::TIERS {
        tiers.row(vec![
            x.name.into(),
            x.max_smtp_out.to_string(),
            x.max_connect_rate.into(),
            x.max_msg_rate.into(),
            x.retry_after.into(),
            if x.pool.is_empty() {
                "-".into()
            } else {
                x.pool.into()
            },
            if t.recommended.is_some_and(|r| r.name == x.name) {
                "<- busiest day".into()
            } else {
                String::new()
            },
        ]);
    }
    d.table(&tiers);
}

fn day_str(t: i64) -> String {
    let u = utc(t);
    u.get(..10).unwrap_or(&u).to_string()
}

fn consistency(d: &mut Doc, s: &Summary) {
    let c = &s.consistency;
    d.heading("Sending consistency toward Microsoft (attempts per sending IP and UTC day)");
    if c.ips.is_empty() {
        d.line("no sending IP toward outlook.com");
        return;
    }
    let mut head: Vec<(String, Align)> = vec![("source ip".into(), Align::Left)];
    head.extend(
        c.days
            .iter()
            .map(|day| (day_str(*day)[5..].to_string(), Align::Right)),
    );
    head.extend([
        ("median".into(), Align::Right),
        ("silent days".into(), Align::Right),
        ("spikes".into(), Align::Right),
        (String::new(), Align::Left),
    ]);
    let head_ref: Vec<(&str, Align)> = head.iter().map(|(h, a)| (h.as_str(), *a)).collect();
    let mut t = Table::new(&head_ref);
    for ip in &c.ips {
        let mut row = vec![ip.source_ip.clone()];
        row.extend(ip.volumes.iter().map(|v| thousands(*v)));
        row.extend([
            thousands(ip.median.round() as u64),
            thousands(ip.silent_days),
            thousands(ip.spike_days.len() as u64),
            if ip.spike_and_silence {
                "spike-and-silence".into()
            } else {
                String::new()
            },
        ]);
        t.row(row);
    }
    d.table(&t);
    if !c.judged {
        d.out += "\n";
        d.line(&format!(
            "fewer than {} days in range: spikes and silences are not judged",
            crate::analysis::tiers::MIN_DAYS
        ));
    }
}

fn complaints(d: &mut Doc, s: &Summary) {
    let c = &s.complaints;
    d.heading("Complaints (feedback loop, f rows)");
    if c.total == 0 {
        d.line("no complaint");
        return;
    }
    d.line(&format!(
        "{} complaints: {} attributed to a delivery (same recipient, same job where both have \
         one), {} unattributed",
        thousands(c.total),
        thousands(c.matched),
        thousands(c.unmatched)
    ));
    for (title, groups) in [
        ("vmta", &c.by_vmta),
        ("source ip", &c.by_source_ip),
        ("domain", &c.by_domain),
        ("job", &c.by_job),
    ] {
        d.out += "\n";
        let mut t = Table::new(&[
            (title, Align::Left),
            ("complaints", Align::Right),
            ("delivered", Align::Right),
            ("rate", Align::Right),
        ]);
        for g in groups.iter().take(TOP) {
            t.row(vec![
                g.key.clone(),
                thousands(g.complaints),
                thousands(g.delivered),
                g.rate.map_or("-".into(), |r| format!("{:.3}%", r * 100.0)),
            ]);
        }
        d.table(&t);
    }
}

fn snds(d: &mut Doc, s: &Summary) {
    let Some(x) = &s.snds else { return };
    d.heading("SNDS (Microsoft's view per sending IP)");
    if let Some(e) = &x.error {
        d.line(&format!("could not be read: {e}"));
        return;
    }
    d.line(&format!(
        "{}: {} lines{}",
        x.path,
        thousands(x.rows),
        if x.malformed.is_empty() {
            String::new()
        } else {
            format!(
                ", {} malformed (skipped)",
                thousands(x.malformed.len() as u64)
            )
        }
    ));
    d.out += "\n";
    let mut t = Table::new(&[
        ("source ip", Align::Left),
        ("SNDS", Align::Left),
        ("complaint rate", Align::Right),
        ("trap hits", Align::Right),
        ("SNDS recipients", Align::Right),
        ("our attempts", Align::Right),
        ("our top codes", Align::Left),
        ("action", Align::Left),
    ]);
    for ip in &x.ips {
        t.row(vec![
            ip.source_ip.clone(),
            ip.status.map_or("not listed", |c| c.as_str()).into(),
            ip.complaint_rate.clone().unwrap_or_else(|| "-".into()),
            thousands(ip.trap_hits),
            thousands(ip.recipients),
            thousands(ip.attempts),
            named(&ip.codes),
            ip.action.clone(),
        ]);
    }
    d.table(&t);
    if !x.malformed.is_empty() {
        d.out += "\n";
    }
    for m in &x.malformed {
        d.line(&format!("{}:{}: {}", m.path, m.line, m.reason));
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
