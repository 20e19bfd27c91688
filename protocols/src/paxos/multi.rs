//! Multi-Paxos (§3 of "Paxos Made Simple"): a replicated key-value store,
//! one Paxos instance per log slot, with a stable leader.
//!
//! * **Election = phase 1.** A follower that hears no heartbeat for a
//!   randomised election timeout becomes a candidate: it picks a ballot above
//!   every round it has seen, promises it to itself, and sends one
//!   *Prepare(ballot, from_slot)* covering every slot from the first one it
//!   does not know to be chosen. Each acceptor promises and answers with all
//!   proposals it has accepted in those slots.
//! * **Taking over.** With a majority of promises the candidate leads. For
//!   every slot from `from_slot` to the highest slot reported, it re-proposes
//!   the highest-numbered accepted value (the phase 2a rule, slot by slot),
//!   or a no-op where nobody reported anything.
//! * **Steady state = phase 2.** Each client command gets the next slot and
//!   one *Accept(ballot, slot, command)*; a majority of *Accepted* makes it
//!   chosen. The leader tells everyone with *Chosen*, applies the log in slot
//!   order and answers the client. Heartbeats carry the leader's chosen
//!   prefix; a follower that is behind asks with *CatchUp*. Unanswered
//!   Accepts are sent again with every heartbeat (links lose messages).
//! * **Deposing.** Any Nack, Prepare, Accept or heartbeat carrying a ballot
//!   above a leader's own makes it step down.
//!
//! Acceptors persist their promise and accepted proposals before answering.
//! Learned (chosen) values and the store are volatile: after a crash a node
//! learns them again from the leader (or, as a new leader, by phase 1).

use super::slots::Slots;
use super::{majority, Ballot, PaxosBug, AGREEMENT, LEARNED_IS_CHOSEN, ONE_VALUE_PER_BALLOT, VALIDITY};
use crate::kv::{KvOutcome, KvReply, KvRequest, KvStore};
use sim_core::{ClientId, Ctx, NodeId, Protocol, SystemView, Violation, NANOS_PER_MILLI};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Most chosen entries one `Chosen` message carries in answer to `CatchUp`.
pub const MAX_CATCH_UP: usize = 64;
/// Most unanswered Accepts a leader sends again per heartbeat.
pub const MAX_RETRANSMIT: usize = 64;

/// What a slot holds: a client request, or the no-op a new leader uses to
/// fill a slot nobody reported.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Command {
    Noop,
    Request(Arc<KvRequest>),
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Noop => f.write_str("noop"),
            Command::Request(r) => write!(f, "{}#{} {:?}", r.id.client, r.id.seq, r.command),
        }
    }
}

/// Multi-Paxos's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultiPaxos {
    /// Election timeouts are drawn uniformly from `min..=max` (local clock).
    pub election_timeout_min_ns: u64,
    pub election_timeout_max_ns: u64,
    /// How often a leader sends heartbeats (and retransmits Accepts).
    pub heartbeat_interval_ns: u64,
    pub bug: Option<PaxosBug>,
}

impl Default for MultiPaxos {
    fn default() -> Self {
        MultiPaxos {
            election_timeout_min_ns: 150 * NANOS_PER_MILLI,
            election_timeout_max_ns: 300 * NANOS_PER_MILLI,
            heartbeat_interval_ns: 50 * NANOS_PER_MILLI,
            bug: None,
        }
    }
}

impl MultiPaxos {
    pub fn with_bug(bug: Option<PaxosBug>) -> Self {
        MultiPaxos { bug, ..MultiPaxos::default() }
    }

