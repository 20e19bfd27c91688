//! Property test: on random small differentiated histories, the bad-pattern
//! checker and the brute-force reference (definitions of causal.md) agree on
//! CC, CM and CCv. Fixed seeds, so a failure reproduces.

mod causal_support;

use causal_support::{history_text, reference, verdicts, SpecOp};
use checkers::causal::{self, CheckOptions};
use checkers::History;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const KEYS: [&str; 4] = ["x", "y", "z", "u"];
/// Skewed so that operations often share a key (4 keys are available, but
/// uniform choice over 4 keys would rarely make two ops conflict).
const KEY_WEIGHTS: [u32; 4] = [50, 30, 12, 8];

fn random_key(rng: &mut ChaCha8Rng) -> String {
    let mut roll = rng.gen_range(0..KEY_WEIGHTS.iter().sum::<u32>());
    for (k, &w) in KEYS.iter().zip(&KEY_WEIGHTS) {
        if roll < w {
            return k.to_string();
        }
        roll -= w;
    }
    unreachable!()
}

/// 2-3 sessions, up to 10 operations, unique written values; reads return a
/// random write of their key, the initial value, or (rarely) thin air.
fn random_history(rng: &mut ChaCha8Rng) -> (Vec<Vec<SpecOp>>, Vec<usize>) {
    let session_count = rng.gen_range(2..=3);
    let op_count = rng.gen_range(session_count..=10);
    let mut sessions: Vec<Vec<SpecOp>> = vec![Vec::new(); session_count];
    let mut order = Vec::new();
    let mut next_value = 1;
    for i in 0..op_count {
        // Every session gets at least one op.
        let s = if i < session_count { i } else { rng.gen_range(0..session_count) };
        let write = rng.gen_bool(0.45);
        let key = random_key(rng);
        let value = if write {
            next_value += 1;
            next_value - 1
        } else {
            0
        };
        sessions[s].push(SpecOp { write, key, value });
        order.push(s);
    }
    // Reads pick among all writes of their key (before or after them).
    let writes: Vec<(String, u32)> =
        sessions.iter().flatten().filter(|o| o.write).map(|o| (o.key.clone(), o.value)).collect();
    for op in sessions.iter_mut().flatten().filter(|o| !o.write) {
        let candidates: Vec<u32> = writes.iter().filter(|(k, _)| *k == op.key).map(|&(_, v)| v).collect();
        op.value = if rng.gen_bool(0.03) {
            999
        } else if candidates.is_empty() || rng.gen_bool(0.2) {
            0
        } else {
            candidates[rng.gen_range(0..candidates.len())]
        };
    }
    // Real-time interleaving does not matter to causal consistency; shuffle it.
    let mut shuffled = order.clone();
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, rng.gen_range(0..=i));
    }
    (sessions, shuffled)
}

/// A tiny replicated store, one replica per session: writes apply locally and
/// are sent to the others; replicas apply updates last-writer-wins by
/// (Lamport time, replica). With causal delivery this is a causal-convergence
/// store, so it yields CCv histories, some of them not CM; with delivery in
/// any order (`causal == false`) it also yields violations.
fn simulated_store_history(rng: &mut ChaCha8Rng, causal: bool) -> (Vec<Vec<SpecOp>>, Vec<usize>) {
    #[derive(Clone)]
    struct Update {
        origin: usize,
        clock: Vec<u32>,
        key: String,
        value: u32,
        stamp: (u32, usize),
    }
    let n = rng.gen_range(2..=3);
    let op_count = rng.gen_range(n..=10);
    let mut sessions: Vec<Vec<SpecOp>> = vec![Vec::new(); n];
    let mut order = Vec::new();
    let mut state: Vec<std::collections::BTreeMap<String, (u32, (u32, usize))>> = vec![Default::default(); n];
    let mut clock = vec![vec![0u32; n]; n];
    let mut lamport = vec![0u32; n];
    let mut pending: Vec<Vec<Update>> = vec![Vec::new(); n];
    let mut next_value = 1;
    let mut done = 0;
    while done < op_count {
        let deliverable: Vec<(usize, usize)> = (0..n)
            .flat_map(|i| (0..pending[i].len()).map(move |u| (i, u)))
            .filter(|&(i, u)| {
                let up = &pending[i][u];
                !causal
                    || (0..n).all(|k| {
                        if k == up.origin {
                            up.clock[k] == clock[i][k] + 1
                        } else {
                            up.clock[k] <= clock[i][k]
                        }
                    })
            })
            .collect();
        if !deliverable.is_empty() && rng.gen_bool(0.3) {
            let (i, u) = deliverable[rng.gen_range(0..deliverable.len())];
            let up = pending[i].remove(u);
            for k in 0..n {
                clock[i][k] = clock[i][k].max(up.clock[k]);
            }
            lamport[i] = lamport[i].max(up.stamp.0);
            let entry = state[i].entry(up.key.clone()).or_insert((0, (0, 0)));
            if up.stamp > entry.1 {
                *entry = (up.value, up.stamp);
            }
            continue;
        }
        let s = if done < n { done } else { rng.gen_range(0..n) };
        let key = random_key(rng);
        if rng.gen_bool(0.45) {
            // Lamport clocks may jump ahead: the arbitration of concurrent
            // writes then varies, still consistent with causality.
            lamport[s] += 1 + rng.gen_range(0..4);
            clock[s][s] += 1;
            let stamp = (lamport[s], s);
            let value = next_value;
            next_value += 1;
            state[s].insert(key.clone(), (value, stamp));
            for other in (0..n).filter(|&o| o != s) {
                pending[other].push(Update { origin: s, clock: clock[s].clone(), key: key.clone(), value, stamp });
            }
            sessions[s].push(SpecOp { write: true, key, value });
        } else {
            let value = state[s].get(&key).map_or(0, |e| e.0);
            sessions[s].push(SpecOp { write: false, key, value });
        }
        order.push(s);
        done += 1;
    }
    (sessions, order)
}

