//! `cdsl run --engine rust`: translate, compile with `rustc`, run, and
//! return the printed result. The only part of the backend that does I/O.

use super::{entry_function, generate, RuntimeLink};
use crate::core::ir::Program;
use cdsl_runtime::Value;
use std::path::PathBuf;
use std::process::Command;

/// Runs `function` on `arg` through generated Rust: the result in the
/// interpreters' display format, or why it could not.
pub fn run(program: &Program, function: &str, arg: &Value) -> Result<String, String> {
    let output = generate(program, None, RuntimeLink::Inline).map_err(|e| e.to_string())?;
    let entry = entry_function(program, "cdsl_entry", function, arg).map_err(|e| e.to_string())?;
    let source = format!(
        "#![forbid(unsafe_code)]\n\nmod program {{\n{}\n{entry}}}\n\nfn main() {{\n    println!(\"{{}}\", \
         program::cdsl_entry());\n}}\n",
        output.code
    );
    let dir = scratch_dir()?;
    let result = compile_and_run(&dir, &source);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn scratch_dir() -> Result<PathBuf, String> {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("cdsl-run-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    Ok(dir)
}

fn compile_and_run(dir: &std::path::Path, source: &str) -> Result<String, String> {
    let (file, binary) = (dir.join("main.rs"), dir.join("main"));
    std::fs::write(&file, source).map_err(|e| format!("cannot write `{}`: {e}", file.display()))?;
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let compiled = Command::new(&rustc)
        .args(["--edition", "2021", "--crate-type", "bin", "-C", "opt-level=2", "-o"])
        .arg(&binary)
        .arg(&file)
        .output()
        .map_err(|e| format!("cannot run `{rustc}`: {e}"))?;
    if !compiled.status.success() {
        return Err(format!("bug: rustc rejected the generated code:\n{}", String::from_utf8_lossy(&compiled.stderr)));
    }
    let ran = Command::new(&binary).output().map_err(|e| format!("cannot run the compiled program: {e}"))?;
    if !ran.status.success() {
        return Err(format!("the compiled program failed: {}", String::from_utf8_lossy(&ran.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&ran.stdout).trim_end().to_owned())
}
