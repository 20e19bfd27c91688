//! The simulator driver: plays one seeded world in time order.
//!
//! Single-threaded and deterministic: events pop from one queue ordered by
//! `(time, sequence)`, every random decision is drawn from [`Choices`], and
//! every event is recorded in the [`Trace`] (whose hash names the run).
//! A panic inside a protocol handler or invariant is caught and becomes the
//! run's outcome, so one buggy handler never takes down a fuzz campaign.

mod arbitrary_links;
mod byzantine_nodes;

use crate::auth::Envelope;
use crate::choices::{Choices, Stream};
use crate::clock::ClockModel;
use crate::fault::Fault;
use crate::hash::stable_hash;
use crate::ids::{Actor, ClientId, NodeId};
use crate::link::LinkModel;
use crate::protocol::{Ctx, Effect, Protocol, SystemView, Violation};
use crate::queue::EventQueue;
use crate::time::Time;
use crate::trace::{Trace, TraceEvent, TraceKind};
use crate::workload::{ClientCtx, ClientEffect, Workload};
use crate::world::WorldConfig;
use byzantine_nodes::{ByzantineWorld, Seal};
use serde::{Deserialize, Serialize};
use std::panic::{catch_unwind, AssertUnwindSafe};

pub mod schedule;

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// The workload finished.
    Done,
    /// Nothing was left to happen.
    Quiescent,
    /// The simulated time budget was reached (a normal end).
    TimeLimit,
    /// An invariant broke.
    Violation { violation: Violation, node: Option<NodeId> },
    /// A protocol handler or invariant panicked.
    Panic { node: Option<NodeId>, message: String },
    /// The event budget ran out before the run could finish: inconclusive.
    EventLimit,
}

impl Outcome {
    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Violation { .. } | Outcome::Panic { .. })
    }
}

/// Counters of one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStats {
    /// Engine events processed (deliveries, timers, client events, faults).
    pub events: u64,
    pub sim_time_ns: Time,
    pub messages_sent: u64,
    pub messages_delivered: u64,
    pub messages_dropped: u64,
    pub messages_duplicated: u64,
    pub choices_drawn: u64,
    /// Messages that failed authentication at the receiver (forged or corrupted).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub messages_rejected: u64,
    /// What Byzantine nodes and link adversaries did (trace `byzantine` events).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub byzantine_actions: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunResult {
    #[serde(flatten)]
    pub outcome: Outcome,
    pub stats: RunStats,
    pub trace_hash: u64,
}

enum Event<P: Protocol> {
    /// `from` is the real sender (the link); `auth` is `None` in worlds
    /// without adversaries, where nothing could fail authentication.
    Deliver {
        from: NodeId,
        to: NodeId,
        msg: P::Msg,
        send: u64,
        payload: u64,
        auth: Option<Box<Envelope>>,
    },
    Timer {
        node: NodeId,
        token: u64,
    },
    Request {
        client: ClientId,
        node: NodeId,
        request: P::Request,
        send: u64,
        payload: u64,
    },
    Response {
        node: NodeId,
        client: ClientId,
        response: P::Response,
        send: u64,
        payload: u64,
    },
    ClientTimer {
        client: ClientId,
        token: u64,
    },
    Fault {
        index: usize,
    },
}

