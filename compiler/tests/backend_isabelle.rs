//! The Isabelle backend. Isabelle is not installable here, so the
//! generated sessions are checked structurally (`isabelle::check`, the
//! checker `cdsl-thycheck` and `make proofs` run): every corpus program and
//! 300 generated programs translate and pass; deliberately broken sessions
//! do not; the base theories in `proofs/` are balanced and in ROOT order;
//! tricky names come out renamed as documented; a local's name does not
//! change when an unrelated global of that name is added (in Isabelle and
//! in Coq); snapshots pin the theories of two small programs.

#[path = "common/progen.rs"]
mod progen;

#[path = "common/programs.rs"]
mod programs;

#[path = "common/hol_eval.rs"]
mod hol_eval;

use cdsl::backend::isabelle::{self, check};
use cdsl::backend::{coq, prover};
use cdsl::core::{ir, lower};
use cdsl::interp::Interpreter;
use cdsl::source::SourceMap;
use cdsl::typeck::types::Ty;
use cdsl_runtime::{Library, Value, ValueStore};
use programs::{cdsl_files_in, manifest};
use std::process::Command;

fn core_of(name: &str, source: &str) -> ir::Program {
    let mut sources = SourceMap::new();
    let file = sources.add(format!("{name}.cdsl"), source).expect("small");
    let (module, errors) = cdsl::syntax::parse_module(file, sources.text(file));
    assert!(errors.is_empty(), "{errors:?}");
    lower::lower(&cdsl::typeck::check_program(&[&module]).expect("well typed"))
}

fn problems(output: &isabelle::Output) -> Vec<check::Problem> {
    check::check_session(&output.root, &output.theories, isabelle::BASE_THEORIES)
}

/// The corpora whose programs have functions worth running: the
/// benchmarks, the examples (ext2 included) and the passing test programs.
const PROGRAMS: &[&str] = &[
    "benches/engines",
    "../fs-examples/cdsl",
    "../fs-examples/ext2",
    "tests/backend_rust",
    "tests/backend_coq",
    "tests/typing/pass",
];

