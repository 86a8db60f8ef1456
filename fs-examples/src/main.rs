//! `cdslfs`: the ext2 example mounted through FUSE.
//!
//! ```text
//! cdslfs mount IMAGE MOUNTPOINT [--engine native|c|update|value] [--foreground] [-o ro]
//! cdslfs umount MOUNTPOINT
//! cdslfs mkfs IMAGE --size 64M [--block-size 1024|4096]
//! ```
//!
//! `mount` without `--foreground` starts the daemon (itself again, with
//! `--foreground`, in a new session, its stderr in a log file) and returns
//! once the mount is live. The daemon keeps three files in the state
//! directory (`$XDG_RUNTIME_DIR/cdslfs`, or `/tmp/cdslfs-UID`), named after
//! the mount point: `.pid` while it runs, `.log` (its stderr, removed after
//! a clean exit) and `.result` (what went wrong, if anything did). `umount`
//! runs `fusermount3 -u` and waits for the daemon to exit, then reports its
//! result: when `umount` returns 0, the image is synced and `e2fsck` can
//! run. SIGINT, SIGTERM and SIGHUP unmount, sync and exit the same way.
//!
//! `mkfs` makes a file of `--size` bytes and runs `mke2fs -t ext2 -F -q -b
//! BLOCK_SIZE IMAGE` on it (Debian's default ext2 features). Exit codes: 0
//! success, 1 failure, 2 usage.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand, ValueEnum};
use fs_examples::{ext2, fuse, model, ops::Ops, sys};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "cdslfs", about = "The ext2 example, written in CDSL, mounted through FUSE")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Mount an ext2 image (made by `cdslfs mkfs` or `mke2fs -t ext2`).
    Mount {
        image: PathBuf,
        mountpoint: PathBuf,
        /// The engine running the CDSL logic.
        #[arg(long, value_enum, default_value = "native")]
        engine: EngineArg,
        /// Stay in the foreground; return once unmounted and synced.
        #[arg(long, short = 'f')]
        foreground: bool,
        /// Mount options, comma-separated: `ro` or `rw`.
        #[arg(short = 'o', value_delimiter = ',')]
        options: Vec<String>,
        /// Print `ready` on stdout once the mount is live (for the parent).
        #[arg(long, hide = true)]
        notify_ready: bool,
        /// Started by `mount` as the daemon: start a new session.
        #[arg(long, hide = true)]
        daemon: bool,
        /// Block size of the `model` engine's file system.
        #[arg(long, hide = true, default_value_t = 1024)]
        model_block_size: u32,
    },
    /// Unmount, and wait until the daemon has synced the image and exited.
    Umount {
        mountpoint: PathBuf,
        /// Give up waiting for the daemon after this many seconds.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
    /// Make an empty ext2 image with mke2fs.
    Mkfs {
        image: PathBuf,
        /// Image size: bytes, or with a K, M or G suffix.
        #[arg(long, value_parser = parse_size)]
        size: u64,
        #[arg(long, default_value_t = 1024, value_parser = parse_block_size)]
        block_size: u32,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum EngineArg {
    /// The Rust backend's translation, compiled in.
    Native,
    /// The C backend's translation.
    C,
    /// The update-semantics interpreter.
    Update,
    /// The value-semantics interpreter.
    Value,
    /// The in-memory reference model (no image; for testing the glue).
    #[value(hide = true)]
    Model,
}

fn parse_size(s: &str) -> Result<u64, String> {
    let (digits, unit) = match s.trim_end_matches(['B', 'b']).char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c.to_ascii_uppercase()),
        _ => (s, ' '),
    };
    let shift = match unit {
        ' ' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => return Err(format!("unknown size unit `{unit}` (use K, M or G)")),
    };
    let n: u64 = digits.parse().map_err(|_| format!("`{s}` is not a size (e.g. 64M)"))?;
    n.checked_mul(1 << shift).filter(|&n| n > 0).ok_or_else(|| format!("size `{s}` is out of range"))
}

