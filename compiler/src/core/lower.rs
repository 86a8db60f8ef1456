//! Lowering the typed AST to the core IR: monomorphisation and desugaring.
//!
//! Instances are made on demand, starting from every monomorphic function.
//! Patterns — nested ones included — compile into decision trees of `Split`,
//! `Case`, `Take` and literal tests, in the manner of Maranget's matrix
//! compilation: each value is examined once, no alternative is retried, and
//! a body reached by several paths is copied into each.

use crate::core::ir::*;
use crate::source::Span;
use crate::syntax::ast::{BinOp, Lit};
use crate::typeck::typed;
use crate::typeck::types::Ty;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Lowers a well-typed program.
pub fn lower(program: &typed::Program) -> Program {
    let mut queue: VecDeque<(String, Vec<Ty>)> =
        program.functions.values().filter(|f| f.scheme.vars.is_empty()).map(|f| (f.name.clone(), Vec::new())).collect();
    let mut functions = BTreeMap::new();
    while let Some((name, type_args)) = queue.pop_front() {
        let instance = instance_name(&name, &type_args);
        if functions.contains_key(&instance) {
            continue;
        }
        let Some(function) = program.functions.get(&name) else {
            unreachable!("bug: the checker let through a call to unknown `{name}`")
        };
        let mut lowerer = FunctionLowerer::new(function, &type_args);
        let lowered = lowerer.function(instance.clone());
        queue.extend(lowerer.requests);
        functions.insert(instance, lowered);
    }
    Program { functions }
}

/// The stable name of an instance: `f`, or `f[U32, Bool]`.
pub fn instance_name(name: &str, type_args: &[Ty]) -> String {
    if type_args.is_empty() {
        return name.to_owned();
    }
    let args: Vec<String> = type_args.iter().map(Ty::to_string).collect();
    format!("{name}[{}]", args.join(", "))
}

struct FunctionLowerer<'t> {
    function: &'t typed::Function,
    subst: HashMap<String, Ty>,
    type_args: Vec<Ty>,
    requests: Vec<(String, Vec<Ty>)>,
    fresh: usize,
    /// The type of the decision tree being compiled: the whole match's, which
    /// may be wider than some alternatives' (variant width subtyping).
    targets: Vec<Ty>,
}

/// One alternative while compiling a match: the tests still to make, the
/// variables bound so far, and the body.
#[derive(Clone)]
struct Row<'t> {
    tests: Vec<(String, Ty, &'t typed::Pat)>,
    binds: Vec<(String, Expr)>,
    body: &'t typed::Expr,
}

impl<'t> FunctionLowerer<'t> {
    fn new(function: &'t typed::Function, type_args: &[Ty]) -> Self {
        let subst = function.scheme.vars.iter().map(|(v, _)| v.clone()).zip(type_args.iter().cloned()).collect();
        FunctionLowerer {
            function,
            subst,
            type_args: type_args.to_vec(),
            requests: Vec::new(),
            fresh: 0,
            targets: Vec::new(),
        }
    }

    fn ty(&self, ty: &Ty) -> Ty {
        ty.substitute(&self.subst)
    }

    /// A variable name no source program can write (`%` is not a name character).
    fn fresh_var(&mut self) -> String {
        self.fresh += 1;
        format!("%{}", self.fresh)
    }

    fn function(&mut self, name: String) -> Function {
        let function = self.function;
        let ty = self.ty(&function.scheme.ty);
        let (param_ty, result) = match &ty {
            Ty::Fun(a, b) => (Some((**a).clone()), (**b).clone()),
            other => (None, other.clone()),
        };
        let (param, body) = match (&function.body, param_ty) {
            (None, param_ty) => (param_ty.map(|t| ("%arg".to_owned(), t)), None),
            (Some(body), Some(param_ty)) => {
                let pat = body.param.as_ref().unwrap_or_else(|| unreachable!("bug: a function body without parameter"));
                match &pat.kind {
                    typed::PatKind::Var(x) => (Some((x.clone(), param_ty)), Some(self.expr(&body.expr))),
                    _ => {
                        let arg = self.fresh_var();
                        let row = Row {
                            tests: vec![(arg.clone(), param_ty.clone(), pat)],
                            binds: Vec::new(),
                            body: &body.expr,
                        };
                        let tree = self.compile_to(vec![row], body.expr.span, result.clone());
                        (Some((arg, param_ty)), Some(tree))
                    }
                }
            }
            (Some(body), None) => (None, Some(self.expr(&body.expr))),
        };
        Function {
            name,
            source_name: function.name.clone(),
            type_args: self.type_args.clone(),
            param,
            result,
            body,
            span: function.span,
        }
    }

