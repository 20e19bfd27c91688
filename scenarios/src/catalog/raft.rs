//! Raft's entry in the catalog: its built-in scenarios and how to play them.

use super::{play, ProtocolEntry};
use crate::kv_client::KvClients;
use crate::scenario::{Network, Scenario};
use protocols::raft::{Raft, RaftBug};
use sim_core::{
    Delay, Fault, FaultSchedule, LinkModel, Nemesis, NodeId, Ratio, ScheduledFault, Strategy, NANOS_PER_MILLI,
    NANOS_PER_SEC,
};

pub fn entry() -> ProtocolEntry {
    ProtocolEntry {
        name: "raft",
        bugs: RaftBug::ALL.iter().map(|b| b.name()).collect(),
        byzantine_strategies: &[],
        scenarios,
        play: |scenario, world, choices| {
            let bug = scenario
                .bug
                .as_deref()
                .map(|b| b.parse::<RaftBug>())
                .transpose()
                .map_err(|e| crate::scenario::ScenarioError { field: "bug".into(), message: e })?;
            Ok(play(
                Raft::with_bug(bug),
                KvClients::new(scenario.workload.clone()),
                world,
                choices,
                |w| w.into_history(),
                |_| Vec::new(),
            ))
        },
    }
}

fn raft(name: &str, description: &str, long: &str) -> Scenario {
    Scenario {
        name: name.into(),
        description: description.into(),
        long: long.into(),
        protocol: "raft".into(),
        nodes: 5,
        ..Scenario::default()
    }
}

/// Fault scenarios keep clients busy until `workload.end_ns`, so faults hit live traffic.
fn busy_until_end(mut s: Scenario) -> Scenario {
    s.workload.ops_per_client = 100_000;
    s
}

fn lossy_link() -> LinkModel {
    LinkModel {
        delay: Delay::Exponential { min_ns: NANOS_PER_MILLI, mean_ns: 3 * NANOS_PER_MILLI },
        ..LinkModel::fair_loss(Ratio::percent(10), Ratio::percent(5), Ratio::percent(20))
    }
}

