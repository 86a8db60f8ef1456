//! The native engine: the Rust backend's translation of the ext2 program,
//! compiled into cdslfs by `build.rs`, called directly.

use super::{Calls, Change, Now, Owner, Place, RawAttr, Totals};
use crate::device::Dev;

// Defines `mod ext2`: the CDSL program's functions and types.
include!(concat!(env!("OUT_DIR"), "/ext2.rs"));

use self::ext2 as g;

pub struct Native {
    /// Always `Some` between calls; `None` only if a call panicked part way.
    dev: Option<Dev>,
}

impl Native {
    pub fn new(dev: Dev) -> Native {
        Native { dev: Some(dev) }
    }

    /// Runs one CDSL call on the device; a recorded I/O error is an `Err`.
    fn call<T>(&mut self, f: impl FnOnce(Dev) -> (Dev, T)) -> Result<T, String> {
        let dev = self.dev.take().ok_or("the device was lost by an earlier failure")?;
        let (dev, out) = f(dev);
        let error = dev.take_error();
        self.dev = Some(dev);
        match error {
            Some(message) => Err(format!("I/O error: {message}")),
            None => Ok(out),
        }
    }
}

impl Calls for Native {
    fn check(&mut self) -> Result<(u32, u32, bool), String> {
        self.call(|dev| {
            let (dev, err, feature, ro_only) = g::ext2_check(dev);
            (dev, (err, feature, ro_only))
        })
    }

    fn getattr(&mut self, ino: u32) -> Result<(u32, RawAttr), String> {
        self.call(|dev| {
            let (dev, err, a) = g::ext2_getattr((dev, ino));
            let raw = RawAttr {
                mode: a.mode,
                uid: a.uid,
                gid: a.gid,
                size: a.size,
                links: a.links,
                sectors: a.sectors,
                atime: (a.atime, a.atime_ns),
                mtime: (a.mtime, a.mtime_ns),
                ctime: (a.ctime, a.ctime_ns),
                rdev: a.rdev,
            };
            (dev, (err, raw))
        })
    }

    fn lookup(&mut self, parent: u32, name: &[u8]) -> Result<(u32, u32), String> {
        self.call(|dev| {
            let (dev, err, ino) = g::ext2_lookup((dev, parent, name));
            (dev, (err, ino))
        })
    }

    fn readdir(&mut self, dir: u32, pos: u32) -> Result<(u32, Vec<u8>, u32, u32, u32), String> {
        self.call(|dev| {
            let (dev, err, packed, used, next, size) = g::ext2_readdir((dev, dir, pos));
            (dev, (err, packed, used, next, size))
        })
    }

    fn read(&mut self, ino: u32, off: u64, count: u32) -> Result<(u32, Vec<u8>), String> {
        self.call(|dev| {
            let (dev, err, data) = g::ext2_read((dev, ino, off, count));
            (dev, (err, data))
        })
    }

    fn write(&mut self, ino: u32, off: u64, data: &[u8], at: Now) -> Result<(u32, u32), String> {
        self.call(|dev| {
            let (dev, err, written) = g::ext2_write((dev, ino, off, data, g::now_of(at)));
            (dev, (err, written))
        })
    }

    fn mknod(&mut self, p: Place<'_>, mode: u32, rdev: u32, o: Owner, at: Now) -> Result<(u32, u32), String> {
        self.call(|dev| {
            let (dev, err, ino) = g::ext2_mknod((dev, p.dir, p.name, mode, rdev, o.uid, o.gid, g::now_of(at)));
            (dev, (err, ino))
        })
    }

    fn mkdir(&mut self, p: Place<'_>, mode: u32, o: Owner, at: Now) -> Result<(u32, u32), String> {
        self.call(|dev| {
            let (dev, err, ino) = g::ext2_mkdir((dev, p.dir, p.name, mode, o.uid, o.gid, g::now_of(at)));
            (dev, (err, ino))
        })
    }

    fn symlink(&mut self, p: Place<'_>, target: &[u8], o: Owner, at: Now) -> Result<(u32, u32), String> {
        self.call(|dev| {
            let (dev, err, ino) = g::ext2_symlink((dev, p.dir, p.name, target, o.uid, o.gid, g::now_of(at)));
            (dev, (err, ino))
        })
    }

    fn readlink(&mut self, ino: u32) -> Result<(u32, Vec<u8>), String> {
        self.call(|dev| {
            let (dev, err, target) = g::ext2_readlink((dev, ino));
            (dev, (err, target))
        })
    }

    fn link(&mut self, ino: u32, parent: u32, name: &[u8], at: Now) -> Result<u32, String> {
        self.call(|dev| g::ext2_link((dev, ino, parent, name, g::now_of(at))))
    }

    fn unlink(&mut self, parent: u32, name: &[u8], at: Now) -> Result<(u32, u32), String> {
        self.call(|dev| {
            let (dev, err, orphan) = g::ext2_unlink((dev, parent, name, g::now_of(at)));
            (dev, (err, orphan))
        })
    }

    fn rmdir(&mut self, parent: u32, name: &[u8], at: Now) -> Result<(u32, u32), String> {
        self.call(|dev| {
            let (dev, err, orphan) = g::ext2_rmdir((dev, parent, name, g::now_of(at)));
            (dev, (err, orphan))
        })
    }

    fn rename(&mut self, from: Place<'_>, to: Place<'_>, at: Now) -> Result<(u32, u32), String> {
        self.call(|dev| {
            let (dev, err, orphan) = g::ext2_rename((dev, from.dir, from.name, to.dir, to.name, g::now_of(at)));
            (dev, (err, orphan))
        })
    }

    fn evict(&mut self, ino: u32, at: Now) -> Result<u32, String> {
        self.call(|dev| g::ext2_evict((dev, ino, g::now_of(at))))
    }

    fn setattr(&mut self, ino: u32, c: Change, at: Now) -> Result<u32, String> {
        let change = g::change_of((c.mask, c.mode, c.uid, c.gid, c.size, c.atime.0, c.atime.1, c.mtime.0, c.mtime.1));
        self.call(|dev| g::ext2_setattr((dev, ino, change, g::now_of(at))))
    }

    fn statfs(&mut self) -> Result<(u32, Totals), String> {
        self.call(|dev| {
            let (dev, err, t) = g::ext2_statfs(dev);
            let totals = Totals {
                blocks: t.blocks,
                free: t.free,
                reserved: t.reserved,
                inodes: t.inodes,
                free_inodes: t.free_inodes,
                bs: t.bs,
            };
            (dev, (err, totals))
        })
    }

    fn sync(&mut self) -> Result<(), String> {
        let dev = self.dev.as_ref().ok_or("the device was lost by an earlier failure")?;
        dev.sync().map_err(|e| format!("sync failed: {e}"))
    }

    fn flush(&mut self) -> Result<(), String> {
        let dev = self.dev.as_ref().ok_or("the device was lost by an earlier failure")?;
        dev.write_back().map_err(|e| format!("writing back the cache failed: {e}"))
    }
}
