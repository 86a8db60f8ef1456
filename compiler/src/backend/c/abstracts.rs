//! Abstract functions: each instance gets a C body over `runtime/c`.
//!
//! As in the interpreters, allocators and deallocators are recognised by
//! shape first (`SysState -> R (SysState, T take (..)) SysState` and
//! `(SysState, T take (..)) -> SysState`), then the runtime library's
//! functions by source name with the signatures of `runtime/cdsl/prelude.cdsl`.
//! `seq32`/`seq64` and `wordarray_fold`/`wordarray_map` are written out as
//! loops here, since their step functions take generated records. An
//! abstract function the runtime does not implement gets a body that
//! aborts naming it, and the generator reports a warning.

use super::names::c_ident;
use super::types::{is_plain, Types};
use crate::core::ir::{allocated, deallocates};
use crate::typeck::types::{Prim, Ty};

/// The body of an abstract function instance (its parameter is `arg`);
/// `Err` holds why the runtime cannot implement it.
pub fn body(
    types: &Types,
    name: &str,
    param: Option<&Ty>,
    result: &Ty,
    element: Option<&Ty>,
) -> Result<String, String> {
    if let Some(record) = allocated(param, result) {
        let struct_name = types.name(record);
        let (r, tuple) = (types.repr(result), success_tuple(types, result)?);
        return Ok(format!(
            "{struct_name} *record = cdsl_alloc(sizeof *record);\n{r} result;\nresult.tag = {};\nresult.u.Success = \
             ({tuple}){{ .p0 = arg, .p1 = record }};\nreturn result;",
            types.tag(result, "Success")
        ));
    }
    if deallocates(param, result) {
        return Ok("cdsl_free(arg.p1);\nreturn arg.p0;".to_owned());
    }
    crate::backend::check_runtime_signature(name, param, result)?;
    if let Some((_, to)) = crate::backend::narrowing(name) {
        return Ok(format!("return (uint{to}_t)arg;"));
    }
    let wanted: &[&str] = match name {
        "wordarray_fold" | "wordarray_map" => &["arr", "frm", "to", "f", "acc", "obsv"],
        "seq32" | "seq64" => &["frm", "to", "step", "f", "acc", "obsv"],
        _ => &[],
    };
    if let Some(missing) = wanted.iter().find(|f| param.and_then(|p| p.field(f)).is_none()) {
        return Err(format!("`{name}` got a record without field `{missing}`"));
    }
    // Arrays of words go through the runtime's typed accessors.
    let bits = word_bits(element);
    let element = || {
        let e = element.ok_or_else(|| format!("`{name}` has no element type"))?;
        let plain = is_plain(e) && *e != Ty::Prim(Prim::String);
        if plain {
            Ok(types.repr(e))
        } else {
            Err(format!("word arrays of `{e}` have no C representation yet"))
        }
    };
    let r = types.repr(result);
    Ok(match name {
        "wordarray_create" => {
            let elem = element()?;
            let tuple = success_tuple(types, result)?;
            format!(
                "{r} result;\ncdsl_wordarray *array = cdsl_wordarray_create(arg.p1, sizeof({elem}));\nif (array == \
                 NULL) {{\n    result.tag = {};\n    result.u.Error = arg.p0;\n}} else {{\n    result.tag = {};\n    \
                 result.u.Success = ({tuple}){{ .p0 = arg.p0, .p1 = array }};\n}}\nreturn result;",
                types.tag(result, "Error"),
                types.tag(result, "Success")
            )
        }
        "wordarray_free" => "cdsl_wordarray_free(arg.p1);\nreturn arg.p0;".to_owned(),
        "wordarray_length" => "return cdsl_wordarray_length(arg);".to_owned(),
        "wordarray_get" if bits.is_some() => {
            format!("return cdsl_wordarray_get_u{}(arg.p0, arg.p1);", bits.unwrap_or_default())
        }
        "wordarray_put" if bits.is_some() => format!(
            "{r} result;\nif (cdsl_wordarray_put_u{}(arg.p0, arg.p1, arg.p2)) {{\n    result.tag = {};\n    \
             result.u.Success = arg.p0;\n}} else {{\n    result.tag = {};\n    result.u.Error = arg.p0;\n}}\nreturn \
             result;",
            bits.unwrap_or_default(),
            types.tag(result, "Success"),
            types.tag(result, "Error")
        ),
        "wordarray_get" => {
            let elem = element()?;
            format!(
                "{elem} zero;\nmemset(&zero, 0, sizeof zero);\nreturn arg.p1 < arg.p0->len ? \
                 CDSL_WORDARRAY_AT({elem}, arg.p0, arg.p1) : zero;"
            )
        }
        "wordarray_put" => {
            let elem = element()?;
            format!(
                "{r} result;\nif (arg.p1 < arg.p0->len) {{\n    CDSL_WORDARRAY_AT({elem}, arg.p0, arg.p1) = arg.p2;\n    \
                 result.tag = {};\n    result.u.Success = arg.p0;\n}} else {{\n    result.tag = {};\n    \
                 result.u.Error = arg.p0;\n}}\nreturn result;",
                types.tag(result, "Success"),
                types.tag(result, "Error")
            )
        }
        "wordarray_copy" => {
            let elem = element()?;
            format!("cdsl_wordarray_copy(arg.p0, arg.p1, arg.p2, arg.p3, arg.p4, sizeof({elem}));\nreturn arg.p0;")
        }
        "wordarray_fold" | "wordarray_map" => {
            let elem = element()?;
            let at = format!("CDSL_WORDARRAY_AT({elem}, arg.arr, i)");
            let step = step(types, name, param, &[("elem", &at), ("acc", "acc"), ("obsv", "arg.obsv")])?;
            let acc_ty = param.and_then(|p| p.field("acc")).map(|f| types.decl(&f.ty, "acc")).unwrap_or_default();
            let head = format!(
                "{acc_ty} = arg.acc;\nuint32_t lo, hi;\ncdsl_clip(arg.frm, arg.to, arg.arr->len, &lo, &hi);\nfor \
                 (uint32_t i = lo; i < hi; i++) {{\n"
            );
            if name == "wordarray_fold" {
                format!("{head}    acc = arg.f({step});\n}}\nreturn acc;")
            } else {
                let Some(Ty::Fun(_, step_result)) = param.and_then(|p| p.field("f")).map(|f| &f.ty) else {
                    return Err(format!("`{name}` got an `f` that is not a function"));
                };
                let stepped = types.decl(step_result, "next");
                format!(
                    "{head}    {stepped} = arg.f({step});\n    {at} = next.p0;\n    acc = next.p1;\n}}\n{r} result = \
                     {{ arg.arr, acc }};\nreturn result;"
                )
            }
        }
        "seq32" | "seq64" => {
            let word = if name == "seq32" { "uint32_t" } else { "uint64_t" };
            let max = if name == "seq32" { "UINT32_MAX" } else { "UINT64_MAX" };
            let step = step(types, name, param, &[("acc", "acc"), ("obsv", "arg.obsv"), ("idx", "idx")])?;
            let acc_ty = param.and_then(|p| p.field("acc")).map(|f| types.decl(&f.ty, "acc")).unwrap_or_default();
            format!(
                "{acc_ty} = arg.acc;\n{word} step = arg.step == 0 ? 1 : arg.step;\nfor ({word} idx = arg.frm; idx < \
                 arg.to;) {{\n    acc = arg.f({step});\n    if (idx > {max} - step) break;\n    idx += step;\n}}\nreturn \
                 acc;"
            )
        }
        _ => return Err("the C runtime has no implementation of it".to_owned()),
    })
}

