//! Schedule mode: the simulator driven by an explicit list of events instead
//! of time order, so a path found by the explorer (`explore::actor`) plays
//! through the engine itself: its link bookkeeping, timers, crash and
//! recovery, invariant checks and trace.
//!
//! Each [`ScheduleStep`] names the next event: a message in flight by its
//! link and the stable hash of its payload (the oldest such copy is taken), a
//! node's pending timer by the stable hash of the timer, or a crash or
//! recovery. Simulated time advances one millisecond per step (the explorer
//! abstracts time away; the millisecond only spaces the trace for drawing).
//! Replies to clients are delivered at once after each step, as the explorer
//! records them in its state. A step that names nothing in flight ends the
//! run with a [`ScheduleError`] naming the step: the schedule does not fit
//! this protocol code (edited since the path was found, or another world).
//!
//! Runs in schedule mode should draw no randomness that matters: the
//! explorer gives handlers an empty tape (every draw is 0), so replays use
//! `Choices::from_tape(vec![])` and links without loss or duplication.

use super::{Event, Outcome, RunResult, Simulator};
use crate::hash::stable_hash;
use crate::ids::{Actor, ClientId, NodeId};
use crate::protocol::Protocol;
use crate::time::NANOS_PER_MILLI;
use crate::trace::TraceKind;
use crate::workload::{ClientCtx, Workload};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Who sent a message in flight: a node, or a client (a request).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sender {
    Node(u32),
    Client(u32),
}

/// One event of a schedule. `payload` is the stable hash of the message,
/// request or timer (`sim_core::stable_hash`), as in the trace.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ScheduleStep {
    /// Deliver the oldest copy in flight of this message.
    Deliver {
        from: Sender,
        to: u32,
        payload: u64,
    },
    /// Lose the oldest copy in flight of this message.
    Drop {
        from: Sender,
        to: u32,
        payload: u64,
    },
    /// Put a second copy of this message in flight.
    Duplicate {
        from: Sender,
        to: u32,
        payload: u64,
    },
    /// Fire this pending timer of `node`.
    Timer {
        node: u32,
        payload: u64,
    },
    Crash {
        node: u32,
    },
    Recover {
        node: u32,
    },
}

impl fmt::Display for ScheduleStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn who(s: &Sender) -> String {
            match s {
                Sender::Node(n) => format!("n{n}"),
                Sender::Client(c) => format!("c{c}"),
            }
        }
        match self {
            ScheduleStep::Deliver { from, to, payload } => write!(f, "deliver {} -> n{to} #{payload:016x}", who(from)),
            ScheduleStep::Drop { from, to, payload } => write!(f, "drop {} -> n{to} #{payload:016x}", who(from)),
            ScheduleStep::Duplicate { from, to, payload } => {
                write!(f, "duplicate {} -> n{to} #{payload:016x}", who(from))
            }
            ScheduleStep::Timer { node, payload } => write!(f, "timer #{payload:016x} fires on n{node}"),
            ScheduleStep::Crash { node } => write!(f, "crash n{node}"),
            ScheduleStep::Recover { node } => write!(f, "recover n{node}"),
        }
    }
}

/// A step that named nothing the simulator had: the schedule and the world
/// (or the protocol code) disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleError {
    /// 1-based, as the explorer numbers a path.
    pub step: usize,
    pub detail: String,
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "schedule step {}: {}", self.step, self.detail)
    }
}

impl std::error::Error for ScheduleError {}

/// The explorer's clients: a fixed list of requests, all sent at the start,
/// never retried; each reply completes its operation in the trace.
pub struct FixedRequests<P: Protocol> {
    pub requests: Vec<(ClientId, NodeId, P::Request)>,
}

impl<P: Protocol> Workload<P> for FixedRequests<P> {
    fn start(&mut self, ctx: &mut ClientCtx<'_, P>) {
        for (client, node, request) in &self.requests {
            ctx.invoke(*client, stable_hash(request), || format!("{request:?}"));
            ctx.send(*client, *node, request.clone());
        }
    }
    fn on_response(&mut self, client: ClientId, _from: NodeId, response: P::Response, ctx: &mut ClientCtx<'_, P>) {
        ctx.complete(client, stable_hash(&response), || format!("{response:?}"));
    }
    fn on_timer(&mut self, _: ClientId, _: u64, _: &mut ClientCtx<'_, P>) {}
    fn is_done(&self) -> bool {
        false
    }
}

fn actor(sender: &Sender) -> Actor {
    match sender {
        Sender::Node(n) => Actor::Node(NodeId(*n)),
        Sender::Client(c) => Actor::Client(ClientId(*c)),
    }
}

impl<P: Protocol, W: Workload<P>> Simulator<P, W> {
    /// Plays `steps` in order (see the module docs) and stops at the first
    /// failure, or after the last step with `Quiescent`.
    pub fn run_schedule(&mut self, steps: &[ScheduleStep]) -> Result<RunResult, ScheduleError> {
        self.start();
        self.deliver_replies();
        for (k, step) in steps.iter().enumerate() {
            if self.outcome.is_some() {
                break;
            }
            self.now += NANOS_PER_MILLI;
            self.stats.events += 1;
            self.play(step).map_err(|detail| ScheduleError { step: k + 1, detail })?;
            if self.outcome.is_none() {
                self.deliver_replies();
            }
        }
        self.workload.finish(self.now);
        self.stats.sim_time_ns = self.now;
        self.stats.choices_drawn = self.choices.draws();
        Ok(RunResult {
            outcome: self.outcome.clone().unwrap_or(Outcome::Quiescent),
            stats: self.stats,
            trace_hash: self.trace.hash(),
        })
    }

