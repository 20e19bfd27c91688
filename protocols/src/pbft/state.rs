//! A replica's state: its view, the message log by sequence number,
//! checkpoints, view-change messages and the key-value store.

use super::messages::{Checkpoint, Digest, NewView, Payload, PrePrepare, PreparedProof, ViewChange, Vote};
use crate::kv::{KvRequest, KvStore, RequestId};
use sim_core::{NodeId, Signed};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a replica knows about one sequence number in one view.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Slot {
    /// The view the messages below belong to (older ones are dropped when
    /// the replica moves to a new view).
    pub view: u64,
    pub pre_prepare: Option<Arc<Signed<PrePrepare>>>,
    /// The pre-prepare is accepted: this replica vouches for its payload
    /// (a backup has then sent its prepare).
    pub accepted: bool,
    pub prepares: BTreeMap<NodeId, Signed<Vote>>,
    pub commits: BTreeMap<NodeId, Signed<Vote>>,
    /// prepared(m, v, n, i) held: the commit was sent.
    pub prepared: bool,
    /// committed-local(m, v, n, i) held: ready to execute in order.
    pub committed: bool,
    /// The certificate of the highest view in which this replica prepared
    /// this sequence number; survives view changes (it goes into P).
    pub proof: Option<Arc<PreparedProof>>,
}

impl Slot {
    pub fn digest(&self) -> Option<Digest> {
        self.pre_prepare.as_ref().map(|p| p.body.digest())
    }

    pub fn payload(&self) -> Option<&Payload> {
        self.pre_prepare.as_ref().map(|p| &p.body.payload)
    }

    /// Forget the messages of older views; keep the prepared certificate.
    pub fn reset_to(&mut self, view: u64) {
        let proof = self.proof.take();
        *self = Slot { view, proof, ..Slot::default() };
    }
}

/// Checkpoint messages heard for one sequence number, and this replica's
/// own state there (once it has executed that far).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CheckpointRecord {
    pub votes: BTreeMap<NodeId, Signed<Checkpoint>>,
    pub own: Option<(Digest, Arc<KvStore>)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PbftState {
    /// This replica and the cluster size (for `is_leader`, which gets no context).
    pub id: NodeId,
    pub n: usize,
    pub view: u64,
    /// Sent a view-change for `view` and waits for its new-view.
    pub view_changing: bool,
    /// The new-view message that started `view` (forwarded to replicas that
    /// missed it); none in view 0.
    pub new_view: Option<Arc<Signed<NewView>>>,
    /// View-change messages heard, by target view, then sender.
    pub view_changes: BTreeMap<u64, BTreeMap<NodeId, Arc<Signed<ViewChange>>>>,
    /// Consecutive view changes without progress; the timeout doubles each time.
    pub view_change_attempts: u32,

    /// The log: sequence numbers in (low, low + window].
    pub log: BTreeMap<u64, Slot>,
    /// Primary: the last sequence number assigned.
    pub next_seq: u64,
    /// The low watermark h: the last stable checkpoint.
    pub low: u64,
    pub stable_proof: Arc<Vec<Signed<Checkpoint>>>,
    /// The state at `low`, for state transfer to replicas that fell behind.
    pub stable_store: Arc<KvStore>,
    pub checkpoints: BTreeMap<u64, CheckpointRecord>,

    pub last_executed: u64,
    pub store: KvStore,

    /// Requests received from their clients and not executed yet: a backup
    /// only accepts a pre-prepare whose request it holds here.
    pub pending: BTreeMap<RequestId, Arc<KvRequest>>,
    /// The request the view-change timer is waiting for (none: not running).
    pub waiting_for: Option<RequestId>,
    /// Set when the view-change timer runs while waiting for a new view.
    pub new_view_timer: bool,

    /// For the invariants: what the current event executed (sequence number,
    /// payload digest, request) and which client requests it received.
    pub just_executed: Vec<(u64, Digest, Option<RequestId>)>,
    pub just_received: Vec<Digest>,
}

impl PbftState {
    pub fn new(id: NodeId, n: usize) -> Self {
        PbftState {
            id,
            n,
            view: 0,
            view_changing: false,
            new_view: None,
            view_changes: BTreeMap::new(),
            view_change_attempts: 0,
            log: BTreeMap::new(),
            next_seq: 0,
            low: 0,
            stable_proof: Arc::new(Vec::new()),
            stable_store: Arc::new(KvStore::default()),
            checkpoints: BTreeMap::new(),
            last_executed: 0,
            store: KvStore::default(),
            pending: BTreeMap::new(),
            waiting_for: None,
            new_view_timer: false,
            just_executed: Vec::new(),
            just_received: Vec::new(),
        }
    }

    /// Whether the client request `id` has been executed here.
    pub fn executed(&self, id: RequestId) -> bool {
        self.store.sessions.get(&id.client).is_some_and(|(seq, _)| *seq >= id.seq)
    }
}
