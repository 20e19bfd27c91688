//! The driver's Byzantine side: message authentication at the receiver and
//! the strategies of Byzantine nodes.
//!
//! A world is *adversarial* when it has an arbitrary link or schedules a
//! Byzantine node at any time. Only then does the engine seal every message
//! with an [`Envelope`] (a MAC on claimed sender, receiver and content) and
//! check it at delivery; honest worlds draw nothing, record nothing and
//! carry no envelopes, so their runs and trace hashes are what they were
//! before Byzantine faults existed. Every decision here draws from the
//! `adversary` stream, so the network's and nodes' draws do not move.

use super::{Event, Simulator};
use crate::auth::Envelope;
use crate::byzantine::{ByzantineCtx, Strategy};
use crate::choices::Stream;
use crate::hash::stable_hash;
use crate::ids::{Actor, ClientId, NodeId};
use crate::protocol::Protocol;
use crate::ratio::Ratio;
use crate::time::Time;
use crate::trace::TraceKind;
use crate::workload::Workload;
use crate::world::WorldConfig;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// How many of its own past messages a `replay` node remembers.
const REPLAY_MEMORY: usize = 16;

/// How a message is sealed when it leaves.
pub(super) enum Seal {
    /// By its real sender (the only kind a correct node sends).
    Genuine,
    /// Claiming another sender, with MAC bits the forger made up.
    Forged { claimed: NodeId, bits: u64 },
    /// Genuine, then bits of the content flipped (a corrupting sender).
    Flipped(u64),
}

/// Which nodes are Byzantine and what they remember; the arbitrary links'
/// drawn rates and memories (see `arbitrary_links.rs`).
pub(super) struct ByzantineWorld<P: Protocol> {
    /// Seal and check envelopes (the world is adversarial).
    pub authenticate: bool,
    pub strategies: Vec<Option<Strategy>>,
    /// Empty until a node turns, so honest views stay empty.
    pub flags: Vec<bool>,
    /// Per node: its recent messages, for `replay`.
    pub sent: Vec<Vec<P::Msg>>,
    /// Per link: the adversary's rates as drawn for this run (None: honest link).
    pub rates: Vec<Option<super::arbitrary_links::Rates>>,
    /// Per link: recent messages with their envelopes, for the adversary's replays.
    pub history: Vec<Vec<super::arbitrary_links::Remembered<P>>>,
}

impl<P: Protocol> ByzantineWorld<P> {
    pub fn new(config: &WorldConfig) -> Self {
        let n = config.nodes;
        ByzantineWorld {
            authenticate: config.schedule.is_adversarial() || config.links.iter().any(|l| l.adversary.is_some()),
            strategies: vec![None; n],
            flags: Vec::new(),
            sent: vec![Vec::new(); n],
            rates: vec![None; n * n],
            history: (0..n * n).map(|_| Vec::new()).collect(),
        }
    }

    pub fn is_byzantine(&self, node: NodeId) -> bool {
        self.strategies[node.index()].is_some()
    }

    fn strategy(&self, node: NodeId) -> Option<&Strategy> {
        self.strategies[node.index()].as_ref()
    }

    /// The envelope a message `from -> to` with content hash `digest` leaves with.
    pub fn seal(&self, from: NodeId, to: NodeId, digest: u64, seal: Seal) -> Option<Box<Envelope>> {
        match seal {
            Seal::Genuine if !self.authenticate => None,
            Seal::Genuine => Some(Box::new(Envelope::seal(from, to, digest))),
            Seal::Forged { claimed, bits } => Some(Box::new(Envelope::forged(claimed, bits))),
            Seal::Flipped(flips) => Some(Box::new(Envelope { flips, ..Envelope::seal(from, to, digest) })),
        }
    }
}

