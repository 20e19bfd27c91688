//! Raft's safety properties (Figure 3 of the paper), checked after every
//! event by the simulator and the explorer.
//!
//! Several of them speak about the whole run ("ever committed", "any term"),
//! not one moment, so the checker keeps history variables in [`RaftMonitor`]:
//! the leader seen for every term, the first entry seen committed at every
//! index, and the first (term, prefix fingerprint) seen at every index. Each
//! check looks only at the node the last event touched (`view.changed`) and
//! only at what changed there, so it costs O(1) per event in the common case.
//! Logs are compared through their prefix fingerprints (`Log::chain_at`): equal
//! fingerprints at index i mean equal logs up to i.
//!
//! Only correct nodes are judged (`view.is_correct`): a Byzantine node's
//! state is whatever it pretends. The committed-entry lookahead counts the
//! votes of correct nodes only (a Byzantine voter could always add its own,
//! which says only that Raft is not Byzantine-tolerant).

use super::log::Log;
use super::messages::Entry;
use super::node::RaftState;
use super::Raft;
use sim_core::{NodeId, SystemView, Violation};
use std::collections::BTreeMap;

pub const ELECTION_SAFETY: &str = "election-safety";
pub const LOG_MATCHING: &str = "log-matching";
pub const LEADER_COMPLETENESS: &str = "leader-completeness";
pub const STATE_MACHINE_SAFETY: &str = "state-machine-safety";
pub const COMMITTED_ENTRY_SAFETY: &str = "committed-entry-safety";

