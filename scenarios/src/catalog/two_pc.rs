//! 2PC's entry in the catalog: bank transfers committed by two-phase commit,
//! its blocking scenario and its bug.
//!
//! End of run: a participant that voted yes and is still uncertain more than
//! [`DECIDE_WITHIN_NS`] after it voted is **blocked**, a liveness finding
//! (kind `liveness`, name `blocked`) naming the nodes, the transactions and
//! since when. A run that ends while the coordinator is down reports it;
//! once the coordinator is back, the participants finish and the run holds.

use super::{play, ProtocolEntry};
use crate::bank_workload::BankClients;
use crate::runner::Finding;
use crate::scenario::{Network, Scenario, ScenarioError, WorkloadSpec};
use protocols::bank::{Bank, BankMonitor};
use protocols::two_pc::{TwoPc, TwoPcBug, COORDINATOR};
use sim_core::time::format_duration_ns;
use sim_core::{
    Fault, FaultSchedule, Limits, LinkModel, Nemesis, NodeId, Ratio, ScheduledFault, Time, NANOS_PER_MILLI,
    NANOS_PER_SEC,
};

/// A participant undecided for longer than this at the end of a run is blocked.
pub const DECIDE_WITHIN_NS: u64 = NANOS_PER_SEC;

pub fn entry() -> ProtocolEntry {
    ProtocolEntry {
        name: "2pc",
        bugs: TwoPcBug::ALL.iter().map(|b| b.name()).collect(),
        byzantine_strategies: &[],
        scenarios,
        play: |scenario, world, choices| {
            let bank = bank_of(scenario)?;
            let bug = scenario
                .bug
                .as_deref()
                .map(|b| b.parse::<TwoPcBug>())
                .transpose()
                .map_err(|e| ScenarioError { field: "bug".into(), message: e })?;
            let protocol = TwoPc { bug, ..TwoPc::new(bank) };
            Ok(play(
                protocol,
                BankClients::new(scenario.workload.clone()),
                world,
                choices,
                |w| w.into_history(),
                |sim| blocked(sim.monitor(), &|i| sim.states()[i].is_some(), sim.now(), "the coordinator"),
            ))
        },
    }
}

/// The bank of an atomic-commit scenario: node 0 coordinates, the others
/// hold `workload.keys` accounts. Errors name the field.
pub(crate) fn bank_of(scenario: &Scenario) -> Result<Bank, ScenarioError> {
    if scenario.nodes < 3 {
        return Err(ScenarioError {
            field: "nodes".into(),
            message: format!(
                "{} needs a coordinator and at least two participants (3 nodes), not {}",
                scenario.protocol, scenario.nodes
            ),
        });
    }
    if scenario.workload.clients > 0 && scenario.workload.keys < 2 {
        return Err(ScenarioError {
            field: "workload.keys".into(),
            message: "bank transfers need at least two accounts".into(),
        });
    }
    Ok(Bank { nodes: scenario.nodes, accounts: scenario.workload.keys as u32 })
}

/// The end-of-run liveness judgement shared by 2PC and 3PC: participants up
/// and still uncertain for longer than [`DECIDE_WITHIN_NS`].
pub(crate) fn blocked(monitor: &BankMonitor, up: &dyn Fn(usize) -> bool, now: Time, decider: &str) -> Vec<Finding> {
    let stuck: Vec<(NodeId, String, Time)> = monitor
        .uncertain_since
        .iter()
        .filter(|((node, _), since)| up(node.index()) && now.saturating_sub(**since) > DECIDE_WITHIN_NS)
        .map(|((node, tx), since)| (*node, tx.to_string(), *since))
        .collect();
    let Some(&(first, _, earliest)) = stuck.iter().min_by_key(|s| s.2) else { return Vec::new() };
    let mut nodes: Vec<u32> = stuck.iter().map(|s| s.0 .0).collect();
    nodes.dedup();
    let list: Vec<String> = stuck
        .iter()
        .take(8)
        .map(|(n, tx, since)| format!("n{} on {tx} since {}", n.0, format_duration_ns(*since)))
        .collect();
    vec![Finding {
        kind: "liveness".into(),
        name: "blocked".into(),
        detail: format!(
            "{} participant(s) voted yes and were still uncertain at {} ({}{}); {} is {}: they may neither commit nor abort on their own",
            nodes.len(),
            format_duration_ns(now),
            list.join(", "),
            if stuck.len() > 8 { format!(" and {} more", stuck.len() - 8) } else { String::new() },
            decider,
            if up(COORDINATOR.index()) { "up" } else { "down" },
        ),
        node: Some(first.0),
        time_ns: Some(earliest),
    }]
}

fn two_pc(name: &str, description: &str, long: &str) -> Scenario {
    bank_scenario("2pc", name, description, long)
}

