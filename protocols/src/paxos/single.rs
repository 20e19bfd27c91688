//! Single-decree Paxos (§2 of "Paxos Made Simple"): the cluster chooses one
//! value. Every node is an acceptor and a learner; the first `proposers`
//! nodes are also proposers, and node `i` proposes the value `100 + i`.
//!
//! A proposer's life: after a random start delay it runs phase 1 with a
//! ballot above every round it has seen; with a majority of promises it runs
//! phase 2 with the highest-numbered accepted value among them (or its own);
//! if the attempt is preempted (a Nack names a higher promise) it backs off
//! for a random delay and tries again; if it simply hears nothing (lost
//! messages, crashed acceptors) it tries again after `attempt_timeout_ns`. It
//! stops once its learner has learned the chosen value.
//!
//! Messages go to every node, the sender included (a node is its own
//! acceptor and learner, and talks to itself like to anyone else).

use super::{majority, Ballot, PaxosBug, AGREEMENT, LEARNED_IS_CHOSEN, ONE_VALUE_PER_BALLOT, VALIDITY};
use sim_core::{ClientId, Ctx, NodeId, Protocol, SystemView, Violation, NANOS_PER_MILLI};
use std::collections::BTreeMap;

/// A proposed value. Node `i` proposes `100 + i`.
pub type Value = u64;

/// The value node `node` proposes.
pub fn own_value(node: NodeId) -> Value {
    100 + node.0 as u64
}

/// Configuration of single-decree Paxos.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SingleDecree {
    /// Nodes `0..proposers` propose; the others only accept and learn.
    pub proposers: usize,
    /// A proposer's first attempt starts after a delay drawn from this range.
    pub start_delay_min_ns: u64,
    pub start_delay_max_ns: u64,
    /// After a Nack, a proposer waits a delay drawn from this range before
    /// its next attempt (randomised back-off against dueling, §2.4).
    pub backoff_min_ns: u64,
    pub backoff_max_ns: u64,
    /// An attempt that has not led to learning a value within this long
    /// (plus a back-off) is abandoned for a new one with a higher ballot.
    pub attempt_timeout_ns: u64,
    pub bug: Option<PaxosBug>,
}

impl Default for SingleDecree {
    fn default() -> Self {
        SingleDecree {
            proposers: usize::MAX,
            start_delay_min_ns: 0,
            start_delay_max_ns: 100 * NANOS_PER_MILLI,
            backoff_min_ns: 10 * NANOS_PER_MILLI,
            backoff_max_ns: 100 * NANOS_PER_MILLI,
            attempt_timeout_ns: 100 * NANOS_PER_MILLI,
            bug: None,
        }
    }
}

impl SingleDecree {
    pub fn with_bug(bug: Option<PaxosBug>) -> Self {
        SingleDecree { bug, ..SingleDecree::default() }
    }

    fn has_bug(&self, bug: PaxosBug) -> bool {
        self.bug == Some(bug)
    }

