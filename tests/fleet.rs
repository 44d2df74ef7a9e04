//! The outputs for other tools, run through the binary on the sample logs: `rows --format
//! ndjson` (one JSON object per row, the same rows as `rows` and the same counts as `summary`,
//! also while following) and `metrics` (a valid Prometheus exposition, checked by a strict
//! reader here and by `promtool` when it is installed, whose numbers are the summary's).

// The values compared are counts, exact in an f64.
#![allow(clippy::float_cmp)]

mod support {
    pub mod exposition;
    pub mod summary_json;
}

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::exposition::{self, Sample};
use support::summary_json::totals;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pmta-lens"));
    c.stdin(Stdio::null());
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run pmta-lens")
}

fn samples_dir() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-logs")
        .display()
        .to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

fn summary(args: &[&str]) -> Value {
    let mut all = vec!["summary", "--format", "json"];
    all.extend_from_slice(args);
    let o = run(&all);
    serde_json::from_slice(&o.stdout).expect("summary JSON")
}

fn ndjson(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["rows", "--format", "ndjson"];
    all.extend_from_slice(args);
    let o = run(&all);
    stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

/// Data rows of `rows`' raw output (header lines left out), read with the csv crate.
fn raw_rows(args: &[&str]) -> u64 {
    let mut all = vec!["rows"];
    all.extend_from_slice(args);
    let o = run(&all);
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&o.stdout[..]);
    r.records()
        .map(|rec| rec.expect("raw rows are CSV"))
        .filter(|rec| rec.get(0) != Some("type"))
        .count() as u64
}

fn count_by(rows: &[Value], key: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for r in rows {
        let k = r.get(key).and_then(Value::as_str).unwrap_or("(none)");
        *out.entry(k.to_string()).or_default() += 1;
    }
    out
}

#[test]
fn ndjson_has_the_rows_of_rows_and_the_counts_of_summary() {
    let dir = samples_dir();
    // Each recipient domain's rollup over all the rows.
    let rollup: BTreeMap<String, Value> = ndjson(&[&dir])
        .into_iter()
        .filter_map(|r| {
            Some((
                r.get("rcpt_domain")?.as_str()?.to_string(),
                r.get("domain")?.clone(),
            ))
        })
        .collect();
    for filter in [
        None,
        Some("domain=outlook.com code=RP-001,RP-002"),
        Some("type=t,tq kind=deferral"),
        Some("type=f"),
        Some("vmta~^vmta-gen since=2026-11-20"),
    ] {
        let mut args = Vec::new();
        if let Some(f) = filter {
            args.extend(["--where", f]);
        }
        args.push(&dir);
        let rows = ndjson(&args);
        let s = summary(&args);
        let what = filter.unwrap_or("(all)");
        assert_eq!(
            rows.len() as u64,
            s["records"].as_u64().expect("records"),
            "{what}"
        );
        assert_eq!(
            rows.len() as u64,
            raw_rows(&args),
            "{what}: the rows `rows` prints"
        );
        assert!(!rows.is_empty(), "{what}: the test needs rows");
        let by_type: BTreeMap<String, u64> =
            serde_json::from_value(s["by_type"].clone()).expect("by_type");
        assert_eq!(count_by(&rows, "type"), by_type, "{what}");
        // `domain` is the rollup every row of the input gives a recipient domain; a summary
        // filtered on other fields rolls up from the matching rows only (`aol.com` of an `f`
        // row, whose queue rollup only deliveries show), so compare where both see all rows.
        if filter.is_none_or(|f| f.contains("domain=")) {
            assert_eq!(count_by(&rows, "domain"), totals(&s["by_domain"]), "{what}");
        }
        for r in &rows {
            let rcpt_domain = r["rcpt_domain"].as_str().unwrap_or("(none)");
            assert_eq!(
                r.get("domain"),
                rollup.get(rcpt_domain),
                "{what}: {rcpt_domain}"
            );
        }
        // `code` is on rows with a response only, as `by_code` counts them.
        let with_code: Vec<Value> = rows
            .iter()
            .filter(|r| r.get("code").is_some())
            .cloned()
            .collect();
        assert_eq!(
            count_by(&with_code, "code"),
            totals(&s["by_code"]),
            "{what}"
        );
    }
}

