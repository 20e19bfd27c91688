//! Three-phase commit (3PC): atomic commit that does not block when the
//! coordinator crashes — provided failures are crashes that a timeout
//! detects perfectly.
//!
//! Source: D. Skeen, "Nonblocking Commit Protocols" (SIGMOD 1981), and
//! Skeen & Stonebraker, "A Formal Model of Crash Recovery in a Distributed
//! System" (1983). Message names as in the common textbook presentation:
//! CanCommit, PreCommit, DoCommit.
//!
//! The algorithm. Node 0 coordinates; nodes 1.. hold bank accounts (see
//! [`crate::bank`]). For each transfer the coordinator:
//!
//! 1. sends `CanCommit` to the participants involved. Each answers
//!    `Vote(yes)` if it can do its part (and becomes *uncertain*, "waiting"),
//!    or `Vote(no)` and aborts.
//! 2. All yes: sends `PreCommit`. A participant moves to *pre-committed*
//!    ("prepared": it now knows everyone voted yes) and answers `Ack`.
//!    A no, or missing votes after the vote timeout: sends `Abort`.
//! 3. All acks: sends `DoCommit`; participants commit. Missing acks after
//!    the ack timeout: sends `Abort` (the pre-committed participants abort).
//!
//! The point of the extra phase is that no participant is ever uncertain
//! *and* next to a committed one: the participants can decide on their own
//! by timeouts when the coordinator goes silent.
//! - uncertain (voted yes, no PreCommit yet) and the timeout expires: **abort**
//!   (nobody can have committed: nobody got PreCommit).
//! - pre-committed and the timeout expires: **commit** (everybody voted yes,
//!   and everybody got PreCommit, or the coordinator's Abort would have
//!   arrived first).
//!
//! Both rules rely on timing: the participant timeouts are longer than the
//! coordinator's timeouts plus the largest message delay, so a silence means
//! a crash, never a slow or lost message. With crash-stop nodes and reliable
//! links of bounded delay (a perfect failure detector), 3PC never blocks and
//! stays atomic (scenario `3pc-crash-stop`). Under a network partition the
//! silence is a lie: the coordinator's side aborts after missing acks while a
//! participant on the other side, already pre-committed, times out and
//! commits (scenario `3pc-partition-split`). No commit protocol can be both
//! nonblocking and safe under partitions; Paxos Commit and Raft-replicated
//! coordinators trade blocking for a majority instead.
//!
//! In the simulator a crash falls between events, so one handler's sends
//! (the PreCommit to every participant) all leave or none do. A real
//! coordinator can die halfway through; Skeen's termination protocol (a new
//! coordinator polls the survivors) covers that case and is not modelled here.
//! A restarted participant re-arms its timeouts (independent recovery),
//! which is only sound under the crash-stop assumption the protocol makes.
//!
//! Invariants (shared with 2PC, in [`crate::bank::BankMonitor`]):
//! `atomic-commit`, `commit-validity` and `conservation`. No bug variants:
//! the protocol's own assumption, broken by a partition, is the lesson.

use crate::bank::{Account, Bank, BankMonitor, Ledger, Phase, TransferReply, TransferRequest, TxId, TxRecord};
use sim_core::{ClientId, Ctx, NodeId, Protocol, SystemView, Violation, NANOS_PER_MILLI};
use std::collections::BTreeMap;

/// The coordinator's node.
pub const COORDINATOR: NodeId = NodeId(0);

/// Configuration: immutable for the whole run.
#[derive(Clone, Debug)]
pub struct ThreePc {
    pub bank: Bank,
    /// Coordinator: abort if the votes are not all in by then.
    pub vote_timeout_ns: u64,
    /// Coordinator: abort if the acks to PreCommit are not all in by then.
    pub ack_timeout_ns: u64,
    /// Participant: an uncertain participant aborts, a pre-committed one
    /// commits, after this long without news. Must exceed the coordinator's
    /// timeouts plus the largest message delay.
    pub participant_timeout_ns: u64,
}

impl ThreePc {
    pub fn new(bank: Bank) -> Self {
        ThreePc {
            bank,
            vote_timeout_ns: 50 * NANOS_PER_MILLI,
            ack_timeout_ns: 50 * NANOS_PER_MILLI,
            participant_timeout_ns: 100 * NANOS_PER_MILLI,
        }
    }
}

