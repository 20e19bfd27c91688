//! History file formats, all parsed into [`History`] with the file line of
//! every event, so every error (parse, pairing, or an operation the model
//! rejects) can name its line.
//!
//! | format | what | `fail` means | default model |
//! |---|---|---|---|
//! | `json` | faultline's own (see [`crate::lin`]) | did not happen | kv |
//! | `porcupine-etcd` | Porcupine's `jepsen/etcd_NNN.log` | observed (CAS saw another value) | cas-register |
//! | `porcupine-kv` | Porcupine's `kv/*.txt` (EDN maps with `:key`) | did not happen | kv |
//! | `edn` | Jepsen EDN, one op map per line | did not happen (as Knossos) | cas-register |

mod edn;
mod etcd;
mod jepsen;
mod json;

pub use edn::{parse as parse_edn_value, Edn};

use crate::history::History;
use crate::lin::models::ModelKind;
use crate::lin::FailMeaning;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    PorcupineEtcd,
    PorcupineKv,
    Edn,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::PorcupineEtcd => "porcupine-etcd",
            Format::PorcupineKv => "porcupine-kv",
            Format::Edn => "edn",
        }
    }

    /// How `fail` completions are to be read in this format.
    pub fn fail_meaning(self) -> FailMeaning {
        match self {
            Format::PorcupineEtcd => FailMeaning::Observed,
            _ => FailMeaning::Dropped,
        }
    }

    pub fn default_model(self) -> ModelKind {
        match self {
            Format::Json | Format::PorcupineKv => ModelKind::Kv,
            Format::PorcupineEtcd | Format::Edn => ModelKind::CasRegister,
        }
    }

    /// Guesses the format from the first non-blank line, then the file
    /// extension; JSON otherwise.
    pub fn detect(path: Option<&Path>, bytes: &[u8]) -> Format {
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
        if let Some(first) = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')) {
            if first.starts_with("INFO") && first.contains("jepsen.util") {
                return Format::PorcupineEtcd;
            }
            if first.starts_with("{:") || first.starts_with("[{:") {
                return if first.contains(":key") { Format::PorcupineKv } else { Format::Edn };
            }
            if first.starts_with("{\"") || first.starts_with('[') {
                return Format::Json;
            }
        }
        match path.and_then(|p| p.extension()).and_then(|e| e.to_str()) {
            Some("edn") => Format::Edn,
            Some("log") => Format::PorcupineEtcd,
            _ => Format::Json,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [Format::Json, Format::PorcupineEtcd, Format::PorcupineKv, Format::Edn]
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown format `{s}` (expected json, porcupine-etcd, porcupine-kv or edn)"))
    }
}

/// The largest history file faultline reads (bytes); the CLI refuses a
/// bigger file by its size, before reading it.
pub const MAX_HISTORY_BYTES: u64 = 128 << 20;
/// The most events a history may have: beyond this, parsing stops with an
/// error at the line that went over, before memory grows further.
pub const MAX_HISTORY_EVENTS: usize = 1_000_000;

/// The error for the event at `line` that went over [`MAX_HISTORY_EVENTS`].
fn too_many_events(line: usize) -> FormatError {
    FormatError {
        line,
        message: format!("more than {MAX_HISTORY_EVENTS} events: faultline judges histories up to that size"),
    }
}

/// A parse error at a 1-based line of the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for FormatError {}

/// A parsed history with where each event came from.
#[derive(Clone, Debug)]
pub struct ParsedHistory {
    pub history: History,
    /// `lines[i]` = the 1-based input line of event `i`.
    pub lines: Vec<usize>,
    pub format: Format,
}

impl ParsedHistory {
    /// The input line of event `index` (falls back to the event number).
    pub fn line_of(&self, index: usize) -> usize {
        self.lines.get(index).copied().unwrap_or(index + 1)
    }
}

/// Parses `bytes` in `format`. Never panics on bad input.
pub fn parse(bytes: &[u8], format: Format) -> Result<ParsedHistory, FormatError> {
    if bytes.len() as u64 > MAX_HISTORY_BYTES {
        return Err(FormatError {
            line: 1,
            message: format!("{} bytes is above the limit of {MAX_HISTORY_BYTES} bytes for a history", bytes.len()),
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let upto = &bytes[..e.valid_up_to()];
        FormatError {
            line: upto.iter().filter(|&&b| b == b'\n').count() + 1,
            message: format!("not valid UTF-8 (byte {})", e.valid_up_to() + 1),
        }
    })?;
    let (history, lines) = match format {
        Format::Json => json::parse(text)?,
        Format::PorcupineEtcd => etcd::parse(text)?,
        Format::PorcupineKv => jepsen::parse(text, true)?,
        Format::Edn => jepsen::parse(text, false)?,
    };
    let parsed = ParsedHistory { history, lines, format };
    parsed.history.validate().map_err(|e| FormatError {
        // `validate` counts events from 1; map back to the input line.
        line: parsed.line_of(e.line.saturating_sub(1)),
        message: e.message,
    })?;
    Ok(parsed)
}
