//! `rows --format ndjson`: each matching row as one JSON object on a line, for log shippers
//! (Vector, Fluent Bit, Filebeat, Loki) and engines that read JSON lines. The fields are the
//! row's columns under stable names plus what pmta-lens derives (rolled-up domain, response
//! code, kind, severity, provider), by the same rules as `summary`; docs/json.md lists them.
//!
//! A field the row does not have (no such column, or an empty value) is left out, never `null`.
//! Pieces are encoded in parallel by the scan's workers into one buffer each, nothing allocated
//! per row; the file and line of each row are added when the piece is written, in input order.

mod number;
mod string;
mod time;

use std::io::{self, Write};
use std::sync::Arc;

use crate::acct::header::{Col, Header};
use crate::acct::record::{Field, FieldSplitter};
use crate::acct::time::TimeParser;
use crate::classify::Classifier;
use crate::model::{Code, NONE_KEY, RecordKind};
use crate::rollup::Rollup;
use crate::scan::{ChunkAt, Deliver, DomainLookup, Row, Sink, destination, response_kind};

use number::Digits;
use string::Read;
use time::Rfc3339;

/// The rules the encoder derives fields by: the scan's own.
#[derive(Debug)]
pub struct Ndjson<'a> {
    pub classifier: &'a Classifier,
    pub rollup: &'a Rollup,
    /// The rollups learned in the pass before over the inputs (`crate::learn`), so `domain` is
    /// the summary's even for a domain whose rollup only a later row reveals.
    pub domain_map: Option<&'a dyn DomainLookup>,
}

/// Columns read from the row by name beyond [`Col`]: `PowerMTA`'s name, the JSON key (with the
/// comma before it), and whether the value is written as a number.
pub(crate) const NAMED: [(&str, &[u8]); 8] = [
    ("envId", b",\"env_id\":"),
    ("dlvSize", b",\"size\":"),
    ("feedbackType", b",\"feedback_type\":"),
    ("format", b",\"feedback_format\":"),
    ("userAgent", b",\"user_agent\":"),
    ("reportingMta", b",\"reporting_mta\":"),
    ("reportedDomain", b",\"reported_domain\":"),
    ("header_X-HmXmrOriginalRecipient", b",\"original_rcpt\":"),
];
pub(crate) const ENV_ID: usize = 0;
pub(crate) const SIZE: usize = 1;
/// The feedback fields start here in [`NAMED`]; they are written for `f` rows only.
pub(crate) const FEEDBACK: usize = 2;

/// Where the columns an object is made of are in one header.
/// (`export` reads the same columns: `crate::export::schema`.)
#[derive(Debug)]
pub(crate) struct Columns {
    pub(crate) header: Arc<Header>,
    /// Positions of [`Col`] columns, by variant.
    pub(crate) col: [Option<usize>; Col::ALL.len()],
    pub(crate) named: [Option<usize>; NAMED.len()],
    /// Fields to split: one past the last position read.
    pub(crate) limit: usize,
}

impl Columns {
    pub(crate) fn of(header: &Arc<Header>) -> Columns {
        let col = Col::ALL.map(|c| header.pos(c));
        // As `Header::parse` maps its columns: the first of repeated names, ASCII case ignored.
        let named = NAMED.map(|(name, _)| {
            header
                .names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(name))
        });
        let limit = col
            .iter()
            .chain(&named)
            .flatten()
            .map(|p| p + 1)
            .max()
            .unwrap_or(1);
        Columns {
            header: Arc::clone(header),
            col,
            named,
            limit,
        }
    }
}

/// One piece's objects, each without its closing `,"file":...,"line":N}`, which the writer adds.
#[derive(Debug)]
pub struct Piece {
    buf: Vec<u8>,
    /// Per row: where its object ends in `buf`, and its line (0-based) within the piece.
    rows: Vec<(usize, u64)>,
    splitter: FieldSplitter,
    times: TimeParser,
    stamps: Rfc3339,
    columns: Option<Columns>,
    /// Newlines in the piece before `counted`.
    lines: u64,
    counted: usize,
    lower: [u8; 256],
}

