//! Patterns: binding their variables, and checking that a set of patterns
//! covers every value (exhaustiveness, with a missing case as a witness).

use crate::source::Span;
use crate::syntax::ast::{self, Lit, PatKind};
use crate::typeck::check::FnChecker;
use crate::typeck::errors::TypeErrorKind;
use crate::typeck::typed::{self, PatKind as P};
use crate::typeck::types::{Field, Prim, Ty};

impl FnChecker<'_, '_> {
    /// Binds the variables of a whole pattern (of a `let`, an alternative or
    /// a parameter), each of which may be named only once.
    pub fn bind_top_pattern(&mut self, pat: &ast::Pat, ty: &Ty) -> typed::Pat {
        if matches!(pat.kind, PatKind::Var(_) | PatKind::Wildcard) {
            return self.bind_pattern(pat, ty);
        }
        let mut names: Vec<&ast::Ident> = Vec::new();
        collect_names(pat, &mut names);
        for (i, name) in names.iter().enumerate() {
            if let Some(first) = names[..i].iter().find(|n| n.name == name.name) {
                let kind =
                    TypeErrorKind::Duplicate { what: "pattern variable", name: name.name.clone(), first: first.span };
                self.error(kind, name.span);
            }
        }
        self.bind_pattern(pat, ty)
    }

    /// Binds the variables of `pat`, which matches a value of type `ty`.
    pub fn bind_pattern(&mut self, pat: &ast::Pat, ty: &Ty) -> typed::Pat {
        let ty = self.metas.zonk(ty);
        let span = pat.span;
        let kind = match &pat.kind {
            PatKind::Wildcard => {
                if !self.kind(&ty).discard {
                    let kind = self.kind(&ty).to_string();
                    let why = "discarded by `_`";
                    self.error(
                        TypeErrorKind::KindViolation { ty: ty.to_string(), kind, required: "D".into(), why },
                        span,
                    );
                }
                P::Wildcard
            }
            PatKind::Var(v) => {
                self.bind(v, ty.clone());
                P::Var(v.name.clone())
            }
            PatKind::Lit(lit) => {
                let lit_ty = match lit {
                    Lit::Int(n) => {
                        let t = self.metas.fresh(true);
                        self.literals.push((t.clone(), *n, span));
                        t
                    }
                    Lit::Bool(_) => Ty::bool(),
                    Lit::Char(_) => Ty::Prim(Prim::U8),
                    Lit::String(_) => Ty::Prim(Prim::String),
                };
                self.unify(&ty, &lit_ty, span);
                P::Lit(lit.clone())
            }
            PatKind::Unit => {
                self.unify(&ty, &Ty::Unit, span);
                P::Unit
            }
            PatKind::Tuple(items) => {
                let tys = match &ty {
                    Ty::Tuple(tys) if tys.len() == items.len() => tys.to_vec(),
                    _ => {
                        self.mismatch(&ty, "tuple", span);
                        vec![Ty::Error; items.len()]
                    }
                };
                P::Tuple(items.iter().zip(&tys).map(|(item, ty)| self.bind_pattern(item, ty)).collect())
            }
            PatKind::Con { tag, args } => self.bind_con(tag, args, &ty, span),
            PatKind::UnboxedRecord(fields) => {
                if matches!(ty, Ty::Record { boxed: true, .. }) {
                    self.mismatch(&ty, "unboxed record", span);
                }
                let bound = self.bind_fields(fields, &ty, span);
                for (name, field) in bound.left_out {
                    if !self.kind(&field.ty).discard {
                        let kind = self.kind(&field.ty).to_string();
                        let why = "left out of this pattern, which would drop it";
                        let ty = format!("{name} : {}", field.ty);
                        self.error(TypeErrorKind::KindViolation { ty, kind, required: "D".into(), why }, span);
                    }
                }
                P::UnboxedRecord(bound.typed)
            }
            PatKind::Take { record, fields } => {
                let bound = self.bind_fields(fields, &ty, span);
                self.bind(record, bound.rest);
                P::Take { record: record.name.clone(), fields: bound.typed }
            }
        };
        typed::Pat::new(kind, ty, span)
    }

    fn mismatch(&mut self, ty: &Ty, pattern: &'static str, span: Span) {
        if *ty != Ty::Error {
            self.error(TypeErrorKind::PatternMismatch { expected: ty.to_string(), pattern }, span);
        }
    }

