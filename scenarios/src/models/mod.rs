//! Models for the explorer (`faultline check`): abstract specifications
//! written directly against `sim_core::explore::Model`, and protocols run
//! through the actor adapter (`sim_core::explore::actor`). The reference
//! models follow `../shared/reference/models.md` exactly, so their state
//! counts can be compared with TLC and stateright.
//!
//! [`check`] runs a model by name with [`Params`] and returns a
//! [`CheckSummary`] (plain data: counts, one verdict per property, paths as
//! numbered lines and tapes) for the command line.

pub mod actors;
pub mod explore_repro;
pub mod paxos;
pub mod two_pc;

use serde::Serialize;
use sim_core::explore::{self, path_to_tape, Completion, Expectation, Model, Options, Report, Status};

/// A model `faultline check` knows.
pub struct ModelInfo {
    pub name: &'static str,
    /// The parameters it takes, as the command line spells them.
    pub params: &'static [&'static str],
    pub description: &'static str,
}

/// Every model, in the order `faultline check --list` shows them.
pub fn catalog() -> Vec<ModelInfo> {
    let mut models = vec![
        ModelInfo {
            name: "2pc-model",
            params: &["--rms N (default 3)"],
            description: "two-phase commit, the TLA+ TwoPhase spec (models.md 2b): 288 states for 3 RMs",
        },
        ModelInfo {
            name: "2pc-model-buggy",
            params: &["--rms N (default 3)"],
            description:
                "2PC where RM 0 may commit alone once prepared: `consistent` fails (a lesson in counterexamples)",
        },
        ModelInfo {
            name: "paxos-model",
            params: &["--clients N (default 1)", "--bug ignore-accepted"],
            description:
                "single-decree Paxos register, 3 servers (models.md 2c-2d): 265 states with 1 client, 16,668 with 2",
        },
    ];
    models.extend(actors::catalog());
    models
}

/// Model parameters from the command line; `None` = the model's default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub rms: Option<usize>,
    pub clients: Option<usize>,
    pub nodes: Option<usize>,
    pub bug: Option<String>,
    pub crashes: Option<u32>,
    /// Actor models: how many timer firings (timeouts) may happen in all.
    pub timeouts: Option<u32>,
}

impl Params {
    /// Rejects parameters the model does not take, naming them.
    pub(crate) fn only(&self, model: &str, allowed: &[&str]) -> Result<(), String> {
        let given = [
            ("rms", self.rms.is_some()),
            ("clients", self.clients.is_some()),
            ("nodes", self.nodes.is_some()),
            ("bug", self.bug.is_some()),
            ("crashes", self.crashes.is_some()),
            ("timeouts", self.timeouts.is_some()),
        ];
        for (name, present) in given {
            if present && !allowed.contains(&name) {
                return Err(format!("--{name}: model `{model}` does not take it (it takes: {})", list(allowed)));
            }
        }
        Ok(())
    }
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "no parameters".to_string()
    } else {
        names.iter().map(|n| format!("--{n}")).collect::<Vec<_>>().join(", ")
    }
}

/// The verdict on one property, as plain data.
#[derive(Clone, Debug, Serialize)]
pub struct VerdictSummary {
    pub name: String,
    pub expectation: Expectation,
    pub status: Status,
    /// The counterexample (or example) as numbered actions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_length: Option<usize>,
    /// The path as a tape: the initial state's index, then the position of
    /// each action among the enabled ones (`sim_core::explore::path_from_tape`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tape: Option<Vec<u64>>,
    /// The last state of the path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_state: Option<String>,
}

/// What a check found, as plain data.
#[derive(Clone, Debug, Serialize)]
pub struct CheckSummary {
    pub model: String,
    pub unique_states: u64,
    pub transitions: u64,
    pub max_depth: u64,
    pub completion: Completion,
    pub verdicts: Vec<VerdictSummary>,
    pub exit_code: i32,
    /// For protocol models: the first failure's path replayed through the
    /// handlers, as trace events (what `faultline report` draws).
    #[serde(skip)]
    pub trace: Option<Vec<sim_core::TraceEvent>>,
    /// For protocol models: the first failure's path as a simulator
    /// schedule, and the failure (what `faultline replay` reproduces).
    #[serde(skip)]
    pub schedule: Option<(Vec<sim_core::sim::schedule::ScheduleStep>, sim_core::Violation)>,
}

