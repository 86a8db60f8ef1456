//! CDSL field bindings over a program's word access (`ddsl gen --emit
//! cdsl-fields`, `ddsl::gen::cdsl::fields`): the generated text for a small
//! layout (a snapshot, the layout above it), and the same bindings run on
//! both interpreters over a device written in CDSL itself (blocks of 64
//! bytes in a word array), so every word shape — little- and big-endian,
//! 8 to 64 bits, bit fields, arrays, nested structs — lands at its bytes.

use cdsl::core::lower;
use cdsl::interp::engines::{run_both, Agreement};
use cdsl::source::SourceMap;
use cdsl_runtime::{Library, Value};
use ddsl::gen::cdsl::fields::{generate, Interface};

const LAYOUT: &str = "endian le;

root head: Header at 3 * 64 + 3;

struct Header {
  magic: u16 = 0xCAFE;
  mode:  u16 bits { perm: 12; kind: 4; };
  flags: u32 flags { dirty = 0x1; big = 0x100; };
  big:   u32 be;
  wide:  u64;
  wide_be: u64 be;
  short_be: u16 be;
  small: u8;
  pad 1;
  ptrs:  [u32; 3];
  inner: Inner;
  items: [Inner; 2];
  body:  select (mode.kind) { 1 => a: Inner; _ => b: [u8; 4]; };
  name:  [u8; small];
  after: u32;
}

struct Inner { x: u16; y: u16; }

struct Entry size len {
  len: u16;
  name_len: u8;
  name: [u8; name_len];
  assert len >= 3 + name_len;
}

struct Block size 64 {
  entries: [Entry; ..];
}
";

fn bindings() -> String {
    let mut sources = SourceMap::new();
    let file = sources.add("small.ddsl", LAYOUT.to_owned()).expect("small");
    let (checked, errors) = ddsl::check_text(file, LAYOUT);
    let checked = checked.unwrap_or_else(|| panic!("{}", cdsl::diagnostics::render_to_string(&sources, &errors)));
    assert!(errors.is_empty(), "{}", cdsl::diagnostics::render_to_string(&sources, &errors));
    let buffer: Interface = "bytes=Buf,le,set".parse().expect("an interface");
    generate(&checked, "small.ddsl", &[Interface::default(), buffer])
}

#[test]
fn generated_bindings_snapshot() {
    insta::assert_snapshot!(format!("{LAYOUT}\n---\n{}", bindings()));
}

/// A device of 64-byte blocks in a word array, with the word access the
/// bindings call, written in CDSL.
const DEVICE: &str = r#"
type Dev = WordArray U8

dev_le8 : (Dev!, U32, U32) -> U32
dev_le8 (dev, blk, off) = upcast (wordarray_get [U8] (dev, blk * 64 + off))

dev_le16 : (Dev!, U32, U32) -> U32
dev_le16 (dev, blk, off) = dev_le8 (dev, blk, off) .|. (dev_le8 (dev, blk, off + 1) << 8)

dev_le32 : (Dev!, U32, U32) -> U32
dev_le32 (dev, blk, off) = dev_le16 (dev, blk, off) .|. (dev_le16 (dev, blk, off + 2) << 16)

dev_set8 : (Dev, U32, U32, U32) -> Dev
dev_set8 (dev, blk, off, v) =
  wordarray_put [U8] (dev, blk * 64 + off, u32_to_u8 v)
    | Success dev -> dev
    | Error dev -> dev

dev_set16 : (Dev, U32, U32, U32) -> Dev
dev_set16 (dev, blk, off, v) = dev_set8 (dev_set8 (dev, blk, off, v), blk, off + 1, v >> 8)

dev_set32 : (Dev, U32, U32, U32) -> Dev
dev_set32 (dev, blk, off, v) = dev_set16 (dev_set16 (dev, blk, off, v), blk, off + 2, v >> 16)

-- The same bytes as one buffer, for the second interface.
type Buf = WordArray U8

le8 : (Buf!, U32) -> U32
le8 (buf, off) = dev_le8 (buf, 0, off)
le16 : (Buf!, U32) -> U32
le16 (buf, off) = dev_le16 (buf, 0, off)
le32 : (Buf!, U32) -> U32
le32 (buf, off) = dev_le32 (buf, 0, off)
set8 : (Buf, U32, U32) -> Buf
set8 (buf, off, v) = dev_set8 (buf, 0, off, v)
set16 : (Buf, U32, U32) -> Buf
set16 (buf, off, v) = dev_set16 (buf, 0, off, v)
set32 : (Buf, U32, U32) -> Buf
set32 (buf, off, v) = dev_set32 (buf, 0, off, v)

