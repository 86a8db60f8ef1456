//! The ext2 example's operations called directly (no FUSE), on images made
//! by `mke2fs`, checked against what was put in and by `e2fsck -fn`.
//! Needs e2fsprogs (installed by `scripts/deps.sh`).

use fs_examples::ext2::{self, Engine};
use fs_examples::model::Model;
use fs_examples::ops::{Caller, Errno, Ops, SetAttr, Time, ROOT};
use std::path::{Path, PathBuf};
use std::process::Command;

const CALLER: Caller = Caller { uid: 1000, gid: 1000, now: Time { secs: 1_700_000_000, nsecs: 123_456_789 } };

fn scratch(name: &str) -> PathBuf {
    cdsl_test_support::scratch("cdslfs-ops", name)
}

/// Deterministic bytes, different for every file and offset.
fn pattern(seed: u32, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2654435761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// An ext2 image of `size_kib` made by mke2fs from the tree at `root`.
fn mkfs(dir: &Path, block_size: u32, size_kib: u32, root: Option<&Path>, inode_size: u32) -> PathBuf {
    let image = dir.join("disk.img");
    let mut cmd = Command::new("mke2fs");
    cmd.args(["-q", "-F", "-t", "ext2", "-b", &block_size.to_string(), "-I", &inode_size.to_string()]);
    if let Some(root) = root {
        cmd.arg("-d").arg(root);
    }
    let status = cmd.arg(&image).arg(format!("{size_kib}k")).status().expect("mke2fs runs (install e2fsprogs)");
    assert!(status.success(), "mke2fs failed");
    image
}

fn fsck_clean(image: &Path) {
    let out = Command::new("e2fsck").args(["-fn"]).arg(image).output().expect("e2fsck runs");
    assert!(
        out.status.success(),
        "e2fsck -fn found problems:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn debugfs_cat(image: &Path, path: &str) -> Vec<u8> {
    let out = Command::new("debugfs").arg("-R").arg(format!("cat {path}")).arg(image).output().expect("debugfs runs");
    out.stdout
}

fn read_all(fs: &mut dyn Ops, ino: u32, size: u64) -> Vec<u8> {
    let mut data = Vec::new();
    while (data.len() as u64) < size {
        let chunk = fs.read(ino, data.len() as u64, 65536).expect("read");
        assert!(!chunk.is_empty(), "short read at {}", data.len());
        data.extend_from_slice(&chunk);
    }
    data
}

fn lookup_path(fs: &mut dyn Ops, path: &str) -> u32 {
    path.split('/').filter(|p| !p.is_empty()).fold(ROOT, |dir, name| fs.lookup(dir, name.as_bytes()).expect(name).ino)
}

#[test]
fn files_written_by_mke2fs_read_back_byte_identical() {
    for block_size in [1024, 4096] {
        let dir = scratch(&format!("read-{block_size}"));
        let tree = dir.join("tree");
        std::fs::create_dir_all(tree.join("sub/deeper")).unwrap();
        // Sizes crossing the direct, single and double indirect ranges.
        let sizes = [0usize, 1, 1023, 4097, 12 * 1024 + 1, 300 * 1024, 5 * 1024 * 1024];
        for (i, size) in sizes.iter().enumerate() {
            std::fs::write(tree.join(format!("sub/file{i}")), pattern(i as u32, *size)).unwrap();
        }
        for i in 0..200 {
            std::fs::write(tree.join(format!("sub/deeper/n{i:03}")), format!("{i}")).unwrap();
        }
        std::os::unix::fs::symlink("sub/file1", tree.join("short-link")).unwrap();
        let long_target = "x".repeat(200);
        std::os::unix::fs::symlink(&long_target, tree.join("long-link")).unwrap();
        let image = mkfs(&dir, block_size, 16 * 1024, Some(&tree), 256);
        let mut fs = ext2::open(&image, Engine::Native, true).expect("opens");
        for (i, size) in sizes.iter().enumerate() {
            let ino = lookup_path(fs.as_mut(), &format!("sub/file{i}"));
            let attr = fs.getattr(ino).unwrap();
            assert_eq!(attr.size, *size as u64);
            assert_eq!(read_all(fs.as_mut(), ino, attr.size), pattern(i as u32, *size), "file{i} ({block_size})");
        }
        let deeper = lookup_path(fs.as_mut(), "sub/deeper");
        let mut names = Vec::new();
        let mut offset = 0;
        loop {
            let batch = fs.readdir(deeper, offset, 7).unwrap();
            let Some(last) = batch.last() else { break };
            offset = last.next;
            names.extend(batch.into_iter().map(|e| String::from_utf8(e.name).unwrap()));
        }
        names.sort();
        let mut expected: Vec<String> = (0..200).map(|i| format!("n{i:03}")).collect();
        expected.extend([".".to_owned(), "..".to_owned()]);
        expected.sort();
        assert_eq!(names, expected);
        let short = lookup_path(fs.as_mut(), "short-link");
        assert_eq!(fs.readlink(short).unwrap(), b"sub/file1");
        let long = lookup_path(fs.as_mut(), "long-link");
        assert_eq!(fs.readlink(long).unwrap(), long_target.as_bytes());
        assert_eq!(fs.lookup(ROOT, b"missing").unwrap_err(), Errno::ENOENT);
        assert_eq!(fs.lookup(ROOT, &[b'a'; 256]).unwrap_err(), Errno::ENAMETOOLONG);
        assert_eq!(fs.mkdir(ROOT, b"d", 0o755, CALLER).unwrap_err(), Errno::EROFS);
    }
}

#[test]
fn a_workload_leaves_an_image_e2fsck_calls_clean() {
    for (block_size, inode_size) in [(1024, 128), (4096, 256)] {
        let dir = scratch(&format!("write-{block_size}"));
        let image = mkfs(&dir, block_size, 64 * 1024, None, inode_size);
        let mut fs = ext2::open(&image, Engine::Native, false).expect("opens");
        let fs = fs.as_mut();
        let a = fs.mkdir(ROOT, b"a", 0o755, CALLER).unwrap();
        let b = fs.mkdir(a.ino, b"b", 0o700, CALLER).unwrap();
        assert_eq!(fs.getattr(a.ino).unwrap().nlink, 3);
        let f = fs.mknod(b.ino, b"f", 0o100644, 0, CALLER).unwrap();
        let big = pattern(7, 3 * 1024 * 1024 + 123);
        for chunk in big.chunks(128 * 1024).enumerate() {
            let written = fs.write(f.ino, (chunk.0 * 128 * 1024) as u64, chunk.1, CALLER).unwrap();
            assert_eq!(written as usize, chunk.1.len());
        }
        // A sparse file reaching the triple-indirect range on 1 KiB blocks.
        let sparse = fs.mknod(ROOT, b"sparse", 0o100600, 0, CALLER).unwrap();
        let far = if block_size == 1024 { 80 << 20 } else { 5 << 30 };
        fs.write(sparse.ino, far, b"far away", CALLER).unwrap();
        assert_eq!(fs.read(sparse.ino, far - 4, 12).unwrap(), b"\0\0\0\0far away");
        assert_eq!(fs.read(sparse.ino, 4096, 4).unwrap(), [0; 4]);
        let many = fs.mkdir(ROOT, b"many", 0o755, CALLER).unwrap();
        for i in 0..300 {
            fs.mknod(many.ino, format!("file-with-a-longish-name-{i}").as_bytes(), 0o100644, 0, CALLER).unwrap();
        }
        for i in (0..300).step_by(3) {
            fs.unlink(many.ino, format!("file-with-a-longish-name-{i}").as_bytes(), CALLER).unwrap();
        }
        assert_eq!(fs.rmdir(ROOT, b"many", CALLER).unwrap_err(), Errno::ENOTEMPTY);
        assert_eq!(fs.mknod(ROOT, b"a", 0o100644, 0, CALLER).unwrap_err(), Errno::EEXIST);
        assert_eq!(fs.unlink(ROOT, b"a", CALLER).unwrap_err(), Errno::EISDIR);
        assert_eq!(fs.mknod(ROOT, &[b'n'; 256], 0o100644, 0, CALLER).unwrap_err(), Errno::ENAMETOOLONG);
        fs.symlink(ROOT, b"fast", b"a/b/f", CALLER).unwrap();
        fs.symlink(ROOT, b"slow", "t".repeat(300).as_bytes(), CALLER).unwrap();
        fs.link(f.ino, ROOT, b"hard", CALLER).unwrap();
        // Renames: in place, across directories, over a file, a directory moved.
        fs.rename(ROOT, b"hard", ROOT, b"hard2", CALLER).unwrap();
        fs.rename(ROOT, b"hard2", a.ino, b"hard3", CALLER).unwrap();
        let victim = fs.mknod(ROOT, b"victim", 0o100644, 0, CALLER).unwrap();
        fs.rename(a.ino, b"hard3", ROOT, b"victim", CALLER).unwrap();
        assert_eq!(fs.getattr(victim.ino).unwrap_err(), Errno::ENOENT);
        assert_eq!(fs.rename(ROOT, b"a", b.ino, b"inside", CALLER).unwrap_err(), Errno::EINVAL);
        // Over the directory that holds the source: not empty, before any kind check.
        assert_eq!(fs.rename(b.ino, b"f", a.ino, b"b", CALLER).unwrap_err(), Errno::ENOTEMPTY);
        fs.rename(a.ino, b"b", ROOT, b"b-moved", CALLER).unwrap();
        assert_eq!(fs.getattr(a.ino).unwrap().nlink, 2);
        assert_eq!(fs.lookup(b.ino, b"..").unwrap().ino, ROOT);
        // Truncation down through the indirect levels, then up with a hole.
        fs.setattr(f.ino, &SetAttr { size: Some(5000), ..SetAttr::default() }, CALLER).unwrap();
        fs.setattr(f.ino, &SetAttr { size: Some(9000), ..SetAttr::default() }, CALLER).unwrap();
        let mut expected = big[..5000].to_vec();
        expected.resize(9000, 0);
        assert_eq!(read_all(fs, f.ino, 9000), expected);
        fs.setattr(sparse.ino, &SetAttr { size: Some(0), ..SetAttr::default() }, CALLER).unwrap();
        assert_eq!(fs.getattr(sparse.ino).unwrap().blocks, 0);
        let empty = fs.mkdir(ROOT, b"empty", 0o755, CALLER).unwrap();
        fs.rmdir(ROOT, b"empty", CALLER).unwrap();
        assert_eq!(fs.getattr(empty.ino).unwrap_err(), Errno::ENOENT);
        fs.sync().unwrap();
        fsck_clean(&image);
        assert_eq!(debugfs_cat(&image, "/b-moved/f"), expected);
    }
}

#[test]
fn deleting_a_file_releases_its_extended_attribute_block() {
    let dir = scratch("xattr");
    let tree = dir.join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("tagged"), b"data").unwrap();
    // 128-byte inodes have no room inside: the attribute gets a block.
    let image = mkfs(&dir, 1024, 4096, Some(&tree), 128);
    let out = Command::new("debugfs")
        .args(["-w", "-R", "ea_set /tagged user.note a-value-long-enough-to-matter"])
        .arg(&image)
        .output()
        .expect("debugfs runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut fs = ext2::open(&image, Engine::Native, false).expect("opens");
    let tagged = fs.lookup(ROOT, b"tagged").unwrap();
    assert_eq!(tagged.blocks, 4, "one data block and the attribute block, in sectors");
    fs.unlink(ROOT, b"tagged", CALLER).unwrap();
    fs.sync().unwrap();
    fsck_clean(&image);
}

/// A file unlinked or renamed over while open: readable, writable and
/// truncatable by number with no links, its number and space kept, freed
/// at its last release; one still open at the unmount is freed by it.
/// Gives the blocks its last release freed.
fn open_unlinked(fs: &mut dyn Ops) -> u64 {
    let data = pattern(5, 20_000);
    let f = fs.mknod(ROOT, b"f", 0o100644, 0, CALLER).unwrap().ino;
    fs.write(f, 0, &data, CALLER).unwrap();
    fs.open(f).unwrap();
    fs.open(f).unwrap();
    fs.unlink(ROOT, b"f", CALLER).unwrap();
    assert_eq!(fs.getattr(f).unwrap().nlink, 0);
    assert_eq!(fs.read(f, 0, 20_000).unwrap(), data);
    assert_eq!(fs.write(f, 100, b"more", CALLER), Ok(4));
    fs.setattr(f, &SetAttr { size: Some(15_000), ..SetAttr::default() }, CALLER).unwrap();
    assert_eq!(fs.link(f, ROOT, b"again", CALLER).unwrap_err(), Errno::ENOENT);
    let next = fs.mknod(ROOT, b"next", 0o100644, 0, CALLER).unwrap().ino;
    assert_ne!(next, f, "an open file's number is not reused");
    fs.release(f, CALLER).unwrap();
    assert_eq!(fs.read(f, 100, 4).unwrap(), b"more", "one handle is still open");
    let orphaned = fs.statfs().unwrap().bfree;
    fs.release(f, CALLER).unwrap();
    assert_eq!(fs.getattr(f).unwrap_err(), Errno::ENOENT, "freed at the last release");
    let released = fs.statfs().unwrap().bfree;
    // Renamed over while open, and still open at the unmount.
    fs.write(next, 0, &data, CALLER).unwrap();
    fs.open(next).unwrap();
    fs.mknod(ROOT, b"other", 0o100644, 0, CALLER).unwrap();
    fs.rename(ROOT, b"other", ROOT, b"next", CALLER).unwrap();
    assert_eq!(fs.read(next, 0, 10).unwrap(), data[..10]);
    fs.unmount(CALLER).unwrap();
    assert_eq!(fs.getattr(next).unwrap_err(), Errno::ENOENT, "freed by the unmount");
    released - orphaned
}

#[test]
fn open_unlinked_files_live_until_their_last_release() {
    let freed = open_unlinked(&mut Model::new(1024));
    assert!(freed > 0, "the model freed nothing");
    for engine in [Engine::Native, Engine::C] {
        let dir = scratch(&format!("orphan-{engine:?}"));
        let image = mkfs(&dir, 1024, 4096, None, 256);
        let mut fs = ext2::open(&image, engine, false).expect("opens");
        assert_eq!(open_unlinked(fs.as_mut()), freed, "{engine:?} frees what the model frees");
        drop(fs);
        fsck_clean(&image);
    }
}

/// A directory removed (by rmdir, or renamed over) while open: it keeps its
/// number and blocks, with no links, size 0 and nothing to list or look up;
/// nothing can be made in it; freed at its last release, or by the unmount.
/// Gives the blocks its last release freed.
fn open_removed_dir(fs: &mut dyn Ops) -> u64 {
    let later = Caller { now: Time { secs: CALLER.now.secs + 60, nsecs: 7 }, ..CALLER };
    let d = fs.mkdir(ROOT, b"d", 0o755, CALLER).unwrap();
    assert_eq!(fs.open(d.ino).unwrap_err(), Errno::EISDIR);
    let f = fs.mknod(ROOT, b"f", 0o100644, 0, CALLER).unwrap().ino;
    assert_eq!(fs.opendir(f).unwrap_err(), Errno::ENOTDIR);
    fs.opendir(d.ino).unwrap();
    fs.opendir(d.ino).unwrap();
    let root_links = fs.getattr(ROOT).unwrap().nlink;
    fs.rmdir(ROOT, b"d", later).unwrap();
    assert_eq!(fs.getattr(ROOT).unwrap().nlink, root_links - 1, "its `..` went");
    assert_eq!(fs.lookup(ROOT, b"d").unwrap_err(), Errno::ENOENT);
    let dead = fs.getattr(d.ino).unwrap();
    assert_eq!((dead.nlink, dead.size, dead.blocks, dead.ctime), (0, 0, d.blocks, later.now));
    assert_eq!(fs.readdir(d.ino, 0, 100).unwrap(), Vec::new(), "nothing to list, not even `.` and `..`");
    assert_eq!(fs.lookup(d.ino, b"..").unwrap_err(), Errno::ENOENT);
    assert_eq!(fs.mkdir(d.ino, b"sub", 0o755, CALLER).unwrap_err(), Errno::ENOENT);
    assert_eq!(fs.mknod(d.ino, b"g", 0o100644, 0, CALLER).unwrap_err(), Errno::ENOENT);
    assert_eq!(fs.rename(ROOT, b"f", d.ino, b"f", CALLER).unwrap_err(), Errno::ENOENT);
    assert_eq!(fs.link(f, d.ino, b"f", CALLER).unwrap_err(), Errno::ENOENT);
    fs.setattr(d.ino, &SetAttr { mode: Some(0o700), ..SetAttr::default() }, CALLER).unwrap();
    let next = fs.mkdir(ROOT, b"next", 0o755, CALLER).unwrap().ino;
    assert_ne!(next, d.ino, "an open directory's number is not reused");
    fs.release(d.ino, CALLER).unwrap();
    assert_eq!(fs.getattr(d.ino).unwrap().nlink, 0, "one handle is still open");
    let orphaned = fs.statfs().unwrap().bfree;
    fs.release(d.ino, CALLER).unwrap();
    assert_eq!(fs.getattr(d.ino).unwrap_err(), Errno::ENOENT, "freed at the last release");
    let released = fs.statfs().unwrap().bfree;
    // Renamed over while open, and still open at the unmount.
    fs.opendir(next).unwrap();
    fs.mkdir(ROOT, b"other", 0o755, CALLER).unwrap();
    fs.rename(ROOT, b"other", ROOT, b"next", CALLER).unwrap();
    assert_eq!((fs.getattr(next).unwrap().nlink, fs.getattr(ROOT).unwrap().nlink), (0, root_links));
    assert_eq!(fs.readdir(next, 0, 100).unwrap(), Vec::new());
    fs.unmount(CALLER).unwrap();
    assert_eq!(fs.getattr(next).unwrap_err(), Errno::ENOENT, "freed by the unmount");
    released - orphaned
}

#[test]
fn open_removed_directories_live_until_their_last_release() {
    let freed = open_removed_dir(&mut Model::new(1024));
    assert_eq!(freed, 1, "the model freed the directory's block");
    for engine in [Engine::Native, Engine::C, Engine::Update] {
        let dir = scratch(&format!("orphan-dir-{engine:?}"));
        let image = mkfs(&dir, 1024, 4096, None, 256);
        let mut fs = ext2::open(&image, engine, false).expect("opens");
        assert_eq!(open_removed_dir(fs.as_mut()), freed, "{engine:?} frees what the model frees");
        drop(fs);
        fsck_clean(&image);
    }
}

/// What `debugfs -R 'stat PATH'` prints for an inode (times in UTC).
fn debugfs_stat(image: &Path, path: &str) -> String {
    let out = Command::new("debugfs")
        .env("TZ", "UTC")
        .arg("-R")
        .arg(format!("stat {path}"))
        .arg(image)
        .output()
        .expect("debugfs runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The time `debugfs stat` shows for field `name` (`atime`, `mtime`, ...).
fn debugfs_time(stat: &str, name: &str) -> String {
    let line = stat.lines().find(|l| l.trim_start().starts_with(&format!("{name}:"))).unwrap_or("");
    line.split(" -- ").nth(1).unwrap_or("").trim().to_owned()
}

/// Times set by setattr and read back by getattr and by debugfs: with
/// 256-byte inodes, from 1901 to 2446 (2 epoch bits above the 32-bit
/// seconds, as Linux's ext4 stores them), clamped outside; with 128-byte
/// inodes, clamped to the signed 32-bit range (1901 to 2038).
#[test]
fn times_before_1970_and_after_2038() {
    let t = |secs, nsecs| Time { secs, nsecs };
    let (y1950, y2100) = (t(-631_152_000, 250), t(4_102_444_800, 999_999_999));
    let (min, max) = (i64::from(i32::MIN), (1 << 34) - 1 + i64::from(i32::MIN));
    // (inode size, atime set, mtime set, atime read, mtime read, debugfs atime, debugfs mtime)
    let cases = [
        (256, y1950, y2100, y1950, y2100, "Sun Jan  1 00:00:00 1950", "Fri Jan  1 00:00:00 2100"),
        (
            256,
            t(i64::MIN, 1),
            t(max + 1, 1),
            t(min, 0),
            t(max, 0),
            "Fri Dec 13 20:45:52 1901",
            "Thu May 10 22:38:55 2446",
        ),
        (
            128,
            y1950,
            y2100,
            t(y1950.secs, 0),
            t(i32::MAX.into(), 0),
            "Sun Jan  1 00:00:00 1950",
            "Tue Jan 19 03:14:07 2038",
        ),
        (128, t(min - 1, 0), t(0, 0), t(min, 0), t(0, 0), "Fri Dec 13 20:45:52 1901", "Thu Jan  1 00:00:00 1970"),
    ];
    let mut model = Model::new(1024);
    for (n, (isize, atime, mtime, a_read, m_read, a_shown, m_shown)) in cases.into_iter().enumerate() {
        let set = SetAttr { atime: Some(atime), mtime: Some(mtime), ..SetAttr::default() };
        if isize == 256 {
            let f = model.mknod(ROOT, format!("f{n}").as_bytes(), 0o100644, 0, CALLER).unwrap().ino;
            let got = model.setattr(f, &set, CALLER).unwrap();
            assert_eq!((got.atime, got.mtime), (a_read, m_read), "the model, case {n}");
        }
        for engine in [Engine::Native, Engine::C, Engine::Update] {
            let dir = scratch(&format!("times-{n}-{engine:?}"));
            let image = mkfs(&dir, 1024, 4096, None, isize);
            let mut fs = ext2::open(&image, engine, false).expect("opens");
            let f = fs.mknod(ROOT, b"f", 0o100644, 0, CALLER).unwrap().ino;
            let got = fs.setattr(f, &set, CALLER).unwrap();
            assert_eq!((got.atime, got.mtime), (a_read, m_read), "{engine:?}, case {n}");
            assert_eq!(got.ctime.secs, CALLER.now.secs);
            fs.unmount(CALLER).unwrap();
            drop(fs);
            let stat = debugfs_stat(&image, "/f");
            let shown = (debugfs_time(&stat, "atime"), debugfs_time(&stat, "mtime"));
            assert_eq!(shown, (a_shown.to_owned(), m_shown.to_owned()), "{engine:?}, case {n}:\n{stat}");
            fsck_clean(&image);
            let mut fs = ext2::open(&image, engine, false).expect("opens again");
            let back = fs.getattr(f).unwrap();
            assert_eq!((back.atime, back.mtime), (a_read, m_read), "{engine:?}, case {n}, after remounting");
        }
    }
}
