//! `ddsl walk SPEC IMAGE PATH` on real ext2 images: every file put into an
//! image with `mke2fs -t ext2 -d DIR` (1 KiB and 4 KiB blocks; empty, small,
//! exactly block-sized, indirect and double-indirect files, sparse files
//! with holes, in nested directories) reads back byte-identical with
//! `--cat`; without `--cat` the
//! structures met are printed; paths that do not resolve exit 1 naming the
//! structure where they stopped. Skipped, with a printed reason, where
//! mke2fs is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;

const MKE2FS: &str = "/usr/sbin/mke2fs";
const EXT2: &str = "../fs-examples/ext2/ext2.ddsl";

/// Pseudo-random bytes, so a block read out of order cannot match.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// The files of the tree, relative paths and contents.
fn files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("empty", Vec::new()),
        ("small", b"hello\n".to_vec()),
        ("blocks", noise(3 * 4096, 1)),
        ("big", noise(60_000, 2)),
        ("huge", noise(300_000, 3)), // double indirect at 1 KiB blocks
        ("sub/file", b"nested\n".to_vec()),
        ("sub/deeper/last", noise(5000, 4)),
        // Written sparsely (below): mke2fs -d keeps the holes.
        ("sparse-start", [vec![0; 50_000], b"end of sparse\n".to_vec()].concat()),
        ("sparse-middle", [noise(5000, 5), vec![0; 40_000], noise(3000, 6)].concat()),
    ]
}

/// Writes `bytes`, seeking over runs of 4 KiB of zeros so they become holes.
fn write_sparse(path: &Path, bytes: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let mut file = std::fs::File::create(path).expect("file");
    for (i, chunk) in bytes.chunks(4096).enumerate() {
        if chunk.len() == 4096 && chunk.iter().all(|b| *b == 0) {
            continue;
        }
        file.seek(SeekFrom::Start(i as u64 * 4096)).expect("seek");
        file.write_all(chunk).expect("write");
    }
    file.set_len(bytes.len() as u64).expect("length");
}

fn image(block_size: u32, test: &str) -> Option<PathBuf> {
    if !Path::new(MKE2FS).exists() {
        eprintln!("skipped: {MKE2FS} is not installed (e2fsprogs); `make deps` installs it");
        return None;
    }
    let dir = cdsl_test_support::scratch("ddsl-walk-path", &format!("{test}-{block_size}"));
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("sub/deeper")).expect("tree");
    for (name, bytes) in files() {
        if name.starts_with("sparse") {
            write_sparse(&tree.join(name), &bytes);
        } else {
            std::fs::write(tree.join(name), bytes).expect("file");
        }
    }
    // Fast (in the inode) and slow (in a data block) symlinks, relative and
    // absolute, one in the middle of paths, one pointing at itself.
    std::os::unix::fs::symlink("small", tree.join("link")).expect("symlink");
    std::os::unix::fs::symlink(format!("{}sub/deeper/last", "./".repeat(40)), tree.join("slow")).expect("symlink");
    std::os::unix::fs::symlink("/sub/file", tree.join("abs")).expect("symlink");
    std::os::unix::fs::symlink("sub", tree.join("subl")).expect("symlink");
    std::os::unix::fs::symlink("../loop", tree.join("sub/loop")).expect("symlink");
    std::os::unix::fs::symlink("sub/loop", tree.join("loop")).expect("symlink");
    let path = dir.join("disk.img");
    let status = Command::new(MKE2FS)
        .args(["-q", "-F", "-t", "ext2", "-b", &block_size.to_string(), "-d"])
        .arg(&tree)
        .arg(&path)
        .arg(if block_size == 1024 { "4M" } else { "16M" })
        .status()
        .expect("mke2fs runs");
    assert!(status.success(), "mke2fs failed");
    Some(path)
}

