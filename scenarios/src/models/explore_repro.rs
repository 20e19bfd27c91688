//! Counterexample files of `faultline check`: an actor model's failing path
//! as a simulator schedule, so `faultline replay` plays it through the
//! simulator (`sim_core::sim::schedule`) and `faultline report` draws it.
//!
//! JSON: the format tag and version, the faultline version, the model and
//! its parameters, the path as the explorer printed it (for people), the
//! schedule (what replays) and the failure the explorer saw. A replay
//! reproduces when the simulator stops on the same failure (invariant and
//! detail) at the schedule's last step.

use super::{actors, CheckSummary, Params};
use crate::repro::ReproError;
use crate::runner::{Finding, RunReport, Verdict};
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use sim_core::sim::schedule::ScheduleStep;
use sim_core::{ChoiceSource, FaultSchedule, Outcome, Violation};

/// The value of the `format` field, which tells these files from run repros.
pub const FORMAT: &str = "faultline-explore-schedule";
/// Bumped whenever the meaning of the file changes.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExploreRepro {
    pub format: String,
    pub format_version: u32,
    pub faultline_version: String,
    pub model: String,
    pub params: Params,
    /// The counterexample as numbered actions (not read back).
    pub path: Vec<String>,
    pub steps: Vec<ScheduleStep>,
    pub violation: Violation,
}

/// What a replay through the simulator found.
#[derive(Clone, Debug)]
pub struct ExploreReplay {
    /// The simulator's run as a report (full trace), for printing and drawing.
    pub report: RunReport,
    /// The simulator stopped on the recorded failure.
    pub reproduced: bool,
    /// When not reproduced: what happened instead.
    pub explanation: Option<String>,
}

impl ExploreRepro {
    /// The first failure's counterexample of an actor model's check, if any.
    pub fn from_summary(params: &Params, summary: &CheckSummary) -> Option<ExploreRepro> {
        let (steps, violation) = summary.schedule.clone()?;
        let path = summary.verdicts.iter().find(|v| v.status.is_failure()).and_then(|v| v.path.clone())?;
        Some(ExploreRepro {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            faultline_version: crate::repro::FAULTLINE_VERSION.to_string(),
            model: summary.model.clone(),
            params: params.clone(),
            path,
            steps,
            violation,
        })
    }

    /// Whether `text` is meant to be one of these files (its `format` says so).
    pub fn looks_like(text: &str) -> bool {
        serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("format").and_then(|f| f.as_str()).map(|f| f == FORMAT))
            .unwrap_or(false)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("explore repros serialize")
    }

    /// Parses the file; errors name the field at fault.
    pub fn parse(text: &str) -> Result<ExploreRepro, ReproError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let repro: ExploreRepro = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            ReproError::Invalid(format!("field `{path}`: {}", e.into_inner()))
        })?;
        if repro.format != FORMAT {
            return Err(ReproError::Invalid(format!(
                "field `format`: expected \"{FORMAT}\", got \"{}\"",
                repro.format
            )));
        }
        if repro.format_version != FORMAT_VERSION {
            return Err(ReproError::CannotReplay(format!(
                "the file has explore schedule format {}, this faultline reads format {FORMAT_VERSION}",
                repro.format_version
            )));
        }
        Ok(repro)
    }

    /// Plays the schedule through the simulator.
    pub fn replay(&self) -> Result<ExploreReplay, ReproError> {
        let ran = actors::simulate(&self.model, &self.params, &self.steps)
            .ok_or_else(|| ReproError::Invalid(format!("field `model`: `{}` is not an actor model", self.model)))?
            .map_err(|e| ReproError::Invalid(format!("field `params`: {e}")))?;
        let (result, trace) = ran.map_err(|e| {
            ReproError::CannotReplay(format!(
                "{e} (the protocol code or the world differs from the one explored{})",
                if self.faultline_version == crate::repro::FAULTLINE_VERSION {
                    String::new()
                } else {
                    format!(": recorded by faultline {}", self.faultline_version)
                }
            ))
        })?;
        let time = result.stats.sim_time_ns;
        let mut findings = Vec::new();
        let (reproduced, explanation) = match &result.outcome {
            Outcome::Violation { violation, node } => {
                findings.push(Finding {
                    kind: "invariant".into(),
                    name: violation.invariant.clone(),
                    detail: violation.detail.clone(),
                    node: node.map(|n| n.0),
                    time_ns: Some(time),
                });
                if *violation == self.violation {
                    (true, None)
                } else {
                    (false, Some(format!("the simulator stopped on another violation: {violation}")))
                }
            }
            Outcome::Panic { node, message } => {
                findings.push(Finding {
                    kind: "panic".into(),
                    name: "handler-panicked".into(),
                    detail: message.clone(),
                    node: node.map(|n| n.0),
                    time_ns: Some(time),
                });
                let same = self.violation.invariant == "panic" && self.violation.detail.contains(message.as_str());
                (same, (!same).then(|| format!("the simulator stopped on a panic: {message}")))
            }
            other => (false, Some(format!("the schedule ran to its end without a failure ({other:?})"))),
        };
        let scenario = Scenario {
            name: format!("{} counterexample", self.model),
            description: format!("a path found by `faultline check {}`, replayed in the simulator", self.model),
            protocol: self.model.trim_end_matches("-actors").to_string(),
            bug: self.params.bug.clone(),
            nodes: self.params.nodes.unwrap_or(if self.model == "echo-actors" { 2 } else { 3 }),
            checkers: Vec::new(),
            ..Scenario::default()
        };
        let mut scenario = scenario;
        scenario.workload.clients = if self.model == "raft-actors" { self.params.clients.unwrap_or(1) } else { 0 };
        let verdict = if findings.is_empty() { Verdict::Held } else { Verdict::Violation };
        let report = RunReport {
            scenario,
            choices: ChoiceSource::Tape(Vec::new()),
            result,
            schedule: FaultSchedule::default(),
            history: checkers::History::default(),
            findings,
            unknown: Vec::new(),
            verdict,
            trace,
            tape: None,
        };
        Ok(ExploreReplay { report, reproduced, explanation })
    }
}
