//! The terminal dashboard: a front end on the scanning core (it never touches `output`). The
//! screen appears at once; the scan runs on a background thread ([`loader`]) and the views fill
//! in from its snapshots. Keys become [`action::Action`]s, [`app::App::update`] is the only
//! place state changes, and [`views::draw`] is a pure function of the state, so tests drive and
//! render the dashboard without a terminal (`render`, in a build with `testing`).

pub mod action;
pub mod app;
pub mod data;
pub mod derive;
mod event;
pub mod findings;
pub mod keys;
pub mod loader;
pub mod prompt;
pub mod reader;
pub mod state;
mod terminal;
pub mod theme;
pub mod views;
pub mod widgets;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use anyhow::Context as _;
use ratatui::crossterm::event::Event as TermEvent;

use self::action::{Action, ProgressView};
use self::app::{App, Session};
use self::event::{Event, Events};
use self::loader::{Loader, Msg, Spec};
use self::theme::Theme;
use crate::analysis::AnalysisParams;
use crate::classify::Classifier;
use crate::filter::Filter;
use crate::scan::Malformed;

/// How the dashboard was asked for on the command line.
#[derive(Clone, Debug)]
pub struct Options {
    /// The rule table (with `--rules`, the user's first).
    pub classifier: Classifier,
    /// The analyses' tuning (`--burst-window`, `--snds`...).
    pub params: AnalysisParams,
    pub paths: Vec<PathBuf>,
    pub filter: Option<String>,
    pub follow: bool,
    pub color: bool,
    pub chunk_size: usize,
    pub mmap: bool,
    /// What the scan counts: the config's rollups ahead of the built-in ones and its pools (as
    /// the summary uses them).
    pub plan: Arc<crate::aggregate::Plan>,
    /// The connection budget's sources, when there are any.
    pub budget: Option<Arc<crate::connections::Setup>>,
}

/// Wall-clock time, for relative filter times typed at the prompt.
fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// What the title line calls the inputs.
pub fn source_label(paths: &[PathBuf]) -> String {
    match paths {
        [] => crate::acct::discover::DEFAULT_DIR.to_string(),
        [one] => one.display().to_string(),
        [first, rest @ ..] => format!("{} +{}", first.display(), rest.len()),
    }
}

/// What the dashboard leaves for the command line to say once the terminal is back.
#[derive(Debug)]
pub struct Ended {
    /// How the session ended: the exit code when the operator quit, or what stopped it.
    pub result: anyhow::Result<ExitCode>,
    /// The malformed rows counted on screen, to be named (file, line, reason).
    pub malformed: u64,
    pub malformed_samples: Vec<Malformed>,
    /// Inputs that could not be read, as messages.
    pub errors: Vec<String>,
}

/// Runs the dashboard on `pool` until the operator quits. Errors are what stops it from
/// starting (the filter, the terminal); the rest comes back in [`Ended`], for the command line
/// to print once the terminal is restored. The caller checks beforehand that there is an input
/// to read.
pub fn run(o: &Options, pool: &Arc<rayon::ThreadPool>) -> anyhow::Result<Ended> {
    let classifier = Arc::new(o.classifier.clone());
    let filter = match &o.filter {
        Some(expr) => Filter::parse(expr, &classifier, now())?,
        None => Filter::default(),
    };
    crate::allocator::one_allocator_arena();
    let spec = Spec {
        paths: o.paths.clone(),
        filter: filter.clone(),
        follow: o.follow,
        chunk_size: o.chunk_size,
        block: loader::BLOCK,
        mmap: o.mmap,
        row_cap: loader::ROW_CAP,
        classifier: Arc::clone(&classifier),
        plan: Arc::clone(&o.plan),
        params: o.params.clone(),
        budget: o.budget.clone(),
        #[cfg(feature = "testing")]
        panic_in_worker: std::env::var_os("PMTA_LENS_TEST_PANIC").is_some(),
    };
    let mut app = App::new(
        Session {
            classifier,
            theme: Theme { color: o.color },
            follow: o.follow,
            now,
            source: source_label(&o.paths),
        },
        filter,
    );
    let (mut term, guard) = terminal::init().context("opening the terminal")?;
    let size = term.size().context("reading the terminal size")?;
    app.update(Action::Resize(size.width, size.height));
    let result = main_loop(&mut term, &mut app, &spec, pool);
    drop(guard);
    let report = &app.data.report;
    Ok(Ended {
        result,
        malformed: report.scan.malformed,
        malformed_samples: report.scan.malformed_samples.clone(),
        errors: report.problems.clone(),
    })
}

