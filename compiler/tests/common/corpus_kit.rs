//! The kit the corpus harnesses (`corpus.rs`, `typing.rs`) share: walking
//! a folder of programs and reporting every failure at once, and expected
//! diagnostics written inside a test program as markers, matched against the
//! diagnostics a stage reported.
//!
//! A marker is a comment line below the offending line:
//!
//! ```text
//! f x = (x, x)
//! --        ^ is used twice
//! ```
//!
//! Its first caret sits under the column where the diagnostic's primary span
//! starts (columns of the line above, counted from 1). Since `--` fills
//! columns 1 and 2, a caret in column 3 also stands for a span starting in
//! column 1 or 2. The text after the carets must be a substring of the
//! diagnostic's title. Several markers may follow one line; each refers to the
//! nearest line above that is not a marker.
//!
//! Shared by the test crates through `#[path]`.
#![allow(dead_code)]

use cdsl::diagnostics::Diagnostic;
use cdsl::source::{FileId, SourceMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// Runs `check` on every `.cdsl` file of `folder` (relative to the crate,
/// which is where cargo runs integration tests, so rendered paths are stable),
/// in name order, and fails once at the end listing every file that failed.
pub fn run_folder(folder: &str, check: fn(&Path) -> Result<(), String>) {
    let files = cdsl_files(Path::new(folder));
    assert!(!files.is_empty(), "no .cdsl files in {folder}");
    let mut failures = Vec::new();
    for file in &files {
        // A stage's panic or a snapshot mismatch panics; catch it so the
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

pub fn cdsl_files(folder: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(folder).unwrap_or_else(|e| panic!("cannot read {}: {e}", folder.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", folder.display())).path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "cdsl"))
        .collect();
    files.sort();
    files
}

/// Snapshots a file's source above `output`, under the file's stem. A macro,
/// so that insta files the snapshot beside the calling test.
#[macro_export]
macro_rules! snapshot_below_source {
    ($path:expr, $what:expr, $source:expr, $heading:expr, $output:expr) => {{
        let path: &std::path::Path = $path;
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        insta::with_settings!({
            description => format!("{} {}", $what, path.display()),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, format!("----- SOURCE\n{}\n----- {}\n{}", $source, $heading, $output));
        });
    }};
}

pub fn indent(text: &str) -> String {
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

/// An expected diagnostic written in a source file.
#[derive(Clone, Debug)]
pub struct Marker {
    pub file: FileId,
    /// The 1-based line the marker is written on.
    pub line: usize,
    /// The 1-based line it points into.
    pub target: usize,
    /// The 1-based column of its first caret.
    pub col: usize,
    pub text: String,
}

impl Marker {
    fn matches(&self, at: &Place, title: &str) -> bool {
        // `--` occupies columns 1 and 2, so a caret in column 3 also marks them.
        let column = at.col == self.col || (self.col == 3 && at.col < 3);
        self.file == at.file && at.line == self.target && column && title.contains(&self.text)
    }
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
}

/// Reads the markers of one file: comment lines `--   ^^^ text`.
pub fn markers_in(sources: &SourceMap, file: FileId) -> Vec<Marker> {
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
        markers.push(Marker { file, line: index + 1, target, col: 2 + spaces + 1, text });
    }
    markers
}

/// Pairs every diagnostic with a marker, each marker used once. Returns one
/// line per problem: a marker without text, a diagnostic no marker expects,
/// a marker no diagnostic fulfils. Empty when they agree exactly.
pub fn mismatches(sources: &SourceMap, markers: &[Marker], diagnostics: &[Diagnostic]) -> Vec<String> {
    let mut problems: Vec<String> = markers
        .iter()
        .filter(|m| m.text.is_empty())
        .map(|m| format!("the marker on line {} of {} has no text", m.line, sources.name(m.file)))
        .collect();
    let mut used = vec![false; markers.len()];
    for diagnostic in diagnostics {
        let at = Place::of(sources, diagnostic);
        match (0..markers.len()).find(|&i| !used[i] && markers[i].matches(&at, &diagnostic.title)) {
            Some(index) => used[index] = true,
            None => problems.push(format!(
                "unmarked diagnostic at {}:{}:{}: {}",
                sources.name(at.file),
                at.line,
                at.col,
                diagnostic.title
            )),
        }
    }
    for (marker, _) in markers.iter().zip(&used).filter(|(_, used)| !**used) {
        problems.push(format!(
            "no diagnostic for the marker on line {} of {} (line {}, column {}): `{}`",
            marker.line,
            sources.name(marker.file),
            marker.target,
            marker.col,
            marker.text
        ));
    }
    problems
}
