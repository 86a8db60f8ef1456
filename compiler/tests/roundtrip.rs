//! The pretty printer round trip: for generated ASTs of every form,
//! `parse(print(ast)) == ast` up to spans, with no syntax errors.
//!
//! Modules run 1,000 cases; single expressions and types run more, since
//! they are cheap and a failure there shrinks to a smaller reproducer.

#[path = "common/ast_gen.rs"]
mod ast_gen;

use cdsl::diagnostics::{render_to_string, Diagnostic};
use cdsl::source::SourceMap;
use cdsl::syntax::ast::{Item, ItemKind, Module};
use cdsl::syntax::{erase, parse_module, pretty};
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestCaseError};

/// `cases` cases with the XorShift generator: ChaCha, the default, is most of
/// the run time in a debug build.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, rng_algorithm: RngAlgorithm::XorShift, ..ProptestConfig::default() }
}

/// Parses `text` as a file of its own; on syntax errors, fails with the text
/// and the rendered diagnostics.
fn reparse(text: &str) -> Result<Module, TestCaseError> {
    let mut sources = SourceMap::new();
    let file = sources.add("printed.cdsl", text).expect("a small file");
    let (mut parsed, errors) = parse_module(file, text);
    if !errors.is_empty() {
        let diagnostics: Vec<Diagnostic> = errors.iter().map(|e| e.to_diagnostic()).collect();
        return Err(TestCaseError::fail(format!(
            "printed text does not parse:\n{text}\n{}",
            render_to_string(&sources, &diagnostics)
        )));
    }
    erase::module(&mut parsed);
    Ok(parsed)
}

fn check_module(module: &Module) -> Result<(), TestCaseError> {
    let text = pretty::module(module);
    let parsed = reparse(&text)?;
    prop_assert_eq!(&parsed, module, "printed text parses to a different AST:\n{}", text);
    Ok(())
}

/// Wraps an expression as the body of a one-item module, `it = e`.
fn definition_of(body: cdsl::syntax::ast::Expr) -> Module {
    let name = cdsl::syntax::ast::Ident { name: "it".into(), span: Default::default() };
    Module { items: vec![Item { kind: ItemKind::Definition { name, param: None, body }, span: Default::default() }] }
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn printed_modules_parse_back_to_the_same_ast(module in ast_gen::module()) {
        check_module(&module)?;
    }
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn printed_expressions_parse_back_to_the_same_ast(e in ast_gen::expr()) {
        // `pretty::expr` is what diagnostics quote; it must read back too.
        let module = definition_of(e.clone());
        check_module(&module)?;
        let text = format!("it =\n  {}\n", pretty::expr(&e));
        let parsed = reparse(&text)?;
        prop_assert_eq!(&parsed, &module, "printed expression parses to a different AST:\n{}", text);
    }

    #[test]
    fn printed_types_parse_back_to_the_same_ast(t in ast_gen::ty()) {
        let text = format!("type T = {}\n", pretty::ty(&t));
        let parsed = reparse(&text)?;
        let ItemKind::TypeSynonym { body, .. } = &parsed.items[0].kind else {
            return Err(TestCaseError::fail(format!("not a type synonym:\n{text}")));
        };
        prop_assert_eq!(body, &t, "printed type parses to a different type:\n{}", text);
    }
}

/// A hand-written program using every construct reads back unchanged, and
/// printing is a fixed point: print(parse(print(m))) == print(m).
#[test]
fn printing_is_a_fixed_point_on_a_hand_written_program() {
    let source = "\
include \"prelude.cdsl\"

type R a e = <Success a | Error e>
type Buf = #{ data : WordArray U8, len : U32 }
type Node = { ino : U32, kids : WordArray (Node take (..)) }
type Abs a

get : all (a :< DSE, b). ((WordArray a)!, U32) -> R a (b take f)
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
    let mut sources = SourceMap::new();
    let file = sources.add("hand.cdsl", source).expect("a small file");
    let (mut parsed, errors) = parse_module(file, source);
    assert!(errors.is_empty(), "{errors:?}");
    erase::module(&mut parsed);
    assert_eq!(parsed.items.len(), 7);
    let printed = pretty::module(&parsed);
    let reparsed = reparse(&printed).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reparsed, parsed, "{printed}");
    assert_eq!(pretty::module(&reparsed), printed);
}
