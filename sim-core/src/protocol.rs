//! The protocol API: a protocol is an immutable configuration plus pure
//! handlers over a separate, cloneable per-node state.
//!
//! Handlers never do I/O, read clocks or draw random numbers on their own:
//! they act only through [`Ctx`], which records effects. That is what lets
//! the same code run under the simulator (one path, drawn from a seed) and
//! the explorer (every path, with state hashing).

use crate::auth::Signed;
use crate::byzantine::ByzantineCtx;
use crate::choices::{Choices, Stream};
use crate::ids::{ClientId, NodeId};
use crate::time::Time;
use std::fmt::Debug;
use std::hash::Hash;

/// Bounds every protocol value type needs: cloneable (explorer branches),
/// comparable and hashable (state hashing, trace hashing), printable (traces).
pub trait Value: Clone + Eq + Hash + Debug + 'static {}
impl<T: Clone + Eq + Hash + Debug + 'static> Value for T {}

/// A distributed protocol.
pub trait Protocol: Sized + 'static {
    /// A node's volatile state (lost on a crash).
    type State: Value;
    /// Messages between nodes.
    type Msg: Value;
    /// Timer names; setting a timer equal to a pending one restarts it.
    type Timer: Value;
    /// What `ctx.persist` saves: the only state a crash does not erase.
    type Durable: Value;
    /// A client request.
    type Request: Value;
    /// A reply to a client.
    type Response: Value;
    /// History variables for invariants that need memory across events
    /// (e.g. "the first entry ever committed at index i"). `()` if none.
    type Monitor: Value + Default;

    /// The protocol's name as scenarios spell it (`raft`).
    fn name(&self) -> &'static str;

    /// A fresh node.
    fn init(&self, id: NodeId, ctx: &mut Ctx<'_, Self>) -> Self::State;

    fn on_message(&self, id: NodeId, state: &mut Self::State, from: NodeId, msg: Self::Msg, ctx: &mut Ctx<'_, Self>);

    fn on_timer(&self, id: NodeId, state: &mut Self::State, timer: Self::Timer, ctx: &mut Ctx<'_, Self>);

    fn on_request(
        &self,
        id: NodeId,
        state: &mut Self::State,
        client: ClientId,
        request: Self::Request,
        ctx: &mut Ctx<'_, Self>,
    );

    /// A node restarting after a crash, from its last persisted state.
    fn recover(&self, id: NodeId, durable: Option<&Self::Durable>, ctx: &mut Ctx<'_, Self>) -> Self::State;

    /// Whether this node currently believes it leads (for nemeses that target
    /// the leader, as Jepsen's do). Leaderless protocols keep the default.
    fn is_leader(&self, _state: &Self::State) -> bool {
        false
    }

    /// Byzantine strategies this protocol defines besides the generic ones
    /// (`crate::byzantine::GENERIC_STRATEGIES`), as scenarios spell them.
    /// Its `tamper` and `lie_about_state` receive these names.
    fn byzantine_strategies(&self) -> &'static [&'static str] {
        &[]
    }

    /// What a Byzantine node whose state is `state` sends to `to` instead of
    /// `msg`, under the strategy `byz.strategy()` (`equivocate`, `corrupt`,
    /// `forge` or one of the protocol's). Called once per recipient, so
    /// equivocation can give each peer its own version. `None`: no tampering
    /// (the message goes as it is). `byz` signs as the Byzantine node only,
    /// and draws from the adversary stream.
    fn tamper(
        &self,
        _state: &Self::State,
        _to: NodeId,
        _msg: &Self::Msg,
        _byz: &mut ByzantineCtx<'_>,
    ) -> Option<Self::Msg> {
        None
    }

    /// `lie-about-state` (and the protocol's strategies): rewrites a Byzantine
    /// node's own state before each of its handlers runs, so what it then
    /// says rests on the lie. Returns what it claimed, for the trace (`None`:
    /// nothing changed).
    fn lie_about_state(&self, _state: &mut Self::State, _byz: &mut ByzantineCtx<'_>) -> Option<String> {
        None
    }

    /// Checks the safety invariants over all nodes; called after every event.
    /// Keep it cheap: `view.changed` names the node the last event touched.
    /// Judge correct nodes only (`view.is_correct`): a Byzantine node's
    /// state is whatever it pretends.
    fn check_invariants(&self, _monitor: &mut Self::Monitor, _view: &SystemView<'_, Self>) -> Result<(), Violation> {
        Ok(())
    }
}

/// What the invariants see: every node's state (`None` while crashed) and
/// durable state, and which nodes are Byzantine.
pub struct SystemView<'a, P: Protocol> {
    pub states: &'a [Option<P::State>],
    pub durables: &'a [Option<P::Durable>],
    /// The node the last event ran on, if any.
    pub changed: Option<NodeId>,
    pub time: Time,
    /// `byzantine[i]`: node `i` has turned Byzantine. May be shorter than
    /// `states` (empty: no Byzantine node); use [`SystemView::is_correct`].
    pub byzantine: &'a [bool],
}

impl<P: Protocol> SystemView<'_, P> {
    /// Whether `node` is correct (not Byzantine): invariants judge only these.
    pub fn is_correct(&self, node: NodeId) -> bool {
        !self.byzantine.get(node.index()).copied().unwrap_or(false)
    }

    /// The state of a live, correct node (`None` if crashed or Byzantine).
    pub fn correct_state(&self, node: NodeId) -> Option<&P::State> {
        if self.is_correct(node) {
            self.states.get(node.index()).and_then(Option::as_ref)
        } else {
            None
        }
    }
}