/// Small histories that sit on the boundaries between the levels (CM but
/// not CCv, CCv but not CM, ...). Some of these shapes need 7 operations in a
/// precise arrangement, which random generation almost never produces, so
/// they seed the mutation generator below.
const SEEDS: &[&[&[&str]]] = &[
    &[&["w x 1", "r x 2"], &["w x 2", "r x 1"]],
    &[&["w z 1", "w x 1", "w y 1"], &["w x 2", "r z 0", "r y 1", "r x 2"]],
    &[&["w x 1", "r x 2", "r x 1"], &["w x 2"]],
    &[&["w x 1", "w y 1"], &["r y 1", "r x 0"]],
    &[&["w x 1", "w x 2"], &["r x 2", "r x 1"]],
];

/// A seed history with 1-3 random mutations: keys renamed, an operation
/// inserted or removed, a read's value changed.
fn mutated_seed_history(rng: &mut ChaCha8Rng) -> (Vec<Vec<SpecOp>>, Vec<usize>) {
    let mut sessions = causal_support::sessions(SEEDS[rng.gen_range(0..SEEDS.len())]);
    let mut next_value = 100;
    // Rename keys by a random permutation of all four.
    let mut perm: Vec<&str> = KEYS.to_vec();
    for i in (1..perm.len()).rev() {
        perm.swap(i, rng.gen_range(0..=i));
    }
    for op in sessions.iter_mut().flatten() {
        let k = KEYS.iter().position(|k| *k == op.key).unwrap_or(0);
        op.key = perm[k].to_string();
    }
    for _ in 0..rng.gen_range(1..=3) {
        let total: usize = sessions.iter().map(|s| s.len()).sum();
        let s = rng.gen_range(0..sessions.len());
        match rng.gen_range(0..3) {
            0 if total < 10 => {
                let at = rng.gen_range(0..=sessions[s].len());
                let key = random_key(rng);
                let op = if rng.gen_bool(0.5) {
                    next_value += 1;
                    SpecOp { write: true, key, value: next_value }
                } else {
                    SpecOp { write: false, key, value: 0 }
                };
                sessions[s].insert(at, op);
            }
            1 if sessions[s].len() > 1 => {
                let at = rng.gen_range(0..sessions[s].len());
                let removed = sessions[s].remove(at);
                if removed.write {
                    for op in sessions.iter_mut().flatten() {
                        if !op.write && op.key == removed.key && op.value == removed.value {
                            op.value = 0;
                        }
                    }
                }
            }
            _ => {
                let writes: Vec<(String, u32)> =
                    sessions.iter().flatten().filter(|o| o.write).map(|o| (o.key.clone(), o.value)).collect();
                let reads: Vec<(usize, usize)> = sessions
                    .iter()
                    .enumerate()
                    .flat_map(|(s, ops)| ops.iter().enumerate().filter(|(_, o)| !o.write).map(move |(i, _)| (s, i)))
                    .collect();
                if let Some(&(s, i)) = reads.get(rng.gen_range(0..reads.len().max(1))) {
                    let op = &mut sessions[s][i];
                    let candidates: Vec<u32> = writes.iter().filter(|(k, _)| *k == op.key).map(|&(_, v)| v).collect();
                    op.value = if candidates.is_empty() || rng.gen_bool(0.25) {
                        0
                    } else {
                        candidates[rng.gen_range(0..candidates.len())]
                    };
                }
            }
        }
    }
    let order: Vec<usize> = sessions.iter().enumerate().flat_map(|(s, ops)| vec![s; ops.len()]).collect();
    (sessions, order)
}

#[test]
fn bad_patterns_agree_with_brute_force_on_random_histories() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed_cafe);
    let histories = 24000;
    // (cc, cm, ccv) → how many histories; makes sure every case occurred.
    let mut seen = std::collections::BTreeMap::<(bool, bool, bool), usize>::new();
    let mut exhaustive = 0;
    for case in 0..histories {
        let (sessions, order) = match case % 4 {
            0 => random_history(&mut rng),
            1 => mutated_seed_history(&mut rng),
            2 => simulated_store_history(&mut rng, true),
            _ => simulated_store_history(&mut rng, false),
        };
        let text = history_text(&sessions, Some(&order));
        let history = History::from_json_str(&text).expect("generated history parses");
        let report = causal::check_history(&history, &CheckOptions::default()).expect("differentiated");
        let got = verdicts(&report);
        let expected = reference::judge(&sessions);
        if expected.exhaustive {
            exhaustive += 1;
        }
        assert_eq!(
            got,
            (expected.cc, expected.cm, expected.ccv),
            "case {case}: checker (CC, CM, CCv) = {got:?}, reference = {:?}\nsessions: {sessions:?}\nviolations: {:#?}",
            (expected.cc, expected.cm, expected.ccv),
            report.violations
        );
        *seen.entry(got).or_default() += 1;
    }
    eprintln!("verdicts (CC, CM, CCv) → histories: {seen:?}; {exhaustive} judged over every causal order");
    // The interesting cases must all have come up.
    for case in
        [(true, true, true), (false, false, false), (true, true, false), (true, false, true), (true, false, false)]
    {
        assert!(seen.get(&case).copied().unwrap_or(0) > 0, "no random history with verdicts {case:?}: {seen:?}");
    }
    assert!(exhaustive > 100, "too few exhaustive runs: {exhaustive}");
}
