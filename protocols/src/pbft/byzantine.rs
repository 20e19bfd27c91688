//! What the Byzantine strategies mean for a PBFT replica (the engine plays
//! `silent`, `replay` and the sender-forging half of `forge` by itself).
//!
//! * `equivocate`: the replica splits the others into two worlds by id (the
//!   lower half of the ids, and the rest) and tells the world it is not in
//!   a different story: for its pre-prepares, prepares and commits, the
//!   sequence numbers of each pair (1,2), (3,4), ... are swapped, so as
//!   primary it orders requests one way for one half and the other way for
//!   the rest; as a backup it backs the other half's order there. Because
//!   the swap is its own inverse, Byzantine replicas in either world stay
//!   consistent with each other: two of them (beyond f) break agreement.
//!   Its checkpoints carry a wrong digest and its view-change messages omit
//!   its prepared certificates for the other world; as a new primary it
//!   sends that world a new-view whose O is swapped too.
//! * `corrupt`: wrong field values, signed with its own (valid) key: a
//!   client request altered inside its pre-prepare, votes for another
//!   view, sequence number or digest, a wrong checkpoint digest, a stable
//!   checkpoint it cannot prove, state that does not match its proof, a
//!   status claiming it executed nothing.
//! * `forge`: its signed messages claim another replica as signer, with a
//!   made-up signature (they fail verification).
//! * `lie-about-state`: before each of its handlers its store holds lies
//!   (so its replies and checkpoint digests are wrong) and it forgets every
//!   prepared certificate (so its view-change messages claim nothing
//!   prepared).

use super::messages::{Checkpoint, Digest, NewView, Payload, PbftMsg, PrePrepare, Status, ViewChange, Vote};
use super::state::PbftState;
use crate::kv::{KvCommand, KvRequest};
use sim_core::{ByzantineCtx, NodeId, Signed};
use std::sync::Arc;

/// The value a lying replica's store holds everywhere.
const LIE: &str = "lie";

/// The world (0: lower half of the ids, 1: the rest) an equivocator puts `node` in.
fn world(node: NodeId, n: usize) -> usize {
    usize::from(node.index() >= n / 2)
}

/// The equivocator's swap of sequence numbers: 1<->2, 3<->4, ...
pub fn swap_seq(seq: u64) -> u64 {
    if seq % 2 == 1 {
        seq + 1
    } else {
        seq.saturating_sub(1)
    }
}

pub(super) fn tamper(s: &PbftState, to: NodeId, msg: &PbftMsg, byz: &mut ByzantineCtx<'_>) -> Option<PbftMsg> {
    match byz.strategy() {
        "equivocate" if world(byz.id(), byz.node_count()) != world(to, byz.node_count()) => equivocate(msg, byz),
        "corrupt" => corrupt(s, msg, byz),
        "forge" => forge(msg, byz),
        _ => None,
    }
}

fn mine<T>(signed: &Signed<T>, byz: &ByzantineCtx<'_>) -> bool {
    signed.signer == byz.id()
}

fn equivocate(msg: &PbftMsg, byz: &mut ByzantineCtx<'_>) -> Option<PbftMsg> {
    let swapped_pp = |pp: &Signed<PrePrepare>| PrePrepare { seq: swap_seq(pp.body.seq), ..pp.body.clone() };
    Some(match msg {
        PbftMsg::PrePrepare(pp) if mine(pp, byz) => PbftMsg::PrePrepare(Arc::new(byz.sign(swapped_pp(pp)))),
        PbftMsg::Prepare(v) if mine(v, byz) => PbftMsg::Prepare(byz.sign(Vote { seq: swap_seq(v.body.seq), ..v.body })),
        PbftMsg::Commit(v) if mine(v, byz) => PbftMsg::Commit(byz.sign(Vote { seq: swap_seq(v.body.seq), ..v.body })),
        PbftMsg::Checkpoint(c) if mine(c, byz) => {
            PbftMsg::Checkpoint(byz.sign(Checkpoint { state: Digest(c.body.state.0 ^ 1), ..c.body }))
        }
        PbftMsg::ViewChange(vc) if mine(vc, byz) => {
            PbftMsg::ViewChange(Arc::new(byz.sign(ViewChange { prepared: Vec::new(), ..vc.body.clone() })))
        }
        PbftMsg::NewView(nv) if mine(nv, byz) => {
            let pre_prepares = nv.body.pre_prepares.iter().map(|pp| byz.sign(swapped_pp(pp))).collect();
            PbftMsg::NewView(Arc::new(byz.sign(NewView { pre_prepares, ..nv.body.clone() })))
        }
        _ => return None,
    })
}

/// The request as a corrupting primary rewrites it: same id, other content.
fn altered(request: &KvRequest) -> KvRequest {
    let command = match &request.command {
        KvCommand::Get { key } => KvCommand::Put { key: key.clone(), value: LIE.into() },
        KvCommand::Put { key, value } => KvCommand::Put { key: key.clone(), value: format!("{value}~") },
        KvCommand::Append { key, value } => KvCommand::Append { key: key.clone(), value: format!("{value}~") },
    };
    KvRequest { id: request.id, command }
}

