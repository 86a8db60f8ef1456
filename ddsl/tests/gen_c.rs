//! The C generator: the code generated from `ext2.ddsl` and from every
//! accepted corpus layout compiles with `cc -std=c99 -Wall -Wextra -Werror
//! -pedantic`, and agrees byte for byte with the generated Rust on random
//! values — decoded fields, encoded bytes, and the offset, path and message
//! of every error. Each layout gets one Rust and one C driver (generated
//! here from its struct list) and one file of ~1,500 proptest cases; both
//! drivers read it and must print the same. The Rust driver also checks,
//! for every struct, decode(encode(x)) == x and that encode writes back
//! the very bytes it decoded; the C driver runs clean under valgrind.
//! Skipped, with a printed reason, without cc or rustc (or valgrind).

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::path::{Path, PathBuf};
use std::process::Command;

const EXT2: &str = "../fs-examples/ext2/ext2.ddsl";
/// Cases per layout: 1,500, or `DDSL_GEN_C_CASES` (`make soak`).
fn case_count() -> usize {
    std::env::var("DDSL_GEN_C_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(1500)
}

fn temp(name: &str) -> PathBuf {
    cdsl_test_support::scratch("ddsl-gen-c", name)
}

fn cc_available() -> bool {
    match Command::new("cc").arg("--version").output() {
        Ok(out) if out.status.success() => true,
        _ => {
            eprintln!("skipped: no working `cc` on PATH");
            false
        }
    }
}

/// Compiles C files into `exe` (or only checks them when `exe` is None).
fn cc(files: &[PathBuf], exe: Option<&Path>) {
    let mut cmd = Command::new("cc");
    cmd.args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1"]);
    match exe {
        Some(exe) => cmd.arg("-o").arg(exe),
        None => cmd.args(["-fsyntax-only"]),
    };
    let out = cmd.args(files).output().expect("cc runs");
    assert!(out.status.success(), "cc failed on {files:?}:\n{}", String::from_utf8_lossy(&out.stderr));
}

/// `(name, FIXED_LEN)` of every generated struct, from the header.
fn structs(header: &str) -> Vec<(String, usize)> {
    header
        .lines()
        .filter_map(|l| l.strip_prefix("#define "))
        .filter_map(|l| {
            let (name, len) = l.split_once("_FIXED_LEN ")?;
            Some((name.to_string(), len.trim().parse().ok()?))
        })
        .collect()
}

#[test]
fn generated_c_compiles_for_ext2_and_every_corpus_layout() {
    if !cc_available() {
        return;
    }
    let mut layouts = vec![PathBuf::from(EXT2)];
    for entry in std::fs::read_dir("tests/layouts/pass").expect("corpus") {
        layouts.push(entry.expect("entry").path());
    }
    for (i, layout) in layouts.iter().enumerate() {
        let dir = temp(&format!("compile{i}"));
        let output = ddsl::build::generate_c(layout, &dir, false).unwrap_or_else(|e| panic!("{e}"));
        assert!(!output.structs.is_empty(), "{}: no struct generated", layout.display());
        let stem = layout.file_stem().and_then(|s| s.to_str()).expect("stem");
        cc(&[dir.join(format!("{stem}.c"))], None);
    }
}

#[test]
fn gen_c_on_the_command_line_writes_header_and_source() {
    let dir = temp("cli");
    let out = Command::new(env!("CARGO_BIN_EXE_ddsl"))
        .args(["gen", "--color", "never", EXT2, "--emit", "c", "-o"])
        .arg(&dir)
        .output()
        .expect("ddsl runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("warning: unsupported: an array of structs or unions"), "{stderr}");
    assert!(stderr.ends_with("(10 structs)\n"), "{stderr}");
    let header = std::fs::read_to_string(dir.join("ext2.h")).expect("ext2.h");
    // Structs held by value come first, as C needs.
    let names: Vec<String> = structs(&header).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "Superblock",
            "GroupDesc",
            "DirMap",
            "BlockMap",
            "Inode",
            "DirEntry",
            "DirBlock",
            "InodeOsd2",
            "InodeExtra",
            "XattrHeader"
        ]
        .map(String::from)
    );
    assert!(std::fs::read_to_string(dir.join("ext2.c")).expect("ext2.c").contains("#include \"ext2.h\""));
}

