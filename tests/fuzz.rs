//! The fuzz harness (see docs/fuzzing.md): random and grammar-built input for every parser that
//! reads what a user hands pmta-lens (accounting files mapped, streamed and gzipped, the
//! `--where` language, `PowerMTA` configs, SNDS exports). Properties: no panic, no hang (a
//! watchdog fails the run when one case takes too long), bounded memory (peak RSS reported and
//! checked), and the scan gives the same answer whatever the chunk size, block size and path.
//!
//! `cargo test` runs a short pass (a few hundred cases per target); `PMTA_FUZZ_CASES=N` spreads
//! N cases over the targets (`scripts/fuzz.sh` runs a million in release). Failing seeds are
//! saved in `proptest-regressions/` and replayed first on every run.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

use pmta_lens::acct::discover::{Input, InputKind};
use pmta_lens::acct::source::{GUNZIP_STEP, Gunzip};
use pmta_lens::aggregate::Aggregates;
use pmta_lens::classify::Classifier;
use pmta_lens::config::Config as PmtaConfig;
use pmta_lens::filter::{Filter, RowView};
use pmta_lens::model::{Code, RecordKind, ResponseKind, SmtpCode};
use pmta_lens::scan::{self, ScanOptions};

// ---------------------------------------------------------------------------------------------
// Budget, watchdog and memory

/// Each target's share of `PMTA_FUZZ_CASES`, and its cases in the short run of `cargo test`.
/// The scan targets cost about a thousand times a parser case: they get fewer.
const TARGETS: &[(&str, f64, u32)] = &[
    ("scan_grammar", 0.05, 100),
    ("scan_raw", 0.04, 100),
    ("gzip_damage", 0.03, 60),
    ("filter_any", 0.16, 1000),
    ("filter_grammar", 0.24, 1500),
    ("config_any", 0.12, 500),
    ("config_grammar", 0.18, 800),
    ("snds", 0.18, 1000),
];

/// How many cases `target` runs: its share of `PMTA_FUZZ_CASES`, or the short run's count.
fn cases(target: &str) -> u32 {
    let (_, share, short) = TARGETS
        .iter()
        .find(|(name, ..)| *name == target)
        .copied()
        .unwrap_or((target, 0.0, 10));
    match std::env::var("PMTA_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
    {
        Some(total) => ((total * share).ceil() as u32).max(1),
        None => short,
    }
}

/// The proptest configuration of a target: its case count, its own regression file (replayed
/// first on every run), and a bound on shrinking so a failure is reported in reasonable time.
fn config(target: &'static str) -> Config {
    let file: &'static str = Box::leak(format!("proptest-regressions/{target}.txt").into());
    Config {
        cases: cases(target),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(file))),
        max_shrink_time: 120_000,
        ..Config::default()
    }
}

/// The per-case time limit (`PMTA_FUZZ_CASE_SECS`, default 60 s: a debug build on a busy
/// machine scans the largest generated files in well under a second).
fn case_limit() -> Duration {
    Duration::from_secs(
        std::env::var("PMTA_FUZZ_CASE_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(60),
    )
}

/// Target -> when its running case started, and its input (saved if it hangs).
type Cases = HashMap<&'static str, (Instant, Vec<u8>)>;

/// The case each target is running.
static RUNNING: LazyLock<Mutex<Cases>> = LazyLock::new(|| {
    std::thread::Builder::new()
        .name("fuzz-watchdog".into())
        .spawn(watchdog)
        .expect("start the watchdog");
    Mutex::new(HashMap::new())
});

/// Fails the whole run when a case has run longer than [`case_limit`]: a hang can never be
/// caught from the thread that hangs, and proptest's own timeout forks a process per case. The
/// input is saved so the hang can be replayed.
fn watchdog() {
    let limit = case_limit();
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
        for (target, (started, input)) in running.iter() {
            if started.elapsed() > limit {
                let saved = std::env::temp_dir().join(format!("pmta-fuzz-hang-{target}.bin"));
                let _ = std::fs::write(&saved, input);
                eprintln!(
                    "fuzz {target}: HANG: one case ran over {limit:?}; its input ({} bytes) is \
                     in {}",
                    input.len(),
                    saved.display()
                );
                std::process::exit(3);
            }
        }
    }
}

