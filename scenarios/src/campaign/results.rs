//! Campaign results: one JSON line per finished run, appended as runs finish,
//! so a campaign killed at any moment keeps every result made so far; reading
//! them back (a torn last line is tolerated), and summaries that de-duplicate
//! findings by kind and merge the results of many shards.

use crate::runner::{RunReport, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// A finding as results name it: its kind (`invariant`, `panic`, a checker)
/// and its name (`election-safety`). Together with the scenario this is the
/// key findings are de-duplicated by.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FindingKey {
    pub kind: String,
    pub name: String,
}

/// One line of a results file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultLine {
    pub scenario: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    pub verdict: Verdict,
    pub trace_hash: String,
    #[serde(default)]
    pub protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bug: Option<String>,
    #[serde(default)]
    pub events: u64,
    #[serde(default)]
    pub sim_time_ns: u64,
    #[serde(default)]
    pub faults: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<FindingKey>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
    /// The repro file written for a violation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repro: Option<String>,
    /// The shrunk repro (with `--shrink`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrunk: Option<String>,
    /// For a regression-corpus entry: the repro file that was re-run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corpus: Option<String>,
    /// For a corpus entry: `still-fails`, `fixed` or `changed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corpus_status: Option<String>,
    /// faultline itself failed on this run (a bug in faultline, not in the protocol).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ResultLine {
    pub fn from_report(report: &RunReport, seed: Option<u64>) -> ResultLine {
        ResultLine {
            scenario: report.scenario.name.clone(),
            seed,
            verdict: report.verdict,
            trace_hash: report.trace_hash_hex(),
            protocol: report.scenario.protocol.clone(),
            bug: report.scenario.bug.clone(),
            events: report.result.stats.events,
            sim_time_ns: report.result.stats.sim_time_ns,
            faults: report.schedule.len(),
            findings: dedup_keys(
                report.findings.iter().map(|f| FindingKey { kind: f.kind.clone(), name: f.name.clone() }),
            ),
            unknown: report.unknown.clone(),
            repro: None,
            shrunk: None,
            corpus: None,
            corpus_status: None,
            error: None,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("result lines serialize")
    }
}

fn dedup_keys(keys: impl Iterator<Item = FindingKey>) -> Vec<FindingKey> {
    let mut v: Vec<FindingKey> = Vec::new();
    for k in keys {
        if !v.contains(&k) {
            v.push(k);
        }
    }
    v
}

/// Appends result lines to a file. Each line goes out in one `write` of the
/// whole line on a file opened for appending, with no buffering in between,
/// so a killed process leaves only complete lines (at worst a torn last one,
/// which [`read_results`] tolerates).
pub struct JsonLinesWriter {
    file: std::sync::Mutex<std::fs::File>,
}

impl JsonLinesWriter {
    /// Opens `path` for appending (creating it and its directory). Results of
    /// several campaigns may share a file; `truncate` starts it afresh.
    pub fn open(path: &Path, truncate: bool) -> std::io::Result<JsonLinesWriter> {
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        if truncate {
            std::fs::File::create(path)?;
        }
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        drop_torn_last_line(path)?;
        Ok(JsonLinesWriter { file: std::sync::Mutex::new(file) })
    }

    pub fn write(&self, line: &ResultLine) -> std::io::Result<()> {
        let mut text = line.to_json();
        text.push('\n');
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        f.write_all(text.as_bytes())
    }
}

/// A campaign killed mid-write can leave a torn last line; appending after
/// it would glue the next line onto it and corrupt both. Cut it off (the
/// reader would skip it anyway) before appending.
fn drop_torn_last_line(path: &Path) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::OpenOptions::new().read(true).write(true).open(path)?;
    let mut end = file.metadata()?.len();
    let mut first = true;
    // Backwards in chunks: the file may be large, the torn line is short.
    while end > 0 {
        let start = end.saturating_sub(64 * 1024);
        let mut chunk = vec![0; (end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut chunk)?;
        if first && chunk.last() == Some(&b'\n') {
            return Ok(());
        }
        first = false;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            return file.set_len(start + i as u64 + 1);
        }
        end = start;
    }
    file.set_len(0)
}

/// The largest results file `merge` reads (bytes), refused by its size.
pub const MAX_RESULTS_BYTES: u64 = 256 << 20;

/// Reads a results file. A malformed line is an error naming the file and
/// line, except a torn last line (a campaign killed mid-write), which is
/// skipped with a warning.
pub fn read_results(path: &Path) -> Result<(Vec<ResultLine>, Vec<String>), String> {
    let bytes = crate::input::read_limited(path, "results file", MAX_RESULTS_BYTES)?;
    let text = String::from_utf8_lossy(&bytes);
    parse_results(&text, &path.display().to_string())
}

