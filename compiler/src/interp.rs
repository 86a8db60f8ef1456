//! The interpreters: one evaluator of the core IR, two semantics.
//!
//! The evaluator is written once; where the semantics differ — boxed
//! records and word arrays — it asks a [`Store`]: a [`ValueStore`] gives the
//! pure value semantics, a [`Heap`] the update semantics with in-place
//! `put`, explicit frees, and a check on every access. `engines::run_both`
//! runs the two and checks their correspondence at every call.
//!
//! [`ValueStore`]: cdsl_runtime::ValueStore
//! [`Heap`]: cdsl_runtime::Heap

pub mod engines;
pub mod literal;

use crate::core::ir::{self, Expr, ExprKind};
use crate::syntax::ast::{BinOp, Lit, UnOp};
use crate::typeck::types::{Prim, Ty};
use cdsl_runtime::library::{Callback, Context};
use cdsl_runtime::value::truncate;
use cdsl_runtime::{Library, RuntimeError, Store, Value};
use std::fmt;
use std::rc::Rc;

/// What went wrong while running, and in which call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunError {
    pub message: String,
    /// Function instances from the entry point to where it happened.
    pub path: Vec<String>,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (in {})", self.message, self.path.join(" → "))
    }
}

/// One call as the correspondence check sees it: argument and result read
/// back as values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub path: Vec<String>,
    pub arg: Value,
    pub result: Value,
}

/// Evaluation steps allowed by default: far more than any test needs, few
/// enough that a huge bounded loop ends with an error, not a hang.
pub const DEFAULT_FUEL: u64 = 200_000_000;

pub struct Interpreter<'p> {
    program: &'p ir::Program,
    library: &'p Library,
    path: Vec<String>,
    /// Calls recorded, when tracing.
    pub trace: Option<Vec<Call>>,
    fuel: u64,
}

type Env = Vec<(Rc<str>, Value)>;

impl<'p> Interpreter<'p> {
    pub fn new(program: &'p ir::Program, library: &'p Library) -> Self {
        Interpreter { program, library, path: Vec::new(), trace: None, fuel: DEFAULT_FUEL }
    }

    pub fn with_fuel(mut self, fuel: u64) -> Self {
        self.fuel = fuel;
        self
    }

    fn error(&self, message: impl Into<String>) -> RunError {
        RunError { message: message.into(), path: self.path.clone() }
    }

    /// Calls a function instance.
    pub fn call(&mut self, name: &str, arg: Value, store: &mut dyn Store) -> Result<Value, RunError> {
        let function =
            self.program.functions.get(name).ok_or_else(|| self.error(format!("no function instance `{name}`")))?;
        self.path.push(name.to_owned());
        let traced_arg = match self.trace {
            Some(_) => Some(store.read_back(&arg).map_err(|f| self.error(f.to_string()))?),
            None => None,
        };
        let result = match &function.body {
            Some(body) => {
                let mut env: Env = Vec::new();
                if let Some((param, _)) = &function.param {
                    env.push((param.as_str().into(), arg));
                }
                self.eval(body, &mut env, store)
            }
            None => self.call_abstract(function, arg, store),
        }?;
        if let (Some(arg), Some(_)) = (traced_arg, &self.trace) {
            let result = store.read_back(&result).map_err(|f| self.error(f.to_string()))?;
            let call = Call { path: self.path.clone(), arg, result };
            if let Some(trace) = self.trace.as_mut() {
                trace.push(call);
            }
        }
        self.path.pop();
        Ok(result)
    }

    fn call_abstract(&mut self, function: &ir::Function, arg: Value, store: &mut dyn Store) -> Result<Value, RunError> {
        let param = function.param.as_ref().map(|(_, t)| t);
        if let Some(fields) = allocates(param, &function.result) {
            let record = store.alloc_record(&fields);
            return Ok(Value::variant("Success", Value::tuple(vec![arg, record])));
        }
        if frees(param, &function.result) {
            let Value::Tuple(items) = &arg else { return Err(self.error(format!("`{}` got {arg}", function.name))) };
            store.free(&items[1]).map_err(|f| self.error(f.to_string()))?;
            return Ok(items[0].clone());
        }
        let implementation = self
            .library
            .get(&function.source_name)
            .ok_or_else(|| self.error(RuntimeError::Unimplemented(function.source_name.clone()).to_string()))?;
        let zero = function.type_args.first().and_then(zero_of);
        let mut context = Context { zero, store, callback: self };
        let result = implementation(&function.source_name, arg, &mut context);
        result.map_err(|e| self.error(e.to_string()))
    }

