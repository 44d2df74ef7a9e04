//! The dashboard without a terminal: every view rendered from sample-logs into ratatui's
//! `TestBackend` and compared with snapshots (80x24 and 140x40, empty data, a filtered state),
//! state changes driven through actions (filter, drill-down, sort, grouping, zoom, bursts), and
//! `--follow` through the loader (appends, an unfinished line, rotation to a new file).
#![cfg(feature = "tui")]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use pmta_lens::analysis::AnalysisParams;
use pmta_lens::classify::Classifier;
use pmta_lens::cli::connections::{Args as ConnArgs, Setup};
use pmta_lens::filter::Filter;
use pmta_lens::rollup::Rollup;
use pmta_lens::tui::action::Action;
use pmta_lens::tui::app::{App, Group, Session, View};
use pmta_lens::tui::data::Snapshot;
use pmta_lens::tui::loader::{self, Msg, Scanner, Spec};
use pmta_lens::tui::theme::Theme;
use pmta_lens::tui::{render, render_buffer};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs")
}

/// A fixed clock, so relative filter times and snapshots never depend on when tests run.
fn fixed_now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_305_600, 0).expect("valid time") // 2026-11-22 00:00 UTC
}

fn spec(paths: Vec<PathBuf>, filter: Filter, follow: bool) -> Spec {
    // the budget as the dashboard finds it: sample-logs has a pmta-config and a pmta-log
    // (relative to the crate, as a user types it, so the budget's sources in the snapshots name
    // the same files on every machine)
    let rel: Vec<PathBuf> = paths
        .iter()
        .map(|p| {
            p.strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .map_or_else(|_| p.clone(), Path::to_path_buf)
        })
        .collect();
    let setup = Setup::load(&ConnArgs::default(), &rel).expect("setup");
    Spec {
        paths,
        filter,
        follow,
        chunk_size: 4096,
        // small blocks: the sample files are read in several, as big files are
        block: 10_000,
        mmap: true,
        row_cap: loader::ROW_CAP,
        classifier: Arc::new(Classifier::builtin()),
        plan: pmta_lens::connections::plan(Rollup::default(), setup.config.as_ref()),
        params: AnalysisParams::default(),
        budget: setup.has_budget().then(|| Arc::new(setup)),
        panic_in_worker: false,
    }
}

fn new_app(color: bool) -> App {
    let mut app = App::new(
        Session {
            classifier: Arc::new(Classifier::builtin()),
            theme: Theme { color },
            follow: false,
            now: fixed_now,
            source: "sample-logs/".into(),
        },
        Filter::default(),
    );
    app.update(Action::Resize(80, 24));
    app
}

/// Scans `paths` for the app's current filter and hands it every snapshot, as the runtime does.
fn scan(app: &mut App, paths: &[PathBuf]) {
    let mut s = Scanner::new(
        spec(paths.to_vec(), app.filter.clone(), false),
        app.generation,
        None,
    );
    let mut snaps = Vec::new();
    assert!(s.initial(&AtomicBool::new(false), |snap| snaps.push(snap)));
    for snap in snaps {
        app.update(Action::Loaded(Box::new(snap)));
    }
}

/// Runs the rescan the app asked for, if any.
fn settle(app: &mut App) {
    if app.take_rescan().is_some() {
        scan(app, &[samples()]);
    }
}

fn loaded() -> App {
    let mut app = new_app(false);
    scan(&mut app, &[samples()]);
    app
}

fn act(app: &mut App, actions: impl IntoIterator<Item = Action>) {
    for a in actions {
        app.update(a);
        settle(app);
    }
}

fn snapshot(name: &str, app: &mut App, w: u16, h: u16) {
    app.update(Action::Resize(w, h));
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(app, w, h));
}

#[test]
fn every_view_renders_at_80x24_and_140x40() {
    let mut app = loaded();
    for (i, v) in View::ALL.into_iter().enumerate() {
        app.update(Action::Show(v));
        for (w, h) in [(80, 24), (140, 40)] {
            snapshot(
                &format!("{}_{}", i + 1, v.title().to_lowercase()),
                &mut app,
                w,
                h,
            );
        }
    }
}

#[test]
fn connections_j_k_select_a_destination_and_pool() {
    let mut app = loaded();
    act(&mut app, [Action::Show(View::Connections), Action::Down]);
    snapshot("connections_second_row", &mut app, 140, 40);
}

