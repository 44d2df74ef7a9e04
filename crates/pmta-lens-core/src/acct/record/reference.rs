//! The splitter as it was before the block scan: one memchr per field, written for clarity. The
//! reference the block scan is checked against on random input, and the splitter off `x86_64`
//! (where memchr has its own SIMD and the block scan would have only a byte loop).

use memchr::{memchr, memchr2};

// The record's end and the quoted field's outcome mean the same in both splitters.
use super::{Field, Quoted, Split, finish, is_record_start, trim_cr};

/// The reference splitter: same API and results as [`super::FieldSplitter`].
#[cfg(test)]
#[derive(Debug, Default)]
pub struct FieldSplitter {
    fields: Vec<Field>,
}

#[cfg(test)]
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
        split_into(&mut self.fields, buf, pos, limit)
    }
}

/// Splits the record at `pos` into `fields`, as [`super::FieldSplitter::split_first`] does.
pub(super) fn split_into(fields: &mut Vec<Field>, buf: &[u8], pos: usize, limit: usize) -> Split {
    fields.clear();
    let len = buf.len();
    let mut i = pos;
    let mut newlines = 0u64;
    loop {
        if fields.len() >= limit {
            let (extra, at, broken) = count_fields(buf, i, &mut newlines);
            let field_count = fields.len() + extra;
            return finish(buf, pos, at, newlines, broken, field_count);
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
                    fields.push(field);
                    let n = fields.len();
                    return finish(buf, pos, at, newlines, true, n);
                }
            }
        } else {
            let end = find_separator(buf, i);
            field.end = trim_cr(buf, i, end);
            i = end;
        }
        fields.push(field);
        if i >= len || buf[i] == b'\n' {
            let n = fields.len();
            return finish(buf, pos, i, newlines, false, n);
        }
        // a comma: another field follows
        i += 1;
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
