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
pub mod expr;
pub mod infer;
pub mod pat;
pub mod typed;
pub mod types;

use crate::syntax::ast;
use check::{end_of, FnChecker};
use env::Env;
use errors::{TypeError, TypeErrorKind};
use std::collections::BTreeMap;
use types::Ty;

/// Checks a whole program (all modules, includes already loaded): the typed
/// program when it is well typed, otherwise every error found.
pub fn check_program(modules: &[&ast::Module]) -> Result<typed::Program, Vec<TypeError>> {
    let mut errors = Vec::new();
    let env = Env::collect(modules, &mut errors);
    let mut graph = calls::CallGraph::default();
    let mut functions = BTreeMap::new();
    for (name, function) in env.functions_in_order() {
        if !matches!(function.scheme.ty, Ty::Fun(..)) {
            constant_is_shareable(&env, function, &mut errors);
        }
        let body = function.definition.as_ref().map(|definition| {
            let mut checker = FnChecker::new(&env, &function.scheme);
            let body = check_definition(&mut checker, &function.scheme.ty, definition);
            checker.finish();
            graph.add(name, std::mem::take(&mut checker.calls));
            errors.append(&mut checker.errors);
            zonk_body(body, &checker)
        });
        let span = function.name.span;
        functions
            .insert(name.clone(), typed::Function { name: name.clone(), scheme: function.scheme.clone(), body, span });
    }
    errors.extend(graph.cycles());
    if errors.is_empty() {
        Ok(typed::Program { functions })
    } else {
        errors.sort_by_key(|e| (e.span.file, e.span.start));
        Err(errors)
    }
}

/// A constant is a name usable any number of times, defined or abstract: its
/// value must not be linear, or each use would duplicate it.
fn constant_is_shareable(env: &Env, function: &env::Function, errors: &mut Vec<TypeError>) {
    let checker = FnChecker::new(env, &function.scheme);
    let kind = checker.kind(&function.scheme.ty);
    if !(kind.share && kind.discard) {
        let ty = function.scheme.ty.to_string();
        errors.push(TypeError::new(TypeErrorKind::LinearConstant { ty }, function.name.span));
    }
}

fn check_definition(checker: &mut FnChecker, ty: &Ty, definition: &env::Definition) -> typed::Body {
    match (definition.param, ty) {
        (Some(param), Ty::Fun(arg, result)) => {
            let param_pat = checker.bind_top_pattern(param, arg);
            checker.check_exhaustive(arg, &[param], param.span, pat::Coverage::Parameter);
            let expr = checker.check(definition.body, result);
            checker.close_scope(0, end_of(definition.body.span));
            typed::Body { param: Some(param_pat), expr }
        }
        (Some(param), other) => {
            checker.error(
                TypeErrorKind::Mismatch { expected: format!("`{other}`"), found: "a function definition".to_owned() },
                param.span,
            );
            typed::Body { param: None, expr: typed::Expr::error(definition.body.span) }
        }
        (None, ty) => typed::Body { param: None, expr: checker.check(definition.body, ty) },
    }
}

fn zonk_body(mut body: typed::Body, checker: &FnChecker) -> typed::Body {
    if let Some(param) = &mut body.param {
        typed::zonk_pat(param, &checker.metas);
    }
    typed::zonk_expr(&mut body.expr, &checker.metas);
    body
}

/// Convenience for callers holding loaded modules.
pub fn check_loaded(program: &crate::syntax::loader::Program) -> Result<typed::Program, Vec<TypeError>> {
    let modules: Vec<&ast::Module> = program.modules.iter().map(|m| &m.module).collect();
    check_program(&modules)
}
