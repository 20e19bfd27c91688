//! The explorer on small models whose answers are known by hand: counts,
//! BFS vs DFS, parallel BFS, budgets, `eventually` on cycles and terminal
//! states, and the actor adapter over a real protocol.

use sim_core::explore::actor::{ActorConfig, ActorModel, Network};
use sim_core::explore::{check, path_from_tape, path_to_tape, Completion, Model, Options, Property, Status};
use sim_core::testing::TokenBounce;
use sim_core::TraceKind;
use std::time::Duration;

/// (x, y) on an n x n grid, stepping right or up.
struct Grid {
    n: u32,
    /// `always` fails at this point, if any.
    forbidden: Option<(u32, u32)>,
}

impl Model for Grid {
    type State = (u32, u32);
    type Action = char;
    fn init_states(&self) -> Vec<(u32, u32)> {
        vec![(0, 0)]
    }
    fn actions(&self, s: &(u32, u32), actions: &mut Vec<char>) {
        if s.0 + 1 < self.n {
            actions.push('x');
        }
        if s.1 + 1 < self.n {
            actions.push('y');
        }
    }
    fn next_state(&self, s: &(u32, u32), a: char) -> Option<(u32, u32)> {
        Some(if a == 'x' { (s.0 + 1, s.1) } else { (s.0, s.1 + 1) })
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("not forbidden", |m: &Self, s: &(u32, u32)| Some(*s) != m.forbidden)]
    }
    /// x and y are interchangeable.
    fn canonical(&self, s: &(u32, u32)) -> Option<(u32, u32)> {
        Some((s.0.min(s.1), s.0.max(s.1)))
    }
}

fn grid(n: u32) -> Grid {
    Grid { n, forbidden: None }
}

#[test]
fn grid_counts_are_exact_under_bfs_and_dfs() {
    for n in [1u32, 2, 5, 40] {
        let expected_unique = (n * n) as u64;
        let expected_total = 1 + 2 * (n as u64) * (n as u64 - 1);
        for options in [Options::bfs(), Options::dfs()] {
            let r = check(&grid(n), &options);
            assert_eq!(r.unique_states, expected_unique, "n={n} {:?}", options.strategy);
            assert_eq!(r.transitions, expected_total, "n={n} {:?}", options.strategy);
            assert_eq!(r.completion, Completion::Complete);
            assert_eq!(r.verdicts[0].status, Status::Holds);
            assert_eq!(r.exit_code(), 0);
        }
        assert_eq!(check(&grid(n), &Options::bfs()).max_depth, 2 * n as u64 - 1);
    }
}

#[test]
fn parallel_bfs_gives_the_same_counts_and_counterexample() {
    // 300 x 300: levels far wider than one chunk, so workers really share them.
    let model = Grid { n: 300, forbidden: Some((170, 120)) };
    let one = check(&model, &Options::bfs());
    let path_one = one.verdicts[0].path.as_ref().unwrap().actions();
    assert_eq!(path_one.len(), 290, "BFS gives a shortest counterexample");
    for jobs in [2, 3, 4] {
        let many = check(&model, &Options::bfs().jobs(jobs));
        assert_eq!(
            (many.unique_states, many.transitions, many.max_depth),
            (one.unique_states, one.transitions, one.max_depth)
        );
        assert_eq!(many.verdicts[0].path.as_ref().unwrap().actions(), path_one, "jobs={jobs}");
    }
    let full = grid(300);
    let a = check(&full, &Options::bfs());
    let b = check(&full, &Options::bfs().jobs(2));
    assert_eq!((a.unique_states, a.transitions, a.max_depth), (90_000, 1 + 2 * 300 * 299, 599));
    assert_eq!((b.unique_states, b.transitions, b.max_depth), (90_000, 1 + 2 * 300 * 299, 599));
}

#[test]
fn bfs_counterexamples_are_shortest_and_dfs_ones_valid() {
    let model = Grid { n: 6, forbidden: Some((3, 2)) };
    let bfs = check(&model, &Options::bfs());
    let v = &bfs.verdicts[0];
    assert_eq!(v.status, Status::Violated);
    let path = v.path.as_ref().unwrap();
    assert_eq!(path.len(), 5);
    assert_eq!(*path.last_state(), (3, 2));
    assert_eq!(bfs.exit_code(), 1);
    let dfs = check(&model, &Options::dfs());
    let dpath = dfs.verdicts[0].path.as_ref().unwrap();
    assert!(dpath.len() >= path.len());
    assert_eq!(*dpath.last_state(), (3, 2));
    // The path is a tape that replays to the same state.
    let tape = path_to_tape(&model, path).unwrap();
    assert_eq!(*path_from_tape(&model, &tape).unwrap().last_state(), (3, 2));
}

