//! The explorer on the reference models (single thread): 2PC with 6 and 7
//! resource managers and the Paxos register with 2 clients, explored
//! completely. Reports unique states per second. (rms = 8 and 9 are timed
//! with the CLI, see BENCHMARKS.md: too slow for many criterion samples.)

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scenarios::models::paxos::PaxosModel;
use scenarios::models::two_pc::TwoPhaseSys;
use sim_core::explore::{check, Options};

fn explore(c: &mut Criterion) {
    let mut group = c.benchmark_group("explore");
    group.sample_size(10);
    for (rms, unique) in [(6usize, 50_816u64), (7, 296_448)] {
        let model = TwoPhaseSys::new(rms).unwrap();
        group.throughput(Throughput::Elements(unique));
        group.bench_function(format!("2pc_rms{rms}_bfs"), |b| b.iter(|| check(&model, &Options::bfs())));
    }
    let model = TwoPhaseSys::new(7).unwrap();
    group.throughput(Throughput::Elements(296_448));
    group.bench_function("2pc_rms7_dfs", |b| b.iter(|| check(&model, &Options::dfs())));
    let paxos = PaxosModel::new(2).unwrap();
    group.throughput(Throughput::Elements(16_668));
    group.bench_function("paxos_2_clients_bfs", |b| b.iter(|| check(&paxos, &Options::bfs())));
    group.finish();
}

criterion_group!(benches, explore);
criterion_main!(benches);
