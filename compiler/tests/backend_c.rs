//! The C backend against the interpreters (the oracle): every program of
//! `benches/engines/`, `fs-examples/cdsl/`, `tests/backend_rust/` and the
//! well-typed programs of the typing and syntax corpora, and 400 random
//! well-typed programs (`common/progen.rs`; `CDSL_C_PROGEN_CASES`, more in
//! `make soak`), are translated to C (each under its own name prefix),
//! batched into translation units of up to 500 programs compiled by `cc
//! -std=c99 -Wall -Wextra -Werror -O1` two at a time, and each run's
//! printed result must be the value interpreter's, character for
//! character; on the generated programs the update interpreter must agree
//! with it too. Runs are chosen as in `backend_rust.rs`, with which the
//! harness is shared (`common/differential.rs`). The corpus programs that
//! allocate and 150 generated programs run under valgrind (no invalid
//! access, no leak: the entry releases its result), and the corpora and
//! those programs under ASan and UBSan where `cc` supports them. `cdsl
//! build --emit c -o DIR` writes a unit and its header that compile with
//! the runtime beside them, and user C that includes the header and defines
//! the abstract functions links with them (the worked example of
//! `docs/runtime.md`); names are stable as in `backend_rust.rs`; snapshots
//! pin the generated code of two small programs. Without `cc` the compiling
//! tests are skipped with a message.

#[path = "common/progen.rs"]
mod progen;

#[path = "common/programs.rs"]
mod programs;

#[path = "common/differential.rs"]
mod differential;

use cdsl::backend::c::{self, engine, Options};
use cdsl::core::{ir, lower};
use cdsl::source::SourceMap;
use cdsl_runtime::Value;
use differential::{corpus_files, corpus_unit, entry_name, Backend, Unit};
use programs::{cdsl_files_in, manifest};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Program `index` under the name prefix `p{index}_`, so that all share one unit.
fn options(index: usize) -> Options {
    Options { prefix: format!("p{index}_"), no_include: true, ..Options::default() }
}

/// Programs per translation unit: the default run is two or three of them,
/// compiled two at a time.
const PER_BATCH: usize = 500;

/// The C engine, its batches compiled with `-O1`.
struct C;

impl Backend for C {
    const NAME: &'static str = "C";

    fn module(&self, sources: &SourceMap, core: &ir::Program, index: usize) -> Result<String, String> {
        c::generate(core, Some(sources), &options(index)).map(|output| output.code).map_err(|e| e.to_string())
    }

    fn entry(&self, core: &ir::Program, index: usize, k: usize, function: &str, arg: &Value) -> Result<String, String> {
        c::entry_function(core, &options(index), &entry_name(index, k), function, arg).map_err(|e| e.to_string())
    }

    fn batch(&self, units: &[(usize, &Unit)]) -> String {
        batch(units)
    }

    fn build_and_run(&self, dir: &Path, source: &str) -> Result<(String, String), String> {
        let binary = engine::compile(dir, source, &["-O1"])?;
        let output = Command::new(&binary).output().map_err(|e| e.to_string())?;
        Ok((String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned()))
    }
}

/// One translation unit: the runtime header, each unit, and a `main`
/// calling each run (each prints its result on a line).
fn batch(units: &[(usize, &Unit)]) -> String {
    let mut out = String::from("#include \"cdsl_runtime.h\"\n\n");
    let mut calls = String::new();
    for (index, unit) in units {
        out.push_str(&unit.code);
        out.push('\n');
        for k in 0..unit.runs.len() {
            let _ = writeln!(calls, "    {}();", entry_name(*index, k));
        }
    }
    let _ = write!(out, "int main(void) {{\n{calls}    return 0;\n}}\n");
    out
}

/// Whether `cc` runs here; prints why a test is skipped when not.
fn have_cc(test: &str) -> bool {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let found = Command::new(&cc).arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        println!("skipping {test}: `{cc}` is not installed");
    }
    found
}

fn scratch(name: &str) -> PathBuf {
    differential::scratch("cdsl-backend-c", name)
}

/// Every corpus program's unit, in order.
fn corpus(files: &[PathBuf], skipped: &mut Vec<String>) -> Vec<Unit> {
    files.iter().enumerate().map(|(i, path)| corpus_unit(&C, path, i, skipped)).collect()
}

