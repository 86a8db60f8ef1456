//! The lexer: source text to `(start, Token, end)` triples for the grammar.
//!
//! The token enum is the lexer (`logos`). Comments are `--` to end of line and
//! nested `{- ... -}` blocks. A malformed token does not stop lexing: it comes
//! out as a [`LexError`] with its span and lexing carries on after it.

use logos::{FilterResult, Logos};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum LexErrorKind {
    #[default]
    UnexpectedChar,
    UnterminatedBlockComment,
    UnterminatedString,
    UnterminatedChar,
    BadEscape,
    BadCharLiteral,
    IntTooLarge,
    BadIntLiteral,
}

#[derive(Logos, Clone, Debug, PartialEq, Eq)]
#[logos(error = LexErrorKind)]
#[logos(skip r"[ \t\r\n\f]+")]
#[logos(skip r"--[^\n]*")]
pub enum Token {
    #[token("{-", block_comment)]
    BlockComment,
    /// Ends an item in a batch of items handed to the parser at once. Only
    /// the parser driver makes it: in source text its character (the ASCII
    /// unit separator) is an error.
    #[token("\u{1f}", not_in_source)]
    ItemEnd,

    // Keywords.
    #[token("let")]
    Let,
    #[token("in")]
    In,
    #[token("and")]
    And,
    #[token("if")]
    If,
    #[token("then")]
    Then,
    #[token("else")]
    Else,
    #[token("type")]
    Type,
    #[token("include")]
    Include,
    #[token("all")]
    All,
    #[token("take")]
    Take,
    #[token("put")]
    Put,
    #[token("not")]
    Not,
    #[token("complement")]
    Complement,
    #[token("upcast")]
    Upcast,
    #[token("True")]
    True,
    #[token("False")]
    False,

    // Names: variables and fields start lower case, types and tags upper case.
    #[regex(r"[a-z][A-Za-z0-9_']*|_[A-Za-z0-9_'][A-Za-z0-9_']*", |lex| lex.slice().to_owned())]
    VarName(String),
    #[regex(r"[A-Z][A-Za-z0-9_']*", |lex| lex.slice().to_owned())]
    ConName(String),

    // Literals.
    // A number runs on through any letters and digits, so that `0x` or
    // `0b102` is one malformed literal rather than two silent tokens.
    #[regex(r"[0-9][0-9A-Za-z_]*", |lex| parse_number(lex.slice()))]
    Int(u64),
    #[regex(r"'([^'\\\n]|\\[^\n])*'?", char_literal)]
    Char(u8),
    #[regex(r#""([^"\\\n]|\\[^\n])*"?"#, string_literal)]
    Str(String),

    // Punctuation.
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(":<")]
    KindBound,
    #[token("=")]
    Equals,
    #[token("->")]
    Arrow,
    #[token("=>")]
    LikelyArrow,
    #[token("~>")]
    UnlikelyArrow,
    #[token("|")]
    Bar,
    #[token("!")]
    Bang,
    #[token(".")]
    Dot,
    #[token("..")]
    DotDot,
    #[token("#")]
    Hash,
    #[token("_")]
    Underscore,

    // Operators.
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("%")]
    Percent,
    #[token("==")]
    EqEq,
    #[token("/=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token(">")]
    Gt,
    #[token("<=")]
    Le,
    #[token(">=")]
    Ge,
    #[token("&&")]
    AndAnd,
    #[token("||")]
    OrOr,
    #[token(".&.")]
    BitAnd,
    #[token(".|.")]
    BitOr,
    #[token(".^.")]
    BitXor,
    #[token("<<")]
    Shl,
    #[token(">>")]
    Shr,
}

/// The item separator the parser driver inserts is an error in source text.
fn not_in_source(_: &mut logos::Lexer<Token>) -> FilterResult<(), LexErrorKind> {
    FilterResult::Error(LexErrorKind::UnexpectedChar)
}

/// Skips a `{- ... -}` comment, which may nest, or reports it unterminated.
fn block_comment(lex: &mut logos::Lexer<Token>) -> FilterResult<(), LexErrorKind> {
    let rest = lex.remainder().as_bytes();
    let mut depth = 1usize;
    let mut i = 0;
    while i < rest.len() {
        match (rest[i], rest.get(i + 1)) {
            (b'{', Some(b'-')) => {
                depth += 1;
                i += 2;
            }
            (b'-', Some(b'}')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    lex.bump(i);
                    return FilterResult::Skip;
                }
            }
            _ => i += 1,
        }
    }
    // Point at the opening `{-` only: the rest of the file is not the problem.
    FilterResult::Error(LexErrorKind::UnterminatedBlockComment)
}

