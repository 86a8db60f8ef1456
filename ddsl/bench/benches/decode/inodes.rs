//! Every inode of the table, read each way. The checksum is the sum of
//! `i_mode + i_size + i_links_count` over the inodes read.

use super::{best, derives, hand, Row, INODE};
use crate::ext2::{Inode, InodeView};
use binrw::BinRead;
use deku::DekuContainerRead;
use std::hint::black_box;
use std::io::Cursor;

fn key(mode: u16, size: u32, links: u16) -> u64 {
    u64::from(mode) + u64::from(size) + u64::from(links)
}

pub fn rows(table: &[u8]) -> Vec<Row> {
    let mut copy = vec![0u8; table.len()];
    let (memcpy, _) = best(|| {
        copy.copy_from_slice(black_box(table));
        u64::from(copy[copy.len() - 1])
    });
    let (view, view_sum) = best(|| {
        let mut sum = 0u64;
        let mut rest = 0u64;
        for b in black_box(table).chunks_exact(INODE) {
            let Ok(v) = InodeView::new(b) else { continue };
            sum = sum.wrapping_add(key(v.i_mode(), v.i_size(), v.i_links_count()));
            let times =
                u64::from(v.i_atime()) ^ u64::from(v.i_ctime()) ^ u64::from(v.i_mtime()) ^ u64::from(v.i_dtime());
            let ids = u64::from(v.i_uid()) ^ u64::from(v.i_gid()) ^ u64::from(v.i_blocks()) ^ u64::from(v.i_flags());
            let more = u64::from(v.i_osd1()) ^ u64::from(v.i_generation()) ^ u64::from(v.i_file_acl());
            let last = u64::from(v.i_dir_acl()) ^ u64::from(v.i_faddr()) ^ u64::from(v.i_osd2()[0]);
            let block =
                v.i_block_bytes().chunks_exact(4).fold(0u32, |a, w| a ^ u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
            rest = rest.wrapping_add(times ^ ids ^ more ^ last ^ u64::from(block));
        }
        black_box(rest);
        sum
    });
    let (owned, owned_sum) = best(|| {
        let mut sum = 0u64;
        for b in black_box(table).chunks_exact(INODE) {
            if let Ok(inode) = Inode::decode(b) {
                sum = sum.wrapping_add(key(inode.i_mode, inode.i_size, inode.i_links_count));
                black_box(&inode);
            }
        }
        sum
    });
    let (hand_time, hand_sum) = best(|| {
        let mut sum = 0u64;
        for b in black_box(table).chunks_exact(INODE) {
            if let Some(inode) = hand::inode(b) {
                sum = sum.wrapping_add(key(inode.i_mode, inode.i_size, inode.i_links_count));
                black_box(&inode);
            }
        }
        sum
    });
    let (flat, flat_sum) = best(|| {
        let mut sum = 0u64;
        for b in black_box(table).chunks_exact(INODE) {
            if let Some(inode) = hand::flat_inode(b) {
                sum = sum.wrapping_add(key(inode.i_mode, inode.i_size, inode.i_links_count));
                black_box(&inode);
            }
        }
        sum
    });
    let (binrw, binrw_sum) = best(|| {
        let mut sum = 0u64;
        for b in black_box(table).chunks_exact(INODE) {
            if let Ok(inode) = derives::BinrwInode::read(&mut Cursor::new(b)) {
                sum = sum.wrapping_add(key(inode.i_mode, inode.i_size, inode.i_links_count));
                black_box(&inode);
            }
        }
        sum
    });
    let (deku, deku_sum) = best(|| {
        let mut sum = 0u64;
        for b in black_box(table).chunks_exact(INODE) {
            if let Ok((_, inode)) = derives::DekuInode::from_bytes((b, 0)) {
                sum = sum.wrapping_add(key(inode.i_mode, inode.i_size, inode.i_links_count));
                black_box(&inode);
            }
        }
        sum
    });
    vec![
        Row { name: "memcpy", time: memcpy, sum: None },
        Row { name: "hand-written from_le_bytes", time: hand_time, sum: Some(hand_sum) },
        Row { name: "hand-written, flat struct", time: flat, sum: Some(flat_sum) },
        Row { name: "generated view (every field)", time: view, sum: Some(view_sum) },
        Row { name: "generated owned decode", time: owned, sum: Some(owned_sum) },
        Row { name: "binrw derive", time: binrw, sum: Some(binrw_sum) },
        Row { name: "deku derive", time: deku, sum: Some(deku_sum) },
    ]
}
