//! The self-contained HTML report: one file, no network, works opened from
//! disk. The space-time diagram (inline SVG), a slider and step buttons that
//! move through the drawn events and show every node's state at that point
//! (from the trace's state snapshots), the verdict and findings, the fault
//! schedule, and for a linearizability failure the per-key history view.
//!
//! Everything (CSS, JavaScript, data) is inlined; the page references no
//! URL. `#step=N` in the address opens it at step N; the `<body>` carries
//! `data-ready="1"` once the script ran and `data-step` with the current
//! step, which is what the browser test reads.

use crate::causality::triggers;
use crate::layout::layout;
use crate::pretty::pretty_debug;
use crate::svg::{describe, render_layout, SvgOptions};
use crate::text::{escape, truncate};
use crate::view::View;
use checkers::lin::Failure;
use checkers::History;
use serde_json::json;
use sim_core::{time::format_duration_ns, Actor, FaultSchedule, TraceEvent, TraceKind};
use std::collections::BTreeMap;
use std::fmt::Write;

/// What the page says about the run besides the trace (filled in by the
/// caller, which knows how the run was made).
#[derive(Clone, Debug, Default)]
pub struct RunInfo {
    /// E.g. `raft-commit-old-term, seed 42`.
    pub title: String,
    /// `held`, `violation` or `unknown`.
    pub verdict: String,
    /// Label and value pairs: scenario, protocol, seed, trace hash, ...
    pub facts: Vec<(String, String)>,
    /// One line per finding (checker or invariant, and what it saw).
    pub findings: Vec<String>,
    pub schedule: FaultSchedule,
}

/// A linearizability failure to draw, with the history it came from.
pub struct LinFailure<'a> {
    pub history: &'a History,
    pub failure: &'a Failure,
}

