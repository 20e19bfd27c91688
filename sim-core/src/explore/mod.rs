//! The explorer: exhaustive model checking over every interleaving of a small
//! configuration (DESIGN §3, "two drivers over the same world").
//!
//! * [`Model`] is a general transition system in the style of TLA+: initial
//!   states, enabled actions, a next-state function and properties
//!   (`always`, `sometimes`, `eventually`). Abstract specifications are
//!   written against it directly (`scenarios::models::two_pc`).
//! * [`actor::ActorModel`] turns any [`crate::Protocol`] plus a small world
//!   configuration into a [`Model`], so the explorer runs the same handlers
//!   as the simulator.
//! * [`check`] runs breadth-first (shortest counterexamples, `jobs` threads
//!   with identical results) or depth-first search over the state graph with
//!   a visited set of stable 64-bit fingerprints ([`crate::stable_hash`]),
//!   optional symmetry reduction, and depth / state / time budgets.
//!
//! # Counters (the same meaning as stateright's, so counts can be compared)
//! * `unique_states`: distinct fingerprints of reachable states, the initial
//!   states included;
//! * `transitions`: the number of initial states plus, for every expanded
//!   state, the successors `next_state` returned within the boundary
//!   (duplicates and self-loops count);
//! * `max_depth`: states on the deepest first-discovery path, the initial
//!   state counting 1 (BFS: 1 + the largest shortest distance).
//!
//! A search ends early once every property has a discovery (a violation of
//! an `always` or `eventually`, an example of a `sometimes`); it stops at
//! the end of the BFS level where that happened, so counts never depend on
//! `jobs`.
//!
//! # Properties
//! * `always P`: P holds in every reachable state; a violation comes with the
//!   shortest path (under BFS) to a state where P fails.
//! * `sometimes P`: some reachable state satisfies P; the example is a path.
//!   A complete search without one reports `never reached` (a failure: the
//!   property was expected to be reachable).
//! * `eventually P`: on every behaviour from an initial state, some state
//!   satisfies P. **No fairness is assumed**: a behaviour is any maximal path,
//!   so a counterexample is a path of states where P never holds that ends
//!   either in a terminal state (no successor within the boundary) or in a
//!   cycle (a lasso). This is checked after the safety search by a
//!   depth-first search over the states where P does not hold, with an
//!   on-stack set that finds cycles (so it is sound on cyclic graphs, unlike
//!   a check of terminal states alone). Models that need fairness should
//!   encode it (e.g. bound the adversary with a fault budget).
//!
//! # Determinism
//! No hash-map iteration reaches the results: the visited set is only
//! probed, levels are expanded in frontier order, and parallel workers'
//! outputs are merged in chunk order, so the counts, the parents recorded
//! and hence the counterexamples are the same for every `jobs`. The time
//! budget reads the wall clock; reaching it only ever yields `unknown`.

pub mod actor;
mod bfs;
mod dfs;
pub mod dot;
mod liveness;
mod table;

pub use table::FpMap;

use crate::hash::stable_hash;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

/// A transition system to explore.
pub trait Model: Sync {
    type State: Clone + Eq + Hash + Debug + Send + Sync;
    type Action: Clone + Debug + Send + Sync;

    /// The initial states.
    fn init_states(&self) -> Vec<Self::State>;

    /// The actions enabled in `state`, in a deterministic order (appended to `actions`).
    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>);

    /// The state after `action`, or `None` when the action turns out not to
    /// be a transition (it is then not counted).
    fn next_state(&self, state: &Self::State, action: Self::Action) -> Option<Self::State>;

    /// The properties to check.
    fn properties(&self) -> Vec<Property<Self>>;

    /// States outside the boundary are neither counted nor explored.
    fn within_boundary(&self, _state: &Self::State) -> bool {
        true
    }

    /// Symmetry reduction: a canonical representative of the state's
    /// equivalence class (e.g. interchangeable nodes sorted). `None` means the
    /// model declares no symmetry. Properties must be symmetric.
    fn canonical(&self, _state: &Self::State) -> Option<Self::State> {
        None
    }

    /// The fingerprint of a state: the specified stable hash.
    fn fingerprint(&self, state: &Self::State) -> u64 {
        stable_hash(state)
    }

    /// How an action reads in a counterexample.
    fn format_action(&self, action: &Self::Action) -> String {
        format!("{action:?}")
    }

    /// How a state reads in a counterexample.
    fn format_state(&self, state: &Self::State) -> String {
        format!("{state:?}")
    }
}

