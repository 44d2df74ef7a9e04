//! The Parquet schema of `export` and the mapping of a row onto it: the columns of
//! `rows --format ndjson` (docs/json.md), typed, derived by the same rules (the rolled-up
//! `domain`, `code`, `kind`, `severity`, `provider`) and read from the same header positions
//! (`output::ndjson::Columns`). Each piece of input fills its own column builders on a
//! scan worker ([`Rows`]); the writer adds `host`, `file` and `line` as it writes the piece.

use std::fmt::Write as _;
use std::sync::{Arc, LazyLock};

use arrow_array::builder::{Int64Builder, StringBuilder, TimestampMillisecondBuilder};
use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::acct::header::Col;
use crate::acct::record::{FieldSplitter, unescape};
use crate::acct::time::TimeParser;
use crate::classify::Classifier;
use crate::learn::Rollups;
use crate::model::{Code, NONE_KEY, RecordKind};
use crate::output::ndjson::{Columns, ENV_ID, FEEDBACK, SIZE, digits};
use crate::rollup::Rollup;
use crate::scan::{DomainLookup, Row, Sink, destination, response_kind};

/// Columns of the string kind, in schema order after the two timestamps; `size` and the last
/// three (`host`, `file`, `line`) are apart.
const TEXT: [&str; 19] = [
    "type",
    "vmta",
    "pool",
    "source_ip",
    "rcpt",
    "rcpt_domain",
    "domain",
    "provider",
    "code",
    "kind",
    "severity",
    "dsn_status",
    "dsn_diag",
    "dsn_mta",
    "dest_ip",
    "job",
    "env_id",
    "queue",
    "bounce_cat",
];
// Indexes into `TEXT`, for the code that fills them.
const TYPE: usize = 0;
const VMTA: usize = 1;
const POOL: usize = 2;
const SOURCE_IP: usize = 3;
const RCPT: usize = 4;
const RCPT_DOMAIN: usize = 5;
const DOMAIN: usize = 6;
const PROVIDER: usize = 7;
const CODE: usize = 8;
const KIND: usize = 9;
const SEVERITY: usize = 10;
/// `dsn_status` .. `job`: read from these columns, in this order.
const DELIVERY: [Col; 5] = [
    Col::DsnStatus,
    Col::DsnDiag,
    Col::DsnMta,
    Col::DlvDestinationIp,
    Col::JobId,
];
const DSN_STATUS: usize = 11;
const ENV: usize = 16;
const QUEUE: usize = 17;
const BOUNCE_CAT: usize = 18;

/// The feedback columns of `f` rows, named as in ndjson (its `NAMED` columns from `FEEDBACK` on).
const FEEDBACK_COLUMNS: [&str; 6] = [
    "feedback_type",
    "feedback_format",
    "user_agent",
    "reporting_mta",
    "reported_domain",
    "original_rcpt",
];

/// Columns whose values are nearly all distinct: a dictionary would only be built and dropped.
pub const NO_DICTIONARY: [&str; 6] = [
    "time_logged",
    "time_queued",
    "rcpt",
    "env_id",
    "original_rcpt",
    "line",
];

/// The schema every part file has.
pub fn schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        let time = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
        let mut fields = vec![
            Field::new("time_logged", time.clone(), true),
            Field::new("time_queued", time, true),
        ];
        for (i, name) in TEXT.iter().enumerate() {
            // `type` is the one column every row has.
            fields.push(Field::new(*name, DataType::Utf8, i != TYPE));
            if i == QUEUE {
                fields.push(Field::new("size", DataType::Int64, true));
            }
        }
        for name in FEEDBACK_COLUMNS {
            fields.push(Field::new(name, DataType::Utf8, true));
        }
        fields.push(Field::new("host", DataType::Utf8, false));
        fields.push(Field::new("file", DataType::Utf8, false));
        fields.push(Field::new("line", DataType::Int64, false));
        Arc::new(Schema::new(fields))
    });
    Arc::clone(&SCHEMA)
}

/// The export's sink: the rules each row's derived columns follow (the scan's own).
#[derive(Debug)]
pub struct Exporting<'a> {
    pub classifier: &'a Classifier,
    pub rollup: &'a Rollup,
    /// The rollups learned from every row first (`domain` as the summary has it); `None`:
    /// each row's own.
    pub rollups: Option<&'a Rollups>,
}

