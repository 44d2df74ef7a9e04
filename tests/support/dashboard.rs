//! What the dashboard tests share: the sample logs, a fixed clock, the loader's spec as the
//! command line builds it, an app as the runtime makes one, and a scan handed to the app
//! snapshot by snapshot.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Utc};
use pmta_lens::analysis::AnalysisParams;
use pmta_lens::classify::Classifier;
use pmta_lens::cli::connections::{self as conn_cli, Args as ConnArgs};
use pmta_lens::filter::Filter;
use pmta_lens::rollup::Rollup;
use pmta_lens::tui::action::Action;
use pmta_lens::tui::app::{App, Session};
use pmta_lens::tui::loader::{self, Scanner, Spec};
use pmta_lens::tui::theme::Theme;

pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs")
}

/// A fixed clock, so relative filter times and snapshots never depend on when tests run.
pub fn fixed_now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_305_600, 0).expect("valid time") // 2026-11-22 00:00 UTC
}

/// The loader's spec for `paths`; `budget`: the connection budget as the dashboard finds it
/// (sample-logs has a pmta-config and a pmta-log), else none. Small blocks: the sample files
/// are read in several, as big files are.
pub fn spec(
    paths: Vec<PathBuf>,
    filter: Filter,
    follow: bool,
    chunk_size: usize,
    budget: bool,
) -> Spec {
    // relative to the crate, as a user types it, so the budget's sources in the snapshots name
    // the same files on every machine
    let rel: Vec<PathBuf> = paths
        .iter()
        .map(|p| {
            p.strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .map_or_else(|_| p.clone(), Path::to_path_buf)
        })
        .collect();
    let setup = budget.then(|| conn_cli::load(&ConnArgs::default(), &rel).expect("setup"));
    Spec {
        paths,
        filter,
        follow,
        chunk_size,
        block: 10_000,
        mmap: true,
        row_cap: loader::ROW_CAP,
        classifier: Arc::new(Classifier::builtin()),
        plan: pmta_lens::connections::plan(
            Rollup::default(),
            setup.as_ref().and_then(|s| s.config.as_ref()),
        ),
        params: AnalysisParams::default(),
        budget: setup
            .filter(pmta_lens::connections::Setup::has_budget)
            .map(Arc::new),
        panic_in_worker: false,
    }
}

/// An app as the runtime makes one, sized `w` x `h`, before any scan.
pub fn new_app(color: bool, follow: bool, w: u16, h: u16) -> App {
    let mut app = App::new(
        Session {
            classifier: Arc::new(Classifier::builtin()),
            theme: Theme { color },
            follow,
            now: fixed_now,
            source: "sample-logs/".into(),
        },
        Filter::default(),
    );
    app.update(Action::Resize(w, h));
    app
}

/// Runs `spec`'s scan and hands the app every snapshot, as the runtime does.
pub fn scan_into(app: &mut App, spec: Spec) {
    let mut s = Scanner::new(spec, app.generation, None);
    let mut snaps = Vec::new();
    assert!(s.initial(&AtomicBool::new(false), |snap| snaps.push(snap)));
    for snap in snaps {
        app.update(Action::Loaded(Box::new(snap)));
    }
}
