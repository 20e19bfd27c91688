//! Property: on thousands of random small histories (up to 8 operations, 3
//! processes, with `ok`, `fail` and `info` outcomes and unfinished
//! invocations), the fast checker and a brute-force reference agree.
//!
//! The reference shares nothing with the checker but the history type: it
//! enumerates every order consistent with real time (operations with an
//! unknown outcome optionally left out) against its own straightforward
//! models, and for kv it keeps the whole map in one state (no partitioning),
//! which also tests the P-compositionality the checker relies on.

use checkers::lin::models::ModelKind;
use checkers::lin::CheckOptions;
use checkers::{Event, EventType, History, Operation, Value};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The reference's state for every model.
#[derive(Clone, Debug, Default)]
struct RefState {
    register: Value,
    map: BTreeMap<String, String>,
    set: BTreeSet<Value>,
    queue: VecDeque<Value>,
}

/// The reference's sequential specification. `output` is `None` when the
/// result is unknown.
fn ref_step(kind: ModelKind, s: &RefState, op: &Operation) -> Option<RefState> {
    let output = (op.outcome == EventType::Ok).then_some(&op.output);
    let mut next = s.clone();
    match (kind, op.f.as_str()) {
        (ModelKind::Register | ModelKind::CasRegister, "read") => {
            if output.is_some_and(|o| *o != s.register) {
                return None;
            }
        }
        (ModelKind::Register | ModelKind::CasRegister, "write") => next.register = op.input.clone(),
        (ModelKind::CasRegister, "cas") => {
            let Value::List(pair) = &op.input else { panic!("cas input") };
            if s.register == pair[0] {
                next.register = pair[1].clone();
            } else if output.is_some() {
                return None; // an ok cas must have matched
            }
        }
        (ModelKind::Kv, f) => {
            let key = op.key.clone().unwrap();
            let current = s.map.get(&key).cloned().unwrap_or_default();
            match f {
                "get" => {
                    let seen = match output {
                        None => return Some(next),
                        Some(Value::Nil) => String::new(),
                        Some(Value::Str(v)) => v.clone(),
                        Some(other) => panic!("get output {other:?}"),
                    };
                    if seen != current {
                        return None;
                    }
                }
                "put" => {
                    next.map.insert(key, op.input.as_str().unwrap().to_string());
                }
                "append" => {
                    next.map.insert(key, current + op.input.as_str().unwrap());
                }
                _ => panic!("kv f {f}"),
            }
        }
        (ModelKind::Set, "add") => {
            next.set.insert(op.input.clone());
        }
        (ModelKind::Set, "read") => {
            if let Some(Value::List(items)) = output {
                if items.iter().cloned().collect::<BTreeSet<_>>() != s.set {
                    return None;
                }
            }
        }
        (ModelKind::Queue, "enqueue") => next.queue.push_back(op.input.clone()),
        (ModelKind::Queue, "dequeue") => match output {
            None => {
                next.queue.pop_front();
            }
            Some(Value::Nil) => {
                if !s.queue.is_empty() {
                    return None;
                }
            }
            Some(v) => {
                if s.queue.front() != Some(v) {
                    return None;
                }
                next.queue.pop_front();
            }
        },
        (k, f) => panic!("no {f} in {k}"),
    }
    Some(next)
}

/// Brute force: is there an order of all `ok` operations plus any subset
/// of the unknown ones, consistent with real time, that the model accepts?
fn brute_force(kind: ModelKind, history: &History) -> bool {
    let ops: Vec<Operation> = history.operations().into_iter().filter(|o| o.outcome != EventType::Fail).collect();
    // must_precede[b] = required ops that completed before b was invoked.
    let required: Vec<bool> = ops.iter().map(|o| o.outcome == EventType::Ok).collect();
    let before: Vec<Vec<usize>> = ops
        .iter()
        .map(|b| (0..ops.len()).filter(|&a| required[a] && ops[a].complete_index.unwrap() < b.invoke_index).collect())
        .collect();
    fn dfs(
        kind: ModelKind,
        ops: &[Operation],
        required: &[bool],
        before: &[Vec<usize>],
        placed: &mut Vec<bool>,
        state: &RefState,
    ) -> bool {
        if (0..ops.len()).all(|i| placed[i] || !required[i]) {
            return true;
        }
        for i in 0..ops.len() {
            if placed[i] || !before[i].iter().all(|&p| placed[p]) {
                continue;
            }
            if let Some(next) = ref_step(kind, state, &ops[i]) {
                placed[i] = true;
                let found = dfs(kind, ops, required, before, placed, &next);
                placed[i] = false;
                if found {
                    return true;
                }
            }
        }
        false
    }
    dfs(kind, &ops, &required, &before, &mut vec![false; ops.len()], &RefState::default())
}

