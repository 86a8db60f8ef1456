//! No input makes the front end, the checker, the renderer or the decoder
//! panic or hang: random token soup and mutated `ext2.ddsl` as layouts, and
//! randomly corrupted ext2 images decoded by following every pointer from
//! the root directory. Every diagnostic's span lies inside its file.
//!
//! The same corrupted images go through `walk` and `fsck` with small budgets.
//!
//! About 12,000 cases in the normal suite; `DDSL_FUZZ_CASES` scales it up.

use cdsl::diagnostics::render_to_string;
use cdsl::source::SourceMap;
use ddsl::check::Checked;
use ddsl::decode::{Decoder, Value};
use proptest::prelude::*;
use std::sync::OnceLock;

fn cases(default: u32) -> u32 {
    std::env::var("DDSL_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(default)
}

fn ext2_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| std::fs::read_to_string("../fs-examples/ext2/ext2.ddsl").expect("ext2.ddsl"))
}

fn ext2() -> &'static Checked {
    static LAYOUT: OnceLock<Checked> = OnceLock::new();
    LAYOUT.get_or_init(|| check(ext2_text()).expect("ext2.ddsl checks"))
}

/// Checks `text`, asserting every diagnostic lies inside it and renders.
fn check(text: &str) -> Option<Checked> {
    let mut sources = SourceMap::new();
    let file = sources.add("fuzz.ddsl", text.to_owned()).expect("small file");
    let (checked, diagnostics) = ddsl::check_text(file, text);
    for d in &diagnostics {
        let spans = std::iter::once(d.primary.span).chain(d.secondary.iter().map(|l| l.span));
        for span in spans {
            assert!(span.start <= span.end && span.end as usize <= text.len(), "span {span:?} outside the file");
        }
    }
    let _ = render_to_string(&sources, &diagnostics);
    assert_eq!(checked.is_some(), diagnostics.is_empty());
    checked
}

const WORDS: &[&str] = &[
    "struct",
    "endian",
    "le",
    "be",
    "const",
    "addr",
    "root",
    "at",
    "size",
    "pad",
    "assert",
    "bits",
    "flags",
    "features",
    "unsupported",
    "select",
    "via",
    "when",
    "mark",
    "it",
    "u8",
    "u16",
    "u32",
    "u64",
    "A",
    "B",
    "x",
    "y",
    "n",
    "0",
    "1",
    "7",
    "0xFFFF",
    "18446744073709551615",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ";",
    ":",
    ",",
    "=",
    "->",
    "=>",
    "@",
    ".",
    "..",
    "_",
    "+",
    "-",
    "*",
    "/",
    "%",
    "<<",
    ">>",
    "&",
    "|",
    "^",
    "~",
    "!",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "&&",
    "||",
    "\"m\"",
    "\n",
    "\n  ",
    "--c\n",
    "$",
    "\"",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..60).prop_map(|words| words.join(" "))
}

#[derive(Clone, Debug)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, &'static str),
    Replace(usize, usize, &'static str),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), 1..20usize).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), prop::sample::select(WORDS)).prop_map(|(at, w)| Edit::Insert(at, w)),
        (any::<usize>(), 1..8usize, prop::sample::select(WORDS)).prop_map(|(at, n, w)| Edit::Replace(at, n, w)),
    ];
    prop::collection::vec(edit, 1..4)
}

fn mutate(text: &str, edits: &[Edit]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for edit in edits {
        let len = bytes.len().max(1);
        match edit {
            Edit::Delete(at, n) => {
                let at = at % len;
                let end = (at + n).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            Edit::Insert(at, word) => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, word.bytes());
            }
            Edit::Replace(at, n, word) => {
                let at = at % len;
                let end = (at + n).min(bytes.len());
                bytes.splice(at.min(end)..end, word.bytes());
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A small, valid ext2 image built by hand (no e2fsprogs needed): 1 KiB
/// blocks, one group, a root directory with `.`, `..` and `lost+found`.
fn base_image() -> &'static [u8] {
    static IMAGE: OnceLock<Vec<u8>> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let mut image = vec![0u8; 64 * 1024];
        let mut put = |offset: usize, bytes: &[u8]| image[offset..offset + bytes.len()].copy_from_slice(bytes);
        let sb = 1024;
        for (offset, value) in [(0, 32u32), (4, 64), (20, 1), (24, 0), (32, 8192), (40, 32), (76, 1), (84, 11)] {
            put(sb + offset, &value.to_le_bytes());
        }
        put(sb + 56, &0xEF53u16.to_le_bytes());
        put(sb + 88, &128u16.to_le_bytes());
        put(sb + 96, &2u32.to_le_bytes()); // filetype
                                           // Group 0: bitmaps in blocks 3 and 4, inode table in 5..9.
        for (offset, value) in [(0, 3u32), (4, 4), (8, 5)] {
            put(2048 + offset, &value.to_le_bytes());
        }
        // Inode 2: a directory whose first block is block 10.
        let inode = 5 * 1024 + 128;
        put(inode, &0x41EDu16.to_le_bytes());
        put(inode + 4, &1024u32.to_le_bytes());
        put(inode + 26, &3u16.to_le_bytes());
        put(inode + 28, &2u32.to_le_bytes());
        put(inode + 40, &10u32.to_le_bytes());
        let dir = 10 * 1024;
        let entries: [(u32, u16, &[u8], u8); 3] = [(2, 12, b".", 2), (2, 12, b"..", 2), (11, 1000, b"lost+found", 2)];
        let mut at = dir;
        for (ino, rec_len, name, kind) in entries {
            put(at, &ino.to_le_bytes());
            put(at + 4, &rec_len.to_le_bytes());
            put(at + 6, &[name.len() as u8, kind]);
            put(at + 8, name);
            at += rec_len as usize;
        }
        image
    })
}

