//! Scale: a large synthetic causally consistent history holds at every level,
//! and judging it for CC stays fast.

use checkers::causal::synthetic::{causally_consistent_history, SyntheticShape};
use checkers::causal::{check_history, CheckOptions, Level};
use std::time::Instant;

#[test]
fn large_consistent_history_holds_at_every_level() {
    let shape = SyntheticShape { operations: 20_000, sessions: 25, ..SyntheticShape::default() };
    let history = causally_consistent_history(shape);
    let options = CheckOptions { levels: Level::ALL.to_vec(), sessions: true };
    let report = check_history(&history, &options).expect("differentiated");
    assert!(report.all_hold(), "{:#?}", report.violations);
    let sessions = report.sessions.expect("asked for");
    assert!(sessions.violations.is_empty(), "{:#?}", sessions.violations);
    assert_eq!(report.stats.sessions, 25);
}

#[test]
fn hundred_thousand_operations_judged_for_cc() {
    let history = causally_consistent_history(SyntheticShape::default());
    let start = Instant::now();
    let report = check_history(&history, &CheckOptions::level(Level::CC)).expect("differentiated");
    let elapsed = start.elapsed();
    assert_eq!(report.stats.operations, 100_000);
    assert_eq!(report.holds(Level::CC), Some(true), "{:#?}", report.violations);
    eprintln!("100,000 operations, 25 sessions, CC judged in {elapsed:?}");
    // Generous bound: the test profile is not release, and CI machines vary.
    assert!(elapsed.as_secs_f64() < 10.0, "CC took {elapsed:?}");
}

#[test]
fn injected_stale_read_is_found_in_a_large_history() {
    let mut history = causally_consistent_history(SyntheticShape { operations: 20_000, ..SyntheticShape::default() });
    // Make the last read of session 0 return the initial value while a write
    // to its key is in its causal past (its own earlier write, at the latest).
    let session_write = history.events.iter().position(|e| e.process == 0 && e.f == "put").expect("session 0 writes");
    let key = history.events[session_write].key.clone();
    let invoke = checkers::Event {
        process: 0,
        kind: checkers::EventType::Invoke,
        f: "get".into(),
        key: key.clone(),
        value: checkers::Value::Nil,
        time: None,
    };
    let ok = checkers::Event { kind: checkers::EventType::Ok, ..invoke.clone() };
    history.push(invoke);
    history.push(ok);
    let report = check_history(&history, &CheckOptions::default()).expect("differentiated");
    assert_eq!(report.holds(Level::CC), Some(false));
    assert!(report.counts.contains_key(&checkers::causal::Pattern::WriteCOInitRead));
}
