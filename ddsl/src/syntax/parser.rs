//! The parser driver: one file's text to a [`Layout`] plus every syntax error.
//!
//! Tokens are split into top-level items before every token in column 1
//! (except `}`), and each item is parsed on its own by the lalrpop grammar,
//! so one bad item never hides errors in the others. A chunk that does not
//! start with an item keyword is reported as not an item.

use crate::syntax::ast::*;
use crate::syntax::errors::{SyntaxError, SyntaxErrorKind};
use crate::syntax::grammar::ItemParser;
use crate::syntax::lexer::{self, LexError, Spanned, Token};
use cdsl::source::{FileId, Span};
use lalrpop_util::ParseError;

/// A clause between a struct's name and its `{`.
pub enum StructClause {
    Size(Expr),
    Mark(Vec<Ident>),
}

/// Parses one file. Every item that parses is returned, whatever else fails.
pub fn parse_layout(file: FileId, source: &str) -> (Layout, Vec<SyntaxError>) {
    let (tokens, lex_errors) = lexer::lex(source);
    let mut errors: Vec<SyntaxError> = lex_errors.iter().map(|e| lex_error(file, source, e)).collect();
    let parser = ItemParser::new();
    let mut items = Vec::new();
    let chunks = split_items(tokens);
    for (index, chunk) in chunks.iter().enumerate() {
        let Some(first) = chunk.first() else { continue };
        let end = chunks.get(index + 1).and_then(|next| next.first()).map_or(source.len(), |next| next.start);
        // A malformed token was already reported; parsing around it would only
        // add a second, confusing error for the same place.
        if lex_errors.iter().any(|e| e.start >= first.start && e.start < end) {
            continue;
        }
        if !first.token.starts_item() {
            let found = first.token.to_string();
            errors
                .push(SyntaxError::new(SyntaxErrorKind::NotAnItem { found }, Span::new(file, first.start..first.end)));
            continue;
        }
        let next_item = chunks.get(index + 1).and_then(|next| next.first()).map(|t| (t.start, t.end));
        let triples = chunk.iter().cloned().map(|t| Ok::<_, SyntaxError>((t.start, t.token, t.end)));
        match parser.parse(file, triples) {
            Ok(item) => items.push(item),
            Err(error) => {
                let error = missing_semicolon(file, source, &error, chunk)
                    .unwrap_or_else(|| parse_error(file, error, next_item));
                errors.push(error)
            }
        }
    }
    (Layout { items }, errors)
}

/// Splits a token stream before every token that starts a line in column 1,
/// except a closing `}`: items start in column 1 and their insides are
/// indented, but a struct's `}` may close it in column 1.
fn split_items(tokens: Vec<Spanned>) -> Vec<Vec<Spanned>> {
    let mut chunks: Vec<Vec<Spanned>> = Vec::new();
    for token in tokens {
        let starts = token.at_line_start && token.token != Token::RBrace;
        match chunks.last_mut() {
            Some(chunk) if !starts => chunk.push(token),
            _ => chunks.push(vec![token]),
        }
    }
    chunks
}

/// A `;` forgotten at the end of a line is reported where it belongs, after
/// the last token of that line, rather than at the next line's first token.
fn missing_semicolon(
    file: FileId,
    source: &str,
    error: &ParseError<usize, Token, SyntaxError>,
    chunk: &[Spanned],
) -> Option<SyntaxError> {
    let ParseError::UnrecognizedToken { token: (start, _, _), expected } = error else { return None };
    if !expected.iter().any(|e| e == "\";\"") {
        return None;
    }
    let index = chunk.iter().position(|t| t.start == *start)?;
    let previous = chunk.get(index.checked_sub(1)?)?;
    let between = source.get(previous.end..*start)?;
    // Only when the unexpected token is on a later line (comments between
    // are fine: they cannot contain a newline-free `;`).
    if !between.contains('\n') {
        return None;
    }
    Some(SyntaxError::new(SyntaxErrorKind::MissingSemicolon, Span::new(file, previous.end..previous.end)))
}

fn lex_error(file: FileId, source: &str, error: &LexError) -> SyntaxError {
    let text = source.get(error.start..error.end).unwrap_or("").to_owned();
    SyntaxError::new(SyntaxErrorKind::Lex { kind: error.kind.clone(), text }, Span::new(file, error.start..error.end))
}

fn parse_error(
    file: FileId,
    error: ParseError<usize, Token, SyntaxError>,
    next_item: Option<(usize, usize)>,
) -> SyntaxError {
    match error {
        ParseError::User { error } => error,
        ParseError::UnrecognizedToken { token: (start, token, end), expected } => SyntaxError::new(
            SyntaxErrorKind::UnexpectedToken { found: token.to_string(), expected },
            Span::new(file, start..end),
        ),
        ParseError::UnrecognizedEof { location, expected } => match next_item {
            Some((start, end)) => SyntaxError::new(
                SyntaxErrorKind::ItemCutShort { expected, item_end: Span::new(file, location..location) },
                Span::new(file, start..end),
            ),
            None => {
                SyntaxError::new(SyntaxErrorKind::UnexpectedEndOfFile { expected }, Span::new(file, location..location))
            }
        },
        ParseError::ExtraToken { token: (start, token, end) } => SyntaxError::new(
            SyntaxErrorKind::UnexpectedToken { found: token.to_string(), expected: Vec::new() },
            Span::new(file, start..end),
        ),
        // The token stream carries no error values: lexing problems were
        // reported, and their items skipped, before parsing.
        ParseError::InvalidToken { location } => {
            unreachable!("bug: the grammar saw an invalid token at byte {location}")
        }
    }
}
