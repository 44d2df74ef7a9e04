//! The dashboard an operator acts from (issue 11): findings to select and open, a cell of
//! Senders, Domains and Codes to open, sorting by any column, complaints beside the counts, one
//! definition of the deferral and bounce rows, the zoomed Timeline, the Connections chart. On
//! sample-logs, in ratatui's `TestBackend`, driven by the app's actions; every number checked is
//! the summary's.
#![cfg(feature = "tui")]

#[path = "support/dashboard.rs"]
mod dashboard;

use std::sync::Arc;

use dashboard::samples;
use pmta_lens::analysis::AnalysisParams;
use pmta_lens::classify::Classifier;
use pmta_lens::cli::connections::{self as conn_cli, Args as ConnArgs};
use pmta_lens::filter::Filter;
use pmta_lens::tui::action::Action;
use pmta_lens::tui::app::{App, Cursor, LineCol, View};
use pmta_lens::tui::render;

/// Scans sample-logs as the dashboard runs on them (its config and connections log found as
/// the command line finds them) for the app's filter.
fn scan(app: &mut App) {
    let spec = dashboard::spec(vec![samples()], app.filter.clone(), false, 4096, true);
    dashboard::scan_into(app, spec);
}

fn loaded(w: u16, h: u16) -> App {
    let mut app = dashboard::new_app(false, false, w, h);
    scan(&mut app);
    app
}

/// Each action, then the rescan it asked for, as the runtime does.
fn act(app: &mut App, actions: impl IntoIterator<Item = Action>) {
    for a in actions {
        app.update(a);
        if app.take_rescan().is_some() {
            scan(app);
        }
    }
}

fn snapshot(name: &str, app: &mut App, w: u16, h: u16) -> String {
    app.update(Action::Resize(w, h));
    let screen = render(app, w, h);
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen);
    screen
}

/// What the summary's analyses found on sample-logs.
fn analyses() -> pmta_lens::analysis::Analyses {
    let paths = vec![samples()];
    let setup = conn_cli::load(&ConnArgs::default(), &paths).expect("setup");
    let (inputs, _) = pmta_lens::acct::discover::discover(&paths);
    let (_, analyses, _) = pmta_lens::cli::connections::scan_and_analyze(
        &inputs,
        &pmta_lens::scan::ScanOptions::default(),
        &Classifier::builtin(),
        &Filter::default(),
        &setup.plan(),
        &AnalysisParams::default(),
        &setup,
    );
    analyses
}

/// The index of the first finding whose line says `label`.
fn finding(app: &App, label: &str) -> usize {
    app.findings()
        .iter()
        .position(|i| i.label == label)
        .unwrap_or_else(|| panic!("no finding {label}: {:?}", app.findings()))
}

fn select_finding(app: &mut App, i: usize) {
    act(app, [Action::Show(View::Overview), Action::Home]);
    for _ in 0..i {
        act(app, [Action::Down]);
    }
}

