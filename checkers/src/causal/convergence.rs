//! Eventual convergence: after the last fault heals and a quiet period, every
//! replica holds the same value per key. Judged on the replicas' final states
//! (the simulator hands them over); a key missing on one replica and present
//! on another counts as a difference.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

/// A key on which replicas disagree, with each replica's value (`None` = absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Divergence<R, K, V> {
    pub key: K,
    pub values: Vec<(R, Option<V>)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConvergenceReport<R, K, V> {
    pub replicas: usize,
    pub keys: usize,
    /// Keys whose values differ, in key order.
    pub divergent: Vec<Divergence<R, K, V>>,
}

impl<R, K, V> ConvergenceReport<R, K, V> {
    pub fn converged(&self) -> bool {
        self.divergent.is_empty()
    }
}

/// Compares the final key → value maps of all replicas.
pub fn check_convergence<R, K, V>(replicas: &BTreeMap<R, BTreeMap<K, V>>) -> ConvergenceReport<R, K, V>
where
    R: Ord + Clone + Debug,
    K: Ord + Clone + Debug,
    V: PartialEq + Clone + Debug,
{
    let keys: BTreeSet<&K> = replicas.values().flat_map(|m| m.keys()).collect();
    let mut divergent = Vec::new();
    for &key in &keys {
        let values: Vec<(R, Option<V>)> = replicas.iter().map(|(r, m)| (r.clone(), m.get(key).cloned())).collect();
        let first = &values[0].1;
        if values.iter().any(|(_, v)| v != first) {
            divergent.push(Divergence { key: key.clone(), values });
        }
    }
    ConvergenceReport { replicas: replicas.len(), keys: keys.len(), divergent }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_only_keys_that_differ() {
        let mut replicas: BTreeMap<u32, BTreeMap<&str, i64>> = BTreeMap::new();
        replicas.insert(0, [("x", 1), ("y", 2), ("z", 3)].into_iter().collect());
        replicas.insert(1, [("x", 1), ("y", 5)].into_iter().collect());
        let report = check_convergence(&replicas);
        assert!(!report.converged());
        assert_eq!(report.keys, 3);
        let keys: Vec<_> = report.divergent.iter().map(|d| d.key).collect();
        assert_eq!(keys, vec!["y", "z"]);
        assert_eq!(report.divergent[1].values, vec![(0, Some(3)), (1, None)]);
        replicas.insert(1, replicas[&0].clone());
        assert!(check_convergence(&replicas).converged());
        assert!(check_convergence::<u32, &str, i64>(&BTreeMap::new()).converged());
    }
}
