//! What a check returns.

use crate::history::Operation;
use std::fmt;

/// The verdict on a whole history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Linearizable,
    NotLinearizable(Failure),
    /// The budget ran out before the search finished.
    Unknown(Unknown),
}

/// Why a history is not linearizable: the first (smallest) failing
/// partition, with what the search got furthest with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The key of the failing partition (`None` for an unkeyed history).
    pub key: Option<String>,
    /// Number of operations in that partition.
    pub partition_ops: usize,
    /// Operations that could not be placed after the longest prefix: those
    /// eligible next (invoked before the earliest pending return) that the
    /// model rejects there, or, if every eligible one led to a dead end, the
    /// operation whose return came first.
    pub unplaceable: Vec<Operation>,
    /// The longest linearizable prefix the search found, in order.
    pub prefix: Vec<Operation>,
}

/// Which budget ran out, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown {
    pub reason: UnknownReason,
    /// The partition being searched when it ran out.
    pub key: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownReason {
    Deadline,
    StepLimit,
    MemoryLimit,
}

impl fmt::Display for UnknownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnknownReason::Deadline => "time budget exhausted",
            UnknownReason::StepLimit => "step budget exhausted",
            UnknownReason::MemoryLimit => "memory budget exhausted",
        })
    }
}

/// The verdict plus counts for the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinReport {
    pub verdict: Verdict,
    pub model: String,
    /// Operations judged (after dropping `fail`ed ones where they mean
    /// "did not happen").
    pub operations: usize,
    pub partitions: usize,
    /// Partitions whose search ran (it stops at the first failure).
    pub partitions_checked: usize,
    /// Search steps taken in total.
    pub steps: u64,
}

impl LinReport {
    pub fn is_linearizable(&self) -> bool {
        matches!(self.verdict, Verdict::Linearizable)
    }
    /// `Some(false)` for a violation, `None` for unknown.
    pub fn linearizable(&self) -> Option<bool> {
        match self.verdict {
            Verdict::Linearizable => Some(true),
            Verdict::NotLinearizable(_) => Some(false),
            Verdict::Unknown(_) => None,
        }
    }
}

/// An operation the model cannot interpret (unknown `f`, wrong value type).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpError {
    /// Index of the operation's invoke event in the history.
    pub event_index: usize,
    pub message: String,
}

impl fmt::Display for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "event {}: {}", self.event_index + 1, self.message)
    }
}

impl std::error::Error for OpError {}
