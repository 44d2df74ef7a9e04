//! The dashboard without a terminal: every view rendered from sample-logs into ratatui's
//! `TestBackend` and compared with snapshots (80x24 and 140x40, empty data, a filtered state),
//! state changes driven through actions (filter, drill-down, sort, grouping, zoom, bursts), and
//! `--follow` through the loader (appends, an unfinished line, rotation to a new file).
#![cfg(feature = "tui")]

#[path = "support/dashboard.rs"]
mod dashboard;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use dashboard::{fixed_now, samples};
use pmta_lens::analysis::AnalysisParams;
use pmta_lens::classify::Classifier;
use pmta_lens::cli::connections::{self as conn_cli, Args as ConnArgs};
use pmta_lens::filter::Filter;
use pmta_lens::tui::action::{Action, Edit};
use pmta_lens::tui::app::{App, Cursor, Group, Session, View};
use pmta_lens::tui::data::Snapshot;
use pmta_lens::tui::loader::{self, Msg, Scanner, Spec};
use pmta_lens::tui::theme::Theme;
use pmta_lens::tui::{render, render_buffer};

/// The spec the dashboard runs with (its budget found as the command line finds it).
fn spec(paths: Vec<PathBuf>, filter: Filter, follow: bool) -> Spec {
    dashboard::spec(paths, filter, follow, 4096, true)
}

fn new_app(color: bool) -> App {
    dashboard::new_app(color, false, 80, 24)
}

/// Scans `paths` for the app's current filter and hands it every snapshot, as the runtime does.
fn scan(app: &mut App, paths: &[PathBuf]) {
    let spec = spec(paths.to_vec(), app.filter.clone(), false);
    dashboard::scan_into(app, spec);
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

/// Opens the prompt, types `text` and submits it, rescanning as the runtime does.
fn submit_filter(app: &mut App, text: &str) {
    act(app, [Action::OpenPrompt]);
    type_text(app, text);
    act(app, [Action::PromptSubmit]);
}

/// Types `text` into the open prompt.
fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(Action::Prompt(Edit::Insert(c)));
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
        app.update(Action::Prompt(Edit::Insert(c)));
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
        app.update(Action::Prompt(Edit::Insert(c)));
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
        app.update(Action::Prompt(Edit::Backspace));
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
    assert!(app.rows.detail);
    act(&mut app, [Action::Back]);
    assert!(!app.rows.detail);
    act(&mut app, [Action::Back]);
    assert_eq!((app.view, app.filter.as_str()), (View::Codes, ""));

    act(&mut app, [Action::Show(View::Senders), Action::Group]);
    assert_eq!(app.group(), Group::SourceIp);
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
    let sel = app.list(View::Timeline).sel();
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
    assert_eq!(
        (app.view, app.views.timeline.burst),
        (View::Timeline, Some(0))
    );
    let at = |app: &App| app.derived.minutes[app.list(View::Timeline).sel()].t;
    assert_eq!(pmta_lens::fmt::utc(at(&app)), "2026-11-20 13:58:00 UTC");
    let screen = render(&app, 80, 24);
    // one event: the bursts on 192.0.2.10 and 192.0.2.11 are the same minutes
    assert!(screen.contains("Burst 1/1 RP-002 all IPs"), "{screen}");
    assert!(
        screen.contains("192.0.2.11 (31), 192.0.2.10 (19)"),
        "{screen}"
    );
    assert!(screen.contains("Reduce max-connect-rate"), "{screen}");
    snapshot("timeline_burst", &mut app, 80, 24);
    snapshot("timeline_burst", &mut app, 140, 40);
    act(&mut app, [Action::NextBurst]);
    assert_eq!(
        app.views.timeline.burst,
        Some(0),
        "the per-IP bursts are part of it"
    );
    assert_eq!(bursts[1].source_ip.as_deref(), Some("192.0.2.10"));
    act(&mut app, [Action::PrevBurst, Action::PrevBurst]);
    assert_eq!(app.views.timeline.burst, Some(0), "wraps around");
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
        matches!(typed, Some(Action::Prompt(Edit::Insert('q')))),
        "q is text in the prompt"
    );
}

const HEADER: &str = "type,timeLogged,rcpt,dsnStatus,dsnDiag,dlvSourceIp,vmta\n";

// ---------------------------------------------------------------------------------------------
// Issue 11: the filter prompt, counts and messages that are true, the key map as data.

