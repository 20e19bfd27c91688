//! Session guarantees: one history per guarantee broken, and a CC violation
//! that breaks none of them (it needs two hops).

mod causal_support;

use causal_support::judge_with;
use checkers::causal::{CheckOptions, Guarantee, Level};

fn broken(spec: &[&[&str]]) -> Vec<Guarantee> {
    let report = judge_with(spec, &CheckOptions { levels: vec![Level::CC], sessions: true });
    let sessions = report.sessions.expect("asked for");
    Guarantee::ALL.into_iter().filter(|&g| sessions.holds(g) == Some(false)).collect()
}

#[test]
fn consistent_history_keeps_every_guarantee() {
    assert!(broken(&[&["w x 1", "r x 1", "w y 1"], &["r y 1", "r x 1", "w x 2", "r x 2"]]).is_empty());
}

#[test]
fn read_your_writes() {
    assert_eq!(broken(&[&["w x 1", "r x 0"]]), vec![Guarantee::ReadYourWrites]);
    assert_eq!(broken(&[&["w x 1", "w x 2", "r x 1"]]), vec![Guarantee::ReadYourWrites]);
}

#[test]
fn monotonic_reads() {
    assert_eq!(broken(&[&["w x 1", "w x 2"], &["r x 2", "r x 1"]]), vec![Guarantee::MonotonicReads]);
    assert_eq!(broken(&[&["w x 1"], &["r x 1", "r x 0"]]), vec![Guarantee::MonotonicReads]);
}

#[test]
fn monotonic_writes() {
    assert_eq!(broken(&[&["w x 1", "w y 1"], &["r y 1", "r x 0"]]), vec![Guarantee::MonotonicWrites]);
}

#[test]
fn writes_follow_reads() {
    assert_eq!(broken(&[&["w x 1"], &["r x 1", "w y 1"], &["r y 1", "r x 0"]]), vec![Guarantee::WritesFollowReads]);
}

#[test]
fn transitive_violation_breaks_cc_but_no_single_guarantee() {
    let spec: &[&[&str]] = &[&["w x 1"], &["r x 1", "w y 1"], &["r y 1", "w z 1"], &["r z 1", "r x 0"]];
    assert!(broken(spec).is_empty());
    let report = judge_with(spec, &CheckOptions::level(Level::CC));
    assert_eq!(report.holds(Level::CC), Some(false));
}