    fn is_proposer(&self, id: NodeId) -> bool {
        id.index() < self.proposers
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SingleMsg {
    /// 1a: "promise me not to accept anything below `ballot`".
    Prepare { ballot: Ballot },
    /// 1b: the promise, with the highest-numbered proposal accepted so far.
    Promise { ballot: Ballot, accepted: Option<(Ballot, Value)> },
    /// 2a: "accept `value` in `ballot`".
    Accept { ballot: Ballot, value: Value },
    /// 2b: sent by an acceptor to every learner when it accepts.
    Accepted { ballot: Ballot, value: Value },
    /// `ballot` was refused: the acceptor promised `promised`, which is higher.
    Nack { ballot: Ballot, promised: Ballot },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SingleTimer {
    /// Start a new attempt (first proposal, retry after time-out or back-off).
    Propose,
}

/// What an acceptor writes to stable storage before answering.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SingleDurable {
    pub promised: Ballot,
    pub accepted: Option<(Ballot, Value)>,
}

/// Where a proposer's current attempt stands.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Phase 1: `promised_by[i]` when node i promised; `highest` is the
    /// highest-numbered accepted proposal the promises reported.
    Preparing { promised_by: Vec<bool>, highest: Option<(Ballot, Value)> },
    /// Phase 2: Accept sent with this value.
    Accepting { value: Value },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Attempt {
    pub ballot: Ballot,
    pub phase: Phase,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SingleState {
    // Acceptor (persisted).
    pub promised: Ballot,
    pub accepted: Option<(Ballot, Value)>,
    // Proposer.
    /// The highest round seen in any ballot.
    pub max_round: u64,
    pub attempt: Option<Attempt>,
    // Learner.
    /// Accepted messages received: ballot -> (value, which acceptors).
    pub votes: BTreeMap<Ballot, (Value, Vec<bool>)>,
    pub learned: Option<Value>,
}

impl SingleState {
    fn new(promised: Ballot, accepted: Option<(Ballot, Value)>) -> Self {
        let max_round = promised.round.max(accepted.map_or(0, |(b, _)| b.round));
        SingleState { promised, accepted, max_round, attempt: None, votes: BTreeMap::new(), learned: None }
    }
}

impl SingleDecree {
    /// What goes to stable storage. Under `forget-promise` the promise is
    /// not written: only the ballot of the accepted proposal survives.
    fn durable(&self, s: &SingleState) -> SingleDurable {
        let promised = if self.has_bug(PaxosBug::ForgetPromise) {
            s.accepted.map_or(Ballot::ZERO, |(b, _)| b)
        } else {
            s.promised
        };
        SingleDurable { promised, accepted: s.accepted }
    }

    fn send_all(&self, msg: SingleMsg, ctx: &mut Ctx<'_, Self>) {
        for to in ctx.nodes().collect::<Vec<_>>() {
            ctx.send(to, msg.clone());
        }
    }

    fn start(&self, id: NodeId, s: SingleState, ctx: &mut Ctx<'_, Self>) -> SingleState {
        if self.is_proposer(id) {
            let after = ctx.random_range(self.start_delay_min_ns, self.start_delay_max_ns);
            ctx.set_timer(SingleTimer::Propose, after);
        }
        s
    }

    /// A new attempt: phase 1a with a ballot above every round seen.
    fn propose(&self, s: &mut SingleState, ctx: &mut Ctx<'_, Self>) {
        if s.learned.is_some() || !self.is_proposer(ctx.id()) {
            return;
        }
        s.max_round = s.max_round.max(s.promised.round) + 1;
        let ballot = Ballot::new(s.max_round, ctx.id());
        ctx.note(|| format!("prepare ballot {ballot}"));
        s.attempt = Some(Attempt {
            ballot,
            phase: Phase::Preparing { promised_by: vec![false; ctx.node_count()], highest: None },
        });
        self.send_all(SingleMsg::Prepare { ballot }, ctx);
        let backoff = ctx.random_range(self.backoff_min_ns, self.backoff_max_ns);
        ctx.set_timer(SingleTimer::Propose, self.attempt_timeout_ns + backoff);
    }

    // ---- Acceptor ----

    fn on_prepare(&self, s: &mut SingleState, from: NodeId, ballot: Ballot, ctx: &mut Ctx<'_, Self>) {
        s.max_round = s.max_round.max(ballot.round);
        if ballot < s.promised {
            ctx.send(from, SingleMsg::Nack { ballot, promised: s.promised });
            return;
        }
        if ballot > s.promised {
            s.promised = ballot;
            // The bug: the promise stays in memory only.
            if !self.has_bug(PaxosBug::ForgetPromise) {
                ctx.persist(self.durable(s));
            }
        }
        // A duplicate Prepare (ballot == promised) gets the same answer again.
        ctx.send(from, SingleMsg::Promise { ballot, accepted: s.accepted });
    }

    fn on_accept(&self, s: &mut SingleState, from: NodeId, ballot: Ballot, value: Value, ctx: &mut Ctx<'_, Self>) {
        s.max_round = s.max_round.max(ballot.round);
        if ballot < s.promised {
            ctx.send(from, SingleMsg::Nack { ballot, promised: s.promised });
            return;
        }
        s.promised = ballot;
        if s.accepted != Some((ballot, value)) {
            s.accepted = Some((ballot, value));
            ctx.persist(self.durable(s));
        }
        ctx.note(|| format!("accepted {value} in ballot {ballot}"));
        self.send_all(SingleMsg::Accepted { ballot, value }, ctx);
    }

    // ---- Proposer ----

    fn on_promise(
        &self,
        s: &mut SingleState,
        from: NodeId,
        ballot: Ballot,
        accepted: Option<(Ballot, Value)>,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let Some(attempt) = s.attempt.as_mut() else { return };
        if attempt.ballot != ballot {
            return; // a promise for an older attempt
        }
        let Phase::Preparing { promised_by, highest } = &mut attempt.phase else { return };
        let Some(p) = promised_by.get_mut(from.index()) else { return };
        *p = true;
        if accepted.is_some_and(|(b, _)| highest.is_none_or(|(h, _)| b > h)) {
            *highest = accepted;
        }
        if promised_by.iter().filter(|p| **p).count() < majority(promised_by.len()) {
            return;
        }
        // Phase 2a: the highest-numbered accepted value, or our own.
        let value = match highest {
            Some((_, v)) if !self.has_bug(PaxosBug::IgnoreAccepted) => *v,
            _ => own_value(ctx.id()),
        };
        ctx.note(|| format!("majority promised ballot {ballot}: propose {value}"));
        attempt.phase = Phase::Accepting { value };
        self.send_all(SingleMsg::Accept { ballot, value }, ctx);
    }

    fn on_nack(&self, s: &mut SingleState, ballot: Ballot, promised: Ballot, ctx: &mut Ctx<'_, Self>) {
        s.max_round = s.max_round.max(promised.round);
        if s.attempt.as_ref().is_none_or(|a| a.ballot != ballot) || s.learned.is_some() {
            return;
        }
        // Preempted: back off for a random delay, then try a higher ballot.
        ctx.note(|| format!("ballot {ballot} preempted by {promised}"));
        s.attempt = None;
        let after = ctx.random_range(self.backoff_min_ns, self.backoff_max_ns);
        ctx.set_timer(SingleTimer::Propose, after);
    }

    // ---- Learner ----

    fn on_accepted(&self, s: &mut SingleState, from: NodeId, ballot: Ballot, value: Value, ctx: &mut Ctx<'_, Self>) {
        s.max_round = s.max_round.max(ballot.round);
        let n = ctx.node_count();
        let (v, by) = s.votes.entry(ballot).or_insert_with(|| (value, vec![false; n]));
        if *v != value {
            return; // two values in one ballot: the monitor reports it
        }
        if let Some(b) = by.get_mut(from.index()) {
            *b = true;
        }
        if s.learned.is_none() && by.iter().filter(|b| **b).count() >= majority(n) {
            ctx.note(|| format!("learned {value} (chosen in ballot {ballot})"));
            s.learned = Some(value);
            s.attempt = None;
            s.votes.clear();
            ctx.cancel_timer(SingleTimer::Propose);
        }
    }
}

impl Protocol for SingleDecree {
    type State = SingleState;
    type Msg = SingleMsg;
    type Timer = SingleTimer;
    type Durable = SingleDurable;
    type Request = ();
    type Response = ();
    type Monitor = SingleMonitor;

    fn name(&self) -> &'static str {
        "paxos"
    }

    fn init(&self, id: NodeId, ctx: &mut Ctx<'_, Self>) -> SingleState {
        self.start(id, SingleState::new(Ballot::ZERO, None), ctx)
    }

    fn on_message(&self, _id: NodeId, s: &mut SingleState, from: NodeId, msg: SingleMsg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            SingleMsg::Prepare { ballot } => self.on_prepare(s, from, ballot, ctx),
            SingleMsg::Promise { ballot, accepted } => self.on_promise(s, from, ballot, accepted, ctx),
            SingleMsg::Accept { ballot, value } => self.on_accept(s, from, ballot, value, ctx),
            SingleMsg::Accepted { ballot, value } => self.on_accepted(s, from, ballot, value, ctx),
            SingleMsg::Nack { ballot, promised } => self.on_nack(s, ballot, promised, ctx),
        }
    }

    fn on_timer(&self, _id: NodeId, s: &mut SingleState, timer: SingleTimer, ctx: &mut Ctx<'_, Self>) {
        match timer {
            SingleTimer::Propose => self.propose(s, ctx),
        }
    }

    /// Single-decree Paxos has no clients.
    fn on_request(&self, _id: NodeId, _s: &mut SingleState, _client: ClientId, _req: (), _ctx: &mut Ctx<'_, Self>) {}

    /// The acceptor's promise and accepted proposal come back from storage;
    /// the proposer and learner start over (a proposer that had learned will
    /// propose again, adopt the chosen value, and learn it again).
    fn recover(&self, id: NodeId, durable: Option<&SingleDurable>, ctx: &mut Ctx<'_, Self>) -> SingleState {
        let s = match durable {
            Some(d) => SingleState::new(d.promised, d.accepted),
            None => SingleState::new(Ballot::ZERO, None),
        };
        self.start(id, s, ctx)
    }

    fn check_invariants(&self, monitor: &mut SingleMonitor, view: &SystemView<'_, Self>) -> Result<(), Violation> {
        match view.changed {
            Some(n) => monitor.check_node(n, view),
            None => (0..view.states.len() as u32).try_for_each(|i| monitor.check_node(NodeId(i), view)),
        }
    }
}

// ---- Invariants ----

/// History variables: every proposal made, every acceptance ever made, and
/// the value chosen (a majority of acceptors accepted it in one ballot).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SingleMonitor {
    /// The value each ballot's proposer sent in phase 2a.
    pub proposed: BTreeMap<Ballot, Value>,
    /// Per ballot: the value accepted in it and which acceptors accepted it.
    pub accepted: BTreeMap<Ballot, (Value, Vec<bool>)>,
    /// The last accepted proposal seen on each node.
    last_seen: Vec<Option<(Ballot, Value)>>,
    /// The first value chosen, and its ballot.
    pub chosen: Option<(Value, Ballot)>,
}

impl SingleMonitor {
    fn check_node(&mut self, n: NodeId, view: &SystemView<'_, SingleDecree>) -> Result<(), Violation> {
        let Some(Some(s)) = view.states.get(n.index()) else { return Ok(()) }; // crashed
        let nodes = view.states.len();
        // Proposals: one value per ballot.
        if let Some(Attempt { ballot, phase: Phase::Accepting { value } }) = &s.attempt {
            match self.proposed.get(ballot) {
                Some(v) if v != value => {
                    return Err(Violation::new(
                        ONE_VALUE_PER_BALLOT,
                        format!("ballot {ballot} proposed both {v} and {value}"),
                    ))
                }
                Some(_) => {}
                None => {
                    self.proposed.insert(*ballot, *value);
                }
            }
        }
        // Acceptances: validity, one value per ballot, and what is chosen.
        if self.last_seen.len() < nodes {
            self.last_seen.resize(nodes, None);
        }
        if s.accepted != self.last_seen[n.index()] {
            self.last_seen[n.index()] = s.accepted;
            if let Some((ballot, value)) = s.accepted {
                if self.proposed.get(&ballot) != Some(&value) {
                    return Err(Violation::new(
                        VALIDITY,
                        format!("{n} accepted {value} in ballot {ballot}, which its proposer never proposed"),
                    ));
                }
                let (v, by) = self.accepted.entry(ballot).or_insert_with(|| (value, vec![false; nodes]));
                if *v != value {
                    return Err(Violation::new(
                        ONE_VALUE_PER_BALLOT,
                        format!("{n} accepted {value} in ballot {ballot}, where {v} was accepted before"),
                    ));
                }
                by[n.index()] = true;
                if by.iter().filter(|b| **b).count() >= majority(nodes) {
                    match self.chosen {
                        None => self.chosen = Some((value, ballot)),
                        Some((c, cb)) if c != value => {
                            return Err(Violation::new(
                                AGREEMENT,
                                format!(
                                    "two values chosen: {c} (a majority accepted it in ballot {cb}) and {value} \
                                     (a majority accepted it in ballot {ballot})"
                                ),
                            ))
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        // Learners learn only the chosen value.
        if let Some(l) = s.learned {
            if self.chosen.map(|(c, _)| c) != Some(l) {
                return Err(Violation::new(
                    LEARNED_IS_CHOSEN,
                    format!("{n} learned {l}, but the value chosen is {:?}", self.chosen.map(|(c, _)| c)),
                ));
            }
        }
        Ok(())
    }
}