/// History variables for Raft's invariants.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RaftMonitor {
    /// The leader seen for each term.
    leaders: BTreeMap<u64, NodeId>,
    /// `committed[i - 1]`: the first entry seen committed at index i.
    committed: Vec<Committed>,
    /// `seen[i - 1]`: the first entry seen at index i in any log.
    seen: Vec<Seen>,
    /// Entries seen at an index with another term than `seen`'s: (index, term).
    seen_other: BTreeMap<(u64, u64), Seen>,
    /// Per node: its log is registered in `seen` up to this (index, fingerprint).
    registered: Vec<(u64, u64)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Committed {
    entry: Entry,
    /// The prefix fingerprint at this index.
    chain: u64,
    /// The term of the node that first reported it committed.
    commit_term: u64,
    node: NodeId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Seen {
    term: u64,
    chain: u64,
    node: NodeId,
}

impl RaftMonitor {
    /// Checks the node the last event ran on (or every node if unknown).
    pub fn check(&mut self, view: &SystemView<'_, Raft>) -> Result<(), Violation> {
        let all = || (0..view.states.len() as u32).map(NodeId);
        let committed_before = self.committed.len();
        match view.changed {
            Some(n) => self.check_node(n, view)?,
            None => all().try_for_each(|n| self.check_node(n, view))?,
        }
        // Committed-entry safety last, once the other properties hold: for
        // every node if something new was committed, else for the changed one.
        match view.changed {
            Some(n) if self.committed.len() == committed_before => self.committed_entry_safety(n, view),
            _ => all().try_for_each(|m| self.committed_entry_safety(m, view)),
        }
    }

    fn check_node(&mut self, n: NodeId, view: &SystemView<'_, Raft>) -> Result<(), Violation> {
        let Some(s) = view.correct_state(n) else { return Ok(()) }; // crashed or Byzantine
        self.log_matching(n, &s.log)?;
        self.election_safety(n, s)?;
        self.state_machine_safety(n, s, view)
    }

    /// Committed-entry safety, a lookahead form of Leader Completeness: a
    /// node whose log lacks a committed entry must not be able to win an
    /// election, i.e. a majority of the nodes (counting crashed ones by their
    /// durable log) must have logs more up to date than its own (§5.4.1).
    /// Correct Raft guarantees it (the committing majority refuses such a
    /// candidate); the `commit-old-term` bug breaks it the moment it commits
    /// an old-term entry while another node holds a later-term entry at that
    /// index — Figure 8 (c) — before the crash and election that would erase it.
    fn committed_entry_safety(&self, m: NodeId, view: &SystemView<'_, Raft>) -> Result<(), Violation> {
        let logs: Vec<Option<&Log>> = (0..view.states.len())
            .map(|i| match (&view.states[i], &view.durables[i]) {
                (Some(s), _) => Some(&s.log),
                (None, Some(d)) => Some(&d.log),
                (None, None) => None,
            })
            .collect();
        if !view.is_correct(m) {
            return Ok(());
        }
        let Some(log) = logs[m.index()] else { return Ok(()) };
        let upto = self.committed.len() as u64;
        if upto == 0 || log.chain_at(upto) == Some(self.committed[(upto - 1) as usize].chain) {
            return Ok(()); // it holds everything committed
        }
        let (last_term, len) = (log.last_term(), log.len());
        let voters: Vec<usize> = (0..logs.len())
            .filter(|&v| view.is_correct(NodeId(v as u32)))
            .filter(|&v| logs[v].is_none_or(|l| (last_term, len) >= (l.last_term(), l.len())))
            .collect();
        if voters.len() * 2 <= logs.len() {
            return Ok(());
        }
        let d = self.first_divergence(log, upto);
        let c = &self.committed[(d - 1) as usize];
        let voters: Vec<String> = voters.iter().map(|v| format!("n{v}")).collect();
        Err(Violation::new(
            COMMITTED_ENTRY_SAFETY,
            format!(
                "{m} lacks {:?} at index {d}, committed in term {} (seen on {}), yet its log (last term {last_term}, length {len}) is up to date enough to win the votes of {}: an election could erase a committed entry",
                c.entry,
                c.commit_term,
                c.node,
                voters.join(", ")
            ),
        ))
    }

    /// Log Matching: an (index, term) pair names one prefix in all logs, ever.
    /// Registers the entries of `n`'s log that are new since the last check.
    fn log_matching(&mut self, n: NodeId, log: &Log) -> Result<(), Violation> {
        if self.registered.len() <= n.index() {
            self.registered.resize(n.index() + 1, (0, 0));
        }
        let (mut from, chain) = self.registered[n.index()];
        if log.chain_at(from) != Some(chain) {
            // The log changed below what we registered (truncated or
            // recovered): find how much of it is already registered.
            from = self.registered_prefix(log, from.min(log.len()));
        }
        for i in from + 1..=log.len() {
            let (Some(term), Some(chain)) = (log.term_at(i), log.chain_at(i)) else { break };
            match self.seen_at(i, term) {
                Some(seen) if seen.chain != chain => {
                    return Err(Violation::new(
                        LOG_MATCHING,
                        format!(
                            "{n} and {} both hold an entry of term {term} at index {i}, but their logs differ at or before it",
                            seen.node
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    let seen = Seen { term, chain, node: n };
                    if self.seen.len() as u64 == i - 1 {
                        self.seen.push(seen);
                    } else {
                        self.seen_other.insert((i, term), seen);
                    }
                }
            }
        }
        self.registered[n.index()] = (log.len(), log.chain_at(log.len()).unwrap_or(0));
        Ok(())
    }

    fn seen_at(&self, index: u64, term: u64) -> Option<Seen> {
        match self.seen.get((index - 1) as usize) {
            Some(s) if s.term == term => Some(*s),
            Some(_) => self.seen_other.get(&(index, term)).copied(),
            None => None,
        }
    }

    /// The longest prefix (up to `hi`) of `log` already registered with the
    /// same fingerprints. Registered prefixes are prefix-closed, so binary search.
    fn registered_prefix(&self, log: &Log, hi: u64) -> u64 {
        let ok = |i: u64| {
            i == 0
                || matches!((log.term_at(i), log.chain_at(i)), (Some(t), Some(c))
                    if self.seen_at(i, t).is_some_and(|s| s.chain == c))
        };
        let (mut lo, mut hi) = (0, hi); // ok(lo) holds; find the largest ok index <= hi
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if ok(mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }

    /// Election Safety: at most one leader per term, over the whole run.
    /// A leader seen for the first time must also satisfy Leader Completeness.
    fn election_safety(&mut self, n: NodeId, s: &RaftState) -> Result<(), Violation> {
        if !s.is_leader() {
            return Ok(());
        }
        match self.leaders.get(&s.current_term) {
            Some(&other) if other != n => Err(Violation::new(
                ELECTION_SAFETY,
                format!("{other} and {n} were both elected leader of term {}", s.current_term),
            )),
            Some(_) => Ok(()),
            None => {
                self.leaders.insert(s.current_term, n);
                // Every entry committed in an earlier term must be in its log.
                match self.committed.iter().rposition(|c| c.commit_term < s.current_term) {
                    Some(last) => self.leader_holds(n, s, last as u64 + 1),
                    None => Ok(()),
                }
            }
        }
    }

    /// Leader Completeness for leader `n`: its log holds the committed prefix `1..=upto`.
    fn leader_holds(&self, n: NodeId, s: &RaftState, upto: u64) -> Result<(), Violation> {
        if s.log.chain_at(upto) == Some(self.committed[(upto - 1) as usize].chain) {
            return Ok(());
        }
        let d = self.first_divergence(&s.log, upto);
        let c = &self.committed[(d - 1) as usize];
        let has = match s.log.get(d) {
            Some(e) => format!("has {e:?} there"),
            None => format!("its log ends at {}", s.log.len()),
        };
        Err(Violation::new(
            LEADER_COMPLETENESS,
            format!(
                "{n}, leader of term {}, lacks entry {:?} at index {d}, committed in term {} (seen on {}); {has}",
                s.current_term, c.entry, c.commit_term, c.node
            ),
        ))
    }

    /// The first index `<= upto` where `log` differs from the committed prefix.
    fn first_divergence(&self, log: &Log, upto: u64) -> u64 {
        let same = |i: u64| log.chain_at(i) == Some(self.committed[(i - 1) as usize].chain);
        let (mut lo, mut hi) = (1, upto); // the answer is in lo..=hi and !same(hi)
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if same(mid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// State Machine Safety: what `n` considers committed agrees with
    /// everything ever committed. New commits are recorded, and every current
    /// leader of a later term must already hold them (Leader Completeness).
    fn state_machine_safety(&mut self, n: NodeId, s: &RaftState, view: &SystemView<'_, Raft>) -> Result<(), Violation> {
        let upto = s.commit_index.min(s.log.len());
        let known = upto.min(self.committed.len() as u64);
        if known > 0 && s.log.chain_at(known) != Some(self.committed[(known - 1) as usize].chain) {
            let d = self.first_divergence(&s.log, known);
            let c = &self.committed[(d - 1) as usize];
            return Err(Violation::new(
                STATE_MACHINE_SAFETY,
                format!(
                    "{n} (term {}) has {:?} committed at index {d}, but {:?} was committed there first (on {} in term {})",
                    s.current_term,
                    s.log.get(d),
                    c.entry,
                    c.node,
                    c.commit_term
                ),
            ));
        }
        if upto <= self.committed.len() as u64 {
            return Ok(());
        }
        for i in self.committed.len() as u64 + 1..=upto {
            let (Some(entry), Some(chain)) = (s.log.get(i), s.log.chain_at(i)) else { break };
            self.committed.push(Committed { entry: entry.clone(), chain, commit_term: s.current_term, node: n });
        }
        for m in (0..view.states.len() as u32).map(NodeId) {
            if let Some(o) = view.correct_state(m) {
                if o.is_leader() && o.current_term > s.current_term {
                    self.leader_holds(m, o, upto)?;
                }
            }
        }
        Ok(())
    }
}
