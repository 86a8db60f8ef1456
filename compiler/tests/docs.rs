//! Every CDSL example in `docs/cdsl.md` is checked against the parser, and
//! the typing section's examples against the type checker too, so the
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
//! - ` ```cdsl typed ` parses and round-trips like a plain block, and type
//!   checks without errors.
//! - ` ```cdsl type-fail ` parses and round-trips like a plain block, and the
//!   type checker rejects it: for every `-- error: TEXT` marker (at least
//!   one) some type error's title contains `TEXT`.
//!
//! A block that must be accepted carries no `-- error:` marker. Every
//! subsection of the page's typing section (the `##` heading ending in
//! "Typing") states one rule and must show it with at least one `typed` and
//! one `type-fail` block.
//!
//! Each block is parsed on its own, as a file `docs/cdsl.md` holding blank
//! lines above the block, so diagnostics point at the page's real lines.
//! A typed or type-fail block is checked on its own too, so it declares every
//! type and function it uses. `include` items parse like any other item;
//! they are not followed. Every problem in every block is collected and
//! reported together, each under the line of the block's opening fence.

use cdsl::diagnostics::{render_to_string, Diagnostic};
use cdsl::source::SourceMap;
use cdsl::syntax::ast::Module;
use cdsl::syntax::{erase, parse_module, pretty};
use cdsl::typeck::check_program;

const DOC: &str = "../docs/cdsl.md";

/// The page must keep at least this many examples, so the test cannot pass
/// by finding none.
const MIN_BLOCKS: usize = 40;
const MIN_FAIL_BLOCKS: usize = 5;
const MIN_EQUIV_BLOCKS: usize = 3;
const MIN_TYPED_BLOCKS: usize = 25;
const MIN_TYPE_FAIL_BLOCKS: usize = 20;
/// The typing section must keep at least this many rules (subsections).
const MIN_TYPING_RULES: usize = 15;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Pass,
    Equiv,
    Fail,
    Typed,
    TypeFail,
}

struct Block {
    /// 1-based line of the opening fence in the page.
    line: usize,
    expect: Expect,
    text: String,
    /// The `###` subsection of the typing section the block is in, if any.
    rule: Option<String>,
}

#[test]
fn every_cdsl_example_in_the_reference_behaves_as_tagged() {
    let page = std::fs::read_to_string(DOC).unwrap_or_else(|e| panic!("cannot read {DOC}: {e}"));
    let (blocks, rules, mut problems) = extract_blocks(&page);
    for block in &blocks {
        if let Err(problem) = check(block) {
            problems.push(format!("{DOC}:{}: ```cdsl{} block: {problem}", block.line, tag_name(block.expect)));
        }
    }
    let count = |expect: Expect| blocks.iter().filter(|b| b.expect == expect).count();
    if blocks.len() < MIN_BLOCKS {
        problems.push(format!("only {} ```cdsl blocks found, expected at least {MIN_BLOCKS}", blocks.len()));
    }
    for (expect, min) in [
        (Expect::Fail, MIN_FAIL_BLOCKS),
        (Expect::Equiv, MIN_EQUIV_BLOCKS),
        (Expect::Typed, MIN_TYPED_BLOCKS),
        (Expect::TypeFail, MIN_TYPE_FAIL_BLOCKS),
    ] {
        if count(expect) < min {
            problems.push(format!(
                "only {} ```cdsl{} blocks, expected at least {min}",
                count(expect),
                tag_name(expect)
            ));
        }
    }
    problems.extend(rules_without_examples(&blocks, &rules));
    assert!(problems.is_empty(), "{} problem(s) in {DOC}:\n\n{}", problems.len(), problems.join("\n\n"));
}

fn tag_name(expect: Expect) -> &'static str {
    match expect {
        Expect::Pass => "",
        Expect::Equiv => " equiv",
        Expect::Fail => " fail",
        Expect::Typed => " typed",
        Expect::TypeFail => " type-fail",
    }
}

/// A `###` subsection of the typing section: one typing rule.
struct Rule {
    /// 1-based line of its heading.
    line: usize,
    title: String,
}

/// Every rule of the typing section is shown passing and failing.
fn rules_without_examples(blocks: &[Block], rules: &[Rule]) -> Vec<String> {
    let mut problems = Vec::new();
    if rules.len() < MIN_TYPING_RULES {
        problems.push(format!(
            "the typing section (a `##` heading ending in \"Typing\") has {} rule subsection(s), expected at least \
             {MIN_TYPING_RULES}",
            rules.len()
        ));
    }
    for rule in rules {
        let has = |expect: Expect| {
            blocks.iter().any(|b| b.expect == expect && b.rule.as_deref() == Some(rule.title.as_str()))
        };
        for expect in [Expect::Typed, Expect::TypeFail] {
            if !has(expect) {
                problems.push(format!(
                    "{DOC}:{}: typing rule \"{}\" has no ```cdsl{} example",
                    rule.line,
                    rule.title,
                    tag_name(expect)
                ));
            }
        }
    }
    problems
}

