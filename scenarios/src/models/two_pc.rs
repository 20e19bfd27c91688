//! Two-phase commit as an abstract specification: the TLA+ `TwoPhase` spec
//! (Gray & Lamport, "Consensus on Transaction Commit", 2006), exactly as
//! `../shared/reference/models.md` §2b defines it, so the state counts can
//! be compared with TLC and stateright (288 states for 3 resource managers).
//!
//! State: each resource manager (RM) is working, prepared, committed or
//! aborted; the transaction manager (TM) is init, committed or aborted and
//! remembers which RMs it heard "prepared" from; messages (`Prepared(rm)`,
//! `Commit`, `Abort`) are a set and never removed.
//!
//! Actions, in this order: `TmCommit` (TM init and every RM prepared),
//! `TmAbort` (TM init), then per RM: `TmRcvPrepared`, `RmPrepare`,
//! `RmChooseToAbort`, `RmRcvCommitMsg`, `RmRcvAbortMsg`.
//!
//! Properties: sometimes "abort agreement" (all aborted), sometimes "commit
//! agreement" (all committed), always "consistent" (no RM aborted while
//! another committed). RMs are interchangeable: the symmetry reduction sorts
//! them.
//!
//! The state is packed into one 64-bit word (2 bits per RM state, one bit per
//! RM for "TM has its Prepared" and for "Prepared(rm) sent"), so it hashes
//! in one step; at most [`MAX_RMS`] RMs.

use sim_core::explore::{Model, Property};
use std::hash::{Hash, Hasher};

pub const MAX_RMS: usize = 14;

const WORKING: u64 = 0;
const PREPARED: u64 = 1;
const COMMITTED: u64 = 2;
const ABORTED: u64 = 3;

const TM_INIT: u64 = 0;
const TM_COMMITTED: u64 = 1;
const TM_ABORTED: u64 = 2;

/// The model: `rms` resource managers.
#[derive(Clone, Debug)]
pub struct TwoPhaseSys {
    pub rms: usize,
}

/// Bits: rm states at 0..28 (2 each), tm_prepared at 28..42, Prepared msgs at
/// 42..56, tm state at 56..58, Commit msg at 58, Abort msg at 59.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TwoPhaseState(u64);

impl Hash for TwoPhaseState {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u64(self.0);
    }
}

impl TwoPhaseState {
    pub fn rm(self, i: usize) -> u64 {
        (self.0 >> (2 * i)) & 3
    }
    fn set_rm(&mut self, i: usize, v: u64) {
        self.0 = (self.0 & !(3 << (2 * i))) | (v << (2 * i));
    }
    pub fn tm_prepared(self, i: usize) -> bool {
        self.0 >> (28 + i) & 1 == 1
    }
    pub fn msg_prepared(self, i: usize) -> bool {
        self.0 >> (42 + i) & 1 == 1
    }
    pub fn tm(self) -> u64 {
        (self.0 >> 56) & 3
    }
    fn set_tm(&mut self, v: u64) {
        self.0 = (self.0 & !(3 << 56)) | (v << 56);
    }
    pub fn msg_commit(self) -> bool {
        self.0 >> 58 & 1 == 1
    }
    pub fn msg_abort(self) -> bool {
        self.0 >> 59 & 1 == 1
    }
}

