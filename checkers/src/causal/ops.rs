//! Turning a faultline history into the operations the causal checker judges.
//!
//! Rules (they decide soundness, so they are spelled out):
//! - `put`/`write` is a write of the invocation's value; `get`/`read` is a read
//!   whose `ok` value is the value read (`nil` = the initial value). Any other
//!   `f` is rejected: a `cas` or `append` also writes, and ignoring it would be
//!   unsound.
//! - Written values must be unique per key and never `nil` (a *differentiated*
//!   history); otherwise the history is rejected, naming both events.
//! - A `fail` write never happened: it is dropped, and a read of its value is a
//!   thin-air read.
//! - An `info` (or never completed) write may have happened. If some read
//!   returns its value it did happen and is kept; if nobody read it, it is
//!   dropped, which is the most permissive choice (removing an unread write can
//!   only remove bad patterns). A kept `info` write may have taken effect after
//!   the client gave up, i.e. after later operations of its session, so it is
//!   not ordered before them: it gets a chain of its own, ordered only after
//!   the session's previous operation (a `fork` edge).
//! - Reads that did not complete `ok` tell nothing and are ignored.

use super::report::CausalInputError;
use crate::history::{EventType, History, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Index into [`CausalHistory::ops`].
pub type OpId = usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OpKind {
    Write,
    Read,
}

/// What a read returned, resolved against the writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadSource {
    Initial,
    Write(OpId),
    /// No (surviving) write wrote this value.
    ThinAir,
}

#[derive(Clone, Debug)]
pub struct CausalOp {
    pub kind: OpKind,
    /// The client process: its session.
    pub process: u64,
    /// 0-based index of the invoke event in the history.
    pub event: usize,
    pub key: u32,
    /// Value written, or value read (`Nil` = initial value).
    pub value: Value,
    /// `Ok`, or `Info` for a write whose outcome is unknown.
    pub outcome: EventType,
    /// The chain (session, or fork of an `info` write) and position in it.
    pub chain: u32,
    pub pos: u32,
    /// For reads: where the value came from. `Initial` for writes (unused).
    pub source: ReadSource,
    /// For an `info` write: the previous operation of its session, if any.
    pub fork_from: Option<OpId>,
}

/// A chain of operations totally ordered by the causal order.
#[derive(Clone, Debug)]
pub struct Chain {
    pub process: u64,
    pub ops: Vec<OpId>,
    /// True for a real session; false for the one-op chain of an `info` write.
    pub is_session: bool,
}

/// The history as the causal checker sees it.
#[derive(Clone, Debug, Default)]
pub struct CausalHistory {
    pub ops: Vec<CausalOp>,
    pub chains: Vec<Chain>,
    /// Key names by key id (`None` = the single register of a keyless history).
    pub keys: Vec<Option<String>>,
    /// Operations dropped: fail writes, unread info writes, non-ok reads.
    pub ignored: usize,
    /// Events of failed writes by (key, value), to explain thin-air reads.
    pub failed_writes: HashMap<(u32, Value), usize>,
}

enum Class {
    Write,
    Read,
}

fn classify(f: &str) -> Option<Class> {
    match f {
        "put" | "write" => Some(Class::Write),
        "get" | "read" => Some(Class::Read),
        _ => None,
    }
}

