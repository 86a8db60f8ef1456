//! Generators: code from a checked layout — [`rust`] and [`c`] (decoders,
//! encoders, views), [`isabelle`] and [`coq`] (records and round-trip
//! lemmas for the fixed-layout structs [`fixed`] plans; proved in Coq).
//! CDSL bindings are still to come (issue #5).

pub mod c;
pub mod coq;
pub mod fixed;
pub mod isabelle;
pub mod rust;
