//! `faultline report REPRO.json | SCENARIO --seed N`: replays the run with a
//! full trace and draws it: a space-time diagram (SVG), a self-contained
//! HTML viewer, a text timeline with Lamport times, a ShiViz log.

use super::shared::{bad_input, load_scenario};
use reports::html::{LinFailure, RunInfo};
use reports::timeline::{render_text_view, TextOptions};
use reports::view::{parse_window, select, violating_events, ViewOptions, DEFAULT_MAX_EVENTS, HEARTBEAT_PATTERNS};
use scenarios::models::explore_repro::ExploreRepro;
use scenarios::{run, Repro, RunOptions, RunReport};
use sim_core::time::format_duration_ns;
use sim_core::{ChoiceSource, TraceLevel};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  faultline run raft-commit-old-term --seed 4          # writes faultline-out/raft-commit-old-term-seed4.json\n  faultline report faultline-out/raft-commit-old-term-seed4.json --html report.html\n  faultline report raft-basic --seed 1 --svg run.svg --collapse-heartbeats --window 0..400\n  faultline report faultline-out/raft-forget-vote-seed10.json --text --focus\n  faultline report raft-lossy --seed 2 --shiviz run.shiviz"
)]
pub struct ReportArgs {
    /// A repro file (from `run`, `fuzz`, `shrink`, `check`), a directory holding one,
    /// or a scenario name or scenario file (then give --seed).
    pub input: String,
    /// The seed, when INPUT is a scenario rather than a repro.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write the self-contained HTML viewer here (the default when no output is named:
    /// next to the repro, or in faultline-out/).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the space-time diagram as a standalone SVG file here.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Write a ShiViz log (vector timestamps; paste it into ShiViz with its default parser).
    #[arg(long, value_name = "FILE")]
    pub shiviz: Option<PathBuf>,
    /// Print the text timeline (with Lamport times) of the drawn events.
    #[arg(long)]
    pub text: bool,
    /// Only trace events A..B (indices as printed by --text; either end may be left open).
    #[arg(long, value_name = "A..B")]
    pub window: Option<String>,
    /// Only the causal past of the violating event (and the faults).
    #[arg(long)]
    pub focus: bool,
    /// Hide heartbeats (Raft's empty AppendEntries and their replies, heartbeat timers, pings).
    #[arg(long)]
    pub collapse_heartbeats: bool,
    /// Hide messages and timers whose description contains TEXT (repeatable), with their replies.
    #[arg(long, value_name = "TEXT")]
    pub collapse: Vec<String>,
    /// Draw at most this many events (0: no cap); longer selections keep the events before the violation.
    #[arg(long, default_value_t = DEFAULT_MAX_EVENTS)]
    pub max_events: usize,
    /// Print one JSON object (what was written) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The run to draw, and where its default outputs go.
struct Source {
    report: RunReport,
    stem: PathBuf,
    replay_note: Option<String>,
}

fn read_text(path: &Path) -> Result<String, String> {
    scenarios::input::read_text_limited(path, "repro or scenario file", scenarios::repro::MAX_FILE_BYTES)
}

fn from_repro(path: &Path, text: &str) -> Result<Source, String> {
    let repro = Repro::parse(text).map_err(|e| format!("{}: {e}", path.display()))?;
    let replay = repro.replay(TraceLevel::Full).map_err(|e| format!("{}: {e}", path.display()))?;
    let replay_note = if replay.identical {
        None
    } else {
        Some(format!(
            "replay DIVERGED from the recorded run (recorded trace hash {}, now {}): {}",
            repro.trace_hash,
            replay.report.trace_hash_hex(),
            replay.explanation.as_deref().unwrap_or("")
        ))
    };
    Ok(Source { report: replay.report, stem: path.with_extension(""), replay_note })
}

fn from_explore(path: &Path, text: &str) -> Result<Source, String> {
    let repro = ExploreRepro::parse(text).map_err(|e| format!("{}: {e}", path.display()))?;
    let replay = repro.replay().map_err(|e| format!("{}: {e}", path.display()))?;
    let replay_note = (!replay.reproduced).then(|| {
        format!(
            "the schedule did not reach the explorer's violation ({}): {}",
            repro.violation,
            replay.explanation.as_deref().unwrap_or("")
        )
    });
    Ok(Source { report: replay.report, stem: path.with_extension(""), replay_note })
}

fn load(args: &ReportArgs) -> Result<Source, String> {
    let path = Path::new(&args.input);
    if path.is_dir() {
        let mut repros: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("cannot read directory {}: {e}", path.display()))?
            .filter_map(|d| d.ok().map(|d| d.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        repros.sort();
        return match repros.as_slice() {
            [one] => {
                let text = read_text(one)?;
                if ExploreRepro::looks_like(&text) {
                    from_explore(one, &text)
                } else {
                    from_repro(one, &text)
                }
            }
            [] => Err(format!("directory {} holds no repro file (*.json)", path.display())),
            many => Err(format!(
                "directory {} holds {} repro files; name one: {}",
                path.display(),
                many.len(),
                many.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            )),
        };
    }
    if path.is_file() {
        let text = read_text(path)?;
        if ExploreRepro::looks_like(&text) {
            if args.seed.is_some() {
                return Err(format!("{} is a counterexample schedule: --seed does not apply", path.display()));
            }
            return from_explore(path, &text);
        }
        let looks_like_repro = serde_json::from_str::<serde_json::Value>(&text)
            .map(|v| v.get("format_version").is_some() || v.get("choices").is_some())
            .unwrap_or(false);
        if looks_like_repro {
            if args.seed.is_some() {
                return Err(format!(
                    "{} is a repro file: it names its own choices, so --seed does not apply",
                    path.display()
                ));
            }
            return from_repro(path, &text);
        }
    }
    let scenario = load_scenario(&args.input)?;
    let Some(seed) = args.seed else {
        return Err(format!("`{}` is a scenario, not a repro file: give --seed N to choose the run", args.input));
    };
    let report = run(&scenario, &ChoiceSource::Seed(seed), &RunOptions { trace: TraceLevel::Full, record_tape: false })
        .map_err(|e| format!("scenario `{}`: {e}", scenario.name))?;
    let name: String = scenario
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    Ok(Source { report, stem: PathBuf::from("faultline-out").join(format!("{name}-seed{seed}")), replay_note: None })
}

fn run_info(src: &Source) -> RunInfo {
    let r = &src.report;
    let s = &r.scenario;
    let mut facts = vec![
        ("scenario".to_string(), s.name.clone()),
        (
            "protocol".to_string(),
            match &s.bug {
                Some(b) => format!("{} (bug {b})", s.protocol),
                None => s.protocol.clone(),
            },
        ),
        ("cluster".to_string(), format!("{} nodes, {} clients", s.nodes, s.workload.clients)),
    ];
    match &r.choices {
        ChoiceSource::Seed(seed) => facts.push(("seed".into(), seed.to_string())),
        tape => facts.push(("choices".into(), tape.describe())),
    }
    facts.push((
        "events".into(),
        format!("{} in {}", r.result.stats.events, format_duration_ns(r.result.stats.sim_time_ns)),
    ));
    facts.push(("trace hash".into(), r.trace_hash_hex()));
    if let Some(n) = &src.replay_note {
        facts.push(("replay".into(), n.clone()));
    }
    let mut findings: Vec<String> = r
        .findings
        .iter()
        .map(|f| {
            let at = f.time_ns.map(|t| format!(" at {}", format_duration_ns(t))).unwrap_or_default();
            let node = f.node.map(|n| format!(" on n{n}")).unwrap_or_default();
            format!("{} {}{node}{at}: {}", f.kind, f.name, f.detail)
        })
        .collect();
    findings.extend(r.unknown.iter().map(|u| format!("unknown: {u}")));
    let verdict = serde_json::to_value(r.verdict).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    RunInfo {
        title: match &r.choices {
            ChoiceSource::Seed(seed) => format!("{}, seed {seed}", s.name),
            ChoiceSource::Tape(_) | ChoiceSource::Tapes(_) => format!("{} (from a tape)", s.name),
        },
        verdict,
        facts,
        findings,
        schedule: r.schedule.clone(),
    }
}

fn write_file(path: &Path, bytes: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create directory {}: {e}", dir.display()))?;
    }
    // Atomic (temporary file, then rename): a killed report leaves the old file or none, never half a file.
    scenarios::repro::write_atomic(path, bytes.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub fn execute(args: &ReportArgs) -> i32 {
    let window = match args.window.as_deref().map(parse_window).transpose() {
        Ok(w) => w.unwrap_or((None, None)),
        Err(e) => return bad_input(format!("--window: {e}")),
    };
    if args.collapse.iter().any(|c| c.is_empty()) {
        return bad_input("--collapse: the text to match must not be empty");
    }
    let src = match load(args) {
        Ok(s) => s,
        Err(e) => return bad_input(e),
    };
    if let Some(n) = &src.replay_note {
        eprintln!("warning: {n}");
    }
    let trace = &src.report.trace;
    let history = &src.report.history;
    let mut highlight = violating_events(trace);
    let lin = if src.report.findings.iter().any(|f| f.name == "linearizability") {
        reports::linview::lin_failure(history)
    } else {
        None
    };
    if let Some(f) = &lin {
        highlight.extend(reports::linview::failure_events(trace, history, f));
        highlight.sort();
        highlight.dedup();
    }
    let mut collapse = args.collapse.clone();
    if args.collapse_heartbeats {
        collapse.extend(HEARTBEAT_PATTERNS.iter().map(|s| s.to_string()));
    }
    let options = ViewOptions { window, collapse, focus: args.focus, max_events: args.max_events };
    let view = select(trace, &highlight, &options);

    let wants_any = args.html.is_some() || args.svg.is_some() || args.shiviz.is_some() || args.text;
    let html_path = args.html.clone().or_else(|| (!wants_any).then(|| src.stem.with_extension("html")));
    let mut written: Vec<(String, String)> = Vec::new();
    if args.text {
        let color = !args.json && std::io::stdout().is_terminal();
        print!("{}", render_text_view(trace, &view.shown, TextOptions { verbose: false, color, lamport: true }));
    }
    if let Some(path) = &args.svg {
        let svg = reports::svg::render(trace, &view, reports::svg::SvgOptions { standalone: true });
        if let Err(e) = write_file(path, &svg) {
            return bad_input(e);
        }
        written.push(("svg".into(), path.display().to_string()));
    }
    if let Some(path) = &html_path {
        let info = run_info(&src);
        let lin_view = lin.as_ref().map(|failure| LinFailure { history, failure });
        let html = reports::html::render(trace, &view, &info, lin_view);
        if let Err(e) = write_file(path, &html) {
            return bad_input(e);
        }
        written.push(("html".into(), path.display().to_string()));
    }
    if let Some(path) = &args.shiviz {
        if let Err(e) = write_file(path, &reports::shiviz::export(trace)) {
            return bad_input(e);
        }
        written.push(("shiviz".into(), path.display().to_string()));
    }
    if args.json {
        let mut j = serde_json::json!({
            "scenario": src.report.scenario.name,
            "verdict": src.report.verdict,
            "trace_hash": src.report.trace_hash_hex(),
            "trace_events": trace.len(),
            "drawn": view.shown.len(),
            "violating_events": highlight.iter().map(|&i| trace[i].index).collect::<Vec<_>>(),
            "notes": view.notes,
            "replay": src.replay_note,
        });
        for (k, v) in &written {
            j[k] = serde_json::json!(v);
        }
        println!("{j}");
    } else {
        for note in &view.notes {
            eprintln!("note: {note}");
        }
        for (kind, path) in &written {
            println!("{kind:<7} {path}");
        }
    }
    0
}
