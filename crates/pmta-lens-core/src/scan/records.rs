//! The row loop over one chunk of whole records: splits each record into fields, checks it
//! against its header (type, field count, timestamp), reduces it to its aggregation keys
//! (classifying the response), applies the filter and hands it to the pass's [`Sink`]. Bad rows
//! are counted and sampled here with their line; nothing is allocated per row.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::{DomainLookup, Engine, MAX_SAMPLES, Row, Sink};
use crate::acct::broken::{self, Broken};
use crate::acct::chunk::changes_header;
use crate::acct::header::{Col, Header};
use crate::acct::record::{Field, FieldSplitter, RecordEnd, Split, is_record_start};
use crate::acct::time::TimeParser;
use crate::aggregate::RowKeys;
use crate::classify::Classifier;
use crate::filter::RowView;
use crate::model::{Code, NONE_KEY, RecordKind, UNATTRIBUTED_KEY};
use crate::rollup::{self, Rollup};

/// A pass's sink with the state of the worker and of the chunk it is filling.
pub(super) struct Target<'s, S: Sink> {
    pub sink: &'s S,
    pub fold: &'s mut S::Fold,
    pub chunk: &'s mut S::Chunk,
}

impl<S: Sink> Target<'_, S> {
    #[inline]
    fn row(&mut self, row: &Row<'_>) {
        self.sink.row(self.fold, self.chunk, row);
    }
}

/// What the row loop reports about one chunk.
#[derive(Debug, Default)]
pub(super) struct ChunkReport {
    /// Newlines consumed (the next chunk's first line is this many lines further).
    pub lines: u64,
    pub records: u64,
    pub malformed: u64,
    /// Malformed rows as (0-based line offset within the chunk, reason).
    pub samples: Vec<(u64, String)>,
    /// The header in effect at the chunk's end.
    pub header: Option<Arc<Header>>,
    /// Header lines that changed the columns (see [`StartHeaders::held`]).
    pub header_changes: u64,
    pub bytes: u64,
}

/// Where the row loop reads next: every record in turn, or only the ones a pass chose.
pub(super) trait Order {
    /// Whether records may be skimmed ([`Sink::skim`]) before they are split.
    const SKIMS: bool;

    /// The start of the next record to read, given where the last one ended (`None`: done).
    fn next(&mut self, after: usize, len: usize) -> Option<usize>;
}

/// Every record of the chunk, in order.
pub(super) struct Sequential;

impl Order for Sequential {
    const SKIMS: bool = true;

    #[inline]
    fn next(&mut self, after: usize, len: usize) -> Option<usize> {
        (after < len).then_some(after)
    }
}

/// Only the records starting at these offsets (ascending, each the start of a data row under
/// the chunk's header, as an earlier scan of the same bytes found them).
pub(super) struct Chosen<I>(pub I);

impl<I: Iterator<Item = usize>> Order for Chosen<I> {
    // The offsets were chosen with more care than a skim takes.
    const SKIMS: bool = false;

    #[inline]
    fn next(&mut self, _after: usize, len: usize) -> Option<usize> {
        self.0.next().filter(|&p| p < len)
    }
}

/// Scans one chunk of whole records.
///
/// Fields past the header's last [`Col::HOT`] column are only counted, not stored.
pub(super) fn scan_chunk<S: Sink>(
    eng: &Engine<'_>,
    data: &[u8],
    header: Option<Arc<Header>>,
    sink: &mut Target<'_, S>,
) -> ChunkReport {
    scan_records(eng, data, header, sink, Sequential)
}

