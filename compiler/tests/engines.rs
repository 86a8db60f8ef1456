//! Every program of the corpora runs on both engines: each monomorphic
//! function whose argument can be written down is run on a few sample
//! arguments under value and update semantics, and the two must agree at
//! every call, leave no leak, and never fault.

#[path = "common/programs.rs"]
mod programs;

use cdsl::core::{ir, lower};
use cdsl::interp::engines::{run_both, Agreement};
use cdsl::source::SourceMap;
use cdsl::syntax::loader;
use cdsl_runtime::{Library, Value};
use programs::sample;
use std::path::{Path, PathBuf};

const CORPORA: &[&str] = &["../fs-examples/cdsl", "tests/typing/pass", "tests/syntax/pass"];

fn programs() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in CORPORA {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "cdsl"))
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

/// The core program of a file, if it parses and type-checks.
fn core_of(path: &Path) -> Option<ir::Program> {
    let mut sources = SourceMap::new();
    let (program, errors) = loader::load(&mut sources, path).ok()?;
    if !errors.is_empty() {
        return None;
    }
    cdsl::typeck::check_loaded(&program).ok().map(|typed| lower::lower(&typed))
}

#[test]
fn corpus_functions_agree_on_both_engines() {
    let library = Library::default();
    let mut runs = 0;
    let mut failures = Vec::new();
    for path in programs() {
        let Some(core) = core_of(&path) else { continue };
        for function in core.functions.values() {
            let (Some(_), Some((_, param))) = (&function.body, &function.param) else { continue };
            for k in 0..4 {
                let Some(arg) = sample(param, k) else { break };
                runs += 1;
                match run_both(&core, &library, &function.name, arg.clone(), 2_000_000) {
                    Agreement::Agree(_) => {}
                    // Both engines running out of fuel on a large loop bound is
                    // agreement too; so is reaching a user's abstract function
                    // that no library implements (the corpora declare many).
                    Agreement::BothFailed(e)
                        if e.message.starts_with("out of fuel") || e.message.starts_with("no implementation") => {}
                    other => failures.push(format!("{}: {} {arg}: {other:?}", path.display(), function.name)),
                }
            }
        }
    }
    assert!(runs >= 100, "only {runs} runs: the corpora have too few runnable functions to mean anything");
    assert!(failures.is_empty(), "{} of {runs} runs failed:\n{}", failures.len(), failures.join("\n"));
}

/// The documented way to add an abstract function (docs/runtime.md): one
/// Rust function over the store, registered by name, serves both engines.
#[test]
fn a_user_registered_abstract_function_runs_on_both_engines() {
    use cdsl_runtime::library::{Context, RuntimeError};

    fn double(_: &str, arg: Value, _: &mut Context) -> Result<Value, RuntimeError> {
        Ok(Value::word(32, arg.as_word().unwrap_or(0).wrapping_mul(2)))
    }
    let source = "double : U32 -> U32\nquadruple : U32 -> U32\nquadruple x = double (double x)\n";
    let mut sources = SourceMap::new();
    let file = sources.add("user.cdsl", source).unwrap();
    let (module, errors) = cdsl::syntax::parse_module(file, sources.text(file));
    assert!(errors.is_empty(), "{errors:?}");
    let core = lower::lower(&cdsl::typeck::check_program(&[&module]).expect("well typed"));
    let mut library = Library::default();
    library.register("double", double);
    match run_both(&core, &library, "quadruple", Value::word(32, 21), 1_000) {
        Agreement::Agree(v) => assert_eq!(v, Value::word(32, 84)),
        other => panic!("{other:?}"),
    }
}
