//! Checking one function body: types, and the linear context that makes
//! every linear value used exactly once on every path.

use crate::source::Span;
use crate::syntax::ast::{self, BinOp, ExprKind, UnOp};
use crate::typeck::env::{Env, Scheme};
use crate::typeck::errors::{TypeError, TypeErrorKind};
use crate::typeck::infer::Metas;
use crate::typeck::types::{Kind, Prim, Ty};
use std::collections::{BTreeMap, HashMap};

/// A local variable and what has happened to it.
#[derive(Clone)]
pub struct Local {
    pub name: String,
    pub ty: Ty,
    pub bound: Span,
    pub used: Option<Span>,
    /// Set while the variable is observed with `!`.
    pub observed: Option<Span>,
}

/// A kind requirement to check once all unknowns are solved.
struct KindCheck {
    ty: Ty,
    required: Kind,
    why: &'static str,
    span: Span,
}

pub struct FnChecker<'e, 'a> {
    pub env: &'e Env<'a>,
    pub metas: Metas,
    pub locals: Vec<Local>,
    pub var_kinds: HashMap<String, Kind>,
    pub errors: Vec<TypeError>,
    /// Top-level functions referred to, for the call graph.
    pub calls: Vec<(String, Span)>,
    literals: Vec<(Ty, u64, Span)>,
    kind_checks: Vec<KindCheck>,
}

impl<'e, 'a> FnChecker<'e, 'a> {
    pub fn new(env: &'e Env<'a>, scheme: &Scheme) -> Self {
        FnChecker {
            env,
            metas: Metas::default(),
            locals: Vec::new(),
            var_kinds: scheme.vars.iter().cloned().collect(),
            errors: Vec::new(),
            calls: Vec::new(),
            literals: Vec::new(),
            kind_checks: Vec::new(),
        }
    }

    pub fn error(&mut self, kind: TypeErrorKind, span: Span) {
        self.errors.push(TypeError::new(kind, span));
    }

    pub fn unify(&mut self, expected: &Ty, found: &Ty, span: Span) {
        if let Err(e) = self.metas.unify(expected, found, span) {
            self.errors.push(e);
        }
    }

    pub fn kind(&self, ty: &Ty) -> Kind {
        self.metas.kind(&self.metas.zonk(ty), &self.var_kinds)
    }

    fn require_kind_later(&mut self, ty: Ty, required: Kind, why: &'static str, span: Span) {
        self.kind_checks.push(KindCheck { ty, required, why, span });
    }

    /// Checks what could only be checked once every unknown was solved:
    /// literal ranges and the kinds of instantiated type variables.
    pub fn finish(&mut self) {
        self.metas.default_integrals();
        for (ty, value, span) in std::mem::take(&mut self.literals) {
            if let Ty::Prim(p) = self.metas.zonk(&ty) {
                if p.max_value().is_some_and(|max| value > max) {
                    self.error(TypeErrorKind::LiteralOutOfRange { value, ty: format!("{p:?}") }, span);
                }
            }
        }
        for check in std::mem::take(&mut self.kind_checks) {
            let ty = self.metas.zonk(&check.ty);
            let kind = self.kind(&ty);
            if !kind.satisfies(check.required) {
                self.error(
                    TypeErrorKind::KindViolation {
                        ty: ty.to_string(),
                        kind: kind.to_string(),
                        required: check.required.to_string(),
                        why: check.why,
                    },
                    check.span,
                );
            }
        }
    }

    // ------------------------------------------------------------ locals

    pub fn bind(&mut self, name: &ast::Ident, ty: Ty) {
        self.locals.push(Local { name: name.name.clone(), ty, bound: name.span, used: None, observed: None });
    }

