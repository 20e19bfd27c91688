//! # Paxos
//!
//! Leslie Lamport, "Paxos Made Simple", ACM SIGACT News 32(4), 2001. Section
//! numbers below are that paper's; message names are its phases: **Prepare**
//! (phase 1a), **Promise** (1b), **Accept** (2a), **Accepted** (2b), plus the
//! **Nack** the paper suggests as an optimisation ("the acceptor should
//! inform the proposer" that it promised a higher number, §2.5).
//!
//! ## The algorithm (single-decree, §2)
//!
//! A set of processes must **choose one value** among those proposed, even
//! though messages are lost, delayed, duplicated and reordered, and
//! processes crash and restart. Three roles (here every node plays all three):
//!
//! * **Proposers** propose values. A proposal is a pair *(ballot, value)*;
//!   ballots (the paper's "proposal numbers") are totally ordered and unique
//!   to one proposer: here a ballot is `(round, node)`.
//! * **Acceptors** vote. Each remembers the highest ballot it has
//!   **promised** and the last proposal it has **accepted**.
//! * **Learners** find out which value was chosen. A value is **chosen** when
//!   a majority of acceptors has accepted it *in the same ballot*.
//!
//! **Phase 1.** (a) A proposer picks a ballot `b` higher than any it has seen
//! and sends *Prepare(b)* to the acceptors. (b) An acceptor that has not
//! promised a higher ballot promises `b` — never again to accept a proposal
//! numbered below `b` — and answers *Promise(b, accepted)*, with the
//! highest-numbered proposal it has accepted, if any.
//!
//! **Phase 2.** (a) With promises from a majority, the proposer sends
//! *Accept(b, v)*, where `v` is **the value of the highest-numbered proposal
//! among the promises**, or its own value if none of them accepted anything.
//! (b) An acceptor accepts *Accept(b, v)* unless it has promised a ballot
//! higher than `b`, and tells the learners with *Accepted(b, v)*.
//!
//! Why it is safe (§2.2, invariant P2c): once `v` is chosen in ballot `b`, a
//! majority accepted it; any later proposer's Prepare quorum intersects that
//! majority, so it hears of a proposal numbered `b` or higher, and by
//! induction every such proposal carries `v`. The rule "adopt the
//! highest-numbered accepted value" is exactly what keeps a chosen value
//! chosen; the promise is what keeps an acceptor from accepting an old
//! proposal *after* it has told a newer proposer that it accepted nothing
//! newer. Both must survive crashes: acceptors write their promise and their
//! accepted proposal to stable storage before they answer (§2.5).
//!
//! Liveness is not guaranteed (§2.4): two proposers can keep preempting each
//! other with ever higher ballots ("dueling proposers"). Randomised back-off
//! makes this unlikely in practice; a distinguished proposer (a leader)
//! removes it while the leader is stable.
//!
//! ## Multi-Paxos (§3)
//!
//! A replicated state machine runs one instance of Paxos per **slot** of a
//! command log. A stable **leader** runs phase 1 once, for all slots above
//! those it knows to be chosen, with a single Prepare; each acceptor answers
//! with every proposal it has accepted in those slots. The leader then
//! re-proposes, in its own ballot, the highest-numbered accepted value of
//! every slot it heard of, fills gaps with **no-ops** (§3: "it can propose a
//! special no-op command"), and from then on only runs phase 2, one Accept per
//! client command. Commands are applied in slot order to the key-value store
//! of [`crate::kv`]. Followers answer clients with `NotLeader` and a hint.
//! Leader election is Paxos itself: a follower that hears no heartbeat for an
//! election timeout runs phase 1 with a higher ballot, which preempts the old
//! leader.
//!
//! ## This implementation
//!
//! * [`single`]: [`SingleDecree`] (protocol `paxos`), one value, no clients.
//!   The first `proposers` nodes each propose their own value after a random
//!   delay and retry with a higher ballot when an attempt times out or is
//!   preempted (Nack). Every node is acceptor and learner.
//! * [`multi`]: [`MultiPaxos`] (protocol `multi-paxos`), the key-value store.
//!   Reads go through the log, like writes, so they are linearizable.
//!   Leaders retransmit unanswered Accepts with each heartbeat; followers
//!   that missed chosen values catch up from the leader.
//! * [`slots`]: a copy-on-write array indexed by slot, so persisting an
//!   acceptor's state after each Accept copies one chunk, not the whole log.
//!
//! ## Invariants (checked after every event)
//!
//! * `agreement`: at most one value is chosen (per slot). "Chosen" is
//!   computed from the acceptors themselves: the monitor records, for every
//!   (slot, ballot), which acceptors ever accepted which value.
//! * `one-value-per-ballot`: acceptors never accept two values in one ballot
//!   (for one slot): ballots are unique to their proposer.
//! * `validity`: every accepted (so every chosen) value was proposed by the
//!   ballot's proposer.
//! * `learned-is-chosen`: a learner only learns (multi-paxos: applies) the
//!   value chosen there.
//!
//! ## Bug variants ([`PaxosBug`], `--bug NAME`)
//!
//! * `ignore-accepted`: phase 2a proposes the proposer's own value (or, in
//!   Multi-Paxos, starts its log from what it knows itself), ignoring the
//!   accepted proposals reported in the promises. A value already chosen is
//!   then overwritten by a later ballot: `agreement` breaks. Exposed when a
//!   second proposer (a new leader) starts after a value was chosen but
//!   before it learned it: lost Accepted messages, dueling proposers, leader
//!   crashes and isolation.
//! * `forget-promise`: the promise is kept only in memory; after a crash an
//!   acceptor restarts with the ballot of its last accepted proposal as its
//!   promise. It can then accept an old proposal after promising a newer
//!   proposer that it had accepted nothing newer, and the newer proposer
//!   chooses another value: `agreement` breaks. Exposed by brief crashes of
//!   acceptors while two ballots are in flight (slow links, frequent
//!   crash-recovery).

