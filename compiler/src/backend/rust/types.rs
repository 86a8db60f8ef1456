//! CDSL types as Rust types: names, representations, definitions, views,
//! zeros and literals.
//!
//! Representation (see the module documentation of `backend::rust`):
//! words `u8`..`u64`, `bool`, `&'static str`, `()`, tuples; an unboxed
//! record a struct, a boxed one `Box<struct>`, a read-only boxed record
//! `&struct`; a variant an enum; `SysState` and `WordArray a` come from the
//! native runtime (`cdsl_rt::SysState`, `Vec<a>`, viewed as `&[a]`).
//! Record and variant types have no names in the core IR, so each struct
//! or enum is named from its field names or tags plus a hash of the whole
//! type: the name depends on that type alone.

use super::names::{field_ident, fnv32, sanitize};
use super::BackendError;
use crate::typeck::types::{Field, Prim, Ty};
use cdsl_runtime::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A struct or enum the program needs, by its generated name.
#[derive(Clone, Debug)]
pub struct TypeDef {
    /// The canonical CDSL type it represents (taken flags cleared, a boxed
    /// record not read-only).
    pub ty: Ty,
}

/// Every struct and enum of a program, keyed (and so emitted) by name.
#[derive(Default)]
pub struct Types {
    pub defs: BTreeMap<String, TypeDef>,
}

/// The type with every `taken` flag cleared: a record's representation does
/// not change when a field is taken.
pub fn untaken(ty: &Ty) -> Ty {
    match ty {
        Ty::Tuple(items) => Ty::Tuple(items.iter().map(untaken).collect()),
        Ty::Record { fields, boxed, read_only } => Ty::Record {
            fields: fields.iter().map(|(n, f)| (n.clone(), Field { ty: untaken(&f.ty), taken: false })).collect(),
            boxed: *boxed,
            read_only: *read_only,
        },
        Ty::Variant(alts) => Ty::Variant(alts.iter().map(|(t, a)| (t.clone(), untaken(a))).collect()),
        Ty::Abstract { name, args, unboxed, read_only } => Ty::Abstract {
            name: name.clone(),
            args: args.iter().map(untaken).collect(),
            unboxed: *unboxed,
            read_only: *read_only,
        },
        Ty::Fun(a, b) => Ty::fun(untaken(a), untaken(b)),
        other => other.clone(),
    }
}

