//! The Coq backend, checked by `coqc` (Debian package `coq`): every program
//! of `benches/engines/`, `fs-examples/cdsl/`, `tests/backend_rust/`,
//! `tests/backend_coq/` and the well-typed programs of the typing and
//! syntax corpora is translated and type-checked; the shallow functions,
//! evaluated by Coq on sample inputs, must equal what the value
//! interpreter computes (each comparison an `Example .. := eq_refl` that
//! Coq's kernel checks by computation, plus `Compute` output parsed against
//! `cdsl run --engine value`); the tricky-name program exports; snapshots
//! pin the generated Coq of two small programs. Without `coqc` on PATH the
//! checks that need it are skipped with a printed reason.

#[path = "common/progen.rs"]
mod progen;

#[path = "common/programs.rs"]
mod programs;

use cdsl::backend::coq;
use cdsl::core::{ir, lower};
use cdsl::interp::{literal, Interpreter};
use cdsl::source::SourceMap;
use cdsl::syntax::loader;
use cdsl::typeck::types::{Prim, Ty};
use cdsl_runtime::{Library, Value, ValueStore};
use programs::cdsl_files_in;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;

const FUEL: u64 = 200_000;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn load(path: &Path) -> Option<ir::Program> {
    let mut sources = SourceMap::new();
    let (program, errors) = loader::load(&mut sources, path).ok()?;
    if !errors.is_empty() {
        return None;
    }
    Some(lower::lower(&cdsl::typeck::check_loaded(&program).ok()?))
}

fn have_coqc() -> bool {
    cdsl_test_support::have_tool("coqc", "coq")
}

fn scratch(name: &str) -> PathBuf {
    cdsl_test_support::scratch("cdsl-backend-coq", name)
}

/// Writes modules (name, text) and the base library into `dir` and
/// type-checks them all with `make -j2`; coqc's complaint on failure.
fn check_modules(dir: &Path, modules: &[(String, String)]) -> Result<(), String> {
    std::fs::write(dir.join(coq::BASE_FILE), coq::BASE).map_err(|e| e.to_string())?;
    let mut makefile = String::from("all:");
    for (name, text) in modules {
        std::fs::write(dir.join(format!("{name}.v")), text).map_err(|e| e.to_string())?;
        let _ = write!(makefile, " {name}.vo");
    }
    makefile
        .push_str("\n\n%.vo: %.v CdslBase.vo\n\tcoqc -R . Cdsl $<\n\nCdslBase.vo: CdslBase.v\n\tcoqc -R . Cdsl $<\n");
    std::fs::write(dir.join("Makefile"), makefile).map_err(|e| e.to_string())?;
    let output = Command::new("make").args(["-k", "-s", "-j2", "-C"]).arg(dir).output().map_err(|e| e.to_string())?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)))
    }
}

/// Checks modules batched into two files, one per core, each module a Coq
/// `Module` so that their names stay apart: coqc starts slowly (it loads
/// the standard library each time).
fn check_batched(dir: &Path, modules: &[(String, String)]) -> Result<(), String> {
    let mut files = vec![String::new(), String::new()];
    for (i, (module, text)) in modules.iter().enumerate() {
        let body: Vec<&str> = text.lines().filter(|l| !l.starts_with("From ") && !l.starts_with("Require ")).collect();
        let _ = write!(files[i % 2], "Module {module}.\n{}\nEnd {module}.\n\n", body.join("\n"));
    }
    let header = "From Cdsl Require Import CdslBase.\nRequire Import Coq.NArith.NArith.\n\n";
    let files: Vec<(String, String)> =
        files.into_iter().enumerate().map(|(i, f)| (format!("Batch{i}"), format!("{header}{f}"))).collect();
    check_modules(dir, &files)
}