#[test]
fn every_corpus_program_translates_and_is_structurally_sound() {
    let files = cdsl_files_in(&[PROGRAMS, &["tests/syntax/pass"]].concat());
    let (mut sessions, mut obligations) = (0, 0);
    for path in files {
        let Some((_, core)) = programs::load(&path) else { continue };
        let stem = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        let output =
            isabelle::generate(&core, &coq::module_name(&stem)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let found = problems(&output);
        assert!(
            found.is_empty(),
            "{}:\n{}",
            path.display(),
            found.iter().map(|p| format!("{p}\n")).collect::<String>()
        );
        assert_eq!(output.obligations, 2 * core.functions.len());
        sessions += 1;
        obligations += output.obligations;
    }
    assert!(sessions >= 100, "only {sessions} programs");
    println!("{sessions} sessions structurally sound, {obligations} obligations");
}

#[test]
fn generated_programs_translate_and_are_structurally_sound() {
    let (mut untranslatable, mut evaluated) = (Vec::new(), 0);
    for seed in 0..300u64 {
        let program = progen::generate(seed);
        let core = core_of("generated", &program.source);
        match isabelle::generate(&core, &format!("Seed{seed}")) {
            Ok(output) => {
                let found = problems(&output);
                assert!(found.is_empty(), "seed {seed}: {found:?}\n{}", program.source);
                evaluated += usize::from(entry_agrees(&core, &output, &program.entry, &program.arg, seed));
            }
            // As in the Coq backend: an `if` the core IR types narrower than
            // one of its branches cannot be narrowed. Counted and bounded.
            Err(isabelle::IsabelleError::Unsupported(e)) => untranslatable.push(format!("seed {seed}: {e}")),
            Err(e) => panic!("seed {seed}: {e}\n{}", program.source),
        }
    }
    assert!(untranslatable.len() <= 10, "{}", untranslatable.join("\n"));
    assert!(evaluated >= 150, "only {evaluated} entries evaluated");
    println!("{evaluated} generated entries evaluate in HOL as the value interpreter computes");
}

/// Evaluates a generated program's entry in HOL (`common/hol_eval.rs`) and
/// asserts it equals the value interpreter's result; `false` when there is
/// nothing to compare (an abstract function reached, a value HOL lacks).
fn entry_agrees(core: &ir::Program, output: &isabelle::Output, entry: &str, arg: &str, seed: u64) -> bool {
    if reaches_abstract(core, output, entry) {
        return false;
    }
    let function = &core.functions[entry];
    let param = function.param.as_ref().map_or(Ty::Unit, |(_, t)| t.clone());
    let arg = cdsl::interp::literal::parse(arg, &param).expect("the generator's argument parses");
    let Ok(expected) =
        Interpreter::new(core, &Library::default()).with_fuel(200_000).call(entry, arg.clone(), &mut ValueStore)
    else {
        return false;
    };
    let (Some(arg), Some(expected)) =
        (to_val(&arg, &param, &output.types), to_val(&expected, &function.result, &output.types))
    else {
        return false;
    };
    let mut eval = hol_eval::Eval { globals: globals(output), types: &output.types, steps: 0 };
    let f = eval.eval(&hol_eval::Term::Name(output.names[entry].clone()), &std::rc::Rc::new(Default::default()));
    let got = f.and_then(|f| if function.param.is_some() { eval.apply_value(f, arg) } else { Ok(f) });
    let got = got.unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    assert!(
        hol_eval::same(&got, &expected).unwrap_or(false),
        "seed {seed}: HOL gives {got:?}, the interpreter {expected:?}"
    );
    true
}

/// A small session to break.
fn sample_session() -> isabelle::Output {
    let core = programs::load(&manifest().join("tests/backend_coq/names.cdsl")).expect("names.cdsl").1;
    isabelle::generate(&core, "names").expect("translates")
}

fn broken(edit: impl Fn(&mut isabelle::Output)) -> Vec<String> {
    let mut output = sample_session();
    assert!(problems(&output).is_empty(), "the unbroken session is sound");
    edit(&mut output);
    problems(&output).iter().map(|p| p.message.clone()).collect()
}

fn replace_in(output: &mut isabelle::Output, theory: &str, from: &str, to: &str) {
    let (_, text) = output.theories.iter_mut().find(|(n, _)| n.ends_with(theory)).expect("theory");
    assert!(text.contains(from), "`{from}` not in {theory}");
    *text = text.replacen(from, to, 1);
}

/// A way to break a session.
type Edit = Box<dyn Fn(&mut isabelle::Output)>;

#[test]
fn broken_sessions_are_rejected() {
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "an undefined constant",
            Box::new(|o| replace_in(o, "_Shallow", "(x' x) + (end_u x)", "(x' x) + (end_v x)")),
            "`end_v`",
        ),
        (
            "a definition removed",
            Box::new(|o| replace_in(o, "_Shallow", "definition end_u ::", "definition end_w ::")),
            "`end_u`",
        ),
        (
            "a datatype renamed",
            Box::new(|o| replace_in(o, "_Types", "datatype ('a1, 'a2) V_Leaf_Node", "datatype ('a1, 'a2) V_Leaf_Nod")),
            "case_V_Leaf_Node",
        ),
        ("a record field renamed", Box::new(|o| replace_in(o, "_Types", "with' :: ", "wth' :: ")), "R_with_end.with'"),
        (
            "an unbalanced quote",
            Box::new(|o| replace_in(o, "_Shallow", "\"(32 word) => (32 word)\"", "\"(32 word) => (32 word)")),
            "string",
        ),
        (
            "an unclosed cartouche",
            Box::new(|o| replace_in(o, "_Shallow", "text \\<open>tt\\<close>", "text \\<open>tt")),
            "cartouche",
        ),
        (
            "a stray close",
            Box::new(|o| replace_in(o, "_Shallow", "text \\<open>tt\\<close>", "text tt\\<close>")),
            "\\<close>",
        ),
        (
            "an unbalanced bracket",
            Box::new(|o| replace_in(o, "_Shallow", "(x'' + (1 :: (32 word)))", "(x'' + (1 :: (32 word))")),
            "unclosed",
        ),
        (
            "an unterminated comment",
            Box::new(|o| replace_in(o, "_Types", "(* Generated", "(* (* Generated")),
            "comment",
        ),
        (
            "ROOT out of order",
            Box::new(|o| o.root = o.root.replace("names_Types\n    names_Shallow", "names_Shallow\n    names_Types")),
            "not a theory listed before",
        ),
        (
            "a theory missing from ROOT",
            Box::new(|o| o.root = o.root.replace("    names_Obligations\n", "")),
            "not listed in ROOT",
        ),
        (
            "a misnamed theory",
            Box::new(|o| replace_in(o, "_Types", "theory names_Types", "theory names_Typs")),
            "in a file named",
        ),
        (
            "an unknown import",
            Box::new(|o| replace_in(o, "_Shallow", "imports names_Types", "imports names_Type")),
            "import",
        ),
        (
            "an unknown locale",
            Box::new(|o| replace_in(o, "_Obligations", "(in c_refinement) tt_", "(in c_refinemen) tt_")),
            "locale",
        ),
        (
            "a definition twice",
            Box::new(|o| replace_in(o, "_Shallow", "definition tt ::", "definition x' ::")),
            "constant `x'` declared twice",
        ),
        (
            "a lemma twice",
            Box::new(|o| replace_in(o, "_Obligations", "lemma tt_corres:", "lemma x'_corres:")),
            "fact `x'_corres`",
        ),
        ("no end", Box::new(|o| replace_in(o, "_Types", "\nend\n", "\n")), "`end`"),
    ];
    for (what, edit, expected) in cases {
        let found = broken(edit);
        assert!(
            found.iter().any(|m| m.contains(expected)),
            "{what}: expected a problem mentioning {expected:?}, got {found:?}"
        );
    }
}

