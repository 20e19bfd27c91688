//! 2PC: atomic, valid and conserving under crashes and loss; blocking while
//! the coordinator is down, finishing once it restarts; the bug
//! `decide-before-log` caught within 200 seeds.

use scenarios::{check, first_seed_where, registry, run, RunOptions, Verdict};
use sim_core::{ChoiceSource, NANOS_PER_MILLI, NANOS_PER_SEC};

const THREADS: usize = 2;

fn assert_clean(scenario: &str, seeds: u64) {
    if let Some((seed, r)) = first_seed_where(scenario, 1..seeds + 1, THREADS, |r| r.verdict != Verdict::Held) {
        panic!(
            "{scenario} seed {seed}: {:?}: {:?}\nreplay: faultline run {scenario} --seed {seed} --trace",
            r.verdict, r.findings
        );
    }
}

#[test]
fn correct_2pc_commits_transfers_on_the_happy_path() {
    for seed in 1..=20 {
        let r = check("2pc-basic", seed);
        assert_eq!(r.verdict, Verdict::Held, "seed {seed}: {:?}", r.findings);
        let ok = r.history.events.iter().filter(|e| e.kind == checkers::EventType::Ok).count();
        let info = r.history.events.iter().filter(|e| e.kind == checkers::EventType::Info).count();
        assert!(ok >= 40, "seed {seed}: only {ok} transfers committed");
        assert_eq!(info, 0, "seed {seed}: without faults every transfer gets an answer");
    }
}

/// The coordinator is down from 1 s to 3 s. Cut the run at 2.5 s: the
/// participants that voted yes are reported blocked since about 1 s. Play it
/// to the end: they all decide once the coordinator is back, and the run holds.
#[test]
fn coordinator_crash_blocks_participants_until_it_recovers() {
    let full = registry::find("2pc-coordinator-crash").unwrap();
    let mut cut = full.clone();
    cut.limits.time_ns = 2_500 * NANOS_PER_MILLI;
    let mut blocked_seeds = 0;
    for seed in 1..=20 {
        let r = run(&cut, &ChoiceSource::Seed(seed), &RunOptions::default()).unwrap();
        if let Some(f) = r.findings.iter().find(|f| f.name == "blocked") {
            assert_eq!(f.kind, "liveness");
            assert_eq!(r.verdict, Verdict::Violation, "a liveness finding exits 1 like any finding");
            let since = f.time_ns.unwrap();
            // Voted just before the crash, or got a Prepare sent just before it.
            assert!(
                (NANOS_PER_SEC - 50 * NANOS_PER_MILLI..=NANOS_PER_SEC + 10 * NANOS_PER_MILLI).contains(&since),
                "seed {seed}: blocked since {since}"
            );
            assert!(f.detail.contains("the coordinator is down"), "{}", f.detail);
            if seed == 1 {
                eprintln!("2pc-coordinator-crash --time 2500ms, seed 1: {}", f.detail);
            }
            blocked_seeds += 1;
        } else {
            assert_eq!(r.verdict, Verdict::Held, "seed {seed}: {:?}", r.findings);
        }
        let r = check("2pc-coordinator-crash", seed);
        assert_eq!(r.verdict, Verdict::Held, "seed {seed}: after recovery every participant decides: {:?}", r.findings);
    }
    assert!(blocked_seeds >= 15, "the crash caught transactions in flight in only {blocked_seeds} of 20 seeds");
}

#[test]
fn bug_decide_before_log_is_caught_within_200_seeds() {
    let (seed, r) = first_seed_where("2pc-decide-before-log", 1..201, THREADS, |r| r.verdict == Verdict::Violation)
        .expect("2pc-decide-before-log: no violation in seeds 1..=200");
    let f = &r.findings[0];
    assert!(["atomic-commit", "conservation"].contains(&f.name.as_str()), "seed {seed}: {f:?}");
    eprintln!("2pc-decide-before-log: caught at seed {seed}: {} — {}", f.name, f.detail);
}

#[test]
fn correct_2pc_holds_under_crash_recovery_500_seeds() {
    assert_clean("2pc-crash-recovery", 500);
}

#[test]
fn correct_2pc_holds_when_the_coordinator_crashes_500_seeds() {
    assert_clean("2pc-coordinator-crash", 500);
}
