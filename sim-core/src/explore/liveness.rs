//! `eventually P` without fairness: a counterexample is a path of states
//! where P never holds that ends in a terminal state or closes a cycle.
//!
//! A depth-first search from the initial states over the states where P
//! does not hold (a successor where P holds ends that behaviour: it is
//! satisfied), colouring states "on the stack" and "done". A successor on
//! the stack closes a cycle (a lasso); a state with no successor within the
//! boundary is terminal. Either is a behaviour on which P never holds. A
//! "done" state was fully explored without finding either, so it is skipped.

use super::table::FpMap;
use super::{key_of, Deadline, Model, Options, Path, Property, Step};

pub(crate) enum Outcome<M: Model + ?Sized> {
    Holds,
    Violated(Path<M>),
    Unknown,
}

const ON_STACK: u64 = 1;
const DONE: u64 = 2;

struct Frame<M: Model> {
    state: M::State,
    key: u64,
    /// The action that led here (None for an initial state).
    action: Option<M::Action>,
    actions: Vec<M::Action>,
    next: usize,
    had_successor: bool,
}

fn path_of<M: Model>(stack: &[Frame<M>]) -> Path<M> {
    let init = stack[0].state.clone();
    let steps = stack[1..]
        .iter()
        .map(|f| Step { action: f.action.clone().expect("non-initial frame has an action"), state: f.state.clone() })
        .collect();
    Path { init, steps, loop_start: None }
}

pub(crate) fn check_eventually<M: Model>(model: &M, property: &Property<M>, options: &Options) -> Outcome<M> {
    let deadline = Deadline::new(options.time_limit);
    let symmetry = options.symmetry;
    let holds = |s: &M::State| (property.condition)(model, s);
    let mut colour = FpMap::new();
    let mut stack: Vec<Frame<M>> = Vec::new();
    let mut steps = 0u64;
    for init in model.init_states() {
        if !model.within_boundary(&init) || holds(&init) {
            continue;
        }
        let k = key_of(model, &init, symmetry);
        if colour.contains(k) {
            continue;
        }
        colour.set(k, ON_STACK);
        stack.push(Frame {
            state: init,
            key: k,
            action: None,
            actions: Vec::new(),
            next: usize::MAX,
            had_successor: false,
        });
        while let Some(top) = stack.last_mut() {
            steps += 1;
            if steps.is_multiple_of(65_536) && deadline.passed() {
                return Outcome::Unknown;
            }
            if top.next == usize::MAX {
                model.actions(&top.state, &mut top.actions);
                top.next = 0;
            }
            if top.next >= top.actions.len() {
                if !top.had_successor {
                    // Terminal: the behaviour stops here and P never held.
                    return Outcome::Violated(path_of(&stack));
                }
                let done = stack.pop().expect("frame");
                colour.set(done.key, DONE);
                continue;
            }
            let action = top.actions[top.next].clone();
            top.next += 1;
            let Some(t) = model.next_state(&top.state, action.clone()) else { continue };
            if !model.within_boundary(&t) {
                continue;
            }
            top.had_successor = true;
            if holds(&t) {
                continue;
            }
            let k = key_of(model, &t, symmetry);
            match colour.get(k) {
                Some(ON_STACK) => {
                    let mut path = path_of(&stack);
                    let loop_start = stack.iter().position(|f| f.key == k).expect("on the stack");
                    path.steps.push(Step { action, state: t });
                    path.loop_start = Some(loop_start);
                    return Outcome::Violated(path);
                }
                Some(_) => continue,
                None => {}
            }
            if options.max_states.is_some_and(|m| colour.len() >= m)
                || options.max_depth.is_some_and(|d| stack.len() as u64 >= d)
            {
                return Outcome::Unknown;
            }
            colour.set(k, ON_STACK);
            stack.push(Frame {
                state: t,
                key: k,
                action: Some(action),
                actions: Vec::new(),
                next: usize::MAX,
                had_successor: false,
            });
        }
    }
    Outcome::Holds
}
