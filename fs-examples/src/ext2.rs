//! The ext2 file system: each [`Ops`] method is one call of a CDSL function
//! from `fs-examples/ext2/ext2.cdsl`, on the chosen engine. The CDSL
//! functions take and give tuples of words and buffers, an error number
//! first (0 for success); an engine ([`Calls`]) turns them into plain Rust
//! values, and [`Ext2`] turns those into [`Ops`] answers — once, for every
//! engine.
//!
//! Engines: `native` runs the Rust backend's translation, compiled into
//! cdslfs by `build.rs` (`native.rs`); `update` and `value` run the CDSL
//! source on the interpreters, with the device's functions registered in
//! their library (`interp.rs`); `c` runs the C backend's translation, with
//! the device written in C, as a server process built by `build.rs` that
//! cdslfs talks to over pipes (`c.rs`).

mod c;
mod interp;
mod native;

use crate::device::Dev;
use crate::ops::Handles;
use crate::ops::{Attr, Caller, DirEntry, Errno, Ino, Kind, Ops, SetAttr, StatFs, Time};
use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;

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

/// An inode's attributes as the CDSL `Attr` record holds them.
#[derive(Clone, Copy, Debug, Default)]
pub struct RawAttr {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub links: u32,
    pub sectors: u32,
    pub atime: Now,
    pub mtime: Now,
    pub ctime: Now,
    pub rdev: u32,
}

/// The CDSL `Totals` record.
#[derive(Clone, Copy, Debug, Default)]
pub struct Totals {
    pub blocks: u32,
    pub free: u32,
    pub reserved: u32,
    pub inodes: u32,
    pub free_inodes: u32,
    pub bs: u32,
}

/// A CDSL `Change` record's fields: mask, mode, uid, gid, size, atime, mtime.
#[derive(Clone, Copy, Debug, Default)]
pub struct Change {
    pub mask: u32,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub atime: Now,
    pub mtime: Now,
}

/// A time as the CDSL `Now` record holds it: seconds since the epoch (a
/// signed count, in two's complement) and nanoseconds.
pub type Now = (u64, u32);

/// Where an entry is, or goes: a directory's inode and a name in it.
#[derive(Clone, Copy, Debug)]
pub struct Place<'a> {
    pub dir: u32,
    pub name: &'a [u8],
}

/// Who owns a new inode.
#[derive(Clone, Copy, Debug)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
}

