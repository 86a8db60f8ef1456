//! An in-memory reference file system with ext2's rules: the oracle the
//! differential tests compare the ext2 example with, on every engine.
//!
//! It consumes [`Ops`] calls and produces their results, nothing else: no
//! image, no I/O. Everything visible through [`Ops`] follows what Linux's
//! ext2 does, so that a trace gives the same answers on both:
//!
//! - Inode numbers: the lowest free number from 11 (ext2's first
//!   non-reserved inode); a fresh model is a fresh `mke2fs -t ext2` image:
//!   the root (2, mode 0755, three links) and `lost+found` (11, mode 0700,
//!   `clamp(16 KiB / block size, 2, 12)` blocks, as mke2fs sizes it).
//! - Directories are ext2's linear records: `rec_len = (8 + name_len)`
//!   rounded up to 4; an entry goes into the first record with room (an
//!   unused one, or the slack after a used one, which is split); a new block
//!   is appended when none has room; a removed entry is merged into the
//!   record before it in its block, or marked unused when it is the first.
//!   A readdir offset is a byte position in the directory, so offsets stay
//!   valid when entries come and go; `.` and `..` are real records.
//! - Sizes and space: a directory's size is its blocks; `blocks` counts data
//!   blocks and the indirect blocks above them (an indirect block exists
//!   exactly when some data block under it does); a symlink shorter than 60
//!   bytes lives in the inode. All free blocks are usable (the daemon runs
//!   as root); writes are all or nothing (`ENOSPC` before any change).
//! - Errors, checked in this order: the parent (`ENOENT`, `ENOTDIR`), the
//!   name (`EINVAL` for empty, `/` or NUL; `ENAMETOOLONG` over 255 bytes),
//!   the entry (`ENOENT`, `EEXIST`; `.` and `..` are entries: as in Linux,
//!   unlinking them is `EISDIR`, `rmdir` of `.` `EINVAL` (first of all) and
//!   of `..` `ENOTEMPTY`, renaming either `EINVAL`),
//!   its kind (`ENOTDIR`, `EISDIR`, `ENOTEMPTY`, `EINVAL` for a directory
//!   moved under itself), limits (`EMLINK` at 32,000 links, `EFBIG` past
//!   [`max_file_size`]) and space (`ENOSPC`).
//! - Times: a new inode gets `now` for all three; a changed directory gets
//!   `mtime = ctime = now`; a changed inode `ctime = now`; a write or a size
//!   change `mtime = ctime = now` (explicit times in the same `setattr` win).
//!   Reads change nothing (the model keeps no atime). Times are shown as
//!   an inode of 256 bytes holds them (Linux's ext4 encoding, with 2 epoch
//!   bits): from 1901-12-13 to 2446-05-10, a time outside clamped to the
//!   nearer end with nanoseconds 0, as Linux's `timestamp_truncate` does.
//! - Open files: a file whose last link goes while a handle is open keeps
//!   its inode number, data and space, reachable by number (with no links)
//!   until its last release, or the unmount; it cannot be linked again
//!   (`ENOENT`). A directory removed (or renamed over) while open stays
//!   too, as Linux's ext2 keeps it: no links, size 0, nothing to list or
//!   look up (not even `.` and `..`), and nothing can be made in it
//!   (`ENOENT`, as the VFS refuses); its blocks stay counted until it is
//!   freed.
//!
//! What the kernel checks before calling (permissions, with
//! `default_permissions`; setuid/setgid clearing) is not checked here.
#![forbid(unsafe_code)]

use crate::ops::{Attr, Caller, DirEntry, Errno, Handles, Ino, Kind, Ops, SetAttr, StatFs, Time, ROOT};
use std::collections::{BTreeMap, BTreeSet};

#[cfg(test)]
mod tests;

/// The longest name a directory entry holds.
pub const NAME_MAX: usize = 255;
/// ext2's limit on an inode's links (`EXT2_LINK_MAX`).
pub const LINK_MAX: u32 = 32_000;
/// ext2's first non-reserved inode (`EXT2_GOOD_OLD_FIRST_INO`).
pub const FIRST_INO: Ino = 11;
/// The inode holding `lost+found` in a fresh image.
pub const LOST_FOUND: Ino = 11;
/// Direct block pointers in an inode.
const NDIR: u64 = 12;
/// A symlink target shorter than this lives in the inode's block pointers.
const FAST_SYMLINK_MAX: usize = 60;

