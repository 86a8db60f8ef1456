//! The parser driver: one file's text to a [`Module`] plus every syntax error.
//!
//! Tokens are split into top-level items at each token in column 1, and each
//! item is parsed on its own by the lalrpop grammar, so one bad item never
//! hides errors in the others. Helpers the grammar's actions call live here too.

use crate::source::{FileId, Span};
use crate::syntax::ast::*;
use crate::syntax::errors::{SyntaxError, SyntaxErrorKind};
use crate::syntax::grammar::{ItemParser, ItemsParser};
use crate::syntax::lexer::{self, LexError, Spanned, Token};
use lalrpop_util::ParseError;

/// Parses one file. Every item that parses is returned, whatever else fails.
///
/// Lexing and parsing go item by item, so only a bounded batch of items'
/// tokens is held at a time, however large the file. Well-formed items are
/// parsed in batches (sparing the parser's per-call set-up); a batch with an
/// error is parsed again item by item, for precise, independent errors.
pub fn parse_module(file: FileId, source: &str) -> (Module, Vec<SyntaxError>) {
    let mut driver = Driver {
        file,
        source,
        item_parser: ItemParser::new(),
        items_parser: ItemsParser::new(),
        items: Vec::new(),
        errors: Vec::new(),
        batch: Vec::new(),
        batch_chunks: Vec::new(),
        previous_cut_short: false,
    };
    let mut stream = lexer::stream(source).peekable();
    // A malformed token belongs to the items on both sides of it: the text
    // between two items is owned by both.
    let mut lex_error_in_chunk = false;
    let mut lex_error_since_last_token = false;
    loop {
        // Gather one item, straight into the batch: tokens up to the next one
        // in column 1.
        let first = driver.batch.len();
        while let Some(next) = stream.peek() {
            match next {
                Ok(token) if token.at_line_start && driver.batch.len() > first => break,
                Ok(_) => {
                    if let Some(Ok(token)) = stream.next() {
                        driver.batch.push(token);
                    }
                    lex_error_since_last_token = false;
                }
                Err(_) => {
                    if let Some(Err(error)) = stream.next() {
                        driver.errors.push(lex_error(file, source, &error));
                    }
                    lex_error_in_chunk = true;
                    lex_error_since_last_token = true;
                }
            }
        }
        if driver.batch.len() == first {
            break;
        }
        let next_item = match stream.peek() {
            Some(Ok(token)) => Some((token.start, token.end)),
            _ => None,
        };
        // A malformed token was already reported; parsing around it would
        // only add a second, confusing error for the same place.
        let has_lex_error = std::mem::replace(&mut lex_error_in_chunk, lex_error_since_last_token);
        driver.chunk(first, next_item, has_lex_error);
    }
    driver.flush();
    driver.errors.sort_by_key(|e| e.span.start);
    (Module { items: driver.items }, driver.errors)
}

/// An item waiting in the batch: its byte range, and the head of the item
/// after it (for an error that the next item cuts this one short).
struct Waiting {
    start: usize,
    end: usize,
    next_item: Option<(usize, usize)>,
}

/// Items parsed at once, at most.
pub const BATCH: usize = 256;

struct Driver<'s> {
    file: FileId,
    source: &'s str,
    item_parser: ItemParser,
    items_parser: ItemsParser,
    items: Vec<Item>,
    errors: Vec<SyntaxError>,
    /// Tokens of well-formed-looking items waiting to be parsed, each item
    /// ended by `Token::ItemEnd`; then the item being gathered.
    batch: Vec<Spanned>,
    /// The waiting items.
    batch_chunks: Vec<Waiting>,
    previous_cut_short: bool,
}

impl Driver<'_> {
    /// Deals with the item whose tokens are `batch[first..]`.
    fn chunk(&mut self, first: usize, next_item: Option<(usize, usize)>, has_lex_error: bool) {
        let item = &self.batch[first..];
        let looks_like_item = can_start_item(&item[0].token) && keyword_as_name(item).is_none();
        if has_lex_error || !looks_like_item {
            // Handled alone, after everything before it.
            let mut chunk = self.batch.split_off(first);
            self.flush();
            let cut_short = std::mem::take(&mut self.previous_cut_short);
            if !has_lex_error {
                self.outcome(parse_item(&self.item_parser, self.file, &mut chunk, next_item, cut_short));
            }
            return;
        }
        self.previous_cut_short = false;
        let (start, end) = (item[0].start, item[item.len() - 1].end);
        self.batch.push(Spanned { token: Token::ItemEnd, start: end, end, at_line_start: false });
        self.batch_chunks.push(Waiting { start, end, next_item });
        if self.batch_chunks.len() >= BATCH {
            self.flush();
        }
    }

    fn outcome(&mut self, outcome: ItemOutcome) {
        match outcome {
            ItemOutcome::Parsed(item) => self.items.push(item),
            ItemOutcome::Failed(error) => {
                self.previous_cut_short = matches!(error.kind, SyntaxErrorKind::ItemCutShort { .. });
                self.errors.push(error);
            }
            ItemOutcome::Skipped => {}
        }
    }

    /// Parses the waiting items: all at once, or, if that fails, one by one.
    fn flush(&mut self) {
        if self.batch_chunks.is_empty() {
            return;
        }
        let chunks = std::mem::take(&mut self.batch_chunks);
        // Drained, not taken: the buffer keeps its capacity for the next batch.
        let triples = self.batch.drain(..).map(|t| Ok::<_, SyntaxError>((t.start, t.token, t.end)));
        if let Ok(items) = self.items_parser.parse(self.file, triples) {
            self.items.extend(items);
            return;
        }
        // Rare: lex the failed batch's items again and parse each alone.
        for Waiting { start, end, next_item } in chunks {
            let mut chunk: Vec<Spanned> =
                lexer::stream_from(self.source, start).map_while(Result::ok).take_while(|t| t.start < end).collect();
            let cut_short = std::mem::take(&mut self.previous_cut_short);
            self.outcome(parse_item(&self.item_parser, self.file, &mut chunk, next_item, cut_short));
        }
    }
}