/// What kind of claim a property makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expectation {
    Always,
    Sometimes,
    Eventually,
}

impl Expectation {
    pub fn name(self) -> &'static str {
        match self {
            Expectation::Always => "always",
            Expectation::Sometimes => "sometimes",
            Expectation::Eventually => "eventually",
        }
    }
}

/// A named property over states.
pub struct Property<M: Model + ?Sized> {
    pub expectation: Expectation,
    pub name: String,
    pub condition: fn(&M, &M::State) -> bool,
}

impl<M: Model + ?Sized> Clone for Property<M> {
    fn clone(&self) -> Self {
        Property { expectation: self.expectation, name: self.name.clone(), condition: self.condition }
    }
}

impl<M: Model + ?Sized> Property<M> {
    pub fn always(name: impl Into<String>, condition: fn(&M, &M::State) -> bool) -> Self {
        Property { expectation: Expectation::Always, name: name.into(), condition }
    }
    pub fn sometimes(name: impl Into<String>, condition: fn(&M, &M::State) -> bool) -> Self {
        Property { expectation: Expectation::Sometimes, name: name.into(), condition }
    }
    pub fn eventually(name: impl Into<String>, condition: fn(&M, &M::State) -> bool) -> Self {
        Property { expectation: Expectation::Eventually, name: name.into(), condition }
    }
}

/// Breadth-first or depth-first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    Bfs,
    Dfs,
}

/// Progress, reported every so often to [`Options::progress`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    pub unique_states: u64,
    pub transitions: u64,
    pub depth: u64,
    /// States discovered but not yet expanded (BFS frontier, DFS stack).
    pub queue: u64,
}

/// Called with progress; cheap to clone.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// How to search and when to give up.
#[derive(Clone)]
pub struct Options {
    pub strategy: Strategy,
    /// Do not expand states at this depth (states on the path, the initial state counting 1).
    pub max_depth: Option<u64>,
    /// Stop after this many unique states.
    pub max_states: Option<u64>,
    /// Stop after this much wall-clock time (yields `unknown`, never a different count).
    pub time_limit: Option<Duration>,
    /// Use the model's canonicalisation (symmetry reduction).
    pub symmetry: bool,
    /// Worker threads for BFS (DFS is sequential).
    pub jobs: usize,
    /// Keep searching after every property has a discovery.
    pub exhaustive: bool,
    pub progress: Option<ProgressFn>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            strategy: Strategy::Bfs,
            max_depth: None,
            max_states: None,
            time_limit: None,
            symmetry: false,
            jobs: 1,
            exhaustive: false,
            progress: None,
        }
    }
}

impl Options {
    pub fn bfs() -> Self {
        Options::default()
    }
    pub fn dfs() -> Self {
        Options { strategy: Strategy::Dfs, ..Options::default() }
    }
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1);
        self
    }
    pub fn symmetry(mut self, on: bool) -> Self {
        self.symmetry = on;
        self
    }
    pub fn max_depth(mut self, depth: u64) -> Self {
        self.max_depth = Some(depth);
        self
    }
    pub fn max_states(mut self, states: u64) -> Self {
        self.max_states = Some(states);
        self
    }
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = Some(limit);
        self
    }
}

/// Why a search stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Completion {
    /// Every reachable state was explored.
    Complete,
    /// Every property had a discovery, so the search stopped early.
    AllDiscovered,
    /// The depth budget cut the search.
    DepthLimit,
    /// The state budget cut the search.
    StateLimit,
    /// The time budget cut the search.
    TimeLimit,
}

impl Completion {
    /// Whether the whole reachable state space was seen.
    pub fn is_exhaustive(self) -> bool {
        self == Completion::Complete
    }
    pub fn is_budget(self) -> bool {
        matches!(self, Completion::DepthLimit | Completion::StateLimit | Completion::TimeLimit)
    }
}

/// One step of a path: the action taken and the state it led to.
#[derive(Clone, Debug)]
pub struct Step<M: Model + ?Sized> {
    pub action: M::Action,
    pub state: M::State,
}

/// A path from an initial state. For an `eventually` counterexample that
/// ends in a cycle, `loop_start` is the index (in `states()`) of the state
/// the last step returns to.
#[derive(Clone, Debug)]
pub struct Path<M: Model + ?Sized> {
    pub init: M::State,
    pub steps: Vec<Step<M>>,
    pub loop_start: Option<usize>,
}

