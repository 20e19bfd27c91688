//! The space-time diagram as SVG: a lane per node and client (time flows
//! down), messages as arrows, dropped ones ending in a cross, duplicates
//! marked, crashes and recoveries on the lanes, partitions shaded, client
//! operations as bars from invoke to return, the violating event ringed in
//! red. Every drawn element carries `data-i` (its trace index) so the HTML
//! viewer can step through it; message arrows also carry `data-d` (the
//! delivery's index).
//!
//! Coordinates are integers: the same trace always gives the same bytes.

use crate::causality::{cause_position, positions};
use crate::layout::{dropped_at_sender, layout, Layout};
use crate::text::{escape, one_line, truncate};
use crate::view::View;
use sim_core::{time::format_duration_ns, Actor, TraceEvent, TraceKind};
use std::collections::BTreeMap;
use std::fmt::Write;

pub const LANE_W: u32 = 110;
pub const ROW_H: u32 = 18;
pub const LEFT: u32 = 84;
pub const TOP: u32 = 44;
pub const ANNOT_W: u32 = 420;

/// The CSS of the diagram (inlined in the SVG so a standalone file renders).
pub const CSS: &str = "\
.lane{stroke:#bbb;stroke-width:1}\
.lanehead{font:bold 13px sans-serif;text-anchor:middle;fill:#222}\
.down{fill:#f4c7c3;opacity:.8}\
.band{fill:#f9a825;opacity:.13}\
.bandlabel{font:italic 11px sans-serif;fill:#a66b00}\
.faultline{stroke:#8e24aa;stroke-width:1;stroke-dasharray:4 3}\
.msg{stroke:#1f77b4;stroke-width:1.2;marker-end:url(#arrow)}\
.msg.dup{stroke:#ff7f0e;marker-end:url(#arrowdup)}\
.drop{stroke:#d62728;stroke-width:1.2;stroke-dasharray:3 2}\
.cross{stroke:#d62728;stroke-width:2}\
.byzantine{fill:#8e24aa}.rejected{stroke:#8e24aa;stroke-width:2}\
.stub{stroke:#999;stroke-width:1;stroke-dasharray:2 3}\
.dupmark{font:bold 10px sans-serif;fill:#ff7f0e}\
.ev{cursor:pointer}\
.send{fill:#333}.recv{fill:#1f77b4}.timer{fill:#fff;stroke:#555;stroke-width:1.2}\
.note{fill:#999}.crash{fill:#d62728}.recover{fill:#2ca02c}\
.invoke{fill:#2ca02c}.ok{fill:#1a7f37}.info{fill:#ff7f0e}.fail{fill:#888}\
.opbar{stroke-width:4;opacity:.45}.opbar.ok{stroke:#1a7f37}.opbar.info{stroke:#ff7f0e}.opbar.fail{stroke:#888}\
.violation{fill:#d62728}.ring{fill:none;stroke:#d62728;stroke-width:3}\
.time{font:10px monospace;fill:#777;text-anchor:end}\
.annot{font:11px sans-serif;fill:#444}.annot.bad{fill:#d62728;font-weight:bold}.annot.fault{fill:#8e24aa}\
.legend{font:11px sans-serif;fill:#555}\
.cur{stroke:#000!important;stroke-width:3!important}\
";

fn x_of(lane: usize) -> u32 {
    LEFT + lane as u32 * LANE_W + LANE_W / 2
}

fn y_of(row: u32) -> u32 {
    TOP + row * ROW_H + ROW_H / 2
}

fn kind_name(k: TraceKind) -> &'static str {
    match k {
        TraceKind::Send => "send",
        TraceKind::Deliver => "deliver",
        TraceKind::Drop => "drop",
        TraceKind::Duplicate => "duplicate",
        TraceKind::Timer => "timer",
        TraceKind::Crash => "crash",
        TraceKind::Recover => "recover",
        TraceKind::Fault => "fault",
        TraceKind::Persist => "persist",
        TraceKind::Invoke => "invoke",
        TraceKind::Complete => "return",
        TraceKind::Note => "note",
        TraceKind::Violation => "violation",
        TraceKind::Panic => "panic",
        TraceKind::State => "state",
        TraceKind::Byzantine => "byzantine",
        TraceKind::Rejected => "rejected",
    }
}

