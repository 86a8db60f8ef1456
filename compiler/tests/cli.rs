//! The `cdsl` binary end to end: exit codes, output streams, help text.

use std::process::{Command, Output};

fn cdsl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cdsl")).args(args).output().unwrap_or_else(|e| panic!("cannot run cdsl: {e}"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn check_accepts_the_examples_silently() {
    let out = cdsl(&["check", "../fs-examples/cdsl/ext2_inode.cdsl", "../fs-examples/cdsl/bitmap_alloc.cdsl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out), "");
}

#[test]
fn parse_prints_a_program_that_parses_to_the_same_output() {
    let first = cdsl(&["parse", "../fs-examples/cdsl/dirent_scan.cdsl"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let printed = stdout(&first);
    assert!(printed.contains("scan_step #{acc = #{live, free_slot}, obsv = blk, idx} ="), "{printed}");
    // The printed file goes into a copy of the tree its includes expect.
    let root = cdsl_test_support::scratch("cdsl-cli", "printed");
    let examples = root.join("fs-examples/cdsl");
    let runtime = root.join("runtime/cdsl");
    std::fs::create_dir_all(&examples).unwrap();
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::copy("../fs-examples/cdsl/prelude.cdsl", examples.join("prelude.cdsl")).unwrap();
    std::fs::copy("../runtime/cdsl/prelude.cdsl", runtime.join("prelude.cdsl")).unwrap();
    let copy = examples.join("dirent_scan.cdsl");
    std::fs::write(&copy, &printed).unwrap();
    let second = cdsl(&["parse", copy.to_str().unwrap()]);
    assert_eq!(stdout(&second), printed, "{}", stderr(&second));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn malformed_file_reports_every_error_with_location_and_exits_1() {
    let out = cdsl(&["check", "--color", "never", "tests/cli/two_errors.cdsl"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    insta::assert_snapshot!(stderr(&out));
}

#[test]
fn missing_file_is_an_io_error_exit_2() {
    let out = cdsl(&["check", "tests/cli/no-such-file.cdsl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read `tests/cli/no-such-file.cdsl`"), "{}", stderr(&out));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(cdsl(&["check"]).status.code(), Some(2));
    assert_eq!(cdsl(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn help_explains_every_subcommand() {
    let out = cdsl(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for subcommand in ["parse", "check"] {
        assert!(help.contains(subcommand), "--help does not mention `{subcommand}`:\n{help}");
        let sub = cdsl(&[subcommand, "--help"]);
        assert_eq!(sub.status.code(), Some(0));
        assert!(stdout(&sub).contains("Usage: cdsl"), "{}", stdout(&sub));
    }
}

#[test]
fn build_rust_binds_abstract_functions_to_the_users_module() {
    let dir = cdsl_test_support::scratch("cdsl-cli", "abstracts");
    let source = dir.join("dev.cdsl");
    std::fs::write(&source, "type Dev\nbump : (Dev, U32) -> (Dev, U32)\n\nuse_it : (Dev, U32) -> (Dev, U32)\nuse_it (d, n) = bump (d, n + 1)\n").unwrap();
    let bound = cdsl(&["build", "--emit", "rust", "--abstracts", "crate::device", source.to_str().unwrap()]);
    assert!(bound.status.success(), "{}", stderr(&bound));
    let code = stdout(&bound);
    assert!(code.contains("pub type Abs_Dev = crate::device::Dev;"), "{code}");
    assert!(code.contains("crate::device::bump(arg)"), "{code}");
    assert!(!stderr(&bound).contains("warning"), "{}", stderr(&bound));
    // Without a module the function panics when called, and the build says so.
    let unbound = cdsl(&["build", "--emit", "rust", source.to_str().unwrap()]);
    assert!(stderr(&unbound).contains("abstract function `bump`"), "{}", stderr(&unbound));
    let _ = std::fs::remove_dir_all(&dir);
}
