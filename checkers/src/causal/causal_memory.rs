//! WriteHBInitRead and CyclicHB, the patterns only causal memory forbids.
//!
//! `HB_o` is the causal order restricted to `o`'s causal past (and `o`),
//! closed under: a read `r2` of `w2` in `o`'s session with another write `w1`
//! to the key `HB_o`-before `r2` forces `w1 HB_o w2`. `HB_o` only grows along
//! the session, so one saturation per session, at its last operation, decides
//! both patterns. Saturation works on vector clocks too: add the derived
//! write-write edges (per read, only the latest write of each chain before
//! it), recompute the clocks, repeat until nothing new — a cycle on the way is
//! CyclicHB.

use super::cc_patterns::cycle_violation;
use super::clocks::{self, BaseGraph, Clocks, EdgeKind, ExtraEdges};
use super::ops::{CausalHistory, OpKind, ReadSource};
use super::report::{Findings, Pattern};
use super::write_index::WriteIndex;

pub fn causal_memory_patterns(
    h: &CausalHistory,
    base: &BaseGraph,
    index: &WriteIndex,
    co: &Clocks,
    findings: &mut Findings,
) {
    let mut hb = Clocks::default();
    for chain in h.chains.iter().filter(|c| c.is_session) {
        let Some(&last) = chain.ops.last() else { continue };
        let session_reads: Vec<usize> = chain.ops.iter().copied().filter(|&o| h.ops[o].kind == OpKind::Read).collect();
        if session_reads.is_empty() {
            continue;
        }
        let domain: Vec<u32> = co.row(last).to_vec();
        let mut derived = ExtraEdges::new(h.ops.len());
        let saturated = loop {
            if let Err(cycle) = clocks::compute(h, base, Some(&derived), Some(&domain), &mut hb) {
                let mut v = cycle_violation(
                    h,
                    Pattern::CyclicHB,
                    format!(
                        "process {}'s view cannot be serialised: its causal past plus the write orders its own \
                         reads force (hb) form a cycle",
                        chain.process
                    ),
                    &cycle,
                );
                v.session = Some(chain.process);
                findings.add(v);
                break false;
            }
            let mut added = false;
            for &r2 in &session_reads {
                let Some(w2) = h.writer(r2) else { continue };
                for l in index.key(h.ops[r2].key) {
                    if let Some(w1) = l.last_before(hb.seen(r2, l.chain)) {
                        if w1 != w2 && !hb.before(h, w1, w2) {
                            derived.add(w1, w2, EdgeKind::Hb);
                            added = true;
                        }
                    }
                }
            }
            if !added {
                break true;
            }
        };
        if !saturated {
            continue;
        }
        for &r in &session_reads {
            if h.ops[r].source != ReadSource::Initial {
                continue;
            }
            let found = index.key(h.ops[r].key).iter().find_map(|l| l.first_before(hb.seen(r, l.chain)));
            if let Some(w) = found {
                let mut v = super::report::Violation::new(
                    Pattern::WriteHBInitRead,
                    format!(
                        "in process {}'s view a write to the key happens before a read of the initial value",
                        chain.process
                    ),
                )
                .with(h, "write", w)
                .with(h, "read", r);
                v.session = Some(chain.process);
                findings.add(v);
                break; // one per session is enough to explain it
            }
        }
    }
}
