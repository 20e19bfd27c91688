//! The event queue: a min-heap ordered by `(time, sequence)`. The sequence
//! number is assigned at push, so ties never depend on hash order or memory
//! addresses.

use crate::time::Time;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A heap entry: `(time, sequence)` packed in one `u128` so that comparing
/// two entries is one branch-free integer comparison (the heap's sift loops
/// are the engine's hottest code), plus the slab slot of the event.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    packed: u128,
    slot: u32,
}

impl Ord for Key {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap, the earliest event must come first.
        other.packed.cmp(&self.packed)
    }
}

impl PartialOrd for Key {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The heap holds only small keys; events live in a slab, so sifting moves
/// 24 bytes whatever the message size.
pub struct EventQueue<E> {
    heap: BinaryHeap<Key>,
    slab: Vec<Option<E>>,
    free: Vec<u32>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue { heap: BinaryHeap::new(), slab: Vec::new(), free: Vec::new(), next_seq: 0 }
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    pub fn push(&mut self, time: Time, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slab[slot as usize] = Some(event);
                slot
            }
            None => {
                self.slab.push(Some(event));
                (self.slab.len() - 1) as u32
            }
        };
        self.heap.push(Key { packed: ((time as u128) << 64) | seq as u128, slot });
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(Time, E)> {
        let Key { packed, slot } = self.heap.pop()?;
        let time = (packed >> 64) as Time;
        self.free.push(slot);
        let event = self.slab[slot as usize].take().expect("queued slot holds its event");
        Some((time, event))
    }

    pub fn peek_time(&self) -> Option<Time> {
        self.heap.peek().map(|k| (k.packed >> 64) as Time)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_time_then_push_order() {
        let mut q = EventQueue::new();
        q.push(5, "b");
        q.push(3, "a");
        q.push(5, "c");
        q.push(3, "a2");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, vec![(3, "a"), (3, "a2"), (5, "b"), (5, "c")]);
    }
}
