//! The FUSE glue: any [`Ops`] file system served through `fuser`.
//!
//! Consumes kernel requests (via `fuser`), produces [`Ops`] calls and
//! replies. The only module that imports `fuser`: callbacks convert
//! arguments (FUSE's root inode 1 is ext2's 2; names are bytes; times are
//! [`Time`]s), call one [`Ops`] method under a mutex and convert its
//! `Result` into a reply. Things [`Ops`] leaves to the glue:
//!
//! - `create` is `mknod` then [`Ops::open`]; `open` and `release` are
//!   [`Ops::open`] and [`Ops::release`], which keep a file unlinked while
//!   open alive until its last release; `opendir` and `releasedir` are
//!   [`Ops::opendir`] and [`Ops::release`], the same for a directory
//!   removed while open. File handles are all 0 (the file system counts
//!   handles per inode).
//!   The one thing the glue remembers is a generation number per inode
//!   made through the mount, because ext2 reuses inode numbers.
//! - `fsync` and `fsyncdir` call [`Ops::sync`], so data is durable in the
//!   image when `fsync` or `fdatasync` return; `flush` (every `close`)
//!   calls [`Ops::flush`], which puts it in the image file (by default
//!   through `sync`).
//! - the umask is applied to `mkdir`/`mknod`/`create` modes (the kernel
//!   does it too unless asked not to; doing it twice changes nothing).
//! - `fallocate` always fails with `EOPNOTSUPP`; `rename` with
//!   `RENAME_EXCHANGE` or `RENAME_WHITEOUT` with `EINVAL`.
//! - a read-only mount refuses every change with `EROFS` (the kernel
//!   already does, with `-o ro`).
//!
//! [`serve`] mounts (`allow_other,default_permissions`, fsname `cdslfs`),
//! runs the session on four threads, each of which lingers for the next
//! request a moment after answering one ([`Adapter::linger`]), until unmounted (`fusermount3 -u`, `umount`, SIGINT,
//! SIGTERM or SIGHUP), then calls [`Ops::unmount`] (which frees files still
//! waiting for a release, and syncs) and reports its result.
use crate::ops::{Attr, Caller, DirEntry, Errno, Ino, Kind, Ops, SetAttr, Time, ROOT};
use fuser::{
    Config, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, InitFlags, KernelConfig,
    LockOwner, MountOption, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory,
    ReplyDirectoryPlus, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request, Session, SessionACL,
    TimeOrNow, WriteFlags,
};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long the kernel may cache attributes and entries. Every change goes
/// through this mount, and the kernel drops or refreshes what each change
/// makes stale (the entry unlinked, the directory's and the inode's
/// attributes), so the cache cannot go stale: a short timeout would only
/// cost a LOOKUP round trip per path component once it expires (libfuse's
/// default of one second made deleting files created a second earlier look
/// each one up again).
const TTL: Duration = Duration::from_secs(60);
/// How long the session's thread waits, without sleeping, for the next
/// request after answering one (see [`Adapter::linger`]).
const LINGER: Duration = Duration::from_micros(50);
/// Entries asked of [`Ops::readdir`] per kernel request.
const READDIR_BATCH: usize = 128;

impl From<Errno> for fuser::Errno {
    fn from(e: Errno) -> fuser::Errno {
        fuser::Errno::from_i32(e.0)
    }
}

impl From<Kind> for FileType {
    fn from(kind: Kind) -> FileType {
        match kind {
            Kind::File => FileType::RegularFile,
            Kind::Dir => FileType::Directory,
            Kind::Symlink => FileType::Symlink,
            Kind::CharDevice => FileType::CharDevice,
            Kind::BlockDevice => FileType::BlockDevice,
            Kind::Fifo => FileType::NamedPipe,
            Kind::Socket => FileType::Socket,
        }
    }
}

impl From<Time> for SystemTime {
    fn from(t: Time) -> SystemTime {
        // `nsecs` counts forward from `secs`, also before the epoch.
        let nanos = t.secs as i128 * 1_000_000_000 + t.nsecs.min(999_999_999) as i128;
        let since = |n: i128| Duration::new((n / 1_000_000_000) as u64, (n % 1_000_000_000) as u32);
        if nanos >= 0 {
            UNIX_EPOCH + since(nanos)
        } else {
            UNIX_EPOCH - since(-nanos)
        }
    }
}

