//! Proptest strategies for arbitrary surface ASTs — every item, type,
//! expression and pattern form, every operator and arrow — restricted only to
//! what the grammar can write down, with every span `Span::default()`.
//!
//! The restrictions, each forced by the concrete syntax rather than chosen:
//! - names are never keywords; variables and fields start lower case (or `_`
//!   and one more character), types and tags upper case;
//! - tuples have at least two components, records, field sets, type
//!   applications, variants and `let`s at least one entry;
//! - a kind bound has at least one letter (`a :< ` alone does not lex as one);
//! - string literals appear in expressions and `include`s, never in patterns
//!   (the grammar's `Literal` has no strings);
//! - field puns are stored expanded (`r {f}` is `r {f = f}`), which is what
//!   the parser builds, so a generated `f = f` prints as the pun.
//!
//! Shared by the round-trip and no-panic tests through `#[path]`; not every
//! test uses every strategy.
#![allow(dead_code)]

use cdsl::source::Span;
use cdsl::syntax::ast::*;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// Every word the lexer turns into a keyword token.
#[rustfmt::skip]
pub const KEYWORDS: &[&str] = &[
    "let", "in", "and", "if", "then", "else", "type", "include", "all", "take", "put", "not", "complement",
    "upcast", "True", "False",
];

/// Names that look like keywords but are not: the lexer must take the longest
/// match, and the printer must not split them.
#[rustfmt::skip]
const TRICKY_VARS: &[&str] = &[
    "x", "node", "lets", "inode", "iff", "thenx", "elsewhere", "types", "all'", "taken", "put_", "nota", "x'",
    "a1", "and_", "_tmp", "__", "_A", "upcasts", "complemented", "included", "in'",
];

const TRICKY_CONS: &[&str] = &["A", "Some", "None", "Truex", "False'", "U8", "WordArray", "T_1", "Ok'", "X"];

fn ident_of(name: String) -> Ident {
    Ident { name, span: Span::default() }
}

/// A name spelled from the bits of `seed`: `first` then up to four more
/// characters from `rest`, primed if it came out a keyword. Cheaper than a
/// regex strategy, which matters in debug builds.
fn name_from(seed: u32, first: &[u8], rest: &[u8]) -> String {
    let mut name = String::new();
    name.push(first[seed as usize % first.len()] as char);
    let mut bits = seed / first.len() as u32;
    for _ in 0..bits % 5 {
        bits /= 5;
        name.push(rest[bits as usize % rest.len()] as char);
        bits /= rest.len() as u32;
    }
    if KEYWORDS.contains(&name.as_str()) {
        name.push('\'');
    }
    name
}

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NAME_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'";

/// A variable, field or type-variable name.
pub fn var_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(TRICKY_VARS).prop_map(str::to_owned),
        6 => any::<u32>().prop_map(|seed| name_from(seed, LOWER, NAME_CHARS)),
        1 => any::<u32>().prop_map(|seed| name_from(seed, b"_", NAME_CHARS)).prop_map(|name| {
            // `_` alone is the wildcard, not a name.
            if name == "_" { "_0".to_owned() } else { name }
        }),
    ]
}

/// A type or tag name.
pub fn con_name() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => select(TRICKY_CONS).prop_map(str::to_owned),
        2 => any::<u32>().prop_map(|seed| name_from(seed, UPPER, NAME_CHARS)),
    ]
}

pub fn var() -> impl Strategy<Value = Ident> {
    var_name().prop_map(ident_of)
}

pub fn con() -> impl Strategy<Value = Ident> {
    con_name().prop_map(ident_of)
}

// ------------------------------------------------------------ literals

/// A literal that may stand in a pattern: no strings.
pub fn pattern_lit() -> impl Strategy<Value = Lit> {
    prop_oneof![
        3 => (0u64..1000).prop_map(Lit::Int),
        1 => any::<u64>().prop_map(Lit::Int),
        1 => any::<bool>().prop_map(Lit::Bool),
        2 => any::<u8>().prop_map(Lit::Char),
    ]
}