#[test]
fn details_help_and_expanded_rollup_render() {
    let mut app = loaded();
    act(
        &mut app,
        [Action::Show(View::Rows), Action::Down, Action::Enter],
    );
    snapshot("rows_detail", &mut app, 80, 24);
    act(
        &mut app,
        [Action::Cancel, Action::Show(View::Domains), Action::Right],
    );
    snapshot("domains_expanded", &mut app, 80, 24);
    act(&mut app, [Action::Help]);
    snapshot("help", &mut app, 80, 24);
}

#[test]
fn empty_data_renders() {
    let mut app = new_app(false);
    for v in [View::Overview, View::Codes, View::Timeline, View::Rows] {
        app.update(Action::Show(v));
        snapshot(
            &format!("before_scan_{}", v.title().to_lowercase()),
            &mut app,
            80,
            24,
        );
    }
    // without a budget source (the files alone, no config): what the view needs
    let mut app = new_app(false);
    let files: Vec<PathBuf> = ["acct-2026-11-20-0000.csv", "acct-2026-11-20-0001.csv"]
        .iter()
        .map(|f| samples().join(f))
        .collect();
    scan(&mut app, &files);
    app.update(Action::Show(View::Connections));
    snapshot("no_budget_connections", &mut app, 80, 24);
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("acct-empty.csv");
    std::fs::write(&empty, b"").expect("write");
    let mut app = new_app(false);
    scan(&mut app, &[empty]);
    for v in [View::Overview, View::Senders, View::Timeline] {
        app.update(Action::Show(v));
        snapshot(
            &format!("no_rows_{}", v.title().to_lowercase()),
            &mut app,
            80,
            24,
        );
    }
}

#[test]
fn a_filtered_state_renders() {
    let mut app = loaded();
    act(&mut app, [Action::OpenPrompt]);
    for c in "domain=outlook.com code=RP-002".chars() {
        app.update(Action::PromptChar(c));
    }
    act(&mut app, [Action::PromptSubmit]);
    for v in [View::Overview, View::Senders, View::Rows] {
        app.update(Action::Show(v));
        snapshot(
            &format!("filtered_{}", v.title().to_lowercase()),
            &mut app,
            80,
            24,
        );
    }
}

#[test]
fn no_color_uses_no_colour_and_color_does() {
    use ratatui::style::Color;
    for color in [false, true] {
        let mut app = new_app(color);
        scan(&mut app, &[samples()]);
        let buf = render_buffer(&app, 80, 24);
        let coloured = buf
            .content()
            .iter()
            .any(|c| c.fg != Color::Reset || c.bg != Color::Reset);
        assert_eq!(coloured, color, "color {color}");
    }
}

#[test]
fn the_filter_prompt_applies_shows_errors_and_esc_clears() {
    let mut app = loaded();
    assert_eq!(app.data.aggregates.records, 575);
    act(&mut app, [Action::OpenPrompt]);
    for c in "ip=192.0.2.10 foo=bar".chars() {
        app.update(Action::PromptChar(c));
    }
    act(&mut app, [Action::PromptSubmit]);
    let err = app
        .prompt
        .as_ref()
        .and_then(|p| p.error.clone())
        .expect("an error");
    assert!(err.contains("`foo=bar`"), "{err}");
    assert!(app.filter.is_empty(), "a bad filter changes nothing");
    assert!(render(&app, 80, 24).contains("bad filter term `foo=bar`"));
    for _ in 0.." foo=bar".len() {
        app.update(Action::PromptBackspace);
    }
    act(&mut app, [Action::PromptSubmit]);
    assert!(app.prompt.is_none());
    assert_eq!(app.filter.as_str(), "ip=192.0.2.10");
    let by_ip = app.data.aggregates.records;
    assert!(by_ip > 0 && by_ip < 575, "{by_ip}");
    assert!(render(&app, 80, 24).contains("filter: ip=192.0.2.10"));
    act(&mut app, [Action::Cancel]);
    assert!(app.filter.is_empty());
    assert_eq!(app.data.aggregates.records, 575);
    act(&mut app, [Action::Back]);
    assert_eq!(
        app.filter.as_str(),
        "ip=192.0.2.10",
        "Backspace undoes the clear"
    );
}