/// One piece's rows as column builders, with what the writer needs per row.
pub struct Rows {
    time_logged: TimestampMillisecondBuilder,
    time_queued: TimestampMillisecondBuilder,
    text: [StringBuilder; TEXT.len()],
    size: Int64Builder,
    feedback: [StringBuilder; FEEDBACK_COLUMNS.len()],
    /// Per row: its `timeLogged` in seconds (the partition's day), where it starts in the
    /// piece, and its line (0-based) within the piece.
    pub times: Vec<Option<i64>>,
    pub offsets: Vec<usize>,
    pub lines: Vec<u64>,
    splitter: FieldSplitter,
    parser: TimeParser,
    columns: Option<Columns>,
    /// Newlines in the piece before `counted`.
    newlines: u64,
    counted: usize,
    lower: [u8; 256],
    scratch: String,
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("rows", &self.times.len())
            .finish_non_exhaustive()
    }
}

impl Default for Rows {
    fn default() -> Self {
        Rows {
            time_logged: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            time_queued: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            text: std::array::from_fn(|_| StringBuilder::new()),
            size: Int64Builder::new(),
            feedback: std::array::from_fn(|_| StringBuilder::new()),
            times: Vec::new(),
            offsets: Vec::new(),
            lines: Vec::new(),
            splitter: FieldSplitter::default(),
            parser: TimeParser::default(),
            columns: None,
            newlines: 0,
            counted: 0,
            lower: [0; 256],
            scratch: String::new(),
        }
    }
}

impl Sink for Exporting<'_> {
    type Fold = ();
    type Chunk = Rows;

    fn new_fold(&self) {}

    fn new_chunk(&self) -> Rows {
        Rows::default()
    }

    fn merge(&self, (): &mut (), (): ()) {}

    fn row(&self, (): &mut (), rows: &mut Rows, row: &Row<'_>) {
        self.add(rows, row);
    }
}

/// Appends a field's value (its doubled quotes read as one, invalid UTF-8 replaced), or a null
/// for a column the row lacks or leaves empty.
fn put(b: &mut StringBuilder, value: Option<(&[u8], bool)>) {
    match value {
        Some((bytes, escaped)) => {
            let bytes = unescape(bytes, escaped);
            b.append_value(String::from_utf8_lossy(&bytes));
        }
        None => b.append_null(),
    }
}

/// Appends text ASCII-lowercased (domains).
fn put_lower(b: &mut StringBuilder, bytes: &[u8], scratch: &mut String) {
    scratch.clear();
    scratch.push_str(&String::from_utf8_lossy(bytes));
    scratch.make_ascii_lowercase();
    b.append_value(&*scratch);
}

