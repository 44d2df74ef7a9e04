//! Tests of the scan as a whole: the fixture with every hard case, every chunk size against the
//! sequential result, `rows`, skimming, unreadable inputs and mid-file header changes.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::LazyLock;

use super::*;
use crate::acct::discover::InputKind;
use crate::aggregate::Dim;

/// Every hard case in one file: quoted commas, doubled quotes, a newline inside quotes,
/// CRLF, a malformed row, a stray quote, a second header with another column order, and a
/// final line without a newline.
const FIXTURE: &[u8] = b"type,timeLogged,rcpt,dsnStatus,dsnDiag,dsnMta,dlvSourceIp,vmta,queue,dlvEsmtpAvailable\n\
d,2026-01-14 10:00:00+0000,a@hotmail.com,2.0.0 (success),smtp;250 ok,mx1.hotmail.com (1.2.3.4),192.0.2.1,v1,hotmail.com/v1,\"PIPELINING,8BITMIME\"\n\
t,2026-01-14 10:00:30+0000,b@live.de,4.7.0 (x),\"smtp;421 RP-002 (BAY) \"\"limit\"\", try later\",,192.0.2.1,v1,live.de/v1,\"A,B\"\r\n\
b,2026-01-14 10:01:00-0100,c@gmail.com,5.1.1 (bad),\"smtp;550 5.1.1 line one\nline two\",,,v2,gmail.com/v2,\n\
d,2026-13-45 99:00:00+0000,d@example.org,2.0.0,smtp;250,,192.0.2.2,v2,example.org/v2,\n\
d,2026-01-14 10:02:00+0000,e@example.org,2.0.0,\"smtp;250 never closed,,192.0.2.2,v2,example.org/v2,\n\
tq,2026-01-14 10:03:00+0000,,4.4.1 (no answer),,,192.0.2.2,v2,yahoo.rollup/v2,\n\
type,vmta,rcpt,timeLogged\n\
d,v3,f@Example.ORG,1768384980\n\
x,v3,g@example.org,1768384981\n\
d,v3,h@example.org,1768384982";

/// The built-in rules, no filter, no rollup configuration (the follow tests' too).
pub(super) fn engine() -> Engine<'static> {
    static CLASSIFIER: LazyLock<Classifier> = LazyLock::new(Classifier::builtin);
    static FILTER: LazyLock<Filter> = LazyLock::new(Filter::default);
    static ROLLUP: LazyLock<Rollup> = LazyLock::new(Rollup::default);
    Engine {
        classifier: &CLASSIFIER,
        filter: &FILTER,
        rollup: &ROLLUP,
        domain_map: None,
    }
}

fn input(dir: &tempfile::TempDir, name: &str, data: &[u8]) -> Input {
    let path = dir.path().join(name);
    std::fs::write(&path, data).expect("write fixture");
    Input {
        path,
        kind: InputKind::Plain,
    }
}

fn run_with(
    inputs: &[Input],
    chunk_size: usize,
    mmap: bool,
) -> (Aggregates, Vec<FileReport>, u64, Vec<Malformed>) {
    let classifier = Classifier::builtin();
    let opts = ScanOptions {
        chunk_size,
        mmap,
        progress: None,
        maps: None,
    };
    let r = run(
        inputs,
        &opts,
        &classifier,
        &Filter::default(),
        &Arc::default(),
    );
    (
        Arc::unwrap_or_clone(r.aggregates),
        r.report.files,
        r.report.malformed,
        r.report.malformed_samples,
    )
}

