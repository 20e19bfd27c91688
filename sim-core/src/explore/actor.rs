//! The actor adapter: any [`Protocol`] plus a small world configuration as a
//! [`Model`], so the explorer runs exactly the handlers the simulator runs.
//!
//! The state is (node states, `None` while crashed; durable states;
//! in-flight messages; pending timers per node; crashes and duplications
//! left; the replies clients received; the protocol's monitor; the first
//! failure). Every enabled event is an action:
//!
//! * deliver an in-flight message: any of them on an unordered network, the
//!   head of each link on a FIFO one. On the unordered non-duplicating
//!   network the delivery consumes one copy; on the duplicating one it
//!   leaves the message in flight (it may be delivered again). A delivery to
//!   a crashed node loses the message, as in the simulator. A delivery that
//!   changes nothing (the node's state is equal afterwards and the handler
//!   asked for nothing) is **not a transition** on unordered networks (the
//!   message stays), as in stateright, unless [`ActorConfig::noop_deliveries`];
//! * drop an in-flight message, if the network is lossy;
//! * duplicate one, while the duplication budget lasts;
//! * fire a pending timer (time is abstracted away: any pending timer may
//!   fire at any point, whatever its delay), while the timeout budget
//!   ([`ActorConfig::max_timer_firings`]) lasts. Protocols re-arm their
//!   timers (heartbeats, election and retry timeouts), so without a budget
//!   every world is infinite; with one, the explorer covers every
//!   interleaving in which at most that many timeouts happen, which is how
//!   a small counterexample is found exhaustively and shortest;
//! * crash a live node, while the crash budget lasts (volatile state and
//!   timers are lost, the durable state stays); recover a crashed node (from
//!   its durable state) if recoveries are allowed.
//!
//! Clients are a fixed list of requests, in flight from the start (each is
//! delivered once, like a message); replies are recorded in the state.
//! After every event the protocol's `check_invariants` runs with the monitor
//! (part of the state); a violation or a handler panic is recorded and the
//! state becomes terminal. The property `invariants` says no such failure is
//! reachable. Node randomness draws 0 (an empty tape), and `local_time` is 0.
//!
//! Multisets and sets are kept sorted by the stable hash of their elements,
//! so equal contents make equal (and equally hashed) states.

use super::{Model, Path, Property};
use crate::choices::Choices;
use crate::hash::stable_hash;
use crate::ids::{Actor, ClientId, NodeId};
use crate::protocol::{Ctx, Effect, Protocol, SystemView, Violation};
use crate::sim::schedule::{FixedRequests, ScheduleError, ScheduleStep, Sender};
use crate::sim::{RunResult, Simulator};
use crate::time::NANOS_PER_MILLI;
use crate::trace::TraceEvent;
use crate::trace::{Trace, TraceKind, TraceLevel};
use crate::world::WorldConfig;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A protocol the explorer can run on several threads.
pub trait Explorable:
    Protocol<
        State: Send + Sync,
        Msg: Send + Sync,
        Timer: Send + Sync,
        Durable: Send + Sync,
        Request: Send + Sync,
        Response: Send + Sync,
        Monitor: Send + Sync,
    > + Sync
{
}

impl<P> Explorable for P where
    P: Protocol<
            State: Send + Sync,
            Msg: Send + Sync,
            Timer: Send + Sync,
            Durable: Send + Sync,
            Request: Send + Sync,
            Response: Send + Sync,
            Monitor: Send + Sync,
        > + Sync
{
}

/// How the network treats messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Network {
    /// A multiset: any message may be delivered next, each copy once.
    UnorderedNonDuplicating,
    /// A set: any message may be delivered next, again and again.
    UnorderedDuplicating,
    /// FIFO per (sender, receiver) link: only each link's oldest message.
    Fifo,
}

