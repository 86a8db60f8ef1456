//! The core IR and its construction from the typed AST.
//!
//! Consumes a well-typed `typeck::typed::Program`; produces a
//! `core::ir::Program` — monomorphic, with patterns compiled into decision
//! trees — which the interpreters and backends consume. `print` renders it
//! for `cdsl build --emit core`.

pub mod ir;
pub mod lower;
pub mod print;
