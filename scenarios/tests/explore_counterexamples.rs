//! Counterexamples found by exploring the protocol code (the actor adapter
//! over `protocols/src/paxos` and `protocols/src/raft`) are shortest, and
//! their schedules replay in the simulator to the same violation.

use scenarios::models::explore_repro::ExploreRepro;
use scenarios::models::{self, CheckSummary, Params};
use scenarios::Verdict;
use sim_core::explore::Options;
use sim_core::sim::schedule::ScheduleStep;

fn check(name: &str, params: &Params, options: Options) -> CheckSummary {
    models::check(name, params, &options).expect("valid model and parameters")
}

/// BFS finds a violation whose path has `len` steps; bounding BFS to states
/// at depth `len + 1` (the initial state is depth 1, so paths of `len` steps)
/// finds it again, and to depth `len` (paths of `len - 1` steps) finds none:
/// no shorter counterexample exists. Returns the summary of the full search.
fn assert_shortest(name: &str, params: &Params) -> CheckSummary {
    let found = check(name, params, Options::bfs());
    assert_eq!(found.exit_code, 1, "{name}: {:?}", found.verdicts);
    let len = found.verdicts[0].path_length.expect("a counterexample path") as u64;
    let at_len = check(name, params, Options::bfs().max_depth(len + 1));
    assert_eq!(at_len.exit_code, 1, "{name}: within {len} steps");
    assert_eq!(at_len.verdicts[0].path_length, Some(len as usize));
    let shorter = check(name, params, Options::bfs().max_depth(len));
    assert_eq!(shorter.exit_code, 3, "{name}: a violation within {} steps: {:?}", len - 1, shorter.verdicts);
    assert!(!shorter.verdicts[0].status.is_failure());
    found
}

/// The counterexample's schedule, through a file's JSON and back, replays in
/// the simulator to the explorer's violation; cut short, it does not.
fn assert_replays(params: &Params, summary: &CheckSummary, invariant: &str) {
    let repro = ExploreRepro::from_summary(params, summary).expect("a counterexample schedule");
    assert_eq!(repro.violation.invariant, invariant);
    assert_eq!(repro.steps.len(), summary.verdicts[0].path_length.unwrap());
    let repro = ExploreRepro::parse(&repro.to_json()).expect("the file parses back");
    let replay = repro.replay().expect("the schedule fits the simulator");
    assert!(replay.reproduced, "{:?}", replay.explanation);
    assert_eq!(replay.report.verdict, Verdict::Violation);
    assert_eq!(replay.report.findings[0].name, invariant);
    assert_eq!(replay.report.findings[0].detail, repro.violation.detail);
    assert_eq!(replay.report.result.stats.events, repro.steps.len() as u64);
    assert!(replay.report.trace.iter().any(|e| e.kind == sim_core::TraceKind::Violation));

    // Without its last step the schedule ends cleanly: the violation is the last step's doing.
    let mut short = repro.clone();
    short.steps.pop();
    let replay = short.replay().expect("a prefix fits too");
    assert!(!replay.reproduced);
    assert_eq!(replay.report.verdict, Verdict::Held);

    // A step naming a message nobody sent cannot be replayed, and says which step.
    let mut wrong = repro.clone();
    if let ScheduleStep::Deliver { payload, .. } = &mut wrong.steps[1] {
        *payload ^= 1;
    }
    let e = wrong.replay().expect_err("no such message in flight").to_string();
    assert!(e.contains("schedule step 2"), "{e}");
}

fn raft_params() -> Params {
    Params {
        nodes: Some(3),
        clients: Some(1),
        bug: Some("no-log-check".into()),
        timeouts: Some(2),
        ..Params::default()
    }
}

#[test]
fn raft_no_log_check_counterexample_is_shortest_and_replays_in_the_simulator() {
    let params = raft_params();
    let found = assert_shortest("raft-actors", &params);
    assert_eq!(found.verdicts[0].path_length, Some(9));
    assert_replays(&params, &found, "leader-completeness");
}

#[test]
fn raft_without_the_bug_is_clean_under_the_same_timeout_budget() {
    // The bounded world is finite: correct Raft is explored completely.
    let params = Params { bug: None, ..raft_params() };
    let s = check("raft-actors", &params, Options::bfs());
    assert_eq!(s.exit_code, 0, "{:?}", s.verdicts);
    assert_eq!(s.completion, sim_core::explore::Completion::Complete);
}

#[test]
fn paxos_ignore_accepted_two_acceptors_is_shortest_and_replays() {
    // Two nodes (both propose, both accept; majority 2): the same bug, small
    // enough for every `cargo test`. Three nodes: the ignored test below.
    let params = Params { nodes: Some(2), bug: Some("ignore-accepted".into()), timeouts: Some(2), ..Params::default() };
    let found = assert_shortest("paxos-actors", &params);
    assert_replays(&params, &found, "agreement");
    let correct = check("paxos-actors", &Params { bug: None, ..params }, Options::bfs());
    assert_eq!(correct.exit_code, 0, "{:?}", correct.verdicts);
}

#[test]
#[ignore = "heavy: about 1.4 million states per search (cargo test --release -- --ignored)"]
fn paxos_ignore_accepted_three_nodes_is_shortest_and_replays() {
    let params = Params { nodes: Some(3), bug: Some("ignore-accepted".into()), timeouts: Some(2), ..Params::default() };
    let found = assert_shortest("paxos-actors", &params);
    assert_eq!(found.verdicts[0].path_length, Some(14));
    assert_replays(&params, &found, "agreement");
}
