//! A repro from another faultline version, another repro format, or with an
//! edited scenario says exactly why it cannot replay, and never replays
//! silently differently.

use scenarios::{check, Repro, ReproError};
use sim_core::TraceLevel;

fn repro_json() -> serde_json::Value {
    let report = check("echo-double-pong", 1);
    serde_json::from_str(&Repro::from_report(&report).to_json()).unwrap()
}

fn parse(v: &serde_json::Value) -> Result<Repro, ReproError> {
    Repro::parse(&serde_json::to_string_pretty(v).unwrap())
}

#[test]
fn another_format_is_named_even_when_its_fields_no_longer_parse() {
    let mut v = repro_json();
    v["format_version"] = 3.into();
    v["added_in_format_3"] = true.into();
    let e = parse(&v).unwrap_err();
    assert_eq!(
        e,
        ReproError::CannotReplay("the file has repro format 3, this faultline reads formats 1 to 2".into()),
        "{e}"
    );
    // Parsable but of another format: refused at replay, with the same reason.
    let mut v = repro_json();
    v["format_version"] = 3.into();
    let e = parse(&v).unwrap().replay(TraceLevel::HashOnly).unwrap_err().to_string();
    assert!(e.contains("repro format 3, this faultline reads formats 1 to 2"), "{e}");
}

#[test]
fn another_faultline_version_is_named() {
    let mut v = repro_json();
    v["faultline_version"] = "0.0.1".into();
    v["scenario"]["added_in_0_0_1"] = 1.into();
    let e = parse(&v).unwrap_err().to_string();
    assert!(e.contains("cannot replay: the file was written by faultline 0.0.1, this is faultline"), "{e}");

    // The scenario reads differently here (a default changed, say): not "edited".
    let mut v = repro_json();
    v["faultline_version"] = "0.0.1".into();
    v["scenario"]["nodes"] = 4.into();
    let e = parse(&v).unwrap().replay(TraceLevel::HashOnly).unwrap_err().to_string();
    assert!(e.contains("written by faultline 0.0.1") && e.contains("reads differently here"), "{e}");

    // Same scenario, another trace: the replay runs, says it diverged and why.
    let mut v = repro_json();
    v["faultline_version"] = "0.0.1".into();
    v["trace_hash"] = "0000000000000000".into();
    let replay = parse(&v).unwrap().replay(TraceLevel::HashOnly).unwrap();
    assert!(!replay.identical);
    let why = replay.explanation.unwrap();
    assert!(why.contains("recorded by faultline 0.0.1"), "{why}");
}

#[test]
fn an_edited_scenario_is_named_with_both_hashes() {
    let mut v = repro_json();
    let recorded = v["scenario_hash"].as_str().unwrap().to_string();
    v["scenario"]["nodes"] = 4.into();
    let e = parse(&v).unwrap().replay(TraceLevel::HashOnly).unwrap_err().to_string();
    assert!(e.contains("edited after the run was recorded") && e.contains(&recorded), "{e}");
}
