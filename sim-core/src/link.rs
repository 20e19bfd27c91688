//! Link models: what the network does to a message on one ordered node pair.

use crate::choices::{Choices, Stream};
use crate::ratio::Ratio;
use crate::time::{Time, NANOS_PER_MILLI};
use serde::{Deserialize, Serialize};

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
/// drops, duplicates and reorders with the given probabilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
        Ok(())
    }
}
