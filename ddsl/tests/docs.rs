//! Every example in `docs/ddsl.md`: ```` ```ddsl ```` blocks must check
//! clean, ```` ```ddsl,fail ```` blocks must be rejected.

use cdsl::diagnostics::render_to_string;
use cdsl::source::SourceMap;

#[test]
fn every_example_in_the_reference_checks_as_labelled() {
    let text = std::fs::read_to_string("../docs/ddsl.md").expect("docs/ddsl.md");
    let mut blocks: Vec<(bool, usize, String)> = Vec::new();
    let mut current: Option<(bool, usize, String)> = None;
    for (number, line) in text.lines().enumerate() {
        match (&mut current, line.trim_end()) {
            (None, "```ddsl") => current = Some((true, number + 1, String::new())),
            (None, "```ddsl,fail") => current = Some((false, number + 1, String::new())),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some((_, _, body)), line) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(blocks.len() >= 15, "expected an example per construct, found {}", blocks.len());
    let mut problems = Vec::new();
    for (should_pass, line, body) in &blocks {
        let mut sources = SourceMap::new();
        let file = sources.add(format!("docs/ddsl.md:{line}"), body.clone()).expect("small block");
        let (_, diagnostics) = ddsl::check_text(file, body);
        match (should_pass, diagnostics.is_empty()) {
            (true, false) => problems.push(render_to_string(&sources, &diagnostics)),
            (false, true) => problems.push(format!("the example at line {line} should be rejected")),
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