fn parse_number(text: &str) -> Result<u64, LexErrorKind> {
    let (radix, digits) = match text.get(..2) {
        Some("0x" | "0X") => (16, &text[2..]),
        Some("0o" | "0O") => (8, &text[2..]),
        Some("0b" | "0B") => (2, &text[2..]),
        _ => (10, text),
    };
    let mut value: u64 = 0;
    let mut any_digit = false;
    let mut too_large = false;
    for c in digits.chars().filter(|&c| c != '_') {
        let digit = c.to_digit(radix).ok_or(LexErrorKind::BadIntLiteral)?;
        any_digit = true;
        match value.checked_mul(u64::from(radix)).and_then(|v| v.checked_add(u64::from(digit))) {
            Some(v) => value = v,
            None => too_large = true,
        }
    }
    match (any_digit, too_large) {
        (false, _) => Err(LexErrorKind::BadIntLiteral),
        (true, true) => Err(LexErrorKind::IntTooLarge),
        (true, false) => Ok(value),
    }
}

fn char_literal(lex: &mut logos::Lexer<Token>) -> Result<u8, LexErrorKind> {
    let slice = lex.slice();
    if slice.len() < 2 || !slice.ends_with('\'') {
        return Err(LexErrorKind::UnterminatedChar);
    }
    match unescape(&slice[1..slice.len() - 1])?.as_slice() {
        [byte] => Ok(*byte),
        _ => Err(LexErrorKind::BadCharLiteral),
    }
}

fn string_literal(lex: &mut logos::Lexer<Token>) -> Result<String, LexErrorKind> {
    let slice = lex.slice();
    if slice.len() < 2 || !slice.ends_with('"') {
        return Err(LexErrorKind::UnterminatedString);
    }
    String::from_utf8(unescape(&slice[1..slice.len() - 1])?).map_err(|_| LexErrorKind::BadEscape)
}

/// Resolves `\n \t \r \0 \\ \' \"` and `\xHH` into bytes.
fn unescape(body: &str) -> Result<Vec<u8>, LexErrorKind> {
    let mut out = Vec::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buffer = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
            continue;
        }
        let byte = match chars.next() {
            Some('n') => b'\n',
            Some('t') => b'\t',
            Some('r') => b'\r',
            Some('0') => 0,
            Some('\\') => b'\\',
            Some('\'') => b'\'',
            Some('"') => b'"',
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                if hex.len() != 2 {
                    return Err(LexErrorKind::BadEscape);
                }
                u8::from_str_radix(&hex, 16).map_err(|_| LexErrorKind::BadEscape)?
            }
            _ => return Err(LexErrorKind::BadEscape),
        };
        out.push(byte);
    }
    Ok(out)
}

/// A lexing problem at a byte range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub kind: LexErrorKind,
    pub start: usize,
    pub end: usize,
}

/// One token with its byte range and whether it opens a line at column 1,
/// which is how a top-level item starts (Cogent's layout rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned {
    pub token: Token,
    pub start: usize,
    pub end: usize,
    pub at_line_start: bool,
}

/// Lexes a whole file, collecting every error instead of stopping at the first.
pub fn lex(source: &str) -> (Vec<Spanned>, Vec<LexError>) {
    let mut tokens = Vec::new();
    let mut errors = Vec::new();
    for result in stream(source) {
        match result {
            Ok(token) => tokens.push(token),
            Err(error) => errors.push(error),
        }
    }
    (tokens, errors)
}

/// The tokens and errors of a file in source order, lexed as they are asked for.
pub fn stream(source: &str) -> impl Iterator<Item = Result<Spanned, LexError>> + '_ {
    stream_from(source, 0)
}

/// The tokens and errors of `source` from byte `start` on (a token boundary).
pub fn stream_from(source: &str, start: usize) -> impl Iterator<Item = Result<Spanned, LexError>> + '_ {
    let mut lexer = Token::lexer(source);
    lexer.bump(start);
    let mut stopped = false;
    std::iter::from_fn(move || {
        if stopped {
            return None;
        }
        let result = lexer.next()?;
        let range = lexer.span();
        Some(match result {
            Ok(token) => {
                let at_line_start = range.start == 0 || source.as_bytes()[range.start - 1] == b'\n';
                Ok(Spanned { token, start: range.start, end: range.end, at_line_start })
            }
            Err(kind) => {
                // An unclosed comment runs to the end of the file: what follows
                // is commentary, not tokens to complain about.
                stopped = kind == LexErrorKind::UnterminatedBlockComment;
                Err(LexError { kind, start: range.start, end: range.end })
            }
        })
    })
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::VarName(name) | Token::ConName(name) => write!(f, "`{name}`"),
            Token::Int(n) => write!(f, "`{n}`"),
            Token::Char(_) => f.write_str("a character literal"),
            Token::Str(_) => f.write_str("a string literal"),
            Token::BlockComment => f.write_str("a comment"),
            Token::ItemEnd => f.write_str("the end of the item"),
            other => write!(f, "`{}`", other.fixed_text().unwrap_or("?")),
        }
    }
}