/// The world the explorer builds around a protocol.
#[derive(Clone, Debug)]
pub struct ActorConfig<P: Protocol> {
    pub nodes: usize,
    pub network: Network,
    /// Messages may be lost (a `drop` action per in-flight message).
    pub lossy: bool,
    /// How many messages may be duplicated in all.
    pub max_duplicates: u32,
    /// How many crashes may happen in all.
    pub max_crashes: u32,
    /// Crashed nodes may recover (crash-recovery); otherwise crash-stop.
    pub recover: bool,
    /// Whether pending timers fire.
    pub timers: bool,
    /// How many timer firings may happen in all (`None`: unbounded). Like
    /// the crash budget, a bound on the environment, not on the protocol:
    /// every execution with at most this many timeouts is explored.
    pub max_timer_firings: Option<u32>,
    /// Count deliveries that change nothing as transitions.
    pub noop_deliveries: bool,
    /// Client requests in flight from the start: (client, node, request).
    pub requests: Vec<(ClientId, NodeId, P::Request)>,
}

impl<P: Protocol> ActorConfig<P> {
    /// `nodes` nodes on a reliable unordered network, no faults, no requests.
    pub fn new(nodes: usize) -> Self {
        ActorConfig {
            nodes,
            network: Network::UnorderedNonDuplicating,
            lossy: false,
            max_duplicates: 0,
            max_crashes: 0,
            recover: false,
            timers: true,
            max_timer_firings: None,
            noop_deliveries: false,
            requests: Vec::new(),
        }
    }
}

/// A message in flight: between nodes, or a client's request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Envelope<M, R> {
    Msg { from: NodeId, to: NodeId, msg: M },
    Request { client: ClientId, to: NodeId, request: R },
}

impl<M, R> Envelope<M, R> {
    pub fn to(&self) -> NodeId {
        match self {
            Envelope::Msg { to, .. } | Envelope::Request { to, .. } => *to,
        }
    }
    fn link(&self) -> (u64, u64) {
        match self {
            Envelope::Msg { from, to, .. } => (from.0 as u64, to.0 as u64),
            Envelope::Request { client, to, .. } => ((1 << 32) | client.0 as u64, to.0 as u64),
        }
    }
    fn sender(&self) -> Actor {
        match self {
            Envelope::Msg { from, .. } => Actor::Node(*from),
            Envelope::Request { client, .. } => Actor::Client(*client),
        }
    }
}

/// An event the explorer may schedule.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ActorAction<M, R, T> {
    Deliver(Envelope<M, R>),
    Drop(Envelope<M, R>),
    Duplicate(Envelope<M, R>),
    Timer(NodeId, T),
    Crash(NodeId),
    Recover(NodeId),
}

impl<M: fmt::Debug, R: fmt::Debug, T: fmt::Debug> fmt::Display for ActorAction<M, R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn env<M: fmt::Debug, R: fmt::Debug>(e: &Envelope<M, R>) -> String {
            match e {
                Envelope::Msg { from, to, msg } => format!("{from} -> {to}: {msg:?}"),
                Envelope::Request { client, to, request } => format!("{client} -> {to}: {request:?}"),
            }
        }
        match self {
            ActorAction::Deliver(e) => write!(f, "deliver {}", env(e)),
            ActorAction::Drop(e) => write!(f, "drop {}", env(e)),
            ActorAction::Duplicate(e) => write!(f, "duplicate {}", env(e)),
            ActorAction::Timer(n, t) => write!(f, "timer {t:?} fires on {n}"),
            ActorAction::Crash(n) => write!(f, "crash {n}"),
            ActorAction::Recover(n) => write!(f, "recover {n}"),
        }
    }
}

type Env<P> = Envelope<<P as Protocol>::Msg, <P as Protocol>::Request>;
/// The actions of an [`ActorModel`].
pub type Action<P> = ActorAction<<P as Protocol>::Msg, <P as Protocol>::Request, <P as Protocol>::Timer>;