/// The row loop, reading the records `order` picks (every one, for a scan).
#[inline]
pub(super) fn scan_records<S: Sink, O: Order>(
    eng: &Engine<'_>,
    data: &[u8],
    mut header: Option<Arc<Header>>,
    sink: &mut Target<'_, S>,
    mut order: O,
) -> ChunkReport {
    let mut rep = ChunkReport {
        bytes: data.len() as u64,
        ..ChunkReport::default()
    };
    let mut splitter = FieldSplitter::default();
    let mut times = TimeParser::default();
    let mut codes = Codes::default();
    let mut lower = [0u8; 256];
    // NUL bytes are looked for in each record once it is split, while its bytes are in cache
    // (about 3 % of the scan; one search of the whole chunk first cost 10 %, reading it twice
    // from memory); a skimmed line looks for them with its newline.
    let mut pos = 0;
    while let Some(at) = order.next(pos, data.len()) {
        pos = at;
        // Skimming skips to the next newline, which a NUL hole's rule may not (`acct::broken`).
        if S::SKIMS
            && O::SKIMS
            && let Some(h) = &header
            && let Some(next) = skimmed(data, pos, h, sink)
        {
            pos = next;
            rep.lines += 1;
            continue;
        }
        let start = pos;
        let line = rep.lines;
        // A header row is recognised by its first field, so at least one is always stored.
        let limit = header.as_ref().map_or(usize::MAX, |h| h.hot_len);
        // Split within the record limit: memory and time stay bounded on any input.
        let split = splitter.split_first(broken::view(data, pos), pos, limit);
        if let Some(end) = broken::broken(data, start, &split, true, true) {
            let (why, next, newlines) = end.unwrap_or((Broken::TooLong, data.len(), 0));
            pos = next;
            rep.lines += newlines;
            rep.malformed += 1;
            if rep.samples.len() < MAX_SAMPLES {
                rep.samples.push((line, why.reason().into()));
            }
            continue;
        }
        pos = split.next;
        rep.lines += split.newlines;
        let fields = splitter.fields();
        // A blank line carries nothing.
        if split.field_count == 1
            && fields[0].start == fields[0].end
            && split.end != RecordEnd::UnterminatedQuote
        {
            continue;
        }
        // Only `type,` as written, unquoted: the chunker and the stream reader find header
        // lines by exactly these bytes, so a `"type",...` line read as a header here would
        // give a chunk that starts after it another header than the sequential scan.
        if data[start..].starts_with(b"type,") {
            let line = &data[start..split.content_end];
            if changes_header(header.as_ref(), line) {
                header = Header::parse(line);
                rep.header_changes += 1;
            }
            continue;
        }
        let checked = check_shape(data, fields, &split, header.as_ref()).and_then(|(h, kind)| {
            let get = |col: Col| h.pos(col).map_or(&b""[..], |p| fields[p].bytes(data));
            if !sink.sink.wants(kind, &get) {
                return Ok(None);
            }
            let time = check_time(data, fields, h, &mut times)?;
            Ok(Some((h, kind, time)))
        });
        let (h, kind, time) = match checked {
            Ok(Some(ok)) => ok,
            Ok(None) => continue,
            Err(reason) => {
                rep.malformed += 1;
                if rep.samples.len() < MAX_SAMPLES {
                    rep.samples.push((line, reason));
                }
                continue;
            }
        };
        rep.records += 1;
        let get = |col: Col| h.pos(col).map_or(&b""[..], |p| fields[p].bytes(data));
        let keys = row_keys(kind, time, get, |diag, status| {
            codes.classify(eng.classifier, diag, status)
        });
        if !eng.filter.is_empty() && !passes(eng, &keys, get, &mut lower) {
            continue;
        }
        sink.row(&Row {
            keys,
            raw: &data[start..split.next],
            header: h,
            data,
            fields,
        });
    }
    rep.header = header;
    rep
}

/// The codes of the response texts of one chunk. A small sender's rows repeat a few texts, so
/// each is classified once; a large sender's carry per-row IDs and timestamps, so nearly every
/// text is new and a cache would only cost a hash of the text and memory: when few lookups hit,
/// the cache steps aside and every text is classified (which the classifier's prefilter keeps
/// cheap).
#[derive(Default)]
struct Codes<'a> {
    cache: FxHashMap<(&'a [u8], &'a [u8]), Code>,
    hits: u32,
    misses: u32,
}

impl<'a> Codes<'a> {
    /// The most texts a chunk's cache holds.
    const CAP: usize = 4096;

    #[inline]
    fn classify(&mut self, c: &Classifier, diag: &'a [u8], status: &'a [u8]) -> Code {
        // Judged after a few hundred texts: a hit rate under a half is not worth it.
        if self.misses > 256 && self.hits < self.misses {
            return c.classify(diag, status);
        }
        if let Some(code) = self.cache.get(&(diag, status)) {
            self.hits += 1;
            return *code;
        }
        self.misses += 1;
        let code = c.classify(diag, status);
        if self.cache.len() < Self::CAP {
            self.cache.insert((diag, status), code);
        }
        code
    }
}

