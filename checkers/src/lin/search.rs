//! The Wing & Gong search with Lowe's memoisation, for one partition.
//!
//! A level of the search is a configuration: the operations linearized so
//! far and the model state they lead to. Its candidates are the pending
//! operations whose call comes before the first pending return (anything
//! called later must wait for that operation). The search tries the
//! candidates one by one: if the model accepts one and the resulting
//! (set of linearized operations, state) is new to the memo, it commits to
//! it and starts the next level; when a level runs out of candidates it
//! backtracks. Operations with an unknown outcome have no return, so
//! nothing ever forces them in; the search succeeds as soon as every
//! operation with a known outcome is linearized, and fails when the first
//! level runs out of candidates.
//!
//! Three things keep the search small, none of which can change a verdict
//! (each is argued where it is done): candidates are tried earliest return
//! first; a legal read-only candidate is taken as a forced move with no
//! alternatives ([`Model::read_only`]); and a level where some pending
//! operation can no longer become legal is abandoned at once
//! ([`Model::may_accept_later`]: for kv, a get whose result does not start
//! with the current value while only appends and gets can come first).

use super::bitset::OpSet;
use super::entries::{Entries, HEAD, NONE};
use super::intern::{rejected, Transitions, DEAD};
use super::memo::{Insert, Memo};
use super::model::Model;
use super::result::UnknownReason;
use std::time::Instant;

/// How often (in steps) the clock and memory are looked at.
const CHECK_EVERY: u64 = 1 << 10;

