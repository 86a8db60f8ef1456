//! `cargo bench -p ddsl`: the Rust module generated from `ext2.ddsl`,
//! compiled with `rustc -O` together with `benches/gen_rust/driver.rs`,
//! decoding every inode of a 64 MiB inode table through the generated view
//! and owned decode, against `memcpy` of the same bytes and hand-written
//! `from_le_bytes` code. Prints the ratios (nothing is asserted).

use std::path::Path;
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let dir = std::env::temp_dir().join(format!("ddsl-bench-gen-rust-{}", std::process::id()));
    let output = match ddsl::build::generate_file(Path::new("../fs-examples/ext2/ext2.ddsl"), &dir, false) {
        Ok(output) => output,
        Err(e) => {
            eprintln!("error: cannot generate ext2.rs: {e}");
            return ExitCode::FAILURE;
        }
    };
    let main = dir.join("main.rs");
    if let Err(e) = std::fs::write(&main, include_str!("gen_rust/driver.rs")) {
        eprintln!("error: cannot write {}: {e}", main.display());
        return ExitCode::FAILURE;
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let exe = dir.join("bench");
    let compiled = Command::new(&rustc)
        .args(["--edition", "2021", "-C", "opt-level=3", "-C", "codegen-units=1", "-o"])
        .arg(&exe)
        .arg(&main)
        .status();
    match compiled {
        Ok(s) if s.success() => {}
        Ok(_) => {
            eprintln!("error: the benchmark driver does not compile against {}", output.path.display());
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("skipped: cannot run `{rustc}`: {e}");
            return ExitCode::SUCCESS;
        }
    }
    match Command::new(&exe).status() {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}
