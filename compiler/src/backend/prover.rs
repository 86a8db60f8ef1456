//! What the two prover backends ([`super::coq`], [`super::isabelle`])
//! share: the order definitions must come in, the abstract types a program
//! mentions, and names (`names.rs`: one allocator, each prover's rules).
//! Consumes the core IR only; produces no text.

pub mod names;

use crate::core::ir::{Expr, ExprKind, Function, Program};
use crate::typeck::types::Ty;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Function instances, each after every instance it refers to; ties in
/// name order, so the order is stable.
pub fn call_order(program: &Program) -> Vec<String> {
    fn visit(program: &Program, name: &str, seen: &mut HashSet<String>, order: &mut Vec<String>) {
        if !seen.insert(name.to_owned()) {
            return;
        }
        let callees = program.functions.get(name).map(callees).unwrap_or_default();
        for callee in callees {
            if program.functions.contains_key(&callee) {
                visit(program, &callee, seen, order);
            }
        }
        order.push(name.to_owned());
    }
    let mut seen = HashSet::new();
    let mut order = Vec::new();
    for name in program.functions.keys() {
        visit(program, name, &mut seen, &mut order);
    }
    order
}

/// The instances a function's body refers to.
pub fn callees(function: &Function) -> BTreeSet<String> {
    fn walk(e: &Expr, into: &mut BTreeSet<String>) {
        if let ExprKind::Global(name) = &e.kind {
            into.insert(name.clone());
        }
        e.for_each_child(&mut |child| walk(child, into));
    }
    let mut out = BTreeSet::new();
    if let Some(body) = &function.body {
        walk(body, &mut out);
    }
    out
}

/// Abstract type names (with arities) in a type; `Err` names a type that
/// is not monomorphic (a bug in the core IR handed to a backend).
pub fn collect_abstract(ty: &Ty, into: &mut BTreeMap<String, usize>) -> Result<(), String> {
    match ty {
        Ty::Prim(_) | Ty::Unit => Ok(()),
        Ty::Tuple(items) => items.iter().try_for_each(|t| collect_abstract(t, into)),
        Ty::Record { fields, .. } => fields.iter().try_for_each(|(_, f)| collect_abstract(&f.ty, into)),
        Ty::Variant(alts) => alts.values().try_for_each(|t| collect_abstract(t, into)),
        Ty::Abstract { name, args, .. } => {
            into.insert(name.clone(), args.len());
            args.iter().try_for_each(|t| collect_abstract(t, into))
        }
        Ty::Fun(a, b) => {
            collect_abstract(a, into)?;
            collect_abstract(b, into)
        }
        Ty::Var { .. } | Ty::Meta { .. } | Ty::Error => Err(format!("a non-monomorphic type `{ty}`")),
    }
}

/// The global names (prover-side) one function's text can refer to: its
/// callees and the abstract types in its types. Locals avoid exactly
/// these, so adding an unrelated global never renames a local.
pub fn referenced_globals(
    function: &Function,
    functions: &BTreeMap<String, String>,
    types: &BTreeMap<String, String>,
) -> HashSet<String> {
    let mut out: HashSet<String> = callees(function).iter().filter_map(|c| functions.get(c).cloned()).collect();
    let mut abstract_types = BTreeMap::new();
    for ty in function.types() {
        let _ = collect_abstract(ty, &mut abstract_types);
    }
    out.extend(abstract_types.keys().filter_map(|t| types.get(t).cloned()));
    out
}
