//! The command line: argument definitions, and the glue from arguments to the core and a front
//! end. Prints, reads the environment and chooses exit codes: the core does none of that.
//!
//! Exit codes (as ripgrep): 0 success; 1 `rows` matched nothing and nothing went wrong; 2 an
//! error, including an input that could not be read, malformed rows skipped by `rows` (both
//! reported after the rest was processed) and output that could not be written. A closed pipe
//! exits 0.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::acct::chunk::DEFAULT_CHUNK_SIZE;
use crate::acct::discover::{Input, discover};
use crate::analysis::{self, AnalysisParams};
use crate::classify::Classifier;
use crate::filter::Filter;
use crate::learn;
use crate::output::summary::Summary;
use crate::output::{json, text};
use crate::scan::{self, Engine, ScanOptions, ScanReport};

pub mod access;
pub mod connections;
#[cfg(feature = "tui")]
mod dashboard;
mod export;
pub mod generate;
mod metrics;
pub mod priority;
mod stats;
pub mod stdout;
pub mod workers;

use stdout::warn;

/// `pmta-lens --version`: the version, the commit it was built from ("unknown" outside a git
/// checkout) and the target, so a binary found on an MTA host says what it is (build.rs).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("PMTA_LENS_COMMIT"),
    ", ",
    env!("PMTA_LENS_TARGET"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "pmta-lens",
    version = VERSION,
    about = "Answers from PowerMTA accounting logs: a dashboard, a summary report, matching rows.",
    long_about = "Reads PowerMTA accounting files (acct*.csv, *.csv.gz, or - for stdin).\n\
                  With no command: the dashboard when stdout is a terminal, else the summary.\n\
                  With no path: /var/log/pmta."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    select: Select,
    #[command(flatten)]
    tuning: Tuning,
    #[command(flatten)]
    global: Global,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Report for post-campaign review: scope, totals, top destinations, VMTAs, IPs and codes.
    Summary {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        select: Select,
        #[command(flatten)]
        tuning: Tuning,
    },
    /// Print every matching row: the header and its original bytes (or JSON lines), for piping.
    Rows {
        /// raw: the header and the original rows; ndjson: one JSON object per row (the fields
        /// of docs/json.md), for log shippers; rcpt: each row's recipient (for `f` rows the
        /// complainer), once, one per line: `--where type=f --format rcpt` is a suppression list.
        #[arg(long, value_enum, default_value_t = RowsFormat::Raw)]
        format: RowsFormat,
        /// Keep reading: print rows as `PowerMTA` appends them, across rotation (raw and ndjson).
        #[arg(long)]
        follow: bool,
        #[command(flatten)]
        select: Select,
    },
    /// Prometheus metrics (text format 0.0.4) from the summary's numbers, for `node_exporter`'s
    /// textfile collector: stdout, or a file replaced atomically (--out).
    Metrics {
        #[command(flatten)]
        args: metrics::Args,
        #[command(flatten)]
        select: Select,
        #[command(flatten)]
        tuning: Tuning,
    },
    /// Rows as Parquet part files for `ClickHouse`, `DuckDB` or Spark, in partitions
    /// DIR/day=YYYY-MM-DD/host=NAME/; a rerun exports only what is new (docs/scale-out.md).
    Export {
        #[command(flatten)]
        args: export::Args,
        #[command(flatten)]
        select: Select,
    },
    #[command(
        about = "Check the PowerMTA config against the reference article: exit 0 clean, 1 findings"
    )]
    CheckConfig {
        /// Messages per day to Outlook for the volume tier (default: the busiest day in the
        /// given accounting files).
        #[arg(long, value_name = "N")]
        daily_volume: Option<u64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = connections::CheckFormat::Text)]
        format: connections::CheckFormat,
        /// Accounting files or directories, for the daily volume to Outlook and the pools
        /// that carry it.
        #[arg(value_name = "ACCT")]
        paths: Vec<PathBuf>,
    },
}

