//! The linear type checker.
//!
//! Consumes the surface modules of a program; produces every type error, or
//! the checked signatures of its functions. Stages: `env` collects the
//! top-level items and resolves surface types; `check` walks each function
//! body with a linear context (`pat` handles patterns and exhaustiveness,
//! `infer` the unknowns); `calls` rejects recursion. Errors are independent
//! per function, so one mistake is reported once and the rest still checked.

pub mod calls;
pub mod check;
pub mod env;
pub mod errors;
pub mod infer;
pub mod pat;
pub mod types;

use crate::syntax::ast;
use check::{end_of, FnChecker};
use env::Env;
use errors::{TypeError, TypeErrorKind};
use types::Ty;

/// Checks a whole program (all modules, includes already loaded).
pub fn check_program(modules: &[&ast::Module]) -> Vec<TypeError> {
    let mut errors = Vec::new();
    let env = Env::collect(modules, &mut errors);
    let mut graph = calls::CallGraph::default();
    for function in env.functions.values() {
        let Some(definition) = &function.definition else { continue };
        let mut checker = FnChecker::new(&env, &function.scheme);
        check_definition(&mut checker, &function.scheme.ty, definition);
        checker.finish();
        graph.add(&definition.name.name, checker.calls.clone());
        errors.append(&mut checker.errors);
    }
    errors.extend(graph.cycles());
    errors.sort_by_key(|e| (e.span.file, e.span.start));
    errors
}

fn check_definition(checker: &mut FnChecker, ty: &Ty, definition: &env::Definition) {
    match (definition.param, ty) {
        (Some(param), Ty::Fun(arg, result)) => {
            checker.bind_pattern(param, arg);
            checker.check_exhaustive(arg, &[param], param.span);
            checker.check(definition.body, result);
            checker.close_scope(0, end_of(definition.body.span));
        }
        (Some(param), other) => {
            checker.error(
                TypeErrorKind::Mismatch { expected: other.to_string(), found: "a function".to_owned() },
                param.span,
            );
        }
        (None, ty) => checker.check(definition.body, ty),
    }
}

/// Convenience for callers holding loaded modules.
pub fn check_loaded(program: &crate::syntax::loader::Program) -> Vec<TypeError> {
    let modules: Vec<&ast::Module> = program.modules.iter().map(|m| &m.module).collect();
    check_program(&modules)
}
