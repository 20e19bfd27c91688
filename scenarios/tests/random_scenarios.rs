//! Property: any scenario value within the limits, run with any seed,
//! completes with a verdict. Random protocol and bug variant from the
//! catalog, cluster size, link models, workload, nemesis, explicit faults
//! and budgets, drawn from a seeded ChaCha stream (`Choices`), so a failure
//! names the case that reproduces it. A panic in the engine or the runner
//! fails the test with the scenario's JSON and seed; a panic inside a
//! protocol handler is caught by the engine and is a finding, not a failure.

use scenarios::{registry, run, RunOptions, Scenario, Verdict};
use sim_core::{
    Adversary, ChoiceSource, Choices, ClockModel, Delay, Fault, FaultSchedule, LinkModel, NodeId, Ratio,
    ScheduledFault, Strategy, Stream, TraceLevel, NANOS_PER_MILLI,
};

const S: Stream = Stream::Workload;

/// The strategies every protocol accepts (protocol-defined ones are not drawn).
const GENERIC_STRATEGIES: [Strategy; 6] = [
    Strategy::Silent,
    Strategy::Equivocate,
    Strategy::Replay,
    Strategy::Corrupt,
    Strategy::Forge,
    Strategy::LieAboutState,
];

fn pick<'a, T>(c: &mut Choices, items: &'a [T]) -> &'a T {
    &items[c.index(S, items.len())]
}

fn ratio(c: &mut Choices) -> Ratio {
    match c.draw(S, 4) {
        0 => Ratio::new(0, 1),
        1 => Ratio::new(1, 1),
        _ => Ratio::new(c.draw(S, 50) as u32, 100),
    }
}

fn link(c: &mut Choices) -> LinkModel {
    let ms = |c: &mut Choices, hi: u64| c.range(S, 0, hi * NANOS_PER_MILLI);
    let delay = match c.draw(S, 3) {
        0 => Delay::Constant { delay_ns: ms(c, 20) },
        1 => {
            let min_ns = ms(c, 10);
            Delay::Uniform { min_ns, max_ns: min_ns + ms(c, 50) }
        }
        _ => Delay::Exponential { min_ns: ms(c, 5), mean_ns: ms(c, 30) },
    };
    let fifo = c.chance(S, Ratio::new(1, 2));
    LinkModel {
        delay,
        drop: ratio(c),
        duplicate: ratio(c),
        // A FIFO link never reorders (validation insists).
        reorder: if fifo { Ratio::new(0, 1) } else { ratio(c) },
        reorder_delay_max_ns: ms(c, 100),
        fifo,
        adversary: c.chance(S, Ratio::new(1, 4)).then(|| Adversary {
            drop: ratio(c),
            delay: ratio(c),
            delay_max_ns: ms(c, 100),
            replay: ratio(c),
            corrupt: ratio(c),
            forge: ratio(c),
        }),
    }
}

fn nodes(c: &mut Choices, n: usize) -> Vec<NodeId> {
    (0..n as u32).filter(|_| c.chance(S, Ratio::new(1, 2))).map(NodeId).collect()
}

fn fault(c: &mut Choices, n: usize) -> Fault {
    let node = NodeId(c.draw(S, n as u64) as u32);
    match c.draw(S, 12) {
        11 => Fault::Byzantine { node, strategy: pick(c, &GENERIC_STRATEGIES).clone() },
        0 => Fault::Crash { node },
        1 => Fault::Recover { node },
        2 => Fault::CrashLeader,
        3 => Fault::RecoverAll,
        4 => Fault::IsolateLeader,
        5 => Fault::Partition { groups: vec![nodes(c, n), nodes(c, n)] },
        6 => Fault::PartitionOneWay { from: nodes(c, n), to: nodes(c, n) },
        7 => Fault::Isolate { node },
        8 => Fault::Heal,
        9 => Fault::SetLink {
            from: c.chance(S, Ratio::new(1, 2)).then_some(node),
            to: c.chance(S, Ratio::new(1, 2)).then(|| NodeId(c.draw(S, n as u64) as u32)),
            link: link(c),
        },
        _ => Fault::ClockSkew {
            node,
            clock: ClockModel {
                offset_ns: c.range(S, 0, 400 * NANOS_PER_MILLI) as i64 - 200 * NANOS_PER_MILLI as i64,
                drift_ppm: c.range(S, 0, 20_000) as i32 - 10_000,
            },
        },
    }
}