/// A transaction the coordinator is running.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ActiveTx {
    pub client: ClientId,
    pub client_seq: u64,
    pub participants: Vec<NodeId>,
    pub yes: Vec<NodeId>,
    /// PreCommit sent; collecting acks.
    pub precommitted: bool,
    pub acks: Vec<NodeId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CoordinatorState {
    pub epoch: u32,
    pub next_seq: u32,
    pub active: BTreeMap<TxId, ActiveTx>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ThreePcState {
    Coordinator(CoordinatorState),
    Participant(Ledger),
}

/// What survives a crash: the coordinator's incarnation, a participant's ledger.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ThreePcDurable {
    Coordinator { epoch: u32 },
    Participant(Ledger),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ThreePcMsg {
    CanCommit { tx: TxId, participants: Vec<NodeId>, deltas: Vec<(Account, i64)> },
    Vote { tx: TxId, yes: bool },
    PreCommit { tx: TxId },
    Ack { tx: TxId },
    DoCommit { tx: TxId },
    Abort { tx: TxId },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ThreePcTimer {
    /// Coordinator: votes for `tx` overdue.
    VoteTimeout(TxId),
    /// Coordinator: acks for `tx` overdue.
    AckTimeout(TxId),
    /// Participant: no news about `tx`; decide by the timeout rule.
    Silence(TxId),
}

impl ThreePc {
    fn finish(&self, c: &mut CoordinatorState, tx: TxId, commit: bool, ctx: &mut Ctx<'_, Self>) {
        let Some(active) = c.active.remove(&tx) else { return };
        ctx.note(|| format!("{tx}: {}", if commit { "DoCommit" } else { "Abort" }));
        for &p in &active.participants {
            ctx.send(p, if commit { ThreePcMsg::DoCommit { tx } } else { ThreePcMsg::Abort { tx } });
        }
        ctx.cancel_timer(ThreePcTimer::VoteTimeout(tx));
        ctx.cancel_timer(ThreePcTimer::AckTimeout(tx));
        ctx.reply(active.client, TransferReply { seq: active.client_seq, committed: commit });
    }

    fn coordinator_message(&self, c: &mut CoordinatorState, from: NodeId, msg: ThreePcMsg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            ThreePcMsg::Vote { tx, yes } => {
                let Some(a) = c.active.get_mut(&tx) else { return };
                if a.precommitted || !a.participants.contains(&from) {
                    return;
                }
                if !yes {
                    self.finish(c, tx, false, ctx);
                    return;
                }
                if !a.yes.contains(&from) {
                    a.yes.push(from);
                }
                if a.yes.len() == a.participants.len() {
                    a.precommitted = true;
                    for &p in &a.participants {
                        ctx.send(p, ThreePcMsg::PreCommit { tx });
                    }
                    ctx.cancel_timer(ThreePcTimer::VoteTimeout(tx));
                    ctx.set_timer(ThreePcTimer::AckTimeout(tx), self.ack_timeout_ns);
                }
            }
            ThreePcMsg::Ack { tx } => {
                let Some(a) = c.active.get_mut(&tx) else { return };
                if !a.precommitted || !a.participants.contains(&from) {
                    return;
                }
                if !a.acks.contains(&from) {
                    a.acks.push(from);
                }
                if a.acks.len() == a.participants.len() {
                    self.finish(c, tx, true, ctx);
                }
            }
            _ => {}
        }
    }

    fn participant_message(&self, id: NodeId, l: &mut Ledger, msg: ThreePcMsg, ctx: &mut Ctx<'_, Self>) {
        let timeout = self.participant_timeout_ns;
        match msg {
            ThreePcMsg::CanCommit { tx, participants, deltas } => {
                if let Some(r) = l.txs.get(&tx) {
                    let yes = r.voted_yes && r.phase != Phase::Aborted;
                    ctx.send(COORDINATOR, ThreePcMsg::Vote { tx, yes });
                    return;
                }
                let yes = participants.contains(&id) && l.can_prepare(&deltas);
                let phase = if yes { Phase::Uncertain } else { Phase::Aborted };
                l.record(tx, TxRecord { participants, deltas, voted_yes: yes, phase });
                ctx.persist(ThreePcDurable::Participant(l.clone()));
                ctx.send(COORDINATOR, ThreePcMsg::Vote { tx, yes });
                if yes {
                    ctx.set_timer(ThreePcTimer::Silence(tx), timeout);
                }
            }
            ThreePcMsg::PreCommit { tx } => {
                let Some(r) = l.txs.get_mut(&tx) else { return };
                match r.phase {
                    Phase::Uncertain => {
                        std::sync::Arc::make_mut(r).phase = Phase::PreCommitted;
                        ctx.persist(ThreePcDurable::Participant(l.clone()));
                        ctx.set_timer(ThreePcTimer::Silence(tx), timeout);
                        ctx.send(COORDINATOR, ThreePcMsg::Ack { tx });
                    }
                    Phase::PreCommitted => ctx.send(COORDINATOR, ThreePcMsg::Ack { tx }),
                    // Already decided (e.g. aborted by its own timeout): no ack,
                    // so the coordinator aborts too.
                    Phase::Committed | Phase::Aborted => {}
                }
            }
            ThreePcMsg::DoCommit { tx } => {
                if !l.commit(tx) {
                    return; // a duplicate, or already decided
                }
                ctx.persist(ThreePcDurable::Participant(l.clone()));
                ctx.cancel_timer(ThreePcTimer::Silence(tx));
            }
            ThreePcMsg::Abort { tx } => {
                if l.abort(tx) {
                    ctx.cancel_timer(ThreePcTimer::Silence(tx));
                } else if l.txs.contains_key(&tx) {
                    return;
                } else {
                    l.record(
                        tx,
                        TxRecord { participants: vec![], deltas: vec![], voted_yes: false, phase: Phase::Aborted },
                    );
                }
                ctx.persist(ThreePcDurable::Participant(l.clone()));
            }
            _ => {}
        }
    }
}

impl Protocol for ThreePc {
    type State = ThreePcState;
    type Msg = ThreePcMsg;
    type Timer = ThreePcTimer;
    type Durable = ThreePcDurable;
    type Request = TransferRequest;
    type Response = TransferReply;
    type Monitor = BankMonitor;

    fn name(&self) -> &'static str {
        "3pc"
    }

    fn init(&self, id: NodeId, ctx: &mut Ctx<'_, Self>) -> ThreePcState {
        if id == COORDINATOR {
            ctx.persist(ThreePcDurable::Coordinator { epoch: 0 });
            ThreePcState::Coordinator(CoordinatorState { epoch: 0, next_seq: 0, active: BTreeMap::new() })
        } else {
            let l = Ledger::new(&self.bank, id);
            ctx.persist(ThreePcDurable::Participant(l.clone()));
            ThreePcState::Participant(l)
        }
    }

    fn on_message(&self, id: NodeId, state: &mut ThreePcState, from: NodeId, msg: ThreePcMsg, ctx: &mut Ctx<'_, Self>) {
        match state {
            ThreePcState::Coordinator(c) => self.coordinator_message(c, from, msg, ctx),
            ThreePcState::Participant(l) => self.participant_message(id, l, msg, ctx),
        }
    }

    fn on_timer(&self, _id: NodeId, state: &mut ThreePcState, timer: ThreePcTimer, ctx: &mut Ctx<'_, Self>) {
        match (state, timer) {
            (ThreePcState::Coordinator(c), ThreePcTimer::VoteTimeout(tx) | ThreePcTimer::AckTimeout(tx)) => {
                self.finish(c, tx, false, ctx)
            }
            (ThreePcState::Participant(l), ThreePcTimer::Silence(tx)) => {
                let changed = match l.txs.get(&tx).map(|r| r.phase) {
                    Some(Phase::Uncertain) => {
                        ctx.note(|| format!("{tx}: no PreCommit in time: abort on my own"));
                        l.abort(tx)
                    }
                    Some(Phase::PreCommitted) => {
                        ctx.note(|| format!("{tx}: pre-committed and no news: commit on my own"));
                        l.commit(tx)
                    }
                    _ => false,
                };
                if changed {
                    ctx.persist(ThreePcDurable::Participant(l.clone()));
                }
            }
            _ => {}
        }
    }

    fn on_request(
        &self,
        _id: NodeId,
        state: &mut ThreePcState,
        client: ClientId,
        req: TransferRequest,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let ThreePcState::Coordinator(c) = state else {
            ctx.reply(client, TransferReply { seq: req.seq, committed: false });
            return;
        };
        let tx = TxId { epoch: c.epoch, seq: c.next_seq };
        c.next_seq += 1;
        let parts = self.bank.split(&req.transfer);
        let participants: Vec<NodeId> = parts.iter().map(|(p, _)| *p).collect();
        for (p, deltas) in parts {
            ctx.send(p, ThreePcMsg::CanCommit { tx, participants: participants.clone(), deltas });
        }
        c.active.insert(
            tx,
            ActiveTx { client, client_seq: req.seq, participants, yes: vec![], precommitted: false, acks: vec![] },
        );
        ctx.set_timer(ThreePcTimer::VoteTimeout(tx), self.vote_timeout_ns);
    }

    fn recover(&self, id: NodeId, durable: Option<&ThreePcDurable>, ctx: &mut Ctx<'_, Self>) -> ThreePcState {
        match durable {
            Some(ThreePcDurable::Coordinator { epoch }) => {
                ctx.persist(ThreePcDurable::Coordinator { epoch: epoch + 1 });
                ThreePcState::Coordinator(CoordinatorState { epoch: epoch + 1, next_seq: 0, active: BTreeMap::new() })
            }
            Some(ThreePcDurable::Participant(l)) => {
                for (tx, _) in l.undecided() {
                    ctx.set_timer(ThreePcTimer::Silence(tx), self.participant_timeout_ns);
                }
                ThreePcState::Participant(l.clone())
            }
            None => {
                let mut s = self.init(id, ctx);
                if let ThreePcState::Coordinator(c) = &mut s {
                    c.epoch = 1;
                    ctx.persist(ThreePcDurable::Coordinator { epoch: 1 });
                }
                s
            }
        }
    }

    fn is_leader(&self, state: &ThreePcState) -> bool {
        matches!(state, ThreePcState::Coordinator(_))
    }

    fn check_invariants(&self, monitor: &mut BankMonitor, view: &SystemView<'_, Self>) -> Result<(), Violation> {
        let Some(node) = view.changed else { return Ok(()) };
        monitor.observe(node, view.time, &self.bank, |p| match view.durables.get(p.index()) {
            Some(Some(ThreePcDurable::Participant(l))) => Some(l),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::{Choices, Effect};

    fn run<R>(node: u32, f: impl FnOnce(&mut Ctx<'_, ThreePc>) -> R) -> (R, Vec<Effect<ThreePc>>) {
        let mut effects = Vec::new();
        let mut choices = Choices::seeded(1);
        let mut ctx = Ctx::new(NodeId(node), 3, 0, false, &mut effects, &mut choices);
        let r = f(&mut ctx);
        (r, effects)
    }

    #[test]
    fn timeout_rules_abort_when_uncertain_and_commit_when_precommitted() {
        let p = ThreePc::new(Bank { nodes: 3, accounts: 2 });
        let (mut s, _) = run(1, |ctx| p.init(NodeId(1), ctx));
        let (a, b) = (TxId { epoch: 0, seq: 0 }, TxId { epoch: 0, seq: 1 });
        for tx in [a, b] {
            let m = ThreePcMsg::CanCommit {
                tx,
                participants: vec![NodeId(1), NodeId(2)],
                deltas: vec![(0, -5 - tx.seq as i64)],
            };
            run(1, |ctx| p.on_message(NodeId(1), &mut s, NodeId(0), m, ctx));
            // The first transfer locks account 0: the second gets a no.
        }
        run(1, |ctx| p.on_message(NodeId(1), &mut s, NodeId(0), ThreePcMsg::PreCommit { tx: a }, ctx));
        run(1, |ctx| p.on_timer(NodeId(1), &mut s, ThreePcTimer::Silence(a), ctx));
        let ThreePcState::Participant(l) = &s else { panic!() };
        assert_eq!(l.txs[&a].phase, Phase::Committed);
        assert_eq!(l.txs[&b].phase, Phase::Aborted);
        assert_eq!(l.balances[&0], 95);
        // A late PreCommit for an aborted transaction gets no ack.
        let (_, effects) =
            run(1, |ctx| p.on_message(NodeId(1), &mut s, NodeId(0), ThreePcMsg::PreCommit { tx: b }, ctx));
        assert!(effects.is_empty());
    }
}
