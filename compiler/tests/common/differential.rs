//! What the backend tests (`backend_c.rs`, `backend_rust.rs`) share: which
//! programs they translate (the corpora, and random well-typed programs
//! from `progen.rs`), the answers a compiled run must print (the value
//! interpreter's; for generated programs the update interpreter must agree
//! with it at every call, leak-free, so all engines are compared on the
//! same programs), and the differential run itself: programs batched into
//! a few compiled programs built and run in parallel, each printed line
//! compared with its run's answer.
//!
//! A backend plugs in through [`Backend`]. The including crate declares
//! `programs` (`common/programs.rs`) and `progen` (`common/progen.rs`).
#![allow(dead_code)]

use crate::progen;
use crate::programs::{cdsl_files, load, runs_of};
use cdsl::core::{ir, lower};
use cdsl::interp::engines::{run_both, Agreement};
use cdsl::interp::{literal, Interpreter};
use cdsl::source::SourceMap;
use cdsl::typeck::types::Ty;
use cdsl_runtime::{Library, Value, ValueStore};
use std::path::{Path, PathBuf};

/// Interpreter steps per run: runs that need more are left out (compiled
/// code has no fuel, so they would only be slow, not different).
pub const FUEL: u64 = 2_000_000;

/// The index of generated program `seed` (corpus files are numbered from 0).
pub const GENERATED_BASE: usize = 100_000;

/// One run: what it is, and the line the compiled program must print.
pub struct Run {
    pub label: String,
    pub expected: String,
}

/// One program's generated code, its entry functions included, and its runs.
pub struct Unit {
    pub code: String,
    pub runs: Vec<Run>,
}

/// A compiled engine under test.
pub trait Backend: Sync {
    /// The engine's name in failure messages.
    const NAME: &'static str;
    /// Program `index`'s translation.
    fn module(&self, sources: &SourceMap, core: &ir::Program, index: usize) -> Result<String, String>;
    /// An entry function for run `k` of program `index` (named
    /// [`entry_name`]), placed after the module's code: runs `function` on
    /// `arg`, its result in the interpreters' display format becoming one
    /// line of the batch's output.
    fn entry(&self, core: &ir::Program, index: usize, k: usize, function: &str, arg: &Value) -> Result<String, String>;
    /// One program calling every run of `units` in order, a line each.
    fn batch(&self, units: &[(usize, &Unit)]) -> String;
    /// Compiles `source` in `dir` and runs it: its stdout and stderr.
    fn build_and_run(&self, dir: &Path, source: &str) -> Result<(String, String), String>;
}

/// The entry function of run `k` of program `index`.
pub fn entry_name(index: usize, k: usize) -> String {
    format!("run_{index}_{k}")
}

/// Every program of `benches/engines/`, `fs-examples/cdsl/`,
/// `tests/backend_rust/`, and the well-typed ones of the typing and syntax
/// corpora.
pub fn corpus_files() -> Vec<PathBuf> {
    let mut files = cdsl_files("benches/engines");
    files.extend(cdsl_files("../fs-examples/cdsl"));
    files.extend(cdsl_files("tests/backend_rust"));
    for corpus in ["tests/typing/pass", "tests/syntax/pass"] {
        files.extend(cdsl_files(corpus).into_iter().filter(|p| load(p).is_some()));
    }
    files
}

/// The value interpreter's answer, or why it has none.
pub fn expected(core: &ir::Program, function: &str, arg: &Value) -> Result<String, String> {
    let library = Library::default();
    match Interpreter::new(core, &library).with_fuel(FUEL).call(function, arg.clone(), &mut ValueStore) {
        Ok(value) => Ok(value.to_string()),
        Err(e) => Err(format!("the interpreter fails ({e})")),
    }
}

/// Translates a corpus program and keeps the runs the interpreter completes
/// (the others, with why, go to `skipped`).
pub fn corpus_unit<B: Backend>(backend: &B, path: &Path, index: usize, skipped: &mut Vec<String>) -> Unit {
    let (sources, core) = load(path).unwrap_or_else(|| panic!("{} does not type-check", path.display()));
    let mut code = backend.module(&sources, &core, index).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut runs = Vec::new();
    for (function, arg) in runs_of(path, &core) {
        let label = format!("{} {function} {arg}", path.file_name().unwrap_or_default().to_string_lossy());
        let entry = expected(&core, &function, &arg)
            .and_then(|expected| Ok((expected, backend.entry(&core, index, runs.len(), &function, &arg)?)));
        match entry {
            Ok((expected, entry)) => {
                code.push_str(&entry);
                runs.push(Run { label, expected });
            }
            Err(e) => skipped.push(format!("{label}: {e}")),
        }
    }
    Unit { code, runs }
}

