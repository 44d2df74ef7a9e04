//! The binary is honest about what it could not do: malformed rows and write errors are said
//! and change the exit code, side files that are not regular files or are too large are turned
//! away with their name and the limit, a path given to no purpose is still checked, `--where`
//! folds case in all of Unicode and across IDNA forms, and control characters from inputs never
//! reach the terminal raw.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const HEADER: &str = "type,timeLogged,rcpt,dsnStatus,dsnDiag,vmta\n";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pmta-lens"));
    c.stdin(Stdio::null());
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run pmta-lens")
}

/// Runs through `sh` for the redirections `Command` cannot express (`>&-`).
fn sh(script: &str, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_pmta-lens"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run sh")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn write(dir: &tempfile::TempDir, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, data).expect("write");
    path
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-logs")
        .join(name)
}

/// Two good rows around a malformed one.
fn with_malformed(dir: &tempfile::TempDir) -> PathBuf {
    write(
        dir,
        "acct.csv",
        format!(
            "{HEADER}d,2026-01-14 10:00:00+0000,a@example.com,2.0.0,smtp;250 ok,v1\n\
             zz,2026-01-14 10:00:01+0000,b@example.com,2.0.0,smtp;250 ok,v1\n\
             d,2026-01-14 10:00:02+0000,c@example.com,2.0.0,smtp;250 ok,v2\n"
        )
        .as_bytes(),
    )
}