/// [`read_results`] on text already read; `origin` names it in messages.
pub fn parse_results(text: &str, origin: &str) -> Result<(Vec<ResultLine>, Vec<String>), String> {
    let mut lines = Vec::new();
    let mut warnings = Vec::new();
    let all: Vec<&str> = text.split('\n').collect();
    let torn_possible = !text.ends_with('\n');
    for (i, line) in all.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<ResultLine>(line) {
            Ok(r) => lines.push(r),
            Err(e) if torn_possible && i + 1 == all.len() => {
                warnings.push(format!("{origin}:{}: skipped an incomplete last line ({e})", i + 1));
            }
            Err(e) => return Err(format!("{origin}:{}: not a result line: {e}", i + 1)),
        }
    }
    Ok((lines, warnings))
}

/// One distinct finding of a campaign: the same scenario, kind and name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DistinctFinding {
    pub scenario: String,
    pub kind: String,
    pub name: String,
    /// How many runs showed it.
    pub runs: u64,
    /// The lowest seed that showed it, and its repro.
    pub first_seed: Option<u64>,
    pub repro: Option<String>,
    pub shrunk: Option<String>,
}

/// Per-scenario totals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ScenarioTotals {
    pub protocol: String,
    pub runs: u64,
    pub held: u64,
    pub violations: u64,
    pub unknown: u64,
    pub errors: u64,
    pub events: u64,
    pub min_seed: Option<u64>,
    pub max_seed: Option<u64>,
    /// Regression-corpus entries re-run, and how many of them still fail.
    pub corpus: u64,
    pub corpus_still_failing: u64,
}

/// What a campaign (or many merged shards) found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub runs: u64,
    pub violations: u64,
    pub unknown: u64,
    pub errors: u64,
    pub events: u64,
    pub scenarios: BTreeMap<String, ScenarioTotals>,
    /// Sorted by scenario, then kind and name.
    pub findings: Vec<DistinctFinding>,
    /// The same (scenario, seed) seen more than once (merged shards that
    /// overlap): counted once.
    pub duplicates: u64,
    /// The same (scenario, seed) with different trace hashes: a determinism
    /// bug, or results of different faultline versions merged.
    pub conflicts: Vec<String>,
}

impl Summary {
    /// Summarises result lines (from one campaign or many merged files).
    pub fn of(lines: &[ResultLine]) -> Summary {
        let mut s = Summary::default();
        let mut seen: BTreeMap<(String, u64), String> = BTreeMap::new();
        let mut findings: BTreeMap<(String, FindingKey), DistinctFinding> = BTreeMap::new();
        for line in lines {
            if line.corpus.is_none() {
                if let Some(seed) = line.seed {
                    match seen.get(&(line.scenario.clone(), seed)) {
                        Some(hash) => {
                            s.duplicates += 1;
                            if *hash != line.trace_hash {
                                s.conflicts.push(format!(
                                    "{} seed {seed}: trace hashes {hash} and {} differ",
                                    line.scenario, line.trace_hash
                                ));
                            }
                            continue;
                        }
                        None => {
                            seen.insert((line.scenario.clone(), seed), line.trace_hash.clone());
                        }
                    }
                }
            }
            s.runs += 1;
            s.events += line.events;
            let t = s.scenarios.entry(line.scenario.clone()).or_default();
            t.protocol = line.protocol.clone();
            t.runs += 1;
            t.events += line.events;
            if line.corpus.is_some() {
                t.corpus += 1;
                if line.verdict == Verdict::Violation {
                    t.corpus_still_failing += 1;
                }
            } else if let Some(seed) = line.seed {
                t.min_seed = Some(t.min_seed.map_or(seed, |m| m.min(seed)));
                t.max_seed = Some(t.max_seed.map_or(seed, |m| m.max(seed)));
            }
            if line.error.is_some() {
                t.errors += 1;
                s.errors += 1;
            }
            match line.verdict {
                Verdict::Held => t.held += 1,
                Verdict::Violation => {
                    t.violations += 1;
                    s.violations += 1;
                }
                Verdict::Unknown => {
                    t.unknown += 1;
                    s.unknown += 1;
                }
            }
            for key in &line.findings {
                let entry = findings.entry((line.scenario.clone(), key.clone())).or_insert_with(|| DistinctFinding {
                    scenario: line.scenario.clone(),
                    kind: key.kind.clone(),
                    name: key.name.clone(),
                    runs: 0,
                    first_seed: None,
                    repro: None,
                    shrunk: None,
                });
                entry.runs += 1;
                // The representative is the lowest seed (corpus entries,
                // which have no seed, only when nothing else showed it), so
                // the summary does not depend on the order runs finished in.
                let better = match (line.seed, entry.first_seed) {
                    (Some(a), Some(b)) => a < b,
                    (Some(_), None) => true,
                    (None, _) => entry.repro.is_none(),
                };
                if better {
                    entry.first_seed = line.seed;
                    entry.repro = line.repro.clone().or_else(|| line.corpus.clone());
                    entry.shrunk = line.shrunk.clone();
                } else if entry.shrunk.is_none() && line.shrunk.is_some() {
                    entry.shrunk = line.shrunk.clone();
                }
            }
        }
        s.findings = findings.into_values().collect();
        s
    }

