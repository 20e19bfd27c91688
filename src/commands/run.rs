//! `faultline run SCENARIO --seed N`: one run, judged; a repro on violation.

use super::shared::{bad_input, load_scenario, print_report, report_json};
use scenarios::{run, Repro, RunOptions, Verdict};
use sim_core::time::parse_duration_ns;
use sim_core::{ChoiceSource, LinkModel, Ratio, TraceLevel};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// A built-in scenario name (see `faultline list`) or a path to a scenario JSON file.
    pub scenario: String,
    /// The seed: the same seed gives the same run, bit for bit.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    pub seed: u64,
    /// Override the number of nodes.
    #[arg(long)]
    pub nodes: Option<usize>,
    /// Override the number of clients.
    #[arg(long)]
    pub clients: Option<usize>,
    /// Override the operations per client.
    #[arg(long)]
    pub ops: Option<u64>,
    /// Override the simulated time budget (e.g. 5s, 500ms, 2m).
    #[arg(long, value_parser = parse_duration_ns)]
    pub time: Option<u64>,
    /// Make every link fair-loss with this drop probability (10%, 1/8, 0.1).
    #[arg(long, value_parser = Ratio::parse)]
    pub loss: Option<Ratio>,
    /// Run a bug variant of the protocol (`none` for the correct one).
    #[arg(long)]
    pub bug: Option<String>,
    /// Override the event budget (reaching it gives verdict unknown, exit 3).
    #[arg(long)]
    pub max_events: Option<u64>,
    /// Don't check the protocol's invariants: see what the history checkers catch alone.
    #[arg(long)]
    pub no_invariants: bool,
    /// Where to write repro files.
    #[arg(long, default_value = "faultline-out")]
    pub out: PathBuf,
    /// Always write the repro file, even when every check held.
    #[arg(long)]
    pub save: bool,
    /// Print the full trace as a text timeline.
    #[arg(long)]
    pub trace: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn execute(args: &RunArgs) -> i32 {
    let mut scenario = match load_scenario(&args.scenario) {
        Ok(s) => s,
        Err(e) => return bad_input(e),
    };
    if let Some(n) = args.nodes {
        scenario.nodes = n;
    }
    if let Some(c) = args.clients {
        scenario.workload.clients = c;
    }
    if let Some(o) = args.ops {
        scenario.workload.ops_per_client = o;
    }
    if let Some(t) = args.time {
        scenario.limits.time_ns = t;
        scenario.workload.end_ns = scenario.workload.end_ns.min(t);
        scenario.nemesis.end_ns = scenario.nemesis.end_ns.min(t);
        scenario.nemesis.start_ns = scenario.nemesis.start_ns.min(scenario.nemesis.end_ns);
    }
    if let Some(loss) = args.loss {
        let link = scenario.network.link;
        scenario.network.link = LinkModel { drop: loss, fifo: false, ..link };
    }
    if let Some(bug) = &args.bug {
        scenario.bug = if bug == "none" { None } else { Some(bug.clone()) };
    }
    if args.no_invariants {
        scenario.invariants = false;
    }
    if let Some(e) = args.max_events {
        scenario.limits.events = e;
    }
    if let Err(e) = scenario.validate() {
        return bad_input(format!("scenario `{}`: {e}", scenario.name));
    }
    let trace = if args.trace { TraceLevel::Full } else { TraceLevel::HashOnly };
    let report = match run(&scenario, &ChoiceSource::Seed(args.seed), &RunOptions { trace, record_tape: false }) {
        Ok(r) => r,
        Err(e) => return bad_input(format!("scenario `{}`: {e}", scenario.name)),
    };
    let mut repro_path = None;
    if report.verdict == Verdict::Violation || args.save {
        let path = args.out.join(format!("{}-seed{}.json", sanitize(&scenario.name), args.seed));
        match Repro::from_report(&report).write_atomic(&path) {
            Ok(()) => repro_path = Some(path.display().to_string()),
            Err(e) => eprintln!("warning: could not write the repro to {}: {e}", path.display()),
        }
    }
    if args.trace && !args.json {
        print!("{}", super::shared::timeline(&report.trace));
        println!();
    }
    if args.json {
        println!("{}", report_json(&report, repro_path.as_deref()));
    } else {
        print_report(&report, repro_path.as_deref());
    }
    report.verdict.exit_code()
}

fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}
