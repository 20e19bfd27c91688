//! The catalog: one file per protocol, each giving its bug variants, its
//! built-in scenarios and how to play a scenario of it. Adding a protocol
//! means adding a file here and one line in [`all`].

mod echo;
mod gossip;
mod lamport_mutex;
mod paxos;
mod pbft;
mod raft;
mod three_pc;
mod two_pc;

use crate::runner::Finding;
use crate::scenario::{Scenario, ScenarioError};
use checkers::History;
use sim_core::{Choices, Protocol, Recorded, RunResult, Simulator, TraceEvent, Workload, WorldConfig};

/// What the runner needs to know about one protocol.
pub struct ProtocolEntry {
    /// As scenarios spell it (`raft`).
    pub name: &'static str,
    /// Its bug variants, as `--bug` spells them.
    pub bugs: Vec<&'static str>,
    /// Its own Byzantine strategies (its `Protocol::byzantine_strategies`;
    /// the simulator panics on a scheduled strategy the protocol lacks), so
    /// scenario validation can name them. `&[]` if none.
    pub byzantine_strategies: &'static [&'static str],
    /// Its built-in scenarios.
    pub scenarios: fn() -> Vec<Scenario>,
    /// Plays one (validated) scenario in the given world.
    pub play: fn(&Scenario, WorldConfig, Choices) -> Result<Played, ScenarioError>,
}

/// Every protocol, in the order `faultline list` shows them.
pub fn all() -> Vec<ProtocolEntry> {
    vec![
        raft::entry(),
        paxos::entry(),
        paxos::multi_entry(),
        pbft::entry(),
        gossip::entry(),
        gossip::eventual_entry(),
        two_pc::entry(),
        three_pc::entry(),
        lamport_mutex::entry(),
        echo::entry(),
    ]
}

/// What playing a scenario produced.
pub struct Played {
    pub result: RunResult,
    pub history: History,
    pub trace: Vec<TraceEvent>,
    pub tape: Option<Recorded>,
    /// Findings from end-of-run checks of the final states (convergence,
    /// blocked participants, ...), judged by the protocol's catalog entry.
    pub findings: Vec<Finding>,
}

/// Runs the simulator to the end and collects what the runner needs.
/// `history` takes the workload's record; `after` inspects the finished
/// simulator for end-of-run findings.
pub fn play<P: Protocol, W: Workload<P>>(
    protocol: P,
    workload: W,
    world: WorldConfig,
    choices: Choices,
    history: impl FnOnce(W) -> History,
    after: impl FnOnce(&Simulator<P, W>) -> Vec<Finding>,
) -> Played {
    let mut sim = Simulator::new(protocol, workload, world, choices);
    let result = sim.run();
    let findings = if result.outcome.is_failure() { Vec::new() } else { after(&sim) };
    let tape = sim.choices_mut().take_recording();
    let trace = sim.trace_events().to_vec();
    Played { result, history: history(sim.into_workload()), trace, tape, findings }
}
