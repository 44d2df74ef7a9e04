//! The Rows view (issue 11, item 5): every row of any file through the background index (End
//! reaches the last of more than 1,000,000 rows), End then `--follow` keeps the bottom, the code
//! and line columns, `f` / `n` / `N` finding a text in the whole index with wrapping, the row in
//! full without blank lines past its end, complaints with our sending IP, and the copy keys'
//! OSC 52 escape. Rendered into `TestBackend` and compared with snapshots at 80x24 and 120x40.
#![cfg(feature = "tui")]

#[path = "support/dashboard.rs"]
mod dashboard;

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use dashboard::samples;
use pmta_lens::filter::Filter;
use pmta_lens::tui::action::{Action, Edit};
use pmta_lens::tui::app::{App, Cursor, View};
use pmta_lens::tui::loader::{Scanner, Spec};
use pmta_lens::tui::render;
use pmta_lens::tui::views::rows::copy::osc52;
use pmta_lens::tui::views::rows::search::FRAME_ROWS;

fn spec(paths: Vec<PathBuf>, filter: Filter, follow: bool, chunk_size: usize) -> Spec {
    dashboard::spec(paths, filter, follow, chunk_size, false)
}

fn new_app(follow: bool) -> App {
    dashboard::new_app(false, follow, 80, 24)
}

/// Scans `paths` for the app's filter and hands it every snapshot, as the runtime does.
fn scan(app: &mut App, paths: &[PathBuf], chunk_size: usize) {
    let spec = spec(paths.to_vec(), app.filter.clone(), false, chunk_size);
    dashboard::scan_into(app, spec);
}

/// Ticks, as the runtime does between keys, until no search is going on.
fn settle_search(app: &mut App) {
    while app.rows.scan.is_some() {
        app.update(Action::Tick(app.progress));
    }
}

/// Applies the actions, rescanning the samples when the filter changed, each search to its
/// end.
fn act(app: &mut App, actions: impl IntoIterator<Item = Action>) {
    for a in actions {
        app.update(a);
        settle_search(app);
        if app.take_rescan().is_some() {
            scan(app, &[samples()], 4096);
        }
    }
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(Action::Prompt(Edit::Insert(c)));
        settle_search(app);
    }
}

fn filter(app: &mut App, expr: &str) {
    act(app, [Action::OpenPrompt, Action::Prompt(Edit::KillToStart)]);
    type_text(app, expr);
    act(app, [Action::PromptSubmit]);
}

fn find(app: &mut App, text: &str) {
    act(app, [Action::Find]);
    assert!(app.rows.finding);
    type_text(app, text);
    act(app, [Action::PromptSubmit]);
}

fn loaded_rows() -> App {
    let mut app = new_app(false);
    scan(&mut app, &[samples()], 4096);
    app.update(Action::Show(View::Rows));
    app
}

fn snapshot(name: &str, app: &mut App, w: u16, h: u16) {
    app.update(Action::Resize(w, h));
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(app, w, h));
}

fn sel(app: &App) -> usize {
    app.list(View::Rows).sel()
}

#[test]
fn rows_show_the_line_and_the_code_and_find_a_text_in_every_row() {
    let mut app = loaded_rows();
    find(&mut app, "rp-001");
    let first = sel(&app);
    let r = app.row(first).expect("parsed");
    assert!(r.raw.to_lowercase().contains("rp-001"), "{}", r.raw);
    assert!(
        app.message
            .as_deref()
            .is_some_and(|m| m.contains("`rp-001`: row"))
    );
    for (w, h) in [(80, 24), (120, 40)] {
        snapshot("rows_find_rp001", &mut app, w, h);
    }
    let screen = render(&app, 80, 24);
    assert!(screen.contains("line time           type code"), "{screen}");
    assert!(screen.contains("RP-001"), "{screen}");
    // n moves on to the next row that holds it, N back
    act(&mut app, [Action::NextBurst]);
    let second = sel(&app);
    assert!(second > first);
    act(&mut app, [Action::PrevBurst]);
    assert_eq!(sel(&app), first);
    // as typed: the selection is on the first row holding the text before Enter; Esc takes it
    // back to where f was pressed
    act(&mut app, [Action::Home, Action::Find]);
    type_text(&mut app, "rp-001");
    assert_eq!(sel(&app), first);
    assert!(app.prompt.is_some());
    act(&mut app, [Action::Cancel]);
    assert_eq!(sel(&app), 0);
    assert!(app.prompt.is_none() && !app.rows.finding);
}

