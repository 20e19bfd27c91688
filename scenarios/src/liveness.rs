//! Liveness after the storm: once the last scheduled fault has healed, every
//! client operation invoked from then on must complete (`ok` or `fail`)
//! within the scenario's bound. A miss is a `liveness` finding — reported
//! apart from safety violations in text and JSON — that names the stuck
//! clients and operations.

use crate::runner::Finding;
use checkers::{EventType, History};
use sim_core::time::format_duration_ns;
use sim_core::{FaultSchedule, Time};

/// Judges `history` against `bound_ns` after the last fault of `schedule`.
/// Silent when the run ended before the bound could be reached.
pub fn check_progress(
    history: &History,
    schedule: &FaultSchedule,
    bound_ns: Time,
    run_end_ns: Time,
) -> Option<Finding> {
    let healed_at = schedule.faults.iter().map(|f| f.at_ns).max().unwrap_or(0);
    let mut stuck = Vec::new();
    for op in history.operations() {
        let invoked = history.events[op.invoke_index].time.unwrap_or(0);
        if invoked < healed_at || invoked + bound_ns > run_end_ns {
            continue; // before the heal, or too late in the run to judge
        }
        let done = op.complete_index.and_then(|i| history.events[i].time);
        let in_time =
            matches!(op.outcome, EventType::Ok | EventType::Fail) && done.is_some_and(|t| t <= invoked + bound_ns);
        if !in_time {
            stuck.push((op.process, op.f.clone(), op.key.clone(), invoked));
        }
    }
    if stuck.is_empty() {
        return None;
    }
    let mut clients: Vec<u64> = stuck.iter().map(|s| s.0).collect();
    clients.dedup();
    let first: Vec<String> = stuck
        .iter()
        .take(3)
        .map(|(c, f, k, t)| format!("c{c} {f}({}) invoked at {}", k.as_deref().unwrap_or("-"), format_duration_ns(*t)))
        .collect();
    Some(Finding {
        kind: "liveness".into(),
        name: "client-progress".into(),
        detail: format!(
            "after the last fault healed at {}, {} operation(s) of client(s) {} did not complete within {}: {}",
            format_duration_ns(healed_at),
            stuck.len(),
            clients.iter().map(|c| format!("c{c}")).collect::<Vec<_>>().join(", "),
            format_duration_ns(bound_ns),
            first.join("; ")
        ),
        node: None,
        time_ns: Some(stuck[0].3 + bound_ns),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use checkers::{Event, Value};
    use sim_core::{Fault, ScheduledFault};

    fn ev(process: u64, kind: EventType, time: u64) -> Event {
        Event {
            process,
            kind,
            f: "put".into(),
            key: Some("k".into()),
            value: Value::Str(format!("v{process}")),
            time: Some(time),
        }
    }

    #[test]
    fn stuck_operations_after_the_heal_are_named() {
        let schedule = FaultSchedule::new(vec![ScheduledFault { at_ns: 100, fault: Fault::Heal }]);
        let mut h = History::new();
        h.push(ev(0, EventType::Invoke, 50)); // before the heal: not judged
        h.push(ev(1, EventType::Invoke, 150));
        h.push(ev(1, EventType::Ok, 180));
        h.push(ev(2, EventType::Invoke, 200));
        h.push(ev(2, EventType::Ok, 900)); // slow
        let f = check_progress(&h, &schedule, 100, 10_000).expect("c2 was too slow");
        assert_eq!(f.kind, "liveness");
        assert!(f.detail.contains("c2") && !f.detail.contains("c1 "), "{}", f.detail);
        // A generous bound holds; a run cut short is not judged.
        assert!(check_progress(&h, &schedule, 1_000, 10_000).is_none());
        assert!(check_progress(&h, &schedule, 100, 250).is_none());
        // An operation that never completes (info) is stuck whatever the bound.
        h.push(ev(3, EventType::Invoke, 1_000));
        h.push(ev(3, EventType::Info, 1_500));
        assert!(check_progress(&h, &schedule, 5_000, 10_000).unwrap().detail.contains("c3"));
    }
}
