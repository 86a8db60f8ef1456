//! What the tests over real ext2 images share: e2fsprogs on one fake
//! clock, scratch directories, images made by `mke2fs -d`, and the `ddsl`
//! binary run as a user runs it.
// Each test crate includes this module and uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub const MKE2FS: &str = "/usr/sbin/mke2fs";
pub const DEBUGFS: &str = "/usr/sbin/debugfs";
pub const E2FSCK: &str = "/usr/sbin/e2fsck";
pub const EXT2: &str = "../fs-examples/ext2/ext2.ddsl";

/// One clock for mke2fs and debugfs: `debugfs -w` stamps the superblock's
/// write time, so a test comparing images byte for byte would fail whenever
/// a second turned between the two.
const FAKE_TIME: (&str, &str) = ("E2FSPROGS_FAKE_TIME", "1700000000");

/// Whether e2fsprogs is installed; says what is missing when not.
pub fn tools_present() -> bool {
    let missing: Vec<&str> = [MKE2FS, DEBUGFS, E2FSCK].into_iter().filter(|t| !Path::new(t).exists()).collect();
    if !missing.is_empty() {
        eprintln!("skipped: {} not installed (e2fsprogs); `make deps` installs it", missing.join(", "));
    }
    missing.is_empty()
}

/// A fresh directory for one test's files.
pub fn scratch(suite: &str, name: &str) -> PathBuf {
    cdsl_test_support::scratch(&format!("ddsl-{suite}"), name)
}

/// An 8 MiB ext2 image at `image` holding the files of `tree`.
pub fn mke2fs_from(tree: &Path, block_size: u32, image: &Path) {
    let out = Command::new(MKE2FS)
        .env(FAKE_TIME.0, FAKE_TIME.1)
        .args(["-q", "-F", "-t", "ext2", "-b", &block_size.to_string(), "-d"])
        .arg(tree)
        .arg(image)
        .arg("8M")
        .output()
        .expect("mke2fs runs");
    assert!(out.status.success(), "mke2fs failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// `e2fsck -fn`: whether the image is clean, and what it printed.
pub fn e2fsck(image: &Path) -> (bool, String) {
    let out = Command::new(E2FSCK).arg("-fn").arg(image).output().expect("e2fsck runs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `debugfs -R request`, writing to the image with `write`.
pub fn debugfs(image: &Path, request: &str, write: bool) -> String {
    let mut command = Command::new(DEBUGFS);
    command.env(FAKE_TIME.0, FAKE_TIME.1);
    if write {
        command.arg("-w");
    }
    let out = command.args(["-R", request]).arg(image).output().expect("debugfs runs");
    assert!(out.status.success(), "debugfs -R '{request}' failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The word after `key` in debugfs output.
pub fn word_after(text: &str, key: &str) -> String {
    let rest = &text[text.find(key).unwrap_or_else(|| panic!("no `{key}` in {text}")) + key.len()..];
    rest.split_whitespace().next().unwrap_or_default().to_owned()
}

/// The number at the start of the word after `key` in debugfs output.
pub fn number_after(text: &str, key: &str) -> u64 {
    let digits: String = word_after(text, key).chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or_else(|_| panic!("no number after `{key}` in {text}"))
}

/// Runs the `ddsl` binary: exit code, stdout and stderr, which must not
/// report a panic.
pub fn ddsl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ddsl")).args(args).output().expect("ddsl runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

pub fn utf8(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}
