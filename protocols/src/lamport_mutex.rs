//! Lamport's mutual exclusion: a shared resource granted in the order of
//! logical timestamps, with no central server.
//!
//! Source: L. Lamport, "Time, Clocks, and the Ordering of Events in a
//! Distributed System" (CACM 1978), section 3. Message names from the paper:
//! "requests resource" (`Request`), the acknowledgment (`Ack`), "releases
//! resource" (`Release`).
//!
//! The algorithm. Every node keeps a Lamport clock (incremented before each
//! send; on receipt set to `max(own, message) + 1`) and a request queue
//! ordered by `(timestamp, node id)`, a total order. The paper's five rules:
//!
//! 1. To request the resource, node i sends `Request(T)` to every other node
//!    and puts `(T, i)` on its own queue.
//! 2. A node receiving `Request(T)` from i puts `(T, i)` on its queue and
//!    sends a (timestamped) `Ack` back.
//! 3. To release, i removes its request from its queue and sends `Release`
//!    to every other node.
//! 4. A node receiving `Release` from i removes i's request from its queue.
//! 5. Node i enters the critical section when (i) its request is ordered
//!    before every other request in its queue and (ii) it has received a
//!    message from every other node timestamped later than its request.
//!
//! Rule 5(ii) is where the assumptions hide: messages between two nodes are
//! **delivered in the order sent (FIFO)** and **never lost**. A later-stamped
//! message from j then proves that every earlier request of j has already
//! arrived. On reordering links that proof fails (scenario
//! `lamport-mutex-no-fifo`), and a single crashed node stops everyone, since
//! nobody can hear a later message from it again (`lamport-mutex-crash`).
//! There is no crash recovery: a restarted node starts afresh.
//!
//! Nodes drive themselves: each requests the critical section `rounds`
//! times, thinking between rounds and holding the section for `hold_ns`.
//!
//! Invariants:
//! - `mutual-exclusion`: at most one node is in the critical section.
//! - `fairness`: the section is granted in `(timestamp, node id)` order of
//!   requests (checked with a history variable: the last grant).
//!
//! Bug variant `skip-reply-check`: enters as soon as its own request heads
//! its queue, skipping rule 5(ii). A request from another node with a smaller
//! timestamp may still be on the way: two nodes enter together. Concurrent
//! requests on ordinary FIFO links expose it.

use sim_core::{ClientId, Ctx, NodeId, Protocol, SystemView, Time, Violation, NANOS_PER_MILLI};
use std::collections::BTreeSet;

/// Configuration: immutable for the whole run.
#[derive(Clone, Debug)]
pub struct LamportMutex {
    /// How many times each node enters the critical section.
    pub rounds: u64,
    /// Pause before each request, drawn uniformly from `think_min_ns..=think_max_ns`.
    pub think_min_ns: u64,
    pub think_max_ns: u64,
    /// How long a node stays in the critical section.
    pub hold_ns: u64,
    pub bug: Option<MutexBug>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MutexBug {
    /// Skips rule 5(ii): breaks `mutual-exclusion`.
    SkipReplyCheck,
}

impl MutexBug {
    pub const ALL: &'static [MutexBug] = &[MutexBug::SkipReplyCheck];

    pub fn name(self) -> &'static str {
        match self {
            MutexBug::SkipReplyCheck => "skip-reply-check",
        }
    }
}

impl std::str::FromStr for MutexBug {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        MutexBug::ALL
            .iter()
            .copied()
            .find(|b| b.name() == s)
            .ok_or_else(|| format!("unknown lamport-mutex bug `{s}` (known: skip-reply-check)"))
    }
}

impl Default for LamportMutex {
    fn default() -> Self {
        LamportMutex {
            rounds: 20,
            think_min_ns: 0,
            think_max_ns: 30 * NANOS_PER_MILLI,
            hold_ns: 5 * NANOS_PER_MILLI,
            bug: None,
        }
    }
}

