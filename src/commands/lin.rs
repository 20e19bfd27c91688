//! `faultline lin HISTORY`: judge a recorded history for linearizability.
//!
//! Exit codes: 0 linearizable, 1 not linearizable, 2 bad input (the message
//! names the file and line), 3 unknown (the time or memory budget ran out).

use checkers::formats::{self, Format, ParsedHistory};
use checkers::lin::models::ModelKind;
use checkers::lin::{CheckOptions, LinReport, Verdict};
use checkers::Operation;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug, Clone)]
pub struct LinArgs {
    /// The history file (faultline JSON, Porcupine etcd log or kv, Jepsen EDN;
    /// at most 128 MiB and 1,000,000 events, see `faultline --help`).
    pub history: PathBuf,
    /// The sequential model: register, cas-register, kv, set or queue
    /// [default: from the format; kv for JSON].
    #[arg(long)]
    pub model: Option<ModelKind>,
    /// The input format: json, porcupine-etcd, porcupine-kv or edn
    /// [default: detected from the content and extension; json otherwise].
    #[arg(long)]
    pub format: Option<Format>,
    /// Give up with verdict `unknown` after this long (e.g. 500ms, 10s, 2m).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

pub const EXIT_LINEARIZABLE: i32 = 0;
pub const EXIT_NOT_LINEARIZABLE: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;
pub const EXIT_UNKNOWN: i32 = 3;

/// Parses `500ms`, `10s`, `1.5s`, `2m`, `1h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let bad = || format!("invalid duration `{text}` (expected a number and a unit: 500ms, 10s, 2m, 1h)");
    let n: f64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(bad()),
    };
    let duration = Duration::try_from_secs_f64(seconds).map_err(|_| bad())?;
    // Beyond this, `now + duration` could overflow the clock (a panic).
    if duration > MAX_WALL_DURATION {
        return Err(format!("duration `{text}` is above the limit of 10000h"));
    }
    Ok(duration)
}

/// The longest wall-clock budget `--timeout` / `--time` accept: over a year.
const MAX_WALL_DURATION: Duration = Duration::from_secs(10_000 * 3600);

/// Runs the subcommand; returns the process exit code.
pub fn execute(args: &LinArgs) -> i32 {
    let path = args.history.display();
    let bytes = match scenarios::input::read_limited(&args.history, "history", formats::MAX_HISTORY_BYTES) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("faultline lin: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let format = args.format.unwrap_or_else(|| Format::detect(Some(&args.history), &bytes));
    let parsed = match formats::parse(&bytes, format) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("faultline lin: {path}:{}: {} (format {format})", e.line, e.message);
            return EXIT_BAD_INPUT;
        }
    };
    let model = args.model.unwrap_or_else(|| format.default_model());
    let started = Instant::now();
    let options = CheckOptions::default().with_fail(format.fail_meaning()).with_deadline(started + args.timeout);
    let report = match model.check(&parsed.history, &options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("faultline lin: {path}:{}: {}", parsed.line_of(e.event_index), e.message);
            return EXIT_BAD_INPUT;
        }
    };
    let elapsed = started.elapsed();
    if args.json {
        println!("{}", json_report(&report, &parsed, elapsed));
    } else {
        print!("{}", text_report(&report, &parsed, &path.to_string(), elapsed));
    }
    match report.verdict {
        Verdict::Linearizable => EXIT_LINEARIZABLE,
        Verdict::NotLinearizable(_) => EXIT_NOT_LINEARIZABLE,
        Verdict::Unknown(_) => EXIT_UNKNOWN,
    }
}

fn verdict_name(v: &Verdict) -> &'static str {
    match v {
        Verdict::Linearizable => "linearizable",
        Verdict::NotLinearizable(_) => "not_linearizable",
        Verdict::Unknown(_) => "unknown",
    }
}

fn outcome_name(op: &Operation) -> &'static str {
    match op.outcome {
        checkers::EventType::Ok => "ok",
        checkers::EventType::Fail => "fail",
        checkers::EventType::Info | checkers::EventType::Invoke => "info",
    }
}

fn op_json(op: &Operation, parsed: &ParsedHistory) -> serde_json::Value {
    json!({
        "process": op.process,
        "f": op.f,
        "key": op.key,
        "input": op.input,
        "output": if op.outcome == checkers::EventType::Info { serde_json::Value::Null } else { json!(op.output) },
        "outcome": outcome_name(op),
        "invoke_line": parsed.line_of(op.invoke_index),
        "complete_line": op.complete_index.map(|i| parsed.line_of(i)),
    })
}

fn json_report(report: &LinReport, parsed: &ParsedHistory, elapsed: Duration) -> serde_json::Value {
    let (failing_key, unplaceable, prefix) = match &report.verdict {
        Verdict::NotLinearizable(f) => (
            json!(f.key),
            f.unplaceable.iter().map(|o| op_json(o, parsed)).collect::<Vec<_>>(),
            f.prefix.iter().map(|o| op_json(o, parsed)).collect::<Vec<_>>(),
        ),
        _ => (serde_json::Value::Null, Vec::new(), Vec::new()),
    };
    let unknown_reason = match &report.verdict {
        Verdict::Unknown(u) => json!(u.reason.to_string()),
        _ => serde_json::Value::Null,
    };
    json!({
        "verdict": verdict_name(&report.verdict),
        "model": report.model,
        "format": parsed.format.name(),
        "operations": report.operations,
        "partitions": report.partitions,
        "partitions_checked": report.partitions_checked,
        "failing_key": failing_key,
        "unplaceable": unplaceable,
        "prefix_length": prefix.len(),
        "prefix": prefix,
        "unknown_reason": unknown_reason,
        "steps": report.steps,
        "elapsed_ms": elapsed.as_secs_f64() * 1000.0,
    })
}