#[test]
fn every_kind_of_finding_shows_at_80x24_and_enter_opens_its_rows() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = loaded(w, h);
        let screen = snapshot("findings", &mut app, w, h);
        // one line for each kind, the most severe first; the rest counted
        let kinds: &[&str] = if w == 80 {
            &[
                "RP-x",
                "5.7.x",
                "SC-001",
                "RP-002",
                "burst",
                "RP-001 retry",
                "spikes",
                "complaints",
                "volume-tier",
            ]
        } else {
            &[
                "RP-001",
                "5.7.606",
                "RP-002",
                "burst",
                "RP-001 retry",
                "spikes",
                "complaints",
                "volume-tier",
            ]
        };
        for kind in kinds {
            assert!(
                screen.contains(&format!(" {kind}")),
                "{kind} at {w}x{h}:\n{screen}"
            );
        }
        assert!(!screen.contains("more on a taller screen"), "{screen}");
        assert!(screen.contains("Enter: code="), "{screen}");
    }
    let mut app = loaded(80, 24);
    // a burst: its minutes, in the Timeline
    let b = finding(&app, "burst");
    select_finding(&mut app, b);
    act(&mut app, [Action::Enter]);
    assert_eq!(app.view, View::Timeline);
    assert_eq!(
        app.filter.as_str(),
        "since=2026-11-20T13:58:00Z until=2026-11-20T14:04:00Z"
    );
    assert_eq!(app.data.aggregates.records, 50, "the burst's 50 rows");
    act(&mut app, [Action::Back]);
    assert_eq!((app.view, app.filter.as_str()), (View::Overview, ""));
    assert_eq!(
        app.list(View::Overview).sel(),
        b,
        "Backspace comes back to it"
    );
    // RP-001 retried too soon: those recipients' rows
    let r = finding(&app, "RP-001 retry");
    select_finding(&mut app, r);
    act(&mut app, [Action::Enter]);
    assert_eq!(app.view, View::Rows);
    let a = analyses();
    let mut keys: Vec<String> = a
        .retry_hygiene
        .recipients
        .examples
        .iter()
        .map(|e| e.key.clone())
        .collect();
    keys.dedup();
    assert_eq!(app.filter.as_str(), format!("rcpt={}", keys.join(",")));
    assert!(app.data.aggregates.records > 0);
    act(&mut app, [Action::Back]);
    // a family of critical codes: those codes, in Codes (each with its action)
    let c = finding(&app, "5.7.x ×7");
    select_finding(&mut app, c);
    act(&mut app, [Action::Enter]);
    assert_eq!(app.view, View::Codes);
    assert!(
        app.filter.as_str().starts_with("code=5.7."),
        "{}",
        app.filter.as_str()
    );
    assert_eq!(app.derived.codes.len(), 7);
    assert!(app.derived.codes.iter().all(|c| c.name.starts_with("5.7.")));
}

#[test]
fn a_filter_matching_nothing_says_so_in_what_to_do() {
    let mut app = loaded(80, 24);
    act(&mut app, [Action::OpenPrompt]);
    for c in "ip=203.0.113.99".chars() {
        act(
            &mut app,
            [Action::Prompt(pmta_lens::tui::action::Edit::Insert(c))],
        );
    }
    act(
        &mut app,
        [Action::PromptSubmit, Action::Show(View::Overview)],
    );
    let screen = render(&app, 80, 24);
    assert!(!screen.contains("no timestamps yet"), "{screen}");
    assert!(!screen.contains("Nothing to act on"), "{screen}");
    assert!(screen.contains("the filter matched no rows"), "{screen}");
    assert!(screen.contains("The filter matched no rows"), "{screen}");
}

/// Moves the column cursor right until it is on `col`.
fn to_col(app: &mut App, col: LineCol) {
    act(app, [Action::Left, Action::Left, Action::Left]);
    for _ in 0..app.derived.line_cols.len() {
        let c = app.list(app.view).col();
        if app.derived.line_cols.get(c) == Some(&col) {
            return;
        }
        act(app, [Action::Right]);
    }
    panic!("{col:?} is not shown");
}

#[test]
fn enter_on_a_cell_of_senders_and_domains_filters_to_that_cell() {
    let mut app = loaded(80, 24);
    act(&mut app, [Action::Show(View::Senders)]);
    // vmta-ms-02's RP-001 cell, at 80 columns
    let row = app
        .derived
        .senders
        .iter()
        .position(|l| &*l.key == "vmta-ms-02")
        .expect("vmta-ms-02");
    for _ in 0..row {
        act(&mut app, [Action::Down]);
    }
    let rp001 = app
        .derived
        .ms_codes
        .iter()
        .position(|c| app.ctx.classifier.code_name(*c) == "RP-001")
        .expect("RP-001 seen");
    to_col(&mut app, LineCol::Code(rp001));
    let n = app.derived.senders[row].ms[rp001];
    let screen = snapshot("senders_cell", &mut app, 80, 24);
    assert!(
        screen.contains("Enter: vmta=vmta-ms-02 code=RP-001"),
        "{screen}"
    );
    act(&mut app, [Action::Enter]);
    assert_eq!(app.view, View::Rows);
    assert_eq!(app.filter.as_str(), "vmta=vmta-ms-02 code=RP-001");
    assert_eq!(app.data.aggregates.records, n);
    act(&mut app, [Action::Back]);
    assert_eq!(app.view, View::Senders);
    assert_eq!(
        app.list(View::Senders).col(),
        app.derived
            .line_cols
            .iter()
            .position(|c| *c == LineCol::Code(rp001))
            .expect("col")
    );

    // Domains: outlook.com's bounces
    act(&mut app, [Action::Show(View::Domains)]);
    assert_eq!(&*app.derived.domains[0].line.key, "outlook.com");
    act(&mut app, [Action::Right]);
    assert_eq!(
        app.list(View::Domains).col(),
        0,
        "→ on a rollup's name expands it"
    );
    to_col(&mut app, LineCol::Bounced);
    let screen = snapshot("domains_cell", &mut app, 120, 40);
    assert!(
        screen.contains("Enter: domain=outlook.com type=b,rb"),
        "{screen}"
    );
    let bounced = app.derived.domains[0].line.counts.bounced();
    act(&mut app, [Action::Enter]);
    assert_eq!(app.filter.as_str(), "domain=outlook.com type=b,rb");
    assert_eq!(app.data.aggregates.records, bounced);
}

