//! Raft: each bug variant is caught within 200 seeds of its scenario; correct
//! Raft holds over 500 seeds of each fault scenario (invariants checked
//! after every event, and the client history checked for linearizability).

use scenarios::testing::{assert_caught, assert_clean, THREADS};
use scenarios::{check, first_seed_where_in, registry, Verdict};

#[test]
fn bug_no_log_check_is_caught() {
    assert_caught(
        "raft-no-log-check",
        &["leader-completeness", "committed-entry-safety", "state-machine-safety", "log-matching", "linearizability"],
    );
}

#[test]
fn bug_commit_old_term_is_caught() {
    assert_caught(
        "raft-commit-old-term",
        &["committed-entry-safety", "leader-completeness", "state-machine-safety", "log-matching", "linearizability"],
    );
}

#[test]
fn bug_forget_vote_is_caught() {
    assert_caught("raft-forget-vote", &["election-safety"]);
}

#[test]
fn correct_raft_holds_on_the_happy_path() {
    for seed in 1..=20 {
        let r = check("raft-basic", seed);
        assert_eq!(r.verdict, Verdict::Held, "seed {seed}: {:?}", r.findings);
        assert!(r.history.len() >= 300, "seed {seed}: every operation completes");
    }
}

#[test]
fn correct_raft_holds_under_partitions_500_seeds() {
    assert_clean("raft-partition", 500);
}

#[test]
fn correct_raft_holds_under_crash_recovery_500_seeds() {
    assert_clean("raft-crash-recovery", 500);
}

#[test]
fn correct_raft_holds_on_lossy_links_500_seeds() {
    assert_clean("raft-lossy", 500);
}

/// The history checker on its own (invariants off) catches a Raft bug: the
/// lost committed entry shows up as a client history no order explains.
#[test]
fn linearizability_alone_catches_no_log_check() {
    let mut scenario = registry::find("raft-no-log-check").unwrap();
    scenario.invariants = false;
    let found = first_seed_where_in(&scenario, 1..201, THREADS, |r| r.verdict == Verdict::Violation);
    let (seed, report) = found.expect("a non-linearizable history within 200 seeds");
    assert_eq!(report.findings[0].name, "linearizability", "seed {seed}: {:?}", report.findings);
    eprintln!("raft-no-log-check without invariants: seed {seed}: {}", report.findings[0].detail);
}

/// One Byzantine node breaks Raft's safety among the correct nodes (Raft
/// tolerates crashes, not lies), and the run's repro replays bit for bit.
#[test]
fn one_byzantine_node_breaks_raft_and_the_repro_replays() {
    assert_caught(
        "raft-byzantine",
        &["state-machine-safety", "log-matching", "leader-completeness", "committed-entry-safety", "election-safety"],
    );
    let found = scenarios::first_seed_where("raft-byzantine", 1..201, THREADS, |r| r.verdict == Verdict::Violation);
    let (_, report) = found.expect("caught above");
    let repro = scenarios::Repro::parse(&scenarios::Repro::from_report(&report).to_json()).unwrap();
    let replay = repro.replay(sim_core::TraceLevel::Full).unwrap();
    assert!(replay.identical, "{:?}", replay.explanation);
    assert_eq!(replay.report.trace_hash_hex(), repro.trace_hash);
    assert!(replay.report.result.stats.byzantine_actions > 0, "the liar's lies are counted");
}

/// The strategies Raft survives: a silent node is a crashed one, replays are
/// duplicates, forgeries fail authentication. Correct nodes stay safe and
/// the history linearizable (the Byzantine node is node 0, from the start).
#[test]
fn raft_survives_silent_replaying_and_forging_nodes() {
    use sim_core::{Fault, FaultSchedule, NodeId, ScheduledFault, Strategy};
    for strategy in [Strategy::Silent, Strategy::Replay, Strategy::Forge] {
        let mut scenario = registry::find("raft-byzantine").unwrap();
        scenario.faults = FaultSchedule::new(vec![ScheduledFault {
            at_ns: 0,
            fault: Fault::Byzantine { node: NodeId(0), strategy: strategy.clone() },
        }]);
        let bad = first_seed_where_in(&scenario, 1..41, THREADS, |r| r.verdict != Verdict::Held);
        if let Some((seed, r)) = bad {
            panic!("raft with a {strategy} node, seed {seed}: {:?} {:?}", r.findings, r.unknown);
        }
        let r = scenarios::run(&scenario, &sim_core::ChoiceSource::Seed(1), &Default::default()).unwrap();
        assert!(r.result.stats.byzantine_actions > 0, "{strategy}: the node acted");
        if strategy == Strategy::Forge {
            assert!(r.result.stats.messages_rejected > 0, "forgeries are rejected");
        }
    }
}

/// The content-changing strategies break Raft too: an equivocating leader
/// (log-matching) or a node granting every vote (election-safety); no
/// handler of a correct node panics on the lies.
#[test]
fn equivocating_or_vote_corrupting_nodes_break_raft_without_panics() {
    use sim_core::{Fault, FaultSchedule, NodeId, ScheduledFault, Strategy};
    for strategy in [Strategy::Equivocate, Strategy::Corrupt] {
        let mut scenario = registry::find("raft-byzantine").unwrap();
        scenario.faults = FaultSchedule::new(vec![ScheduledFault {
            at_ns: 0,
            fault: Fault::Byzantine { node: NodeId(1), strategy: strategy.clone() },
        }]);
        scenario.nemesis = sim_core::Nemesis { crash_leader: true, recover: true, ..sim_core::Nemesis::default() };
        let found = first_seed_where_in(&scenario, 1..201, THREADS, |r| r.verdict != Verdict::Held);
        let (seed, r) = found.unwrap_or_else(|| panic!("{strategy}: nothing found in 200 seeds"));
        assert_eq!(r.verdict, Verdict::Violation, "{strategy} seed {seed}: {:?}", r.findings);
        let name = r.findings[0].name.as_str();
        assert!(["log-matching", "state-machine-safety", "election-safety"].contains(&name), "{strategy}: {name}");
        eprintln!("raft with a {strategy} node: seed {seed}: {name} — {}", r.findings[0].detail);
    }
}