impl From<SystemTime> for Time {
    fn from(t: SystemTime) -> Time {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Time { secs: d.as_secs() as i64, nsecs: d.subsec_nanos() },
            Err(before) => {
                let d = before.duration();
                match d.subsec_nanos() {
                    0 => Time { secs: -(d.as_secs() as i64), nsecs: 0 },
                    n => Time { secs: -(d.as_secs() as i64) - 1, nsecs: 1_000_000_000 - n },
                }
            }
        }
    }
}

/// FUSE numbers the root 1; ext2 numbers it 2 (and never shows inode 1).
fn to_fuse(ino: Ino) -> INodeNo {
    INodeNo(if ino == ROOT { 1 } else { ino as u64 })
}

fn from_fuse(ino: INodeNo) -> Result<Ino, Errno> {
    match ino.0 {
        1 => Ok(ROOT),
        2 => Err(Errno::ENOENT),
        n => Ino::try_from(n).map_err(|_| Errno::ENOENT),
    }
}

impl From<Attr> for FileAttr {
    fn from(a: Attr) -> FileAttr {
        FileAttr {
            ino: to_fuse(a.ino),
            size: a.size,
            blocks: a.blocks,
            atime: a.atime.into(),
            mtime: a.mtime.into(),
            ctime: a.ctime.into(),
            crtime: a.ctime.into(),
            kind: a.kind.into(),
            perm: a.perm,
            nlink: a.nlink,
            uid: a.uid,
            gid: a.gid,
            rdev: a.rdev,
            blksize: a.blksize,
            flags: 0,
        }
    }
}

fn caller(req: &Request) -> Caller {
    Caller { uid: req.uid(), gid: req.gid(), now: SystemTime::now().into() }
}

/// `mode` with the umask taken from its permission bits.
fn masked(mode: u32, umask: u32) -> u32 {
    (mode & !0o7777) | (mode & 0o7777 & !umask)
}

/// An [`Ops`] file system as a `fuser::Filesystem`.
pub struct Adapter {
    ops: Arc<Mutex<Box<dyn Ops + Send>>>,
    /// Generation numbers of the inodes made through this mount. ext2 hands
    /// a freed inode number out again at once, while the kernel may still
    /// hold the old inode (an open file); FUSE tells the two apart by
    /// (number, generation), so each new inode gets a new generation.
    generations: Mutex<Generations>,
    read_only: bool,
    /// The session's /dev/fuse descriptor (a duplicate), once mounted; the
    /// tests' adapters have none and never linger.
    device: Arc<OnceLock<OwnedFd>>,
    /// The id of the last FORGET or BATCH_FORGET request seen.
    forgotten: AtomicU64,
}

impl Adapter {
    pub fn new(ops: Arc<Mutex<Box<dyn Ops + Send>>>, read_only: bool) -> Adapter {
        Adapter {
            ops,
            read_only,
            generations: Mutex::new(Generations::default()),
            device: Arc::default(),
            forgotten: AtomicU64::new(0),
        }
    }

    /// Called after each answer (and FORGET): waits up to [`LINGER`] for
    /// the next request without sleeping, then returns to fuser's loop,
    /// which reads it. A synchronous caller's next request follows within
    /// microseconds: an unlink is a GETATTR of the directory (which
    /// `default_permissions` needs after every change in it), the UNLINK
    /// and a FORGET, one after the other. A thread running when a request
    /// comes takes it at once; one asleep in `read` must first be woken,
    /// often on the other CPU, which on this machine's virtual CPUs costs
    /// more than the request. The kernel still wakes a sleeping thread
    /// too, which finds nothing and sleeps again; and should this one be
    /// off the CPU, that thread answers, as without lingering. Other
    /// threads ready to run on this CPU run between the polls.
    fn linger(&self) {
        if let Some(device) = self.device.get() {
            crate::sys::await_input(device.as_fd(), LINGER);
        }
    }