#[test]
fn drilling_down_from_codes_senders_and_domains_opens_rows_and_back_returns() {
    let mut app = loaded();
    act(&mut app, [Action::Show(View::Codes)]);
    assert_eq!(app.derived.codes[0].name, "RP-002");
    act(&mut app, [Action::Enter]);
    assert_eq!(app.view, View::Rows);
    assert_eq!(app.filter.as_str(), "code=RP-002");
    assert_eq!(app.data.aggregates.records, 52);
    assert_eq!(app.data.rows.len, 52);
    let first = app.row(0).expect("parsed");
    assert!(
        first
            .get(pmta_lens::acct::header::Col::DsnDiag)
            .contains("RP-002")
    );
    // the field view, then back to the list, then back to Codes without the filter
    act(&mut app, [Action::Enter]);
    assert!(app.detail);
    act(&mut app, [Action::Back]);
    assert!(!app.detail);
    act(&mut app, [Action::Back]);
    assert_eq!((app.view, app.filter.as_str()), (View::Codes, ""));

    act(&mut app, [Action::Show(View::Senders), Action::Group]);
    assert_eq!(app.group, Group::SourceIp);
    let ip = app.derived.senders[0].key.to_string();
    act(&mut app, [Action::Enter]);
    assert_eq!(app.filter.as_str(), format!("ip={ip}"));
    assert_eq!(app.data.aggregates.records, app.data.rows.len as u64);
    act(&mut app, [Action::Back]);

    act(&mut app, [Action::Show(View::Domains)]);
    let outlook = &app.derived.domains[0];
    assert_eq!(&*outlook.line.key, "outlook.com");
    let members = outlook.members.len();
    assert_eq!(members, 10, "every Microsoft consumer domain rolls up");
    let before = app.derived.domain_lines.len();
    act(&mut app, [Action::Right]);
    assert_eq!(app.derived.domain_lines.len(), before + members);
    act(&mut app, [Action::Down]);
    let member = app.drill_term().expect("a member");
    assert!(member.starts_with("rcpt-domain="), "{member}");
    act(&mut app, [Action::Enter]);
    assert_eq!(app.filter.as_str(), member);
    act(&mut app, [Action::Back, Action::Left]);
    assert_eq!(app.derived.domain_lines.len(), before);
    act(&mut app, [Action::Enter]);
    assert_eq!(app.filter.as_str(), "domain=outlook.com");
    assert_eq!(app.data.aggregates.records, 398);
}

#[test]
fn s_cycles_the_sort_column_and_r_reverses() {
    let mut app = loaded();
    act(&mut app, [Action::Show(View::Codes)]);
    let by_count: Vec<u64> = app
        .derived
        .codes
        .iter()
        .map(pmta_lens::tui::app::CodeRow::total)
        .collect();
    assert!(by_count.windows(2).all(|w| w[0] >= w[1]));
    act(&mut app, [Action::SortNext]);
    let names: Vec<String> = app.derived.codes.iter().map(|c| c.name.clone()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "second column: code");
    act(&mut app, [Action::SortReverse]);
    let names: Vec<String> = app.derived.codes.iter().map(|c| c.name.clone()).collect();
    sorted.reverse();
    assert_eq!(names, sorted);
    act(&mut app, [Action::Show(View::Senders), Action::SortNext]);
    let keys: Vec<String> = app
        .derived
        .senders
        .iter()
        .map(|l| l.key.to_string())
        .collect();
    let mut k2 = keys.clone();
    k2.sort();
    assert_eq!(keys, k2);
}

#[test]
fn the_timeline_starts_at_the_busiest_minute_and_zooms_to_a_marked_span() {
    let mut app = loaded();
    act(&mut app, [Action::Show(View::Timeline)]);
    let sel = app.lists[View::Timeline.index()].selected;
    let minute = &app.derived.minutes[sel];
    assert_eq!(pmta_lens::fmt::utc(minute.t), "2026-11-20 14:02:00 UTC");
    assert_eq!(minute.counts.deferred(), 11);
    act(&mut app, [Action::Mark]);
    for _ in 0..4 {
        act(&mut app, [Action::Up]);
    }
    act(&mut app, [Action::Zoom]);
    assert_eq!(
        app.filter.as_str(),
        "since=2026-11-20T13:58:00Z until=2026-11-20T14:03:00Z"
    );
    assert_eq!(app.view, View::Timeline);
    assert_eq!(app.data.aggregates.records, 45, "10 + 8 + 7 + 9 + 11 rows");
    act(&mut app, [Action::Back]);
    assert!(app.filter.is_empty());
}

