//! `cdslfs` mounted for real through /dev/fuse, driven as a user would:
//! the binary mounts, std::fs and coreutils work inside, `cdslfs umount`
//! unmounts. Each workload runs on every target in [`targets`]: the
//! reference model (`--engine model`, no image), and the ext2 example on
//! fresh `mke2fs` images (native engine; C engine), checked by `e2fsck -fn`
//! after unmounting; the light ones also on the update and value
//! interpreters.
//!
//! Skips, with the reason printed, only where /dev/fuse or fusermount3 is
//! missing, and the ext2 targets while `ext2::open` still answers "not
//! written yet" (they switch on by themselves when it works).
use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

const CDSLFS: &str = env!("CARGO_BIN_EXE_cdslfs");

/// What a workload runs on.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// The in-memory reference model behind the same FUSE glue.
    Model,
    /// The ext2 example on `engine`, over a fresh image.
    Ext2 { engine: &'static str, block_size: u32 },
}

/// Every target a workload runs on; `CDSLFS_MOUNT_TARGETS=model` (or
/// `ext2`) keeps only those, for working on one side.
fn targets() -> Vec<Target> {
    let all = [
        Target::Model,
        Target::Ext2 { engine: "native", block_size: 1024 },
        Target::Ext2 { engine: "native", block_size: 4096 },
        Target::Ext2 { engine: "c", block_size: 4096 },
    ];
    let only = std::env::var("CDSLFS_MOUNT_TARGETS").unwrap_or_default();
    all.into_iter()
        .filter(|t| {
            matches!((only.as_str(), t), ("" | "all", _) | ("model", Target::Model) | ("ext2", Target::Ext2 { .. }))
        })
        .collect()
}

/// Why mounting cannot be tested on this machine, if it cannot.
fn fuse_missing() -> Option<String> {
    if !Path::new("/dev/fuse").exists() {
        return Some("/dev/fuse is missing".into());
    }
    if Command::new("fusermount3").arg("-V").output().is_err() {
        return Some("fusermount3 is missing (Debian package fuse3; `make deps`)".into());
    }
    None
}

/// Why the ext2 example cannot be mounted yet, if it cannot.
fn ext2_not_ready(image: &Path, engine: &str) -> Option<String> {
    let engine = match engine {
        "native" => fs_examples::ext2::Engine::Native,
        "c" => fs_examples::ext2::Engine::C,
        "update" => fs_examples::ext2::Engine::Update,
        _ => fs_examples::ext2::Engine::Value,
    };
    match fs_examples::ext2::open(image, engine, true) {
        // Parts not written yet say so and name the issue.
        Err(e) if e.contains("not written yet") || e.contains("yet (issue #7)") => Some(e),
        _ => None,
    }
}

static SCRATCH: AtomicU32 = AtomicU32::new(0);

/// A mounted target: its scratch directory, mount point and image. Dropping
/// it unmounts (lazily, if a failed test left it mounted) and cleans up.
struct Mount {
    dir: PathBuf,
    mnt: PathBuf,
    image: Option<PathBuf>,
    mounted: bool,
}

impl Mount {
    /// Mounts `target` for the test `name`, or says why it is skipped.
    fn new(target: Target, name: &str) -> Result<Mount, String> {
        if let Some(why) = fuse_missing() {
            return Err(why);
        }
        let n = SCRATCH.fetch_add(1, Ordering::Relaxed);
        let dir = cdsl_test_support::scratch("cdslfs-mount", &format!("{name}-{n}"));
        fs::create_dir_all(dir.join("mnt")).expect("scratch directory");
        let mut m = Mount { mnt: dir.join("mnt"), image: None, dir, mounted: false };
        let engine = match target {
            Target::Model => "model",
            Target::Ext2 { engine, block_size } => {
                let image = m.dir.join("disk.img");
                cdslfs(&[
                    "mkfs".as_ref(),
                    image.as_os_str(),
                    "--size=64M".as_ref(),
                    format!("--block-size={block_size}").as_ref(),
                ]);
                if let Some(why) = ext2_not_ready(&image, engine) {
                    return Err(why);
                }
                m.image = Some(image);
                engine
            }
        };
        let image = m.image.clone().unwrap_or_else(|| m.dir.join("no-image"));
        cdslfs(&["mount".as_ref(), image.as_os_str(), m.mnt.as_os_str(), "--engine".as_ref(), engine.as_ref()]);
        m.mounted = true;
        Ok(m)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.mnt.join(rel)
    }

    /// Unmounts with `cdslfs umount` (which returns once the image is
    /// synced) and checks the image with `e2fsck -fn`.
    fn unmount_and_check(mut self) {
        cdslfs(&["umount".as_ref(), self.mnt.as_os_str()]);
        self.mounted = false;
        assert!(!mounted(&self.mnt), "still mounted after cdslfs umount");
        if let Some(image) = &self.image {
            fsck_clean(image);
        }
    }

