//! One `raft-lossy` run without the history checker (for profiling):
//! `cargo run --release -p scenarios --example raft_lossy`.

use scenarios::{registry, run, RunOptions};
use sim_core::ChoiceSource;

fn main() {
    let mut scenario = registry::find("raft-lossy").expect("built-in");
    scenario.checkers.clear();
    let r = run(&scenario, &ChoiceSource::Seed(1), &RunOptions::default()).expect("valid");
    println!("{} events, trace hash {}", r.result.stats.events, r.trace_hash_hex());
}
