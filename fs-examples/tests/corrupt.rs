//! Corrupted images: the ext2 example either refuses them at open with a
//! message or answers every operation with a result or an errno (EIO on
//! what the damage touches) — never a panic or a hang. Each case flips
//! random bytes of a populated image's metadata (superblock, group
//! descriptors, bitmaps, inode table, directory and indirect blocks) and
//! runs a workload of lookups, reads, listings, writes and removals.
//! `CDSL_FS_CORRUPTIONS` sets the number of cases (default 64).

use fs_examples::ext2::{self, Engine};
use fs_examples::ops::{Caller, Ops, SetAttr, Time, ROOT};
use proptest::prelude::*;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

const CALLER: Caller = Caller { uid: 0, gid: 0, now: Time { secs: 1_700_000_000, nsecs: 0 } };

/// A populated 4 MiB image (1 KiB blocks), made once.
fn pristine() -> &'static Vec<u8> {
    static IMAGE: OnceLock<Vec<u8>> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("cdslfs-corrupt-{}", std::process::id()));
        let tree = dir.join("tree");
        std::fs::create_dir_all(tree.join("d/e")).unwrap();
        for i in 0..40 {
            std::fs::write(tree.join(format!("d/f{i}")), vec![i as u8; i * 700]).unwrap();
        }
        std::fs::write(tree.join("d/e/big"), vec![7u8; 600 * 1024]).unwrap();
        std::os::unix::fs::symlink("d/f1", tree.join("link")).unwrap();
        let image = dir.join("pristine.img");
        let status = Command::new("mke2fs")
            .args(["-q", "-F", "-t", "ext2", "-b", "1024", "-d"])
            .arg(&tree)
            .arg(&image)
            .arg("4M")
            .status()
            .expect("mke2fs runs (install e2fsprogs)");
        assert!(status.success());
        std::fs::read(&image).unwrap()
    })
}

fn scratch_image(case: u64, bytes: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("cdslfs-corrupt-{}-{case}.img", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Everything a user might do, ignoring the answers: only panics and hangs fail.
fn workload(fs: &mut dyn Ops) {
    let mut seen = vec![ROOT];
    for dir in [ROOT].into_iter().chain(fs.lookup(ROOT, b"d").ok().map(|a| a.ino)) {
        if let Ok(entries) = fs.readdir(dir, 0, 500) {
            for e in entries {
                if let Ok(attr) = fs.lookup(dir, &e.name) {
                    seen.push(attr.ino);
                    let _ = fs.read(attr.ino, 0, 1 << 20);
                    let _ = fs.readlink(attr.ino);
                    let _ = fs.readdir(attr.ino, 0, 100);
                }
            }
        }
    }
    for &ino in &seen {
        let _ = fs.getattr(ino);
        let _ = fs.write(ino, 5000, b"scribble", CALLER);
        let _ = fs.setattr(ino, &SetAttr { size: Some(100), ..SetAttr::default() }, CALLER);
    }
    let _ = fs.mkdir(ROOT, b"new", 0o755, CALLER);
    let _ = fs.mknod(ROOT, b"newfile", 0o100644, 0, CALLER);
    let _ = fs.rename(ROOT, b"d", ROOT, b"d2", CALLER);
    let _ = fs.unlink(ROOT, b"link", CALLER);
    let _ = fs.rmdir(ROOT, b"d2", CALLER);
    let _ = fs.statfs();
    let _ = fs.sync();
}

fn cases() -> u32 {
    std::env::var("CDSL_FS_CORRUPTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn corrupted_images_give_errors_not_panics(
        flips in proptest::collection::vec((0..64 * 1024usize, any::<u8>()), 1..40),
        case in any::<u64>(),
    ) {
        let mut bytes = pristine().clone();
        // Metadata lives in the first 64 KiB of this small image (its data
        // blocks follow); flips land there, where they do the most harm.
        for (at, value) in &flips {
            bytes[*at] = *value;
        }
        let image = scratch_image(case, &bytes);
        if let Ok(mut fs) = ext2::open(&image, Engine::Native, false) {
            workload(fs.as_mut());
        }
        let _ = std::fs::remove_file(&image);
    }
}

#[test]
fn a_bad_magic_number_is_refused_at_open() {
    let mut bytes = pristine().clone();
    bytes[1024 + 56] ^= 0xFF;
    let image = scratch_image(u64::MAX, &bytes);
    let refused = ext2::open(&image, Engine::Native, true).err().expect("refused");
    let _ = std::fs::remove_file(&image);
    assert!(refused.contains("bad superblock"), "{refused}");
}

#[test]
fn an_unknown_incompatible_feature_is_refused_by_name() {
    let mut bytes = pristine().clone();
    bytes[1024 + 96] |= 0x40; // extents
    let image = scratch_image(u64::MAX - 1, &bytes);
    let refused = ext2::open(&image, Engine::Native, true).err().expect("refused");
    let _ = std::fs::remove_file(&image);
    assert!(refused.contains("unsupported feature extent"), "{refused}");
}
