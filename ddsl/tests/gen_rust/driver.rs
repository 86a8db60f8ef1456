// Compiled by tests/gen_rust.rs with rustc next to the module generated from
// ext2.ddsl (`ext2.rs`). Not a cargo target.
//
//   driver image IMAGE   print every field of the superblock, the group
//                        descriptors, every inode and the root directory's
//                        entries, checking encode(decode(bytes)) == bytes
//   driver random FILE   FILE holds byte strings (u32 length + bytes): decode
//                        each as every struct (no panic), and round-trip
//                        values decoded from fixed-up copies
#![forbid(unsafe_code)]

mod ext2 {
    include!("ext2.rs");
}

use ext2::*;

fn print_fields(label: &str, fields: Vec<(String, FieldValue)>) {
    for (path, value) in fields {
        match value {
            FieldValue::Int(n) => println!("{label}.{path} = {n}"),
            FieldValue::Bytes(b) => println!("{label}.{path} = {b:?}"),
            FieldValue::Ints(v) => println!("{label}.{path} = {v:?}"),
        }
    }
}

/// encode(decode(bytes)) writes exactly the described bytes, equal to the
/// originals, and decodes back to the same value.
macro_rules! round_trip {
    ($ty:ident, $value:expr, $bytes:expr, $label:expr) => {{
        let value: &$ty = $value;
        let bytes: &[u8] = $bytes;
        let mut zeros = vec![0u8; bytes.len()];
        let mut ones = vec![0xffu8; bytes.len()];
        value.encode(&mut zeros).unwrap_or_else(|e| panic!("{}: encode failed: {e}", $label));
        value.encode(&mut ones).unwrap_or_else(|e| panic!("{}: encode failed: {e}", $label));
        let mut written = 0usize;
        for i in 0..bytes.len() {
            if zeros[i] == ones[i] {
                written += 1;
                assert_eq!(zeros[i], bytes[i], "{}: byte {i} differs after encode", $label);
            }
        }
        assert_eq!($ty::decode(&zeros).as_ref(), Ok(value), "{}: decode(encode(x)) != x", $label);
        written
    }};
}

fn get(image: &[u8], at: usize, len: usize) -> &[u8] {
    image.get(at..at + len).unwrap_or_else(|| panic!("{len} bytes at {at} are outside the image"))
}