impl<M: Model + ?Sized> Path<M> {
    pub fn len(&self) -> usize {
        self.steps.len()
    }
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
    pub fn actions(&self) -> Vec<M::Action> {
        self.steps.iter().map(|s| s.action.clone()).collect()
    }
    pub fn last_state(&self) -> &M::State {
        self.steps.last().map_or(&self.init, |s| &s.state)
    }
    /// The path as printable lines: `1. action` per step.
    pub fn describe(&self, model: &M) -> Vec<String> {
        let mut lines: Vec<String> = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}. {}", i + 1, model.format_action(&s.action)))
            .collect();
        if let Some(l) = self.loop_start {
            lines.push(format!("(back to the state after step {l}: a cycle where the property never holds)"));
        }
        lines
    }
}

/// The verdict on one property.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// `always`/`eventually`: no counterexample in a complete search.
    Holds,
    /// `always`/`eventually`: a counterexample was found.
    Violated,
    /// `sometimes`: an example was found.
    Reached,
    /// `sometimes`: a complete search found no example.
    NeverReached,
    /// A budget ran out before the question was settled.
    Unknown,
}

impl Status {
    pub fn is_failure(&self) -> bool {
        matches!(self, Status::Violated | Status::NeverReached)
    }
    pub fn name(&self) -> &'static str {
        match self {
            Status::Holds => "holds",
            Status::Violated => "violated",
            Status::Reached => "reached",
            Status::NeverReached => "never reached",
            Status::Unknown => "unknown",
        }
    }
}

/// The verdict on one property, with its path (counterexample or example).
#[derive(Clone, Debug)]
pub struct Verdict<M: Model + ?Sized> {
    pub name: String,
    pub expectation: Expectation,
    pub status: Status,
    pub path: Option<Path<M>>,
}

/// What a search found.
#[derive(Clone, Debug)]
pub struct Report<M: Model + ?Sized> {
    pub unique_states: u64,
    pub transitions: u64,
    pub max_depth: u64,
    pub completion: Completion,
    pub verdicts: Vec<Verdict<M>>,
}

impl<M: Model + ?Sized> Report<M> {
    /// The verdict on the property named `name`.
    pub fn verdict(&self, name: &str) -> Option<&Verdict<M>> {
        self.verdicts.iter().find(|v| v.name == name)
    }
    /// The first failing verdict (a violation or a never-reached example).
    pub fn first_failure(&self) -> Option<&Verdict<M>> {
        self.verdicts.iter().find(|v| v.status.is_failure())
    }
    /// 0 every property settled and held, 1 a failure, 3 unknown.
    pub fn exit_code(&self) -> i32 {
        if self.verdicts.iter().any(|v| v.status.is_failure()) {
            1
        } else if self.verdicts.iter().any(|v| v.status == Status::Unknown) {
            3
        } else {
            0
        }
    }
}

/// Explores `model` as `options` say.
pub fn check<M: Model>(model: &M, options: &Options) -> Report<M> {
    let properties = model.properties();
    let mut search = match options.strategy {
        Strategy::Bfs => bfs::run(model, &properties, options),
        Strategy::Dfs => dfs::run(model, &properties, options),
    };
    let mut verdicts = Vec::with_capacity(properties.len());
    for (i, p) in properties.iter().enumerate() {
        let found = search.discoveries[i].take();
        let status = match (p.expectation, &found) {
            (Expectation::Always, Some(_)) => Status::Violated,
            (Expectation::Sometimes, Some(_)) => Status::Reached,
            (Expectation::Eventually, _) => Status::Unknown, // settled below
            (_, None) if search.completion.is_exhaustive() || search.completion == Completion::AllDiscovered => {
                match p.expectation {
                    Expectation::Sometimes => Status::NeverReached,
                    _ => Status::Holds,
                }
            }
            (_, None) => Status::Unknown,
        };
        verdicts.push(Verdict { name: p.name.clone(), expectation: p.expectation, status, path: found });
    }
    // Liveness: only over a completely known graph.
    for (i, p) in properties.iter().enumerate() {
        if p.expectation != Expectation::Eventually {
            continue;
        }
        if !search.completion.is_exhaustive() && search.completion != Completion::AllDiscovered {
            continue;
        }
        match liveness::check_eventually(model, p, options) {
            liveness::Outcome::Holds => verdicts[i].status = Status::Holds,
            liveness::Outcome::Violated(path) => {
                verdicts[i].status = Status::Violated;
                verdicts[i].path = Some(path);
            }
            liveness::Outcome::Unknown => {}
        }
    }
    Report {
        unique_states: search.unique_states,
        transitions: search.transitions,
        max_depth: search.max_depth,
        completion: search.completion,
        verdicts,
    }
}

