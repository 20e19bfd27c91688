//! Local clocks: each node sees `global + offset + global * drift`.
//! Timers fire by the local clock, so a fast clock fires its timers early.

use crate::time::Time;
use serde::{Deserialize, Serialize};

/// A node's clock fault: a fixed offset and a drift rate in parts per million.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClockModel {
    pub offset_ns: i64,
    /// +100 means the clock gains 100 µs per second.
    pub drift_ppm: i32,
}

const MILLION: i128 = 1_000_000;

impl ClockModel {
    pub fn validate(&self) -> Result<(), String> {
        if self.drift_ppm <= -500_000 || self.drift_ppm >= 500_000 {
            return Err(format!("drift_ppm {} is outside ±500000", self.drift_ppm));
        }
        Ok(())
    }

    /// The local reading at global time `t` (never below 0).
    #[inline]
    pub fn local(&self, t: Time) -> Time {
        if self.drift_ppm == 0 {
            // The common case, kept free of 128-bit division.
            return if self.offset_ns >= 0 {
                t.saturating_add(self.offset_ns as u64)
            } else {
                t.saturating_sub(self.offset_ns.unsigned_abs())
            };
        }
        let t = t as i128;
        let local = t + self.offset_ns as i128 + t * self.drift_ppm as i128 / MILLION;
        local.clamp(0, u64::MAX as i128) as Time
    }

    /// How much global time passes while the local clock advances `local_ns`.
    #[inline]
    pub fn global_span(&self, local_ns: Time) -> Time {
        if self.drift_ppm == 0 {
            return local_ns;
        }
        let span = local_ns as i128 * MILLION / (MILLION + self.drift_ppm as i128);
        span.clamp(0, u64::MAX as i128) as Time
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_scales_timers() {
        let fast = ClockModel { offset_ns: 5, drift_ppm: 100_000 };
        assert_eq!(fast.local(1_000_000), 1_100_005);
        assert_eq!(fast.global_span(1_100_000), 1_000_000);
        assert_eq!(ClockModel::default().global_span(42), 42);
    }
}
