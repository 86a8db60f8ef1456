//! Running a function on an engine, and the correspondence check.

use crate::core::ir;
use crate::interp::{Call, Interpreter, RunError, DEFAULT_FUEL};
use cdsl_runtime::{Fault, Heap, Library, Store, Value, ValueStore};

/// How an engine runs the library's bounded loops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loops {
    /// As native code where the step function allows (`interp::jit`).
    Native,
    /// Every step interpreted.
    Interpreted,
}

fn interpreter<'p>(program: &'p ir::Program, library: &'p Library, loops: Loops, fuel: u64) -> Interpreter<'p> {
    let interpreter = Interpreter::new(program, library).with_fuel(fuel);
    match loops {
        Loops::Native => interpreter,
        Loops::Interpreted => interpreter.without_native_loops(),
    }
}

/// Runs under value semantics.
pub fn run_value(program: &ir::Program, library: &Library, entry: &str, arg: Value) -> Result<Value, RunError> {
    run_value_with(program, library, entry, arg, Loops::Native, DEFAULT_FUEL)
}

pub fn run_value_with(
    program: &ir::Program,
    library: &Library,
    entry: &str,
    arg: Value,
    loops: Loops,
    fuel: u64,
) -> Result<Value, RunError> {
    interpreter(program, library, loops, fuel).call(entry, arg, &mut ValueStore)
}

/// Runs under update semantics; the result is read back out of the heap, and
/// anything still allocated that the result does not reach is a leak.
pub fn run_update(program: &ir::Program, library: &Library, entry: &str, arg: Value) -> Result<Value, RunError> {
    run_update_with(program, library, entry, arg, Loops::Native, DEFAULT_FUEL)
}

pub fn run_update_with(
    program: &ir::Program,
    library: &Library,
    entry: &str,
    arg: Value,
    loops: Loops,
    fuel: u64,
) -> Result<Value, RunError> {
    let mut heap = Heap::default();
    let result = interpreter(program, library, loops, fuel).call(entry, arg, &mut heap)?;
    check_no_leaks(&heap, &result, entry)?;
    heap.read_back(&result).map_err(|f| RunError { message: f.to_string(), path: vec![entry.to_owned()] })
}

fn check_no_leaks(heap: &Heap, result: &Value, entry: &str) -> Result<(), RunError> {
    let leaks = heap.leaks(std::slice::from_ref(result));
    if leaks.is_empty() {
        Ok(())
    } else {
        Err(RunError { message: Fault::Leak(leaks).to_string(), path: vec![entry.to_owned()] })
    }
}

/// The outcome of running both engines.
#[derive(Debug)]
pub enum Agreement {
    /// Both gave this value, and every call in between agreed.
    Agree(Value),
    /// The engines parted at this call (or at the end).
    Diverge { path: Vec<String>, value: String, update: String },
    /// Both failed the same way (e.g. out of fuel).
    BothFailed(RunError),
    /// One engine failed and the other did not.
    OneFailed { engine: &'static str, error: RunError },
    /// An engine with native loops did not do what it did interpreting them.
    NativeLoopsDiffer { engine: &'static str, interpreted: String, native: String },
}

/// Runs both engines, comparing the update engine's calls, read back, with
/// the value engine's, call by call: the first divergence is reported with
/// its call path. Tracing calls interprets every loop, so each engine then
/// runs again with native loops, untraced, and must end the same way.
pub fn run_both(program: &ir::Program, library: &Library, entry: &str, arg: Value, fuel: u64) -> Agreement {
    let traced = run_both_traced(program, library, entry, arg.clone(), fuel);
    let interpreted = match &traced {
        Agreement::Agree(v) => Ok(v),
        Agreement::BothFailed(e) => Err(e),
        _ => return traced,
    };
    for (engine, run) in [("value", run_value_with as RunWith), ("update", run_update_with)] {
        let native = run(program, library, entry, arg.clone(), Loops::Native, fuel);
        let same = match (&interpreted, &native) {
            (Ok(v), Ok(w)) => *v == w,
            (Err(e), Err(f)) => e.message == f.message || (e.is_out_of_fuel() && f.is_out_of_fuel()),
            _ => false,
        };
        if !same {
            let show = |outcome: Result<&Value, &RunError>| match outcome {
                Ok(v) => v.to_string(),
                Err(e) => format!("error: {e}"),
            };
            return Agreement::NativeLoopsDiffer {
                engine,
                interpreted: show(interpreted),
                native: show(native.as_ref()),
            };
        }
    }
    traced
}

type RunWith = fn(&ir::Program, &Library, &str, Value, Loops, u64) -> Result<Value, RunError>;

fn run_both_traced(program: &ir::Program, library: &Library, entry: &str, arg: Value, fuel: u64) -> Agreement {
    let mut value_engine = Interpreter::new(program, library).with_fuel(fuel);
    value_engine.trace = Some(Vec::new());
    let value_result = value_engine.call(entry, arg.clone(), &mut ValueStore);
    let mut update_engine = Interpreter::new(program, library).with_fuel(fuel);
    update_engine.trace = Some(Vec::new());
    let mut heap = Heap::default();
    let update_result = update_engine.call(entry, arg, &mut heap).and_then(|result| {
        check_no_leaks(&heap, &result, entry)?;
        heap.read_back(&result).map_err(|f| RunError { message: f.to_string(), path: vec![entry.to_owned()] })
    });
    let value_calls = value_engine.trace.unwrap_or_default();
    let update_calls = update_engine.trace.unwrap_or_default();
    if let Some((v, u)) = value_calls.iter().zip(&update_calls).find(|(v, u)| v != u) {
        return divergence(v, u);
    }
    match (value_result, update_result) {
        (Ok(v), Ok(u)) if v == u => Agreement::Agree(v),
        (Ok(v), Ok(u)) => {
            Agreement::Diverge { path: vec![entry.to_owned()], value: v.to_string(), update: u.to_string() }
        }
        (Err(e), Err(f)) if e.message == f.message => Agreement::BothFailed(e),
        (Err(error), _) => Agreement::OneFailed { engine: "value", error },
        (_, Err(error)) => Agreement::OneFailed { engine: "update", error },
    }
}

fn divergence(v: &Call, u: &Call) -> Agreement {
    let (value, update) = if v.path != u.path {
        (format!("a call to {}", v.path.join(" → ")), format!("a call to {}", u.path.join(" → ")))
    } else if v.arg != u.arg {
        (format!("argument {}", v.arg), format!("argument {}", u.arg))
    } else {
        (format!("result {}", v.result), format!("result {}", u.result))
    };
    Agreement::Diverge { path: v.path.clone(), value, update }
}
