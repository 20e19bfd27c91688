//! PBFT: with n = 3f+1 replicas (f = 1 and f = 2), up to f Byzantine
//! replicas of every strategy and arbitrary links, no agreement or validity
//! violation and a linearizable history; one Byzantine replica too many
//! breaks agreement, and each bug variant is caught within 200 seeds.
//!
//! The normal suite sweeps fewer seeds per scenario; the 500-seed sweeps of
//! the acceptance criteria are `#[ignore]`d (run them with
//! `cargo test --release -p scenarios --test pbft -- --ignored`).

use scenarios::testing::{assert_caught, assert_clean, THREADS};
use scenarios::{check, first_seed_where, registry, Repro, Verdict};

/// Every PBFT scenario that stays within the fault bound (n = 3f+1, at most
/// f Byzantine replicas): all of them must hold.
fn within_the_bound() -> Vec<String> {
    let names: Vec<String> = registry::builtin()
        .into_iter()
        .filter(|s| s.protocol == "pbft" && s.bug.is_none() && s.name != "pbft-too-many-faulty")
        .map(|s| s.name)
        .collect();
    for strategy in ["silent", "equivocate", "replay", "corrupt", "forge", "lie-about-state"] {
        for family in ["pbft-byzantine-replica-", "pbft-f2-byzantine-"] {
            let name = format!("{family}{strategy}");
            assert!(names.contains(&name), "scenario {name} exists");
        }
    }
    assert!(names.contains(&"pbft-arbitrary-links".to_string()));
    names
}

fn seeds_for(name: &str, f1: u64, f2: u64) -> u64 {
    if name.starts_with("pbft-f2-") {
        f2
    } else {
        f1
    }
}

#[test]
fn correct_pbft_holds_within_the_fault_bound() {
    for name in within_the_bound() {
        assert_clean(&name, seeds_for(&name, 30, 8));
    }
}

#[test]
#[ignore = "500 seeds of each of 15 scenarios: 7 to 11 minutes in release on 2 cores"]
fn correct_pbft_holds_within_the_fault_bound_500_seeds() {
    for name in within_the_bound() {
        assert_clean(&name, 500);
    }
}

#[test]
fn happy_path_completes_every_operation() {
    for seed in 1..=10 {
        let r = check("pbft-basic", seed);
        assert_eq!(r.verdict, Verdict::Held, "seed {seed}: {:?}", r.findings);
        let ok = r.history.events.iter().filter(|e| e.kind == checkers::EventType::Ok).count();
        assert_eq!(ok, 150, "seed {seed}: every operation completes");
    }
}

/// An equivocating primary stalls its view; the view change restores
/// progress (the scenario's liveness bound) and every operation completes.
#[test]
fn a_view_change_replaces_an_equivocating_primary() {
    for seed in 1..=10 {
        let r = check("pbft-equivocating-primary", seed);
        assert_eq!(r.verdict, Verdict::Held, "seed {seed}: {:?}", r.findings);
        let ok = r.history.events.iter().filter(|e| e.kind == checkers::EventType::Ok).count();
        assert_eq!(ok, 150, "seed {seed}: every operation completes");
        assert!(r.result.stats.byzantine_actions > 0, "seed {seed}: the primary lied");
    }
}

/// Two Byzantine replicas of four (f = 1): agreement breaks, and the repro
/// of the first violating seed replays bit for bit.
#[test]
fn too_many_faulty_replicas_break_agreement_and_the_repro_replays() {
    assert_caught("pbft-too-many-faulty", &["agreement"]);
    let found = first_seed_where("pbft-too-many-faulty", 1..201, THREADS, |r| r.verdict == Verdict::Violation);
    let (_, report) = found.expect("caught above");
    let repro = Repro::parse(&Repro::from_report(&report).to_json()).unwrap();
    let replay = repro.replay(sim_core::TraceLevel::Full).unwrap();
    assert!(replay.identical, "{:?}", replay.explanation);
    assert_eq!(replay.report.trace_hash_hex(), repro.trace_hash);
    assert_eq!(replay.report.findings, report.findings);
}

#[test]
fn bug_small_quorum_is_caught() {
    assert_caught("pbft-small-quorum", &["agreement"]);
}

#[test]
fn bug_skip_request_check_is_caught() {
    assert_caught("pbft-skip-request-check", &["validity"]);
}

#[test]
fn bug_trust_new_view_is_caught() {
    assert_caught("pbft-trust-new-view", &["agreement", "linearizability"]);
}
