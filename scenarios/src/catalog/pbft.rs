//! PBFT's entry in the catalog: its scenarios (Byzantine replicas of every
//! strategy, arbitrary links, f = 1 and f = 2, one Byzantine replica too
//! many) and how to play them with [`PbftClients`].
//!
//! Byzantine replicas are explicit faults at time 0 (`faults`), so a
//! scenario file says which replicas lie and how. Liveness is judged after
//! the last fault: with at most f Byzantine replicas, every operation
//! invoked after they turned must complete within `liveness_bound_ns`
//! (view changes included).

use super::{play, ProtocolEntry};
use crate::pbft_client::PbftClients;
use crate::scenario::{Network, Scenario, ScenarioError};
use protocols::pbft::{Pbft, PbftBug};
use sim_core::{
    Adversary, Delay, Fault, FaultSchedule, LinkModel, Nemesis, NodeId, ScheduledFault, Strategy, NANOS_PER_MILLI,
    NANOS_PER_SEC,
};

pub fn entry() -> ProtocolEntry {
    ProtocolEntry {
        name: "pbft",
        bugs: PbftBug::ALL.iter().map(|b| b.name()).collect(),
        byzantine_strategies: &[],
        scenarios,
        play: |scenario, world, choices| {
            let bug = scenario
                .bug
                .as_deref()
                .map(|b| b.parse::<PbftBug>())
                .transpose()
                .map_err(|e| ScenarioError { field: "bug".into(), message: e })?;
            Ok(play(
                Pbft::with_bug(bug),
                PbftClients::new(scenario.workload.clone()),
                world,
                choices,
                |w| w.into_history(),
                |_| Vec::new(),
            ))
        },
    }
}

/// The Byzantine strategies every PBFT scenario family is run with.
pub const STRATEGIES: [&str; 6] = ["silent", "equivocate", "replay", "corrupt", "forge", "lie-about-state"];

fn pbft(name: &str, nodes: usize, description: &str, long: &str) -> Scenario {
    let mut s = Scenario {
        name: name.into(),
        description: description.into(),
        long: long.into(),
        protocol: "pbft".into(),
        nodes,
        network: Network { link: jittery_link(), ..Network::default() },
        ..Scenario::default()
    };
    s.workload.end_ns = 6 * NANOS_PER_SEC;
    s
}

/// Honest links with variable latency, so messages overtake each other.
fn jittery_link() -> LinkModel {
    LinkModel {
        delay: Delay::Uniform { min_ns: NANOS_PER_MILLI / 2, max_ns: 5 * NANOS_PER_MILLI },
        ..LinkModel::reliable()
    }
}

/// Arbitrary links: an adversary on every replica-to-replica link drops,
/// delays, replays, corrupts and forges messages (each link draws its rates
/// from the seed, up to the default bounds).
fn arbitrary_link() -> LinkModel {
    LinkModel { adversary: Some(Adversary::default()), ..jittery_link() }
}

fn byzantine(nodes: &[u32], strategy: &str) -> FaultSchedule {
    FaultSchedule::new(
        nodes
            .iter()
            .map(|n| ScheduledFault {
                at_ns: 0,
                fault: Fault::Byzantine { node: NodeId(*n), strategy: Strategy::parse(strategy) },
            })
            .collect(),
    )
}

fn strategy_meaning(strategy: &str) -> &'static str {
    match strategy {
        "silent" => "sends nothing: as primary it stalls the view until the backups' timers replace it",
        "equivocate" => {
            "tells the two halves of the replicas different orders (sequence numbers swapped in pairs): as \
             primary it stalls the view, as a backup it only wastes its own votes"
        }
        "replay" => "also re-sends its own old messages: duplicates and stale views are ignored",
        "corrupt" => {
            "signs messages with wrong fields: as primary it alters client requests, which no backup holds \
             in that form, so nothing it proposes prepares and the view changes"
        }
        "forge" => "puts other replicas' names on its messages, with signatures that fail verification",
        "lie-about-state" => {
            "lies about its state: its store holds lies (wrong replies and checkpoint digests) and it \
             forgets every prepared certificate (its view-change messages claim nothing)"
        }
        _ => "follows the named strategy",
    }
}