/// The explored state of a protocol's world (see module docs).
pub struct ActorState<P: Protocol> {
    pub nodes: Vec<Option<P::State>>,
    pub durables: Vec<Option<P::Durable>>,
    /// Unordered: sorted by stable hash (copies adjacent). FIFO: stably
    /// sorted by link, each link's messages in send order.
    pub network: Vec<Env<P>>,
    /// Pending timers per node, a set sorted by stable hash.
    pub timers: Vec<Vec<P::Timer>>,
    pub crashes_left: u32,
    pub duplicates_left: u32,
    /// Timer firings left (always 0 without a budget, never read then).
    pub timer_firings_left: u32,
    /// Replies clients received, a multiset sorted by stable hash.
    pub replies: Vec<(ClientId, P::Response)>,
    pub monitor: P::Monitor,
    /// The first invariant violation or handler panic.
    pub failure: Option<Violation>,
}

impl<P: Protocol> Clone for ActorState<P> {
    fn clone(&self) -> Self {
        ActorState {
            nodes: self.nodes.clone(),
            durables: self.durables.clone(),
            network: self.network.clone(),
            timers: self.timers.clone(),
            crashes_left: self.crashes_left,
            duplicates_left: self.duplicates_left,
            timer_firings_left: self.timer_firings_left,
            replies: self.replies.clone(),
            monitor: self.monitor.clone(),
            failure: self.failure.clone(),
        }
    }
}

impl<P: Protocol> PartialEq for ActorState<P> {
    fn eq(&self, o: &Self) -> bool {
        self.nodes == o.nodes
            && self.durables == o.durables
            && self.network == o.network
            && self.timers == o.timers
            && self.crashes_left == o.crashes_left
            && self.duplicates_left == o.duplicates_left
            && self.timer_firings_left == o.timer_firings_left
            && self.replies == o.replies
            && self.monitor == o.monitor
            && self.failure == o.failure
    }
}

impl<P: Protocol> Eq for ActorState<P> {}

impl<P: Protocol> Hash for ActorState<P> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.nodes.hash(h);
        self.durables.hash(h);
        self.network.hash(h);
        self.timers.hash(h);
        self.crashes_left.hash(h);
        self.duplicates_left.hash(h);
        self.timer_firings_left.hash(h);
        self.replies.hash(h);
        self.monitor.hash(h);
        self.failure.hash(h);
    }
}

impl<P: Protocol> fmt::Debug for ActorState<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorState")
            .field("nodes", &self.nodes)
            .field("durables", &self.durables)
            .field("network", &self.network)
            .field("timers", &self.timers)
            .field("crashes_left", &self.crashes_left)
            .field("duplicates_left", &self.duplicates_left)
            .field("timer_firings_left", &self.timer_firings_left)
            .field("replies", &self.replies)
            .field("monitor", &self.monitor)
            .field("failure", &self.failure)
            .finish()
    }
}

/// Inserts into a vector sorted by stable hash (a multiset).
fn insert_sorted<T: Hash>(v: &mut Vec<T>, item: T) {
    let h = stable_hash(&item);
    let pos = v.partition_point(|x| stable_hash(x) <= h);
    v.insert(pos, item);
}

/// Records a run through the handlers as a trace (for replays and reports).
struct Recorder {
    trace: Trace,
    time: u64,
    /// Stable hash of an envelope -> the send events of its copies in flight.
    sends: BTreeMap<u64, VecDeque<u64>>,
}

impl Recorder {
    fn send<M: fmt::Debug + Hash, R: fmt::Debug + Hash>(&mut self, env: &Envelope<M, R>) {
        let (actor, peer, text) = match env {
            Envelope::Msg { from, to, msg } => (Actor::Node(*from), Actor::Node(*to), format!("{msg:?}")),
            Envelope::Request { client, to, request } => {
                (Actor::Client(*client), Actor::Node(*to), format!("{request:?}"))
            }
        };
        let payload = match env {
            Envelope::Msg { msg, .. } => stable_hash(msg),
            Envelope::Request { request, .. } => stable_hash(request),
        };
        let id = self.trace.record(self.time, TraceKind::Send, actor, Some(peer), None, payload, || text);
        self.sends.entry(stable_hash(env)).or_default().push_back(id);
    }

