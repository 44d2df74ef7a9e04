//! `export --format parquet`, run through the binary: the parts read back with the `parquet`
//! crate hold the summary's rows (per type, domain, code and VMTA), laid out in Hive-style
//! partitions; a rerun exports nothing, appended rows are exported exactly once, a stopped run's
//! temporary parts never show, and malformed rows are named on stderr.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;
use support::summary_json::totals;

mod support {
    pub mod summary_json;
}

const HOST: &str = "mta-test-1";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pmta-lens"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run pmta-lens")
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `export` of `inputs` into `out`; returns its stderr. Malformed rows exit 2.
fn export(out: &Path, inputs: &[&Path], extra: &[&str]) -> String {
    let out_s = out.display().to_string();
    let mut args = vec![
        "export", "--format", "parquet", "--out", &out_s, "--host", HOST,
    ];
    args.extend_from_slice(extra);
    let paths: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    args.extend(paths.iter().map(String::as_str));
    let o = run(&args);
    let code = o.status.code();
    assert!(
        matches!(code, Some(0 | 2)),
        "export failed ({code:?}): {}",
        stderr(&o)
    );
    stderr(&o)
}

fn summary(inputs: &[&Path]) -> Value {
    let paths: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    let mut args = vec!["summary", "--format", "json"];
    args.extend(paths.iter().map(String::as_str));
    let o = run(&args);
    serde_json::from_slice(&o.stdout).expect("summary JSON")
}

/// Every part file under `dir` (visible ones: not hidden, ending in `.parquet`), sorted.
fn parts(dir: &Path) -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).expect("list").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "parquet")
                && !e.file_name().to_string_lossy().starts_with('.')
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// Every file under `dir`, relative to it.
fn all_files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, d: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).expect("list").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("under root");
                out.push(rel.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn read(part: &Path) -> Vec<RecordBatch> {
    let f = File::open(part).expect("open part");
    ParquetRecordBatchReaderBuilder::try_new(f)
        .expect("a Parquet file")
        .build()
        .expect("reader")
        .map(|b| b.expect("batch"))
        .collect()
}

/// The exported rows: per row, each column as text (`None` for null).
type Table = Vec<BTreeMap<String, Option<String>>>;

fn table(dir: &Path) -> Table {
    let mut rows = Vec::new();
    for part in parts(dir) {
        for b in read(&part) {
            let schema = b.schema();
            for i in 0..b.num_rows() {
                let mut row = BTreeMap::new();
                for (f, c) in schema.fields().iter().zip(b.columns()) {
                    let v = (!c.is_null(i)).then(|| match f.name().as_str() {
                        "size" | "line" => c.as_primitive::<Int64Type>().value(i).to_string(),
                        "time_logged" | "time_queued" => c
                            .as_primitive::<TimestampMillisecondType>()
                            .value(i)
                            .to_string(),
                        _ => c.as_string::<i32>().value(i).to_string(),
                    });
                    row.insert(f.name().clone(), v);
                }
                row.insert("part".into(), Some(part.display().to_string()));
                rows.push(row);
            }
        }
    }
    rows
}

fn get<'a>(row: &'a BTreeMap<String, Option<String>>, key: &str) -> Option<&'a str> {
    row.get(key).and_then(Option::as_deref)
}

fn count(
    rows: &Table,
    key: impl Fn(&BTreeMap<String, Option<String>>) -> Option<String>,
) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for r in rows {
        if let Some(k) = key(r) {
            *out.entry(k).or_default() += 1;
        }
    }
    out
}