#[test]
fn the_fixture_reads_as_intended() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs = [input(&dir, "acct.csv", FIXTURE)];
    let (agg, files, malformed, samples) = run_with(&inputs, 1 << 20, true);
    assert_eq!(agg.records, 6);
    assert_eq!(files[0].records, 6);
    assert_eq!(malformed, 3);
    let reasons: Vec<(u64, &str)> = samples
        .iter()
        .map(|m| (m.line, m.reason.as_str()))
        .collect();
    assert_eq!(reasons.len(), 3);
    assert_eq!(
        reasons[0].0, 6,
        "line numbers count the newline inside quotes"
    );
    assert!(
        reasons[0].1.starts_with("bad timeLogged `2026-13-45"),
        "{reasons:?}"
    );
    assert_eq!(reasons[1].0, 7);
    assert!(
        reasons[1].1.starts_with("unterminated quoted field"),
        "{reasons:?}"
    );
    assert_eq!(reasons[2].0, 11);
    assert!(
        reasons[2].1.starts_with("unknown record type `x`"),
        "{reasons:?}"
    );
    let domains = crate::aggregate::key_totals(&agg.group(Dim::Domain));
    assert_eq!(
        domains,
        [
            ("example.org".to_string(), 2),
            ("outlook.com".into(), 2),
            ("gmail.com".into(), 1),
            ("yahoo.rollup".into(), 1),
        ]
    );
    // the -0100 offset is stored as UTC
    assert_eq!(agg.first, Some(1_768_384_800));
    assert_eq!(agg.last, Some(1_768_388_460), "10:01 at -0100 is 11:01 UTC");
}

#[test]
fn every_split_point_gives_the_sequential_result() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs = [input(&dir, "acct.csv", FIXTURE)];
    let whole = run_with(&inputs, usize::MAX, true);
    for chunk_size in 1..=FIXTURE.len() {
        assert_eq!(
            run_with(&inputs, chunk_size, true),
            whole,
            "chunk size {chunk_size}"
        );
    }
    // the streamed path (gzip, stdin, --no-mmap) gives the same result with any block size
    for block in [1, 7, 64, 300, 1 << 20] {
        assert_eq!(
            run_with(&inputs, block, false),
            whole,
            "stream block {block}"
        );
    }
}

#[test]
fn rows_are_the_same_at_every_chunk_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A repeat of the first header (files joined with `cat`) changes nothing; the second,
    // other header is printed before the rows it governs.
    let mut data = FIXTURE.to_vec();
    let first_line = FIXTURE.split(|b| *b == b'\n').next().expect("header");
    let at = FIXTURE
        .windows(3)
        .position(|w| w == b"\ntq")
        .expect("tq row")
        + 1;
    data.splice(at..at, [first_line, b"\n"].concat());
    let inputs = [input(&dir, "acct.csv", &data)];
    let eng = engine();
    let rows_at = |chunk_size| {
        let opts = ScanOptions {
            chunk_size,
            mmap: true,
            progress: None,
            maps: None,
        };
        let mut out = Vec::new();
        let (n, report) = rows(&inputs, &opts, &eng, &mut out);
        (n.expect("written"), report.malformed, out)
    };
    let whole = rows_at(usize::MAX);
    assert_eq!((whole.0, whole.1), (6, 3));
    let text = String::from_utf8_lossy(&whole.2);
    assert_eq!(text.matches("type,timeLogged").count(), 1, "{text}");
    assert!(text.contains("\ntype,vmta,rcpt,timeLogged\nd,v3,f@Example.ORG"));
    for chunk_size in 1..=data.len() {
        assert_eq!(rows_at(chunk_size), whole, "chunk size {chunk_size}");
    }
}

/// Keeps every row, each piece's in order.
struct Every;

impl Sink for Every {
    type Fold = ();
    type Chunk = Vec<Vec<u8>>;

    fn new_fold(&self) {}

    fn new_chunk(&self) -> Vec<Vec<u8>> {
        Vec::new()
    }

    fn merge(&self, (): &mut (), (): ()) {}

    fn row(&self, (): &mut (), rows: &mut Vec<Vec<u8>>, row: &Row<'_>) {
        rows.push(row.raw.to_vec());
    }
}

