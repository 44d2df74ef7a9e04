//! `check-config` and the connection budget, end to end: findings on the reference article's
//! config (it has several problems on purpose), on a clean config and on the real configs; exit
//! codes, text and JSON through the real binary; the summary's `budget` key on sample-logs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use pmta_lens::config::Config;
use pmta_lens::config::lint::{self, Problem, Report, Volume};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs")
}

fn check_file(name: &str, daily: Option<u64>, pools: &[&str]) -> Report {
    let c = Config::parse_file(fixture(name)).expect("parses");
    let pools: Vec<String> = pools.iter().map(|p| (*p).to_owned()).collect();
    lint::check(
        &c,
        daily.map(|d| Volume {
            daily: d,
            source: "test".into(),
        }),
        &pools,
    )
}

fn check_text(text: &str, daily: Option<u64>) -> Report {
    let c = Config::parse_str(text, "test.conf").expect("parses");
    lint::check(
        &c,
        daily.map(|d| Volume {
            daily: d,
            source: "test".into(),
        }),
        &[],
    )
}

/// The finding with this code at this line.
fn at<'a>(r: &'a Report, code: &str, line: u32) -> &'a Problem {
    r.findings
        .iter()
        .find(|f| f.code == code && f.loc.as_ref().is_some_and(|l| l.line == line))
        .unwrap_or_else(|| panic!("no {code} at line {line}: {:#?}", r.findings))
}

fn codes(r: &Report) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.code).collect()
}

#[test]
fn the_articles_config_has_its_problems_found() {
    let r = check_file("article-outlook.conf", Some(150_000), &["microsoft-pool"]);
    assert!(r.has_problems());
    // `max-smtp-out tuning 5`
    let f = at(&r, "invalid-value", 7);
    assert_eq!(f.fix, "`max-smtp-out 5`");
    // `max-conn-rate 0.5/s`: PowerMTA's name, and its rate syntax takes whole numbers.
    let f = at(&r, "unknown-directive", 8);
    assert!(f.title.contains("max-conn-rate"), "{f:?}");
    assert_eq!(f.fix, "`max-connect-rate 1/2s`");
    assert_eq!(f.also.iter().map(|l| l.line).collect::<Vec<_>>(), [50]);
    assert_eq!(
        at(&r, "unknown-directive", 56).fix,
        "`max-connect-rate 1/s`"
    );
    // The article's `mx-rollup` shorthand, on every line it appears.
    let f = at(&r, "unknown-directive", 11);
    assert!(f.fix.contains("queue-to outlook.com"), "{f:?}");
    assert_eq!(f.also.len(), 13);
    assert!(
        at(&r, "unknown-directive", 6)
            .title
            .contains("virtual-mta-pool")
    );
    assert!(
        at(&r, "invalid-value", 12)
            .fix
            .contains("domain-key s1,yourdomain.com")
    );
    assert!(at(&r, "unknown-directive", 30).title.contains("<source>"));
    // Its pattern list is written for the article's reply form only.
    assert!(
        at(&r, "pattern-misses-real-replies", 36)
            .title
            .contains("RP-001")
    );
    assert!(
        at(&r, "pattern-misses-real-replies", 37)
            .title
            .contains("RP-002")
    );
    // The last outlook.com block (the 500k+ tier) against the 100k-500k tier.
    assert!(
        at(&r, "tier-max-smtp-out", 62)
            .title
            .contains("is 6, above the tier's 5")
    );
    assert!(at(&r, "tier-max-msg-rate", 62).title.contains("250/h"));
    assert!(at(&r, "tier-retry-after", 62).title.contains("15m"));
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "tier-max-connect-rate")
        .expect("connect rate");
    assert!(
        f.title.contains("unlimited") && f.title.contains("max-conn-rate"),
        "{f:?}"
    );
    // What it gets right: RP-001 waits 4h, RP-002 slows down, the domains are meant to be
    // rolled up (the shorthand is reported above).
    for absent in [
        "rp001-retry",
        "rp002-no-slowdown",
        "microsoft-not-rolled-up",
    ] {
        assert!(!codes(&r).contains(&absent), "{absent}: {:#?}", r.findings);
    }
    assert_eq!(r.microsoft_queues, ["outlook.com"]);
}

