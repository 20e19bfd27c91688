//! Which events a diagram shows: a window of the trace, collapsed
//! heartbeats, the causal past of the violation, and a cap that keeps long
//! runs readable (and their files small).

use crate::causality::{causal_past, cause_position, positions, triggers};
use sim_core::{Actor, TraceEvent, TraceKind};

/// The patterns `--collapse-heartbeats` hides: Raft's heartbeat timer and
/// its empty AppendEntries, and the timers and messages of other protocols
/// that name themselves heartbeats or pings.
pub const HEARTBEAT_PATTERNS: &[&str] = &["Heartbeat", "entries: []", "Ping"];

/// The default cap on events drawn in one diagram.
pub const DEFAULT_MAX_EVENTS: usize = 2000;

/// How to choose the events to draw.
#[derive(Clone, Debug)]
pub struct ViewOptions {
    /// Only trace indices in `start..end` (either end open).
    pub window: (Option<u64>, Option<u64>),
    /// Hide messages and timers whose description contains one of these,
    /// with the replies sent in direct answer to such a message.
    pub collapse: Vec<String>,
    /// Only the causal past of the violating events (plus the faults).
    pub focus: bool,
    /// At most this many events drawn (0: no cap); a longer selection keeps
    /// the events leading up to the violation (or the end of the run).
    pub max_events: usize,
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions { window: (None, None), collapse: Vec::new(), focus: false, max_events: DEFAULT_MAX_EVENTS }
    }
}

/// Parses `A..B`, `A..` or `..B` (trace indices, end exclusive).
pub fn parse_window(text: &str) -> Result<(Option<u64>, Option<u64>), String> {
    let Some((a, b)) = text.split_once("..") else {
        return Err(format!("window `{text}`: expected A..B, A.. or ..B (trace event indices, B exclusive)"));
    };
    let num = |s: &str, which: &str| -> Result<Option<u64>, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<u64>().map(Some).map_err(|_| format!("window `{text}`: {which} `{s}` is not a non-negative integer"))
    };
    let (a, b) = (num(a, "start")?, num(b, "end")?);
    if let (Some(x), Some(y)) = (a, b) {
        if x >= y {
            return Err(format!("window `{text}`: the start must be below the end"));
        }
    }
    Ok((a, b))
}

/// The chosen events, as positions in the trace, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    pub shown: Vec<usize>,
    /// Violating events (positions) to highlight, whether shown or not.
    pub highlight: Vec<usize>,
    /// What was left out and why, for the legend.
    pub notes: Vec<String>,
}

/// Whether an event is ever drawn (state snapshots and persist records are
/// shown by the HTML viewer's state panel instead).
pub fn drawable(e: &TraceEvent) -> bool {
    !matches!(e.kind, TraceKind::State | TraceKind::Persist)
}

