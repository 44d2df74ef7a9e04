//! The command line of `pmta-lens export`: its flags, the host name the parts are filed under,
//! and what a run says on stderr (parts written, rows, malformed rows, unreadable inputs).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::ValueEnum;

use super::{Global, Select, prepare, report_errors, stats, warn};
use crate::export::{self, Rules, Target, writer::Limits};
use crate::scan::ScanOptions;

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ExportFormat {
    Parquet,
}

/// `export` flags.
#[derive(Debug, clap::Args, Clone)]
pub struct Args {
    /// Output format (Parquet, zstd-compressed).
    #[arg(long, value_enum, default_value_t = ExportFormat::Parquet)]
    pub format: ExportFormat,
    /// Output directory: parts go to DIR/day=YYYY-MM-DD/host=NAME/, the state of the export
    /// (what was exported already) to DIR/_pmta-lens-state.json.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The `host=` partition and `host` column (default: this machine's name).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Encoded bytes per row group (tuning and tests).
    #[arg(long, hide = true, value_name = "BYTES")]
    pub row_group_bytes: Option<usize>,
}

/// This machine's name, as the kernel has it.
fn hostname() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// A host name that can be a path component and a Hive partition value.
fn check_host(host: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !host.is_empty()
            && !host.starts_with('.')
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
        "--host {host:?}: use letters, digits, '.', '_' and '-' (not first '.')"
    );
    Ok(())
}

pub(super) fn run(
    args: &Args,
    select: &Select,
    opts: &ScanOptions,
    global: &Global,
) -> anyhow::Result<ExitCode> {
    // One format today; the flag is there so that scripts name it, and for formats to come.
    match args.format {
        ExportFormat::Parquet => {}
    }
    let host = match &args.host {
        Some(h) => h.clone(),
        None => hostname().ok_or_else(|| {
            anyhow::anyhow!("this machine's name is unknown: give one with --host NAME")
        })?,
    };
    check_host(&host)?;
    super::connections::check_unused_path("--pmta-log", global.connections.pmta_log.as_deref())?;
    let p = prepare(select, global)?;
    let plan = super::connections::load(&global.connections, &select.paths)?.plan();
    let sampler = global.stats.then(stats::MemorySampler::start);
    let started = Instant::now();
    let mut limits = Limits::default();
    if let Some(n) = args.row_group_bytes {
        anyhow::ensure!(n >= 1, "--row-group-bytes must be at least 1");
        limits.row_group_bytes = n;
    }
    let outcome = export::export(
        &p.inputs,
        opts,
        &Rules {
            classifier: &p.classifier,
            filter: &p.filter,
            plan: &plan,
        },
        &Target {
            dir: &args.out,
            host: &host,
            filter: select.filter.as_deref(),
            limits,
            learn_bytes: global.learn_bytes(),
        },
    )?;
    let (renamed, removed) = outcome.recovered;
    if renamed > 0 {
        warn(format_args!(
            "finished an earlier run that was stopped: {} put in place",
            crate::fmt::counted(renamed as u64, "part")
        ));
    }
    if removed > 0 {
        warn(format_args!(
            "removed {} of an earlier run that was stopped before it finished",
            crate::fmt::counted(removed as u64, "temporary part")
        ));
    }
    let report = &outcome.report;
    let failed = report_errors(report) | report_malformed(report) | p.had_errors;
    warn(format_args!(
        "{} to {} in {}{}",
        crate::fmt::counted(outcome.rows, "row"),
        crate::fmt::counted(outcome.parts.len() as u64, "new part"),
        args.out.display(),
        match outcome.unchanged {
            0 => String::new(),
            n => format!(
                "; {} unchanged since the last export",
                crate::fmt::counted(n as u64, "input")
            ),
        }
    ));
    if let Some(sampler) = sampler {
        stats::print(report, started.elapsed(), sampler.stop());
    }
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Malformed rows, each with file, line and reason (up to the samples kept), and their count.
fn report_malformed(report: &crate::scan::ScanReport) -> bool {
    for m in &report.malformed_samples {
        warn(format_args!("{m} (row skipped)"));
    }
    let listed = report.malformed_samples.len() as u64;
    if report.malformed > listed {
        warn(format_args!(
            "{} more skipped",
            crate::fmt::counted(report.malformed - listed, "malformed row")
        ));
    }
    report.malformed > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_that_are_not_a_path_component_are_refused() {
        for ok in ["mta-01", "mta01.example.net", "MTA_7"] {
            assert!(check_host(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "a=b", "a b", ".hidden"] {
            assert!(check_host(bad).is_err(), "{bad}");
        }
    }
}