    /// Closes the scope opened when `locals` had `mark` entries: every linear
    /// variable bound since must have been used.
    pub fn close_scope(&mut self, mark: usize, end: Span) {
        let closing: Vec<Local> = self.locals.drain(mark..).collect();
        for local in closing {
            if local.used.is_none() && !self.kind(&local.ty).discard {
                let ty = self.metas.zonk(&local.ty);
                let taken = ty.taken_fields().into_iter().map(str::to_owned).collect();
                let kind =
                    TypeErrorKind::LinearDropped { var: local.name, ty: ty.to_string(), bound: local.bound, taken };
                self.error(kind, end);
            }
        }
    }

    fn lookup(&self, name: &str) -> Option<usize> {
        self.locals.iter().rposition(|l| l.name == name)
    }

    /// A use of a local variable. `whole` is false where a record with taken
    /// fields may be used (put, member access).
    fn use_local(&mut self, index: usize, span: Span, whole: bool) -> Ty {
        let local = self.locals[index].clone();
        let kind = self.kind(&local.ty);
        if local.observed.is_none() && !kind.share {
            if let Some(first_use) = local.used {
                self.error(
                    TypeErrorKind::LinearUsedTwice { var: local.name.clone(), bound: local.bound, first_use },
                    span,
                );
            }
        }
        self.locals[index].used = Some(span);
        let ty = self.metas.zonk(&local.ty);
        if whole {
            let taken: Vec<String> = ty.taken_fields().into_iter().map(str::to_owned).collect();
            if !taken.is_empty() {
                self.error(TypeErrorKind::TakenFieldsEscape { var: Some(local.name), fields: taken }, span);
                return Ty::Error;
            }
        }
        ty
    }

    /// Runs each branch from the same starting context and merges them,
    /// reporting variables from outside that some branches consume and
    /// others do not.
    pub fn branches<T>(&mut self, spans: &[Span], mut run: impl FnMut(&mut Self, usize) -> T) -> Vec<T> {
        let before: Vec<Option<Span>> = self.locals.iter().map(|l| l.used).collect();
        let mut outcomes: Vec<Vec<Option<Span>>> = Vec::new();
        let mut results = Vec::new();
        for i in 0..spans.len() {
            for (local, used) in self.locals.iter_mut().zip(&before) {
                local.used = *used;
            }
            results.push(run(self, i));
            outcomes.push(self.locals.iter().map(|l| l.used).collect());
        }
        for index in 0..before.len() {
            let used_in: Vec<Option<Span>> = outcomes.iter().map(|o| o[index]).collect();
            let newly = |u: &Option<Span>| *u != before[index];
            let consumed = used_in.iter().position(newly);
            let skipped = used_in.iter().position(|u| !newly(u));
            if let (Some(a), Some(b)) = (consumed, skipped) {
                let local = &self.locals[index];
                if !self.kind(&local.ty).discard {
                    let (var, bound) = (local.name.clone(), local.bound);
                    let used = used_in[a].unwrap_or(spans[a]);
                    self.error(
                        TypeErrorKind::LinearUsedInOneBranch { var, bound, used, other_branch: spans[b] },
                        spans[b],
                    );
                }
            }
            self.locals[index].used = used_in.iter().find(|u| newly(u)).copied().flatten().or(before[index]);
        }
        results
    }

    // ------------------------------------------------------------ expressions

