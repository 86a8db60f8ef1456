//! Integer arithmetic shared by the checker (constant folding) and the
//! decoder: 64-bit unsigned, with overflow, division by zero and oversized
//! shifts reported rather than wrapped. Comparisons and logic give 0 or 1.

use crate::syntax::ast::{BinOp, UnOp};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithError {
    Overflow,
    DivisionByZero,
}

impl std::fmt::Display for ArithError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArithError::Overflow => f.write_str("arithmetic overflow"),
            ArithError::DivisionByZero => f.write_str("division by zero"),
        }
    }
}

pub fn binary(op: BinOp, a: u64, b: u64) -> Result<u64, ArithError> {
    use BinOp::*;
    let flag = |c: bool| Ok(u64::from(c));
    match op {
        Or => flag(a != 0 || b != 0),
        And => flag(a != 0 && b != 0),
        Eq => flag(a == b),
        Ne => flag(a != b),
        Lt => flag(a < b),
        Le => flag(a <= b),
        Gt => flag(a > b),
        Ge => flag(a >= b),
        BitOr => Ok(a | b),
        BitXor => Ok(a ^ b),
        BitAnd => Ok(a & b),
        Shl => {
            let shift = u32::try_from(b).ok().filter(|s| *s < 64).ok_or(ArithError::Overflow)?;
            let out = a << shift;
            if out >> shift == a {
                Ok(out)
            } else {
                Err(ArithError::Overflow)
            }
        }
        Shr => Ok(u32::try_from(b).ok().and_then(|s| a.checked_shr(s)).unwrap_or(0)),
        Add => a.checked_add(b).ok_or(ArithError::Overflow),
        Sub => a.checked_sub(b).ok_or(ArithError::Overflow),
        Mul => a.checked_mul(b).ok_or(ArithError::Overflow),
        Div => a.checked_div(b).ok_or(ArithError::DivisionByZero),
        Rem => a.checked_rem(b).ok_or(ArithError::DivisionByZero),
    }
}

pub fn unary(op: UnOp, a: u64) -> Result<u64, ArithError> {
    match op {
        UnOp::Not => Ok(u64::from(a == 0)),
        UnOp::Complement => Ok(!a),
        UnOp::Neg => {
            if a == 0 {
                Ok(0)
            } else {
                Err(ArithError::Overflow)
            }
        }
    }
}

/// The built-in functions: `div_ceil(a, b)`, `min(a, b)`, `max(a, b)`.
pub fn builtin(name: &str, args: &[u64]) -> Option<Result<u64, ArithError>> {
    match (name, args) {
        ("div_ceil", [a, b]) => Some(if *b == 0 { Err(ArithError::DivisionByZero) } else { Ok(a.div_ceil(*b)) }),
        ("min", [a, b]) => Some(Ok(*a.min(b))),
        ("max", [a, b]) => Some(Ok(*a.max(b))),
        ("is_power", [x, b]) => Some(Ok(u64::from(is_power(*x, *b)))),
        _ => None,
    }
}

pub const BUILTINS: &[(&str, usize)] = &[("div_ceil", 2), ("min", 2), ("max", 2), ("is_power", 2)];

/// Whether `x` is `b` to some power `k >= 0` (so 1 always is).
fn is_power(x: u64, b: u64) -> bool {
    if b < 2 {
        return x == 1 || x == b;
    }
    let mut p = 1u64;
    while p < x {
        match p.checked_mul(b) {
            Some(next) => p = next,
            None => return false,
        }
    }
    p == x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_and_overflow() {
        assert_eq!(binary(BinOp::Shl, 1024, 2), Ok(4096));
        assert_eq!(binary(BinOp::Shl, 1024, 64), Err(ArithError::Overflow));
        assert_eq!(binary(BinOp::Shl, u64::MAX, 1), Err(ArithError::Overflow));
        assert_eq!(binary(BinOp::Shr, 5, 100), Ok(0));
        assert_eq!(binary(BinOp::Sub, 1, 2), Err(ArithError::Overflow));
        assert_eq!(binary(BinOp::Rem, 1, 0), Err(ArithError::DivisionByZero));
        assert_eq!(builtin("div_ceil", &[4095, 8192]), Some(Ok(1)));
        assert_eq!(unary(UnOp::Not, 3), Ok(0));
        let powers: Vec<u64> = (0..30).filter(|&x| builtin("is_power", &[x, 3]) == Some(Ok(1))).collect();
        assert_eq!(powers, [1, 3, 9, 27]);
        assert_eq!(builtin("is_power", &[u64::MAX, 7]), Some(Ok(0)));
        assert_eq!(builtin("is_power", &[5, 1]), Some(Ok(0)));
    }
}
