//! The set of linearized operations of one partition, as `u64` words, with a
//! Zobrist hash kept up to date on every change so that hashing a memo key
//! costs O(1) instead of O(words).

use super::fxhash::mix64;

pub struct OpSet {
    words: Vec<u64>,
    /// XOR of `zobrist(op)` over the members.
    hash: u64,
}

/// A fixed pseudo-random 64-bit key per operation (deterministic).
#[inline]
fn zobrist(op: u32) -> u64 {
    mix64((op as u64).wrapping_add(0x9e37_79b9_7f4a_7c15))
}

impl OpSet {
    pub fn new(ops: usize) -> Self {
        OpSet { words: vec![0; ops.div_ceil(64).max(1)], hash: 0 }
    }

    #[inline]
    pub fn insert(&mut self, op: u32) {
        self.words[(op / 64) as usize] |= 1u64 << (op % 64);
        self.hash ^= zobrist(op);
    }

    #[inline]
    pub fn remove(&mut self, op: u32) {
        self.words[(op / 64) as usize] &= !(1u64 << (op % 64));
        self.hash ^= zobrist(op);
    }

    #[inline]
    pub fn contains(&self, op: u32) -> bool {
        self.words[(op / 64) as usize] & (1u64 << (op % 64)) != 0
    }

    #[inline]
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    #[inline]
    pub fn hash(&self) -> u64 {
        self.hash
    }
}
