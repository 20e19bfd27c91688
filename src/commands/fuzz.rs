//! `faultline fuzz SCENARIO... --seeds A..B | --time 8h`: a campaign over
//! many seeds, spread over threads, sharded across machines. The campaign
//! logic lives in `scenarios::campaign`; this file parses arguments, shows
//! progress and prints the summary.
//!
//! Ctrl-C (SIGINT) and SIGTERM stop the campaign cleanly: runs in flight
//! finish, their results are written, and the summary is printed. A second
//! signal exits at once. The handler uses `libc` (already a dependency, for
//! SIGPIPE) rather than the `ctrlc` crate: it only sets an atomic flag (or
//! calls `_exit`), which is async-signal-safe, and needs no extra thread.

use super::shared::{bad_input, load_scenario};
use scenarios::campaign::{self, Campaign, JsonLinesWriter, SeedRange, Shard, Snapshot, StopReason, Summary};
use scenarios::shrink::ShrinkOptions;
use sim_core::time::{format_duration_ns, parse_duration_ns};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// More worker threads than this is a typo, not a machine.
const MAX_JOBS: usize = 1024;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  faultline fuzz raft-no-log-check --seeds 1..1000 --jobs 2 --json results.jsonl --junit junit.xml\n  faultline fuzz raft-partition raft-crash-recovery --time 10m --swarm --shrink\n  faultline fuzz raft-lossy --seeds 0..100000 --shard $JOB_COMPLETION_INDEX/8 --json shard.jsonl\n  faultline merge shard-*.jsonl --junit junit.xml\n\nExit codes: 0 nothing found, 1 violations found (repros written), 2 bad usage, 130 interrupted with nothing found."
)]
pub struct FuzzArgs {
    /// Built-in scenario names or scenario JSON files; each seed runs every one.
    #[arg(required = true)]
    pub scenarios: Vec<String>,
    /// Seeds to run: `A..B` (B excluded), `A..=B`, or `A..` (open-ended, with --time).
    #[arg(long, value_parser = SeedRange::parse)]
    pub seeds: Option<SeedRange>,
    /// Wall-clock budget for the campaign (e.g. 90s, 10m, 8h); seeds start at 1 unless --seeds says otherwise.
    #[arg(long, value_parser = parse_duration_ns)]
    pub time: Option<u64>,
    /// Worker threads, 1 to 1024 (default: the number of CPUs). Never changes any run.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run only shard I of N (0-based): seeds start+I, start+I+N, ... The N shards partition the seeds.
    #[arg(long, value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// Append one JSON line per finished run to this file (seed, scenario, verdict, trace_hash, ...).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Keep what the --json file already holds (default: start it afresh).
    #[arg(long)]
    pub append: bool,
    /// Write a JUnit XML report (one test case per scenario) at the end.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Where repro files go.
    #[arg(long, default_value = "faultline-out")]
    pub out: PathBuf,
    /// Stop after this many violating runs.
    #[arg(long)]
    pub stop_after: Option<u64>,
    /// Shrink the first finding of each kind (writes <repro>-shrunk.json beside it).
    #[arg(long)]
    pub shrink: bool,
    /// Run budget per shrink.
    #[arg(long, default_value_t = ShrinkOptions::default().max_runs)]
    pub shrink_runs: u64,
    /// Swarm testing: each seed also draws which of the scenario's fault kinds are on and how often.
    #[arg(long)]
    pub swarm: bool,
    /// Re-run every repro (*.json) in this directory first: bugs found before stay found, or are fixed.
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// How often to print a progress line when stderr is not a terminal.
    #[arg(long, default_value = "10s", value_parser = parse_duration_ns)]
    pub progress_every: u64,
    /// No progress output at all.
    #[arg(long)]
    pub quiet: bool,
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
extern "C" fn on_signal(_signal: libc::c_int) {
    if INTERRUPTED.swap(true, Ordering::SeqCst) {
        // SAFETY: `_exit` is async-signal-safe.
        unsafe { libc::_exit(130) };
    }
}

fn install_signal_handlers() {
    #[cfg(unix)]
    // SAFETY: the handler only touches an atomic and calls `_exit`, both async-signal-safe.
    unsafe {
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

pub fn execute(args: &FuzzArgs) -> i32 {
    if args.seeds.is_none() && args.time.is_none() {
        return bad_input("give the seeds to run (--seeds A..B) or a time budget (--time 10m), or both");
    }
    if args.seeds.is_some_and(|s| s.end.is_none()) && args.time.is_none() {
        return bad_input("--seeds: an open-ended range (A..) needs a time budget (--time)");
    }
    if let Some(jobs) = args.jobs.filter(|&j| j == 0 || j > MAX_JOBS) {
        return bad_input(format!("--jobs: must be between 1 and {MAX_JOBS}, got {jobs}"));
    }
    if args.stop_after == Some(0) {
        return bad_input("--stop-after: must be at least 1");
    }
    if args.shrink_runs == 0 {
        return bad_input("--shrink-runs: must be at least 1");
    }
    if args.progress_every == 0 {
        return bad_input("--progress-every: must be positive");
    }
    let mut scenarios = Vec::new();
    for name in &args.scenarios {
        let mut s = match load_scenario(name) {
            Ok(s) => s,
            Err(e) => return bad_input(e),
        };
        if args.swarm {
            s.nemesis.swarm = true;
        }
        if let Err(e) = s.validate() {
            return bad_input(format!("scenario `{}`: {e}", s.name));
        }
        if scenarios.iter().any(|o: &scenarios::Scenario| o.name == s.name) {
            return bad_input(format!("scenario `{}` is named twice; results are keyed by scenario name", s.name));
        }
        scenarios.push(s);
    }
    let corpus = match &args.corpus {
        Some(dir) => match campaign::corpus_files(dir) {
            Ok(f) => f,
            Err(e) => return bad_input(format!("--corpus: {e}")),
        },
        None => Vec::new(),
    };
    let seeds = args.seeds.unwrap_or(SeedRange { start: 1, end: None });
    let shard = args.shard.unwrap_or_default();
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let sink = match &args.json {
        Some(path) => match JsonLinesWriter::open(path, !args.append) {
            Ok(w) => Some(w),
            Err(e) => return bad_input(format!("--json: cannot open {}: {e}", path.display())),
        },
        None => None,
    };
    #[allow(clippy::disallowed_methods)] // the campaign's own deadline, outside every run
    let deadline = args.time.map(|ns| std::time::Instant::now() + Duration::from_nanos(ns));
    let campaign = Campaign {
        scenarios,
        seeds,
        shard,
        jobs,
        deadline,
        stop_after: args.stop_after,
        out_dir: args.out.clone(),
        shrink: args.shrink.then_some(ShrinkOptions { max_runs: args.shrink_runs }),
        corpus,
    };
    let names: Vec<&str> = campaign.scenarios.iter().map(|s| s.name.as_str()).collect();
    let budget = args.time.map(|t| format!(", for {}", format_duration_ns(t))).unwrap_or_default();
    let shard_text = if shard.count > 1 { format!(" (shard {shard})") } else { String::new() };
    eprintln!(
        "fuzz {}: seeds {seeds}{shard_text}{budget}, {jobs} job{}{}",
        names.join(", "),
        if jobs == 1 { "" } else { "s" },
        if args.swarm { ", swarm" } else { "" }
    );
    install_signal_handlers();

    let mut progress = ProgressView::new(args, campaign.total_runs());
    let tick_every =
        if progress.bar.is_some() { Duration::from_millis(200) } else { Duration::from_nanos(args.progress_every) };
    let outcome = campaign.run(sink.as_ref(), &INTERRUPTED, tick_every, &mut |s| progress.tick(s));
    progress.finish();

    for w in &outcome.warnings {
        eprintln!("warning: {w}");
    }
    let summary = Summary::of(&outcome.results);
    let secs = outcome.elapsed.as_secs_f64().max(1e-9);
    println!(
        "stopped     {} after {:.1}s ({:.1} runs/s, {:.0} events/s)",
        outcome.stopped.describe(),
        secs,
        summary.runs as f64 / secs,
        summary.events as f64 / secs
    );
    print!("{}", summary.render_text());
    if let Some(path) = &args.json {
        println!("results     {}", path.display());
    }
    if let Some(path) = &args.junit {
        let xml = campaign::junit::render(&summary, "faultline fuzz");
        match scenarios::repro::write_atomic(path, xml.as_bytes()) {
            Ok(()) => println!("junit       {}", path.display()),
            Err(e) => eprintln!("warning: could not write the JUnit report {}: {e}", path.display()),
        }
    }
    if outcome.stopped == StopReason::Interrupted && summary.exit_code() == 0 {
        130
    } else {
        summary.exit_code()
    }
}

/// An indicatif bar on a terminal, plain periodic lines otherwise.
struct ProgressView {
    bar: Option<indicatif::ProgressBar>,
    quiet: bool,
    time_budget: Option<u64>,
}

impl ProgressView {
    fn new(args: &FuzzArgs, total: Option<u64>) -> ProgressView {
        let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
            let (len, template) = match (args.time, total) {
                // A time budget: the bar is the clock; runs go in the message.
                (Some(ns), _) => {
                    ((ns / 1_000_000_000).max(1), "{spinner} [{elapsed_precise}] {wide_bar} {msg} (ETA {eta})")
                }
                (None, Some(total)) => {
                    (total, "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} runs {msg} (ETA {eta})")
                }
                (None, None) => (1, "{spinner} [{elapsed_precise}] {msg}"),
            };
            let bar = indicatif::ProgressBar::new(len);
            if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        ProgressView { bar, quiet: args.quiet, time_budget: args.time }
    }

    fn tick(&mut self, s: &Snapshot) {
        let secs = s.elapsed.as_secs_f64().max(1e-9);
        let rates = format!(
            "{:.1} runs/s, {} events/s, {} finding{}",
            s.runs as f64 / secs,
            human(s.events as f64 / secs),
            s.violations,
            if s.violations == 1 { "" } else { "s" }
        );
        if let Some(bar) = &self.bar {
            match self.time_budget {
                Some(_) => {
                    bar.set_position(s.elapsed.as_secs());
                    bar.set_message(format!("{} runs, {rates}", s.runs));
                }
                None => {
                    bar.set_position(s.runs);
                    bar.set_message(rates);
                }
            }
        } else if !self.quiet {
            let eta = match (s.total, self.time_budget) {
                (_, Some(ns)) => format!(", {}s left", (ns / 1_000_000_000).saturating_sub(s.elapsed.as_secs())),
                (Some(total), None) if s.runs > 0 => {
                    let left = total.saturating_sub(s.runs) as f64 * secs / s.runs as f64;
                    format!(", ETA {left:.0}s")
                }
                _ => String::new(),
            };
            let of = s.total.filter(|_| self.time_budget.is_none()).map(|t| format!("/{t}")).unwrap_or_default();
            eprintln!("fuzz: {}{of} runs, {rates}, {:.0}s elapsed{eta}", s.runs, secs);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

fn human(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1}k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}