    fn fs(&self) -> MutexGuard<'_, Box<dyn Ops + Send>> {
        // A panic in another callback poisons the lock; the file system's
        // state is whatever that call left, which is all there is to serve.
        self.ops.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs one operation; a panic in it (a bug in the file system) is
    /// reported and answered with EIO instead of ending the session.
    fn call<T>(&self, op: impl FnOnce(&mut dyn Ops) -> Result<T, Errno>) -> Result<T, Errno> {
        let mut fs = self.fs();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| op(&mut **fs))) {
            Ok(result) => result,
            Err(_) => {
                eprintln!("cdslfs: bug: a file-system operation panicked (above); answering EIO");
                Err(Errno::EIO)
            }
        }
    }

    fn writable(&self) -> Result<(), Errno> {
        if self.read_only {
            return Err(Errno::EROFS);
        }
        Ok(())
    }

    fn do_setattr(&self, req: &Request, ino: INodeNo, changes: SetAttr) -> Result<Attr, Errno> {
        let ino = from_fuse(ino)?;
        if changes == SetAttr::default() {
            return self.call(|fs| fs.getattr(ino));
        }
        self.writable()?;
        self.call(|fs| fs.setattr(ino, &changes, caller(req)))
    }

    fn do_rename(
        &self,
        req: &Request,
        from: (INodeNo, &OsStr),
        to: (INodeNo, &OsStr),
        flags: RenameFlags,
    ) -> Result<(), Errno> {
        self.writable()?;
        let (parent, new_parent) = (from_fuse(from.0)?, from_fuse(to.0)?);
        let (name, new_name) = (from.1.as_bytes(), to.1.as_bytes());
        if !(flags - RenameFlags::RENAME_NOREPLACE).is_empty() {
            return Err(Errno::EINVAL);
        }
        self.call(|fs| {
            if flags.contains(RenameFlags::RENAME_NOREPLACE) {
                match fs.lookup(new_parent, new_name) {
                    Ok(_) => return Err(Errno::EEXIST),
                    Err(e) if e == Errno::ENOENT => {}
                    Err(e) => return Err(e),
                }
            }
            fs.rename(parent, name, new_parent, new_name, caller(req))
        })
    }

    fn fill_dir(&self, ino: INodeNo, offset: u64, reply: &mut ReplyDirectory) -> Result<(), Errno> {
        self.each_entry(ino, offset, |_, e| {
            Ok(reply.add(to_fuse(e.ino), e.next, e.kind.into(), OsStr::from_bytes(&e.name)))
        })
    }

    /// `fill_dir` with each entry's attributes, as a lookup would give them.
    fn fill_dir_plus(&self, ino: INodeNo, offset: u64, reply: &mut ReplyDirectoryPlus) -> Result<(), Errno> {
        self.each_entry(ino, offset, |adapter, e| {
            let attr = adapter.call(|fs| fs.getattr(e.ino))?;
            let generation = adapter.generation(e.ino, false);
            let name = OsStr::from_bytes(&e.name);
            Ok(reply.add(to_fuse(e.ino), e.next, name, &TTL, &FileAttr::from(attr), generation))
        })
    }

    /// Feeds a directory's entries from `offset` on to `add` until it says
    /// the reply is full (`true`) or the directory ends.
    fn each_entry(
        &self,
        ino: INodeNo,
        offset: u64,
        mut add: impl FnMut(&Adapter, &DirEntry) -> Result<bool, Errno>,
    ) -> Result<(), Errno> {
        let ino = from_fuse(ino)?;
        let mut offset = offset;
        loop {
            let entries = self.call(|fs| fs.readdir(ino, offset, READDIR_BATCH))?;
            let Some(last) = entries.last().map(|e| e.next) else { return Ok(()) };
            for e in &entries {
                if add(self, e)? {
                    return Ok(());
                }
            }
            offset = last;
        }
    }
}

/// Inode generations handed to the kernel: 0 for inodes that were there
/// before the mount, a fresh one for each inode made since.
#[derive(Default)]
struct Generations {
    last: u64,
    of: HashMap<Ino, u64>,
}

impl Adapter {
    /// The generation of `ino`; a new one if `fresh` (it was just made).
    fn generation(&self, ino: Ino, fresh: bool) -> Generation {
        let mut g = self.generations.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if fresh {
            g.last += 1;
            let last = g.last;
            g.of.insert(ino, last);
        }
        Generation(g.of.get(&ino).copied().unwrap_or(0))
    }

    fn entry(&self, reply: ReplyEntry, result: Result<Attr, Errno>, fresh: bool) {
        match result {
            Ok(attr) => reply.entry(&TTL, &FileAttr::from(attr.clone()), self.generation(attr.ino, fresh)),
            Err(e) => reply.error(e.into()),
        }
    }
}

fn empty(reply: ReplyEmpty, result: Result<(), Errno>) {
    match result {
        Ok(()) => reply.ok(),
        Err(e) => reply.error(e.into()),
    }
}

fn time_or_now(t: Option<TimeOrNow>, now: SystemTime) -> Option<Time> {
    t.map(|t| match t {
        TimeOrNow::SpecificTime(t) => t.into(),
        TimeOrNow::Now => now.into(),
    })
}

