//! The Rust backend against the interpreters (the oracle): every program
//! of `benches/engines/`, `fs-examples/cdsl/`, `tests/backend_rust/` and
//! the well-typed programs of the typing and syntax corpora, and 400 random
//! well-typed programs (`common/progen.rs`; `CDSL_RUST_PROGEN_CASES`, more
//! in `make soak`), are translated to Rust, batched into generated crates
//! of up to 400 programs compiled by `rustc` (edition 2021, `-C
//! opt-level=0`) two at a time, and each run's printed result must be the
//! value interpreter's, character for character; on the generated programs
//! the update interpreter must agree with it too (`common/differential.rs`,
//! shared with `backend_c.rs`). A run is a function and an argument: `--
//! run: f ARG` lines in `tests/backend_rust/*.cdsl`, `main (SysState, n)`
//! for the benchmarks, a few sample arguments for every other function, and
//! a generated program's own argument. Also: `cdsl build --emit rust -o
//! DIR` writes a module that compiles on its own, appending unrelated
//! definitions to 40 generated programs changes none of their generated
//! items (stable names), and snapshots pin the generated code of two small
//! programs.

#[path = "common/progen.rs"]
mod progen;

#[path = "common/programs.rs"]
mod programs;

#[path = "common/differential.rs"]
mod differential;

use cdsl::backend::rust::{self, RuntimeLink};
use cdsl::core::{ir, lower};
use cdsl::source::SourceMap;
use cdsl_runtime::Value;
use differential::{entry_name, Backend, Unit};
use programs::manifest;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Programs per crate: the default run is two or three of them,
/// compiled two at a time.
const PER_BATCH: usize = 400;

/// The Rust engine: each program a module `p{index}` of one crate per batch.
struct Rust;

impl Backend for Rust {
    const NAME: &'static str = "Rust";

    fn module(&self, sources: &SourceMap, core: &ir::Program, _index: usize) -> Result<String, String> {
        rust::generate(core, Some(sources), RuntimeLink::Parent).map(|output| output.code).map_err(|e| e.to_string())
    }

    fn entry(&self, core: &ir::Program, index: usize, k: usize, function: &str, arg: &Value) -> Result<String, String> {
        rust::entry_function(core, &entry_name(index, k), function, arg).map_err(|e| e.to_string())
    }

    fn batch(&self, units: &[(usize, &Unit)]) -> String {
        batch(units)
    }

    fn build_and_run(&self, dir: &Path, source: &str) -> Result<(String, String), String> {
        let binary = compile(dir, "batch", source, "bin")?;
        let output = Command::new(&binary).output().map_err(|e| e.to_string())?;
        Ok((String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned()))
    }
}

/// One crate: the runtime, each unit as a module, and a `main` printing
/// each run's result (or its panic) on a line.
fn batch(units: &[(usize, &Unit)]) -> String {
    let mut out = String::from("#![forbid(unsafe_code)]\n\npub mod cdsl_rt {\n");
    out.push_str(rust::RUNTIME);
    out.push_str("}\n\n");
    let mut runs = Vec::new();
    for (index, unit) in units {
        let _ = writeln!(out, "pub mod p{index} {{\n{}}}\n", unit.code);
        runs.extend((0..unit.runs.len()).map(|k| format!("p{index}::{}", entry_name(*index, k))));
    }
    out.push_str("fn main() {\n    std::panic::set_hook(Box::new(|_| {}));\n");
    let _ = writeln!(out, "    let runs: &[fn() -> String] = &[{}];", runs.join(", "));
    out.push_str(
        "    for run in runs {\n        match std::panic::catch_unwind(run) {\n            Ok(result) => \
         println!(\"{result}\"),\n            Err(e) => println!(\"panic: {:?}\", e.downcast_ref::<String>()),\n        \
         }\n    }\n}\n",
    );
    out
}

fn rustc() -> String {
    std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned())
}

/// Compiles `source` in `dir`; the binary's path, or rustc's complaint.
fn compile(dir: &Path, name: &str, source: &str, crate_type: &str) -> Result<PathBuf, String> {
    let file = dir.join(format!("{name}.rs"));
    std::fs::write(&file, source).map_err(|e| e.to_string())?;
    let binary = dir.join(name);
    let output = Command::new(rustc())
        .args(["--edition", "2021", "--crate-type", crate_type, "-C", "opt-level=0", "-C", "debuginfo=0", "-o"])
        .arg(&binary)
        .arg(&file)
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    if output.status.success() {
        Ok(binary)
    } else {
        Err(format!("rustc failed on {}:\n{}", file.display(), String::from_utf8_lossy(&output.stderr)))
    }
}