pub fn lit() -> impl Strategy<Value = Lit> {
    prop_oneof![
        4 => pattern_lit(),
        1 => any::<String>().prop_map(Lit::String),
        1 => "[ -~]{0,8}".prop_map(Lit::String),
    ]
}

// ------------------------------------------------------------ types

fn mk_ty(kind: TypeKind) -> Type {
    Type::new(kind, Span::default())
}

fn field_set() -> impl Strategy<Value = FieldSet> {
    prop_oneof![
        1 => Just(FieldSet::All),
        3 => vec(var(), 1..4).prop_map(FieldSet::Some),
    ]
}

fn take_or_put() -> impl Strategy<Value = TakeOrPut> {
    prop_oneof![Just(TakeOrPut::Take), Just(TakeOrPut::Put)]
}

pub fn ty() -> BoxedStrategy<Type> {
    let leaf = prop_oneof![
        2 => var().prop_map(TypeKind::Var),
        3 => (con(), any::<bool>()).prop_map(|(name, unboxed)| TypeKind::Con { name, args: Vec::new(), unboxed }),
        1 => Just(TypeKind::Unit),
    ]
    .prop_map(mk_ty);
    leaf.prop_recursive(4, 24, 3, |inner| {
        let alt = (con(), vec(inner.clone(), 0..3)).prop_map(|(tag, args)| VariantAlt { tag, args });
        let field = (var(), inner.clone()).prop_map(|(name, ty)| FieldType { name, ty });
        prop_oneof![
            (con(), vec(inner.clone(), 1..3), any::<bool>()).prop_map(|(name, args, unboxed)| TypeKind::Con {
                name,
                args,
                unboxed
            }),
            vec(inner.clone(), 2..4).prop_map(TypeKind::Tuple),
            (vec(field, 1..4), any::<bool>()).prop_map(|(fields, boxed)| TypeKind::Record { fields, boxed }),
            vec(alt, 1..4).prop_map(TypeKind::Variant),
            (inner.clone(), take_or_put(), field_set()).prop_map(|(t, op, fields)| TypeKind::TakePut {
                ty: Box::new(t),
                op,
                fields
            }),
            inner.clone().prop_map(|t| TypeKind::Bang(Box::new(t))),
            (inner.clone(), inner).prop_map(|(a, b)| TypeKind::Fun(Box::new(a), Box::new(b))),
        ]
        .prop_map(mk_ty)
    })
    .boxed()
}

// ------------------------------------------------------------ patterns

fn mk_pat(kind: PatKind) -> Pat {
    Pat::new(kind, Span::default())
}

/// `f = p`, or half the time the pun `f` (stored as `f = f`).
fn field_pats(inner: BoxedStrategy<Pat>) -> impl Strategy<Value = Vec<FieldPat>> {
    let field = (var(), inner, any::<bool>()).prop_map(|(name, pat, pun)| {
        let pat = if pun { mk_pat(PatKind::Var(name.clone())) } else { pat };
        FieldPat { name, pat }
    });
    vec(field, 1..4)
}

pub fn pat() -> BoxedStrategy<Pat> {
    let leaf = prop_oneof![
        2 => Just(PatKind::Wildcard),
        4 => var().prop_map(PatKind::Var),
        2 => pattern_lit().prop_map(PatKind::Lit),
        1 => Just(PatKind::Unit),
        2 => con().prop_map(|tag| PatKind::Con { tag, args: Vec::new() }),
    ]
    .prop_map(mk_pat);
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 2..4).prop_map(PatKind::Tuple),
            (con(), vec(inner.clone(), 1..3)).prop_map(|(tag, args)| PatKind::Con { tag, args }),
            field_pats(inner.clone()).prop_map(PatKind::UnboxedRecord),
            (var(), field_pats(inner)).prop_map(|(record, fields)| PatKind::Take { record, fields }),
        ]
        .prop_map(mk_pat)
    })
    .boxed()
}

// ------------------------------------------------------------ expressions