/// The Rust driver: reads cases, decodes each as its struct, prints the
/// fields, the encoding and the decoding of that; checks round trips.
fn rust_driver(stem: &str, structs: &[(String, usize)]) -> String {
    let mut arms = String::new();
    for (i, (name, _)) in structs.iter().enumerate() {
        arms.push_str(&format!("            {i} => case!({name}, bytes),\n"));
    }
    format!(
        r#"#![forbid(unsafe_code)]
mod layout {{
    include!("{stem}.rs");
}}
use layout::*;

fn show(fields: Vec<(String, FieldValue)>) {{
    for (path, value) in fields {{
        match value {{
            FieldValue::Int(n) => println!("  {{path}} = {{n}}"),
            FieldValue::Bytes(b) => println!("  {{path}} = {{b:?}}"),
            FieldValue::Ints(v) => println!("  {{path}} = {{v:?}}"),
        }}
    }}
}}

fn hex(b: &[u8]) -> String {{
    b.iter().map(|x| format!("{{x:02x}}")).collect()
}}

macro_rules! case {{
    ($ty:ident, $bytes:expr) => {{{{
        let bytes: &[u8] = $bytes;
        match $ty::decode(bytes) {{
            Err(e) => println!("{{}} err {{e}}", stringify!($ty)),
            Ok(v) => {{
                println!("{{}} ok", stringify!($ty));
                show(v.fields());
                let mut out = vec![0xa5u8; bytes.len()];
                match v.encode(&mut out) {{
                    Err(e) => println!("  encode err {{e}}"),
                    Ok(()) => {{
                        println!("  encoded {{}}", hex(&out));
                        let again = $ty::decode(&out).expect("decode(encode(x))");
                        assert_eq!(again, v, "decode(encode(x)) != x");
                        let (mut zeros, mut ones) = (vec![0u8; bytes.len()], vec![0xffu8; bytes.len()]);
                        v.encode(&mut zeros).expect("encode");
                        v.encode(&mut ones).expect("encode");
                        for i in 0..bytes.len() {{
                            if zeros[i] == ones[i] {{
                                assert_eq!(zeros[i], bytes[i], "encode(decode(bytes)) changed byte {{i}}");
                            }}
                        }}
                        println!("  round trip");
                    }}
                }}
            }}
        }}
    }}}};
}}

fn main() {{
    let path = std::env::args().nth(1).expect("cases file");
    let data = std::fs::read(path).expect("cases");
    let mut at = 0;
    while at + 5 <= data.len() {{
        let which = data[at];
        let len = u32::from_le_bytes([data[at + 1], data[at + 2], data[at + 3], data[at + 4]]) as usize;
        let bytes = &data[at + 5..at + 5 + len];
        at += 5 + len;
        match which {{
{arms}            _ => panic!("no struct {{which}}"),
        }}
    }}
}}
"#
    )
}

/// The C driver: the same output as the Rust one, from the C code.
fn c_driver(stem: &str, structs: &[(String, usize)]) -> String {
    let mut arms = String::new();
    for (i, (name, _)) in structs.iter().enumerate() {
        arms.push_str(&format!(
            r#"        case {i}: {{
            {name} v, again;
            if ({name}_decode(bytes, len, &v, &err)) {{
                ddsl_error_format(&err, msg, sizeof msg);
                printf("{name} err %s\n", msg);
                break;
            }}
            printf("{name} ok\n");
            {name}_print(&v, stdout, "  ");
            memset(out, 0xa5, len);
            if ({name}_encode(&v, out, len, &err)) {{
                ddsl_error_format(&err, msg, sizeof msg);
                printf("  encode err %s\n", msg);
                {name}_release(&v);
                break;
            }}
            printf("  encoded ");
            for (i = 0; i < len; i++) printf("%02x", out[i]);
            printf("\n");
            if ({name}_decode(out, len, &again, &err)) {{
                printf("  decode(encode(x)) failed\n");
                {name}_release(&v);
                break;
            }}
            printf("  round trip\n");
            {name}_release(&again);
            {name}_release(&v);
            break;
        }}
"#
        ));
    }
    format!(
        r#"#include "{stem}.h"
#include <stdlib.h>

int main(int argc, char **argv) {{
    static uint8_t out[1 << 16];
    uint8_t *data;
    long size;
    size_t n, at = 0, i;
    ddsl_error err;
    char msg[512];
    FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) return 2;
    data = (uint8_t *)malloc((size_t)size + 1);
    if (!data) return 2;
    n = fread(data, 1, (size_t)size, f);
    fclose(f);
    while (at + 5 <= n) {{
        size_t len = (size_t)data[at + 1] | (size_t)data[at + 2] << 8 | (size_t)data[at + 3] << 16 | (size_t)data[at + 4] << 24;
        int which = data[at];
        const uint8_t *bytes = data + at + 5;
        at += 5 + len;
        if (len > sizeof out) return 3;
        switch (which) {{
{arms}        default: return 4;
        }}
    }}
    free(data);
    return 0;
}}
"#
    )
}

