//! Fuzz campaigns: many seeds of one or more scenarios, spread over threads
//! (runs are single-threaded and independent, so threads never change a run),
//! with every finding written as a repro at once and every result appended as
//! a JSON line as it finishes, so a campaign killed at any moment keeps all
//! it has made.
//!
//! - `seeds.rs` — seed ranges and shards (`I/N`), which partition the seeds.
//! - `results.rs` — the JSON-lines results, reading them back, summaries that
//!   de-duplicate findings by kind, merging shards.
//! - `junit.rs` — JUnit XML, one test case per scenario.
//!
//! The wall clock appears here only for the campaign's own deadline and
//! progress (`--time`), never inside a run.

pub mod junit;
pub mod results;
pub mod seeds;

pub use results::{read_results, DistinctFinding, FindingKey, JsonLinesWriter, ResultLine, Summary};
pub use seeds::{SeedRange, Shard};

use crate::repro::Repro;
use crate::runner::{run, RunOptions, Verdict};
use crate::scenario::Scenario;
use crate::shrink::{shrink_report, ShrinkOptions};
use sim_core::{ChoiceSource, TraceLevel};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a campaign runs and where it writes.
#[derive(Clone, Debug)]
pub struct Campaign {
    pub scenarios: Vec<Scenario>,
    pub seeds: SeedRange,
    pub shard: Shard,
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Stop taking new runs at this moment (`--time`).
    pub deadline: Option<Instant>,
    /// Stop after this many violating runs.
    pub stop_after: Option<u64>,
    /// Where repro files go.
    pub out_dir: PathBuf,
    /// Shrink the first finding of each kind (`--shrink`).
    pub shrink: Option<ShrinkOptions>,
    /// Saved repros to re-run first (`--corpus`): every bug ever found stays found or fixed.
    pub corpus: Vec<PathBuf>,
}

/// Counters the caller can watch while the campaign runs.
#[derive(Debug, Default)]
pub struct Progress {
    pub runs: AtomicU64,
    pub events: AtomicU64,
    pub violations: AtomicU64,
    pub unknown: AtomicU64,
}

/// A snapshot of [`Progress`] handed to the caller's tick.
#[derive(Clone, Copy, Debug, Default)]
pub struct Snapshot {
    pub runs: u64,
    pub events: u64,
    pub violations: u64,
    pub unknown: u64,
    /// Runs the campaign will make, when known.
    pub total: Option<u64>,
    pub elapsed: Duration,
}

/// Why a campaign stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// Every seed ran.
    Done,
    /// The `--time` budget ran out.
    Deadline,
    /// `--stop-after` findings were made.
    StopAfter,
    /// Interrupted (Ctrl-C or SIGTERM).
    Interrupted,
}

impl StopReason {
    pub fn describe(self) -> &'static str {
        match self {
            StopReason::Done => "every seed ran",
            StopReason::Deadline => "the time budget ran out",
            StopReason::StopAfter => "enough findings were made (--stop-after)",
            StopReason::Interrupted => "interrupted",
        }
    }
}

/// What a campaign made.
#[derive(Debug)]
pub struct Outcome {
    /// Every result, in the order runs finished (corpus entries first).
    pub results: Vec<ResultLine>,
    pub stopped: StopReason,
    /// Problems writing files (the campaign goes on without them).
    pub warnings: Vec<String>,
    pub elapsed: Duration,
}

/// A file name for a scenario name (built-in names are already safe).
pub fn file_stem(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

#[allow(clippy::disallowed_methods)] // the campaign's deadline and progress, outside every run
fn now() -> Instant {
    Instant::now()
}

/// Where the campaign shares its state between workers.
struct Shared<'a> {
    campaign: &'a Campaign,
    sink: Option<&'a JsonLinesWriter>,
    progress: &'a Progress,
    interrupt: &'a AtomicBool,
    /// Set when any stop condition holds; workers take no new runs.
    stop: AtomicBool,
    stopped: Mutex<Option<StopReason>>,
    next: AtomicU64,
    results: Mutex<Vec<ResultLine>>,
    warnings: Mutex<Vec<String>>,
    /// Finding kinds already shrunk (so each is shrunk once).
    shrunk: Mutex<std::collections::BTreeSet<(String, String, String)>>,
}

