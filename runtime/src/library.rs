//! The abstract functions of `runtime/cdsl/prelude.cdsl`, and the registry
//! through which users add their own.
//!
//! Each function is written once against [`Store`]: with a [`ValueStore`]
//! it is the value-semantics model, with a [`Heap`] the destructive
//! implementation — the same code, so the two cannot drift apart.
//!
//! [`ValueStore`]: crate::store::ValueStore
//! [`Heap`]: crate::store::Heap

use crate::store::{Fault, Store};
use crate::value::Value;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::rc::Rc;

/// Why an abstract function could not produce a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuntimeError {
    /// A heap fault: a bug the type system should have prevented.
    Fault(Fault),
    /// An argument that does not have the shape the signature promises.
    BadArgument { function: String, detail: String },
    /// No implementation is registered under this name.
    Unimplemented(String),
    /// An error raised while running a function passed as an argument.
    Nested(String),
}

impl From<Fault> for RuntimeError {
    fn from(fault: Fault) -> RuntimeError {
        RuntimeError::Fault(fault)
    }
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::Fault(fault) => write!(f, "{fault}"),
            RuntimeError::BadArgument { function, detail } => write!(f, "`{function}` got {detail}"),
            RuntimeError::Unimplemented(name) => {
                write!(f, "no implementation of abstract function `{name}` is registered")
            }
            RuntimeError::Nested(message) => f.write_str(message),
        }
    }
}

/// Calls back into the interpreter for function-valued arguments.
pub trait Callback {
    fn call(&mut self, function: &Value, arg: Value, store: &mut dyn Store) -> Result<Value, RuntimeError>;
}

/// What an abstract function receives besides its argument.
pub struct Context<'a> {
    /// The zero of the element type, for functions over `WordArray a`.
    pub zero: Option<Value>,
    pub store: &'a mut dyn Store,
    pub callback: &'a mut dyn Callback,
}

pub type AbstractFn = fn(&str, Value, &mut Context) -> Result<Value, RuntimeError>;

/// Abstract functions by source name.
pub struct Library {
    functions: HashMap<String, AbstractFn>,
    /// The names whose implementation is still the runtime's own.
    own: HashSet<String>,
}

impl Default for Library {
    /// The runtime's own functions.
    fn default() -> Library {
        let mut library = Library { functions: HashMap::new(), own: HashSet::new() };
        library.register("wordarray_create", wordarray_create);
        library.register("wordarray_free", wordarray_free);
        library.register("wordarray_length", wordarray_length);
        library.register("wordarray_get", wordarray_get);
        library.register("wordarray_put", wordarray_put);
        library.register("wordarray_copy", wordarray_copy);
        library.register("wordarray_fold", wordarray_fold);
        library.register("wordarray_map", wordarray_map);
        library.register("seq32", seq);
        library.register("seq64", seq);
        for (name, _, _) in NARROWING_CASTS {
            library.register(name, narrow);
        }
        library.own = library.functions.keys().cloned().collect();
        library
    }
}

/// The prelude's narrowing casts (`u32_to_u16`, ...): name, bits of the
/// argument, bits of the result. Each keeps the low bits, as C's and Rust's
/// `as` do; widening is the language's `upcast`.
pub const NARROWING_CASTS: [(&str, u8, u8); 6] = [
    ("u16_to_u8", 16, 8),
    ("u32_to_u8", 32, 8),
    ("u32_to_u16", 32, 16),
    ("u64_to_u8", 64, 8),
    ("u64_to_u16", 64, 16),
    ("u64_to_u32", 64, 32),
];

/// A narrowing cast of [`NARROWING_CASTS`]: the argument's low bits.
fn narrow(name: &str, arg: Value, _: &mut Context) -> Result<Value, RuntimeError> {
    let Some((_, _, bits)) = NARROWING_CASTS.iter().find(|(n, _, _)| *n == name) else {
        return Err(RuntimeError::Unimplemented(name.to_owned()));
    };
    Ok(Value::word(*bits, word(name, &arg)?))
}

