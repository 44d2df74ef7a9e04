//! The command line of the connection budget and `check-config`: the `--config`, `--pmta-log`,
//! `--max-smtp-out` and `--pool-size` flags, how the config and the log are found when no flag
//! names them, and the `check-config` command. Prints and chooses exit codes; the work is in
//! `crate::config` and `crate::connections`.
//!
//! Finding them: `--config PATH`, else a file named `pmta-config` (or `config`) in a directory
//! given as an accounting path, else `/etc/pmta/config` when it is readable. `--pmta-log PATH`,
//! else a file named `pmta-log` (or `log`, as in `/var/log/pmta`) in such a directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args as ClapArgs, ValueEnum};

use crate::acct::discover::{DEFAULT_DIR, Input, InputKind, discover};
use crate::aggregate::Plan;
use crate::analysis::{self, Analyses, AnalysisParams};
use crate::classify::Classifier;
use crate::config::lint::{self, Volume};
use crate::config::{self, Config};
use crate::connections::stream::Stream;
use crate::connections::{self, Connections, Estimated, Overrides, Setup, estimate};
use crate::filter::Filter;
use crate::rollup::Rollup;
use crate::scan::{self, ScanOptions, ScanResult};

use super::access;
use super::stdout::warn;

/// The summary's scan: the analyses and, when the rows are not filtered and no
/// `log-connections` log is given, the connection estimate collect in the same pass, so the
/// estimate costs no second read of the files.
#[allow(clippy::too_many_arguments)] // the scan's parts, as the analyses take them
pub fn scan_and_analyze(
    inputs: &[Input],
    opts: &ScanOptions,
    classifier: &Classifier,
    filter: &Filter,
    plan: &Arc<Plan>,
    params: &AnalysisParams,
    setup: &Setup,
) -> (ScanResult, Analyses, Option<Estimated>) {
    if !filter.is_empty() || setup.pmta_log.is_some() || !setup.has_budget_source() {
        // Connections are not filtered: the estimate reads its rows in a pass of its own.
        let (result, analyses) = analysis::run(inputs, opts, classifier, filter, plan, params);
        return (result, analyses, None);
    }
    let opts = &opts.sharing_maps();
    let collect = analysis::Plan::new(params, classifier);
    let mut collected = analysis::Collected::default();
    let mut stream = Stream::new(
        Arc::clone(&plan.rollup),
        setup.config.clone().map(Arc::new),
        setup.settings(),
        false,
        false,
    );
    let result = scan::run_with(
        inputs,
        opts,
        classifier,
        filter,
        plan,
        || {
            (
                analysis::Collected::default(),
                estimate::Collector::default(),
            )
        },
        |(a, e), row| {
            a.row(&collect, row);
            e.row(row);
        },
        |(a, e), _| {
            collected.merge(a);
            stream.push(e);
        },
    );
    let ctx = analysis::AnalysisInput {
        inputs,
        opts,
        classifier,
        filter,
        rollup: &plan.rollup,
        scan: &result,
        params,
    };
    // No index of the rows the follow-up may want: the estimate's collectors take the memory.
    let analyses = analysis::analyze_collected(&ctx, collected, None);
    // Rows too far out of time order (inputs that overlap): the estimate reads them again.
    (result, analyses, stream.finish().ok())
}

/// Names looked for in a directory given as an accounting path.
const CONFIG_NAMES: [&str; 2] = ["pmta-config", "config"];
const LOG_NAMES: [&str; 2] = ["pmta-log", "log"];

/// The connection flags, global to every command.
#[derive(Debug, ClapArgs, Clone, Default)]
pub struct Args {
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        help = "The PowerMTA config (default: pmta-config in a directory argument, else \
                /etc/pmta/config when readable); gives the budget and the rollups"
    )]
    pub config: Option<PathBuf>,
    /// Read no config, not even /etc/pmta/config.
    #[arg(long, global = true, conflicts_with = "config")]
    pub no_config: bool,
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        help = "PowerMTA log written with log-connections yes: exact connection counts \
                (default: pmta-log or log in a directory argument); without one they are \
                estimated"
    )]
    pub pmta_log: Option<PathBuf>,
    #[arg(
        long,
        global = true,
        value_name = "N",
        help = "max-smtp-out per VMTA for the budget (overrides the config; PowerMTA's \
                default is 20)"
    )]
    pub max_smtp_out: Option<u32>,
    /// VMTAs per pool for the budget (overrides the config and the VMTAs seen in the rows).
    #[arg(long, global = true, value_name = "N")]
    pub pool_size: Option<u32>,
}

