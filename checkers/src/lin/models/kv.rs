//! A key-value map with get / put / append on string values (Porcupine's kv
//! model). The checker splits the history by key, so the state here is one
//! key's value.

use super::{no_failure, read_result};
use crate::history::Value;
use crate::lin::model::{Model, OpView};

/// A key-value map; one key's value is nil (missing) or a string. A missing
/// key reads as nil or `""` alike: Porcupine's histories read `""`,
/// faultline's simulator reads nil.
#[derive(Clone, Copy, Debug, Default)]
pub struct Kv;

#[derive(Clone, Debug)]
pub enum KvOp {
    /// A get that returned this value (`None`: unknown).
    Get(Option<Value>),
    Put(Value),
    Append(String),
}

/// Nil and `""` are the same observation of a missing or empty key.
fn same_reading(a: &Value, b: &Value) -> bool {
    let empty = |v: &Value| matches!(v, Value::Nil) || matches!(v, Value::Str(s) if s.is_empty());
    a == b || (empty(a) && empty(b))
}

impl Model for Kv {
    type State = Value;
    type Op = KvOp;
    fn name(&self) -> &str {
        "kv"
    }
    fn init(&self) -> Value {
        Value::Nil
    }
    fn compile(&self, op: &OpView) -> Result<KvOp, String> {
        match op.f {
            "get" | "read" => Ok(KvOp::Get(read_result(op))),
            "put" | "write" => {
                no_failure(op, "kv")?;
                Ok(KvOp::Put(op.input.clone()))
            }
            "append" => {
                no_failure(op, "kv")?;
                match op.input {
                    Value::Str(s) => Ok(KvOp::Append(s.clone())),
                    other => Err(format!("kv: append needs a string value, got {other}")),
                }
            }
            f => Err(format!("kv: unknown operation `{f}` (expected get, put or append)")),
        }
    }
    fn step(&self, state: &Value, op: &KvOp) -> Option<Value> {
        match op {
            KvOp::Get(Some(v)) => same_reading(v, state).then(|| state.clone()),
            KvOp::Get(None) => Some(state.clone()),
            KvOp::Put(v) => Some(v.clone()),
            KvOp::Append(suffix) => match state {
                Value::Nil => Some(Value::Str(suffix.clone())),
                Value::Str(s) => Some(Value::Str(format!("{s}{suffix}"))),
                // Appending to a non-string value cannot happen.
                _ => None,
            },
        }
    }
}
