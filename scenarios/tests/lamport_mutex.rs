//! Lamport's mutual exclusion: safe, fair and live on reliable FIFO links;
//! two nodes in the critical section on reordering links and with the bug
//! `skip-reply-check`, each within 200 seeds; everyone stalls after a crash.

use scenarios::{check, first_seed_where, Verdict};

const THREADS: usize = 2;

#[test]
fn correct_mutex_is_safe_fair_and_live_on_fifo_links_500_seeds() {
    if let Some((seed, r)) = first_seed_where("lamport-mutex-basic", 1..501, THREADS, |r| r.verdict != Verdict::Held) {
        panic!("lamport-mutex-basic seed {seed}: {:?}: {:?}", r.verdict, r.findings);
    }
    let r = check("lamport-mutex-basic", 1);
    assert_eq!(r.result.outcome, sim_core::Outcome::Quiescent, "every node finished its 20 rounds");
}

#[test]
fn reordering_links_break_mutual_exclusion_within_200_seeds() {
    let (seed, r) = first_seed_where("lamport-mutex-no-fifo", 1..201, THREADS, |r| {
        r.findings.first().is_some_and(|f| f.name == "mutual-exclusion")
    })
    .expect("lamport-mutex-no-fifo: no mutual-exclusion violation in seeds 1..=200");
    eprintln!("lamport-mutex-no-fifo: caught at seed {seed}: {}", r.findings[0].detail);
}

#[test]
fn bug_skip_reply_check_is_caught_within_200_seeds() {
    let (seed, r) =
        first_seed_where("lamport-mutex-skip-reply-check", 1..201, THREADS, |r| r.verdict == Verdict::Violation)
            .expect("lamport-mutex-skip-reply-check: no violation in seeds 1..=200");
    assert_eq!(r.findings[0].name, "mutual-exclusion", "seed {seed}: {:?}", r.findings);
    eprintln!("lamport-mutex-skip-reply-check: caught at seed {seed}: {}", r.findings[0].detail);
}

#[test]
fn a_crashed_node_stalls_everyone() {
    let (seed, r) = first_seed_where("lamport-mutex-crash", 1..201, THREADS, |r| r.verdict == Verdict::Violation)
        .expect("lamport-mutex-crash: no liveness finding in seeds 1..=200");
    let f = &r.findings[0];
    assert_eq!((f.kind.as_str(), f.name.as_str()), ("liveness", "stalled"), "seed {seed}: {f:?}");
    assert!(f.detail.contains("down"), "{}", f.detail);
    eprintln!("lamport-mutex-crash: seed {seed}: {}", f.detail);
    // Safety holds all along: over 500 seeds the only findings are liveness ones.
    let unsafe_run =
        first_seed_where("lamport-mutex-crash", 1..501, THREADS, |r| r.findings.iter().any(|f| f.kind != "liveness"));
    if let Some((seed, r)) = unsafe_run {
        panic!("lamport-mutex-crash seed {seed}: {:?}", r.findings);
    }
}
