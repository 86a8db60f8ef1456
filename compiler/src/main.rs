//! The `cdsl` command: parse and check CDSL programs.
//!
//! Exit status: 0 when every file is accepted, 1 when diagnostics were
//! reported, 2 on usage or I/O errors.
#![forbid(unsafe_code)]

use cdsl::diagnostics::{self, Colour, Diagnostic};
use cdsl::source::SourceMap;
use cdsl::syntax::{loader, pretty};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "cdsl", version, about = "The CDSL compiler: a linear-typed language for verifiable file systems")]
struct Cli {
    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColourChoice::Auto, global = true)]
    color: ColourChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse FILE (and what it includes) and print it back, pretty-printed.
    ///
    /// Only FILE itself is printed; `include` lines stay as they are.
    /// Comments are not kept. Syntax errors anywhere are reported and exit 1.
    Parse {
        /// A `.cdsl` source file.
        file: PathBuf,
    },
    /// Check each FILE and everything it includes.
    ///
    /// Parses and type-checks (linear types). Prints nothing and exits 0 when
    /// every file is well typed; otherwise prints every diagnostic on
    /// standard error and exits 1. Type checking runs only on files that
    /// parse.
    Check {
        /// One or more `.cdsl` source files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run a function of FILE on an argument and print the result.
    ///
    /// The argument is written in CDSL's literal syntax (words, `True`,
    /// tuples, `#{f = 1}`, `Some 3`, and `SysState` for the system state) at
    /// the function's parameter type. A runtime fault, a leak, or (with
    /// `--engine both`) a disagreement between the engines exits 1.
    Run {
        /// A `.cdsl` source file.
        file: PathBuf,
        /// The function to run (monomorphic, or an instance like `f[U32]`).
        #[arg(long = "fn")]
        function: String,
        /// Its argument, as a CDSL literal; `()` when omitted.
        #[arg(long, default_value = "()")]
        arg: String,
        /// The semantics to run under.
        #[arg(long, value_enum, default_value_t = Engine::Both)]
        engine: Engine,
        /// Evaluation steps allowed before giving up.
        #[arg(long, default_value_t = cdsl::interp::DEFAULT_FUEL)]
        fuel: u64,
        /// How the interpreters run bounded loops (`seq32`, `wordarray_map`,
        /// ...): compiled to native code where the step function allows, or
        /// every step interpreted.
        #[arg(long, value_enum, default_value_t = LoopsArg::Native)]
        loops: LoopsArg,
    },
    /// Check FILE and translate it.
    ///
    /// `--emit core` prints the core IR every later stage consumes; `--emit
    /// rust` one safe Rust module. With `-o DIR` the output goes to
    /// `DIR/<file stem>.core` (or `.rs`) instead of stdout.
    Build {
        /// A `.cdsl` source file.
        file: PathBuf,
        /// What to produce.
        #[arg(long, value_enum)]
        emit: Emit,
        /// Directory to write into (created if missing).
        #[arg(short = 'o', long = "out")]
        out: Option<PathBuf>,
        /// With `--emit rust`: the Rust module path (e.g. `crate::device`)
        /// holding your abstract types and the abstract functions the
        /// runtime lacks; they are then bound to it instead of panicking.
        #[arg(long, value_name = "PATH")]
        abstracts: Option<String>,
    },
}

/// Which semantics `cdsl run` uses.
#[derive(Clone, Copy, ValueEnum)]
enum Engine {
    /// Pure value semantics: what proofs reason about.
    Value,
    /// Update semantics: a checked heap with in-place updates.
    Update,
    /// Both, checking that they agree at every call.
    Both,
    /// Through the Rust backend: generated Rust compiled by `rustc` and run.
    Rust,
    /// Through the C backend: generated C compiled by `cc` and run.
    C,
}

/// How `cdsl run`'s interpreters run bounded loops.
#[derive(Clone, Copy, ValueEnum)]
enum LoopsArg {
    Native,
    Interpreted,
}

