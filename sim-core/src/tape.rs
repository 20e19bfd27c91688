//! Tapes kept per lane: one list of draws for each stream, and for the
//! network one list per node-to-node link.
//!
//! A single flat tape interleaves every stream, so deleting or lowering one
//! draw moves every later draw of every stream: a shrinker's edit to one
//! message delay would re-time every node's timers too and the run would
//! rarely keep its violation. With a tape per lane an edit moves only the
//! later draws of its own lane (one link's later delays, one node's later
//! timers). Lanes change nothing about seeded runs: a lane is only where a
//! draw is written down, the value still comes from its stream's generator.
//!
//! In JSON a lane is a string: `network`, `faults`, `workload`,
//! `adversary`, `n3` (node 3's own stream) or `network n0->n2` (the link
//! from n0 to n2); the network lane without a link holds the client links'
//! draws.

use crate::choices::Stream;
use crate::ids::NodeId;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Where a draw is written on a tape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lane {
    pub stream: Stream,
    /// For network draws made while sending over a node-to-node link.
    pub link: Option<(NodeId, NodeId)>,
}

impl Lane {
    pub fn of(stream: Stream) -> Lane {
        Lane { stream, link: None }
    }
}

impl fmt::Display for Lane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stream {
            Stream::Network => write!(f, "network")?,
            Stream::Faults => write!(f, "faults")?,
            Stream::Workload => write!(f, "workload")?,
            Stream::Adversary => write!(f, "adversary")?,
            Stream::Node(n) => write!(f, "{n}")?,
        }
        if let Some((from, to)) = self.link {
            write!(f, " {from}->{to}")?;
        }
        Ok(())
    }
}

fn parse_node(s: &str) -> Option<NodeId> {
    let digits = s.strip_prefix('n')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(NodeId)
}

impl FromStr for Lane {
    type Err = String;

    fn from_str(s: &str) -> Result<Lane, String> {
        let bad = || {
            format!("unknown tape lane `{s}` (expected network, faults, workload, adversary, nN or `network nA->nB`)")
        };
        let (head, link) = match s.split_once(' ') {
            Some((head, link)) => (head, Some(link)),
            None => (s, None),
        };
        let stream = match head {
            "network" => Stream::Network,
            "faults" => Stream::Faults,
            "workload" => Stream::Workload,
            "adversary" => Stream::Adversary,
            other => Stream::Node(parse_node(other).ok_or_else(bad)?),
        };
        let link = match link {
            None => None,
            Some(_) if stream != Stream::Network => return Err(bad()),
            Some(l) => {
                let (from, to) = l.split_once("->").ok_or_else(bad)?;
                Some((parse_node(from).ok_or_else(bad)?, parse_node(to).ok_or_else(bad)?))
            }
        };
        Ok(Lane { stream, link })
    }
}

impl Serialize for Lane {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Lane {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Lane, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A run's draws, one tape per lane, each in the order its lane drew them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tapes(pub BTreeMap<Lane, Vec<u64>>);

impl Tapes {
    /// Draws on all lanes.
    pub fn len(&self) -> usize {
        self.0.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sum of every value (smaller values are simpler choices).
    pub fn sum(&self) -> u128 {
        self.0.values().flatten().map(|&v| v as u128).sum()
    }

    pub fn push(&mut self, lane: Lane, value: u64) {
        self.0.entry(lane).or_default().push(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_read_back_what_they_write() {
        for lane in [
            Lane::of(Stream::Network),
            Lane::of(Stream::Faults),
            Lane::of(Stream::Workload),
            Lane::of(Stream::Adversary),
            Lane::of(Stream::Node(NodeId(12))),
            Lane { stream: Stream::Network, link: Some((NodeId(0), NodeId(2))) },
        ] {
            assert_eq!(lane.to_string().parse::<Lane>(), Ok(lane), "{lane}");
        }
        for bad in ["", "net", "n", "nx", "n-1", "faults n0->n1", "network n0", "network n0->", "network a->n1"] {
            let err = bad.parse::<Lane>().unwrap_err();
            assert!(err.contains("unknown tape lane"), "{bad}: {err}");
        }
    }

    #[test]
    fn tapes_are_a_json_object_keyed_by_lane() {
        let mut t = Tapes::default();
        t.push(Lane { stream: Stream::Network, link: Some((NodeId(1), NodeId(0))) }, 7);
        t.push(Lane::of(Stream::Node(NodeId(0))), 3);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#"{"network n1->n0":[7],"n0":[3]}"#);
        assert_eq!(serde_json::from_str::<Tapes>(&json).unwrap(), t);
        assert!(serde_json::from_str::<Tapes>(r#"{"netwrk":[1]}"#).unwrap_err().to_string().contains("netwrk"));
    }
}
