//! CDSL types as C types: names, representations, definitions in
//! dependency order, and the printers and destructors a test harness uses.
//!
//! Representation (see the module documentation of `backend::c`): words
//! `uint8_t`..`uint64_t`, `bool`, `const char *`, `cdsl_unit`; a tuple a
//! struct with fields `p0`, `p1`, ..; an unboxed record a struct, a boxed
//! one a pointer to it; a variant a struct of a `tag` and a union of the
//! payloads; a function type a pointer typedef; `SysState` and `WordArray a`
//! come from `runtime/c` (`cdsl_SysState`, `cdsl_wordarray *`). A read-only
//! view has the representation of what it views, and a taken field is
//! stored as it is, so each type is named from its *canonical* form (no
//! `!`, nothing taken): its field names or tags plus a hash of that text.

use super::names::c_ident;
use super::BackendError;
use crate::backend::rust::names::{fnv32, sanitize};
use crate::typeck::types::{Field, Prim, Ty};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// The representation-defining form of a type: nothing read-only, nothing taken.
pub fn canon(ty: &Ty) -> Ty {
    match ty {
        Ty::Tuple(items) => Ty::Tuple(items.iter().map(canon).collect()),
        Ty::Record { fields, boxed, .. } => Ty::Record {
            fields: fields.iter().map(|(n, f)| (n.clone(), Field { ty: canon(&f.ty), taken: false })).collect(),
            boxed: *boxed,
            read_only: false,
        },
        Ty::Variant(alts) => Ty::Variant(alts.iter().map(|(t, a)| (t.clone(), canon(a))).collect()),
        Ty::Abstract { name, args, unboxed, .. } => Ty::Abstract {
            name: name.clone(),
            args: args.iter().map(canon).collect(),
            unboxed: *unboxed,
            read_only: false,
        },
        Ty::Fun(a, b) => Ty::fun(canon(a), canon(b)),
        other => other.clone(),
    }
}

/// Whether `ty` contains a function type (which cannot be printed).
pub fn has_function(ty: &Ty) -> bool {
    match ty {
        Ty::Fun(..) => true,
        Ty::Tuple(items) => items.iter().any(has_function),
        Ty::Record { fields, .. } => fields.iter().any(|(_, f)| has_function(&f.ty)),
        Ty::Variant(alts) => alts.values().any(has_function),
        Ty::Abstract { args, .. } => args.iter().any(has_function),
        _ => false,
    }
}

/// Plain data: words, `bool`, and tuples, unboxed records and variants of
/// them (what a word array may hold: zeroed memory is its zero).
pub fn is_plain(ty: &Ty) -> bool {
    match ty {
        Ty::Prim(_) | Ty::Unit => true,
        Ty::Tuple(items) => items.iter().all(is_plain),
        Ty::Record { boxed: false, fields, .. } => fields.iter().all(|(_, f)| is_plain(&f.ty)),
        Ty::Variant(alts) => alts.values().all(is_plain),
        _ => false,
    }
}

/// Whether any part of `ty` is taken.
pub fn has_taken(ty: &Ty) -> bool {
    match ty {
        Ty::Tuple(items) => items.iter().any(has_taken),
        Ty::Record { fields, .. } => fields.iter().any(|(_, f)| f.taken || has_taken(&f.ty)),
        Ty::Variant(alts) => alts.values().any(has_taken),
        _ => false,
    }
}