fn mk_expr(kind: ExprKind) -> Expr {
    Expr::new(kind, Span::default())
}

fn bangs() -> impl Strategy<Value = Vec<Ident>> {
    prop_oneof![3 => Just(Vec::new()), 1 => vec(var(), 1..3)]
}

fn likelihood() -> impl Strategy<Value = Likelihood> {
    prop_oneof![Just(Likelihood::Regular), Just(Likelihood::Likely), Just(Likelihood::Unlikely)]
}

fn un_op() -> impl Strategy<Value = UnOp> {
    prop_oneof![Just(UnOp::Not), Just(UnOp::Complement)]
}

fn bin_op() -> impl Strategy<Value = BinOp> {
    select(BinOp::ALL.to_vec())
}

/// `f = e`, or a third of the time the pun `f` (stored as `f = f`).
fn field_exprs(inner: BoxedStrategy<Expr>) -> impl Strategy<Value = Vec<FieldExpr>> {
    let field = (var(), inner, any::<u8>()).prop_map(|(name, value, coin)| {
        let value = if coin % 3 == 0 { mk_expr(ExprKind::Var(name.clone())) } else { value };
        FieldExpr { name, value }
    });
    vec(field, 1..4)
}

fn type_args() -> impl Strategy<Value = Vec<Option<Type>>> {
    vec(prop::option::weighted(0.7, ty()), 1..3)
}

fn expr_leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        6 => var().prop_map(ExprKind::Var),
        1 => (var(), type_args()).prop_map(|(name, args)| ExprKind::TypeApp { name, args }),
        4 => lit().prop_map(ExprKind::Lit),
        1 => Just(ExprKind::Unit),
        3 => con().prop_map(|tag| ExprKind::Con { tag, args: Vec::new() }),
    ]
    .prop_map(mk_expr)
}

/// The forms that lay out over several lines: `let`, `if` and match.
fn layout_expr(inner: BoxedStrategy<Expr>) -> impl Strategy<Value = Expr> {
    let binding = (pat(), prop::option::weighted(0.3, ty()), inner.clone(), bangs())
        .prop_map(|(pat, ty, value, bangs)| Binding { pat, ty, value, bangs, span: Span::default() });
    let alt = (pat(), likelihood(), inner.clone()).prop_map(|(pat, likelihood, body)| Alt {
        pat,
        likelihood,
        body,
        span: Span::default(),
    });
    prop_oneof![
        (inner.clone(), bangs(), inner.clone(), inner.clone()).prop_map(|(cond, bangs, then, els)| ExprKind::If {
            cond: Box::new(cond),
            bangs,
            then: Box::new(then),
            els: Box::new(els)
        }),
        (vec(binding, 1..3), inner.clone())
            .prop_map(|(bindings, body)| ExprKind::Let { bindings, body: Box::new(body) }),
        (inner, bangs(), vec(alt, 1..4)).prop_map(|(scrutinee, bangs, alts)| ExprKind::Match {
            scrutinee: Box::new(scrutinee),
            bangs,
            alts
        }),
    ]
    .prop_map(mk_expr)
}

/// Two operators nested either way round, `(a op1 b) op2 c` or
/// `a op1 (b op2 c)`, often the same operator: random trees rarely put two
/// given operators next to each other, and precedence and associativity
/// are decided exactly there.
fn operator_pair(inner: BoxedStrategy<Expr>) -> impl Strategy<Value = ExprKind> {
    let binary = |op, a, b| mk_expr(ExprKind::Binary(op, Box::new(a), Box::new(b)));
    (bin_op(), prop_oneof![Just(None), bin_op().prop_map(Some)], any::<bool>(), inner.clone(), inner.clone(), inner)
        .prop_map(move |(outer, nested, left, a, b, c)| {
            let nested = nested.unwrap_or(outer);
            let e = if left { binary(outer, binary(nested, a, b), c) } else { binary(outer, a, binary(nested, b, c)) };
            e.kind
        })
}