/// A random operation's invocation for `kind`: (f, key, input).
fn random_invoke(kind: ModelKind, rng: &mut ChaCha8Rng, counter: &mut i64) -> (String, Option<String>, Value) {
    *counter += 1;
    let small = |rng: &mut ChaCha8Rng| Value::Int(rng.gen_range(0..3));
    match kind {
        ModelKind::Register => match rng.gen_range(0..2) {
            0 => ("read".into(), None, Value::Nil),
            _ => ("write".into(), None, small(rng)),
        },
        ModelKind::CasRegister => match rng.gen_range(0..3) {
            0 => ("read".into(), None, Value::Nil),
            1 => ("write".into(), None, small(rng)),
            _ => ("cas".into(), None, Value::List(vec![small(rng), small(rng)])),
        },
        ModelKind::Kv => {
            let key = Some(["a", "b"][rng.gen_range(0..2)].to_string());
            match rng.gen_range(0..3) {
                0 => ("get".into(), key, Value::Nil),
                1 => ("put".into(), key, Value::Str(format!("p{counter}"))),
                _ => ("append".into(), key, Value::Str(format!("x{}", *counter % 3))),
            }
        }
        ModelKind::Set => match rng.gen_range(0..3) {
            0 => ("read".into(), None, Value::Nil),
            _ => ("add".into(), None, small(rng)),
        },
        ModelKind::Queue => match rng.gen_range(0..2) {
            0 => ("dequeue".into(), None, Value::Nil),
            _ => ("enqueue".into(), None, small(rng)),
        },
    }
}

/// The result an operation would return in `state` (what a correct object
/// answers), for `ok` completions.
fn true_result(kind: ModelKind, state: &RefState, f: &str, key: &Option<String>, input: &Value) -> Value {
    match (kind, f) {
        (_, "read") if kind != ModelKind::Set => state.register.clone(),
        (ModelKind::Set, "read") => Value::List(state.set.iter().cloned().collect()),
        (ModelKind::Kv, "get") => match state.map.get(key.as_ref().unwrap()) {
            Some(v) => Value::Str(v.clone()),
            None => Value::Nil,
        },
        (ModelKind::Queue, "dequeue") => state.queue.front().cloned().unwrap_or(Value::Nil),
        _ => input.clone(),
    }
}

/// A random history: a correct object whose operations take effect at a
/// random moment inside their interval, then some results corrupted so that
/// a good share is not linearizable.
fn random_history(kind: ModelKind, rng: &mut ChaCha8Rng) -> History {
    random_history_sized(kind, rng, 8, 3)
}

