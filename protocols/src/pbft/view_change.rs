//! View changes (§4.4, §4.5.2): replacing a primary that is faulty or slow.
//!
//! A backup whose timer expires moves to view v+1 and multicasts a
//! view-change message carrying its last stable checkpoint (with proof) and
//! a prepared certificate for every request it prepared above it. The new
//! primary collects 2f+1 of them (set V) and computes, for every sequence
//! number between the highest stable checkpoint in V (min-s) and the highest
//! prepared one (max-s), a pre-prepare in the new view: the request of the
//! certificate from the highest view, or the null request where V shows
//! none. It multicasts ⟨NEW-VIEW, v+1, V, O⟩. Backups check V and *recompute*
//! O themselves before entering the view: a faulty new primary cannot drop
//! or reorder a request that may have committed, because any 2f+1
//! view-change messages include one from a correct replica of every commit
//! quorum (quorums of 2f+1 out of 3f+1 intersect in f+1 replicas).

use super::messages::{primary, NewView, Payload, PbftMsg, PbftTimer, PrePrepare, PreparedProof, ViewChange, Vote};
use super::state::PbftState;
use super::{Pbft, PbftBug};
use sim_core::{Ctx, NodeId, Signed};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// View-change messages for views this far ahead are ignored (a Byzantine
/// replica could otherwise fill memory with them).
const MAX_VIEW_AHEAD: u64 = 64;

/// What a new view starts from, computed from V: the highest stable
/// checkpoint (min-s) with its proof, and O's sequence numbers and payloads.
pub(super) struct NewViewPlan {
    pub min_s: u64,
    pub checkpoint_proof: Vec<Signed<super::messages::Checkpoint>>,
    pub entries: Vec<(u64, Payload)>,
}

impl Pbft {
    pub(super) fn start_view_change(&self, s: &mut PbftState, view: u64, ctx: &mut Ctx<'_, Self>) {
        ctx.note(|| format!("view change to view {view}"));
        s.view = view;
        s.view_changing = true;
        s.new_view_timer = false;
        s.waiting_for = None;
        ctx.cancel_timer(PbftTimer::ViewChange);
        s.view_change_attempts = s.view_change_attempts.saturating_add(1);
        let prepared: Vec<PreparedProof> =
            s.log.range(s.low + 1..).filter_map(|(_, slot)| slot.proof.as_deref().cloned()).collect();
        let vc = Arc::new(ctx.sign(ViewChange {
            view,
            stable_seq: s.low,
            checkpoint_proof: (*s.stable_proof).clone(),
            prepared,
        }));
        s.view_changes.retain(|v, _| *v >= view);
        s.view_changes.entry(view).or_default().insert(ctx.id(), vc.clone());
        ctx.broadcast(PbftMsg::ViewChange(vc));
        self.after_view_change_message(s, ctx);
    }

    pub(super) fn on_view_change(&self, s: &mut PbftState, vc: Arc<Signed<ViewChange>>, ctx: &mut Ctx<'_, Self>) {
        let n = ctx.node_count();
        let view = vc.body.view;
        let current = view == s.view && s.view_changing;
        if !vc.verify() || !(view > s.view || current) || view > s.view + MAX_VIEW_AHEAD {
            return;
        }
        if !self.valid_view_change(&vc.body, n) {
            return;
        }
        s.view_changes.entry(view).or_default().entry(vc.signer).or_insert(vc);
        // §4.5.2: f+1 replicas asking for later views include a correct one,
        // so join the smallest of those views without waiting for a timeout.
        let mut latest: BTreeMap<NodeId, u64> = BTreeMap::new();
        for (v, senders) in s.view_changes.range(s.view + 1..) {
            for sender in senders.keys().filter(|id| **id != ctx.id()) {
                latest.insert(*sender, *v);
            }
        }
        if latest.len() > self.f(n) {
            let target = latest.values().copied().min().expect("non-empty");
            self.start_view_change(s, target, ctx);
            return;
        }
        self.after_view_change_message(s, ctx);
    }

