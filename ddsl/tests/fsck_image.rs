//! `ddsl walk` and `ddsl fsck` on real ext2 images, with e2fsprogs as the
//! oracle: images from `mke2fs -t ext2 -d DIR` (1 KiB and 4 KiB blocks; a
//! file with indirect blocks, a subdirectory, fast and slow symlinks) are
//! clean for both `e2fsck -fn` and `ddsl fsck`; each targeted corruption
//! (made with `debugfs -w` or by patching bytes) makes both complain, and
//! `ddsl fsck` names the broken structure by its path (summary counters at
//! their field). Skipped, with a
//! printed reason, where e2fsprogs is not installed.

mod common;

use common::{ddsl, debugfs, e2fsck, mke2fs_from, number_after, scratch, tools_present, utf8, EXT2};
use std::path::{Path, PathBuf};

/// A populated image: `big` needs indirect blocks at either block size.
fn image(block_size: u32, name: &str) -> PathBuf {
    let dir = scratch("fsck", name);
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("sub/deeper")).expect("tree");
    let big: Vec<u8> = (0..60_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(tree.join("big"), big).expect("big");
    std::fs::write(tree.join("small"), "hello\n").expect("small");
    std::fs::write(tree.join("sub/file"), "nested\n").expect("sub/file");
    std::os::unix::fs::symlink("small", tree.join("fast-link")).expect("fast symlink");
    std::os::unix::fs::symlink("x".repeat(80), tree.join("slow-link")).expect("slow symlink");
    let path = dir.join("disk.img");
    mke2fs_from(&tree, block_size, &path);
    path
}

fn e2fsck_clean(image: &Path) -> bool {
    e2fsck(image).0
}

fn inode_of(image: &Path, file: &str) -> u64 {
    number_after(&debugfs(image, &format!("stat {file}"), false), "Inode:")
}

fn block_of(image: &Path, file: &str, index: u64) -> u64 {
    debugfs(image, &format!("bmap {file} {index}"), false).trim().parse().expect("bmap prints a block number")
}

fn fsck(image: &Path) -> (i32, String) {
    let (code, stdout, _) = ddsl(&["fsck", EXT2, utf8(image)]);
    (code, stdout)
}

#[test]
fn populated_images_are_clean_for_e2fsck_and_ddsl_fsck() {
    if !tools_present() {
        return;
    }
    for block_size in [1024, 4096] {
        let image = image(block_size, &format!("clean{block_size}"));
        assert!(e2fsck_clean(&image), "e2fsck -fn: the fresh {block_size} image is not clean");
        let (code, stdout) = fsck(&image);
        assert_eq!((code, stdout.as_str()), (0, ""), "{block_size}-byte blocks");
    }
}

#[test]
fn walk_reaches_indirect_blocks_directories_and_symlinks() {
    if !tools_present() {
        return;
    }
    for block_size in [1024u64, 4096] {
        let image = image(block_size as u32, &format!("walk{block_size}"));
        let (code, stdout, stderr) =
            ddsl(&["walk", "../fs-examples/ext2/ext2.ddsl", image.to_str().expect("utf-8 path")]);
        assert_eq!(code, 0, "{stderr}");
        let big = inode_of(&image, "big");
        let slow = inode_of(&image, "slow-link");
        let indirect = format!("inodes[{}].i_block.file.indirect: IndirectBlock @ ", big - 1);
        assert!(stdout.contains(&indirect), "{indirect}\n{stdout}");
        let link = format!("inodes[{}].i_block.link.slow.direct[0]: DataBlock @ ", slow - 1);
        assert!(stdout.contains(&link), "{link}\n{stdout}");
        let root = block_of(&image, "<2>", 0) * block_size;
        assert!(stdout.contains(&format!("inodes[1].i_block.dir.direct[0]: DirBlock @ {root}\n")), "{stdout}");
        // Every structure once: no (offset, type) twice.
        let mut lines: Vec<&str> = stdout.lines().map(|l| l.split_once(": ").map_or(l, |(_, t)| t)).collect();
        let all = lines.len();
        lines.sort();
        lines.dedup();
        assert_eq!(lines.len(), all, "a structure was listed twice");
    }
}

/// One corruption: how to make it, and what `ddsl fsck` must say.
struct Case {
    name: &'static str,
    corrupt: fn(&Path, u64) -> Vec<String>,
}

fn freed_block(image: &Path, _: u64) -> Vec<String> {
    let block = block_of(image, "big", 3);
    debugfs(image, &format!("freeb {block}"), true);
    vec![format!("blocks#{block} "), "but free in the bitmap".to_owned()]
}

fn double_owner(image: &Path, _: u64) -> Vec<String> {
    let block = block_of(image, "big", 0);
    let small = inode_of(image, "small");
    debugfs(image, &format!("sif small block[0] {block}"), true);
    vec![format!("inodes[{}].i_block.file.direct[0] ", small - 1), format!("blocks#{block} is owned twice")]
}