    /// Takes the named fields out of a record type, binding their patterns.
    fn bind_fields(&mut self, fields: &[ast::FieldPat], ty: &Ty, span: Span) -> FieldsBound {
        let Ty::Record { fields: record_fields, boxed, read_only } = ty.clone() else {
            self.mismatch(ty, "record", span);
            let typed_fields =
                fields.iter().map(|f| (f.name.name.clone(), self.bind_pattern(&f.pat, &Ty::Error))).collect();
            return FieldsBound { rest: Ty::Error, typed: typed_fields, left_out: Vec::new() };
        };
        if read_only && fields.iter().any(|f| !matches!(f.pat.kind, PatKind::Wildcard)) && boxed {
            self.error(TypeErrorKind::ReadOnlyUpdate { action: "take fields from" }, span);
        }
        self.no_duplicate_fields(fields.iter().map(|f| &f.name));
        let mut record_fields = record_fields.to_vec();
        let mut typed_fields = Vec::new();
        for field in fields {
            let Some((_, slot)) = record_fields.iter_mut().find(|(n, _)| *n == field.name.name) else {
                let shown = Ty::Record { fields: record_fields.clone().into(), boxed, read_only }.to_string();
                self.error(TypeErrorKind::NoSuchField { field: field.name.name.clone(), ty: shown }, field.name.span);
                typed_fields.push((field.name.name.clone(), self.bind_pattern(&field.pat, &Ty::Error)));
                continue;
            };
            if slot.taken {
                self.error(
                    TypeErrorKind::FieldTaken { field: field.name.name.clone(), taken_at: None },
                    field.name.span,
                );
            }
            slot.taken = true;
            let field_ty = slot.ty.clone();
            typed_fields.push((field.name.name.clone(), self.bind_pattern(&field.pat, &field_ty)));
        }
        let named: Vec<&str> = fields.iter().map(|f| f.name.name.as_str()).collect();
        let left_out =
            record_fields.iter().filter(|(n, f)| !f.taken && !named.contains(&n.as_str())).cloned().collect();
        FieldsBound {
            rest: Ty::Record { fields: record_fields.into(), boxed, read_only },
            typed: typed_fields,
            left_out,
        }
    }

    fn bind_con(&mut self, tag: &ast::Ident, args: &[ast::Pat], ty: &Ty, span: Span) -> P {
        let payload_ty = match ty {
            Ty::Variant(alts) => match alts.get(&tag.name) {
                Some(payload) => payload.clone(),
                None => {
                    self.error(TypeErrorKind::NoSuchTag { tag: tag.name.clone(), ty: ty.to_string() }, tag.span);
                    Ty::Error
                }
            },
            Ty::Meta { .. } => {
                self.error(TypeErrorKind::CannotInfer { what: "the value matched here" }, span);
                Ty::Error
            }
            _ => {
                self.mismatch(ty, "constructor", span);
                Ty::Error
            }
        };
        let payload = match args {
            [] => {
                if !matches!(payload_ty, Ty::Unit | Ty::Error) {
                    let kind = TypeErrorKind::MissingPayload { tag: tag.name.clone(), payload: payload_ty.to_string() };
                    self.error(kind, span);
                }
                typed::Pat::new(P::Unit, Ty::Unit, tag.span)
            }

            [one] => self.bind_pattern(one, &payload_ty),
            many => {
                let tys = match &payload_ty {
                    Ty::Tuple(tys) if tys.len() == many.len() => tys.to_vec(),
                    _ => {
                        self.mismatch(&payload_ty, "multi-argument constructor", span);
                        vec![Ty::Error; many.len()]
                    }
                };
                let items = many.iter().zip(&tys).map(|(arg, ty)| self.bind_pattern(arg, ty)).collect();
                typed::Pat::new(P::Tuple(items), payload_ty.clone(), many[0].span.to(many[many.len() - 1].span))
            }
        };
        P::Con { tag: tag.name.clone(), payload: Box::new(payload) }
    }

    /// Reports the first value of type `ty` that none of `pats` matches.
    /// Patterns already reported as ill-typed are not judged again.
    pub fn check_exhaustive(&mut self, ty: &Ty, pats: &[&ast::Pat], span: Span, coverage: Coverage) {
        // The common case, a variable or `_`, covers everything at once.
        if pats.iter().any(|p| matches!(p.kind, PatKind::Var(_) | PatKind::Wildcard)) {
            return;
        }
        let ty = self.metas.zonk(ty);
        if ty == Ty::Error || self.errors.iter().any(|e| pats.iter().any(|p| within(e.span, p.span))) {
            return;
        }
        let rows: Vec<Vec<Space>> = pats.iter().map(|p| vec![Space::from_pat(p, &ty, self)]).collect();
        if let Some(witness) = missing(&rows, std::slice::from_ref(&ty), self) {
            let missing = format!("`{}`", render(&witness[0], &ty, self, false));
            self.error(TypeErrorKind::NonExhaustive { missing, coverage }, span);
        }
    }
}

