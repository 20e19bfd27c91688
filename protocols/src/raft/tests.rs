//! Unit tests: handlers driven directly through a tiny in-test pump (FIFO
//! delivery, timers fired on demand), invariants checked after every event,
//! and hand-built states for each invariant.

use super::*;
use crate::kv::{KvCommand, KvOutcome, KvReply, KvRequest, RequestId};
use sim_core::{Choices, ClientId, Ctx, Effect, NodeId, Protocol, Stream, SystemView, Violation};
use std::collections::{BTreeSet, VecDeque};

fn req(client: u32, seq: u64, command: KvCommand) -> KvRequest {
    KvRequest { id: RequestId { client: ClientId(client), seq }, command }
}

fn put(client: u32, seq: u64, key: &str, value: &str) -> KvRequest {
    req(client, seq, KvCommand::Put { key: key.into(), value: value.into() })
}

fn get(client: u32, seq: u64, key: &str) -> KvRequest {
    req(client, seq, KvCommand::Get { key: key.into() })
}

fn n(i: u32) -> NodeId {
    NodeId(i)
}

/// A cluster driven by hand: messages wait in one FIFO queue, timers fire
/// only when a test says so, and the invariants run after every event.
struct Cluster {
    raft: Raft,
    n: usize,
    states: Vec<Option<RaftState>>,
    durables: Vec<Option<RaftDurable>>,
    timers: Vec<BTreeSet<RaftTimer>>,
    net: VecDeque<(NodeId, NodeId, RaftMsg)>,
    replies: Vec<(ClientId, KvReply)>,
    choices: Choices,
    monitor: RaftMonitor,
    violation: Option<Violation>,
    events: u64,
}

impl Cluster {
    fn new(nodes: usize, bug: Option<RaftBug>) -> Self {
        Cluster::seeded(nodes, bug, 1)
    }

    fn seeded(nodes: usize, bug: Option<RaftBug>, seed: u64) -> Self {
        let mut c = Cluster {
            raft: Raft::with_bug(bug),
            n: nodes,
            states: vec![None; nodes],
            durables: vec![None; nodes],
            timers: vec![BTreeSet::new(); nodes],
            net: VecDeque::new(),
            replies: Vec::new(),
            choices: Choices::seeded(seed),
            monitor: RaftMonitor::default(),
            violation: None,
            events: 0,
        };
        for i in 0..nodes as u32 {
            c.run(n(i), |raft, s, ctx| *s = Some(raft.init(n(i), ctx)));
        }
        c
    }

