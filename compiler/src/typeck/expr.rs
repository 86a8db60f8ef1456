//! Expressions: checked against an expected type or inferred, producing the
//! typed tree (`typed::Expr`) while the linear context records every use.

use crate::source::Span;
use crate::syntax::ast::{self, BinOp, ExprKind, UnOp};
use crate::typeck::check::{end_of, FnChecker};
use crate::typeck::env::Scheme;
use crate::typeck::errors::TypeErrorKind;
use crate::typeck::pat::Coverage;
use crate::typeck::typed::{self, ExprKind as T};
use crate::typeck::types::{Field, Prim, Ty};
use std::collections::HashMap;

impl FnChecker<'_, '_> {
    /// Checks `e` against a known type.
    pub fn check(&mut self, e: &ast::Expr, expected: &Ty) -> typed::Expr {
        // Only the outermost constructor decides what to do here.
        let expected = self.metas.head(expected);
        let span = e.span;
        match &e.kind {
            ExprKind::Lit(ast::Lit::Int(n)) => {
                self.int_literal(*n, &expected, span);
                typed::Expr::new(T::Lit(ast::Lit::Int(*n)), expected, span)
            }
            ExprKind::Con { tag, args } => self.construct(tag, args, &expected, span),
            ExprKind::If { cond, bangs, then, els } => {
                let cond = self.observing(bangs, cond.span, |c| c.check(cond, &Ty::bool()));
                let mut arms =
                    self.branches(&[then.span, els.span], |c, i| c.check(if i == 0 { then } else { els }, &expected));
                let (els, then) = (arms.pop(), arms.pop());
                let (then, els) =
                    (then.unwrap_or_else(|| typed::Expr::error(span)), els.unwrap_or_else(|| typed::Expr::error(span)));
                typed::Expr::new(
                    T::If { cond: Box::new(cond), bangs: names(bangs), then: Box::new(then), els: Box::new(els) },
                    expected,
                    span,
                )
            }
            ExprKind::Let { bindings, body } => self.let_chain(bindings, body, |c, body| c.check(body, &expected)),
            ExprKind::Match { scrutinee, bangs, alts } => {
                let scrutinee = self.observing(bangs, scrutinee.span, |c| c.infer(scrutinee));
                let alts = self.alternatives(&scrutinee.ty, alts, span, |c, body| c.check(body, &expected));
                typed::Expr::new(T::Match { scrutinee: Box::new(scrutinee), bangs: names(bangs), alts }, expected, span)
            }
            ExprKind::Tuple(items) => match &expected {
                Ty::Tuple(tys) if tys.len() == items.len() => {
                    let items = items.iter().zip(tys.iter()).map(|(item, ty)| self.check(item, ty)).collect();
                    typed::Expr::new(T::Tuple(items), expected.clone(), span)
                }
                _ => self.infer_and_unify(e, &expected),
            },
            ExprKind::Upcast(inner) => self.upcast(inner, &expected, span),
            ExprKind::Unary(UnOp::Complement, operand) if self.is_word(&expected) => {
                let operand = self.check(operand, &expected);
                typed::Expr::new(T::Unary(UnOp::Complement, Box::new(operand)), expected, span)
            }
            // The expected result can fix the function's unknowns before the
            // argument is checked: `id (Some 5)` where an `Option U32` is due.
            ExprKind::App(f, arg) => {
                let (f, prefix) = self.callee(f);
                match self.metas.zonk(&f.ty) {
                    Ty::Fun(param, result) => {
                        self.unify(&expected, &result, span);
                        let arg = self.check(arg, &param);
                        let ty = self.metas.zonk(&result);
                        typed::Expr::new(T::App(Box::new(f), Box::new(arg)), ty, span)
                    }
                    _ => {
                        let app = self.apply(f, arg, span, prefix);
                        self.unify(&expected, &app.ty, span);
                        app
                    }
                }
            }
            // Pushing a known word type into both operands lets literals
            // take it; anything else is a mismatch, best reported once.
            ExprKind::Binary(op, a, b) if arithmetic(*op) && self.is_word(&expected) => {
                let (a, b) = (self.check(a, &expected), self.check(b, &expected));
                typed::Expr::new(T::Binary(*op, Box::new(a), Box::new(b)), expected, span)
            }
            // The duplicate is the error; a mismatch on top would repeat it.
            ExprKind::UnboxedRecord(fields) if self.has_duplicate_field(fields) => self.infer(e),
            ExprKind::UnboxedRecord(fields) => match &expected {
                // A literal gives every field, so it fits only a type with none taken.
                Ty::Record { fields: slots, boxed: false, .. }
                    if slots.len() == fields.len()
                        && slots.iter().all(|(_, f)| !f.taken)
                        && fields.iter().all(|f| expected.field(&f.name.name).is_some()) =>
                {
                    let fields = fields
                        .iter()
                        .map(|field| {
                            let slot = expected.field(&field.name.name).map_or(Ty::Error, |f| f.ty.clone());
                            (field.name.name.clone(), self.check(&field.value, &slot))
                        })
                        .collect();
                    typed::Expr::new(T::UnboxedRecord(fields), expected.clone(), span)
                }
                _ => self.infer_and_unify(e, &expected),
            },
            _ => self.infer_and_unify(e, &expected),
        }
    }

