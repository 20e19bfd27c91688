//! CyclicCF, the pattern only causal convergence forbids.
//!
//! `w1 CF w2` when some read of `w2`'s value has `w1` (same key) in its causal
//! past: arbitration must order `w1` before `w2`. Per read, only the latest
//! write of each chain in its past needs an edge (earlier ones reach `w2`
//! through it by session order), and an edge already implied by CO is
//! skipped, so at most k edges per read and usually none.

use super::cc_patterns::cycle_violation;
use super::clocks::{self, BaseGraph, Clocks, EdgeKind, ExtraEdges};
use super::ops::{CausalHistory, OpKind};
use super::report::{Findings, Pattern};
use super::write_index::WriteIndex;

pub fn cyclic_cf(h: &CausalHistory, base: &BaseGraph, index: &WriteIndex, co: &Clocks, findings: &mut Findings) {
    let mut cf = ExtraEdges::new(h.ops.len());
    for (r, op) in h.ops.iter().enumerate() {
        if op.kind != OpKind::Read {
            continue;
        }
        let Some(w2) = h.writer(r) else { continue };
        for l in index.key(op.key) {
            if let Some(w1) = l.last_before(co.seen(r, l.chain)) {
                if w1 != w2 && !co.before(h, w1, w2) {
                    cf.add(w1, w2, EdgeKind::Cf);
                }
            }
        }
    }
    if cf.len == 0 {
        return;
    }
    let mut scratch = Clocks::default();
    if let Err(cycle) = clocks::compute(h, base, Some(&cf), None, &mut scratch) {
        findings.add(cycle_violation(
            h,
            Pattern::CyclicCF,
            "no arbitration order of the writes explains the reads: causal order and the write orders \
             the reads force (cf) form a cycle"
                .into(),
            &cycle,
        ));
    }
}
