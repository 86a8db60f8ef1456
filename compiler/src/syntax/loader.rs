//! Loading a program: a root file and every file it `include`s, transitively.
//!
//! Consumes a root path; produces the parsed modules (root first, each file
//! once however often it is included, so include cycles terminate) and every
//! syntax error across them, each naming its own file.

use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::{ItemKind, Module};
use crate::syntax::errors::{SyntaxError, SyntaxErrorKind};
use crate::syntax::parse_module;
use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};

/// A parsed file of a program.
pub struct LoadedModule {
    pub file: FileId,
    pub path: PathBuf,
    pub module: Module,
}

pub struct Program {
    /// The root file first, then included files in the order first included.
    pub modules: Vec<LoadedModule>,
}

/// The root file itself could not be read: a usage error, not a syntax error.
#[derive(Debug)]
pub struct RootUnreadable {
    pub path: PathBuf,
    pub reason: String,
}

/// Parses `root` and everything it includes.
pub fn load(sources: &mut SourceMap, root: &Path) -> Result<(Program, Vec<SyntaxError>), RootUnreadable> {
    let text = read(root).map_err(|reason| RootUnreadable { path: root.to_owned(), reason })?;
    let mut errors = Vec::new();
    let mut modules = Vec::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    seen.insert(canonical(root));
    let mut queue = VecDeque::from([(root.to_owned(), text)]);
    while let Some((path, text)) = queue.pop_front() {
        let file = match sources.add(path.display().to_string(), text) {
            Ok(file) => file,
            Err(_) => {
                return Err(RootUnreadable { path, reason: "file is 4 GiB or larger".to_owned() });
            }
        };
        let (module, module_errors) = parse_module(file, sources.text(file));
        errors.extend(module_errors);
        for (include, span) in includes(&module) {
            let target = normalise(&path.parent().unwrap_or(Path::new(".")).join(&include));
            if !seen.insert(canonical(&target)) {
                continue;
            }
            match read(&target) {
                Ok(text) => queue.push_back((target, text)),
                Err(reason) => {
                    errors.push(SyntaxError::new(SyntaxErrorKind::CannotInclude { path: include, reason }, span))
                }
            }
        }
        modules.push(LoadedModule { file, path, module });
    }
    errors.sort_by_key(|e| (e.span.file, e.span.start));
    Ok((Program { modules }, errors))
}

fn includes(module: &Module) -> Vec<(String, Span)> {
    module
        .items
        .iter()
        .filter_map(|item| match &item.kind {
            ItemKind::Include { path } => Some((path.clone(), item.span)),
            _ => None,
        })
        .collect()
}

fn read(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    String::from_utf8(bytes)
        .map_err(|e| format!("not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()))
}

/// Removes `.` and `dir/..` without touching the file system, so that an
/// included file is named as a reader would name it.
fn normalise(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_owned())
}