fn main_loop(
    term: &mut terminal::Term,
    app: &mut App,
    spec: &Spec,
    pool: &Arc<rayon::ThreadPool>,
) -> anyhow::Result<ExitCode> {
    let events = Events::start();
    let start = |spec: Spec, generation: u64| -> Loader {
        let tx = events.tx.clone();
        loader::spawn(spec, generation, Arc::clone(pool), move |m| {
            tx.send(Event::Loader(m)).is_ok()
        })
    };
    let mut loader = start(spec.clone(), app.generation);
    let mut failed = None;
    loop {
        if terminal::panicked() {
            // The hook restored the terminal and printed the panic. A scan worker's panic also
            // comes as a message from the loader: wait a moment for it, to say what stopped.
            if failed.is_none()
                && let Ok(Event::Loader(Msg::Failed(m))) =
                    events.rx.recv_timeout(Duration::from_millis(500))
            {
                failed = Some(m);
            }
            failed = failed.or_else(|| Some("a panic stopped the dashboard".into()));
            break;
        }
        if let Some(_frame) = terminal::frame() {
            term.draw(|f| views::draw(app, f.area(), f.buffer_mut()))?;
        } else {
            continue;
        }
        // a search going on takes a frame's worth a turn: no waiting for a key between turns
        let wait = if app.rows.scan.is_some() { 0 } else { 250 };
        let first = match events.rx.recv_timeout(Duration::from_millis(wait)) {
            Ok(e) => Some(e),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut batch: Vec<Event> = first.into_iter().collect();
        batch.extend(events.rx.try_iter());
        for e in batch {
            let action = match e {
                Event::Term(TermEvent::Key(k)) => action::for_key(app, k),
                Event::Term(TermEvent::Resize(w, h)) => Some(Action::Resize(w, h)),
                Event::Term(_) => None,
                Event::Loader(Msg::Snapshot(s)) => Some(Action::Loaded(s)),
                Event::Loader(Msg::Failed(m)) => {
                    failed = Some(m);
                    Some(Action::Quit)
                }
            };
            if let Some(a) = action {
                app.update(a);
            }
        }
        if let Some(seq) = app.rows.clipboard.take() {
            // OSC 52: the terminal puts the text on its clipboard (nothing on the screen)
            use std::io::Write as _;
            let out = term.backend_mut();
            out.write_all(seq.as_bytes())
                .and_then(|()| out.flush())
                .context("writing to the terminal")?;
        }
        let p = &loader.progress;
        let load = std::sync::atomic::Ordering::Relaxed;
        app.update(Action::Tick(ProgressView {
            bytes_done: p.bytes_done.load(load),
            bytes_total: p.bytes_total.load(load),
            records: p.records.load(load),
            elapsed_ms: loader.started.elapsed().as_millis() as u64,
        }));
        if let Some(filter) = app.take_rescan() {
            loader.cancel();
            loader = start(
                Spec {
                    filter,
                    ..spec.clone()
                },
                app.generation,
            );
        }
        loader.set_paused(app.paused);
        if app.quit {
            break;
        }
    }
    drop(loader);
    match failed {
        Some(m) => {
            terminal::restore();
            anyhow::bail!("the scan failed: {m}")
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

/// Draws the app into a buffer of `width` x `height` (tests, snapshots; with `testing` only).
#[cfg(any(test, feature = "testing"))]
pub fn render_buffer(app: &App, width: u16, height: u16) -> ratatui::buffer::Buffer {
    use ratatui::{Terminal, backend::TestBackend};
    let mut term = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    let _ = term.draw(|f| views::draw(app, f.area(), f.buffer_mut()));
    term.backend().buffer().clone()
}

/// Draws the app and returns the screen as text, one line per row, trailing spaces trimmed
/// (tests, snapshots; with `testing` only).
#[cfg(any(test, feature = "testing"))]
pub fn render(app: &App, width: u16, height: u16) -> String {
    let buf = render_buffer(app, width, height);
    let mut out = String::new();
    for line in widgets::buffer_lines(&buf) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}