/// Random bytes made to satisfy the magic numbers, feature gates, asserts
/// and checksums of ext2 and the corpus layouts, so that most cases decode.
fn fix_up(name: &str, b: &mut Vec<u8>) {
    match name {
        // Entries tiling the block exactly (ext2's with rec_len % 4 == 0).
        "DirBlock" | "Dir" if b.len() >= 12 => {
            b.truncate(b.len() / 4 * 4);
            let len = b.len();
            let mut at = 0;
            while at < len {
                let rest = len - at;
                let name_len = (usize::from(b[at + 6]) % 20).min(rest - 8);
                let need = (8 + name_len).div_ceil(4) * 4;
                let rec_len = if rest < need + 12 { rest } else { need };
                b[at + 4..at + 6].copy_from_slice(&(rec_len as u16).to_le_bytes());
                b[at + 6] = name_len as u8;
                at += rec_len;
            }
        }
        "Super" if b.len() >= 64 => {
            b[0..4].copy_from_slice(&0x5346u32.to_be_bytes());
            let incompat = u32::from(b[20] & 1);
            b[20..24].copy_from_slice(&incompat.to_le_bytes());
            b[12] |= 1;
        }
        "XattrHeader" if b.len() >= 4 => b[0..4].copy_from_slice(&0xEA02_0000u32.to_le_bytes()),
        "Superblock" if b.len() >= 1024 => {
            b[56..58].copy_from_slice(&0xEF53u16.to_le_bytes());
            let log = u32::from(b[24] % 7);
            b[24..28].copy_from_slice(&log.to_le_bytes());
            let incompat = u32::from(b[96] & 2);
            b[96..100].copy_from_slice(&incompat.to_le_bytes());
            b[32] |= 1;
            b[40] |= 1;
            b[89] |= 1;
        }
        "Desc" if b.len() >= 32 => {
            let inner = ddsl::crc::crc32c(&b[..16]);
            b[16..20].copy_from_slice(&inner.to_be_bytes());
            b[22..24].fill(0);
            let sum = ddsl::crc::crc16(&b[..32]);
            b[22..24].copy_from_slice(&sum.to_le_bytes());
        }
        "Rec" if b.len() >= 8 => {
            let n = usize::from(b[3]) % (b.len() - 8 + 1);
            let len = (8 + n).div_ceil(4) * 4;
            if len <= b.len() {
                b[3] = n as u8;
                b[0..2].copy_from_slice(&(len as u16).to_le_bytes());
                b[4..8].fill(0);
                let sum = ddsl::crc::crc32c(&b[..len]);
                b[4..8].copy_from_slice(&sum.to_le_bytes());
            }
        }
        "DirEntry" | "Entry" if b.len() >= 8 => {
            let name_len = usize::from(b[6]) % (b.len() - 8 + 1);
            b[6] = name_len as u8;
            let room = b.len() / 4 * 4;
            let min = (8 + name_len).div_ceil(4) * 4;
            if min <= room {
                let rec_len = min + (usize::from(b[5]) * 4) % (room - min + 1) / 4 * 4;
                b[4..6].copy_from_slice(&(rec_len as u16).to_le_bytes());
            }
        }
        _ => {}
    }
}

/// Cases: (struct index, bytes). Most are the struct's fixed length plus a
/// little (mostly fixed up to decode); some are random and short.
fn cases(structs: &[(String, usize)]) -> Vec<(u8, Vec<u8>)> {
    let strategy = (0..structs.len(), 0usize..4, 0usize..300, proptest::collection::vec(any::<u8>(), 1400));
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    let mut out = Vec::new();
    for _ in 0..case_count() {
        let (which, shape, extra, mut bytes) = strategy.new_tree(&mut runner).expect("case").current();
        let (name, fixed) = &structs[which];
        let len = match shape {
            0 => extra.min(*fixed + 8), // often too short
            _ => fixed + extra % 64,
        };
        bytes.truncate(len.min(bytes.len()));
        if shape >= 2 {
            fix_up(name, &mut bytes);
        }
        out.push((which as u8, bytes));
    }
    out
}

/// The C driver again under valgrind, where it is installed: no invalid
/// access, no leak (decode allocates the entries of `[T; ..]`).
fn valgrind(exe: &Path, cases: &Path) {
    let Ok(out) = Command::new("valgrind")
        .args(["--leak-check=full", "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=9", "-q"])
        .arg(exe)
        .arg(cases)
        .output()
    else {
        eprintln!("skipped: valgrind is not installed");
        return;
    };
    assert!(out.status.success(), "valgrind:\n{}", String::from_utf8_lossy(&out.stderr));
}

