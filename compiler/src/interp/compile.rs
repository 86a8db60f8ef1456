//! The core IR compiled to closures, one function at a time, on first call.
//!
//! A tree walk over the IR pays on every step for what never changes: names
//! looked up in an environment, functions found by name, record fields
//! found by name, and a copy of every value a variable is read into. Here
//! that work is done once per function: each variable gets a slot in its
//! function's frame, each call site the callee's index, each field access
//! the field's position, and each read of a variable whose value is not
//! used again *moves* it out of its slot instead of copying it. The move is
//! what makes value semantics cheap: a linear record or array read for the
//! last time is not shared, so a `put` changes it in place instead of
//! copying it (`cdsl_runtime::store`), as update semantics does.
//!
//! Closures are built against [`Interpreter`], which holds the frames; the
//! [`Store`](cdsl_runtime::Store) comes as an argument, so that abstract
//! functions can be given the store and the interpreter (to call back) at
//! once.

use super::jit::LoopTier;
use super::ops::{binary, literal, unary, word_bits, word_op, zero_of};
use super::{Eval, Interpreter};
use crate::core::ir::{self, CaseArm, Expr, ExprKind};
use crate::syntax::ast::BinOp;
use crate::typeck::types::Ty;
use cdsl_runtime::store::{member_field, put_field, take_field};
use cdsl_runtime::{Store, Value};
use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::mem;
use std::rc::Rc;

