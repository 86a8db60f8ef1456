//! Unknowns and unification: meta variables, their solutions, and kinds.

use crate::source::Span;
use crate::typeck::errors::{TypeError, TypeErrorKind};
use crate::typeck::types::{Kind, MetaId, Prim, Ty};
use std::collections::HashMap;

/// How two types must agree.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The found type must fit where the expected one is wanted.
    Fit,
    /// Exactly the same type (under function arrows and type arguments).
    Equal,
}

#[derive(Default)]
pub struct Metas {
    solutions: Vec<Option<Ty>>,
    /// Metas standing for the type of an integer literal: only word types.
    integral: Vec<bool>,
    /// The kind a meta's solution is required to have (a type variable's
    /// bound), which is what may be assumed of it while unsolved.
    bounds: Vec<Option<Kind>>,
}

impl Metas {
    pub fn fresh(&mut self, integral: bool) -> Ty {
        self.solutions.push(None);
        self.integral.push(integral);
        self.bounds.push(None);
        Ty::Meta { id: (self.solutions.len() - 1) as MetaId, banged: false }
    }

    /// An unknown standing for a type variable with this bound.
    pub fn fresh_bounded(&mut self, bound: Kind) -> Ty {
        let ty = self.fresh(false);
        if let Some(last) = self.bounds.last_mut() {
            *last = Some(bound);
        }
        ty
    }

    /// Whether a (zonked) type still contains an unknown.
    pub fn unsolved(&self, ty: &Ty) -> bool {
        mentions_meta(&self.zonk(ty))
    }

    pub fn is_integral(&self, id: MetaId) -> bool {
        self.integral[id as usize]
    }

    /// Resolves solved unknowns at the top of a type only: enough to see its
    /// outermost constructor, without copying the rest.
    pub fn head(&self, ty: &Ty) -> Ty {
        match ty {
            Ty::Meta { id, banged } => match &self.solutions[*id as usize] {
                Some(solution) if *banged => self.head(solution).bang(),
                Some(solution) => self.head(solution),
                None => ty.clone(),
            },
            _ => ty.clone(),
        }
    }

    /// Replaces solved metas by their solutions, all the way down.
    pub fn zonk(&self, ty: &Ty) -> Ty {
        // Most types mention no unknown: sharing them is a reference bump.
        if !mentions_meta(ty) {
            return ty.clone();
        }
        match ty {
            Ty::Meta { id, banged } => match &self.solutions[*id as usize] {
                Some(solution) if *banged => self.zonk(solution).bang(),
                Some(solution) => self.zonk(solution),
                None => ty.clone(),
            },
            Ty::Tuple(items) => Ty::Tuple(items.iter().map(|t| self.zonk(t)).collect()),
            Ty::Record { fields, boxed, read_only } => Ty::Record {
                fields: fields
                    .iter()
                    .map(|(n, f)| (n.clone(), crate::typeck::types::Field { ty: self.zonk(&f.ty), taken: f.taken }))
                    .collect(),
                boxed: *boxed,
                read_only: *read_only,
            },
            Ty::Variant(alts) => Ty::Variant(alts.iter().map(|(t, a)| (t.clone(), self.zonk(a))).collect()),
            Ty::Abstract { name, args, unboxed, read_only } => Ty::Abstract {
                name: name.clone(),
                args: args.iter().map(|a| self.zonk(a)).collect(),
                unboxed: *unboxed,
                read_only: *read_only,
            },
            Ty::Fun(a, b) => Ty::fun(self.zonk(a), self.zonk(b)),
            Ty::Prim(_) | Ty::Unit | Ty::Var { .. } | Ty::Error => ty.clone(),
        }
    }

    /// Integer literals whose type nothing fixed are `U32`, as in Cogent.
    pub fn default_integrals(&mut self) {
        for id in 0..self.solutions.len() {
            if self.integral[id] && self.solutions[id].is_none() {
                self.solutions[id] = Some(Ty::Prim(Prim::U32));
            }
        }
    }

    /// Makes `found` fit where `expected` is wanted, or reports why it
    /// cannot. Fitting is equality, except that a variant with fewer
    /// alternatives fits where one with more is expected (Cogent's variant
    /// subtyping), in positions that only carry values outward.
    pub fn unify(&mut self, expected: &Ty, found: &Ty, span: Span) -> Result<(), TypeError> {
        let (e, f) = (self.zonk(expected), self.zonk(found));
        if self.unify_zonked(&e, &f, Mode::Fit) {
            return Ok(());
        }
        let (e, f) = (self.zonk(&e), self.zonk(&f));
        Err(mismatch_error(&e, &f, span))
    }

