//! Paxos: each bug variant is caught within 200 seeds of its scenario;
//! correct single-decree Paxos and Multi-Paxos hold over 500 seeds of each
//! fault scenario (invariants after every event; for Multi-Paxos also the
//! client history, checked for linearizability). Dueling proposers are
//! always safe but not always live: the test counts the seeds that never
//! decide.

use scenarios::{check, registry, RunOptions, Verdict};
use sim_core::{ChoiceSource, TraceKind, TraceLevel};

use scenarios::testing::{assert_caught, assert_clean};

/// Runs a built-in scenario with a full trace and returns (verdict, how
/// many nodes noted that they learned a value, how many ballots were tried).
fn learned(scenario: &str, seed: u64) -> (Verdict, usize, usize) {
    let s = registry::find(scenario).expect("built-in scenario");
    let options = RunOptions { trace: TraceLevel::Full, ..RunOptions::default() };
    let r = scenarios::run(&s, &ChoiceSource::Seed(seed), &options).expect("valid scenario");
    let notes = r.trace.iter().filter(|e| e.kind == TraceKind::Note);
    let (mut learned, mut ballots) = (0, 0);
    for e in notes {
        learned += e.detail.contains("learned") as usize;
        ballots += e.detail.contains("prepare ballot") as usize;
    }
    (r.verdict, learned, ballots)
}

// ---- Bugs ----

#[test]
fn bug_ignore_accepted_is_caught() {
    assert_caught("paxos-ignore-accepted", &["agreement"]);
}

#[test]
fn bug_forget_promise_is_caught() {
    assert_caught("paxos-forget-promise", &["agreement"]);
}

#[test]
fn multi_bug_ignore_accepted_is_caught() {
    assert_caught("multi-paxos-ignore-accepted", &["agreement", "learned-is-chosen", "linearizability"]);
}

#[test]
fn multi_bug_forget_promise_is_caught() {
    assert_caught("multi-paxos-forget-promise", &["agreement", "learned-is-chosen", "linearizability"]);
}

// ---- Single-decree ----

#[test]
fn paxos_basic_chooses_one_value_that_every_node_learns() {
    for seed in 1..=20 {
        let (verdict, learned, _) = learned("paxos-basic", seed);
        assert_eq!(verdict, Verdict::Held, "seed {seed}");
        assert_eq!(learned, 5, "seed {seed}: every node learns the value");
    }
}

/// Liveness is information here, not a verdict: the test counts the seeds
/// in which no value was chosen before the time limit, and checks that there
/// are some (the scenario is tuned to show the livelock) but not all.
#[test]
fn paxos_dueling_is_safe_but_not_always_live() {
    let seeds = 100u64;
    let mut undecided = Vec::new();
    let mut ballots_undecided = 0;
    for seed in 1..=seeds {
        let (verdict, learned, ballots) = learned("paxos-dueling", seed);
        assert_eq!(verdict, Verdict::Held, "seed {seed}: dueling must stay safe");
        if learned == 0 {
            undecided.push(seed);
            ballots_undecided += ballots;
        }
    }
    eprintln!(
        "paxos-dueling: {} of {seeds} seeds chose no value within the 3 s limit ({} ballots tried in each, on average); \
         e.g. seeds {:?}",
        undecided.len(),
        ballots_undecided / undecided.len().max(1),
        &undecided[..undecided.len().min(5)]
    );
    assert!(!undecided.is_empty(), "dueling proposers should livelock in some seeds");
    assert!((undecided.len() as u64) < seeds / 2, "and decide in most");
}

/// The worlds that expose each bug, without the bug: correct Paxos holds.
#[test]
fn bug_worlds_hold_without_the_bug() {
    for (name, seeds) in [
        ("paxos-ignore-accepted", 300),
        ("paxos-forget-promise", 300),
        ("multi-paxos-ignore-accepted", 40),
        ("multi-paxos-forget-promise", 40),
    ] {
        let mut s = registry::find(name).expect("built-in");
        s.bug = None;
        for seed in 1..=seeds {
            let r = scenarios::run(&s, &ChoiceSource::Seed(seed), &RunOptions::default()).expect("valid");
            assert_eq!(r.verdict, Verdict::Held, "{name} without its bug, seed {seed}: {:?}", r.findings);
        }
    }
}

#[test]
fn paxos_holds_under_crash_recovery_500_seeds() {
    assert_clean("paxos-crash-recovery", 500);
}

#[test]
fn paxos_dueling_holds_500_seeds() {
    assert_clean("paxos-dueling", 500);
}

// ---- Multi-Paxos ----

#[test]
fn multi_paxos_serves_every_operation_on_the_happy_path() {
    for seed in 1..=10 {
        let r = check("multi-paxos-basic", seed);
        assert_eq!(r.verdict, Verdict::Held, "seed {seed}: {:?}", r.findings);
        assert!(r.history.len() >= 300, "seed {seed}: every operation completes ({} events)", r.history.len());
    }
}

#[test]
fn multi_paxos_holds_under_crash_recovery_500_seeds() {
    assert_clean("multi-paxos-crash-recovery", 500);
}

#[test]
fn multi_paxos_holds_under_partitions_on_lossy_links_500_seeds() {
    assert_clean("multi-paxos-partition", 500);
}

/// Tuning aid (not part of the suite): `PAXOS_EXPLORE=file.json SEEDS=200
/// cargo test --release -p scenarios --test paxos explore -- --ignored --nocapture`
/// runs a scenario file over seeds and prints verdict counts.
#[test]
#[ignore]
fn explore() {
    let path = std::env::var("PAXOS_EXPLORE").expect("PAXOS_EXPLORE=scenario.json");
    let seeds: u64 = std::env::var("SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let s = match registry::find(&path) {
        Some(s) => s,
        None => scenarios::Scenario::from_json(&std::fs::read_to_string(&path).expect("readable")).expect("valid"),
    };
    if std::env::var("DUMP").is_ok() {
        println!("{}", s.to_json_pretty());
        return;
    }
    let full = RunOptions { trace: TraceLevel::Full, ..RunOptions::default() };
    if let Some(seed) = std::env::var("TRACE").ok().and_then(|s| s.parse().ok()) {
        let r = scenarios::run(&s, &ChoiceSource::Seed(seed), &full).expect("runs");
        for e in &r.trace {
            eprintln!("{:>12} {:?} {:?} {:?} {}", e.time, e.kind, e.actor, e.peer, e.detail);
        }
        eprintln!("{:?} {:?}", r.verdict, r.findings);
        return;
    }
    let (mut violations, mut undecided, mut first) = (0, 0, None);
    for seed in 1..=seeds {
        let r = scenarios::run(&s, &ChoiceSource::Seed(seed), &full).expect("runs");
        if r.verdict != Verdict::Held {
            violations += 1;
            if first.is_none() {
                first = Some((seed, r.findings.clone(), r.unknown.clone()));
            }
        }
        if s.protocol == "paxos" && !r.trace.iter().any(|e| e.kind == TraceKind::Note && e.detail.contains("learned")) {
            undecided += 1;
        }
    }
    eprintln!("{}: {violations} of {seeds} not held; {undecided} undecided; first: {first:?}", s.name);
}