#[test]
fn the_articles_first_snippet_alone_has_no_pattern_list() {
    let text = std::fs::read_to_string(fixture("article-outlook.conf")).expect("read");
    let s1: String = text.lines().skip(4).take(20).collect::<Vec<_>>().join("\n");
    let r = check_text(&s1, Some(20_000));
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "microsoft-no-pattern-list")
        .expect("no pattern list");
    assert_eq!(f.title, "no smtp-pattern-list for outlook.com");
    // Under 100k/day: max-smtp-out 5 (read leniently from `tuning 5`) is above the tier's 4.
    assert!(
        r.findings
            .iter()
            .any(|f| f.code == "tier-max-smtp-out" && f.title.contains("is 5, above the tier's 4"))
    );
}

#[test]
fn a_clean_config_is_clean() {
    for daily in [10_000, 300_000, 2_000_000] {
        let r = check_file("clean-outlook.conf", Some(daily), &["microsoft-pool"]);
        assert!(r.findings.is_empty(), "{daily}/day: {:#?}", r.findings);
        assert!(!r.has_problems());
        assert_eq!(r.microsoft_queues, ["microsoft.rollup"]);
    }
    // Without a volume the tiers are skipped, which is only a note.
    let r = check_file("clean-outlook.conf", None, &[]);
    assert_eq!(codes(&r), ["tier-skipped"]);
    assert!(!r.has_problems());
}

#[test]
fn real_configs_have_no_false_directive_findings() {
    for name in [
        "EvanHenrs_PowerMTA_config",
        "Kira41_pmta_config",
        "awab-hassan_06-powerMTA-DEVOPS_config-file.txt",
        "tuck1s_sparkypmtatracking_etc_pmta_config.example",
    ] {
        let r = check_file(name, None, &[]);
        let wrong: Vec<&Problem> = r
            .findings
            .iter()
            .filter(|f| matches!(f.code, "unknown-directive" | "invalid-value"))
            .collect();
        assert!(wrong.is_empty(), "{name}: {wrong:#?}");
        // None of them rolls Microsoft up: that is what the article warns about.
        assert!(codes(&r).contains(&"microsoft-not-rolled-up"), "{name}");
    }
}

#[test]
fn rp001_retried_too_soon_and_rp002_without_slowdown() {
    let backoff = "\
<smtp-pattern-list ms>
reply /RP-001/ mode=backoff
reply /RP-002/ mode=backoff
</smtp-pattern-list>
<mx-rollup-list>
mx *.olc.protection.outlook.com microsoft.rollup
</mx-rollup-list>
<domain microsoft.rollup>
smtp-pattern-list ms
backoff-retry-after 1h
dkim-sign yes
</domain>
domain-key s1,example.com,/k.pem
";
    let r = check_text(backoff, None);
    let f = at(&r, "rp001-retry", 10);
    assert!(f.title.contains("after 1h (backoff-retry-after)"), "{f:?}");
    assert!(
        !codes(&r).contains(&"rp002-no-slowdown"),
        "1h is longer than 30m"
    );

    let article_form = "\
smtp-pattern-list ms {
    \"RP-001\" retry-after=30m
    \"RP-002\" retry-after=10m
}
domain outlook.com {
    smtp-pattern-list ms
    queue-to outlook.com
}
";
    let text = article_form.replace("domain outlook.com", "domain [*.]outlook.com");
    let r = check_text(&text, None);
    assert!(
        at(&r, "rp001-retry", 2)
            .title
            .contains("30m (retry-after=30m)")
    );
    assert!(at(&r, "rp002-no-slowdown", 3).title.contains("10m"));
    // The quoted text `RP-001` matches both forms of the reply.
    assert!(!codes(&r).contains(&"pattern-misses-real-replies"));
}

#[test]
fn misspellings_get_the_likely_fix() {
    let r = check_text(
        "<domain *>\nmax-smtp-outt 5\nmax-message-rate 100/h\nretry-after soon\n</domain>\n",
        None,
    );
    assert_eq!(at(&r, "unknown-directive", 2).fix, "`max-smtp-out 5`");
    assert_eq!(at(&r, "unknown-directive", 3).fix, "`max-msg-rate 100/h`");
    assert_eq!(at(&r, "invalid-value", 4).fix, "`retry-after 20m`");
}

