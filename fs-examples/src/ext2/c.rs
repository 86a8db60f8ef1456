//! The C engine: the C backend's translation of the ext2 program, over the
//! block device of `c/device.c`, compiled by `build.rs` into a server
//! (`c/server.c`) that cdslfs runs as a child process and talks to over
//! pipes — no FFI. The protocol is described in `c/server.c`: a request is
//! an op code and little-endian words and length-prefixed byte strings;
//! a reply is a status (0, or 1 and an I/O error's message) and the results.
//!
//! A server that cannot start, dies, or answers malformed data gives an
//! `Err` (EIO for the caller) — that call and every later one.

use super::{Calls, Change, Now, RawAttr, Totals};
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
        self.word(secs).word(nsecs)
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
                atime: r.pair()?,
                mtime: r.pair()?,
                ctime: r.pair()?,
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

    fn mknod(
        &mut self,
        parent: u32,
        name: &[u8],
        mode: u32,
        rdev: u32,
        uid: u32,
        gid: u32,
        now: Now,
    ) -> Result<(u32, u32), String> {
        self.err_word(Request::new(6).word(parent).bytes(name).word(mode).word(rdev).word(uid).word(gid).now(now))
    }

    fn mkdir(
        &mut self,
        parent: u32,
        name: &[u8],
        mode: u32,
        uid: u32,
        gid: u32,
        now: Now,
    ) -> Result<(u32, u32), String> {
        self.err_word(Request::new(7).word(parent).bytes(name).word(mode).word(uid).word(gid).now(now))
    }

    fn symlink(
        &mut self,
        parent: u32,
        name: &[u8],
        target: &[u8],
        uid: u32,
        gid: u32,
        now: Now,
    ) -> Result<(u32, u32), String> {
        self.err_word(Request::new(8).word(parent).bytes(name).bytes(target).word(uid).word(gid).now(now))
    }

    fn readlink(&mut self, ino: u32) -> Result<(u32, Vec<u8>), String> {
        self.err_bytes(Request::new(9).word(ino))
    }

    fn link(&mut self, ino: u32, parent: u32, name: &[u8], now: Now) -> Result<u32, String> {
        self.err_only(Request::new(10).word(ino).word(parent).bytes(name).now(now))
    }

    fn unlink(&mut self, parent: u32, name: &[u8], now: Now) -> Result<u32, String> {
        self.err_only(Request::new(11).word(parent).bytes(name).now(now))
    }

    fn rmdir(&mut self, parent: u32, name: &[u8], now: Now) -> Result<u32, String> {
        self.err_only(Request::new(12).word(parent).bytes(name).now(now))
    }

    fn rename(&mut self, parent: u32, name: &[u8], new_parent: u32, new_name: &[u8], now: Now) -> Result<u32, String> {
        self.err_only(Request::new(13).word(parent).bytes(name).word(new_parent).bytes(new_name).now(now))
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
            fake(r"printf '\000\001\003\000\000\000bad\000\000\000\000\000'; cat >/dev/null").expect("greets");
        assert_eq!(engine.unlink(2, b"x", (0, 0)), Err("I/O error: bad".to_owned()));
        assert_eq!(engine.unlink(2, b"x", (0, 0)), Ok(0));
    }
}
