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
//! How: 64 bytes at a time, the positions of `,` `"` and `\n` become bit masks (SSE2 on every
//! `x86_64`, AVX2 when the CPU has it), and fields are found by walking the set bits instead of
//! searching byte by byte. Other architectures use the previous splitter, one memchr per field
//! (`record/reference.rs`).
//!
//! The csv crate is the reference: tests check that well-formed input splits into the same
//! fields as `csv::ReaderBuilder` does. Random records must split the same with the block scan
//! (each way of computing the masks, including a portable byte loop) and the memchr splitter.

// The splitter is written as small generic pieces over the way masks are computed, and is only
// fast if they all inline into the one function compiled per instruction set (`split_avx2` runs
// with AVX2 enabled only for what is inlined into it).
#![allow(clippy::inline_always)]
// Off x86_64 the splitter is the memchr one (`record/reference.rs`): memchr has SIMD there and the
// block scan would only have a byte loop, so the block scan is built for its tests only.
#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]

use std::borrow::Cow;

#[cfg(any(test, not(target_arch = "x86_64")))]
mod reference;

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
#[derive(Debug)]
pub struct FieldSplitter {
    fields: Vec<Field>,
    /// AVX2 when this CPU has it (decided once, when the splitter is made).
    #[cfg(target_arch = "x86_64")]
    avx2: Option<Avx2>,
}

#[cfg_attr(
    not(target_arch = "x86_64"),
    allow(
        clippy::derivable_impls,
        reason = "derivable only without the AVX2 field"
    )
)]
impl Default for FieldSplitter {
    fn default() -> Self {
        FieldSplitter {
            fields: Vec::new(),
            #[cfg(target_arch = "x86_64")]
            avx2: Avx2::detect(),
        }
    }
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
    #[allow(unsafe_code)]
    pub fn split_first(&mut self, buf: &[u8], pos: usize, limit: usize) -> Split {
        #[cfg(target_arch = "x86_64")]
        {
            if let Some(avx2) = self.avx2 {
                // SAFETY: an `Avx2` value exists only when the CPU has AVX2, BMI1 and POPCNT
                // (`Avx2::detect`), the features `split_avx2` is compiled for.
                return unsafe { self.split_avx2(avx2, buf, pos, limit) };
            }
            self.split_with(Sse2, buf, pos, limit)
        }
        #[cfg(not(target_arch = "x86_64"))]
        reference::split_into(&mut self.fields, buf, pos, limit)
    }

    /// [`Self::split_with`] compiled with AVX2, so the block scan inlines into it.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,bmi1,popcnt")]
    fn split_avx2(&mut self, avx2: Avx2, buf: &[u8], pos: usize, limit: usize) -> Split {
        self.split_with(avx2, buf, pos, limit)
    }

    /// The splitter proper, over 64-byte blocks whose structural bytes (`,` `"` `\n`) come as
    /// bit masks from `lanes`: each field costs a few bit operations instead of a byte loop.
    #[inline(always)]
    fn split_with<L: Lanes>(&mut self, lanes: L, buf: &[u8], pos: usize, limit: usize) -> Split {
        self.fields.clear();
        let mut blocks = Blocks::new(lanes, buf, pos);
        let mut i = pos;
        let mut newlines = 0u64;
        loop {
            // Unquoted fields, the common case, in a loop of their own.
            while self.fields.len() < limit && buf.get(i) != Some(&b'"') {
                let (sep, last) = blocks.next_separator();
                self.fields.push(Field {
                    start: i,
                    end: trim_cr(buf, i, sep),
                    escaped: false,
                });
                if last {
                    let n = self.fields.len();
                    return finish(buf, pos, sep, newlines, false, n);
                }
                // a comma: another field follows
                i = sep + 1;
            }
            if self.fields.len() >= limit {
                let (extra, at, broken) = count_fields(&mut blocks, i, &mut newlines);
                let field_count = self.fields.len() + extra;
                return finish(buf, pos, at, newlines, broken, field_count);
            }
            match scan_quoted(&mut blocks, i + 1, &mut newlines) {
                Quoted::Closed { end, escaped } => {
                    // Anything between the closing quote and the next separator is kept out of
                    // the value (`"a"b,` reads as `a`; `"a"\r\n` ends the record): such a row
                    // still parses.
                    blocks.skip_to(end + 1);
                    let (sep, last) = blocks.next_separator();
                    self.fields.push(Field {
                        start: i + 1,
                        end,
                        escaped,
                    });
                    if last {
                        let n = self.fields.len();
                        return finish(buf, pos, sep, newlines, false, n);
                    }
                    i = sep + 1;
                }
                Quoted::Broken { at } => {
                    self.fields.push(Field {
                        start: i + 1,
                        end: at,
                        escaped: false,
                    });
                    let n = self.fields.len();
                    return finish(buf, pos, at, newlines, true, n);
                }
            }
        }
    }
}