/// Decodes the roots, then every structure reachable by pointers from the
/// root inode, breadth first, up to `limit` structures.
fn walk(layout: &Checked, image: &[u8], limit: usize) -> usize {
    let mut decoder = Decoder::new(layout, image).with_budget(50_000);
    let roots = decoder.decode_roots();
    let mut queue: Vec<(String, u64)> = Vec::new();
    for root in &roots {
        targets(&root.value, &mut queue);
    }
    if let Ok(addr) = decoder.address("inode", 2) {
        queue.insert(0, ("Inode".to_owned(), addr));
    }
    let mut seen = 0;
    while seen < queue.len() && seen < limit {
        let (ty, addr) = queue[seen].clone();
        let value = decoder.decode_struct_at(&ty, addr, &format!("{ty}@{addr}"));
        targets(&value, &mut queue);
        seen += 1;
    }
    for fault in decoder.faults() {
        let _ = fault.to_string();
    }
    decoder.faults().len()
}

fn targets(value: &Value, out: &mut Vec<(String, u64)>) {
    match value {
        Value::Pointer { target: Some(t), .. } => out.push((t.ty.clone(), t.addr)),
        Value::Array(items) => items.iter().for_each(|v| targets(v, out)),
        Value::Struct(s) => s.fields.iter().for_each(|(_, v)| targets(v, out)),
        Value::Variant { value, .. } => targets(value, out),
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum Corruption {
    /// Overwrite bytes in the metadata area (first 12 KiB).
    Bytes(Vec<(u16, u8)>),
    /// Truncate the image.
    Truncate(u32),
}

fn corruption() -> impl Strategy<Value = Corruption> {
    prop_oneof![
        4 => prop::collection::vec((0..12 * 1024u16, any::<u8>()), 1..12).prop_map(Corruption::Bytes),
        1 => (0..64 * 1024u32).prop_map(Corruption::Truncate),
    ]
}

#[test]
fn the_hand_built_image_decodes_cleanly() {
    assert_eq!(walk(ext2(), base_image(), 64), 0, "the fuzzing base image must be valid");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(4000), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn token_soup_never_panics(text in soup()) {
        check(&text);
    }

    #[test]
    fn mutated_ext2_layouts_never_panic(edits in edits()) {
        let text = mutate(ext2_text(), &edits);
        if let Some(layout) = check(&text) {
            // A mutation that still checks is a different layout: decode with it.
            walk(&layout, base_image(), 16);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(3000), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn corrupted_images_never_panic(corruption in corruption()) {
        let mut image = base_image().to_vec();
        match corruption {
            Corruption::Bytes(writes) => {
                for (at, byte) in writes {
                    image[at as usize] = byte;
                }
            }
            Corruption::Truncate(len) => image.truncate(len as usize),
        }
        walk(ext2(), &image, 32);
    }

    #[test]
    fn random_bytes_never_panic(image in prop::collection::vec(any::<u8>(), 0..4096)) {
        walk(ext2(), &image, 8);
    }
}

/// `ddsl walk` (with and without a path) and `ddsl fsck` as the library runs
/// them, with small budgets;
/// every violation renders and lies inside the image or names a check.
fn walk_and_fsck(image: &[u8]) -> usize {
    let mut decoder = Decoder::new(ext2(), image).with_budget(50_000);
    let walked = ddsl::walk::walk(&mut decoder, 200);
    assert!(walked.nodes.len() <= 200 + 2, "the node budget holds (roots aside)");
    let _ = ddsl::walk::render(&walked);
    // Path lookup (`ddsl walk SPEC IMAGE PATH --cat`) on the same decoder.
    for path in ["/", "/lost+found", "/a/b/c"] {
        match ddsl::lookup::lookup(ext2(), &mut decoder, &walked, path, true) {
            Ok(found) => {
                let _ = ddsl::lookup::read_file(ext2(), &mut decoder, &found, path).map_err(|e| e.to_string());
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    let report = ddsl::fsck::fsck_with_budget(ext2(), image, 200, 50_000);
    for violation in &report.violations {
        assert!(!violation.to_string().is_empty());
    }
    // `fsck --fix` and `alloc`: fixes lie in the image, or are refused.
    let mut copy = image.to_vec();
    let _ = ddsl::fsck::apply(&mut copy, &report.fixes);
    if let Ok(allocation) = ddsl::fsck::allocate(ext2(), image, "blocks", 200) {
        assert!(ddsl::fsck::apply(&mut copy, &allocation.fixes).is_ok(), "an allocation writes inside the image");
    }
    report.violations.len()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(400), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn walk_and_fsck_never_panic_on_corrupted_images(corruption in corruption()) {
        let mut image = base_image().to_vec();
        match corruption {
            Corruption::Bytes(writes) => {
                for (at, byte) in writes {
                    image[at as usize] = byte;
                }
            }
            Corruption::Truncate(len) => image.truncate(len as usize),
        }
        walk_and_fsck(&image);
    }

    #[test]
    fn walk_and_fsck_never_panic_on_random_bytes(image in prop::collection::vec(any::<u8>(), 0..4096)) {
        walk_and_fsck(&image);
    }
}

#[test]
fn fsck_finds_what_the_hand_built_image_leaves_out() {
    // The base image has empty bitmaps: every used block and inode is free in them.
    let report = ddsl::fsck::fsck(ext2(), base_image(), 1000);
    let text: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|v| v.starts_with("inodes#2 (byte 4096): in use")), "{text:#?}");
    assert!(text.iter().any(|v| v.starts_with("blocks#10 (byte 3073): in use")), "{text:#?}");
}
