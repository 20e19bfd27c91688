//! The normal case (§4.2) and execution: client requests, pre-prepare,
//! prepare, commit, in-order execution and replies, plus the periodic status
//! exchange that retransmits what a lagging replica misses.

use super::messages::{primary, Payload, PbftMsg, PbftReply, PbftTimer, PrePrepare, Status, Vote};
use super::state::{PbftState, Slot};
use super::{Pbft, PbftBug};
use crate::kv::KvRequest;
use sim_core::{ClientId, Ctx, NodeId, Signed};
use std::sync::Arc;

impl Pbft {
    pub(super) fn is_primary(&self, s: &PbftState, ctx: &Ctx<'_, Self>) -> bool {
        primary(s.view, ctx.node_count()) == ctx.id()
    }

    /// A sequence number inside the watermarks (h, H] (§4.2).
    pub(super) fn in_window(&self, s: &PbftState, seq: u64) -> bool {
        seq > s.low && seq <= s.low + self.window
    }

    /// The slot for `seq` in the current view (older views' messages dropped).
    pub(super) fn slot<'s>(&self, s: &'s mut PbftState, seq: u64) -> &'s mut Slot {
        let view = s.view;
        let slot = s.log.entry(seq).or_insert_with(|| Slot { view, ..Slot::default() });
        if slot.view < view {
            slot.reset_to(view);
        }
        slot
    }

    // ---- Requests ----

    /// A request straight from its client: clients multicast every request,
    /// so each replica authenticates it on its own channel (the paper's
    /// per-replica MACs) and a backup later accepts a pre-prepare only for a
    /// request it holds: a primary cannot invent or alter one.
    pub(super) fn on_client_request(
        &self,
        s: &mut PbftState,
        client: ClientId,
        request: KvRequest,
        ctx: &mut Ctx<'_, Self>,
    ) {
        if request.id.client != client {
            return; // a client speaks only for itself
        }
        let request = Arc::new(request);
        s.just_received.push(Payload::Request(request.clone()).digest());
        if s.executed(request.id) {
            // A retransmission: answer from the session cache (§4.1).
            if let Some((seq, value)) = s.store.sessions.get(&client) {
                if *seq == request.id.seq {
                    ctx.reply(client, PbftReply { view: s.view, id: request.id, value: value.clone() });
                }
            }
            return;
        }
        s.pending.insert(request.id, request.clone());
        if self.is_primary(s, ctx) && !s.view_changing {
            self.assign(s, request, ctx);
        } else {
            // The pre-prepare may have overtaken the client's request.
            let waiting: Vec<u64> = s
                .log
                .iter()
                .filter(|(_, slot)| !slot.accepted && slot.payload().and_then(Payload::request_id) == Some(request.id))
                .map(|(seq, _)| *seq)
                .collect();
            for seq in waiting {
                self.try_accept(s, seq, ctx);
            }
            self.update_request_timer(s, ctx);
        }
    }

    /// Primary: gives `request` the next sequence number, if the window has room.
    pub(super) fn assign(&self, s: &mut PbftState, request: Arc<KvRequest>, ctx: &mut Ctx<'_, Self>) {
        let assigned = s
            .log
            .values()
            .any(|slot| slot.view == s.view && slot.payload().and_then(Payload::request_id) == Some(request.id));
        // Waiting for state transfer, the primary cannot tell what was executed.
        if assigned || s.executed(request.id) || s.last_executed < s.low || s.next_seq.max(s.low) >= s.low + self.window
        {
            return;
        }
        s.next_seq = s.next_seq.max(s.low) + 1;
        let seq = s.next_seq;
        let pp = Arc::new(ctx.sign(PrePrepare { view: s.view, seq, payload: Payload::Request(request) }));
        ctx.note(|| format!("pre-prepare {seq} {:?}", pp.body.payload));
        let slot = self.slot(s, seq);
        slot.pre_prepare = Some(pp.clone());
        slot.accepted = true;
        ctx.broadcast(PbftMsg::PrePrepare(pp));
        self.check_prepared(s, seq, ctx);
    }

    /// Primary: assigns every pending request the window has room for.
    pub(super) fn assign_pending(&self, s: &mut PbftState, ctx: &mut Ctx<'_, Self>) {
        if !self.is_primary(s, ctx) || s.view_changing {
            return;
        }
        let pending: Vec<Arc<KvRequest>> = s.pending.values().cloned().collect();
        for request in pending {
            self.assign(s, request, ctx);
        }
    }

    // ---- Pre-prepare, prepare, commit ----

    pub(super) fn on_pre_prepare(&self, s: &mut PbftState, pp: Arc<Signed<PrePrepare>>, ctx: &mut Ctx<'_, Self>) {
        let n = ctx.node_count();
        let (view, seq) = (pp.body.view, pp.body.seq);
        if !pp.verify() || pp.signer != primary(view, n) || view != s.view || s.view_changing {
            return;
        }
        if !self.in_window(s, seq) {
            return;
        }
        let slot = self.slot(s, seq);
        match &slot.pre_prepare {
            // A second, different pre-prepare for (v, n): the primary
            // equivocates. Keep the first (§4.2: "it has not accepted a
            // pre-prepare for view v and sequence number n containing a
            // different digest").
            Some(existing) if existing.body.digest() != pp.body.digest() => return,
            Some(_) => {}
            None => slot.pre_prepare = Some(pp),
        }
        self.try_accept(s, seq, ctx);
    }

    /// Accepts the slot's pre-prepare once its payload is vouched for: the
    /// null request always, a client request once this replica holds it from
    /// the client (under `skip-request-check`: always). A backup then
    /// multicasts its prepare.
    pub(super) fn try_accept(&self, s: &mut PbftState, seq: u64, ctx: &mut Ctx<'_, Self>) {
        let Some(slot) = s.log.get(&seq) else { return };
        let Some(pp) = slot.pre_prepare.clone() else { return };
        if slot.accepted || slot.view != s.view {
            return;
        }
        let vouched = match &pp.body.payload {
            Payload::Null => true,
            Payload::Request(r) => {
                self.has_bug(PbftBug::SkipRequestCheck) || s.pending.get(&r.id).is_some_and(|held| **held == **r)
            }
        };
        if !vouched {
            return;
        }
        let i_am_primary = self.is_primary(s, ctx);
        let vote = Vote { view: s.view, seq, digest: pp.body.digest() };
        let prepare = (!i_am_primary).then(|| ctx.sign(vote));
        let me = ctx.id();
        let slot = self.slot(s, seq);
        slot.accepted = true;
        if let Some(prepare) = prepare {
            slot.prepares.insert(me, prepare.clone());
            ctx.broadcast(PbftMsg::Prepare(prepare));
        }
        self.check_prepared(s, seq, ctx);
    }

    pub(super) fn on_prepare(&self, s: &mut PbftState, vote: Signed<Vote>, ctx: &mut Ctx<'_, Self>) {
        let n = ctx.node_count();
        let v = vote.body;
        // The primary does not prepare its own pre-prepare.
        if !vote.verify() || vote.signer == primary(v.view, n) || v.view != s.view || s.view_changing {
            return;
        }
        if !self.in_window(s, v.seq) {
            return;
        }
        self.slot(s, v.seq).prepares.entry(vote.signer).or_insert(vote);
        self.check_prepared(s, v.seq, ctx);
    }

    pub(super) fn on_commit(&self, s: &mut PbftState, vote: Signed<Vote>, ctx: &mut Ctx<'_, Self>) {
        let v = vote.body;
        if !vote.verify() || v.view != s.view || s.view_changing || !self.in_window(s, v.seq) {
            return;
        }
        self.slot(s, v.seq).commits.entry(vote.signer).or_insert(vote);
        self.check_committed(s, v.seq, ctx);
    }

    /// prepared(m, v, n, i): the pre-prepare and 2f matching prepares from
    /// distinct backups. A replica that never got the request from its
    /// client still prepares on 2f prepares of others: among them at least
    /// one correct backup holds the request. Then it multicasts its commit.
    pub(super) fn check_prepared(&self, s: &mut PbftState, seq: u64, ctx: &mut Ctx<'_, Self>) {
        let n = ctx.node_count();
        let me = ctx.id();
        let Some(slot) = s.log.get(&seq) else { return };
        let Some(pp) = slot.pre_prepare.clone() else { return };
        if slot.prepared || slot.view != s.view {
            return;
        }
        let expected = Vote { view: s.view, seq, digest: pp.body.digest() };
        let matching: Vec<Signed<Vote>> =
            slot.prepares.values().filter(|p| p.body == expected && p.signer != primary(s.view, n)).cloned().collect();
        let quorum = self.prepare_quorum(n);
        let others = matching.iter().filter(|p| p.signer != me).count();
        if !(slot.accepted && matching.len() >= quorum) && others < quorum {
            return;
        }
        let proof = super::messages::PreparedProof { pre_prepare: (*pp).clone(), prepares: matching };
        let commit = ctx.sign(expected);
        ctx.note(|| format!("prepared {seq} {:?}", pp.body.payload));
        let slot = self.slot(s, seq);
        slot.prepared = true;
        slot.proof = Some(Arc::new(proof));
        slot.commits.insert(me, commit.clone());
        ctx.broadcast(PbftMsg::Commit(commit));
        self.check_committed(s, seq, ctx);
    }

    /// committed-local(m, v, n, i): prepared and 2f+1 matching commits.
    pub(super) fn check_committed(&self, s: &mut PbftState, seq: u64, ctx: &mut Ctx<'_, Self>) {
        let n = ctx.node_count();
        let Some(slot) = s.log.get_mut(&seq) else { return };
        if !slot.prepared || slot.committed || slot.view != s.view {
            return;
        }
        let Some(digest) = slot.digest() else { return };
        let expected = Vote { view: s.view, seq, digest };
        let count = slot.commits.values().filter(|c| c.body == expected).count();
        if count >= self.commit_quorum(n) {
            slot.committed = true;
            self.try_execute(s, ctx);
        }
    }

    // ---- Execution ----

    /// Executes committed slots in sequence order (§4.2: "replicas execute
    /// requests in order"), replies to clients and takes checkpoints.
    pub(super) fn try_execute(&self, s: &mut PbftState, ctx: &mut Ctx<'_, Self>) {
        let mut progressed = false;
        while s.last_executed >= s.low {
            let seq = s.last_executed + 1;
            let Some(slot) = s.log.get(&seq) else { break };
            if !slot.committed {
                break;
            }
            let Some(pp) = slot.pre_prepare.clone() else { break };
            let payload = &pp.body.payload;
            if let Payload::Request(r) = payload {
                let value = s.store.apply(r);
                ctx.reply(r.id.client, PbftReply { view: s.view, id: r.id, value });
            }
            ctx.note(|| format!("execute {seq} {payload:?}"));
            s.last_executed = seq;
            s.just_executed.push((seq, payload.digest(), payload.request_id()));
            progressed = true;
            if seq % self.checkpoint_interval == 0 {
                self.take_checkpoint(s, seq, ctx);
            }
        }
        if progressed {
            s.view_change_attempts = 0;
            let store = &s.store;
            s.pending.retain(|id, _| !store.sessions.get(&id.client).is_some_and(|(seq, _)| *seq >= id.seq));
            self.update_request_timer(s, ctx);
        }
    }

    // ---- Timers ----

    /// The view-change timeout after `attempts` failed view changes: it
    /// doubles each time (§4.5.2), so the replicas eventually overlap in a
    /// view long enough to finish it once the network is timely again.
    pub(super) fn view_change_timeout(&self, attempts: u32) -> u64 {
        self.view_change_timeout_ns << attempts.min(6)
    }

    /// A backup waits for the execution of the requests it holds (§4.4): the
    /// timer runs while one is pending and restarts for the next one when it
    /// executes.
    pub(super) fn update_request_timer(&self, s: &mut PbftState, ctx: &mut Ctx<'_, Self>) {
        if s.view_changing {
            return;
        }
        if self.is_primary(s, ctx) {
            if s.waiting_for.take().is_some() {
                ctx.cancel_timer(PbftTimer::ViewChange);
            }
            return;
        }
        if let Some(id) = s.waiting_for {
            if s.pending.contains_key(&id) {
                return; // still waiting for the same request: keep the deadline
            }
        }
        match s.pending.keys().next().copied() {
            Some(id) => {
                s.waiting_for = Some(id);
                ctx.set_timer(PbftTimer::ViewChange, self.view_change_timeout(s.view_change_attempts));
            }
            None => {
                if s.waiting_for.take().is_some() {
                    ctx.cancel_timer(PbftTimer::ViewChange);
                }
            }
        }
    }

    pub(super) fn on_view_change_timer(&self, s: &mut PbftState, ctx: &mut Ctx<'_, Self>) {
        let expired = if s.view_changing { s.new_view_timer } else { s.waiting_for.is_some() };
        if expired {
            self.start_view_change(s, s.view + 1, ctx);
        }
    }

    /// Every tick: tell the others how far this replica got, resend its own
    /// messages for what has not committed here yet (links lose messages),
    /// and let the primary fill the window.
    pub(super) fn on_tick(&self, s: &mut PbftState, ctx: &mut Ctx<'_, Self>) {
        ctx.set_timer(PbftTimer::Tick, self.tick_ns);
        let status =
            Status { view: s.view, view_changing: s.view_changing, last_executed: s.last_executed, low: s.low };
        ctx.broadcast(PbftMsg::Status(status));
        if s.view_changing {
            if let Some(vc) = s.view_changes.get(&s.view).and_then(|m| m.get(&ctx.id())) {
                ctx.broadcast(PbftMsg::ViewChange(vc.clone()));
            }
            return;
        }
        let me = ctx.id();
        // Not "above last_executed": after a view change, a slot executed
        // in an earlier view must commit again in this one before replicas
        // that missed it can execute it.
        for slot in s.log.values() {
            if slot.view != s.view || slot.committed {
                continue;
            }
            for msg in own_messages(slot, me) {
                ctx.broadcast(msg);
            }
        }
        if let Some((_, record)) = s.checkpoints.iter().next_back() {
            if let Some(vote) = record.votes.get(&me) {
                ctx.broadcast(PbftMsg::Checkpoint(vote.clone()));
            }
        }
        self.assign_pending(s, ctx);
    }

    /// A peer's status: send it what it lacks to catch up with this replica
    /// (the new-view of a later view, the stable state, the messages of the
    /// sequence numbers it has not executed).
    pub(super) fn on_status(&self, s: &mut PbftState, from: NodeId, st: Status, ctx: &mut Ctx<'_, Self>) {
        if s.view_changing {
            return;
        }
        if st.view < s.view || (st.view == s.view && st.view_changing) {
            if let Some(nv) = &s.new_view {
                ctx.send(from, PbftMsg::NewView(nv.clone()));
            }
            return;
        }
        if st.view != s.view || st.view_changing {
            return;
        }
        if st.low < s.low {
            ctx.send(from, PbftMsg::StableState { proof: s.stable_proof.clone(), store: s.stable_store.clone() });
        }
        let me = ctx.id();
        let from_seq = st.last_executed.max(s.low) + 1;
        if from_seq > s.last_executed {
            return;
        }
        for (_, slot) in s.log.range(from_seq..=s.last_executed) {
            if slot.view != s.view {
                continue;
            }
            if let Some(pp) = &slot.pre_prepare {
                ctx.send(from, PbftMsg::PrePrepare(pp.clone()));
            }
            for msg in own_messages(slot, me) {
                if !matches!(msg, PbftMsg::PrePrepare(_)) {
                    ctx.send(from, msg);
                }
            }
        }
    }
}

/// What this replica itself said about a slot: its pre-prepare if it is
/// the primary, its prepare and its commit.
fn own_messages(slot: &Slot, me: NodeId) -> Vec<PbftMsg> {
    let mut out = Vec::new();
    if let Some(pp) = &slot.pre_prepare {
        if pp.signer == me {
            out.push(PbftMsg::PrePrepare(pp.clone()));
        }
    }
    if let Some(p) = slot.prepares.get(&me) {
        out.push(PbftMsg::Prepare(p.clone()));
    }
    if let Some(c) = slot.commits.get(&me) {
        out.push(PbftMsg::Commit(c.clone()));
    }
    out
}