fn image(path: &str) {
    let image = std::fs::read(path).expect("image");
    let sb_bytes = get(&image, 1024, 1024);
    let sb = Superblock::decode(sb_bytes).unwrap_or_else(|e| panic!("superblock: {e}"));
    let view = SuperblockView::new(sb_bytes).expect("view");
    assert_eq!(view.s_inodes_count(), sb.s_inodes_count);
    assert_eq!(view.s_magic(), Superblock::S_MAGIC);
    assert_eq!(view.s_feature_ro_compat_sparse_super(), sb.s_feature_ro_compat_sparse_super());
    print_fields("sb", sb.fields());
    let mut bad = sb_bytes.to_vec();
    bad[96] |= 0x10;
    let err = Superblock::decode(&bad).expect_err("meta_bg");
    assert_eq!(err.to_string(), "s_feature_incompat (byte 96): unsupported feature meta_bg");
    let mut unsupported = sb.clone();
    unsupported.s_feature_incompat |= 0x1;
    let err = unsupported.encode(&mut vec![0u8; 1024]).expect_err("compression");
    assert_eq!(err.to_string(), "s_feature_incompat (byte 96): unsupported feature compression");
    bad[56] = 0x34;
    let err = Superblock::decode(&bad).expect_err("bad magic");
    assert_eq!(err.to_string(), "s_magic (byte 56): bad magic 0xef34, expected 0xef53");
    let mut written = round_trip!(Superblock, &sb, sb_bytes, "sb");
    let block_size = 1024usize << sb.s_log_block_size;
    let groups = (sb.s_blocks_count - sb.s_first_data_block).div_ceil(sb.s_blocks_per_group) as usize;
    let gdt = (sb.s_first_data_block as usize + 1) * block_size;
    let inode_size = usize::from(sb.s_inode_size);
    let mut root_dir = None;
    for g in 0..groups {
        let bytes = get(&image, gdt + g * 32, 32);
        let desc = GroupDesc::decode(bytes).unwrap_or_else(|e| panic!("gdt[{g}]: {e}"));
        assert_eq!(GroupDescView::new(bytes).expect("view").bg_inode_table(), desc.bg_inode_table);
        print_fields(&format!("gdt[{g}]"), desc.fields());
        written += round_trip!(GroupDesc, &desc, bytes, format!("gdt[{g}]"));
        for i in 0..sb.s_inodes_per_group as usize {
            let n = g * sb.s_inodes_per_group as usize + i + 1;
            let bytes = get(&image, desc.bg_inode_table as usize * block_size + i * inode_size, inode_size);
            let inode = Inode::decode(bytes).unwrap_or_else(|e| panic!("inode[{n}]: {e}"));
            let view = InodeView::new(bytes).expect("view");
            assert_eq!(view.i_mode_kind(), inode.i_mode_kind());
            assert_eq!(view.i_block_arm(), Ok(inode.i_block.arm()));
            print_fields(&format!("inode[{n}]"), inode.fields());
            written += round_trip!(Inode, &inode, bytes, format!("inode[{n}]"));
            if n == 2 {
                if let InodeIBlock::Dir(map) = &inode.i_block {
                    root_dir = Some(map.direct[0] as usize * block_size);
                    // The arm must be the one the selector (i_mode) chooses.
                    let mut wrong = inode.clone();
                    wrong.i_block = InodeIBlock::File(BlockMap { direct: map.direct, indirect: 0, double_indirect: 0, triple_indirect: 0 });
                    let err = wrong.encode(&mut vec![0u8; 128]).expect_err("wrong arm");
                    assert_eq!(err.to_string(), "i_block (byte 40): holds arm `file`, but the selector chooses `dir`");
                    let err = inode.encode(&mut [0u8; 100]).expect_err("short buffer");
                    assert_eq!(err.to_string(), "Inode (byte 0): needs 128 bytes, the buffer has 100");
                    let err = Inode::decode(&bytes[..100]).expect_err("short slice");
                    assert_eq!(err.to_string(), "Inode (byte 0): needs 128 bytes, the slice has 100");
                }
            }
        }
    }
    let block = root_dir.expect("the root inode is a directory");
    let mut at = block;
    let mut k = 0;
    while at < block + block_size {
        let bytes = get(&image, at, block + block_size - at);
        let entry = DirEntry::decode(bytes).unwrap_or_else(|e| panic!("dir[{k}]: {e}"));
        assert_eq!(DirEntryView::new(bytes).expect("view").name(), Ok(&entry.name[..]));
        print_fields(&format!("dir[{k}]"), entry.fields());
        written += round_trip!(DirEntry, &entry, &bytes[..usize::from(entry.rec_len)], format!("dir[{k}]"));
        at += usize::from(entry.rec_len);
        k += 1;
    }
    dir_block(get(&image, block, block_size), k);
    names();
    println!("written {written}");
}

/// `Bytes`, a name's type: the same value whether held in place or on the
/// heap, and however it was made.
fn names() {
    let long: Vec<u8> = (0..200u8).collect();
    for n in [0, 1, Bytes::INLINE - 1, Bytes::INLINE, Bytes::INLINE + 1, 200] {
        let want = &long[..n];
        let made = [Bytes::from(want), Bytes::from(want.to_vec()), Bytes::copy_from(&long, 0, n).expect("in range")];
        // At the end of the slice, with no `INLINE` bytes after the name.
        let at_end = Bytes::copy_from(want, 0, n).expect("in range");
        for b in made.iter().chain([&at_end]) {
            assert_eq!(&b[..], want);
            assert_eq!(b, &Bytes::from(want));
            assert_eq!(*b, *want);
            assert_eq!(Vec::from(b.clone()), want);
            assert_eq!(format!("{b:?}"), format!("{want:?}"));
        }
        let entry = DirEntry { inode: 2, rec_len: (8 + n as u16).next_multiple_of(4), file_type: 1, name: made[0].clone() };
        let mut buf = vec![0u8; usize::from(entry.rec_len)];
        entry.encode(&mut buf).expect("encodes");
        assert_eq!(usize::from(buf[6]), n);
        assert_eq!(DirEntry::decode(&buf).expect("decodes"), entry);
    }
    assert_eq!(Bytes::default(), Bytes::from(&[][..]));
    assert!(Bytes::copy_from(&long, 199, 2).is_none(), "past the end");
    assert!(Bytes::copy_from(&long, usize::MAX, 2).is_none(), "overflow");
}

