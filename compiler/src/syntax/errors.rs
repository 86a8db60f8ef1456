//! Syntax errors as data, and their wording as diagnostics.

use crate::diagnostics::Diagnostic;
use crate::source::Span;
use crate::syntax::lexer::LexErrorKind;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// A malformed token; `text` is what was written.
    Lex { kind: LexErrorKind, text: String },
    /// A token the grammar cannot accept here.
    UnexpectedToken { found: String, expected: Vec<String> },
    /// The item ended early, at `item_end`, because the next line starts in
    /// column 1.
    ItemCutShort { expected: Vec<String>, item_end: Span },
    /// `a < b < c`: comparisons do not associate.
    ChainedComparison { first: Span },
    /// A keyword where an item's name belongs.
    KeywordAsName { keyword: String },
    /// A line in column 1 that cannot start an item: meant as a continuation.
    ContinuationInColumnOne,
    /// The file ended in the middle of an item.
    UnexpectedEndOfFile { expected: Vec<String> },
    /// A kind bound other than letters from `D`, `S`, `E`.
    BadKind { letters: String },
    /// `#` applied to something that has no unboxed form.
    CannotUnbox,
    /// An `include`d file could not be read.
    CannotInclude { path: String, reason: String },
}

impl SyntaxError {
    pub fn new(kind: SyntaxErrorKind, span: Span) -> SyntaxError {
        SyntaxError { kind, span }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        use SyntaxErrorKind::*;
        let span = self.span;
        match &self.kind {
            Lex { kind, text } => lex_diagnostic(kind, text, span),
            UnexpectedToken { found, expected } => {
                let title = if expected.is_empty() {
                    format!("unexpected {found} after a complete item")
                } else {
                    format!("expected {}, found {found}", describe_expected(expected))
                };
                with_token_hint(Diagnostic::error(title, span, format!("unexpected {found}")), found, expected)
            }
            ItemCutShort { expected, item_end } => Diagnostic::error(
                format!("expected {}, found the start of a new item", describe_expected(expected)),
                span,
                "a line starting in column 1 begins a new top-level item",
            )
            .with_secondary(*item_end, "so the item above ends here, unfinished")
            .with_help("indent this line to continue the item above, or finish that item first"),
            ChainedComparison { first } => {
                Diagnostic::error("comparison operators cannot be chained", span, "a second comparison here")
                    .with_secondary(*first, "after this one")
                    .with_help("comparisons do not chain: write `a < b && b < c`, or add parentheses")
            }
            KeywordAsName { keyword } => Diagnostic::error(
                format!("`{keyword}` is a keyword and cannot be used as a name"),
                span,
                "reserved word",
            )
            .with_help(format!("choose another name, e.g. `{keyword}_`")),
            ContinuationInColumnOne => Diagnostic::error(
                "this line starts in column 1 but cannot start a new item",
                span,
                "a new item starts with `type`, `include` or a name",
            )
            .with_help("indent this line to continue the item above"),
            UnexpectedEndOfFile { expected } => Diagnostic::error(
                format!("expected {}, found end of file", describe_expected(expected)),
                span,
                "the file ends here",
            ),
            BadKind { letters } => Diagnostic::error(format!("`{letters}` is not a kind"), span, "not a kind")
                .with_help(
                "a kind is written with the letters D (discardable), S (shareable) and E (escapable), e.g. `a :< DS`",
            ),
            CannotUnbox => {
                Diagnostic::error("only records and named types can be unboxed", span, "`#` cannot apply here")
                    .with_help("write `#{f : t}` for an unboxed record or `#Name` for an unboxed abstract type")
            }
            CannotInclude { path, reason } => {
                Diagnostic::error(format!("cannot include `{path}`"), span, reason.clone())
                    .with_help("include paths are relative to the file that includes them")
            }
        }
    }
}

fn lex_diagnostic(kind: &LexErrorKind, text: &str, span: Span) -> Diagnostic {
    match kind {
        LexErrorKind::UnexpectedChar => {
            let shown = if text.contains('`') { format!("'{text}'") } else { format!("`{text}`") };
            Diagnostic::error(format!("unexpected character {shown}"), span, "not part of any CDSL token")
        }
        LexErrorKind::UnterminatedBlockComment => {
            Diagnostic::error("unterminated block comment", span, "this `{-` is never closed")
                .with_help("close the comment with `-}` (block comments nest)")
        }
        LexErrorKind::UnterminatedString => {
            Diagnostic::error("unterminated string literal", span, "this string is not closed on its line")
                .with_help("close it with `\"`; write a newline inside a string as `\\n`")
        }
        LexErrorKind::UnterminatedChar => {
            Diagnostic::error("unterminated character literal", span, "this character literal is not closed")
                .with_help("close it with `'`")
        }
        LexErrorKind::BadEscape => Diagnostic::error("unknown escape sequence", span, "in this literal")
            .with_help("the escapes are \\n \\t \\r \\0 \\\\ \\' \\\" and \\xHH for an ASCII byte"),
        LexErrorKind::BadCharLiteral => {
            Diagnostic::error("a character literal holds exactly one byte", span, "not a single byte")
                .with_help("write a multi-byte or empty text as a string literal \"...\"")
        }
        LexErrorKind::IntTooLarge => {
            Diagnostic::error("integer literal does not fit in 64 bits", span, "too large for any word type")
                .with_help("the largest literal is 18446744073709551615 (0xFFFFFFFFFFFFFFFF)")
        }
        LexErrorKind::BadIntLiteral => {
            Diagnostic::error(format!("malformed integer literal `{text}`"), span, "not a number in its radix")
                .with_help("write decimal `42`, hex `0x2A`, octal `0o52` or binary `0b101010`; `_` may separate digits")
        }
    }
}