/// One world, ready to run.
pub struct Simulator<P: Protocol, W: Workload<P>> {
    protocol: P,
    workload: W,
    config: WorldConfig,
    choices: Choices,
    trace: Trace,
    queue: EventQueue<Event<P>>,
    now: Time,
    states: Vec<Option<P::State>>,
    durables: Vec<Option<P::Durable>>,
    /// The durable state before the last persist (what an unsynced crash reverts to).
    previous_durables: Vec<Option<P::Durable>>,
    last_persist: Vec<Option<Time>>,
    timers: Vec<Vec<(P::Timer, u64)>>,
    next_timer_token: u64,
    links: Vec<LinkModel>,
    cut: Vec<bool>,
    fifo_last: Vec<Time>,
    inflight: Vec<u32>,
    clocks: Vec<ClockModel>,
    monitor: P::Monitor,
    effects: Vec<Effect<P>>,
    client_effects: Vec<ClientEffect<P>>,
    stats: RunStats,
    outcome: Option<Outcome>,
    started: bool,
    byz: ByzantineWorld<P>,
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

impl<P: Protocol, W: Workload<P>> Simulator<P, W> {
    /// Builds a world. Panics if the configuration is invalid: validate
    /// user input with [`WorldConfig::validate`] first.
    pub fn new(protocol: P, workload: W, config: WorldConfig, choices: Choices) -> Self {
        if let Err(e) = config.validate() {
            panic!("invalid world configuration: {e}");
        }
        if let Err((i, e)) = config.schedule.validate_strategies(protocol.name(), protocol.byzantine_strategies()) {
            panic!("invalid world configuration: faults[{i}].strategy: {e}");
        }
        let n = config.nodes;
        Simulator {
            protocol,
            workload,
            trace: Trace::new(config.trace_level),
            choices,
            queue: EventQueue::new(),
            now: 0,
            states: vec![None; n],
            durables: vec![None; n],
            previous_durables: vec![None; n],
            last_persist: vec![None; n],
            timers: vec![Vec::new(); n],
            next_timer_token: 0,
            links: config.links.clone(),
            cut: vec![false; n * n],
            fifo_last: vec![0; n * n],
            inflight: vec![0; n * n],
            clocks: config.clocks.clone(),
            monitor: P::Monitor::default(),
            effects: Vec::new(),
            client_effects: Vec::new(),
            stats: RunStats::default(),
            outcome: None,
            started: false,
            byz: ByzantineWorld::new(&config),
            config,
        }
    }

    pub fn protocol(&self) -> &P {
        &self.protocol
    }
    pub fn workload(&self) -> &W {
        &self.workload
    }
    pub fn workload_mut(&mut self) -> &mut W {
        &mut self.workload
    }
    pub fn into_workload(self) -> W {
        self.workload
    }
    pub fn states(&self) -> &[Option<P::State>] {
        &self.states
    }
    pub fn durables(&self) -> &[Option<P::Durable>] {
        &self.durables
    }
    pub fn monitor(&self) -> &P::Monitor {
        &self.monitor
    }
    pub fn now(&self) -> Time {
        self.now
    }
    pub fn trace(&self) -> &Trace {
        &self.trace
    }
    pub fn trace_events(&self) -> &[TraceEvent] {
        self.trace.events()
    }
    pub fn choices_mut(&mut self) -> &mut Choices {
        &mut self.choices
    }
    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    /// Runs to the end and reports how it ended.
    pub fn run(&mut self) -> RunResult {
        self.start();
        while self.outcome.is_none() {
            self.step();
        }
        self.workload.finish(self.now);
        self.stats.sim_time_ns = self.now;
        self.stats.choices_drawn = self.choices.draws();
        RunResult {
            outcome: self.outcome.clone().expect("run ended with an outcome"),
            stats: self.stats,
            trace_hash: self.trace.hash(),
        }
    }

    fn start(&mut self) {
        if self.started {
            return;
        }
        self.started = true;
        for (index, f) in self.config.schedule.faults.iter().enumerate() {
            self.queue.push(f.at_ns, Event::Fault { index });
        }
        self.install_adversaries();
        for i in 0..self.config.nodes {
            let id = NodeId(i as u32);
            let state = self.call_node(id, |p, ctx| p.init(id, ctx));
            if let Some(state) = state {
                self.states[i] = Some(state);
                self.apply_effects(id);
                self.snapshot(id);
            }
            if self.outcome.is_some() {
                return;
            }
        }
        self.check_invariants(None);
        let mut ctx = ClientCtx::new(
            self.now,
            self.config.nodes,
            self.trace.is_full(),
            &mut self.client_effects,
            &mut self.choices,
        );
        self.workload.start(&mut ctx);
        self.apply_client_effects();
    }

