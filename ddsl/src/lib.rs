//! DDSL, the data description language (issue #5).
//!
//! The passes, in order (see ARCHITECTURE.md and docs/ddsl.md):
//! 1. [`syntax`] — lexing and parsing a `.ddsl` file into a [`syntax::ast::Layout`]
//!    with a span on every node.
//! 2. [`check`] — the layout checker: names, field order, sizes and offsets;
//!    produces a [`check::Checked`] layout.
//! 3. [`decode`] — an interpreter over a checked layout: decodes structures
//!    from an image into [`decode::Value`]s plus typed faults (structure path,
//!    byte offset), never aborting on a corrupt image.
//! 4. [`dump`] — prints decoded roots as text (`ddsl dump`).
//! 5. [`walk`] — follows pointers from the roots: the reachable structure
//!    graph and what its pointers claim (`ddsl walk`).
//! 6. [`fsck`] — checks the cross-structure invariants (`space`, `reserve`,
//!    `bitmap`, `links`, `owns`/`refs`) on top of the walk (`ddsl fsck`).
//!
//! 7. [`gen`] — generators: Rust (owned structs with decode/encode,
//!    zero-copy views; [`build`] runs it from a build script), C, CDSL
//!    bindings, Isabelle and Coq. [`lookup`] resolves paths through the
//!    marked structures (`ddsl walk SPEC IMAGE PATH`); [`crc`] the checksums.
//!
//! 8. [`write`] — writes integer fields named by the paths the tools print
//!    (`ddsl set`, `ddsl alloc --into`), recomputing the checksums over them
//!    and refusing the fields the layout derives.
//!
//! Errors of every stage are data converted into
//! `cdsl::diagnostics::Diagnostic`.
#![forbid(unsafe_code)]

pub mod build;
pub mod check;
pub mod crc;
pub mod decode;
pub mod dump;
pub mod eval;
pub mod fsck;
pub mod gen;
pub mod lookup;
pub mod syntax;
pub mod walk;
pub mod write;

use cdsl::diagnostics::Diagnostic;
use cdsl::source::FileId;

/// Parses and checks one layout file. Returns the checked layout only when
/// there are no errors. The checker runs only on a file that parses: a
/// struct lost to a syntax error would make every use of it look unknown.
pub fn check_text(file: FileId, text: &str) -> (Option<check::Checked>, Vec<Diagnostic>) {
    let (layout, syntax_errors) = syntax::parse_layout(file, text);
    if !syntax_errors.is_empty() {
        return (None, syntax_errors.iter().map(|e| e.to_diagnostic()).collect());
    }
    let (checked, errors) = check::check(layout);
    if errors.is_empty() {
        (Some(checked), Vec::new())
    } else {
        (None, errors.iter().map(|e| e.to_diagnostic()).collect())
    }
}