fn op_text(op: &Operation, parsed: &ParsedHistory) -> String {
    let lines = match op.complete_index {
        Some(c) => format!("lines {}-{}", parsed.line_of(op.invoke_index), parsed.line_of(c)),
        None => format!("line {}, never completed", parsed.line_of(op.invoke_index)),
    };
    let output = if op.outcome == checkers::EventType::Info { "?".to_string() } else { op.output.to_string() };
    format!("process {} {}({}) -> {} [{}] ({lines})", op.process, op.f, op.input, output, outcome_name(op))
}

fn text_report(report: &LinReport, parsed: &ParsedHistory, path: &str, elapsed: Duration) -> String {
    let mut out = String::new();
    let verdict = match &report.verdict {
        Verdict::Linearizable => "linearizable".to_string(),
        Verdict::NotLinearizable(_) => "NOT linearizable".to_string(),
        Verdict::Unknown(u) => format!("unknown ({})", u.reason),
    };
    out.push_str(&format!("{path}: {verdict}\n"));
    out.push_str(&format!(
        "  model {}, format {}, {} operations in {} partitions ({} checked), {:.1} ms\n",
        report.model,
        parsed.format,
        report.operations,
        report.partitions,
        report.partitions_checked,
        elapsed.as_secs_f64() * 1000.0
    ));
    match &report.verdict {
        Verdict::NotLinearizable(f) => {
            let key = f.key.as_deref().map_or("(no key)".to_string(), |k| format!("{k:?}"));
            out.push_str(&format!("  failing partition: key {key}, {} operations\n", f.partition_ops));
            out.push_str(&format!("  longest linearizable prefix: {} operations\n", f.prefix.len()));
            out.push_str("  could not place:\n");
            for op in &f.unplaceable {
                out.push_str(&format!("    {}\n", op_text(op, parsed)));
            }
        }
        Verdict::Unknown(u) => {
            if let Some(key) = &u.key {
                out.push_str(&format!("  budget ran out in partition key {key:?}\n"));
            }
        }
        Verdict::Linearizable => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, text: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("faultline-lin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn args(path: PathBuf) -> LinArgs {
        LinArgs { history: path, model: None, format: None, timeout: Duration::from_secs(10), json: false }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        for bad in ["", "10", "s", "ten s", "5 parsecs", "-1s"] {
            assert!(parse_duration(bad).unwrap_err().contains("invalid duration"), "{bad}");
        }
        for huge in ["10001h", "3000000000000000h"] {
            assert!(parse_duration(huge).unwrap_err().contains("above the limit of 10000h"), "{huge}");
        }
    }

    #[test]
    fn exit_codes() {
        let good = b"{\"process\": 0, \"type\": \"invoke\", \"f\": \"put\", \"key\": \"x\", \"value\": \"a\"}\n\
{\"process\": 0, \"type\": \"ok\", \"f\": \"put\", \"key\": \"x\", \"value\": \"a\"}\n\
{\"process\": 1, \"type\": \"invoke\", \"f\": \"get\", \"key\": \"x\"}\n\
{\"process\": 1, \"type\": \"ok\", \"f\": \"get\", \"key\": \"x\", \"value\": \"a\"}\n";
        assert_eq!(execute(&args(temp_file("good.jsonl", good))), EXIT_LINEARIZABLE);
        // The get reads a value nobody wrote.
        let bad = String::from_utf8(good.to_vec()).unwrap().replace(
            "\"f\": \"get\", \"key\": \"x\", \"value\": \"a\"",
            "\"f\": \"get\", \"key\": \"x\", \"value\": \"b\"",
        );
        let mut a = args(temp_file("bad.jsonl", bad.as_bytes()));
        assert_eq!(execute(&a), EXIT_NOT_LINEARIZABLE);
        a.json = true;
        assert_eq!(execute(&a), EXIT_NOT_LINEARIZABLE);
        assert_eq!(execute(&args(temp_file("broken.jsonl", b"{\"process\": 0,\n"))), EXIT_BAD_INPUT);
        assert_eq!(execute(&args(PathBuf::from("/nonexistent/history.jsonl"))), EXIT_BAD_INPUT);
        let mut zero = args(temp_file("good2.jsonl", good));
        zero.timeout = Duration::ZERO;
        // A tiny history may finish before the first clock check; either is fine.
        assert!([EXIT_LINEARIZABLE, EXIT_UNKNOWN].contains(&execute(&zero)));
    }

    #[test]
    fn json_report_fields() {
        let text = b"{\"process\": 0, \"type\": \"invoke\", \"f\": \"get\", \"key\": \"k\"}\n\
{\"process\": 0, \"type\": \"ok\", \"f\": \"get\", \"key\": \"k\", \"value\": \"zzz\"}\n";
        let parsed = formats::parse(text, Format::Json).unwrap();
        let report = ModelKind::Kv.check(&parsed.history, &CheckOptions::default()).unwrap();
        let j = json_report(&report, &parsed, Duration::from_millis(1));
        assert_eq!(j["verdict"], "not_linearizable");
        assert_eq!(j["model"], "kv");
        assert_eq!(j["operations"], 1);
        assert_eq!(j["partitions"], 1);
        assert_eq!(j["failing_key"], "k");
        assert_eq!(j["unplaceable"][0]["invoke_line"], 1);
        assert_eq!(j["unplaceable"][0]["complete_line"], 2);
        assert_eq!(j["prefix_length"], 0);
    }
}
