//! Checkpoints and garbage collection (§4.3), and state transfer.
//!
//! Every `checkpoint_interval` executions a replica multicasts the digest of
//! its state. With 2f+1 matching checkpoint messages (its own included) the
//! checkpoint is *stable*: at least f+1 correct replicas have that state, so
//! the log up to it can go, and the watermarks move: the low watermark h
//! becomes the checkpoint, the high one H = h + window. A replica that fell
//! behind a stable checkpoint (its log entries are gone everywhere) fetches
//! the state itself, checked against the 2f+1 signed digests.

use super::messages::{Checkpoint, Digest, PbftMsg};
use super::state::{CheckpointRecord, PbftState};
use super::Pbft;
use crate::kv::KvStore;
use sim_core::{stable_hash, Ctx, Signed};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The digest of a state machine's state.
pub fn state_digest(store: &KvStore) -> Digest {
    Digest(stable_hash(store))
}

impl Pbft {
    pub(super) fn take_checkpoint(&self, s: &mut PbftState, seq: u64, ctx: &mut Ctx<'_, Self>) {
        let digest = state_digest(&s.store);
        let vote = ctx.sign(Checkpoint { seq, state: digest });
        let record = s.checkpoints.entry(seq).or_default();
        record.own = Some((digest, Arc::new(s.store.clone())));
        record.votes.insert(ctx.id(), vote.clone());
        ctx.broadcast(PbftMsg::Checkpoint(vote));
        self.check_stable(s, seq, ctx);
    }

    pub(super) fn on_checkpoint(&self, s: &mut PbftState, vote: Signed<Checkpoint>, ctx: &mut Ctx<'_, Self>) {
        let seq = vote.body.seq;
        // Only checkpoints that can still matter, so a Byzantine replica
        // cannot fill memory with made-up ones.
        if !vote.verify() || seq <= s.low || seq > s.low + 2 * self.window || seq % self.checkpoint_interval != 0 {
            return;
        }
        s.checkpoints.entry(seq).or_default().votes.entry(vote.signer).or_insert(vote);
        self.check_stable(s, seq, ctx);
    }

    /// Makes the checkpoint at `seq` stable once 2f+1 replicas agree with
    /// this replica's own state there.
    fn check_stable(&self, s: &mut PbftState, seq: u64, ctx: &mut Ctx<'_, Self>) {
        let Some(CheckpointRecord { votes, own: Some((digest, store)) }) = s.checkpoints.get(&seq) else { return };
        let proof: Vec<Signed<Checkpoint>> = votes.values().filter(|v| v.body.state == *digest).cloned().collect();
        if proof.len() >= self.strong_quorum(ctx.node_count()) {
            let store = store.clone();
            self.make_stable(s, seq, Arc::new(proof), store, ctx);
        }
    }

    /// Moves the low watermark to `seq` and discards everything before it.
    pub(super) fn make_stable(
        &self,
        s: &mut PbftState,
        seq: u64,
        proof: Arc<Vec<Signed<Checkpoint>>>,
        store: Arc<KvStore>,
        ctx: &mut Ctx<'_, Self>,
    ) {
        if seq <= s.low {
            return;
        }
        ctx.note(|| format!("stable checkpoint {seq}"));
        s.low = seq;
        s.stable_proof = proof;
        s.stable_store = store;
        s.log = s.log.split_off(&(seq + 1));
        s.checkpoints = s.checkpoints.split_off(&(seq + 1));
        // The window moved: the primary may assign more requests.
        self.assign_pending(s, ctx);
    }

    /// The checkpoint a proof certifies, if it is 2f+1 valid signatures of
    /// distinct replicas on one (sequence number, digest).
    pub(super) fn checkpoint_proven(&self, proof: &[Signed<Checkpoint>], n: usize) -> Option<Checkpoint> {
        let first = proof.first()?.body;
        let mut signers = BTreeSet::new();
        for vote in proof {
            if vote.body != first || !vote.verify() || vote.signer.index() >= n {
                return None;
            }
            signers.insert(vote.signer);
        }
        (signers.len() >= self.strong_quorum(n)).then_some(first)
    }

    /// State transfer: a peer's stable checkpoint, with its proof and state.
    pub(super) fn on_stable_state(
        &self,
        s: &mut PbftState,
        proof: Arc<Vec<Signed<Checkpoint>>>,
        store: Arc<KvStore>,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let Some(cp) = self.checkpoint_proven(&proof, ctx.node_count()) else { return };
        if cp.seq <= s.low {
            return;
        }
        let store = if cp.seq > s.last_executed {
            if state_digest(&store) != cp.state {
                return; // not the state the proof certifies
            }
            ctx.note(|| format!("state transfer to checkpoint {}", cp.seq));
            s.store = (*store).clone();
            s.last_executed = cp.seq;
            let st = &s.store;
            s.pending.retain(|id, _| !st.sessions.get(&id.client).is_some_and(|(seq, _)| *seq >= id.seq));
            store
        } else {
            // Executed that far already: the proof must certify our own
            // state, and we keep our own copy (the sender's may be a lie).
            match s.checkpoints.get(&cp.seq).and_then(|r| r.own.clone()) {
                Some((digest, own)) if digest == cp.state => own,
                _ => return,
            }
        };
        self.make_stable(s, cp.seq, proof, store, ctx);
        self.try_execute(s, ctx);
        self.update_request_timer(s, ctx);
    }
}
