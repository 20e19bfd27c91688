//! What exists: protocols with their bug variants, built-in scenarios, checkers.

use crate::catalog;
use crate::scenario::Scenario;

/// Checkers a scenario may ask for (invariants always run).
pub const CHECKERS: &[&str] = &["linearizability", "causal"];

/// Names of the protocols a scenario may name.
pub fn protocols() -> Vec<&'static str> {
    catalog::all().iter().map(|p| p.name).collect()
}

/// Bug variants of a protocol, as scenarios and `--bug` spell them.
pub fn bugs_of(protocol: &str) -> Vec<&'static str> {
    catalog::all().into_iter().find(|p| p.name == protocol).map(|p| p.bugs).unwrap_or_default()
}

/// A protocol's own Byzantine strategies (the generic ones are in
/// `sim_core::byzantine::GENERIC_STRATEGIES`).
pub fn byzantine_strategies_of(protocol: &str) -> &'static [&'static str] {
    catalog::all().into_iter().find(|p| p.name == protocol).map(|p| p.byzantine_strategies).unwrap_or_default()
}

/// Every built-in scenario, in the order `faultline list` shows them.
pub fn builtin() -> Vec<Scenario> {
    catalog::all().iter().flat_map(|p| (p.scenarios)()).collect()
}

/// A built-in scenario by name.
pub fn find(name: &str) -> Option<Scenario> {
    builtin().into_iter().find(|s| s.name == name)
}
