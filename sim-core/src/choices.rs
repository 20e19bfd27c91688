//! `Choices`: the one source of every nondeterministic decision in a run.
//!
//! A run draws from per-purpose streams so that, for example, changing the
//! workload does not reshuffle the network. In **seeded** mode each stream is
//! its own ChaCha8 generator keyed by the seed (key = seed as 8 little-endian
//! bytes followed by 24 zero bytes; ChaCha stream number = [`Stream::number`]).
//! Every draw can also be recorded on a **tape**: the list of drawn values in
//! the order the run made them, kept both as one flat list and per lane (see
//! [`crate::tape`]: one tape per stream and per network link, which is what
//! shrinking edits). In **tape** mode the run reads its draws back from a
//! flat tape or from per-lane tapes instead, which reproduces the run bit for
//! bit; an edited tape (shrinking) or a tape built by the explorer drives the
//! same code. A tape that runs out yields 0 ("the simplest choice") and a
//! value too large for its bound is reduced modulo the bound, so any tape is
//! a valid run.
//!
//! All sampling helpers are integer arithmetic on top of `draw`, so a seed
//! means the same run on every platform and after upgrades of `rand`
//! (rand_chacha's version is pinned in the workspace manifest).

use crate::ids::NodeId;
use crate::ratio::Ratio;
use crate::tape::{Lane, Tapes};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// One flat tape (repro format 1; still read).
    Tape(Vec<u64>),
    /// A tape per lane (what shrinking writes).
    Tapes(Tapes),
}

impl ChoiceSource {
    /// How the choices are described to a person.
    pub fn describe(&self) -> String {
        match self {
            ChoiceSource::Seed(seed) => format!("seed {seed}"),
            ChoiceSource::Tape(t) => format!("a tape of {} draws", t.len()),
            ChoiceSource::Tapes(t) => format!("tapes of {} draws on {} lanes", t.len(), t.0.len()),
        }
    }
}

#[derive(Clone, Debug)]
enum Mode {
    Seeded { seed: u64, streams: Vec<Option<ChaCha8Rng>> },
    Tape { tape: Vec<u64>, position: usize, overrun: usize },
    Lanes { tapes: BTreeMap<Lane, (Vec<u64>, usize)>, overrun: usize },
}

/// What a recording run drew.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Every draw in the order the run made them.
    pub flat: Vec<u64>,
    /// The same draws, per lane.
    pub lanes: Tapes,
    /// Each of those draws' bound (the value was drawn from `0..bound`):
    /// lets a shrinker try a lane's largest value, not only smaller ones.
    pub bounds: Tapes,
}

/// The source of all randomness in a run.
#[derive(Clone, Debug)]
pub struct Choices {
    mode: Mode,
    recording: Option<Box<Recorded>>,
    draws: u64,
    /// The node-to-node link whose message is being sent, if any: network
    /// draws made meanwhile go on that link's lane.
    link: Option<(NodeId, NodeId)>,
}

impl Choices {
    /// Seeded mode, not recording.
    pub fn seeded(seed: u64) -> Self {
        Choices::new(Mode::Seeded { seed, streams: Vec::new() })
    }

    /// Plays back a recorded (or edited) flat tape.
    pub fn from_tape(tape: Vec<u64>) -> Self {
        Choices::new(Mode::Tape { tape, position: 0, overrun: 0 })
    }

    /// Plays back recorded (or edited) per-lane tapes.
    pub fn from_tapes(tapes: &Tapes) -> Self {
        let tapes = tapes.0.iter().map(|(lane, t)| (*lane, (t.clone(), 0))).collect();
        Choices::new(Mode::Lanes { tapes, overrun: 0 })
    }

    fn new(mode: Mode) -> Self {
        Choices { mode, recording: None, draws: 0, link: None }
    }

    pub fn from_source(source: &ChoiceSource) -> Self {
        match source {
            ChoiceSource::Seed(s) => Choices::seeded(*s),
            ChoiceSource::Tape(t) => Choices::from_tape(t.clone()),
            ChoiceSource::Tapes(t) => Choices::from_tapes(t),
        }
    }

