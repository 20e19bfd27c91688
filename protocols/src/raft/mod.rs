//! # Raft
//!
//! Diego Ongaro and John Ousterhout, "In Search of an Understandable
//! Consensus Algorithm", USENIX ATC 2014. Section numbers and "Figure 2"
//! below refer to that paper; message and field names are the paper's.
//!
//! ## The algorithm
//!
//! A Raft cluster keeps a **replicated log** of client commands; every node
//! applies the committed prefix of the log, in order, to the same
//! deterministic state machine (here the key-value store of [`crate::kv`]),
//! so every node computes the same results.
//!
//! Time is divided into numbered **terms**. Each term begins with an
//! **election** (§5.2): a follower that hears nothing from a leader for a
//! randomized *election timeout* becomes a candidate, increments its term,
//! votes for itself and sends **RequestVote** to the others. A node grants at
//! most one vote per term (first come, first served), and only to a candidate
//! whose log is at least as up to date as its own (§5.4.1: a later last term,
//! or the same last term and a log at least as long). A candidate with votes
//! from a majority becomes **leader**. Randomized timeouts make split votes
//! rare; if one happens, someone times out again and tries a higher term.
//!
//! The leader accepts client requests, appends them to its log, and
//! replicates them with **AppendEntries** (§5.3), which doubles as the
//! heartbeat that keeps followers from starting elections. Each
//! AppendEntries names the entry that precedes the new ones
//! (`prev_log_index`, `prev_log_term`); a follower accepts only if its log
//! holds that entry (the **consistency check**), and on accepting deletes any
//! of its entries that *conflict* (same index, different term) with the new
//! ones. By induction, this gives the **Log Matching** property: two logs that
//! hold an entry with the same index and term are identical up to it. When a
//! follower refuses, the leader retries from further back until the logs meet.
//!
//! An entry is **committed** once the leader has stored it on a majority and
//! it is from the leader's current term (§5.4.2): counting replicas of an
//! entry from an *earlier* term is not enough, because a future leader may
//! still overwrite it (Figure 8). Committing an entry commits all before it.
//! Followers learn the commit index from `leader_commit` in AppendEntries.
//! Because voters refuse candidates with stale logs and every committed entry
//! is on a majority, every future leader holds every committed entry
//! (**Leader Completeness**), and so no two nodes ever apply different
//! commands at the same index (**State Machine Safety**).
//!
//! Any message carrying a higher term makes its receiver adopt that term and
//! become a follower. `currentTerm`, `votedFor` and the log are written to
//! stable storage (`ctx.persist`) before the node answers anything that
//! depends on them; everything else is rebuilt after a crash (the commit
//! index from the next leader, the state machine by re-applying the log).
//!
//! ## This implementation
//!
//! * Clients talk to the leader (§8). A node that is not leader answers
//!   `NotLeader` with the leader it believes in. The leader answers a client
//!   when it applies the client's entry. Reads go through the log too, which
//!   is the simplest way to make them linearizable. Clients retry with the
//!   same `RequestId`, and the store executes each request at most once, so a
//!   request that ends up in the log twice is harmless.
//! * The network may drop, delay, duplicate and reorder messages, so every
//!   handler accepts any message in any state: stale terms are answered or
//!   ignored, duplicated AppendEntries never truncate (only a real conflict
//!   does), replies only ever move `matchIndex`/`nextIndex` forward.
//! * An AppendEntries carries at most [`MAX_ENTRIES_PER_APPEND`] entries; a
//!   successful reply from a lagging follower triggers the next batch.
//! * No no-op entry at the start of a term (§8): it is needed for read
//!   leases, not for safety, and reads here go through the log.
//! * Files: `messages.rs` (RequestVote, AppendEntries and their replies),
//!   `log.rs` (the log), `node.rs` (state and handlers), `invariants.rs`
//!   (the safety properties the checker verifies after every event).
//!
//! ## Invariants (`invariants.rs`, Figure 3 of the paper)
//!
//! * `election-safety`: at most one leader per term, over the whole run.
//! * `log-matching`: two logs with an entry of the same index and term are
//!   identical up to that index.
//! * `leader-completeness`: a leader's log holds every entry committed in an
//!   earlier term.
//! * `state-machine-safety`: no two nodes commit (and so apply) different
//!   entries at the same index.
//!
//! ## Bug variants ([`RaftBug`], `--bug NAME`)
//!
//! * `no-log-check`: votes without the up-to-date check.
//! * `commit-old-term`: the leader commits old-term entries by counting replicas (Figure 8).
//! * `forget-vote`: `votedFor` is not persisted, so a node votes twice in a term.
//!
//! ## Byzantine nodes (`byzantine.rs`)
//!
//! Raft assumes crash faults only. The invariants judge correct nodes only;
//! `byzantine.rs` says how an equivocating, vote-corrupting or lying node
//! breaks them (`raft-byzantine` shows the last).