/// One engine's way of calling the CDSL entry points (`ext2_*`): the same
/// arguments and results, in plain Rust. The `u32` first in a result is
/// the CDSL error number; `Err` is a failure of the engine or the device
/// (an I/O error), which the caller answers with EIO.
pub trait Calls {
    fn check(&mut self) -> Result<(u32, u32, bool), String>;
    fn getattr(&mut self, ino: u32) -> Result<(u32, RawAttr), String>;
    fn lookup(&mut self, parent: u32, name: &[u8]) -> Result<(u32, u32), String>;
    /// (error, packed entries, bytes used, next position, directory size).
    fn readdir(&mut self, dir: u32, pos: u32) -> Result<(u32, Vec<u8>, u32, u32, u32), String>;
    fn read(&mut self, ino: u32, off: u64, count: u32) -> Result<(u32, Vec<u8>), String>;
    fn write(&mut self, ino: u32, off: u64, data: &[u8], now: Now) -> Result<(u32, u32), String>;
    fn mknod(&mut self, at: Place<'_>, mode: u32, rdev: u32, owner: Owner, now: Now) -> Result<(u32, u32), String>;
    fn mkdir(&mut self, at: Place<'_>, mode: u32, owner: Owner, now: Now) -> Result<(u32, u32), String>;
    fn symlink(&mut self, at: Place<'_>, target: &[u8], owner: Owner, now: Now) -> Result<(u32, u32), String>;
    fn readlink(&mut self, ino: u32) -> Result<(u32, Vec<u8>), String>;
    fn link(&mut self, ino: u32, parent: u32, name: &[u8], now: Now) -> Result<u32, String>;
    /// (error, the inode whose last link this was or 0).
    fn unlink(&mut self, parent: u32, name: &[u8], now: Now) -> Result<(u32, u32), String>;
    /// (error, the directory removed or 0).
    fn rmdir(&mut self, parent: u32, name: &[u8], now: Now) -> Result<(u32, u32), String>;
    /// (error, the inode replaced whose last link this was or 0).
    fn rename(&mut self, from: Place<'_>, to: Place<'_>, now: Now) -> Result<(u32, u32), String>;
    /// Frees an inode without links (that `unlink`, `rmdir` or `rename` gave).
    fn evict(&mut self, ino: u32, now: Now) -> Result<u32, String>;
    fn setattr(&mut self, ino: u32, change: Change, now: Now) -> Result<u32, String>;
    fn statfs(&mut self) -> Result<(u32, Totals), String>;
    /// Everything written so far reaches the image and the disk.
    fn sync(&mut self) -> Result<(), String>;
    /// Everything written so far reaches the image file (not yet the disk).
    fn flush(&mut self) -> Result<(), String> {
        self.sync()
    }
}

/// Opens the ext2 image at `image` on `engine`; refuses images whose
/// superblock is not ext2 we can handle, with the reason.
pub fn open(image: &Path, engine: Engine, read_only: bool) -> Result<Box<dyn Ops + Send>, String> {
    match engine {
        Engine::Native => Ext2::mount(native::Native::new(open_device(image, read_only)?), image, read_only),
        Engine::Update | Engine::Value => {
            interp::mount(open_device(image, read_only)?, engine == Engine::Update, image, read_only)
        }
        // The server opens the image itself: here it is only read, for the
        // block size.
        Engine::C => {
            let file = File::open(image).map_err(|e| format!("cannot open `{}`: {e}", image.display()))?;
            let block_size = block_size(&file).map_err(|e| format!("`{}`: {e}", image.display()))?;
            drop(file);
            let engine =
                c::CEngine::start(image, block_size, read_only).map_err(|e| format!("`{}`: {e}", image.display()))?;
            Ext2::mount(engine, image, read_only)
        }
    }
}

fn open_device(image: &Path, read_only: bool) -> Result<Dev, String> {
    let file = OpenOptions::new()
        .read(true)
        .write(!read_only)
        .open(image)
        .map_err(|e| format!("cannot open `{}`: {e}", image.display()))?;
    let block_size = block_size(&file).map_err(|e| format!("`{}`: {e}", image.display()))?;
    Dev::open(file, block_size).map_err(|e| format!("`{}`: {e}", image.display()))
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
    let all_known = NAMES.iter().fold(0, |all, (bit, _)| all | bit);
    let known = NAMES.iter().filter(|(bit, _)| bits & bit != 0).map(|(_, name)| name.to_string());
    let unknown = (bits & !all_known != 0).then(|| format!("{:#x}", bits & !all_known));
    known.chain(unknown).collect::<Vec<_>>().join(", ")
}

/// The block size from the superblock (byte 1024 + 24: log2(size) - 10),
/// which the device needs before any block can be read.
fn block_size(file: &File) -> Result<u32, String> {
    let mut field = [0u8; 4];
    file.read_exact_at(&mut field, 1024 + 24).map_err(|e| format!("cannot read the superblock: {e}"))?;
    match u32::from_le_bytes(field) {
        log @ 0..=2 => Ok(1024 << log),
        log => Err(format!("block size 2^{} is not supported (1, 2 or 4 KiB)", log.saturating_add(10))),
    }
}

/// The ext2 example over one engine.
pub struct Ext2<C> {
    calls: C,
    read_only: bool,
    block_size: u32,
    handles: Handles,
    /// Inodes whose last link went while they were open: freed (by
    /// `ext2_evict`) at their last release, or at unmount. In order, so
    /// that every engine frees them alike.
    orphans: BTreeSet<Ino>,
}

fn check(code: u32) -> Result<(), Errno> {
    match code {
        0 => Ok(()),
        code => Err(Errno(code as i32)),
    }
}

fn time((secs, nsecs): Now) -> Time {
    Time { secs: secs as i64, nsecs }
}

fn now_of(t: Time) -> Now {
    (t.secs as u64, t.nsecs)
}

fn now(caller: &Caller) -> Now {
    now_of(caller.now)
}

/// Entry `name` of directory `dir`.
fn place(dir: Ino, name: &[u8]) -> Place<'_> {
    Place { dir, name }
}

fn owner(caller: &Caller) -> Owner {
    Owner { uid: caller.uid, gid: caller.gid }
}

/// An engine or device failure: reported, and answered with EIO.
fn io(message: String) -> Errno {
    eprintln!("cdslfs: {message}");
    Errno::EIO
}

impl<C: Calls + Send + 'static> Ext2<C> {
    /// Checks the superblock through the CDSL program and mounts.
    fn mount(mut calls: C, image: &Path, read_only: bool) -> Result<Box<dyn Ops + Send>, String> {
        let (err, feature, ro_only) = calls.check().map_err(|e| format!("`{}`: {e}", image.display()))?;
        match err {
            0 => {}
            95 => return Err(format!("`{}`: unsupported feature {}", image.display(), incompat_names(feature))),
            _ => {
                return Err(format!(
                    "`{}`: not an ext2 file system this driver can read (bad superblock)",
                    image.display()
                ))
            }
        }
        if ro_only && !read_only {
            return Err(format!(
                "`{}` has read-only-compatible features this driver does not maintain: mount it with -o ro",
                image.display()
            ));
        }
        let (_, totals) = calls.statfs().map_err(|e| format!("`{}`: {e}", image.display()))?;
        let (handles, orphans) = (Handles::default(), BTreeSet::new());
        Ok(Box::new(Ext2 { calls, read_only, block_size: totals.bs, handles, orphans }))
    }
}

impl<C: Calls> Ext2<C> {
    fn writable(&self) -> Result<(), Errno> {
        if self.read_only {
            Err(Errno::EROFS)
        } else {
            Ok(())
        }
    }

