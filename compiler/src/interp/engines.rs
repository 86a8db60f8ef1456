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

/// A run's settings: the program, its library, how loops run, and the fuel.
#[derive(Clone, Copy)]
pub struct Run<'p> {
    program: &'p ir::Program,
    library: &'p Library,
    loops: Loops,
    fuel: u64,
}

impl<'p> Run<'p> {
    /// Native loops and the default fuel.
    pub fn new(program: &'p ir::Program, library: &'p Library) -> Self {
        Run { program, library, loops: Loops::Native, fuel: DEFAULT_FUEL }
    }

    pub fn loops(self, loops: Loops) -> Self {
        Run { loops, ..self }
    }

    pub fn fuel(self, fuel: u64) -> Self {
        Run { fuel, ..self }
    }

    fn interpreter(&self) -> Interpreter<'p> {
        let interpreter = Interpreter::new(self.program, self.library).with_fuel(self.fuel);
        match self.loops {
            Loops::Native => interpreter,
            Loops::Interpreted => interpreter.without_native_loops(),
        }
    }

    /// Runs under value semantics.
    pub fn value(&self, entry: &str, arg: Value) -> Result<Value, RunError> {
        self.interpreter().call(entry, arg, &mut ValueStore)
    }

    /// Runs under update semantics; the result is read back out of the
    /// heap, and anything still allocated that the result does not reach is
    /// a leak.
    pub fn update(&self, entry: &str, arg: Value) -> Result<Value, RunError> {
        let mut heap = Heap::default();
        let result = self.interpreter().call(entry, arg, &mut heap)?;
        check_no_leaks(&heap, &result, entry)?;
        heap.read_back(&result).map_err(|f| RunError { message: f.to_string(), path: vec![entry.to_owned()] })
    }
}

/// Runs under value semantics.
pub fn run_value(program: &ir::Program, library: &Library, entry: &str, arg: Value) -> Result<Value, RunError> {
    Run::new(program, library).value(entry, arg)
}

/// Runs under update semantics (see [`Run::update`]).
pub fn run_update(program: &ir::Program, library: &Library, entry: &str, arg: Value) -> Result<Value, RunError> {
    Run::new(program, library).update(entry, arg)
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
    let run = Run::new(program, library).fuel(fuel);
    for engine in ["value", "update"] {
        let native = if engine == "value" { run.value(entry, arg.clone()) } else { run.update(entry, arg.clone()) };
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
