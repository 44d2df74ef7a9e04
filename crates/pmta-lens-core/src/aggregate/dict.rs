//! Interned byte strings with dense `u32` ids: every distinct VMTA, IP, pool or domain is stored
//! once, in one growing buffer, and the hash table holds only where each string is (with 32 bits
//! of its hash, so growing the table or probing it never reads the strings back). A string costs
//! its bytes plus about 30 (its record's header and padding, its start, its table slot), so a
//! table keyed by ids grows with the number of distinct values, not rows.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use rustc_hash::FxBuildHasher;

/// Distinct byte strings, each with a dense id in insertion order.
#[derive(Clone, Default)]
pub struct Dict {
    /// Every string as a record: its length and id (4 bytes each, little-endian), its bytes,
    /// zeros up to a multiple of 8. A probe that finds a matching hash reads the length, the id
    /// and the first bytes from one cache line: on a large dictionary (a sender's 100,000
    /// recipient domains) each lookup that misses the cache costs two misses (the table's slot
    /// and the record), not three.
    records: Vec<u8>,
    /// Where each id's record starts, in 8-byte units (for [`Self::get`], off the hot path).
    starts: Vec<u32>,
    /// Records, found by the hash of their bytes: (start in 8-byte units, the hash's high 32
    /// bits). A table that grows rehashes from the kept bits, not from the strings (a million
    /// new domains meant a million cache misses per doubling), and a probe reads a record only
    /// when the bits match.
    table: HashTable<(u32, u32)>,
}

impl std::fmt::Debug for Dict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dict").field("len", &self.len()).finish()
    }
}

/// A record's header: the string's length and its id.
const HEADER: usize = 8;

/// The 32 bits of a string's hash that the table keeps (the high ones: `FxHash` mixes its
/// input into them best).
#[inline]
fn hash(s: &[u8]) -> u32 {
    (FxBuildHasher.hash_one(s) >> 32) as u32
}

/// The table's 64-bit hash of a kept one: spread by an odd multiplier so that both the bits the
/// table indexes with (the low ones) and its tag (the top seven) depend on all 32.
#[inline]
fn spread(h: u32) -> u64 {
    u64::from(h).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(h)
}

#[inline]
fn u32_at(records: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&records[at..at + 4]);
    u32::from_le_bytes(b)
}

/// The string and id of the record at `slot` (in 8-byte units).
#[inline]
fn record(records: &[u8], slot: u32) -> (&[u8], u32) {
    let at = slot as usize * 8;
    let len = u32_at(records, at) as usize;
    let id = u32_at(records, at + 4);
    (&records[at + HEADER..at + HEADER + len], id)
}

/// Whether two strings are equal, without a call to `memcmp` for the short ones (domains, VMTA
/// names): a library call per probe cost more than the comparison.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    };
    if (8..=16).contains(&n) {
        // Two overlapping words cover every byte.
        word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8)
    } else {
        a == b
    }
}

impl Dict {
    /// The id of `s`, adding it if it is new.
    ///
    /// # Panics
    ///
    /// Past `u32::MAX` distinct strings or 32 GiB of them (far beyond any memory budget).
    #[inline]
    pub fn intern(&mut self, s: &[u8]) -> u32 {
        self.intern_new(s).0
    }

    /// The id of `s` and whether it was added by this call.
    #[inline]
    pub fn intern_new(&mut self, s: &[u8]) -> (u32, bool) {
        let h = hash(s);
        let records = &self.records;
        let entry = self.table.entry(
            spread(h),
            |&(slot, kept)| kept == h && same(record(records, slot).0, s),
            |&(_, kept)| spread(kept),
        );
        match entry {
            Entry::Occupied(e) => (record(&self.records, e.get().0).1, false),
            Entry::Vacant(e) => {
                let id =
                    u32::try_from(self.starts.len()).expect("fewer than 2^32 distinct strings");
                let slot = u32::try_from(self.records.len() / 8).expect("under 32 GiB of strings");
                let len = u32::try_from(s.len()).expect("a string under 4 GiB");
                e.insert((slot, h));
                self.records.extend_from_slice(&len.to_le_bytes());
                self.records.extend_from_slice(&id.to_le_bytes());
                self.records.extend_from_slice(s);
                let padded = self.records.len().next_multiple_of(8);
                self.records.resize(padded, 0);
                self.starts.push(slot);
                (id, true)
            }
        }
    }

