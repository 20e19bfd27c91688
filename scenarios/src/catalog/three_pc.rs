//! 3PC's entry in the catalog: bank transfers by three-phase commit; no
//! blocking under crash-stop failures, and the atomicity violation a
//! partition causes.
//!
//! End of run: as for 2PC, a participant still uncertain (or pre-committed)
//! more than a second after it voted is a `blocked` liveness finding.

use super::two_pc::{self, bank_of, bank_scenario, blocked};
use super::{play, ProtocolEntry};
use crate::bank_workload::BankClients;
use crate::scenario::Scenario;
use protocols::three_pc::ThreePc;
use sim_core::{Nemesis, NANOS_PER_MILLI, NANOS_PER_SEC};

pub fn entry() -> ProtocolEntry {
    ProtocolEntry {
        name: "3pc",
        bugs: vec![],
        byzantine_strategies: &[],
        scenarios,
        play: |scenario, world, choices| {
            let protocol = ThreePc::new(bank_of(scenario)?);
            Ok(play(
                protocol,
                BankClients::new(scenario.workload.clone()),
                world,
                choices,
                |w| w.into_history(),
                |sim| blocked(sim.monitor(), &|i| sim.states()[i].is_some(), sim.now(), "the coordinator"),
            ))
        },
    }
}

fn three_pc(name: &str, description: &str, long: &str) -> Scenario {
    bank_scenario("3pc", name, description, long)
}

/// As for 2PC, with clients stopping a second earlier.
fn busy(s: Scenario) -> Scenario {
    let mut s = two_pc::busy(s);
    s.workload.end_ns = 5 * NANOS_PER_SEC;
    s
}

fn scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();

    v.push(three_pc(
        "3pc-basic",
        "3PC, a coordinator and 3 participants, bank transfers, no faults",
        "Node 0 coordinates; nodes 1-3 hold six bank accounts. For each transfer the \
         coordinator asks the two participants involved CanCommit; each votes. All yes: it \
         sends PreCommit, collects the Acks, and sends DoCommit. The extra round means that a \
         participant which is still uncertain knows nobody has committed, and one which is \
         pre-committed knows everybody voted yes: each can decide on its own by a timeout if \
         the coordinator goes silent. Follow one transaction through the three phases.",
    ));

    let mut s = three_pc(
        "3pc-crash-stop",
        "3PC with crash-stop nodes on reliable links: never blocks, stays atomic",
        "The nemesis crashes nodes for good, the coordinator among them (at most two of the \
         four). Links are reliable with at most 5 ms of delay, so a timeout means a crash: a \
         perfect failure detector. When the coordinator dies, each uncertain participant aborts \
         after its timeout and each pre-committed one commits; the coordinator sends PreCommit \
         to all participants in one step, so either all are pre-committed or none, and they \
         agree. No participant is left blocked (compare 2pc-coordinator-crash), and atomic \
         commit and conservation hold. 3PC buys this with an assumption: see \
         3pc-partition-split.",
    );
    s.nemesis = Nemesis {
        crash: true,
        crash_leader: true,
        recover: false,
        max_down: Some(2),
        start_ns: 300 * NANOS_PER_MILLI,
        end_ns: 4 * NANOS_PER_SEC,
        interval_min_ns: 100 * NANOS_PER_MILLI,
        interval_max_ns: 1500 * NANOS_PER_MILLI,
        ..Nemesis::default()
    };
    v.push(busy(s));

    let mut s = three_pc(
        "3pc-partition-split",
        "3PC under network partitions: the two sides decide differently (3PC needs a perfect failure detector)",
        "The nemesis splits the network into two sides for a while, again and again; links are \
         otherwise reliable. A partition is not a crash, but 3PC's timeouts cannot tell the \
         difference. When the split falls between PreCommit and its Ack, the coordinator misses \
         the Ack and aborts, and the participants on its side abort with it, while a \
         participant on the other side, already pre-committed, hears nothing and commits by its \
         timeout rule. The simulator finds this atomic-commit violation by itself. The lesson: \
         3PC is nonblocking only under a perfect failure detector (crash-stop, bounded delays); \
         with partitions, no commit protocol can be both nonblocking and safe.",
    );
    s.nemesis = Nemesis {
        partition: true,
        isolate: true,
        start_ns: 300 * NANOS_PER_MILLI,
        end_ns: 4 * NANOS_PER_SEC,
        interval_min_ns: 100 * NANOS_PER_MILLI,
        interval_max_ns: 400 * NANOS_PER_MILLI,
        duration_min_ns: 50 * NANOS_PER_MILLI,
        duration_max_ns: 300 * NANOS_PER_MILLI,
        ..Nemesis::default()
    };
    v.push(busy(s));

    v
}
