//! Protocols of `protocols/` explored through the actor adapter
//! (`sim_core::explore::actor`): the very handlers the simulator runs, every
//! interleaving of a small world. Time is abstracted away (any pending timer
//! may fire at any point), so protocols that re-arm timers have infinite
//! state spaces: give `--depth` or `--max-states`; a search cut by a budget
//! that found nothing is `unknown` (exit 3).

use super::{summarise, CheckSummary, ModelInfo, Params};
use protocols::echo::{Echo, EchoBug};
use protocols::kv::{KvCommand, KvRequest, RequestId};
use protocols::paxos::single::SingleDecree;
use protocols::paxos::PaxosBug;
use protocols::raft::{Raft, RaftBug};
use sim_core::explore::actor::{ActorConfig, ActorModel, Explorable};
use sim_core::explore::{self, Options};
use sim_core::{ClientId, NodeId};

pub fn catalog() -> Vec<ModelInfo> {
    vec![
        ModelInfo {
            name: "echo-actors",
            params: &["--nodes N (default 2)", "--bug double-pong"],
            description: "the echo protocol's handlers, every interleaving (infinite: give --depth)",
        },
        ModelInfo {
            name: "paxos-actors",
            params: &["--nodes N (default 3)", "--bug ignore-accepted|forget-promise", "--crashes N"],
            description: "single-decree Paxos (protocols/src/paxos/single.rs), two proposers, every interleaving",
        },
        ModelInfo {
            name: "raft-actors",
            params: &[
                "--nodes N (default 3)",
                "--bug no-log-check|commit-old-term|forget-vote",
                "--crashes N",
                "--clients N",
            ],
            description: "Raft's handlers with one put per client, every interleaving (infinite: give --depth)",
        },
    ]
}

/// Runs an actor model and replays the first failure's path into a trace.
pub fn run_actor<P: Explorable>(name: &str, model: &ActorModel<P>, options: &Options) -> CheckSummary {
    let report = explore::check(model, options);
    let mut summary = summarise(name, model, &report);
    if let Some(path) = report.first_failure().and_then(|v| v.path.as_ref()) {
        summary.trace = Some(model.trace_path(path).0.into_events());
    }
    summary
}

fn nodes(params: &Params, default: usize) -> Result<usize, String> {
    match params.nodes.unwrap_or(default) {
        n @ 1..=7 => Ok(n),
        n => Err(format!("--nodes: must be between 1 and 7 for exploration, got {n}")),
    }
}

/// The Echo actor model.
pub fn echo_model(nodes: usize, bug: bool) -> ActorModel<Echo> {
    let mut echo = Echo::new();
    echo.bug = bug.then_some(EchoBug::DoublePong);
    ActorModel::new(echo, ActorConfig::new(nodes))
}

/// Single-decree Paxos: `nodes` acceptors, the first two also propose.
pub fn paxos_model(nodes: usize, bug: Option<PaxosBug>, crashes: u32) -> ActorModel<SingleDecree> {
    let mut p = SingleDecree::with_bug(bug);
    p.proposers = 2;
    let mut config = ActorConfig::new(nodes);
    config.max_crashes = crashes;
    config.recover = crashes > 0;
    ActorModel::new(p, config)
}

/// Raft with `clients` puts, client `c` asking node `c % nodes`.
pub fn raft_model(nodes: usize, bug: Option<RaftBug>, crashes: u32, clients: usize) -> ActorModel<Raft> {
    let mut config = ActorConfig::new(nodes);
    config.max_crashes = crashes;
    config.recover = crashes > 0;
    for c in 0..clients {
        let client = ClientId(c as u32);
        let request = KvRequest {
            id: RequestId { client, seq: 1 },
            command: KvCommand::Put { key: "x".into(), value: format!("c{c}") },
        };
        config.requests.push((client, NodeId((c % nodes) as u32), request));
    }
    ActorModel::new(Raft::with_bug(bug), config)
}

/// `None` if `name` is not an actor model.
pub fn check(name: &str, params: &Params, options: &Options) -> Option<Result<CheckSummary, String>> {
    let result = match name {
        "echo-actors" => (|| {
            params.only(name, &["nodes", "bug"])?;
            let bug = match params.bug.as_deref() {
                None | Some("none") => false,
                Some("double-pong") => true,
                Some(other) => return Err(format!("--bug: `{other}` is not a bug of echo (known: double-pong)")),
            };
            Ok(run_actor(name, &echo_model(nodes(params, 2)?, bug), options))
        })(),
        "paxos-actors" => (|| {
            params.only(name, &["nodes", "bug", "crashes"])?;
            let bug = match params.bug.as_deref() {
                None | Some("none") => None,
                Some(b) => Some(b.parse::<PaxosBug>().map_err(|e| format!("--bug: {e}"))?),
            };
            let n = nodes(params, 3)?;
            if n < 2 {
                return Err("--nodes: paxos-actors needs at least 2 nodes (two proposers)".into());
            }
            Ok(run_actor(name, &paxos_model(n, bug, params.crashes.unwrap_or(0)), options))
        })(),
        "raft-actors" => (|| {
            params.only(name, &["nodes", "bug", "crashes", "clients"])?;
            let bug = match params.bug.as_deref() {
                None | Some("none") => None,
                Some(b) => Some(b.parse::<RaftBug>().map_err(|e| format!("--bug: {e}"))?),
            };
            let clients = params.clients.unwrap_or(1);
            if clients > 4 {
                return Err(format!("--clients: at most 4 for raft-actors, got {clients}"));
            }
            let model = raft_model(nodes(params, 3)?, bug, params.crashes.unwrap_or(0), clients);
            Ok(run_actor(name, &model, options))
        })(),
        _ => return None,
    };
    Some(result)
}