fn link_count(image: &Path, _: u64) -> Vec<String> {
    let sub = inode_of(image, "sub");
    debugfs(image, "sif sub links_count 7", true);
    vec![format!("inodes#{sub}.i_links_count "), "i_links_count is 7, but 3 pointers point to it".to_owned()]
}

fn broken_rec_len(image: &Path, block_size: u64) -> Vec<String> {
    let root = block_of(image, "<2>", 0) * block_size;
    let mut bytes = std::fs::read(image).expect("image");
    // The `.` entry: rec_len 12 becomes 16, so `..` is read 4 bytes late.
    let at = usize::try_from(root + 4).expect("small image");
    assert_eq!(bytes.get(at..at + 2), Some(&[12u8, 0][..]), "`.` has rec_len 12");
    bytes[at] = 16;
    std::fs::write(image, bytes).expect("write image");
    vec!["inodes[1].i_block.dir.direct[0].entries[1]".to_owned()]
}

fn pointer_past_the_end(image: &Path, _: u64) -> Vec<String> {
    let small = inode_of(image, "small");
    debugfs(image, "sif small block[0] 99999", true);
    vec![format!("inodes[{}].i_block.file.direct[0] ", small - 1), "points to blocks#99999, outside blocks ".to_owned()]
}

fn bad_magic(image: &Path, _: u64) -> Vec<String> {
    let mut bytes = std::fs::read(image).expect("image");
    bytes[1080..1082].copy_from_slice(&[0, 0]);
    std::fs::write(image, bytes).expect("write image");
    vec!["sb.s_magic (byte 1080): bad magic 0x0, expected 0xef53".to_owned()]
}

fn entry_naming_a_free_inode(image: &Path, _: u64) -> Vec<String> {
    let small = inode_of(image, "small");
    debugfs(image, "freei small", true);
    vec![format!("inodes#{small} "), "].inode) but free in the bitmap".to_owned()]
}

fn group_free_count(image: &Path, _: u64) -> Vec<String> {
    debugfs(image, "set_bg 0 free_inodes_count 3", true);
    vec!["gdt[0].bg_free_inodes_count (byte ".to_owned(), "): is 3, but ".to_owned(), " of inodes#1..".to_owned()]
}

const CASES: &[Case] = &[
    Case { name: "freed", corrupt: freed_block },
    Case { name: "double", corrupt: double_owner },
    Case { name: "links", corrupt: link_count },
    Case { name: "reclen", corrupt: broken_rec_len },
    Case { name: "past", corrupt: pointer_past_the_end },
    Case { name: "groupfree", corrupt: group_free_count },
    Case { name: "magic", corrupt: bad_magic },
    Case { name: "freeinode", corrupt: entry_naming_a_free_inode },
];

/// e2fsck recomputes the superblock's free counts without complaint (they
/// may lag behind the groups'); `ddsl fsck` holds them to the layout's
/// `free` items like any other counter.
#[test]
fn a_wrong_superblock_free_count_is_reported_at_its_field() {
    if !tools_present() {
        return;
    }
    let image = image(1024, "sbfree");
    debugfs(&image, "ssv free_blocks_count 7", true);
    let (code, stdout) = fsck(&image);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with("sb.s_free_blocks_count (byte 1036): is 7, but "), "{stdout}");
    assert!(stdout.trim_end().ends_with(" of blocks#1..8192 are free"), "{stdout}");
}

