//! Fixed layouts: the structs whose every byte sits at a constant offset
//! (integers, constant-length integer arrays, fixed structs held by value,
//! constant pads, a constant `size`), planned once for the prover
//! generators ([`super::isabelle`], [`super::coq`]). Anything else — a
//! `select`, a length or size read from a field or a root, arrays of
//! structs, big-endian fields, overlapping offsets — makes the struct (and
//! every struct holding it) skipped, with the reason. Asserts, magic
//! numbers and pointers do not change the bytes and are not modelled.

use crate::check::Checked;
use crate::syntax::ast::{Endian, ExprKind, Item, Length, Member, StructDef, TypeKind};
use std::collections::HashMap;

/// One part of a fixed struct, in byte order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// A little-endian integer field of `bytes` bytes.
    Int { field: String, bytes: u64 },
    /// `len` little-endian integers of `bytes` bytes each.
    Array { field: String, bytes: u64, len: u64 },
    /// A fixed struct held by value.
    Struct { field: String, name: String, size: u64 },
    /// Bytes nobody describes (`pad`, gaps before an `@ offset`, up to `size`).
    Pad(u64),
}

/// A fixed struct: its name, its size and its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fixed {
    pub name: String,
    pub size: u64,
    pub parts: Vec<Part>,
}

/// A struct left out, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub name: String,
    pub why: String,
}

/// Every struct of the layout in file order: planned, or skipped.
pub fn plan(checked: &Checked) -> (Vec<Fixed>, Vec<Skipped>) {
    let mut memo = HashMap::new();
    let (mut fixed, mut skipped) = (Vec::new(), Vec::new());
    for item in &checked.layout.items {
        if let Item::Struct(def) = item {
            match plan_struct(checked, def, &mut memo) {
                Ok(plan) => fixed.push(plan),
                Err(why) => skipped.push(Skipped { name: def.name.name.clone(), why }),
            }
        }
    }
    (fixed, skipped)
}

fn constant(e: &crate::syntax::ast::Expr) -> Option<u64> {
    match e.kind {
        ExprKind::Int(n) => Some(n),
        _ => None,
    }
}

fn plan_struct(
    checked: &Checked,
    def: &StructDef,
    memo: &mut HashMap<String, Result<Fixed, String>>,
) -> Result<Fixed, String> {
    if let Some(done) = memo.get(&def.name.name) {
        return done.clone();
    }
    let result = plan_members(checked, def, memo);
    memo.insert(def.name.name.clone(), result.clone());
    result
}

