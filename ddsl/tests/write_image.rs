//! `ddsl set` and `ddsl alloc --into` on real ext2 images, with e2fsprogs
//! as the oracle (skipped, with a printed reason, where it is missing), and
//! on a small synthetic layout with checksums:
//!
//! - a field set is read back by `debugfs`, and both `e2fsck -fn` and
//!   `ddsl fsck` stay clean;
//! - checksums over a written field are recomputed, innermost first;
//! - `alloc --into` a free block slot of a file gives a block `debugfs`
//!   maps and `ddsl fsck` accepts at once; with the inode's `i_blocks` and
//!   `i_size` set too (the layout derives neither), `e2fsck -fn` agrees;
//! - bad paths, values that do not fit, derived fields and pointers that
//!   cannot take the unit exit 1 with the path and byte offset, leaving
//!   the image as it was;
//! - no path or value makes the library panic.

use cdsl::source::SourceMap;
use ddsl::check::Checked;
use proptest::prelude::*;
mod common;

use common::{
    ddsl, debugfs, e2fsck, mke2fs_from, number_after, scratch, tools_present, utf8, word_after, EXT2, MKE2FS,
};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// An image with a one-block file `small`, a file `big` with indirect
/// blocks and a directory `sub`.
fn image(block_size: u32, name: &str) -> PathBuf {
    let dir = scratch("write", name);
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("sub")).expect("tree");
    std::fs::write(tree.join("small"), "hello\n").expect("small");
    let big: Vec<u8> = (0..60_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(tree.join("big"), big).expect("big");
    let path = dir.join("disk.img");
    mke2fs_from(&tree, block_size, &path);
    path
}

fn fsck(spec: &str, image: &Path) -> (i32, String) {
    let (code, stdout, _) = ddsl(&["fsck", spec, utf8(image)]);
    (code, stdout)
}

/// The path of inode `n` as the tools print it.
fn inode_path(n: u64) -> String {
    format!("gdt[0].bg_inode_table.inodes[{}]", n - 1)
}

#[test]
fn set_fields_are_read_back_by_debugfs() {
    if !tools_present() {
        return;
    }
    for block_size in [1024, 4096] {
        let image = image(block_size, &format!("set{block_size}"));
        let small = number_after(&debugfs(&image, "stat small", false), "Inode:");
        let inode = inode_path(small);
        // (field, value, debugfs request, key, what debugfs prints after it)
        let cases = [
            ("sb.s_max_mnt_count".to_owned(), "50", "stats", "Maximum mount count:", "50"),
            (format!("{inode}.i_uid"), "1234", "stat small", "User:", "1234"),
            (format!("{inode}.i_mode.perm"), "0o640", "stat small", "Mode:", "0640"),
            (format!("inodes#{small}.i_gid"), "0x4d", "stat small", "Group:", "77"),
            (format!("{inode}.i_osd2[6]"), "5", "stat small", "Group:", "327757"),
        ];
        for (field, value, request, key, expected) in &cases {
            let (code, stdout, stderr) = ddsl(&["set", EXT2, utf8(&image), field, value]);
            assert_eq!((code, stdout.as_str()), (0, ""), "set {field} {value}: {stderr}");
            assert!(stderr.starts_with(&format!("wrote: {field} (byte ")), "{stderr}");
            assert_eq!(word_after(&debugfs(&image, request, false), key), *expected, "{field} at {block_size}");
        }
        let (clean, report) = e2fsck(&image);
        assert!(clean, "e2fsck -fn after set ({block_size}): {report}");
        assert_eq!(fsck(EXT2, &image), (0, String::new()), "{block_size}-byte blocks");
    }
}

