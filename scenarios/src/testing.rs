//! Assertions the scenario tests share, so every test reads like a bug
//! report: "this bug is caught within 200 seeds", "this stays clean over 500".
//! Runs spread over two threads (runs are independent; no result depends on it).

use crate::{first_seed_where, Verdict};

/// Threads for seed sweeps in tests (the CI machine has 2 cores).
pub const THREADS: usize = 2;

/// Asserts a violation within seeds 1..=200 of `scenario`, and that the first
/// one found is one of `expected` (finding names). Prints where it was caught.
pub fn assert_caught(scenario: &str, expected: &[&str]) {
    let found = first_seed_where(scenario, 1..201, THREADS, |r| r.verdict == Verdict::Violation);
    let (seed, report) = found.unwrap_or_else(|| panic!("{scenario}: no violation in seeds 1..=200"));
    let finding = &report.findings[0];
    assert!(
        expected.contains(&finding.name.as_str()),
        "{scenario} seed {seed}: expected one of {expected:?}, found {} ({})",
        finding.name,
        finding.detail
    );
    eprintln!("{scenario}: caught at seed {seed}: {} — {}", finding.name, finding.detail);
}

/// Asserts every seed in 1..=`seeds` of `scenario` holds (no violation, no unknown).
pub fn assert_clean(scenario: &str, seeds: u64) {
    let found = first_seed_where(scenario, 1..seeds + 1, THREADS, |r| r.verdict != Verdict::Held);
    if let Some((seed, report)) = found {
        panic!(
            "{scenario} seed {seed}: verdict {:?}: {:?} {:?}\nreplay: faultline run {scenario} --seed {seed} --trace",
            report.verdict, report.findings, report.unknown
        );
    }
}
