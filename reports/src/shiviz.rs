//! Export for ShiViz (the DistributedClocks/shiviz space-time viewer): a
//! log with a vector timestamp per event, derived from the trace's
//! causality.
//!
//! The format is ShiViz's default one, so the log pastes in with the
//! default parser expression [`SHIVIZ_REGEX`]: each event is two lines, the
//! description and then `host {"host": n, ...}` (the host's own entry
//! counts its events, starting at 1; the others are what it knows of the
//! rest). Nodes and clients are hosts; world events, persists and state
//! snapshots are left out.

use crate::causality::{is_step, lanes, vector_clocks};
use crate::svg::describe;
use crate::text::{one_line, truncate};
use sim_core::TraceEvent;
use std::fmt::Write;

/// ShiViz's default log parser regular expression, which this export fits.
pub const SHIVIZ_REGEX: &str = r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})";

/// The ShiViz log of a trace.
pub fn export(events: &[TraceEvent]) -> String {
    let lanes = lanes(events);
    let clocks = vector_clocks(events, &lanes, is_step);
    let names: Vec<String> = lanes.iter().map(|a| a.to_string()).collect();
    let mut out = String::new();
    for (e, clock) in events.iter().zip(&clocks) {
        let Some(clock) = clock else { continue };
        let entries: Vec<String> =
            clock.iter().enumerate().filter(|(_, v)| **v > 0).map(|(l, v)| format!("\"{}\":{v}", names[l])).collect();
        let text = truncate(&one_line(&describe(e, 400)), 400);
        let _ = writeln!(out, "{text}\n{} {{{}}}", e.actor, entries.join(", "));
    }
    out
}