#[test]
fn budgets_give_unknown_never_a_hang() {
    let r = check(&grid(50), &Options::bfs().max_states(100));
    assert_eq!(r.completion, Completion::StateLimit);
    assert_eq!(r.verdicts[0].status, Status::Unknown);
    assert_eq!(r.exit_code(), 3);
    assert!(r.unique_states >= 100 && r.unique_states < 2500);
    // The state budget cuts at the same point for any number of jobs.
    let r2 = check(&grid(50), &Options::bfs().max_states(100).jobs(2));
    assert_eq!((r.unique_states, r.transitions), (r2.unique_states, r2.transitions));

    let r = check(&grid(50), &Options::bfs().max_depth(10));
    assert_eq!(r.completion, Completion::DepthLimit);
    assert_eq!(r.exit_code(), 3);
    assert_eq!(r.max_depth, 10);
    let r = check(&grid(50), &Options::dfs().max_depth(10));
    assert_eq!(r.completion, Completion::DepthLimit);
    // A depth budget the model fits in is no cut at all.
    let r = check(&grid(5), &Options::bfs().max_depth(9));
    assert_eq!(r.completion, Completion::Complete);
    assert_eq!(r.exit_code(), 0);
    let r = check(&grid(5), &Options::dfs().max_depth(9));
    assert_eq!(r.completion, Completion::Complete);

    // An infinite model with only a time budget stops with unknown.
    struct Counter;
    impl Model for Counter {
        type State = u64;
        type Action = ();
        fn init_states(&self) -> Vec<u64> {
            vec![0]
        }
        fn actions(&self, _: &u64, a: &mut Vec<()>) {
            a.push(());
        }
        fn next_state(&self, s: &u64, _: ()) -> Option<u64> {
            Some(s + 1)
        }
        fn properties(&self) -> Vec<Property<Self>> {
            vec![Property::always("any", |_: &Self, _: &u64| true)]
        }
    }
    for options in [Options::bfs(), Options::dfs()] {
        let r = check(&Counter, &options.time_limit(Duration::from_millis(200)));
        assert_eq!(r.completion, Completion::TimeLimit);
        assert_eq!(r.exit_code(), 3);
    }
}

#[test]
fn symmetry_reduces_states_and_keeps_verdicts() {
    let plain = check(&grid(10), &Options::bfs());
    let sym = check(&grid(10), &Options::bfs().symmetry(true));
    assert_eq!(plain.unique_states, 100);
    assert_eq!(sym.unique_states, 55);
    assert_eq!(plain.verdicts[0].status, sym.verdicts[0].status);
    let model = Grid { n: 10, forbidden: Some((4, 4)) };
    let sym = check(&model, &Options::bfs().symmetry(true));
    assert_eq!(sym.verdicts[0].status, Status::Violated);
    assert_eq!(*sym.verdicts[0].path.as_ref().unwrap().last_state(), (4, 4));
}

/// A small graph given by its edges, for liveness.
struct Graph {
    edges: Vec<(u8, u8)>,
    goal: u8,
}

impl Model for Graph {
    type State = u8;
    type Action = u8;
    fn init_states(&self) -> Vec<u8> {
        vec![0]
    }
    fn actions(&self, s: &u8, actions: &mut Vec<u8>) {
        actions.extend(self.edges.iter().filter(|(a, _)| a == s).map(|(_, b)| *b));
    }
    fn next_state(&self, _: &u8, a: u8) -> Option<u8> {
        Some(a)
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::eventually("reaches goal", |m: &Self, s: &u8| *s == m.goal)]
    }
}

#[test]
fn eventually_holds_when_every_behaviour_reaches_the_goal() {
    // 0 -> 1 -> 2 -> 0 (a cycle through the goal) and 0 -> 3 -> 2.
    let g = Graph { edges: vec![(0, 1), (1, 2), (2, 0), (0, 3), (3, 2)], goal: 2 };
    for options in [Options::bfs(), Options::dfs(), Options::bfs().jobs(2)] {
        let r = check(&g, &options);
        assert_eq!(r.verdicts[0].status, Status::Holds);
        assert_eq!(r.exit_code(), 0);
    }
}

