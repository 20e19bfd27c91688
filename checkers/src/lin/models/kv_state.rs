//! One key's string value, built for the search: O(1) clone, hash, append
//! and (almost always) comparison.
//!
//! A kv history with appends reaches tens of thousands of distinct strings
//! per key (every order of concurrent appends is another string), each
//! hundreds of bytes long. Copying and hashing those strings dominated the
//! check, so a value is a persistent chain of appended pieces with its
//! length and a polynomial hash kept alongside. Equality compares length
//! and hash first and the real contents only when those agree, so it is
//! exact: a hash collision costs time, never a wrong verdict.

use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// Base of the polynomial string hash (odd, so multiplication by it is a
/// bijection mod 2^64).
const BASE: u64 = 0x100_0000_01b3;

/// The hash of `s` and `BASE^len(s)`, to extend a hash by `s` in O(1).
pub fn poly_hash(s: &str) -> (u64, u64) {
    let mut h = 0u64;
    let mut pow = 1u64;
    for &b in s.as_bytes() {
        h = h.wrapping_mul(BASE).wrapping_add(b as u64 + 1);
        pow = pow.wrapping_mul(BASE);
    }
    (h, pow)
}

/// A piece of text with its precomputed hash, shared between operations
/// and states.
#[derive(Debug)]
pub struct Piece {
    pub text: Rc<str>,
    pub hash: u64,
    pub pow: u64,
}

impl Piece {
    pub fn new(text: &str) -> Self {
        let (hash, pow) = poly_hash(text);
        Piece { text: text.into(), hash, pow }
    }
}

/// How many bytes apart `ReadValue` keeps prefix hashes.
const STRIDE: usize = 8;

/// A value a get returned, with the hash of every `STRIDE`-th prefix so
/// that "could this state still grow into that value?" costs O(STRIDE).
#[derive(Debug)]
pub struct ReadValue {
    pub piece: Rc<Piece>,
    /// `checkpoints[i]` = hash of the first `i * STRIDE` bytes.
    checkpoints: Box<[u64]>,
}

impl ReadValue {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut checkpoints = Vec::with_capacity(bytes.len() / STRIDE + 1);
        let mut h = 0u64;
        for chunk in bytes.chunks(STRIDE) {
            checkpoints.push(h);
            for &b in chunk {
                h = h.wrapping_mul(BASE).wrapping_add(b as u64 + 1);
            }
        }
        if bytes.len().is_multiple_of(STRIDE) {
            checkpoints.push(h);
        }
        ReadValue { piece: Rc::new(Piece::new(text)), checkpoints: checkpoints.into() }
    }

    /// The hash of the first `len` bytes (`len` at most the length).
    fn prefix_hash(&self, len: usize) -> u64 {
        let mut h = self.checkpoints[len / STRIDE];
        for &b in &self.piece.text.as_bytes()[len / STRIDE * STRIDE..len] {
            h = h.wrapping_mul(BASE).wrapping_add(b as u64 + 1);
        }
        h
    }
}

/// A link of the chain: the piece appended last and the value before it
/// (`parent` is `None` at the value last put, or at nil).
#[derive(Debug)]
struct Node {
    parent: Option<Rc<Node>>,
    piece: Option<Rc<Piece>>,
}

/// A key's value: nil, or a string. Nil and `""` are different states but
/// the same reading (see `Kv`).
#[derive(Clone, Debug)]
pub struct KvState {
    len: usize,
    hash: u64,
    is_nil: bool,
    node: Rc<Node>,
}

impl KvState {
    pub fn nil() -> Self {
        KvState { len: 0, hash: 0, is_nil: true, node: Rc::new(Node { parent: None, piece: None }) }
    }

    pub fn put(piece: &Rc<Piece>) -> Self {
        KvState {
            len: piece.text.len(),
            hash: piece.hash,
            is_nil: false,
            node: Rc::new(Node { parent: None, piece: Some(piece.clone()) }),
        }
    }