/// The record starting at `pos` ends at `at` (its newline, or the end of input).
#[inline(always)]
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

/// Counts the fields from a field start `i` to the end of the record without storing them:
/// commas outside quotes, jumping over quoted fields. Returns (fields, where the record ends,
/// whether it ended inside a broken quoted field). Agrees with the storing path field for field.
#[inline(always)]
fn count_fields<L: Lanes>(
    blocks: &mut Blocks<'_, L>,
    mut i: usize,
    newlines: &mut u64,
) -> (usize, usize, bool) {
    let buf = blocks.buf;
    let len = buf.len();
    let mut fields = 1;
    let mut at_field_start = true;
    loop {
        if at_field_start && i < len && buf[i] == b'"' {
            match scan_quoted(blocks, i + 1, newlines) {
                Quoted::Closed { end, .. } => i = end + 1,
                Quoted::Broken { at } => return (fields, at, true),
            }
        }
        // An unquoted stretch: its commas, up to the next quote or newline.
        let (j, commas) = blocks.find_counting_commas(i, |m| m.quote | m.nl);
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

/// Finds the end of a quoted field whose content starts at `from`. Newlines inside quotes are
/// rare (the common quoted field is dlvEsmtpAvailable): each one is counted and checked for the
/// resynchronisation rule as it comes.
#[inline(always)]
fn scan_quoted<L: Lanes>(blocks: &mut Blocks<'_, L>, from: usize, newlines: &mut u64) -> Quoted {
    let buf = blocks.buf;
    let len = buf.len();
    let mut j = from;
    let mut escaped = false;
    loop {
        let q = blocks.find(j, |m| m.quote | m.nl);
        if q >= len {
            return Quoted::Broken { at: len };
        }
        if buf[q] == b'\n' {
            if is_record_start(buf, q + 1) {
                return Quoted::Broken { at: q };
            }
            *newlines += 1;
            j = q + 1;
        } else if q + 1 < len && buf[q + 1] == b'"' {
            escaped = true;
            j = q + 2;
        } else {
            return Quoted::Closed { end: q, escaped };
        }
    }
}

/// Where the structural bytes of a 64-byte block are: bit `k` is set when byte `k` is that byte.
#[derive(Clone, Copy, Debug, Default)]
struct Masks {
    comma: u64,
    quote: u64,
    nl: u64,
}

/// Computes a block's [`Masks`]: with SSE2 (every `x86_64`) or AVX2 (when the CPU has it); with a
/// byte loop in tests.
trait Lanes: Copy {
    fn masks(self, block: &[u8; 64]) -> Masks;
}

/// A byte loop: the plainest statement of what the masks are, for tests.
#[cfg(test)]
#[derive(Clone, Copy, Debug)]
struct Portable;

#[cfg(test)]
impl Lanes for Portable {
    #[inline(always)]
    fn masks(self, block: &[u8; 64]) -> Masks {
        let mut m = Masks::default();
        for (k, &c) in block.iter().enumerate() {
            m.comma |= u64::from(c == b',') << k;
            m.quote |= u64::from(c == b'"') << k;
            m.nl |= u64::from(c == b'\n') << k;
        }
        m
    }
}

#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
struct Sse2;

#[cfg(target_arch = "x86_64")]
impl Lanes for Sse2 {
    #[inline(always)]
    #[allow(unsafe_code)]
    fn masks(self, block: &[u8; 64]) -> Masks {
        // SAFETY: SSE2 is part of the x86_64 baseline: every CPU this code runs on has it.
        unsafe { sse2_masks(block) }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
#[inline]
#[allow(unsafe_code)]
fn sse2_masks(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    let (comma, quote, nl) = (
        _mm_set1_epi8(b',' as i8),
        _mm_set1_epi8(b'"' as i8),
        _mm_set1_epi8(b'\n' as i8),
    );
    let bits = |v, c| u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, c)) as u16);
    let mut m = Masks::default();
    for k in 0..4 {
        // SAFETY: bytes 16k..16k+16 are inside the 64-byte block; `loadu` needs no alignment.
        let v = unsafe { _mm_loadu_si128(block.as_ptr().add(16 * k).cast()) };
        m.comma |= bits(v, comma) << (16 * k);
        m.quote |= bits(v, quote) << (16 * k);
        m.nl |= bits(v, nl) << (16 * k);
    }
    m
}

/// Proof that the CPU has AVX2, BMI1 and POPCNT: only [`Avx2::detect`] makes one.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
struct Avx2(());

#[cfg(target_arch = "x86_64")]
impl Avx2 {
    fn detect() -> Option<Avx2> {
        (std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("bmi1")
            && std::is_x86_feature_detected!("popcnt"))
        .then_some(Avx2(()))
    }
}

#[cfg(target_arch = "x86_64")]
impl Lanes for Avx2 {
    #[inline(always)]
    #[allow(unsafe_code)]
    fn masks(self, block: &[u8; 64]) -> Masks {
        // SAFETY: `self` exists only if the CPU has AVX2 (`Avx2::detect`).
        unsafe { avx2_masks(block) }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
#[allow(unsafe_code)]
fn avx2_masks(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::{
        _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8,
    };
    let (comma, quote, nl) = (
        _mm256_set1_epi8(b',' as i8),
        _mm256_set1_epi8(b'"' as i8),
        _mm256_set1_epi8(b'\n' as i8),
    );
    // SAFETY: both 32-byte halves are inside the 64-byte block; `loadu` needs no alignment.
    let (lo, hi) = unsafe {
        (
            _mm256_loadu_si256(block.as_ptr().cast()),
            _mm256_loadu_si256(block.as_ptr().add(32).cast()),
        )
    };
    let bits = |c| {
        let l = u64::from(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, c)) as u32);
        let h = u64::from(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, c)) as u32);
        l | h << 32
    };
    Masks {
        comma: bits(comma),
        quote: bits(quote),
        nl: bits(nl),
    }
}