/// Every built-in scenario, in the order `faultline list` shows them.
fn scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();

    v.push(raft(
        "raft-basic",
        "Raft, 5 nodes, reliable network, no faults: the happy path",
        "Five Raft nodes on reliable links elect a leader and serve a key-value store to three \
         clients. Nothing fails. Look at the trace for the first election: a node's randomized \
         election timeout fires, it becomes candidate, asks for votes with RequestVote, and wins \
         with a majority. Every later client request is appended to the leader's log, replicated \
         with AppendEntries and applied once a majority has it. The history must be linearizable.",
    ));

    let mut s = raft(
        "raft-partition",
        "Raft under partitions: the leader isolated, the cluster split, then healed",
        "The nemesis repeatedly cuts the current leader off from the others, or splits the cluster \
         in two, then heals. When the leader lands in a minority it can no longer commit; the majority side times out, elects \
         a new leader in a higher term, and continues. On healing, the old leader sees the higher \
         term and steps down, and its uncommitted entries are overwritten. Safety must hold \
         throughout: one leader per term, and no committed entry ever lost.",
    );
    s.nemesis = Nemesis { isolate_leader: true, partition: true, ..Nemesis::default() };
    // After the last heal, a new leader must serve every request within a second.
    s.liveness_bound_ns = Some(NANOS_PER_SEC);
    v.push(busy_until_end(s));

    let mut s = raft(
        "raft-crash-recovery",
        "Raft with nodes crashing and restarting from their persisted state",
        "The nemesis crashes a minority of nodes at a time (often the leader) and restarts them. A crash erases \
         volatile state (commitIndex, the leader's nextIndex and matchIndex); currentTerm, \
         votedFor and the log survive because Raft persists them before answering. A restarted \
         node catches up from the leader. Compare with raft-forget-vote, where votedFor is not \
         persisted.",
    );
    s.nemesis = Nemesis { crash: true, crash_leader: true, recover: true, ..Nemesis::default() };
    s.liveness_bound_ns = Some(NANOS_PER_SEC);
    v.push(busy_until_end(s));

    let mut s = raft(
        "raft-lossy",
        "Raft on fair-loss links: 10% drop, 5% duplicates, reordering",
        "Links lose one message in ten, duplicate one in twenty and reorder one in five, with \
         exponential latency. Raft tolerates all of it: RPCs are retried by the next heartbeat, \
         duplicates and stale AppendEntries are recognised by their terms and indices and must \
         never truncate a log that already matches. A handler that truncates on a stale message \
         would lose committed entries here.",
    );
    s.network = Network { link: lossy_link(), ..Network::default() };
    v.push(busy_until_end(s));

    let mut s = raft(
        "raft-no-log-check",
        "Bug no-log-check: votes granted without the log up-to-date check",
        "A voter must refuse a candidate whose log is less up to date than its own (Raft §5.4.1). \
         This variant skips that check, so a node that missed committed entries can win an \
         election and overwrite them. Crashes and partitions during replication expose it: \
         look for a leader-completeness or state-machine-safety violation.",
    );
    s.bug = Some("no-log-check".into());
    s.nemesis = Nemesis { crash: true, recover: true, partition: true, isolate: true, ..Nemesis::default() };
    v.push(busy_until_end(s));

    let mut s = raft(
        "raft-commit-old-term",
        "Bug commit-old-term: a leader commits old-term entries by counting replicas (Figure 8)",
        "A leader may only commit entries of its own term by counting replicas; older entries \
         are committed indirectly (Raft §5.4.2, Figure 8). This variant counts replicas for old \
         entries too. When a leader crashes after such a commit, a node that never had the entry \
         can be elected and overwrite it: a committed entry is lost. Leader crashes and quick \
         re-elections expose it.",
    );
    s.bug = Some("commit-old-term".into());
    // Short leader tenures on lossy links: entries often reach only a
    // minority before their leader dies, which is what Figure 8 needs.
    s.nodes = 3;
    s.network = Network {
        link: LinkModel {
            delay: Delay::Uniform { min_ns: 2 * NANOS_PER_MILLI, max_ns: 20 * NANOS_PER_MILLI },
            ..LinkModel::fair_loss(Ratio::percent(30), Ratio::ZERO, Ratio::ZERO)
        },
        ..Network::default()
    };
    s.workload.clients = 5;
    s.workload.think_max_ns = 10 * NANOS_PER_MILLI;
    s.nemesis = Nemesis {
        crash_leader: true,
        isolate_leader: true,
        recover: true,
        max_down: Some(1),
        interval_min_ns: 30 * NANOS_PER_MILLI,
        interval_max_ns: 150 * NANOS_PER_MILLI,
        duration_min_ns: 30 * NANOS_PER_MILLI,
        duration_max_ns: 300 * NANOS_PER_MILLI,
        ..Nemesis::default()
    };
    v.push(busy_until_end(s));

    let mut s = raft(
        "raft-forget-vote",
        "Bug forget-vote: votedFor is not persisted, so a restarted node votes twice in a term",
        "Raft persists votedFor before answering RequestVote. This variant keeps it only in \
         memory: a node that voted, crashed and restarted in the same term votes again for \
         another candidate, and two leaders are elected in one term. Crashes during elections \
         expose it: look for an election-safety violation.",
    );
    s.bug = Some("forget-vote".into());
    // Slow links make two candidates in one term likely; brief, frequent
    // crashes make a voter restart between their two RequestVotes.
    s.nodes = 3;
    s.network = Network {
        link: LinkModel {
            delay: Delay::Uniform { min_ns: 20 * NANOS_PER_MILLI, max_ns: 100 * NANOS_PER_MILLI },
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
        interval_max_ns: 60 * NANOS_PER_MILLI,
        duration_min_ns: NANOS_PER_MILLI,
        duration_max_ns: 20 * NANOS_PER_MILLI,
        ..Nemesis::default()
    };
    v.push(busy_until_end(s));

    let mut s = raft(
        "raft-byzantine",
        "One Byzantine Raft node lies about its term and log, wins an election and overwrites committed entries",
        "Raft tolerates crashes, not lies. At 1 s node 0 turns Byzantine (strategy lie-about-state): \
         whenever it follows a leader it claims a term one higher, which deposes the leader, and \
         it claims that every entry of its log is from its current term, with forged commands. \
         Voters trust what a candidate reports about its log (§5.4.1), so the liar's log looks \
         the most up to date and it wins the next election; as leader it makes the correct \
         followers replace entries they had already committed. The invariants judge the four \
         correct nodes only: look for a state-machine-safety violation. A crash-fault-tolerant \
         protocol is not enough when a node can lie: that is what PBFT is for.",
    );
    s.faults = FaultSchedule::new(vec![ScheduledFault {
        at_ns: NANOS_PER_SEC,
        fault: Fault::Byzantine { node: NodeId(0), strategy: Strategy::LieAboutState },
    }]);
    v.push(busy_until_end(s));

    v
}