    /// Starts recording every draw (flat and per lane).
    pub fn record(mut self) -> Self {
        self.recording = Some(Box::default());
        self
    }

    /// The flat tape recorded so far (if recording).
    pub fn take_tape(&mut self) -> Option<Vec<u64>> {
        self.take_recording().map(|r| r.flat)
    }

    /// Everything recorded so far (if recording).
    pub fn take_recording(&mut self) -> Option<Recorded> {
        self.recording.take().map(|r| *r)
    }

    /// Network draws from now on are for a message on the link `from -> to`
    /// (`None`: not a node-to-node message). Only decides the lane a draw is
    /// recorded on or read from; seeded values do not depend on it.
    #[inline]
    pub fn set_link(&mut self, link: Option<(NodeId, NodeId)>) {
        self.link = link;
    }

    /// How many draws were made.
    pub fn draws(&self) -> u64 {
        self.draws
    }

    /// How many draws a tape-mode run made past the end of its tape.
    pub fn tape_overrun(&self) -> usize {
        match &self.mode {
            Mode::Tape { overrun, .. } | Mode::Lanes { overrun, .. } => *overrun,
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
        let link = self.link;
        let value = match &mut self.mode {
            Mode::Seeded { seed, streams } => {
                let slot = stream.slot();
                if !matches!(streams.get(slot), Some(Some(_))) {
                    open_stream(streams, *seed, stream);
                }
                below(streams[slot].as_mut().expect("stream opened"), bound)
            }
            Mode::Tape { tape, position, overrun } => tape_draw(tape, position, overrun, bound),
            Mode::Lanes { tapes, overrun } => match tapes.get_mut(&lane_of(stream, link)) {
                Some((tape, position)) => tape_draw(tape, position, overrun, bound),
                None => {
                    *overrun += 1;
                    0
                }
            },
        };
        if self.recording.is_some() {
            self.write_down(stream, value, bound);
        }
        value
    }

    #[cold]
    fn write_down(&mut self, stream: Stream, value: u64, bound: u64) {
        let lane = lane_of(stream, self.link);
        if let Some(rec) = &mut self.recording {
            rec.flat.push(value);
            rec.lanes.push(lane, value);
            rec.bounds.push(lane, bound);
        }
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

/// The lane a draw from `stream` goes on while sending over `link`.
fn lane_of(stream: Stream, link: Option<(NodeId, NodeId)>) -> Lane {
    Lane { stream, link: if stream == Stream::Network { link } else { None } }
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
    fn lanes_replay_recorded_draws_and_keep_seeded_values() {
        let link = Some((NodeId(0), NodeId(1)));
        let script = |c: &mut Choices| -> Vec<u64> {
            (0..60)
                .map(|i| {
                    c.set_link(if i % 3 == 0 { link } else { None });
                    let stream = if i % 2 == 0 { Stream::Network } else { Stream::Node(NodeId(i % 5)) };
                    c.draw(stream, 1000)
                })
                .collect()
        };
        let plain = script(&mut Choices::seeded(5));
        let mut recording = Choices::seeded(5).record();
        assert_eq!(script(&mut recording), plain, "links and recording do not change seeded values");
        let recorded = recording.take_recording().unwrap();
        assert_eq!(recorded.flat, plain);
        assert!(recorded.lanes.0.contains_key(&Lane { stream: Stream::Network, link }));
        assert_eq!(recorded.lanes.len(), 60);
        assert!(recorded.bounds.0.values().flatten().all(|&b| b == 1000));
        let mut replay = Choices::from_tapes(&recorded.lanes);
        assert_eq!(script(&mut replay), plain);
        assert_eq!(replay.tape_overrun(), 0);
        // Editing one lane leaves every other lane's values where they were.
        let mut edited = recorded.lanes.clone();
        edited.0.get_mut(&Lane { stream: Stream::Network, link }).unwrap().remove(0);
        let again = script(&mut Choices::from_tapes(&edited));
        let differs: Vec<usize> = (0..60).filter(|&i| again[i] != plain[i]).collect();
        assert!(!differs.is_empty() && differs.iter().all(|i| i % 6 == 0), "{differs:?}");
    }

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
