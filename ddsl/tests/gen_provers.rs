//! `ddsl gen --emit isabelle|coq`: the round-trip lemmas of the
//! fixed-layout structs. The Coq mirror is proved by `coqc` (skipped with a
//! printed reason when it is not on PATH), and an encoder made to disagree
//! with its decoder makes the proof fail; the Isabelle theory passes the
//! structural check (`cdsl::backend::isabelle::check`).

use cdsl::backend::isabelle::{check, BASE_THEORIES};
use cdsl::source::SourceMap;
use ddsl::gen::{coq, fixed, isabelle};
use std::path::{Path, PathBuf};
use std::process::Command;

fn ext2() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    [manifest.join("../fs-examples/ext2/ext2.ddsl"), manifest.join("ext2.ddsl")]
        .into_iter()
        .find(|p| p.exists())
        .expect("the ext2 layout")
}

fn checked(path: &Path) -> ddsl::check::Checked {
    let text = std::fs::read_to_string(path).expect("layout");
    let mut sources = SourceMap::new();
    let file = sources.add(path.display().to_string(), text.clone()).expect("small");
    let (checked, errors) = ddsl::check_text(file, &text);
    assert!(errors.is_empty(), "{errors:?}");
    checked.expect("checked")
}

fn have_coqc() -> bool {
    cdsl_test_support::have_tool("coqc", "coq")
}

fn scratch(name: &str) -> PathBuf {
    cdsl_test_support::scratch("ddsl-gen-provers", name)
}

fn make(dir: &Path, files: &[(String, String)]) -> Result<(), String> {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).map_err(|e| e.to_string())?;
    }
    let output = Command::new("make").args(["-s", "-C"]).arg(dir).output().map_err(|e| e.to_string())?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)))
    }
}

#[test]
fn ext2_fixed_structs_are_planned_and_the_rest_skipped_with_a_reason() {
    let (plans, skipped) = fixed::plan(&checked(&ext2()));
    let names: Vec<&str> = plans.iter().map(|p| p.name.as_str()).collect();
    for expected in ["Superblock", "GroupDesc"] {
        assert!(names.contains(&expected), "{expected} not planned: {names:?}");
    }
    let superblock = plans.iter().find(|p| p.name == "Superblock").expect("planned");
    assert_eq!(superblock.size, 1024);
    let described: u64 = superblock
        .parts
        .iter()
        .map(|p| match p {
            fixed::Part::Int { bytes, .. } => *bytes,
            fixed::Part::Array { bytes, len, .. } => bytes * len,
            fixed::Part::Struct { size, .. } => *size,
            fixed::Part::Pad(len) => *len,
        })
        .sum();
    assert_eq!(described, 1024, "every byte is a part");
    let inode = skipped.iter().find(|s| s.name == "Inode").expect("Inode is not fixed");
    assert!(!inode.why.is_empty());
}

#[test]
fn ext2_round_trips_are_proved_by_coq() {
    if !have_coqc() {
        return;
    }
    let output = coq::generate(&checked(&ext2()), "ext2", "ext2.ddsl");
    assert!(output.structs.len() >= 2);
    assert_eq!(output.code.matches("_round_trip : forall").count(), output.structs.len());
    assert_eq!(output.code.matches("\nQed.").count(), output.structs.len());
    assert!(!output.code.contains("Admitted"));
    let dir = scratch("ext2");
    if let Err(e) = make(&dir, &output.files()) {
        panic!("coqc rejects the round trips (in {}):\n{e}", dir.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_encoder_that_disagrees_with_its_decoder_fails_the_proof() {
    if !have_coqc() {
        return;
    }
    let output = coq::generate(&checked_text(SMALL), "small", "small.ddsl");
    let mut files = output.files();
    // Header's first field is 4 bytes; encode it as 2.
    let code = &mut files[0].1;
    let at = code.find("Definition Header_put").expect("Header_put");
    let broken = code[at..].replacen("put_le 4 f1", "put_le 2 f1", 1);
    assert_ne!(broken, code[at..]);
    code.replace_range(at.., &broken);
    let dir = scratch("broken");
    let error = make(&dir, &files).expect_err("Coq proved a wrong round trip");
    assert!(error.contains("small.v") && error.contains("get_le"), "the round-trip proof fails: {error}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_isabelle_layout_theory_is_structurally_sound() {
    let output = isabelle::generate(&checked(&ext2()), "ext2", "ext2.ddsl");
    let problems = check::check_session(&output.root, &[(output.theory.clone(), output.text.clone())], BASE_THEORIES);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(output.text.matches("_round_trip:").count(), output.structs.len());
    assert!(output.text.contains("record GroupDesc ="));
    // A reference to an undefined helper is caught.
    let broken = output.text.replacen("ddsl_put_arr 1", "ddsl_put_array 1", 1);
    let problems = check::check_session(&output.root, &[(output.theory.clone(), broken)], BASE_THEORIES);
    assert!(problems.iter().any(|p| p.message.contains("ddsl_put_array")), "{problems:?}");
}

#[test]
fn the_cli_writes_both() {
    let dir = scratch("cli");
    for emit in ["isabelle", "coq"] {
        let status = Command::new(env!("CARGO_BIN_EXE_ddsl"))
            .arg("gen")
            .arg(ext2())
            .args(["--emit", emit, "-o"])
            .arg(dir.join(emit))
            .status()
            .expect("ddsl runs");
        assert!(status.success(), "--emit {emit}");
    }
    assert!(dir.join("isabelle/ext2_Layout.thy").exists() && dir.join("isabelle/ROOT").exists());
    assert!(dir.join("coq/ext2.v").exists() && dir.join("coq/DdslBase.v").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

fn checked_text(text: &str) -> ddsl::check::Checked {
    let mut sources = SourceMap::new();
    let file = sources.add("small.ddsl".to_owned(), text.to_owned()).expect("small");
    let (checked, errors) = ddsl::check_text(file, text);
    assert!(errors.is_empty(), "{errors:?}");
    checked.expect("checked")
}

const SMALL: &str = "\
endian le;

struct Header size 16 {
  magic @ 0: u32 = 0xEF53;
  count @ 4: u16;
  pad 2;
  flags @ 8: [u8; 4];
  pad 4;
}

struct Outer {
  head: Header;
  total: u64;
}

struct Sized size count {
  count: u16;
}
";

#[test]
fn snapshot_of_the_theories_of_a_small_layout() {
    let checked = checked_text(SMALL);
    let isabelle = isabelle::generate(&checked, "small", "small.ddsl");
    let coq = coq::generate(&checked, "small", "small.ddsl");
    insta::assert_snapshot!(
        "gen_provers_small",
        format!("{SMALL}\n(* ---- Isabelle ---- *)\n{}\n(* ---- Coq ---- *)\n{}", isabelle.text, coq.code)
    );
}

#[test]
fn a_small_layouts_round_trips_are_proved_by_coq() {
    if !have_coqc() {
        return;
    }
    let output = coq::generate(&checked_text(SMALL), "small", "small.ddsl");
    assert_eq!(output.structs.keys().collect::<Vec<_>>(), ["Header", "Outer"]);
    assert_eq!(output.skipped.len(), 1, "Sized has a computed size");
    let dir = scratch("small");
    if let Err(e) = make(&dir, &output.files()) {
        panic!("coqc rejects the round trips (in {}):\n{e}", dir.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
