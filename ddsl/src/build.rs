//! For a crate's `build.rs`: generate the Rust module of a layout into
//! `OUT_DIR`, the way lalrpop and prost are used, so generated code is
//! never committed.
//!
//! ```text
//! // build.rs
//! fn main() {
//!     ddsl::build::compile("src/ext2.ddsl").unwrap_or_else(|e| panic!("{e}"));
//! }
//! // src/lib.rs:  mod ext2 { include!(concat!(env!("OUT_DIR"), "/ext2.rs")); }
//! ```

use crate::gen::rust;
use cdsl::diagnostics::{self, Diagnostic};
use cdsl::source::SourceMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a layout could not be compiled; `Display` renders the diagnostics.
#[derive(Debug)]
pub struct BuildError {
    pub message: String,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BuildError {}

/// What [`generate_file`] produced.
#[derive(Debug)]
pub struct Output {
    /// The file written.
    pub path: PathBuf,
    /// The generated structs.
    pub structs: Vec<String>,
    /// Structs left out, rendered as warnings (empty when all are generated).
    pub warnings: String,
}

/// Generates `<stem>.rs` for the layout at `layout` into `$OUT_DIR` and tells
/// cargo to rerun when the layout changes. Unsupported structs are left out
/// and reported as `cargo:warning` lines; a layout with errors fails.
pub fn compile(layout: impl AsRef<Path>) -> Result<Output, BuildError> {
    let layout = layout.as_ref();
    println!("cargo:rerun-if-changed={}", layout.display());
    let out_dir = std::env::var_os("OUT_DIR").ok_or_else(|| BuildError {
        message: "OUT_DIR is not set: call ddsl::build::compile from a build script".into(),
    })?;
    let output = generate_file(layout, Path::new(&out_dir), false)?;
    for line in output.warnings.lines().filter(|l| l.starts_with("warning")) {
        println!("cargo:warning={}: {line}", layout.display());
    }
    Ok(output)
}

/// Checks `layout`, generates its Rust module and writes it to
/// `out_dir/<stem>.rs`. With `strict`, an unsupported struct is an error.
pub fn generate_file(layout: &Path, out_dir: &Path, strict: bool) -> Result<Output, BuildError> {
    let (checked, sources, name) = load(layout)?;
    let generated = rust::generate(&checked, &name);
    let warnings = unsupported(&sources, &generated.skipped, strict)?;
    let stem = stem(layout);
    let path = write(out_dir, &format!("{stem}.rs"), &generated.code)?;
    Ok(Output { path, structs: generated.structs, warnings })
}

/// Checks `layout`, generates its C code and writes `out_dir/<stem>.h` and
/// `out_dir/<stem>.c` (`path` in the output is the header). With
/// `strict`, an unsupported struct is an error.
pub fn generate_c(layout: &Path, out_dir: &Path, strict: bool) -> Result<Output, BuildError> {
    let (checked, sources, name) = load(layout)?;
    let stem = stem(layout);
    let generated = crate::gen::c::generate(&checked, stem, &name);
    let warnings = unsupported(&sources, &generated.skipped, strict)?;
    let path = write(out_dir, &format!("{stem}.h"), &generated.header)?;
    write(out_dir, &format!("{stem}.c"), &generated.source)?;
    Ok(Output { path, structs: generated.structs, warnings })
}

/// Checks `layout` and writes its CDSL bindings to `out_dir/<stem>_layout.cdsl`
/// (`ddsl::gen::cdsl::register` implements them at run time).
pub fn generate_cdsl(layout: &Path, out_dir: &Path) -> Result<Output, BuildError> {
    let (checked, sources, name) = load(layout)?;
    let stem = stem(layout);
    let (_, skipped) = crate::gen::cdsl::accessors(&checked);
    let warnings = unsupported(&sources, &skipped, false)?;
    let path = write(out_dir, &format!("{stem}_layout.cdsl"), &crate::gen::cdsl::declarations(&checked, &name))?;
    let structs = crate::gen::rust::plan_all(&checked).0.iter().map(|p| p.name.to_string()).collect();
    Ok(Output { path, structs, warnings })
}

fn stem(layout: &Path) -> &str {
    layout.file_stem().and_then(|s| s.to_str()).unwrap_or("layout")
}

/// Reads and checks a layout: the checked layout, its sources and name.
fn load(layout: &Path) -> Result<(crate::check::Checked, SourceMap, String), BuildError> {
    let text = std::fs::read_to_string(layout)
        .map_err(|e| BuildError { message: format!("cannot read `{}`: {e}", layout.display()) })?;
    let mut sources = SourceMap::new();
    let name = layout.display().to_string();
    let file = sources
        .add(name.clone(), text.clone())
        .map_err(|_| BuildError { message: format!("`{name}` is too large") })?;
    let (checked, errors) = crate::check_text(file, &text);
    let Some(checked) = checked else {
        return Err(BuildError { message: diagnostics::render_to_string(&sources, &errors) });
    };
    Ok((checked, sources, name))
}

/// Checks `layout` and writes its CDSL field bindings over the program's
/// word access `interfaces` to `out_dir/<stem>_fields.cdsl` (`ddsl gen
/// --emit cdsl-fields`, `gen::cdsl::fields`). A file that already holds
/// them is left untouched, so a build script generating it next to the
/// program's sources does not make cargo rerun the script.
pub fn generate_cdsl_fields(
    layout: &Path,
    out_dir: &Path,
    interfaces: &[crate::gen::cdsl::fields::Interface],
) -> Result<Output, BuildError> {
    let (checked, _, name) = load(layout)?;
    let text = crate::gen::cdsl::fields::generate(&checked, &name, interfaces);
    let file = format!("{}_fields.cdsl", stem(layout));
    let existing = out_dir.join(&file);
    let path = match std::fs::read_to_string(&existing) {
        Ok(old) if old == text => existing,
        _ => write(out_dir, &file, &text)?,
    };
    let structs = checked
        .layout
        .items
        .iter()
        .filter_map(|item| match item {
            crate::syntax::ast::Item::Struct(s) => Some(s.name.name.clone()),
            _ => None,
        })
        .collect();
    Ok(Output { path, structs, warnings: String::new() })
}

/// The unsupported structs rendered as warnings, or as the error with `strict`.
fn unsupported(sources: &SourceMap, skipped: &[rust::Unsupported], strict: bool) -> Result<String, BuildError> {
    let found: Vec<Diagnostic> = skipped.iter().map(|u| u.to_diagnostic(strict)).collect();
    let rendered = diagnostics::render_to_string(sources, &found);
    if strict && !found.is_empty() {
        return Err(BuildError { message: rendered });
    }
    Ok(rendered)
}

fn write(out_dir: &Path, file: &str, text: &str) -> Result<PathBuf, BuildError> {
    let path = out_dir.join(file);
    std::fs::create_dir_all(out_dir)
        .and_then(|()| std::fs::write(&path, text))
        .map_err(|e| BuildError { message: format!("cannot write `{}`: {e}", path.display()) })?;
    Ok(path)
}