/// Every built-in scenario, in the order `faultline list` shows them.
fn scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();

    v.push(pbft(
        "pbft-basic",
        4,
        "PBFT, 4 replicas (f = 1), no faults: pre-prepare, prepare, commit",
        "Four PBFT replicas tolerate one Byzantine replica (n = 3f+1). Nothing fails here: follow one \
         request through the trace. The client multicasts it; the primary (replica 0 in view 0) assigns \
         a sequence number and multicasts PRE-PREPARE; each backup multicasts PREPARE; with 2f = 2 \
         matching prepares a replica is prepared and multicasts COMMIT; with 2f+1 = 3 commits it \
         executes in sequence order and replies. The client accepts on f+1 = 2 matching replies. Every \
         10 requests the replicas exchange checkpoint digests and discard their logs.",
    ));

    let mut s = pbft(
        "pbft-equivocating-primary",
        4,
        "PBFT with an equivocating primary: a view change restores progress, agreement holds",
        "Replica 0, the primary of view 0, is Byzantine and equivocates: it tells replicas 0-1 one order \
         of the requests and replicas 2-3 another (sequence numbers swapped in pairs). No order gets 2f+1 \
         commits, so the backups' timers expire and they move to view 1 with VIEW-CHANGE messages \
         carrying their prepared certificates; replica 1 sends NEW-VIEW, re-proposing what was prepared, \
         and progress resumes. No two correct replicas ever execute different requests at one sequence \
         number; every operation completes within 2 s.",
    );
    s.faults = byzantine(&[0], "equivocate");
    s.liveness_bound_ns = Some(2 * NANOS_PER_SEC);
    v.push(s);

    for strategy in STRATEGIES {
        let mut s = pbft(
            &format!("pbft-byzantine-replica-{strategy}"),
            4,
            &format!("PBFT, 4 replicas, replica 1 Byzantine ({strategy}), primaries isolated now and then"),
            &format!(
                "Replica 1 turns Byzantine with strategy `{strategy}`: it {}. The nemesis now and then cuts \
                 the current primary off from the other replicas, so views change and replica 1 gets its \
                 turn as primary of view 1 (and every fourth view after). With one faulty replica of four, \
                 agreement and validity hold throughout; once the network heals every operation completes \
                 within 2 s; the history is linearizable.",
                strategy_meaning(strategy)
            ),
        );
        s.faults = byzantine(&[1], strategy);
        // Faults from 0.5 s to 4 s, then 2 s of healed network for liveness.
        s.nemesis = Nemesis {
            isolate_leader: true,
            start_ns: NANOS_PER_SEC / 2,
            end_ns: 4 * NANOS_PER_SEC,
            ..Nemesis::default()
        };
        s.workload.ops_per_client = 100_000;
        s.liveness_bound_ns = Some(2 * NANOS_PER_SEC);
        v.push(s);
    }

    let mut s = pbft(
        "pbft-arbitrary-links",
        4,
        "PBFT on arbitrary links: drops, delays, replays, corruption and forgeries on every link",
        "Every replica-to-replica link has an adversary that drops, delays, replays, corrupts and forges \
         messages, each link at its own rates drawn from the seed. Corrupted and forged messages fail \
         authentication and are dropped; replays are ignored as duplicates; lost messages are sent again \
         by the periodic status exchange, and replicas that fell behind a stable checkpoint fetch the \
         state itself, checked against 2f+1 signed digests. Safety never depends on the links.",
    );
    s.network.link = arbitrary_link();
    v.push(s);

    for strategy in STRATEGIES {
        let mut s = pbft(
            &format!("pbft-f2-byzantine-{strategy}"),
            7,
            &format!("PBFT, 7 replicas (f = 2), two Byzantine ({strategy}), arbitrary links"),
            &format!(
                "Seven replicas tolerate two Byzantine ones. Replicas 0 and 1, the primaries of views 0 and \
                 1, both turn Byzantine with strategy `{strategy}` (it {}), and every link is arbitrary \
                 (drops, delays, replays, corruption, forgeries). Quorums are 2f+1 = 5. Agreement and \
                 validity must hold; the history must be linearizable.",
                strategy_meaning(strategy)
            ),
        );
        s.faults = byzantine(&[0, 1], strategy);
        s.network.link = arbitrary_link();
        v.push(s);
    }

    let mut s = pbft(
        "pbft-too-many-faulty",
        4,
        "PBFT with 2 Byzantine replicas of 4 (f = 1): agreement breaks — the 3f+1 bound",
        "Four replicas tolerate one Byzantine replica; here two equivocate together: replica 0 (the \
         primary) and replica 2, each telling replicas 0-1 one order of the requests and replicas 2-3 \
         another. Replica 1 gathers 2f+1 = 3 commits from 0, 1, 2 for one request at a sequence number, \
         replica 3 gathers 3 commits from 0, 2, 3 for another: quorums of 3 out of 4 intersect in 2 \
         replicas, and both are lying. The simulator reports an agreement violation: the bound n > 3f \
         from the Byzantine generals problem, made visible.",
    );
    s.faults = byzantine(&[0, 2], "equivocate");
    v.push(s);

    let mut s = pbft(
        "pbft-small-quorum",
        7,
        "Bug small-quorum: quorums of f+1 let an equivocating primary split 7 replicas",
        "PBFT's quorums are 2f+1 so that any two intersect in a correct replica. This variant prepares on \
         f prepares and commits on f+1 commits. With n = 7 (f = 2) and one equivocating primary, within \
         the fault bound, replicas 1-2 commit one order of the requests and replicas 3-6 another: an \
         agreement violation that the correct quorums prevent (compare pbft-equivocating-primary).",
    );
    s.bug = Some("small-quorum".into());
    s.faults = byzantine(&[0], "equivocate");
    v.push(s);

    let mut s = pbft(
        "pbft-skip-request-check",
        4,
        "Bug skip-request-check: backups accept requests no client sent, validity breaks",
        "A backup must accept a pre-prepare only for a request it holds from the client (clients \
         authenticate requests to every replica). This variant accepts whatever the primary proposes. \
         A corrupting primary alters the requests it orders, and the correct replicas execute requests \
         no client issued: a validity violation.",
    );
    s.bug = Some("skip-request-check".into());
    s.faults = byzantine(&[0], "corrupt");
    v.push(s);

    let mut s = pbft(
        "pbft-trust-new-view",
        4,
        "Bug trust-new-view: backups enter a new view without checking its proofs",
        "Backups must check a NEW-VIEW's 2f+1 view-change messages and recompute its pre-prepares O. \
         This variant takes O on trust. Replica 1 equivocates, and the nemesis isolates primaries so \
         that replica 1 leads view 1 (and every fourth view): it sends half of the replicas an O with \
         sequence numbers swapped in pairs. A request that already committed at some correct replicas \
         at one sequence number then executes at another elsewhere: an agreement violation.",
    );
    s.bug = Some("trust-new-view".into());
    s.faults = byzantine(&[1], "equivocate");
    s.nemesis =
        Nemesis { isolate_leader: true, start_ns: NANOS_PER_SEC / 2, end_ns: 4 * NANOS_PER_SEC, ..Nemesis::default() };
    s.workload.ops_per_client = 100_000;
    v.push(s);

    v
}
