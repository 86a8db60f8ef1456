//! The types theory: one polymorphic HOL `record` per record shape (its
//! field names in declaration order) and one polymorphic `datatype` per
//! variant shape (its tags), instantiated at each use; a `typedecl` per
//! abstract type the base theories do not model.
//!
//! Shapes, not whole types, get declarations, so `R (U32, Inode) ()` and
//! `R U8 Bool` share `('a1, 'a2) V_Error_Success`, and `!` views, taken
//! fields and boxing (which change no value) never make a new type. Names
//! come from the shape alone: `R_ino_size`, `V_Error_Success`, or, for a
//! long or unusual shape, its first names and a hash of all of them.

use super::names::RULES;
use super::IsabelleError;
use crate::backend::prover::names::{allocate, fnv32, plain};
use crate::typeck::types::{Prim, Ty};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;

/// A record shape's HOL record: its name and its fields' HOL names.
#[derive(Clone, Debug)]
pub struct RecordDecl {
    pub name: String,
    /// (CDSL field, HOL field), in declaration order.
    pub fields: Vec<(String, String)>,
}

/// A variant shape's datatype: its name and its constructors' HOL names.
#[derive(Clone, Debug)]
pub struct VariantDecl {
    pub name: String,
    /// (CDSL tag, HOL constructor), in tag order.
    pub ctors: Vec<(String, String)>,
}

/// Every declaration of a program's types theory.
#[derive(Clone, Debug, Default)]
pub struct Types {
    pub records: BTreeMap<Vec<String>, RecordDecl>,
    pub variants: BTreeMap<Vec<String>, VariantDecl>,
    /// Abstract types declared by the program (CDSL name → HOL name, arity).
    pub abstracts: BTreeMap<String, (String, usize)>,
}

/// Abstract types the base theories model (if their arity fits).
pub fn is_modelled(name: &str, arity: usize) -> bool {
    matches!((name, arity), ("SysState", 0) | ("WordArray", 1))
}

fn collect(ty: &Ty, records: &mut BTreeSet<Vec<String>>, variants: &mut BTreeSet<Vec<String>>) {
    match ty {
        Ty::Tuple(items) => items.iter().for_each(|t| collect(t, records, variants)),
        Ty::Record { fields, .. } if !fields.is_empty() => {
            records.insert(fields.iter().map(|(n, _)| n.clone()).collect());
            fields.iter().for_each(|(_, f)| collect(&f.ty, records, variants));
        }
        Ty::Variant(alts) if !alts.is_empty() => {
            variants.insert(alts.keys().cloned().collect());
            alts.values().for_each(|t| collect(t, records, variants));
        }
        Ty::Abstract { args, .. } => args.iter().for_each(|t| collect(t, records, variants)),
        Ty::Fun(a, b) => {
            collect(a, records, variants);
            collect(b, records, variants);
        }
        _ => {}
    }
}

/// A shape's wanted name: `prefix` and its names, or its first two names
/// and a hash when that would be long or lose characters.
fn shape_name(prefix: &str, names: &[String]) -> String {
    let parts: Vec<String> = names.iter().map(|n| plain(n)).collect();
    let faithful = parts.iter().zip(names).all(|(p, n)| p == n && !p.is_empty());
    let full = format!("{prefix}_{}", parts.join("_"));
    if faithful && names.len() <= 4 && full.len() <= 40 {
        return full;
    }
    let first: Vec<&str> = parts.iter().take(2).map(String::as_str).collect();
    format!("{prefix}_{}_{:06x}", first.join("_"), fnv32(&names.join(",")) & 0xff_ffff)
}

