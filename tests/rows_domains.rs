//! `rows --where domain=...` and the `domain` of `rows --format ndjson` are the same with the
//! rollups learned in bounded memory (`pmta_lens::learn`: only the domains some row gave rollup
//! evidence for, spilled to disk past a budget) as with the summary's map of every domain, which
//! `rows` built before: on the sample logs, on made-up rows with every kind of rollup evidence,
//! and on generated files, at a budget of one byte (every learned domain goes to disk). And the
//! binary spills into `$TMPDIR`, says so with `--stats` only, and leaves nothing behind.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use pmta_lens::acct::discover::{Input, discover};
use pmta_lens::aggregate::Plan;
use pmta_lens::classify::Classifier;
use pmta_lens::filter::Filter;
use pmta_lens::output::ndjson::{Ndjson, Writer};
use pmta_lens::rollup::Rollup;
use pmta_lens::scan::{self, DomainLookup, Engine, ScanOptions};
use pmta_lens_synth::{Profile, Size};

mod support {
    pub mod generated;
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs")
}

/// Rows with every kind of rollup evidence: a queue `NAME.rollup/VMTA` on some rows of a domain
/// only (before and after rows without it), two rollup names for one domain (the smaller wins),
/// a Microsoft consumer MX (`*.olc.protection.outlook.com`, `mx*.hotmail.com`), both at once (the
/// queue wins), the same domain in other cases, domains the rollup fixes whatever the rows say
/// (the built-in Microsoft family, the operator's `example.org`), rows without a recipient
/// (`(none)`) with and without a rollup queue, a rollup name longer than any domain, a `tq` row,
/// an `f` row, a header change, and many domains without evidence.
fn evidence() -> String {
    let mut s = String::from("type,timeLogged,rcpt,dsnMta,queue,vmta\n");
    // Half-way the columns change order (`record-fields` changed).
    let row = |s: &mut String, swapped: bool, rcpt: &str, mta: &str, queue: &str| {
        let _ = if swapped {
            writeln!(s, "d,vmta-1,{queue},{mta},{rcpt},2026-01-14 10:00:00+0000")
        } else {
            writeln!(s, "d,2026-01-14 10:00:00+0000,{rcpt},{mta},{queue},vmta-1")
        };
    };
    let mut swapped = false;
    for i in 0..400 {
        // 41 domains seen on every kind of row in turn: first without evidence, then with a
        // rollup queue (one of three), a Microsoft MX, both, and without again.
        let late = format!("late{}.example", i % 41);
        let (mta, queue) = match i % 8 {
            1 => (
                "mx.late.example (1.2.3.4)",
                format!("Big{}.Rollup/vmta-2", i % 3),
            ),
            2 => (
                "hotmail-com.olc.protection.outlook.com (104.47.1.1)",
                format!("{late}/v"),
            ),
            3 => (
                "mx4.hotmail.com (104.47.1.2)",
                "Ms.rollup/vmta-3".to_owned(),
            ),
            _ => ("mx.late.example (1.2.3.4)", format!("{late}/vmta-1")),
        };
        let user = if i % 5 == 0 {
            format!("u{i}@LATE{}.Example", i % 41)
        } else {
            format!("u{i}@{late}")
        };
        row(&mut s, swapped, &user, mta, &queue);
        // A domain of its own, most without evidence, some with a rollup queue or a Microsoft MX.
        let own = format!("own{i}.example");
        let queue = if i % 50 == 7 {
            format!("own{}.rollup/vmta-1", i % 4)
        } else {
            format!("{own}/vmta-1")
        };
        let mta = if i % 50 == 20 {
            "eur.olc.protection.outlook.com (104.47.1.3)"
        } else {
            "mx.own.example (1.2.3.5)"
        };
        row(&mut s, swapped, &format!("x@{own}"), mta, &queue);
        if i == 200 {
            s.push_str("type,vmta,queue,dsnMta,rcpt,timeLogged\n");
            swapped = true;
        }
    }
    // Fixed whatever the rows say.
    row(
        &mut s,
        swapped,
        "a@hotmail.com",
        "mx.x (1.1.1.1)",
        "z.rollup/v",
    );
    row(
        &mut s,
        swapped,
        "a@Example.ORG",
        "mx4.hotmail.com (1.1.1.1)",
        "z.rollup/v",
    );
    row(
        &mut s,
        swapped,
        "a@example.org",
        "mx.x (1.1.1.1)",
        "example.org/v",
    );
    // A rollup name longer than any domain, on one of two rows.
    let long = format!("{}.rollup", "q".repeat(300));
    row(
        &mut s,
        swapped,
        "a@longq.example",
        "mx.x (1.1.1.1)",
        "longq.example/v",
    );
    row(
        &mut s,
        swapped,
        "b@longq.example",
        "mx.x (1.1.1.1)",
        &format!("{long}/v"),
    );
    // No recipient: `(none)`, with a rollup queue on one row.
    row(&mut s, swapped, "", "mx.x (1.1.1.1)", "none.rollup/v");
    row(&mut s, swapped, "", "mx.x (1.1.1.1)", "nothing.example/v");
    row(
        &mut s,
        swapped,
        "no-at-sign",
        "mx.x (1.1.1.1)",
        "nothing.example/v",
    );
    s.push_str("type,timeLogged,rcpt,dsnMta,queue,vmta,header_X-HmXmrOriginalRecipient\n");
    // A transient-queue row (its domain is the queue's) and a complaint (its recipient in a
    // header).
    s.push_str("tq,2026-01-14 10:00:00+0000,,,tq.rollup/vmta-1,vmta-1,\n");
    s.push_str("f,2026-01-14 10:00:00+0000,,,,,someone@late3.example\n");
    s
}

