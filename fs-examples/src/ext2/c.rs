//! The C engine: the C backend's translation of the ext2 program, over the
//! block device of `c/device.c`, compiled by `build.rs` into a server
//! (`c/server.c`) that cdslfs runs as a child process and talks to over
//! pipes — no FFI. The protocol is described in `c/server.c`: a request is
//! an op code and little-endian words and length-prefixed byte strings;
//! a reply is a status (0, or 1 and an I/O error's message) and the results.
//!
//! A server that cannot start, dies, or answers malformed data gives an
//! `Err` (EIO for the caller) — that call and every later one.

use super::{Calls, Change, Now, Owner, Place, RawAttr, Totals};
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// The server `build.rs` compiled (empty without a C compiler).
const SERVER: &str = env!("CDSL_EXT2_C_SERVER");

/// The longest byte string a reply may carry (2^24, the longest buffer the
/// program makes, and a margin).
const MAX_BYTES: u32 = 1 << 25;

/// [`Calls`] answered by the C engine's server.
pub struct CEngine {
    child: Child,
    /// `None` once closed (dropping it ends the server).
    to: Option<BufWriter<ChildStdin>>,
    from: BufReader<ChildStdout>,
    /// Why the server cannot be used any more, after a failure.
    broken: Option<String>,
}

/// A request being written.
struct Request(Vec<u8>);

impl Request {
    fn new(op: u8) -> Request {
        Request(vec![op])
    }
    fn word(mut self, v: u32) -> Request {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn wide(mut self, v: u64) -> Request {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn bytes(self, b: &[u8]) -> Request {
        // Longer strings than 2^24 bytes are refused by the server (which
        // then stops): the kernel never sends them.
        let mut r = self.word(u32::try_from(b.len()).unwrap_or(u32::MAX));
        r.0.extend_from_slice(b);
        r
    }
    fn now(self, (secs, nsecs): Now) -> Request {
        self.wide(secs).word(nsecs)
    }
    fn place(self, at: Place<'_>) -> Request {
        self.word(at.dir).bytes(at.name)
    }
    fn owner(self, owner: Owner) -> Request {
        self.word(owner.uid).word(owner.gid)
    }
}

/// A reply being read.
struct Reply<'a>(&'a mut BufReader<ChildStdout>);

impl Reply<'_> {
    fn array<const N: usize>(&mut self) -> std::io::Result<[u8; N]> {
        let mut b = [0u8; N];
        self.0.read_exact(&mut b)?;
        Ok(b)
    }
    fn flag(&mut self) -> std::io::Result<bool> {
        match self.array::<1>()? {
            [0] => Ok(false),
            [1] => Ok(true),
            [other] => Err(malformed(format!("a flag is {other}"))),
        }
    }
    fn word(&mut self) -> std::io::Result<u32> {
        self.array().map(u32::from_le_bytes)
    }
    fn wide(&mut self) -> std::io::Result<u64> {
        self.array().map(u64::from_le_bytes)
    }
    fn bytes(&mut self) -> std::io::Result<Vec<u8>> {
        let len = self.word()?;
        if len > MAX_BYTES {
            return Err(malformed(format!("a byte string of {len} bytes")));
        }
        let mut b = vec![0u8; len as usize];
        self.0.read_exact(&mut b)?;
        Ok(b)
    }
    fn pair(&mut self) -> std::io::Result<(u32, u32)> {
        Ok((self.word()?, self.word()?))
    }
    /// A time: seconds (64 bits) and nanoseconds.
    fn time(&mut self) -> std::io::Result<(u64, u32)> {
        Ok((self.wide()?, self.word()?))
    }
}

fn malformed(what: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what)
}