/// Marks a case of `target` as running until dropped.
struct Running(&'static str);

impl Running {
    fn start(target: &'static str, input: &[u8]) -> Running {
        RUNNING
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(target, (Instant::now(), input.to_vec()));
        Running(target)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(self.0);
    }
}

/// The process's peak resident set, in KiB (`VmHWM`), where the kernel reports it.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reports a target's run (cases, time, peak RSS of the process so far) and fails it when the
/// peak is over `PMTA_FUZZ_MAX_RSS_MIB` (default 2048): memory that grows with the input shows.
fn report(target: &str, started: Instant) {
    let peak = peak_rss_kib();
    eprintln!(
        "fuzz {target}: {} cases in {:.1} s, peak RSS {} MiB",
        cases(target),
        started.elapsed().as_secs_f64(),
        peak.map_or_else(|| "?".to_string(), |k| (k / 1024).to_string())
    );
    let limit: u64 = std::env::var("PMTA_FUZZ_MAX_RSS_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2048);
    if let Some(k) = peak {
        assert!(
            k / 1024 <= limit,
            "peak RSS {} MiB over {limit} MiB",
            k / 1024
        );
    }
}

/// Runs `body` on every case of `target` and reports the run.
macro_rules! fuzz {
    ($target:literal, $strategy:expr, |$input:pat_param| $body:block) => {{
        let started = Instant::now();
        let mut runner = proptest::test_runner::TestRunner::new(config($target));
        let result = runner.run(&$strategy, |$input| {
            $body;
            Ok(())
        });
        report($target, started);
        if let Err(e) = result {
            panic!("fuzz {}: {e}", $target);
        }
    }};
}

// ---------------------------------------------------------------------------------------------
// The accounting-file grammar

/// Columns a header may name (`PowerMTA`'s, in any case, and user-chosen ones).
const COLUMNS: &[&str] = &[
    "timeLogged",
    "rcpt",
    "dsnStatus",
    "dsnDiag",
    "dsnMta",
    "dlvSourceIp",
    "vmta",
    "vmtaPool",
    "jobId",
    "queue",
    "orig",
    "dlvEsmtpAvailable",
    "header_X-HmXmrOriginalRecipient",
    "rcvSourceIp",
    "TIMELOGGED",
    "Rcpt",
    "header_Subject",
    "",
];

const TYPES: &[&str] = &[
    "d", "b", "t", "tq", "r", "f", "rb", "rs", "x", "D", "TQ", "", "type", "\"d\"",
];

/// A header line: `type` (nearly always) and `n - 1` columns drawn from [`COLUMNS`].
fn header(n: usize) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(&["type", "type", "type", "Type", "\"type\"", "d"][..]),
        prop::collection::vec(prop::sample::select(COLUMNS), n.saturating_sub(1)),
        line_end(),
    )
        .prop_map(|(first, cols, end)| {
            let mut line = first.as_bytes().to_vec();
            for c in cols {
                line.push(b',');
                line.extend_from_slice(c.as_bytes());
            }
            line.extend_from_slice(end);
            line
        })
}

fn line_end() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![
        8 => Just(&b"\n"[..]),
        2 => Just(&b"\r\n"[..]),
        1 => Just(&b""[..]),
        1 => Just(&b"\r"[..]),
    ]
}

/// One field's bytes, as written in the file.
fn field() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => Just(Vec::new()),
        6 => "[a-z0-9.@_-]{1,12}".prop_map(String::into_bytes),
        4 => (2020u32..2030, 1u32..13, 1u32..29, 0u32..24, 0u32..60, prop::sample::select(
            &["+0000", "-0400", "+0530", "Z", "", "+05:30", ".25+0000"][..]
        ))
            .prop_map(|(y, mo, d, h, mi, z)| {
                format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:07{z}").into_bytes()
            }),
        2 => (1_600_000_000i64..1_800_000_000).prop_map(|t| t.to_string().into_bytes()),
        2 => prop::sample::select(
            &[
                "2026-13-45 99:00:00+0000", "-1", "99999999999999999999", "2026-01-14T",
                "1e9", "2026-02-30 10:00:00+0000", "+0000", "0",
            ][..]
        )
        .prop_map(|s| s.as_bytes().to_vec()),
        3 => "[a-z]{1,8}@[a-zA-Z0-9.-]{0,12}".prop_map(String::into_bytes),
        3 => prop::sample::select(
            &[
                "smtp;550 5.7.1 blocked", "smtp;421 RP-002 try later", "smtp;250 ok",
                "5.1.1 (bad)", "2.0.0 (success)", "mx1.hotmail.com (1.2.3.4)",
                "x.olc.protection.outlook.com (1.2.3.4)", "hotmail.com/v1", "yahoo.rollup/v2",
                "192.0.2.1", "smtp;452 4.2.2 over quota;smtp;550 5.1.1 no such user",
            ][..]
        )
        .prop_map(|s| s.as_bytes().to_vec()),
        3 => "[a-z ,]{0,10}".prop_map(|s| format!("\"{s}\"").into_bytes()),
        2 => "[a-z]{0,5}".prop_map(|s| format!("\"a \"\"{s}\"\", b\"").into_bytes()),
        2 => "[a-z]{0,5}".prop_map(|s| format!("\"one\n{s}\"").into_bytes()),
        1 => Just(b"\"crlf\r\ninside\"".to_vec()),
        1 => Just(b"\"a\nd,quoted record start\"".to_vec()),
        2 => Just(b"stray\"quote".to_vec()),
        2 => "[a-z,]{0,6}".prop_map(|s| format!("\"never closed {s}").into_bytes()),
        1 => (1usize..64).prop_map(|n| vec![0; n]),
        1 => prop::collection::vec(128u8..=255, 1..6),
        1 => Just("bücher.de ☃".as_bytes().to_vec()),
        1 => (1usize..4096).prop_map(|n| vec![b'y'; n]),
        // Over the 64 KiB record limit: rare, they cost time.
        1 => prop_oneof![
            15 => Just(Vec::new()),
            1 => Just(vec![b'L'; 70_000]),
            1 => Just([&b"\""[..], &b"zz\n".repeat(23_000), b"\""].concat()),
        ],
    ]
}