    /// Processes one event (or ends the run).
    fn step(&mut self) {
        let Some((time, event)) = self.queue.pop() else {
            self.outcome = Some(Outcome::Quiescent);
            return;
        };
        if time > self.config.limits.time_ns {
            self.now = self.config.limits.time_ns;
            self.outcome = Some(Outcome::TimeLimit);
            return;
        }
        debug_assert!(time >= self.now, "time went backwards: {time} < {}", self.now);
        if let Event::Timer { node, token } = &event {
            // Restarted or cancelled timers leave stale entries behind; skip them silently.
            if !self.timers[node.index()].iter().any(|(_, t)| t == token) {
                return;
            }
        }
        self.now = time;
        self.stats.events += 1;
        if self.stats.events > self.config.limits.events {
            self.outcome = Some(Outcome::EventLimit);
            return;
        }
        match event {
            Event::Deliver { from, to, msg, send, payload, auth } => self.deliver(from, to, msg, send, payload, auth),
            Event::Timer { node, token } => self.fire_timer(node, token),
            Event::Request { client, node, request, send, payload } => {
                self.deliver_request(client, node, request, send, payload)
            }
            Event::Response { node, client, response, send, payload } => {
                self.stats.messages_delivered += 1;
                self.trace.record(
                    self.now,
                    TraceKind::Deliver,
                    Actor::Client(client),
                    Some(Actor::Node(node)),
                    Some(send),
                    payload,
                    || format!("{response:?}"),
                );
                let mut ctx = ClientCtx::new(
                    self.now,
                    self.config.nodes,
                    self.trace.is_full(),
                    &mut self.client_effects,
                    &mut self.choices,
                );
                self.workload.on_response(client, node, response, &mut ctx);
                self.apply_client_effects();
            }
            Event::ClientTimer { client, token } => {
                let mut ctx = ClientCtx::new(
                    self.now,
                    self.config.nodes,
                    self.trace.is_full(),
                    &mut self.client_effects,
                    &mut self.choices,
                );
                self.workload.on_timer(client, token, &mut ctx);
                self.apply_client_effects();
            }
            Event::Fault { index } => self.apply_fault(index),
        }
        if self.outcome.is_none() && self.config.stop_when_done && self.workload.is_done() {
            self.outcome = Some(Outcome::Done);
        }
    }

    fn deliver(&mut self, from: NodeId, to: NodeId, msg: P::Msg, send: u64, payload: u64, auth: Option<Box<Envelope>>) {
        let link = from.index() * self.config.nodes + to.index();
        self.inflight[link] -= 1;
        let reason = if self.cut[link] {
            Some("partition")
        } else if self.states[to.index()].is_none() {
            Some("receiver down")
        } else {
            None
        };
        if let Some(reason) = reason {
            self.stats.messages_dropped += 1;
            self.trace.record(
                self.now,
                TraceKind::Drop,
                Actor::Node(to),
                Some(Actor::Node(from)),
                Some(send),
                1,
                || format!("{reason}: {msg:?}"),
            );
            return;
        }
        let Some(from) = self.authenticate(from, to, &msg, send, auth) else { return };
        self.stats.messages_delivered += 1;
        self.trace.record(
            self.now,
            TraceKind::Deliver,
            Actor::Node(to),
            Some(Actor::Node(from)),
            Some(send),
            payload,
            || format!("{msg:?}"),
        );
        self.run_handler(to, |p, state, ctx| p.on_message(to, state, from, msg, ctx));
    }

    fn deliver_request(&mut self, client: ClientId, node: NodeId, request: P::Request, send: u64, payload: u64) {
        if self.states[node.index()].is_none() {
            self.stats.messages_dropped += 1;
            self.trace.record(
                self.now,
                TraceKind::Drop,
                Actor::Node(node),
                Some(Actor::Client(client)),
                Some(send),
                1,
                || format!("receiver down: {request:?}"),
            );
            return;
        }
        self.stats.messages_delivered += 1;
        self.trace.record(
            self.now,
            TraceKind::Deliver,
            Actor::Node(node),
            Some(Actor::Client(client)),
            Some(send),
            payload,
            || format!("{request:?}"),
        );
        self.run_handler(node, |p, state, ctx| p.on_request(node, state, client, request, ctx));
    }

