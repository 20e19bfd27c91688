//! The bad patterns every level forbids: ThinAirRead, CyclicCO (found while
//! building the clocks, see `clocks.rs`), WriteCOInitRead and WriteCORead.
//! One pass over the reads, O(k log n) per read with k chains writing its key.

use super::clocks::{Clocks, Cycle};
use super::ops::{CausalHistory, OpKind, ReadSource};
use super::report::{Findings, Pattern, Violation};
use super::write_index::WriteIndex;

pub fn thin_air_reads(h: &CausalHistory, findings: &mut Findings) {
    for (r, op) in h.ops.iter().enumerate() {
        if op.kind != OpKind::Read || op.source != ReadSource::ThinAir {
            continue;
        }
        let why = match h.failed_writes.get(&(op.key, op.value.clone())) {
            Some(e) => format!("the value was only written by a write that failed (event {e}), so it never existed"),
            None => "no write wrote this value".to_string(),
        };
        findings.add(
            Violation::new(Pattern::ThinAirRead, format!("a read returns a value out of thin air: {why}"))
                .with(h, "read", r),
        );
    }
}

pub fn cyclic_co(h: &CausalHistory, cycle: &Cycle, findings: &mut Findings) {
    findings.add(cycle_violation(
        h,
        Pattern::CyclicCO,
        "session order and read-from form a cycle: some read returns a value written causally after it".into(),
        cycle,
    ));
}

/// A violation listing a cycle, each operation labelled with its edge to the next.
pub fn cycle_violation(h: &CausalHistory, pattern: Pattern, explanation: String, cycle: &Cycle) -> Violation {
    let mut v = Violation::new(pattern, explanation);
    for &(o, edge) in cycle {
        v = v.with(h, &format!("{} → next", edge.label()), o);
    }
    v
}

/// WriteCOInitRead and WriteCORead, for every read.
pub fn stale_reads(h: &CausalHistory, index: &WriteIndex, co: &Clocks, findings: &mut Findings) {
    for (r, op) in h.ops.iter().enumerate() {
        if op.kind != OpKind::Read {
            continue;
        }
        match op.source {
            ReadSource::ThinAir => {}
            ReadSource::Initial => {
                // Any write to the key in the causal past: the first one of a
                // chain is in it iff some of that chain's writes are.
                let found = index.key(op.key).iter().find_map(|l| l.first_before(co.seen(r, l.chain)));
                if let Some(w) = found {
                    findings.add(
                        Violation::new(
                            Pattern::WriteCOInitRead,
                            "a read returns the initial value although a write to its key is in its causal past".into(),
                        )
                        .with(h, "write", w)
                        .with(h, "read", r),
                    );
                }
            }
            ReadSource::Write(w1) => {
                // An overwrite w1 CO w2 CO r: the latest write of each chain
                // in r's past is the only candidate worth testing.
                let found = index.key(op.key).iter().find_map(|l| {
                    let w2 = l.last_before(co.seen(r, l.chain))?;
                    (w2 != w1 && co.before(h, w1, w2)).then_some(w2)
                });
                if let Some(w2) = found {
                    if findings.wants(Pattern::WriteCORead) {
                        findings.add(
                            Violation::new(
                                Pattern::WriteCORead,
                                "a read returns a value that was overwritten in its causal past".into(),
                            )
                            .with(h, "write read", w1)
                            .with(h, "overwriting write", w2)
                            .with(h, "read", r),
                        );
                    } else {
                        findings.count_only(Pattern::WriteCORead);
                    }
                }
            }
        }
    }
}
