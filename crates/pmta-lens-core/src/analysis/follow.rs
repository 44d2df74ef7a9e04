//! Which rows the follow-up pass reads: the attempts of the recipients and queues that had an
//! RP-001, and the deliveries of the recipients that complained (both found by the main scan).
//! Most rows are declined on sight, from their type and recipient read off the raw line before
//! it is split (`scan::RowSink::skim`); the rest after splitting, before the timestamp is parsed
//! or the response classified (`scan::RowSink::wants`). The pass costs little more than finding
//! the line ends.

use memchr::memchr;
use rustc_hash::FxHashSet;

use crate::acct::header::{Col, Header};
use crate::model::RecordKind;

use super::retry::Targets;

/// A bitmap over a case-folded hash of addresses: a cheap "certainly not" before the exact,
/// case-sensitive or lowercased, set lookups. No false negatives: addresses equal when
/// lowercased hash alike.
#[derive(Debug)]
pub struct Sieve {
    bits: Vec<u64>,
}

impl Sieve {
    /// 2^20 bits (128 KiB, stays in cache): under 2 % false positives for 20 000 addresses.
    const BITS: u32 = 20;

    pub fn new<'k>(keys: impl IntoIterator<Item = &'k [u8]>) -> Sieve {
        let mut s = Sieve {
            bits: vec![0; 1 << (Self::BITS - 6)],
        };
        for k in keys {
            let h = Self::slot_of(Self::hash(k)) as usize;
            s.bits[h >> 6] |= 1 << (h & 63);
        }
        s
    }

    #[inline]
    pub fn may_contain(&self, key: &[u8]) -> bool {
        self.has_hash(Self::hash(key))
    }

    /// [`Self::may_contain`] for a key whose [`Self::hash`] is known.
    #[inline]
    pub fn has_hash(&self, hash: u32) -> bool {
        let h = Self::slot_of(hash) as usize;
        self.bits[h >> 6] & (1 << (h & 63)) != 0
    }

    /// The bit of a key's [`Self::hash`]: its high bits.
    #[inline]
    fn slot_of(hash: u32) -> u32 {
        hash >> (32 - Self::BITS)
    }

    /// A 32-bit hash of `key`'s 8-byte words with bit 0x20 set in every byte, which lowercases
    /// ASCII letters (and folds some punctuation together, harmless here): keys equal when
    /// lowercased hash alike.
    #[inline]
    pub fn hash(key: &[u8]) -> u32 {
        const FOLD: u64 = 0x2020_2020_2020_2020;
        let mix =
            |h: u64, w: u64| (h.rotate_left(5) ^ (w | FOLD)).wrapping_mul(0x517C_C1B7_2722_0A95);
        let mut h = (key.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut words = key.chunks_exact(8);
        for w in &mut words {
            h = mix(h, u64::from_le_bytes(w.try_into().unwrap_or_default()));
        }
        let rest = words.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        (mix(h, u64::from_le_bytes(last)) >> 32) as u32
    }
}

/// The rows the follow-up pass needs.
#[derive(Debug)]
pub struct Wanted<'a> {
    targets: &'a Targets,
    /// Lowercased complaining recipients.
    complainers: &'a FxHashSet<Box<[u8]>>,
    recipients: Sieve,
    /// The [`Sieve::hash`] of each wanted recipient, for rows known by their hash alone: a
    /// 32-bit hash tells them apart where the sieve's 20-bit slot lets one in a hundred through.
    hashes: FxHashSet<u32>,
}