/// The whole root directory block through `DirBlock` (`[DirEntry; ..]`):
/// the same entries, a round trip, and `rec_len` tiling computed on encode.
fn dir_block(bytes: &[u8], count: usize) {
    let dir = DirBlock::decode(bytes).unwrap_or_else(|e| panic!("root directory block: {e}"));
    assert_eq!(dir.entries.len(), count);
    // The zero-copy iterator gives the same entries, each over its bytes.
    let views: Vec<DirEntryView> = DirBlockView::new(bytes).expect("view").entries().map(|v| v.expect("entry")).collect();
    assert_eq!(views.len(), count);
    for (view, entry) in views.iter().zip(&dir.entries) {
        assert_eq!(view.bytes().len(), usize::from(entry.rec_len));
        assert_eq!(view.decode().as_ref(), Ok(entry));
    }
    let mut at = 0;
    for entry in &dir.entries {
        assert_eq!(&DirEntry::decode(&bytes[at..]).expect("entry"), entry);
        at += usize::from(entry.rec_len);
    }
    round_trip!(DirBlock, &dir, bytes, "root directory block");
    // Drop the last entry and add one: its rec_len, and the one before it,
    // are whatever the caller says, except the last one's, which is
    // computed to reach the end of the block exactly.
    let mut edited = dir.clone();
    let last = edited.entries.pop().expect("entries");
    let before = edited.entries.len();
    let mut out = vec![0u8; bytes.len()];
    edited.encode(&mut out).expect("shorter directory");
    let back = DirBlock::decode(&out).expect("tiled");
    let sum: usize = back.entries.iter().map(|e| usize::from(e.rec_len)).sum();
    assert_eq!(sum, bytes.len(), "entries tile the block");
    assert_eq!(back.entries.len(), before);
    if let Some(prev) = edited.entries.last_mut() {
        prev.rec_len = ((8 + prev.name.len() + 3) / 4 * 4) as u16; // shrink it ...
    }
    edited.entries.push(DirEntry { rec_len: 0, ..last }); // ... and add one after it
    edited.encode(&mut out).expect("one more entry");
    let back = DirBlock::decode(&out).expect("tiled");
    assert_eq!(back.entries.len(), before + 1);
    assert_eq!(back.entries.iter().map(|e| usize::from(e.rec_len)).sum::<usize>(), bytes.len());
    // Entries that overrun the block, or none at all, are errors.
    let mut long = dir.clone();
    long.entries[0].rec_len = bytes.len() as u16;
    let err = long.encode(&mut out).expect_err("overrun");
    assert!(err.to_string().starts_with("entries[1] (byte "), "{err}");
    let err = DirBlock { entries: Vec::new() }.encode(&mut out).expect_err("nothing to tile with");
    assert_eq!(err.to_string(), format!("entries (byte 0): the entries cover 0 of the {} bytes", bytes.len()));
}

/// Random bytes made to satisfy magic numbers, feature gates and asserts.
fn fix_superblock(b: &mut [u8]) {
    b[56..58].copy_from_slice(&0xEF53u16.to_le_bytes());
    let log = u32::from(b[24] % 7);
    b[24..28].copy_from_slice(&log.to_le_bytes());
    let incompat = u32::from(b[96] & 2);
    b[96..100].copy_from_slice(&incompat.to_le_bytes());
    b[32] |= 1;
    b[40] |= 1;
    b[89] |= 1;
}

