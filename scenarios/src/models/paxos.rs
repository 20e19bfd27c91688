//! Single-decree Paxos as an actor system, exactly as
//! `../shared/reference/models.md` §2c–2d define it (the register example of
//! stateright 0.31), so the state counts can be compared: 265 unique states
//! with one client, 16,668 with two.
//!
//! Three servers `0..3` run Paxos (Lamport, "Paxos Made Simple", 2001) to
//! decide one value; clients `3..3+C` each put a value (client `i` puts
//! `'A' + (i - 3)` at server `i % 3`) and then get it back from server
//! `(i + 1) % 3`. A server that receives a put while it has no proposal
//! starts a ballot: `Prepare` to its peers, and once a majority promised
//! (`Prepared`, with the last accepted proposal), `Accept` with the
//! highest-ballot accepted proposal among the promises (or its own); a
//! majority of `Accepted` decides, and the decider tells its peers
//! (`Decided`) and answers the client (`PutOk`). Decided servers answer gets.
//!
//! The network is an unordered non-duplicating multiset with one `Deliver`
//! action per distinct envelope; a delivery that touches no state and sends
//! nothing is not a transition (the message stays in flight). The client
//! history (invocations recorded when `Put`/`Get` is sent, returns when
//! `PutOk`/`GetOk` is delivered) is part of the state, kept the way
//! stateright's `LinearizabilityTester` keeps it (per thread: completed ops
//! with the last completed op index of every other thread at invocation;
//! the op in flight; a validity flag), because equal states are decided on
//! it. Properties: always "linearizable" (the history has a linearization
//! of a register initialised to `'\0'`), sometimes "value chosen" (a
//! `GetOk` with a value is in flight).
//!
//! Variant `ignore-accepted` (a known bug, for counterexamples): phase 2
//! proposes the proposer's own value even when a promise reported an
//! accepted one, so two servers can decide different values.

use sim_core::explore::{Model, Property};
use std::collections::{BTreeMap, BTreeSet};

pub const SERVERS: u32 = 3;

