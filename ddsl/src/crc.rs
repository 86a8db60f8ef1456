//! The checksums a layout may declare (`checksum crc32c(lo .. hi)`), bit
//! by bit so the generated Rust and C can carry the same few lines:
//!
//! - `crc32c`: CRC-32C (Castagnoli; reflected polynomial 0x82F63B78,
//!   initial value and final xor 0xFFFFFFFF) — "123456789" gives 0xE3069283;
//! - `crc16`: CRC-16/MODBUS (reflected polynomial 0xA001, initial value
//!   0xFFFF, no final xor; the kernel's `crc16(~0, ..)` that ext4 group
//!   descriptors use) — "123456789" gives 0x4B37.

/// The algorithms, by the name a layout uses, with the integer width (in
/// bytes) a checksum field must have.
pub const ALGORITHMS: &[(&str, u64)] = &[("crc32c", 4), ("crc16", 2)];

pub fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0x82F6_3B78 } else { crc >> 1 };
        }
    }
    !crc
}

pub fn crc16(bytes: &[u8]) -> u16 {
    let mut crc = 0xFFFFu16;
    for &b in bytes {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xA001 } else { crc >> 1 };
        }
    }
    crc
}

/// The checksum `algorithm` of `bytes`; `None` for an unknown name.
pub fn checksum(algorithm: &str, bytes: &[u8]) -> Option<u64> {
    match algorithm {
        "crc32c" => Some(u64::from(crc32c(bytes))),
        "crc16" => Some(u64::from(crc16(bytes))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc16(b"123456789"), 0x4B37);
        assert_eq!(crc32c(b""), 0);
        assert_eq!(checksum("crc16", b"123456789"), Some(0x4B37));
        assert_eq!(checksum("md5", b""), None);
    }
}
