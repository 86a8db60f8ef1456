//! Definitions for the runtime's abstract functions (their value-semantics
//! models in `runtime/src/library.rs`, over `CdslBase.v`'s `cdsl_wa_*` and
//! `cdsl_seq`), generated per instance from its type: records are tuples
//! in declaration order, so where a field sits depends on the program's own
//! declaration. An instance whose type has another shape stays a
//! `Parameter`.

use super::{inject, project, tuple, CoqError, Generator};
use crate::backend::coq::names::Locals;
use crate::typeck::types::{Prim, Ty};

/// The body of `function`'s model, its parameter named `param`; `None`
/// when there is no model for this name or shape.
pub(super) fn body(
    generator: &Generator,
    name: &str,
    param: &str,
    param_ty: &Ty,
    result: &Ty,
    locals: &mut Locals,
) -> Result<Option<String>, CoqError> {
    let parts = |n: usize| match param_ty {
        Ty::Tuple(items) if items.len() == n => Some(items.to_vec()),
        _ => None,
    };
    if let Some((_, to)) = crate::backend::narrowing(name) {
        let typed = crate::backend::check_runtime_signature(name, Some(param_ty), result).is_ok();
        return Ok(typed.then(|| format!("cdsl_wrap {to} {param}")));
    }
    Ok(match name {
        "wordarray_length" if is_array(param_ty) => Some(format!("cdsl_wa_length {param}")),
        "wordarray_free" if parts(2).is_some_and(|p| is_array(&p[1])) => {
            Some(format!("let '({}, _) := {param} in {}", "st", "st"))
        }
        "wordarray_get" => match (parts(2), zero(result)) {
            (Some(p), Some(zero)) if is_array(&p[0]) => {
                Some(format!("let '(xs, i) := {param} in cdsl_wa_get {zero} xs i"))
            }
            _ => None,
        },
        "wordarray_put" => match (parts(3), result) {
            (Some(p), Ty::Variant(alts)) if is_array(&p[0]) && alts.len() == 2 => {
                let keys: Vec<&String> = alts.keys().collect();
                let (Some(error), Some(success)) =
                    (keys.iter().position(|k| *k == "Error"), keys.iter().position(|k| *k == "Success"))
                else {
                    return Ok(None);
                };
                let ty = generator.ty(result)?;
                Some(format!(
                    "let '(xs, i, v) := {param} in\n  match cdsl_wa_put xs i v with\n  | Some ys => ({} : {ty})\n  | None => ({} : {ty})\n  end",
                    inject(success, 2, "ys"),
                    inject(error, 2, "xs")
                ))
            }
            _ => None,
        },
        "wordarray_create" => create(generator, param, param_ty, result)?,
        "seq32" | "seq64" => seq(generator, param, param_ty, locals)?,
        _ => None,
    })
}

fn create(generator: &Generator, param: &str, param_ty: &Ty, result: &Ty) -> Result<Option<String>, CoqError> {
    let (Ty::Tuple(items), Ty::Variant(alts)) = (param_ty, result) else { return Ok(None) };
    let keys: Vec<&String> = alts.keys().collect();
    let (Some(error), Some(success)) =
        (keys.iter().position(|k| *k == "Error"), keys.iter().position(|k| *k == "Success"))
    else {
        return Ok(None);
    };
    let element = match alts.get("Success") {
        Some(Ty::Tuple(parts)) if parts.len() == 2 => match &parts[1] {
            Ty::Abstract { name, args, .. } if name == "WordArray" && args.len() == 1 => args[0].clone(),
            _ => return Ok(None),
        },
        _ => return Ok(None),
    };
    let Some(zero) = zero(&element) else { return Ok(None) };
    if items.len() != 2 || alts.len() != 2 {
        return Ok(None);
    }
    let ty = generator.ty(result)?;
    Ok(Some(format!(
        "let '(st, len) := {param} in\n  match cdsl_wa_create {zero} len with\n  | Some xs => ({} : {ty})\n  | None => ({} : {ty})\n  end",
        inject(success, 2, "(st, xs)"),
        inject(error, 2, "st")
    )))
}

fn is_array(ty: &Ty) -> bool {
    matches!(ty, Ty::Abstract { name, args, .. } if name == "WordArray" && args.len() == 1)
}

fn zero(ty: &Ty) -> Option<&'static str> {
    match ty {
        Ty::Prim(Prim::Bool) => Some("false"),
        Ty::Prim(p) if p.is_word() => Some("0%N"),
        Ty::Unit => Some("tt"),
        _ => None,
    }
}

fn seq(generator: &Generator, param: &str, param_ty: &Ty, locals: &mut Locals) -> Result<Option<String>, CoqError> {
    let Ty::Record { fields, .. } = param_ty else { return Ok(None) };
    let position = |name: &str| fields.iter().position(|(n, _)| n == name);
    let (Some(frm), Some(to), Some(step), Some(f), Some(acc), Some(obsv)) =
        (position("frm"), position("to"), position("step"), position("f"), position("acc"), position("obsv"))
    else {
        // Without `step` the runtime rejects the call: no model to state.
        return Ok(None);
    };
    let Ty::Fun(step_arg, step_result) = &fields[f].1.ty else { return Ok(None) };
    // A body returning more than the accumulator (a `brk` variant) has no model here.
    if generator.ty(step_result)? != generator.ty(&fields[acc].1.ty)? {
        return Ok(None);
    }
    let Ty::Record { fields: step_fields, .. } = &**step_arg else { return Ok(None) };
    let count = fields.len();
    let mut field = |index: usize| project(param, index, count, locals);
    let (frm, to, step, f, acc, obsv) = (field(frm), field(to), field(step), field(f), field(acc), field(obsv));
    let acc_ty = generator.ty(&fields[position("acc").unwrap_or_default()].1.ty)?;
    let (a, i) = (locals.helper("acc"), locals.helper("idx"));
    let mut parts = Vec::new();
    for (name, _) in step_fields.iter() {
        parts.push(match name.as_str() {
            "acc" => a.clone(),
            "obsv" => obsv.clone(),
            "idx" => i.clone(),
            _ => return Ok(None),
        });
    }
    let step_record = tuple(parts);
    Ok(Some(format!("cdsl_seq {frm} {to} {step} (fun ({a} : {acc_ty}) ({i} : N) => {f} {step_record}) {acc}")))
}
