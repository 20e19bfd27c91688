//! Scenarios: named worlds to run. Owns the scenario value and its JSON form,
//! the registry of built-in scenarios, the key-value client workload that
//! records histories, the runner that judges a run, and repro files.

pub mod bank_workload;
pub mod campaign;
pub mod catalog;
pub mod input;
pub mod judge;
pub mod kv_client;
pub mod liveness;
pub mod models;
pub mod pbft_client;
pub mod registry;
pub mod repro;
pub mod runner;
pub mod scenario;
pub mod shrink;
pub mod testing;

pub use repro::{Repro, ReproError};
pub use runner::{run, Finding, RunOptions, RunReport, Verdict};
pub use scenario::{Scenario, ScenarioError};

/// Runs a built-in scenario with a seed (hash-only trace): the one helper
/// tests use, so they read like bug reports.
///
/// ```
/// let report = scenarios::check("raft-basic", 1);
/// assert_eq!(report.verdict, scenarios::Verdict::Held);
/// ```
pub fn check(name: &str, seed: u64) -> RunReport {
    let scenario = registry::find(name).unwrap_or_else(|| panic!("no built-in scenario named {name}"));
    run(&scenario, &sim_core::ChoiceSource::Seed(seed), &RunOptions::default())
        .unwrap_or_else(|e| panic!("built-in scenario {name} is invalid: {e}"))
}

/// Runs seeds in `seeds` over `threads` threads (runs are independent and
/// single-threaded, so this never changes any run) and returns the first
/// seed, in seed order, whose run satisfies `stop`, if any.
pub fn first_seed_where(
    name: &str,
    seeds: std::ops::Range<u64>,
    threads: usize,
    stop: impl Fn(&RunReport) -> bool + Sync,
) -> Option<(u64, RunReport)> {
    let scenario = registry::find(name).unwrap_or_else(|| panic!("no built-in scenario named {name}"));
    first_seed_where_in(&scenario, seeds, threads, stop)
}

/// [`first_seed_where`] for any scenario value.
pub fn first_seed_where_in(
    scenario: &Scenario,
    seeds: std::ops::Range<u64>,
    threads: usize,
    stop: impl Fn(&RunReport) -> bool + Sync,
) -> Option<(u64, RunReport)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    let next = AtomicU64::new(seeds.start);
    let best = std::sync::Mutex::new(None::<(u64, RunReport)>);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= seeds.end {
                    return;
                }
                if matches!(&*best.lock().expect("lock"), Some((s, _)) if *s < seed) {
                    return;
                }
                let report = run(scenario, &sim_core::ChoiceSource::Seed(seed), &RunOptions::default())
                    .unwrap_or_else(|e| panic!("scenario {} is invalid: {e}", scenario.name));
                if stop(&report) {
                    let mut b = best.lock().expect("lock");
                    if b.as_ref().is_none_or(|(s, _)| seed < *s) {
                        *b = Some((seed, report));
                    }
                }
            });
        }
    });
    best.into_inner().expect("lock")
}
