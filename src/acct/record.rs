//! Splits one CSV record into field spans, in place, without allocating: the scanner's parser.
//!
//! Semantics (RFC 4180 plus what real `PowerMTA` files need):
//! - fields are separated by `,`; a record ends at `\n` (a `\r` before it is dropped) or at the
//!   end of the buffer;
//! - a field that starts with `"` is quoted: it runs to the next lone `"`, a doubled `""` is a
//!   literal quote, and commas and newlines inside are data;
//! - **resynchronisation**: a newline inside a quoted field that is followed by a record start
//!   (`d,` `b,` `t,` `tq,` `r,` `f,` `rb,` `rs,` or `type,`) ends the record there as broken. A
//!   stray quote (a row cut off by a crash, then more rows appended) would otherwise swallow the
//!   rest of the file. Because this rule depends only on the bytes around the newline, the
//!   chunker can split a file at such a newline and get exactly the sequential result.
//!
//! The csv crate is the reference: tests check that well-formed input splits into the same
//! fields as `csv::ReaderBuilder` does.

use std::borrow::Cow;

use memchr::{memchr, memchr2};

/// One field of a record, as a byte range of the buffer it was split from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Field {
    pub start: usize,
    pub end: usize,
    /// The field was quoted and contains doubled quotes: use [`unescape`] to get its value.
    pub escaped: bool,
}

impl Field {
    #[inline]
    pub fn bytes<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        &buf[self.start..self.end]
    }
}

/// Turns the raw bytes of an escaped quoted field into its value (`""` -> `"`).
pub fn unescape(raw: &[u8], escaped: bool) -> Cow<'_, [u8]> {
    if !escaped {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        out.push(raw[i]);
        if raw[i] == b'"' && raw.get(i + 1) == Some(&b'"') {
            i += 1;
        }
        i += 1;
    }
    Cow::Owned(out)
}

/// How a record ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordEnd {
    /// At a newline (the normal case).
    Newline,
    /// At the end of the buffer without a newline (a final line).
    EndOfInput,
    /// Inside a quoted field: at a newline followed by a record start, or at the end of input.
    UnterminatedQuote,
}

/// The span of one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split {
    /// Where the record's bytes end, excluding the line ending.
    pub content_end: usize,
    /// Where the next record starts (after the line ending).
    pub next: usize,
    /// Newlines consumed, including those inside quoted fields: the line counter's step.
    pub newlines: u64,
    pub end: RecordEnd,
    /// Fields in the record, including those counted but not stored past the split's limit.
    pub field_count: usize,
}

/// Whether `buf[pos..]` starts like a record or a header: a type token and a comma.
#[inline]
pub fn is_record_start(buf: &[u8], pos: usize) -> bool {
    let rest = &buf[pos.min(buf.len())..];
    matches!(
        rest,
        [b'd' | b'b' | b't' | b'r' | b'f', b',', ..]
            | [b't', b'q', b',', ..]
            | [b'r', b'b' | b's', b',', ..]
            | [b't', b'y', b'p', b'e', b',', ..]
    )
}

/// Reusable field buffer: one per chunk, so splitting allocates nothing per row.
#[derive(Debug, Default)]
pub struct FieldSplitter {
    fields: Vec<Field>,
}

impl FieldSplitter {
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Splits the record starting at `pos` (which must be `< buf.len()`), storing every field.
    pub fn split(&mut self, buf: &[u8], pos: usize) -> Split {
        self.split_first(buf, pos, usize::MAX)
    }

