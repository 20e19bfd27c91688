//! The explorer's reference models: state counts equal to those
//! `../shared/reference/models.md` and issue 8 give (TLC and stateright
//! 0.31 on the identical models), under BFS and DFS, with 1 and 2 jobs.

use scenarios::models::paxos::PaxosModel;
use scenarios::models::two_pc::{BuggyTwoPhaseSys, TwoPhaseSys};
use scenarios::models::{self, Params};
use sim_core::explore::{check, Completion, Options, Status};

/// models.md 2b / the acceptance table: unique states for rms = 3..7.
const TWO_PC: [(usize, u64); 5] = [(3, 288), (4, 1_568), (5, 8_832), (6, 50_816), (7, 296_448)];

#[test]
fn two_pc_state_counts_match_tlc_and_stateright() {
    for (rms, unique) in TWO_PC {
        let model = TwoPhaseSys::new(rms).unwrap();
        let bfs = check(&model, &Options::bfs());
        assert_eq!(bfs.unique_states, unique, "rms={rms} bfs");
        assert_eq!(bfs.completion, Completion::Complete);
        assert_eq!(bfs.max_depth, 3 * rms as u64 + 2, "rms={rms}: BFS depth is 3n+2");
        assert_eq!(bfs.exit_code(), 0);
        assert_eq!(bfs.verdict("consistent").unwrap().status, Status::Holds);
        assert_eq!(bfs.verdict("abort agreement").unwrap().status, Status::Reached);
        assert_eq!(bfs.verdict("commit agreement").unwrap().status, Status::Reached);
        if rms <= 6 {
            let dfs = check(&model, &Options::dfs());
            assert_eq!((dfs.unique_states, dfs.transitions), (unique, bfs.transitions), "rms={rms} dfs");
            let two = check(&model, &Options::bfs().jobs(2));
            assert_eq!((two.unique_states, two.transitions, two.max_depth), (unique, bfs.transitions, bfs.max_depth));
        }
    }
    // total = 1 + sum of enabled transitions (self-loops included): 1,146 for 3 RMs.
    assert_eq!(check(&TwoPhaseSys::new(3).unwrap(), &Options::bfs()).transitions, 1_146);
}

#[test]
fn two_pc_seven_rms_with_two_jobs_and_dfs() {
    let model = TwoPhaseSys::new(7).unwrap();
    let two = check(&model, &Options::bfs().jobs(2));
    let dfs = check(&model, &Options::dfs());
    assert_eq!(two.unique_states, 296_448);
    assert_eq!(dfs.unique_states, 296_448);
    assert_eq!(two.transitions, dfs.transitions);
}

#[test]
fn symmetry_reduces_two_pc_and_never_changes_a_verdict() {
    for rms in 2..=6 {
        let model = TwoPhaseSys::new(rms).unwrap();
        let plain = check(&model, &Options::bfs());
        let sym = check(&model, &Options::bfs().symmetry(true));
        assert!(sym.unique_states < plain.unique_states, "rms={rms}: {} vs {}", sym.unique_states, plain.unique_states);
        let statuses = |r: &sim_core::explore::Report<TwoPhaseSys>| {
            r.verdicts.iter().map(|v| v.status.clone()).collect::<Vec<_>>()
        };
        assert_eq!(statuses(&plain), statuses(&sym));
        let sym_dfs = check(&model, &Options::dfs().symmetry(true));
        assert_eq!(sym_dfs.unique_states, sym.unique_states);

        let buggy = BuggyTwoPhaseSys { inner: model };
        let plain = check(&buggy, &Options::bfs());
        let sym = check(&buggy, &Options::bfs().symmetry(true));
        assert_eq!(plain.verdicts[0].status, Status::Violated);
        assert_eq!(sym.verdicts[0].status, Status::Violated);
        assert_eq!(plain.verdicts[0].path.as_ref().unwrap().len(), sym.verdicts[0].path.as_ref().unwrap().len());
    }
    // 3 RMs: 288 states, 92 up to permutation of the RMs.
    let sym = check(&TwoPhaseSys::new(3).unwrap(), &Options::bfs().symmetry(true));
    assert!(sym.unique_states < 288);
}