    fn unify_zonked(&mut self, e: &Ty, f: &Ty, mode: Mode) -> bool {
        match (e, f) {
            (Ty::Error, _) | (_, Ty::Error) => true,
            (Ty::Meta { id: a, banged: x }, Ty::Meta { id: b, banged: y }) if a == b && x == y => true,
            (Ty::Meta { id, banged: false }, other) | (other, Ty::Meta { id, banged: false }) => self.solve(*id, other),
            // `!m` against a type: `m` is the type whose view it is, which
            // exists only when the type is already a read-only view.
            (Ty::Meta { id, banged: true }, other) | (other, Ty::Meta { id, banged: true }) => {
                *other == other.bang() && self.solve(*id, &other.unbang())
            }
            (Ty::Prim(a), Ty::Prim(b)) => a == b,
            (Ty::Unit, Ty::Unit) => true,
            (Ty::Tuple(a), Ty::Tuple(b)) => a.len() == b.len() && self.unify_all(a, b, mode),
            (
                Ty::Record { fields: fa, boxed: ba, read_only: ra },
                Ty::Record { fields: fb, boxed: bb, read_only: rb },
            ) => {
                ba == bb
                    && ra == rb
                    && fa.len() == fb.len()
                    && fa.iter().zip(fb.iter()).all(|((na, a), (nb, b))| na == nb && a.taken == b.taken)
                    // A boxed record is shared by reference: its fields cannot
                    // be converted in place, so they must agree exactly.
                    && {
                        let mode = if *ba { Mode::Equal } else { mode };
                        fa.iter().zip(fb.iter()).all(|((_, a), (_, b))| self.unify_types(&a.ty, &b.ty, mode))
                    }
            }
            (Ty::Variant(a), Ty::Variant(b)) => {
                let fits = match mode {
                    Mode::Fit => b.keys().all(|tag| a.get(tag).is_some()),
                    Mode::Equal => a.len() == b.len() && a.keys().eq(b.keys()),
                };
                fits && b.iter().all(|(tag, y)| a.get(tag).is_some_and(|x| self.unify_types(&x.clone(), y, mode)))
            }
            (
                Ty::Abstract { name: na, args: aa, unboxed: ua, read_only: ra },
                Ty::Abstract { name: nb, args: ab, unboxed: ub, read_only: rb },
            ) => na == nb && ua == ub && ra == rb && aa.len() == ab.len() && self.unify_all(aa, ab, Mode::Equal),
            (Ty::Var { name: a, banged: ba }, Ty::Var { name: b, banged: bb }) => a == b && ba == bb,
            (Ty::Fun(a1, b1), Ty::Fun(a2, b2)) => {
                self.unify_types(a1, a2, Mode::Equal) && self.unify_types(b1, b2, Mode::Equal)
            }
            _ => false,
        }
    }

    fn unify_types(&mut self, a: &Ty, b: &Ty, mode: Mode) -> bool {
        let (a, b) = (self.zonk(a), self.zonk(b));
        self.unify_zonked(&a, &b, mode)
    }

    fn unify_all(&mut self, a: &[Ty], b: &[Ty], mode: Mode) -> bool {
        a.iter().zip(b.iter()).all(|(x, y)| self.unify_types(x, y, mode))
    }

    fn solve(&mut self, id: MetaId, ty: &Ty) -> bool {
        if occurs(id, ty) {
            return false;
        }
        if self.integral[id as usize] {
            match ty {
                Ty::Prim(p) if p.is_word() => {}
                Ty::Meta { id: other, .. } => self.integral[*other as usize] = true,
                _ => return false,
            }
        }
        self.solutions[id as usize] = Some(ty.clone());
        true
    }