fn parse_block_size(s: &str) -> Result<u32, String> {
    match s.parse() {
        Ok(n @ (1024 | 2048 | 4096)) => Ok(n),
        _ => Err(format!("block size `{s}`: ext2 here takes 1024, 2048 or 4096")),
    }
}

/// A failure: the message, and the exit code (1, or 2 for usage).
struct Fail(String, u8);

fn fail(msg: impl Into<String>) -> Fail {
    Fail(msg.into(), 1)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Mount { image, mountpoint, engine, foreground, options, notify_ready, daemon, model_block_size } => {
            parse_options(&options).and_then(|read_only| {
                let m = MountArgs { image, mountpoint, engine, read_only, model_block_size };
                if foreground {
                    mount_foreground(&m, notify_ready, daemon)
                } else {
                    mount_daemon(&m)
                }
            })
        }
        Cmd::Umount { mountpoint, timeout } => umount(&mountpoint, Duration::from_secs(timeout)),
        Cmd::Mkfs { image, size, block_size } => mkfs(&image, size, block_size),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(msg, code)) => {
            eprintln!("cdslfs: {msg}");
            ExitCode::from(code)
        }
    }
}

struct MountArgs {
    image: PathBuf,
    mountpoint: PathBuf,
    engine: EngineArg,
    read_only: bool,
    model_block_size: u32,
}

/// Whether `-o` asks for a read-only mount.
fn parse_options(options: &[String]) -> Result<bool, Fail> {
    let mut read_only = false;
    for o in options.iter().filter(|o| !o.is_empty()) {
        match o.as_str() {
            "ro" => read_only = true,
            "rw" => read_only = false,
            other => return Err(Fail(format!("unknown mount option `{other}` (cdslfs takes ro, rw)"), 2)),
        }
    }
    Ok(read_only)
}

/// The mount point as an absolute path without symlinks, found without
/// looking inside it (a dead FUSE mount cannot be stat'ed).
fn mount_path(mountpoint: &Path) -> Result<PathBuf, Fail> {
    let abs = std::path::absolute(mountpoint).map_err(|e| fail(format!("{}: {e}", mountpoint.display())))?;
    let (Some(parent), Some(name)) = (abs.parent(), abs.file_name()) else {
        return Ok(abs);
    };
    let parent = parent.canonicalize().map_err(|e| fail(format!("{}: {e}", parent.display())))?;
    Ok(parent.join(name))
}

/// Where the daemon for `mountpoint` keeps its pid, log and result.
fn state_file(mountpoint: &Path, ext: &str) -> Result<PathBuf, Fail> {
    let dir = match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d).join("cdslfs"),
        _ => std::env::temp_dir().join(format!("cdslfs-{}", sys::uid())),
    };
    std::fs::create_dir_all(&dir).map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
    let key: String = mountpoint.to_string_lossy().replace('%', "%25").replace('/', "%2F");
    let key = if key.len() > 200 { format!("{:016x}", fnv1a(key.as_bytes())) } else { key };
    Ok(dir.join(format!("{key}.{ext}")))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, &b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

fn open_fs(m: &MountArgs) -> Result<Box<dyn Ops + Send>, Fail> {
    let engine = match m.engine {
        EngineArg::Model => {
            if !m.model_block_size.is_power_of_two() || !(1024..=65536).contains(&m.model_block_size) {
                return Err(Fail(format!("model block size {} is not a power of two ≥ 1024", m.model_block_size), 2));
            }
            return Ok(Box::new(model::Model::new(m.model_block_size)));
        }
        EngineArg::Native => ext2::Engine::Native,
        EngineArg::C => ext2::Engine::C,
        EngineArg::Update => ext2::Engine::Update,
        EngineArg::Value => ext2::Engine::Value,
    };
    if !m.image.is_file() {
        return Err(fail(format!("{}: no such image file", m.image.display())));
    }
    ext2::open(&m.image, engine, m.read_only).map_err(|e| fail(format!("cannot open {}: {e}", m.image.display())))
}