/// The largest file ext2 holds with blocks of `block_size` bytes: the
/// smaller of what the block tree addresses and what a 32-bit count of
/// 512-byte sectors (data and indirect blocks) allows — Linux's
/// `ext2_max_size`, computed the same way.
pub fn max_file_size(block_size: u32) -> u64 {
    let bits = block_size.trailing_zeros() as u64;
    let ppb = 1u64 << (bits - 2);
    let tree = NDIR + ppb + ppb * ppb + ppb * ppb * ppb;
    let meta_full = 1 + (1 + ppb) + (1 + ppb + ppb * ppb);
    let mut upper = ((1u64 << 32) - 1) >> (bits - 9);
    let blocks = if tree + meta_full <= upper {
        tree
    } else {
        let res = upper;
        upper -= NDIR;
        let mut meta = 1;
        upper -= ppb;
        if upper < ppb * ppb {
            meta += 1 + upper.div_ceil(ppb);
        } else {
            meta += 1 + ppb;
            upper -= ppb * ppb;
            meta += 1 + upper.div_ceil(ppb) + upper.div_ceil(ppb * ppb);
        }
        res - meta
    };
    (blocks << bits).min(i64::MAX as u64)
}

/// The space a model has, in the units `statfs` reports. `free_blocks` and
/// `free_inodes` exclude what the root and `lost+found` already use, as a
/// fresh image's superblock does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capacity {
    pub blocks: u64,
    pub free_blocks: u64,
    /// Blocks kept for root: `bavail = bfree - reserved`.
    pub reserved_blocks: u64,
    pub inodes: u32,
    pub free_inodes: u32,
}

impl Capacity {
    /// Room for anything a test does: a million blocks and 65,536 inodes.
    pub fn ample() -> Capacity {
        Capacity {
            blocks: 1 << 20,
            free_blocks: 1 << 20,
            reserved_blocks: 0,
            inodes: 1 << 16,
            free_inodes: (1 << 16) - FIRST_INO,
        }
    }
}

/// A directory record (`ext2_dir_entry_2`); `ino == 0` marks an unused one.
#[derive(Clone, Debug)]
struct Record {
    ino: Ino,
    kind: Kind,
    name: Vec<u8>,
    rec_len: u32,
}

/// The room a record with a name of `len` bytes needs.
fn rec_len(len: usize) -> u32 {
    ((8 + len + 3) & !3) as u32
}

/// A directory: blocks of records whose `rec_len`s add up to the block size.
#[derive(Clone, Debug)]
struct Dir {
    blocks: Vec<Vec<Record>>,
}

impl Dir {
    fn new(block_size: u32, me: Ino, parent: Ino) -> Dir {
        let dot = |name: &[u8], ino, rec_len| Record { ino, kind: Kind::Dir, name: name.to_vec(), rec_len };
        Dir { blocks: vec![vec![dot(b".", me, 12), dot(b"..", parent, block_size - 12)]] }
    }

    /// Every record with its byte position in the directory, unused ones too.
    fn records(&self, block_size: u32) -> impl Iterator<Item = (u64, &Record)> {
        self.blocks.iter().enumerate().flat_map(move |(b, block)| {
            let mut pos = b as u64 * block_size as u64;
            block.iter().map(move |r| {
                let here = pos;
                pos += r.rec_len as u64;
                (here, r)
            })
        })
    }

    fn find(&self, name: &[u8]) -> Option<(usize, usize)> {
        self.blocks
            .iter()
            .enumerate()
            .find_map(|(b, block)| block.iter().position(|r| r.ino != 0 && r.name == name).map(|i| (b, i)))
    }

    fn get(&self, name: &[u8]) -> Option<&Record> {
        self.find(name).map(|(b, i)| &self.blocks[b][i])
    }

    /// Whether adding a name of `len` bytes needs a new block.
    fn needs_block(&self, len: usize) -> bool {
        let need = rec_len(len);
        !self.blocks.iter().flatten().any(|r| {
            if r.ino == 0 {
                r.rec_len >= need
            } else {
                r.rec_len >= rec_len(r.name.len()) + need
            }
        })
    }