    fn cause<M: Hash, R: Hash>(&mut self, env: &Envelope<M, R>, consume: bool) -> Option<u64> {
        let q = self.sends.get_mut(&stable_hash(env))?;
        if consume {
            q.pop_front()
        } else {
            q.front().copied()
        }
    }
}

/// A symmetry reduction for an actor model: the canonical representative.
pub type Canonicalise<P> = fn(&ActorModel<P>, &ActorState<P>) -> ActorState<P>;

/// A protocol and a world, as a [`Model`].
pub struct ActorModel<P: Explorable> {
    pub protocol: P,
    pub config: ActorConfig<P>,
    extra: Vec<Property<ActorModel<P>>>,
    symmetry: Option<Canonicalise<P>>,
}

impl<P: Explorable> ActorModel<P> {
    pub fn new(protocol: P, config: ActorConfig<P>) -> Self {
        ActorModel { protocol, config, extra: Vec::new(), symmetry: None }
    }

    /// Adds a property (besides `invariants`).
    pub fn property(mut self, p: Property<ActorModel<P>>) -> Self {
        self.extra.push(p);
        self
    }

    /// Declares a canonicalisation for symmetry reduction.
    pub fn symmetry(mut self, canonical: Canonicalise<P>) -> Self {
        self.symmetry = Some(canonical);
        self
    }

    /// The failure (violation or panic) recorded in a state.
    pub fn failure(state: &ActorState<P>) -> Option<&Violation> {
        state.failure.as_ref()
    }

    fn timer_budget_left(&self, state: &ActorState<P>) -> bool {
        self.config.max_timer_firings.is_none() || state.timer_firings_left > 0
    }

    fn unordered(&self) -> bool {
        self.config.network != Network::Fifo
    }

    fn add_envelope(&self, network: &mut Vec<Env<P>>, env: Env<P>) {
        match self.config.network {
            Network::UnorderedNonDuplicating => insert_sorted(network, env),
            Network::UnorderedDuplicating => {
                if !network.contains(&env) {
                    insert_sorted(network, env)
                }
            }
            Network::Fifo => {
                let link = env.link();
                let pos = network.partition_point(|e| e.link() <= link);
                network.insert(pos, env);
            }
        }
    }

    fn remove_envelope(network: &mut Vec<Env<P>>, env: &Env<P>) -> bool {
        match network.iter().position(|e| e == env) {
            Some(i) => {
                network.remove(i);
                true
            }
            None => false,
        }
    }

