//! The bare engine: events with trivial handlers (TokenBounce), hash-only trace.
//! Reports throughput in engine events per second.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sim_core::testing::TokenBounce;
use sim_core::*;

fn bare_engine(c: &mut Criterion) {
    let p = TokenBounce { tokens: 16, ..TokenBounce::default() };
    let mut w = WorldConfig::new(5)
        .with_links(LinkModel { delay: Delay::Uniform { min_ns: 1000, max_ns: 5000 }, ..LinkModel::reliable() });
    w.limits.time_ns = u64::MAX;
    w.limits.events = 1_000_000;
    let probe = Simulator::new(p.clone(), NoClients, w.clone(), Choices::seeded(1)).run();
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(probe.stats.events));
    group.sample_size(10);
    group.bench_function("bare_1M_events_5_nodes", |b| {
        b.iter(|| {
            let mut sim = Simulator::new(p.clone(), NoClients, w.clone(), Choices::seeded(1));
            sim.run()
        })
    });
    group.finish();
}

criterion_group!(benches, bare_engine);
criterion_main!(benches);
