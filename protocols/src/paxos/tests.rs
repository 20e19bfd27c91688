//! Unit tests: handlers driven directly through a tiny in-test pump (FIFO
//! delivery, timers fired on demand, messages droppable by hand), with the
//! invariants checked after every event.

use super::multi::{Command, MultiMsg, MultiPaxos, MultiTimer};
use super::single::{own_value, SingleDecree, SingleMsg, SingleTimer};
use super::*;
use crate::kv::{KvCommand, KvOutcome, KvReply, KvRequest, RequestId};
use sim_core::{Choices, ClientId, Ctx, Effect, NodeId, Protocol, SystemView, Violation};
use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

fn n(i: u32) -> NodeId {
    NodeId(i)
}

/// A cluster driven by hand.
struct Cluster<P: Protocol> {
    p: P,
    states: Vec<Option<P::State>>,
    durables: Vec<Option<P::Durable>>,
    timers: Vec<BTreeSet<String>>,
    net: VecDeque<(NodeId, NodeId, P::Msg)>,
    replies: Vec<(ClientId, P::Response)>,
    choices: Choices,
    monitor: P::Monitor,
    violation: Option<Violation>,
    events: u64,
}

impl<P: Protocol> Cluster<P> {
    fn new(p: P, nodes: usize) -> Self {
        let mut c = Cluster {
            p,
            states: (0..nodes).map(|_| None).collect(),
            durables: (0..nodes).map(|_| None).collect(),
            timers: vec![BTreeSet::new(); nodes],
            net: VecDeque::new(),
            replies: Vec::new(),
            choices: Choices::seeded(7),
            monitor: P::Monitor::default(),
            violation: None,
            events: 0,
        };
        for i in 0..nodes as u32 {
            c.run(n(i), |p, s, ctx| *s = Some(p.init(n(i), ctx)));
        }
        c
    }

