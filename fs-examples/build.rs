//! Generates the ext2 program's field bindings from its layout
//! (`ext2/ext2_fields.cdsl`, see [`generate_fields`]); compiles the ext2
//! file system's CDSL to Rust (`$OUT_DIR/ext2.rs`), with
//! its abstract types and functions bound to `crate::device`; and to C
//! (`$OUT_DIR/c/ext2.c`, `ext2.h` and the C runtime), built with the device
//! and server of `c/` into `$OUT_DIR/ext2-c-server`, the C engine's server,
//! whose path the crate gets as `CDSL_EXT2_C_SERVER` (empty when no C
//! compiler is installed: the C engine then says so at mount).
use std::path::{Path, PathBuf};
use std::process::Command;

const PROGRAM: &str = "ext2/ext2.cdsl";
const LAYOUT: &str = "ext2/ext2.ddsl";

fn main() {
    if let Err(e) = generate_fields() {
        eprintln!("error: the field bindings: {e}");
        std::process::exit(1);
    }
    if let Err(e) = cdsl_build::Config::new().abstracts("crate::device").compile(PROGRAM) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    match c_server(&out_dir) {
        Ok(Some(server)) => println!("cargo:rustc-env=CDSL_EXT2_C_SERVER={}", server.display()),
        Ok(None) => println!("cargo:rustc-env=CDSL_EXT2_C_SERVER="),
        Err(e) => {
            eprintln!("error: the C engine's server: {e}");
            std::process::exit(1);
        }
    }
}

/// `ddsl gen ext2/ext2.ddsl --emit cdsl-fields --access block=Dev,dev_le,dev_set
/// --access bytes=Buf,le,set -o ext2`: the layout's fields as CDSL
/// definitions over the device's and the buffers' word access, which
/// `ext2/geo.cdsl` includes. Written next to the program's sources, not to
/// `OUT_DIR`, so that every reader of the program — the interpreters at
/// mount, `cdsl` on the command line, `make proofs` — finds it by the
/// include's relative path, and committed, so that they find it in a fresh
/// clone too (`make test` fails if a build changed it: commit it then);
/// rewritten only when the layout changes it, so cargo does not rerun this
/// script for it.
fn generate_fields() -> Result<(), String> {
    use ddsl::gen::cdsl::fields::Interface;
    println!("cargo:rerun-if-changed={LAYOUT}");
    let access: Vec<Interface> =
        ["block=Dev,dev_le,dev_set", "bytes=Buf,le,set"].iter().map(|spec| spec.parse()).collect::<Result<_, _>>()?;
    ddsl::build::generate_cdsl_fields(Path::new(LAYOUT), Path::new("ext2"), &access).map_err(|e| e.to_string())?;
    Ok(())
}

/// Generates the C translation and compiles the server; `None` (with a
/// warning) when there is no C compiler to run.
fn c_server(out_dir: &Path) -> Result<Option<PathBuf>, String> {
    for file in ["c/device.c", "c/device.h", "c/server.c"] {
        println!("cargo:rerun-if-changed={file}");
    }
    println!("cargo:rerun-if-env-changed=CC");
    let generated = out_dir.join("c");
    generate_c(&generated)?;
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let server = out_dir.join("ext2-c-server");
    let mut command = Command::new(&cc);
    command
        .args(["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(&generated)
        .args(["-I", "c", "c/server.c", "c/device.c"])
        .arg(generated.join("ext2.c"))
        .arg(generated.join("cdsl_runtime.c"))
        .arg("-o")
        .arg(&server);
    match command.output() {
        Ok(output) if output.status.success() => Ok(Some(server)),
        Ok(output) => Err(format!("`{cc}` failed:\n{}", String::from_utf8_lossy(&output.stderr))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("cargo:warning=no C compiler (`{cc}`): cdslfs is built without its C engine");
            Ok(None)
        }
        Err(e) => Err(format!("cannot run `{cc}`: {e}")),
    }
}

/// `cdsl build --emit c ext2/ext2.cdsl -o DIR`: the unit, its header (which
/// declares the device's functions for `c/device.c`) and the C runtime.
fn generate_c(dir: &Path) -> Result<(), String> {
    use cdsl::backend::c;
    let mut sources = cdsl::source::SourceMap::new();
    let (program, errors) = cdsl::syntax::loader::load(&mut sources, Path::new(PROGRAM))
        .map_err(|e| format!("cannot read `{}`: {}", e.path.display(), e.reason))?;
    if !errors.is_empty() {
        return Err(format!("`{PROGRAM}` has {} syntax error(s)", errors.len()));
    }
    let typed =
        cdsl::typeck::check_loaded(&program).map_err(|e| format!("`{PROGRAM}` has {} type error(s)", e.len()))?;
    let core = cdsl::core::lower::lower(&typed);
    let options = c::Options { user_abstracts: true, header: Some("ext2".to_owned()), ..c::Options::default() };
    let output = c::generate(&core, Some(&sources), &options).map_err(|e| format!("the C backend: {e}"))?;
    let header = output.header.ok_or("the C backend wrote no header")?;
    let files = [
        ("ext2.c", output.code.as_str()),
        ("ext2.h", header.as_str()),
        ("cdsl_runtime.h", c::RUNTIME_H),
        ("cdsl_runtime.c", c::RUNTIME_C),
    ];
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    Ok(())
}