/// A one-line description of an event for tooltips and the step panel.
pub fn describe(e: &TraceEvent, max: usize) -> String {
    let peer = e.peer.map(|p| match e.kind {
        TraceKind::Send | TraceKind::Duplicate => format!(" → {p}"),
        _ => format!(" ← {p}"),
    });
    truncate(
        &one_line(&format!(
            "#{} {} {} {}{}: {}",
            e.index,
            format_duration_ns(e.time),
            e.actor,
            kind_name(e.kind),
            peer.unwrap_or_default(),
            e.detail
        )),
        max,
    )
}

/// The outcome class of a client's return (`ok`, `info` or `fail`).
fn outcome_class(detail: &str) -> &'static str {
    if detail.starts_with("ok") {
        "ok"
    } else if detail.starts_with("fail") {
        "fail"
    } else {
        "info"
    }
}

/// Whether a world event starts a partition (and which lane it isolates, if one).
fn partition_start(detail: &str) -> bool {
    detail.starts_with("Partition")
        || detail.starts_with("Isolate")
        || (detail.starts_with("isolate-leader:") && detail.contains("cut off"))
}

/// Options of the SVG rendering.
#[derive(Clone, Copy, Debug, Default)]
pub struct SvgOptions {
    /// A standalone `.svg` file (with the XML namespace); inline SVG in HTML
    /// needs none.
    pub standalone: bool,
}

/// Renders the diagram of `view` over `events`.
pub fn render(events: &[TraceEvent], view: &View, options: SvgOptions) -> String {
    let lay = layout(events, view);
    render_layout(events, view, &lay, options)
}

