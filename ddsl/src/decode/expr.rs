//! Evaluating layout expressions against decoded values: the fields of the
//! structure being decoded, the roots decoded so far, constants, `it`, and
//! the parameter of an address conversion.

use super::{Decoder, Value};
use crate::check::Global;
use crate::eval::{self, ArithError};
use crate::syntax::ast::*;
use std::fmt;

/// Why an expression has no value on this image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvalError {
    Arith(ArithError),
    /// A field or root that could not be read.
    Missing {
        name: String,
    },
    /// A root used before it was decoded (or that failed to decode).
    NotDecoded {
        name: String,
    },
    /// `u.arm` where the `select` chose another arm.
    NotSelected {
        arm: String,
        selected: String,
    },
    IndexOutOfRange {
        index: u64,
        len: u64,
    },
    /// Cannot happen on a checked layout; reported rather than panicking.
    Unknown {
        name: String,
    },
    NotANumber,
    TooDeep,
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::Arith(e) => write!(f, "{e}"),
            EvalError::Missing { name } => write!(f, "`{name}` could not be read"),
            EvalError::NotDecoded { name } => write!(f, "`{name}` is not decoded yet"),
            EvalError::NotSelected { arm, selected } => write!(f, "arm `{arm}` is not selected (`{selected}` is)"),
            EvalError::IndexOutOfRange { index, len } => write!(f, "index {index} out of range (length {len})"),
            EvalError::Unknown { name } => write!(f, "`{name}` is not defined"),
            EvalError::NotANumber => f.write_str("not a number"),
            EvalError::TooDeep => f.write_str("expression nested too deeply"),
        }
    }
}

impl From<ArithError> for EvalError {
    fn from(e: ArithError) -> EvalError {
        EvalError::Arith(e)
    }
}

/// What an expression may read.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'c, 'a> {
    pub fields: &'c [(String, Value)],
    pub def: Option<&'a StructDef>,
    pub it: Option<u64>,
    pub param: Option<(&'a str, u64)>,
}

impl<'c, 'a> Ctx<'c, 'a> {
    pub fn global() -> Ctx<'c, 'a> {
        Ctx { fields: &[], def: None, it: None, param: None }
    }

    pub fn fields(fields: &'c [(String, Value)], def: &'a StructDef) -> Ctx<'c, 'a> {
        Ctx { fields, def: Some(def), it: None, param: None }
    }
}

/// A value with the type that says how to read its members.
enum Ev<'v, 'a> {
    Num(u64),
    Place(&'v Value, &'a Type),
}

const MAX_EVAL_DEPTH: u32 = 64;

impl<'a> Decoder<'a> {
    pub(crate) fn eval(&self, expr: &'a Expr, ctx: &Ctx<'_, 'a>) -> Result<u64, EvalError> {
        self.eval_at(expr, ctx, 0)
    }

    /// Applies the address conversion `name` to `n`.
    pub(crate) fn call_addr(&self, name: &str, n: u64) -> Result<u64, EvalError> {
        self.call_addr_at(name, n, 0)
    }

    fn call_addr_at(&self, name: &str, n: u64, depth: u32) -> Result<u64, EvalError> {
        match super::global(self.layout, name) {
            Some(Global::Addr(a)) => {
                let ctx = Ctx { param: Some((a.param.name.as_str(), n)), ..Ctx::global() };
                self.eval_at(&a.body, &ctx, depth + 1)
            }
            _ => Err(EvalError::Unknown { name: name.to_owned() }),
        }
    }

    fn eval_at(&self, expr: &'a Expr, ctx: &Ctx<'_, 'a>, depth: u32) -> Result<u64, EvalError> {
        match self.place(expr, ctx, depth)? {
            Ev::Num(n) => Ok(n),
            Ev::Place(value, _) => number(value, expr),
        }
    }

