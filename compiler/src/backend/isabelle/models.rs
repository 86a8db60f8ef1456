//! The runtime's abstract functions (word arrays, `seq32`/`seq64`) are
//! `consts` in the shallow theory; their value-semantics models
//! (`runtime/src/library.rs`, as `proofs/CdslValue.thy` states them) become
//! the assumptions of the locale `<M>_runtime`, one per instance, written
//! from the instance's type (a record's fields sit in its own declaration
//! order). An instance of another shape, or another abstract function, has
//! no assumption: nothing is claimed about it.

use super::{Generator, IsabelleError};
use crate::core::ir::Function;
use crate::typeck::types::{Prim, Ty};
use std::fmt::Write as _;

/// Writes the locale (nothing when no instance has a model).
pub(super) fn locale(
    generator: &Generator,
    abstract_fns: &[&Function],
    name: &str,
    out: &mut String,
) -> Result<(), IsabelleError> {
    let mut assumptions = Vec::new();
    for function in abstract_fns {
        let Some((_, param)) = &function.param else { continue };
        if let Some(model) = model(generator, &function.source_name, param, &function.result)? {
            let hol = &generator.functions[&function.name];
            assumptions.push(format!("{hol}_model: \"{hol} = {model}\""));
        }
    }
    if assumptions.is_empty() {
        return Ok(());
    }
    let _ = writeln!(
        out,
        "text \\<open>The runtime's value-semantics models (runtime/src/library.rs), assumed.\\<close>\n\nlocale {name} =\n  assumes {}\n",
        assumptions.join("\n    and ")
    );
    Ok(())
}

fn is_array(ty: &Ty) -> bool {
    matches!(ty, Ty::Abstract { name, args, .. } if name == "WordArray" && args.len() == 1)
}

fn zero(generator: &Generator, ty: &Ty) -> Result<Option<String>, IsabelleError> {
    Ok(match ty {
        Ty::Prim(Prim::Bool) => Some("False".to_owned()),
        Ty::Prim(p) if p.is_word() => Some(format!("(0 :: {})", generator.ty(ty)?)),
        Ty::Unit => Some("()".to_owned()),
        _ => None,
    })
}

/// `Error x` and `Success y` of a result variant, as functions of their payload text.
fn error_success(generator: &Generator, result: &Ty) -> Result<Option<(String, String)>, IsabelleError> {
    let Ty::Variant(alts) = result else { return Ok(None) };
    if alts.len() != 2 || alts.get("Error").is_none() || alts.get("Success").is_none() {
        return Ok(None);
    }
    Ok(Some((generator.ctor(result, "Error")?, generator.ctor(result, "Success")?)))
}

fn model(generator: &Generator, name: &str, param: &Ty, result: &Ty) -> Result<Option<String>, IsabelleError> {
    let parts = |n: usize| match param {
        Ty::Tuple(items) if items.len() == n => Some(items.to_vec()),
        _ => None,
    };
    let ty = generator.ty(result)?;
    if crate::backend::narrowing(name).is_some() {
        let typed = crate::backend::check_runtime_signature(name, Some(param), result).is_ok();
        return Ok(if typed { Some(format!("(ucast :: {} => {ty})", generator.ty(param)?)) } else { None });
    }
    Ok(match name {
        "wordarray_length" if is_array(param) => Some("cdsl_wa_length".to_owned()),
        "wordarray_free" if parts(2).is_some_and(|p| is_array(&p[1])) => Some("(%(st, xs). st)".to_owned()),
        "wordarray_get" => match (parts(2), zero(generator, result)?) {
            (Some(p), Some(zero)) if is_array(&p[0]) => Some(format!("(%(xs, i). cdsl_wa_get {zero} xs i)")),
            _ => None,
        },
        "wordarray_put" => match (parts(3), error_success(generator, result)?) {
            (Some(p), Some((error, success))) if is_array(&p[0]) => Some(format!(
                "(%(xs, i, v). case_option ({error} xs :: {ty}) (%ys. ({success} ys :: {ty})) (cdsl_wa_put xs i v))"
            )),
            _ => None,
        },
        "wordarray_create" => {
            let element = match result {
                Ty::Variant(alts) => match alts.get("Success") {
                    Some(Ty::Tuple(items)) if items.len() == 2 && is_array(&items[1]) => match &items[1] {
                        Ty::Abstract { args, .. } => Some(args[0].clone()),
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            };
            match (parts(2), element, error_success(generator, result)?) {
                (Some(_), Some(element), Some((error, success))) => zero(generator, &element)?.map(|zero| {
                    format!(
                        "(%(st, len). case_option ({error} st :: {ty}) (%xs. ({success} (st, xs) :: {ty})) (cdsl_wa_create {zero} len))"
                    )
                }),
                _ => None,
            }
        }
        "seq32" | "seq64" => seq(generator, param)?,
        _ => None,
    })
}

fn seq(generator: &Generator, param: &Ty) -> Result<Option<String>, IsabelleError> {
    let Ty::Record { fields, .. } = param else { return Ok(None) };
    let find = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, f)| f.ty.clone());
    let (Some(_), Some(_), Some(_), Some(Ty::Fun(step_arg, step_result)), Some(acc), Some(_)) =
        (find("frm"), find("to"), find("step"), find("f"), find("acc"), find("obsv"))
    else {
        // Without `step` the runtime rejects the call: no model to state.
        return Ok(None);
    };
    // A body returning more than the accumulator has no model here.
    if generator.ty(&step_result)? != generator.ty(&acc)? {
        return Ok(None);
    }
    let Ty::Record { fields: step_fields, .. } = &*step_arg else { return Ok(None) };
    let field = |name: &str| -> Result<String, IsabelleError> { Ok(format!("({} r)", generator.field(param, name)?)) };
    let mut parts = Vec::new();
    for (name, _) in step_fields.iter() {
        parts.push(match name.as_str() {
            "acc" => "a".to_owned(),
            "obsv" => field("obsv")?,
            "idx" => "i".to_owned(),
            _ => return Ok(None),
        });
    }
    let step_record = generator.types.record(&step_arg)?;
    Ok(Some(format!(
        "(%r. cdsl_seq {} {} {} (%a i. {} ({}.make {} :: {})) {})",
        field("frm")?,
        field("to")?,
        field("step")?,
        field("f")?,
        step_record.name,
        parts.join(" "),
        generator.ty(&step_arg)?,
        field("acc")?
    )))
}
