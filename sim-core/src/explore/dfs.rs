//! Depth-first search (sequential): little memory beyond the visited set,
//! counterexamples that are valid but not necessarily shortest.

use super::table::{FpMap, ROOT};
use super::{
    key_of, rebuild_path, Completion, Deadline, Expectation, Model, Options, Progress, Property, SearchResult,
};

struct Frame<M: Model> {
    state: M::State,
    key: u64,
    actions: Vec<M::Action>,
    next: usize,
}

pub(crate) fn run<M: Model>(model: &M, properties: &[Property<M>], options: &Options) -> SearchResult<M> {
    let deadline = Deadline::new(options.time_limit);
    let symmetry = options.symmetry;
    let mut visited = FpMap::new();
    let mut transitions = 0u64;
    let mut max_depth = 0u64;
    let mut found_keys: Vec<Option<u64>> = vec![None; properties.len()];
    let safety: Vec<usize> =
        (0..properties.len()).filter(|&i| properties[i].expectation != Expectation::Eventually).collect();
    let mut completion = Completion::Complete;
    let mut steps = 0u64;

    // Evaluates the properties on a newly discovered state; true if every
    // safety property now has a discovery.
    let discover = |state: &M::State, key: u64, found: &mut Vec<Option<u64>>| -> bool {
        for (i, p) in properties.iter().enumerate() {
            if found[i].is_some() || p.expectation == Expectation::Eventually {
                continue;
            }
            let holds = (p.condition)(model, state);
            if (p.expectation == Expectation::Always) != holds {
                found[i] = Some(key);
            }
        }
        !safety.is_empty() && safety.iter().all(|&i| found[i].is_some())
    };

    let mut stack: Vec<Frame<M>> = Vec::new();
    let mut inits = model.init_states().into_iter();
    'outer: loop {
        if stack.is_empty() {
            // The next initial state.
            let Some(s) = inits.next() else { break };
            if !model.within_boundary(&s) {
                continue;
            }
            transitions += 1;
            let k = key_of(model, &s, symmetry);
            if !visited.insert(k, ROOT) {
                continue;
            }
            max_depth = max_depth.max(1);
            let all = discover(&s, k, &mut found_keys);
            if all && !options.exhaustive {
                completion = Completion::AllDiscovered;
                break;
            }
            stack.push(Frame { state: s, key: k, actions: Vec::new(), next: usize::MAX });
            continue;
        }
        steps += 1;
        if steps.is_multiple_of(65_536) {
            if let Some(p) = &options.progress {
                p(&Progress {
                    unique_states: visited.len(),
                    transitions,
                    depth: stack.len() as u64,
                    queue: stack.len() as u64,
                });
            }
            if deadline.passed() {
                completion = Completion::TimeLimit;
                break;
            }
        }
        let depth = stack.len() as u64;
        let top = stack.last_mut().expect("non-empty stack");
        if top.next == usize::MAX {
            model.actions(&top.state, &mut top.actions);
            top.next = 0;
            if options.max_depth.is_some_and(|d| depth >= d) {
                // Probe: count transitions; any new successor means the budget cut the search.
                let frame = stack.pop().expect("frame");
                for a in frame.actions {
                    let Some(t) = model.next_state(&frame.state, a) else { continue };
                    if !model.within_boundary(&t) {
                        continue;
                    }
                    transitions += 1;
                    if !visited.contains(key_of(model, &t, symmetry)) {
                        completion = Completion::DepthLimit;
                    }
                }
                continue;
            }
        }
        if top.next >= top.actions.len() {
            stack.pop();
            continue;
        }
        let action = top.actions[top.next].clone();
        top.next += 1;
        let Some(t) = model.next_state(&top.state, action) else { continue };
        if !model.within_boundary(&t) {
            continue;
        }
        transitions += 1;
        let k = key_of(model, &t, symmetry);
        let parent = top.key;
        if !visited.insert(k, parent) {
            continue;
        }
        max_depth = max_depth.max(depth + 1);
        let all = discover(&t, k, &mut found_keys);
        if all && !options.exhaustive {
            completion = Completion::AllDiscovered;
            break 'outer;
        }
        if options.max_states.is_some_and(|m| visited.len() >= m) {
            completion = Completion::StateLimit;
            break;
        }
        stack.push(Frame { state: t, key: k, actions: Vec::new(), next: usize::MAX });
    }
    if let Some(p) = &options.progress {
        p(&Progress { unique_states: visited.len(), transitions, depth: max_depth, queue: 0 });
    }
    let discoveries =
        found_keys.iter().map(|k| k.and_then(|k| rebuild_path(model, &visited.chain_to(k), symmetry))).collect();
    SearchResult { unique_states: visited.len(), transitions, max_depth, completion, discoveries }
}