    fn run(&mut self, node: NodeId, f: impl FnOnce(&P, &mut Option<P::State>, &mut Ctx<'_, P>)) {
        let mut effects = Vec::new();
        let mut state = self.states[node.index()].take();
        {
            let count = self.states.len();
            let mut ctx = Ctx::new(node, count, self.events, true, &mut effects, &mut self.choices);
            f(&self.p, &mut state, &mut ctx);
        }
        self.states[node.index()] = state;
        self.events += 1;
        for effect in effects {
            match effect {
                Effect::Send { to, msg } => self.net.push_back((node, to, msg)),
                Effect::SetTimer { timer, .. } => {
                    self.timers[node.index()].insert(format!("{timer:?}"));
                }
                Effect::CancelTimer { timer } => {
                    self.timers[node.index()].remove(&format!("{timer:?}"));
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
        if let Err(v) = self.p.check_invariants(&mut self.monitor, &view) {
            self.violation.get_or_insert(v);
        }
    }

    fn fire(&mut self, node: NodeId, timer: P::Timer) {
        self.run(node, |p, s, ctx| {
            if let Some(s) = s {
                p.on_timer(node, s, timer, ctx)
            }
        });
    }

    fn deliver(&mut self, from: NodeId, to: NodeId, msg: P::Msg) {
        self.run(to, |p, s, ctx| {
            if let Some(s) = s {
                p.on_message(to, s, from, msg, ctx)
            }
        });
    }

    /// Delivers queued messages in FIFO order, dropping those `drop` names.
    fn deliver_all_but(&mut self, drop: impl Fn(NodeId, NodeId, &P::Msg) -> bool) {
        let mut steps = 0;
        while let Some((from, to, msg)) = self.net.pop_front() {
            steps += 1;
            assert!(steps < 100_000, "no quiescence");
            if drop(from, to, &msg) || self.states[to.index()].is_none() {
                continue;
            }
            self.deliver(from, to, msg);
        }
    }

    fn deliver_all(&mut self) {
        self.deliver_all_but(|_, _, _| false);
    }

    fn crash(&mut self, node: NodeId) {
        self.states[node.index()] = None;
        self.timers[node.index()].clear();
    }

    fn recover(&mut self, node: NodeId) {
        let durable = self.durables[node.index()].clone();
        self.run(node, |p, s, ctx| *s = Some(p.recover(node, durable.as_ref(), ctx)));
    }

    fn state(&self, i: u32) -> &P::State {
        self.states[i as usize].as_ref().expect("node is up")
    }
}

// ---- Single-decree ----

fn single(bug: Option<PaxosBug>) -> Cluster<SingleDecree> {
    Cluster::new(SingleDecree::with_bug(bug), 3)
}

#[test]
fn one_proposer_gets_its_value_chosen_and_learned_everywhere() {
    let mut c = single(None);
    c.fire(n(0), SingleTimer::Propose);
    c.deliver_all();
    for i in 0..3 {
        assert_eq!(c.state(i).learned, Some(own_value(n(0))), "n{i}");
        let d = c.durables[i as usize].as_ref().expect("acceptor persisted");
        assert_eq!(d.accepted, Some((Ballot::new(1, n(0)), 100)));
        assert_eq!(d.promised, Ballot::new(1, n(0)));
    }
    assert_eq!(c.monitor.chosen, Some((100, Ballot::new(1, n(0)))));
    assert!(c.violation.is_none(), "{:?}", c.violation);
}

#[test]
fn a_later_proposer_adopts_the_accepted_value() {
    let mut c = single(None);
    // n0's value is accepted by n0 and n1 only (n2 never hears Accept).
    c.fire(n(0), SingleTimer::Propose);
    c.deliver_all_but(|_, to, m| {
        to == n(2) && matches!(m, SingleMsg::Accept { .. }) || matches!(m, SingleMsg::Accepted { .. })
    });
    assert_eq!(c.monitor.chosen.map(|(v, _)| v), Some(100), "a majority accepted it: chosen");
    // n2 has learned nothing; it proposes with a higher ballot and must adopt 100.
    c.fire(n(2), SingleTimer::Propose);
    c.deliver_all();
    for i in 0..3 {
        assert_eq!(c.state(i).learned, Some(100), "n{i}");
    }
    assert!(c.violation.is_none(), "{:?}", c.violation);
}

#[test]
fn ignore_accepted_chooses_a_second_value() {
    let mut c = single(Some(PaxosBug::IgnoreAccepted));
    c.fire(n(0), SingleTimer::Propose);
    c.deliver_all_but(|_, to, m| {
        to == n(2) && matches!(m, SingleMsg::Accept { .. }) || matches!(m, SingleMsg::Accepted { .. })
    });
    c.fire(n(2), SingleTimer::Propose);
    c.deliver_all();
    let v = c.violation.expect("agreement breaks");
    assert_eq!(v.invariant, AGREEMENT, "{v}");
}

#[test]
fn acceptors_refuse_lower_ballots_and_keep_promises_across_crashes() {
    let mut c = single(None);
    c.deliver(n(1), n(0), SingleMsg::Prepare { ballot: Ballot::new(5, n(1)) });
    c.crash(n(0));
    c.recover(n(0));
    assert_eq!(c.state(0).promised, Ballot::new(5, n(1)));
    c.net.clear();
    c.deliver(n(2), n(0), SingleMsg::Accept { ballot: Ballot::new(3, n(2)), value: 102 });
    assert_eq!(c.state(0).accepted, None);
    assert!(
        matches!(c.net.back(), Some((_, _, SingleMsg::Nack { promised, .. })) if *promised == Ballot::new(5, n(1)))
    );
}

#[test]
fn forget_promise_loses_the_promise_in_a_crash() {
    let mut c = single(Some(PaxosBug::ForgetPromise));
    c.deliver(n(1), n(0), SingleMsg::Prepare { ballot: Ballot::new(5, n(1)) });
    c.crash(n(0));
    c.recover(n(0));
    assert_eq!(c.state(0).promised, Ballot::ZERO, "only the (absent) accepted ballot survives");
}

#[test]
fn odd_messages_are_harmless() {
    let mut c = single(None);
    let b = Ballot::new(1, n(0));
    // Promises, Accepted and Nacks nobody asked for; duplicates.
    c.deliver(n(1), n(0), SingleMsg::Promise { ballot: b, accepted: None });
    c.deliver(n(1), n(0), SingleMsg::Nack { ballot: b, promised: Ballot::new(9, n(2)) });
    c.deliver(n(1), n(0), SingleMsg::Accepted { ballot: b, value: 100 });
    c.deliver(n(1), n(0), SingleMsg::Accepted { ballot: b, value: 100 });
    assert_eq!(c.state(0).learned, None, "one acceptor is no majority");
    c.fire(n(0), SingleTimer::Propose);
    assert!(c.state(0).attempt.as_ref().is_some_and(|a| a.ballot.round == 10), "ballot above every round seen");
    c.deliver_all();
    c.deliver(n(1), n(0), SingleMsg::Promise { ballot: Ballot::new(10, n(0)), accepted: None });
    assert_eq!(c.state(0).learned, Some(100));
}

// ---- Multi-Paxos ----

fn req(client: u32, seq: u64, command: KvCommand) -> KvRequest {
    KvRequest { id: RequestId { client: ClientId(client), seq }, command }
}

fn put(client: u32, seq: u64, value: &str) -> KvRequest {
    req(client, seq, KvCommand::Put { key: "k".into(), value: value.into() })
}

fn multi(bug: Option<PaxosBug>) -> Cluster<MultiPaxos> {
    Cluster::new(MultiPaxos::with_bug(bug), 3)
}

fn request(c: &mut Cluster<MultiPaxos>, node: u32, r: KvRequest) {
    let client = r.id.client;
    c.run(n(node), |p, s, ctx| {
        if let Some(s) = s {
            p.on_request(n(node), s, client, r, ctx)
        }
    });
}

fn elect(c: &mut Cluster<MultiPaxos>, node: u32) {
    c.fire(n(node), MultiTimer::Election);
    c.deliver_all();
    assert!(c.state(node).is_leader(), "n{node} leads");
}

#[test]
fn leader_serves_requests_and_followers_catch_up() {
    let mut c = multi(None);
    elect(&mut c, 0);
    request(&mut c, 1, put(0, 1, "x"));
    assert!(matches!(
        c.replies.last(),
        Some((_, KvReply { outcome: KvOutcome::NotLeader { hint: Some(h) }, .. })) if *h == n(0)
    ));
    request(&mut c, 0, put(0, 1, "x"));
    request(&mut c, 0, req(1, 1, KvCommand::Get { key: "k".into() }));
    c.deliver_all();
    let values: Vec<_> = c
        .replies
        .iter()
        .filter_map(|(_, r)| match &r.outcome {
            KvOutcome::Ok { value } => Some(value.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(values, vec![None, Some("x".to_string())]);
    // Followers learn through Chosen; a crashed one catches up after restarting.
    c.crash(n(2));
    request(&mut c, 0, put(0, 2, "y"));
    c.deliver_all();
    c.recover(n(2));
    assert_eq!(c.state(2).applied, 0);
    c.fire(n(0), MultiTimer::Heartbeat);
    c.deliver_all();
    for i in 0..3 {
        assert_eq!(c.state(i).applied, 3, "n{i}");
        assert_eq!(c.state(i).store.data.get("k").map(String::as_str), Some("y"), "n{i}");
    }
    assert!(c.violation.is_none(), "{:?}", c.violation);
}

#[test]
fn new_leader_reproposes_what_a_majority_accepted() {
    let mut c = multi(None);
    elect(&mut c, 0);
    request(&mut c, 0, put(0, 1, "x"));
    // n1 accepts, n2 never hears the Accept, and nobody hears Accepted: n0 dies.
    c.deliver_all_but(|_, to, m| {
        to == n(2) && matches!(m, MultiMsg::Accept { .. }) || matches!(m, MultiMsg::Accepted { .. })
    });
    assert!(c.monitor.chosen_at(1).is_some(), "n0 and n1 accepted it: chosen");
    c.crash(n(0));
    elect(&mut c, 2);
    assert!(matches!(c.state(2).chosen.get(1), Some(Command::Request(r)) if r.id.seq == 1));
    assert!(c.violation.is_none(), "{:?}", c.violation);
    // A new request goes to slot 2.
    request(&mut c, 2, put(1, 1, "z"));
    c.deliver_all();
    assert_eq!(c.state(2).applied, 2);
    assert!(c.violation.is_none(), "{:?}", c.violation);
}

#[test]
fn ignore_accepted_overwrites_a_chosen_slot() {
    let mut c = multi(Some(PaxosBug::IgnoreAccepted));
    elect(&mut c, 0);
    request(&mut c, 0, put(0, 1, "x"));
    c.deliver_all_but(|_, to, m| {
        to == n(2) && matches!(m, MultiMsg::Accept { .. }) || matches!(m, MultiMsg::Accepted { .. })
    });
    c.crash(n(0));
    elect(&mut c, 2);
    request(&mut c, 2, put(1, 1, "z"));
    c.deliver_all();
    let v = c.violation.expect("agreement breaks");
    assert_eq!(v.invariant, AGREEMENT, "{v}");
}

#[test]
fn deposed_leader_steps_down_on_a_higher_ballot() {
    let mut c = multi(None);
    elect(&mut c, 0);
    elect(&mut c, 1);
    assert!(!c.state(0).is_leader());
    // An old Accept from n0's ballot is refused.
    let old = c.state(0).ballot;
    c.net.clear();
    let cmd = Command::Request(Arc::new(put(0, 9, "old")));
    c.deliver(n(0), n(2), MultiMsg::Accept { ballot: old, slot: 1, command: cmd });
    assert!(matches!(c.net.back(), Some((_, _, MultiMsg::Nack { .. }))));
    assert!(c.violation.is_none(), "{:?}", c.violation);
}

#[test]
fn forget_promise_restarts_with_the_accepted_ballot() {
    let mut c = multi(Some(PaxosBug::ForgetPromise));
    c.deliver(n(1), n(0), MultiMsg::Prepare { ballot: Ballot::new(4, n(1)), from_slot: 1 });
    c.crash(n(0));
    c.recover(n(0));
    assert_eq!(c.state(0).promised, Ballot::ZERO);
    let mut c = multi(None);
    c.deliver(n(1), n(0), MultiMsg::Prepare { ballot: Ballot::new(4, n(1)), from_slot: 1 });
    c.crash(n(0));
    c.recover(n(0));
    assert_eq!(c.state(0).promised, Ballot::new(4, n(1)));
}

#[test]
fn monitor_reports_a_value_never_proposed() {
    let mut c = multi(None);
    // An Accept forged for n1's ballot, which n1 never proposed.
    let cmd = Command::Request(Arc::new(put(0, 1, "forged")));
    c.deliver(n(1), n(0), MultiMsg::Accept { ballot: Ballot::new(1, n(1)), slot: 1, command: cmd });
    let v = c.violation.expect("validity breaks");
    assert_eq!(v.invariant, VALIDITY, "{v}");
}
