//! The two engines agree on random well-typed programs: each of
//! `CDSL_PROGEN_CASES` generated programs (default 2,000; `make soak` runs
//! many more) is lowered and its entry run on its argument under value and
//! update semantics, which must agree at every call, never fault, and leave
//! no leak. The update interpreter's own checks never firing on a
//! well-typed program is part of what is tested.

#[path = "common/progen.rs"]
mod progen;

use cdsl::core::{ir, lower};
use cdsl::interp::engines::{run_both, Agreement};
use cdsl::interp::literal;
use cdsl::interp::{Compiled, Interpreter};
use cdsl::source::SourceMap;
use cdsl::syntax::parse_module;
use cdsl_runtime::{Heap, Library, Value};
use std::collections::BTreeMap;
use std::rc::Rc;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A generated program lowered, with its entry and argument.
fn prepare(seed: u64) -> Result<(progen::GeneratedProgram, ir::Program, Value), String> {
    let program = progen::generate(seed);
    let mut sources = SourceMap::new();
    let file = sources.add("generated.cdsl", program.source.as_str()).map_err(|e| format!("{e:?}"))?;
    let (module, errors) = parse_module(file, sources.text(file));
    if !errors.is_empty() {
        return Err(format!("seed {seed}: syntax errors {errors:?}"));
    }
    let typed = cdsl::typeck::check_program(&[&module]).map_err(|e| format!("seed {seed}: type errors {e:?}"))?;
    let core = lower::lower(&typed);
    let entry =
        core.functions.get(&program.entry).ok_or_else(|| format!("seed {seed}: no entry `{}`", program.entry))?;
    let param =
        entry.param.as_ref().map(|(_, t)| t.clone()).ok_or_else(|| format!("seed {seed}: entry has no parameter"))?;
    let arg =
        literal::parse(&program.arg, &param).map_err(|e| format!("seed {seed}: argument {}: {e}", program.arg))?;
    Ok((program, core, arg))
}

/// Runs one generated program on both engines; a description of any failure.
fn agree(seed: u64, library: &Library) -> Result<(), String> {
    let (program, core, arg) = prepare(seed)?;
    match run_both(&core, library, &program.entry, arg, 50_000_000) {
        Agreement::Agree(_) => Ok(()),
        other => Err(format!("seed {seed}: {other:?}\n{}", program.source)),
    }
}

#[test]
fn generated_programs_agree_on_both_engines() {
    let cases = env_number("CDSL_PROGEN_CASES", 2_000);
    let first = env_number("CDSL_PROGEN_SEED", 0);
    let library = Library::default();
    let failures: Vec<String> = (first..first + cases).filter_map(|seed| agree(seed, &library).err()).collect();
    assert!(failures.is_empty(), "{} of {cases} programs failed; the first:\n{}", failures.len(), failures[0]);
}

/// `run_both` checks native loops against interpreted ones, which says
/// little if few loops run natively: most of the generated programs' loops
/// must. The reasons the others do not are printed.
#[test]
fn most_generated_loops_run_natively() {
    let library = Library::default();
    let (mut native, mut interpreted) = (0, BTreeMap::<String, usize>::new());
    for seed in 0..300 {
        let Ok((program, core, arg)) = prepare(seed) else { continue };
        let compiled = Rc::new(Compiled::new(&core));
        let _ = Interpreter::on(compiled.clone(), &library).call(&program.entry, arg, &mut Heap::default());
        for (_, outcome) in compiled.native_loops() {
            match outcome {
                Ok(()) => native += 1,
                Err(why) => *interpreted.entry(why).or_default() += 1,
            }
        }
    }
    let others: usize = interpreted.values().sum();
    eprintln!("{native} loops native, {others} interpreted: {interpreted:#?}");
    assert!(native >= 50 && native >= 3 * others, "{native} loops native, {others} interpreted: {interpreted:#?}");
}