/// Where each column title starts on the header line of a table.
fn header_at(screen: &str, line: usize, titles: &[&str]) -> Vec<Option<usize>> {
    let l = screen.lines().nth(line).unwrap_or("");
    // in columns, not bytes (the sort marker is three bytes)
    titles
        .iter()
        .map(|t| l.find(t).map(|b| l[..b].chars().count()))
        .collect()
}

#[test]
fn any_column_sorts_marked_and_the_columns_stay_put() {
    let mut app = loaded(120, 40);
    act(&mut app, [Action::Show(View::Senders)]);
    let titles = ["rows", "dlv%", "cmpl", "RP-002", "RP-001", "top code"];
    let before = header_at(&render(&app, 120, 40), 3, &titles);
    let rp002 = app
        .derived
        .ms_codes
        .iter()
        .position(|c| app.ctx.classifier.code_name(*c) == "RP-002")
        .expect("RP-002");
    to_col(&mut app, LineCol::Code(rp002));
    act(&mut app, [Action::SortNext]);
    let screen = snapshot("senders_sorted_by_code", &mut app, 120, 40);
    assert!(screen.contains("RP-002▼"), "{screen}");
    assert_eq!(header_at(&screen, 3, &titles), before, "{screen}");
    let counts: Vec<u64> = app.derived.senders.iter().map(|l| l.ms[rp002]).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    assert_eq!(&*app.derived.senders[0].key, "vmta-ms-02");
    act(&mut app, [Action::SortReverse]);
    assert!(render(&app, 120, 40).contains("RP-002▲"));
    // complaints sort too
    to_col(&mut app, LineCol::Complaints);
    act(&mut app, [Action::SortNext]);
    let c: Vec<u64> = app
        .derived
        .senders
        .iter()
        .map(|l| l.complaints.map_or(0, |k| k.complaints))
        .collect();
    assert!(c.windows(2).all(|w| w[0] >= w[1]), "{c:?}");

    // Codes at 80 columns: `s` visits only the columns shown, each marked on screen
    let mut app = loaded(80, 24);
    act(&mut app, [Action::Show(View::Codes)]);
    for _ in 0..8 {
        act(&mut app, [Action::SortNext]);
        let screen = render(&app, 80, 24);
        let header = screen.lines().nth(3).unwrap_or("");
        assert!(
            header.contains('▼'),
            "the sorted column is shown:\n{screen}"
        );
        assert!(!screen.contains("hidden"), "{screen}");
    }
    // a sort whose column a narrower screen hides says so
    let mut app = loaded(140, 40);
    act(&mut app, [Action::Show(View::Codes)]);
    while !render(&app, 140, 40).contains("last▼") {
        act(&mut app, [Action::SortNext]);
    }
    app.update(Action::Resize(80, 24));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("sorted by last, hidden at this width"),
        "{screen}"
    );
}