impl Library {
    /// Adds (or replaces) the implementation of an abstract function. It
    /// must behave the same on both stores: it is the model and the
    /// implementation at once.
    pub fn register(&mut self, name: &str, function: AbstractFn) {
        self.functions.insert(name.to_owned(), function);
        self.own.remove(name);
    }

    /// Whether `name` is implemented by the runtime itself, not replaced by
    /// a registration: compiled code may then implement it its own way (the
    /// interpreters' native loops do, for loops and word-array access).
    pub fn is_runtime_own(&self, name: &str) -> bool {
        self.own.contains(name)
    }

    pub fn get(&self, name: &str) -> Option<AbstractFn> {
        self.functions.get(name).copied()
    }
}

/// Arrays larger than this fail to allocate, deterministically in both semantics.
pub const MAX_ARRAY_LEN: u64 = 1 << 24;

fn bad(function: &str, detail: impl Into<String>) -> RuntimeError {
    RuntimeError::BadArgument { function: function.to_owned(), detail: detail.into() }
}

fn items<'v>(name: &str, arg: &'v Value, n: usize) -> Result<&'v [Value], RuntimeError> {
    match arg {
        Value::Tuple(items) if items.len() == n => Ok(items),
        other => Err(bad(name, format!("{other} where a {n}-tuple was expected"))),
    }
}

fn word(name: &str, value: &Value) -> Result<u64, RuntimeError> {
    value.as_word().ok_or_else(|| bad(name, format!("{value} where a word was expected")))
}

fn field<'v>(name: &str, record: &'v Value, field: &str) -> Result<&'v Value, RuntimeError> {
    let Value::Record(fields) = record else { return Err(bad(name, format!("{record} where a record was expected"))) };
    fields
        .iter()
        .find(|(n, _)| &**n == field)
        .and_then(|(_, v)| v.as_ref())
        .ok_or_else(|| bad(name, format!("a record without field `{field}`")))
}

fn zero(name: &str, cx: &Context) -> Result<Value, RuntimeError> {
    cx.zero.clone().ok_or_else(|| bad(name, "no element type"))
}

fn wordarray_create(name: &str, arg: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    let [state, len] = items(name, &arg, 2)? else { unreachable!("bug: items checked the length") };
    let len = word(name, len)?;
    if len > MAX_ARRAY_LEN {
        return Ok(Value::variant("Error", state.clone()));
    }
    let array = cx.store.new_array(vec![zero(name, cx)?; len as usize]);
    Ok(Value::variant("Success", Value::tuple(vec![state.clone(), array])))
}

fn wordarray_free(name: &str, arg: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    let [state, array] = items(name, &arg, 2)? else { unreachable!("bug: items checked the length") };
    cx.store.free(array)?;
    Ok(state.clone())
}

fn wordarray_length(_: &str, arg: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    Ok(Value::word(32, cx.store.array_len(&arg)? as u64))
}

fn wordarray_get(name: &str, arg: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    let [array, index] = items(name, &arg, 2)? else { unreachable!("bug: items checked the length") };
    match cx.store.array_get(array, word(name, index)? as usize)? {
        Some(element) => Ok(element),
        None => zero(name, cx),
    }
}

fn wordarray_put(name: &str, arg: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    // The array is moved out of the tuple, not copied: with value semantics
    // a second reference would make the put copy the whole array.
    let Value::Tuple(mut parts) = arg else { return Err(bad(name, "an argument that is not a 3-tuple")) };
    let parts: Vec<Value> = match Rc::get_mut(&mut parts) {
        Some(owned) => owned.iter_mut().map(|part| std::mem::replace(part, Value::Unit)).collect(),
        None => parts.to_vec(),
    };
    let Ok([array, index, value]) = <[Value; 3]>::try_from(parts) else {
        return Err(bad(name, "an argument that is not a 3-tuple"));
    };
    let index = word(name, &index)? as usize;
    if index >= cx.store.array_len(&array)? {
        return Ok(Value::variant("Error", array));
    }
    Ok(Value::variant("Success", cx.store.array_set(array, index, value)?))
}

