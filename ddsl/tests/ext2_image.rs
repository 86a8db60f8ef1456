//! The ext2 layout against real images from `mke2fs -t ext2` (1 KiB and
//! 4 KiB blocks): `ddsl dump` must agree with `dumpe2fs`, the decoder must
//! follow pointers from the root inode to its directory entries, and
//! corrupted images must give faults with path and byte offset. Skipped,
//! with a printed reason, where e2fsprogs is not installed.

use cdsl::source::SourceMap;
use ddsl::check::Checked;
use ddsl::decode::{Decoder, FaultKind, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const MKE2FS: &str = "/usr/sbin/mke2fs";
const DUMPE2FS: &str = "/usr/sbin/dumpe2fs";

fn tool(name: &str) -> Option<PathBuf> {
    let path = Path::new(name);
    if path.exists() {
        return Some(path.to_owned());
    }
    let base = path.file_name()?;
    std::env::var_os("PATH")?.to_str()?.split(':').map(|dir| Path::new(dir).join(base)).find(|p| p.exists())
}

/// A fresh image with the given block size, or `None` (and a printed
/// reason) without mke2fs.
fn image(block_size: u32, name: &str) -> Option<PathBuf> {
    let Some(mke2fs) = tool(MKE2FS) else {
        eprintln!("skipped: mke2fs is not installed (e2fsprogs); `make deps` installs it");
        return None;
    };
    let dir = cdsl_test_support::scratch_shared("ddsl-ext2", name);
    let path = dir.join("disk.img");
    let _ = std::fs::remove_file(&path);
    let status = Command::new(mke2fs)
        .args(["-q", "-F", "-t", "ext2", "-b", &block_size.to_string()])
        .arg(&path)
        .arg(if block_size == 1024 { "4M" } else { "16M" })
        .status()
        .expect("mke2fs runs");
    assert!(status.success(), "mke2fs failed");
    Some(path)
}

fn dumpe2fs(image: &Path) -> String {
    let dumpe2fs = tool(DUMPE2FS).expect("dumpe2fs comes with mke2fs");
    let out = Command::new(dumpe2fs).arg(image).output().expect("dumpe2fs runs");
    assert!(out.status.success(), "dumpe2fs failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `Key:   value` lines of `dumpe2fs -h`, first number of the value.
fn header_numbers(text: &str) -> HashMap<String, u64> {
    text.lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            let number = value.split_whitespace().next()?.parse().ok()?;
            Some((key.trim().to_owned(), number))
        })
        .collect()
}

/// `name = value` lines of `ddsl dump`, by their path (`sb.s_magic`, `gdt[0].bg_inode_table`).
fn dump_numbers(text: &str) -> HashMap<String, u64> {
    let mut out = HashMap::new();
    let mut root = String::new();
    let mut element = String::new();
    for line in text.lines() {
        if !line.starts_with(' ') {
            root = line.split(" @").next().unwrap_or("").to_owned();
            continue;
        }
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            element = trimmed.split(']').next().unwrap_or("").to_owned() + "]";
            continue;
        }
        let Some((name, value)) = trimmed.split_once(" = ") else { continue };
        let Some(Ok(number)) = value.split_whitespace().next().map(str::parse::<u64>) else { continue };
        let path = if line.starts_with("    ") { format!("{root}{element}.{name}") } else { format!("{root}.{name}") };
        out.insert(path, number);
    }
    out
}

fn ddsl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ddsl")).args(args).output().expect("ddsl runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