#[test]
fn bad_fields_and_values_exit_1_with_path_and_offset() {
    if !tools_present() {
        return;
    }
    let image = image(1024, "errors");
    let before = std::fs::read(&image).expect("image");
    let small = number_after(&debugfs(&image, "stat small", false), "Inode:");
    let inode = inode_path(small);
    // (field, value, the error after `error: `)
    let cases = [
        ("sb.s_magic".to_owned(), "1", "`sb.s_magic` (byte 1080): is a magic constant 0xef53"),
        (
            "gdt[0].bg_free_blocks_count".to_owned(),
            "1",
            "`gdt[0].bg_free_blocks_count` (byte 2060): is a `free` counter",
        ),
        ("sb.s_free_inodes_count".to_owned(), "1", "`sb.s_free_inodes_count` (byte 1040): is a `free` counter"),
        ("sb.s_inodes_per_group".to_owned(), "8", "`sb.s_inodes_per_group` (byte 1064): gives the length or size"),
        ("sb.s_log_block_size".to_owned(), "1", "`sb.s_log_block_size` (byte 1048): gives the length or size"),
        ("sb.s_max_mnt_count".to_owned(), "65536", "(byte 1078): 65536 does not fit in a u16 (at most 65535)"),
        (format!("{inode}.i_mode.kind"), "16", "16 does not fit in a bit field of 4 bits (at most 15)"),
        (format!("{inode}.i_block.file.direct[12]"), "0", "index 12 is past the end (12 items)"),
        (format!("{inode}.i_block.dir.direct[0]"), "0", "holds `file`, not `dir` (the arm its select chose)"),
        (format!("{inode}.i_block.nope"), "0", "has no arm `nope` (the arms: `unused`, `dir`, `link`, `file`)"),
        (format!("{inode}.i_blocks.x"), "0", "is an integer with no part `x`"),
        (format!("{inode}.i_block.file.direct[1].bytes[0]"), "0", "is a pointer that leads nowhere"),
        (format!("{inode}.i_block"), "0", "is a select (holding `file`), not an integer field"),
        ("sb".to_owned(), "0", "`sb` (byte 1024): is a `Superblock` structure, not an integer field"),
        ("sb.s_uuid".to_owned(), "0", "`sb.s_uuid` (byte 1128): is an array, not an integer field"),
        ("sb.nope".to_owned(), "0", "`sb` (byte 1024): `Superblock` has no field `nope` (its fields: s_inodes_count,"),
        ("nope.x".to_owned(), "0", "`nope`: no root `nope` (the roots: `sb`, `gdt`)"),
        ("gdt[1]".to_owned(), "0", "`gdt` (byte 2048): index 1 is past the end (1 items)"),
        ("gdt[0".to_owned(), "0", "`gdt[0`: expected `]` at character 6"),
        ("sb..x".to_owned(), "0", "`sb..x`: expected a field name after `.` at character 4"),
        ("".to_owned(), "0", "expected a root or space name at character 1"),
        ("blocks#3.x".to_owned(), "0", "`blocks#3`: no `links` item says which structure a unit of `blocks` is"),
        ("sb.s_max_mnt_count".to_owned(), "-1", "`-1` is not a number"),
        ("sb.s_max_mnt_count".to_owned(), "0x1_0000", "`0x1_0000` is not a number"),
        ("sb.s_max_mnt_count".to_owned(), "18446744073709551616", "does not fit in 64 bits"),
    ];
    for (field, value, expected) in &cases {
        let (code, stdout, stderr) = ddsl(&["set", EXT2, utf8(&image), field, value]);
        assert_eq!((code, stdout.as_str()), (1, ""), "set {field} {value}: {stderr}");
        assert!(stderr.starts_with("error: ") && stderr.contains(expected), "set {field} {value}:\n{stderr}");
    }
    assert!(std::fs::read(&image).expect("image") == before, "a refused write changed the image");
}

#[test]
fn alloc_into_a_free_slot_leaves_the_image_clean() {
    if !tools_present() {
        return;
    }
    for block_size in [1024u64, 4096] {
        let image = image(block_size as u32, &format!("alloc{block_size}"));
        let small = number_after(&debugfs(&image, "stat small", false), "Inode:");
        let inode = inode_path(small);
        let blocks = number_after(&debugfs(&image, "stat small", false), "Blockcount:");
        let slot = format!("{inode}.i_block.file.direct[1]");
        let (code, stdout, stderr) = ddsl(&["alloc", EXT2, utf8(&image), "blocks", "--into", &slot]);
        assert_eq!(code, 0, "{stderr}");
        let unit: u64 = stdout.trim().parse().expect("a block number");
        assert!(stderr.contains(&format!("wrote: blocks#{unit} (byte ")), "{stderr}");
        assert!(stderr.contains(&format!("wrote: {slot} (byte ")), "{stderr}");
        assert_eq!(debugfs(&image, "bmap small 1", false).trim(), unit.to_string());
        assert_eq!(fsck(EXT2, &image), (0, String::new()), "ddsl fsck after alloc --into ({block_size})");
        // The layout derives neither i_blocks nor i_size: e2fsck wants them
        // right, and they are the caller's.
        let (clean, report) = e2fsck(&image);
        assert!(!clean && report.contains("i_blocks"), "{report}");
        let sectors = (blocks + block_size / 512).to_string();
        let size = (2 * block_size).to_string();
        for (field, value) in [("i_blocks", sectors.as_str()), ("i_size", size.as_str())] {
            let (code, _, stderr) = ddsl(&["set", EXT2, utf8(&image), &format!("{inode}.{field}"), value]);
            assert_eq!(code, 0, "{stderr}");
        }
        let (clean, report) = e2fsck(&image);
        assert!(clean, "e2fsck -fn after alloc --into and set ({block_size}): {report}");
        assert_eq!(fsck(EXT2, &image), (0, String::new()));
    }
}

