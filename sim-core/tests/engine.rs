//! The engine's promises, each as a test: determinism, links, partitions,
//! crashes and recovery, clocks, panics as findings, replay from a tape.

use sim_core::testing::TokenBounce;
use sim_core::*;

const MS: u64 = NANOS_PER_MILLI;

fn world(nodes: usize) -> WorldConfig {
    let mut w = WorldConfig::new(nodes);
    w.limits.time_ns = 2 * NANOS_PER_SEC;
    w
}

fn run(p: TokenBounce, w: WorldConfig, seed: u64) -> (RunResult, Simulator<TokenBounce, NoClients>) {
    let mut sim = Simulator::new(p, NoClients, w, Choices::seeded(seed));
    let r = sim.run();
    (r, sim)
}

fn lossy() -> LinkModel {
    LinkModel::fair_loss(Ratio::percent(5), Ratio::percent(5), Ratio::percent(20))
}

fn bouncing() -> TokenBounce {
    TokenBounce { tokens: 10, random_peers: true, ..TokenBounce::default() }
}

#[test]
fn same_seed_same_hash_different_seed_different_hash() {
    let w = world(5).with_links(lossy());
    let (a, _) = run(bouncing(), w.clone(), 42);
    let (b, _) = run(bouncing(), w.clone(), 42);
    let (c, _) = run(bouncing(), w, 43);
    assert_eq!(a, b);
    assert_ne!(a.trace_hash, c.trace_hash);
    assert!(a.stats.events > 1000, "{:?}", a.stats);
    assert!(a.stats.messages_dropped > 0 && a.stats.messages_duplicated > 0);
}

#[test]
fn full_trace_and_hash_only_agree() {
    let mut w = world(3).with_links(lossy());
    let (a, _) = run(bouncing(), w.clone(), 7);
    w.trace_level = TraceLevel::Full;
    let (b, sim) = run(bouncing(), w, 7);
    assert_eq!(a.trace_hash, b.trace_hash);
    let hashed = sim.trace_events().iter().filter(|e| !matches!(e.kind, TraceKind::Note | TraceKind::State)).count();
    assert_eq!(hashed as u64, sim.trace().len());
    assert!(sim.trace_events().iter().any(|e| e.kind == TraceKind::State), "full traces keep state snapshots");
    // Every delivery names a send that came before it.
    for e in sim.trace_events() {
        if e.kind == TraceKind::Deliver {
            let cause = e.cause.expect("deliveries name their send") as usize;
            assert_eq!(sim.trace_events()[cause].kind, TraceKind::Send);
        }
    }
}

#[test]
fn replaying_the_tape_reproduces_the_run() {
    let w = world(4).with_links(lossy());
    let mut sim = Simulator::new(bouncing(), NoClients, w.clone(), Choices::seeded(9).record());
    let a = sim.run();
    let tape = sim.choices_mut().take_tape().unwrap();
    assert!(!tape.is_empty());
    let mut replay = Simulator::new(bouncing(), NoClients, w, Choices::from_tape(tape));
    let b = replay.run();
    assert_eq!(a, b);
    assert_eq!(replay.choices_mut().tape_overrun(), 0);
}

#[test]
fn fifo_links_deliver_in_send_order() {
    let mut w = world(2);
    w.links = vec![LinkModel { delay: Delay::Uniform { min_ns: MS, max_ns: 50 * MS }, ..LinkModel::reliable() }; 4];
    w.trace_level = TraceLevel::Full;
    let p = TokenBounce { tokens: 20, ..TokenBounce::default() };
    let (_, sim) = run(p, w, 1);
    let first: Vec<&str> = sim
        .trace_events()
        .iter()
        .filter(|e| e.kind == TraceKind::Deliver && e.actor == Actor::Node(NodeId(1)))
        .take(20)
        .map(|e| e.detail.as_str())
        .collect();
    let expected: Vec<String> = (0..20).map(|i| i.to_string()).collect();
    assert_eq!(first, expected);
}

#[test]
fn partitions_cut_and_heal_restores() {
    let mut w = world(2);
    w.trace_level = TraceLevel::Full;
    w.schedule = FaultSchedule::new(vec![
        ScheduledFault { at_ns: 100 * MS, fault: Fault::Partition { groups: vec![vec![NodeId(0)], vec![NodeId(1)]] } },
        ScheduledFault { at_ns: 200 * MS, fault: Fault::Heal },
    ]);
    let p = TokenBounce { tokens: 1, tick_ns: 10 * MS, ..TokenBounce::default() };
    let (_, sim) = run(p, w, 1);
    let drops: Vec<_> = sim.trace_events().iter().filter(|e| e.kind == TraceKind::Drop).collect();
    // Both tokens (one per node) are lost to the partition; nothing else is dropped.
    assert_eq!(drops.len(), 2, "{drops:?}");
    assert!(drops[0].time >= 100 * MS && drops[0].time < 110 * MS);
    assert!(drops[0].detail.contains("partition"));
}