/// A broken invariant.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Violation {
    /// The invariant's name, e.g. `election-safety`.
    pub invariant: String,
    /// What was seen, naming nodes, terms, indices.
    pub detail: String,
}

impl Violation {
    pub fn new(invariant: impl Into<String>, detail: impl Into<String>) -> Self {
        Violation { invariant: invariant.into(), detail: detail.into() }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.invariant, self.detail)
    }
}

/// An effect a handler asked for, applied by the driver after the handler returns.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Effect<P: Protocol> {
    Send { to: NodeId, msg: P::Msg },
    SetTimer { timer: P::Timer, after: Time },
    CancelTimer { timer: P::Timer },
    Persist { durable: P::Durable },
    Reply { client: ClientId, response: P::Response },
    Note { text: String },
}

/// The handler's window on the world. Records effects; draws randomness from
/// the node's own stream.
pub struct Ctx<'a, P: Protocol> {
    node: NodeId,
    node_count: usize,
    local_time: Time,
    notes: bool,
    effects: &'a mut Vec<Effect<P>>,
    choices: &'a mut Choices,
}

impl<'a, P: Protocol> Ctx<'a, P> {
    /// Drivers (the simulator, the explorer, unit tests) build contexts.
    pub fn new(
        node: NodeId,
        node_count: usize,
        local_time: Time,
        notes: bool,
        effects: &'a mut Vec<Effect<P>>,
        choices: &'a mut Choices,
    ) -> Self {
        Ctx { node, node_count, local_time, notes, effects, choices }
    }

    /// This node.
    pub fn id(&self) -> NodeId {
        self.node
    }

    /// How many nodes the cluster has.
    pub fn node_count(&self) -> usize {
        self.node_count
    }

    /// All nodes, in order.
    pub fn nodes(&self) -> impl Iterator<Item = NodeId> {
        (0..self.node_count as u32).map(NodeId)
    }

    /// The node's own clock (may be skewed or drifting).
    pub fn local_time(&self) -> Time {
        self.local_time
    }

    pub fn send(&mut self, to: NodeId, msg: P::Msg) {
        self.effects.push(Effect::Send { to, msg });
    }

    /// Sends to every other node.
    pub fn broadcast(&mut self, msg: P::Msg) {
        for i in 0..self.node_count as u32 {
            if i != self.node.0 {
                self.effects.push(Effect::Send { to: NodeId(i), msg: msg.clone() });
            }
        }
    }

    /// Fires `timer` after `after` nanoseconds of this node's local clock;
    /// restarts it if it is already pending.
    pub fn set_timer(&mut self, timer: P::Timer, after: Time) {
        self.effects.push(Effect::SetTimer { timer, after });
    }

    pub fn cancel_timer(&mut self, timer: P::Timer) {
        self.effects.push(Effect::CancelTimer { timer });
    }

    /// Saves the durable state (replacing the previous one).
    pub fn persist(&mut self, durable: P::Durable) {
        self.effects.push(Effect::Persist { durable });
    }

    pub fn reply(&mut self, client: ClientId, response: P::Response) {
        self.effects.push(Effect::Reply { client, response });
    }

    /// A remark shown in full traces. The closure only runs when traces are
    /// kept, so notes cost nothing while fuzzing.
    pub fn note(&mut self, text: impl FnOnce() -> String) {
        if self.notes {
            self.effects.push(Effect::Note { text: text() });
        }
    }

    /// Signs `body` as this node (and only as this node: see [`crate::auth`]).
    pub fn sign<T: Hash>(&self, body: T) -> Signed<T> {
        Signed::sign_as(self.node, body)
    }

    /// A random value in `0..bound` from this node's stream.
    pub fn random(&mut self, bound: u64) -> u64 {
        self.choices.draw(Stream::Node(self.node), bound)
    }

    /// A random value in `lo..=hi` from this node's stream.
    pub fn random_range(&mut self, lo: u64, hi: u64) -> u64 {
        self.choices.range(Stream::Node(self.node), lo, hi)
    }
}