/// A record of type from [`TYPES`] with `n` fields in all (the header's count, or near it).
fn record(n: usize) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(TYPES),
        prop_oneof![6 => Just(n), 1 => Just(n + 1), 1 => Just(n.saturating_sub(1)), 1 => 1usize..16],
        line_end(),
    )
        .prop_flat_map(|(kind, count, end)| {
            prop::collection::vec(field(), count.saturating_sub(1)).prop_map(move |fields| {
                let mut line = kind.as_bytes().to_vec();
                for f in fields {
                    line.push(b',');
                    line.extend(f);
                }
                line.extend_from_slice(end);
                line
            })
        })
}

/// One piece of a file after its first header: mostly records, and the damage real files show.
fn piece(n: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        20 => record(n),
        2 => header(n),
        1 => (2usize..12).prop_flat_map(header),
        2 => prop_oneof![Just(b"\n".to_vec()), Just(b"\r\n".to_vec()), Just(b"\n\n\n".to_vec())],
        1 => (1usize..200).prop_map(|k| vec![0; k]),
        1 => prop::collection::vec(any::<u8>(), 0..40),
        1 => prop::collection::vec(
            prop::sample::select(&b",\"\n\r\0dtbqrfsype"[..]),
            0..40
        ),
        1 => Just(b"\xEF\xBB\xBF".to_vec()),
    ]
}

/// A whole accounting file: perhaps a byte order mark, perhaps a header, pieces, and perhaps
/// cut anywhere.
fn acct_file() -> impl Strategy<Value = Vec<u8>> {
    (2usize..14)
        .prop_flat_map(|n| {
            (
                prop::bool::weighted(0.1),
                prop::bool::weighted(0.9),
                header(n),
                prop::collection::vec(piece(n), 0..40),
                prop::option::weighted(0.2, any::<prop::sample::Index>()),
            )
        })
        .prop_map(|(bom, has_header, head, pieces, cut)| {
            let mut data = Vec::new();
            if bom {
                data.extend_from_slice(b"\xEF\xBB\xBF");
            }
            if has_header {
                data.extend(head);
            }
            for p in pieces {
                data.extend(p);
            }
            if let Some(cut) = cut
                && !data.is_empty()
            {
                data.truncate(cut.index(data.len()));
            }
            data
        })
}

/// Bytes with no grammar: uniform, or from the bytes that matter to the splitter, after a
/// header or not.
const RAW_HEADS: &[&[u8]] = &[b"", b"type,a,b,c\n", b"type,rcpt,vmta\r\n"];

fn raw_file() -> impl Strategy<Value = Vec<u8>> {
    let special = prop::collection::vec(
        prop::sample::select(&b",\"\n\r\0\0dtbqrfsype,,\"\xEF\xBB\xBF"[..]),
        0..3000,
    );
    (
        prop::sample::select(RAW_HEADS),
        prop_oneof![prop::collection::vec(any::<u8>(), 0..3000), special],
    )
        .prop_map(|(head, body)| [head, &body[..]].concat())
}

// ---------------------------------------------------------------------------------------------
// Scanning

static CLASSIFIER: LazyLock<Classifier> = LazyLock::new(Classifier::builtin);

/// What a scan found, everything the chunk size, block size and reading path must not change.
#[derive(PartialEq, Eq)]
struct Outcome {
    aggregates: Aggregates,
    records: u64,
    malformed: u64,
    /// (line, reason) of the kept malformed samples.
    samples: Vec<(u64, String)>,
    /// The input could not be read to its end.
    error: bool,
}