#[test]
fn the_base_theories_are_balanced_and_in_root_order() {
    let dir = manifest().join("../proofs");
    let root = std::fs::read_to_string(dir.join("ROOT")).expect("proofs/ROOT");
    let theories: Vec<(String, String)> =
        isabelle::BASE_THEORIES.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
    for (name, text) in &theories {
        let on_disk = std::fs::read_to_string(dir.join(format!("{name}.thy"))).expect("theory file");
        assert_eq!(&on_disk, text, "{name}.thy differs from the compiled-in copy");
    }
    assert_eq!(check::check_structure(&root, &theories), vec![]);
    let listed: Vec<String> = check::root_theories(&root).into_iter().map(|(n, _)| n).collect();
    assert_eq!(listed, ["CdslTypes", "CdslValue", "CdslUpdate", "CdslCorres", "CdslRefine"]);
    // Generated names never take a base theory's: each declared name is reserved.
    for (name, text) in &theories {
        for declared in check::declarations(text).names {
            let plain = declared.rsplit('.').next().unwrap_or(&declared);
            assert!(
                !isabelle::names::RULES.usable(plain) || plain.starts_with("cdsl_"),
                "`{plain}` ({name}) is not reserved"
            );
        }
    }
}

#[test]
fn tricky_names_survive_isabelle() {
    let output = sample_session();
    let names = &output.names;
    assert_eq!(names["fun"], "fun'", "an Isabelle keyword");
    assert_eq!(names["match"], "match", "a Coq keyword that Isabelle allows");
    assert_eq!(names["end_"], "end_u", "a trailing underscore");
    assert_eq!(names["x_"], "x_u");
    assert_eq!(names["x'"], "x'", "a prime");
    assert_eq!(names["definition"], "definition'");
    assert_eq!(names["cdsl_add"], "ucdsl_add");
    let types = &output.theories[0].1;
    // The type and the constructor both called `Node` are apart: the
    // datatype is named from its shape, the constructor stays `Node`.
    assert!(types.contains("datatype ('a1, 'a2) V_Leaf_Node =\n    Leaf \"'a1\"\n  | Node \"'a2\""), "{types}");
    assert!(types.contains("typedecl Type"));
    assert!(types.contains("with' :: \"'a1\"") && types.contains("end' :: \"'a2\""), "fields named by keywords");
    assert_eq!(isabelle::generate(&sample_session_core(), "names").expect("translates").theories, output.theories);
}

