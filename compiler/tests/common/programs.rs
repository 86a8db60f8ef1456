//! What the engine and backend tests share: the programs they run (corpus
//! files, loaded and lowered), sample arguments of a type, and a program's
//! runs (`-- run:` lines, or samples for every function).
//!
//! Shared by the test crates through `#[path]`.
#![allow(dead_code)]

use cdsl::core::{ir, lower};
use cdsl::interp::literal;
use cdsl::source::SourceMap;
use cdsl::syntax::loader;
use cdsl::typeck::types::{Prim, Ty};
use cdsl_runtime::Value;
use std::path::{Path, PathBuf};
use std::rc::Rc;

pub fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn cdsl_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(manifest().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cdsl"))
        .collect();
    files.sort();
    files
}

/// The `.cdsl` files of several folders, folder by folder.
pub fn cdsl_files_in(dirs: &[&str]) -> Vec<PathBuf> {
    dirs.iter().flat_map(|dir| cdsl_files(dir)).collect()
}

/// The core program of a file, if it parses and type-checks.
pub fn load(path: &Path) -> Option<(SourceMap, ir::Program)> {
    let mut sources = SourceMap::new();
    let (program, errors) = loader::load(&mut sources, path).ok()?;
    if !errors.is_empty() {
        return None;
    }
    let typed = cdsl::typeck::check_loaded(&program).ok()?;
    Some((sources, lower::lower(&typed)))
}

/// A few values of a type (as `tests/engines.rs` samples them).
pub fn sample(ty: &Ty, k: u64) -> Option<Value> {
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

/// The runs of a program: `-- run:` lines, or sample arguments for every function.
pub fn runs_of(path: &Path, core: &ir::Program) -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("-- run: ")).collect();
    if !lines.is_empty() {
        return lines
            .iter()
            .map(|line| {
                let (function, arg) = line.split_once(' ').unwrap_or((line, "()"));
                let param = core.functions[function].param.as_ref().map_or(Ty::Unit, |(_, t)| t.clone());
                let value = literal::parse(arg, &param).unwrap_or_else(|e| panic!("{}: `{line}`: {e}", path.display()));
                (function.to_owned(), value)
            })
            .collect();
    }
    if path.parent().is_some_and(|p| p.ends_with("engines")) {
        return [0u64, 37, 300]
            .iter()
            .map(|n| ("main".to_owned(), Value::tuple(vec![Value::SysState, Value::word(32, *n)])))
            .collect();
    }
    let mut runs = Vec::new();
    for function in core.functions.values().filter(|f| f.body.is_some()) {
        match &function.param {
            None => runs.push((function.name.clone(), Value::Unit)),
            Some((_, param)) => runs.extend((0..4).map_while(|k| Some((function.name.clone(), sample(param, k)?)))),
        }
    }
    runs
}
