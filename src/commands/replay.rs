//! `faultline replay REPRO.json`: replays a recorded run and checks it is
//! bit-for-bit the same (same trace hash), or says exactly why not.

use super::shared::{bad_input, print_report, report_json};
use scenarios::models::explore_repro::ExploreRepro;
use scenarios::{Repro, ReproError};
use sim_core::TraceLevel;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// A repro file written by `faultline run` (or `fuzz`, `shrink`, `check`).
    pub repro: PathBuf,
    /// Print the full trace as a text timeline.
    #[arg(long)]
    pub trace: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn execute(args: &ReplayArgs) -> i32 {
    let path = args.repro.display();
    let text = match scenarios::input::read_text_limited(&args.repro, "repro file", scenarios::repro::MAX_FILE_BYTES) {
        Ok(t) => t,
        Err(e) => return bad_input(e),
    };
    if ExploreRepro::looks_like(&text) {
        return explore_replay(args, &text);
    }
    let repro = match Repro::parse(&text) {
        Ok(r) => r,
        Err(e) => return bad_input(format!("{path}: {e}")),
    };
    let trace = if args.trace { TraceLevel::Full } else { TraceLevel::HashOnly };
    let replay = match repro.replay(trace) {
        Ok(r) => r,
        Err(e @ ReproError::CannotReplay(_)) | Err(e @ ReproError::Invalid(_)) => {
            return bad_input(format!("{path}: {e}"))
        }
    };
    if args.trace && !args.json {
        print!("{}", super::shared::timeline(&replay.report.trace));
        println!();
    }
    if args.json {
        let mut j = report_json(&replay.report, None);
        j["reproduced"] = serde_json::json!(replay.identical);
        j["recorded_trace_hash"] = serde_json::json!(repro.trace_hash);
        j["explanation"] = serde_json::json!(replay.explanation);
        println!("{j}");
    } else {
        print_report(&replay.report, None);
        if replay.identical {
            println!("replay      reproduced bit for bit (trace hash {} as recorded)", repro.trace_hash);
        } else {
            println!(
                "replay      DIVERGED: recorded trace hash {}, now {}\n            {}",
                repro.trace_hash,
                replay.report.trace_hash_hex(),
                replay.explanation.as_deref().unwrap_or("")
            );
        }
    }
    if !replay.identical {
        // A repro that does not reproduce is bad input for this version: say so loudly.
        return 2;
    }
    replay.report.verdict.exit_code()
}

/// A counterexample of `faultline check`: its schedule played through the
/// simulator. Exit 1 when it reaches the recorded violation, 2 when not.
fn explore_replay(args: &ReplayArgs, text: &str) -> i32 {
    let path = args.repro.display();
    let repro = match ExploreRepro::parse(text) {
        Ok(r) => r,
        Err(e) => return bad_input(format!("{path}: {e}")),
    };
    let replay = match repro.replay() {
        Ok(r) => r,
        Err(e) => return bad_input(format!("{path}: {e}")),
    };
    if args.trace && !args.json {
        print!("{}", super::shared::timeline(&replay.report.trace));
        println!();
    }
    if args.json {
        let mut j = report_json(&replay.report, None);
        j["schedule_steps"] = serde_json::json!(repro.steps.len());
        j["reproduced"] = serde_json::json!(replay.reproduced);
        j["recorded_violation"] = serde_json::json!(repro.violation);
        j["explanation"] = serde_json::json!(replay.explanation);
        println!("{j}");
    } else {
        print_report(&replay.report, None);
        if replay.reproduced {
            println!(
                "replay      the {} scheduled events reached the explorer's violation in the simulator: {}",
                repro.steps.len(),
                repro.violation
            );
        } else {
            println!(
                "replay      DIVERGED: the explorer saw {}\n            {}",
                repro.violation,
                replay.explanation.as_deref().unwrap_or("")
            );
        }
    }
    if !replay.reproduced {
        return 2;
    }
    replay.report.verdict.exit_code()
}
