//! Backends: from the core IR ([`crate::core::ir::Program`]) to code other
//! tools compile. [`rust`] produces one safe Rust module per program; the C,
//! Isabelle and Coq backends (issues #6 and #8) will sit beside it.

pub mod rust;
