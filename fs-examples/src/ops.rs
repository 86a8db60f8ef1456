//! The file-system operations the FUSE glue calls, as a Rust trait.
//!
//! [`Ops`] is the seam between the FUSE front end (`fuse.rs`, the only file
//! that imports `fuser`) and a file system: the ext2 example running its
//! CDSL logic on some engine (`ext2.rs`), or the in-memory reference model
//! the differential tests compare it with (`model.rs`). Every method
//! returns `Result<_, Errno>`; the glue only turns results into replies.
//! Inputs that the kernel would check (permissions, with
//! `default_permissions`) are not checked again here; everything about the
//! file system's own rules (name length, file size limits, directory
//! emptiness, ...) is.

/// An inode number, as ext2 numbers them (the root is 2).
pub type Ino = u32;

/// The root directory's inode number in ext2.
pub const ROOT: Ino = 2;

/// An error number (`libc::ENOENT`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

impl Errno {
    pub const EPERM: Errno = Errno(libc::EPERM);
    pub const ENOENT: Errno = Errno(libc::ENOENT);
    pub const EIO: Errno = Errno(libc::EIO);
    pub const EEXIST: Errno = Errno(libc::EEXIST);
    pub const EXDEV: Errno = Errno(libc::EXDEV);
    pub const ENOTDIR: Errno = Errno(libc::ENOTDIR);
    pub const EISDIR: Errno = Errno(libc::EISDIR);
    pub const EINVAL: Errno = Errno(libc::EINVAL);
    pub const EFBIG: Errno = Errno(libc::EFBIG);
    pub const ENOSPC: Errno = Errno(libc::ENOSPC);
    pub const EROFS: Errno = Errno(libc::EROFS);
    pub const EMLINK: Errno = Errno(libc::EMLINK);
    pub const ENAMETOOLONG: Errno = Errno(libc::ENAMETOOLONG);
    pub const ENOSYS: Errno = Errno(libc::ENOSYS);
    pub const ENOTEMPTY: Errno = Errno(libc::ENOTEMPTY);
    pub const EOPNOTSUPP: Errno = Errno(libc::EOPNOTSUPP);
}

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", std::io::Error::from_raw_os_error(self.0))
    }
}

/// What kind of file an inode is (the `S_IFMT` bits of its mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

impl Kind {
    /// The kind of a full mode, if its `S_IFMT` bits name one.
    pub fn of_mode(mode: u32) -> Option<Kind> {
        Some(match mode & 0o170000 {
            0o100000 => Kind::File,
            0o040000 => Kind::Dir,
            0o120000 => Kind::Symlink,
            0o020000 => Kind::CharDevice,
            0o060000 => Kind::BlockDevice,
            0o010000 => Kind::Fifo,
            0o140000 => Kind::Socket,
            _ => return None,
        })
    }

    /// The `S_IFMT` bits of this kind.
    pub fn mode_bits(self) -> u32 {
        match self {
            Kind::File => 0o100000,
            Kind::Dir => 0o040000,
            Kind::Symlink => 0o120000,
            Kind::CharDevice => 0o020000,
            Kind::BlockDevice => 0o060000,
            Kind::Fifo => 0o010000,
            Kind::Socket => 0o140000,
        }
    }
}

/// A point in time: seconds since the epoch and nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time {
    pub secs: i64,
    pub nsecs: u32,
}

/// An inode's attributes, as `stat` shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    pub ino: Ino,
    pub kind: Kind,
    /// The permission bits (`mode & 0o7777`).
    pub perm: u16,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// Space used, in 512-byte sectors.
    pub blocks: u64,
    pub atime: Time,
    pub mtime: Time,
    pub ctime: Time,
    pub rdev: u32,
    /// The file system's block size.
    pub blksize: u32,
}

/// One directory entry, as `readdir` gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: Ino,
    pub kind: Kind,
    pub name: Vec<u8>,
    /// The offset to pass to `readdir` to continue after this entry.
    pub next: u64,
}

/// The file system's totals, as `statfs` gives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatFs {
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub bsize: u32,
    pub namelen: u32,
}

/// The changes a `setattr` asks for; `None` leaves a field alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetAttr {
    /// Permission bits (`& 0o7777`); the kind never changes.
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// Truncate or extend (with a hole) to this size.
    pub size: Option<u64>,
    pub atime: Option<Time>,
    pub mtime: Option<Time>,
}

/// Who asks, and when: the caller's ids become a new inode's owner and
/// `now` its times, so that a trace replays identically on every engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    pub uid: u32,
    pub gid: u32,
    pub now: Time,
}

/// The open handles (on files and directories) on each inode, which an
/// implementation of [`Ops`] keeps to free an inode unlinked or removed
/// while open only when its last handle is released.
#[derive(Clone, Debug, Default)]
pub struct Handles(std::collections::HashMap<Ino, u32>);

impl Handles {
    pub fn open(&mut self, ino: Ino) {
        *self.0.entry(ino).or_default() += 1;
    }

    /// Opens a handle on the inode `attr` describes, as a directory (for
    /// [`Ops::opendir`]) or not (for [`Ops::open`]): `EISDIR` or `ENOTDIR`
    /// when it is the other kind.
    fn open_as(&mut self, ino: Ino, attr: Attr, directory: bool) -> Result<Attr, Errno> {
        match (attr.kind == Kind::Dir, directory) {
            (true, false) => Err(Errno::EISDIR),
            (false, true) => Err(Errno::ENOTDIR),
            _ => {
                self.open(ino);
                Ok(attr)
            }
        }
    }

