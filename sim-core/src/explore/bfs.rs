//! Breadth-first search, level by level.
//!
//! Each level (the frontier) is cut into fixed-size chunks that workers
//! expand in parallel: every worker evaluates the properties on its states,
//! generates successors, drops those already visited at earlier levels
//! (the visited set is only read during this phase) and deduplicates within
//! its chunk. The main thread then merges the chunks in frontier order into
//! the visited set. So the first discovery of every state, its parent, the
//! counts and the counterexamples are the same for any number of workers.

use super::table::{FpMap, ROOT};
use super::{
    key_of, rebuild_path, Completion, Deadline, Expectation, Model, Options, Progress, Property, SearchResult,
};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

const CHUNK: usize = 4096;

struct ChunkOut<S> {
    /// (key, parent key, state) of candidate new states, first occurrences in order.
    found: Vec<(u64, u64, S)>,
    transitions: u64,
    /// Per property: the first frontier index (in this chunk) where it was discovered.
    discoveries: Vec<Option<usize>>,
    /// Probe mode: some successor is not yet visited.
    has_new: bool,
}

#[allow(clippy::too_many_arguments)]
fn expand_chunk<M: Model>(
    model: &M,
    properties: &[Property<M>],
    visited: &FpMap,
    frontier: &[(M::State, u64)],
    start: usize,
    symmetry: bool,
    probe: bool,
    want: &[bool],
    local: &mut FpMap,
) -> ChunkOut<M::State> {
    let mut out =
        ChunkOut { found: Vec::new(), transitions: 0, discoveries: vec![None; properties.len()], has_new: false };
    local.clear();
    let mut actions = Vec::new();
    for (offset, (state, key)) in frontier.iter().enumerate() {
        for (i, p) in properties.iter().enumerate() {
            if want[i] && out.discoveries[i].is_none() {
                let holds = (p.condition)(model, state);
                let discovered = match p.expectation {
                    Expectation::Always => !holds,
                    Expectation::Sometimes => holds,
                    Expectation::Eventually => false,
                };
                if discovered {
                    out.discoveries[i] = Some(start + offset);
                }
            }
        }
        actions.clear();
        model.actions(state, &mut actions);
        for a in actions.drain(..) {
            let Some(next) = model.next_state(state, a) else { continue };
            if !model.within_boundary(&next) {
                continue;
            }
            out.transitions += 1;
            let k = key_of(model, &next, symmetry);
            if visited.contains(k) {
                continue;
            }
            if probe {
                out.has_new = true;
                continue;
            }
            if local.insert(k, *key) {
                out.found.push((k, *key, next));
            }
        }
    }
    out
}

struct Level<S> {
    next: Vec<(S, u64)>,
    transitions: u64,
    discoveries: Vec<Option<usize>>,
    has_new: bool,
    state_limit: bool,
}

/// One level on one thread. After the state budget is reached, the rest of
/// the level is still expanded (counting transitions, inserting nothing), so
/// the counts equal those of the parallel merge.
#[allow(clippy::too_many_arguments)]
fn expand_sequential<M: Model>(
    model: &M,
    properties: &[Property<M>],
    visited: &mut FpMap,
    frontier: &[(M::State, u64)],
    symmetry: bool,
    probe: bool,
    want: &[bool],
    max_states: Option<u64>,
    deadline: &Deadline,
) -> Option<Level<M::State>> {
    let mut level = Level {
        next: Vec::new(),
        transitions: 0,
        discoveries: vec![None; properties.len()],
        has_new: false,
        state_limit: false,
    };
    let mut actions = Vec::new();
    for (index, (state, key)) in frontier.iter().enumerate() {
        if index % 1024 == 1023 && deadline.passed() {
            return None;
        }
        for (i, p) in properties.iter().enumerate() {
            if want[i] && level.discoveries[i].is_none() {
                let holds = (p.condition)(model, state);
                let discovered = match p.expectation {
                    Expectation::Always => !holds,
                    Expectation::Sometimes => holds,
                    Expectation::Eventually => false,
                };
                if discovered {
                    level.discoveries[i] = Some(index);
                }
            }
        }
        actions.clear();
        model.actions(state, &mut actions);
        for a in actions.drain(..) {
            let Some(next) = model.next_state(state, a) else { continue };
            if !model.within_boundary(&next) {
                continue;
            }
            level.transitions += 1;
            let k = key_of(model, &next, symmetry);
            if probe || level.state_limit {
                if !visited.contains(k) {
                    level.has_new = true;
                }
                continue;
            }
            if visited.insert(k, *key) {
                level.next.push((next, k));
                if max_states.is_some_and(|m| visited.len() >= m) {
                    level.state_limit = true;
                }
            }
        }
    }
    Some(level)
}

