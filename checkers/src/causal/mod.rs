//! Causal consistency of read/write (key-value) histories with unique written
//! values: the levels CC, CM and CCv of Bouajjani, Enea, Guerraoui and Hamza,
//! "On verifying causal consistency" (POPL 2017), decided by their bad
//! patterns in polynomial time; session guarantees; eventual convergence.
//!
//! Definitions: `shared/reference/causal.md`. Layout:
//! - `ops`: history → operations, sessions and read-from (what is judged and
//!   how `fail`/`info` operations are treated);
//! - `clocks`: the causal order as vector clocks, and cycles;
//! - `write_index`: writes by key and chain, for the pattern scans;
//! - `cc_patterns`, `ccv`, `causal_memory`: the bad patterns per level;
//! - `sessions`, `convergence`: the weaker guarantees;
//! - `report`: verdicts and violations.

pub mod causal_memory;
pub mod cc_patterns;
pub mod ccv;
pub mod clocks;
pub mod convergence;
pub mod ops;
pub mod report;
pub mod sessions;
pub mod synthetic;
pub mod write_index;

pub use convergence::{check_convergence, ConvergenceReport, Divergence};
pub use ops::CausalHistory;
pub use report::{CausalInputError, CausalReport, Level, LevelVerdict, OpRef, Pattern, Role, Stats, Violation};
pub use sessions::{Guarantee, SessionReport};

use crate::history::History;
use clocks::{BaseGraph, Clocks};
use report::Findings;

/// What to judge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOptions {
    /// Levels to decide (CC patterns are always looked for: every level needs them).
    pub levels: Vec<Level>,
    /// Also judge the session guarantees.
    pub sessions: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions { levels: Level::ALL.to_vec(), sessions: false }
    }
}

impl CheckOptions {
    pub fn level(level: Level) -> CheckOptions {
        CheckOptions { levels: vec![level], sessions: false }
    }
}

/// Parses the operations out of `history` and judges them.
pub fn check_history(history: &History, options: &CheckOptions) -> Result<CausalReport, CausalInputError> {
    let h = CausalHistory::from_history(history)?;
    Ok(check(&h, options))
}

/// Judges a prepared causal history.
pub fn check(h: &CausalHistory, options: &CheckOptions) -> CausalReport {
    let mut findings = Findings::default();
    cc_patterns::thin_air_reads(h, &mut findings);
    let base = BaseGraph::new(h);
    let mut co = Clocks::default();
    let acyclic = match clocks::compute(h, &base, None, None, &mut co) {
        Ok(()) => true,
        Err(cycle) => {
            cc_patterns::cyclic_co(h, &cycle, &mut findings);
            false
        }
    };
    // Without an acyclic causal order the other patterns are meaningless,
    // and every level is violated already.
    if acyclic {
        let index = write_index::WriteIndex::new(h);
        cc_patterns::stale_reads(h, &index, &co, &mut findings);
        if options.levels.contains(&Level::CCv) {
            ccv::cyclic_cf(h, &base, &index, &co, &mut findings);
        }
        if options.levels.contains(&Level::CM) {
            causal_memory::causal_memory_patterns(h, &base, &index, &co, &mut findings);
        }
    }
    let mut levels: Vec<Level> = options.levels.clone();
    levels.sort();
    levels.dedup();
    let verdicts = levels
        .iter()
        .map(|&level| LevelVerdict { level, holds: !findings.counts.keys().any(|p| p.violates().contains(&level)) })
        .collect();
    let mut violations = findings.violations;
    violations.sort_by_key(|v| v.pattern); // stable: detection order within a pattern
    let sessions = options.sessions.then(|| sessions::check_sessions(h, acyclic.then_some(&co)));
    CausalReport { levels: verdicts, violations, counts: findings.counts, sessions, stats: stats(h) }
}

fn stats(h: &CausalHistory) -> Stats {
    let writes = h.ops.iter().filter(|o| o.kind == ops::OpKind::Write).count();
    Stats {
        operations: h.ops.len(),
        writes,
        reads: h.ops.len() - writes,
        sessions: h.chains.iter().filter(|c| c.is_session).count(),
        ignored: h.ignored,
    }
}