impl CEngine {
    /// Starts the server on `image`, whose block size is `block_size`.
    pub fn start(image: &Path, block_size: u32, read_only: bool) -> Result<CEngine, String> {
        if SERVER.is_empty() {
            return Err("cdslfs was built without a C compiler, so without its C engine".to_owned());
        }
        let mut command = Command::new(SERVER);
        command.arg(image).arg(block_size.to_string()).arg(if read_only { "ro" } else { "rw" });
        CEngine::spawn(command)
    }

    /// Starts `command` as the server and reads its greeting.
    fn spawn(mut command: Command) -> Result<CEngine, String> {
        let program = command.get_program().to_string_lossy().into_owned();
        // Its own process group: a ^C meant for cdslfs must not stop the
        // server before cdslfs has synced through it.
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start the C engine's server `{program}`: {e}"))?;
        let (Some(to), Some(from)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the C engine's server has no pipes".to_owned());
        };
        let mut engine = CEngine { child, to: Some(BufWriter::new(to)), from: BufReader::new(from), broken: None };
        engine.status()?;
        Ok(engine)
    }

    /// Reads a reply's status: `Ok` to read on, `Err` with the server's
    /// message (an I/O error) or why the reply is unusable.
    fn status(&mut self) -> Result<(), String> {
        let mut reply = Reply(&mut self.from);
        let read = match reply.array::<1>() {
            Ok([0]) => return Ok(()),
            Ok([1]) => reply.bytes(),
            Ok([other]) => Err(malformed(format!("a status is {other}"))),
            Err(e) => Err(e),
        };
        match read {
            Ok(message) => Err(String::from_utf8_lossy(&message).into_owned()),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Marks the server unusable (stopping it) and says why.
    fn fail(&mut self, e: std::io::Error) -> String {
        let why = match e.kind() {
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::BrokenPipe => {
                "the C engine's server stopped (see its message above, if any)".to_owned()
            }
            _ => format!("the C engine's server answered malformed data: {e}"),
        };
        self.to = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.broken = Some(why.clone());
        why
    }

    /// Sends `request` and reads its reply with `parse`.
    fn call<T>(&mut self, request: Request, parse: impl FnOnce(&mut Reply) -> std::io::Result<T>) -> Result<T, String> {
        if let Some(why) = &self.broken {
            return Err(why.clone());
        }
        let Some(to) = self.to.as_mut() else { return Err("the C engine's server is closed".to_owned()) };
        if let Err(e) = to.write_all(&request.0).and_then(|()| to.flush()) {
            return Err(self.fail(e));
        }
        match self.status() {
            Ok(()) => {}
            Err(message) if self.broken.is_some() => return Err(message),
            Err(message) => return Err(format!("I/O error: {message}")),
        }
        parse(&mut Reply(&mut self.from)).map_err(|e| self.fail(e))
    }

    fn err_word(&mut self, request: Request) -> Result<(u32, u32), String> {
        self.call(request, |r| r.pair())
    }

    fn err_only(&mut self, request: Request) -> Result<u32, String> {
        self.call(request, |r| r.word())
    }

    fn err_bytes(&mut self, request: Request) -> Result<(u32, Vec<u8>), String> {
        self.call(request, |r| Ok((r.word()?, r.bytes()?)))
    }
}

impl Drop for CEngine {
    /// Closes the server's input: it exits without writing back, as
    /// dropping a Rust `Dev` does (cdslfs syncs before).
    fn drop(&mut self) {
        self.to = None;
        let _ = self.child.wait();
    }
}

impl Calls for CEngine {
    fn check(&mut self) -> Result<(u32, u32, bool), String> {
        self.call(Request::new(0), |r| Ok((r.word()?, r.word()?, r.flag()?)))
    }

    fn getattr(&mut self, ino: u32) -> Result<(u32, RawAttr), String> {
        self.call(Request::new(1).word(ino), |r| {
            let err = r.word()?;
            let raw = RawAttr {
                mode: r.word()?,
                uid: r.word()?,
                gid: r.word()?,
                size: r.wide()?,
                links: r.word()?,
                sectors: r.word()?,
                atime: r.time()?,
                mtime: r.time()?,
                ctime: r.time()?,
                rdev: r.word()?,
            };
            Ok((err, raw))
        })
    }

    fn lookup(&mut self, parent: u32, name: &[u8]) -> Result<(u32, u32), String> {
        self.err_word(Request::new(2).word(parent).bytes(name))
    }

    fn readdir(&mut self, dir: u32, pos: u32) -> Result<(u32, Vec<u8>, u32, u32, u32), String> {
        self.call(Request::new(3).word(dir).word(pos), |r| Ok((r.word()?, r.bytes()?, r.word()?, r.word()?, r.word()?)))
    }

    fn read(&mut self, ino: u32, off: u64, count: u32) -> Result<(u32, Vec<u8>), String> {
        self.err_bytes(Request::new(4).word(ino).wide(off).word(count))
    }

    fn write(&mut self, ino: u32, off: u64, data: &[u8], now: Now) -> Result<(u32, u32), String> {
        self.err_word(Request::new(5).word(ino).wide(off).bytes(data).now(now))
    }

    fn mknod(&mut self, at: Place<'_>, mode: u32, rdev: u32, owner: Owner, now: Now) -> Result<(u32, u32), String> {
        self.err_word(Request::new(6).place(at).word(mode).word(rdev).owner(owner).now(now))
    }

    fn mkdir(&mut self, at: Place<'_>, mode: u32, owner: Owner, now: Now) -> Result<(u32, u32), String> {
        self.err_word(Request::new(7).place(at).word(mode).owner(owner).now(now))
    }

    fn symlink(&mut self, at: Place<'_>, target: &[u8], owner: Owner, now: Now) -> Result<(u32, u32), String> {
        self.err_word(Request::new(8).place(at).bytes(target).owner(owner).now(now))
    }

    fn readlink(&mut self, ino: u32) -> Result<(u32, Vec<u8>), String> {
        self.err_bytes(Request::new(9).word(ino))
    }

    fn link(&mut self, ino: u32, parent: u32, name: &[u8], now: Now) -> Result<u32, String> {
        self.err_only(Request::new(10).word(ino).word(parent).bytes(name).now(now))
    }

    fn unlink(&mut self, parent: u32, name: &[u8], now: Now) -> Result<(u32, u32), String> {
        self.err_word(Request::new(11).word(parent).bytes(name).now(now))
    }

    fn rmdir(&mut self, parent: u32, name: &[u8], now: Now) -> Result<(u32, u32), String> {
        self.err_word(Request::new(12).word(parent).bytes(name).now(now))
    }

    fn rename(&mut self, from: Place<'_>, to: Place<'_>, now: Now) -> Result<(u32, u32), String> {
        self.err_word(Request::new(13).place(from).place(to).now(now))
    }

    fn evict(&mut self, ino: u32, now: Now) -> Result<u32, String> {
        self.err_only(Request::new(18).word(ino).now(now))
    }

    fn setattr(&mut self, ino: u32, c: Change, now: Now) -> Result<u32, String> {
        let request = Request::new(14).word(ino).word(c.mask).word(c.mode).word(c.uid).word(c.gid).wide(c.size);
        self.err_only(request.now(c.atime).now(c.mtime).now(now))
    }

    fn statfs(&mut self) -> Result<(u32, Totals), String> {
        self.call(Request::new(15), |r| {
            let err = r.word()?;
            let totals = Totals {
                blocks: r.word()?,
                free: r.word()?,
                reserved: r.word()?,
                inodes: r.word()?,
                free_inodes: r.word()?,
                bs: r.word()?,
            };
            Ok((err, totals))
        })
    }

    fn sync(&mut self) -> Result<(), String> {
        self.call(Request::new(16), |_| Ok(())).map_err(|e| format!("sync failed: {e}"))
    }

    fn flush(&mut self) -> Result<(), String> {
        self.call(Request::new(17), |_| Ok(())).map_err(|e| format!("writing back the cache failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl CEngine {
        /// Closes the server's input and gives how it exited.
        fn finish(mut self) -> std::io::Result<std::process::ExitStatus> {
            self.to = None;
            self.child.wait()
        }
    }

    /// The real server on `image` under valgrind (any error, or memory
    /// definitely lost at exit, makes it exit with 99), or `None` with the
    /// reason printed when valgrind is not installed.
    fn under_valgrind(image: &Path) -> Option<CEngine> {
        if Command::new("valgrind").arg("--version").output().is_err() {
            println!("skipped: valgrind is not installed");
            return None;
        }
        let mut command = Command::new("valgrind");
        command.args(["-q", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite"]).args([
            SERVER.as_ref(),
            image.as_os_str(),
            "1024".as_ref(),
            "rw".as_ref(),
        ]);
        Some(CEngine::spawn(command).expect("the server starts under valgrind"))
    }

    /// Every request, through every level of indirection, an I/O error
    /// (blocks cut off the image) and the server's exit: valgrind-clean.
    #[test]
    fn the_server_is_clean_under_valgrind() {
        if SERVER.is_empty() {
            println!("skipped: built without a C compiler");
            return;
        }
        let dir = std::env::temp_dir().join(format!("cdslfs-c-valgrind-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        let image = dir.join("disk.img");
        let made = Command::new("mke2fs")
            .args(["-q", "-F", "-t", "ext2", "-b", "1024", "-N", "64"])
            .arg(&image)
            .arg("4M")
            .status()
            .expect("mke2fs runs (install e2fsprogs)");
        assert!(made.success(), "mke2fs failed");
        let Some(mut c) = under_valgrind(&image) else { return };
        let now = (1_700_000_000, 5);
        assert_eq!(c.check(), Ok((0, 0, false)));
        let root = Owner { uid: 0, gid: 0 };
        let at = |dir, name| Place { dir, name };
        let (err, d) = c.mkdir(at(2, b"d"), 0o755, root, now).expect("mkdir");
        assert_eq!(err, 0);
        let (err, f) = c.mknod(at(d, b"f"), 0o100644, 0, root, now).expect("mknod");
        assert_eq!(err, 0);
        // 12 direct blocks, 256 single indirect, then double indirect.
        let data: Vec<u8> = (0..300 * 1024u32).map(|i| (i * 7 + i / 1024) as u8).collect();
        assert_eq!(c.write(f, 0, &data, now), Ok((0, data.len() as u32)));
        let back = c.read(f, 1000, 280 * 1024).expect("read");
        assert!(back == (0, data[1000..1000 + 280 * 1024].to_vec()), "read back differently");
        let (err, s) = c.symlink(at(d, b"s"), &[b't'; 100], root, now).expect("symlink");
        assert_eq!((err, c.readlink(s)), (0, Ok((0, vec![b't'; 100]))));
        let (err, packed, used, _, _) = c.readdir(d, 0).expect("readdir");
        assert!(err == 0 && used > 0 && packed.len() >= used as usize, "readdir: {err} {used}");
        assert_eq!(c.link(f, 2, b"g", now), Ok(0));
        assert_eq!(c.rename(at(d, b"f"), at(2, b"h"), now), Ok((0, 0)));
        assert_eq!(c.unlink(2, b"g", now), Ok((0, 0)), "a link remains");
        // An orphan: unlinked, still readable, then freed.
        let (err, o) = c.mknod(at(2, b"o"), 0o100644, 0, root, now).expect("mknod");
        assert_eq!((err, c.write(o, 0, b"kept", now)), (0, Ok((0, 4))));
        assert_eq!(c.unlink(2, b"o", now), Ok((0, o)), "its last link");
        assert_eq!(c.read(o, 0, 10), Ok((0, b"kept".to_vec())));
        assert_eq!(c.evict(o, now), Ok(0));
        assert_eq!(c.getattr(o).map(|(err, _)| err), Ok(2), "ENOENT once freed");
        assert_eq!(c.lookup(2, b"g"), Ok((2, 0)));
        assert_eq!(c.rmdir(2, b"d", now), Ok((39, 0)), "ENOTEMPTY");
        let change = Change { mask: 8 | 1, mode: 0o600, size: 200 * 1024, ..Change::default() };
        assert_eq!(c.setattr(f, change, now), Ok(0));
        let (err, attr) = c.getattr(f).expect("getattr");
        assert_eq!((err, attr.mode, attr.size, attr.links), (0, 0o100600, 200 * 1024, 1));
        let (err, totals) = c.statfs().expect("statfs");
        assert_eq!((err, totals.bs, totals.blocks), (0, 1024, 4096));
        assert_eq!((c.flush(), c.sync()), (Ok(()), Ok(())));
        let status = c.finish().expect("the server exits");
        assert!(status.success(), "valgrind: {status}");
        // Cut the image short after the inode table: the file's last
        // blocks are beyond it now.
        std::fs::OpenOptions::new().write(true).open(&image).and_then(|f| f.set_len(128 * 1024)).expect("truncate");
        let Some(mut c) = under_valgrind(&image) else { return };
        let e = c.read(f, 190 * 1024, 4096).expect_err("blocks beyond the image");
        assert!(e.starts_with("I/O error: ") && e.contains("beyond the image"), "{e}");
        assert_eq!(c.lookup(2, b"h"), Ok((0, f)), "still serving");
        let status = c.finish().expect("the server exits");
        assert!(status.success(), "valgrind: {status}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A fake server: `sh -c script`.
    fn fake(script: &str) -> Result<CEngine, String> {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        CEngine::spawn(command)
    }

    #[test]
    fn a_server_that_cannot_open_the_image_gives_its_reason() {
        let Err(e) = fake(r"printf '\001\005\000\000\000nope!'") else { panic!("started") };
        assert_eq!(e, "nope!");
    }

    #[test]
    fn a_server_that_dies_gives_errors_not_panics() {
        assert!(fake("exit 0").is_err(), "no greeting");
        let mut engine = fake(r"printf '\000'").expect("greets");
        let e = engine.getattr(2).expect_err("died");
        assert!(e.contains("stopped"), "{e}");
        assert!(engine.statfs().is_err() && engine.sync().is_err(), "stays failed");
    }

    #[test]
    fn malformed_replies_give_errors_not_panics() {
        // A bad status; a reply cut short; a huge byte string; a bad flag.
        for reply in [
            r"\007",
            r"\000\001\000",
            r"\000\000\000\000\000\377\377\377\377",
            r"\000\000\000\000\000\000\000\000\000\011",
        ] {
            // Its output closed, so that a reply cut short ends.
            let mut engine = fake(&format!(r"printf '\000{reply}'; exec >&-; cat >/dev/null")).expect("greets");
            let got =
                if reply.ends_with(r"\011") { engine.check().map(|_| ()) } else { engine.read(2, 0, 1).map(|_| ()) };
            let e = got.expect_err(reply);
            assert!(e.contains("malformed") || e.contains("stopped"), "{reply}: {e}");
            assert!(engine.lookup(2, b"x").is_err(), "stays failed");
        }
    }

    #[test]
    fn an_io_error_is_reported_and_the_server_stays_usable() {
        let mut engine =
            fake(r"printf '\000\001\003\000\000\000bad\000\000\000\000\000\000\000\000\000'; cat >/dev/null")
                .expect("greets");
        assert_eq!(engine.unlink(2, b"x", (0, 0)), Err("I/O error: bad".to_owned()));
        assert_eq!(engine.unlink(2, b"x", (0, 0)), Ok((0, 0)));
    }
}
