//! The syntax stage: layout text to a surface [`ast::Layout`].
//!
//! `lexer` (logos) → `parser` (splits items at item keywords in column 1, runs
//! the lalrpop `grammar` on each) → `ast`. Errors are
//! [`errors::SyntaxError`] values; all are reported, none stops the stage.

pub mod ast;
pub mod errors;
pub mod lexer;
pub mod parser;

#[allow(clippy::all, clippy::pedantic, unused_parens)]
mod grammar {
    include!(concat!(env!("OUT_DIR"), "/syntax/grammar.rs"));
}

pub use parser::parse_layout;