fn corrupt(s: &PbftState, msg: &PbftMsg, byz: &mut ByzantineCtx<'_>) -> Option<PbftMsg> {
    let vote = |v: &Vote, byz: &mut ByzantineCtx<'_>| match byz.draw(3) {
        0 => Vote { view: v.view + 1, ..*v },
        1 => Vote { seq: v.seq + 1, ..*v },
        _ => Vote { digest: Digest(v.digest.0 ^ 0x5a5a), ..*v },
    };
    Some(match msg {
        PbftMsg::PrePrepare(pp) if mine(pp, byz) => match &pp.body.payload {
            Payload::Request(r) => {
                let payload = Payload::Request(Arc::new(altered(r)));
                PbftMsg::PrePrepare(Arc::new(byz.sign(PrePrepare { payload, ..pp.body.clone() })))
            }
            Payload::Null => return None,
        },
        PbftMsg::Prepare(v) if mine(v, byz) => {
            let body = vote(&v.body, byz);
            PbftMsg::Prepare(byz.sign(body))
        }
        PbftMsg::Commit(v) if mine(v, byz) => {
            let body = vote(&v.body, byz);
            PbftMsg::Commit(byz.sign(body))
        }
        PbftMsg::Checkpoint(c) if mine(c, byz) => {
            PbftMsg::Checkpoint(byz.sign(Checkpoint { state: Digest(c.body.state.0 ^ 0x5a5a), ..c.body }))
        }
        PbftMsg::ViewChange(vc) if mine(vc, byz) => {
            // A later stable checkpoint than its proof shows.
            let stable_seq = vc.body.stable_seq.max(s.last_executed) + 1;
            PbftMsg::ViewChange(Arc::new(byz.sign(ViewChange { stable_seq, ..vc.body.clone() })))
        }
        PbftMsg::NewView(nv) if mine(nv, byz) => {
            let pre_prepares = nv
                .body
                .pre_prepares
                .iter()
                .map(|pp| byz.sign(PrePrepare { payload: Payload::Null, ..pp.body.clone() }))
                .collect();
            PbftMsg::NewView(Arc::new(byz.sign(NewView { pre_prepares, ..nv.body.clone() })))
        }
        PbftMsg::StableState { proof, store } => {
            let mut lied = (**store).clone();
            lied.data.insert("k0".into(), LIE.into());
            PbftMsg::StableState { proof: proof.clone(), store: Arc::new(lied) }
        }
        PbftMsg::Status(st) => PbftMsg::Status(Status { last_executed: 0, low: 0, ..*st }),
        _ => return None,
    })
}

fn forge(msg: &PbftMsg, byz: &mut ByzantineCtx<'_>) -> Option<PbftMsg> {
    let n = byz.node_count() as u64;
    if n < 2 {
        return None;
    }
    let victim = NodeId(((byz.id().0 as u64 + 1 + byz.draw(n - 1)) % n) as u32);
    let bits = byz.draw(u64::MAX);
    Some(match msg {
        PbftMsg::PrePrepare(pp) => PbftMsg::PrePrepare(Arc::new(Signed::forge(victim, pp.body.clone(), bits))),
        PbftMsg::Prepare(v) => PbftMsg::Prepare(Signed::forge(victim, v.body, bits)),
        PbftMsg::Commit(v) => PbftMsg::Commit(Signed::forge(victim, v.body, bits)),
        PbftMsg::Checkpoint(c) => PbftMsg::Checkpoint(Signed::forge(victim, c.body, bits)),
        PbftMsg::ViewChange(vc) => PbftMsg::ViewChange(Arc::new(Signed::forge(victim, vc.body.clone(), bits))),
        PbftMsg::NewView(nv) => PbftMsg::NewView(Arc::new(Signed::forge(victim, nv.body.clone(), bits))),
        _ => return None,
    })
}

/// `lie-about-state`: the store holds lies and prepared certificates are
/// forgotten. Returns what changed, for the trace.
pub(super) fn lie_about_state(s: &mut PbftState, byz: &ByzantineCtx<'_>) -> Option<String> {
    if byz.strategy() != "lie-about-state" {
        return None;
    }
    let mut lies = Vec::new();
    let honest_values = s.store.data.values().filter(|v| *v != LIE).count();
    if honest_values > 0 {
        s.store.data.values_mut().for_each(|v| *v = LIE.into());
        lies.push(format!("{honest_values} stored values replaced by lies"));
    }
    let proofs = s.log.values().filter(|slot| slot.proof.is_some()).count();
    if proofs > 0 {
        s.log.values_mut().for_each(|slot| slot.proof = None);
        lies.push(format!("{proofs} prepared certificates forgotten"));
    }
    (!lies.is_empty()).then(|| lies.join(", "))
}
