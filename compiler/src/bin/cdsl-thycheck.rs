//! `cdsl-thycheck [--structure] DIR...`: the structural check of Isabelle
//! sessions (`cdsl::backend::isabelle::check`) for machines without
//! Isabelle. Each DIR holds a `ROOT` and its theories; theories may import
//! the base theories of `proofs/` as `CDSL.<name>`. With `--structure`
//! (for hand-written sessions such as `proofs/`, whose lemmas have free
//! variables) references are not checked, only balance, ROOT and imports.
//! Prints every problem as `DIR/FILE:LINE: message`; exit status 1 if there
//! is any, 2 on I/O errors.
#![forbid(unsafe_code)]

use cdsl::backend::isabelle::{check, BASE_THEORIES};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut dirs: Vec<String> = std::env::args().skip(1).collect();
    let structure_only = dirs.first().is_some_and(|a| a == "--structure");
    if structure_only {
        dirs.remove(0);
    }
    if dirs.is_empty() {
        eprintln!("usage: cdsl-thycheck [--structure] DIR...  (each DIR holds a ROOT and its .thy files)");
        return ExitCode::from(2);
    }
    let mut failed = false;
    for dir in &dirs {
        match check_dir(Path::new(dir), structure_only) {
            Ok((theories, problems)) => {
                for problem in &problems {
                    println!("{dir}/{problem}");
                }
                failed |= !problems.is_empty();
                if problems.is_empty() {
                    println!("{dir}: {theories} theories structurally sound");
                }
            }
            Err(e) => {
                eprintln!("error: {dir}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn check_dir(dir: &Path, structure_only: bool) -> std::io::Result<(usize, Vec<check::Problem>)> {
    let root = std::fs::read_to_string(dir.join("ROOT"))?;
    let mut theories = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "thy") {
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            theories.push((name, std::fs::read_to_string(&path)?));
        }
    }
    let problems = if structure_only {
        check::check_structure(&root, &theories)
    } else {
        check::check_session(&root, &theories, BASE_THEORIES)
    };
    Ok((theories.len(), problems))
}
