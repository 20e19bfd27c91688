//! The history model: what clients saw, as a list of events.
//!
//! A history is a sequence of events in real-time order. Each client process
//! invokes one operation at a time; the invocation is later completed by
//! exactly one of `ok` (it happened, with this result), `fail` (it definitely
//! did not happen) or `info` (unknown: it may or may not have taken effect —
//! timeouts and crashed clients produce these). An invocation with no
//! completion at the end of the history is treated like `info`.
//!
//! This crate knows nothing of the simulator: histories from real systems
//! (Porcupine, Jepsen) are parsed into the same type.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A value in a history: nil, an integer, a string, or a list of values
/// (CAS operations carry `[expected, new]`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Nil,
    Int(i64),
    Str(String),
    List(Vec<Value>),
}

impl Default for Value {
    fn default() -> Self {
        Value::Nil
    }
}

impl Value {
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => write!(f, "nil"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::List(items) => {
                write!(f, "[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, " ")?;
                    }
                    write!(f, "{v}")?;
                }
                write!(f, "]")
            }
        }
    }
}

/// The kind of a history event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    Invoke,
    Ok,
    Fail,
    Info,
}

/// One line of a history.
///
/// JSON form (one object per line, see the README):
/// `{"process": 0, "type": "invoke", "f": "put", "key": "x", "value": "c0-1"}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// The client process (at most one operation outstanding per process).
    pub process: u64,
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The operation: e.g. `get`, `put`, `append`, `read`, `write`, `cas`, `add`, `enqueue`.
    pub f: String,
    /// The key for key-value histories; `None` for a single object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default)]
    pub value: Value,
    /// Optional time stamp (simulated nanoseconds, or whatever the source used).
    /// Real-time order is the order of events in the history, not this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<u64>,
}

fn too_many_events() -> String {
    format!("more than {} events: faultline judges histories up to that size", crate::formats::MAX_HISTORY_EVENTS)
}

/// A whole history, in real-time order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub events: Vec<Event>,
}

/// A parse or validation problem, naming the line (1-based) where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for HistoryError {}

/// One operation: an invocation paired with its completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    pub process: u64,
    pub f: String,
    pub key: Option<String>,
    /// The value given at invocation (e.g. the value written).
    pub input: Value,
    /// The value at completion (e.g. the value read); `Nil` for `info`.
    pub output: Value,
    /// `Ok`, `Fail` or `Info` (an invocation never completed counts as `Info`).
    pub outcome: EventType,
    /// Index of the invoke event in the history.
    pub invoke_index: usize,
    /// Index of the completion event, `None` when it never completed.
    pub complete_index: Option<usize>,
}

impl History {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, event: Event) {
        self.events.push(event);
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Parses faultline's JSON history: one JSON object per line (blank lines
    /// and lines starting with `#` are skipped), or a single JSON array of
    /// such objects. The history is validated (see [`History::validate`]).
    pub fn from_json_str(text: &str) -> Result<History, HistoryError> {
        let trimmed = text.trim_start();
        let mut history = History::new();
        if trimmed.starts_with('[') {
            let events: Vec<Event> =
                serde_json::from_str(text).map_err(|e| HistoryError { line: e.line(), message: e.to_string() })?;
            if events.len() > crate::formats::MAX_HISTORY_EVENTS {
                return Err(HistoryError { line: 1, message: too_many_events() });
            }
            history.events = events;
        } else {
            for (i, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let event: Event =
                    serde_json::from_str(line).map_err(|e| HistoryError { line: i + 1, message: e.to_string() })?;
                if history.events.len() == crate::formats::MAX_HISTORY_EVENTS {
                    return Err(HistoryError { line: i + 1, message: too_many_events() });
                }
                history.events.push(event);
            }
        }
        history.validate()?;
        Ok(history)
    }

    /// Writes the history as JSON lines (one event per line).
    pub fn to_json_lines(&self) -> String {
        let mut out = String::new();
        for e in &self.events {
            out.push_str(&serde_json::to_string(e).expect("history events serialize"));
            out.push('\n');
        }
        out
    }

