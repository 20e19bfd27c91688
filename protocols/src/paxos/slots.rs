//! `Slots<T>`: an array indexed by slot number (from 1) with copy-on-write
//! chunks behind `Arc`s, like Raft's log. Cloning it (which `ctx.persist`
//! does after every Accept) copies one pointer per chunk; setting a slot
//! copies at most one chunk. It changes nothing about what Paxos does.

use std::fmt;
use std::sync::Arc;

/// Slots per shared chunk.
pub const CHUNK: usize = 64;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Slots<T> {
    chunks: Vec<Arc<Vec<Option<T>>>>,
    /// The highest slot ever set (0 when empty).
    max: u64,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots { chunks: Vec::new(), max: 0 }
    }
}

impl<T: Clone> Slots<T> {
    pub fn new() -> Self {
        Slots::default()
    }

    /// The highest slot that holds a value (0 when empty).
    pub fn max_slot(&self) -> u64 {
        self.max
    }

    pub fn get(&self, slot: u64) -> Option<&T> {
        if slot == 0 || slot > self.max {
            return None;
        }
        let i = (slot - 1) as usize;
        self.chunks.get(i / CHUNK).and_then(|c| c[i % CHUNK].as_ref())
    }

    pub fn contains(&self, slot: u64) -> bool {
        self.get(slot).is_some()
    }

    /// Sets `slot` (from 1; slot 0 is ignored).
    pub fn set(&mut self, slot: u64, value: T) {
        if slot == 0 {
            return;
        }
        let i = (slot - 1) as usize;
        while self.chunks.len() <= i / CHUNK {
            self.chunks.push(Arc::new(vec![None; CHUNK]));
        }
        Arc::make_mut(&mut self.chunks[i / CHUNK])[i % CHUNK] = Some(value);
        self.max = self.max.max(slot);
    }

    /// `(slot, value)` for every set slot `>= from`, in slot order.
    pub fn iter_from(&self, from: u64) -> impl Iterator<Item = (u64, &T)> + '_ {
        let start = from.max(1);
        (start..=self.max).filter_map(move |s| self.get(s).map(|v| (s, v)))
    }
}

impl<T: Clone + fmt::Debug> fmt::Debug for Slots<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter_from(1)).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_iterate_and_share() {
        let mut s = Slots::new();
        s.set(3, "c");
        s.set(130, "x");
        s.set(0, "ignored");
        assert_eq!(s.max_slot(), 130);
        assert_eq!(s.get(3), Some(&"c"));
        assert_eq!(s.get(4), None);
        assert_eq!(s.get(131), None);
        let saved = s.clone();
        s.set(3, "d");
        assert_eq!(saved.get(3), Some(&"c"), "copy on write");
        assert_eq!(s.iter_from(2).collect::<Vec<_>>(), vec![(3, &"d"), (130, &"x")]);
        assert_eq!(s.iter_from(4).count(), 1);
    }
}
