//! `Choices`: the one source of every nondeterministic decision in a run.
//!
//! A run draws from per-purpose streams so that, for example, changing the
//! workload does not reshuffle the network. In **seeded** mode each stream is
//! its own ChaCha8 generator keyed by the seed (key = seed as 8 little-endian
//! bytes followed by 24 zero bytes; ChaCha stream number = [`Stream::number`]).
//! Every draw can also be recorded on a **tape**: the list of drawn values in
//! the order the run made them. In **tape** mode the run reads its draws back
//! from a tape instead, which reproduces the run bit for bit; an edited tape
//! (shrinking) or a tape built by the explorer drives the same code. A tape
//! that runs out yields 0 ("the simplest choice") and a value too large for
//! its bound is reduced modulo the bound, so any tape is a valid run.
//!
//! All sampling helpers are integer arithmetic on top of `draw`, so a seed
//! means the same run on every platform and after upgrades of `rand`
//! (rand_chacha's version is pinned in the workspace manifest).

use crate::ids::NodeId;
use crate::ratio::Ratio;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// What a draw is for; each purpose has its own independent stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stream {
    /// Latency, loss, duplication, reordering.
    Network,
    /// The nemesis drawing a fault schedule.
    Faults,
    /// Clients: which operation, which key, which node.
    Workload,
    /// Byzantine nodes and adversarial links.
    Adversary,
    /// A node's own randomness (e.g. randomised election timeouts).
    Node(NodeId),
}

impl Stream {
    /// The ChaCha stream number (part of the seed's meaning: never change).
    pub fn number(self) -> u64 {
        match self {
            Stream::Network => 1,
            Stream::Faults => 2,
            Stream::Workload => 3,
            Stream::Adversary => 4,
            Stream::Node(n) => 1024 + n.0 as u64,
        }
    }

    fn slot(self) -> usize {
        match self {
            Stream::Network => 0,
            Stream::Faults => 1,
            Stream::Workload => 2,
            Stream::Adversary => 3,
            Stream::Node(n) => 4 + n.index(),
        }
    }
}

/// Where a run's choices came from, as written in repro files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceSource {
    Seed(u64),
    Tape(Vec<u64>),
}

#[derive(Clone, Debug)]
enum Mode {
    Seeded { seed: u64, streams: Vec<Option<ChaCha8Rng>> },
    Tape { tape: Vec<u64>, position: usize, overrun: usize },
}

/// The source of all randomness in a run.
#[derive(Clone, Debug)]
pub struct Choices {
    mode: Mode,
    recording: Option<Vec<u64>>,
    draws: u64,
}

impl Choices {
    /// Seeded mode, not recording.
    pub fn seeded(seed: u64) -> Self {
        Choices { mode: Mode::Seeded { seed, streams: Vec::new() }, recording: None, draws: 0 }
    }

    /// Plays back a recorded (or edited) tape.
    pub fn from_tape(tape: Vec<u64>) -> Self {
        Choices { mode: Mode::Tape { tape, position: 0, overrun: 0 }, recording: None, draws: 0 }
    }

    pub fn from_source(source: &ChoiceSource) -> Self {
        match source {
            ChoiceSource::Seed(s) => Choices::seeded(*s),
            ChoiceSource::Tape(t) => Choices::from_tape(t.clone()),
        }
    }

    /// Starts recording every draw onto a tape.
    pub fn record(mut self) -> Self {
        self.recording = Some(Vec::new());
        self
    }

    /// The tape recorded so far (if recording).
    pub fn take_tape(&mut self) -> Option<Vec<u64>> {
        self.recording.take()
    }

    /// How many draws were made.
    pub fn draws(&self) -> u64 {
        self.draws
    }

    /// How many draws a tape-mode run made past the end of its tape.
    pub fn tape_overrun(&self) -> usize {
        match &self.mode {
            Mode::Tape { overrun, .. } => *overrun,
            Mode::Seeded { .. } => 0,
        }
    }

    /// Draws a value in `0..bound`. A bound of 0 or 1 returns 0 without
    /// drawing (and without recording), in every mode alike.
    #[inline]
    pub fn draw(&mut self, stream: Stream, bound: u64) -> u64 {
        if bound <= 1 {
            return 0;
        }
        self.draws += 1;
        let value = match &mut self.mode {
            Mode::Seeded { seed, streams } => {
                let slot = stream.slot();
                if !matches!(streams.get(slot), Some(Some(_))) {
                    open_stream(streams, *seed, stream);
                }
                below(streams[slot].as_mut().expect("stream opened"), bound)
            }
            Mode::Tape { tape, position, overrun } => tape_draw(tape, position, overrun, bound),
        };
        if let Some(rec) = &mut self.recording {
            rec.push(value);
        }
        value
    }

    /// True with probability `p`. Draws nothing when `p` is 0 or 1.
    #[inline]
    pub fn chance(&mut self, stream: Stream, p: Ratio) -> bool {
        if p.numerator == 0 {
            return false;
        }
        if p.numerator >= p.denominator {
            return true;
        }
        self.draw(stream, p.denominator as u64) < p.numerator as u64
    }

    /// A value in `lo..=hi` (returns `lo` when `hi <= lo`).
    #[inline]
    pub fn range(&mut self, stream: Stream, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let span = hi - lo;
        if span == u64::MAX {
            return self.draw(stream, u64::MAX);
        }
        lo + self.draw(stream, span + 1)
    }

