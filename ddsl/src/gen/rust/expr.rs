//! DDSL expressions as Rust expressions of type `Option<u64>` over the
//! helpers in the generated `arith` module (checked arithmetic: `None` is
//! overflow or division by zero, as in [`crate::eval`]).
//!
//! An expression may read integer fields of its own structure (bound by the
//! caller as locals `f_<name>`), their bits and flags, integer literals,
//! constants that fold without reading the image, and the built-ins.
//! Anything else (roots, `addr` conversions, indexing, `it`) is
//! [`Unsupported`].

use super::{FieldInfo, Unsupported};
use crate::check::{Checked, Global};
use crate::syntax::ast::*;
use std::collections::HashMap;

pub(crate) struct Env<'a> {
    pub checked: &'a Checked,
    /// The integer fields readable here, by name.
    pub fields: &'a HashMap<String, FieldInfo<'a>>,
    pub strukt: &'a str,
}

impl Env<'_> {
    fn unsupported(&self, what: impl Into<String>, expr: &Expr) -> Unsupported {
        Unsupported { what: what.into(), span: expr.span, strukt: self.strukt.to_string() }
    }

    /// The Rust expression (type `Option<u64>`) computing `expr`.
    pub fn rust(&self, expr: &Expr) -> Result<String, Unsupported> {
        self.translate(expr, 0, Lang::Rust)
    }

    /// The C expression (type `ddsl_v`, the generated C's checked value)
    /// computing `expr`. Its operations are functions of values that carry
    /// their own error, so evaluating both sides of `&&` and `||` gives the
    /// same result as Rust's short circuit.
    pub fn c(&self, expr: &Expr) -> Result<String, Unsupported> {
        self.translate(expr, 0, Lang::C)
    }

    fn translate(&self, expr: &Expr, depth: usize, lang: Lang) -> Result<String, Unsupported> {
        if depth > 64 {
            return Err(self.unsupported("expression nested too deeply", expr));
        }
        let sub = |e: &Expr| self.translate(e, depth + 1, lang);
        let call = |f: &str, args: &[String]| match lang {
            Lang::Rust => format!("arith::{f}({})", args.join(", ")),
            Lang::C => format!("ddsl_{f}({})", args.join(", ")),
        };
        Ok(match &expr.kind {
            ExprKind::Int(n) => lang.some(&format!("{n}u64"), &format!("UINT64_C({n})")),
            ExprKind::Name(name) => self.name(name, expr, depth, lang)?,
            ExprKind::It => return Err(self.unsupported("`it` outside a pointer", expr)),
            ExprKind::Member(base, member) => self.member(base, member, expr, lang)?,
            ExprKind::Index(..) => return Err(self.unsupported("indexing a root", expr)),
            ExprKind::Call(f, args) => {
                let arity_ok = crate::eval::BUILTINS.iter().any(|(n, a)| *n == f.name && *a == args.len());
                if !arity_ok {
                    return Err(self.unsupported(format!("call of `{}` (an address conversion)", f.name), expr));
                }
                let args: Result<Vec<_>, _> = args.iter().map(sub).collect();
                call(&f.name, &args?)
            }
            ExprKind::Unary(op, e) => {
                let f = match op {
                    UnOp::Not => "not",
                    UnOp::Complement => "complement",
                    UnOp::Neg => "neg",
                };
                call(f, &[sub(e)?])
            }
            ExprKind::Binary(op, a, b) => {
                let (a, b) = (sub(a)?, sub(b)?);
                match (op, lang) {
                    (BinOp::And, Lang::Rust) => format!("arith::and({a}, || {b})"),
                    (BinOp::Or, Lang::Rust) => format!("arith::or({a}, || {b})"),
                    (other, _) => call(binop_name(*other), &[a, b]),
                }
            }
        })
    }

    fn name(&self, name: &str, expr: &Expr, depth: usize, lang: Lang) -> Result<String, Unsupported> {
        if let Some(field) = self.fields.get(name) {
            let f = field.name;
            return Ok(lang.some(&format!("u64::from(f_{f})"), &format!("(uint64_t)f_{f}")));
        }
        match self.checked.global(name) {
            Some(Global::Const(c)) => {
                // Inlined: constants only use names defined above them, so
                // this terminates; one that reads a root is unsupported.
                let inner = Env { checked: self.checked, fields: &HashMap::new(), strukt: self.strukt };
                inner.translate(&c.value, depth + 1, lang).map_err(|mut e| {
                    e.what = format!("constant `{name}`, which reads the image ({})", e.what);
                    e.span = expr.span;
                    e
                })
            }
            Some(Global::Root(_)) => Err(self.unsupported(format!("a value read from root `{name}`"), expr)),
            _ => Err(self.unsupported(format!("`{name}`, which is not an integer field of this struct"), expr)),
        }
    }

    fn member(&self, base: &Expr, member: &Ident, expr: &Expr, lang: Lang) -> Result<String, Unsupported> {
        let ExprKind::Name(name) = &base.kind else {
            return Err(self.unsupported("a member of a computed value", expr));
        };
        let Some(field) = self.fields.get(name) else {
            return self.name(name, base, 0, lang).and(Err(self.unsupported(format!("member of `{name}`"), expr)));
        };
        match field.sub {
            SubFields::Bits(bits) => {
                let mut shift = 0;
                for bit in bits {
                    if bit.name.name == member.name {
                        let mask = if bit.width >= 64 { u64::MAX } else { (1u64 << bit.width) - 1 };
                        return Ok(lang.some(
                            &format!("(u64::from(f_{name}) >> {shift}) & {mask:#x}"),
                            &format!("((uint64_t)f_{name} >> {shift}) & UINT64_C({mask:#x})"),
                        ));
                    }
                    shift += bit.width;
                }
            }
            SubFields::Flags { flags, .. } => {
                if let Some(flag) = flags.iter().find(|f| f.name.name == member.name) {
                    let mask = flag.mask;
                    return Ok(lang.some(
                        &format!("u64::from(u64::from(f_{name}) & {mask:#x} == {mask:#x})"),
                        &format!("(uint64_t)(((uint64_t)f_{name} & UINT64_C({mask:#x})) == UINT64_C({mask:#x}))"),
                    ));
                }
            }
            SubFields::None => {}
        }
        Err(self.unsupported(format!("`{name}.{}`", member.name), expr))
    }
}

