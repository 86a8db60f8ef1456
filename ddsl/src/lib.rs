//! DDSL, the data description language (issue #5).
//!
//! This crate will hold: the layout language (structs, endianness, bit fields,
//! magic constants, computed-length arrays, tagged unions, pointers with address
//! conversions and `when` conditions, `assert` invariants), its checker, the
//! generators (Rust, C, CDSL bindings, Isabelle) and the generic tools driven
//! only by a description (`dump`, `walk`, `fsck`). None of it exists yet.
#![forbid(unsafe_code)]
