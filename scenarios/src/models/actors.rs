//! Protocols of `protocols/` explored through the actor adapter
//! (`sim_core::explore::actor`): the very handlers the simulator runs, every
//! interleaving of a small world. Time is abstracted away (any pending timer
//! may fire at any point), so protocols that re-arm timers have infinite
//! state spaces. `--timeouts N` bounds how many timer firings happen in all
//! (an environment budget, like `--crashes`): the world is then finite and
//! explored completely, every interleaving with at most N timeouts. Without
//! it, give `--depth` or `--max-states`; a search cut by a budget that found
//! nothing is `unknown` (exit 3).

use super::{summarise, CheckSummary, ModelInfo, Params};
use protocols::echo::{Echo, EchoBug};
use protocols::kv::{KvCommand, KvRequest, RequestId};
use protocols::paxos::single::SingleDecree;
use protocols::paxos::PaxosBug;
use protocols::raft::{Raft, RaftBug};
use sim_core::explore::actor::{ActorConfig, ActorModel, Explorable};
use sim_core::explore::{self, Options};
use sim_core::sim::schedule::{ScheduleError, ScheduleStep};
use sim_core::{ClientId, NodeId, RunResult, TraceEvent};

pub fn catalog() -> Vec<ModelInfo> {
    vec![
        ModelInfo {
            name: "echo-actors",
            params: &["--nodes N (default 2)", "--bug double-pong", "--timeouts N"],
            description: "the echo protocol's handlers, every interleaving (infinite: give --depth)",
        },
        ModelInfo {
            name: "paxos-actors",
            params: &["--nodes N (default 3)", "--bug ignore-accepted|forget-promise", "--crashes N", "--timeouts N"],
            description: "single-decree Paxos (protocols/src/paxos/single.rs), two proposers, every interleaving",
        },
        ModelInfo {
            name: "raft-actors",
            params: &[
                "--nodes N (default 3)",
                "--bug no-log-check|commit-old-term|forget-vote",
                "--crashes N",
                "--clients N",
                "--timeouts N",
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
        let (trace, failure) = model.trace_path(path);
        summary.trace = Some(trace.into_events());
        if let Some(failure) = failure {
            summary.schedule = Some((model.schedule(path), failure));
        }
    }
    summary
}

/// Plays a schedule (from [`run_actor`]'s counterexample) through the
/// simulator in the world of the actor model `name` with `params`: the run's
/// result and full trace. `None` if `name` is not an actor model.
pub fn simulate(
    name: &str,
    params: &Params,
    steps: &[ScheduleStep],
) -> Option<Result<Result<(RunResult, Vec<TraceEvent>), ScheduleError>, String>> {
    fn go<P: Explorable + Clone>(
        model: Result<ActorModel<P>, String>,
        steps: &[ScheduleStep],
    ) -> Result<Result<(RunResult, Vec<TraceEvent>), ScheduleError>, String> {
        Ok(model?.simulate(steps))
    }
    Some(match name {
        "echo-actors" => go(echo_from(name, params), steps),
        "paxos-actors" => go(paxos_from(name, params), steps),
        "raft-actors" => go(raft_from(name, params), steps),
        _ => return None,
    })
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
pub fn paxos_model(
    nodes: usize,
    bug: Option<PaxosBug>,
    crashes: u32,
    timeouts: Option<u32>,
) -> ActorModel<SingleDecree> {
    let mut p = SingleDecree::with_bug(bug);
    p.proposers = 2;
    let mut config = ActorConfig::new(nodes);
    config.max_crashes = crashes;
    config.recover = crashes > 0;
    config.max_timer_firings = timeouts;
    ActorModel::new(p, config)
}

/// Raft with `clients` puts, client `c` asking node `c % nodes`.
pub fn raft_model(
    nodes: usize,
    bug: Option<RaftBug>,
    crashes: u32,
    clients: usize,
    timeouts: Option<u32>,
) -> ActorModel<Raft> {
    let mut config = ActorConfig::new(nodes);
    config.max_crashes = crashes;
    config.recover = crashes > 0;
    config.max_timer_firings = timeouts;
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

fn echo_from(name: &str, params: &Params) -> Result<ActorModel<Echo>, String> {
    params.only(name, &["nodes", "bug", "timeouts"])?;
    let bug = match params.bug.as_deref() {
        None | Some("none") => false,
        Some("double-pong") => true,
        Some(other) => return Err(format!("--bug: `{other}` is not a bug of echo (known: double-pong)")),
    };
    let mut model = echo_model(nodes(params, 2)?, bug);
    model.config.max_timer_firings = params.timeouts;
    Ok(model)
}

fn paxos_from(name: &str, params: &Params) -> Result<ActorModel<SingleDecree>, String> {
    params.only(name, &["nodes", "bug", "crashes", "timeouts"])?;
    let bug = match params.bug.as_deref() {
        None | Some("none") => None,
        Some(b) => Some(b.parse::<PaxosBug>().map_err(|e| format!("--bug: {e}"))?),
    };
    let n = nodes(params, 3)?;
    if n < 2 {
        return Err("--nodes: paxos-actors needs at least 2 nodes (two proposers)".into());
    }
    Ok(paxos_model(n, bug, params.crashes.unwrap_or(0), params.timeouts))
}

fn raft_from(name: &str, params: &Params) -> Result<ActorModel<Raft>, String> {
    params.only(name, &["nodes", "bug", "crashes", "clients", "timeouts"])?;
    let bug = match params.bug.as_deref() {
        None | Some("none") => None,
        Some(b) => Some(b.parse::<RaftBug>().map_err(|e| format!("--bug: {e}"))?),
    };
    let clients = params.clients.unwrap_or(1);
    if clients > 4 {
        return Err(format!("--clients: at most 4 for raft-actors, got {clients}"));
    }
    Ok(raft_model(nodes(params, 3)?, bug, params.crashes.unwrap_or(0), clients, params.timeouts))
}

/// The state graph of an actor model in DOT; `None` if `name` is not one.
pub fn dot(name: &str, params: &Params, options: &Options, limit: usize) -> Option<Result<String, String>> {
    Some(match name {
        "echo-actors" => echo_from(name, params).and_then(|m| explore::dot::to_dot(&m, options, limit)),
        "paxos-actors" => paxos_from(name, params).and_then(|m| explore::dot::to_dot(&m, options, limit)),
        "raft-actors" => raft_from(name, params).and_then(|m| explore::dot::to_dot(&m, options, limit)),
        _ => return None,
    })
}

/// `None` if `name` is not an actor model.
pub fn check(name: &str, params: &Params, options: &Options) -> Option<Result<CheckSummary, String>> {
    let result = match name {
        "echo-actors" => echo_from(name, params).map(|m| run_actor(name, &m, options)),
        "paxos-actors" => paxos_from(name, params).map(|m| run_actor(name, &m, options)),
        "raft-actors" => raft_from(name, params).map(|m| run_actor(name, &m, options)),
        _ => return None,
    };
    Some(result)
}
