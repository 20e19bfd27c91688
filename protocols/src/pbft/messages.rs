//! PBFT's messages (Castro & Liskov 1999, §4). Every protocol message is
//! signed by the replica that made it (the paper's signed variant, §4; the
//! MAC optimisation of §5 changes costs, not the algorithm), so replicas can
//! forward each other's statements as proofs: prepared certificates inside
//! view-change messages, view-change messages inside new-view messages.

use crate::kv::{KvRequest, KvStore, RequestId};
use sim_core::{stable_hash, NodeId, Signed};
use std::fmt;
use std::sync::Arc;

/// A digest: the stable hash of what it summarises (a payload or a state).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(pub u64);

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "d{:04x}", self.0 >> 48)
    }
}

/// What a sequence number is assigned to: a client's request, or the null
/// request a new primary uses to fill a gap (§4.4: "a special null request
/// which goes through the protocol like other requests, but whose execution
/// is a no-op").
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Payload {
    Null,
    Request(Arc<KvRequest>),
}

impl Payload {
    pub fn digest(&self) -> Digest {
        Digest(stable_hash(self))
    }

    pub fn request_id(&self) -> Option<RequestId> {
        match self {
            Payload::Null => None,
            Payload::Request(r) => Some(r.id),
        }
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Payload::Null => f.write_str("null"),
            Payload::Request(r) => write!(f, "{r:?}"),
        }
    }
}

/// ⟨PRE-PREPARE, v, n, d⟩ from the primary of view `v`, with the payload
/// itself (the paper piggybacks the request on the pre-prepare).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct PrePrepare {
    pub view: u64,
    pub seq: u64,
    pub payload: Payload,
}

impl PrePrepare {
    pub fn digest(&self) -> Digest {
        self.payload.digest()
    }
}

/// ⟨PREPARE, v, n, d, i⟩ and ⟨COMMIT, v, n, d, i⟩ (the signer is `i`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Vote {
    pub view: u64,
    pub seq: u64,
    pub digest: Digest,
}

/// ⟨CHECKPOINT, n, d, i⟩: replica `i` executed through `seq` and its state
/// then had digest `state`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Checkpoint {
    pub seq: u64,
    pub state: Digest,
}

/// A prepared certificate: a pre-prepare and 2f matching prepares from
/// distinct backups. Proves that no other payload can prepare at
/// (view, seq) (§4.2: prepared(m, v, n, i)).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct PreparedProof {
    pub pre_prepare: Signed<PrePrepare>,
    pub prepares: Vec<Signed<Vote>>,
}

impl PreparedProof {
    pub fn seq(&self) -> u64 {
        self.pre_prepare.body.seq
    }
    pub fn view(&self) -> u64 {
        self.pre_prepare.body.view
    }
}

/// ⟨VIEW-CHANGE, v+1, n, C, P, i⟩ (§4.4): the last stable checkpoint `n`
/// with its proof `C` (2f+1 checkpoint messages) and a prepared certificate
/// for every sequence number above `n` that replica `i` prepared.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ViewChange {
    pub view: u64,
    pub stable_seq: u64,
    pub checkpoint_proof: Vec<Signed<Checkpoint>>,
    pub prepared: Vec<PreparedProof>,
}

/// ⟨NEW-VIEW, v+1, V, O⟩ (§4.4): 2f+1 view-change messages and the
/// pre-prepares the new primary computed from them.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct NewView {
    pub view: u64,
    pub view_changes: Vec<Signed<ViewChange>>,
    pub pre_prepares: Vec<Signed<PrePrepare>>,
}

/// A replica's progress, sent periodically so peers can retransmit what it
/// is missing (the paper assumes retransmission; its library uses status
/// messages much like this one).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Status {
    pub view: u64,
    pub view_changing: bool,
    pub last_executed: u64,
    pub low: u64,
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum PbftMsg {
    PrePrepare(Arc<Signed<PrePrepare>>),
    Prepare(Signed<Vote>),
    Commit(Signed<Vote>),
    Checkpoint(Signed<Checkpoint>),
    ViewChange(Arc<Signed<ViewChange>>),
    NewView(Arc<Signed<NewView>>),
    Status(Status),
    /// State transfer: a stable checkpoint's proof and the state it certifies.
    StableState {
        proof: Arc<Vec<Signed<Checkpoint>>>,
        store: Arc<KvStore>,
    },
}

/// ⟨REPLY, v, t, c, i, r⟩ (the replica `i` is the sender the client sees).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct PbftReply {
    pub view: u64,
    pub id: RequestId,
    pub value: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum PbftTimer {
    /// A backup waited too long for a request to execute, or for a new view.
    ViewChange,
    /// Periodic status and retransmission.
    Tick,
}

/// The primary of `view` among `n` replicas (§4.1: p = v mod |R|).
pub fn primary(view: u64, n: usize) -> NodeId {
    NodeId((view % n as u64) as u32)
}