/// Tuning of the analyses (docs/analyses.md).
#[derive(Debug, Args, Clone)]
struct Tuning {
    /// Window a burst is measured over (30s, 5m, 1h).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    burst_window: i64,
    /// Fewest rows of a code within one window that can make a burst.
    #[arg(long, value_name = "N", default_value_t = 10)]
    burst_min: u64,
    /// Also detect bursts of this code (RP-001, 4.7.650, 5.7.1-blocklist, 421 ...); repeatable.
    /// RP-002 bursts are always detected.
    #[arg(long = "burst-code", value_name = "CODE")]
    burst_codes: Vec<String>,
    /// Shortest acceptable retry after a 421 RP-001 (the article: 4h).
    #[arg(long, value_name = "DURATION", default_value = "4h", value_parser = parse_duration)]
    rp001_min_retry: i64,
    /// Microsoft SNDS data export (CSV) to join per sending IP.
    #[arg(long, value_name = "FILE")]
    snds: Option<PathBuf>,
}

impl Tuning {
    fn params(&self, classifier: &Classifier) -> anyhow::Result<AnalysisParams> {
        let mut codes = AnalysisParams::default().burst_codes;
        for c in &self.burst_codes {
            let code = classifier.parse_code(c).with_context(|| {
                format!("--burst-code {c}: not a rule id (RP-002, 4.7.650 ...) nor a status code")
            })?;
            let name = classifier.code_name(code);
            if !codes.contains(&name) {
                codes.push(name);
            }
        }
        anyhow::ensure!(
            self.burst_window >= 60,
            "--burst-window must be at least 1m"
        );
        anyhow::ensure!(self.burst_min >= 1, "--burst-min must be at least 1");
        Ok(AnalysisParams {
            burst_window: self.burst_window,
            burst_min: self.burst_min,
            burst_codes: codes,
            rp001_min_retry: self.rp001_min_retry,
            snds: self.snds.clone(),
        })
    }
}

