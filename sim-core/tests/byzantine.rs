//! Byzantine faults in the engine: forged and corrupted messages never pass
//! the receiver's envelope check (and genuine ones always do), every
//! strategy acts as documented, invariants see who is correct, and
//! Byzantine runs are as deterministic as any other.

use sim_core::*;

const MS: u64 = NANOS_PER_MILLI;

/// Nodes send numbered notes to random peers on a timer. A note names its
/// real origin in its body, so a forgery that got through would reach a
/// handler with `from != origin` (and the handler panics).
#[derive(Clone, Debug)]
struct Notes;

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct NotesState {
    sent: u64,
    received: u64,
    /// Times `lie_about_state` rewrote this state.
    lies: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Note {
    origin: NodeId,
    seq: u64,
}

impl Protocol for Notes {
    type State = NotesState;
    type Msg = Note;
    type Timer = ();
    type Durable = ();
    type Request = ();
    type Response = ();
    type Monitor = ();

    fn name(&self) -> &'static str {
        "notes"
    }

    fn init(&self, _id: NodeId, ctx: &mut Ctx<'_, Self>) -> NotesState {
        ctx.set_timer((), MS);
        NotesState::default()
    }

    fn on_message(&self, id: NodeId, s: &mut NotesState, from: NodeId, msg: Note, _ctx: &mut Ctx<'_, Self>) {
        assert_eq!(from, msg.origin, "{id} accepted a message claiming {from} but sent by {}", msg.origin);
        s.received += 1;
    }

    fn on_timer(&self, id: NodeId, s: &mut NotesState, _timer: (), ctx: &mut Ctx<'_, Self>) {
        let n = ctx.node_count() as u64;
        let to = NodeId(((id.0 as u64 + 1 + ctx.random(n - 1)) % n) as u32);
        s.sent += 1;
        ctx.send(to, Note { origin: id, seq: s.sent });
        if s.sent.is_multiple_of(4) {
            ctx.broadcast(Note { origin: id, seq: s.sent });
        }
        let after = MS + ctx.random(3 * MS);
        ctx.set_timer((), after);
    }

    fn on_request(&self, _: NodeId, _: &mut NotesState, _: ClientId, _: (), _: &mut Ctx<'_, Self>) {}

    fn recover(&self, _id: NodeId, _durable: Option<&()>, ctx: &mut Ctx<'_, Self>) -> NotesState {
        ctx.set_timer((), MS);
        NotesState::default()
    }

    fn byzantine_strategies(&self) -> &'static [&'static str] {
        &["shout"]
    }

    /// Equivocation: odd peers get another sequence number. Corruption: no
    /// field-level lie (the engine flips bits instead). `shout`: seq 0.
    fn tamper(&self, _s: &NotesState, to: NodeId, msg: &Note, byz: &mut ByzantineCtx<'_>) -> Option<Note> {
        match byz.strategy() {
            "equivocate" if to.0 % 2 == 1 => Some(Note { seq: msg.seq + 1_000_000, ..msg.clone() }),
            "shout" => Some(Note { seq: 0, ..msg.clone() }),
            _ => None,
        }
    }

    fn lie_about_state(&self, s: &mut NotesState, _byz: &mut ByzantineCtx<'_>) -> Option<String> {
        s.lies += 1;
        Some(format!("claims to have sent {}", s.sent + 100))
    }

    /// Correct nodes never lie: judged over correct nodes only, this holds
    /// even while a Byzantine node's state is full of lies.
    fn check_invariants(&self, _m: &mut (), view: &SystemView<'_, Self>) -> Result<(), Violation> {
        for (i, s) in view.states.iter().enumerate() {
            let node = NodeId(i as u32);
            if let (Some(s), true) = (s, view.is_correct(node)) {
                if s.lies > 0 {
                    return Err(Violation::new("honesty", format!("{node} lied {} times", s.lies)));
                }
            }
        }
        Ok(())
    }
}