enum ItemOutcome {
    Parsed(Item),
    Failed(SyntaxError),
    /// Reported already, or not an item at all.
    Skipped,
}

/// Parses one item's tokens (leaving `chunk` empty).
fn parse_item(
    parser: &ItemParser,
    file: FileId,
    chunk: &mut Vec<Spanned>,
    next_item: Option<(usize, usize)>,
    cut_short: bool,
) -> ItemOutcome {
    let head = Span::new(file, chunk[0].start..chunk[0].end);
    if let Some(keyword) = keyword_as_name(chunk) {
        return ItemOutcome::Failed(SyntaxError::new(SyntaxErrorKind::KeywordAsName { keyword }, head));
    }
    if !can_start_item(&chunk[0].token) {
        // A continuation line in column 1. When the item above was cut short
        // here, that error already says so.
        return if cut_short {
            ItemOutcome::Skipped
        } else {
            ItemOutcome::Failed(SyntaxError::new(SyntaxErrorKind::ContinuationInColumnOne, head))
        };
    }
    let triples = chunk.drain(..).map(|t| Ok::<_, SyntaxError>((t.start, t.token, t.end)));
    match parser.parse(file, triples) {
        Ok(item) => ItemOutcome::Parsed(*item),
        Err(error) => ItemOutcome::Failed(parse_error(file, error, next_item)),
    }
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

/// `(e)`: parentheses leave no node, but a nullary constructor written in
/// them keeps them in its span, which is how `spine` tells `(A) x` (apply
/// `A`) from `A x` (construct with `x`).
pub fn parenthesised(e: Expr, span: Span) -> Expr {
    match &e.kind {
        ExprKind::Con { args, .. } if args.is_empty() => Expr { span, ..e },
        _ => e,
    }
}

/// A constructor written bare (not parenthesised): it takes the rest of the
/// spine as its arguments.
fn is_bare_con(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Con { tag, args } if args.is_empty() && tag.span == e.span)
}

/// Builds `f a b` as `App(App(f, a), b)`, except that the first bare
/// constructor takes everything after it as arguments: `f Some x` is
/// `f (Some x)` and `Pair a b` is a constructor with two arguments.
pub fn spine(first: Expr, rest: Vec<Expr>) -> Expr {
    let mut pieces = rest.into_iter();
    let mut head = if is_bare_con(&first) { absorb(first, pieces.by_ref()) } else { first };
    while let Some(piece) = pieces.next() {
        let arg = if is_bare_con(&piece) { absorb(piece, pieces.by_ref()) } else { piece };
        let span = head.span.to(arg.span);
        head = Expr::new(ExprKind::App(Box::new(head), Box::new(arg)), span);
    }
    head
}

fn absorb(con: Expr, rest: &mut impl Iterator<Item = Expr>) -> Expr {
    let ExprKind::Con { tag, mut args } = con.kind else { unreachable!("bug: only constructors are bare") };
    args.extend(rest);
    let span = args.last().map_or(con.span, |last| con.span.to(last.span));
    Expr::new(ExprKind::Con { tag, args }, span)
}

/// Unboxes the items of a list whose grammar rule boxes them (to keep the
/// parser's stack entries small).
pub fn unbox<T>(items: Vec<Box<T>>) -> Vec<T> {
    items.into_iter().map(|b| *b).collect()
}

/// Arranges `a op b op c ...` by precedence and associativity (shunting
/// yard). Comparisons do not associate: `a < b < c` is an error.
pub fn operators(first: Expr, rest: Vec<((BinOp, Span), Expr)>) -> Result<Expr, SyntaxError> {
    let mut operands = vec![first];
    let mut pending: Vec<(BinOp, Span)> = Vec::new();
    for ((op, span), operand) in rest {
        while let Some(&(top, top_span)) = pending.last() {
            let binds_first = top.prec() > op.prec() || (top.prec() == op.prec() && op.assoc() == Assoc::Left);
            if top.prec() == op.prec() && op.assoc() == Assoc::None {
                return Err(SyntaxError::new(SyntaxErrorKind::ChainedComparison { first: top_span }, span));
            }
            if !binds_first {
                break;
            }
            pending.pop();
            apply(&mut operands, top);
        }
        pending.push((op, span));
        operands.push(operand);
    }
    while let Some((op, _)) = pending.pop() {
        apply(&mut operands, op);
    }
    Ok(operands.pop().unwrap_or_else(|| unreachable!("bug: an operator run always leaves one operand")))
}

fn apply(operands: &mut Vec<Expr>, op: BinOp) {
    let (Some(b), Some(a)) = (operands.pop(), operands.pop()) else {
        unreachable!("bug: each pending operator has two operands")
    };
    let span = a.span.to(b.span);
    operands.push(Expr::new(ExprKind::Binary(op, Box::new(a), Box::new(b)), span));
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
