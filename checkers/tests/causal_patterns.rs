//! One hand-made history per bad pattern, with its expected verdict under
//! each level; each is also judged by the brute-force reference.

mod causal_support;

use causal_support::{judge, reference, sessions, verdicts};
use checkers::causal::{CausalReport, Pattern};

/// Checks (CC, CM, CCv) against both the checker and the reference, and that
/// the patterns reported are exactly `patterns`.
fn expect(spec: &[&[&str]], expected: (bool, bool, bool), patterns: &[Pattern]) -> CausalReport {
    let report = judge(spec);
    assert_eq!(verdicts(&report), expected, "checker verdicts for {spec:?}: {:#?}", report.violations);
    let r = reference::judge(&sessions(spec));
    assert_eq!((r.cc, r.cm, r.ccv), expected, "reference verdicts for {spec:?}");
    let found: Vec<Pattern> = report.counts.keys().copied().collect();
    assert_eq!(found, patterns, "patterns for {spec:?}: {:#?}", report.violations);
    report
}

#[test]
fn consistent_history_holds_everywhere() {
    let report = expect(&[&["w x 1", "w y 1", "r x 2"], &["w x 2", "r y 1", "r x 2"]], (true, true, true), &[]);
    assert!(report.violations.is_empty());
}

#[test]
fn thin_air_read() {
    let report = expect(&[&["w x 1"], &["r x 7"]], (false, false, false), &[Pattern::ThinAirRead]);
    let v = &report.violations[0];
    assert_eq!(v.ops[0].op.process, 1);
    assert_eq!(v.ops[0].op.value, "7");
}

#[test]
fn cyclic_co() {
    // Each session reads the other's write that comes after its read.
    let report = expect(&[&["r x 2", "w y 1"], &["r y 1", "w x 2"]], (false, false, false), &[Pattern::CyclicCO]);
    let v = &report.violations[0];
    assert_eq!(v.ops.len(), 4, "the cycle names all four operations: {v}");
    let roles: Vec<&str> = v.ops.iter().map(|r| r.role.as_str()).collect();
    assert_eq!(roles.iter().filter(|r| r.starts_with("rf")).count(), 2, "{roles:?}");
    assert_eq!(roles.iter().filter(|r| r.starts_with("po")).count(), 2, "{roles:?}");
}

#[test]
fn write_co_init_read() {
    // Session 1 sees y=1, whose writer had written x before: x can't be 0.
    let report = expect(
        &[&["w x 1", "w y 1"], &["r y 1", "r x 0"]],
        (false, false, false),
        // CO ⊆ HB_o, so CM's own pattern shows it too.
        &[Pattern::WriteCOInitRead, Pattern::WriteHBInitRead],
    );
    let v = &report.violations[0];
    assert_eq!((v.ops[0].role.as_str(), v.ops[0].op.key.as_str(), v.ops[0].op.event), ("write", "x", 0));
    assert_eq!((v.ops[1].role.as_str(), v.ops[1].op.process, v.ops[1].op.value.as_str()), ("read", 1, "nil"));
}

#[test]
fn write_co_init_read_own_write() {
    expect(&[&["w x 1", "r x 0"]], (false, false, false), &[Pattern::WriteCOInitRead, Pattern::WriteHBInitRead]);
}

#[test]
fn write_co_read() {
    // x=1 was overwritten by x=2, which session 1 has seen, then it reads x=1.
    let report = expect(
        &[&["w x 1", "w x 2"], &["r x 2", "r x 1"]],
        (false, false, false),
        // An overwrite in the causal past is also a CF and an HB cycle.
        &[Pattern::WriteCORead, Pattern::CyclicCF, Pattern::CyclicHB],
    );
    let v = &report.violations[0];
    let roles: Vec<(&str, &str)> = v.ops.iter().map(|r| (r.role.as_str(), r.op.value.as_str())).collect();
    assert_eq!(roles, vec![("write read", "1"), ("overwriting write", "2"), ("read", "1")]);
}

#[test]
fn cyclic_cf_holds_under_cm_not_ccv() {
    // Each session writes x, then reads the other's value: no single
    // arbitration explains both reads, but each session's own view does.
    let report = expect(&[&["w x 1", "r x 2"], &["w x 2", "r x 1"]], (true, true, false), &[Pattern::CyclicCF]);
    let v = &report.violations[0];
    assert!(v.ops.iter().any(|r| r.role.starts_with("cf")), "{v}");
}

#[test]
fn write_hb_init_read_holds_under_ccv_not_cm() {
    // Session 1 reads z=0 early, then learns (via y=1 and reading its own
    // x=2 over x=1) that x=1 — and with it z=1 — must precede its own x=2,
    // which precedes the z read: no serialisation of its view works. A
    // global arbitration z1 x1 y1 x2 explains every read in its own past.
    let report = expect(
        &[&["w z 1", "w x 1", "w y 1"], &["w x 2", "r z 0", "r y 1", "r x 2"]],
        (true, false, true),
        &[Pattern::WriteHBInitRead],
    );
    let v = &report.violations[0];
    assert_eq!(v.session, Some(1));
    assert_eq!((v.ops[0].op.key.as_str(), v.ops[1].op.key.as_str()), ("z", "z"));
}

#[test]
fn cyclic_hb() {
    // Session 0's own reads force x1 before x2 (it read x=2 with x=1 in its
    // past) and x2 before x1 (it then read x=1 with x=2 in its past).
    // The same pair of reads also forms a CF cycle.
    expect(&[&["w x 1", "r x 2", "r x 1"], &["w x 2"]], (true, false, false), &[Pattern::CyclicCF, Pattern::CyclicHB]);
}