/// Finds the fenced blocks tagged `cdsl`, and the rules of the typing
/// section. Malformed fences and unknown tags are problems too, so a typo
/// cannot silently drop an example.
fn extract_blocks(page: &str) -> (Vec<Block>, Vec<Rule>, Vec<String>) {
    let mut blocks = Vec::new();
    let mut rules: Vec<Rule> = Vec::new();
    let mut problems = Vec::new();
    // The open fence: its line, its tag (None for a non-CDSL block), its text.
    let mut open: Option<(usize, Option<Expect>, String)> = None;
    let mut in_typing = false;
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
                    (Some("cdsl"), Some("typed"), None) => Some(Expect::Typed),
                    (Some("cdsl"), Some("type-fail"), None) => Some(Expect::TypeFail),
                    (Some("cdsl"), Some(_), _) => {
                        problems.push(format!(
                            "{DOC}:{number}: unknown tag ```{}; use cdsl, cdsl equiv, cdsl fail, cdsl typed or \
                             cdsl type-fail",
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
                    let rule = if in_typing { rules.last().map(|r| r.title.clone()) } else { None };
                    blocks.push(Block { line: *start, expect, text: std::mem::take(text), rule });
                }
                open = None;
            }
            (Some((_, _, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, None) => {
                if let Some(title) = line.strip_prefix("## ") {
                    in_typing = title.trim_end().ends_with("Typing");
                } else if let Some(title) = line.strip_prefix("### ").filter(|_| in_typing) {
                    rules.push(Rule { line: number, title: title.trim().to_owned() });
                }
            }
        }
    }
    if let Some((start, _, _)) = open {
        problems.push(format!("{DOC}:{start}: code block is never closed"));
    }
    (blocks, rules, problems)
}

fn check(block: &Block) -> Result<(), String> {
    let mut sources = SourceMap::new();
    // Blank lines in place of the page above the block, so that diagnostics
    // give the example's real line in the page.
    let text = format!("{}{}", "\n".repeat(block.line), block.text);
    let file = sources.add("docs/cdsl.md", text).expect("a small file");
    let (module, errors) = parse_module(file, sources.text(file));
    let diagnostics: Vec<_> = errors.iter().map(|e| e.to_diagnostic()).collect();
    if block.expect == Expect::Fail {
        if diagnostics.is_empty() {
            return Err("expected a syntax error, but it parses".to_owned());
        }
        return markers_match(&block.text, &sources, &diagnostics);
    }
    if !diagnostics.is_empty() {
        return Err(format!("expected no syntax errors, got:\n{}", render_to_string(&sources, &diagnostics)));
    }
    if block.expect != Expect::TypeFail && !error_markers(&block.text).is_empty() {
        return Err("an `-- error:` comment in a block that must be accepted".to_owned());
    }
    round_trip(&mut sources, &module)?;
    match block.expect {
        Expect::Equiv => pairs_agree(&module),
        Expect::Typed => match check_program(&[&module]) {
            Ok(_) => Ok(()),
            Err(errors) => {
                let diagnostics: Vec<_> = errors.iter().map(|e| e.to_diagnostic()).collect();
                Err(format!("expected no type errors, got:\n{}", render_to_string(&sources, &diagnostics)))
            }
        },
        Expect::TypeFail => match check_program(&[&module]) {
            Ok(_) => Err("expected a type error, but it type-checks".to_owned()),
            Err(errors) => {
                let diagnostics: Vec<_> = errors.iter().map(|e| e.to_diagnostic()).collect();
                markers_match(&block.text, &sources, &diagnostics)
            }
        },
        Expect::Pass | Expect::Fail => Ok(()),
    }
}

/// Every `-- error: TEXT` marker of a failing block (there must be one) is
/// in the title of some diagnostic.
fn markers_match(text: &str, sources: &SourceMap, diagnostics: &[Diagnostic]) -> Result<(), String> {
    let markers = error_markers(text);
    if markers.is_empty() {
        return Err("a failing block needs a `-- error: TEXT` comment naming its error".to_owned());
    }
    let missing: Vec<_> =
        markers.iter().filter(|m| !diagnostics.iter().any(|d| d.title.contains(m.as_str()))).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("no error title contains {missing:?}; the errors are:\n{}", render_to_string(sources, diagnostics)))
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
