//! Paxos's two entries in the catalog: single-decree Paxos (`paxos`) and
//! Multi-Paxos serving the key-value store (`multi-paxos`).
//!
//! Single-decree Paxos has no clients, so its scenarios use the workload
//! fields to say who proposes and when: `workload.clients` is the number of
//! proposers (nodes n0, n1, ...), `think_min_ns..=think_max_ns` the range of
//! a proposer's random start delay; an attempt that has not led to a decision
//! is abandoned for one with a higher ballot after a time drawn from
//! `attempt_timeout_ns..=op_timeout_ns`, and after a preemption (Nack) the
//! proposer backs off for up to `op_timeout_ns - attempt_timeout_ns`. No
//! history is recorded; the invariants (checked after every event) are the
//! whole judgement.
//!
//! Liveness of single-decree Paxos is *not* judged: it is not guaranteed
//! (dueling proposers, §2.4 of the paper), so "nothing chosen by the end" is
//! information, not a violation. A run's trace says whether and when each
//! node learned a value (`faultline run paxos-dueling --seed N --trace`:
//! look for `learned` and `prepare ballot`), and `scenarios/tests/paxos.rs`
//! counts, over many seeds, how often dueling proposers never decide.

use super::{play, ProtocolEntry};
use crate::kv_client::KvClients;
use crate::scenario::{Network, Scenario, ScenarioError, WorkloadSpec};
use checkers::History;
use protocols::paxos::{MultiPaxos, PaxosBug, SingleDecree};
use sim_core::{Delay, Limits, LinkModel, Nemesis, NoClients, Ratio, NANOS_PER_MILLI, NANOS_PER_SEC};

fn parse_bug(scenario: &Scenario) -> Result<Option<PaxosBug>, ScenarioError> {
    scenario
        .bug
        .as_deref()
        .map(|b| b.parse::<PaxosBug>())
        .transpose()
        .map_err(|e| ScenarioError { field: "bug".into(), message: e })
}

/// Single-decree Paxos: `paxos`.
pub fn entry() -> ProtocolEntry {
    ProtocolEntry {
        name: "paxos",
        bugs: PaxosBug::ALL.iter().map(|b| b.name()).collect(),
        byzantine_strategies: &[],
        scenarios: single_scenarios,
        play: |scenario, world, choices| {
            let w = &scenario.workload;
            let protocol = SingleDecree {
                proposers: w.clients.min(scenario.nodes),
                start_delay_min_ns: w.think_min_ns,
                start_delay_max_ns: w.think_max_ns,
                backoff_min_ns: 0,
                backoff_max_ns: w.op_timeout_ns - w.attempt_timeout_ns,
                attempt_timeout_ns: w.attempt_timeout_ns,
                bug: parse_bug(scenario)?,
            };
            Ok(play(protocol, NoClients, world, choices, |_| History::new(), |_| Vec::new()))
        },
    }
}

/// Multi-Paxos with the key-value store: `multi-paxos`.
pub fn multi_entry() -> ProtocolEntry {
    ProtocolEntry {
        name: "multi-paxos",
        bugs: PaxosBug::ALL.iter().map(|b| b.name()).collect(),
        byzantine_strategies: &[],
        scenarios: multi_scenarios,
        play: |scenario, world, choices| {
            let protocol = MultiPaxos::with_bug(parse_bug(scenario)?);
            let clients = KvClients::new(scenario.workload.clone());
            Ok(play(protocol, clients, world, choices, |w| w.into_history(), |_| Vec::new()))
        },
    }
}

/// A single-decree scenario: `proposers` proposers, start delays and
/// back-offs from `delay_min..=delay_max`, no history checkers.
fn single(name: &str, description: &str, long: &str, nodes: usize, proposers: usize) -> Scenario {
    Scenario {
        name: name.into(),
        description: description.into(),
        long: long.into(),
        protocol: "paxos".into(),
        nodes,
        workload: WorkloadSpec {
            clients: proposers,
            think_min_ns: 0,
            think_max_ns: 100 * NANOS_PER_MILLI,
            attempt_timeout_ns: 100 * NANOS_PER_MILLI,
            op_timeout_ns: 200 * NANOS_PER_MILLI,
            ..WorkloadSpec::default()
        },
        checkers: vec![],
        limits: Limits { time_ns: 3 * NANOS_PER_SEC, ..Limits::default() },
        ..Scenario::default()
    }
}