    fn infer_and_unify(&mut self, e: &ast::Expr, expected: &Ty) -> typed::Expr {
        let found = self.infer(e);
        if let Err(mut error) = self.metas.unify(expected, &found.ty, e.span) {
            // Name the variable when it is one: what is observed, or which
            // record still has fields taken.
            if let ExprKind::Var(v) = &e.kind {
                let observed = self.lookup(&v.name).and_then(|i| self.locals[i].observed);
                match (&mut error.kind, observed) {
                    (_, Some(observed)) => {
                        error.kind = TypeErrorKind::ObservedUsed { var: v.name.clone(), observed };
                    }
                    (TypeErrorKind::TakenFieldsEscape { var, .. }, None) => *var = Some(v.name.clone()),
                    _ => {}
                }
            }
            self.errors.push(error);
        }
        found
    }

    /// Works out the type of `e`.
    pub fn infer(&mut self, e: &ast::Expr) -> typed::Expr {
        let span = e.span;
        let (kind, ty) = match &e.kind {
            ExprKind::Var(v) => return self.variable(v, None, span),
            ExprKind::TypeApp { name, args } => return self.variable(name, Some(args), span),
            ExprKind::Lit(lit) => {
                let ty = match lit {
                    ast::Lit::Int(n) => {
                        let ty = self.metas.fresh(true);
                        self.literals.push((ty.clone(), *n, span));
                        ty
                    }
                    ast::Lit::Bool(_) => Ty::bool(),
                    ast::Lit::Char(_) => Ty::Prim(Prim::U8),
                    ast::Lit::String(_) => Ty::Prim(Prim::String),
                };
                (T::Lit(lit.clone()), ty)
            }
            ExprKind::Unit => (T::Unit, Ty::Unit),
            ExprKind::Tuple(items) => {
                let items: Vec<typed::Expr> = items.iter().map(|i| self.infer(i)).collect();
                let ty = Ty::Tuple(items.iter().map(|i| i.ty.clone()).collect());
                (T::Tuple(items), ty)
            }
            ExprKind::UnboxedRecord(fields) => {
                self.no_duplicate_fields(fields.iter().map(|f| &f.name));
                let fields: Vec<(String, typed::Expr)> =
                    fields.iter().map(|f| (f.name.name.clone(), self.infer(&f.value))).collect();
                let tys = fields.iter().map(|(n, f)| (n.clone(), Field { ty: f.ty.clone(), taken: false })).collect();
                (T::UnboxedRecord(fields), Ty::Record { fields: tys, boxed: false, read_only: false })
            }
            ExprKind::Con { tag, args } => {
                self.error(TypeErrorKind::CannotInferVariant { tag: tag.name.clone() }, span);
                args.iter().for_each(|a| {
                    self.infer(a);
                });
                return typed::Expr::error(span);
            }
            ExprKind::App(f, arg) => return self.application(f, arg, span),
            ExprKind::Unary(UnOp::Not, operand) => {
                let operand = self.check(operand, &Ty::bool());
                (T::Unary(UnOp::Not, Box::new(operand)), Ty::bool())
            }
            ExprKind::Unary(UnOp::Complement, operand) => {
                let operand = self.infer(operand);
                self.require_word(&operand.ty, operand.span);
                let ty = operand.ty.clone();
                (T::Unary(UnOp::Complement, Box::new(operand)), ty)
            }
            ExprKind::Upcast(inner) => {
                self.error(TypeErrorKind::CannotInfer { what: "the target of this `upcast`" }, span);
                self.infer(inner);
                return typed::Expr::error(span);
            }
            ExprKind::Binary(op, a, b) => return self.binary(*op, a, b, span),
            ExprKind::Member(record, field) => return self.member(record, field, span),
            ExprKind::Put(record, fields) => return self.put(record, fields, span),
            ExprKind::If { cond, bangs, then, els } => {
                let cond = self.observing(bangs, cond.span, |c| c.check(cond, &Ty::bool()));
                let mut arms = self.branches(&[then.span, els.span], |c, i| c.infer(if i == 0 { then } else { els }));
                let els = arms.pop().unwrap_or_else(|| typed::Expr::error(span));
                let then = arms.pop().unwrap_or_else(|| typed::Expr::error(span));
                let ty = self.join(&then.ty, &els.ty, els.span);
                (T::If { cond: Box::new(cond), bangs: names(bangs), then: Box::new(then), els: Box::new(els) }, ty)
            }
            ExprKind::Let { bindings, body } => return self.let_chain(bindings, body, |c, body| c.infer(body)),
            ExprKind::Match { scrutinee, bangs, alts } => {
                let scrutinee = self.observing(bangs, scrutinee.span, |c| c.infer(scrutinee));
                let alts = self.alternatives(&scrutinee.ty, alts, span, |c, body| c.infer(body));
                // The alternatives' types joined: a wider variant anywhere wins.
                let mut ty = alts.first().map_or(Ty::Error, |a| a.body.ty.clone());
                for alt in alts.iter().skip(1) {
                    ty = self.join(&ty, &alt.body.ty, alt.body.span);
                }
                (T::Match { scrutinee: Box::new(scrutinee), bangs: names(bangs), alts }, self.metas.zonk(&ty))
            }
            ExprKind::Annot(inner, t) => {
                let ty = self.resolve_local_type(t);
                // The annotation is the type, even where a narrower one fits.
                return typed::Expr { ty: ty.clone(), ..self.check(inner, &ty) };
            }
        };
        typed::Expr::new(kind, ty, span)
    }

