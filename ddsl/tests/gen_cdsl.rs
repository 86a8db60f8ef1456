//! CDSL bindings (`ddsl gen --emit cdsl`, `ddsl::gen::cdsl::register`): a
//! CDSL program over the runtime's prelude and the bindings generated from
//! `ext2.ddsl` type-checks, and runs on both interpreters with the same
//! result — fields and bit fields written into a byte array land at their
//! bytes in the layout's byte order, read back, and a field outside the
//! array is an `Error`.

use cdsl::core::lower;
use cdsl::interp::engines::{run_both, Agreement};
use cdsl::source::SourceMap;
use cdsl_runtime::{Library, Value};

const EXT2: &str = "../fs-examples/ext2/ext2.ddsl";

/// The program of docs/ddsl.md's "Generating CDSL bindings".
fn program() -> String {
    let text = std::fs::read_to_string("../docs/ddsl.md").expect("docs/ddsl.md");
    let section = &text[text.find("## Generating CDSL bindings").expect("section")..];
    let start = section.find("```cdsl\n").expect("cdsl block") + "```cdsl\n".len();
    let len = section[start..].find("```\n").expect("closed block");
    section[start..start + len].to_string()
}

#[test]
fn generated_bindings_run_on_both_interpreters() {
    let text = std::fs::read_to_string(EXT2).expect("ext2.ddsl");
    let mut sources = SourceMap::new();
    let file = sources.add("ext2.ddsl", text.clone()).expect("small");
    let checked = ddsl::check_text(file, &text).0.expect("ext2.ddsl checks");
    let bindings = ddsl::gen::cdsl::declarations(&checked, "ext2.ddsl");
    let prelude = std::fs::read_to_string("../runtime/cdsl/prelude.cdsl").expect("prelude");
    let source = format!("{prelude}\n{bindings}\n{}", program());
    let file = sources.add("program.cdsl", source).expect("small");
    let (module, errors) = cdsl::syntax::parse_module(file, sources.text(file));
    assert!(errors.is_empty(), "{errors:?}");
    let typed = match cdsl::typeck::check_program(&[&module]) {
        Ok(typed) => typed,
        Err(errors) => panic!(
            "{}",
            cdsl::diagnostics::render_to_string(
                &sources,
                &errors.iter().map(|e| e.to_diagnostic()).collect::<Vec<_>>()
            )
        ),
    };
    let core = lower::lower(&typed);
    let mut library = Library::default();
    ddsl::gen::cdsl::register(&checked, &mut library);
    let w = |bits, v| Value::word(bits, v);
    let expected = Value::tuple(vec![
        Value::SysState,
        Value::tuple(vec![
            w(16, 7),
            w(16, 4),
            w(32, 70000),
            w(8, 7),
            w(8, 0x40),
            w(8, 70000 >> 8 & 0xff),
            Value::Bool(true),
        ]),
    ]);
    match run_both(&core, &library, "fields", Value::SysState, 100_000) {
        Agreement::Agree(v) => assert_eq!(v, expected),
        other => panic!("{other:?}"),
    }
}
