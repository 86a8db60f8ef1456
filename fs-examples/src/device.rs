//! The block device under the ext2 logic, and the byte-buffer primitives
//! of `ext2/device.cdsl`, for the compiled (native) engine: the generated
//! code calls these functions by their CDSL names (see `build.rs`).
//!
//! The device is an image file behind a write-back block cache. Reads that
//! miss load the block; writes only touch the cache, and dirty blocks reach
//! the file on [`Dev::sync`] or when the cache grows past its bound. An I/O
//! error, or an access to a block beyond the image, is recorded and taken
//! by the caller after the operation ([`Dev::take_error`]), which turns it
//! into EIO: the CDSL program never sees a failed read.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;

/// Dirty or clean blocks kept before the cache is written back and emptied.
const CACHE_BLOCKS: usize = 32 * 1024;

/// Blocks read at once on a miss: sequential reads are the common case.
const READ_AHEAD: u64 = 32;

/// The most bytes written back in one write.
const WRITE_RUN: usize = 1 << 20;

/// The largest buffer `buf_new` makes (as `wordarray_create`'s bound).
const MAX_BUF: u32 = 1 << 24;

/// Hashes a block number by one multiplication (Fibonacci hashing): every
/// field an operation reads is a cache lookup, and SipHash's resistance to
/// chosen keys buys nothing for block numbers.
#[derive(Default)]
struct BlockHasher(u64);

impl std::hash::Hasher for BlockHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Blocks = HashMap<u32, Box<[u8]>, std::hash::BuildHasherDefault<BlockHasher>>;

struct Cache {
    blocks: Blocks,
    dirty: std::collections::BTreeSet<u32>,
    error: Option<String>,
    /// File data read ahead past the cache (see [`Dev::read_direct`]).
    ahead: Ahead,
}

/// A run of blocks read from the file in one read, for file data that
/// bypasses the cache: a sequential read then costs one read per run, not
/// one per block. Valid while none of its blocks is written: every write
/// of a block forgets the run holding it.
#[derive(Default)]
struct Ahead {
    start: u32,
    bytes: Vec<u8>,
    /// The block read directly last: a run is read only when the reads
    /// are sequential, so scattered reads (a fragmented or damaged file)
    /// cost a block each, not a run each.
    last: Option<u32>,
}

impl Ahead {
    /// Block `n`'s bytes, if the run holds it.
    fn block(&self, n: u32, bs: usize) -> Option<&[u8]> {
        let at = (n.checked_sub(self.start)? as usize).checked_mul(bs)?;
        self.bytes.get(at..at + bs)
    }

    fn forget(&mut self, n: u32, bs: usize) {
        if self.block(n, bs).is_some() {
            self.bytes.clear();
        }
    }
}

/// The device: moved through the CDSL program as a linear value.
pub struct Dev(Box<State>);

struct State {
    file: File,
    block_size: u32,
    /// Blocks in the image file.
    blocks: u64,
    cache: RefCell<Cache>,
}

impl Dev {
    /// Opens an image whose file-system block size is `block_size`.
    pub fn open(file: File, block_size: u32) -> std::io::Result<Dev> {
        let len = file.metadata()?.len();
        let cache =
            Cache { blocks: Blocks::default(), dirty: Default::default(), error: None, ahead: Ahead::default() };
        Ok(Dev(Box::new(State { file, block_size, blocks: len / u64::from(block_size), cache: RefCell::new(cache) })))
    }

    /// The first error recorded since the last call, if any.
    pub fn take_error(&self) -> Option<String> {
        self.0.cache.borrow_mut().error.take()
    }

    /// Writes every dirty block to the image and flushes the file.
    pub fn sync(&self) -> std::io::Result<()> {
        self.write_back()?;
        self.0.file.sync_all()
    }

