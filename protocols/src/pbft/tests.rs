//! Unit tests of the proofs PBFT's safety rests on: prepared certificates,
//! checkpoint proofs, the new-view computation, and the equivocator's swap;
//! and a four-replica normal case driven by hand.

use super::byzantine::swap_seq;
use super::messages::{Checkpoint, Digest, Payload, PbftMsg, PrePrepare, PreparedProof, ViewChange, Vote};
use super::*;
use crate::kv::{KvCommand, KvRequest, RequestId};
use sim_core::{Choices, ClientId, Ctx, Effect, NodeId, Signed};
use std::collections::VecDeque;
use std::hash::Hash;
use std::sync::Arc;

/// Signs `body` as `node` (through a context, the only way to sign).
fn sign_as<T: Hash>(node: u32, body: T) -> Signed<T> {
    let mut effects: Vec<Effect<Pbft>> = Vec::new();
    let mut choices = Choices::seeded(1);
    let ctx = Ctx::new(NodeId(node), 4, 0, false, &mut effects, &mut choices);
    ctx.sign(body)
}

fn request(client: u32, seq: u64) -> Arc<KvRequest> {
    let command = KvCommand::Put { key: "k".into(), value: format!("c{client}.{seq}") };
    Arc::new(KvRequest { id: RequestId { client: ClientId(client), seq }, command })
}

/// A prepared certificate for `payload` at (view, seq) among 4 replicas,
/// with prepares from the given backups.
fn certificate(view: u64, seq: u64, payload: Payload, backups: &[u32]) -> PreparedProof {
    let pp = sign_as(primary(view, 4).0, PrePrepare { view, seq, payload });
    let vote = Vote { view, seq, digest: pp.body.digest() };
    PreparedProof { pre_prepare: pp, prepares: backups.iter().map(|b| sign_as(*b, vote)).collect() }
}

fn view_change(view: u64, signer: u32, prepared: Vec<PreparedProof>) -> Signed<ViewChange> {
    sign_as(signer, ViewChange { view, stable_seq: 0, checkpoint_proof: Vec::new(), prepared })
}

#[test]
fn prepared_certificates_need_2f_distinct_backups_and_genuine_signatures() {
    let p = Pbft::default();
    let good = certificate(0, 1, Payload::Request(request(0, 0)), &[1, 2]);
    assert!(p.valid_view_change(
        &ViewChange { view: 1, stable_seq: 0, checkpoint_proof: vec![], prepared: vec![good.clone()] },
        4
    ));

    let check = |proof: PreparedProof| {
        p.valid_view_change(&ViewChange { view: 1, stable_seq: 0, checkpoint_proof: vec![], prepared: vec![proof] }, 4)
    };
    // One prepare is not 2f = 2.
    assert!(!check(certificate(0, 1, Payload::Null, &[1])));
    // The same backup twice is still one.
    assert!(!check(certificate(0, 1, Payload::Null, &[1, 1])));
    // The primary's own prepare does not count.
    assert!(!check(certificate(0, 1, Payload::Null, &[0, 1])));
    // A forged prepare (claims replica 2, not signed by it).
    let mut forged = good.clone();
    forged.prepares[1] = Signed::forge(NodeId(2), forged.prepares[1].body, 42);
    assert!(!check(forged));
    // A pre-prepare not from the primary of its view.
    let mut wrong_primary = good.clone();
    wrong_primary.pre_prepare = sign_as(3, good.pre_prepare.body.clone());
    assert!(!check(wrong_primary));
    // A certificate from the view being changed to (or later) proves nothing.
    assert!(
        !p.valid_view_change(&ViewChange { view: 0, stable_seq: 0, checkpoint_proof: vec![], prepared: vec![good] }, 4)
    );
}

