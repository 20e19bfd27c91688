//! A scenario is a value: protocol and bug variant, cluster size, link and
//! node models, workload, nemesis or explicit faults, checkers, budgets.
//! Built-in scenarios are named values; users write their own as JSON, where
//! every field has a default and a bad field gets an error that names it.

use serde::{Deserialize, Serialize};
use sim_core::{FaultSchedule, Limits, LinkModel, Nemesis, NANOS_PER_MILLI, NANOS_PER_SEC};
use std::fmt;

/// Upper bounds on scenario values, so a hostile file cannot exhaust the machine.
pub const MAX_NODES: usize = 64;
pub const MAX_CLIENTS: usize = 256;
pub const MAX_OPS_PER_CLIENT: u64 = 1_000_000;
pub const MAX_EVENTS: u64 = 1_000_000_000;
/// Keys (accounts, for the bank): some protocols allocate per key.
pub const MAX_KEYS: usize = 10_000;
/// Every time and duration (`*_ns`): one simulated week. Far above any
/// useful run, far below where `u64` sums of times could overflow.
pub const MAX_TIME_NS: u64 = 7 * 24 * 3600 * NANOS_PER_SEC;
/// Explicit faults in `faults`.
pub const MAX_FAULTS: usize = 100_000;
/// Fault episodes the nemesis may draw: `(end_ns - start_ns) / interval_min_ns`.
pub const MAX_NEMESIS_EPISODES: u64 = 100_000;
/// The largest scenario file read (bytes), refused by its size before reading.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    /// One line for `faultline list`.
    pub description: String,
    /// The paragraph a student reads (`faultline list --long`).
    pub long: String,
    /// `raft`, `echo`, ...
    pub protocol: String,
    /// A bug variant of the protocol, e.g. `commit-old-term`.
    pub bug: Option<String>,
    pub nodes: usize,
    pub network: Network,
    /// A persist is lost by a crash within this long after it (0: synchronous).
    pub sync_delay_ns: u64,
    pub workload: WorkloadSpec,
    pub nemesis: Nemesis,
    /// Explicit faults, applied in addition to whatever the nemesis draws.
    pub faults: FaultSchedule,
    pub limits: Limits,
    /// Checkers to run on the client history: `linearizability`.
    pub checkers: Vec<String>,
    /// Check the protocol's invariants after every event (default true).
    /// Turn off to see what the history checkers catch on their own.
    pub invariants: bool,
    /// Liveness: after the last scheduled fault, every client operation must
    /// complete within this long (none: not checked). A miss is a `liveness` finding.
    pub liveness_bound_ns: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Network {
    /// The model of every node-to-node link.
    pub link: LinkModel,
    /// Between clients and nodes.
    pub client_link: LinkModel,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            link: LinkModel::reliable(),
            client_link: LinkModel {
                delay: sim_core::Delay::Uniform { min_ns: NANOS_PER_MILLI / 2, max_ns: 2 * NANOS_PER_MILLI },
                ..LinkModel::reliable()
            },
        }
    }
}

/// Clients of a key-value service.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkloadSpec {
    pub clients: usize,
    /// Each client performs at most this many operations, one at a time.
    pub ops_per_client: u64,
    /// Keys `k0`, `k1`, ...
    pub keys: usize,
    /// Relative weights of the operations.
    pub get_weight: u32,
    pub put_weight: u32,
    pub append_weight: u32,
    /// Pause between a client's operations, drawn uniformly.
    pub think_min_ns: u64,
    pub think_max_ns: u64,
    /// One attempt waits this long for a reply before trying another node.
    pub attempt_timeout_ns: u64,
    /// An operation not answered within this long is recorded as `info`
    /// (unknown outcome) and the client moves on.
    pub op_timeout_ns: u64,
    /// No new operations start after this time.
    pub end_ns: u64,
}

impl Default for WorkloadSpec {
    fn default() -> Self {
        WorkloadSpec {
            clients: 3,
            ops_per_client: 50,
            keys: 3,
            get_weight: 2,
            put_weight: 1,
            append_weight: 1,
            think_min_ns: 0,
            think_max_ns: 50 * NANOS_PER_MILLI,
            attempt_timeout_ns: 150 * NANOS_PER_MILLI,
            op_timeout_ns: NANOS_PER_SEC,
            end_ns: 9 * NANOS_PER_SEC,
        }
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "custom".into(),
            description: String::new(),
            long: String::new(),
            protocol: "raft".into(),
            bug: None,
            nodes: 5,
            network: Network::default(),
            sync_delay_ns: 0,
            workload: WorkloadSpec::default(),
            nemesis: Nemesis::default(),
            faults: FaultSchedule::default(),
            limits: Limits::default(),
            checkers: vec!["linearizability".into()],
            invariants: true,
            liveness_bound_ns: None,
        }
    }
}

/// A problem with a scenario, naming the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// Dotted path of the field (`workload.clients`), or empty for the whole value.
    pub field: String,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "field `{}`: {}", self.field, self.message)
        }
    }
}

impl std::error::Error for ScenarioError {}

fn err(field: &str, message: impl Into<String>) -> ScenarioError {
    ScenarioError { field: field.into(), message: message.into() }
}