fn byzantine(at_ns: u64, node: u32, strategy: &str) -> ScheduledFault {
    ScheduledFault { at_ns, fault: Fault::Byzantine { node: NodeId(node), strategy: Strategy::parse(strategy) } }
}

fn world(nodes: usize, faults: Vec<ScheduledFault>) -> WorldConfig {
    let mut w = WorldConfig::new(nodes);
    w.limits.time_ns = 300 * MS;
    w.schedule = FaultSchedule::new(faults);
    w
}

fn hostile() -> Adversary {
    let half = Ratio::new(1, 2);
    Adversary { drop: half, delay: half, delay_max_ns: 20 * MS, replay: half, corrupt: half, forge: half }
}

fn run(w: WorldConfig, seed: u64) -> (RunResult, Vec<TraceEvent>) {
    let mut sim = Simulator::new(Notes, NoClients, w, Choices::seeded(seed));
    let r = sim.run();
    (r, sim.trace_events().to_vec())
}

/// Sends (trace positions) whose deliveries cannot verify: forged copies of
/// Byzantine nodes, bit-flipped sends, messages corrupted in transit,
/// forgeries injected by links, and link replays of badly sealed sends (a
/// link replays the copy it saw leave, before any corruption in transit).
fn bad_sends(events: &[TraceEvent]) -> Vec<bool> {
    let mut sealed_bad = vec![false; events.len()];
    let mut transit_bad = vec![false; events.len()];
    let mut next_send_is_bad: std::collections::BTreeSet<Actor> = Default::default();
    for (i, e) in events.iter().enumerate() {
        match e.kind {
            TraceKind::Byzantine if e.detail.starts_with("forge:") || e.detail.starts_with("corrupt: flips") => {
                next_send_is_bad.insert(e.actor);
            }
            TraceKind::Byzantine if e.detail.contains("corrupts the message") => {
                transit_bad[e.cause.unwrap() as usize] = true
            }
            TraceKind::Byzantine if e.detail.contains("injects a forgery") => sealed_bad[i] = true,
            TraceKind::Byzantine if e.detail.contains("replays") => {
                sealed_bad[i] = sealed_bad[e.cause.unwrap() as usize]
            }
            TraceKind::Send if next_send_is_bad.remove(&e.actor) => sealed_bad[i] = true,
            _ => {}
        }
    }
    sealed_bad.iter().zip(&transit_bad).map(|(a, b)| *a || *b).collect()
}

/// Property: over random forgeries (Byzantine forgers and corrupters,
/// arbitrary links forging, corrupting and replaying), no forged or
/// corrupted message is ever handed to a handler, and no genuine one is
/// ever rejected.
#[test]
fn forged_and_corrupted_messages_never_pass_the_envelope_check() {
    let (mut rejected, mut delivered, mut forged_or_corrupted) = (0u64, 0u64, 0u64);
    for seed in 1..=150 {
        let mut w = world(4, vec![byzantine(0, 3, "forge"), byzantine(20 * MS, 2, "corrupt")]);
        w.links = vec![LinkModel { adversary: Some(hostile()), ..LinkModel::reliable() }; 16];
        w.trace_level = TraceLevel::Full;
        let (r, events) = run(w, seed);
        assert_eq!(r.outcome, Outcome::TimeLimit, "seed {seed}: {:?}", r.outcome);
        let bad = bad_sends(&events);
        for e in &events {
            let cause_bad = e.cause.is_some_and(|c| bad[c as usize]);
            match e.kind {
                TraceKind::Deliver if cause_bad => {
                    panic!("seed {seed}: a forged or corrupted message passed: {e:?}")
                }
                TraceKind::Rejected => assert!(cause_bad, "seed {seed}: a genuine message was rejected: {e:?}"),
                _ => {}
            }
        }
        forged_or_corrupted += bad.iter().filter(|b| **b).count() as u64;
        assert_eq!(r.stats.messages_rejected, events.iter().filter(|e| e.kind == TraceKind::Rejected).count() as u64);
        rejected += r.stats.messages_rejected;
        delivered += r.stats.messages_delivered;
    }
    eprintln!("150 runs: {forged_or_corrupted} forged or corrupted sends, {rejected} rejected, {delivered} delivered");
    assert!(forged_or_corrupted > 10_000 && rejected > 10_000 && delivered > 10_000, "{rejected} {delivered}");
}

