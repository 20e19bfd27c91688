//! Echo: the smallest protocol, and the template to copy for a new one.
//!
//! Algorithm: every node periodically sends `Ping(n)` to the next node in a
//! ring; a node that receives `Ping(n)` answers `Pong(n)` and counts it. A
//! client may ask any node for its count. There is no paper; it exists to
//! show the shape every protocol file has: configuration, state, messages,
//! handlers, invariants, bug variants.
//!
//! Invariant `pong-answers-ping`: a node never has more pongs than pings it
//! sent (a pong must answer a ping). Bug variant `double-pong` answers every
//! ping twice, which breaks it as soon as a ping is delivered.

use sim_core::{ClientId, Ctx, NodeId, Protocol, SystemView, Violation, NANOS_PER_MILLI};

/// Configuration: immutable for the whole run.
#[derive(Clone, Debug, Default)]
pub struct Echo {
    pub interval_ns: u64,
    pub bug: Option<EchoBug>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EchoBug {
    /// Answers each ping twice: breaks `pong-answers-ping`.
    DoublePong,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct EchoState {
    pub pings_sent: u64,
    pub pongs_received: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EchoMsg {
    Ping(u64),
    Pong(u64),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EchoTimer {
    Tick,
}

impl Echo {
    pub fn new() -> Self {
        Echo { interval_ns: 10 * NANOS_PER_MILLI, bug: None }
    }
}

impl Protocol for Echo {
    type State = EchoState;
    type Msg = EchoMsg;
    type Timer = EchoTimer;
    type Durable = ();
    type Request = ();
    type Response = u64;
    type Monitor = ();

    fn name(&self) -> &'static str {
        "echo"
    }

    fn init(&self, _id: NodeId, ctx: &mut Ctx<'_, Self>) -> EchoState {
        ctx.set_timer(EchoTimer::Tick, self.interval_ns);
        EchoState::default()
    }

    fn on_message(&self, _id: NodeId, state: &mut EchoState, from: NodeId, msg: EchoMsg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            EchoMsg::Ping(n) => {
                ctx.send(from, EchoMsg::Pong(n));
                if self.bug == Some(EchoBug::DoublePong) {
                    ctx.send(from, EchoMsg::Pong(n));
                }
            }
            EchoMsg::Pong(_) => state.pongs_received += 1,
        }
    }

    fn on_timer(&self, id: NodeId, state: &mut EchoState, _timer: EchoTimer, ctx: &mut Ctx<'_, Self>) {
        let next = NodeId((id.0 + 1) % ctx.node_count() as u32);
        state.pings_sent += 1;
        ctx.send(next, EchoMsg::Ping(state.pings_sent));
        ctx.set_timer(EchoTimer::Tick, self.interval_ns);
    }

    fn on_request(&self, _id: NodeId, state: &mut EchoState, client: ClientId, _req: (), ctx: &mut Ctx<'_, Self>) {
        ctx.reply(client, state.pongs_received);
    }

    fn recover(&self, id: NodeId, _durable: Option<&()>, ctx: &mut Ctx<'_, Self>) -> EchoState {
        self.init(id, ctx)
    }

    fn check_invariants(&self, _monitor: &mut (), view: &SystemView<'_, Self>) -> Result<(), Violation> {
        for (i, s) in view.states.iter().enumerate() {
            if let Some(s) = s {
                if s.pongs_received > s.pings_sent {
                    return Err(Violation::new(
                        "pong-answers-ping",
                        format!("n{i} received {} pongs for {} pings", s.pongs_received, s.pings_sent),
                    ));
                }
            }
        }
        Ok(())
    }
}
