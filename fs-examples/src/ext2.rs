//! The ext2 file system: each [`Ops`] method is one call of a CDSL function
//! from `fs-examples/ext2/ext2.cdsl` on the chosen engine; this file only
//! converts arguments and results. The CDSL functions take and give tuples
//! of words and buffers with an error number first (0 for success).
//!
//! Engines: `native` runs the Rust backend's translation, compiled into
//! cdslfs by `build.rs`. The interpreters and the C backend need the
//! device's abstract functions registered with them, which is not written
//! yet: choosing them is a clear error at mount (issue #7).

use crate::device::Dev;
use crate::ops::{Attr, Caller, DirEntry, Errno, Ino, Kind, Ops, SetAttr, StatFs, Time};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;

// Defines `mod ext2`: the CDSL program's functions and types.
include!(concat!(env!("OUT_DIR"), "/ext2.rs"));

use self::ext2 as g;

/// Which engine runs the CDSL logic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The Rust backend's translation, compiled into cdslfs.
    Native,
    /// The C backend's translation.
    C,
    /// The update-semantics interpreter.
    Update,
    /// The value-semantics interpreter.
    Value,
}

/// Opens the ext2 image at `image` on `engine`; refuses images whose
/// superblock is not ext2 we can handle, with the reason.
pub fn open(image: &Path, engine: Engine, read_only: bool) -> Result<Box<dyn Ops + Send>, String> {
    if engine != Engine::Native {
        return Err(format!(
            "the {engine:?} engine cannot run the ext2 example yet: its device functions are only bound for the native \
             engine (issue #7)"
        ));
    }
    let file = OpenOptions::new()
        .read(true)
        .write(!read_only)
        .open(image)
        .map_err(|e| format!("cannot open `{}`: {e}", image.display()))?;
    let block_size = block_size(&file).map_err(|e| format!("`{}`: {e}", image.display()))?;
    let dev = Dev::open(file, block_size).map_err(|e| format!("`{}`: {e}", image.display()))?;
    let (dev, err, feature, ro_only) = g::ext2_check(dev);
    if let Some(e) = dev.take_error() {
        return Err(format!("`{}`: {e}", image.display()));
    }
    match err {
        0 => {}
        95 => return Err(format!("`{}`: unsupported feature {}", image.display(), incompat_names(feature))),
        _ => {
            return Err(format!("`{}`: not an ext2 file system this driver can read (bad superblock)", image.display()))
        }
    }
    if ro_only && !read_only {
        return Err(format!(
            "`{}` has read-only-compatible features this driver does not maintain: mount it with -o ro",
            image.display()
        ));
    }
    Ok(Box::new(Native { dev: Some(dev), read_only, block_size }))
}

/// The names of incompatible feature bits (as `dumpe2fs` prints them).
fn incompat_names(bits: u32) -> String {
    const NAMES: [(u32, &str); 15] = [
        (0x1, "compression"),
        (0x4, "needs_recovery"),
        (0x8, "journal_dev"),
        (0x10, "meta_bg"),
        (0x40, "extent"),
        (0x80, "64bit"),
        (0x100, "mmp"),
        (0x200, "flex_bg"),
        (0x400, "ea_inode"),
        (0x1000, "dirdata"),
        (0x2000, "metadata_csum_seed"),
        (0x4000, "large_dir"),
        (0x8000, "inline_data"),
        (0x10000, "encrypt"),
        (0x20000, "casefold"),
    ];
    let known = NAMES.iter().filter(|(bit, _)| bits & bit != 0).map(|(_, name)| name.to_string());
    let unknown = (bits & !NAMES.iter().fold(0, |all, (bit, _)| all | bit) != 0)
        .then(|| format!("{:#x}", bits & !NAMES.iter().fold(0, |all, (bit, _)| all | bit)));
    known.chain(unknown).collect::<Vec<_>>().join(", ")
}

/// The block size from the superblock (byte 1024 + 24: log2(size) - 10),
/// which the device needs before any block can be read.
fn block_size(file: &File) -> Result<u32, String> {
    let mut field = [0u8; 4];
    file.read_exact_at(&mut field, 1024 + 24).map_err(|e| format!("cannot read the superblock: {e}"))?;
    match u32::from_le_bytes(field) {
        log @ 0..=2 => Ok(1024 << log),
        log => Err(format!("block size 2^{} is not supported (1, 2 or 4 KiB)", log + 10)),
    }
}

/// The ext2 example on the compiled engine.
pub struct Native {
    /// Always `Some` between calls; `None` only if a call panicked part way.
    dev: Option<Dev>,
    read_only: bool,
    block_size: u32,
}