fn sample_session_core() -> ir::Program {
    programs::load(&manifest().join("tests/backend_coq/names.cdsl")).expect("names.cdsl").1
}

/// The definition of `name` in a generated text (Isabelle or Coq).
fn definition_of(text: &str, header: &str) -> String {
    let start = text.find(header).unwrap_or_else(|| panic!("no `{header}` in\n{text}"));
    let rest = &text[start..];
    rest[..rest.find("\n\n").unwrap_or(rest.len())].to_owned()
}

#[test]
fn adding_an_unrelated_global_renames_no_local() {
    let before = "\
double : U32 -> U32
double total = let acc = total + total in acc

keep : U8 -> U8
keep n = n
";
    // `total` and `acc` become globals too, unrelated to `double`.
    let after = format!("{before}\ntotal : U8 -> U8\ntotal x = x\n\nacc : () -> U32\nacc () = 1\n");
    let (old, new) = (core_of("m", before), core_of("m", &after));
    let isabelle_text = |core: &ir::Program| isabelle::generate(core, "m").expect("translates").theories[1].1.clone();
    let coq_text = |core: &ir::Program| coq::generate(core, "m").expect("translates").code;
    assert_eq!(
        definition_of(&isabelle_text(&old), "definition double"),
        definition_of(&isabelle_text(&new), "definition double")
    );
    assert!(definition_of(&isabelle_text(&new), "definition double").contains("%total. (let acc ="));
    assert_eq!(
        definition_of(&coq_text(&old), "Definition double"),
        definition_of(&coq_text(&new), "Definition double")
    );
    assert!(definition_of(&coq_text(&new), "Definition double").contains("(total : N)"));
    // A global the function does use is still avoided.
    let calls = core_of(
        "m",
        "total : U8 -> U8\ntotal x = x\n\nf : U8 -> U8\nf total = total + total\n\ng : U8 -> U8\ng x = total x\n",
    );
    let text = isabelle_text(&calls);
    assert!(definition_of(&text, "definition g").contains("total x"));
    let globals = prover::referenced_globals(
        &calls.functions["g"],
        &[("total".to_owned(), "total".to_owned())].into(),
        &Default::default(),
    );
    assert!(globals.contains("total"));
}

#[test]
fn build_emit_isabelle_writes_a_session_that_thycheck_accepts() {
    let dir = cdsl_test_support::scratch("cdsl-isabelle-cli", "session");
    let cdsl = env!("CARGO_BIN_EXE_cdsl");
    let status = Command::new(cdsl)
        .args(["build", "--emit", "isabelle", "-o"])
        .arg(&dir)
        .arg(manifest().join("../fs-examples/cdsl/bitmap_alloc.cdsl"))
        .status()
        .expect("cdsl runs");
    assert!(status.success());
    for name in ["ROOT", "bitmap_alloc_Types.thy", "bitmap_alloc_Shallow.thy", "bitmap_alloc_Obligations.thy"] {
        assert!(dir.join(name).exists(), "{name} not written");
    }
    let thycheck = env!("CARGO_BIN_EXE_cdsl-thycheck");
    let ok = Command::new(thycheck).arg(&dir).output().expect("cdsl-thycheck runs");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    // Break it on disk: the checker fails, naming file and line.
    let shallow = dir.join("bitmap_alloc_Shallow.thy");
    let text = std::fs::read_to_string(&shallow).expect("read");
    std::fs::write(&shallow, text.replacen("cdsl_shr", "cdsl_shrr", 1)).expect("write");
    let bad = Command::new(thycheck).arg(&dir).output().expect("cdsl-thycheck runs");
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stdout).contains("bitmap_alloc_Shallow.thy:"),
        "{}",
        String::from_utf8_lossy(&bad.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
    let no_dir = Command::new(cdsl)
        .args(["build", "--emit", "isabelle"])
        .arg(manifest().join("../fs-examples/cdsl/bitmap_alloc.cdsl"))
        .output()
        .expect("cdsl runs");
    assert_eq!(no_dir.status.code(), Some(2));
}

