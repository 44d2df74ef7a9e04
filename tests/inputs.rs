//! Damaged, hostile and special inputs, through the real binary: pipes, FIFOs and devices read
//! like the file they carry; gzip on standard input; gzip padding, garbage and truncation; a
//! byte order mark; NUL holes; records longer than the limit; and memory that stays bounded on
//! endless input (`/dev/zero`, a gzip bomb).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pmta-lens"));
    c.env_remove("NO_COLOR").stdin(Stdio::null());
    c
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs/acct-2026-11-20-0000.csv")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).expect("gzip");
    enc.finish().expect("gzip")
}

/// `summary --format json` on `args`, with `stdin` piped in (if any).
fn summary(args: &[&str], stdin: Option<Vec<u8>>) -> Output {
    let mut cmd = bin();
    cmd.args(["summary", "--format", "json"]).args(args);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().expect("spawn");
    let writer = stdin.map(|data| {
        let mut pipe = child.stdin.take().expect("stdin");
        std::thread::spawn(move || {
            // The reader may stop early: a broken pipe is no failure here.
            let _ = pipe.write_all(&data);
        })
    });
    let out = child.wait_with_output().expect("wait");
    if let Some(w) = writer {
        w.join().expect("writer");
    }
    out
}

/// The JSON of a summary without the file names (a pipe's name is not the file's).
fn without_paths(o: &Output) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    for key in ["files", "malformed_samples"] {
        if let Some(items) = v[key].as_array_mut() {
            for item in items {
                if let Some(m) = item.as_object_mut() {
                    m.remove("path");
                }
            }
        }
    }
    v
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).expect("valid JSON")
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn pipes_fifos_and_standard_input_read_like_the_file() {
    let s = sample();
    let data = std::fs::read(&s).expect("sample");
    let want = summary(&[path_str(&s)], None);
    assert_eq!(want.status.code(), Some(0), "{}", stderr(&want));
    let want = without_paths(&want);
    assert!(!want["findings"].as_array().expect("findings").is_empty());

    // `/dev/stdin` on a pipe (as `<(cat f)` gives): read once, spooled for the second pass
    let piped = summary(&["/dev/stdin"], Some(data.clone()));
    assert_eq!(piped.status.code(), Some(0), "{}", stderr(&piped));
    assert_eq!(without_paths(&piped), want, "/dev/stdin on a pipe");

    // `/dev/stdin < f`: a regular file behind the name
    let redirected = bin()
        .args(["summary", "--format", "json", "/dev/stdin"])
        .stdin(std::fs::File::open(&s).expect("open"))
        .output()
        .expect("run");
    assert_eq!(without_paths(&redirected), want, "/dev/stdin < file");

    // `-`, and gzip on standard input, recognised by its magic bytes
    assert_eq!(without_paths(&summary(&["-"], Some(data.clone()))), want);
    assert_eq!(
        without_paths(&summary(&["-"], Some(gzip(&data)))),
        want,
        "gzip on standard input"
    );
    assert_eq!(
        without_paths(&summary(&["/dev/stdin"], Some(gzip(&data)))),
        want,
        "gzip on a pipe"
    );

    // a named FIFO is opened once (opening it again would wait for a writer forever)
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("acct.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let writer = {
        let fifo = fifo.clone();
        let data = data.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&fifo)
                .expect("open the FIFO");
            f.write_all(&data).expect("write the FIFO");
        })
    };
    let mut child = bin()
        .args(["summary", "--format", "json", path_str(&fifo)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "summary on a FIFO hangs"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    writer.join().expect("writer");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(without_paths(&out), want, "named FIFO");
}

#[test]
fn gzip_padding_is_ignored_garbage_is_a_warning_and_members_join() {
    let s = sample();
    let data = std::fs::read(&s).expect("sample");
    let dir = tempfile::tempdir().expect("tempdir");
    let want = without_paths(&summary(&[path_str(&s)], None));

    // tape or dd padding after the member: accepted silently, as gzip does
    let mut padded = gzip(&data);
    padded.extend_from_slice(&[0; 4096]);
    let padded_path = dir.path().join("padded.csv.gz");
    std::fs::write(&padded_path, &padded).expect("write");
    let o = summary(&[path_str(&padded_path)], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    assert_eq!(without_paths(&o), want);
    // the same on standard input
    assert_eq!(without_paths(&summary(&["-"], Some(padded))), want);

    // other garbage: the rows are kept, the file is named in a warning (gzip exits 2 too)
    let mut garbage = gzip(&data);
    garbage.extend_from_slice(b"garbage, not gzip\n");
    let garbage_path = dir.path().join("garbage.csv.gz");
    std::fs::write(&garbage_path, &garbage).expect("write");
    let o = summary(&[path_str(&garbage_path)], None);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("garbage.csv.gz: trailing garbage after the gzip data ignored, after 159 rows (the rows before it are counted)"),
        "{err}"
    );
    let v = json(&o);
    assert_eq!(v["records"], 159);
    assert!(
        v["files"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("trailing garbage"))
    );

    // several members, as `cat a.gz b.gz` makes
    let two = [gzip(&data), gzip(&data)].concat();
    let two_path = dir.path().join("two.csv.gz");
    std::fs::write(&two_path, &two).expect("write");
    let v = json(&summary(&[path_str(&two_path)], None));
    assert_eq!(v["records"], 318);
}

/// What `zcat` recovers from a truncated gzip file: every byte decompressed before the cut.
fn zcat_prefix(gz: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut dec = flate2::read::GzDecoder::new(gz);
    let mut buf = [0u8; 4096];
    loop {
        match dec.read(&mut buf) {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[test]
fn a_truncated_gzip_keeps_every_row_before_the_cut_and_says_so() {
    let data = std::fs::read(sample()).expect("sample");
    let dir = tempfile::tempdir().expect("tempdir");
    // small (one read) and larger than a block (several)
    for copies in [1, 100] {
        let mut whole = data.clone();
        let body = data.splitn(2, |b| *b == b'\n').nth(1).expect("rows");
        for _ in 1..copies {
            whole.extend_from_slice(body);
        }
        let gz = gzip(&whole);
        let cut = &gz[..gz.len() - 1000];
        let path = dir.path().join(format!("cut{copies}.csv.gz"));
        std::fs::write(&path, cut).expect("write");
        let recovered = dir.path().join(format!("recovered{copies}.csv"));
        std::fs::write(&recovered, zcat_prefix(cut)).expect("write");

        let o = summary(&[path_str(&path)], None);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let want = json(&summary(&[path_str(&recovered)], None));
        let v = json(&o);
        assert_eq!(
            v["records"], want["records"],
            "{copies}: every row zcat recovers"
        );
        assert_eq!(v["malformed"], want["malformed"], "{copies}");
        let rows = v["records"].as_u64().expect("records");
        assert!(rows > 0);
        let note = format!("truncated: the gzip stream ends before its end, after {rows} rows");
        let err = stderr(&o);
        assert!(err.contains(&note) && !err.contains("skipped"), "{err}");
        assert!(
            v["files"][0]["error"]
                .as_str()
                .is_some_and(|e| e.contains(&note)),
            "{}",
            v["files"][0]
        );
        let text = bin()
            .args(["summary", path_str(&path)])
            .output()
            .expect("run");
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(
            text.contains(&note) && !text.contains("unreadable"),
            "{text}"
        );
    }
}

#[test]
fn a_byte_order_mark_before_the_header_is_skipped() {
    let s = sample();
    let data = std::fs::read(&s).expect("sample");
    let dir = tempfile::tempdir().expect("tempdir");
    let want = without_paths(&summary(&[path_str(&s)], None));
    let bom = [b"\xEF\xBB\xBF".as_slice(), &data].concat();
    let plain = dir.path().join("bom.csv");
    std::fs::write(&plain, &bom).expect("write");
    let gz = dir.path().join("bom.csv.gz");
    std::fs::write(&gz, gzip(&bom)).expect("write");
    let mut got = without_paths(&summary(&[path_str(&plain)], None));
    // the mark's three bytes are part of the file's size
    assert_eq!(
        got["files"][0]["bytes"].as_u64(),
        want["files"][0]["bytes"].as_u64().map(|b| b + 3)
    );
    got["files"][0]["bytes"] = want["files"][0]["bytes"].clone();
    assert_eq!(got, want, "mapped");
    for (what, o) in [
        ("gzip", summary(&[path_str(&gz)], None)),
        ("stdin", summary(&["-"], Some(bom.clone()))),
        ("no-mmap", summary(&["--no-mmap", path_str(&plain)], None)),
    ] {
        let mut got = without_paths(&o);
        got["files"][0]["bytes"] = want["files"][0]["bytes"].clone();
        assert_eq!(got, want, "{what}");
    }
    let rows = bin()
        .args(["rows", path_str(&plain)])
        .output()
        .expect("run");
    // The sample's one broken row (on purpose) makes `rows` exit 2 and say so; the header and
    // every other row are read.
    assert_eq!(rows.status.code(), Some(2), "{}", stderr(&rows));
    assert!(
        stderr(&rows).contains("1 malformed row skipped"),
        "{}",
        stderr(&rows)
    );
    assert!(rows.stdout.starts_with(b"type,timeLogged,"));
    assert_eq!(
        memchr::memchr_iter(b'\n', &rows.stdout).count() as u64,
        want["records"].as_u64().expect("records") + 1,
        "the header and every record"
    );
}

#[test]
fn a_nul_hole_loses_only_the_rows_it_damaged() {
    let data = std::fs::read(sample()).expect("sample");
    let dir = tempfile::tempdir().expect("tempdir");
    // Rows 20 and 21 (1-based lines): a hole from inside row 20 through its newline, ending
    // right where row 21 starts; a second hole inside row 30 only.
    let line_start = |n: usize| memchr_nth(&data, n - 1);
    let mut holed = data.clone();
    let (r21, r30) = (line_start(21), line_start(30));
    holed[r21 - 300..r21].fill(0);
    holed[r30 + 50..r30 + 350].fill(0);
    let path = dir.path().join("holed.csv");
    std::fs::write(&path, &holed).expect("write");
    for mmap in [true, false] {
        let mut args = vec![path_str(&path)];
        if !mmap {
            args.insert(0, "--no-mmap");
        }
        let v = json(&summary(&args, None));
        assert_eq!(
            v["records"], 157,
            "mmap {mmap}: only rows 20 and 30 are lost"
        );
        assert_eq!(v["malformed"], 3, "mmap {mmap}");
        let samples = v["malformed_samples"].as_array().expect("samples");
        let hole_lines: Vec<u64> = samples
            .iter()
            .filter(|m| {
                m["reason"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("NUL bytes: a hole in the file"))
            })
            .map(|m| m["line"].as_u64().expect("line"))
            .collect();
        // the first hole took a newline: row 30 is the file's line 29 now, as an editor shows
        assert_eq!(hole_lines, [20, 29], "{samples:?}");
    }
}

/// The offset after the `n`th newline (0: the start).
fn memchr_nth(data: &[u8], n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    data.iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(n - 1)
        .map(|(i, _)| i + 1)
        .expect("enough lines")
}

const HEADER: &str = "type,timeLogged,rcpt,dsnStatus,dsnDiag,vmta\n";

fn good(i: usize) -> String {
    format!("d,2026-01-14 10:00:00+0000,u{i}@example.com,2.0.0,smtp;250 ok,v1\n")
}

#[test]
fn a_record_longer_than_the_limit_is_malformed_and_the_rows_around_it_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut data = String::from(HEADER);
    data += &good(1);
    data += "d,2026-01-14 10:00:00+0000,";
    data += &"x".repeat(200 << 10);
    data += "\n";
    data += &good(2);
    let path = dir.path().join("long.csv");
    std::fs::write(&path, &data).expect("write");
    let gz = dir.path().join("long.csv.gz");
    std::fs::write(&gz, gzip(data.as_bytes())).expect("write");
    let check = |o: &Output, what: &str| {
        let v = json(o);
        assert_eq!(v["records"], 2, "{what}");
        assert_eq!(v["malformed"], 1, "{what}");
        assert_eq!(v["malformed_samples"][0]["line"], 3, "{what}");
        assert!(
            v["malformed_samples"][0]["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("record longer than 64 KiB")),
            "{what}: {v}"
        );
    };
    check(&summary(&[path_str(&path)], None), "mapped");
    check(&summary(&["--no-mmap", path_str(&path)], None), "read");
    check(&summary(&[path_str(&gz)], None), "gzip");
    check(&summary(&["-"], Some(data.clone().into_bytes())), "stdin");
}

/// Runs `pmta-lens` on `args` and returns its output and peak resident memory in KiB.
#[allow(unsafe_code)]
#[allow(clippy::zombie_processes)] // waited for with `wait4`, for its resource usage
fn with_peak_rss(args: &[&str]) -> (Output, i64) {
    let mut child = bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut so = child.stdout.take().expect("stdout");
    let mut se = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut e = Vec::new();
        let _ = se.read_to_end(&mut e);
        e
    });
    let _ = so.read_to_end(&mut out);
    err.extend(reader.join().expect("stderr"));
    let pid = i32::try_from(child.id()).expect("pid");
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not waited for yet; both pointers are to live locals.
    let waited = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
    assert_eq!(waited, pid, "wait4");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let o = Output {
        status: std::os::unix::process::ExitStatusExt::from_raw(status),
        stdout: out,
        stderr: err,
    };
    assert!(code.is_some(), "killed: {}", stderr(&o));
    (o, usage.ru_maxrss)
}

#[test]
fn a_gzip_bomb_is_read_in_bounded_memory() {
    // Blank lines and zeros, MBs of each, between good rows: a few KB gzipped. (Small enough
    // for a debug build to scan quickly; the buffers' bound does not depend on the size.)
    const MB: usize = 6;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(HEADER.as_bytes()).expect("gzip");
    enc.write_all(good(1).as_bytes()).expect("gzip");
    let newlines = vec![b'\n'; 1 << 20];
    for _ in 0..MB {
        enc.write_all(&newlines).expect("gzip");
    }
    enc.write_all(good(2).as_bytes()).expect("gzip");
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..MB {
        enc.write_all(&zeros).expect("gzip");
    }
    enc.write_all(good(3).as_bytes()).expect("gzip");
    let gz = enc.finish().expect("gzip");
    assert!(gz.len() < 1 << 20, "{} bytes", gz.len());
    let path = dir.path().join("bomb.csv.gz");
    std::fs::write(&path, &gz).expect("write");
    let (o, peak_kib) = with_peak_rss(&["summary", "--format", "json", path_str(&path)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["records"], 3, "the good rows around the bomb count");
    assert_eq!(v["malformed"], 1, "one NUL hole");
    assert!(
        v["malformed_samples"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("NUL bytes")),
        "{v}"
    );
    assert_eq!(v["malformed_samples"][0]["line"], MB * (1 << 20) + 4);
    eprintln!("peak RSS {peak_kib} KiB");
    assert!(peak_kib < 96 << 10, "peak RSS {peak_kib} KiB");
}

#[test]
fn dev_zero_is_read_in_bounded_memory() {
    // An endless stream of NUL bytes: read for a while, memory must not grow with it.
    let mut child = bin()
        .args(["summary", "/dev/zero"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_secs(2));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()));
    child.kill().expect("kill");
    child.wait().expect("wait");
    let Ok(status) = status else {
        return; // no /proc: nothing to measure
    };
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    eprintln!("peak RSS {peak_kib} KiB after 2 s of /dev/zero");
    assert!(peak_kib < 96 << 10, "peak RSS {peak_kib} KiB");
}