#[test]
fn find_wraps_at_the_ends_and_says_so() {
    let mut app = loaded_rows();
    // the first row's recipient, and no other row's
    let first_rcpt = app.row(0).expect("row 0").values[4].clone();
    act(&mut app, [Action::End]);
    let last = sel(&app);
    assert_eq!(last + 1, app.data.rows.len);
    find(&mut app, &first_rcpt);
    assert_eq!(sel(&app), 0);
    let m = app.message.clone().unwrap_or_default();
    assert!(m.contains("wrapped to the top"), "{m}");
    // backward from the first row: wraps to the bottom, back to the row itself
    act(&mut app, [Action::PrevBurst]);
    assert_eq!(sel(&app), 0);
    // a text in no row
    find(&mut app, "no-such-text-anywhere");
    assert_eq!(sel(&app), 0);
    let m = app.message.clone().unwrap_or_default();
    assert!(m.contains("in none of the rows"), "{m}");
    // Esc closes f's prompt; the filter prompt is / again
    act(&mut app, [Action::Find, Action::Cancel]);
    assert!(!app.rows.finding && app.prompt.is_none());
    // n without a find in Rows still goes to the bursts
    let mut plain = loaded_rows();
    act(&mut plain, [Action::NextBurst]);
    assert_eq!(plain.view, View::Timeline);
}

#[test]
fn a_complaint_shows_our_sending_ip_and_its_feedback_fields() {
    let mut app = new_app(false);
    scan(&mut app, &[samples()], 4096);
    app.update(Action::Show(View::Rows));
    filter(&mut app, "type=f");
    assert_eq!(app.data.rows.len, 16);
    for (w, h) in [(80, 24), (120, 40)] {
        snapshot("rows_complaints", &mut app, w, h);
    }
    // the JMRP complaint of line 11 of acct-2026-11-20-0000.csv (sample-logs/README.md)
    let i = (0..app.data.rows.len)
        .find(|i| {
            app.row(*i)
                .is_some_and(|r| r.file == "acct-2026-11-20-0000.csv" && r.line == 11)
        })
        .expect("the complaint of line 11");
    app.rows.list.select(Some(i));
    act(&mut app, [Action::Down, Action::Up, Action::Enter]);
    for (w, h) in [(80, 24), (120, 40)] {
        snapshot("rows_complaint_detail", &mut app, w, h);
    }
    let screen = render(&app, 120, 40);
    assert!(screen.contains("repSourceIp"), "{screen}");
    assert!(screen.contains("(our sending IP)"), "{screen}");
    assert!(screen.contains("feedbackType"), "{screen}");
    assert!(
        screen.contains("the feedback provider's, not ours"),
        "{screen}"
    );
}

#[test]
fn the_row_in_full_scrolls_to_its_last_line_and_no_further() {
    let mut app = loaded_rows();
    act(&mut app, [Action::Down, Action::Enter]);
    for _ in 0..200 {
        app.update(Action::Down);
    }
    let screen = render(&app, 80, 24);
    let lines: Vec<&str> = screen.lines().collect();
    // the line above the status line is the row's last field, not a blank line
    let last = lines[lines.len() - 2];
    assert!(
        last.starts_with("dsnReportingMta") || !last.trim().is_empty(),
        "{screen}"
    );
    assert!(!last.trim().is_empty(), "{screen}");
    let scroll = app.rows.detail_scroll;
    app.update(Action::Down);
    assert_eq!(app.rows.detail_scroll, scroll, "no scrolling past the end");
    // the title says which lines are shown: the last ones
    // (19 lines of the row at 80x24, the last of them its last line)
    let want = format!("lines {}-{}/{} ", scroll + 1, scroll + 19, scroll + 19);
    assert!(screen.contains(&want), "{want}\n{screen}");
    // back up to the top
    for _ in 0..200 {
        app.update(Action::Up);
    }
    assert_eq!(app.rows.detail_scroll, 0);
}

#[test]
fn y_copies_the_recipient_and_shift_y_the_row_as_osc_52() {
    let mut app = loaded_rows();
    act(&mut app, [Action::Down]);
    let r = app.row(1).expect("row").clone();
    act(&mut app, [Action::Copy { whole: false }]);
    assert_eq!(app.rows.clipboard.take(), Some(osc52(&r.values[4])));
    assert!(
        app.message
            .as_deref()
            .is_some_and(|m| m.contains(&r.values[4]))
    );
    act(&mut app, [Action::Copy { whole: true }]);
    let seq = app.rows.clipboard.take().expect("a sequence");
    assert!(seq.starts_with("\x1b]52;c;") && seq.ends_with('\x07'));
    assert_eq!(seq, osc52(&r.raw));
    assert!(!r.raw.ends_with('\n') && r.raw.starts_with("d,"));
    // elsewhere: said, nothing sent
    act(
        &mut app,
        [Action::Show(View::Codes), Action::Copy { whole: false }],
    );
    assert!(app.rows.clipboard.is_none());
}