#[test]
fn senders_and_domains_show_complaints_and_rp001_as_the_summary_has_them() {
    let a = analyses();
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = loaded(w, h);
        act(&mut app, [Action::Show(View::Senders)]);
        let screen = snapshot("senders_complaints", &mut app, w, h);
        let header = screen.lines().nth(3).unwrap_or("");
        for col in ["cmpl", "cmpl%", "RP-001", "RP-002"] {
            assert!(header.contains(col), "{col} at {w}x{h}:\n{screen}");
        }
        assert!(
            screen.contains("7 VMTAs + (unattributed) (none)"),
            "{screen}"
        );
    }
    let mut app = loaded(120, 40);
    act(&mut app, [Action::Show(View::Senders)]);
    for g in &a.complaints.by_vmta {
        let line = app
            .derived
            .senders
            .iter()
            .find(|l| *l.key == *g.key)
            .unwrap_or_else(|| panic!("{} in Senders", g.key));
        let k = line.complaints.expect("complaints");
        assert_eq!((k.complaints, k.rate), (g.complaints, g.rate), "{}", g.key);
    }
    act(&mut app, [Action::Group]);
    for g in &a.complaints.by_source_ip {
        if let Some(line) = app.derived.senders.iter().find(|l| *l.key == *g.key) {
            let k = line.complaints.expect("complaints");
            assert_eq!((k.complaints, k.rate), (g.complaints, g.rate), "{}", g.key);
        }
    }
    // by job (`g` past pool): the summary's table, each job complained about and no other
    act(&mut app, [Action::Group, Action::Group]);
    assert_eq!(app.group(), pmta_lens::tui::app::Group::Job);
    let jobs: Vec<(String, u64, Option<f64>)> = app
        .derived
        .senders
        .iter()
        .map(|l| {
            let k = l.complaints.expect("complaints");
            (l.key.to_string(), k.complaints, k.rate)
        })
        .collect();
    let want: Vec<(String, u64, Option<f64>)> = a
        .complaints
        .by_job
        .iter()
        .map(|g| (g.key.clone(), g.complaints, g.rate))
        .collect();
    assert_eq!(jobs, want);
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = snapshot("senders_jobs", &mut app, w, h);
        assert!(screen.contains("2 jobs complained about"), "{screen}");
    }
    // Enter on a job's complaints: exactly those (their recipients), on its name: its rows
    let to = app
        .derived
        .line_cols
        .iter()
        .position(|c| *c == LineCol::Complaints)
        .expect("a complaints column");
    app.views.senders.list.select_column(Some(to));
    let n = app.derived.senders[0]
        .complaints
        .expect("complaints")
        .complaints;
    act(&mut app, [Action::Enter]);
    assert!(
        app.filter.as_str().starts_with("type=f rcpt="),
        "{}",
        app.filter.as_str()
    );
    assert_eq!(app.data.aggregates.records, n);
    act(&mut app, [Action::Back]);
    app.views.senders.list.select_column(None);
    act(&mut app, [Action::Enter]);
    assert_eq!(
        app.filter.as_str(),
        format!("job={}", a.complaints.by_job[0].key)
    );
    assert!(app.data.aggregates.records > 0);
    act(&mut app, [Action::Back]);
    act(&mut app, [Action::Show(View::Domains)]);
    for g in &a.complaints.by_domain {
        if let Some(r) = app.derived.domains.iter().find(|r| *r.line.key == *g.key) {
            let k = r.line.complaints.expect("complaints");
            assert_eq!((k.complaints, k.rate), (g.complaints, g.rate), "{}", g.key);
        }
    }
    snapshot("domains_complaints", &mut app, 120, 40);
}