impl Default for Piece {
    fn default() -> Self {
        Piece {
            buf: Vec::new(),
            rows: Vec::new(),
            splitter: FieldSplitter::default(),
            times: TimeParser::default(),
            stamps: Rfc3339::default(),
            columns: None,
            lines: 0,
            counted: 0,
            lower: [0; 256],
        }
    }
}

impl Sink for Ndjson<'_> {
    type Fold = ();
    type Chunk = Piece;

    fn new_fold(&self) {}

    fn new_chunk(&self) -> Piece {
        Piece::default()
    }

    fn merge(&self, (): &mut (), (): ()) {}

    fn row(&self, (): &mut (), p: &mut Piece, row: &Row<'_>) {
        self.encode(p, row);
    }
}

impl Ndjson<'_> {
    /// Appends one row's object (open: the writer closes it) to the piece.
    fn encode(&self, p: &mut Piece, row: &Row<'_>) {
        if p.buf.is_empty() {
            // An object is about as long as its row: one allocation for the piece, not a
            // doubling series of copies.
            p.buf.reserve(row.piece().len() + row.piece().len() / 4);
        }
        let before = &row.piece()[..row.offset()];
        p.lines +=
            memchr::memchr_iter(b'\n', &before[p.counted.min(before.len())..]).count() as u64;
        p.counted = before.len();
        if p.columns
            .as_ref()
            .is_none_or(|c| !Arc::ptr_eq(&c.header, row.header))
        {
            p.columns = Some(Columns::of(row.header));
        }
        let Piece {
            buf,
            splitter,
            times,
            stamps,
            columns,
            lower,
            ..
        } = p;
        let Some(cols) = columns.as_ref() else {
            return;
        };
        let raw = row.raw;
        splitter.split_first(raw, 0, cols.limit);
        let fields = splitter.fields();
        // A column's non-empty value.
        let value =
            |pos: Option<usize>| pos.and_then(|i| fields.get(i)).filter(|f| f.end > f.start);
        let col = |c: Col| value(cols.col[c as usize]);
        let keys = &row.keys;
        let feedback = keys.kind == RecordKind::Feedback;

        buf.extend_from_slice(b"{\"type\":\"");
        buf.extend_from_slice(keys.kind.as_str().as_bytes());
        buf.push(b'"');
        if let Some(t) = keys.time.and_then(|t| stamps.text(t)) {
            quoted(buf, b",\"time_logged\":", &t);
        }
        if let Some(f) = col(Col::TimeQueued)
            && let Some(t) = times.parse(f.bytes(raw)).and_then(|t| stamps.text(t))
        {
            quoted(buf, b",\"time_queued\":", &t);
        }
        // `f` rows are reports from someone else: their VMTA, pool and source IP columns are
        // not a sender of ours (the summary counts them as `(unattributed)`).
        if !feedback {
            text(buf, b",\"vmta\":", raw, col(Col::Vmta));
            text(buf, b",\"pool\":", raw, col(Col::VmtaPool));
            text(buf, b",\"source_ip\":", raw, col(Col::DlvSourceIp));
        }
        text(buf, b",\"rcpt\":", raw, col(Col::Rcpt));
        if keys.rcpt_domain != NONE_KEY.as_bytes() {
            let lowercase = Read {
                lowercase: true,
                ..Read::default()
            };
            buf.extend_from_slice(b",\"rcpt_domain\":");
            string::push(buf, keys.rcpt_domain, lowercase);
            buf.extend_from_slice(b",\"domain\":");
            let d = destination(self.rollup, self.domain_map, keys, lower);
            string::push(buf, d, lowercase);
        }
        self.code(buf, keys.code);
        delivery(buf, raw, cols, fields, feedback);
        p.rows.push((p.buf.len(), p.lines));
    }

    /// `code`, `provider`, `kind` and `severity`, as the summary buckets the response.
    fn code(&self, buf: &mut Vec<u8>, code: Code) {
        let mut d = Digits::default();
        match code {
            Code::None => return,
            Code::Rule(id) => {
                let rule = self.classifier.rule(id);
                buf.extend_from_slice(b",\"code\":");
                string::push(buf, rule.id.as_bytes(), Read::default());
                buf.extend_from_slice(b",\"provider\":");
                string::push(buf, rule.provider.as_bytes(), Read::default());
                buf.extend_from_slice(b",\"severity\":\"");
                buf.extend_from_slice(rule.severity.as_str().as_bytes());
                buf.push(b'"');
            }
            Code::Status(s) => {
                buf.extend_from_slice(b",\"code\":\"");
                for (i, n) in [u16::from(s.class), s.subject, s.detail]
                    .into_iter()
                    .enumerate()
                {
                    if i > 0 {
                        buf.push(b'.');
                    }
                    buf.extend_from_slice(d.format(u64::from(n)));
                }
                buf.push(b'"');
            }
            Code::Smtp(c) => {
                buf.extend_from_slice(b",\"code\":\"");
                buf.extend_from_slice(d.format(u64::from(c.0)));
                buf.push(b'"');
            }
        }
        if let Some(kind) = response_kind(self.classifier, code) {
            buf.extend_from_slice(b",\"kind\":\"");
            buf.extend_from_slice(kind.as_str().as_bytes());
            buf.push(b'"');
        }
    }
}

