//! What the causal checker answers: verdicts per level, and the bad patterns
//! found, each naming the operations (process, event index) that form it.

use super::ops::{CausalHistory, OpId};
use serde::Serialize;
use std::fmt;

/// The three levels of Bouajjani et al. (POPL 2017).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Level {
    /// Causal consistency (weak causal consistency).
    CC,
    /// Causal memory.
    CM,
    /// Causal convergence.
    CCv,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::CC, Level::CM, Level::CCv];
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Level::CC => "CC",
            Level::CM => "CM",
            Level::CCv => "CCv",
        };
        write!(f, "{s}")
    }
}

/// The bad patterns of the paper's Table 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Pattern {
    CyclicCO,
    ThinAirRead,
    WriteCOInitRead,
    WriteCORead,
    CyclicCF,
    WriteHBInitRead,
    CyclicHB,
}

impl Pattern {
    /// The levels a pattern rules out.
    pub fn violates(self) -> &'static [Level] {
        match self {
            Pattern::CyclicCO | Pattern::ThinAirRead | Pattern::WriteCOInitRead | Pattern::WriteCORead => &Level::ALL,
            Pattern::CyclicCF => &[Level::CCv],
            Pattern::WriteHBInitRead | Pattern::CyclicHB => &[Level::CM],
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// An operation as reported: enough to find it in the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpRef {
    pub process: u64,
    /// 0-based index of the operation's invoke event in the history.
    pub event: usize,
    /// "write" or "read".
    pub kind: String,
    pub key: String,
    /// The value written or read (`nil` = initial value).
    pub value: String,
    /// True for a write whose outcome was unknown (`info`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub uncertain: bool,
}

impl OpRef {
    pub fn of(h: &CausalHistory, o: OpId) -> OpRef {
        let op = &h.ops[o];
        OpRef {
            process: op.process,
            event: op.event,
            kind: match op.kind {
                super::ops::OpKind::Write => "write".into(),
                super::ops::OpKind::Read => "read".into(),
            },
            key: h.key_name(op.key),
            value: op.value.to_string(),
            uncertain: op.outcome != crate::history::EventType::Ok,
        }
    }
}

impl fmt::Display for OpRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({}, {}){} by process {} at event {}",
            self.kind,
            self.key,
            self.value,
            if self.uncertain { " [info]" } else { "" },
            self.process,
            self.event
        )
    }
}

/// One operation of a pattern, with the part it plays (e.g. "overwriting
/// write"; in a cycle, the edge to the next operation: "po", "rf", "cf", "hb").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Role {
    pub role: String,
    pub op: OpRef,
}

/// One instance of a bad pattern.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub pattern: Pattern,
    pub ops: Vec<Role>,
    pub explanation: String,
    /// For CM patterns: the session whose view (HB_o, o its last operation) shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<u64>,
}

impl Violation {
    pub fn new(pattern: Pattern, explanation: String) -> Violation {
        Violation { pattern, ops: Vec::new(), explanation, session: None }
    }
    pub fn with(mut self, h: &CausalHistory, role: &str, o: OpId) -> Violation {
        self.ops.push(Role { role: role.to_string(), op: OpRef::of(h, o) });
        self
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {}", self.pattern, self.explanation)?;
        for r in &self.ops {
            writeln!(f, "    {:<22} {}", r.role, r.op)?;
        }
        Ok(())
    }
}

/// How many instances of each pattern are kept in a report; all are counted.
pub const MAX_REPORTED_PER_PATTERN: usize = 10;

/// Violations found, capped per pattern, with full counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Findings {
    pub violations: Vec<Violation>,
    pub counts: std::collections::BTreeMap<Pattern, usize>,
}

impl Findings {
    pub fn add(&mut self, v: Violation) {
        let count = self.counts.entry(v.pattern).or_insert(0);
        *count += 1;
        if *count <= MAX_REPORTED_PER_PATTERN {
            self.violations.push(v);
        }
    }
    pub fn has(&self, p: Pattern) -> bool {
        self.counts.get(&p).copied().unwrap_or(0) > 0
    }
    /// Whether an instance of `p` would still be kept (saves building it).
    pub fn wants(&self, p: Pattern) -> bool {
        self.counts.get(&p).copied().unwrap_or(0) < MAX_REPORTED_PER_PATTERN
    }
    pub fn count_only(&mut self, p: Pattern) {
        *self.counts.entry(p).or_insert(0) += 1;
    }
}

/// The verdict for one level: `Some(true)` holds, `Some(false)` violated,
/// `None` not checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LevelVerdict {
    pub level: Level,
    pub holds: bool,
}

/// Everything the causal checker says about one history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CausalReport {
    /// Verdicts for the levels asked for, in the order CC, CM, CCv.
    pub levels: Vec<LevelVerdict>,
    pub violations: Vec<Violation>,
    /// Instances found per pattern (the list above keeps at most
    /// [`MAX_REPORTED_PER_PATTERN`] per pattern).
    pub counts: std::collections::BTreeMap<Pattern, usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sessions: Option<super::sessions::SessionReport>,
    pub stats: Stats,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub operations: usize,
    pub writes: usize,
    pub reads: usize,
    pub sessions: usize,
    /// Operations left out: fail writes, unread info writes, reads not ok.
    pub ignored: usize,
}

impl CausalReport {
    pub fn holds(&self, level: Level) -> Option<bool> {
        self.levels.iter().find(|v| v.level == level).map(|v| v.holds)
    }
    /// True when every level asked for holds.
    pub fn all_hold(&self) -> bool {
        self.levels.iter().all(|v| v.holds)
    }
}

/// A history the causal checker refuses to judge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CausalInputError {
    /// 0-based index of the offending event.
    pub event: usize,
    /// Another event involved (e.g. the first write of a duplicated value).
    pub other_event: Option<usize>,
    pub message: String,
}

impl CausalInputError {
    pub fn at(event: usize, message: String) -> CausalInputError {
        CausalInputError { event, other_event: None, message }
    }
}

impl fmt::Display for CausalInputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.other_event {
            Some(other) => write!(f, "events {} and {}: {}", other, self.event, self.message),
            None => write!(f, "event {}: {}", self.event, self.message),
        }
    }
}

impl std::error::Error for CausalInputError {}
