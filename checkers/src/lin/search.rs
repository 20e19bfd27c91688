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
    // One frame per committed operation: its call entry and the state
    // before it.
    let mut stack: Vec<Frame> = Vec::with_capacity(n);
    let mut longest: Vec<u32> = Vec::new();
    let mut state = trans.init();
    let mut next_check = budget.steps + CHECK_EVERY;
    let mut entry = HEAD; // HEAD = "a new level starts"
    let trace = std::env::var("LIN_TRACE").is_ok();
    if trace { eprintln!("search n={n}"); }
    let mut hist = vec![0u64; n + 1];

    loop {
        budget.steps += 1;
        if budget.steps >= next_check {
            next_check = budget.steps + CHECK_EVERY;
            if let Some(reason) = budget.exhausted(memo.bytes() + trans.approx_bytes()) {
                return Outcome::Unknown(reason);
            }
        }
        if entry == HEAD {
            // Forced move: if some candidate R (a call before the first
            // return still in the list) is legal now and leaves the state
            // unchanged (a read that matches, or an unknown read), some
            // linearization from here starts with R whenever any does:
            // moving R to the front breaks no real-time order (every
            // pending operation returns after R's call, or R would not be a
            // candidate) and changes no state seen by the operations it
            // jumps over. So take R without trying alternatives, and if
            // that configuration is already known to fail, so is this one.
            let mut c = list.next[HEAD as usize];
            let mut forced = NONE;
            while list.is_call[c as usize] {
                if trans.step(state, list.op[c as usize]) == state {
                    forced = c;
                    break;
                }
                c = list.next[c as usize];
            }
            if forced != NONE {
                let call = forced;
                let op = list.op[call as usize];
                linearized.insert(op);
                match memo.insert(linearized.words(), linearized.hash(), state) {
                    Insert::New => {
                        stack.push(Frame { call, state, forced: true });
                        list.lift(call);
                        if list.ret_of[call as usize] != NONE {
                            required_left -= 1;
                            if required_left == 0 {
                                if trace { dump(&hist, &spans, &list); }
                                return Outcome::Linearizable;
                            }
                        }
                        if stack.len() > longest.len() {
                            longest.clear();
                            longest.extend(stack.iter().map(|f| list.op[f.call as usize]));
                        }
                        continue; // entry stays HEAD: next level
                    }
                    Insert::Seen => {
                        linearized.remove(op);
                        entry = first_return(&list); // dead configuration: backtrack
                        continue;
                    }
                    Insert::Full => return Outcome::Unknown(UnknownReason::MemoryLimit),
                }
            }
            entry = list.next[HEAD as usize];
            continue;
        }
        let e = entry as usize;
        if list.is_call[e] {
            let op = list.op[e];
            let next_state = trans.step(state, op);
            // An optional operation (unknown outcome, no return entry) that
            // leaves the state as it is achieves nothing: whatever can
            // follow it can follow without it, since it constrains no one.
            let pointless = next_state == state && list.ret_of[e] == NONE;
            if next_state != REJECTED && !pointless {
                linearized.insert(op);
                match memo.insert(linearized.words(), linearized.hash(), next_state) {
                    Insert::New => {
                        if trace { hist[stack.len()] += 1; if stack.len() == 41 && hist[41] == 1 {
                            let mut c = list.next[HEAD as usize];
                            let mut v = vec![];
                            while c != NONE && v.len() < 60 { v.push(format!("{}{}", if list.is_call[c as usize] {"c"} else {"r"}, spans[list.op[c as usize] as usize].0)); c = list.next[c as usize]; }
                            eprintln!("stack {:?}", stack.iter().map(|f| spans[list.op[f.call as usize] as usize].0).collect::<Vec<_>>());
                            eprintln!("list {}", v.join(" "));
                        } }
                        stack.push(Frame { call: entry, state, forced: false });
                        state = next_state;
                        list.lift(entry);
                        if list.ret_of[e] != NONE {
                            required_left -= 1;
                            if required_left == 0 {
                                if trace { dump(&hist, &spans, &list); }
                                return Outcome::Linearizable;
                            }
                        }
                        if stack.len() > longest.len() {
                            longest.clear();
                            longest.extend(stack.iter().map(|f| list.op[f.call as usize]));
                        }
                        entry = HEAD;
                        continue;
                    }
                    Insert::Seen => linearized.remove(op),
                    Insert::Full => return Outcome::Unknown(UnknownReason::MemoryLimit),
                }
            }
            entry = list.next[e];
        } else {
            // A return whose operation is not linearized yet: backtrack,
            // through forced moves (their level had no other option).
            loop {
                let Some(frame) = stack.pop() else {
                    return Outcome::NotLinearizable { prefix: longest };
                };
                state = frame.state;
                linearized.remove(list.op[frame.call as usize]);
                list.unlift(frame.call);
                if list.ret_of[frame.call as usize] != NONE {
                    required_left += 1;
                }
                if !frame.forced {
                    entry = list.next[frame.call as usize];
                    break;
                }
            }
        }
    }
}

/// The first return entry still in the list (there is one while a required
/// operation is left).
fn first_return(list: &Entries) -> u32 {
    let mut r = list.next[HEAD as usize];
    while list.is_call[r as usize] {
        r = list.next[r as usize];
    }
    r
}

struct Frame {
    call: u32,
    state: u32,
    /// A forced move (see above): undoing it undoes its level too.
    forced: bool,
}

fn dump(hist: &[u64], _spans: &[(usize, Option<usize>)], _list: &Entries) {
    let line: Vec<String> = hist.iter().enumerate().filter(|(_, &h)| h > 0).map(|(i, h)| format!("{i}:{h}")).collect();
    eprintln!("TRACE {}", line.join(" "));
}
