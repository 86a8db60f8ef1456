//! `cdsl run --engine c`: translate, compile with `cc`, run, and return the
//! printed result. The only part of the C backend that does I/O.

use super::{entry_function, generate, Options, CFLAGS, RUNTIME_C, RUNTIME_H};
use crate::core::ir::Program;
use cdsl_runtime::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `function` on `arg` through generated C: the result in the
/// interpreters' display format, or why it could not.
pub fn run(program: &Program, function: &str, arg: &Value) -> Result<String, String> {
    let options = Options::default();
    let output = generate(program, None, &options).map_err(|e| e.to_string())?;
    let entry = entry_function(program, &options, "cdsl_entry", function, arg).map_err(|e| e.to_string())?;
    let source = format!("{}\n{entry}\nint main(void) {{\n    cdsl_entry();\n    return 0;\n}}\n", output.code);
    let dir = scratch_dir()?;
    let result = compile_and_run(&dir, &source);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn scratch_dir() -> Result<PathBuf, String> {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("cdsl-run-c-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    Ok(dir)
}

/// Writes the runtime and `source` (as `main.c`) into `dir` and compiles
/// them with `$CC` (default `cc`) and [`CFLAGS`] plus `extra` flags.
pub fn compile(dir: &Path, source: &str, extra: &[&str]) -> Result<PathBuf, String> {
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
    };
    write("cdsl_runtime.h", RUNTIME_H)?;
    write("cdsl_runtime.c", RUNTIME_C)?;
    write("main.c", source)?;
    let binary = dir.join("main");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let compiled = Command::new(&cc)
        .args(CFLAGS)
        .args(extra)
        .arg("-o")
        .arg(&binary)
        .arg(dir.join("main.c"))
        .arg(dir.join("cdsl_runtime.c"))
        .output()
        .map_err(|e| format!("cannot run `{cc}`: {e}"))?;
    if !compiled.status.success() {
        return Err(format!("bug: {cc} rejected the generated code:\n{}", String::from_utf8_lossy(&compiled.stderr)));
    }
    Ok(binary)
}

fn compile_and_run(dir: &Path, source: &str) -> Result<String, String> {
    let binary = compile(dir, source, &["-O2"])?;
    let ran = Command::new(&binary).output().map_err(|e| format!("cannot run the compiled program: {e}"))?;
    if !ran.status.success() {
        return Err(format!("the compiled program failed: {}", String::from_utf8_lossy(&ran.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&ran.stdout).trim_end().to_owned())
}
