//! Every CDSL example in `docs/cdsl.md` is checked against the parser, so the
//! language reference cannot drift from the language.
//!
//! A fenced block whose info string starts with `cdsl` is an example; the
//! rest of the info string says what it must do:
//!
//! - ` ```cdsl ` parses without errors, and its pretty-printed form parses
//!   back to the same AST (up to spans) and prints the same again.
//! - ` ```cdsl equiv ` as above, and its items come in pairs that parse to
//!   the same AST: the page's claims about precedence and grouping are
//!   written as such pairs.
//! - ` ```cdsl fail ` reports at least one error, and for every marker
//!   comment `-- error: TEXT` in the block some diagnostic's title contains
//!   `TEXT` (every fail block needs one, so it fails for the reason shown).
//!
//! Each block is parsed on its own, as a file `docs/cdsl.md` holding blank
//! lines above the block, so diagnostics point at the page's real lines.
//! `include` items parse like any other item; they are not followed. Every
//! problem in every block is collected and reported together, each under
//! the line of the block's opening fence.

use cdsl::diagnostics::render_to_string;
use cdsl::source::SourceMap;
use cdsl::syntax::ast::Module;
use cdsl::syntax::{erase, parse_module, pretty};

const DOC: &str = "../docs/cdsl.md";

/// The page must keep at least this many examples, so the test cannot pass
/// by finding none.
const MIN_BLOCKS: usize = 40;
const MIN_FAIL_BLOCKS: usize = 5;
const MIN_EQUIV_BLOCKS: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Pass,
    Equiv,
    Fail,
}

struct Block {
    /// 1-based line of the opening fence in the page.
    line: usize,
    expect: Expect,
    text: String,
}

#[test]
fn every_cdsl_example_in_the_reference_behaves_as_tagged() {
    let page = std::fs::read_to_string(DOC).unwrap_or_else(|e| panic!("cannot read {DOC}: {e}"));
    let (blocks, mut problems) = extract_blocks(&page);
    for block in &blocks {
        if let Err(problem) = check(block) {
            problems.push(format!("{DOC}:{}: ```cdsl{} block: {problem}", block.line, tag_name(block.expect)));
        }
    }
    let count = |expect: Expect| blocks.iter().filter(|b| b.expect == expect).count();
    if blocks.len() < MIN_BLOCKS {
        problems.push(format!("only {} ```cdsl blocks found, expected at least {MIN_BLOCKS}", blocks.len()));
    }
    if count(Expect::Fail) < MIN_FAIL_BLOCKS {
        problems.push(format!("only {} ```cdsl fail blocks, expected at least {MIN_FAIL_BLOCKS}", count(Expect::Fail)));
    }
    if count(Expect::Equiv) < MIN_EQUIV_BLOCKS {
        problems
            .push(format!("only {} ```cdsl equiv blocks, expected at least {MIN_EQUIV_BLOCKS}", count(Expect::Equiv)));
    }
    assert!(problems.is_empty(), "{} problem(s) in {DOC}:\n\n{}", problems.len(), problems.join("\n\n"));
}

fn tag_name(expect: Expect) -> &'static str {
    match expect {
        Expect::Pass => "",
        Expect::Equiv => " equiv",
        Expect::Fail => " fail",
    }
}