/// Keeps the rows whose raw line holds `xample.`, declining the others on sight.
struct Skimmer;

impl Sink for Skimmer {
    type Fold = ();
    type Chunk = Vec<Vec<u8>>;

    fn new_fold(&self) {}

    fn new_chunk(&self) -> Vec<Vec<u8>> {
        Vec::new()
    }

    fn merge(&self, (): &mut (), (): ()) {}

    const SKIMS: bool = true;

    fn skim(&self, line: &[u8], _: &Header) -> bool {
        memchr::memmem::find(line, b"xample.").is_some()
    }

    // Skimming only saves work: rows offered unskimmed (multi-line, the last without a
    // newline) are tested again here.
    fn row(&self, (): &mut (), rows: &mut Vec<Vec<u8>>, row: &Row<'_>) {
        if memchr::memmem::find(row.raw, b"xample.").is_some() {
            rows.push(row.raw.to_vec());
        }
    }
}

/// Every piece's rows of a pass, in input order.
fn collect<S: Sink<Fold = (), Chunk = Vec<Vec<u8>>>>(
    inputs: &[Input],
    opts: &ScanOptions,
    sink: &S,
) -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    Driver::new(inputs, opts).run(&engine(), sink, |rows, _| {
        all.extend(rows);
        ControlFlow::Continue(())
    });
    all
}

#[test]
fn skimming_agrees_with_splitting_at_every_chunk_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A record whose marker is on its second line: skipping to the first newline would
    // lose it (the next line is no record start, so it is not skimmed).
    let data = [FIXTURE, b"\nd,v4,\"k@x.test\nxample.\",1768384990\n"].concat();
    let inputs = [input(&dir, "acct.csv", &data)];
    let opts = |chunk_size| ScanOptions {
        chunk_size,
        ..ScanOptions::default()
    };
    // Without skimming: every row, then the ones the skimmer keeps.
    let all = collect(&inputs, &opts(usize::MAX), &Every);
    let want: Vec<Vec<u8>> = all
        .into_iter()
        .filter(|r| memchr::memmem::find(r, b"xample.").is_some())
        .collect();
    assert_eq!(
        want.len(),
        3,
        "f, h and k (the other example.org rows are malformed)"
    );
    for chunk_size in 1..=data.len() {
        let got = collect(&inputs, &opts(chunk_size), &Skimmer);
        assert_eq!(got, want, "chunk size {chunk_size}");
    }
}

#[test]
fn an_unreadable_file_is_reported_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = input(&dir, "acct-good.csv", FIXTURE);
    let missing = Input {
        path: dir.path().join("acct-missing.csv"),
        kind: InputKind::Plain,
    };
    let classifier = Classifier::builtin();
    let r = run(
        &[missing, good],
        &ScanOptions::default(),
        &classifier,
        &Filter::default(),
        &Arc::default(),
    );
    assert_eq!(r.report.errors.len(), 1);
    assert!(
        r.report.files[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("acct-missing.csv"))
    );
    assert_eq!(r.aggregates.records, 6);
}