/// A random scenario within the limits; the number of events is capped
/// at `max_events` so the sweep's time is bounded.
fn random_scenario(c: &mut Choices, max_events: u64) -> Scenario {
    let mut s = Scenario::default();
    let protocols = registry::protocols();
    s.protocol = pick(c, &protocols).to_string();
    let bugs = registry::bugs_of(&s.protocol);
    s.bug = (!bugs.is_empty() && c.chance(S, Ratio::new(1, 2))).then(|| pick(c, &bugs).to_string());
    s.name = format!("random-{}", s.protocol);
    s.nodes = c.range(S, 1, 7) as usize;
    s.network.link = link(c);
    s.network.client_link = link(c);
    s.sync_delay_ns = if c.chance(S, Ratio::new(1, 3)) { c.range(S, 0, 50 * NANOS_PER_MILLI) } else { 0 };
    let w = &mut s.workload;
    w.clients = c.range(S, 0, 5) as usize;
    w.ops_per_client = c.range(S, 0, 30);
    w.keys = c.range(S, 1, 5) as usize;
    w.get_weight = c.range(S, 0, 3) as u32;
    w.put_weight = c.range(S, 0, 3) as u32;
    w.append_weight = 1 + c.range(S, 0, 2) as u32;
    w.think_min_ns = c.range(S, 0, 20 * NANOS_PER_MILLI);
    w.think_max_ns = w.think_min_ns + c.range(S, 0, 80 * NANOS_PER_MILLI);
    w.attempt_timeout_ns = c.range(S, 1, 300 * NANOS_PER_MILLI);
    w.op_timeout_ns = w.attempt_timeout_ns + c.range(S, 0, 2_000 * NANOS_PER_MILLI);
    w.end_ns = c.range(S, 0, 3_000 * NANOS_PER_MILLI);
    let n = &mut s.nemesis;
    n.crash = c.chance(S, Ratio::new(1, 3));
    n.recover = c.chance(S, Ratio::new(2, 3));
    n.partition = c.chance(S, Ratio::new(1, 3));
    n.one_way = c.chance(S, Ratio::new(1, 4));
    n.isolate = c.chance(S, Ratio::new(1, 4));
    n.clock = c.chance(S, Ratio::new(1, 4));
    n.crash_leader = c.chance(S, Ratio::new(1, 4));
    n.isolate_leader = c.chance(S, Ratio::new(1, 4));
    n.swarm = c.chance(S, Ratio::new(1, 4));
    n.max_down = c.chance(S, Ratio::new(1, 4)).then(|| c.range(S, 0, 4) as usize);
    n.start_ns = c.range(S, 0, 1_000 * NANOS_PER_MILLI);
    n.end_ns = n.start_ns + c.range(S, 0, 2_000 * NANOS_PER_MILLI);
    // From 100 us: a 2 s window then stays within the episode limit (20,000 of 100,000).
    n.interval_min_ns = c.range(S, NANOS_PER_MILLI / 10, 300 * NANOS_PER_MILLI);
    n.interval_max_ns = n.interval_min_ns + c.range(S, 0, 500 * NANOS_PER_MILLI);
    n.duration_min_ns = c.range(S, 0, 300 * NANOS_PER_MILLI);
    n.duration_max_ns = n.duration_min_ns + c.range(S, 0, 1_000 * NANOS_PER_MILLI);
    n.clock_drift_max_ppm = c.range(S, 0, 50_000) as u32;
    let faults = c.range(S, 0, 6);
    let count = s.nodes;
    s.faults = FaultSchedule::new(
        (0..faults)
            .map(|_| ScheduledFault { at_ns: c.range(S, 0, 3_000 * NANOS_PER_MILLI), fault: fault(c, count) })
            .collect(),
    );
    s.limits.time_ns = c.range(S, 1, 4_000 * NANOS_PER_MILLI);
    s.limits.events = c.range(S, 1, max_events);
    s.limits.inflight_per_link = c.range(S, 1, 200) as u32;
    s.checkers = registry::CHECKERS.iter().filter(|_| c.chance(S, Ratio::new(1, 2))).map(|s| s.to_string()).collect();
    s.invariants = c.chance(S, Ratio::new(3, 4));
    s.liveness_bound_ns = c.chance(S, Ratio::new(1, 4)).then(|| c.range(S, 1, 2_000 * NANOS_PER_MILLI));
    s
}

/// Runs `cases` random scenarios; returns (ran to a verdict, refused by a
/// protocol's own validation). Panics name the case.
fn sweep(first_case: u64, cases: u64, max_events: u64) -> (u64, u64) {
    let (mut ran, mut refused) = (0, 0);
    for case in first_case..first_case + cases {
        let mut c = Choices::seeded(case);
        let scenario = random_scenario(&mut c, max_events);
        scenario.validate().unwrap_or_else(|e| panic!("case {case}: the generator made an invalid scenario: {e}"));
        let seed = c.draw(S, u64::MAX);
        let outcome = std::panic::catch_unwind(|| {
            run(&scenario, &ChoiceSource::Seed(seed), &RunOptions { trace: TraceLevel::HashOnly, record_tape: false })
        });
        match outcome {
            Ok(Ok(report)) => {
                assert!(matches!(report.verdict, Verdict::Held | Verdict::Violation | Verdict::Unknown));
                ran += 1;
            }
            // A protocol's own rules (2PC needs two accounts, the mutex no
            // clients, ...) refuse some combinations, naming the field.
            Ok(Err(e)) => {
                assert!(!e.to_string().is_empty(), "case {case}: an error without a message");
                if std::env::var_os("SHOW_REFUSED").is_some() {
                    eprintln!("case {case} refused: {e}");
                }
                refused += 1;
            }
            Err(_) => panic!(
                "case {case} (seed {seed}) panicked; the scenario:\n{}\nreplay: faultline run <this file> --seed {seed}",
                scenario.to_json_pretty()
            ),
        }
    }
    (ran, refused)
}

#[test]
fn random_scenarios_always_end_with_a_verdict() {
    let (ran, refused) = sweep(0, 3_000, 20_000);
    eprintln!("3000 random scenarios: {ran} ran to a verdict, {refused} refused by their protocol's rules");
    // Most combinations are playable: the sweep must exercise runs, not errors.
    assert!(ran >= 2_000, "only {ran} of 3000 ran");
}

/// The bigger sweep: `cargo test -p scenarios --test random_scenarios -- --ignored --nocapture`.
#[test]
#[ignore]
fn many_random_scenarios_always_end_with_a_verdict() {
    let (ran, refused) = sweep(1_000_000, 200_000, 200_000);
    eprintln!("200000 random scenarios: {ran} ran to a verdict, {refused} refused by their protocol's rules");
    assert!(ran >= 120_000, "only {ran} of 200000 ran");
}
