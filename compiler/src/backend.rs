//! Backends: from the core IR ([`crate::core::ir::Program`]) to code other
//! tools compile. [`rust`] produces one safe Rust module per program, [`c`]
//! one C99 translation unit over `runtime/c`, [`coq`] a shallow embedding of
//! the value semantics checked by `coqc`; the Isabelle backend (issue #8)
//! will sit beside them.

pub mod c;
pub mod coq;
pub mod rust;

/// The last component of a source path, for `file.cdsl:LINE` comments in
/// generated code (stable wherever the tree is checked out).
fn file_name(path: &str) -> String {
    std::path::Path::new(path).file_name().map_or_else(|| path.to_owned(), |n| n.to_string_lossy().into_owned())
}
