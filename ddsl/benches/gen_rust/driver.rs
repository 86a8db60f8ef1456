// Compiled with `rustc -O` by benches/gen_rust.rs next to the module
// generated from ext2.ddsl (`ext2.rs`). Not a cargo target.
//
// Reads every 128-byte inode of a 64 MiB inode table four ways — memcpy of
// the bytes, the generated zero-copy view, the generated owned decode and
// hand-written `from_le_bytes` code — and prints ns per inode and ratios.
#![forbid(unsafe_code)]

mod ext2 {
    include!("ext2.rs");
}

use ext2::*;
use std::hint::black_box;
use std::time::{Duration, Instant};

const INODE: usize = 128;
const COUNT: usize = 64 << 20 >> 7;

/// A table of plausible inodes: files, directories, symlinks, free ones.
fn table() -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut bytes = vec![0u8; COUNT * INODE];
    for inode in bytes.chunks_exact_mut(INODE) {
        for chunk in inode.chunks_exact_mut(8) {
            chunk.copy_from_slice(&next().to_le_bytes());
        }
        let kind = [0x8u16, 0x4, 0xA, 0x0][(next() % 4) as usize];
        inode[0..2].copy_from_slice(&(kind << 12 | 0o644).to_le_bytes());
        inode[26..28].copy_from_slice(&(next() % 3).to_le_bytes()[..2]);
    }
    bytes
}

/// The hand-written decoder the generated one is measured against.
#[derive(Debug, Default)]
#[allow(dead_code)] // read through black_box
struct Hand {
    i_mode: u16,
    i_uid: u16,
    i_size: u32,
    times: [u32; 4],
    i_gid: u16,
    i_links_count: u16,
    i_blocks: u32,
    i_flags: u32,
    i_osd1: u32,
    i_block: [u32; 15],
    i_generation: u32,
    i_file_acl: u32,
    i_dir_acl: u32,
    i_faddr: u32,
    i_osd2: [u8; 12],
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn hand(b: &[u8]) -> Option<Hand> {
    let b = b.get(..INODE)?;
    let mut h = Hand {
        i_mode: u16_at(b, 0),
        i_uid: u16_at(b, 2),
        i_size: u32_at(b, 4),
        times: [u32_at(b, 8), u32_at(b, 12), u32_at(b, 16), u32_at(b, 20)],
        i_gid: u16_at(b, 24),
        i_links_count: u16_at(b, 26),
        i_blocks: u32_at(b, 28),
        i_flags: u32_at(b, 32),
        i_osd1: u32_at(b, 36),
        i_generation: u32_at(b, 100),
        i_file_acl: u32_at(b, 104),
        i_dir_acl: u32_at(b, 108),
        i_faddr: u32_at(b, 112),
        ..Hand::default()
    };
    for (i, slot) in h.i_block.iter_mut().enumerate() {
        *slot = u32_at(b, 40 + 4 * i);
    }
    h.i_osd2.copy_from_slice(&b[116..128]);
    Some(h)
}

fn best(mut f: impl FnMut() -> u64) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        black_box(f());
        best = best.min(start.elapsed());
    }
    best
}

fn main() {
    let table = table();
    let mut copy = vec![0u8; table.len()];
    let memcpy = best(|| {
        copy.copy_from_slice(black_box(&table));
        u64::from(copy[copy.len() - 1])
    });
    let view = best(|| {
        let mut sum = 0u64;
        for b in black_box(&table).chunks_exact(INODE) {
            let Ok(v) = InodeView::new(b) else { continue };
            sum = sum.wrapping_add(u64::from(v.i_size()) + u64::from(v.i_links_count()) + u64::from(v.i_mode_kind()));
            sum = sum.wrapping_add(u64::from(v.i_blocks()) + u64::from(v.i_block_bytes()[0]));
        }
        sum
    });
    let owned = best(|| {
        let mut sum = 0u64;
        for b in black_box(&table).chunks_exact(INODE) {
            if let Ok(inode) = Inode::decode(b) {
                sum = sum.wrapping_add(u64::from(inode.i_size) + u64::from(inode.i_links_count));
                black_box(&inode);
            }
        }
        sum
    });
    let handwritten = best(|| {
        let mut sum = 0u64;
        for b in black_box(&table).chunks_exact(INODE) {
            if let Some(h) = hand(b) {
                sum = sum.wrapping_add(u64::from(h.i_size) + u64::from(h.i_links_count));
                black_box(&h);
            }
        }
        sum
    });
    let per = |d: Duration| d.as_secs_f64() * 1e9 / COUNT as f64;
    println!("ddsl generated Rust, {COUNT} inodes of {INODE} bytes (64 MiB), best of 5:");
    println!("  memcpy of the table       {:7.2} ns/inode", per(memcpy));
    println!("  hand-written from_le_bytes {:6.2} ns/inode", per(handwritten));
    println!("  generated view (5 fields) {:7.2} ns/inode", per(view));
    println!("  generated owned decode    {:7.2} ns/inode", per(owned));
    println!("  owned decode / memcpy       {:5.2}x", per(owned) / per(memcpy));
    println!("  owned decode / hand-written {:5.2}x", per(owned) / per(handwritten));
    println!("  view / memcpy               {:5.2}x", per(view) / per(memcpy));
}
