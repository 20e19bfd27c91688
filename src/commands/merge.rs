//! `faultline merge RESULTS...`: combine the JSON-lines results of many
//! shards (or campaigns) into one summary, a JUnit file, and one sorted
//! results file. The same (scenario, seed) seen twice is counted once; seen
//! with different trace hashes, it is reported as a conflict (exit 1).

use super::shared::bad_input;
use scenarios::campaign::{self, ResultLine, Summary};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example (after a sharded CI matrix):\n  faultline merge results/*.jsonl --junit junit.xml --out all.jsonl\n\nExit codes: 0 nothing found, 1 violations found (or conflicting results), 2 bad input."
)]
pub struct MergeArgs {
    /// Results files written by `faultline fuzz --json` (a torn last line is skipped with a warning).
    #[arg(required = true)]
    pub results: Vec<PathBuf>,
    /// Write a JUnit XML report of the merged results.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Write the merged results, sorted by scenario and seed, one JSON line each.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the summary as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn execute(args: &MergeArgs) -> i32 {
    let mut lines: Vec<ResultLine> = Vec::new();
    for path in &args.results {
        match campaign::read_results(path) {
            Ok((mut l, warnings)) => {
                for w in warnings {
                    eprintln!("warning: {w}");
                }
                lines.append(&mut l);
            }
            Err(e) => return bad_input(e),
        }
    }
    // A stable order independent of how shards finished: by scenario, then
    // seed (corpus entries, which have none, by their file).
    lines.sort_by(|a, b| (&a.scenario, a.seed, &a.corpus).cmp(&(&b.scenario, b.seed, &b.corpus)));
    let summary = Summary::of(&lines);
    if let Some(path) = &args.out {
        let mut text = String::new();
        let mut last: Option<(&str, Option<u64>, Option<&str>)> = None;
        for l in &lines {
            let key = (l.scenario.as_str(), l.seed, l.corpus.as_deref());
            if l.seed.is_some() && last == Some(key) {
                continue;
            }
            last = Some(key);
            text.push_str(&l.to_json());
            text.push('\n');
        }
        if let Err(e) = scenarios::repro::write_atomic(path, text.as_bytes()) {
            return bad_input(format!("--out: cannot write {}: {e}", path.display()));
        }
    }
    if let Some(path) = &args.junit {
        let xml = campaign::junit::render(&summary, "faultline fuzz");
        if let Err(e) = scenarios::repro::write_atomic(path, xml.as_bytes()) {
            return bad_input(format!("--junit: cannot write {}: {e}", path.display()));
        }
    }
    if args.json {
        println!("{}", serde_json::to_string(&summary).expect("summaries serialize"));
    } else {
        println!("merged      {} files", args.results.len());
        print!("{}", summary.render_text());
        if let Some(p) = &args.out {
            println!("results     {}", p.display());
        }
        if let Some(p) = &args.junit {
            println!("junit       {}", p.display());
        }
    }
    if !summary.conflicts.is_empty() {
        1
    } else {
        summary.exit_code()
    }
}