    /// Writes every dirty block to the image file, where other readers of
    /// the image see it (not necessarily on disk yet).
    pub fn write_back(&self) -> std::io::Result<()> {
        let mut cache = self.0.cache.borrow_mut();
        let dirty = std::mem::take(&mut cache.dirty);
        let bs = u64::from(self.0.block_size);
        // Runs of consecutive blocks go out in one write each.
        let mut run: Vec<u8> = Vec::new();
        let mut run_start = 0u32;
        let mut next = None;
        for n in dirty {
            let Some(block) = cache.blocks.get(&n) else { continue };
            if next != Some(n) || run.len() >= WRITE_RUN {
                if !run.is_empty() {
                    self.0.file.write_all_at(&run, u64::from(run_start) * bs)?;
                }
                run.clear();
                run_start = n;
            }
            run.extend_from_slice(block);
            next = n.checked_add(1);
        }
        if !run.is_empty() {
            self.0.file.write_all_at(&run, u64::from(run_start) * bs)?;
        }
        Ok(())
    }

    fn fail(&self, message: String) {
        let mut cache = self.0.cache.borrow_mut();
        if cache.error.is_none() {
            cache.error = Some(message);
        }
    }

    /// Runs `f` on block `n`'s cached bytes, loading them first, or gives
    /// `None` (recording why) for a block outside the image.
    fn with_block<T>(&self, n: u32, fresh: bool, f: impl FnOnce(&mut [u8]) -> T) -> Option<T> {
        // The common case first: the block is cached, one lookup.
        if let Some(block) = self.0.cache.borrow_mut().blocks.get_mut(&n) {
            return Some(f(block));
        }
        if u64::from(n) >= self.0.blocks {
            self.fail(format!("block {n} is beyond the image ({} blocks)", self.0.blocks));
            return None;
        }
        if self.0.cache.borrow().blocks.len() >= CACHE_BLOCKS {
            if let Err(e) = self.write_back() {
                self.fail(format!("writing back the cache: {e}"));
                return None;
            }
            // The run read ahead may hold blocks that were dirty here and
            // stale in the file when it was read: it goes with the cache.
            let mut cache = self.0.cache.borrow_mut();
            cache.blocks.clear();
            cache.ahead.bytes.clear();
        }
        if fresh {
            let block = vec![0u8; self.0.block_size as usize].into_boxed_slice();
            self.0.cache.borrow_mut().blocks.insert(n, block);
        } else if let Err(e) = self.read_ahead(n) {
            self.fail(format!("reading block {n}: {e}"));
            return None;
        }
        let mut cache = self.0.cache.borrow_mut();
        let block = cache.blocks.get_mut(&n)?;
        Some(f(block))
    }

    /// Writes block `n` whole from `buf[src_off..]` straight to the file
    /// when the block is not cached (nothing newer to lose), and says
    /// whether it did. File data written in whole blocks then costs one
    /// copy, into the kernel's page cache, instead of a fresh cache block,
    /// a copy into it and another on write-back — the mirror of
    /// [`Dev::read_direct`].
    fn write_direct(&self, n: u32, buf: &[u8], src_off: u32) -> bool {
        let bs = self.0.block_size as usize;
        let Some(data) = buf.get(src_off as usize..).and_then(|rest| rest.get(..bs)) else { return false };
        if u64::from(n) >= self.0.blocks || self.0.cache.borrow().blocks.contains_key(&n) {
            return false;
        }
        self.0.cache.borrow_mut().ahead.forget(n, bs);
        if let Err(e) = self.0.file.write_all_at(data, u64::from(n) * bs as u64) {
            self.fail(format!("writing block {n}: {e}"));
        }
        true
    }

