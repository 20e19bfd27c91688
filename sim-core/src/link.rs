//! Link models: what the network does to a message on one ordered node pair.

use crate::choices::{Choices, Stream};
use crate::ratio::Ratio;
use crate::time::{Time, NANOS_PER_MILLI};
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};

/// How long a message takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Delay {
    Constant {
        delay_ns: u64,
    },
    Uniform {
        min_ns: u64,
        max_ns: u64,
    },
    /// `min_ns` plus an exponential tail with mean `mean_ns`.
    Exponential {
        min_ns: u64,
        mean_ns: u64,
    },
}

impl Default for Delay {
    fn default() -> Self {
        Delay::Uniform { min_ns: NANOS_PER_MILLI, max_ns: 5 * NANOS_PER_MILLI }
    }
}

impl Delay {
    pub fn sample(&self, choices: &mut Choices) -> Time {
        match *self {
            Delay::Constant { delay_ns } => delay_ns,
            Delay::Uniform { min_ns, max_ns } => choices.range(Stream::Network, min_ns, max_ns),
            Delay::Exponential { min_ns, mean_ns } => {
                min_ns.saturating_add(choices.exponential(Stream::Network, mean_ns))
            }
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Delay::Uniform { min_ns, max_ns } if min_ns > max_ns => {
                Err(format!("uniform delay: min_ns {min_ns} is above max_ns {max_ns}"))
            }
            _ => Ok(()),
        }
    }
}

/// One directed link. `reliable` is all-zero probabilities; a fair-loss link
/// drops, duplicates and reorders with the given probabilities; an arbitrary
/// link also has an [`Adversary`].
// `Hash` is written by hand below so that links without an adversary hash as
// they did before it existed (fault payloads in trace hashes contain links).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinkModel {
    pub delay: Delay,
    /// Probability a message is lost.
    pub drop: Ratio,
    /// Probability a message is delivered twice.
    pub duplicate: Ratio,
    /// Probability a message gets an extra delay of up to `reorder_delay_max_ns`
    /// (and so overtakes, or is overtaken by, later messages).
    pub reorder: Ratio,
    pub reorder_delay_max_ns: u64,
    /// Deliver in send order (a FIFO link never reorders).
    pub fifo: bool,
    /// An arbitrary link: an adversary on it (none: the link is honest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adversary: Option<Adversary>,
}

impl Hash for LinkModel {
    fn hash<H: Hasher>(&self, h: &mut H) {
        let LinkModel { delay, drop, duplicate, reorder, reorder_delay_max_ns, fifo, adversary } = self;
        delay.hash(h);
        drop.hash(h);
        duplicate.hash(h);
        reorder.hash(h);
        reorder_delay_max_ns.hash(h);
        fifo.hash(h);
        if let Some(a) = adversary {
            a.hash(h);
        }
    }
}

/// The adversary of an arbitrary link (the most general link model): it sees
/// every message on its link and may drop it, delay it, deliver old messages
/// of the link again, corrupt a message in transit (the receiver's MAC check
/// rejects it) and inject forged messages (rejected too).
///
/// Each field is an upper bound: when the model is installed, every link
/// draws its own rates between 0 and the bound from the seed (stream
/// `adversary`), so different seeds meet differently hostile links.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Adversary {
    /// Probability a message is dropped.
    pub drop: Ratio,
    /// Probability a message is held back by up to `delay_max_ns` more.
    pub delay: Ratio,
    pub delay_max_ns: u64,
    /// Probability that, with a message, an old message of the link is delivered again.
    pub replay: Ratio,
    /// Probability a message is corrupted in transit.
    pub corrupt: Ratio,
    /// Probability that, with a message, a forged one is injected.
    pub forge: Ratio,
}

impl Default for Adversary {
    /// A thoroughly hostile link: every rate up to 1/5, delays up to 50 ms.
    fn default() -> Self {
        let fifth = Ratio::new(1, 5);
        Adversary {
            drop: fifth,
            delay: fifth,
            delay_max_ns: 50 * NANOS_PER_MILLI,
            replay: fifth,
            corrupt: fifth,
            forge: fifth,
        }
    }
}

impl Adversary {
    pub fn validate(&self) -> Result<(), String> {
        for (name, r) in [
            ("drop", self.drop),
            ("delay", self.delay),
            ("replay", self.replay),
            ("corrupt", self.corrupt),
            ("forge", self.forge),
        ] {
            r.validate().map_err(|e| format!("adversary.{name}: {e}"))?;
        }
        Ok(())
    }
}

impl Default for LinkModel {
    fn default() -> Self {
        LinkModel::reliable()
    }
}

impl LinkModel {
    /// Never loses, duplicates or reorders; 1-5 ms latency; FIFO.
    pub fn reliable() -> Self {
        LinkModel {
            delay: Delay::default(),
            drop: Ratio::ZERO,
            duplicate: Ratio::ZERO,
            reorder: Ratio::ZERO,
            reorder_delay_max_ns: 0,
            fifo: true,
            adversary: None,
        }
    }

    /// Fair-loss: drops, duplicates and reorders; not FIFO.
    pub fn fair_loss(drop: Ratio, duplicate: Ratio, reorder: Ratio) -> Self {
        LinkModel {
            delay: Delay::default(),
            drop,
            duplicate,
            reorder,
            reorder_delay_max_ns: 20 * NANOS_PER_MILLI,
            fifo: false,
            adversary: None,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        self.delay.validate()?;
        self.drop.validate().map_err(|e| format!("drop: {e}"))?;
        self.duplicate.validate().map_err(|e| format!("duplicate: {e}"))?;
        self.reorder.validate().map_err(|e| format!("reorder: {e}"))?;
        if self.fifo && !self.reorder.is_zero() {
            return Err("a fifo link cannot reorder: set fifo false or reorder 0".into());
        }
        if let Some(a) = &self.adversary {
            a.validate()?;
        }
        Ok(())
    }
}