/// Finds the fenced blocks tagged `cdsl`. Malformed fences and unknown tags
/// are problems too, so a typo cannot silently drop an example.
fn extract_blocks(page: &str) -> (Vec<Block>, Vec<String>) {
    let mut blocks = Vec::new();
    let mut problems = Vec::new();
    // The open fence: its line, its tag (None for a non-CDSL block), its text.
    let mut open: Option<(usize, Option<Expect>, String)> = None;
    for (index, line) in page.lines().enumerate() {
        let number = index + 1;
        let fence = line.trim_start().strip_prefix("```");
        match (&mut open, fence) {
            (None, Some(info)) => {
                let mut words = info.split_whitespace();
                let expect = match (words.next(), words.next(), words.next()) {
                    (Some("cdsl"), None, _) => Some(Expect::Pass),
                    (Some("cdsl"), Some("equiv"), None) => Some(Expect::Equiv),
                    (Some("cdsl"), Some("fail"), None) => Some(Expect::Fail),
                    (Some("cdsl"), Some(_), _) => {
                        problems.push(format!(
                            "{DOC}:{number}: unknown tag ```{}; use cdsl, cdsl equiv or cdsl fail",
                            info.trim()
                        ));
                        None
                    }
                    _ => None,
                };
                open = Some((number, expect, String::new()));
            }
            (Some((start, expect, text)), Some(rest)) if rest.trim().is_empty() => {
                if let Some(expect) = *expect {
                    blocks.push(Block { line: *start, expect, text: std::mem::take(text) });
                }
                open = None;
            }
            (Some((_, _, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, None) => {}
        }
    }
    if let Some((start, _, _)) = open {
        problems.push(format!("{DOC}:{start}: code block is never closed"));
    }
    (blocks, problems)
}

fn check(block: &Block) -> Result<(), String> {
    let mut sources = SourceMap::new();
    // Blank lines in place of the page above the block, so that diagnostics
    // give the example's real line in the page.
    let text = format!("{}{}", "\n".repeat(block.line), block.text);
    let file = sources.add("docs/cdsl.md", text).expect("a small file");
    let (module, errors) = parse_module(file, sources.text(file));
    let diagnostics: Vec<_> = errors.iter().map(|e| e.to_diagnostic()).collect();
    match block.expect {
        Expect::Fail => {
            if diagnostics.is_empty() {
                return Err("expected a syntax error, but it parses".to_owned());
            }
            let markers = error_markers(&block.text);
            if markers.is_empty() {
                return Err("a fail block needs a `-- error: TEXT` comment naming its error".to_owned());
            }
            let missing: Vec<_> =
                markers.iter().filter(|m| !diagnostics.iter().any(|d| d.title.contains(m.as_str()))).collect();
            if !missing.is_empty() {
                return Err(format!(
                    "no error title contains {missing:?}; the errors are:\n{}",
                    render_to_string(&sources, &diagnostics)
                ));
            }
            Ok(())
        }
        Expect::Pass | Expect::Equiv => {
            if !diagnostics.is_empty() {
                return Err(format!("expected no errors, got:\n{}", render_to_string(&sources, &diagnostics)));
            }
            round_trip(&mut sources, &module)?;
            if block.expect == Expect::Equiv {
                pairs_agree(&module)?;
            }
            Ok(())
        }
    }
}

/// The texts of the `-- error: TEXT` comments in a block.
fn error_markers(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.split_once("-- error:").map(|(_, marker)| marker.trim().to_owned()))
        .filter(|marker| !marker.is_empty())
        .collect()
}

/// `parse(print(m)) == m` up to spans, and printing that again changes nothing.
fn round_trip(sources: &mut SourceMap, module: &Module) -> Result<(), String> {
    let printed = pretty::module(module);
    let file = sources.add("printed", printed.clone()).expect("a small file");
    let (reparsed, errors) = parse_module(file, sources.text(file));
    if !errors.is_empty() {
        let diagnostics: Vec<_> = errors.iter().map(|e| e.to_diagnostic()).collect();
        return Err(format!(
            "the pretty-printed form does not parse:\n{printed}\n{}",
            render_to_string(sources, &diagnostics)
        ));
    }
    let reprinted = pretty::module(&reparsed);
    let (mut original, mut reparsed) = (module.clone(), reparsed);
    erase::module(&mut original);
    erase::module(&mut reparsed);
    if original != reparsed {
        return Err(format!(
            "the pretty-printed form parses to a different AST.\nprinted:\n{printed}\noriginal: {original:#?}\nreparsed: {reparsed:#?}"
        ));
    }
    if reprinted != printed {
        return Err(format!("printing is not idempotent.\nfirst:\n{printed}\nsecond:\n{reprinted}"));
    }
    Ok(())
}

/// Items 1 and 2, 3 and 4, ... are the same tree.
fn pairs_agree(module: &Module) -> Result<(), String> {
    let mut module = module.clone();
    erase::module(&mut module);
    let items = &module.items;
    if items.is_empty() || !items.len().is_multiple_of(2) {
        return Err(format!("an equiv block needs its items in pairs, found {} item(s)", items.len()));
    }
    let differing: Vec<String> = items
        .chunks(2)
        .enumerate()
        .filter(|(_, pair)| pair[0] != pair[1])
        .map(|(index, pair)| {
            let show = |item| pretty::module(&Module { items: vec![item] }).trim_end().to_owned();
            format!(
                "pair {} differs:\n  {}\n  {}",
                index + 1,
                show(pair[0].clone()).replace('\n', "\n  "),
                show(pair[1].clone()).replace('\n', "\n  ")
            )
        })
        .collect();
    if differing.is_empty() {
        Ok(())
    } else {
        Err(differing.join("\n"))
    }
}
