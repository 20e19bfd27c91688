//! A brute-force judge that follows the definitions of causal.md literally:
//! it enumerates causal orders CO ⊇ PO and, for CCv, arbitration orders, and
//! checks AxCausalValue (CC), AxCausalSeq (CM) and AxCausalArb (CCv) by
//! enumerating linearisations. Exponential; for tiny histories only.
//!
//! Causal orders: every strict partial order containing PO is `(PO ∪ S)+`
//! for S a set of cross-session pairs, so when there are few such pairs all
//! of them are tried. Otherwise only the minimal `(PO ∪ RF)+` is tried, which
//! causal.md's lemma says is enough (and which the exhaustive runs on the
//! smaller histories keep checking).

use super::SpecOp;
use std::collections::HashSet;

/// Up to this many cross-session pairs, every causal order is enumerated.
pub const EXHAUSTIVE_CROSS_PAIRS: usize = 12;

#[derive(Clone, Debug)]
struct Op {
    write: bool,
    key: String,
    value: u32,
    session: usize,
    index: usize, // within its session
}

type Rel = Vec<Vec<bool>>;

pub struct Verdicts {
    pub cc: bool,
    pub cm: bool,
    pub ccv: bool,
    pub exhaustive: bool,
}

pub fn judge(sessions: &[Vec<SpecOp>]) -> Verdicts {
    let ops: Vec<Op> = sessions
        .iter()
        .enumerate()
        .flat_map(|(s, list)| {
            list.iter().enumerate().map(move |(i, o)| Op {
                write: o.write,
                key: o.key.clone(),
                value: o.value,
                session: s,
                index: i,
            })
        })
        .collect();
    let n = ops.len();
    let mut po: Rel = vec![vec![false; n]; n];
    let mut cross = Vec::new();
    for a in 0..n {
        for b in 0..n {
            if ops[a].session == ops[b].session && ops[a].index < ops[b].index {
                po[a][b] = true;
            }
            if ops[a].session != ops[b].session {
                cross.push((a, b));
            }
        }
    }
    let exhaustive = cross.len() <= EXHAUSTIVE_CROSS_PAIRS;
    let mut candidates: Vec<Rel> = Vec::new();
    if exhaustive {
        let mut seen: HashSet<Vec<Vec<bool>>> = HashSet::new();
        for mask in 0u32..(1 << cross.len()) {
            let mut rel = po.clone();
            for (i, &(a, b)) in cross.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    rel[a][b] = true;
                }
            }
            let closed = closure(&rel);
            if (0..n).any(|i| closed[i][i]) {
                continue;
            }
            if seen.insert(closed.clone()) {
                candidates.push(closed);
            }
        }
    } else {
        let mut rel = po.clone();
        for r in 0..n {
            if !ops[r].write && ops[r].value != 0 {
                for w in 0..n {
                    if ops[w].write && ops[w].key == ops[r].key && ops[w].value == ops[r].value {
                        rel[w][r] = true;
                    }
                }
            }
        }
        let closed = closure(&rel);
        if (0..n).all(|i| !closed[i][i]) {
            candidates.push(closed);
        }
    }
    let mut v = Verdicts { cc: false, cm: false, ccv: false, exhaustive };
    for co in &candidates {
        v.cc = v.cc || is_cc(&ops, co);
        v.cm = v.cm || is_cm(&ops, co);
        v.ccv = v.ccv || is_ccv(&ops, co);
        if v.cc && v.cm && v.ccv {
            break;
        }
    }
    v
}

fn closure(rel: &Rel) -> Rel {
    let n = rel.len();
    let mut c = rel.clone();
    for k in 0..n {
        for i in 0..n {
            if c[i][k] {
                for j in 0..n {
                    if c[k][j] {
                        c[i][j] = true;
                    }
                }
            }
        }
    }
    c
}

/// A read is legal after a sequence when the sequence's last write to its key
/// wrote its value, or there is none and it reads the initial value (0).
fn legal(ops: &[Op], last_write: Option<usize>, r: usize) -> bool {
    match last_write {
        Some(w) => ops[w].value == ops[r].value,
        None => ops[r].value == 0,
    }
}

