//! Repro files: everything needed to replay a run bit for bit.
//!
//! JSON with the format version, the faultline version, the full scenario
//! value (and a hash of it, to notice edits), where the choices came from (a
//! seed or a tape), the fault schedule that ran, the findings and the trace
//! hash. Replaying either reproduces the recorded trace hash or says exactly
//! why it cannot.

use crate::runner::{run, Finding, RunOptions, RunReport, Verdict};
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use sim_core::{hash_hex, stable_hash, ChoiceSource, FaultSchedule, TraceLevel};
use std::fmt;
use std::path::Path;

/// Bumped whenever the meaning of a repro file changes. Format 2 added
/// per-lane tapes (`"choices": {"tapes": ...}`); format 1 files (a seed or
/// one flat tape) mean the same as before and are still read.
pub const FORMAT_VERSION: u32 = 2;
/// The oldest format this faultline still replays.
pub const OLDEST_FORMAT_VERSION: u32 = 1;
pub const FAULTLINE_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The largest repro file read (bytes; a long tape takes room), refused by
/// its size before reading.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repro {
    pub format_version: u32,
    pub faultline_version: String,
    pub scenario: Scenario,
    /// Stable hash of the scenario's JSON when the repro was written.
    pub scenario_hash: String,
    pub choices: ChoiceSource,
    pub schedule: FaultSchedule,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    pub trace_hash: String,
    pub events: u64,
    pub sim_time_ns: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReproError {
    /// Not a valid repro file; names the field or line.
    Invalid(String),
    /// A valid file that cannot be replayed faithfully, and why.
    CannotReplay(String),
}

impl fmt::Display for ReproError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReproError::Invalid(m) => write!(f, "invalid repro file: {m}"),
            ReproError::CannotReplay(m) => write!(f, "cannot replay: {m}"),
        }
    }
}

impl std::error::Error for ReproError {}

/// What a replay found.
#[derive(Clone, Debug)]
pub struct Replay {
    pub report: RunReport,
    /// The recorded trace hash was reproduced.
    pub identical: bool,
    /// When not identical: why, as precisely as can be told.
    pub explanation: Option<String>,
}

fn scenario_hash(s: &Scenario) -> String {
    hash_hex(stable_hash(&serde_json::to_string(s).expect("scenarios serialize")))
}

impl Repro {
    pub fn from_report(report: &RunReport) -> Repro {
        Repro {
            format_version: FORMAT_VERSION,
            faultline_version: FAULTLINE_VERSION.to_string(),
            scenario: report.scenario.clone(),
            scenario_hash: scenario_hash(&report.scenario),
            choices: report.choices.clone(),
            schedule: report.schedule.clone(),
            verdict: report.verdict,
            findings: report.findings.clone(),
            trace_hash: report.trace_hash_hex(),
            events: report.result.stats.events,
            sim_time_ns: report.result.stats.sim_time_ns,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("repros serialize")
    }

    /// Parses a repro; errors name the field (and line) at fault.
    pub fn parse(text: &str) -> Result<Repro, ReproError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let repro: Repro = serde_path_to_error::deserialize(de).map_err(|e| {
            // A file of another format or version may fail for that reason
            // (a field added or renamed since): say so rather than only
            // naming the field.
            if let Some(why) = version_mismatch(text) {
                return ReproError::CannotReplay(why);
            }
            let path = e.path().to_string();
            ReproError::Invalid(format!("field `{path}`: {}", e.into_inner()))
        })?;
        repro.scenario.validate().map_err(|e| match version_mismatch(text) {
            Some(why) => ReproError::CannotReplay(format!("{why} (its scenario is invalid here: {e})")),
            None => ReproError::Invalid(format!("scenario: {e}")),
        })?;
        Ok(repro)
    }

    /// Writes atomically (a temporary file, then a rename), so a killed
    /// process never leaves a half-written repro behind.
    pub fn write_atomic(&self, path: &Path) -> std::io::Result<()> {
        write_atomic(path, self.to_json().as_bytes())
    }

    /// Replays the run and compares trace hashes.
    pub fn replay(&self, trace: TraceLevel) -> Result<Replay, ReproError> {
        if !(OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&self.format_version) {
            return Err(ReproError::CannotReplay(format!(
                "the file has repro format {}, this faultline reads formats {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}",
                self.format_version
            )));
        }
        let now_hash = scenario_hash(&self.scenario);
        if now_hash != self.scenario_hash && self.faultline_version != FAULTLINE_VERSION {
            return Err(ReproError::CannotReplay(format!(
                "the file was written by faultline {}, this is faultline {FAULTLINE_VERSION}, and the scenario \
                 reads differently here (its hash is {now_hash}, the recorded hash is {}): a scenario field was \
                 added or changed between versions, so this would be a different run",
                self.faultline_version, self.scenario_hash
            )));
        }
        if now_hash != self.scenario_hash {
            return Err(ReproError::CannotReplay(format!(
                "the scenario in the file was edited after the run was recorded (its hash is {now_hash}, \
                 the recorded hash is {}); a changed scenario is a different run — use `faultline run` on it instead",
                self.scenario_hash
            )));
        }
        let report = run(&self.scenario, &self.choices, &RunOptions { trace, record_tape: false })
            .map_err(|e| ReproError::CannotReplay(format!("scenario: {e}")))?;
        let identical = report.trace_hash_hex() == self.trace_hash;
        let explanation = if identical {
            None
        } else if self.faultline_version != FAULTLINE_VERSION {
            Some(format!(
                "recorded by faultline {}, replayed by {FAULTLINE_VERSION}: the engine or protocol changed between versions",
                self.faultline_version
            ))
        } else if report.schedule != self.schedule {
            Some("the fault schedule drawn now differs from the recorded one: the nemesis changed".into())
        } else {
            Some(format!(
                "same version, scenario and schedule, but a different trace ({} events now, {} recorded): \
                 a determinism bug — please report it with this file",
                report.result.stats.events, self.events
            ))
        };
        Ok(Replay { report, identical, explanation })
    }
}

/// Why a file that failed to parse or validate may be from elsewhere: the
/// versions it names, when they differ from this faultline's.
fn version_mismatch(text: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Versions {
        format_version: Option<serde_json::Value>,
        faultline_version: Option<serde_json::Value>,
    }
    let v: Versions = serde_json::from_str(text).ok()?;
    match (v.format_version, v.faultline_version) {
        // A number of another format; a string or the like is just a type error.
        (Some(f), _) if f.as_u64().is_some_and(|f| !(OLDEST_FORMAT_VERSION as u64..=FORMAT_VERSION as u64).contains(&f)) => {
            Some(format!(
                "the file has repro format {f}, this faultline reads formats {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}"
            ))
        }
        (_, Some(serde_json::Value::String(made_by))) if made_by != FAULTLINE_VERSION => Some(format!(
            "the file was written by faultline {made_by}, this is faultline {FAULTLINE_VERSION}, \
             whose repro fields differ"
        )),
        _ => None,
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}
