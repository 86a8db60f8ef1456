//! Coq's naming rules for the shared allocator (`backend/prover/names.rs`).
//!
//! Coq identifiers may contain `'` and end in `_`, so most CDSL names are
//! kept as they are. Renamed are: Coq keywords and vernacular commands, the
//! standard-library names the generated code refers to, names starting with
//! `cdsl_` (reserved for the base library and for helpers) and names not
//! starting with a letter. A renamed name gets `_` appended until it is
//! free.

use crate::backend::prover::names::{self as shared, Rules};
use std::collections::{BTreeMap, BTreeSet, HashSet};

pub use shared::{instance_name, Locals};

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

/// Coq's rules.
pub static RULES: Rules = Rules { reserved: RESERVED, well_formed, sanitize, bump: '_' };

/// Letters, digits, `_` and `'`, starting with a letter.
fn well_formed(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '\'')
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

/// Allocates Coq names in one namespace.
pub fn allocate(wanted: &BTreeSet<String>, taken: &HashSet<String>) -> BTreeMap<String, String> {
    shared::allocate(&RULES, wanted, taken)
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
