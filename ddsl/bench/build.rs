//! Generates `$OUT_DIR/ext2.rs` from the ext2 layout. This is
//! `ddsl::build::compile` without its `cargo:warning` per unsupported struct
//! (bitmaps, blocks and tables the benchmark does not read), which would
//! otherwise show in every workspace build; the module's header lists them.
use std::path::Path;

fn main() {
    let layout = Path::new("../../fs-examples/ext2/ext2.ddsl");
    println!("cargo:rerun-if-changed={}", layout.display());
    let out_dir = std::env::var_os("OUT_DIR").unwrap_or_else(|| panic!("OUT_DIR is not set"));
    ddsl::build::generate_file(layout, Path::new(&out_dir), false).unwrap_or_else(|e| panic!("{e}"));
}
