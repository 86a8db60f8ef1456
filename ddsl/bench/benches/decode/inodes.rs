//! Every inode of the table, read each way. The checksum is the sum of
//! `i_mode + i_size + i_links_count` over the inodes read.
//!
//! Every decoder's result is handed to `black_box` whole, so each must
//! build every field in memory (as a caller keeping the struct would); the
//! view, which builds nothing, folds every field into a second sum instead.

use super::{derives, hand, Case, INODE};
use crate::ext2::{Inode, InodeView};
use binrw::BinRead;
use deku::DekuContainerRead;
use std::hint::black_box;
use std::io::Cursor;

fn key(mode: u16, size: u32, links: u16) -> u64 {
    u64::from(mode) + u64::from(size) + u64::from(links)
}

/// Sums `key` over the inodes `read` decodes, each passed to `black_box`.
fn each_inode<T>(table: &[u8], read: impl Fn(&[u8]) -> Option<T>, key_of: impl Fn(&T) -> u64) -> Option<u64> {
    let mut sum = 0u64;
    for b in black_box(table).chunks_exact(INODE) {
        if let Some(inode) = read(b) {
            sum = sum.wrapping_add(key_of(&inode));
            black_box(&inode);
        }
    }
    Some(sum)
}

pub fn cases(table: &[u8]) -> Vec<Case<'_>> {
    let mut copy = vec![0u8; table.len()];
    vec![
        Case::new("memcpy", move |r| {
            copy[r.clone()].copy_from_slice(black_box(&table[r]));
            black_box(&copy);
            None
        }),
        Case::new("hand-written from_le_bytes", move |r| {
            each_inode(&table[r], hand::inode, |i| key(i.i_mode, i.i_size, i.i_links_count))
        }),
        Case::new("hand-written, flat struct", move |r| {
            each_inode(&table[r], hand::flat_inode, |i| key(i.i_mode, i.i_size, i.i_links_count))
        }),
        Case::new("generated view (every field)", move |r| view(&table[r])),
        Case::new("generated owned decode", move |r| {
            each_inode(&table[r], |b| Inode::decode(b).ok(), |i| key(i.i_mode, i.i_size, i.i_links_count))
        }),
        // binrw's documented entry point: `BinRead::read` (the struct says
        // `#[br(little)]`) on a `Cursor` over the bytes.
        Case::new("binrw derive", move |r| {
            each_inode(
                &table[r],
                |b| derives::BinrwInodeSelect::read(&mut Cursor::new(b)).ok(),
                |i| key(i.i_mode, i.i_size, i.i_links_count),
            )
        }),
        // deku's: `DekuContainerRead::from_bytes((bytes, bit offset))`.
        Case::new("deku derive", move |r| {
            each_inode(
                &table[r],
                |b| derives::DekuInodeSelect::from_bytes((b, 0)).ok().map(|(_, i)| i),
                |i| key(i.i_mode, i.i_size, i.i_links_count),
            )
        }),
        Case::new("binrw derive, flat struct", move |r| {
            each_inode(
                &table[r],
                |b| derives::BinrwInode::read(&mut Cursor::new(b)).ok(),
                |i| key(i.i_mode, i.i_size, i.i_links_count),
            )
        }),
        Case::new("deku derive, flat struct", move |r| {
            each_inode(
                &table[r],
                |b| derives::DekuInode::from_bytes((b, 0)).ok().map(|(_, i)| i),
                |i| key(i.i_mode, i.i_size, i.i_links_count),
            )
        }),
    ]
}

/// Every field of every inode through the view.
fn view(table: &[u8]) -> Option<u64> {
    let mut sum = 0u64;
    let mut rest = 0u64;
    for b in black_box(table).chunks_exact(INODE) {
        let Ok(v) = InodeView::new(b) else { continue };
        sum = sum.wrapping_add(key(v.i_mode(), v.i_size(), v.i_links_count()));
        let times = u64::from(v.i_atime()) ^ u64::from(v.i_ctime()) ^ u64::from(v.i_mtime()) ^ u64::from(v.i_dtime());
        let ids = u64::from(v.i_uid()) ^ u64::from(v.i_gid()) ^ u64::from(v.i_blocks()) ^ u64::from(v.i_flags());
        let more = u64::from(v.i_osd1()) ^ u64::from(v.i_generation()) ^ u64::from(v.i_file_acl());
        let last = u64::from(v.i_dir_acl()) ^ u64::from(v.i_faddr()) ^ u64::from(v.i_osd2()[0]);
        let block =
            v.i_block_bytes().chunks_exact(4).fold(0u32, |a, w| a ^ u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
        rest = rest.wrapping_add(times ^ ids ^ more ^ last ^ u64::from(block));
    }
    black_box(rest);
    Some(sum)
}
