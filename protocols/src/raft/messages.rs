//! What Raft nodes say to each other: the two RPCs of the paper (Figure 2),
//! RequestVote and AppendEntries, and their replies, plus the node's timers.

use crate::kv::KvRequest;
use sim_core::NodeId;
use std::fmt;
use std::sync::Arc;

/// One log entry: the term in which a leader created it and the client
/// request it carries. The request is behind an `Arc` so that copying an entry
/// into a message, or a log into durable storage, never copies strings.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Entry {
    pub term: u64,
    pub request: Arc<KvRequest>,
}

impl Entry {
    pub fn new(term: u64, request: KvRequest) -> Self {
        Entry { term, request: Arc::new(request) }
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.request.id;
        write!(f, "t{}:{}#{} {:?}", self.term, id.client, id.seq, self.request.command)
    }
}

/// The messages of Figure 2. Field names follow the paper.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RaftMsg {
    /// A candidate asks for a vote in `term`. `last_log_index` and
    /// `last_log_term` let the voter refuse candidates whose log is less
    /// up to date than its own (§5.4.1).
    RequestVote { term: u64, candidate_id: NodeId, last_log_index: u64, last_log_term: u64 },
    /// The voter's answer; `term` lets a stale candidate step down.
    RequestVoteReply { term: u64, vote_granted: bool },
    /// The leader replicates `entries` to follow the entry at
    /// `prev_log_index` (whose term must be `prev_log_term` in the follower's
    /// log: the consistency check). With no entries it is a heartbeat.
    AppendEntries {
        term: u64,
        leader_id: NodeId,
        prev_log_index: u64,
        prev_log_term: u64,
        entries: Vec<Entry>,
        leader_commit: u64,
    },
    /// The follower's answer. Beyond the paper's `term` and `success`,
    /// `match_index` says how far the follower's log is now known to match
    /// the leader's (on success: `prev_log_index + entries.len()`), or, on
    /// failure, the highest index from which the leader should retry (the
    /// "fast backup" the paper sketches at the end of §5.3). Carrying it makes
    /// replies self-describing, so a duplicated or reordered reply cannot
    /// confuse the leader.
    AppendEntriesReply { term: u64, success: bool, match_index: u64 },
}

impl RaftMsg {
    /// The sender's term (every Raft message carries one).
    pub fn term(&self) -> u64 {
        match self {
            RaftMsg::RequestVote { term, .. }
            | RaftMsg::RequestVoteReply { term, .. }
            | RaftMsg::AppendEntries { term, .. }
            | RaftMsg::AppendEntriesReply { term, .. } => *term,
        }
    }
}

/// A node's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RaftTimer {
    /// Followers and candidates: no word from a leader for a randomized
    /// timeout, so start an election.
    Election,
    /// Leaders: time to send AppendEntries (possibly empty) to everyone.
    Heartbeat,
}
