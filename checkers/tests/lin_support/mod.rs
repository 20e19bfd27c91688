//! Shared by the `lin_*` tests: where the Porcupine data lives.
#![allow(dead_code)]

use std::path::PathBuf;

/// `shared/data/porcupine`, found by walking up from this crate (the
/// shared folder sits beside the repository's work tree).
pub fn porcupine_dir() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let candidate = dir.join("shared/data/porcupine");
        if candidate.join("MANIFEST.json").exists() {
            return candidate;
        }
        if !dir.pop() {
            panic!("shared/data/porcupine/MANIFEST.json not found above {}", env!("CARGO_MANIFEST_DIR"));
        }
    }
}