/// In a honest world nothing is sealed, drawn or rejected: a Byzantine
/// fault far beyond the time limit changes no decision of the run, only
/// that envelopes are checked (and they all pass).
#[test]
fn authentication_of_honest_messages_changes_nothing() {
    let honest = world(4, vec![]);
    let checked = world(4, vec![byzantine(10 * NANOS_PER_SEC, 0, "silent")]);
    for seed in 1..=20 {
        let (a, _) = run(honest.clone(), seed);
        let (b, _) = run(checked.clone(), seed);
        assert_eq!(a, b, "seed {seed}");
        assert_eq!(b.stats.messages_rejected, 0);
    }
}

#[test]
fn each_strategy_does_what_it_says() {
    let count = |events: &[TraceEvent], prefix: &str| {
        events.iter().filter(|e| e.kind == TraceKind::Byzantine && e.detail.starts_with(prefix)).count()
    };
    let sends_of = |events: &[TraceEvent], node: u32, after: u64| {
        events
            .iter()
            .filter(|e| e.kind == TraceKind::Send && e.actor == Actor::Node(NodeId(node)) && e.time > after)
            .count()
    };
    let full = |faults| WorldConfig { trace_level: TraceLevel::Full, ..world(4, faults) };

    let (r, ev) = run(full(vec![byzantine(100 * MS, 1, "silent")]), 1);
    assert!(sends_of(&ev, 1, 100 * MS) == 0 && count(&ev, "silent: withholds") > 10, "{:?}", r.stats);
    assert!(ev.iter().any(|e| e.kind == TraceKind::Fault && e.detail == "n1 turns Byzantine: silent"));

    let (_, ev) = run(full(vec![byzantine(0, 1, "equivocate")]), 1);
    assert!(count(&ev, "equivocate: sends") > 10);
    assert!(
        ev.iter().any(|e| e.kind == TraceKind::Deliver && e.detail.contains("seq: 10000")),
        "odd peers got the lie"
    );

    let (_, ev) = run(full(vec![byzantine(0, 1, "replay")]), 1);
    assert!(count(&ev, "replay: re-sends") > 10);

    let (r, ev) = run(full(vec![byzantine(0, 1, "corrupt")]), 1);
    assert!(count(&ev, "corrupt: flips") > 10 && r.stats.messages_rejected > 10);

    let (r, ev) = run(full(vec![byzantine(0, 1, "forge")]), 1);
    assert!(count(&ev, "forge: a copy") > 10 && r.stats.messages_rejected > 10);

    // Lies are judged: the invariant "correct nodes never lie" holds, so
    // the view must know node 1 is Byzantine.
    let (r, ev) = run(full(vec![byzantine(50 * MS, 1, "lie-about-state")]), 1);
    assert_eq!(r.outcome, Outcome::TimeLimit);
    assert!(count(&ev, "lie-about-state: claims") > 10);

    let (_, ev) = run(full(vec![byzantine(0, 1, "shout")]), 1);
    assert!(count(&ev, "shout: sends") > 10 && count(&ev, "shout: claims") > 10, "protocol strategies get both hooks");
}

