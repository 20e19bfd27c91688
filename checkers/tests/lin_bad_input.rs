//! Bad input in every format gives an error naming the line, never a panic.

use checkers::formats::{self, Format};
use checkers::lin::CheckOptions;

/// Parses and checks like the CLI does; returns the line of the error.
fn error_line(format: Format, bytes: &[u8]) -> (usize, String) {
    match formats::parse(bytes, format) {
        Err(e) => (e.line, e.message),
        Ok(parsed) => {
            let options = CheckOptions::default().with_fail(format.fail_meaning());
            match format.default_model().check(&parsed.history, &options) {
                Err(e) => (parsed.line_of(e.event_index), e.message),
                Ok(report) => panic!("{format}: accepted bad input: {:?}", report.verdict),
            }
        }
    }
}

fn assert_error(format: Format, text: &[u8], line: usize, mentions: &str) {
    let (got, message) = error_line(format, text);
    assert_eq!(got, line, "{format}: wrong line for {message}");
    assert!(message.contains(mentions), "{format}: `{message}` should mention `{mentions}`");
}

const ETCD_OK: &str = "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\tnil\n";

#[test]
fn porcupine_etcd_bad_lines() {
    assert!(formats::parse(ETCD_OK.as_bytes(), Format::PorcupineEtcd).is_ok());
    let truncated = format!("{ETCD_OK}INFO  jepsen.util - 1\t:invoke\n");
    assert_error(Format::PorcupineEtcd, truncated.as_bytes(), 3, "truncated");
    let wrong_type = format!("{ETCD_OK}INFO  jepsen.util - x\t:invoke\t:read\tnil\n");
    assert_error(Format::PorcupineEtcd, wrong_type.as_bytes(), 3, "process");
    let bad_value = format!("{ETCD_OK}INFO  jepsen.util - 1\t:invoke\t:write\t\"s\"\n");
    assert_error(Format::PorcupineEtcd, bad_value.as_bytes(), 3, "value");
    let unknown_f = format!("{ETCD_OK}INFO  jepsen.util - 1\t:invoke\t:frob\t1\n");
    assert_error(Format::PorcupineEtcd, unknown_f.as_bytes(), 3, "unknown f");
    let mut non_utf8 = ETCD_OK.as_bytes().to_vec();
    non_utf8.extend_from_slice(b"INFO  jepsen.util - 1\t:invoke\t:read\t\xff\n");
    assert_error(Format::PorcupineEtcd, &non_utf8, 3, "UTF-8");
    let unpaired = "INFO  jepsen.util - 0\t:ok\t:read\tnil\n";
    assert_error(Format::PorcupineEtcd, unpaired.as_bytes(), 1, "no open invocation");
}

const KV_OK: &str = "{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}\n\n{:process 0, :type :ok, :f :get, :key \"1\", :value \"\"}\n";

#[test]
fn porcupine_kv_bad_lines() {
    assert!(formats::parse(KV_OK.as_bytes(), Format::PorcupineKv).is_ok());
    let truncated = format!("{KV_OK}{{:process 1, :type :invoke, :f :get, :key \"1\"\n");
    assert_error(Format::PorcupineKv, truncated.as_bytes(), 4, "truncated");
    let wrong_type = format!("{KV_OK}{{:process \"one\", :type :invoke, :f :get, :key \"1\", :value nil}}\n");
    assert_error(Format::PorcupineKv, wrong_type.as_bytes(), 4, ":process");
    let unknown_f = format!("{KV_OK}{{:process 1, :type :invoke, :f :frob, :key \"1\", :value nil}}\n");
    assert_error(Format::PorcupineKv, unknown_f.as_bytes(), 4, "unknown operation `frob`");
    let no_key = format!("{KV_OK}{{:process 1, :type :invoke, :f :get, :value nil}}\n");
    assert_error(Format::PorcupineKv, no_key.as_bytes(), 4, ":key");
    let mut non_utf8 = KV_OK.as_bytes().to_vec();
    non_utf8.extend_from_slice(b"{:process 1, :type :invoke, :f :put, :key \"1\", :value \"\xc3\"}\n");
    assert_error(Format::PorcupineKv, &non_utf8, 4, "UTF-8");
}

