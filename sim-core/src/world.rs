//! The configuration of a simulated world: links, clocks, faults, limits.

use crate::clock::ClockModel;
use crate::fault::FaultSchedule;
use crate::link::LinkModel;
use crate::time::{Time, NANOS_PER_MILLI, NANOS_PER_SEC};
use crate::trace::TraceLevel;
use serde::{Deserialize, Serialize};

/// Budgets: reaching the time limit ends a run normally; reaching the event
/// limit makes it inconclusive (`unknown`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    pub time_ns: Time,
    pub events: u64,
    /// Messages in flight on one link beyond this are dropped (and traced).
    pub inflight_per_link: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { time_ns: 10 * NANOS_PER_SEC, events: 5_000_000, inflight_per_link: 10_000 }
    }
}

/// Everything the simulator needs besides the protocol and the workload.
#[derive(Clone, Debug)]
pub struct WorldConfig {
    pub nodes: usize,
    /// Link models, row-major: `links[from * nodes + to]`.
    pub links: Vec<LinkModel>,
    /// Between clients and nodes (both directions).
    pub client_link: LinkModel,
    pub clocks: Vec<ClockModel>,
    pub schedule: FaultSchedule,
    /// A persist becomes durable only this long after it is made; a crash
    /// sooner loses it (0: persists are synchronous).
    pub sync_delay_ns: Time,
    pub limits: Limits,
    pub trace_level: TraceLevel,
    /// End the run as soon as the workload is done.
    pub stop_when_done: bool,
    /// Check the protocol's invariants after every event. Turned off only to
    /// show what the history checkers catch on their own.
    pub check_invariants: bool,
}

impl WorldConfig {
    /// `nodes` nodes on reliable links, no faults, default limits, hash-only trace.
    pub fn new(nodes: usize) -> Self {
        WorldConfig {
            nodes,
            links: vec![LinkModel::reliable(); nodes * nodes],
            client_link: LinkModel {
                delay: crate::link::Delay::Uniform { min_ns: NANOS_PER_MILLI / 2, max_ns: 2 * NANOS_PER_MILLI },
                ..LinkModel::reliable()
            },
            clocks: vec![ClockModel::default(); nodes],
            schedule: FaultSchedule::default(),
            sync_delay_ns: 0,
            limits: Limits::default(),
            trace_level: TraceLevel::HashOnly,
            stop_when_done: true,
            check_invariants: true,
        }
    }

    /// Uses `link` on every ordered pair.
    pub fn with_links(mut self, link: LinkModel) -> Self {
        self.links = vec![link; self.nodes * self.nodes];
        self
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.nodes == 0 {
            return Err("nodes: a cluster needs at least one node".into());
        }
        if self.links.len() != self.nodes * self.nodes {
            return Err(format!("links: expected {} entries, found {}", self.nodes * self.nodes, self.links.len()));
        }
        if self.clocks.len() != self.nodes {
            return Err(format!("clocks: expected {} entries, found {}", self.nodes, self.clocks.len()));
        }
        for (i, l) in self.links.iter().enumerate() {
            l.validate().map_err(|e| format!("link {}->{}: {e}", i / self.nodes, i % self.nodes))?;
        }
        self.client_link.validate().map_err(|e| format!("client_link: {e}"))?;
        for (i, c) in self.clocks.iter().enumerate() {
            c.validate().map_err(|e| format!("clock of node {i}: {e}"))?;
        }
        self.schedule.validate(self.nodes)?;
        Ok(())
    }
}
