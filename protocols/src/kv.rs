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
use std::fmt;

/// Identifies one client operation across retries. Prints as `c3#17`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId {
    pub client: ClientId,
    pub seq: u64,
}

/// A key-value operation. Values are strings; `append` concatenates.
/// Prints as `put(k1, c0.3)`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

/// A client request as it travels to a node. Prints as `c0#3 put(k1, c0.3)`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

/// Prints as `c0#3 ok(c0.1)` or `c0#3 not-leader(n2)`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KvReply {
    pub id: RequestId,
    pub outcome: KvOutcome,
}

// Compact forms: traces print thousands of these.
impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}#{}", self.client.0, self.seq)
    }
}

impl fmt::Debug for KvCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvCommand::Get { key } => write!(f, "get({key})"),
            KvCommand::Put { key, value } => write!(f, "put({key}, {value})"),
            KvCommand::Append { key, value } => write!(f, "append({key}, {value})"),
        }
    }
}

impl fmt::Debug for KvRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {:?}", self.id, self.command)
    }
}

impl fmt::Debug for KvReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            KvOutcome::Ok { value: Some(v) } => write!(f, "{:?} ok({v})", self.id),
            KvOutcome::Ok { value: None } => write!(f, "{:?} ok", self.id),
            KvOutcome::NotLeader { hint: Some(h) } => write!(f, "{:?} not-leader(try {h})", self.id),
            KvOutcome::NotLeader { hint: None } => write!(f, "{:?} not-leader", self.id),
        }
    }
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