/// A cursor over the 64-byte blocks of a buffer, holding the masks of the current one. Searches
/// only move forward; positions at or past the end give the buffer's length.
struct Blocks<'a, L> {
    buf: &'a [u8],
    lanes: L,
    /// Where the current block starts; it covers `base..base + 64` (zero-padded past the end).
    base: usize,
    masks: Masks,
    /// The separators (`,` `\n`) of the current block not yet returned by
    /// [`Self::next_separator`].
    seps: u64,
}

impl<'a, L: Lanes> Blocks<'a, L> {
    #[inline(always)]
    fn new(lanes: L, buf: &'a [u8], pos: usize) -> Self {
        let mut b = Blocks {
            buf,
            lanes,
            base: pos,
            masks: Masks::default(),
            seps: 0,
        };
        b.load();
        b.seps = b.masks.comma | b.masks.nl;
        b
    }

    /// Computes the masks of the block at `base`.
    #[inline(always)]
    fn load(&mut self) {
        let rest = &self.buf[self.base.min(self.buf.len())..];
        self.masks = match rest.first_chunk::<64>() {
            Some(block) => self.lanes.masks(block),
            None => self.tail_masks(rest),
        };
    }

    /// The masks of the last, short block, through a zero-padded copy (zero is no structural byte).
    #[inline(never)]
    fn tail_masks(&self, rest: &[u8]) -> Masks {
        let mut block = [0u8; 64];
        block[..rest.len()].copy_from_slice(rest);
        self.lanes.masks(&block)
    }