fn scan_at(input: &Input, chunk_size: usize, mmap: bool) -> Outcome {
    let opts = ScanOptions {
        chunk_size,
        mmap,
        progress: None,
        maps: None,
    };
    let r = scan::run(
        std::slice::from_ref(input),
        &opts,
        &CLASSIFIER,
        &Filter::default(),
        &Arc::default(),
    );
    Outcome {
        aggregates: Arc::unwrap_or_clone(r.aggregates),
        records: r.report.records(),
        malformed: r.report.malformed,
        samples: r
            .report
            .malformed_samples
            .into_iter()
            .map(|m| (m.line, m.reason))
            .collect(),
        error: r.report.files.iter().any(|f| f.error.is_some()),
    }
}

/// The counts and samples; the aggregates only in outline (they are compared whole).
impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outcome")
            .field("records", &self.records)
            .field("by_type", &self.aggregates.by_type)
            .field("first", &self.aggregates.first)
            .field("last", &self.aggregates.last)
            .field("malformed", &self.malformed)
            .field("samples", &self.samples)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// A case's bytes, shown escaped and cut short in failure messages (the persisted seed
/// reproduces the whole case).
#[derive(Clone)]
struct Bytes(Vec<u8>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN: usize = 600;
        let shown = &self.0[..self.0.len().min(SHOWN)];
        write!(f, "b\"{}\"", shown.escape_ascii())?;
        if self.0.len() > SHOWN {
            write!(f, "... ({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

/// An upper bound on the rows (records and malformed) of `data`: one per line, plus one per run
/// of NUL bytes (a hole that swallowed a newline ends its broken row right before the record
/// after it, on the same line).
fn max_rows(data: &[u8]) -> u64 {
    let newlines = memchr::memchr_iter(b'\n', data).count() as u64;
    let nul_runs = data.windows(2).filter(|w| w[0] == 0 && w[1] != 0).count() as u64;
    newlines + 1 + nul_runs
}

/// The file scanned mapped at several chunk sizes (1 byte, a random one, 4 KiB) and streamed
/// (`--no-mmap`) at several block sizes, against one chunk: all the same, and no more rows than
/// lines.
fn check_scan(dir: &Path, data: &[u8], cut: usize) -> Result<(), TestCaseError> {
    let path = dir.join("acct.csv");
    std::fs::write(&path, data).expect("write the case");
    let input = Input {
        path,
        kind: InputKind::Plain,
    };
    let whole = scan_at(&input, usize::MAX, true);
    prop_assert!(
        whole.records + whole.malformed <= max_rows(data),
        "{} records and {} malformed rows in {} bytes of at most {} rows",
        whole.records,
        whole.malformed,
        data.len(),
        max_rows(data)
    );
    prop_assert_eq!(whole.records, whole.aggregates.records);
    prop_assert_eq!(whole.aggregates.by_type.total(), whole.records);
    prop_assert!(!whole.error);
    for chunk in [1, 1 + cut % data.len().max(1), 4096] {
        prop_assert_eq!(
            &scan_at(&input, chunk, true),
            &whole,
            "mapped, chunk {}",
            chunk
        );
    }
    for block in [1, 1 + cut % data.len().max(1), 1 << 20] {
        prop_assert_eq!(
            &scan_at(&input, block, false),
            &whole,
            "stream, block {}",
            block
        );
    }
    Ok(())
}

/// Gzip of `data`, in one member or two (cut at `split`).
fn gzip(data: &[u8], split: Option<usize>) -> Vec<u8> {
    let member = |d: &[u8]| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(d).expect("gzip in memory");
        enc.finish().expect("gzip in memory")
    };
    match split {
        Some(at) if at < data.len() => [member(&data[..at]), member(&data[at..])].concat(),
        _ => member(data),
    }
}

/// What the decoder hands out before the damage stops it, and whether it stopped on an error.
/// Read as the scan reads a `.gz` (1 MiB of input at a time, at least a step of output), so
/// the same bytes come out: data that turns out corrupt costs the step that meets it.
fn decodable(gz: &[u8]) -> (Vec<u8>, bool) {
    let mut dec = Gunzip::new(std::io::BufReader::with_capacity(1 << 20, gz));
    let mut out = Vec::new();
    let mut buf = vec![0; GUNZIP_STEP];
    loop {
        match dec.read(&mut buf) {
            Ok(0) => return (out, false),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return (out, true),
        }
    }
}

/// How a gzip file is damaged.
#[derive(Clone, Debug)]
enum Damage {
    None,
    /// Cut at a position.
    Truncate(prop::sample::Index),
    /// Bytes flipped (XOR with a mask) at positions.
    Flip(Vec<(prop::sample::Index, u8)>),
    /// Bytes appended (garbage, zero padding, the start of another member).
    Append(Bytes),
    /// Random bytes behind the gzip magic.
    Random(Bytes),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        1 => Just(Damage::None),
        3 => any::<prop::sample::Index>().prop_map(Damage::Truncate),
        3 => prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4)
            .prop_map(Damage::Flip),
        1 => prop_oneof![
            prop::collection::vec(any::<u8>(), 1..64),
            (1usize..4096).prop_map(|n| vec![0; n]),
            Just(vec![0x1f, 0x8b, 8, 0]),
            Just(vec![0x1f]),
        ]
        .prop_map(|b| Damage::Append(Bytes(b))),
        1 => prop::collection::vec(any::<u8>(), 0..600).prop_map(|b| Damage::Random(Bytes(b))),
    ]
}

