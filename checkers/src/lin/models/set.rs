//! A set with add, remove and read-everything.

use super::{no_failure, read_result};
use crate::history::Value;
use crate::lin::model::{Model, OpView};
use std::collections::BTreeSet;

/// A set of values, initially empty. `read` returns the whole set as a list
/// (order ignored).
#[derive(Clone, Copy, Debug, Default)]
pub struct SetModel;

#[derive(Clone, Debug)]
pub enum SetOp {
    Add(Value),
    Remove(Value),
    /// A read that returned these elements (`None`: unknown).
    Read(Option<BTreeSet<Value>>),
}

impl Model for SetModel {
    type State = BTreeSet<Value>;
    type Op = SetOp;
    fn name(&self) -> &str {
        "set"
    }
    fn init(&self) -> BTreeSet<Value> {
        BTreeSet::new()
    }
    fn compile(&self, op: &OpView) -> Result<SetOp, String> {
        match op.f {
            "add" => {
                no_failure(op, "set")?;
                Ok(SetOp::Add(op.input.clone()))
            }
            "remove" => {
                no_failure(op, "set")?;
                Ok(SetOp::Remove(op.input.clone()))
            }
            "read" => match read_result(op) {
                None => Ok(SetOp::Read(None)),
                Some(Value::List(items)) => Ok(SetOp::Read(Some(items.into_iter().collect()))),
                Some(Value::Nil) => Ok(SetOp::Read(Some(BTreeSet::new()))),
                Some(other) => Err(format!("set: read must return a list, got {other}")),
            },
            f => Err(format!("set: unknown operation `{f}` (expected add, remove or read)")),
        }
    }
    fn read_only(&self, op: &SetOp) -> bool {
        matches!(op, SetOp::Read(_))
    }
    fn step(&self, state: &BTreeSet<Value>, op: &SetOp) -> Option<BTreeSet<Value>> {
        match op {
            SetOp::Add(v) => {
                let mut next = state.clone();
                next.insert(v.clone());
                Some(next)
            }
            SetOp::Remove(v) => {
                let mut next = state.clone();
                next.remove(v);
                Some(next)
            }
            SetOp::Read(Some(seen)) => (seen == state).then(|| state.clone()),
            SetOp::Read(None) => Some(state.clone()),
        }
    }
}