-- Writes every kind of field of a Header at byte 3 of block 1, and reads
-- them back with the bytes that matter; a buffer's view of the same bytes.
fields : SysState -> (SysState, (U16, U16, U16, U32, U64, U64, U16, U8, U32, U16, U16, U16, U32, U32, U32, U32, U32, U32, U32, U16, U16))
fields st =
  wordarray_create [U8] (st, 256)
    | Error st -> (st, (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    | Success (st, dev) ->
        let dev = header_set_magic (dev, 1, 3, header_magic_magic)
        and dev = header_set_mode (dev, 1, 3, 0x0123)
        and dev = header_set_mode_kind (dev, 1, 3, 0xA)
        and dev = header_set_flags (dev, 1, 3, header_flags_dirty .|. header_flags_big)
        and dev = header_set_big (dev, 1, 3, 0x11223344)
        and dev = header_set_wide (dev, 1, 3, 0x0102030405060708)
        and dev = header_set_wide_be (dev, 1, 3, 0x0102030405060708)
        and dev = header_set_short_be (dev, 1, 3, 0xBEEF)
        and dev = header_set_small (dev, 1, 3, 9)
        and dev = header_set_ptrs (dev, 1, 3, 2, 0xDEADBEEF)
        and dev = inner_set_y (dev, 1, header_at_inner 3, 0x7777)
        and dev = inner_set_x (dev, 1, header_at_items (3, 1), 0x5555)
        and dev = buf_header_set_mode_perm (dev, 64 + 3, 0x456)
        and r = ( header_get_magic (dev, 1, 3), header_get_mode_perm (dev, 1, 3), header_get_mode_kind (dev, 1, 3)
                , header_get_flags (dev, 1, 3), header_get_wide (dev, 1, 3), header_get_wide_be (dev, 1, 3)
                , header_get_short_be (dev, 1, 3), header_get_small (dev, 1, 3), header_get_ptrs (dev, 1, 3, 2)
                , inner_get_y (dev, 1, header_at_inner 3), inner_get_x (dev, 1, header_at_items (3, 1))
                , header_get_mode (dev, 1, 3), header_get_big (dev, 1, 3)
                , dev_le8 (dev, 1, 3 + 8), dev_le8 (dev, 1, 3 + 11)
                , dev_le32 (dev, 1, 3 + 12), dev_le8 (dev, 1, 3 + 20), dev_le8 (dev, 1, 3 + 27)
                , inner_size, buf_inner_get_y (dev, 64 + header_at_inner 3), header_get_mode_perm (dev, 1, 3) ) !dev
        in (wordarray_free [U8] (st, dev), r)
"#;

#[test]
fn generated_bindings_run_on_both_interpreters() {
    let prelude = std::fs::read_to_string("../runtime/cdsl/prelude.cdsl").expect("prelude");
    let source = format!("{prelude}\n{DEVICE}\n{}", bindings());
    let mut sources = SourceMap::new();
    let file = sources.add("program.cdsl", source).expect("small");
    let (module, errors) = cdsl::syntax::parse_module(file, sources.text(file));
    let render = |d: Vec<cdsl::diagnostics::Diagnostic>| cdsl::diagnostics::render_to_string(&sources, &d);
    assert!(errors.is_empty(), "{}", render(errors.iter().map(|e| e.to_diagnostic()).collect()));
    let typed = cdsl::typeck::check_program(&[&module])
        .unwrap_or_else(|errors| panic!("{}", render(errors.iter().map(|e| e.to_diagnostic()).collect())));
    let core = lower::lower(&typed);
    let w = |bits, v| Value::word(bits, v);
    let expected = Value::tuple(vec![
        Value::SysState,
        Value::tuple(vec![
            w(16, 0xCAFE),
            w(16, 0x456),
            w(16, 0xA),
            w(32, 0x101),
            w(64, 0x0102030405060708),
            w(64, 0x0102030405060708),
            w(16, 0xBEEF),
            w(8, 9),
            w(32, 0xDEADBEEF),
            w(16, 0x7777),
            w(16, 0x5555),
            w(16, 0xA456),
            w(32, 0x11223344),
            // `big` (bytes 8..12) is big-endian: 0x11 first, 0x44 last.
            w(32, 0x11),
            w(32, 0x44),
            // `wide` (12..20) little-endian, `wide_be` (20..28) big-endian.
            w(32, 0x05060708),
            w(32, 0x01),
            w(32, 0x08),
            // `Inner` is 4 bytes; `Header` has no size (`name` varies).
            w(32, 4),
            w(16, 0x7777),
            w(16, 0x456),
        ]),
    ]);
    match run_both(&core, &Library::default(), "fields", Value::SysState, 1_000_000) {
        Agreement::Agree(v) => assert_eq!(v, expected),
        other => panic!("{other:?}"),
    }
}

/// `ddsl gen --emit cdsl-fields`: the ext2 layout's bindings over two word
/// accesses, rewritten only when they change; a malformed `--access` is a
/// usage error.
#[test]
fn the_cli_writes_the_bindings_once() {
    let out = cdsl_test_support::scratch("ddsl-cdsl-fields", "cli");
    let run = |access: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_ddsl"));
        command.args(["gen", "../fs-examples/ext2/ext2.ddsl", "--emit", "cdsl-fields", "-o"]).arg(&out);
        for a in access {
            command.args(["--access", a]);
        }
        command.output().expect("ddsl runs")
    };
    let two = ["block=Dev,dev_le,dev_set", "bytes=Buf,le,set"];
    assert!(run(&two).status.success());
    let path = out.join("ext2_fields.cdsl");
    let text = std::fs::read_to_string(&path).expect("written");
    assert!(text.contains("inode_get_i_links_count : (Dev!, U32, U32) -> U16\n"), "{text}");
    assert!(text.contains("buf_dir_entry_get_rec_len : (Buf!, U32) -> U16\n"), "{text}");
    let written = std::fs::metadata(&path).and_then(|m| m.modified()).expect("mtime");
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert!(run(&two).status.success());
    assert_eq!(std::fs::metadata(&path).and_then(|m| m.modified()).expect("mtime"), written, "rewritten");
    let bad = run(&["disk=Dev,dev_le,dev_set"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("expected `block=TYPE,READ,WRITE`"));
    let _ = std::fs::remove_dir_all(&out);
}
