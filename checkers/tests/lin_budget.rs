//! A large, hard history (10,000 operations, 50 clients) must come back with
//! a verdict or `unknown` within its budget, never hang or exhaust memory.

use checkers::lin::models::ModelKind;
use checkers::lin::{CheckOptions, UnknownReason, Verdict};
use checkers::{Event, EventType, History, Value};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::{Duration, Instant};

trait VerdictName {
    fn verdict_name(&self) -> &'static str;
}
impl VerdictName for checkers::lin::LinReport {
    fn verdict_name(&self) -> &'static str {
        match self.verdict {
            Verdict::Linearizable => "linearizable",
            Verdict::NotLinearizable(_) => "not linearizable",
            Verdict::Unknown(_) => "unknown",
        }
    }
}

/// A register shared by `clients` clients, `ops` operations in all, each
/// taking effect at a random moment while open; some time out (`info`),
/// and one late read returns a value nobody wrote, so the search has to
/// exhaust a huge space before it can say "not linearizable".
fn hard_history(ops: usize, clients: u64, seed: u64) -> History {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut h = History::new();
    let mut register = Value::Nil;
    // Per client slot: (process id, f, input, result once taken effect).
    type Open<'a> = Option<(u64, &'a str, Value, Option<Value>)>;
    let mut open: Vec<Open> = vec![None; clients as usize];
    let mut next_process = clients;
    let mut ids: Vec<u64> = (0..clients).collect();
    let mut invoked = 0;
    let ev = |process, kind, f: &str, value| Event { process, kind, f: f.into(), key: None, value, time: None };
    while invoked < ops || open.iter().any(Option::is_some) {
        let slot = rng.gen_range(0..clients as usize);
        match open[slot].take() {
            None if invoked < ops => {
                let (f, input) =
                    if rng.gen_bool(0.5) { ("read", Value::Nil) } else { ("write", Value::Int(rng.gen_range(0..5))) };
                h.push(ev(ids[slot], EventType::Invoke, f, input.clone()));
                open[slot] = Some((ids[slot], f, input, None));
                invoked += 1;
            }
            None => {}
            Some((p, f, input, None)) => {
                let result = if f == "read" { register.clone() } else { input.clone() };
                if f == "write" {
                    register = input.clone();
                }
                open[slot] = Some((p, f, input, Some(result)));
            }
            Some((p, f, _, Some(mut result))) => {
                if rng.gen_bool(0.02) {
                    h.push(ev(p, EventType::Info, f, Value::Nil));
                    ids[slot] = next_process;
                    next_process += 1;
                } else {
                    if f == "read" && invoked + 200 > ops && rng.gen_bool(0.05) {
                        result = Value::Int(99); // never written
                    }
                    h.push(ev(p, EventType::Ok, f, result));
                }
            }
        }
    }
    h
}

#[test]
fn large_history_respects_a_short_timeout() {
    let h = hard_history(10_000, 50, 7);
    assert_eq!(h.operations().len(), 10_000);
    let budget = Duration::from_millis(300);
    let started = Instant::now();
    let options = CheckOptions::default().with_deadline(started + budget).with_max_memory(256 << 20);
    let report = ModelKind::Register.check(&h, &options).unwrap();
    let took = started.elapsed();
    eprintln!("10k ops: {:?} after {took:?}, {} steps", report.verdict_name(), report.steps);
    // Setup (pairing, compiling) is outside the search's clock checks but
    // is linear; allow generous slack for a loaded machine.
    assert!(took < budget + Duration::from_secs(2), "took {took:?}");
    assert!(matches!(report.verdict, Verdict::Unknown(_) | Verdict::NotLinearizable(_)), "{:?}", report.verdict);
}

#[test]
fn memory_cap_yields_unknown() {
    let h = hard_history(10_000, 50, 7);
    let options = CheckOptions::default().with_max_memory(4 << 20);
    let report = ModelKind::Register.check(&h, &options).unwrap();
    match report.verdict {
        Verdict::Unknown(u) => assert_eq!(u.reason, UnknownReason::MemoryLimit, "steps {}", report.steps),
        Verdict::NotLinearizable(_) => {} // found fast: also within budget
        other => panic!("{other:?}"),
    }
}

#[test]
fn step_budget_is_deterministic() {
    let h = hard_history(2_000, 50, 3);
    let options = CheckOptions::default().with_max_steps(50_000);
    let a = ModelKind::Register.check(&h, &options).unwrap();
    let b = ModelKind::Register.check(&h, &options).unwrap();
    assert_eq!(a, b);
}

/// The full-size run with the default memory cap and a 10 s budget.
#[test]
#[ignore = "heavy: runs for up to 10 s"]
fn large_history_default_memory_cap() {
    let h = hard_history(10_000, 50, 11);
    let started = Instant::now();
    let options = CheckOptions::default().with_deadline(started + Duration::from_secs(10));
    let report = ModelKind::Register.check(&h, &options).unwrap();
    eprintln!("verdict {:?} after {:?}, {} steps", report.linearizable(), started.elapsed(), report.steps);
    assert!(started.elapsed() < Duration::from_secs(15));
}
