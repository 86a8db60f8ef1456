//! Coq names for CDSL names: deterministic, derived from source names (and
//! an instance's type arguments) alone — never from counters over the
//! program.
//!
//! Coq identifiers may contain `'` and end in `_`, so most CDSL names are
//! kept as they are. Renamed are: Coq keywords and vernacular commands, the
//! standard-library names the generated code refers to, names starting with
//! `cdsl_` (reserved for the base library and for helpers) and names not
//! starting with a letter. A renamed name gets `_` appended until it is
//! free; names that need no renaming claim themselves first, so a renaming
//! depends only on which other names exist, not on any order.

use crate::core::ir::Function;
use crate::typeck::types::Ty;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

/// Words Coq's lexer reserves, vernacular commands, and the names the
/// generated code uses unqualified.
const RESERVED: &[&str] = &[
    // Gallina keywords.
    "as",
    "at",
    "cofix",
    "else",
    "end",
    "exists",
    "exists2",
    "fix",
    "for",
    "forall",
    "fun",
    "if",
    "IF",
    "in",
    "let",
    "match",
    "mod",
    "Prop",
    "SProp",
    "return",
    "Set",
    "then",
    "Type",
    "using",
    "where",
    "with",
    "struct",
    "measure",
    "wf",
    "is",
    "by",
    "from",
    "Variable",
    "Variables",
    "Parameter",
    "Parameters",
    // Vernacular commands (keywords at the start of a sentence).
    "Definition",
    "Fixpoint",
    "CoFixpoint",
    "Inductive",
    "CoInductive",
    "Record",
    "Structure",
    "Class",
    "Instance",
    "Theorem",
    "Lemma",
    "Example",
    "Corollary",
    "Fact",
    "Remark",
    "Proof",
    "Qed",
    "Defined",
    "Admitted",
    "Axiom",
    "Axioms",
    "Hypothesis",
    "Conjecture",
    "Let",
    "Require",
    "Import",
    "Export",
    "From",
    "Module",
    "Section",
    "End",
    "Notation",
    "Open",
    "Close",
    "Scope",
    "Check",
    "Compute",
    "Eval",
    "Print",
    "Goal",
    "Abort",
    "Context",
    "Arguments",
    "Implicit",
    "Local",
    "Global",
    "Set",
    "Unset",
    "Hint",
    "Ltac",
    "Include",
    "Program",
    // Standard-library names the generated code refers to.
    "N",
    "Z",
    "O",
    "S",
    "nat",
    "bool",
    "true",
    "false",
    "andb",
    "orb",
    "negb",
    "xorb",
    "unit",
    "tt",
    "pair",
    "prod",
    "sum",
    "inl",
    "inr",
    "fst",
    "snd",
    "string",
    "String",
    "EmptyString",
    "option",
    "Some",
    "None",
    "list",
    "nil",
    "cons",
    "eq",
    "eq_refl",
    "Bool",
    "Coq",
    "Init",
    "Logic",
    "Cdsl",
    "CdslBase",
];

/// Whether `name` is a Coq identifier we may use as it is.
fn usable(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    first_ok
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '\'')
        && !RESERVED.contains(&name)
        && !name.starts_with("cdsl_")
}

/// Letters, digits, `_` and `'` kept; anything else `_`; a name not
/// starting with a letter, or starting with `cdsl_`, gets `u` in front.
fn sanitize(name: &str) -> String {
    let mut out: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '\'' { c } else { '_' }).collect();
    if !out.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) || out.starts_with("cdsl_") {
        out.insert(0, 'u');
    }
    out
}

/// Allocates names in one namespace: usable names claim themselves, the
/// others become `sanitize(name)` plus as many `_` as make them free.
pub fn allocate(wanted: &BTreeSet<String>, taken: &HashSet<String>) -> BTreeMap<String, String> {
    let mut used: HashSet<String> = taken.clone();
    let mut out = BTreeMap::new();
    for name in wanted.iter().filter(|n| usable(n) && !taken.contains(*n)) {
        used.insert(name.clone());
        out.insert(name.clone(), name.clone());
    }
    let rest: Vec<&String> = wanted.iter().filter(|n| !out.contains_key(*n)).collect();
    for name in rest {
        let mut ident = sanitize(name);
        while !usable(&ident) || used.contains(&ident) {
            ident.push('_');
        }
        used.insert(ident.clone());
        out.insert(name.clone(), ident);
    }
    out
}

/// 32-bit FNV-1a: a stable hash.
fn fnv32(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193))
}

