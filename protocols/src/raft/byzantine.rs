//! A Byzantine Raft node: what the content-changing strategies make it say,
//! and which of Raft's guarantees each one breaks. Raft tolerates crashes,
//! not lies: every rule below trusts what a peer reports about its term, its
//! log and its votes, so one lying node is enough to break safety among the
//! correct ones. (The engine plays `silent`, `replay` and `forge` by itself:
//! Raft survives those, as silence is a crash, replays are duplicates, and
//! forgeries fail authentication.)
//!
//! * `equivocate` — as leader, it sends followers with odd ids other
//!   commands than the rest for the same (index, term). Correct followers
//!   then hold different entries at the same index and term: breaks
//!   `log-matching`, and `state-machine-safety` once both commit.
//! * `corrupt` — it grants every vote it is asked for (several candidates
//!   per term). With a split vote, two correct candidates can both reach a
//!   majority by counting it: breaks `election-safety`. Messages it has no
//!   lie for are corrupted in transit instead (and rejected).
//! * `lie-about-state` — it claims a log whose every entry is from its
//!   current term (with forged commands) and, whenever it follows a leader,
//!   a term one higher than the leader's. Its term deposes the leader; its
//!   log then looks more up to date than anyone's (§5.4.1), so it wins the
//!   next election and, as leader, overwrites entries the correct nodes have
//!   already committed: breaks `state-machine-safety` (the `raft-byzantine`
//!   scenario).

use super::messages::{Entry, RaftMsg};
use super::node::{RaftState, Role};
use crate::kv::{KvCommand, KvRequest};
use sim_core::{ByzantineCtx, NodeId};

/// A command that differs from `command` (what the liar claims a client asked).
fn forged(request: &KvRequest) -> KvRequest {
    let command = match &request.command {
        KvCommand::Get { key } => KvCommand::Put { key: key.clone(), value: "forged".into() },
        KvCommand::Put { key, value } | KvCommand::Append { key, value } if !value.ends_with("forged") => {
            KvCommand::Put { key: key.clone(), value: format!("{value}!forged") }
        }
        other => other.clone(),
    };
    KvRequest { id: request.id, command }
}

/// `equivocate`: followers with odd ids get forged commands.
pub(super) fn equivocate(msg: &RaftMsg, to: NodeId) -> Option<RaftMsg> {
    match msg {
        RaftMsg::AppendEntries { entries, .. } if !entries.is_empty() && to.0 % 2 == 1 => {
            let mut lie = msg.clone();
            if let RaftMsg::AppendEntries { entries, .. } = &mut lie {
                for e in entries.iter_mut() {
                    *e = Entry::new(e.term, forged(&e.request));
                }
            }
            Some(lie)
        }
        _ => None,
    }
}

/// `corrupt`: every vote granted.
pub(super) fn corrupt(msg: &RaftMsg) -> Option<RaftMsg> {
    match msg {
        RaftMsg::RequestVoteReply { term, vote_granted: false } => {
            Some(RaftMsg::RequestVoteReply { term: *term, vote_granted: true })
        }
        _ => None,
    }
}

/// `lie-about-state`: rewrites the log into the current term (forged
/// commands) and outbids a leader it follows by one term.
pub(super) fn lie_about_state(s: &mut RaftState, _byz: &mut ByzantineCtx<'_>) -> Option<String> {
    let mut lies = Vec::new();
    if s.role == Role::Follower && s.leader_hint.is_some() {
        s.current_term += 1;
        s.voted_for = None;
        s.leader_hint = None;
        lies.push(format!("claims term {}", s.current_term));
    }
    if s.log.iter().any(|e| e.term < s.current_term) {
        let rewritten: Vec<Entry> = s.log.iter().map(|e| Entry::new(s.current_term, forged(&e.request))).collect();
        s.log.truncate(0);
        for e in rewritten {
            s.log.push(e);
        }
        lies.push(format!("claims all {} log entries are from term {} (commands forged)", s.log.len(), s.current_term));
    }
    if lies.is_empty() {
        None
    } else {
        Some(lies.join("; "))
    }
}