#[test]
fn the_parts_hold_the_rows_and_counts_of_summary() {
    let out = tempfile::tempdir().expect("tempdir");
    let samples = samples();
    let err = export(out.path(), &[&samples], &[]);
    let rows = table(out.path());
    let s = summary(&[&samples]);
    assert_eq!(rows.len() as u64, s["records"].as_u64().expect("records"));
    assert!(err.contains(&format!("{} rows to", rows.len())), "{err}");
    let by_type: BTreeMap<String, u64> =
        serde_json::from_value(s["by_type"].clone()).expect("by_type");
    assert_eq!(
        count(&rows, |r| get(r, "type").map(str::to_string)),
        by_type
    );
    // As the summary keys its buckets: `(none)` for an empty field, `(unattributed)` for the
    // VMTA of an `f` row.
    let or_none = |v: Option<&str>| v.unwrap_or("(none)").to_string();
    assert_eq!(
        count(&rows, |r| Some(or_none(get(r, "domain")))),
        totals(&s["by_domain"])
    );
    assert_eq!(
        count(&rows, |r| get(r, "code").map(str::to_string)),
        totals(&s["by_code"])
    );
    assert_eq!(
        count(&rows, |r| Some(match (get(r, "type"), get(r, "vmta")) {
            (Some("f"), _) => "(unattributed)".to_string(),
            (_, v) => or_none(v),
        })),
        totals(&s["by_vmta"])
    );
    for r in &rows {
        assert_eq!(get(r, "host"), Some(HOST));
        assert!(get(r, "file").is_some_and(|f| f.contains("sample-logs")));
        assert!(get(r, "line").is_some_and(|l| l.parse::<u64>().is_ok_and(|n| n >= 2)));
    }
    // A row and its line: the file and line columns point at the row exported.
    let rp001 = rows
        .iter()
        .find(|r| get(r, "code") == Some("RP-001"))
        .expect("an RP-001 row");
    assert_eq!(get(rp001, "provider"), Some("Microsoft"));
    assert_eq!(get(rp001, "severity"), Some("critical"));
    assert_eq!(get(rp001, "kind"), Some("deferral"));
}

#[test]
fn partitions_are_day_and_host_with_visible_parts_only() {
    let out = tempfile::tempdir().expect("tempdir");
    export(out.path(), &[&samples()], &[]);
    let files = all_files(out.path());
    assert!(
        files.contains(&"_pmta-lens-state.json".to_string()),
        "{files:?}"
    );
    let mut days = Vec::new();
    for f in files.iter().filter(|f| *f != "_pmta-lens-state.json") {
        let parts: Vec<&str> = f.split('/').collect();
        assert_eq!(parts.len(), 3, "{f}");
        let day = parts[0].strip_prefix("day=").expect("day=");
        assert!(
            chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok(),
            "{f}"
        );
        assert_eq!(parts[1], format!("host={HOST}"));
        assert!(
            parts[2].starts_with("part-") && parts[2].ends_with(".parquet"),
            "{f}"
        );
        days.push(day.to_string());
    }
    days.dedup();
    assert_eq!(days, ["2026-11-19", "2026-11-20", "2026-11-21"]);
    // Each row is in its own day's partition (UTC).
    for r in table(out.path()) {
        let ms: i64 = get(&r, "time_logged").expect("time").parse().expect("ms");
        let day = chrono::DateTime::from_timestamp_millis(ms)
            .expect("time")
            .format("%Y-%m-%d")
            .to_string();
        assert!(
            get(&r, "part")
                .expect("part")
                .contains(&format!("/day={day}/host={HOST}/")),
            "{r:?}"
        );
    }
}

/// The data lines of a sample file (its header left out).
fn data_lines(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(samples().join(file)).expect("sample");
    text.lines().skip(1).map(str::to_string).collect()
}