#[test]
fn ndjson_rows_say_where_they_are() {
    let dir = samples_dir();
    let rows = ndjson(&["--where", "code=RP-001", &dir]);
    for r in &rows {
        let file = r["file"].as_str().expect("file");
        let line = r["line"].as_u64().expect("line") as usize;
        let text = read_log(file);
        let at = text.lines().nth(line - 1).expect("the line exists");
        let rcpt = r["rcpt"].as_str().expect("rcpt");
        assert!(
            at.contains(rcpt),
            "{file}:{line} is not the row of {rcpt}: {at}"
        );
        assert!(at.contains("RP-001"), "{file}:{line}: {at}");
        assert_eq!(r["kind"], "deferral");
        assert_eq!(r["provider"], "Microsoft");
        assert_eq!(r["severity"], "critical");
    }
    assert_eq!(rows.len(), 10);
}

/// A sample file's text, decompressed if it is gzipped.
fn read_log(file: &str) -> String {
    let bytes = std::fs::read(file).expect("a sample file");
    let gz = Path::new(file)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    if !gz {
        return String::from_utf8(bytes).expect("UTF-8 sample");
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
        .expect("gzip sample");
    text
}

#[test]
fn ndjson_is_the_same_at_one_thread_and_many() {
    let dir = samples_dir();
    let one = run(&["--threads", "1", "rows", "--format", "ndjson", &dir]);
    let many = run(&[
        "--threads",
        "4",
        "--chunk-size",
        "4096",
        "rows",
        "--format",
        "ndjson",
        &dir,
    ]);
    assert!(!one.stdout.is_empty());
    assert_eq!(one.stdout, many.stdout);
}

#[test]
fn follow_rcpt_is_turned_away() {
    let o = run(&["rows", "--format", "rcpt", "--follow", &samples_dir()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--follow"));
}

/// Reads lines from a child's stdout until `n` arrived or `limit` passed.
fn read_lines(r: &mut (impl BufRead + Send), n: usize, limit: Duration) -> Vec<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut out = Vec::new();
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut line = String::new();
            for _ in 0..n {
                line.clear();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if tx.send(line.clone()).is_err() {
                    break;
                }
            }
        });
        let until = Instant::now() + limit;
        while out.len() < n {
            let left = until.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(l) => out.push(l),
                Err(_) => break,
            }
        }
    });
    out
}