#[test]
fn gzip_rotations_decompress_side_by_side_one_per_worker() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let gzip = |name: &str, data: &[u8]| {
        let path = dir.path().join(name);
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).expect("gzip");
        std::fs::write(&path, enc.finish().expect("gzip")).expect("write");
        Input {
            path,
            kind: InputKind::Gzip,
        }
    };
    // About 1 MB each.
    let data = [FIXTURE, b"\n"].concat().repeat(1000);
    let gz: Vec<Input> = (0..4)
        .map(|i| gzip(&format!("acct-{i}.csv.gz"), &data))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    pool.install(|| {
        let eng = engine();
        let sink = Counting {
            plan: Arc::default(),
            init: || (),
            side: |(): &mut (), _: &Row<'_>| {},
        };
        // Blocks of 64 KiB: the first file takes several steps.
        let opts = ScanOptions {
            chunk_size: 64,
            ..ScanOptions::default()
        };
        let mut driver: Driver<Partial> = Driver::new(&gz, &opts);
        assert_eq!(driver.streams_reading(), 0, "nothing is opened up front");
        assert!(matches!(
            driver.step(&eng, &sink, &mut |(), _| ControlFlow::Continue(())),
            Step::More
        ));
        // The file being scanned and the next one decompress at once: one per worker, no more.
        assert_eq!(driver.streams_reading(), 2);
    });
    // Read side by side, the rotations count as the same files read one after the other.
    let plain: Vec<Input> = (0..4)
        .map(|i| input(&dir, &format!("acct-{i}.csv"), &data))
        .collect();
    let (agg, files, malformed, _) = pool.install(|| run_with(&gz, 1 << 20, true));
    let (want, want_files, want_malformed, _) = run_with(&plain, 1 << 20, true);
    assert_eq!(agg, want);
    assert_eq!(malformed, want_malformed);
    let records = |f: &[FileReport]| f.iter().map(|f| f.records).collect::<Vec<_>>();
    assert_eq!(records(&files), records(&want_files));
}

/// A file of `n` one-line records, each ending in its number.
fn numbered(n: usize) -> Vec<u8> {
    let mut data = b"type,timeLogged,vmta,rcpt\n".to_vec();
    for i in 0..n {
        data.extend_from_slice(
            format!("d,2026-01-14 10:00:00+0000,v1,user@example.org.{i:08}\n").as_bytes(),
        );
    }
    data
}

#[test]
fn bytes_left_falls_to_zero_as_files_are_read_and_is_unknown_for_a_stream() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = numbered(5_000);
    let inputs = [
        input(&dir, "acct-1.csv", &data),
        input(&dir, "acct-2.csv", &data),
    ];
    let opts = ScanOptions {
        chunk_size: 4096,
        ..ScanOptions::default()
    };
    let mut driver: Driver<()> = Driver::new(&inputs, &opts);
    let total = 2 * data.len() as u64;
    assert_eq!(driver.bytes_left(), Some(total), "neither opened yet");
    let mut seen = Vec::new();
    while driver.step(&engine(), &Every, &mut |_, _| ControlFlow::Continue(())) == Step::More {
        seen.push(driver.bytes_left().expect("plain files"));
    }
    assert!(seen.len() > 2, "several windows: {seen:?}");
    assert!(seen.windows(2).all(|w| w[1] <= w[0]), "{seen:?}");
    assert!(seen[0] < total && seen[0] > 0, "{seen:?}");
    assert_eq!(driver.bytes_left(), Some(0), "all read");

    let gz = dir.path().join("acct-3.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &data).expect("compress");
    std::fs::write(&gz, enc.finish().expect("compress")).expect("write");
    let gz = [Input {
        path: gz,
        kind: InputKind::Gzip,
    }];
    let driver: Driver<()> = Driver::new(&gz, &opts);
    assert_eq!(
        driver.bytes_left(),
        None,
        "a stream's length is known at its end"
    );
}