fn plan_members(
    checked: &Checked,
    def: &StructDef,
    memo: &mut HashMap<String, Result<Fixed, String>>,
) -> Result<Fixed, String> {
    let mut parts = Vec::new();
    let mut cursor: u64 = 0;
    for member in &def.members {
        match member {
            Member::Assert { .. } => {}
            Member::Pad { len, .. } => {
                let len = constant(len).ok_or("a pad of computed length")?;
                parts.push(Part::Pad(len));
                cursor = cursor.checked_add(len).ok_or("a size beyond u64")?;
            }
            Member::Field(field) => {
                let name = field.name.name.clone();
                if let Some((offset, _)) = field.offset {
                    if offset < cursor {
                        return Err(format!("field `{name}` overlaps the one before"));
                    }
                    if offset > cursor {
                        parts.push(Part::Pad(offset - cursor));
                        cursor = offset;
                    }
                }
                let (part, size) = match &field.ty.kind {
                    TypeKind::Int { width, endian, .. } => {
                        if checked.endian(*endian) == Endian::Big && width.bytes() > 1 {
                            return Err(format!("field `{name}` is big-endian"));
                        }
                        (Part::Int { field: name, bytes: width.bytes() }, width.bytes())
                    }
                    TypeKind::Array { elem, len } => {
                        let TypeKind::Int { width, endian, .. } = &elem.kind else {
                            return Err(format!("field `{name}` is an array of structs"));
                        };
                        if checked.endian(*endian) == Endian::Big && width.bytes() > 1 {
                            return Err(format!("field `{name}` is big-endian"));
                        }
                        let Length::Expr(len) = len else {
                            return Err(format!("field `{name}` fills the rest of the struct"));
                        };
                        let len = constant(len).ok_or_else(|| format!("field `{name}` has a computed length"))?;
                        let size = width.bytes().checked_mul(len).ok_or("a size beyond u64")?;
                        (Part::Array { field: name, bytes: width.bytes(), len }, size)
                    }
                    TypeKind::Named(target) => {
                        let Some(inner) = checked.struct_def(&target.name) else {
                            return Err(format!("field `{name}` names no struct"));
                        };
                        let inner = plan_struct(checked, inner, memo)
                            .map_err(|why| format!("field `{name}` holds `{}` ({why})", target.name))?;
                        (Part::Struct { field: name, name: inner.name.clone(), size: inner.size }, inner.size)
                    }
                    TypeKind::Select { .. } => return Err(format!("field `{name}` is a select")),
                };
                parts.push(part);
                cursor = cursor.checked_add(size).ok_or("a size beyond u64")?;
            }
        }
    }
    let size = match &def.size {
        None => cursor,
        Some(e) => {
            let size = constant(e).ok_or("a computed size")?;
            if size < cursor {
                return Err("fields beyond the declared size".to_owned());
            }
            if size > cursor {
                parts.push(Part::Pad(size - cursor));
            }
            size
        }
    };
    Ok(Fixed { name: def.name.name.clone(), size, parts })
}

impl Part {
    /// The field this part stores, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Part::Int { field, .. } | Part::Array { field, .. } | Part::Struct { field, .. } => Some(field),
            Part::Pad(_) => None,
        }
    }
}

/// Which prover `ddsl gen` writes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prover {
    Isabelle,
    Coq,
}

/// `ddsl gen --emit isabelle|coq`: checks `layout`, writes the prover's
/// files into `out_dir`; returns a summary line, or the rendered
/// diagnostics (or I/O error) and whether it was an I/O error.
pub fn write(layout: &std::path::Path, out_dir: &std::path::Path, prover: Prover) -> Result<String, (String, bool)> {
    let text =
        std::fs::read_to_string(layout).map_err(|e| (format!("cannot read `{}`: {e}", layout.display()), true))?;
    let mut sources = cdsl::source::SourceMap::new();
    let name = layout.display().to_string();
    let file = sources.add(name.clone(), text.clone()).map_err(|_| (format!("`{name}` is too large"), true))?;
    let (checked, errors) = crate::check_text(file, &text);
    let Some(checked) = checked else {
        return Err((cdsl::diagnostics::render_to_string(&sources, &errors), false));
    };
    let stem = layout.file_stem().and_then(|s| s.to_str()).unwrap_or("layout");
    let module = cdsl::backend::coq::module_name(stem);
    let source = layout.file_name().and_then(|s| s.to_str()).unwrap_or("layout");
    let (files, generated, skipped) = match prover {
        Prover::Isabelle => {
            let output = super::isabelle::generate(&checked, &module, source);
            (output.files(), output.structs.len(), output.skipped)
        }
        Prover::Coq => {
            let output = super::coq::generate(&checked, &module, source);
            (output.files(), output.structs.len(), output.skipped)
        }
    };
    std::fs::create_dir_all(out_dir).map_err(|e| (format!("cannot create `{}`: {e}", out_dir.display()), true))?;
    for (file, text) in files {
        let path = out_dir.join(file);
        std::fs::write(&path, text).map_err(|e| (format!("cannot write `{}`: {e}", path.display()), true))?;
    }
    Ok(format!(
        "wrote {} ({generated} fixed-layout structs with round-trip lemmas; {} left out: {})",
        out_dir.display(),
        skipped.len(),
        skipped.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
    ))
}