/// A bank-transfer scenario of an atomic-commit protocol (2PC or 3PC):
/// a coordinator and 3 participants, 4 clients.
pub(super) fn bank_scenario(protocol: &str, name: &str, description: &str, long: &str) -> Scenario {
    Scenario {
        name: name.into(),
        description: description.into(),
        long: long.into(),
        protocol: protocol.into(),
        nodes: 4,
        workload: WorkloadSpec {
            clients: 4,
            ops_per_client: 40,
            keys: 6,
            think_min_ns: 0,
            think_max_ns: 20 * NANOS_PER_MILLI,
            op_timeout_ns: 500 * NANOS_PER_MILLI,
            end_ns: 6 * NANOS_PER_SEC,
            ..WorkloadSpec::default()
        },
        checkers: vec![],
        limits: Limits { time_ns: 10 * NANOS_PER_SEC, ..Limits::default() },
        ..Scenario::default()
    }
}

/// Keep clients busy until `workload.end_ns`, so faults hit live transactions.
pub(super) fn busy(mut s: Scenario) -> Scenario {
    s.workload.ops_per_client = 100_000;
    s.workload.clients = 6;
    s.workload.think_max_ns = 5 * NANOS_PER_MILLI;
    s
}

fn crash_nemesis() -> Nemesis {
    Nemesis {
        crash: true,
        crash_leader: true,
        recover: true,
        max_down: Some(2),
        start_ns: 500 * NANOS_PER_MILLI,
        end_ns: 4 * NANOS_PER_SEC,
        interval_min_ns: 50 * NANOS_PER_MILLI,
        interval_max_ns: 250 * NANOS_PER_MILLI,
        duration_min_ns: 10 * NANOS_PER_MILLI,
        duration_max_ns: 150 * NANOS_PER_MILLI,
        ..Nemesis::default()
    }
}

fn scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();

    v.push(two_pc(
        "2pc-basic",
        "2PC, a coordinator and 3 participants, bank transfers, no faults",
        "Node 0 coordinates; nodes 1-3 hold six bank accounts of 100 each. Four clients ask the \
         coordinator for transfers between accounts. For each transfer the coordinator sends \
         Prepare to the two participants holding the accounts; each logs a prepared record and \
         votes yes, or votes no (the account is locked by another transfer, or would go below \
         zero). All yes: the coordinator logs Commit and tells them; otherwise Abort. Follow one \
         transaction in the trace from Prepare to Commit. Invariants: atomic commit, commit \
         validity, and conservation of money.",
    ));

    let mut s = two_pc(
        "2pc-coordinator-crash",
        "2PC blocks: the coordinator crashes at 1 s, participants stay uncertain until it restarts at 3 s",
        "The coordinator (n0) crashes at 1 s in the middle of busy traffic and restarts from its \
         decision log at 3 s. Participants that had voted yes for a transaction in flight are \
         uncertain: they promised to commit if told to, and they cannot abort alone because the \
         coordinator may have decided Commit and told someone else. They ask the coordinator \
         every 100 ms and get no answer: they are blocked, holding their accounts locked. This is \
         2PC's known weakness. The run reports it: `--time 2500ms` ends the run while the \
         coordinator is down, and a liveness finding `blocked` names the participants and since \
         when. Played to the end, the restarted coordinator answers from its log (an \
         unlogged transaction is presumed aborted), every participant decides, and the run holds. \
         3PC (3pc-crash-stop) removes this blocking, at a price.",
    );
    s.faults = FaultSchedule::new(vec![
        ScheduledFault { at_ns: NANOS_PER_SEC, fault: Fault::Crash { node: COORDINATOR } },
        ScheduledFault { at_ns: 3 * NANOS_PER_SEC, fault: Fault::Recover { node: COORDINATOR } },
    ]);
    s.workload.end_ns = 5 * NANOS_PER_SEC;
    v.push(busy(s));

    let mut s = two_pc(
        "2pc-crash-recovery",
        "2PC with coordinator and participant crashes and lossy links: atomic, and never stuck",
        "The nemesis crashes the coordinator and participants every 50-250 ms for up to 150 ms \
         each, and links lose one message in twenty. Lost votes make the coordinator abort after \
         its vote timeout; lost decisions are recovered by the participants asking again; a \
         restarted participant rereads its ledger (balances, votes, prepared records) and asks \
         about every transaction it is uncertain of; a restarted coordinator answers from its \
         decision log. Atomicity, validity and conservation must hold, and after the last fault \
         every participant decides. Compare with 2pc-decide-before-log.",
    );
    s.nemesis = crash_nemesis();
    s.network =
        Network { link: LinkModel::fair_loss(Ratio::percent(5), Ratio::ZERO, Ratio::ZERO), ..Network::default() };
    v.push(busy(s));

    let mut s = two_pc(
        "2pc-decide-before-log",
        "Bug decide-before-log: the coordinator sends Commit before its log write is durable",
        "The coordinator must log its decision before telling anyone. This variant sends Commit \
         (or Abort) at once and writes the log 20 ms later, as a lazy group commit would. When \
         it crashes inside that window, some participants have already applied the Commit, while \
         another missed it (a lost message, or it was down). The restarted coordinator finds no \
         decision in its log, presumes abort, and tells the latecomer Abort: one participant \
         committed a transaction another aborted. Look for an atomic-commit violation (or \
         conservation: half a transfer applied).",
    );
    s.bug = Some("decide-before-log".into());
    s.nemesis = crash_nemesis();
    s.network =
        Network { link: LinkModel::fair_loss(Ratio::percent(5), Ratio::ZERO, Ratio::ZERO), ..Network::default() };
    v.push(busy(s));

    v
}
