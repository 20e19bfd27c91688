//! A whole 5-node `raft-lossy` run (engine + Raft handlers + invariants +
//! clients), hash-only trace, without the history checker. Throughput is in
//! engine events per second.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scenarios::{registry, run, RunOptions};
use sim_core::ChoiceSource;

fn raft_lossy(c: &mut Criterion) {
    let mut scenario = registry::find("raft-lossy").expect("built-in");
    scenario.checkers.clear(); // the engine's speed, not the checker's
    let probe = run(&scenario, &ChoiceSource::Seed(1), &RunOptions::default()).unwrap();
    let mut group = c.benchmark_group("raft");
    group.throughput(Throughput::Elements(probe.result.stats.events));
    group.sample_size(10);
    group.bench_function("raft_lossy_5_nodes_seed1", |b| {
        b.iter(|| run(&scenario, &ChoiceSource::Seed(1), &RunOptions::default()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, raft_lossy);
criterion_main!(benches);
