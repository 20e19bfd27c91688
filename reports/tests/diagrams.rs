//! The reports a person looks at: the space-time SVG, the HTML viewer, the
//! ShiViz export and the text timeline, on real simulator traces and on
//! small hand-made ones.

use checkers::{Event, EventType, History, Value};
use reports::html::{LinFailure, RunInfo};
use reports::view::{select, violating_events, ViewOptions};
use sim_core::testing::TokenBounce;
use sim_core::{
    Actor, Choices, ClientId, Fault, FaultSchedule, LinkModel, NoClients, NodeId, Ratio, ScheduledFault, Simulator,
    TraceEvent, TraceKind, TraceLevel, WorldConfig, NANOS_PER_MILLI, NANOS_PER_SEC,
};

/// A lossy, partitioned, crashing run of the engine's test protocol, with a
/// violation at the end.
fn lossy_run(seed: u64) -> (Vec<TraceEvent>, FaultSchedule) {
    let mut w = WorldConfig::new(3).with_links(LinkModel::fair_loss(
        Ratio::percent(15),
        Ratio::percent(15),
        Ratio::percent(20),
    ));
    w.limits.time_ns = NANOS_PER_SEC;
    w.trace_level = TraceLevel::Full;
    w.schedule = FaultSchedule::new(vec![
        ScheduledFault {
            at_ns: 4 * NANOS_PER_MILLI,
            fault: Fault::Partition { groups: vec![vec![NodeId(0)], vec![NodeId(1), NodeId(2)]] },
        },
        ScheduledFault { at_ns: 9 * NANOS_PER_MILLI, fault: Fault::Heal },
        ScheduledFault { at_ns: 10 * NANOS_PER_MILLI, fault: Fault::Crash { node: NodeId(2) } },
        ScheduledFault { at_ns: 16 * NANOS_PER_MILLI, fault: Fault::Recover { node: NodeId(2) } },
    ]);
    let p = TokenBounce { tokens: 6, random_peers: true, violate_at: Some(25), ..TokenBounce::default() };
    let schedule = w.schedule.clone();
    let mut sim = Simulator::new(p, NoClients, w, Choices::seeded(seed));
    sim.run();
    (sim.trace_events().to_vec(), schedule)
}

fn full_view(events: &[TraceEvent]) -> reports::view::View {
    let hl = violating_events(events);
    select(events, &hl, &ViewOptions { max_events: 0, ..ViewOptions::default() })
}

fn svg_of(events: &[TraceEvent]) -> String {
    reports::svg::render(events, &full_view(events), reports::svg::SvgOptions { standalone: true })
}

/// The SVG parses as XML (roxmltree, a conforming parser), and also passes a
/// small hand check: every tag closes in order, attributes are quoted, `&`
/// only starts an entity, and there is one root element.
fn assert_well_formed(xml: &str) {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("the SVG is not valid XML: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let b = xml.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => {
                let end = xml[i..].find('>').map(|e| i + e).expect("unclosed tag");
                let tag = &xml[i + 1..end];
                if let Some(name) = tag.strip_prefix('/') {
                    let open =
                        stack.pop().unwrap_or_else(|| panic!("close tag </{name}> with nothing open at byte {i}"));
                    assert_eq!(open, name.trim(), "tags cross at byte {i}");
                } else if !tag.starts_with('?') && !tag.starts_with('!') {
                    let self_closing = tag.ends_with('/');
                    let body = tag.trim_end_matches('/');
                    let name = body.split_whitespace().next().expect("tag name").to_string();
                    // Attributes: name="value" pairs with balanced quotes.
                    assert_eq!(body.matches('"').count() % 2, 0, "unbalanced quotes in <{body}>");
                    if stack.is_empty() {
                        roots += 1;
                    }
                    if !self_closing {
                        stack.push(name);
                    }
                }
                i = end + 1;
            }
            b'&' => {
                let semi = xml[i..].find(';').expect("entity ends");
                let entity = &xml[i + 1..i + semi];
                assert!(
                    matches!(entity, "amp" | "lt" | "gt" | "quot" | "#39") || entity.starts_with('#'),
                    "bad entity &{entity}; at byte {i}"
                );
                i += semi + 1;
            }
            _ => i += 1,
        }
    }
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
    assert_eq!(roots, 1, "one root element");
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[test]
fn the_svg_is_well_formed_and_deterministic() {
    let (events, _) = lossy_run(7);
    let a = svg_of(&events);
    assert_well_formed(&a);
    let (again, _) = lossy_run(7);
    assert_eq!(a, svg_of(&again), "same run, same bytes");
    let (other, _) = lossy_run(8);
    assert_ne!(a, svg_of(&other));
    assert!(a.starts_with("<svg xmlns="), "a standalone file names the SVG namespace");
}

