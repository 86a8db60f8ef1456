//! The typed AST: what the checker hands to the next stages.
//!
//! Every expression and pattern carries its (fully solved) type. Sugar the
//! checker already understood is gone: constructor arguments are one payload
//! (unit, a value, or a tuple), `let .. and ..` is a chain of single lets,
//! field puns are explicit, references to top-level functions carry their
//! type arguments.

use crate::source::Span;
use crate::syntax::ast::{BinOp, Likelihood, Lit, UnOp};
use crate::typeck::env::Scheme;
use crate::typeck::infer::Metas;
use crate::typeck::types::Ty;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// Every function and constant by name, with a body unless abstract.
    pub functions: BTreeMap<String, Function>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub name: String,
    pub scheme: Scheme,
    /// `None` for abstract functions, implemented by the runtime or the user.
    pub body: Option<Body>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    /// `None` for constants.
    pub param: Option<Pat>,
    pub expr: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Ty,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Var(String),
    /// A top-level function or constant, instantiated at these types.
    Global {
        name: String,
        type_args: Vec<Ty>,
    },
    Lit(Lit),
    Unit,
    Tuple(Vec<Expr>),
    UnboxedRecord(Vec<(String, Expr)>),
    Con {
        tag: String,
        payload: Box<Expr>,
    },
    App(Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Upcast(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Member(Box<Expr>, String),
    Put(Box<Expr>, Vec<(String, Expr)>),
    If {
        cond: Box<Expr>,
        bangs: Vec<String>,
        then: Box<Expr>,
        els: Box<Expr>,
    },
    Let {
        pat: Pat,
        value: Box<Expr>,
        bangs: Vec<String>,
        body: Box<Expr>,
    },
    Match {
        scrutinee: Box<Expr>,
        bangs: Vec<String>,
        alts: Vec<Alt>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Alt {
    pub pat: Pat,
    pub likelihood: Likelihood,
    pub body: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pat {
    pub kind: PatKind,
    pub ty: Ty,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PatKind {
    Wildcard,
    Var(String),
    Lit(Lit),
    Unit,
    Tuple(Vec<Pat>),
    Con {
        tag: String,
        payload: Box<Pat>,
    },
    UnboxedRecord(Vec<(String, Pat)>),
    /// Binds `record` to the record with `fields` taken.
    Take {
        record: String,
        fields: Vec<(String, Pat)>,
    },
}

impl Expr {
    pub fn new(kind: ExprKind, ty: Ty, span: Span) -> Expr {
        Expr { kind, ty, span }
    }

    /// A placeholder for an expression whose error was reported.
    pub fn error(span: Span) -> Expr {
        Expr { kind: ExprKind::Unit, ty: Ty::Error, span }
    }
}

impl Pat {
    pub fn new(kind: PatKind, ty: Ty, span: Span) -> Pat {
        Pat { kind, ty, span }
    }
}

/// Replaces every solved unknown in the tree by its solution.
pub fn zonk_expr(e: &mut Expr, metas: &Metas) {
    e.ty = metas.zonk(&e.ty);
    match &mut e.kind {
        ExprKind::Var(_) | ExprKind::Lit(_) | ExprKind::Unit => {}
        ExprKind::Global { type_args, .. } => type_args.iter_mut().for_each(|t| *t = metas.zonk(t)),
        ExprKind::Tuple(items) => items.iter_mut().for_each(|i| zonk_expr(i, metas)),
        ExprKind::UnboxedRecord(fields) => fields.iter_mut().for_each(|(_, f)| zonk_expr(f, metas)),
        ExprKind::Put(record, fields) => {
            zonk_expr(record, metas);
            fields.iter_mut().for_each(|(_, f)| zonk_expr(f, metas));
        }
        ExprKind::Con { payload, .. } => zonk_expr(payload, metas),
        ExprKind::App(a, b) | ExprKind::Binary(_, a, b) => {
            zonk_expr(a, metas);
            zonk_expr(b, metas);
        }
        ExprKind::Unary(_, a) | ExprKind::Upcast(a) | ExprKind::Member(a, _) => zonk_expr(a, metas),
        ExprKind::If { cond, then, els, .. } => {
            zonk_expr(cond, metas);
            zonk_expr(then, metas);
            zonk_expr(els, metas);
        }
        ExprKind::Let { pat, value, body, .. } => {
            zonk_pat(pat, metas);
            zonk_expr(value, metas);
            zonk_expr(body, metas);
        }
        ExprKind::Match { scrutinee, alts, .. } => {
            zonk_expr(scrutinee, metas);
            for alt in alts {
                zonk_pat(&mut alt.pat, metas);
                zonk_expr(&mut alt.body, metas);
            }
        }
    }
}

pub fn zonk_pat(p: &mut Pat, metas: &Metas) {
    p.ty = metas.zonk(&p.ty);
    match &mut p.kind {
        PatKind::Wildcard | PatKind::Var(_) | PatKind::Lit(_) | PatKind::Unit => {}
        PatKind::Tuple(items) => items.iter_mut().for_each(|i| zonk_pat(i, metas)),
        PatKind::Con { payload, .. } => zonk_pat(payload, metas),
        PatKind::UnboxedRecord(fields) | PatKind::Take { fields, .. } => {
            fields.iter_mut().for_each(|(_, f)| zonk_pat(f, metas))
        }
    }
}