fn scratch(name: &str) -> PathBuf {
    differential::scratch("cdsl-backend-rust", name)
}

#[test]
fn generated_rust_agrees_with_the_value_interpreter() {
    let start = std::time::Instant::now();
    let mut skipped = Vec::new();
    let mut units = differential::corpus_units(&Rust, &mut skipped);
    let corpus_runs: usize = units.iter().map(|(_, u)| u.runs.len()).sum();
    assert!(corpus_runs >= 150, "only {corpus_runs} corpus runs; skipped:\n{}", skipped.join("\n"));
    // Random well-typed programs, `CDSL_RUST_PROGEN_CASES` of them (default 400).
    let cases = differential::env_number("CDSL_RUST_PROGEN_CASES", 400);
    let generated = differential::generated_units(&Rust, cases, &mut skipped);
    assert!(generated.len() as u64 >= cases * 3 / 4, "only {} of {cases} generated programs run", generated.len());
    units.extend(generated);
    let total: usize = units.iter().map(|(_, u)| u.runs.len()).sum();
    let root = scratch("agree");
    let translated = start.elapsed();
    let failures = differential::differential(&Rust, &units, PER_BATCH, &root);
    println!(
        "translated and interpreted in {translated:.1?}, compiled and run in {:.1?}",
        start.elapsed() - translated
    );
    let _ = std::fs::remove_dir_all(&root);
    assert!(failures.is_empty(), "{} of {total} runs differ:\n{}", failures.len(), failures.join("\n"));
    // Skipped: runs the interpreter cannot finish (mostly abstract
    // functions no library implements) or whose result cannot be printed.
    println!("{total} runs agree; {} skipped, e.g.:\n{}", skipped.len(), skipped[..skipped.len().min(5)].join("\n"));
    let untranslated = differential::untranslated(&skipped);
    println!("{} generated programs not translated:", untranslated.len());
    for line in untranslated {
        println!("{line}");
    }
}

#[test]
fn an_unrelated_addition_changes_no_generated_name() {
    differential::assert_unrelated_additions_change_nothing(40, |sources, core| {
        rust::generate(core, Some(sources), RuntimeLink::Parent).expect("translates").code
    });
}

#[test]
fn build_emit_rust_writes_a_module_that_compiles_alone() {
    let dir = scratch("cli");
    let source = manifest().join("benches/engines/bitmap.cdsl");
    let status = Command::new(env!("CARGO_BIN_EXE_cdsl"))
        .args(["build", "--emit", "rust", "-o"])
        .arg(&dir)
        .arg(&source)
        .status()
        .expect("cdsl runs");
    assert!(status.success());
    let code = std::fs::read_to_string(dir.join("bitmap.rs")).expect("bitmap.rs written");
    assert!(code.contains("#![forbid(unsafe_code)]") && code.contains("pub mod cdsl_rt"));
    assert!(code.contains("// bitmap.cdsl:"), "no source line comments");
    // Compiled as a crate of its own: the runtime copy makes it complete.
    if let Err(e) = compile(&dir, "bitmap_lib", &code, "lib") {
        panic!("{e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The generated code of a small program, shown below its source.
fn snapshot(name: &str, source: &str) -> String {
    let mut sources = SourceMap::new();
    let file = sources.add(format!("{name}.cdsl"), source).expect("small");
    let (module, errors) = cdsl::syntax::parse_module(file, sources.text(file));
    assert!(errors.is_empty(), "{errors:?}");
    let core = lower::lower(&cdsl::typeck::check_program(&[&module]).expect("well typed"));
    let output = rust::generate(&core, Some(&sources), RuntimeLink::Parent).expect("translates");
    format!("{source}\n// ---- generated Rust ----\n{}", output.code)
}

#[test]
fn snapshot_of_a_boxed_record_update() {
    let source = include_str!("backend_snapshots/grow.cdsl");
    insta::assert_snapshot!("backend_rust_grow", snapshot("grow", source));
}

#[test]
fn snapshot_of_a_polymorphic_instance_and_a_match() {
    let source = include_str!("backend_snapshots/first.cdsl");
    insta::assert_snapshot!("backend_rust_first", snapshot("first", source));
}

#[test]
fn run_engine_rust_prints_what_the_value_engine_prints() {
    let file = manifest().join("tests/backend_rust/records.cdsl");
    let run = |engine: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_cdsl"))
            .arg("run")
            .arg(&file)
            .args(["--fn", "roundtrip", "--arg", "(SysState, 41)", "--engine", engine])
            .output()
            .expect("cdsl runs");
        assert!(output.status.success(), "{engine}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert_eq!(run("rust"), run("value"));
    assert_eq!(run("rust"), "(<SysState>, 95, 82)\n");
}
