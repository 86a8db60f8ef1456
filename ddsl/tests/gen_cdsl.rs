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

const PROGRAM: &str = r#"
unwrap : R (WordArray U8) (WordArray U8) -> WordArray U8
unwrap r = r | Success a -> a
             | Error a -> a

failed : R (WordArray U8) (WordArray U8) -> (WordArray U8, Bool)
failed r = r | Success a -> (a, False)
             | Error a -> (a, True)

fields : SysState -> (SysState, (U16, U16, U32, U8, U8, U8, Bool))
fields st =
  wordarray_create [U8] (st, 256)
  | Success (st, arr) -> (let arr = unwrap (inode_set_i_links_count (arr, 128, 7))
                          in let arr = unwrap (inode_set_i_mode_kind (arr, 128, 4))
                          in let arr = unwrap (inode_set_i_size (arr, 128, 70000))
                          in let (arr, outside) = failed (inode_set_i_size (arr, 250, 1))
                          in let n = inode_get_i_links_count (arr, 128) !arr
                          in let k = inode_get_i_mode_kind (arr, 128) !arr
                          in let s = inode_get_i_size (arr, 128) !arr
                          in let low = wordarray_get [U8] (arr, 154) !arr
                          in let mode = wordarray_get [U8] (arr, 129) !arr
                          in let size = wordarray_get [U8] (arr, 133) !arr
                          in (wordarray_free [U8] (st, arr), (n, k, s, low, mode, size, outside)))
  | Error st -> (st, (0, 0, 0, 0, 0, 0, False))
"#;

#[test]
fn generated_bindings_run_on_both_interpreters() {
    let text = std::fs::read_to_string(EXT2).expect("ext2.ddsl");
    let mut sources = SourceMap::new();
    let file = sources.add("ext2.ddsl", text.clone()).expect("small");
    let checked = ddsl::check_text(file, &text).0.expect("ext2.ddsl checks");
    let bindings = ddsl::gen::cdsl::declarations(&checked, "ext2.ddsl");
    let prelude = std::fs::read_to_string("../runtime/cdsl/prelude.cdsl").expect("prelude");
    let source = format!("{prelude}\n{bindings}\n{PROGRAM}");
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