impl Shared<'_> {
    fn halt(&self, reason: StopReason) {
        let mut s = self.stopped.lock().unwrap_or_else(|e| e.into_inner());
        if s.is_none() {
            *s = Some(reason);
        }
        self.stop.store(true, Ordering::SeqCst);
    }

    fn warn(&self, w: String) {
        self.warnings.lock().unwrap_or_else(|e| e.into_inner()).push(w);
    }

    /// Records a finished result: the JSON line first (after its repro was
    /// written), then the counters.
    fn record(&self, line: ResultLine) {
        if let Some(sink) = self.sink {
            if let Err(e) = sink.write(&line) {
                self.warn(format!("could not append a result line: {e}"));
            }
        }
        self.progress.runs.fetch_add(1, Ordering::SeqCst);
        self.progress.events.fetch_add(line.events, Ordering::SeqCst);
        match line.verdict {
            Verdict::Violation => {
                let v = self.progress.violations.fetch_add(1, Ordering::SeqCst) + 1;
                if self.campaign.stop_after.is_some_and(|k| v >= k) {
                    self.halt(StopReason::StopAfter);
                }
            }
            Verdict::Unknown => {
                self.progress.unknown.fetch_add(1, Ordering::SeqCst);
            }
            Verdict::Held => {}
        }
        self.results.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }

    fn should_stop(&self) -> bool {
        if self.interrupt.load(Ordering::SeqCst) {
            self.halt(StopReason::Interrupted);
        }
        if self.campaign.deadline.is_some_and(|d| now() >= d) {
            self.halt(StopReason::Deadline);
        }
        self.stop.load(Ordering::SeqCst)
    }

    /// The (scenario, seed) of work item `k`: seeds in shard order, each
    /// seed running every scenario.
    fn item(&self, k: u64) -> Option<(&Scenario, u64)> {
        let n = self.campaign.scenarios.len() as u64;
        let seed = self.campaign.shard.nth_seed(&self.campaign.seeds, k / n)?;
        Some((&self.campaign.scenarios[(k % n) as usize], seed))
    }

    fn worker(&self) {
        while !self.should_stop() {
            let k = self.next.fetch_add(1, Ordering::SeqCst);
            let Some((scenario, seed)) = self.item(k) else { return };
            let line = self.run_one(scenario, seed);
            self.record(line);
        }
    }

    fn run_one(&self, scenario: &Scenario, seed: u64) -> ResultLine {
        let choices = ChoiceSource::Seed(seed);
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run(scenario, &choices, &RunOptions { trace: TraceLevel::HashOnly, record_tape: false })
        }));
        let report = match ran {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return error_line(scenario, Some(seed), format!("scenario: {e}")),
            Err(panic) => {
                return error_line(scenario, Some(seed), format!("faultline panicked: {}", panic_text(&panic)))
            }
        };
        let mut line = ResultLine::from_report(&report, Some(seed));
        if report.verdict == Verdict::Violation {
            let path = self.campaign.out_dir.join(format!("{}-seed{seed}.json", file_stem(&scenario.name)));
            match Repro::from_report(&report).write_atomic(&path) {
                Ok(()) => line.repro = Some(path.display().to_string()),
                Err(e) => self.warn(format!("could not write the repro {}: {e}", path.display())),
            }
            if let Some(options) = &self.campaign.shrink {
                let first = report.findings.first().map(|f| (scenario.name.clone(), f.kind.clone(), f.name.clone()));
                let claim = first.is_some_and(|key| self.shrunk.lock().unwrap_or_else(|e| e.into_inner()).insert(key));
                if claim {
                    line.shrunk = self.shrink_one(&report, seed, options);
                }
            }
        }
        line
    }

    fn shrink_one(&self, report: &crate::runner::RunReport, seed: u64, options: &ShrinkOptions) -> Option<String> {
        let shrunk = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| shrink_report(report, options)));
        match shrunk {
            Ok(Ok(s)) => {
                let path =
                    self.campaign.out_dir.join(format!("{}-seed{seed}-shrunk.json", file_stem(&report.scenario.name)));
                match s.repro.write_atomic(&path) {
                    Ok(()) => Some(path.display().to_string()),
                    Err(e) => {
                        self.warn(format!("could not write the shrunk repro {}: {e}", path.display()));
                        None
                    }
                }
            }
            Ok(Err(e)) => {
                self.warn(format!("could not shrink {} seed {seed}: {e}", report.scenario.name));
                None
            }
            Err(p) => {
                self.warn(format!("shrinking {} seed {seed} panicked: {}", report.scenario.name, panic_text(&p)));
                None
            }
        }
    }

    /// Re-runs one saved repro of the regression corpus.
    fn run_corpus(&self, path: &Path) -> ResultLine {
        let name = path.display().to_string();
        let text = match crate::input::read_text_limited(path, "repro", crate::repro::MAX_FILE_BYTES) {
            Ok(t) => t,
            Err(e) => return corpus_error(&name, e),
        };
        let repro = match Repro::parse(&text) {
            Ok(r) => r,
            Err(e) => return corpus_error(&name, e.to_string()),
        };
        let seed = match repro.choices {
            ChoiceSource::Seed(s) => Some(s),
            ChoiceSource::Tape(_) | ChoiceSource::Tapes(_) => None,
        };
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run(&repro.scenario, &repro.choices, &RunOptions { trace: TraceLevel::HashOnly, record_tape: false })
        }));
        let report = match ran {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return corpus_error(&name, format!("scenario: {e}")),
            Err(p) => return corpus_error(&name, format!("faultline panicked: {}", panic_text(&p))),
        };
        let mut line = ResultLine::from_report(&report, seed);
        line.corpus = Some(name.clone());
        let status = if report.verdict != Verdict::Violation {
            "fixed"
        } else if report.trace_hash_hex() == repro.trace_hash {
            "still-fails"
        } else {
            "changed"
        };
        line.corpus_status = Some(status.into());
        if report.verdict == Verdict::Violation {
            line.repro = Some(name);
        }
        line
    }
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