    /// Adds an entry in the first record with room (ext2_add_link).
    fn add(&mut self, block_size: u32, name: &[u8], ino: Ino, kind: Kind) {
        let need = rec_len(name.len());
        let new = |rec_len| Record { ino, kind, name: name.to_vec(), rec_len };
        for block in &mut self.blocks {
            for i in 0..block.len() {
                let r = &mut block[i];
                if r.ino == 0 && r.rec_len >= need {
                    *r = new(r.rec_len);
                    return;
                }
                let used = rec_len(r.name.len());
                if r.ino != 0 && r.rec_len >= used + need {
                    let rest = r.rec_len - used;
                    r.rec_len = used;
                    block.insert(i + 1, new(rest));
                    return;
                }
            }
        }
        self.blocks.push(vec![new(block_size)]);
    }

    /// Removes an entry (ext2_delete_entry): merged into the record before
    /// it in its block, or marked unused when it is the block's first.
    fn remove(&mut self, name: &[u8]) {
        let Some((b, i)) = self.find(name) else {
            unreachable!("bug: removing a missing entry");
        };
        let block = &mut self.blocks[b];
        if i == 0 {
            block[0].ino = 0;
        } else {
            let gone = block.remove(i);
            block[i - 1].rec_len += gone.rec_len;
        }
    }

    /// Points an existing entry at another inode (ext2_set_link).
    fn set(&mut self, name: &[u8], ino: Ino, kind: Kind) {
        let Some((b, i)) = self.find(name) else {
            unreachable!("bug: re-linking a missing entry");
        };
        self.blocks[b][i].ino = ino;
        self.blocks[b][i].kind = kind;
    }

    /// Forgets every entry, `.` and `..` too (a directory removed while
    /// open): the blocks stay, with unused records.
    fn clear(&mut self) {
        self.blocks.iter_mut().flatten().for_each(|r| r.ino = 0);
    }

    fn is_empty(&self) -> bool {
        self.blocks.iter().flatten().all(|r| r.ino == 0 || r.name == b"." || r.name == b"..")
    }
}

/// What an inode holds.
#[derive(Clone, Debug)]
enum Data {
    /// Bytes by block index; a missing block is a hole.
    File {
        size: u64,
        blocks: BTreeMap<u64, Vec<u8>>,
    },
    Dir(Dir),
    Symlink(Vec<u8>),
    /// Devices, FIFOs and sockets.
    Special,
}

#[derive(Clone, Debug)]
struct Inode {
    kind: Kind,
    perm: u16,
    nlink: u32,
    uid: u32,
    gid: u32,
    atime: Time,
    mtime: Time,
    ctime: Time,
    rdev: u32,
    data: Data,
    /// Blocks in use, data and indirect ones (kept equal to `usage`).
    used: u64,
}

/// The reference file system.
#[derive(Clone, Debug)]
pub struct Model {
    block_size: u32,
    capacity: Capacity,
    inodes: BTreeMap<Ino, Inode>,
    handles: Handles,
}

impl Model {
    /// A fresh ext2 file system with `block_size`-byte blocks (1024, 2048,
    /// 4096 ...) and ample space.
    pub fn new(block_size: u32) -> Model {
        Model::with_capacity(block_size, Capacity::ample())
    }

    /// A fresh ext2 file system with the given space (as a fresh image's
    /// superblock gives it).
    pub fn with_capacity(block_size: u32, capacity: Capacity) -> Model {
        assert!(block_size.is_power_of_two() && block_size >= 1024, "bug: block size {block_size}");
        let dir = |perm, nlink, data| Inode {
            kind: Kind::Dir,
            perm,
            nlink,
            uid: 0,
            gid: 0,
            atime: Time::default(),
            mtime: Time::default(),
            ctime: Time::default(),
            rdev: 0,
            data: Data::Dir(data),
            used: 0,
        };
        let mut lost_found = Dir::new(block_size, LOST_FOUND, ROOT);
        for _ in 1..(16384 / block_size).clamp(2, 12) {
            lost_found.blocks.push(vec![Record { ino: 0, kind: Kind::File, name: Vec::new(), rec_len: block_size }]);
        }
        let mut root = Dir::new(block_size, ROOT, ROOT);
        root.add(block_size, b"lost+found", LOST_FOUND, Kind::Dir);
        let mut model = Model { block_size, capacity, inodes: BTreeMap::new(), handles: Handles::default() };
        for (ino, inode) in [(ROOT, dir(0o755, 3, root)), (LOST_FOUND, dir(0o700, 2, lost_found))] {
            let used = model.usage(&inode.data);
            model.inodes.insert(ino, Inode { used, ..inode });
        }
        model
    }