    /// Runs one handler on `node`, applies its effects, checks invariants.
    fn run(&mut self, node: NodeId, f: impl FnOnce(&Raft, &mut Option<RaftState>, &mut Ctx<'_, Raft>)) {
        let mut effects = Vec::new();
        let mut state = self.states[node.index()].take();
        {
            let mut ctx = Ctx::new(node, self.n, self.events, true, &mut effects, &mut self.choices);
            f(&self.raft, &mut state, &mut ctx);
        }
        self.states[node.index()] = state;
        self.events += 1;
        for effect in effects {
            match effect {
                Effect::Send { to, msg } => self.net.push_back((node, to, msg)),
                Effect::SetTimer { timer, .. } => {
                    self.timers[node.index()].insert(timer);
                }
                Effect::CancelTimer { timer } => {
                    self.timers[node.index()].remove(&timer);
                }
                Effect::Persist { durable } => self.durables[node.index()] = Some(durable),
                Effect::Reply { client, response } => self.replies.push((client, response)),
                Effect::Note { .. } => {}
            }
        }
        let view = SystemView {
            states: &self.states,
            durables: &self.durables,
            changed: Some(node),
            time: self.events,
            byzantine: &[],
        };
        if let Err(v) = self.raft.check_invariants(&mut self.monitor, &view) {
            self.violation.get_or_insert(v);
        }
    }

    fn state(&self, i: u32) -> &RaftState {
        self.states[i as usize].as_ref().expect("node is up")
    }

    fn fire(&mut self, node: NodeId, timer: RaftTimer) {
        assert!(self.timers[node.index()].remove(&timer), "{timer:?} not pending on {node}");
        self.run(node, |raft, s, ctx| {
            if let Some(s) = s {
                raft.on_timer(node, s, timer, ctx)
            }
        });
    }

    fn deliver(&mut self, from: NodeId, to: NodeId, msg: RaftMsg) {
        self.run(to, |raft, s, ctx| {
            if let Some(s) = s {
                raft.on_message(to, s, from, msg, ctx)
            }
        });
    }

    /// Delivers queued messages in FIFO order until none are left.
    fn deliver_all(&mut self) {
        let mut budget = 100_000;
        while let Some((from, to, msg)) = self.net.pop_front() {
            self.deliver(from, to, msg);
            budget -= 1;
            assert!(budget > 0, "message storm");
        }
    }

    fn request(&mut self, node: NodeId, request: KvRequest) {
        let client = request.id.client;
        self.run(node, |raft, s, ctx| {
            if let Some(s) = s {
                raft.on_request(node, s, client, request, ctx)
            }
        });
    }

    fn crash(&mut self, node: NodeId) {
        self.states[node.index()] = None;
        self.timers[node.index()].clear();
        self.run(node, |_, _, _| {});
    }

    fn recover(&mut self, node: NodeId) {
        let durable = self.durables[node.index()].clone();
        self.run(node, |raft, s, ctx| *s = Some(raft.recover(node, durable.as_ref(), ctx)));
    }

    fn leaders(&self) -> Vec<NodeId> {
        (0..self.n as u32).filter(|i| self.states[*i as usize].as_ref().is_some_and(|s| s.is_leader())).map(n).collect()
    }

    /// `node`'s election timer fires, then the network settles.
    fn elect(&mut self, node: NodeId) {
        self.fire(node, RaftTimer::Election);
        self.deliver_all();
        assert_eq!(self.leaders(), vec![node]);
    }

    fn last_reply(&self) -> &KvReply {
        &self.replies.last().expect("a reply").1
    }

    fn assert_healthy(&self) {
        assert_eq!(self.violation, None);
    }
}

#[test]
fn three_nodes_elect_exactly_one_leader() {
    let mut c = Cluster::new(3, None);
    assert!(c.timers.iter().all(|t| t.contains(&RaftTimer::Election)));
    c.elect(n(1));
    for i in 0..3 {
        assert_eq!(c.state(i).current_term, 1);
        assert_eq!(c.state(i).voted_for, Some(n(1)));
    }
    assert_eq!(c.state(0).leader_hint, Some(n(1)));
    assert!(c.timers[1].contains(&RaftTimer::Heartbeat));
    assert!(!c.timers[1].contains(&RaftTimer::Election));
    // A competing candidate in the same term gets no votes: everyone voted.
    c.fire(n(2), RaftTimer::Election); // term 2 now: n2 can win it
    c.deliver_all();
    assert_eq!(c.leaders(), vec![n(2)]);
    assert_eq!(c.state(1).role, Role::Follower);
    c.assert_healthy();
}

#[test]
fn put_then_get_through_the_leader() {
    let mut c = Cluster::new(3, None);
    c.elect(n(0));
    c.request(n(0), put(7, 1, "x", "1"));
    c.deliver_all();
    assert_eq!(
        c.last_reply(),
        &KvReply { id: RequestId { client: ClientId(7), seq: 1 }, outcome: KvOutcome::Ok { value: None } }
    );
    c.request(n(0), get(7, 2, "x"));
    c.deliver_all();
    assert_eq!(c.last_reply().outcome, KvOutcome::Ok { value: Some("1".into()) });
    assert_eq!(c.state(0).commit_index, 2);
    // Followers learn the commit index with the next heartbeat and apply.
    c.fire(n(0), RaftTimer::Heartbeat);
    c.deliver_all();
    for i in 1..3 {
        assert_eq!(c.state(i).last_applied, 2);
        assert_eq!(c.state(i).store.data.get("x").map(String::as_str), Some("1"));
    }
    // A retried put (same RequestId) is appended again but executed once.
    c.request(n(0), req(7, 3, KvCommand::Append { key: "x".into(), value: "2".into() }));
    c.request(n(0), req(7, 3, KvCommand::Append { key: "x".into(), value: "2".into() }));
    c.deliver_all();
    assert_eq!(c.state(0).store.data["x"], "12");
    assert_eq!(c.replies.len(), 3, "one reply per request id");
    c.assert_healthy();
}

#[test]
fn follower_redirects_to_the_leader() {
    let mut c = Cluster::new(3, None);
    c.request(n(2), put(1, 1, "k", "v"));
    assert_eq!(c.last_reply().outcome, KvOutcome::NotLeader { hint: None });
    c.elect(n(0));
    c.request(n(2), put(1, 1, "k", "v"));
    assert_eq!(c.last_reply().outcome, KvOutcome::NotLeader { hint: Some(n(0)) });
    assert!(c.net.is_empty(), "a follower does not forward or append");
    assert!(c.state(2).log.is_empty());
}

#[test]
fn stale_append_entries_does_not_truncate() {
    let mut c = Cluster::new(3, None);
    c.elect(n(0));
    c.request(n(0), put(1, 1, "a", "1"));
    // Keep a copy of the first AppendEntries to n1, to deliver it again late.
    let old = c.net.iter().find(|(_, to, _)| *to == n(1)).cloned().expect("AppendEntries to n1");
    c.deliver_all();
    c.request(n(0), put(1, 2, "b", "2"));
    c.request(n(0), put(1, 3, "c", "3"));
    c.deliver_all();
    assert_eq!(c.state(1).log.len(), 3);
    let (from, to, msg) = old;
    assert!(matches!(&msg, RaftMsg::AppendEntries { prev_log_index: 0, entries, .. } if entries.len() == 1));
    c.deliver(from, to, msg);
    assert_eq!(c.state(1).log.len(), 3, "a duplicate must not erase later entries");
    // Its reply (match_index 1) must not move the leader backwards either.
    c.deliver_all();
    assert_eq!(c.state(0).match_index[1], 3);
    assert_eq!(c.state(0).next_index[1], 4);
    c.assert_healthy();
}

#[test]
fn conflicting_entries_are_truncated() {
    let raft = Raft::default();
    let mut log = Log::new();
    log.push(Entry::new(1, put(1, 1, "a", "1")));
    log.push(Entry::new(1, put(1, 2, "b", "2")));
    log.push(Entry::new(1, put(1, 3, "c", "3")));
    let mut s = RaftState::new(1, None, log);
    let mut effects = Vec::new();
    let mut choices = Choices::seeded(1);
    let mut ctx = Ctx::new(n(1), 3, 0, true, &mut effects, &mut choices);
    let new = Entry::new(2, put(2, 1, "z", "9"));
    raft.on_message(
        n(1),
        &mut s,
        n(0),
        RaftMsg::AppendEntries {
            term: 2,
            leader_id: n(0),
            prev_log_index: 1,
            prev_log_term: 1,
            entries: vec![new.clone()],
            leader_commit: 0,
        },
        &mut ctx,
    );
    assert_eq!(s.log.len(), 2);
    assert_eq!(s.log.get(2), Some(&new));
    assert_eq!(s.current_term, 2);
    // The new log is persisted before the reply goes out.
    let persist = effects.iter().position(|e| matches!(e, Effect::Persist { durable } if durable.log == s.log));
    let reply = effects.iter().position(|e| {
        matches!(e, Effect::Send { msg: RaftMsg::AppendEntriesReply { success: true, match_index: 2, .. }, .. })
    });
    assert!(persist.is_some() && reply.is_some() && persist < reply, "{effects:?}");
}

#[test]
fn failed_consistency_check_backs_up_and_repairs() {
    let mut c = Cluster::new(3, None);
    c.elect(n(0));
    // n2 misses three entries (its messages are lost).
    for seq in 1..=3 {
        c.request(n(0), put(1, seq, "k", &seq.to_string()));
        c.net.retain(|(_, to, _)| *to != n(2));
        c.deliver_all();
    }
    assert_eq!(c.state(2).log.len(), 0);
    assert_eq!(c.state(0).commit_index, 3);
    c.fire(n(0), RaftTimer::Heartbeat);
    c.deliver_all();
    assert_eq!(c.state(2).log, c.state(0).log);
    assert_eq!(c.state(2).commit_index, 3);
    c.assert_healthy();
}

fn vote_request(bug: Option<RaftBug>, last_log_index: u64, last_log_term: u64) -> (bool, u64) {
    let raft = Raft::with_bug(bug);
    let mut log = Log::new();
    log.push(Entry::new(1, put(1, 1, "a", "1")));
    log.push(Entry::new(2, put(1, 2, "a", "2")));
    let mut s = RaftState::new(2, None, log);
    let mut effects = Vec::new();
    let mut choices = Choices::seeded(1);
    let mut ctx = Ctx::new(n(1), 3, 0, true, &mut effects, &mut choices);
    let msg = RaftMsg::RequestVote { term: 3, candidate_id: n(2), last_log_index, last_log_term };
    raft.on_message(n(1), &mut s, n(2), msg, &mut ctx);
    let granted = effects.iter().find_map(|e| match e {
        Effect::Send { to, msg: RaftMsg::RequestVoteReply { vote_granted, term } } if *to == n(2) => {
            assert_eq!(*term, 3);
            Some(*vote_granted)
        }
        _ => None,
    });
    (granted.expect("a reply"), s.current_term)
}

#[test]
fn candidate_with_a_stale_log_is_refused() {
    // Shorter log, same last term: refused. Longer log, older last term: refused.
    assert_eq!(vote_request(None, 1, 2), (false, 3));
    assert_eq!(vote_request(None, 9, 1), (false, 3));
    // As up to date or more: granted.
    assert_eq!(vote_request(None, 2, 2), (true, 3));
    assert_eq!(vote_request(None, 1, 3), (true, 3));
    // The bug grants regardless.
    assert_eq!(vote_request(Some(RaftBug::NoLogCheck), 0, 0), (true, 3));
    assert_eq!(vote_request(Some(RaftBug::NoLogCheck), 9, 1), (true, 3));
}

#[test]
fn one_vote_per_term_survives_a_crash_unless_forget_vote() {
    for bug in [None, Some(RaftBug::ForgetVote)] {
        let mut c = Cluster::new(3, bug);
        let ask = |candidate: u32| RaftMsg::RequestVote {
            term: 1,
            candidate_id: n(candidate),
            last_log_index: 0,
            last_log_term: 0,
        };
        c.deliver(n(0), n(2), ask(0));
        assert_eq!(c.state(2).voted_for, Some(n(0)));
        c.net.clear();
        c.crash(n(2));
        c.recover(n(2));
        assert_eq!(c.state(2).current_term, 1, "the term is persisted either way");
        c.deliver(n(1), n(2), ask(1));
        let granted = matches!(c.net.back(), Some((_, _, RaftMsg::RequestVoteReply { vote_granted: true, .. })));
        match bug {
            None => {
                assert_eq!(c.state(2).voted_for, Some(n(0)));
                assert!(!granted);
            }
            Some(_) => {
                assert_eq!(c.state(2).voted_for, Some(n(1)), "voted twice in term 1");
                assert!(granted);
            }
        }
    }
}

#[test]
fn recovery_keeps_the_log_and_reapplies_it() {
    let mut c = Cluster::new(3, None);
    c.elect(n(0));
    c.request(n(0), put(1, 1, "x", "a"));
    c.request(n(0), put(1, 2, "y", "b"));
    c.deliver_all();
    c.fire(n(0), RaftTimer::Heartbeat);
    c.deliver_all();
    c.crash(n(1));
    c.recover(n(1));
    let s = c.state(1);
    assert_eq!((s.log.len(), s.commit_index, s.last_applied, s.current_term), (2, 0, 0, 1));
    assert!(s.store.data.is_empty());
    c.fire(n(0), RaftTimer::Heartbeat);
    c.deliver_all();
    assert_eq!(c.state(1).store.data.get("y").map(String::as_str), Some("b"));
    // The leader crashes; a new one is elected and serves the same data.
    c.crash(n(0));
    c.elect(n(2));
    c.request(n(2), get(3, 1, "x"));
    c.deliver_all();
    assert_eq!(c.last_reply().outcome, KvOutcome::Ok { value: Some("a".into()) });
    c.recover(n(0));
    c.fire(n(2), RaftTimer::Heartbeat);
    c.deliver_all();
    assert_eq!(c.state(0).role, Role::Follower);
    assert_eq!(c.state(0).log, c.state(2).log);
    c.assert_healthy();
}

#[test]
fn bug_names_round_trip() {
    for bug in RaftBug::ALL {
        assert_eq!(bug.name().parse::<RaftBug>(), Ok(bug));
    }
    let err = "nope".parse::<RaftBug>().unwrap_err();
    assert!(err.contains("nope") && err.contains("forget-vote"), "{err}");
}

// ---- Each bug's fault pattern, replayed step by step ----

/// Keeps electing `node` (its timer fires, the network settles) until it
/// leads: a first attempt may only teach it a higher term.
fn elect_eventually(c: &mut Cluster, node: NodeId) {
    for _ in 0..3 {
        c.fire(node, RaftTimer::Election);
        c.deliver_all();
        if c.leaders() == vec![node] {
            return;
        }
    }
    panic!("{node} was not elected");
}

/// Figure 8 with three nodes. X (term 1) reaches only n0; Y (term 2) reaches
/// only n1. n0 comes back, leads term 3 and copies X to n2: X is now on a
/// majority but is from an old term. Correct Raft does not commit it; the
/// bug does, and n1 (whose last term 2 beats n2's 1) then wins term 4
/// without X.
fn figure_8(bug: Option<RaftBug>) -> Cluster {
    let mut c = Cluster::new(3, bug);
    c.elect(n(0));
    c.request(n(0), put(1, 1, "k", "X"));
    c.net.clear(); // X never leaves n0
    c.crash(n(0));
    elect_eventually(&mut c, n(1));
    c.request(n(1), put(2, 1, "k", "Y"));
    c.net.clear(); // Y never leaves n1
    c.crash(n(1));
    c.recover(n(0));
    elect_eventually(&mut c, n(0));
    assert_eq!(c.state(0).current_term, 3);
    assert_eq!(c.state(2).log.get(1).map(|e| e.term), Some(1), "X reached n2");
    let committed = c.state(0).commit_index;
    c.crash(n(0));
    c.recover(n(1));
    elect_eventually(&mut c, n(1));
    assert_eq!(committed, if bug.is_some() { 1 } else { 0 });
    c
}

#[test]
fn figure_8_correct_raft_does_not_commit_the_old_entry() {
    figure_8(None).assert_healthy();
}

#[test]
fn figure_8_commit_old_term_loses_a_committed_entry() {
    // Caught at the buggy commit itself: n1 lacks the entry yet could still
    // win an election (before the election that would erase it happens).
    let v = figure_8(Some(RaftBug::CommitOldTerm)).violation.expect("a violation");
    assert_eq!(v.invariant, "committed-entry-safety", "{v}");
}

/// X is committed on n0 and n1 while n2 is cut off; n0 crashes. n2, whose log
/// is empty, asks n1 for its vote in term 2.
fn stale_candidate(bug: Option<RaftBug>) -> Cluster {
    let mut c = Cluster::new(3, bug);
    c.elect(n(0));
    c.request(n(0), put(1, 1, "k", "X"));
    c.net.retain(|(_, to, _)| *to != n(2));
    c.deliver_all();
    assert_eq!(c.state(0).commit_index, 1);
    c.crash(n(0));
    c.fire(n(2), RaftTimer::Election);
    c.deliver_all();
    c
}

#[test]
fn a_stale_candidate_loses_unless_no_log_check() {
    let c = stale_candidate(None);
    assert!(c.leaders().is_empty());
    c.assert_healthy();
    let c = stale_candidate(Some(RaftBug::NoLogCheck));
    assert_eq!(c.leaders(), vec![n(2)]);
    assert_eq!(c.violation.expect("a violation").invariant, "leader-completeness");
}

/// n2 votes for n0 in term 1, crashes and restarts before n0 is elected,
/// then hears n1's RequestVote for the same term.
fn vote_twice(bug: Option<RaftBug>) -> Cluster {
    let mut c = Cluster::new(3, bug);
    c.fire(n(0), RaftTimer::Election);
    c.fire(n(1), RaftTimer::Election); // two candidates in term 1
    let to_n2: Vec<_> = c.net.iter().filter(|(_, to, _)| *to == n(2)).cloned().collect();
    c.net.retain(|(_, to, _)| *to != n(2));
    let (from, to, msg) = to_n2[0].clone(); // n0's request
    c.deliver(from, to, msg);
    c.crash(n(2));
    c.recover(n(2));
    let (from, to, msg) = to_n2[1].clone(); // n1's request
    c.deliver(from, to, msg);
    c.deliver_all();
    c
}

#[test]
fn a_restarted_voter_votes_once_unless_forget_vote() {
    let c = vote_twice(None);
    assert_eq!(c.leaders(), vec![n(0)]);
    c.assert_healthy();
    let c = vote_twice(Some(RaftBug::ForgetVote));
    assert_eq!(c.violation.expect("a violation").invariant, "election-safety");
}

// ---- Invariants on hand-built states ----

fn node_state(term: u64, role: Role, entries: &[(u64, &str)], commit_index: u64) -> RaftState {
    let mut log = Log::new();
    for (i, (t, v)) in entries.iter().enumerate() {
        log.push(Entry::new(*t, put(0, i as u64 + 1, "k", v)));
    }
    let mut s = RaftState::new(term, None, log);
    s.role = role;
    s.commit_index = commit_index;
    s
}

fn check(monitor: &mut RaftMonitor, states: &[Option<RaftState>], changed: Option<NodeId>) -> Result<(), Violation> {
    let durables = vec![None; states.len()];
    let view = SystemView { states, durables: &durables, changed, time: 0, byzantine: &[] };
    Raft::default().check_invariants(monitor, &view)
}

fn invariant(r: Result<(), Violation>) -> String {
    r.expect_err("a violation").invariant
}

#[test]
fn healthy_states_pass() {
    let mut m = RaftMonitor::default();
    let states = vec![
        Some(node_state(2, Role::Leader, &[(1, "a"), (2, "b"), (2, "c")], 2)),
        Some(node_state(2, Role::Follower, &[(1, "a"), (2, "b")], 1)),
        Some(node_state(1, Role::Follower, &[(1, "a"), (1, "stale")], 0)),
        None,
    ];
    assert_eq!(check(&mut m, &states, None), Ok(()));
    assert_eq!(check(&mut m, &states, Some(n(1))), Ok(()));
}

#[test]
fn two_leaders_in_one_term_break_election_safety() {
    let mut m = RaftMonitor::default();
    let both = vec![Some(node_state(3, Role::Leader, &[], 0)), Some(node_state(3, Role::Leader, &[], 0))];
    assert_eq!(invariant(check(&mut m, &both, None)), "election-safety");
    // Also across time: n0 led term 3, crashed; later n1 leads term 3.
    let mut m = RaftMonitor::default();
    let first = vec![Some(node_state(3, Role::Leader, &[], 0)), Some(node_state(3, Role::Follower, &[], 0))];
    assert_eq!(check(&mut m, &first, None), Ok(()));
    let later = vec![None, Some(node_state(3, Role::Leader, &[], 0))];
    let v = check(&mut m, &later, Some(n(1))).unwrap_err();
    assert_eq!(v.invariant, "election-safety");
    assert!(v.detail.contains("n0") && v.detail.contains("n1") && v.detail.contains("term 3"), "{v}");
}

#[test]
fn divergent_committed_entries_break_state_machine_safety() {
    let mut m = RaftMonitor::default();
    let states = vec![
        Some(node_state(2, Role::Follower, &[(1, "a"), (1, "b")], 2)),
        Some(node_state(2, Role::Follower, &[(1, "a"), (2, "x")], 2)),
    ];
    let v = check(&mut m, &states, None).unwrap_err();
    assert_eq!(v.invariant, "state-machine-safety");
    assert!(v.detail.contains("index 2") && v.detail.contains("n1"), "{v}");
}

#[test]
fn same_index_and_term_with_different_prefixes_break_log_matching() {
    let mut m = RaftMonitor::default();
    let states = vec![
        Some(node_state(1, Role::Follower, &[(1, "a"), (1, "b")], 0)),
        Some(node_state(1, Role::Follower, &[(1, "x"), (1, "b")], 0)),
    ];
    assert_eq!(invariant(check(&mut m, &states, None)), "log-matching");
}

#[test]
fn a_leader_missing_a_committed_entry_breaks_leader_completeness() {
    let mut m = RaftMonitor::default();
    let before = vec![
        Some(node_state(1, Role::Leader, &[(1, "a")], 1)),
        Some(node_state(1, Role::Follower, &[(1, "a")], 0)),
        Some(node_state(1, Role::Follower, &[], 0)),
    ];
    assert_eq!(check(&mut m, &before, None), Ok(()));
    let mut m2 = m.clone();
    let mut after = before.clone();
    after[0] = None;
    after[2] = Some(node_state(2, Role::Leader, &[], 0));
    let v = check(&mut m, &after, Some(n(2))).unwrap_err();
    assert_eq!(v.invariant, "leader-completeness");
    assert!(v.detail.contains("n2") && v.detail.contains("index 1") && v.detail.contains("term 2"), "{v}");
    // A leader that has it is fine.
    let mut fine = before.clone();
    fine[0] = None;
    fine[1] = Some(node_state(2, Role::Leader, &[(1, "a")], 0));
    assert_eq!(check(&mut m2, &fine, Some(n(1))), Ok(()));
}

// ---- A small random pump: reordering, duplication, loss, crashes ----

/// Drives a cluster with random choices for `steps` events; returns the
/// first violation. Every handler must survive whatever arrives.
fn fuzz(bug: Option<RaftBug>, seed: u64, nodes: usize, steps: u32) -> Option<Violation> {
    fuzz_cluster(bug, seed, nodes, steps).violation
}

fn fuzz_cluster(bug: Option<RaftBug>, seed: u64, nodes: usize, steps: u32) -> Cluster {
    let mut c = Cluster::seeded(nodes, bug, seed);
    let mut rng = Choices::seeded(seed ^ 0xfa17);
    let mut draw = |bound: u64| rng.draw(Stream::Workload, bound);
    let mut seq = 0;
    for _ in 0..steps {
        match draw(100) {
            // Deliver a random in-flight message (reordering), sometimes twice.
            0..=54 if !c.net.is_empty() => {
                let i = draw(c.net.len() as u64) as usize;
                let (from, to, msg) = if draw(10) == 0 { c.net[i].clone() } else { c.net.remove(i).expect("index") };
                c.deliver(from, to, msg);
            }
            55..=59 if !c.net.is_empty() => {
                let i = draw(c.net.len() as u64) as usize;
                c.net.remove(i);
            }
            60..=79 => {
                let node = n(draw(nodes as u64) as u32);
                if c.timers[node.index()].contains(&RaftTimer::Heartbeat) {
                    c.fire(node, RaftTimer::Heartbeat);
                }
            }
            80..=84 => {
                let node = n(draw(nodes as u64) as u32);
                if c.timers[node.index()].contains(&RaftTimer::Election) {
                    c.fire(node, RaftTimer::Election);
                }
            }
            85..=94 => {
                seq += 1;
                let node = n(draw(nodes as u64) as u32);
                let key = ["x", "y"][draw(2) as usize];
                let client = draw(3) as u32;
                let r = match draw(3) {
                    0 => get(client, seq, key),
                    1 => put(client, seq, key, &seq.to_string()),
                    _ => req(client, seq, KvCommand::Append { key: key.into(), value: seq.to_string() }),
                };
                c.request(node, r);
            }
            95..=97 => {
                let node = n(draw(nodes as u64) as u32);
                if c.states[node.index()].is_some() {
                    c.crash(node);
                } else {
                    c.recover(node);
                }
            }
            _ => {
                for i in 0..nodes as u32 {
                    if c.states[i as usize].is_none() {
                        c.recover(n(i));
                    }
                }
            }
        }
        if c.violation.is_some() {
            break;
        }
    }
    c
}

#[test]
fn correct_raft_survives_random_schedules() {
    for seed in 0..150 {
        for nodes in [3, 5] {
            if let Some(v) = fuzz(None, seed, nodes, 3000) {
                panic!("seed {seed}, {nodes} nodes: {v}");
            }
        }
    }
}

#[test]
fn random_schedules_make_progress() {
    let (mut committed, mut ok_replies, mut terms) = (0, 0, 0);
    for seed in 0..20 {
        let c = fuzz_cluster(None, seed, 3, 3000);
        committed += c.states.iter().flatten().map(|s| s.commit_index).max().unwrap_or(0);
        terms += c.states.iter().flatten().map(|s| s.current_term).max().unwrap_or(0);
        ok_replies += c.replies.iter().filter(|(_, r)| matches!(r.outcome, KvOutcome::Ok { .. })).count();
    }
    eprintln!("20 runs: {committed} entries committed, {ok_replies} ok replies, {terms} terms");
    assert!(committed > 20 * 10 && ok_replies > 20 * 10 && terms > 20 * 2);
}

#[test]
fn random_schedules_find_every_bug() {
    for bug in RaftBug::ALL {
        let found = (0..300).find_map(|seed| fuzz(Some(bug), seed, 3, 3000).map(|v| (seed, v)));
        let (seed, v) = found.unwrap_or_else(|| panic!("{bug} not found in 300 seeds"));
        eprintln!("{bug}: seed {seed}: {v}");
    }
}

/// A longer sweep (`cargo test -p protocols raft_long_fuzz -- --ignored`).
#[test]
#[ignore]
fn raft_long_fuzz() {
    for seed in 0..3000 {
        for nodes in [3, 5] {
            if let Some(v) = fuzz(None, seed, nodes, 10_000) {
                panic!("seed {seed}, {nodes} nodes: {v}");
            }
        }
    }
}
