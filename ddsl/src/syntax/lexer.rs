//! The lexer: layout text to `(start, Token, end)` triples for the grammar.
//!
//! The token enum is the lexer (`logos`). Comments run from `--` to the end of
//! the line. A malformed token does not stop lexing: it comes out as a
//! [`LexError`] with its span and lexing carries on after it.

use logos::Logos;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum LexErrorKind {
    #[default]
    UnexpectedChar,
    UnterminatedString,
    IntTooLarge,
    BadIntLiteral,
}

#[derive(Logos, Clone, Debug, PartialEq, Eq)]
#[logos(error = LexErrorKind)]
#[logos(skip r"[ \t\r\n\f]+")]
#[logos(skip r"--[^\n]*")]
pub enum Token {
    // Keywords.
    #[token("endian")]
    Endian,
    #[token("le")]
    Le,
    #[token("be")]
    Be,
    #[token("const")]
    Const,
    #[token("addr")]
    Addr,
    #[token("root")]
    Root,
    #[token("at")]
    At,
    #[token("struct")]
    Struct,
    #[token("size")]
    Size,
    #[token("pad")]
    Pad,
    #[token("assert")]
    Assert,
    #[token("bits")]
    Bits,
    #[token("flags")]
    Flags,
    #[token("features")]
    Features,
    #[token("unsupported")]
    Unsupported,
    #[token("select")]
    Select,
    #[token("via")]
    Via,
    #[token("when")]
    When,
    #[token("mark")]
    Mark,
    #[token("it")]
    It,
    #[token("space")]
    Space,
    #[token("reserve")]
    Reserve,
    #[token("bitmap")]
    Bitmap,
    #[token("links")]
    Links,
    #[token("free")]
    Free,
    #[token("checksum")]
    Checksum,
    #[token("owns")]
    Owns,
    #[token("refs")]
    Refs,
    #[token("count")]
    Count,
    #[token("for")]
    For,
    #[token("in")]
    In,
    #[token("u8")]
    U8,
    #[token("u16")]
    U16,
    #[token("u32")]
    U32,
    #[token("u64")]
    U64,

    #[regex(r"[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice().to_owned(), priority = 1)]
    Name(String),
    #[regex(r"[0-9][0-9_]*", |lex| parse_int(lex.slice(), 10))]
    #[regex(r"0[xX][0-9a-fA-F_]*", |lex| parse_int(&lex.slice()[2..], 16))]
    #[regex(r"0[bB][01_]*", |lex| parse_int(&lex.slice()[2..], 2))]
    Int(u64),
    #[regex(r#""[^"\n]*"?"#, string_literal)]
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
    #[token(";")]
    Semi,
    #[token(":")]
    Colon,
    #[token(",")]
    Comma,
    #[token("=")]
    Equals,
    #[token("->")]
    Arrow,
    #[token("=>")]
    FatArrow,
    #[token("@")]
    AtSign,
    #[token(".")]
    Dot,
    #[token("..")]
    DotDot,
    #[token("_", priority = 3)]
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
    #[token("<<")]
    Shl,
    #[token(">>")]
    Shr,
    #[token("&")]
    Amp,
    #[token("|")]
    Pipe,
    #[token("^")]
    Caret,
    #[token("~")]
    Tilde,
    #[token("!")]
    Bang,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le_,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("&&")]
    AndAnd,
    #[token("||")]
    OrOr,
}

fn parse_int(digits: &str, radix: u32) -> Result<u64, LexErrorKind> {
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() {
        return Err(LexErrorKind::BadIntLiteral);
    }
    u64::from_str_radix(&digits, radix).map_err(|_| LexErrorKind::IntTooLarge)
}

fn string_literal(lex: &mut logos::Lexer<Token>) -> Result<String, LexErrorKind> {
    let slice = lex.slice();
    if slice.len() < 2 || !slice.ends_with('"') {
        return Err(LexErrorKind::UnterminatedString);
    }
    Ok(slice[1..slice.len() - 1].to_owned())
}

/// A lexing problem at a byte range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub kind: LexErrorKind,
    pub start: usize,
    pub end: usize,
}

/// One token with its byte range and whether it opens a line at column 1,
/// which is how a top-level item starts.
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
    let mut lexer = Token::lexer(source);
    while let Some(result) = lexer.next() {
        let range = lexer.span();
        match result {
            Ok(token) => {
                let at_line_start = range.start == 0 || source.as_bytes().get(range.start - 1) == Some(&b'\n');
                tokens.push(Spanned { token, start: range.start, end: range.end, at_line_start });
            }
            Err(kind) => errors.push(LexError { kind, start: range.start, end: range.end }),
        }
    }
    (tokens, errors)
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Name(name) => write!(f, "`{name}`"),
            Token::Int(n) => write!(f, "`{n}`"),
            Token::Str(_) => f.write_str("a string literal"),
            other => write!(f, "`{}`", other.fixed_text().unwrap_or("?")),
        }
    }
}