/// The engine's lookup for one run: the summary's map of every domain, or the learned rollups.
fn outputs(
    inputs: &[Input],
    opts: &ScanOptions,
    plan: &Plan,
    filter: &Filter,
    lookup: &dyn DomainLookup,
) -> (Vec<u8>, Vec<u8>) {
    let classifier = Classifier::builtin();
    let eng = Engine {
        classifier: &classifier,
        filter,
        rollup: &plan.rollup,
        domain_map: Some(lookup),
    };
    let mut raw = Vec::new();
    let (written, _) = scan::rows(inputs, opts, &eng, &mut raw);
    written.expect("rows");
    let sink = Ndjson {
        classifier: &classifier,
        rollup: &plan.rollup,
        domain_map: Some(lookup),
    };
    let mut json = Vec::new();
    let mut w = Writer::new(&mut json);
    let (written, _) = scan::deliver(inputs, opts, &eng, &sink, None, &mut w);
    written.expect("ndjson");
    (raw, json)
}

/// Checks that `rows` (raw and ndjson) prints the same with the learned rollups, spilled at a
/// one-byte budget, as with the summary's map, unfiltered and for `domain=` of every rolled-up
/// destination and of a few domains that are their own, and for `more` expressions. Returns the
/// domains learned and the domains the summary's map holds.
fn same_as_the_summarys_map(inputs: &[Input], plan: &Arc<Plan>, more: &[&str]) -> (usize, usize) {
    let classifier = Classifier::builtin();
    // Small chunks: many workers' tables, merged or spilled.
    let opts = ScanOptions {
        chunk_size: 4096,
        ..ScanOptions::default()
    };
    // What `scan::domain_map_of` gave `rows` before: the summary's rollup of every domain.
    let full = scan::run(inputs, &opts, &classifier, &Filter::default(), plan)
        .aggregates
        .domain_map();
    let spill = tempfile::tempdir().expect("tempdir");
    let learned =
        pmta_lens::learn::rollups(inputs, &opts, &classifier, &plan.rollup, 1, spill.path())
            .expect("learned");
    assert!(learned.spilled() || learned.is_empty(), "{learned:?}");
    // The rolled-up destinations (not a domain's own name), and some domains that are their own.
    let mut rolled: Vec<&str> = full
        .iter()
        .filter(|(d, to)| d != to)
        .map(|(_, to)| to.as_str())
        .collect();
    rolled.sort_unstable();
    rolled.dedup();
    let mut own: Vec<&str> = full
        .iter()
        .filter(|(d, to)| d == to)
        .map(|(d, _)| d.as_str())
        .collect();
    own.sort_unstable();
    let step = own.len() / 3 + 1;
    let mut exprs: Vec<String> = vec![String::new()];
    exprs.extend(rolled.iter().take(8).map(|d| format!("domain={d}")));
    exprs.extend(own.iter().step_by(step).map(|d| format!("domain={d}")));
    exprs.extend(more.iter().map(|e| (*e).to_owned()));
    for expr in &exprs {
        let filter = if expr.is_empty() {
            Filter::default()
        } else {
            Filter::parse(expr, &classifier, chrono::Utc::now()).expect("filter")
        };
        let before = outputs(inputs, &opts, plan, &filter, &full);
        let after = outputs(inputs, &opts, plan, &filter, &learned);
        assert!(
            before.0 == after.0,
            "rows --where '{expr}': {} bytes with the summary's map, {} learned",
            before.0.len(),
            after.0.len()
        );
        assert!(
            before.1 == after.1,
            "rows --format ndjson --where '{expr}': {} bytes with the summary's map, {} learned",
            before.1.len(),
            after.1.len()
        );
        // Every `domain=` of a destination the rows have selects some.
        if expr.starts_with("domain=") {
            assert!(before.1.contains(&b'\n'), "nothing matched {expr}");
        }
    }
    let n = learned.len();
    drop(learned);
    // The spill directory went with the table.
    assert_eq!(
        std::fs::read_dir(spill.path()).expect("list").count(),
        0,
        "left in the spill directory"
    );
    (n, full.len())
}

