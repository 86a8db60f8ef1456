//! The `ddsl` command: check layout descriptions and decode images with them.
//!
//! Exit status: 0 when everything is accepted (`check`) or decodes without
//! faults (`dump`), 1 when diagnostics or faults were reported, 2 on usage or
//! I/O errors and for subcommands that are not implemented yet.
#![forbid(unsafe_code)]

use cdsl::diagnostics::{self, Colour, Diagnostic};
use cdsl::source::SourceMap;
use clap::{Parser, Subcommand, ValueEnum};
use ddsl::check::Checked;
use ddsl::decode::Decoder;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "ddsl", version, about = "DDSL: describe on-disk layouts; check them and decode images with them")]
struct Cli {
    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColourChoice::Auto, global = true)]
    color: ColourChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check each layout FILE: syntax, names, field order, sizes and offsets.
    ///
    /// Prints nothing and exits 0 when all are well formed; otherwise prints
    /// every diagnostic on standard error and exits 1.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Decode the roots of SPEC (e.g. superblock and group descriptors) from
    /// IMAGE and print them; faults (bad magic, failed asserts, unsupported
    /// features, truncation) are printed with their path and byte offset and
    /// make the exit status 1.
    Dump { spec: PathBuf, image: PathBuf },
    /// Generate code from SPEC (not implemented yet, issue #5).
    Gen {
        spec: PathBuf,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        rest: Vec<String>,
    },
    /// Resolve a path through an image (not implemented yet, issue #5).
    Walk {
        spec: PathBuf,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        rest: Vec<String>,
    },
    /// Check an image against SPEC's invariants (not implemented yet, issue #5).
    Fsck {
        spec: PathBuf,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        rest: Vec<String>,
    },
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
        Command::Check { files } => check(&files, colour),
        Command::Dump { spec, image } => dump(&spec, &image, colour),
        Command::Gen { .. } => not_implemented("gen"),
        Command::Walk { .. } => not_implemented("walk"),
        Command::Fsck { .. } => not_implemented("fsck"),
    }
}

fn not_implemented(command: &str) -> ExitCode {
    eprintln!("error: `ddsl {command}` is not implemented yet (issue #5)");
    ExitCode::from(2)
}

/// Reads and checks one layout; `Err` carries the exit status.
fn load(sources: &mut SourceMap, path: &Path) -> Result<(Option<Checked>, Vec<Diagnostic>), ExitCode> {
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, &e.to_string()))?;
    let file = sources.add(path.display().to_string(), text.clone()).map_err(|_| io_error(path, "file too large"))?;
    Ok(ddsl::check_text(file, &text))
}

fn check(files: &[PathBuf], colour: Colour) -> ExitCode {
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    for file in files {
        match load(&mut sources, file) {
            Ok((_, found)) => diagnostics.extend(found),
            Err(code) => return code,
        }
    }
    report(&sources, &diagnostics, colour)
}

fn dump(spec: &Path, image_path: &Path, colour: Colour) -> ExitCode {
    let mut sources = SourceMap::new();
    let (checked, diagnostics) = match load(&mut sources, spec) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let Some(checked) = checked else { return report(&sources, &diagnostics, colour) };
    let image = match std::fs::read(image_path) {
        Ok(image) => image,
        Err(e) => return io_error(image_path, &e.to_string()),
    };
    let mut decoder = Decoder::new(&checked, &image);
    let roots = decoder.decode_roots();
    print!("{}", ddsl::dump::roots(&roots));
    let faults = decoder.into_faults();
    if faults.is_empty() {
        return ExitCode::SUCCESS;
    }
    eprint!("{}", ddsl::dump::faults(&faults));
    eprintln!("error: {} fault{} found", faults.len(), if faults.len() == 1 { "" } else { "s" });
    ExitCode::from(1)
}

fn report(sources: &SourceMap, diagnostics: &[Diagnostic], colour: Colour) -> ExitCode {
    diagnostics::print(sources, diagnostics, colour);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        eprintln!("error: {errors} error{} found", if errors == 1 { "" } else { "s" });
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn io_error(path: &Path, reason: &str) -> ExitCode {
    eprintln!("error: cannot read `{}`: {reason}", path.display());
    ExitCode::from(2)
}
