//! `cdslfs`: the ext2 example mounted through FUSE — not implemented yet
//! (issue #7). Fails loudly rather than pretending.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    eprintln!("error: `cdslfs` is not implemented yet (tracked in issue #7)");
    std::process::ExitCode::from(2)
}
