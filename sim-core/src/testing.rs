//! A trivial protocol for the engine's own tests and benchmarks: nodes
//! bounce tokens to random peers. Not a protocol to study — see
//! `protocols/src/echo.rs` for the template.

use crate::ids::{ClientId, NodeId};
use crate::protocol::{Ctx, Protocol, SystemView, Violation};

/// Each node starts `tokens` tokens; a node that receives a token forwards
/// it to a random peer (or the next node when `random_peers` is false).
#[derive(Clone, Debug)]
pub struct TokenBounce {
    pub tokens: u32,
    pub random_peers: bool,
    /// Persist the received count on every delivery.
    pub persist: bool,
    /// Panic when a node has received this many tokens.
    pub panic_at: Option<u64>,
    /// Violate `received-below-limit` when a node has received this many.
    pub violate_at: Option<u64>,
    /// Heartbeat timer interval (0: no timer).
    pub tick_ns: u64,
}

impl Default for TokenBounce {
    fn default() -> Self {
        TokenBounce { tokens: 1, random_peers: false, persist: false, panic_at: None, violate_at: None, tick_ns: 0 }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct BounceState {
    pub received: u64,
    pub ticks: u64,
    pub recovered_from: Option<u64>,
}

impl TokenBounce {
    fn next(&self, id: NodeId, ctx: &mut Ctx<'_, Self>) -> NodeId {
        let n = ctx.node_count() as u64;
        if self.random_peers && n > 1 {
            NodeId(((id.0 as u64 + 1 + ctx.random(n - 1)) % n) as u32)
        } else {
            NodeId(((id.0 as u64 + 1) % n) as u32)
        }
    }
}

impl Protocol for TokenBounce {
    type State = BounceState;
    type Msg = u64;
    type Timer = ();
    type Durable = u64;
    type Request = ();
    type Response = u64;
    type Monitor = ();

    fn name(&self) -> &'static str {
        "token-bounce"
    }

    fn init(&self, id: NodeId, ctx: &mut Ctx<'_, Self>) -> BounceState {
        for t in 0..self.tokens {
            let to = self.next(id, ctx);
            ctx.send(to, t as u64);
        }
        if self.tick_ns > 0 {
            ctx.set_timer((), self.tick_ns);
        }
        BounceState::default()
    }

    fn on_message(&self, id: NodeId, state: &mut BounceState, _from: NodeId, msg: u64, ctx: &mut Ctx<'_, Self>) {
        state.received += 1;
        if self.panic_at == Some(state.received) {
            panic!("token-bounce: {id} reached {} tokens", state.received);
        }
        if self.persist {
            ctx.persist(state.received);
        }
        let to = self.next(id, ctx);
        ctx.send(to, msg);
    }

    fn on_timer(&self, _id: NodeId, state: &mut BounceState, _timer: (), ctx: &mut Ctx<'_, Self>) {
        state.ticks += 1;
        ctx.set_timer((), self.tick_ns);
    }

    fn on_request(&self, _id: NodeId, state: &mut BounceState, client: ClientId, _r: (), ctx: &mut Ctx<'_, Self>) {
        ctx.reply(client, state.received);
    }

    fn recover(&self, _id: NodeId, durable: Option<&u64>, ctx: &mut Ctx<'_, Self>) -> BounceState {
        if self.tick_ns > 0 {
            ctx.set_timer((), self.tick_ns);
        }
        BounceState {
            received: durable.copied().unwrap_or(0),
            ticks: 0,
            recovered_from: Some(durable.copied().unwrap_or(0)),
        }
    }

    fn check_invariants(&self, _m: &mut (), view: &SystemView<'_, Self>) -> Result<(), Violation> {
        if let (Some(limit), Some(node)) = (self.violate_at, view.changed) {
            if let Some(s) = &view.states[node.index()] {
                if s.received >= limit {
                    return Err(Violation::new("received-below-limit", format!("{node} received {}", s.received)));
                }
            }
        }
        Ok(())
    }
}