fn operator_expr(inner: BoxedStrategy<Expr>) -> impl Strategy<Value = Expr> {
    prop_oneof![
        3 => (bin_op(), inner.clone(), inner.clone())
            .prop_map(|(op, a, b)| ExprKind::Binary(op, Box::new(a), Box::new(b))),
        2 => operator_pair(inner.clone()),
        3 => (inner.clone(), inner.clone()).prop_map(|(f, x)| ExprKind::App(Box::new(f), Box::new(x))),
        2 => (con(), vec(inner.clone(), 1..4)).prop_map(|(tag, args)| ExprKind::Con { tag, args }),
        1 => (un_op(), inner.clone()).prop_map(|(op, e)| ExprKind::Unary(op, Box::new(e))),
        1 => inner.clone().prop_map(|e| ExprKind::Upcast(Box::new(e))),
        2 => (inner.clone(), var()).prop_map(|(e, f)| ExprKind::Member(Box::new(e), f)),
        1 => (inner.clone(), field_exprs(inner.clone())).prop_map(|(e, fs)| ExprKind::Put(Box::new(e), fs)),
        1 => vec(inner.clone(), 2..4).prop_map(ExprKind::Tuple),
        1 => field_exprs(inner.clone()).prop_map(ExprKind::UnboxedRecord),
        1 => (inner, ty()).prop_map(|(e, t)| ExprKind::Annot(Box::new(e), Box::new(t))),
    ]
    .prop_map(mk_expr)
}

pub fn expr() -> BoxedStrategy<Expr> {
    expr_leaf()
        .prop_recursive(5, 48, 3, |inner| {
            prop_oneof![
                3 => operator_expr(inner.clone()),
                1 => layout_expr(inner),
            ]
        })
        .boxed()
}

// ------------------------------------------------------------ items

fn mk_item(kind: ItemKind) -> Item {
    Item { kind, span: Span::default() }
}

fn kind_bound() -> impl Strategy<Value = Option<KindBound>> {
    let bound = (any::<bool>(), any::<bool>(), any::<bool>())
        .prop_filter("a kind bound has at least one letter", |&(d, s, e)| d || s || e)
        .prop_map(|(discard, share, escape)| KindBound { discard, share, escape, span: Span::default() });
    prop::option::of(bound)
}

pub fn scheme() -> impl Strategy<Value = Scheme> {
    let binder = (var(), kind_bound()).prop_map(|(name, kind)| TyVarBinder { name, kind });
    (vec(binder, 0..3), ty()).prop_map(|(vars, ty)| Scheme { vars, ty })
}

pub fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        1 => prop_oneof![any::<String>(), "[a-z/_.]{1,12}"].prop_map(|path| ItemKind::Include { path }),
        2 => (con(), vec(var(), 0..3), ty()).prop_map(|(name, params, body)| ItemKind::TypeSynonym { name, params, body }),
        1 => (con(), vec(var(), 0..3)).prop_map(|(name, params)| ItemKind::AbstractType { name, params }),
        2 => (var(), scheme()).prop_map(|(name, scheme)| ItemKind::Signature { name, scheme }),
        4 => (var(), prop::option::of(pat()), expr())
            .prop_map(|(name, param, body)| ItemKind::Definition { name, param, body }),
    ]
    .prop_map(mk_item)
}

/// A signature followed by the definition of the same name, which the
/// printer keeps together without a blank line.
fn signed_definition() -> impl Strategy<Value = Vec<Item>> {
    (var(), scheme(), prop::option::of(pat()), expr()).prop_map(|(name, scheme, param, body)| {
        vec![
            mk_item(ItemKind::Signature { name: name.clone(), scheme }),
            mk_item(ItemKind::Definition { name, param, body }),
        ]
    })
}

pub fn module() -> impl Strategy<Value = Module> {
    let group = prop_oneof![3 => item().prop_map(|i| vec![i]), 1 => signed_definition()];
    vec(group, 0..6).prop_map(|groups| Module { items: groups.into_iter().flatten().collect() })
}
