//! The causal order as vector clocks over chains, and cycle finding.
//!
//! `PO ∪ RF` (plus fork edges of `info` writes, plus whatever extra edges a
//! pattern adds: CF, or HB's derived write-write edges) is a graph over
//! chains, each chain totally ordered. One clock component per chain: for an
//! operation `o`, `clock(o)[c]` is how many operations of chain `c` are at or
//! before `o`. Then `a` is strictly before `b` iff `a != b` and
//! `clock(b)[chain(a)] > pos(a)`: O(1) queries, O(n·k) memory, and no causal
//! pair is ever materialised.

use super::ops::{CausalHistory, OpId};

/// Why one operation precedes another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// Session order.
    Po,
    /// Read-from: the write, then the read that returned its value.
    Rf,
    /// An `info` write comes after its session's previous operation.
    Fork,
    /// Conflict: arbitration must put the first write before the second.
    Cf,
    /// Happens-before as seen by one session (CM's derived write order).
    Hb,
}

impl EdgeKind {
    pub fn label(self) -> &'static str {
        match self {
            EdgeKind::Po => "po",
            EdgeKind::Rf => "rf",
            EdgeKind::Fork => "fork",
            EdgeKind::Cf => "cf",
            EdgeKind::Hb => "hb",
        }
    }
}

/// Edges added on top of `PO ∪ RF` (both directions kept for the traversal).
#[derive(Clone, Debug, Default)]
pub struct ExtraEdges {
    incoming: Vec<Vec<(OpId, EdgeKind)>>,
    outgoing: Vec<Vec<OpId>>,
    pub len: usize,
}

impl ExtraEdges {
    pub fn new(n: usize) -> ExtraEdges {
        ExtraEdges { incoming: vec![Vec::new(); n], outgoing: vec![Vec::new(); n], len: 0 }
    }
    pub fn add(&mut self, from: OpId, to: OpId, kind: EdgeKind) {
        self.incoming[to].push((from, kind));
        self.outgoing[from].push(to);
        self.len += 1;
    }
}

/// Successors along `PO ∪ RF ∪ fork`, built once (CSR layout).
pub struct BaseGraph {
    start: Vec<usize>,
    succ: Vec<OpId>,
}

impl BaseGraph {
    pub fn new(h: &CausalHistory) -> BaseGraph {
        let n = h.ops.len();
        let mut count = vec![0usize; n + 1];
        for o in 0..n {
            for (p, _) in base_preds(h, o) {
                count[p + 1] += 1;
            }
        }
        for i in 0..n {
            count[i + 1] += count[i];
        }
        let mut fill = count.clone();
        let mut succ = vec![0; count[n]];
        for o in 0..n {
            for (p, _) in base_preds(h, o) {
                succ[fill[p]] = o;
                fill[p] += 1;
            }
        }
        BaseGraph { start: count, succ }
    }
    fn successors(&self, o: OpId) -> &[OpId] {
        &self.succ[self.start[o]..self.start[o + 1]]
    }
}

/// The immediate predecessors of `o` along `PO ∪ RF ∪ fork`.
pub fn base_preds(h: &CausalHistory, o: OpId) -> impl Iterator<Item = (OpId, EdgeKind)> {
    let po = h.po_pred(o).map(|p| (p, EdgeKind::Po));
    let rf = h.writer(o).map(|w| (w, EdgeKind::Rf));
    let fork = h.ops[o].fork_from.map(|p| (p, EdgeKind::Fork));
    po.into_iter().chain(rf).chain(fork)
}

/// Vector clocks, one row of `width` (= number of chains) per operation.
#[derive(Clone, Debug, Default)]
pub struct Clocks {
    width: usize,
    data: Vec<u32>,
}

impl Clocks {
    pub fn row(&self, o: OpId) -> &[u32] {
        &self.data[o * self.width..(o + 1) * self.width]
    }
    /// How many operations of `chain` are at or before `o`.
    #[inline]
    pub fn seen(&self, o: OpId, chain: u32) -> u32 {
        self.data[o * self.width + chain as usize]
    }
    /// `a` strictly before `b`.
    #[inline]
    pub fn before(&self, h: &CausalHistory, a: OpId, b: OpId) -> bool {
        a != b && self.seen(b, h.ops[a].chain) > h.ops[a].pos
    }
}

/// A cycle: each operation with the kind of the edge to the next one (the
/// last one's edge leads back to the first).
pub type Cycle = Vec<(OpId, EdgeKind)>;

