//! The same seed gives the same run, bit for bit; replays reproduce it.

use scenarios::{check, registry, run, Repro, RunOptions};
use sim_core::{ChoiceSource, TraceLevel};

#[test]
fn every_builtin_scenario_gives_equal_hashes_for_equal_seeds() {
    for scenario in registry::builtin() {
        for seed in [1, 2] {
            let a = check(&scenario.name, seed);
            let b = check(&scenario.name, seed);
            assert_eq!(a.result, b.result, "{} seed {seed}", scenario.name);
            assert_eq!(a.history, b.history, "{} seed {seed}", scenario.name);
            assert!(a.result.stats.events > 0, "{} ran no events", scenario.name);
        }
    }
}

#[test]
fn a_different_seed_gives_a_different_hash() {
    for scenario in registry::builtin() {
        let a = check(&scenario.name, 1);
        let b = check(&scenario.name, 2);
        assert_ne!(a.result.trace_hash, b.result.trace_hash, "{}", scenario.name);
    }
}

#[test]
fn full_traces_and_hash_only_runs_have_the_same_hash() {
    let s = registry::find("raft-lossy").unwrap();
    let a = run(&s, &ChoiceSource::Seed(5), &RunOptions::default()).unwrap();
    let b = run(&s, &ChoiceSource::Seed(5), &RunOptions { trace: TraceLevel::Full, record_tape: false }).unwrap();
    assert_eq!(a.result, b.result);
    assert_eq!(b.trace.len() as u64, b.trace.last().unwrap().index + 1);
}

#[test]
fn replaying_a_repro_gives_the_recorded_hash() {
    let report = check("raft-partition", 3);
    let repro = Repro::from_report(&report);
    let parsed = Repro::parse(&repro.to_json()).unwrap();
    let replay = parsed.replay(TraceLevel::HashOnly).unwrap();
    assert!(replay.identical, "{:?}", replay.explanation);
    assert_eq!(replay.report.trace_hash_hex(), repro.trace_hash);
}

#[test]
fn a_recorded_tape_replays_the_same_run() {
    let s = registry::find("raft-crash-recovery").unwrap();
    let recorded = run(&s, &ChoiceSource::Seed(4), &RunOptions { record_tape: true, ..RunOptions::default() }).unwrap();
    let tape = recorded.tape.clone().unwrap();
    let replayed = run(&s, &ChoiceSource::Tape(tape.flat), &RunOptions::default()).unwrap();
    assert_eq!(recorded.result, replayed.result);
    let per_lane = run(&s, &ChoiceSource::Tapes(tape.lanes), &RunOptions::default()).unwrap();
    assert_eq!(recorded.result, per_lane.result);
    // And a tape repro replays through the repro path too.
    let mut repro = Repro::from_report(&replayed);
    repro.choices = ChoiceSource::Tape(recorded.tape.unwrap().flat);
    assert!(repro.replay(TraceLevel::HashOnly).unwrap().identical);
    // A format-1 file (a seed or one flat tape, from before per-lane tapes) still replays.
    repro.format_version = 1;
    let parsed = Repro::parse(&repro.to_json()).unwrap();
    assert!(parsed.replay(TraceLevel::HashOnly).unwrap().identical);
}

#[test]
fn an_edited_repro_says_why_it_cannot_replay() {
    let report = check("raft-basic", 1);
    let mut repro = Repro::from_report(&report);
    repro.scenario.nodes = 3;
    let err = repro.replay(TraceLevel::HashOnly).unwrap_err().to_string();
    assert!(err.contains("edited"), "{err}");
    let mut repro = Repro::from_report(&report);
    repro.format_version = 99;
    let err = repro.replay(TraceLevel::HashOnly).unwrap_err().to_string();
    assert!(err.contains("format 99"), "{err}");
    let mut repro = Repro::from_report(&report);
    repro.trace_hash = "0000000000000000".into();
    let replay = repro.replay(TraceLevel::HashOnly).unwrap();
    assert!(!replay.identical);
    assert!(replay.explanation.unwrap().contains("determinism bug"));
}

#[test]
fn runs_on_several_threads_match_runs_on_one() {
    // Parallelism is across runs only: a run's hash never depends on the thread.
    let one: Vec<u64> = (1..5).map(|s| check("raft-lossy", s).result.trace_hash).collect();
    let many: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..5).map(|s| scope.spawn(move || check("raft-lossy", s).result.trace_hash)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(one, many);
}