impl Token {
    /// The text of a token that is always spelled the same way.
    pub fn fixed_text(&self) -> Option<&'static str> {
        Some(match self {
            Token::Endian => "endian",
            Token::Le => "le",
            Token::Be => "be",
            Token::Const => "const",
            Token::Addr => "addr",
            Token::Root => "root",
            Token::At => "at",
            Token::Struct => "struct",
            Token::Size => "size",
            Token::Pad => "pad",
            Token::Assert => "assert",
            Token::Bits => "bits",
            Token::Flags => "flags",
            Token::Features => "features",
            Token::Unsupported => "unsupported",
            Token::Select => "select",
            Token::Via => "via",
            Token::When => "when",
            Token::Mark => "mark",
            Token::It => "it",
            Token::Space => "space",
            Token::Reserve => "reserve",
            Token::Bitmap => "bitmap",
            Token::Links => "links",
            Token::Free => "free",
            Token::Checksum => "checksum",
            Token::Owns => "owns",
            Token::Refs => "refs",
            Token::Count => "count",
            Token::For => "for",
            Token::In => "in",
            Token::U8 => "u8",
            Token::U16 => "u16",
            Token::U32 => "u32",
            Token::U64 => "u64",
            Token::LParen => "(",
            Token::RParen => ")",
            Token::LBrace => "{",
            Token::RBrace => "}",
            Token::LBracket => "[",
            Token::RBracket => "]",
            Token::Semi => ";",
            Token::Colon => ":",
            Token::Comma => ",",
            Token::Equals => "=",
            Token::Arrow => "->",
            Token::FatArrow => "=>",
            Token::AtSign => "@",
            Token::Dot => ".",
            Token::DotDot => "..",
            Token::Underscore => "_",
            Token::Plus => "+",
            Token::Minus => "-",
            Token::Star => "*",
            Token::Slash => "/",
            Token::Percent => "%",
            Token::Shl => "<<",
            Token::Shr => ">>",
            Token::Amp => "&",
            Token::Pipe => "|",
            Token::Caret => "^",
            Token::Tilde => "~",
            Token::Bang => "!",
            Token::EqEq => "==",
            Token::NotEq => "!=",
            Token::Lt => "<",
            Token::Le_ => "<=",
            Token::Gt => ">",
            Token::Ge => ">=",
            Token::AndAnd => "&&",
            Token::OrOr => "||",
            Token::Name(_) | Token::Int(_) | Token::Str(_) => return None,
        })
    }

    /// Keywords that start a top-level item.
    pub fn starts_item(&self) -> bool {
        matches!(
            self,
            Token::Endian
                | Token::Const
                | Token::Addr
                | Token::Root
                | Token::Struct
                | Token::Space
                | Token::Reserve
                | Token::Bitmap
                | Token::Links
                | Token::Free
        )
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
    fn keywords_names_and_underscore() {
        assert_eq!(
            kinds("struct s_magic _ _x u16 le"),
            vec![
                Token::Struct,
                Token::Name("s_magic".into()),
                Token::Underscore,
                Token::Name("_x".into()),
                Token::U16,
                Token::Le
            ]
        );
    }

    #[test]
    fn operators_lex_longest_first() {
        assert_eq!(
            kinds("<< <= < -> => == = .. . && &"),
            vec![
                Token::Shl,
                Token::Le_,
                Token::Lt,
                Token::Arrow,
                Token::FatArrow,
                Token::EqEq,
                Token::Equals,
                Token::DotDot,
                Token::Dot,
                Token::AndAnd,
                Token::Amp
            ]
        );
    }

    #[test]
    fn literals_and_comments() {
        assert_eq!(kinds("0xEF53 -- magic\n0b101 1_024"), vec![Token::Int(0xEF53), Token::Int(5), Token::Int(1024)]);
    }

    #[test]
    fn bad_tokens_are_errors_and_lexing_goes_on() {
        let (tokens, errors) = lex("a $ 0x 99999999999999999999 \"open");
        assert_eq!(tokens, vec![Spanned { token: Token::Name("a".into()), start: 0, end: 1, at_line_start: true }]);
        let kinds: Vec<_> = errors.into_iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![
                LexErrorKind::UnexpectedChar,
                LexErrorKind::BadIntLiteral,
                LexErrorKind::IntTooLarge,
                LexErrorKind::UnterminatedString
            ]
        );
    }
}
