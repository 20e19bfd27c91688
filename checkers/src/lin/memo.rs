//! Lowe's memo: the set of (linearized operations, model state) pairs the
//! search has already explored. Reaching a pair again cannot lead anywhere
//! new, so the search skips it.
//!
//! Entries live in one flat arena (`words` per entry, then the state id) and
//! an open-addressing table of entry numbers points into it. That keeps an
//! entry at `8 * words + 16` bytes and no allocation per entry, and lets the
//! memory bound be exact: past `max_bytes` the insert reports `Full` and the
//! checker answers `unknown` instead of growing without limit.

pub enum Insert {
    /// The pair was new and is now recorded.
    New,
    /// The pair was seen before.
    Seen,
    /// Recording it would pass the memory cap.
    Full,
}

pub struct Memo {
    words: usize,
    /// `words` bitset words per entry.
    keys: Vec<u64>,
    states: Vec<u32>,
    hashes: Vec<u64>,
    /// Entry number + 1; 0 marks an empty slot. Length is a power of two.
    slots: Vec<u32>,
    max_bytes: usize,
}

const EMPTY: u32 = 0;

impl Memo {
    pub fn new(words: usize, max_bytes: usize) -> Self {
        Memo { words, keys: Vec::new(), states: Vec::new(), hashes: Vec::new(), slots: vec![EMPTY; 1024], max_bytes }
    }

    /// Bytes held now (capacity, which is what the allocator really gave).
    pub fn bytes(&self) -> usize {
        self.keys.capacity() * 8 + self.states.capacity() * 4 + self.hashes.capacity() * 8 + self.slots.len() * 4
    }

    /// Records (set, state) unless already present. `set_hash` must be a
    /// hash of `set` alone; the state is mixed in here.
    #[inline]
    pub fn insert(&mut self, set: &[u64], set_hash: u64, state: u32) -> Insert {
        debug_assert_eq!(set.len(), self.words);
        let hash = super::fxhash::mix64(set_hash ^ (state as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mask = self.slots.len() - 1;
        let mut i = (hash as usize) & mask;
        loop {
            let slot = self.slots[i];
            if slot == EMPTY {
                break;
            }
            let e = (slot - 1) as usize;
            if self.hashes[e] == hash
                && self.states[e] == state
                && &self.keys[e * self.words..(e + 1) * self.words] == set
            {
                return Insert::Seen;
            }
            i = (i + 1) & mask;
        }
        if self.would_pass_cap() {
            return Insert::Full;
        }
        let e = self.states.len();
        if e as u64 + 1 >= u32::MAX as u64 {
            return Insert::Full;
        }
        self.keys.extend_from_slice(set);
        self.states.push(state);
        self.hashes.push(hash);
        self.slots[i] = e as u32 + 1;
        // Keep the load factor at most 1/2 so probes stay short.
        if self.states.len() * 2 > self.slots.len() {
            self.grow();
        }
        Insert::New
    }

    /// Whether the next insert could make a vector reallocate past the cap.
    fn would_pass_cap(&self) -> bool {
        let n = self.states.len();
        // The arena vectors double when full; the table doubles at load 1/2.
        let grow_keys = if self.keys.len() + self.words > self.keys.capacity() {
            (self.keys.capacity() * 2).max(self.words * 8) * 8
        } else {
            0
        };
        let grow_meta = if n == self.states.capacity() { (n * 2).max(8) * 12 } else { 0 };
        let grow_table = if (n + 1) * 2 > self.slots.len() { self.slots.len() * 8 } else { 0 };
        self.bytes() + grow_keys + grow_meta + grow_table > self.max_bytes
    }

    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        let mask = size - 1;
        let mut slots = vec![EMPTY; size];
        for (e, &h) in self.hashes.iter().enumerate() {
            let mut i = (h as usize) & mask;
            while slots[i] != EMPTY {
                i = (i + 1) & mask;
            }
            slots[i] = e as u32 + 1;
        }
        self.slots = slots;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_pairs_and_respects_the_cap() {
        let mut memo = Memo::new(2, 1 << 20);
        assert!(matches!(memo.insert(&[1, 0], 7, 3), Insert::New));
        assert!(matches!(memo.insert(&[1, 0], 7, 3), Insert::Seen));
        assert!(matches!(memo.insert(&[1, 0], 7, 4), Insert::New));
        assert!(matches!(memo.insert(&[3, 0], 9, 3), Insert::New));
        for i in 0..5000u64 {
            memo.insert(&[i, i], i, 0);
        }
        assert!(memo.insert(&[1, 0], 7, 3).is_seen());
        let mut small = Memo::new(2, 64 * 1024);
        let mut full = false;
        for i in 0..100_000u64 {
            if matches!(small.insert(&[i, 0], i, 0), Insert::Full) {
                full = true;
                break;
            }
        }
        assert!(full);
        assert!(small.bytes() <= 64 * 1024);
    }

    impl Insert {
        fn is_seen(&self) -> bool {
            matches!(self, Insert::Seen)
        }
    }
}
