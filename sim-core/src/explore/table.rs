//! The visited set: fingerprint -> parent fingerprint, open addressing.
//!
//! Fingerprints are already well-mixed 64-bit hashes, so the table indexes
//! by their bits directly (no second hash). It is split into shards by the
//! top bits so that growing one shard never holds two copies of the whole
//! table (peak memory stays near 16 bytes / 0.75 per state). Only probed,
//! never iterated into results: the order of slots cannot reach output.

/// Key 0 marks an empty slot; `ROOT` is the parent of initial states.
pub const ROOT: u64 = u64::MAX;

/// Moves a fingerprint out of the reserved values 0 and `ROOT`.
#[inline]
pub fn normalise(fp: u64) -> u64 {
    match fp {
        0 => 1,
        ROOT => ROOT - 1,
        x => x,
    }
}

const SHARD_BITS: u32 = 6;
const SHARDS: usize = 1 << SHARD_BITS;

#[derive(Clone)]
struct Shard {
    /// (key, parent) pairs; key 0 = empty.
    slots: Vec<(u64, u64)>,
    len: usize,
    mask: usize,
}

impl Shard {
    fn new() -> Self {
        Shard { slots: vec![(0, 0); 64], len: 0, mask: 63 }
    }

    #[inline]
    fn index(&self, key: u64) -> usize {
        // The low bits (the shard uses the top ones).
        (key as usize) & self.mask
    }

    #[inline]
    fn get(&self, key: u64) -> Option<u64> {
        let mut i = self.index(key);
        loop {
            let (k, v) = self.slots[i];
            if k == key {
                return Some(v);
            }
            if k == 0 {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Inserts if absent; true if inserted.
    #[inline]
    fn insert(&mut self, key: u64, parent: u64) -> bool {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mut i = self.index(key);
        loop {
            let k = self.slots[i].0;
            if k == key {
                return false;
            }
            if k == 0 {
                self.slots[i] = (key, parent);
                self.len += 1;
                return true;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Inserts or overwrites; true if inserted.
    #[inline]
    fn set(&mut self, key: u64, value: u64) -> bool {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mut i = self.index(key);
        loop {
            let k = self.slots[i].0;
            if k == key {
                self.slots[i].1 = value;
                return false;
            }
            if k == 0 {
                self.slots[i] = (key, value);
                self.len += 1;
                return true;
            }
            i = (i + 1) & self.mask;
        }
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        let size = old.len() * 2;
        self.slots = vec![(0, 0); size];
        self.mask = size - 1;
        for (k, v) in old {
            if k != 0 {
                let mut i = self.index(k);
                while self.slots[i].0 != 0 {
                    i = (i + 1) & self.mask;
                }
                self.slots[i] = (k, v);
            }
        }
    }
}

/// Fingerprint -> parent fingerprint (see module docs).
#[derive(Clone)]
pub struct FpMap {
    shards: Vec<Shard>,
    len: u64,
}

impl Default for FpMap {
    fn default() -> Self {
        FpMap::new()
    }
}

impl FpMap {
    pub fn new() -> Self {
        FpMap { shards: (0..SHARDS).map(|_| Shard::new()).collect(), len: 0 }
    }

    #[inline]
    fn shard(key: u64) -> usize {
        (key >> (64 - SHARD_BITS)) as usize
    }

    /// The parent recorded for `key` (normalised), if present.
    #[inline]
    pub fn get(&self, key: u64) -> Option<u64> {
        self.shards[Self::shard(key)].get(key)
    }

    #[inline]
    pub fn contains(&self, key: u64) -> bool {
        self.get(key).is_some()
    }

    /// Records `key` with `parent` unless present; true if it was new.
    #[inline]
    pub fn insert(&mut self, key: u64, parent: u64) -> bool {
        debug_assert!(key != 0 && key != ROOT);
        let new = self.shards[Self::shard(key)].insert(key, parent);
        self.len += new as u64;
        new
    }

    /// Records `value` for `key`, replacing any earlier one.
    #[inline]
    pub fn set(&mut self, key: u64, value: u64) {
        debug_assert!(key != 0 && key != ROOT);
        let new = self.shards[Self::shard(key)].set(key, value);
        self.len += new as u64;
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chain of keys from a root to `key` (root first).
    pub fn chain_to(&self, key: u64) -> Vec<u64> {
        let mut chain = vec![key];
        let mut k = key;
        while let Some(p) = self.get(k) {
            if p == ROOT || chain.len() as u64 > self.len {
                break;
            }
            chain.push(p);
            k = p;
        }
        chain.reverse();
        chain
    }

    /// Empties the map, keeping its capacity.
    pub fn clear(&mut self) {
        for shard in &mut self.shards {
            if shard.len > 0 {
                shard.slots.iter_mut().for_each(|s| *s = (0, 0));
                shard.len = 0;
            }
        }
        self.len = 0;
    }

    /// Bytes held by the slots.
    pub fn memory_bytes(&self) -> usize {
        self.shards.iter().map(|s| s.slots.len() * 16).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_chain() {
        let mut m = FpMap::new();
        assert!(m.insert(5, ROOT));
        assert!(!m.insert(5, 7));
        for k in 6..10_000u64 {
            let key = normalise(crate::hash::stable_hash(&k));
            let parent = normalise(crate::hash::stable_hash(&(k - 1)));
            m.insert(key, if k == 6 { 5 } else { parent });
        }
        assert_eq!(m.len(), 9_995);
        let last = normalise(crate::hash::stable_hash(&9_999u64));
        let chain = m.chain_to(last);
        assert_eq!(chain.len(), 9_995);
        assert_eq!(chain[0], 5);
    }
}