#[test]
fn eventually_fails_on_a_cycle_that_avoids_the_goal() {
    // 0 -> 1 -> 2 (goal), but 1 -> 3 -> 1 loops forever without it.
    let g = Graph { edges: vec![(0, 1), (1, 2), (1, 3), (3, 1)], goal: 2 };
    let r = check(&g, &Options::bfs());
    let v = &r.verdicts[0];
    assert_eq!(v.status, Status::Violated);
    let path = v.path.as_ref().unwrap();
    assert!(path.loop_start.is_some(), "a lasso");
    assert_eq!(*path.last_state(), 1);
    assert!(path.describe(&g).last().unwrap().contains("cycle"));
    // A self-loop is a cycle too.
    let g = Graph { edges: vec![(0, 1), (1, 1), (1, 2)], goal: 2 };
    assert_eq!(check(&g, &Options::dfs()).verdicts[0].status, Status::Violated);
}

#[test]
fn eventually_fails_at_a_terminal_state() {
    let g = Graph { edges: vec![(0, 1), (0, 2), (1, 4)], goal: 2 };
    let r = check(&g, &Options::bfs());
    let v = &r.verdicts[0];
    assert_eq!(v.status, Status::Violated);
    let path = v.path.as_ref().unwrap();
    assert_eq!(path.loop_start, None);
    assert_eq!(*path.last_state(), 4);
}

// ---- the actor adapter over a real protocol ----

fn bounce(violate_at: Option<u64>, network: Network) -> ActorModel<TokenBounce> {
    let protocol = TokenBounce { tokens: 1, violate_at, ..TokenBounce::default() };
    let mut config = ActorConfig::new(3);
    config.network = network;
    ActorModel::new(protocol, config)
}

#[test]
fn actor_adapter_finds_the_shortest_violation_and_replays_it() {
    for network in [Network::UnorderedNonDuplicating, Network::Fifo, Network::UnorderedDuplicating] {
        let model = bounce(Some(4), network);
        let r = check(&model, &Options::bfs().max_depth(40));
        let v = r.verdict("invariants").unwrap();
        assert_eq!(v.status, Status::Violated, "{network:?}");
        let path = v.path.as_ref().unwrap();
        let dfs = check(&model, &Options::dfs().max_depth(40));
        let dpath = dfs.verdict("invariants").unwrap().path.as_ref().unwrap();
        assert!(dpath.len() >= path.len(), "{network:?}: BFS is shortest");
        // Replayed through the handlers: the same violation, drawn as a trace.
        let (trace, failure) = model.trace_path(path);
        let failure = failure.expect("the replay reaches the violation");
        assert_eq!(Some(&failure), ActorModel::failure(path.last_state()));
        assert!(trace.events().iter().any(|e| e.kind == TraceKind::Violation));
        assert!(trace.events().iter().any(|e| e.kind == TraceKind::Deliver && e.cause.is_some()));
    }
}

#[test]
fn actor_adapter_counts_are_deterministic_and_equal_for_any_jobs() {
    let protocol = TokenBounce { tokens: 2, persist: true, ..TokenBounce::default() };
    let mut config = ActorConfig::new(3);
    config.lossy = true;
    config.max_crashes = 1;
    config.recover = true;
    let model = ActorModel::new(protocol, config);
    let a = check(&model, &Options::bfs().max_depth(9));
    let b = check(&model, &Options::bfs().max_depth(9).jobs(2));
    let c = check(&model, &Options::bfs().max_depth(9));
    assert_eq!((a.unique_states, a.transitions, a.max_depth), (b.unique_states, b.transitions, b.max_depth));
    assert_eq!((a.unique_states, a.transitions), (c.unique_states, c.transitions));
    assert!(a.unique_states > 1000, "{}", a.unique_states);
    assert_eq!(a.completion, Completion::DepthLimit);
    assert_eq!(a.verdict("invariants").unwrap().status, Status::Unknown);
}

#[test]
fn actor_adapter_reports_a_handler_panic_as_a_failure() {
    let protocol = TokenBounce { tokens: 1, panic_at: Some(2), ..TokenBounce::default() };
    let model = ActorModel::new(protocol, ActorConfig::new(2));
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = check(&model, &Options::bfs().max_depth(20));
    std::panic::set_hook(prev);
    let v = r.verdict("invariants").unwrap();
    assert_eq!(v.status, Status::Violated);
    let failure = ActorModel::failure(v.path.as_ref().unwrap().last_state()).unwrap();
    assert_eq!(failure.invariant, "panic");
}
