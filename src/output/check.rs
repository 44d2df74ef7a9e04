//! `check-config` output: the findings as text (one block per finding: `file:line`, what,
//! why, the fix) or JSON (documented in docs/check-config.md).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::Loc;
use crate::config::lint::{Problem, Report, Tier, Volume};
use crate::fmt::{plural, thousands};
use crate::model::Severity;

fn count(r: &Report, s: Severity) -> usize {
    r.findings.iter().filter(|f| f.severity == s).count()
}

/// The report as text.
pub fn text(r: &Report, config: &Path) -> String {
    let mut out = String::new();
    let title = format!("pmta-lens check-config: {}", config.display());
    let _ = writeln!(out, "{title}\n{}", "=".repeat(crate::fmt::width(&title)));
    match (&r.volume, &r.tier) {
        (Some(v), Some(t)) => {
            let _ = writeln!(
                out,
                "volume: {} deliveries/day to outlook.com ({}): the article's tier {} \
                 (max-smtp-out {}, max-connect-rate {}, max-msg-rate {}, retry-after {})",
                thousands(v.daily),
                v.source,
                t.name,
                t.max_smtp_out,
                t.max_connect_rate,
                t.max_msg_rate,
                t.retry_after
            );
        }
        _ => out.push_str("volume: unknown (tier not checked)\n"),
    }
    let rolled = if r.microsoft_queues.len() == 1 {
        "one queue"
    } else {
        "not rolled up"
    };
    let _ = writeln!(
        out,
        "Microsoft queues: {} ({rolled})",
        r.microsoft_queues.join(", ")
    );
    if !r.microsoft_pools.is_empty() {
        let _ = writeln!(out, "Microsoft pools: {}", r.microsoft_pools.join(", "));
    }
    out.push('\n');
    for f in &r.findings {
        finding(&mut out, f);
    }
    let (c, w, i) = (
        count(r, Severity::Critical),
        count(r, Severity::Warning),
        count(r, Severity::Info),
    );
    if c + w == 0 {
        let _ = writeln!(
            out,
            "clean: nothing to fix{}",
            if i > 0 {
                format!(" ({i} note{})", plural(i))
            } else {
                String::new()
            }
        );
    } else {
        let _ = writeln!(
            out,
            "{} finding{}: {c} critical, {w} warning{}, {i} note{}",
            c + w + i,
            plural(c + w + i),
            plural(w),
            plural(i),
        );
    }
    out
}

fn finding(out: &mut String, f: &Problem) {
    let at = f
        .loc
        .as_ref()
        .map_or_else(String::new, |l| format!("{l}: "));
    let _ = writeln!(
        out,
        "[{}] {at}{}",
        f.severity.as_str().to_uppercase(),
        f.title
    );
    if !f.also.is_empty() {
        let lines: Vec<String> = f
            .also
            .iter()
            .map(|l| {
                if f.loc.as_ref().is_some_and(|m| m.file == l.file) {
                    l.line.to_string()
                } else {
                    l.to_string()
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "    also at line{}: {}",
            plural(lines.len()),
            lines.join(", ")
        );
    }
    let _ = writeln!(out, "    why: {}", f.reasoning);
    let _ = writeln!(out, "    fix: {}\n", f.fix);
}

#[derive(Serialize)]
struct LocJson {
    file: String,
    line: u32,
}

fn loc(l: &Loc) -> LocJson {
    LocJson {
        file: l.file.display().to_string(),
        line: l.line,
    }
}

#[derive(Serialize)]
struct ProblemJson<'a> {
    severity: &'static str,
    code: &'static str,
    file: Option<String>,
    line: Option<u32>,
    also: Vec<LocJson>,
    title: &'a str,
    reasoning: &'a str,
    fix: &'a str,
}

#[derive(Serialize)]
struct Counts {
    critical: usize,
    warning: usize,
    info: usize,
}

#[derive(Serialize)]
struct ReportJson<'a> {
    config: String,
    files: Vec<String>,
    volume: Option<&'a Volume>,
    tier: Option<&'a Tier>,
    microsoft_queues: &'a [String],
    microsoft_pools: &'a [String],
    counts: Counts,
    findings: Vec<ProblemJson<'a>>,
}

/// The report as pretty-printed JSON, ending with a newline.
pub fn json(r: &Report, config: &Path, files: &[PathBuf]) -> String {
    let doc = ReportJson {
        config: config.display().to_string(),
        files: files.iter().map(|f| f.display().to_string()).collect(),
        volume: r.volume.as_ref(),
        tier: r.tier.as_ref(),
        microsoft_queues: &r.microsoft_queues,
        microsoft_pools: &r.microsoft_pools,
        counts: Counts {
            critical: count(r, Severity::Critical),
            warning: count(r, Severity::Warning),
            info: count(r, Severity::Info),
        },
        findings: r
            .findings
            .iter()
            .map(|f| ProblemJson {
                severity: f.severity.as_str(),
                code: f.code,
                file: f.loc.as_ref().map(|l| l.file.display().to_string()),
                line: f.loc.as_ref().map(|l| l.line),
                also: f.also.iter().map(loc).collect(),
                title: &f.title,
                reasoning: &f.reasoning,
                fix: &f.fix,
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}
