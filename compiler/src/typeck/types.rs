//! Internal types of the checker, their kinds, and `!`.

use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Prim {
    U8,
    U16,
    U32,
    U64,
    Bool,
    String,
}

impl Prim {
    pub fn from_name(name: &str) -> Option<Prim> {
        Some(match name {
            "U8" => Prim::U8,
            "U16" => Prim::U16,
            "U32" => Prim::U32,
            "U64" => Prim::U64,
            "Bool" => Prim::Bool,
            "String" => Prim::String,
            _ => return None,
        })
    }

    pub fn is_word(self) -> bool {
        matches!(self, Prim::U8 | Prim::U16 | Prim::U32 | Prim::U64)
    }

    /// The largest value of a word type.
    pub fn max_value(self) -> Option<u64> {
        Some(match self {
            Prim::U8 => u8::MAX.into(),
            Prim::U16 => u16::MAX.into(),
            Prim::U32 => u32::MAX.into(),
            Prim::U64 => u64::MAX,
            Prim::Bool | Prim::String => return None,
        })
    }

    pub fn bits(self) -> u32 {
        match self {
            Prim::U8 => 8,
            Prim::U16 => 16,
            Prim::U32 => 32,
            Prim::U64 => 64,
            Prim::Bool => 1,
            Prim::String => 0,
        }
    }
}

/// A kind: which of discard (D), share (S) and escape (E) a type permits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Kind {
    pub discard: bool,
    pub share: bool,
    pub escape: bool,
}

impl Kind {
    pub const ALL: Kind = Kind { discard: true, share: true, escape: true };
    /// Linear values: used exactly once, may escape.
    pub const LINEAR: Kind = Kind { discard: false, share: false, escape: true };
    /// Read-only views: shareable and discardable, but must not escape.
    pub const READ_ONLY: Kind = Kind { discard: true, share: true, escape: false };
    pub const NONE: Kind = Kind { discard: false, share: false, escape: false };

    pub fn meet(self, other: Kind) -> Kind {
        Kind {
            discard: self.discard && other.discard,
            share: self.share && other.share,
            escape: self.escape && other.escape,
        }
    }

    /// Whether every permission of `required` is in `self`.
    pub fn satisfies(self, required: Kind) -> bool {
        (!required.discard || self.discard) && (!required.share || self.share) && (!required.escape || self.escape)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut letters = String::new();
        for (set, letter) in [(self.discard, 'D'), (self.share, 'S'), (self.escape, 'E')] {
            if set {
                letters.push(letter);
            }
        }
        if letters.is_empty() {
            letters.push_str("(none)");
        }
        f.write_str(&letters)
    }
}

/// Type-variable identity: rigid variables are the signature's `all` binders,
/// metas are unknowns solved by unification.
pub type MetaId = u32;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub ty: Ty,
    pub taken: bool,
}

/// A type. Compound parts sit behind `Rc`, so a type is cheap to clone: the
/// checker copies types into every node of the typed tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    Prim(Prim),
    Unit,
    Tuple(Rc<[Ty]>),
    /// Fields in declaration order.
    Record {
        fields: Rc<[(String, Field)]>,
        boxed: bool,
        read_only: bool,
    },
    /// Alternatives by tag; an alternative without argument has `Unit`.
    Variant(Alts),
    Abstract {
        name: String,
        args: Rc<[Ty]>,
        unboxed: bool,
        read_only: bool,
    },
    /// A rigid type variable of the enclosing signature, possibly viewed `!`.
    Var {
        name: String,
        banged: bool,
    },
    Fun(Rc<Ty>, Rc<Ty>),
    /// An unknown, solved by unification; `banged` stands for `!` applied to
    /// whatever it turns out to be (from a signature's `a!`).
    Meta {
        id: MetaId,
        banged: bool,
    },
    /// Stands for an expression whose error was already reported, so that one
    /// mistake does not cascade into many.
    Error,
}

/// A variant's alternatives, sorted by tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alts(Rc<[(String, Ty)]>);

