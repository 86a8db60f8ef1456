//! The Rust backend against the value interpreter (the oracle): every
//! program of `benches/engines/`, `fs-examples/cdsl/`, `tests/backend_rust/`
//! and the well-typed programs of the typing and syntax corpora is
//! translated to Rust, all of them batched into two
//! generated crates compiled by `rustc` (edition 2021) in parallel, and
//! each run's printed result must be the interpreter's, character for
//! character. A run is a function and an argument: `-- run: f ARG` lines in
//! `tests/backend_rust/*.cdsl`, `main (SysState, n)` for the benchmarks,
//! and a few sample arguments for every fs-example function. Also: `cdsl
//! build --emit rust -o DIR` writes a module that compiles on its own, and
//! snapshots pin the generated code of two small programs.

#[path = "common/programs.rs"]
mod programs;

use cdsl::backend::rust::{self, RuntimeLink};
use cdsl::core::lower;
use cdsl::interp::Interpreter;
use cdsl::source::SourceMap;
use cdsl_runtime::{Library, ValueStore};
use programs::{cdsl_files, load, manifest, runs_of};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Interpreter steps per run: runs that need more are left out (compiled
/// code has no fuel, so they would only be slow, not different).
const FUEL: u64 = 2_000_000;

struct Run {
    label: String,
    expected: String,
}

/// One program's generated module and its runs.
struct Unit {
    code: String,
    runs: Vec<Run>,
}

/// Translates a program and keeps the runs the interpreter completes.
fn unit(path: &Path, index: usize, skipped: &mut Vec<String>) -> Unit {
    let (sources, core) = load(path).unwrap_or_else(|| panic!("{} does not type-check", path.display()));
    let output = rust::generate(&core, Some(&sources), RuntimeLink::Parent)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut code = output.code;
    let mut runs = Vec::new();
    let library = Library::default();
    for (function, arg) in runs_of(path, &core) {
        let label = format!("{} {function} {arg}", path.file_name().unwrap_or_default().to_string_lossy());
        let expected =
            match Interpreter::new(&core, &library).with_fuel(FUEL).call(&function, arg.clone(), &mut ValueStore) {
                Ok(value) => value.to_string(),
                Err(e) => {
                    skipped.push(format!("{label}: the interpreter fails ({e})"));
                    continue;
                }
            };
        match rust::entry_function(&core, &format!("run_{index}_{}", runs.len()), &function, &arg) {
            Ok(entry) => code.push_str(&entry),
            Err(e) => {
                skipped.push(format!("{label}: {e}"));
                continue;
            }
        }
        runs.push(Run { label, expected });
    }
    Unit { code, runs }
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
        runs.extend((0..unit.runs.len()).map(|k| format!("p{index}::run_{index}_{k}")));
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
    let dir = std::env::temp_dir().join(format!("cdsl-backend-rust-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    dir
}

#[test]
fn generated_rust_agrees_with_the_value_interpreter() {
    let mut files = cdsl_files("benches/engines");
    files.extend(cdsl_files("../fs-examples/cdsl"));
    files.extend(cdsl_files("tests/backend_rust"));
    // The checker's and the parser's corpora: every program that type-checks.
    for corpus in ["tests/typing/pass", "tests/syntax/pass"] {
        files.extend(cdsl_files(corpus).into_iter().filter(|p| load(p).is_some()));
    }
    let mut skipped = Vec::new();
    let units: Vec<Unit> = files.iter().enumerate().map(|(i, path)| unit(path, i, &mut skipped)).collect();
    let total: usize = units.iter().map(|u| u.runs.len()).sum();
    assert!(total >= 150, "only {total} runs; skipped:\n{}", skipped.join("\n"));
    let dir = scratch("agree");
    // Two batches, compiled and run in parallel (two cores).
    let batches: Vec<Vec<(usize, &Unit)>> =
        (0..2).map(|b| units.iter().enumerate().filter(|(i, _)| i % 2 == b).collect()).collect();
    let results: Vec<Result<(Vec<&Run>, String), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = batches
            .iter()
            .enumerate()
            .map(|(b, batch_units)| {
                let dir = &dir;
                scope.spawn(move || {
                    let binary = compile(dir, &format!("batch{b}"), &batch(batch_units), "bin")?;
                    let output = Command::new(&binary).output().map_err(|e| e.to_string())?;
                    let runs: Vec<&Run> = batch_units.iter().flat_map(|(_, u)| u.runs.iter()).collect();
                    Ok((runs, String::from_utf8_lossy(&output.stdout).into_owned()))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("batch thread")).collect()
    });
    let mut failures = Vec::new();
    for result in results {
        let (runs, stdout) = result.unwrap_or_else(|e| panic!("{e}"));
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(
            lines.len(),
            runs.len(),
            "the batch printed {} lines for {} runs:\n{stdout}",
            lines.len(),
            runs.len()
        );
        for (run, line) in runs.iter().zip(lines) {
            if *line != run.expected {
                failures.push(format!("{}: interpreter {}, Rust {line}", run.label, run.expected));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{} of {total} runs differ:\n{}", failures.len(), failures.join("\n"));
    // Skipped: runs the interpreter cannot finish (mostly abstract
    // functions no library implements) or whose result cannot be printed.
    println!("{total} runs agree; {} skipped, e.g.:\n{}", skipped.len(), skipped[..skipped.len().min(5)].join("\n"));
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
    let source = "\
type Inode = { ino : U32, size : U64 }
type R a e = <Success a | Error e>

grow : (Inode, U64) -> R Inode (U32, Inode)
grow (node, n) =
  let node' { size = s } = node
  in if s + n < s
     then Error (75, node' { size = s })
     else Success (node' { size = s + n })

size_of : Inode! -> U64
size_of node = node.size
";
    insta::assert_snapshot!("backend_rust_grow", snapshot("grow", source));
}

#[test]
fn snapshot_of_a_polymorphic_instance_and_a_match() {
    let source = "\
type Option a = <None | Some a>

first : all (a :< DSE). (Option a, a) -> a
first (o, d) = o | Some x -> x
                 | None -> d

pick : (Option U8, Bool) -> (U8, Bool)
pick (o, b) = (first [U8] (o, 7 >> 1), first [Bool] (None, b && True))
";
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