#[test]
fn rows_says_how_many_malformed_rows_it_skipped_and_exits_2() {
    let dir = tempfile::tempdir().expect("dir");
    let f = with_malformed(&dir);
    let o = run(&["rows", p(&f)]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert_eq!(
        out(&o).lines().count(),
        3,
        "header and both good rows printed first"
    );
    let e = err(&o);
    assert!(
        e.contains("1 malformed row skipped; the first: ")
            && e.contains("acct.csv:3: unknown record type `zz`"),
        "{e}"
    );
    // Nothing matched, but a row was malformed: 2, not 1 (it might have matched).
    let o = run(&["rows", "--where", "vmta=nope", p(&f)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    // Nothing matched and nothing went wrong: 1, quietly.
    let clean = write(
        &dir,
        "clean.csv",
        format!("{HEADER}d,2026-01-14 10:00:00+0000,a@example.com,2.0.0,smtp;250 ok,v1\n")
            .as_bytes(),
    );
    let o = run(&["rows", "--where", "vmta=nope", p(&clean)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stderr.is_empty(), "{}", err(&o));
    // The --format rcpt list says it too.
    let o = run(&["rows", "--format", "rcpt", p(&f)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("1 malformed row skipped"), "{}", err(&o));
}

#[test]
fn a_closed_or_full_stdout_is_an_error_not_lost_output() {
    let acct = sample("acct-2026-11-20-0000.csv");
    for cmd in ["rows", "summary"] {
        let closed = sh(r#""$1" "$2" "$3" >&-"#, &[cmd, p(&acct)]);
        assert_eq!(closed.status.code(), Some(2), "{cmd} >&-: {}", err(&closed));
        assert!(
            err(&closed).contains("cannot write to standard output: Bad file descriptor"),
            "{cmd}: {}",
            err(&closed)
        );
        let full = sh(r#""$1" "$2" "$3" > /dev/full"#, &[cmd, p(&acct)]);
        assert_eq!(full.status.code(), Some(2), "{cmd} > /dev/full");
        assert!(
            err(&full).contains("cannot write to standard output: No space left on device"),
            "{cmd}: {}",
            err(&full)
        );
    }
    // JSON is written as it is serialised: the same.
    let full = sh(
        r#""$1" summary --format json "$2" > /dev/full"#,
        &[p(&acct)],
    );
    assert_eq!(full.status.code(), Some(2));
    // > /dev/null is not a closed stdout.
    let null = sh(r#""$1" summary "$2" > /dev/null"#, &[p(&acct)]);
    assert_eq!(null.status.code(), Some(0), "{}", err(&null));
    // A closed pipe stays quiet, summary too.
    let pipe = sh(r#""$1" summary "$2" | head -c 1 >/dev/null"#, &[p(&acct)]);
    assert!(pipe.stderr.is_empty(), "{}", err(&pipe));
}

/// Side files that are devices, FIFOs, directories or too large are refused by name.
#[test]
fn side_files_must_be_regular_files_of_bounded_size() {
    let dir = tempfile::tempdir().expect("dir");
    let acct = sample("acct-2026-11-20-0000.csv");
    let fifo = dir.path().join("fifo");
    let has_fifo = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let big = dir.path().join("big");
    // Sparse: 16 MiB and one byte costs no disk.
    std::fs::File::create(&big)
        .and_then(|f| f.set_len((16 << 20) + 1))
        .expect("sparse file");
    let bigger = dir.path().join("bigger");
    std::fs::File::create(&bigger)
        .and_then(|f| f.set_len((64 << 20) + 1))
        .expect("sparse file");
    let mut cases: Vec<(&str, PathBuf, &str)> = Vec::new();
    for flag in ["--config", "--rules", "--snds", "--pmta-log"] {
        cases.push((
            flag,
            "/dev/zero".into(),
            "not a regular file (a character device)",
        ));
        cases.push((
            flag,
            dir.path().to_owned(),
            "not a regular file (a directory)",
        ));
        if has_fifo {
            cases.push((flag, fifo.clone(), "not a regular file (a FIFO)"));
        }
    }
    cases.push((
        "--config",
        big.clone(),
        "16.0 MiB is over the 16 MiB limit for a PowerMTA config file",
    ));
    cases.push((
        "--rules",
        big.clone(),
        "16.0 MiB is over the 16 MiB limit for a rules file",
    ));
    cases.push((
        "--snds",
        bigger.clone(),
        "64.0 MiB is over the 64 MiB limit for an SNDS export",
    ));
    for (flag, path, want) in &cases {
        let o = bin()
            .args(["summary", flag, p(path), p(&acct)])
            .stdout(Stdio::null())
            .output()
            .expect("run");
        assert_eq!(o.status.code(), Some(2), "{flag} {path:?}");
        let e = err(&o);
        assert!(
            e.contains(p(path)) && e.contains(want),
            "{flag} {path:?}: {e}"
        );
    }
    // check-config reads its config the same way.
    for path in ["/dev/zero", p(&big)] {
        let o = run(&["check-config", "--config", path]);
        assert_eq!(o.status.code(), Some(2), "{path}");
        assert!(err(&o).contains(path), "{}", err(&o));
    }
    // An included file too.
    let main = write(&dir, "config", b"include /dev/zero\n");
    let o = run(&["check-config", "--config", p(&main)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("/dev/zero: not a regular file"),
        "{}",
        err(&o)
    );
}

/// The `PowerMTA` log is streamed at any size, but a line is held to 64 KiB: 17 MiB without a
/// newline is one skipped line, not 17 MiB in memory.
#[test]
fn a_pmta_log_without_newlines_is_read_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("log");
    std::fs::File::create(&log)
        .and_then(|f| f.set_len(17 << 20))
        .expect("sparse file");
    let o = run(&[
        "summary",
        "--config",
        p(&sample("pmta-config")),
        "--pmta-log",
        p(&log),
        p(&sample("acct-2026-11-20-0000.csv")),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let e = err(&o);
    assert!(e.contains("1 line longer than 64 KiB skipped"), "{e}");
    assert!(e.contains("no connection lines"), "{e}");
}

#[test]
fn a_path_that_names_nothing_is_never_ignored() {
    let o = run(&[
        "check-config",
        "--config",
        p(&sample("pmta-config")),
        "--daily-volume",
        "5",
        "/nonexistent/acct.csv",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("/nonexistent/acct.csv: No such file or directory"),
        "{}",
        err(&o)
    );
    // Without a config as well: the path is named before the missing config.
    let o = run(&[
        "check-config",
        "--daily-volume",
        "5",
        "/nonexistent/acct.csv",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("/nonexistent/acct.csv"), "{}", err(&o));
    // Flags the command has no use for still name real files.
    let acct = sample("acct-2026-11-20-0000.csv");
    let o = run(&["rows", "--pmta-log", "/nonexistent/log", p(&acct)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("--pmta-log /nonexistent/log"),
        "{}",
        err(&o)
    );
    let o = run(&[
        "check-config",
        "--config",
        p(&sample("pmta-config")),
        "--rules",
        "/nonexistent/rules.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("--rules /nonexistent/rules.json"),
        "{}",
        err(&o)
    );
}

#[test]
fn a_pmta_log_without_connection_lines_is_a_warning_and_the_report_says_estimated() {
    let acct = sample("acct-2026-11-20-0000.csv");
    let o = run(&[
        "summary",
        "--config",
        p(&sample("pmta-config")),
        "--pmta-log",
        p(&acct),
        p(&acct),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let e = err(&o);
    assert!(
        e.contains(&format!("{}: no connection lines", p(&acct)))
            && e.contains("log-connections yes")
            && e.contains("<domain> blocks"),
        "{e}"
    );
    assert!(
        out(&o).contains("estimated from the accounting rows (the log ")
            && out(&o).contains("has no connection lines"),
        "{}",
        out(&o)
    );
}

#[test]
fn where_folds_unicode_case_and_idna_forms() {
    let dir = tempfile::tempdir().expect("dir");
    let f = write(
        &dir,
        "idn.csv",
        format!(
            "{HEADER}d,2026-01-14 10:00:00+0000,a@BÜCHER.de,2.0.0,smtp;250 ok,MÜNCHEN\n\
             d,2026-01-14 10:00:01+0000,b@xn--bcher-kva.de,2.0.0,smtp;250 ok,v\n\
             d,2026-01-14 10:00:02+0000,c@other.de,2.0.0,smtp;250 ok,v\n"
        )
        .as_bytes(),
    );
    for expr in [
        "domain=bücher.de",
        "domain=xn--bcher-kva.de",
        "rcpt-domain=Bücher.DE",
    ] {
        let o = run(&["rows", "--where", expr, p(&f)]);
        assert_eq!(o.status.code(), Some(0), "{expr}: {}", err(&o));
        let rows: Vec<String> = out(&o).lines().skip(1).map(str::to_owned).collect();
        assert_eq!(rows.len(), 2, "{expr}: {rows:?}");
        assert!(rows[0].contains("a@BÜCHER.de") && rows[1].contains("xn--bcher-kva"));
    }
    let o = run(&["rows", "--where", "vmta=münchen", p(&f)]);
    assert_eq!(out(&o).lines().count(), 2, "{}", out(&o));
}

const ESC_SEQUENCES: &str = "\x1b]0;pwned\x07 \x1b[2J";

fn assert_escaped(what: &str, text: &str) {
    assert!(
        !text.contains(['\x1b', '\x07']),
        "{what}: a raw control character: {text:?}"
    );
    assert!(
        text.contains("\\x1b]0;pwned\\x07") || text.contains("\\x1b[2"),
        "{what}: shown escaped: {text}"
    );
}

#[test]
fn control_characters_from_inputs_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().expect("dir");
    // A config whose error quotes the line: an unclosed block.
    let broken = write(
        &dir,
        "broken",
        format!("<domain a{ESC_SEQUENCES}.com>\nmax-smtp-out 5\n").as_bytes(),
    );
    let o = run(&["check-config", "--config", p(&broken)]);
    assert_eq!(o.status.code(), Some(2));
    // The path is in the message; the block's text is not, but nothing raw may be either.
    assert!(!err(&o).contains('\x1b'), "{:?}", err(&o));
    // A config whose lint findings quote the directive: the text report.
    let odd = write(
        &dir,
        "odd",
        format!("<domain *>\nmax-smtp-ot{ESC_SEQUENCES} 5\n</domain>\n").as_bytes(),
    );
    let o = run(&["check-config", "--config", p(&odd)]);
    assert_escaped("check-config text", &out(&o));
    let o = run(&["check-config", "--format", "json", "--config", p(&odd)]);
    assert!(!out(&o).contains('\x1b'), "JSON escapes by itself");
    // A file name with the sequences, named in errors.
    let named = dir.path().join(format!("acct{ESC_SEQUENCES}.csv"));
    let o = run(&["summary", p(&named)]);
    assert_escaped("missing file", &err(&o));
    // Malformed rows quoting them: the summary's text and markdown, and rows' stderr.
    let acct = write(
        &dir,
        "acct.csv",
        format!("{HEADER}{ESC_SEQUENCES},2026-01-14 10:00:00+0000,a@b.c,,,v\n").as_bytes(),
    );
    for format in ["text", "markdown"] {
        let o = run(&["summary", "--format", format, p(&acct)]);
        assert_escaped(format, &out(&o));
    }
    let o = run(&["rows", p(&acct)]);
    assert_escaped("rows stderr", &err(&o));
    // A rules file whose error quotes it.
    let rules = write(
        &dir,
        "rules.json",
        format!(
            r#"[{{"id": "X", "provider": "x", "pattern": "(", "kind": "bounce", "severity": "info", "meaning": "{}"}}]"#,
            "\\u001b[2J"
        )
        .as_bytes(),
    );
    let o = run(&["summary", "--rules", p(&rules), p(&acct)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!err(&o).contains('\x1b'), "{:?}", err(&o));
    // A bad --where is the user's own text, escaped all the same.
    let o = run(&[
        "rows",
        "--where",
        &format!("vmta~({ESC_SEQUENCES}"),
        p(&acct),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_escaped("filter error", &err(&o));
}

#[test]
fn a_filter_before_the_command_is_not_ignored() {
    let acct = sample("acct-2026-11-20-0001.csv");
    let o = run(&["--where", "vmta=nope", "rows", p(&acct)]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(o.stdout.is_empty());
    assert!(
        err(&o).contains("--where goes after the command: pmta-lens rows --where"),
        "{}",
        err(&o)
    );
    let o = run(&["--snds", "x.csv", "summary", p(&acct)]);
    assert_eq!(o.status.code(), Some(2));
    // Global flags still go anywhere.
    let o = run(&["--threads", "1", "rows", "--where", "vmta=nope", p(&acct)]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
}