#[test]
fn a_rerun_exports_nothing_and_appended_rows_exactly_once() {
    let logs = tempfile::tempdir().expect("tempdir");
    let out = tempfile::tempdir().expect("tempdir");
    let live = logs.path().join("acct-2026-11-20-0001.csv");
    std::fs::copy(samples().join("acct-2026-11-20-0001.csv"), &live).expect("copy");
    export(out.path(), &[logs.path()], &[]);
    let first = table(out.path()).len();
    let files = all_files(out.path());
    assert_eq!(first, 50);

    let again = export(out.path(), &[logs.path()], &[]);
    assert!(again.contains("0 rows to 0 new parts"), "{again}");
    assert!(again.contains("1 input unchanged"), "{again}");
    assert_eq!(all_files(out.path()), files, "nothing new written");

    // PowerMTA appends four rows, the last without its newline yet.
    let more = data_lines("acct-2026-11-20-0000.csv");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&live)
        .expect("append");
    for l in &more[..3] {
        writeln!(f, "{l}").expect("append");
    }
    write!(f, "{}", more[3]).expect("append");
    f.flush().expect("flush");
    let err = export(out.path(), &[logs.path()], &[]);
    assert!(err.contains("4 rows to 1 new part"), "{err}");
    assert!(!err.contains("malformed"), "{err}");
    // Its newline comes: the row was exported already, and is not again.
    writeln!(f).expect("append");
    drop(f);
    let err = export(out.path(), &[logs.path()], &[]);
    assert!(err.contains("0 rows to 0 new parts"), "{err}");
    assert!(!err.contains("unchanged"), "the grown file was read: {err}");

    let rows = table(out.path());
    assert_eq!(rows.len(), first + 4);
    assert_eq!(
        rows.len() as u64,
        summary(&[&live])["records"].as_u64().expect("records")
    );
    let mut lines: Vec<u64> = rows
        .iter()
        .map(|r| get(r, "line").expect("line").parse().expect("number"))
        .collect();
    lines.sort_unstable();
    lines.dedup();
    assert_eq!(lines.len(), rows.len(), "no row exported twice");
    let in_file = memchr::memchr_iter(b'\n', &std::fs::read(&live).expect("read")).count();
    assert_eq!(
        lines.last(),
        Some(&(in_file as u64)),
        "the last row is the file's last line"
    );

    // A new file beside it (rotation): only it is read.
    let next = logs.path().join("acct-2026-11-21-0000.csv");
    std::fs::copy(samples().join("acct-2026-11-21-0000.csv"), &next).expect("copy");
    let err = export(out.path(), &[logs.path()], &[]);
    assert!(err.contains("1 input unchanged"), "{err}");
    let s = summary(&[logs.path()]);
    assert_eq!(
        table(out.path()).len() as u64,
        s["records"].as_u64().expect("records")
    );
}

#[test]
fn a_stopped_runs_temporary_parts_are_removed_and_malformed_rows_named() {
    let out = tempfile::tempdir().expect("tempdir");
    let part_dir = out.path().join(format!("day=2026-11-20/host={HOST}"));
    std::fs::create_dir_all(&part_dir).expect("mkdir");
    let stray = part_dir.join(".part-20261120T000000Z-1-0001.parquet.tmp");
    std::fs::write(&stray, b"half a part").expect("write");
    let err = export(out.path(), &[&samples()], &[]);
    assert!(!stray.exists());
    assert!(err.contains("removed 1 temporary part"), "{err}");
    // Malformed rows: file, line and reason on stderr; the export went on.
    let s = summary(&[&samples()]);
    for m in s["malformed_samples"].as_array().expect("samples") {
        let at = format!(
            "{}:{}: {}",
            m["path"].as_str().expect("path"),
            m["line"],
            m["reason"].as_str().expect("reason")
        );
        assert!(err.contains(&at), "{at} not in {err}");
    }
    assert!(
        s["malformed"].as_u64().expect("malformed") > 0,
        "the test needs one"
    );
    let o = run(&[
        "export",
        "--out",
        &out.path().display().to_string(),
        "--host",
        "another-host",
        &samples().display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("--host {HOST}")),
        "{}",
        stderr(&o)
    );
}

/// `rows` data rows of the bench profile, as text (its header line first).
fn generated(rows: u64) -> String {
    let mut p = pmta_lens_synth::Profile::default_bench(11);
    p.size = pmta_lens_synth::Size::Rows(rows);
    let mut out = Vec::new();
    pmta_lens_synth::write_accounting(&p, &mut out).expect("generate");
    String::from_utf8(out).expect("text")
}

/// Byte offsets of the starts of `text`'s records at about `fractions` of its length: line
/// starts followed by a record type (not the inside of a quoted field).
fn record_starts(text: &str, fractions: &[f64]) -> Vec<usize> {
    fractions
        .iter()
        .map(|f| {
            let mut at = (text.len() as f64 * f) as usize;
            loop {
                let nl = text[at..].find('\n').expect("a line start") + at + 1;
                let rest = &text[nl..];
                if rest
                    .split(',')
                    .next()
                    .is_some_and(|t| ["d", "b", "t", "tq", "f", "r", "rb", "rs"].contains(&t))
                {
                    break nl;
                }
                at = nl;
            }
        })
        .collect()
}

