//! Seed ranges and shards: which seeds a campaign (or one shard of it) runs.
//!
//! A shard `I/N` (0-based, like Kubernetes' `JOB_COMPLETION_INDEX`) takes
//! every N-th seed of the range starting at the I-th: seeds `start + I`,
//! `start + I + N`, ... Interleaving rather than cutting the range into blocks
//! works for open-ended (`--time`) campaigns too, keeps shards equally busy
//! when cost varies along the range, and partitions the seeds exactly: the N
//! shards together run every seed once.

use std::fmt;

/// Seeds `start..end` (`end` = `None`: open-ended, for `--time` campaigns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRange {
    pub start: u64,
    pub end: Option<u64>,
}

impl SeedRange {
    /// Parses `A..B` (B excluded), `A..=B` (B included), `A..` (open) or `N` (one seed).
    pub fn parse(text: &str) -> Result<SeedRange, String> {
        let t = text.trim();
        let num = |s: &str, what: &str| -> Result<u64, String> {
            s.trim()
                .replace('_', "")
                .parse::<u64>()
                .map_err(|_| format!("`{text}`: the {what} `{s}` is not a whole number in 0..=18446744073709551615"))
        };
        let range = if let Some((a, b)) = t.split_once("..=") {
            let (a, b) = (num(a, "start")?, num(b, "end")?);
            let end = b.checked_add(1).ok_or_else(|| format!("`{text}`: the end is too large"))?;
            SeedRange { start: a, end: Some(end) }
        } else if let Some((a, b)) = t.split_once("..") {
            let start = num(a, "start")?;
            if b.trim().is_empty() {
                SeedRange { start, end: None }
            } else {
                SeedRange { start, end: Some(num(b, "end")?) }
            }
        } else {
            let n = num(t, "seed")?;
            SeedRange { start: n, end: Some(n.checked_add(1).ok_or_else(|| format!("`{text}`: too large"))?) }
        };
        if let Some(end) = range.end {
            if end <= range.start {
                return Err(format!("`{text}` is empty (write A..B with A < B; B is excluded, A..=B includes it)"));
            }
        }
        Ok(range)
    }

    /// How many seeds the whole range has (`None` when open-ended).
    pub fn len(&self) -> Option<u64> {
        self.end.map(|e| e - self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.end {
            Some(e) => write!(f, "{}..{}", self.start, e),
            None => write!(f, "{}..", self.start),
        }
    }
}

/// Shard `index` of `count` (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 0, count: 1 }
    }
}

impl Shard {
    /// Parses `I/N` with `0 <= I < N`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (i, n) = text.split_once('/').ok_or_else(|| {
            format!("`{text}`: write the shard as I/N, e.g. 0/4 (the first of four; I counts from 0)")
        })?;
        let i: u64 = i.trim().parse().map_err(|_| format!("`{text}`: the shard index `{i}` is not a whole number"))?;
        let n: u64 = n.trim().parse().map_err(|_| format!("`{text}`: the shard count `{n}` is not a whole number"))?;
        if n == 0 {
            return Err(format!("`{text}`: the shard count must be at least 1"));
        }
        if i >= n {
            return Err(format!("`{text}`: the shard index must be below the count (0..{n}; it counts from 0)"));
        }
        Ok(Shard { index: i, count: n })
    }

    /// The `k`-th seed (0-based) of this shard of `range`, or `None` past its end.
    pub fn nth_seed(&self, range: &SeedRange, k: u64) -> Option<u64> {
        let offset = k.checked_mul(self.count)?.checked_add(self.index)?;
        let seed = range.start.checked_add(offset)?;
        match range.end {
            Some(end) if seed >= end => None,
            _ => Some(seed),
        }
    }

    /// How many seeds of `range` this shard runs (`None` when open-ended).
    pub fn seeds_in(&self, range: &SeedRange) -> Option<u64> {
        let len = range.len()?;
        Some(if len > self.index { (len - self.index).div_ceil(self.count) } else { 0 })
    }

    /// Whether `seed` belongs to this shard of `range`.
    pub fn contains(&self, range: &SeedRange, seed: u64) -> bool {
        seed >= range.start && range.end.is_none_or(|e| seed < e) && (seed - range.start) % self.count == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges_and_rejects_nonsense() {
        assert_eq!(SeedRange::parse("1..5").unwrap(), SeedRange { start: 1, end: Some(5) });
        assert_eq!(SeedRange::parse("1..=5").unwrap(), SeedRange { start: 1, end: Some(6) });
        assert_eq!(SeedRange::parse("7..").unwrap(), SeedRange { start: 7, end: None });
        assert_eq!(SeedRange::parse("9").unwrap().len(), Some(1));
        assert_eq!(SeedRange::parse("1_000..2_000").unwrap().len(), Some(1000));
        assert!(SeedRange::parse("5..5").unwrap_err().contains("empty"));
        assert!(SeedRange::parse("a..5").unwrap_err().contains("start"));
        assert!(SeedRange::parse("1..x").unwrap_err().contains("end"));
        assert!(SeedRange::parse("-1..4").is_err());
    }

    #[test]
    fn shards_partition_the_range_exactly() {
        let range = SeedRange::parse("10..47").unwrap();
        for n in 1..6 {
            let mut all = Vec::new();
            for i in 0..n {
                let shard = Shard { index: i, count: n };
                let seeds: Vec<u64> = (0..).map_while(|k| shard.nth_seed(&range, k)).collect();
                assert_eq!(seeds.len() as u64, shard.seeds_in(&range).unwrap());
                assert!(seeds.iter().all(|&s| shard.contains(&range, s)));
                all.extend(seeds);
            }
            all.sort();
            assert_eq!(all, (10..47).collect::<Vec<u64>>(), "{n} shards");
        }
        assert!(Shard::parse("4/4").is_err());
        assert!(Shard::parse("0/0").is_err());
        assert!(Shard::parse("3").is_err());
        assert_eq!(Shard::parse("2/8").unwrap(), Shard { index: 2, count: 8 });
    }
}