    /// The type of both branches of an `if` without an expected type: the
    /// wider one, when one variant fits into the other.
    fn join(&mut self, a: &Ty, b: &Ty, span: Span) -> Ty {
        let (a, b) = (self.metas.zonk(a), self.metas.zonk(b));
        if let (Ty::Variant(x), Ty::Variant(y)) = (&a, &b) {
            if x.keys().all(|tag| y.get(tag).is_some()) && x.len() < y.len() {
                self.unify(&b, &a, span);
                return b;
            }
        }
        self.unify(&a, &b, span);
        a
    }

    pub fn resolve_local_type(&mut self, t: &ast::Type) -> Ty {
        let names: Vec<String> = self.var_kinds.keys().cloned().collect();
        let mut errors = Vec::new();
        let ty = self.env.resolve(t, &names, &mut errors);
        self.errors.extend(errors);
        ty
    }

    fn variable(&mut self, name: &ast::Ident, type_args: Option<&Vec<Option<ast::Type>>>, span: Span) -> typed::Expr {
        if type_args.is_some() && self.lookup(&name.name).is_some() {
            self.error(TypeErrorKind::TypeArgsOnLocal { name: name.name.clone() }, span);
            return typed::Expr::error(span);
        }
        if type_args.is_none() {
            if let Some(index) = self.lookup(&name.name) {
                let ty = self.use_local(index, span);
                return typed::Expr::new(T::Var(name.name.clone()), ty, span);
            }
        }
        let Some(function) = self.env.functions.get(&name.name) else {
            self.error(TypeErrorKind::UnknownVariable { name: name.name.clone() }, name.span);
            return typed::Expr::error(span);
        };
        self.calls.push((name.name.clone(), name.span));
        let scheme = function.scheme.clone();
        match self.instantiate(&name.name, &scheme, type_args, span) {
            Some((ty, type_args)) => typed::Expr::new(T::Global { name: name.name.clone(), type_args }, ty, span),
            None => typed::Expr::error(span),
        }
    }

