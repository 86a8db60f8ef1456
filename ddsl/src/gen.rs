//! Generators: code from a checked layout. Only Rust is written so far
//! ([`rust`]); C, CDSL bindings and Isabelle are still to come (issue #5).

pub mod c;
pub mod coq;
pub mod fixed;
pub mod isabelle;
pub mod rust;
