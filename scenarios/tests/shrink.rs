//! Shrinking each Raft and Paxos bug variant's first finding (the first
//! failing seed, as `tests/raft.rs` and `tests/paxos.rs` find them): the
//! shrunk repro shows the same violation, replays bit for bit from its JSON,
//! and has at most half the events of the original. Figures are printed
//! (`cargo test -p scenarios --test shrink -- --nocapture`).

use scenarios::repro::Repro;
use scenarios::shrink::{shrink_report, ShrinkOptions};
use scenarios::{registry, Verdict};
use sim_core::{ChoiceSource, TraceLevel};

fn shrinks_to_half_the_events_or_less(name: &str) {
    let scenario = registry::find(name).unwrap();
    assert!(scenario.bug.is_some(), "{name} is a bug variant");
    let (seed, report) = scenarios::first_seed_where(name, 1..300, 1, |r| r.verdict == Verdict::Violation)
        .unwrap_or_else(|| panic!("{name}: no finding in seeds 1..300"));
    let shrunk = shrink_report(&report, &ShrinkOptions::default()).unwrap();
    let (b, a) = (shrunk.before, shrunk.after);
    eprintln!(
        "{name} seed {seed}: {} {}: events {} -> {}, faults {} -> {}, operations {} -> {}, draws {} -> {} ({} runs)",
        shrunk.kind,
        shrunk.name,
        b.events,
        a.events,
        b.faults,
        a.faults,
        b.operations,
        a.operations,
        b.draws,
        a.draws,
        shrunk.runs
    );
    // The same violation as the original's first finding.
    let first = &report.findings[0];
    assert_eq!((&shrunk.kind, &shrunk.name), (&first.kind, &first.name), "{name}");
    assert!(shrunk.repro.findings.iter().any(|f| f.kind == first.kind && f.name == first.name), "{name}");
    assert!(matches!(shrunk.repro.choices, ChoiceSource::Tapes(_)), "{name}: a per-lane tape repro");
    // At most half the events of the original run.
    assert_eq!(b.events, report.result.stats.events, "{name}");
    assert_eq!(a.events, shrunk.repro.events, "{name}");
    assert!(2 * a.events <= b.events, "{name}: {} -> {} events", b.events, a.events);
    // The file replays bit for bit, with the same violation, as `faultline replay` would.
    assert!(shrunk.replays, "{name}");
    let parsed = Repro::parse(&shrunk.repro.to_json()).unwrap();
    let replay = parsed.replay(TraceLevel::HashOnly).unwrap();
    assert!(replay.identical, "{name}: {:?}", replay.explanation);
    assert_eq!(replay.report.trace_hash_hex(), shrunk.repro.trace_hash, "{name}");
    assert_eq!(replay.report.result.stats.events, a.events, "{name}");
    assert!(replay.report.findings.iter().any(|f| f.kind == first.kind && f.name == first.name), "{name}");
}

#[test]
fn raft_no_log_check() {
    shrinks_to_half_the_events_or_less("raft-no-log-check");
}

#[test]
fn raft_commit_old_term() {
    shrinks_to_half_the_events_or_less("raft-commit-old-term");
}

#[test]
fn raft_forget_vote() {
    shrinks_to_half_the_events_or_less("raft-forget-vote");
}

#[test]
fn paxos_ignore_accepted() {
    shrinks_to_half_the_events_or_less("paxos-ignore-accepted");
}

#[test]
fn paxos_forget_promise() {
    shrinks_to_half_the_events_or_less("paxos-forget-promise");
}

#[test]
fn multi_paxos_ignore_accepted() {
    shrinks_to_half_the_events_or_less("multi-paxos-ignore-accepted");
}

#[test]
fn multi_paxos_forget_promise() {
    shrinks_to_half_the_events_or_less("multi-paxos-forget-promise");
}

/// Every Raft and Paxos bug variant among the built-in scenarios has its test above.
#[test]
fn every_raft_and_paxos_bug_scenario_is_covered() {
    let covered = [
        "raft-no-log-check",
        "raft-commit-old-term",
        "raft-forget-vote",
        "paxos-ignore-accepted",
        "paxos-forget-promise",
        "multi-paxos-ignore-accepted",
        "multi-paxos-forget-promise",
    ];
    for s in registry::builtin() {
        if s.bug.is_some() && ["raft", "paxos", "multi-paxos"].contains(&s.protocol.as_str()) {
            assert!(covered.contains(&s.name.as_str()), "{} has no shrinking test", s.name);
        }
    }
}
