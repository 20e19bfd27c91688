//! Choosing a built-in model by name at run time (the CLI's `--model`).

use super::{CasRegister, Kv, Queue, Register, SetModel};
use crate::history::History;
use crate::lin::{check, CheckOptions, LinReport, OpError};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    Register,
    CasRegister,
    Kv,
    Set,
    Queue,
}

impl ModelKind {
    pub const ALL: [ModelKind; 5] =
        [ModelKind::Register, ModelKind::CasRegister, ModelKind::Kv, ModelKind::Set, ModelKind::Queue];

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Register => "register",
            ModelKind::CasRegister => "cas-register",
            ModelKind::Kv => "kv",
            ModelKind::Set => "set",
            ModelKind::Queue => "queue",
        }
    }

    /// Runs [`check`] with this model.
    pub fn check(self, history: &History, options: &CheckOptions) -> Result<LinReport, OpError> {
        match self {
            ModelKind::Register => check(history, &Register, options),
            ModelKind::CasRegister => check(history, &CasRegister, options),
            ModelKind::Kv => check(history, &Kv, options),
            ModelKind::Set => check(history, &SetModel, options),
            ModelKind::Queue => check(history, &Queue, options),
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ModelKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown model `{s}` (expected register, cas-register, kv, set or queue)"))
    }
}
