//! What each fuzz target does with its bytes. Every function must return
//! (an error is fine) without panicking, hanging or allocating without
//! bound; the properties asserted here are ones a correct parser keeps.

use checkers::formats::{self, Format};
use scenarios::{Repro, Scenario};
use sim_core::{ChoiceSource, TraceLevel};

/// Events a fuzzed scenario may run for: enough to reach faults, clients
/// and the judge, small enough for thousands of executions a second.
const FUZZ_EVENTS: u64 = 3_000;

/// A history in `format`; a parsed one is also judged (linearizability with
/// a small step budget, and causal consistency for JSON), as `lin` and
/// `causal` would.
pub fn history(data: &[u8], format: Format) {
    let Ok(parsed) = formats::parse(data, format) else { return };
    for i in 0..parsed.history.events.len() {
        assert!(parsed.line_of(i) >= 1);
    }
    let options = checkers::lin::CheckOptions {
        fail: format.fail_meaning(),
        max_steps: Some(5_000),
        max_memory_bytes: 16 << 20,
        ..Default::default()
    };
    let _ = format.default_model().check(&parsed.history, &options);
    if format == Format::Json {
        let _ = checkers::causal::check_history(&parsed.history, &checkers::causal::CheckOptions::default());
    }
}

/// A scenario file; a valid one survives a JSON round trip and runs to a
/// verdict.
pub fn scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(mut scenario) = Scenario::from_json(text) else { return };
    let again = Scenario::from_json(&scenario.to_json_pretty()).expect("a valid scenario's JSON parses again");
    assert_eq!(again, scenario, "the JSON round trip changed the scenario");
    scenario.limits.events = scenario.limits.events.min(FUZZ_EVENTS);
    let seed = data.len() as u64;
    let options = scenarios::RunOptions { trace: TraceLevel::HashOnly, record_tape: false };
    scenarios::run(&scenario, &ChoiceSource::Seed(seed), &options).expect("a validated scenario runs");
}

/// A repro file; a valid one survives a JSON round trip, and its replay
/// either runs (small budgets only) or says why it cannot.
pub fn repro(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(mut repro) = Repro::parse(text) else { return };
    let again = Repro::parse(&repro.to_json()).expect("a valid repro's JSON parses again");
    assert_eq!(again, repro, "the JSON round trip changed the repro");
    // A bigger budget is clamped, which edits the scenario: the replay must
    // then refuse (scenario hash) rather than run.
    let clamped = repro.scenario.limits.events > FUZZ_EVENTS;
    repro.scenario.limits.events = repro.scenario.limits.events.min(FUZZ_EVENTS);
    let result = repro.replay(TraceLevel::HashOnly);
    if clamped {
        assert!(result.is_err(), "an edited scenario replayed");
    }
}

/// The hand-written command-line value parsers.
pub fn cli_values(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(ns) = sim_core::time::parse_duration_ns(text) {
        let _ = sim_core::time::format_duration_ns(ns);
    }
    if let Ok(range) = scenarios::campaign::SeedRange::parse(text) {
        let _ = format!("{range:?}");
    }
    let _ = scenarios::campaign::Shard::parse(text);
}