#[test]
fn counts_have_thousands_separators_and_lists_say_where_the_selection_is() {
    // 1,203 destinations, one row each
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("acct-many.csv");
    let mut text = String::from("type,timeLogged,rcpt,dsnStatus,dsnDiag,dlvSourceIp,vmta\n");
    for n in 0..1203 {
        let _ = writeln!(
            text,
            "d,2026-01-14 10:00:00+0000,u@d{n}.example,2.0.0 (ok),\"smtp;250 ok\",192.0.2.10,vmta-1"
        );
    }
    std::fs::write(&path, text).expect("write");
    let mut app = new_app(false);
    scan(&mut app, &[path]);
    act(
        &mut app,
        [Action::Show(View::Domains), Action::Down, Action::End],
    );
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = render(&app, w, h);
        assert!(screen.contains("1,203 destinations"), "{screen}");
        assert!(screen.contains("1,203/1,203"), "{screen}");
    }
    act(&mut app, [Action::Home, Action::Down, Action::Down]);
    assert!(render(&app, 80, 24).contains("3/1,203"));
}

#[test]
fn senders_count_vmtas_without_none_and_unattributed() {
    let mut app = loaded();
    act(&mut app, [Action::Show(View::Senders)]);
    let keys: Vec<String> = app
        .derived
        .senders
        .iter()
        .map(|l| l.key.to_string())
        .collect();
    assert!(keys.contains(&"(none)".to_string()) && keys.contains(&"(unattributed)".to_string()));
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = render(&app, w, h);
        assert!(
            screen.contains("7 VMTAs + (unattributed) (none)"),
            "{screen}"
        );
        assert!(screen.contains("1/9"), "{screen}");
        snapshot("senders_counted", &mut app, w, h);
    }
}

#[test]
fn a_filter_that_matches_nothing_says_so_once_the_scan_is_done() {
    let mut app = loaded();
    submit_filter(&mut app, "vmta=no-such-vmta");
    assert!(app.data.complete);
    assert_eq!(app.data.aggregates.records, 0);
    for v in [
        View::Overview,
        View::Senders,
        View::Domains,
        View::Codes,
        View::Timeline,
        View::Rows,
    ] {
        app.update(Action::Show(v));
        for (w, h) in [(80, 24), (120, 40)] {
            let screen = render(&app, w, h);
            assert!(!screen.contains("yet"), "{v:?}:\n{screen}");
            assert!(!screen.contains("Nothing to act on"), "{v:?}:\n{screen}");
            assert!(
                screen.contains("filter matched no rows"),
                "{v:?}:\n{screen}"
            );
        }
    }
    app.update(Action::Show(View::Overview));
    snapshot("filter_matches_nothing_overview", &mut app, 80, 24);
    snapshot("filter_matches_nothing_overview", &mut app, 120, 40);
}

#[test]
fn domain_of_a_rolled_up_recipient_domain_finds_its_rows_under_the_rollup() {
    let mut app = loaded();
    act(&mut app, [Action::OpenPrompt]);
    type_text(&mut app, "domain=hotmail.de");
    act(
        &mut app,
        [Action::PromptSubmit, Action::Show(View::Domains)],
    );
    assert!(app.data.complete);
    // as the expanded rollup shows hotmail.de: 12 rows
    assert_eq!(app.data.aggregates.records, 12);
    assert_eq!(app.derived.domains.len(), 1);
    assert_eq!(&*app.derived.domains[0].line.key, "outlook.com");
    act(&mut app, [Action::Right]);
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = render(&app, w, h);
        assert!(!screen.contains("No rows yet"), "{screen}");
        assert!(screen.contains("hotmail.de"), "{screen}");
        snapshot("domain_member_filter", &mut app, w, h);
    }
    // the same rows as rcpt-domain=hotmail.de
    let f = Filter::parse(
        "rcpt-domain=hotmail.de",
        &Classifier::builtin(),
        fixed_now(),
    )
    .expect("valid");
    let mut other = new_app(false);
    other.filter = f;
    scan(&mut other, &[samples()]);
    assert_eq!(other.data.aggregates.records, 12);
}

#[test]
fn backspace_after_a_drill_down_restores_the_selection_and_scroll() {
    let mut app = loaded();
    // `3 jjjj Enter ⌫`
    act(
        &mut app,
        [
            Action::Show(View::Senders),
            Action::Down,
            Action::Down,
            Action::Down,
            Action::Down,
        ],
    );
    let before = app.list(View::Senders);
    assert_eq!(before.sel(), 4);
    let key = app.derived.senders[4].key.to_string();
    act(&mut app, [Action::Enter]);
    assert_eq!(app.filter.as_str(), format!("vmta={key}"));
    act(&mut app, [Action::Back]);
    assert_eq!(app.view, View::Senders);
    assert_eq!(app.list(View::Senders), before);
    assert_eq!(app.derived.senders[4].key.to_string(), key);
    // a long list scrolled down: the scroll comes back too (Timeline at 80x24)
    act(&mut app, [Action::Show(View::Timeline)]);
    for _ in 0..40 {
        act(&mut app, [Action::Down]);
    }
    let before = app.list(View::Timeline);
    assert!(before.offset() > 0);
    act(&mut app, [Action::Zoom, Action::Back]);
    assert_eq!(app.list(View::Timeline), before);
}