impl Alts {
    pub fn get(&self, tag: &str) -> Option<&Ty> {
        self.0.binary_search_by(|(t, _)| t.as_str().cmp(tag)).ok().map(|i| &self.0[i].1)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Ty)> {
        self.0.iter().map(|(t, ty)| (t, ty))
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(t, _)| t)
    }

    pub fn values(&self) -> impl Iterator<Item = &Ty> {
        self.0.iter().map(|(_, ty)| ty)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, Ty)> for Alts {
    fn from_iter<I: IntoIterator<Item = (String, Ty)>>(iter: I) -> Alts {
        let mut alts: Vec<(String, Ty)> = iter.into_iter().collect();
        alts.sort_by(|a, b| a.0.cmp(&b.0));
        Alts(alts.into())
    }
}

impl Ty {
    pub fn field(&self, name: &str) -> Option<&Field> {
        match self {
            Ty::Record { fields, .. } => fields.iter().find(|(n, _)| n == name).map(|(_, f)| f),
            _ => None,
        }
    }

    pub fn bool() -> Ty {
        Ty::Prim(Prim::Bool)
    }

    /// `t!`: a read-only view of `t`, all the way down.
    pub fn bang(&self) -> Ty {
        match self {
            Ty::Prim(_) | Ty::Unit | Ty::Error | Ty::Fun(..) => self.clone(),
            Ty::Meta { id, .. } => Ty::Meta { id: *id, banged: true },
            Ty::Tuple(items) => Ty::Tuple(items.iter().map(Ty::bang).collect()),
            // An unboxed record is a value: its view is the record of its
            // fields' views, with nothing else read-only about it.
            Ty::Record { fields, boxed, .. } => Ty::Record {
                fields: fields.iter().map(|(n, f)| (n.clone(), Field { ty: f.ty.bang(), taken: f.taken })).collect(),
                boxed: *boxed,
                read_only: *boxed,
            },
            Ty::Variant(alts) => Ty::Variant(alts.iter().map(|(t, ty)| (t.clone(), ty.bang())).collect()),
            Ty::Abstract { name, args, unboxed, .. } => Ty::Abstract {
                name: name.clone(),
                args: args.iter().map(Ty::bang).collect(),
                unboxed: *unboxed,
                read_only: true,
            },
            Ty::Var { name, .. } => Ty::Var { name: name.clone(), banged: true },
        }
    }

    /// The type whose `!` is `self`, when `self` is a read-only view (a
    /// fixed point of `!`); the inverse of [`Ty::bang`] there.
    pub fn unbang(&self) -> Ty {
        match self {
            Ty::Prim(_) | Ty::Unit | Ty::Error | Ty::Fun(..) => self.clone(),
            Ty::Meta { id, .. } => Ty::Meta { id: *id, banged: false },
            Ty::Tuple(items) => Ty::Tuple(items.iter().map(Ty::unbang).collect()),
            Ty::Record { fields, boxed, .. } => Ty::Record {
                fields: fields.iter().map(|(n, f)| (n.clone(), Field { ty: f.ty.unbang(), taken: f.taken })).collect(),
                boxed: *boxed,
                read_only: false,
            },
            Ty::Variant(alts) => Ty::Variant(alts.iter().map(|(t, ty)| (t.clone(), ty.unbang())).collect()),
            Ty::Abstract { name, args, unboxed, .. } => Ty::Abstract {
                name: name.clone(),
                args: args.iter().map(Ty::unbang).collect(),
                unboxed: *unboxed,
                read_only: false,
            },
            Ty::Var { name, .. } => Ty::Var { name: name.clone(), banged: false },
        }
    }

    pub fn fun(a: Ty, b: Ty) -> Ty {
        Ty::Fun(Rc::new(a), Rc::new(b))
    }

    /// Replaces rigid type variables by types (instantiating a scheme).
    pub fn substitute(&self, with: &HashMap<String, Ty>) -> Ty {
        let ty = self;
        match ty {
            Ty::Var { name, banged } => match with.get(name) {
                Some(t) if *banged => t.bang(),
                Some(t) => t.clone(),
                None => ty.clone(),
            },
            Ty::Tuple(items) => Ty::Tuple(items.iter().map(|t| t.substitute(with)).collect()),
            Ty::Record { fields, boxed, read_only } => Ty::Record {
                fields: fields
                    .iter()
                    .map(|(n, f)| (n.clone(), Field { ty: f.ty.substitute(with), taken: f.taken }))
                    .collect(),
                boxed: *boxed,
                read_only: *read_only,
            },
            Ty::Variant(alts) => Ty::Variant(alts.iter().map(|(t, a)| (t.clone(), a.substitute(with))).collect()),
            Ty::Abstract { name, args, unboxed, read_only } => Ty::Abstract {
                name: name.clone(),
                args: args.iter().map(|a| a.substitute(with)).collect(),
                unboxed: *unboxed,
                read_only: *read_only,
            },
            Ty::Fun(a, b) => Ty::fun(a.substitute(with), b.substitute(with)),
            Ty::Prim(_) | Ty::Unit | Ty::Meta { .. } | Ty::Error => ty.clone(),
        }
    }

