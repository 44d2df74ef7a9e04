//! Interned byte strings with dense `u32` ids: every distinct VMTA, IP, pool or domain is stored
//! once, in one growing buffer, and the hash table holds only ids (with 32 bits of each string's
//! hash, so growing the table or probing it never reads the strings back). A string costs its
//! bytes plus about 20 bytes, so a table keyed by ids grows with the number of distinct values,
//! not rows.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use rustc_hash::FxBuildHasher;

/// Distinct byte strings, each with a dense id in insertion order.
#[derive(Clone, Default)]
pub struct Dict {
    /// Every string, back to back.
    bytes: Vec<u8>,
    /// Where each string ends in `bytes` (it starts where the one before ends).
    ends: Vec<usize>,
    /// Ids, found by the hash of their bytes, each with the hash's high 32 bits: a table that
    /// grows rehashes from those, not from the strings (a million new domains meant a million
    /// cache misses per doubling), and a probe compares strings only when they match.
    table: HashTable<(u32, u32)>,
}

impl std::fmt::Debug for Dict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dict").field("len", &self.len()).finish()
    }
}

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
fn slice<'a>(bytes: &'a [u8], ends: &[usize], id: u32) -> &'a [u8] {
    let i = id as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &bytes[start..ends[i]]
}

impl Dict {
    /// The id of `s`, adding it if it is new.
    ///
    /// # Panics
    ///
    /// Past `u32::MAX` distinct strings (some 4 billion: far beyond any memory budget).
    #[inline]
    pub fn intern(&mut self, s: &[u8]) -> u32 {
        self.intern_new(s).0
    }

    /// The id of `s` and whether it was added by this call.
    #[inline]
    pub fn intern_new(&mut self, s: &[u8]) -> (u32, bool) {
        let h = hash(s);
        let (bytes, ends) = (&self.bytes, &self.ends);
        let entry = self.table.entry(
            spread(h),
            |&(id, kept)| kept == h && slice(bytes, ends, id) == s,
            |&(_, kept)| spread(kept),
        );
        match entry {
            Entry::Occupied(e) => (e.get().0, false),
            Entry::Vacant(e) => {
                let id = u32::try_from(self.ends.len()).expect("fewer than 2^32 distinct strings");
                e.insert((id, h));
                self.bytes.extend_from_slice(s);
                self.ends.push(self.bytes.len());
                (id, true)
            }
        }
    }

    /// The id of `s`, if it is in the dictionary.
    pub fn find(&self, s: &[u8]) -> Option<u32> {
        let h = hash(s);
        self.table
            .find(spread(h), |&(id, kept)| {
                kept == h && slice(&self.bytes, &self.ends, id) == s
            })
            .map(|&(id, _)| id)
    }

    /// The string of an id from this dictionary.
    #[inline]
    pub fn get(&self, id: u32) -> &[u8] {
        slice(&self.bytes, &self.ends, id)
    }

    /// The string of an id as text (invalid UTF-8 replaced).
    pub fn text(&self, id: u32) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.get(id))
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The bytes of every string together.
    pub fn bytes_len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Every string, by id.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> {
        (0..self.ends.len()).map(|i| slice(&self.bytes, &self.ends, i as u32))
    }

    /// Adds every string of `other`; returns the id in `self` of each id of `other`.
    pub fn absorb(&mut self, other: &Dict) -> Vec<u32> {
        other.iter().map(|s| self.intern(s)).collect()
    }

    /// Heap bytes held (for tests and `--stats`).
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity()
            + self.ends.capacity() * std::mem::size_of::<usize>()
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