/// The response, delivery and feedback columns, after the derived fields.
fn delivery(buf: &mut Vec<u8>, raw: &[u8], cols: &Columns, fields: &[Field], feedback: bool) {
    let value = |pos: Option<usize>| pos.and_then(|i| fields.get(i)).filter(|f| f.end > f.start);
    let col = |c: Col| value(cols.col[c as usize]);
    for (key, c) in [
        (&b",\"dsn_status\":"[..], Col::DsnStatus),
        (b",\"dsn_diag\":", Col::DsnDiag),
        (b",\"dsn_mta\":", Col::DsnMta),
        (b",\"dest_ip\":", Col::DlvDestinationIp),
        (b",\"job\":", Col::JobId),
    ] {
        text(buf, key, raw, col(c));
    }
    text(buf, NAMED[ENV_ID].1, raw, value(cols.named[ENV_ID]));
    text(buf, b",\"queue\":", raw, col(Col::Queue));
    if let Some(f) = value(cols.named[SIZE])
        && let Some(n) = digits(f.bytes(raw))
    {
        buf.extend_from_slice(NAMED[SIZE].1);
        buf.extend_from_slice(Digits::default().format(n));
    }
    text(buf, b",\"bounce_cat\":", raw, col(Col::BounceCat));
    if feedback {
        for (k, (_, key)) in NAMED.iter().enumerate().skip(FEEDBACK) {
            text(buf, key, raw, value(cols.named[k]));
        }
    }
}

/// `key` and a string field's value, if the row has one.
#[inline]
fn text(buf: &mut Vec<u8>, key: &[u8], raw: &[u8], field: Option<&Field>) {
    if let Some(f) = field {
        buf.extend_from_slice(key);
        let read = Read {
            doubled_quotes: f.escaped,
            lowercase: false,
        };
        string::push(buf, f.bytes(raw), read);
    }
}

/// `key` and ASCII text that needs no escaping, quoted.
fn quoted(buf: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    buf.extend_from_slice(key);
    buf.push(b'"');
    buf.extend_from_slice(value);
    buf.push(b'"');
}

/// A field of decimal digits as a number (`None` for anything else, or too large).
pub(crate) fn digits(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 19 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')))
}

/// Writes pieces in input order, closing each object with its file and line.
pub struct Writer<'w> {
    out: &'w mut dyn Write,
    /// Per input: its name as last seen, and that name as a JSON string.
    names: Vec<Option<(String, Vec<u8>)>>,
    /// Objects written.
    pub written: u64,
}

