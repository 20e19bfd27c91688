//! `faultline fuzz`, `shrink` and `merge` as a user (or a CI job) meets them:
//! campaigns find bugs and leave replayable repros, threads and shards never
//! change a run, a killed campaign keeps what it made, shrinking makes runs
//! smaller and keeps the violation.

// The wall clock here times the test harness (polling, the --time deadline), never a run.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).output().expect("faultline runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-fuzz-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad result line {l}: {e}")))
        .collect()
}

/// (scenario, seed, trace hash) of every result line.
fn runs(path: &Path) -> BTreeSet<(String, u64, String)> {
    lines(path)
        .iter()
        .map(|v| {
            (
                v["scenario"].as_str().unwrap().to_string(),
                v["seed"].as_u64().unwrap(),
                v["trace_hash"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn replay_json(path: &str) -> serde_json::Value {
    let r = faultline(&["replay", path, "--json"]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stderr));
    serde_json::from_slice(&r.stdout).unwrap()
}

#[test]
fn a_campaign_finds_the_bug_writes_replayable_repros_results_and_junit() {
    let dir = temp_dir("find");
    let (results, junit, out) = (dir.join("r.jsonl"), dir.join("junit.xml"), dir.join("out"));
    let o = faultline(&[
        "fuzz",
        "raft-no-log-check",
        "raft-basic",
        "--seeds",
        "1..5",
        "--jobs",
        "2",
        "--json",
        s(&results),
        "--junit",
        s(&junit),
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("every seed ran"), "{stdout}");
    assert!(stdout.contains("raft-no-log-check invariant"), "{stdout}");
    let v = lines(&results);
    assert_eq!(v.len(), 8, "4 seeds x 2 scenarios");
    for line in &v {
        for field in ["seed", "scenario", "verdict", "trace_hash"] {
            assert!(line.get(field).is_some(), "missing {field}: {line}");
        }
    }
    let repros: Vec<&str> = v.iter().filter_map(|l| l["repro"].as_str()).collect();
    assert!(!repros.is_empty());
    let line = v.iter().find(|l| l["repro"].is_string()).unwrap();
    let replay = replay_json(line["repro"].as_str().unwrap());
    assert_eq!(replay["reproduced"], true);
    assert_eq!(replay["trace_hash"], line["trace_hash"]);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    assert!(xml.contains("faultline replay "), "{xml}");
}

#[test]
fn jobs_and_shards_give_identical_runs_and_merge_combines_shards() {
    let dir = temp_dir("shards");
    let run = |name: &str, extra: &[&str]| {
        let path = dir.join(name);
        let mut args =
            vec!["fuzz", "raft-no-log-check", "raft-lossy", "--seeds", "1..9", "--quiet", "--json", s(&path), "--out"];
        let out = dir.join("out");
        args.push(s(&out));
        args.extend_from_slice(extra);
        let o = faultline(&args);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
        path
    };
    let one = runs(&run("j1.jsonl", &["--jobs", "1"]));
    let two = runs(&run("j2.jsonl", &["--jobs", "2"]));
    assert_eq!(one.len(), 16);
    assert_eq!(one, two);
    let a = run("s0.jsonl", &["--jobs", "2", "--shard", "0/2"]);
    let b = run("s1.jsonl", &["--jobs", "1", "--shard", "1/2"]);
    assert!(runs(&a).iter().all(|(_, seed, _)| seed % 2 == 1), "shard 0 of 1..9 takes 1, 3, 5, 7");
    let merged = dir.join("merged.jsonl");
    let junit = dir.join("junit.xml");
    let o = faultline(&["merge", s(&a), s(&b), "--out", s(&merged), "--junit", s(&junit)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert_eq!(runs(&merged), one);
    assert!(text(&o.stdout).contains("runs        16 ("), "{}", text(&o.stdout));
    // Overlapping inputs are counted once; the summary is machine-readable too.
    let o = faultline(&["merge", s(&a), s(&a), s(&b), "--json"]);
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["runs"], 16);
    assert_eq!(summary["duplicates"], 8);
    assert!(summary["conflicts"].as_array().unwrap().is_empty());
}

#[test]
fn a_killed_campaign_keeps_complete_results_and_valid_repros() {
    let dir = temp_dir("kill");
    let (results, out) = (dir.join("r.jsonl"), dir.join("out"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "fuzz",
            "raft-no-log-check",
            "--seeds",
            "1..100000",
            "--jobs",
            "2",
            "--quiet",
            "--json",
            s(&results),
            "--out",
            s(&out),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::fs::read_to_string(&results).map(|t| t.lines().count()).unwrap_or(0) < 6 {
        assert!(start.elapsed() < Duration::from_secs(120), "no results appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let text = std::fs::read_to_string(&results).unwrap();
    let complete: Vec<&str> = text.split_inclusive('\n').filter(|l| l.ends_with('\n')).collect();
    assert!(complete.len() >= 6);
    for l in &complete {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("line {l}: {e}"));
        if let Some(r) = v["repro"].as_str() {
            assert!(Path::new(r).is_file(), "a result names a repro that was written first: {r}");
        }
    }
    let mut checked = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue; // a temporary file the kill interrupted; never renamed into place
        }
        if checked < 3 {
            assert_eq!(replay_json(s(&p))["reproduced"], true, "{name}");
        } else {
            let o = faultline(&["replay", s(&p), "--json"]);
            assert_ne!(o.status.code(), Some(2), "{name}: {}", String::from_utf8_lossy(&o.stderr));
        }
        checked += 1;
    }
    assert!(checked >= 1);
}

#[cfg(unix)]
#[test]
fn sigint_stops_cleanly_with_a_summary() {
    let dir = temp_dir("sigint");
    let results = dir.join("r.jsonl");
    let child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "fuzz",
            "raft-lossy",
            "--seeds",
            "1..100000",
            "--jobs",
            "2",
            "--quiet",
            "--json",
            s(&results),
            "--out",
            s(&dir.join("out")),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::fs::read_to_string(&results).map(|t| t.lines().count()).unwrap_or(0) < 2 {
        assert!(start.elapsed() < Duration::from_secs(120), "no results appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("interrupted"), "{stdout}");
    assert!(stdout.contains("runs "), "{stdout}");
    let summarised: u64 = lines(&results).len() as u64;
    assert!(
        stdout.contains(&format!("runs        {summarised} ")),
        "the summary counts every result written: {stdout}"
    );
}

#[test]
fn a_time_budget_stops_within_a_second_of_its_deadline() {
    let dir = temp_dir("time");
    let start = Instant::now();
    let o = faultline(&["fuzz", "raft-lossy", "--time", "2s", "--jobs", "2", "--quiet", "--out", s(&dir)]);
    let took = start.elapsed();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(took < Duration::from_millis(3000), "took {took:?}");
    assert!(text(&o.stdout).contains("the time budget ran out"), "{}", text(&o.stdout));
}

#[test]
fn shrinking_makes_the_run_at_most_half_as_long_and_keeps_the_violation() {
    let dir = temp_dir("shrink");
    let o = faultline(&["run", "raft-no-log-check", "--seed", "1", "--json", "--out", s(&dir)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let run: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let repro = run["repro"].as_str().unwrap().to_string();
    let shrunk_path = dir.join("small.json");
    let o = faultline(&["shrink", &repro, "--out", s(&shrunk_path), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let (before, after) = (v["events_before"].as_u64().unwrap(), v["events_after"].as_u64().unwrap());
    assert!(2 * after <= before, "{v}");
    for field in
        ["faults_before", "faults_after", "operations_before", "operations_after", "draws_before", "draws_after"]
    {
        assert!(v[field].is_u64(), "missing {field}: {v}");
    }
    assert_eq!(v["replays"], true);
    let replay = replay_json(s(&shrunk_path));
    assert_eq!(replay["reproduced"], true);
    assert_eq!(replay["events"], after);
    let names: Vec<&str> =
        replay["violations"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(names.contains(&v["name"].as_str().unwrap()), "{names:?} vs {v}");
    assert_eq!(run["violations"][0]["name"], v["name"], "the first finding is the one kept");
}

#[test]
fn the_corpus_reruns_saved_repros_first() {
    let dir = temp_dir("corpus");
    let corpus = dir.join("corpus");
    let o = faultline(&["run", "raft-no-log-check", "--seed", "2", "--out", s(&corpus)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let results = dir.join("r.jsonl");
    let o = faultline(&[
        "fuzz",
        "raft-basic",
        "--seeds",
        "1..3",
        "--quiet",
        "--corpus",
        s(&corpus),
        "--json",
        s(&results),
        "--out",
        s(&dir),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let v = lines(&results);
    assert_eq!(v[0]["corpus_status"], "still-fails", "{:?}", v[0]);
    assert_eq!(v.len(), 3);
}

#[test]
fn bad_arguments_and_files_exit_2_with_a_message_naming_them() {
    let dir = temp_dir("bad");
    for (args, needle) in [
        (vec!["fuzz", "raft-basic", "--seeds", "5..2"], "--seeds"),
        (vec!["fuzz", "raft-basic", "--seeds", "1..3", "--shard", "2/2"], "--shard"),
        (vec!["fuzz", "raft-basic"], "--seeds"),
        (vec!["fuzz", "raft-basic", "--seeds", "4.."], "--time"),
        (vec!["fuzz", "nope", "--seeds", "1..2"], "unknown scenario"),
        (vec!["fuzz", "raft-basic", "--seeds", "1..2", "--jobs", "0"], "--jobs"),
        (vec!["fuzz", "raft-basic", "--time", "soon"], "--time"),
        (vec!["shrink", "/nonexistent/r.json"], "cannot read"),
    ] {
        let o = faultline(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains(needle), "{args:?}: {}", text(&o.stderr));
    }
    let garbage = dir.join("g.jsonl");
    std::fs::write(&garbage, "not json\n{}\n").unwrap();
    let o = faultline(&["merge", s(&garbage)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("g.jsonl:1"), "{}", text(&o.stderr));
    // A run that held has nothing to shrink.
    let o = faultline(&["run", "raft-basic", "--seed", "1", "--save", "--json", "--out", s(&dir)]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let o = faultline(&["shrink", v["repro"].as_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("nothing to shrink"), "{}", text(&o.stderr));
}
