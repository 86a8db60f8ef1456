//! No input makes the lexer, the parser or the diagnostic renderer panic.
//!
//! Three sources of input, sharing `CDSL_FUZZ_CASES` cases (10,000 by default;
//! `make fuzz` runs 100,000 in release):
//! - arbitrary bytes (read as lossy UTF-8) and soups of CDSL tokens;
//! - printed generated programs, mutated;
//! - the syntax corpus and the example programs, mutated.
//!
//! Mutations work on bytes (delete, duplicate, swap, insert, truncate) and on
//! tokens (delete, duplicate, swap, replace, insert), so inputs range from
//! noise to programs one token away from valid.
//!
//! Beyond not panicking, every run checks that each error and diagnostic label
//! lies inside the file on character boundaries, that the rendering shows
//! each diagnostic's title, and that whatever items did parse print back to
//! text that parses to the same items.

#[path = "common/ast_gen.rs"]
mod ast_gen;

use cdsl::diagnostics::{render_to_string, Diagnostic};
use cdsl::source::{FileId, SourceMap, Span};
use cdsl::syntax::{erase, lexer, parse_module, pretty};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::{RngAlgorithm, TestCaseError};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The total number of cases over the three tests below.
fn total_cases() -> u32 {
    std::env::var("CDSL_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}

/// A test's share of the cases, in percent.
fn config(percent: u32) -> ProptestConfig {
    ProptestConfig {
        cases: (total_cases() * percent / 100).max(1),
        // A failure's input is printed; shrinking a mutated file far helps
        // less than it costs.
        max_shrink_iters: 2_000,
        // ChaCha, the default, is most of the run time in a debug build.
        rng_algorithm: RngAlgorithm::XorShift,
        ..ProptestConfig::default()
    }
}

// ------------------------------------------------------------ the check

/// Lexes, parses and renders `text`, checking the invariants above.
fn check(text: &str) -> Result<(), TestCaseError> {
    let mut sources = SourceMap::new();
    let file = sources.add("fuzz.cdsl", text).map_err(|_| TestCaseError::reject("too large"))?;
    let (module, errors) = parse_module(file, text);

    let diagnostics: Vec<Diagnostic> = errors.iter().map(|e| e.to_diagnostic()).collect();
    for (error, diagnostic) in errors.iter().zip(&diagnostics) {
        check_span(text, file, error.span, &format!("{error:?}"))?;
        check_span(text, file, diagnostic.primary.span, &diagnostic.title)?;
        for label in &diagnostic.secondary {
            check_span(text, file, label.span, &diagnostic.title)?;
        }
    }
    for item in &module.items {
        check_span(text, file, item.span, "an item")?;
    }

    let rendered = render_to_string(&sources, &diagnostics);
    for diagnostic in &diagnostics {
        prop_assert!(rendered.contains(&diagnostic.title), "`{}` is not rendered:\n{}", diagnostic.title, rendered);
    }

    // What was recovered must be printable and read back the same.
    let mut recovered = module;
    erase::module(&mut recovered);
    let printed = pretty::module(&recovered);
    let (mut reparsed, errors) = parse_module(file, &printed);
    prop_assert!(errors.is_empty(), "recovered items print to text with errors {:?}:\n{}", errors, printed);
    erase::module(&mut reparsed);
    prop_assert_eq!(reparsed, recovered, "recovered items do not read back:\n{}", printed);
    Ok(())
}

fn check_span(text: &str, file: FileId, span: Span, what: &str) -> Result<(), TestCaseError> {
    let (start, end) = (span.start as usize, span.end as usize);
    prop_assert_eq!(span.file, file, "{} is in another file", what);
    prop_assert!(start <= end && end <= text.len(), "{} has span {}..{} outside 0..{}", what, start, end, text.len());
    prop_assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "{} has span {}..{} off a character boundary",
        what,
        start,
        end
    );
    Ok(())
}

// ------------------------------------------------------------ inputs

/// Fragments worth inserting: every kind of token, layout, the starts of
/// comments and literals, and characters that are not ASCII.
#[rustfmt::skip]
const FRAGMENTS: &[&str] = &[
    "let", "in", "and", "if", "then", "else", "type", "include", "all", "take", "put", "not", "complement",
    "upcast", "True", "False", "x", "node'", "_y", "Some", "U32", "0", "0xFF", "0b1_0", "0o7", "1_000",
    "18446744073709551616", "0x", "'a'", "'\\n'", "'\\x4", "'ab'", "'", "\"s\"", "\"\\q\"", "\"", "(", ")", "{",
    "}", "[", "]", ",", ":", ":<", "=", "->", "=>", "~>", "|", "!", ".", "..", "#", "_", "+", "-", "*", "/",
    "%", "==", "/=", "<", ">", "<=", ">=", "&&", "||", ".&.", ".|.", ".^.", "<<", ">>", "\n", "\n\n", "\n  ",
    "  ", "\t", "\r\n", "--", "{-", "-}", "é", "\u{1F600}", "\u{0}", "\u{FEFF}", "`", "@", "$", "DS", "DSE",
    "DQ",
];

/// A program that uses most of the syntax, in case no corpus file is found.
const SEED: &str = "\
include \"prelude.cdsl\"
type R a e = <Success a | Error e>
type Buf = #{ data : WordArray U8, len : U32 } take (..)
get : all (a :< DSE, b). ((WordArray a)!, U32) -> R a b
get (arr, i) =
  let x : U32 = arr.len !arr
  and #{ data, len = n } = b
  in if x < n && not (i >= 3) !arr
     then wordarray_get [U32, _] (arr, upcast i) { len = 0 }
     else f x
            | Some (Pair a _) => a .&. complement 0xff
            | None ~> (g 'a' \"s\\n\" : U8)
            | _ -> Error ()
";

/// The syntax corpus and the example programs, read once.
fn corpus() -> &'static [String] {
    static CORPUS: OnceLock<Vec<String>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        collect_cdsl(&root.join("tests/syntax"), &mut paths);
        collect_cdsl(&root.join("../fs-examples/cdsl"), &mut paths);
        paths.sort();
        let mut texts: Vec<String> = paths.iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect();
        if texts.is_empty() {
            eprintln!("no_panic: no corpus files found; mutating the built-in seed program only");
        }
        texts.push(SEED.to_owned());
        texts
    })
}