    /// Frees `ino` (0: nothing), whose last link is gone, or, while it is
    /// open, leaves it to its last release.
    fn orphaned(&mut self, ino: Ino, now: Now) -> Result<(), Errno> {
        match ino {
            0 => Ok(()),
            ino if self.handles.is_open(ino) => {
                self.orphans.insert(ino);
                Ok(())
            }
            ino => check(self.calls.evict(ino, now).map_err(io)?),
        }
    }

    /// The result of a call making an inode, as its attributes.
    fn made(&mut self, result: Result<(u32, u32), String>) -> Result<Attr, Errno> {
        let (err, ino) = result.map_err(io)?;
        check(err)?;
        self.getattr(ino)
    }
}

fn kind_of_ftype(ftype: u8) -> Kind {
    match ftype {
        2 => Kind::Dir,
        3 => Kind::CharDevice,
        4 => Kind::BlockDevice,
        5 => Kind::Fifo,
        6 => Kind::Socket,
        7 => Kind::Symlink,
        _ => Kind::File,
    }
}

/// Unpacks `ext2_readdir`'s entries (see `list_block` in `dir.cdsl`).
fn unpack_entries(packed: &[u8], used: u32, max: usize, entries: &mut Vec<DirEntry>) -> Result<(), Errno> {
    let used = (used as usize).min(packed.len());
    let mut at = 0usize;
    while at + 10 <= used && entries.len() < max {
        let word = |i: usize| u32::from_le_bytes([packed[i], packed[i + 1], packed[i + 2], packed[i + 3]]);
        let (ino, after, len) = (word(at), word(at + 4), packed[at + 9] as usize);
        let name = packed.get(at + 10..at + 10 + len).ok_or(Errno::EIO)?.to_vec();
        entries.push(DirEntry { ino, kind: kind_of_ftype(packed[at + 8]), name, next: u64::from(after) });
        at += 10 + len;
    }
    Ok(())
}

impl<C: Calls> Ops for Ext2<C> {
    fn lookup(&mut self, parent: Ino, name: &[u8]) -> Result<Attr, Errno> {
        let result = self.calls.lookup(parent, name);
        self.made(result)
    }

    fn getattr(&mut self, ino: Ino) -> Result<Attr, Errno> {
        let (err, a) = self.calls.getattr(ino).map_err(io)?;
        check(err)?;
        Ok(Attr {
            ino,
            kind: Kind::of_mode(a.mode).ok_or(Errno::EIO)?,
            perm: (a.mode & 0o7777) as u16,
            nlink: a.links,
            uid: a.uid,
            gid: a.gid,
            size: a.size,
            blocks: u64::from(a.sectors),
            atime: time(a.atime),
            mtime: time(a.mtime),
            ctime: time(a.ctime),
            rdev: a.rdev,
            blksize: self.block_size,
        })
    }

    fn setattr(&mut self, ino: Ino, changes: &SetAttr, caller: Caller) -> Result<Attr, Errno> {
        self.writable()?;
        let bits = [
            changes.mode.is_some(),
            changes.uid.is_some(),
            changes.gid.is_some(),
            changes.size.is_some(),
            changes.atime.is_some(),
            changes.mtime.is_some(),
        ];
        let mask = bits.iter().enumerate().filter(|(_, set)| **set).fold(0, |mask, (bit, _)| mask | 1 << bit);
        let (atime, mtime) = (changes.atime.unwrap_or_default(), changes.mtime.unwrap_or_default());
        let change = Change {
            mask,
            mode: changes.mode.unwrap_or(0),
            uid: changes.uid.unwrap_or(0),
            gid: changes.gid.unwrap_or(0),
            size: changes.size.unwrap_or(0),
            atime: now_of(atime),
            mtime: now_of(mtime),
        };
        check(self.calls.setattr(ino, change, now(&caller)).map_err(io)?)?;
        self.getattr(ino)
    }

