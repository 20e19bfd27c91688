//! One bare-engine run of a million events (for profiling with callgrind or perf):
//! `cargo run --release -p sim-core --example bare_engine`.

use sim_core::testing::TokenBounce;
use sim_core::*;

fn main() {
    let p = TokenBounce { tokens: 16, ..TokenBounce::default() };
    let mut w = WorldConfig::new(5)
        .with_links(LinkModel { delay: Delay::Uniform { min_ns: 1000, max_ns: 5000 }, ..LinkModel::reliable() });
    w.limits.time_ns = u64::MAX;
    w.limits.events = 1_000_000;
    let r = Simulator::new(p, NoClients, w, Choices::seeded(1)).run();
    println!("{} events, trace hash {}", r.stats.events, hash_hex(r.trace_hash));
}