impl Scenario {
    /// Parses a JSON scenario; unknown or ill-typed fields are named.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let scenario: Scenario = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let message = format!("{inner}");
            ScenarioError { field: if path == "." { String::new() } else { path }, message }
        })?;
        scenario.validate()?;
        Ok(scenario)
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("scenarios serialize")
    }

    /// Checks every value is in range; the error names the field.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.validate_times()?;
        if self.nodes == 0 || self.nodes > MAX_NODES {
            return Err(err("nodes", format!("{} is out of range 1..={MAX_NODES}", self.nodes)));
        }
        let protocols = crate::registry::protocols();
        if !protocols.contains(&self.protocol.as_str()) {
            return Err(err(
                "protocol",
                format!("unknown protocol `{}` (known: {})", self.protocol, protocols.join(", ")),
            ));
        }
        if let Some(bug) = &self.bug {
            let bugs = crate::registry::bugs_of(&self.protocol);
            if !bugs.contains(&bug.as_str()) {
                return Err(err(
                    "bug",
                    format!(
                        "`{bug}` is not a bug variant of {} (known: {})",
                        self.protocol,
                        if bugs.is_empty() { "none".to_string() } else { bugs.join(", ") }
                    ),
                ));
            }
        }
        self.network.link.validate().map_err(|e| err("network.link", e))?;
        self.network.client_link.validate().map_err(|e| err("network.client_link", e))?;
        let w = &self.workload;
        if w.clients > MAX_CLIENTS {
            return Err(err("workload.clients", format!("{} is above the limit {MAX_CLIENTS}", w.clients)));
        }
        if w.ops_per_client > MAX_OPS_PER_CLIENT {
            return Err(err(
                "workload.ops_per_client",
                format!("{} is above the limit {MAX_OPS_PER_CLIENT}", w.ops_per_client),
            ));
        }
        if w.keys > MAX_KEYS {
            return Err(err("workload.keys", format!("{} is above the limit {MAX_KEYS}", w.keys)));
        }
        if w.clients > 0 && w.keys == 0 {
            return Err(err("workload.keys", "at least one key is needed"));
        }
        if w.clients > 0 && w.get_weight as u64 + w.put_weight as u64 + w.append_weight as u64 == 0 {
            return Err(err("workload.get_weight", "the operation weights are all zero"));
        }
        if w.think_min_ns > w.think_max_ns {
            return Err(err("workload.think_min_ns", "is above think_max_ns"));
        }
        if w.attempt_timeout_ns == 0 {
            return Err(err("workload.attempt_timeout_ns", "must be positive"));
        }
        if w.op_timeout_ns < w.attempt_timeout_ns {
            return Err(err("workload.op_timeout_ns", "must be at least attempt_timeout_ns"));
        }
        self.nemesis.validate().map_err(|e| err("nemesis", e))?;
        let n = &self.nemesis;
        let episodes = n.end_ns.saturating_sub(n.start_ns) / n.interval_min_ns.max(1);
        if !n.is_quiet() && episodes > MAX_NEMESIS_EPISODES {
            return Err(err(
                "nemesis.interval_min_ns",
                format!(
                    "{episodes} fault episodes between start_ns and end_ns is above the limit {MAX_NEMESIS_EPISODES}"
                ),
            ));
        }
        if self.faults.faults.len() > MAX_FAULTS {
            return Err(err("faults", format!("{} faults is above the limit {MAX_FAULTS}", self.faults.faults.len())));
        }
        self.faults.validate(self.nodes).map_err(|e| err("faults", e))?;
        self.faults
            .validate_strategies(&self.protocol, crate::registry::byzantine_strategies_of(&self.protocol))
            .map_err(|(i, e)| err(&format!("faults[{i}].strategy"), e))?;
        if self.limits.time_ns == 0 {
            return Err(err("limits.time_ns", "must be positive"));
        }
        if self.limits.events == 0 || self.limits.events > MAX_EVENTS {
            return Err(err("limits.events", format!("{} is out of range 1..={MAX_EVENTS}", self.limits.events)));
        }
        for (i, c) in self.checkers.iter().enumerate() {
            if !crate::registry::CHECKERS.contains(&c.as_str()) {
                return Err(err(
                    &format!("checkers[{i}]"),
                    format!("unknown checker `{c}` (known: {})", crate::registry::CHECKERS.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// Every `*_ns` field, wherever it is nested (links, nemesis, faults,
    /// clock offsets), is at most [`MAX_TIME_NS`] in size. Walking the JSON
    /// form covers fields added later without a list to keep in step.
    fn validate_times(&self) -> Result<(), ScenarioError> {
        fn walk(value: &serde_json::Value, path: &str) -> Result<(), ScenarioError> {
            match value {
                serde_json::Value::Object(fields) => {
                    for (key, v) in fields {
                        let here = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                        let too_big = match v {
                            serde_json::Value::Number(n) if key.ends_with("_ns") => n
                                .as_u64()
                                .map(|x| x > MAX_TIME_NS)
                                .or_else(|| n.as_i64().map(|x| x.unsigned_abs() > MAX_TIME_NS))
                                .unwrap_or(true),
                            _ => false,
                        };
                        if too_big {
                            return Err(err(
                                &here,
                                format!("{v} ns is above the limit {MAX_TIME_NS} ns (one simulated week)"),
                            ));
                        }
                        walk(v, &here)?;
                    }
                    Ok(())
                }
                serde_json::Value::Array(items) => {
                    items.iter().enumerate().try_for_each(|(i, v)| walk(v, &format!("{path}[{i}]")))
                }
                _ => Ok(()),
            }
        }
        let value = serde_json::to_value(self).expect("scenarios serialize");
        walk(&value, "")
    }
}
