//! The interpreters: one evaluator of the core IR, two semantics.
//!
//! The evaluator is written once; where the semantics differ — boxed
//! records and word arrays — it asks a [`Store`]: a [`ValueStore`] gives the
//! pure value semantics, a [`Heap`] the update semantics with in-place
//! `put`, explicit frees, and a check on every access. `engines::run_both`
//! runs the two and checks their correspondence at every call.
//!
//! Functions are compiled to closures on first call (`compile`); the
//! interpreter holds the frames they run in: one stack of slots, a window
//! of it per active call.
//!
//! [`ValueStore`]: cdsl_runtime::ValueStore
//! [`Heap`]: cdsl_runtime::Heap

mod compile;
pub mod engines;
// The one place the crate uses `unsafe`: calling the code it generates.
#[allow(unsafe_code)]
mod jit;
pub mod literal;
mod ops;

pub use compile::Compiled;
pub use ops::record_in_declared_order;

use crate::core::ir;
use cdsl_runtime::library::{AbstractFn, Callback, Context};
use cdsl_runtime::{Library, RuntimeError, Store, Value};
use compile::Function;
use std::fmt;
use std::rc::Rc;

/// What went wrong while running, and in which call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunError {
    pub message: String,
    /// Function instances from the entry point to where it happened.
    pub path: Vec<String>,
}

impl RunError {
    /// Whether the run ended for want of fuel (wherever it was: a loop run
    /// natively reports it at the loop's call, an interpreted one inside).
    pub fn is_out_of_fuel(&self) -> bool {
        self.message.starts_with(OUT_OF_FUEL)
    }
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
/// enough that a huge bounded loop ends with an error, not a hang. A call
/// costs as many steps as its function's body has nodes.
pub const DEFAULT_FUEL: u64 = 200_000_000;

/// What a compiled expression gives: errors are boxed, as they are rare and
/// the value is returned on every step.
type Eval = Result<Value, Box<RunError>>;

pub struct Interpreter<'p> {
    compiled: Rc<Compiled>,
    library: &'p Library,
    /// The library's implementation of each abstract function, found once.
    implementations: Vec<Option<AbstractFn>>,
    /// Calls recorded, when tracing.
    pub trace: Option<Vec<Call>>,
    fuel: u64,
    /// The frames of the active calls, each a window of slots.
    stack: Vec<Value>,
    /// Where the innermost frame starts.
    base: usize,
    /// The active calls, by function index.
    path: Vec<usize>,
    /// The function a function value last called back named, and its index.
    last_callback: Option<(Rc<str>, usize)>,
    /// Whether bounded loops may run as native code (`jit`).
    native_loops: bool,
}

impl<'p> Interpreter<'p> {
    pub fn new(program: &'p ir::Program, library: &'p Library) -> Self {
        Interpreter::on(Rc::new(Compiled::new(program)), library)
    }

    /// An interpreter over functions compiled already, by other runs.
    pub fn on(compiled: Rc<Compiled>, library: &'p Library) -> Self {
        Interpreter {
            compiled,
            library,
            implementations: Vec::new(),
            trace: None,
            fuel: DEFAULT_FUEL,
            stack: Vec::new(),
            base: 0,
            path: Vec::new(),
            last_callback: None,
            native_loops: true,
        }
    }

    /// Interprets every loop: no native code.
    pub fn without_native_loops(mut self) -> Self {
        self.native_loops = false;
        self
    }

    pub fn with_fuel(mut self, fuel: u64) -> Self {
        self.fuel = fuel;
        self
    }

    fn error(&self, message: impl Into<String>) -> Box<RunError> {
        let path = self.path.iter().map(|i| self.compiled.name(*i).to_string()).collect();
        Box::new(RunError { message: message.into(), path })
    }

    /// Calls a function instance.
    pub fn call(&mut self, name: &str, arg: Value, store: &mut dyn Store) -> Result<Value, RunError> {
        let Some(index) = self.compiled.index_of(name) else {
            return Err(*self.error(format!("no function instance `{name}`")));
        };
        self.call_index(index, arg, store).map_err(|e| *e)
    }

