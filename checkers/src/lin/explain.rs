//! Turning a failed search into something a person can read: which
//! operations could not be placed after the longest linearizable prefix.

use super::intern::{rejected, Transitions};
use super::model::Model;

/// Partition-local indices of the operations that could not be placed
/// after `prefix`, in call order (see `Failure::unplaceable`).
pub fn unplaceable<M: Model>(spans: &[(usize, Option<usize>)], prefix: &[u32], trans: &mut Transitions<M>) -> Vec<u32> {
    let mut placed = vec![false; spans.len()];
    let mut state = trans.init();
    for &op in prefix {
        placed[op as usize] = true;
        state = trans.step(state, op);
        debug_assert!(!rejected(state), "the prefix was linearizable");
    }
    // The earliest return among operations still to place: everything
    // invoked before it was eligible to go next.
    let first_return = (0..spans.len()).filter(|&i| !placed[i]).filter_map(|i| spans[i].1.map(|r| (r, i))).min();
    let Some((deadline, blocking)) = first_return else {
        return Vec::new();
    };
    let mut rejected: Vec<u32> = (0..spans.len())
        .filter(|&i| !placed[i] && spans[i].0 < deadline)
        .filter(|&i| rejected(trans.step(state, i as u32)))
        .map(|i| i as u32)
        .collect();
    if rejected.is_empty() {
        rejected.push(blocking as u32);
    }
    rejected.sort_by_key(|&i| spans[i as usize].0);
    rejected
}