#[test]
fn buggy_two_pc_gives_a_shortest_counterexample() {
    let model = BuggyTwoPhaseSys { inner: TwoPhaseSys::new(3).unwrap() };
    let bfs = check(&model, &Options::bfs());
    let v = &bfs.verdicts[0];
    assert_eq!(v.status, Status::Violated);
    let path = v.path.as_ref().unwrap();
    // RmPrepare(0), RmChooseToAbort(1), RmCommitAlone(0): nothing shorter breaks it.
    assert_eq!(path.len(), 3);
    let dfs = check(&model, &Options::dfs());
    assert!(dfs.verdicts[0].path.as_ref().unwrap().len() >= 3);
    assert_eq!(bfs.exit_code(), 1);
}

#[test]
fn paxos_state_counts_match_stateright() {
    for (clients, unique) in [(1, 265u64), (2, 16_668)] {
        let model = PaxosModel::new(clients).unwrap();
        for options in [Options::bfs(), Options::dfs(), Options::bfs().jobs(2)] {
            let r = check(&model, &options);
            assert_eq!(r.unique_states, unique, "clients={clients} {:?} jobs {}", options.strategy, options.jobs);
            assert_eq!(r.verdict("linearizable").unwrap().status, Status::Holds);
            assert_eq!(r.verdict("value chosen").unwrap().status, Status::Reached);
            assert_eq!(r.exit_code(), 0);
        }
    }
}

#[test]
fn paxos_ignore_accepted_breaks_linearizability_with_a_shortest_path() {
    let mut model = PaxosModel::new(2).unwrap();
    model.ignore_accepted = true;
    let bfs = check(&model, &Options::bfs());
    let v = bfs.verdict("linearizable").unwrap();
    assert_eq!(v.status, Status::Violated);
    let path = v.path.as_ref().unwrap();
    // BFS: the counterexample's states are max_depth or fewer, and no other strategy does better.
    assert!((path.len() as u64) < bfs.max_depth);
    assert_eq!(PaxosModel::decided_values(path.last_state()).len(), 2, "two different values decided");
    let two = check(&model, &Options::bfs().jobs(2));
    assert_eq!(two.verdict("linearizable").unwrap().path.as_ref().unwrap().actions(), path.actions());
    let dfs = check(&model, &Options::dfs());
    assert!(dfs.verdict("linearizable").unwrap().path.as_ref().unwrap().len() >= path.len());
    // One client cannot expose it: a single value is ever proposed.
    let mut one = PaxosModel::new(1).unwrap();
    one.ignore_accepted = true;
    assert_eq!(check(&one, &Options::bfs()).exit_code(), 0);
}

#[test]
fn models_by_name_with_errors_naming_the_parameter() {
    let s = models::check("2pc-model", &Params { rms: Some(4), ..Params::default() }, &Options::bfs()).unwrap();
    assert_eq!((s.unique_states, s.exit_code), (1_568, 0));
    let e = models::check("2pc-model", &Params { clients: Some(2), ..Params::default() }, &Options::bfs()).unwrap_err();
    assert!(e.contains("--clients"), "{e}");
    let e = models::check("2pc-model", &Params { rms: Some(0), ..Params::default() }, &Options::bfs()).unwrap_err();
    assert!(e.contains("--rms"), "{e}");
    let e = models::check("paxos-model", &Params { bug: Some("nope".into()), ..Params::default() }, &Options::bfs())
        .unwrap_err();
    assert!(e.contains("--bug"), "{e}");
    let e = models::check("no-such-model", &Params::default(), &Options::bfs()).unwrap_err();
    assert!(e.contains("2pc-model"), "{e}");
    // An actor model: the echo bug is found, and its path replays into a trace.
    let s =
        models::check("echo-actors", &Params { bug: Some("double-pong".into()), ..Params::default() }, &Options::bfs())
            .unwrap();
    assert_eq!(s.exit_code, 1);
    assert_eq!(s.verdicts[0].path_length, Some(4));
    assert!(s.trace.unwrap().iter().any(|e| e.kind == sim_core::TraceKind::Violation));
    // Correct echo is infinite: a depth budget makes it unknown.
    let s = models::check("echo-actors", &Params::default(), &Options::bfs().max_depth(8)).unwrap();
    assert_eq!(s.exit_code, 3);
}

#[test]
fn raft_actors_correct_raft_is_clean_within_a_budget() {
    // Small and depth-bounded: whatever BFS finds within the budget is shortest;
    // the correct Raft must not be violated within the same budget.
    let correct = models::check(
        "raft-actors",
        &Params { nodes: Some(3), ..Params::default() },
        &Options::bfs().max_states(20_000),
    )
    .unwrap();
    assert_ne!(correct.exit_code, 1, "{:?}", correct.verdicts);
}