    /// Gives the root and `lost+found` the times `mke2fs` gave them (its
    /// creation time), so that a model compares equal with a fresh image.
    pub fn with_fresh_times(mut self, t: Time) -> Model {
        for ino in [ROOT, LOST_FOUND] {
            if let Some(i) = self.inodes.get_mut(&ino) {
                (i.atime, i.mtime, i.ctime) = (t, t, t);
            }
        }
        self
    }

    pub fn block_size(&self) -> u32 {
        self.block_size
    }

    fn inode(&self, ino: Ino) -> Result<&Inode, Errno> {
        self.inodes.get(&ino).ok_or(Errno::ENOENT)
    }

    fn inode_mut(&mut self, ino: Ino) -> Result<&mut Inode, Errno> {
        self.inodes.get_mut(&ino).ok_or(Errno::ENOENT)
    }

    fn dir(&self, ino: Ino) -> Result<&Dir, Errno> {
        match &self.inode(ino)?.data {
            Data::Dir(dir) => Ok(dir),
            _ => Err(Errno::ENOTDIR),
        }
    }

    /// A directory that can take new entries: not one removed while open.
    fn live_dir(&self, ino: Ino) -> Result<&Dir, Errno> {
        let dir = self.dir(ino)?;
        match self.inode(ino)?.nlink {
            0 => Err(Errno::ENOENT),
            _ => Ok(dir),
        }
    }

    fn dir_mut(&mut self, ino: Ino) -> &mut Dir {
        match self.inodes.get_mut(&ino).map(|i| &mut i.data) {
            Some(Data::Dir(dir)) => dir,
            _ => unreachable!("bug: inode {ino} is not a directory"),
        }
    }

    /// Blocks `data` occupies: data blocks and the indirect blocks above them.
    fn usage(&self, data: &Data) -> u64 {
        match data {
            Data::File { blocks, .. } => tree_blocks(blocks.keys().copied(), self.block_size),
            Data::Dir(dir) => tree_blocks(0..dir.blocks.len() as u64, self.block_size),
            Data::Symlink(target) if target.len() >= FAST_SYMLINK_MAX => 1,
            Data::Symlink(_) | Data::Special => 0,
        }
    }

    /// Recounts an inode's blocks after a change, moving the difference
    /// to or from the free count (space was checked before the change).
    fn recount(&mut self, ino: Ino) {
        let Some(inode) = self.inodes.get(&ino) else { return };
        let (before, after) = (inode.used, self.usage(&inode.data));
        self.capacity.free_blocks = (self.capacity.free_blocks + before).saturating_sub(after);
        if let Some(inode) = self.inodes.get_mut(&ino) {
            inode.used = after;
        }
    }

    fn need_blocks(&self, n: u64) -> Result<(), Errno> {
        if n > self.capacity.free_blocks {
            return Err(Errno::ENOSPC);
        }
        Ok(())
    }

    /// The parent of a new entry: a directory without `name`, with room.
    fn check_new_entry(&self, parent: Ino, name: &[u8], new_inode_blocks: u64) -> Result<(), Errno> {
        let dir = self.live_dir(parent)?;
        check_name(name)?;
        if dir.get(name).is_some() {
            return Err(Errno::EEXIST);
        }
        self.need_blocks(new_inode_blocks + self.dir_growth(dir, name.len()))
    }

    /// Blocks adding a name of `len` bytes to `dir` takes.
    fn dir_growth(&self, dir: &Dir, len: usize) -> u64 {
        if !dir.needs_block(len) {
            return 0;
        }
        let n = dir.blocks.len() as u64;
        tree_blocks(0..n + 1, self.block_size) - tree_blocks(0..n, self.block_size)
    }

    /// The lowest free inode number from [`FIRST_INO`].
    fn free_ino(&self) -> Result<Ino, Errno> {
        if self.capacity.free_inodes == 0 {
            return Err(Errno::ENOSPC);
        }
        (FIRST_INO..=self.capacity.inodes).find(|i| !self.inodes.contains_key(i)).ok_or(Errno::ENOSPC)
    }