#[test]
fn arbitrary_links_act_and_draw_their_rates_from_the_seed() {
    let mut w = world(3, vec![]);
    w.links = vec![LinkModel { adversary: Some(hostile()), ..LinkModel::reliable() }; 9];
    w.trace_level = TraceLevel::Full;
    let (r, ev) = run(w.clone(), 3);
    for what in ["holds the message back", "replays", "injects a forgery", "corrupts the message"] {
        assert!(ev.iter().any(|e| e.kind == TraceKind::Byzantine && e.detail.contains(what)), "{what}");
    }
    assert!(ev.iter().any(|e| e.kind == TraceKind::Drop && e.detail == "dropped by the link's adversary"));
    assert!(r.stats.messages_rejected > 0 && r.stats.byzantine_actions > 0);
    // Rates differ per seed: the counts of adversary actions differ.
    let actions: std::collections::BTreeSet<u64> =
        (1..=5).map(|s| run(w.clone(), s).0.stats.byzantine_actions).collect();
    assert!(actions.len() > 1, "{actions:?}");
    // A set-link fault makes a link arbitrary mid-run, from the scenario's data.
    let mut w = world(3, vec![]);
    let link = LinkModel { adversary: Some(hostile()), ..LinkModel::reliable() };
    w.schedule = FaultSchedule::new(vec![ScheduledFault {
        at_ns: 100 * MS,
        fault: Fault::SetLink { from: Some(NodeId(0)), to: None, link },
    }]);
    let (r, _) = run(w, 3);
    assert!(r.stats.byzantine_actions > 0 && r.stats.messages_rejected > 0);
}

#[test]
fn byzantine_runs_are_deterministic_at_every_trace_level_and_from_a_tape() {
    let mut w =
        world(4, vec![byzantine(0, 3, "forge"), byzantine(30 * MS, 1, "equivocate"), byzantine(60 * MS, 2, "replay")]);
    w.links[1] = LinkModel { adversary: Some(hostile()), ..LinkModel::reliable() };
    for seed in [1, 2, 99] {
        let (a, _) = run(w.clone(), seed);
        let (b, _) = run(w.clone(), seed);
        assert_eq!(a, b, "seed {seed}");
        let (c, _) = run(WorldConfig { trace_level: TraceLevel::Full, ..w.clone() }, seed);
        assert_eq!(a.trace_hash, c.trace_hash, "full and hash-only traces hash alike");
        let mut sim = Simulator::new(Notes, NoClients, w.clone(), Choices::seeded(seed).record());
        let recorded = sim.run();
        let tape = sim.choices_mut().take_tape().unwrap();
        let mut replay = Simulator::new(Notes, NoClients, w.clone(), Choices::from_tape(tape));
        assert_eq!(replay.run(), recorded);
    }
    let (a, _) = run(w.clone(), 1);
    let (b, _) = run(w, 2);
    assert_ne!(a.trace_hash, b.trace_hash);
}

#[test]
fn strategies_parse_from_json_and_unknown_ones_are_named() {
    let s: FaultSchedule =
        serde_json::from_str(r#"[{"at_ns":5,"fault":"byzantine","node":1,"strategy":"lie-about-state"}]"#).unwrap();
    assert_eq!(s.faults[0].fault, Fault::Byzantine { node: NodeId(1), strategy: Strategy::LieAboutState });
    assert!(s.validate(2).is_ok() && s.validate(1).is_err());
    assert!(s.is_adversarial());
    let bad: FaultSchedule = serde_json::from_str(
        r#"[{"at_ns":0,"fault":"crash","node":0},{"at_ns":5,"fault":"byzantine","node":1,"strategy":"teleport"}]"#,
    )
    .unwrap();
    let (i, e) = bad.validate_strategies("notes", &["shout"]).unwrap_err();
    assert_eq!(i, 1);
    assert!(
        e.contains("`teleport`") && e.contains("silent, equivocate, replay, corrupt, forge, lie-about-state, shout"),
        "{e}"
    );
    let missing = serde_json::from_str::<FaultSchedule>(r#"[{"at_ns":5,"fault":"byzantine","node":1}]"#);
    assert!(missing.unwrap_err().to_string().contains("strategy"));
    let link: LinkModel = serde_json::from_str(r#"{"adversary":{"forge":{"numerator":1,"denominator":3}}}"#).unwrap();
    assert_eq!(link.adversary.unwrap().forge, Ratio::new(1, 3));
    let bad_link: LinkModel =
        serde_json::from_str(r#"{"adversary":{"forge":{"numerator":4,"denominator":3}}}"#).unwrap();
    assert!(bad_link.validate().unwrap_err().contains("adversary.forge"));
}
