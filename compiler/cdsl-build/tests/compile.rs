//! `compile_into` writes Rust that rustc accepts, tells cargo what to watch,
//! and reports a rejected program as an error.

use std::path::Path;
use std::process::Command;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cdsl-build-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn an_example_compiles_to_rust_that_rustc_accepts() {
    let out = temp_dir("ok");
    let generated = cdsl_build::compile_into(Path::new("../../fs-examples/cdsl/bitmap_alloc.cdsl"), &out)
        .expect("the example compiles");
    assert_eq!(generated, out.join("bitmap_alloc.rs"));
    let code = std::fs::read_to_string(&generated).unwrap();
    assert!(code.contains("forbid(unsafe_code)"), "{code}");
    let status = Command::new("rustc")
        .args(["--edition", "2021", "--crate-type", "lib", "--crate-name", "bitmap_alloc", "-o"])
        .arg(out.join("libbitmap_alloc.rlib"))
        .arg(&generated)
        .status()
        .expect("rustc runs");
    assert!(status.success(), "rustc rejected {}", generated.display());
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn an_ill_typed_program_is_an_error() {
    let out = temp_dir("bad");
    let source = out.join("dup.cdsl");
    std::fs::write(&source, "type Buf\ndup : Buf -> (Buf, Buf)\ndup b = (b, b)\n").unwrap();
    match cdsl_build::compile_into(&source, &out) {
        Err(cdsl_build::Error::Rejected { errors, .. }) => assert_eq!(errors, 1),
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert!(!out.join("dup.rs").exists());
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn without_out_dir_compile_says_so() {
    // Only this test reads OUT_DIR; the others pass the directory in.
    std::env::remove_var("OUT_DIR");
    assert!(matches!(cdsl_build::compile("x.cdsl"), Err(cdsl_build::Error::NoOutDir)));
}
