//! The command line as a user meets it: exit codes, messages that name the
//! problem, repro files that replay.

use std::process::{Command, Output};

fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).output().expect("faultline runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn run_prints_verdict_and_hash_and_exits_0() {
    let o = faultline(&["run", "raft-basic", "--seed", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("HELD"), "{out}");
    assert!(out.contains("trace hash"), "{out}");
}

#[test]
fn run_json_has_the_promised_fields() {
    let o = faultline(&["run", "raft-lossy", "--seed", "2", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for field in ["verdict", "seed", "scenario", "trace_hash", "events", "violations"] {
        assert!(v.get(field).is_some(), "missing {field} in {v}");
    }
    assert_eq!(v["verdict"], "held");
    assert_eq!(v["seed"], 2);
}

#[test]
fn a_violation_exits_1_writes_a_repro_and_replay_reproduces_it() {
    let dir = temp_dir("repro");
    let out = dir.to_str().unwrap();
    let o = faultline(&["run", "raft-no-log-check", "--seed", "1", "--json", "--out", out]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"], "violation");
    let repro = v["repro"].as_str().expect("repro path").to_string();
    let hash = v["trace_hash"].as_str().unwrap().to_string();
    let r = faultline(&["replay", &repro, "--json"]);
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    let rv: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(rv["reproduced"], true);
    assert_eq!(rv["trace_hash"], hash.as_str());
}

#[test]
fn an_unknown_scenario_is_named_and_exits_2() {
    let o = faultline(&["run", "raft-bogus", "--seed", "1"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("unknown scenario `raft-bogus`"), "{e}");
    assert!(e.contains("raft-basic"), "lists the known ones: {e}");
}

#[test]
fn a_malformed_scenario_file_names_the_problem_and_exits_2() {
    let dir = temp_dir("malformed");
    let cases = [
        ("syntax.json", "{\"nodes\": 3,,}", "line 1"),
        ("unknown_field.json", "{\"nodes\": 3, \"colour\": \"red\"}", "colour"),
        ("wrong_type.json", "{\"workload\": {\"clients\": \"many\"}}", "workload.clients"),
        ("bad_protocol.json", "{\"protocol\": \"zab\"}", "unknown protocol `zab`"),
        ("bad_bug.json", "{\"protocol\": \"raft\", \"bug\": \"sleepy\"}", "`sleepy` is not a bug variant"),
        (
            "bad_fault.json",
            "{\"faults\": [{\"at_ns\": 5, \"fault\": \"crash\", \"node\": 9}]}",
            "node 9 does not exist",
        ),
        (
            "bad_ratio.json",
            "{\"network\": {\"link\": {\"drop\": {\"numerator\": 3, \"denominator\": 2}}}}",
            "network.link",
        ),
        ("negative.json", "{\"limits\": {\"time_ns\": -5}}", "limits.time_ns"),
        (
            "bad_strategy.json",
            "{\"faults\": [{\"at_ns\": 0, \"fault\": \"byzantine\", \"node\": 1, \"strategy\": \"teleport\"}]}",
            "field `faults[0].strategy`: unknown Byzantine strategy `teleport` for raft (known: silent, equivocate, replay, corrupt, forge, lie-about-state)",
        ),
        (
            "no_strategy.json",
            "{\"faults\": [{\"at_ns\": 0, \"fault\": \"byzantine\", \"node\": 1}]}",
            "strategy",
        ),
        (
            "bad_adversary.json",
            "{\"network\": {\"link\": {\"adversary\": {\"forge\": {\"numerator\": 3, \"denominator\": 2}}}}}",
            "network.link",
        ),
        (
            "adversary_typo.json",
            "{\"network\": {\"link\": {\"adversary\": {\"forgery\": {\"numerator\": 1, \"denominator\": 2}}}}}",
            "forgery",
        ),
    ];
    for (name, text, expected) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let o = faultline(&["run", path.to_str().unwrap(), "--seed", "1"]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains(expected), "{name}: expected `{expected}` in: {e}");
        assert!(!e.contains("panicked"), "{name}: {e}");
    }
    let o = faultline(&["run", dir.join("missing.json").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read"), "{}", stderr(&o));
}

#[test]
fn a_scenario_file_with_defaults_runs() {
    let dir = temp_dir("custom");
    let path = dir.join("mine.json");
    std::fs::write(&path, r#"{"name": "mine", "nodes": 3, "workload": {"clients": 2, "ops_per_client": 10}}"#).unwrap();
    let o = faultline(&["run", path.to_str().unwrap(), "--seed", "7", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["scenario"], "mine");
}

#[test]
fn out_of_range_values_are_named_and_exit_2() {
    let cases: [(&[&str], &str); 6] = [
        (&["run", "raft-basic", "--nodes", "0"], "nodes"),
        (&["run", "raft-basic", "--nodes", "100000"], "nodes"),
        (&["run", "raft-basic", "--loss", "150%"], "more than 1"),
        (&["run", "raft-basic", "--time", "ten"], "not a duration"),
        (&["run", "raft-basic", "--seed", "-3"], "seed"),
        (&["run", "raft-basic", "--bug", "sleepy"], "`sleepy` is not a bug variant"),
    ];
    for (args, expected) in cases {
        let o = faultline(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{args:?}: expected `{expected}` in {}", stderr(&o));
    }
}

#[test]
fn a_bad_repro_file_is_named_and_exits_2() {
    let dir = temp_dir("badrepro");
    let path = dir.join("r.json");
    std::fs::write(&path, r#"{"format_version": 1}"#).unwrap();
    let o = faultline(&["replay", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing field"), "{}", stderr(&o));
}

#[test]
fn the_event_budget_gives_unknown_exit_3() {
    let o = faultline(&["run", "raft-basic", "--max-events", "100"]);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    assert!(stdout(&o).contains("UNKNOWN"));
}

#[test]
fn list_shows_every_scenario_and_json_parses() {
    let o = faultline(&["list", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = v["scenarios"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    for n in [
        "raft-basic",
        "raft-partition",
        "raft-crash-recovery",
        "raft-lossy",
        "raft-no-log-check",
        "raft-commit-old-term",
        "raft-forget-vote",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    let o = faultline(&["list", "--long"]);
    assert!(stdout(&o).contains("Figure 8"));
}

#[test]
fn check_writes_a_counterexample_that_replay_plays_in_the_simulator_and_report_draws() {
    let dir = temp_dir("explore");
    let out = dir.to_str().unwrap();
    let args = ["check", "raft-actors", "--bug", "no-log-check", "--timeouts", "2", "--json", "--out", out];
    let o = faultline(&args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let steps = v["verdicts"][0]["path_length"].as_u64().expect("a counterexample");
    let repro = v["repro"].as_str().expect("repro path").to_string();

    // Shortest: BFS over paths one step shorter finds nothing.
    let depth = steps.to_string(); // states at depth <= steps: paths of steps - 1 actions
    let shorter = faultline(&["check", "raft-actors", "--bug", "no-log-check", "--timeouts", "2", "--depth", &depth]);
    assert_eq!(shorter.status.code(), Some(3), "{}", stdout(&shorter));

    let r = faultline(&["replay", &repro, "--json"]);
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    let rv: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(rv["reproduced"], true, "{rv}");
    assert_eq!(rv["schedule_steps"], steps);
    assert_eq!(rv["recorded_violation"]["invariant"], "leader-completeness");
    assert_eq!(rv["violations"][0]["name"], "leader-completeness", "{rv}");

    let svg = dir.join("cx.svg");
    let d = faultline(&["report", &repro, "--svg", svg.to_str().unwrap()]);
    assert_eq!(d.status.code(), Some(0), "{}", stderr(&d));
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(drawn.contains("<svg") && drawn.contains("leader-completeness"), "{}", &drawn[..drawn.len().min(400)]);

    // A file that names no known model is bad input, named.
    let bad = dir.join("bad.json");
    let text = std::fs::read_to_string(&repro).unwrap().replace("\"raft-actors\"", "\"nope-actors\"");
    std::fs::write(&bad, text).unwrap();
    let b = faultline(&["replay", bad.to_str().unwrap()]);
    assert_eq!(b.status.code(), Some(2));
    assert!(stderr(&b).contains("field `model`"), "{}", stderr(&b));
}

#[test]
fn check_dot_writes_the_state_graph_of_a_small_model_and_refuses_a_large_one() {
    let dir = temp_dir("dot");
    let file = dir.join("2pc.dot");
    let o = faultline(&["check", "2pc-model", "--rms", "3", "--dot", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dot = std::fs::read_to_string(&file).unwrap();
    assert!(dot.starts_with("digraph states {"), "{}", &dot[..dot.len().min(200)]);
    // 288 states, as the check counts them (each node line has a tooltip; edges have none).
    assert_eq!(dot.matches("tooltip=").count(), 288);
    let big = faultline(&["check", "2pc-model", "--rms", "6", "--dot", dir.join("big.dot").to_str().unwrap()]);
    assert_eq!(big.status.code(), Some(2));
    assert!(stderr(&big).contains("--dot: the state graph has more than 5000 states"), "{}", stderr(&big));
}

#[test]
fn adversarial_runs_count_byzantine_actions_and_rejections_and_honest_runs_do_not() {
    let o = faultline(&["run", "pbft-byzantine-replica-forge", "--seed", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let line = stdout(&o).lines().find(|l| l.starts_with("byzantine")).map(str::to_string);
    let line = line.unwrap_or_else(|| panic!("no byzantine line in:\n{}", stdout(&o)));
    let numbers: Vec<u64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    assert!(numbers.len() == 2 && numbers[0] > 0 && numbers[1] > 0, "{line}");
    let honest = faultline(&["run", "raft-basic", "--seed", "1"]);
    assert!(!stdout(&honest).contains("byzantine"), "{}", stdout(&honest));
}