    /// Checks `e` against a known type.
    pub fn check(&mut self, e: &ast::Expr, expected: &Ty) {
        let expected = self.metas.zonk(expected);
        match &e.kind {
            ExprKind::Lit(ast::Lit::Int(n)) => self.int_literal(*n, &expected, e.span),
            ExprKind::Con { tag, args } => self.construct(tag, args, &expected, e.span),
            ExprKind::If { cond, bangs, then, els } => {
                self.observing(bangs, cond.span, |c| {
                    c.check(cond, &Ty::bool());
                    Ty::bool()
                });
                self.branches(&[then.span, els.span], |c, i| c.check(if i == 0 { then } else { els }, &expected));
            }
            ExprKind::Let { bindings, body } => {
                let mark = self.locals.len();
                for binding in bindings {
                    self.binding(binding);
                }
                self.check(body, &expected);
                self.close_scope(mark, end_of(body.span));
            }
            ExprKind::Match { scrutinee, bangs, alts } => {
                let ty = self.observing(bangs, scrutinee.span, |c| c.infer(scrutinee));
                self.alternatives(&ty, alts, e.span, |c, body| c.check(body, &expected));
            }
            ExprKind::Tuple(items) => match &expected {
                Ty::Tuple(tys) if tys.len() == items.len() => {
                    for (item, ty) in items.iter().zip(tys) {
                        self.check(item, ty);
                    }
                }
                _ => self.infer_and_unify(e, &expected),
            },
            ExprKind::Upcast(inner) => self.upcast(inner, &expected, e.span),
            // Pushing a known word type into both operands lets literals
            // take it; anything else is a mismatch, best reported once.
            ExprKind::Binary(op, a, b) if arithmetic(*op) && self.is_word(&expected) => {
                self.check(a, &expected);
                self.check(b, &expected);
            }
            ExprKind::UnboxedRecord(fields) => match &expected {
                Ty::Record { fields: slots, boxed: false, .. }
                    if slots.len() == fields.len() && fields.iter().all(|f| expected.field(&f.name.name).is_some()) =>
                {
                    for field in fields {
                        let slot = expected.field(&field.name.name).map(|f| f.ty.clone()).unwrap_or(Ty::Error);
                        self.check(&field.value, &slot);
                    }
                }
                _ => self.infer_and_unify(e, &expected),
            },
            _ => self.infer_and_unify(e, &expected),
        }
    }

    fn infer_and_unify(&mut self, e: &ast::Expr, expected: &Ty) {
        let found = self.infer(e);
        self.unify(expected, &found, e.span);
    }

    /// Works out the type of `e`.
    pub fn infer(&mut self, e: &ast::Expr) -> Ty {
        match &e.kind {
            ExprKind::Var(v) => self.variable(v, None, e.span),
            ExprKind::TypeApp { name, args } => self.variable(name, Some(args), e.span),
            ExprKind::Lit(ast::Lit::Int(n)) => {
                let ty = self.metas.fresh(true);
                self.literals.push((ty.clone(), *n, e.span));
                ty
            }
            ExprKind::Lit(ast::Lit::Bool(_)) => Ty::bool(),
            ExprKind::Lit(ast::Lit::Char(_)) => Ty::Prim(Prim::U8),
            ExprKind::Lit(ast::Lit::String(_)) => Ty::Prim(Prim::String),
            ExprKind::Unit => Ty::Unit,
            ExprKind::Tuple(items) => Ty::Tuple(items.iter().map(|i| self.infer(i)).collect()),
            ExprKind::UnboxedRecord(fields) => {
                let fields = fields
                    .iter()
                    .map(|f| {
                        (f.name.name.clone(), crate::typeck::types::Field { ty: self.infer(&f.value), taken: false })
                    })
                    .collect();
                Ty::Record { fields, boxed: false, read_only: false }
            }
            ExprKind::Con { tag, .. } => {
                self.error(TypeErrorKind::CannotInferVariant { tag: tag.name.clone() }, e.span);
                Ty::Error
            }
            ExprKind::App(f, arg) => self.application(f, arg),
            ExprKind::Unary(UnOp::Not, operand) => {
                self.check(operand, &Ty::bool());
                Ty::bool()
            }
            ExprKind::Unary(UnOp::Complement, operand) => {
                let ty = self.infer(operand);
                self.require_word(&ty, operand.span);
                ty
            }
            ExprKind::Upcast(_) => {
                self.error(TypeErrorKind::CannotInfer { what: "the target of this `upcast`" }, e.span);
                Ty::Error
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, e.span),
            ExprKind::Member(record, field) => self.member(record, field),
            ExprKind::Put(record, fields) => self.put(record, fields),
            ExprKind::If { cond, bangs, then, els } => {
                self.observing(bangs, cond.span, |c| {
                    c.check(cond, &Ty::bool());
                    Ty::bool()
                });
                let tys = self.branches(&[then.span, els.span], |c, i| {
                    let branch = if i == 0 { then } else { els };
                    c.infer(branch)
                });
                self.unify(&tys[0], &tys[1], els.span);
                tys[0].clone()
            }
            ExprKind::Let { bindings, body } => {
                let mark = self.locals.len();
                for binding in bindings {
                    self.binding(binding);
                }
                let ty = self.infer(body);
                self.close_scope(mark, end_of(body.span));
                ty
            }
            ExprKind::Match { scrutinee, bangs, alts } => {
                let ty = self.observing(bangs, scrutinee.span, |c| c.infer(scrutinee));
                let result = self.metas.fresh(false);
                self.alternatives(&ty, alts, e.span, |c, body| c.check(body, &result));
                self.metas.zonk(&result)
            }
            ExprKind::Annot(inner, t) => {
                let names: Vec<String> = self.var_kinds.keys().cloned().collect();
                let mut errors = Vec::new();
                let ty = self.env.resolve(t, &names, &mut errors);
                self.errors.extend(errors);
                self.check(inner, &ty);
                ty
            }
        }
    }

