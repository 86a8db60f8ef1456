//! The three benchmark programs of `benches/engines/*.cdsl` written by hand
//! as idiomatic Rust, for `benches/backends.rs` to time generated Rust
//! against. Each computes what its CDSL program's `main (SysState, n)`
//! gives as its second component, with the runtime's rules: words wrap, and
//! an array above 2^24 elements cannot be created (the result is then 0).

/// The runtime's largest word array (`cdsl_rt::MAX_ARRAY_LEN`).
const MAX_ARRAY_LEN: u32 = 1 << 24;

/// `checksum.cdsl`: fill `n` words from a counter, then sum them, rotating
/// the sum left by one bit before each add.
pub fn checksum(n: u32) -> u32 {
    if n > MAX_ARRAY_LEN {
        return 0;
    }
    let words: Vec<u32> = (1..=n).map(|k| k.wrapping_mul(2_654_435_761).wrapping_add(1)).collect();
    words.iter().fold(0, |sum, &word| sum.rotate_left(1).wrapping_add(word))
}

/// The `i`th word of `dirscan.cdsl`'s packed directory: even words are
/// inodes (every seventh 0, a free entry), odd words `rec_len << 8 | name_len`.
fn directory_word(i: u32) -> u32 {
    if i % 2 == 0 {
        if i % 14 == 0 {
            0
        } else {
            i / 2 + 1
        }
    } else {
        ((16 + i % 24) << 8) | (i % 13)
    }
}

/// `dirscan.cdsl`: over `n` entries, the live ones plus the bytes of all
/// records plus the index of the first free one (0 if none).
pub fn dirscan(n: u32) -> u32 {
    let len = n.wrapping_mul(2);
    if len > MAX_ARRAY_LEN {
        return 0;
    }
    let words: Vec<u32> = (0..len).map(directory_word).collect();
    let (mut live, mut bytes, mut free_slot) = (0u32, 0u32, None);
    for (index, entry) in (0u32..).zip(words.chunks_exact(2)) {
        let (inode, shape) = (entry[0], entry[1]);
        bytes = bytes.wrapping_add(shape >> 8);
        if inode == 0 {
            free_slot.get_or_insert(index);
        } else {
            live += 1;
        }
    }
    live.wrapping_add(bytes).wrapping_add(free_slot.unwrap_or(0))
}

/// `bitmap.cdsl`: allocate `n` blocks one at a time from a bitmap of
/// `n / 32 + 1` words, setting each block's bit; the count plus the next
/// free block.
pub fn bitmap(n: u32) -> u32 {
    let words = n / 32 + 1;
    if words > MAX_ARRAY_LEN {
        return 0;
    }
    let mut map = vec![0u32; words as usize];
    let (mut next, mut count) = (0u32, 0u32);
    for _ in 0..n {
        if let Some(word) = map.get_mut((next / 32) as usize) {
            *word |= 1 << (next % 32);
            next += 1;
            count += 1;
        }
    }
    count.wrapping_add(next)
}