/// The wanted (pre-allocation) name of a function instance: `f`, or
/// `wordarray_get__U32` for `wordarray_get[U32]`. A type argument that is
/// more than words and spaces is shortened and gets a hash of its text.
pub fn instance_name(function: &Function) -> String {
    let mut name = function.source_name.clone();
    for arg in &function.type_args {
        let _ = write!(name, "__{}", type_arg(arg));
    }
    name
}

fn type_arg(ty: &Ty) -> String {
    if *ty == Ty::Unit {
        return "Unit".to_owned();
    }
    let text = ty.to_string();
    let plain = |s: &str| -> String {
        let mut out = String::new();
        for c in s.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('_') {
                out.push('_');
            }
        }
        out.trim_matches('_').to_owned()
    };
    if text.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '_') {
        return plain(&text);
    }
    let short = match ty {
        Ty::Record { fields, .. } => {
            format!("Rec_{}", fields.iter().take(2).map(|(n, _)| plain(n)).collect::<Vec<_>>().join("_"))
        }
        Ty::Variant(alts) => format!("V_{}", alts.keys().take(2).map(|t| plain(t)).collect::<Vec<_>>().join("_")),
        _ => plain(&text).chars().take(24).collect(),
    };
    format!("{short}_{:06x}", fnv32(&text) & 0xff_ffff)
}

/// Names of one function's locals (and of the helpers its translation
/// binds). Each CDSL variable gets one Coq name for the whole function;
/// locals never take a global's name, so no global is ever shadowed.
/// Helpers are `cdsl_<hint><k>`, a prefix no user name keeps.
pub struct Locals<'g> {
    globals: &'g HashSet<String>,
    names: HashMap<String, String>,
    types: HashMap<String, Ty>,
    /// Types that bindings replaced, restored when their scope ends.
    saved: Vec<(String, Option<Ty>)>,
    used: HashSet<String>,
    helpers: usize,
}

impl<'g> Locals<'g> {
    pub fn new(globals: &'g HashSet<String>) -> Locals<'g> {
        Locals {
            globals,
            names: HashMap::new(),
            types: HashMap::new(),
            saved: Vec::new(),
            used: HashSet::new(),
            helpers: 0,
        }
    }

    pub fn ident(&mut self, name: &str) -> String {
        if let Some(ident) = self.names.get(name) {
            return ident.clone();
        }
        let mut ident = match name.strip_prefix('%') {
            Some(rest) => format!("m{}", rest.replace(|c: char| !c.is_ascii_alphanumeric(), "_")),
            None => sanitize(name),
        };
        while !usable(&ident) || self.used.contains(&ident) || self.globals.contains(&ident) {
            ident.push('_');
        }
        self.used.insert(ident.clone());
        self.names.insert(name.to_owned(), ident.clone());
        ident
    }

    /// Names a variable at its binding, recording its type.
    pub fn bind(&mut self, name: &str, ty: &Ty) -> String {
        let previous = self.types.insert(name.to_owned(), ty.clone());
        self.saved.push((name.to_owned(), previous));
        self.ident(name)
    }

    /// Where a scope starts: [`Locals::restore`] with it ends the scope.
    pub fn mark(&self) -> usize {
        self.saved.len()
    }

    /// Forgets the bindings made since `mark`, uncovering shadowed ones.
    pub fn restore(&mut self, mark: usize) {
        while self.saved.len() > mark {
            let Some((name, previous)) = self.saved.pop() else { break };
            match previous {
                Some(ty) => self.types.insert(name, ty),
                None => self.types.remove(&name),
            };
        }
    }

    /// The type of the innermost binding of a variable in scope.
    pub fn type_of(&self, name: &str) -> Option<Ty> {
        self.types.get(name).cloned()
    }

    pub fn helper(&mut self, hint: &str) -> String {
        self.helpers += 1;
        format!("cdsl_{hint}{}", self.helpers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_and_primes() {
        let wanted: BTreeSet<String> =
            ["fun", "fun_", "x'", "match", "Type", "cdsl_add", "_x", "ok"].iter().map(|s| s.to_string()).collect();
        let names = allocate(&wanted, &HashSet::new());
        assert_eq!(names["fun_"], "fun_");
        assert_eq!(names["fun"], "fun__");
        assert_eq!(names["x'"], "x'");
        assert_eq!(names["match"], "match_");
        assert_eq!(names["Type"], "Type_");
        assert_eq!(names["cdsl_add"], "ucdsl_add");
        assert_eq!(names["_x"], "u_x");
        assert_eq!(names["ok"], "ok");
    }
}
