//! Abstract functions: each instance gets a Rust function that binds it to
//! the native runtime (`cdsl_rt`, a copy of `cdsl_runtime::native`).
//!
//! As in the interpreters, allocators and deallocators are recognised by
//! shape first (`SysState -> R (SysState, T take (..)) SysState` and
//! `(SysState, T take (..)) -> SysState`), then the runtime library's
//! functions by source name with the signatures of `runtime/cdsl/prelude.cdsl`.
//! An abstract function the runtime does not implement gets a body that
//! panics naming it, and the generator reports a warning.

use super::names::field_ident;
use super::types::{all_taken, def_name, is_plain, zero};
use crate::core::ir::{allocated, deallocates, Function};
use crate::typeck::types::Ty;

/// The body of an abstract function instance, reading its argument from
/// `arg`; `Err` holds why the runtime cannot implement it.
pub fn body(function: &Function) -> Result<String, String> {
    let param = function.param.as_ref().map(|(_, t)| t);
    let result = &function.result;
    if let Some(record) = allocated(param, result) {
        let Ty::Variant(_) = result else { unreachable!("bug: allocated checked the result") };
        return Ok(format!("{}::Success((arg, {}))", def_name(result), all_taken(record).map_err(|e| e.to_string())?));
    }
    if deallocates(param, result) {
        return Ok("let (st, record) = arg;\nstd::mem::drop(record);\nst".to_owned());
    }
    let name = function.source_name.as_str();
    crate::backend::check_runtime_signature(name, param, result)?;
    if let Some((_, to)) = crate::backend::narrowing(name) {
        return Ok(format!("arg as u{to}"));
    }
    let element = || function.type_args.first().ok_or_else(|| format!("`{name}` has no element type"));
    let zero_of = |t: &Ty| zero(t).ok_or_else(|| format!("`{name}` got no element type with a zero (`{t}`)"));
    Ok(match name {
        "wordarray_create" => {
            let zero = zero_of(element()?)?;
            let r = def_name(result);
            format!(
                "let (st, len) = arg;\nmatch cdsl_rt::wordarray_create(len, {zero}) {{\n    Some(array) => \
                 {r}::Success((st, array)),\n    None => {r}::Error(st),\n}}"
            )
        }
        "wordarray_free" => "let (st, array) = arg;\nstd::mem::drop(array);\nst".to_owned(),
        "wordarray_length" => "cdsl_rt::wordarray_length(arg)".to_owned(),
        "wordarray_get" => format!("cdsl_rt::wordarray_get(arg.0, arg.1, {})", zero_of(element()?)?),
        "wordarray_put" => {
            let r = def_name(result);
            format!(
                "match cdsl_rt::wordarray_put(arg.0, arg.1, arg.2) {{\n    Ok(array) => {r}::Success(array),\n    \
                 Err(array) => {r}::Error(array),\n}}"
            )
        }
        "wordarray_copy" => "cdsl_rt::wordarray_copy(arg.0, arg.1, arg.2, arg.3, arg.4)".to_owned(),
        "wordarray_fold" | "wordarray_map" => {
            let fields = fields(name, param, &["arr", "frm", "to", "f", "acc", "obsv"])?;
            let step = step(name, param, &[("elem", "elem"), ("acc", "acc"), ("obsv", "obsv")])?;
            format!("{fields}cdsl_rt::{name}(arr, frm, to, acc, |elem, acc| f({step}))")
        }
        "seq32" | "seq64" => {
            let fields = fields(name, param, &["frm", "to", "step", "f", "acc", "obsv"])?;
            let step = step(name, param, &[("acc", "acc"), ("obsv", "obsv"), ("idx", "idx")])?;
            format!("{fields}cdsl_rt::{name}(frm, to, step, acc, |acc, idx| f({step}))")
        }
        _ => return Err("the native runtime has no implementation of it".to_owned()),
    })
}

/// The record fields of the argument, as locals (taken out of their `Option`s).
fn fields(name: &str, param: Option<&Ty>, wanted: &[&str]) -> Result<String, String> {
    let mut out = String::new();
    for field in wanted {
        let slot = param
            .and_then(|p| p.field(field))
            .ok_or_else(|| format!("`{name}` got a record without field `{field}`"))?;
        let ident = field_ident(field);
        if is_plain(&slot.ty) {
            out.push_str(&format!("let {ident} = arg.{ident};\n"));
        } else {
            out.push_str(&format!("let {ident} = cdsl_rt::present_owned(arg.{ident});\n"));
        }
    }
    Ok(out)
}

/// The record `f` is called on, built from closure parameters.
fn step(name: &str, param: Option<&Ty>, sources: &[(&str, &str)]) -> Result<String, String> {
    let f = param.and_then(|p| p.field("f")).ok_or_else(|| format!("`{name}` got a record without field `f`"))?;
    let Ty::Fun(step_ty, _) = &f.ty else { return Err(format!("`{name}` got an `f` that is not a function")) };
    let Ty::Record { fields, boxed: false, .. } = &**step_ty else {
        return Err(format!("`{name}` got an `f` whose argument is not an unboxed record"));
    };
    let mut parts = Vec::new();
    for (field, slot) in fields.iter() {
        let (_, local) = sources
            .iter()
            .find(|(n, _)| n == field)
            .ok_or_else(|| format!("`{name}` calls `f` on a record without field `{field}`"))?;
        let local = field_ident(local);
        let value = if is_plain(&slot.ty) { local.clone() } else { format!("Some({local})") };
        parts.push(if value == field_ident(field) { value } else { format!("{}: {value}", field_ident(field)) });
    }
    if parts.len() != sources.len() {
        return Err(format!("`{name}` calls `f` on a record with other fields than the runtime passes"));
    }
    Ok(format!("{} {{ {} }}", def_name(step_ty), parts.join(", ")))
}