impl<'w> Writer<'w> {
    pub fn new(out: &'w mut dyn Write) -> Writer<'w> {
        Writer {
            out,
            names: Vec::new(),
            written: 0,
        }
    }

    /// Input `file`'s name as a JSON string (made again when following renamed it).
    fn name(&mut self, file: usize, names: &[String]) -> &[u8] {
        if self.names.len() <= file {
            self.names.resize_with(file + 1, || None);
        }
        let now = names.get(file).map_or("", String::as_str);
        let slot = &mut self.names[file];
        if slot.as_ref().is_none_or(|(n, _)| n != now) {
            let mut json = Vec::new();
            string::push(&mut json, now.as_bytes(), Read::default());
            *slot = Some((now.to_string(), json));
        }
        slot.as_ref().map_or(&b"\"\""[..], |(_, json)| json)
    }
}

impl std::fmt::Debug for Writer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl Deliver<Piece> for Writer<'_> {
    fn piece(&mut self, p: Piece, at: &ChunkAt<'_>, names: &[String]) -> io::Result<()> {
        if p.rows.is_empty() {
            return Ok(());
        }
        // The name is copied out once per piece: `self.out` is written while it is in use.
        let name = self.name(at.file, names).to_vec();
        let mut d = Digits::default();
        let mut start = 0;
        for &(end, line) in &p.rows {
            self.out.write_all(&p.buf[start..end])?;
            self.out.write_all(b",\"file\":")?;
            self.out.write_all(&name)?;
            self.out.write_all(b",\"line\":")?;
            self.out.write_all(d.format(at.line + line + 1))?;
            self.out.write_all(b"}\n")?;
            start = end;
        }
        self.written += p.rows.len() as u64;
        Ok(())
    }

