//! A key-value map with get / put / append on string values (Porcupine's kv
//! model). The checker splits the history by key, so the state here is one
//! key's value.

use super::kv_state::{KvState, Piece, ReadValue};
use super::{no_failure, read_result};
use crate::history::Value;
use crate::lin::model::{Model, OpView};
use std::rc::Rc;

/// A key-value map; one key's value is nil (missing) or a string, and
/// `put` / `append` take strings. A missing key reads as nil or `""` alike:
/// Porcupine's histories read `""`, faultline's simulator reads nil.
#[derive(Clone, Copy, Debug, Default)]
pub struct Kv;

#[derive(Clone, Debug)]
pub enum KvOp {
    /// A get that returned this value (`None` inside: nil or `""`).
    Get(Option<Rc<ReadValue>>),
    /// A get whose result is unknown.
    GetUnknown,
    Put(Rc<Piece>),
    Append(Rc<Piece>),
}

fn string_input(op: &OpView) -> Result<Rc<Piece>, String> {
    match op.input {
        Value::Str(s) => Ok(Rc::new(Piece::new(s))),
        other => Err(format!("kv: {} needs a string value, got {other}", op.f)),
    }
}

impl Model for Kv {
    type State = KvState;
    type Op = KvOp;
    fn name(&self) -> &str {
        "kv"
    }
    fn init(&self) -> KvState {
        KvState::nil()
    }
    fn compile(&self, op: &OpView) -> Result<KvOp, String> {
        match op.f {
            "get" | "read" => match read_result(op) {
                None => Ok(KvOp::GetUnknown),
                Some(Value::Nil) => Ok(KvOp::Get(None)),
                Some(Value::Str(s)) if s.is_empty() => Ok(KvOp::Get(None)),
                Some(Value::Str(s)) => Ok(KvOp::Get(Some(Rc::new(ReadValue::new(&s))))),
                Some(other) => Err(format!("kv: get must return a string or nil, got {other}")),
            },
            "put" | "write" => {
                no_failure(op, "kv")?;
                Ok(KvOp::Put(string_input(op)?))
            }
            "append" => {
                no_failure(op, "kv")?;
                Ok(KvOp::Append(string_input(op)?))
            }
            f => Err(format!("kv: unknown operation `{f}` (expected get, put or append)")),
        }
    }
    fn read_only(&self, op: &KvOp) -> bool {
        matches!(op, KvOp::Get(_) | KvOp::GetUnknown)
    }
    /// The order is "is a prefix of" (nil below everything): gets and
    /// appends only move up it, a put can go anywhere.
    fn monotone(&self, op: &KvOp) -> bool {
        !matches!(op, KvOp::Put(_))
    }
    fn may_accept_later(&self, state: &KvState, op: &KvOp) -> bool {
        match op {
            KvOp::Get(expected) => state.may_grow_into(expected.as_deref()),
            _ => true,
        }
    }
    fn step(&self, state: &KvState, op: &KvOp) -> Option<KvState> {
        match op {
            KvOp::Get(expected) => state.reads_as(expected.as_ref().map(|r| &*r.piece)).then(|| state.clone()),
            KvOp::GetUnknown => Some(state.clone()),
            KvOp::Put(v) => Some(KvState::put(v)),
            KvOp::Append(suffix) => Some(state.append(suffix)),
        }
    }
}
