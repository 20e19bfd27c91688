//! Simulated digital signatures: unforgeable by construction, cheap to check.
//!
//! Byzantine protocols (PBFT) forward other nodes' signed statements as proofs
//! (prepared certificates, new-view messages), so signatures must be values a
//! protocol can store and pass on. A [`Signature`] can only be made by
//! [`Ctx::sign`](crate::Ctx::sign), which signs as the calling node and no
//! other: a protocol handler (even a Byzantine one) has no way to sign as
//! someone else. Its field is private, so code outside `sim-core` cannot build
//! one by hand either; copying a real signature onto another body or signer
//! fails [`Signed::verify`], because the tag covers the signer and the body.
//!
//! The tag is a keyed stable hash: 64 bits of `mix64` over a secret key, the
//! signer and the body's stable hash. A random tag passes with probability
//! 2^-64, which no simulated run reaches (a property test tries forgeries).

use crate::hash::{mix64, StableHasher};
use crate::ids::NodeId;
use std::hash::{Hash, Hasher};

/// The signing key. Secret only in the sense that code outside this module
/// cannot reach it: it is what makes [`Signature`]s unforgeable by
/// construction rather than by computational hardness.
const SIGNING_KEY: u64 = 0x6661_756c_746c_696e; // "faultlin"

/// A signature tag. Only [`Ctx::sign`](crate::Ctx::sign) makes valid ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signature(u64);

impl Signature {
    /// A tag that is not a signature of anything: what a forger who lacks the
    /// key can produce (any bits it likes). Tests and Byzantine strategies use it.
    pub fn forged(bits: u64) -> Self {
        Signature(bits)
    }
}

/// A value together with who signed it and the signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signed<T> {
    pub signer: NodeId,
    pub body: T,
    pub signature: Signature,
}

fn tag<T: Hash>(signer: NodeId, body: &T) -> u64 {
    let mut h = StableHasher::new();
    h.add_word(SIGNING_KEY);
    h.add_word(signer.0 as u64);
    body.hash(&mut h);
    mix64(h.finish() ^ SIGNING_KEY.rotate_left(29))
}

impl<T: Hash> Signed<T> {
    /// Signs `body` as `signer`. Crate-private: protocols sign through
    /// [`Ctx::sign`](crate::Ctx::sign), which fixes the signer to the caller.
    pub(crate) fn sign_as(signer: NodeId, body: T) -> Self {
        let signature = Signature(tag(signer, &body));
        Signed { signer, body, signature }
    }

    /// A value claiming `signer` with a tag that is not theirs: what a
    /// Byzantine node or link can build. It never verifies.
    pub fn forge(signer: NodeId, body: T, bits: u64) -> Self {
        Signed { signer, body, signature: Signature::forged(bits) }
    }

    /// Whether `signer` really signed `body`.
    pub fn verify(&self) -> bool {
        self.signature.0 == tag(self.signer, &self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn genuine_signatures_verify() {
        for n in 0..8 {
            let s = Signed::sign_as(NodeId(n), (n, "prepare", vec![1u8, 2, 3]));
            assert!(s.verify());
        }
    }

    /// Property: no forgery a node can build without the key verifies —
    /// random tags, genuine tags moved to another signer or another body,
    /// and genuine tags with bits flipped.
    #[test]
    fn forgeries_never_verify() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..200_000 {
            let signer = NodeId(rng.gen_range(0..16));
            let body: (u64, u32) = (rng.gen(), rng.gen());
            assert!(!Signed::forge(signer, body, rng.gen()).verify(), "random tag");

            let genuine = Signed::sign_as(signer, body);
            let other = NodeId((signer.0 + rng.gen_range(1..16)) % 16);
            assert!(!Signed { signer: other, ..genuine.clone() }.verify(), "moved to another signer");
            let tampered = (body.0 ^ (1 << rng.gen_range(0..64)), body.1);
            assert!(!Signed { body: tampered, ..genuine.clone() }.verify(), "body changed");
            let flipped = Signature(genuine.signature.0 ^ (1 << rng.gen_range(0..64)));
            assert!(!Signed { signature: flipped, ..genuine }.verify(), "tag bit flipped");
        }
    }
}