impl Token {
    /// The text of a token that is always spelled the same way.
    pub fn fixed_text(&self) -> Option<&'static str> {
        Some(match self {
            Token::Let => "let",
            Token::In => "in",
            Token::And => "and",
            Token::If => "if",
            Token::Then => "then",
            Token::Else => "else",
            Token::Type => "type",
            Token::Include => "include",
            Token::All => "all",
            Token::Take => "take",
            Token::Put => "put",
            Token::Not => "not",
            Token::Complement => "complement",
            Token::Upcast => "upcast",
            Token::True => "True",
            Token::False => "False",
            Token::LParen => "(",
            Token::RParen => ")",
            Token::LBrace => "{",
            Token::RBrace => "}",
            Token::LBracket => "[",
            Token::RBracket => "]",
            Token::Comma => ",",
            Token::Colon => ":",
            Token::KindBound => ":<",
            Token::Equals => "=",
            Token::Arrow => "->",
            Token::LikelyArrow => "=>",
            Token::UnlikelyArrow => "~>",
            Token::Bar => "|",
            Token::Bang => "!",
            Token::Dot => ".",
            Token::DotDot => "..",
            Token::Hash => "#",
            Token::Underscore => "_",
            Token::Plus => "+",
            Token::Minus => "-",
            Token::Star => "*",
            Token::Slash => "/",
            Token::Percent => "%",
            Token::EqEq => "==",
            Token::NotEq => "/=",
            Token::Lt => "<",
            Token::Gt => ">",
            Token::Le => "<=",
            Token::Ge => ">=",
            Token::AndAnd => "&&",
            Token::OrOr => "||",
            Token::BitAnd => ".&.",
            Token::BitOr => ".|.",
            Token::BitXor => ".^.",
            Token::Shl => "<<",
            Token::Shr => ">>",
            Token::VarName(_)
            | Token::ConName(_)
            | Token::Int(_)
            | Token::Char(_)
            | Token::Str(_)
            | Token::BlockComment
            | Token::ItemEnd => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<Token> {
        let (tokens, errors) = lex(source);
        assert!(errors.is_empty(), "{errors:?}");
        tokens.into_iter().map(|t| t.token).collect()
    }

    #[test]
    fn nested_block_comments_are_skipped() {
        assert_eq!(kinds("a {- x {- y -} z -} b"), vec![Token::VarName("a".into()), Token::VarName("b".into())]);
    }

    #[test]
    fn unterminated_block_comment_is_an_error_at_its_opening() {
        let (_, errors) = lex("a {- never closed");
        assert_eq!(errors, vec![LexError { kind: LexErrorKind::UnterminatedBlockComment, start: 2, end: 4 }]);
    }

    #[test]
    fn operators_lex_longest_first() {
        assert_eq!(
            kinds(".&. .. . :< /= >>"),
            vec![Token::BitAnd, Token::DotDot, Token::Dot, Token::KindBound, Token::NotEq, Token::Shr]
        );
    }

    #[test]
    fn literals_in_every_radix() {
        assert_eq!(
            kinds("0x1F 0o17 0b101 1_000"),
            vec![Token::Int(31), Token::Int(15), Token::Int(5), Token::Int(1000)]
        );
        assert_eq!(kinds(r"'\n' 'a'"), vec![Token::Char(b'\n'), Token::Char(b'a')]);
    }

    #[test]
    fn a_number_running_into_letters_is_one_malformed_literal() {
        for text in ["0x", "0b102", "0o8", "0xFFg", "12ab"] {
            let (tokens, errors) = lex(text);
            assert!(tokens.is_empty(), "{text}: {tokens:?}");
            assert_eq!(
                errors,
                vec![LexError { kind: LexErrorKind::BadIntLiteral, start: 0, end: text.len() }],
                "{text}"
            );
        }
    }

    #[test]
    fn the_item_separator_is_an_error_in_source() {
        let (tokens, errors) = lex("a \u{1f} b");
        assert_eq!(tokens.len(), 2);
        assert_eq!(errors, vec![LexError { kind: LexErrorKind::UnexpectedChar, start: 2, end: 3 }]);
    }

    #[test]
    fn overflowing_literal_is_an_error() {
        let (_, errors) = lex("18446744073709551616");
        assert_eq!(errors[0].kind, LexErrorKind::IntTooLarge);
    }

    #[test]
    fn primes_belong_to_names() {
        assert_eq!(kinds("node' x''"), vec![Token::VarName("node'".into()), Token::VarName("x''".into())]);
    }

    #[test]
    fn line_starts_are_marked() {
        let (tokens, _) = lex("f : U8\n  -> U8\ng");
        let starts: Vec<bool> = tokens.iter().map(|t| t.at_line_start).collect();
        assert_eq!(starts, vec![true, false, false, false, false, true]);
    }
}
