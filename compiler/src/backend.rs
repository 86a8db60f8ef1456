//! Backends: from the core IR ([`crate::core::ir::Program`]) to code other
//! tools compile. [`rust`] produces one safe Rust module per program, [`c`]
//! one C99 translation unit over `runtime/c`, [`coq`] a shallow embedding of
//! the value semantics checked by `coqc`, [`isabelle`] the same embedding
//! as an Isabelle/HOL session with its proof obligations; [`prover`] holds
//! what the Coq and Isabelle backends share (names, definition order).

use crate::source::SourceMap;
use crate::typeck::types::Ty;

pub mod c;
pub mod coq;
pub mod isabelle;
pub mod prover;
pub mod rust;

/// The last component of a source path, for `file.cdsl:LINE` comments in
/// generated code (stable wherever the tree is checked out).
fn file_name(path: &str) -> String {
    std::path::Path::new(path).file_name().map_or_else(|| path.to_owned(), |n| n.to_string_lossy().into_owned())
}

/// The program's root file name, for the "generated from" header line.
fn origin(sources: Option<&SourceMap>) -> String {
    sources.and_then(|s| s.root().map(|root| file_name(s.name(root)))).unwrap_or_else(|| "CDSL".to_owned())
}

/// The bits of argument and result of a narrowing cast of the prelude
/// (`u32_to_u16`: `(32, 16)`), or `None` for any other name.
pub(crate) fn narrowing(name: &str) -> Option<(u8, u8)> {
    cdsl_runtime::library::NARROWING_CASTS.iter().find(|(n, _, _)| *n == name).map(|(_, from, to)| (*from, *to))
}

/// Whether an instance has the signature `runtime/cdsl/prelude.cdsl` gives
/// the runtime function of its name (programs may declare their own).
pub(crate) fn check_runtime_signature(name: &str, param: Option<&Ty>, result: &Ty) -> Result<(), String> {
    let tuple = |n: usize| matches!(param, Some(Ty::Tuple(items)) if items.len() == n);
    let field = |f: &str| param.and_then(|p| p.field(f)).map(|f| f.ty.clone());
    let step_result = || match field("f") {
        Some(Ty::Fun(_, r)) => Some((*r).clone()),
        _ => None,
    };
    let acc = field("acc");
    let ok = match name {
        "wordarray_create" | "wordarray_put" => {
            tuple(if name == "wordarray_put" { 3 } else { 2 }) && matches!(result, Ty::Variant(_))
        }
        "wordarray_free" | "wordarray_get" => tuple(2),
        "wordarray_copy" => tuple(5),
        "wordarray_length" => matches!(param, Some(Ty::Abstract { read_only: true, .. })),
        "wordarray_fold" | "seq32" | "seq64" => acc.is_some() && step_result() == acc && Some(result.clone()) == acc,
        _ if narrowing(name).is_some() => {
            let word = |t: Option<&Ty>| match t {
                Some(Ty::Prim(p)) if p.is_word() => Some(p.bits()),
                _ => None,
            };
            narrowing(name).map(|(from, to)| (Some(u32::from(from)), Some(u32::from(to))))
                == Some((word(param), word(Some(result))))
        }
        "wordarray_map" => match (step_result(), result) {
            (Some(Ty::Tuple(items)), Ty::Tuple(outs)) => {
                items.len() == 2 && outs.len() == 2 && acc == Some(items[1].clone())
            }
            _ => false,
        },
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("its signature is not the one `runtime/cdsl/prelude.cdsl` gives `{name}`"))
    }
}