pub type Id = u32;
pub type Ballot = (u32, Id);
/// (request id, client, value).
pub type Proposal = (u64, Id, char);

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Msg {
    Put(u64, char),
    Get(u64),
    PutOk(u64),
    GetOk(u64, char),
    Prepare { ballot: Ballot },
    Prepared { ballot: Ballot, last_accepted: Option<(Ballot, Proposal)> },
    Accept { ballot: Ballot, proposal: Proposal },
    Accepted { ballot: Ballot },
    Decided { ballot: Ballot, proposal: Proposal },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Envelope {
    pub src: Id,
    pub dst: Id,
    pub msg: Msg,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Server {
    pub ballot: Ballot,
    pub proposal: Option<Proposal>,
    pub prepares: BTreeMap<Id, Option<(Ballot, Proposal)>>,
    pub accepts: BTreeSet<Id>,
    pub accepted: Option<(Ballot, Proposal)>,
    pub is_decided: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Client {
    pub awaiting: Option<u64>,
    pub op_count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Actor {
    Server(Server),
    Client(Client),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Read,
    Write(char),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ret {
    ReadOk(char),
    WriteOk,
}

/// Per thread: completed (last completed index of every other thread, op, ret).
type Completed = (Vec<(Id, usize)>, Op, Ret);

/// The client history, shaped as stateright's `LinearizabilityTester`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct History {
    pub by_thread: BTreeMap<Id, Vec<Completed>>,
    pub in_flight: BTreeMap<Id, (Vec<(Id, usize)>, Op)>,
    pub invalid: bool,
}

impl History {
    fn on_invoke(&mut self, thread: Id, op: Op) {
        if self.invalid {
            return;
        }
        if self.in_flight.contains_key(&thread) {
            self.invalid = true;
            return;
        }
        let last_completed = self
            .by_thread
            .iter()
            .filter(|(id, cs)| **id != thread && !cs.is_empty())
            .map(|(id, cs)| (*id, cs.len() - 1))
            .collect();
        self.in_flight.insert(thread, (last_completed, op));
        self.by_thread.entry(thread).or_default();
    }

    fn on_return(&mut self, thread: Id, ret: Ret) {
        if self.invalid {
            return;
        }
        match self.in_flight.remove(&thread) {
            None => self.invalid = true,
            Some((last, op)) => self.by_thread.entry(thread).or_default().push((last, op, ret)),
        }
    }

    /// Whether some order of the operations, consistent with real time,
    /// is a run of a register initialised to `'\0'` (in-flight operations
    /// may or may not have taken effect).
    pub fn is_linearizable(&self) -> bool {
        if self.invalid {
            return false;
        }
        let threads: Vec<Id> = self.by_thread.keys().copied().collect();
        let mut done = vec![0usize; threads.len()];
        let mut flight_used = vec![false; threads.len()];
        self.search(&threads, &mut done, &mut flight_used, '\0')
    }

    fn search(&self, threads: &[Id], done: &mut Vec<usize>, flight_used: &mut Vec<bool>, value: char) -> bool {
        if threads.iter().enumerate().all(|(i, t)| done[i] == self.by_thread[t].len()) {
            return true;
        }
        let ready = |last: &[(Id, usize)], done: &[usize]| {
            last.iter().all(|(peer, idx)| threads.iter().position(|t| t == peer).is_none_or(|p| done[p] > *idx))
        };
        for (i, t) in threads.iter().enumerate() {
            let completed = &self.by_thread[t];
            if done[i] < completed.len() {
                let (last, op, ret) = &completed[done[i]];
                if !ready(last, done) {
                    continue;
                }
                let next = match (op, ret) {
                    (Op::Write(v), Ret::WriteOk) => *v,
                    (Op::Read, Ret::ReadOk(v)) if *v == value => value,
                    _ => continue,
                };
                done[i] += 1;
                let ok = self.search(threads, done, flight_used, next);
                done[i] -= 1;
                if ok {
                    return true;
                }
            } else if let Some((last, op)) = self.in_flight.get(t) {
                if flight_used[i] || !ready(last, done) {
                    continue;
                }
                let next = match op {
                    Op::Write(v) => *v,
                    Op::Read => value,
                };
                flight_used[i] = true;
                let ok = self.search(threads, done, flight_used, next);
                flight_used[i] = false;
                if ok {
                    return true;
                }
            }
        }
        false
    }
}

/// The whole system: actors, the network (a multiset) and the history.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PaxosState {
    pub actors: Vec<Actor>,
    pub network: BTreeMap<Envelope, u32>,
    pub history: History,
}

/// The model: `clients` clients (ids 3..3+clients), three servers.
#[derive(Clone, Debug)]
pub struct PaxosModel {
    pub clients: usize,
    /// Bug `ignore-accepted`.
    pub ignore_accepted: bool,
}

impl PaxosModel {
    pub fn new(clients: usize) -> Result<Self, String> {
        if clients == 0 || clients > 26 {
            return Err(format!("clients: must be between 1 and 26, got {clients}"));
        }
        Ok(PaxosModel { clients, ignore_accepted: false })
    }

    fn send(state: &mut PaxosState, src: Id, dst: Id, msg: Msg) {
        match &msg {
            Msg::Put(_, v) => state.history.on_invoke(src, Op::Write(*v)),
            Msg::Get(_) => state.history.on_invoke(src, Op::Read),
            _ => {}
        }
        *state.network.entry(Envelope { src, dst, msg }).or_insert(0) += 1;
    }

    /// Runs `dst`'s handler: returns whether the state was touched, and the sends.
    fn on_msg(&self, id: Id, actor: &mut Actor, src: Id, msg: &Msg, out: &mut Vec<(Id, Msg)>) -> bool {
        let peers = || (0..SERVERS).filter(move |&p| p != id);
        match actor {
            Actor::Client(c) => {
                let Some(awaiting) = c.awaiting else { return false };
                match msg {
                    Msg::PutOk(r) if *r == awaiting => {
                        let op_count = c.op_count;
                        let request = (op_count + 1) * id as u64;
                        let server = (id as u64 + op_count) % SERVERS as u64;
                        // put_count is 1: the next operation is the get.
                        out.push((server as Id, Msg::Get(request)));
                        *c = Client { awaiting: Some(request), op_count: op_count + 1 };
                        true
                    }
                    Msg::GetOk(r, _) if *r == awaiting => {
                        *c = Client { awaiting: None, op_count: c.op_count + 1 };
                        true
                    }
                    _ => false,
                }
            }
            Actor::Server(s) => {
                if s.is_decided {
                    if let Msg::Get(r) = msg {
                        let (_, (_, _, value)) = s.accepted.expect("decided servers have accepted");
                        out.push((src, Msg::GetOk(*r, value)));
                    }
                    return false;
                }
                match msg {
                    Msg::Put(r, v) if s.proposal.is_none() => {
                        s.proposal = Some((*r, src, *v));
                        s.prepares = BTreeMap::new();
                        s.accepts = BTreeSet::new();
                        s.ballot = (s.ballot.0 + 1, id);
                        s.prepares.insert(id, s.accepted);
                        for p in peers() {
                            out.push((p, Msg::Prepare { ballot: s.ballot }));
                        }
                        true
                    }
                    Msg::Prepare { ballot } if s.ballot < *ballot => {
                        s.ballot = *ballot;
                        out.push((src, Msg::Prepared { ballot: *ballot, last_accepted: s.accepted }));
                        true
                    }
                    Msg::Prepared { ballot, last_accepted } if *ballot == s.ballot => {
                        s.prepares.insert(src, *last_accepted);
                        if s.prepares.len() == 2 {
                            let best = s.prepares.values().max().copied().flatten();
                            if !self.ignore_accepted {
                                if let Some((_, p)) = best {
                                    s.proposal = Some(p);
                                }
                            }
                            let proposal = s.proposal.expect("a proposer has a proposal");
                            s.accepted = Some((*ballot, proposal));
                            s.accepts.insert(id);
                            for p in peers() {
                                out.push((p, Msg::Accept { ballot: *ballot, proposal }));
                            }
                        }
                        true
                    }
                    Msg::Accept { ballot, proposal } if s.ballot <= *ballot => {
                        s.ballot = *ballot;
                        s.accepted = Some((*ballot, *proposal));
                        out.push((src, Msg::Accepted { ballot: *ballot }));
                        true
                    }
                    Msg::Accepted { ballot } if *ballot == s.ballot => {
                        s.accepts.insert(src);
                        if s.accepts.len() == 2 {
                            s.is_decided = true;
                            let proposal = s.proposal.expect("a proposer has a proposal");
                            for p in peers() {
                                out.push((p, Msg::Decided { ballot: *ballot, proposal }));
                            }
                            out.push((proposal.1, Msg::PutOk(proposal.0)));
                        }
                        true
                    }
                    Msg::Decided { ballot, proposal } => {
                        s.ballot = *ballot;
                        s.accepted = Some((*ballot, *proposal));
                        s.is_decided = true;
                        true
                    }
                    _ => false,
                }
            }
        }
    }

    /// Values decided (accepted by a decided server).
    pub fn decided_values(state: &PaxosState) -> BTreeSet<char> {
        state
            .actors
            .iter()
            .filter_map(|a| match a {
                Actor::Server(s) if s.is_decided => s.accepted.map(|(_, p)| p.2),
                _ => None,
            })
            .collect()
    }
}

impl Model for PaxosModel {
    type State = PaxosState;
    type Action = Envelope;

    fn init_states(&self) -> Vec<PaxosState> {
        let mut state = PaxosState { actors: Vec::new(), network: BTreeMap::new(), history: History::default() };
        for _ in 0..SERVERS {
            state.actors.push(Actor::Server(Server::default()));
        }
        for c in 0..self.clients as u32 {
            let id = SERVERS + c;
            let value = (b'A' + c as u8) as char;
            state.actors.push(Actor::Client(Client { awaiting: Some(id as u64), op_count: 1 }));
            Self::send(&mut state, id, id % SERVERS, Msg::Put(id as u64, value));
        }
        vec![state]
    }

    fn actions(&self, state: &PaxosState, actions: &mut Vec<Envelope>) {
        actions.extend(state.network.keys().cloned());
    }

    fn next_state(&self, state: &PaxosState, env: Envelope) -> Option<PaxosState> {
        let mut actor = state.actors[env.dst as usize].clone();
        let mut out = Vec::new();
        let touched = self.on_msg(env.dst, &mut actor, env.src, &env.msg, &mut out);
        if !touched && out.is_empty() {
            return None;
        }
        let mut next = state.clone();
        if touched {
            match &env.msg {
                Msg::PutOk(_) => next.history.on_return(env.dst, Ret::WriteOk),
                Msg::GetOk(_, v) => next.history.on_return(env.dst, Ret::ReadOk(*v)),
                _ => {}
            }
        }
        match next.network.get_mut(&env) {
            Some(n) if *n > 1 => *n -= 1,
            Some(_) => {
                next.network.remove(&env);
            }
            None => return None,
        }
        next.actors[env.dst as usize] = actor;
        for (dst, msg) in out {
            Self::send(&mut next, env.dst, dst, msg);
        }
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("linearizable", |_: &Self, s: &PaxosState| s.history.is_linearizable()),
            Property::sometimes("value chosen", |_: &Self, s: &PaxosState| {
                s.network.keys().any(|e| matches!(e.msg, Msg::GetOk(_, v) if v != '\0'))
            }),
        ]
    }

    fn format_action(&self, e: &Envelope) -> String {
        let who = |id: Id| if id < SERVERS { format!("server {id}") } else { format!("client {id}") };
        format!("deliver {} -> {}: {:?}", who(e.src), who(e.dst), e.msg)
    }
}