fn apply(mut gz: Vec<u8>, damage: &Damage) -> Vec<u8> {
    match damage {
        Damage::None => {}
        Damage::Truncate(at) => gz.truncate(at.index(gz.len())),
        Damage::Flip(flips) => {
            for (at, x) in flips {
                let i = at.index(gz.len());
                gz[i] ^= x;
            }
        }
        Damage::Append(Bytes(tail)) => gz.extend_from_slice(tail),
        Damage::Random(Bytes(bytes)) => {
            gz = [&[0x1f, 0x8b][..], bytes].concat();
        }
    }
    gz
}

#[test]
fn scan_grammar() {
    let dir = tempfile::tempdir().expect("tempdir");
    fuzz!(
        "scan_grammar",
        (acct_file().prop_map(Bytes), any::<usize>()),
        |(Bytes(data), cut)| {
            let _running = Running::start("scan_grammar", &data);
            check_scan(dir.path(), &data, cut)?;
        }
    );
}

#[test]
fn scan_raw() {
    let dir = tempfile::tempdir().expect("tempdir");
    fuzz!(
        "scan_raw",
        (raw_file().prop_map(Bytes), any::<usize>()),
        |(Bytes(data), cut)| {
            let _running = Running::start("scan_raw", &data);
            check_scan(dir.path(), &data, cut)?;
        }
    );
}

