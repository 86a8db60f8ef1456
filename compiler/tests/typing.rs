//! The typing corpus: every file under `tests/typing/pass` and
//! `tests/typing/fail`, one test per folder. A new file is picked up by
//! dropping it in its folder; files are named by the rule they show.
//!
//! - `pass/*.cdsl` must load without syntax errors and type-check without
//!   errors (and carry no error markers).
//! - `fail/*.cdsl` must load without syntax errors and be rejected by the type
//!   checker with exactly the errors written in the file as markers below the
//!   offending line (see `common/typing_markers.rs`):
//!
//!   ```text
//!   dup x = (x, x)
//!   --          ^ is used twice
//!   ```
//!
//!   The rendered diagnostics are an insta snapshot named by the file's stem,
//!   shown below its source.
//!
//! Every file is checked and all problems are reported together at the end.
//! A third test checks the marker checker itself, so a harness that matched
//! nothing cannot pass silently.

#[path = "common/typing_markers.rs"]
mod typing_markers;

use cdsl::diagnostics::{render_to_string, Diagnostic};
use cdsl::source::SourceMap;
use cdsl::syntax::loader;
use cdsl::typeck::errors::TypeError;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

#[test]
fn pass_programs_type_check() {
    run_folder("tests/typing/pass", check_pass);
}

#[test]
fn fail_programs_report_exactly_their_marked_errors() {
    run_folder("tests/typing/fail", check_fail);
}

/// The marker checker itself: a right marker matches, and a wrong column,
/// a wrong text, a missing marker or a surplus marker are each reported.
#[test]
fn markers_must_match_errors_exactly() {
    let program = "type Buf\nbuf_free : Buf -> ()\n\ntwice : Buf -> ((), ())\ntwice b = (buf_free b, buf_free b)\n";
    let problems = |markers: &str| {
        let mut sources = SourceMap::new();
        let file = sources.add("m.cdsl", format!("{program}{markers}")).expect("small file");
        let module = cdsl::syntax::parse_module(file, sources.text(file)).0;
        let errors = cdsl::typeck::check_program(&[&module]).err().unwrap_or_default();
        let diagnostics: Vec<Diagnostic> = errors.iter().map(|e| e.to_diagnostic()).collect();
        typing_markers::mismatches(&sources, &typing_markers::markers_in(&sources, file), &diagnostics).len()
    };
    assert_eq!(problems("--                              ^ is used twice\n"), 0);
    assert_eq!(problems("--                             ^ is used twice\n"), 2, "wrong column");
    assert_eq!(problems("--                              ^ is dropped\n"), 2, "wrong text");
    assert_eq!(problems("--                              ^\n"), 1, "no text");
    assert_eq!(problems(""), 1, "no marker");
    let surplus = "--                              ^ is used twice\n--  ^ is used twice\n";
    assert_eq!(problems(surplus), 1, "a marker without an error");
    let column_one = "--                              ^ is used twice\n\nlone x = x\n--^ has no type signature\n";
    assert_eq!(problems(column_one), 0, "column 3 stands for columns 1 and 2");
}

/// Runs `check` on every `.cdsl` file of `folder` (relative to the crate,
/// which is where cargo runs integration tests, so rendered paths are stable),
/// in name order, and fails once at the end listing every file that failed.
fn run_folder(folder: &str, check: fn(&Path) -> Result<(), String>) {
    let files = cdsl_files(Path::new(folder));
    assert!(!files.is_empty(), "no .cdsl files in {folder}");
    let mut failures = Vec::new();
    for file in &files {
        // A checker panic or a snapshot mismatch panics; catch it so the
        // remaining files are still checked.
        let outcome = catch_unwind(AssertUnwindSafe(|| check(file)));
        let problem = match outcome {
            Ok(Ok(())) => continue,
            Ok(Err(problem)) => problem,
            Err(panic) => format!("panicked: {}", panic_text(panic)),
        };
        failures.push(format!("{}:\n{}", file.display(), indent(&problem)));
    }
    assert!(
        failures.is_empty(),
        "{} of {} files in {folder} failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

fn cdsl_files(folder: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(folder).unwrap_or_else(|e| panic!("cannot read {}: {e}", folder.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", folder.display())).path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "cdsl"))
        .collect();
    files.sort();
    files
}

/// A program that loaded without syntax errors, and its type errors.
struct Checked {
    sources: SourceMap,
    program: loader::Program,
    errors: Vec<TypeError>,
}

impl Checked {
    fn diagnostics(&self) -> Vec<Diagnostic> {
        self.errors.iter().map(|e| e.to_diagnostic()).collect()
    }

    fn markers(&self) -> Vec<typing_markers::Marker> {
        let files = self.program.modules.iter().map(|m| m.file);
        files.flat_map(|file| typing_markers::markers_in(&self.sources, file)).collect()
    }
}

fn load_and_check(path: &Path) -> Result<Checked, String> {
    let mut sources = SourceMap::new();
    let (program, syntax_errors) =
        loader::load(&mut sources, path).map_err(|e| format!("cannot read {}: {}", e.path.display(), e.reason))?;
    if !syntax_errors.is_empty() {
        let diagnostics: Vec<Diagnostic> = syntax_errors.iter().map(|e| e.to_diagnostic()).collect();
        return Err(format!(
            "syntax errors (the typing corpus must parse):\n{}",
            render_to_string(&sources, &diagnostics)
        ));
    }
    let errors = cdsl::typeck::check_loaded(&program).err().unwrap_or_default();
    Ok(Checked { sources, program, errors })
}

fn check_pass(path: &Path) -> Result<(), String> {
    let checked = load_and_check(path)?;
    if let Some(marker) = checked.markers().first() {
        return Err(format!("an error marker on line {} (move the file to fail/)", marker.line));
    }
    if !checked.errors.is_empty() {
        return Err(format!(
            "a well-typed program was rejected:\n{}",
            render_to_string(&checked.sources, &checked.diagnostics())
        ));
    }
    Ok(())
}

fn check_fail(path: &Path) -> Result<(), String> {
    let checked = load_and_check(path)?;
    if checked.errors.is_empty() {
        return Err("no type errors: an ill-typed program was accepted".to_owned());
    }
    let diagnostics = checked.diagnostics();
    let rendered = render_to_string(&checked.sources, &diagnostics);
    let problems = typing_markers::mismatches(&checked.sources, &checked.markers(), &diagnostics);
    if !problems.is_empty() {
        return Err(format!("{}\nrendered diagnostics:\n{}", problems.join("\n"), indent(&rendered)));
    }
    let source = checked.sources.text(checked.program.modules[0].file);
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    insta::with_settings!({
        description => format!("type errors for {}", path.display()),
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, format!("----- SOURCE\n{source}\n----- DIAGNOSTICS\n{rendered}"));
    });
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("    {line}")).collect::<Vec<_>>().join("\n")
}

fn panic_text(panic: Box<dyn std::any::Any + Send>) -> String {
    match panic.downcast::<String>() {
        Ok(text) => *text,
        Err(panic) => match panic.downcast::<&str>() {
            Ok(text) => (*text).to_owned(),
            Err(_) => "(no message)".to_owned(),
        },
    }
}
