//! Faults are data: a schedule is a list of timed faults, written out
//! explicitly for every run (whether a person or the nemesis made it).

use crate::byzantine::Strategy;
use crate::clock::ClockModel;
use crate::ids::NodeId;
use crate::link::LinkModel;
use crate::time::Time;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Fault {
    /// The node stops; its volatile state is lost.
    Crash { node: NodeId },
    /// A crashed node restarts from its durable state.
    Recover { node: NodeId },
    /// Crashes the node that believes it is leader (the lowest-numbered one
    /// if several do; nothing if none does). The trace names the node hit.
    CrashLeader,
    /// Restarts every crashed node.
    RecoverAll,
    /// Cuts the current leader off from all other nodes (clients still reach it).
    IsolateLeader,
    /// Symmetric partition: nodes in different groups cannot talk. Nodes in
    /// no group are cut off from everyone.
    Partition { groups: Vec<Vec<NodeId>> },
    /// One-way partition: messages from `from` to `to` are lost; the other
    /// direction still works.
    PartitionOneWay { from: Vec<NodeId>, to: Vec<NodeId> },
    /// Cuts one node off from all others.
    Isolate { node: NodeId },
    /// Removes every partition.
    Heal,
    /// Replaces the link model on `from -> to` (all sources / destinations when absent).
    SetLink {
        #[serde(default)]
        from: Option<NodeId>,
        #[serde(default)]
        to: Option<NodeId>,
        link: LinkModel,
    },
    /// Changes a node's clock.
    ClockSkew { node: NodeId, clock: ClockModel },
    /// The node turns Byzantine and follows `strategy` from now on (a later
    /// `byzantine` fault on the same node replaces the strategy). Invariants
    /// judge correct nodes only.
    Byzantine { node: NodeId, strategy: Strategy },
}

impl Fault {
    /// Short label for traces and summaries.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Crash { .. } => "crash",
            Fault::Recover { .. } => "recover",
            Fault::CrashLeader => "crash-leader",
            Fault::RecoverAll => "recover-all",
            Fault::IsolateLeader => "isolate-leader",
            Fault::Partition { .. } => "partition",
            Fault::PartitionOneWay { .. } => "partition-one-way",
            Fault::Isolate { .. } => "isolate",
            Fault::Heal => "heal",
            Fault::SetLink { .. } => "set-link",
            Fault::ClockSkew { .. } => "clock-skew",
            Fault::Byzantine { .. } => "byzantine",
        }
    }

    fn nodes(&self) -> Vec<NodeId> {
        match self {
            Fault::Crash { node } | Fault::Recover { node } | Fault::Isolate { node } => vec![*node],
            Fault::ClockSkew { node, .. } | Fault::Byzantine { node, .. } => vec![*node],
            Fault::Partition { groups } => groups.iter().flatten().copied().collect(),
            Fault::PartitionOneWay { from, to } => from.iter().chain(to).copied().collect(),
            Fault::SetLink { from, to, .. } => from.iter().chain(to.iter()).copied().collect(),
            Fault::Heal | Fault::CrashLeader | Fault::RecoverAll | Fault::IsolateLeader => vec![],
        }
    }

    pub fn validate(&self, nodes: usize) -> Result<(), String> {
        for n in self.nodes() {
            if n.index() >= nodes {
                return Err(format!(
                    "node {} does not exist (the cluster has {nodes} nodes: 0..{})",
                    n.0,
                    nodes.saturating_sub(1)
                ));
            }
        }
        match self {
            Fault::SetLink { link, .. } => link.validate(),
            Fault::ClockSkew { clock, .. } => clock.validate(),
            _ => Ok(()),
        }
    }
}

// No `deny_unknown_fields` here: serde cannot combine it with `flatten`;
// the flattened `Fault` rejects unknown fields itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScheduledFault {
    pub at_ns: Time,
    #[serde(flatten)]
    pub fault: Fault,
}

/// A fault schedule, sorted by time (stable: faults at the same time apply in list order).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FaultSchedule {
    pub faults: Vec<ScheduledFault>,
}

impl FaultSchedule {
    pub fn new(mut faults: Vec<ScheduledFault>) -> Self {
        faults.sort_by_key(|f| f.at_ns);
        FaultSchedule { faults }
    }

    pub fn is_empty(&self) -> bool {
        self.faults.is_empty()
    }

    pub fn len(&self) -> usize {
        self.faults.len()
    }

    /// Whether the schedule makes a node Byzantine or a link arbitrary
    /// (then the engine authenticates every message).
    pub fn is_adversarial(&self) -> bool {
        self.faults.iter().any(|f| match &f.fault {
            Fault::Byzantine { .. } => true,
            Fault::SetLink { link, .. } => link.adversary.is_some(),
            _ => false,
        })
    }

    /// Every Byzantine strategy is generic or one of `own` (the protocol's);
    /// the error gives the entry's index and names the known strategies.
    pub fn validate_strategies(&self, protocol: &str, own: &[&str]) -> Result<(), (usize, String)> {
        for (i, f) in self.faults.iter().enumerate() {
            if let Fault::Byzantine { strategy, .. } = &f.fault {
                strategy.validate(protocol, own).map_err(|e| (i, e))?;
            }
        }
        Ok(())
    }

    /// Every fault names existing nodes and valid models; errors name the entry.
    pub fn validate(&self, nodes: usize) -> Result<(), String> {
        for (i, f) in self.faults.iter().enumerate() {
            f.fault.validate(nodes).map_err(|e| format!("faults[{i}] ({} at {} ns): {e}", f.fault.kind(), f.at_ns))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_is_flat_and_readable() {
        let s = FaultSchedule::new(vec![
            ScheduledFault { at_ns: 5, fault: Fault::Crash { node: NodeId(1) } },
            ScheduledFault {
                at_ns: 1,
                fault: Fault::Partition { groups: vec![vec![NodeId(0)], vec![NodeId(1), NodeId(2)]] },
            },
        ]);
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(
            text,
            r#"[{"at_ns":1,"fault":"partition","groups":[[0],[1,2]]},{"at_ns":5,"fault":"crash","node":1}]"#
        );
        let back: FaultSchedule = serde_json::from_str(&text).unwrap();
        assert_eq!(back, s);
        assert!(s.validate(2).unwrap_err().contains("faults[0]"));
        assert!(s.validate(3).is_ok());
        let bad: Result<FaultSchedule, _> =
            serde_json::from_str(r#"[{"at_ns":1,"fault":"crash","node":1,"colour":2}]"#);
        assert!(bad.unwrap_err().to_string().contains("colour"));
    }
}
