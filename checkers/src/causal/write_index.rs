//! Writes grouped by key and chain, in chain order, so that "the latest write
//! to x in chain c among the first p operations of c" is a binary search.
//! Within a chain, writes are totally ordered by the causal order, so the
//! latest such write stands for all earlier ones in every pattern scan.

use super::ops::{CausalHistory, OpId, OpKind};

/// The writes of one key in one chain.
#[derive(Clone, Debug)]
pub struct ChainWrites {
    pub chain: u32,
    /// Positions in the chain, increasing.
    pub positions: Vec<u32>,
    pub ops: Vec<OpId>,
}

impl ChainWrites {
    /// The last write at a position `< limit`.
    #[inline]
    pub fn last_before(&self, limit: u32) -> Option<OpId> {
        let i = self.positions.partition_point(|&p| p < limit);
        if i == 0 {
            None
        } else {
            Some(self.ops[i - 1])
        }
    }
    /// The first write, if it is at a position `< limit`.
    #[inline]
    pub fn first_before(&self, limit: u32) -> Option<OpId> {
        match self.positions.first() {
            Some(&p) if p < limit => Some(self.ops[0]),
            _ => None,
        }
    }
}

/// Per key id, the chains that write it.
#[derive(Clone, Debug, Default)]
pub struct WriteIndex {
    pub by_key: Vec<Vec<ChainWrites>>,
}

impl WriteIndex {
    pub fn new(h: &CausalHistory) -> WriteIndex {
        let mut by_key: Vec<Vec<ChainWrites>> = vec![Vec::new(); h.keys.len()];
        for (c, chain) in h.chains.iter().enumerate() {
            for &o in &chain.ops {
                let op = &h.ops[o];
                if op.kind != OpKind::Write {
                    continue;
                }
                let lists = &mut by_key[op.key as usize];
                if lists.last().map_or(true, |l| l.chain != c as u32) {
                    lists.push(ChainWrites { chain: c as u32, positions: Vec::new(), ops: Vec::new() });
                }
                let l = lists.last_mut().expect("just pushed");
                l.positions.push(op.pos);
                l.ops.push(o);
            }
        }
        WriteIndex { by_key }
    }

    pub fn key(&self, key: u32) -> &[ChainWrites] {
        &self.by_key[key as usize]
    }
}