/// What the safety searches return.
pub(crate) struct SearchResult<M: Model + ?Sized> {
    pub unique_states: u64,
    pub transitions: u64,
    pub max_depth: u64,
    pub completion: Completion,
    /// Per property: the path to its discovery (violation or example).
    pub discoveries: Vec<Option<Path<M>>>,
}

/// The fingerprint a search uses for a state (canonical under symmetry),
/// kept out of the table's reserved values.
#[inline]
pub(crate) fn key_of<M: Model + ?Sized>(model: &M, state: &M::State, symmetry: bool) -> u64 {
    let fp = if symmetry {
        match model.canonical(state) {
            Some(c) => model.fingerprint(&c),
            None => model.fingerprint(state),
        }
    } else {
        model.fingerprint(state)
    };
    table::normalise(fp)
}

/// Rebuilds the path to the state with key `target` from the chain of keys
/// `chain` (root first) by re-running the model: at each step the first
/// action whose successor has the next key.
pub(crate) fn rebuild_path<M: Model + ?Sized>(model: &M, chain: &[u64], symmetry: bool) -> Option<Path<M>> {
    let first = *chain.first()?;
    let init = model.init_states().into_iter().find(|s| key_of(model, s, symmetry) == first)?;
    let mut path: Path<M> = Path { init, steps: Vec::new(), loop_start: None };
    let mut actions = Vec::new();
    for &next in &chain[1..] {
        actions.clear();
        let current = path.last_state().clone();
        model.actions(&current, &mut actions);
        let mut found = None;
        for a in actions.drain(..) {
            if let Some(t) = model.next_state(&current, a.clone()) {
                if model.within_boundary(&t) && key_of(model, &t, symmetry) == next {
                    found = Some(Step { action: a, state: t });
                    break;
                }
            }
        }
        path.steps.push(found?);
    }
    Some(path)
}

/// The enabled action indices along a path: the path as a tape (each value
/// is the position of the action taken among `Model::actions` of the state
/// it was taken in). [`path_from_tape`] turns it back into a path.
pub fn path_to_tape<M: Model + ?Sized>(model: &M, path: &Path<M>) -> Option<Vec<u64>> {
    let inits = model.init_states();
    let first = inits.iter().position(|s| s == &path.init)? as u64;
    let mut tape = vec![first];
    let mut current = path.init.clone();
    let mut actions = Vec::new();
    for step in &path.steps {
        actions.clear();
        model.actions(&current, &mut actions);
        let i = actions.iter().position(|a| model.next_state(&current, a.clone()).as_ref() == Some(&step.state))?;
        tape.push(i as u64);
        current = step.state.clone();
    }
    Some(tape)
}

/// Replays a tape made by [`path_to_tape`]; `None` if a value names no
/// enabled action or an action is no transition.
pub fn path_from_tape<M: Model + ?Sized>(model: &M, tape: &[u64]) -> Option<Path<M>> {
    let (&first, rest) = tape.split_first()?;
    let init = model.init_states().into_iter().nth(first as usize)?;
    let mut path: Path<M> = Path { init, steps: Vec::new(), loop_start: None };
    let mut actions = Vec::new();
    for &i in rest {
        actions.clear();
        let current = path.last_state().clone();
        model.actions(&current, &mut actions);
        let action = actions.get(i as usize)?.clone();
        let state = model.next_state(&current, action.clone())?;
        path.steps.push(Step { action, state });
    }
    Some(path)
}

/// Wall-clock budget helper: the only clock reading in the explorer; it can
/// only turn a verdict into `unknown`.
#[derive(Clone, Copy)]
pub(crate) struct Deadline {
    #[allow(clippy::disallowed_types)]
    end: Option<std::time::Instant>,
}

impl Deadline {
    #[allow(clippy::disallowed_methods)] // a time budget needs the wall clock; it only yields `unknown`
    pub fn new(limit: Option<Duration>) -> Self {
        Deadline { end: limit.map(|l| std::time::Instant::now() + l) }
    }
    #[allow(clippy::disallowed_methods)]
    pub fn passed(&self) -> bool {
        self.end.is_some_and(|e| std::time::Instant::now() >= e)
    }
}
