//! What the caller controls: the meaning of `fail`, and the budget.

use std::time::Instant;

/// What a `fail` completion means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FailMeaning {
    /// The operation definitely did not happen: it is dropped (faultline's
    /// JSON, Jepsen/Knossos EDN).
    #[default]
    Dropped,
    /// The operation ran and its failure is an observed result the model
    /// must explain (Porcupine's etcd log: `:fail :cas` saw another value).
    Observed,
}

/// Knobs for one check. The budget turns an intractable search into an
/// `unknown` verdict instead of a hang or an out-of-memory kill.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub fail: FailMeaning,
    /// Give up (verdict unknown) once this instant has passed.
    pub deadline: Option<Instant>,
    /// Give up after this many search steps in total (deterministic,
    /// unlike a deadline: the same history gives the same verdict).
    pub max_steps: Option<u64>,
    /// Upper bound on the memory of one partition's search (memo, state
    /// table, transition cache), in bytes.
    pub max_memory_bytes: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions { fail: FailMeaning::Dropped, deadline: None, max_steps: None, max_memory_bytes: 1 << 30 }
    }
}

impl CheckOptions {
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }
    pub fn with_fail(mut self, fail: FailMeaning) -> Self {
        self.fail = fail;
        self
    }
    pub fn with_max_steps(mut self, steps: u64) -> Self {
        self.max_steps = Some(steps);
        self
    }
    pub fn with_max_memory(mut self, bytes: usize) -> Self {
        self.max_memory_bytes = bytes;
        self
    }
}