mod byzantine;
mod invariants;
mod log;
mod messages;
mod node;
#[cfg(test)]
mod tests;

pub use invariants::RaftMonitor;
pub use log::Log;
pub use messages::{Entry, RaftMsg, RaftTimer};
pub use node::{RaftDurable, RaftState, Role};

use crate::kv::{KvReply, KvRequest};
use sim_core::{ByzantineCtx, ClientId, Ctx, NodeId, Protocol, SystemView, Violation, NANOS_PER_MILLI};
use std::fmt;
use std::str::FromStr;

/// The most entries one AppendEntries carries.
pub const MAX_ENTRIES_PER_APPEND: usize = 64;

/// Raft's configuration (the same for every node).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Raft {
    /// Election timeouts are drawn uniformly from `min..=max` (local clock).
    pub election_timeout_min_ns: u64,
    pub election_timeout_max_ns: u64,
    /// How often a leader sends AppendEntries when it has nothing new.
    /// Must be well below the election timeout.
    pub heartbeat_interval_ns: u64,
    /// A known bug to run with, or None for correct Raft.
    pub bug: Option<RaftBug>,
}

impl Default for Raft {
    /// The paper's suggestion (§9.3): 150-300 ms election timeouts; 50 ms heartbeats.
    fn default() -> Self {
        Raft {
            election_timeout_min_ns: 150 * NANOS_PER_MILLI,
            election_timeout_max_ns: 300 * NANOS_PER_MILLI,
            heartbeat_interval_ns: 50 * NANOS_PER_MILLI,
            bug: None,
        }
    }
}

impl Raft {
    /// Default timing with a bug variant (or none).
    pub fn with_bug(bug: Option<RaftBug>) -> Self {
        Raft { bug, ..Raft::default() }
    }
}

/// Known-buggy variants of Raft, each a lesson in why a rule is there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RaftBug {
    /// Voters grant votes without the §5.4.1 up-to-date check. A node whose
    /// log is missing committed entries (it was partitioned or crashed while
    /// they were replicated) can win an election and then overwrite those
    /// entries on the others. Breaks `leader-completeness`, then
    /// `state-machine-safety`. Exposed by crashes or partitions during
    /// replication followed by a re-election.
    NoLogCheck,
    /// The leader commits an entry from an earlier term as soon as a majority
    /// stores it (§5.4.2 forbids this). In the Figure 8 scenario such an
    /// entry is later overwritten by a leader that never had it, although it
    /// was already applied. Breaks `committed-entry-safety` at the buggy
    /// commit (a node lacking the entry could still win an election), then
    /// `leader-completeness` and `state-machine-safety` once one does.
    /// Exposed by a leader crashing after replicating
    /// to a minority, followed by repeated re-elections.
    CommitOldTerm,
    /// `votedFor` is never written to stable storage, so a node that crashes
    /// and recovers within a term may vote again in that term, for another
    /// candidate; two candidates can then both win the same term. Breaks
    /// `election-safety`. Exposed by crash-recovery during elections.
    ForgetVote,
}

impl RaftBug {
    pub const ALL: [RaftBug; 3] = [RaftBug::NoLogCheck, RaftBug::CommitOldTerm, RaftBug::ForgetVote];

    /// The name `--bug` takes.
    pub fn name(self) -> &'static str {
        match self {
            RaftBug::NoLogCheck => "no-log-check",
            RaftBug::CommitOldTerm => "commit-old-term",
            RaftBug::ForgetVote => "forget-vote",
        }
    }
}