    /// Creates an inode of `kind` with permission bits `perm` and its entry
    /// in `parent` (checked by the caller).
    fn create(
        &mut self,
        parent: Ino,
        name: &[u8],
        (kind, perm): (Kind, u32),
        rdev: u32,
        data: Data,
        caller: Caller,
    ) -> Result<Attr, Errno> {
        let ino = self.free_ino()?;
        let now = caller.now;
        let nlink = if kind == Kind::Dir { 2 } else { 1 };
        let inode = Inode {
            kind,
            perm: (perm & 0o7777) as u16,
            nlink,
            uid: caller.uid,
            gid: caller.gid,
            atime: now,
            mtime: now,
            ctime: now,
            rdev,
            data,
            used: 0,
        };
        self.inodes.insert(ino, inode);
        self.capacity.free_inodes -= 1;
        self.recount(ino);
        let block_size = self.block_size;
        self.dir_mut(parent).add(block_size, name, ino, kind);
        self.recount(parent);
        let p = self.inode_mut(parent)?;
        p.mtime = now;
        p.ctime = now;
        if kind == Kind::Dir {
            p.nlink += 1;
        }
        self.getattr(ino)
    }

    /// Drops one link (both of an empty directory, which forgets its `.`
    /// and `..`); frees the inode at none, unless it is open.
    fn drop_link(&mut self, ino: Ino, now: Time) {
        let Some(inode) = self.inodes.get_mut(&ino) else { return };
        inode.nlink = inode.nlink.saturating_sub(if inode.kind == Kind::Dir { 2 } else { 1 });
        inode.ctime = now;
        if let Data::Dir(dir) = &mut inode.data {
            dir.clear();
        }
        if !self.handles.is_open(ino) {
            self.free_if_unlinked(ino);
        }
    }

    /// Frees `ino` and its space if it has no links left.
    fn free_if_unlinked(&mut self, ino: Ino) {
        if let Some(inode) = self.inodes.get(&ino).filter(|i| i.nlink == 0) {
            self.capacity.free_blocks += inode.used;
            self.capacity.free_inodes += 1;
            self.inodes.remove(&ino);
        }
    }

    fn touch_dir(&mut self, ino: Ino, now: Time) {
        if let Some(d) = self.inodes.get_mut(&ino) {
            d.mtime = now;
            d.ctime = now;
        }
    }

    /// Whether `ino` is `ancestor` or lies below it.
    fn is_under(&self, mut ino: Ino, ancestor: Ino) -> bool {
        loop {
            if ino == ancestor {
                return true;
            }
            match self.dir(ino).ok().and_then(|d| d.get(b"..")) {
                Some(up) if up.ino != ino => ino = up.ino,
                _ => return false,
            }
        }
    }

    /// Looks an existing entry up for removal or renaming (`.` and `..`
    /// are entries too: each operation refuses them its own way, as Linux).
    fn entry(&self, parent: Ino, name: &[u8]) -> Result<(Ino, Kind), Errno> {
        let dir = self.dir(parent)?;
        check_name(name)?;
        let r = dir.get(name).ok_or(Errno::ENOENT)?;
        Ok((r.ino, r.kind))
    }

    fn resize(&mut self, ino: Ino, new_size: u64) -> Result<(), Errno> {
        let max = max_file_size(self.block_size);
        let bs = self.block_size as u64;
        let inode = self.inode_mut(ino)?;
        let Data::File { size, blocks } = &mut inode.data else {
            return Err(match inode.kind {
                Kind::Dir => Errno::EISDIR,
                _ => Errno::EINVAL,
            });
        };
        if new_size > max {
            return Err(Errno::EFBIG);
        }
        if new_size < *size {
            blocks.retain(|&b, _| b < new_size.div_ceil(bs));
            if let Some(last) = blocks.get_mut(&(new_size / bs)) {
                last[(new_size % bs) as usize..].fill(0);
            }
        }
        *size = new_size;
        self.recount(ino);
        Ok(())
    }
}

/// Data blocks at `indices` plus the indirect blocks above them.
fn tree_blocks(indices: impl Iterator<Item = u64>, block_size: u32) -> u64 {
    let ppb = block_size as u64 / 4;
    let mut data = 0;
    let mut meta = BTreeSet::new();
    for i in indices {
        data += 1;
        let Some(i) = i.checked_sub(NDIR) else { continue };
        if i < ppb {
            meta.insert((1, 0));
            continue;
        }
        let i = i - ppb;
        if i < ppb * ppb {
            meta.insert((2, 0));
            meta.insert((21, i / ppb));
            continue;
        }
        let i = i - ppb * ppb;
        meta.insert((3, 0));
        meta.insert((31, i / (ppb * ppb)));
        meta.insert((32, i / ppb));
    }
    data + meta.len() as u64
}

/// The earliest and latest seconds an inode with the extra time fields
/// holds (Linux's `EXT4_TIMESTAMP_MIN`, `EXT4_EXTRA_TIMESTAMP_MAX`).
pub const TIME_MIN: i64 = i32::MIN as i64;
pub const TIME_MAX: i64 = (1 << 34) - 1 + i32::MIN as i64;