#[test]
fn generated_c_agrees_with_the_value_interpreter() {
    if !have_cc("generated_c_agrees_with_the_value_interpreter") {
        return;
    }
    let mut skipped = Vec::new();
    let mut units = differential::corpus_units(&C, &mut skipped);
    let corpus_runs: usize = units.iter().map(|(_, u)| u.runs.len()).sum();
    assert!(corpus_runs >= 150, "only {corpus_runs} corpus runs; skipped:\n{}", skipped.join("\n"));
    // Random well-typed programs, `CDSL_C_PROGEN_CASES` of them (default 400).
    let cases = differential::env_number("CDSL_C_PROGEN_CASES", 400);
    let generated = differential::generated_units(&C, cases, &mut skipped);
    assert!(generated.len() as u64 >= cases * 3 / 4, "only {} of {cases} generated programs run", generated.len());
    units.extend(generated);
    let total: usize = units.iter().map(|(_, u)| u.runs.len()).sum();
    let root = scratch("agree");
    let failures = differential::differential(&C, &units, PER_BATCH, &root);
    let _ = std::fs::remove_dir_all(&root);
    assert!(failures.is_empty(), "{} of {total} runs differ:\n{}", failures.len(), failures.join("\n"));
    println!("{total} runs agree; {} skipped, e.g.:\n{}", skipped.len(), skipped[..skipped.len().min(5)].join("\n"));
    let untranslated = differential::untranslated(&skipped);
    println!("{} generated programs not translated:", untranslated.len());
    for line in untranslated {
        println!("{line}");
    }
}

/// Generated programs run under valgrind, and the sanitizers, besides the corpus.
const VALGRIND_PROGEN_CASES: u64 = 150;

#[test]
fn generated_c_is_clean_under_valgrind() {
    if !have_cc("generated_c_is_clean_under_valgrind") {
        return;
    }
    if !Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success()) {
        println!("skipping generated_c_is_clean_under_valgrind: valgrind is not installed");
        return;
    }
    // Programs that allocate and free boxed records and word arrays.
    let files = cdsl_files_in(&["benches/engines", "tests/backend_rust", "../fs-examples/cdsl"]);
    let mut skipped = Vec::new();
    let units = corpus(&files, &mut skipped);
    // And random programs, whose every path frees what it allocated.
    let generated = differential::generated_units(&C, VALGRIND_PROGEN_CASES, &mut skipped);
    let mut all: Vec<(usize, &Unit)> = units.iter().enumerate().collect();
    all.extend(generated.iter().map(|(i, u)| (*i, u)));
    let runs: usize = all.iter().map(|(_, u)| u.runs.len()).sum();
    assert!(runs >= 20 + generated.len() && generated.len() >= 100, "only {runs} runs under valgrind");
    let dir = scratch("valgrind");
    let binary = engine::compile(&dir, &batch(&all), &["-O0", "-g"]).unwrap_or_else(|e| panic!("{e}"));
    let output = Command::new("valgrind")
        .args(["--error-exitcode=1", "--leak-check=full", "--errors-for-leak-kinds=all", "-q"])
        .arg(&binary)
        .output()
        .expect("valgrind runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "valgrind found errors in {runs} runs:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), runs);
}

#[test]
fn generated_c_is_clean_under_address_and_undefined_behaviour_sanitizers() {
    let test = "generated_c_is_clean_under_address_and_undefined_behaviour_sanitizers";
    if !have_cc(test) {
        return;
    }
    let sanitize = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-O1", "-g"];
    let probe = scratch("sanitize-probe");
    let works = engine::compile(&probe, "int main(void) { return 0; }\n", &sanitize)
        .is_ok_and(|binary| Command::new(binary).output().is_ok_and(|o| o.status.success()));
    let _ = std::fs::remove_dir_all(&probe);
    if !works {
        println!("skipping {test}: cc cannot build and run with -fsanitize=address,undefined here");
        return;
    }
    // The corpora's programs too: arithmetic on every word width and shift amount.
    let files = corpus_files();
    let mut skipped = Vec::new();
    let units = corpus(&files, &mut skipped);
    let generated = differential::generated_units(&C, VALGRIND_PROGEN_CASES, &mut skipped);
    let mut all: Vec<(usize, &Unit)> = units.iter().enumerate().collect();
    all.extend(generated.iter().map(|(i, u)| (*i, u)));
    let runs: usize = all.iter().map(|(_, u)| u.runs.len()).sum();
    let dir = scratch("sanitize");
    let binary = engine::compile(&dir, &batch(&all), &sanitize).unwrap_or_else(|e| panic!("{e}"));
    let output = Command::new(&binary).output().expect("the sanitized batch runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(output.status.success(), "sanitizers found errors:\n{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), runs);
}