/// What `cdsl build` produces.
#[derive(Clone, Copy, ValueEnum)]
enum Emit {
    /// The core IR: monomorphic, patterns compiled to decision trees.
    Core,
    /// One safe Rust module (`<stem>.rs`), the native runtime included.
    Rust,
    /// One C99 file (`<stem>.c`); with `-o DIR` also its header (`<stem>.h`:
    /// types, functions, abstract functions to define) and the C runtime.
    C,
    /// A Coq shallow embedding: `DIR/<Module>.v`, `DIR/CdslBase.v` and a
    /// `Makefile` (`make -C DIR` type-checks them); needs `-o DIR`.
    Coq,
    /// An Isabelle/HOL session: `DIR/<M>_Types.thy`, `<M>_Shallow.thy`,
    /// `<M>_Obligations.thy` and a `ROOT` over the base session in
    /// `proofs/`; needs `-o DIR`.
    Isabelle,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColourChoice {
    /// Colour when standard error is a terminal.
    Auto,
    /// Never colour.
    Never,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let colour = match cli.color {
        ColourChoice::Auto => Colour::Auto,
        ColourChoice::Never => Colour::Never,
    };
    match cli.command {
        Command::Parse { file } => parse(file, colour),
        Command::Check { files } => check(files, colour),
        Command::Build { file, emit, out, abstracts } => build(file, emit, out, abstracts, colour),
        Command::Run { file, function, arg, engine, fuel, loops } => {
            let loops = match loops {
                LoopsArg::Native => cdsl::interp::engines::Loops::Native,
                LoopsArg::Interpreted => cdsl::interp::engines::Loops::Interpreted,
            };
            run(&file, &function, &arg, engine, (fuel, loops), colour)
        }
    }
}

fn parse(file: PathBuf, colour: Colour) -> ExitCode {
    let mut sources = SourceMap::new();
    let (program, errors) = match loader::load(&mut sources, &file) {
        Ok(loaded) => loaded,
        Err(e) => return io_error(&e),
    };
    if !errors.is_empty() {
        return report(&sources, errors.iter().map(|e| e.to_diagnostic()).collect(), colour);
    }
    // A closed pipe (`cdsl parse f | head`) is not an error worth a panic.
    let _ = std::io::stdout().write_all(pretty::module(&program.modules[0].module).as_bytes());
    ExitCode::SUCCESS
}

fn check(files: Vec<PathBuf>, colour: Colour) -> ExitCode {
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    for file in &files {
        match loader::load(&mut sources, file) {
            Ok((program, errors)) if errors.is_empty() => {
                if let Err(errors) = cdsl::typeck::check_loaded(&program) {
                    diagnostics.extend(errors.iter().map(|e| e.to_diagnostic()));
                }
            }
            Ok((_, errors)) => diagnostics.extend(errors.iter().map(|e| e.to_diagnostic())),
            Err(e) => return io_error(&e),
        }
    }
    if diagnostics.is_empty() {
        ExitCode::SUCCESS
    } else {
        report(&sources, diagnostics, colour)
    }
}

/// Parses and checks a program, reporting diagnostics on failure.
fn load_checked(file: &std::path::Path, colour: Colour) -> Result<cdsl::typeck::typed::Program, ExitCode> {
    let mut sources = SourceMap::new();
    let (program, errors) = loader::load(&mut sources, file).map_err(|e| io_error(&e))?;
    if !errors.is_empty() {
        return Err(report(&sources, errors.iter().map(|e| e.to_diagnostic()).collect(), colour));
    }
    cdsl::typeck::check_loaded(&program)
        .map_err(|errors| report(&sources, errors.iter().map(|e| e.to_diagnostic()).collect(), colour))
}

fn run(
    file: &std::path::Path,
    function: &str,
    arg: &str,
    engine: Engine,
    (fuel, loops): (u64, cdsl::interp::engines::Loops),
    colour: Colour,
) -> ExitCode {
    use cdsl::interp::engines;
    let typed = match load_checked(file, colour) {
        Ok(typed) => typed,
        Err(code) => return code,
    };
    let core = cdsl::core::lower::lower(&typed);
    let Some(entry) = core.functions.get(function) else {
        let _ = writeln!(
            std::io::stderr(),
            "error: no monomorphic function `{function}` in `{}` (a polymorphic one is run as an instance, e.g. `{function}[U32]`, once it is used at that type)",
            file.display()
        );
        return ExitCode::from(2);
    };
    let param_ty = entry.param.as_ref().map_or(cdsl::typeck::types::Ty::Unit, |(_, t)| t.clone());
    let value = match cdsl::interp::literal::parse(arg, &param_ty) {
        Ok(value) => value,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "error: bad --arg: {message}");
            return ExitCode::from(2);
        }
    };
    let library = cdsl_runtime::Library::default();
    let outcome = match engine {
        Engine::Rust => {
            return match cdsl::backend::rust::engine::run(&core, function, &value) {
                Ok(result) => {
                    let _ = writeln!(std::io::stdout(), "{result}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    let _ = writeln!(std::io::stderr(), "error: {error}");
                    ExitCode::from(1)
                }
            };
        }
        Engine::C => {
            return match cdsl::backend::c::engine::run(&core, function, &value) {
                Ok(result) => {
                    let _ = writeln!(std::io::stdout(), "{result}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    let _ = writeln!(std::io::stderr(), "error: {error}");
                    ExitCode::from(1)
                }
            };
        }
        Engine::Value => engines::Run::new(&core, &library).loops(loops).fuel(fuel).value(function, value),
        Engine::Update => engines::Run::new(&core, &library).loops(loops).fuel(fuel).update(function, value),
        Engine::Both => match engines::run_both(&core, &library, function, value, fuel) {
            engines::Agreement::Agree(v) => Ok(v),
            engines::Agreement::BothFailed(e) => Err(e),
            engines::Agreement::OneFailed { engine, error } => {
                let _ = writeln!(std::io::stderr(), "error: only the {engine} engine failed: {error}");
                return ExitCode::from(1);
            }
            engines::Agreement::Diverge { path, value, update } => {
                let _ = writeln!(
                    std::io::stderr(),
                    "error: the engines disagree at {}: value semantics gave {value}, update semantics {update}",
                    path.join(" → ")
                );
                return ExitCode::from(1);
            }
            engines::Agreement::NativeLoopsDiffer { engine, interpreted, native } => {
                let _ = writeln!(
                    std::io::stderr(),
                    "error: {engine} semantics gave {interpreted} interpreting loops, but {native} with native loops"
                );
                return ExitCode::from(1);
            }
        },
    };
    match outcome {
        Ok(result) => {
            let _ = writeln!(std::io::stdout(), "{result}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: {error}");
            ExitCode::from(1)
        }
    }
}

fn build(file: PathBuf, emit: Emit, out: Option<PathBuf>, abstracts: Option<String>, colour: Colour) -> ExitCode {
    let mut sources = SourceMap::new();
    let (program, errors) = match loader::load(&mut sources, &file) {
        Ok(loaded) => loaded,
        Err(e) => return io_error(&e),
    };
    if !errors.is_empty() {
        return report(&sources, errors.iter().map(|e| e.to_diagnostic()).collect(), colour);
    }
    let typed = match cdsl::typeck::check_loaded(&program) {
        Ok(typed) => typed,
        Err(errors) => return report(&sources, errors.iter().map(|e| e.to_diagnostic()).collect(), colour),
    };
    if let Emit::Coq | Emit::Isabelle = emit {
        return build_prover(&file, &cdsl::core::lower::lower(&typed), emit, out);
    }
    // Files written beside the output (with `-o DIR`).
    let mut extra: Vec<(String, String)> = Vec::new();
    let (text, extension) = match emit {
        Emit::Coq | Emit::Isabelle => unreachable!("bug: handled above"),
        Emit::Core => (cdsl::core::print::program(&cdsl::core::lower::lower(&typed)), "core"),
        Emit::Rust => {
            use cdsl::backend::rust;
            let core = cdsl::core::lower::lower(&typed);
            let options = rust::Options { link: rust::RuntimeLink::Inline, abstracts };
            match rust::generate_with(&core, Some(&sources), &options) {
                Ok(output) => {
                    for warning in &output.warnings {
                        let _ = writeln!(std::io::stderr(), "warning: {warning}");
                    }
                    (output.code, "rs")
                }
                Err(error) => {
                    let _ = writeln!(std::io::stderr(), "error: {error}");
                    return ExitCode::from(1);
                }
            }
        }
        Emit::C => {
            use cdsl::backend::c;
            let core = cdsl::core::lower::lower(&typed);
            // Written to a directory, the types and declarations go to a
            // header `<stem>.h` beside the unit, for the user's C.
            let header = out.as_ref().map(|_| stem(&file));
            let options = c::Options { user_abstracts: true, header, ..c::Options::default() };
            match c::generate(&core, Some(&sources), &options) {
                Ok(output) => {
                    for warning in &output.warnings {
                        let _ = writeln!(std::io::stderr(), "warning: {warning}");
                    }
                    if let Some(header) = output.header {
                        extra.push((format!("{}.h", stem(&file)), header));
                    }
                    (output.code, "c")
                }
                Err(error) => {
                    let _ = writeln!(std::io::stderr(), "error: {error}");
                    return ExitCode::from(1);
                }
            }
        }
    };
    let Some(dir) = out else {
        let _ = std::io::stdout().write_all(text.as_bytes());
        return ExitCode::SUCCESS;
    };
    let path = dir.join(format!("{}.{extension}", stem(&file)));
    // Generated C includes the C runtime, written beside it.
    if extension == "c" {
        extra.push(("cdsl_runtime.h".to_owned(), cdsl::backend::c::RUNTIME_H.to_owned()));
        extra.push(("cdsl_runtime.c".to_owned(), cdsl::backend::c::RUNTIME_C.to_owned()));
    }
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| extra.iter().try_for_each(|(name, text)| std::fs::write(dir.join(name), text)))
        .and_then(|()| std::fs::write(&path, text));
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: cannot write `{}`: {e}", path.display());
            ExitCode::from(2)
        }
    }
}