const EDN_OK: &str = "{:type :invoke, :f :cas, :value [1 2], :process 0, :time 10}\n{:type :info, :f :start, :value nil, :process :nemesis}\n{:type :fail, :f :cas, :value [1 2], :process 0, :time 20}\n";

#[test]
fn jepsen_edn_bad_lines() {
    let parsed = formats::parse(EDN_OK.as_bytes(), Format::Edn).unwrap();
    assert_eq!(parsed.history.len(), 2, "the nemesis event is skipped");
    assert_eq!(parsed.lines, vec![1, 3]);
    let truncated = format!("{EDN_OK}{{:type :invoke, :f :read, :val");
    assert_error(Format::Edn, truncated.as_bytes(), 4, "truncated");
    let wrong_type = format!("{EDN_OK}{{:type \"invoke\", :f :read, :value nil, :process 1}}\n");
    assert_error(Format::Edn, wrong_type.as_bytes(), 4, ":type");
    let unknown_f = format!("{EDN_OK}\n{{:type :invoke, :f :frob, :value nil, :process 1}}\n");
    assert_error(Format::Edn, unknown_f.as_bytes(), 5, "unknown operation `frob`");
    let bad_cas = format!("{EDN_OK}{{:type :invoke, :f :cas, :value 3, :process 1}}\n");
    assert_error(Format::Edn, bad_cas.as_bytes(), 4, "[expected, new]");
    let mut non_utf8 = EDN_OK.as_bytes().to_vec();
    non_utf8.extend_from_slice(b"\xfe{:type :invoke}\n");
    assert_error(Format::Edn, &non_utf8, 4, "UTF-8");
}

const JSON_OK: &str = "{\"process\": 0, \"type\": \"invoke\", \"f\": \"get\", \"key\": \"x\"}\n# a comment\n{\"process\": 0, \"type\": \"ok\", \"f\": \"get\", \"key\": \"x\", \"value\": null}\n";

#[test]
fn json_bad_lines() {
    assert!(formats::parse(JSON_OK.as_bytes(), Format::Json).is_ok());
    let truncated = format!("{JSON_OK}{{\"process\": 1, \"type\": \"inv");
    assert_error(Format::Json, truncated.as_bytes(), 4, "EOF");
    let wrong_type = format!("{JSON_OK}{{\"process\": \"p\", \"type\": \"invoke\", \"f\": \"get\"}}\n");
    assert_error(Format::Json, wrong_type.as_bytes(), 4, "invalid type");
    let unknown_f = format!("{JSON_OK}\n{{\"process\": 1, \"type\": \"invoke\", \"f\": \"frob\", \"key\": \"x\"}}\n");
    assert_error(Format::Json, unknown_f.as_bytes(), 5, "unknown operation `frob`");
    let mismatched = format!("{JSON_OK}{{\"process\": 1, \"type\": \"invoke\", \"f\": \"get\", \"key\": \"x\"}}\n\n{{\"process\": 1, \"type\": \"ok\", \"f\": \"put\", \"key\": \"x\"}}\n");
    assert_error(Format::Json, mismatched.as_bytes(), 6, "completes `put`");
    let mut non_utf8 = JSON_OK.as_bytes().to_vec();
    non_utf8.extend_from_slice(b"{\"process\": 1, \"type\": \"invoke\", \"f\": \"\xff\"}\n");
    assert_error(Format::Json, &non_utf8, 4, "UTF-8");
}

#[test]
fn garbage_never_panics() {
    // Every prefix of a valid file in every format: an error or a verdict.
    let samples: [(Format, &str); 4] = [
        (
            Format::PorcupineEtcd,
            "INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2]\nINFO  jepsen.util - 0\t:fail\t:cas\t[1 2]\n",
        ),
        (Format::PorcupineKv, KV_OK),
        (Format::Edn, EDN_OK),
        (Format::Json, JSON_OK),
    ];
    for (format, text) in samples {
        for cut in 0..text.len() {
            let bytes = &text.as_bytes()[..cut];
            if let Ok(parsed) = formats::parse(bytes, format) {
                let _ = format.default_model().check(&parsed.history, &CheckOptions::default());
            }
        }
    }
}
