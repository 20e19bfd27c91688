//! Runs a scenario: builds the world from the scenario value, draws the
//! fault schedule, plays the simulator, and judges the run (invariants,
//! panics, and the checkers the scenario names on the client history).

use crate::judge::HistoryVerdict;
use crate::scenario::{Scenario, ScenarioError};
use checkers::History;
use serde::{Deserialize, Serialize};
use sim_core::{
    ChoiceSource, Choices, FaultSchedule, Outcome, Recorded, RunResult, TraceEvent, TraceLevel, WorldConfig,
};

/// How to run (not part of the scenario: the same run either way).
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub trace: TraceLevel,
    /// Record every draw on a tape (for shrinking and tape repros).
    pub record_tape: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { trace: TraceLevel::HashOnly, record_tape: false }
    }
}

/// The overall judgement of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every check held.
    Held,
    /// Something broke (an invariant, a checker, a panic).
    Violation,
    /// A budget ran out before the run could be judged.
    Unknown,
}

impl Verdict {
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Held => 0,
            Verdict::Violation => 1,
            Verdict::Unknown => 3,
        }
    }
}

/// One thing found wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// `invariant`, `panic` or a checker's name.
    pub kind: String,
    /// The invariant or property (e.g. `election-safety`).
    pub name: String,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_ns: Option<u64>,
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct RunReport {
    pub scenario: Scenario,
    pub choices: ChoiceSource,
    pub result: RunResult,
    /// The fault schedule that ran (explicit faults plus the nemesis's draws).
    pub schedule: FaultSchedule,
    pub history: History,
    pub findings: Vec<Finding>,
    /// Why the verdict is unknown, if it is (a checker's budget ran out).
    pub unknown: Vec<String>,
    pub verdict: Verdict,
    /// Kept when the trace level is `Full`.
    pub trace: Vec<TraceEvent>,
    /// The draws, when recorded (`RunOptions::record_tape`).
    pub tape: Option<Recorded>,
}

impl RunReport {
    pub fn trace_hash_hex(&self) -> String {
        sim_core::hash_hex(self.result.trace_hash)
    }
}

/// Runs `scenario` with the given choices.
pub fn run(scenario: &Scenario, choices: &ChoiceSource, options: &RunOptions) -> Result<RunReport, ScenarioError> {
    scenario.validate()?;
    let mut draws = Choices::from_source(choices);
    if options.record_tape {
        draws = draws.record();
    }
    let mut faults = scenario.faults.faults.clone();
    faults.extend(scenario.nemesis.generate(scenario.nodes, &mut draws).faults);
    let schedule = FaultSchedule::new(faults);
    let world = WorldConfig {
        nodes: scenario.nodes,
        links: vec![scenario.network.link; scenario.nodes * scenario.nodes],
        client_link: scenario.network.client_link,
        clocks: vec![Default::default(); scenario.nodes],
        schedule: schedule.clone(),
        sync_delay_ns: scenario.sync_delay_ns,
        limits: scenario.limits,
        trace_level: options.trace,
        stop_when_done: scenario.workload.clients > 0,
        check_invariants: scenario.invariants,
    };
    world.validate().map_err(|e| ScenarioError { field: String::new(), message: e })?;
    let entry = crate::catalog::all()
        .into_iter()
        .find(|p| p.name == scenario.protocol)
        .expect("validated protocol is in the catalog");
    let played = (entry.play)(scenario, world, draws)?;
    let mut report = RunReport {
        scenario: scenario.clone(),
        choices: choices.clone(),
        result: played.result,
        schedule,
        history: played.history,
        findings: played.findings,
        unknown: Vec::new(),
        verdict: Verdict::Held,
        trace: played.trace,
        tape: played.tape,
    };
    judge(&mut report);
    Ok(report)
}

/// Turns the run's outcome and the checkers' verdicts into findings and a verdict.
fn judge(report: &mut RunReport) {
    let time = report.result.stats.sim_time_ns;
    match &report.result.outcome {
        Outcome::Violation { violation, node } => report.findings.push(Finding {
            kind: "invariant".into(),
            name: violation.invariant.clone(),
            detail: violation.detail.clone(),
            node: node.map(|n| n.0),
            time_ns: Some(time),
        }),
        Outcome::Panic { node, message } => report.findings.push(Finding {
            kind: "panic".into(),
            name: "handler-panicked".into(),
            detail: message.clone(),
            node: node.map(|n| n.0),
            time_ns: Some(time),
        }),
        _ => {}
    }
    let mut unknown = Vec::new();
    if !report.result.outcome.is_failure() {
        for checker in &report.scenario.checkers {
            match crate::judge::check_history(checker, &report.history) {
                HistoryVerdict::Holds => {}
                HistoryVerdict::Violated(finding) => report.findings.push(finding),
                HistoryVerdict::Unknown(reason) => unknown.push(reason),
            }
        }
    }
    if let (Some(bound), false) = (report.scenario.liveness_bound_ns, report.result.outcome.is_failure()) {
        let end = report.result.stats.sim_time_ns;
        if let Some(finding) = crate::liveness::check_progress(&report.history, &report.schedule, bound, end) {
            report.findings.push(finding);
        }
    }
    report.unknown = unknown;
    report.verdict = if !report.findings.is_empty() {
        Verdict::Violation
    } else if report.result.outcome == Outcome::EventLimit || !report.unknown.is_empty() {
        Verdict::Unknown
    } else {
        Verdict::Held
    };
}
