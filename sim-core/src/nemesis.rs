//! The nemesis (Jepsen's word): draws a fault schedule from the seed.
//!
//! The schedule is drawn once, before the run, from the `Faults` stream, and
//! written out with the run, so a person can read exactly what happened and
//! edit it into an explicit schedule. Fault episodes may overlap: a new one
//! starts every `interval`, lasts `duration`, and then is undone (recover,
//! heal, clock reset). At `end_ns` everything is healed and recovered, so
//! liveness after the last fault can be judged.

use crate::choices::{Choices, Stream};
use crate::clock::ClockModel;
use crate::fault::{Fault, FaultSchedule, ScheduledFault};
use crate::ids::NodeId;
use crate::time::{Time, NANOS_PER_MILLI, NANOS_PER_SEC};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Nemesis {
    /// Crash nodes.
    pub crash: bool,
    /// Crashed nodes come back from their durable state (crash-recovery);
    /// when false, crashes are crash-stop.
    pub recover: bool,
    /// Symmetric partitions into two random sides.
    pub partition: bool,
    /// One-way partitions.
    pub one_way: bool,
    /// Cut one random node off from all others.
    pub isolate: bool,
    /// Clock offsets and drift.
    pub clock: bool,
    /// Crash whichever node leads at that moment (then recover all).
    pub crash_leader: bool,
    /// Cut the current leader off from the other nodes (then heal).
    pub isolate_leader: bool,
    /// At most this many nodes down at once; `None` = a minority, (n-1)/2.
    pub max_down: Option<usize>,
    pub start_ns: Time,
    pub end_ns: Time,
    pub interval_min_ns: Time,
    pub interval_max_ns: Time,
    pub duration_min_ns: Time,
    pub duration_max_ns: Time,
    pub clock_offset_max_ns: u64,
    pub clock_drift_max_ppm: u32,
    /// Swarm testing (as in TigerBeetle's simulator): before drawing the
    /// schedule, draw from the seed which of the enabled fault kinds this run
    /// uses (each kept with probability 1/2, so some runs are calm), a weight
    /// 1..=4 for each, and how far apart episodes are (the intervals scaled by
    /// 1, 2, 4 or 8). Off by default, so existing seeds keep their meaning.
    #[serde(skip_serializing_if = "is_false")]
    pub swarm: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Default for Nemesis {
    fn default() -> Self {
        Nemesis {
            crash: false,
            recover: true,
            partition: false,
            one_way: false,
            isolate: false,
            clock: false,
            crash_leader: false,
            isolate_leader: false,
            max_down: None,
            start_ns: NANOS_PER_SEC,
            end_ns: 8 * NANOS_PER_SEC,
            interval_min_ns: 300 * NANOS_PER_MILLI,
            interval_max_ns: 1500 * NANOS_PER_MILLI,
            duration_min_ns: 200 * NANOS_PER_MILLI,
            duration_max_ns: 2 * NANOS_PER_SEC,
            clock_offset_max_ns: 200 * NANOS_PER_MILLI,
            clock_drift_max_ppm: 1000,
            swarm: false,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Crash,
    Partition,
    OneWay,
    Isolate,
    Clock,
    CrashLeader,
    IsolateLeader,
}

impl Nemesis {
    pub fn is_quiet(&self) -> bool {
        !(self.crash
            || self.partition
            || self.one_way
            || self.isolate
            || self.clock
            || self.crash_leader
            || self.isolate_leader)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.start_ns > self.end_ns {
            return Err(format!("nemesis.start_ns {} is after end_ns {}", self.start_ns, self.end_ns));
        }
        if self.interval_min_ns == 0 || self.interval_min_ns > self.interval_max_ns {
            return Err("nemesis.interval_min_ns must be positive and at most interval_max_ns".into());
        }
        if self.duration_min_ns > self.duration_max_ns {
            return Err("nemesis.duration_min_ns is above duration_max_ns".into());
        }
        if self.clock_drift_max_ppm >= 500_000 {
            return Err("nemesis.clock_drift_max_ppm must be below 500000".into());
        }
        Ok(())
    }

    /// Draws a schedule for a cluster of `nodes` nodes.
    pub fn generate(&self, nodes: usize, choices: &mut Choices) -> FaultSchedule {
        let mut kinds = Vec::new();
        if self.crash {
            kinds.push(Kind::Crash);
        }
        if self.partition {
            kinds.push(Kind::Partition);
        }
        if self.one_way {
            kinds.push(Kind::OneWay);
        }
        if self.isolate {
            kinds.push(Kind::Isolate);
        }
        if self.clock {
            kinds.push(Kind::Clock);
        }
        if self.crash_leader {
            kinds.push(Kind::CrashLeader);
        }
        if self.isolate_leader {
            kinds.push(Kind::IsolateLeader);
        }
        let mut out = Vec::new();
        if kinds.is_empty() || nodes == 0 {
            return FaultSchedule::new(out);
        }
        let s = Stream::Faults;
        let mut spacing = 1;
        if self.swarm {
            // Which kinds, how often each (a kind listed w times is drawn w
            // times as often), and how calm: all from the seed, first.
            let mut swarm = Vec::new();
            for &kind in &kinds {
                if choices.draw(s, 2) == 1 {
                    let weight = 1 + choices.draw(s, 4) as usize;
                    swarm.extend(std::iter::repeat_n(kind, weight));
                }
            }
            spacing = 1u64 << choices.draw(s, 4);
            kinds = swarm;
            if kinds.is_empty() {
                return FaultSchedule::new(out);
            }
        }
        let (interval_min_ns, interval_max_ns) =
            (self.interval_min_ns.saturating_mul(spacing), self.interval_max_ns.saturating_mul(spacing));
        let max_down = self.max_down.unwrap_or((nodes - 1) / 2);
        // When each node is back up (u64::MAX: crash-stop, never).
        let mut down_until: Vec<Option<Time>> = vec![None; nodes];
        let mut cut_until: Time = 0;
        let mut any_cut = false;
        // Crash-leader episodes: which node they hit is only known at run
        // time, so each counts as one node down until its recovery.
        let mut leader_down_until: Vec<Time> = Vec::new();
        let mut t = self.start_ns + choices.range(s, 0, interval_max_ns - interval_min_ns);
        while t < self.end_ns {
            for d in down_until.iter_mut() {
                if matches!(d, Some(u) if *u <= t) {
                    *d = None;
                }
            }
            leader_down_until.retain(|u| *u > t);
            let kind = kinds[choices.index(s, kinds.len())];
            let duration = choices.range(s, self.duration_min_ns, self.duration_max_ns);
            let until = (t + duration).min(self.end_ns);
            match kind {
                Kind::Crash => {
                    let up: Vec<usize> = (0..nodes).filter(|&i| down_until[i].is_none()).collect();
                    let down = nodes - up.len() + leader_down_until.len();
                    if down < max_down && !up.is_empty() {
                        let victim = up[choices.index(s, up.len())];
                        let node = NodeId(victim as u32);
                        out.push(ScheduledFault { at_ns: t, fault: Fault::Crash { node } });
                        if self.recover {
                            out.push(ScheduledFault { at_ns: until, fault: Fault::Recover { node } });
                            down_until[victim] = Some(until);
                        } else {
                            down_until[victim] = Some(Time::MAX);
                        }
                    }
                }
                Kind::CrashLeader => {
                    let down = down_until.iter().filter(|d| d.is_some()).count() + leader_down_until.len();
                    if down < max_down {
                        out.push(ScheduledFault { at_ns: t, fault: Fault::CrashLeader });
                        if self.recover {
                            out.push(ScheduledFault { at_ns: until, fault: Fault::RecoverAll });
                            leader_down_until.push(until);
                        } else {
                            leader_down_until.push(Time::MAX);
                        }
                    }
                }
                Kind::IsolateLeader if t >= cut_until => {
                    out.push(ScheduledFault { at_ns: t, fault: Fault::IsolateLeader });
                    out.push(ScheduledFault { at_ns: until, fault: Fault::Heal });
                    cut_until = until;
                    any_cut = true;
                }
                Kind::Partition | Kind::OneWay | Kind::Isolate if t >= cut_until => {
                    let mut order: Vec<NodeId> = (0..nodes as u32).map(NodeId).collect();
                    choices.shuffle(s, &mut order);
                    let fault = match kind {
                        Kind::Isolate => Fault::Isolate { node: order[0] },
                        _ => {
                            let split = 1 + choices.index(s, (nodes - 1).max(1));
                            let (a, b) = order.split_at(split.min(nodes));
                            let (mut a, mut b) = (a.to_vec(), b.to_vec());
                            a.sort();
                            b.sort();
                            if kind == Kind::Partition {
                                Fault::Partition { groups: vec![a, b] }
                            } else {
                                Fault::PartitionOneWay { from: a, to: b }
                            }
                        }
                    };
                    out.push(ScheduledFault { at_ns: t, fault });
                    out.push(ScheduledFault { at_ns: until, fault: Fault::Heal });
                    cut_until = until;
                    any_cut = true;
                }
                Kind::Clock => {
                    let node = NodeId(choices.index(s, nodes) as u32);
                    let offset =
                        choices.range(s, 0, 2 * self.clock_offset_max_ns) as i64 - self.clock_offset_max_ns as i64;
                    let drift = choices.range(s, 0, 2 * self.clock_drift_max_ppm as u64) as i32
                        - self.clock_drift_max_ppm as i32;
                    let clock = ClockModel { offset_ns: offset, drift_ppm: drift };
                    out.push(ScheduledFault { at_ns: t, fault: Fault::ClockSkew { node, clock } });
                    out.push(ScheduledFault {
                        at_ns: until,
                        fault: Fault::ClockSkew { node, clock: ClockModel::default() },
                    });
                }
                _ => {}
            }
            t += choices.range(s, interval_min_ns, interval_max_ns);
        }
        if any_cut {
            out.push(ScheduledFault { at_ns: self.end_ns, fault: Fault::Heal });
        }
        if self.recover {
            for (i, d) in down_until.iter().enumerate() {
                if matches!(d, Some(u) if *u > self.end_ns) {
                    out.push(ScheduledFault { at_ns: self.end_ns, fault: Fault::Recover { node: NodeId(i as u32) } });
                }
            }
        }
        FaultSchedule::new(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn respects_max_down_and_is_deterministic() {
        let n = Nemesis { crash: true, recover: false, partition: true, ..Nemesis::default() };
        let a = n.generate(5, &mut Choices::seeded(4));
        let b = n.generate(5, &mut Choices::seeded(4));
        assert_eq!(a, b);
        assert!(a.validate(5).is_ok());
        let crashes = a.faults.iter().filter(|f| matches!(f.fault, Fault::Crash { .. })).count();
        assert!(crashes <= 2, "crash-stop with 5 nodes keeps a majority: {crashes}");
        assert!(a.faults.iter().any(|f| matches!(f.fault, Fault::Partition { .. })));
    }

    #[test]
    fn swarm_draws_calm_and_violent_worlds_and_is_off_by_default() {
        let plain = Nemesis { crash: true, partition: true, clock: true, ..Nemesis::default() };
        assert!(!plain.swarm);
        assert!(!serde_json::to_string(&plain).unwrap().contains("swarm"), "default form unchanged");
        let swarm = Nemesis { swarm: true, ..plain.clone() };
        let sizes: Vec<usize> = (0..64).map(|seed| swarm.generate(5, &mut Choices::seeded(seed)).len()).collect();
        assert!(sizes.contains(&0), "some swarm worlds are calm: {sizes:?}");
        let kinds = |seed| {
            let mut k: Vec<&str> =
                swarm.generate(5, &mut Choices::seeded(seed)).faults.iter().map(|f| f.fault.kind()).collect();
            k.sort();
            k.dedup();
            k
        };
        let distinct: std::collections::BTreeSet<Vec<&str>> = (0..64).map(kinds).collect();
        assert!(distinct.len() >= 4, "swarm varies the fault kinds: {distinct:?}");
        for seed in 0..16 {
            assert_eq!(swarm.generate(5, &mut Choices::seeded(seed)), swarm.generate(5, &mut Choices::seeded(seed)));
            assert!(swarm.generate(5, &mut Choices::seeded(seed)).validate(5).is_ok());
        }
    }
}