    fn variable(&mut self, name: &ast::Ident, type_args: Option<&Vec<Option<ast::Type>>>, span: Span) -> Ty {
        if type_args.is_none() {
            if let Some(index) = self.lookup(&name.name) {
                return self.use_local(index, span, true);
            }
        }
        let Some(function) = self.env.functions.get(&name.name) else {
            self.error(TypeErrorKind::UnknownVariable { name: name.name.clone() }, name.span);
            return Ty::Error;
        };
        self.calls.push((name.name.clone(), name.span));
        let scheme = function.scheme.clone();
        self.instantiate(&name.name, &scheme, type_args, span)
    }

    fn instantiate(
        &mut self,
        name: &str,
        scheme: &Scheme,
        type_args: Option<&Vec<Option<ast::Type>>>,
        span: Span,
    ) -> Ty {
        if let Some(args) = type_args {
            if args.len() != scheme.vars.len() {
                self.error(
                    TypeErrorKind::TypeArgCount {
                        name: name.to_owned(),
                        expected: scheme.vars.len(),
                        found: args.len(),
                    },
                    span,
                );
                return Ty::Error;
            }
        }
        let in_scope: Vec<String> = self.var_kinds.keys().cloned().collect();
        let mut substitution = HashMap::new();
        for (index, (var, kind)) in scheme.vars.iter().enumerate() {
            let given = type_args.and_then(|args| args[index].as_ref());
            let ty = match given {
                Some(t) => {
                    let mut errors = Vec::new();
                    let ty = self.env.resolve(t, &in_scope, &mut errors);
                    self.errors.extend(errors);
                    ty
                }
                None => self.metas.fresh(false),
            };
            self.require_kind_later(ty.clone(), *kind, "used for this type variable", span);
            substitution.insert(var.clone(), ty);
        }
        substitute(&scheme.ty, &substitution)
    }

    fn application(&mut self, f: &ast::Expr, arg: &ast::Expr) -> Ty {
        let f_ty = self.infer(f);
        match self.metas.zonk(&f_ty) {
            Ty::Fun(param, result) => {
                self.check(arg, &param);
                *result
            }
            Ty::Error => {
                self.infer(arg);
                Ty::Error
            }
            other => {
                self.error(TypeErrorKind::NotAFunction { found: other.to_string() }, f.span);
                self.infer(arg);
                Ty::Error
            }
        }
    }