impl Filesystem for Adapter {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> std::io::Result<()> {
        // Listings carry attributes when the kernel wants them (`ls -l`,
        // `rm -r`), saving a lookup per entry; kernels without it list plainly.
        let _ = config.add_capabilities(InitFlags::FUSE_DO_READDIRPLUS | InitFlags::FUSE_READDIRPLUS_AUTO);
        Ok(())
    }

    fn forget(&self, req: &Request, _ino: INodeNo, _nlookup: u64) {
        // Nothing to drop: the glue keeps no per-lookup state, and an
        // unlinked inode was freed at its unlink or last release. fuser
        // calls this once per inode of a BATCH_FORGET, all with the
        // batch's request id: linger once per request, not per inode.
        let id = req.unique().0;
        if self.forgotten.swap(id, Ordering::Relaxed) != id {
            self.linger();
        }
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        self.entry(reply, from_fuse(parent).and_then(|p| self.call(|fs| fs.lookup(p, name.as_bytes()))), false);
        self.linger();
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match from_fuse(ino).and_then(|i| self.call(|fs| fs.getattr(i))) {
            Ok(attr) => reply.attr(&TTL, &attr.into()),
            Err(e) => reply.error(e.into()),
        }
        self.linger();
    }

    fn setattr(
        &self,
        req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let now = SystemTime::now();
        let changes = SetAttr {
            mode: mode.map(|m| m & 0o7777),
            uid,
            gid,
            size,
            atime: time_or_now(atime, now),
            mtime: time_or_now(mtime, now),
        };
        match self.do_setattr(req, ino, changes) {
            Ok(attr) => reply.attr(&TTL, &attr.into()),
            Err(e) => reply.error(e.into()),
        }
        self.linger();
    }

    fn readlink(&self, _req: &Request, ino: INodeNo, reply: ReplyData) {
        match from_fuse(ino).and_then(|i| self.call(|fs| fs.readlink(i))) {
            Ok(target) => reply.data(&target),
            Err(e) => reply.error(e.into()),
        }
        self.linger();
    }

    fn mknod(&self, req: &Request, parent: INodeNo, name: &OsStr, mode: u32, umask: u32, rdev: u32, reply: ReplyEntry) {
        let result = self
            .writable()
            .and_then(|()| from_fuse(parent))
            .and_then(|p| self.call(|fs| fs.mknod(p, name.as_bytes(), masked(mode, umask), rdev, caller(req))));
        self.entry(reply, result, true);
        self.linger();
    }

    fn mkdir(&self, req: &Request, parent: INodeNo, name: &OsStr, mode: u32, umask: u32, reply: ReplyEntry) {
        let result = self
            .writable()
            .and_then(|()| from_fuse(parent))
            .and_then(|p| self.call(|fs| fs.mkdir(p, name.as_bytes(), masked(mode & 0o7777, umask), caller(req))));
        self.entry(reply, result, true);
        self.linger();
    }

    fn unlink(&self, req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let result = self.writable().and_then(|()| from_fuse(parent));
        empty(reply, result.and_then(|p| self.call(|fs| fs.unlink(p, name.as_bytes(), caller(req)))));
        self.linger();
    }

    fn rmdir(&self, req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let result = self.writable().and_then(|()| from_fuse(parent));
        empty(reply, result.and_then(|p| self.call(|fs| fs.rmdir(p, name.as_bytes(), caller(req)))));
        self.linger();
    }

    fn symlink(&self, req: &Request, parent: INodeNo, link_name: &OsStr, target: &Path, reply: ReplyEntry) {
        let result = self.writable().and_then(|()| from_fuse(parent)).and_then(|p| {
            self.call(|fs| fs.symlink(p, link_name.as_bytes(), target.as_os_str().as_bytes(), caller(req)))
        });
        self.entry(reply, result, true);
        self.linger();
    }

    fn rename(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        empty(reply, self.do_rename(req, (parent, name), (newparent, newname), flags));
        self.linger();
    }

