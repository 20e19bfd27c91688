//! Lamport's mutual exclusion in the catalog: the algorithm on the links it
//! assumes, on links that break its assumption, with its bug, and with a crash.
//!
//! There are no clients: each node requests the critical section itself.
//! The scenario's `workload` fields mean: `clients` must be 0;
//! `ops_per_client` is how many times each node enters the critical section;
//! `think_min_ns`/`think_max_ns` the pause before each request. A node holds
//! the section for 5 ms.
//!
//! End of run: a live node whose request has waited more than
//! [`GRANT_WITHIN_NS`], or at all when the run ended because nothing was
//! left to happen, is a liveness finding (`stalled`), naming the nodes and
//! since when.

use super::{play, ProtocolEntry};
use crate::runner::Finding;
use crate::scenario::{Network, Scenario, ScenarioError, WorkloadSpec};
use checkers::History;
use protocols::lamport_mutex::{LamportMutex, MutexBug, MutexMonitor};
use sim_core::time::format_duration_ns;
use sim_core::{Delay, Limits, LinkModel, Nemesis, NoClients, Ratio, Time, NANOS_PER_MILLI, NANOS_PER_SEC};

/// A request waiting longer than this at the end of a run has stalled.
pub const GRANT_WITHIN_NS: u64 = NANOS_PER_SEC;

pub fn entry() -> ProtocolEntry {
    ProtocolEntry {
        name: "lamport-mutex",
        bugs: MutexBug::ALL.iter().map(|b| b.name()).collect(),
        byzantine_strategies: &[],
        scenarios,
        play: |scenario, world, choices| {
            let w = &scenario.workload;
            if w.clients != 0 {
                return Err(ScenarioError {
                    field: "workload.clients".into(),
                    message: format!(
                        "lamport-mutex has no clients (nodes request the critical section themselves, \
                         workload.ops_per_client times each); set it to 0, not {}",
                        w.clients
                    ),
                });
            }
            let bug = scenario
                .bug
                .as_deref()
                .map(|b| b.parse::<MutexBug>())
                .transpose()
                .map_err(|e| ScenarioError { field: "bug".into(), message: e })?;
            let protocol = LamportMutex {
                rounds: w.ops_per_client,
                think_min_ns: w.think_min_ns,
                think_max_ns: w.think_max_ns,
                bug,
                ..LamportMutex::default()
            };
            Ok(play(
                protocol,
                NoClients,
                world,
                choices,
                |_| History::new(),
                |sim| {
                    // Ending before the time limit means nothing was left to happen.
                    let quiescent = sim.now() < sim.config().limits.time_ns;
                    stalled(sim.monitor(), &|i| sim.states()[i].is_some(), sim.now(), quiescent)
                },
            ))
        },
    }
}

fn stalled(m: &MutexMonitor, up: &dyn Fn(usize) -> bool, now: Time, quiescent: bool) -> Vec<Finding> {
    let stuck: Vec<(usize, Time)> = m
        .waiting_since
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            s.filter(|since| up(i) && (quiescent || now.saturating_sub(*since) > GRANT_WITHIN_NS)).map(|s| (i, s))
        })
        .collect();
    let Some(&(first, earliest)) = stuck.iter().min_by_key(|s| s.1) else { return Vec::new() };
    let down: Vec<String> = (0..m.waiting_since.len()).filter(|&i| !up(i)).map(|i| format!("n{i}")).collect();
    let list: Vec<String> = stuck.iter().map(|(i, s)| format!("n{i} since {}", format_duration_ns(*s))).collect();
    vec![Finding {
        kind: "liveness".into(),
        name: "stalled".into(),
        detail: format!(
            "requests not granted at {}{}: {}{}",
            format_duration_ns(now),
            if quiescent { " (nothing left to happen)" } else { "" },
            list.join(", "),
            if down.is_empty() {
                String::new()
            } else {
                format!(" ({} down: rule 5(ii) waits for a later message from every node)", down.join(", "))
            }
        ),
        node: Some(first as u32),
        time_ns: Some(earliest),
    }]
}

