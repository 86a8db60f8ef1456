//! What the workspace's tests share: scratch directories that do not pile
//! up, and finding the external tools tests use as oracles.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// An empty scratch directory for one test: `<tmp>/<suite>-<pid>-<name>`.
///
/// Tests leave their directories behind, to be looked at after a failure;
/// so that runs do not fill the disk with them (ext2 images are tens of
/// megabytes), the first call for a suite in a process removes the
/// suite's directories of processes that have ended.
pub fn scratch(suite: &str, name: &str) -> PathBuf {
    sweep(suite);
    let dir = std::env::temp_dir().join(format!("{suite}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("scratch directory {}: {e}", dir.display()));
    dir
}

/// Like [`scratch`], but kept as it is when it exists: for a directory
/// that several calls in one process fill.
pub fn scratch_shared(suite: &str, name: &str) -> PathBuf {
    sweep(suite);
    let dir = std::env::temp_dir().join(format!("{suite}-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("scratch directory {}: {e}", dir.display()));
    dir
}

/// Removes, once per process and suite, the scratch directories of ended
/// processes: those named `<suite>-<pid>-...` whose `pid` is not running.
fn sweep(suite: &str) {
    static SWEPT: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let mut swept = SWEPT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !swept.get_or_insert_with(HashSet::new).insert(suite.to_owned()) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    let prefix = format!("{suite}-");
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(&prefix).and_then(|rest| rest.split('-').next()) else { continue };
        if pid.parse::<u32>().is_ok_and(|pid| pid != std::process::id() && !running(pid)) {
            let path = entry.path();
            let _ = if path.is_dir() { std::fs::remove_dir_all(path) } else { std::fs::remove_file(path) };
        }
    }
}

fn running(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Whether `tool --version` runs; if not, prints that the test is skipped
/// and which Debian package has the tool (`scripts/deps.sh` installs them).
pub fn have_tool(tool: &str, package: &str) -> bool {
    let found = Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        println!("skipped: `{tool}` is not on PATH (Debian package `{package}`; scripts/deps.sh installs it)");
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_sweeps_ended_runs_but_not_live_ones() {
        let suite = "cdsl-integration-sweep-test";
        let ended = std::env::temp_dir().join(format!("{suite}-{}-old", u32::MAX - 1));
        let live = std::env::temp_dir().join(format!("{suite}-1-init"));
        std::fs::create_dir_all(&ended).unwrap();
        std::fs::create_dir_all(&live).unwrap();
        let mine = scratch(suite, "new");
        assert!(mine.is_dir());
        assert!(!ended.exists(), "a directory of an ended process is left");
        assert!(live.exists(), "a directory of a running process (pid 1) is removed");
        let _ = std::fs::remove_dir_all(&live);
        let _ = std::fs::remove_dir_all(&mine);
    }
}
