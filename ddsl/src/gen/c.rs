//! The C generator: a checked layout to a C99 header and source file.
//!
//! It shares the Rust generator's plan (`gen::rust::plan_all`: static
//! offsets, derived fields, what cannot be expressed) and its expression
//! translation, so both decode the same bytes to the same values and fail
//! with the same offsets, paths and messages. For every struct `Foo`:
//!
//! - `typedef struct Foo { ... } Foo;` — integers, arrays, nested structs,
//!   a `select` as a tagged union (`Foo_field` with `arm` and `as`), a
//!   variable byte array as a pointer into the decoded buffer plus a count.
//!   Magic fields and array lengths are not members: encode computes them.
//! - `int Foo_decode(const uint8_t *bytes, size_t len, Foo *out, ddsl_error *err)`
//!   and `int Foo_encode(const Foo *in, uint8_t *bytes, size_t len, ddsl_error *err)`:
//!   0 on success, -1 with `err` holding the kind, byte offset and field
//!   path (`ddsl_error_format` renders "path (byte N): message").
//! - `Foo_print(x, out, prefix)`: every field as `prefix path = value`.
//! - accessors: `Foo_get_f`/`Foo_put_f` read and write an integer field in
//!   place (the bytes must hold `Foo_FIXED_LEN`), `Foo_f_bit(x)` bit fields
//!   and flags of a decoded value.
//!
//! The runtime (errors, checked arithmetic, byte order) is `static inline`
//! in the header, so the two files are all a C program needs.

mod emit;
mod encode;

use super::rust::{plan_all, Kind, Plan, Unsupported};
use crate::check::Checked;
use crate::syntax::ast::Width;
use std::collections::HashSet;

/// The generated files and the structs left out of them.
#[derive(Clone, Debug)]
pub struct GeneratedC {
    /// `<stem>.h`
    pub header: String,
    /// `<stem>.c`, which includes the header by that name.
    pub source: String,
    /// Names of the generated structs, in file order.
    pub structs: Vec<String>,
    pub skipped: Vec<Unsupported>,
}

/// Generates C for a checked layout; `stem` names the header the source
/// includes, `source` the layout in the header comment.
pub fn generate(checked: &Checked, stem: &str, source: &str) -> GeneratedC {
    let (mut plans, mut skipped) = plan_all(checked);
    // What C cannot hold on top of what Rust cannot: a variable array of
    // wider integers (the struct points into the buffer, so byte order
    // would be the caller's), and names C reserves. Holders go too.
    loop {
        let bad: HashSet<String> = skipped.iter().map(|u| u.strukt.clone()).collect();
        let before = plans.len();
        let mut kept = Vec::new();
        for plan in plans {
            match c_unsupported(checked, &plan, &bad) {
                Some(u) => skipped.push(u),
                None => kept.push(plan),
            }
        }
        plans = kept;
        if plans.len() == before {
            break;
        }
    }
    let (header, source_text) = emit::files(checked, stem, source, &plans, &skipped);
    GeneratedC { header, source: source_text, structs: plans.iter().map(|p| p.name.to_string()).collect(), skipped }
}

fn c_unsupported(checked: &Checked, plan: &Plan<'_>, bad: &HashSet<String>) -> Option<Unsupported> {
    let Some(def) = checked.struct_def(plan.name) else {
        unreachable!("bug: planned struct `{}` not in the layout", plan.name)
    };
    let span = |what: String| Unsupported { what, span: def.name.span, strukt: plan.name.to_string() };
    if emit::C_KEYWORDS.contains(&plan.name) || plan.name.starts_with("ddsl_") {
        return Some(span(format!("a struct named `{}`, which C reserves", plan.name)));
    }
    for m in &plan.members {
        if let Kind::VarArray { width, .. } = &m.kind {
            if *width != Width::U8 {
                return Some(span("a variable-length array of integers wider than a byte (in C)".into()));
            }
            let count = format!("{}_count", m.name);
            if plan.members.iter().any(|f| f.name == count) {
                return Some(span(format!("a field named `{count}`, the C name of `{}`'s length", m.name)));
            }
        }
        if let Some(inner) = holds(&m.kind).into_iter().find(|n| bad.contains(*n)) {
            return Some(span(format!("a field of type `{inner}`, which is not generated")));
        }
    }
    None
}

/// The structs a member holds by value, arms of selects included.
fn holds<'a>(kind: &Kind<'a>) -> Vec<&'a str> {
    match kind {
        Kind::Struct { name, .. } | Kind::Fill { elem: name, .. } => vec![name],
        Kind::Select { arms, .. } => arms.iter().flat_map(|a| holds(&a.kind)).collect(),
        _ => Vec::new(),
    }
}
