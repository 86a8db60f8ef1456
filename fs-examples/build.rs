//! Compiles the ext2 file system's CDSL to Rust (`$OUT_DIR/ext2.rs`), with
//! its abstract types and functions bound to `crate::device`.
fn main() {
    if let Err(e) = cdsl_build::Config::new().abstracts("crate::device").compile("ext2/ext2.cdsl") {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