    fn link(&self, req: &Request, ino: INodeNo, newparent: INodeNo, newname: &OsStr, reply: ReplyEntry) {
        let result = self.writable().and_then(|()| Ok((from_fuse(ino)?, from_fuse(newparent)?)));
        self.entry(
            reply,
            result.and_then(|(i, p)| self.call(|fs| fs.link(i, p, newname.as_bytes(), caller(req)))),
            false,
        );
        self.linger();
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        let writing = flags.0 & libc::O_ACCMODE != libc::O_RDONLY;
        // Refused before the handle is counted: the kernel releases only
        // what opened.
        let result = match writing {
            true => self.writable(),
            false => Ok(()),
        };
        match result.and_then(|()| from_fuse(ino)).and_then(|i| self.call(|fs| fs.open(i))) {
            Ok(_) => reply.opened(FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e.into()),
        }
        self.linger();
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        match from_fuse(ino).and_then(|i| self.call(|fs| fs.read(i, offset, size))) {
            Ok(data) => reply.data(&data),
            Err(e) => reply.error(e.into()),
        }
        self.linger();
    }

    fn write(
        &self,
        req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        let result = self.writable().and_then(|()| from_fuse(ino));
        match result.and_then(|i| self.call(|fs| fs.write(i, offset, data, caller(req)))) {
            Ok(n) => reply.written(n),
            Err(e) => reply.error(e.into()),
        }
        self.linger();
    }

    fn flush(&self, _req: &Request, _ino: INodeNo, _fh: FileHandle, _lock_owner: LockOwner, reply: ReplyEmpty) {
        let result = if self.read_only { Ok(()) } else { self.call(|fs| fs.flush()) };
        empty(reply, result);
        self.linger();
    }

    fn release(
        &self,
        req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        empty(reply, from_fuse(ino).and_then(|i| self.call(|fs| fs.release(i, caller(req)))));
        self.linger();
    }

    fn fsync(&self, _req: &Request, _ino: INodeNo, _fh: FileHandle, _datasync: bool, reply: ReplyEmpty) {
        empty(reply, self.sync());
        self.linger();
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        match from_fuse(ino).and_then(|i| self.call(|fs| fs.opendir(i))) {
            Ok(_) => reply.opened(FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e.into()),
        }
        self.linger();
    }

    fn readdir(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, offset: u64, mut reply: ReplyDirectory) {
        match self.fill_dir(ino, offset, &mut reply) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e.into()),
        }
        self.linger();
    }

    fn readdirplus(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, offset: u64, mut reply: ReplyDirectoryPlus) {
        match self.fill_dir_plus(ino, offset, &mut reply) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e.into()),
        }
        self.linger();
    }

    fn releasedir(&self, req: &Request, ino: INodeNo, _fh: FileHandle, _flags: OpenFlags, reply: ReplyEmpty) {
        empty(reply, from_fuse(ino).and_then(|i| self.call(|fs| fs.release(i, caller(req)))));
        self.linger();
    }

    fn fsyncdir(&self, _req: &Request, _ino: INodeNo, _fh: FileHandle, _datasync: bool, reply: ReplyEmpty) {
        empty(reply, self.sync());
        self.linger();
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        match self.call(|fs| fs.statfs()) {
            Ok(s) => reply.statfs(s.blocks, s.bfree, s.bavail, s.files, s.ffree, s.bsize, s.namelen, s.bsize),
            Err(e) => reply.error(e.into()),
        }
        self.linger();
    }

    fn create(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        let mode = if Kind::of_mode(mode).is_none() { mode | Kind::File.mode_bits() } else { mode };
        let result = self.writable().and_then(|()| from_fuse(parent)).and_then(|p| {
            self.call(|fs| {
                fs.mknod(p, name.as_bytes(), masked(mode, umask), 0, caller(req)).and_then(|a| fs.open(a.ino))
            })
        });
        match result {
            Ok(attr) => {
                let generation = self.generation(attr.ino, true);
                reply.created(&TTL, &attr.into(), generation, FileHandle(0), FopenFlags::empty())
            }
            Err(e) => reply.error(e.into()),
        }
        self.linger();
    }

    fn fallocate(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _offset: u64,
        _length: u64,
        _mode: i32,
        reply: ReplyEmpty,
    ) {
        reply.error(Errno::EOPNOTSUPP.into());
        self.linger();
    }
}

impl Adapter {
    fn sync(&self) -> Result<(), Errno> {
        if self.read_only {
            return Ok(());
        }
        self.call(|fs| fs.sync())
    }
}

/// How to mount.
#[derive(Clone, Debug, Default)]
pub struct MountOptions {
    pub read_only: bool,
}