fn check(code: u32) -> Result<(), Errno> {
    match code {
        0 => Ok(()),
        code => Err(Errno(code as i32)),
    }
}

fn time(secs: u32, nsecs: u32) -> Time {
    Time { secs: i64::from(secs), nsecs }
}

fn now(caller: &Caller) -> g::Rec_secs_nsecs_ccf91f2e {
    g::now_of((caller.now.secs as u32, caller.now.nsecs))
}

impl Native {
    /// Runs one CDSL call on the device; a recorded I/O error becomes EIO.
    fn call<T>(&mut self, f: impl FnOnce(Dev) -> (Dev, T)) -> Result<T, Errno> {
        let dev = self.dev.take().ok_or(Errno::EIO)?;
        let (dev, out) = f(dev);
        let error = dev.take_error();
        self.dev = Some(dev);
        match error {
            Some(message) => {
                eprintln!("cdslfs: I/O error: {message}");
                Err(Errno::EIO)
            }
            None => Ok(out),
        }
    }

    fn writable(&self) -> Result<(), Errno> {
        if self.read_only {
            Err(Errno::EROFS)
        } else {
            Ok(())
        }
    }
}

impl Ops for Native {
    fn lookup(&mut self, parent: Ino, name: &[u8]) -> Result<Attr, Errno> {
        let (err, ino) = self.call(|dev| {
            let (dev, err, ino) = g::ext2_lookup((dev, parent, name));
            (dev, (err, ino))
        })?;
        check(err)?;
        self.getattr(ino)
    }

    fn getattr(&mut self, ino: Ino) -> Result<Attr, Errno> {
        let blksize = self.block_size;
        self.call(|dev| {
            let (dev, err, a) = g::ext2_getattr((dev, ino));
            let attr = check(err).and_then(|()| {
                Ok(Attr {
                    ino,
                    kind: Kind::of_mode(a.mode).ok_or(Errno::EIO)?,
                    perm: (a.mode & 0o7777) as u16,
                    nlink: a.links,
                    uid: a.uid,
                    gid: a.gid,
                    size: a.size,
                    blocks: u64::from(a.sectors),
                    atime: time(a.atime, a.atime_ns),
                    mtime: time(a.mtime, a.mtime_ns),
                    ctime: time(a.ctime, a.ctime_ns),
                    rdev: a.rdev,
                    blksize,
                })
            });
            (dev, attr)
        })?
    }

    fn setattr(&mut self, ino: Ino, changes: &SetAttr, caller: Caller) -> Result<Attr, Errno> {
        self.writable()?;
        let mut mask = 0;
        for (bit, set) in [
            (1, changes.mode.is_some()),
            (2, changes.uid.is_some()),
            (4, changes.gid.is_some()),
            (8, changes.size.is_some()),
            (16, changes.atime.is_some()),
            (32, changes.mtime.is_some()),
        ] {
            if set {
                mask |= bit;
            }
        }
        let (atime, mtime) = (changes.atime.unwrap_or_default(), changes.mtime.unwrap_or_default());
        let change = g::change_of((
            mask,
            changes.mode.unwrap_or(0),
            changes.uid.unwrap_or(0),
            changes.gid.unwrap_or(0),
            changes.size.unwrap_or(0),
            atime.secs as u32,
            atime.nsecs,
            mtime.secs as u32,
            mtime.nsecs,
        ));
        let err = self.call(|dev| g::ext2_setattr((dev, ino, change, now(&caller))))?;
        check(err)?;
        self.getattr(ino)
    }

    fn readdir(&mut self, dir: Ino, offset: u64, max: usize) -> Result<Vec<DirEntry>, Errno> {
        let mut entries = Vec::new();
        let mut pos = u32::try_from(offset).map_err(|_| Errno::EINVAL)?;
        while entries.len() < max {
            let (err, packed, used, next, size) = self.call(|dev| {
                let (dev, err, packed, used, next, size) = g::ext2_readdir((dev, dir, pos));
                (dev, (err, packed, used, next, size))
            })?;
            check(err)?;
            if pos >= size {
                break;
            }
            let mut at = 0usize;
            while at + 10 <= (used as usize).min(packed.len()) && entries.len() < max {
                let word = |i: usize| u32::from_le_bytes([packed[i], packed[i + 1], packed[i + 2], packed[i + 3]]);
                let (ino, after, ftype, len) = (word(at), word(at + 4), packed[at + 8], packed[at + 9] as usize);
                let name = packed.get(at + 10..at + 10 + len).ok_or(Errno::EIO)?.to_vec();
                let kind = match ftype {
                    2 => Kind::Dir,
                    3 => Kind::CharDevice,
                    4 => Kind::BlockDevice,
                    5 => Kind::Fifo,
                    6 => Kind::Socket,
                    7 => Kind::Symlink,
                    _ => Kind::File,
                };
                entries.push(DirEntry { ino, kind, name, next: u64::from(after) });
                at += 10 + len;
                pos = after;
            }
            if entries.len() < max {
                pos = next;
            }
        }
        Ok(entries)
    }

