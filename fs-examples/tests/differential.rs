//! Random traces of file operations run on the ext2 example (over a fresh
//! `mke2fs` image) and on the in-memory reference model: every result and
//! errno must agree, and the image must stay clean for `e2fsck -fn`. The
//! native and C engines run every trace; the update and value interpreters
//! run the first few of them too (shortened); every engine's final image
//! must be byte-identical to the native engine's. `CDSL_FS_TRACES` sets the number of traces
//! (default 48; `make soak` runs more).
//!
//! Traces open and close files and directories too: a file unlinked (or
//! renamed over) while open must stay readable and writable until its last
//! close, a directory removed (or renamed over) while open must stay, empty
//! and without links, until its last close (its number not reused); the
//! handles still open at the end are dropped by the unmount, which must
//! free those inodes on both sides.

use fs_examples::ext2::{self, Engine};
use fs_examples::model::{Model, LOST_FOUND};
use fs_examples::ops::{Attr, Caller, Errno, Ino, Ops, SetAttr, Time, ROOT};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

const BLOCK: u32 = 1024;

#[derive(Clone, Debug)]
enum Op {
    Mkdir(usize, usize),
    Create(usize, usize),
    /// `mknod` with one of [`NODES`]: devices, a FIFO, a socket, and modes
    /// it must refuse.
    Mknod(usize, usize, usize),
    Write(usize, u64, usize),
    Truncate(usize, u64),
    /// Sets a known inode's atime and mtime (indices into [`TIMES`]).
    Utimes(usize, usize, usize),
    Read(usize, u64, u32),
    Unlink(usize, usize),
    Rmdir(usize, usize),
    Rename(usize, usize, usize, usize),
    Link(usize, usize, usize),
    Symlink(usize, usize, usize),
    Readlink(usize),
    Readdir(usize),
    Getattr(usize),
    /// Opens a handle on a known inode.
    Open(usize),
    /// Opens a handle on a known directory (as `opendir`).
    Opendir(usize),
    /// Makes a directory, opens it, and removes it while open: by rmdir,
    /// or (`true`) by renaming another new directory over it. Random
    /// removals rarely meet an open directory; this makes one for the
    /// rest of the trace to list, stat, create in, close or leave open.
    RemoveOpenDir(usize, usize, bool),
    /// Closes one of the open handles (if any).
    Close(usize),
}

/// Modes and device numbers for `mknod`: each kind of special file (a
/// device number that fits the old 16-bit encoding and one that needs the
/// new), then kinds `mknod` does not make and a mode of no kind.
const NODES: [(u32, u32); 8] = [
    (0o020644, 0x0801),
    (0o060600, 0x12_3456),
    (0o010644, 0),
    (0o140755, 0),
    (0o040755, 0),
    (0o120777, 0),
    (0o170644, 0),
    (0o000644, 0),
];

/// Few names, so that operations collide: the point is the errors.
fn name(i: usize) -> Vec<u8> {
    match i % 9 {
        5 => vec![b'L'; 256],
        6 => format!("a-rather-long-name-to-fill-blocks-{}", i % 3).into_bytes(),
        // Names the kernel never passes on, which the file system must
        // refuse or treat as the directory's own records all the same.
        7 => b".".to_vec(),
        8 => b"..".to_vec(),
        k => format!("n{k}").into_bytes(),
    }
}

/// Times to set: before 1970, past 2038 (each epoch of the extra fields),
/// the ends of what a 256-byte inode holds, and beyond them both. None in
/// 2310–2378: e2fsck takes such times for pre-1970 ones that an old kernel
/// encoded wrongly.
const TIMES: [Time; 10] = [
    Time { secs: -1_000_000_000, nsecs: 123 },
    Time { secs: -1, nsecs: 999_999_999 },
    Time { secs: i32::MAX as i64, nsecs: 5 },
    Time { secs: 1 << 31, nsecs: 6 },
    Time { secs: 4_102_444_800, nsecs: 7 },
    Time { secs: (2 << 32) + 5, nsecs: 8 },
    Time { secs: i32::MIN as i64, nsecs: 9 },
    Time { secs: (1 << 34) - 1 + i32::MIN as i64, nsecs: 10 },
    Time { secs: i64::MIN, nsecs: 11 },
    Time { secs: 1 << 40, nsecs: 12 },
];