#[test]
fn ndjson_follow_streams_appended_and_rotated_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let live = dir.path().join("acct-2026-11-20-0000.csv");
    let header = "type,timeLogged,rcpt,dsnStatus,dsnDiag,vmta\n";
    std::fs::write(
        &live,
        format!("{header}d,2026-11-20 10:00:00+0000,a@example.org,2.0.0,smtp;250 ok,v1\n"),
    )
    .expect("write");
    let mut child = bin()
        .args(["rows", "--format", "ndjson", "--follow"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let first = read_lines(&mut out, 1, Duration::from_secs(20));
    // Appended to the live file, then a new file after rotation.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&live)
        .expect("open");
    f.write_all(
        b"t,2026-11-20 10:01:00+0000,b@hotmail.com,4.7.0,\"smtp;421 RP-002 (BAY) limit\",v1\n",
    )
    .expect("append");
    drop(f);
    let next = dir.path().join("acct-2026-11-20-0001.csv");
    std::fs::write(
        &next,
        format!("{header}b,2026-11-20 10:02:00+0000,c@example.net,5.1.1,smtp;550 5.1.1 no,v2\n"),
    )
    .expect("write");
    let more = read_lines(&mut out, 2, Duration::from_secs(20));
    let _ = child.kill();
    let _ = child.wait();
    let rows: Vec<Value> = first
        .iter()
        .chain(&more)
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(rows.len(), 3, "{first:?} {more:?}");
    assert_eq!(rows[0]["rcpt"], "a@example.org");
    assert_eq!(rows[1]["code"], "RP-002");
    assert_eq!(rows[1]["domain"], "outlook.com");
    assert_eq!(rows[1]["line"], 3);
    assert_eq!(rows[2]["code"], "5.1.1");
    assert_eq!(rows[2]["file"], next.display().to_string());
    assert_eq!(rows[2]["line"], 2);
}

fn metrics(args: &[&str]) -> (Vec<Sample>, String) {
    let mut all = vec!["metrics"];
    all.extend_from_slice(args);
    let o = run(&all);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = stdout(&o);
    let parsed = exposition::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (parsed, text)
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && s.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
}

/// Sum of a family's samples whose `label` is `v` (every sample when `v` is `None`).
fn sum(samples: &[Sample], name: &str, label: &str, v: Option<&str>) -> f64 {
    samples
        .iter()
        .filter(|s| {
            s.name == name && v.is_none_or(|v| s.labels.get(label).map(String::as_str) == Some(v))
        })
        .map(|s| s.value)
        .sum()
}

#[test]
fn metrics_are_the_summarys_numbers() {
    let dir = samples_dir();
    let (m, _) = metrics(&[&dir]);
    let s = summary(&[&dir]);
    for t in ["d", "b", "t", "tq", "r", "f", "rb", "rs"] {
        let want = s["by_type"].get(t).and_then(Value::as_u64).unwrap_or(0) as f64;
        assert_eq!(
            value(&m, "pmta_lens_rows", &[("type", t)]),
            Some(want),
            "{t}"
        );
    }
    assert_eq!(
        value(&m, "pmta_lens_malformed_rows", &[]),
        s["malformed"].as_f64()
    );
    assert_eq!(value(&m, "pmta_lens_input_files", &[]), Some(4.0));
    // Every code of the summary, summed over kinds and VMTAs.
    let codes = totals(&s["by_code"]);
    assert!(
        codes.len() > 20,
        "the samples have more codes than the default top"
    );
    for (code, total) in &codes {
        let rule = s["by_code"]
            .as_array()
            .expect("codes")
            .iter()
            .any(|c| c["key"] == code.as_str() && !c["provider"].is_null());
        let got = sum(&m, "pmta_lens_responses", "code", Some(code));
        if rule || got > 0.0 {
            assert_eq!(got, *total as f64, "{code}");
        }
    }
    let all: u64 = codes.values().sum();
    assert_eq!(sum(&m, "pmta_lens_responses", "code", None), all as f64);
    // Per VMTA, as the summary's by_vmta counts rows with a response: RP-002 is on two.
    assert_eq!(
        value(
            &m,
            "pmta_lens_responses",
            &[
                ("code", "RP-002"),
                ("kind", "deferral"),
                ("vmta", "vmta-ms-02")
            ]
        ),
        Some(32.0)
    );
    // Domains: attempts and deferrals from by_domain's types.
    for d in s["by_domain"].as_array().expect("domains") {
        let key = d["key"].as_str().expect("key");
        let n = |t: &str| d["by_type"].get(t).and_then(Value::as_u64).unwrap_or(0) as f64;
        let attempts = n("d") + n("t") + n("tq") + n("b") + n("rb");
        let deferrals = n("t") + n("tq");
        assert_eq!(
            value(&m, "pmta_lens_domain_attempts", &[("domain", key)]),
            Some(attempts),
            "{key}"
        );
        assert_eq!(
            value(&m, "pmta_lens_domain_deferrals", &[("domain", key)]),
            Some(deferrals),
            "{key}"
        );
        if attempts > 0.0 {
            let r =
                value(&m, "pmta_lens_domain_deferral_ratio", &[("domain", key)]).expect("ratio");
            assert!((r - deferrals / attempts).abs() < 1e-12, "{key}");
        }
    }
    // The newest row: 2026-11-21T23:39:19Z.
    assert_eq!(s["last"], "2026-11-21T23:39:19Z");
    assert_eq!(
        value(&m, "pmta_lens_newest_row_timestamp_seconds", &[]),
        Some(1_795_304_359.0)
    );
}

#[test]
fn metrics_bursts_and_budget_are_the_summarys() {
    let dir = samples_dir();
    let (m, _) = metrics(&[&dir]);
    let s = summary(&[&dir]);
    // One RP-002 burst overall, over a day before the newest row: not active.
    let overall = s["bursts"]
        .as_array()
        .expect("bursts")
        .iter()
        .filter(|b| b["source_ip"].is_null())
        .count();
    assert_eq!(
        value(&m, "pmta_lens_bursts", &[("code", "RP-002")]),
        Some(overall as f64)
    );
    assert_eq!(overall, 1);
    assert_eq!(
        value(&m, "pmta_lens_bursts_active", &[("code", "RP-002")]),
        Some(0.0)
    );
    assert_eq!(
        value(
            &m,
            "pmta_lens_source_ip_bursts_active",
            &[("code", "RP-002"), ("source_ip", "192.0.2.11")]
        ),
        Some(0.0)
    );
    // The budget of the sample config, per destination and pool.
    let budget = s["budget"].as_array().expect("budget");
    assert!(!budget.is_empty());
    for b in budget {
        let at = [
            ("domain", b["domain"].as_str().expect("domain")),
            ("pool", b["pool"].as_str().expect("pool")),
        ];
        assert_eq!(
            value(&m, "pmta_lens_connections_budget", &at),
            b["budget"].as_f64(),
            "{at:?}"
        );
        assert_eq!(
            value(&m, "pmta_lens_connections_peak", &at),
            b["observed_peak"].as_f64(),
            "{at:?}"
        );
        assert_eq!(
            value(&m, "pmta_lens_connections_over_budget_seconds", &at),
            b["seconds_over_budget"].as_f64(),
            "{at:?}"
        );
    }
    assert_eq!(
        value(
            &m,
            "pmta_lens_connections_peak",
            &[("domain", "outlook.com"), ("pool", "microsoft-pool")]
        ),
        Some(25.0)
    );
    assert_eq!(
        value(&m, "pmta_lens_connections_method", &[("method", "log")]),
        Some(1.0)
    );
}

#[test]
fn metrics_follow_where_and_the_burst_flags() {
    let dir = samples_dir();
    let (m, _) = metrics(&["--where", "domain=outlook.com", &dir]);
    let s = summary(&["--where", "domain=outlook.com", &dir]);
    let rows = sum(&m, "pmta_lens_rows", "type", None);
    assert_eq!(rows, s["records"].as_f64().expect("records"));
    assert!(rows < 575.0);
    let (m, _) = metrics(&["--burst-code", "RP-001", &dir]);
    assert!(value(&m, "pmta_lens_bursts", &[("code", "RP-001")]).is_some());
}

#[test]
fn top_bounds_every_label_and_keeps_the_sums() {
    let dir = samples_dir();
    let (all, _) = metrics(&[&dir]);
    let (m, _) = metrics(&["--top", "2", &dir]);
    let values = |name: &str, label: &str| -> Vec<String> {
        let mut v: Vec<String> = m
            .iter()
            .filter(|s| s.name == name)
            .filter_map(|s| s.labels.get(label).cloned())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    // gmail.com and outlook.com are the top two; the rest is (other).
    assert_eq!(
        values("pmta_lens_domain_attempts", "domain"),
        ["(other)", "gmail.com", "outlook.com"]
    );
    let vmtas = values("pmta_lens_responses", "vmta");
    assert!(vmtas.len() <= 3, "{vmtas:?}");
    assert!(vmtas.contains(&"(other)".to_string()));
    for family in [
        "pmta_lens_domain_attempts",
        "pmta_lens_domain_deferrals",
        "pmta_lens_responses",
    ] {
        assert_eq!(
            sum(&m, family, "", None),
            sum(&all, family, "", None),
            "{family}"
        );
    }
    // Rule codes are all kept; fallback codes are cut to two.
    for code in ["RP-001", "RP-002", "5.7.606", "SC-001"] {
        assert_eq!(
            sum(&m, "pmta_lens_responses", "code", Some(code)),
            sum(&all, "pmta_lens_responses", "code", Some(code)),
            "{code}"
        );
    }
    let domains = all
        .iter()
        .filter(|s| s.name == "pmta_lens_domain_attempts")
        .count();
    assert_eq!(
        value(
            &m,
            "pmta_lens_folded_label_values",
            &[("dimension", "domain")]
        ),
        Some((domains - 2) as f64)
    );
    let (other_peak, top_peak) = (
        value(
            &m,
            "pmta_lens_connections_peak",
            &[("domain", "(other)"), ("pool", "(other)")],
        ),
        value(
            &m,
            "pmta_lens_connections_peak",
            &[("domain", "outlook.com"), ("pool", "microsoft-pool")],
        ),
    );
    assert!(
        other_peak.is_some(),
        "connection rows past the top are folded"
    );
    assert_eq!(top_peak, Some(25.0), "rows over budget are always kept");
}

#[test]
fn label_values_are_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("acct.csv");
    // A VMTA named with a quote, a backslash and a newline (a quoted CSV field).
    std::fs::write(
        &path,
        "type,timeLogged,rcpt,dsnStatus,dsnDiag,vmta\n\
         t,2026-11-20 10:00:00+0000,a@example.org,4.7.0,smtp;421 4.7.0 later,\"v\"\"1\\\nx\"\n",
    )
    .expect("write");
    let file = path.to_str().expect("path");
    let (m, text) = metrics(&["--no-config", file]);
    // The summary's key, as its JSON has it (the field's doubled quote is kept as written).
    let s = summary(&["--no-config", file]);
    let key = s["by_vmta"][0]["key"].as_str().expect("key").to_string();
    assert_eq!(key, "v\"\"1\\\nx");
    assert!(text.contains(r#"vmta="v\"\"1\\\nx""#), "{text}");
    assert_eq!(
        value(
            &m,
            "pmta_lens_responses",
            &[("code", "4.7.0"), ("kind", "deferral"), ("vmta", &key)]
        ),
        Some(1.0)
    );
    promtool_check(&text);
}

#[test]
fn out_replaces_the_file_readable_by_the_collector() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("pmta_lens.prom");
    std::fs::write(&out, "stale\n").expect("write");
    let samples = samples_dir();
    let o = run(&["metrics", "--out", out.to_str().expect("path"), &samples]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout.is_empty(), "nothing on stdout with --out");
    let written = std::fs::read_to_string(&out).expect("read");
    let (printed, _) = metrics(&[&samples]);
    let parsed = exposition::parse(&written).expect("valid");
    // The same samples but the scan's own duration.
    let strip = |v: Vec<Sample>| -> Vec<Sample> {
        v.into_iter()
            .filter(|s| s.name != "pmta_lens_scan_duration_seconds")
            .collect()
    };
    assert_eq!(strip(parsed), strip(printed));
    let mode = std::fs::metadata(&out).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o644);
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("list").count(),
        1,
        "no temporary left"
    );
    // Run from a timer with stdout closed, it still writes the file.
    std::fs::remove_file(&out).expect("remove");
    let o = Command::new("sh")
        .arg("-c")
        .arg("\"$0\" metrics --out \"$1\" \"$2\" >&-")
        .arg(env!("CARGO_BIN_EXE_pmta-lens"))
        .arg(&out)
        .arg(&samples)
        .output()
        .expect("sh");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(exposition::parse(&std::fs::read_to_string(&out).expect("read")).is_ok());
    // A directory that does not exist is said before the scan, with its name.
    let bad = dir.path().join("missing").join("x.prom");
    let o = run(&["metrics", "--out", bad.to_str().expect("path"), &samples]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing"));
}

/// `promtool`, from Debian's prometheus package, when it is installed.
fn promtool() -> Option<PathBuf> {
    let found = Command::new("promtool").arg("--version").output().ok()?;
    found.status.success().then(|| PathBuf::from("promtool"))
}

/// Runs `promtool check metrics` on `text`: no error and no lint complaint. Skipped, with a
/// note, without promtool (the strict reader above still ran).
fn promtool_check(text: &str) {
    let Some(tool) = promtool() else {
        eprintln!(
            "note: promtool not installed (apt-get install prometheus): only the in-repo reader checked the exposition"
        );
        return;
    };
    let mut child = Command::new(tool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn promtool");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let o = child.wait_with_output().expect("promtool");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "promtool: {said}\n{text}");
    assert!(said.trim().is_empty(), "promtool lint: {said}");
}

#[test]
fn promtool_accepts_the_metrics() {
    let dir = samples_dir();
    for args in [
        vec![dir.as_str()],
        vec!["--top", "1", dir.as_str()],
        vec!["--no-config", dir.as_str()],
    ] {
        let (_, text) = metrics(&args);
        promtool_check(&text);
    }
}

#[test]
fn the_alert_rules_are_valid() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/alerts.yml");
    let text = std::fs::read_to_string(&rules).expect("docs/alerts.yml");
    // Every metric an alert names is one `metrics` writes.
    let (m, _) = metrics(&[&samples_dir()]);
    for name in text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("pmta_lens_"))
    {
        assert!(
            m.iter().any(|s| s.name == name),
            "docs/alerts.yml names {name}, which metrics does not write"
        );
    }
    let Some(tool) = promtool() else {
        eprintln!("note: promtool not installed: docs/alerts.yml not checked by it");
        return;
    };
    let o = Command::new(tool)
        .args(["check", "rules"])
        .arg(&rules)
        .output()
        .expect("promtool");
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn the_reader_turns_away_bad_expositions() {
    let good = "# HELP a_b x\n# TYPE a_b gauge\na_b{l=\"v\"} 1\n";
    assert!(exposition::parse(good).is_ok());
    let bad = [
        ("a_b 1\n", "no HELP/TYPE"),
        (
            "# HELP a_b x\n# TYPE a_b gauge\na_b{l=\"v\"} 1\na_b{l=\"v\"} 2\n",
            "duplicate",
        ),
        (
            "# HELP a_b x\n# TYPE a_b gauge\na_b 1 1700000000\n",
            "timestamp",
        ),
        (
            "# HELP a_b x\n# TYPE a_b gauge\na_b{l=\"a\nb\"} 1\n",
            "raw newline",
        ),
        (
            "# HELP a_b x\n# TYPE a_b gauge\na_b{l=\"\\x\"} 1\n",
            "bad escape",
        ),
        ("# HELP a_b x\n# TYPE a_b gauge\na_b{l=v} 1\n", "unquoted"),
        ("# HELP a_b x\n# TYPE a_b gauge\na_b 1", "no final newline"),
        (
            "# HELP a_b x\n# TYPE a_b gauge\n# HELP c x\n# TYPE c gauge\nc 1\na_b 1\n",
            "apart",
        ),
        ("# HELP a_b x\n# TYPE a_b nonsense\na_b 1\n", "type"),
        ("# HELP a-b x\n# TYPE a-b gauge\na-b 1\n", "name"),
        (
            "# HELP a_b x\n# TYPE a_b gauge\na_b{l=\"v\",l=\"w\"} 1\n",
            "label twice",
        ),
        ("# HELP a_b x\n# TYPE a_b gauge\na_b one\n", "value"),
    ];
    for (text, why) in bad {
        assert!(exposition::parse(text).is_err(), "{why}: {text:?}");
    }
}
