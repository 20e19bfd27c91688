//! Two-phase commit (2PC): one coordinator makes every participant of a
//! transaction commit, or every one abort.
//!
//! Source: J. Gray, "Notes on Data Base Operating Systems" (1978), and the
//! presentation in Bernstein, Hadzilacos & Goodman, "Concurrency Control and
//! Recovery in Database Systems" (1987), chapter 7, whose message names we
//! use (VOTE-REQ is `Prepare` here).
//!
//! The algorithm. Node 0 is the coordinator; nodes 1.. are participants
//! holding bank accounts (see [`crate::bank`]). A client asks the
//! coordinator for a transfer; the coordinator makes it a transaction and:
//!
//! 1. *Voting phase.* It sends `Prepare` to each participant involved, with
//!    that participant's part of the work. A participant that can do its part
//!    (accounts free, no overdraft) writes a prepared record to its log
//!    (persist) and answers `Vote(yes)`; from then on it is **uncertain**: it
//!    has promised to commit if asked and may no longer decide alone. One that
//!    cannot answers `Vote(no)` and aborts on its own.
//! 2. *Decision phase.* With a yes from every participant the coordinator
//!    decides Commit, otherwise (a no, or no answer before its vote timeout)
//!    Abort. It **writes the decision to its log first** (persist), then
//!    sends `Commit` or `Abort` to the participants and answers the client.
//!
//! An uncertain participant that hears nothing asks the coordinator again and
//! again (`DecisionRequest`). If the coordinator has crashed, the participant
//! is **blocked**: it cannot commit (another participant may have voted no)
//! and cannot abort (the coordinator may have decided Commit and told
//! someone). This is 2PC's known weakness; scenario `2pc-coordinator-crash`
//! shows it. A restarted coordinator reads its decision log: a logged
//! decision is resent; a transaction with no logged decision was never
//! committed by anyone, so it is aborted ("presumed abort").
//!
//! Invariants (shared with 3PC, in [`crate::bank::BankMonitor`]):
//! `atomic-commit`, `commit-validity` and `conservation`.
//!
//! Bug variant `decide-before-log`: the coordinator sends its decision before
//! the log write is durable (the log is flushed a little later, as a lazy
//! group commit would). A coordinator crash inside that window forgets a
//! Commit some participants already applied; on restart it presumes abort
//! and tells the others Abort: `atomic-commit` breaks. Coordinator crashes
//! during busy traffic, with participants that missed the Commit (lost
//! messages or a participant down at that moment), expose it.

use crate::bank::{
    Account, Bank, BankMonitor, Decision, Ledger, Phase, TransferReply, TransferRequest, TxId, TxRecord,
};
use sim_core::{ClientId, Ctx, NodeId, Protocol, SystemView, Violation, NANOS_PER_MILLI};
use std::collections::BTreeMap;

/// The coordinator's node.
pub const COORDINATOR: NodeId = NodeId(0);

/// Configuration: immutable for the whole run.
#[derive(Clone, Debug)]
pub struct TwoPc {
    pub bank: Bank,
    /// The coordinator aborts a transaction whose votes are not all in by then.
    pub vote_timeout_ns: u64,
    /// An uncertain participant asks the coordinator for the decision this often.
    pub ask_interval_ns: u64,
    /// Bug `decide-before-log` only: how long after sending a decision the log is written.
    pub log_flush_ns: u64,
    pub bug: Option<TwoPcBug>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwoPcBug {
    /// The coordinator sends its decision before logging it: breaks `atomic-commit`.
    DecideBeforeLog,
}

impl TwoPcBug {
    pub const ALL: &'static [TwoPcBug] = &[TwoPcBug::DecideBeforeLog];

    pub fn name(self) -> &'static str {
        match self {
            TwoPcBug::DecideBeforeLog => "decide-before-log",
        }
    }
}

impl std::str::FromStr for TwoPcBug {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        TwoPcBug::ALL
            .iter()
            .copied()
            .find(|b| b.name() == s)
            .ok_or_else(|| format!("unknown 2pc bug `{s}` (known: decide-before-log)"))
    }
}

impl TwoPc {
    pub fn new(bank: Bank) -> Self {
        TwoPc {
            bank,
            vote_timeout_ns: 100 * NANOS_PER_MILLI,
            ask_interval_ns: 100 * NANOS_PER_MILLI,
            log_flush_ns: 20 * NANOS_PER_MILLI,
            bug: None,
        }
    }
}

