//! 3PC: with crash-stop nodes on reliable links it never blocks and stays
//! atomic (500 seeds); under partitions the simulator finds the atomicity
//! violation on its own within 200 seeds.

use scenarios::{check, first_seed_where, Repro, Verdict};
use sim_core::TraceLevel;

const THREADS: usize = 2;

#[test]
fn correct_3pc_commits_transfers_on_the_happy_path() {
    for seed in 1..=20 {
        let r = check("3pc-basic", seed);
        assert_eq!(r.verdict, Verdict::Held, "seed {seed}: {:?}", r.findings);
        let ok = r.history.events.iter().filter(|e| e.kind == checkers::EventType::Ok).count();
        assert!(ok >= 40, "seed {seed}: only {ok} transfers committed");
    }
}

/// Safety and liveness: no invariant broken and no participant left blocked.
#[test]
fn crash_stop_never_blocks_and_stays_atomic_500_seeds() {
    if let Some((seed, r)) = first_seed_where("3pc-crash-stop", 1..501, THREADS, |r| r.verdict != Verdict::Held) {
        panic!("3pc-crash-stop seed {seed}: {:?}: {:?}", r.verdict, r.findings);
    }
}

#[test]
fn partition_split_breaks_atomic_commit_within_200_seeds() {
    let (seed, r) = first_seed_where("3pc-partition-split", 1..201, THREADS, |r| r.verdict == Verdict::Violation)
        .expect("3pc-partition-split: no violation in seeds 1..=200");
    let f = &r.findings[0];
    assert_eq!(f.name, "atomic-commit", "seed {seed}: {f:?}");
    eprintln!("3pc-partition-split: caught at seed {seed}: {} — {}", f.name, f.detail);
    // The repro replays the violation bit for bit.
    let repro = Repro::parse(&Repro::from_report(&r).to_json()).unwrap();
    let replay = repro.replay(TraceLevel::HashOnly).unwrap();
    assert!(replay.identical, "{:?}", replay.explanation);
    assert_eq!(replay.report.findings, r.findings);
}
