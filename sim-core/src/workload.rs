//! The client side of a world: a workload drives client processes that send
//! requests to nodes, set their own timers, and record what they saw.
//!
//! sim-core only carries requests and replies and traces client events; what
//! an operation is and how a history is recorded belongs to the workload
//! (implemented in the `scenarios` crate).

use crate::choices::{Choices, Stream};
use crate::ids::{ClientId, NodeId};
use crate::protocol::Protocol;
use crate::time::Time;

/// Client processes and their logic.
pub trait Workload<P: Protocol> {
    /// Called once at time 0: schedule the first operations.
    fn start(&mut self, ctx: &mut ClientCtx<'_, P>);

    /// A node's reply reached `client`.
    fn on_response(&mut self, client: ClientId, from: NodeId, response: P::Response, ctx: &mut ClientCtx<'_, P>);

    /// A timer set with `ctx.set_timer(client, after, token)` fired.
    fn on_timer(&mut self, client: ClientId, token: u64, ctx: &mut ClientCtx<'_, P>);

    /// True once every client has finished its operations.
    fn is_done(&self) -> bool;

    /// The run ended at `now`: close whatever is still open (as unknown outcomes).
    fn finish(&mut self, _now: Time) {}
}

/// A workload with no clients (protocols that run on their own).
#[derive(Clone, Debug, Default)]
pub struct NoClients;

impl<P: Protocol> Workload<P> for NoClients {
    fn start(&mut self, _ctx: &mut ClientCtx<'_, P>) {}
    fn on_response(&mut self, _: ClientId, _: NodeId, _: P::Response, _: &mut ClientCtx<'_, P>) {}
    fn on_timer(&mut self, _: ClientId, _: u64, _: &mut ClientCtx<'_, P>) {}
    /// Never "done": without clients a run ends by its time limit or quiescence.
    fn is_done(&self) -> bool {
        false
    }
}

/// What a workload asked the world to do.
#[derive(Clone, Debug)]
pub enum ClientEffect<P: Protocol> {
    Request {
        client: ClientId,
        node: NodeId,
        request: P::Request,
    },
    Timer {
        client: ClientId,
        after: Time,
        token: u64,
    },
    /// Trace marks for operations (`payload`: a stable hash of the operation).
    Invoke {
        client: ClientId,
        payload: u64,
        text: String,
    },
    Complete {
        client: ClientId,
        payload: u64,
        text: String,
    },
}

/// The workload's window on the world.
pub struct ClientCtx<'a, P: Protocol> {
    now: Time,
    node_count: usize,
    notes: bool,
    effects: &'a mut Vec<ClientEffect<P>>,
    choices: &'a mut Choices,
}

impl<'a, P: Protocol> ClientCtx<'a, P> {
    pub fn new(
        now: Time,
        node_count: usize,
        notes: bool,
        effects: &'a mut Vec<ClientEffect<P>>,
        choices: &'a mut Choices,
    ) -> Self {
        ClientCtx { now, node_count, notes, effects, choices }
    }

    /// Global simulated time (clients are the observers of real time).
    pub fn now(&self) -> Time {
        self.now
    }

    pub fn node_count(&self) -> usize {
        self.node_count
    }

    pub fn send(&mut self, client: ClientId, node: NodeId, request: P::Request) {
        self.effects.push(ClientEffect::Request { client, node, request });
    }

    pub fn set_timer(&mut self, client: ClientId, after: Time, token: u64) {
        self.effects.push(ClientEffect::Timer { client, after, token });
    }

    /// Marks the start of an operation in the trace.
    pub fn invoke(&mut self, client: ClientId, payload: u64, text: impl FnOnce() -> String) {
        let text = if self.notes { text() } else { String::new() };
        self.effects.push(ClientEffect::Invoke { client, payload, text });
    }

    /// Marks the end of an operation in the trace.
    pub fn complete(&mut self, client: ClientId, payload: u64, text: impl FnOnce() -> String) {
        let text = if self.notes { text() } else { String::new() };
        self.effects.push(ClientEffect::Complete { client, payload, text });
    }

    /// A value in `0..bound` from the workload stream.
    pub fn random(&mut self, bound: u64) -> u64 {
        self.choices.draw(Stream::Workload, bound)
    }

    pub fn random_range(&mut self, lo: u64, hi: u64) -> u64 {
        self.choices.range(Stream::Workload, lo, hi)
    }
}