    /// Runs a handler on node `i` of `state` (which must be up), applies its
    /// effects and checks the invariants. Returns whether the node's state or
    /// effects changed anything (for the no-op rule).
    fn run_node(
        &self,
        state: &mut ActorState<P>,
        i: usize,
        rec: &mut Option<&mut Recorder>,
        handler: impl FnOnce(&P, &mut P::State, &mut Ctx<'_, P>),
    ) -> bool {
        let node = NodeId(i as u32);
        let mut effects = Vec::new();
        let mut choices = Choices::from_tape(Vec::new());
        let mut node_state = state.nodes[i].clone().expect("handlers run on live nodes");
        let result = {
            let mut ctx = Ctx::new(node, self.config.nodes, 0, rec.is_some(), &mut effects, &mut choices);
            let protocol = &self.protocol;
            catch_unwind(AssertUnwindSafe(|| handler(protocol, &mut node_state, &mut ctx)))
        };
        if let Err(payload) = result {
            let message = panic_text(payload);
            if let Some(r) = rec.as_deref_mut() {
                r.trace.record(r.time, TraceKind::Panic, Actor::Node(node), None, None, stable_hash(&message), || {
                    message.clone()
                });
            }
            state.failure = Some(Violation::new("panic", format!("{node}: {message}")));
            return true;
        }
        let changed =
            effects.iter().any(|e| !matches!(e, Effect::Note { .. })) || state.nodes[i].as_ref() != Some(&node_state);
        state.nodes[i] = Some(node_state);
        self.apply_effects(state, node, effects, rec);
        if let Some(r) = rec.as_deref_mut() {
            if let Some(s) = &state.nodes[i] {
                r.trace.state(r.time, Actor::Node(node), || format!("{s:?}"));
            }
        }
        self.check(state, Some(node), rec);
        changed
    }

    fn apply_effects(
        &self,
        state: &mut ActorState<P>,
        node: NodeId,
        effects: Vec<Effect<P>>,
        rec: &mut Option<&mut Recorder>,
    ) {
        let i = node.index();
        for effect in effects {
            match effect {
                Effect::Send { to, msg } => {
                    if to.index() >= self.config.nodes {
                        continue; // no such node: lost
                    }
                    let env = Envelope::Msg { from: node, to, msg };
                    if let Some(r) = rec.as_deref_mut() {
                        r.send(&env);
                    }
                    self.add_envelope(&mut state.network, env);
                }
                Effect::SetTimer { timer, .. } => {
                    if !state.timers[i].contains(&timer) {
                        insert_sorted(&mut state.timers[i], timer);
                    }
                }
                Effect::CancelTimer { timer } => state.timers[i].retain(|t| *t != timer),
                Effect::Persist { durable } => {
                    if let Some(r) = rec.as_deref_mut() {
                        r.trace.record(r.time, TraceKind::Persist, Actor::Node(node), None, None, 0, String::new);
                    }
                    state.durables[i] = Some(durable);
                }
                Effect::Reply { client, response } => {
                    if let Some(r) = rec.as_deref_mut() {
                        let payload = stable_hash(&response);
                        let send = r.trace.record(
                            r.time,
                            TraceKind::Send,
                            Actor::Node(node),
                            Some(Actor::Client(client)),
                            None,
                            payload,
                            || format!("{response:?}"),
                        );
                        r.trace.record(
                            r.time,
                            TraceKind::Deliver,
                            Actor::Client(client),
                            Some(Actor::Node(node)),
                            Some(send),
                            payload,
                            || format!("{response:?}"),
                        );
                    }
                    insert_sorted(&mut state.replies, (client, response));
                }
                Effect::Note { text } => {
                    if let Some(r) = rec.as_deref_mut() {
                        r.trace.note(r.time, Actor::Node(node), || text);
                    }
                }
            }
        }
    }

    fn check(&self, state: &mut ActorState<P>, changed: Option<NodeId>, rec: &mut Option<&mut Recorder>) {
        if state.failure.is_some() {
            return;
        }
        let view = SystemView { states: &state.nodes, durables: &state.durables, changed, time: 0, byzantine: &[] };
        let protocol = &self.protocol;
        let monitor = &mut state.monitor;
        let failure = match catch_unwind(AssertUnwindSafe(|| protocol.check_invariants(monitor, &view))) {
            Ok(Ok(())) => None,
            Ok(Err(v)) => Some(v),
            Err(payload) => Some(Violation::new("panic", format!("in invariant check: {}", panic_text(payload)))),
        };
        if let Some(v) = failure {
            if let Some(r) = rec.as_deref_mut() {
                let actor = changed.map_or(Actor::World, Actor::Node);
                r.trace.record(r.time, TraceKind::Violation, actor, None, None, stable_hash(&v), || v.to_string());
            }
            state.failure = Some(v);
        }
    }

    fn initial(&self, mut rec: Option<&mut Recorder>) -> ActorState<P> {
        let n = self.config.nodes;
        let mut state = ActorState {
            nodes: vec![None; n],
            durables: vec![None; n],
            network: Vec::new(),
            timers: vec![Vec::new(); n],
            crashes_left: self.config.max_crashes,
            duplicates_left: self.config.max_duplicates,
            timer_firings_left: self.config.max_timer_firings.unwrap_or(0),
            replies: Vec::new(),
            monitor: P::Monitor::default(),
            failure: None,
        };
        for i in 0..n {
            let node = NodeId(i as u32);
            let mut effects = Vec::new();
            let mut choices = Choices::from_tape(Vec::new());
            let result = {
                let mut ctx = Ctx::new(node, n, 0, rec.is_some(), &mut effects, &mut choices);
                let protocol = &self.protocol;
                catch_unwind(AssertUnwindSafe(|| protocol.init(node, &mut ctx)))
            };
            match result {
                Ok(s) => {
                    state.nodes[i] = Some(s);
                    self.apply_effects(&mut state, node, effects, &mut rec);
                }
                Err(payload) => {
                    state.failure = Some(Violation::new("panic", format!("{node} init: {}", panic_text(payload))));
                    return state;
                }
            }
        }
        for (client, to, request) in &self.config.requests {
            let env = Envelope::Request { client: *client, to: *to, request: request.clone() };
            if let Some(r) = rec.as_deref_mut() {
                r.trace.record(
                    r.time,
                    TraceKind::Invoke,
                    Actor::Client(*client),
                    None,
                    None,
                    stable_hash(request),
                    || format!("{request:?}"),
                );
                r.send(&env);
            }
            // Requests are distinct deliveries even on a duplicating network.
            insert_sorted(&mut state.network, env);
        }
        self.check(&mut state, None, &mut rec);
        state
    }

    fn step(&self, state: &ActorState<P>, action: Action<P>, mut rec: Option<&mut Recorder>) -> Option<ActorState<P>> {
        if state.failure.is_some() {
            return None;
        }
        let mut next = state.clone();
        match action {
            ActorAction::Deliver(env) => {
                let i = env.to().index();
                let consume =
                    self.config.network != Network::UnorderedDuplicating || matches!(env, Envelope::Request { .. });
                if consume && !Self::remove_envelope(&mut next.network, &env) {
                    return None;
                }
                if next.nodes[i].is_none() {
                    // Lost at a crashed receiver.
                    if !consume {
                        return None;
                    }
                    if let Some(r) = rec.as_deref_mut() {
                        let cause = r.cause(&env, true);
                        r.trace.record(
                            r.time,
                            TraceKind::Drop,
                            Actor::Node(env.to()),
                            Some(env.sender()),
                            cause,
                            1,
                            || "receiver down".to_string(),
                        );
                    }
                    return Some(next);
                }
                if let Some(r) = rec.as_deref_mut() {
                    let cause = r.cause(&env, consume);
                    let (payload, text) = match &env {
                        Envelope::Msg { msg, .. } => (stable_hash(msg), format!("{msg:?}")),
                        Envelope::Request { request, .. } => (stable_hash(request), format!("{request:?}")),
                    };
                    r.trace.record(
                        r.time,
                        TraceKind::Deliver,
                        Actor::Node(env.to()),
                        Some(env.sender()),
                        cause,
                        payload,
                        || text,
                    );
                }
                let changed = match env {
                    Envelope::Msg { from, to, msg } => {
                        self.run_node(&mut next, i, &mut rec, |p, s, ctx| p.on_message(to, s, from, msg, ctx))
                    }
                    Envelope::Request { client, to, request } => {
                        self.run_node(&mut next, i, &mut rec, |p, s, ctx| p.on_request(to, s, client, request, ctx))
                    }
                };
                if !changed && self.unordered() && !self.config.noop_deliveries {
                    return None;
                }
            }
            ActorAction::Drop(env) => {
                if !self.config.lossy || !Self::remove_envelope(&mut next.network, &env) {
                    return None;
                }
                if let Some(r) = rec.as_deref_mut() {
                    let cause = r.cause(&env, true);
                    r.trace.record(
                        r.time,
                        TraceKind::Drop,
                        Actor::Node(env.to()),
                        Some(env.sender()),
                        cause,
                        0,
                        || "lost".to_string(),
                    );
                }
            }
            ActorAction::Duplicate(env) => {
                if next.duplicates_left == 0 || !next.network.contains(&env) {
                    return None;
                }
                next.duplicates_left -= 1;
                if let Some(r) = rec.as_deref_mut() {
                    let cause = r.cause(&env, false);
                    r.trace.record(
                        r.time,
                        TraceKind::Duplicate,
                        Actor::Node(env.to()),
                        Some(env.sender()),
                        cause,
                        0,
                        || "duplicated".to_string(),
                    );
                    if let Some(c) = cause {
                        r.sends.entry(stable_hash(&env)).or_default().push_back(c);
                    }
                }
                insert_sorted(&mut next.network, env);
            }
            ActorAction::Timer(node, timer) => {
                let i = node.index();
                if next.nodes[i].is_none() || !self.timer_budget_left(&next) {
                    return None;
                }
                let pos = next.timers[i].iter().position(|t| *t == timer)?;
                next.timers[i].remove(pos);
                if self.config.max_timer_firings.is_some() {
                    next.timer_firings_left -= 1;
                }
                if let Some(r) = rec.as_deref_mut() {
                    r.trace.record(
                        r.time,
                        TraceKind::Timer,
                        Actor::Node(node),
                        None,
                        None,
                        stable_hash(&timer),
                        || format!("{timer:?}"),
                    );
                }
                self.run_node(&mut next, i, &mut rec, |p, s, ctx| p.on_timer(node, s, timer, ctx));
            }
            ActorAction::Crash(node) => {
                let i = node.index();
                if next.crashes_left == 0 || next.nodes[i].is_none() {
                    return None;
                }
                next.crashes_left -= 1;
                next.nodes[i] = None;
                next.timers[i].clear();
                if let Some(r) = rec.as_deref_mut() {
                    r.trace.record(r.time, TraceKind::Crash, Actor::Node(node), None, None, 0, || "crash".to_string());
                }
                self.check(&mut next, Some(node), &mut rec);
            }
            ActorAction::Recover(node) => {
                let i = node.index();
                if !self.config.recover || next.nodes[i].is_some() {
                    return None;
                }
                if let Some(r) = rec.as_deref_mut() {
                    r.trace
                        .record(r.time, TraceKind::Recover, Actor::Node(node), None, None, 0, || "recover".to_string());
                }
                let durable = next.durables[i].clone();
                let mut effects = Vec::new();
                let mut choices = Choices::from_tape(Vec::new());
                let result = {
                    let mut ctx = Ctx::new(node, self.config.nodes, 0, rec.is_some(), &mut effects, &mut choices);
                    let protocol = &self.protocol;
                    catch_unwind(AssertUnwindSafe(|| protocol.recover(node, durable.as_ref(), &mut ctx)))
                };
                match result {
                    Ok(s) => {
                        next.nodes[i] = Some(s);
                        self.apply_effects(&mut next, node, effects, &mut rec);
                        self.check(&mut next, Some(node), &mut rec);
                    }
                    Err(payload) => {
                        next.failure =
                            Some(Violation::new("panic", format!("{node} recover: {}", panic_text(payload))));
                    }
                }
            }
        }
        Some(next)
    }

    /// The path as a simulator schedule (`sim::schedule`): each action names
    /// its message, request or timer by link and stable hash.
    pub fn schedule(&self, path: &Path<Self>) -> Vec<ScheduleStep> {
        fn parts<M: Hash, R: Hash>(env: &Envelope<M, R>) -> (Sender, u32, u64) {
            match env {
                Envelope::Msg { from, to, msg } => (Sender::Node(from.0), to.0, stable_hash(msg)),
                Envelope::Request { client, to, request } => (Sender::Client(client.0), to.0, stable_hash(request)),
            }
        }
        path.steps
            .iter()
            .map(|step| match &step.action {
                ActorAction::Deliver(env) => {
                    let (from, to, payload) = parts(env);
                    ScheduleStep::Deliver { from, to, payload }
                }
                ActorAction::Drop(env) => {
                    let (from, to, payload) = parts(env);
                    ScheduleStep::Drop { from, to, payload }
                }
                ActorAction::Duplicate(env) => {
                    let (from, to, payload) = parts(env);
                    ScheduleStep::Duplicate { from, to, payload }
                }
                ActorAction::Timer(node, timer) => ScheduleStep::Timer { node: node.0, payload: stable_hash(timer) },
                ActorAction::Crash(node) => ScheduleStep::Crash { node: node.0 },
                ActorAction::Recover(node) => ScheduleStep::Recover { node: node.0 },
            })
            .collect()
    }

    /// Plays a schedule through the simulator (not through this adapter): the
    /// same protocol, this world's nodes and client requests, reliable links
    /// (loss and duplication happen only where the schedule says), every
    /// random draw 0 as in the explorer, a full trace.
    pub fn simulate(&self, steps: &[ScheduleStep]) -> Result<(RunResult, Vec<TraceEvent>), ScheduleError>
    where
        P: Clone,
    {
        let mut world = WorldConfig::new(self.config.nodes);
        world.trace_level = TraceLevel::Full;
        world.stop_when_done = false;
        let workload = FixedRequests::<P> { requests: self.config.requests.clone() };
        let mut sim = Simulator::new(self.protocol.clone(), workload, world, Choices::from_tape(Vec::new()));
        let result = sim.run_schedule(steps)?;
        Ok((result, sim.trace_events().to_vec()))
    }

    /// Re-executes a path through the handlers and records it as a full
    /// trace (one millisecond of simulated time per step), so reports can
    /// draw a counterexample. Returns the trace and the failure reached.
    pub fn trace_path(&self, path: &Path<Self>) -> (Trace, Option<Violation>) {
        let mut rec = Recorder { trace: Trace::new(TraceLevel::Full), time: 0, sends: BTreeMap::new() };
        let mut state = self.initial(Some(&mut rec));
        for step in &path.steps {
            rec.time += NANOS_PER_MILLI;
            match self.step(&state, step.action.clone(), Some(&mut rec)) {
                Some(s) => state = s,
                None => break,
            }
        }
        (rec.trace, state.failure)
    }
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

impl<P: Explorable> Model for ActorModel<P> {
    type State = ActorState<P>;
    type Action = Action<P>;

    fn init_states(&self) -> Vec<Self::State> {
        vec![self.initial(None)]
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        if state.failure.is_some() {
            return;
        }
        // Deliveries: one per distinct envelope (unordered) or per link head (FIFO).
        let mut last: Option<&Env<P>> = None;
        let mut last_link = None;
        for env in &state.network {
            match self.config.network {
                Network::Fifo => {
                    let link = env.link();
                    if last_link == Some(link) {
                        continue;
                    }
                    last_link = Some(link);
                }
                _ => {
                    if last == Some(env) {
                        continue;
                    }
                    last = Some(env);
                }
            }
            actions.push(ActorAction::Deliver(env.clone()));
            if self.config.lossy {
                actions.push(ActorAction::Drop(env.clone()));
            }
            if state.duplicates_left > 0 {
                actions.push(ActorAction::Duplicate(env.clone()));
            }
        }
        if self.config.timers && self.timer_budget_left(state) {
            for (i, timers) in state.timers.iter().enumerate() {
                if state.nodes[i].is_some() {
                    for t in timers {
                        actions.push(ActorAction::Timer(NodeId(i as u32), t.clone()));
                    }
                }
            }
        }
        for (i, s) in state.nodes.iter().enumerate() {
            let node = NodeId(i as u32);
            if s.is_some() && state.crashes_left > 0 {
                actions.push(ActorAction::Crash(node));
            }
            if s.is_none() && self.config.recover {
                actions.push(ActorAction::Recover(node));
            }
        }
    }

    fn next_state(&self, state: &Self::State, action: Self::Action) -> Option<Self::State> {
        self.step(state, action, None)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let mut props = vec![Property::always("invariants", |_: &Self, s: &ActorState<P>| s.failure.is_none())];
        props.extend(self.extra.iter().cloned());
        props
    }

    fn canonical(&self, state: &Self::State) -> Option<Self::State> {
        self.symmetry.map(|f| f(self, state))
    }

    fn format_action(&self, action: &Self::Action) -> String {
        action.to_string()
    }
}
