//! The replicated log, indexed from 1 as in the paper (index 0 is the empty
//! prefix, whose term is 0).
//!
//! Two implementation details keep the simulator fast and the invariants
//! cheap; neither changes what Raft does:
//!
//! * **Shared chunks.** Entries live in chunks of [`CHUNK`] behind `Arc`s.
//!   Cloning a log (which `ctx.persist` does every time the log changes)
//!   copies one pointer per chunk, and appending copies at most one chunk.
//! * **A fingerprint per entry.** Each entry carries `chain`, a hash of its
//!   own (term, request) and the previous entry's `chain`, like a commit hash
//!   in git. Two logs have equal `chain` at index `i` exactly when their
//!   prefixes `1..=i` are equal (up to hash collisions), so the invariants can
//!   compare whole prefixes in O(1). Each node computes the chain itself when
//!   it appends; it is never sent.

use super::messages::Entry;
use sim_core::StableHasher;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Entries per shared chunk.
pub const CHUNK: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Slot {
    entry: Entry,
    chain: u64,
}

/// A Raft log (see the module docs).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Log {
    /// Every chunk but the last holds exactly `CHUNK` entries.
    chunks: Vec<Arc<Vec<Slot>>>,
    len: u64,
}

fn chain_hash(prev: u64, entry: &Entry) -> u64 {
    let mut h = StableHasher::new();
    h.write_u64(prev);
    entry.hash(&mut h);
    h.finish()
}

impl Log {
    pub fn new() -> Self {
        Log::default()
    }

    /// The index of the last entry (0 when empty).
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn slot(&self, index: u64) -> Option<&Slot> {
        if index == 0 || index > self.len {
            return None;
        }
        let i = (index - 1) as usize;
        self.chunks.get(i / CHUNK).and_then(|c| c.get(i % CHUNK))
    }

    /// The entry at `index` (1-based).
    pub fn get(&self, index: u64) -> Option<&Entry> {
        self.slot(index).map(|s| &s.entry)
    }

    /// The term of the entry at `index`; `Some(0)` for index 0, `None` past the end.
    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == 0 {
            Some(0)
        } else {
            self.slot(index).map(|s| s.entry.term)
        }
    }

    /// The term of the last entry (0 when empty).
    pub fn last_term(&self) -> u64 {
        self.term_at(self.len).unwrap_or(0)
    }

    /// The prefix fingerprint at `index`; `Some(0)` for index 0.
    pub fn chain_at(&self, index: u64) -> Option<u64> {
        if index == 0 {
            Some(0)
        } else {
            self.slot(index).map(|s| s.chain)
        }
    }

    /// Appends one entry at index `len() + 1`.
    pub fn push(&mut self, entry: Entry) {
        let chain = chain_hash(self.chain_at(self.len).unwrap_or(0), &entry);
        if (self.len as usize).is_multiple_of(CHUNK) {
            self.chunks.push(Arc::new(Vec::with_capacity(CHUNK)));
        }
        if let Some(last) = self.chunks.last_mut() {
            Arc::make_mut(last).push(Slot { entry, chain });
            self.len += 1;
        }
    }

    /// Keeps entries `1..=len`, dropping the rest.
    pub fn truncate(&mut self, len: u64) {
        if len >= self.len {
            return;
        }
        let keep_chunks = (len as usize).div_ceil(CHUNK);
        self.chunks.truncate(keep_chunks);
        let in_last = len as usize - keep_chunks.saturating_sub(1) * CHUNK;
        if let Some(last) = self.chunks.last_mut() {
            if last.len() > in_last {
                Arc::make_mut(last).truncate(in_last);
            }
        }
        self.len = len;
    }

    /// Up to `max` entries starting at index `from` (copies of `Arc`s only).
    pub fn entries_from(&self, from: u64, max: usize) -> Vec<Entry> {
        let from = from.max(1);
        if from > self.len {
            return Vec::new();
        }
        let count = ((self.len - from + 1) as usize).min(max);
        let mut out = Vec::with_capacity(count);
        let mut i = (from - 1) as usize;
        while out.len() < count {
            let chunk = &self.chunks[i / CHUNK];
            let take = (CHUNK - i % CHUNK).min(count - out.len());
            out.extend(chunk[i % CHUNK..i % CHUNK + take].iter().map(|s| s.entry.clone()));
            i += take;
        }
        out
    }

    /// All entries in order.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.chunks.iter().flat_map(|c| c.iter().map(|s| &s.entry))
    }
}

impl fmt::Debug for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::{KvCommand, KvRequest, RequestId};
    use sim_core::ClientId;

    fn entry(term: u64, seq: u64) -> Entry {
        Entry::new(
            term,
            KvRequest { id: RequestId { client: ClientId(0), seq }, command: KvCommand::Get { key: "k".into() } },
        )
    }

    #[test]
    fn push_get_truncate_across_chunks() {
        let mut log = Log::new();
        for i in 1..=200 {
            log.push(entry(i / 50 + 1, i));
        }
        assert_eq!(log.len(), 200);
        assert_eq!(log.get(130).map(|e| e.request.id.seq), Some(130));
        assert_eq!(log.term_at(0), Some(0));
        assert_eq!(log.term_at(201), None);
        let saved = log.clone();
        for cut in [199, 128, 64, 63, 1, 0] {
            log.truncate(cut);
            assert_eq!(log.len(), cut);
            assert_eq!(log.iter().count() as u64, cut);
            assert_eq!(log.chain_at(cut), saved.chain_at(cut));
        }
        // The saved clone is untouched (copy-on-write).
        assert_eq!(saved.len(), 200);
        assert_eq!(saved.iter().map(|e| e.request.id.seq).collect::<Vec<_>>(), (1..=200).collect::<Vec<_>>());
        let mut rebuilt = Log::new();
        for e in saved.iter() {
            rebuilt.push(e.clone());
        }
        assert_eq!(rebuilt, saved);
        assert_eq!(
            saved.entries_from(60, 10).iter().map(|e| e.request.id.seq).collect::<Vec<_>>(),
            (60..70).collect::<Vec<_>>()
        );
        assert_eq!(saved.entries_from(195, 64).len(), 6);
        assert!(saved.entries_from(201, 64).is_empty());
    }

    #[test]
    fn chains_fingerprint_prefixes() {
        let mut a = Log::new();
        let mut b = Log::new();
        for i in 1..=5 {
            a.push(entry(1, i));
            b.push(entry(1, if i == 2 { 99 } else { i }));
        }
        assert_eq!(a.chain_at(1), b.chain_at(1));
        assert_ne!(a.chain_at(2), b.chain_at(2));
        // Same entry at index 5, different prefix: different fingerprints.
        assert_eq!(a.get(5), b.get(5));
        assert_ne!(a.chain_at(5), b.chain_at(5));
    }
}