/// Finds and reads the config and the log. An explicit `--config` that cannot be read is an
/// error; a default one is reported on stderr and left out.
pub fn load(args: &Args, paths: &[PathBuf]) -> anyhow::Result<Setup> {
    let dirs = input_dirs(paths);
    let (config, config_path) = if args.no_config {
        (None, None)
    } else if let Some(p) = &args.config {
        let c = Config::parse_file(p).map_err(|e| {
            anyhow::anyhow!("--config {}: {}", p.display(), access::explain_config(&e))
        })?;
        (Some(c), Some(p.clone()))
    } else if let Some(p) = find_in(&dirs, &CONFIG_NAMES)
        .or_else(|| readable(Path::new(config::DEFAULT_PATH)).then(|| config::DEFAULT_PATH.into()))
    {
        match Config::parse_file(&p) {
            Ok(c) => (Some(c), Some(p)),
            Err(e) => {
                warn(format_args!(
                    "{} (config ignored; pass --config or --no-config)",
                    access::explain_config(&e)
                ));
                (None, None)
            }
        }
    } else {
        (None, None)
    };
    let pmta_log = args.pmta_log.clone().or_else(|| find_in(&dirs, &LOG_NAMES));
    Ok(Setup {
        config,
        config_path,
        pmta_log,
        overrides: Overrides {
            max_smtp_out: args.max_smtp_out,
            pool_size: args.pool_size,
        },
    })
}

/// Budget and connections for the summary. Problems with the log go to stderr; the result
/// says whether there were any.
#[allow(clippy::too_many_arguments)] // the scan's parts, as the analyses take them
pub fn for_summary(
    setup: &Setup,
    result: &ScanResult,
    estimated: Option<&Estimated>,
    rollup: &Rollup,
    classifier: &Classifier,
    inputs: &[Input],
    opts: &ScanOptions,
    filtered: bool,
) -> (Connections, bool) {
    let mut ctx = connections::ConnectionsInput::new(result, rollup, classifier, inputs, opts);
    ctx.estimated = estimated;
    ctx.config = setup.config.as_ref();
    ctx.pmta_log = setup.pmta_log.as_deref();
    ctx.only_aggregated = filtered;
    if !setup.has_budget_source() {
        // Without a config, budget flags or a log there is no budget to hold connections
        // against: skip the estimate, whose rows grow with the input.
        ctx.inputs = None;
    }
    let c = connections::analyze(&ctx, &setup.settings());
    let failed = if let Some(e) = &c.log_error {
        warn(format_args!(
            "--pmta-log {e} (connections estimated instead)"
        ));
        true
    } else {
        false
    };
    if let Some(l) = &c.log {
        if l.long_lines > 0 {
            warn(format_args!(
                "{}: {} line{} longer than {} KiB skipped",
                l.path,
                l.long_lines,
                crate::fmt::plural(l.long_lines),
                crate::config::side_file::LOG_LINE_LIMIT / 1024
            ));
        }
        if l.connection_lines == 0 {
            warn(format_args!("{}", no_connection_lines(l)));
        }
    }
    (c, failed)
}

/// The warning for a `--pmta-log` without a single connection line: most likely the main log of
/// a `PowerMTA` that does not log connections, or another file altogether.
pub fn no_connection_lines(l: &connections::LogReport) -> String {
    format!(
        "{}: no connection lines in its {} lines (PowerMTA writes them only with \
         `log-connections yes`, set in the <domain> blocks of its config, e.g. <domain *>): \
         connections estimated from the accounting rows instead",
        l.path,
        crate::fmt::thousands(l.lines)
    )
}

/// Turns away a path given to a flag the command does not read, when it does not exist: a typo
/// must not pass unnoticed just because this command has no use for the file.
pub fn check_unused_path(flag: &str, path: Option<&Path>) -> anyhow::Result<()> {
    if let Some(p) = path {
        std::fs::metadata(p).with_context(|| format!("{flag} {}", p.display()))?;
    }
    Ok(())
}

fn readable(p: &Path) -> bool {
    p.is_file() && std::fs::File::open(p).is_ok()
}

/// The directories among the accounting paths (the default one when none is given).
fn input_dirs(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        return vec![PathBuf::from(DEFAULT_DIR)]
            .into_iter()
            .filter(|p| p.is_dir())
            .collect();
    }
    paths.iter().filter(|p| p.is_dir()).cloned().collect()
}

