//! The sequential specification a history is judged against.

use crate::history::Value;
use std::hash::Hash;

/// What the history says an operation returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observed<'a> {
    /// It completed with `ok` and this value.
    Returned(&'a Value),
    /// It ran and reported failure with this value. Only formats where a
    /// failure is an observed outcome produce this (Porcupine's etcd log: a
    /// `:fail :cas` saw a different value); elsewhere `fail` operations are
    /// dropped before the model sees them.
    Failed(&'a Value),
    /// No answer (`info`, a timeout, or no completion): any result is
    /// possible, and the operation may or may not have taken effect.
    Unknown,
}

/// One operation as a model sees it when compiling it.
#[derive(Clone, Copy, Debug)]
pub struct OpView<'a> {
    /// The operation name, e.g. `read`, `write`, `cas`, `get`, `append`.
    pub f: &'a str,
    pub key: Option<&'a str>,
    /// The invocation's value (what is written, `[expected, new]` for CAS).
    pub input: &'a Value,
    pub result: Observed<'a>,
}

/// A sequential object: an initial state and a step function.
///
/// The checker compiles each operation once with [`Model::compile`] (so the
/// step function never parses strings) and interns states, so `step` runs
/// once per distinct (state, operation) pair however often the search
/// revisits it. Operations with an [`Observed::Unknown`] result are optional
/// to the search: it may place them anywhere after their invocation or leave
/// them out, so `step` only has to say what they would do if they happened.
///
/// ```
/// use checkers::lin::{self, CheckOptions, Model, Observed, OpView, Verdict};
/// use checkers::{Event, EventType, History, Value};
///
/// /// A counter with `incr` and `read`.
/// struct Counter;
/// enum CounterOp { Incr, Read(Option<i64>) }
///
/// impl Model for Counter {
///     type State = i64;
///     type Op = CounterOp;
///     fn name(&self) -> &str { "counter" }
///     fn init(&self) -> i64 { 0 }
///     fn compile(&self, op: &OpView) -> Result<CounterOp, String> {
///         match (op.f, op.result) {
///             ("incr", _) => Ok(CounterOp::Incr),
///             ("read", Observed::Returned(Value::Int(n))) => Ok(CounterOp::Read(Some(*n))),
///             ("read", Observed::Unknown) => Ok(CounterOp::Read(None)),
///             (f, _) => Err(format!("counter: unsupported operation `{f}`")),
///         }
///     }
///     fn step(&self, state: &i64, op: &CounterOp) -> Option<i64> {
///         match op {
///             CounterOp::Incr => Some(state + 1),
///             CounterOp::Read(Some(n)) => (n == state).then_some(*state),
///             CounterOp::Read(None) => Some(*state),
///         }
///     }
/// }
///
/// let ev = |process, kind, f: &str, value| Event {
///     process, kind, f: f.into(), key: None, value, time: None,
/// };
/// let mut h = History::new();
/// h.push(ev(0, EventType::Invoke, "incr", Value::Nil));
/// h.push(ev(1, EventType::Invoke, "read", Value::Nil));
/// h.push(ev(1, EventType::Ok, "read", Value::Int(1)));
/// h.push(ev(0, EventType::Ok, "incr", Value::Nil));
/// let report = lin::check(&h, &Counter, &CheckOptions::default()).unwrap();
/// assert!(matches!(report.verdict, Verdict::Linearizable));
/// ```
pub trait Model {
    /// The object's state. `Eq + Hash` so the checker can intern it.
    type State: Clone + Eq + Hash;
    /// An operation compiled from the history, ready for `step`.
    type Op;
    /// A short name for reports.
    fn name(&self) -> &str;
    fn init(&self) -> Self::State;
    /// Turns a history operation into the model's form, or explains why it
    /// does not fit this model (unknown `f`, wrong value type...).
    fn compile(&self, op: &OpView) -> Result<Self::Op, String>;
    /// The state after `op`, or `None` when `op` cannot happen in `state`
    /// (e.g. a read that returned something else).
    fn step(&self, state: &Self::State, op: &Self::Op) -> Option<Self::State>;
    /// Optional pruning knowledge; the default (`false`) claims nothing.
    /// `true` promises that `op` never changes the state: `step(s, op)` is
    /// `None` or `Some(s)` for every `s` (a read, a failed CAS). The search
    /// then linearizes such an operation as soon as it is legal, without
    /// trying alternatives.
    fn read_only(&self, _op: &Self::Op) -> bool {
        false
    }
    /// Optional pruning knowledge; the default (`false`) claims nothing.
    /// An operation is *monotone* when it can only move the state up some
    /// fixed partial order `≤` that the model has in mind: whenever
    /// `step(s, op)` is `Some(t)`, `s ≤ t`. (For [`Kv`](super::models::Kv)
    /// the order is "is a prefix of"; `get` and `append` are monotone,
    /// `put` is not.)
    fn monotone(&self, _op: &Self::Op) -> bool {
        false
    }
    /// Optional pruning knowledge; the default (`true`) claims nothing.
    /// Called only when `step(state, op)` is `None`. Answer `false` only if
    /// no state `t ≥ state` (in the order of [`Model::monotone`]) accepts
    /// `op`, e.g. a kv get whose result does not start with the current
    /// value. The search then abandons a configuration in which `op` must
    /// still happen and only monotone operations can come before it.
    fn may_accept_later(&self, _state: &Self::State, _op: &Self::Op) -> bool {
        true
    }
    /// Whether operations on different keys are independent objects, so the
    /// history can be split by key and each part judged alone
    /// (P-compositionality). True by default: an operation's `key` names
    /// the object it acts on.
    fn partition_by_key(&self) -> bool {
        true
    }
}