fn wordarray_copy(name: &str, arg: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    let [dst, src, dst_off, src_off, len] = items(name, &arg, 5)? else {
        unreachable!("bug: items checked the length")
    };
    let mut target = cx.store.array(dst)?.to_vec();
    let source = cx.store.array(src)?;
    let (dst_off, src_off, len) = (word(name, dst_off)?, word(name, src_off)?, word(name, len)?);
    for k in 0..len {
        let (d, s) = (dst_off.saturating_add(k) as usize, src_off.saturating_add(k) as usize);
        if d >= target.len() || s >= source.len() {
            break;
        }
        target[d] = source[s].clone();
    }
    Ok(cx.store.set_array(dst.clone(), target)?)
}

/// The `[frm, to)` range of a fold or map, clipped to the array.
fn range(name: &str, args: &Value, len: usize) -> Result<std::ops::Range<usize>, RuntimeError> {
    let frm = word(name, field(name, args, "frm")?)?.min(len as u64) as usize;
    let to = word(name, field(name, args, "to")?)?.min(len as u64) as usize;
    Ok(frm..to.max(frm))
}

thread_local! {
    /// The field names of loop-step records, made once: a loop builds one
    /// record per step, and should not allocate its names each time.
    static STEP_NAMES: [Rc<str>; 4] = ["elem".into(), "acc".into(), "obsv".into(), "idx".into()];
}

/// A loop-step record, its fields named by index into `STEP_NAMES`.
fn step_record<const N: usize>(pairs: [(usize, Value); N]) -> Value {
    STEP_NAMES.with(|names| Value::Record(pairs.into_iter().map(|(n, v)| (names[n].clone(), Some(v))).collect()))
}

const ELEM: usize = 0;
const ACC: usize = 1;
const OBSV: usize = 2;
const IDX: usize = 3;

fn wordarray_fold(name: &str, args: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    let elements = cx.store.array(field(name, &args, "arr")?)?;
    let (f, obsv) = (field(name, &args, "f")?.clone(), field(name, &args, "obsv")?.clone());
    let mut acc = field(name, &args, "acc")?.clone();
    for index in range(name, &args, elements.len())? {
        let step = step_record([(ELEM, elements[index].clone()), (ACC, acc), (OBSV, obsv.clone())]);
        acc = cx.callback.call(&f, step, cx.store)?;
    }
    Ok(acc)
}

fn wordarray_map(name: &str, args: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    let array = field(name, &args, "arr")?.clone();
    let mut elements = cx.store.array(&array)?.to_vec();
    let (f, obsv) = (field(name, &args, "f")?.clone(), field(name, &args, "obsv")?.clone());
    let mut acc = field(name, &args, "acc")?.clone();
    for index in range(name, &args, elements.len())? {
        let step = step_record([(ELEM, elements[index].clone()), (ACC, acc), (OBSV, obsv.clone())]);
        let result = cx.callback.call(&f, step, cx.store)?;
        let [element, next] = items(name, &result, 2)? else { unreachable!("bug: items checked the length") };
        elements[index] = element.clone();
        acc = next.clone();
    }
    let array = cx.store.set_array(array, elements)?;
    Ok(Value::tuple(vec![array, acc]))
}

/// `seq32`/`seq64`: idx = frm, frm + step, ... while idx < to.
fn seq(name: &str, args: Value, cx: &mut Context) -> Result<Value, RuntimeError> {
    let bits = if name == "seq64" { 64 } else { 32 };
    let frm = word(name, field(name, &args, "frm")?)?;
    let to = word(name, field(name, &args, "to")?)?;
    let step = word(name, field(name, &args, "step")?)?.max(1);
    let (f, obsv) = (field(name, &args, "f")?.clone(), field(name, &args, "obsv")?.clone());
    let mut acc = field(name, &args, "acc")?.clone();
    let mut idx = frm;
    while idx < to {
        let step_arg = step_record([(ACC, acc), (OBSV, obsv.clone()), (IDX, Value::word(bits, idx))]);
        acc = cx.callback.call(&f, step_arg, cx.store)?;
        match idx.checked_add(step) {
            Some(next) => idx = next,
            None => break,
        }
    }
    Ok(acc)
}
