//! Gossip's entries in the catalog: two protocols, one per consistency
//! flavour, their built-in scenarios, and the end-of-run convergence check.
//!
//! The flavour is part of the protocol name (`gossip` is the causal store,
//! `gossip-eventual` the last-writer-wins one) rather than a bug or an
//! option: the two promise different things to clients, so a scenario file
//! should say which contract it runs, and `--bug no-deps` (a broken causal
//! store) only exists where it means something.
//!
//! Gossip replicas never stop gossiping, so a gossip run does not end when
//! the clients finish: it runs to `limits.time_ns`. The quiet time between
//! the last fault or client operation and the end is when anti-entropy
//! brings every replica up to date; then every replica must hold the same
//! value for every key (the `convergence` finding otherwise).

use super::{play, Played, ProtocolEntry};
use crate::kv_client::KvClients;
use crate::runner::Finding;
use crate::scenario::{Network, Scenario, ScenarioError, WorkloadSpec};
use checkers::causal::check_convergence;
use protocols::gossip::{Gossip, GossipBug};
use sim_core::{Choices, Delay, Limits, LinkModel, Nemesis, Ratio, Simulator, Workload, WorldConfig};
use sim_core::{NANOS_PER_MILLI, NANOS_PER_SEC};
use std::collections::BTreeMap;

/// Convergence is judged only if the run ends at least this long after the
/// last fault and the last client operation (and every client finished).
pub const QUIET_NS: u64 = NANOS_PER_SEC;

pub fn entry() -> ProtocolEntry {
    ProtocolEntry {
        name: "gossip",
        bugs: GossipBug::ALL.iter().map(|b| b.name()).collect(),
        byzantine_strategies: &[],
        scenarios: causal_scenarios,
        play: |scenario, world, choices| {
            let bug = scenario
                .bug
                .as_deref()
                .map(|b| b.parse::<GossipBug>())
                .transpose()
                .map_err(|e| ScenarioError { field: "bug".into(), message: e })?;
            Ok(play_gossip(Gossip::causal().with_bug(bug), scenario, world, choices))
        },
    }
}

pub fn eventual_entry() -> ProtocolEntry {
    ProtocolEntry {
        name: "gossip-eventual",
        bugs: Vec::new(),
        byzantine_strategies: &[],
        scenarios: eventual_scenarios,
        play: |scenario, world, choices| Ok(play_gossip(Gossip::eventual(), scenario, world, choices)),
    }
}

fn play_gossip(protocol: Gossip, scenario: &Scenario, mut world: WorldConfig, choices: Choices) -> Played {
    world.stop_when_done = false;
    play(protocol, KvClients::new(scenario.workload.clone()), world, choices, |w| w.into_history(), convergence)
}

/// The end-of-run check: after the quiet period, every live replica holds
/// the same value for every key.
pub fn convergence(sim: &Simulator<Gossip, KvClients>) -> Vec<Finding> {
    let now = sim.now();
    let last_fault = sim.config().schedule.faults.iter().map(|f| f.at_ns).max().unwrap_or(0);
    let last_op = sim.workload().history().events.iter().filter_map(|e| e.time).max().unwrap_or(0);
    let quiet_from = last_fault.max(last_op);
    if !Workload::<Gossip>::is_done(sim.workload()) || now < quiet_from.saturating_add(QUIET_NS) {
        return Vec::new(); // no quiet period to converge in: nothing to judge
    }
    let replicas: BTreeMap<u32, BTreeMap<String, String>> = sim
        .states()
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let s = s.as_ref()?;
            Some((i as u32, s.replica.store.iter().map(|(k, u)| (k.clone(), u.value.clone())).collect()))
        })
        .collect();
    let report = check_convergence(&replicas);
    if report.converged() {
        return Vec::new();
    }
    let shown: Vec<String> = report
        .divergent
        .iter()
        .take(3)
        .map(|d| {
            let values: Vec<String> =
                d.values.iter().map(|(r, v)| format!("n{r}={}", v.as_deref().unwrap_or("nil"))).collect();
            format!("{}: {}", d.key, values.join(" "))
        })
        .collect();
    vec![Finding {
        kind: "convergence".into(),
        name: "convergence".into(),
        detail: format!(
            "{} of {} keys differ across replicas {:.1} s after the last fault or operation: {}",
            report.divergent.len(),
            report.keys,
            (now - quiet_from) as f64 / NANOS_PER_SEC as f64,
            shown.join("; ")
        ),
        node: None,
        time_ns: Some(now),
    }]
}

/// Clients busy until 4 s (faults end then too); the run goes on to 6 s.
fn gossip(name: &str, protocol: &str, description: &str, long: &str) -> Scenario {
    Scenario {
        name: name.into(),
        description: description.into(),
        long: long.into(),
        protocol: protocol.into(),
        nodes: 5,
        workload: WorkloadSpec {
            clients: 4,
            ops_per_client: 100_000,
            keys: 3,
            get_weight: 1,
            put_weight: 1,
            append_weight: 0,
            think_min_ns: 0,
            think_max_ns: 50 * NANOS_PER_MILLI,
            end_ns: 4 * NANOS_PER_SEC,
            ..WorkloadSpec::default()
        },
        limits: Limits { time_ns: 6 * NANOS_PER_SEC, ..Limits::default() },
        checkers: vec!["causal".into()],
        ..Scenario::default()
    }
}