/// Every corpus program as a unit, numbered from 0.
pub fn corpus_units<B: Backend>(backend: &B, skipped: &mut Vec<String>) -> Vec<(usize, Unit)> {
    corpus_files().iter().enumerate().map(|(i, path)| (i, corpus_unit(backend, path, i, skipped))).collect()
}

/// `$variable` as a number, or `default`.
pub fn env_number(variable: &str, default: u64) -> u64 {
    std::env::var(variable).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Random well-typed programs for seeds `0..cases`, each with one run (its
/// entry on its generated argument) and numbered `GENERATED_BASE + seed`.
/// The answer is the value interpreter's, and the update interpreter must
/// agree with it call by call and leak nothing, or this panics: so the
/// backend's agreement with the answer is agreement with both engines.
pub fn generated_units<B: Backend>(backend: &B, cases: u64, skipped: &mut Vec<String>) -> Vec<(usize, Unit)> {
    let library = Library::default();
    let mut units = Vec::new();
    for seed in 0..cases {
        let program = progen::generate(seed);
        let mut sources = SourceMap::new();
        let file = sources.add(format!("gen{seed}.cdsl"), program.source.as_str()).expect("small");
        let (module, errors) = cdsl::syntax::parse_module(file, sources.text(file));
        assert!(errors.is_empty(), "seed {seed}: {errors:?}");
        let typed = cdsl::typeck::check_program(&[&module]).unwrap_or_else(|e| panic!("seed {seed}: {e:?}"));
        let core = lower::lower(&typed);
        let index = GENERATED_BASE + seed as usize;
        let param = core.functions[&program.entry].param.as_ref().map_or(Ty::Unit, |(_, t)| t.clone());
        let arg = literal::parse(&program.arg, &param).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let label = format!("generated seed {seed}: {} {arg}", program.entry);
        let expected = match run_both(&core, &library, &program.entry, arg.clone(), FUEL) {
            Agreement::Agree(value) => value.to_string(),
            Agreement::BothFailed(e) => {
                skipped.push(format!("{label}: the interpreters fail ({e})"));
                continue;
            }
            other => panic!("{label}: the interpreters disagree: {other:?}\n{}", program.source),
        };
        let code = backend
            .module(&sources, &core, index)
            .and_then(|code| Ok(code + &backend.entry(&core, index, 0, &program.entry, &arg)?));
        match code {
            Ok(code) => units.push((index, Unit { code, runs: vec![Run { label, expected }] })),
            Err(e) => skipped.push(format!("{label}: {e}")),
        }
    }
    units
}

/// A fresh scratch directory for one test.
pub fn scratch(prefix: &str, name: &str) -> PathBuf {
    cdsl_test_support::scratch_shared(prefix, name)
}

/// A batch's stdout and stderr, or why it did not build or run.
type Outcome = Result<(String, String), String>;

/// Splits `units` into batches of at most `per_batch` programs (round
/// robin), builds and runs them two at a time (two cores) under `root`, and
/// compares every printed line with its run's answer: the differing runs,
/// described. Panics when a batch does not build or stops early. (Compile
/// time grows faster than a batch's size, so big runs take more batches.)
pub fn differential<B: Backend>(backend: &B, units: &[(usize, Unit)], per_batch: usize, root: &Path) -> Vec<String> {
    let batches = units.len().div_ceil(per_batch.max(1)).max(1);
    let split: Vec<Vec<(usize, &Unit)>> = (0..batches)
        .map(|b| units.iter().enumerate().filter(|(k, _)| k % batches == b).map(|(_, (i, u))| (*i, u)).collect())
        .collect();
    const WORKERS: usize = 2;
    let mut results: Vec<(usize, Outcome)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..WORKERS)
            .map(|worker| {
                let split = &split;
                scope.spawn(move || {
                    let mine = (worker..split.len()).step_by(WORKERS);
                    mine.map(|b| {
                        let dir = root.join(format!("batch{b}"));
                        let result = std::fs::create_dir_all(&dir)
                            .map_err(|e| e.to_string())
                            .and_then(|()| backend.build_and_run(&dir, &backend.batch(&split[b])));
                        (b, result)
                    })
                    .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("batch thread")).collect()
    });
    results.sort_by_key(|(b, _)| *b);
    let mut failures = Vec::new();
    for (batch_units, (_, result)) in split.iter().zip(results) {
        let (stdout, stderr) = result.unwrap_or_else(|e| {
            panic!(
                "{e}\n(the batch is kept under {}; program `p{{N}}` is corpus file N, or generated seed N - \
                 {GENERATED_BASE})",
                root.display()
            )
        });
        let runs: Vec<&Run> = batch_units.iter().flat_map(|(_, u)| u.runs.iter()).collect();
        let lines: Vec<&str> = stdout.lines().collect();
        if lines.len() != runs.len() {
            let stopped = runs.get(lines.len()).map_or("?", |r| r.label.as_str());
            panic!(
                "the {} batch printed {} lines for {} runs; it stopped at {stopped}: {stderr}",
                B::NAME,
                lines.len(),
                runs.len()
            );
        }
        for (run, line) in runs.iter().zip(lines) {
            if *line != run.expected {
                failures.push(format!("{}: interpreter {}, {} {line}", run.label, run.expected, B::NAME));
            }
        }
    }
    failures
}

/// The generated programs `skipped` says the backend could not translate
/// (or whose result it cannot print).
pub fn untranslated(skipped: &[String]) -> Vec<&String> {
    skipped.iter().filter(|s| s.starts_with("generated seed") && !s.contains("the interpreters fail")).collect()
}

/// Definitions appended to a program by the name-stability tests: new
/// record and variant types, a polymorphic function, and new instances of
/// it and of a runtime function. (Generated programs paste the prelude in.)
pub const UNRELATED: &str = "
type UnrelatedRec = #{unrelated_a : U16, unrelated_b : <UnrelatedA U8 | UnrelatedB>}

unrelated_id : all (a :< DSE). a -> a
unrelated_id x = x

unrelated : (UnrelatedRec, (WordArray U8)!) -> (UnrelatedRec, U32)
unrelated (r, arr) = (unrelated_id [UnrelatedRec] r, wordarray_length [U8] arr + upcast (unrelated_id [U8] 3))
";

/// The core program of a self-contained source, named `gen.cdsl`.
pub fn lower_source(source: &str) -> (SourceMap, ir::Program) {
    let mut sources = SourceMap::new();
    let file = sources.add("gen.cdsl".to_owned(), source).expect("small");
    let (module, errors) = cdsl::syntax::parse_module(file, sources.text(file));
    assert!(errors.is_empty(), "{errors:?}");
    let typed = cdsl::typeck::check_program(&[&module]).unwrap_or_else(|e| panic!("{e:?}"));
    let core = lower::lower(&typed);
    (sources, core)
}

/// The items (blank-line-separated blocks) of generated code `before` that
/// `after` lacks; a block of one-line declarations counts line by line
/// (new declarations join it). Empty when every name, and so every item,
/// of `before` survived into `after`.
pub fn lost_items(before: &str, after: &str) -> Vec<String> {
    let after_items: std::collections::HashSet<&str> = after.split("\n\n").collect();
    let after_lines: std::collections::HashSet<&str> = after.lines().collect();
    let declaration = |line: &str| !line.starts_with(' ') && line.ends_with(';');
    let mut lost = Vec::new();
    for item in before.split("\n\n") {
        if after_items.contains(item) {
            continue;
        }
        if item.lines().all(declaration) {
            lost.extend(item.lines().filter(|l| !after_lines.contains(l)).map(str::to_owned));
        } else {
            lost.push(item.to_owned());
        }
    }
    lost
}

/// Translates `cases` generated programs with `translate`, before and after
/// [`UNRELATED`] is appended, and asserts that no item of the first output
/// changed while the second gained some: generated names depend on the
/// source names they come from, not on what else the program holds.
pub fn assert_unrelated_additions_change_nothing(cases: u64, translate: impl Fn(&SourceMap, &ir::Program) -> String) {
    for seed in 0..cases {
        let source = progen::generate(seed).source;
        let (sources, core) = lower_source(&source);
        let before = translate(&sources, &core);
        let (sources, core) = lower_source(&format!("{source}{UNRELATED}"));
        let after = translate(&sources, &core);
        let lost = lost_items(&before, &after);
        assert!(
            lost.is_empty(),
            "seed {seed}: an unrelated addition changed {} items, the first:\n{}",
            lost.len(),
            lost[0]
        );
        assert!(after.contains("unrelated_id__U8") && after.len() > before.len(), "seed {seed}: nothing was added");
    }
}
