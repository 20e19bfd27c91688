//! Interned model states and a cache of model transitions, so the search
//! works on `u32` state ids: hashing and comparing a memo key never touches
//! the (possibly large) state, and `Model::step` runs once per distinct
//! (state, operation) pair.

use super::fxhash::FxHashMap;
use super::model::Model;

/// No transition: the model rejects the operation in that state.
pub const REJECTED: u32 = u32::MAX;
/// No transition, and the model says no state above this one (reachable
/// by monotone operations) accepts the operation either
/// ([`Model::may_accept_later`]).
pub const DEAD: u32 = u32::MAX - 1;

/// Whether a `step` result is a rejection (`REJECTED` or `DEAD`).
#[inline]
pub fn rejected(next: u32) -> bool {
    next >= DEAD
}

pub struct Transitions<'m, M: Model> {
    model: &'m M,
    ops: Vec<M::Op>,
    states: Vec<M::State>,
    ids: FxHashMap<M::State, u32>,
    /// `state id << 32 | op` → next state id, `REJECTED` or `DEAD`.
    cache: FxHashMap<u64, u32>,
}

impl<'m, M: Model> Transitions<'m, M> {
    pub fn new(model: &'m M, ops: Vec<M::Op>) -> Self {
        let mut t =
            Transitions { model, ops, states: Vec::new(), ids: FxHashMap::default(), cache: FxHashMap::default() };
        t.intern(model.init());
        t
    }

    /// Whether partition-local op `op` is read-only ([`Model::read_only`]).
    pub fn read_only(&self, op: u32) -> bool {
        self.model.read_only(&self.ops[op as usize])
    }

    /// Whether partition-local op `op` is monotone ([`Model::monotone`]).
    pub fn monotone(&self, op: u32) -> bool {
        self.model.monotone(&self.ops[op as usize])
    }

    pub fn init(&self) -> u32 {
        0
    }

    fn intern(&mut self, state: M::State) -> u32 {
        if let Some(&id) = self.ids.get(&state) {
            return id;
        }
        let id = self.states.len() as u32;
        self.states.push(state.clone());
        self.ids.insert(state, id);
        id
    }

    /// The state after `op` from `state`, or `REJECTED` / `DEAD`.
    #[inline]
    pub fn step(&mut self, state: u32, op: u32) -> u32 {
        let key = (state as u64) << 32 | op as u64;
        if let Some(&next) = self.cache.get(&key) {
            return next;
        }
        let next = match self.model.step(&self.states[state as usize], &self.ops[op as usize]) {
            Some(s) => self.intern(s),
            None if self.model.may_accept_later(&self.states[state as usize], &self.ops[op as usize]) => REJECTED,
            None => DEAD,
        };
        self.cache.insert(key, next);
        next
    }

    /// A rough count of the bytes held (for the memory budget); the heap
    /// inside states is not seen, so count each state generously.
    pub fn approx_bytes(&self) -> usize {
        self.cache.capacity() * 16 + self.states.capacity() * (2 * std::mem::size_of::<M::State>() + 48)
    }
}
