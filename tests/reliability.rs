//! Hostile input through the real binary: each test is one row of the table
//! in RELIABILITY.md — one kind of bad input — tried on every input kind
//! (scenario file, JSON history for `lin` and `causal`, Porcupine etcd log,
//! Porcupine kv file, Jepsen EDN, repro file). Every cell must be a clear
//! message naming the problem and exit code 2; never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn faultline<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).output().expect("faultline runs")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-reliability-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The input kinds, each with the command that reads it.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Scenario,
    JsonHistoryLin,
    JsonHistoryCausal,
    PorcupineEtcd,
    PorcupineKv,
    Edn,
    Repro,
}

impl Kind {
    fn args(self, path: &Path) -> Vec<String> {
        let p = path.to_str().unwrap().to_string();
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        match self {
            Kind::Scenario => v(&["run", &p, "--seed", "1"]),
            Kind::JsonHistoryLin => v(&["lin", &p, "--format", "json"]),
            Kind::JsonHistoryCausal => v(&["causal", &p]),
            Kind::PorcupineEtcd => v(&["lin", &p, "--format", "porcupine-etcd"]),
            Kind::PorcupineKv => v(&["lin", &p, "--format", "porcupine-kv"]),
            Kind::Edn => v(&["lin", &p, "--format", "edn"]),
            Kind::Repro => v(&["replay", &p]),
        }
    }

    fn file_name(self) -> &'static str {
        match self {
            Kind::Scenario => "scenario.json",
            Kind::JsonHistoryLin | Kind::JsonHistoryCausal => "history.json",
            Kind::PorcupineEtcd => "etcd_000.log",
            Kind::PorcupineKv => "c01-ok.txt",
            Kind::Edn => "history.edn",
            Kind::Repro => "repro.json",
        }
    }
}

const SCENARIO: &str =
    r#"{"name": "s", "protocol": "echo", "nodes": 3, "workload": {"clients": 0}, "checkers": [], "sync_delay_ns": 0}"#;
const JSON_HISTORY: &str = "{\"process\": 0, \"type\": \"invoke\", \"f\": \"put\", \"key\": \"x\", \"value\": \"a\"}\n\
                            {\"process\": 0, \"type\": \"ok\", \"f\": \"put\", \"key\": \"x\", \"value\": \"a\", \"time\": 5}\n";
const ETCD: &str = "INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:write\t1\n";
const KV: &str = "{:process 0, :type :invoke, :f :put, :key \"x\", :value \"a\"}\n\
                  {:process 0, :type :ok, :f :put, :key \"x\", :value \"a\", :time 5}\n";
const EDN: &str =
    "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1, :time 5}\n";

