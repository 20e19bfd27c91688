//! A Raft node: its state (Figure 2's "State" box) and the rules it follows
//! ("Rules for Servers" and the two RPC receivers). Every handler here is
//! called from the `Protocol` impl in `mod.rs`.

use super::log::Log;
use super::messages::{Entry, RaftMsg, RaftTimer};
use super::{Raft, RaftBug, MAX_ENTRIES_PER_APPEND};
use crate::kv::{KvOutcome, KvReply, KvRequest, KvStore};
use sim_core::{ClientId, Ctx, NodeId};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

/// What survives a crash: Figure 2's "persistent state on all servers".
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RaftDurable {
    pub current_term: u64,
    pub voted_for: Option<NodeId>,
    pub log: Log,
}

/// One node's state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RaftState {
    // Persistent (also in `RaftDurable`).
    /// The latest term this node has seen.
    pub current_term: u64,
    /// Whom this node voted for in `current_term`.
    pub voted_for: Option<NodeId>,
    pub log: Log,

    // Volatile, all nodes.
    pub role: Role,
    /// The highest log index known to be committed.
    pub commit_index: u64,
    /// The highest log index applied to `store`.
    pub last_applied: u64,
    /// Who this node believes leads `current_term` (for client redirects).
    pub leader_hint: Option<NodeId>,
    /// The replicated state machine.
    pub store: KvStore,
    /// Clients waiting for a reply from this node: client -> (request seq,
    /// whom to answer). Filled when a leader appends a request; answered when
    /// the entry is applied. Kept across a step-down: if the entry commits
    /// under the next leader, this node can still answer truthfully.
    pub waiting: BTreeMap<ClientId, (u64, ClientId)>,

    // Volatile, candidates.
    /// `votes[i]`: node i granted its vote in `current_term`.
    pub votes: Vec<bool>,

    // Volatile, leaders (empty otherwise).
    /// For each node, the index of the next entry to send it.
    pub next_index: Vec<u64>,
    /// For each node, the highest index known to be replicated on it.
    pub match_index: Vec<u64>,
}

impl RaftState {
    pub fn new(current_term: u64, voted_for: Option<NodeId>, log: Log) -> Self {
        RaftState {
            current_term,
            voted_for,
            log,
            role: Role::Follower,
            commit_index: 0,
            last_applied: 0,
            leader_hint: None,
            store: KvStore::default(),
            waiting: BTreeMap::new(),
            votes: Vec::new(),
            next_index: Vec::new(),
            match_index: Vec::new(),
        }
    }

    pub fn is_leader(&self) -> bool {
        self.role == Role::Leader
    }
}

/// Did a handler change something that must be persisted before it answers?
#[derive(Default)]
struct Dirty(bool);

impl Raft {
    fn has_bug(&self, bug: RaftBug) -> bool {
        self.bug == Some(bug)
    }

    /// What goes to stable storage. Under `forget-vote` the vote never does.
    pub(super) fn durable(&self, s: &RaftState) -> RaftDurable {
        let voted_for = if self.has_bug(RaftBug::ForgetVote) { None } else { s.voted_for };
        RaftDurable { current_term: s.current_term, voted_for, log: s.log.clone() }
    }

    fn persist_if(&self, dirty: Dirty, s: &RaftState, ctx: &mut Ctx<'_, Raft>) {
        if dirty.0 {
            ctx.persist(self.durable(s));
        }
    }

    fn reset_election_timer(&self, ctx: &mut Ctx<'_, Raft>) {
        let after = ctx.random_range(self.election_timeout_min_ns, self.election_timeout_max_ns);
        ctx.set_timer(RaftTimer::Election, after);
    }

    pub(super) fn start_node(&self, s: RaftState, ctx: &mut Ctx<'_, Raft>) -> RaftState {
        self.reset_election_timer(ctx);
        s
    }

    /// "If RPC request or response contains term T > currentTerm: set
    /// currentTerm = T, convert to follower" (§5.1). Returns whether the
    /// term changed (which must be persisted).
    fn observe_term(&self, s: &mut RaftState, term: u64, ctx: &mut Ctx<'_, Raft>) -> bool {
        if term <= s.current_term {
            return false;
        }
        ctx.note(|| format!("term {} -> {term}", s.current_term));
        s.current_term = term;
        s.voted_for = None;
        s.leader_hint = None;
        self.become_follower(s, ctx);
        true
    }

