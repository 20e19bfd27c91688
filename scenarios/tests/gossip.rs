//! Gossip: the causal store's histories are causally consistent (CC and
//! CCv) and its replicas converge, over 500 seeds, on lossy links and under
//! partitions; the eventual (last-writer-wins) store converges over 500
//! seeds but is not causally consistent; the `no-deps` bug is caught within
//! 200 seeds, by its invariant and by the causal checker alone.

use scenarios::{check, first_seed_where, first_seed_where_in, registry, RunReport, Verdict};
use sim_core::{Fault, FaultSchedule, NodeId, ScheduledFault, NANOS_PER_SEC};

const THREADS: usize = 2;

fn assert_clean(scenario: &str, seeds: u64) {
    let found = first_seed_where(scenario, 1..seeds + 1, THREADS, |r| r.verdict != Verdict::Held || !quiet_end(r));
    if let Some((seed, report)) = found {
        panic!(
            "{scenario} seed {seed}: verdict {:?}: {:?} {:?} (quiet end: {})\nreplay: faultline run {scenario} --seed {seed} --trace",
            report.verdict,
            report.findings,
            report.unknown,
            quiet_end(&report)
        );
    }
}

/// Convergence was judged: the run went on for at least a second after the
/// last client operation and the last fault.
fn quiet_end(r: &RunReport) -> bool {
    let last_op = r.history.events.iter().filter_map(|e| e.time).max().unwrap_or(0);
    let last_fault = r.schedule.faults.iter().map(|f| f.at_ns).max().unwrap_or(0);
    r.result.stats.sim_time_ns >= last_op.max(last_fault) + NANOS_PER_SEC
}

#[test]
fn causal_gossip_is_cc_ccv_and_converges_on_lossy_links_500_seeds() {
    assert_clean("gossip-causal", 500);
}

#[test]
fn causal_gossip_is_cc_ccv_and_converges_after_partitions_500_seeds() {
    assert_clean("gossip-partition", 500);
}

#[test]
fn eventual_gossip_converges_500_seeds() {
    assert_clean("gossip-eventual", 500);
}

#[test]
fn bug_no_deps_breaks_causal_delivery() {
    let found = first_seed_where("gossip-no-deps", 1..201, THREADS, |r| r.verdict == Verdict::Violation);
    let (seed, report) = found.expect("gossip-no-deps: no violation in seeds 1..=200");
    let finding = &report.findings[0];
    assert!(["causal-delivery", "causal"].contains(&finding.name.as_str()), "seed {seed}: {finding:?}");
    eprintln!("gossip-no-deps: caught at seed {seed}: {} — {}", finding.name, finding.detail);
}

/// The causal checker on its own (invariants off) sees the bug in what
/// clients read.
#[test]
fn causal_checker_alone_catches_no_deps_within_200_seeds() {
    let mut scenario = registry::find("gossip-no-deps").unwrap();
    scenario.invariants = false;
    let found = first_seed_where_in(&scenario, 1..201, THREADS, |r| r.verdict == Verdict::Violation);
    let (seed, report) = found.expect("a causally inconsistent history within 200 seeds");
    assert_eq!(report.findings[0].name, "causal", "seed {seed}: {:?}", report.findings);
    eprintln!("gossip-no-deps without invariants: seed {seed}: {}", report.findings[0].detail);
}

/// What the eventual store does not promise: judged for CC and CCv, some of
/// its histories show an effect before its cause.
#[test]
fn eventual_gossip_is_not_causally_consistent() {
    let mut scenario = registry::find("gossip-eventual").unwrap();
    scenario.checkers = vec!["causal".into()];
    let found = first_seed_where_in(&scenario, 1..201, THREADS, |r| r.verdict == Verdict::Violation);
    let (seed, report) = found.expect("a causally inconsistent eventual history within 200 seeds");
    assert_eq!(report.findings[0].name, "causal", "seed {seed}: {:?}", report.findings);
    eprintln!("gossip-eventual judged for causality: seed {seed}: {}", report.findings[0].detail);
}

/// The end-of-run check does find replicas that never heard from each
/// other: a partition that never heals. The history is still causal.
#[test]
fn convergence_check_catches_a_partition_that_never_heals() {
    let mut scenario = registry::find("gossip-causal").unwrap();
    let side = |ids: &[u32]| ids.iter().map(|&i| NodeId(i)).collect::<Vec<_>>();
    scenario.faults = FaultSchedule::new(vec![ScheduledFault {
        at_ns: NANOS_PER_SEC,
        fault: Fault::Partition { groups: vec![side(&[0, 1]), side(&[2, 3, 4])] },
    }]);
    for seed in 1..=5 {
        let report = scenarios::run(&scenario, &sim_core::ChoiceSource::Seed(seed), &Default::default()).unwrap();
        let names: Vec<&str> = report.findings.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, vec!["convergence"], "seed {seed}: {:?}", report.findings);
    }
}

#[test]
fn every_client_operation_completes_at_its_replica() {
    for seed in 1..=5 {
        let r = check("gossip-partition", seed);
        let infos = r.history.events.iter().filter(|e| e.kind == checkers::EventType::Info).count();
        assert_eq!(infos, 0, "seed {seed}: replicas answer at once, even when partitioned");
        assert!(r.history.len() >= 500, "seed {seed}: {} events", r.history.len());
    }
}
