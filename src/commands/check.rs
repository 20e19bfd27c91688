//! `faultline check MODEL|SCENARIO --explore bfs|dfs`: exhaustive model
//! checking (the explorer in `sim_core::explore`; the models in
//! `scenarios::models`).
//!
//! Exit codes: 0 every property settled as expected, 1 a property failed
//! (its path printed), 2 bad usage or input, 3 unknown (a budget ran out).

use super::lin::parse_duration;
use super::shared::{bad_input, load_scenario};
use indicatif::{ProgressBar, ProgressStyle};
use scenarios::models::explore_repro::ExploreRepro;
use scenarios::models::{self, CheckSummary, Params};
use serde_json::json;
use sim_core::explore::{Options, Progress, Strategy};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The state budget when `--max-states` is not given: the visited table
/// and frontier of this many states fit in a few GB.
pub const DEFAULT_MAX_STATES: u64 = 20_000_000;

#[derive(clap::Args, Debug, Clone)]
pub struct CheckArgs {
    /// A model (`2pc-model`, `paxos-model`, `raft-actors`, ...; see --list) or a
    /// scenario (built-in name or .json file), explored through its protocol's actor model.
    #[arg(required_unless_present = "list")]
    pub target: Option<String>,
    /// Search strategy: bfs (shortest counterexamples, parallel) or dfs.
    #[arg(long, value_enum, default_value = "bfs")]
    pub explore: ExploreArg,
    /// Do not expand states deeper than this (states on a path, the initial one counting 1).
    #[arg(long)]
    pub depth: Option<u64>,
    /// Stop after this many unique states (the verdict is then unknown, exit 3).
    /// Without it, a budget of 20,000,000 states keeps memory bounded.
    #[arg(long)]
    pub max_states: Option<u64>,
    /// Stop after this much time (e.g. 30s, 10m): the verdict is then unknown.
    #[arg(long, value_parser = parse_duration)]
    pub time: Option<Duration>,
    /// Symmetry reduction (models that declare interchangeable nodes).
    #[arg(long)]
    pub symmetry: bool,
    /// Worker threads for BFS; counts and counterexamples are the same for every value.
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Keep exploring after every property has a discovery.
    #[arg(long)]
    pub exhaustive: bool,
    /// 2PC: the number of resource managers.
    #[arg(long)]
    pub rms: Option<usize>,
    /// Paxos register model / Raft: the number of clients.
    #[arg(long)]
    pub clients: Option<usize>,
    /// Actor models: the number of nodes.
    #[arg(long)]
    pub nodes: Option<usize>,
    /// A known bug variant of the model's protocol.
    #[arg(long)]
    pub bug: Option<String>,
    /// Actor models: crashes allowed (nodes then also recover).
    #[arg(long)]
    pub crashes: Option<u32>,
    /// Actor models: how many timer firings (timeouts) may happen in all; bounds the
    /// otherwise infinite world so it is explored completely.
    #[arg(long)]
    pub timeouts: Option<u32>,
    /// Where to write a protocol model's counterexample (a schedule that
    /// `faultline replay` plays through the simulator and `faultline report` draws).
    #[arg(long, default_value = "faultline-out")]
    pub out: PathBuf,
    /// Also write the explored state graph in Graphviz DOT here (small models only:
    /// at most 5,000 states; give --depth to cut a larger one).
    #[arg(long, value_name = "FILE")]
    pub dot: Option<PathBuf>,
    /// Print the counterexample replayed through the handlers, event by event.
    #[arg(long)]
    pub trace: bool,
    /// List the models and exit.
    #[arg(long)]
    pub list: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The largest state graph `--dot` draws.
const DOT_LIMIT: usize = 5_000;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExploreArg {
    Bfs,
    Dfs,
}

pub fn execute(args: &CheckArgs) -> i32 {
    if args.list {
        for m in models::catalog() {
            println!("{:<18} {}\n{:<18} params: {}", m.name, m.description, "", m.params.join(", "));
        }
        return 0;
    }
    let target = args.target.clone().unwrap_or_default();
    if args.jobs == 0 || args.jobs > 1024 {
        return bad_input(format!("--jobs: must be between 1 and 1024, got {}", args.jobs));
    }
    if args.depth == Some(0) {
        return bad_input("--depth: must be at least 1 (the initial state is depth 1)");
    }
    if args.max_states == Some(0) {
        return bad_input("--max-states: must be at least 1");
    }
    let mut params = Params {
        rms: args.rms,
        clients: args.clients,
        nodes: args.nodes,
        bug: args.bug.clone(),
        crashes: args.crashes,
        timeouts: args.timeouts,
    };
    let is_model = models::catalog().iter().any(|m| m.name == target);
    let name: String = if is_model {
        target.clone()
    } else {
        let scenario = match load_scenario(&target) {
            Ok(s) => s,
            Err(e) => {
                let names: Vec<&str> = models::catalog().iter().map(|m| m.name).collect();
                return bad_input(format!("{e}\n  models are: {}", names.join(", ")));
            }
        };
        match models::for_scenario(&scenario) {
            Ok((model, defaults)) => {
                params = Params {
                    rms: params.rms,
                    clients: params.clients.or(defaults.clients),
                    nodes: params.nodes.or(defaults.nodes),
                    bug: params.bug.or(defaults.bug),
                    crashes: params.crashes.or(defaults.crashes),
                    timeouts: params.timeouts.or(defaults.timeouts),
                };
                model.to_string()
            }
            Err(e) => return bad_input(e),
        }
    };

    let bar = (!args.json && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new_spinner();
        bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("template"));
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    });
    let started = Instant::now();
    let mut options = Options {
        strategy: match args.explore {
            ExploreArg::Bfs => Strategy::Bfs,
            ExploreArg::Dfs => Strategy::Dfs,
        },
        max_depth: args.depth,
        max_states: Some(args.max_states.unwrap_or(DEFAULT_MAX_STATES)),
        time_limit: args.time,
        symmetry: args.symmetry,
        jobs: args.jobs,
        exhaustive: args.exhaustive,
        progress: None,
    };
    if let Some(bar) = &bar {
        let bar = bar.clone();
        options.progress = Some(Arc::new(move |p: &Progress| {
            let secs = started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "{} states ({:.0}/s), {} transitions, depth {}, queue {}",
                p.unique_states,
                p.unique_states as f64 / secs,
                p.transitions,
                p.depth,
                p.queue
            ));
        }));
    }
    let summary = match models::check(&name, &params, &options) {
        Ok(s) => s,
        Err(e) => {
            if let Some(bar) = &bar {
                bar.finish_and_clear();
            }
            return bad_input(e);
        }
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let elapsed = started.elapsed();
    if let Some(path) = &args.dot {
        let graph = match models::dot(&name, &params, &options, DOT_LIMIT) {
            Ok(g) => g,
            Err(e) => return bad_input(format!("--dot: {e}")),
        };
        if let Err(e) = scenarios::repro::write_atomic(path, graph.as_bytes()) {
            return bad_input(format!("--dot: cannot write {}: {e}", path.display()));
        }
    }
    let mut repro_path = None;
    if let Some(repro) = ExploreRepro::from_summary(&params, &summary) {
        let bug = params.bug.as_deref().unwrap_or("none");
        let path = args.out.join(format!("{name}-{bug}-counterexample.json"));
        match scenarios::repro::write_atomic(&path, repro.to_json().as_bytes()) {
            Ok(()) => repro_path = Some(path.display().to_string()),
            Err(e) => eprintln!("warning: could not write the counterexample to {}: {e}", path.display()),
        }
    }
    if args.json {
        let mut value = serde_json::to_value(&summary).expect("summary serialises");
        value["strategy"] = json!(if options.strategy == Strategy::Bfs { "bfs" } else { "dfs" });
        value["jobs"] = json!(args.jobs);
        value["symmetry"] = json!(args.symmetry);
        value["elapsed_ms"] = json!(elapsed.as_secs_f64() * 1000.0);
        value["states_per_second"] = json!(summary.unique_states as f64 / elapsed.as_secs_f64().max(1e-9));
        if args.trace {
            value["trace"] = json!(summary.trace);
        }
        value["repro"] = json!(repro_path);
        println!("{value}");
    } else {
        print!("{}", text(&summary, &options, elapsed, args.trace));
        if let Some(path) = &repro_path {
            println!("repro: {path}\n  faultline replay {path}   # plays it through the simulator\n  faultline report {path}   # draws it");
        }
    }
    summary.exit_code
}