    /// Unmounts and mounts the same image again (ext2 targets only).
    fn remount(&mut self, engine: &str) {
        cdslfs(&["umount".as_ref(), self.mnt.as_os_str()]);
        let image = self.image.clone().expect("remount needs an image");
        fsck_clean(&image);
        cdslfs(&["mount".as_ref(), image.as_os_str(), self.mnt.as_os_str(), "--engine".as_ref(), engine.as_ref()]);
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        if self.mounted && mounted(&self.mnt) {
            let _ = Command::new("fusermount3").arg("-uz").arg(&self.mnt).status();
            let start = Instant::now();
            while mounted(&self.mnt) && start.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        if !mounted(&self.mnt) {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn mounted(path: &Path) -> bool {
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    info.lines().any(|l| l.split(' ').nth(4).map(Path::new) == Some(path))
}

/// Runs cdslfs and requires success.
fn cdslfs(args: &[&OsStr]) {
    let out = Command::new(CDSLFS).args(args).output().expect("cdslfs runs");
    assert!(out.status.success(), "cdslfs {args:?} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
}

fn fsck_clean(image: &Path) {
    let out = Command::new("e2fsck").arg("-fn").arg(image).output().expect("e2fsck runs (e2fsprogs)");
    assert!(
        out.status.success(),
        "e2fsck -fn {}: {}\n{}",
        image.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The interpreters, too slow for megabytes: for the light workloads.
fn interpreter_targets() -> Vec<Target> {
    let only = std::env::var("CDSLFS_MOUNT_TARGETS").unwrap_or_default();
    if !matches!(only.as_str(), "" | "all" | "ext2" | "interpreters") {
        return Vec::new();
    }
    ["update", "value"].map(|engine| Target::Ext2 { engine, block_size: 1024 }).to_vec()
}

/// Runs `workload` on every target, skipping (with the reason printed)
/// those that cannot run here.
fn on_every_target(name: &str, workload: impl Fn(&mut Mount, Target)) {
    on_targets(name, targets(), workload)
}

/// [`on_every_target`], and on the interpreters too: for light workloads.
fn on_every_engine(name: &str, workload: impl Fn(&mut Mount, Target)) {
    on_targets(name, targets().into_iter().chain(interpreter_targets()).collect(), workload)
}

fn on_targets(name: &str, targets: Vec<Target>, workload: impl Fn(&mut Mount, Target)) {
    for target in targets {
        match Mount::new(target, name) {
            Err(why) => eprintln!("skipped: {name} on {target:?}: {why}"),
            Ok(mut m) => {
                eprintln!("running: {name} on {target:?}");
                workload(&mut m, target);
                m.unmount_and_check();
            }
        }
    }
}

/// Deterministic bytes, different for every seed and offset.
fn pattern(seed: u32, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2654435761) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 7) as u8
        })
        .collect()
}

fn errno<T: std::fmt::Debug>(r: std::io::Result<T>) -> i32 {
    r.expect_err("the call should fail").raw_os_error().expect("an OS error")
}

#[test]
fn create_write_read_back() {
    on_every_target("rw", |m, _| {
        for (i, len) in [0usize, 1, 1023, 1024, 4097, 100_000, 300_000].into_iter().enumerate() {
            let data = pattern(i as u32, len);
            let p = m.path(&format!("file{i}"));
            fs::write(&p, &data).unwrap();
            assert_eq!(fs::read(&p).unwrap(), data, "{len} bytes");
            assert_eq!(fs::metadata(&p).unwrap().len(), len as u64);
        }
        // Overwrite in the middle, append, truncate, extend with a hole.
        let p = m.path("file5");
        let mut expect = pattern(5, 100_000);
        let f = OpenOptions::new().read(true).write(true).open(&p).unwrap();
        f.write_all_at(b"MIDDLE", 50_000).unwrap();
        expect[50_000..50_006].copy_from_slice(b"MIDDLE");
        f.write_all_at(b"END", 100_000).unwrap();
        expect.extend_from_slice(b"END");
        f.sync_all().unwrap();
        assert_eq!(fs::read(&p).unwrap(), expect);
        f.set_len(70_000).unwrap();
        f.set_len(90_000).unwrap();
        expect.truncate(70_000);
        expect.resize(90_000, 0);
        assert_eq!(fs::read(&p).unwrap(), expect, "truncated then extended with zeros");
        let mut appender = OpenOptions::new().append(true).open(&p).unwrap();
        appender.write_all(b"tail").unwrap();
        expect.extend_from_slice(b"tail");
        drop((f, appender));
        assert_eq!(fs::read(&p).unwrap(), expect);
        // O_TRUNC through open.
        fs::write(&p, b"short").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"short");
    });
}

#[test]
fn mkdir_and_readdir() {
    on_every_target("dirs", |m, _| {
        fs::create_dir_all(m.path("a/b/c")).unwrap();
        let mut want = Vec::new();
        for i in 0..300 {
            let name = format!("entry-{i:03}-{}", "x".repeat(i % 40));
            if i % 10 == 0 {
                fs::create_dir(m.path(&format!("a/{name}"))).unwrap();
            } else {
                File::create(m.path(&format!("a/{name}"))).unwrap();
            }
            want.push(name);
        }
        want.push("b".into());
        want.sort();
        let list = |m: &Mount| {
            let mut got: Vec<String> = fs::read_dir(m.path("a"))
                .unwrap()
                .take(10_000)
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            got.sort();
            got
        };
        assert_eq!(list(m), want);
        // a has b and 30 entry directories: 2 + 31 links.
        assert_eq!(fs::metadata(m.path("a")).unwrap().nlink(), 2 + 31);
        for name in want.iter().filter(|n| n.starts_with("entry-") && n[6..9].parse::<u32>().unwrap() % 2 == 1) {
            fs::remove_file(m.path(&format!("a/{name}"))).unwrap();
        }
        want.retain(|n| !(n.starts_with("entry-") && n[6..9].parse::<u32>().unwrap() % 2 == 1));
        assert_eq!(list(m), want);
        let kinds: Vec<bool> =
            fs::read_dir(m.path("a/b")).unwrap().map(|e| e.unwrap().file_type().unwrap().is_dir()).collect();
        assert_eq!(kinds, [true], "a/b holds only c");
    });
}

#[test]
fn rename_cases() {
    on_every_engine("rename", |m, _| {
        let ino = |m: &Mount, p: &str| fs::symlink_metadata(m.path(p)).unwrap().ino();
        let nlink = |m: &Mount, p: &str| fs::metadata(m.path(p)).unwrap().nlink();
        fs::create_dir_all(m.path("d1/sub/deep")).unwrap();
        fs::create_dir(m.path("d2")).unwrap();
        fs::write(m.path("d1/f"), b"one").unwrap();
        fs::write(m.path("d2/g"), b"two").unwrap();
        // Same directory, then across directories.
        fs::rename(m.path("d1/f"), m.path("d1/f2")).unwrap();
        fs::rename(m.path("d1/f2"), m.path("d2/f3")).unwrap();
        assert_eq!(fs::read(m.path("d2/f3")).unwrap(), b"one");
        assert_eq!(errno(fs::metadata(m.path("d1/f"))), libc::ENOENT);
        // Over an existing file: its content is gone with it.
        fs::rename(m.path("d2/f3"), m.path("d2/g")).unwrap();
        assert_eq!(fs::read(m.path("d2/g")).unwrap(), b"one");
        assert_eq!(errno(fs::metadata(m.path("d2/f3"))), libc::ENOENT);
        // A directory across directories: `..` and link counts follow.
        assert_eq!((nlink(m, "d1"), nlink(m, "d2")), (3, 2));
        fs::rename(m.path("d1/sub"), m.path("d2/sub")).unwrap();
        assert_eq!((nlink(m, "d1"), nlink(m, "d2")), (2, 3));
        assert_eq!(ino(m, "d2/sub/.."), ino(m, "d2"));
        assert_eq!(ino(m, "d2/sub/deep/../.."), ino(m, "d2"));
        // Over an empty directory.
        fs::create_dir(m.path("d1/empty")).unwrap();
        fs::rename(m.path("d2/sub/deep"), m.path("d1/empty")).unwrap();
        assert_eq!(ino(m, "d1/empty/.."), ino(m, "d1"));
        assert_eq!((nlink(m, "d1"), nlink(m, "d2/sub")), (3, 2));
        // Refusals.
        assert_eq!(errno(fs::rename(m.path("d2"), m.path("d2/sub/inside"))), libc::EINVAL);
        fs::write(m.path("d1/file"), b"").unwrap();
        assert_eq!(errno(fs::rename(m.path("d1/file"), m.path("d2/sub"))), libc::EISDIR);
        assert_eq!(errno(fs::rename(m.path("d2/sub"), m.path("d1/file"))), libc::ENOTDIR);
        assert_eq!(errno(fs::rename(m.path("d1/empty"), m.path("d2"))), libc::ENOTEMPTY);
        assert_eq!(errno(fs::rename(m.path("nothing"), m.path("d2/x"))), libc::ENOENT);
    });
}

#[test]
fn unlink_and_rmdir() {
    on_every_engine("remove", |m, _| {
        fs::create_dir_all(m.path("d/e")).unwrap();
        fs::write(m.path("d/f"), b"x").unwrap();
        assert_eq!(errno(fs::remove_dir(m.path("d"))), libc::ENOTEMPTY);
        assert_eq!(errno(fs::remove_dir(m.path("d/f"))), libc::ENOTDIR);
        assert_eq!(errno(fs::remove_file(m.path("d/e"))), libc::EISDIR);
        assert_eq!(errno(fs::remove_file(m.path("d/none"))), libc::ENOENT);
        fs::hard_link(m.path("d/f"), m.path("link")).unwrap();
        assert_eq!(fs::metadata(m.path("link")).unwrap().nlink(), 2);
        fs::remove_file(m.path("d/f")).unwrap();
        assert_eq!(fs::metadata(m.path("link")).unwrap().nlink(), 1);
        assert_eq!(fs::read(m.path("link")).unwrap(), b"x");
        assert_eq!(errno(fs::remove_dir(m.path("d"))), libc::ENOTEMPTY);
        fs::remove_dir(m.path("d/e")).unwrap();
        fs::remove_dir(m.path("d")).unwrap();
        assert_eq!(errno(fs::metadata(m.path("d"))), libc::ENOENT);
        let before = statfs_free(&m.mnt);
        fs::write(m.path("big"), pattern(9, 200_000)).unwrap();
        fs::remove_file(m.path("big")).unwrap();
        fs::remove_file(m.path("link")).unwrap();
        wait_for_free(&m.mnt, before, "the space of removed files comes back");
    });
}

/// Free blocks by `df`'s reckoning (`stat -f`).
fn statfs_free(path: &Path) -> u64 {
    let out = Command::new("stat").args(["-f", "-c", "%f"]).arg(path).output().expect("stat runs");
    String::from_utf8_lossy(&out.stdout).trim().parse().expect("a number of blocks")
}

/// Waits until at least `blocks` are free. The kernel sends a file's
/// release after `close` returns, and may hand it to another thread of the
/// daemon than a later unlink: a file closed just before its unlink can be
/// freed a moment after it.
fn wait_for_free(mnt: &Path, blocks: u64, what: &str) {
    let start = Instant::now();
    while statfs_free(mnt) < blocks {
        assert!(start.elapsed() < Duration::from_secs(10), "{what}: not after 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn symlink_and_readlink() {
    on_every_engine("symlink", |m, _| {
        fs::create_dir(m.path("dir")).unwrap();
        fs::write(m.path("dir/target"), b"pointed at").unwrap();
        std::os::unix::fs::symlink("dir/target", m.path("short")).unwrap();
        let long_target = format!("dir/{}target", "sub/../".repeat(20));
        fs::create_dir(m.path("dir/sub")).unwrap();
        std::os::unix::fs::symlink(&long_target, m.path("long")).unwrap();
        assert_eq!(fs::read_link(m.path("short")).unwrap(), Path::new("dir/target"));
        assert_eq!(fs::read_link(m.path("long")).unwrap(), Path::new(&long_target));
        assert_eq!(fs::read(m.path("short")).unwrap(), b"pointed at");
        assert_eq!(fs::read(m.path("long")).unwrap(), b"pointed at");
        let meta = fs::symlink_metadata(m.path("long")).unwrap();
        assert!(meta.file_type().is_symlink());
        assert_eq!(meta.len(), long_target.len() as u64);
        assert_eq!(errno(fs::read_link(m.path("dir/target"))), libc::EINVAL);
        std::os::unix::fs::symlink("nowhere", m.path("dangling")).unwrap();
        assert_eq!(errno(fs::read(m.path("dangling"))), libc::ENOENT);
    });
}

#[test]
fn names_over_255_bytes_are_refused() {
    on_every_engine("names", |m, _| {
        let ok = "n".repeat(255);
        let long = "n".repeat(256);
        fs::write(m.path(&ok), b"fits").unwrap();
        assert_eq!(fs::read(m.path(&ok)).unwrap(), b"fits");
        assert_eq!(errno(fs::write(m.path(&long), b"")), libc::ENAMETOOLONG);
        assert_eq!(errno(fs::create_dir(m.path(&long))), libc::ENAMETOOLONG);
        assert_eq!(errno(fs::rename(m.path(&ok), m.path(&long))), libc::ENAMETOOLONG);
        assert_eq!(errno(std::os::unix::fs::symlink("t", m.path(&long))), libc::ENAMETOOLONG);
        let names: Vec<_> = fs::read_dir(&m.mnt).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(names.iter().all(|n| n.len() <= 255) && names.iter().any(|n| *n == *ok), "{names:?}");
    });
}

#[test]
fn modes_honour_the_umask() {
    on_every_engine("umask", |m, _| {
        let script = "umask 027 && mkdir d && touch f && mkdir -m 0705 e && umask 0 && mkdir g && touch h";
        let status = Command::new("sh").arg("-c").arg(script).current_dir(&m.mnt).status().unwrap();
        assert!(status.success());
        let mode = |p: &str| fs::metadata(m.path(p)).unwrap().permissions().mode() & 0o7777;
        assert_eq!([mode("d"), mode("f"), mode("e"), mode("g"), mode("h")], [0o750, 0o640, 0o705, 0o777, 0o666]);
        fs::set_permissions(m.path("f"), fs::Permissions::from_mode(0o4711)).unwrap();
        assert_eq!(mode("f"), 0o4711);
    });
}

#[test]
fn large_files_through_indirect_blocks() {
    on_every_target("large", |m, target| {
        let block = match target {
            Target::Ext2 { block_size, .. } => block_size as u64,
            Target::Model => 1024,
        };
        // 20 MiB: direct, single and double indirect blocks on 1 KiB blocks.
        let p = m.path("big");
        let mut f = File::create(&p).unwrap();
        for chunk in 0..20 {
            f.write_all(&pattern(chunk, 1 << 20)).unwrap();
        }
        f.sync_all().unwrap();
        drop(f);
        let mut back = File::open(&p).unwrap();
        let mut buf = vec![0; 1 << 20];
        for chunk in 0..20 {
            back.read_exact(&mut buf).unwrap();
            assert!(buf == pattern(chunk, 1 << 20), "MiB {chunk} differs");
        }
        assert_eq!(back.read(&mut buf).unwrap(), 0, "nothing past the end");
        let meta = fs::metadata(&p).unwrap();
        assert_eq!(meta.len(), 20 << 20);
        assert!(meta.blocks() > (20 << 20) / 512, "indirect blocks are counted: {}", meta.blocks());
        // A byte in the triple-indirect range on 1 KiB blocks, with a hole before.
        let far = (12 + 256 + 256 * 256 + 5) * 1024 + 7;
        let sparse =
            OpenOptions::new().read(true).write(true).create(true).truncate(true).open(m.path("sparse")).unwrap();
        sparse.write_all_at(b"!", far).unwrap();
        sparse.sync_all().unwrap();
        let mut hole = [1u8; 4096];
        sparse.read_exact_at(&mut hole, far - 4096).unwrap();
        assert_eq!(hole, [0; 4096]);
        let mut one = [0u8; 1];
        sparse.read_exact_at(&mut one, far).unwrap();
        assert_eq!(one, *b"!");
        let blocks = fs::metadata(m.path("sparse")).unwrap().blocks();
        assert!(blocks * 512 <= 4 * block, "a hole takes no space: {blocks} sectors");
        // Past the largest file ext2 holds.
        let max = fs_examples::model::max_file_size(block as u32);
        assert_eq!(errno(sparse.write_all_at(b"x", max)), libc::EFBIG);
        assert_eq!(errno(sparse.set_len(max + 1)), libc::EFBIG);
    });
}

#[test]
fn a_source_tree_copied_in_diffs_clean() {
    let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("../compiler/src");
    on_every_target("tree", |m, target| {
        let run = |cmd: &mut Command| {
            let out = cmd.output().unwrap();
            assert!(
                out.status.success(),
                "{cmd:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run(Command::new("cp").arg("-r").arg(&tree).arg(m.path("src")));
        run(Command::new("diff").arg("-r").arg(&tree).arg(m.path("src")));
        if let Target::Ext2 { engine, .. } = target {
            m.remount(engine);
            run(Command::new("diff").arg("-r").arg(&tree).arg(m.path("src")));
        }
        run(Command::new("rm").arg("-r").arg(m.path("src")));
        assert_eq!(fs::read_dir(&m.mnt).unwrap().count(), 1, "only lost+found left");
    });
}

#[test]
fn fallocate_is_not_supported() {
    on_every_engine("fallocate", |m, _| {
        let status = Command::new("fallocate").args(["-l", "1M"]).arg(m.path("f")).stderr(Stdio::piped()).output();
        let Ok(out) = status else {
            eprintln!("skipped: fallocate(1) is missing");
            return;
        };
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("not supported"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

/// A foreground mount ends on SIGTERM with everything synced.
#[test]
fn sigterm_unmounts_and_syncs() {
    for target in targets() {
        let mut m = match Mount::new(target, "sigterm") {
            Ok(m) => m,
            Err(why) => {
                eprintln!("skipped: sigterm on {target:?}: {why}");
                continue;
            }
        };
        // Replace the daemon with a foreground mount of the same target.
        cdslfs(&["umount".as_ref(), m.mnt.as_os_str()]);
        let engine = match target {
            Target::Model => "model",
            Target::Ext2 { engine, .. } => engine,
        };
        let image = m.image.clone().unwrap_or_else(|| m.dir.join("no-image"));
        let mut child = Command::new(CDSLFS)
            .arg("mount")
            .arg(&image)
            .arg(&m.mnt)
            .args(["--foreground", "--engine", engine])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_until(|| mounted(&m.mnt), &mut child);
        fs::write(m.path("written"), pattern(3, 70_000)).unwrap();
        let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(kill.success());
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "foreground mount: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("SIGTERM"));
        assert!(!mounted(&m.mnt), "SIGTERM unmounts");
        m.mounted = false;
        if let Some(image) = &m.image {
            fsck_clean(image);
            let cat = Command::new("debugfs").args(["-R", "cat /written"]).arg(image).output().unwrap();
            assert!(cat.stdout == pattern(3, 70_000), "the file is in the image");
        }
    }
}

fn wait_until(ready: impl Fn() -> bool, child: &mut Child) {
    let start = Instant::now();
    while !ready() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("cdslfs exited early: {status}");
        }
        assert!(start.elapsed() < Duration::from_secs(20), "not mounted after 20 s");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The CLI's refusals: clear messages and exit codes, never a panic.
#[test]
fn cli_errors_are_clear() {
    let dir = cdsl_test_support::scratch("cdslfs-cli", "errors");
    fs::create_dir_all(dir.join("mnt")).unwrap();
    let run = |args: &[&str]| Command::new(CDSLFS).args(args).output().unwrap();
    let [missing, mnt, nomnt] =
        [dir.join("missing.img"), dir.join("mnt"), dir.join("nomnt")].map(|p| p.display().to_string());
    #[rustfmt::skip]
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["mount", &missing, &mnt], 1, "no such image"),
        (vec!["mount", &missing, &nomnt], 1, "not a directory"),
        (vec!["mount", "x", "y", "-o", "bogus"], 2, "unknown mount option"),
        (vec!["mount", "x", "y", "--engine", "jit"], 2, "invalid value"),
        (vec!["umount", &mnt], 1, "not mounted"),
        (vec!["mkfs", &missing, "--size", "12Q"], 2, "unknown size unit"),
        (vec!["mkfs", &missing, "--size", "64M", "--block-size", "512"], 2, "1024, 2048 or 4096"),
    ];
    for (args, code, says) in cases {
        let out = run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(says) && !err.contains("panicked"), "{args:?}: {err}");
    }
    // mkfs makes an image e2fsck finds clean, with the block size asked for.
    let image = dir.join("made.img");
    let out = run(&["mkfs", &image.display().to_string(), "--size", "8M", "--block-size", "4096"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(fs::metadata(&image).unwrap().len(), 8 << 20);
    fsck_clean(&image);
    let dump = Command::new("dumpe2fs").arg("-h").arg(&image).output().unwrap();
    assert!(String::from_utf8_lossy(&dump.stdout)
        .lines()
        .any(|l| l.starts_with("Block size:") && l.ends_with(" 4096")));
    let _ = fs::remove_dir_all(&dir);
}

/// `-o ro`: reads work, every change is refused with EROFS, and the image
/// is left byte for byte as it was.
#[test]
fn read_only_mounts_change_nothing() {
    on_every_engine("ro", |m, target| {
        fs::create_dir(m.path("d")).unwrap();
        fs::write(m.path("d/f"), b"kept").unwrap();
        let engine = match target {
            Target::Model => "model",
            Target::Ext2 { engine, .. } => engine,
        };
        cdslfs(&["umount".as_ref(), m.mnt.as_os_str()]);
        let before = m.image.as_ref().map(|i| fs::read(i).unwrap());
        let image = m.image.clone().unwrap_or_else(|| m.dir.join("no-image"));
        let args = ["mount".as_ref(), image.as_os_str(), m.mnt.as_os_str(), "--engine".as_ref(), engine.as_ref()];
        cdslfs(&[&args[..], &["-o".as_ref(), "ro".as_ref()]].concat());
        if m.image.is_some() {
            assert_eq!(fs::read(m.path("d/f")).unwrap(), b"kept");
        }
        assert_eq!(errno(fs::write(m.path("new"), b"x")), libc::EROFS);
        assert_eq!(errno(fs::create_dir(m.path("e"))), libc::EROFS);
        if m.image.is_some() {
            assert_eq!(errno(OpenOptions::new().write(true).open(m.path("d/f"))), libc::EROFS);
            assert_eq!(errno(fs::remove_file(m.path("d/f"))), libc::EROFS);
            assert_eq!(errno(fs::rename(m.path("d/f"), m.path("g"))), libc::EROFS);
        }
        cdslfs(&["umount".as_ref(), m.mnt.as_os_str()]);
        if let (Some(image), Some(before)) = (&m.image, before) {
            assert!(fs::read(image).unwrap() == before, "a read-only mount wrote to the image");
        }
        cdslfs(&args);
    });
}

/// A daemon killed before it could sync: `cdslfs umount` clears the dead
/// mount and says the image was not synced.
#[test]
fn umount_reports_a_daemon_that_died() {
    let Ok(m) = Mount::new(Target::Model, "killed").map_err(|why| eprintln!("skipped: killed daemon: {why}")) else {
        return;
    };
    let mnt = m.mnt.to_string_lossy().into_owned();
    let daemon = fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
            args.contains(&mnt.as_bytes()) && args.contains(&&b"--daemon"[..])
        })
        .expect("the daemon's process");
    assert!(Command::new("kill").args(["-KILL", &daemon.to_string()]).status().unwrap().success());
    let start = Instant::now();
    while Path::new(&format!("/proc/{daemon}/cmdline")).exists() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = Command::new(CDSLFS).arg("umount").arg(&m.mnt).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("without syncing"), "{err}");
    assert!(!mounted(&m.mnt), "the dead mount is gone");
}

/// A directory read in several getdents calls while entries are removed
/// and added between them: every entry there throughout is listed exactly
/// once, none twice.
#[test]
fn readdir_offsets_survive_concurrent_changes() {
    // Not on the interpreters in the normal suite: 450 long names take them
    // over a minute (their stack, which once overflowed here, is now ample).
    on_every_target("readdir", |m, _| {
        let dir = m.path("d");
        fs::create_dir(&dir).unwrap();
        // Long names: a few dozen entries fill a getdents buffer.
        let name = |i: usize| format!("{i:04}-{}", "n".repeat(180));
        for i in 0..400 {
            File::create(dir.join(name(i))).unwrap();
        }
        let mut stream = fs::read_dir(&dir).unwrap();
        let mut seen: Vec<String> =
            stream.by_ref().take(100).map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        for i in (0..400).step_by(3) {
            fs::remove_file(dir.join(name(i))).unwrap();
        }
        for i in 400..450 {
            File::create(dir.join(name(i))).unwrap();
        }
        // Bounded, so that a listing that never ends fails instead of hanging.
        seen.extend(stream.take(10_000).map(|e| e.unwrap().file_name().into_string().unwrap()));
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), seen.len(), "an entry listed twice");
        // Removed or added entries may be listed or not (POSIX leaves it
        // open, and the C library reads ahead); the others exactly once.
        for i in (0..400).filter(|i| i % 3 != 0) {
            assert!(seen.contains(&name(i)), "entry {i} was there throughout and was not listed");
        }
    });
}

/// `mv -n` (renameat2 with RENAME_NOREPLACE) leaves an existing target alone.
#[test]
fn rename_noreplace_keeps_the_target() {
    on_every_engine("noreplace", |m, _| {
        fs::write(m.path("a"), b"a").unwrap();
        fs::write(m.path("b"), b"b").unwrap();
        let _ = Command::new("mv").arg("-n").arg(m.path("a")).arg(m.path("b")).status().unwrap();
        assert_eq!((fs::read(m.path("a")).unwrap(), fs::read(m.path("b")).unwrap()), (b"a".to_vec(), b"b".to_vec()));
        let status = Command::new("mv").arg("-n").arg(m.path("a")).arg(m.path("c")).status().unwrap();
        assert!(status.success());
        assert_eq!(fs::read(m.path("c")).unwrap(), b"a");
        assert_eq!(errno(fs::metadata(m.path("a"))), libc::ENOENT);
    });
}

/// ext2 gives a freed inode number to the next new file at once. A file
/// still open after its unlink must never read the new file's bytes (the
/// glue gives each new inode a new FUSE generation, so the kernel does not
/// take one for the other).
#[test]
fn an_open_unlinked_file_never_reads_its_successor() {
    on_every_engine("reuse", |m, _| {
        fs::write(m.path("old"), b"old data").unwrap();
        let old_ino = fs::metadata(m.path("old")).unwrap().ino();
        let old = File::open(m.path("old")).unwrap();
        fs::remove_file(m.path("old")).unwrap();
        fs::write(m.path("new"), b"NEW DATA").unwrap();
        let new_ino = fs::metadata(m.path("new")).unwrap().ino();
        assert_eq!(fs::read(m.path("new")).unwrap(), b"NEW DATA");
        let mut buf = [0u8; 8];
        let read = old.read_at(&mut buf, 0);
        if new_ino == old_ino {
            assert!(read.is_err() || &buf != b"NEW DATA", "the unlinked file read its successor's data");
        }
    });
}

/// POSIX: a file unlinked while open stays readable and writable through
/// its descriptors, with no links left, until the last one closes; then
/// its inode and blocks are freed (the unmount's e2fsck checks the rest).
#[test]
fn an_open_unlinked_file_lives_until_its_last_close() {
    on_every_engine("orphan", |m, _| {
        let data = pattern(21, 40_000);
        fs::write(m.path("f"), &data).unwrap();
        let f = OpenOptions::new().read(true).write(true).open(m.path("f")).unwrap();
        let second = File::open(m.path("f")).unwrap();
        let linked = statfs_free(&m.mnt);
        fs::remove_file(m.path("f")).unwrap();
        assert_eq!(errno(fs::metadata(m.path("f"))), libc::ENOENT);
        assert_eq!(f.metadata().unwrap().nlink(), 0);
        let mut back = vec![0u8; data.len()];
        f.read_exact_at(&mut back, 0).unwrap();
        assert!(back == data, "an open unlinked file reads back differently");
        f.write_all_at(b"changed", 30_000).unwrap();
        // Extended with a hole: no blocks are allocated or freed.
        f.set_len(60_000).unwrap();
        drop(f);
        let mut word = [0u8; 7];
        second.read_exact_at(&mut word, 30_000).unwrap();
        assert_eq!(&word, b"changed", "written through one descriptor, read through another");
        assert_eq!(second.metadata().unwrap().len(), 60_000);
        assert!(statfs_free(&m.mnt) <= linked, "freed while a descriptor is still open");
        drop(second);
        wait_for_free(&m.mnt, linked + 1, "an unlinked file's blocks after its last close");
    });
}

/// A directory removed while open (rmdir, or renamed over) stays, with no
/// links, until its last close: `fstat` on the handle answers (the same
/// inode, `nlink` 0), listing it gives `ENOENT` (the kernel's rule for a
/// dead directory), its inode number is not given to the next directory,
/// and its block is freed at the close (the unmount's e2fsck checks the
/// rest).
#[test]
fn an_open_removed_directory_lives_until_its_last_close() {
    on_every_engine("orphan-dir", |m, _| {
        fs::create_dir(m.path("d")).unwrap();
        let without_f = statfs_free(&m.mnt);
        fs::write(m.path("d/f"), b"x").unwrap();
        let d = File::open(m.path("d")).unwrap();
        let ino = d.metadata().unwrap().ino();
        fs::remove_file(m.path("d/f")).unwrap();
        // The kernel releases `f` after its close, not before it returns:
        // if the release comes after the unlink, `f` is freed only then.
        wait_for_free(&m.mnt, without_f, "an unlinked file's block");
        let linked = statfs_free(&m.mnt);
        fs::remove_dir(m.path("d")).unwrap();
        assert_eq!(errno(fs::metadata(m.path("d"))), libc::ENOENT);
        let meta = d.metadata().unwrap();
        assert!(meta.is_dir() && meta.ino() == ino, "fstat answers for the removed directory");
        assert_eq!(meta.nlink(), 0);
        assert_eq!(getdents(&d), Err(libc::ENOENT), "a removed directory lists nothing");
        fs::create_dir(m.path("e")).unwrap();
        let e = File::open(m.path("e")).unwrap();
        assert_ne!(e.metadata().unwrap().ino(), ino, "an open directory's number is not reused");
        assert!(statfs_free(&m.mnt) < linked, "freed while a handle is still open");
        drop(d);
        wait_for_free(&m.mnt, linked, "a removed directory's block after its last close");
        // Renamed over while open.
        fs::create_dir(m.path("over")).unwrap();
        let before = statfs_free(&m.mnt);
        fs::rename(m.path("over"), m.path("e")).unwrap();
        assert_eq!(e.metadata().unwrap().nlink(), 0);
        assert_eq!(getdents(&e), Err(libc::ENOENT));
        assert!(statfs_free(&m.mnt) == before, "freed while a handle is still open");
        drop(e);
        wait_for_free(&m.mnt, before + 1, "a directory renamed over, after its last close");
    });
}

/// One `getdents64` on an open directory: the bytes it gave, or the errno.
fn getdents(dir: &File) -> Result<usize, i32> {
    use std::os::fd::AsRawFd;
    let mut buf = [0u8; 4096];
    // SAFETY: the buffer is valid for its length for the whole call, and
    // the descriptor is open (borrowed from `dir`).
    let n = unsafe { libc::syscall(libc::SYS_getdents64, dir.as_raw_fd(), buf.as_mut_ptr(), buf.len()) };
    match n {
        n if n >= 0 => Ok(n as usize),
        _ => Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0)),
    }
}

/// What `fsync` returns from, and what `close` leaves, is in the image
/// file already: debugfs reads it there while the file system is mounted.
#[test]
fn fsync_and_close_reach_the_image() {
    on_every_engine("durable", |m, _| {
        let Some(image) = m.image.clone() else { return };
        let debugfs_cat = |path: &str| {
            let out = Command::new("debugfs").args(["-R", &format!("cat {path}")]).arg(&image).output().unwrap();
            out.stdout
        };
        let synced = pattern(11, 5000);
        let mut f = File::create(m.path("synced")).unwrap();
        f.write_all(&synced).unwrap();
        f.sync_all().unwrap();
        assert!(debugfs_cat("/synced") == synced, "fsync returned before the data was in the image");
        drop(f);
        let closed = pattern(12, 3000);
        fs::write(m.path("closed"), &closed).unwrap();
        assert!(debugfs_cat("/closed") == closed, "close returned before the data was in the image");
    });
}

/// `touch -d` past 2038 and before 1970: `stat` through the mount shows
/// the times set, and debugfs reads the same from the image once they are
/// synced (256-byte inodes: 2 epoch bits above the 32-bit seconds).
#[test]
fn times_past_2038_and_before_1970() {
    on_every_engine("times", |m, _| {
        let times = [("future", "2100-01-01 00:00:00 UTC", 4_102_444_800, "Fri Jan  1 00:00:00 2100")];
        let times =
            times.into_iter().chain([("past", "1950-01-01 12:00:00 UTC", -631_108_800, "Sun Jan  1 12:00:00 1950")]);
        for (name, date, secs, shown) in times {
            fs::write(m.path(name), b"x").unwrap();
            let touched = Command::new("touch").args(["-d", date]).arg(m.path(name)).status().expect("touch runs");
            assert!(touched.success(), "touch -d {date}");
            let meta = fs::metadata(m.path(name)).unwrap();
            assert_eq!((meta.mtime(), meta.atime(), meta.mtime_nsec()), (secs, secs, 0), "{name}");
            let Some(image) = &m.image else { continue };
            File::open(m.path(name)).unwrap().sync_all().unwrap();
            let out = Command::new("debugfs")
                .env("TZ", "UTC")
                .args(["-R", &format!("stat /{name}")])
                .arg(image)
                .output()
                .expect("debugfs runs");
            let stat = String::from_utf8_lossy(&out.stdout);
            for field in ["atime", "mtime"] {
                let line = stat.lines().find(|l| l.trim_start().starts_with(&format!("{field}:"))).unwrap_or("");
                assert!(line.ends_with(shown), "debugfs reads another {field} of {name}:\n{stat}");
            }
        }
    });
}

/// `allow_other,default_permissions`: another user works in the mount
/// with the kernel checking permissions; writing or chowning clears
/// setuid/setgid; new inodes belong to their creator.
#[test]
fn other_users_and_setuid_clearing() {
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: other users: setpriv (util-linux) is missing");
        return;
    }
    let as_user = |dir: &Path, script: &str| {
        Command::new("setpriv")
            .args(["--reuid=1000", "--regid=1000", "--clear-groups", "sh", "-c", script])
            .current_dir(dir)
            .status()
            .unwrap()
            .success()
    };
    on_every_engine("users", |m, _| {
        let mode = |p: &str| fs::metadata(m.path(p)).unwrap().permissions().mode() & 0o7777;
        fs::write(m.path("suid"), b"x").unwrap();
        fs::set_permissions(m.path("suid"), fs::Permissions::from_mode(0o6777)).unwrap();
        assert!(as_user(&m.mnt, "echo more >> suid"));
        assert_eq!(mode("suid"), 0o777, "a write by another user clears setuid and setgid");
        fs::set_permissions(m.path("suid"), fs::Permissions::from_mode(0o6755)).unwrap();
        std::os::unix::fs::chown(m.path("suid"), Some(1000), None).unwrap();
        assert_eq!(mode("suid"), 0o755, "chown clears setuid and setgid");
        fs::write(m.path("private"), b"root's").unwrap();
        fs::set_permissions(m.path("private"), fs::Permissions::from_mode(0o600)).unwrap();
        assert!(!as_user(&m.mnt, "cat private 2>/dev/null"), "0600 root file read by another user");
        assert!(!as_user(&m.mnt, "touch new 2>/dev/null"), "another user wrote in root's 0755 directory");
        fs::create_dir(m.path("shared")).unwrap();
        fs::set_permissions(m.path("shared"), fs::Permissions::from_mode(0o777)).unwrap();
        assert!(as_user(&m.path("shared"), "umask 022 && mkdir d && echo hi > f"));
        for p in ["shared/d", "shared/f"] {
            let meta = fs::metadata(m.path(p)).unwrap();
            assert_eq!((meta.uid(), meta.gid()), (1000, 1000), "{p} belongs to its creator");
        }
    });
}
