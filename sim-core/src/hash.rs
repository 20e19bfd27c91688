//! The stable hash used for trace hashes and state fingerprints.
//!
//! `std`'s `DefaultHasher` may change between Rust releases, so a trace hash
//! computed with it would not mean the same run after a toolchain upgrade.
//! This hasher is specified here and never changes:
//!
//! * every integer is encoded as one little-endian `u64` word (`usize`/`isize`
//!   widened to 64 bits, signed values sign-extended), so the encoding is the
//!   same on every platform;
//! * a byte slice is split into 8-byte little-endian words, the last one
//!   zero-padded, followed by a word holding the slice length;
//! * each word `w` is mixed as `h = (rotl(h, 5) ^ w) * 0x517cc1b727220a95`
//!   (the FxHash step), starting from `h = 0`;
//! * `finish` applies the SplitMix64 finaliser to `h`.
//!
//! Values reach it through `#[derive(Hash)]` on protocol types, whose field
//! order and enum discriminants are part of the canonical encoding.

use std::hash::{Hash, Hasher};

const FX_K: u64 = 0x517c_c1b7_2722_0a95;

/// The specified stable hasher (see module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StableHasher {
    state: u64,
}

impl StableHasher {
    pub fn new() -> Self {
        StableHasher { state: 0 }
    }

    /// The state before the finaliser.
    pub fn raw(&self) -> u64 {
        self.state
    }

    #[inline]
    pub fn add_word(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(FX_K);
    }
}

/// SplitMix64's finaliser: spreads every input bit over the output.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Hasher for StableHasher {
    #[inline]
    fn finish(&self) -> u64 {
        mix64(self.state)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add_word(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add_word(u64::from_le_bytes(buf));
        }
        self.add_word(bytes.len() as u64);
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add_word(i as u64);
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add_word(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add_word(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add_word(i);
    }
    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.add_word(i as u64);
        self.add_word((i >> 64) as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add_word(i as u64);
    }
    #[inline]
    fn write_i8(&mut self, i: i8) {
        self.add_word(i as i64 as u64);
    }
    #[inline]
    fn write_i16(&mut self, i: i16) {
        self.add_word(i as i64 as u64);
    }
    #[inline]
    fn write_i32(&mut self, i: i32) {
        self.add_word(i as i64 as u64);
    }
    #[inline]
    fn write_i64(&mut self, i: i64) {
        self.add_word(i as u64);
    }
    #[inline]
    fn write_isize(&mut self, i: isize) {
        self.add_word(i as i64 as u64);
    }
}

/// The stable hash of one value.
pub fn stable_hash<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = StableHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// Formats a hash the way faultline prints it: 16 lowercase hex digits.
pub fn hash_hex(hash: u64) -> String {
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the algorithm: if this changes, every recorded trace hash changes.
    #[test]
    fn known_values_never_change() {
        assert_eq!(stable_hash(&0u64), mix64(0));
        let mut h = StableHasher::new();
        h.add_word(1);
        assert_eq!(h.finish(), mix64(FX_K));
        assert_eq!(hash_hex(stable_hash(&(1u32, "ab", vec![3u8]))), "fa8428d280d03c5f");
    }

    #[test]
    fn platform_width_does_not_matter() {
        assert_eq!(stable_hash(&5usize), stable_hash(&5u64));
        assert_eq!(stable_hash(&-5isize), stable_hash(&-5i64));
    }
}