    fn int_literal(&mut self, value: u64, expected: &Ty, span: Span) {
        match expected {
            Ty::Prim(p) if p.is_word() => {
                if p.max_value().is_some_and(|max| value > max) {
                    self.error(TypeErrorKind::LiteralOutOfRange { value, ty: format!("{p:?}") }, span);
                }
            }
            Ty::Meta(_) | Ty::Error => {
                let ty = self.metas.fresh(true);
                self.literals.push((ty.clone(), value, span));
                self.unify(expected, &ty, span);
            }
            other => {
                self.error(TypeErrorKind::Mismatch { expected: other.to_string(), found: "an integer".into() }, span)
            }
        }
    }

    fn construct(&mut self, tag: &ast::Ident, args: &[ast::Expr], expected: &Ty, span: Span) {
        let Ty::Variant(alts) = expected else {
            if *expected != Ty::Error {
                self.error(
                    TypeErrorKind::Mismatch {
                        expected: expected.to_string(),
                        found: format!("variant `{}`", tag.name),
                    },
                    span,
                );
            }
            args.iter().for_each(|a| {
                self.infer(a);
            });
            return;
        };
        let Some(payload) = alts.get(&tag.name) else {
            self.error(TypeErrorKind::NoSuchTag { tag: tag.name.clone(), ty: expected.to_string() }, tag.span);
            return;
        };
        match (args, payload) {
            ([], payload) => self.unify(payload, &Ty::Unit, span),
            ([one], payload) => self.check(one, payload),
            (many, Ty::Tuple(tys)) if tys.len() == many.len() => {
                for (arg, ty) in many.iter().zip(tys) {
                    self.check(arg, ty);
                }
            }
            (many, payload) => {
                let found = Ty::Tuple(many.iter().map(|a| self.infer(a)).collect());
                self.unify(payload, &found, span);
            }
        }
    }

    fn upcast(&mut self, inner: &ast::Expr, expected: &Ty, span: Span) {
        let from = self.infer(inner);
        let from = self.metas.zonk(&from);
        match (&from, expected) {
            (Ty::Prim(a), Ty::Prim(b)) if a.is_word() && b.is_word() && a.bits() <= b.bits() => {}
            (Ty::Meta(id), Ty::Prim(b)) if self.metas.is_integral(*id) && b.is_word() => {
                self.unify(expected, &from, span);
            }
            (Ty::Error, _) | (_, Ty::Error) => {}
            _ => self.error(TypeErrorKind::BadUpcast { from: from.to_string(), to: expected.to_string() }, span),
        }
    }

    fn is_word(&self, ty: &Ty) -> bool {
        match self.metas.zonk(ty) {
            Ty::Prim(p) => p.is_word(),
            Ty::Meta(id) => self.metas.is_integral(id),
            _ => false,
        }
    }

    fn require_word(&mut self, ty: &Ty, span: Span) {
        match self.metas.zonk(ty) {
            Ty::Prim(p) if p.is_word() => {}
            Ty::Meta(id) if self.metas.is_integral(id) => {}
            Ty::Error => {}
            other => self.error(TypeErrorKind::NotAWord { found: other.to_string() }, span),
        }
    }

    fn binary(&mut self, op: BinOp, a: &ast::Expr, b: &ast::Expr, span: Span) -> Ty {
        if matches!(op, BinOp::And | BinOp::Or) {
            self.check(a, &Ty::bool());
            self.check(b, &Ty::bool());
            return Ty::bool();
        }
        let left = self.infer(a);
        self.check(b, &left);
        if arithmetic(op) {
            self.require_word(&left, span);
            return self.metas.zonk(&left);
        }
        // Comparisons: words, and Bool for equality.
        let operand = self.metas.zonk(&left);
        let equality = matches!(op, BinOp::Eq | BinOp::Ne);
        if !(equality && operand == Ty::bool()) {
            self.require_word(&operand, a.span);
        }
        Ty::bool()
    }