    /// Releases one handle on `ino`; `true` if it was the last. A release
    /// without an open (which the kernel never sends) changes nothing.
    pub fn release(&mut self, ino: Ino) -> bool {
        match self.0.get_mut(&ino) {
            Some(1) => {
                self.0.remove(&ino);
                true
            }
            Some(n) => {
                *n -= 1;
                false
            }
            None => false,
        }
    }

    pub fn is_open(&self, ino: Ino) -> bool {
        self.0.contains_key(&ino)
    }
}

/// The operations of a file system.
///
/// A file unlinked (or renamed over) while open keeps its data, readable and
/// writable by inode number, until its last handle is released ([`Ops::open`],
/// [`Ops::release`]); only then are it and its blocks freed (POSIX). A
/// directory removed (or renamed over) while open ([`Ops::opendir`]) stays
/// too, with no links and nothing in it, so that its number is not given to
/// another inode while the kernel still holds it.
pub trait Ops {
    fn lookup(&mut self, parent: Ino, name: &[u8]) -> Result<Attr, Errno>;
    fn getattr(&mut self, ino: Ino) -> Result<Attr, Errno>;
    fn setattr(&mut self, ino: Ino, changes: &SetAttr, caller: Caller) -> Result<Attr, Errno>;
    /// Entries after `offset` (0 starts at the beginning, then each entry's
    /// `next`), at most `max` of them; `.` and `..` included. An offset
    /// stays valid when other entries are added or removed.
    fn readdir(&mut self, dir: Ino, offset: u64, max: usize) -> Result<Vec<DirEntry>, Errno>;
    /// Creates a file, device, FIFO or socket: `mode` is the full mode
    /// (kind and permission bits, the umask already applied).
    fn mknod(&mut self, parent: Ino, name: &[u8], mode: u32, rdev: u32, caller: Caller) -> Result<Attr, Errno>;
    /// `mode` holds the permission bits, the umask already applied.
    fn mkdir(&mut self, parent: Ino, name: &[u8], mode: u32, caller: Caller) -> Result<Attr, Errno>;
    fn unlink(&mut self, parent: Ino, name: &[u8], caller: Caller) -> Result<(), Errno>;
    fn rmdir(&mut self, parent: Ino, name: &[u8], caller: Caller) -> Result<(), Errno>;
    /// Replaces an existing target (a file by a file, an empty directory by
    /// a directory).
    fn rename(
        &mut self,
        parent: Ino,
        name: &[u8],
        new_parent: Ino,
        new_name: &[u8],
        caller: Caller,
    ) -> Result<(), Errno>;
    fn link(&mut self, ino: Ino, new_parent: Ino, new_name: &[u8], caller: Caller) -> Result<Attr, Errno>;
    fn symlink(&mut self, parent: Ino, name: &[u8], target: &[u8], caller: Caller) -> Result<Attr, Errno>;
    fn readlink(&mut self, ino: Ino) -> Result<Vec<u8>, Errno>;
    /// Up to `size` bytes from `offset`; fewer at the end of the file, holes read as zeros.
    fn read(&mut self, ino: Ino, offset: u64, size: u32) -> Result<Vec<u8>, Errno>;
    /// Writes all of `data` at `offset` (extending the file), or fails.
    fn write(&mut self, ino: Ino, offset: u64, data: &[u8], caller: Caller) -> Result<u32, Errno>;
    /// A handle on the file `ino` is opened (FUSE `open`, `create`); gives
    /// its attributes. The inode outlives its links until the handle's
    /// release. Directories are not opened this way (`EISDIR`) but by
    /// [`Ops::opendir`].
    fn open(&mut self, ino: Ino) -> Result<Attr, Errno> {
        let attr = self.getattr(ino)?;
        self.handles().open_as(ino, attr, false)
    }
    /// A handle on the directory `ino` is opened (FUSE `opendir`; `ENOTDIR`
    /// for anything else); gives its attributes. Removed while open, the
    /// directory keeps its inode (no links, size 0: nothing to list or look
    /// up, nothing can be made in it: `ENOENT`) until the handle's release.
    fn opendir(&mut self, ino: Ino) -> Result<Attr, Errno> {
        let attr = self.getattr(ino)?;
        self.handles().open_as(ino, attr, true)
    }
    /// The open handles [`Ops::open`] and [`Ops::opendir`] count.
    fn handles(&mut self) -> &mut Handles;
    /// A handle from [`Ops::open`] or [`Ops::opendir`] is closed (FUSE
    /// `release`, `releasedir`): the last one on an inode without links
    /// frees it.
    fn release(&mut self, ino: Ino, caller: Caller) -> Result<(), Errno>;
    fn statfs(&mut self) -> Result<StatFs, Errno>;
    /// Makes everything written so far durable in the image.
    fn sync(&mut self) -> Result<(), Errno>;
    /// Called when a file is closed (FUSE `flush`): everything written so
    /// far must be in the image file, where another reader of the image
    /// sees it; it need not be on disk yet (`sync`, which fsync calls, does
    /// that). The default calls `sync`, which is correct but costs an
    /// fsync of the image per `close`.
    fn flush(&mut self) -> Result<(), Errno> {
        self.sync()
    }
    /// The mount ends: inodes unlinked or removed while open whose handles
    /// were never released are freed (the handles are gone with the mount), then
    /// everything is made durable, as by `sync`.
    fn unmount(&mut self, caller: Caller) -> Result<(), Errno>;
}
