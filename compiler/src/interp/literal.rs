//! Arguments for `cdsl run --arg`, written in CDSL's literal syntax and read
//! at the entry function's parameter type.
//!
//! Literals are words, `True`/`False`, characters, strings, `()`, tuples,
//! unboxed records `#{f = 1}`, variant constructors (`Some 3`, `Error (2, 3)`)
//! and `(e : T)` annotations; `SysState` stands for the system state. Boxed
//! records and other abstract values cannot be written: they are made by the
//! program itself.

use crate::interp::record_in_declared_order;
use crate::source::SourceMap;
use crate::syntax::ast::{self, ExprKind, ItemKind, Lit};
use crate::syntax::parse_module;
use crate::typeck::types::{Prim, Ty};
use cdsl_runtime::Value;

/// Reads `text` as a value of type `ty`.
pub fn parse(text: &str, ty: &Ty) -> Result<Value, String> {
    let mut sources = SourceMap::new();
    let source = format!("argument =\n  {text}\n");
    let file = sources.add("--arg", source).map_err(|_| "argument too large".to_owned())?;
    let (module, errors) = parse_module(file, sources.text(file));
    if let Some(error) = errors.first() {
        return Err(format!("not a CDSL expression: {}", error.to_diagnostic().title));
    }
    match module.items.as_slice() {
        [ast::Item { kind: ItemKind::Definition { body, .. }, .. }] => value(body, ty),
        _ => Err("not a single CDSL expression".to_owned()),
    }
}

fn value(e: &ast::Expr, ty: &Ty) -> Result<Value, String> {
    let mismatch = || format!("`{}` is not a literal of type `{ty}`", crate::syntax::pretty::expr(e));
    Ok(match (&e.kind, ty) {
        (ExprKind::Annot(inner, _), _) => value(inner, ty)?,
        (ExprKind::Lit(Lit::Int(n)), Ty::Prim(p)) if p.is_word() => {
            if p.max_value().is_some_and(|max| *n > max) {
                return Err(format!("{n} does not fit in `{ty}`"));
            }
            Value::word(p.bits() as u8, *n)
        }
        (ExprKind::Lit(Lit::Char(c)), Ty::Prim(Prim::U8)) => Value::word(8, u64::from(*c)),
        (ExprKind::Lit(Lit::Bool(b)), Ty::Prim(Prim::Bool)) => Value::Bool(*b),
        (ExprKind::Lit(Lit::String(s)), Ty::Prim(Prim::String)) => Value::Str(s.as_str().into()),
        (ExprKind::Unit, Ty::Unit) => Value::Unit,
        (ExprKind::Tuple(items), Ty::Tuple(tys)) if items.len() == tys.len() => {
            Value::Tuple(items.iter().zip(tys.iter()).map(|(i, t)| value(i, t)).collect::<Result<Vec<_>, _>>()?.into())
        }
        (ExprKind::UnboxedRecord(fields), Ty::Record { fields: slots, boxed: false, .. }) => {
            if fields.len() != slots.len() {
                return Err(format!("`{ty}` needs exactly the fields {}", field_list(slots)));
            }
            let mut values = Vec::new();
            for field in fields {
                let slot = slots.iter().find(|(n, _)| *n == field.name.name).ok_or_else(mismatch)?;
                values.push((field.name.name.clone(), value(&field.value, &slot.1.ty)?));
            }
            record_in_declared_order(ty, values)
        }
        (ExprKind::Con { tag, args }, Ty::Variant(alts)) => {
            let payload_ty = alts.get(&tag.name).ok_or_else(mismatch)?;
            let payload = match (args.as_slice(), payload_ty) {
                ([], Ty::Unit) => Value::Unit,
                ([one], _) => value(one, payload_ty)?,
                (many, Ty::Tuple(tys)) if many.len() == tys.len() => Value::Tuple(
                    many.iter().zip(tys.iter()).map(|(a, t)| value(a, t)).collect::<Result<Vec<_>, _>>()?.into(),
                ),
                _ => return Err(mismatch()),
            };
            Value::variant(&tag.name, payload)
        }
        (ExprKind::Con { tag, args }, Ty::Abstract { name, .. })
            if tag.name == "SysState" && name == "SysState" && args.is_empty() =>
        {
            Value::SysState
        }
        _ => return Err(mismatch()),
    })
}

fn field_list(slots: &[(String, crate::typeck::types::Field)]) -> String {
    slots.iter().map(|(n, _)| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}