    fn member(&mut self, record: &ast::Expr, field: &ast::Ident) -> Ty {
        let ty = match &record.kind {
            // Reading a field of a linear variable does not consume it: it is
            // an error of its own, reported below, not also a second use.
            ExprKind::Var(v) if self.lookup(&v.name).is_some() => {
                let index = self.lookup(&v.name).unwrap_or_else(|| unreachable!("bug: looked up just above"));
                let ty = self.locals[index].ty.clone();
                if self.kind(&ty).share {
                    self.use_local(index, record.span, false)
                } else {
                    self.metas.zonk(&ty)
                }
            }
            _ => self.infer(record),
        };
        let ty = self.metas.zonk(&ty);
        if ty == Ty::Error {
            return Ty::Error;
        }
        let Some(f) = ty.field(&field.name).cloned() else {
            let kind = match &ty {
                Ty::Record { .. } => TypeErrorKind::NoSuchField { field: field.name.clone(), ty: ty.to_string() },
                _ => TypeErrorKind::NotARecord { found: ty.to_string() },
            };
            self.error(kind, field.span);
            return Ty::Error;
        };
        if f.taken {
            self.error(TypeErrorKind::FieldTaken { field: field.name.clone(), taken_at: None }, field.span);
        }
        if !self.kind(&ty).share {
            let var = match &record.kind {
                ExprKind::Var(v) => Some(v.name.clone()),
                _ => None,
            };
            self.error(TypeErrorKind::MemberOfLinear { var, ty: ty.to_string() }, record.span);
        }
        f.ty
    }

    fn put(&mut self, record: &ast::Expr, fields: &[ast::FieldExpr]) -> Ty {
        let ty = match &record.kind {
            ExprKind::Var(v) if self.lookup(&v.name).is_some() => {
                let index = self.lookup(&v.name).unwrap_or_else(|| unreachable!("bug: looked up just above"));
                self.use_local(index, record.span, false)
            }
            _ => self.infer(record),
        };
        let Ty::Record { fields: mut record_fields, boxed, read_only } = self.metas.zonk(&ty) else {
            if ty != Ty::Error {
                self.error(TypeErrorKind::NotARecord { found: self.metas.zonk(&ty).to_string() }, record.span);
            }
            return Ty::Error;
        };
        for field in fields {
            let Some((_, slot)) = record_fields.iter_mut().find(|(n, _)| *n == field.name.name) else {
                let shown = Ty::Record { fields: record_fields.clone(), boxed, read_only }.to_string();
                self.error(TypeErrorKind::NoSuchField { field: field.name.name.clone(), ty: shown }, field.name.span);
                self.infer(&field.value);
                continue;
            };
            let (slot_ty, was_taken) = (slot.ty.clone(), slot.taken);
            slot.taken = false;
            if !was_taken && !self.kind(&slot_ty).discard {
                self.error(TypeErrorKind::FieldNotTaken { field: field.name.name.clone() }, field.name.span);
            }
            self.check(&field.value, &slot_ty);
        }
        Ty::Record { fields: record_fields, boxed, read_only }
    }

    /// `let p : t = e !v` — binds the pattern's variables in the current scope.
    fn binding(&mut self, binding: &ast::Binding) {
        let declared = binding.ty.as_ref().map(|t| {
            let names: Vec<String> = self.var_kinds.keys().cloned().collect();
            let mut errors = Vec::new();
            let ty = self.env.resolve(t, &names, &mut errors);
            self.errors.extend(errors);
            ty
        });
        let ty = self.observing(&binding.bangs, binding.value.span, |c| match (&declared, &binding.value.kind) {
            (Some(ty), _) => {
                c.check(&binding.value, ty);
                ty.clone()
            }
            // Taking more fields out of a record with some already taken is
            // fine; the pattern reports any field taken twice.
            (None, ExprKind::Var(v)) if matches!(binding.pat.kind, ast::PatKind::Take { .. }) => {
                match c.lookup(&v.name) {
                    Some(index) => c.use_local(index, binding.value.span, false),
                    None => c.infer(&binding.value),
                }
            }
            (None, _) => c.infer(&binding.value),
        });
        self.bind_pattern(&binding.pat, &ty);
        self.check_exhaustive(&ty, &[&binding.pat], binding.pat.span);
    }

