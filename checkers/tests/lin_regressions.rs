//! Hand-made histories for the search's pruning rules, each of which must
//! never change a verdict.

use checkers::lin::models::ModelKind;
use checkers::lin::CheckOptions;
use checkers::History;

fn linearizable(kind: ModelKind, text: &str) -> Option<bool> {
    let h = History::from_json_str(text).unwrap();
    kind.check(&h, &CheckOptions::default()).unwrap().linearizable()
}

/// A write of the value already there changes nothing *now*, but it is not
/// read-only: taking it first as a forced move (as an earlier version did
/// for the first-returning operation) loses the order put a, put b, get b,
/// put a, get a.
#[test]
fn a_write_of_the_current_value_is_not_a_forced_move() {
    let text = r#"
{"process": 0, "type": "invoke", "f": "put", "key": "x", "value": "a"}
{"process": 0, "type": "ok", "f": "put", "key": "x", "value": "a"}
{"process": 1, "type": "invoke", "f": "put", "key": "x", "value": "b"}
{"process": 2, "type": "invoke", "f": "get", "key": "x", "value": null}
{"process": 3, "type": "invoke", "f": "put", "key": "x", "value": "a"}
{"process": 3, "type": "ok", "f": "put", "key": "x", "value": "a"}
{"process": 1, "type": "ok", "f": "put", "key": "x", "value": "b"}
{"process": 2, "type": "ok", "f": "get", "key": "x", "value": "b"}
{"process": 4, "type": "invoke", "f": "get", "key": "x", "value": null}
{"process": 4, "type": "ok", "f": "get", "key": "x", "value": "a"}
"#;
    assert_eq!(linearizable(ModelKind::Kv, text), Some(true));
    let register = text.replace("\"put\"", "\"write\"").replace("\"get\"", "\"read\"").replace(", \"key\": \"x\"", "");
    assert_eq!(linearizable(ModelKind::Register, &register), Some(true));
}

/// The kv dead-end rule: a get whose result does not start with the
/// current value is hopeless only while no put can come before it.
#[test]
fn a_pending_put_keeps_a_mismatched_get_alive() {
    let ok = r#"
{"process": 0, "type": "invoke", "f": "append", "key": "x", "value": "ab"}
{"process": 0, "type": "ok", "f": "append", "key": "x", "value": "ab"}
{"process": 1, "type": "invoke", "f": "get", "key": "x", "value": null}
{"process": 2, "type": "invoke", "f": "put", "key": "x", "value": "c"}
{"process": 3, "type": "invoke", "f": "append", "key": "x", "value": "d"}
{"process": 3, "type": "ok", "f": "append", "key": "x", "value": "d"}
{"process": 2, "type": "ok", "f": "put", "key": "x", "value": "c"}
{"process": 1, "type": "ok", "f": "get", "key": "x", "value": "cd"}
"#;
    assert_eq!(linearizable(ModelKind::Kv, ok), Some(true));
    // Without the put the get can never read "cd".
    let bad: String = ok.lines().filter(|l| !l.contains("\"put\"")).collect::<Vec<_>>().join("\n");
    assert_eq!(linearizable(ModelKind::Kv, &bad), Some(false));
    // An unfinished put may also have happened.
    let info = ok.replace(r#"{"process": 2, "type": "ok", "f": "put", "key": "x", "value": "c"}"#, "");
    assert_eq!(linearizable(ModelKind::Kv, &info), Some(true));
}

/// Appends in an order the reads pin down, with a long-pending get whose
/// value is only reachable through one order.
#[test]
fn a_long_pending_get_pins_the_append_order() {
    let text = r#"
{"process": 9, "type": "invoke", "f": "get", "key": "x", "value": null}
{"process": 0, "type": "invoke", "f": "append", "key": "x", "value": "a"}
{"process": 1, "type": "invoke", "f": "append", "key": "x", "value": "b"}
{"process": 2, "type": "invoke", "f": "append", "key": "x", "value": "c"}
{"process": 0, "type": "ok", "f": "append", "key": "x", "value": "a"}
{"process": 1, "type": "ok", "f": "append", "key": "x", "value": "b"}
{"process": 2, "type": "ok", "f": "append", "key": "x", "value": "c"}
{"process": 9, "type": "ok", "f": "get", "key": "x", "value": "cab"}
{"process": 3, "type": "invoke", "f": "get", "key": "x", "value": null}
{"process": 3, "type": "ok", "f": "get", "key": "x", "value": "cab"}
"#;
    assert_eq!(linearizable(ModelKind::Kv, text), Some(true));
    assert_eq!(linearizable(ModelKind::Kv, &text.replacen("\"cab\"}", "\"cba\"}", 1)), Some(false));
}