/// Damaged gzip through the gzip path (`*.gz`) and the pipe path (gzip recognised by its magic):
/// the rows of what decompresses before the damage count, exactly as that text read plain, and
/// the damage is reported.
#[test]
fn gzip_damage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let strategy = (
        acct_file().prop_map(Bytes),
        prop::option::of(any::<prop::sample::Index>()),
        damage(),
        1usize..100_000,
    );
    fuzz!("gzip_damage", strategy, |(
        Bytes(data),
        split,
        damage,
        block,
    )| {
        let gz = apply(gzip(&data, split.map(|i| i.index(data.len() + 1))), &damage);
        let _running = Running::start("gzip_damage", &gz);
        let (text, failed) = decodable(&gz);
        let plain = dir.path().join("acct.csv");
        std::fs::write(&plain, &text).expect("write the case");
        let gz_path = dir.path().join("acct.csv.gz");
        std::fs::write(&gz_path, &gz).expect("write the case");
        let mut want = scan_at(
            &Input {
                path: plain,
                kind: InputKind::Plain,
            },
            usize::MAX,
            true,
        );
        want.error = failed;
        // A pipe is decompressed only when it starts with gzip's magic: damage that hit the
        // magic leaves bytes that are read, like any pipe, as text.
        let want_pipe = if gz.starts_with(&[0x1f, 0x8b]) {
            None
        } else {
            let raw = dir.path().join("raw.csv");
            std::fs::write(&raw, &gz).expect("write the case");
            Some(scan_at(
                &Input {
                    path: raw,
                    kind: InputKind::Plain,
                },
                usize::MAX,
                true,
            ))
        };
        for kind in [InputKind::Gzip, InputKind::Pipe] {
            let input = Input {
                path: gz_path.clone(),
                kind,
            };
            let want = match (&kind, &want_pipe) {
                (InputKind::Pipe, Some(text)) => text,
                _ => &want,
            };
            for b in [block, 1 << 20] {
                prop_assert_eq!(&scan_at(&input, b, false), want, "{:?}, block {}", kind, b);
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// The `--where` language

/// `2026-01-14T12:00:00Z`.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_768_392_000, 0).expect("in range")
}

/// Rows to evaluate parsed filters on: a deferral, a bounce with empty fields, non-ASCII.
fn rows() -> [RowView<'static>; 3] {
    [
        RowView {
            kind: RecordKind::Transient,
            vmta: b"vmta-ms-1",
            pool: b"pool",
            source_ip: b"192.0.2.10",
            domain: b"outlook.com",
            rcpt_domain: b"hotmail.com",
            code: Code::Smtp(SmtpCode(421)),
            response_kind: Some(ResponseKind::Deferral),
            job: b"job",
            diag: b"smtp;421 rate limit",
            time: Some(1_768_384_800),
            rcpt: b"u@hotmail.com",
            orig: b"",
            queue: b"",
            env_id: b"",
        },
        RowView {
            kind: RecordKind::Bounced,
            vmta: b"",
            pool: b"",
            source_ip: b"",
            domain: b"",
            rcpt_domain: b"",
            code: Code::None,
            response_kind: None,
            job: b"",
            diag: b"",
            time: None,
            rcpt: b"",
            orig: b"",
            queue: b"",
            env_id: b"",
        },
        RowView {
            kind: RecordKind::Delivered,
            vmta: "VMTA-ü".as_bytes(),
            pool: b"\xff\xfe",
            source_ip: b"2001:db8::1",
            domain: "bücher.de".as_bytes(),
            rcpt_domain: b"xn--bcher-kva.de",
            code: Code::Smtp(SmtpCode(999)),
            response_kind: Some(ResponseKind::Bounce),
            job: "ß".as_bytes(),
            diag: b"\0",
            time: Some(i64::MIN),
            rcpt: "ü@bücher.de".as_bytes(),
            orig: b"",
            queue: b"",
            env_id: b"",
        },
    ]
}

/// Parses `expr`; when it parses, its canonical text parses to itself and the filter can be
/// evaluated, extended and cut down.
fn check_filter(expr: &str) -> Result<(), TestCaseError> {
    let _running = Running::start("filter", expr.as_bytes());
    let Ok(f) = Filter::parse(expr, &CLASSIFIER, now()) else {
        return Ok(());
    };
    let text = f.to_string();
    match Filter::parse(&text, &CLASSIFIER, now()) {
        Ok(again) => prop_assert_eq!(again.to_string(), text.clone(), "from {:?}", expr),
        Err(e) => prop_assert!(
            false,
            "canonical {:?} of {:?} does not parse: {}",
            text,
            expr,
            e
        ),
    }
    for row in &rows() {
        let _ = f.matches(row);
    }
    let _ = f.time_range();
    let _ = f.and(expr, &CLASSIFIER, now());
    for i in 0..=f.terms().len() {
        let _ = f.without(i);
    }
    Ok(())
}

fn filter_term() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        6 => prop::sample::select(
            &[
                "type", "vmta", "pool", "ip", "domain", "rcpt-domain", "rcpt_domain", "code",
                "kind", "job", "diag", "since", "until", "dlvSourceIp", "VMTAPOOL", "jobId",
                "dsnDiag", "source-ip", "domian", "tpye", "", "!vmta", "\"type\"", "Since",
            ][..]
        )
        .prop_map(str::to_string),
        1 => "[a-zA-Z_-]{0,8}",
    ];
    let op = prop::sample::select(&["=", "!=", "~", "!~", "==", "!", "", "=~", "~=", "!!="][..]);
    let value = prop_oneof![
        4 => prop::sample::select(
            &[
                "d", "tq", "x", "deferral", "bounce", "RP-002", "5.7.1", "421", "(none)",
                "outlook.com", "BÜCHER.de", "xn--bcher-kva.de", "192.0.2.1", "2026-01-14",
                "2026-01-14T10:00", "\"2026-01-14 10:00\"", "2026-01-14 10:00:00.5+0200",
                "-2h", "-1h30m", "-0s", "-99999999999999999999d", "-9223372036854775807s",
                "-106751991167300d", "2h", "-", "-1x", "1970-01-01", "9999-12-31T23:59:59Z",
                "+262143-01-01", "2026-02-30", "a,b", "a,,b", ",", "\"a b\",c", "'x\"y'",
                "\"unterminated", "'", "(a*)*b", "[", "\\", "(?i)rate", "\\p{L}+", ".{9999}",
                "a{1000}{1000}", "((((((((((x))))))))))", "ü", "\u{0}", "10:00", "tq,TQ,t",
            ][..]
        )
        .prop_map(str::to_string),
        1 => "[ -~]{0,12}",
        1 => "\\PC{0,8}",
    ];
    (name, op, value).prop_map(|(n, o, v)| format!("{n}{o}{v}"))
}

fn filter_expr() -> impl Strategy<Value = String> {
    let sep = prop::sample::select(&[" ", " ", "  ", "\t", "\u{3000}", "\n", ""][..]);
    prop::collection::vec((filter_term(), sep), 0..6).prop_map(|terms| {
        terms.into_iter().fold(String::new(), |mut out, (t, s)| {
            out.push_str(&t);
            out.push_str(s);
            out
        })
    })
}

#[test]
fn filter_any() {
    fuzz!("filter_any", any::<String>(), |expr| {
        check_filter(&expr)?;
    });
}

#[test]
fn filter_grammar() {
    fuzz!("filter_grammar", filter_expr(), |expr| {
        check_filter(&expr)?;
    });
}

// ---------------------------------------------------------------------------------------------
// `PowerMTA` configs

/// A directory of include targets, made once: a good file, one including it, one including
/// itself, one with an unclosed block, and a `conf.d` with a wildcard's worth.
static INCLUDES: LazyLock<tempfile::TempDir> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("tempdir");
    let files: &[(&str, &str)] = &[
        (
            "good.conf",
            "<domain good.example>\nmax-smtp-out 3\n</domain>\n",
        ),
        (
            "nested.conf",
            "include good.conf\ndomain-macro inc a.com,b.com\n",
        ),
        ("self.conf", "include self.conf\n"),
        ("unclosed.conf", "<virtual-mta v9>\n"),
        (
            "conf.d/a.conf",
            "<virtual-mta-pool p9>\nvirtual-mta v9\n</virtual-mta-pool>\n",
        ),
        ("conf.d/b.conf", "retry-after 5m\n"),
    ];
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write include");
    }
    dir
});