    /// Reads part of block `n` into `buf` when the block is not cached (so
    /// the file holds its latest contents), through a run of blocks read
    /// ahead; `false` when it is cached or the range does not fit, for the
    /// caller to go through the cache.
    fn read_direct(&self, n: u32, buf: &mut [u8], dst_off: u32, src_off: u32, len: u32) -> bool {
        let bs = self.0.block_size;
        let fits = src_off.checked_add(len).is_some_and(|end| end <= bs)
            && (dst_off as usize).checked_add(len as usize).is_some_and(|end| end <= buf.len());
        if !fits || u64::from(n) >= self.0.blocks || self.0.cache.borrow().blocks.contains_key(&n) {
            return false;
        }
        let dst = &mut buf[dst_off as usize..dst_off as usize + len as usize];
        let (bs, src_off) = (bs as usize, src_off as usize);
        let mut cache = self.0.cache.borrow_mut();
        let sequential = cache.ahead.last.is_some_and(|last| last.checked_add(1) == Some(n));
        cache.ahead.last = Some(n);
        if cache.ahead.block(n, bs).is_none() && !(sequential && self.read_run(&mut cache.ahead, n).is_ok()) {
            // Not sequential, or a run that cannot be read (it may hold bad
            // blocks besides this one): this block alone.
            cache.ahead.bytes.clear();
            drop(cache);
            if let Err(e) = self.0.file.read_exact_at(dst, u64::from(n) * bs as u64 + src_off as u64) {
                self.fail(format!("reading block {n}: {e}"));
            }
            return true;
        }
        if let Some(block) = cache.ahead.block(n, bs) {
            dst.copy_from_slice(&block[src_off..src_off + len as usize]);
        }
        true
    }

    /// Reads block `n` and the blocks after it (up to [`READ_AHEAD`], within
    /// the image) into `ahead`, reusing its buffer.
    fn read_run(&self, ahead: &mut Ahead, n: u32) -> std::io::Result<()> {
        let bs = self.0.block_size as usize;
        let count = (self.0.blocks - u64::from(n)).min(READ_AHEAD) as usize;
        ahead.bytes.resize(count * bs, 0);
        ahead.start = n;
        self.0.file.read_exact_at(&mut ahead.bytes, u64::from(n) * bs as u64)
    }

    /// Loads block `n` and the blocks after it (up to [`READ_AHEAD`], within
    /// the image) in one read; blocks already cached are kept as they are.
    fn read_ahead(&self, n: u32) -> std::io::Result<()> {
        let bs = self.0.block_size as usize;
        let count = (self.0.blocks - u64::from(n)).min(READ_AHEAD) as usize;
        let mut bytes = vec![0u8; count * bs];
        self.0.file.read_exact_at(&mut bytes, u64::from(n) * bs as u64)?;
        let mut cache = self.0.cache.borrow_mut();
        for (i, block) in bytes.chunks_exact(bs).enumerate() {
            cache.blocks.entry(n + i as u32).or_insert_with(|| block.into());
        }
        Ok(())
    }

    fn modify(&self, n: u32, fresh: bool, f: impl FnOnce(&mut [u8])) {
        if self.with_block(n, fresh, f).is_some() {
            let mut cache = self.0.cache.borrow_mut();
            cache.dirty.insert(n);
            cache.ahead.forget(n, self.0.block_size as usize);
        }
    }

    fn get(&self, n: u32, off: u32, width: usize) -> u32 {
        self.with_block(n, false, |b| le(b, off, width)).unwrap_or(0)
    }

    fn set(self, n: u32, off: u32, width: usize, value: u32) -> Dev {
        self.modify(n, false, |b| put_le(b, off, width, value));
        self
    }
}

fn range(len: usize, off: u32, n: usize) -> Option<std::ops::Range<usize>> {
    let start = off as usize;
    let end = start.checked_add(n)?;
    (end <= len).then_some(start..end)
}

fn le(bytes: &[u8], off: u32, width: usize) -> u32 {
    match range(bytes.len(), off, width) {
        Some(r) => bytes[r].iter().rev().fold(0, |acc, &b| acc << 8 | u32::from(b)),
        None => 0,
    }
}

fn put_le(bytes: &mut [u8], off: u32, width: usize, value: u32) {
    if let Some(r) = range(bytes.len(), off, width) {
        bytes[r].copy_from_slice(&value.to_le_bytes()[..width]);
    }
}

