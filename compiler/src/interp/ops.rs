//! What a value of each primitive operation is: literals, the word and
//! boolean operators, and the zero of a type. Both semantics agree on all of
//! these, and so do the backends (`docs/cdsl.md`, §Words).

use crate::syntax::ast::{BinOp, Lit, UnOp};
use crate::typeck::types::{Prim, Ty};
use cdsl_runtime::value::truncate;
use cdsl_runtime::Value;
use std::rc::Rc;

pub(super) fn word_bits(ty: &Ty) -> u8 {
    match ty {
        Ty::Prim(p) if p.is_word() => p.bits() as u8,
        _ => 64,
    }
}

pub(super) fn literal(lit: &Lit, ty: &Ty) -> Value {
    match lit {
        Lit::Int(n) => Value::word(word_bits(ty), *n),
        Lit::Bool(b) => Value::Bool(*b),
        Lit::Char(c) => Value::word(8, u64::from(*c)),
        Lit::String(s) => Value::Str(s.as_str().into()),
    }
}

/// The zero value of a type, for fresh word arrays.
pub(super) fn zero_of(ty: &Ty) -> Option<Value> {
    Some(match ty {
        Ty::Prim(Prim::Bool) => Value::Bool(false),
        Ty::Prim(Prim::String) => Value::Str("".into()),
        Ty::Prim(p) => Value::word(p.bits() as u8, 0),
        Ty::Unit => Value::Unit,
        Ty::Tuple(items) => Value::Tuple(items.iter().map(zero_of).collect::<Option<Vec<_>>>()?.into()),
        Ty::Record { fields, boxed: false, .. } => Value::Record(
            fields
                .iter()
                .map(|(n, f)| Some((Rc::from(n.as_str()), Some(zero_of(&f.ty)?))))
                .collect::<Option<Vec<_>>>()?
                .into(),
        ),
        Ty::Variant(alts) => {
            let (tag, payload) = alts.iter().next()?;
            Value::variant(tag, zero_of(payload)?)
        }
        _ => return None,
    })
}

/// Unboxed record values keep their type's field order, whatever order the
/// literal was written in, so that equal records are equal values.
pub fn record_in_declared_order(ty: &Ty, mut values: Vec<(String, Value)>) -> Value {
    if let Ty::Record { fields, .. } = ty {
        values.sort_by_key(|(name, _)| fields.iter().position(|(n, _)| n == name).unwrap_or(usize::MAX));
    }
    Value::Record(values.into_iter().map(|(n, v)| (Rc::from(n.as_str()), Some(v))).collect())
}

pub(super) fn unary(op: UnOp, a: &Value) -> Option<Value> {
    Some(match (op, a) {
        (UnOp::Not, Value::Bool(b)) => Value::Bool(!b),
        (UnOp::Complement, Value::Word { bits, value }) => Value::word(*bits, !value),
        _ => return None,
    })
}

/// Word arithmetic wraps; division and remainder by zero give zero; shifts
/// by the width or more give zero. `&&` and `||` evaluate both operands (a
/// skipped operand could hold a linear value's only use).
pub(super) fn binary(op: BinOp, a: &Value, b: &Value) -> Option<Value> {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => bool_op(op).map(|f| Value::Bool(f(*x, *y))),
        (Value::Word { bits, value: x }, Value::Word { value: y, .. }) => word_op(op).map(|f| f(*bits, *x, *y)),
        _ => None,
    }
}

fn bool_op(op: BinOp) -> Option<fn(bool, bool) -> bool> {
    Some(match op {
        BinOp::And => |x, y| x && y,
        BinOp::Or => |x, y| x || y,
        BinOp::Eq => |x, y| x == y,
        BinOp::Ne => |x, y| x != y,
        _ => return None,
    })
}

/// An operator on words of `bits` bits, chosen once per operator (the
/// compiled interpreter picks it when it compiles the operation).
pub(super) type WordOp = fn(u8, u64, u64) -> Value;

pub(super) fn word_op(op: BinOp) -> Option<WordOp> {
    fn word(bits: u8, v: u64) -> Value {
        Value::Word { bits, value: truncate(bits, v) }
    }
    fn shift(bits: u8, x: u64, y: u64, f: fn(u64, u32) -> u64) -> Value {
        word(bits, if y >= u64::from(bits) { 0 } else { f(x, y as u32) })
    }
    Some(match op {
        BinOp::Add => |b, x, y| word(b, x.wrapping_add(y)),
        BinOp::Sub => |b, x, y| word(b, x.wrapping_sub(y)),
        BinOp::Mul => |b, x, y| word(b, x.wrapping_mul(y)),
        BinOp::Div => |b, x, y| word(b, x.checked_div(y).unwrap_or(0)),
        BinOp::Mod => |b, x, y| word(b, x.checked_rem(y).unwrap_or(0)),
        BinOp::BitAnd => |b, x, y| word(b, x & y),
        BinOp::BitOr => |b, x, y| word(b, x | y),
        BinOp::BitXor => |b, x, y| word(b, x ^ y),
        BinOp::Shl => |b, x, y| shift(b, x, y, |x, s| x << s),
        BinOp::Shr => |b, x, y| shift(b, x, y, |x, s| x >> s),
        BinOp::Eq => |_, x, y| Value::Bool(x == y),
        BinOp::Ne => |_, x, y| Value::Bool(x != y),
        BinOp::Lt => |_, x, y| Value::Bool(x < y),
        BinOp::Gt => |_, x, y| Value::Bool(x > y),
        BinOp::Le => |_, x, y| Value::Bool(x <= y),
        BinOp::Ge => |_, x, y| Value::Bool(x >= y),
        BinOp::And | BinOp::Or => return None,
    })
}
