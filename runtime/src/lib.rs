//! The CDSL runtime library (issue #4).
//!
//! This crate will hold the abstract types and functions CDSL programs call —
//! word arrays, buffers, the block device, allocation, bounded iterators — each
//! as a pair: a value-semantics model (for the value interpreter and proofs)
//! and an update-semantics implementation (for the update interpreter and the
//! compiled backends). `runtime/c/` will hold the same for the C backend.
//! Nothing is implemented yet.
#![forbid(unsafe_code)]
