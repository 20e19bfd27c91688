//! Causality derived from a full trace: lanes (one per node and client),
//! Lamport times, vector clocks, handler grouping and causal pasts.
//!
//! The trace records, for every delivery, drop and duplicate, the index of
//! the send it answers (`cause`); everything here follows from that and from
//! program order on each actor. The world (faults) is not a process: its
//! events get no clock of their own.

use sim_core::{Actor, TraceEvent, TraceKind};
use std::collections::BTreeMap;

/// The actors that get a lane, in display order: nodes, then clients.
pub fn lanes(events: &[TraceEvent]) -> Vec<Actor> {
    let mut seen: Vec<Actor> = Vec::new();
    for e in events {
        for a in std::iter::once(e.actor).chain(e.peer) {
            if a != Actor::World && !seen.contains(&a) {
                seen.push(a);
            }
        }
    }
    seen.sort();
    seen
}

/// Maps each trace index to its position in `events` (traces from the
/// simulator have `index == position`; sliced traces need the map).
pub fn positions(events: &[TraceEvent]) -> BTreeMap<u64, usize> {
    events.iter().enumerate().map(|(i, e)| (e.index, i)).collect()
}

/// Whether an event is a process step for clocks (not a state snapshot or persist record).
pub fn is_step(e: &TraceEvent) -> bool {
    !matches!(e.kind, TraceKind::State | TraceKind::Persist) && e.actor != Actor::World
}

/// The send an event answers, as a position in `events`.
pub fn cause_position(events: &[TraceEvent], pos: &BTreeMap<u64, usize>, i: usize) -> Option<usize> {
    events[i].cause.and_then(|c| pos.get(&c).copied())
}

/// Whether a delivery-like event merges the sender's knowledge (only an
/// actual delivery does: a drop or a duplicate is a local event).
fn merges(e: &TraceEvent) -> bool {
    e.kind == TraceKind::Deliver
}

/// Lamport times: one per event (0 for events that are not process steps).
/// Each step on an actor ticks its clock; a delivery first takes the max
/// with its send's time.
pub fn lamport(events: &[TraceEvent]) -> Vec<u64> {
    let pos = positions(events);
    let mut clock: BTreeMap<Actor, u64> = BTreeMap::new();
    let mut out = vec![0u64; events.len()];
    for (i, e) in events.iter().enumerate() {
        if !is_step(e) {
            continue;
        }
        let mut t = clock.get(&e.actor).copied().unwrap_or(0);
        if merges(e) {
            if let Some(c) = cause_position(events, &pos, i) {
                t = t.max(out[c]);
            }
        }
        t += 1;
        clock.insert(e.actor, t);
        out[i] = t;
    }
    out
}

/// Vector clocks for the events `include` accepts (others get `None`), over
/// `lanes`. Each included event ticks its own actor's entry; a delivery
/// first merges its send's clock (if the send is included).
pub fn vector_clocks(
    events: &[TraceEvent],
    lanes: &[Actor],
    include: impl Fn(&TraceEvent) -> bool,
) -> Vec<Option<Vec<u64>>> {
    let pos = positions(events);
    let lane_of: BTreeMap<Actor, usize> = lanes.iter().enumerate().map(|(i, a)| (*a, i)).collect();
    let mut current: Vec<Vec<u64>> = vec![vec![0; lanes.len()]; lanes.len()];
    let mut out: Vec<Option<Vec<u64>>> = vec![None; events.len()];
    for (i, e) in events.iter().enumerate() {
        let Some(&l) = lane_of.get(&e.actor) else { continue };
        if !include(e) {
            continue;
        }
        if merges(e) {
            if let Some(Some(sent)) = cause_position(events, &pos, i).map(|c| out[c].clone()) {
                for (mine, theirs) in current[l].iter_mut().zip(sent) {
                    *mine = (*mine).max(theirs);
                }
            }
        }
        current[l][l] += 1;
        out[i] = Some(current[l].clone());
    }
    out
}

/// For each event, the position of the event that triggered the handler it
/// belongs to: a send, persist, note or state snapshot recorded on a node
/// right after a delivery or timer on that node (at the same time) belongs to
/// that delivery or timer (or client invocation or return). Other events
/// trigger themselves.
pub fn triggers(events: &[TraceEvent]) -> Vec<usize> {
    let mut out: Vec<usize> = (0..events.len()).collect();
    let mut last: BTreeMap<Actor, usize> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        match e.kind {
            TraceKind::Deliver
            | TraceKind::Timer
            | TraceKind::Recover
            | TraceKind::Crash
            | TraceKind::Invoke
            | TraceKind::Complete => {
                last.insert(e.actor, i);
            }
            TraceKind::Send | TraceKind::Persist | TraceKind::Note | TraceKind::State => {
                if let Some(&t) = last.get(&e.actor) {
                    if events[t].time == e.time {
                        out[i] = out[t];
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The causal past of the `targets` (positions), themselves included:
/// every event that happened-before one of them (program order on each
/// actor, send before delivery). State, persist and note records of an
/// included handler are included too; world events are not (callers add
/// faults for context).
pub fn causal_past(events: &[TraceEvent], targets: &[usize]) -> Vec<bool> {
    let pos = positions(events);
    // Previous step on the same actor, for program order.
    let mut prev: Vec<Option<usize>> = vec![None; events.len()];
    let mut last: BTreeMap<Actor, usize> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        if e.actor == Actor::World {
            continue;
        }
        prev[i] = last.get(&e.actor).copied();
        last.insert(e.actor, i);
    }
    let mut inside = vec![false; events.len()];
    let mut stack: Vec<usize> = targets.iter().copied().filter(|&t| t < events.len()).collect();
    while let Some(i) = stack.pop() {
        if inside[i] {
            continue;
        }
        inside[i] = true;
        if let Some(p) = prev[i] {
            if !inside[p] {
                stack.push(p);
            }
        }
        if let Some(c) = cause_position(events, &pos, i) {
            if !inside[c] {
                stack.push(c);
            }
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::{ClientId, NodeId};

    fn ev(index: u64, kind: TraceKind, actor: Actor, peer: Option<Actor>, cause: Option<u64>) -> TraceEvent {
        TraceEvent { index, time: index * 10, kind, actor, peer, cause, detail: String::new() }
    }

    #[test]
    fn lamport_and_vectors_follow_messages() {
        let (a, b) = (Actor::Node(NodeId(0)), Actor::Node(NodeId(1)));
        let c = Actor::Client(ClientId(0));
        let events = vec![
            ev(0, TraceKind::Timer, a, None, None),
            ev(1, TraceKind::Send, a, Some(b), None),
            ev(2, TraceKind::Timer, b, None, None),
            ev(3, TraceKind::Deliver, b, Some(a), Some(1)),
            ev(4, TraceKind::Send, c, Some(a), None),
            ev(5, TraceKind::Drop, a, Some(c), Some(4)),
        ];
        assert_eq!(lamport(&events), vec![1, 2, 1, 3, 1, 3]);
        let lanes = lanes(&events);
        assert_eq!(lanes, vec![a, b, c]);
        let v = vector_clocks(&events, &lanes, |_| true);
        assert_eq!(v[3].as_deref(), Some(&[2, 2, 0][..]));
        assert_eq!(v[5].as_deref(), Some(&[3, 0, 0][..]), "a drop merges nothing");
        let past = causal_past(&events, &[3]);
        assert_eq!(past, vec![true, true, true, true, false, false]);
    }
}
