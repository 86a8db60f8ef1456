//! Running a function on an engine, and the correspondence check.

use crate::core::ir;
use crate::interp::{Call, Interpreter, RunError};
use cdsl_runtime::{Fault, Heap, Library, Store, Value, ValueStore};

/// Runs under value semantics.
pub fn run_value(program: &ir::Program, library: &Library, entry: &str, arg: Value) -> Result<Value, RunError> {
    Interpreter::new(program, library).call(entry, arg, &mut ValueStore)
}

/// Runs under update semantics; the result is read back out of the heap, and
/// anything still allocated that the result does not reach is a leak.
pub fn run_update(program: &ir::Program, library: &Library, entry: &str, arg: Value) -> Result<Value, RunError> {
    let mut heap = Heap::default();
    let result = Interpreter::new(program, library).call(entry, arg, &mut heap)?;
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
}

/// Runs both engines, comparing the update engine's calls, read back, with
/// the value engine's, call by call: the first divergence is reported with
/// its call path.
pub fn run_both(program: &ir::Program, library: &Library, entry: &str, arg: Value, fuel: u64) -> Agreement {
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
