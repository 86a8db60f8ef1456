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
    if let (Value::Bool(x), Value::Bool(y)) = (a, b) {
        return Some(Value::Bool(match op {
            BinOp::And => *x && *y,
            BinOp::Or => *x || *y,
            BinOp::Eq => x == y,
            BinOp::Ne => x != y,
            _ => return None,
        }));
    }
    let (Value::Word { bits, value: x }, Value::Word { value: y, .. }) = (a, b) else { return None };
    let (bits, x, y) = (*bits, *x, *y);
    let word = |v: u64| Some(Value::Word { bits, value: truncate(bits, v) });
    let shift = |f: fn(u64, u32) -> u64| word(if y >= u64::from(bits) { 0 } else { f(x, y as u32) });
    match op {
        BinOp::Add => word(x.wrapping_add(y)),
        BinOp::Sub => word(x.wrapping_sub(y)),
        BinOp::Mul => word(x.wrapping_mul(y)),
        BinOp::Div => word(x.checked_div(y).unwrap_or(0)),
        BinOp::Mod => word(x.checked_rem(y).unwrap_or(0)),
        BinOp::BitAnd => word(x & y),
        BinOp::BitOr => word(x | y),
        BinOp::BitXor => word(x ^ y),
        BinOp::Shl => shift(|x, s| x << s),
        BinOp::Shr => shift(|x, s| x >> s),
        BinOp::Eq => Some(Value::Bool(x == y)),
        BinOp::Ne => Some(Value::Bool(x != y)),
        BinOp::Lt => Some(Value::Bool(x < y)),
        BinOp::Gt => Some(Value::Bool(x > y)),
        BinOp::Le => Some(Value::Bool(x <= y)),
        BinOp::Ge => Some(Value::Bool(x >= y)),
        BinOp::And | BinOp::Or => None,
    }
}
