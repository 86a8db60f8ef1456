//! The syntax stage: source text to a surface [`ast::Module`] per file.
//!
//! `lexer` (logos) → `parser` (splits items at column 1, runs the lalrpop
//! `grammar` on each) → `ast`. `pretty` prints an AST back to source that
//! re-parses to the same AST; `erase` forgets spans so ASTs can be compared.
//! `loader` follows `include`s across files. Errors are [`errors::SyntaxError`]
//! values; all are reported, none stops the stage.

pub mod ast;
pub mod erase;
pub mod errors;
pub mod lexer;
pub mod loader;
pub mod parser;
pub mod pretty;

#[allow(clippy::all, clippy::pedantic, unused_parens)]
mod grammar {
    include!(concat!(env!("OUT_DIR"), "/syntax/grammar.rs"));
}

pub use parser::parse_module;
