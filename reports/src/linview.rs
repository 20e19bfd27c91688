//! The per-key history view of a linearizability failure, in the spirit of
//! Porcupine's visualisation: the failing key's operations as bars over
//! time, one row per client; the longest linearizable prefix numbered in
//! its linearization order, the operations that could not be placed in red.

use crate::text::{escape, truncate};
use checkers::lin::{self, models::Kv, CheckOptions, Failure};
use checkers::{EventType, History, Operation};
use sim_core::{time::format_duration_ns, Actor, ClientId, TraceEvent, TraceKind};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The search-step budget used to find the failure (the same as the run's judge).
pub const LIN_MAX_STEPS: u64 = 20_000_000;

/// Judges `history` against the key-value model; the failure, if it is not
/// linearizable (`None` when it is, or when the budget ran out).
pub fn lin_failure(history: &History) -> Option<Failure> {
    let options = CheckOptions::default().with_max_steps(LIN_MAX_STEPS);
    match lin::check(history, &Kv, &options).ok()?.verdict {
        lin::Verdict::NotLinearizable(f) => Some(f),
        _ => None,
    }
}

/// The trace events where the unplaceable operations returned (or were
/// invoked, if they never returned): the "violating events" of a
/// linearizability failure.
pub fn failure_events(events: &[TraceEvent], history: &History, failure: &Failure) -> Vec<usize> {
    let mut out = Vec::new();
    for op in &failure.unplaceable {
        let (kind, at) = match op.complete_index {
            Some(c) => (TraceKind::Complete, history.events.get(c).and_then(|e| e.time)),
            None => (TraceKind::Invoke, history.events.get(op.invoke_index).and_then(|e| e.time)),
        };
        let Some(at) = at else { continue };
        let actor = Actor::Client(ClientId(op.process as u32));
        if let Some(i) = events.iter().position(|e| e.kind == kind && e.actor == actor && e.time == at) {
            if !out.contains(&i) {
                out.push(i);
            }
        }
    }
    out.sort();
    out
}

fn op_label(op: &Operation) -> String {
    let out = match op.outcome {
        EventType::Ok => format!(" → {}", op.output),
        EventType::Fail => " → fail".into(),
        _ => " → ?".into(),
    };
    format!("c{} {}({}){out}", op.process, op.f, op.input)
}

/// Renders the failing key's operations as an SVG (inline, no namespace).
pub fn render(history: &History, failure: &Failure) -> String {
    let ops: Vec<Operation> = history.operations().into_iter().filter(|o| o.key == failure.key).collect();
    let time_of = |i: usize| history.events.get(i).and_then(|e| e.time).unwrap_or(i as u64);
    let mut t0 = u64::MAX;
    let mut t1 = 0u64;
    for o in &ops {
        t0 = t0.min(time_of(o.invoke_index));
        t1 = t1.max(o.complete_index.map(time_of).unwrap_or(time_of(o.invoke_index)));
    }
    if ops.is_empty() {
        t0 = 0;
    }
    let t1 = t1.max(t0 + 1);
    let order: BTreeMap<usize, usize> =
        failure.prefix.iter().enumerate().map(|(n, o)| (o.invoke_index, n + 1)).collect();
    let stuck: Vec<usize> = failure.unplaceable.iter().map(|o| o.invoke_index).collect();
    let processes: Vec<u64> = {
        let mut p: Vec<u64> = ops.iter().map(|o| o.process).collect();
        p.sort();
        p.dedup();
        p
    };
    let (left, top, plot_w, row_h) = (60u64, 34u64, 1000u64, 34u64);
    let width = left + plot_w + 20;
    let height = top + row_h * processes.len() as u64 + 40;
    let x = |t: u64| left + ((t.saturating_sub(t0)) as u128 * plot_w as u128 / (t1 - t0) as u128) as u64;
    let mut s = String::new();
    let _ = writeln!(s, "<svg class=\"linview\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\">");
    s.push_str("<style>.op{stroke:#555;stroke-width:.5}.op.lin{fill:#b7dfb9}.op.other{fill:#c9d6e8}.op.bad{fill:#e53935}.op.open{stroke-dasharray:4 2}.oplabel{font:10px sans-serif;fill:#111}.opnum{font:bold 10px sans-serif;fill:#1a7f37}.axis{font:10px monospace;fill:#666}.proc{font:bold 11px sans-serif;fill:#333}</style>\n");
    let _ = writeln!(
        s,
        "<text class=\"proc\" x=\"4\" y=\"16\">key {}: {} operations; green = the longest linearizable prefix (numbered), red = could not be linearized next</text>",
        escape(failure.key.as_deref().unwrap_or("-")),
        ops.len()
    );
    for (row, p) in processes.iter().enumerate() {
        let y = top + row as u64 * row_h;
        let _ = writeln!(s, "<text class=\"proc\" x=\"6\" y=\"{}\">c{p}</text>", y + 18);
        let _ = writeln!(
            s,
            "<line stroke=\"#eee\" x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
            y + row_h - 2,
            left + plot_w,
            y + row_h - 2
        );
        for o in ops.iter().filter(|o| o.process == *p) {
            let a = x(time_of(o.invoke_index));
            let b = o.complete_index.map(|c| x(time_of(c))).unwrap_or(left + plot_w).max(a + 3);
            let class = if stuck.contains(&o.invoke_index) {
                "bad"
            } else if order.contains_key(&o.invoke_index) {
                "lin"
            } else {
                "other"
            };
            let open = if o.outcome == EventType::Ok { "" } else { " open" };
            let label = op_label(o);
            let span = format!(
                "{} .. {}",
                format_duration_ns(time_of(o.invoke_index)),
                o.complete_index.map(|c| format_duration_ns(time_of(c))).unwrap_or_else(|| "never returned".into())
            );
            let _ = writeln!(
                s,
                "<g><title>{} [{}]</title><rect class=\"op {class}{open}\" x=\"{a}\" y=\"{}\" width=\"{}\" height=\"20\" rx=\"3\"/>",
                escape(&label),
                escape(&span),
                y + 4,
                b - a
            );
            let chars = ((b - a) / 6) as usize;
            if chars >= 4 {
                let _ = writeln!(
                    s,
                    "<text class=\"oplabel\" x=\"{}\" y=\"{}\">{}</text>",
                    a + 3,
                    y + 18,
                    escape(&truncate(&label, chars))
                );
            }
            if let Some(n) = order.get(&o.invoke_index) {
                let _ = writeln!(s, "<text class=\"opnum\" x=\"{a}\" y=\"{}\">{n}</text>", y + 2);
            }
            s.push_str("</g>\n");
        }
    }
    let ya = top + row_h * processes.len() as u64 + 14;
    let _ = writeln!(s, "<text class=\"axis\" x=\"{left}\" y=\"{ya}\">{}</text>", escape(&format_duration_ns(t0)));
    let _ = writeln!(
        s,
        "<text class=\"axis\" x=\"{}\" y=\"{ya}\" text-anchor=\"end\">{}</text>",
        left + plot_w,
        escape(&format_duration_ns(t1))
    );
    s.push_str("</svg>\n");
    s
}