#[test]
fn every_delivery_is_one_arrow_and_every_drop_a_cross() {
    let (events, _) = lossy_run(7);
    let svg = svg_of(&events);
    let delivered = events.iter().filter(|e| e.kind == TraceKind::Deliver).count();
    let dropped = events.iter().filter(|e| e.kind == TraceKind::Drop).count();
    let duplicated = events.iter().filter(|e| e.kind == TraceKind::Duplicate).count();
    assert!(
        delivered > 20 && dropped > 3 && duplicated > 0,
        "the run exercises the link faults: {delivered} {dropped} {duplicated}"
    );
    let arrows = count(&svg, "<line class=\"msg\"") + count(&svg, "<line class=\"msg dup\"");
    assert_eq!(arrows, delivered);
    assert_eq!(count(&svg, "<line class=\"drop\""), dropped, "each drop is a dashed red line");
    assert_eq!(count(&svg, "class=\"cross\""), 2 * dropped, "each drop ends in a cross (two strokes)");
    assert_eq!(count(&svg, "class=\"dupmark\""), duplicated);
    assert!(count(&svg, "class=\"band\"") >= 1, "the partition is shaded");
    assert_eq!(count(&svg, "<rect class=\"crash\""), 1);
    assert_eq!(count(&svg, "<rect class=\"recover\""), 1);
}

#[test]
fn the_violation_is_highlighted() {
    let (events, _) = lossy_run(7);
    let v = violating_events(&events);
    assert_eq!(v.len(), 1, "the run ends in a violation");
    let svg = svg_of(&events);
    let index = events[v[0]].index;
    assert!(
        svg.contains(&format!("<circle class=\"ring\" data-i=\"{index}\"")),
        "a red ring around the violating event"
    );
    assert!(svg.contains("class=\"violation\""));
    assert!(svg.contains("VIOLATION on n"));
}

#[test]
fn windows_focus_and_caps_keep_long_runs_small() {
    let (events, _) = lossy_run(7);
    let hl = violating_events(&events);
    let all = full_view(&events).shown.len();
    let capped = select(&events, &hl, &ViewOptions { max_events: 50, ..ViewOptions::default() });
    assert_eq!(capped.shown.len(), 50);
    assert!(capped.shown.contains(&hl[0]), "the cap keeps the violation in view");
    assert!(capped.notes.iter().any(|n| n.contains("cap of 50")));
    let window =
        select(&events, &hl, &ViewOptions { window: (Some(10), Some(40)), max_events: 0, ..ViewOptions::default() });
    assert!(window.shown.iter().all(|&i| (10..40).contains(&events[i].index)));
    let focus = select(&events, &hl, &ViewOptions { focus: true, max_events: 0, ..ViewOptions::default() });
    assert!(focus.shown.len() <= all && focus.shown.contains(&hl[0]));
    // Focused on an event in the middle, later and concurrent events go.
    let mid = (0..events.len()).filter(|&i| events[i].kind == TraceKind::Deliver).nth(10).unwrap();
    let early = select(&events, &[mid], &ViewOptions { focus: true, max_events: 0, ..ViewOptions::default() });
    assert!(early.shown.len() < all / 2, "{} of {all}", early.shown.len());
    assert!(early.shown.iter().all(|&i| i <= mid || events[i].actor == Actor::World));
    // Everything in focus happened before the violation.
    assert!(focus.shown.iter().all(|&i| i <= hl[0]));
    let svg = reports::svg::render(&events, &window, reports::svg::SvgOptions { standalone: true });
    assert_well_formed(&svg);
}