    fn mknod(&mut self, parent: Ino, name: &[u8], mode: u32, rdev: u32, caller: Caller) -> Result<Attr, Errno> {
        self.writable()?;
        let (err, ino) = self.call(|dev| {
            let (dev, err, ino) = g::ext2_mknod((dev, parent, name, mode, rdev, caller.uid, caller.gid, now(&caller)));
            (dev, (err, ino))
        })?;
        check(err)?;
        self.getattr(ino)
    }

    fn mkdir(&mut self, parent: Ino, name: &[u8], mode: u32, caller: Caller) -> Result<Attr, Errno> {
        self.writable()?;
        let (err, ino) = self.call(|dev| {
            let (dev, err, ino) = g::ext2_mkdir((dev, parent, name, mode, caller.uid, caller.gid, now(&caller)));
            (dev, (err, ino))
        })?;
        check(err)?;
        self.getattr(ino)
    }

    fn unlink(&mut self, parent: Ino, name: &[u8], caller: Caller) -> Result<(), Errno> {
        self.writable()?;
        check(self.call(|dev| g::ext2_unlink((dev, parent, name, now(&caller))))?)
    }

    fn rmdir(&mut self, parent: Ino, name: &[u8], caller: Caller) -> Result<(), Errno> {
        self.writable()?;
        check(self.call(|dev| g::ext2_rmdir((dev, parent, name, now(&caller))))?)
    }

    fn rename(
        &mut self,
        parent: Ino,
        name: &[u8],
        new_parent: Ino,
        new_name: &[u8],
        caller: Caller,
    ) -> Result<(), Errno> {
        self.writable()?;
        check(self.call(|dev| g::ext2_rename((dev, parent, name, new_parent, new_name, now(&caller))))?)
    }

    fn link(&mut self, ino: Ino, new_parent: Ino, new_name: &[u8], caller: Caller) -> Result<Attr, Errno> {
        self.writable()?;
        check(self.call(|dev| g::ext2_link((dev, ino, new_parent, new_name, now(&caller))))?)?;
        self.getattr(ino)
    }

    fn symlink(&mut self, parent: Ino, name: &[u8], target: &[u8], caller: Caller) -> Result<Attr, Errno> {
        self.writable()?;
        let (err, ino) = self.call(|dev| {
            let (dev, err, ino) = g::ext2_symlink((dev, parent, name, target, caller.uid, caller.gid, now(&caller)));
            (dev, (err, ino))
        })?;
        check(err)?;
        self.getattr(ino)
    }

    fn readlink(&mut self, ino: Ino) -> Result<Vec<u8>, Errno> {
        let (err, target) = self.call(|dev| {
            let (dev, err, target) = g::ext2_readlink((dev, ino));
            (dev, (err, target))
        })?;
        check(err)?;
        Ok(target)
    }

    fn read(&mut self, ino: Ino, offset: u64, size: u32) -> Result<Vec<u8>, Errno> {
        let (err, data) = self.call(|dev| {
            let (dev, err, data) = g::ext2_read((dev, ino, offset, size));
            (dev, (err, data))
        })?;
        check(err)?;
        Ok(data)
    }

    fn write(&mut self, ino: Ino, offset: u64, data: &[u8], caller: Caller) -> Result<u32, Errno> {
        self.writable()?;
        let (err, written) = self.call(|dev| {
            let (dev, err, written) = g::ext2_write((dev, ino, offset, data, now(&caller)));
            (dev, (err, written))
        })?;
        check(err)?;
        Ok(written)
    }

    fn statfs(&mut self) -> Result<StatFs, Errno> {
        let (err, t) = self.call(|dev| {
            let (dev, err, t) = g::ext2_statfs(dev);
            (dev, (err, t))
        })?;
        check(err)?;
        Ok(StatFs {
            blocks: u64::from(t.blocks),
            bfree: u64::from(t.free),
            bavail: u64::from(t.free.saturating_sub(t.reserved)),
            files: u64::from(t.inodes),
            ffree: u64::from(t.free_inodes),
            bsize: t.bs,
            namelen: 255,
        })
    }

    fn sync(&mut self) -> Result<(), Errno> {
        let dev = self.dev.as_ref().ok_or(Errno::EIO)?;
        dev.sync().map_err(|e| {
            eprintln!("cdslfs: sync failed: {e}");
            Errno::EIO
        })
    }
}