impl fmt::Display for RaftBug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RaftBug {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        RaftBug::ALL.into_iter().find(|b| b.name() == s).ok_or_else(|| {
            let known: Vec<&str> = RaftBug::ALL.iter().map(|b| b.name()).collect();
            format!("unknown raft bug `{s}` (known: {})", known.join(", "))
        })
    }
}

impl Protocol for Raft {
    type State = RaftState;
    type Msg = RaftMsg;
    type Timer = RaftTimer;
    type Durable = RaftDurable;
    type Request = KvRequest;
    type Response = KvReply;
    type Monitor = RaftMonitor;

    fn name(&self) -> &'static str {
        "raft"
    }

    fn is_leader(&self, state: &RaftState) -> bool {
        state.is_leader()
    }

    fn init(&self, _id: NodeId, ctx: &mut Ctx<'_, Self>) -> RaftState {
        self.start_node(RaftState::new(0, None, Log::new()), ctx)
    }

    fn on_message(&self, _id: NodeId, s: &mut RaftState, from: NodeId, msg: RaftMsg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            RaftMsg::RequestVote { term, candidate_id, last_log_index, last_log_term } => {
                self.on_request_vote(s, from, term, candidate_id, last_log_index, last_log_term, ctx)
            }
            RaftMsg::RequestVoteReply { term, vote_granted } => {
                self.on_request_vote_reply(s, from, term, vote_granted, ctx)
            }
            RaftMsg::AppendEntries { term, leader_id, prev_log_index, prev_log_term, entries, leader_commit } => self
                .on_append_entries(
                    s,
                    from,
                    term,
                    leader_id,
                    prev_log_index,
                    prev_log_term,
                    entries,
                    leader_commit,
                    ctx,
                ),
            RaftMsg::AppendEntriesReply { term, success, match_index } => {
                self.on_append_entries_reply(s, from, term, success, match_index, ctx)
            }
        }
    }

    fn on_timer(&self, _id: NodeId, s: &mut RaftState, timer: RaftTimer, ctx: &mut Ctx<'_, Self>) {
        match timer {
            RaftTimer::Election => self.on_election_timeout(s, ctx),
            RaftTimer::Heartbeat => self.on_heartbeat_timer(s, ctx),
        }
    }

    fn on_request(
        &self,
        _id: NodeId,
        s: &mut RaftState,
        client: ClientId,
        request: KvRequest,
        ctx: &mut Ctx<'_, Self>,
    ) {
        self.on_client_request(s, client, request, ctx)
    }

    /// Restart from stable storage: term, vote and log survive; the commit
    /// index and the state machine start over (re-applied as commits are
    /// learned again).
    fn recover(&self, _id: NodeId, durable: Option<&RaftDurable>, ctx: &mut Ctx<'_, Self>) -> RaftState {
        let s = match durable {
            Some(d) => {
                let voted_for = if self.bug == Some(RaftBug::ForgetVote) { None } else { d.voted_for };
                RaftState::new(d.current_term, voted_for, d.log.clone())
            }
            None => RaftState::new(0, None, Log::new()),
        };
        self.start_node(s, ctx)
    }

    /// Byzantine Raft (see `byzantine.rs` for what each lie breaks).
    fn tamper(&self, _s: &RaftState, to: NodeId, msg: &RaftMsg, byz: &mut ByzantineCtx<'_>) -> Option<RaftMsg> {
        match byz.strategy() {
            "equivocate" => byzantine::equivocate(msg, to),
            "corrupt" => byzantine::corrupt(msg),
            _ => None,
        }
    }

    fn lie_about_state(&self, s: &mut RaftState, byz: &mut ByzantineCtx<'_>) -> Option<String> {
        match byz.strategy() {
            "lie-about-state" => byzantine::lie_about_state(s, byz),
            _ => None,
        }
    }

    fn check_invariants(&self, monitor: &mut RaftMonitor, view: &SystemView<'_, Self>) -> Result<(), Violation> {
        monitor.check(view)
    }
}