    /// Splits the record starting at `pos`, storing only its first `limit` fields and counting
    /// the rest. The scanner needs a dozen columns of the ~40 a union header has; skipping the
    /// tail (free-form `header_*` columns, the subject) without storing it is measurably faster,
    /// and the field count still validates the row.
    pub fn split_first(&mut self, buf: &[u8], pos: usize, limit: usize) -> Split {
        self.fields.clear();
        let len = buf.len();
        let mut i = pos;
        let mut newlines = 0u64;
        loop {
            if self.fields.len() >= limit {
                let (extra, at, broken) = count_fields(buf, i, &mut newlines);
                let field_count = self.fields.len() + extra;
                return Self::finish(buf, pos, at, newlines, broken, field_count);
            }
            let mut field = Field {
                start: i,
                end: i,
                escaped: false,
            };
            if i < len && buf[i] == b'"' {
                match scan_quoted(buf, i + 1, &mut newlines) {
                    Quoted::Closed { end, escaped } => {
                        field.start = i + 1;
                        field.end = end;
                        field.escaped = escaped;
                        i = end + 1;
                        if i + 1 < len && buf[i] == b'\r' && buf[i + 1] == b'\n' {
                            i += 1;
                        } else if i < len && !matches!(buf[i], b',' | b'\n') {
                            // Anything between the closing quote and the next separator is kept
                            // out of the value (`"a"b,` reads as `a`): such a row still parses.
                            i = find_separator(buf, i);
                        }
                    }
                    Quoted::Broken { at } => {
                        field.start = i + 1;
                        field.end = at;
                        self.fields.push(field);
                        let n = self.fields.len();
                        return Self::finish(buf, pos, at, newlines, true, n);
                    }
                }
            } else {
                let end = find_separator(buf, i);
                field.end = trim_cr(buf, i, end);
                i = end;
            }
            self.fields.push(field);
            if i >= len || buf[i] == b'\n' {
                let n = self.fields.len();
                return Self::finish(buf, pos, i, newlines, false, n);
            }
            // a comma: another field follows
            i += 1;
        }
    }

    /// The record ends at `at` (its newline, or the end of input).
    fn finish(
        buf: &[u8],
        pos: usize,
        at: usize,
        newlines: u64,
        broken: bool,
        field_count: usize,
    ) -> Split {
        let has_nl = at < buf.len();
        Split {
            content_end: if has_nl {
                trim_cr(buf, pos, at)
            } else {
                buf.len()
            },
            next: if has_nl { at + 1 } else { buf.len() },
            newlines: newlines + u64::from(has_nl),
            end: match (broken, has_nl) {
                (true, _) => RecordEnd::UnterminatedQuote,
                (false, true) => RecordEnd::Newline,
                (false, false) => RecordEnd::EndOfInput,
            },
            field_count,
        }
    }
}

/// The next `,` or `\n` at or after `from` (or the end). Most fields are a few bytes long, where
/// a plain loop beats setting up a vectorised search; longer ones go to memchr.
#[inline]
fn find_separator(buf: &[u8], from: usize) -> usize {
    let short = (from + 16).min(buf.len());
    if let Some(k) = buf[from..short]
        .iter()
        .position(|c| matches!(c, b',' | b'\n'))
    {
        return from + k;
    }
    if short == buf.len() {
        return short;
    }
    memchr2(b',', b'\n', &buf[short..]).map_or(buf.len(), |k| short + k)
}

/// Counts the fields from a field start `i` to the end of the record without storing them:
/// commas outside quotes, jumping over quoted fields. Returns (fields, where the record ends,
/// whether it ended inside a broken quoted field). Agrees with the storing path field for field.
fn count_fields(buf: &[u8], mut i: usize, newlines: &mut u64) -> (usize, usize, bool) {
    let len = buf.len();
    let mut fields = 1;
    let mut at_field_start = true;
    loop {
        if at_field_start && i < len && buf[i] == b'"' {
            match scan_quoted(buf, i + 1, newlines) {
                Quoted::Closed { end, .. } => i = end + 1,
                Quoted::Broken { at } => return (fields, at, true),
            }
        }
        // An unquoted stretch: count its commas (a vectorisable loop) up to the next quote or
        // newline.
        let j = memchr2(b'"', b'\n', &buf[i.min(len)..]).map_or(len, |k| i + k);
        #[allow(clippy::naive_bytecount)] // short stretches, and LLVM vectorises this loop
        let commas = buf[i.min(j)..j].iter().filter(|c| **c == b',').count();
        fields += commas;
        if j >= len || buf[j] == b'\n' {
            return (fields, j, false);
        }
        // A quote opens a quoted field only at a field start; elsewhere it is a literal.
        at_field_start = buf[j - 1] == b',';
        i = if at_field_start { j } else { j + 1 };
    }
}

