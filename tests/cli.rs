//! Runs the real `pmta-lens` binary on sample-logs and on made-up bad input: output formats,
//! `rows`, exit codes, error messages, and that 1 and N threads print the same bytes.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pmta-lens"));
    c.env_remove("NO_COLOR").stdin(Stdio::null());
    c
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run pmta-lens")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(args: &[&str]) -> serde_json::Value {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("valid JSON")
}

/// Every scan test runs at 1 thread and at the default, with small chunks so the parallel path
/// really splits files, and the outputs must be byte-identical.
fn same_at_any_thread_count(args: &[&str]) -> Output {
    let one = bin()
        .args(["--threads", "1"])
        .args(args)
        .output()
        .expect("run");
    let many = bin()
        .args(["--chunk-size", "2048"])
        .args(args)
        .output()
        .expect("run");
    let default = bin().args(args).output().expect("run");
    assert_eq!(
        stdout(&one),
        stdout(&many),
        "{args:?}: 1 thread vs small chunks"
    );
    assert_eq!(
        stdout(&one),
        stdout(&default),
        "{args:?}: 1 thread vs default"
    );
    assert_eq!(one.status.code(), default.status.code());
    default
}

fn temp_file(dir: &tempfile::TempDir, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, data).expect("write");
    p
}

const HEADER: &str =
    "type,timeLogged,rcpt,dsnStatus,dsnDiag,dsnMta,dlvSourceIp,vmta,queue,vmtaPool,jobId\n";

#[test]
fn summary_outputs_are_identical_at_any_thread_count() {
    let dir = samples();
    let dir = dir.to_str().expect("utf-8 path");
    for format in ["text", "markdown", "json"] {
        let o = same_at_any_thread_count(&["summary", "--format", format, dir]);
        assert_eq!(o.status.code(), Some(0), "{format}: {}", stderr(&o));
    }
    same_at_any_thread_count(&["rows", "--where", "type=t", dir]);
}

#[test]
fn rows_prints_header_and_original_bytes_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = temp_file(
        &dir,
        "a.csv",
        format!(
            "{HEADER}d,2026-01-14 10:00:00+0000,x@hotmail.com,2.0.0,smtp;250 ok,,192.0.2.1,v1,hotmail.com/v1,p,j1\r\n\
             t,2026-01-14 10:01:00+0000,y@live.de,4.7.0,\"smtp;421 4.7.0 RP-002 a, \"\"b\"\"\",,192.0.2.1,v1,live.de/v1,p,j1\r\n"
        )
        .as_bytes(),
    );
    let b = temp_file(
        &dir,
        "b.csv",
        b"type,rcpt,vmta,timeLogged\nd,z@hotmail.co.uk,v2,1768384980\nd,q@gmail.com,v2,1768384981",
    );
    let (a, b) = (a.to_str().expect("utf-8"), b.to_str().expect("utf-8"));
    let o = same_at_any_thread_count(&["rows", "--where", "domain=outlook.com", a, b]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!(
            "{HEADER}d,2026-01-14 10:00:00+0000,x@hotmail.com,2.0.0,smtp;250 ok,,192.0.2.1,v1,hotmail.com/v1,p,j1\r\n\
             t,2026-01-14 10:01:00+0000,y@live.de,4.7.0,\"smtp;421 4.7.0 RP-002 a, \"\"b\"\"\",,192.0.2.1,v1,live.de/v1,p,j1\r\n\
             type,rcpt,vmta,timeLogged\nd,z@hotmail.co.uk,v2,1768384980\n"
        ),
        "header repeated when it changes; CRLF kept; the final line gets a newline"
    );
    // grep convention: nothing matched is exit 1 with nothing on stdout
    let none = run(&["rows", "--where", "vmta=nope", a, b]);
    assert_eq!(none.status.code(), Some(1));
    assert!(none.stdout.is_empty());
}

#[test]
fn rows_into_a_closed_pipe_exits_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut big = String::from(HEADER);
    for i in 0..200_000 {
        writeln!(
            big,
            "d,2026-01-14 10:00:00+0000,u{i}@example.com,2.0.0,smtp;250 ok,,192.0.2.1,v1,example.com/v1,p,j"
        )
        .expect("write to a String");
    }
    let f = temp_file(&dir, "big.csv", big.as_bytes());
    let mut child = bin()
        .args(["rows", f.to_str().expect("utf-8")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().expect("stdout");
    let mut first = [0u8; 64];
    std::io::Read::read_exact(&mut out, &mut first).expect("some output");
    drop(out);
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "quiet: {}", stderr(&o));
}