#[test]
fn an_unrelated_addition_changes_no_generated_name() {
    differential::assert_unrelated_additions_change_nothing(40, |sources, core| {
        c::generate(core, Some(sources), &Options::default()).expect("translates").code
    });
}

#[test]
fn build_emit_c_writes_a_unit_that_compiles_with_the_runtime() {
    if !have_cc("build_emit_c_writes_a_unit_that_compiles_with_the_runtime") {
        return;
    }
    let dir = scratch("cli");
    let source = manifest().join("benches/engines/bitmap.cdsl");
    let status = Command::new(env!("CARGO_BIN_EXE_cdsl"))
        .args(["build", "--emit", "c", "-o"])
        .arg(&dir)
        .arg(&source)
        .status()
        .expect("cdsl runs");
    assert!(status.success());
    let code = std::fs::read_to_string(dir.join("bitmap.c")).expect("bitmap.c written");
    assert!(code.contains("/* `main : (SysState, U32)") && code.contains("(bitmap.cdsl:"), "no source comments");
    assert!(code.contains("#include \"bitmap.h\""), "no header include");
    assert!(
        dir.join("bitmap.h").exists() && dir.join("cdsl_runtime.h").exists() && dir.join("cdsl_runtime.c").exists()
    );
    // The unit, and a user file including the header twice (it has a guard).
    std::fs::write(dir.join("twice.c"), "#include \"bitmap.h\"\n#include \"bitmap.h\"\n").expect("twice.c");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    for unit in ["bitmap", "twice"] {
        let compiled = Command::new(&cc)
            .args(c::CFLAGS)
            .args(["-O2", "-c", "-o"])
            .arg(dir.join(format!("{unit}.o")))
            .arg(dir.join(format!("{unit}.c")))
            .output()
            .expect("cc runs");
        assert!(compiled.status.success(), "{unit}.c: {}", String::from_utf8_lossy(&compiled.stderr));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The parameter and result types of `function`'s declaration in `code`.
fn declared_types<'c>(code: &'c str, function: &str) -> (&'c str, &'c str) {
    let line = code
        .lines()
        .find(|l| l.contains(&format!(" {function}(")) && l.ends_with(" arg);"))
        .unwrap_or_else(|| panic!("no declaration of `{function}`"));
    let (result, rest) = line.split_once(&format!(" {function}(")).expect("declaration");
    (rest.trim_end_matches(" arg);"), result)
}

#[test]
fn build_emit_c_leaves_unimplemented_abstract_functions_to_the_user() {
    if !have_cc("build_emit_c_leaves_unimplemented_abstract_functions_to_the_user") {
        return;
    }
    let dir = scratch("user");
    let source = manifest().join("tests/typing/pass/pass_abstract_functions.cdsl");
    let output = Command::new(env!("CARGO_BIN_EXE_cdsl"))
        .args(["build", "--emit", "c", "-o"])
        .arg(&dir)
        .arg(&source)
        .output()
        .expect("cdsl runs");
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("define `buf_create` in your own C file"), "{stderr}");
    let header = std::fs::read_to_string(dir.join("pass_abstract_functions.h")).expect("header written");
    let code = std::fs::read_to_string(dir.join("pass_abstract_functions.c")).expect("unit written");
    assert!(code.contains("#include \"pass_abstract_functions.h\"") && !code.contains("struct Tup2_"), "{code}");
    let user_part = header.split("/* The program's functions. */").next().expect("split");
    assert!(user_part.contains(" buf_create(") && !user_part.contains(" with_buffer("), "{header}");
    // The user's file: the generated header included, `struct Abs_Buf` and
    // the three functions defined at the types the declarations give.
    let (create_param, create_result) = declared_types(&header, "buf_create");
    let (destroy_param, _) = declared_types(&header, "buf_destroy");
    let (entry_param, _) = declared_types(&header, "with_buffer");
    let user = format!(
        "#include <stdio.h>\n#include <stdlib.h>\n#include \"pass_abstract_functions.h\"\n\nstruct Abs_Buf {{ uint32_t \
         len; }};\n\n{create_result} buf_create({create_param} arg) {{\n    {create_result} r;\n    struct Abs_Buf *b = \
         malloc(sizeof *b);\n    b->len = arg.p1;\n    r.tag = {create_result}_Success;\n    r.u.Success.p0 = arg.p0;\n    \
         r.u.Success.p1 = b;\n    return r;\n}}\n\ncdsl_SysState buf_destroy({destroy_param} arg) {{\n    \
         free(arg.p1);\n    return arg.p0;\n}}\n\nuint32_t buf_length(struct Abs_Buf *arg) {{ return arg->len; }}\n\nint \
         main(void) {{\n    {entry_param} arg = {{ 0, 7 }};\n    printf(\"%u\\n\", (unsigned)with_buffer(arg).p1);\n    \
         return 0;\n}}\n"
    );
    std::fs::write(dir.join("user.c"), user).expect("user.c");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let binary = dir.join("user");
    let compiled = Command::new(&cc)
        .args(c::CFLAGS)
        .arg("-o")
        .arg(&binary)
        .arg(dir.join("user.c"))
        .arg(dir.join("pass_abstract_functions.c"))
        .arg(dir.join("cdsl_runtime.c"))
        .output()
        .expect("cc runs");
    assert!(compiled.status.success(), "{}", String::from_utf8_lossy(&compiled.stderr));
    let ran = Command::new(&binary).output().expect("runs");
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "7\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn run_engine_c_prints_what_the_value_engine_prints() {
    if !have_cc("run_engine_c_prints_what_the_value_engine_prints") {
        return;
    }
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
    assert_eq!(run("c"), run("value"));
    assert_eq!(run("c"), "(<SysState>, 95, 82)\n");
}

