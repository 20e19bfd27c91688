//! Session guarantees (Terry et al., 1994), judged on what clients saw.
//!
//! With unique values, a read of key x that returns write `w_r` (or the
//! initial value) *misses* a write `w` to x when it returns the initial value,
//! or when `w_r` is causally before `w` (so `w` overwrote it). Each guarantee
//! names writes a read of x must not miss:
//! - read-your-writes: the session's own earlier writes to x;
//! - monotonic reads: writes to x the session's earlier reads returned;
//! - monotonic writes: writes to x that another session made before a write
//!   this session has observed (read, earlier or now);
//! - writes-follow-reads: writes to x that another session had read before
//!   making a write this session has observed.
//!
//! These are the direct (one-hop) guarantees; their transitive closure is
//! causal consistency, so every violation here is also a CC violation
//! (WriteCORead or WriteCOInitRead) — they say which promise broke.

use super::clocks::Clocks;
use super::ops::{CausalHistory, OpId, OpKind, ReadSource};
use super::report::{OpRef, Role};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Guarantee {
    ReadYourWrites,
    MonotonicReads,
    MonotonicWrites,
    WritesFollowReads,
}

impl Guarantee {
    pub const ALL: [Guarantee; 4] = [
        Guarantee::ReadYourWrites,
        Guarantee::MonotonicReads,
        Guarantee::MonotonicWrites,
        Guarantee::WritesFollowReads,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Guarantee::ReadYourWrites => "read-your-writes",
            Guarantee::MonotonicReads => "monotonic-reads",
            Guarantee::MonotonicWrites => "monotonic-writes",
            Guarantee::WritesFollowReads => "writes-follow-reads",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionViolation {
    pub guarantee: Guarantee,
    pub ops: Vec<Role>,
    pub explanation: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GuaranteeVerdict {
    pub guarantee: Guarantee,
    pub holds: bool,
    pub violations: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionReport {
    /// `None` when the causal order is cyclic (no notion of overwrite).
    pub verdicts: Option<Vec<GuaranteeVerdict>>,
    /// At most [`super::report::MAX_REPORTED_PER_PATTERN`] per guarantee.
    pub violations: Vec<SessionViolation>,
}

impl SessionReport {
    pub fn holds(&self, g: Guarantee) -> Option<bool> {
        self.verdicts.as_ref()?.iter().find(|v| v.guarantee == g).map(|v| v.holds)
    }
}

/// A required write, and the operation through which the session learned of it.
#[derive(Clone, Copy)]
struct Required {
    write: OpId,
    cause: OpId,
}

/// Per key, the causally maximal required writes (missing an earlier one
/// implies missing a later one, so only maxima need testing).
#[derive(Default)]
struct RequiredSet {
    by_key: BTreeMap<u32, Vec<Required>>,
}

impl RequiredSet {
    fn insert(&mut self, h: &CausalHistory, co: &Clocks, req: Required) {
        let key = h.ops[req.write].key;
        let list = self.by_key.entry(key).or_default();
        if list.iter().any(|a| a.write == req.write || co.before(h, req.write, a.write)) {
            return;
        }
        list.retain(|a| !co.before(h, a.write, req.write));
        list.push(req);
    }
    /// The first required write the read misses.
    fn missed_by(&self, h: &CausalHistory, co: &Clocks, r: OpId) -> Option<Required> {
        let list = self.by_key.get(&h.ops[r].key)?;
        match h.ops[r].source {
            ReadSource::Initial => list.first().copied(),
            ReadSource::Write(w) => list.iter().copied().find(|a| a.write != w && co.before(h, w, a.write)),
            ReadSource::ThinAir => None,
        }
    }
}

pub fn check_sessions(h: &CausalHistory, co: Option<&Clocks>) -> SessionReport {
    let Some(co) = co else {
        return SessionReport { verdicts: None, violations: Vec::new() };
    };
    let mut counts: BTreeMap<Guarantee, usize> = Guarantee::ALL.iter().map(|&g| (g, 0)).collect();
    let mut violations = Vec::new();
    for (s, chain) in h.chains.iter().enumerate().filter(|(_, c)| c.is_session) {
        let mut required: BTreeMap<Guarantee, RequiredSet> =
            Guarantee::ALL.iter().map(|&g| (g, RequiredSet::default())).collect();
        // How far into each other chain this session has taken in the
        // writes (monotonic writes) and reads (writes-follow-reads) before
        // an observed write.
        let mut scanned = vec![0u32; h.chains.len()];
        for &o in &chain.ops {
            let op = &h.ops[o];
            if op.kind == OpKind::Read {
                for g in Guarantee::ALL {
                    if let Some(miss) = required[&g].missed_by(h, co, o) {
                        let n = counts.get_mut(&g).expect("all guarantees counted");
                        *n += 1;
                        if *n <= super::report::MAX_REPORTED_PER_PATTERN {
                            violations.push(session_violation(h, g, miss, o));
                        }
                    }
                }
            }
            // What this operation teaches the session.
            match (op.kind, op.source) {
                (OpKind::Write, _) => required.get_mut(&Guarantee::ReadYourWrites).expect("present").insert(
                    h,
                    co,
                    Required { write: o, cause: o },
                ),
                (OpKind::Read, ReadSource::Write(w)) => {
                    required.get_mut(&Guarantee::MonotonicReads).expect("present").insert(
                        h,
                        co,
                        Required { write: w, cause: o },
                    );
                    // The write's own session history, up to the write.
                    let (c, limit) = match h.ops[w].fork_from {
                        _ if h.ops[w].chain as usize != s && h.chains[h.ops[w].chain as usize].is_session => {
                            (h.ops[w].chain as usize, h.ops[w].pos)
                        }
                        Some(p) if h.ops[p].chain as usize != s => (h.ops[p].chain as usize, h.ops[p].pos + 1),
                        _ => continue,
                    };
                    let start = scanned[c];
                    if limit > start {
                        scanned[c] = limit;
                        for &earlier in &h.chains[c].ops[start as usize..limit as usize] {
                            match h.ops[earlier].kind {
                                OpKind::Write => required
                                    .get_mut(&Guarantee::MonotonicWrites)
                                    .expect("present")
                                    .insert(h, co, Required { write: earlier, cause: w }),
                                OpKind::Read => {
                                    if let Some(read_write) = h.writer(earlier) {
                                        required.get_mut(&Guarantee::WritesFollowReads).expect("present").insert(
                                            h,
                                            co,
                                            Required { write: read_write, cause: w },
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    SessionReport {
        verdicts: Some(
            counts.iter().map(|(&g, &n)| GuaranteeVerdict { guarantee: g, holds: n == 0, violations: n }).collect(),
        ),
        violations,
    }
}

fn session_violation(h: &CausalHistory, g: Guarantee, miss: Required, r: OpId) -> SessionViolation {
    let mut ops = vec![Role { role: "required write".into(), op: OpRef::of(h, miss.write) }];
    let explanation = match g {
        Guarantee::ReadYourWrites => "a read misses the session's own earlier write".to_string(),
        Guarantee::MonotonicReads => {
            ops.push(Role { role: "earlier read".into(), op: OpRef::of(h, miss.cause) });
            "a read misses a write an earlier read of the session returned".to_string()
        }
        Guarantee::MonotonicWrites => {
            ops.push(Role { role: "later write observed".into(), op: OpRef::of(h, miss.cause) });
            "the session observed a write but misses an earlier write of the same writer".to_string()
        }
        Guarantee::WritesFollowReads => {
            ops.push(Role { role: "write observed".into(), op: OpRef::of(h, miss.cause) });
            "the session observed a write but misses a write its writer had read before".to_string()
        }
    };
    if let Some(w) = h.writer(r) {
        ops.push(Role { role: "write returned".into(), op: OpRef::of(h, w) });
    }
    ops.push(Role { role: "read".into(), op: OpRef::of(h, r) });
    SessionViolation { guarantee: g, ops, explanation }
}