    fn expr(&mut self, e: &'t typed::Expr) -> Expr {
        use typed::ExprKind as T;
        let ty = self.ty(&e.ty);
        let span = e.span;
        let boxed = |this: &mut Self, e: &'t typed::Expr| Box::new(this.expr(e));
        let kind = match &e.kind {
            T::Var(x) => ExprKind::Var(x.clone()),
            T::Global { name, type_args } => {
                let args: Vec<Ty> = type_args.iter().map(|t| self.ty(t)).collect();
                let instance = instance_name(name, &args);
                self.requests.push((name.clone(), args));
                ExprKind::Global(instance)
            }
            T::Lit(lit) => ExprKind::Lit(lit.clone()),
            T::Unit => ExprKind::Unit,
            T::Tuple(items) => ExprKind::Tuple(items.iter().map(|i| self.expr(i)).collect()),
            T::UnboxedRecord(fields) => {
                ExprKind::Struct(fields.iter().map(|(n, f)| (n.clone(), self.expr(f))).collect())
            }
            T::Con { tag, payload } => ExprKind::Con { tag: tag.clone(), payload: boxed(self, payload) },
            T::App(f, a) => ExprKind::App(boxed(self, f), boxed(self, a)),
            T::Unary(op, a) => ExprKind::Unary(*op, boxed(self, a)),
            T::Binary(op, a, b) => ExprKind::Binary(*op, boxed(self, a), boxed(self, b)),
            T::Upcast(a) => ExprKind::Upcast(boxed(self, a)),
            T::Member(record, field) => ExprKind::Member(boxed(self, record), field.clone()),
            T::Put(record, fields) => {
                let mut result = self.expr(record);
                for (field, value) in fields {
                    let value = self.expr(value);
                    let put = ExprKind::Put { record: Box::new(result), field: field.clone(), value: Box::new(value) };
                    result = Expr::new(put, ty.clone(), span);
                }
                return result;
            }
            T::If { cond, bangs, then, els } => {
                let cond = self.expr(cond);
                let (then, els) = (self.expr(then), self.expr(els));
                if bangs.is_empty() {
                    ExprKind::If { cond: Box::new(cond), then: Box::new(then), els: Box::new(els) }
                } else {
                    let var = self.fresh_var();
                    let test = Expr::var(&var, Ty::bool(), cond.span);
                    let branch = ExprKind::If { cond: Box::new(test), then: Box::new(then), els: Box::new(els) };
                    let body = Expr::new(branch, ty.clone(), span);
                    ExprKind::LetBang { observed: bangs.clone(), var, value: Box::new(cond), body: Box::new(body) }
                }
            }
            T::Let { pat, value, bangs, body } => return self.binding(pat, value, bangs, body, span),
            T::Match { scrutinee, bangs, alts } => {
                let value = self.expr(scrutinee);
                let var = self.fresh_var();
                let scrutinee_ty = value.ty.clone();
                let rows = alts
                    .iter()
                    .map(|alt| Row {
                        tests: vec![(var.clone(), scrutinee_ty.clone(), &alt.pat)],
                        binds: Vec::new(),
                        body: &alt.body,
                    })
                    .collect();
                let tree = self.compile_to(rows, span, ty);
                return bind_value(var, value, bangs, tree);
            }
        };
        Expr::new(kind, ty, span)
    }

