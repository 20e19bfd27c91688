//! The explored state graph in Graphviz DOT, for small models: one node per
//! unique state (numbered in BFS order, the full state in its tooltip),
//! one edge per transition labelled with its action. Initial states are
//! drawn bold, states that break an `always` property filled red. The search
//! is the plain sequential BFS (fingerprints, symmetry if asked, the depth
//! budget); a graph over `limit` states is refused rather than drawn.

use super::{key_of, Expectation, Model, Options};
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The state graph of `model` within `options`' depth budget, or an error
/// when it has more than `limit` states.
pub fn to_dot<M: Model>(model: &M, options: &Options, limit: usize) -> Result<String, String> {
    let properties = model.properties();
    let mut ids: BTreeMap<u64, usize> = BTreeMap::new();
    let mut queue: VecDeque<(M::State, usize, u64)> = VecDeque::new();
    let mut nodes = String::new();
    let mut edges = String::new();
    let add = |state: &M::State, initial: bool, ids: &mut BTreeMap<u64, usize>, nodes: &mut String| {
        let key = key_of(model, state, options.symmetry);
        if let Some(&id) = ids.get(&key) {
            return (id, false);
        }
        let id = ids.len();
        ids.insert(key, id);
        let broken: Vec<&str> = properties
            .iter()
            .filter(|p| p.expectation == Expectation::Always && !(p.condition)(model, state))
            .map(|p| p.name.as_str())
            .collect();
        let mut attrs = format!("label=\"{id}\", tooltip=\"{}\"", escape(&model.format_state(state)));
        if initial {
            attrs.push_str(", style=bold");
        }
        if !broken.is_empty() {
            let _ = write!(attrs, ", style=filled, fillcolor=\"#f4a6a6\", xlabel=\"{}\"", escape(&broken.join(", ")));
        }
        let _ = writeln!(nodes, "  s{id} [{attrs}];");
        (id, true)
    };
    for s in model.init_states() {
        let (id, new) = add(&s, true, &mut ids, &mut nodes);
        if new {
            queue.push_back((s, id, 1));
        }
    }
    let mut actions = Vec::new();
    while let Some((state, id, depth)) = queue.pop_front() {
        if ids.len() > limit {
            return Err(format!(
                "the state graph has more than {limit} states: DOT export is for small models \
                 (give --depth, or make the model smaller)"
            ));
        }
        if options.max_depth.is_some_and(|d| depth >= d) || !model.within_boundary(&state) {
            continue;
        }
        actions.clear();
        model.actions(&state, &mut actions);
        for action in actions.drain(..) {
            let label = model.format_action(&action);
            let Some(next) = model.next_state(&state, action) else { continue };
            let (to, new) = add(&next, false, &mut ids, &mut nodes);
            let _ = writeln!(edges, "  s{id} -> s{to} [label=\"{}\"];", escape(&label));
            if new {
                queue.push_back((next, to, depth + 1));
            }
        }
    }
    if ids.len() > limit {
        return Err(format!("the state graph has more than {limit} states: DOT export is for small models"));
    }
    Ok(format!(
        "digraph states {{\n  rankdir=LR;\n  node [shape=circle, fontsize=10];\n  edge [fontsize=8];\n{nodes}{edges}}}\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::Property;

    /// A counter modulo 3 that may also jump to 5 (where `small` breaks).
    struct Counter;

    impl Model for Counter {
        type State = u8;
        type Action = u8;
        fn init_states(&self) -> Vec<u8> {
            vec![0]
        }
        fn actions(&self, s: &u8, a: &mut Vec<u8>) {
            if *s < 3 {
                a.push((*s + 1) % 3);
                a.push(5);
            }
        }
        fn next_state(&self, _: &u8, a: u8) -> Option<u8> {
            Some(a)
        }
        fn properties(&self) -> Vec<Property<Self>> {
            vec![Property::always("small", |_, s| *s < 3)]
        }
    }

    #[test]
    fn draws_every_state_and_transition_and_marks_violations() {
        let dot = to_dot(&Counter, &Options::bfs(), 100).unwrap();
        assert_eq!(dot.matches(" [label=\"").count() - dot.matches(" -> ").count(), 4, "{dot}");
        assert_eq!(dot.matches(" -> ").count(), 6, "{dot}");
        assert_eq!(dot.matches("fillcolor").count(), 1, "{dot}");
        assert!(dot.contains("s0 [label=\"0\", tooltip=\"0\", style=bold]"), "{dot}");
        let err = to_dot(&Counter, &Options::bfs(), 2).unwrap_err();
        assert!(err.contains("more than 2 states"), "{err}");
        // Depth 1: only the initial state, no edges.
        let one = to_dot(&Counter, &Options::bfs().max_depth(1), 100).unwrap();
        assert_eq!(one.matches(" -> ").count(), 0, "{one}");
    }
}