    fn eval(&mut self, e: &Expr, env: &mut Env, store: &mut dyn Store) -> Result<Value, RunError> {
        self.fuel = self.fuel.checked_sub(1).ok_or_else(|| self.error("out of fuel: the run took too many steps"))?;
        Ok(match &e.kind {
            ExprKind::Var(x) => lookup(env, x).ok_or_else(|| self.error(format!("bug: unbound variable `{x}`")))?,
            ExprKind::Global(name) => {
                let function = self
                    .program
                    .functions
                    .get(name)
                    .ok_or_else(|| self.error(format!("no function instance `{name}`")))?;
                if function.param.is_some() {
                    Value::Function(name.as_str().into())
                } else {
                    self.call(name, Value::Unit, store)?
                }
            }
            ExprKind::Lit(lit) => literal(lit, &e.ty),
            ExprKind::Unit => Value::Unit,
            ExprKind::Tuple(items) => {
                Value::Tuple(items.iter().map(|i| self.eval(i, env, store)).collect::<Result<Vec<_>, _>>()?.into())
            }
            ExprKind::Struct(fields) => {
                let mut values = Vec::new();
                for (name, value) in fields {
                    values.push((name.clone(), self.eval(value, env, store)?));
                }
                record_in_declared_order(&e.ty, values)
            }
            ExprKind::Con { tag, payload } => Value::variant(tag, self.eval(payload, env, store)?),
            ExprKind::App(f, a) => {
                let f = self.eval(f, env, store)?;
                let a = self.eval(a, env, store)?;
                let Value::Function(name) = f else { return Err(self.error(format!("bug: applying {f}"))) };
                self.call(&name, a, store)?
            }
            ExprKind::Unary(op, a) => {
                let a = self.eval(a, env, store)?;
                unary(*op, &a).ok_or_else(|| self.error(format!("bug: {} of {a}", op.keyword())))?
            }
            ExprKind::Binary(op, a, b) => {
                let (a, b) = (self.eval(a, env, store)?, self.eval(b, env, store)?);
                binary(*op, &a, &b).ok_or_else(|| self.error(format!("bug: {a} {} {b}", op.symbol())))?
            }
            ExprKind::Upcast(a) => {
                let value =
                    self.eval(a, env, store)?.as_word().ok_or_else(|| self.error("bug: upcast of a non-word"))?;
                Value::word(word_bits(&e.ty), value)
            }
            ExprKind::If { cond, then, els } => {
                let c =
                    self.eval(cond, env, store)?.as_bool().ok_or_else(|| self.error("bug: a non-Bool condition"))?;
                self.eval(if c { then } else { els }, env, store)?
            }
            ExprKind::Let { var, value, body } | ExprKind::LetBang { var, value, body, .. } => {
                let value = self.eval(value, env, store)?;
                self.scoped(env, vec![(var.as_str().into(), value)], body, store)?
            }
            ExprKind::Split { vars, value, body } => {
                let value = self.eval(value, env, store)?;
                let Value::Tuple(items) = &value else { return Err(self.error(format!("bug: splitting {value}"))) };
                let bound = vars.iter().map(|v| Rc::from(v.as_str())).zip(items.iter().cloned()).collect();
                self.scoped(env, bound, body, store)?
            }
            ExprKind::Case { scrutinee, arms } => {
                let value = lookup(env, scrutinee).ok_or_else(|| self.error(format!("bug: unbound `{scrutinee}`")))?;
                let Value::Variant(tag, payload) = &value else {
                    return Err(self.error(format!("bug: case on {value}")));
                };
                let arm = arms
                    .iter()
                    .find(|arm| *arm.tag == **tag)
                    .ok_or_else(|| self.error(format!("bug: no arm for `{tag}`")))?;
                self.scoped(env, vec![(arm.payload.as_str().into(), (**payload).clone())], &arm.body, store)?
            }
            ExprKind::Member(record, field) => {
                let record = self.eval(record, env, store)?;
                store.member(&record, field).map_err(|f| self.error(f.to_string()))?
            }
            ExprKind::Take { record, field, var, rest, body } => {
                let record = self.eval(record, env, store)?;
                let (value, remaining) = store.take(record, field).map_err(|f| self.error(f.to_string()))?;
                self.scoped(env, vec![(var.as_str().into(), value), (rest.as_str().into(), remaining)], body, store)?
            }
            ExprKind::Put { record, field, value } => {
                let record = self.eval(record, env, store)?;
                let value = self.eval(value, env, store)?;
                store.put(record, field, value).map_err(|f| self.error(f.to_string()))?
            }
        })
    }

