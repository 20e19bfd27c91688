//! Places the chosen events of a space-time diagram: a lane per node and
//! client, a row per step.
//!
//! Rows follow happened-before, not the clock: an event goes on the first
//! free row of its lane below its send (for a delivery), so concurrent
//! events share rows and the diagram stays short, in the manner of a
//! Lamport diagram. Messages a handler sends leave from the row of the
//! delivery or timer that ran it (a broadcast is one point, many arrows).
//! World events (faults) are barriers: every event before one in the trace
//! is drawn above it and every event after it below, so partitions can be
//! shaded as bands.

use crate::causality::{cause_position, positions, triggers};
use crate::view::View;
use sim_core::{Actor, TraceEvent, TraceKind};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct Layout {
    /// The lanes, in order.
    pub lanes: Vec<Actor>,
    /// Per trace position: the row, if the event is drawn on one.
    pub row: Vec<Option<u32>>,
    /// Per trace position: whether the event is shown.
    pub shown: Vec<bool>,
    pub rows: u32,
}

impl Layout {
    pub fn lane(&self, actor: Actor) -> Option<usize> {
        self.lanes.iter().position(|a| *a == actor)
    }
}

/// Whether a drop happened at the sender (the link lost it on the way out),
/// rather than on arrival.
pub fn dropped_at_sender(events: &[TraceEvent], pos: &BTreeMap<u64, usize>, i: usize) -> bool {
    events[i].kind == TraceKind::Drop
        && cause_position(events, pos, i).is_some_and(|c| events[c].actor == events[i].actor)
}

pub fn layout(events: &[TraceEvent], view: &View) -> Layout {
    let pos = positions(events);
    let trig = triggers(events);
    let mut shown = vec![false; events.len()];
    for &i in &view.shown {
        shown[i] = true;
    }
    let mut lanes: Vec<Actor> = Vec::new();
    for &i in &view.shown {
        let e = &events[i];
        for a in std::iter::once(e.actor).chain(e.peer) {
            if a != Actor::World && !lanes.contains(&a) {
                lanes.push(a);
            }
        }
    }
    lanes.sort();
    let lane_of: BTreeMap<Actor, usize> = lanes.iter().enumerate().map(|(i, a)| (*a, i)).collect();
    let mut row: Vec<Option<u32>> = vec![None; events.len()];
    let mut lane_next = vec![0u32; lanes.len()];
    let mut floor = 0u32;
    let mut next_free = 0u32; // one past the largest row used
    for &i in &view.shown {
        let e = &events[i];
        let r = match e.kind {
            _ if e.actor == Actor::World => {
                let r = next_free.max(floor);
                floor = r + 1;
                r
            }
            TraceKind::Duplicate => continue,
            TraceKind::Drop if dropped_at_sender(events, &pos, i) => continue,
            _ => {
                let l = lane_of[&e.actor];
                let t = trig[i];
                let shares = matches!(e.kind, TraceKind::Send | TraceKind::Note)
                    && t != i
                    && shown[t]
                    && events[t].actor == e.actor
                    && row[t].is_some();
                if shares {
                    row[t].unwrap_or(0)
                } else {
                    let mut r = lane_next[l].max(floor);
                    if matches!(e.kind, TraceKind::Deliver | TraceKind::Drop) {
                        if let Some(c) = cause_position(events, &pos, i) {
                            if let Some(sr) = row[c] {
                                r = r.max(sr + 1);
                            }
                        }
                    }
                    lane_next[l] = r + 1;
                    r
                }
            }
        };
        row[i] = Some(r);
        next_free = next_free.max(r + 1);
    }
    Layout { lanes, row, shown, rows: next_free }
}
