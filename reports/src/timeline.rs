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
            (TraceKind::Deliver | TraceKind::Drop, Some(p)) => format!("<- {p}"),
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
