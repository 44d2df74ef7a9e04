//! The command line: argument definitions, and the glue from arguments to the core and a front
//! end. Prints, reads the environment and chooses exit codes: the core does none of that.
//!
//! Exit codes (as ripgrep): 0 success; 1 `rows` matched nothing; 2 an error, including an input
//! that could not be read (reported after the rest was processed). A closed pipe exits 0.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::acct::chunk::DEFAULT_CHUNK_SIZE;
use crate::acct::discover::{Input, discover};
use crate::analysis::{self, AnalysisParams};
use crate::classify::Classifier;
use crate::filter::Filter;
use crate::output::summary::Summary;
use crate::output::{json, text};
use crate::rollup::Rollup;
use crate::scan::{self, Engine, ScanOptions, ScanReport};

mod stats;

#[derive(Debug, Parser)]
#[command(
    name = "pmta-lens",
    version,
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
    },
    /// Print the header and the original bytes of every matching row, for piping.
    Rows {
        #[command(flatten)]
        select: Select,
    },
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
    /// Worker threads for scanning (default: all cores). Output never depends on it.
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
    color: Color,
    /// Extra response rules (a JSON array, see docs/rules.md), tried before the built-in ones.
    #[arg(long, global = true, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// Dashboard: keep reading as `PowerMTA` appends to the files and rotation adds new ones to a
    /// watched directory (about once a second; `p` pauses).
    #[arg(long)]
    follow: bool,
    /// Chunk size in bytes for the parallel scan (tuning and tests).
    #[arg(long, global = true, hide = true, value_name = "BYTES")]
    chunk_size: Option<usize>,
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
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pmta-lens: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if cli.command.is_none() && stdout_is_terminal() {
        #[cfg(feature = "tui")]
        return dashboard(cli);
    }
    if cli.global.follow {
        eprintln!("pmta-lens: --follow is for the dashboard (stdout is not a terminal): ignored");
    }
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = cli.global.threads {
        anyhow::ensure!(n > 0, "--threads must be at least 1");
        builder = builder.num_threads(n);
    }
    let pool = builder.build().context("starting worker threads")?;
    pool.install(|| dispatch(cli))
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let opts = ScanOptions {
        chunk_size: cli.global.chunk_size.unwrap_or(DEFAULT_CHUNK_SIZE),
        mmap: !cli.global.no_mmap,
        progress: None,
    };
    let _ = cli.global.color;
    match cli.command {
        Some(Command::Summary { format, select }) => summary(&select, format, &opts, &cli.global),
        Some(Command::Rows { select }) => rows(&select, &opts, &cli.global),
        // Not a terminal (or built without the dashboard): the summary.
        None => summary(&cli.select, Format::Text, &opts, &cli.global),
    }
}

/// Opens the dashboard (it runs its own worker pool, beside the UI thread).
#[cfg(feature = "tui")]
fn dashboard(cli: Cli) -> anyhow::Result<ExitCode> {
    let color = match cli.global.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    crate::tui::run(&crate::tui::Options {
        classifier: classifier(cli.global.rules.as_deref())?,
        paths: cli.select.paths,
        filter: cli.select.filter,
        follow: cli.global.follow,
        color,
        threads: cli.global.threads,
        chunk_size: cli.global.chunk_size.unwrap_or(DEFAULT_CHUNK_SIZE),
        mmap: !cli.global.no_mmap,
    })
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
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading rules from {}", path.display()))?;
    let specs = serde_json::from_str(&text)
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
        eprintln!("pmta-lens: {e}");
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
        eprintln!("pmta-lens: {e} (skipped)");
    }
    !report.errors.is_empty()
}

fn summary(
    select: &Select,
    format: Format,
    opts: &ScanOptions,
    global: &Global,
) -> anyhow::Result<ExitCode> {
    let p = prepare(select, global)?;
    let sampler = global.stats.then(stats::MemorySampler::start);
    let started = Instant::now();
    let rollup = Rollup::default();
    let result = scan::run(&p.inputs, opts, &p.classifier, &p.filter, &rollup);
    let params = AnalysisParams::default();
    let analyses = analysis::analyze(&analysis::Context {
        inputs: &p.inputs,
        opts,
        classifier: &p.classifier,
        filter: &p.filter,
        rollup: &rollup,
        scan: &result,
        params: &params,
    });
    let elapsed = started.elapsed();
    let failed = report_errors(&result.report) | p.had_errors;
    let s = Summary::build(&result, &analyses, &p.classifier, &p.filter);
    let out = match format {
        Format::Text => text::render(&s, text::Style::Text),
        Format::Markdown => text::render(&s, text::Style::Markdown),
        Format::Json => json::render(&s),
    };
    write_stdout(out.as_bytes())?;
    if let Some(sampler) = sampler {
        stats::print(&result.report, elapsed, sampler.stop());
    }
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn rows(select: &Select, opts: &ScanOptions, global: &Global) -> anyhow::Result<ExitCode> {
    let p = prepare(select, global)?;
    let sampler = global.stats.then(stats::MemorySampler::start);
    let started = Instant::now();
    let rollup = Rollup::default();
    // `domain=` needs every domain's rollup, learned from the whole input first.
    let pre;
    let domain_map = if p.filter.needs_domain() {
        pre = scan::domain_map_of(&p.inputs, opts, &p.classifier, &rollup);
        Some(&pre)
    } else {
        None
    };
    let eng = Engine {
        classifier: &p.classifier,
        filter: &p.filter,
        rollup: &rollup,
        domain_map,
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let (written, report) = scan::rows(&p.inputs, opts, &eng, &mut out);
    let written = written.and_then(|n| out.flush().map(|()| n));
    let failed = report_errors(&report) | p.had_errors;
    if let Some(sampler) = sampler {
        stats::print(&report, started.elapsed(), sampler.stop());
    }
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("writing to stdout"),
        Ok(_) if failed => Ok(ExitCode::from(2)),
        Ok(0) => Ok(ExitCode::from(1)),
        Ok(_) => Ok(ExitCode::SUCCESS),
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to stdout"),
    }
}

/// Whether the bare command should open the dashboard.
pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}