const PAGE_CSS: &str = r#"
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{padding:12px 18px;background:#263238;color:#eceff1}
header h1{font-size:18px;margin:0 0 6px}
.facts span{margin-right:18px;font-size:13px}.facts b{color:#b0bec5;font-weight:normal}
.verdict{padding:1px 8px;border-radius:3px;font-weight:bold}
.verdict.violation{background:#d32f2f;color:#fff}.verdict.held{background:#388e3c;color:#fff}.verdict.unknown{background:#f9a825;color:#000}
section{padding:8px 18px}
h2{font-size:15px;margin:8px 0}
ul.findings li{color:#b71c1c;font-family:monospace;font-size:12px;margin:3px 0}
#controls{position:sticky;top:0;z-index:5;background:#fff;border-bottom:1px solid #ddd;padding:8px 18px}
#controls button{font-size:14px;padding:2px 9px}
#slider{width:40%;vertical-align:middle}
#stepno{font-family:monospace;margin-left:8px}
#current{font-family:monospace;font-size:12px;margin-top:4px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#main{display:flex;gap:12px;padding:0 18px;align-items:flex-start}
#diagram{flex:1 1 auto;overflow:auto;max-height:75vh;border:1px solid #ddd;background:#fff}
#side{flex:0 0 34%;max-height:75vh;overflow:auto}
.state{border:1px solid #ddd;background:#fff;margin-bottom:8px}
.state h3{margin:0;padding:3px 8px;font-size:13px;background:#eceff1}
.state pre{margin:0;padding:4px 8px;font-size:11px;white-space:pre-wrap;word-break:break-all}
.state .chg{background:#fff59d}
.state.down h3{background:#f4c7c3}
table.sched{border-collapse:collapse;font-size:12px}
table.sched td{border-bottom:1px solid #eee;padding:2px 10px 2px 0;font-family:monospace}
#linview{overflow:auto}
.lanehead{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid #ddd;line-height:0}
.spacetime .cursor{fill:#fff176;opacity:.55}
.spacetime g.cur *{stroke:#000!important;stroke-width:2!important}
.spacetime line.cur{stroke:#000!important;stroke-width:3!important}
.spacetime text.cur{fill:#000!important}
.notes{font-size:12px;color:#555}
"#;

const PAGE_JS: &str = r#"
(function(){
  var D = JSON.parse(document.getElementById('data').textContent);
  var svg = document.querySelector('#diagram svg.spacetime');
  var slider = document.getElementById('slider');
  var n = D.steps.length;
  var byIndex = {};
  D.steps.forEach(function(s, i){ byIndex[s[0]] = i; });
  var cursor = svg ? svg.querySelector('.cursor') : document.createElement('span');
  var current = [];
  function stateAt(entries, k){
    var lo = 0, hi = entries.length - 1, best = -1;
    while (lo <= hi){ var mid = (lo + hi) >> 1; if (entries[mid][0] <= k){ best = mid; lo = mid + 1; } else { hi = mid - 1; } }
    return best;
  }
  // The state text of entry j (null when the node is down), rebuilt from
  // the last full text before it and the line diffs after that.
  function textOf(entries, j){
    var i = j;
    while (i > 0 && entries[i][1] === 1) i--;
    if (entries[i][1] === 2) return null;
    var lines = entries[i][2].split('\n');
    for (var t = i + 1; t <= j; t++){
      var d = entries[t];
      lines = lines.slice(0, d[2]).concat(d[4], lines.slice(lines.length - d[3]));
    }
    return lines.join('\n');
  }
  function renderStates(k){
    var box = document.getElementById('states');
    box.textContent = '';
    D.states.forEach(function(ns){
      var name = ns[0], entries = ns[1];
      var at = stateAt(entries, k);
      var div = document.createElement('div'); div.className = 'state';
      var h = document.createElement('h3');
      var pre = document.createElement('pre');
      if (at < 0){ h.textContent = name + ' (no state yet)'; }
      else {
        var text = textOf(entries, at);
        var prevText = at > 0 ? textOf(entries, at - 1) : null;
        var prev = prevText === null ? [] : prevText.split('\n');
        var changedHere = entries[at][0] === k;
        h.textContent = name + (text === null ? ' (down)' : '') + (changedHere ? '  — changed at this step' : '');
        if (text === null){ div.className += ' down'; }
        else text.split('\n').forEach(function(line, li){
          var span = document.createElement('span');
          span.textContent = line + '\n';
          if (changedHere && prev[li] !== line) span.className = 'chg';
          pre.appendChild(span);
        });
      }
      div.appendChild(h); div.appendChild(pre); box.appendChild(div);
    });
  }
  function show(s){
    if (n === 0) return;
    s = Math.max(0, Math.min(n - 1, s|0));
    slider.value = s;
    var step = D.steps[s], k = step[0];
    document.getElementById('stepno').textContent = 'step ' + (s + 1) + ' / ' + n + '   t=' + step[1];
    document.getElementById('current').textContent = step[2];
    document.getElementById('current').title = step[2];
    current.forEach(function(el){ el.classList.remove('cur'); });
    current = svg ? Array.prototype.slice.call(svg.querySelectorAll('[data-i="' + k + '"],[data-d="' + k + '"]')) : [];
    current.forEach(function(el){ el.classList.add('cur'); });
    var own = svg ? svg.querySelector('g[data-i="' + k + '"],[data-d="' + k + '"],[data-i="' + k + '"]') : null;
    if (own){
      var b = own.getBBox();
      var y = own.hasAttribute('data-d') && !own.matches('g[data-i="' + k + '"]') ? b.y + b.height : b.y + b.height / 2;
      if (own.tagName === 'line' && own.getAttribute('data-i') === String(k) && own.getAttribute('data-d') !== String(k)) y = b.y;
      cursor.setAttribute('y', String(Math.round(y - 9)));
      var pane = document.getElementById('diagram');
      var target = y - pane.clientHeight / 2;
      if (y < pane.scrollTop + 40 || y > pane.scrollTop + pane.clientHeight - 40) pane.scrollTop = Math.max(0, target);
    }
    renderStates(k);
    document.body.setAttribute('data-step', String(s));
  }
  slider.addEventListener('input', function(){ show(+slider.value); });
  document.getElementById('first').onclick = function(){ show(0); };
  document.getElementById('prev').onclick = function(){ show(+slider.value - 1); };
  document.getElementById('next').onclick = function(){ show(+slider.value + 1); };
  document.getElementById('last').onclick = function(){ show(n - 1); };
  var tv = document.getElementById('toviol');
  if (D.violation >= 0) tv.onclick = function(){ show(D.violation); }; else tv.disabled = true;
  document.addEventListener('keydown', function(e){
    if (e.key === 'ArrowRight' || e.key === 'j'){ show(+slider.value + 1); e.preventDefault(); }
    if (e.key === 'ArrowLeft' || e.key === 'k'){ show(+slider.value - 1); e.preventDefault(); }
  });
  if (svg) svg.addEventListener('click', function(e){
    var t = e.target.closest('[data-i],[data-d]');
    if (!t) return;
    var k = t.getAttribute('data-d') || t.getAttribute('data-i');
    if (byIndex[k] !== undefined) show(byIndex[k]);
  });
  var m = /step=(\d+)/.exec(location.hash);
  show(m ? +m[1] : (D.violation >= 0 ? D.violation : 0));
  document.body.setAttribute('data-ready', '1');
})();
"#;

/// A full state text is stored every this many snapshots of a node; the
/// ones between are line diffs against the one before.
const FULL_EVERY: usize = 32;

/// Node state snapshots keyed by the trace index of the event whose handler
/// produced them, per node: `[key, 0, text]` (full), `[key, 1, prefix,
/// suffix, [lines]]` (the previous text with the lines between its first
/// `prefix` and last `suffix` lines replaced) or `[key, 2]` (crashed).
fn state_table(events: &[TraceEvent], view: &View) -> Vec<serde_json::Value> {
    let trig = triggers(events);
    let first = view.shown.first().map(|&i| events[i].index).unwrap_or(0);
    let last = view.shown.last().map(|&i| events[i].index).unwrap_or(0);
    // Per node: (key, state text or None when down), deduplicated.
    let mut per_node: BTreeMap<Actor, Vec<(u64, Option<String>)>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let value = match e.kind {
            TraceKind::State => Some(pretty_debug(&e.detail, 2)),
            TraceKind::Crash => None,
            _ => continue,
        };
        let key = events[trig[i]].index;
        if key > last {
            continue;
        }
        let list = per_node.entry(e.actor).or_default();
        if key < first {
            // Before the window only the latest state matters.
            list.clear();
        }
        if list.last().map(|(_, t)| t) != Some(&value) {
            list.push((key, value));
        }
    }
    per_node
        .into_iter()
        .map(|(actor, list)| {
            let mut out = Vec::with_capacity(list.len());
            let mut prev: Option<Vec<&str>> = None;
            let mut since_full = 0;
            for (key, value) in &list {
                match value {
                    None => {
                        out.push(json!([key, 2]));
                        prev = None;
                    }
                    Some(text) => {
                        let lines: Vec<&str> = text.split('\n').collect();
                        match prev.as_ref().filter(|_| since_full < FULL_EVERY) {
                            Some(p) => {
                                let prefix = p.iter().zip(&lines).take_while(|(a, b)| a == b).count();
                                let max_suffix = p.len().min(lines.len()) - prefix;
                                let suffix = p
                                    .iter()
                                    .rev()
                                    .zip(lines.iter().rev())
                                    .take(max_suffix)
                                    .take_while(|(a, b)| a == b)
                                    .count();
                                let middle: Vec<&str> = lines[prefix..lines.len() - suffix].to_vec();
                                out.push(json!([key, 1, prefix, suffix, middle]));
                                since_full += 1;
                            }
                            None => {
                                out.push(json!([key, 0, text]));
                                since_full = 0;
                            }
                        }
                        prev = Some(lines);
                    }
                }
            }
            json!([actor.to_string(), out])
        })
        .collect()
}

/// Renders the page.
pub fn render(events: &[TraceEvent], view: &View, info: &RunInfo, lin: Option<LinFailure<'_>>) -> String {
    let lay = layout(events, view);
    let svg = render_layout(events, view, &lay, SvgOptions { standalone: false });
    let steps: Vec<serde_json::Value> = view
        .shown
        .iter()
        .map(|&i| {
            let e = &events[i];
            json!([e.index, format_duration_ns(e.time), describe(e, 2000)])
        })
        .collect();
    let violation = view
        .highlight
        .iter()
        .filter_map(|h| view.shown.iter().position(|s| s == h))
        .min()
        .map(|p| p as i64)
        .unwrap_or(-1);
    let states = state_table(events, view);
    let data = json!({ "steps": steps, "violation": violation, "states": states });
    let data = data.to_string().replace("</", "<\\/").replace("<!--", "<\\u0021--");

    let mut h = String::with_capacity(svg.len() + data.len() + 16 * 1024);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(h, "<title>faultline report: {}</title>", escape(&info.title));
    let _ = writeln!(h, "<style>{PAGE_CSS}</style>\n</head>\n<body data-ready=\"0\">");
    let _ = writeln!(h, "<header><h1>faultline report: {}</h1><div class=\"facts\">", escape(&info.title));
    let verdict_class = match info.verdict.as_str() {
        "held" | "violation" | "unknown" => info.verdict.as_str(),
        _ => "unknown",
    };
    let _ = write!(
        h,
        "<span><b>verdict</b> <span class=\"verdict {verdict_class}\">{}</span></span>",
        escape(&info.verdict.to_uppercase())
    );
    for (k, v) in &info.facts {
        let _ = write!(h, "<span><b>{}</b> {}</span>", escape(k), escape(v));
    }
    h.push_str("</div></header>\n");
    h.push_str("<section id=\"verdict\"><h2>Findings</h2>");
    if info.findings.is_empty() {
        h.push_str("<p>Every check held.</p>");
    } else {
        h.push_str("<ul class=\"findings\">");
        for f in &info.findings {
            let _ = write!(h, "<li>{}</li>", escape(f));
        }
        h.push_str("</ul>");
    }
    h.push_str("<div class=\"notes\">");
    for note in &view.notes {
        let _ = write!(h, "<div>{}</div>", escape(note));
    }
    h.push_str("</div></section>\n");
    let max = view.shown.len().saturating_sub(1);
    let _ = writeln!(
        h,
        "<div id=\"controls\"><button id=\"first\" title=\"first event\">|◀</button> <button id=\"prev\" title=\"previous (←)\">◀</button> <input type=\"range\" id=\"slider\" min=\"0\" max=\"{max}\" value=\"0\"> <button id=\"next\" title=\"next (→)\">▶</button> <button id=\"last\" title=\"last event\">▶|</button> <button id=\"toviol\">jump to the violation</button><span id=\"stepno\"></span><div id=\"current\"></div></div>"
    );
    h.push_str("<div id=\"main\"><div id=\"diagram\">\n");
    h.push_str(&crate::svg::render_lane_header(&lay));
    h.push_str(&svg);
    h.push_str("</div><div id=\"side\"><h2>Node states after this step</h2><div id=\"states\"></div></div></div>\n");
    if let Some(l) = lin {
        h.push_str("<section id=\"linview\"><h2>Linearizability: the failing key's history</h2>\n");
        let _ = writeln!(
            h,
            "<p class=\"notes\">Operations on key <b>{}</b> as bars from invocation to return (hover for details). The search linearized the green ones in the order numbered and then could not place any of the red ones: each of them returns a value no legal order allows there.</p>",
            escape(l.failure.key.as_deref().unwrap_or("-"))
        );
        h.push_str(&crate::linview::render(l.history, l.failure));
        h.push_str("</section>\n");
    }
    h.push_str("<section id=\"schedule\"><h2>Fault schedule</h2>");
    if info.schedule.is_empty() {
        h.push_str("<p>No faults were scheduled.</p>");
    } else {
        h.push_str("<table class=\"sched\">");
        for f in &info.schedule.faults {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&format_duration_ns(f.at_ns)),
                escape(f.fault.kind()),
                escape(&truncate(&format!("{:?}", f.fault), 300))
            );
        }
        h.push_str("</table>");
    }
    h.push_str("</section>\n");
    let _ = writeln!(h, "<script type=\"application/json\" id=\"data\">{data}</script>");
    let _ = writeln!(h, "<script>{PAGE_JS}</script>\n</body>\n</html>");
    h
}