fn mutex(name: &str, description: &str, long: &str) -> Scenario {
    Scenario {
        name: name.into(),
        description: description.into(),
        long: long.into(),
        protocol: "lamport-mutex".into(),
        nodes: 5,
        workload: WorkloadSpec {
            clients: 0,
            ops_per_client: 20,
            think_min_ns: 0,
            think_max_ns: 30 * NANOS_PER_MILLI,
            ..WorkloadSpec::default()
        },
        checkers: vec![],
        limits: Limits { time_ns: 10 * NANOS_PER_SEC, ..Limits::default() },
        ..Scenario::default()
    }
}

fn scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();

    v.push(mutex(
        "lamport-mutex-basic",
        "Lamport's mutual exclusion, 5 nodes on reliable FIFO links",
        "Five nodes each enter a critical section 20 times, with no lock server (Lamport 1978). \
         A node stamps its request with its Lamport clock and sends it to all; everyone queues \
         requests in (timestamp, node id) order and acknowledges. A node enters when its request \
         heads its queue and it has heard from every other node with a later timestamp; on leaving \
         it sends Release. Watch in the trace how the clocks jump on receipt. Invariants: at most \
         one node in the section, and grants in timestamp order; every request is granted.",
    ));

    let mut s = mutex(
        "lamport-mutex-no-fifo",
        "Lamport's mutex on reordering links: FIFO is an assumption, and without it two nodes enter",
        "The same correct algorithm on links that never lose a message but deliver out of order \
         (1-10 ms latency, a third of the messages delayed up to 20 ms more). Rule 5(ii) reasons: \
         'I heard from n2 with a later timestamp, so any earlier request of n2 has already \
         reached me' - true only on FIFO links. Here n2's acknowledgment can overtake n2's own \
         earlier request: the node enters believing it is first, n2 enters too, and \
         mutual-exclusion breaks. Released requests can also arrive after their Release and \
         block the queue for good.",
    );
    s.network = Network {
        link: LinkModel {
            delay: Delay::Uniform { min_ns: NANOS_PER_MILLI, max_ns: 10 * NANOS_PER_MILLI },
            reorder: Ratio::percent(33),
            reorder_delay_max_ns: 20 * NANOS_PER_MILLI,
            fifo: false,
            ..LinkModel::reliable()
        },
        ..Network::default()
    };
    v.push(s);

    let mut s = mutex(
        "lamport-mutex-skip-reply-check",
        "Bug skip-reply-check: enter when first in the local queue, without hearing from everyone",
        "This variant drops rule 5(ii): a node enters as soon as its own request heads its own \
         queue. But another node's request with a smaller timestamp may still be on its way; it \
         arrives, the other node enters too, and mutual-exclusion breaks. Links are reliable and \
         FIFO: the bug needs only concurrent requests. The acknowledgments are what make the \
         queue complete.",
    );
    s.bug = Some("skip-reply-check".into());
    v.push(s);

    let mut s = mutex(
        "lamport-mutex-crash",
        "Lamport's mutex with one crashed node: everybody stalls (a liveness finding)",
        "One node crashes for good (crash-stop) while all keep requesting. Rule 5(ii) needs a \
         message from every other node stamped later than the request, and a crashed node sends \
         nothing: every later request waits forever. A crash in the critical section also leaves \
         its request at the head of every queue. Safety holds, but the whole system stops; the run \
         ends with a liveness finding `stalled` naming the waiting nodes. Lamport's algorithm \
         assumes no failures; tolerating them needs a failure detector and membership changes.",
    );
    s.workload.ops_per_client = 100_000;
    s.limits.time_ns = 4 * NANOS_PER_SEC;
    s.nemesis = Nemesis {
        crash: true,
        recover: false,
        max_down: Some(1),
        start_ns: 200 * NANOS_PER_MILLI,
        end_ns: 2 * NANOS_PER_SEC,
        ..Nemesis::default()
    };
    v.push(s);

    v
}