impl Exporting<'_> {
    /// Appends one row to the piece's builders.
    fn add(&self, p: &mut Rows, row: &Row<'_>) {
        let before = &row.piece()[..row.offset()];
        p.newlines +=
            memchr::memchr_iter(b'\n', &before[p.counted.min(before.len())..]).count() as u64;
        p.counted = before.len();
        if p.columns
            .as_ref()
            .is_none_or(|c| !Arc::ptr_eq(&c.header, row.header))
        {
            p.columns = Some(Columns::of(row.header));
        }
        let Some(cols) = p.columns.as_ref() else {
            return;
        };
        let raw = row.raw;
        p.splitter.split_first(raw, 0, cols.limit);
        let fields = p.splitter.fields();
        let value = |pos: Option<usize>| {
            pos.and_then(|i| fields.get(i))
                .filter(|f| f.end > f.start)
                .map(|f| (f.bytes(raw), f.escaped))
        };
        let col = |c: Col| value(cols.col[c as usize]);
        let keys = &row.keys;
        let feedback = keys.kind == RecordKind::Feedback;
        let t = &mut p.text;

        p.time_logged.append_option(keys.time.map(|s| s * 1000));
        let queued = col(Col::TimeQueued).and_then(|(v, _)| p.parser.parse(v));
        p.time_queued.append_option(queued.map(|s| s * 1000));
        t[TYPE].append_value(keys.kind.as_str());
        // `f` rows are reports from someone else: their VMTA, pool and source IP columns are
        // not a sender of ours (ndjson leaves them out; the summary says `(unattributed)`).
        for (i, c) in [
            (VMTA, Col::Vmta),
            (POOL, Col::VmtaPool),
            (SOURCE_IP, Col::DlvSourceIp),
        ] {
            put(&mut t[i], if feedback { None } else { col(c) });
        }
        put(&mut t[RCPT], col(Col::Rcpt));
        if keys.rcpt_domain == NONE_KEY.as_bytes() {
            t[RCPT_DOMAIN].append_null();
            t[DOMAIN].append_null();
        } else {
            put_lower(&mut t[RCPT_DOMAIN], keys.rcpt_domain, &mut p.scratch);
            let learned = self.rollups.map(|r| r as &dyn DomainLookup);
            let d = destination(self.rollup, learned, keys, &mut p.lower);
            put_lower(&mut t[DOMAIN], d, &mut p.scratch);
        }
        self.code(t, keys.code, &mut p.scratch);
        for (k, c) in DELIVERY.into_iter().enumerate() {
            put(&mut t[DSN_STATUS + k], col(c));
        }
        put(&mut t[ENV], value(cols.named[ENV_ID]));
        put(&mut t[QUEUE], col(Col::Queue));
        let size = value(cols.named[SIZE]).and_then(|(v, _)| digits(v));
        p.size
            .append_option(size.and_then(|n| i64::try_from(n).ok()));
        put(&mut t[BOUNCE_CAT], col(Col::BounceCat));
        for (k, b) in p.feedback.iter_mut().enumerate() {
            put(
                b,
                if feedback {
                    value(cols.named[FEEDBACK + k])
                } else {
                    None
                },
            );
        }
        p.times.push(keys.time);
        p.offsets.push(row.offset());
        p.lines.push(p.newlines);
    }

    /// `provider`, `code`, `kind` and `severity`, as the summary buckets the response.
    fn code(&self, t: &mut [StringBuilder; TEXT.len()], code: Code, scratch: &mut String) {
        if code == Code::None {
            for i in [PROVIDER, CODE, KIND, SEVERITY] {
                t[i].append_null();
            }
            return;
        }
        if let Code::Rule(id) = code {
            let rule = self.classifier.rule(id);
            t[PROVIDER].append_value(rule.provider);
            t[SEVERITY].append_value(rule.severity.as_str());
        } else {
            t[PROVIDER].append_null();
            t[SEVERITY].append_null();
        }
        scratch.clear();
        // The summary's name of the code: the rule id, else the status or SMTP code.
        let _ = write!(scratch, "{}", CodeName(self.classifier, code));
        t[CODE].append_value(&*scratch);
        t[KIND].append_option(
            response_kind(self.classifier, code).map(crate::model::ResponseKind::as_str),
        );
    }
}

/// A code's display name without allocating: [`Classifier::code_name`]'s spelling.
struct CodeName<'a>(&'a Classifier, Code);

impl std::fmt::Display for CodeName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.1 {
            Code::Rule(id) => f.write_str(self.0.rule(id).id),
            Code::Status(s) => write!(f, "{s}"),
            Code::Smtp(c) => write!(f, "{c}"),
            Code::None => f.write_str(NONE_KEY),
        }
    }
}

impl Rows {
    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// The piece as a record batch: `host`, `file` and `line` (1-based: the piece's first
    /// line is `first_line`, 0-based) added.
    pub fn finish(&mut self, host: &str, file: &str, first_line: u64) -> RecordBatch {
        let n = self.len();
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(self.time_logged.finish()),
            Arc::new(self.time_queued.finish()),
        ];
        for (i, b) in self.text.iter_mut().enumerate() {
            columns.push(Arc::new(b.finish()));
            if i == QUEUE {
                columns.push(Arc::new(self.size.finish()));
            }
        }
        for b in &mut self.feedback {
            columns.push(Arc::new(b.finish()));
        }
        columns.push(Arc::new(StringArray::from(vec![host; n])));
        columns.push(Arc::new(StringArray::from(vec![file; n])));
        let lines: Int64Array = self
            .lines
            .iter()
            .map(|l| Some((first_line + l + 1) as i64))
            .collect();
        columns.push(Arc::new(lines));
        // The builders follow the schema by construction; a mismatch is a bug, caught by the
        // unit tests, never by input.
        RecordBatch::try_new(schema(), columns).expect("columns match the schema")
    }
}

#[cfg(test)]
mod tests;