/// Chooses the events to draw.
pub fn select(events: &[TraceEvent], highlight: &[usize], options: &ViewOptions) -> View {
    let mut notes = Vec::new();
    let mut keep: Vec<bool> = events.iter().map(drawable).collect();
    let total = keep.iter().filter(|k| **k).count();
    let is_target = |i: usize| highlight.contains(&i);

    if !options.collapse.is_empty() {
        let hidden = collapse(events, &options.collapse);
        let mut n = 0;
        for (i, h) in hidden.iter().enumerate() {
            if *h && keep[i] && !is_target(i) {
                keep[i] = false;
                n += 1;
            }
        }
        if n > 0 {
            notes.push(format!("{n} heartbeat events collapsed (matching {})", options.collapse.join(", ")));
        }
    }
    if options.focus {
        if highlight.is_empty() {
            notes.push("no violating event to focus on: showing everything".into());
        } else {
            let past = causal_past(events, highlight);
            let before = keep.iter().filter(|k| **k).count();
            for (i, e) in events.iter().enumerate() {
                if !past[i] && e.actor != Actor::World {
                    keep[i] = false;
                }
            }
            let after = keep.iter().filter(|k| **k).count();
            notes.push(format!("focus: the causal past of the violation ({after} of {before} events)"));
        }
    }
    let (start, end) = options.window;
    if start.is_some() || end.is_some() {
        for (i, e) in events.iter().enumerate() {
            if start.is_some_and(|s| e.index < s) || end.is_some_and(|b| e.index >= b) {
                keep[i] = false;
            }
        }
        notes.push(format!(
            "window: events {}..{}",
            start.map(|s| s.to_string()).unwrap_or_default(),
            end.map(|s| s.to_string()).unwrap_or_default()
        ));
    }
    let mut shown: Vec<usize> = (0..events.len()).filter(|&i| keep[i]).collect();
    if options.max_events > 0 && shown.len() > options.max_events {
        // End a little after the last violating event (or at the end).
        let last = highlight.iter().max().copied();
        let end_at = match last {
            Some(v) => shown.iter().position(|&i| i > v).map(|p| (p + 20).min(shown.len())).unwrap_or(shown.len()),
            None => shown.len(),
        };
        let begin = end_at.saturating_sub(options.max_events);
        let (first, lastpos) = (shown[begin], shown[end_at - 1]);
        notes.push(format!(
            "{} events selected, more than the cap of {}: drawing events {}..{} (use --window, --collapse-heartbeats, --focus or --max-events)",
            shown.len(),
            options.max_events,
            events[first].index,
            events[lastpos].index + 1
        ));
        shown = shown[begin..end_at].to_vec();
    }
    if notes.is_empty() && shown.len() == total {
        notes.push(format!("all {total} events"));
    }
    View { shown, highlight: highlight.to_vec(), notes }
}

/// Events hidden by collapsing: messages and timers whose description
/// contains a pattern, their deliveries, drops and duplicates, and the
/// messages sent in direct answer to a hidden message (back to its sender),
/// with their deliveries.
pub fn collapse(events: &[TraceEvent], patterns: &[String]) -> Vec<bool> {
    let pos = positions(events);
    let trig = triggers(events);
    let matches = |e: &TraceEvent| patterns.iter().any(|p| e.detail.contains(p.as_str()));
    let mut hidden = vec![false; events.len()];
    // Messages hidden because they matched themselves (not as replies).
    let mut matched = vec![false; events.len()];
    for (i, e) in events.iter().enumerate() {
        match e.kind {
            TraceKind::Timer if matches(e) => hidden[i] = true,
            TraceKind::Send => {
                if matches(e) {
                    hidden[i] = true;
                    matched[i] = true;
                } else {
                    // A reply to a matched message: sent by the handler of its
                    // delivery, back to the matched message's sender.
                    let t = trig[i];
                    if t != i && events[t].kind == TraceKind::Deliver && events[t].peer == e.peer {
                        if let Some(c) = cause_position(events, &pos, t) {
                            if matched[c] {
                                hidden[i] = true;
                            }
                        }
                    }
                }
            }
            TraceKind::Deliver | TraceKind::Drop | TraceKind::Duplicate => {
                if let Some(c) = cause_position(events, &pos, i) {
                    hidden[i] = hidden[c];
                }
            }
            TraceKind::Note => {
                let t = trig[i];
                if t != i && hidden[t] {
                    hidden[i] = true;
                }
            }
            _ => {}
        }
    }
    hidden
}

/// The violating events of a trace: invariant violations and panics.
pub fn violating_events(events: &[TraceEvent]) -> Vec<usize> {
    (0..events.len()).filter(|&i| matches!(events[i].kind, TraceKind::Violation | TraceKind::Panic)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_and_reject() {
        assert_eq!(parse_window("3..9"), Ok((Some(3), Some(9))));
        assert_eq!(parse_window("..9"), Ok((None, Some(9))));
        assert_eq!(parse_window("4.."), Ok((Some(4), None)));
        assert!(parse_window("9..3").unwrap_err().contains("start must be below"));
        assert!(parse_window("x..3").unwrap_err().contains("start `x`"));
        assert!(parse_window("12").unwrap_err().contains("expected A..B"));
    }
}