/// Parses a config (text, and the same bytes as a file); when it parses, lints and queries it.
fn check_config(bytes: &[u8], scratch: &Path) -> Result<(), TestCaseError> {
    let _running = Running::start("config", bytes);
    let virtual_path = INCLUDES.path().join("main.conf");
    let text = String::from_utf8_lossy(bytes);
    let parsed = PmtaConfig::parse_str(&text, &virtual_path);
    std::fs::write(scratch, bytes).expect("write the case");
    let from_file = PmtaConfig::parse_file(scratch);
    prop_assert_eq!(parsed.is_ok(), from_file.is_ok());
    if let Ok(c) = parsed {
        let report = pmta_lens::config::lint::check(&c, None, &["p9".to_string()]);
        let _ = report.has_problems();
        for domain in ["outlook.com", "a.com", "good.example", "", "x.y.z"] {
            for vmta in [None, Some("v1"), Some("v9")] {
                let _ = c.max_smtp_out(domain, vmta);
                let _ = c.retry_after(domain, vmta);
                let _ = c.effective_rate(domain, vmta, "max-msg-rate");
                let _ = c.matching_blocks(domain, vmta);
            }
            let _ = c.rollup_for_domain(domain);
            let _ = c.pool_for_domain(domain);
        }
        let _ = c.rollups();
        let _ = c.vmta_for_ip("192.0.2.1");
        let _ = serde_json::to_string(&c);
    }
    Ok(())
}

fn config_line() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("outlook.com".to_string()),
        Just("*.yahoo.com".to_string()),
        Just("[*.]gmail.com".to_string()),
        Just("*".to_string()),
        Just("$ms".to_string()),
        Just("$ms.$tld".to_string()),
        Just("$undefined".to_string()),
        Just("v1".to_string()),
        Just("p1".to_string()),
        Just("\"quoted word\"".to_string()),
        "[a-z0-9.$*,-]{0,10}",
    ];
    let line = prop_oneof![
        3 => (prop::sample::select(&["domain", "virtual-mta", "virtual-mta-pool",
                "smtp-pattern-list", "pattern-list", "mx-rollup-list", "source", "acct-file",
                "DOMAIN", "x", ""][..]), word.clone())
            .prop_map(|(t, w)| format!("<{t} {w}>")),
        3 => prop::sample::select(&["</domain>", "</virtual-mta>", "</virtual-mta-pool>",
                "</smtp-pattern-list>", "</pattern-list>", "</mx-rollup-list>", "</source>",
                "</x>", "</domain", "</>", "<>", "<", ">"][..])
            .prop_map(str::to_string),
        2 => (prop::sample::select(&["domain", "virtual-mta", "x", ""][..]), word.clone(),
                prop::sample::select(&["{", "{{", "{ max-smtp-out 4 }", "{{ mx-rollup x }}"][..]))
            .prop_map(|(t, w, b)| format!("{t} {w} {b}")),
        2 => prop::sample::select(&["}", "}}", "{", "{{"][..]).prop_map(str::to_string),
        4 => (prop::sample::select(&["max-smtp-out", "retry-after", "max-msg-rate",
                "max-connect-rate", "mx-rollup", "virtual-mta", "smtp-source-host",
                "queue-to", "use-starttls", "bounce-after", "backoff-max-msg-rate",
                "smtp-pattern-list", "mx", "reply", "mail-from", "*", "Max-SMTP-Out"][..]),
                prop::sample::select(&["5", "0", "-1", "99999999999999999999", "10m", "1h30m",
                "2/h", "0.5/s", "1/0s", "x", "", "192.0.2.1 mta.example.com",
                "/421 .* busy/ mode=backoff", "\"421 4.7.0\" retry-after=4h",
                "max-msg-rate 150/h retry-after 20m", "*.outlook.com outlook.rollup",
                "yes", "\"a#b\" # comment", "v1,v2 v3"][..]))
            .prop_map(|(k, v)| format!("{k} {v}")),
        2 => (prop::sample::select(&["a", "b", "ms", "tld", "x", "$ms", "MS", "$"][..]),
                prop::collection::vec(prop_oneof![
                    8 => prop::sample::select(&["a.com", "b.com", "$a", "$b", "$ms", "$tld",
                        "$x", "x.$a", "$a.$b", "$a$a", "$a.$b.$ms.$tld", "com", "net", "",
                        "$", "$$a"][..]).prop_map(str::to_string),
                    1 => (1usize..2000, prop::sample::select(&["$a", "$b.", "$ms$tld"][..]))
                        .prop_map(|(n, r)| r.repeat(n)),
                ], 0..5))
            .prop_map(|(n, items)| format!("domain-macro {n} {}", items.join(","))),
        2 => prop::sample::select(&["include good.conf", "include nested.conf",
                "include missing.conf", "include self.conf", "include unclosed.conf",
                "include conf.d/*.conf", "include conf.d/[ab].conf", "include *.none",
                "include", "include /dev/null", "include conf.d", "include ../x/*"][..])
            .prop_map(str::to_string),
        1 => prop::sample::select(&["# comment", "\\", "line \\", "\"unterminated",
                "mail-from /newsletter/ <pattern-list>", "a <b>", "\u{feff}", "\t",
                "\u{3000}domain", "\u{0}"][..]).prop_map(str::to_string),
        1 => "[ -~]{0,20}",
    ];
    let pad = prop::sample::select(&["", " ", "\t", "  \t"][..]);
    let end = prop::sample::select(&["\n", "\n", "\r\n", "\\\n", " # c\n", "\r", ""][..]);
    (pad, line, end).prop_map(|(p, l, e)| format!("{p}{l}{e}"))
}

