//! `faultline list`: scenarios, protocols, bug variants and checkers.

use scenarios::registry;
use serde_json::json;

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Show each scenario's full description (the paragraph a student reads).
    #[arg(long)]
    pub long: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn execute(args: &ListArgs) -> i32 {
    let scenarios = registry::builtin();
    if args.json {
        let protocols: Vec<_> =
            registry::protocols().iter().map(|p| json!({ "name": p, "bugs": registry::bugs_of(p) })).collect();
        let list: Vec<_> = scenarios
            .iter()
            .map(|s| json!({ "name": s.name, "protocol": s.protocol, "bug": s.bug, "description": s.description, "long": s.long }))
            .collect();
        println!("{}", json!({ "scenarios": list, "protocols": protocols, "checkers": registry::CHECKERS }));
        return 0;
    }
    println!("SCENARIOS");
    let width = scenarios.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in &scenarios {
        println!("  {:width$}  {:<6} {}", s.name, s.protocol, s.description);
        if args.long {
            for line in wrap(&s.long, 76) {
                println!("  {:width$}         {line}", "");
            }
            println!();
        }
    }
    println!("\nPROTOCOLS AND BUG VARIANTS");
    for p in registry::protocols() {
        let bugs = registry::bugs_of(p);
        println!("  {p:<8} bugs: {}", if bugs.is_empty() { "none".into() } else { bugs.join(", ") });
    }
    println!("\nCHECKERS (invariants always run)\n  {}", registry::CHECKERS.join(", "));
    println!("\nRun one:  faultline run raft-basic --seed 1");
    0
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
