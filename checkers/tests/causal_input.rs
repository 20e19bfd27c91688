//! Input handling: what is rejected (naming the events), and how fail/info
//! operations are treated.

use checkers::causal::{check_history, CheckOptions, Level, Pattern};
use checkers::History;

fn ev(process: u64, kind: &str, f: &str, key: &str, value: &str) -> String {
    format!(r#"{{"process": {process}, "type": "{kind}", "f": "{f}", "key": "{key}", "value": {value}}}"#)
}

fn lines(events: &[String]) -> String {
    events.join("\n") + "\n"
}

fn check(text: &str) -> checkers::causal::CausalReport {
    check_history(&History::from_json_str(text).expect("parses"), &CheckOptions::default()).expect("accepted")
}

#[test]
fn duplicate_written_value_is_rejected_naming_both_events() {
    let text = lines(&[
        ev(0, "invoke", "put", "x", "5"),
        ev(0, "ok", "put", "x", "5"),
        ev(1, "invoke", "put", "y", "5"), // same value, other key: fine
        ev(1, "ok", "put", "y", "5"),
        ev(1, "invoke", "put", "x", "5"),
        ev(1, "ok", "put", "x", "5"),
    ]);
    let err = check_history(&History::from_json_str(&text).unwrap(), &CheckOptions::default()).unwrap_err();
    assert_eq!((err.event, err.other_event), (4, Some(0)));
    assert!(err.message.contains("twice") && err.message.contains("x"), "{}", err.message);
    assert!(err.to_string().contains("events 0 and 4"), "{err}");
}

#[test]
fn malformed_line_is_reported_with_its_line() {
    let text = format!("{}\n\n{{\"process\": 0, \"type\": \"ok\", \"f\": \"put\"\n", ev(0, "invoke", "put", "x", "1"));
    let err = History::from_json_str(&text).unwrap_err();
    assert_eq!(err.line, 3, "{err}");
}

#[test]
fn nil_writes_and_other_operations_are_rejected() {
    let text = lines(&[ev(0, "invoke", "put", "x", "null"), ev(0, "ok", "put", "x", "null")]);
    let err = check_history(&History::from_json_str(&text).unwrap(), &CheckOptions::default()).unwrap_err();
    assert_eq!(err.event, 0);
    assert!(err.message.contains("nil"), "{}", err.message);
    let text = lines(&[ev(0, "invoke", "cas", "x", "[1, 2]"), ev(0, "ok", "cas", "x", "[1, 2]")]);
    let err = check_history(&History::from_json_str(&text).unwrap(), &CheckOptions::default()).unwrap_err();
    assert!(err.message.contains("`cas`"), "{}", err.message);
}

#[test]
fn failed_write_never_happened() {
    // A failed write's value may be written again, and reading it (without
    // the second write) is a thin-air read.
    let text = lines(&[
        ev(0, "invoke", "put", "x", "1"),
        ev(0, "fail", "put", "x", "1"),
        ev(1, "invoke", "get", "x", "null"),
        ev(1, "ok", "get", "x", "1"),
    ]);
    let report = check(&text);
    assert_eq!(report.holds(Level::CC), Some(false));
    assert_eq!(report.violations[0].pattern, Pattern::ThinAirRead);
    assert!(report.violations[0].explanation.contains("failed"), "{}", report.violations[0]);
    let retried = lines(&[
        ev(0, "invoke", "put", "x", "1"),
        ev(0, "fail", "put", "x", "1"),
        ev(0, "invoke", "put", "x", "1"),
        ev(0, "ok", "put", "x", "1"),
        ev(1, "invoke", "get", "x", "null"),
        ev(1, "ok", "get", "x", "1"),
    ]);
    assert!(check(&retried).all_hold());
}

#[test]
fn unread_info_write_is_dropped() {
    // The write timed out and nobody saw it: it may not have happened.
    let text = lines(&[
        ev(0, "invoke", "put", "x", "1"),
        ev(0, "info", "put", "x", "null"),
        ev(0, "invoke", "get", "x", "null"),
        ev(0, "ok", "get", "x", "null"),
    ]);
    let report = check(&text);
    assert!(report.all_hold(), "{:#?}", report.violations);
    assert_eq!(report.stats.ignored, 1);
}

#[test]
fn read_info_write_may_take_effect_after_its_session_moved_on() {
    // Session 0's write timed out, session 0 then read x=0, and session 1
    // saw the write later: legal if the write landed after session 0's read.
    let text = lines(&[
        ev(0, "invoke", "put", "x", "1"),
        ev(0, "info", "put", "x", "null"),
        ev(0, "invoke", "get", "x", "null"),
        ev(0, "ok", "get", "x", "null"),
        ev(1, "invoke", "get", "x", "null"),
        ev(1, "ok", "get", "x", "1"),
    ]);
    let report = check(&text);
    assert!(report.all_hold(), "{:#?}", report.violations);
    // The same with an ok write is a violation: the session's own write is
    // in the causal past of its read.
    let ok = text.replacen(
        r#""type": "info", "f": "put", "key": "x", "value": null"#,
        r#""type": "ok", "f": "put", "key": "x", "value": 1"#,
        1,
    );
    assert_eq!(check(&ok).holds(Level::CC), Some(false));
}

#[test]
fn read_info_write_still_follows_its_session_past() {
    // y=1 preceded the timed-out x=1 in session 0, so whoever sees x=1 must
    // see y=1.
    let text = lines(&[
        ev(0, "invoke", "put", "y", "1"),
        ev(0, "ok", "put", "y", "1"),
        ev(0, "invoke", "put", "x", "1"),
        ev(0, "info", "put", "x", "null"),
        ev(1, "invoke", "get", "x", "null"),
        ev(1, "ok", "get", "x", "1"),
        ev(1, "invoke", "get", "y", "null"),
        ev(1, "ok", "get", "y", "null"),
    ]);
    let report = check(&text);
    assert_eq!(report.holds(Level::CC), Some(false));
    let v = report.violations.iter().find(|v| v.pattern == Pattern::WriteCOInitRead).expect("found");
    assert_eq!(v.ops[0].op.key, "y");
}

#[test]
fn reads_that_did_not_complete_ok_are_ignored() {
    let text = lines(&[
        ev(0, "invoke", "put", "x", "1"),
        ev(0, "ok", "put", "x", "1"),
        ev(0, "invoke", "get", "x", "null"),
        ev(0, "fail", "get", "x", "null"),
        ev(0, "invoke", "get", "x", "null"),
        ev(0, "info", "get", "x", "null"),
        ev(1, "invoke", "get", "x", "null"),
    ]);
    let report = check(&text);
    assert!(report.all_hold());
    assert_eq!((report.stats.operations, report.stats.ignored), (1, 3));
}

#[test]
fn report_is_deterministic() {
    let text = lines(&[
        ev(0, "invoke", "put", "x", "1"),
        ev(0, "ok", "put", "x", "1"),
        ev(1, "invoke", "put", "x", "2"),
        ev(1, "ok", "put", "x", "2"),
        ev(0, "invoke", "get", "x", "null"),
        ev(0, "ok", "get", "x", "2"),
        ev(1, "invoke", "get", "x", "null"),
        ev(1, "ok", "get", "x", "1"),
    ]);
    let a = serde_json::to_string(&check(&text)).unwrap();
    for _ in 0..5 {
        assert_eq!(serde_json::to_string(&check(&text)).unwrap(), a);
    }
}