fn config_text() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::bool::weighted(0.05),
        prop::collection::vec(config_line(), 0..40),
    )
        .prop_map(|(bom, lines)| {
            let mut out = if bom {
                "\u{feff}".to_string()
            } else {
                String::new()
            };
            out.extend(lines);
            out.into_bytes()
        })
}

#[test]
fn config_any() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scratch = dir.path().join("fuzz.conf");
    fuzz!(
        "config_any",
        prop::collection::vec(any::<u8>(), 0..2000).prop_map(Bytes),
        |Bytes(bytes)| {
            check_config(&bytes, &scratch)?;
        }
    );
}

#[test]
fn config_grammar() {
    // Beside the include targets, so the file resolves its includes as the text does.
    let scratch = INCLUDES.path().join("fuzz.conf");
    fuzz!("config_grammar", config_text().prop_map(Bytes), |Bytes(
        bytes,
    )| {
        check_config(&bytes, &scratch)?;
    });
}

// ---------------------------------------------------------------------------------------------
// SNDS exports

fn snds_line() -> impl Strategy<Value = String> {
    let ip = prop::sample::select(
        &[
            "192.0.2.1",
            "2001:db8::1",
            "999.1.1.1",
            "",
            "x",
            " 192.0.2.2 ",
        ][..],
    );
    let num = prop::sample::select(
        &[
            "0",
            "12",
            "1,234",
            "",
            "-5",
            "99999999999999999999999",
            "1.5",
            "x",
        ][..],
    );
    let colour = prop::sample::select(&["GREEN", "Yellow", "red", "", "BLUE", "\"RED\""][..]);
    prop_oneof![
        6 => (ip, num.clone(), num.clone(), num.clone(), colour, num.clone(),
                prop::sample::select(&["", ",extra", ",\"quoted,comma\"", ",\"open"][..]))
            .prop_map(|(ip, a, b, c, col, t, tail)| {
                format!("{ip},1/14/2026 0:00,1/14/2026 23:59,{a},{b},{c},{col},< 0.1%,1/14/2026,1/14/2026,{t},,{tail}")
            }),
        1 => "[ -~]{0,40}",
        1 => Just(String::new()),
    ]
}

#[test]
fn snds() {
    let grammar = prop::collection::vec(
        (
            snds_line(),
            prop::sample::select(&["\n", "\r\n", "\r", ""][..]),
        ),
        0..30,
    )
    .prop_map(|lines| {
        lines
            .into_iter()
            .flat_map(|(l, e)| [l, e.to_string()])
            .collect::<String>()
            .into_bytes()
    });
    let bytes = prop_oneof![grammar, prop::collection::vec(any::<u8>(), 0..2000)].prop_map(Bytes);
    fuzz!("snds", bytes, |Bytes(data)| {
        let _running = Running::start("snds", &data);
        let (rows, bad) = pmta_lens::analysis::snds::parse(&data, "snds.csv");
        let lines = memchr::memchr_iter(b'\n', &data).count() + 1;
        prop_assert!(rows.len() + bad.len() <= lines);
        let _ = pmta_lens::analysis::snds::join(&rows, &Aggregates::default(), &CLASSIFIER);
    });
}
