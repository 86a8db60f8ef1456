//! Forgetting spans, so that two ASTs can be compared for structure alone —
//! what the pretty-printer round trip promises.

use crate::source::Span;
use crate::syntax::ast::*;

pub fn module(m: &mut Module) {
    m.items.iter_mut().for_each(item);
}

pub fn item(item: &mut Item) {
    item.span = Span::default();
    match &mut item.kind {
        ItemKind::Include { .. } => {}
        ItemKind::TypeSynonym { name, params, body } => {
            ident(name);
            params.iter_mut().for_each(ident);
            ty(body);
        }
        ItemKind::AbstractType { name, params } => {
            ident(name);
            params.iter_mut().for_each(ident);
        }
        ItemKind::Signature { name, scheme } => {
            ident(name);
            for binder in &mut scheme.vars {
                ident(&mut binder.name);
                if let Some(kind) = &mut binder.kind {
                    kind.span = Span::default();
                }
            }
            ty(&mut scheme.ty);
        }
        ItemKind::Definition { name, param, body } => {
            ident(name);
            param.iter_mut().for_each(pat);
            expr(body);
        }
    }
}

fn ident(i: &mut Ident) {
    i.span = Span::default();
}

pub fn ty(t: &mut Type) {
    t.span = Span::default();
    match &mut t.kind {
        TypeKind::Var(v) => ident(v),
        TypeKind::Con { name, args, .. } => {
            ident(name);
            args.iter_mut().for_each(ty);
        }
        TypeKind::Unit => {}
        TypeKind::Tuple(items) => items.iter_mut().for_each(ty),
        TypeKind::Record { fields, .. } => {
            for field in fields {
                ident(&mut field.name);
                ty(&mut field.ty);
            }
        }
        TypeKind::Variant(alts) => {
            for alt in alts {
                ident(&mut alt.tag);
                alt.args.iter_mut().for_each(ty);
            }
        }
        TypeKind::TakePut { ty: inner, fields, .. } => {
            ty(inner);
            if let FieldSet::Some(names) = fields {
                names.iter_mut().for_each(ident);
            }
        }
        TypeKind::Bang(inner) => ty(inner),
        TypeKind::Fun(a, b) => {
            ty(a);
            ty(b);
        }
    }
}

pub fn expr(e: &mut Expr) {
    e.span = Span::default();
    match &mut e.kind {
        ExprKind::Var(v) => ident(v),
        ExprKind::TypeApp { name, args } => {
            ident(name);
            args.iter_mut().flatten().for_each(ty);
        }
        ExprKind::Lit(_) | ExprKind::Unit => {}
        ExprKind::Tuple(items) => items.iter_mut().for_each(expr),
        ExprKind::UnboxedRecord(fields) => field_exprs(fields),
        ExprKind::Con { tag, args } => {
            ident(tag);
            args.iter_mut().for_each(expr);
        }
        ExprKind::App(f, arg) => {
            expr(f);
            expr(arg);
        }
        ExprKind::Unary(_, operand) | ExprKind::Upcast(operand) => expr(operand),
        ExprKind::Binary(_, a, b) => {
            expr(a);
            expr(b);
        }
        ExprKind::Member(record, field) => {
            expr(record);
            ident(field);
        }
        ExprKind::Put(record, fields) => {
            expr(record);
            field_exprs(fields);
        }
        ExprKind::If { cond, bangs, then, els } => {
            expr(cond);
            bangs.iter_mut().for_each(ident);
            expr(then);
            expr(els);
        }
        ExprKind::Let { bindings, body } => {
            for binding in bindings {
                binding.span = Span::default();
                pat(&mut binding.pat);
                binding.ty.iter_mut().for_each(ty);
                expr(&mut binding.value);
                binding.bangs.iter_mut().for_each(ident);
            }
            expr(body);
        }
        ExprKind::Match { scrutinee, bangs, alts } => {
            expr(scrutinee);
            bangs.iter_mut().for_each(ident);
            for alt in alts {
                alt.span = Span::default();
                pat(&mut alt.pat);
                expr(&mut alt.body);
            }
        }
        ExprKind::Annot(inner, t) => {
            expr(inner);
            ty(t);
        }
    }
}

fn field_exprs(fields: &mut [FieldExpr]) {
    for field in fields {
        ident(&mut field.name);
        expr(&mut field.value);
    }
}

pub fn pat(p: &mut Pat) {
    p.span = Span::default();
    match &mut p.kind {
        PatKind::Wildcard | PatKind::Lit(_) | PatKind::Unit => {}
        PatKind::Var(v) => ident(v),
        PatKind::Tuple(items) => items.iter_mut().for_each(pat),
        PatKind::Con { tag, args } => {
            ident(tag);
            args.iter_mut().for_each(pat);
        }
        PatKind::UnboxedRecord(fields) => field_pats(fields),
        PatKind::Take { record, fields } => {
            ident(record);
            field_pats(fields);
        }
    }
}

fn field_pats(fields: &mut [FieldPat]) {
    for field in fields {
        ident(&mut field.name);
        pat(&mut field.pat);
    }
}