#[test]
fn the_sample_config_has_the_mistakes_it_announces() {
    let c = Config::parse_file(samples().join("pmta-config")).expect("parses");
    let r = lint::check(
        &c,
        Some(Volume {
            daily: 5_000,
            source: "test".into(),
        }),
        &["microsoft-pool".to_owned()],
    );
    let cs = codes(&r);
    for want in [
        "microsoft-not-rolled-up",
        "rp001-no-pattern",
        "tier-max-smtp-out",
        "tier-max-connect-rate",
        "tier-max-msg-rate",
        "tier-pool-budget",
    ] {
        assert!(cs.contains(&want), "{want}: {cs:?}");
    }
    assert_eq!(r.microsoft_queues.len(), 10);
    assert!(
        !cs.contains(&"unknown-directive") && !cs.contains(&"microsoft-no-dkim"),
        "{cs:?}"
    );
    // Its VMTAs, IPs and pools are those of the sample accounting files.
    for (vmta, ip, pool) in [
        ("vmta-ms-01", "192.0.2.10", "microsoft-pool"),
        ("vmta-ms-04", "192.0.2.13", "microsoft-pool"),
        ("vmta-gen-01", "198.51.100.20", "general-pool"),
        ("vmta-gen-02", "198.51.100.21", "general-pool"),
        ("vmta-tx-01", "203.0.113.5", "transactional-pool"),
    ] {
        assert_eq!(c.vmta_ips(vmta), [ip]);
        assert_eq!(c.pools_of(vmta)[0].name, pool);
    }
}

// ---- the binary -------------------------------------------------------------------------

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pmta-lens"));
    c.stdin(Stdio::null());
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run pmta-lens")
}

