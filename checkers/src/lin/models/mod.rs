//! The built-in sequential models. Each file is one object type.
//!
//! | model | operations (`f`) | state |
//! |---|---|---|
//! | [`Register`] | `read`/`get`, `write`/`put` | one value, initially nil |
//! | [`CasRegister`] | as register, plus `cas` with `[expected, new]` | one value, initially nil |
//! | [`Kv`] | `get`/`read`, `put`/`write`, `append` per key | a string per key, missing = `""` |
//! | [`SetModel`] | `add`, `remove`, `read` (the whole set as a list) | a set, initially empty |
//! | [`Queue`] | `enqueue`, `dequeue` (nil = was empty) | a FIFO queue, initially empty |

mod kind;
mod kv;
mod kv_state;
mod queue;
mod register;
mod set;

pub use kind::ModelKind;
pub use kv::{Kv, KvOp};
pub use kv_state::{KvState, Piece, ReadValue};
pub use queue::{Queue, QueueOp};
pub use register::{CasRegister, RegOp, Register};
pub use set::{SetModel, SetOp};

use super::model::{Observed, OpView};
use crate::history::Value;

/// The result a read-like operation must match, or `None` when unknown.
/// A `Failed` read (Porcupine's `:fail :read :timed-out`) gave no answer.
fn read_result(op: &OpView) -> Option<Value> {
    match op.result {
        Observed::Returned(v) => Some(v.clone()),
        Observed::Failed(_) | Observed::Unknown => None,
    }
}

/// Rejects a `fail` outcome on an operation for which failure means nothing
/// observable (only formats where failures are observed produce one).
fn no_failure(op: &OpView, model: &str) -> Result<(), String> {
    match op.result {
        Observed::Failed(_) => Err(format!("{model}: a `{}` cannot fail in this model", op.f)),
        _ => Ok(()),
    }
}