impl<'a> Wanted<'a> {
    pub fn new(targets: &'a Targets, complainers: &'a FxHashSet<Box<[u8]>>) -> Wanted<'a> {
        let keys = || {
            targets
                .recipient_keys()
                .chain(complainers.iter().map(|k| &k[..]))
        };
        Wanted {
            targets,
            complainers,
            recipients: Sieve::new(keys()),
            hashes: keys().map(Sieve::hash).collect(),
        }
    }

    /// Whether a row can be the retry of an RP-001 or the delivery a complaint is about.
    #[inline]
    pub fn wants<'d>(&self, kind: RecordKind, field: &dyn Fn(Col) -> &'d [u8]) -> bool {
        if !kind.is_attempt() {
            return false;
        }
        if self.targets.has_queue(field(Col::Queue)) {
            return true;
        }
        if kind == RecordKind::TransientQueue {
            return false;
        }
        let rcpt = field(Col::Rcpt);
        if !self.recipients.may_contain(rcpt) {
            return false;
        }
        self.targets.has_recipient(rcpt)
            || (kind == RecordKind::Delivered && self.is_complainer(rcpt))
    }

    /// [`Self::wants`] on a raw line (without its line ending) before it is split: `false` only
    /// when certain, e.g. the recipient is in neither set. Unsure (a quoted field before the
    /// recipient, a queue to check, an unknown type): `true`, and [`Self::wants`] decides.
    #[inline]
    pub fn may_want(&self, line: &[u8], h: &Header) -> bool {
        let type_end = memchr(b',', line).unwrap_or(line.len());
        let Some(kind) = RecordKind::from_bytes(&line[..type_end]) else {
            return true;
        };
        if !kind.is_attempt() {
            return false;
        }
        if self.targets.has_queues() {
            return true;
        }
        if kind == RecordKind::TransientQueue {
            return false;
        }
        match h.pos(Col::Rcpt).and_then(|p| unquoted_field(line, p)) {
            Some(rcpt) => self.recipients.may_contain(rcpt),
            None => true,
        }
    }

    /// [`Self::wants`] for a recipient known only by its [`Sieve::hash`] (no queue targets):
    /// `false` only when certain.
    #[inline]
    pub fn may_want_hash(&self, hash: u32) -> bool {
        self.recipients.has_hash(hash) && self.hashes.contains(&hash)
    }

    /// Whether rows are wanted for their queue (then no recipient alone rules a row out).
    pub fn by_queue(&self) -> bool {
        self.targets.has_queues()
    }

    fn is_complainer(&self, rcpt: &[u8]) -> bool {
        let mut buf = [0u8; 320];
        let Some(lower) = buf.get_mut(..rcpt.len()) else {
            // Longer than any address SMTP allows: look it up the slow way.
            return self.complainers.contains(&rcpt.to_ascii_lowercase()[..]);
        };
        lower.copy_from_slice(rcpt);
        lower.make_ascii_lowercase();
        self.complainers.contains(&lower[..])
    }
}

/// Field `n` of a raw CSV line, if neither it nor a field before it is quoted (a quoted field
/// may hold commas: then only a real split can tell).
#[inline]
fn unquoted_field(line: &[u8], n: usize) -> Option<&[u8]> {
    let mut start = 0;
    for _ in 0..n {
        if line.get(start) == Some(&b'"') {
            return None;
        }
        start += memchr(b',', line.get(start..)?)? + 1;
    }
    let rest = line.get(start..)?;
    if rest.first() == Some(&b'"') {
        return None;
    }
    Some(&rest[..memchr(b',', rest).unwrap_or(rest.len())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquoted_fields_are_read_and_quoted_ones_left_to_the_splitter() {
        let line = b"d,2026-11-20 10:00:00+0000,a@x.example,\"q,uoted\",last";
        assert_eq!(unquoted_field(line, 0), Some(&b"d"[..]));
        assert_eq!(unquoted_field(line, 2), Some(&b"a@x.example"[..]));
        assert_eq!(unquoted_field(line, 3), None, "quoted");
        assert_eq!(unquoted_field(line, 4), None, "after a quoted field");
        assert_eq!(unquoted_field(b"d,,", 1), Some(&b""[..]));
        assert_eq!(unquoted_field(b"d,a", 2), None, "past the end");
    }

    #[test]
    fn the_sieve_never_misses_and_folds_case() {
        let keys: Vec<Vec<u8>> = (0..20_000)
            .map(|i| format!("user{i:05}@hotmail.com").into_bytes())
            .collect();
        let s = Sieve::new(keys.iter().map(|k| &k[..]));
        for k in &keys {
            assert!(s.may_contain(k));
            assert!(s.may_contain(&k.to_ascii_uppercase()));
        }
        assert!(s.may_contain(b"User00042@Hotmail.COM"));
        let misses = (0..20_000)
            .filter(|i| s.may_contain(format!("other{i:05}@gmail.com").as_bytes()))
            .count();
        assert!(misses < 600, "{misses} false positives in 20 000");
        // short keys and the empty key work too
        let short = Sieve::new([&b"a@b"[..], b""]);
        assert!(short.may_contain(b"A@B") && short.may_contain(b""));
    }
}