/// More rows than the old limit of 1,000,000: End reaches the last one.
#[test]
fn end_reaches_the_last_of_more_than_a_million_rows() {
    const ROWS: u64 = 1_000_123;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("acct-big.csv");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        writeln!(f, "type,timeLogged,rcpt").expect("write");
        for i in 0..ROWS {
            writeln!(f, "d,{},u{i}@x.example", 1_795_000_000 + i / 100).expect("write");
        }
    }
    let mut app = new_app(false);
    scan(&mut app, &[path], 1 << 20);
    assert_eq!(app.data.aggregates.records, ROWS);
    assert_eq!(app.data.rows.len as u64, ROWS);
    assert_eq!(app.data.rows.unlocated, 0);
    app.update(Action::Show(View::Rows));
    app.update(Action::End);
    assert_eq!(sel(&app) as u64, ROWS - 1);
    let r = app.row(sel(&app)).expect("the last row, parsed");
    assert_eq!(r.values[2], format!("u{}@x.example", ROWS - 1));
    assert_eq!(r.line, ROWS + 1);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("1,000,123/1,000,123"), "{screen}");
    assert!(screen.contains("1,000,124"), "the line number: {screen}");

    // `f` through a million rows: a frame's worth a tick, the screen answering in between,
    // and Esc stops it where it is
    app.update(Action::Home);
    app.update(Action::Find);
    for c in "no-such".chars() {
        app.update(Action::Prompt(Edit::Insert(c)));
    }
    app.update(Action::PromptSubmit);
    let done = |app: &App| app.rows.scan.as_ref().map(|(s, _)| s.done);
    let first = done(&app).expect("the search goes on after Enter");
    assert!(first > 0 && first <= FRAME_ROWS, "{first}");
    app.update(Action::Tick(app.progress));
    let second = done(&app).expect("still going");
    assert!(
        second > first && second - first <= FRAME_ROWS,
        "{first} {second}"
    );
    let screen = render(&app, 80, 24);
    assert!(screen.contains("finding `no-such`…"), "{screen}");
    assert!(screen.contains("(Esc stops)"), "{screen}");
    app.update(Action::Cancel);
    assert!(app.rows.scan.is_none());
    assert_eq!(sel(&app), 0);
    let m = app.message.clone().unwrap_or_default();
    assert!(m.starts_with("stopped finding `no-such`"), "{m}");
    // a row far down, found as typed: the ticks carry the search to it
    app.update(Action::Find);
    for c in "u999999@".chars() {
        app.update(Action::Prompt(Edit::Insert(c)));
    }
    app.update(Action::PromptSubmit);
    settle_search(&mut app);
    assert_eq!(sel(&app), 999_999);
    let m = app.message.clone().unwrap_or_default();
    assert_eq!(m, "`u999999@`: row 1,000,000");
}

#[test]
fn end_then_follow_keeps_the_newest_row_selected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("acct.csv");
    let row = |i: u32| format!("d,2026-01-14 10:00:{:02}+0000,u{i}@x.example\n", i % 60);
    let mut text = String::from("type,timeLogged,rcpt\n");
    for i in 0..50 {
        text.push_str(&row(i));
    }
    std::fs::write(&path, &text).expect("write");
    let mut app = new_app(true);
    let mut s = Scanner::new(
        spec(vec![path.clone()], Filter::default(), true, 4096),
        app.generation,
        None,
    );
    assert!(s.initial(&AtomicBool::new(false), |_| {}));
    app.update(Action::Loaded(Box::new(s.snapshot())));
    app.update(Action::Show(View::Rows));
    app.update(Action::End);
    assert_eq!(sel(&app), 49);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    f.write_all(format!("{}{}", row(50), row(51)).as_bytes())
        .expect("append");
    assert!(s.poll());
    app.update(Action::Loaded(Box::new(s.snapshot())));
    assert_eq!(sel(&app), 51, "the selection follows the new rows");
    assert_eq!(app.row(51).expect("parsed").values[2], "u51@x.example");
    assert!(render(&app, 80, 24).contains("following the end"));
    // moved up: new rows no longer move the selection
    app.update(Action::Up);
    f.write_all(row(52).as_bytes()).expect("append");
    assert!(s.poll());
    app.update(Action::Loaded(Box::new(s.snapshot())));
    assert_eq!(sel(&app), 50);
}

/// Both features together: a Senders cell drilled into lists its rows, `f` finds within them
/// (wrapping), and Backspace brings back the Senders cell, row and column, and the Rows
/// selection as they were before the drill.
#[test]
fn a_cell_drilled_into_lists_its_rows_and_f_finds_within_them() {
    let mut app = loaded_rows();
    let all = app.data.rows.len;
    act(
        &mut app,
        [
            Action::Show(View::Senders),
            Action::Down,
            Action::Right,
            Action::Right,
        ],
    );
    let senders = app.list(View::Senders);
    assert!(senders.col() > 0, "the column cursor moved");
    act(&mut app, [Action::Enter]);
    assert_eq!(app.view, View::Rows);
    assert!(!app.filter.is_empty());
    let n = app.data.rows.len;
    assert!(n > 0 && n < all, "{n} of {all}");
    // the first drilled row's recipient, found from the last row: wraps to the top
    let rcpt = app.row(0).expect("row 0").values[4].clone();
    act(&mut app, [Action::End]);
    assert_eq!(sel(&app), n - 1);
    find(&mut app, &rcpt);
    assert!(app.row(sel(&app)).is_some_and(|r| r.raw.contains(&rcpt)));
    act(&mut app, [Action::Back]);
    assert_eq!(app.view, View::Senders);
    assert_eq!(app.list(View::Senders), senders);
    assert_eq!(app.data.rows.len, all);
    assert_eq!(app.list(View::Rows).sel(), 0);
}
