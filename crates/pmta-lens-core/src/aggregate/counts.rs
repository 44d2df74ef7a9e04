//! Counts by record type for many keys (a large sender's every recipient domain) in 32 bytes a
//! key instead of 64: `u32` counters, and the rare key that outgrows one (four billion rows of
//! one domain in one run) kept with `u64` counters on the side.

use std::collections::BTreeMap;

use crate::model::{RecordKind, TypeCounts};

/// Per-type counts of keys `0..len`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CountTable {
    narrow: Vec<[u32; 8]>,
    /// What did not fit in `narrow`, per key.
    wide: BTreeMap<u32, TypeCounts>,
}

impl CountTable {
    /// A table of `len` keys, all zero.
    pub fn zeroed(len: usize) -> CountTable {
        CountTable {
            narrow: vec![[0; 8]; len],
            wide: BTreeMap::new(),
        }
    }

    /// Adds a key with zero counts; returns it.
    pub fn push(&mut self) -> u32 {
        self.narrow.push([0; 8]);
        (self.narrow.len() - 1) as u32
    }

    pub fn len(&self) -> usize {
        self.narrow.len()
    }

    pub fn is_empty(&self) -> bool {
        self.narrow.is_empty()
    }

    /// Counts one row of `kind` for `key`.
    #[inline]
    pub fn add(&mut self, key: u32, kind: RecordKind) {
        let slot = &mut self.narrow[key as usize][kind.index()];
        if let Some(n) = slot.checked_add(1) {
            *slot = n;
        } else {
            self.spill(key);
            self.narrow[key as usize][kind.index()] = 1;
        }
    }

    /// Adds `counts` to `key`.
    pub fn add_counts(&mut self, key: u32, counts: &TypeCounts) {
        for kind in RecordKind::ALL {
            let n = counts.get(kind);
            if n == 0 {
                continue;
            }
            let slot = self.narrow[key as usize][kind.index()];
            match u32::try_from(n).ok().and_then(|n| slot.checked_add(n)) {
                Some(sum) => self.narrow[key as usize][kind.index()] = sum,
                None => self.wide.entry(key).or_default().add(kind, n),
            }
        }
    }

    /// Moves a key's narrow counts to the wide side.
    fn spill(&mut self, key: u32) {
        let narrow = std::mem::take(&mut self.narrow[key as usize]);
        let wide = self.wide.entry(key).or_default();
        for kind in RecordKind::ALL {
            wide.add(kind, u64::from(narrow[kind.index()]));
        }
    }

    /// The counts of `key`.
    #[inline]
    pub fn get(&self, key: u32) -> TypeCounts {
        let mut out = TypeCounts(self.narrow[key as usize].map(u64::from));
        if let Some(w) = self.wide.get(&key) {
            out.merge(w);
        }
        out
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.narrow.capacity() * std::mem::size_of::<[u32; 8]>()
            + self.wide.len() * (std::mem::size_of::<TypeCounts>() + 16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_past_u32_spill_without_loss() {
        let mut t = CountTable::default();
        let k = t.push();
        let other = t.push();
        let mut big = TypeCounts::default();
        big.add(RecordKind::Delivered, u64::from(u32::MAX) - 1);
        t.add_counts(k, &big);
        t.add(k, RecordKind::Delivered);
        t.add(k, RecordKind::Delivered);
        t.add(k, RecordKind::Bounced);
        t.add(other, RecordKind::Delivered);
        let c = t.get(k);
        assert_eq!(c.get(RecordKind::Delivered), u64::from(u32::MAX) + 1);
        assert_eq!(c.get(RecordKind::Bounced), 1);
        assert_eq!(t.get(other).total(), 1);
        let mut huge = TypeCounts::default();
        huge.add(RecordKind::Transient, 10 * u64::from(u32::MAX));
        t.add_counts(other, &huge);
        t.add_counts(other, &huge);
        assert_eq!(
            t.get(other).get(RecordKind::Transient),
            20 * u64::from(u32::MAX)
        );
        assert_eq!(t.len(), 2);
    }
}
