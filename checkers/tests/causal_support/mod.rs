//! Shared helpers for the causal checker tests: a compact way to write
//! histories, and a brute-force reference judge.

#![allow(dead_code)]

pub mod reference;

use checkers::causal::{self, CausalReport, CheckOptions, Level};
use checkers::History;

/// One operation of a session: `w x 1` writes 1 to x, `r x 1` reads 1 from x,
/// `r x 0` reads the initial value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecOp {
    pub write: bool,
    pub key: String,
    /// 0 = the initial value (for reads).
    pub value: u32,
}

pub fn parse_op(text: &str) -> SpecOp {
    let parts: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(parts.len(), 3, "op spec `{text}`");
    SpecOp { write: parts[0] == "w", key: parts[1].to_string(), value: parts[2].parse().expect("value") }
}

/// Events for one op, completed ok.
fn op_events(process: usize, op: &SpecOp) -> [String; 2] {
    let value = if op.value == 0 { "null".to_string() } else { op.value.to_string() };
    if op.write {
        [
            format!(r#"{{"process": {process}, "type": "invoke", "f": "put", "key": "{}", "value": {value}}}"#, op.key),
            format!(r#"{{"process": {process}, "type": "ok", "f": "put", "key": "{}", "value": {value}}}"#, op.key),
        ]
    } else {
        [
            format!(r#"{{"process": {process}, "type": "invoke", "f": "get", "key": "{}"}}"#, op.key),
            format!(r#"{{"process": {process}, "type": "ok", "f": "get", "key": "{}", "value": {value}}}"#, op.key),
        ]
    }
}

/// A JSON-lines history: the sessions' operations, interleaved by `order`
/// (a list of session indices, one per op; `None` = session after session).
pub fn history_text(sessions: &[Vec<SpecOp>], order: Option<&[usize]>) -> String {
    let default: Vec<usize> = sessions.iter().enumerate().flat_map(|(s, ops)| vec![s; ops.len()]).collect();
    let order = order.unwrap_or(&default);
    let mut next = vec![0usize; sessions.len()];
    let mut out = String::new();
    for &s in order {
        for line in op_events(s, &sessions[s][next[s]]) {
            out.push_str(&line);
            out.push('\n');
        }
        next[s] += 1;
    }
    out
}

pub fn sessions(spec: &[&[&str]]) -> Vec<Vec<SpecOp>> {
    spec.iter().map(|s| s.iter().map(|o| parse_op(o)).collect()).collect()
}

pub fn judge(spec: &[&[&str]]) -> CausalReport {
    judge_with(spec, &CheckOptions::default())
}

pub fn judge_with(spec: &[&[&str]], options: &CheckOptions) -> CausalReport {
    let text = history_text(&sessions(spec), None);
    let history = History::from_json_str(&text).expect("valid history");
    causal::check_history(&history, options).expect("differentiated history")
}

/// (CC, CM, CCv) verdicts.
pub fn verdicts(report: &CausalReport) -> (bool, bool, bool) {
    (
        report.holds(Level::CC).expect("CC judged"),
        report.holds(Level::CM).expect("CM judged"),
        report.holds(Level::CCv).expect("CCv judged"),
    )
}