#[test]
fn n_and_shift_n_jump_between_bursts_and_show_the_ips_and_what_to_do() {
    let mut app = new_app(false);
    act(&mut app, [Action::NextBurst]);
    assert!(
        app.message
            .as_deref()
            .is_some_and(|m| m.contains("when the scan completes")),
        "before the analyses ran: said so, nothing invented"
    );
    scan(&mut app, &[samples()]);
    let bursts = app.bursts().expect("the analyses ran").to_vec();
    assert_eq!(
        bursts.len(),
        3,
        "all IPs, 192.0.2.10, 192.0.2.11: {bursts:?}"
    );
    act(&mut app, [Action::NextBurst]);
    assert_eq!((app.view, app.burst), (View::Timeline, Some(0)));
    let at = |app: &App| app.derived.minutes[app.lists[View::Timeline.index()].selected].t;
    assert_eq!(pmta_lens::fmt::utc(at(&app)), "2026-11-20 13:58:00 UTC");
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Burst 1/3 RP-002 all IPs"), "{screen}");
    assert!(
        screen.contains("192.0.2.11 (31), 192.0.2.10 (19)"),
        "{screen}"
    );
    assert!(screen.contains("Reduce max-connect-rate"), "{screen}");
    snapshot("timeline_burst", &mut app, 80, 24);
    snapshot("timeline_burst", &mut app, 140, 40);
    act(&mut app, [Action::NextBurst]);
    assert_eq!(app.burst, Some(1));
    assert_eq!(bursts[1].source_ip.as_deref(), Some("192.0.2.10"));
    act(&mut app, [Action::PrevBurst, Action::PrevBurst]);
    assert_eq!(app.burst, Some(2), "wraps around");
    act(&mut app, [Action::NextBurst, Action::Zoom]);
    assert_eq!(
        app.filter.as_str(),
        "since=2026-11-20T13:58:00Z until=2026-11-20T14:04:00Z"
    );
    assert_eq!(app.data.aggregates.records, 50, "the 50 rows of the burst");
}

#[test]
fn quitting_and_keys_map_to_actions() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let app = new_app(false);
    let key = |c, m| pmta_lens::tui::action::for_key(&app, KeyEvent::new(c, m));
    assert!(matches!(
        key(KeyCode::Char('q'), KeyModifiers::NONE),
        Some(Action::Quit)
    ));
    assert!(matches!(
        key(KeyCode::Char('c'), KeyModifiers::CONTROL),
        Some(Action::Quit)
    ));
    assert!(matches!(
        key(KeyCode::Char('7'), KeyModifiers::NONE),
        Some(Action::Show(View::Rows))
    ));
    assert!(matches!(
        key(KeyCode::Char('N'), KeyModifiers::SHIFT),
        Some(Action::PrevBurst)
    ));
    assert!(matches!(
        key(KeyCode::BackTab, KeyModifiers::SHIFT),
        Some(Action::PrevView)
    ));
    let mut app = new_app(false);
    app.update(Action::OpenPrompt);
    let typed = pmta_lens::tui::action::for_key(
        &app,
        KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE),
    );
    assert!(
        matches!(typed, Some(Action::PromptChar('q'))),
        "q is text in the prompt"
    );
}

const HEADER: &str = "type,timeLogged,rcpt,dsnStatus,dsnDiag,dlvSourceIp,vmta\n";

fn row(n: u32, kind: &str, diag: &str) -> String {
    format!(
        "{kind},2026-01-14 10:{:02}:00+0000,u{n}@hotmail.de,4.7.0 (x),\"smtp;{diag}\",192.0.2.10,vmta-ms-01\n",
        n % 60
    )
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .expect("open for append");
    f.write_all(text.as_bytes()).expect("append");
}