    /// With 2f+1 view-change messages for the view it is changing to, the
    /// new primary sends the new-view; a backup starts its timer for it.
    fn after_view_change_message(&self, s: &mut PbftState, ctx: &mut Ctx<'_, Self>) {
        let n = ctx.node_count();
        let have = s.view_changes.get(&s.view).map_or(0, |m| m.len());
        if !s.view_changing || have < self.strong_quorum(n) {
            return;
        }
        if primary(s.view, n) == ctx.id() {
            self.send_new_view(s, ctx);
        } else if !s.new_view_timer {
            s.new_view_timer = true;
            ctx.set_timer(PbftTimer::ViewChange, self.view_change_timeout(s.view_change_attempts));
        }
    }

    fn send_new_view(&self, s: &mut PbftState, ctx: &mut Ctx<'_, Self>) {
        let n = ctx.node_count();
        let me = ctx.id();
        let received = &s.view_changes[&s.view];
        // Our own first, then the lowest-numbered others: 2f+1 in all.
        let mut v_set: Vec<Signed<ViewChange>> = received.get(&me).map(|vc| (**vc).clone()).into_iter().collect();
        v_set.extend(received.iter().filter(|(id, _)| **id != me).map(|(_, vc)| (**vc).clone()));
        v_set.truncate(self.strong_quorum(n));
        let plan = self.plan_new_view(&v_set);
        let pre_prepares: Vec<Signed<PrePrepare>> = plan
            .entries
            .into_iter()
            .map(|(seq, payload)| ctx.sign(PrePrepare { view: s.view, seq, payload }))
            .collect();
        let nv = Arc::new(ctx.sign(NewView { view: s.view, view_changes: v_set, pre_prepares }));
        ctx.broadcast(PbftMsg::NewView(nv.clone()));
        self.enter_view(s, nv, ctx);
    }

    /// Computes min-s, max-s and O from V (§4.4).
    pub(super) fn plan_new_view(&self, v_set: &[Signed<ViewChange>]) -> NewViewPlan {
        let best_checkpoint = v_set.iter().max_by_key(|vc| vc.body.stable_seq);
        let min_s = best_checkpoint.map_or(0, |vc| vc.body.stable_seq);
        let checkpoint_proof = best_checkpoint.map(|vc| vc.body.checkpoint_proof.clone()).unwrap_or_default();
        // For each sequence number, the certificate of the highest view.
        let mut best: BTreeMap<u64, &PreparedProof> = BTreeMap::new();
        for vc in v_set {
            for proof in &vc.body.prepared {
                if proof.seq() > min_s && best.get(&proof.seq()).is_none_or(|b| proof.view() > b.view()) {
                    best.insert(proof.seq(), proof);
                }
            }
        }
        let max_s = best.keys().next_back().copied().unwrap_or(min_s);
        let entries = (min_s + 1..=max_s)
            .map(|seq| (seq, best.get(&seq).map_or(Payload::Null, |p| p.pre_prepare.body.payload.clone())))
            .collect();
        NewViewPlan { min_s, checkpoint_proof, entries }
    }

    pub(super) fn on_new_view(&self, s: &mut PbftState, nv: Arc<Signed<NewView>>, ctx: &mut Ctx<'_, Self>) {
        let n = ctx.node_count();
        let view = nv.body.view;
        if !nv.verify() || nv.signer != primary(view, n) || view < s.view || (view == s.view && !s.view_changing) {
            return;
        }
        // The bug `trust-new-view` skips exactly this check.
        if !self.has_bug(PbftBug::TrustNewView) && !self.valid_new_view(&nv.body, n) {
            return;
        }
        self.enter_view(s, nv, ctx);
    }

    /// V holds 2f+1 valid view-change messages for this view from distinct
    /// replicas, and O is exactly what they imply, signed by the new primary.
    fn valid_new_view(&self, nv: &NewView, n: usize) -> bool {
        let signers: BTreeSet<NodeId> = nv.view_changes.iter().map(|vc| vc.signer).collect();
        if signers.len() != nv.view_changes.len() || signers.len() < self.strong_quorum(n) {
            return false;
        }
        let all_valid = nv
            .view_changes
            .iter()
            .all(|vc| vc.verify() && vc.body.view == nv.view && self.valid_view_change(&vc.body, n));
        if !all_valid {
            return false;
        }
        let plan = self.plan_new_view(&nv.view_changes);
        plan.entries.len() == nv.pre_prepares.len()
            && plan.entries.iter().zip(&nv.pre_prepares).all(|((seq, payload), pp)| {
                pp.verify()
                    && pp.signer == primary(nv.view, n)
                    && pp.body == PrePrepare { view: nv.view, seq: *seq, payload: payload.clone() }
            })
    }