/// Drops one `\r` right before `end` (CRLF files), never going below `start`.
#[inline]
fn trim_cr(buf: &[u8], start: usize, end: usize) -> usize {
    if end > start && buf[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

enum Quoted {
    /// The closing quote is at `end`.
    Closed { end: usize, escaped: bool },
    /// No closing quote before a newline that starts a new record (or the end of input).
    Broken { at: usize },
}

/// Finds the end of a quoted field whose content starts at `from`.
#[inline]
fn scan_quoted(buf: &[u8], from: usize, newlines: &mut u64) -> Quoted {
    let len = buf.len();
    let mut j = from;
    let mut escaped = false;
    loop {
        let Some(k) = memchr(b'"', &buf[j..]) else {
            return match first_resync(buf, j, len, newlines) {
                Some(at) => Quoted::Broken { at },
                None => Quoted::Broken { at: len },
            };
        };
        let q = j + k;
        // Newlines inside quotes are rare (the common quoted field is dlvEsmtpAvailable);
        // only when there is one do we look at it more closely.
        if let Some(at) = first_resync(buf, j, q, newlines) {
            return Quoted::Broken { at };
        }
        if buf.get(q + 1) == Some(&b'"') {
            escaped = true;
            j = q + 2;
            continue;
        }
        return Quoted::Closed { end: q, escaped };
    }
}

/// Within `buf[from..to]` (inside quotes), counts newlines into `newlines` and returns the first
/// newline that is followed by a record start, if any (not counting that one).
#[inline]
fn first_resync(buf: &[u8], from: usize, to: usize, newlines: &mut u64) -> Option<usize> {
    let mut at = from;
    while let Some(k) = memchr(b'\n', &buf[at..to]) {
        let nl = at + k;
        if is_record_start(buf, nl + 1) {
            return Some(nl);
        }
        *newlines += 1;
        at = nl + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_all(input: &[u8]) -> Vec<(Vec<String>, RecordEnd, u64)> {
        let mut s = FieldSplitter::default();
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < input.len() {
            let r = s.split(input, pos);
            let fields = s
                .fields()
                .iter()
                .map(|f| String::from_utf8_lossy(&unescape(f.bytes(input), f.escaped)).into_owned())
                .collect();
            out.push((fields, r.end, r.newlines));
            assert!(r.next > pos, "progress");
            pos = r.next;
        }
        out
    }

    fn csv_crate(input: &[u8]) -> Vec<Vec<String>> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        rdr.byte_records()
            .map(|r| {
                r.expect("valid csv")
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn agrees_with_the_csv_crate_on_well_formed_input() {
        let cases: &[&[u8]] = &[
            b"a,b,c\n",
            b"a,b,c",
            b"a,,c\r\nd,e,\r\n",
            b"d,\"ENHANCEDSTATUSCODES,8BITMIME\",x\n",
            b"d,\"He said \"\"hi\"\", then left\",x\n",
            b"d,\"multi\nline\",x\nb,2,3\n",
            b"d,\"\",x\n",
            b"d,\"\"\"\",x\n",
            b"t,\"a\r\nb\",c\r\n",
            b"rb,2010-12-01 14:24:44-0500,\"smtp;550 5.1.1 in \"\"RCPT TO:<x@y>\"\"\",z\n",
        ];
        for input in cases {
            let ours: Vec<Vec<String>> = split_all(input).into_iter().map(|r| r.0).collect();
            assert_eq!(ours, csv_crate(input), "{}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn storing_fewer_fields_counts_the_same_record() {
        let cases: &[&[u8]] = &[
            b"a,b,c\n",
            b"a,b,c",
            b"a,,c\r\nd,e,\r\n",
            b"d,\"ENHANCEDSTATUSCODES,8BITMIME\",x,\"s, \"\"q\"\"\",,\n",
            b"d,\"multi\nline\",x\nb,2,3\n",
            b"d,a\"b,c\"d,e\n",
            b"d,\"a\"junk,\"b\",c\n",
            b"d,\"a\"\r,x\n",
            b"d,1,\"ENHANCED\nd,2,\"x,y\",z\nb,3,q\n",
            b"d,1,2,\"never closed",
        ];
        let mut full = FieldSplitter::default();
        let mut part = FieldSplitter::default();
        for input in cases {
            let mut pos = 0;
            while pos < input.len() {
                let want = full.split(input, pos);
                assert_eq!(want.field_count, full.fields().len());
                for limit in 0..=want.field_count + 1 {
                    let got = part.split_first(input, pos, limit);
                    let what = format!("{} at {pos} limit {limit}", String::from_utf8_lossy(input));
                    assert_eq!(got, want, "{what}");
                    assert_eq!(
                        part.fields(),
                        &full.fields()[..limit.min(want.field_count)],
                        "{what}"
                    );
                }
                pos = want.next;
            }
        }
    }

    #[test]
    fn record_ends_and_line_counts() {
        let recs = split_all(b"d,\"a\nb\",c\nb,1\nt,2");
        assert_eq!(recs.len(), 3);
        assert_eq!((recs[0].1, recs[0].2), (RecordEnd::Newline, 2));
        assert_eq!((recs[1].1, recs[1].2), (RecordEnd::Newline, 1));
        assert_eq!((recs[2].1, recs[2].2), (RecordEnd::EndOfInput, 0));
    }

    #[test]
    fn a_stray_quote_does_not_swallow_the_following_rows() {
        let input = b"d,1,\"ENHANCED\nd,2,\"x,y\",z\nb,3,q\n";
        let recs = split_all(input);
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0].1, RecordEnd::UnterminatedQuote);
        assert_eq!(recs[0].0, ["d", "1", "ENHANCED"]);
        assert_eq!(recs[1].0, ["d", "2", "x,y", "z"]);
        assert_eq!(recs[2].0, ["b", "3", "q"]);
        assert_eq!(
            recs.iter().map(|r| r.2).sum::<u64>(),
            3,
            "every line counted once"
        );
    }

    #[test]
    fn unterminated_quote_at_end_of_input() {
        let recs = split_all(b"d,1,\"never closed");
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].1, RecordEnd::UnterminatedQuote);
    }

    #[test]
    fn record_starts() {
        for yes in [
            &b"d,"[..],
            b"b,x",
            b"t,",
            b"tq,",
            b"r,",
            b"f,",
            b"rb,",
            b"rs,",
            b"type,",
        ] {
            assert!(is_record_start(yes, 0), "{}", String::from_utf8_lossy(yes));
        }
        for no in [&b"d"[..], b"x,", b"dd,", b"typ,", b"550 5.7.1", b"", b"tr,"] {
            assert!(!is_record_start(no, 0), "{}", String::from_utf8_lossy(no));
        }
    }

    #[test]
    fn garbage_after_a_closing_quote_stays_in_one_field() {
        let recs = split_all(b"d,\"a\"b,c\n");
        assert_eq!(recs[0].0, ["d", "a", "c"]);
    }

    #[test]
    fn unescape_doubled_quotes() {
        assert_eq!(&*unescape(b"a\"\"b", true), b"a\"b");
        assert_eq!(&*unescape(b"plain", false), b"plain");
    }
}