fn fix_dir_entry(b: &mut [u8]) -> usize {
    let name_len = usize::from(b[6]) % (b.len() - 8 + 1);
    b[6] = name_len as u8;
    let room = (b.len() / 4) * 4;
    let min = (8 + name_len).div_ceil(4) * 4;
    let rec_len = if min > room { return 0 } else { min + (usize::from(b[5]) * 4) % (room - min + 1) / 4 * 4 };
    b[4..6].copy_from_slice(&(rec_len as u16).to_le_bytes());
    rec_len
}

fn random(path: &str) {
    let data = std::fs::read(path).expect("cases");
    let mut at = 0;
    let (mut cases, mut trips) = (0, 0);
    while at + 4 <= data.len() {
        let len = u32::from_le_bytes(data[at..at + 4].try_into().expect("4 bytes")) as usize;
        let bytes = &data[at + 4..at + 4 + len];
        at += 4 + len;
        cases += 1;
        // No panic, whatever the bytes.
        let _ = Superblock::decode(bytes).map(|v| v.fields());
        let _ = GroupDesc::decode(bytes).map(|v| v.fields());
        let _ = Inode::decode(bytes).map(|v| v.fields());
        let _ = BlockMap::decode(bytes);
        let _ = DirMap::decode(bytes);
        let _ = DirEntry::decode(bytes).map(|v| v.fields());
        if let Ok(dir) = DirBlock::decode(bytes) {
            // Whatever decodes re-encodes into the same bytes, and the views agree.
            round_trip!(DirBlock, &dir, bytes, "random directory block");
            let views: Vec<DirEntry> =
                DirBlockView::new(bytes).expect("view").entries().map(|v| v.and_then(|v| v.decode()).expect("entry")).collect();
            assert_eq!(views, dir.entries);
        } else if let Ok(view) = DirBlockView::new(bytes) {
            // Otherwise the iterator ends, with an error, after few entries.
            assert!(view.entries().take(bytes.len() + 1).count() <= bytes.len() / 8 + 1);
        }
        if let Ok(v) = InodeView::new(bytes) {
            let _ = (v.i_block_arm(), v.i_mode_kind(), v.i_osd2(), v.i_block_bytes());
        }
        if let Ok(v) = DirEntryView::new(bytes) {
            let _ = (v.name(), v.rec_len());
        }
        if let Ok(v) = SuperblockView::new(bytes) {
            let _ = (v.s_hash_seed(3), v.s_hash_seed(4), v.s_uuid());
        }
        // Round trips of values made from these bytes.
        if bytes.len() >= 1024 {
            let mut b = bytes[..1024].to_vec();
            fix_superblock(&mut b);
            let sb = Superblock::decode(&b).unwrap_or_else(|e| panic!("fixed-up superblock: {e}"));
            round_trip!(Superblock, &sb, &b, "random superblock");
            trips += 1;
        }
        if bytes.len() >= 128 {
            let inode = Inode::decode(bytes).unwrap_or_else(|e| panic!("inode: {e}"));
            round_trip!(Inode, &inode, &bytes[..128], "random inode");
            trips += 1;
        }
        if bytes.len() >= 32 {
            let desc = GroupDesc::decode(bytes).unwrap_or_else(|e| panic!("group descriptor: {e}"));
            round_trip!(GroupDesc, &desc, &bytes[..32], "random group descriptor");
            trips += 1;
        }
        if bytes.len() >= 8 {
            let mut b = bytes.to_vec();
            let rec_len = fix_dir_entry(&mut b);
            if rec_len > 0 {
                let entry = DirEntry::decode(&b).unwrap_or_else(|e| panic!("dir entry: {e}"));
                round_trip!(DirEntry, &entry, &b[..rec_len], "random dir entry");
                trips += 1;
            }
        }
    }
    println!("cases {cases} round trips {trips}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match (args.get(1).map(String::as_str), args.get(2)) {
        (Some("image"), Some(path)) => image(path),
        (Some("random"), Some(path)) => random(path),
        _ => {
            eprintln!("usage: driver image IMAGE | driver random FILE");
            std::process::exit(2);
        }
    }
}