/// The struct a boxed record (read-only or not) is stored in.
fn boxed_struct(ty: &Ty) -> Ty {
    match ty {
        Ty::Record { read_only: true, .. } => untaken(&ty.unbang()),
        _ => untaken(ty),
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

/// Whether `ty` is an abstract type the runtime does not know: it becomes
/// an opaque struct, whose values only (still unwritten) user
/// implementations of abstract functions could make.
pub fn is_opaque(ty: &Ty) -> bool {
    matches!(ty, Ty::Abstract { name, .. } if name != "SysState" && name != "WordArray")
}

/// The owned, boxed form of an opaque abstract type.
fn opaque(ty: &Ty) -> Ty {
    match ty {
        Ty::Abstract { name, args, .. } => Ty::Abstract {
            name: name.clone(),
            args: args.iter().map(untaken).collect(),
            unboxed: false,
            read_only: false,
        },
        other => other.clone(),
    }
}

/// The generated name of a record or variant type.
pub fn def_name(ty: &Ty) -> String {
    if is_opaque(ty) {
        let canonical = opaque(ty);
        let Ty::Abstract { name, args, .. } = &canonical else { unreachable!("bug: opaque of a non-abstract") };
        let mut out = format!("Abs_{}", sanitize(name));
        if !args.is_empty() {
            let _ = write!(out, "_{:08x}", fnv32(&canonical.to_string()));
        }
        return out;
    }
    let canonical = match ty {
        Ty::Record { boxed: true, .. } => boxed_struct(ty),
        _ => untaken(ty),
    };
    let (prefix, parts): (&str, Vec<&str>) = match &canonical {
        Ty::Record { fields, .. } => ("Rec", fields.iter().map(|(n, _)| n.as_str()).collect()),
        Ty::Variant(alts) => ("V", alts.keys().map(String::as_str).collect()),
        _ => unreachable!("bug: `{ty}` has no generated definition"),
    };
    let mut name = prefix.to_owned();
    for part in parts.iter().take(3) {
        name.push('_');
        name.push_str(&sanitize(part));
    }
    let _ = write!(name, "_{:08x}", fnv32(&canonical.to_string()));
    name
}

/// Whether values of `ty` are `Copy` in Rust (every shareable type is).
pub fn is_copy(ty: &Ty) -> bool {
    match ty {
        Ty::Prim(_) | Ty::Unit | Ty::Fun(..) => true,
        Ty::Tuple(items) => items.iter().all(is_copy),
        Ty::Record { boxed: true, read_only, .. } => *read_only,
        Ty::Record { fields, .. } => fields.iter().all(|(_, f)| is_copy(&f.ty)),
        Ty::Variant(alts) => alts.values().all(is_copy),
        Ty::Abstract { read_only, .. } => *read_only,
        Ty::Var { .. } | Ty::Meta { .. } | Ty::Error => false,
    }
}

/// Plain data: copyable, with a zero to stand in for a taken field. Record
/// fields of plain types are stored as they are; all others as `Option`,
/// `None` while taken.
pub fn is_plain(ty: &Ty) -> bool {
    match ty {
        Ty::Prim(_) | Ty::Unit => true,
        Ty::Tuple(items) => items.iter().all(is_plain),
        Ty::Record { boxed: false, fields, .. } => fields.iter().all(|(_, f)| is_plain(&f.ty)),
        Ty::Variant(alts) => alts.values().all(is_plain),
        _ => false,
    }
}

/// Whether the representation of `ty` mentions the lifetime `'a`.
pub fn has_ref(ty: &Ty) -> bool {
    match ty {
        Ty::Record { boxed: true, read_only: true, .. } | Ty::Abstract { read_only: true, .. } => true,
        Ty::Tuple(items) => items.iter().any(has_ref),
        Ty::Record { fields, .. } => fields.iter().any(|(_, f)| has_ref(&f.ty)),
        Ty::Variant(alts) => alts.values().any(has_ref),
        Ty::Abstract { args, .. } if !is_opaque(ty) => args.iter().any(has_ref),
        // A function type binds its own lifetime unless it only gives views back.
        Ty::Fun(a, b) => !has_ref(a) && has_ref(b),
        _ => false,
    }
}

impl Types {
    /// Registers the definitions `ty` needs.
    pub fn collect(&mut self, ty: &Ty) -> Result<(), BackendError> {
        match ty {
            Ty::Prim(_) | Ty::Unit => Ok(()),
            Ty::Tuple(items) => items.iter().try_for_each(|t| self.collect(t)),
            Ty::Fun(a, b) => {
                self.collect(a)?;
                self.collect(b)
            }
            Ty::Record { fields, boxed, .. } => {
                let canonical = if *boxed { boxed_struct(ty) } else { untaken(ty) };
                let Ty::Record { fields: stored, .. } = &canonical else {
                    unreachable!("bug: a record lost its shape")
                };
                self.define(&canonical)?;
                fields.iter().try_for_each(|(_, f)| self.collect(&f.ty))?;
                stored.iter().try_for_each(|(_, f)| self.collect(&f.ty))
            }
            Ty::Variant(alts) => {
                self.define(&untaken(ty))?;
                alts.values().try_for_each(|t| self.collect(t))
            }
            Ty::Abstract { name, args, unboxed, .. } => match (name.as_str(), args.len(), unboxed) {
                ("SysState", 0, false) => Ok(()),
                ("WordArray", 1, false) => self.collect(&args[0]),
                _ => self.define(&opaque(ty)),
            },
            Ty::Var { .. } | Ty::Meta { .. } | Ty::Error => {
                Err(BackendError::Bug(format!("type `{ty}` left in the monomorphic core IR")))
            }
        }
    }

    fn define(&mut self, canonical: &Ty) -> Result<(), BackendError> {
        let name = def_name(canonical);
        match self.defs.get(&name) {
            Some(existing) if existing.ty != *canonical => Err(BackendError::Unsupported(format!(
                "the generated name `{name}` stands for both `{}` and `{canonical}` (a hash collision)",
                existing.ty
            ))),
            Some(_) => Ok(()),
            None => {
                self.defs.insert(name, TypeDef { ty: canonical.clone() });
                Ok(())
            }
        }
    }
}

/// The Rust type of `ty`; references carry lifetime `lt`, function types
/// bind their own (`'r0`, `'r1`, .. by nesting depth).
pub fn repr(ty: &Ty, lt: &str, depth: usize) -> String {
    let with_lt = |name: String, ty: &Ty| if has_ref(ty) { format!("{name}<{lt}>") } else { name };
    match ty {
        Ty::Prim(Prim::String) => "&'static str".to_owned(),
        Ty::Prim(Prim::Bool) => "bool".to_owned(),
        Ty::Prim(p) => format!("u{}", p.bits()),
        Ty::Unit => "()".to_owned(),
        Ty::Tuple(items) => {
            let items: Vec<String> = items.iter().map(|t| repr(t, lt, depth)).collect();
            format!("({})", items.join(", "))
        }
        Ty::Record { boxed: true, read_only: true, .. } => {
            let stored = boxed_struct(ty);
            format!("&{lt} {}", with_lt(def_name(&stored), &stored))
        }
        Ty::Record { boxed: true, .. } => format!("Box<{}>", with_lt(def_name(ty), &boxed_struct(ty))),
        Ty::Record { .. } | Ty::Variant(_) => with_lt(def_name(ty), ty),
        Ty::Abstract { name, args, read_only, .. } => {
            let base = match name.as_str() {
                _ if is_opaque(ty) => def_name(ty),
                "SysState" => "cdsl_rt::SysState".to_owned(),
                _ => match args.first() {
                    Some(element) if *read_only => format!("[{}]", repr(&element.unbang(), lt, depth)),
                    Some(element) => format!("Vec<{}>", repr(element, lt, depth)),
                    None => unreachable!("bug: `{ty}` was not rejected by Types::collect"),
                },
            };
            if *read_only {
                format!("&{lt} {base}")
            } else {
                base
            }
        }
        // A function type binds its own lifetime for views it takes (and
        // gives back); a view it only gives back has the outer lifetime.
        Ty::Fun(a, b) if has_ref(a) => {
            let inner = format!("'r{depth}");
            format!("for<{inner}> fn({}) -> {}", repr(a, &inner, depth + 1), repr(b, &inner, depth + 1))
        }
        Ty::Fun(a, b) => format!("fn({}) -> {}", repr(a, lt, depth + 1), repr(b, lt, depth + 1)),
        Ty::Var { .. } | Ty::Meta { .. } | Ty::Error => unreachable!("bug: `{ty}` in the monomorphic core IR"),
    }
}

/// The Rust type of a record field as stored.
pub fn field_repr(field: &Ty, lt: &str) -> String {
    if is_plain(field) {
        repr(field, lt, 0)
    } else {
        format!("Option<{}>", repr(field, lt, 0))
    }
}

/// The definition of one struct or enum, with its `Show` impl when it can
/// be printed.
pub fn definition(name: &str, def: &TypeDef, abstracts: Option<&str>, out: &mut String) {
    if let Ty::Abstract { name: source, args, .. } = &def.ty {
        match abstracts {
            Some(module) => {
                let args: Vec<String> = args.iter().map(|t| repr(t, "'static", 0)).collect();
                let args = if args.is_empty() { String::new() } else { format!("<{}>", args.join(", ")) };
                let _ = writeln!(out, "/// The abstract type `{}`, implemented by the user.", def.ty);
                let _ = writeln!(out, "pub type {name} = {module}::{}{args};", sanitize(source));
            }
            None => {
                let _ = writeln!(
                    out,
                    "/// The abstract type `{}`: no native representation (bind it with `rust::Options::abstracts`).",
                    def.ty
                );
                let _ = writeln!(out, "pub struct {name} {{\n    _private: (),\n}}");
            }
        }
        let _ = writeln!(out, "impl cdsl_rt::Show for {name} {{");
        let _ = writeln!(
            out,
            "    fn show(&self, out: &mut String) {{\n        out.push_str(\"<{}>\");\n    }}\n}}",
            def.ty
        );
        return;
    }
    let generics = if has_ref(&def.ty) { "<'a>" } else { "" };
    let _ = writeln!(out, "/// `{}`", def.ty);
    let copy = match &def.ty {
        Ty::Record { fields, .. } => fields.iter().all(|(_, f)| is_copy(&f.ty)),
        other => is_copy(other),
    };
    if copy {
        out.push_str("#[derive(Clone, Copy)]\n");
    }
    match &def.ty {
        Ty::Record { fields, .. } => {
            let _ = writeln!(out, "pub struct {name}{generics} {{");
            for (field, slot) in fields.iter() {
                let _ = writeln!(out, "    pub {}: {},", field_ident(field), field_repr(&slot.ty, "'a"));
            }
            out.push_str("}\n");
        }
        Ty::Variant(alts) => {
            let _ = writeln!(out, "pub enum {name}{generics} {{");
            for (tag, payload) in alts.iter() {
                match payload {
                    Ty::Unit => {
                        let _ = writeln!(out, "    {},", field_ident(tag));
                    }
                    _ => {
                        let _ = writeln!(out, "    {}({}),", field_ident(tag), repr(payload, "'a", 0));
                    }
                }
            }
            out.push_str("}\n");
        }
        other => unreachable!("bug: a definition for `{other}`"),
    }
    if !has_function(&def.ty) {
        show_impl(name, generics, &def.ty, out);
    }
}

fn show_impl(name: &str, generics: &str, ty: &Ty, out: &mut String) {
    let _ = writeln!(out, "impl{generics} cdsl_rt::Show for {name}{generics} {{");
    out.push_str("    fn show(&self, out: &mut String) {\n");
    match ty {
        Ty::Record { fields, .. } => {
            let parts: Vec<String> = fields.iter().map(|(n, _)| format!("({n:?}, &self.{})", field_ident(n))).collect();
            let _ = writeln!(out, "        cdsl_rt::show_record(out, &[{}]);", parts.join(", "));
            out.push_str("    }\n");
        }
        Ty::Variant(alts) => {
            out.push_str("        match self {\n");
            for (tag, payload) in alts.iter() {
                let ident = field_ident(tag);
                match payload {
                    Ty::Unit => {
                        let _ = writeln!(out, "            {name}::{ident} => out.push_str({tag:?}),");
                    }
                    _ => {
                        let _ =
                            writeln!(out, "            {name}::{ident}(p) => cdsl_rt::show_variant(out, {tag:?}, p),");
                    }
                }
            }
            out.push_str("        }\n    }\n");
            let payloads: Vec<String> = alts
                .iter()
                .filter(|(_, p)| **p != Ty::Unit)
                .map(|(tag, _)| format!("{name}::{}(_)", field_ident(tag)))
                .collect();
            if !payloads.is_empty() {
                out.push_str("    fn nested_variant(&self) -> bool {\n");
                let _ = writeln!(out, "        matches!(self, {})", payloads.join(" | "));
                out.push_str("    }\n");
            }
        }
        _ => unreachable!("bug: show for a non-definition"),
    }
    out.push_str("}\n");
}

/// A read-only view of the value in `place` (a Rust place expression of
/// type `ty`), as a value of `ty.bang()`: boxes and arrays are borrowed,
/// everything else is viewed part by part.
pub fn view(place: &str, ty: &Ty) -> String {
    match ty {
        _ if !has_owned_box(ty) => place.to_owned(),
        Ty::Record { boxed: true, .. } => format!("&*{place}"),
        Ty::Abstract { name, .. } if name == "WordArray" => format!("&{place}[..]"),
        Ty::Abstract { .. } => format!("&{place}"),
        Ty::Tuple(items) => {
            let parts: Vec<String> = items.iter().enumerate().map(|(i, t)| view(&format!("{place}.{i}"), t)).collect();
            format!("({})", parts.join(", "))
        }
        Ty::Record { fields, .. } => {
            let banged = ty.bang();
            let parts: Vec<String> = fields
                .iter()
                .map(|(n, f)| {
                    let ident = field_ident(n);
                    let value = if is_plain(&f.ty) {
                        view(&format!("{place}.{ident}"), &f.ty)
                    } else {
                        format!("{place}.{ident}.as_ref().map(|x| {})", view("(*x)", &f.ty))
                    };
                    format!("{ident}: {value}")
                })
                .collect();
            format!("{} {{ {} }}", def_name(&banged), parts.join(", "))
        }
        Ty::Variant(alts) => {
            let (from, to) = (def_name(ty), def_name(&ty.bang()));
            let arms: Vec<String> = alts
                .iter()
                .map(|(tag, payload)| {
                    let ident = field_ident(tag);
                    match payload {
                        Ty::Unit => format!("{from}::{ident} => {to}::{ident}"),
                        _ => format!("{from}::{ident}(x) => {to}::{ident}({})", view("(*x)", payload)),
                    }
                })
                .collect();
            format!("match &{place} {{ {} }}", arms.join(", "))
        }
        _ => place.to_owned(),
    }
}

/// Whether a view of `ty` differs from `ty`: it owns a box or an array.
fn has_owned_box(ty: &Ty) -> bool {
    match ty {
        Ty::Record { boxed: true, read_only, .. } => !read_only,
        Ty::Abstract { read_only, .. } => !read_only,
        Ty::Tuple(items) => items.iter().any(has_owned_box),
        Ty::Record { fields, .. } => fields.iter().any(|(_, f)| has_owned_box(&f.ty)),
        Ty::Variant(alts) => alts.values().any(has_owned_box),
        _ => false,
    }
}

/// The zero of a type (as the interpreters' `zero_of`), if it has one.
pub fn zero(ty: &Ty) -> Option<String> {
    Some(match ty {
        Ty::Prim(Prim::Bool) => "false".to_owned(),
        Ty::Prim(Prim::String) => "\"\"".to_owned(),
        Ty::Prim(p) => format!("0u{}", p.bits()),
        Ty::Unit => "()".to_owned(),
        Ty::Tuple(items) => format!("({})", items.iter().map(zero).collect::<Option<Vec<_>>>()?.join(", ")),
        Ty::Record { fields, boxed: false, .. } => {
            let parts = fields
                .iter()
                .map(|(n, f)| {
                    let value = zero(&f.ty)?;
                    Some(format!(
                        "{}: {}",
                        field_ident(n),
                        if is_plain(&f.ty) { value } else { format!("Some({value})") }
                    ))
                })
                .collect::<Option<Vec<_>>>()?;
            format!("{} {{ {} }}", def_name(ty), parts.join(", "))
        }
        Ty::Variant(alts) => {
            let (tag, payload) = alts.iter().next()?;
            match payload {
                Ty::Unit => format!("{}::{}", def_name(ty), field_ident(tag)),
                _ => format!("{}::{}({})", def_name(ty), field_ident(tag), zero(payload)?),
            }
        }
        _ => return None,
    })
}

/// A record with every field taken, as an allocator returns it.
pub fn all_taken(ty: &Ty) -> Result<String, BackendError> {
    let stored = boxed_struct(ty);
    let Ty::Record { fields, .. } = &stored else { unreachable!("bug: an allocator of a non-record") };
    let parts = fields
        .iter()
        .map(|(n, f)| {
            let value = if is_plain(&f.ty) {
                zero(&f.ty).unwrap_or_else(|| unreachable!("bug: plain data without a zero"))
            } else {
                "None".to_owned()
            };
            format!("{}: {value}", field_ident(n))
        })
        .collect::<Vec<_>>();
    Ok(format!("Box::new({} {{ {} }})", def_name(&stored), parts.join(", ")))
}

/// A Rust expression for a literal value (an entry function's argument).
pub fn literal(value: &Value, ty: &Ty) -> Result<String, BackendError> {
    let mismatch = || BackendError::Unsupported(format!("the value {value} cannot be written as a `{ty}` in Rust"));
    Ok(match (value, ty) {
        (Value::Word { value, .. }, Ty::Prim(p)) if p.is_word() => format!("{value}u{}", p.bits()),
        (Value::Bool(b), Ty::Prim(Prim::Bool)) => b.to_string(),
        (Value::Str(s), Ty::Prim(Prim::String)) => format!("{s:?}"),
        (Value::Unit, Ty::Unit) => "()".to_owned(),
        (Value::SysState, Ty::Abstract { name, .. }) if name == "SysState" => "cdsl_rt::SysState".to_owned(),
        (Value::Tuple(items), Ty::Tuple(tys)) if items.len() == tys.len() => {
            let parts = items.iter().zip(tys.iter()).map(|(v, t)| literal(v, t)).collect::<Result<Vec<_>, _>>()?;
            format!("({})", parts.join(", "))
        }
        (Value::Record(values), Ty::Record { fields, boxed: false, .. }) => {
            let mut parts = Vec::new();
            for (name, slot) in fields.iter() {
                let value = values.iter().find(|(n, _)| **n == **name).and_then(|(_, v)| v.as_ref());
                let value = value.ok_or_else(mismatch)?;
                let code = literal(value, &slot.ty)?;
                let code = if is_plain(&slot.ty) { code } else { format!("Some({code})") };
                parts.push(format!("{}: {code}", field_ident(name)));
            }
            format!("{} {{ {} }}", def_name(ty), parts.join(", "))
        }
        (Value::Variant(tag, payload), Ty::Variant(alts)) => {
            let payload_ty = alts.get(tag).ok_or_else(mismatch)?;
            match payload_ty {
                Ty::Unit => format!("{}::{}", def_name(ty), field_ident(tag)),
                _ => format!("{}::{}({})", def_name(ty), field_ident(tag), literal(payload, payload_ty)?),
            }
        }
        _ => return Err(mismatch()),
    })
}