#[test]
fn one_way_partition_cuts_one_direction() {
    let mut w = world(2);
    w.trace_level = TraceLevel::Full;
    w.schedule = FaultSchedule::new(vec![ScheduledFault {
        at_ns: 0,
        fault: Fault::PartitionOneWay { from: vec![NodeId(1)], to: vec![NodeId(0)] },
    }]);
    let (_, sim) = run(TokenBounce::default(), w, 1);
    let ev = sim.trace_events();
    assert!(ev.iter().any(|e| e.kind == TraceKind::Deliver && e.actor == Actor::Node(NodeId(1))));
    assert!(!ev.iter().any(|e| e.kind == TraceKind::Deliver && e.actor == Actor::Node(NodeId(0))));
}

#[test]
fn crash_loses_volatile_state_and_recover_keeps_the_durable() {
    let mut w = world(2);
    w.schedule = FaultSchedule::new(vec![
        ScheduledFault { at_ns: 500 * MS, fault: Fault::Crash { node: NodeId(1) } },
        ScheduledFault { at_ns: 600 * MS, fault: Fault::Recover { node: NodeId(1) } },
    ]);
    let p = TokenBounce { tokens: 1, persist: true, ..TokenBounce::default() };
    let (_, sim) = run(p.clone(), w.clone(), 1);
    let s = sim.states()[1].as_ref().unwrap();
    let from = s.recovered_from.expect("node 1 recovered");
    assert!(from > 0, "it had persisted its count before the crash");
    // With unsynced writes lost, it comes back one persist behind.
    w.sync_delay_ns = 10 * MS;
    let (_, sim2) = run(p, w, 1);
    let from2 = sim2.states()[1].as_ref().unwrap().recovered_from.unwrap();
    assert!(from2 <= from);
}

#[test]
fn crash_stop_node_stays_down_and_drops_deliveries() {
    let mut w = world(3);
    w.schedule = FaultSchedule::new(vec![ScheduledFault { at_ns: 100 * MS, fault: Fault::Crash { node: NodeId(2) } }]);
    let p = TokenBounce { tokens: 1, ..TokenBounce::default() };
    let (r, sim) = run(p, w, 1);
    assert!(sim.states()[2].is_none());
    assert!(r.stats.messages_dropped >= 1);
    // The token dies at the crashed node: the world falls quiet.
    assert_eq!(r.outcome, Outcome::Quiescent);
}

#[test]
fn fast_clocks_fire_timers_early() {
    let p = TokenBounce { tokens: 0, tick_ns: 10 * MS, ..TokenBounce::default() };
    let mut w = world(2);
    w.limits.time_ns = NANOS_PER_SEC;
    w.clocks[1] = ClockModel { offset_ns: 0, drift_ppm: 100_000 };
    let (_, sim) = run(p, w, 1);
    let slow = sim.states()[0].as_ref().unwrap().ticks;
    let fast = sim.states()[1].as_ref().unwrap().ticks;
    assert_eq!(slow, 100);
    assert_eq!(fast, 110);
}

#[test]
fn a_panicking_handler_is_a_finding_not_a_crash() {
    let p = TokenBounce { tokens: 1, panic_at: Some(5), ..TokenBounce::default() };
    let (r, _) = run(p, world(2), 1);
    match r.outcome {
        Outcome::Panic { node, message } => {
            assert!(node.is_some());
            assert!(message.contains("reached 5 tokens"), "{message}");
        }
        other => panic!("expected a panic outcome, got {other:?}"),
    }
}

#[test]
fn invariant_violations_stop_the_run() {
    let p = TokenBounce { tokens: 1, violate_at: Some(4), ..TokenBounce::default() };
    let (r, _) = run(p, world(3), 1);
    match r.outcome {
        Outcome::Violation { violation, .. } => assert_eq!(violation.invariant, "received-below-limit"),
        other => panic!("expected a violation, got {other:?}"),
    }
}

#[test]
fn event_budget_is_an_explicit_outcome() {
    let mut w = world(2);
    w.limits.events = 100;
    let (r, _) = run(bouncing(), w, 1);
    assert_eq!(r.outcome, Outcome::EventLimit);
    assert_eq!(r.stats.events, 101);
}

#[test]
fn nemesis_schedules_run_and_stay_deterministic() {
    let nemesis =
        Nemesis { crash: true, partition: true, clock: true, start_ns: 0, end_ns: NANOS_PER_SEC, ..Nemesis::default() };
    let mut hashes = Vec::new();
    for _ in 0..2 {
        let mut w = world(5).with_links(lossy());
        w.schedule = nemesis.generate(5, &mut Choices::seeded(3));
        assert!(!w.schedule.is_empty());
        let p = TokenBounce { tokens: 5, random_peers: true, persist: true, ..TokenBounce::default() };
        hashes.push(run(p, w, 3).0.trace_hash);
    }
    assert_eq!(hashes[0], hashes[1]);
}
