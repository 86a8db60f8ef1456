//! C names for CDSL names: deterministic, derived from the source name (and
//! an instance's type arguments) alone — never from program-wide counters.

use crate::backend::rust::names::{local_ident, sanitize, type_arg};
use crate::core::ir::Function;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

/// The keywords of C99 (and `bool`/`true`/`false` from `stdbool.h`): no
/// generated name may be one. Shared with DDSL's C generator.
pub const C_KEYWORDS: &[&str] = &[
    "auto",
    "break",
    "case",
    "char",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extern",
    "float",
    "for",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "register",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "struct",
    "switch",
    "typedef",
    "union",
    "unsigned",
    "void",
    "volatile",
    "while",
    "_Bool",
    "_Complex",
    "_Imaginary",
    "bool",
    "true",
    "false",
];

/// Names of the C library (functions and types) and the runtime that a
/// generated name must not take either (`main` above all: benchmark
/// programs define one).
const RESERVED: &[&str] = &[
    "main",
    "free",
    "malloc",
    "calloc",
    "realloc",
    "abort",
    "exit",
    "memcpy",
    "memset",
    "memmove",
    "strlen",
    "printf",
    "puts",
    "stdin",
    "stdout",
    "stderr",
    "errno",
    "arg",
    "out",
    "asm",
    "NULL",
    "nested",
    "uint8_t",
    "uint16_t",
    "uint32_t",
    "uint64_t",
    "int8_t",
    "int16_t",
    "int32_t",
    "int64_t",
    "size_t",
    "ptrdiff_t",
    "uintptr_t",
    "intptr_t",
    "FILE",
    "clock_t",
];

/// A C identifier for a CDSL identifier (field, tag, variable).
pub fn c_ident(name: &str) -> String {
    let plain = sanitize(name);
    let taken = C_KEYWORDS.contains(&plain.as_str()) || RESERVED.contains(&plain.as_str());
    if taken || plain.starts_with("cdsl_") || plain.starts_with("__") {
        format!("{plain}_")
    } else {
        plain
    }
}

/// The C name of a function instance: `f`, or `wordarray_get__U32` for
/// `wordarray_get[U32]` (the Rust backend's scheme), after `prefix`.
pub fn function_ident(prefix: &str, function: &Function) -> String {
    let mut name = format!("{prefix}{}", c_ident(&function.source_name));
    for arg in &function.type_args {
        let _ = write!(name, "__{}", type_arg(arg));
    }
    name
}

/// Names of one function's locals. C forbids redeclaring a name in one
/// block and a shadowing declaration would see itself in its initialiser,
/// so each binding gets its own name: the CDSL name, then `x_2`, `x_3`, ..
/// for later bindings of the same name (in order of binding within the
/// function). Temporaries are `tmp_1`, `tmp_2`, ..; the function's own
/// names only decide them.
#[derive(Default)]
pub struct Locals {
    used: HashSet<String>,
    counts: HashMap<String, usize>,
}

impl Locals {
    pub fn fresh(&mut self, name: &str) -> String {
        let base = match name.strip_prefix('%') {
            Some(_) => local_ident(name),
            None => c_ident(name),
        };
        self.unique(base)
    }

    /// Keeps locals off `ident` (a global the function uses).
    pub fn reserve(&mut self, ident: &str) {
        self.used.insert(ident.to_owned());
    }

    pub fn temp(&mut self) -> String {
        self.unique("tmp".to_owned())
    }

    fn unique(&mut self, base: String) -> String {
        loop {
            let count = self.counts.entry(base.clone()).or_insert(0);
            *count += 1;
            let ident = if *count == 1 && base != "tmp" { base.clone() } else { format!("{base}_{count}") };
            if self.used.insert(ident.clone()) {
                return ident;
            }
        }
    }
}
