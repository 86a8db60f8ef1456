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

use cdsl::diagnostics::{render_to_string, Diagnostic};
use cdsl::source::{FileId, SourceMap};
use cdsl::syntax::ast::Module;
use cdsl::syntax::{erase, loader, parse_module, pretty};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

#[test]
fn pass_programs_load_and_round_trip() {
    run_folder("tests/syntax/pass", check_pass);
}

#[test]
fn fail_programs_report_exactly_their_marked_diagnostics() {
    run_folder("tests/syntax/fail", check_fail);
}

/// Runs `check` on every `.cdsl` file of `folder` (relative to the crate,
/// which is where cargo runs integration tests, so rendered paths are stable),
/// in name order, and fails once at the end listing every file that failed.
fn run_folder(folder: &str, check: fn(&Path) -> Result<(), String>) {
    let files = cdsl_files(Path::new(folder));
    assert!(!files.is_empty(), "no .cdsl files in {folder}");
    let mut failures = Vec::new();
    for file in &files {
        // A snapshot mismatch panics inside insta; catch it so the remaining
        // files are still checked.
        let outcome = catch_unwind(AssertUnwindSafe(|| check(file)));
        let problem = match outcome {
            Ok(Ok(())) => continue,
            Ok(Err(problem)) => problem,
            Err(panic) => panic_text(panic),
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

fn load(path: &Path) -> Result<(SourceMap, loader::Program, Vec<Diagnostic>), String> {
    let mut sources = SourceMap::new();
    let (program, errors) = loader::load(&mut sources, path).map_err(|e| format!("cannot read: {}", e.reason))?;
    let diagnostics = errors.iter().map(|e| e.to_diagnostic()).collect();
    Ok((sources, program, diagnostics))
}

fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

// ---------------------------------------------------------------- pass

fn check_pass(path: &Path) -> Result<(), String> {
    let (sources, program, diagnostics) = load(path)?;
    if !diagnostics.is_empty() {
        return Err(format!("unexpected diagnostics:\n{}", render_to_string(&sources, &diagnostics)));
    }
    let mut problems = Vec::new();
    for loaded in &program.modules {
        if let Some(marker) = markers_in(&sources, loaded.file).first() {
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
    snapshot(path, "pretty-printed", &format!("----- SOURCE\n{source}\n----- PRETTY\n{printed}"));
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

    let mut markers: Vec<Marker> = Vec::new();
    for loaded in &program.modules {
        markers.extend(markers_in(&sources, loaded.file));
    }
    let mut unmatched: Vec<String> = markers
        .iter()
        .filter(|m| m.text.is_empty())
        .map(|m| format!("the marker on line {} of {} has no text", m.line, sources.name(m.file)))
        .collect();
    for diagnostic in &diagnostics {
        let at = Place::of(&sources, diagnostic);
        match markers.iter().position(|m| !m.used && m.matches(&at, &diagnostic.title)) {
            Some(index) => markers[index].used = true,
            None => unmatched.push(format!("unmarked diagnostic at {}: {}", at.describe(&sources), diagnostic.title)),
        }
    }
    for marker in markers.iter().filter(|m| !m.used) {
        unmatched.push(format!(
            "no diagnostic for the marker on line {} of {}: `{}`",
            marker.line,
            sources.name(marker.file),
            marker.text
        ));
    }
    if !unmatched.is_empty() {
        return Err(format!("{}\nrendered diagnostics:\n{}", unmatched.join("\n"), indent(&rendered)));
    }
    let source = sources.text(program.modules[0].file);
    snapshot(path, "diagnostics for", &format!("----- SOURCE\n{source}\n----- DIAGNOSTICS\n{rendered}"));
    Ok(())
}

/// Where a diagnostic's primary span starts.
struct Place {
    file: FileId,
    line: usize,
    col: usize,
}

impl Place {
    fn of(sources: &SourceMap, diagnostic: &Diagnostic) -> Place {
        let span = diagnostic.primary.span;
        let (line, col) = sources.line_col(span.file, span.start);
        Place { file: span.file, line, col }
    }

    fn describe(&self, sources: &SourceMap) -> String {
        format!("{}:{}:{}", sources.name(self.file), self.line, self.col)
    }
}

/// An expected diagnostic written in a source file.
struct Marker {
    file: FileId,
    /// The 1-based line the marker is written on.
    line: usize,
    /// The 1-based line it points into.
    target: usize,
    /// The 1-based column of its first caret.
    col: usize,
    text: String,
    used: bool,
}

impl Marker {
    fn matches(&self, at: &Place, title: &str) -> bool {
        // `--` occupies columns 1 and 2, so a caret in column 3 also marks them.
        let column = at.col == self.col || (self.col == 3 && at.col < 3);
        self.file == at.file && at.line == self.target && column && title.contains(&self.text)
    }
}

/// Reads the markers of one file: comment lines `--   ^^^ text`.
fn markers_in(sources: &SourceMap, file: FileId) -> Vec<Marker> {
    let mut markers = Vec::new();
    let mut target = 0;
    for (index, line) in sources.text(file).lines().enumerate() {
        let rest = line.strip_prefix("--").unwrap_or("");
        let spaces = rest.len() - rest.trim_start_matches(' ').len();
        let after_spaces = &rest[spaces..];
        if !after_spaces.starts_with('^') {
            target = index + 1;
            continue;
        }
        let text = after_spaces.trim_start_matches('^').trim().to_owned();
        markers.push(Marker { file, line: index + 1, target, col: 2 + spaces + 1, text, used: false });
    }
    markers
}

// ---------------------------------------------------------------- helpers

/// Snapshots `text` under the file's stem, noting which file it came from.
fn snapshot(path: &Path, what: &str, text: &str) {
    let name = stem(path);
    insta::with_settings!({
        description => format!("{what} {}", path.display()),
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("    {line}")).collect::<Vec<_>>().join("\n")
}

fn panic_text(panic: Box<dyn std::any::Any + Send>) -> String {
    match panic.downcast::<String>() {
        Ok(text) => *text,
        Err(panic) => match panic.downcast::<&str>() {
            Ok(text) => (*text).to_owned(),
            Err(_) => "panicked".to_owned(),
        },
    }
}