#[test]
fn codes_count_the_rows_with_a_response_as_the_summary_and_say_so() {
    let mut app = loaded(80, 24);
    act(&mut app, [Action::Show(View::Codes)]);
    let by_type = app.data.aggregates.by_type;
    let rs = by_type.get(pmta_lens::model::RecordKind::RemoteStatus);
    // the summary's code shares: every code's rows over the rows with a response
    assert_eq!(
        app.derived.responses,
        by_type.deferred() + by_type.bounced() + rs
    );
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = snapshot("codes_counted", &mut app, w, h);
        assert!(
            screen.contains(&format!(
                "26 codes in {} deferral and bounce rows ({} deferred + {} bounced + {rs} rs)",
                app.derived.responses,
                by_type.deferred(),
                by_type.bounced()
            )),
            "{screen}"
        );
        // the detail header is whole: no word cut
        let detail = screen
            .lines()
            .skip_while(|l| !l.contains("in full"))
            .nth(1)
            .unwrap_or("");
        assert!(!detail.contains('…'), "{detail}");
        assert!(detail.contains("52 rows (36.9% of 141)"), "{screen}");
    }
    // Overview's deferred and bounced, and its `rs`, add up to the same
    act(&mut app, [Action::Show(View::Overview)]);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("deferred 106"), "{screen}");
    assert!(screen.contains("bounced 31"), "{screen}");
}

#[test]
fn the_overview_cuts_no_word_at_80x24() {
    let app = loaded(80, 24);
    let screen = render(&app, 80, 24);
    for l in screen.lines() {
        // an ellipsis only after a whole word
        if let Some(at) = l.find('…') {
            let before = &l[..at];
            assert!(
                before.ends_with(|c: char| c.is_alphanumeric() || c == ')' || c == ';' || c == ','),
                "{l}"
            );
        }
    }
    assert!(screen.contains("peak 11/min at 11-20 14:02"), "{screen}");
    // the chart (right of the destinations) has a scale: its top, the largest bar, and 0
    let chart: Vec<String> = screen
        .lines()
        .skip_while(|l| !l.contains("Deferrals per"))
        .map(|l| l.chars().skip(48).collect())
        .collect();
    assert!(chart[0].contains("Deferrals per"), "{screen}");
    let top = chart[1].split_whitespace().next().expect("the scale's top");
    assert!(top.parse::<u64>().is_ok_and(|n| n >= 11), "{screen}");
    assert!(
        chart.iter().any(|l| l.trim_start().starts_with("0 ")),
        "{screen}"
    );
}

#[test]
fn a_zoomed_burst_is_laid_out_like_the_timeline_and_keeps_its_bursts() {
    let mut app = loaded(80, 24);
    act(&mut app, [Action::NextBurst, Action::Zoom]);
    assert_eq!(
        app.filter.as_str(),
        "since=2026-11-20T13:58:00Z until=2026-11-20T14:04:00Z"
    );
    let screen = snapshot("zoomed_burst", &mut app, 80, 24);
    assert!(!screen.contains("No bursts in this range"), "{screen}");
    // the filter whole on its line at 80 columns (the keys' hint gives way)
    assert!(
        screen.contains("filter: since=2026-11-20T13:58:00Z until=2026-11-20T14:04:00Z\n"),
        "{screen}"
    );
    assert!(screen.contains("Burst 1/"), "{screen}");
    // the chart spans the width: bars beyond the 6th column
    let bars = screen.lines().nth(4).unwrap_or("");
    assert!(bars.trim_end().chars().count() > 40, "{screen}");
    // the axis labels are whole
    let axis = screen.lines().nth(6).unwrap_or("");
    assert!(axis.contains("13:58") && axis.contains("14:03"), "{axis}");
    snapshot("zoomed_burst", &mut app, 120, 40);
    // `6 z`: the selected minute zoomed (the Timeline opens on the busiest), laid out the same
    let mut app = loaded(80, 24);
    act(&mut app, [Action::Show(View::Timeline), Action::Zoom]);
    assert!(
        app.filter.as_str().starts_with("since="),
        "{}",
        app.filter.as_str()
    );
    let screen = render(&app, 80, 24);
    let bars = screen.lines().nth(4).unwrap_or("");
    assert!(bars.trim_end().chars().count() > 40, "{screen}");
    assert!(!screen.contains("No bursts in this range"), "{screen}");
    let axis = screen.lines().nth(6).unwrap_or("");
    // the labels whole, none written over by the ▲ (`13:5▲`)
    let chars: Vec<char> = axis.chars().collect();
    assert!(
        !chars
            .windows(2)
            .any(|w| (w[0] == '▲' && w[1].is_ascii_digit())
                || (w[1] == '▲' && w[0].is_ascii_digit())),
        "{axis}"
    );
    assert!(axis.matches(':').count() >= 2, "{axis}");
    // a burst measured on one IP, on its own (no all-IPs burst over it), zooms to that IP
    let mut app = loaded(80, 24);
    let all = app.bursts().expect("bursts").to_vec();
    let per_ip = all
        .iter()
        .find(|b| b.source_ip.as_deref() == Some("192.0.2.10"))
        .expect("a burst on 192.0.2.10")
        .clone();
    app.data.bursts = Some(Arc::new(vec![per_ip]));
    act(&mut app, [Action::NextBurst]);
    assert!(render(&app, 80, 24).contains("Burst 1/1 RP-002 on 192.0.2.10"));
    act(&mut app, [Action::Zoom]);
    assert_eq!(
        app.filter.as_str(),
        "since=2026-11-20T13:58:00Z until=2026-11-20T14:04:00Z ip=192.0.2.10"
    );
    assert_eq!(
        app.data.aggregates.records, 19,
        "the burst's rows on 192.0.2.10"
    );
}