fn snapshot(name: &str, source: &str) -> String {
    let output = isabelle::generate(&core_of(name, source), name).expect("translates");
    let mut text = format!("{source}\n(* ---- generated Isabelle ---- *)\n");
    for (file, body) in output.files() {
        text.push_str(&format!("\n(* ==== {file} ==== *)\n{body}"));
    }
    text
}

#[test]
fn snapshot_of_a_boxed_record_update() {
    let source = include_str!("backend_snapshots/grow.cdsl");
    insta::assert_snapshot!("backend_isabelle_grow", snapshot("grow", source));
}

#[test]
fn snapshot_of_a_polymorphic_instance_and_a_match() {
    let source = include_str!("backend_snapshots/first.cdsl");
    insta::assert_snapshot!("backend_isabelle_first", snapshot("first", source));
}

#[test]
fn isabelle_keywords_and_hol_names_are_renamed() {
    let core = programs::load(&manifest().join("tests/backend_coq/names_isabelle.cdsl")).expect("type-checks").1;
    let output = isabelle::generate(&core, "names_isabelle").expect("translates");
    assert!(problems(&output).is_empty());
    let names = &output.names;
    for (cdsl, hol) in [
        ("where", "where'"),
        ("lemma", "lemma'"),
        ("datatype", "datatype'"),
        ("id", "id'"),
        ("size", "size'"),
        ("map_", "map_u"),
        ("a__b", "a_u_b"),
        ("of'", "of'"),
    ] {
        assert_eq!(names[cdsl], hol, "{cdsl}");
    }
    let types = &output.theories[0].1;
    assert!(types.contains("Some' \"'a1\"\n  | Suc' \"'a2\"\n  | Tree \"'a3\""), "{types}");
    assert!(types.contains("where' :: \"'a1\"\n  case' :: \"'a2\"\n  o' :: \"'a3\""), "{types}");
    // Coq keeps what it can: its rules differ, each prover's names are its own.
    let coq_names = coq::generate(&core, "names_isabelle").expect("translates").names;
    assert_eq!(coq_names["where"], "where_");
    assert_eq!(coq_names["map_"], "map_");
    assert_eq!(coq_names["lemma"], "lemma");
}

/// A runtime value as the evaluator's, at CDSL type `ty`; `None` for
/// what the shallow embedding has no value for here (arrays, functions).
fn to_val(value: &Value, ty: &Ty, types: &isabelle::types::Types) -> Option<hol_eval::Val> {
    use hol_eval::Val;
    Some(match (value, ty) {
        (Value::Word { bits, value }, _) => Val::Word(u32::from(*bits), *value),
        (Value::Bool(b), _) => Val::Bool(*b),
        (Value::Str(s), _) => Val::Str(s.to_string()),
        (Value::Unit, _) | (Value::SysState, _) => Val::Unit,
        (Value::Tuple(items), Ty::Tuple(tys)) => {
            Val::Tuple(items.iter().zip(tys.iter()).map(|(v, t)| to_val(v, t, types)).collect::<Option<_>>()?)
        }
        (Value::Record(fields), Ty::Record { .. }) if fields.is_empty() => Val::Unit,
        (Value::Record(fields), Ty::Record { fields: tys, .. }) => {
            let decl = types.record(ty).ok()?;
            let values = fields
                .iter()
                .zip(tys.iter())
                .map(|((_, v), (_, f))| to_val(v.as_ref()?, &f.ty, types))
                .collect::<Option<_>>()?;
            Val::Record(decl.name.clone(), values)
        }
        (Value::Array(items), Ty::Abstract { args, .. }) if args.len() == 1 => {
            Val::List(items.iter().map(|v| to_val(v, &args[0], types)).collect::<Option<_>>()?)
        }
        (Value::Variant(tag, payload), Ty::Variant(alts)) => {
            let index = alts.keys().position(|t| **t == **tag)?;
            Val::Ctor(index, Box::new(to_val(payload, alts.get(tag)?, types)?))
        }
        _ => return None,
    })
}