pub enum Outcome {
    Linearizable,
    /// The longest linearizable prefix found (partition-local op indices).
    NotLinearizable {
        prefix: Vec<u32>,
    },
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

/// One level of the search.
struct Level {
    /// The state at this level.
    state: u32,
    /// This level's candidates are `cands[start..end]`, in trial order.
    start: u32,
    end: u32,
    /// The next candidate to try.
    cursor: u32,
    /// The call entry committed from this level (valid while a deeper
    /// level exists).
    call: u32,
    /// The commitment was a forced move (see `search`): this level has no
    /// alternatives.
    forced: bool,
}

/// Searches one partition. `spans[i]` = (call position, return position)
/// of partition-local op `i`; `trans` steps the model over those ops.
pub fn search<M: Model>(spans: &[(usize, Option<usize>)], trans: &mut Transitions<M>, budget: &mut Budget) -> Outcome {
    let n = spans.len();
    let mut required_left = spans.iter().filter(|s| s.1.is_some()).count();
    if required_left == 0 {
        return Outcome::Linearizable;
    }
    let mut list = Entries::new(spans);
    let mut linearized = OpSet::new(n);
    // The memo gets what the rest of the budget leaves for it.
    let mut memo = Memo::new(linearized.words().len(), budget.max_memory_bytes);
    let mut levels: Vec<Level> = Vec::with_capacity(n + 1);
    // (call entry, state after it), per level.
    let mut cands: Vec<(u32, u32)> = Vec::with_capacity(4 * n);
    let mut longest: Vec<u32> = Vec::new();
    let mut next_check = budget.steps + CHECK_EVERY;
    // Candidates with their sort key, reused.
    let mut keyed: Vec<(u32, u32, u32)> = Vec::new();
    // Dead-end pruning (`Model::may_accept_later`): the non-monotone
    // operations in call order, and each operation's call entry.
    let read_only: Vec<bool> = (0..n as u32).map(|op| trans.read_only(op)).collect();
    let non_monotone: Vec<u32> = (0..n as u32).filter(|&op| !trans.monotone(op)).collect();
    let mut call_entry = vec![NONE; n];
    for e in 1..list.op.len() {
        if list.is_call[e] {
            call_entry[list.op[e] as usize] = e as u32;
        }
    }

    // Enter the first level.
    let mut state = trans.init();
    let mut entering = true;

    loop {
        budget.steps += 1;
        if budget.steps >= next_check {
            next_check = budget.steps + CHECK_EVERY;
            if let Some(reason) = budget.exhausted(memo.bytes() + trans.approx_bytes()) {
                return Outcome::Unknown(reason);
            }
        }
        if entering {
            entering = false;
            // Gather the candidates: the calls before the first return.
            // Forced move: if a candidate R is legal now and read-only
            // (`Model::read_only`: it changes no state wherever it is
            // legal), some linearization from here starts with R whenever
            // any does: moving R to the front breaks no real-time order
            // (every pending operation returns after R's call, or R would
            // not be a candidate), and changes no state, neither where R
            // was nor for the operations it jumps over. (An optional R may
            // also be left out; putting it first is no worse.) So take R
            // without trying alternatives, and if that configuration is
            // already known to fail, so is this one.
            let start = cands.len() as u32;
            let mut c = list.next[HEAD as usize];
            let mut forced = NONE;
            keyed.clear();
            let mut dead = false;
            // Call entry of the first non-monotone operation not yet
            // linearized (computed when first needed).
            let mut first_non_monotone: Option<u32> = None;
            while list.is_call[c as usize] {
                let op = list.op[c as usize];
                let next = trans.step(state, op);
                if next == state && read_only[op as usize] {
                    forced = c;
                    break;
                }
                if !rejected(next) {
                    // An optional operation (unknown outcome, no return
                    // entry) that leaves the state as it is achieves
                    // nothing: whatever can follow it can follow without
                    // it, since it constrains no one. Skip it.
                    if next != state || list.ret_of[c as usize] != NONE {
                        keyed.push((list.ret_of[c as usize], c, next));
                    }
                } else if next == DEAD && list.ret_of[c as usize] != NONE {
                    // Candidate c must still happen, and no state above
                    // this one accepts it. If only monotone operations can
                    // come before it (no pending non-monotone operation is
                    // called before c returns), this configuration is a
                    // dead end.
                    let barrier = *first_non_monotone.get_or_insert_with(|| {
                        non_monotone
                            .iter()
                            .find(|&&op| !linearized.contains(op))
                            .map_or(NONE, |&op| call_entry[op as usize])
                    });
                    if list.ret_of[c as usize] < barrier {
                        dead = true;
                        break;
                    }
                }
                c = list.next[c as usize];
            }
            if dead {
                keyed.clear();
            } else if forced != NONE {
                cands.push((forced, state));
            } else {
                // Try the candidates earliest return first (entry indices
                // follow the list order; unknown outcomes, NONE, last):
                // the operation that must happen soonest is the likeliest
                // to come next. On Porcupine's c50-ok this takes 4x fewer
                // steps than call order, on etcd_002 2000x fewer.
                keyed.sort_unstable();
                cands.extend(keyed.iter().map(|&(_, c, next)| (c, next)));
            }
            let end = cands.len() as u32;
            levels.push(Level { state, start, end, cursor: start, call: NONE, forced: forced != NONE });
        }
        // Try the next candidate of the top level.
        let level = levels.last_mut().expect("a level");
        if level.cursor == level.end {
            // Out of candidates: backtrack, through forced levels (they had
            // no alternatives).
            loop {
                let dead = levels.pop().expect("a level");
                cands.truncate(dead.start as usize);
                let Some(parent) = levels.last_mut() else {
                    return Outcome::NotLinearizable { prefix: longest };
                };
                let call = parent.call;
                linearized.remove(list.op[call as usize]);
                list.unlift(call);
                if list.ret_of[call as usize] != NONE {
                    required_left += 1;
                }
                if !parent.forced {
                    break;
                }
            }
            let parent = levels.last().expect("a level");
            state = parent.state;
            continue;
        }
        let (c, next_state) = cands[level.cursor as usize];
        level.cursor += 1;
        let op = list.op[c as usize];
        linearized.insert(op);
        match memo.insert(linearized.words(), linearized.hash(), next_state) {
            Insert::New => {
                level.call = c;
                list.lift(c);
                if list.ret_of[c as usize] != NONE {
                    required_left -= 1;
                    if required_left == 0 {
                        return Outcome::Linearizable;
                    }
                }
                if levels.len() > longest.len() {
                    longest.clear();
                    longest.extend(levels.iter().map(|l| list.op[l.call as usize]));
                }
                state = next_state;
                entering = true;
            }
            Insert::Seen => linearized.remove(op),
            Insert::Full => return Outcome::Unknown(UnknownReason::MemoryLimit),
        }
    }
}
