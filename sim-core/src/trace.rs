//! The trace: every event of a run, and the trace hash over them.
//!
//! Every event is hashed (with [`StableHasher`]) whatever the trace level, so
//! the hash is the same in `Full` and `HashOnly` runs; `Full` also keeps each
//! event with a printable description for reports and replays. Deliveries
//! name the send they answer (`cause`), so Lamport and vector timestamps can
//! be derived afterwards.

use crate::hash::StableHasher;
use crate::ids::Actor;
use crate::time::Time;
use serde::{Deserialize, Serialize};

/// How much of the trace a run keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TraceLevel {
    /// Keep every event with its description.
    Full,
    /// Keep only the hash (fuzzing: the hot path stays cheap).
    HashOnly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TraceKind {
    /// A node sent a message (or a client a request, or a node a reply).
    Send,
    Deliver,
    /// Lost: by the link, a partition, a crashed receiver or a full link.
    Drop,
    /// The link delivers one more copy.
    Duplicate,
    Timer,
    Crash,
    Recover,
    Fault,
    Persist,
    /// A client starts an operation.
    Invoke,
    /// A client finishes an operation (ok, fail or info).
    Complete,
    Note,
    Violation,
    Panic,
    /// A node's whole state after an event ran on it (full traces only, not
    /// hashed): what reports show when stepping through a run.
    State,
    /// A Byzantine node or an arbitrary link's adversary acted: withheld,
    /// tampered with, forged, replayed, corrupted or delayed a message, or
    /// lied about the node's state.
    Byzantine,
    /// A message failed authentication at its receiver (forged or corrupted)
    /// and was discarded.
    Rejected,
}

impl TraceKind {
    fn tag(self) -> u64 {
        self as u64
    }
}

/// One event of a full trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEvent {
    /// Position in the trace (also the id that `cause` refers to).
    pub index: u64,
    pub time: Time,
    pub kind: TraceKind,
    /// Who acted (the sender for a send, the receiver for a delivery).
    pub actor: Actor,
    /// The other party, if any (the receiver of a send, the sender of a delivery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<Actor>,
    /// The send event this delivery, drop or duplicate answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<u64>,
    pub detail: String,
}

/// Records events: hashes all of them; keeps them when the level is `Full`.
#[derive(Clone, Debug)]
pub struct Trace {
    level: TraceLevel,
    /// Two independent lanes, so the hot path's multiply chains overlap:
    /// `who` takes (kind | actor << 8), peer and cause; `what` takes time and payload.
    who: StableHasher,
    what: StableHasher,
    /// Hashed events so far; an event's ordinal is its id for `cause`.
    next_ordinal: u64,
    /// Full traces: ordinal -> position in `events` (notes have no ordinal).
    positions: Vec<u64>,
    events: Vec<TraceEvent>,
}

fn actor_word(a: Actor) -> u64 {
    match a {
        Actor::Node(n) => n.0 as u64,
        Actor::Client(c) => (1 << 32) | c.0 as u64,
        Actor::World => 2 << 32,
    }
}

impl Trace {
    pub fn new(level: TraceLevel) -> Self {
        Trace {
            level,
            who: StableHasher::new(),
            what: StableHasher::new(),
            next_ordinal: 0,
            positions: Vec::new(),
            events: Vec::new(),
        }
    }

    pub fn level(&self) -> TraceLevel {
        self.level
    }

    pub fn is_full(&self) -> bool {
        self.level == TraceLevel::Full
    }

    /// Records one event and returns its id (for `cause` of later events).
    /// `payload` is the stable hash of what the event carries (message,
    /// timer, fault, ...); `detail` is only called for full traces.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        time: Time,
        kind: TraceKind,
        actor: Actor,
        peer: Option<Actor>,
        cause: Option<u64>,
        payload: u64,
        detail: impl FnOnce() -> String,
    ) -> u64 {
        let ordinal = self.next_ordinal;
        self.next_ordinal += 1;
        self.who.add_word(kind.tag() | actor_word(actor) << 8);
        self.what.add_word(time);
        self.who.add_word(peer.map_or(u64::MAX, actor_word));
        self.what.add_word(payload);
        self.who.add_word(cause.unwrap_or(u64::MAX));
        if self.level == TraceLevel::Full {
            let index = self.events.len() as u64;
            self.positions.push(index);
            let cause = cause.map(|c| self.positions[c as usize]);
            self.events.push(TraceEvent { index, time, kind, actor, peer, cause, detail: detail() });
        }
        ordinal
    }

    /// Records a note (a protocol's remark). Notes exist only in full traces
    /// and are not hashed, so they never change a run's hash.
    pub fn note(&mut self, time: Time, actor: Actor, text: impl FnOnce() -> String) {
        self.unhashed(time, TraceKind::Note, actor, text);
    }

    /// Records a node's state snapshot (full traces only, not hashed).
    pub fn state(&mut self, time: Time, actor: Actor, text: impl FnOnce() -> String) {
        self.unhashed(time, TraceKind::State, actor, text);
    }

    fn unhashed(&mut self, time: Time, kind: TraceKind, actor: Actor, text: impl FnOnce() -> String) {
        if self.level == TraceLevel::Full {
            let index = self.events.len() as u64;
            self.events.push(TraceEvent { index, time, kind, actor, peer: None, cause: None, detail: text() });
        }
    }

    /// The trace hash so far: `mix64(who ^ rotl(what, 32))` over the two
    /// lanes' raw states (see `record` for what each lane takes, in order).
    pub fn hash(&self) -> u64 {
        crate::hash::mix64(self.who.raw() ^ self.what.raw().rotate_left(32))
    }

    /// How many hashed events were recorded (notes not counted).
    pub fn len(&self) -> u64 {
        self.next_ordinal
    }

    pub fn is_empty(&self) -> bool {
        self.next_ordinal == 0
    }

    pub fn events(&self) -> &[TraceEvent] {
        &self.events
    }

    pub fn into_events(self) -> Vec<TraceEvent> {
        self.events
    }
}