/// Where a set of patterns must cover every value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coverage {
    Match,
    Let,
    Parameter,
}

fn collect_names<'p>(pat: &'p ast::Pat, out: &mut Vec<&'p ast::Ident>) {
    match &pat.kind {
        PatKind::Var(v) => out.push(v),
        PatKind::Wildcard | PatKind::Lit(_) | PatKind::Unit => {}
        PatKind::Tuple(items) | PatKind::Con { args: items, .. } => items.iter().for_each(|p| collect_names(p, out)),
        PatKind::UnboxedRecord(fields) => fields.iter().for_each(|f| collect_names(&f.pat, out)),
        PatKind::Take { record, fields } => {
            out.push(record);
            fields.iter().for_each(|f| collect_names(&f.pat, out));
        }
    }
}

fn within(inner: Span, outer: Span) -> bool {
    inner.file == outer.file && inner.start >= outer.start && inner.end <= outer.end
}

/// What taking fields out of a record type gives.
struct FieldsBound {
    /// The record with the named fields taken.
    rest: Ty,
    /// The named fields' patterns, typed.
    typed: Vec<(String, typed::Pat)>,
    /// The fields not named.
    left_out: Vec<(String, Field)>,
}

/// A pattern reduced to what matters for coverage.
#[derive(Clone, Debug, PartialEq)]
enum Space {
    Any,
    Ctor(Ctor, Vec<Space>),
}

#[derive(Clone, Debug, PartialEq)]
enum Ctor {
    Tag(String),
    Bool(bool),
    /// An integer, character or string literal: infinitely many siblings.
    Literal(String),
    /// The one constructor of a tuple, unit or record.
    Product,
}

impl Space {
    fn from_pat(pat: &ast::Pat, ty: &Ty, c: &FnChecker) -> Space {
        let ty = c.metas.zonk(ty);
        match (&pat.kind, &ty) {
            (PatKind::Wildcard | PatKind::Var(_), _) => Space::Any,
            (PatKind::Lit(Lit::Bool(b)), _) => Space::Ctor(Ctor::Bool(*b), Vec::new()),
            (PatKind::Lit(lit), _) => Space::Ctor(Ctor::Literal(format!("{lit:?}")), Vec::new()),
            (PatKind::Unit, _) => Space::Ctor(Ctor::Product, Vec::new()),
            (PatKind::Tuple(items), Ty::Tuple(tys)) if tys.len() == items.len() => Space::Ctor(
                Ctor::Product,
                items.iter().zip(tys.iter()).map(|(p, t)| Space::from_pat(p, t, c)).collect(),
            ),
            (PatKind::Con { tag, args }, Ty::Variant(alts)) => {
                let payload = alts.get(&tag.name).cloned().unwrap_or(Ty::Error);
                let inner = match (args.as_slice(), &payload) {
                    ([], _) => Space::Any,
                    ([one], _) => Space::from_pat(one, &payload, c),
                    (many, Ty::Tuple(tys)) if tys.len() == many.len() => Space::Ctor(
                        Ctor::Product,
                        many.iter().zip(tys.iter()).map(|(p, t)| Space::from_pat(p, t, c)).collect(),
                    ),
                    _ => Space::Any,
                };
                Space::Ctor(Ctor::Tag(tag.name.clone()), vec![inner])
            }
            (
                PatKind::UnboxedRecord(fields) | PatKind::Take { fields, .. },
                Ty::Record { fields: record_fields, .. },
            ) => {
                let subs = record_fields
                    .iter()
                    .map(|(name, field)| match fields.iter().find(|f| f.name.name == *name) {
                        Some(f) => Space::from_pat(&f.pat, &field.ty, c),
                        None => Space::Any,
                    })
                    .collect();
                Space::Ctor(Ctor::Product, subs)
            }
            // Ill-typed patterns were reported when bound; count them as
            // covering nothing more than themselves.
            _ => Space::Any,
        }
    }
}

/// Every constructor of `ty` with the types of its fields, when finitely many.
fn constructors(ty: &Ty) -> Option<Vec<(Ctor, Vec<Ty>)>> {
    match ty {
        Ty::Variant(alts) => {
            Some(alts.iter().map(|(tag, payload)| (Ctor::Tag(tag.clone()), vec![payload.clone()])).collect())
        }
        Ty::Prim(Prim::Bool) => Some(vec![(Ctor::Bool(true), Vec::new()), (Ctor::Bool(false), Vec::new())]),
        Ty::Unit => Some(vec![(Ctor::Product, Vec::new())]),
        Ty::Tuple(tys) => Some(vec![(Ctor::Product, tys.to_vec())]),
        Ty::Record { fields, .. } => Some(vec![(Ctor::Product, fields.iter().map(|(_, f)| f.ty.clone()).collect())]),
        _ => None,
    }
}