fn error_line(scenario: &Scenario, seed: Option<u64>, error: String) -> ResultLine {
    ResultLine {
        scenario: scenario.name.clone(),
        seed,
        verdict: Verdict::Unknown,
        trace_hash: String::new(),
        protocol: scenario.protocol.clone(),
        bug: scenario.bug.clone(),
        events: 0,
        sim_time_ns: 0,
        faults: 0,
        findings: Vec::new(),
        unknown: vec![error.clone()],
        repro: None,
        shrunk: None,
        corpus: None,
        corpus_status: None,
        error: Some(error),
    }
}

fn corpus_error(path: &str, error: String) -> ResultLine {
    ResultLine {
        scenario: "corpus".into(),
        corpus: Some(path.into()),
        corpus_status: Some("error".into()),
        ..error_line(&Scenario { name: "corpus".into(), ..Scenario::default() }, None, error)
    }
}

/// The `*.json` files of a corpus directory, sorted by name.
pub fn corpus_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read the corpus directory `{}`: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

impl Campaign {
    /// How many runs the campaign makes if nothing stops it early.
    pub fn total_runs(&self) -> Option<u64> {
        let seeds = self.shard.seeds_in(&self.seeds)?;
        Some(seeds.saturating_mul(self.scenarios.len() as u64) + self.corpus.len() as u64)
    }