    /// The exit code a campaign reports: 1 when anything was found, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.violations > 0 {
            1
        } else {
            0
        }
    }

    /// The human summary: totals, then each distinct finding with its repro
    /// and the command that replays it.
    pub fn render_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "runs        {} ({} held, {} violations, {} unknown{}), {} events",
            self.runs,
            self.runs - self.violations - self.unknown,
            self.violations,
            self.unknown,
            if self.errors > 0 { format!(", {} faultline errors", self.errors) } else { String::new() },
            self.events
        );
        for (name, t) in &self.scenarios {
            let seeds = match (t.min_seed, t.max_seed) {
                (Some(a), Some(b)) => format!(", seeds {a}..={b}"),
                _ => String::new(),
            };
            let corpus = if t.corpus > 0 {
                format!(", corpus {} re-run ({} still fail)", t.corpus, t.corpus_still_failing)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {name}: {} runs{seeds}, {} violations, {} unknown{corpus}",
                t.runs, t.violations, t.unknown
            );
        }
        if self.findings.is_empty() {
            let _ = writeln!(out, "findings    none");
        } else {
            let _ = writeln!(
                out,
                "findings    {} distinct (same scenario, kind and name counted once)",
                self.findings.len()
            );
            for f in &self.findings {
                let seed = f.first_seed.map(|s| format!(", first at seed {s}")).unwrap_or_default();
                let _ = writeln!(out, "  {} {} {} in {} runs{seed}", f.scenario, f.kind, f.name, f.runs);
                if let Some(r) = &f.repro {
                    let _ = writeln!(out, "      repro   {r}");
                    let _ = writeln!(out, "      replay  faultline replay {r} --trace");
                }
                if let Some(r) = &f.shrunk {
                    let _ = writeln!(out, "      shrunk  {r}");
                }
            }
        }
        if self.duplicates > 0 {
            let _ = writeln!(
                out,
                "duplicates  {} results for a (scenario, seed) already seen were counted once",
                self.duplicates
            );
        }
        for c in &self.conflicts {
            let _ = writeln!(out, "CONFLICT    {c}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(scenario: &str, seed: u64, verdict: Verdict, hash: &str, findings: &[(&str, &str)]) -> ResultLine {
        ResultLine {
            scenario: scenario.into(),
            seed: Some(seed),
            verdict,
            trace_hash: hash.into(),
            protocol: "raft".into(),
            bug: None,
            events: 10,
            sim_time_ns: 0,
            faults: 0,
            findings: findings.iter().map(|(k, n)| FindingKey { kind: k.to_string(), name: n.to_string() }).collect(),
            unknown: vec![],
            repro: (verdict == Verdict::Violation).then(|| format!("out/{scenario}-seed{seed}.json")),
            shrunk: None,
            corpus: None,
            corpus_status: None,
            error: None,
        }
    }

    #[test]
    fn findings_are_deduplicated_by_kind_and_the_lowest_seed_represents_them() {
        let v = Verdict::Violation;
        let lines = vec![
            line("a", 9, v, "h9", &[("invariant", "election-safety")]),
            line("a", 3, v, "h3", &[("invariant", "election-safety")]),
            line("a", 4, Verdict::Held, "h4", &[]),
            line("a", 5, v, "h5", &[("linearizability", "linearizable")]),
            line("b", 1, v, "h1", &[("invariant", "election-safety")]),
            line("a", 3, v, "h3", &[("invariant", "election-safety")]),
        ];
        let s = Summary::of(&lines);
        assert_eq!(s.runs, 5);
        assert_eq!(s.duplicates, 1);
        assert!(s.conflicts.is_empty());
        assert_eq!(s.findings.len(), 3);
        assert_eq!(s.findings[0].scenario, "a");
        assert_eq!(s.findings[0].name, "election-safety");
        assert_eq!(s.findings[0].runs, 2);
        assert_eq!(s.findings[0].first_seed, Some(3));
        assert_eq!(s.findings[0].repro.as_deref(), Some("out/a-seed3.json"));
        assert_eq!(s.exit_code(), 1);
        let text = s.render_text();
        assert!(text.contains("faultline replay out/a-seed3.json"), "{text}");
        let conflicting = vec![line("a", 1, Verdict::Held, "x", &[]), line("a", 1, Verdict::Held, "y", &[])];
        assert_eq!(Summary::of(&conflicting).conflicts.len(), 1);
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_other_bad_lines_are_named() {
        let good = line("a", 1, Verdict::Held, "h", &[]).to_json();
        let text = format!("{good}\n{good}\n{{\"scenario\":\"a\",\"se");
        let (lines, warnings) = parse_results(&text, "r.jsonl").unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("r.jsonl:3"), "{warnings:?}");
        let bad = format!("{good}\nnonsense\n{good}\n");
        assert!(parse_results(&bad, "r.jsonl").unwrap_err().contains("r.jsonl:2"));
    }
}