impl<P: Protocol, W: Workload<P>> Simulator<P, W> {
    /// Records what a Byzantine node or link adversary did (hashed).
    pub(super) fn record_byzantine(
        &mut self,
        actor: NodeId,
        peer: Option<NodeId>,
        cause: Option<u64>,
        payload: u64,
        detail: impl FnOnce() -> String,
    ) -> u64 {
        self.stats.byzantine_actions += 1;
        self.trace.record(
            self.now,
            TraceKind::Byzantine,
            Actor::Node(actor),
            peer.map(Actor::Node),
            cause,
            payload,
            detail,
        )
    }

    /// The receiver's check. Returns the sender to hand the message to, or
    /// `None` when it fails authentication (then it is recorded and dropped).
    pub(super) fn authenticate(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: &P::Msg,
        send: u64,
        auth: Option<Box<Envelope>>,
    ) -> Option<NodeId> {
        let Some(envelope) = auth else { return Some(from) };
        if envelope.verify(to, stable_hash(msg)) {
            return Some(envelope.claimed);
        }
        self.stats.messages_rejected += 1;
        let claimed = envelope.claimed;
        self.trace.record(
            self.now,
            TraceKind::Rejected,
            Actor::Node(to),
            Some(Actor::Node(claimed)),
            Some(send),
            stable_hash(&(claimed.0, envelope.mac, envelope.flips)),
            || {
                let why = if envelope.flips != 0 { "corrupted in transit" } else { "forged" };
                format!("authentication failed ({why}; claims {claimed}, sent by {from}): {msg:?}")
            },
        );
        None
    }

    /// Turns `node` Byzantine (a scheduled fault).
    pub(super) fn turn_byzantine(&mut self, node: NodeId, strategy: &Strategy, payload: u64) {
        self.trace.record(self.now, TraceKind::Fault, Actor::World, None, None, payload, || {
            format!("{node} turns Byzantine: {strategy}")
        });
        if self.byz.flags.is_empty() {
            self.byz.flags = vec![false; self.config.nodes];
        }
        self.byz.flags[node.index()] = true;
        self.byz.strategies[node.index()] = Some(strategy.clone());
    }

    /// A silent Byzantine node withholds its replies to clients too.
    pub(super) fn withholds_reply(&mut self, node: NodeId, client: ClientId, response: &P::Response) -> bool {
        if self.byz.strategy(node) != Some(&Strategy::Silent) {
            return false;
        }
        self.stats.byzantine_actions += 1;
        self.trace.record(
            self.now,
            TraceKind::Byzantine,
            Actor::Node(node),
            Some(Actor::Client(client)),
            None,
            stable_hash(response),
            || format!("silent: withholds the reply {response:?}"),
        );
        true
    }

    /// `lie-about-state` and protocol strategies: lets the protocol rewrite
    /// the node's state before its handler runs. False if the hook panicked
    /// (the run then ends with that panic).
    pub(super) fn lie_before_handler(&mut self, node: NodeId) -> bool {
        let strategy = match self.byz.strategy(node) {
            Some(s @ (Strategy::LieAboutState | Strategy::Protocol(_))) => s.clone(),
            _ => return true,
        };
        let Some(state) = self.states[node.index()].as_mut() else { return true };
        let mut byz = ByzantineCtx::new(node, self.config.nodes, strategy.name(), &mut self.choices);
        let protocol = &self.protocol;
        match catch_unwind(AssertUnwindSafe(|| protocol.lie_about_state(state, &mut byz))) {
            Ok(Some(claim)) => {
                self.record_byzantine(node, None, None, stable_hash(&claim), || format!("{strategy}: {claim}"));
                true
            }
            Ok(None) => true,
            Err(payload) => {
                let message = format!("in lie_about_state: {}", super::panic_message(payload));
                self.record_panic(Some(node), message);
                false
            }
        }
    }

