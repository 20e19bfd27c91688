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

/// The authenticator a point-to-point message travels with, as PBFT's MACs:
/// keyed on the claimed sender and the receiver and covering the content's
/// digest. Only the engine seals envelopes, and only for the real sender, so
/// a message whose claimed sender is not its sender (forged by a Byzantine
/// node or an adversarial link) or whose content changed in transit fails
/// [`Envelope::verify`] at the receiver. A replayed message of the same link
/// keeps a valid MAC: replays are the protocol's to handle, as in PBFT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Envelope {
    /// Who the message says sent it.
    pub claimed: NodeId,
    pub mac: Signature,
    /// Bits flipped in the content in transit (0: intact). The receiver's
    /// digest of what it got is the sent digest with these bits flipped.
    pub flips: u64,
}

fn mac_tag(from: NodeId, to: NodeId, digest: u64) -> u64 {
    tag(from, &(to.0, digest))
}

impl Envelope {
    /// Seals a message `from -> to` whose content has stable hash `digest`.
    pub(crate) fn seal(from: NodeId, to: NodeId, digest: u64) -> Self {
        Envelope { claimed: from, mac: Signature(mac_tag(from, to, digest)), flips: 0 }
    }

    /// What a forger claiming `claimed` can build: any MAC bits it likes.
    pub fn forged(claimed: NodeId, bits: u64) -> Self {
        Envelope { claimed, mac: Signature::forged(bits), flips: 0 }
    }

    /// The receiver's check: does the MAC match the claimed sender, this
    /// receiver and the digest of the content as received?
    pub fn verify(&self, to: NodeId, sent_digest: u64) -> bool {
        self.mac.0 == mac_tag(self.claimed, to, sent_digest ^ self.flips)
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

    /// Property: envelopes verify only for the real sender, the right
    /// receiver and intact content.
    #[test]
    fn envelopes_reject_forgery_misdelivery_and_corruption() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for _ in 0..100_000 {
            let from = NodeId(rng.gen_range(0..16));
            let to = NodeId(rng.gen_range(0..16));
            let digest: u64 = rng.gen();
            let sealed = Envelope::seal(from, to, digest);
            assert!(sealed.verify(to, digest));
            let other = NodeId((from.0 + rng.gen_range(1..16)) % 16);
            assert!(!Envelope { claimed: other, ..sealed }.verify(to, digest), "claims another sender");
            assert!(!sealed.verify(NodeId((to.0 + rng.gen_range(1..16)) % 16), digest), "another receiver");
            assert!(!Envelope { flips: 1 << rng.gen_range(0..64), ..sealed }.verify(to, digest), "corrupted");
            assert!(!Envelope::forged(from, rng.gen()).verify(to, digest), "random MAC");
        }
    }
}