fn json_of(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn check_config_exit_codes() {
    let clean = fixture("clean-outlook.conf");
    let o = run(&[
        "check-config",
        "--config",
        path(&clean),
        "--daily-volume",
        "1000",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("clean: nothing to fix"));

    let article = fixture("article-outlook.conf");
    let o = run(&["check-config", "--config", path(&article)]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("article-outlook.conf:8: `max-conn-rate` is not a PowerMTA directive"));
    assert!(text.contains("fix: `max-connect-rate 1/2s`"));

    let o = run(&["check-config", "--config", "/nonexistent/pmta/config"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/pmta/config"));

    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("config");
    std::fs::write(&broken, "<domain *>\nmax-smtp-out 5\n").expect("write");
    let o = run(&["check-config", "--config", path(&broken)]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("config:1") && err.contains("never closed"),
        "{err}"
    );

    // No config anywhere (and none asked for): an error, not a silent pass.
    let o = run(&["check-config", "--no-config"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn check_config_json_on_sample_logs() {
    // The directory gives both the config (pmta-config) and the volume (its accounting files).
    let o = run(&["check-config", "--format", "json", path(&samples())]);
    assert_eq!(o.status.code(), Some(1));
    let v = json_of(&o);
    assert!(
        v["config"]
            .as_str()
            .is_some_and(|c| c.ends_with("pmta-config"))
    );
    assert!(
        v["volume"]["source"]
            .as_str()
            .is_some_and(|s| s.contains("busiest day"))
    );
    assert_eq!(v["tier"]["max_smtp_out"], 4);
    assert_eq!(v["counts"]["critical"], 2);
    assert_eq!(v["microsoft_queues"].as_array().map(Vec::len), Some(10));
    let findings = v["findings"].as_array().expect("findings");
    let rollup = findings
        .iter()
        .find(|f| f["code"] == "microsoft-not-rolled-up")
        .expect("rollup finding");
    assert_eq!(rollup["severity"], "critical");
    assert!(
        rollup["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("pmta-config"))
    );
    assert!(rollup["line"].as_u64().is_some());
    for key in ["title", "reasoning", "fix", "also"] {
        assert!(!rollup[key].is_null(), "{key}");
    }
}

fn budget_row<'a>(v: &'a serde_json::Value, domain: &str, pool: &str) -> &'a serde_json::Value {
    v["budget"]
        .as_array()
        .expect("budget array")
        .iter()
        .find(|r| r["domain"] == domain && r["pool"] == pool)
        .unwrap_or_else(|| panic!("no {domain} / {pool}: {}", v["budget"]))
}

#[test]
fn summary_budget_on_sample_logs_uses_the_config_and_the_log() {
    let o = run(&["summary", "--format", "json", path(&samples())]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json_of(&o);
    let rows = v["budget"].as_array().expect("budget");
    // Exactly the keys of the contract.
    let mut keys: Vec<&str> = rows[0]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut want = [
        "domain",
        "pool",
        "pool_size",
        "max_smtp_out",
        "budget",
        "observed_peak",
        "observed_p95",
        "seconds_over_budget",
        "method",
        "source",
    ];
    want.sort_unstable();
    assert_eq!(keys, want);
    let ms = budget_row(&v, "outlook.com", "microsoft-pool");
    assert_eq!(
        (ms["pool_size"].as_u64(), ms["max_smtp_out"].as_u64()),
        (Some(4), Some(5))
    );
    assert_eq!(ms["budget"], 20);
    assert_eq!(ms["method"], "log");
    assert_eq!(ms["observed_peak"], 25, "the sample log's peak");
    assert!(ms["seconds_over_budget"].as_u64().is_some_and(|s| s > 0));
    let source = ms["source"].as_str().expect("source");
    assert!(
        source.contains("pool microsoft-pool at") && source.contains("pmta-config:"),
        "{source}"
    );
    let gmail = budget_row(&v, "gmail.com", "general-pool");
    assert_eq!(
        (gmail["pool_size"].as_u64(), gmail["budget"].as_u64()),
        (Some(2), Some(30))
    );
    // The text report shows the same.
    let o = run(&["summary", path(&samples())]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Connections against the budget"), "{text}");
    assert!(text.contains("10 PowerMTA queues"), "{text}");
}

#[test]
fn summary_budget_from_flags_and_estimate_without_a_log() {
    // One accounting file alone: no config, no log next to it.
    let dir = tempfile::tempdir().expect("tempdir");
    let acct = dir.path().join("acct-2026-11-20-0000.csv");
    std::fs::copy(samples().join("acct-2026-11-20-0000.csv"), &acct).expect("copy");
    let o = run(&[
        "summary",
        "--format",
        "json",
        "--no-config",
        "--max-smtp-out",
        "6",
        "--pool-size",
        "10",
        path(&acct),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json_of(&o);
    let ms = budget_row(&v, "outlook.com", "microsoft-pool");
    assert_eq!(ms["budget"], 60, "10 IPs x 6 = 60, the article's example");
    assert_eq!(ms["source"], "--pool-size 10; --max-smtp-out 6");
    assert_eq!(ms["method"], "estimate");
    assert!(ms["observed_peak"].as_u64().is_some_and(|p| p >= 1));

    // No config, log or flags: nothing to hold connections against, so no budget rows (and no
    // estimate, whose rows grow with the input); the text says what to pass.
    let o = run(&["summary", "--format", "json", "--no-config", path(&acct)]);
    let v = json_of(&o);
    assert_eq!(v["budget"], serde_json::json!([]));
    let o = run(&["summary", "--no-config", path(&acct)]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("not computed: pass a PowerMTA config"));

    // The same directory given with the sample's config and log by flag.
    let o = run(&[
        "summary",
        "--format",
        "json",
        "--config",
        path(&samples().join("pmta-config")),
        "--pmta-log",
        path(&samples().join("pmta-log")),
        path(&acct),
    ]);
    let v = json_of(&o);
    assert_eq!(
        budget_row(&v, "outlook.com", "microsoft-pool")["method"],
        "log"
    );
}

#[test]
fn unreadable_inputs_are_errors() {
    let acct = samples().join("acct-2026-11-20-0000.csv");
    let o = run(&["summary", "--pmta-log", "/nonexistent/log", path(&acct)]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "the summary is printed, the exit code says"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("Connections against the budget"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/log"));
    let o = run(&["summary", "--config", "/nonexistent/config", path(&acct)]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_bare_command_and_any_thread_count_give_the_same_budget() {
    // Not a terminal: the bare command prints the summary, budget included.
    let o = run(&[path(&samples())]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("Connections against the budget"));
    // The estimate (files given one by one: no log next to them) is the same at any thread
    // count and chunk size.
    let files = [
        samples().join("acct-2026-11-19-0000.csv.gz"),
        samples().join("acct-2026-11-20-0000.csv"),
        samples().join("acct-2026-11-20-0001.csv"),
    ];
    let mut outs = Vec::new();
    for (threads, chunk) in [("1", "65536"), ("4", "4096")] {
        let mut args = vec![
            "summary",
            "--format",
            "json",
            "--no-config",
            "--threads",
            threads,
            "--chunk-size",
            chunk,
        ];
        args.extend(files.iter().map(|f| path(f)));
        let o = run(&args);
        assert!(o.status.success());
        outs.push(o.stdout);
    }
    assert_eq!(outs[0], outs[1]);
    let v: serde_json::Value = serde_json::from_slice(&outs[0]).expect("json");
    assert!(
        v["budget"]
            .as_array()
            .is_some_and(|b| b.iter().all(|r| r["method"] == "estimate"))
    );
}
