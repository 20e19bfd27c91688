//! Echo's entry in the catalog: the template protocol and its bug.

use super::{play, ProtocolEntry};
use crate::scenario::{Scenario, WorkloadSpec};
use checkers::History;
use protocols::echo::{Echo, EchoBug};
use sim_core::{Limits, NoClients, NANOS_PER_SEC};

pub fn entry() -> ProtocolEntry {
    ProtocolEntry {
        name: "echo",
        bugs: vec!["double-pong"],
        byzantine_strategies: &[],
        scenarios,
        play: |scenario, world, choices| {
            let protocol = Echo { bug: scenario.bug.as_deref().map(|_| EchoBug::DoublePong), ..Echo::new() };
            Ok(play(protocol, NoClients, world, choices, |_| History::new(), |_| Vec::new()))
        },
    }
}

fn scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();
    v.push(Scenario {
        name: "echo-basic".into(),
        description: "Echo, the template protocol: pings around a ring, no clients".into(),
        long: "Three nodes ping the next node in a ring every 10 ms and count the pongs. It is \
               the smallest protocol (protocols/src/echo.rs), the one to copy when writing a new \
               one: configuration, state, messages, handlers, an invariant and a bug variant."
            .into(),
        protocol: "echo".into(),
        nodes: 3,
        workload: WorkloadSpec { clients: 0, ..WorkloadSpec::default() },
        checkers: vec![],
        limits: Limits { time_ns: NANOS_PER_SEC, ..Limits::default() },
        ..Scenario::default()
    });
    v.push(Scenario {
        name: "echo-double-pong".into(),
        description: "Bug double-pong: echo answers every ping twice".into(),
        long: "The echo template with its bug variant: every ping is answered twice, so a node \
               soon counts more pongs than it sent pings and the invariant pong-answers-ping \
               breaks. The simplest possible demonstration of an invariant violation and its repro."
            .into(),
        protocol: "echo".into(),
        bug: Some("double-pong".into()),
        nodes: 3,
        workload: WorkloadSpec { clients: 0, ..WorkloadSpec::default() },
        checkers: vec![],
        limits: Limits { time_ns: NANOS_PER_SEC, ..Limits::default() },
        ..Scenario::default()
    });
    v
}