impl Types {
    /// The declarations for every type in `types`, and the program's
    /// abstract types (name → arity).
    pub fn new<'t>(types: impl Iterator<Item = &'t Ty>, abstracts: &BTreeMap<String, usize>) -> Types {
        let (mut records, mut variants) = (BTreeSet::new(), BTreeSet::new());
        for ty in types {
            collect(ty, &mut records, &mut variants);
        }
        let mut wanted: BTreeMap<String, String> = BTreeMap::new();
        for shape in &records {
            wanted.insert(format!("r:{}", shape.join(",")), shape_name("R", shape));
        }
        for shape in &variants {
            wanted.insert(format!("v:{}", shape.join(",")), shape_name("V", shape));
        }
        for (name, arity) in abstracts {
            if !is_modelled(name, *arity) {
                wanted.insert(format!("a:{name}"), name.clone());
            }
        }
        let names = allocate(&RULES, &wanted.values().cloned().collect(), &HashSet::new());
        let name_of = |key: &str| names[&wanted[key]].clone();
        let records = records
            .into_iter()
            .map(|shape| {
                let hol = allocate(&RULES, &shape.iter().cloned().collect(), &HashSet::new());
                let fields = shape.iter().map(|f| (f.clone(), hol[f].clone())).collect();
                let decl = RecordDecl { name: name_of(&format!("r:{}", shape.join(","))), fields };
                (shape, decl)
            })
            .collect();
        let variants = variants
            .into_iter()
            .map(|shape| {
                let hol = allocate(&RULES, &shape.iter().cloned().collect(), &HashSet::new());
                let ctors = shape.iter().map(|t| (t.clone(), hol[t].clone())).collect();
                let decl = VariantDecl { name: name_of(&format!("v:{}", shape.join(","))), ctors };
                (shape, decl)
            })
            .collect();
        let abstracts = abstracts
            .iter()
            .filter(|(n, a)| !is_modelled(n, **a))
            .map(|(n, a)| (n.clone(), (name_of(&format!("a:{n}")), *a)))
            .collect();
        Types { records, variants, abstracts }
    }

    pub fn record(&self, ty: &Ty) -> Result<&RecordDecl, IsabelleError> {
        match ty {
            Ty::Record { fields, .. } => {
                let shape: Vec<String> = fields.iter().map(|(n, _)| n.clone()).collect();
                self.records.get(&shape).ok_or_else(|| IsabelleError::Bug(format!("no record for `{ty}`")))
            }
            _ => Err(IsabelleError::Bug(format!("a record expected, found `{ty}`"))),
        }
    }

    pub fn variant(&self, ty: &Ty) -> Result<&VariantDecl, IsabelleError> {
        match ty {
            Ty::Variant(alts) => {
                let shape: Vec<String> = alts.keys().cloned().collect();
                self.variants.get(&shape).ok_or_else(|| IsabelleError::Bug(format!("no datatype for `{ty}`")))
            }
            _ => Err(IsabelleError::Bug(format!("a variant expected, found `{ty}`"))),
        }
    }

    /// The HOL type of a CDSL type, parenthesised unless atomic.
    pub fn ty(&self, ty: &Ty) -> Result<String, IsabelleError> {
        Ok(match ty {
            Ty::Prim(Prim::Bool) => "bool".to_owned(),
            Ty::Prim(Prim::String) => "string".to_owned(),
            Ty::Prim(p) => format!("({} word)", p.bits()),
            Ty::Unit => "unit".to_owned(),
            Ty::Tuple(items) => match items.len() {
                0 => "unit".to_owned(),
                1 => self.ty(&items[0])?,
                _ => format!("({})", items.iter().map(|t| self.ty(t)).collect::<Result<Vec<_>, _>>()?.join(" * ")),
            },
            Ty::Record { fields, .. } if fields.is_empty() => "unit".to_owned(),
            Ty::Record { fields, .. } => {
                let args: Vec<&Ty> = fields.iter().map(|(_, f)| &f.ty).collect();
                self.applied(&self.record(ty)?.name, &args)?
            }
            Ty::Variant(alts) if alts.is_empty() => {
                return Err(IsabelleError::Unsupported("a variant with no alternatives".to_owned()))
            }
            Ty::Variant(alts) => {
                let args: Vec<&Ty> = alts.values().collect();
                self.applied(&self.variant(ty)?.name, &args)?
            }
            Ty::Abstract { name, args, .. } => {
                let hol = match (name.as_str(), args.len()) {
                    ("SysState", 0) => "cdsl_SysState".to_owned(),
                    ("WordArray", 1) => "cdsl_WordArray".to_owned(),
                    _ => self
                        .abstracts
                        .get(name)
                        .map(|(n, _)| n.clone())
                        .ok_or_else(|| IsabelleError::Bug(format!("abstract type `{name}`")))?,
                };
                let args: Vec<&Ty> = args.iter().collect();
                self.applied(&hol, &args)?
            }
            Ty::Fun(a, b) => format!("({} => {})", self.ty(a)?, self.ty(b)?),
            Ty::Var { .. } | Ty::Meta { .. } | Ty::Error => {
                return Err(IsabelleError::Bug(format!("a non-monomorphic type `{ty}`")))
            }
        })
    }

    fn applied(&self, name: &str, args: &[&Ty]) -> Result<String, IsabelleError> {
        let args = args.iter().map(|t| self.ty(t)).collect::<Result<Vec<_>, _>>()?;
        Ok(match args.len() {
            0 => name.to_owned(),
            1 => format!("({} {name})", args[0]),
            _ => format!("(({}) {name})", args.join(", ")),
        })
    }

    /// The types theory's text (after its header).
    pub fn declarations(&self) -> String {
        let mut out = String::new();
        let params = |n: usize| -> String {
            let vars: Vec<String> = (1..=n).map(|i| format!("'a{i}")).collect();
            match n {
                0 => String::new(),
                1 => format!("{} ", vars[0]),
                _ => format!("({}) ", vars.join(", ")),
            }
        };
        for (hol, arity) in self.abstracts.values() {
            let _ = writeln!(out, "typedecl {}{hol}\n", params(*arity));
        }
        for (shape, decl) in &self.records {
            let _ = writeln!(out, "text \\<open>Records with fields {}.\\<close>", shape.join(", "));
            let _ = writeln!(out, "record {}{} =", params(decl.fields.len()), decl.name);
            for (i, (_, field)) in decl.fields.iter().enumerate() {
                let _ = writeln!(out, "  {field} :: \"'a{}\"", i + 1);
            }
            out.push('\n');
        }
        for (shape, decl) in &self.variants {
            let _ = writeln!(out, "text \\<open>Variants with tags {}.\\<close>", shape.join(", "));
            let ctors: Vec<String> =
                decl.ctors.iter().enumerate().map(|(i, (_, c))| format!("{c} \"'a{}\"", i + 1)).collect();
            let _ =
                writeln!(out, "datatype {}{} =\n    {}\n", params(decl.ctors.len()), decl.name, ctors.join("\n  | "));
        }
        out
    }
}