impl CausalHistory {
    pub fn from_history(history: &History) -> Result<CausalHistory, CausalInputError> {
        let operations = history.operations();
        let mut keys: BTreeMap<Option<String>, u32> = BTreeMap::new();
        let mut key_names: Vec<Option<String>> = Vec::new();
        let mut intern = |k: &Option<String>| -> u32 {
            if let Some(&id) = keys.get(k) {
                return id;
            }
            let id = key_names.len() as u32;
            keys.insert(k.clone(), id);
            key_names.push(k.clone());
            id
        };

        // Pass 1: classify, check differentiation, remember what reads return.
        let mut written: HashMap<(u32, Value), usize> = HashMap::new();
        let mut failed_writes: HashMap<(u32, Value), usize> = HashMap::new();
        let mut read_values: BTreeSet<(u32, Value)> = BTreeSet::new();
        let mut op_keys = Vec::with_capacity(operations.len());
        for (i, op) in operations.iter().enumerate() {
            let key = intern(&op.key);
            op_keys.push(key);
            match classify(&op.f) {
                None => {
                    return Err(CausalInputError::at(
                        op.invoke_index,
                        format!(
                            "operation `{}` of process {} is neither a read (get/read) nor a write (put/write); \
                             the causal checker judges read/write histories only",
                            op.f, op.process
                        ),
                    ))
                }
                Some(Class::Write) => {
                    if op.input.is_nil() {
                        return Err(CausalInputError::at(
                            op.invoke_index,
                            format!(
                                "process {} writes nil, which is the initial value; written values must be unique and not nil",
                                op.process
                            ),
                        ));
                    }
                    let kv = (key, op.input.clone());
                    if op.outcome == EventType::Fail {
                        failed_writes.entry(kv).or_insert(op.invoke_index);
                        continue;
                    }
                    if let Some(&prev) = written.get(&kv) {
                        let prev_op = &operations[prev];
                        return Err(CausalInputError {
                            event: op.invoke_index,
                            other_event: Some(prev_op.invoke_index),
                            message: format!(
                                "value {} is written to key {} twice (process {} and process {}); \
                                 the causal checker needs unique written values per key",
                                op.input,
                                key_label(&op.key),
                                prev_op.process,
                                op.process
                            ),
                        });
                    }
                    written.insert(kv, i);
                }
                Some(Class::Read) => {
                    if op.outcome == EventType::Ok && !op.output.is_nil() {
                        read_values.insert((key, op.output.clone()));
                    }
                }
            }
        }

        // Pass 2: which operations take part, and their chains.
        let included = |i: usize| -> bool {
            let op = &operations[i];
            match classify(&op.f) {
                Some(Class::Write) => match op.outcome {
                    EventType::Ok => true,
                    EventType::Fail => false,
                    _ => read_values.contains(&(op_keys[i], op.input.clone())),
                },
                Some(Class::Read) => op.outcome == EventType::Ok,
                None => false,
            }
        };
        let mut session_chain: BTreeMap<u64, u32> = BTreeMap::new();
        let keep: Vec<bool> = (0..operations.len()).map(included).collect();
        for (i, op) in operations.iter().enumerate() {
            let forked = op.outcome != EventType::Ok;
            if keep[i] && !forked {
                session_chain.entry(op.process).or_insert(0);
            }
        }
        let mut chains: Vec<Chain> = Vec::new();
        for (n, (process, chain)) in session_chain.iter_mut().enumerate() {
            *chain = n as u32;
            chains.push(Chain { process: *process, ops: Vec::new(), is_session: true });
        }

        let mut ops: Vec<CausalOp> = Vec::new();
        let mut writer_of: HashMap<(u32, Value), OpId> = HashMap::new();
        let mut last_in_session: BTreeMap<u64, OpId> = BTreeMap::new();
        let mut ignored = 0;
        for (i, op) in operations.iter().enumerate() {
            if !keep[i] {
                ignored += 1;
                continue;
            }
            let id = ops.len();
            let is_write = matches!(classify(&op.f), Some(Class::Write));
            let forked = op.outcome != EventType::Ok;
            let (chain, fork_from) = if forked {
                chains.push(Chain { process: op.process, ops: Vec::new(), is_session: false });
                ((chains.len() - 1) as u32, last_in_session.get(&op.process).copied())
            } else {
                last_in_session.insert(op.process, id);
                (session_chain[&op.process], None)
            };
            let pos = chains[chain as usize].ops.len() as u32;
            chains[chain as usize].ops.push(id);
            let value = if is_write { op.input.clone() } else { op.output.clone() };
            if is_write {
                writer_of.insert((op_keys[i], value.clone()), id);
            }
            ops.push(CausalOp {
                kind: if is_write { OpKind::Write } else { OpKind::Read },
                process: op.process,
                event: op.invoke_index,
                key: op_keys[i],
                value,
                outcome: if forked { EventType::Info } else { EventType::Ok },
                chain,
                pos,
                source: ReadSource::Initial,
                fork_from,
            });
        }
        for op in ops.iter_mut() {
            if op.kind == OpKind::Read && !op.value.is_nil() {
                op.source = match writer_of.get(&(op.key, op.value.clone())) {
                    Some(&w) => ReadSource::Write(w),
                    None => ReadSource::ThinAir,
                };
            }
        }
        Ok(CausalHistory { ops, chains, keys: key_names, ignored, failed_writes })
    }

    pub fn key_name(&self, key: u32) -> String {
        key_label(&self.keys[key as usize])
    }

    /// The previous operation in the same chain.
    pub fn po_pred(&self, o: OpId) -> Option<OpId> {
        let op = &self.ops[o];
        if op.pos == 0 {
            None
        } else {
            Some(self.chains[op.chain as usize].ops[op.pos as usize - 1])
        }
    }

    /// The write a read returned, if any.
    pub fn writer(&self, o: OpId) -> Option<OpId> {
        match self.ops[o].source {
            ReadSource::Write(w) if self.ops[o].kind == OpKind::Read => Some(w),
            _ => None,
        }
    }

    pub fn is_initial_read(&self, o: OpId) -> bool {
        let op = &self.ops[o];
        op.kind == OpKind::Read && op.value.is_nil()
    }
}

fn key_label(key: &Option<String>) -> String {
    match key {
        Some(k) => k.clone(),
        None => "(register)".to_string(),
    }
}