    fn become_follower(&self, s: &mut RaftState, ctx: &mut Ctx<'_, Raft>) {
        match s.role {
            Role::Follower => return,
            // A leader runs no election timer: start one.
            Role::Leader => {
                ctx.cancel_timer(RaftTimer::Heartbeat);
                self.reset_election_timer(ctx);
            }
            Role::Candidate => {}
        }
        s.role = Role::Follower;
        s.votes.clear();
        s.next_index.clear();
        s.match_index.clear();
    }

    // ---- Elections (§5.2) ----

    pub(super) fn on_election_timeout(&self, s: &mut RaftState, ctx: &mut Ctx<'_, Raft>) {
        if s.is_leader() {
            return;
        }
        // Start an election: new term, vote for self, ask everyone else.
        s.current_term += 1;
        s.role = Role::Candidate;
        s.voted_for = Some(ctx.id());
        s.leader_hint = None;
        s.votes = vec![false; ctx.node_count()];
        s.votes[ctx.id().index()] = true;
        ctx.note(|| format!("election for term {}", s.current_term));
        self.persist_if(Dirty(true), s, ctx);
        self.reset_election_timer(ctx);
        if self.has_majority(&s.votes) {
            self.become_leader(s, ctx);
            return;
        }
        ctx.broadcast(RaftMsg::RequestVote {
            term: s.current_term,
            candidate_id: ctx.id(),
            last_log_index: s.log.len(),
            last_log_term: s.log.last_term(),
        });
    }

