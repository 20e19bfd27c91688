//! Helpers the commands share: exit codes, error printing, scenario loading,
//! and the run summary printed by `run` and `replay`.

use scenarios::{registry, RunReport, Scenario};
use serde_json::{json, Value};
use sim_core::time::format_duration_ns;

pub const EXIT_BAD_INPUT: i32 = 2;

/// Prints an error for bad usage or input and returns exit code 2.
pub fn bad_input(message: impl std::fmt::Display) -> i32 {
    eprintln!("error: {message}");
    EXIT_BAD_INPUT
}

/// A built-in scenario by name, or a scenario JSON file by path.
pub fn load_scenario(name_or_path: &str) -> Result<Scenario, String> {
    if let Some(s) = registry::find(name_or_path) {
        return Ok(s);
    }
    let looks_like_file = name_or_path.ends_with(".json") || name_or_path.contains('/') || name_or_path.contains('\\');
    if looks_like_file || std::path::Path::new(name_or_path).is_file() {
        let text = scenarios::input::read_text_limited(
            std::path::Path::new(name_or_path),
            "scenario file",
            scenarios::scenario::MAX_FILE_BYTES,
        )?;
        return Scenario::from_json(&text).map_err(|e| format!("scenario file `{name_or_path}`: {e}"));
    }
    let names: Vec<String> = registry::builtin().into_iter().map(|s| s.name).collect();
    Err(format!(
        "unknown scenario `{name_or_path}`; built-in scenarios are: {} (or give a path to a .json scenario file)",
        names.join(", ")
    ))
}

/// The machine-readable summary of a run.
pub fn report_json(report: &RunReport, repro: Option<&str>) -> Value {
    let ok = report.history.events.iter().filter(|e| e.kind == checkers::EventType::Ok).count();
    let info = report.history.events.iter().filter(|e| e.kind == checkers::EventType::Info).count();
    json!({
        "verdict": report.verdict,
        "scenario": report.scenario.name,
        "protocol": report.scenario.protocol,
        "bug": report.scenario.bug,
        "seed": match &report.choices { sim_core::ChoiceSource::Seed(s) => json!(s), _ => Value::Null },
        "trace_hash": report.trace_hash_hex(),
        "events": report.result.stats.events,
        "sim_time_ns": report.result.stats.sim_time_ns,
        "outcome": report.result.outcome,
        "violations": report.findings,
        "unknown": report.unknown,
        "faults": report.schedule.len(),
        "operations": { "ok": ok, "info": info },
        "stats": report.result.stats,
        "repro": repro,
    })
}

/// The human summary of a run.
pub fn print_report(report: &RunReport, repro: Option<&str>) {
    let s = &report.scenario;
    let bug = s.bug.as_deref().map(|b| format!(", bug {b}")).unwrap_or_default();
    println!("scenario    {} ({}{bug}, {} nodes, {} clients)", s.name, s.protocol, s.nodes, s.workload.clients);
    match &report.choices {
        sim_core::ChoiceSource::Seed(seed) => println!("seed        {seed}"),
        tape => println!("choices     {}", tape.describe()),
    }
    let verdict = match report.verdict {
        scenarios::Verdict::Held => "HELD (every check passed)".to_string(),
        scenarios::Verdict::Violation => "VIOLATION".to_string(),
        scenarios::Verdict::Unknown if report.unknown.is_empty() => "UNKNOWN (the event budget ran out)".to_string(),
        scenarios::Verdict::Unknown => format!("UNKNOWN ({})", report.unknown.join("; ")),
    };
    println!("verdict     {verdict}");
    for f in &report.findings {
        let at = f.time_ns.map(|t| format!(" at {}", format_duration_ns(t))).unwrap_or_default();
        let node = f.node.map(|n| format!(" on n{n}")).unwrap_or_default();
        println!("  {} {}{node}{at}: {}", f.kind, f.name, f.detail);
    }
    let st = &report.result.stats;
    println!(
        "events      {} in {} simulated ({} messages, {} dropped, {} duplicated)",
        st.events,
        format_duration_ns(st.sim_time_ns),
        st.messages_sent,
        st.messages_dropped,
        st.messages_duplicated
    );
    // Only adversarial worlds have these; honest runs print as they always did.
    if st.messages_rejected > 0 || st.byzantine_actions > 0 {
        println!(
            "byzantine   {} Byzantine actions, {} messages rejected (forged or corrupted)",
            st.byzantine_actions, st.messages_rejected
        );
    }
    if !report.history.is_empty() {
        let ok = report.history.events.iter().filter(|e| e.kind == checkers::EventType::Ok).count();
        let info = report.history.events.iter().filter(|e| e.kind == checkers::EventType::Info).count();
        println!("operations  {ok} ok, {info} unknown (info)");
    }
    println!(
        "faults      {}",
        if report.schedule.is_empty() { "none".to_string() } else { format!("{} scheduled", report.schedule.len()) }
    );
    println!("trace hash  {}", report.trace_hash_hex());
    if let Some(path) = repro {
        println!("repro       {path}");
        println!("            replay it: faultline replay {path} --trace");
    }
}

/// The text timeline for `--trace`: Lamport times, colour on a terminal.
pub fn timeline(trace: &[sim_core::TraceEvent]) -> String {
    use std::io::IsTerminal;
    let options =
        reports::timeline::TextOptions { verbose: false, color: std::io::stdout().is_terminal(), lamport: true };
    reports::timeline::render_text_with(trace, options)
}