/// The width of a word element type.
fn word_bits(element: Option<&Ty>) -> Option<u32> {
    match element {
        Some(Ty::Prim(p)) if p.is_word() => Some(p.bits()),
        _ => None,
    }
}

fn success_tuple(types: &Types, result: &Ty) -> Result<String, String> {
    match result {
        Ty::Variant(alts) => {
            alts.get("Success").map(|t| types.repr(t)).ok_or_else(|| "no `Success` alternative".to_owned())
        }
        _ => Err(format!("`{result}` is not a variant")),
    }
}

/// The record `f` is called on, as a compound literal of C expressions.
fn step(types: &Types, name: &str, param: Option<&Ty>, sources: &[(&str, &str)]) -> Result<String, String> {
    let f = param.and_then(|p| p.field("f")).ok_or_else(|| format!("`{name}` got a record without field `f`"))?;
    let Ty::Fun(step_ty, _) = &f.ty else { return Err(format!("`{name}` got an `f` that is not a function")) };
    let Ty::Record { fields, boxed: false, .. } = &**step_ty else {
        return Err(format!("`{name}` got an `f` whose argument is not an unboxed record"));
    };
    let mut parts = Vec::new();
    for (field, _) in fields.iter() {
        let (_, code) = sources
            .iter()
            .find(|(n, _)| n == field)
            .ok_or_else(|| format!("`{name}` calls `f` on a record without field `{field}`"))?;
        parts.push(format!(".{} = {code}", c_ident(field)));
    }
    if parts.len() != sources.len() {
        return Err(format!("`{name}` calls `f` on a record with other fields than the runtime passes"));
    }
    Ok(format!("({}){{ {} }}", types.repr(step_ty), parts.join(", ")))
}