/// The generated name of a struct-like type or function typedef (without
/// the program prefix).
pub fn def_name(ty: &Ty) -> String {
    let canonical = canon(ty);
    let text = canonical.to_string();
    let (prefix, parts): (String, Vec<String>) = match &canonical {
        Ty::Record { fields, .. } => ("Rec".to_owned(), fields.iter().map(|(n, _)| n.clone()).collect()),
        Ty::Variant(alts) => ("V".to_owned(), alts.keys().cloned().collect()),
        Ty::Tuple(items) => (format!("Tup{}", items.len()), Vec::new()),
        Ty::Fun(..) => ("Fn".to_owned(), Vec::new()),
        Ty::Abstract { name, .. } => (format!("Abs_{}", sanitize(name)), Vec::new()),
        _ => unreachable!("bug: `{ty}` has no generated definition"),
    };
    // An abstract type without arguments keeps its plain name, so a user's
    // C file can define `struct Abs_Name`.
    if let Ty::Abstract { args, .. } = &canonical {
        if args.is_empty() {
            return prefix;
        }
    }
    let mut name = prefix;
    for part in parts.iter().take(3) {
        name.push('_');
        name.push_str(&sanitize(part));
    }
    let _ = write!(name, "_{:08x}", fnv32(&text));
    name
}

/// The program's struct, union and function-pointer types.
pub struct Types {
    /// Prepended to every generated global name.
    pub prefix: String,
    /// Canonical types needing a definition, by (prefixed) name.
    pub defs: BTreeMap<String, Ty>,
}

impl Types {
    pub fn new(prefix: &str) -> Types {
        Types { prefix: prefix.to_owned(), defs: BTreeMap::new() }
    }

    pub fn name(&self, ty: &Ty) -> String {
        format!("{}{}", self.prefix, def_name(ty))
    }

    /// The C type of `ty`.
    pub fn repr(&self, ty: &Ty) -> String {
        match ty {
            Ty::Prim(Prim::String) => "const char *".to_owned(),
            Ty::Prim(Prim::Bool) => "bool".to_owned(),
            Ty::Prim(p) => format!("uint{}_t", p.bits()),
            Ty::Unit => "cdsl_unit".to_owned(),
            Ty::Record { boxed: true, .. } => format!("{} *", self.name(ty)),
            Ty::Record { .. } | Ty::Variant(_) | Ty::Tuple(_) | Ty::Fun(..) => self.name(ty),
            Ty::Abstract { name, .. } if name == "SysState" => "cdsl_SysState".to_owned(),
            Ty::Abstract { name, .. } if name == "WordArray" => "cdsl_wordarray *".to_owned(),
            Ty::Abstract { .. } => format!("struct {} *", self.name(ty)),
            Ty::Var { .. } | Ty::Meta { .. } | Ty::Error => unreachable!("bug: `{ty}` in the monomorphic core IR"),
        }
    }

    /// `repr` followed by a declarator name, spaced as C is usually written.
    pub fn decl(&self, ty: &Ty, name: &str) -> String {
        let repr = self.repr(ty);
        if repr.ends_with('*') {
            format!("{repr}{name}")
        } else {
            format!("{repr} {name}")
        }
    }

    /// Registers the definitions `ty` needs.
    pub fn collect(&mut self, ty: &Ty) -> Result<(), BackendError> {
        match ty {
            Ty::Prim(_) | Ty::Unit => Ok(()),
            Ty::Tuple(items) => {
                self.define(ty)?;
                items.iter().try_for_each(|t| self.collect(t))
            }
            Ty::Fun(a, b) => {
                self.define(ty)?;
                self.collect(a)?;
                self.collect(b)
            }
            Ty::Record { fields, .. } => {
                self.define(ty)?;
                fields.iter().try_for_each(|(_, f)| self.collect(&f.ty))
            }
            Ty::Variant(alts) => {
                self.define(ty)?;
                alts.values().try_for_each(|t| self.collect(t))
            }
            Ty::Abstract { name, args, unboxed, .. } => match (name.as_str(), args.len(), unboxed) {
                ("SysState", 0, false) => Ok(()),
                ("WordArray", 1, false) => self.collect(&args[0]),
                _ => self.define(ty),
            },
            Ty::Var { .. } | Ty::Meta { .. } | Ty::Error => {
                Err(BackendError::Bug(format!("type `{ty}` left in the monomorphic core IR")))
            }
        }
    }