#[test]
fn follow_reads_appended_rows_waits_for_unfinished_lines_and_picks_up_rotated_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = dir.path().join("acct-2026-01-14-0000.csv");
    append(
        &first,
        &format!(
            "{HEADER}{}{}",
            row(1, "d", "250 ok"),
            row(2, "t", "421 RP-002 x")
        ),
    );
    let mut s = Scanner::new(
        spec(vec![dir.path().to_path_buf()], Filter::default(), true),
        0,
        None,
    );
    assert!(s.initial(&AtomicBool::new(false), |_| {}));
    assert_eq!(s.snapshot().aggregates.records, 2);
    assert!(!s.poll(), "nothing new");
    // PowerMTA appends: one whole row and half of the next
    let next = row(4, "t", "421 RP-002 y");
    let (head, tail) = next.split_at(20);
    append(&first, &format!("{}{head}", row(3, "d", "250 ok")));
    assert!(s.poll());
    let snap = s.snapshot();
    assert_eq!(snap.aggregates.records, 3, "the unfinished line waits");
    assert_eq!(snap.report.malformed, 0);
    append(&first, tail);
    assert!(s.poll());
    assert_eq!(s.snapshot().aggregates.records, 4);
    // rotation: a new file in the watched directory
    let second = dir.path().join("acct-2026-01-14-0001.csv");
    append(
        &second,
        &format!("{HEADER}{}", row(5, "b", "550 5.1.1 no such user")),
    );
    assert!(s.poll());
    let snap = s.snapshot();
    assert_eq!(snap.aggregates.records, 5);
    assert_eq!(snap.report.files.len(), 2);
    assert_eq!(snap.rows.len, 5, "appended rows can be listed too");
    let mut reader = pmta_lens::tui::reader::Reader::default();
    let last = reader.read(&snap.rows.get(4).expect("row 5"));
    assert_eq!(last.values[0], "b");
    assert_eq!(snap.aggregates.by_type.bounced(), 1);
}

/// `--follow` across `PowerMTA`'s rotation and a truncation, through the loader the dashboard
/// runs: every row counted once (before: the renamed file was counted twice, the new one read
/// from the middle of a row), rows listed from the file they are in now, and the truncation on
/// the status line.
#[test]
fn follow_across_rotation_counts_each_row_once_and_says_when_a_file_was_truncated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let live = dir.path().join("acct.csv");
    let rows = |from: u32, to: u32| {
        (from..=to)
            .map(|n| row(n, "d", "250 ok"))
            .collect::<String>()
    };
    append(&live, &format!("{HEADER}{}", rows(1, 120)));
    let mut s = Scanner::new(
        spec(vec![dir.path().to_path_buf()], Filter::default(), true),
        0,
        None,
    );
    assert!(s.initial(&AtomicBool::new(false), |_| {}));
    assert_eq!(s.snapshot().aggregates.records, 120);
    // PowerMTA renames the live file and starts a new one
    let rotated = dir.path().join("acct-2026-01-14-0000.csv");
    std::fs::rename(&live, &rotated).expect("rename");
    append(&live, &format!("{HEADER}{}", rows(121, 180)));
    assert!(s.poll());
    let snap = s.snapshot();
    assert_eq!(snap.aggregates.records, 180, "each row once");
    assert_eq!(snap.report.malformed, 0);
    let names: Vec<&str> = snap.report.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(names.len(), 2);
    assert!(names[0].ends_with("acct-2026-01-14-0000.csv"), "{names:?}");
    assert!(names[1].ends_with("acct.csv"), "{names:?}");
    // the Rows view reads each row back from where it is now
    assert_eq!(snap.rows.len, 180);
    let mut reader = pmta_lens::tui::reader::Reader::default();
    for (i, n) in [(0, 1), (119, 120), (120, 121), (179, 180)] {
        let r = reader.read(&snap.rows.get(i).expect("a row"));
        assert_eq!(r.values[2], format!("u{n}@hotmail.de"), "row {i}");
    }
    // `> acct.csv`: read again from its start, and the status line says so
    std::fs::File::create(&live).expect("truncate");
    append(&live, &format!("{HEADER}{}", rows(181, 185)));
    assert!(s.poll());
    let snap = s.snapshot();
    assert_eq!(snap.aggregates.records, 185);
    assert_eq!(snap.report.shrunk.len(), 1);
    assert_eq!(
        snap.rows.len, 125,
        "the truncated file's old rows cannot be listed"
    );
    assert_eq!(snap.rows.unlocated, 60);
    let mut app = new_app(false);
    app.ctx.follow = true;
    app.update(Action::Loaded(Box::new(snap)));
    let status = pmta_lens::tui::views::status_text(&app);
    assert!(
        status.starts_with("acct.csv truncated: read again from its start · following 2 files"),
        "{status}"
    );
}

