//! No panic in the type checker: well-formed programs, mutated the way people
//! get linear types wrong (drop a use, duplicate a use, drop a put, take one
//! field fewer, delete a match arm, swap variables, observe or stop
//! observing), must be accepted or rejected with diagnostics whose spans lie
//! inside their files — never a panic.
//!
//! Cases: `CDSL_TYPECK_FUZZ_CASES` (default 10,000; `make fuzz` raises it).

use cdsl::diagnostics::render_to_string;
use cdsl::source::SourceMap;
use cdsl::syntax::ast::{Expr, ExprKind, Ident, ItemKind, Module, PatKind};
use cdsl::syntax::loader;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::{Path, PathBuf};

/// Well-formed programs to start from: the examples and the corpora that exist.
fn seed_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["../fs-examples/cdsl", "tests/typing/pass", "tests/syntax/pass"] {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "cdsl"))
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

struct Seed {
    sources: SourceMap,
    modules: Vec<Module>,
}

fn load(path: &Path) -> Option<Seed> {
    let mut sources = SourceMap::new();
    let (program, errors) = loader::load(&mut sources, path).ok()?;
    if !errors.is_empty() {
        return None;
    }
    Some(Seed { sources, modules: program.modules.into_iter().map(|m| m.module).collect() })
}

#[derive(Clone, Copy, Debug)]
enum Mutation {
    DropUse,
    DuplicateUse,
    DropPut,
    TakeOneFieldFewer,
    DeleteArm,
    SwapVariable,
    ObserveFirstVariable,
    StopObserving,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::DropUse),
        Just(Mutation::DuplicateUse),
        Just(Mutation::DropPut),
        Just(Mutation::TakeOneFieldFewer),
        Just(Mutation::DeleteArm),
        Just(Mutation::SwapVariable),
        Just(Mutation::ObserveFirstVariable),
        Just(Mutation::StopObserving),
    ]
}

/// Calls `f` on every expression of the module, outermost first.
fn each_expr(module: &mut Module, f: &mut dyn FnMut(&mut Expr)) {
    for item in &mut module.items {
        if let ItemKind::Definition { body, .. } = &mut item.kind {
            walk(body, f);
        }
    }
}

fn walk(e: &mut Expr, f: &mut dyn FnMut(&mut Expr)) {
    f(e);
    match &mut e.kind {
        ExprKind::Var(_) | ExprKind::TypeApp { .. } | ExprKind::Lit(_) | ExprKind::Unit => {}
        ExprKind::Tuple(items) => items.iter_mut().for_each(|i| walk(i, f)),
        ExprKind::UnboxedRecord(fields) => fields.iter_mut().for_each(|fe| walk(&mut fe.value, f)),
        ExprKind::Con { args, .. } => args.iter_mut().for_each(|a| walk(a, f)),
        ExprKind::App(a, b) | ExprKind::Binary(_, a, b) => {
            walk(a, f);
            walk(b, f);
        }
        ExprKind::Unary(_, a) | ExprKind::Upcast(a) | ExprKind::Member(a, _) | ExprKind::Annot(a, _) => walk(a, f),
        ExprKind::Put(record, fields) => {
            walk(record, f);
            fields.iter_mut().for_each(|fe| walk(&mut fe.value, f));
        }
        ExprKind::If { cond, then, els, .. } => {
            walk(cond, f);
            walk(then, f);
            walk(els, f);
        }
        ExprKind::Let { bindings, body } => {
            bindings.iter_mut().for_each(|b| walk(&mut b.value, f));
            walk(body, f);
        }
        ExprKind::Match { scrutinee, alts, .. } => {
            walk(scrutinee, f);
            alts.iter_mut().for_each(|a| walk(&mut a.body, f));
        }
    }
}

/// Applies `mutation` at the `pick`-th place where it applies, if any.
fn mutate(module: &mut Module, mutation: Mutation, pick: usize) {
    let mut variables: Vec<Ident> = Vec::new();
    each_expr(module, &mut |e| {
        if let ExprKind::Var(v) = &e.kind {
            variables.push(v.clone());
        }
    });
    let mut sites = 0usize;
    each_expr(module, &mut |e| {
        if applies(mutation, e) {
            sites += 1;
        }
    });
    if sites == 0 {
        return;
    }
    let target = pick % sites;
    let mut seen = 0usize;
    let mut done = false;
    each_expr(module, &mut |e| {
        if done || !applies(mutation, e) {
            return;
        }
        if seen == target {
            apply(mutation, e, &variables, pick);
            done = true;
        }
        seen += 1;
    });
}

