//! Shrinking: minimise a failing run, in the manner of Hypothesis.
//!
//! A run is a pure function of (scenario, choices), and a tape of choices
//! that runs out yields 0 while too-large values are reduced modulo their
//! bound, so *any* edited tape is a valid run. A recording run keeps its
//! draws both as one flat tape (every stream interleaved in draw order) and
//! per lane (one tape per stream and per network link, `sim_core::tape`).
//! The two suit different edits: an edit to the flat tape re-deals every
//! later draw of every stream, a jump to a quite different run; an edit to
//! one lane moves only that lane's later draws (one link's delays, one
//! node's timers) and keeps the rest of the run. The shrinker:
//!
//! 1. records the failing run's tapes;
//! 2. turns the nemesis's drawn schedule into explicit `scenario.faults` with
//!    the nemesis off, and drops the nemesis's lane (the same run, now with
//!    faults as editable data);
//! 3. phase one (half the run budget), on the flat tape: repeats passes until
//!    none helps: lower the client count and operations per client, drop
//!    faults (halves, quarters, ..., one at a time), move the whole schedule
//!    earlier, delete and zero spans of the tape, try fresh seeds, and once
//!    those are stuck lower single values. The jumps find much shorter runs
//!    early on;
//! 4. phase two, on the lanes: the same scenario passes, then per lane delete
//!    spans, and once stuck raise single values to their largest (kept only
//!    when the run gets shorter: a message or timer pushed past the
//!    violation), zero spans, lower single values (to 0, else by binary
//!    search). Local edits that trim what the jumps left;
//!
//! keeping an edit only when the same violation (same finding kind and name)
//! still occurs and the run got strictly smaller by the order
//! `(events, faults, clients, ops per client, draws, tape sum)`. A run stops
//! at the event that breaks an invariant, so for invariant violations (every
//! Raft and Paxos bug) `events` counts the run up to the violation and
//! nothing after it. The order is well-founded, so shrinking terminates even
//! without the budget, and it is deterministic: the same repro always
//! shrinks to the same file. The result is a per-lane tape repro that
//! replays bit for bit.

use crate::repro::{Repro, ReproError};
use crate::runner::{run, Finding, RunOptions, RunReport, Verdict};
use crate::scenario::Scenario;
use serde::Serialize;
use sim_core::{ChoiceSource, FaultSchedule, Lane, Stream, Tapes, TraceLevel};

/// Limits on shrinking.
#[derive(Clone, Debug)]
pub struct ShrinkOptions {
    /// At most this many runs (each candidate edit is one run).
    pub max_runs: u64,
}

impl Default for ShrinkOptions {
    fn default() -> Self {
        ShrinkOptions { max_runs: 3000 }
    }
}

/// The size of a run, before or after shrinking.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Size {
    pub events: u64,
    pub faults: u64,
    pub clients: u64,
    pub ops_per_client: u64,
    /// Draws on the tape.
    pub draws: u64,
    /// Sum of the tape's values (lower values are simpler choices).
    pub tape_sum: u128,
    /// Operations the clients invoked.
    pub operations: u64,
}

impl Size {
    fn of(scenario: &Scenario, report: &RunReport, tapes: &Tapes) -> Size {
        Size {
            events: report.result.stats.events,
            faults: report.schedule.len() as u64,
            clients: scenario.workload.clients as u64,
            ops_per_client: scenario.workload.ops_per_client,
            draws: tapes.len() as u64,
            tape_sum: tapes.sum(),
            operations: operations(report),
        }
    }

    /// The order shrinking minimises (operations follow from the rest).
    fn key(&self) -> (u64, u64, u64, u64, u64, u128) {
        (self.events, self.faults, self.clients, self.ops_per_client, self.draws, self.tape_sum)
    }
}

fn operations(report: &RunReport) -> u64 {
    report.history.events.iter().filter(|e| e.kind == checkers::EventType::Invoke).count() as u64
}