/// Which operations take part: per chain, how long a prefix (a downward
/// closed set, e.g. the causal past of one operation). `None` = all.
pub type Domain<'a> = Option<&'a [u32]>;

fn in_domain(h: &CausalHistory, domain: Domain, o: OpId) -> bool {
    match domain {
        None => true,
        Some(limits) => h.ops[o].pos < limits[h.ops[o].chain as usize],
    }
}

/// Computes clocks over the graph `PO ∪ RF ∪ fork ∪ extra` restricted to
/// `domain`, or returns a cycle. `clocks` is reused between calls to save
/// allocations.
pub fn compute(
    h: &CausalHistory,
    base: &BaseGraph,
    extra: Option<&ExtraEdges>,
    domain: Domain,
    clocks: &mut Clocks,
) -> Result<(), Cycle> {
    let n = h.ops.len();
    let width = h.chains.len();
    clocks.width = width;
    clocks.data.clear();
    clocks.data.resize(n * width, 0);

    // Kahn's algorithm: indegrees within the domain.
    let members: Vec<OpId> = match domain {
        None => (0..n).collect(),
        Some(limits) => h.chains.iter().zip(limits).flat_map(|(c, &l)| c.ops[..l as usize].iter().copied()).collect(),
    };
    let mut indegree = vec![0u32; n];
    for &o in &members {
        indegree[o] = base_preds(h, o).count() as u32 + extra.map_or(0, |e| e.incoming[o].len() as u32);
    }
    let mut ready: Vec<OpId> = members.iter().copied().filter(|&o| indegree[o] == 0).collect();
    ready.reverse();
    let mut done = 0usize;
    while let Some(o) = ready.pop() {
        done += 1;
        let row_start = o * width;
        for (p, _) in base_preds(h, o) {
            merge_row(&mut clocks.data, width, row_start, p * width);
        }
        if let Some(e) = extra {
            for &(p, _) in &e.incoming[o] {
                merge_row(&mut clocks.data, width, row_start, p * width);
            }
        }
        let op = &h.ops[o];
        clocks.data[row_start + op.chain as usize] = op.pos + 1;
        let release = |s: OpId, indegree: &mut Vec<u32>, ready: &mut Vec<OpId>| {
            if in_domain(h, domain, s) {
                indegree[s] -= 1;
                if indegree[s] == 0 {
                    ready.push(s);
                }
            }
        };
        for &s in base.successors(o) {
            release(s, &mut indegree, &mut ready);
        }
        if let Some(e) = extra {
            for &s in &e.outgoing[o] {
                release(s, &mut indegree, &mut ready);
            }
        }
    }
    if done == members.len() {
        return Ok(());
    }
    // Every operation left has a predecessor left: walk back until one repeats.
    let start = *members.iter().find(|&&o| indegree[o] > 0).expect("a node is left");
    let mut seen_at: std::collections::HashMap<OpId, usize> = Default::default();
    let mut path: Vec<(OpId, EdgeKind)> = Vec::new(); // (op, edge from its predecessor)
    let mut current = start;
    loop {
        if let Some(&i) = seen_at.get(&current) {
            // path[i..] walks the cycle backwards; turn it forwards.
            let back = &path[i..];
            let m = back.len();
            let mut cycle = Vec::with_capacity(m);
            for j in (0..m).rev() {
                // back[j].0's predecessor is back[j+1].0 along edge back[j].1,
                // so going forwards: back[j+1].0 --back[j].1--> back[j].0.
                let from = back[(j + 1) % m].0;
                cycle.push((from, back[j].1));
            }
            return Err(cycle);
        }
        seen_at.insert(current, path.len());
        let pred = base_preds(h, current)
            .chain(extra.into_iter().flat_map(|e| e.incoming[current].iter().copied()))
            .find(|&(p, _)| indegree[p] > 0)
            .expect("an operation left in Kahn's algorithm has a predecessor left");
        path.push((current, pred.1));
        current = pred.0;
    }
}

#[inline]
fn merge_row(data: &mut [u32], width: usize, dst: usize, src: usize) {
    if src == dst {
        return;
    }
    if src < dst {
        let (a, b) = data.split_at_mut(dst);
        for (d, s) in b[..width].iter_mut().zip(&a[src..src + width]) {
            *d = (*d).max(*s);
        }
    } else {
        let (a, b) = data.split_at_mut(src);
        for (d, s) in a[dst..dst + width].iter_mut().zip(&b[..width]) {
            *d = (*d).max(*s);
        }
    }
}
