//! The same structs read by the `binrw` and `deku` derives. The inode
//! twice: as the layout has it (`BinrwInodeSelect`, `DekuInodeSelect`:
//! `i_block` an enum chosen by the file type, the struct the generated and
//! hand-written decoders build; issue #5's targets are against these), and
//! as a plain struct with `i_block` as 15 words (`BinrwInode`,
//! `DekuInode`), which spares the libraries the choice and shows their
//! best case.

use binrw::BinRead;
use deku::DekuRead;

#[derive(BinRead, Debug)]
#[br(little)]
#[allow(dead_code)] // read through black_box
pub struct BinrwInode {
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

#[derive(BinRead, Debug)]
#[br(little)]
#[allow(dead_code)]
pub struct BinrwDirEntry {
    pub inode: u32,
    pub rec_len: u16,
    pub name_len: u8,
    pub file_type: u8,
    #[br(count = name_len)]
    pub name: Vec<u8>,
}

#[derive(DekuRead, Debug)]
#[deku(endian = "little")]
#[allow(dead_code)]
pub struct DekuInode {
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

#[derive(DekuRead, Debug)]
#[deku(endian = "little")]
#[allow(dead_code)]
pub struct DekuDirEntry {
    pub inode: u32,
    pub rec_len: u16,
    pub name_len: u8,
    pub file_type: u8,
    #[deku(count = "name_len")]
    pub name: Vec<u8>,
}

// The inode as the layout describes it: `i_block` selected by the file
// type (0 when unlinked) and, for a symlink, by whether it has blocks —
// the struct the generated and hand-written decoders build. Each library
// selects the arm the way its documentation shows: binrw by an enum whose
// variants `pre_assert` on imported arguments (with
// `return_unexpected_error`, its cheaper error mode), deku by an enum whose
// `id` is a context value.

#[derive(BinRead, Debug)]
#[br(little)]
#[allow(dead_code)]
pub struct BinrwInodeSelect {
    pub i_mode: u16,
    pub i_uid: u16,
    pub i_size: u32,
    pub times: [u32; 4],
    pub i_gid: u16,
    pub i_links_count: u16,
    pub i_blocks: u32,
    pub i_flags: u32,
    pub i_osd1: u32,
    #[br(args((i_mode >> 12) * u16::from(i_links_count != 0), i_blocks == 0))]
    pub i_block: BinrwIBlock,
    pub i_generation: u32,
    pub i_file_acl: u32,
    pub i_dir_acl: u32,
    pub i_faddr: u32,
    pub i_osd2: [u8; 12],
}

#[derive(BinRead, Debug)]
#[br(little, import(kind: u16, fast: bool), return_unexpected_error)]
#[allow(dead_code)]
pub enum BinrwIBlock {
    #[br(pre_assert(kind == 0))]
    Unused([u8; 60]),
    #[br(pre_assert(kind == 0x4))]
    Dir(BinrwBlockMap),
    #[br(pre_assert(kind == 0xA && fast))]
    Fast([u8; 60]),
    #[br(pre_assert(kind == 0xA))]
    Slow(BinrwBlockMap),
    File(BinrwBlockMap),
}

#[derive(BinRead, Debug)]
#[br(little)]
#[allow(dead_code)]
pub struct BinrwBlockMap {
    pub direct: [u32; 12],
    pub indirect: u32,
    pub double_indirect: u32,
    pub triple_indirect: u32,
}

#[derive(DekuRead, Debug)]
#[deku(endian = "little")]
#[allow(dead_code)]
pub struct DekuInodeSelect {
    pub i_mode: u16,
    pub i_uid: u16,
    pub i_size: u32,
    pub times: [u32; 4],
    pub i_gid: u16,
    pub i_links_count: u16,
    pub i_blocks: u32,
    pub i_flags: u32,
    pub i_osd1: u32,
    #[deku(ctx = "(*i_mode >> 12) * u16::from(*i_links_count != 0), u8::from(*i_blocks == 0)")]
    pub i_block: DekuIBlock,
    pub i_generation: u32,
    pub i_file_acl: u32,
    pub i_dir_acl: u32,
    pub i_faddr: u32,
    pub i_osd2: [u8; 12],
}

#[derive(DekuRead, Debug)]
#[deku(ctx = "endian: deku::ctx::Endian, kind: u16, fast: u8", id = "kind", endian = "endian")]
#[allow(dead_code)]
pub enum DekuIBlock {
    #[deku(id = 0)]
    Unused([u8; 60]),
    #[deku(id = 0x4)]
    Dir(DekuBlockMap),
    #[deku(id = 0xA)]
    Link(#[deku(ctx = "fast")] DekuLink),
    #[deku(id_pat = "_")]
    File(DekuBlockMap),
}

#[derive(DekuRead, Debug)]
#[deku(ctx = "endian: deku::ctx::Endian, fast: u8", id = "fast", endian = "endian")]
#[allow(dead_code)]
pub enum DekuLink {
    #[deku(id = 1)]
    Fast([u8; 60]),
    #[deku(id_pat = "_")]
    Slow(DekuBlockMap),
}

#[derive(DekuRead, Debug)]
#[deku(ctx = "endian: deku::ctx::Endian", endian = "endian")]
#[allow(dead_code)]
pub struct DekuBlockMap {
    pub direct: [u32; 12],
    pub indirect: u32,
    pub double_indirect: u32,
    pub triple_indirect: u32,
}