#[test]
fn checkpoint_proofs_need_2f_plus_1_matching_signatures() {
    let p = Pbft::default();
    let cp = Checkpoint { seq: 10, state: Digest(7) };
    let proof: Vec<Signed<Checkpoint>> = [0, 1, 2].iter().map(|i| sign_as(*i, cp)).collect();
    assert_eq!(p.checkpoint_proven(&proof, 4), Some(cp));
    assert_eq!(p.checkpoint_proven(&proof[..2], 4), None, "2 of 4 is not 2f+1");
    let mut mixed = proof.clone();
    mixed[2] = sign_as(2, Checkpoint { seq: 10, state: Digest(8) });
    assert_eq!(p.checkpoint_proven(&mixed, 4), None, "digests must match");
    let mut dup = proof.clone();
    dup[2] = proof[1].clone();
    assert_eq!(p.checkpoint_proven(&dup, 4), None, "signers must be distinct");
    let mut forged = proof;
    forged[0] = Signed::forge(NodeId(3), cp, 99);
    assert_eq!(p.checkpoint_proven(&forged, 4), None);
}

#[test]
fn new_view_keeps_the_highest_view_certificate_and_fills_gaps_with_null() {
    let p = Pbft::default();
    let (a, b) = (Payload::Request(request(0, 0)), Payload::Request(request(1, 0)));
    let v_set = vec![
        view_change(2, 2, vec![certificate(0, 1, a.clone(), &[1, 2]), certificate(0, 3, a.clone(), &[1, 3])]),
        view_change(2, 3, vec![certificate(1, 1, b.clone(), &[2, 3])]),
        view_change(2, 0, vec![]),
    ];
    let plan = p.plan_new_view(&v_set);
    assert_eq!(plan.min_s, 0);
    assert_eq!(plan.entries, vec![(1, b), (2, Payload::Null), (3, a)]);
}

#[test]
fn the_equivocators_swap_is_its_own_inverse() {
    for seq in 1..1000 {
        assert_ne!(swap_seq(seq), seq);
        assert_eq!(swap_seq(swap_seq(seq)), seq);
    }
}

/// Four correct replicas, FIFO delivery by hand: one client request goes
/// through the three phases and every replica executes it at sequence 1.
#[test]
fn normal_case_executes_a_request_everywhere() {
    let p = Pbft::default();
    let mut choices = Choices::seeded(3);
    let mut states: Vec<PbftState> = (0..4).map(|i| PbftState::new(NodeId(i), 4)).collect();
    let mut net: VecDeque<(NodeId, NodeId, PbftMsg)> = VecDeque::new();
    let mut replies = 0;
    let req = (*request(0, 0)).clone();
    let absorb = |from: u32, effects: Vec<Effect<Pbft>>, net: &mut VecDeque<_>, replies: &mut i32| {
        for e in effects {
            match e {
                Effect::Send { to, msg } => net.push_back((NodeId(from), to, msg)),
                Effect::Reply { .. } => *replies += 1,
                _ => {}
            }
        }
    };
    for i in 0..4u32 {
        let mut effects = Vec::new();
        let mut ctx = Ctx::new(NodeId(i), 4, 0, false, &mut effects, &mut choices);
        p.on_request(NodeId(i), &mut states[i as usize], ClientId(0), req.clone(), &mut ctx);
        absorb(i, effects, &mut net, &mut replies);
    }
    while let Some((from, to, msg)) = net.pop_front() {
        let mut effects = Vec::new();
        let mut ctx = Ctx::new(to, 4, 0, false, &mut effects, &mut choices);
        p.on_message(to, &mut states[to.index()], from, msg, &mut ctx);
        absorb(to.0, effects, &mut net, &mut replies);
    }
    for s in &states {
        assert_eq!(s.last_executed, 1, "replica {:?}", s.id);
        assert_eq!(s.store.data.get("k").map(String::as_str), Some("c0.0"));
        assert!(s.pending.is_empty());
    }
    assert_eq!(replies, 4, "every replica replies");
}