#[test]
fn the_help_and_the_docs_list_every_key_of_the_key_map() {
    use pmta_lens::tui::keys::{Mode, ROWS, markdown};
    use ratatui::crossterm::event::{KeyEvent, KeyModifiers};
    let mut app = loaded();
    act(&mut app, [Action::Help]);
    // tall enough for all of it: every row of the map, keys and text (the text wrapped in its
    // column: read the column back)
    let screen = render(&app, 120, 60);
    let kw = ROWS
        .iter()
        .map(|r| r.label().chars().count())
        .max()
        .expect("rows");
    let (mut keys, mut texts) = (String::new(), String::new());
    for line in screen.lines() {
        let inner: Vec<char> = line.chars().skip_while(|c| *c != '│').skip(1).collect();
        let inner: Vec<char> = inner.into_iter().take_while(|c| *c != '│').collect();
        keys.push_str(&inner.iter().take(kw).collect::<String>());
        keys.push('\n');
        texts.push(' ');
        texts.push_str(&inner.iter().skip(kw + 1).collect::<String>());
    }
    let texts = texts.split_whitespace().collect::<Vec<_>>().join(" ");
    for r in ROWS {
        assert!(keys.contains(&r.label()), "{}\n{screen}", r.label());
        assert!(texts.contains(r.help), "{}\n{screen}", r.help);
    }
    for k in ["h", "l", "Ctrl-B", "Ctrl-F", "Ctrl-U", "Ctrl-W"] {
        assert!(screen.contains(k), "{k}");
    }
    snapshot("keymap_help", &mut app, 80, 24);
    snapshot("keymap_help", &mut app, 120, 40);
    // scrolled at 80x24 to its end: the note on numbers
    app.update(Action::Resize(80, 24));
    for _ in 0..60 {
        app.update(Action::Down);
    }
    assert!(render(&app, 80, 24).contains("Numbers: rows"));
    assert!(app.help, "scrolling keeps the help open");
    // each key of the map dispatches to its binding's action, in its mode
    let mut prompt = new_app(false);
    prompt.update(Action::OpenPrompt);
    let mut help = new_app(false);
    help.update(Action::Help);
    let views = new_app(false);
    for r in ROWS {
        let app = match r.mode {
            Mode::Views => &views,
            Mode::Prompt => &prompt,
            Mode::Help => &help,
        };
        for b in r.bindings {
            for k in b.keys {
                let ev = match *k {
                    pmta_lens::tui::keys::Key::Char(c) => KeyEvent::new(
                        ratatui::crossterm::event::KeyCode::Char(c),
                        KeyModifiers::NONE,
                    ),
                    pmta_lens::tui::keys::Key::Ctrl(c) => KeyEvent::new(
                        ratatui::crossterm::event::KeyCode::Char(c),
                        KeyModifiers::CONTROL,
                    ),
                    pmta_lens::tui::keys::Key::Code(code) => {
                        KeyEvent::new(code, KeyModifiers::NONE)
                    }
                };
                let got = pmta_lens::tui::action::for_key(app, ev).expect("bound");
                assert_eq!(
                    format!("{got:?}"),
                    format!("{:?}", (b.action)(*k)),
                    "{k:?} in {:?}",
                    r.mode
                );
            }
        }
    }
    // docs/dashboard.md carries the same tables
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/dashboard.md");
    let doc = std::fs::read_to_string(&path).expect("docs/dashboard.md");
    let (start, end) = (
        "<!-- keys: made from src/tui/keys.rs -->\n",
        "<!-- end of keys -->",
    );
    let a = doc.find(start).expect("start marker") + start.len();
    let b = doc.find(end).expect("end marker");
    let want = markdown();
    if doc[a..b] != want {
        if std::env::var_os("PMTA_LENS_WRITE_DOCS").is_some() {
            std::fs::write(&path, format!("{}{want}{}", &doc[..a], &doc[b..])).expect("write");
        } else {
            panic!("docs/dashboard.md's key tables differ from the key map:\n{want}");
        }
    }
}

#[path = "tui/agrees.rs"]
mod agrees;
#[path = "tui/follow.rs"]
mod follow;
#[path = "tui/prompt.rs"]
mod prompt;
