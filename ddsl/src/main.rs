//! `ddsl`: not implemented yet (issue #5). Fails loudly rather than pretending.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    eprintln!("error: `ddsl` is not implemented yet (tracked in issue #5)");
    std::process::ExitCode::from(2)
}
