//! The Wing & Gong search with Lowe's memoisation, for one partition.
//!
//! Walk the entry list from the front. At a call entry, try to linearize
//! that operation now: if the model accepts it and the resulting (set of
//! linearized operations, state) is new to the memo, commit to it, lift it
//! out of the list and restart from the front. At a return entry, the
//! operation it ends should already have been linearized: backtrack (undo
//! the last commitment and try the next entry after it). Operations with an
//! unknown outcome have no return entry, so nothing ever forces them in;
//! the search succeeds as soon as every operation with a known outcome is
//! linearized, and fails when it must backtrack with nothing committed.

use super::bitset::OpSet;
use super::entries::{Entries, HEAD, NONE};
use super::intern::{Transitions, REJECTED};
use super::memo::{Insert, Memo};
use super::model::Model;
use super::result::UnknownReason;
use std::time::Instant;

/// How often (in steps) the clock and memory are looked at.
const CHECK_EVERY: u64 = 1 << 10;

pub enum Outcome {
    Linearizable,
    /// The longest linearizable prefix found (partition-local op indices).
    NotLinearizable { prefix: Vec<u32> },
    Unknown(UnknownReason),
}

/// The budget shared by all partitions of one check.
pub struct Budget {
    pub deadline: Option<Instant>,
    pub max_steps: Option<u64>,
    pub max_memory_bytes: usize,
    pub steps: u64,
}

impl Budget {
    fn exhausted(&self, memory: usize) -> Option<UnknownReason> {
        if self.max_steps.is_some_and(|max| self.steps >= max) {
            return Some(UnknownReason::StepLimit);
        }
        if memory > self.max_memory_bytes {
            return Some(UnknownReason::MemoryLimit);
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Some(UnknownReason::Deadline);
        }
        None
    }
}

/// Searches one partition. `spans[i]` = (call position, return position)
/// of partition-local op `i`; `trans` steps the model over those ops.
pub fn search<M: Model>(
    spans: &[(usize, Option<usize>)],
    trans: &mut Transitions<M>,
    budget: &mut Budget,
) -> Outcome {
    let n = spans.len();
    let mut required_left = spans.iter().filter(|s| s.1.is_some()).count();
    if required_left == 0 {
        return Outcome::Linearizable;
    }
    let mut list = Entries::new(spans);
    let mut linearized = OpSet::new(n);
    // The memo gets what the rest of the budget leaves for it.
    let mut memo = Memo::new(linearized.words().len(), budget.max_memory_bytes);
    // (call entry, state before it) for each committed operation.
    let mut stack: Vec<(u32, u32)> = Vec::with_capacity(n);
    let mut longest: Vec<u32> = Vec::new();
    let mut state = trans.init();
    let mut entry = list.next[HEAD as usize];
    let mut next_check = budget.steps + CHECK_EVERY;

    loop {
        budget.steps += 1;
        if budget.steps >= next_check {
            next_check = budget.steps + CHECK_EVERY;
            if let Some(reason) = budget.exhausted(memo.bytes() + trans.approx_bytes()) {
                return Outcome::Unknown(reason);
            }
        }
        if entry == list.tail || entry == NONE {
            // Only optional calls were left after this point; cannot happen
            // while a required op remains (its return is in the list), but
            // backtracking is the safe reading.
            debug_assert!(false, "ran off the entry list with required ops left");
            return Outcome::Unknown(UnknownReason::StepLimit);
        }
        let e = entry as usize;
        if list.is_call[e] {
            let op = list.op[e];
            let next_state = trans.step(state, op);
            if next_state != REJECTED {
                linearized.insert(op);
                match memo.insert(linearized.words(), linearized.hash(), next_state) {
                    Insert::New => {
                        stack.push((entry, state));
                        state = next_state;
                        list.lift(entry);
                        if list.ret_of[e] != NONE {
                            required_left -= 1;
                            if required_left == 0 {
                                return Outcome::Linearizable;
                            }
                        }
                        if stack.len() > longest.len() {
                            longest.clear();
                            longest.extend(stack.iter().map(|&(c, _)| list.op[c as usize]));
                        }
                        entry = list.next[HEAD as usize];
                        continue;
                    }
                    Insert::Seen => linearized.remove(op),
                    Insert::Full => return Outcome::Unknown(UnknownReason::MemoryLimit),
                }
            }
            entry = list.next[e];
        } else {
            // A return whose operation is not linearized yet: backtrack.
            let Some((call, previous)) = stack.pop() else {
                return Outcome::NotLinearizable { prefix: longest };
            };
            state = previous;
            linearized.remove(list.op[call as usize]);
            list.unlift(call);
            if list.ret_of[call as usize] != NONE {
                required_left += 1;
            }
            entry = list.next[call as usize];
        }
    }
}
