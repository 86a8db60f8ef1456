//! The surface AST: what the parser builds and the pretty printer prints.
//!
//! Every node carries a [`Span`]. Parentheses leave no trace: the printer puts
//! back exactly those that precedence requires, so `parse(print(ast)) == ast`
//! up to spans (see [`crate::syntax::erase`]). Field puns (`r {f}`) are stored
//! expanded (`r {f = f}`), which is what they mean.

use crate::source::Span;

/// An identifier with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// One parsed file: its top-level items in source order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Module {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// `include "path"`: the path is relative to the including file.
    Include { path: String },
    /// `type Name a b = t`
    TypeSynonym { name: Ident, params: Vec<Ident>, body: Type },
    /// `type Name a b`: implemented by the runtime or the user.
    AbstractType { name: Ident, params: Vec<Ident> },
    /// `name : all (a :< DS). t` — a function or constant signature. Without a
    /// following definition it declares an abstract function.
    Signature { name: Ident, scheme: Scheme },
    /// `name pat = e` (a function) or `name = e` (a constant).
    Definition { name: Ident, param: Option<Pat>, body: Expr },
}

/// A possibly polymorphic type: `all (a :< DS, b). t`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scheme {
    pub vars: Vec<TyVarBinder>,
    pub ty: Type,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TyVarBinder {
    pub name: Ident,
    /// The kind bound after `:<`, if any.
    pub kind: Option<KindBound>,
}