fn offset() -> impl Strategy<Value = u64> {
    prop_oneof![0..5000u64, Just(12 * 1024), 260 * 1024..270 * 1024u64, Just(70 << 20)]
}

fn op() -> impl Strategy<Value = Op> {
    let i = || 0..16usize;
    prop_oneof![
        (i(), i()).prop_map(|(d, n)| Op::Mkdir(d, n)),
        (i(), i()).prop_map(|(d, n)| Op::Create(d, n)),
        (i(), i(), 0..NODES.len()).prop_map(|(d, n, m)| Op::Mknod(d, n, m)),
        (i(), offset(), 0..20_000usize).prop_map(|(f, o, l)| Op::Write(f, o, l)),
        (i(), offset()).prop_map(|(f, s)| Op::Truncate(f, s)),
        (i(), 0..TIMES.len(), 0..TIMES.len()).prop_map(|(f, a, m)| Op::Utimes(f, a, m)),
        (i(), offset(), 0..9000u32).prop_map(|(f, o, l)| Op::Read(f, o, l)),
        (i(), i()).prop_map(|(d, n)| Op::Unlink(d, n)),
        (i(), i()).prop_map(|(d, n)| Op::Rmdir(d, n)),
        (i(), i(), i(), i()).prop_map(|(a, b, c, d)| Op::Rename(a, b, c, d)),
        (i(), i(), i()).prop_map(|(f, d, n)| Op::Link(f, d, n)),
        (i(), i(), 1..300usize).prop_map(|(d, n, l)| Op::Symlink(d, n, l)),
        i().prop_map(Op::Readlink),
        i().prop_map(Op::Readdir),
        i().prop_map(Op::Getattr),
        i().prop_map(Op::Open),
        i().prop_map(Op::Opendir),
        (i(), i(), any::<bool>()).prop_map(|(d, n, over)| Op::RemoveOpenDir(d, n, over)),
        i().prop_map(Op::Close),
    ]
}

/// What an operation answered, in a form both file systems give alike.
#[derive(Debug, PartialEq)]
enum Answer {
    Attr(Attr),
    Bytes(Vec<u8>),
    Entries(Vec<(Ino, Vec<u8>, u64)>),
    Count(u32),
    Done,
    /// The answers of an operation's steps, up to the first error.
    Steps(Vec<Answer>),
    Err(Errno),
}

/// The caller of step `step`.
fn caller(step: u32) -> Caller {
    Caller { uid: 0, gid: 0, now: Time { secs: 1_700_000_000 + i64::from(step), nsecs: step * 1000 } }
}