fn applies(mutation: Mutation, e: &Expr) -> bool {
    match mutation {
        Mutation::DropUse | Mutation::DuplicateUse => true,
        Mutation::DropPut => matches!(e.kind, ExprKind::Put(..)),
        Mutation::TakeOneFieldFewer => match &e.kind {
            ExprKind::Let { bindings, .. } => {
                bindings.iter().any(|b| matches!(&b.pat.kind, PatKind::Take { fields, .. } if !fields.is_empty()))
            }
            _ => false,
        },
        Mutation::DeleteArm => matches!(&e.kind, ExprKind::Match { alts, .. } if alts.len() > 1),
        Mutation::SwapVariable => matches!(e.kind, ExprKind::Var(_)),
        Mutation::ObserveFirstVariable => matches!(e.kind, ExprKind::Let { .. }),
        Mutation::StopObserving => match &e.kind {
            ExprKind::Let { bindings, .. } => bindings.iter().any(|b| !b.bangs.is_empty()),
            ExprKind::If { bangs, .. } | ExprKind::Match { bangs, .. } => !bangs.is_empty(),
            _ => false,
        },
    }
}

fn apply(mutation: Mutation, e: &mut Expr, variables: &[Ident], pick: usize) {
    match mutation {
        Mutation::DropUse => e.kind = ExprKind::Unit,
        Mutation::DuplicateUse => e.kind = ExprKind::Tuple(vec![e.clone(), e.clone()]),
        Mutation::DropPut => {
            if let ExprKind::Put(record, _) = &e.kind {
                *e = (**record).clone();
            }
        }
        Mutation::TakeOneFieldFewer => {
            if let ExprKind::Let { bindings, .. } = &mut e.kind {
                for binding in bindings {
                    if let PatKind::Take { fields, .. } = &mut binding.pat.kind {
                        fields.pop();
                        break;
                    }
                }
            }
        }
        Mutation::DeleteArm => {
            if let ExprKind::Match { alts, .. } = &mut e.kind {
                let index = pick % alts.len();
                alts.remove(index);
            }
        }
        Mutation::SwapVariable => {
            if let (ExprKind::Var(v), false) = (&mut e.kind, variables.is_empty()) {
                v.name = variables[pick % variables.len()].name.clone();
            }
        }
        Mutation::ObserveFirstVariable => {
            if let (ExprKind::Let { bindings, .. }, Some(v)) =
                (&mut e.kind, variables.get(pick % variables.len().max(1)))
            {
                bindings[0].bangs.push(v.clone());
            }
        }
        Mutation::StopObserving => match &mut e.kind {
            ExprKind::Let { bindings, .. } => bindings.iter_mut().for_each(|b| b.bangs.clear()),
            ExprKind::If { bangs, .. } | ExprKind::Match { bangs, .. } => bangs.clear(),
            _ => {}
        },
    }
}

fn cases() -> u32 {
    std::env::var("CDSL_TYPECK_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}

#[test]
fn mutated_programs_are_accepted_or_diagnosed_never_a_panic() {
    let seeds: Vec<Seed> = seed_files().iter().filter_map(|p| load(p)).collect();
    assert!(seeds.len() >= 3, "too few well-formed seed programs ({}) to mutate", seeds.len());
    let mut runner = TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    let strategy = (0..seeds.len(), proptest::collection::vec((mutation(), any::<usize>()), 1..4));
    let rejected = std::cell::Cell::new(0u32);
    let result = runner.run(&strategy, |(seed_index, mutations)| {
        let seed = &seeds[seed_index];
        let mut modules = seed.modules.clone();
        for (mutation, pick) in &mutations {
            mutate(&mut modules[0], *mutation, *pick);
        }
        let refs: Vec<&Module> = modules.iter().collect();
        if let Err(errors) = cdsl::typeck::check_program(&refs) {
            rejected.set(rejected.get() + 1);
            prop_assert!(!errors.is_empty(), "rejected without an error");
            let diagnostics: Vec<_> = errors.iter().map(|e| e.to_diagnostic()).collect();
            for d in &diagnostics {
                let len = seed.sources.text(d.primary.span.file).len() as u32;
                prop_assert!(d.primary.span.start <= d.primary.span.end && d.primary.span.end <= len, "{d:?}");
            }
            let rendered = render_to_string(&seed.sources, &diagnostics);
            prop_assert!(rendered.contains("error"), "{rendered}");
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // The mutations must actually break programs, or this test checks little.
    let rejected = rejected.get();
    assert!(rejected > cases() / 4, "only {rejected} of {} mutated programs were rejected", cases());
}
