//! Fuzz targets for accounting files: a grammar of records and raw bytes, scanned every way
//! (mapped, streamed, chunk sizes), and gzip streams damaged at random.

use super::*;

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