/// Whether a function reaches an abstract function with no model in the
/// shallow theory's locale (whose text is given).
fn reaches_abstract(core: &ir::Program, output: &isabelle::Output, name: &str) -> bool {
    let Some(function) = core.functions.get(name) else { return false };
    let modelled = || output.theories[1].1.contains(&format!("{}_model: ", output.names[name]));
    (function.body.is_none() && !modelled())
        || prover::callees(function).iter().any(|c| reaches_abstract(core, output, c))
}

/// The shallow definitions and the runtime models, for evaluation.
fn globals(output: &isabelle::Output) -> std::collections::HashMap<String, hol_eval::Term> {
    let shallow = &output.theories[1].1;
    let mut globals = hol_eval::definitions(shallow).unwrap_or_else(|e| panic!("the shallow theory: {e}"));
    globals.extend(hol_eval::models(shallow).unwrap_or_else(|e| panic!("the runtime models: {e}")));
    globals
}

/// The shallow HOL definitions, parsed back and evaluated
/// (`common/hol_eval.rs`), compute what the value interpreter computes.
#[test]
fn shallow_definitions_evaluate_as_the_value_interpreter() {
    let files = cdsl_files_in(PROGRAMS);
    let library = Library::default();
    let mut compared = 0;
    for path in files {
        let Some((_, core)) = programs::load(&path) else { continue };
        let output = isabelle::generate(&core, "m").expect("translates");
        let definitions = globals(&output);
        for (function, arg) in programs::runs_of(&path, &core) {
            if reaches_abstract(&core, &output, &function) {
                continue;
            }
            let entry = &core.functions[&function];
            let Ok(expected) =
                Interpreter::new(&core, &library).with_fuel(200_000).call(&function, arg.clone(), &mut ValueStore)
            else {
                continue;
            };
            let param = entry.param.as_ref().map_or(Ty::Unit, |(_, t)| t.clone());
            let (Some(arg_val), Some(expected_val)) =
                (to_val(&arg, &param, &output.types), to_val(&expected, &entry.result, &output.types))
            else {
                continue;
            };
            let mut eval = hol_eval::Eval { globals: definitions.clone(), types: &output.types, steps: 0 };
            let env = std::rc::Rc::new(Default::default());
            let name = hol_eval::Term::Name(output.names[&function].clone());
            let got = eval.eval(&name, &env).and_then(|f| match entry.param {
                Some(_) => eval.apply_value(f, arg_val),
                None => Ok(f),
            });
            let got = got.unwrap_or_else(|e| panic!("{}: {function} {arg}: {e}", path.display()));
            assert!(
                hol_eval::same(&got, &expected_val).unwrap_or(false),
                "{}: {function} {arg}: HOL gives {got:?}, the interpreter {expected}",
                path.display()
            );
            compared += 1;
        }
    }
    assert!(compared >= 300, "only {compared} runs compared");
    println!("{compared} shallow HOL evaluations equal the value interpreter's");
}

/// The evaluation is not vacuous: a shallow definition changed by one
/// literal computes something else, and the comparison sees it.
#[test]
fn a_wrong_shallow_definition_evaluates_differently() {
    let core = sample_session_core();
    let output = isabelle::generate(&core, "names").expect("translates");
    let shallow = &output.theories[1].1;
    let run = |text: &str| -> hol_eval::Val {
        let definitions = hol_eval::definitions(text).expect("parses back");
        let mut eval = hol_eval::Eval { globals: definitions, types: &output.types, steps: 0 };
        let f = eval.eval(&hol_eval::Term::Name("x'".into()), &std::rc::Rc::new(Default::default())).expect("x'");
        eval.apply_value(f, hol_eval::Val::Word(32, 2)).expect("x' 2")
    };
    let expected = hol_eval::Val::Word(32, 3);
    assert!(hol_eval::same(&run(shallow), &expected).expect("words"), "x' 2 = 3");
    let wrong = shallow.replacen("(x'' + (1 :: (32 word)))", "(x'' + (2 :: (32 word)))", 1);
    assert_ne!(&wrong, shallow);
    assert!(!hol_eval::same(&run(&wrong), &expected).expect("words"), "the changed definition still gives 3");
}
