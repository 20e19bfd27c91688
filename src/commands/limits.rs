//! The limits section of `faultline --help`: every bound a hostile or huge
//! input meets, and what faultline does there. Built from the constants, so
//! the help cannot drift from the code.

use checkers::formats::{MAX_HISTORY_BYTES, MAX_HISTORY_EVENTS};
use scenarios::scenario as sc;

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes >> 20)
}

pub fn help() -> String {
    let week = sc::MAX_TIME_NS / sim_core::NANOS_PER_SEC / 86_400;
    format!(
        "Limits (a value beyond one is bad input, exit 2, unless it says unknown):\n  \
         scenario files      at most {scen}; nodes 1..={nodes}, workload.clients <= {clients}, \
         ops_per_client <= {ops}, keys <= {keys}\n                      \
         every *_ns time <= {week} simulated days; faults <= {faults}; nemesis episodes <= {episodes}\n                      \
         limits.events 1..={events}: a run that reaches its event budget is unknown (exit 3)\n  \
         histories (lin, causal)  at most {hist} and {hist_events} events; lin --timeout: unknown (exit 3)\n  \
         repro files         at most {repro}; one from another faultline version says why it cannot replay\n  \
         results (merge)     at most {results}\n  \
         check               --max-states (default {states}), --depth, --time: unknown (exit 3); --jobs 1..=1024\n  \
         fuzz                --jobs 1..=1024\n  \
         Files over a size limit are refused by their size, before reading.",
        scen = mib(sc::MAX_FILE_BYTES),
        nodes = sc::MAX_NODES,
        clients = sc::MAX_CLIENTS,
        ops = sc::MAX_OPS_PER_CLIENT,
        keys = sc::MAX_KEYS,
        faults = sc::MAX_FAULTS,
        episodes = sc::MAX_NEMESIS_EPISODES,
        events = sc::MAX_EVENTS,
        hist = mib(MAX_HISTORY_BYTES),
        hist_events = MAX_HISTORY_EVENTS,
        repro = mib(scenarios::repro::MAX_FILE_BYTES),
        results = mib(scenarios::campaign::results::MAX_RESULTS_BYTES),
        states = super::check::DEFAULT_MAX_STATES,
    )
}
