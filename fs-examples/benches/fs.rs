//! `make bench-fs`: the ext2 example through FUSE against `fuse2fs`
//! (Debian), same workloads on identical fresh `mke2fs` images, in one run.
//!
//! Workloads: sequential write of 256 MiB with fsync; sequential read of it
//! after a remount (nothing cached); create, stat and delete 5,000 small
//! files; untar a real source tree (this repository's `compiler`, `ddsl`
//! and `runtime` sources). Each is timed on fuse2fs, on cdslfs with the
//! native engine, and on cdslfs with the update interpreter — at a smaller
//! size (1 MiB, 100 files, the runtime's sources), its ratio computed per
//! MiB, per file or per tarball byte. A ratio
//! is fuse2fs's time over cdslfs's: above 1.0, cdslfs is faster. After the
//! workloads each image is unmounted (waiting for the daemon to sync and
//! exit) and checked with `e2fsck -fn`.
//!
//! Knobs: `CDSLFS_BENCH_MIB` (256), `CDSLFS_BENCH_FILES` (5000),
//! `CDSLFS_BENCH_BLOCK_SIZE` (4096), and for the interpreter
//! `CDSLFS_BENCH_SLOW_MIB` (1), `CDSLFS_BENCH_SLOW_FILES` (100).
//! `CDSLFS_BENCH_ROUNDS` (1) repeats the small-file workloads (create,
//! stat, delete) that many times, each in a fresh directory, and keeps
//! each one's best time: on a shared machine one preemption can double a
//! sub-second workload's time, and the best of a few rounds shows what
//! the file system costs (every system gets the same rounds).
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CDSLFS: &str = env!("CARGO_BIN_EXE_cdslfs");

fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A file system under test.
#[derive(Clone, Copy)]
enum System {
    Fuse2fs,
    Cdslfs(&'static str),
}

impl System {
    fn name(self) -> String {
        match self {
            System::Fuse2fs => "fuse2fs".into(),
            System::Cdslfs(engine) => format!("cdslfs ({engine})"),
        }
    }
}

/// A live mount. Both daemons run in the foreground as our children, so
/// that their exit (after syncing) can be waited for, and so that both are
/// scheduled alike: `cdslfs mount` without `--foreground` (like fuse2fs
/// without `-f`) starts its daemon in a session of its own, which Linux's
/// autogroup scheduling then weighs as a separate group from the workload
/// — on a busy machine every request's wake-up could wait behind other
/// groups, a handicap for whichever daemon alone had it.
struct Mounted {
    mnt: PathBuf,
    child: Option<Child>,
}

fn is_mounted(mnt: &Path) -> bool {
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    info.lines().any(|l| l.split(' ').nth(4).map(Path::new) == Some(mnt))
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

fn mount(system: System, image: &Path, mnt: &Path) -> Result<Mounted, String> {
    let mut cmd = match system {
        System::Cdslfs(engine) => {
            let mut cmd = Command::new(CDSLFS);
            cmd.arg("mount").arg(image).arg(mnt).args(["--engine", engine, "--foreground"]);
            cmd
        }
        System::Fuse2fs => {
            let mut cmd = Command::new("fuse2fs");
            cmd.arg(image).arg(mnt).arg("-f");
            cmd
        }
    };
    let name = system.name();
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().map_err(|e| format!("{name}: {e}"))?;
    let start = Instant::now();
    while !is_mounted(mnt) {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("{name} exited: {status}"));
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            return Err(format!("{name} did not mount in 20 s"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(Mounted { mnt: mnt.to_path_buf(), child: Some(child) })
}

impl Mounted {
    /// Unmounts and waits until the daemon has synced and exited; its
    /// failure (a sync that did not reach the image) is an error.
    fn unmount(mut self) -> Result<(), String> {
        run(Command::new("fusermount3").arg("-u").arg(&self.mnt))?;
        if let Some(mut child) = self.child.take() {
            let status = child.wait().map_err(|e| format!("waiting for the daemon: {e}"))?;
            if !status.success() {
                return Err(format!("the daemon exited with {status} after the unmount"));
            }
        }
        Ok(())
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if is_mounted(&self.mnt) {
            let _ = Command::new("fusermount3").arg("-uz").arg(&self.mnt).status();
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }
}

/// How big a run is.
#[derive(Clone)]
struct Size {
    mib: u64,
    files: u64,
    /// The source tree to untar, and its size in bytes.
    tarball: PathBuf,
    tar_bytes: u64,
}

/// Seconds per workload, in [`WORKLOADS`] order.
type Times = Vec<f64>;

const WORKLOADS: [&str; 6] = [
    "sequential write + fsync",
    "sequential read (after remount)",
    "create small files",
    "stat small files",
    "delete small files",
    "untar a source tree",
];

fn timed(f: impl FnOnce() -> Result<(), String>) -> Result<f64, String> {
    let start = Instant::now();
    f()?;
    Ok(start.elapsed().as_secs_f64())
}

fn io<T>(what: &str, r: std::io::Result<T>) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

/// Runs every workload on `system` over a fresh image, pushing each time
/// onto `times` as it is measured; stops at the first failure.
fn bench(system: System, dir: &Path, size: &Size, block_size: u64, times: &mut Times) -> Result<(), String> {
    let image = dir.join("disk.img");
    let mnt = dir.join("mnt");
    io("mount point", fs::create_dir_all(&mnt))?;
    let image_mib = (size.mib * 2 + 256).to_string() + "M";
    run(Command::new("mke2fs")
        .args(["-t", "ext2", "-F", "-q", "-b", &block_size.to_string()])
        .arg(&image)
        .arg(&image_mib))?;
    let chunk = vec![0x5au8; 1 << 20];

    let m = mount(system, &image, &mnt)?;
    let big = mnt.join("big");
    times.push(timed(|| {
        let mut f = io("create", File::create(&big))?;
        for _ in 0..size.mib {
            io("write", f.write_all(&chunk))?;
        }
        io("fsync", f.sync_all())
    })?);
    m.unmount()?;

    let m = mount(system, &image, &mnt)?;
    times.push(timed(|| {
        let mut f = io("open", File::open(&big))?;
        let mut buf = vec![0u8; 1 << 20];
        let mut total = 0;
        loop {
            let n = io("read", f.read(&mut buf))?;
            if n == 0 {
                break;
            }
            total += n as u64;
        }
        if total != size.mib << 20 {
            return Err(format!("read back {total} bytes"));
        }
        Ok(())
    })?);
    io("remove", fs::remove_file(&big))?;

    let mut best = [f64::INFINITY; 3];
    for round in 0..knob("CDSLFS_BENCH_ROUNDS", 1).max(1) {
        let round_times = small_files(&mnt.join(format!("small-{round}")), size.files)?;
        for (best, t) in best.iter_mut().zip(round_times) {
            *best = best.min(t);
        }
    }
    times.extend(best);

    times.push(timed(|| run(Command::new("tar").arg("-xf").arg(&size.tarball).arg("-C").arg(&mnt)))?);
    m.unmount()?;
    let out = io("e2fsck", Command::new("e2fsck").arg("-fn").arg(&image).output())?;
    if !out.status.success() {
        return Err(format!("e2fsck -fn after the run: {}", String::from_utf8_lossy(&out.stdout)));
    }
    let _ = fs::remove_file(&image);
    Ok(())
}

/// Creates `files` small files in a new directory `small`, stats them and
/// deletes them: the three workloads' times.
fn small_files(small: &Path, files: u64) -> Result<[f64; 3], String> {
    io("mkdir", fs::create_dir(small))?;
    let names: Vec<PathBuf> = (0..files).map(|i| small.join(format!("file-{i:05}"))).collect();
    let create = timed(|| {
        for (i, p) in names.iter().enumerate() {
            io("small file", fs::write(p, format!("small file number {i}\n")))?;
        }
        Ok(())
    })?;
    let stat = timed(|| {
        let listed = io("readdir", fs::read_dir(small))?.count() as u64;
        for p in &names {
            io("stat", fs::symlink_metadata(p))?;
        }
        (listed == files).then_some(()).ok_or_else(|| format!("listed {listed} files"))
    })?;
    let delete = timed(|| {
        for p in &names {
            io("unlink", fs::remove_file(p))?;
        }
        Ok(())
    })?;
    Ok([create, stat, delete])
}

/// The load averages (1, 5 and 15 minutes), printed with the results:
/// other jobs on the machine move the ratios by tens of percent.
fn load_average() -> String {
    let loads = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let loads: Vec<&str> = loads.split(' ').take(3).collect();
    match loads.len() {
        3 => loads.join(" "),
        _ => "unknown".into(),
    }
}

/// A ratio with three significant digits, however small.
fn ratio(r: f64) -> String {
    let decimals = if r >= 1.0 { 2 } else { (2.0 - r.log10().floor()).clamp(2.0, 8.0) as usize };
    format!("{r:.decimals$}")
}

fn missing_tools() -> Option<String> {
    if !Path::new("/dev/fuse").exists() {
        return Some("/dev/fuse is missing".into());
    }
    for (tool, package) in [("fusermount3", "fuse3"), ("fuse2fs", "fuse2fs"), ("tar", "tar")] {
        let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
            .any(|d| d.join(tool).is_file());
        if !found {
            return Some(format!("{tool} is missing (Debian package {package}; `make deps`)"));
        }
    }
    None
}

fn main() {
    if let Some(why) = missing_tools() {
        println!("bench-fs skipped: {why}");
        return;
    }
    let block_size = knob("CDSLFS_BENCH_BLOCK_SIZE", 4096);
    let scratch = std::env::temp_dir().join(format!("cdslfs-bench-{}", std::process::id()));
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch).expect("scratch directory");
    // The full tree: this repository's sources; the interpreters' share: the runtime's.
    let tar = |name: &str, dirs: &[&str]| -> (PathBuf, u64) {
        let tarball = scratch.join(name);
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let made = Command::new("tar")
            .arg("-cf")
            .arg(&tarball)
            .args(["--exclude=target", "-C"])
            .arg(&repo)
            .args(dirs)
            .status();
        if !made.is_ok_and(|s| s.success()) {
            println!("bench-fs: cannot make the source tarball {name}");
            std::process::exit(1);
        }
        let bytes = fs::metadata(&tarball).map(|m| m.len()).unwrap_or(1);
        (tarball, bytes)
    };
    let (tarball, tar_bytes) = tar("tree.tar", &["compiler", "ddsl", "runtime"]);
    let full = Size { mib: knob("CDSLFS_BENCH_MIB", 256), files: knob("CDSLFS_BENCH_FILES", 5000), tarball, tar_bytes };
    let (tarball, tar_bytes) = tar("small-tree.tar", &["runtime"]);
    let slow =
        Size { mib: knob("CDSLFS_BENCH_SLOW_MIB", 1), files: knob("CDSLFS_BENCH_SLOW_FILES", 100), tarball, tar_bytes };
    let kib = |b: u64| b / 1024;
    println!(
        "bench-fs: {} MiB file, {} small files, a {} KiB source tarball; {block_size}-byte blocks; \
         ratio = fuse2fs time / cdslfs time (> 1: cdslfs faster)",
        full.mib,
        full.files,
        kib(full.tar_bytes)
    );
    println!(
        "  the update interpreter is too slow for that: it runs {} MiB, {} files and a {} KiB tarball, \
         its ratio taken per MiB, file or byte",
        slow.mib,
        slow.files,
        kib(slow.tar_bytes)
    );

    let load_before = load_average();
    let mut results: Vec<(System, Size, Times, Result<(), String>)> = Vec::new();
    for (system, size) in
        [(System::Fuse2fs, &full), (System::Cdslfs("native"), &full), (System::Cdslfs("update"), &slow)]
    {
        let dir = scratch.join(system.name().replace([' ', '(', ')'], ""));
        eprintln!("bench-fs: running {} ...", system.name());
        let mut times = Vec::new();
        let result = bench(system, &dir, size, block_size, &mut times);
        results.push((system, size.clone(), times, result));
    }
    let _ = fs::remove_dir_all(&scratch);

    for (system, _, times, r) in &results {
        if let Err(e) = r {
            let at = WORKLOADS.get(times.len()).map_or("the end".into(), |w| format!("`{w}`"));
            println!("  {}: stopped at {at}: {}", system.name(), e.lines().next().unwrap_or(""));
        }
    }
    let peer = &results[0].2;
    println!("  load average before the run: {load_before}; after: {}", load_average());
    println!(
        "\n{:<34} {:>10} {:>16} {:>7} {:>16} {:>7}",
        "workload", "fuse2fs", "cdslfs native", "ratio", "cdslfs update", "ratio"
    );
    for (i, name) in WORKLOADS.iter().enumerate() {
        let Some(&peer_time) = peer.get(i) else { break };
        let mut line = format!("{name:<34} {peer_time:>9.3}s");
        for (_, size, times, _) in &results[1..] {
            match times.get(i) {
                Some(&t) => {
                    // Per unit of work: MiB, files or tarball bytes.
                    let scale = match i {
                        0 | 1 => size.mib as f64 / full.mib as f64,
                        5 => size.tar_bytes as f64 / full.tar_bytes as f64,
                        _ => size.files as f64 / full.files as f64,
                    };
                    line += &format!(" {t:>15.3}s {:>7}", ratio(peer_time * scale / t));
                }
                None => line += &format!(" {:>16} {:>7}", "-", "-"),
            }
        }
        println!("{line}");
    }
    // fuse2fs or the native engine failing is a failure; the update
    // interpreter may not run the example yet, which the table says.
    if results[..2].iter().any(|r| r.3.is_err()) {
        std::process::exit(1);
    }
}
