//! Syntax errors as data, and their wording as diagnostics.

use crate::syntax::lexer::LexErrorKind;
use cdsl::diagnostics::Diagnostic;
use cdsl::source::Span;

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
    /// The item ended early because the next item keyword starts in column 1.
    ItemCutShort { expected: Vec<String>, item_end: Span },
    /// The file ended in the middle of an item.
    UnexpectedEndOfFile { expected: Vec<String> },
    /// A line that should end with `;` does not.
    MissingSemicolon,
    /// Something other than an item keyword in column 1.
    NotAnItem { found: String },
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
                let title = format!("expected {}, found {found}", describe_expected(expected));
                with_token_hint(Diagnostic::error(title, span, format!("unexpected {found}")), found, expected)
            }
            ItemCutShort { expected, item_end } => Diagnostic::error(
                format!("expected {}, found the start of a new item", describe_expected(expected)),
                span,
                "a line starting in column 1 begins a new top-level item",
            )
            .with_secondary(*item_end, "so the item above ends here, unfinished")
            .with_help("finish the item above (with `;` or `}`), or indent this line to continue it"),
            UnexpectedEndOfFile { expected } => Diagnostic::error(
                format!("expected {}, found end of file", describe_expected(expected)),
                span,
                "the file ends here",
            ),
            MissingSemicolon => Diagnostic::error("expected `;` at the end of this line", span, "`;` missing here")
                .with_help("every field, `pad`, `assert` and non-struct item ends with `;`"),
            NotAnItem { found } => {
                Diagnostic::error(format!("expected a top-level item, found {found}"), span, "not an item")
                    .with_help("a layout is made of `endian`, `const`, `addr`, `root` and `struct` items; indent lines that continue an item")
            }
        }
    }
}

fn lex_diagnostic(kind: &LexErrorKind, text: &str, span: Span) -> Diagnostic {
    match kind {
        LexErrorKind::UnexpectedChar => {
            Diagnostic::error(format!("unexpected character `{text}`"), span, "not part of any DDSL token")
        }
        LexErrorKind::UnterminatedString => {
            Diagnostic::error("unterminated string literal", span, "this string is not closed on its line")
                .with_help("close it with `\"`")
        }
        LexErrorKind::IntTooLarge => {
            Diagnostic::error("integer literal does not fit in 64 bits", span, "too large for any field")
                .with_help("the largest literal is 18446744073709551615 (0xFFFFFFFFFFFFFFFF)")
        }
        LexErrorKind::BadIntLiteral => {
            Diagnostic::error("integer literal has no digits", span, "digits expected after the radix prefix")
        }
    }
}

fn with_token_hint(diagnostic: Diagnostic, found: &str, expected: &[String]) -> Diagnostic {
    let accepts = |terminal: &str| expected.iter().any(|e| e == terminal);
    if accepts("\";\"") && !accepts("\"}\"") {
        diagnostic.with_help("every field, `pad`, `assert` and non-struct item ends with `;`")
    } else if found == "`=`" && accepts("\"==\"") {
        diagnostic.with_help("to compare two values write `==`")
    } else {
        diagnostic
    }
}

/// Token classes summarised by one phrase when the parser accepts all of them.
const SUMMARIES: &[(&str, &[&str])] = &[
    ("an expression", &["INT", "NAME", "\"it\"", "\"(\"", "\"!\"", "\"~\"", "\"-\""]),
    ("an operator", &["\"+\"", "\"*\"", "\"/\"", "\"%\"", "\"<<\"", "\">>\"", "\"&\"", "\"|\"", "\"^\""]),
    ("a type", &["\"u8\"", "\"u16\"", "\"u32\"", "\"u64\"", "\"[\"", "\"select\""]),
];

/// Turns the grammar's list of acceptable terminals into English.
pub fn describe_expected(expected: &[String]) -> String {
    let mut rest: Vec<&str> = expected.iter().map(String::as_str).collect();
    let mut phrases: Vec<String> = Vec::new();
    for (phrase, members) in SUMMARIES {
        if members.iter().all(|m| rest.contains(m)) {
            rest.retain(|t| !members.contains(t));
            if *phrase == "an operator" {
                // Comparison and logical operators come with the arithmetic ones.
                rest.retain(|t| {
                    !["\"-\"", "\"==\"", "\"!=\"", "\"<\"", "\"<=\"", "\">\"", "\">=\"", "\"&&\"", "\"||\""].contains(t)
                });
            }
            if *phrase == "a type" {
                rest.retain(|t| *t != "NAME");
            }
            phrases.push((*phrase).to_owned());
        }
    }
    phrases.extend(rest.iter().map(|t| terminal_name(t)));
    cdsl::diagnostics::one_of(phrases)
}

fn terminal_name(terminal: &str) -> String {
    match terminal {
        "NAME" => "a name".to_owned(),
        "INT" => "an integer".to_owned(),
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
        assert_eq!(describe_expected(&strings(&["\";\""])), "`;`");
    }

    #[test]
    fn expression_class_is_summarised() {
        let expected = strings(&["INT", "NAME", "\"it\"", "\"(\"", "\"!\"", "\"~\"", "\"-\""]);
        assert_eq!(describe_expected(&expected), "an expression");
    }
}
