//! The syntax corpus: every file under `tests/syntax/pass` and
//! `tests/syntax/fail`, one test per folder. A new file is picked up by
//! dropping it in its folder.
//!
//! - `pass/*.cdsl` must load (with their `include`s) without errors, and
//!   every loaded file must round-trip through the pretty printer:
//!   `parse(print(ast)) == ast` up to spans, and printing is idempotent. The
//!   printed root file is an insta snapshot, shown below its source.
//! - `fail/*.cdsl` must report diagnostics, and exactly those written in the
//!   file as markers below the offending line:
//!
//!   ```text
//!   f x = x = 1
//!   --        ^ expected
//!   ```
//!
//!   The first caret sits under the column where the primary span starts;
//!   since `--` fills columns 1 and 2, a caret in column 3 also stands for a
//!   span starting in column 1 or 2. The text after the carets is a substring
//!   of the diagnostic's title. Several markers may follow one line; each
//!   refers to the nearest line above that is not a marker. The rendered
//!   diagnostics are an insta snapshot, shown below the source.
//!
//! Every file is checked and all problems are reported together at the end.

#[path = "common/corpus_kit.rs"]
#[macro_use]
mod corpus_kit;

use cdsl::diagnostics::{render_to_string, Diagnostic};
use cdsl::source::SourceMap;
use cdsl::syntax::ast::Module;
use cdsl::syntax::{erase, loader, parse_module, pretty};
use corpus_kit::{indent, run_folder};
use std::path::Path;

#[test]
fn pass_programs_load_and_round_trip() {
    run_folder("tests/syntax/pass", check_pass);
}

#[test]
fn fail_programs_report_exactly_their_marked_diagnostics() {
    run_folder("tests/syntax/fail", check_fail);
}

fn load(path: &Path) -> Result<(SourceMap, loader::Program, Vec<Diagnostic>), String> {
    let mut sources = SourceMap::new();
    let (program, errors) = loader::load(&mut sources, path).map_err(|e| format!("cannot read: {}", e.reason))?;
    let diagnostics = errors.iter().map(|e| e.to_diagnostic()).collect();
    Ok((sources, program, diagnostics))
}

// ---------------------------------------------------------------- pass

fn check_pass(path: &Path) -> Result<(), String> {
    let (sources, program, diagnostics) = load(path)?;
    if !diagnostics.is_empty() {
        return Err(format!("unexpected diagnostics:\n{}", render_to_string(&sources, &diagnostics)));
    }
    let mut problems = Vec::new();
    for loaded in &program.modules {
        if let Some(marker) = corpus_kit::markers_in(&sources, loaded.file).first() {
            problems.push(format!(
                "{}: an error marker on line {} (move the file to fail/)",
                loaded.path.display(),
                marker.line
            ));
        }
        if let Err(problem) = round_trip(&loaded.module) {
            problems.push(format!("{}: {problem}", loaded.path.display()));
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    let source = sources.text(program.modules[0].file);
    let printed = pretty::module(&program.modules[0].module);
    snapshot_below_source!(path, "pretty-printed", source, "PRETTY", &printed);
    Ok(())
}

/// Checks `parse(print(m)) == m` up to spans and `print(parse(print(m))) == print(m)`.
fn round_trip(module: &Module) -> Result<(), String> {
    let printed = pretty::module(module);
    let mut sources = SourceMap::new();
    let file = sources.add("printed.cdsl", printed.clone()).map_err(|_| "printed text too large".to_owned())?;
    let (reparsed, errors) = parse_module(file, &printed);
    if !errors.is_empty() {
        let diagnostics: Vec<Diagnostic> = errors.iter().map(|e| e.to_diagnostic()).collect();
        return Err(format!(
            "the printed text does not parse:\n{}\n{}",
            indent(&printed),
            render_to_string(&sources, &diagnostics)
        ));
    }
    let reprinted = pretty::module(&reparsed);
    let (mut original, mut reparsed) = (module.clone(), reparsed);
    erase::module(&mut original);
    erase::module(&mut reparsed);
    if original != reparsed {
        return Err(format!(
            "the printed text parses to a different AST:\n{}\nfirst difference: {}",
            indent(&printed),
            first_difference(&format!("{original:#?}"), &format!("{reparsed:#?}"))
        ));
    }
    if reprinted != printed {
        return Err(format!(
            "printing is not idempotent; first print:\n{}\nsecond print:\n{}",
            indent(&printed),
            indent(&reprinted)
        ));
    }
    Ok(())
}

/// The first line where two debug dumps disagree, with both versions.
fn first_difference(a: &str, b: &str) -> String {
    let mut lines = a.lines().zip(b.lines()).enumerate();
    match lines.find(|(_, (x, y))| x != y) {
        Some((n, (x, y))) => format!("line {} of the AST dump: `{}` became `{}`", n + 1, x.trim(), y.trim()),
        None => "one AST dump is a prefix of the other".to_owned(),
    }
}

// ---------------------------------------------------------------- fail

fn check_fail(path: &Path) -> Result<(), String> {
    let (sources, program, diagnostics) = load(path)?;
    if diagnostics.is_empty() {
        return Err("no diagnostics: a fail program must be rejected".to_owned());
    }
    let rendered = render_to_string(&sources, &diagnostics);

    let mut markers = Vec::new();
    for loaded in &program.modules {
        markers.extend(corpus_kit::markers_in(&sources, loaded.file));
    }
    let problems = corpus_kit::mismatches(&sources, &markers, &diagnostics);
    if !problems.is_empty() {
        return Err(format!("{}\nrendered diagnostics:\n{}", problems.join("\n"), indent(&rendered)));
    }
    let source = sources.text(program.modules[0].file);
    snapshot_below_source!(path, "diagnostics for", source, "DIAGNOSTICS", &rendered);
    Ok(())
}

// ---------------------------------------------------------------- helpers
