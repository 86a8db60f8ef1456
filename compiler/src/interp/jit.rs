//! The interpreters' native tier: bounded loops run as machine code.
//!
//! Almost all of an interpreted program's time goes to its loops — `seq32`,
//! `seq64`, `wordarray_map` and `wordarray_fold` calling a step function
//! once per element — and interpreting a step costs hundreds of times what
//! the step computes. So when such a loop is called and its step function
//! uses only what native code supports (words, booleans, tuples, unboxed
//! records, variants, word arrays, and the word-array functions of the
//! runtime library; `shape.rs`), the whole loop, with the step function and
//! everything it calls inlined, is compiled by Cranelift (`lower.rs`) on
//! its first call and kept with the program ([`Compiled`]). Anything else
//! is interpreted as before.
//!
//! Semantics stay the interpreters' own: a run copies the loop's arrays out
//! of the store into plain words and the writable ones back after it, so
//! the store checks every array it hands over, value semantics still copies
//! an array only where it is shared, and results are the same values.
//! Native code cannot fail: out-of-range reads give zero and writes do
//! nothing, as in the library. It counts the fuel it uses as the
//! interpreter charges it (each inlined call its function's size) and
//! stops once past the fuel left, checking before each step: a run out of
//! fuel natively fails with the interpreter's error, at the loop's call
//! rather than inside it. What it gives up is the per-call view: when
//! calls are traced (`run_both`'s correspondence check at every call),
//! loops are interpreted; `run_both` then runs both semantics once more
//! with native loops, untraced, and checks they agree with the traced runs.

mod lower;
mod shape;

use super::{Compiled, Interpreter, RunError};
use crate::core::ir;
use cdsl_runtime::{Store, Value};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::Module;
use shape::{Buffers, Shape};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

/// The loops of the runtime library that run natively.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum LoopKind {
    Seq,
    Map,
    Fold,
}

impl LoopKind {
    /// The library's names of the loop (`seq32` and `seq64` are one
    /// kind), to check they are the runtime's own.
    fn names(self) -> &'static [&'static str] {
        match self {
            LoopKind::Seq => &["seq32", "seq64"],
            LoopKind::Map => &["wordarray_map"],
            LoopKind::Fold => &["wordarray_fold"],
        }
    }

    pub(super) fn of(library_name: &str) -> Option<LoopKind> {
        Some(match library_name {
            "seq32" | "seq64" => LoopKind::Seq,
            "wordarray_map" => LoopKind::Map,
            "wordarray_fold" => LoopKind::Fold,
            _ => return None,
        })
    }
}

/// Why a loop does not run natively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum JitError {
    /// It uses something native code does not support: it is interpreted.
    Unsupported(String),
    /// Native code and the program disagree about a value: a bug, reported
    /// as a run error.
    Bug(String),
    /// The loop used more fuel than was left.
    OutOfFuel,
}

impl JitError {
    fn unsupported(why: impl Into<String>) -> JitError {
        JitError::Unsupported(why.into())
    }

    fn bug(why: impl Into<String>) -> JitError {
        JitError::Bug(why.into())
    }
}

impl fmt::Display for JitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JitError::Unsupported(why) => write!(f, "not compiled: {why}"),
            JitError::Bug(why) => write!(f, "bug in the native loop tier: {why}"),
            JitError::OutOfFuel => f.write_str(super::OUT_OF_FUEL),
        }
    }
}

/// A compiled loop.
struct NativeLoop {
    code: extern "C" fn(*mut u64),
    acc: Shape,
    obsv: Shape,
    /// The bits of the array's elements (map, fold).
    elem: u8,
    /// Fuel one iteration costs at most, without nested loops.
    cost: u64,
    /// The runtime library's functions it implements itself.
    uses: Vec<&'static str>,
}

/// A loop's code, or why it has none.
type Made = Result<Rc<NativeLoop>, JitError>;

/// The native loops of one program, compiled on first call: by loop kind
/// and step function, the code or why there is none.
#[derive(Default)]
pub(super) struct LoopTier {
    module: RefCell<Option<JITModule>>,
    loops: RefCell<HashMap<(LoopKind, usize), Made>>,
}

impl Drop for LoopTier {
    fn drop(&mut self) {
        if let Some(module) = self.module.get_mut().take() {
            // SAFETY: the code is only reachable through `loops`, which goes
            // with this tier; nothing calls it after this point.
            unsafe { module.free_memory() };
        }
    }
}

impl LoopTier {
    fn get(&self, compiled: &Compiled, kind: LoopKind, step: usize) -> Result<Rc<NativeLoop>, JitError> {
        if let Some(found) = self.loops.borrow().get(&(kind, step)) {
            return found.clone();
        }
        let made = self.compile(compiled, kind, compiled.ir_at(step)).map(Rc::new);
        self.loops.borrow_mut().insert((kind, step), made.clone());
        made
    }