/// AxCausalValue: for each read o, some linearisation of CausalPast(o) makes o legal.
fn is_cc(ops: &[Op], co: &Rel) -> bool {
    let n = ops.len();
    (0..n).filter(|&o| !ops[o].write).all(|o| {
        let past: Vec<usize> = (0..n).filter(|&p| co[p][o]).collect();
        // Enumerate linearisations of the past, tracking the last write to o's key.
        let mut memo = HashSet::new();
        linearise_cc(ops, co, &past, 0, None, o, &mut memo)
    })
}

fn linearise_cc(
    ops: &[Op],
    co: &Rel,
    past: &[usize],
    placed: u32,
    last: Option<usize>,
    o: usize,
    memo: &mut HashSet<(u32, Option<usize>)>,
) -> bool {
    if placed.count_ones() as usize == past.len() {
        return legal(ops, last, o);
    }
    if !memo.insert((placed, last)) {
        return false;
    }
    for (i, &p) in past.iter().enumerate() {
        if placed & (1 << i) != 0 {
            continue;
        }
        let ready = past.iter().enumerate().all(|(j, &q)| !co[q][p] || placed & (1 << j) != 0);
        if !ready {
            continue;
        }
        let last2 = if ops[p].write && ops[p].key == ops[o].key { Some(p) } else { last };
        if linearise_cc(ops, co, past, placed | (1 << i), last2, o, memo) {
            return true;
        }
    }
    false
}

/// AxCausalSeq: for each o, one linearisation of CausalPast(o) ∪ {o} in which
/// every op of o's session up to o is legal.
fn is_cm(ops: &[Op], co: &Rel) -> bool {
    let n = ops.len();
    (0..n).all(|o| {
        let members: Vec<usize> = (0..n).filter(|&p| co[p][o] || p == o).collect();
        let checked: Vec<bool> =
            (0..n).map(|p| ops[p].session == ops[o].session && ops[p].index <= ops[o].index).collect();
        let mut memo = HashSet::new();
        let last = vec![None; n];
        linearise_cm(ops, co, &members, &checked, 0, &last, &mut memo)
    })
}

fn linearise_cm(
    ops: &[Op],
    co: &Rel,
    members: &[usize],
    checked: &[bool],
    placed: u32,
    last: &[Option<usize>], // last write per op's key, indexed by a representative op... see key_slot
    memo: &mut HashSet<(u32, Vec<Option<usize>>)>,
) -> bool {
    if placed.count_ones() as usize == members.len() {
        return true;
    }
    if !memo.insert((placed, last.to_vec())) {
        return false;
    }
    for (i, &p) in members.iter().enumerate() {
        if placed & (1 << i) != 0 {
            continue;
        }
        let ready = members.iter().enumerate().all(|(j, &q)| !co[q][p] || placed & (1 << j) != 0);
        if !ready {
            continue;
        }
        let slot = key_slot(ops, p);
        if !ops[p].write && checked[p] && !legal(ops, last[slot], p) {
            continue;
        }
        let mut last2 = last.to_vec();
        if ops[p].write {
            last2[slot] = Some(p);
        }
        if linearise_cm(ops, co, members, checked, placed | (1 << i), &last2, memo) {
            return true;
        }
    }
    false
}

/// The index of the first op on the same key: one slot per key.
fn key_slot(ops: &[Op], p: usize) -> usize {
    ops.iter().position(|q| q.key == ops[p].key).expect("p itself")
}

/// AxCausalArb: some total order arb ⊇ CO such that, for each read o, the
/// arb-last write to its key within CausalPast(o) explains it.
fn is_ccv(ops: &[Op], co: &Rel) -> bool {
    let n = ops.len();
    let mut order = Vec::with_capacity(n);
    arbitrations(ops, co, 0, &mut order)
}

fn arbitrations(ops: &[Op], co: &Rel, placed: u32, order: &mut Vec<usize>) -> bool {
    let n = ops.len();
    if order.len() == n {
        return (0..n).filter(|&o| !ops[o].write).all(|o| {
            let last = order.iter().copied().filter(|&w| ops[w].write && ops[w].key == ops[o].key && co[w][o]).last();
            legal(ops, last, o)
        });
    }
    for p in 0..n {
        if placed & (1 << p) != 0 {
            continue;
        }
        if (0..n).any(|q| co[q][p] && placed & (1 << q) == 0) {
            continue;
        }
        order.push(p);
        let found = arbitrations(ops, co, placed | (1 << p), order);
        order.pop();
        if found {
            return true;
        }
    }
    false
}
