//! Runs the history checkers a scenario names and turns their verdicts into
//! findings. Budgets here are step counts, never wall-clock time, so the
//! same run gets the same verdict on every machine.

use crate::runner::Finding;
use checkers::lin::{self, models::Kv, CheckOptions};
use checkers::{History, Operation};

/// The search-step budget of the linearizability check of one run.
pub const LIN_MAX_STEPS: u64 = 20_000_000;
pub const LIN_MAX_MEMORY_BYTES: usize = 512 << 20;

/// A checker's verdict on a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryVerdict {
    Holds,
    Violated(Finding),
    /// The checker's budget ran out; the reason.
    Unknown(String),
}

fn describe(op: &Operation) -> String {
    let out = match op.outcome {
        checkers::EventType::Ok => format!(" -> {}", op.output),
        checkers::EventType::Info => " -> ? (unknown)".to_string(),
        checkers::EventType::Fail => " -> fail".to_string(),
        checkers::EventType::Invoke => String::new(),
    };
    format!("c{} {}({}){out}", op.process, op.f, op.input)
}

/// Judges `history` with the named checker.
pub fn check_history(checker: &str, history: &History) -> HistoryVerdict {
    match checker {
        "linearizability" => {
            let options = CheckOptions::default().with_max_steps(LIN_MAX_STEPS).with_max_memory(LIN_MAX_MEMORY_BYTES);
            match lin::check(history, &Kv, &options) {
                Err(e) => HistoryVerdict::Violated(Finding {
                    kind: "checker".into(),
                    name: "linearizability".into(),
                    detail: format!("the history does not fit the key-value model: {e}"),
                    node: None,
                    time_ns: None,
                }),
                Ok(report) => match report.verdict {
                    lin::Verdict::Linearizable => HistoryVerdict::Holds,
                    lin::Verdict::Unknown(u) => HistoryVerdict::Unknown(format!(
                        "linearizability: {} budget ran out on key {}",
                        u.reason,
                        u.key.as_deref().unwrap_or("-")
                    )),
                    lin::Verdict::NotLinearizable(f) => {
                        let stuck: Vec<String> = f.unplaceable.iter().take(3).map(describe).collect();
                        let time = f.unplaceable.iter().filter_map(|o| history.events[o.invoke_index].time).min();
                        HistoryVerdict::Violated(Finding {
                            kind: "checker".into(),
                            name: "linearizability".into(),
                            detail: format!(
                                "key {}: no linearization of its {} operations; after the longest linearizable prefix ({} operations) none of these fits: {}",
                                f.key.as_deref().unwrap_or("-"),
                                f.partition_ops,
                                f.prefix.len(),
                                stuck.join("; ")
                            ),
                            node: None,
                            time_ns: time,
                        })
                    }
                },
            }
        }
        "causal" => check_causal(history),
        other => HistoryVerdict::Unknown(format!("no checker named `{other}`")),
    }
}

/// The longest history the `causal` checker judges (its cost is polynomial,
/// without a step budget; beyond this the verdict is unknown).
pub const CAUSAL_MAX_EVENTS: usize = 2_000_000;

/// Causal consistency at the levels a causal store with last-writer-wins
/// promises: CC and CCv (CCv implies CC; causal memory, CM, is a different,
/// incomparable promise such stores do not make).
fn check_causal(history: &History) -> HistoryVerdict {
    use checkers::causal::{self, Level};
    if history.len() > CAUSAL_MAX_EVENTS {
        return HistoryVerdict::Unknown(format!(
            "causal: the history has {} events, above the limit {CAUSAL_MAX_EVENTS}",
            history.len()
        ));
    }
    let finding = |detail: String, time_ns: Option<u64>| Finding {
        kind: "checker".into(),
        name: "causal".into(),
        detail,
        node: None,
        time_ns,
    };
    let options = causal::CheckOptions { levels: vec![Level::CC, Level::CCv], sessions: false };
    match causal::check_history(history, &options) {
        Err(e) => {
            HistoryVerdict::Violated(finding(format!("the history cannot be judged for causal consistency: {e}"), None))
        }
        Ok(report) if report.all_hold() => HistoryVerdict::Holds,
        Ok(report) => {
            let broken: Vec<String> = report.levels.iter().filter(|v| !v.holds).map(|v| v.level.to_string()).collect();
            let counts: Vec<String> = report.counts.iter().map(|(p, n)| format!("{p} x{n}")).collect();
            let Some(v) = report.violations.first() else {
                let detail = format!("{} violated ({})", broken.join(", "), counts.join(", "));
                return HistoryVerdict::Violated(finding(detail, None));
            };
            let ops: Vec<String> = v.ops.iter().map(|r| format!("{}: {}", r.role, r.op)).collect();
            let time = v.ops.iter().filter_map(|r| history.events.get(r.op.event).and_then(|e| e.time)).max();
            HistoryVerdict::Violated(finding(
                format!(
                    "{} violated ({}); {}: {} [{}]",
                    broken.join(", "),
                    counts.join(", "),
                    v.pattern,
                    v.explanation,
                    ops.join("; ")
                ),
                time,
            ))
        }
    }
}