    /// The id of `s`, if it is in the dictionary.
    pub fn find(&self, s: &[u8]) -> Option<u32> {
        let h = hash(s);
        self.table
            .find(spread(h), |&(slot, kept)| {
                kept == h && same(record(&self.records, slot).0, s)
            })
            .map(|&(slot, _)| record(&self.records, slot).1)
    }

    /// The string of an id from this dictionary.
    #[inline]
    pub fn get(&self, id: u32) -> &[u8] {
        record(&self.records, self.starts[id as usize]).0
    }

    /// The string of an id as text (invalid UTF-8 replaced).
    pub fn text(&self, id: u32) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.get(id))
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// The bytes of every string together.
    pub fn bytes_len(&self) -> usize {
        self.iter().map(<[u8]>::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Every string, by id.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> {
        self.starts
            .iter()
            .map(|&slot| record(&self.records, slot).0)
    }

    /// Adds every string of `other`; returns the id in `self` of each id of `other`.
    pub fn absorb(&mut self, other: &Dict) -> Vec<u32> {
        other.iter().map(|s| self.intern(s)).collect()
    }

    /// Heap bytes held (for tests and `--stats`).
    pub fn heap_bytes(&self) -> usize {
        self.records.capacity()
            + self.starts.capacity() * std::mem::size_of::<u32>()
            + self.table.allocation_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_stable_and_round_trip() {
        let mut d = Dict::default();
        let words: [&[u8]; 5] = [
            b"hotmail.com",
            b"",
            b"gmail.com",
            b"Hotmail.com",
            b"\xff\x00x",
        ];
        let ids: Vec<u32> = words.iter().map(|w| d.intern(w)).collect();
        assert_eq!(ids, [0, 1, 2, 3, 4]);
        for (w, id) in words.iter().zip(&ids) {
            assert_eq!(d.intern(w), *id, "interning again gives the same id");
            assert_eq!(d.get(*id), *w);
            assert_eq!(d.find(w), Some(*id));
        }
        assert_eq!(d.find(b"yahoo.com"), None);
        assert_eq!(d.intern_new(b"gmail.com"), (2, false));
        assert_eq!(d.intern_new(b"yahoo.com"), (5, true));
        assert_eq!(d.len(), 6);
    }

    #[test]
    fn many_strings_survive_growth() {
        let mut d = Dict::default();
        for i in 0..50_000u32 {
            assert_eq!(d.intern(format!("d{i}.example").as_bytes()), i);
        }
        for i in (0..50_000u32).step_by(997) {
            assert_eq!(d.find(format!("d{i}.example").as_bytes()), Some(i));
            assert_eq!(d.text(i), format!("d{i}.example"));
        }
    }

    #[test]
    fn strings_differing_in_one_byte_at_any_length_are_told_apart() {
        let mut d = Dict::default();
        let mut ids = Vec::new();
        for n in 0..40usize {
            let base: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            ids.push(d.intern(&base));
            for at in 0..n {
                let mut other = base.clone();
                other[at] = b'#';
                let id = d.intern(&other);
                assert_eq!(d.get(id), &other[..]);
                assert_ne!(id, ids[n], "length {n}, byte {at}");
            }
        }
        for (n, &id) in ids.iter().enumerate() {
            let base: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert_eq!(d.find(&base), Some(id));
            assert_eq!(d.get(id), &base[..]);
        }
        assert_eq!(d.bytes_len(), d.iter().map(<[u8]>::len).sum::<usize>());
    }

    #[test]
    fn absorb_maps_ids() {
        let mut a = Dict::default();
        a.intern(b"x");
        a.intern(b"y");
        let mut b = Dict::default();
        b.intern(b"y");
        b.intern(b"z");
        let map = a.absorb(&b);
        assert_eq!(map, [1, 2]);
        assert_eq!(a.get(2), b"z");
    }
}