    fn compile(&self, compiled: &Compiled, kind: LoopKind, step: &ir::Function) -> Result<NativeLoop, JitError> {
        let mut slot = self.module.borrow_mut();
        let module = match &mut *slot {
            Some(module) => module,
            None => slot.insert(new_module()?),
        };
        let mut context = module.make_context();
        let lowered = lower::lower_loop(compiled, kind, step, &mut context.func, module.target_config())?;
        let id = module
            .declare_anonymous_function(&context.func.signature)
            .map_err(|e| JitError::bug(format!("declaring `{}`'s loop: {e}", step.name)))?;
        module
            .define_function(id, &mut context)
            .map_err(|e| JitError::bug(format!("compiling `{}`'s loop: {e:?}", step.name)))?;
        module.clear_context(&mut context);
        module.finalize_definitions().map_err(|e| JitError::bug(format!("finalizing `{}`'s loop: {e}", step.name)))?;
        let address = module.get_finalized_function(id);
        // SAFETY: `lower_loop` gave the function exactly this signature: one
        // pointer argument, no result.
        let code = unsafe { std::mem::transmute::<*const u8, extern "C" fn(*mut u64)>(address) };
        Ok(NativeLoop {
            code,
            acc: lowered.acc,
            obsv: lowered.obsv,
            elem: lowered.elem,
            cost: lowered.cost,
            uses: lowered.uses,
        })
    }

    /// Every loop tried so far: its step function's name and whether it
    /// runs natively (or why not).
    pub(super) fn report(&self, compiled: &Compiled) -> Vec<(String, Result<(), String>)> {
        let mut out: Vec<_> = self
            .loops
            .borrow()
            .iter()
            .map(|((_, step), made)| {
                (compiled.name(*step).to_string(), made.as_ref().map(|_| ()).map_err(ToString::to_string))
            })
            .collect();
        out.sort();
        out
    }
}

/// The Cranelift IR of the native loop that library loop `library` (say
/// `seq32`) runs with step function instance `step`, as lowered before
/// machine code is made from it; or why there is none.
pub(super) fn loop_ir(compiled: &Compiled, library: &str, step: &str) -> Result<String, String> {
    let kind = LoopKind::of(library).ok_or_else(|| format!("`{library}` is not a loop of the runtime library"))?;
    let step = compiled.ir(step).ok_or_else(|| format!("no function instance `{step}`"))?;
    let target = new_module().map_err(|e| e.to_string())?.target_config();
    let mut func = cranelift_codegen::ir::Function::new();
    lower::lower_loop(compiled, kind, step, &mut func, target).map_err(|e| e.to_string())?;
    Ok(func.display().to_string())
}

fn new_module() -> Result<JITModule, JitError> {
    let host = |e: &dyn fmt::Display| JitError::unsupported(format!("no native code for this machine: {e}"));
    let mut flags = settings::builder();
    for (flag, value) in [("opt_level", "speed"), ("use_colocated_libcalls", "false"), ("is_pic", "false")] {
        flags.set(flag, value).map_err(|e| host(&e))?;
    }
    let isa =
        cranelift_native::builder().map_err(|e| host(&e))?.finish(settings::Flags::new(flags)).map_err(|e| host(&e))?;
    if isa.pointer_bits() != 64 {
        return Err(JitError::unsupported("native loops need 64-bit pointers"));
    }
    Ok(JITModule::new(JITBuilder::with_isa(isa, cranelift_module::default_libcall_names())))
}

/// A loop call's argument record, field by name.
fn field<'v>(args: &'v Value, name: &str) -> Result<&'v Value, JitError> {
    let Value::Record(fields) = args else { return Err(JitError::bug("a loop argument that is not a record")) };
    fields
        .iter()
        .find(|(n, _)| &**n == name)
        .and_then(|(_, v)| v.as_ref())
        .ok_or_else(|| JitError::bug(format!("a loop argument without `{name}`")))
}

fn word(args: &Value, name: &str) -> Result<u64, JitError> {
    field(args, name)?.as_word().ok_or_else(|| JitError::bug(format!("a loop's `{name}` that is not a word")))
}

/// A loop call made ready to run: the io words and the arrays they point to.
struct Prepared {
    io: Vec<u64>,
    buffers: Buffers,
}

/// The indices a loop call steps over: `frm` up to `to` by `step` (1 for
/// map and fold, whose range is clipped to the array, as the library
/// clips it), how many steps that is, and the array's length (0 for seq).
struct Range {
    frm: u64,
    to: u64,
    step: u64,
    iterations: u64,
    array_len: u64,
}

impl Range {
    fn of(kind: LoopKind, arg: &Value, store: &dyn Store) -> Result<Range, JitError> {
        let (frm, to) = (word(arg, "frm")?, word(arg, "to")?);
        Ok(match kind {
            LoopKind::Seq => {
                let step = word(arg, "step")?.max(1);
                let iterations = if frm < to { (to - frm).div_ceil(step) } else { 0 };
                Range { frm, to, step, iterations, array_len: 0 }
            }
            LoopKind::Map | LoopKind::Fold => {
                let len = store.array_len(field(arg, "arr")?).map_err(|f| JitError::bug(f.to_string()))? as u64;
                let (frm, to) = (frm.min(len), to.min(len).max(frm.min(len)));
                Range { frm, to, step: 1, iterations: to - frm, array_len: len }
            }
        })
    }
}