    /// A view-change message is well formed: its checkpoint is proven and
    /// each prepared certificate holds a pre-prepare of an earlier view's
    /// primary and 2f matching prepares from distinct backups.
    pub(super) fn valid_view_change(&self, vc: &ViewChange, n: usize) -> bool {
        if vc.stable_seq > 0 {
            match self.checkpoint_proven(&vc.checkpoint_proof, n) {
                Some(cp) if cp.seq == vc.stable_seq => {}
                _ => return false,
            }
        }
        vc.prepared.iter().all(|p| {
            p.view() < vc.view
                && p.seq() > vc.stable_seq
                && p.seq() <= vc.stable_seq + self.window
                && self.valid_prepared_proof(p, n)
        })
    }

    fn valid_prepared_proof(&self, p: &PreparedProof, n: usize) -> bool {
        let pp = &p.pre_prepare;
        let leader = primary(pp.body.view, n);
        if !pp.verify() || pp.signer != leader {
            return false;
        }
        let expected = Vote { view: pp.body.view, seq: pp.body.seq, digest: pp.body.digest() };
        let mut signers = BTreeSet::new();
        for prepare in &p.prepares {
            if prepare.body != expected || prepare.signer == leader || !prepare.verify() || prepare.signer.index() >= n
            {
                return false;
            }
            signers.insert(prepare.signer);
        }
        signers.len() >= self.prepare_quorum(n)
    }

    /// Installs a new view: the checkpoint min-s (when this replica has that
    /// state), the pre-prepares of O, and a prepare for each of them.
    fn enter_view(&self, s: &mut PbftState, nv: Arc<Signed<NewView>>, ctx: &mut Ctx<'_, Self>) {
        let n = ctx.node_count();
        let view = nv.body.view;
        ctx.note(|| format!("enter view {view}"));
        s.view = view;
        s.view_changing = false;
        s.new_view_timer = false;
        s.waiting_for = None;
        ctx.cancel_timer(PbftTimer::ViewChange);
        s.view_changes.retain(|v, _| *v > view);
        let plan = self.plan_new_view(&nv.body.view_changes);
        if plan.min_s > s.low && plan.min_s <= s.last_executed {
            let own = s.checkpoints.get(&plan.min_s).and_then(|r| r.own.clone());
            let proven = self.checkpoint_proven(&plan.checkpoint_proof, n);
            if let (Some((digest, store)), Some(cp)) = (own, proven) {
                if cp.state == digest && cp.seq == plan.min_s {
                    self.make_stable(s, plan.min_s, Arc::new(plan.checkpoint_proof.clone()), store, ctx);
                }
            }
        }
        // Behind min-s, this replica waits for state transfer (status).
        for slot in s.log.values_mut() {
            slot.reset_to(view);
        }
        let i_am_primary = primary(view, n) == ctx.id();
        let mut max_seq = plan.min_s;
        for pp in &nv.body.pre_prepares {
            let seq = pp.body.seq;
            max_seq = max_seq.max(seq);
            if !self.in_window(s, seq) || pp.body.view != view {
                continue;
            }
            let pp = Arc::new(pp.clone());
            let prepare = (!i_am_primary).then(|| ctx.sign(Vote { view, seq, digest: pp.body.digest() }));
            let me = ctx.id();
            let slot = self.slot(s, seq);
            slot.pre_prepare = Some(pp);
            // O's payloads are vouched for by the certificates in V.
            slot.accepted = true;
            if let Some(prepare) = prepare {
                slot.prepares.insert(me, prepare.clone());
                ctx.broadcast(PbftMsg::Prepare(prepare));
            }
        }
        s.new_view = Some(nv);
        if i_am_primary {
            s.next_seq = max_seq.max(s.low);
        }
        let seqs: Vec<u64> = s.log.keys().copied().collect();
        for seq in seqs {
            self.check_prepared(s, seq, ctx);
        }
        self.assign_pending(s, ctx);
        self.update_request_timer(s, ctx);
    }
}