#[test]
fn alloc_into_refuses_what_would_not_be_consistent() {
    if !tools_present() {
        return;
    }
    let image = image(1024, "alloc-errors");
    let before = std::fs::read(&image).expect("image");
    let small = number_after(&debugfs(&image, "stat small", false), "Inode:");
    let inode = inode_path(small);
    let block = debugfs(&image, "bmap small 0", false).trim().to_owned();
    // (space, field, the error: parts separated by `|`)
    let cases = [
        ("blocks", format!("{inode}.i_block.file.direct[0]"), format!("already points to blocks#{block}")),
        ("blocks", format!("{inode}.i_size"), "is not a pointer that owns or refers to units of blocks".to_owned()),
        ("inodes", format!("{inode}.i_block.file.direct[1]"), "points into blocks, not inodes".to_owned()),
        ("nope", format!("{inode}.i_block.file.direct[1]"), "points into blocks, not nope".to_owned()),
        ("blocks", "gdt[0].bg_free_blocks_count".to_owned(), "is a `free` counter".to_owned()),
        // A zeroed block as the root directory's second block: its entries
        // would not tile it, so nothing is written.
        (
            "blocks",
            "inodes#2.i_block.dir.direct[1]".to_owned(),
            "would leave the image inconsistent|inodes[1].i_block.dir.direct[1].entries[0] (byte \
             |size 0 is smaller than the 8 bytes its fields take); nothing written"
                .to_owned(),
        ),
    ];
    for (space, field, expected) in &cases {
        let (code, stdout, stderr) = ddsl(&["alloc", EXT2, utf8(&image), space, "--into", field]);
        assert_eq!((code, stdout.as_str()), (1, ""), "alloc {space} --into {field}: {stderr}");
        let all = expected.split('|').all(|part| stderr.contains(part));
        assert!(stderr.starts_with("error: ") && all, "{field}:\n{stderr}");
    }
    assert!(std::fs::read(&image).expect("image") == before, "a refused allocation changed the image");
}

/// A layout with a crc16 inside a crc32c that covers it, fields after a
/// variable-length array, a big-endian field, bit fields and a flag.
const SUMS: &str = "\
endian le;
root hdr: Header at 0;
struct Header size 64 {
  magic: u32 = 0x31534444;
  mode:  u16 bits { kind: 4; level: 12; };
  inner: Inner;
  count: u8;
  items: [u8; count];
  tail:  u16 flags { dirty = 0x8000; };
  sum:   u32 checksum crc32c(0 .. 64);
}
struct Inner size 16 {
  a:   u32;
  b:   u32 be;
  pad 4;
  sum: u16 checksum crc16(0 .. 16);
  pad 2;
}
";

/// The SUMS image: 3 items, checksums made right by `fsck --fix`.
fn sums_image(dir: &Path) -> (PathBuf, PathBuf) {
    let spec = dir.join("sums.ddsl");
    std::fs::write(&spec, SUMS).expect("spec");
    let mut bytes = vec![0u8; 64];
    bytes[..4].copy_from_slice(&0x3153_4444u32.to_le_bytes());
    bytes[22] = 3;
    let image = dir.join("sums.img");
    std::fs::write(&image, &bytes).expect("image");
    let (code, _, stderr) = ddsl(&["fsck", "--fix", utf8(&spec), utf8(&image)]);
    assert_eq!(code, 0, "{stderr}");
    (spec, image)
}