    fn scoped(
        &mut self,
        env: &mut Env,
        bound: Vec<(Rc<str>, Value)>,
        body: &Expr,
        store: &mut dyn Store,
    ) -> Result<Value, RunError> {
        let mark = env.len();
        env.extend(bound);
        let result = self.eval(body, env, store);
        env.truncate(mark);
        result
    }
}

impl Callback for Interpreter<'_> {
    fn call(&mut self, function: &Value, arg: Value, store: &mut dyn Store) -> Result<Value, RuntimeError> {
        let Value::Function(name) = function else {
            return Err(RuntimeError::Nested(format!("bug: calling {function}")));
        };
        Interpreter::call(self, name, arg, store).map_err(|e| RuntimeError::Nested(e.to_string()))
    }
}

fn lookup(env: &Env, name: &str) -> Option<Value> {
    env.iter().rev().find(|(n, _)| &**n == name).map(|(_, v)| v.clone())
}

/// The field names of a boxed record type with every field taken.
fn all_taken_boxed(ty: &Ty) -> Option<Vec<Rc<str>>> {
    match ty {
        Ty::Record { fields, boxed: true, read_only: false } if fields.iter().all(|(_, f)| f.taken) => {
            Some(fields.iter().map(|(n, _)| Rc::from(n.as_str())).collect())
        }
        _ => None,
    }
}

/// `SysState -> R (SysState, T take (..)) SysState`: an allocator.
fn allocates(param: Option<&Ty>, result: &Ty) -> Option<Vec<Rc<str>>> {
    let (Some(Ty::Abstract { name, .. }), Ty::Variant(alts)) = (param, result) else { return None };
    let Some(Ty::Tuple(items)) = alts.get("Success") else { return None };
    if name != "SysState" || alts.len() != 2 || items.len() != 2 {
        return None;
    }
    all_taken_boxed(&items[1])
}

/// `(SysState, T take (..)) -> SysState`: a deallocator.
fn frees(param: Option<&Ty>, result: &Ty) -> bool {
    let (Some(Ty::Tuple(items)), Ty::Abstract { name, .. }) = (param, result) else { return false };
    name == "SysState" && items.len() == 2 && all_taken_boxed(&items[1]).is_some()
}

/// The zero value of a type, for fresh word arrays.
fn zero_of(ty: &Ty) -> Option<Value> {
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

fn word_bits(ty: &Ty) -> u8 {
    match ty {
        Ty::Prim(p) if p.is_word() => p.bits() as u8,
        _ => 64,
    }
}

fn literal(lit: &Lit, ty: &Ty) -> Value {
    match lit {
        Lit::Int(n) => Value::word(word_bits(ty), *n),
        Lit::Bool(b) => Value::Bool(*b),
        Lit::Char(c) => Value::word(8, u64::from(*c)),
        Lit::String(s) => Value::Str(s.as_str().into()),
    }
}

/// Unboxed record values keep their type's field order, whatever order the
/// literal was written in, so that equal records are equal values.
pub fn record_in_declared_order(ty: &Ty, mut values: Vec<(String, Value)>) -> Value {
    if let Ty::Record { fields, .. } = ty {
        values.sort_by_key(|(name, _)| fields.iter().position(|(n, _)| n == name).unwrap_or(usize::MAX));
    }
    Value::Record(values.into_iter().map(|(n, v)| (Rc::from(n.as_str()), Some(v))).collect())
}

fn unary(op: UnOp, a: &Value) -> Option<Value> {
    Some(match (op, a) {
        (UnOp::Not, Value::Bool(b)) => Value::Bool(!b),
        (UnOp::Complement, Value::Word { bits, value }) => Value::word(*bits, !value),
        _ => return None,
    })
}

/// Word arithmetic wraps; division and remainder by zero give zero; shifts
/// by the width or more give zero. `&&` and `||` evaluate both operands (a
/// skipped operand could hold a linear value's only use).
fn binary(op: BinOp, a: &Value, b: &Value) -> Option<Value> {
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
