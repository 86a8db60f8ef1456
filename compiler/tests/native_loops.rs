//! The interpreters' native loop tier on the programs it exists for: the
//! `make bench` loop programs and the loops of `tests/native_loops/` run
//! natively (not silently interpreted), and give what interpreting every
//! step gives, on both semantics, down to running out of fuel.

use cdsl::core::{ir, lower};
use cdsl::interp::engines::{Loops, Run};
use cdsl::interp::{Compiled, Interpreter};
use cdsl::source::SourceMap;
use cdsl::syntax::loader;
use cdsl_runtime::{Heap, Library, Value};
use std::path::Path;
use std::rc::Rc;

fn load(path: &str) -> ir::Program {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let mut sources = SourceMap::new();
    let (program, errors) = loader::load(&mut sources, &path).expect("readable");
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    let typed = cdsl::typeck::check_loaded(&program).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    lower::lower(&typed)
}

fn state_and(n: u32) -> Value {
    Value::tuple(vec![Value::SysState, Value::word(32, u64::from(n))])
}

/// Runs `main` with native loops, checks every loop it met ran natively,
/// and that both semantics interpreting every step agree with it.
fn runs_natively_and_agrees(path: &str, arg: Value) {
    let core = load(path);
    let library = Library::default();
    let compiled = Rc::new(Compiled::new(&core));
    let native = Interpreter::on(compiled.clone(), &library).call("main", arg.clone(), &mut Heap::default());
    let loops = compiled.native_loops();
    assert!(!loops.is_empty(), "{path}: no loop was met");
    for (step, outcome) in &loops {
        assert_eq!(outcome, &Ok(()), "{path}: the loop over `{step}` was interpreted");
    }
    let native = native.unwrap_or_else(|e| panic!("{path}: {e}"));
    for loops in [Loops::Native, Loops::Interpreted] {
        let run = Run::new(&core, &library).loops(loops);
        let (update, value) = (run.update("main", arg.clone()), run.value("main", arg.clone()));
        assert_eq!(update.as_ref(), Ok(&native), "{path}: update semantics, loops {loops:?}");
        assert_eq!(value.as_ref(), Ok(&native), "{path}: value semantics, loops {loops:?}");
    }
}

#[test]
fn the_benchmark_loops_run_natively() {
    runs_natively_and_agrees("benches/engines/checksum.cdsl", state_and(5_000));
    runs_natively_and_agrees("benches/engines/dirscan.cdsl", state_and(2_000));
    runs_natively_and_agrees("benches/engines/bitmap.cdsl", state_and(3_000));
}

#[test]
fn nested_loops_over_an_owned_array_run_natively() {
    runs_natively_and_agrees("tests/native_loops/nested.cdsl", state_and(16));
}

/// A loop of 2^64 - 1 steps ends in the interpreter's out-of-fuel error
/// natively too, having used the same fuel.
#[test]
fn a_huge_loop_runs_out_of_fuel_natively_as_interpreted() {
    let core = load("tests/native_loops/huge_loop.cdsl");
    let library = Library::default();
    let huge = Value::word(64, u64::MAX);
    let run = |loops, fuel, n: &Value| Run::new(&core, &library).loops(loops).fuel(fuel).update("main", n.clone());
    let native = run(Loops::Native, 100_000, &huge);
    let interpreted = run(Loops::Interpreted, 100_000, &huge);
    let (Err(native), Err(interpreted)) = (native, interpreted) else { panic!("the loop finished") };
    assert!(native.is_out_of_fuel() && interpreted.is_out_of_fuel(), "{native} / {interpreted}");
    // The least fuel that interpreting needs is enough natively, and one
    // step less is not.
    let steps = Value::word(64, 1_000);
    let run = |loops, fuel| run(loops, fuel, &steps);
    let (mut short, mut enough) = (0, 1_000_000);
    while enough - short > 1 {
        let middle = (short + enough) / 2;
        match run(Loops::Interpreted, middle) {
            Ok(_) => enough = middle,
            Err(_) => short = middle,
        }
    }
    assert_eq!(run(Loops::Native, enough), Ok(Value::word(64, 499_500)));
    assert_eq!(run(Loops::Native, short).map_err(|e| e.is_out_of_fuel()), Err(true));
}

/// A library that replaces a function native code implements itself gets
/// its own implementation run: such loops are interpreted.
#[test]
fn a_replaced_library_function_is_not_compiled_over() {
    fn seven(_: &str, _: Value, _: &mut cdsl_runtime::library::Context) -> Result<Value, cdsl_runtime::RuntimeError> {
        Ok(Value::word(32, 7))
    }
    let core = load("benches/engines/checksum.cdsl");
    let mut library = Library::default();
    library.register("wordarray_get", seven);
    let arg = state_and(100);
    let native = Run::new(&core, &library).update("main", arg.clone());
    let interpreted = Run::new(&core, &library).loops(Loops::Interpreted).update("main", arg.clone());
    assert_eq!(native, interpreted);
    let runtime_own = Run::new(&core, &Library::default()).update("main", arg);
    assert_ne!(native, runtime_own, "the replacement made no difference, so this test shows nothing");
}

/// The code a loop becomes, readable and stable: the checksum's fold with
/// its step function inlined (and its fuel counted), and the bitmap
/// allocator's loop over a record holding an array.
#[test]
fn native_loop_code_snapshots() {
    let checksum = Compiled::new(&load("benches/engines/checksum.cdsl"));
    insta::assert_snapshot!("checksum_add", checksum.native_loop_ir("seq32", "add").expect("lowers"));
    let bitmap = Compiled::new(&load("benches/engines/bitmap.cdsl"));
    insta::assert_snapshot!("bitmap_alloc_one", bitmap.native_loop_ir("seq32", "alloc_one").expect("lowers"));
}