/// The rows of `dir` without the part they are in, sorted.
fn sorted_rows(dir: &Path) -> Table {
    let mut rows = table(dir);
    for r in &mut rows {
        r.remove("part");
    }
    rows.sort();
    rows
}

#[test]
fn a_grown_file_is_read_from_where_the_last_run_stopped_and_the_union_is_one_export() {
    let text = generated(3_000);
    let cuts = record_starts(&text, &[0.3, 0.7]);
    let logs = tempfile::tempdir().expect("tempdir");
    let out = tempfile::tempdir().expect("tempdir");
    let live = logs.path().join("acct.csv");
    std::fs::write(&live, &text[..cuts[0]]).expect("write");
    export(out.path(), &[&live], &[]);
    let mut runs = vec![table(out.path()).len()];
    for (k, end) in [cuts[1], text.len()].into_iter().enumerate() {
        let start = cuts[k];
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&live)
            .expect("append");
        f.write_all(&text.as_bytes()[start..end]).expect("append");
        drop(f);
        let err = export(out.path(), &[&live], &["--stats"]);
        let appended = text[start..end].lines().count();
        // Only the grown tail was read: its records are all the scan saw.
        let records = format!("pmta-lens: {} records,", thousands(appended));
        assert!(err.contains(&records), "{records} not in {err}");
        assert!(
            err.contains(&format!("{} rows to", thousands(appended))),
            "{err}"
        );
        runs.push(table(out.path()).len());
    }
    assert!(runs.windows(2).all(|w| w[0] < w[1]), "{runs:?}");

    // The union of the three runs' parts is the export of the whole file in one run.
    let once = tempfile::tempdir().expect("tempdir");
    export(once.path(), &[&live], &[]);
    let (grown, whole) = (sorted_rows(out.path()), sorted_rows(once.path()));
    assert_eq!(grown.len(), whole.len());
    assert_eq!(grown, whole, "the same rows, lines and columns");
    let mut lines: Vec<&str> = grown.iter().filter_map(|r| get(r, "line")).collect();
    lines.dedup();
    assert_eq!(lines.len(), grown.len(), "no row twice");
}

/// `n` with thousands separators, as pmta-lens writes counts.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn a_file_truncated_in_place_is_exported_again_from_its_start_into_a_new_part() {
    let text = generated(400);
    let cut = record_starts(&text, &[0.5])[0];
    let header_end = text.find('\n').expect("header") + 1;
    let logs = tempfile::tempdir().expect("tempdir");
    let out = tempfile::tempdir().expect("tempdir");
    let live = logs.path().join("acct.csv");
    std::fs::write(&live, &text[..cut]).expect("write");
    export(out.path(), &[&live], &[]);
    let before = parts(out.path());
    let first = table(out.path()).len();

    // copytruncate: the same inode, emptied, then written anew (fewer bytes than were read).
    let again = format!("{}{}", &text[..header_end], &text[cut..]);
    let again = &again[..record_starts(&again, &[0.4])[0]];
    let rows = again.lines().count() - 1;
    let ino = std::fs::metadata(&live).expect("stat");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&live)
        .expect("truncate");
    f.write_all(again.as_bytes()).expect("write");
    drop(f);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let now = std::fs::metadata(&live).expect("stat");
        assert_eq!(now.ino(), ino.ino(), "the same file");
    }
    let _ = ino;
    let err = export(out.path(), &[&live], &[]);
    assert!(err.contains(&format!("{rows} rows to 1 new part")), "{err}");
    let after = parts(out.path());
    assert_eq!(after.len(), before.len() + 1);
    assert!(
        before.iter().all(|p| after.contains(p)),
        "earlier parts kept"
    );
    let rows_now = table(out.path());
    assert_eq!(rows_now.len(), first + rows);
    // Its rows are numbered from the file's start again.
    let new_part = after
        .iter()
        .find(|p| !before.contains(p))
        .expect("new part");
    let mut lines: Vec<u64> = rows_now
        .iter()
        .filter(|r| get(r, "part") == Some(&new_part.display().to_string()))
        .map(|r| get(r, "line").expect("line").parse().expect("number"))
        .collect();
    lines.sort_unstable();
    assert_eq!(lines.first(), Some(&2));
    assert_eq!(lines.len(), rows);
}