fn dump_agrees_with_dumpe2fs(block_size: u32) {
    let Some(image) = image(block_size, &format!("dump{block_size}")) else { return };
    let (code, stdout, stderr) = ddsl(&["dump", "../fs-examples/ext2/ext2.ddsl", image.to_str().expect("utf-8 path")]);
    assert_eq!(code, 0, "ddsl dump failed:\n{stderr}");
    let ours = dump_numbers(&stdout);
    let dumpe2fs = dumpe2fs(&image);
    let theirs = header_numbers(&dumpe2fs);
    let pairs = [
        ("Inode count", "sb.s_inodes_count"),
        ("Block count", "sb.s_blocks_count"),
        ("Reserved block count", "sb.s_r_blocks_count"),
        ("Free blocks", "sb.s_free_blocks_count"),
        ("Free inodes", "sb.s_free_inodes_count"),
        ("First block", "sb.s_first_data_block"),
        ("Blocks per group", "sb.s_blocks_per_group"),
        ("Inodes per group", "sb.s_inodes_per_group"),
        ("Filesystem revision #", "sb.s_rev_level"),
        ("First inode", "sb.s_first_ino"),
        ("Inode size", "sb.s_inode_size"),
        ("Reserved GDT blocks", "sb.s_reserved_gdt_blocks"),
    ];
    for (key, path) in pairs {
        // dumpe2fs leaves out "Reserved GDT blocks" when there are none.
        let expected = theirs.get(key).copied().or((key == "Reserved GDT blocks").then_some(0));
        assert_eq!(ours.get(path).copied(), expected, "{path} vs dumpe2fs `{key}`\n{stdout}");
    }
    assert_eq!(ours.get("sb.s_magic"), Some(&0xEF53));
    assert_eq!(theirs.get("Block size").copied(), ours.get("sb.s_log_block_size").map(|l| 1024 << l));
    // Group descriptors: "Block bitmap at 18 (+17)", "Inode table at 20-275".
    let mut group = 0;
    let mut checked = 0;
    for line in dumpe2fs.lines() {
        if let Some(rest) = line.strip_prefix("Group ") {
            group = rest.split(':').next().and_then(|g| g.trim().parse().ok()).expect("group number");
        }
        for (key, field) in [
            ("Block bitmap at ", "bg_block_bitmap"),
            ("Inode bitmap at ", "bg_inode_bitmap"),
            ("Inode table at ", "bg_inode_table"),
        ] {
            if let Some(rest) = line.trim().strip_prefix(key) {
                let block: u64 =
                    rest.split(|c: char| !c.is_ascii_digit()).next().and_then(|n| n.parse().ok()).expect("block");
                assert_eq!(ours.get(&format!("gdt[{group}].{field}")), Some(&block), "group {group} {field}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 3, "no group descriptors found in dumpe2fs output");
}

#[test]
fn dump_agrees_with_dumpe2fs_on_1k_blocks() {
    dump_agrees_with_dumpe2fs(1024);
}

#[test]
fn dump_agrees_with_dumpe2fs_on_4k_blocks() {
    dump_agrees_with_dumpe2fs(4096);
}

fn ext2() -> Checked {
    let text = std::fs::read_to_string("../fs-examples/ext2/ext2.ddsl").expect("ext2.ddsl");
    let mut sources = SourceMap::new();
    let file = sources.add("ext2.ddsl", text.clone()).expect("small file");
    let (checked, diagnostics) = ddsl::check_text(file, &text);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    checked.expect("checked")
}

fn names(value: &Value) -> Vec<String> {
    let Value::Struct(block) = value else { return Vec::new() };
    let Some(Value::Array(entries)) = block.field("entries") else { return Vec::new() };
    entries
        .iter()
        .filter_map(|e| match e {
            Value::Struct(entry) => match entry.field("name") {
                Some(Value::Bytes(name)) => Some(String::from_utf8_lossy(name).into_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn pointers_lead_from_the_root_inode_to_its_directory_entries() {
    for block_size in [1024, 4096] {
        let Some(path) = image(block_size, &format!("root{block_size}")) else { return };
        let bytes = std::fs::read(&path).expect("image");
        let layout = ext2();
        let mut decoder = Decoder::new(&layout, &bytes);
        decoder.decode_roots();
        let addr = decoder.address("inode", 2).expect("inode 2 has an address");
        let inode = decoder.decode_struct_at("Inode", addr, "inode[2]");
        let Value::Struct(inode) = inode else { panic!("inode 2 not decoded: {:?}", decoder.faults()) };
        let Some(Value::Variant { arm, value }) = inode.field("i_block") else { panic!("no i_block") };
        assert_eq!(arm, "dir", "the root inode is a directory");
        let Value::Struct(map) = &**value else { panic!("no block map") };
        let Some(Value::Array(direct)) = map.field("direct") else { panic!("no direct blocks") };
        let Some(Value::Pointer { target: Some(target), .. }) = direct.first() else { panic!("no first block") };
        assert_eq!(target.ty, "DirBlock");
        let block = decoder.decode_struct_at("DirBlock", target.addr, "root.block[0]");
        assert_eq!(names(&block), [".", "..", "lost+found"]);
        assert!(decoder.faults().is_empty(), "{:?}", decoder.faults());
    }
}

fn corrupt(block_size: u32, name: &str, offset: usize, bytes: &[u8]) -> Option<PathBuf> {
    let path = image(block_size, name)?;
    let mut image = std::fs::read(&path).expect("image");
    image[offset..offset + bytes.len()].copy_from_slice(bytes);
    std::fs::write(&path, image).expect("write image");
    Some(path)
}

#[test]
fn a_bad_magic_is_a_fault_with_path_and_offset() {
    let Some(path) = corrupt(1024, "magic", 1024 + 56, &[0x34, 0x12]) else { return };
    let (code, stdout, stderr) = ddsl(&["dump", "../fs-examples/ext2/ext2.ddsl", path.to_str().expect("utf-8")]);
    assert_eq!(code, 1);
    assert!(stderr.contains("fault: sb.s_magic (byte 1080): bad magic 0x1234, expected 0xef53"), "{stderr}");
    // Decoding went on: the group descriptors are still there.
    assert!(stdout.contains("bg_inode_table = "), "{stdout}");
}

#[test]
fn an_unknown_incompatible_feature_stops_decoding() {
    // 0x40 is ext4's `extents`: not in ext2.ddsl's `features` list.
    let Some(path) = corrupt(1024, "feature", 1024 + 96, &[0x42, 0, 0, 0]) else { return };
    let bytes = std::fs::read(&path).expect("image");
    let layout = ext2();
    let mut decoder = Decoder::new(&layout, &bytes);
    let roots = decoder.decode_roots();
    assert_eq!(roots.len(), 1, "nothing after the superblock is decoded");
    let faults = decoder.faults();
    assert_eq!(faults.len(), 1, "{faults:?}");
    assert_eq!(faults[0].kind, FaultKind::UnsupportedFeature { name: None, mask: 0x40 });
    assert_eq!((faults[0].path.as_str(), faults[0].offset), ("sb.s_feature_incompat", 1120));
}

#[test]
fn a_truncated_image_reports_where_it_ends() {
    let Some(path) = image(1024, "truncated") else { return };
    let bytes = std::fs::read(&path).expect("image");
    let layout = ext2();
    let mut decoder = Decoder::new(&layout, &bytes[..1100]);
    let roots = decoder.decode_roots();
    let Value::Struct(sb) = &roots[0].value else { panic!("superblock not partly decoded") };
    assert_eq!(sb.field("s_magic"), Some(&Value::Int(0xEF53)), "fields before the end are kept");
    let first = &decoder.faults()[0];
    assert!(matches!(first.kind, FaultKind::OutOfBounds { .. }), "{first}");
}
