//! The random program generator (`common/progen.rs`) makes only well-typed
//! programs: each of `CDSL_PROGEN_CASES` programs (default 2,000) must parse,
//! print back to the same syntax tree, and type-check with no errors, and its
//! entry argument must be a well-typed literal. Every feature the generator
//! knows must show up in at least 5% of the programs.
//!
//! The programs are those of seeds `CDSL_PROGEN_SEED ..` (default 0), so a
//! failure names a seed that `progen::generate` reproduces.

#[path = "common/progen.rs"]
mod progen;

use cdsl::diagnostics::{render_to_string, Diagnostic};
use cdsl::source::SourceMap;
use cdsl::syntax::{erase, parse_module, pretty};
use progen::{Feature, GeneratedProgram};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Parses, round-trips and type-checks one program; a description of the
/// first problem otherwise.
fn check(p: &GeneratedProgram) -> Result<(), String> {
    let with_arg = format!("{}\nprogen_arg : {}\nprogen_arg = {}\n", p.source, p.arg_value_type, p.arg_value);
    let mut sources = SourceMap::new();
    let file = sources.add("generated.cdsl", with_arg.as_str()).map_err(|e| format!("{e:?}"))?;
    let (mut module, errors) = parse_module(file, sources.text(file));
    let report = |diagnostics: Vec<Diagnostic>, what: &str| {
        format!("seed {}: {what}\n{}\n{}", p.seed, numbered(&with_arg), render_to_string(&sources, &diagnostics))
    };
    if !errors.is_empty() {
        return Err(report(errors.iter().map(|e| e.to_diagnostic()).collect(), "syntax errors"));
    }
    if let Err(errors) = cdsl::typeck::check_program(&[&module]) {
        return Err(report(errors.iter().map(|e| e.to_diagnostic()).collect(), "type errors"));
    }
    erase::module(&mut module);
    let printed = pretty::module(&module);
    let mut sources2 = SourceMap::new();
    let file2 = sources2.add("printed.cdsl", printed.as_str()).map_err(|e| format!("{e:?}"))?;
    let (mut reparsed, errors) = parse_module(file2, sources2.text(file2));
    if !errors.is_empty() {
        let diagnostics: Vec<Diagnostic> = errors.iter().map(|e| e.to_diagnostic()).collect();
        return Err(format!(
            "seed {}: the printed program does not parse\n{printed}\n{}",
            p.seed,
            render_to_string(&sources2, &diagnostics)
        ));
    }
    erase::module(&mut reparsed);
    if reparsed != module {
        return Err(format!("seed {}: the printed program parses to a different tree\n{printed}", p.seed));
    }
    Ok(())
}

fn numbered(text: &str) -> String {
    text.lines().enumerate().map(|(i, l)| format!("{:4} {l}\n", i + 1)).collect()
}

/// What checking a range of seeds found.
#[derive(Default)]
struct Tally {
    counts: BTreeMap<Feature, u64>,
    failures: Vec<String>,
    lines: usize,
}

/// Checks every `stride`-th seed from `first` up to `end`.
fn check_seeds(first: u64, end: u64, stride: u64) -> Tally {
    let mut tally = Tally::default();
    let mut seed = first;
    while seed < end && tally.failures.len() < 3 {
        let p = progen::generate(seed);
        tally.lines += p.source.lines().count() - progen::PRELUDE.lines().count();
        for f in &p.features {
            *tally.counts.entry(*f).or_default() += 1;
        }
        if let Err(problem) = check(&p) {
            tally.failures.push(problem);
        }
        seed += stride;
    }
    tally
}

#[test]
fn generated_programs_are_well_typed_and_cover_every_feature() {
    let cases = env_number("CDSL_PROGEN_CASES", 2000);
    let base = env_number("CDSL_PROGEN_SEED", 0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8) as u64;
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            (0..threads).map(|t| scope.spawn(move || check_seeds(base + t, base + cases, threads))).collect();
        handles.into_iter().map(|h| h.join().expect("a checking thread panicked")).collect()
    });
    let mut total = Tally::default();
    for t in tallies {
        for (f, n) in t.counts {
            *total.counts.entry(f).or_default() += n;
        }
        total.failures.extend(t.failures);
        total.lines += t.lines;
    }
    assert!(
        total.failures.is_empty(),
        "{} generated programs failed:\n\n{}",
        total.failures.len(),
        total.failures.join("\n\n")
    );
    println!("{cases} programs, {:.1} lines each beside the prelude", total.lines as f64 / cases as f64);
    let mut thin = Vec::new();
    for f in progen::Feature::ALL {
        let n = total.counts.get(f).copied().unwrap_or(0);
        let share = 100.0 * n as f64 / cases as f64;
        println!("{:>20}: {n:5} ({share:.1}%)", format!("{f:?}"));
        if share < 5.0 {
            thin.push(format!("{f:?} ({share:.1}%)"));
        }
    }
    // A share means little on a handful of programs (a quick run with a
    // small CDSL_PROGEN_CASES).
    if cases >= 500 {
        assert!(thin.is_empty(), "features in fewer than 5% of programs: {}", thin.join(", "));
    } else {
        println!("(too few programs to check feature shares)");
    }
}

