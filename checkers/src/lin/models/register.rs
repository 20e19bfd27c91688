//! Read/write registers, with and without compare-and-set.

use super::{no_failure, read_result};
use crate::history::Value;
use crate::lin::model::{Model, Observed, OpView};

/// A register operation, compiled.
#[derive(Clone, Debug)]
pub enum RegOp {
    /// A read that returned this value (`None`: result unknown).
    Read(Option<Value>),
    Write(Value),
    /// `cas(expected, new)`; `matched`: `Some(true)` it succeeded,
    /// `Some(false)` it saw a different value, `None` unknown.
    Cas {
        expected: Value,
        new: Value,
        matched: Option<bool>,
    },
}

/// A read/write register holding any value, initially nil.
#[derive(Clone, Copy, Debug, Default)]
pub struct Register;

/// A register with compare-and-set (`cas` with `[expected, new]`), initially
/// nil. Porcupine's etcd model and Knossos's `cas-register`.
#[derive(Clone, Copy, Debug, Default)]
pub struct CasRegister;

fn compile_read_write(op: &OpView, model: &str) -> Result<Option<RegOp>, String> {
    match op.f {
        "read" | "get" => Ok(Some(RegOp::Read(read_result(op)))),
        "write" | "put" => {
            no_failure(op, model)?;
            Ok(Some(RegOp::Write(op.input.clone())))
        }
        _ => Ok(None),
    }
}

/// Reads, CASes that failed, and CASes that would write what they expect.
fn read_only_register(op: &RegOp) -> bool {
    match op {
        RegOp::Read(_) => true,
        RegOp::Write(_) => false,
        RegOp::Cas { expected, new, matched } => *matched == Some(false) || expected == new,
    }
}

fn step_register(state: &Value, op: &RegOp) -> Option<Value> {
    match op {
        RegOp::Read(Some(v)) => (v == state).then(|| state.clone()),
        RegOp::Read(None) => Some(state.clone()),
        RegOp::Write(v) => Some(v.clone()),
        RegOp::Cas { expected, new, matched } => match matched {
            Some(true) => (expected == state).then(|| new.clone()),
            Some(false) => (expected != state).then(|| state.clone()),
            None if expected == state => Some(new.clone()),
            None => Some(state.clone()),
        },
    }
}

impl Model for Register {
    type State = Value;
    type Op = RegOp;
    fn name(&self) -> &str {
        "register"
    }
    fn init(&self) -> Value {
        Value::Nil
    }
    fn compile(&self, op: &OpView) -> Result<RegOp, String> {
        compile_read_write(op, "register")?
            .ok_or_else(|| format!("register: unknown operation `{}` (expected read or write)", op.f))
    }
    fn step(&self, state: &Value, op: &RegOp) -> Option<Value> {
        step_register(state, op)
    }
    fn read_only(&self, op: &RegOp) -> bool {
        read_only_register(op)
    }
}

impl Model for CasRegister {
    type State = Value;
    type Op = RegOp;
    fn name(&self) -> &str {
        "cas-register"
    }
    fn init(&self) -> Value {
        Value::Nil
    }
    fn compile(&self, op: &OpView) -> Result<RegOp, String> {
        if let Some(compiled) = compile_read_write(op, "cas-register")? {
            return Ok(compiled);
        }
        if op.f != "cas" {
            return Err(format!("cas-register: unknown operation `{}` (expected read, write or cas)", op.f));
        }
        let (expected, new) = match op.input {
            Value::List(items) if items.len() == 2 => (items[0].clone(), items[1].clone()),
            other => return Err(format!("cas-register: cas needs a value [expected, new], got {other}")),
        };
        let matched = match op.result {
            Observed::Returned(_) => Some(true),
            Observed::Failed(_) => Some(false),
            Observed::Unknown => None,
        };
        Ok(RegOp::Cas { expected, new, matched })
    }
    fn step(&self, state: &Value, op: &RegOp) -> Option<Value> {
        step_register(state, op)
    }
    fn read_only(&self, op: &RegOp) -> bool {
        read_only_register(op)
    }
}