#[test]
fn each_corruption_is_found_by_e2fsck_and_by_ddsl_fsck_at_its_path() {
    if !tools_present() {
        return;
    }
    let mut problems = Vec::new();
    for block_size in [1024u64, 4096] {
        let pristine = image(block_size as u32, &format!("corrupt{block_size}"));
        for case in CASES {
            let image = pristine.with_file_name(format!("{}.img", case.name));
            std::fs::copy(&pristine, &image).expect("copy image");
            let expected = (case.corrupt)(&image, block_size);
            if e2fsck_clean(&image) {
                problems.push(format!("{} ({block_size}): e2fsck -fn finds nothing", case.name));
            }
            let (code, stdout) = fsck(&image);
            let found = stdout.lines().any(|line| expected.iter().all(|e| line.contains(e.as_str())));
            if code != 1 || !found {
                problems.push(format!(
                    "{} ({block_size}): exit {code}, expected a line with {expected:?}:\n{stdout}",
                    case.name
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_node_budget_stops_the_walk_and_fsck_says_so() {
    if !tools_present() {
        return;
    }
    let image = image(1024, "budget");
    let path = image.to_str().expect("utf-8 path");
    let (code, stdout, stderr) = ddsl(&["walk", "../fs-examples/ext2/ext2.ddsl", path, "--max-nodes", "4"]);
    assert_eq!((code, stdout.lines().count()), (1, 4), "{stdout}");
    assert!(stderr.contains("stopped after 4 structures"), "{stderr}");
    let (code, stdout, _) = ddsl(&["fsck", "../fs-examples/ext2/ext2.ddsl", path, "--max-nodes", "4"]);
    assert_eq!(code, 1);
    assert!(stdout.contains("walk (byte 0): stopped after 4 structures"), "{stdout}");
}

/// `ddsl fsck --fix` rewrites wrong `free` counters from what is used: the
/// superblock's and a group's counts, broken with debugfs, come back to
/// exactly the bytes mke2fs wrote, and both checkers find the image clean.
#[test]
fn fix_rewrites_free_counters_to_the_bytes_mke2fs_wrote() {
    if !tools_present() {
        return;
    }
    for block_size in [1024u32, 4096] {
        let pristine = image(block_size, &format!("fix{block_size}"));
        let broken = pristine.with_file_name("broken.img");
        std::fs::copy(&pristine, &broken).expect("copy image");
        debugfs(&broken, "set_bg 0 free_inodes_count 3", true);
        debugfs(&broken, "set_bg 0 free_blocks_count 5", true);
        debugfs(&broken, "ssv free_blocks_count 7", true);
        assert!(!e2fsck_clean(&broken), "{block_size}: e2fsck finds the broken group counts");
        let path = broken.to_str().expect("utf-8 path");
        let (code, stdout, stderr) = ddsl(&["fsck", "--fix", "../fs-examples/ext2/ext2.ddsl", path]);
        assert_eq!((code, stdout.as_str()), (0, ""), "{block_size}: {stderr}");
        assert_eq!(stderr.matches("fixed: ").count(), 3, "{stderr}");
        assert!(stderr.contains("fixed: gdt[0].bg_free_blocks_count (byte "), "{stderr}");
        assert!(e2fsck_clean(&broken), "{block_size}: e2fsck -fn after --fix");
        let (fixed, original) = (std::fs::read(&broken).expect("image"), std::fs::read(&pristine).expect("image"));
        assert!(fixed == original, "{block_size}: the fixed image differs from what mke2fs wrote");
    }
}

/// `ddsl alloc` takes a free block (bitmap bit and free counters), so that
/// once an inode points at it — done here with debugfs, as a file system
/// would — both e2fsck and `ddsl fsck` find the image clean; the same
/// pointer without the allocation is an error for both.
#[test]
fn an_allocated_block_owned_by_a_file_keeps_the_image_clean() {
    if !tools_present() {
        return;
    }
    for block_size in [1024u32, 4096] {
        let pristine = image(block_size, &format!("alloc{block_size}"));
        let allocated = pristine.with_file_name("allocated.img");
        std::fs::copy(&pristine, &allocated).expect("copy");
        let (code, stdout, stderr) =
            ddsl(&["alloc", "../fs-examples/ext2/ext2.ddsl", allocated.to_str().expect("utf-8"), "blocks"]);
        assert_eq!(code, 0, "{stderr}");
        let unit: u64 = stdout.trim().parse().expect("a block number");
        assert_eq!(stderr.matches("wrote: ").count(), 3, "the bit and two counters: {stderr}");
        // Until something owns it, the unit counts as used in its bitmap
        // and counters but nothing uses it: exactly those three complaints.
        let (code, out) = fsck(&allocated);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!((code, lines.len()), (1, 3), "{out}");
        assert!(lines[0].starts_with(&format!("blocks#{unit} ")) && lines[0].contains("nothing uses it"), "{out}");
        assert!(lines[1].starts_with("sb.s_free_blocks_count (byte 1036): is "), "{out}");
        assert!(lines[2].starts_with("gdt[0].bg_free_blocks_count (byte "), "{out}");
        let unsafe_copy = pristine.with_file_name("unallocated.img");
        std::fs::copy(&pristine, &unsafe_copy).expect("copy");
        let sectors = u64::from(block_size / 512);
        for image in [&allocated, &unsafe_copy] {
            debugfs(image, &format!("sif small block[1] {unit}"), true);
            debugfs(image, &format!("sif small blocks {}", 2 * sectors), true);
            debugfs(image, &format!("sif small size {}", 2 * block_size), true);
        }
        assert!(e2fsck_clean(&allocated), "{block_size}: e2fsck -fn after alloc + pointer");
        assert_eq!(fsck(&allocated), (0, String::new()), "{block_size}: ddsl fsck after alloc + pointer");
        assert!(!e2fsck_clean(&unsafe_copy), "{block_size}: e2fsck finds the unallocated pointer");
        assert_eq!(fsck(&unsafe_copy).0, 1, "{block_size}: ddsl fsck finds the unallocated pointer");
    }
    // A dirty image is not allocated from: what is used would be guessed.
    let dirty = image(1024, "allocdirty");
    debugfs(&dirty, "set_bg 0 free_inodes_count 3", true);
    let (code, _, stderr) = ddsl(&["alloc", "../fs-examples/ext2/ext2.ddsl", dirty.to_str().expect("utf-8"), "inodes"]);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("error: cannot allocate: the image is not clean (1 problems, the first: gdt[0]"),
        "{stderr}"
    );
}
