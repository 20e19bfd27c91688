//! `faultline causal HISTORY [--level cc|cm|ccv|all] [--sessions] [--json]`:
//! judges a JSON history for causal consistency (CC, CM, CCv by their bad
//! patterns; see `checkers::causal`).
//!
//! Exit codes: 0 every level asked for holds (and every session guarantee,
//! with `--sessions`), 1 a violation, 2 bad input (the message names the file
//! and line), 3 unknown (not produced today: the checker is polynomial and
//! always decides).

use checkers::causal::{self, CausalInputError, CausalReport, CheckOptions, Level};
use checkers::History;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LevelArg {
    Cc,
    Cm,
    Ccv,
    All,
}

#[derive(clap::Args, Debug, Clone)]
pub struct CausalArgs {
    /// History file: faultline JSON (one event per line, or a JSON array;
    /// at most 128 MiB and 1,000,000 events, see `faultline --help`).
    pub history: PathBuf,
    /// Consistency level to decide.
    #[arg(long, value_enum, default_value = "all")]
    pub level: LevelArg,
    /// Also report the session guarantees (read-your-writes, monotonic
    /// reads, monotonic writes, writes-follow-reads).
    #[arg(long)]
    pub sessions: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub const EXIT_HOLDS: i32 = 0;
pub const EXIT_VIOLATION: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;

pub fn execute(args: &CausalArgs) -> i32 {
    let path = args.history.as_path();
    let text = match scenarios::input::read_text_limited(path, "history", checkers::formats::MAX_HISTORY_BYTES) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let history = match History::from_json_str(&text) {
        Ok(h) => h,
        Err(e) => {
            // Parse errors (serde's, which say "at line L column C") carry
            // the file line; validation errors count events, which
            // `event_line` turns back into file lines.
            let is_parse_error = e.message.contains(" column ");
            let line = if is_parse_error { Some(e.line) } else { event_line(&text, e.line.saturating_sub(1)) };
            eprintln!("error: {}:{}: {}", path.display(), line.unwrap_or(e.line), e.message);
            return EXIT_BAD_INPUT;
        }
    };
    let options = CheckOptions { levels: levels(args.level), sessions: args.sessions };
    let report = match causal::check_history(&history, &options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}", input_error_message(path, &text, &e));
            return EXIT_BAD_INPUT;
        }
    };
    let holds = report.all_hold() && sessions_hold(&report);
    if args.json {
        print_json(path, &text, &report, holds);
    } else {
        print_text(path, &text, &report);
    }
    if holds {
        EXIT_HOLDS
    } else {
        EXIT_VIOLATION
    }
}

fn levels(arg: LevelArg) -> Vec<Level> {
    match arg {
        LevelArg::Cc => vec![Level::CC],
        LevelArg::Cm => vec![Level::CM],
        LevelArg::Ccv => vec![Level::CCv],
        LevelArg::All => Level::ALL.to_vec(),
    }
}

fn sessions_hold(report: &CausalReport) -> bool {
    match &report.sessions {
        Some(s) => s.violations.is_empty() && s.verdicts.as_ref().map_or(true, |v| v.iter().all(|g| g.holds)),
        None => true,
    }
}

/// The 1-based file line of the event with this 0-based index, for the
/// JSON-lines format (blank and `#` lines skipped, as the parser does).
/// `None` for the JSON-array format.
fn event_line(text: &str, event: usize) -> Option<usize> {
    if text.trim_start().starts_with('[') {
        return None;
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#')
        })
        .nth(event)
        .map(|(i, _)| i + 1)
}

fn where_is(path: &Path, text: &str, event: usize) -> String {
    match event_line(text, event) {
        Some(line) => format!("{}:{line}", path.display()),
        None => format!("{} (event {event})", path.display()),
    }
}

fn input_error_message(path: &Path, text: &str, e: &CausalInputError) -> String {
    match e.other_event {
        Some(other) => format!(
            "{}: {} (first written at {})",
            where_is(path, text, e.event),
            e.message,
            where_is(path, text, other)
        ),
        None => format!("{}: {}", where_is(path, text, e.event), e.message),
    }
}

fn print_text(path: &Path, text: &str, report: &CausalReport) {
    let s = &report.stats;
    println!(
        "{}: {} operations ({} writes, {} reads) in {} sessions, {} ignored",
        path.display(),
        s.operations,
        s.writes,
        s.reads,
        s.sessions,
        s.ignored
    );
    for v in &report.levels {
        println!("  {:<4} {}", v.level.to_string(), if v.holds { "holds" } else { "VIOLATED" });
    }
    if let Some(sessions) = &report.sessions {
        match &sessions.verdicts {
            None => println!("  session guarantees: not judged (the causal order is cyclic)"),
            Some(verdicts) => {
                for g in verdicts {
                    let verdict =
                        if g.holds { "holds".to_string() } else { format!("VIOLATED ({} reads)", g.violations) };
                    println!("  {:<20} {verdict}", g.guarantee.name());
                }
            }
        }
    }
    if !report.violations.is_empty() {
        println!("bad patterns:");
        for (pattern, count) in &report.counts {
            let pattern_levels: Vec<String> = pattern.violates().iter().map(|l| l.to_string()).collect();
            println!("  {pattern}: {count} (rules out {})", pattern_levels.join(", "));
        }
        for v in &report.violations {
            println!("{}: {}", v.pattern, v.explanation);
            for r in &v.ops {
                println!("    {:<20} {}  [{}]", r.role, r.op, where_is(path, text, r.op.event));
            }
        }
    }
    if let Some(sessions) = &report.sessions {
        for v in &sessions.violations {
            println!("{}: {}", v.guarantee.name(), v.explanation);
            for r in &v.ops {
                println!("    {:<20} {}  [{}]", r.role, r.op, where_is(path, text, r.op.event));
            }
        }
    }
}

fn print_json(path: &Path, text: &str, report: &CausalReport, holds: bool) {
    // Lines of every operation named, so tools can point into the file.
    let mut lines = std::collections::BTreeMap::new();
    let named = report
        .violations
        .iter()
        .flat_map(|v| v.ops.iter())
        .chain(report.sessions.iter().flat_map(|s| s.violations.iter().flat_map(|v| v.ops.iter())));
    for r in named {
        if let Some(line) = event_line(text, r.op.event) {
            lines.insert(r.op.event.to_string(), line);
        }
    }
    let out = serde_json::json!({
        "file": path.display().to_string(),
        "verdict": if holds { "holds" } else { "violated" },
        "report": report,
        "event_lines": lines,
    });
    println!("{}", serde_json::to_string_pretty(&out).expect("report serialises"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_lines_skip_blank_and_comment_lines() {
        let text = "# comment\n\n{\"a\":1}\n{\"b\":2}\n";
        assert_eq!(event_line(text, 0), Some(3));
        assert_eq!(event_line(text, 1), Some(4));
        assert_eq!(event_line("[{}]", 0), None);
    }
}
