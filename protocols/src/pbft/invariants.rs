//! PBFT's safety properties (§4.5.1), judged over correct replicas only: a
//! Byzantine replica's state is whatever it pretends.
//!
//! * `agreement`: no two correct replicas execute different payloads at the
//!   same sequence number (the paper's safety: "all non-faulty replicas
//!   agree on a total order for the execution of requests").
//! * `validity`: a correct replica executes only requests some client
//!   issued. The monitor learns what clients issued from the engine itself:
//!   every request a node received from a client (`on_request`, which only
//!   the engine can call) is recorded, whichever node got it, before any
//!   replica could execute it.

use super::messages::Digest;
use super::{Pbft, AGREEMENT, VALIDITY};
use crate::kv::RequestId;
use sim_core::{NodeId, SystemView, Violation};
use std::collections::{BTreeMap, BTreeSet};

/// History variables: the first payload a correct replica executed at each
/// sequence number, and every request a client issued.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PbftMonitor {
    executed: BTreeMap<u64, (Digest, NodeId, Option<RequestId>)>,
    issued: BTreeSet<Digest>,
}

impl PbftMonitor {
    /// How many sequence numbers some correct replica has executed.
    pub fn executed_count(&self) -> usize {
        self.executed.len()
    }

    pub(super) fn check(&mut self, view: &SystemView<'_, Pbft>) -> Result<(), Violation> {
        let nodes: Vec<NodeId> = match view.changed {
            Some(n) => vec![n],
            None => (0..view.states.len() as u32).map(NodeId).collect(),
        };
        for n in nodes {
            let Some(Some(s)) = view.states.get(n.index()) else { continue };
            self.issued.extend(s.just_received.iter().copied());
            if !view.is_correct(n) {
                continue;
            }
            for (seq, digest, request) in &s.just_executed {
                if request.is_some() && !self.issued.contains(digest) {
                    return Err(Violation::new(
                        VALIDITY,
                        format!("{n} executed {request:?} ({digest:?}) at {seq}, which no client issued in that form"),
                    ));
                }
                match self.executed.get(seq) {
                    Some((first, by, what)) if first != digest => {
                        return Err(Violation::new(
                            AGREEMENT,
                            format!(
                                "{n} executed {} at sequence number {seq}, but {by} executed {} there",
                                describe(*request, *digest),
                                describe(*what, *first)
                            ),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        self.executed.insert(*seq, (*digest, n, *request));
                    }
                }
            }
        }
        Ok(())
    }
}

fn describe(request: Option<RequestId>, digest: Digest) -> String {
    match request {
        Some(id) => format!("{id:?} ({digest:?})"),
        None => "the null request".to_string(),
    }
}
