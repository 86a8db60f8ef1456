//! The same structs read by the `binrw` and `deku` derives. Inodes are the
//! plain struct (`i_block` as 15 words), which spares both libraries the
//! `select` the generated and hand-written decoders resolve.

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