/// Keywords (docs/cdsl.md §1.3) that, met where a name belongs, were most
/// likely meant as one. The structural ones (`in`, `and`, `then`, ...) are
/// left out: met there, a name was more likely forgotten (`e ! in`).
const NAME_LIKE_KEYWORDS: &[&str] = &["all", "take", "put", "type", "include", "not", "complement", "upcast"];

fn with_token_hint(diagnostic: Diagnostic, found: &str, expected: &[String]) -> Diagnostic {
    let accepts = |terminal: &str| expected.iter().any(|e| e == terminal);
    if found == "`=`" && accepts("\"==\"") {
        diagnostic.with_help("to compare two values write `==`; `=` only binds names")
    } else if ["`<`", "`>`", "`<=`", "`>=`", "`==`", "`/=`"].contains(&found) && accepts("\"&&\"") {
        diagnostic.with_help("comparisons do not chain: write `a < b && b < c`")
    } else if found == "`>>`" && accepts("\">\"") {
        diagnostic.with_help("nested variant types closing together need a space, `> >`: `>>` is the shift operator")
    } else if found == "`:`" && expected.is_empty() {
        diagnostic.with_help("an expression annotated with its type is written in parentheses: `(e : t)`")
    } else if found == "`|`" && accepts("\"=\"") {
        diagnostic.with_help("name the argument and match on it: `f x = x | A -> ... | B -> ...`")
    } else if NAME_LIKE_KEYWORDS.iter().any(|k| found == format!("`{k}`")) && accepts("VAR") {
        diagnostic.with_help(format!(
            "{found} is a keyword and cannot be a name: choose another, e.g. `{}_`",
            found.trim_matches('`')
        ))
    } else if (found == "`and`" || found == "`in`") && accepts("\"|\"") && accepts("\"!\"") {
        diagnostic.with_help(
            "an expression followed by `!v` is the scrutinee of a match, so alternatives must follow; to observe `v` \
             while a `let` runs an `if` or a match, put that in parentheses: `let x = (if c then a else b) !v`",
        )
    } else if found == "`->`" && accepts("\"=\"") {
        diagnostic.with_help("a function is defined as `name pattern = body`; its type goes on a separate signature line `name : a -> b`")
    } else {
        diagnostic
    }
}

/// Token classes whose members are summarised by one phrase when the parser
/// would accept all of them. Order matters: after a complete expression the
/// operators are taken out first, so that `<` and `{` cannot then be mistaken
/// for the start of a type.
const SUMMARIES: &[(&str, &[&str])] = &[
    (
        "an operator",
        &[
            "\"+\"", "\"-\"", "\"*\"", "\"/\"", "\"%\"", "\"==\"", "\"/=\"", "\"<\"", "\">\"", "\"<=\"", "\">=\"",
            "\"&&\"", "\"||\"", "\".&.\"", "\".|.\"", "\".^.\"", "\"<<\"", "\">>\"",
        ],
    ),
    (
        "an expression",
        &[
            "VAR",
            "CON",
            "INT",
            "CHAR",
            "STR",
            "\"(\"",
            "\"#\"",
            "\"not\"",
            "\"complement\"",
            "\"upcast\"",
            "\"True\"",
            "\"False\"",
            "\"let\"",
            "\"if\"",
        ],
    ),
    // After an operator or in an application: everything but `let` and `if`,
    // which need parentheses there.
    (
        "an expression",
        &[
            "VAR",
            "CON",
            "INT",
            "CHAR",
            "STR",
            "\"(\"",
            "\"#\"",
            "\"not\"",
            "\"complement\"",
            "\"upcast\"",
            "\"True\"",
            "\"False\"",
        ],
    ),
    ("a pattern", &["\"_\"", "VAR", "CON", "INT", "CHAR", "\"True\"", "\"False\"", "\"(\"", "\"#\""]),
    ("a type", &["VAR", "CON", "\"(\"", "\"{\"", "\"<\"", "\"#\""]),
];

/// Turns the grammar's list of acceptable terminals into English: classes
/// summarised ("an expression"), the rest quoted, at most eight named.
pub fn describe_expected(expected: &[String]) -> String {
    let mut rest: Vec<&str> = expected.iter().map(String::as_str).collect();
    let mut phrases: Vec<String> = Vec::new();
    for (phrase, members) in SUMMARIES {
        if members.iter().all(|m| rest.contains(m)) {
            rest.retain(|t| !members.contains(t));
            phrases.push((*phrase).to_owned());
        }
    }
    phrases.extend(rest.iter().map(|t| terminal_name(t)));
    crate::diagnostics::one_of(phrases)
}

fn terminal_name(terminal: &str) -> String {
    match terminal {
        "VAR" => "a name".to_owned(),
        "CON" => "a type or constructor name".to_owned(),
        "INT" => "an integer".to_owned(),
        "CHAR" => "a character literal".to_owned(),
        "STR" => "a string literal".to_owned(),
        quoted => format!("`{}`", quoted.trim_matches('"')),
    }
}

#[cfg(test)]
mod tests {
    use super::describe_expected;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn single_terminal_is_quoted() {
        assert_eq!(describe_expected(&strings(&["\")\""])), "`)`");
    }

    #[test]
    fn two_terminals_are_joined_with_or() {
        assert_eq!(describe_expected(&strings(&["\")\"", "\",\""])), "one of `)` or `,`");
    }

    #[test]
    fn a_type_class_is_summarised() {
        let expected = strings(&["VAR", "CON", "\"(\"", "\"{\"", "\"<\"", "\"#\""]);
        assert_eq!(describe_expected(&expected), "a type");
    }
}