/// Runs one operation; `open` holds the inodes of the handles open.
fn run(fs: &mut dyn Ops, known: &[Ino], open: &[Ino], op: &Op, step: u32) -> Answer {
    let caller = caller(step);
    let ino = |i: usize| known[i % known.len()];
    let answer = |r: Result<Answer, Errno>| r.unwrap_or_else(Answer::Err);
    answer(match *op {
        Op::Mkdir(d, n) => fs.mkdir(ino(d), &name(n), 0o755, caller).map(Answer::Attr),
        Op::Create(d, n) => fs.mknod(ino(d), &name(n), 0o100644, 0, caller).map(Answer::Attr),
        Op::Mknod(d, n, m) => fs.mknod(ino(d), &name(n), NODES[m].0, NODES[m].1, caller).map(Answer::Attr),
        Op::Write(f, off, len) => {
            let data: Vec<u8> = (0..len).map(|i| (i as u64 * 31 + off + u64::from(step)) as u8).collect();
            fs.write(ino(f), off, &data, caller).map(Answer::Count)
        }
        Op::Truncate(f, size) => {
            fs.setattr(ino(f), &SetAttr { size: Some(size), ..SetAttr::default() }, caller).map(Answer::Attr)
        }
        Op::Utimes(f, a, m) => {
            let set = SetAttr { atime: Some(TIMES[a]), mtime: Some(TIMES[m]), ..SetAttr::default() };
            fs.setattr(ino(f), &set, caller).map(Answer::Attr)
        }
        Op::Read(f, off, len) => fs.read(ino(f), off, len).map(Answer::Bytes),
        Op::Unlink(d, n) => fs.unlink(ino(d), &name(n), caller).map(|()| Answer::Done),
        Op::Rmdir(d, n) => fs.rmdir(ino(d), &name(n), caller).map(|()| Answer::Done),
        Op::Rename(a, b, c, d) => fs.rename(ino(a), &name(b), ino(c), &name(d), caller).map(|()| Answer::Done),
        Op::Link(f, d, n) => fs.link(ino(f), ino(d), &name(n), caller).map(Answer::Attr),
        Op::Symlink(d, n, len) => fs.symlink(ino(d), &name(n), &vec![b't'; len], caller).map(Answer::Attr),
        Op::Readlink(f) => fs.readlink(ino(f)).map(Answer::Bytes),
        Op::Readdir(d) => fs
            .readdir(ino(d), 0, 1000)
            .map(|es| Answer::Entries(es.into_iter().map(|e| (e.ino, e.name, e.next)).collect())),
        Op::Getattr(f) => fs.getattr(ino(f)).map(Answer::Attr),
        Op::Open(f) => fs.open(ino(f)).map(Answer::Attr),
        Op::Opendir(d) => fs.opendir(ino(d)).map(Answer::Attr),
        Op::RemoveOpenDir(d, n, over) => Ok(remove_open_dir(fs, ino(d), n, over, caller)),
        Op::Close(_) if open.is_empty() => Ok(Answer::Done),
        Op::Close(h) => fs.release(open[h % open.len()], caller).map(|()| Answer::Done),
    })
}

/// `Op::RemoveOpenDir`: the answers of mkdir, opendir and the removal (and
/// the mkdir of the directory renamed over it), up to the first error.
fn remove_open_dir(fs: &mut dyn Ops, parent: Ino, n: usize, over: bool, caller: Caller) -> Answer {
    let mut steps = Vec::new();
    let mut step = |r: Result<Answer, Errno>| {
        let ok = r.is_ok();
        steps.push(r.unwrap_or_else(Answer::Err));
        ok
    };
    let made = fs.mkdir(parent, &name(n), 0o755, caller);
    let dir = made.as_ref().map_or(0, |a| a.ino);
    let _ = step(made.map(Answer::Attr))
        && step(fs.opendir(dir).map(Answer::Attr))
        && match over {
            false => step(fs.rmdir(parent, &name(n), caller).map(|()| Answer::Done)),
            true => {
                step(fs.mkdir(parent, b"over", 0o700, caller).map(Answer::Attr))
                    && step(fs.rename(parent, b"over", parent, &name(n), caller).map(|()| Answer::Done))
            }
        };
    Answer::Steps(steps)
}

/// The inodes an answer made or opened known.
fn attrs(answer: &Answer) -> Vec<Ino> {
    match answer {
        Answer::Attr(a) => vec![a.ino],
        Answer::Steps(steps) => steps.iter().flat_map(attrs).collect(),
        _ => Vec::new(),
    }
}

/// The handles open after `op` answered `answer`.
fn track_handles(open: &mut Vec<Ino>, known: &[Ino], op: &Op, answer: &Answer) {
    match (op, answer) {
        (Op::Open(f) | Op::Opendir(f), Answer::Attr(_)) => open.push(known[f % known.len()]),
        (Op::RemoveOpenDir(..), Answer::Steps(steps)) => {
            if let Some(Answer::Attr(a)) = steps.get(1) {
                open.push(a.ino);
            }
        }
        (Op::Close(h), Answer::Done) if !open.is_empty() => {
            open.remove(h % open.len());
        }
        _ => {}
    }
}