fn text(s: &CheckSummary, options: &Options, elapsed: Duration, trace: bool) -> String {
    let mut out = String::new();
    let strategy = if options.strategy == Strategy::Bfs { "bfs" } else { "dfs" };
    let secs = elapsed.as_secs_f64();
    out.push_str(&format!(
        "{}: {} unique states, {} transitions, max depth {} ({strategy}{}{}, {:.2} s, {:.0} states/s)\n",
        s.model,
        s.unique_states,
        s.transitions,
        s.max_depth,
        if options.jobs > 1 && options.strategy == Strategy::Bfs {
            format!(", {} jobs", options.jobs)
        } else {
            String::new()
        },
        if options.symmetry { ", symmetry" } else { "" },
        secs,
        s.unique_states as f64 / secs.max(1e-9)
    ));
    let completion = match s.completion {
        sim_core::explore::Completion::Complete => "explored completely",
        sim_core::explore::Completion::AllDiscovered => "stopped: every property has a discovery",
        sim_core::explore::Completion::DepthLimit => "stopped: depth budget reached (--depth)",
        sim_core::explore::Completion::StateLimit => "stopped: state budget reached (--max-states)",
        sim_core::explore::Completion::TimeLimit => "stopped: time budget reached (--time)",
    };
    out.push_str(&format!("  {completion}\n"));
    for v in &s.verdicts {
        out.push_str(&format!("  {} {:<24} {}\n", v.expectation.name(), format!("\"{}\"", v.name), v.status.name()));
        if let Some(path) = &v.path {
            let what = if v.status.is_failure() { "counterexample" } else { "example" };
            out.push_str(&format!("    {what} ({} steps):\n", path.iter().filter(|l| !l.starts_with('(')).count()));
            for line in path {
                out.push_str(&format!("      {line}\n"));
            }
            if v.status.is_failure() {
                if let Some(state) = &v.final_state {
                    out.push_str(&format!("    final state: {state}\n"));
                }
                if let Some(tape) = &v.tape {
                    out.push_str(&format!("    tape: {tape:?}\n"));
                }
            }
        }
    }
    if trace {
        if let Some(events) = &s.trace {
            out.push_str("  the counterexample replayed through the handlers:\n");
            out.push_str(&reports::timeline::render_text(events, true));
        }
    }
    let verdict = match s.exit_code {
        0 => "held",
        1 => "VIOLATION",
        _ => "unknown",
    };
    out.push_str(&format!("verdict: {verdict}\n"));
    out
}