/// Where the next record starts if the sink declines the one at `pos` on sight
/// ([`Sink::skim`]). Only a record on one line is offered: its newline must be followed by a
/// record start, the rule by which the splitter too ends a record there (see `acct::chunk`), so
/// skipping to it agrees with splitting. Header lines are never skimmed.
#[inline]
fn skimmed<S: Sink>(data: &[u8], pos: usize, h: &Header, sink: &Target<'_, S>) -> Option<usize> {
    // A NUL before the newline: the record goes the full way (a hole's rule is not a line's).
    let nl = pos + memchr::memchr2(b'\n', 0, &data[pos..])?;
    if data[nl] == 0 {
        return None;
    }
    let next = nl + 1;
    if next < data.len() && !is_record_start(data, next) {
        return None;
    }
    let line = &data[pos..nl];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.starts_with(b"type,") || sink.sink.skim(line, h) {
        return None;
    }
    Some(next)
}

/// Validates a data row against its header: known type, field count (the timestamp is
/// [`check_time`]'s).
fn check_shape<'h>(
    data: &[u8],
    fields: &[Field],
    split: &Split,
    header: Option<&'h Arc<Header>>,
) -> Result<(&'h Arc<Header>, RecordKind), String> {
    if split.end == RecordEnd::UnterminatedQuote {
        return Err("unterminated quoted field (a quote opened and never closed)".into());
    }
    let Some(h) = header else {
        return Err("no header line (`type,...`) before this row".into());
    };
    let type_field = fields[0].bytes(data);
    let Some(kind) = RecordKind::from_bytes(type_field) else {
        return Err(format!("unknown record type `{}`", lossy(type_field, 20)));
    };
    // A trailing comma (an empty extra field) is tolerated: the manual's own `t` sample has one.
    let count = split.field_count;
    let extra = count.saturating_sub(h.len());
    let extra_empty =
        (1..=8).contains(&extra) && data[..split.content_end].ends_with(&b",,,,,,,,"[..extra]);
    if count != h.len() && !extra_empty {
        let what = if split.end == RecordEnd::EndOfInput && count < h.len() {
            " (incomplete last line: no newline at the end; the file may still be written)"
        } else {
            ""
        };
        return Err(format!(
            "expected {} fields as in the header, found {count}{what}",
            h.len(),
        ));
    }
    Ok((h, kind))
}

/// A data row's `timeLogged` as UTC seconds (`None` when the column is absent or empty).
fn check_time(
    data: &[u8],
    fields: &[Field],
    h: &Header,
    times: &mut TimeParser,
) -> Result<Option<i64>, String> {
    match h.pos(Col::TimeLogged).map(|p| fields[p].bytes(data)) {
        None | Some(b"") => Ok(None),
        Some(v) => times
            .parse(v)
            .map(Some)
            .ok_or_else(|| format!("bad timeLogged `{}`", lossy(v, 40))),
    }
}

/// The aggregation keys of a valid row. `classify` maps (dsnDiag, dsnStatus) to a code.
#[inline]
fn row_keys<'a>(
    kind: RecordKind,
    time: Option<i64>,
    get: impl Fn(Col) -> &'a [u8],
    mut classify: impl FnMut(&'a [u8], &'a [u8]) -> Code,
) -> RowKeys<'a> {
    // `f` rows are reports about our mail from someone else: their dlvSourceIp is the
    // reporter's, and they have no VMTA or pool of their own.
    let (vmta, source_ip, pool) = if kind == RecordKind::Feedback {
        let u = UNATTRIBUTED_KEY.as_bytes();
        (u, u, u)
    } else {
        (
            or_none(get(Col::Vmta)),
            or_none(get(Col::DlvSourceIp)),
            or_none(get(Col::VmtaPool)),
        )
    };
    let queue = get(Col::Queue);
    let mut rcpt_domain = if kind == RecordKind::TransientQueue {
        rollup::queue_domain(queue)
    } else {
        rollup::address_domain(get(Col::Rcpt))
    };
    if rcpt_domain.is_empty() && kind == RecordKind::Feedback {
        rcpt_domain = rollup::address_domain(get(Col::HmXmrOriginalRecipient));
    }
    let code = if kind.has_response() {
        classify(get(Col::DsnDiag), get(Col::DsnStatus))
    } else {
        Code::None
    };
    let dsn_mta = get(Col::DsnMta);
    RowKeys {
        kind,
        time,
        vmta,
        source_ip,
        rcpt_domain: or_none(rcpt_domain),
        pool,
        code,
        queue_rollup: rollup::queue_rollup(queue),
        job: get(Col::JobId),
        microsoft_mx: !dsn_mta.is_empty() && rollup::is_microsoft_consumer_mx(dsn_mta),
    }
}

