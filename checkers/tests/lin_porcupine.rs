//! Acceptance: every history in Porcupine's MANIFEST.json that carries an
//! expected verdict gets it. The list comes from the manifest itself.

mod lin_support;

use checkers::formats::{self, Format};
use checkers::lin::CheckOptions;
use serde_json::Value as Json;

#[test]
fn every_manifest_history_gets_its_expected_verdict() {
    let dir = lin_support::porcupine_dir();
    let manifest: Json = serde_json::from_str(&std::fs::read_to_string(dir.join("MANIFEST.json")).unwrap()).unwrap();
    let files = manifest["files"].as_array().expect("files list");
    let mut judged = 0;
    let mut failures = Vec::new();
    for file in files {
        let path = file["path"].as_str().unwrap();
        let Some(expected) = file["expected_linearizable"].as_bool() else {
            continue;
        };
        let bytes = std::fs::read(dir.join(path)).unwrap();
        let format = Format::detect(Some(std::path::Path::new(path)), &bytes);
        let want_format = if path.starts_with("jepsen/") { Format::PorcupineEtcd } else { Format::PorcupineKv };
        assert_eq!(format, want_format, "{path}: format detection");
        let parsed = formats::parse(&bytes, format).unwrap_or_else(|e| panic!("{path}: {e}"));
        let options = CheckOptions::default().with_fail(format.fail_meaning());
        let started = std::time::Instant::now();
        let report = format.default_model().check(&parsed.history, &options).unwrap();
        let took = started.elapsed();
        if took.as_millis() >= 20 {
            eprintln!("{path}: {took:?} ({} steps)", report.steps);
        }
        judged += 1;
        if report.linearizable() != Some(expected) {
            failures.push(format!("{path}: expected {expected}, got {:?}", report.verdict));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let counts = &manifest["counts"];
    let asserted = counts["linearizable"].as_u64().unwrap() + counts["not_linearizable"].as_u64().unwrap();
    assert_eq!(judged as u64, asserted);
}
