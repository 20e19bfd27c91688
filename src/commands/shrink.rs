//! `faultline shrink REPRO.json`: minimise a failing run to a small tape
//! repro that shows the same violation and replays bit for bit. The work is
//! `scenarios::shrink`; this file reads the file, prints before and after.

use super::shared::bad_input;
use scenarios::shrink::{shrink_repro, ShrinkError, ShrinkOptions, Size};
use scenarios::Repro;
use serde_json::json;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit codes: 0 the shrunk repro was written, 1 it was written but did not replay (a determinism bug), 2 bad input (unreadable file, a repro that does not replay, or one without a violation)."
)]
pub struct ShrinkArgs {
    /// A repro file with a violation (from `run`, `fuzz` or `replay`).
    pub repro: PathBuf,
    /// Where to write the shrunk repro (default: beside the input, `<name>-shrunk.json`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// At most this many runs (each candidate edit is one run).
    #[arg(long, default_value_t = ShrinkOptions::default().max_runs)]
    pub max_runs: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn execute(args: &ShrinkArgs) -> i32 {
    let path = args.repro.display();
    if args.max_runs == 0 {
        return bad_input("--max-runs: must be at least 1");
    }
    let text = match scenarios::input::read_text_limited(&args.repro, "repro file", scenarios::repro::MAX_FILE_BYTES) {
        Ok(t) => t,
        Err(e) => return bad_input(e),
    };
    let repro = match Repro::parse(&text) {
        Ok(r) => r,
        Err(e) => return bad_input(format!("{path}: {e}")),
    };
    let shrunk = match shrink_repro(&repro, &ShrinkOptions { max_runs: args.max_runs }) {
        Ok(s) => s,
        Err(e @ ShrinkError::NoViolation) | Err(e @ ShrinkError::Repro(_)) => return bad_input(format!("{path}: {e}")),
    };
    let out = args.out.clone().unwrap_or_else(|| {
        let stem = args.repro.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "repro".into());
        args.repro.with_file_name(format!("{stem}-shrunk.json"))
    });
    if let Err(e) = shrunk.repro.write_atomic(&out) {
        return bad_input(format!("--out: cannot write {}: {e}", out.display()));
    }
    let (b, a): (&Size, &Size) = (&shrunk.before, &shrunk.after);
    if args.json {
        let j = json!({
            "input": path.to_string(),
            "output": out.display().to_string(),
            "kind": shrunk.kind,
            "name": shrunk.name,
            "events_before": b.events,
            "events_after": a.events,
            "faults_before": b.faults,
            "faults_after": a.faults,
            "operations_before": b.operations,
            "operations_after": a.operations,
            "clients_before": b.clients,
            "clients_after": a.clients,
            "ops_per_client_before": b.ops_per_client,
            "ops_per_client_after": a.ops_per_client,
            "draws_before": b.draws,
            "draws_after": a.draws,
            "runs": shrunk.runs,
            "edits": shrunk.edits,
            "budget_exhausted": shrunk.budget_exhausted,
            "replays": shrunk.replays,
            "trace_hash": shrunk.repro.trace_hash,
        });
        println!("{j}");
    } else {
        println!("violation   {} {} (kept throughout)", shrunk.kind, shrunk.name);
        println!("            before -> after");
        let row = |label: &str, x: u64, y: u64| {
            let pct = if x > 0 { format!("  ({:.0}%)", 100.0 * y as f64 / x as f64) } else { String::new() };
            println!("{label:<12}{x:>6} -> {y}{pct}");
        };
        row("events", b.events, a.events);
        row("faults", b.faults, a.faults);
        row("operations", b.operations, a.operations);
        row("clients", b.clients, a.clients);
        row("draws", b.draws, a.draws);
        println!(
            "runs        {} tried, {} edits kept{}",
            shrunk.runs,
            shrunk.edits,
            if shrunk.budget_exhausted { " (the run budget ran out: --max-runs for more)" } else { "" }
        );
        println!(
            "replays     {}",
            if shrunk.replays { "bit for bit" } else { "NO (a determinism bug: please report it)" }
        );
        println!("shrunk      {}", out.display());
        println!("            replay it: faultline replay {} --trace", out.display());
    }
    if shrunk.replays {
        0
    } else {
        1
    }
}