impl std::fmt::Debug for TwoPhaseState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = ["working", "prepared", "committed", "aborted"];
        let rms: Vec<&str> = (0..MAX_RMS).map(|i| names[self.rm(i) as usize]).collect();
        write!(f, "tm={} rms={:?} tm_prepared=", ["init", "committed", "aborted", "?"][self.tm() as usize], rms)?;
        write!(f, "{:#x} msgs(prepared={:#x}", (self.0 >> 28) & 0x3fff, (self.0 >> 42) & 0x3fff)?;
        write!(
            f,
            "{}{})",
            if self.msg_commit() { ", commit" } else { "" },
            if self.msg_abort() { ", abort" } else { "" }
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TwoPhaseAction {
    TmCommit,
    TmAbort,
    TmRcvPrepared(u8),
    RmPrepare(u8),
    RmChooseToAbort(u8),
    RmRcvCommitMsg(u8),
    RmRcvAbortMsg(u8),
}

impl TwoPhaseSys {
    pub fn new(rms: usize) -> Result<Self, String> {
        if rms == 0 || rms > MAX_RMS {
            return Err(format!("rms: must be between 1 and {MAX_RMS}, got {rms}"));
        }
        Ok(TwoPhaseSys { rms })
    }

    fn all_rms(&self, state: &TwoPhaseState, v: u64) -> bool {
        (0..self.rms).all(|i| state.rm(i) == v)
    }
}

impl Model for TwoPhaseSys {
    type State = TwoPhaseState;
    type Action = TwoPhaseAction;

    fn init_states(&self) -> Vec<TwoPhaseState> {
        vec![TwoPhaseState(0)]
    }

    fn actions(&self, s: &TwoPhaseState, actions: &mut Vec<TwoPhaseAction>) {
        let tm_init = s.tm() == TM_INIT;
        if tm_init && (0..self.rms).all(|i| s.tm_prepared(i)) {
            actions.push(TwoPhaseAction::TmCommit);
        }
        if tm_init {
            actions.push(TwoPhaseAction::TmAbort);
        }
        for i in 0..self.rms {
            let r = i as u8;
            if tm_init && s.msg_prepared(i) {
                actions.push(TwoPhaseAction::TmRcvPrepared(r));
            }
            if s.rm(i) == WORKING {
                actions.push(TwoPhaseAction::RmPrepare(r));
                actions.push(TwoPhaseAction::RmChooseToAbort(r));
            }
            if s.msg_commit() {
                actions.push(TwoPhaseAction::RmRcvCommitMsg(r));
            }
            if s.msg_abort() {
                actions.push(TwoPhaseAction::RmRcvAbortMsg(r));
            }
        }
    }

    fn next_state(&self, s: &TwoPhaseState, action: TwoPhaseAction) -> Option<TwoPhaseState> {
        let mut t = *s;
        match action {
            TwoPhaseAction::TmCommit => {
                t.set_tm(TM_COMMITTED);
                t.0 |= 1 << 58;
            }
            TwoPhaseAction::TmAbort => {
                t.set_tm(TM_ABORTED);
                t.0 |= 1 << 59;
            }
            TwoPhaseAction::TmRcvPrepared(r) => t.0 |= 1 << (28 + r as u64),
            TwoPhaseAction::RmPrepare(r) => {
                t.set_rm(r as usize, PREPARED);
                t.0 |= 1 << (42 + r as u64);
            }
            TwoPhaseAction::RmChooseToAbort(r) => t.set_rm(r as usize, ABORTED),
            TwoPhaseAction::RmRcvCommitMsg(r) => t.set_rm(r as usize, COMMITTED),
            TwoPhaseAction::RmRcvAbortMsg(r) => t.set_rm(r as usize, ABORTED),
        }
        Some(t)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::sometimes("abort agreement", |m: &Self, s: &TwoPhaseState| m.all_rms(s, ABORTED)),
            Property::sometimes("commit agreement", |m: &Self, s: &TwoPhaseState| m.all_rms(s, COMMITTED)),
            Property::always("consistent", |m: &Self, s: &TwoPhaseState| {
                !((0..m.rms).any(|i| s.rm(i) == ABORTED) && (0..m.rms).any(|i| s.rm(i) == COMMITTED))
            }),
        ]
    }

    /// RMs are interchangeable: sort their (state, tm_prepared, Prepared sent) triples.
    fn canonical(&self, s: &TwoPhaseState) -> Option<TwoPhaseState> {
        let mut rms: Vec<(u64, bool, bool)> =
            (0..self.rms).map(|i| (s.rm(i), s.tm_prepared(i), s.msg_prepared(i))).collect();
        rms.sort_unstable();
        let mut t = TwoPhaseState(s.0 & (0xf << 56));
        for (i, (rm, tp, mp)) in rms.into_iter().enumerate() {
            t.set_rm(i, rm);
            t.0 |= (tp as u64) << (28 + i) | (mp as u64) << (42 + i);
        }
        Some(t)
    }

    fn format_state(&self, s: &TwoPhaseState) -> String {
        let names = ["working", "prepared", "committed", "aborted"];
        let rms: Vec<&str> = (0..self.rms).map(|i| names[s.rm(i) as usize]).collect();
        format!("tm={} rms={:?}", ["init", "committed", "aborted", "?"][s.tm() as usize], rms)
    }
}

/// A deliberately broken variant for tests and lessons: an RM may commit on
/// its own once it is prepared (no Commit message needed), so "consistent"
/// fails; the shortest counterexample has 4 steps for 2 RMs
/// (RmPrepare(0), RmCommitAlone(0), RmChooseToAbort(1)... see tests).
#[derive(Clone, Debug)]
pub struct BuggyTwoPhaseSys {
    pub inner: TwoPhaseSys,
}

impl Model for BuggyTwoPhaseSys {
    type State = TwoPhaseState;
    type Action = Option<TwoPhaseAction>;

    fn init_states(&self) -> Vec<TwoPhaseState> {
        self.inner.init_states()
    }

    /// `None` stands for "RM 0 commits alone once prepared".
    fn actions(&self, s: &TwoPhaseState, actions: &mut Vec<Option<TwoPhaseAction>>) {
        let mut inner = Vec::new();
        self.inner.actions(s, &mut inner);
        actions.extend(inner.into_iter().map(Some));
        if s.rm(0) == PREPARED {
            actions.push(None);
        }
    }

    fn next_state(&self, s: &TwoPhaseState, action: Option<TwoPhaseAction>) -> Option<TwoPhaseState> {
        match action {
            Some(a) => self.inner.next_state(s, a),
            None => {
                let mut t = *s;
                t.set_rm(0, COMMITTED);
                Some(t)
            }
        }
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("consistent", |m: &Self, s: &TwoPhaseState| {
            let n = m.inner.rms;
            !((0..n).any(|i| s.rm(i) == ABORTED) && (0..n).any(|i| s.rm(i) == COMMITTED))
        })]
    }

    fn format_state(&self, s: &TwoPhaseState) -> String {
        self.inner.format_state(s)
    }

    fn format_action(&self, a: &Option<TwoPhaseAction>) -> String {
        match a {
            Some(a) => format!("{a:?}"),
            None => "RmCommitAlone(0)".to_string(),
        }
    }
}