#[test]
fn connections_show_the_budget_source_a_scale_and_the_connections_open_before_the_log() {
    let mut app = loaded(120, 40);
    act(&mut app, [Action::Show(View::Connections)]);
    let screen = snapshot("connections_budget", &mut app, 120, 40);
    assert!(screen.contains("over budget"), "{screen}");
    assert!(!screen.contains("over s "), "{screen}");
    assert!(
        screen.contains("budget 20 from pool microsoft-pool at sample-logs/pmta-config:60"),
        "{screen}"
    );
    assert!(screen.contains("RP-002 bursts: 1"), "{screen}");
    assert!(
        screen.contains("(─)") && screen.contains("────"),
        "{screen}"
    );
    // a y-axis scale left of the chart: the top, the budget, 0
    let below = screen.lines().skip_while(|l| !l.contains("budget 20 (─)"));
    let scale: Vec<String> = below
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|w| w.parse::<u32>().is_ok())
        .collect();
    assert!(
        scale.iter().any(|w| w == "20") && scale.iter().any(|w| w == "0"),
        "{scale:?}\n{screen}"
    );
    let screen = snapshot("connections_budget", &mut app, 80, 24);
    // at 80 columns too: the title whole, the budget's source in whole parts
    assert!(
        screen.contains("microsoft-pool: connections (log) · budget 20 (─) · peak 25 ─"),
        "{screen}"
    );
    assert!(
        screen.contains(
            "\nbudget 20 from pool microsoft-pool at sample-logs/pmta-config:60 (4 VMTAs)\n"
        ),
        "{screen}"
    );
    // the connections the log shows open when it begins: no pool, no budget, not over it
    let conns = app.data.connections.clone().expect("connections");
    let i = conns
        .rows
        .iter()
        .position(|r| r.pool == "(none)" && r.budget == 0)
        .expect("a row of connections open before the log");
    for _ in 0..i {
        act(&mut app, [Action::Down]);
    }
    let screen = snapshot("connections_before_log", &mut app, 120, 40);
    let line = screen
        .lines()
        .find(|l| l.contains(&format!("{} · (none)", conns.rows[i].domain)))
        .expect("the row");
    assert!(line.contains("open before the log"), "{line}");
    assert!(!line.contains('█'), "{line}");
    assert!(screen.contains("opened before the log begins"), "{screen}");
}

/// The number a count cell shows (`·` is 0; `RP-002 (52)` counts 52), `None` for `-`.
fn cell_count(text: &str) -> Option<u64> {
    let t = text.trim();
    let n = match t.rsplit_once('(') {
        Some((_, n)) => n.trim_end_matches(')'),
        None => t,
    };
    match n {
        "·" => Some(0),
        "-" | "" => None,
        n => Some(
            n.replace(',', "")
                .parse()
                .unwrap_or_else(|_| panic!("{t:?}")),
        ),
    }
}