    /// An index into a collection of `len` items (`len` > 0).
    #[inline]
    pub fn index(&mut self, stream: Stream, len: usize) -> usize {
        self.draw(stream, len as u64) as usize
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, stream: Stream, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.draw(stream, i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// An exponentially distributed duration with the given mean, computed
    /// with a platform-independent logarithm (IEEE +,-,*,/ only), capped at
    /// 50 times the mean.
    pub fn exponential(&mut self, stream: Stream, mean: u64) -> u64 {
        if mean == 0 {
            return 0;
        }
        const SCALE: u64 = 1 << 53;
        // u in (0, 1]
        let u = (self.draw(stream, SCALE) + 1) as f64 / SCALE as f64;
        let x = -portable_ln(u) * mean as f64;
        let cap = mean.saturating_mul(50) as f64;
        x.min(cap) as u64
    }
}

/// Creates a stream's generator the first time it is drawn from.
#[cold]
fn open_stream(streams: &mut Vec<Option<ChaCha8Rng>>, seed: u64, stream: Stream) {
    let slot = stream.slot();
    if slot >= streams.len() {
        streams.resize_with(slot + 1, || None);
    }
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(stream.number());
    streams[slot] = Some(rng);
}

fn tape_draw(tape: &[u64], position: &mut usize, overrun: &mut usize, bound: u64) -> u64 {
    let v = match tape.get(*position) {
        Some(v) => *v % bound,
        None => {
            *overrun += 1;
            0
        }
    };
    *position += 1;
    v
}

/// Lemire's unbiased multiply-shift reduction of a 64-bit draw to `0..bound`.
#[inline]
fn below(rng: &mut ChaCha8Rng, bound: u64) -> u64 {
    let mut m = (rng.next_u64() as u128) * (bound as u128);
    if (m as u64) < bound {
        let threshold = bound.wrapping_neg() % bound;
        while (m as u64) < threshold {
            m = (rng.next_u64() as u128) * (bound as u128);
        }
    }
    (m >> 64) as u64
}

/// Natural logarithm for `x` in (0, 1] using only basic IEEE operations, so
/// the result is identical on every platform (libm's `ln` is not promised to be).
fn portable_ln(x: f64) -> f64 {
    const LN2: f64 = std::f64::consts::LN_2;
    // x = m * 2^e with m in [1, 2)
    let mut m = x;
    let mut e = 0i32;
    while m < 1.0 {
        m *= 2.0;
        e -= 1;
    }
    // ln(m) = 2 atanh(s), s = (m-1)/(m+1) in [0, 1/3)
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    let mut k = 1.0;
    for _ in 0..20 {
        sum += term / k;
        term *= s2;
        k += 2.0;
    }
    2.0 * sum + e as f64 * LN2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_draws_and_streams_are_independent() {
        let mut a = Choices::seeded(7);
        let mut b = Choices::seeded(7);
        let xs: Vec<u64> = (0..100).map(|_| a.draw(Stream::Network, 1000)).collect();
        // Interleaving draws from another stream must not change the network stream.
        let ys: Vec<u64> = (0..100)
            .map(|_| {
                b.draw(Stream::Workload, 10);
                b.draw(Stream::Network, 1000)
            })
            .collect();
        assert_eq!(xs, ys);
        let mut c = Choices::seeded(8);
        let zs: Vec<u64> = (0..100).map(|_| c.draw(Stream::Network, 1000)).collect();
        assert_ne!(xs, zs);
    }

    /// Pins the seed's meaning: if this fails, every published seed changed.
    #[test]
    fn seed_meaning_is_pinned() {
        let mut a = Choices::seeded(1);
        let xs: Vec<u64> = (0..4).map(|_| a.draw(Stream::Network, 1_000_000)).collect();
        assert_eq!(xs, vec![PINNED[0], PINNED[1], PINNED[2], PINNED[3]], "{xs:?}");
    }
    const PINNED: [u64; 4] = [103533, 817991, 638139, 327511];

    #[test]
    fn tape_replays_recorded_draws() {
        let mut a = Choices::seeded(3).record();
        let xs: Vec<u64> = (0..50).map(|i| a.draw(Stream::Node(NodeId(i % 3)), 97)).collect();
        let tape = a.take_tape().unwrap();
        let mut b = Choices::from_tape(tape);
        let ys: Vec<u64> = (0..50).map(|i| b.draw(Stream::Node(NodeId(i % 3)), 97)).collect();
        assert_eq!(xs, ys);
        assert_eq!(b.tape_overrun(), 0);
        assert_eq!(b.draw(Stream::Network, 10), 0);
        assert_eq!(b.tape_overrun(), 1);
    }

    #[test]
    fn helpers_stay_in_range() {
        let mut c = Choices::seeded(11);
        for _ in 0..1000 {
            let r = c.range(Stream::Network, 5, 9);
            assert!((5..=9).contains(&r));
        }
        let hits = (0..10_000).filter(|_| c.chance(Stream::Network, Ratio::percent(10))).count();
        assert!((800..1200).contains(&hits), "{hits}");
        let mean: u64 = (0..10_000).map(|_| c.exponential(Stream::Network, 1000)).sum::<u64>() / 10_000;
        assert!((900..1100).contains(&mean), "{mean}");
    }

    #[test]
    fn portable_ln_is_accurate() {
        for x in [1.0, 0.5, 0.1, 1e-9, 0.999] {
            assert!((portable_ln(x) - f64::ln(x)).abs() < 1e-12, "{x}");
        }
    }
}