/// Every corpus program that type-checks, each with a module name.
fn corpus() -> Vec<(String, PathBuf, ir::Program)> {
    let folders = [
        "benches/engines",
        "../fs-examples/cdsl",
        "tests/backend_rust",
        "tests/backend_coq",
        "tests/typing/pass",
        "tests/syntax/pass",
    ];
    cdsl_files_in(&folders)
        .into_iter()
        .enumerate()
        .filter_map(|(i, path)| {
            let core = load(&path)?;
            let stem = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
            Some((coq::module_name(&format!("p{i}_{stem}")), path, core))
        })
        .collect()
}

/// A few values of a type (as the Rust backend's test samples them).
fn sample(ty: &Ty, k: u64) -> Option<Value> {
    Some(match ty {
        Ty::Prim(Prim::Bool) => Value::Bool(k % 2 == 1),
        Ty::Prim(Prim::String) => Value::Str(format!("s{k}").into()),
        Ty::Prim(p) => {
            let bits = p.bits() as u8;
            let choices = [0, 1, 7, u64::MAX, 1 << (bits - 1), 200];
            Value::word(bits, choices[(k as usize) % choices.len()])
        }
        Ty::Unit => Value::Unit,
        Ty::Abstract { name, .. } if name == "SysState" => Value::SysState,
        Ty::Tuple(items) => Value::Tuple(
            items.iter().enumerate().map(|(i, t)| sample(t, k + i as u64)).collect::<Option<Vec<_>>>()?.into(),
        ),
        Ty::Record { fields, boxed: false, .. } => Value::Record(
            fields
                .iter()
                .enumerate()
                .map(|(i, (n, f))| Some((Rc::from(n.as_str()), Some(sample(&f.ty, k + i as u64)?))))
                .collect::<Option<Vec<_>>>()?
                .into(),
        ),
        Ty::Variant(alts) => {
            let (tag, payload) = alts.iter().nth((k as usize) % alts.len())?;
            Value::variant(tag, sample(payload, k / 2)?)
        }
        _ => return None,
    })
}

/// Whether a function reaches an abstract one left a Coq `Parameter` (on
/// which computation gets stuck; the runtime's modelled ones are defined).
fn reaches_abstract(core: &ir::Program, output: &coq::Output, name: &str, seen: &mut BTreeSet<String>) -> bool {
    if !seen.insert(name.to_owned()) {
        return false;
    }
    let Some(function) = core.functions.get(name) else { return false };
    let Some(body) = &function.body else {
        return output.code.contains(&format!("Parameter {} :", output.names[name]));
    };
    let mut globals = BTreeSet::new();
    collect_globals(body, &mut globals);
    globals.iter().any(|g| reaches_abstract(core, output, g, seen))
}

fn collect_globals(e: &ir::Expr, into: &mut BTreeSet<String>) {
    // The printed core names every global as `@name`: cheaper than a
    // second traversal of every expression kind here.
    let text = format!("{e:?}");
    let mut rest = text.as_str();
    while let Some(at) = rest.find("Global(\"") {
        rest = &rest[at + 8..];
        if let Some(end) = rest.find('"') {
            into.insert(rest[..end].to_owned());
        }
    }
}

/// `-- run:` lines, else sample arguments for every function.
fn runs_of(path: &Path, core: &ir::Program) -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("-- run: ")).collect();
    let mut runs = Vec::new();
    for line in &lines {
        let (function, arg) = line.split_once(' ').unwrap_or((line, "()"));
        let param = core.functions[function].param.as_ref().map_or(Ty::Unit, |(_, t)| t.clone());
        if let Ok(value) = literal::parse(arg, &param) {
            runs.push((function.to_owned(), value));
        }
    }
    if !lines.is_empty() {
        return runs;
    }
    for function in core.functions.values().filter(|f| f.body.is_some()) {
        match &function.param {
            None => runs.push((function.name.clone(), Value::Unit)),
            Some((_, param)) => runs.extend((0..3).map_while(|k| Some((function.name.clone(), sample(param, k)?)))),
        }
    }
    runs
}

