//! Rust names for CDSL names: deterministic, derived from the source name
//! (and an instance's type arguments) alone — never from counters.

use crate::core::ir::Function;
use crate::typeck::types::Ty;
use std::fmt::Write as _;

/// Rust keywords, which CDSL names may be (`type` is CDSL's own; `match`,
/// `fn`, `loop`, .. are not).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self",
    "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become",
    "box", "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// 32-bit FNV-1a: a stable hash (unlike `std`'s, fixed across releases).
pub fn fnv32(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193))
}

/// Letters, digits and `_` kept; a prime becomes `_p`; runs of anything
/// else one `_`.
pub fn sanitize(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if c == '\'' {
            out.push_str("_p");
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_owned();
    if out.is_empty() {
        "_x".to_owned()
    } else {
        out
    }
}

/// A Rust identifier for a CDSL identifier (field, tag, variable).
pub fn field_ident(name: &str) -> String {
    let plain = sanitize(name);
    match plain.as_str() {
        "self" | "Self" | "super" | "crate" | "_" => format!("{plain}_"),
        k if KEYWORDS.contains(&k) => format!("r#{k}"),
        _ => plain,
    }
}

/// A local variable: the lowering's fresh `%N` becomes `mN_`, a name no
/// CDSL variable maps to (CDSL names never end in `_` after a digit run
/// unless written so; clashes are resolved per function by [`Locals`]).
pub fn local_ident(name: &str) -> String {
    match name.strip_prefix('%') {
        Some(rest) => format!("m{}", sanitize(rest)),
        None => field_ident(name),
    }
}

/// The Rust name of a function instance: `f`, or `wordarray_get__U32` for
/// `wordarray_get[U32]`. A type argument that is more than words and
/// spaces is shortened (a record to `Rec_` and its first field names, a
/// variant to `V_` and its first tags) and gets a hash of its full text,
/// so different arguments never give the same name.
pub fn function_ident(function: &Function) -> String {
    let mut name = field_ident(&function.source_name);
    for arg in &function.type_args {
        let _ = write!(name, "__{}", type_arg(arg));
    }
    name
}

pub fn type_arg(ty: &Ty) -> String {
    let text = ty.to_string();
    if *ty == Ty::Unit {
        return "Unit".to_owned();
    }
    if text.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '_') {
        return sanitize(&text);
    }
    let short = match ty {
        Ty::Record { fields, .. } => {
            let names: Vec<String> = fields.iter().take(2).map(|(n, _)| sanitize(n)).collect();
            format!("Rec_{}", names.join("_"))
        }
        Ty::Variant(alts) => {
            let tags: Vec<String> = alts.keys().take(2).map(|t| sanitize(t)).collect();
            format!("V_{}", tags.join("_"))
        }
        _ => sanitize(&text).chars().take(24).collect(),
    };
    format!("{short}_{:06x}", fnv32(&text) & 0xff_ffff)
}

/// Names of the locals of one function: each CDSL variable gets the same
/// Rust name everywhere in the function; should two variables map to one
/// name, the later one (in order of first binding) gets `_` appended until
/// it is unique. Depends only on the function's own variables.
#[derive(Default)]
pub struct Locals {
    names: std::collections::HashMap<String, String>,
    used: std::collections::HashSet<String>,
}

impl Locals {
    pub fn ident(&mut self, name: &str) -> String {
        if let Some(ident) = self.names.get(name) {
            return ident.clone();
        }
        let mut ident = local_ident(name);
        while self.used.contains(&ident) {
            ident.push('_');
        }
        self.used.insert(ident.clone());
        self.names.insert(name.to_owned(), ident.clone());
        ident
    }
}