    fn binding(
        &mut self,
        pat: &'t typed::Pat,
        value: &'t typed::Expr,
        bangs: &[String],
        body: &'t typed::Expr,
        span: Span,
    ) -> Expr {
        let value = self.expr(value);
        if let typed::PatKind::Var(x) = &pat.kind {
            let body = self.expr(body);
            return bind_value(x.clone(), value, bangs, body);
        }
        let var = self.fresh_var();
        let row = Row { tests: vec![(var.clone(), value.ty.clone(), pat)], binds: Vec::new(), body };
        let target = self.ty(&body.ty);
        let tree = self.compile_to(vec![row], span, target);
        bind_value(var, value, bangs, tree)
    }

    /// Compiles rows into a decision tree of type `target`.
    fn compile_to(&mut self, rows: Vec<Row<'t>>, span: Span, target: Ty) -> Expr {
        self.targets.push(target);
        let tree = self.compile(rows, span);
        self.targets.pop();
        tree
    }

    /// The type of the decision tree being compiled.
    fn target(&self) -> Ty {
        self.targets.last().cloned().unwrap_or_else(|| unreachable!("bug: compiling outside compile_to"))
    }

    /// Compiles rows of pattern tests into a decision tree; the first row
    /// whose tests all pass is the one taken.
    fn compile(&mut self, rows: Vec<Row<'t>>, span: Span) -> Expr {
        let mut rows: Vec<Row<'t>> = rows.into_iter().map(|r| self.settle(r)).collect();
        if rows.is_empty() {
            unreachable!("bug: a match the checker found exhaustive has no row for some value")
        }
        if rows[0].tests.is_empty() {
            let row = rows.swap_remove(0);
            let body = self.expr(row.body);
            let target = self.target();
            return row.binds.into_iter().rev().fold(body, |body, (name, value)| {
                let ty = target.clone();
                let span = body.span;
                Expr::new(ExprKind::Let { var: name, value: Box::new(value), body: Box::new(body) }, ty, span)
            });
        }
        let (var, var_ty, pat) = rows[0].tests[0].clone();
        match &pat.kind {
            typed::PatKind::Tuple(_) => self.split(rows, &var, &var_ty, span),
            typed::PatKind::Con { .. } => self.case(rows, &var, &var_ty, span),
            typed::PatKind::Lit(lit) => self.literal(rows, &var, &var_ty, lit, span),
            typed::PatKind::UnboxedRecord(_) | typed::PatKind::Take { .. } => self.fields(rows, &var, &var_ty, span),
            typed::PatKind::Var(_) | typed::PatKind::Wildcard | typed::PatKind::Unit => {
                unreachable!("bug: settled rows have no irrefutable tests left")
            }
        }
    }