/// The generated code of a small program, shown below its source.
fn snapshot(name: &str, source: &str) -> String {
    let (sources, core) = lower_named(name, source);
    let output = c::generate(&core, Some(&sources), &Options::default()).expect("translates");
    format!("{source}\n/* ---- generated C ---- */\n{}", output.code)
}

fn lower_named(name: &str, source: &str) -> (SourceMap, ir::Program) {
    let mut sources = SourceMap::new();
    let file = sources.add(format!("{name}.cdsl"), source).expect("small");
    let (module, errors) = cdsl::syntax::parse_module(file, sources.text(file));
    assert!(errors.is_empty(), "{errors:?}");
    let core = lower::lower(&cdsl::typeck::check_program(&[&module]).expect("well typed"));
    (sources, core)
}

#[test]
fn snapshot_of_a_header_for_user_code() {
    let source = "\
type SysState
type Buf
type R a e = <Success a | Error e>

buf_create : (SysState, U32) -> R (SysState, Buf) SysState
buf_length : Buf! -> U32

type Node = { ino : U32 }
new_node : SysState -> R (SysState, Node take (..)) SysState

length_twice : Buf! -> U32
length_twice b = buf_length b + buf_length b
";
    let (sources, core) = lower_named("buffers", source);
    let options = Options { user_abstracts: true, header: Some("buffers".to_owned()), ..Options::default() };
    let output = c::generate(&core, Some(&sources), &options).expect("translates");
    let header = output.header.expect("a header");
    insta::assert_snapshot!(
        "backend_c_header",
        format!("{source}\n/* ---- buffers.h ---- */\n{header}\n/* ---- buffers.c ---- */\n{}", output.code)
    );
}

#[test]
fn snapshot_of_a_boxed_record_update() {
    let source = include_str!("backend_snapshots/grow.cdsl");
    insta::assert_snapshot!("backend_c_grow", snapshot("grow", source));
}

#[test]
fn snapshot_of_a_polymorphic_instance_and_a_match() {
    let source = include_str!("backend_snapshots/first.cdsl");
    insta::assert_snapshot!("backend_c_first", snapshot("first", source));
}