fn lossy_link() -> LinkModel {
    LinkModel {
        delay: Delay::Exponential { min_ns: NANOS_PER_MILLI, mean_ns: 3 * NANOS_PER_MILLI },
        ..LinkModel::fair_loss(Ratio::percent(10), Ratio::percent(5), Ratio::percent(20))
    }
}

/// Crashes that start at once (single-decree runs are short) and come often.
fn early_crashes(interval_max_ms: u64, duration_max_ms: u64, end_ms: u64) -> Nemesis {
    Nemesis {
        crash: true,
        recover: true,
        start_ns: 0,
        end_ns: end_ms * NANOS_PER_MILLI,
        interval_min_ns: NANOS_PER_MILLI,
        interval_max_ns: interval_max_ms * NANOS_PER_MILLI,
        duration_min_ns: NANOS_PER_MILLI,
        duration_max_ns: duration_max_ms * NANOS_PER_MILLI,
        ..Nemesis::default()
    }
}

fn single_scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();

    v.push(single(
        "paxos-basic",
        "Single-decree Paxos, 5 nodes, 3 proposers, reliable network: one value is chosen",
        "Five nodes are acceptors and learners; n0, n1 and n2 also propose their own values \
         (100, 101, 102) after a random delay. The first proposer sends Prepare (phase 1a) with \
         its ballot; the acceptors answer Promise (1b), reporting what they have accepted (nothing \
         yet); with a majority of promises it sends Accept (2a) with its own value; acceptors accept \
         and tell every learner with Accepted (2b). A later proposer's Prepare reaches acceptors \
         that already accepted, so its promises report that value and it proposes it too: the \
         value stays chosen. Run with --trace and read the notes: every node learns the same value.",
        5,
        3,
    ));

    let mut s = single(
        "paxos-dueling",
        "Single-decree Paxos with two dueling proposers: always safe, not always live",
        "Two proposers, links with a fixed 10 ms latency, and proposers that give up on an \
         attempt after 21-22 ms, barely more than the 20 ms phase 1 takes, with almost no random \
         back-off. When the second proposer starts a few milliseconds after the first, each \
         one's new Prepare reaches the acceptors just before the other's Accept, so every ballot \
         is preempted by the next and no proposal is ever accepted by a majority: the livelock of \
         Paxos Made Simple section 2.4. Safety (agreement, validity) holds in every run; liveness \
         does not: in about one seed in eight no value is chosen before the 3 s limit. That is \
         information, not a violation, so the verdict stays `held`; run with --trace and count \
         the `prepare ballot` notes, or look for a `learned` note. The same world with one \
         proposer, or with back-off drawn from a wider range, always decides: randomised \
         back-off or a distinguished proposer (a leader, as in multi-paxos) is the cure.",
        3,
        2,
    );
    s.network = Network {
        link: LinkModel {
            delay: Delay::Uniform { min_ns: 10 * NANOS_PER_MILLI, max_ns: 10 * NANOS_PER_MILLI },
            ..LinkModel::reliable()
        },
        ..Network::default()
    };
    s.workload.think_min_ns = 0;
    s.workload.think_max_ns = 20 * NANOS_PER_MILLI;
    s.workload.attempt_timeout_ns = 21 * NANOS_PER_MILLI;
    s.workload.op_timeout_ns = 22 * NANOS_PER_MILLI;
    v.push(s);

    let mut s = single(
        "paxos-crash-recovery",
        "Single-decree Paxos with acceptors crashing and restarting from stable storage",
        "Five nodes, all proposers, on lossy links; the nemesis crashes a minority of nodes every \
         few milliseconds and restarts them soon after. A restarted acceptor reloads its promise \
         and its accepted proposal from stable storage (it wrote them before answering), so it \
         keeps every promise it made. Proposers whose attempts stall retry with higher ballots. \
         Safety must hold in every run: at most one value chosen, and only a proposed one. \
         Compare with paxos-forget-promise.",
        5,
        5,
    );
    s.network = Network { link: lossy_link(), ..Network::default() };
    s.nemesis = early_crashes(40, 30, 1500);
    v.push(s);

    let mut s = single(
        "paxos-ignore-accepted",
        "Bug ignore-accepted: a proposer ignores the values reported in the promises",
        "Phase 2a must propose the value of the highest-numbered proposal reported in the \
         promises. This variant always proposes the proposer's own value. On lossy links a \
         proposer often misses the Accepted messages of a value already chosen, retries with a \
         higher ballot, hears of the chosen value in the promises, ignores it, and gets its own \
         value accepted by a majority: two values chosen, `agreement` breaks.",
        3,
        3,
    );
    s.bug = Some("ignore-accepted".into());
    s.network = Network {
        link: LinkModel {
            delay: Delay::Uniform { min_ns: NANOS_PER_MILLI, max_ns: 10 * NANOS_PER_MILLI },
            ..LinkModel::fair_loss(Ratio::percent(30), Ratio::ZERO, Ratio::ZERO)
        },
        ..Network::default()
    };
    s.workload.attempt_timeout_ns = 30 * NANOS_PER_MILLI;
    s.workload.op_timeout_ns = 60 * NANOS_PER_MILLI;
    v.push(s);

    let mut s = single(
        "paxos-forget-promise",
        "Bug forget-promise: acceptors keep their promise in memory only",
        "An acceptor must write its promise to stable storage before answering Promise. This \
         variant does not: after a crash it remembers only the ballot of the proposal it \
         accepted. Slow links keep an old Accept in flight while a newer proposer collects \
         promises; an acceptor that promised the newer ballot, crashes and restarts in between \
         accepts the old Accept, completing a majority for the old value, while the newer \
         proposer, told by that same acceptor that nothing newer was accepted, gets another \
         value chosen: `agreement` breaks. Brief, frequent crashes expose it.",
        3,
        3,
    );
    s.bug = Some("forget-promise".into());
    s.network = Network {
        link: LinkModel {
            delay: Delay::Uniform { min_ns: 5 * NANOS_PER_MILLI, max_ns: 50 * NANOS_PER_MILLI },
            ..LinkModel::reliable()
        },
        ..Network::default()
    };
    s.workload.think_max_ns = 60 * NANOS_PER_MILLI;
    s.nemesis = Nemesis { max_down: Some(1), ..early_crashes(20, 10, 1500) };
    v.push(s);

    v
}

