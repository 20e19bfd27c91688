//! A deterministic generator of large causally consistent histories, for
//! benchmarks and scale tests.
//!
//! Model: a global log of writes; each session sees a prefix of it that only
//! grows (it lags the end by a random amount), plus its own writes, which
//! land at the end of the log (the writer catches up first). Reads return the
//! key's last write within the session's prefix. Every read is then explained
//! by the log order restricted to what its session saw, so the history is CC,
//! CM and CCv.

use crate::history::{Event, EventType, History, Value};

/// SplitMix64: a small, fixed PRNG so the history depends only on the seed
/// (no dependency on `rand` in the library).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Shape of a synthetic history.
#[derive(Clone, Copy, Debug)]
pub struct SyntheticShape {
    pub operations: usize,
    pub sessions: usize,
    pub keys: usize,
    /// Percentage of operations that are writes.
    pub write_percent: u64,
    /// How far (in log entries) a session may lag behind the end of the log.
    pub max_lag: u64,
    pub seed: u64,
}

impl Default for SyntheticShape {
    fn default() -> Self {
        SyntheticShape { operations: 100_000, sessions: 25, keys: 500, write_percent: 40, max_lag: 2_000, seed: 1 }
    }
}

/// Generates a causally consistent history of the given shape (invoke and ok
/// events back to back, sessions interleaved at random).
pub fn causally_consistent_history(shape: SyntheticShape) -> History {
    let mut rng = SplitMix(shape.seed);
    // Per key: log positions of its writes and their values.
    let mut key_log: Vec<Vec<(usize, i64)>> = vec![Vec::new(); shape.keys];
    let mut log_len = 0usize;
    let mut seen = vec![0usize; shape.sessions];
    let mut next_value = 1i64;
    let mut history = History::new();
    for _ in 0..shape.operations {
        let s = rng.below(shape.sessions as u64) as usize;
        let key = rng.below(shape.keys as u64) as usize;
        // The session's view grows to within a random lag of the end.
        let lag = rng.below(shape.max_lag + 1) as usize;
        seen[s] = seen[s].max(log_len.saturating_sub(lag));
        let key_name = Some(format!("k{key}"));
        let event = |kind, f: &str, value| Event {
            process: s as u64,
            kind,
            f: f.to_string(),
            key: key_name.clone(),
            value,
            time: None,
        };
        if rng.below(100) < shape.write_percent {
            let value = Value::Int(next_value);
            key_log[key].push((log_len, next_value));
            next_value += 1;
            log_len += 1;
            seen[s] = log_len;
            history.push(event(EventType::Invoke, "put", value.clone()));
            history.push(event(EventType::Ok, "put", value));
        } else {
            let writes = &key_log[key];
            let visible = writes.partition_point(|&(pos, _)| pos < seen[s]);
            let value = if visible == 0 { Value::Nil } else { Value::Int(writes[visible - 1].1) };
            history.push(event(EventType::Invoke, "get", Value::Nil));
            history.push(event(EventType::Ok, "get", value));
        }
    }
    history
}