/// `30s`, `5m`, `4h`, `1d`, `1h30m` or plain seconds, as seconds (see [`crate::duration`]).
fn parse_duration(s: &str) -> Result<i64, String> {
    crate::duration::parse_secs(s).map_err(|e| format!("`{}`: {e}", s.trim()))
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum RowsFormat {
    Raw,
    Ndjson,
    Rcpt,
}

/// Which rows: paths and a filter.
#[derive(Debug, Args, Clone)]
struct Select {
    /// Only rows matching EXPR: space-separated terms that must all hold, e.g.
    /// `domain=outlook.com code=RP-002,RP-001 since=-2h`. Fields: type vmta pool ip domain
    /// rcpt-domain code kind job diag since until; operators = != ~ (regex).
    #[arg(long = "where", value_name = "EXPR")]
    filter: Option<String>,
    /// Accounting files or directories (every acct*.csv and *.csv.gz inside, in rotation
    /// order); - reads standard input. Default: /var/log/pmta.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct Global {
    /// Worker threads for scanning (default: all cores; at most 4 per core). Output never
    /// depends on it.
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
    /// Read files instead of memory-mapping them (for logs truncated in place).
    #[arg(long, global = true)]
    no_mmap: bool,
    /// Print records, bytes, time, throughput and peak anonymous memory to stderr.
    #[arg(long, global = true)]
    stats: bool,
    /// Colour in the dashboard: auto honours `NO_COLOR`.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    // Accepted without the dashboard too, so scripts need not know how pmta-lens was built.
    #[cfg_attr(not(feature = "tui"), allow(dead_code))]
    color: Color,
    /// Extra response rules (a JSON array, see docs/rules.md), tried before the built-in ones.
    #[arg(long, global = true, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// Dashboard: keep reading as `PowerMTA` appends to the files and rotation adds new ones to a
    /// watched directory (about once a second; `p` pauses).
    #[arg(long)]
    follow: bool,
    /// low: nice 10 and I/O best-effort 7, so `PowerMTA` wins any contention on the host;
    /// normal: as started (benchmarks).
    #[arg(long, global = true, value_enum, default_value_t = priority::Priority::Low)]
    priority: priority::Priority,
    /// Chunk size in bytes for the parallel scan (tuning and tests).
    #[arg(long, global = true, hide = true, value_name = "BYTES")]
    chunk_size: Option<usize>,
    /// Heap the domains' rollups learned before `rows`, `export` or the dashboard may take
    /// before they go to disk (tuning and tests; default 24 MiB, `learn::LEARN_BYTES`).
    #[arg(long, global = true, hide = true, value_name = "BYTES")]
    learn_bytes: Option<usize>,
    #[command(flatten)]
    connections: connections::Args,
}

impl Global {
    fn learn_bytes(&self) -> usize {
        self.learn_bytes.unwrap_or(crate::learn::LEARN_BYTES)
    }
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Format {
    Text,
    Markdown,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Color {
    Auto,
    Always,
    Never,
}

/// The binary's entry point.
pub fn main() -> ExitCode {
    // `--generate` is read before clap: an argument clap knew of, hidden or not, would be
    // offered by the completions it generates.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(what) = generate::requested(&args) {
        return match what.and_then(generate::to_stdout) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                warn(format_args!("{e:#}"));
                ExitCode::from(2)
            }
        };
    }
    let cli = Cli::parse_from(args);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            warn(format_args!("{e:#}"));
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Before any thread starts (the pool, the dashboard's loader): threads inherit it.
    priority::apply(cli.global.priority);
    if cli.command.is_none() && stdout_is_terminal() {
        #[cfg(feature = "tui")]
        return dashboard::run(cli);
    }
    if cli.global.follow {
        warn("--follow is for the dashboard (stdout is not a terminal): ignored");
    }
    // Every command from here on writes its answer to stdout (but `metrics --out`): with
    // stdout closed it would be lost, so say so before the work rather than after.
    let to_file = match &cli.command {
        Some(Command::Metrics { args, .. }) => args.out.is_some(),
        Some(Command::Export { .. }) => true,
        _ => false,
    };
    if !to_file {
        stdout::ensure_open()?;
    }
    let pool = workers::pool(cli.global.threads)?;
    pool.install(|| dispatch(cli))
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let opts = ScanOptions {
        chunk_size: cli.global.chunk_size.unwrap_or(DEFAULT_CHUNK_SIZE),
        mmap: !cli.global.no_mmap,
        progress: None,
        // A command may read the files more than once (the analyses' follow-up, the connection
        // estimate): map each once.
        maps: Some(Arc::default()),
    };
    // `pmta-lens --where X rows FILE` parses (the bare command's flags come before any
    // command), but the command reads its own: say so rather than ignore them.
    if let Some(cmd) = &cli.command {
        let name = match cmd {
            Command::Summary { .. } => "summary",
            Command::Rows { .. } => "rows",
            Command::Metrics { .. } => "metrics",
            Command::Export { .. } => "export",
            Command::CheckConfig { .. } => "check-config",
        };
        for (flag, given) in [
            ("--where", cli.select.filter.is_some()),
            ("--snds", cli.tuning.snds.is_some()),
            ("--burst-code", !cli.tuning.burst_codes.is_empty()),
        ] {
            anyhow::ensure!(
                !given,
                "{flag} goes after the command: pmta-lens {name} {flag} ..."
            );
        }
    }
    // The core keeps its warnings (a copy of standard input it could not keep) as values: shown
    // here once the command is done, whatever its outcome.
    let maps = opts.maps.clone();
    let result = match cli.command {
        Some(Command::Summary {
            format,
            select,
            tuning,
        }) => summary(&select, &tuning, format, &opts, &cli.global),
        Some(Command::Rows {
            format,
            follow,
            select,
        }) => {
            // One pass: nothing to share, and standard input need not be kept.
            let once = ScanOptions { maps: None, ..opts };
            rows(&select, format, follow, &once, &cli.global)
        }
        Some(Command::Metrics {
            args,
            select,
            tuning,
        }) => {
            metrics::check(&args)?;
            summarized(&select, &tuning, &opts, &cli.global, |s, x| {
                metrics::write(&args, s, x)
            })
        }
        Some(Command::Export { args, select }) => export::run(&args, &select, &opts, &cli.global),
        Some(Command::CheckConfig {
            daily_volume,
            format,
            paths,
        }) => {
            // The check classifies no responses, but a --rules naming nothing is a mistake.
            connections::check_unused_path("--rules", cli.global.rules.as_deref())?;
            connections::check_config(&cli.global.connections, daily_volume, format, &paths, &opts)
        }
        // Not a terminal (or built without the dashboard): the summary.
        None => summary(&cli.select, &cli.tuning, Format::Text, &opts, &cli.global),
    };
    for w in maps.iter().flat_map(|m| m.take_warnings()) {
        warn(w);
    }
    result
}

/// Paths and filter, checked; input problems printed.
struct Prepared {
    inputs: Vec<Input>,
    filter: Filter,
    classifier: Classifier,
    had_errors: bool,
}

/// The built-in rule table, with the user's rules first when `--rules` names a file.
fn classifier(rules: Option<&std::path::Path>) -> anyhow::Result<Classifier> {
    let Some(path) = rules else {
        return Ok(Classifier::builtin());
    };
    let text = crate::config::side_file::read(path, crate::config::side_file::RULES)
        .with_context(|| format!("reading rules from {}", path.display()))?;
    let specs = serde_json::from_slice(&text)
        .with_context(|| format!("{}: not a JSON array of rules", path.display()))?;
    Classifier::with_rules(specs).with_context(|| format!("{}", path.display()))
}

fn prepare(select: &Select, global: &Global) -> anyhow::Result<Prepared> {
    let classifier = classifier(global.rules.as_deref())?;
    let filter = match &select.filter {
        Some(expr) => Filter::parse(expr, &classifier, chrono::Utc::now())?,
        None => Filter::default(),
    };
    let (inputs, errors) = discover(&select.paths);
    for e in &errors {
        warn(access::explain(e));
    }
    if inputs.is_empty() {
        anyhow::bail!("nothing to read");
    }
    Ok(Prepared {
        inputs,
        filter,
        classifier,
        had_errors: !errors.is_empty(),
    })
}

/// Prints what went wrong with inputs; true if anything did.
fn report_errors(report: &ScanReport) -> bool {
    for e in &report.errors {
        warn(access::explain(e));
    }
    !report.errors.is_empty()
}

/// Says on stderr how many malformed rows `rows` skipped and the first of them (`summary` lists
/// up to 20): rows are never dropped without a word. True if there were any.
fn report_malformed(report: &ScanReport) -> bool {
    match malformed_note(report.malformed, &report.malformed_samples) {
        Some(note) => {
            warn(note);
            true
        }
        None => false,
    }
}

/// `N malformed rows skipped; the first: FILE:LINE: REASON (...)`, for the commands that do not
/// list them (`rows`, the dashboard once it closes); `None` when there were none.
pub fn malformed_note(n: u64, samples: &[crate::scan::Malformed]) -> Option<String> {
    if n == 0 {
        return None;
    }
    let first = samples
        .first()
        .map(|m| format!("; the first: {m}"))
        .unwrap_or_default();
    Some(format!(
        "{} skipped{first} (`pmta-lens summary` on the same files lists them)",
        crate::fmt::counted(n, "malformed row")
    ))
}

fn summary(
    select: &Select,
    tuning: &Tuning,
    format: Format,
    opts: &ScanOptions,
    global: &Global,
) -> anyhow::Result<ExitCode> {
    summarized(select, tuning, opts, global, |s, _| {
        match format {
            Format::Text => stdout::write_text(&text::render(s, text::Style::Text))?,
            Format::Markdown => stdout::write_text(&text::render(s, text::Style::Markdown))?,
            // Written as it is serialised: no copy of a large sender's destinations in memory.
            // JSON escapes control characters itself.
            Format::Json => {
                let stdout = io::stdout();
                let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
                stdout::check(json::write(s, &mut out).and_then(|()| out.flush()))?;
            }
        }
        Ok(())
    })
}

/// What a report made from the summary needs besides the summary itself.
struct Summarized<'a> {
    aggregates: &'a crate::aggregate::Aggregates,
    classifier: &'a Classifier,
    params: &'a AnalysisParams,
    /// The scan, analyses and connections, timed.
    elapsed: std::time::Duration,
}