/// Whether a row passes the engine's filter.
#[inline]
fn passes<'a>(
    eng: &Engine<'_>,
    keys: &RowKeys<'a>,
    get: impl Fn(Col) -> &'a [u8],
    lower: &mut [u8; 256],
) -> bool {
    let domain = if eng.filter.needs_domain() {
        rolled_domain(eng, keys, lower)
    } else {
        keys.rcpt_domain
    };
    let view = RowView {
        kind: keys.kind,
        vmta: keys.vmta,
        pool: keys.pool,
        source_ip: keys.source_ip,
        domain,
        rcpt_domain: keys.rcpt_domain,
        code: keys.code,
        response_kind: response_kind(eng.classifier, keys.code),
        job: or_none(get(Col::JobId)),
        diag: get(Col::DsnDiag),
        time: keys.time,
        rcpt: match get(Col::Rcpt) {
            // as for the rcpt domain: a complaint may carry its recipient in a header column
            b"" if keys.kind == RecordKind::Feedback => get(Col::HmXmrOriginalRecipient),
            r => r,
        },
        orig: get(Col::Orig),
        queue: get(Col::Queue),
        env_id: get(Col::EnvId),
    };
    eng.filter.matches(&view)
}

/// The kind of a classified code: the rule's, else implied by the code's class.
pub fn response_kind(classifier: &Classifier, code: Code) -> Option<crate::model::ResponseKind> {
    match code {
        Code::Rule(id) => Some(classifier.rule(id).kind),
        other => other.fallback_kind(),
    }
}

/// The rollup bucket of a recipient domain, from the pre-pass map (no allocation).
fn rolled_domain<'a>(
    eng: &'a Engine<'_>,
    keys: &RowKeys<'a>,
    lower: &'a mut [u8; 256],
) -> &'a [u8] {
    if eng.domain_map.is_none() {
        return keys.rcpt_domain;
    }
    destination(eng.rollup, eng.domain_map, keys, lower)
}

/// The rolled-up destination of a row's recipient domain, lowercase, without allocating
/// (`lower` is room for the lowercased domain). A domain the pre-pass `map` holds goes where the
/// summary puts it; one it does not (no rollup evidence in any row; standard input, read once;
/// rows appended while following) is decided from the row itself by the summary's rules: the
/// operator's and the Microsoft rollups, then the row's queue `NAME.rollup`, then a Microsoft
/// consumer MX.
pub fn destination<'a>(
    rollup: &'a Rollup,
    map: Option<&'a dyn DomainLookup>,
    keys: &RowKeys<'a>,
    lower: &'a mut [u8; 256],
) -> &'a [u8] {
    let domain = keys.rcpt_domain;
    if domain.len() > lower.len() {
        return domain;
    }
    let l = &mut lower[..domain.len()];
    l.copy_from_slice(domain);
    l.make_ascii_lowercase();
    let Ok(name) = std::str::from_utf8(l) else {
        return l;
    };
    if let Some(r) = map.and_then(|m| m.bucket(name)) {
        return r;
    }
    if let Some(r) = rollup.fixed(name) {
        return r.as_bytes();
    }
    if let Some(q) = keys.queue_rollup {
        return q;
    }
    if keys.microsoft_mx {
        return rollup::MICROSOFT.as_bytes();
    }
    name.as_bytes()
}

#[inline]
fn or_none(v: &[u8]) -> &[u8] {
    if v.is_empty() { NONE_KEY.as_bytes() } else { v }
}

fn lossy(v: &[u8], max: usize) -> String {
    let s = String::from_utf8_lossy(v);
    if s.chars().count() > max {
        format!("{}...", s.chars().take(max).collect::<String>())
    } else {
        s.into_owned()
    }
}
