//! The filter prompt: line editing, history, completion from the data, errors explained in
//! full, and the fields that trace one message (`rcpt`, `orig`, `queue`, `envid`).

use super::*;

fn prompt_text(app: &App) -> (String, usize) {
    let p = app.prompt.as_ref().expect("the prompt is open");
    (p.text.clone(), p.cursor)
}

#[test]
fn the_prompt_edits_in_the_line_recalls_filters_and_completes_from_the_data() {
    let mut app = loaded();
    act(&mut app, [Action::OpenPrompt]);
    type_text(&mut app, "ip=192.0.2.10 code=RP-002");
    // ← ×11 then Ctrl-W: the word before the cursor goes, the rest stays
    for _ in 0.."code=RP-002".len() {
        app.update(Action::Prompt(Edit::Left));
    }
    app.update(Action::Prompt(Edit::KillWord));
    assert_eq!(prompt_text(&app), ("code=RP-002".into(), 0));
    app.update(Action::Prompt(Edit::End));
    app.update(Action::Prompt(Edit::KillToStart));
    assert_eq!(prompt_text(&app), (String::new(), 0));
    // Tab: a field name, then a VMTA seen in the data (several start alike: listed)
    type_text(&mut app, "vm");
    app.update(Action::Prompt(Edit::Complete));
    assert_eq!(prompt_text(&app).0, "vmta=");
    type_text(&mut app, "vmta-ms");
    app.update(Action::Prompt(Edit::Complete));
    assert_eq!(prompt_text(&app).0, "vmta=vmta-ms-0");
    app.update(Action::Prompt(Edit::Complete));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("4 candidates"), "{screen}");
    assert!(
        screen.contains("vmta-ms-01  vmta-ms-02  vmta-ms-03  vmta-ms-04"),
        "{screen}"
    );
    snapshot("prompt_candidates", &mut app, 80, 24);
    snapshot("prompt_candidates", &mut app, 120, 40);
    type_text(&mut app, "2");
    app.update(Action::Prompt(Edit::Complete));
    type_text(&mut app, "code=rp-0");
    app.update(Action::Prompt(Edit::Complete));
    assert_eq!(prompt_text(&app).0, "vmta=vmta-ms-02 code=RP-00");
    type_text(&mut app, "2");
    act(&mut app, [Action::PromptSubmit]);
    assert_eq!(app.filter.as_str(), "vmta=vmta-ms-02 code=RP-002");
    assert_eq!(app.data.aggregates.records, 32, "as Senders shows");
    // the domain of a rollup member and a code: values seen in the rows
    act(&mut app, [Action::Cancel, Action::OpenPrompt]);
    type_text(&mut app, "domain=hotmail.c");
    app.update(Action::Prompt(Edit::Complete));
    assert_eq!(prompt_text(&app).0, "domain=hotmail.co");
    // ↑ brings back the filters of the session, newest first; ↓ goes back to the typing
    app.update(Action::Prompt(Edit::Older));
    assert_eq!(prompt_text(&app).0, "vmta=vmta-ms-02 code=RP-002");
    app.update(Action::Prompt(Edit::Newer));
    assert_eq!(prompt_text(&app).0, "domain=hotmail.co");
    // the --where the dashboard was opened with is in the history too
    let f = Filter::parse("code=RP-001", &Classifier::builtin(), fixed_now()).expect("valid");
    let mut app = App::new(
        Session {
            classifier: Arc::new(Classifier::builtin()),
            theme: Theme { color: false },
            follow: false,
            now: fixed_now,
            source: "sample-logs/".into(),
        },
        f,
    );
    app.update(Action::OpenPrompt);
    app.update(Action::Prompt(Edit::KillToStart));
    app.update(Action::Prompt(Edit::Older));
    assert_eq!(prompt_text(&app).0, "code=RP-001");
}

#[test]
fn a_bad_filter_is_explained_in_full_under_the_prompt_at_80x24_and_120x40() {
    let mut app = loaded();
    submit_filter(&mut app, "ip=192.0.2.10 foo=bar");
    let err = prompt_error(&app);
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = render(&app, w, h);
        // the prompt's lines, down to the rule under the error: nothing cut
        let top: Vec<&str> = screen
            .lines()
            .take_while(|l| !l.starts_with("────"))
            .collect();
        assert!(
            top.len() > 2 && !top.iter().any(|l| l.contains('…')),
            "nothing is cut:\n{screen}"
        );
        // every word of the error is on the screen, in order
        let shown: String = screen.split_whitespace().collect::<Vec<_>>().join(" ");
        let words: String = err.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(shown.contains(&words), "{err}\n{screen}");
        snapshot("prompt_error", &mut app, w, h);
    }
    // a regex error (long, from the regex crate) too
    act(&mut app, [Action::Cancel]);
    submit_filter(&mut app, "diag~(to match");
    let err = prompt_error(&app);
    let screen = render(&app, 80, 24);
    let shown: String = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    let words: String = err.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(shown.contains(&words), "{err}\n{screen}");
}

#[test]
fn rcpt_orig_queue_and_envid_trace_one_message() {
    let mut app = loaded();
    // a recipient with a deferral and then a delivery (sample-logs: RP-002 then delivered)
    let rcpt = {
        act(
            &mut app,
            [
                Action::Show(View::Codes),
                Action::Enter,
                Action::Show(View::Rows),
            ],
        );
        let r = app.row(0).expect("a row");
        r.get(pmta_lens::acct::header::Col::Rcpt).to_string()
    };
    act(&mut app, [Action::Cancel]);
    assert!(app.filter.is_empty(), "{}", app.filter.as_str());
    act(&mut app, [Action::OpenPrompt]);
    type_text(&mut app, &format!("rcpt={}", rcpt.to_uppercase()));
    act(&mut app, [Action::PromptSubmit]);
    assert!(app.prompt.is_none());
    let n = app.data.aggregates.records;
    assert!(n >= 1, "{rcpt}");
    act(&mut app, [Action::Show(View::Rows)]);
    for i in 0..app.data.rows.len {
        let r = app.row(i).expect("a row");
        assert!(
            r.get(pmta_lens::acct::header::Col::Rcpt)
                .eq_ignore_ascii_case(&rcpt)
        );
    }
    // orig, queue and envid read their columns
    for (expr, some) in [
        ("orig~@", true),
        ("queue~/", true),
        ("envid~.", true),
        ("envid=no-such-id", false),
    ] {
        let f = Filter::parse(expr, &Classifier::builtin(), fixed_now()).expect(expr);
        let mut app = new_app(false);
        app.filter = f;
        scan(&mut app, &[samples()]);
        assert_eq!(app.data.aggregates.records > 0, some, "{expr}");
    }
}

/// The error the prompt shows under the filter just submitted.
fn prompt_error(app: &App) -> String {
    app.prompt
        .as_ref()
        .and_then(|p| p.error.clone())
        .expect("an error")
}