/// Programs with one deliberate linear-typing mistake (`progen::Mistake`)
/// must be rejected: for each kind, the first 25 seeds from
/// `CDSL_PROGEN_SEED` on which the generator managed to make it.
/// `CDSL_PROGEN_SHOW=1` prints the errors each got.
#[test]
fn programs_with_a_deliberate_mistake_are_rejected() {
    let base = env_number("CDSL_PROGEN_SEED", 0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8);
    let kinds: Vec<&[progen::Mistake]> =
        progen::Mistake::ALL.chunks(progen::Mistake::ALL.len().div_ceil(threads)).collect();
    let problems: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = kinds
            .into_iter()
            .map(|chunk| scope.spawn(move || chunk.iter().flat_map(|&m| check_mistake(m, base)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a checking thread panicked")).collect()
    });
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Checks mistake `m` on the first 25 seeds from `base` where it is made.
fn check_mistake(m: progen::Mistake, base: u64) -> Vec<String> {
    let mut problems = Vec::new();
    let mut found = 0;
    let mut seed = base;
    while found < 25 && seed < base + 4000 {
        if let Some(p) = progen::generate_with_mistake(seed, m) {
            found += 1;
            let mut sources = SourceMap::new();
            let file = sources.add("mistake.cdsl", p.source.as_str()).expect("a small file");
            let (module, errors) = parse_module(file, sources.text(file));
            if !errors.is_empty() {
                problems.push(format!("seed {seed}, {m:?}: syntax errors\n{}", numbered(&p.source)));
            }
            match cdsl::typeck::check_program(&[&module]) {
                Ok(_) if problems.len() < 3 => {
                    problems.push(format!("seed {seed}, {m:?}: an ill-typed program accepted\n{}", numbered(&p.source)))
                }
                Ok(_) => {}
                Err(errors) if std::env::var("CDSL_PROGEN_SHOW").is_ok() => {
                    let titles: Vec<String> = errors.iter().map(|e| e.to_diagnostic().title).collect();
                    println!("{m:?} seed {seed}: {}", titles.join(" / "));
                }
                Err(_) => {}
            }
        }
        seed += 1;
    }
    if found < 10 {
        problems.push(format!("the generator rarely manages to make {m:?} ({found} in 4000 seeds)"));
    }
    problems
}

/// `CDSL_PROGEN_DUMP=seed,seed,…` writes those programs to
/// `$TMPDIR/progen_<seed>.cdsl` (with the command to run it in a comment at the top),
/// to run or check by hand; without it, this does nothing.
#[test]
fn dump_requested_programs() {
    let Ok(seeds) = std::env::var("CDSL_PROGEN_DUMP") else { return };
    for seed in seeds.split(',').filter_map(|s| s.trim().parse::<u64>().ok()) {
        let p = progen::generate(seed);
        let path = std::env::temp_dir().join(format!("progen_{seed}.cdsl"));
        let text = format!("-- cdsl run progen_{seed}.cdsl --fn {} --arg '{}'\n{}", p.entry, p.arg, p.source);
        std::fs::write(&path, text).expect("writable temp dir");
        println!("wrote {}", path.display());
    }
}

/// The same seed gives the same program.
#[test]
fn generation_is_a_function_of_the_seed() {
    for seed in [0, 1, 77, u64::MAX] {
        assert_eq!(progen::generate(seed).source, progen::generate(seed).source);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// The strategy the engine-agreement test uses gives well-typed programs.
    #[test]
    fn the_strategy_gives_well_typed_programs(p in progen::program()) {
        if let Err(problem) = check(&p) {
            return Err(TestCaseError::fail(problem));
        }
    }
}
