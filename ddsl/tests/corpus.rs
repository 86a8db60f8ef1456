//! The layout corpus: every file under `tests/layouts/pass` and
//! `tests/layouts/fail`, one test per folder; a new file is picked up by
//! dropping it in its folder.
//!
//! - `pass/*.ddsl` must check without diagnostics.
//! - `fail/*.ddsl` must report exactly the diagnostics written in the file as
//!   markers on the line after the offending one:
//!
//!   ```text
//!     name: [u8; name_len];
//!   --           ^ refers to `name_len`
//!   ```
//!
//!   The first caret sits under the column where the primary span starts
//!   (since `--` fills columns 1 and 2, a caret in column 3 also stands for
//!   columns 1 and 2); the text after the carets is a substring of the title.
//!   The rendered diagnostics are an insta snapshot, shown below the source.
//!
//! Every file is checked and all problems are reported together at the end.

use cdsl::diagnostics::{render_to_string, Diagnostic};
use cdsl::source::{FileId, SourceMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

#[test]
fn pass_layouts_check_clean() {
    run_folder("tests/layouts/pass", check_pass);
}

#[test]
fn fail_layouts_report_exactly_their_marked_diagnostics() {
    run_folder("tests/layouts/fail", check_fail);
}

#[test]
fn the_ext2_layout_checks_clean() {
    check_pass(Path::new("../fs-examples/ext2/ext2.ddsl")).unwrap_or_else(|problem| panic!("ext2.ddsl: {problem}"));
}

fn run_folder(folder: &str, check: fn(&Path) -> Result<(), String>) {
    let files = ddsl_files(Path::new(folder));
    assert!(!files.is_empty(), "no .ddsl files in {folder}");
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

fn ddsl_files(folder: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(folder).unwrap_or_else(|e| panic!("cannot read {}: {e}", folder.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", folder.display())).path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "ddsl"))
        .collect();
    files.sort();
    files
}

fn load(path: &Path) -> Result<(SourceMap, FileId, Vec<Diagnostic>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut sources = SourceMap::new();
    let file = sources.add(path.display().to_string(), text.clone()).map_err(|_| "file too large".to_owned())?;
    let (_, diagnostics) = ddsl::check_text(file, &text);
    Ok((sources, file, diagnostics))
}

fn check_pass(path: &Path) -> Result<(), String> {
    let (sources, _, diagnostics) = load(path)?;
    if diagnostics.is_empty() {
        Ok(())
    } else {
        Err(format!("unexpected diagnostics:\n{}", render_to_string(&sources, &diagnostics)))
    }
}

fn check_fail(path: &Path) -> Result<(), String> {
    let (sources, file, diagnostics) = load(path)?;
    if diagnostics.is_empty() {
        return Err("no diagnostics: a fail layout must be rejected".to_owned());
    }
    let rendered = render_to_string(&sources, &diagnostics);
    let mut markers = markers_in(sources.text(file));
    let mut unmatched: Vec<String> = Vec::new();
    if markers.is_empty() {
        unmatched.push("no `^^^` markers: say which diagnostics are expected".to_owned());
    }
    for diagnostic in &diagnostics {
        let span = diagnostic.primary.span;
        let (line, col) = sources.line_col(span.file, span.start);
        match markers.iter().position(|m| !m.used && m.matches(line, col, &diagnostic.title)) {
            Some(index) => markers[index].used = true,
            None => unmatched.push(format!("unmarked diagnostic at {line}:{col}: {}", diagnostic.title)),
        }
    }
    for marker in markers.iter().filter(|m| !m.used) {
        unmatched.push(format!("no diagnostic for the marker on line {}: `{}`", marker.line, marker.text));
    }
    if !unmatched.is_empty() {
        return Err(format!("{}\nrendered diagnostics:\n{}", unmatched.join("\n"), indent(&rendered)));
    }
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let source = sources.text(file);
    insta::with_settings!({
        description => format!("diagnostics for {}", path.display()),
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, format!("----- SOURCE\n{source}\n----- DIAGNOSTICS\n{rendered}"));
    });
    Ok(())
}

/// An expected diagnostic written in a layout file.
struct Marker {
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
    fn matches(&self, line: usize, col: usize, title: &str) -> bool {
        let column = col == self.col || (self.col == 3 && col < 3);
        line == self.target && column && !self.text.is_empty() && title.contains(&self.text)
    }
}

/// Reads the markers of one file: comment lines `--   ^^^ text`.
fn markers_in(text: &str) -> Vec<Marker> {
    let mut markers = Vec::new();
    let mut target = 0;
    for (index, line) in text.lines().enumerate() {
        let rest = line.strip_prefix("--").unwrap_or("");
        let spaces = rest.len() - rest.trim_start_matches(' ').len();
        let after_spaces = &rest[spaces..];
        if !after_spaces.starts_with('^') {
            target = index + 1;
            continue;
        }
        let text = after_spaces.trim_start_matches('^').trim().to_owned();
        markers.push(Marker { line: index + 1, target, col: 2 + spaces + 1, text, used: false });
    }
    markers
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