/// `Example`s stating what the interpreter computed; the number of runs.
fn examples(path: &Path, core: &ir::Program, output: &coq::Output, text: &mut String) -> usize {
    let library = Library::default();
    let mut count = 0;
    for (function, arg) in runs_of(path, core) {
        if reaches_abstract(core, output, &function, &mut BTreeSet::new()) {
            continue;
        }
        let entry = &core.functions[&function];
        let Ok(result) = Interpreter::new(core, &library).with_fuel(FUEL).call(&function, arg.clone(), &mut ValueStore)
        else {
            continue;
        };
        let Ok(expected) = coq::literal(&result, &entry.result) else { continue };
        let call = match &entry.param {
            Some((_, param)) => match coq::literal(&arg, param) {
                Ok(arg) => format!("({} {arg})", output.names[&function]),
                Err(_) => continue,
            },
            None => output.names[&function].clone(),
        };
        let _ = writeln!(text, "Example cdsl_run_{count} : {call} = {expected} := eq_refl.");
        count += 1;
    }
    count
}

#[test]
fn every_program_type_checks_in_coq_and_agrees_with_the_value_interpreter() {
    if !have_coqc() {
        return;
    }
    let mut modules = Vec::new();
    let mut runs = 0;
    for (module, path, core) in corpus() {
        let output = coq::generate(&core, &module).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut text = output.code.clone();
        text.push_str("\n(* The value interpreter's results, checked by computation. *)\n");
        runs += examples(&path, &core, &output, &mut text);
        modules.push((module, text));
    }
    assert!(modules.len() >= 100, "only {} programs", modules.len());
    assert!(runs >= 150, "only {runs} evaluation runs");
    let dir = scratch("corpus");
    if let Err(e) = check_batched(&dir, &modules) {
        panic!("coqc rejects generated Coq (in {}):\n{e}", dir.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("{} modules type-check; {runs} shallow evaluations equal the interpreter's", modules.len());
}

#[test]
fn a_wrong_expected_value_is_rejected_by_coq() {
    // The agreement test is not vacuous: Coq really computes.
    if !have_coqc() {
        return;
    }
    let core = load(&manifest().join("tests/backend_coq/names.cdsl")).expect("names.cdsl type-checks");
    let output = coq::generate(&core, "Wrong").expect("translates");
    let text = format!("{}\nExample wrong : {} (3%N, 4%N) = 8%N := eq_refl.\n", output.code, output.names["fun"]);
    let dir = scratch("wrong");
    assert!(check_modules(&dir, &[("Wrong".to_owned(), text)]).is_err(), "Coq accepted 3 + 4 = 8");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `cdsl run --engine value` prints a word; Coq's `Compute` prints `= N%N`.
#[test]
fn coq_compute_prints_what_cdsl_run_prints() {
    if !have_coqc() {
        return;
    }
    let file = manifest().join("tests/backend_coq/names.cdsl");
    let dir = scratch("compute");
    let status = Command::new(env!("CARGO_BIN_EXE_cdsl"))
        .args(["build", "--emit", "coq", "-o"])
        .arg(&dir)
        .arg(&file)
        .status()
        .expect("cdsl runs");
    assert!(status.success());
    for name in ["names.v", "CdslBase.v", "Makefile"] {
        assert!(dir.join(name).exists(), "{name} not written");
    }
    let cases = [("fun", "(3, 4)", "fun_ (3%N, 4%N)"), ("x_", "7", "x_ 7%N"), ("tt", "1", "tt_ 1%N")];
    let mut text = std::fs::read_to_string(dir.join("names.v")).expect("names.v");
    for (_, _, call) in &cases {
        let _ = writeln!(text, "Compute {call}.");
    }
    std::fs::write(dir.join("names.v"), text).expect("write");
    let output = Command::new("make").arg("-s").arg("-C").arg(&dir).output().expect("make runs");
    assert!(output.status.success(), "make -C: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let computed: Vec<String> = stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("= "))
        .map(|v| v.trim_end_matches("%N").to_owned())
        .collect();
    assert_eq!(computed.len(), cases.len(), "coqc printed:\n{stdout}");
    for ((function, arg, _), coq_value) in cases.iter().zip(&computed) {
        let run = Command::new(env!("CARGO_BIN_EXE_cdsl"))
            .arg("run")
            .arg(&file)
            .args(["--fn", function, "--arg", arg, "--engine", "value"])
            .output()
            .expect("cdsl runs");
        assert!(run.status.success());
        assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), coq_value, "{function} {arg}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tricky_names_are_renamed_stably() {
    let core = load(&manifest().join("tests/backend_coq/names.cdsl")).expect("names.cdsl type-checks");
    let output = coq::generate(&core, "names").expect("translates");
    let names = &output.names;
    assert_eq!(names["fun"], "fun_");
    assert_eq!(names["match"], "match_");
    assert_eq!(names["end_"], "end_");
    assert_eq!(names["x'"], "x'");
    assert_eq!(names["x_"], "x_");
    assert_eq!(names["tt"], "tt_");
    assert_eq!(names["cdsl_add"], "ucdsl_add");
    assert!(output.code.contains("Parameter Type_ : Type."));
    // Generating twice gives the same text.
    assert_eq!(coq::generate(&core, "names").expect("translates").code, output.code);
}

#[test]
fn build_emit_coq_needs_an_output_directory() {
    let output = Command::new(env!("CARGO_BIN_EXE_cdsl"))
        .args(["build", "--emit", "coq"])
        .arg(manifest().join("tests/backend_coq/names.cdsl"))
        .output()
        .expect("cdsl runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("-o DIR"));
}

fn snapshot(name: &str, source: &str) -> String {
    let mut sources = SourceMap::new();
    let file = sources.add(format!("{name}.cdsl"), source).expect("small");
    let (module, errors) = cdsl::syntax::parse_module(file, sources.text(file));
    assert!(errors.is_empty(), "{errors:?}");
    let core = lower::lower(&cdsl::typeck::check_program(&[&module]).expect("well typed"));
    let output = coq::generate(&core, name).expect("translates");
    format!("{source}\n(* ---- generated Coq ---- *)\n{}", output.code)
}

#[test]
fn snapshot_of_a_boxed_record_update() {
    let source = include_str!("backend_snapshots/grow.cdsl");
    insta::assert_snapshot!("backend_coq_grow", snapshot("grow", source));
}

#[test]
fn snapshot_of_a_polymorphic_instance_and_a_match() {
    let source = include_str!("backend_snapshots/first.cdsl");
    insta::assert_snapshot!("backend_coq_first", snapshot("first", source));
}

/// The lemma `docs/proofs.md` shows is proved against the generated module.
#[test]
fn the_lemma_in_docs_proofs_md_checks() {
    if !have_coqc() {
        return;
    }
    let doc = std::fs::read_to_string(manifest().join("../docs/proofs.md")).expect("docs/proofs.md");
    let block = doc.split("```coq\n").nth(1).and_then(|rest| rest.split("```").next()).expect("a ```coq block");
    let dir = scratch("docs");
    let status = Command::new(env!("CARGO_BIN_EXE_cdsl"))
        .args(["build", "--emit", "coq", "-o"])
        .arg(&dir)
        .arg(manifest().join("../fs-examples/cdsl/bitmap_alloc.cdsl"))
        .status()
        .expect("cdsl runs");
    assert!(status.success());
    let make = Command::new("make").arg("-s").arg("-C").arg(&dir).output().expect("make runs");
    assert!(make.status.success(), "{}", String::from_utf8_lossy(&make.stderr));
    std::fs::write(dir.join("Mine.v"), block).expect("write");
    let coqc = Command::new("coqc").args(["-R", ".", "Cdsl", "Mine.v"]).current_dir(&dir).output().expect("coqc runs");
    assert!(coqc.status.success(), "{}", String::from_utf8_lossy(&coqc.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Random well-typed programs (`common/progen.rs`) translate, type-check in
/// Coq, and their entry computes what the value interpreter computes.
#[test]
fn generated_programs_type_check_in_coq_and_agree() {
    if !have_coqc() {
        return;
    }
    let library = Library::default();
    let (mut modules, mut runs, mut untranslatable) = (Vec::new(), 0, Vec::new());
    for seed in 0..300u64 {
        let program = progen::generate(seed);
        let mut sources = SourceMap::new();
        let file = sources.add("generated.cdsl", program.source.as_str()).expect("small");
        let (module, errors) = cdsl::syntax::parse_module(file, sources.text(file));
        assert!(errors.is_empty(), "seed {seed}: {errors:?}");
        let core = lower::lower(&cdsl::typeck::check_program(&[&module]).expect("well typed"));
        let name = format!("Seed{seed}");
        let output = match coq::generate(&core, &name) {
            Ok(output) => output,
            // The core IR sometimes types an `if` joining variants narrower
            // than one of its branches (a checker bug, harmless to the
            // interpreters); Coq's sums cannot narrow, so the backend says
            // so. Counted, printed, and bounded below.
            Err(coq::CoqError::Unsupported(e)) => {
                untranslatable.push(format!("seed {seed}: {e}"));
                continue;
            }
            Err(e) => panic!("seed {seed}: {e}\n{}", program.source),
        };
        let mut text = output.code.clone();
        let entry = &core.functions[&program.entry];
        let param = entry.param.as_ref().map_or(Ty::Unit, |(_, t)| t.clone());
        let arg = literal::parse(&program.arg, &param).expect("the generator's argument parses");
        if !reaches_abstract(&core, &output, &program.entry, &mut BTreeSet::new()) {
            let result =
                Interpreter::new(&core, &library).with_fuel(FUEL).call(&program.entry, arg.clone(), &mut ValueStore);
            if let (Ok(result), Ok(arg)) = (result, coq::literal(&arg, &param)) {
                if let Ok(expected) = coq::literal(&result, &entry.result) {
                    let call = format!("({} {arg})", output.names[&program.entry]);
                    let _ = writeln!(text, "Example cdsl_run : {call} = {expected} := eq_refl.");
                    runs += 1;
                }
            }
        }
        modules.push((name, text));
    }
    assert!(
        untranslatable.len() <= 10,
        "{} programs untranslatable:\n{}",
        untranslatable.len(),
        untranslatable.join("\n")
    );
    let dir = scratch("generated");
    if let Err(e) = check_batched(&dir, &modules) {
        panic!("coqc rejects generated Coq (in {}):\n{e}", dir.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{} generated programs type-check in Coq; {runs} entries evaluated as the interpreter does; untranslatable:\n{}",
        modules.len(),
        untranslatable.join("\n")
    );
}

/// The ext2 example (issue #8's "done when"): its whole Coq mirror
/// type-checks, and sampled functions evaluate in Coq to what the value
/// interpreter computes.
#[test]
fn the_ext2_example_type_checks_in_coq_and_agrees() {
    let path = manifest().join("../fs-examples/ext2/ext2.cdsl");
    if !path.exists() {
        println!("skipped: no fs-examples/ext2/ext2.cdsl");
        return;
    }
    if !have_coqc() {
        return;
    }
    let core = load(&path).expect("ext2.cdsl type-checks");
    let output = coq::generate(&core, "ext2").expect("translates");
    let mut text = output.code.clone();
    let runs = examples(&path, &core, &output, &mut text);
    assert!(runs >= 20, "only {runs} sampled functions evaluate without abstract functions");
    let dir = scratch("ext2");
    if let Err(e) = check_modules(&dir, &[("ext2".to_owned(), text)]) {
        panic!("coqc rejects the ext2 mirror (in {}):\n{e}", dir.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("ext2: {} functions type-check in Coq; {runs} evaluations equal the interpreter's", core.functions.len());
}
