//! The CDSL runtime library.
//!
//! The abstract types and functions CDSL programs call (declared for CDSL in
//! `runtime/cdsl/prelude.cdsl`): word arrays, bounded loops, the system
//! state, and allocation. Each is written once against [`store::Store`], so
//! that with a [`store::ValueStore`] it is the value-semantics model (what
//! proofs see) and with a [`store::Heap`] the destructive update-semantics
//! implementation (what compiled code does). The interpreters in the `cdsl`
//! crate run programs over either store. `runtime/c/` will hold the same for
//! the C backend (issue #6). [`native`] is what the Rust backend's generated
//! code calls: the same functions over plain `Vec`s, copied into each
//! generated program.
#![forbid(unsafe_code)]

pub mod library;
pub mod native;
pub mod store;
pub mod value;

pub use library::{Library, RuntimeError};
pub use store::{Fault, Heap, Store, ValueStore};
pub use value::Value;