    /// The kind of a (zonked) type; rigid variables take the kinds of their
    /// binders.
    pub fn kind(&self, ty: &Ty, var_kinds: &HashMap<String, Kind>) -> Kind {
        match ty {
            Ty::Prim(_) | Ty::Unit | Ty::Fun(..) | Ty::Error => Kind::ALL,
            Ty::Tuple(items) => items.iter().fold(Kind::ALL, |k, t| k.meet(self.kind(t, var_kinds))),
            // A box is linear, or shareable when read-only; it can escape only
            // if nothing inside it is a view that must not (Cogent's rule).
            Ty::Record { boxed: true, read_only, fields } => {
                let base = if *read_only { Kind::READ_ONLY } else { Kind::LINEAR };
                let escape = fields.iter().filter(|(_, f)| !f.taken).all(|(_, f)| self.kind(&f.ty, var_kinds).escape);
                Kind { escape: base.escape && escape, ..base }
            }
            Ty::Abstract { unboxed: false, read_only, args, .. } => {
                let base = if *read_only { Kind::READ_ONLY } else { Kind::LINEAR };
                let escape = args.iter().all(|t| self.kind(t, var_kinds).escape);
                Kind { escape: base.escape && escape, ..base }
            }
            Ty::Record { fields, read_only, .. } => {
                let k = fields
                    .iter()
                    .filter(|(_, f)| !f.taken)
                    .fold(Kind::ALL, |k, (_, f)| k.meet(self.kind(&f.ty, var_kinds)));
                if *read_only {
                    k.meet(Kind::READ_ONLY)
                } else {
                    k
                }
            }
            Ty::Abstract { args, .. } => args.iter().fold(Kind::ALL, |k, t| k.meet(self.kind(t, var_kinds))),
            Ty::Variant(alts) => alts.values().fold(Kind::ALL, |k, t| k.meet(self.kind(t, var_kinds))),
            Ty::Var { banged: true, .. } => Kind::READ_ONLY,
            Ty::Var { name, .. } => var_kinds.get(name).copied().unwrap_or(Kind::NONE),
            Ty::Meta { id, banged } => match &self.solutions[*id as usize] {
                Some(solution) if *banged => self.kind(&solution.bang(), var_kinds),
                Some(solution) => self.kind(solution, var_kinds),
                None if self.integral[*id as usize] => Kind::ALL,
                None if self.bounds[*id as usize].is_some() && !*banged => {
                    self.bounds[*id as usize].unwrap_or(Kind::LINEAR)
                }
                // A view of an unknown: never linear, escape unknown.
                None if *banged => Kind::READ_ONLY,
                // Unknown: assume the worst, so nothing unsound is accepted.
                None => Kind::LINEAR,
            },
        }
    }
}

fn mentions_meta(ty: &Ty) -> bool {
    match ty {
        Ty::Meta { .. } => true,
        Ty::Tuple(items) => items.iter().any(mentions_meta),
        Ty::Record { fields, .. } => fields.iter().any(|(_, f)| mentions_meta(&f.ty)),
        Ty::Variant(alts) => alts.values().any(mentions_meta),
        Ty::Abstract { args, .. } => args.iter().any(mentions_meta),
        Ty::Fun(a, b) => mentions_meta(a) || mentions_meta(b),
        Ty::Prim(_) | Ty::Unit | Ty::Var { .. } | Ty::Error => false,
    }
}

fn occurs(id: MetaId, ty: &Ty) -> bool {
    match ty {
        Ty::Meta { id: other, .. } => *other == id,
        Ty::Tuple(items) => items.iter().any(|t| occurs(id, t)),
        Ty::Record { fields, .. } => fields.iter().any(|(_, f)| occurs(id, &f.ty)),
        Ty::Variant(alts) => alts.values().any(|t| occurs(id, t)),
        Ty::Abstract { args, .. } => args.iter().any(|t| occurs(id, t)),
        Ty::Fun(a, b) => occurs(id, a) || occurs(id, b),
        Ty::Prim(_) | Ty::Unit | Ty::Var { .. } | Ty::Error => false,
    }
}

/// A mismatch, worded for the most common case: a record whose fields are
/// still taken where the whole record is expected.
fn mismatch_error(expected: &Ty, found: &Ty, span: Span) -> TypeError {
    if let (Ty::Record { fields: fe, .. }, Ty::Record { fields: ff, .. }) = (expected, found) {
        let names_agree = fe.len() == ff.len() && fe.iter().zip(ff.iter()).all(|((a, _), (b, _))| a == b);
        let still_taken: Vec<String> = fe
            .iter()
            .zip(ff.iter())
            .filter(|((_, e), (_, f))| !e.taken && f.taken)
            .map(|((n, _), _)| n.clone())
            .collect();
        if names_agree && !still_taken.is_empty() {
            return TypeError::new(TypeErrorKind::TakenFieldsEscape { var: None, fields: still_taken }, span);
        }
    }
    let expected = match expected {
        Ty::Meta { banged: true, .. } => "a read-only view (`!`)".to_owned(),
        other if *other == found.bang() && other != found => format!("`{other}` (a read-only view)"),
        other => format!("`{other}`"),
    };
    TypeError::new(TypeErrorKind::Mismatch { expected, found: format!("`{found}`") }, span)
}
