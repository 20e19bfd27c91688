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