#[test]
fn a_file_truncated_between_windows_counts_the_rows_before_the_cut() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = numbered(10_000);
    let inputs = [input(&dir, "acct.csv", &data)];
    let opts = ScanOptions {
        chunk_size: 4096,
        ..ScanOptions::default()
    };
    let cut = data.len() / 2 + 17;
    let whole_lines = memchr::memchr_iter(b'\n', &data[..cut]).count() - 1;
    let mut rows = Vec::new();
    let mut driver: Driver<()> = Driver::new(&inputs, &opts);
    let mut first = true;
    loop {
        let step = driver.step(&engine(), &Every, &mut |chunk: Vec<Vec<u8>>, _| {
            rows.extend(chunk);
            ControlFlow::Continue(())
        });
        if first {
            // logrotate's copytruncate, or `cp` over the file, while it is being read.
            first = false;
            std::fs::OpenOptions::new()
                .write(true)
                .open(&inputs[0].path)
                .and_then(|f| f.set_len(cut as u64))
                .expect("truncate");
        }
        if step != Step::More {
            break;
        }
    }
    let ((), report) = driver.finish(&engine(), &Every);
    assert_eq!(
        rows.len(),
        whole_lines,
        "every whole row before the cut, once"
    );
    for (i, row) in rows.iter().enumerate() {
        let row = String::from_utf8_lossy(row);
        assert!(
            row.trim_end().ends_with(&format!("{i:08}")),
            "row {i} in order: {row}"
        );
    }
    assert_eq!(report.malformed, 0, "the cut is not a malformed row");
    let msg = report.files[0]
        .error
        .as_deref()
        .expect("the shrink is reported");
    assert!(
        msg.contains(&format!(
            "shrank from {} to {cut} bytes while being read",
            data.len()
        )),
        "{msg}"
    );
    assert_eq!(report.errors.len(), 1);
}

/// Truncates a file when it sees a given row, in the middle of a window.
struct Truncating {
    path: std::path::PathBuf,
    at: Vec<u8>,
    to: u64,
}

impl Sink for Truncating {
    type Fold = u64;
    type Chunk = ();

    fn new_fold(&self) -> u64 {
        0
    }

    fn new_chunk(&self) {}

    fn merge(&self, into: &mut u64, from: u64) {
        *into += from;
    }

    fn row(&self, fold: &mut u64, (): &mut (), row: &Row<'_>) {
        *fold += 1;
        if row.raw.trim_ascii_end().ends_with(&self.at) {
            let f = std::fs::OpenOptions::new().write(true).open(&self.path);
            f.and_then(|f| f.set_len(self.to)).expect("truncate");
        }
    }
}

#[test]
fn a_file_truncated_while_a_window_is_read_never_faults_the_process() {
    // Without the guard, the pieces of the window read after the cut fault with SIGBUS.
    let dir = tempfile::tempdir().expect("tempdir");
    let data = numbered(40_000);
    let inputs = [input(&dir, "acct.csv", &data)];
    let sink = Truncating {
        path: inputs[0].path.clone(),
        at: b"00000100".to_vec(),
        to: 0,
    };
    // One window holds the whole file: the truncation lands in the middle of it.
    let opts = ScanOptions {
        chunk_size: 1 << 16,
        ..ScanOptions::default()
    };
    let (records, report) =
        Driver::new(&inputs, &opts).run(&engine(), &sink, |(), _| ControlFlow::Continue(()));
    assert!((101..=40_000).contains(&records), "{records} {report:?}");
    assert_eq!(report.files[0].records, records);
    assert_eq!(report.malformed, 0, "zeros read past the cut are not rows");
    let msg = report.files[0]
        .error
        .as_deref()
        .unwrap_or_else(|| panic!("the shrink is reported: {records} {report:?}"));
    assert!(msg.contains("to 0 bytes while being read"), "{msg}");
}

/// The fixture, then damage the record limit and the NUL rule handle (`acct::broken`): a hole
/// that swallowed a newline (the row right after it counts), a hole inside a row, records
/// longer than the limit (one line; quoted over many lines), zeros then a row, and many blank
/// lines. Good rows `u10` to `u15` sit between them.
fn damaged() -> Vec<u8> {
    let row = |i: u32| format!("d,v9,u{i}@example.net,17683849{i:02}\n").into_bytes();
    let mut d = FIXTURE.to_vec();
    d.push(b'\n');
    d.extend(row(10));
    d.extend_from_slice(b"d,v9,cut@exa");
    d.extend([0; 40]);
    d.extend(row(11));
    d.extend_from_slice(b"d,v9,in\0\0\0\0side,1768384990\n");
    d.extend(row(12));
    d.extend_from_slice(b"d,v9,");
    d.extend(std::iter::repeat_n(b'y', 70 << 10));
    d.push(b'\n');
    d.extend(row(13));
    d.extend_from_slice(b"d,v9,\"");
    d.extend(b"zz\n".repeat(24_000));
    d.extend_from_slice(b"\",1768384991\n");
    d.extend(std::iter::repeat_n(0, 70 << 10));
    d.extend(row(14));
    d.extend(std::iter::repeat_n(b'\n', 70 << 10));
    d.extend(row(15));
    d
}