    /// Runs the campaign. `sink` receives every result as it finishes;
    /// `interrupt` (set by a signal handler) stops it cleanly; `tick` is
    /// called about every `tick_every` from the calling thread while workers
    /// run, and once at the end.
    pub fn run(
        &self,
        sink: Option<&JsonLinesWriter>,
        interrupt: &AtomicBool,
        tick_every: Duration,
        tick: &mut dyn FnMut(&Snapshot),
    ) -> Outcome {
        let started = now();
        let progress = Progress::default();
        let shared = Shared {
            campaign: self,
            sink,
            progress: &progress,
            interrupt,
            stop: AtomicBool::new(false),
            stopped: Mutex::new(None),
            next: AtomicU64::new(0),
            results: Mutex::new(Vec::new()),
            warnings: Mutex::new(Vec::new()),
            shrunk: Mutex::new(Default::default()),
        };
        let total = self.total_runs();
        let snapshot = |progress: &Progress| Snapshot {
            runs: progress.runs.load(Ordering::SeqCst),
            events: progress.events.load(Ordering::SeqCst),
            violations: progress.violations.load(Ordering::SeqCst),
            unknown: progress.unknown.load(Ordering::SeqCst),
            total,
            elapsed: now().duration_since(started),
        };
        // The regression corpus first, in file order, on this thread.
        for path in &self.corpus {
            if shared.should_stop() {
                break;
            }
            let line = shared.run_corpus(path);
            shared.record(line);
            tick(&snapshot(&progress));
        }
        let done = AtomicU64::new(0);
        if !shared.should_stop() && !self.scenarios.is_empty() {
            let jobs = self.jobs.max(1);
            std::thread::scope(|scope| {
                for _ in 0..jobs {
                    scope.spawn(|| {
                        shared.worker();
                        done.fetch_add(1, Ordering::SeqCst);
                    });
                }
                // Watch from here: the deadline and the interrupt flag are
                // noticed within a tick even while every worker is busy.
                let step = tick_every.clamp(Duration::from_millis(10), Duration::from_millis(100));
                let mut last_tick = now();
                while done.load(Ordering::SeqCst) < jobs as u64 {
                    std::thread::sleep(step);
                    shared.should_stop();
                    if now().duration_since(last_tick) >= tick_every {
                        last_tick = now();
                        tick(&snapshot(&progress));
                    }
                }
            });
        }
        tick(&snapshot(&progress));
        let stopped = shared.stopped.lock().unwrap_or_else(|e| e.into_inner()).unwrap_or(StopReason::Done);
        Outcome {
            results: shared.results.into_inner().unwrap_or_else(|e| e.into_inner()),
            stopped,
            warnings: shared.warnings.into_inner().unwrap_or_else(|e| e.into_inner()),
            elapsed: now().duration_since(started),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign(jobs: usize, shard: Shard, out: &str) -> Campaign {
        Campaign {
            scenarios: vec![
                crate::registry::find("raft-basic").unwrap(),
                crate::registry::find("raft-no-log-check").unwrap(),
            ],
            seeds: SeedRange::parse("1..7").unwrap(),
            shard,
            jobs,
            deadline: None,
            stop_after: None,
            out_dir: std::env::temp_dir().join(format!("faultline-campaign-{out}-{}", std::process::id())),
            shrink: None,
            corpus: vec![],
        }
    }

    fn pairs(o: &Outcome) -> Vec<(String, u64, String)> {
        let mut v: Vec<_> =
            o.results.iter().map(|r| (r.scenario.clone(), r.seed.unwrap(), r.trace_hash.clone())).collect();
        v.sort();
        v
    }

    #[test]
    fn threads_and_shards_never_change_a_run() {
        let quiet = AtomicBool::new(false);
        let tick = Duration::from_secs(60);
        let one = campaign(1, Shard::default(), "j1").run(None, &quiet, tick, &mut |_| {});
        let two = campaign(2, Shard::default(), "j2").run(None, &quiet, tick, &mut |_| {});
        assert_eq!(one.results.len(), 12);
        assert_eq!(one.stopped, StopReason::Done);
        assert_eq!(pairs(&one), pairs(&two));
        let mut sharded = Vec::new();
        for i in 0..3 {
            let o = campaign(2, Shard { index: i, count: 3 }, "s").run(None, &quiet, tick, &mut |_| {});
            sharded.extend(pairs(&o));
        }
        sharded.sort();
        assert_eq!(pairs(&one), sharded);
    }

    #[test]
    fn stop_after_and_interrupt_stop_early() {
        let quiet = AtomicBool::new(false);
        let tick = Duration::from_secs(60);
        let mut c = campaign(1, Shard::default(), "stop");
        c.scenarios.remove(0);
        c.seeds = SeedRange::parse("1..200").unwrap();
        c.stop_after = Some(1);
        let o = c.run(None, &quiet, tick, &mut |_| {});
        assert_eq!(o.stopped, StopReason::StopAfter);
        assert_eq!(o.results.iter().filter(|r| r.verdict == Verdict::Violation).count(), 1);
        let repro = o.results.iter().find_map(|r| r.repro.clone()).unwrap();
        assert!(Repro::parse(&std::fs::read_to_string(repro).unwrap()).is_ok());
        let interrupted = AtomicBool::new(true);
        let o = campaign(1, Shard::default(), "int").run(None, &interrupted, tick, &mut |_| {});
        assert_eq!(o.stopped, StopReason::Interrupted);
        assert!(o.results.is_empty());
    }
}