    fn idle(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use serde_json::{Value, json};

    use super::*;
    use crate::acct::discover::{Input, InputKind};
    use crate::filter::Filter;
    use crate::scan::{self, Engine, Follow, ScanOptions};

    /// Hard cases: doubled quotes, a newline inside quotes (the next row's line is one further),
    /// a control character and invalid UTF-8, CRLF, a malformed row, an `f` row with feedback
    /// columns and the reporter's IP, a domain the Microsoft MX rolls up, a header change to a
    /// layout without most columns, Unix-seconds times.
    pub(crate) const FIXTURE: &[u8] = b"type,timeLogged,timeQueued,rcpt,dsnStatus,dsnDiag,dsnMta,dlvSourceIp,dlvDestinationIp,vmta,vmtaPool,jobId,envId,queue,dlvSize,bounceCat,feedbackType,format,header_X-HmXmrOriginalRecipient\n\
d,2026-11-20 01:00:00+0100,2026-11-20 00:59:00+0000,a@Hotmail.DE,2.0.0 (success),\"smtp;250 \"\"queued\"\" ok\",mx (104.47.1.1),192.0.2.10,104.47.1.1,vmta-ms-01,microsoft-pool,nl,e-1,hotmail.de/vmta-ms-01,0012,,,,\n\
t,2026-11-20 00:01:00+0000,,b@example.org,4.7.0 (x),\"smtp;421 RP-002 (BAY) line one\nline two\",,192.0.2.11,,vmta-ms-02,,,,example.org/vmta-ms-02,12a,,,,\r\n\
b,2026-11-20 00:02:00+0000,,c@example.com,5.1.1 (bad),smtp;550 5.1.1 no\x1b[2J \xff\xfe user,,,,,,,,,,bad-mailbox,,,\n\
d,2026-11-20 00:03:00+0000,too,few\n\
f,2026-11-20 00:04:00+0000,,,,,,203.0.113.99,,,,nl,,,,,abuse,jmrp,x@live.com\n\
t,2026-11-20 00:05:00+0000,,d@custom.example,4.4.1 (no answer),smtp;451 4.4.1 timeout,custom-mx.olc.protection.outlook.com (1.1.1.1),192.0.2.10,,vmta-ms-01,,,,custom.example/vmta-ms-01,,,,,\n\
type,vmta,rcpt,timeLogged\n\
d,v3,e@Example.ORG,1795222800\n";

    /// Runs `f` with an engine of the built-in rules, no filter and no rollup configuration,
    /// and the sink that writes its rows.
    fn with_sink<R>(f: impl FnOnce(&Engine<'_>, &Ndjson<'_>) -> R) -> R {
        let (classifier, filter, rollup) =
            (Classifier::builtin(), Filter::default(), Rollup::default());
        let eng = Engine {
            classifier: &classifier,
            filter: &filter,
            rollup: &rollup,
            domain_map: None,
        };
        let sink = Ndjson {
            classifier: &classifier,
            rollup: &rollup,
            domain_map: None,
        };
        f(&eng, &sink)
    }

    fn lines_at(inputs: &[Input], chunk_size: usize) -> (Vec<u8>, u64) {
        with_sink(|eng, sink| {
            let opts = ScanOptions {
                chunk_size,
                ..ScanOptions::default()
            };
            let mut out = Vec::new();
            let mut w = Writer::new(&mut out);
            let (r, report) = scan::deliver(inputs, &opts, eng, sink, None, &mut w);
            r.expect("written");
            let written = w.written;
            assert_eq!(report.malformed, 1);
            (out, written)
        })
    }

    fn fixture(dir: &tempfile::TempDir) -> Vec<Input> {
        let path = dir.path().join("acct.csv");
        std::fs::write(&path, FIXTURE).expect("write");
        vec![Input {
            path,
            kind: InputKind::Plain,
        }]
    }

    fn objects(out: &[u8]) -> Vec<Value> {
        let text = std::str::from_utf8(out).expect("always UTF-8");
        assert!(text.ends_with('\n'));
        text.lines()
            .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
            .collect()
    }

    #[test]
    fn every_row_is_one_object_with_its_fields() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inputs = fixture(&dir);
        let (out, written) = lines_at(&inputs, usize::MAX);
        let rows = objects(&out);
        assert_eq!(written, 6);
        assert_eq!(rows.len(), 6);
        let file = inputs[0].display();
        assert_eq!(
            rows[0],
            json!({
                "type": "d", "time_logged": "2026-11-20T00:00:00Z",
                "time_queued": "2026-11-20T00:59:00Z", "vmta": "vmta-ms-01",
                "pool": "microsoft-pool", "source_ip": "192.0.2.10", "rcpt": "a@Hotmail.DE",
                "rcpt_domain": "hotmail.de", "domain": "outlook.com",
                "dsn_status": "2.0.0 (success)", "dsn_diag": "smtp;250 \"queued\" ok",
                "dsn_mta": "mx (104.47.1.1)", "dest_ip": "104.47.1.1", "job": "nl",
                "env_id": "e-1", "queue": "hotmail.de/vmta-ms-01", "size": 12,
                "file": file, "line": 2
            })
        );
        // The rule's code with its provider, kind and severity; a size that is not a number
        // left out; the line after a newline inside quotes.
        assert_eq!(rows[1]["code"], "RP-002");
        assert_eq!(rows[1]["provider"], "Microsoft");
        assert_eq!(rows[1]["kind"], "deferral");
        assert_eq!(rows[1]["severity"], "warning");
        assert_eq!(
            rows[1]["dsn_diag"],
            "smtp;421 RP-002 (BAY) line one\nline two"
        );
        assert_eq!(rows[1]["line"], 3);
        assert!(rows[1].get("size").is_none() && rows[1].get("time_queued").is_none());
        // A fallback code has no provider or severity; control characters and invalid UTF-8
        // survive as escapes and replacement characters.
        assert_eq!(rows[2]["code"], "5.1.1");
        assert_eq!(rows[2]["kind"], "bounce");
        assert!(rows[2].get("provider").is_none() && rows[2].get("severity").is_none());
        assert_eq!(
            rows[2]["dsn_diag"],
            "smtp;550 5.1.1 no\u{1b}[2J \u{fffd}\u{fffd} user"
        );
        assert_eq!(rows[2]["bounce_cat"], "bad-mailbox");
        assert!(rows[2].get("vmta").is_none(), "empty columns are left out");
        assert_eq!(rows[2]["line"], 5);
        // The feedback row: its complainer, no sender of ours.
        let f = &rows[3];
        assert_eq!(f["type"], "f");
        assert_eq!(f["line"], 7);
        assert_eq!(f["feedback_type"], "abuse");
        assert_eq!(f["feedback_format"], "jmrp");
        assert_eq!(f["original_rcpt"], "x@live.com");
        assert_eq!(f["rcpt_domain"], "live.com");
        assert_eq!(f["domain"], "outlook.com");
        assert!(f.get("source_ip").is_none() && f.get("vmta").is_none());
        // Rolled up by the row's Microsoft consumer MX.
        assert_eq!(rows[4]["rcpt_domain"], "custom.example");
        assert_eq!(rows[4]["domain"], "outlook.com");
        assert_eq!(rows[4]["code"], "4.4.1");
        // Under the second header.
        assert_eq!(
            rows[5],
            json!({
                "type": "d", "time_logged": "2026-11-21T01:00:00Z", "vmta": "v3",
                "rcpt": "e@Example.ORG", "rcpt_domain": "example.org", "domain": "example.org",
                "file": file, "line": 10
            })
        );
    }