fn lossy_link() -> LinkModel {
    LinkModel {
        delay: Delay::Exponential { min_ns: NANOS_PER_MILLI, mean_ns: 5 * NANOS_PER_MILLI },
        ..LinkModel::fair_loss(Ratio::percent(10), Ratio::percent(5), Ratio::percent(20))
    }
}

fn partitions() -> Nemesis {
    Nemesis {
        partition: true,
        isolate: true,
        one_way: true,
        start_ns: NANOS_PER_SEC / 2,
        end_ns: 4 * NANOS_PER_SEC,
        interval_min_ns: 200 * NANOS_PER_MILLI,
        interval_max_ns: 800 * NANOS_PER_MILLI,
        duration_min_ns: 100 * NANOS_PER_MILLI,
        duration_max_ns: NANOS_PER_SEC,
        ..Nemesis::default()
    }
}

fn causal_scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();

    let mut s = gossip(
        "gossip-causal",
        "gossip",
        "Causal gossip, 5 replicas on lossy links: vector clocks hold updates until their causes arrive",
        "Five replicas each serve their own clients at once and spread writes by rumor mongering \
         (each new update is pushed to 2 random peers for 2 rounds) and by push-pull \
         anti-entropy (a random peer every ~100 ms; the two compare vector clocks and send what \
         the other lacks). Links drop, duplicate and reorder, so updates arrive out of order; a \
         replica buffers an update until everything its writer had seen is applied. Each \
         client keeps to one replica, so what it sees grows with causality. The causal checker \
         must find the history causally consistent (CC) and causally convergent (CCv: one \
         last-writer-wins order explains every read), and after the clients stop every \
         replica must hold the same value for every key.",
    );
    s.network = Network { link: lossy_link(), ..Network::default() };
    v.push(s);

    let mut s = gossip(
        "gossip-partition",
        "gossip",
        "Causal gossip under partitions: both sides keep serving, then heal and converge",
        "The nemesis splits the five replicas in two, isolates one, or cuts links one way, \
         again and again for 3.5 s. Unlike Raft, no side stops: every replica keeps answering \
         its clients, which see only their side's writes (availability under partition, at \
         the price of stale reads). Rumors across the cut are lost. After the last heal, \
         anti-entropy exchanges the missing updates, the causal buffers drain, and \
         last-writer-wins on Lamport stamps picks the same winner for every key everywhere: \
         the end-of-run check finds all replicas equal. The history must stay CC and CCv \
         throughout.",
    );
    s.nemesis = partitions();
    v.push(s);

    let mut s = gossip(
        "gossip-no-deps",
        "gossip",
        "Bug no-deps: updates applied as they arrive, ignoring their causal dependencies",
        "This replica applies an update as soon as it is the next one from its origin, without \
         waiting for the updates its writer had seen on other replicas. When a rumor overtakes \
         the one it depends on (a slow or lost link, a partition), a replica shows the effect \
         without its cause: a client there reads y = b, written by someone who had read x = a, \
         and then still reads the old x. The invariant causal-delivery catches the replica the \
         moment it applies such an update. Run with --no-invariants to see the causal checker \
         find the bug from the clients' history alone: WriteCOInitRead, WriteCORead or CyclicCF, \
         naming the writes, the reads and the chain of sessions between them. The replicas still \
         converge: the bug is in what clients see meanwhile.",
    );
    s.bug = Some("no-deps".into());
    s.network = Network {
        link: LinkModel {
            delay: Delay::Exponential { min_ns: NANOS_PER_MILLI, mean_ns: 15 * NANOS_PER_MILLI },
            ..LinkModel::fair_loss(Ratio::percent(20), Ratio::ZERO, Ratio::percent(30))
        },
        ..Network::default()
    };
    s.nemesis = partitions();
    s.workload.clients = 6;
    s.workload.keys = 2;
    s.workload.get_weight = 2;
    v.push(s);

    v
}

fn eventual_scenarios() -> Vec<Scenario> {
    let mut s = gossip(
        "gossip-eventual",
        "gossip-eventual",
        "Eventual gossip (last-writer-wins by Lamport stamp) on lossy links under partitions: converges",
        "The same epidemics as gossip-causal, but each replica applies an update the moment it \
         arrives if its Lamport stamp (ties broken by node id) beats the key's current one, and \
         anti-entropy compares per-key stamps instead of vector clocks. Nothing waits for \
         anything, so a client can see a write before the writes it depended on: histories \
         are in general not causally consistent, and this scenario runs no history checker \
         (a scenario file of it with `\"checkers\": [\"causal\"]` shows the patterns in a few seeds). What it \
         promises is convergence: after the partitions heal and the clients stop, every \
         replica holds the same value for every key, which the end-of-run check verifies.",
    );
    s.network = Network { link: lossy_link(), ..Network::default() };
    s.nemesis = partitions();
    s.checkers = Vec::new();
    vec![s]
}