    /// The type of a use of a top-level name, with fresh unknowns (or the
    /// given types) for its type variables.
    fn instantiate(
        &mut self,
        name: &str,
        scheme: &Scheme,
        type_args: Option<&Vec<Option<ast::Type>>>,
        span: Span,
    ) -> Option<(Ty, Vec<Ty>)> {
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
                return None;
            }
        }
        let mut substitution = HashMap::new();
        let mut chosen = Vec::new();
        for (index, (var, kind)) in scheme.vars.iter().enumerate() {
            let ty = match type_args.and_then(|args| args[index].as_ref()) {
                Some(t) => self.resolve_local_type(t),
                None => {
                    let ty = self.metas.fresh_bounded(*kind);
                    self.inferred_args.push((ty.clone(), name.to_owned(), var.clone(), span));
                    ty
                }
            };
            self.require_kind_later(ty.clone(), *kind, "used for this type variable", span);
            substitution.insert(var.clone(), ty.clone());
            chosen.push(ty);
        }
        Some((scheme.ty.substitute(&substitution), chosen))
    }

    fn application(&mut self, f: &ast::Expr, arg: &ast::Expr, span: Span) -> typed::Expr {
        let (f, prefix) = self.callee(f);
        self.apply(f, arg, span, prefix)
    }

    /// Types the callee of an application, and names the prefix operator it
    /// applies, if any. `not f x` is `(not f) x`: the operator's mismatch
    /// with the function `f` is a consequence of that one mistake, which
    /// `apply` reports with its fix, so it is not reported on its own.
    fn callee(&mut self, f: &ast::Expr) -> (typed::Expr, Option<String>) {
        let prefix = prefix_of(f);
        let mark = self.errors.len();
        let typed = self.infer(f);
        if let (Some(_), ast::ExprKind::Unary(_, operand)) = (&prefix, &f.kind) {
            if !matches!(self.metas.zonk(&typed.ty), Ty::Fun(..)) {
                let operand_span = operand.span;
                let mut index = 0;
                self.errors.retain(|e| {
                    index += 1;
                    let consequence = matches!(&e.kind, TypeErrorKind::Mismatch { found, .. } if found.contains("->"));
                    index <= mark || !(consequence && e.span == operand_span)
                });
            }
        }
        (typed, prefix)
    }

    /// Types `f arg`; `prefix` names the prefix operator `f` applies, if
    /// any, for the hint when `f` turns out not to be a function.
    fn apply(&mut self, f: typed::Expr, arg: &ast::Expr, span: Span, prefix: Option<String>) -> typed::Expr {
        let (arg, result) = match self.metas.zonk(&f.ty) {
            Ty::Fun(param, result) => (self.check(arg, &param), (*result).clone()),
            Ty::Error => (self.infer(arg), Ty::Error),
            other => {
                self.error(TypeErrorKind::NotAFunction { found: other.to_string(), prefix }, f.span);
                (self.infer(arg), Ty::Error)
            }
        };
        typed::Expr::new(T::App(Box::new(f), Box::new(arg)), result, span)
    }

    fn int_literal(&mut self, value: u64, expected: &Ty, span: Span) {
        match expected {
            Ty::Prim(p) if p.is_word() => {
                if p.max_value().is_some_and(|max| value > max) {
                    self.error(TypeErrorKind::LiteralOutOfRange { value, ty: format!("{p:?}") }, span);
                }
            }
            Ty::Meta { .. } | Ty::Error => {
                let ty = self.metas.fresh(true);
                self.literals.push((ty.clone(), value, span));
                self.unify(expected, &ty, span);
            }
            other => {
                self.error(TypeErrorKind::Mismatch { expected: format!("`{other}`"), found: "an integer".into() }, span)
            }
        }
    }

    /// `Tag a b`: a variant value, whose type must come from the context.
    fn construct(&mut self, tag: &ast::Ident, args: &[ast::Expr], expected: &Ty, span: Span) -> typed::Expr {
        let payload_ty = match expected {
            Ty::Variant(alts) => match alts.get(&tag.name) {
                Some(payload) => Some(payload.clone()),
                None => {
                    self.error(TypeErrorKind::NoSuchTag { tag: tag.name.clone(), ty: expected.to_string() }, tag.span);
                    None
                }
            },
            Ty::Error => None,
            Ty::Meta { .. } => {
                self.error(TypeErrorKind::CannotInferVariant { tag: tag.name.clone() }, span);
                None
            }
            _ => {
                let found = format!("the variant `{}`", tag.name);
                self.error(TypeErrorKind::Mismatch { expected: format!("`{expected}`"), found }, span);
                None
            }
        };
        let Some(payload_ty) = payload_ty else {
            args.iter().for_each(|a| {
                self.infer(a);
            });
            return typed::Expr::error(span);
        };
        let payload = match (args, &payload_ty) {
            ([], _) => {
                self.unify(&payload_ty, &Ty::Unit, span);
                typed::Expr::new(T::Unit, Ty::Unit, tag.span)
            }
            ([one], _) => self.check(one, &payload_ty),
            (many, Ty::Tuple(tys)) if tys.len() == many.len() => {
                let items = many.iter().zip(tys.iter()).map(|(arg, ty)| self.check(arg, ty)).collect();
                let args_span = many[0].span.to(many[many.len() - 1].span);
                typed::Expr::new(T::Tuple(items), payload_ty.clone(), args_span)
            }
            (many, _) => {
                let items: Vec<typed::Expr> = many.iter().map(|a| self.infer(a)).collect();
                let found = Ty::Tuple(items.iter().map(|i| i.ty.clone()).collect());
                self.unify(&payload_ty, &found, span);
                typed::Expr::new(T::Tuple(items), found, span)
            }
        };
        typed::Expr::new(T::Con { tag: tag.name.clone(), payload: Box::new(payload) }, expected.clone(), span)
    }

    fn upcast(&mut self, inner: &ast::Expr, expected: &Ty, span: Span) -> typed::Expr {
        let inner = self.infer(inner);
        let from = self.metas.zonk(&inner.ty);
        match (&from, expected) {
            (Ty::Prim(a), Ty::Prim(b)) if a.is_word() && b.is_word() && a.bits() <= b.bits() => {}
            // A literal's word type is not decided here: it must only turn
            // out no wider than the target, which is checked at the end.
            (Ty::Meta { id, .. }, Ty::Prim(b)) if self.metas.is_integral(*id) && b.is_word() => {
                self.upcasts.push((from.clone(), *b, span));
            }
            (Ty::Error, _) | (_, Ty::Error) => {}
            _ => self.error(TypeErrorKind::BadUpcast { from: from.to_string(), to: expected.to_string() }, span),
        }
        typed::Expr::new(T::Upcast(Box::new(inner)), expected.clone(), span)
    }

    fn has_duplicate_field(&self, fields: &[ast::FieldExpr]) -> bool {
        fields.iter().enumerate().any(|(i, f)| fields[..i].iter().any(|g| g.name.name == f.name.name))
    }

    fn is_word(&self, ty: &Ty) -> bool {
        match self.metas.zonk(ty) {
            Ty::Prim(p) => p.is_word(),
            Ty::Meta { id, .. } => self.metas.is_integral(id),
            _ => false,
        }
    }

    fn require_word(&mut self, ty: &Ty, span: Span) {
        if !self.is_word(ty) && self.metas.zonk(ty) != Ty::Error {
            self.error(TypeErrorKind::NotAWord { found: self.metas.zonk(ty).to_string() }, span);
        }
    }

    fn binary(&mut self, op: BinOp, a: &ast::Expr, b: &ast::Expr, span: Span) -> typed::Expr {
        let make = |a, b, ty| typed::Expr::new(T::Binary(op, Box::new(a), Box::new(b)), ty, span);
        if matches!(op, BinOp::And | BinOp::Or) {
            let (a, b) = (self.check(a, &Ty::bool()), self.check(b, &Ty::bool()));
            return make(a, b, Ty::bool());
        }
        // An operand whose type only its context tells (`upcast x`, a
        // constructor) is checked against the other one.
        let (a, b) = if needs_context(a) && !needs_context(b) {
            let b = self.infer(b);
            (self.check(a, &b.ty), b)
        } else {
            let a = self.infer(a);
            if arithmetic(op) && !self.is_word(&a.ty) {
                // Reported once, for the left operand; the right one is
                // checked on its own.
                self.require_word(&a.ty, a.span);
                let b = self.infer(b);
                return make(a, b, Ty::Error);
            }
            let b = self.check(b, &a.ty);
            (a, b)
        };
        if arithmetic(op) {
            self.require_word(&a.ty, span);
            let ty = self.metas.zonk(&a.ty);
            return make(a, b, ty);
        }
        // Comparisons: words, and Bool for equality.
        let operand = self.metas.zonk(&a.ty);
        let equality = matches!(op, BinOp::Eq | BinOp::Ne);
        if !(equality && operand == Ty::bool()) {
            self.require_word(&operand, a.span);
        }
        make(a, b, Ty::bool())
    }

    fn member(&mut self, record: &ast::Expr, field: &ast::Ident, span: Span) -> typed::Expr {
        let record_expr = match &record.kind {
            // Reading a field of a linear variable does not consume it: it is
            // an error of its own, reported below, not also a second use.
            ExprKind::Var(v) if self.lookup(&v.name).is_some() => {
                let index = self.lookup(&v.name).unwrap_or_else(|| unreachable!("bug: looked up just above"));
                let ty = self.locals[index].ty.clone();
                let ty = if self.kind(&ty).share { self.use_local(index, record.span) } else { self.metas.zonk(&ty) };
                typed::Expr::new(T::Var(v.name.clone()), ty, record.span)
            }
            _ => self.infer(record),
        };
        let ty = self.metas.zonk(&record_expr.ty);
        let make = |record_expr, ty| typed::Expr::new(T::Member(Box::new(record_expr), field.name.clone()), ty, span);
        if ty == Ty::Error {
            return make(record_expr, Ty::Error);
        }
        let Some(f) = ty.field(&field.name).cloned() else {
            let kind = match &ty {
                Ty::Record { .. } => TypeErrorKind::NoSuchField { field: field.name.clone(), ty: ty.to_string() },
                _ => TypeErrorKind::NotARecord { found: ty.to_string() },
            };
            self.error(kind, field.span);
            return make(record_expr, Ty::Error);
        };
        if f.taken {
            self.error(TypeErrorKind::FieldTaken { field: field.name.clone(), taken_at: None }, field.span);
        }
        if !self.kind(&ty).share {
            let var = match &record.kind {
                ExprKind::Var(v) => Some(v.name.clone()),
                _ => None,
            };
            // Count the access as the variable's use: it is this error, not
            // also a "never used" one.
            if let Some(index) = var.as_deref().and_then(|v| self.lookup(v)) {
                self.locals[index].used.get_or_insert(record.span);
            }
            self.error(TypeErrorKind::MemberOfLinear { var, ty: ty.to_string() }, record.span);
        }
        make(record_expr, f.ty)
    }

    /// A record expression whose taken fields are allowed: the subject of a
    /// put, or the right-hand side of a take.
    fn partial_record(&mut self, record: &ast::Expr) -> typed::Expr {
        match &record.kind {
            ExprKind::Var(v) => match self.lookup(&v.name) {
                Some(index) => {
                    let ty = self.use_local(index, record.span);
                    typed::Expr::new(T::Var(v.name.clone()), ty, record.span)
                }
                None => self.infer(record),
            },
            _ => self.infer(record),
        }
    }

    fn put(&mut self, record: &ast::Expr, fields: &[ast::FieldExpr], span: Span) -> typed::Expr {
        let record_expr = self.partial_record(record);
        let Ty::Record { fields: record_fields, boxed, read_only } = self.metas.zonk(&record_expr.ty) else {
            if record_expr.ty != Ty::Error {
                let found = self.metas.zonk(&record_expr.ty).to_string();
                self.error(TypeErrorKind::NotARecord { found }, record.span);
            }
            fields.iter().for_each(|f| {
                self.infer(&f.value);
            });
            return typed::Expr::error(span);
        };
        if read_only {
            self.error(TypeErrorKind::ReadOnlyUpdate { action: "put into" }, record.span);
        }
        self.no_duplicate_fields(fields.iter().map(|f| &f.name));
        let mut record_fields = record_fields.to_vec();
        let mut values = Vec::new();
        for field in fields {
            let Some((_, slot)) = record_fields.iter_mut().find(|(n, _)| *n == field.name.name) else {
                let shown = Ty::Record { fields: record_fields.clone().into(), boxed, read_only }.to_string();
                self.error(TypeErrorKind::NoSuchField { field: field.name.name.clone(), ty: shown }, field.name.span);
                self.infer(&field.value);
                continue;
            };
            let (slot_ty, was_taken) = (slot.ty.clone(), slot.taken);
            slot.taken = false;
            if !was_taken && !self.kind(&slot_ty).discard {
                self.error(TypeErrorKind::FieldNotTaken { field: field.name.name.clone() }, field.name.span);
            }
            values.push((field.name.name.clone(), self.check(&field.value, &slot_ty)));
        }
        let ty = Ty::Record { fields: record_fields.into(), boxed, read_only };
        typed::Expr::new(T::Put(Box::new(record_expr), values), ty, span)
    }

    /// `let b1 and b2 in body` as nested single lets; each binding's
    /// variables are in scope for the following bindings and the body.
    fn let_chain(
        &mut self,
        bindings: &[ast::Binding],
        body: &ast::Expr,
        mut finish: impl FnMut(&mut Self, &ast::Expr) -> typed::Expr,
    ) -> typed::Expr {
        let mark = self.locals.len();
        let mut bound = Vec::new();
        for binding in bindings {
            bound.push(self.binding(binding));
        }
        let mut result = finish(self, body);
        self.close_scope(mark, end_of(body.span));
        for ((pat, value, bangs), binding) in bound.into_iter().zip(bindings).rev() {
            let ty = result.ty.clone();
            let span = binding.span.to(result.span);
            result = typed::Expr::new(T::Let { pat, value: Box::new(value), bangs, body: Box::new(result) }, ty, span);
        }
        result
    }

    /// `p : t = e !v` — binds the pattern's variables in the current scope.
    fn binding(&mut self, binding: &ast::Binding) -> (typed::Pat, typed::Expr, Vec<String>) {
        let declared = binding.ty.as_ref().map(|t| self.resolve_local_type(t));
        let takes = matches!(binding.pat.kind, ast::PatKind::Take { .. });
        let value = self.observing(&binding.bangs, binding.value.span, |c| match &declared {
            Some(ty) => c.check(&binding.value, ty),
            // Taking more fields out of a record with some already taken is
            // fine; the pattern reports any field taken twice.
            None if takes => c.partial_record(&binding.value),
            None => c.infer(&binding.value),
        });
        // A declared type is the variable's type, even where a narrower one fits.
        let bound_ty = declared.clone().unwrap_or_else(|| value.ty.clone());
        let pat = self.bind_top_pattern(&binding.pat, &bound_ty);
        self.check_exhaustive(&value.ty, &[&binding.pat], binding.pat.span, Coverage::Let);
        (pat, value, names(&binding.bangs))
    }

    /// Runs `f` with the variables in `bangs` observed: read-only, shareable,
    /// not consumable; the result must not alias them (kind E).
    pub fn observing(
        &mut self,
        bangs: &[ast::Ident],
        span: Span,
        f: impl FnOnce(&mut Self) -> typed::Expr,
    ) -> typed::Expr {
        let mut saved = Vec::new();
        for bang in bangs {
            match self.lookup(&bang.name) {
                Some(index) => {
                    let local = self.locals[index].clone();
                    if let (Some(consumed), false) = (local.used, self.kind(&local.ty).share) {
                        let kind =
                            TypeErrorKind::ConsumedThenObserved { var: local.name, bound: local.bound, consumed };
                        self.error(kind, bang.span);
                    }
                    let local = &mut self.locals[index];
                    saved.push((index, local.ty.clone(), local.used, local.observed));
                    local.ty = local.ty.bang();
                    local.observed = Some(bang.span);
                }
                None => self.error(TypeErrorKind::UnknownVariable { name: bang.name.clone() }, bang.span),
            }
        }
        let result = f(self);
        // In reverse, so that `!v !v` restores what `v` was before both.
        for (index, ty, used, observed) in saved.into_iter().rev() {
            let local = &mut self.locals[index];
            local.ty = ty;
            local.used = used;
            local.observed = observed;
        }
        if let Some(first) = bangs.first() {
            // Checked once every unknown is solved: the result's type may
            // only be known later.
            self.escape_checks.push((result.ty.clone(), first.name.clone(), first.span, span));
        }
        result
    }

    fn alternatives(
        &mut self,
        ty: &Ty,
        alts: &[ast::Alt],
        span: Span,
        mut body: impl FnMut(&mut Self, &ast::Expr) -> typed::Expr,
    ) -> Vec<typed::Alt> {
        let ty = self.metas.zonk(ty);
        let spans: Vec<Span> = alts.iter().map(|a| a.body.span).collect();
        let typed_alts = self.branches(&spans, |c, i| {
            let alt = &alts[i];
            let mark = c.locals.len();
            let pat = c.bind_top_pattern(&alt.pat, &ty);
            let body = body(c, &alt.body);
            c.close_scope(mark, end_of(alt.body.span));
            typed::Alt { pat, likelihood: alt.likelihood, body }
        });
        let pats: Vec<&ast::Pat> = alts.iter().map(|a| &a.pat).collect();
        self.check_exhaustive(&ty, &pats, span, Coverage::Match);
        typed_alts
    }
}

impl FnChecker<'_, '_> {
    /// Reports a field named twice in one record literal, put or pattern.
    pub fn no_duplicate_fields<'i>(&mut self, names: impl Iterator<Item = &'i ast::Ident>) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for name in names {
            if let Some(first) = seen.insert(&name.name, name.span) {
                self.error(TypeErrorKind::DuplicateField { field: name.name.clone(), first }, name.span);
            }
        }
    }
}

fn names(idents: &[ast::Ident]) -> Vec<String> {
    idents.iter().map(|i| i.name.clone()).collect()
}

/// Expressions whose type cannot be inferred from themselves alone.
fn needs_context(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Upcast(_) | ExprKind::Con { .. } | ExprKind::Lit(ast::Lit::Int(_)) => true,
        ExprKind::Binary(op, a, b) if arithmetic(*op) => needs_context(a) && needs_context(b),
        _ => false,
    }
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

/// The prefix operator a callee applies (`not f x` is `(not f) x`), if any.
fn prefix_of(f: &ast::Expr) -> Option<String> {
    match &f.kind {
        ast::ExprKind::Unary(op, _) => Some(op.keyword().to_owned()),
        _ => None,
    }
}