#[test]
fn damaged_input_gives_the_same_result_at_every_chunk_and_block_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = damaged();
    let inputs = [input(&dir, "acct.csv", &data)];
    let whole = run_with(&inputs, usize::MAX, true);
    let (agg, files, malformed, samples) = &whole;
    assert_eq!(agg.records, 6 + 6, "the fixture's rows and u10 to u15");
    assert_eq!(files[0].bytes, data.len() as u64);
    let reasons: Vec<&str> = samples.iter().map(|m| m.reason.as_str()).collect();
    let nul = "NUL bytes: a hole in the file";
    let long = "record longer than 64 KiB";
    assert!(reasons[3].starts_with(nul), "{reasons:?}");
    assert_eq!(samples[3].line, 14, "the hole's row");
    assert!(reasons[4].starts_with(nul), "{reasons:?}");
    assert_eq!(samples[4].line, 15);
    assert!(reasons[5].starts_with(long), "{reasons:?}");
    assert_eq!(samples[5].line, 17);
    assert!(reasons[6].starts_with(long), "{reasons:?}");
    assert_eq!(samples[6].line, 19);
    // the quoted record's lines after the limit are rows of their own, then the zeros
    assert!(*malformed > 7);
    let mut sizes: Vec<usize> = (1..=64).collect();
    sizes.extend([
        100,
        999,
        4096,
        65_535,
        65_536,
        70_000,
        100_000,
        200_000,
        1 << 20,
    ]);
    for chunk_size in sizes {
        assert_eq!(
            run_with(&inputs, chunk_size, true),
            whole,
            "chunk size {chunk_size}"
        );
    }
    for block in [1, 7, 64, 300, 4096, 65_536, 70_000, 1 << 20] {
        assert_eq!(
            run_with(&inputs, block, false),
            whole,
            "stream block {block}"
        );
    }
}

