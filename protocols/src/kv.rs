//! The key-value service that replicated protocols (Raft, Multi-Paxos, PBFT,
//! gossip) offer to clients, and the deterministic state machine they apply
//! commands to.
//!
//! Clients tag every request with a [`RequestId`] `(client, sequence)` and
//! retry with the same id, so the state machine can execute each request at
//! most once (a retried `append` must not append twice).

use serde::{Deserialize, Serialize};
use sim_core::{ClientId, NodeId};
use std::collections::BTreeMap;

/// Identifies one client operation across retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId {
    pub client: ClientId,
    pub seq: u64,
}

/// A key-value operation. Values are strings; `append` concatenates.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum KvCommand {
    Get { key: String },
    Put { key: String, value: String },
    Append { key: String, value: String },
}

impl KvCommand {
    pub fn key(&self) -> &str {
        match self {
            KvCommand::Get { key } | KvCommand::Put { key, .. } | KvCommand::Append { key, .. } => key,
        }
    }
}

/// A client request as it travels to a node.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KvRequest {
    pub id: RequestId,
    pub command: KvCommand,
}

/// What a node answers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KvOutcome {
    /// Executed; `value` is the value read by a `get` (None: absent key) and
    /// None for writes.
    Ok { value: Option<String> },
    /// This node cannot serve requests; try `hint` if known.
    NotLeader { hint: Option<NodeId> },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KvReply {
    pub id: RequestId,
    pub outcome: KvOutcome,
}

/// A protocol that serves the key-value service.
pub trait KvProtocol: sim_core::Protocol<Request = KvRequest, Response = KvReply> {}
impl<P: sim_core::Protocol<Request = KvRequest, Response = KvReply>> KvProtocol for P {}

/// The replicated state machine: a map plus, per client, the last executed
/// request and its result (so retries are answered, not re-executed).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct KvStore {
    pub data: BTreeMap<String, String>,
    pub sessions: BTreeMap<ClientId, (u64, Option<String>)>,
}

impl KvStore {
    /// Applies a request exactly once and returns the value for the reply.
    pub fn apply(&mut self, request: &KvRequest) -> Option<String> {
        if let Some((seq, result)) = self.sessions.get(&request.id.client) {
            if *seq >= request.id.seq {
                // A retry of an executed request (or an older one): answer, don't re-run.
                return if *seq == request.id.seq { result.clone() } else { None };
            }
        }
        let result = match &request.command {
            KvCommand::Get { key } => self.data.get(key).cloned(),
            KvCommand::Put { key, value } => {
                self.data.insert(key.clone(), value.clone());
                None
            }
            KvCommand::Append { key, value } => {
                self.data.entry(key.clone()).or_default().push_str(value);
                None
            }
        };
        self.sessions.insert(request.id.client, (request.id.seq, result.clone()));
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(client: u32, seq: u64, command: KvCommand) -> KvRequest {
        KvRequest { id: RequestId { client: ClientId(client), seq }, command }
    }

    #[test]
    fn retries_execute_once() {
        let mut s = KvStore::default();
        let a = req(0, 1, KvCommand::Append { key: "x".into(), value: "a".into() });
        s.apply(&a);
        s.apply(&a);
        assert_eq!(s.data["x"], "a");
        assert_eq!(s.apply(&req(1, 1, KvCommand::Get { key: "x".into() })), Some("a".into()));
    }
}