    fn node_in_range(&self, node: u32) -> Result<NodeId, String> {
        if (node as usize) < self.config.nodes {
            Ok(NodeId(node))
        } else {
            Err(format!("n{node} does not exist ({} nodes)", self.config.nodes))
        }
    }

    /// Takes the oldest copy in flight of the message `from -> to` with this payload.
    fn take_message(&mut self, from: &Sender, to: NodeId, payload: u64) -> Option<Event<P>> {
        let taken = self.queue.take_first(|e| match (e, from) {
            (Event::Deliver { from: f, to: t, payload: p, .. }, Sender::Node(n)) => {
                f.0 == *n && *t == to && *p == payload
            }
            (Event::Request { client, node, payload: p, .. }, Sender::Client(c)) => {
                client.0 == *c && *node == to && *p == payload
            }
            _ => false,
        });
        taken.map(|(_, e)| e)
    }

    fn play(&mut self, step: &ScheduleStep) -> Result<(), String> {
        let missing = |from: &Sender, to: u32, payload: u64| {
            let who = match from {
                Sender::Node(n) => format!("n{n}"),
                Sender::Client(c) => format!("c{c}"),
            };
            format!("no message {who} -> n{to} with payload #{payload:016x} is in flight")
        };
        match step {
            ScheduleStep::Deliver { from, to, payload } => {
                let to_id = self.node_in_range(*to)?;
                match self.take_message(from, to_id, *payload).ok_or_else(|| missing(from, *to, *payload))? {
                    Event::Deliver { from, to, msg, send, payload, auth } => {
                        self.deliver(from, to, msg, send, payload, auth)
                    }
                    Event::Request { client, node, request, send, payload } => {
                        self.deliver_request(client, node, request, send, payload)
                    }
                    _ => unreachable!("take_message matches deliveries and requests only"),
                }
            }
            ScheduleStep::Drop { from, to, payload } => {
                let to_id = self.node_in_range(*to)?;
                let (send, sender) = match self.take_message(from, to_id, *payload) {
                    Some(Event::Deliver { from, to, send, .. }) => {
                        self.inflight[from.index() * self.config.nodes + to.index()] -= 1;
                        (send, Actor::Node(from))
                    }
                    Some(Event::Request { client, send, .. }) => (send, Actor::Client(client)),
                    _ => return Err(missing(from, *to, *payload)),
                };
                self.stats.messages_dropped += 1;
                self.trace.record(self.now, TraceKind::Drop, Actor::Node(to_id), Some(sender), Some(send), 0, || {
                    "lost".to_string()
                });
            }
            ScheduleStep::Duplicate { from, to, payload } => {
                let to_id = self.node_in_range(*to)?;
                let event = self.take_message(from, to_id, *payload).ok_or_else(|| missing(from, *to, *payload))?;
                let (copy, send) = match &event {
                    Event::Deliver { from, to, msg, send, payload, auth } => {
                        self.inflight[from.index() * self.config.nodes + to.index()] += 1;
                        let copy = Event::Deliver {
                            from: *from,
                            to: *to,
                            msg: msg.clone(),
                            send: *send,
                            payload: *payload,
                            auth: auth.clone(),
                        };
                        (copy, *send)
                    }
                    Event::Request { client, node, request, send, payload } => {
                        let copy = Event::Request {
                            client: *client,
                            node: *node,
                            request: request.clone(),
                            send: *send,
                            payload: *payload,
                        };
                        (copy, *send)
                    }
                    _ => unreachable!("take_message matches deliveries and requests only"),
                };
                self.stats.messages_duplicated += 1;
                self.trace.record(
                    self.now,
                    TraceKind::Duplicate,
                    Actor::Node(to_id),
                    Some(actor(from)),
                    Some(send),
                    0,
                    || "duplicated".to_string(),
                );
                self.queue.push(self.now, event);
                self.queue.push(self.now, copy);
            }
            ScheduleStep::Timer { node, payload } => {
                let id = self.node_in_range(*node)?;
                if self.states[id.index()].is_none() {
                    return Err(format!("n{node} is down: its timers do not fire"));
                }
                let token = self.timers[id.index()]
                    .iter()
                    .find(|(t, _)| stable_hash(t) == *payload)
                    .map(|(_, token)| *token)
                    .ok_or_else(|| format!("n{node} has no pending timer with payload #{payload:016x}"))?;
                self.fire_timer(id, token);
            }
            ScheduleStep::Crash { node } => {
                let id = self.node_in_range(*node)?;
                if self.states[id.index()].is_none() {
                    return Err(format!("n{node} is already down"));
                }
                self.crash(id, 0);
                self.check_invariants(Some(id));
            }
            ScheduleStep::Recover { node } => {
                let id = self.node_in_range(*node)?;
                if self.states[id.index()].is_some() {
                    return Err(format!("n{node} is up: nothing to recover"));
                }
                self.recover(id, 0);
            }
        }
        Ok(())
    }

    /// Replies to clients arrive at once (the explorer records them in its
    /// state when they are sent).
    fn deliver_replies(&mut self) {
        while let Some((_, Event::Response { node, client, response, send, payload })) =
            self.queue.take_first(|e| matches!(e, Event::Response { .. }))
        {
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
    }
}