    #[test]
    fn the_same_bytes_at_every_chunk_size() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inputs = fixture(&dir);
        let whole = lines_at(&inputs, usize::MAX);
        for chunk_size in 1..=FIXTURE.len() {
            assert_eq!(
                lines_at(&inputs, chunk_size),
                whole,
                "chunk size {chunk_size}"
            );
        }
    }

    #[test]
    fn follow_writes_rows_appended_later() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inputs = fixture(&dir);
        let path = inputs[0].path.clone();
        let stop = AtomicBool::new(false);
        let paths = [path.clone()];
        let follow = Follow {
            paths: &paths,
            every: Duration::from_millis(20),
            stop: &stop,
        };
        let mut out = Vec::new();
        with_sink(|eng, sink| {
            std::thread::scope(|s| {
                s.spawn(|| {
                    std::thread::sleep(Duration::from_millis(200));
                    let mut f = std::fs::OpenOptions::new()
                        .append(true)
                        .open(&path)
                        .expect("open");
                    // The second header is in force; a row is written in two parts, as a logger
                    // may: only the whole line is read.
                    f.write_all(b"d,v4,late@hotmail.com,1795222801\nd,v4,part")
                        .expect("append");
                    f.flush().expect("flush");
                    std::thread::sleep(Duration::from_millis(200));
                    f.write_all(b"@example.net,1795222802\n").expect("append");
                    std::thread::sleep(Duration::from_millis(300));
                    stop.store(true, Ordering::Relaxed);
                });
                let mut w = Writer::new(&mut out);
                let (r, _) = scan::deliver(
                    &inputs,
                    &ScanOptions::default(),
                    eng,
                    sink,
                    Some(&follow),
                    &mut w,
                );
                r.expect("written");
            });
        });
        let rows = objects(&out);
        assert_eq!(rows.len(), 8, "{}", String::from_utf8_lossy(&out));
        assert_eq!(rows[6]["rcpt"], "late@hotmail.com");
        assert_eq!(
            rows[6]["domain"], "outlook.com",
            "rolled up without the pre-pass"
        );
        assert_eq!(rows[6]["line"], 11);
        assert_eq!(rows[7]["rcpt"], "part@example.net");
        assert_eq!(rows[7]["line"], 12);
    }
}
