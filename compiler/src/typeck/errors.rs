//! Type errors as data, and their wording as diagnostics.

use crate::diagnostics::Diagnostic;
use crate::source::Span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeError {
    pub kind: TypeErrorKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeErrorKind {
    UnknownType {
        name: String,
    },
    RecursiveSynonym {
        name: String,
    },
    WrongTypeArity {
        name: String,
        expected: usize,
        found: usize,
    },
    UnknownVariable {
        name: String,
    },
    UnknownTypeVariable {
        name: String,
    },
    Duplicate {
        what: &'static str,
        name: String,
        first: Span,
    },
    DefinitionWithoutSignature {
        name: String,
    },
    SignatureNameMismatch {
        signature: String,
    },
    /// `expected` and `found` are descriptions: a quoted type or words.
    Mismatch {
        expected: String,
        found: String,
    },
    NotAFunction {
        found: String,
        /// The prefix operator (`not`, `complement`, `upcast`) the callee
        /// is an application of, when it is one: `not f x` is `(not f) x`.
        prefix: Option<String>,
    },
    NoSuchField {
        field: String,
        ty: String,
    },
    FieldTaken {
        field: String,
        taken_at: Option<Span>,
    },
    FieldNotTaken {
        field: String,
    },
    /// Taking from or putting into a read-only view.
    MissingPayload {
        tag: String,
        payload: String,
    },
    TypeArgsOnLocal {
        name: String,
    },
    ReadOnlyUpdate {
        action: &'static str,
    },
    DuplicateField {
        field: String,
        first: Span,
    },
    BuiltinRedefined {
        name: String,
    },
    LinearConstant {
        ty: String,
    },
    NotARecord {
        found: String,
    },
    MemberOfLinear {
        var: Option<String>,
        ty: String,
    },
    NoSuchTag {
        tag: String,
        ty: String,
    },
    CannotInferVariant {
        tag: String,
    },
    LiteralOutOfRange {
        value: u64,
        ty: String,
    },
    NotAWord {
        found: String,
    },
    BadUpcast {
        from: String,
        to: String,
    },
    CannotInfer {
        what: &'static str,
    },
    UndeterminedTypeArgument {
        function: String,
        var: String,
    },
    ConsumedThenObserved {
        var: String,
        consumed: Span,
        bound: Span,
    },
    DefinitionApart {
        name: String,
        signature: Span,
    },
    LinearUsedTwice {
        var: String,
        bound: Span,
        first_use: Span,
    },
    LinearDropped {
        var: String,
        ty: String,
        bound: Span,
        taken: Vec<String>,
    },
    LinearUsedInOneBranch {
        var: String,
        bound: Span,
        used: Span,
        other_branch: Span,
    },
    ObservedUsed {
        var: String,
        observed: Span,
    },
    ObservedEscapes {
        var: String,
        ty: String,
        observed: Span,
    },
    TakenFieldsEscape {
        var: Option<String>,
        fields: Vec<String>,
    },
    KindViolation {
        ty: String,
        kind: String,
        required: String,
        why: &'static str,
    },
    NonExhaustive {
        missing: String,
        coverage: crate::typeck::pat::Coverage,
    },
    Recursion {
        cycle: Vec<String>,
    },
    PatternMismatch {
        expected: String,
        pattern: &'static str,
    },
    TypeArgCount {
        name: String,
        expected: usize,
        found: usize,
    },
}

impl TypeError {
    pub fn new(kind: TypeErrorKind, span: Span) -> TypeError {
        TypeError { kind, span }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        use TypeErrorKind::*;
        let span = self.span;
        match &self.kind {
            UnknownType { name } => Diagnostic::error(format!("unknown type `{name}`"), span, "not declared")
                .with_help(format!("declare it with `type {name} = ...`, or as an abstract type `type {name}`")),
            RecursiveSynonym { name } => Diagnostic::error(
                format!("type synonym `{name}` refers to itself"),
                span,
                "this use would expand forever",
            )
            .with_help("a synonym only abbreviates; recursive data needs an abstract type from the runtime"),
            WrongTypeArity { name, expected, found } => Diagnostic::error(
                format!(
                    "type `{name}` takes {expected} argument{}, but {found} {} given",
                    plural(*expected),
                    were(*found)
                ),
                span,
                format!("expected {expected} type argument{}", plural(*expected)),
            ),
            UnknownVariable { name } => Diagnostic::error(format!("unknown variable `{name}`"), span, "not in scope")
                .with_help("bind it with `let`, a pattern, or declare a top-level function or constant of this name"),
            UnknownTypeVariable { name } => {
                Diagnostic::error(format!("unknown type variable `{name}`"), span, "not bound")
                    .with_help(format!(
                        "in a signature, quantify it: `all ({name}). ...`; in a type synonym, make it a parameter: `type T {name} = ...`"
                    ))
            }
            Duplicate { what, name, first } => {
                Diagnostic::error(format!("{what} `{name}` is defined twice"), span, "defined again here")
                    .with_secondary(*first, "first defined here")
                    .with_help("rename one of them")
            }
            DefinitionWithoutSignature { name } => {
                Diagnostic::error(format!("`{name}` has no type signature"), span, "definition without a signature")
                    .with_help(format!("write `{name} : ArgType -> ResultType` on the line before"))
            }
            SignatureNameMismatch { signature } => Diagnostic::error(
                format!("definition does not match the signature of `{signature}` above it"),
                span,
                "a different name",
            )
            .with_help("a definition follows its own signature; check the spelling"),
            Mismatch { expected, found } => {
                let d = Diagnostic::error(
                    format!("mismatched types: expected {expected}, found {found}"),
                    span,
                    format!("this is {found}"),
                );
                let words = ["`U8`", "`U16`", "`U32`", "`U64`"];
                let rank = |t: &str| words.iter().position(|w| *w == t);
                match (rank(expected), rank(found)) {
                    (Some(e), Some(f)) if f < e => {
                        d.with_help(format!("widen it explicitly: `upcast` gives {expected}"))
                    }
                    _ if expected.contains("read-only view") => {
                        d.with_help("observe the value instead of passing it: `let x = f v !v in ...`")
                    }
                    _ => d,
                }
            }
            NotAFunction { found, prefix } => {
                let d = Diagnostic::error(format!("`{found}` is not a function"), span, "applied to an argument here");
                match prefix {
                    Some(op) => d.with_help(format!(
                        "`{op}` binds tighter than application: `{op} f x` is `({op} f) x`; write `{op} (f x)`"
                    )),
                    None => d,
                }
            }
            NoSuchField { field, ty } => {
                Diagnostic::error(format!("no field `{field}` in `{ty}`"), span, "unknown field")
            }
            FieldTaken { field, taken_at } => {
                let d = Diagnostic::error(format!("field `{field}` is already taken"), span, "taken field used here");
                let d = match taken_at {
                    Some(at) => d.with_secondary(*at, "taken here"),
                    None => d,
                };
                d.with_help(format!("put `{field}` back first: `r {{{field} = value}}`"))
            }
            FieldNotTaken { field } => Diagnostic::error(
                format!("field `{field}` is not taken, so nothing can be put into it"),
                span,
                "put into a present field",
            )
            .with_help(format!("take it first (`let r' {{{field}}} = r`), or its old value would be lost")),
            MissingPayload { tag, payload } => Diagnostic::error(
                format!("`{tag}` carries a value of type `{payload}`"),
                span,
                "its value is not matched",
            )
            .with_help(format!("match it with a pattern, e.g. `{tag} x`, or ignore it with `{tag} _`")),
            TypeArgsOnLocal { name } => Diagnostic::error(
                format!("`{name}` is a local variable and takes no type arguments"),
                span,
                "type arguments here",
            )
            .with_help("type arguments instantiate a polymorphic top-level function"),
            ReadOnlyUpdate { action } => Diagnostic::error(
                format!("cannot {action} a read-only view"),
                span,
                "this record is a read-only view (`!`), so it cannot change",
            )
            .with_help("take and put only on a linear record: the view is for reading its fields with `.`"),
            DuplicateField { field, first } => {
                Diagnostic::error(format!("field `{field}` is given twice"), span, "given again here")
                    .with_secondary(*first, "first given here")
                    .with_help("give each field once")
            }
            BuiltinRedefined { name } => Diagnostic::error(
                format!("`{name}` is a built-in type and cannot be redefined"),
                span,
                "built-in type name",
            )
            .with_help("choose another name"),
            LinearConstant { ty } => Diagnostic::error(
                format!("a top-level constant cannot have the linear type `{ty}`"),
                span,
                "constants can be used any number of times",
            )
            .with_help("make it a function taking `()` that builds a fresh value, or give it a shareable type"),
            NotARecord { found } => Diagnostic::error(format!("`{found}` is not a record"), span, "expected a record"),
            MemberOfLinear { var, ty } => {
                let what = var.as_ref().map_or_else(|| "a linear record".to_owned(), |v| format!("linear `{v}`"));
                Diagnostic::error(format!("cannot read a field of {what}"), span, format!("`{ty}` is linear here"))
                    .with_help(match var {
                        Some(v) => format!("observe it: `let x = {v}.field !{v} in ...`, or take the field"),
                        None => "bind it and observe it with `!`, or take the field".to_owned(),
                    })
            }
            NoSuchTag { tag, ty } => {
                Diagnostic::error(format!("no alternative `{tag}` in `{ty}`"), span, "unknown tag")
            }
            CannotInferVariant { tag } => {
                Diagnostic::error(format!("cannot infer the variant type of `{tag}`"), span, "type needed here")
                    .with_help("annotate it: `(e : <Tag t | ...>)`, or bind it with a typed `let x : T = ...`")
            }
            LiteralOutOfRange { value, ty } => Diagnostic::error(
                format!("literal `{value}` does not fit in `{ty}`"),
                span,
                format!("out of range for `{ty}`"),
            )
            .with_help("use a wider type and `upcast` the narrower operands"),
            NotAWord { found } => {
                Diagnostic::error(format!("expected a word type, found `{found}`"), span, "not U8, U16, U32 or U64")
            }
            BadUpcast { from, to } => {
                Diagnostic::error(format!("cannot upcast `{from}` to `{to}`"), span, "upcast only widens a word type")
            }
            CannotInfer { what } => Diagnostic::error(format!("cannot infer the type of {what}"), span, "type needed")
                .with_help("add an annotation `(e : T)`"),
            UndeterminedTypeArgument { function, var } => Diagnostic::error(
                format!("cannot infer type argument `{var}` of `{function}`"),
                span,
                "nothing here fixes it",
            )
            .with_help(format!(
                "give it explicitly: `{function} [T, ...]`, one type per type variable of `{function}`"
            )),
            ConsumedThenObserved { var, consumed, bound } => Diagnostic::error(
                format!("linear variable `{var}` is observed after it was consumed"),
                span,
                "observed here",
            )
            .with_secondary(*consumed, "consumed here")
            .with_secondary(*bound, "bound here")
            .with_help(format!("observe `{var}` before the use that consumes it")),
            DefinitionApart { name, signature } => Diagnostic::error(
                format!("the definition of `{name}` does not directly follow its signature"),
                span,
                "definition here",
            )
            .with_secondary(*signature, "signature here")
            .with_help("move the definition right under its signature"),
            LinearUsedTwice { var, bound, first_use } => {
                Diagnostic::error(format!("linear variable `{var}` is used twice"), span, "used again here")
                    .with_secondary(*first_use, "first used here")
                    .with_secondary(*bound, "bound here")
                    .with_help(format!(
                "a linear value is used exactly once; to read it without consuming it, observe it with `!{var}`"
            ))
            }
            LinearDropped { var, ty, bound, taken } => Diagnostic::error(
                format!("linear variable `{var}` is never used"),
                span,
                format!("`{var}` is dropped here without being used"),
            )
            .with_secondary(*bound, format!("`{var} : {ty}` is bound here"))
            .with_help(match taken.first() {
                Some(field) => {
                    format!("put `{field}` back into `{var}` (`{var} {{{field} = ...}}`) and return it, or pass it on")
                }
                None => format!("return `{var}`, pass it to a function that frees it, or put it back into a record"),
            }),
            LinearUsedInOneBranch { var, bound, used, other_branch: _ } => Diagnostic::error(
                format!("linear variable `{var}` is used in one branch but not in the other"),
                span,
                format!("`{var}` is not used in this branch"),
            )
            .with_secondary(*used, "but it is used in this one")
            .with_secondary(*bound, "bound here")
            .with_help(format!("use `{var}` in every branch, or in none")),
            ObservedUsed { var, observed } => Diagnostic::error(
                format!("`{var}` is observed here, so it cannot be consumed"),
                span,
                "consumed while observed",
            )
            .with_secondary(*observed, "observed here")
            .with_help(format!("use `{var}` after the observing `let` instead")),
            ObservedEscapes { var, ty, observed } => Diagnostic::error(
                format!("a read-only view of `{var}` escapes its observation"),
                span,
                format!("this has type `{ty}`, which may point into `{var}`"),
            )
            .with_secondary(*observed, "observed here")
            .with_help("return only values that do not alias the observed one (words, or copies)"),
            TakenFieldsEscape { var, fields } => {
                let list = fields.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ");
                let subject = var.as_ref().map_or_else(|| "a record".to_owned(), |v| format!("`{v}`"));
                Diagnostic::error(
                    format!(
                        "{subject} is used whole while field{} {list} {} taken",
                        plural(fields.len()),
                        if fields.len() == 1 { "is" } else { "are" }
                    ),
                    span,
                    "fields still taken",
                )
                .with_help(match (var, fields.first()) {
                    (Some(v), Some(f)) => format!("put `{f}` back into `{v}` first: `{v} {{{f} = ...}}`"),
                    _ => "put the taken fields back first".to_owned(),
                })
            }
            KindViolation { ty, kind, required, why } => Diagnostic::error(
                format!("`{ty}` cannot be {why}"),
                span,
                format!("its kind is {kind}, but {required} is required"),
            )
            .with_help("D: discardable, S: shareable, E: escapable; linear values are only E"),
            NonExhaustive { missing, coverage } => {
                use crate::typeck::pat::Coverage;
                let d = Diagnostic::error(
                    format!("non-exhaustive patterns: {missing} not covered"),
                    span,
                    format!("{missing} is not matched"),
                );
                match coverage {
                    Coverage::Match => {
                        d.with_help(format!("add an alternative `| {} -> ...`", missing.trim_matches('`')))
                    }
                    Coverage::Let | Coverage::Parameter => d.with_help(format!(
                        "this pattern must match every value; match on it instead, with an alternative for {missing}"
                    )),
                }
            }
            Recursion { cycle } => Diagnostic::error(
                format!(
                    "recursion is not allowed: {}",
                    cycle.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(" calls ")
                ),
                span,
                "this call closes the cycle",
            )
            .with_help("iterate with a bounded iterator from the runtime, such as `seq32`"),
            PatternMismatch { expected, pattern } => Diagnostic::error(
                format!("this {pattern} pattern cannot match a value of type `{expected}`"),
                span,
                "pattern of the wrong shape",
            ),
            TypeArgCount { name, expected, found } => Diagnostic::error(
                format!(
                    "`{name}` takes {expected} type argument{}, but {found} {} given",
                    plural(*expected),
                    were(*found)
                ),
                span,
                "wrong number of type arguments",
            ),
        }
    }
}

fn were(n: usize) -> &'static str {
    if n == 1 {
        "was"
    } else {
        "were"
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