    fn define(&mut self, ty: &Ty) -> Result<(), BackendError> {
        let canonical = canon(ty);
        let name = self.name(&canonical);
        match self.defs.get(&name) {
            Some(existing) if *existing != canonical => Err(BackendError::Unsupported(format!(
                "the generated name `{name}` stands for both `{existing}` and `{canonical}` (a hash collision)"
            ))),
            Some(_) => Ok(()),
            None => {
                self.defs.insert(name, canonical);
                Ok(())
            }
        }
    }

    /// Every definition: struct typedefs, then function-pointer typedefs,
    /// then struct bodies, each after the structs it holds by value.
    pub fn definitions(&self, out: &mut String) {
        for (name, ty) in &self.defs {
            match ty {
                Ty::Fun(..) => {}
                Ty::Abstract { .. } => {
                    let _ = writeln!(out, "/* The abstract type `{ty}`: no C representation yet. */");
                    let _ = writeln!(out, "struct {name};");
                }
                _ => {
                    let _ = writeln!(out, "typedef struct {name} {name};");
                }
            }
        }
        out.push('\n');
        let mut done = BTreeSet::new();
        for name in self.defs.keys() {
            self.function_typedef(name, &mut done, out);
        }
        for name in self.defs.keys() {
            self.struct_body(name, &mut done, out);
        }
    }

    fn function_typedef(&self, name: &str, done: &mut BTreeSet<String>, out: &mut String) {
        let Some(Ty::Fun(a, b)) = self.defs.get(name) else { return };
        if !done.insert(name.to_owned()) {
            return;
        }
        for part in [&**a, &**b] {
            if let Ty::Fun(..) = part {
                self.function_typedef(&self.name(part), done, out);
            }
        }
        let _ = writeln!(out, "/* `{}` */", self.defs[name]);
        let _ = writeln!(out, "typedef {} (*{name})({});\n", self.repr(b), self.repr(a));
    }

    /// The parts a struct holds by value (whose definitions must come first).
    fn by_value(ty: &Ty) -> Vec<Ty> {
        let parts: Vec<Ty> = match ty {
            Ty::Tuple(items) => items.to_vec(),
            Ty::Record { fields, .. } => fields.iter().map(|(_, f)| f.ty.clone()).collect(),
            Ty::Variant(alts) => alts.values().cloned().collect(),
            _ => Vec::new(),
        };
        parts
            .into_iter()
            .filter(|p| matches!(p, Ty::Tuple(_) | Ty::Variant(_) | Ty::Record { boxed: false, .. }))
            .collect()
    }

    fn struct_body(&self, name: &str, done: &mut BTreeSet<String>, out: &mut String) {
        let Some(ty) = self.defs.get(name) else { return };
        if matches!(ty, Ty::Fun(..) | Ty::Abstract { .. }) || !done.insert(name.to_owned()) {
            return;
        }
        for part in Self::by_value(ty) {
            self.struct_body(&self.name(&part), done, out);
        }
        let _ = writeln!(out, "/* `{ty}` */");
        match ty {
            Ty::Tuple(items) => {
                let _ = writeln!(out, "struct {name} {{");
                for (i, item) in items.iter().enumerate() {
                    let _ = writeln!(out, "    {};", self.decl(item, &format!("p{i}")));
                }
                out.push_str("};\n\n");
            }
            Ty::Record { fields, .. } => {
                let _ = writeln!(out, "struct {name} {{");
                if fields.is_empty() {
                    out.push_str("    cdsl_unit unused;\n");
                }
                for (field, slot) in fields.iter() {
                    let _ = writeln!(out, "    {};", self.decl(&slot.ty, &c_ident(field)));
                }
                out.push_str("};\n\n");
            }
            Ty::Variant(alts) => {
                let tags: Vec<String> =
                    alts.keys().enumerate().map(|(i, t)| format!("{name}_{} = {i}", sanitize(t))).collect();
                let _ = writeln!(out, "enum {{ {} }};", tags.join(", "));
                let _ = writeln!(out, "struct {name} {{\n    uint32_t tag;");
                if alts.values().any(|p| *p != Ty::Unit) {
                    out.push_str("    union {\n");
                    for (tag, payload) in alts.iter().filter(|(_, p)| **p != Ty::Unit) {
                        let _ = writeln!(out, "        {};", self.decl(payload, &c_ident(tag)));
                    }
                    out.push_str("    } u;\n");
                }
                out.push_str("};\n\n");
            }
            _ => {}
        }
    }

