//! Hand-written `from_le_bytes` decoders, the reference the generated code
//! is measured against. `inode` and `dir_entry` build the very types the
//! generator emits (the `select` on the kind included), so the ratio is the
//! generator's overhead alone; `FlatInode` is the plain struct the derive
//! libraries read, decoded by hand for comparison.
//!
//! Every function is `#[inline]`, as the generated decoders are: the
//! benchmark is one crate split into codegen units, and a plain `fn` of
//! another module may land in another unit, where it is called out of line
//! and returns its struct through memory. Without it this code took 11 ns
//! per flat inode instead of 3 (from cache), and was no fair reference.

use crate::ext2::{BlockMap, Bytes, DirEntry, DirMap, Inode, InodeIBlock, InodeIBlockLink};

/// The `M` bytes at `at` of an array; `at` is a constant wherever this is
/// called, so the range check folds away.
#[inline]
fn bytes_at<const N: usize, const M: usize>(b: &[u8; N], at: usize) -> [u8; M] {
    let mut out = [0u8; M];
    out.copy_from_slice(&b[at..at + M]);
    out
}

#[inline]
fn u16_at<const N: usize>(b: &[u8; N], at: usize) -> u16 {
    u16::from_le_bytes(bytes_at(b, at))
}

#[inline]
fn u32_at<const N: usize>(b: &[u8; N], at: usize) -> u32 {
    u32::from_le_bytes(bytes_at(b, at))
}

/// The 60 bytes of `i_block` as a block map.
#[inline]
fn block_map(b: &[u8; 60]) -> BlockMap {
    BlockMap {
        direct: std::array::from_fn(|i| u32_at(b, 4 * i)),
        indirect: u32_at(b, 48),
        double_indirect: u32_at(b, 52),
        triple_indirect: u32_at(b, 56),
    }
}

#[inline]
fn dir_map(b: &[u8; 60]) -> DirMap {
    DirMap {
        direct: std::array::from_fn(|i| u32_at(b, 4 * i)),
        indirect: u32_at(b, 48),
        double_indirect: u32_at(b, 52),
        triple_indirect: u32_at(b, 56),
    }
}

/// An ext2 inode into the generated `Inode`.
#[inline]
pub fn inode(bytes: &[u8]) -> Option<Inode> {
    let b: &[u8; 128] = bytes.get(..128)?.try_into().ok()?;
    let i_mode = u16_at(b, 0);
    let i_links_count = u16_at(b, 26);
    let i_blocks = u32_at(b, 28);
    let kind = if i_links_count == 0 { 0 } else { i_mode >> 12 };
    let block: [u8; 60] = bytes_at(b, 40);
    let i_block = match kind {
        0 => InodeIBlock::Unused(block),
        0x4 => InodeIBlock::Dir(dir_map(&block)),
        0xA if i_blocks == 0 => InodeIBlock::Link(InodeIBlockLink::Fast(block)),
        0xA => InodeIBlock::Link(InodeIBlockLink::Slow(block_map(&block))),
        _ => InodeIBlock::File(block_map(&block)),
    };
    Some(Inode {
        i_mode,
        i_uid: u16_at(b, 2),
        i_size: u32_at(b, 4),
        i_atime: u32_at(b, 8),
        i_ctime: u32_at(b, 12),
        i_mtime: u32_at(b, 16),
        i_dtime: u32_at(b, 20),
        i_gid: u16_at(b, 24),
        i_links_count,
        i_blocks,
        i_flags: u32_at(b, 32),
        i_osd1: u32_at(b, 36),
        i_block,
        i_generation: u32_at(b, 100),
        i_file_acl: u32_at(b, 104),
        i_dir_acl: u32_at(b, 108),
        i_faddr: u32_at(b, 112),
        i_osd2: bytes_at(b, 116),
    })
}

/// The inode as one plain struct, `i_block` as 15 words whatever the kind.
#[derive(Debug)]
#[allow(dead_code)] // read through black_box
pub struct FlatInode {
    pub i_mode: u16,
    pub i_uid: u16,
    pub i_size: u32,
    pub times: [u32; 4],
    pub i_gid: u16,
    pub i_links_count: u16,
    pub i_blocks: u32,
    pub i_flags: u32,
    pub i_osd1: u32,
    pub i_block: [u32; 15],
    pub i_generation: u32,
    pub i_file_acl: u32,
    pub i_dir_acl: u32,
    pub i_faddr: u32,
    pub i_osd2: [u8; 12],
}

#[inline]
pub fn flat_inode(bytes: &[u8]) -> Option<FlatInode> {
    let b: &[u8; 128] = bytes.get(..128)?.try_into().ok()?;
    Some(FlatInode {
        i_mode: u16_at(b, 0),
        i_uid: u16_at(b, 2),
        i_size: u32_at(b, 4),
        times: [u32_at(b, 8), u32_at(b, 12), u32_at(b, 16), u32_at(b, 20)],
        i_gid: u16_at(b, 24),
        i_links_count: u16_at(b, 26),
        i_blocks: u32_at(b, 28),
        i_flags: u32_at(b, 32),
        i_osd1: u32_at(b, 36),
        i_block: std::array::from_fn(|i| u32_at(b, 40 + 4 * i)),
        i_generation: u32_at(b, 100),
        i_file_acl: u32_at(b, 104),
        i_dir_acl: u32_at(b, 108),
        i_faddr: u32_at(b, 112),
        i_osd2: bytes_at(b, 116),
    })
}

/// A directory entry at the start of `bytes` (the rest of its block), with
/// the checks a careful hand-written reader makes: the entry fits its
/// `rec_len`, which is a multiple of 4 inside the block.
#[inline]
pub fn dir_entry(bytes: &[u8]) -> Option<DirEntry> {
    let h: &[u8; 8] = bytes.get(..8)?.try_into().ok()?;
    let rec_len = u16_at(h, 4);
    let name_len = usize::from(h[6]);
    let size = usize::from(rec_len);
    if size < 8 + name_len || size % 4 != 0 || size > bytes.len() {
        return None;
    }
    Some(DirEntry { inode: u32_at(h, 0), rec_len, file_type: h[7], name: Bytes::copy_from(bytes, 8, name_len)? })
}