fn collect_cdsl(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_cdsl(&path, out);
        } else if path.extension().is_some_and(|e| e == "cdsl") {
            out.push(path);
        }
    }
}

/// One edit; positions are `Index`es, resolved against the text as it is
/// when the edit applies.
#[derive(Clone, Debug)]
enum Mutation {
    DeleteBytes(Index, u8),
    DuplicateBytes(Index, u8),
    SwapBytes(Index, Index, u8),
    InsertBytes(Index, Vec<u8>),
    Truncate(Index),
    DeleteToken(Index),
    DuplicateToken(Index),
    SwapTokens(Index, Index),
    ReplaceToken(Index, &'static str),
    InsertFragment(Index, &'static str),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let fragment = || select(FRAGMENTS);
    prop_oneof![
        2 => (any::<Index>(), 1u8..16).prop_map(|(i, n)| Mutation::DeleteBytes(i, n)),
        1 => (any::<Index>(), 1u8..32).prop_map(|(i, n)| Mutation::DuplicateBytes(i, n)),
        1 => (any::<Index>(), any::<Index>(), 1u8..8).prop_map(|(i, j, n)| Mutation::SwapBytes(i, j, n)),
        2 => (any::<Index>(), vec(any::<u8>(), 1..4)).prop_map(|(i, b)| Mutation::InsertBytes(i, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        3 => any::<Index>().prop_map(Mutation::DeleteToken),
        2 => any::<Index>().prop_map(Mutation::DuplicateToken),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(i, j)| Mutation::SwapTokens(i, j)),
        3 => (any::<Index>(), fragment()).prop_map(|(i, f)| Mutation::ReplaceToken(i, f)),
        3 => (any::<Index>(), fragment()).prop_map(|(i, f)| Mutation::InsertFragment(i, f)),
    ]
}

/// A position in `0..=len`.
fn at(index: &Index, len: usize) -> usize {
    index.index(len + 1)
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len();
    match m {
        Mutation::DeleteBytes(i, n) => {
            let start = at(i, len);
            bytes.drain(start..(start + *n as usize).min(len));
        }
        Mutation::DuplicateBytes(i, n) => {
            let start = at(i, len);
            let copy = bytes[start..(start + *n as usize).min(len)].to_vec();
            bytes.splice(start..start, copy);
        }
        Mutation::SwapBytes(i, j, n) => {
            let n = (*n as usize).min(len / 2);
            if n > 0 {
                let (a, b) = (i.index(len - n + 1), j.index(len - n + 1));
                if a + n <= b || b + n <= a {
                    for k in 0..n {
                        bytes.swap(a + k, b + k);
                    }
                }
            }
        }
        Mutation::InsertBytes(i, inserted) => {
            let start = at(i, len);
            bytes.splice(start..start, inserted.iter().copied());
        }
        Mutation::Truncate(i) => bytes.truncate(at(i, len)),
        _ => apply_to_tokens(bytes, m),
    }
}

/// Token-level edits: lex the current text and edit whole tokens.
fn apply_to_tokens(bytes: &mut Vec<u8>, m: &Mutation) {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let spans: Vec<(usize, usize)> = lexer::lex(&text).0.iter().map(|t| (t.start, t.end)).collect();
    let mut text = text.into_bytes();
    if let Mutation::InsertFragment(i, fragment) = m {
        // Between tokens, or anywhere when there are none.
        let start = if spans.is_empty() { at(i, text.len()) } else { spans[i.index(spans.len())].0 };
        text.splice(start..start, fragment.bytes());
    } else if !spans.is_empty() {
        let (start, end) = spans[match m {
            Mutation::DeleteToken(i) | Mutation::DuplicateToken(i) | Mutation::ReplaceToken(i, _) => i,
            Mutation::SwapTokens(i, _) => i,
            _ => unreachable!("bug: not a token mutation: {m:?}"),
        }
        .index(spans.len())];
        match m {
            Mutation::DeleteToken(_) => {
                text.drain(start..end);
            }
            Mutation::DuplicateToken(_) => {
                let copy = text[start..end].to_vec();
                text.splice(end..end, copy.into_iter().chain(*b" "));
            }
            Mutation::ReplaceToken(_, fragment) => {
                text.splice(start..end, fragment.bytes());
            }
            Mutation::SwapTokens(_, j) => {
                let (other_start, other_end) = spans[j.index(spans.len())];
                let ((s1, e1), (s2, e2)) = if other_start < start {
                    ((other_start, other_end), (start, end))
                } else {
                    ((start, end), (other_start, other_end))
                };
                if e1 <= s2 {
                    let (first, second) = (text[s1..e1].to_vec(), text[s2..e2].to_vec());
                    text.splice(s2..e2, first);
                    text.splice(s1..e1, second);
                }
            }
            _ => {}
        }
    }
    *bytes = text;
}

fn mutated(base: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    (base, vec(mutation(), 1..6)).prop_map(|(text, mutations)| {
        let mut bytes = text.into_bytes();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Tokens and layout strung together at random.
fn token_soup() -> impl Strategy<Value = String> {
    vec((select(FRAGMENTS), select(&[" ", " ", "", "\n", "\n  "][..])), 0..40)
        .prop_map(|parts| parts.into_iter().flat_map(|(t, s)| [t, s]).collect())
}

fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

// ------------------------------------------------------------ the tests

proptest! {
    #![proptest_config(config(30))]

    #[test]
    fn random_bytes_and_token_soups_never_panic(text in prop_oneof![
        vec(any::<u8>(), 0..256).prop_map(lossy),
        // Mostly ASCII, so the lexer gets past the first byte.
        vec(prop_oneof![9 => 0x09u8..0x7f, 1 => any::<u8>()], 0..256).prop_map(lossy),
        token_soup(),
    ]) {
        check(&text)?;
    }
}

proptest! {
    #![proptest_config(config(35))]

    #[test]
    fn mutated_generated_programs_never_panic(
        text in mutated(ast_gen::module().prop_map(|m| pretty::module(&m)))
    ) {
        check(&text)?;
    }
}

proptest! {
    #![proptest_config(config(35))]

    #[test]
    fn mutated_corpus_files_never_panic(text in mutated(select(corpus()))) {
        check(&text)?;
    }
}

/// The corpus is there to mutate; make sure it was found and is itself clean.
#[test]
fn unmutated_corpus_files_pass_the_check() {
    let corpus = corpus();
    assert!(!corpus.is_empty());
    for text in corpus {
        check(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    }
}