fn check_mountpoint(mountpoint: &Path) -> Result<PathBuf, Fail> {
    let path = mount_path(mountpoint)?;
    if !path.is_dir() {
        return Err(fail(format!("{}: the mount point is not a directory", mountpoint.display())));
    }
    if is_mounted(&path) {
        return Err(fail(format!("{}: something is already mounted there", mountpoint.display())));
    }
    Ok(path)
}

/// Runs the file system in this process until unmounted and synced.
fn mount_foreground(m: &MountArgs, notify_ready: bool, daemon: bool) -> Result<(), Fail> {
    if daemon {
        sys::new_session().map_err(|e| fail(format!("cannot start a new session: {e}")))?;
    }
    let path = check_mountpoint(&m.mountpoint)?;
    let fs = open_fs(m)?;
    let (pid_file, result_file) = (state_file(&path, "pid")?, state_file(&path, "result")?);
    let _ = std::fs::remove_file(&result_file);
    std::fs::write(&pid_file, format!("{}\n", std::process::id()))
        .map_err(|e| fail(format!("cannot write {}: {e}", pid_file.display())))?;
    let served = fuse::serve(fs, &path, &fuse::MountOptions { read_only: m.read_only }, || {
        if notify_ready {
            let mut out = std::io::stdout();
            // The parent may be gone; the mount is live either way.
            let _ = out.write_all(b"ready\n").and_then(|()| out.flush());
        }
    });
    // Only a failure leaves a result behind (for `umount` to report); the
    // pid file goes last, so `umount` knows a daemon that died before this.
    let wrote = match &served {
        Ok(()) => Ok(()),
        Err(e) => std::fs::write(&result_file, format!("{e}\n")),
    };
    if served.is_ok() && daemon {
        let _ = std::fs::remove_file(state_file(&path, "log")?);
    }
    let _ = std::fs::remove_file(&pid_file);
    served.map_err(fail)?;
    wrote.map_err(|e| fail(format!("cannot write {}: {e}", result_file.display())))
}

/// Starts the daemon and returns once its mount is live.
fn mount_daemon(m: &MountArgs) -> Result<(), Fail> {
    let path = check_mountpoint(&m.mountpoint)?;
    let image = std::path::absolute(&m.image).map_err(|e| fail(format!("{}: {e}", m.image.display())))?;
    let log_file = state_file(&path, "log")?;
    let log =
        std::fs::File::create(&log_file).map_err(|e| fail(format!("cannot create {}: {e}", log_file.display())))?;
    let exe = std::env::current_exe().map_err(|e| fail(format!("cannot find the cdslfs binary: {e}")))?;
    let mut cmd = Command::new(exe);
    cmd.arg("mount").arg(&image).arg(&path).arg("--foreground").arg("--notify-ready").arg("--daemon");
    let engine = m.engine.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default();
    cmd.args(["--engine", &engine, "--model-block-size", &m.model_block_size.to_string()]);
    if m.read_only {
        cmd.args(["-o", "ro"]);
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(log).current_dir("/");
    let mut child = cmd.spawn().map_err(|e| fail(format!("cannot start the daemon: {e}")))?;
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    if line.trim() == "ready" {
        return Ok(());
    }
    let status = child.wait().map_err(|e| fail(format!("waiting for the daemon: {e}")))?;
    let log = std::fs::read_to_string(&log_file).unwrap_or_default();
    let _ = std::fs::remove_file(&log_file);
    let why = log.lines().map(|l| l.strip_prefix("cdslfs: ").unwrap_or(l)).collect::<Vec<_>>().join("\n");
    Err(fail(if why.is_empty() { format!("the daemon failed ({status})") } else { why }))
}

/// Whether `path` is a mount point now (from /proc/self/mountinfo).
fn is_mounted(path: &Path) -> bool {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else { return false };
    let want = escape_mountinfo(&path.to_string_lossy());
    info.lines().any(|l| l.split(' ').nth(4) == Some(want.as_str()))
}

/// Mount points in mountinfo have space, tab, newline and `\` as octal escapes.
fn escape_mountinfo(path: &str) -> String {
    path.chars()
        .map(|c| match c {
            ' ' | '\t' | '\n' | '\\' => format!("\\{:03o}", c as u32),
            c => c.to_string(),
        })
        .collect()
}

/// Whether process `pid` is still running (a zombie has finished).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next()) != Some("Z"),
        Err(_) => false,
    }
}