/// Mounts `ops` at `mountpoint`, calls `mounted` once the mount is live,
/// serves requests until the file system is unmounted (from outside, or
/// by SIGINT/SIGTERM/SIGHUP, which unmount it), then syncs. Returns only
/// once everything is in the image; the error names what failed.
pub fn serve(
    ops: Box<dyn Ops + Send>,
    mountpoint: &Path,
    options: &MountOptions,
    mounted: impl FnOnce(),
) -> Result<(), String> {
    // Before any thread starts, so that every thread inherits the mask and
    // only the waiter below sees the signals.
    let signals = crate::sys::TerminationSignals::block()?;
    let ops = Arc::new(Mutex::new(ops));
    let mut config = Config::default();
    config.mount_options = vec![MountOption::FSName("cdslfs".into()), MountOption::DefaultPermissions];
    if options.read_only {
        config.mount_options.push(MountOption::RO);
    }
    config.acl = SessionACL::All;
    // Other threads wait for the next requests while one is answered,
    // which hides most of each round trip (fuse2fs runs libfuse's
    // multi-threaded loop too), and the one that answered lingers
    // (Adapter::linger); operations still run one at a time, under the
    // file system's mutex.
    config.n_threads = Some(4);
    config.clone_fd = true;
    let adapter = Adapter::new(ops.clone(), options.read_only);
    let device = adapter.device.clone();
    let mut session = Session::new(adapter, mountpoint, &config).map_err(|e| {
        let hint = match e.raw_os_error() {
            Some(libc::EPERM | libc::EACCES) => {
                " (allow_other needs `user_allow_other` in /etc/fuse.conf for non-root users)"
            }
            _ => "",
        };
        format!("cannot mount {}: {e}{hint}", mountpoint.display())
    })?;
    // Without a duplicate (out of descriptors) the threads never linger.
    if let Ok(fd) = session.as_fd().try_clone_to_owned() {
        let _ = device.set(fd);
    }
    let mut unmounter = session.unmount_callable();
    let where_ = mountpoint.to_path_buf();
    std::thread::Builder::new()
        .name("cdslfs-signals".into())
        .spawn(move || {
            let signal = signals.wait();
            eprintln!("cdslfs: {signal}: unmounting {}", where_.display());
            if let Err(e) = unmounter.unmount() {
                // Busy: detach it now; the session ends when the last file closes.
                eprintln!("cdslfs: unmount failed ({e}); detaching lazily");
                let _ = std::process::Command::new("fusermount3").arg("-uz").arg(&where_).status();
            }
        })
        .map_err(|e| format!("cannot start the signal thread: {e}"))?;
    mounted();
    let served = session.run().map_err(|e| format!("the FUSE session ended with an error: {e}"));
    let synced = {
        let mut fs = ops.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let caller = Caller { uid: 0, gid: 0, now: SystemTime::now().into() };
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fs.unmount(caller))).unwrap_or(Err(Errno::EIO))
    }
    .map_err(|e| format!("syncing the image at unmount failed: {e}"));
    served.and(synced)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

    fn adapter() -> Adapter {
        Adapter::new(Arc::new(Mutex::new(Box::new(Model::new(1024)))), false)
    }

    #[test]
    fn a_panicking_operation_answers_eio_and_the_next_one_works() {
        let a = adapter();
        let panicked: Result<(), Errno> = a.call(|_| panic!("a bug in the file system"));
        assert_eq!(panicked, Err(Errno::EIO));
        assert_eq!(a.call(|fs| fs.getattr(ROOT)).map(|attr| attr.ino), Ok(ROOT));
    }

    #[test]
    fn conversions() {
        assert_eq!((to_fuse(ROOT), to_fuse(11)), (INodeNo(1), INodeNo(11)));
        assert_eq!((from_fuse(INodeNo(1)), from_fuse(INodeNo(2))), (Ok(ROOT), Err(Errno::ENOENT)));
        assert_eq!(from_fuse(INodeNo(1 << 40)), Err(Errno::ENOENT));
        assert_eq!(masked(0o100777, 0o022), 0o100755);
        assert_eq!(masked(0o4777, 0o077), 0o4700);
        for t in [Time { secs: 1_700_000_000, nsecs: 123 }, Time { secs: -5, nsecs: 999_999_999 }, Time::default()] {
            assert_eq!(Time::from(SystemTime::from(t)), t);
        }
        assert_eq!(fuser::Errno::from(Errno::ENAMETOOLONG).code(), libc::ENAMETOOLONG);
    }

    #[test]
    fn new_inodes_get_new_generations() {
        let a = adapter();
        let (first, again) = (a.generation(12, true), a.generation(12, false));
        let reused = a.generation(12, true);
        assert_eq!(first, again);
        assert_ne!(first, reused);
        assert_eq!(a.generation(99, false), Generation(0), "inodes from before the mount");
    }
}
