//! The call graph: CDSL has no recursion, so any cycle is an error naming it.

use crate::source::Span;
use crate::typeck::errors::{TypeError, TypeErrorKind};
use std::collections::BTreeMap;

#[derive(Default)]
pub struct CallGraph {
    /// For each defined function, the top-level names it refers to and where.
    edges: BTreeMap<String, Vec<(String, Span)>>,
}

impl CallGraph {
    pub fn add(&mut self, caller: &str, callees: Vec<(String, Span)>) {
        self.edges.insert(caller.to_owned(), callees);
    }

    /// One error per cycle, at the reference that closes it.
    pub fn cycles(&self) -> Vec<TypeError> {
        let mut state: BTreeMap<&str, Visit> = BTreeMap::new();
        let mut errors = Vec::new();
        for start in self.edges.keys() {
            let mut path = Vec::new();
            self.visit(start, &mut state, &mut path, &mut errors);
        }
        errors
    }

    fn visit<'g>(
        &'g self,
        node: &'g str,
        state: &mut BTreeMap<&'g str, Visit>,
        path: &mut Vec<&'g str>,
        errors: &mut Vec<TypeError>,
    ) {
        if state.contains_key(node) {
            return;
        }
        state.insert(node, Visit::OnPath);
        path.push(node);
        for (callee, span) in self.edges.get(node).into_iter().flatten() {
            match state.get(callee.as_str()) {
                Some(Visit::OnPath) => {
                    let from = path.iter().position(|n| n == callee).unwrap_or(0);
                    let mut cycle: Vec<String> = path[from..].iter().map(|s| s.to_string()).collect();
                    cycle.push(callee.clone());
                    // Each cycle once, however many calls close it.
                    let already =
                        errors.iter().any(|e| matches!(&e.kind, TypeErrorKind::Recursion { cycle: c } if *c == cycle));
                    if !already {
                        errors.push(TypeError::new(TypeErrorKind::Recursion { cycle }, *span));
                    }
                }
                Some(Visit::Done) => {}
                None => self.visit(callee, state, path, errors),
            }
        }
        path.pop();
        state.insert(node, Visit::Done);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    OnPath,
    Done,
}