/// (field, value, byte offset, the bytes there after, checksums rewritten)
type Case = (&'static str, &'static str, usize, &'static [u8], &'static [&'static str]);

#[test]
fn checksums_over_a_written_field_are_recomputed() {
    let dir = scratch("write", "sums");
    let (spec, image) = sums_image(&dir);
    let (spec, path) = (utf8(&spec), utf8(&image));
    let cases: [Case; 7] = [
        ("hdr.inner.a", "7", 6, &[7, 0, 0, 0], &["hdr.inner.sum", "hdr.sum"]),
        ("hdr.inner.b", "0x01020304", 10, &[1, 2, 3, 4], &["hdr.inner.sum", "hdr.sum"]),
        ("hdr.mode.level", "0xabc", 4, &[0xc0, 0xab], &["hdr.sum"]),
        ("hdr.mode.kind", "5", 4, &[0xc5, 0xab], &["hdr.sum"]),
        ("hdr.items[2]", "255", 25, &[255], &["hdr.sum"]),
        ("hdr.tail", "0xbeef", 26, &[0xef, 0xbe], &["hdr.sum"]),
        ("hdr.tail.dirty", "0", 26, &[0xef, 0x3e], &["hdr.sum"]),
    ];
    for (field, value, at, expected, sums) in cases {
        let old = std::fs::read(&image).expect("image");
        let (code, _, stderr) = ddsl(&["set", spec, path, field, value]);
        assert_eq!(code, 0, "{stderr}");
        let new = std::fs::read(&image).expect("image");
        assert_eq!(&new[at..at + expected.len()], expected, "{field}");
        let wrote: Vec<&str> = stderr.lines().filter_map(|l| l.strip_prefix("wrote: ")?.split(' ').next()).collect();
        assert_eq!(wrote[0], field);
        assert_eq!(&wrote[1..], sums, "{field}");
        assert_ne!(old[28..32], new[28..32], "{field}: hdr.sum unchanged");
        assert_eq!(fsck(spec, &image), (0, String::new()), "{field}");
    }
    let before = std::fs::read(&image).expect("image");
    let refused = [
        ("hdr.sum", "checksum"),
        ("hdr.inner.sum", "`hdr.inner.sum` (byte 18): is a crc16 checksum"),
        ("hdr.count", "`hdr.count` (byte 22): gives the length or size of part of its `Header`"),
        ("hdr.magic", "is a magic constant 0x31534444"),
        ("hdr.mode.level", "4096 does not fit in a bit field of 12 bits (at most 4095)"),
        ("hdr.tail.dirty", "`hdr.tail.dirty` (byte 26): 2 is not a flag value (0 or 1)"),
    ];
    for (field, expected) in refused {
        let value = match field {
            "hdr.mode.level" => "4096",
            "hdr.tail.dirty" => "2",
            _ => "1",
        };
        let (code, _, stderr) = ddsl(&["set", spec, path, field, value]);
        assert_eq!(code, 1, "{field}");
        assert!(stderr.contains(expected), "{field}: {stderr}");
    }
    assert!(std::fs::read(&image).expect("image") == before);
}

fn checked(text: &str) -> Checked {
    let mut sources = SourceMap::new();
    let file = sources.add("layout.ddsl", text.to_owned()).expect("small file");
    ddsl::check_text(file, text).0.expect("the layout checks")
}

/// A small ext2 image (or the SUMS one where e2fsprogs is missing), once.
fn fuzz_target() -> &'static (Checked, Vec<u8>) {
    static TARGET: OnceLock<(Checked, Vec<u8>)> = OnceLock::new();
    TARGET.get_or_init(|| {
        let dir = scratch("write", "fuzz");
        if Path::new(MKE2FS).exists() {
            let text = std::fs::read_to_string(EXT2).expect("ext2.ddsl");
            let image = image(1024, "fuzz-image");
            (checked(&text), std::fs::read(image).expect("image"))
        } else {
            let (_, image) = sums_image(&dir);
            (checked(SUMS), std::fs::read(image).expect("image"))
        }
    })
}

const PARTS: &[&str] = &[
    "sb",
    "gdt",
    "hdr",
    "inodes#",
    "blocks#",
    ".",
    "[",
    "]",
    "0",
    "1",
    "11",
    "12",
    "99999999999999999999",
    ".s_magic",
    ".s_max_mnt_count",
    ".bg_inode_table",
    ".bg_block_bitmap",
    ".inodes",
    ".i_block",
    ".file",
    ".dir",
    ".direct",
    ".indirect",
    ".blocks",
    ".entries",
    ".inode",
    ".rec_len",
    ".name",
    ".name_len",
    ".i_mode",
    ".kind",
    ".perm",
    ".bytes",
    ".bitmap",
    ".inner",
    ".sum",
    ".items",
    "#",
    "..",
    "é",
    " ",
];

fn field_path() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(prop::sample::select(PARTS), 0..12).prop_map(|parts| parts.concat()),
        "[a-z_#\\[\\]0-9.]{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_field_or_value_panics(field in field_path(), value in any::<u64>(), small in 0u64..4) {
        let (layout, image) = fuzz_target();
        let value = if small == 0 { value } else { value % 300 };
        if let Ok(fixes) = ddsl::write::set(layout, image, &field, value) {
            let mut out = image.clone();
            prop_assert!(ddsl::fsck::apply(&mut out, &fixes).is_ok());
        }
        let _ = ddsl::write::parse_value(&field);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// `alloc --into` runs `fsck` twice a case: fewer cases.
    #[test]
    fn no_alloc_into_panics(field in field_path(), space in prop::sample::select(&["blocks", "inodes", "nope"][..])) {
        let (layout, image) = fuzz_target();
        if let Ok((_, fixes)) = ddsl::write::alloc_into(layout, image, space, &field, 10_000) {
            let mut out = image.clone();
            prop_assert!(ddsl::fsck::apply(&mut out, &fixes).is_ok());
            prop_assert!(ddsl::fsck::fsck(layout, &out, 10_000).violations.is_empty());
        }
    }
}