#[test]
fn a_100k_event_run_stays_under_two_megabytes() {
    let mut w = WorldConfig::new(5);
    w.limits.time_ns = 600 * NANOS_PER_SEC;
    w.limits.events = 60_000;
    w.trace_level = TraceLevel::Full;
    let mut sim = Simulator::new(
        TokenBounce { tokens: 20, random_peers: true, ..TokenBounce::default() },
        NoClients,
        w,
        Choices::seeded(3),
    );
    sim.run();
    let events = sim.trace_events();
    assert!(events.len() >= 100_000, "{} events", events.len());
    let view = select(events, &[], &ViewOptions::default());
    let svg = reports::svg::render(events, &view, reports::svg::SvgOptions { standalone: true });
    assert!(svg.len() < 2 << 20, "{} bytes", svg.len());
    assert_well_formed(&svg);
    let html = reports::html::render(events, &view, &RunInfo::default(), None);
    assert!(html.len() < 4 << 20, "{} bytes", html.len());
}

#[test]
fn the_html_is_self_contained() {
    let (events, schedule) = lossy_run(7);
    let info = RunInfo {
        title: "bounce, seed 7".into(),
        verdict: "violation".into(),
        facts: vec![("seed".into(), "7".into())],
        findings: vec!["invariant received-below-limit: <script>alert(1)</script>".into()],
        schedule,
    };
    let html = reports::html::render(&events, &full_view(&events), &info, None);
    assert!(!html.contains("http://") && !html.contains("https://"), "no network references");
    assert!(!html.contains("<script src") && !html.contains("<link"), "nothing loaded from elsewhere");
    assert!(html.contains("&lt;script&gt;alert(1)"), "text is escaped");
    assert_eq!(count(&html, "<script"), 2, "the data and the viewer, inline");
    assert!(html.contains("id=\"slider\"") && html.contains("id=\"states\""));
    assert!(html.contains("Partition"), "the fault schedule is listed");
    // The same run gives the same page.
    let (again, schedule) = lossy_run(7);
    let info2 = RunInfo { schedule, ..info.clone() };
    assert_eq!(html, reports::html::render(&again, &full_view(&again), &info2, None));
}

#[test]
fn the_shiviz_export_parses_and_respects_causality() {
    let (events, _) = lossy_run(7);
    let log = reports::shiviz::export(&events);
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len() % 2, 0, "two lines per event");
    // ShiViz's default parser: (?<event>.*)\n(?<host>\S*) (?<clock>{.*})
    let mut parsed: Vec<(String, std::collections::BTreeMap<String, u64>, String)> = Vec::new();
    for pair in lines.chunks(2) {
        let (event, stamp) = (pair[0], pair[1]);
        assert!(!event.is_empty());
        let (host, clock) = stamp.split_once(' ').expect("host then clock");
        assert!(!host.is_empty() && !host.contains(char::is_whitespace));
        assert!(clock.starts_with('{') && clock.ends_with('}'), "{clock}");
        let map: std::collections::BTreeMap<String, u64> = serde_json::from_str(clock).expect("the clock is JSON");
        parsed.push((host.to_string(), map, event.to_string()));
    }
    // Own entry counts the host's events from 1; no entry ever goes down.
    let mut seen: std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>> = Default::default();
    for (host, clock, _) in &parsed {
        let prev = seen.entry(host.clone()).or_default();
        assert_eq!(clock.get(host).copied(), Some(prev.get(host).copied().unwrap_or(0) + 1), "{host} ticks by one");
        for (k, v) in prev.iter() {
            assert!(clock.get(k).copied().unwrap_or(0) >= *v, "{host}'s knowledge of {k} never shrinks");
        }
        *prev = clock.clone();
    }
    // A delivery's clock dominates its send's.
    let index_of = |line: &str| -> u64 { line[1..].split(' ').next().unwrap().parse().unwrap() };
    let by_index: std::collections::BTreeMap<u64, &std::collections::BTreeMap<String, u64>> =
        parsed.iter().map(|(_, c, e)| (index_of(e), c)).collect();
    let mut checked = 0;
    for e in events.iter().filter(|e| e.kind == TraceKind::Deliver) {
        let (Some(d), Some(s)) = (by_index.get(&e.index), e.cause.and_then(|c| by_index.get(&c))) else { continue };
        for (k, v) in s.iter() {
            assert!(d.get(k).copied().unwrap_or(0) >= *v, "delivery #{} knows less than its send", e.index);
        }
        checked += 1;
    }
    assert!(checked > 20);
}

