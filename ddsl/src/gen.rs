//! Generators: code from a checked layout — [`rust`] and [`c`] (decoders,
//! encoders, views), [`isabelle`] and [`coq`] (records and round-trip
//! lemmas for the fixed-layout structs [`fixed`] plans; proved in Coq),
//! [`cdsl`] (getters and setters for CDSL programs, and their runtime
//! implementations).

pub mod c;
pub mod cdsl;
pub mod coq;
pub mod fixed;
pub mod isabelle;
pub mod rust;