    fn call_index(&mut self, index: usize, arg: Value, store: &mut dyn Store) -> Eval {
        self.path.push(index);
        let result = match &self.trace {
            Some(_) => self.traced_call(index, arg, store),
            None => self.run(index, arg, store),
        };
        self.path.pop();
        result
    }

    /// A call recorded, its argument and result read back as values.
    fn traced_call(&mut self, index: usize, arg: Value, store: &mut dyn Store) -> Eval {
        let traced_arg = store.read_back(&arg).map_err(|f| self.error(f.to_string()))?;
        let result = self.run(index, arg, store)?;
        let read_back = store.read_back(&result).map_err(|f| self.error(f.to_string()))?;
        let path = self.path.iter().map(|i| self.compiled.name(*i).to_string()).collect();
        if let Some(trace) = self.trace.as_mut() {
            trace.push(Call { path, arg: traced_arg, result: read_back });
        }
        Ok(result)
    }

    fn run(&mut self, index: usize, arg: Value, store: &mut dyn Store) -> Eval {
        let compiled = self.compiled.clone();
        match compiled.function(index) {
            Function::Body { code, slots, cost } => {
                self.fuel = self.fuel.checked_sub(*cost).ok_or_else(|| self.error(OUT_OF_FUEL))?;
                let saved = self.base;
                self.base = self.stack.len();
                self.stack.resize(self.base + slots, Value::Unit);
                self.stack[self.base] = arg;
                let result = code(self, store);
                self.stack.truncate(self.base);
                self.base = saved;
                result
            }
            Function::Alloc(fields) => {
                let record = store.alloc_record(fields);
                Ok(Value::variant("Success", Value::tuple(vec![arg, record])))
            }
            Function::Free => {
                let Value::Tuple(items) = &arg else { return Err(self.error(format!("a deallocator got {arg}"))) };
                store.free(&items[1]).map_err(|f| self.error(f.to_string()))?;
                Ok(items[0].clone())
            }
            Function::Library { name, zero } => {
                let arg = match self.native_loop(name, arg, store)? {
                    Ok(result) => return Ok(result),
                    Err(arg) => arg,
                };
                let implementation = self.implementation(index, name)?;
                let mut context = Context { zero: zero.clone(), store, callback: self };
                implementation(name, arg, &mut context).map_err(|e| self.error(e.to_string()))
            }
        }
    }

    /// The library's implementation of abstract function `index`.
    fn implementation(&mut self, index: usize, name: &str) -> Result<AbstractFn, Box<RunError>> {
        if self.implementations.len() <= index {
            self.implementations.resize(index + 1, None);
        }
        if let Some(found) = self.implementations[index] {
            return Ok(found);
        }
        let found = self
            .library
            .get(name)
            .ok_or_else(|| self.error(RuntimeError::Unimplemented(name.to_owned()).to_string()))?;
        self.implementations[index] = Some(found);
        Ok(found)
    }

    /// Calls a function value.
    fn call_value(&mut self, function: &Value, arg: Value, store: &mut dyn Store) -> Eval {
        let Value::Function(name) = function else { return Err(self.error(format!("bug: applying {function}"))) };
        let index = match &self.last_callback {
            Some((last, index)) if Rc::ptr_eq(last, name) => *index,
            _ => {
                let index =
                    self.compiled.index_of(name).ok_or_else(|| self.error(format!("no function instance `{name}`")))?;
                self.last_callback = Some((name.clone(), index));
                index
            }
        };
        self.call_index(index, arg, store)
    }

    /// Slot `slot` of the current frame.
    fn get(&self, slot: usize) -> &Value {
        &self.stack[self.base + slot]
    }

    /// Moves the value out of slot `slot`: its last read.
    fn take(&mut self, slot: usize) -> Value {
        std::mem::replace(&mut self.stack[self.base + slot], Value::Unit)
    }

    fn set(&mut self, slot: usize, value: Value) {
        self.stack[self.base + slot] = value;
    }
}

pub(super) const OUT_OF_FUEL: &str = "out of fuel: the run took too many steps";

impl Callback for Interpreter<'_> {
    fn call(&mut self, function: &Value, arg: Value, store: &mut dyn Store) -> Result<Value, RuntimeError> {
        self.call_value(function, arg, store).map_err(|e| RuntimeError::Nested(e.to_string()))
    }
}