/// The file name of `file` without its extension (`out` if it has none).
fn stem(file: &std::path::Path) -> String {
    file.file_stem().map_or_else(|| "out".into(), |s| s.to_string_lossy().into_owned())
}

/// `--emit coq|isabelle`: several files, so a directory is required.
fn build_prover(file: &std::path::Path, core: &cdsl::core::ir::Program, emit: Emit, out: Option<PathBuf>) -> ExitCode {
    use cdsl::backend::{coq, isabelle};
    let what = if let Emit::Coq = emit { "coq" } else { "isabelle" };
    let Some(dir) = out else {
        let _ =
            writeln!(std::io::stderr(), "error: `--emit {what}` writes several files; give a directory with `-o DIR`");
        return ExitCode::from(2);
    };
    let stem = file.file_stem().map_or_else(|| "out".into(), |s| s.to_string_lossy().into_owned());
    let module = coq::module_name(&stem);
    let files = match emit {
        Emit::Coq => coq::generate(core, &module).map(|o| o.files()).map_err(|e| e.to_string()),
        _ => isabelle::generate(core, &module).map(|o| o.files()).map_err(|e| e.to_string()),
    };
    let files = match files {
        Ok(files) => files,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: {error}");
            return ExitCode::from(1);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        let _ = writeln!(std::io::stderr(), "error: cannot create `{}`: {e}", dir.display());
        return ExitCode::from(2);
    }
    for (name, text) in files {
        let path = dir.join(name);
        if let Err(e) = std::fs::write(&path, text) {
            let _ = writeln!(std::io::stderr(), "error: cannot write `{}`: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

fn report(sources: &SourceMap, diagnostics: Vec<Diagnostic>, colour: Colour) -> ExitCode {
    diagnostics::print(sources, &diagnostics, colour);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        let _ = writeln!(std::io::stderr(), "error: {errors} error{} found", if errors == 1 { "" } else { "s" });
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn io_error(e: &loader::RootUnreadable) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "error: cannot read `{}`: {}", e.path.display(), e.reason);
    ExitCode::from(2)
}