    /// The protocol's tampered version of `msg` for `to`, recorded when it differs.
    fn tampered(&mut self, from: NodeId, to: NodeId, msg: &P::Msg, strategy: &Strategy) -> Option<P::Msg> {
        let state = self.states[from.index()].as_ref()?;
        let mut byz = ByzantineCtx::new(from, self.config.nodes, strategy.name(), &mut self.choices);
        let protocol = &self.protocol;
        match catch_unwind(AssertUnwindSafe(|| protocol.tamper(state, to, msg, &mut byz))) {
            Ok(Some(changed)) if changed != *msg => {
                self.record_byzantine(from, Some(to), None, stable_hash(&changed), || {
                    format!("{strategy}: sends {changed:?} instead of {msg:?}")
                });
                Some(changed)
            }
            Ok(_) => None,
            Err(payload) => {
                let message = format!("in tamper: {}", super::panic_message(payload));
                self.record_panic(Some(from), message);
                None
            }
        }
    }

    /// A Byzantine node's send, played by its strategy.
    pub(super) fn byzantine_send(&mut self, from: NodeId, to: NodeId, msg: P::Msg) {
        let Some(strategy) = self.byz.strategy(from).cloned() else {
            return self.transmit(from, to, msg);
        };
        match &strategy {
            Strategy::Silent => {
                self.record_byzantine(from, Some(to), None, stable_hash(&msg), || format!("silent: withholds {msg:?}"));
            }
            Strategy::LieAboutState => self.transmit(from, to, msg),
            Strategy::Replay => {
                let memory = &self.byz.sent[from.index()];
                if !memory.is_empty() && self.choices.chance(Stream::Adversary, Ratio::new(1, 2)) {
                    let old = memory[self.choices.index(Stream::Adversary, memory.len())].clone();
                    self.record_byzantine(from, Some(to), None, stable_hash(&old), || {
                        format!("replay: re-sends an old message {old:?}")
                    });
                    self.transmit(from, to, old);
                }
                let memory = &mut self.byz.sent[from.index()];
                if memory.len() == REPLAY_MEMORY {
                    memory.remove(0);
                }
                memory.push(msg.clone());
                self.transmit(from, to, msg);
            }
            Strategy::Forge => {
                let msg = self.tampered(from, to, &msg, &strategy).unwrap_or(msg);
                let n = self.config.nodes as u64;
                if n > 1 {
                    let k = self.choices.draw(Stream::Adversary, n - 1) as u32;
                    let claimed = NodeId(if k >= from.0 { k + 1 } else { k });
                    let bits = self.choices.draw(Stream::Adversary, u64::MAX);
                    self.record_byzantine(from, Some(to), None, stable_hash(&(claimed.0, bits)), || {
                        format!("forge: a copy claiming to come from {claimed}")
                    });
                    self.transmit_sealed(from, to, msg.clone(), Seal::Forged { claimed, bits });
                }
                self.transmit(from, to, msg);
            }
            Strategy::Equivocate | Strategy::Corrupt | Strategy::Protocol(_) => {
                match self.tampered(from, to, &msg, &strategy) {
                    Some(changed) => self.transmit(from, to, changed),
                    None if strategy == Strategy::Corrupt => {
                        // No field-level corruption from the protocol: flip
                        // bits after the MAC, which the receiver rejects.
                        let flips = self.choices.draw(Stream::Adversary, u64::MAX) | 1;
                        self.record_byzantine(from, Some(to), None, flips, || {
                            format!("corrupt: flips bits of {msg:?} after sealing it")
                        });
                        self.transmit_sealed(from, to, msg, Seal::Flipped(flips));
                    }
                    None => self.transmit(from, to, msg),
                }
            }
        }
    }

    /// Queues one delivery of an extra message (a replay or an injection)
    /// on the link `from -> to`, `after` from now.
    pub(super) fn inject(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: P::Msg,
        send: u64,
        auth: Option<Box<Envelope>>,
        after: Time,
    ) {
        let l = from.index() * self.config.nodes + to.index();
        let payload = stable_hash(&msg);
        self.inflight[l] += 1;
        self.queue.push(self.now.saturating_add(after), Event::Deliver { from, to, msg, send, payload, auth });
    }
}