/// A transaction the coordinator is collecting votes for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ActiveTx {
    pub client: ClientId,
    pub client_seq: u64,
    pub participants: Vec<NodeId>,
    /// Participants that voted yes so far.
    pub yes: Vec<NodeId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CoordinatorState {
    /// This incarnation (transaction ids start with it).
    pub epoch: u32,
    pub next_seq: u32,
    pub active: BTreeMap<TxId, ActiveTx>,
    /// Every decision made (the in-memory copy of the log).
    pub decisions: BTreeMap<TxId, Decision>,
    /// Bug `decide-before-log`: decisions sent but not yet in the durable log.
    pub unflushed: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TwoPcState {
    Coordinator(CoordinatorState),
    Participant(Ledger),
}

/// What survives a crash: the coordinator's decision log, a participant's ledger.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TwoPcDurable {
    Coordinator { epoch: u32, decisions: BTreeMap<TxId, Decision> },
    Participant(Ledger),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TwoPcMsg {
    /// Coordinator -> participant: VOTE-REQ, with the participant's part.
    Prepare {
        tx: TxId,
        participants: Vec<NodeId>,
        deltas: Vec<(Account, i64)>,
    },
    /// Participant -> coordinator.
    Vote {
        tx: TxId,
        yes: bool,
    },
    Commit {
        tx: TxId,
    },
    Abort {
        tx: TxId,
    },
    /// An uncertain participant asks for the outcome.
    DecisionRequest {
        tx: TxId,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TwoPcTimer {
    /// Coordinator: the votes for `tx` are overdue.
    VoteTimeout(TxId),
    /// Coordinator, bug `decide-before-log`: write the log now.
    FlushLog,
    /// Participant: still uncertain about `tx`? Ask again.
    Ask(TxId),
}

impl TwoPc {
    fn log(&self, c: &CoordinatorState) -> TwoPcDurable {
        TwoPcDurable::Coordinator { epoch: c.epoch, decisions: c.decisions.clone() }
    }

    fn decide(&self, c: &mut CoordinatorState, tx: TxId, decision: Decision, ctx: &mut Ctx<'_, Self>) {
        let Some(active) = c.active.remove(&tx) else { return };
        c.decisions.insert(tx, decision);
        if self.bug == Some(TwoPcBug::DecideBeforeLog) {
            // BUG: the decision leaves before it is durable.
            if c.unflushed == 0 {
                ctx.set_timer(TwoPcTimer::FlushLog, self.log_flush_ns);
            }
            c.unflushed += 1;
        } else {
            ctx.persist(self.log(c));
        }
        ctx.note(|| format!("decide {tx}: {decision:?}"));
        for &p in &active.participants {
            ctx.send(p, decision_msg(tx, decision));
        }
        ctx.cancel_timer(TwoPcTimer::VoteTimeout(tx));
        ctx.reply(active.client, TransferReply { seq: active.client_seq, committed: decision == Decision::Commit });
    }

    fn coordinator_message(&self, c: &mut CoordinatorState, from: NodeId, msg: TwoPcMsg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            TwoPcMsg::Vote { tx, yes } => {
                let Some(active) = c.active.get_mut(&tx) else { return }; // late or duplicate
                if !active.participants.contains(&from) {
                    return;
                }
                if !yes {
                    self.decide(c, tx, Decision::Abort, ctx);
                } else {
                    if !active.yes.contains(&from) {
                        active.yes.push(from);
                    }
                    if active.yes.len() == active.participants.len() {
                        self.decide(c, tx, Decision::Commit, ctx);
                    }
                }
            }
            TwoPcMsg::DecisionRequest { tx } => {
                if let Some(&d) = c.decisions.get(&tx) {
                    ctx.send(from, decision_msg(tx, d));
                } else if !c.active.contains_key(&tx) {
                    // Not decided and not in progress: a transaction of an
                    // earlier incarnation that never reached the log.
                    ctx.note(|| format!("{tx} not in the log: presumed abort"));
                    ctx.send(from, TwoPcMsg::Abort { tx });
                }
                // In progress: the answer comes with the decision.
            }
            _ => {}
        }
    }

    fn participant_message(&self, id: NodeId, l: &mut Ledger, msg: TwoPcMsg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            TwoPcMsg::Prepare { tx, participants, deltas } => {
                if let Some(r) = l.txs.get(&tx) {
                    // A duplicate, or a Prepare after an Abort: answer as before.
                    let yes = r.voted_yes && r.phase != Phase::Aborted;
                    ctx.send(COORDINATOR, TwoPcMsg::Vote { tx, yes });
                    return;
                }
                let yes = participants.contains(&id) && l.can_prepare(&deltas);
                let phase = if yes { Phase::Uncertain } else { Phase::Aborted };
                l.record(tx, TxRecord { participants, deltas, voted_yes: yes, phase });
                // The prepared record is durable before the vote leaves.
                ctx.persist(TwoPcDurable::Participant(l.clone()));
                ctx.send(COORDINATOR, TwoPcMsg::Vote { tx, yes });
                if yes {
                    ctx.set_timer(TwoPcTimer::Ask(tx), self.ask_interval_ns);
                }
            }
            TwoPcMsg::Commit { tx } => {
                if !l.commit(tx) {
                    return; // a duplicate, or already decided
                }
                ctx.persist(TwoPcDurable::Participant(l.clone()));
                ctx.cancel_timer(TwoPcTimer::Ask(tx));
            }
            TwoPcMsg::Abort { tx } => {
                if l.abort(tx) {
                    ctx.cancel_timer(TwoPcTimer::Ask(tx));
                } else if l.txs.contains_key(&tx) {
                    return;
                } else {
                    // Abort before Prepare: remember it, so a late Prepare gets a no.
                    l.record(
                        tx,
                        TxRecord { participants: vec![], deltas: vec![], voted_yes: false, phase: Phase::Aborted },
                    );
                }
                ctx.persist(TwoPcDurable::Participant(l.clone()));
            }
            _ => {}
        }
    }
}

fn decision_msg(tx: TxId, d: Decision) -> TwoPcMsg {
    match d {
        Decision::Commit => TwoPcMsg::Commit { tx },
        Decision::Abort => TwoPcMsg::Abort { tx },
    }
}

impl Protocol for TwoPc {
    type State = TwoPcState;
    type Msg = TwoPcMsg;
    type Timer = TwoPcTimer;
    type Durable = TwoPcDurable;
    type Request = TransferRequest;
    type Response = TransferReply;
    type Monitor = BankMonitor;

    fn name(&self) -> &'static str {
        "2pc"
    }

    fn init(&self, id: NodeId, ctx: &mut Ctx<'_, Self>) -> TwoPcState {
        if id == COORDINATOR {
            let c = CoordinatorState {
                epoch: 0,
                next_seq: 0,
                active: BTreeMap::new(),
                decisions: BTreeMap::new(),
                unflushed: 0,
            };
            ctx.persist(self.log(&c));
            TwoPcState::Coordinator(c)
        } else {
            let l = Ledger::new(&self.bank, id);
            ctx.persist(TwoPcDurable::Participant(l.clone()));
            TwoPcState::Participant(l)
        }
    }

    fn on_message(&self, id: NodeId, state: &mut TwoPcState, from: NodeId, msg: TwoPcMsg, ctx: &mut Ctx<'_, Self>) {
        match state {
            TwoPcState::Coordinator(c) => self.coordinator_message(c, from, msg, ctx),
            TwoPcState::Participant(l) => self.participant_message(id, l, msg, ctx),
        }
    }

    fn on_timer(&self, _id: NodeId, state: &mut TwoPcState, timer: TwoPcTimer, ctx: &mut Ctx<'_, Self>) {
        match (state, timer) {
            (TwoPcState::Coordinator(c), TwoPcTimer::VoteTimeout(tx)) => self.decide(c, tx, Decision::Abort, ctx),
            (TwoPcState::Coordinator(c), TwoPcTimer::FlushLog) => {
                c.unflushed = 0;
                ctx.persist(self.log(c));
            }
            // Still uncertain: ask again.
            (TwoPcState::Participant(l), TwoPcTimer::Ask(tx)) if l.txs.get(&tx).is_some_and(|r| !r.phase.decided()) => {
                ctx.note(|| format!("uncertain about {tx}: asking the coordinator"));
                ctx.send(COORDINATOR, TwoPcMsg::DecisionRequest { tx });
                ctx.set_timer(TwoPcTimer::Ask(tx), self.ask_interval_ns);
            }
            _ => {}
        }
    }

    fn on_request(
        &self,
        _id: NodeId,
        state: &mut TwoPcState,
        client: ClientId,
        req: TransferRequest,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let TwoPcState::Coordinator(c) = state else {
            // Only the coordinator takes transfers: refuse.
            ctx.reply(client, TransferReply { seq: req.seq, committed: false });
            return;
        };
        let tx = TxId { epoch: c.epoch, seq: c.next_seq };
        c.next_seq += 1;
        let parts = self.bank.split(&req.transfer);
        let participants: Vec<NodeId> = parts.iter().map(|(p, _)| *p).collect();
        for (p, deltas) in parts {
            ctx.send(p, TwoPcMsg::Prepare { tx, participants: participants.clone(), deltas });
        }
        c.active.insert(tx, ActiveTx { client, client_seq: req.seq, participants, yes: Vec::new() });
        ctx.set_timer(TwoPcTimer::VoteTimeout(tx), self.vote_timeout_ns);
    }

    fn recover(&self, id: NodeId, durable: Option<&TwoPcDurable>, ctx: &mut Ctx<'_, Self>) -> TwoPcState {
        match durable {
            Some(TwoPcDurable::Coordinator { epoch, decisions }) => {
                let c = CoordinatorState {
                    epoch: epoch + 1,
                    next_seq: 0,
                    active: BTreeMap::new(),
                    decisions: decisions.clone(),
                    unflushed: 0,
                };
                ctx.note(|| format!("restart as epoch {} with {} logged decisions", c.epoch, c.decisions.len()));
                ctx.persist(self.log(&c));
                TwoPcState::Coordinator(c)
            }
            Some(TwoPcDurable::Participant(l)) => {
                for (tx, _) in l.undecided() {
                    ctx.set_timer(TwoPcTimer::Ask(tx), self.ask_interval_ns);
                }
                TwoPcState::Participant(l.clone())
            }
            None => {
                let mut s = self.init(id, ctx);
                if let TwoPcState::Coordinator(c) = &mut s {
                    // Nothing was durable: still never reuse epoch 0's ids.
                    c.epoch = 1;
                    ctx.persist(self.log(c));
                }
                s
            }
        }
    }

    fn is_leader(&self, state: &TwoPcState) -> bool {
        matches!(state, TwoPcState::Coordinator(_))
    }

    fn check_invariants(&self, monitor: &mut BankMonitor, view: &SystemView<'_, Self>) -> Result<(), Violation> {
        let Some(node) = view.changed else { return Ok(()) };
        monitor.observe(node, view.time, &self.bank, |p| match view.durables.get(p.index()) {
            Some(Some(TwoPcDurable::Participant(l))) => Some(l),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::Transfer;
    use sim_core::{Choices, Effect};

    fn run<R>(node: u32, f: impl FnOnce(&mut Ctx<'_, TwoPc>) -> R) -> (R, Vec<Effect<TwoPc>>) {
        let mut effects = Vec::new();
        let mut choices = Choices::seeded(1);
        let mut ctx = Ctx::new(NodeId(node), 3, 0, false, &mut effects, &mut choices);
        let r = f(&mut ctx);
        (r, effects)
    }

    fn proto(bug: Option<TwoPcBug>) -> TwoPc {
        TwoPc { bug, ..TwoPc::new(Bank { nodes: 3, accounts: 2 }) }
    }

    #[test]
    fn commit_is_logged_before_it_is_sent() {
        let p = proto(None);
        let (mut s, _) = run(0, |ctx| p.init(NodeId(0), ctx));
        let req = TransferRequest { seq: 0, transfer: Transfer { from: 0, to: 1, amount: 5 } };
        run(0, |ctx| p.on_request(NodeId(0), &mut s, ClientId(0), req, ctx));
        let tx = TxId { epoch: 0, seq: 0 };
        run(0, |ctx| p.on_message(NodeId(0), &mut s, NodeId(1), TwoPcMsg::Vote { tx, yes: true }, ctx));
        let (_, effects) =
            run(0, |ctx| p.on_message(NodeId(0), &mut s, NodeId(2), TwoPcMsg::Vote { tx, yes: true }, ctx));
        let persist = effects.iter().position(|e| matches!(e, Effect::Persist { .. })).expect("logged");
        let send = effects.iter().position(|e| matches!(e, Effect::Send { .. })).expect("sent");
        assert!(persist < send);
        // A duplicate vote after the decision changes nothing.
        let (_, effects) =
            run(0, |ctx| p.on_message(NodeId(0), &mut s, NodeId(2), TwoPcMsg::Vote { tx, yes: true }, ctx));
        assert!(effects.is_empty());
    }

    #[test]
    fn participant_handles_abort_before_prepare_and_duplicates() {
        let p = proto(None);
        let (mut s, _) = run(1, |ctx| p.init(NodeId(1), ctx));
        let tx = TxId { epoch: 0, seq: 3 };
        run(1, |ctx| p.on_message(NodeId(1), &mut s, NodeId(0), TwoPcMsg::Abort { tx }, ctx));
        let prepare = TwoPcMsg::Prepare { tx, participants: vec![NodeId(1)], deltas: vec![(0, -5)] };
        let (_, effects) = run(1, |ctx| p.on_message(NodeId(1), &mut s, NodeId(0), prepare, ctx));
        assert!(effects.iter().any(|e| matches!(e, Effect::Send { msg: TwoPcMsg::Vote { yes: false, .. }, .. })));
        run(1, |ctx| p.on_message(NodeId(1), &mut s, NodeId(0), TwoPcMsg::Commit { tx }, ctx));
        let TwoPcState::Participant(l) = &s else { panic!() };
        assert_eq!(l.balances[&0], 100, "an aborted transaction is never applied");
    }
}