#[test]
fn header_lines_are_found_alike_at_every_chunk_and_block_size() {
    // Found by the fuzz harness (tests/fuzz.rs). A header line right after a NUL hole (which
    // ends the hole's row before it) was read by the scan but not found by the chunker, so a
    // chunk after it started without a header; a quoted `"type",...` line was the other way
    // round. Now a header line is `type,` as written, wherever the scan starts a record.
    let cases: [(&[u8], u64, u64); 3] = [
        (
            b"\0\0type,timeLogged,rcpt\nb,2026-01-14 10:00:00+0000,a@x.org\nd,-,b@x.org\n",
            1,
            2,
        ),
        (
            b"type,rcpt\nd,a@x.org\nd,\0\0type,timeLogged,rcpt\nb,2026-01-14 10:00:00+0000,a@x.org\n",
            2,
            1,
        ),
        (
            b"\"type\",timeLogged,rcpt\nd,2026-01-14 10:00:00+0000,a@x.org\nd,x\n",
            0,
            3,
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for (data, records, malformed) in cases {
        let inputs = [input(&dir, "acct.csv", data)];
        let whole = run_with(&inputs, usize::MAX, true);
        assert_eq!(
            (whole.0.records, whole.2),
            (records, malformed),
            "{}",
            data.escape_ascii()
        );
        for chunk_size in 1..=data.len() {
            assert_eq!(
                run_with(&inputs, chunk_size, true),
                whole,
                "{} chunk size {chunk_size}",
                data.escape_ascii()
            );
        }
        for block in [1, 7, 64, 1 << 20] {
            assert_eq!(
                run_with(&inputs, block, false),
                whole,
                "{} stream block {block}",
                data.escape_ascii()
            );
        }
    }
}

#[test]
fn folds_consolidated_between_steps_count_as_a_plain_run() {
    let data = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../sample-logs/acct-2026-11-20-0000.csv"),
    )
    .expect("sample log");
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs = [input(&dir, "acct.csv", &data)];
    let (want, ..) = run_with(&inputs, 1 << 20, true);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    let (got, snapshots) = pool.install(|| {
        let eng = engine();
        let sink = Counting {
            plan: Arc::default(),
            init: || (),
            side: |(): &mut (), _: &Row<'_>| {},
        };
        let opts = ScanOptions {
            chunk_size: 2048,
            ..ScanOptions::default()
        };
        let mut driver: Driver<Partial> = Driver::new(&inputs, &opts);
        let mut snapshots = Vec::new();
        while driver.step(&eng, &sink, &mut |(), _| ControlFlow::Continue(())) == Step::More {
            // As the dashboard's snapshots: the merged folds read in place, then given back.
            let mut all = driver.take_consolidated(&sink).expect("counted");
            snapshots.push(
                all.finish_so_far(&Rollup::default(), &Aggregates::default())
                    .records,
            );
            driver.restore(&sink, all);
        }
        let all = driver.take_folds(&eng, &sink);
        (all.finish(&Rollup::default()), snapshots)
    });
    assert_eq!(got, want);
    assert!(snapshots.len() > 1, "the file takes several steps");
    assert!(
        snapshots.windows(2).all(|w| w[0] <= w[1]) && snapshots.last() <= Some(&want.records),
        "snapshots only grow: {snapshots:?}"
    );
}

/// Keeps each row with where it starts in its piece and its line within the piece.
struct Placed;

impl Sink for Placed {
    type Fold = ();
    type Chunk = Vec<(usize, u64, Vec<u8>)>;

    fn new_fold(&self) {}

    fn new_chunk(&self) -> Self::Chunk {
        Vec::new()
    }

    fn merge(&self, (): &mut (), (): ()) {}

    fn row(&self, (): &mut (), rows: &mut Self::Chunk, row: &Row<'_>) {
        let before = &row.piece()[..row.offset()];
        let line = memchr::memchr_iter(b'\n', before).count() as u64;
        rows.push((row.offset(), line, row.raw.to_vec()));
    }
}

#[test]
fn a_scan_started_at_a_rows_offset_and_line_reads_the_rest_as_the_whole_scan_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs = [input(&dir, "f.csv", FIXTURE)];
    // Per row: its offset in the file, its line (0-based) and its bytes.
    let placed = |chunk_size, start: Option<Start>| {
        let opts = ScanOptions {
            chunk_size,
            ..ScanOptions::default()
        };
        let mut driver = Driver::new(&inputs, &opts);
        if let Some(s) = start {
            driver.start_at(0, s);
        }
        let mut all = Vec::new();
        driver.run(&engine(), &Placed, |rows, at| {
            for (off, line, raw) in rows {
                all.push((at.offset + off as u64, at.line + line, raw));
            }
            ControlFlow::Continue(())
        });
        all
    };
    let whole = placed(1 << 20, None);
    assert_eq!(whole.len(), 6, "{whole:?}");
    for k in 0..whole.len() {
        let (offset, line, _) = whole[k];
        for chunk_size in [1, 7, 64, 1 << 20] {
            let rest = placed(chunk_size, Some(Start { offset, line }));
            assert_eq!(rest, whole[k..], "from row {k}, chunks of {chunk_size}");
        }
    }
    // Past the end: nothing.
    let end = Start {
        offset: FIXTURE.len() as u64 + 10,
        line: 99,
    };
    assert!(placed(64, Some(end)).is_empty());
}