/// Copies `n` bytes from `src[src_off..]` to `dst[dst_off..]`, clipped to both.
fn copy(dst: &mut [u8], dst_off: u32, src: &[u8], src_off: u32, n: u32) {
    let (dst_off, src_off) = (dst_off as usize, src_off as usize);
    if dst_off >= dst.len() || src_off >= src.len() {
        return;
    }
    let n = (n as usize).min(dst.len() - dst_off).min(src.len() - src_off);
    dst[dst_off..dst_off + n].copy_from_slice(&src[src_off..src_off + n]);
}

// ------------------------------------------------------------ the CDSL functions

pub fn dev_block_size(dev: &Dev) -> u32 {
    dev.0.block_size
}

pub fn dev_le8((dev, n, off): (&Dev, u32, u32)) -> u32 {
    dev.get(n, off, 1)
}

pub fn dev_le16((dev, n, off): (&Dev, u32, u32)) -> u32 {
    dev.get(n, off, 2)
}

pub fn dev_le32((dev, n, off): (&Dev, u32, u32)) -> u32 {
    dev.get(n, off, 4)
}

pub fn dev_set8((dev, n, off, v): (Dev, u32, u32, u32)) -> Dev {
    dev.set(n, off, 1, v)
}

pub fn dev_set16((dev, n, off, v): (Dev, u32, u32, u32)) -> Dev {
    dev.set(n, off, 2, v)
}

pub fn dev_set32((dev, n, off, v): (Dev, u32, u32, u32)) -> Dev {
    dev.set(n, off, 4, v)
}

pub fn dev_first_clear((dev, n, from, to): (&Dev, u32, u32, u32)) -> u32 {
    dev.with_block(n, false, |bits| {
        let to_bit = to.min(bits.len() as u32 * 8);
        let mut bit = from;
        while bit < to_bit {
            let byte = bits[(bit / 8) as usize];
            if bit % 8 == 0 && byte == 0xFF {
                bit += 8;
                continue;
            }
            if byte & (1 << (bit % 8)) == 0 {
                return bit;
            }
            bit += 1;
        }
        to
    })
    .unwrap_or(to)
}

pub fn dev_read((dev, n): (Dev, u32)) -> (Dev, Vec<u8>) {
    let bytes = dev.with_block(n, false, |b| b.to_vec()).unwrap_or_else(|| vec![0; dev.0.block_size as usize]);
    (dev, bytes)
}

pub fn dev_read_into((dev, n, mut buf, dst_off, src_off, len): (&Dev, u32, Vec<u8>, u32, u32, u32)) -> Vec<u8> {
    // File data not in the cache is read straight into the buffer: caching
    // it would only push metadata out.
    if !dev.read_direct(n, &mut buf, dst_off, src_off, len) {
        dev.with_block(n, false, |b| copy(&mut buf, dst_off, b, src_off, len));
    }
    buf
}

pub fn dev_write((dev, n, buf): (Dev, u32, Vec<u8>)) -> Dev {
    dev.modify(n, true, |b| copy(b, 0, &buf, 0, buf.len() as u32));
    dev
}

pub fn dev_write_from((dev, n, buf, dst_off, src_off, len): (Dev, u32, &[u8], u32, u32, u32)) -> Dev {
    let whole = dst_off == 0 && len == dev.0.block_size;
    if !(whole && dev.write_direct(n, buf, src_off)) {
        dev.modify(n, whole, |b| copy(b, dst_off, buf, src_off, len));
    }
    dev
}

pub fn dev_zero((dev, n, off, len): (Dev, u32, u32, u32)) -> Dev {
    let whole = off == 0 && len >= dev.0.block_size;
    dev.modify(n, whole, |b| {
        if let Some(r) = range(b.len(), off, (len as usize).min(b.len().saturating_sub(off as usize))) {
            b[r].fill(0);
        }
    });
    dev
}

pub fn buf_new((dev, len): (Dev, u32)) -> (Dev, Vec<u8>) {
    (dev, vec![0; len.min(MAX_BUF) as usize])
}

pub fn buf_free((dev, _buf): (Dev, Vec<u8>)) -> Dev {
    dev
}

pub fn le8((buf, off): (&[u8], u32)) -> u32 {
    le(buf, off, 1)
}