    /// The record type with `field` taken (or put back): what a `take` or
    /// `put` leaves. Other types are returned as they are.
    pub fn with_field_taken(&self, field: &str, taken: bool) -> Ty {
        match self {
            Ty::Record { fields, boxed, read_only } => Ty::Record {
                fields: fields
                    .iter()
                    .map(|(n, f)| {
                        (n.clone(), Field { ty: f.ty.clone(), taken: if n == field { taken } else { f.taken } })
                    })
                    .collect(),
                boxed: *boxed,
                read_only: *read_only,
            },
            other => other.clone(),
        }
    }

    pub fn taken_fields(&self) -> Vec<&str> {
        match self {
            Ty::Record { fields, .. } => fields.iter().filter(|(_, f)| f.taken).map(|(n, _)| n.as_str()).collect(),
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_ty(self, f, false)
    }
}

fn fmt_ty(ty: &Ty, f: &mut fmt::Formatter<'_>, atomic: bool) -> fmt::Result {
    let open = |f: &mut fmt::Formatter<'_>| if atomic { f.write_str("(") } else { Ok(()) };
    let close = |f: &mut fmt::Formatter<'_>| if atomic { f.write_str(")") } else { Ok(()) };
    match ty {
        Ty::Prim(p) => write!(f, "{p:?}"),
        Ty::Unit => f.write_str("()"),
        Ty::Tuple(items) => {
            f.write_str("(")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                fmt_ty(item, f, false)?;
            }
            f.write_str(")")
        }
        Ty::Record { fields, boxed, read_only } => {
            let taken: Vec<&str> = fields.iter().filter(|(_, fl)| fl.taken).map(|(n, _)| n.as_str()).collect();
            if !taken.is_empty() {
                open(f)?;
            }
            f.write_str(if *boxed { "{" } else { "#{" })?;
            for (i, (name, field)) in fields.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{name} : ")?;
                fmt_ty(&field.ty, f, false)?;
            }
            f.write_str("}")?;
            if *read_only {
                f.write_str("!")?;
            }
            if !taken.is_empty() {
                match taken.as_slice() {
                    [one] => write!(f, " take {one}")?,
                    many => write!(f, " take ({})", many.join(", "))?,
                }
                close(f)?;
            }
            Ok(())
        }
        Ty::Variant(alts) => {
            f.write_str("<")?;
            for (i, (tag, arg)) in alts.iter().enumerate() {
                if i > 0 {
                    f.write_str(" | ")?;
                }
                f.write_str(tag)?;
                if *arg != Ty::Unit {
                    f.write_str(" ")?;
                    fmt_ty(arg, f, true)?;
                }
            }
            f.write_str(">")
        }
        Ty::Abstract { name, args, unboxed, read_only } => {
            let applied = !args.is_empty();
            if applied && (atomic || *read_only) {
                f.write_str("(")?;
            }
            if *unboxed {
                f.write_str("#")?;
            }
            f.write_str(name)?;
            for arg in args.iter() {
                f.write_str(" ")?;
                fmt_ty(arg, f, true)?;
            }
            if applied && (atomic || *read_only) {
                f.write_str(")")?;
            }
            if *read_only {
                f.write_str("!")?;
            }
            Ok(())
        }
        Ty::Var { name, banged } => write!(f, "{name}{}", if *banged { "!" } else { "" }),
        Ty::Fun(a, b) => {
            open(f)?;
            fmt_ty(a, f, true)?;
            f.write_str(" -> ")?;
            fmt_ty(b, f, false)?;
            close(f)
        }
        Ty::Meta { banged, .. } => f.write_str(if *banged { "_!" } else { "_" }),
        Ty::Error => f.write_str("{error}"),
    }
}