    fn fire_timer(&mut self, node: NodeId, token: u64) {
        let timers = &mut self.timers[node.index()];
        let pos = timers.iter().position(|(_, t)| *t == token).expect("live timer");
        let (timer, _) = timers.swap_remove(pos);
        let payload = stable_hash(&timer);
        self.trace.record(self.now, TraceKind::Timer, Actor::Node(node), None, None, payload, || format!("{timer:?}"));
        self.run_handler(node, |p, state, ctx| p.on_timer(node, state, timer, ctx));
    }

    /// Calls a handler on a live node, then applies its effects and checks invariants.
    fn run_handler(&mut self, node: NodeId, handler: impl FnOnce(&P, &mut P::State, &mut Ctx<'_, P>)) {
        if self.byz.is_byzantine(node) && !self.lie_before_handler(node) {
            return;
        }
        let i = node.index();
        let local = self.clocks[i].local(self.now);
        let state = self.states[i].as_mut().expect("handlers run on live nodes");
        let mut ctx =
            Ctx::new(node, self.config.nodes, local, self.trace.is_full(), &mut self.effects, &mut self.choices);
        let protocol = &self.protocol;
        let result = catch_unwind(AssertUnwindSafe(|| handler(protocol, state, &mut ctx)));
        if let Err(payload) = result {
            self.record_panic(Some(node), panic_message(payload));
            return;
        }
        self.apply_effects(node);
        self.snapshot(node);
        self.check_invariants(Some(node));
    }

    /// Full traces keep each node's state after every event that ran on it.
    fn snapshot(&mut self, node: NodeId) {
        if self.trace.is_full() {
            if let Some(state) = &self.states[node.index()] {
                self.trace.state(self.now, Actor::Node(node), || format!("{state:?}"));
            }
        }
    }

    /// Calls a handler that builds a state (init, recover).
    fn call_node(&mut self, node: NodeId, f: impl FnOnce(&P, &mut Ctx<'_, P>) -> P::State) -> Option<P::State> {
        let local = self.clocks[node.index()].local(self.now);
        let mut ctx =
            Ctx::new(node, self.config.nodes, local, self.trace.is_full(), &mut self.effects, &mut self.choices);
        let protocol = &self.protocol;
        match catch_unwind(AssertUnwindSafe(|| f(protocol, &mut ctx))) {
            Ok(state) => Some(state),
            Err(payload) => {
                self.record_panic(Some(node), panic_message(payload));
                None
            }
        }
    }

    fn record_panic(&mut self, node: Option<NodeId>, message: String) {
        self.effects.clear();
        let actor = node.map_or(Actor::World, Actor::Node);
        self.trace.record(self.now, TraceKind::Panic, actor, None, None, stable_hash(&message), || message.clone());
        self.outcome = Some(Outcome::Panic { node, message });
    }

    fn check_invariants(&mut self, changed: Option<NodeId>) {
        if self.outcome.is_some() || !self.config.check_invariants {
            return;
        }
        let view = SystemView {
            states: &self.states,
            durables: &self.durables,
            changed,
            time: self.now,
            byzantine: &self.byz.flags,
        };
        let protocol = &self.protocol;
        let monitor = &mut self.monitor;
        match catch_unwind(AssertUnwindSafe(|| protocol.check_invariants(monitor, &view))) {
            Ok(Ok(())) => {}
            Ok(Err(violation)) => {
                let actor = changed.map_or(Actor::World, Actor::Node);
                self.trace.record(self.now, TraceKind::Violation, actor, None, None, stable_hash(&violation), || {
                    violation.to_string()
                });
                self.outcome = Some(Outcome::Violation { violation, node: changed });
            }
            Err(payload) => self.record_panic(changed, format!("in invariant check: {}", panic_message(payload))),
        }
    }

    fn apply_effects(&mut self, node: NodeId) {
        let mut effects = std::mem::take(&mut self.effects);
        for effect in effects.drain(..) {
            match effect {
                Effect::Send { to, msg } if self.byz.is_byzantine(node) => self.byzantine_send(node, to, msg),
                Effect::Send { to, msg } => self.transmit(node, to, msg),
                Effect::SetTimer { timer, after } => {
                    let i = node.index();
                    self.timers[i].retain(|(t, _)| *t != timer);
                    let token = self.next_timer_token;
                    self.next_timer_token += 1;
                    let at = self.now.saturating_add(self.clocks[i].global_span(after));
                    self.timers[i].push((timer, token));
                    self.queue.push(at, Event::Timer { node, token });
                }
                Effect::CancelTimer { timer } => self.timers[node.index()].retain(|(t, _)| *t != timer),
                Effect::Persist { durable } => {
                    let i = node.index();
                    self.trace.record(self.now, TraceKind::Persist, Actor::Node(node), None, None, 0, String::new);
                    self.previous_durables[i] = self.durables[i].replace(durable);
                    self.last_persist[i] = Some(self.now);
                }
                Effect::Reply { client, response } => {
                    if self.byz.is_byzantine(node) && self.withholds_reply(node, client, &response) {
                        continue;
                    }
                    let payload = stable_hash(&response);
                    self.stats.messages_sent += 1;
                    let send = self.trace.record(
                        self.now,
                        TraceKind::Send,
                        Actor::Node(node),
                        Some(Actor::Client(client)),
                        None,
                        payload,
                        || format!("{response:?}"),
                    );
                    let link = self.config.client_link;
                    if self.choices.chance(Stream::Network, link.drop) {
                        self.stats.messages_dropped += 1;
                        self.trace.record(
                            self.now,
                            TraceKind::Drop,
                            Actor::Client(client),
                            Some(Actor::Node(node)),
                            Some(send),
                            0,
                            || "lost by the client link".into(),
                        );
                    } else {
                        let at = self.now + link.delay.sample(&mut self.choices);
                        self.queue.push(at, Event::Response { node, client, response, send, payload });
                    }
                }
                Effect::Note { text } => self.trace.note(self.now, Actor::Node(node), || text),
            }
        }
        self.effects = effects;
    }

    /// Sends a message over the link `from -> to`, as the link model decides.
    fn transmit(&mut self, from: NodeId, to: NodeId, msg: P::Msg) {
        self.transmit_sealed(from, to, msg, Seal::Genuine)
    }

    /// [`Self::transmit`] with the envelope a Byzantine sender chose.
    fn transmit_sealed(&mut self, from: NodeId, to: NodeId, msg: P::Msg, seal: Seal) {
        let n = self.config.nodes;
        assert!(to.index() < n, "{from} sent to {to}, which does not exist ({n} nodes)");
        let payload = stable_hash(&msg);
        self.stats.messages_sent += 1;
        let send = self.trace.record(
            self.now,
            TraceKind::Send,
            Actor::Node(from),
            Some(Actor::Node(to)),
            None,
            payload,
            || format!("{msg:?}"),
        );
        let l = from.index() * n + to.index();
        let link = self.links[l];
        self.choices.set_link(Some((from, to)));
        let reason = if self.cut[l] {
            Some("partition")
        } else if self.inflight[l] >= self.config.limits.inflight_per_link {
            Some("link full")
        } else if self.choices.chance(Stream::Network, link.drop) {
            Some("lost by the link")
        } else {
            None
        };
        if let Some(reason) = reason {
            self.stats.messages_dropped += 1;
            self.trace.record(
                self.now,
                TraceKind::Drop,
                Actor::Node(from),
                Some(Actor::Node(to)),
                Some(send),
                0,
                || reason.to_string(),
            );
            self.choices.set_link(None);
            return;
        }
        let mut auth = self.byz.seal(from, to, payload, seal);
        let extra = match link.adversary {
            None => 0,
            Some(_) => match self.link_adversary(from, to, &msg, send, &mut auth) {
                Some(extra) => extra,
                None => return,
            },
        };
        let copies = if self.choices.chance(Stream::Network, link.duplicate) {
            self.stats.messages_duplicated += 1;
            self.trace.record(
                self.now,
                TraceKind::Duplicate,
                Actor::Node(from),
                Some(Actor::Node(to)),
                Some(send),
                0,
                String::new,
            );
            2
        } else {
            1
        };
        let mut msg = Some(msg);
        for copy in 0..copies {
            let mut delay = link.delay.sample(&mut self.choices).saturating_add(extra);
            if self.choices.chance(Stream::Network, link.reorder) {
                delay = delay.saturating_add(self.choices.range(Stream::Network, 0, link.reorder_delay_max_ns));
            }
            let mut at = self.now.saturating_add(delay);
            if link.fifo {
                at = at.max(self.fifo_last[l]);
                self.fifo_last[l] = at;
            }
            let m = if copy + 1 == copies { msg.take().expect("message") } else { msg.clone().expect("message") };
            self.inflight[l] += 1;
            self.queue.push(at, Event::Deliver { from, to, msg: m, send, payload, auth: auth.clone() });
        }
        self.choices.set_link(None);
    }

    fn apply_client_effects(&mut self) {
        let mut effects = std::mem::take(&mut self.client_effects);
        for effect in effects.drain(..) {
            match effect {
                ClientEffect::Request { client, node, request } => {
                    assert!(node.index() < self.config.nodes, "{client} sent to {node}, which does not exist");
                    let payload = stable_hash(&request);
                    self.stats.messages_sent += 1;
                    let send = self.trace.record(
                        self.now,
                        TraceKind::Send,
                        Actor::Client(client),
                        Some(Actor::Node(node)),
                        None,
                        payload,
                        || format!("{request:?}"),
                    );
                    let link = self.config.client_link;
                    if self.choices.chance(Stream::Network, link.drop) {
                        self.stats.messages_dropped += 1;
                        self.trace.record(
                            self.now,
                            TraceKind::Drop,
                            Actor::Node(node),
                            Some(Actor::Client(client)),
                            Some(send),
                            0,
                            || "lost by the client link".into(),
                        );
                    } else {
                        let at = self.now + link.delay.sample(&mut self.choices);
                        self.queue.push(at, Event::Request { client, node, request, send, payload });
                    }
                }
                ClientEffect::Timer { client, after, token } => {
                    self.queue.push(self.now.saturating_add(after), Event::ClientTimer { client, token });
                }
                ClientEffect::Invoke { client, payload, text } => {
                    self.trace.record(self.now, TraceKind::Invoke, Actor::Client(client), None, None, payload, || text);
                }
                ClientEffect::Complete { client, payload, text } => {
                    self.trace.record(
                        self.now,
                        TraceKind::Complete,
                        Actor::Client(client),
                        None,
                        None,
                        payload,
                        || text,
                    );
                }
            }
        }
        self.client_effects = effects;
    }

    /// The lowest-numbered live node that believes it leads.
    fn leader(&self) -> Option<NodeId> {
        self.states
            .iter()
            .position(|s| s.as_ref().is_some_and(|s| self.protocol.is_leader(s)))
            .map(|i| NodeId(i as u32))
    }

    fn isolate(&mut self, i: usize) {
        let n = self.config.nodes;
        for j in 0..n {
            if j != i {
                self.cut[i * n + j] = true;
                self.cut[j * n + i] = true;
            }
        }
    }

    fn crash(&mut self, node: NodeId, payload: u64) {
        let i = node.index();
        let was_up = self.states[i].is_some();
        self.trace.record(self.now, TraceKind::Crash, Actor::Node(node), None, None, payload, || {
            if was_up {
                "crash".into()
            } else {
                "crash (already down)".into()
            }
        });
        if !was_up {
            return;
        }
        self.states[i] = None;
        self.timers[i].clear();
        let unsynced = self.config.sync_delay_ns > 0
            && self.last_persist[i].is_some_and(|t| self.now < t + self.config.sync_delay_ns);
        if unsynced {
            self.durables[i] = self.previous_durables[i].take();
            self.trace.record(self.now, TraceKind::Note, Actor::Node(node), None, None, 0, || {
                "the last persist was not synced yet: lost".into()
            });
        }
    }

    fn recover(&mut self, node: NodeId, payload: u64) {
        let i = node.index();
        let was_down = self.states[i].is_none();
        self.trace.record(self.now, TraceKind::Recover, Actor::Node(node), None, None, payload, || {
            if was_down {
                "recover".into()
            } else {
                "recover (already up)".into()
            }
        });
        if !was_down {
            return;
        }
        let durable = self.durables[i].clone();
        if let Some(state) = self.call_node(node, |p, ctx| p.recover(node, durable.as_ref(), ctx)) {
            self.states[i] = Some(state);
            self.last_persist[i] = None;
            self.apply_effects(node);
            self.snapshot(node);
            self.check_invariants(Some(node));
        }
    }

    fn apply_fault(&mut self, index: usize) {
        let fault = self.config.schedule.faults[index].fault.clone();
        let payload = stable_hash(&fault);
        let n = self.config.nodes;
        match &fault {
            Fault::Crash { node } => self.crash(*node, payload),
            Fault::Recover { node } => self.recover(*node, payload),
            Fault::CrashLeader => match self.leader() {
                Some(node) => self.crash(node, payload),
                None => {
                    self.trace.record(self.now, TraceKind::Fault, Actor::World, None, None, payload, || {
                        "crash-leader: no leader to crash".into()
                    });
                }
            },
            Fault::RecoverAll => {
                self.trace
                    .record(self.now, TraceKind::Fault, Actor::World, None, None, payload, || "recover-all".into());
                for i in 0..n {
                    if self.states[i].is_none() && self.outcome.is_none() {
                        self.recover(NodeId(i as u32), payload);
                    }
                }
            }
            Fault::Byzantine { node, strategy } => self.turn_byzantine(*node, strategy, payload),
            Fault::IsolateLeader => {
                let leader = self.leader();
                self.trace.record(self.now, TraceKind::Fault, Actor::World, None, None, payload, || match leader {
                    Some(l) => format!("isolate-leader: {l} cut off"),
                    None => "isolate-leader: no leader to isolate".into(),
                });
                if let Some(l) = leader {
                    self.isolate(l.index());
                }
            }
            other => {
                self.trace
                    .record(self.now, TraceKind::Fault, Actor::World, None, None, payload, || format!("{other:?}"));
                match other {
                    Fault::Partition { groups } => {
                        let mut group = vec![usize::MAX; n];
                        for (g, members) in groups.iter().enumerate() {
                            for m in members {
                                group[m.index()] = g;
                            }
                        }
                        for a in 0..n {
                            for b in 0..n {
                                self.cut[a * n + b] = a != b && (group[a] != group[b] || group[a] == usize::MAX);
                            }
                        }
                    }
                    Fault::PartitionOneWay { from, to } => {
                        for a in from {
                            for b in to {
                                if a != b {
                                    self.cut[a.index() * n + b.index()] = true;
                                }
                            }
                        }
                    }
                    Fault::Isolate { node } => self.isolate(node.index()),
                    Fault::Heal => self.cut.iter_mut().for_each(|c| *c = false),
                    Fault::SetLink { from, to, link } => {
                        for a in 0..n {
                            for b in 0..n {
                                if from.is_none_or(|f| f.index() == a) && to.is_none_or(|t| t.index() == b) {
                                    self.links[a * n + b] = *link;
                                    self.install_adversary(a * n + b, link.adversary);
                                }
                            }
                        }
                    }
                    Fault::ClockSkew { node, clock } => self.clocks[node.index()] = *clock,
                    Fault::Crash { .. }
                    | Fault::Recover { .. }
                    | Fault::CrashLeader
                    | Fault::RecoverAll
                    | Fault::IsolateLeader
                    | Fault::Byzantine { .. } => unreachable!("handled above"),
                }
            }
        }
    }
}