fn find_in(dirs: &[PathBuf], names: &[&str]) -> Option<PathBuf> {
    dirs.iter()
        .flat_map(|d| names.iter().map(move |n| d.join(n)))
        .find(|p| readable(p))
}

/// `check-config --format`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum CheckFormat {
    Text,
    Json,
}

/// The accounting inputs of `check-config`, problems reported; true if there were any. Every
/// path is looked at even when `--daily-volume` means the files are not read (`scanned`
/// false): a path that names nothing is a mistake to report, not to ignore.
fn check_inputs(paths: &[PathBuf], scanned: bool) -> (Vec<Input>, bool) {
    if paths.is_empty() {
        return (Vec::new(), false);
    }
    let (inputs, mut errors) = discover(paths);
    if !scanned {
        // The scan, which would find a missing file, does not run: look for each one here.
        let missing = inputs
            .iter()
            .filter(|i| i.kind != InputKind::Stdin)
            .filter_map(|i| {
                let source = std::fs::metadata(&i.path).err()?;
                Some(crate::error::InputError::Io {
                    path: i.path.clone(),
                    source,
                })
            });
        errors.extend(missing);
    }
    for e in &errors {
        warn(super::access::explain(e));
    }
    (inputs, !errors.is_empty())
}

/// `pmta-lens check-config`: exit 0 when clean, 1 with findings, 2 on error.
pub fn check_config(
    args: &Args,
    daily_volume: Option<u64>,
    format: CheckFormat,
    paths: &[PathBuf],
    opts: &ScanOptions,
) -> anyhow::Result<ExitCode> {
    check_unused_path("--pmta-log", args.pmta_log.as_deref())?;
    let (inputs, mut failed) = check_inputs(paths, daily_volume.is_none());
    let setup = load(args, paths)?;
    let (Some(config), Some(path)) = (&setup.config, &setup.config_path) else {
        // There but refused: say whom to ask rather than "nothing at".
        if let Some(why) = access::unreadable(Path::new(config::DEFAULT_PATH)) {
            anyhow::bail!("no PowerMTA config: {why} (or pass --config PATH)");
        }
        anyhow::bail!(
            "no PowerMTA config: pass --config PATH (nothing at {} or in the given directories)",
            config::DEFAULT_PATH
        );
    };
    let mut pools: Vec<String> = Vec::new();
    let volume = if let Some(n) = daily_volume {
        Some(Volume {
            daily: n,
            source: "--daily-volume".into(),
        })
    } else if paths.is_empty() {
        None
    } else {
        let classifier = Classifier::builtin();
        let result = scan::run(
            &inputs,
            opts,
            &classifier,
            &Filter::default(),
            &setup.plan(),
        );
        for e in &result.report.errors {
            warn(super::access::explain(e));
        }
        failed |= !result.report.errors.is_empty();
        for (sender, _) in result.aggregates.microsoft_senders() {
            if sender.vmta.as_ref() == crate::model::UNATTRIBUTED_KEY {
                continue;
            }
            let pool = if sender.pool.as_ref() == crate::model::NONE_KEY {
                config
                    .pools_of(&sender.vmta)
                    .first()
                    .map(|p| p.name.clone())
            } else {
                Some(sender.pool.to_string())
            };
            if let Some(p) = pool
                && !pools.contains(&p)
            {
                pools.push(p);
            }
        }
        pools.sort();
        let v = connections::volume::microsoft_daily(&result.aggregates);
        Some(match v {
            Some(v) => Volume {
                daily: v.delivered,
                source: format!(
                    "busiest day {} of {} in the accounting files",
                    crate::fmt::utc(v.day).get(..10).unwrap_or_default(),
                    v.days
                ),
            },
            None => Volume {
                daily: 0,
                source: "no delivery to outlook.com in the accounting files".into(),
            },
        })
    };
    let report = lint::check(config, volume, &pools);
    let out = match format {
        CheckFormat::Text => crate::output::check::text(&report, path),
        CheckFormat::Json => crate::output::check::json(&report, path, &config.files),
    };
    match format {
        CheckFormat::Text => super::stdout::write_text(&out)?,
        CheckFormat::Json => super::stdout::write_bytes(out.as_bytes())?,
    }
    Ok(if failed {
        ExitCode::from(2)
    } else if report.has_problems() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