    fn readdir(&mut self, dir: Ino, offset: u64, max: usize) -> Result<Vec<DirEntry>, Errno> {
        let mut entries = Vec::new();
        let mut pos = u32::try_from(offset).map_err(|_| Errno::EINVAL)?;
        while entries.len() < max {
            let (err, packed, used, next, size) = self.calls.readdir(dir, pos).map_err(io)?;
            check(err)?;
            if pos >= size {
                break;
            }
            unpack_entries(&packed, used, max, &mut entries)?;
            pos = next;
        }
        Ok(entries)
    }

    fn mknod(&mut self, parent: Ino, name: &[u8], mode: u32, rdev: u32, caller: Caller) -> Result<Attr, Errno> {
        self.writable()?;
        let result = self.calls.mknod(place(parent, name), mode, rdev, owner(&caller), now(&caller));
        self.made(result)
    }

    fn mkdir(&mut self, parent: Ino, name: &[u8], mode: u32, caller: Caller) -> Result<Attr, Errno> {
        self.writable()?;
        let result = self.calls.mkdir(place(parent, name), mode, owner(&caller), now(&caller));
        self.made(result)
    }

    fn unlink(&mut self, parent: Ino, name: &[u8], caller: Caller) -> Result<(), Errno> {
        self.writable()?;
        let (err, orphan) = self.calls.unlink(parent, name, now(&caller)).map_err(io)?;
        self.orphaned(orphan, now(&caller))?;
        check(err)
    }

    fn rmdir(&mut self, parent: Ino, name: &[u8], caller: Caller) -> Result<(), Errno> {
        self.writable()?;
        let (err, orphan) = self.calls.rmdir(parent, name, now(&caller)).map_err(io)?;
        self.orphaned(orphan, now(&caller))?;
        check(err)
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
        let (err, orphan) =
            self.calls.rename(place(parent, name), place(new_parent, new_name), now(&caller)).map_err(io)?;
        self.orphaned(orphan, now(&caller))?;
        check(err)
    }

    fn link(&mut self, ino: Ino, new_parent: Ino, new_name: &[u8], caller: Caller) -> Result<Attr, Errno> {
        self.writable()?;
        check(self.calls.link(ino, new_parent, new_name, now(&caller)).map_err(io)?)?;
        self.getattr(ino)
    }

    fn symlink(&mut self, parent: Ino, name: &[u8], target: &[u8], caller: Caller) -> Result<Attr, Errno> {
        self.writable()?;
        let result = self.calls.symlink(place(parent, name), target, owner(&caller), now(&caller));
        self.made(result)
    }

    fn readlink(&mut self, ino: Ino) -> Result<Vec<u8>, Errno> {
        let (err, target) = self.calls.readlink(ino).map_err(io)?;
        check(err)?;
        Ok(target)
    }

    fn read(&mut self, ino: Ino, offset: u64, size: u32) -> Result<Vec<u8>, Errno> {
        let (err, data) = self.calls.read(ino, offset, size).map_err(io)?;
        check(err)?;
        Ok(data)
    }

    fn write(&mut self, ino: Ino, offset: u64, data: &[u8], caller: Caller) -> Result<u32, Errno> {
        self.writable()?;
        let (err, written) = self.calls.write(ino, offset, data, now(&caller)).map_err(io)?;
        check(err)?;
        Ok(written)
    }

    fn handles(&mut self) -> &mut Handles {
        &mut self.handles
    }

    fn release(&mut self, ino: Ino, caller: Caller) -> Result<(), Errno> {
        if self.handles.release(ino) && self.orphans.remove(&ino) {
            check(self.calls.evict(ino, now(&caller)).map_err(io)?)?;
        }
        Ok(())
    }

    fn statfs(&mut self) -> Result<StatFs, Errno> {
        let (err, t) = self.calls.statfs().map_err(io)?;
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
        self.calls.sync().map_err(io)
    }

    fn flush(&mut self) -> Result<(), Errno> {
        self.calls.flush().map_err(io)
    }

    fn unmount(&mut self, caller: Caller) -> Result<(), Errno> {
        self.handles = Handles::default();
        // Every orphan is tried, the first failure reported.
        let freed = std::mem::take(&mut self.orphans)
            .into_iter()
            .map(|ino| check(self.calls.evict(ino, now(&caller)).map_err(io)?))
            .fold(Ok(()), Result::and);
        freed.and(self.sync())
    }
}
