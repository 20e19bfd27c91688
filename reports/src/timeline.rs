//! The text timeline: one trace event a line, for terminals and `run --trace`.

use sim_core::{time::format_duration_ns, TraceEvent, TraceKind};
use std::fmt::Write;

fn kind_label(kind: TraceKind) -> &'static str {
    match kind {
        TraceKind::Send => "send",
        TraceKind::Deliver => "recv",
        TraceKind::Drop => "drop",
        TraceKind::Duplicate => "dup",
        TraceKind::Timer => "timer",
        TraceKind::Crash => "CRASH",
        TraceKind::Recover => "RECOVER",
        TraceKind::Fault => "FAULT",
        TraceKind::Persist => "persist",
        TraceKind::Invoke => "invoke",
        TraceKind::Complete => "return",
        TraceKind::Note => "note",
        TraceKind::Violation => "VIOLATION",
        TraceKind::Panic => "PANIC",
        TraceKind::State => "state",
        TraceKind::Byzantine => "BYZANTINE",
        TraceKind::Rejected => "reject",
    }
}

/// Renders events as aligned lines: index, sim time, actor, kind, peer, detail.
/// `persist` events and state snapshots are skipped unless `verbose`.
pub fn render_text(events: &[TraceEvent], verbose: bool) -> String {
    let mut out = String::new();
    for e in events {
        if !verbose && matches!(e.kind, TraceKind::Persist | TraceKind::State) {
            continue;
        }
        let peer = match (e.kind, e.peer) {
            (TraceKind::Send, Some(p)) => format!("-> {p}"),
            (TraceKind::Deliver | TraceKind::Drop | TraceKind::Rejected, Some(p)) => format!("<- {p}"),
            (_, Some(p)) => format!("{p}"),
            (_, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "{:>7} {:>12} {:>6} {:<9} {:<8} {}",
            e.index,
            format_duration_ns(e.time),
            e.actor.to_string(),
            kind_label(e.kind),
            peer,
            e.detail
        );
    }
    out
}

/// How `render_text_with` prints.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    /// Also print persist records and state snapshots.
    pub verbose: bool,
    /// ANSI colours (for a terminal).
    pub color: bool,
    /// A Lamport time column (derived from `cause`).
    pub lamport: bool,
}

fn kind_color(kind: TraceKind) -> &'static str {
    match kind {
        TraceKind::Drop => "\x1b[31m",
        TraceKind::Crash | TraceKind::Violation | TraceKind::Panic => "\x1b[1;31m",
        TraceKind::Recover => "\x1b[1;32m",
        TraceKind::Fault => "\x1b[35m",
        TraceKind::Duplicate | TraceKind::Timer => "\x1b[33m",
        TraceKind::Invoke | TraceKind::Complete => "\x1b[36m",
        TraceKind::Note | TraceKind::Persist | TraceKind::State => "\x1b[2m",
        TraceKind::Send | TraceKind::Deliver => "",
        TraceKind::Byzantine => "\x1b[1;35m",
        TraceKind::Rejected => "\x1b[31m",
    }
}

/// Like [`render_text`], with a Lamport column (`L12`; `-` for world
/// events) and optional colours: one event a line with index, sim time,
/// Lamport time, actor, kind, peer and description.
pub fn render_text_with(events: &[TraceEvent], options: TextOptions) -> String {
    let all: Vec<usize> = (0..events.len()).collect();
    render_text_view(events, &all, options)
}

/// [`render_text_with`] for the events at positions `shown` only (a
/// window or focus of a diagram); Lamport times are those of the whole trace.
pub fn render_text_view(events: &[TraceEvent], shown: &[usize], options: TextOptions) -> String {
    let lamport = if options.lamport { crate::causality::lamport(events) } else { Vec::new() };
    let pos = crate::causality::positions(events);
    let mut out = String::new();
    for &i in shown {
        let Some(e) = events.get(i) else { continue };
        if !options.verbose && matches!(e.kind, TraceKind::Persist | TraceKind::State) {
            continue;
        }
        let at_sender = crate::layout::dropped_at_sender(events, &pos, i);
        let peer = match (e.kind, e.peer) {
            (TraceKind::Send | TraceKind::Duplicate, Some(p)) => format!("-> {p}"),
            (TraceKind::Drop, Some(p)) if at_sender => format!("-> {p}"),
            (TraceKind::Deliver | TraceKind::Drop | TraceKind::Rejected, Some(p)) => format!("<- {p}"),
            (_, Some(p)) => format!("{p}"),
            (_, None) => String::new(),
        };
        let clock = match lamport.get(i) {
            Some(0) => "-".to_string(),
            Some(l) => format!("L{l}"),
            None => String::new(),
        };
        let (on, off) =
            if options.color && !kind_color(e.kind).is_empty() { (kind_color(e.kind), "\x1b[0m") } else { ("", "") };
        let _ = write!(out, "{:>7} {:>12} ", e.index, format_duration_ns(e.time));
        if options.lamport {
            let _ = write!(out, "{clock:>6} ");
        }
        let _ = writeln!(out, "{on}{:>6} {:<9} {:<8} {}{off}", e.actor.to_string(), kind_label(e.kind), peer, e.detail);
    }
    out
}
