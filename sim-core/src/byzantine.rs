//! Byzantine behaviour as data: the strategies a node can turn to
//! ([`Fault::Byzantine`](crate::Fault::Byzantine)) and the names scenarios
//! spell them with.
//!
//! The engine plays the generic strategies by itself; the ones that change a
//! message's content or a node's state ask the protocol
//! ([`Protocol::tamper`](crate::Protocol::tamper),
//! [`Protocol::lie_about_state`](crate::Protocol::lie_about_state)), which
//! knows what a plausible lie looks like. A protocol may name strategies of
//! its own ([`Protocol::byzantine_strategies`](crate::Protocol::byzantine_strategies)).
//! What a Byzantine node does is in the trace (`byzantine` events); how the
//! engine plays each strategy is in `sim/byzantine_nodes.rs`.

use crate::auth::Signed;
use crate::choices::{Choices, Stream};
use crate::ids::NodeId;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::hash::Hash;

/// What a Byzantine node does from the moment it turns.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strategy {
    /// Sends nothing (to nodes or clients) but keeps receiving.
    Silent,
    /// Sends, for the same step, different messages to different peers
    /// (the protocol's `tamper` says what each peer gets).
    Equivocate,
    /// Besides its messages, re-sends old messages of its own (authentic but stale).
    Replay,
    /// Sends messages with wrong field values (the protocol's `tamper`);
    /// where the protocol gives none, bytes flipped after the MAC, which the
    /// receiver rejects.
    Corrupt,
    /// Besides its messages, sends copies claiming another node as sender;
    /// they fail authentication. The protocol's `tamper` may also forge
    /// signatures inside its own messages.
    Forge,
    /// Rewrites its own state before each of its handlers (the protocol's
    /// `lie_about_state`), so everything it says rests on the lie.
    LieAboutState,
    /// A strategy the protocol defines (its `tamper` and `lie_about_state`
    /// get the name).
    Protocol(String),
}

/// The strategies every protocol has, as scenarios spell them.
pub const GENERIC_STRATEGIES: &[&str] = &["silent", "equivocate", "replay", "corrupt", "forge", "lie-about-state"];

impl Strategy {
    /// Reads a strategy name; names that are not generic are the protocol's
    /// (checked against it by [`Strategy::validate`]).
    pub fn parse(name: &str) -> Strategy {
        match name {
            "silent" => Strategy::Silent,
            "equivocate" => Strategy::Equivocate,
            "replay" => Strategy::Replay,
            "corrupt" => Strategy::Corrupt,
            "forge" => Strategy::Forge,
            "lie-about-state" => Strategy::LieAboutState,
            other => Strategy::Protocol(other.to_string()),
        }
    }

    /// The name as scenarios spell it.
    pub fn name(&self) -> &str {
        match self {
            Strategy::Silent => "silent",
            Strategy::Equivocate => "equivocate",
            Strategy::Replay => "replay",
            Strategy::Corrupt => "corrupt",
            Strategy::Forge => "forge",
            Strategy::LieAboutState => "lie-about-state",
            Strategy::Protocol(name) => name,
        }
    }

    /// Checks a protocol strategy is one the protocol defines; the message
    /// lists every strategy it knows.
    pub fn validate(&self, protocol: &str, own: &[&str]) -> Result<(), String> {
        match self {
            Strategy::Protocol(name) if !own.contains(&name.as_str()) => Err(format!(
                "unknown Byzantine strategy `{name}` for {protocol} (known: {})",
                known_strategies(own).join(", ")
            )),
            _ => Ok(()),
        }
    }
}

/// Every strategy name a protocol accepts: the generic ones, then its own.
pub fn known_strategies(own: &[&str]) -> Vec<String> {
    GENERIC_STRATEGIES.iter().chain(own).map(|s| s.to_string()).collect()
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Strategy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Strategy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        if name.is_empty() {
            return Err(serde::de::Error::custom(format!(
                "empty Byzantine strategy (generic ones: {})",
                GENERIC_STRATEGIES.join(", ")
            )));
        }
        Ok(Strategy::parse(&name))
    }
}

/// What a protocol's Byzantine hooks may use: the strategy's name, the
/// Byzantine node's identity and signature (it can sign as itself, never as
/// another), and draws from the adversary stream.
pub struct ByzantineCtx<'a> {
    node: NodeId,
    node_count: usize,
    strategy: &'a str,
    choices: &'a mut Choices,
}

impl<'a> ByzantineCtx<'a> {
    /// Drivers (the simulator, unit tests) build contexts.
    pub fn new(node: NodeId, node_count: usize, strategy: &'a str, choices: &'a mut Choices) -> Self {
        ByzantineCtx { node, node_count, strategy, choices }
    }

    /// The strategy being played (`equivocate`, `corrupt`, `forge`,
    /// `lie-about-state` or one of the protocol's).
    pub fn strategy(&self) -> &str {
        self.strategy
    }

    /// The Byzantine node.
    pub fn id(&self) -> NodeId {
        self.node
    }

    pub fn node_count(&self) -> usize {
        self.node_count
    }

    /// Signs `body` as the Byzantine node (a lie it can sign; it cannot sign
    /// as anyone else: see [`crate::auth`]).
    pub fn sign<T: Hash>(&self, body: T) -> Signed<T> {
        Signed::sign_as(self.node, body)
    }

    /// A random value in `0..bound` (`bound` 0 gives 0) from the adversary stream.
    pub fn draw(&mut self, bound: u64) -> u64 {
        self.choices.draw(Stream::Adversary, bound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_named() {
        for name in GENERIC_STRATEGIES {
            let s = Strategy::parse(name);
            assert!(!matches!(s, Strategy::Protocol(_)), "{name} is generic");
            assert_eq!(s.name(), *name);
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{name}\""));
            assert!(s.validate("p", &[]).is_ok());
        }
        let own = Strategy::parse("steal-votes");
        assert!(own.validate("raft", &["steal-votes"]).is_ok());
        let err = Strategy::parse("teleport").validate("raft", &["steal-votes"]).unwrap_err();
        assert!(err.contains("`teleport`") && err.contains("lie-about-state") && err.contains("steal-votes"), "{err}");
        assert!(serde_json::from_str::<Strategy>("\"\"").is_err());
    }
}