fn ddsl(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ddsl")).args(args).output().expect("ddsl runs");
    (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn files_put_in_with_mke2fs_read_back_byte_identical() {
    for block_size in [1024, 4096] {
        let Some(image) = image(block_size, "cat") else { return };
        let image = image.to_str().expect("utf-8 path");
        for (name, bytes) in files() {
            let path = format!("/{name}");
            let (code, stdout, stderr) = ddsl(&["walk", EXT2, image, &path, "--cat"]);
            assert_eq!(code, 0, "{block_size}: {path}: {stderr}");
            assert!(stdout == bytes, "{block_size}: {path}: {} bytes read, {} put in", stdout.len(), bytes.len());
        }
    }
}

#[test]
fn the_structures_met_are_printed() {
    let Some(image) = image(1024, "met") else { return };
    let (code, stdout, stderr) = ddsl(&["walk", EXT2, image.to_str().expect("utf-8"), "sub/deeper/last"]);
    assert_eq!(code, 0, "{stderr}");
    let text = String::from_utf8(stdout).expect("utf-8");
    let kinds: Vec<(&str, &str)> = text
        .lines()
        .map(|l| l.split_once(" @ ").expect("`path: Type @ offset`").0.split_once(": ").expect("path"))
        .collect();
    assert_eq!(
        kinds,
        [
            ("/", "Inode"),
            ("/", "DirBlock"),
            ("/sub", "DirEntry"),
            ("/sub", "Inode"),
            ("/sub", "DirBlock"),
            ("/sub/deeper", "DirEntry"),
            ("/sub/deeper", "Inode"),
            ("/sub/deeper", "DirBlock"),
            ("/sub/deeper/last", "DirEntry"),
            ("/sub/deeper/last", "Inode"),
        ]
    );
    // `..` leads back up: the same inode as `/sub`.
    let (_, up, _) = ddsl(&["walk", EXT2, image.to_str().expect("utf-8"), "/sub/deeper/.."]);
    let up = String::from_utf8(up).expect("utf-8");
    let sub_inode = text.lines().nth(3).expect("line").split(" @ ").nth(1).expect("offset");
    assert!(up.ends_with(&format!("/sub/deeper/..: Inode @ {sub_inode}\n")), "{up}");
}

#[test]
fn paths_that_do_not_resolve_say_where_they_stopped() {
    let Some(image) = image(1024, "errors") else { return };
    let image = image.to_str().expect("utf-8");
    let (code, _, stderr) = ddsl(&["walk", EXT2, image, "/sub/nope"]);
    assert_eq!(code, 1);
    assert!(stderr.starts_with("error: /sub/nope (Inode @ byte "), "{stderr}");
    assert!(stderr.contains("): no entry `nope` in `/sub`"), "{stderr}");
    let (code, _, stderr) = ddsl(&["walk", EXT2, image, "/small/x"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("error: /small (Inode @ byte ") && stderr.contains("): not a directory"), "{stderr}");
    let (code, stdout, stderr) = ddsl(&["walk", EXT2, image, "/sub", "--cat"]);
    assert_eq!((code, stdout.len()), (1, 0));
    assert!(stderr.contains("): is a directory"), "{stderr}");
}

#[test]
fn symlinks_are_followed_by_their_marked_arm() {
    let Some(image) = image(1024, "links") else { return };
    let image = image.to_str().expect("utf-8");
    let content = |name: &str| files().into_iter().find(|(n, _)| *n == name).map(|(_, b)| b).expect("a file");
    for (path, file) in
        [("/link", "small"), ("/slow", "sub/deeper/last"), ("/abs", "sub/file"), ("/subl/file", "sub/file")]
    {
        let (code, stdout, stderr) = ddsl(&["walk", EXT2, image, path, "--cat"]);
        assert_eq!(code, 0, "{path}: {stderr}");
        assert!(stdout == content(file), "{path}: not the bytes of {file}");
    }
    // Without --cat the last component is the link itself; links on the
    // way are followed and shown.
    let (code, stdout, _) = ddsl(&["walk", EXT2, image, "/link"]);
    let text = String::from_utf8(stdout).expect("utf-8");
    assert_eq!(code, 0);
    assert!(!text.contains("symlink to"), "{text}");
    let (_, stdout, _) = ddsl(&["walk", EXT2, image, "/subl/file"]);
    let text = String::from_utf8(stdout).expect("utf-8");
    assert!(text.contains("/subl: symlink to `sub` @ "), "{text}");
    let last = text.lines().last().expect("lines");
    assert!(last.starts_with("/sub/file: Inode @ "), "{text}");
    let (code, _, stderr) = ddsl(&["walk", EXT2, image, "/loop", "--cat"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("): too many levels of symbolic links"), "{stderr}");
}
