//! `pmta-lens` with no command on a terminal: the dashboard's command line. Checks there is an
//! input to read before the terminal is taken, starts the worker pool, runs `tui::run`, and
//! once the terminal is back says what the screen showed in passing (malformed rows, inputs
//! that could not be read) and picks the exit code, as `summary` does.

use std::process::ExitCode;
use std::sync::Arc;

use crate::acct::discover::{InputKind, discover};
use crate::error::InputError;

use super::stdout::warn;
use super::{Cli, Color, DEFAULT_CHUNK_SIZE, classifier, connections, malformed_note, workers};

/// Opens the dashboard (it runs its own worker pool, beside the UI thread).
pub(super) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let color = match cli.global.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let classifier = classifier(cli.global.rules.as_deref())?;
    let setup = connections::load(&cli.global.connections, &cli.select.paths)?;
    readable_inputs(&cli.select.paths)?;
    let pool = Arc::new(workers::pool(cli.global.threads)?);
    let ended = crate::tui::run(
        &crate::tui::Options {
            plan: setup.dashboard_plan(),
            budget: setup.has_budget().then(|| Arc::new(setup)),
            params: cli.tuning.params(&classifier)?,
            classifier,
            paths: cli.select.paths,
            filter: cli.select.filter,
            follow: cli.global.follow,
            color,
            chunk_size: cli.global.chunk_size.unwrap_or(DEFAULT_CHUNK_SIZE),
            mmap: !cli.global.no_mmap,
        },
        &pool,
    )?;
    // Counted on screen, named here once the terminal is back: file, line and reason.
    if let Some(note) = malformed_note(ended.malformed, &ended.malformed_samples) {
        warn(note);
    }
    // As `summary`: inputs that could not be read (seen in the Overview's scope) are said again
    // once the terminal is back, and the exit code is 2.
    match ended.result {
        Ok(code) if code == ExitCode::SUCCESS && !ended.errors.is_empty() => {
            for e in &ended.errors {
                warn(e);
            }
            Ok(ExitCode::from(2))
        }
        other => other,
    }
}

/// A file that cannot be opened is found out here, before the terminal is taken: with nothing
/// readable the dashboard would only show an empty screen and exit 0. Standard input and pipes
/// are read once, by the scan: never opened here.
fn readable_inputs(paths: &[std::path::PathBuf]) -> anyhow::Result<()> {
    let (inputs, errors) = discover(paths);
    let mut problems: Vec<String> = errors.iter().map(super::access::explain).collect();
    let readable = inputs
        .iter()
        .filter(|i| {
            if !matches!(i.kind, InputKind::Plain | InputKind::Gzip) {
                return true;
            }
            match std::fs::File::open(&i.path) {
                Ok(_) => true,
                Err(source) => {
                    let e = InputError::Io {
                        path: i.path.clone(),
                        source,
                    };
                    problems.push(super::access::explain(&e));
                    false
                }
            }
        })
        .count();
    if readable == 0 {
        for p in &problems {
            warn(p);
        }
        anyhow::bail!("nothing to read: no input could be read");
    }
    Ok(())
}
