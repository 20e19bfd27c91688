//! Causal checker speed: a deterministic causally consistent history of
//! 100,000 operations over 25 sessions, judged for CC (the target:
//! under 2 s), then CCv and CM.

use checkers::causal::synthetic::{causally_consistent_history, SyntheticShape};
use checkers::causal::{check_history, CheckOptions, Level};
use criterion::{criterion_group, criterion_main, Criterion};

fn judge(c: &mut Criterion) {
    let history = causally_consistent_history(SyntheticShape::default());
    let mut group = c.benchmark_group("causal_100k_ops_25_sessions");
    group.sample_size(10);
    for (name, level) in [("cc", Level::CC), ("ccv", Level::CCv), ("cm", Level::CM)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let report = check_history(&history, &CheckOptions::level(level)).expect("differentiated");
                assert_eq!(report.holds(level), Some(true));
                report
            })
        });
    }
    group.finish();
}

criterion_group!(benches, judge);
criterion_main!(benches);