/// A request on a queue: `(timestamp, node)`, ordered lexicographically.
pub type Stamp = (u64, u32);

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct MutexState {
    /// The Lamport clock.
    pub clock: u64,
    pub queue: BTreeSet<Stamp>,
    /// The latest timestamp received from each node.
    pub last_heard: Vec<u64>,
    /// This node's pending or granted request.
    pub request: Option<Stamp>,
    pub in_cs: bool,
    /// Rounds completed.
    pub done: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MutexMsg {
    Request {
        ts: u64,
    },
    Ack {
        ts: u64,
    },
    /// `request`: the timestamp of the request being released.
    Release {
        ts: u64,
        request: u64,
    },
}

impl MutexMsg {
    fn ts(&self) -> u64 {
        match *self {
            MutexMsg::Request { ts } | MutexMsg::Ack { ts } | MutexMsg::Release { ts, .. } => ts,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MutexTimer {
    /// Time to request the section again.
    Want,
    /// Time to leave the section.
    Leave,
}

/// History variables: the last grant, and when each node's pending request was made.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct MutexMonitor {
    pub last_grant: Option<Stamp>,
    pub was_in_cs: Vec<bool>,
    /// Per node: since when its current request has been waiting (global time).
    pub waiting_since: Vec<Option<Time>>,
}

impl LamportMutex {
    fn think(&self, ctx: &mut Ctx<'_, Self>) {
        let pause = ctx.random_range(self.think_min_ns, self.think_max_ns);
        ctx.set_timer(MutexTimer::Want, pause);
    }

    /// Rule 5: enter when our request heads the queue and every other node
    /// has been heard from later than it.
    fn try_enter(&self, id: NodeId, s: &mut MutexState, ctx: &mut Ctx<'_, Self>) {
        let Some(mine) = s.request else { return };
        if s.in_cs || s.queue.first() != Some(&mine) {
            return;
        }
        let heard_later = s.last_heard.iter().enumerate().all(|(j, &t)| j == id.index() || t > mine.0);
        if !heard_later && self.bug != Some(MutexBug::SkipReplyCheck) {
            return;
        }
        s.in_cs = true;
        ctx.note(|| format!("enter the critical section with request {mine:?}"));
        ctx.set_timer(MutexTimer::Leave, self.hold_ns);
    }
}

impl Protocol for LamportMutex {
    type State = MutexState;
    type Msg = MutexMsg;
    type Timer = MutexTimer;
    type Durable = ();
    type Request = ();
    type Response = ();
    type Monitor = MutexMonitor;

    fn name(&self) -> &'static str {
        "lamport-mutex"
    }

    fn init(&self, _id: NodeId, ctx: &mut Ctx<'_, Self>) -> MutexState {
        if self.rounds > 0 {
            self.think(ctx);
        }
        MutexState { last_heard: vec![0; ctx.node_count()], ..MutexState::default() }
    }

    fn on_message(&self, id: NodeId, s: &mut MutexState, from: NodeId, msg: MutexMsg, ctx: &mut Ctx<'_, Self>) {
        let ts = msg.ts();
        s.clock = s.clock.max(ts) + 1;
        if let Some(h) = s.last_heard.get_mut(from.index()) {
            *h = (*h).max(ts);
        }
        match msg {
            MutexMsg::Request { ts } => {
                // Rule 2.
                s.queue.insert((ts, from.0));
                s.clock += 1;
                ctx.send(from, MutexMsg::Ack { ts: s.clock });
            }
            MutexMsg::Ack { .. } => {}
            MutexMsg::Release { request, .. } => {
                // Rule 4.
                s.queue.remove(&(request, from.0));
            }
        }
        self.try_enter(id, s, ctx);
    }

    fn on_timer(&self, id: NodeId, s: &mut MutexState, timer: MutexTimer, ctx: &mut Ctx<'_, Self>) {
        match timer {
            MutexTimer::Want => {
                if s.request.is_some() || s.done >= self.rounds {
                    return;
                }
                // Rule 1.
                s.clock += 1;
                let mine = (s.clock, id.0);
                s.request = Some(mine);
                s.queue.insert(mine);
                ctx.broadcast(MutexMsg::Request { ts: s.clock });
                self.try_enter(id, s, ctx);
            }
            MutexTimer::Leave => {
                let Some(mine) = s.request.take() else { return };
                if !s.in_cs {
                    s.request = Some(mine);
                    return;
                }
                // Rule 3.
                s.in_cs = false;
                s.queue.remove(&mine);
                s.done += 1;
                s.clock += 1;
                ctx.broadcast(MutexMsg::Release { ts: s.clock, request: mine.0 });
                if s.done < self.rounds {
                    self.think(ctx);
                }
            }
        }
    }

    fn on_request(&self, _id: NodeId, _s: &mut MutexState, client: ClientId, _req: (), ctx: &mut Ctx<'_, Self>) {
        ctx.reply(client, ());
    }

    fn recover(&self, id: NodeId, _durable: Option<&()>, ctx: &mut Ctx<'_, Self>) -> MutexState {
        self.init(id, ctx)
    }

    fn check_invariants(&self, m: &mut MutexMonitor, view: &SystemView<'_, Self>) -> Result<(), Violation> {
        let n = view.states.len();
        if m.was_in_cs.len() != n {
            m.was_in_cs = vec![false; n];
            m.waiting_since = vec![None; n];
        }
        let inside: Vec<(usize, Stamp)> = view
            .states
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().filter(|s| s.in_cs).map(|s| (i, s.request.unwrap_or((0, i as u32)))))
            .collect();
        if inside.len() > 1 {
            let who: Vec<String> = inside.iter().map(|(i, r)| format!("n{i} (request {}@n{})", r.0, r.1)).collect();
            return Err(Violation::new(
                "mutual-exclusion",
                format!("{} nodes in the critical section: {}", inside.len(), who.join(", ")),
            ));
        }
        let Some(node) = view.changed else { return Ok(()) };
        let i = node.index();
        let state = view.states[i].as_ref();
        let in_cs = state.is_some_and(|s| s.in_cs);
        match state.and_then(|s| s.request) {
            Some(_) if !in_cs => {
                m.waiting_since[i].get_or_insert(view.time);
            }
            _ => m.waiting_since[i] = None,
        }
        if in_cs && !m.was_in_cs[i] {
            let grant = state.and_then(|s| s.request).unwrap_or((0, i as u32));
            if let Some(last) = m.last_grant {
                if grant < last {
                    return Err(Violation::new(
                        "fairness",
                        format!(
                            "n{i} entered with request {}@n{} after request {}@n{} was granted",
                            grant.0, grant.1, last.0, last.1
                        ),
                    ));
                }
            }
            m.last_grant = Some(grant);
        }
        m.was_in_cs[i] = in_cs;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::{Choices, Effect};

    fn run<R>(node: u32, f: impl FnOnce(&mut Ctx<'_, LamportMutex>) -> R) -> (R, Vec<Effect<LamportMutex>>) {
        let mut effects = Vec::new();
        let mut choices = Choices::seeded(1);
        let mut ctx = Ctx::new(NodeId(node), 2, 0, false, &mut effects, &mut choices);
        let r = f(&mut ctx);
        (r, effects)
    }

    #[test]
    fn enters_only_after_hearing_later_from_everyone() {
        let p = LamportMutex::default();
        let (mut s, _) = run(0, |ctx| p.init(NodeId(0), ctx));
        run(0, |ctx| p.on_timer(NodeId(0), &mut s, MutexTimer::Want, ctx));
        assert!(!s.in_cs, "no acknowledgment yet");
        // n1's request is stamped 1 too: ours (1, n0) is first, but 1 is not later than 1.
        run(0, |ctx| p.on_message(NodeId(0), &mut s, NodeId(1), MutexMsg::Request { ts: 1 }, ctx));
        assert!(!s.in_cs, "rule 5(ii): nothing heard from n1 later than our request");
        run(0, |ctx| p.on_message(NodeId(0), &mut s, NodeId(1), MutexMsg::Ack { ts: 3 }, ctx));
        assert!(s.in_cs);
        // Leaving releases to everyone and dequeues our request.
        let (_, effects) = run(0, |ctx| p.on_timer(NodeId(0), &mut s, MutexTimer::Leave, ctx));
        assert!(effects.iter().any(|e| matches!(e, Effect::Send { msg: MutexMsg::Release { request: 1, .. }, .. })));
        assert_eq!(s.queue.iter().copied().collect::<Vec<_>>(), vec![(1, 1)]);
    }

    #[test]
    fn an_earlier_request_goes_first_and_odd_orders_do_not_panic() {
        let p = LamportMutex::default();
        let (mut s, _) = run(1, |ctx| p.init(NodeId(1), ctx));
        run(1, |ctx| p.on_message(NodeId(1), &mut s, NodeId(0), MutexMsg::Request { ts: 1 }, ctx));
        run(1, |ctx| p.on_timer(NodeId(1), &mut s, MutexTimer::Want, ctx));
        assert!(!s.in_cs, "(1, n0) is ahead of our request");
        // A release for an unknown request, a stray Leave, a duplicate request.
        run(1, |ctx| p.on_message(NodeId(1), &mut s, NodeId(0), MutexMsg::Release { ts: 9, request: 7 }, ctx));
        run(1, |ctx| p.on_timer(NodeId(1), &mut s, MutexTimer::Leave, ctx));
        run(1, |ctx| p.on_message(NodeId(1), &mut s, NodeId(0), MutexMsg::Request { ts: 1 }, ctx));
        assert!(!s.in_cs);
        run(1, |ctx| p.on_message(NodeId(1), &mut s, NodeId(0), MutexMsg::Release { ts: 12, request: 1 }, ctx));
        assert!(s.in_cs, "n0 released and was heard later");
    }
}