    /// Moves to the block after the current one; `false` at the end of the buffer.
    #[inline(always)]
    fn next_block(&mut self) -> bool {
        self.base += 64;
        if self.base >= self.buf.len() {
            // Nothing is found past the end, whichever position is asked for next.
            self.masks = Masks::default();
            return false;
        }
        self.load();
        true
    }

    /// Makes the current block cover `p`; `false` if `p` is at or past the end.
    #[inline(always)]
    fn seek(&mut self, p: usize) -> bool {
        if p.wrapping_sub(self.base) >= 64 {
            if p >= self.buf.len() {
                return false;
            }
            self.base = p;
            self.load();
        }
        true
    }

    /// Makes [`Self::next_separator`] continue from `p`.
    #[inline(always)]
    fn skip_to(&mut self, p: usize) {
        self.seps = if self.seek(p) {
            (self.masks.comma | self.masks.nl) & (u64::MAX << (p - self.base))
        } else {
            0
        };
    }

    /// The next separator (`,` or `\n`) after the previous one (or from where [`Self::new`] or
    /// [`Self::skip_to`] started), and whether it ends the record (a newline, or the end of the
    /// buffer, given as its length).
    #[inline(always)]
    fn next_separator(&mut self) -> (usize, bool) {
        loop {
            if self.seps != 0 {
                let k = self.seps.trailing_zeros();
                self.seps &= self.seps - 1;
                return (self.base + k as usize, self.masks.nl >> k & 1 == 1);
            }
            if !self.next_block() {
                return (self.buf.len(), true);
            }
            self.seps = self.masks.comma | self.masks.nl;
        }
    }

    /// The first position at or after `p` whose byte is in the set `set` picks from the masks,
    /// or the buffer's length.
    #[inline(always)]
    fn find(&mut self, p: usize, set: impl Fn(&Masks) -> u64) -> usize {
        if !self.seek(p) {
            return self.buf.len();
        }
        let mut m = set(&self.masks) & (u64::MAX << (p - self.base));
        loop {
            if m != 0 {
                return self.base + m.trailing_zeros() as usize;
            }
            if !self.next_block() {
                return self.buf.len();
            }
            m = set(&self.masks);
        }
    }

    /// Like [`Self::find`], also counting the commas passed on the way (from `p` on).
    #[inline(always)]
    fn find_counting_commas(&mut self, p: usize, set: impl Fn(&Masks) -> u64) -> (usize, usize) {
        if !self.seek(p) {
            return (self.buf.len(), 0);
        }
        let from = u64::MAX << (p - self.base);
        let mut m = set(&self.masks) & from;
        let mut commas = self.masks.comma & from;
        let mut n = 0;
        loop {
            if m != 0 {
                let before = (m & m.wrapping_neg()) - 1;
                n += (commas & before).count_ones() as usize;
                return (self.base + m.trailing_zeros() as usize, n);
            }
            n += commas.count_ones() as usize;
            if !self.next_block() {
                return (self.buf.len(), n);
            }
            m = set(&self.masks);
            commas = self.masks.comma;
        }
    }
}

#[cfg(test)]
mod tests;