    /// Turns the tests that always pass into bindings.
    fn settle(&mut self, mut row: Row<'t>) -> Row<'t> {
        let mut tests = Vec::new();
        for (var, ty, pat) in row.tests {
            match &pat.kind {
                typed::PatKind::Var(x) => row.binds.push((x.clone(), Expr::var(&var, ty, pat.span))),
                typed::PatKind::Wildcard | typed::PatKind::Unit => {}
                _ => tests.push((var, ty, pat)),
            }
        }
        row.tests = tests;
        row
    }

    /// The test on `var` in a row, if it has one, and the row without it.
    fn take_test(row: &Row<'t>, var: &str) -> Option<(&'t typed::Pat, Row<'t>)> {
        let index = row.tests.iter().position(|(v, _, _)| v == var)?;
        let mut rest = row.clone();
        let (_, _, pat) = rest.tests.remove(index);
        Some((pat, rest))
    }

    fn split(&mut self, rows: Vec<Row<'t>>, var: &str, ty: &Ty, span: Span) -> Expr {
        let Ty::Tuple(tys) = ty else { unreachable!("bug: a tuple pattern on `{ty}`") };
        let vars: Vec<String> = tys.iter().map(|_| self.fresh_var()).collect();
        let rows = rows
            .into_iter()
            .map(|row| match Self::take_test(&row, var) {
                Some((pat, mut rest)) => {
                    let typed::PatKind::Tuple(items) = &pat.kind else {
                        unreachable!("bug: mixed patterns on a tuple")
                    };
                    for ((v, t), p) in vars.iter().zip(tys.iter()).zip(items) {
                        rest.tests.push((v.clone(), t.clone(), p));
                    }
                    rest
                }
                None => row,
            })
            .collect();
        let body = self.compile(rows, span);
        let value = Expr::var(var, ty.clone(), span);
        let result = self.target();
        Expr::new(ExprKind::Split { vars, value: Box::new(value), body: Box::new(body) }, result, span)
    }

    fn case(&mut self, rows: Vec<Row<'t>>, var: &str, ty: &Ty, span: Span) -> Expr {
        let Ty::Variant(alts) = ty else { unreachable!("bug: a constructor pattern on `{ty}`") };
        let mut arms = Vec::new();
        let mut result = Ty::Error;
        for (tag, payload_ty) in alts.iter() {
            let payload = self.fresh_var();
            let arm_rows: Vec<Row<'t>> = rows
                .iter()
                .filter_map(|row| match Self::take_test(row, var) {
                    Some((pat, mut rest)) => match &pat.kind {
                        typed::PatKind::Con { tag: t, payload: p } if t == tag => {
                            rest.tests.push((payload.clone(), payload_ty.clone(), p));
                            Some(rest)
                        }
                        _ => None,
                    },
                    None => Some(row.clone()),
                })
                .collect();
            let body = self.compile(arm_rows, span);
            result = self.target();
            arms.push(CaseArm { tag: tag.clone(), payload, body });
        }
        Expr::new(ExprKind::Case { scrutinee: var.to_owned(), arms }, result, span)
    }

    fn literal(&mut self, rows: Vec<Row<'t>>, var: &str, ty: &Ty, lit: &Lit, span: Span) -> Expr {
        // Both truth values are tested at once: with `True` and `False`
        // alternatives there is no third case to fall through to.
        let lit = if *ty == Ty::bool() { &Lit::Bool(true) } else { lit };
        let (mut matched, mut others) = (Vec::new(), Vec::new());
        for row in rows {
            match Self::take_test(&row, var) {
                Some((pat, rest)) if matches!(&pat.kind, typed::PatKind::Lit(l) if l == lit) => matched.push(rest),
                Some(_) => others.push(row),
                None => {
                    matched.push(row.clone());
                    others.push(row);
                }
            }
        }
        let then = self.compile(matched, span);
        if *ty == Ty::bool() {
            // `others` holds the `False` rows: their test is now settled.
            let others = others
                .into_iter()
                .map(|row| match Self::take_test(&row, var) {
                    Some((_, rest)) => rest,
                    None => row,
                })
                .collect();
            let els = self.compile(others, span);
            let result = self.target();
            let cond = Expr::var(var, ty.clone(), span);
            return Expr::new(
                ExprKind::If { cond: Box::new(cond), then: Box::new(then), els: Box::new(els) },
                result,
                span,
            );
        }
        let els = self.compile(others, span);
        let test = ExprKind::Binary(
            BinOp::Eq,
            Box::new(Expr::var(var, ty.clone(), span)),
            Box::new(Expr::new(ExprKind::Lit(lit.clone()), ty.clone(), span)),
        );
        let result = self.target();
        let cond = Expr::new(test, Ty::bool(), span);
        Expr::new(ExprKind::If { cond: Box::new(cond), then: Box::new(then), els: Box::new(els) }, result, span)
    }

    /// Record patterns: every field any row names is taken once, in
    /// declaration order; a row that binds the record gets it back with the
    /// fields it did not take itself put back.
    fn fields(&mut self, rows: Vec<Row<'t>>, var: &str, ty: &Ty, span: Span) -> Expr {
        let Ty::Record { fields: declared, .. } = ty else { unreachable!("bug: a record pattern on `{ty}`") };
        let named = |pat: &'t typed::Pat| -> &'t [(String, typed::Pat)] {
            match &pat.kind {
                typed::PatKind::UnboxedRecord(fields) | typed::PatKind::Take { fields, .. } => fields,
                _ => unreachable!("bug: mixed patterns on a record"),
            }
        };
        let mut taken: Vec<(String, Ty, String)> = Vec::new();
        for (field, slot) in declared.iter() {
            let used = rows.iter().any(|row| {
                Self::take_test(row, var).is_some_and(|(pat, _)| named(pat).iter().any(|(f, _)| f == field))
            });
            if used {
                taken.push((field.clone(), slot.ty.clone(), self.fresh_var()));
            }
        }
        let rest_var = self.fresh_var();
        let rows: Vec<Row<'t>> = rows
            .into_iter()
            .map(|row| match Self::take_test(&row, var) {
                Some((pat, mut rest)) => {
                    let own = named(pat);
                    for (field, field_ty, field_var) in &taken {
                        if let Some((_, p)) = own.iter().find(|(f, _)| f == field) {
                            rest.tests.push((field_var.clone(), field_ty.clone(), p));
                        }
                    }
                    if let typed::PatKind::Take { record, .. } = &pat.kind {
                        let back = self.put_back(&rest_var, &pat.ty, &taken, own, span);
                        rest.binds.push((record.clone(), back));
                    }
                    rest
                }
                // The row uses the record whole (or not at all): in update
                // semantics the takes above emptied its fields, so they are
                // put back before the row's body runs.
                None if !taken.is_empty() => {
                    let mut row = row;
                    let back = self.put_back(&rest_var, ty, &taken, &[], span);
                    let name = self.fresh_var();
                    row.binds.push((name, back));
                    row
                }
                None => row,
            })
            .collect();
        let mut body = self.compile(rows, span);
        // Build the chain of takes inside out.
        let mut record_ty = ty.clone();
        let mut steps = Vec::new();
        let mut current = var.to_owned();
        for (index, (field, _, field_var)) in taken.iter().enumerate() {
            let rest = if index + 1 == taken.len() { rest_var.clone() } else { self.fresh_var() };
            steps.push((current.clone(), record_ty.clone(), field.clone(), field_var.clone(), rest.clone()));
            record_ty = record_ty.with_field_taken(field, true);
            current = rest;
        }
        for (record, record_ty, field, field_var, rest) in steps.into_iter().rev() {
            let result = self.target();
            let record = Box::new(Expr::var(&record, record_ty, span));
            body =
                Expr::new(ExprKind::Take { record, field, var: field_var, rest, body: Box::new(body) }, result, span);
        }
        if taken.is_empty() {
            // Nothing named: the record itself is the rest.
            let result = self.target();
            let value = Box::new(Expr::var(var, ty.clone(), span));
            body = Expr::new(ExprKind::Let { var: rest_var, value, body: Box::new(body) }, result, span);
        }
        body
    }

    /// The record `rest` with the fields taken for testing but not named by
    /// this row's own pattern put back.
    fn put_back(
        &mut self,
        rest: &str,
        own_ty: &Ty,
        taken: &[(String, Ty, String)],
        own: &[(String, typed::Pat)],
        span: Span,
    ) -> Expr {
        let own_ty = self.ty(own_ty);
        let mut all_taken = own_ty.clone();
        for (field, _, _) in taken {
            all_taken = all_taken.with_field_taken(field, true);
        }
        let mut record = Expr::var(rest, all_taken.clone(), span);
        let mut record_ty = all_taken;
        for (field, field_ty, field_var) in taken {
            if own.iter().any(|(f, _)| f == field) {
                continue;
            }
            record_ty = record_ty.with_field_taken(field, false);
            let value = Box::new(Expr::var(field_var, field_ty.clone(), span));
            record = Expr::new(
                ExprKind::Put { record: Box::new(record), field: field.clone(), value },
                record_ty.clone(),
                span,
            );
        }
        record
    }
}

/// `let var = value !bangs in body`, or a plain `let` without bangs.
fn bind_value(var: String, value: Expr, bangs: &[String], body: Expr) -> Expr {
    let (ty, span) = (body.ty.clone(), value.span.to(body.span));
    let kind = if bangs.is_empty() {
        ExprKind::Let { var, value: Box::new(value), body: Box::new(body) }
    } else {
        ExprKind::LetBang { observed: bangs.to_vec(), var, value: Box::new(value), body: Box::new(body) }
    };
    Expr::new(kind, ty, span)
}