pub fn le16((buf, off): (&[u8], u32)) -> u32 {
    le(buf, off, 2)
}

pub fn le32((buf, off): (&[u8], u32)) -> u32 {
    le(buf, off, 4)
}

pub fn set8((mut buf, off, v): (Vec<u8>, u32, u32)) -> Vec<u8> {
    put_le(&mut buf, off, 1, v);
    buf
}

pub fn set16((mut buf, off, v): (Vec<u8>, u32, u32)) -> Vec<u8> {
    put_le(&mut buf, off, 2, v);
    buf
}

pub fn set32((mut buf, off, v): (Vec<u8>, u32, u32)) -> Vec<u8> {
    put_le(&mut buf, off, 4, v);
    buf
}

pub fn buf_eq((a, aoff, b, boff, n): (&[u8], u32, &[u8], u32, u32)) -> bool {
    match (range(a.len(), aoff, n as usize), range(b.len(), boff, n as usize)) {
        // Directory scans compare a name with every entry of its length,
        // and names in one directory tend to differ at the end (`file-01`,
        // `file-02`): the last byte first rejects most without a memcmp.
        (Some(ra), Some(rb)) => a[ra.clone()].last() == b[rb.clone()].last() && a[ra] == b[rb],
        _ => false,
    }
}

pub fn low32(v: u64) -> u32 {
    v as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    const BS: u32 = 1024;

    /// A device over a zeroed scratch image of `blocks` blocks.
    fn device(name: &str, blocks: u64) -> Dev {
        let path = std::env::temp_dir().join(format!("cdsl-device-{}-{name}.img", std::process::id()));
        let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path);
        let file = file.expect("scratch image");
        file.set_len(blocks * u64::from(BS)).expect("sized");
        let _ = std::fs::remove_file(&path);
        Dev::open(file, BS).expect("opens")
    }

    fn read_word(dev: &Dev, n: u32) -> u32 {
        let bytes = dev_read_into((dev, n, vec![0; 4], 0, 0, 4));
        u32::from_le_bytes(bytes.try_into().expect("four bytes"))
    }

    /// A run read ahead while a block was dirty in the cache holds the
    /// file's stale copy: once the cache is written back and emptied, the
    /// block must come from the file again, not from that run.
    #[test]
    fn a_run_read_ahead_does_not_outlive_the_cache() {
        let dev = dev_set32((device("evict", 40_000), 5, 0, 0xDEAD_BEEF));
        assert_eq!(read_word(&dev, 3), 0);
        assert_eq!(read_word(&dev, 4), 0, "sequential: block 4 read with a run, 5 in it");
        assert!(dev.0.cache.borrow().ahead.block(5, BS as usize).is_some(), "the run holds block 5");
        for n in (100..100 + CACHE_BLOCKS as u32 + 64).step_by(READ_AHEAD as usize) {
            dev_le32((&dev, n, 0));
        }
        assert!(!dev.0.cache.borrow().blocks.contains_key(&5), "the cache was emptied");
        assert_eq!(read_word(&dev, 5), 0xDEAD_BEEF);
        assert_eq!(dev.take_error(), None);
    }

    /// Blocks written while a run holds them are read back as written,
    /// whether written whole (straight to the file) or in part (cached).
    #[test]
    fn writes_are_seen_through_a_run_read_ahead() {
        let dev = device("writes", 64);
        assert_eq!(read_word(&dev, 0), 0);
        assert_eq!(read_word(&dev, 1), 0);
        assert!(dev.0.cache.borrow().ahead.block(3, BS as usize).is_some(), "a run holds blocks 1 to 32");
        let block = vec![7u8; BS as usize];
        let dev = dev_write_from((dev, 2, &block, 0, 0, BS));
        let dev = dev_write_from((dev, 3, &block, 0, 0, 4));
        assert_eq!(read_word(&dev, 2), 0x0707_0707, "a whole block written straight to the file");
        assert_eq!(read_word(&dev, 3), 0x0707_0707, "part of a block, through the cache");
        assert_eq!(dev.take_error(), None);
    }
}
