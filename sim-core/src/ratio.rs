//! Probabilities as exact fractions: no floating point in decisions.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A probability `numerator / denominator` (0 ≤ numerator ≤ denominator, denominator > 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ratio {
    pub numerator: u32,
    pub denominator: u32,
}

impl Ratio {
    pub const ZERO: Ratio = Ratio { numerator: 0, denominator: 1 };
    pub const ONE: Ratio = Ratio { numerator: 1, denominator: 1 };

    pub const fn new(numerator: u32, denominator: u32) -> Ratio {
        Ratio { numerator, denominator }
    }

    /// `percent` out of a hundred.
    pub const fn percent(percent: u32) -> Ratio {
        Ratio { numerator: percent, denominator: 100 }
    }

    pub fn is_zero(&self) -> bool {
        self.numerator == 0
    }

    /// Checks the fraction is a probability; the message names the problem.
    pub fn validate(&self) -> Result<(), String> {
        if self.denominator == 0 {
            return Err("denominator must be positive".into());
        }
        if self.numerator > self.denominator {
            return Err(format!("{}/{} is more than 1", self.numerator, self.denominator));
        }
        Ok(())
    }

    /// Parses `10%`, `1/8`, `0.1` (decimal with up to 6 places) or `0`.
    pub fn parse(text: &str) -> Result<Ratio, String> {
        let t = text.trim();
        let r = if let Some(p) = t.strip_suffix('%') {
            let (n, d) = parse_decimal(p.trim()).ok_or_else(|| format!("`{text}` is not a percentage"))?;
            Ratio::new(n, d.checked_mul(100).ok_or("too many decimals")?)
        } else if let Some((n, d)) = t.split_once('/') {
            let n = n.trim().parse().map_err(|_| format!("`{text}`: bad numerator"))?;
            let d = d.trim().parse().map_err(|_| format!("`{text}`: bad denominator"))?;
            Ratio::new(n, d)
        } else {
            let (n, d) =
                parse_decimal(t).ok_or_else(|| format!("`{text}` is not a probability (use 10%, 1/8 or 0.1)"))?;
            Ratio::new(n, d)
        };
        r.validate().map_err(|e| format!("`{text}`: {e}"))?;
        Ok(r)
    }
}

fn parse_decimal(t: &str) -> Option<(u32, u32)> {
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() && frac.is_empty() || frac.len() > 6 {
        return None;
    }
    if !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let denom = 10u32.pow(frac.len() as u32);
    let int: u32 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac_v: u32 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
    Some((int.checked_mul(denom)?.checked_add(frac_v)?, denom))
}

impl Default for Ratio {
    fn default() -> Self {
        Ratio::ZERO
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms() {
        assert_eq!(Ratio::parse("10%").unwrap(), Ratio::new(10, 100));
        assert_eq!(Ratio::parse("1/8").unwrap(), Ratio::new(1, 8));
        assert_eq!(Ratio::parse("0.25").unwrap(), Ratio::new(25, 100));
        assert_eq!(Ratio::parse("0").unwrap(), Ratio::new(0, 1));
        assert!(Ratio::parse("150%").is_err());
        assert!(Ratio::parse("1/0").is_err());
        assert!(Ratio::parse("abc").is_err());
        assert!(Ratio::parse("-1").is_err());
    }
}