fn inputs_of(path: &Path) -> Vec<Input> {
    let (inputs, errors) = discover(&[path.to_path_buf()]);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(!inputs.is_empty());
    inputs
}

/// The built-in rollups and one of the operator's (`example.org`).
fn plan() -> Arc<Plan> {
    let operator = [("example.org".to_owned(), "ops.rollup".to_owned())]
        .into_iter()
        .collect();
    pmta_lens::connections::plan(Rollup::new(operator), None)
}

#[test]
fn sample_logs_select_the_same_rows_with_learned_rollups() {
    let (learned, all) = same_as_the_summarys_map(
        &inputs_of(&samples()),
        &plan(),
        &[
            "domain=outlook.com type=t",
            "domain!=outlook.com",
            "domain~rollup",
        ],
    );
    assert!(learned > 0 && learned < all, "{learned} of {all} domains");
}

#[test]
fn every_kind_of_rollup_evidence_selects_the_same_rows_with_learned_rollups() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("acct-evidence.csv");
    std::fs::write(&path, evidence()).expect("write");
    let long = format!("domain={}.rollup", "q".repeat(300));
    let (learned, all) = same_as_the_summarys_map(
        &inputs_of(&path),
        &plan(),
        &[
            &long,
            "domain=(none)",
            "domain=big0.rollup",
            "domain=none.rollup",
            "domain=ops.rollup",
            "domain=late3.example",
            "domain~^late",
            "domain=outlook.com rcpt-domain~own",
            "domain~rollup rcpt-domain~late",
        ],
    );
    assert!(learned > 40 && learned < all, "{learned} of {all} domains");
}

fn generated(profile: &mut Profile, rows: u64, dir: &Path, name: &str) -> PathBuf {
    profile.size = Size::Rows(rows);
    support::generated::generated_file(profile, dir, name)
}

#[test]
fn generated_files_select_the_same_rows_with_learned_rollups() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A new domain on every row (Microsoft consumer MX on many); a large sender's day with
    // `yahoo.rollup` queues and a tail of domains.
    let adversarial = generated(&mut Profile::adversarial(3), 3_000, dir.path(), "adv.csv");
    let (learned, all) = same_as_the_summarys_map(&inputs_of(&adversarial), &plan(), &[]);
    assert!(learned > 100 && learned < all, "{learned} of {all} domains");
    let esp = generated(&mut Profile::esp(3), 3_000, dir.path(), "esp.csv");
    let (learned, all) =
        same_as_the_summarys_map(&inputs_of(&esp), &plan(), &["domain=yahoo.rollup"]);
    assert!(learned > 0 && learned < all, "{learned} of {all} domains");
}

fn bin(tmp: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pmta-lens"));
    c.env("TMPDIR", tmp).stdin(Stdio::null());
    c
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn rows_spills_into_tmpdir_says_so_with_stats_only_and_leaves_nothing() {
    let logs = tempfile::tempdir().expect("tempdir");
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = logs.path().join("acct-evidence.csv");
    std::fs::write(&path, evidence()).expect("write");
    let file = path.to_str().expect("UTF-8 path");
    for args in [
        &["rows", "--format", "ndjson"][..],
        &["rows", "--where", "domain=big0.rollup"],
        &[
            "rows",
            "--where",
            "domain=outlook.com",
            "--format",
            "ndjson",
        ],
    ] {
        let run = |extra: &[&str]| -> Output {
            let o = bin(tmp.path())
                .args(args)
                .args(extra)
                .arg(file)
                .output()
                .expect("run pmta-lens");
            assert!(o.status.success(), "{args:?} {extra:?}: {o:?}");
            o
        };
        let in_memory = run(&["--stats"]);
        let spilled = run(&["--stats", "--learn-bytes", "1", "--chunk-size", "4096"]);
        assert!(!in_memory.stdout.is_empty());
        assert!(
            in_memory.stdout == spilled.stdout,
            "{args:?}: the same rows"
        );
        let (quiet, said) = (
            String::from_utf8_lossy(&in_memory.stderr),
            String::from_utf8_lossy(&spilled.stderr),
        );
        assert!(!quiet.contains("on disk"), "{quiet}");
        assert!(said.contains("budget: on disk in"), "{said}");
        // Without --stats, nothing on stderr.
        let plain = run(&["--learn-bytes", "1"]);
        assert!(plain.stderr.is_empty(), "{plain:?}");
        assert!(plain.stdout == spilled.stdout);
        // Nothing left in $TMPDIR, nothing added next to the logs.
        assert!(listing(tmp.path()).is_empty(), "{:?}", listing(tmp.path()));
        assert_eq!(listing(logs.path()), ["acct-evidence.csv"]);
    }
    // A temporary directory that cannot be written: an error, not a partial answer.
    let missing = tmp.path().join("missing");
    let o = bin(&missing)
        .args(["rows", "--format", "ndjson", "--learn-bytes", "1", file])
        .output()
        .expect("run pmta-lens");
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(o.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("missing"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