#[test]
fn the_text_timeline_has_lamport_times() {
    let (events, _) = lossy_run(7);
    let text = reports::timeline::render_text_with(
        &events,
        reports::timeline::TextOptions { lamport: true, ..Default::default() },
    );
    let first_recv = text.lines().find(|l| l.contains(" recv ")).expect("a delivery");
    assert!(first_recv.contains(" L"), "{first_recv}");
    assert!(!text.contains('\x1b'), "no colour unless asked");
    let coloured = reports::timeline::render_text_with(
        &events,
        reports::timeline::TextOptions { lamport: true, color: true, verbose: false },
    );
    assert!(coloured.contains("\x1b[31m"), "drops in red");
}

fn ev(process: u64, kind: EventType, f: &str, value: Value, time: u64) -> Event {
    Event { process, kind, f: f.into(), key: Some("x".into()), value, time: Some(time) }
}

#[test]
fn a_linearizability_failure_draws_its_key_with_the_stuck_operation_red() {
    // c0 writes 1 and it returns; afterwards c1 reads nil: a stale read.
    let s = |v: &str| Value::Str(v.into());
    let history = History {
        events: vec![
            ev(0, EventType::Invoke, "put", s("1"), 10),
            ev(0, EventType::Ok, "put", s("1"), 20),
            ev(1, EventType::Invoke, "get", Value::Nil, 30),
            ev(1, EventType::Ok, "get", Value::Nil, 40),
        ],
    };
    let failure = reports::linview::lin_failure(&history).expect("a stale read is not linearizable");
    let svg = reports::linview::render(&history, &failure);
    assert_well_formed(&svg);
    assert_eq!(count(&svg, "class=\"op bad"), 1, "the stale read is red");
    assert_eq!(count(&svg, "class=\"op lin"), 1, "the write linearized");
    // Its return is the violating trace event.
    let trace = vec![
        TraceEvent {
            index: 0,
            time: 30,
            kind: TraceKind::Invoke,
            actor: Actor::Client(ClientId(1)),
            peer: None,
            cause: None,
            detail: "invoke get".into(),
        },
        TraceEvent {
            index: 1,
            time: 40,
            kind: TraceKind::Complete,
            actor: Actor::Client(ClientId(1)),
            peer: None,
            cause: None,
            detail: "ok nil".into(),
        },
    ];
    assert_eq!(reports::linview::failure_events(&trace, &history, &failure), vec![1]);
    let view = select(&trace, &[1], &ViewOptions::default());
    let html = reports::html::render(
        &trace,
        &view,
        &RunInfo::default(),
        Some(LinFailure { history: &history, failure: &failure }),
    );
    assert!(html.contains("class=\"linview\"") && html.contains("class=\"op bad"));
}
