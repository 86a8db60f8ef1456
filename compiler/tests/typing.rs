//! The typing corpus: every file under `tests/typing/pass` and
//! `tests/typing/fail`, one test per folder. A new file is picked up by
//! dropping it in its folder; files are named by the rule they show.
//!
//! - `pass/*.cdsl` must load without syntax errors and type-check without
//!   errors (and carry no error markers).
//! - `fail/*.cdsl` must load without syntax errors and be rejected by the type
//!   checker with exactly the errors written in the file as markers below the
//!   offending line (see `common/corpus_kit.rs`):
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

#[path = "common/corpus_kit.rs"]
#[macro_use]
mod corpus_kit;

use cdsl::diagnostics::{render_to_string, Diagnostic};
use cdsl::source::SourceMap;
use cdsl::syntax::loader;
use cdsl::typeck::errors::TypeError;
use corpus_kit::{indent, run_folder};
use std::path::Path;

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
        corpus_kit::mismatches(&sources, &corpus_kit::markers_in(&sources, file), &diagnostics).len()
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

    fn markers(&self) -> Vec<corpus_kit::Marker> {
        let files = self.program.modules.iter().map(|m| m.file);
        files.flat_map(|file| corpus_kit::markers_in(&self.sources, file)).collect()
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
    let problems = corpus_kit::mismatches(&checked.sources, &checked.markers(), &diagnostics);
    if !problems.is_empty() {
        return Err(format!("{}\nrendered diagnostics:\n{}", problems.join("\n"), indent(&rendered)));
    }
    let source = checked.sources.text(checked.program.modules[0].file);
    snapshot_below_source!(path, "type errors for", source, "DIAGNOSTICS", &rendered);
    Ok(())
}