pub fn render_layout(events: &[TraceEvent], view: &View, lay: &Layout, options: SvgOptions) -> String {
    let pos = positions(events);
    let nl = lay.lanes.len() as u32;
    let width = LEFT + nl * LANE_W + ANNOT_W;
    let body_bottom = TOP + lay.rows * ROW_H;
    let legend_lines = view.notes.len() as u32 + 2;
    let height = body_bottom + 16 + legend_lines * 15;
    let lane_x = |a: Actor| lay.lane(a).map(x_of);
    let mut s = String::with_capacity(64 * 1024);
    let ns = if options.standalone { " xmlns=\"http://www.w3.org/2000/svg\"" } else { "" };
    let _ = writeln!(s, "<svg{ns} class=\"spacetime\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\">");
    let _ = writeln!(s, "<style>{CSS}</style>");
    s.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#1f77b4\"/></marker>");
    s.push_str("<marker id=\"arrowdup\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#ff7f0e\"/></marker></defs>\n");
    let _ = writeln!(s, "<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>");
    if !options.standalone {
        // The HTML viewer's current-step marker.
        let _ = writeln!(s, "<rect class=\"cursor\" x=\"0\" y=\"-100\" width=\"{width}\" height=\"18\"/>");
    }

    // Partition bands (between a partitioning fault and the next heal).
    let lanes_left = LEFT;
    let lanes_w = nl * LANE_W;
    let mut open: Option<(u32, String)> = None;
    let mut bands: Vec<(u32, u32, String)> = Vec::new();
    for &i in &view.shown {
        let e = &events[i];
        if e.actor != Actor::World {
            continue;
        }
        let Some(r) = lay.row[i] else { continue };
        if partition_start(&e.detail) {
            if let Some((start, label)) = open.take() {
                bands.push((start, r, label));
            }
            open = Some((r, e.detail.clone()));
        } else if e.detail.starts_with("Heal") {
            if let Some((start, label)) = open.take() {
                bands.push((start, r, label));
            }
        }
    }
    if let Some((start, label)) = open {
        bands.push((start, lay.rows, label));
    }
    for (a, b, label) in &bands {
        let y = TOP + a * ROW_H + ROW_H / 2;
        let h = (b - a) * ROW_H;
        let _ = writeln!(
            s,
            "<rect class=\"band\" x=\"{lanes_left}\" y=\"{y}\" width=\"{lanes_w}\" height=\"{h}\"><title>{}</title></rect>",
            escape(label)
        );
        let _ = writeln!(
            s,
            "<text class=\"bandlabel\" x=\"{}\" y=\"{}\">{}</text>",
            lanes_left + 4,
            y + 12,
            escape(&truncate(label, 60))
        );
    }

    // Lanes, with the spans where a node was down.
    for (l, a) in lay.lanes.iter().enumerate() {
        let x = x_of(l);
        let _ = writeln!(s, "<text class=\"lanehead\" x=\"{x}\" y=\"{}\">{a}</text>", TOP - 16);
        let _ = writeln!(s, "<line class=\"lane\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{body_bottom}\"/>", TOP - 8);
        let mut down: Option<u32> = None;
        let mut spans = Vec::new();
        for &i in &view.shown {
            let e = &events[i];
            if e.actor != *a {
                continue;
            }
            match (e.kind, lay.row[i]) {
                (TraceKind::Crash, Some(r)) => down = Some(r),
                (TraceKind::Recover, Some(r)) => {
                    spans.push((down.take().unwrap_or(0), r));
                }
                _ => {}
            }
        }
        if let Some(r) = down {
            spans.push((r, lay.rows));
        }
        for (a, b) in spans {
            let _ = writeln!(
                s,
                "<rect class=\"down\" x=\"{}\" y=\"{}\" width=\"8\" height=\"{}\"/>",
                x - 4,
                y_of(a),
                (b - a) * ROW_H
            );
        }
    }
    let _ = writeln!(s, "<text class=\"time\" x=\"{}\" y=\"{}\">sim time</text>", LEFT - 6, TOP - 16);

    // Client operations: a bar from invoke to return.
    for (l, a) in lay.lanes.iter().enumerate() {
        if !matches!(a, Actor::Client(_)) {
            continue;
        }
        let x = x_of(l);
        let mut start: Option<u32> = Some(0);
        for &i in &view.shown {
            let e = &events[i];
            if e.actor != *a {
                continue;
            }
            match (e.kind, lay.row[i]) {
                (TraceKind::Invoke, Some(r)) => start = Some(r),
                (TraceKind::Complete, Some(r)) => {
                    if let Some(st) = start.take() {
                        let _ = writeln!(
                            s,
                            "<line class=\"opbar {}\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>",
                            outcome_class(&e.detail),
                            y_of(st),
                            y_of(r)
                        );
                    }
                }
                _ => {}
            }
        }
    }

    // Messages.
    let mut dup_seen: BTreeMap<usize, u32> = BTreeMap::new();
    let mut answered = vec![false; events.len()];
    for &i in &view.shown {
        let e = &events[i];
        if !matches!(e.kind, TraceKind::Deliver | TraceKind::Drop) {
            continue;
        }
        let c = cause_position(events, &pos, i);
        if let Some(c) = c {
            answered[c] = true;
        }
        let send_pt = c.filter(|&c| lay.shown[c]).and_then(|c| Some((lane_x(events[c].actor)?, y_of(lay.row[c]?))));
        let send_index = c.map(|c| events[c].index);
        let data = match send_index {
            Some(si) => format!("data-i=\"{si}\" data-d=\"{}\"", e.index),
            None => format!("data-d=\"{}\"", e.index),
        };
        let title = escape(&describe(e, 160));
        if e.kind == TraceKind::Drop && dropped_at_sender(events, &pos, i) {
            // Lost on the way out: a short arrow toward the receiver, then a cross.
            let (Some((sx, sy)), Some(px)) = (send_pt, e.peer.and_then(lane_x)) else { continue };
            let ex = (sx as i64 + (px as i64 - sx as i64) * 2 / 5) as u32;
            let ey = sy + ROW_H * 2 / 3;
            let _ = writeln!(s, "<g class=\"ev\" {data}><title>{title}</title><line class=\"drop\" x1=\"{sx}\" y1=\"{sy}\" x2=\"{ex}\" y2=\"{ey}\"/>{}</g>", cross(ex, ey));
            continue;
        }
        let (Some(x), Some(r)) = (lane_x(e.actor), lay.row[i]) else { continue };
        let y = y_of(r);
        let (sx, sy, stub) = match send_pt {
            Some((sx, sy)) => (sx, sy, false),
            None => (e.peer.and_then(lane_x).unwrap_or(x), TOP, true),
        };
        if e.kind == TraceKind::Drop {
            let cls = if stub { "stub" } else { "drop" };
            let _ = writeln!(s, "<g class=\"ev\" {data}><title>{title}</title><line class=\"{cls}\" x1=\"{sx}\" y1=\"{sy}\" x2=\"{x}\" y2=\"{y}\"/>{}</g>", cross(x, y));
        } else if stub {
            let _ = writeln!(s, "<line class=\"stub\" {data} x1=\"{sx}\" y1=\"{sy}\" x2=\"{x}\" y2=\"{y}\"><title>{title}</title></line>");
        } else {
            let n = dup_seen.entry(c.unwrap_or(usize::MAX)).or_insert(0);
            *n += 1;
            let cls = if *n > 1 { "msg dup" } else { "msg" };
            // Stop the arrow head at the receiver's dot.
            let (ex, ey) = shorten(sx, sy, x, y, 4);
            let _ = writeln!(s, "<line class=\"{cls}\" {data} x1=\"{sx}\" y1=\"{sy}\" x2=\"{ex}\" y2=\"{ey}\"><title>{title}</title></line>");
        }
    }
    // Sends with no delivery or drop in view: in flight (or answered outside it).
    for &i in &view.shown {
        let e = &events[i];
        if e.kind != TraceKind::Send || answered[i] {
            continue;
        }
        let (Some(sx), Some(r), Some(px)) = (lane_x(e.actor), lay.row[i], e.peer.and_then(lane_x)) else { continue };
        let sy = y_of(r);
        let ex = (sx as i64 + (px as i64 - sx as i64) / 3) as u32;
        let _ = writeln!(
            s,
            "<line class=\"stub\" data-i=\"{}\" x1=\"{sx}\" y1=\"{sy}\" x2=\"{ex}\" y2=\"{}\"><title>{} (not delivered in view)</title></line>",
            e.index,
            sy + ROW_H,
            escape(&describe(e, 160))
        );
    }

    // Events.
    let trig = crate::causality::triggers(events);
    let mut annotations: BTreeMap<u32, Vec<(String, &'static str)>> = BTreeMap::new();
    let mut last_time_label = String::new();
    let mut labelled_rows: BTreeMap<u32, ()> = BTreeMap::new();
    for &i in &view.shown {
        let e = &events[i];
        let title = escape(&describe(e, 200));
        let idx = e.index;
        if e.kind == TraceKind::Duplicate {
            if let Some(c) = cause_position(events, &pos, i) {
                if let (Some(x), Some(r)) = (lane_x(events[c].actor), lay.row[c]) {
                    let _ = writeln!(
                        s,
                        "<text class=\"dupmark\" data-i=\"{idx}\" x=\"{}\" y=\"{}\">×2<title>{title}</title></text>",
                        x + 5,
                        y_of(r) - 4
                    );
                }
            }
            continue;
        }
        let Some(r) = lay.row[i] else { continue };
        let y = y_of(r);
        if labelled_rows.insert(r, ()).is_none() {
            let label = format_duration_ns(e.time);
            if label != last_time_label {
                let _ =
                    writeln!(s, "<text class=\"time\" x=\"{}\" y=\"{}\">{}</text>", LEFT - 6, y + 3, escape(&label));
                last_time_label = label;
            }
        }
        if e.actor == Actor::World {
            let x2 = LEFT + nl * LANE_W;
            let _ = writeln!(s, "<line class=\"faultline ev\" data-i=\"{idx}\" x1=\"{LEFT}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\"><title>{title}</title></line>");
            annotations.entry(r).or_default().push((format!("fault: {}", e.detail), "fault"));
            continue;
        }
        let Some(x) = lane_x(e.actor) else { continue };
        let shape = match e.kind {
            TraceKind::Send => {
                // A send on its handler's row is drawn by the handler's dot.
                if trig[i] != i && lay.row[trig[i]] == Some(r) {
                    continue;
                }
                format!("<circle class=\"send\" cx=\"{x}\" cy=\"{y}\" r=\"3\"/>")
            }
            TraceKind::Deliver => format!("<circle class=\"recv\" cx=\"{x}\" cy=\"{y}\" r=\"4\"/>"),
            TraceKind::Drop => continue, // drawn with its message
            TraceKind::Timer => format!("<path class=\"timer\" d=\"M{x},{}l5,5l-5,5l-5,-5z\"/>", y - 5),
            TraceKind::Crash => {
                annotations.entry(r).or_default().push((format!("{} crashed", e.actor), "bad"));
                format!("<rect class=\"crash\" x=\"{}\" y=\"{}\" width=\"18\" height=\"6\"/>", x - 9, y - 3)
            }
            TraceKind::Recover => {
                annotations.entry(r).or_default().push((format!("{} recovered", e.actor), ""));
                format!("<rect class=\"recover\" x=\"{}\" y=\"{}\" width=\"18\" height=\"6\"/>", x - 9, y - 3)
            }
            TraceKind::Invoke => format!("<path class=\"invoke\" d=\"M{},{}l10,5l-10,5z\"/>", x - 5, y - 5),
            TraceKind::Complete => {
                format!(
                    "<rect class=\"{}\" x=\"{}\" y=\"{}\" width=\"9\" height=\"9\"/>",
                    outcome_class(&e.detail),
                    x - 4,
                    y - 4
                )
            }
            TraceKind::Note => {
                annotations.entry(r).or_default().push((format!("{}: {}", e.actor, e.detail), ""));
                if trig[i] != i && lay.row[trig[i]] == Some(r) {
                    continue;
                }
                format!("<circle class=\"note\" cx=\"{x}\" cy=\"{y}\" r=\"2.5\"/>")
            }
            TraceKind::Violation | TraceKind::Panic => {
                let label = if e.kind == TraceKind::Panic { "PANIC" } else { "VIOLATION" };
                annotations.entry(r).or_default().push((format!("{label} on {}: {}", e.actor, e.detail), "bad"));
                format!("<circle class=\"violation\" cx=\"{x}\" cy=\"{y}\" r=\"6\"/>")
            }
            TraceKind::Byzantine => {
                annotations.entry(r).or_default().push((format!("{} Byzantine: {}", e.actor, e.detail), "fault"));
                format!("<path class=\"byzantine\" d=\"M{},{}l6,6l-6,6l-6,-6z\"/>", x, y - 6)
            }
            // A message that failed authentication: a cross where it was discarded.
            TraceKind::Rejected => format!("<path class=\"rejected\" d=\"M{},{}l8,8m0,-8l-8,8\"/>", x - 4, y - 4),
            TraceKind::Fault | TraceKind::Persist | TraceKind::State | TraceKind::Duplicate => continue,
        };
        let _ = writeln!(s, "<g class=\"ev\" data-i=\"{idx}\"><title>{title}</title>{shape}</g>");
    }
    // Highlighted (violating) events.
    for &h in &view.highlight {
        let (Some(r), Some(x)) = (lay.row.get(h).copied().flatten(), lane_x(events[h].actor)) else { continue };
        let _ = writeln!(s, "<circle class=\"ring\" data-i=\"{}\" cx=\"{x}\" cy=\"{}\" r=\"11\"><title>violating event: {}</title></circle>", events[h].index, y_of(r), escape(&describe(&events[h], 200)));
        if !matches!(events[h].kind, TraceKind::Violation | TraceKind::Panic) {
            annotations.entry(r).or_default().push((format!("violating: {}", describe(&events[h], 120)), "bad"));
        }
    }
    // Annotations: faults, crashes, notes, violations, at the right.
    let ax = LEFT + nl * LANE_W + 10;
    for (r, items) in annotations.iter_mut() {
        // Violations and crashes first, then faults, then notes.
        items.sort_by_key(|(_, c)| match *c {
            "bad" => 0,
            "fault" => 1,
            _ => 2,
        });
        let text: Vec<&str> = items.iter().map(|(t, _)| t.as_str()).collect();
        let joined = one_line(&text.join(" · "));
        // One tspan per item, coloured by its kind, within a budget of characters.
        let mut budget = 72usize;
        let mut spans = String::new();
        for (n, (t, c)) in items.iter().enumerate() {
            if budget < 4 {
                break;
            }
            let sep = if n > 0 { " · " } else { "" };
            let piece = truncate(&one_line(t), budget.saturating_sub(sep.len()));
            budget = budget.saturating_sub(piece.chars().count() + sep.len());
            let class = match *c {
                "bad" => "annot bad",
                "fault" => "annot fault",
                _ => "annot",
            };
            let _ = write!(spans, "{sep}<tspan class=\"{class}\">{}</tspan>", escape(&piece));
        }
        let _ = writeln!(
            s,
            "<text class=\"annot\" x=\"{ax}\" y=\"{}\">{spans}<title>{}</title></text>",
            y_of(*r) + 4,
            escape(&joined)
        );
    }
    // Legend.
    let mut ly = body_bottom + 20;
    let _ = writeln!(s, "<text class=\"legend\" x=\"8\" y=\"{ly}\">● delivery   ◆ timer   ▶ invoke   ■ return (green ok, orange unknown)   red dashed ✕ dropped   orange arrow: duplicate   shaded: partition   pink lane: node down   red ring: violation</text>");
    for note in &view.notes {
        ly += 15;
        let _ = writeln!(s, "<text class=\"legend\" x=\"8\" y=\"{ly}\">{}</text>", escape(note));
    }
    s.push_str("</svg>\n");
    s
}

/// The lane names alone, as a strip the HTML viewer keeps at the top of
/// the scrolling diagram (same widths as the diagram).
pub fn render_lane_header(lay: &Layout) -> String {
    let width = LEFT + lay.lanes.len() as u32 * LANE_W + ANNOT_W;
    let mut s = format!("<div class=\"lanehead\"><svg class=\"lanes\" width=\"{width}\" height=\"22\" viewBox=\"0 0 {width} 22\" font-family=\"sans-serif\">");
    for (l, a) in lay.lanes.iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"16\" font-size=\"13\" font-weight=\"bold\" text-anchor=\"middle\">{a}</text>",
            x_of(l)
        );
    }
    s.push_str("</svg></div>\n");
    s
}

fn cross(x: u32, y: u32) -> String {
    format!(
        "<line class=\"cross\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><line class=\"cross\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
        x - 4,
        y - 4,
        x + 4,
        y + 4,
        x - 4,
        y + 4,
        x + 4,
        y - 4
    )
}

/// The end point `by` pixels short of (x2, y2) along the segment, in integers.
fn shorten(x1: u32, y1: u32, x2: u32, y2: u32, by: u32) -> (u32, u32) {
    let (dx, dy) = (x2 as i64 - x1 as i64, y2 as i64 - y1 as i64);
    let len = isqrt((dx * dx + dy * dy) as u64) as i64;
    if len <= by as i64 {
        return (x2, y2);
    }
    ((x2 as i64 - dx * by as i64 / len) as u32, (y2 as i64 - dy * by as i64 / len) as u32)
}

fn isqrt(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let mut x = (n as f64).sqrt() as u64;
    while x * x > n {
        x -= 1;
    }
    while (x + 1) * (x + 1) <= n {
        x += 1;
    }
    x
}