fn umount(mountpoint: &Path, timeout: Duration) -> Result<(), Fail> {
    let path = mount_path(mountpoint)?;
    let (pid_file, result_file) = (state_file(&path, "pid")?, state_file(&path, "result")?);
    let pid = std::fs::read_to_string(&pid_file).ok().and_then(|s| s.trim().parse::<u32>().ok()).filter(|&p| alive(p));
    if !is_mounted(&path) && pid.is_none() {
        return Err(fail(format!("{}: not mounted", mountpoint.display())));
    }
    // Busy can be fleeting (a file just closed may still be held by a
    // process between fork and exec), so it is retried for a moment.
    let start = Instant::now();
    while is_mounted(&path) {
        let out = Command::new("fusermount3")
            .arg("-u")
            .arg(&path)
            .output()
            .map_err(|e| fail(format!("cannot run fusermount3 (Debian package fuse3): {e}")))?;
        if out.status.success() {
            break;
        }
        let err = String::from_utf8_lossy(&out.stderr);
        if !err.contains("busy") || start.elapsed() > Duration::from_secs(3) {
            return Err(fail(format!("fusermount3 -u {} failed: {}", path.display(), err.trim())));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let start = Instant::now();
    while is_mounted(&path) || pid.is_some_and(alive) {
        if start.elapsed() > timeout {
            return Err(fail(format!("the daemon for {} has not exited after {timeout:?}", path.display())));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // The daemon writes a result only when it fails, then removes its pid
    // file: a pid file left behind is a daemon that died before syncing.
    let died = pid_file.exists();
    let _ = std::fs::remove_file(&pid_file);
    match std::fs::read_to_string(&result_file) {
        Ok(r) => {
            let _ = std::fs::remove_file(&result_file);
            Err(fail(format!("the daemon for {} failed: {}", path.display(), r.trim())))
        }
        Err(_) if died => {
            // Its log is all there is to say why: show its end, keep nothing.
            let log_file = state_file(&path, "log")?;
            let log = std::fs::read_to_string(&log_file).unwrap_or_default();
            let _ = std::fs::remove_file(&log_file);
            let lines: Vec<&str> = log.lines().collect();
            let tail = lines[lines.len().saturating_sub(5)..].join("\n  ");
            let said = if tail.is_empty() { String::new() } else { format!("; its log ends:\n  {tail}") };
            Err(fail(format!("the daemon for {} exited without syncing the image{said}", path.display())))
        }
        Err(_) => Ok(()),
    }
}

/// Finds a program on PATH or in the sbin directories a user's PATH may lack.
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn mkfs(image: &Path, size: u64, block_size: u32) -> Result<(), Fail> {
    if size < 64 * block_size as u64 {
        return Err(Fail(format!("size {size} is too small for an ext2 file system"), 2));
    }
    let mke2fs = find_program("mke2fs").ok_or_else(|| fail("mke2fs not found (Debian package e2fsprogs)"))?;
    let file = std::fs::File::create(image).map_err(|e| fail(format!("cannot create {}: {e}", image.display())))?;
    file.set_len(size).map_err(|e| fail(format!("cannot size {}: {e}", image.display())))?;
    drop(file);
    let out = Command::new(mke2fs)
        .args(["-t", "ext2", "-F", "-q", "-b", &block_size.to_string()])
        .arg(image)
        .output()
        .map_err(|e| fail(format!("cannot run mke2fs: {e}")))?;
    if !out.status.success() {
        return Err(fail(format!("mke2fs failed: {}", String::from_utf8_lossy(&out.stderr).trim())));
    }
    Ok(())
}
