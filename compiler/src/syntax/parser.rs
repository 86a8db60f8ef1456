//! The parser driver: one file's text to a [`Module`] plus every syntax error.
//!
//! Tokens are split into top-level items at each token in column 1, and each
//! item is parsed on its own by the lalrpop grammar, so one bad item never
//! hides errors in the others. Helpers the grammar's actions call live here too.

use crate::source::{FileId, Span};
use crate::syntax::ast::*;
use crate::syntax::errors::{SyntaxError, SyntaxErrorKind};
use crate::syntax::grammar::ItemParser;
use crate::syntax::lexer::{self, LexError, Spanned, Token};
use lalrpop_util::ParseError;

/// Parses one file. Every item that parses is returned, whatever else fails.
pub fn parse_module(file: FileId, source: &str) -> (Module, Vec<SyntaxError>) {
    let (tokens, lex_errors) = lexer::lex(source);
    let mut errors: Vec<SyntaxError> = lex_errors.iter().map(|e| lex_error(file, source, e)).collect();
    let parser = ItemParser::new();
    let mut items = Vec::new();
    let chunks = split_items(tokens);
    let heads: Vec<(usize, usize, bool)> =
        chunks.iter().map(|c| (c[0].start, c[0].end, can_start_item(&c[0].token))).collect();
    let mut previous_end = 0;
    let mut previous_cut_short = false;
    for (index, chunk) in chunks.into_iter().enumerate() {
        // The item owns the text from the end of the previous item up to the
        // start of the next one.
        let (start, end) = (previous_end, heads.get(index + 1).map_or(source.len(), |next| next.0));
        previous_end = chunk.last().map_or(start, |t| t.end);
        let next_item = heads.get(index + 1).map(|next| (next.0, next.1));
        let cut_short = std::mem::take(&mut previous_cut_short);
        // A malformed token was already reported; parsing around it would only
        // add a second, confusing error for the same place.
        if lex_errors.iter().any(|e| e.start >= start && e.start < end) {
            continue;
        }
        let (head_start, head_end, starts_item) = heads[index];
        if let Some(keyword) = keyword_as_name(&chunk) {
            errors.push(SyntaxError::new(
                SyntaxErrorKind::KeywordAsName { keyword },
                Span::new(file, head_start..head_end),
            ));
            continue;
        }
        if !starts_item {
            // A continuation line in column 1. When the item above was cut
            // short here, that error already says so.
            if !cut_short {
                let span = Span::new(file, head_start..head_end);
                errors.push(SyntaxError::new(SyntaxErrorKind::ContinuationInColumnOne, span));
            }
            continue;
        }
        let triples = chunk.into_iter().map(|t| Ok::<_, SyntaxError>((t.start, t.token, t.end)));
        match parser.parse(file, triples) {
            Ok(item) => items.push(item),
            Err(error) => {
                let error = parse_error(file, error, next_item);
                previous_cut_short = matches!(error.kind, SyntaxErrorKind::ItemCutShort { .. });
                errors.push(error);
            }
        }
    }
    (Module { items }, errors)
}

/// `let : U32` or `in = 3`: a keyword where an item's name belongs.
fn keyword_as_name(chunk: &[Spanned]) -> Option<String> {
    let keyword = chunk.first()?.token.fixed_text().filter(|t| t.chars().all(|c| c.is_ascii_alphabetic()))?;
    let names_something = matches!(chunk.get(1).map(|t| &t.token), Some(Token::Colon | Token::Equals));
    (names_something && !matches!(chunk[0].token, Token::Type)).then(|| keyword.to_owned())
}

/// Whether a top-level item can begin with this token.
fn can_start_item(token: &Token) -> bool {
    matches!(token, Token::Type | Token::Include | Token::VarName(_) | Token::ConName(_))
}

/// Splits a token stream before every token that starts a line in column 1.
fn split_items(tokens: Vec<Spanned>) -> Vec<Vec<Spanned>> {
    let mut chunks: Vec<Vec<Spanned>> = Vec::new();
    for token in tokens {
        match chunks.last_mut() {
            Some(chunk) if !token.at_line_start => chunk.push(token),
            _ => chunks.push(vec![token]),
        }
    }
    chunks
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
            // Point just after the item's last token, not at trailing blank
            // lines or comments.
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

/// One element of an application spine, remembering whether it was a
/// constructor written bare (not parenthesised), which takes the rest of the
/// spine as its arguments.
pub struct Piece {
    pub expr: Expr,
    pub bare_con: bool,
}

impl Piece {
    pub fn wrap(kind: ExprKind, span: Span) -> Piece {
        Piece { expr: Expr::new(kind, span), bare_con: false }
    }
}

/// Builds `f a b` as `App(App(f, a), b)`, except that the first bare
/// constructor takes everything after it as arguments: `f Some x` is
/// `f (Some x)` and `Pair a b` is a constructor with two arguments.
pub fn spine(pieces: Vec<Piece>) -> Expr {
    let mut pieces = pieces.into_iter();
    let first = pieces.next().unwrap_or_else(|| unreachable!("bug: the grammar gives at least one piece"));
    let mut head = if first.bare_con { absorb(first.expr, pieces.by_ref()) } else { first.expr };
    while let Some(piece) = pieces.next() {
        let arg = if piece.bare_con { absorb(piece.expr, pieces.by_ref()) } else { piece.expr };
        let span = head.span.to(arg.span);
        head = Expr::new(ExprKind::App(Box::new(head), Box::new(arg)), span);
    }
    head
}

fn absorb(con: Expr, rest: &mut impl Iterator<Item = Piece>) -> Expr {
    let ExprKind::Con { tag, mut args } = con.kind else { unreachable!("bug: only constructors are bare") };
    args.extend(rest.map(|p| p.expr));
    let span = args.last().map_or(con.span, |last| con.span.to(last.span));
    Expr::new(ExprKind::Con { tag, args }, span)
}

pub fn binary(file: FileId, l: usize, r: usize, op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::new(ExprKind::Binary(op, Box::new(a), Box::new(b)), Span::new(file, l..r))
}

/// Reads a kind bound such as `DS` or `E`.
pub fn parse_kind(letters: &str, span: Span) -> Result<KindBound, SyntaxError> {
    let mut kind = KindBound { span, ..KindBound::default() };
    for letter in letters.chars() {
        let flag = match letter {
            'D' => &mut kind.discard,
            'S' => &mut kind.share,
            'E' => &mut kind.escape,
            _ => return Err(SyntaxError::new(SyntaxErrorKind::BadKind { letters: letters.to_owned() }, span)),
        };
        if *flag {
            return Err(SyntaxError::new(SyntaxErrorKind::BadKind { letters: letters.to_owned() }, span));
        }
        *flag = true;
    }
    Ok(kind)
}

/// `#t`: the unboxed form of a record or a named type.
pub fn unboxed(ty: Type, span: Span) -> Result<Type, SyntaxError> {
    let kind = match ty.kind {
        TypeKind::Record { fields, boxed: true } => TypeKind::Record { fields, boxed: false },
        TypeKind::Con { name, args, unboxed: false } => TypeKind::Con { name, args, unboxed: true },
        _ => return Err(SyntaxError::new(SyntaxErrorKind::CannotUnbox, span)),
    };
    Ok(Type::new(kind, span))
}