/// The language an expression is translated to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    Rust,
    C,
}

impl Lang {
    /// A known value: `rust` or `c` is its plain `u64` / `uint64_t` text.
    fn some(self, rust: &str, c: &str) -> String {
        match self {
            Lang::Rust => format!("Some({rust})"),
            Lang::C => format!("ddsl_some({c})"),
        }
    }
}

fn binop_name(op: BinOp) -> &'static str {
    match op {
        BinOp::Or => "or",
        BinOp::And => "and",
        BinOp::Eq => "eq",
        BinOp::Ne => "ne",
        BinOp::Lt => "lt",
        BinOp::Le => "le",
        BinOp::Gt => "gt",
        BinOp::Ge => "ge",
        BinOp::BitOr => "bitor",
        BinOp::BitXor => "bitxor",
        BinOp::BitAnd => "bitand",
        BinOp::Shl => "shl",
        BinOp::Shr => "shr",
        BinOp::Add => "add",
        BinOp::Sub => "sub",
        BinOp::Mul => "mul",
        BinOp::Div => "div",
        BinOp::Rem => "rem",
    }
}

/// The arithmetic the generated expressions call; the same semantics as
/// `crate::eval` (checked, comparisons give 0 or 1).
pub(super) const ARITH: &str = r#"
/// Checked 64-bit arithmetic for computed lengths, sizes, selectors and
/// asserts: `None` is overflow or division by zero, never a wrap or a panic.
#[allow(dead_code)]
mod arith {
    type V = Option<u64>;
    pub fn add(a: V, b: V) -> V { a?.checked_add(b?) }
    pub fn sub(a: V, b: V) -> V { a?.checked_sub(b?) }
    pub fn mul(a: V, b: V) -> V { a?.checked_mul(b?) }
    pub fn div(a: V, b: V) -> V { a?.checked_div(b?) }
    pub fn rem(a: V, b: V) -> V { a?.checked_rem(b?) }
    pub fn shl(a: V, b: V) -> V {
        let (a, b) = (a?, b?);
        let s = u32::try_from(b).ok().filter(|s| *s < 64)?;
        let out = a << s;
        if out >> s == a { Some(out) } else { None }
    }
    pub fn shr(a: V, b: V) -> V {
        let (a, b) = (a?, b?);
        Some(u32::try_from(b).ok().and_then(|s| a.checked_shr(s)).unwrap_or(0))
    }
    pub fn bitand(a: V, b: V) -> V { Some(a? & b?) }
    pub fn bitor(a: V, b: V) -> V { Some(a? | b?) }
    pub fn bitxor(a: V, b: V) -> V { Some(a? ^ b?) }
    pub fn eq(a: V, b: V) -> V { Some(u64::from(a? == b?)) }
    pub fn ne(a: V, b: V) -> V { Some(u64::from(a? != b?)) }
    pub fn lt(a: V, b: V) -> V { Some(u64::from(a? < b?)) }
    pub fn le(a: V, b: V) -> V { Some(u64::from(a? <= b?)) }
    pub fn gt(a: V, b: V) -> V { Some(u64::from(a? > b?)) }
    pub fn ge(a: V, b: V) -> V { Some(u64::from(a? >= b?)) }
    pub fn and(a: V, b: impl FnOnce() -> V) -> V {
        if a? == 0 { Some(0) } else { Some(u64::from(b()? != 0)) }
    }
    pub fn or(a: V, b: impl FnOnce() -> V) -> V {
        if a? != 0 { Some(1) } else { Some(u64::from(b()? != 0)) }
    }
    pub fn not(a: V) -> V { Some(u64::from(a? == 0)) }
    pub fn complement(a: V) -> V { Some(!a?) }
    pub fn neg(a: V) -> V { if a? == 0 { Some(0) } else { None } }
    pub fn div_ceil(a: V, b: V) -> V {
        let (a, b) = (a?, b?);
        if b == 0 { None } else { Some(a.div_ceil(b)) }
    }
    pub fn min(a: V, b: V) -> V { Some(a?.min(b?)) }
    pub fn max(a: V, b: V) -> V { Some(a?.max(b?)) }
    pub fn is_power(x: V, b: V) -> V {
        let (x, b) = (x?, b?);
        if b < 2 { return Some(u64::from(x == 1 || x == b)); }
        let mut p = 1u64;
        while p < x {
            match p.checked_mul(b) { Some(next) => p = next, None => return Some(0) }
        }
        Some(u64::from(p == x))
    }
}
"#;