/// Turns a report into plain data.
pub fn summarise<M: Model>(name: &str, model: &M, report: &Report<M>) -> CheckSummary {
    let verdicts = report
        .verdicts
        .iter()
        .map(|v| VerdictSummary {
            name: v.name.clone(),
            expectation: v.expectation,
            status: v.status.clone(),
            path: v.path.as_ref().map(|p| p.describe(model)),
            path_length: v.path.as_ref().map(|p| p.len()),
            tape: v.path.as_ref().and_then(|p| if p.loop_start.is_some() { None } else { path_to_tape(model, p) }),
            final_state: v.path.as_ref().map(|p| model.format_state(p.last_state())),
        })
        .collect();
    CheckSummary {
        model: name.to_string(),
        unique_states: report.unique_states,
        transitions: report.transitions,
        max_depth: report.max_depth,
        completion: report.completion,
        verdicts,
        exit_code: report.exit_code(),
        trace: None,
        schedule: None,
    }
}

fn run<M: Model>(name: &str, model: &M, options: &Options) -> CheckSummary {
    let report = explore::check(model, options);
    summarise(name, model, &report)
}

/// Checks the model `name` with `params`. Errors name the model or the
/// parameter (bad input, exit 2).
pub fn check(name: &str, params: &Params, options: &Options) -> Result<CheckSummary, String> {
    match name {
        "2pc-model" | "2pc-model-buggy" => {
            params.only(name, &["rms"])?;
            let model = two_pc::TwoPhaseSys::new(params.rms.unwrap_or(3)).map_err(|e| format!("--{e}"))?;
            if name == "2pc-model" {
                Ok(run(name, &model, options))
            } else {
                Ok(run(name, &two_pc::BuggyTwoPhaseSys { inner: model }, options))
            }
        }
        "paxos-model" => {
            params.only(name, &["clients", "bug"])?;
            let mut model = paxos::PaxosModel::new(params.clients.unwrap_or(1)).map_err(|e| format!("--{e}"))?;
            match params.bug.as_deref() {
                None | Some("none") => {}
                Some("ignore-accepted") => model.ignore_accepted = true,
                Some(other) => {
                    return Err(format!("--bug: `{other}` is not a bug of paxos-model (known: ignore-accepted)"))
                }
            }
            Ok(run(name, &model, options))
        }
        _ => match actors::check(name, params, options) {
            Some(result) => result,
            None => {
                let names: Vec<&str> = catalog().iter().map(|m| m.name).collect();
                Err(format!("unknown model `{name}`; models are: {}", names.join(", ")))
            }
        },
    }
}

/// The state graph of the model `name` in Graphviz DOT (`explore::dot`),
/// refused past `limit` states. Errors name the model or the parameter.
pub fn dot(name: &str, params: &Params, options: &Options, limit: usize) -> Result<String, String> {
    match name {
        "2pc-model" | "2pc-model-buggy" => {
            params.only(name, &["rms"])?;
            let model = two_pc::TwoPhaseSys::new(params.rms.unwrap_or(3)).map_err(|e| format!("--{e}"))?;
            if name == "2pc-model" {
                explore::dot::to_dot(&model, options, limit)
            } else {
                explore::dot::to_dot(&two_pc::BuggyTwoPhaseSys { inner: model }, options, limit)
            }
        }
        "paxos-model" => {
            params.only(name, &["clients", "bug"])?;
            let mut model = paxos::PaxosModel::new(params.clients.unwrap_or(1)).map_err(|e| format!("--{e}"))?;
            model.ignore_accepted = params.bug.as_deref() == Some("ignore-accepted");
            explore::dot::to_dot(&model, options, limit)
        }
        _ => match actors::dot(name, params, options, limit) {
            Some(result) => result,
            None => Err(format!("unknown model `{name}`")),
        },
    }
}

/// The actor model for a built-in or file scenario: its protocol, node
/// count and bug, explored without time (`faultline check SCENARIO`).
/// Errors name what cannot be explored.
pub fn for_scenario(scenario: &crate::Scenario) -> Result<(&'static str, Params), String> {
    let name = match scenario.protocol.as_str() {
        "echo" => "echo-actors",
        "paxos" => "paxos-actors",
        "raft" => "raft-actors",
        other => {
            return Err(format!(
            "scenario `{}`: protocol `{other}` has no actor model for exploration yet (explorable: echo, paxos, raft)",
            scenario.name
        ))
        }
    };
    let mut params = Params { nodes: Some(scenario.nodes.min(7)), bug: scenario.bug.clone(), ..Params::default() };
    if name == "raft-actors" {
        params.clients = Some(scenario.workload.clients.clamp(1, 2));
    }
    Ok((name, params))
}