    /// Runs `f` with the variables in `bangs` observed: read-only, shareable,
    /// not consumable; the result must not alias them (kind E).
    pub fn observing(&mut self, bangs: &[ast::Ident], span: Span, f: impl FnOnce(&mut Self) -> Ty) -> Ty {
        let mut saved = Vec::new();
        for bang in bangs {
            match self.lookup(&bang.name) {
                Some(index) => {
                    let local = &mut self.locals[index];
                    saved.push((index, local.ty.clone(), local.used));
                    local.ty = local.ty.bang();
                    local.observed = Some(bang.span);
                }
                None => self.error(TypeErrorKind::UnknownVariable { name: bang.name.clone() }, bang.span),
            }
        }
        let result = f(self);
        for (index, ty, used) in saved {
            let local = &mut self.locals[index];
            local.ty = ty;
            local.used = used;
            local.observed = None;
        }
        if let Some(first) = bangs.first() {
            let ty = self.metas.zonk(&result);
            if !self.kind(&ty).escape {
                self.error(
                    TypeErrorKind::ObservedEscapes {
                        var: first.name.clone(),
                        ty: ty.to_string(),
                        observed: first.span,
                    },
                    span,
                );
            }
        }
        result
    }

    fn alternatives(&mut self, ty: &Ty, alts: &[ast::Alt], span: Span, mut body: impl FnMut(&mut Self, &ast::Expr)) {
        let ty = self.metas.zonk(ty);
        let spans: Vec<Span> = alts.iter().map(|a| a.body.span).collect();
        self.branches(&spans, |c, i| {
            let alt = &alts[i];
            let mark = c.locals.len();
            c.bind_pattern(&alt.pat, &ty);
            body(c, &alt.body);
            c.close_scope(mark, end_of(alt.body.span));
        });
        let pats: Vec<&ast::Pat> = alts.iter().map(|a| &a.pat).collect();
        self.check_exhaustive(&ty, &pats, span);
    }
}

/// A zero-width span at the end of `span`: where a scope closes.
pub fn end_of(span: Span) -> Span {
    Span { start: span.end, ..span }
}

fn arithmetic(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::Add
            | BinOp::Sub
            | BinOp::Mul
            | BinOp::Div
            | BinOp::Mod
            | BinOp::BitAnd
            | BinOp::BitOr
            | BinOp::BitXor
            | BinOp::Shl
            | BinOp::Shr
    )
}

/// Replaces rigid type variables by types (instantiating a scheme).
pub fn substitute(ty: &Ty, with: &HashMap<String, Ty>) -> Ty {
    match ty {
        Ty::Var { name, banged } => match with.get(name) {
            Some(t) if *banged => t.bang(),
            Some(t) => t.clone(),
            None => ty.clone(),
        },
        Ty::Tuple(items) => Ty::Tuple(items.iter().map(|t| substitute(t, with)).collect()),
        Ty::Record { fields, boxed, read_only } => Ty::Record {
            fields: fields
                .iter()
                .map(|(n, f)| (n.clone(), crate::typeck::types::Field { ty: substitute(&f.ty, with), taken: f.taken }))
                .collect(),
            boxed: *boxed,
            read_only: *read_only,
        },
        Ty::Variant(alts) => {
            Ty::Variant(alts.iter().map(|(t, a)| (t.clone(), substitute(a, with))).collect::<BTreeMap<_, _>>())
        }
        Ty::Abstract { name, args, unboxed, read_only } => Ty::Abstract {
            name: name.clone(),
            args: args.iter().map(|a| substitute(a, with)).collect(),
            unboxed: *unboxed,
            read_only: *read_only,
        },
        Ty::Fun(a, b) => Ty::Fun(Box::new(substitute(a, with)), Box::new(substitute(b, with))),
        Ty::Prim(_) | Ty::Unit | Ty::Meta(_) | Ty::Error => ty.clone(),
    }
}
