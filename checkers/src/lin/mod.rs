//! Linearizability checking: is there a sequential order of the operations,
//! consistent with real time, that a sequential model accepts?
//!
//! The search is Wing & Gong's with Lowe's memoisation (never explore the
//! same (set of linearized operations, model state) twice), run per key
//! (P-compositionality: keys are independent objects, so each key's
//! sub-history is judged alone, smallest first, stopping at the first
//! failure), as in Porcupine. Outcomes:
//!
//! - `ok`: the operation took effect between its invocation and completion,
//!   with the result recorded.
//! - `fail`: it did not happen, and is dropped — except where a format says a
//!   failure is an observed result ([`FailMeaning::Observed`], Porcupine's
//!   etcd logs, where `:fail :cas` saw a different value).
//! - `info`, or an invocation never completed: unknown. The operation may
//!   take effect at any point after its invocation, or never.
//!
//! A time, step or memory budget ([`CheckOptions`]) yields
//! [`Verdict::Unknown`] rather than a hang or an out-of-memory kill. The
//! check is single-threaded and deterministic: no hash-map order reaches the
//! output.
//!
//! # faultline's JSON history format
//!
//! One JSON object per line (blank lines and `#` comments are skipped), or
//! one JSON array of such objects. Each object is one event, in real-time
//! order: `process` (client id, at most one operation open per process),
//! `type` (`invoke`, `ok`, `fail` or `info`), `f` (the operation), `key`
//! (optional: operations on different keys are independent objects) and
//! `value` (nil, integer, string, or a list; a CAS carries
//! `[expected, new]`). A completion repeats `f`; its `value` is the result
//! (a read's value, `null` for a missing key).
//!
//! ```text
//! {"process": 0, "type": "invoke", "f": "put", "key": "x", "value": "c0.1"}
//! {"process": 1, "type": "invoke", "f": "get", "key": "x", "value": null}
//! {"process": 0, "type": "ok", "f": "put", "key": "x", "value": "c0.1"}
//! {"process": 1, "type": "ok", "f": "get", "key": "x", "value": "c0.1"}
//! {"process": 2, "type": "invoke", "f": "append", "key": "y", "value": "c2.1"}
//! {"process": 2, "type": "info", "f": "append", "key": "y", "value": "c2.1"}
//! {"process": 3, "type": "invoke", "f": "cas", "key": "z", "value": [null, 5]}
//! {"process": 3, "type": "fail", "f": "cas", "key": "z", "value": [null, 5]}
//! ```
//!
//! ```
//! use checkers::lin::{self, models::Kv, CheckOptions};
//! use checkers::History;
//! let text = r#"
//! {"process": 0, "type": "invoke", "f": "put", "key": "x", "value": "a"}
//! {"process": 1, "type": "invoke", "f": "get", "key": "x", "value": null}
//! {"process": 0, "type": "ok", "f": "put", "key": "x", "value": "a"}
//! {"process": 1, "type": "ok", "f": "get", "key": "x", "value": "a"}
//! "#;
//! let history = History::from_json_str(text).unwrap();
//! let report = lin::check(&history, &Kv, &CheckOptions::default()).unwrap();
//! assert!(report.is_linearizable());
//! ```

mod bitset;
mod entries;
mod explain;
mod fxhash;
mod intern;
mod memo;
mod model;
pub mod models;
mod options;
mod prepare;
mod result;
mod search;

pub use model::{Model, Observed, OpView};
pub use options::{CheckOptions, FailMeaning};
pub use result::{Failure, LinReport, OpError, Unknown, UnknownReason, Verdict};

use crate::history::History;
use intern::Transitions;
use search::{Budget, Outcome};

/// Judges `history` against `model`. `Err` only when an operation does not
/// fit the model (unknown `f`, wrong value type); the verdict is in the
/// report.
pub fn check<M: Model>(history: &History, model: &M, options: &CheckOptions) -> Result<LinReport, OpError> {
    let ops = history.operations();
    let partitions = prepare::prepare(&ops, model, options.fail)?;
    let mut report = LinReport {
        verdict: Verdict::Linearizable,
        model: model.name().to_string(),
        operations: partitions.iter().map(|p| p.ops.len()).sum(),
        partitions: partitions.len(),
        partitions_checked: 0,
        steps: 0,
    };
    let mut budget = Budget {
        deadline: options.deadline,
        max_steps: options.max_steps,
        max_memory_bytes: options.max_memory_bytes,
        steps: 0,
    };
    let mut unknown: Option<Unknown> = None;
    for part in partitions {
        report.partitions_checked += 1;
        let spans: Vec<(usize, Option<usize>)> = part.ops.iter().map(|o| (o.call, o.ret)).collect();
        let history_ops: Vec<usize> = part.ops.iter().map(|o| o.history_op).collect();
        let mut trans = Transitions::new(model, part.ops.into_iter().map(|o| o.op).collect());
        match search::search(&spans, &mut trans, &mut budget) {
            Outcome::Linearizable => {}
            Outcome::NotLinearizable { prefix } => {
                let stuck = explain::unplaceable(&spans, &prefix, &mut trans);
                let to_ops =
                    |local: &[u32]| -> Vec<_> { local.iter().map(|&i| ops[history_ops[i as usize]].clone()).collect() };
                report.verdict = Verdict::NotLinearizable(Failure {
                    key: part.key,
                    partition_ops: spans.len(),
                    unplaceable: to_ops(&stuck),
                    prefix: to_ops(&prefix),
                });
                report.steps = budget.steps;
                return Ok(report);
            }
            Outcome::Unknown(reason) => {
                // A later partition may still fail, which is a definite
                // answer; keep going (the budget stops them quickly if the
                // deadline or step limit is what ran out).
                unknown.get_or_insert(Unknown { reason, key: part.key });
            }
        }
    }
    report.steps = budget.steps;
    if let Some(u) = unknown {
        report.verdict = Verdict::Unknown(u);
    }
    Ok(report)
}
