//! `cdsl`: the compiler for CDSL, a linear-typed control language for
//! verifiable file systems.
//!
//! The passes, in order (see ARCHITECTURE.md):
//! 1. [`syntax`] — lexing, parsing and `include` resolution into a surface AST
//!    with a span on every node; a pretty printer that round-trips.
//! 2. Linear type checking (issue #3), core IR and interpreters (issue #4),
//!    backends (issues #6 and #8) — not written yet.
//!
//! Every stage reports its errors as data; [`diagnostics`] is the one place
//! that renders them.
#![forbid(unsafe_code)]

pub mod backend;
pub mod core;
pub mod diagnostics;
pub mod interp;
pub mod source;
pub mod syntax;
pub mod typeck;