impl Interpreter<'_> {
    /// Runs a call of library function `name` as a native loop when it is
    /// one that can: `Ok(Ok(result))`; else gives the argument back, to be
    /// interpreted.
    pub(super) fn native_loop(
        &mut self,
        name: &str,
        arg: Value,
        store: &mut dyn Store,
    ) -> Result<Result<Value, Value>, Box<RunError>> {
        // Every library call comes here: the name is looked at first.
        let Some(kind) = LoopKind::of(name) else { return Ok(Err(arg)) };
        if !self.native_loops || self.trace.is_some() || !self.library.is_runtime_own(name) {
            return Ok(Err(arg));
        }
        match self.try_native_loop(kind, &arg, store) {
            Ok(Some((native, prepared))) => {
                // The argument's references to the arrays go before they are
                // written back, so value semantics finds them unshared.
                drop(arg);
                self.run_native(kind, &native, prepared, store).map(Ok).map_err(|e| self.error(e.to_string()))
            }
            Ok(None) | Err(JitError::Unsupported(_)) => Ok(Err(arg)),
            Err(bug) => Err(self.error(bug.to_string())),
        }
    }

    /// The native loop for this call and its prepared run, if the loop
    /// compiles and running it natively pays: the arrays copied in and out
    /// must not cost more than interpreting the iterations would.
    fn try_native_loop(
        &mut self,
        kind: LoopKind,
        arg: &Value,
        store: &dyn Store,
    ) -> Result<Option<(Rc<NativeLoop>, Prepared)>, JitError> {
        let Value::Function(step) = field(arg, "f")? else {
            return Err(JitError::bug("a loop step that is not a function"));
        };
        let Some(step) = self.compiled.index_of(step) else {
            return Err(JitError::bug(format!("no function instance `{step}`")));
        };
        let compiled = self.compiled.clone();
        let native = compiled.loops.get(&compiled, kind, step)?;
        // Code that implements a library function the library has replaced
        // would not run the program the library does.
        if !native.uses.iter().all(|name| self.library.is_runtime_own(name)) {
            return Ok(None);
        }
        let range = Range::of(kind, arg, store)?;
        let mut words = shape::array_words(&native.acc, field(arg, "acc")?, store)?;
        words += shape::array_words(&native.obsv, field(arg, "obsv")?, store)?;
        let work = range.iterations.saturating_mul(native.cost);
        if words.saturating_add(range.array_len) > work.saturating_mul(8).saturating_add(64) {
            return Ok(None);
        }
        Ok(Some((native.clone(), prepare(kind, &native, range, arg, store, self.fuel)?)))
    }

    fn run_native(
        &mut self,
        kind: LoopKind,
        native: &NativeLoop,
        mut prepared: Prepared,
        store: &mut dyn Store,
    ) -> Result<Value, JitError> {
        (native.code)(prepared.io.as_mut_ptr());
        let used = prepared.io[lower::FUEL_USED];
        if used > self.fuel {
            return Err(JitError::OutOfFuel);
        }
        self.fuel -= used;
        let acc_words = &prepared.io[lower::HEADER..lower::HEADER + native.acc.width()];
        let acc = prepared.buffers.rebuild(&native.acc, acc_words, store)?;
        let result = match kind {
            LoopKind::Map => {
                let array = prepared.buffers.rebuild(&Shape::Array(native.elem), &prepared.io[2..4], store)?;
                Value::tuple(vec![array, acc])
            }
            LoopKind::Seq | LoopKind::Fold => acc,
        };
        prepared.buffers.all_given_back()?;
        Ok(result)
    }
}

/// The io words of a loop call: `frm`, `to`, then `step` or the array,
/// the fuel used and left, then the accumulator and the observer, flat;
/// the arrays copied out of the store.
fn prepare(
    kind: LoopKind,
    native: &NativeLoop,
    range: Range,
    arg: &Value,
    store: &dyn Store,
    fuel: u64,
) -> Result<Prepared, JitError> {
    let mut buffers = Buffers::default();
    let mut io = Vec::with_capacity(lower::HEADER + native.acc.width() + native.obsv.width());
    match kind {
        LoopKind::Seq => io.extend([range.frm, range.to, range.step, 0, 0, fuel]),
        LoopKind::Map | LoopKind::Fold => {
            let mut array = Vec::new();
            let writable = kind == LoopKind::Map;
            buffers.flatten(&Shape::Array(native.elem), field(arg, "arr")?.clone(), writable, store, &mut array)?;
            io.extend([range.frm, range.to, array[0], array[1], 0, fuel]);
        }
    }
    buffers.flatten(&native.acc, field(arg, "acc")?.clone(), true, store, &mut io)?;
    buffers.flatten(&native.obsv, field(arg, "obsv")?.clone(), false, store, &mut io)?;
    Ok(Prepared { io, buffers })
}
