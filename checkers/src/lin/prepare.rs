//! From a history to compiled per-key partitions.

use super::model::{Model, Observed, OpView};
use super::options::FailMeaning;
use super::result::OpError;
use crate::history::{EventType, Operation};
use std::collections::BTreeMap;

/// One operation of a partition, compiled for the model.
pub struct PartOp<O> {
    /// Index into `History::operations()`.
    pub history_op: usize,
    /// Event index of the invocation.
    pub call: usize,
    /// Event index by which it must have taken effect; `None` for an
    /// operation with unknown outcome, which may take effect any time after
    /// its call, or never.
    pub ret: Option<usize>,
    pub op: O,
}

pub struct Partition<O> {
    pub key: Option<String>,
    /// In invocation order.
    pub ops: Vec<PartOp<O>>,
}

/// Compiles every operation and groups them by key (when the model allows).
/// Partitions come smallest first, ties by key, so the first failing
/// partition found is the smallest one, and the order is deterministic.
pub fn prepare<M: Model>(ops: &[Operation], model: &M, fail: FailMeaning) -> Result<Vec<Partition<M::Op>>, OpError> {
    let mut groups: BTreeMap<Option<&str>, Vec<PartOp<M::Op>>> = BTreeMap::new();
    for (i, op) in ops.iter().enumerate() {
        let (result, ret) = match (op.outcome, fail) {
            (EventType::Fail, FailMeaning::Dropped) => continue,
            (EventType::Fail, FailMeaning::Observed) => (Observed::Failed(&op.output), op.complete_index),
            (EventType::Ok, _) => (Observed::Returned(&op.output), op.complete_index),
            (EventType::Info | EventType::Invoke, _) => (Observed::Unknown, None),
        };
        let view = OpView { f: &op.f, key: op.key.as_deref(), input: &op.input, result };
        let compiled = model.compile(&view).map_err(|message| OpError { event_index: op.invoke_index, message })?;
        let key = if model.partition_by_key() { op.key.as_deref() } else { None };
        groups.entry(key).or_default().push(PartOp { history_op: i, call: op.invoke_index, ret, op: compiled });
    }
    let mut parts: Vec<Partition<M::Op>> =
        groups.into_iter().map(|(key, ops)| Partition { key: key.map(str::to_string), ops }).collect();
    parts.sort_by_key(|p| p.ops.len()); // stable: ties keep key order
    Ok(parts)
}
