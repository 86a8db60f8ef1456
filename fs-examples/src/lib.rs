//! The ext2 example: an ext2 file system whose logic is written in CDSL
//! (`fs-examples/ext2/*.cdsl`), compiled by `build.rs` through the Rust
//! backend, over a block device written in Rust; and its FUSE front end.
//!
//! - `ops` — the operations a file system offers, as a trait: the seam
//!   between the FUSE glue and a file system.
//! - `ext2` — the ext2 file system: each operation is one call of a CDSL
//!   function, on an engine (compiled Rust, compiled C run as a server
//!   process, or an interpreter).
//! - `model` — an in-memory reference file system, for differential tests.
//! - `fuse` — the FUSE glue, the only module that imports `fuser`.
//! - `sys` — the few POSIX calls std lacks (signals, setsid), for `fuse`
//!   and the `cdslfs` binary.

pub mod device;
pub mod ext2;
pub mod fuse;
pub mod model;
pub mod ops;
pub mod sys;
