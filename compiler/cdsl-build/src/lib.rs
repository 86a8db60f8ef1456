//! `cdsl_build::compile("src/fs.cdsl")` from a crate's `build.rs`: checks the
//! program and writes its Rust translation to `$OUT_DIR/<stem>.rs`, so that
//! generated code is never committed. Include it with
//! `include!(concat!(env!("OUT_DIR"), "/fs.rs"));`, which defines the
//! module `fs` holding the program.
//!
//! Cargo is told to rerun the build script when the file or anything it
//! includes changes. Diagnostics are printed as `cdsl check` prints them,
//! and `compile` returns an error, which a build script should turn into a
//! failed build (`.expect(...)`).
#![forbid(unsafe_code)]

use cdsl::backend::rust::{self, RuntimeLink};
use cdsl::diagnostics::{self, Colour};
use cdsl::source::SourceMap;
use cdsl::syntax::loader;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a program could not be compiled; its diagnostics were printed.
#[derive(Debug)]
pub enum Error {
    /// `OUT_DIR` is not set: not running under cargo.
    NoOutDir,
    Unreadable {
        path: PathBuf,
        reason: String,
    },
    /// Syntax or type errors, already reported on standard error.
    Rejected {
        path: PathBuf,
        errors: usize,
    },
    Backend(String),
    Write {
        path: PathBuf,
        reason: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoOutDir => f.write_str("OUT_DIR is not set: call cdsl_build::compile from a build script"),
            Error::Unreadable { path, reason } => write!(f, "cannot read `{}`: {reason}", path.display()),
            Error::Rejected { path, errors } => write!(f, "`{}` has {errors} error(s), reported above", path.display()),
            Error::Backend(message) => write!(f, "cannot translate to Rust: {message}"),
            Error::Write { path, reason } => write!(f, "cannot write `{}`: {reason}", path.display()),
        }
    }
}

impl std::error::Error for Error {}

/// Compiles `path` to `$OUT_DIR/<stem>.rs` and returns that path.
pub fn compile(path: impl AsRef<Path>) -> Result<PathBuf, Error> {
    Config::new().compile(path)
}

/// Compiles `path` to `<out_dir>/<stem>.rs` (what `compile` does with `OUT_DIR`).
pub fn compile_into(path: &Path, out_dir: &Path) -> Result<PathBuf, Error> {
    Config::new().compile_into(path, out_dir)
}

/// How to compile, for programs with abstract functions of their own.
#[derive(Clone, Debug, Default)]
pub struct Config {
    abstracts: Option<String>,
}

impl Config {
    pub fn new() -> Config {
        Config::default()
    }

    /// Binds the abstract types and functions the runtime does not provide
    /// to the module at `path` (as written inside the generated module,
    /// e.g. `crate::device`): type `T` becomes `path::T`, function `f` a
    /// call `path::f(arg)`. See `docs/runtime.md`.
    pub fn abstracts(mut self, path: &str) -> Config {
        self.abstracts = Some(path.to_owned());
        self
    }

    /// Compiles `path` to `$OUT_DIR/<stem>.rs` and returns that path.
    pub fn compile(&self, path: impl AsRef<Path>) -> Result<PathBuf, Error> {
        let out_dir = std::env::var_os("OUT_DIR").ok_or(Error::NoOutDir)?;
        self.compile_into(path.as_ref(), Path::new(&out_dir))
    }

    /// Compiles `path` to `<out_dir>/<stem>.rs`.
    pub fn compile_into(&self, path: &Path, out_dir: &Path) -> Result<PathBuf, Error> {
        compile_with(path, out_dir, &rust::Options { link: RuntimeLink::Inline, abstracts: self.abstracts.clone() })
    }
}

fn compile_with(path: &Path, out_dir: &Path, options: &rust::Options) -> Result<PathBuf, Error> {
    let mut sources = SourceMap::new();
    let (program, errors) =
        loader::load(&mut sources, path).map_err(|e| Error::Unreadable { path: e.path, reason: e.reason })?;
    for module in &program.modules {
        println!("cargo:rerun-if-changed={}", module.path.display());
    }
    let rejected = |diagnostics: Vec<diagnostics::Diagnostic>| {
        diagnostics::print(&sources, &diagnostics, Colour::Never);
        Error::Rejected { path: path.to_owned(), errors: diagnostics.len() }
    };
    if !errors.is_empty() {
        return Err(rejected(errors.iter().map(|e| e.to_diagnostic()).collect()));
    }
    let typed = cdsl::typeck::check_loaded(&program)
        .map_err(|errors| rejected(errors.iter().map(|e| e.to_diagnostic()).collect()))?;
    let core = cdsl::core::lower::lower(&typed);
    let output = rust::generate_with(&core, Some(&sources), options).map_err(|e| Error::Backend(e.to_string()))?;
    for warning in &output.warnings {
        println!("cargo:warning={warning}");
    }
    let stem = path.file_stem().map_or_else(|| "cdsl".into(), |s| s.to_string_lossy().into_owned());
    let target = out_dir.join(format!("{stem}.rs"));
    // Wrapped in a module: `include!` takes items only, so the generated
    // module's inner attributes (`#![forbid(unsafe_code)]`) need a block.
    let ident = cdsl::backend::rust::module_ident(&stem);
    let wrapped = format!("pub mod {ident} {{\n{}}}\n", output.code);
    std::fs::write(&target, wrapped).map_err(|e| Error::Write { path: target.clone(), reason: e.to_string() })?;
    Ok(target)
}
