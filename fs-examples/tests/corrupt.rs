//! Corrupted images: the ext2 example either refuses them at open with a
//! message or answers every operation with a result or an errno (EIO on
//! what the damage touches) — never a panic or a hang. Each case flips
//! random bytes of a populated image's metadata (superblock, group
//! descriptors, bitmaps, inode table, directory and indirect blocks) and
//! runs a workload of lookups, reads, listings, writes and removals, on the
//! native engine and on the C engine, which must give the same answers and
//! leave the same image. `CDSL_FS_CORRUPTIONS` sets the number of cases
//! (default 64).

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
        let dir = cdsl_test_support::scratch("cdslfs-corrupt", "pristine");
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
    let path = cdsl_test_support::scratch_shared("cdslfs-corrupt", "cases").join(format!("{case}.img"));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Everything a user might do. Only panics and hangs fail on the native
/// engine; the answers (read data hashed) are kept, for the C engine to be
/// compared with.
fn workload(fs: &mut dyn Ops) -> Vec<String> {
    let mut log = Vec::new();
    let mut note = |answer: String| log.push(answer);
    let hashed =
        |data: &Vec<u8>| data.iter().fold((data.len(), 0u64), |(n, h), &b| (n, h.wrapping_mul(31) ^ u64::from(b)));
    let mut seen = vec![ROOT];
    for dir in [ROOT].into_iter().chain(fs.lookup(ROOT, b"d").ok().map(|a| a.ino)) {
        let listed = fs.readdir(dir, 0, 500);
        note(format!("{listed:?}"));
        if let Ok(entries) = listed {
            for e in entries {
                let found = fs.lookup(dir, &e.name);
                note(format!("{found:?}"));
                if let Ok(attr) = found {
                    seen.push(attr.ino);
                    note(format!("{:?}", fs.read(attr.ino, 0, 1 << 20).as_ref().map(hashed)));
                    note(format!("{:?}", fs.readlink(attr.ino)));
                    note(format!("{:?}", fs.readdir(attr.ino, 0, 100)));
                }
            }
        }
    }
    for &ino in &seen {
        note(format!("{:?}", fs.getattr(ino)));
        note(format!("{:?}", fs.write(ino, 5000, b"scribble", CALLER)));
        note(format!("{:?}", fs.setattr(ino, &SetAttr { size: Some(100), ..SetAttr::default() }, CALLER)));
    }
    note(format!("{:?}", fs.mkdir(ROOT, b"new", 0o755, CALLER)));
    note(format!("{:?}", fs.mknod(ROOT, b"newfile", 0o100644, 0, CALLER)));
    note(format!("{:?}", fs.rename(ROOT, b"d", ROOT, b"d2", CALLER)));
    note(format!("{:?}", fs.unlink(ROOT, b"link", CALLER)));
    note(format!("{:?}", fs.rmdir(ROOT, b"d2", CALLER)));
    note(format!("{:?}", fs.statfs()));
    note(format!("{:?}", fs.sync()));
    log
}

/// The workload's answers and the image it leaves, on `engine`; `None`
/// when the image is refused at open.
fn run(bytes: &[u8], case: u64, engine: Engine) -> Option<(Vec<String>, Vec<u8>)> {
    let image = scratch_image(case, bytes);
    let answers = ext2::open(&image, engine, false).ok().map(|mut fs| workload(fs.as_mut()));
    let after = std::fs::read(&image).unwrap();
    let _ = std::fs::remove_file(&image);
    answers.map(|answers| (answers, after))
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
        let native = run(&bytes, case, Engine::Native);
        // The C engine (generated C over the device in C) must do exactly
        // the same with the damage: same answers, same image — a crash of
        // its server would show as EIO where native answered.
        let c = run(&bytes, case, Engine::C);
        match (&native, &c) {
            (Some((native_answers, native_image)), Some((c_answers, c_image))) => {
                for (i, (n, c)) in native_answers.iter().zip(c_answers).enumerate() {
                    prop_assert_eq!(n, c, "answer {} of the workload", i);
                }
                prop_assert_eq!(native_answers.len(), c_answers.len());
                prop_assert!(native_image == c_image, "the C engine left a different image than native");
            }
            _ => prop_assert_eq!(native.is_some(), c.is_some(), "opened by one engine only"),
        }
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