    /// Checks well-formedness: every completion answers an outstanding
    /// invocation of the same process and `f`, and a process never has two
    /// invocations outstanding. Errors name the 1-based event number.
    pub fn validate(&self) -> Result<(), HistoryError> {
        let mut open: std::collections::BTreeMap<u64, usize> = Default::default();
        for (i, e) in self.events.iter().enumerate() {
            match e.kind {
                EventType::Invoke => {
                    if let Some(prev) = open.insert(e.process, i) {
                        return Err(HistoryError {
                            line: i + 1,
                            message: format!(
                                "process {} invokes again while its operation from event {} is still open",
                                e.process,
                                prev + 1
                            ),
                        });
                    }
                }
                _ => match open.remove(&e.process) {
                    None => {
                        return Err(HistoryError {
                            line: i + 1,
                            message: format!("process {} completes ({:?}) with no open invocation", e.process, e.kind),
                        })
                    }
                    Some(inv) => {
                        let invoked = &self.events[inv];
                        if invoked.f != e.f {
                            return Err(HistoryError {
                                line: i + 1,
                                message: format!(
                                    "process {} completes `{}` but invoked `{}` at event {}",
                                    e.process,
                                    e.f,
                                    invoked.f,
                                    inv + 1
                                ),
                            });
                        }
                    }
                },
            }
        }
        Ok(())
    }

    /// Pairs invocations with completions, in invocation order. Assumes a
    /// validated history.
    pub fn operations(&self) -> Vec<Operation> {
        let mut ops: Vec<Operation> = Vec::new();
        let mut open: std::collections::BTreeMap<u64, usize> = Default::default();
        for (i, e) in self.events.iter().enumerate() {
            if e.kind == EventType::Invoke {
                open.insert(e.process, ops.len());
                ops.push(Operation {
                    process: e.process,
                    f: e.f.clone(),
                    key: e.key.clone(),
                    input: e.value.clone(),
                    output: Value::Nil,
                    outcome: EventType::Info,
                    invoke_index: i,
                    complete_index: None,
                });
            } else if let Some(op_index) = open.remove(&e.process) {
                let op = &mut ops[op_index];
                op.outcome = e.kind;
                op.complete_index = Some(i);
                if e.kind != EventType::Info {
                    op.output = e.value.clone();
                }
            }
        }
        ops
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_json_lines_and_pairs_operations() {
        let text = r#"
{"process": 0, "type": "invoke", "f": "put", "key": "x", "value": "a"}
{"process": 1, "type": "invoke", "f": "get", "key": "x"}
{"process": 0, "type": "ok", "f": "put", "key": "x", "value": "a"}
{"process": 1, "type": "info", "f": "get", "key": "x"}
{"process": 2, "type": "invoke", "f": "cas", "value": [1, 2]}
"#;
        let h = History::from_json_str(text).unwrap();
        assert_eq!(h.len(), 5);
        let ops = h.operations();
        assert_eq!(ops.len(), 3);
        assert_eq!(ops[0].outcome, EventType::Ok);
        assert_eq!(ops[0].input, Value::Str("a".into()));
        assert_eq!(ops[1].outcome, EventType::Info);
        assert_eq!(ops[2].input, Value::List(vec![Value::Int(1), Value::Int(2)]));
        assert_eq!(ops[2].complete_index, None);
        let again = History::from_json_str(&h.to_json_lines()).unwrap();
        assert_eq!(again, h);
    }

    #[test]
    fn errors_name_the_line() {
        let text = "{\"process\": 0, \"type\": \"invoke\", \"f\": \"get\"}\n{\"process\": 0, \"type\": \"bogus\", \"f\": \"get\"}\n";
        let err = History::from_json_str(text).unwrap_err();
        assert_eq!(err.line, 2);
        let text = "{\"process\": 0, \"type\": \"ok\", \"f\": \"get\"}\n";
        let err = History::from_json_str(text).unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.message.contains("no open invocation"));
        let text = "{\"process\": 0, \"type\": \"invoke\", \"f\": \"get\", \"colour\": 1}\n";
        let err = History::from_json_str(text).unwrap_err();
        assert!(err.message.contains("colour"), "{}", err.message);
    }
}