    fn place<'v>(&'v self, expr: &'a Expr, ctx: &Ctx<'v, 'a>, depth: u32) -> Result<Ev<'v, 'a>, EvalError> {
        if depth > MAX_EVAL_DEPTH {
            return Err(EvalError::TooDeep);
        }
        let depth = depth + 1;
        Ok(match &expr.kind {
            ExprKind::Int(n) => Ev::Num(*n),
            ExprKind::It => Ev::Num(ctx.it.ok_or(EvalError::Unknown { name: "it".to_owned() })?),
            ExprKind::Name(name) => self.name(name, ctx, depth)?,
            ExprKind::Member(base, field) => match self.place(base, ctx, depth)? {
                Ev::Num(_) => return Err(EvalError::NotANumber),
                Ev::Place(value, ty) => self.member(value, ty, &field.name)?,
            },
            ExprKind::Index(base, index) => {
                let i = self.eval_at(index, ctx, depth)?;
                match self.place(base, ctx, depth)? {
                    Ev::Place(value, Type { kind: TypeKind::Array { elem, .. }, .. }) => index_value(value, elem, i)?,
                    _ => return Err(EvalError::NotANumber),
                }
            }
            ExprKind::Call(function, args) => {
                let values = args.iter().map(|a| self.eval_at(a, ctx, depth)).collect::<Result<Vec<_>, _>>()?;
                match eval::builtin(&function.name, &values) {
                    Some(result) => Ev::Num(result?),
                    None => match values.as_slice() {
                        [n] => Ev::Num(self.call_addr_at(&function.name, *n, depth)?),
                        _ => return Err(EvalError::Unknown { name: function.name.clone() }),
                    },
                }
            }
            ExprKind::Unary(op, e) => Ev::Num(eval::unary(*op, self.eval_at(e, ctx, depth)?)?),
            ExprKind::Binary(op, a, b) => {
                let a = self.eval_at(a, ctx, depth)?;
                // `&&` and `||` do not read their right side when the left decides.
                match (op, a) {
                    (BinOp::And, 0) => Ev::Num(0),
                    (BinOp::Or, a) if a != 0 => Ev::Num(1),
                    _ => Ev::Num(eval::binary(*op, a, self.eval_at(b, ctx, depth)?)?),
                }
            }
        })
    }

    fn name<'v>(&'v self, name: &str, ctx: &Ctx<'v, 'a>, depth: u32) -> Result<Ev<'v, 'a>, EvalError> {
        if let Some(def) = ctx.def {
            if let Some(field) = field_def(def, name) {
                return match ctx.fields.iter().find(|(n, _)| n == name) {
                    Some((_, Value::Missing)) | None => Err(EvalError::Missing { name: name.to_owned() }),
                    Some((_, value)) => Ok(Ev::Place(value, &field.ty)),
                };
            }
        }
        if let Some((param, n)) = ctx.param {
            if param == name {
                return Ok(Ev::Num(n));
            }
        }
        match super::global(self.layout, name) {
            Some(Global::Const(c)) => Ok(Ev::Num(self.eval_at(&c.value, &Ctx::global(), depth)?)),
            Some(Global::Root(r)) => match self.roots.get(name) {
                Some(Value::Missing) | None => Err(EvalError::NotDecoded { name: name.to_owned() }),
                Some(value) => Ok(Ev::Place(value, &r.ty)),
            },
            Some(Global::Addr(_)) => Err(EvalError::NotANumber),
            None => Err(EvalError::Unknown { name: name.to_owned() }),
        }
    }

    fn member<'v>(&'v self, value: &'v Value, ty: &'a Type, field: &str) -> Result<Ev<'v, 'a>, EvalError> {
        let missing = || EvalError::Missing { name: field.to_owned() };
        match (&ty.kind, value) {
            (TypeKind::Named(name), Value::Struct(s)) => {
                let def = self.layout.struct_def(&name.name).ok_or(EvalError::Unknown { name: name.name.clone() })?;
                let field_ty = &field_def(def, field).ok_or_else(missing)?.ty;
                match s.field(field) {
                    Some(Value::Missing) | None => Err(missing()),
                    Some(v) => Ok(Ev::Place(v, field_ty)),
                }
            }
            (TypeKind::Int { sub: SubFields::Bits(bits), .. }, v) => {
                let raw = v.as_int().ok_or_else(missing)?;
                let mut shift = 0u64;
                for bit in bits {
                    if bit.name.name == field {
                        let shifted = u32::try_from(shift).ok().and_then(|s| raw.checked_shr(s)).unwrap_or(0);
                        let mask = if bit.width >= 64 { u64::MAX } else { (1u64 << bit.width) - 1 };
                        return Ok(Ev::Num(shifted & mask));
                    }
                    shift = shift.saturating_add(bit.width);
                }
                Err(missing())
            }
            (TypeKind::Int { sub: SubFields::Flags { flags, .. }, .. }, v) => {
                let raw = v.as_int().ok_or_else(missing)?;
                let flag = flags.iter().find(|f| f.name.name == field).ok_or_else(missing)?;
                Ok(Ev::Num(u64::from(raw & flag.mask == flag.mask)))
            }
            (TypeKind::Select { arms, .. }, Value::Variant { arm, value }) => {
                if arm != field {
                    return Err(EvalError::NotSelected { arm: field.to_owned(), selected: arm.clone() });
                }
                let arm_def = arms.iter().find(|a| a.name.name == field).ok_or_else(missing)?;
                Ok(Ev::Place(value, &arm_def.ty))
            }
            _ => Err(missing()),
        }
    }
}

fn field_def<'a>(def: &'a StructDef, name: &str) -> Option<&'a Field> {
    def.members.iter().find_map(|m| match m {
        Member::Field(f) if f.name.name == name => Some(&**f),
        _ => None,
    })
}

fn index_value<'v, 'a>(value: &'v Value, elem: &'a Type, i: u64) -> Result<Ev<'v, 'a>, EvalError> {
    let at = usize::try_from(i).ok();
    match value {
        Value::Bytes(bytes) => at
            .and_then(|i| bytes.get(i))
            .map(|b| Ev::Num(u64::from(*b)))
            .ok_or(EvalError::IndexOutOfRange { index: i, len: bytes.len() as u64 }),
        Value::Array(items) => at
            .and_then(|i| items.get(i))
            .map(|v| Ev::Place(v, elem))
            .ok_or(EvalError::IndexOutOfRange { index: i, len: items.len() as u64 }),
        _ => Err(EvalError::NotANumber),
    }
}

fn number(value: &Value, expr: &Expr) -> Result<u64, EvalError> {
    match value {
        Value::Missing => {
            let name = match &expr.kind {
                ExprKind::Name(n) => n.clone(),
                ExprKind::Member(_, f) => f.name.clone(),
                _ => "value".to_owned(),
            };
            Err(EvalError::Missing { name })
        }
        other => other.as_int().ok_or(EvalError::NotANumber),
    }
}