/// A real repro file (echo's double-pong bug, seed 1), as text.
fn repro_text() -> String {
    static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = temp_dir(&format!("base-repro-{call}"));
    let o = faultline(&["run", "echo-double-pong", "--seed", "1", "--json", "--out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    std::fs::read_to_string(v["repro"].as_str().unwrap()).unwrap()
}

/// Feeds `bytes` as a `kind` file and expects exit 2 with `expected` in the message.
fn expect_refused(row: &str, kind: Kind, bytes: &[u8], expected: &str) {
    let dir = temp_dir(&format!("{row}-{kind:?}"));
    let path = dir.join(kind.file_name());
    std::fs::write(&path, bytes).unwrap();
    expect_refused_file(row, kind, &path, expected);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn expect_refused_file(row: &str, kind: Kind, path: &Path, expected: &str) {
    let o = faultline(&kind.args(path));
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{row} / {kind:?}: exit {:?}, stderr: {e}", o.status.code());
    assert!(e.contains(expected), "{row} / {kind:?}: expected `{expected}` in: {e}");
    assert!(!e.contains("panicked"), "{row} / {kind:?}: {e}");
}

/// The valid files really are valid: every failure below is the edit's.
#[test]
fn the_base_inputs_are_accepted() {
    let dir = temp_dir("base");
    let repro = repro_text();
    for (kind, text, code) in [
        (Kind::Scenario, SCENARIO, 0),
        (Kind::JsonHistoryLin, JSON_HISTORY, 0),
        (Kind::JsonHistoryCausal, JSON_HISTORY, 0),
        (Kind::PorcupineEtcd, ETCD, 0),
        (Kind::PorcupineKv, KV, 0),
        (Kind::Edn, EDN, 0),
        (Kind::Repro, repro.as_str(), 1),
    ] {
        let path = dir.join(kind.file_name());
        std::fs::write(&path, text).unwrap();
        let o = faultline(&kind.args(&path));
        assert_eq!(o.status.code(), Some(code), "{kind:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn truncated_files() {
    let cut = |t: &str| t[..t.len() - 12].to_string();
    let repro = repro_text();
    expect_refused("truncated", Kind::Scenario, cut(SCENARIO).as_bytes(), "EOF while parsing");
    expect_refused("truncated", Kind::JsonHistoryLin, cut(JSON_HISTORY).as_bytes(), ":2: EOF while parsing");
    expect_refused("truncated", Kind::JsonHistoryCausal, cut(JSON_HISTORY).as_bytes(), ":2: EOF while parsing");
    expect_refused(
        "truncated",
        Kind::PorcupineEtcd,
        b"INFO  jepsen.util - 0\t:invoke\n",
        "missing f (truncated line?)",
    );
    expect_refused("truncated", Kind::PorcupineKv, cut(KV).as_bytes(), ":2: unterminated string");
    expect_refused("truncated", Kind::Edn, cut(EDN).as_bytes(), ":2: missing `}` (truncated line?)");
    expect_refused("truncated", Kind::Repro, &repro.as_bytes()[..repro.len() / 2], "EOF while parsing");
    expect_refused("truncated", Kind::Repro, b"", "EOF while parsing");
}

#[test]
fn wrong_types() {
    let mut repro: serde_json::Value = serde_json::from_str(&repro_text()).unwrap();
    repro["format_version"] = "one".into();
    let repro = serde_json::to_string_pretty(&repro).unwrap();
    expect_refused(
        "wrong types",
        Kind::Scenario,
        SCENARIO.replace("\"nodes\": 3", "\"nodes\": \"three\"").as_bytes(),
        "field `nodes`: invalid type: string \"three\"",
    );
    let history = JSON_HISTORY.replacen("\"process\": 0", "\"process\": \"zero\"", 1);
    expect_refused("wrong types", Kind::JsonHistoryLin, history.as_bytes(), ":1: invalid type: string \"zero\"");
    expect_refused("wrong types", Kind::JsonHistoryCausal, history.as_bytes(), ":1: invalid type: string \"zero\"");
    expect_refused(
        "wrong types",
        Kind::PorcupineEtcd,
        ETCD.replacen("- 0", "- zero", 1).as_bytes(),
        ":1: process must be a non-negative integer, got `zero`",
    );
    let kv = KV.replacen(":process 0", ":process \"zero\"", 1);
    expect_refused("wrong types", Kind::PorcupineKv, kv.as_bytes(), ":1: :process must be an integer");
    let edn = EDN.replacen(":type :invoke", ":type \"invoke\"", 1);
    expect_refused("wrong types", Kind::Edn, edn.as_bytes(), ":1: :type must be a keyword");
    expect_refused("wrong types", Kind::Repro, repro.as_bytes(), "field `format_version`: invalid type: string");
}

#[test]
fn huge_numbers() {
    let big = "184467440737095516160000";
    expect_refused(
        "huge numbers",
        Kind::Scenario,
        SCENARIO.replace("\"nodes\": 3", &format!("\"nodes\": {big}")).as_bytes(),
        "field `nodes`: invalid type: floating point",
    );
    expect_refused(
        "huge numbers",
        Kind::Scenario,
        SCENARIO.replace("\"nodes\": 3", "\"nodes\": 4000000000").as_bytes(),
        "field `nodes`: 4000000000 is out of range 1..=64",
    );
    expect_refused(
        "huge numbers",
        Kind::Scenario,
        SCENARIO.replace("\"sync_delay_ns\": 0", "\"sync_delay_ns\": 18446744073709551615").as_bytes(),
        "field `sync_delay_ns`: 18446744073709551615 ns is above the limit",
    );
    // Sizes that would allocate or loop in proportion: keys (accounts),
    // nemesis episodes (a schedule entry each), a clock offset.
    for (from, to, expected) in [
        (
            r#""workload": {"clients": 0}"#,
            r#""workload": {"clients": 1, "keys": 4000000000}"#,
            "field `workload.keys`: 4000000000 is above",
        ),
        (
            r#""nodes": 3"#,
            r#""nodes": 3, "nemesis": {"crash": true, "interval_min_ns": 1, "end_ns": 600000000000}"#,
            "599000000000 fault episodes between start_ns and end_ns is above the limit 100000",
        ),
        (
            r#""nodes": 3"#,
            r#""nodes": 3, "faults": [{"at_ns": 1, "fault": "clock-skew", "node": 0, "clock": {"offset_ns": -9223372036854775808}}]"#,
            "field `faults[0].clock.offset_ns`: -9223372036854775808 ns is above the limit",
        ),
    ] {
        expect_refused("huge numbers", Kind::Scenario, SCENARIO.replace(from, to).as_bytes(), expected);
    }
    let history = JSON_HISTORY.replacen("\"process\": 0", &format!("\"process\": {big}"), 1);
    expect_refused("huge numbers", Kind::JsonHistoryLin, history.as_bytes(), ":1: invalid type: floating point");
    expect_refused("huge numbers", Kind::JsonHistoryCausal, history.as_bytes(), ":1: invalid type: floating point");
    expect_refused(
        "huge numbers",
        Kind::PorcupineEtcd,
        ETCD.replacen("- 0", &format!("- {big}"), 1).as_bytes(),
        ":1: process must be a non-negative integer",
    );
    let kv = KV.replacen(":process 0", &format!(":process {big}"), 1);
    expect_refused("huge numbers", Kind::PorcupineKv, kv.as_bytes(), ":1: :process must be an integer, got Float");
    let edn = EDN.replacen(":value 1", &format!(":value {big}"), 1);
    expect_refused("huge numbers", Kind::Edn, edn.as_bytes(), ":1: unsupported :value Float");
    let repro = repro_text();
    let events = repro.rfind("\"events\": ").expect("a repro records its events");
    let end = events + repro[events..].find(',').unwrap();
    let repro = format!("{}\"events\": {big}{}", &repro[..events], &repro[end..]);
    expect_refused("huge numbers", Kind::Repro, repro.as_bytes(), "field `events`: invalid type: floating point");
}

#[test]
fn deep_nesting() {
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    // A typed field refuses the first bracket too many...
    expect_refused(
        "deep nesting",
        Kind::Scenario,
        SCENARIO.replace("\"checkers\": []", &format!("\"checkers\": {deep}")).as_bytes(),
        "field `checkers[0]`: invalid type: sequence, expected a string",
    );
    // ...and where serde buffers any value (a fault's flattened fields),
    // serde_json's recursion limit (128) stops it before the stack does.
    let fault = format!(r#""faults": [{{"at_ns": 5, "fault": "heal", "x": {deep}}}], "nodes": 3"#);
    expect_refused(
        "deep nesting",
        Kind::Scenario,
        SCENARIO.replace("\"nodes\": 3", &fault).as_bytes(),
        "recursion limit exceeded",
    );
    let history = JSON_HISTORY.replacen("\"value\": \"a\"", &format!("\"value\": {deep}"), 1);
    expect_refused("deep nesting", Kind::JsonHistoryLin, history.as_bytes(), ":1: recursion limit exceeded");
    expect_refused("deep nesting", Kind::JsonHistoryCausal, history.as_bytes(), ":1: recursion limit exceeded");
    expect_refused(
        "deep nesting",
        Kind::PorcupineEtcd,
        ETCD.replacen("\t1\n", &format!("\t{deep}\n"), 1).as_bytes(),
        ":1: bad value",
    );
    let kv = KV.replacen(":value \"a\"", &format!(":value {deep}"), 1);
    expect_refused("deep nesting", Kind::PorcupineKv, kv.as_bytes(), ":1: values nested too deeply");
    let edn = EDN.replacen(":value 1", &format!(":value {deep}"), 1);
    expect_refused("deep nesting", Kind::Edn, edn.as_bytes(), ":1: values nested too deeply");
    let repro = repro_text();
    assert!(repro.contains("\"schedule\": []"), "echo's repro has an empty schedule");
    let nested = repro.replacen("\"findings\": [", &format!("\"findings\": [{deep}, "), 1);
    expect_refused("deep nesting", Kind::Repro, nested.as_bytes(), "field `findings[0][0]`: invalid type: sequence");
    let fault = format!(r#""schedule": [{{"at_ns": 5, "fault": "heal", "x": {deep}}}]"#);
    let nested = repro.replacen("\"schedule\": []", &fault, 1);
    expect_refused("deep nesting", Kind::Repro, nested.as_bytes(), "recursion limit exceeded");
}

#[test]
fn non_utf8() {
    let bad = |t: &str| {
        let mut b = t.as_bytes().to_vec();
        let second_line = t.find('\n').map_or(0, |i| i + 1);
        b.splice(second_line..second_line, [0xff, 0xfe]);
        b
    };
    expect_refused("non-UTF-8", Kind::Scenario, &[b"{\"name\": \"\xff\"}" as &[u8]].concat(), "is not UTF-8 text");
    expect_refused("non-UTF-8", Kind::JsonHistoryLin, &bad(JSON_HISTORY), ":2: not valid UTF-8");
    expect_refused("non-UTF-8", Kind::JsonHistoryCausal, &bad(JSON_HISTORY), "is not UTF-8 text (line 2");
    expect_refused("non-UTF-8", Kind::PorcupineEtcd, &bad(ETCD), ":2: not valid UTF-8");
    expect_refused("non-UTF-8", Kind::PorcupineKv, &bad(KV), ":2: not valid UTF-8");
    expect_refused("non-UTF-8", Kind::Edn, &bad(EDN), ":2: not valid UTF-8");
    expect_refused("non-UTF-8", Kind::Repro, &bad(&repro_text()), "is not UTF-8 text (line 2");
}

/// A gigabyte file is refused by its size, unread: the file is sparse
/// (`set_len`), so the test is fast and takes no disk.
#[test]
fn a_one_gigabyte_file() {
    let dir = temp_dir("gigabyte");
    for kind in [
        Kind::Scenario,
        Kind::JsonHistoryLin,
        Kind::JsonHistoryCausal,
        Kind::PorcupineEtcd,
        Kind::PorcupineKv,
        Kind::Edn,
        Kind::Repro,
    ] {
        let path = dir.join(kind.file_name());
        std::fs::File::create(&path).unwrap().set_len(1 << 30).unwrap();
        expect_refused_file("1 GB file", kind, &path, "is 1073741824 bytes, above the limit of");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn duplicate_keys() {
    expect_refused(
        "duplicate keys",
        Kind::Scenario,
        SCENARIO.replace("\"nodes\": 3", "\"nodes\": 3, \"nodes\": 5").as_bytes(),
        "duplicate field `nodes`",
    );
    // Inside a fault, whose fields are flattened into the schedule entry.
    let fault = r#""faults": [{"at_ns": 5, "fault": "crash", "node": 1, "node": 2}], "nodes": 3"#;
    expect_refused(
        "duplicate keys",
        Kind::Scenario,
        SCENARIO.replace("\"nodes\": 3", fault).as_bytes(),
        "duplicate field `node`",
    );
    let history = JSON_HISTORY.replacen("\"key\": \"x\"", "\"key\": \"x\", \"key\": \"y\"", 1);
    expect_refused("duplicate keys", Kind::JsonHistoryLin, history.as_bytes(), ":1: duplicate field `key`");
    expect_refused("duplicate keys", Kind::JsonHistoryCausal, history.as_bytes(), ":1: duplicate field `key`");
    // The etcd log's fields are positional: a field given twice shifts the rest.
    expect_refused(
        "duplicate keys",
        Kind::PorcupineEtcd,
        ETCD.replacen("0\t:invoke", "0\t0\t:invoke", 1).as_bytes(),
        ":1: unknown type `0`",
    );
    let kv = KV.replacen(":key \"x\"", ":key \"x\", :key \"y\"", 1);
    expect_refused("duplicate keys", Kind::PorcupineKv, kv.as_bytes(), ":1: duplicate map key :key");
    let edn = EDN.replacen(":value 1", ":value 1 :value 2", 1);
    expect_refused("duplicate keys", Kind::Edn, edn.as_bytes(), ":1: duplicate map key :value");
    let repro = repro_text().replacen("\"events\": ", "\"events\": 1, \"events\": ", 1);
    expect_refused("duplicate keys", Kind::Repro, repro.as_bytes(), "duplicate field `events`");
}

#[test]
fn negative_durations() {
    expect_refused(
        "negative durations",
        Kind::Scenario,
        SCENARIO.replace("\"sync_delay_ns\": 0", "\"sync_delay_ns\": -5").as_bytes(),
        "field `sync_delay_ns`: invalid value: integer `-5`",
    );
    let history = JSON_HISTORY.replacen("\"time\": 5", "\"time\": -5", 1);
    expect_refused("negative durations", Kind::JsonHistoryLin, history.as_bytes(), ":2: invalid value: integer `-5`");
    expect_refused("negative durations", Kind::JsonHistoryCausal, history.as_bytes(), ":2: invalid value: integer");
    // The etcd log has no times; its one number is the process.
    expect_refused(
        "negative durations",
        Kind::PorcupineEtcd,
        ETCD.replacen("- 0", "- -1", 1).as_bytes(),
        ":1: process must be a non-negative integer, got `-1`",
    );
    let kv = KV.replacen(":time 5", ":time -5", 1);
    expect_refused("negative durations", Kind::PorcupineKv, kv.as_bytes(), ":2: :time must be a non-negative integer");
    let edn = EDN.replacen(":time 5", ":time -5", 1);
    expect_refused("negative durations", Kind::Edn, edn.as_bytes(), ":2: :time must be a non-negative integer");
    let repro = repro_text().replacen("\"sim_time_ns\": ", "\"sim_time_ns\": -", 1);
    expect_refused("negative durations", Kind::Repro, repro.as_bytes(), "field `sim_time_ns`: invalid value: integer");
}

#[test]
fn unknown_fields() {
    expect_refused(
        "unknown fields",
        Kind::Scenario,
        SCENARIO.replace("\"nodes\": 3", "\"nodes\": 3, \"colour\": \"red\"").as_bytes(),
        "unknown field `colour`",
    );
    let history = JSON_HISTORY.replacen("\"key\": \"x\"", "\"key\": \"x\", \"colour\": 1", 1);
    expect_refused("unknown fields", Kind::JsonHistoryLin, history.as_bytes(), ":1: unknown field `colour`");
    expect_refused("unknown fields", Kind::JsonHistoryCausal, history.as_bytes(), ":1: unknown field `colour`");
    expect_refused(
        "unknown fields",
        Kind::PorcupineEtcd,
        ETCD.replacen("\t1\n", "\t1\tcolour\n", 1).as_bytes(),
        ":1: bad value `1\tcolour`: unexpected `colour` after the value",
    );
    // Jepsen op maps carry keys of their own (:index, :error): extra keys are
    // the format, so the EDN readers name an unknown *value* of a key they use.
    let kv = KV.replacen(":type :invoke", ":type :maybe", 1);
    expect_refused("unknown fields", Kind::PorcupineKv, kv.as_bytes(), ":1: unknown :type :maybe");
    let edn = EDN.replacen(":type :ok", ":type :done", 1);
    expect_refused("unknown fields", Kind::Edn, edn.as_bytes(), ":2: unknown :type :done");
    let repro = repro_text().replacen("\"events\": ", "\"colour\": 1, \"events\": ", 1);
    expect_refused("unknown fields", Kind::Repro, repro.as_bytes(), "unknown field `colour`");
}

/// The same rows for command-line values (clap and the hand-written parsers).
#[test]
fn bad_command_line_values() {
    let cases: &[(&[&str], &str)] = &[
        (&["fuzz", "echo-basic", "--seeds", "5..="], "--seeds"),
        (&["run", "echo-basic", "--seed", "one"], "invalid value 'one' for '--seed"),
        (&["run", "echo-basic", "--seed", "184467440737095516160000"], "number too large"),
        (&["run", "echo-basic", "--seed", "1", "--seed", "2"], "cannot be used multiple times"),
        (&["lin", "h.json", "--timeout=-5s"], "invalid duration `-5s`"),
        (&["lin", "h.json", "--timeout", "3000000000000000h"], "above the limit of 10000h"),
        (&["check", "2pc-model", "--time", "3000000000000000h"], "above the limit of 10000h"),
        (&["run", "echo-basic", "--time=-1s"], "not a duration"),
        // The cli_values fuzz target's one report (a timeout that was the
        // machine starving the fuzzer: it runs in 0 ms), kept as a case.
        (&["run", "echo-basic", "--time", "8888588h8888588h"], "unknown unit `h8888588h`"),
        (&["run", "echo-basic", "--colour", "red"], "unexpected argument '--colour'"),
        (&["fuzz", "echo-basic", "--seeds", "1..2", "--jobs", "100000000"], "--jobs: must be between 1 and 1024"),
        (&["check", "2pc-model", "--jobs", "0"], "--jobs: must be between 1 and 1024"),
    ];
    for (args, expected) in cases {
        let o = faultline(args);
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert!(e.contains(expected), "{args:?}: expected `{expected}` in: {e}");
        assert!(!e.contains("panicked"), "{args:?}: {e}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bad = std::ffi::OsStr::from_bytes(b"\xff\xfe");
        let o = faultline(&[
            std::ffi::OsStr::new("run"),
            std::ffi::OsStr::new("echo-basic"),
            std::ffi::OsStr::new("--seed"),
            bad,
        ]);
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(e.contains("invalid UTF-8"), "{e}");
    }
}
