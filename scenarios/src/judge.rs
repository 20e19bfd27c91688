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
        other => HistoryVerdict::Unknown(format!("no checker named `{other}`")),
    }
}