/// Through the loader: a rotated file compressed by logrotate or by hand is not counted again
/// (before: the `.gz` was a new input, its rows counted twice), and a file truncated and written
/// again past its old size is read from its start (before: from the old offset, mid-row).
#[test]
fn follow_skips_compressed_copies_and_rereads_files_truncated_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = dir.path().join("acct-2026-01-14-0000.csv");
    let live = dir.path().join("acct.csv");
    let rows = |from: u32, to: u32| {
        (from..=to)
            .map(|n| row(n, "d", "250 ok"))
            .collect::<String>()
    };
    append(&old, &format!("{HEADER}{}", rows(1, 10)));
    append(&live, &format!("{HEADER}{}", rows(11, 20)));
    let mut s = Scanner::new(
        spec(vec![dir.path().to_path_buf()], Filter::default(), true),
        0,
        None,
    );
    assert!(s.initial(&AtomicBool::new(false), |_| {}));
    assert_eq!(s.snapshot().aggregates.records, 20);
    // gzip acct-2026-01-14-0000.csv
    let data = std::fs::read(&old).expect("read");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(dir.path().join("acct-2026-01-14-0000.csv.gz")).expect("create"),
        flate2::Compression::fast(),
    );
    gz.write_all(&data).expect("compress");
    gz.finish().expect("finish");
    std::fs::remove_file(&old).expect("remove");
    s.poll();
    assert_eq!(
        s.snapshot().aggregates.records,
        20,
        "the .gz is the same rows"
    );
    // `> acct.csv`, then more rows than it had
    std::fs::File::create(&live).expect("truncate");
    append(&live, &format!("{HEADER}{}", rows(21, 40)));
    assert!(s.poll());
    let snap = s.snapshot();
    assert_eq!(snap.aggregates.records, 40);
    assert_eq!(snap.report.malformed, 0);
    assert_eq!(snap.report.files.len(), 2);
}

#[test]
fn follow_on_its_thread_sends_new_counts_about_once_a_second_and_pauses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("acct-2026-01-14-0000.csv");
    append(&file, &format!("{HEADER}{}", row(1, "d", "250 ok")));
    let (tx, rx) = std::sync::mpsc::channel();
    let pool = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("pool"),
    );
    let loader = loader::spawn(
        spec(vec![dir.path().to_path_buf()], Filter::default(), true),
        7,
        pool,
        move |m| tx.send(m).is_ok(),
    );
    let wait_for = |records: u64| -> Snapshot {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(Msg::Snapshot(s)) if s.aggregates.records == records && s.complete => {
                    assert_eq!(s.generation, 7);
                    return *s;
                }
                Ok(Msg::Snapshot(_)) => {}
                Ok(Msg::Failed(m)) => panic!("loader failed: {m}"),
                Err(e) => panic!("no snapshot with {records} records in time: {e}"),
            }
        }
    };
    wait_for(1);
    append(&file, &row(2, "t", "421 RP-002 x"));
    let t0 = Instant::now();
    wait_for(2);
    assert!(t0.elapsed() < Duration::from_secs(5));
    append(
        &dir.path().join("acct-2026-01-14-0001.csv"),
        &format!("{HEADER}{}", row(3, "d", "250 ok")),
    );
    let s = wait_for(3);
    assert_eq!(s.report.files.len(), 2);
    // paused: nothing is read
    loader.set_paused(true);
    std::thread::sleep(Duration::from_millis(1500));
    while rx.try_recv().is_ok() {}
    append(&file, &row(4, "d", "250 ok"));
    assert!(
        rx.recv_timeout(Duration::from_millis(2500)).is_err(),
        "no news while paused"
    );
    loader.set_paused(false);
    wait_for(4);
}

#[test]
fn the_dashboard_counts_what_the_summary_counts() {
    let app = loaded();
    let classifier = Classifier::builtin();
    let (inputs, _) = pmta_lens::acct::discover::discover(&[samples()]);
    let r = pmta_lens::scan::run(
        &inputs,
        &pmta_lens::scan::ScanOptions::default(),
        &classifier,
        &Filter::default(),
        &spec(vec![samples()], Filter::default(), false).plan,
    );
    assert_eq!(*app.data.aggregates, *r.aggregates);
    assert_eq!(app.data.report.malformed, r.report.malformed);
    assert_eq!(
        app.data.report.malformed_samples,
        r.report.malformed_samples
    );
}