#[test]
fn bad_input_is_named_and_the_rest_still_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = temp_file(
        &dir,
        "good.csv",
        format!("{HEADER}d,2026-01-14 10:00:00+0000,x@example.com,2.0.0,smtp;250,,192.0.2.1,v1,example.com/v1,p,j\nd,not a time,y@example.com,2.0.0,smtp;250,,192.0.2.1,v1,example.com/v1,p,j\nzz,2026-01-14 10:00:00+0000\n").as_bytes(),
    );
    let missing = dir.path().join("missing.csv");
    let o = run(&[
        "summary",
        "--format",
        "json",
        missing.to_str().expect("utf-8"),
        good.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "an unreadable file makes the exit code 2"
    );
    let err = stderr(&o);
    assert!(
        err.contains("missing.csv") && err.contains("No such file"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON still printed");
    assert_eq!(v["records"], 1);
    assert_eq!(v["malformed"], 2);
    let samples = v["malformed_samples"].as_array().expect("array");
    assert_eq!(samples[0]["line"], 3);
    assert!(
        samples[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("bad timeLogged `not a time`"))
    );
    assert_eq!(samples[1]["line"], 4);
    assert!(
        samples[1]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("unknown record type `zz`"))
    );
    assert!(
        samples[0]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("good.csv"))
    );
    // the text report lists them with file:line
    let text = stdout(&run(&["summary", good.to_str().expect("utf-8")]));
    assert!(text.contains("good.csv:3: bad timeLogged"), "{text}");
}

#[test]
fn a_bad_filter_is_an_error_naming_the_term() {
    let o = run(&[
        "summary",
        "--where",
        "domian=outlook.com",
        samples().to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("domian=outlook.com") && err.contains("domain"),
        "{err}"
    );
}

#[test]
fn a_missing_default_directory_says_what_to_pass() {
    if Path::new("/var/log/pmta").exists() {
        return; // a real PowerMTA host: the default is valid here
    }
    let o = run(&["summary"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("/var/log/pmta does not exist") && err.contains("pass accounting files"),
        "{err}"
    );
}

/// Runs the binary with `data` on its standard input (written from a thread: a pipe holds less
/// than a sample file).
fn run_with_stdin(args: &[&str], data: Vec<u8>) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&data).expect("write"));
    let o = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    o
}