/// Maranget's usefulness: a list of values, one per column of `rows`, that
/// no row matches — or `None` when the rows cover everything.
fn missing(rows: &[Vec<Space>], tys: &[Ty], c: &FnChecker) -> Option<Vec<Space>> {
    let Some((ty, rest_tys)) = tys.split_first() else {
        return if rows.is_empty() { Some(Vec::new()) } else { None };
    };
    // A row of wildcards covers everything left: no need to look further.
    if rows.iter().any(|row| row.iter().all(|s| *s == Space::Any)) {
        return None;
    }
    let ty = c.metas.zonk(ty);
    let heads: Vec<&Ctor> =
        rows.iter().filter_map(|r| if let Space::Ctor(k, _) = &r[0] { Some(k) } else { None }).collect();
    let all = constructors(&ty);
    if let Some(all) = all.as_ref().filter(|all| !all.is_empty() && all.iter().all(|(k, _)| heads.contains(&k))) {
        for (ctor, sub_tys) in all {
            let specialised: Vec<Vec<Space>> = rows.iter().filter_map(|r| specialise(r, ctor, sub_tys.len())).collect();
            let tys: Vec<Ty> = sub_tys.iter().chain(rest_tys).cloned().collect();
            if let Some(mut witness) = missing(&specialised, &tys, c) {
                let rest = witness.split_off(sub_tys.len());
                let mut out = vec![Space::Ctor(ctor.clone(), witness)];
                out.extend(rest);
                return Some(out);
            }
        }
        return None;
    }
    let defaults: Vec<Vec<Space>> = rows.iter().filter(|r| r[0] == Space::Any).map(|r| r[1..].to_vec()).collect();
    let mut witness = missing(&defaults, rest_tys, c)?;
    let head = all
        .and_then(|all| all.into_iter().find(|(k, _)| !heads.contains(&k)))
        .map_or(Space::Any, |(k, sub_tys)| Space::Ctor(k, vec![Space::Any; sub_tys.len()]));
    witness.insert(0, head);
    Some(witness)
}

fn specialise(row: &[Space], ctor: &Ctor, arity: usize) -> Option<Vec<Space>> {
    let mut out = match &row[0] {
        Space::Any => vec![Space::Any; arity],
        Space::Ctor(k, subs) if k == ctor && subs.len() == arity => subs.clone(),
        // An ill-typed pattern, already reported: count it as matching the
        // constructor, so that it adds no second error here.
        Space::Ctor(k, _) if k == ctor => vec![Space::Any; arity],
        Space::Ctor(..) => return None,
    };
    out.extend(row[1..].iter().cloned());
    Some(out)
}

/// Writes a missing value as a pattern the user could add.
fn render(space: &Space, ty: &Ty, c: &FnChecker, atomic: bool) -> String {
    let ty = c.metas.zonk(ty);
    match (space, &ty) {
        (Space::Any, _) => "_".to_owned(),
        (Space::Ctor(Ctor::Bool(b), _), _) => if *b { "True" } else { "False" }.to_owned(),
        (Space::Ctor(Ctor::Literal(_), _), _) => "_".to_owned(),
        (Space::Ctor(Ctor::Tag(tag), subs), Ty::Variant(alts)) => {
            let payload = alts.get(tag).cloned().unwrap_or(Ty::Unit);
            if payload == Ty::Unit {
                return tag.clone();
            }
            let inner = render(&subs[0], &payload, c, true);
            let text = format!("{tag} {inner}");
            if atomic {
                format!("({text})")
            } else {
                text
            }
        }
        (Space::Ctor(Ctor::Product, subs), Ty::Tuple(tys)) => {
            let parts: Vec<String> = subs.iter().zip(tys.iter()).map(|(s, t)| render(s, t, c, false)).collect();
            format!("({})", parts.join(", "))
        }
        (Space::Ctor(Ctor::Product, _), Ty::Unit) => "()".to_owned(),
        (Space::Ctor(Ctor::Product, subs), Ty::Record { fields, boxed, .. }) => {
            let parts: Vec<String> = subs
                .iter()
                .zip(fields.iter())
                .map(|(s, (n, f))| format!("{n} = {}", render(s, &f.ty, c, false)))
                .collect();
            format!("{}{{{}}}", if *boxed { "r " } else { "#" }, parts.join(", "))
        }
        _ => "_".to_owned(),
    }
}
