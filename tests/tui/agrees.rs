//! The dashboard counts and shows what `summary` does, on the samples and on a large sender's
//! day.

use super::*;

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
    assert_eq!(app.data.report.scan.malformed, r.report.malformed);
    assert_eq!(
        app.data.report.scan.malformed_samples,
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
    let setup = conn_cli::load(&ConnArgs::default(), &paths).expect("setup");
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
    let (connections, _) = conn_cli::for_summary(
        &setup,
        &result,
        estimated.as_ref(),
        &plan.rollup,
        &classifier,
        &inputs,
        &opts,
        false,
    );
    // As the dashboard's command builds it: a budget only from a config or budget flags.
    let spec = Spec {
        plan: setup.dashboard_plan(),
        budget: setup.has_budget().then(|| Arc::new(setup)),
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
    assert_eq!(snap.report.scan.malformed, result.report.malformed);
    assert_eq!(
        snap.report.scan.malformed_samples,
        result.report.malformed_samples
    );
    assert_eq!(*snap.findings, analyses.findings);
    assert_eq!(snap.bursts.as_deref(), Some(&analyses.bursts));
    assert_eq!(
        snap.retry.as_deref(),
        Some(&analyses.retry_hygiene),
        "RP-001 retries, followed"
    );
    assert_eq!(
        snap.complaints.as_deref(),
        Some(&analyses.complaints),
        "complaints, followed"
    );
    if !snap.budget_expected {
        assert!(snap.connections.is_none());
        return;
    }
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

/// A generated day of a large sender, with its `PowerMTA` config beside it or not.
fn large_senders_day(config: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut p = pmta_lens_synth::Profile::esp(7);
    p.size = pmta_lens_synth::Size::Rows(30_000);
    let file = std::fs::File::create(dir.path().join("acct-2026-11-20-0000.csv")).expect("create");
    pmta_lens_synth::write_accounting(&p, std::io::BufWriter::new(file)).expect("generate");
    if config {
        std::fs::write(
            dir.path().join("pmta-config"),
            pmta_lens_synth::pmta_config(&p),
        )
        .expect("config");
    }
    dir
}

#[test]
fn the_dashboard_shows_what_the_summary_shows_on_a_large_senders_day() {
    // The estimate's rows collected in the pass; the follow-up reads the file again.
    assert_same(large_senders_day(true).path());
}

#[test]
fn the_dashboard_shows_what_the_summary_shows_on_a_large_senders_day_without_a_config() {
    // No estimate: both follow up through the pass's index of the rows they may want.
    assert_same(large_senders_day(false).path());
}