#[test]
fn stdin_and_gzip_are_streamed() {
    let data = format!(
        "{HEADER}d,2026-01-14 10:00:00+0000,x@msn.com,2.0.0,smtp;250,,192.0.2.1,v1,msn.com/v1,p,j\n"
    );
    let o = run_with_stdin(
        &["summary", "--format", "json", "-"],
        data.as_bytes().to_vec(),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["records"], 1);
    assert_eq!(v["files"][0]["path"], "-");
    assert_eq!(v["by_domain"][0]["key"], "outlook.com");

    let dir = tempfile::tempdir().expect("tempdir");
    let gz = dir.path().join("acct-2026-01-14-0000.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data.as_bytes()).expect("gzip");
    std::fs::write(&gz, enc.finish().expect("gzip")).expect("write");
    let v = json(&[
        "summary",
        "--format",
        "json",
        dir.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(v["records"], 1);
    assert_eq!(v["files"][0]["bytes"], data.len());
}

/// Standard input is read once, but the analyses follow RP-001 retries and complaints in a
/// second pass: a copy of the input kept for it gives the same findings as the file.
#[test]
fn a_summary_of_stdin_follows_retries_and_complaints_like_the_file() {
    let path = samples().join("acct-2026-11-20-0000.csv");
    let data = std::fs::read(&path).expect("sample");
    let from_file = json(&["summary", "--format", "json", path.to_str().expect("utf-8")]);
    let o = run_with_stdin(&["summary", "--format", "json", "-"], data);
    let from_stdin: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(from_stdin["files"][0]["path"], "-");
    for key in [
        "retry_hygiene",
        "complaints",
        "findings",
        "bursts",
        "by_code",
    ] {
        assert_eq!(from_stdin[key], from_file[key], "{key}");
    }
    assert_eq!(from_file["retry_hygiene"]["recipients"]["retried"], 2);
    assert_eq!(from_file["complaints"]["matched"], 7);
}

/// The shipped sample-logs, read end to end: what sample-logs/README.md says they hold.
#[test]
fn sample_logs_read_as_documented() {
    let dir = samples();
    let v = json(&["summary", "--format", "json", dir.to_str().expect("utf-8")]);
    let files: Vec<(String, u64)> = v["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            let p = f["path"].as_str().expect("path");
            let name = Path::new(p)
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, f["records"].as_u64().expect("records"))
        })
        .collect();
    assert_eq!(
        files,
        [
            ("acct-2026-11-19-0000.csv.gz".to_string(), 156),
            ("acct-2026-11-20-0000.csv".into(), 159),
            ("acct-2026-11-20-0001.csv".into(), 50),
            ("acct-2026-11-21-0000.csv".into(), 210),
        ],
        "rotation order, gzip streamed, CRLF with a multi-line field, Unix times without a final newline"
    );
    assert_eq!(v["records"], 575);
    assert_eq!(v["malformed"], 1);
    let m = &v["malformed_samples"][0];
    assert!(
        m["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("acct-2026-11-20-0000.csv"))
    );
    assert_eq!(m["line"], 43);
    assert_eq!(m["reason"], "expected 38 fields as in the header, found 8");
    assert_eq!(v["first"], "2026-11-19T00:05:26Z");
    assert_eq!(v["last"], "2026-11-21T23:39:19Z");
    assert_eq!(
        v["by_type"],
        serde_json::json!({"d": 411, "b": 23, "t": 96, "tq": 10, "r": 7, "f": 16, "rb": 8, "rs": 4})
    );
    assert_eq!(
        v["by_domain"][0]["key"], "outlook.com",
        "the Microsoft family rolled up"
    );
    assert_eq!(v["by_domain"][0]["total"], 398);
    let codes: Vec<&str> = v["by_code"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c["key"].as_str().expect("key"))
        .collect();
    for id in [
        "RP-001",
        "RP-002",
        "RP-003",
        "5.7.1-blocklist",
        "5.7.1-dmarc",
        "5.7.606",
        "4.7.500",
        "5.7.510",
        "4.7.650",
        "4.7.651",
        "5.7.708",
        "5.7.509",
        "5.7.515",
        "PR(ct1)",
        "SC-001",
    ] {
        assert!(codes.contains(&id), "{id} in sample-logs: {codes:?}");
    }
    let rp002 = &v["by_code"][0];
    assert_eq!(
        (rp002["key"].as_str(), rp002["total"].as_u64()),
        (Some("RP-002"), Some(52))
    );
    assert_eq!(
        rp002["action"],
        "Reduce max-connect-rate; increase retry-after to 30m"
    );
    assert_eq!(rp002["provider"], "Microsoft");
    assert_eq!(rp002["kind"], "deferral");
    let vmtas: Vec<&str> = v["by_vmta"]
        .as_array()
        .expect("vmtas")
        .iter()
        .map(|b| b["key"].as_str().expect("key"))
        .collect();
    assert!(
        vmtas.contains(&"(unattributed)"),
        "f rows have no VMTA of their own"
    );
}

#[test]
fn markdown_and_text_carry_the_same_numbers() {
    let dir = samples();
    let dir = dir.to_str().expect("utf-8");
    let text = stdout(&run(&["summary", dir]));
    let md = stdout(&run(&["summary", "--format", "markdown", dir]));
    assert!(text.contains("records: 575; malformed rows: 1"), "{text}");
    assert!(md.starts_with("# pmta-lens summary\n"), "{md}");
    assert!(md.contains("| outlook.com | 398 |"), "{md}");
    assert!(text.contains("[CRITICAL] Microsoft RP-001"), "{text}");
    assert!(md.contains("**CRITICAL** Microsoft RP-001"), "{md}");
    assert!(
        text.contains("acct-2026-11-20-0000.csv:43: expected 38 fields"),
        "{text}"
    );
}

#[test]
fn a_filter_narrows_every_number() {
    let dir = samples();
    let v = json(&[
        "summary",
        "--format",
        "json",
        "--where",
        "domain=outlook.com code=RP-002",
        dir.to_str().expect("utf-8"),
    ]);
    assert_eq!(v["records"], 52);
    assert_eq!(v["filter"], "domain=outlook.com code=RP-002");
    assert_eq!(v["by_domain"].as_array().map(Vec::len), Some(1));
    let rows = run(&[
        "rows",
        "--where",
        "domain=outlook.com code=RP-002",
        dir.to_str().expect("utf-8"),
    ]);
    // sample-logs holds a malformed row on purpose: said on stderr, and the exit code is 2.
    assert_eq!(rows.status.code(), Some(2), "{}", stderr(&rows));
    assert!(
        stderr(&rows).contains("1 malformed row skipped; the first: "),
        "{}",
        stderr(&rows)
    );
    let out = stdout(&rows);
    let data_rows = out.lines().filter(|l| !l.starts_with("type,")).count();
    assert_eq!(data_rows, 52);
    assert!(
        out.lines()
            .filter(|l| !l.starts_with("type,"))
            .all(|l| l.contains("RP-002"))
    );
}

#[test]
fn thousands_of_threads_are_capped_with_a_note() {
    let args = ["summary", "--format", "json"];
    let capped = bin()
        .args(["--threads", "100000"])
        .args(args)
        .arg(samples())
        .output()
        .expect("run");
    assert!(capped.status.success(), "{}", stderr(&capped));
    let err = stderr(&capped);
    assert!(
        err.contains("--threads=100000 is more than 4 per core: using "),
        "{err}"
    );
    let default = bin().args(args).arg(samples()).output().expect("run");
    assert_eq!(stdout(&capped), stdout(&default));
    // The environment's request is capped the same way.
    let env = bin()
        .env("RAYON_NUM_THREADS", "100000")
        .args(args)
        .arg(samples())
        .output()
        .expect("run");
    assert!(stderr(&env).contains("RAYON_NUM_THREADS=100000 is more than"));
    assert_eq!(stdout(&env), stdout(&default));
}

/// The JSON contract (docs/json.md) as a whole, beside the field-by-field tests above: any
/// change to a key, an order or a number on the shipped sample logs shows in review as a
/// snapshot diff. Run from the crate root on the relative `sample-logs`, so the paths in it are
/// the same on every machine.
#[test]
fn summary_json_on_sample_logs_matches_its_snapshot() {
    let o = bin()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["summary", "--format", "json", "sample-logs"])
        .output()
        .expect("run pmta-lens");
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    serde_json::from_str::<serde_json::Value>(&text).expect("valid JSON");
    insta::assert_snapshot!("summary_json_sample_logs", text);
}

/// One recipient, one sender, one queue or one message traced with `--where`: `rcpt`, `orig`,
/// `queue` and `envid` read their columns, and `domain=` of a rolled-up recipient domain finds
/// that domain's rows (counted under its rollup).
#[test]
fn where_traces_a_recipient_a_sender_a_queue_and_an_envelope_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = "type,timeLogged,orig,rcpt,dsnStatus,dsnDiag,vmta,envId,queue\n\
        t,2026-01-14 10:00:00+0000,news@a.example,Jane@Hotmail.de,4.7.0 (x),\"smtp;421 RP-002\",v1,e-1,outlook.com/v1\n\
        d,2026-01-14 10:30:00+0000,news@a.example,jane@hotmail.de,2.0.0 (ok),\"smtp;250 ok\",v1,e-1,outlook.com/v1\n\
        d,2026-01-14 10:31:00+0000,tx@b.example,joe@live.com,2.0.0 (ok),\"smtp;250 ok\",v2,e-2,outlook.com/v2\n\
        d,2026-01-14 10:32:00+0000,tx@b.example,ann@gmail.com,2.0.0 (ok),\"smtp;250 ok\",v2,e-3,gmail.com/v2\n";
    let path = temp_file(&dir, "acct-trace.csv", data.as_bytes());
    let p = path.to_str().expect("utf-8 path");
    let lines = |expr: &str| -> Vec<String> {
        let o = same_at_any_thread_count(&["rows", "--where", expr, p]);
        stdout(&o).lines().skip(1).map(str::to_string).collect()
    };
    for (expr, rows) in [
        (
            "rcpt=jane@hotmail.de",
            &["Jane@Hotmail.de", "jane@hotmail.de"][..],
        ),
        ("orig=tx@b.example", &["joe@live.com", "ann@gmail.com"]),
        ("queue=outlook.com/v2", &["joe@live.com"]),
        ("envid=E-1", &["Jane@Hotmail.de", "jane@hotmail.de"]),
        (r"envId~^e-[23]$", &["joe@live.com", "ann@gmail.com"]),
        ("domain=hotmail.de", &["Jane@Hotmail.de", "jane@hotmail.de"]),
        (
            "domain=outlook.com",
            &["Jane@Hotmail.de", "jane@hotmail.de", "joe@live.com"],
        ),
    ] {
        let got = lines(expr);
        assert_eq!(got.len(), rows.len(), "{expr}: {got:?}");
        for (line, rcpt) in got.iter().zip(rows) {
            assert!(line.contains(rcpt), "{expr}: {line}");
        }
    }
    let v = json(&[
        "summary",
        "--format",
        "json",
        "--where",
        "rcpt=jane@hotmail.de",
        p,
    ]);
    assert_eq!(v["filter"], "rcpt=jane@hotmail.de");
    let o = run(&["summary", "--where", "envid=e-2", p]);
    assert!(stdout(&o).contains("records: 1;"), "{}", stdout(&o));
}