    /// The enum constant of `tag` in variant `ty`.
    pub fn tag(&self, ty: &Ty, tag: &str) -> String {
        format!("{}_{}", self.name(ty), sanitize(tag))
    }

    /// Statements printing `code` (of type `ty`) into the `cdsl_buf *out`.
    pub fn show(&self, ty: &Ty, code: &str, depth: usize, out: &mut String) -> Result<(), BackendError> {
        let pad = "    ".repeat(depth + 1);
        match ty {
            Ty::Prim(Prim::Bool) => {
                let _ = writeln!(out, "{pad}cdsl_show_bool(out, {code});");
            }
            Ty::Prim(Prim::String) => {
                let _ = writeln!(out, "{pad}cdsl_show_string(out, {code});");
            }
            Ty::Prim(_) => {
                let _ = writeln!(out, "{pad}cdsl_show_word(out, (uint64_t){code});");
            }
            Ty::Unit => {
                let _ = writeln!(out, "{pad}cdsl_buf_puts(out, \"()\");");
            }
            Ty::Abstract { name, .. } if name == "SysState" => {
                let _ = writeln!(out, "{pad}cdsl_buf_puts(out, \"<SysState>\");");
            }
            Ty::Abstract { name, args, .. } if name == "WordArray" => {
                let element = &args[0];
                let i = format!("i{depth}");
                let _ = writeln!(out, "{pad}cdsl_buf_puts(out, \"[\");");
                let _ = writeln!(out, "{pad}for (uint32_t {i} = 0; {i} < {code}->len; {i}++) {{");
                let _ = writeln!(out, "{pad}    if ({i} > 0) cdsl_buf_puts(out, \", \");");
                let elem = format!("CDSL_WORDARRAY_AT({}, {code}, {i})", self.repr(element));
                self.show(element, &elem, depth + 1, out)?;
                let _ = writeln!(out, "{pad}}}\n{pad}cdsl_buf_puts(out, \"]\");");
            }
            Ty::Tuple(items) => {
                let _ = writeln!(out, "{pad}cdsl_buf_puts(out, \"(\");");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        let _ = writeln!(out, "{pad}cdsl_buf_puts(out, \", \");");
                    }
                    self.show(item, &format!("{code}.p{i}"), depth, out)?;
                }
                let _ = writeln!(out, "{pad}cdsl_buf_puts(out, \")\");");
            }
            Ty::Record { fields, boxed, .. } => {
                let access = if *boxed { "->" } else { "." };
                let _ = writeln!(out, "{pad}cdsl_buf_puts(out, \"#{{\");");
                for (i, (field, slot)) in fields.iter().enumerate() {
                    let sep = if i > 0 { ", " } else { "" };
                    let _ = writeln!(out, "{pad}cdsl_buf_puts(out, \"{sep}{field} = \");");
                    self.show(&slot.ty, &format!("{code}{access}{}", c_ident(field)), depth, out)?;
                }
                let _ = writeln!(out, "{pad}cdsl_buf_puts(out, \"}}\");");
            }
            Ty::Variant(alts) => self.show_variant(ty, alts, code, depth, out)?,
            Ty::Fun(..) | Ty::Abstract { .. } | Ty::Var { .. } | Ty::Meta { .. } | Ty::Error => {
                return Err(BackendError::Unsupported(format!("printing a `{ty}`")));
            }
        }
        Ok(())
    }

    /// Prints a variant: `Tag`, `Tag payload`, or `Tag (payload)` when the
    /// payload is a variant with a payload (the interpreters' format).
    fn show_variant(
        &self,
        ty: &Ty,
        alts: &crate::typeck::types::Alts,
        code: &str,
        depth: usize,
        out: &mut String,
    ) -> Result<(), BackendError> {
        let pad = "    ".repeat(depth + 1);
        let _ = writeln!(out, "{pad}switch ({code}.tag) {{");
        let count = alts.len();
        for (k, (tag, payload)) in alts.iter().enumerate() {
            let label = if k + 1 == count { "default:".to_owned() } else { format!("case {}:", self.tag(ty, tag)) };
            let _ = writeln!(out, "{pad}{label} {{");
            if *payload == Ty::Unit {
                let _ = writeln!(out, "{pad}    cdsl_buf_puts(out, \"{tag}\");");
            } else {
                let inner = format!("{code}.u.{}", c_ident(tag));
                // A payload that is itself a variant with a payload is parenthesised.
                let nested = match payload {
                    Ty::Variant(inner_alts) => {
                        let with: Vec<String> = inner_alts
                            .iter()
                            .filter(|(_, p)| **p != Ty::Unit)
                            .map(|(t, _)| format!("{inner}.tag == {}", self.tag(payload, t)))
                            .collect();
                        if with.is_empty() {
                            "0".to_owned()
                        } else {
                            with.join(" || ")
                        }
                    }
                    _ => "0".to_owned(),
                };
                let _ = writeln!(out, "{pad}    int nested = {nested};");
                let _ = writeln!(out, "{pad}    cdsl_buf_puts(out, nested ? \"{tag} (\" : \"{tag} \");");
                self.show(payload, &inner, depth + 1, out)?;
                let _ = writeln!(out, "{pad}    if (nested) cdsl_buf_puts(out, \")\");");
            }
            let _ = writeln!(out, "{pad}    break;\n{pad}}}");
        }
        let _ = writeln!(out, "{pad}}}");
        Ok(())
    }

    /// Statements releasing what `code` (of type `ty`) owns: boxed records
    /// and word arrays.
    pub fn drop(&self, ty: &Ty, code: &str, depth: usize, out: &mut String) {
        let pad = "    ".repeat(depth + 1);
        match ty {
            Ty::Abstract { name, read_only: false, .. } if name == "WordArray" => {
                let _ = writeln!(out, "{pad}cdsl_wordarray_free({code});");
            }
            Ty::Tuple(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.drop(item, &format!("{code}.p{i}"), depth, out);
                }
            }
            Ty::Record { fields, boxed, read_only: false } => {
                let access = if *boxed { "->" } else { "." };
                for (field, slot) in fields.iter() {
                    self.drop(&slot.ty, &format!("{code}{access}{}", c_ident(field)), depth, out);
                }
                if *boxed {
                    let _ = writeln!(out, "{pad}cdsl_free({code});");
                }
            }
            Ty::Variant(alts) => {
                for (tag, payload) in alts.iter().filter(|(_, p)| owns(p)) {
                    let _ = writeln!(out, "{pad}if ({code}.tag == {}) {{", self.tag(ty, tag));
                    self.drop(payload, &format!("{code}.u.{}", c_ident(tag)), depth + 1, out);
                    let _ = writeln!(out, "{pad}}}");
                }
            }
            _ => {}
        }
    }
}

/// Whether a value of `ty` owns heap memory.
fn owns(ty: &Ty) -> bool {
    match ty {
        Ty::Abstract { name, read_only: false, .. } => name == "WordArray",
        Ty::Tuple(items) => items.iter().any(owns),
        Ty::Record { boxed: true, read_only: false, .. } => true,
        Ty::Record { fields, .. } => fields.iter().any(|(_, f)| owns(&f.ty)),
        Ty::Variant(alts) => alts.values().any(owns),
        _ => false,
    }
}