/// The summary's one scan, its analyses and the connection budget, problems said on stderr;
/// `render` makes the report (`summary`, `metrics`). Exit code 2 when an input failed.
fn summarized(
    select: &Select,
    tuning: &Tuning,
    opts: &ScanOptions,
    global: &Global,
    render: impl FnOnce(&Summary<'_>, &Summarized<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<ExitCode> {
    let p = prepare(select, global)?;
    let params = tuning.params(&p.classifier)?;
    let setup = connections::load(&global.connections, &select.paths)?;
    let sampler = global.stats.then(stats::MemorySampler::start);
    let started = Instant::now();
    let plan = setup.plan();
    let rollup = &plan.rollup;
    let (result, analyses, rows) = connections::scan_and_analyze(
        &p.inputs,
        opts,
        &p.classifier,
        &p.filter,
        &plan,
        &params,
        &setup,
    );
    let (budget, log_failed) = connections::for_summary(
        &setup,
        &result,
        rows.as_ref(),
        rollup,
        &p.classifier,
        &p.inputs,
        opts,
        !p.filter.is_empty(),
    );
    let elapsed = started.elapsed();
    // The inputs are read for the last time: their mappings' teardown goes on beside the report.
    if let Some(maps) = &opts.maps {
        maps.release_in_background();
    }
    let mut failed = report_errors(&result.report) | p.had_errors | log_failed;
    if let Some(snds) = &analyses.snds {
        for m in &snds.malformed {
            warn(format_args!(
                "{}:{}: {} (SNDS line skipped)",
                m.path, m.line, m.reason
            ));
        }
        if let Some(e) = &snds.error {
            warn(format_args!("--snds {e}"));
            failed = true;
        }
    }
    let mut s = Summary::build(&result, &analyses, &p.classifier, &p.filter);
    // Without a config, a log or budget flags there is nothing to hold connections against:
    // the report says how to get the section rather than print default budgets against zero.
    s.budget = setup.has_budget_source().then_some(budget);
    render(
        &s,
        &Summarized {
            aggregates: &result.aggregates,
            classifier: &p.classifier,
            params: &params,
            elapsed,
        },
    )?;
    if let Some(sampler) = sampler {
        stats::print(&result.report, elapsed, sampler.stop());
    }
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn rows(
    select: &Select,
    format: RowsFormat,
    follow: bool,
    opts: &ScanOptions,
    global: &Global,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        !(follow && format == RowsFormat::Rcpt),
        "--follow prints rows as they come: not with --format rcpt, which lists each recipient once"
    );
    // `rows` reads no PowerMTA log, but a --pmta-log naming nothing is still a mistake.
    connections::check_unused_path("--pmta-log", global.connections.pmta_log.as_deref())?;
    let p = prepare(select, global)?;
    let plan = connections::load(&global.connections, &select.paths)?.plan();
    let sampler = global.stats.then(stats::MemorySampler::start);
    let started = Instant::now();
    // `domain=` needs every domain's rollup, learned from the whole input first; so does the
    // `domain` of each JSON row. In bounded memory: past the budget the learned domains go to
    // a hidden directory of $TMPDIR (stdout is the output: there is no directory of ours).
    let learned = if p.filter.needs_domain() || format == RowsFormat::Ndjson {
        Some(learn::rollups_in_temp_dir(
            &p.inputs,
            opts,
            &p.classifier,
            &plan.rollup,
            global.learn_bytes(),
        )?)
    } else {
        None
    };
    let domain_map = learned.as_ref().map(|l| l as &dyn scan::DomainLookup);
    let eng = Engine {
        classifier: &p.classifier,
        filter: &p.filter,
        rollup: &plan.rollup,
        domain_map,
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let default_dir = [std::path::PathBuf::from(crate::acct::discover::DEFAULT_DIR)];
    let never = std::sync::atomic::AtomicBool::new(false);
    let follow = follow.then(|| scan::Follow {
        paths: if select.paths.is_empty() {
            &default_dir
        } else {
            &select.paths
        },
        every: std::time::Duration::from_secs(1),
        stop: &never,
    });
    let (written, report) = match format {
        RowsFormat::Raw => scan::rows_following(&p.inputs, opts, &eng, follow.as_ref(), &mut out),
        RowsFormat::Ndjson => {
            let sink = crate::output::ndjson::Ndjson {
                classifier: &p.classifier,
                rollup: &plan.rollup,
                domain_map,
            };
            let mut w = crate::output::ndjson::Writer::new(&mut out);
            let (r, report) = scan::deliver(&p.inputs, opts, &eng, &sink, follow.as_ref(), &mut w);
            (r.map(|()| w.written), report)
        }
        RowsFormat::Rcpt => {
            let (list, report) = analysis::complaints::recipient_list(&p.inputs, opts, &eng);
            let written = list
                .iter()
                .try_for_each(|r| writeln!(out, "{r}"))
                .map(|()| list.len() as u64);
            (written, report)
        }
    };
    let written = written.and_then(|n| out.flush().map(|()| n));
    // The reader closed the pipe (`| head -1`): it has what it wanted, and the rest of the
    // scan was cut short, so there is nothing complete to report.
    if let Err(e) = &written
        && e.kind() == io::ErrorKind::BrokenPipe
    {
        return Ok(ExitCode::SUCCESS);
    }
    let failed = report_errors(&report) | report_malformed(&report) | p.had_errors;
    if let Some(sampler) = sampler {
        stats::print(&report, started.elapsed(), sampler.stop());
        if let Some(l) = learned.as_ref().filter(|l| l.spilled()) {
            stats::spilled(l, global.learn_bytes());
        }
    }
    match written {
        Err(e) => Err(stdout::write_error(&e)),
        Ok(_) if failed => Ok(ExitCode::from(2)),
        Ok(0) => Ok(ExitCode::from(1)),
        Ok(_) => Ok(ExitCode::SUCCESS),
    }
}

/// Whether the bare command should open the dashboard.
pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

#[cfg(test)]
mod tests {
    use crate::scan::Malformed;

    #[test]
    fn the_malformed_note_names_the_first_row_and_its_count() {
        assert_eq!(malformed_note(0, &[]), None);
        let first = Malformed {
            path: "acct.csv".into(),
            line: 3,
            reason: "unterminated quoted field".into(),
        };
        assert_eq!(
            malformed_note(1, std::slice::from_ref(&first)).as_deref(),
            Some(
                "1 malformed row skipped; the first: acct.csv:3: unterminated quoted field \
                 (`pmta-lens summary` on the same files lists them)"
            )
        );
        assert_eq!(
            malformed_note(1_204, &[first])
                .as_deref()
                .map(|n| n.split(';').next()),
            Some(Some("1,204 malformed rows skipped"))
        );
    }

    use super::*;

    #[test]
    fn durations() {
        let cases: [(&str, Result<i64, ()>); 8] = [
            ("30s", Ok(30)),
            ("5m", Ok(300)),
            ("4h", Ok(14_400)),
            ("1d", Ok(86_400)),
            ("90", Ok(90)),
            ("5x", Err(())),
            ("m", Err(())),
            ("", Err(())),
        ];
        for (s, want) in cases {
            assert_eq!(parse_duration(s).map_err(|_| ()), want, "{s}");
        }
    }
}