fn fresh_image(case: u64) -> PathBuf {
    let dir = cdsl_test_support::scratch_shared("cdslfs-diff", "images");
    let image = dir.join(format!("case{case}.img"));
    let status = Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext2", "-b", "1024", "-I", "256", "-N", "128"])
        .arg(&image)
        .arg("8M")
        .status()
        .expect("mke2fs runs (install e2fsprogs)");
    assert!(status.success(), "mke2fs failed");
    image
}

fn cases() -> u32 {
    std::env::var("CDSL_FS_TRACES").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn ext2_agrees_with_the_model(trace in proptest::collection::vec(op(), 1..40), case in any::<u64>()) {
        let image = fresh_image(case);
        let pristine = std::fs::read(&image).expect("image");
        let native = run_trace(&image, Engine::Native, &trace)?;
        // The C engine is fast: every trace.
        std::fs::write(&image, &pristine).expect("image");
        let c = run_trace(&image, Engine::C, &trace)?;
        prop_assert!(c == native, "the C engine left a different image than native after {:?}", trace);
        // The interpreters are slow: a few traces, short ones.
        if INTERPRETED.fetch_add(1, Ordering::Relaxed) < interpreted_traces() {
            let short = &trace[..trace.len().min(12)];
            let native = if short.len() == trace.len() {
                native
            } else {
                std::fs::write(&image, &pristine).expect("image");
                run_trace(&image, Engine::Native, short)?
            };
            for engine in [Engine::Update, Engine::Value] {
                std::fs::write(&image, &pristine).expect("image");
                let bytes = run_trace(&image, engine, short)?;
                prop_assert!(bytes == native, "{:?} left a different image than native after {:?}", engine, short);
            }
        }
        let _ = std::fs::remove_file(&image);
    }
}

static INTERPRETED: AtomicU32 = AtomicU32::new(0);

fn interpreted_traces() -> u32 {
    (cases() / 8).max(3)
}

/// Runs `trace` on `engine` over `image` and on the model, comparing every
/// answer; checks the image with e2fsck and gives its bytes.
fn run_trace(image: &Path, engine: Engine, trace: &[Op]) -> Result<Vec<u8>, TestCaseError> {
    let mut ext2 = ext2::open(image, engine, false).expect("opens");
    let mut model = Model::new(BLOCK);
    let mut known = vec![ROOT, LOST_FOUND];
    // mke2fs stamped the root and lost+found with its own clock: give
    // both file systems the same times to start from.
    let start = Caller { uid: 0, gid: 0, now: Time { secs: 1_600_000_000, nsecs: 0 } };
    let stamp = SetAttr { atime: Some(start.now), mtime: Some(start.now), ..SetAttr::default() };
    for ino in [ROOT, LOST_FOUND] {
        prop_assert_eq!(ext2.setattr(ino, &stamp, start), model.setattr(ino, &stamp, start));
    }
    let mut open = Vec::new();
    for (step, op) in trace.iter().enumerate() {
        let expected = run(&mut model, &known, &open, op, step as u32);
        let got = run(ext2.as_mut(), &known, &open, op, step as u32);
        prop_assert_eq!(&got, &expected, "{:?} engine, step {} of {:?}", engine, step, trace);
        track_handles(&mut open, &known, op, &expected);
        for ino in attrs(&expected) {
            if !known.contains(&ino) {
                known.push(ino);
            }
        }
    }
    // The unmount frees what is still open and unlinked, on both sides.
    let end = caller(trace.len() as u32);
    prop_assert_eq!(ext2.unmount(end), model.unmount(end));
    for &ino in &known {
        let (got, expected) = (ext2.getattr(ino), model.getattr(ino));
        prop_assert_eq!(got, expected, "{:?} engine, inode {} after the unmount of {:?}", engine, ino, trace);
    }
    drop(ext2);
    let out = Command::new("e2fsck").arg("-fn").arg(image).output().expect("e2fsck runs");
    prop_assert!(out.status.success(), "e2fsck after {:?}:\n{}", trace, String::from_utf8_lossy(&out.stdout));
    Ok(std::fs::read(image).expect("image"))
}