/// What the summary computes for `dir` (its config and log found as the command line finds
/// them), and what the dashboard's loader shows once its scan is complete.
fn summary_and_dashboard(
    dir: &Path,
) -> (
    pmta_lens::scan::ScanResult,
    pmta_lens::analysis::Analyses,
    pmta_lens::connections::Connections,
    Snapshot,
) {
    let paths = vec![dir.to_path_buf()];
    let setup = Setup::load(&ConnArgs::default(), &paths).expect("setup");
    let classifier = Classifier::builtin();
    let (inputs, _) = pmta_lens::acct::discover::discover(&paths);
    let opts = pmta_lens::scan::ScanOptions::default();
    let plan = setup.plan();
    let params = AnalysisParams::default();
    let (result, analyses, estimated) = pmta_lens::cli::connections::scan_and_analyze(
        &inputs,
        &opts,
        &classifier,
        &Filter::default(),
        &plan,
        &params,
        &setup,
    );
    let (connections, _) = setup.connections(
        &result,
        estimated.as_ref(),
        &plan.rollup,
        &classifier,
        &inputs,
        &opts,
        false,
    );
    let spec = Spec {
        plan: setup.dashboard_plan(),
        budget: Some(Arc::new(setup)),
        ..spec(paths, Filter::default(), false)
    };
    let mut s = Scanner::new(spec, 0, None);
    let mut last = None;
    assert!(s.initial(&AtomicBool::new(false), |snap| last = Some(snap)));
    (result, analyses, connections, last.expect("a snapshot"))
}

/// The dashboard and the summary read the same numbers off the same pass: counts, findings,
/// bursts and the connections against the budget (the Domains view's per-domain codes are the
/// dashboard's own).
fn assert_same(dir: &Path) {
    let (result, analyses, connections, snap) = summary_and_dashboard(dir);
    assert!(snap.complete);
    let (a, b) = (&*snap.aggregates, &result.aggregates);
    assert_eq!(
        (a.records, a.by_type, a.first, a.last),
        (b.records, b.by_type, b.first, b.last)
    );
    assert_eq!(
        a.group(pmta_lens::aggregate::Dim::Domain),
        b.group(pmta_lens::aggregate::Dim::Domain)
    );
    assert_eq!(a.senders(), b.senders());
    assert_eq!(a.codes(|c| format!("{c:?}")), b.codes(|c| format!("{c:?}")));
    assert_eq!(a.minutes, b.minutes);
    assert_eq!(a.microsoft_days(), b.microsoft_days());
    assert_eq!(snap.report.malformed, result.report.malformed);
    assert_eq!(
        snap.report.malformed_samples,
        result.report.malformed_samples
    );
    assert_eq!(*snap.findings, analyses.findings);
    assert_eq!(snap.bursts.as_deref(), Some(&analyses.bursts));
    let dash = snap.connections.expect("connections");
    let rows = |c: &pmta_lens::connections::Connections| -> Vec<(String, String, u32, u32, u64)> {
        c.rows
            .iter()
            .map(|r| {
                (
                    r.domain.clone(),
                    r.pool.clone(),
                    r.budget,
                    r.observed.peak,
                    r.smtp_rows,
                )
            })
            .collect()
    };
    assert_eq!(rows(&dash), rows(&connections));
    assert_eq!(dash.others, connections.others);
}

#[test]
fn the_dashboard_shows_what_the_summary_shows_on_the_samples() {
    assert_same(&samples());
}

#[test]
fn the_dashboard_shows_what_the_summary_shows_on_a_large_senders_day() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut p = pmta_lens::synth::Profile::esp(7);
    p.size = pmta_lens::synth::Size::Rows(30_000);
    let file = std::fs::File::create(dir.path().join("acct-2026-11-20-0000.csv")).expect("create");
    pmta_lens::synth::write_accounting(&p, std::io::BufWriter::new(file)).expect("generate");
    std::fs::write(
        dir.path().join("pmta-config"),
        pmta_lens::synth::pmta_config(&p),
    )
    .expect("config");
    assert_same(dir.path());
}
