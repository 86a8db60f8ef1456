//! The `ddsl` binary end to end: exit codes 0/1/2 and what it prints.

use std::process::Command;

fn ddsl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ddsl")).args(args).output().expect("ddsl runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[test]
fn check_accepts_ext2_silently() {
    assert_eq!(ddsl(&["check", "../fs-examples/ext2/ext2.ddsl"]), (0, String::new(), String::new()));
}

#[test]
fn check_reports_every_error_and_exits_1() {
    let (code, stdout, stderr) = ddsl(&[
        "check",
        "--color",
        "never",
        "tests/layouts/fail/pointer_to_unknown_type.ddsl",
        "../fs-examples/ext2/ext2.ddsl",
    ]);
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(stderr.contains("pointer to unknown type `BlockBitmap`"), "{stderr}");
    assert!(stderr.contains("help: did you mean `InodeTable`?"), "{stderr}");
    assert!(stderr.contains("tests/layouts/fail/pointer_to_unknown_type.ddsl:8:27"), "{stderr}");
    assert!(stderr.ends_with("error: 3 errors found\n"), "{stderr}");
}

#[test]
fn unreadable_files_exit_2() {
    let (code, _, stderr) = ddsl(&["check", "no/such/file.ddsl"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read `no/such/file.ddsl`"), "{stderr}");
    let (code, _, stderr) = ddsl(&["dump", "../fs-examples/ext2/ext2.ddsl", "no/such/image"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read `no/such/image`"), "{stderr}");
}

#[test]
fn dump_with_a_bad_layout_reports_it_and_exits_1() {
    let (code, stdout, stderr) =
        ddsl(&["dump", "tests/layouts/fail/gap_before_field.ddsl", "../fs-examples/ext2/ext2.ddsl"]);
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(stderr.contains("2 unaccounted bytes before field `flags`"), "{stderr}");
}

#[test]
fn gen_cdsl_writes_the_bindings() {
    let dir = cdsl_test_support::scratch("ddsl-cli", "gen-cdsl");
    let out = dir.to_str().expect("utf-8 temp dir");
    let (code, stdout, stderr) = ddsl(&["gen", "../fs-examples/ext2/ext2.ddsl", "--emit", "cdsl", "-o", out]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    assert!(stderr.ends_with("(10 structs)\n"), "{stderr}");
    let text = std::fs::read_to_string(dir.join("ext2_layout.cdsl")).expect("ext2_layout.cdsl");
    assert!(text.contains("\ninode_get_i_mode_kind : ((WordArray U8)!, U32) -> U16\n"), "{text}");
}

#[test]
fn gen_rust_writes_the_module_and_warns_about_unsupported_structs() {
    let dir = cdsl_test_support::scratch("ddsl-cli", "gen-rust");
    let out = dir.to_str().expect("utf-8 temp dir");
    let (code, stdout, stderr) =
        ddsl(&["gen", "--color", "never", "../fs-examples/ext2/ext2.ddsl", "--emit", "rust", "-o", out]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    assert!(stderr.contains("warning: unsupported: an array of structs or unions"), "{stderr}");
    // At the inode table's array of inodes, wherever it is in the file.
    let layout = std::fs::read_to_string("../fs-examples/ext2/ext2.ddsl").expect("ext2.ddsl");
    let line = layout.lines().position(|l| l.contains("inodes: [Inode;")).expect("the inode table") + 1;
    assert!(stderr.contains(&format!("ext2.ddsl:{line}:11")), "{stderr}");
    assert!(stderr.ends_with("(10 structs)\n"), "{stderr}");
    let code_text = std::fs::read_to_string(dir.join("ext2.rs")).expect("ext2.rs written");
    assert!(code_text.contains("#[forbid(unsafe_code)]"));
    let (code, _, stderr) =
        ddsl(&["gen", "--color", "never", "../fs-examples/ext2/ext2.ddsl", "--emit", "rust", "-o", out, "--strict"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error: unsupported: "), "{stderr}");
}

#[test]
fn walk_and_fsck_need_an_image_and_say_when_it_is_missing() {
    for command in ["walk", "fsck"] {
        let (code, _, stderr) = ddsl(&[command, "../fs-examples/ext2/ext2.ddsl", "no/such/image"]);
        assert_eq!(code, 2, "{command}");
        assert!(stderr.contains("cannot read `no/such/image`"), "{stderr}");
        let (code, _, stderr) = ddsl(&[command, "../fs-examples/ext2/ext2.ddsl"]);
        assert_eq!(code, 2, "{command}");
        assert!(stderr.contains("<IMAGE>"), "{stderr}");
    }
}

/// `fsck --fix` recomputes checksums a layout declares, in place.
#[test]
fn fsck_fix_rewrites_checksums() {
    let dir = cdsl_test_support::scratch("ddsl-cli", "fix");
    let layout = dir.join("sum.ddsl");
    std::fs::write(
        &layout,
        "endian le;\nroot d: D at 0;\nstruct D size 12 {\n  a: u64;\n  sum: u32 be checksum crc32c(0 .. 12);\n}\n",
    )
    .expect("layout");
    let image = dir.join("sum.img");
    std::fs::write(&image, b"abcdefgh\0\0\0\0").expect("image");
    let (layout, image_path) = (layout.to_str().expect("utf-8"), image.to_str().expect("utf-8"));
    let (code, stdout, _) = ddsl(&["fsck", layout, image_path]);
    assert_eq!(code, 1);
    assert!(stdout.starts_with("d.sum (byte 8): bad crc32c checksum 0x0, the bytes give 0x"), "{stdout}");
    let (code, stdout, stderr) = ddsl(&["fsck", "--fix", layout, image_path]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    assert!(stderr.starts_with("fixed: d.sum (byte 8)\n"), "{stderr}");
    let bytes = std::fs::read(&image).expect("image");
    assert_eq!(&bytes[8..], &ddsl::crc::crc32c(b"abcdefgh\0\0\0\0").to_be_bytes());
}