/// One compiled expression: evaluates in the current frame.
pub(super) type Code = Box<dyn Fn(&mut Interpreter<'_>, &mut dyn Store) -> Eval>;

/// A program whose functions are compiled when first called, and kept: an
/// embedder running many calls (`fs-examples`' ext2 engines) builds it
/// once and shares it between interpreters ([`Interpreter::on`]).
pub struct Compiled {
    functions: Vec<ir::Function>,
    names: Vec<Rc<str>>,
    index: HashMap<Rc<str>, usize>,
    compiled: Vec<OnceCell<Function>>,
    /// Loops compiled to native code (`jit`).
    pub(super) loops: LoopTier,
}

/// A compiled function instance.
pub(super) enum Function {
    /// A CDSL function: its body, frame size, and the fuel one call costs.
    Body { code: Code, slots: usize, cost: u64 },
    /// An abstract allocator of a boxed record with these fields.
    Alloc(Vec<Rc<str>>),
    /// An abstract deallocator of a boxed record.
    Free,
    /// An abstract function of the runtime library, by source name, with the
    /// zero of its first type argument (for word arrays).
    Library { name: String, zero: Option<Value> },
}

impl Compiled {
    pub fn new(program: &ir::Program) -> Compiled {
        let functions: Vec<ir::Function> = program.functions.values().cloned().collect();
        let names: Vec<Rc<str>> = functions.iter().map(|f| Rc::from(f.name.as_str())).collect();
        let index = names.iter().enumerate().map(|(i, name)| (name.clone(), i)).collect();
        let compiled = functions.iter().map(|_| OnceCell::new()).collect();
        Compiled { functions, names, index, compiled, loops: LoopTier::default() }
    }

    pub(super) fn index_of(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The core IR of function instance `name`.
    pub(super) fn ir(&self, name: &str) -> Option<&ir::Function> {
        self.index_of(name).map(|i| &self.functions[i])
    }

    pub(super) fn ir_at(&self, index: usize) -> &ir::Function {
        &self.functions[index]
    }

    /// Every loop the native tier has tried, by step function: whether it
    /// runs as native code, or why not.
    pub fn native_loops(&self) -> Vec<(String, Result<(), String>)> {
        self.loops.report(self)
    }

    /// The Cranelift IR a native loop is made from: `library` names the
    /// loop (`seq32`, `wordarray_map`, ...), `step` its step function
    /// instance.
    pub fn native_loop_ir(&self, library: &str, step: &str) -> Result<String, String> {
        super::jit::loop_ir(self, library, step)
    }

    pub(super) fn name(&self, index: usize) -> &Rc<str> {
        &self.names[index]
    }

    pub(super) fn has_param(&self, index: usize) -> bool {
        self.functions[index].param.is_some()
    }

    /// The compiled function `index`, compiling it on first use.
    pub(super) fn function(&self, index: usize) -> &Function {
        self.compiled[index].get_or_init(|| self.compile(&self.functions[index]))
    }

    fn compile<'p>(&'p self, function: &'p ir::Function) -> Function {
        let param = function.param.as_ref().map(|(_, t)| t);
        let Some(body) = &function.body else {
            if let Some(record) = ir::allocated(param, &function.result) {
                return Function::Alloc(field_names(record));
            }
            if ir::deallocates(param, &function.result) {
                return Function::Free;
            }
            let zero = function.type_args.first().and_then(zero_of);
            return Function::Library { name: function.source_name.clone(), zero };
        };
        let mut compiler = FnCompiler { program: self, scope: Vec::new(), slots: 1, free: HashMap::new() };
        if let Some((name, _)) = &function.param {
            compiler.scope.push((name.as_str(), 0));
        }
        let code = compiler.expr(body, &HashSet::new());
        Function::Body { code, slots: compiler.slots, cost: size(body) }
    }
}

/// Nodes in an expression: what a call of its function is charged in fuel.
pub(super) fn size(e: &Expr) -> u64 {
    let mut n = 1;
    e.for_each_child(&mut |child| n += size(child));
    n
}

/// Variables by name, read as a set of the names live after a point.
type Live<'p> = HashSet<&'p str>;

struct FnCompiler<'p> {
    program: &'p Compiled,
    /// Variables in scope and their slots, innermost last.
    scope: Vec<(&'p str, usize)>,
    /// Slots used so far; slot 0 is the parameter.
    slots: usize,
    /// The free variables of each expression, computed once.
    free: HashMap<*const Expr, Rc<Live<'p>>>,
}

impl<'p> FnCompiler<'p> {
    fn slot_of(&self, name: &str) -> usize {
        // The type checker has bound every variable; an unbound one would be
        // a bug in lowering, caught at the first run of the function.
        self.scope.iter().rev().find(|(n, _)| *n == name).map_or(usize::MAX, |(_, s)| *s)
    }

    fn new_slot(&mut self) -> usize {
        self.slots += 1;
        self.slots - 1
    }

    /// Compiles `body` with `names` bound to fresh slots, which it returns.
    fn bind(&mut self, names: &[&'p str], body: &'p Expr, live: &Live<'p>) -> (Vec<usize>, Code) {
        let slots: Vec<usize> = names.iter().map(|_| self.new_slot()).collect();
        let mark = self.scope.len();
        self.scope.extend(names.iter().copied().zip(slots.iter().copied()));
        let code = self.expr(body, live);
        self.scope.truncate(mark);
        (slots, code)
    }

    fn free_vars(&mut self, e: &'p Expr) -> Rc<Live<'p>> {
        let key = e as *const Expr;
        if let Some(free) = self.free.get(&key) {
            return free.clone();
        }
        // The names `e` reads itself, and its children with what each binds.
        let mut free: Live<'p> = HashSet::new();
        let mut children: Vec<(&'p Expr, Vec<&str>)> = Vec::new();
        match &e.kind {
            ExprKind::Var(x) => {
                free.insert(x.as_str());
            }
            ExprKind::Let { var, value, body } => children.extend([(&**value, vec![]), (&**body, vec![var.as_str()])]),
            ExprKind::LetBang { observed, var, value, body } => {
                free.extend(observed.iter().map(String::as_str));
                children.extend([(&**value, vec![]), (&**body, vec![var.as_str()])]);
            }
            ExprKind::Split { vars, value, body } => {
                children.extend([(&**value, vec![]), (&**body, vars.iter().map(String::as_str).collect())])
            }
            ExprKind::Take { record, var, rest, body, .. } => {
                children.extend([(&**record, vec![]), (&**body, vec![var.as_str(), rest.as_str()])])
            }
            ExprKind::Case { scrutinee, arms } => {
                free.insert(scrutinee.as_str());
                children.extend(arms.iter().map(|arm| (&arm.body, vec![arm.payload.as_str()])));
            }
            _ => e.for_each_child(&mut |child| children.push((child, vec![]))),
        }
        for (child, bound) in children {
            free.extend(self.free_vars(child).iter().filter(|v| !bound.contains(v)));
        }
        let free = Rc::new(free);
        self.free.insert(key, free.clone());
        free
    }

    /// `live` extended by what `later` reads, except `bound`: the names live
    /// before `later` runs, given `live` after it.
    fn live_before(&mut self, live: &Live<'p>, later: &[&'p Expr], bound: &[&str]) -> Live<'p> {
        let mut out = live.clone();
        for e in later {
            out.extend(self.free_vars(e).iter().filter(|v| !bound.contains(v)));
        }
        out
    }

    /// Compiles a sequence evaluated left to right, each with the names the
    /// ones after it read counted live.
    fn sequence(&mut self, items: &[&'p Expr], live: &Live<'p>) -> Vec<Code> {
        (0..items.len())
            .map(|i| {
                let live = self.live_before(live, &items[i + 1..], &[]);
                self.expr(items[i], &live)
            })
            .collect()
    }

    /// Compiles `e`, given the names read after it.
    fn expr(&mut self, e: &'p Expr, live: &Live<'p>) -> Code {
        match &e.kind {
            ExprKind::Var(x) => self.var(x, live),
            ExprKind::Global(name) => self.global(name),
            ExprKind::Lit(lit) => {
                let value = literal(lit, &e.ty);
                Box::new(move |_, _| Ok(value.clone()))
            }
            ExprKind::Unit => Box::new(|_, _| Ok(Value::Unit)),
            ExprKind::Tuple(items) => {
                let mut codes = self.sequence(&items.iter().collect::<Vec<_>>(), live);
                // Pairs, the usual argument shape, in one allocation.
                if codes.len() == 2 {
                    let (b, a) = (codes.remove(1), codes.remove(0));
                    return Box::new(move |m, store| {
                        let pair: Rc<[Value]> = Rc::new([a(m, store)?, b(m, store)?]);
                        Ok(Value::Tuple(pair))
                    });
                }
                Box::new(move |m, store| {
                    let mut values = Vec::with_capacity(codes.len());
                    for code in &codes {
                        values.push(code(m, store)?);
                    }
                    Ok(Value::Tuple(values.into()))
                })
            }
            ExprKind::Struct(fields) => self.record(&e.ty, fields, live),
            ExprKind::Con { tag, payload } => {
                let tag: Rc<str> = tag.as_str().into();
                let payload = self.expr(payload, live);
                Box::new(move |m, store| Ok(Value::Variant(tag.clone(), Rc::new(payload(m, store)?))))
            }
            ExprKind::App(f, a) => self.app(f, a, live),
            ExprKind::Unary(op, a) => {
                let (op, a) = (*op, self.expr(a, live));
                Box::new(move |m, store| {
                    let a = a(m, store)?;
                    unary(op, &a).ok_or_else(|| m.error(format!("bug: {} of {a}", op.keyword())))
                })
            }
            ExprKind::Binary(op, a, b) if is_word(&a.ty) && word_op(*op).is_some() => self.word_binary(*op, a, b, live),
            ExprKind::Binary(op, a, b) => {
                let [a, b]: [Code; 2] =
                    self.sequence(&[a, b], live).try_into().unwrap_or_else(|_| unreachable!("two operands"));
                let op = *op;
                Box::new(move |m, store| {
                    let (a, b) = (a(m, store)?, b(m, store)?);
                    binary(op, &a, &b).ok_or_else(|| m.error(format!("bug: {a} {} {b}", op.symbol())))
                })
            }
            ExprKind::Upcast(a) => {
                let (bits, a) = (word_bits(&e.ty), self.expr(a, live));
                Box::new(move |m, store| match a(m, store)? {
                    Value::Word { value, .. } => Ok(Value::word(bits, value)),
                    _ => Err(m.error("bug: upcast of a non-word")),
                })
            }
            ExprKind::If { cond, then, els } => {
                let cond_live = self.live_before(live, &[then, els], &[]);
                let cond = self.expr(cond, &cond_live);
                let (then, els) = (self.expr(then, live), self.expr(els, live));
                Box::new(move |m, store| match cond(m, store)? {
                    Value::Bool(true) => then(m, store),
                    Value::Bool(false) => els(m, store),
                    _ => Err(m.error("bug: a non-Bool condition")),
                })
            }
            ExprKind::Let { var, value, body } | ExprKind::LetBang { var, value, body, .. } => {
                self.let_in(var, value, body, live)
            }
            ExprKind::Split { vars, value, body } => self.split(vars, value, body, live),
            ExprKind::Case { scrutinee, arms } => self.case(scrutinee, arms, live),
            // An unboxed record is a value in both semantics: its fields are
            // reached without asking the store.
            ExprKind::Member(record, field) => {
                let (index, unboxed) = (field_index(&record.ty, field), is_unboxed(&record.ty));
                let (field, record) = (field.clone(), self.expr(record, live));
                Box::new(move |m, store| {
                    let record = record(m, store)?;
                    let value = if unboxed {
                        member_field(&record, index, &field)
                    } else {
                        store.member(&record, index, &field)
                    };
                    value.map_err(|f| m.error(f.to_string()))
                })
            }
            ExprKind::Take { record, field, var, rest, body } => {
                let (index, unboxed) = (field_index(&record.ty, field), is_unboxed(&record.ty));
                let record_live = self.live_before(live, &[body], &[var, rest]);
                let record = self.expr(record, &record_live);
                let ([value_slot, rest_slot], body) = self.bind_pair(var, rest, body, live);
                let field = field.clone();
                Box::new(move |m, store| {
                    let record = record(m, store)?;
                    let taken =
                        if unboxed { take_field(record, index, &field) } else { store.take(record, index, &field) };
                    let (value, rest) = taken.map_err(|f| m.error(f.to_string()))?;
                    m.set(value_slot, value);
                    m.set(rest_slot, rest);
                    body(m, store)
                })
            }
            ExprKind::Put { record, field, value } => {
                let (index, unboxed) = (field_index(&record.ty, field), is_unboxed(&record.ty));
                let [record, value]: [Code; 2] =
                    self.sequence(&[record, value], live).try_into().unwrap_or_else(|_| unreachable!("two parts"));
                let field = field.clone();
                Box::new(move |m, store| {
                    let (record, value) = (record(m, store)?, value(m, store)?);
                    let put = if unboxed {
                        put_field(record, index, &field, value)
                    } else {
                        store.put(record, index, &field, value)
                    };
                    put.map_err(|f| m.error(f.to_string()))
                })
            }
        }
    }

    /// An operation on words, its operator chosen now; a literal right
    /// operand (`x >> 3`, `n / 32`) is not evaluated at all.
    fn word_binary(&mut self, op: BinOp, a: &'p Expr, b: &'p Expr, live: &Live<'p>) -> Code {
        let Some(f) = word_op(op) else { unreachable!("only word operators come here") };
        let bug = move |m: &Interpreter<'_>, a: &Value, b: &Value| m.error(format!("bug: {a} {} {b}", op.symbol()));
        if let ExprKind::Lit(lit) = &b.kind {
            let Value::Word { value: y, .. } = literal(lit, &b.ty) else { unreachable!("a word literal") };
            let a = self.expr(a, live);
            return Box::new(move |m, store| match a(m, store)? {
                Value::Word { bits, value: x } => Ok(f(bits, x, y)),
                a => Err(bug(m, &a, &Value::word(64, y))),
            });
        }
        let [a, b]: [Code; 2] =
            self.sequence(&[a, b], live).try_into().unwrap_or_else(|_| unreachable!("two operands"));
        Box::new(move |m, store| match (a(m, store)?, b(m, store)?) {
            (Value::Word { bits, value: x }, Value::Word { value: y, .. }) => Ok(f(bits, x, y)),
            (a, b) => Err(bug(m, &a, &b)),
        })
    }

    /// A read of `x`: a move if nothing after it reads `x`, else a copy.
    fn var(&self, x: &str, live: &Live<'p>) -> Code {
        let slot = self.slot_of(x);
        if slot == usize::MAX {
            let message = format!("bug: unbound variable `{x}`");
            return Box::new(move |m, _| Err(m.error(message.clone())));
        }
        if live.contains(x) {
            Box::new(move |m, _| Ok(m.get(slot).clone()))
        } else {
            Box::new(move |m, _| Ok(m.take(slot)))
        }
    }

    /// A function as a value, or a constant's value.
    fn global(&self, name: &str) -> Code {
        let Some(index) = self.program.index_of(name) else {
            let message = format!("no function instance `{name}`");
            return Box::new(move |m, _| Err(m.error(message.clone())));
        };
        if self.program.has_param(index) {
            let function = Value::Function(self.program.name(index).clone());
            Box::new(move |_, _| Ok(function.clone()))
        } else {
            Box::new(move |m, store| m.call_index(index, Value::Unit, store))
        }
    }

    /// A call: straight to the callee when it is named, else through the
    /// function value.
    fn app(&mut self, f: &'p Expr, a: &'p Expr, live: &Live<'p>) -> Code {
        if let ExprKind::Global(name) = &f.kind {
            if let Some(index) = self.program.index_of(name).filter(|i| self.program.has_param(*i)) {
                let a = self.expr(a, live);
                return Box::new(move |m, store| {
                    let a = a(m, store)?;
                    m.call_index(index, a, store)
                });
            }
        }
        let [f, a]: [Code; 2] =
            self.sequence(&[f, a], live).try_into().unwrap_or_else(|_| unreachable!("function and argument"));
        Box::new(move |m, store| {
            let (f, a) = (f(m, store)?, a(m, store)?);
            m.call_value(&f, a, store)
        })
    }

    /// An unboxed record literal, its fields stored in the type's order.
    fn record(&mut self, ty: &Ty, fields: &'p [(String, Expr)], live: &Live<'p>) -> Code {
        let codes = self.sequence(&fields.iter().map(|(_, e)| e).collect::<Vec<_>>(), live);
        let mut order: Vec<(usize, Rc<str>)> =
            fields.iter().enumerate().map(|(i, (name, _))| (i, Rc::from(name.as_str()))).collect();
        order.sort_by_key(|(_, name)| field_index(ty, name));
        Box::new(move |m, store| {
            let mut values: Vec<Option<Value>> = Vec::with_capacity(codes.len());
            for code in &codes {
                values.push(Some(code(m, store)?));
            }
            Ok(Value::Record(order.iter().map(|(i, name)| (name.clone(), values[*i].take())).collect()))
        })
    }

    fn let_in(&mut self, var: &'p str, value: &'p Expr, body: &'p Expr, live: &Live<'p>) -> Code {
        let value_live = self.live_before(live, &[body], &[var]);
        // `let x = y` where `y` is read for the last time: `x` is `y`'s slot.
        if let ExprKind::Var(y) = &value.kind {
            let slot = self.slot_of(y);
            if !value_live.contains(y.as_str()) && slot != usize::MAX {
                self.scope.push((var, slot));
                let body = self.expr(body, live);
                self.scope.pop();
                return body;
            }
        }
        let value = self.expr(value, &value_live);
        let (slots, body) = self.bind(&[var], body, live);
        let slot = slots[0];
        Box::new(move |m, store| {
            let value = value(m, store)?;
            m.set(slot, value);
            body(m, store)
        })
    }

    fn bind_pair(&mut self, a: &'p str, b: &'p str, body: &'p Expr, live: &Live<'p>) -> ([usize; 2], Code) {
        let (slots, body) = self.bind(&[a, b], body, live);
        ([slots[0], slots[1]], body)
    }

    fn split(&mut self, vars: &'p [String], value: &'p Expr, body: &'p Expr, live: &Live<'p>) -> Code {
        let names: Vec<&str> = vars.iter().map(String::as_str).collect();
        let value_live = self.live_before(live, &[body], &names);
        let value = self.expr(value, &value_live);
        let (slots, body) = self.bind(&names, body, live);
        Box::new(move |m, store| {
            let Value::Tuple(mut items) = value(m, store)? else { return Err(m.error("bug: splitting a non-tuple")) };
            match Rc::get_mut(&mut items) {
                Some(owned) => {
                    slots.iter().zip(owned).for_each(|(slot, item)| m.set(*slot, mem::replace(item, Value::Unit)))
                }
                None => slots.iter().zip(items.iter()).for_each(|(slot, item)| m.set(*slot, item.clone())),
            }
            body(m, store)
        })
    }

    fn case(&mut self, scrutinee: &'p str, arms: &'p [CaseArm], live: &Live<'p>) -> Code {
        let mut scrutinee_live = live.clone();
        for arm in arms {
            let free = self.free_vars(&arm.body);
            scrutinee_live.extend(free.iter().filter(|v| **v != arm.payload));
        }
        let read = self.var(scrutinee, &scrutinee_live);
        let arms: Vec<(Rc<str>, usize, Code)> = arms
            .iter()
            .map(|arm| {
                let (slots, body) = self.bind(&[&arm.payload], &arm.body, live);
                (Rc::from(arm.tag.as_str()), slots[0], body)
            })
            .collect();
        Box::new(move |m, store| {
            let Value::Variant(tag, payload) = read(m, store)? else {
                return Err(m.error("bug: a case on a non-variant"));
            };
            let Some((_, slot, body)) = arms.iter().find(|(t, _, _)| Rc::ptr_eq(t, &tag) || *t == tag) else {
                return Err(m.error(format!("bug: no arm for `{tag}`")));
            };
            m.set(*slot, Rc::try_unwrap(payload).unwrap_or_else(|shared| (*shared).clone()));
            body(m, store)
        })
    }
}

/// The position of `field` in a record type (its values keep that order).
fn is_unboxed(ty: &Ty) -> bool {
    matches!(ty, Ty::Record { boxed: false, .. })
}

fn is_word(ty: &Ty) -> bool {
    matches!(ty, Ty::Prim(p) if p.is_word())
}

fn field_index(ty: &Ty, field: &str) -> usize {
    match ty {
        Ty::Record { fields, .. } => fields.iter().position(|(n, _)| n == field).unwrap_or(usize::MAX),
        _ => usize::MAX,
    }
}

/// The field names of a record type, in order.
fn field_names(ty: &Ty) -> Vec<Rc<str>> {
    match ty {
        Ty::Record { fields, .. } => fields.iter().map(|(n, _)| Rc::from(n.as_str())).collect(),
        _ => Vec::new(),
    }
}
