//! The core IR: typed, monomorphic, desugared.
//!
//! What is left of the surface language: variables, literals, tuples,
//! unboxed record literals, variant construction, application, primitive
//! operations, `upcast`, `if`, single `let`s, observation (`LetBang`), tuple
//! splitting, one-level matches on a variant's tag, and field access as
//! explicit `Take`, `Put` and `Member`. Nested patterns became trees of these;
//! polymorphic functions became one instance per type-argument list, named
//! from those types (`wordarray_get[U32]`), so names are stable.

use crate::source::Span;
use crate::syntax::ast::{BinOp, Lit, UnOp};
use crate::typeck::types::Ty;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// Every instance, by its monomorphic name.
    pub functions: BTreeMap<String, Function>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    /// The instance name: the source name, with type arguments if any.
    pub name: String,
    /// The name in the source program.
    pub source_name: String,
    pub type_args: Vec<Ty>,
    /// The parameter and its type; `None` for a constant.
    pub param: Option<(String, Ty)>,
    pub result: Ty,
    /// `None` for abstract functions, which the runtime implements.
    pub body: Option<Expr>,
    pub span: Span,
}

impl Function {
    /// Every type the function's text mentions: its parameter's, its
    /// result's and each subexpression's, in that order (outer before
    /// inner), which backends that name types rely on for stable names.
    pub fn types(&self) -> Vec<&Ty> {
        fn walk<'e>(e: &'e Expr, into: &mut Vec<&'e Ty>) {
            into.push(&e.ty);
            e.for_each_child(&mut |child| walk(child, into));
        }
        let mut out: Vec<&Ty> = self.param.iter().map(|(_, t)| t).collect();
        out.push(&self.result);
        if let Some(body) = &self.body {
            walk(body, &mut out);
        }
        out
    }
}

/// The boxed record an abstract allocator makes, if `param -> result` is
/// one: `SysState -> R (SysState, T take (..)) SysState`. Every engine
/// implements allocators and deallocators by this shape, not by name.
pub fn allocated<'t>(param: Option<&Ty>, result: &'t Ty) -> Option<&'t Ty> {
    let (Some(Ty::Abstract { name, .. }), Ty::Variant(alts)) = (param, result) else { return None };
    let Some(Ty::Tuple(items)) = alts.get("Success") else { return None };
    if name != "SysState" || alts.len() != 2 || items.len() != 2 {
        return None;
    }
    all_taken_boxed(&items[1])
}

/// Whether `param -> result` is an abstract deallocator:
/// `(SysState, T take (..)) -> SysState`.
pub fn deallocates(param: Option<&Ty>, result: &Ty) -> bool {
    let (Some(Ty::Tuple(items)), Ty::Abstract { name, .. }) = (param, result) else { return false };
    name == "SysState" && items.len() == 2 && all_taken_boxed(&items[1]).is_some()
}

/// The record type with every field taken, if `ty` is a boxed one.
fn all_taken_boxed(ty: &Ty) -> Option<&Ty> {
    match ty {
        Ty::Record { fields, boxed: true, read_only: false } if fields.iter().all(|(_, f)| f.taken) => Some(ty),
        _ => None,
    }
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
    /// A top-level function or constant instance.
    Global(String),
    Lit(Lit),
    Unit,
    Tuple(Vec<Expr>),
    Struct(Vec<(String, Expr)>),
    Con {
        tag: String,
        payload: Box<Expr>,
    },
    App(Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Upcast(Box<Expr>),
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        els: Box<Expr>,
    },
    Let {
        var: String,
        value: Box<Expr>,
        body: Box<Expr>,
    },
    /// `let var = value !observed in body`: the observed variables are
    /// read-only while `value` is evaluated.
    LetBang {
        observed: Vec<String>,
        var: String,
        value: Box<Expr>,
        body: Box<Expr>,
    },
    /// `let (v1, .., vn) = value in body`.
    Split {
        vars: Vec<String>,
        value: Box<Expr>,
        body: Box<Expr>,
    },
    /// Branches on the tag of a variant held in a variable; each arm binds
    /// the payload. Arms cover every tag of the type.
    Case {
        scrutinee: String,
        arms: Vec<CaseArm>,
    },
    /// Reads a field of a shareable (observed or unboxed) record.
    Member(Box<Expr>, String),
    /// `let rest {field = var} = record in body`.
    Take {
        record: Box<Expr>,
        field: String,
        var: String,
        rest: String,
        body: Box<Expr>,
    },
    Put {
        record: Box<Expr>,
        field: String,
        value: Box<Expr>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct CaseArm {
    pub tag: String,
    pub payload: String,
    pub body: Expr,
}

impl Expr {
    /// Calls `f` on each direct subexpression, in evaluation order.
    pub fn for_each_child<'e>(&'e self, f: &mut dyn FnMut(&'e Expr)) {
        for_each_child(self, f)
    }

    /// Whether the variable `name` is read anywhere in this expression
    /// (including as a match scrutinee or an observed variable).
    pub fn mentions(&self, name: &str) -> bool {
        mentions(self, name)
    }

    pub fn new(kind: ExprKind, ty: Ty, span: Span) -> Expr {
        Expr { kind, ty, span }
    }

    pub fn var(name: &str, ty: Ty, span: Span) -> Expr {
        Expr::new(ExprKind::Var(name.to_owned()), ty, span)
    }
}

fn for_each_child<'e>(e: &'e Expr, f: &mut dyn FnMut(&'e Expr)) {
    match &e.kind {
        ExprKind::Var(_) | ExprKind::Global(_) | ExprKind::Lit(_) | ExprKind::Unit => {}
        ExprKind::Tuple(items) => items.iter().for_each(f),
        ExprKind::Struct(fields) => fields.iter().for_each(|(_, v)| f(v)),
        ExprKind::Con { payload, .. } | ExprKind::Unary(_, payload) | ExprKind::Upcast(payload) => f(payload),
        ExprKind::Member(record, _) => f(record),
        ExprKind::App(a, b) | ExprKind::Binary(_, a, b) => {
            f(a);
            f(b);
        }
        ExprKind::If { cond, then, els } => {
            f(cond);
            f(then);
            f(els);
        }
        ExprKind::Let { value, body, .. }
        | ExprKind::LetBang { value, body, .. }
        | ExprKind::Split { value, body, .. }
        | ExprKind::Take { record: value, body, .. }
        | ExprKind::Put { record: value, value: body, .. } => {
            f(value);
            f(body);
        }
        ExprKind::Case { arms, .. } => arms.iter().for_each(|arm| f(&arm.body)),
    }
}

fn mentions(e: &Expr, name: &str) -> bool {
    if let ExprKind::Var(x) = &e.kind {
        return x == name;
    }
    if let ExprKind::Case { scrutinee, .. } = &e.kind {
        if scrutinee == name {
            return true;
        }
    }
    if let ExprKind::LetBang { observed, .. } = &e.kind {
        if observed.iter().any(|o| o == name) {
            return true;
        }
    }
    let mut found = false;
    for_each_child(e, &mut |child| found = found || mentions(child, name));
    found
}
