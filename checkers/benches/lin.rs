//! Linearizability checker speed on Porcupine's test data: all etcd logs
//! together, and the 50-client kv history. Parsing is done once outside the
//! timed loop (Porcupine's figures in MANIFEST.json exclude parsing too).
//!
//! `cargo bench -p checkers --bench lin`

use checkers::formats::{self, Format};
use checkers::lin::CheckOptions;
use checkers::History;
use criterion::{criterion_group, criterion_main, Criterion};
use std::path::PathBuf;

fn porcupine_dir() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("shared/data/porcupine/MANIFEST.json").exists() {
        assert!(dir.pop(), "shared/data/porcupine not found");
    }
    dir.join("shared/data/porcupine")
}

fn load(path: &PathBuf) -> (Format, History) {
    let bytes = std::fs::read(path).unwrap();
    let format = Format::detect(Some(path), &bytes);
    (format, formats::parse(&bytes, format).unwrap().history)
}

fn check(format: Format, history: &History) -> Option<bool> {
    let options = CheckOptions::default().with_fail(format.fail_meaning());
    format.default_model().check(history, &options).unwrap().linearizable()
}

fn bench(c: &mut Criterion) {
    let dir = porcupine_dir();
    let mut etcd: Vec<PathBuf> = std::fs::read_dir(dir.join("jepsen"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    etcd.sort();
    let etcd: Vec<(Format, History)> = etcd.iter().map(load).collect();
    let mut group = c.benchmark_group("lin");
    group.sample_size(20);
    group.bench_function(format!("etcd_all_{}_files", etcd.len()), |b| {
        b.iter(|| etcd.iter().map(|(f, h)| check(*f, h)).filter(|v| *v == Some(true)).count())
    });
    for name in ["jepsen/etcd_002.log", "kv/c50-ok.txt", "kv/c50-bad.txt"] {
        let (format, history) = load(&dir.join(name));
        group.bench_function(name, |b| b.iter(|| check(format, &history)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
