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
    /// Check FILE and translate it.
    ///
    /// `--emit core` prints the core IR every later stage consumes. With
    /// `-o DIR` the output goes to `DIR/<file stem>.core` instead of stdout.
    Build {
        /// A `.cdsl` source file.
        file: PathBuf,
        /// What to produce.
        #[arg(long, value_enum)]
        emit: Emit,
        /// Directory to write into (created if missing).
        #[arg(short = 'o', long = "out")]
        out: Option<PathBuf>,
    },
}

/// What `cdsl build` produces.
#[derive(Clone, Copy, ValueEnum)]
enum Emit {
    /// The core IR: monomorphic, patterns compiled to decision trees.
    Core,
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
        Command::Build { file, emit, out } => build(file, emit, out, colour),
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

fn build(file: PathBuf, emit: Emit, out: Option<PathBuf>, colour: Colour) -> ExitCode {
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
    let text = match emit {
        Emit::Core => cdsl::core::print::program(&cdsl::core::lower::lower(&typed)),
    };
    let Some(dir) = out else {
        let _ = std::io::stdout().write_all(text.as_bytes());
        return ExitCode::SUCCESS;
    };
    let stem = file.file_stem().map_or_else(|| "out".into(), |s| s.to_string_lossy().into_owned());
    let path = dir.join(format!("{stem}.core"));
    match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, text)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: cannot write `{}`: {e}", path.display());
            ExitCode::from(2)
        }
    }
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
