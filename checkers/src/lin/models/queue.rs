//! A FIFO queue.

use super::{no_failure, read_result};
use crate::history::Value;
use crate::lin::model::{Model, OpView};
use std::collections::VecDeque;

/// A FIFO queue, initially empty. `dequeue` returns the head, or nil when
/// the queue was empty.
#[derive(Clone, Copy, Debug, Default)]
pub struct Queue;

#[derive(Clone, Debug)]
pub enum QueueOp {
    Enqueue(Value),
    /// A dequeue that returned this value (nil: empty; `None`: unknown).
    Dequeue(Option<Value>),
}

impl Model for Queue {
    type State = VecDeque<Value>;
    type Op = QueueOp;
    fn name(&self) -> &str {
        "queue"
    }
    fn init(&self) -> VecDeque<Value> {
        VecDeque::new()
    }
    fn compile(&self, op: &OpView) -> Result<QueueOp, String> {
        match op.f {
            "enqueue" => {
                no_failure(op, "queue")?;
                Ok(QueueOp::Enqueue(op.input.clone()))
            }
            "dequeue" => Ok(QueueOp::Dequeue(read_result(op))),
            f => Err(format!("queue: unknown operation `{f}` (expected enqueue or dequeue)")),
        }
    }
    /// A dequeue that found the queue empty.
    fn read_only(&self, op: &QueueOp) -> bool {
        matches!(op, QueueOp::Dequeue(Some(Value::Nil)))
    }
    fn step(&self, state: &VecDeque<Value>, op: &QueueOp) -> Option<VecDeque<Value>> {
        match op {
            QueueOp::Enqueue(v) => {
                let mut next = state.clone();
                next.push_back(v.clone());
                Some(next)
            }
            QueueOp::Dequeue(Some(Value::Nil)) => state.is_empty().then(|| state.clone()),
            QueueOp::Dequeue(Some(v)) => (state.front() == Some(v)).then(|| {
                let mut next = state.clone();
                next.pop_front();
                next
            }),
            QueueOp::Dequeue(None) => {
                let mut next = state.clone();
                next.pop_front();
                Some(next)
            }
        }
    }
}