/// A kind written as letters from `D` (discardable), `S` (shareable) and
/// `E` (escapable), e.g. `DS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct KindBound {
    pub discard: bool,
    pub share: bool,
    pub escape: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Type {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeKind {
    /// A type variable: `a`.
    Var(Ident),
    /// A named type, possibly applied: `U32`, `WordArray U8`, `#Buf`.
    Con { name: Ident, args: Vec<Type>, unboxed: bool },
    /// `()`
    Unit,
    /// `(t1, t2, ...)`, at least two components.
    Tuple(Vec<Type>),
    /// `{f : t, ...}` (boxed, linear) or `#{f : t, ...}` (unboxed).
    Record { fields: Vec<FieldType>, boxed: bool },
    /// `<A t | B>`
    Variant(Vec<VariantAlt>),
    /// `t take f`, `t take (f, g)`, `t take (..)`, and the same with `put`.
    TakePut { ty: Box<Type>, op: TakeOrPut, fields: FieldSet },
    /// `t!`: a read-only, shareable view.
    Bang(Box<Type>),
    /// `a -> b`
    Fun(Box<Type>, Box<Type>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldType {
    pub name: Ident,
    pub ty: Type,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantAlt {
    pub tag: Ident,
    pub args: Vec<Type>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TakeOrPut {
    Take,
    Put,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldSet {
    /// `(..)`: every field.
    All,
    /// One field `f` or a list `(f, g)`.
    Some(Vec<Ident>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    Var(Ident),
    /// `f [U32, _]`: explicit type application; `None` is an inferred `_`.
    TypeApp {
        name: Ident,
        args: Vec<Option<Type>>,
    },
    Lit(Lit),
    Unit,
    Tuple(Vec<Expr>),
    /// `#{f = e, ...}`
    UnboxedRecord(Vec<FieldExpr>),
    /// Variant construction `Tag e1 e2` (several arguments form a tuple).
    Con {
        tag: Ident,
        args: Vec<Expr>,
    },
    /// `f e`
    App(Box<Expr>, Box<Expr>),
    /// `not e`, `complement e`
    Unary(UnOp, Box<Expr>),
    /// `upcast e`
    Upcast(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `e.f`
    Member(Box<Expr>, Ident),
    /// `e {f = e1, ...}`: put fields back into a record.
    Put(Box<Expr>, Vec<FieldExpr>),
    /// `if c !v then a else b`
    If {
        cond: Box<Expr>,
        bangs: Vec<Ident>,
        then: Box<Expr>,
        els: Box<Expr>,
    },
    /// `let p = e !v and q = e2 in body`
    Let {
        bindings: Vec<Binding>,
        body: Box<Expr>,
    },
    /// `e !v | P -> a | Q -> b`
    Match {
        scrutinee: Box<Expr>,
        bangs: Vec<Ident>,
        alts: Vec<Alt>,
    },
    /// `(e : t)`
    Annot(Box<Expr>, Box<Type>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lit {
    Int(u64),
    Bool(bool),
    /// A character literal: a byte, of type `U8`.
    Char(u8),
    String(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldExpr {
    pub name: Ident,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub pat: Pat,
    pub ty: Option<Type>,
    pub value: Expr,
    /// Variables observed (`!v`) while evaluating `value`.
    pub bangs: Vec<Ident>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alt {
    pub pat: Pat,
    pub likelihood: Likelihood,
    pub body: Expr,
    pub span: Span,
}

/// The arrow of a match alternative: `->`, `=>` (likely) or `~>` (unlikely).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Likelihood {
    Regular,
    Likely,
    Unlikely,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pat {
    pub kind: PatKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatKind {
    Wildcard,
    Var(Ident),
    Lit(Lit),
    Unit,
    Tuple(Vec<Pat>),
    /// `Tag p1 p2`; the arguments may themselves be refutable (nested).
    Con {
        tag: Ident,
        args: Vec<Pat>,
    },
    /// `#{f = p, ...}`
    UnboxedRecord(Vec<FieldPat>),
    /// `r {f = p, ...}`: bind `r` to the record with the fields taken.
    Take {
        record: Ident,
        fields: Vec<FieldPat>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPat {
    pub name: Ident,
    pub pat: Pat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Complement,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Mul,
    Div,
    Mod,
    Add,
    Sub,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    BitAnd,
    BitXor,
    BitOr,
    Shl,
    Shr,
    And,
    Or,
}

/// How tightly a binary operator binds, following Cogent's table (higher
/// binds tighter). Comparisons bind tighter than the bitwise operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Prec {
    Or = 1,
    And,
    Shift,
    BitOr,
    BitXor,
    BitAnd,
    Compare,
    Additive,
    Multiplicative,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assoc {
    Left,
    Right,
    None,
}

impl BinOp {
    pub const ALL: [BinOp; 18] = [
        BinOp::Mul,
        BinOp::Div,
        BinOp::Mod,
        BinOp::Add,
        BinOp::Sub,
        BinOp::Eq,
        BinOp::Ne,
        BinOp::Lt,
        BinOp::Gt,
        BinOp::Le,
        BinOp::Ge,
        BinOp::BitAnd,
        BinOp::BitXor,
        BinOp::BitOr,
        BinOp::Shl,
        BinOp::Shr,
        BinOp::And,
        BinOp::Or,
    ];

    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Eq => "==",
            BinOp::Ne => "/=",
            BinOp::Lt => "<",
            BinOp::Gt => ">",
            BinOp::Le => "<=",
            BinOp::Ge => ">=",
            BinOp::BitAnd => ".&.",
            BinOp::BitXor => ".^.",
            BinOp::BitOr => ".|.",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::And => "&&",
            BinOp::Or => "||",
        }
    }

    pub fn prec(self) -> Prec {
        match self {
            BinOp::Mul | BinOp::Div | BinOp::Mod => Prec::Multiplicative,
            BinOp::Add | BinOp::Sub => Prec::Additive,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge => Prec::Compare,
            BinOp::BitAnd => Prec::BitAnd,
            BinOp::BitXor => Prec::BitXor,
            BinOp::BitOr => Prec::BitOr,
            BinOp::Shl | BinOp::Shr => Prec::Shift,
            BinOp::And => Prec::And,
            BinOp::Or => Prec::Or,
        }
    }

    pub fn assoc(self) -> Assoc {
        match self.prec() {
            Prec::Compare => Assoc::None,
            Prec::And | Prec::Or => Assoc::Right,
            _ => Assoc::Left,
        }
    }
}

impl UnOp {
    pub fn keyword(self) -> &'static str {
        match self {
            UnOp::Not => "not",
            UnOp::Complement => "complement",
        }
    }
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }
}

impl Pat {
    pub fn new(kind: PatKind, span: Span) -> Pat {
        Pat { kind, span }
    }
}

impl Type {
    pub fn new(kind: TypeKind, span: Span) -> Type {
        Type { kind, span }
    }
}
