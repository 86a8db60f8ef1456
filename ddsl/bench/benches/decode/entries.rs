//! Every directory entry of the table, read each way: each block from its
//! start, stepping by `rec_len`. The checksum is the sum of
//! `inode + rec_len + name length` over the entries read.

use super::{derives, hand, Case, BLOCK};
use crate::ext2::{DirEntry, DirEntryView};
use binrw::BinRead;
use deku::DekuContainerRead;
use std::hint::black_box;
use std::io::Cursor;

fn key(inode: u32, rec_len: u16, name_len: usize) -> u64 {
    u64::from(inode) + u64::from(rec_len) + name_len as u64
}

/// Reads the entries of every block with `read`, which returns an entry's
/// checksum and `rec_len` (`None` stops the block).
fn each_entry(table: &[u8], mut read: impl FnMut(&[u8]) -> Option<(u64, usize)>) -> u64 {
    let mut sum = 0u64;
    for block in black_box(table).chunks_exact(BLOCK) {
        let mut at = 0;
        while let Some(rest) = block.get(at..).filter(|r| !r.is_empty()) {
            let Some((key, rec_len)) = read(rest) else { break };
            if rec_len == 0 {
                break;
            }
            sum = sum.wrapping_add(key);
            at += rec_len;
        }
    }
    sum
}

/// The cases, and the number of entries in the table.
pub fn cases(table: &[u8]) -> (Vec<Case<'_>>, usize) {
    let count = each_entry(table, |b| hand::dir_entry(b).map(|e| (1, usize::from(e.rec_len)))) as usize;
    let mut copy = vec![0u8; table.len()];
    let cases = vec![
        Case::new("memcpy", move |r| {
            copy[r.clone()].copy_from_slice(black_box(&table[r]));
            black_box(&copy);
            None
        }),
        Case::new("hand-written from_le_bytes", move |r| {
            Some(each_entry(&table[r], |b| {
                let e = hand::dir_entry(b)?;
                let out = (key(e.inode, e.rec_len, e.name.len()), usize::from(e.rec_len));
                black_box(e);
                Some(out)
            }))
        }),
        Case::new("generated view (every field)", move |r| {
            Some(each_entry(&table[r], |b| {
                let v = DirEntryView::new(b).ok()?;
                let name = v.name().ok()?;
                black_box((v.file_type(), name));
                Some((key(v.inode(), v.rec_len(), name.len()), usize::from(v.rec_len())))
            }))
        }),
        Case::new("generated owned decode", move |r| {
            Some(each_entry(&table[r], |b| {
                let e = DirEntry::decode(b).ok()?;
                let out = (key(e.inode, e.rec_len, e.name.len()), usize::from(e.rec_len));
                black_box(e);
                Some(out)
            }))
        }),
        Case::new("binrw derive", move |r| {
            Some(each_entry(&table[r], |b| {
                let e = derives::BinrwDirEntry::read(&mut Cursor::new(b)).ok()?;
                let out = (key(e.inode, e.rec_len, e.name.len()), usize::from(e.rec_len));
                black_box(e);
                Some(out)
            }))
        }),
        Case::new("deku derive", move |r| {
            Some(each_entry(&table[r], |b| {
                let (_, e) = derives::DekuDirEntry::from_bytes((b, 0)).ok()?;
                let out = (key(e.inode, e.rec_len, e.name.len()), usize::from(e.rec_len));
                black_box(e);
                Some(out)
            }))
        }),
    ];
    (cases, count)
}
