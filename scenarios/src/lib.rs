//! Scenarios: named worlds to run. Owns the scenario value and its JSON form,
//! the registry of built-in scenarios, the key-value client workload that
//! records histories, the runner that judges a run, and repro files.

pub mod judge;
pub mod kv_client;
pub mod registry;
pub mod repro;
pub mod runner;
pub mod scenario;

pub use repro::{Repro, ReproError};
pub use runner::{run, Finding, RunOptions, RunReport, Verdict};
pub use scenario::{Scenario, ScenarioError};
