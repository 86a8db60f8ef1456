//! `cdsl`: the compiler for CDSL, a linear-typed control language for
//! verifiable file systems.
//!
//! The passes, in order (see ARCHITECTURE.md):
//! 1. [`syntax`] — lexing, parsing and `include` resolution into a surface AST
//!    with a span on every node; a pretty printer that round-trips.
//! 2. [`typeck`] — the linear type checker: every linear value used exactly
//!    once; produces a typed AST.
//! 3. [`core`] — lowering to the core IR: monomorphic, patterns compiled to
//!    decision trees.
//! 4. [`interp`] — one evaluator, two semantics (value, and update on a
//!    checked heap), and their correspondence check.
//! 5. [`backend`] — code generation: Rust so far (issue #6); C, Isabelle and
//!    Coq are later issues.
//!
//! Every stage reports its errors as data; [`diagnostics`] is the one place
//! that renders them.
// Denied, not forbidden, for the one module that must call the machine code
// it generates (`interp::jit`).
#![deny(unsafe_code)]

pub mod backend;
pub mod core;
pub mod diagnostics;
pub mod interp;
pub mod source;
pub mod syntax;
pub mod typeck;