fn multi(name: &str, description: &str, long: &str) -> Scenario {
    Scenario {
        name: name.into(),
        description: description.into(),
        long: long.into(),
        protocol: "multi-paxos".into(),
        nodes: 5,
        ..Scenario::default()
    }
}

/// Fault scenarios keep clients busy until `workload.end_ns`, so faults hit live traffic.
fn busy_until_end(mut s: Scenario) -> Scenario {
    s.workload.ops_per_client = 100_000;
    s
}

fn multi_scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();

    v.push(multi(
        "multi-paxos-basic",
        "Multi-Paxos, 5 nodes, reliable network, no faults: a stable leader serves a KV store",
        "Five nodes run one Paxos instance per log slot. The first node whose election timeout \
         fires runs phase 1 once for all slots (Prepare with its ballot) and, with a majority of \
         promises, becomes the leader. Every client command then costs one round of phase 2: \
         Accept to all, Accepted from a majority, Chosen to the learners, applied in slot order to \
         the key-value store. Followers answer clients with NotLeader and a hint. The history must \
         be linearizable.",
    ));

    let mut s = multi(
        "multi-paxos-crash-recovery",
        "Multi-Paxos with nodes (often the leader) crashing and restarting",
        "The nemesis crashes a minority of nodes at a time, often the leader, and restarts them. \
         Acceptors reload their promise and accepted proposals from stable storage; chosen values \
         and the store are relearned from the leader. When the leader dies, a follower's election \
         timeout fires and it runs phase 1 over every slot it does not know to be chosen: the \
         promises report the proposals in flight, and the new leader re-proposes the \
         highest-numbered one of each slot and fills gaps with no-ops. Agreement must hold per \
         slot and the history must be linearizable.",
    );
    s.nemesis = Nemesis { crash: true, crash_leader: true, recover: true, ..Nemesis::default() };
    v.push(busy_until_end(s));

    let mut s = multi(
        "multi-paxos-partition",
        "Multi-Paxos on lossy links, with the leader isolated and the cluster split",
        "Links drop, duplicate and reorder messages; the nemesis cuts the leader off or splits \
         the cluster, then heals. A leader in a minority can no longer get Accepts accepted; the \
         majority elects a new leader with a higher ballot, whose phase 1 preempts the old one. \
         When the partition heals, the old leader's heartbeats and Accepts are refused (Nack) and \
         it steps down. Lost Accepts are retransmitted with heartbeats; lost Chosen messages are \
         recovered by CatchUp.",
    );
    s.network = Network { link: lossy_link(), ..Network::default() };
    s.nemesis = Nemesis { isolate_leader: true, partition: true, ..Nemesis::default() };
    v.push(busy_until_end(s));

    let mut s = multi(
        "multi-paxos-ignore-accepted",
        "Bug ignore-accepted: a new leader ignores the proposals reported in the promises",
        "A new leader must re-propose, slot by slot, the highest-numbered proposal reported in \
         the promises. This variant starts from what it knows itself: slots chosen under the old \
         leader whose Chosen message it missed get a no-op or a new command. Leader crashes and \
         isolation with commands in flight expose it: `agreement` (two values chosen in one slot) \
         or a non-linearizable history.",
    );
    s.bug = Some("ignore-accepted".into());
    s.nodes = 3;
    s.nemesis = Nemesis {
        crash_leader: true,
        isolate_leader: true,
        recover: true,
        interval_min_ns: 50 * NANOS_PER_MILLI,
        interval_max_ns: 300 * NANOS_PER_MILLI,
        duration_min_ns: 50 * NANOS_PER_MILLI,
        duration_max_ns: 400 * NANOS_PER_MILLI,
        ..Nemesis::default()
    };
    v.push(busy_until_end(s));

    let mut s = multi(
        "multi-paxos-forget-promise",
        "Bug forget-promise: acceptors forget their promise when they crash",
        "Acceptors keep their promise in memory only. A deposed leader's Accept, retransmitted \
         after a heal or delayed on a slow link, reaches an acceptor that promised the new leader \
         and then restarted: it accepts, completing a majority for the old leader's command in a \
         slot the new leader fills with something else. Frequent crashes, leader isolation and \
         slow links expose it: `agreement` breaks.",
    );
    s.bug = Some("forget-promise".into());
    s.nodes = 3;
    s.network = Network {
        link: LinkModel {
            delay: Delay::Uniform { min_ns: 5 * NANOS_PER_MILLI, max_ns: 60 * NANOS_PER_MILLI },
            ..LinkModel::reliable()
        },
        ..Network::default()
    };
    s.nemesis = Nemesis {
        crash: true,
        isolate_leader: true,
        recover: true,
        max_down: Some(1),
        interval_min_ns: 10 * NANOS_PER_MILLI,
        interval_max_ns: 40 * NANOS_PER_MILLI,
        duration_min_ns: 20 * NANOS_PER_MILLI,
        duration_max_ns: 400 * NANOS_PER_MILLI,
        ..Nemesis::default()
    };
    v.push(busy_until_end(s));

    v
}