fn run(exe: &Path, cases: &Path) -> String {
    let out = Command::new(exe).arg(cases).output().expect("driver runs");
    assert!(out.status.success(), "{} failed:\n{}", exe.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn agree(layout: &Path) {
    let stem = layout.file_stem().and_then(|s| s.to_str()).expect("stem");
    let dir = temp(&format!("agree-{stem}"));
    ddsl::build::generate_c(layout, &dir, false).unwrap_or_else(|e| panic!("{e}"));
    ddsl::build::generate_file(layout, &dir, false).unwrap_or_else(|e| panic!("{e}"));
    let header = std::fs::read_to_string(dir.join(format!("{stem}.h"))).expect("header");
    let structs = structs(&header);
    std::fs::write(dir.join("main.rs"), rust_driver(stem, &structs)).expect("rust driver");
    std::fs::write(dir.join("main.c"), c_driver(stem, &structs)).expect("c driver");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let status = match Command::new(&rustc)
        .args(["--edition", "2021", "-O", "-o"])
        .arg(dir.join("rust_driver"))
        .arg(dir.join("main.rs"))
        .status()
    {
        Ok(status) => status,
        Err(e) => {
            eprintln!("skipped: cannot run `{rustc}`: {e}");
            return;
        }
    };
    assert!(status.success(), "the Rust driver does not compile, in {}", dir.display());
    cc(&[dir.join("main.c"), dir.join(format!("{stem}.c"))], Some(&dir.join("c_driver")));
    let cases = cases(&structs);
    let mut file = Vec::new();
    for (which, bytes) in &cases {
        file.push(*which);
        file.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        file.extend_from_slice(bytes);
    }
    std::fs::write(dir.join("cases"), &file).expect("cases");
    let rust = run(&dir.join("rust_driver"), &dir.join("cases"));
    let c = run(&dir.join("c_driver"), &dir.join("cases"));
    valgrind(&dir.join("c_driver"), &dir.join("cases"));
    let (rust_cases, c_cases) = (split(&rust), split(&c));
    assert_eq!(rust_cases.len(), cases.len(), "the Rust driver answered every case");
    for (i, (r, c)) in rust_cases.iter().zip(&c_cases).enumerate() {
        let (which, bytes) = &cases[i];
        assert_eq!(r, c, "case {i}: {} on bytes {bytes:02x?}", structs[*which as usize].0);
    }
    assert_eq!(rust_cases.len(), c_cases.len());
    // Not vacuous: every struct decoded and round-tripped many times, and
    // errors were compared too.
    for (name, _) in &structs {
        let trips =
            rust_cases.iter().filter(|c| c.starts_with(&format!("{name} ok")) && c.contains("round trip")).count();
        assert!(trips >= 20, "{stem}: only {trips} round trips of {name}");
    }
    assert!(rust.lines().filter(|l| l.contains(" err ")).count() >= 50, "{stem}: too few errors compared");
}

/// The output split into one text per case.
fn split(out: &str) -> Vec<String> {
    let mut cases: Vec<String> = Vec::new();
    for line in out.lines() {
        if !line.starts_with("  ") || cases.is_empty() {
            cases.push(String::new());
        }
        if let Some(last) = cases.last_mut() {
            last.push_str(line);
            last.push('\n');
        }
    }
    cases
}

#[test]
fn rust_and_c_agree_on_random_ext2_values() {
    if cc_available() {
        agree(Path::new(EXT2));
    }
}

#[test]
fn rust_and_c_agree_on_random_values_with_checksums() {
    if cc_available() {
        agree(Path::new("tests/layouts/pass/checksums.ddsl"));
    }
}

#[test]
fn rust_and_c_agree_on_random_values_of_the_corpus_layout() {
    if cc_available() {
        agree(Path::new("tests/layouts/pass/all_constructs.ddsl"));
    }
}

/// The first ```` ```lang ```` block after `heading` in docs/ddsl.md.
fn doc_block(text: &str, heading: &str, lang: &str) -> String {
    let section = &text[text.find(heading).expect("section in docs/ddsl.md")..];
    let start = section.find(&format!("```{lang}\n")).expect("block in section") + lang.len() + 4;
    let len = section[start..].find("```\n").expect("closed block");
    section[start..start + len].to_string()
}

#[test]
fn the_reference_example_of_generated_c_compiles_and_runs() {
    if !cc_available() {
        return;
    }
    let text = std::fs::read_to_string("../docs/ddsl.md").expect("docs/ddsl.md");
    let dir = temp("docs");
    std::fs::write(dir.join("layout.ddsl"), doc_block(&text, "## Generating Rust", "ddsl")).expect("layout");
    std::fs::write(dir.join("main.c"), doc_block(&text, "## Generating C", "c")).expect("program");
    let output = ddsl::build::generate_c(&dir.join("layout.ddsl"), &dir, true).expect("every struct generates");
    assert_eq!(output.structs, ["Header", "Entry"]);
    let exe = dir.join("example");
    cc(&[dir.join("main.c"), dir.join("layout.c")], Some(&exe));
    let out = Command::new(&exe).output().expect("example runs");
    assert!(out.status.success(), "the example failed:\n{}", String::from_utf8_lossy(&out.stderr));
}