/// `t` as the inode stores it: clamped to [`TIME_MIN`]..=[`TIME_MAX`],
/// nanoseconds 0 at either end (Linux's `timestamp_truncate`). Clamping
/// as it is shown is clamping as it is stored: no time is computed from
/// another.
fn stored(t: Time) -> Time {
    match t.secs.clamp(TIME_MIN, TIME_MAX) {
        secs @ (TIME_MIN | TIME_MAX) => Time { secs, nsecs: 0 },
        secs => Time { secs, nsecs: t.nsecs },
    }
}

/// A name a directory entry can hold.
fn is_dot(name: &[u8]) -> bool {
    name == b"." || name == b".."
}

fn check_name(name: &[u8]) -> Result<(), Errno> {
    if name.is_empty() || name.contains(&b'/') || name.contains(&0) {
        return Err(Errno::EINVAL);
    }
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

impl Ops for Model {
    fn lookup(&mut self, parent: Ino, name: &[u8]) -> Result<Attr, Errno> {
        let dir = self.dir(parent)?;
        check_name(name)?;
        let ino = dir.get(name).ok_or(Errno::ENOENT)?.ino;
        self.getattr(ino)
    }

    fn getattr(&mut self, ino: Ino) -> Result<Attr, Errno> {
        let i = self.inode(ino)?;
        let size = match &i.data {
            Data::File { size, .. } => *size,
            Data::Dir(_) if i.nlink == 0 => 0,
            Data::Dir(dir) => dir.blocks.len() as u64 * self.block_size as u64,
            Data::Symlink(target) => target.len() as u64,
            Data::Special => 0,
        };
        Ok(Attr {
            ino,
            kind: i.kind,
            perm: i.perm,
            nlink: i.nlink,
            uid: i.uid,
            gid: i.gid,
            size,
            blocks: i.used * (self.block_size as u64 / 512),
            atime: stored(i.atime),
            mtime: stored(i.mtime),
            ctime: stored(i.ctime),
            rdev: i.rdev,
            blksize: self.block_size,
        })
    }

    fn setattr(&mut self, ino: Ino, changes: &SetAttr, caller: Caller) -> Result<Attr, Errno> {
        let now = caller.now;
        let old_size = self.getattr(ino)?.size;
        if let Some(size) = changes.size {
            self.resize(ino, size)?;
        }
        let i = self.inode_mut(ino)?;
        if changes.size.is_some_and(|s| s != old_size) {
            i.mtime = now;
        }
        if let Some(mode) = changes.mode {
            i.perm = (mode & 0o7777) as u16;
        }
        if let Some(uid) = changes.uid {
            i.uid = uid;
        }
        if let Some(gid) = changes.gid {
            i.gid = gid;
        }
        if let Some(atime) = changes.atime {
            i.atime = atime;
        }
        if let Some(mtime) = changes.mtime {
            i.mtime = mtime;
        }
        i.ctime = now;
        self.getattr(ino)
    }

    fn readdir(&mut self, dir: Ino, offset: u64, max: usize) -> Result<Vec<DirEntry>, Errno> {
        let d = self.dir(dir)?;
        Ok(d.records(self.block_size)
            .filter(|(pos, r)| r.ino != 0 && *pos >= offset)
            .take(max)
            .map(|(pos, r)| DirEntry { ino: r.ino, kind: r.kind, name: r.name.clone(), next: pos + r.rec_len as u64 })
            .collect())
    }

    fn mknod(&mut self, parent: Ino, name: &[u8], mode: u32, rdev: u32, caller: Caller) -> Result<Attr, Errno> {
        let kind = match Kind::of_mode(mode) {
            Some(Kind::Dir | Kind::Symlink) | None => return Err(Errno::EINVAL),
            Some(kind) => kind,
        };
        self.check_new_entry(parent, name, 0)?;
        let (data, rdev) = match kind {
            Kind::File => (Data::File { size: 0, blocks: BTreeMap::new() }, 0),
            _ => (Data::Special, rdev),
        };
        self.create(parent, name, (kind, mode), rdev, data, caller)
    }

    fn mkdir(&mut self, parent: Ino, name: &[u8], mode: u32, caller: Caller) -> Result<Attr, Errno> {
        self.check_new_entry(parent, name, 1)?;
        if self.inode(parent)?.nlink >= LINK_MAX {
            return Err(Errno::EMLINK);
        }
        let ino = self.free_ino()?;
        let data = Data::Dir(Dir::new(self.block_size, ino, parent));
        self.create(parent, name, (Kind::Dir, mode), 0, data, caller)
    }

    fn unlink(&mut self, parent: Ino, name: &[u8], caller: Caller) -> Result<(), Errno> {
        let (ino, kind) = self.entry(parent, name)?;
        if kind == Kind::Dir {
            return Err(Errno::EISDIR);
        }
        self.dir_mut(parent).remove(name);
        self.touch_dir(parent, caller.now);
        self.drop_link(ino, caller.now);
        Ok(())
    }

    fn rmdir(&mut self, parent: Ino, name: &[u8], caller: Caller) -> Result<(), Errno> {
        if name == b"." {
            return Err(Errno::EINVAL);
        }
        let (ino, kind) = self.entry(parent, name)?;
        if kind != Kind::Dir {
            return Err(Errno::ENOTDIR);
        }
        if name == b".." || !self.dir(ino)?.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        self.dir_mut(parent).remove(name);
        self.touch_dir(parent, caller.now);
        self.inode_mut(parent)?.nlink -= 1;
        self.drop_link(ino, caller.now);
        Ok(())
    }

    fn rename(
        &mut self,
        parent: Ino,
        name: &[u8],
        new_parent: Ino,
        new_name: &[u8],
        caller: Caller,
    ) -> Result<(), Errno> {
        let now = caller.now;
        let (ino, kind) = self.entry(parent, name)?;
        self.live_dir(new_parent)?;
        check_name(new_name)?;
        if is_dot(name) || is_dot(new_name) {
            return Err(Errno::EINVAL);
        }
        let target = self.dir(new_parent)?.get(new_name).map(|r| (r.ino, r.kind));
        if kind == Kind::Dir && self.is_under(new_parent, ino) {
            return Err(Errno::EINVAL);
        }
        if let Some((t, t_kind)) = target {
            if t == ino {
                return Ok(());
            }
            if t_kind == Kind::Dir && self.is_under(parent, t) {
                return Err(Errno::ENOTEMPTY);
            }
            match (kind == Kind::Dir, t_kind == Kind::Dir) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true) if !self.dir(t)?.is_empty() => return Err(Errno::ENOTEMPTY),
                _ => {}
            }
        } else {
            if kind == Kind::Dir && parent != new_parent && self.inode(new_parent)?.nlink >= LINK_MAX {
                return Err(Errno::EMLINK);
            }
            self.need_blocks(self.dir_growth(self.dir(new_parent)?, new_name.len()))?;
        }
        let block_size = self.block_size;
        match target {
            Some((t, _)) => {
                self.dir_mut(new_parent).set(new_name, ino, kind);
                if kind == Kind::Dir {
                    // The replaced directory's `..` link to new_parent goes.
                    self.inode_mut(new_parent)?.nlink -= 1;
                }
                self.drop_link(t, now);
            }
            None => {
                self.dir_mut(new_parent).add(block_size, new_name, ino, kind);
                self.recount(new_parent);
            }
        }
        self.dir_mut(parent).remove(name);
        if kind == Kind::Dir && parent != new_parent {
            self.dir_mut(ino).set(b"..", new_parent, Kind::Dir);
            self.inode_mut(parent)?.nlink -= 1;
            self.inode_mut(new_parent)?.nlink += 1;
        }
        self.touch_dir(parent, now);
        self.touch_dir(new_parent, now);
        self.inode_mut(ino)?.ctime = now;
        Ok(())
    }

    fn link(&mut self, ino: Ino, new_parent: Ino, new_name: &[u8], caller: Caller) -> Result<Attr, Errno> {
        let inode = self.inode(ino)?;
        if inode.kind == Kind::Dir {
            return Err(Errno::EPERM);
        }
        let (kind, nlink) = (inode.kind, inode.nlink);
        if nlink == 0 {
            return Err(Errno::ENOENT);
        }
        self.check_new_entry(new_parent, new_name, 0)?;
        if nlink >= LINK_MAX {
            return Err(Errno::EMLINK);
        }
        let block_size = self.block_size;
        self.dir_mut(new_parent).add(block_size, new_name, ino, kind);
        self.recount(new_parent);
        self.touch_dir(new_parent, caller.now);
        let i = self.inode_mut(ino)?;
        i.nlink += 1;
        i.ctime = caller.now;
        self.getattr(ino)
    }

    fn symlink(&mut self, parent: Ino, name: &[u8], target: &[u8], caller: Caller) -> Result<Attr, Errno> {
        let slow = target.len() >= FAST_SYMLINK_MAX;
        self.check_new_entry(parent, name, slow as u64)?;
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() + 1 > self.block_size as usize {
            return Err(Errno::ENAMETOOLONG);
        }
        self.create(parent, name, (Kind::Symlink, 0o777), 0, Data::Symlink(target.to_vec()), caller)
    }

    fn readlink(&mut self, ino: Ino) -> Result<Vec<u8>, Errno> {
        match &self.inode(ino)?.data {
            Data::Symlink(target) => Ok(target.clone()),
            _ => Err(Errno::EINVAL),
        }
    }

    fn read(&mut self, ino: Ino, offset: u64, size: u32) -> Result<Vec<u8>, Errno> {
        let bs = self.block_size as u64;
        let inode = self.inode(ino)?;
        let Data::File { size: file_size, blocks } = &inode.data else {
            return Err(if inode.kind == Kind::Dir { Errno::EISDIR } else { Errno::EINVAL });
        };
        let end = (*file_size).min(offset.saturating_add(size as u64));
        let mut out = Vec::with_capacity(end.saturating_sub(offset) as usize);
        let mut pos = offset;
        while pos < end {
            let (b, within) = (pos / bs, (pos % bs) as usize);
            let n = ((bs - within as u64).min(end - pos)) as usize;
            match blocks.get(&b) {
                Some(block) => out.extend_from_slice(&block[within..within + n]),
                None => out.resize(out.len() + n, 0),
            }
            pos += n as u64;
        }
        Ok(out)
    }

    fn write(&mut self, ino: Ino, offset: u64, data: &[u8], caller: Caller) -> Result<u32, Errno> {
        let bs = self.block_size as u64;
        let max = max_file_size(self.block_size);
        let inode = self.inode(ino)?;
        let Data::File { blocks, .. } = &inode.data else {
            return Err(if inode.kind == Kind::Dir { Errno::EISDIR } else { Errno::EINVAL });
        };
        if data.is_empty() {
            return Ok(0);
        }
        let end = offset.checked_add(data.len() as u64).filter(|&e| e <= max).ok_or(Errno::EFBIG)?;
        let touched = offset / bs..end.div_ceil(bs);
        let after = tree_blocks(
            blocks.keys().copied().chain(touched.clone().filter(|b| !blocks.contains_key(b))),
            self.block_size,
        );
        self.need_blocks(after.saturating_sub(inode.used))?;
        let i = self.inode_mut(ino)?;
        let Data::File { size, blocks } = &mut i.data else {
            unreachable!("bug: checked above");
        };
        for b in touched {
            let block = blocks.entry(b).or_insert_with(|| vec![0; bs as usize]);
            let (start, stop) = ((b * bs).max(offset), ((b + 1) * bs).min(end));
            block[(start - b * bs) as usize..(stop - b * bs) as usize]
                .copy_from_slice(&data[(start - offset) as usize..(stop - offset) as usize]);
        }
        *size = (*size).max(end);
        i.mtime = caller.now;
        i.ctime = caller.now;
        self.recount(ino);
        Ok(data.len() as u32)
    }

    fn statfs(&mut self) -> Result<StatFs, Errno> {
        let c = &self.capacity;
        Ok(StatFs {
            blocks: c.blocks,
            bfree: c.free_blocks,
            bavail: c.free_blocks.saturating_sub(c.reserved_blocks),
            files: c.inodes as u64,
            ffree: c.free_inodes as u64,
            bsize: self.block_size,
            namelen: NAME_MAX as u32,
        })
    }

    fn handles(&mut self) -> &mut Handles {
        &mut self.handles
    }

    fn release(&mut self, ino: Ino, _caller: Caller) -> Result<(), Errno> {
        if self.handles.release(ino) {
            self.free_if_unlinked(ino);
        }
        Ok(())
    }

    fn sync(&mut self) -> Result<(), Errno> {
        Ok(())
    }

    fn unmount(&mut self, _caller: Caller) -> Result<(), Errno> {
        self.handles = Handles::default();
        let orphans: Vec<Ino> = self.inodes.iter().filter(|(_, i)| i.nlink == 0).map(|(&ino, _)| ino).collect();
        for ino in orphans {
            self.free_if_unlinked(ino);
        }
        Ok(())
    }
}