pub(crate) fn run<M: Model>(model: &M, properties: &[Property<M>], options: &Options) -> SearchResult<M> {
    let deadline = Deadline::new(options.time_limit);
    let symmetry = options.symmetry;
    let jobs = options.jobs.max(1);
    let mut visited = FpMap::new();
    let mut transitions = 0u64;
    let mut frontier: Vec<(M::State, u64)> = Vec::new();
    for s in model.init_states() {
        if !model.within_boundary(&s) {
            continue;
        }
        transitions += 1;
        let k = key_of(model, &s, symmetry);
        if visited.insert(k, ROOT) {
            frontier.push((s, k));
        }
    }
    let mut found_keys: Vec<Option<u64>> = vec![None; properties.len()];
    let safety: Vec<usize> =
        (0..properties.len()).filter(|&i| properties[i].expectation != Expectation::Eventually).collect();
    let mut depth = 0u64;
    let mut max_depth = 0u64;
    let mut completion = Completion::Complete;
    while !frontier.is_empty() {
        depth += 1;
        max_depth = depth;
        let probe = options.max_depth.is_some_and(|d| depth >= d);
        let want: Vec<bool> = found_keys.iter().map(|f| f.is_none()).collect();
        let chunks = frontier.len().div_ceil(CHUNK);
        if jobs == 1 || chunks == 1 {
            // Sequential: insert straight into the visited set, in frontier
            // order, which is exactly the order the parallel merge uses.
            let level = expand_sequential(
                model,
                properties,
                &mut visited,
                &frontier,
                symmetry,
                probe,
                &want,
                options.max_states,
                &deadline,
            );
            let Some(level) = level else {
                completion = Completion::TimeLimit;
                break;
            };
            transitions += level.transitions;
            for (i, d) in level.discoveries.iter().enumerate() {
                if let Some(idx) = d {
                    found_keys[i] = Some(frontier[*idx].1);
                }
            }
            let next = level.next;
            if !next.is_empty() {
                max_depth = depth + 1;
            }
            if let Some(p) = &options.progress {
                p(&Progress { unique_states: visited.len(), transitions, depth, queue: next.len() as u64 });
            }
            let all_found = !safety.is_empty() && safety.iter().all(|&i| found_keys[i].is_some());
            if all_found && !options.exhaustive {
                completion = Completion::AllDiscovered;
                break;
            }
            if probe {
                if level.has_new {
                    completion = Completion::DepthLimit;
                }
                break;
            }
            if level.state_limit {
                completion = Completion::StateLimit;
                break;
            }
            if deadline.passed() && !next.is_empty() {
                completion = Completion::TimeLimit;
                break;
            }
            frontier = next;
            continue;
        }
        let outs: Vec<ChunkOut<M::State>> = {
            let next_chunk = AtomicUsize::new(0);
            let stop = AtomicBool::new(false);
            let slots: Vec<Mutex<Option<ChunkOut<M::State>>>> = (0..chunks).map(|_| Mutex::new(None)).collect();
            std::thread::scope(|scope| {
                for _ in 0..jobs.min(chunks) {
                    scope.spawn(|| {
                        let mut local = FpMap::new();
                        loop {
                            if stop.load(Ordering::Relaxed) {
                                return;
                            }
                            let c = next_chunk.fetch_add(1, Ordering::Relaxed);
                            if c >= chunks {
                                return;
                            }
                            let lo = c * CHUNK;
                            let hi = (lo + CHUNK).min(frontier.len());
                            let out = expand_chunk(
                                model,
                                properties,
                                &visited,
                                &frontier[lo..hi],
                                lo,
                                symmetry,
                                probe,
                                &want,
                                &mut local,
                            );
                            *slots[c].lock().expect("chunk slot") = Some(out);
                            if deadline.passed() {
                                stop.store(true, Ordering::Relaxed);
                            }
                        }
                    });
                }
            });
            let mut outs = Vec::with_capacity(chunks);
            for slot in slots {
                match slot.into_inner().expect("chunk slot") {
                    Some(out) => outs.push(out),
                    None => break,
                }
            }
            outs
        };
        let level_complete = outs.len() == chunks;
        if !level_complete {
            completion = Completion::TimeLimit;
            // A partial level is not counted: the counts stay those of whole levels.
            break;
        }
        // Merge in frontier order.
        let mut first_discovery: Vec<Option<usize>> = vec![None; properties.len()];
        let mut has_new = false;
        let mut next = Vec::new();
        let mut level_transitions = 0;
        let mut state_limit = false;
        for out in outs {
            level_transitions += out.transitions;
            has_new |= out.has_new;
            for (i, d) in out.discoveries.into_iter().enumerate() {
                if first_discovery[i].is_none() {
                    first_discovery[i] = d;
                }
            }
            for (k, parent, s) in out.found {
                if state_limit {
                    break;
                }
                if visited.insert(k, parent) {
                    next.push((s, k));
                    if options.max_states.is_some_and(|m| visited.len() >= m) {
                        state_limit = true;
                    }
                }
            }
        }
        transitions += level_transitions;
        for (i, d) in first_discovery.iter().enumerate() {
            if let Some(idx) = d {
                found_keys[i] = Some(frontier[*idx].1);
            }
        }
        if !next.is_empty() {
            // Discovered (and counted) even if the search stops here.
            max_depth = depth + 1;
        }
        if let Some(p) = &options.progress {
            p(&Progress { unique_states: visited.len(), transitions, depth, queue: next.len() as u64 });
        }
        let all_found = !safety.is_empty() && safety.iter().all(|&i| found_keys[i].is_some());
        if all_found && !options.exhaustive {
            completion = Completion::AllDiscovered;
            break;
        }
        if probe {
            if has_new {
                completion = Completion::DepthLimit;
            }
            break;
        }
        if state_limit {
            completion = Completion::StateLimit;
            break;
        }
        if deadline.passed() && !next.is_empty() {
            completion = Completion::TimeLimit;
            break;
        }
        frontier = next;
    }
    let discoveries =
        found_keys.iter().map(|k| k.and_then(|k| rebuild_path(model, &visited.chain_to(k), symmetry))).collect();
    SearchResult { unique_states: visited.len(), transitions, max_depth, completion, discoveries }
}