/// `random_history` with up to `max_ops` operations over `processes`
/// processes.
fn random_history_sized(kind: ModelKind, rng: &mut ChaCha8Rng, max_ops: usize, processes: usize) -> History {
    struct Open {
        f: String,
        key: Option<String>,
        input: Value,
        /// The result, once the operation took effect.
        effect: Option<Value>,
    }
    let total = rng.gen_range(1..=max_ops);
    let mut invoked = 0;
    let mut counter = 0;
    let mut state = RefState::default();
    let mut open: Vec<Option<Open>> = (0..processes).map(|_| None).collect();
    let mut retired = vec![false; processes];
    let mut h = History::new();
    let event = |process: usize, kind: EventType, f: &str, key: &Option<String>, value: Value| Event {
        process: process as u64,
        kind,
        f: f.to_string(),
        key: key.clone(),
        value,
        time: None,
    };
    loop {
        let busy = open.iter().any(|o| o.is_some());
        if invoked == total && !busy {
            break;
        }
        let p = rng.gen_range(0..processes);
        if retired[p] {
            if retired.iter().all(|r| *r) {
                break;
            }
            continue;
        }
        match open[p].take() {
            None if invoked < total => {
                let (f, key, input) = random_invoke(kind, rng, &mut counter);
                h.push(event(p, EventType::Invoke, &f, &key, input.clone()));
                open[p] = Some(Open { f, key, input, effect: None });
                invoked += 1;
            }
            None => {}
            Some(mut op) if op.effect.is_none() && rng.gen_bool(0.6) => {
                // Take effect now, if the object allows (a failed cas or a
                // dequeue on empty simply does nothing).
                let result = true_result(kind, &state, &op.f, &op.key, &op.input);
                let as_op = Operation {
                    process: p as u64,
                    f: op.f.clone(),
                    key: op.key.clone(),
                    input: op.input.clone(),
                    output: result.clone(),
                    outcome: EventType::Info,
                    invoke_index: 0,
                    complete_index: None,
                };
                if let Some(next) = ref_step(kind, &state, &as_op) {
                    let cas_failed =
                        op.f == "cas" && matches!(&op.input, Value::List(pair) if pair[0] != state.register);
                    state = next;
                    op.effect = Some(if cas_failed { Value::Str("cas-failed".into()) } else { result });
                }
                open[p] = Some(op);
            }
            Some(op) => {
                let roll = rng.gen_range(0..10);
                match &op.effect {
                    // A failed cas reports fail; so does an op that did not
                    // happen, sometimes.
                    Some(Value::Str(s)) if s == "cas-failed" => {
                        h.push(event(p, EventType::Fail, &op.f, &op.key, op.input.clone()))
                    }
                    Some(result) if roll < 8 => {
                        let value = if op.f == "read" || op.f == "get" || op.f == "dequeue" {
                            result.clone()
                        } else {
                            op.input.clone()
                        };
                        h.push(event(p, EventType::Ok, &op.f, &op.key, value))
                    }
                    None if roll < 3 => h.push(event(p, EventType::Fail, &op.f, &op.key, op.input.clone())),
                    None if roll < 6 => {
                        open[p] = Some(op); // not yet: keep it open
                        continue;
                    }
                    _ if roll == 9 => {
                        // Crash: never completes; the process is retired.
                        retired[p] = true;
                        continue;
                    }
                    _ => {
                        h.push(event(p, EventType::Info, &op.f, &op.key, Value::Nil));
                        retired[p] = true;
                    }
                }
            }
        }
    }
    // Corrupt a read's result in some histories.
    if rng.gen_bool(0.4) {
        let reads: Vec<usize> = (0..h.events.len())
            .filter(|&i| {
                let e = &h.events[i];
                e.kind == EventType::Ok && matches!(e.f.as_str(), "read" | "get" | "dequeue")
            })
            .collect();
        if !reads.is_empty() {
            let i = reads[rng.gen_range(0..reads.len())];
            h.events[i].value = match kind {
                ModelKind::Kv => match rng.gen_range(0..3) {
                    0 => Value::Nil,
                    1 => Value::Str(format!("x{}", rng.gen_range(0..3))),
                    _ => Value::Str(format!("p{}", rng.gen_range(1..9))),
                },
                ModelKind::Set => Value::List(vec![Value::Int(rng.gen_range(0..3))]),
                _ => match rng.gen_range(0..4) {
                    0 => Value::Nil,
                    n => Value::Int(n - 1),
                },
            };
        }
    }
    h
}

#[test]
fn fast_checker_agrees_with_brute_force() {
    // LIN_PROPERTY_CASES=100000 for a longer soak.
    let cases: usize = std::env::var("LIN_PROPERTY_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let mut totals = BTreeMap::new();
    for (k, kind) in ModelKind::ALL.into_iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(0x11_4e_a7 + k as u64);
        let (mut yes, mut no) = (0, 0);
        for case in 0..cases {
            let h = random_history(kind, &mut rng);
            h.validate().unwrap_or_else(|e| panic!("{kind} case {case}: generator made {e}\n{}", h.to_json_lines()));
            let expected = brute_force(kind, &h);
            let report = kind.check(&h, &CheckOptions::default()).unwrap();
            assert_eq!(
                report.linearizable(),
                Some(expected),
                "{kind} case {case}: checker {:?}, brute force {expected}\n{}",
                report.verdict,
                h.to_json_lines()
            );
            if expected {
                yes += 1
            } else {
                no += 1
            }
        }
        totals.insert(kind.name(), (yes, no));
    }
    // The generator must exercise both verdicts for every model.
    for (name, (yes, no)) in &totals {
        assert!(*yes > 200 && *no > 200, "{name}: {yes} linearizable, {no} not");
    }
}

/// Kv histories with more concurrency (up to 10 operations over 5
/// processes), where the kv-specific pruning (gets that can no longer be
/// matched by appending) and forced reads have room to act.
#[test]
fn kv_with_more_concurrency_agrees_with_brute_force() {
    let cases: usize = std::env::var("LIN_PROPERTY_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let mut rng = ChaCha8Rng::seed_from_u64(0x6b_76_0a);
    let (mut yes, mut no) = (0, 0);
    for case in 0..cases {
        let h = random_history_sized(ModelKind::Kv, &mut rng, 10, 5);
        h.validate().unwrap_or_else(|e| panic!("case {case}: generator made {e}\n{}", h.to_json_lines()));
        let expected = brute_force(ModelKind::Kv, &h);
        let report = ModelKind::Kv.check(&h, &CheckOptions::default()).unwrap();
        assert_eq!(
            report.linearizable(),
            Some(expected),
            "case {case}: checker {:?}, brute force {expected}\n{}",
            report.verdict,
            h.to_json_lines()
        );
        if expected {
            yes += 1
        } else {
            no += 1
        }
    }
    assert!(yes * 10 > cases && no * 10 > cases, "{yes} linearizable, {no} not");
}