    fn has_majority(&self, votes: &[bool]) -> bool {
        votes.iter().filter(|v| **v).count() > votes.len() / 2
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_request_vote(
        &self,
        s: &mut RaftState,
        from: NodeId,
        term: u64,
        candidate_id: NodeId,
        last_log_index: u64,
        last_log_term: u64,
        ctx: &mut Ctx<'_, Raft>,
    ) {
        let mut dirty = Dirty(self.observe_term(s, term, ctx));
        // §5.4.1: grant only if the candidate's log is at least as up to date
        // as ours: a later last term, or the same last term and at least as long.
        let up_to_date =
            last_log_term > s.log.last_term() || (last_log_term == s.log.last_term() && last_log_index >= s.log.len());
        let can_vote = s.voted_for.is_none() || s.voted_for == Some(candidate_id);
        let grant = term == s.current_term
            && can_vote
            && (up_to_date || self.has_bug(RaftBug::NoLogCheck))
            && candidate_id == from;
        if grant {
            if s.voted_for != Some(candidate_id) {
                s.voted_for = Some(candidate_id);
                // The bug: the vote is not written to stable storage.
                dirty.0 |= !self.has_bug(RaftBug::ForgetVote);
            }
            self.reset_election_timer(ctx);
        }
        ctx.note(|| format!("vote for {candidate_id} in term {term}: {grant}"));
        self.persist_if(dirty, s, ctx);
        ctx.send(from, RaftMsg::RequestVoteReply { term: s.current_term, vote_granted: grant });
    }

    pub(super) fn on_request_vote_reply(
        &self,
        s: &mut RaftState,
        from: NodeId,
        term: u64,
        vote_granted: bool,
        ctx: &mut Ctx<'_, Raft>,
    ) {
        if self.observe_term(s, term, ctx) {
            self.persist_if(Dirty(true), s, ctx);
            return;
        }
        if s.role != Role::Candidate || term != s.current_term || !vote_granted {
            return; // stale, or not for this election
        }
        if let Some(v) = s.votes.get_mut(from.index()) {
            *v = true;
        }
        if self.has_majority(&s.votes) {
            self.become_leader(s, ctx);
        }
    }

    fn become_leader(&self, s: &mut RaftState, ctx: &mut Ctx<'_, Raft>) {
        ctx.note(|| format!("leader of term {}", s.current_term));
        let n = ctx.node_count();
        s.role = Role::Leader;
        s.leader_hint = Some(ctx.id());
        s.votes.clear();
        s.next_index = vec![s.log.len() + 1; n];
        s.match_index = vec![0; n];
        s.match_index[ctx.id().index()] = s.log.len();
        ctx.cancel_timer(RaftTimer::Election);
        self.send_heartbeats(s, ctx);
    }

    // ---- Log replication (§5.3) ----

    pub(super) fn on_heartbeat_timer(&self, s: &mut RaftState, ctx: &mut Ctx<'_, Raft>) {
        if s.is_leader() {
            self.send_heartbeats(s, ctx);
        }
    }

    /// AppendEntries to every follower (with whatever entries each lacks),
    /// then wait a heartbeat interval.
    fn send_heartbeats(&self, s: &RaftState, ctx: &mut Ctx<'_, Raft>) {
        for to in ctx.nodes() {
            if to != ctx.id() {
                self.send_append_entries(s, to, ctx);
            }
        }
        ctx.set_timer(RaftTimer::Heartbeat, self.heartbeat_interval_ns);
    }

    fn send_append_entries(&self, s: &RaftState, to: NodeId, ctx: &mut Ctx<'_, Raft>) {
        let next = s.next_index.get(to.index()).copied().unwrap_or(1).clamp(1, s.log.len() + 1);
        let prev_log_index = next - 1;
        ctx.send(
            to,
            RaftMsg::AppendEntries {
                term: s.current_term,
                leader_id: ctx.id(),
                prev_log_index,
                prev_log_term: s.log.term_at(prev_log_index).unwrap_or(0),
                entries: s.log.entries_from(next, MAX_ENTRIES_PER_APPEND),
                leader_commit: s.commit_index,
            },
        );
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_append_entries(
        &self,
        s: &mut RaftState,
        from: NodeId,
        term: u64,
        leader_id: NodeId,
        prev_log_index: u64,
        prev_log_term: u64,
        entries: Vec<Entry>,
        leader_commit: u64,
        ctx: &mut Ctx<'_, Raft>,
    ) {
        let mut dirty = Dirty(self.observe_term(s, term, ctx));
        // 1. Reply false if term < currentTerm.
        if term < s.current_term {
            self.persist_if(dirty, s, ctx);
            ctx.send(from, RaftMsg::AppendEntriesReply { term: s.current_term, success: false, match_index: 0 });
            return;
        }
        // A leader exists for our term: follow it (a candidate gives up).
        self.become_follower(s, ctx);
        s.leader_hint = Some(leader_id);
        self.reset_election_timer(ctx);

        // 2. Reply false if the log has no entry at prevLogIndex whose term
        //    matches prevLogTerm. Tell the leader where to retry from.
        if s.log.term_at(prev_log_index) != Some(prev_log_term) {
            let retry_after = self.conflict_hint(s, prev_log_index);
            ctx.note(|| format!("consistency check failed at {prev_log_index}; retry after {retry_after}"));
            self.persist_if(dirty, s, ctx);
            ctx.send(
                from,
                RaftMsg::AppendEntriesReply { term: s.current_term, success: false, match_index: retry_after },
            );
            return;
        }

        // 3. If an existing entry conflicts with a new one (same index,
        //    different terms), delete it and all that follow. 4. Append any
        //    new entries not already in the log. An entry we already hold
        //    (same index and term) is skipped, never truncated: a delayed or
        //    duplicated AppendEntries must not erase what later ones added.
        let last_new = prev_log_index + entries.len() as u64;
        for (k, entry) in entries.into_iter().enumerate() {
            let index = prev_log_index + 1 + k as u64;
            match s.log.term_at(index) {
                Some(t) if t == entry.term => continue,
                Some(_) => {
                    ctx.note(|| format!("conflict at {index}: truncating {} entries", s.log.len() - index + 1));
                    s.log.truncate(index - 1);
                }
                None => {}
            }
            s.log.push(entry);
            dirty.0 = true;
        }

        // 5. If leaderCommit > commitIndex, set commitIndex =
        //    min(leaderCommit, index of last new entry). Never move it back.
        let commit = leader_commit.min(last_new);
        if commit > s.commit_index {
            s.commit_index = commit;
        }
        self.persist_if(dirty, s, ctx);
        self.apply_committed(s, ctx);
        ctx.send(from, RaftMsg::AppendEntriesReply { term: s.current_term, success: true, match_index: last_new });
    }

    /// Where a leader should retry after a failed consistency check at
    /// `prev_log_index`: past our last entry if our log is short; otherwise
    /// before the first entry of the conflicting term (skipping a whole term
    /// per round trip). Never below our commit index, which matches any
    /// leader's log.
    fn conflict_hint(&self, s: &RaftState, prev_log_index: u64) -> u64 {
        if prev_log_index > s.log.len() {
            return s.log.len();
        }
        if prev_log_index == 0 {
            return 0; // only a malformed message fails here
        }
        let conflict_term = s.log.term_at(prev_log_index);
        let mut i = prev_log_index;
        while i > s.commit_index + 1 && s.log.term_at(i - 1) == conflict_term {
            i -= 1;
        }
        (i - 1).max(s.commit_index.min(prev_log_index.saturating_sub(1)))
    }

    pub(super) fn on_append_entries_reply(
        &self,
        s: &mut RaftState,
        from: NodeId,
        term: u64,
        success: bool,
        match_index: u64,
        ctx: &mut Ctx<'_, Raft>,
    ) {
        if self.observe_term(s, term, ctx) {
            self.persist_if(Dirty(true), s, ctx);
            return;
        }
        if !s.is_leader() || term != s.current_term || from == ctx.id() {
            return; // stale
        }
        let f = from.index();
        if f >= s.next_index.len() {
            return;
        }
        // A reply can never claim more than we have sent (it is about our log).
        let claimed = match_index.min(s.log.len());
        if success {
            // Replies may arrive late or twice: only ever move forward.
            let advanced = claimed >= s.next_index[f];
            s.match_index[f] = s.match_index[f].max(claimed);
            s.next_index[f] = s.next_index[f].max(claimed + 1);
            self.advance_commit(s, ctx);
            if advanced && s.next_index[f] <= s.log.len() {
                self.send_append_entries(s, from, ctx); // keep catching it up
            }
        } else {
            let next = (claimed + 1).max(s.match_index[f] + 1);
            if next < s.next_index[f] {
                s.next_index[f] = next;
                self.send_append_entries(s, from, ctx); // retry further back
            }
        }
    }

    /// §5.3 and §5.4.2: commit the highest index N stored on a majority, but
    /// only if log[N] is from the current term (earlier entries then commit
    /// with it, by the Log Matching property).
    fn advance_commit(&self, s: &mut RaftState, ctx: &mut Ctx<'_, Raft>) {
        let mut matches = s.match_index.clone();
        let Some(own) = matches.get_mut(ctx.id().index()) else { return };
        *own = s.log.len();
        matches.sort_unstable_by(|a, b| b.cmp(a));
        let n = matches[matches.len() / 2]; // stored on a majority
        if n <= s.commit_index {
            return;
        }
        // The bug: count replicas of old-term entries too (Figure 8).
        if s.log.term_at(n) == Some(s.current_term) || self.has_bug(RaftBug::CommitOldTerm) {
            ctx.note(|| format!("commit {} -> {n}", s.commit_index));
            s.commit_index = n;
            self.apply_committed(s, ctx);
        }
    }

    /// Applies committed entries in order; answers clients waiting here.
    fn apply_committed(&self, s: &mut RaftState, ctx: &mut Ctx<'_, Raft>) {
        let upto = s.commit_index.min(s.log.len());
        while s.last_applied < upto {
            s.last_applied += 1;
            let Some(entry) = s.log.get(s.last_applied) else { break };
            let request = entry.request.clone();
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

    // ---- Clients (§8) ----

    pub(super) fn on_client_request(
        &self,
        s: &mut RaftState,
        client: ClientId,
        request: KvRequest,
        ctx: &mut Ctx<'_, Raft>,
    ) {
        if !s.is_leader() {
            let hint = s.leader_hint.filter(|h| *h != ctx.id());
            ctx.reply(client, KvReply { id: request.id, outcome: KvOutcome::NotLeader { hint } });
            return;
        }
        // Reads and writes alike go through the log (the simplest way to
        // linearizable reads). A retry of a request that is already in the
        // log is simply appended again: the KvStore executes it once.
        s.waiting.insert(request.id.client, (request.id.seq, client));
        s.log.push(Entry { term: s.current_term, request: std::sync::Arc::new(request) });
        if let Some(m) = s.match_index.get_mut(ctx.id().index()) {
            *m = s.log.len();
        }
        self.persist_if(Dirty(true), s, ctx);
        if ctx.node_count() == 1 {
            self.advance_commit(s, ctx);
            return;
        }
        for to in ctx.nodes() {
            if to != ctx.id() {
                self.send_append_entries(s, to, ctx);
            }
        }
    }
}