pub mod multi;
pub mod single;
pub mod slots;
#[cfg(test)]
mod tests;

pub use multi::{Command, MultiDurable, MultiMonitor, MultiMsg, MultiPaxos, MultiState, MultiTimer, Role};
pub use single::{SingleDecree, SingleDurable, SingleMonitor, SingleMsg, SingleState, SingleTimer};

use sim_core::NodeId;
use std::fmt;
use std::str::FromStr;

pub const AGREEMENT: &str = "agreement";
pub const ONE_VALUE_PER_BALLOT: &str = "one-value-per-ballot";
pub const VALIDITY: &str = "validity";
pub const LEARNED_IS_CHOSEN: &str = "learned-is-chosen";

/// A ballot (the paper's "proposal number"): ordered by round, then by the
/// proposer's id, so two proposers never share one. Round 0 is "none yet".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ballot {
    pub round: u64,
    pub node: NodeId,
}

impl Ballot {
    /// Below every real ballot.
    pub const ZERO: Ballot = Ballot { round: 0, node: NodeId(0) };

    pub fn new(round: u64, node: NodeId) -> Self {
        Ballot { round, node }
    }
}

impl fmt::Display for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.round, self.node)
    }
}

/// The smallest number of nodes that is a majority of `n`.
pub fn majority(n: usize) -> usize {
    n / 2 + 1
}

/// Known-buggy variants of Paxos (single-decree and Multi-Paxos alike).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PaxosBug {
    /// Phase 2a ignores the accepted proposals reported in the promises.
    /// Breaks `agreement` once a second proposer follows a chosen value.
    IgnoreAccepted,
    /// Acceptors do not persist their promise; a crash forgets it. Breaks
    /// `agreement` when an acceptor crashes between promising a new ballot
    /// and receiving an Accept of an older one.
    ForgetPromise,
}

impl PaxosBug {
    pub const ALL: [PaxosBug; 2] = [PaxosBug::IgnoreAccepted, PaxosBug::ForgetPromise];

    /// The name `--bug` takes.
    pub fn name(self) -> &'static str {
        match self {
            PaxosBug::IgnoreAccepted => "ignore-accepted",
            PaxosBug::ForgetPromise => "forget-promise",
        }
    }
}

impl fmt::Display for PaxosBug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PaxosBug {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        PaxosBug::ALL.into_iter().find(|b| b.name() == s).ok_or_else(|| {
            let known: Vec<&str> = PaxosBug::ALL.iter().map(|b| b.name()).collect();
            format!("unknown paxos bug `{s}` (known: {})", known.join(", "))
        })
    }
}