    fn has_bug(&self, bug: PaxosBug) -> bool {
        self.bug == Some(bug)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MultiMsg {
    /// 1a for every slot `>= from_slot` at once.
    Prepare { ballot: Ballot, from_slot: u64 },
    /// 1b: the promise, with every proposal accepted in slots `>= from_slot`.
    Promise { ballot: Ballot, accepted: Vec<(u64, Ballot, Command)> },
    /// 2a for one slot.
    Accept { ballot: Ballot, slot: u64, command: Command },
    /// 2b, to the leader.
    Accepted { ballot: Ballot, slot: u64 },
    /// `ballot` was refused: the acceptor promised the higher `promised`.
    Nack { ballot: Ballot, promised: Ballot },
    /// The leader is alive; it knows every slot up to `chosen_upto` chosen.
    Heartbeat { ballot: Ballot, chosen_upto: u64 },
    /// A follower asks the leader for the chosen values from `from_slot` on.
    CatchUp { from_slot: u64 },
    /// Chosen values, from the leader to the learners.
    Chosen { entries: Vec<(u64, Command)> },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MultiTimer {
    Election,
    Heartbeat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

/// What an acceptor writes to stable storage.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MultiDurable {
    pub promised: Ballot,
    pub accepted: Slots<(Ballot, Command)>,
    /// The highest ballot among `accepted` (derived, kept to avoid a scan).
    pub highest_accepted: Ballot,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MultiState {
    // Acceptor (persisted).
    pub promised: Ballot,
    pub accepted: Slots<(Ballot, Command)>,
    pub highest_accepted: Ballot,
    /// Slots this node accepted during the event being handled (cleared
    /// when each handler starts). Only the invariant checker reads it: it
    /// saves scanning every slot after every event.
    pub just_accepted: Vec<u64>,

    // Learner.
    /// Values known to be chosen.
    pub chosen: Slots<Command>,
    /// Slots `1..=applied` are chosen and applied to `store`.
    pub applied: u64,
    pub store: KvStore,
    /// Clients waiting for their request to be applied here:
    /// client -> (request seq, whom to answer).
    pub waiting: BTreeMap<ClientId, (u64, ClientId)>,

    // Proposer.
    pub role: Role,
    /// The ballot this node leads (or tries to lead) with.
    pub ballot: Ballot,
    /// The highest round seen in any ballot.
    pub max_round: u64,
    /// Who this node believes leads (for client redirects).
    pub leader_hint: Option<NodeId>,
    /// Candidate: which nodes promised `ballot`, and the highest-numbered
    /// proposal they reported per slot.
    pub promised_by: Vec<bool>,
    pub reported: BTreeMap<u64, (Ballot, Command)>,
    /// Leader: proposals in phase 2 not yet chosen: slot -> (command, which
    /// acceptors accepted it).
    pub proposals: BTreeMap<u64, (Command, Vec<bool>)>,
    /// Leader: the next free slot.
    pub next_slot: u64,
}

impl MultiState {
    fn new(promised: Ballot, accepted: Slots<(Ballot, Command)>, highest_accepted: Ballot) -> Self {
        MultiState {
            max_round: promised.round.max(highest_accepted.round),
            promised,
            accepted,
            highest_accepted,
            just_accepted: Vec::new(),
            chosen: Slots::new(),
            applied: 0,
            store: KvStore::default(),
            waiting: BTreeMap::new(),
            role: Role::Follower,
            ballot: Ballot::ZERO,
            leader_hint: None,
            promised_by: Vec::new(),
            reported: BTreeMap::new(),
            proposals: BTreeMap::new(),
            next_slot: 1,
        }
    }

    pub fn is_leader(&self) -> bool {
        self.role == Role::Leader
    }
}

impl MultiPaxos {
    /// What goes to stable storage. Under `forget-promise` the promise is
    /// not written: only the highest accepted ballot survives as a promise.
    fn durable(&self, s: &MultiState) -> MultiDurable {
        let promised = if self.has_bug(PaxosBug::ForgetPromise) { s.highest_accepted } else { s.promised };
        MultiDurable { promised, accepted: s.accepted.clone(), highest_accepted: s.highest_accepted }
    }

    fn reset_election_timer(&self, ctx: &mut Ctx<'_, Self>) {
        let after = ctx.random_range(self.election_timeout_min_ns, self.election_timeout_max_ns);
        ctx.set_timer(MultiTimer::Election, after);
    }

    fn observe(&self, s: &mut MultiState, ballot: Ballot) {
        s.max_round = s.max_round.max(ballot.round);
    }

    fn step_down(&self, s: &mut MultiState, ctx: &mut Ctx<'_, Self>) {
        if s.role == Role::Follower {
            return;
        }
        ctx.note(|| format!("step down from ballot {}", s.ballot));
        if s.role == Role::Leader {
            ctx.cancel_timer(MultiTimer::Heartbeat);
        }
        s.role = Role::Follower;
        s.promised_by.clear();
        s.reported.clear();
        s.proposals.clear();
        self.reset_election_timer(ctx);
    }

    // ---- Phase 1: elections ----

    fn on_election_timeout(&self, s: &mut MultiState, ctx: &mut Ctx<'_, Self>) {
        if s.is_leader() {
            return;
        }
        s.max_round = s.max_round.max(s.promised.round) + 1;
        s.ballot = Ballot::new(s.max_round, ctx.id());
        s.role = Role::Candidate;
        s.leader_hint = None;
        s.promised = s.ballot; // promise to ourselves
        ctx.note(|| format!("prepare ballot {} from slot {}", s.ballot, s.applied + 1));
        ctx.persist(self.durable(s));
        let from_slot = s.applied + 1;
        s.promised_by = vec![false; ctx.node_count()];
        s.promised_by[ctx.id().index()] = true;
        s.reported = s.accepted.iter_from(from_slot).map(|(slot, (b, c))| (slot, (*b, c.clone()))).collect();
        self.reset_election_timer(ctx);
        if s.promised_by.len() < 2 {
            self.become_leader(s, ctx);
            return;
        }
        ctx.broadcast(MultiMsg::Prepare { ballot: s.ballot, from_slot });
    }

    fn on_prepare(&self, s: &mut MultiState, from: NodeId, ballot: Ballot, from_slot: u64, ctx: &mut Ctx<'_, Self>) {
        self.observe(s, ballot);
        if ballot < s.promised {
            ctx.send(from, MultiMsg::Nack { ballot, promised: s.promised });
            return;
        }
        if ballot > s.promised {
            s.promised = ballot;
            self.step_down(s, ctx);
            // The bug: the promise stays in memory only.
            if !self.has_bug(PaxosBug::ForgetPromise) {
                ctx.persist(self.durable(s));
            }
        }
        s.leader_hint = Some(ballot.node);
        self.reset_election_timer(ctx);
        let accepted = s.accepted.iter_from(from_slot).map(|(slot, (b, c))| (slot, *b, c.clone())).collect();
        ctx.send(from, MultiMsg::Promise { ballot, accepted });
    }

    fn on_promise(
        &self,
        s: &mut MultiState,
        from: NodeId,
        ballot: Ballot,
        accepted: Vec<(u64, Ballot, Command)>,
        ctx: &mut Ctx<'_, Self>,
    ) {
        if s.role != Role::Candidate || ballot != s.ballot {
            return; // stale
        }
        let Some(p) = s.promised_by.get_mut(from.index()) else { return };
        if *p {
            return; // duplicate
        }
        *p = true;
        for (slot, b, command) in accepted {
            if s.reported.get(&slot).is_none_or(|(r, _)| b > *r) {
                s.reported.insert(slot, (b, command));
            }
        }
        if s.promised_by.iter().filter(|p| **p).count() >= majority(s.promised_by.len()) {
            self.become_leader(s, ctx);
        }
    }

    /// Phase 2a for every slot the promises spoke of, then lead.
    fn become_leader(&self, s: &mut MultiState, ctx: &mut Ctx<'_, Self>) {
        ctx.note(|| format!("leader with ballot {}", s.ballot));
        s.role = Role::Leader;
        s.leader_hint = Some(ctx.id());
        s.promised_by.clear();
        ctx.cancel_timer(MultiTimer::Election);
        let reported = std::mem::take(&mut s.reported);
        // The bug: ignore what the acceptors reported.
        let ignore = self.has_bug(PaxosBug::IgnoreAccepted);
        let known = s.chosen.max_slot().max(s.applied);
        let heard = if ignore { 0 } else { reported.keys().next_back().copied().unwrap_or(0) };
        s.next_slot = known.max(heard) + 1;
        for slot in s.applied + 1..s.next_slot {
            if s.chosen.contains(slot) {
                continue;
            }
            let command = match reported.get(&slot) {
                Some((_, c)) if !ignore => c.clone(),
                _ => Command::Noop,
            };
            self.propose(s, slot, command, ctx);
        }
        ctx.persist(self.durable(s));
        self.on_heartbeat_timer(s, ctx);
    }

    // ---- Phase 2 ----

    /// Accepts `command` at `slot` in our own ballot (the leader is also an
    /// acceptor) and sends Accept to the others. The caller persists.
    fn propose(&self, s: &mut MultiState, slot: u64, command: Command, ctx: &mut Ctx<'_, Self>) {
        let ballot = s.ballot;
        s.accepted.set(slot, (ballot, command.clone()));
        s.highest_accepted = s.highest_accepted.max(ballot);
        s.just_accepted.push(slot);
        let mut votes = vec![false; ctx.node_count()];
        votes[ctx.id().index()] = true;
        if votes.len() < 2 {
            self.learn(s, slot, command, ctx);
            return;
        }
        s.proposals.insert(slot, (command.clone(), votes));
        ctx.broadcast(MultiMsg::Accept { ballot, slot, command });
    }

    fn on_accept(
        &self,
        s: &mut MultiState,
        from: NodeId,
        ballot: Ballot,
        slot: u64,
        command: Command,
        ctx: &mut Ctx<'_, Self>,
    ) {
        self.observe(s, ballot);
        if ballot < s.promised || slot == 0 {
            ctx.send(from, MultiMsg::Nack { ballot, promised: s.promised });
            return;
        }
        s.promised = ballot;
        if ballot > s.ballot {
            self.step_down(s, ctx);
        }
        s.leader_hint = Some(ballot.node);
        self.reset_election_timer(ctx);
        if s.accepted.get(slot) != Some(&(ballot, command.clone())) {
            s.accepted.set(slot, (ballot, command));
            s.highest_accepted = s.highest_accepted.max(ballot);
            s.just_accepted.push(slot);
        }
        ctx.persist(self.durable(s));
        ctx.send(from, MultiMsg::Accepted { ballot, slot });
    }

    fn on_accepted(&self, s: &mut MultiState, from: NodeId, ballot: Ballot, slot: u64, ctx: &mut Ctx<'_, Self>) {
        if !s.is_leader() || ballot != s.ballot {
            return;
        }
        let Some((command, votes)) = s.proposals.get_mut(&slot) else { return };
        let Some(v) = votes.get_mut(from.index()) else { return };
        *v = true;
        if votes.iter().filter(|v| **v).count() < majority(votes.len()) {
            return;
        }
        let command = command.clone();
        s.proposals.remove(&slot);
        ctx.note(|| format!("chosen at slot {slot}: {command:?}"));
        ctx.broadcast(MultiMsg::Chosen { entries: vec![(slot, command.clone())] });
        self.learn(s, slot, command, ctx);
    }

    fn on_nack(&self, s: &mut MultiState, ballot: Ballot, promised: Ballot, ctx: &mut Ctx<'_, Self>) {
        self.observe(s, promised);
        if s.role != Role::Follower && ballot == s.ballot && promised > s.ballot {
            ctx.note(|| format!("ballot {ballot} preempted by {promised}"));
            self.step_down(s, ctx);
            s.leader_hint = Some(promised.node);
        }
    }

    // ---- Heartbeats and learning ----

    fn on_heartbeat_timer(&self, s: &mut MultiState, ctx: &mut Ctx<'_, Self>) {
        if !s.is_leader() {
            return;
        }
        ctx.broadcast(MultiMsg::Heartbeat { ballot: s.ballot, chosen_upto: s.applied });
        // Send unanswered Accepts again, to those who have not accepted.
        let ballot = s.ballot;
        for (slot, (command, votes)) in s.proposals.iter().take(MAX_RETRANSMIT) {
            for (i, v) in votes.iter().enumerate() {
                if !*v {
                    ctx.send(NodeId(i as u32), MultiMsg::Accept { ballot, slot: *slot, command: command.clone() });
                }
            }
        }
        ctx.set_timer(MultiTimer::Heartbeat, self.heartbeat_interval_ns);
    }

    fn on_heartbeat(
        &self,
        s: &mut MultiState,
        from: NodeId,
        ballot: Ballot,
        chosen_upto: u64,
        ctx: &mut Ctx<'_, Self>,
    ) {
        self.observe(s, ballot);
        if ballot < s.promised {
            ctx.send(from, MultiMsg::Nack { ballot, promised: s.promised });
            return;
        }
        if ballot > s.ballot {
            self.step_down(s, ctx);
        }
        s.leader_hint = Some(from);
        self.reset_election_timer(ctx);
        if s.applied < chosen_upto {
            ctx.send(from, MultiMsg::CatchUp { from_slot: s.applied + 1 });
        }
    }

    fn on_catch_up(&self, s: &MultiState, from: NodeId, from_slot: u64, ctx: &mut Ctx<'_, Self>) {
        if !s.is_leader() {
            return;
        }
        let entries: Vec<(u64, Command)> =
            s.chosen.iter_from(from_slot).take(MAX_CATCH_UP).map(|(slot, c)| (slot, c.clone())).collect();
        if !entries.is_empty() {
            ctx.send(from, MultiMsg::Chosen { entries });
        }
    }

    fn on_chosen(&self, s: &mut MultiState, from: NodeId, entries: Vec<(u64, Command)>, ctx: &mut Ctx<'_, Self>) {
        let full = entries.len() >= MAX_CATCH_UP;
        for (slot, command) in entries {
            self.learn(s, slot, command, ctx);
        }
        if full {
            ctx.send(from, MultiMsg::CatchUp { from_slot: s.applied + 1 }); // keep catching up
        }
    }

    /// Records a chosen value and applies every chosen slot in order.
    fn learn(&self, s: &mut MultiState, slot: u64, command: Command, ctx: &mut Ctx<'_, Self>) {
        if slot == 0 || s.chosen.contains(slot) {
            return;
        }
        s.chosen.set(slot, command);
        while let Some(command) = s.chosen.get(s.applied + 1) {
            s.applied += 1;
            let Command::Request(request) = command else { continue };
            let request = request.clone();
            let value = s.store.apply(&request);
            let id = request.id;
            if let Some(&(seq, reply_to)) = s.waiting.get(&id.client) {
                if seq == id.seq {
                    s.waiting.remove(&id.client);
                    ctx.reply(reply_to, KvReply { id, outcome: KvOutcome::Ok { value } });
                }
            }
        }
    }

    // ---- Clients ----

    fn on_client_request(&self, s: &mut MultiState, client: ClientId, request: KvRequest, ctx: &mut Ctx<'_, Self>) {
        if !s.is_leader() {
            let hint = s.leader_hint.filter(|h| *h != ctx.id());
            ctx.reply(client, KvReply { id: request.id, outcome: KvOutcome::NotLeader { hint } });
            return;
        }
        let id = request.id;
        // Already applied here (a retry whose first attempt got through):
        // answer from the session table without a new slot.
        if let Some((seq, result)) = s.store.sessions.get(&id.client) {
            if *seq == id.seq {
                ctx.reply(client, KvReply { id, outcome: KvOutcome::Ok { value: result.clone() } });
                return;
            }
        }
        s.waiting.insert(id.client, (id.seq, client));
        // Already proposed in this ballot: the reply comes when it is chosen.
        let pending = s.proposals.values().any(|(c, _)| matches!(c, Command::Request(r) if r.id == id));
        if pending {
            return;
        }
        let slot = s.next_slot;
        s.next_slot += 1;
        self.propose(s, slot, Command::Request(Arc::new(request)), ctx);
        ctx.persist(self.durable(s));
    }
}

impl Protocol for MultiPaxos {
    type State = MultiState;
    type Msg = MultiMsg;
    type Timer = MultiTimer;
    type Durable = MultiDurable;
    type Request = KvRequest;
    type Response = KvReply;
    type Monitor = MultiMonitor;

    fn name(&self) -> &'static str {
        "multi-paxos"
    }

    fn is_leader(&self, state: &MultiState) -> bool {
        state.is_leader()
    }

    fn init(&self, _id: NodeId, ctx: &mut Ctx<'_, Self>) -> MultiState {
        self.reset_election_timer(ctx);
        MultiState::new(Ballot::ZERO, Slots::new(), Ballot::ZERO)
    }

    fn on_message(&self, _id: NodeId, s: &mut MultiState, from: NodeId, msg: MultiMsg, ctx: &mut Ctx<'_, Self>) {
        s.just_accepted.clear();
        match msg {
            MultiMsg::Prepare { ballot, from_slot } => self.on_prepare(s, from, ballot, from_slot, ctx),
            MultiMsg::Promise { ballot, accepted } => self.on_promise(s, from, ballot, accepted, ctx),
            MultiMsg::Accept { ballot, slot, command } => self.on_accept(s, from, ballot, slot, command, ctx),
            MultiMsg::Accepted { ballot, slot } => self.on_accepted(s, from, ballot, slot, ctx),
            MultiMsg::Nack { ballot, promised } => self.on_nack(s, ballot, promised, ctx),
            MultiMsg::Heartbeat { ballot, chosen_upto } => self.on_heartbeat(s, from, ballot, chosen_upto, ctx),
            MultiMsg::CatchUp { from_slot } => self.on_catch_up(s, from, from_slot, ctx),
            MultiMsg::Chosen { entries } => self.on_chosen(s, from, entries, ctx),
        }
    }

    fn on_timer(&self, _id: NodeId, s: &mut MultiState, timer: MultiTimer, ctx: &mut Ctx<'_, Self>) {
        s.just_accepted.clear();
        match timer {
            MultiTimer::Election => self.on_election_timeout(s, ctx),
            MultiTimer::Heartbeat => self.on_heartbeat_timer(s, ctx),
        }
    }

    fn on_request(
        &self,
        _id: NodeId,
        s: &mut MultiState,
        client: ClientId,
        request: KvRequest,
        ctx: &mut Ctx<'_, Self>,
    ) {
        s.just_accepted.clear();
        self.on_client_request(s, client, request, ctx)
    }

    /// Restart as a follower from the acceptor's stable storage; the chosen
    /// values and the store are learned again.
    fn recover(&self, _id: NodeId, durable: Option<&MultiDurable>, ctx: &mut Ctx<'_, Self>) -> MultiState {
        self.reset_election_timer(ctx);
        match durable {
            Some(d) => MultiState::new(d.promised, d.accepted.clone(), d.highest_accepted),
            None => MultiState::new(Ballot::ZERO, Slots::new(), Ballot::ZERO),
        }
    }

    fn check_invariants(&self, monitor: &mut MultiMonitor, view: &SystemView<'_, Self>) -> Result<(), Violation> {
        match view.changed {
            Some(n) => monitor.check_node(n, view, false),
            None => (0..view.states.len() as u32).try_for_each(|i| monitor.check_node(NodeId(i), view, true)),
        }
    }
}

// ---- Invariants ----

/// History variables: per (slot, ballot), the value accepted and by whom;
/// per slot, the first value chosen; per node, how far its applied prefix
/// has been checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MultiMonitor {
    ballots: BTreeMap<(u64, Ballot), (Command, Vec<bool>)>,
    /// slot -> (value, ballot in which a majority accepted it).
    chosen: BTreeMap<u64, (Command, Ballot)>,
    checked: Vec<u64>,
}

impl MultiMonitor {
    /// The value chosen at `slot`, if any.
    pub fn chosen_at(&self, slot: u64) -> Option<&Command> {
        self.chosen.get(&slot).map(|(c, _)| c)
    }

    /// How many slots have a chosen value.
    pub fn chosen_count(&self) -> usize {
        self.chosen.len()
    }

    fn check_node(&mut self, n: NodeId, view: &SystemView<'_, MultiPaxos>, all: bool) -> Result<(), Violation> {
        let Some(Some(s)) = view.states.get(n.index()) else { return Ok(()) }; // crashed
        let nodes = view.states.len();
        // At start-up (`all`) look at every accepted slot; after that only at
        // what the last event accepted.
        let slots: Vec<u64> =
            if all { s.accepted.iter_from(1).map(|(slot, _)| slot).collect() } else { s.just_accepted.clone() };
        for slot in slots {
            let Some((ballot, command)) = s.accepted.get(slot) else { continue };
            self.accepted(n, nodes, slot, *ballot, command)?;
        }
        // Learners apply only chosen values.
        if self.checked.len() < nodes {
            self.checked.resize(nodes, 0);
        }
        let from = if s.applied < self.checked[n.index()] { 0 } else { self.checked[n.index()] };
        for slot in from + 1..=s.applied {
            let learned = s.chosen.get(slot);
            if learned.is_none() || learned != self.chosen_at(slot) {
                return Err(Violation::new(
                    LEARNED_IS_CHOSEN,
                    format!(
                        "{n} applied {learned:?} at slot {slot}, but the value chosen there is {:?}",
                        self.chosen_at(slot)
                    ),
                ));
            }
        }
        self.checked[n.index()] = s.applied;
        Ok(())
    }

    fn accepted(
        &mut self,
        n: NodeId,
        nodes: usize,
        slot: u64,
        ballot: Ballot,
        command: &Command,
    ) -> Result<(), Violation> {
        let entry = match self.ballots.get_mut(&(slot, ballot)) {
            Some(e) => e,
            None => {
                // The ballot's proposer accepts its own proposal first.
                if ballot.node != n {
                    return Err(Violation::new(
                        VALIDITY,
                        format!(
                            "{n} accepted {command:?} at slot {slot} in ballot {ballot}, which {} never proposed",
                            ballot.node
                        ),
                    ));
                }
                self.ballots.entry((slot, ballot)).or_insert_with(|| (command.clone(), vec![false; nodes]))
            }
        };
        if entry.0 != *command {
            return Err(Violation::new(
                ONE_VALUE_PER_BALLOT,
                format!("{n} accepted {command:?} at slot {slot} in ballot {ballot}, where {:?} was proposed", entry.0),
            ));
        }
        entry.1[n.index()] = true;
        if entry.1.iter().filter(|b| **b).count() < majority(nodes) {
            return Ok(());
        }
        match self.chosen.get(&slot) {
            None => {
                self.chosen.insert(slot, (command.clone(), ballot));
            }
            Some((c, b)) if c != command => {
                return Err(Violation::new(
                    AGREEMENT,
                    format!(
                        "two values chosen at slot {slot}: {c:?} (accepted by a majority in ballot {b}) and \
                         {command:?} (accepted by a majority in ballot {ballot})"
                    ),
                ))
            }
            Some(_) => {}
        }
        Ok(())
    }
}