/// Enter on the cell at `(row, col)` of the current view; the rows it opens, then back.
fn drilled(app: &mut App, row: usize, col: usize) -> Option<(String, u64, u64)> {
    let v = app.view;
    let l = app.views.list_mut(v).expect("a table view");
    l.select(Some(row));
    l.select_column((col > 0).then_some(col));
    app.drill_term()?;
    act(app, [Action::Enter]);
    assert_eq!(app.view, View::Rows);
    let got = (
        app.filter.as_str().to_string(),
        app.data.aggregates.records,
        app.data.rows.len as u64,
    );
    act(app, [Action::Back]);
    assert_eq!(app.view, v);
    Some(got)
}

#[test]
fn enter_on_a_count_opens_exactly_the_rows_it_counts() {
    use pmta_lens::tui::app::Group;
    use pmta_lens::tui::derive::{code_cell, line_cell};
    // wide enough for every column, so every count cell can be selected
    let mut app = loaded(400, 60);
    let (mut checked, mut seen) = (0, 0);
    // Each drill-down rescans sample-logs: every complaint cell (the filters built from the
    // analyses), and every sixth other cell, in table order so every kind of column comes up
    // (the whole lot, 300 cells, takes too long for a debug test).
    let mut check = |app: &mut App, what: &str, row: usize, col: usize, want: u64| {
        seen += 1;
        if seen % 6 != 1 && !what.ends_with("Complaints") {
            return;
        }
        let Some((filter, records, rows)) = drilled(app, row, col) else {
            assert_eq!(want, 0, "{what}: no drill-down from a cell of {want}");
            return;
        };
        assert_eq!(
            (records, rows),
            (want, want),
            "{what}: Enter gave `{filter}`"
        );
        checked += 1;
    };
    let count_cols: Vec<(usize, LineCol)> = app
        .derived
        .line_cols
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, c)| {
            matches!(
                c,
                LineCol::Rows | LineCol::Complaints | LineCol::Code(_) | LineCol::Top
            )
        })
        .collect();
    // Senders, by each grouping: every non-zero count, and a zero code cell of each line (its
    // filter must find nothing); zero complaint cells open nothing
    act(&mut app, [Action::Show(View::Senders)]);
    for group in [Group::Vmta, Group::SourceIp, Group::Pool, Group::Job] {
        while app.group() != group {
            act(&mut app, [Action::Group]);
        }
        let lines = app.derived.senders.clone();
        assert!(!lines.is_empty(), "{group:?}");
        for (r, l) in lines.iter().enumerate() {
            let mut zero_done = false;
            for &(c, col) in &count_cols {
                let Some(n) = cell_count(&line_cell(&app.ctx.classifier, l, col)) else {
                    continue;
                };
                if n == 0 && (zero_done || col == LineCol::Complaints) {
                    continue;
                }
                zero_done |= n == 0;
                check(&mut app, &format!("{group:?} {} {col:?}", l.key), r, c, n);
            }
        }
    }
    // Domains, the rollups expanded: destinations and member domains
    act(&mut app, [Action::Show(View::Domains)]);
    let rollups: Vec<usize> = (0..app.derived.domain_lines.len()).collect();
    for i in rollups.into_iter().rev() {
        app.views.domains.list.select(Some(i));
        app.views.domains.list.select_column(None);
        act(&mut app, [Action::Right]);
    }
    let lines = app.derived.domain_lines.clone();
    assert!(lines.iter().any(|(_, m)| m.is_some()), "rollups expanded");
    for (r, (d, m)) in lines.into_iter().enumerate() {
        let row = &app.derived.domains[d];
        let l = m.map_or(&row.line, |m| &row.members[m]).clone();
        for &(c, col) in &count_cols {
            let Some(n) = cell_count(&line_cell(&app.ctx.classifier, &l, col)) else {
                continue;
            };
            if n > 0 {
                check(&mut app, &format!("domain {} {col:?}", l.key), r, c, n);
            }
        }
    }
    // Codes: each code's rows
    act(&mut app, [Action::Show(View::Codes)]);
    for r in 0..app.derived.codes.len() {
        let n = cell_count(&code_cell(&app.derived.codes[r], 3, 1, false)).expect("a count");
        let what = format!("code {}", app.derived.codes[r].name);
        check(&mut app, &what, r, 3, n);
    }
    assert!(checked > 50, "{checked} cells");
}