    pub fn append(&self, piece: &Rc<Piece>) -> Self {
        KvState {
            len: self.len + piece.text.len(),
            hash: self.hash.wrapping_mul(piece.pow).wrapping_add(piece.hash),
            is_nil: false,
            node: Rc::new(Node { parent: Some(self.node.clone()), piece: Some(piece.clone()) }),
        }
    }

    /// Whether reading this value could return `piece` (nil or `""` when
    /// `piece` is `None`), exactly.
    pub fn reads_as(&self, piece: Option<&Piece>) -> bool {
        match piece {
            None => self.len == 0,
            Some(p) => self.len == p.text.len() && self.hash == p.hash && self.text() == *p.text,
        }
    }

    /// Whether appending could still turn this value into one that reads
    /// as `read` (nil or `""` when `None`). `false` is exact (the hashes of
    /// the value and of the read's prefix differ); `true` may be a hash
    /// collision, which only costs the search time.
    pub fn may_grow_into(&self, read: Option<&ReadValue>) -> bool {
        match read {
            None => self.len == 0,
            Some(r) => self.len <= r.piece.text.len() && r.prefix_hash(self.len) == self.hash,
        }
    }

    /// The contents (O(length); only to confirm a hash match).
    pub fn text(&self) -> String {
        let mut pieces: Vec<&str> = Vec::new();
        let mut node = Some(&*self.node);
        while let Some(n) = node {
            if let Some(p) = &n.piece {
                pieces.push(&p.text);
            }
            node = n.parent.as_deref();
        }
        let mut out = String::with_capacity(self.len);
        for p in pieces.iter().rev() {
            out.push_str(p);
        }
        out
    }
}

impl PartialEq for KvState {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self.hash == other.hash
            && self.is_nil == other.is_nil
            && (Rc::ptr_eq(&self.node, &other.node) || self.text() == other.text())
    }
}

impl Eq for KvState {}

impl Hash for KvState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash ^ self.len as u64 ^ (self.is_nil as u64) << 63);
    }
}

impl Drop for Node {
    // A long append chain would otherwise be freed recursively and could
    // overflow the stack; unwind it iteratively.
    fn drop(&mut self) {
        let mut next = self.parent.take();
        while let Some(rc) = next {
            next = match Rc::try_unwrap(rc) {
                Ok(mut node) => node.parent.take(),
                Err(_) => None, // still shared: someone else frees it
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_hash_like_the_whole_string() {
        let a = Rc::new(Piece::new("ab"));
        let b = Rc::new(Piece::new("c"));
        let whole = Rc::new(Piece::new("abc"));
        let s = KvState::nil().append(&a).append(&b);
        assert_eq!(s.text(), "abc");
        assert!(s.reads_as(Some(&whole)));
        assert!(!s.reads_as(Some(&a)));
        assert_eq!(s, KvState::put(&whole));
        assert_ne!(KvState::nil(), KvState::put(&Rc::new(Piece::new(""))));
        assert!(KvState::nil().reads_as(None));
        for text in ["", "a", "abc", "abcdefgh", "abcdefghi", "abcdefghijklmnopq"] {
            let read = ReadValue::new(text);
            for cut in 0..=text.len() {
                let s = KvState::put(&Rc::new(Piece::new(&text[..cut])));
                assert!(s.may_grow_into(Some(&read)), "{text} {cut}");
                let other = KvState::put(&Rc::new(Piece::new(&format!("{}z", &text[..cut]))));
                assert!(!other.may_grow_into(Some(&read)), "{text} {cut}");
            }
            assert!(KvState::nil().may_grow_into(Some(&read)));
        }
        assert!(!s.may_grow_into(None));
        // A deep chain drops without overflowing the stack.
        let mut deep = KvState::nil();
        for _ in 0..200_000 {
            deep = deep.append(&b);
        }
        drop(deep);
    }
}
