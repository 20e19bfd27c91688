//! A whole 4-replica `pbft-basic` run (engine + PBFT handlers with signature
//! checks + invariants + clients), hash-only trace, without the history
//! checker. Throughput is in engine events per second.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scenarios::{registry, run, RunOptions};
use sim_core::ChoiceSource;

fn pbft_basic(c: &mut Criterion) {
    let mut scenario = registry::find("pbft-basic").expect("built-in");
    scenario.checkers.clear(); // the engine's speed, not the checker's
    let probe = run(&scenario, &ChoiceSource::Seed(1), &RunOptions::default()).unwrap();
    let mut group = c.benchmark_group("pbft");
    group.throughput(Throughput::Elements(probe.result.stats.events));
    group.sample_size(10);
    group.bench_function("pbft_basic_4_replicas_seed1", |b| {
        b.iter(|| run(&scenario, &ChoiceSource::Seed(1), &RunOptions::default()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, pbft_basic);
criterion_main!(benches);