/// What shrinking produced.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The minimised run, as a tape repro.
    pub repro: Repro,
    pub before: Size,
    pub after: Size,
    /// The violation kept throughout.
    pub kind: String,
    pub name: String,
    /// Runs made (candidate edits tried, plus the checks around them).
    pub runs: u64,
    /// Edits kept.
    pub edits: u64,
    /// The run budget ran out before the passes stopped helping.
    pub budget_exhausted: bool,
    /// The shrunk repro replayed bit for bit (checked at the end).
    pub replays: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShrinkError {
    /// The repro shows no violation: nothing to shrink.
    NoViolation,
    Repro(ReproError),
}

impl std::fmt::Display for ShrinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShrinkError::NoViolation => write!(f, "the run shows no violation, so there is nothing to shrink"),
            ShrinkError::Repro(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ShrinkError {}

/// Shrinks the run a repro file describes (it must replay first).
pub fn shrink_repro(repro: &Repro, options: &ShrinkOptions) -> Result<Shrunk, ShrinkError> {
    // Refuses edited scenarios and foreign formats with the replay's own words.
    let replay = repro.replay(TraceLevel::HashOnly).map_err(ShrinkError::Repro)?;
    if !replay.identical {
        return Err(ShrinkError::Repro(ReproError::CannotReplay(
            replay.explanation.unwrap_or_else(|| "the run did not reproduce".into()),
        )));
    }
    let target = repro.findings.first().or(replay.report.findings.first()).cloned().ok_or(ShrinkError::NoViolation)?;
    shrink_run(&repro.scenario, &repro.choices, &target, options)
}

/// Shrinks a violating run from a campaign or `run`.
pub fn shrink_report(report: &RunReport, options: &ShrinkOptions) -> Result<Shrunk, ShrinkError> {
    let target = report.findings.first().cloned().ok_or(ShrinkError::NoViolation)?;
    shrink_run(&report.scenario, &report.choices, &target, options)
}

struct Shrinker {
    kind: String,
    name: String,
    max_runs: u64,
    runs: u64,
    edits: u64,
    scenario: Scenario,
    tapes: Tapes,
    report: RunReport,
    size: Size,
    /// Phase one: scenario edits run on the flat tape (see [`shrink_run`]).
    flat: bool,
}

/// One run of a candidate: `Some((report, normalised tapes))` when it still
/// shows the target violation.
fn try_source(scenario: &Scenario, source: &ChoiceSource, kind: &str, name: &str) -> Option<(RunReport, Tapes)> {
    scenario.validate().ok()?;
    let report = run(scenario, source, &RunOptions { trace: TraceLevel::HashOnly, record_tape: true }).ok()?;
    if report.verdict != Verdict::Violation || !report.findings.iter().any(|f| f.kind == kind && f.name == name) {
        return None;
    }
    // The recorded tapes are what the run actually drew (values reduced, the
    // unread tails gone, overrun zeros explicit): the same run, normalised.
    let tapes = report.tape.clone().map(|r| r.lanes).unwrap_or_default();
    Some((report, tapes))
}

impl Shrinker {
    fn budget_left(&self) -> bool {
        self.runs < self.max_runs
    }

    /// Tries a candidate; keeps it when the violation persists and the run is smaller.
    fn attempt(&mut self, scenario: Scenario, tapes: Tapes) -> bool {
        self.attempt_source(scenario, ChoiceSource::Tapes(tapes))
    }

    /// The current run's draws: its flat tape in phase one, its lanes after.
    fn current_choices(&self) -> ChoiceSource {
        match (&self.report.tape, self.flat) {
            (Some(recorded), true) => ChoiceSource::Tape(recorded.flat.clone()),
            _ => ChoiceSource::Tapes(self.tapes.clone()),
        }
    }

    /// Tries a changed scenario with the current run's draws.
    fn attempt_scenario(&mut self, scenario: Scenario) -> bool {
        let choices = self.current_choices();
        self.attempt_source(scenario, choices)
    }

    /// Tries a changed scenario with the current tapes and, failing that,
    /// with the choices of a few fixed seeds. A scenario edit early in the
    /// run makes the rest of the tapes mean different things, so the run
    /// diverges anyway; fresh choices give the edit more chances to show the
    /// violation again. Deterministic: the seeds are always 1..=RESAMPLES.
    fn attempt_resampled(&mut self, scenario: Scenario) -> bool {
        const RESAMPLES: u64 = 8;
        if self.attempt_scenario(scenario.clone()) {
            return true;
        }
        (1..=RESAMPLES).any(|seed| self.attempt_source(scenario.clone(), ChoiceSource::Seed(seed)))
    }

    fn attempt_source(&mut self, scenario: Scenario, source: ChoiceSource) -> bool {
        if !self.budget_left() {
            return false;
        }
        self.runs += 1;
        let Some((report, tapes)) = try_source(&scenario, &source, &self.kind, &self.name) else { return false };
        let size = Size::of(&scenario, &report, &tapes);
        if size.key() < self.size.key() {
            self.scenario = scenario;
            self.tapes = tapes;
            self.report = report;
            self.size = size;
            self.edits += 1;
            true
        } else {
            false
        }
    }

    fn with_faults(&self, faults: Vec<sim_core::ScheduledFault>) -> Scenario {
        let mut s = self.scenario.clone();
        s.faults = FaultSchedule::new(faults);
        s
    }

    /// Drops the faults scheduled after the run stopped (at the violation):
    /// they never happened, so the run stays the same. One run.
    fn drop_unreached_faults(&mut self) -> bool {
        let end = self.report.result.stats.sim_time_ns;
        let reached: Vec<_> = self.scenario.faults.faults.iter().filter(|f| f.at_ns <= end).cloned().collect();
        if reached.len() == self.scenario.faults.len() {
            return false;
        }
        let candidate = self.with_faults(reached);
        self.attempt_scenario(candidate)
    }

    /// Drops chunks of the explicit fault schedule, largest chunks first.
    fn drop_faults(&mut self) -> bool {
        let mut improved = self.drop_unreached_faults();
        let mut chunk = self.scenario.faults.len().div_ceil(2).max(1);
        loop {
            let mut i = self.scenario.faults.len();
            while i > 0 && self.budget_left() {
                let start = i.saturating_sub(chunk);
                let mut faults = self.scenario.faults.faults.clone();
                if start >= faults.len() {
                    i = start;
                    continue;
                }
                faults.drain(start..i.min(faults.len()));
                let candidate = self.with_faults(faults);
                if self.attempt_scenario(candidate) {
                    improved = true;
                }
                i = start;
            }
            if chunk == 1 || !self.budget_left() {
                return improved;
            }
            chunk /= 2;
        }
    }

    /// Moves every fault earlier by the same amount (a violation that needs a
    /// warmed-up cluster still gets one, sooner).
    fn shift_faults_earlier(&mut self) -> bool {
        let mut improved = false;
        let Some(first) = self.scenario.faults.faults.iter().map(|f| f.at_ns).min() else { return false };
        let mut delta = first;
        while delta > 1_000_000 && self.budget_left() {
            let faults = self
                .scenario
                .faults
                .faults
                .iter()
                .map(|f| sim_core::ScheduledFault { at_ns: f.at_ns - delta.min(f.at_ns), fault: f.fault.clone() })
                .collect();
            let candidate = self.with_faults(faults);
            if self.attempt_resampled(candidate) {
                improved = true;
                // Try the same step again from the new position.
                let first = self.scenario.faults.faults.iter().map(|f| f.at_ns).min().unwrap_or(0);
                delta = delta.min(first);
            } else {
                delta /= 2;
            }
        }
        improved
    }

    /// Fewer clients, then fewer operations per client.
    fn lower_workload(&mut self) -> bool {
        let mut improved = false;
        let clients = self.scenario.workload.clients;
        for c in 1..clients {
            let mut s = self.scenario.clone();
            s.workload.clients = c;
            if self.attempt_resampled(s) {
                improved = true;
                break;
            }
        }
        // Operations per client: first what the busiest client actually
        // started (usually the same run, now with an honest count), then less.
        let mut per_client = std::collections::BTreeMap::<u64, u64>::new();
        for e in &self.report.history.events {
            if e.kind == checkers::EventType::Invoke {
                *per_client.entry(e.process).or_default() += 1;
            }
        }
        let used = per_client.values().copied().max().unwrap_or(0).max(1);
        let mut candidates = vec![used];
        let mut v = used / 2;
        while v >= 1 {
            candidates.push(v);
            v /= 2;
        }
        for ops in candidates {
            if ops >= self.scenario.workload.ops_per_client {
                continue;
            }
            let mut s = self.scenario.clone();
            s.workload.ops_per_client = ops;
            if !self.attempt_scenario(s) {
                break;
            }
            improved = true;
        }
        improved
    }

    fn lane_len(&self, lane: Lane) -> usize {
        self.tapes.0.get(&lane).map_or(0, Vec::len)
    }

    /// Hypothesis's tape passes on every lane: delete spans and zero spans
    /// (largest first, from the end), then, when `single_values`, lower
    /// single values.
    fn edit_tapes(&mut self, single_values: bool) -> bool {
        let mut improved = false;
        let lanes: Vec<Lane> = self.tapes.0.keys().copied().collect();
        if !single_values {
            for &lane in &lanes {
                improved |= self.edit_spans(lane, false, 4);
            }
            return improved;
        }
        for &lane in &lanes {
            improved |= self.raise_values(lane);
        }
        for &lane in &lanes {
            for zero in [false, true] {
                improved |= self.edit_spans(lane, zero, 1);
            }
        }
        for &lane in &lanes {
            improved |= self.lower_values(lane);
        }
        improved
    }

    /// Sets each value of one lane to the largest its draw allows. Kept only
    /// when the run gets shorter (the order puts events before the tape's
    /// sum): a message that now arrives after the violation, a timer that
    /// now fires after it, no longer counts.
    fn raise_values(&mut self, lane: Lane) -> bool {
        let mut improved = false;
        let mut i = 0;
        while i < self.lane_len(lane) && self.budget_left() {
            let bound = self.report.tape.as_ref().and_then(|r| r.bounds.0.get(&lane)).and_then(|b| b.get(i)).copied();
            let mut tapes = self.tapes.clone();
            if let (Some(bound), Some(slot)) = (bound, tapes.0.get_mut(&lane).and_then(|t| t.get_mut(i))) {
                if *slot + 1 < bound {
                    *slot = bound - 1;
                    improved |= self.attempt(self.scenario.clone(), tapes);
                }
            }
            i += 1;
        }
        improved
    }

    /// Deletes spans of the run's flat tape (all lanes interleaved in draw
    /// order), largest first, from the end, down to `smallest` draws. Unlike
    /// a lane edit this re-deals every later draw of every stream: a jump to
    /// a quite different run, which finds much shorter runs early on that
    /// small lane edits would not reach.
    fn edit_flat_spans(&mut self, zero: bool, smallest: usize) -> bool {
        let flat = |s: &Self| s.report.tape.as_ref().map(|r| r.flat.clone()).unwrap_or_default();
        let mut improved = false;
        let mut chunk = (flat(self).len() / 2).max(1);
        loop {
            let mut i = flat(self).len();
            while i > 0 && self.budget_left() {
                let mut tape = flat(self);
                let start = i.saturating_sub(chunk);
                let end = i.min(tape.len());
                i = start;
                if start >= end {
                    continue;
                }
                if zero {
                    if tape[start..end].iter().all(|&v| v == 0) {
                        continue;
                    }
                    tape[start..end].iter_mut().for_each(|v| *v = 0);
                } else {
                    tape.drain(start..end);
                }
                improved |= self.attempt_source(self.scenario.clone(), ChoiceSource::Tape(tape));
            }
            if chunk <= smallest || !self.budget_left() {
                return improved;
            }
            chunk /= 2;
        }
    }

    /// Lowers single values of the flat tape (from the end) to 0 or to half.
    fn lower_flat_values(&mut self) -> bool {
        let flat = |s: &Self| s.report.tape.as_ref().map(|r| r.flat.clone()).unwrap_or_default();
        let mut improved = false;
        let mut i = flat(self).len();
        while i > 0 && self.budget_left() {
            i -= 1;
            let mut tape = flat(self);
            let Some(&v) = tape.get(i) else { continue };
            for lower in [0, v / 2] {
                if lower == v || !self.budget_left() {
                    continue;
                }
                tape[i] = lower;
                if self.attempt_source(self.scenario.clone(), ChoiceSource::Tape(tape.clone())) {
                    improved = true;
                    break;
                }
            }
        }
        improved
    }

    /// Deletes (or zeroes) spans of one lane, from `len / 2` draws down to `smallest`.
    fn edit_spans(&mut self, lane: Lane, zero: bool, smallest: usize) -> bool {
        let mut improved = false;
        let mut chunk = (self.lane_len(lane) / 2).max(1);
        loop {
            let mut i = self.lane_len(lane);
            while i > 0 && self.budget_left() {
                let start = i.saturating_sub(chunk);
                let end = i.min(self.lane_len(lane));
                i = start;
                if start >= end {
                    continue;
                }
                let mut tapes = self.tapes.clone();
                let Some(tape) = tapes.0.get_mut(&lane) else { break };
                if zero {
                    if tape[start..end].iter().all(|&v| v == 0) {
                        continue;
                    }
                    tape[start..end].iter_mut().for_each(|v| *v = 0);
                } else {
                    tape.drain(start..end);
                }
                improved |= self.attempt(self.scenario.clone(), tapes);
            }
            if chunk <= smallest || !self.budget_left() {
                return improved;
            }
            chunk /= 2;
        }
    }

    /// Lowers each value of one lane (from the end): to 0 if that keeps the
    /// violation, else to the lowest of a few binary-search steps that does.
    fn lower_values(&mut self, lane: Lane) -> bool {
        const STEPS: u32 = 4;
        let mut improved = false;
        let mut i = self.lane_len(lane);
        while i > 0 && self.budget_left() {
            i -= 1;
            let Some(&v) = self.tapes.0.get(&lane).and_then(|t| t.get(i)) else { continue };
            if v == 0 {
                continue;
            }
            // `lo` fails (or is untried at 0), `hi` holds.
            let (mut lo, mut hi) = (0, v);
            for step in 0..=STEPS {
                let candidate = if step == 0 { 0 } else { lo + (hi - lo) / 2 };
                if (step > 0 && candidate == lo) || !self.budget_left() {
                    break;
                }
                let mut tapes = self.tapes.clone();
                let Some(slot) = tapes.0.get_mut(&lane).and_then(|t| t.get_mut(i)) else { break };
                *slot = candidate;
                if self.attempt(self.scenario.clone(), tapes) {
                    improved = true;
                    if step == 0 {
                        break;
                    }
                    hi = candidate;
                } else {
                    lo = candidate;
                }
            }
        }
        improved
    }
}

fn shrink_run(
    scenario: &Scenario,
    choices: &ChoiceSource,
    target: &Finding,
    options: &ShrinkOptions,
) -> Result<Shrunk, ShrinkError> {
    let (kind, name) = (target.kind.clone(), target.name.clone());
    // 1. Record the tape of the original run.
    let original = run(scenario, choices, &RunOptions { trace: TraceLevel::HashOnly, record_tape: true })
        .map_err(|e| ShrinkError::Repro(ReproError::Invalid(format!("scenario: {e}"))))?;
    if !original.findings.iter().any(|f| f.kind == kind && f.name == name) {
        return Err(ShrinkError::NoViolation);
    }
    let tapes = original.tape.clone().map(|r| r.lanes).unwrap_or_default();
    let before = Size::of(scenario, &original, &tapes);
    let mut runs = 1;

    // 2. The drawn schedule becomes explicit data; the nemesis's lane goes
    //    (only the nemesis draws from the faults stream).
    let mut start = (scenario.clone(), tapes.clone(), original.clone());
    if !scenario.nemesis.is_quiet() {
        let mut explicit = scenario.clone();
        explicit.faults = original.schedule.clone();
        explicit.nemesis = sim_core::Nemesis::default();
        let mut rest = tapes.clone();
        rest.0.remove(&Lane::of(Stream::Faults));
        runs += 1;
        if let Some((report, t)) = try_source(&explicit, &ChoiceSource::Tapes(rest), &kind, &name) {
            start = (explicit, t, report);
        }
    }
    let (scenario, tapes, report) = start;
    let size = Size::of(&scenario, &report, &tapes);
    let mut s =
        Shrinker { kind, name, max_runs: options.max_runs, runs, edits: 0, scenario, tapes, report, size, flat: true };

    // 3. Passes until none helps, in two phases. Phase one edits the flat
    //    tape: its edits re-deal every later draw, big jumps to quite
    //    different runs that find much shorter ones early (half the budget).
    //    Phase two edits lanes: small, local edits that keep most of the run
    //    and trim what the jumps left. In each, coarse passes come before the
    //    costly one-value-at-a-time passes, which run once the rest are stuck.
    s.drop_unreached_faults();
    let full_budget = s.max_runs;
    for flat in [true, false] {
        s.flat = flat;
        s.max_runs = if flat { full_budget / 2 } else { full_budget };
        loop {
            let mut improved = false;
            // The workload first, while every fault is still there to help the
            // violation happen again in a run that diverges from the original.
            improved |= s.lower_workload();
            improved |= s.drop_faults();
            improved |= s.shift_faults_earlier();
            if flat {
                improved |= s.edit_flat_spans(false, 4);
                improved |= s.edit_flat_spans(true, 4);
            } else {
                improved |= s.edit_tapes(false);
            }
            // Fresh choices for the same (shrunk) scenario and faults.
            improved |=
                (1..=16).fold(false, |any, seed| s.attempt_source(s.scenario.clone(), ChoiceSource::Seed(seed)) | any);
            if !improved {
                improved = if flat { s.lower_flat_values() } else { s.edit_tapes(true) };
            }
            if !improved || !s.budget_left() {
                break;
            }
        }
    }
    let budget_exhausted = !s.budget_left();

    // The result: a tape repro of the smallest run, checked to replay.
    let final_report = run(&s.scenario, &ChoiceSource::Tapes(s.tapes.clone()), &RunOptions::default())
        .map_err(|e| ShrinkError::Repro(ReproError::Invalid(format!("scenario: {e}"))))?;
    s.runs += 1;
    let repro = Repro::from_report(&final_report);
    let replays = repro.replay(TraceLevel::HashOnly).map(|r| r.identical).unwrap_or(false);
    s.runs += 1;
    let after = Size::of(&s.scenario, &final_report, &s.tapes);
    Ok(Shrunk {
        repro,
        before,
        after,
        kind: s.kind,
        name: s.name,
        runs: s.runs,
        edits: s.edits,
        budget_exhausted,
        replays,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinks_a_raft_bug_to_a_smaller_run_that_replays_with_the_same_violation() {
        let scenario = crate::registry::find("raft-no-log-check").unwrap();
        let (seed, report) =
            crate::first_seed_where("raft-no-log-check", 1..200, 1, |r| r.verdict == Verdict::Violation)
                .expect("a finding");
        let shrunk = shrink_report(&report, &ShrinkOptions { max_runs: 300 }).unwrap();
        assert!(shrunk.replays, "seed {seed}");
        assert!(shrunk.after.events < shrunk.before.events, "{:?} -> {:?}", shrunk.before, shrunk.after);
        assert!(shrunk.repro.findings.iter().any(|f| f.kind == shrunk.kind && f.name == shrunk.name));
        assert!(matches!(shrunk.repro.choices, ChoiceSource::Tapes(_)));
        assert!(shrunk.repro.scenario.nemesis.is_quiet());
        assert_eq!(shrunk.repro.scenario.name, scenario.name);
        // Deterministic: the same input shrinks to the same repro.
        let again = shrink_report(&report, &ShrinkOptions { max_runs: 300 }).unwrap();
        assert_eq!(again.repro, shrunk.repro);
    }
}
