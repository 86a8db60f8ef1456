//! The `ddsl` command: check layout descriptions and decode images with them.
//!
//! Exit status: 0 when everything is accepted (`check`), decodes without
//! faults (`dump`, `walk`) or is clean (`fsck`); 1 when diagnostics, faults
//! or violations were reported; 2 on usage or I/O errors.
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
    /// Generate code from SPEC into DIR: `--emit rust` writes `<stem>.rs`
    /// (owned structs with decode/encode, zero-copy views), `--emit c`
    /// writes `<stem>.h` and `<stem>.c`. Structs the generator cannot
    /// express yet are left out with an "unsupported" warning each (an error
    /// with `--strict`). `--emit isabelle` writes `<Stem>_Layout.thy` and a
    /// `ROOT` (records, encode/decode, round-trip lemma stubs for the
    /// fixed-layout structs), `--emit coq` their Coq mirror with the round
    /// trips proved (`make -C DIR`). `--emit cdsl` writes
    /// `<stem>_layout.cdsl`: getters and setters of every integer field
    /// for CDSL programs (implemented by `ddsl::gen::cdsl::register`).
    /// `--emit cdsl-fields` writes `<stem>_fields.cdsl`: CDSL definitions
    /// reading and writing every field in place through the program's own
    /// word access (`--access`), which every engine runs.
    Gen {
        spec: PathBuf,
        #[arg(long, value_enum)]
        emit: Emit,
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
        /// Fail (exit 1) if any struct cannot be generated.
        #[arg(long)]
        strict: bool,
        /// `--emit cdsl-fields`: a word access of the program, `block=TYPE,READ,WRITE`
        /// (`READ16 : (TYPE!, U32, U32) -> U32` over (device, block, byte)) or
        /// `bytes=TYPE,READ,WRITE` (`READ16 : (TYPE!, U32) -> U32`); repeatable, the
        /// first one's functions unprefixed, the others' prefixed by their type.
        #[arg(long, default_value = "block=Dev,dev_le,dev_set")]
        access: Vec<ddsl::gen::cdsl::fields::Interface>,
    },
    /// Follow pointers from the roots of SPEC through IMAGE and print every
    /// structure reached, once, as `path: Type @ byte offset`; decoding
    /// faults are printed on standard error and make the exit status 1.
    ///
    /// With PATH (`/dir/file`), resolve it through the structures marked
    /// `directory`, `entry` and `inode` instead and print the structures met
    /// on the way; exit 1 if it does not resolve.
    Walk {
        spec: PathBuf,
        image: PathBuf,
        path: Option<String>,
        /// Write the bytes of the file at PATH to standard output instead.
        #[arg(long, requires = "path")]
        cat: bool,
        /// Decode at most this many structures.
        #[arg(long, default_value_t = ddsl::walk::DEFAULT_MAX_NODES)]
        max_nodes: usize,
    },
    /// Allocate a unit of SPACE (`blocks`, `inodes`) in a clean IMAGE: set
    /// its bitmap bit and lower the `free` counters over it, in place, and
    /// print its number. With `--into FIELD`, also write the number into
    /// that pointer, in the same write, once `fsck` finds the result clean.
    Alloc {
        spec: PathBuf,
        image: PathBuf,
        space: String,
        /// A pointer that leads nowhere now and owns or refers to units of
        /// SPACE, named by its path (`gdt[0].bg_inode_table.inodes[11].i_block.file.direct[1]`).
        #[arg(long, value_name = "FIELD")]
        into: Option<String>,
        /// Decode at most this many structures.
        #[arg(long, default_value_t = ddsl::walk::DEFAULT_MAX_NODES)]
        max_nodes: usize,
    },
    /// Write VALUE (decimal, 0x, 0o or 0b) into the integer FIELD of IMAGE,
    /// named by the path the other tools print (`sb.s_max_mnt_count`,
    /// `gdt[0].bg_inode_table.inodes[11].i_mode.perm`, `inodes#12.i_uid`),
    /// and recompute the checksums of the structures holding it. Refuses
    /// fields the layout derives (magic constants, checksums, lengths and
    /// sizes, `free` counters) and values that do not fit; exit status 1.
    Set {
        spec: PathBuf,
        image: PathBuf,
        field: String,
        /// Taken as given, so `-1` is refused as not a number.
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
    /// Check IMAGE against every invariant SPEC declares: asserts, magic
    /// numbers, pointer targets in range, one owner per unit, bitmaps against
    /// use, link counts against references. Prints each violation with its
    /// path and byte offset; exit status 1 if there is any, 0 if clean.
    Fsck {
        spec: PathBuf,
        image: PathBuf,
        /// Decode at most this many structures.
        #[arg(long, default_value_t = ddsl::walk::DEFAULT_MAX_NODES)]
        max_nodes: usize,
        /// First rewrite the derived fields found wrong — `free` counters and
        /// checksums — in IMAGE, then check it.
        #[arg(long)]
        fix: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Emit {
    Rust,
    C,
    Cdsl,
    /// CDSL definitions over the program's word access (`--access`).
    CdslFields,
    Isabelle,
    /// The Coq mirror of `--emit isabelle`, round trips proved (`make -C DIR`).
    Coq,
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
        Command::Gen { spec, emit, out, strict, access } => gen(&spec, emit, &out, strict, &access),
        Command::Walk { spec, image, path: None, max_nodes, .. } => walk(&spec, &image, max_nodes, colour),
        Command::Walk { spec, image, path: Some(path), cat, max_nodes } => {
            walk_path(&spec, &image, &path, cat, max_nodes, colour)
        }
        Command::Alloc { spec, image, space, into, max_nodes } => {
            alloc(&spec, &image, &space, into.as_deref(), max_nodes, colour)
        }
        Command::Set { spec, image, field, value } => set(&spec, &image, &field, &value, colour),
        Command::Fsck { spec, image, max_nodes, fix } => fsck(&spec, &image, max_nodes, fix, colour),
    }
}

fn gen(spec: &Path, emit: Emit, out: &Path, strict: bool, access: &[ddsl::gen::cdsl::fields::Interface]) -> ExitCode {
    match emit {
        Emit::Rust => gen_files(ddsl::build::generate_file(spec, out, strict)),
        Emit::C => gen_files(ddsl::build::generate_c(spec, out, strict)),
        Emit::Cdsl => gen_files(ddsl::build::generate_cdsl(spec, out)),
        Emit::CdslFields => gen_files(ddsl::build::generate_cdsl_fields(spec, out, access)),
        Emit::Isabelle => gen_prover(spec, out, ddsl::gen::fixed::Prover::Isabelle),
        Emit::Coq => gen_prover(spec, out, ddsl::gen::fixed::Prover::Coq),
    }
}

fn gen_prover(spec: &Path, out: &Path, prover: ddsl::gen::fixed::Prover) -> ExitCode {
    match ddsl::gen::fixed::write(spec, out, prover) {
        Ok(summary) => {
            eprintln!("{summary}");
            ExitCode::SUCCESS
        }
        Err((message, io)) => {
            eprint!("{message}{}", if io { "\n" } else { "" });
            ExitCode::from(if io { 2 } else { 1 })
        }
    }
}

fn gen_files(generated: Result<ddsl::build::Output, ddsl::build::BuildError>) -> ExitCode {
    match generated {
        Ok(output) => {
            eprint!("{}", output.warnings);
            eprintln!("wrote {} ({} structs)", output.path.display(), output.structs.len());
            ExitCode::SUCCESS
        }
        Err(e) if e.message.starts_with("cannot read") => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprint!("{e}");
            ExitCode::from(1)
        }
    }
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

/// A checked layout and the image bytes, or the exit status.
fn load_both(spec: &Path, image_path: &Path, colour: Colour) -> Result<(Checked, Vec<u8>), ExitCode> {
    let mut sources = SourceMap::new();
    let (checked, diagnostics) = load(&mut sources, spec)?;
    let Some(checked) = checked else { return Err(report(&sources, &diagnostics, colour)) };
    let image = std::fs::read(image_path).map_err(|e| io_error(image_path, &e.to_string()))?;
    Ok((checked, image))
}

fn walk(spec: &Path, image_path: &Path, max_nodes: usize, colour: Colour) -> ExitCode {
    let (checked, image) = match load_both(spec, image_path, colour) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let mut decoder = Decoder::new(&checked, &image);
    let walk = ddsl::walk::walk(&mut decoder, max_nodes);
    print!("{}", ddsl::walk::render(&walk));
    let faults = decoder.into_faults();
    eprint!("{}", ddsl::dump::faults(&faults));
    if walk.truncated {
        eprintln!("error: stopped after {} structures (--max-nodes); the rest is not walked", walk.nodes.len());
        return ExitCode::from(1);
    }
    if faults.is_empty() {
        return ExitCode::SUCCESS;
    }
    eprintln!("error: {} fault{} found", faults.len(), if faults.len() == 1 { "" } else { "s" });
    ExitCode::from(1)
}

fn walk_path(spec: &Path, image_path: &Path, path: &str, cat: bool, max_nodes: usize, colour: Colour) -> ExitCode {
    let (checked, image) = match load_both(spec, image_path, colour) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let mut decoder = Decoder::new(&checked, &image);
    let walk = ddsl::walk::walk(&mut decoder, max_nodes);
    let result = ddsl::lookup::lookup(&checked, &mut decoder, &walk, path, cat).and_then(|found| {
        if cat {
            let (bytes, _) = ddsl::lookup::read_file(&checked, &mut decoder, &found, path)?;
            Ok((found.met, Some(bytes)))
        } else {
            Ok((found.met, None))
        }
    });
    let faults = decoder.into_faults();
    if !faults.is_empty() {
        eprint!("{}", ddsl::dump::faults(&faults));
        eprintln!("warning: {} decoding fault{} on the way", faults.len(), if faults.len() == 1 { "" } else { "s" });
    }
    match result {
        Ok((_, Some(bytes))) => {
            use std::io::Write;
            match std::io::stdout().write_all(&bytes) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: cannot write the file: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Ok((met, None)) => {
            for m in met {
                println!("{m}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn fsck(spec: &Path, image_path: &Path, max_nodes: usize, fix: bool, colour: Colour) -> ExitCode {
    let (checked, mut image) = match load_both(spec, image_path, colour) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    if fix {
        if let Err(code) = fix_derived(&checked, &mut image, image_path, max_nodes) {
            return code;
        }
    }
    let report = ddsl::fsck::fsck(&checked, &image, max_nodes);
    for violation in &report.violations {
        println!("{violation}");
    }
    let n = report.violations.len();
    if n == 0 {
        eprintln!("clean: {} structures walked", report.walk.nodes.len());
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "error: {n} problem{} found ({} structures walked)",
        if n == 1 { "" } else { "s" },
        report.walk.nodes.len()
    );
    ExitCode::from(1)
}

fn alloc(
    spec: &Path,
    image_path: &Path,
    space: &str,
    into: Option<&str>,
    max_nodes: usize,
    colour: Colour,
) -> ExitCode {
    let (checked, image) = match load_both(spec, image_path, colour) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let allocated = match into {
        Some(field) => ddsl::write::alloc_into(&checked, &image, space, field, max_nodes).map_err(|e| e.to_string()),
        None => ddsl::fsck::allocate(&checked, &image, space, max_nodes)
            .map(|a| (a.unit, a.fixes))
            .map_err(|reason| format!("cannot allocate: {reason}")),
    };
    match allocated {
        Ok((unit, fixes)) => match save(image, &fixes, image_path) {
            Ok(()) => {
                println!("{unit}");
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

fn set(spec: &Path, image_path: &Path, field: &str, value: &str, colour: Colour) -> ExitCode {
    let (checked, image) = match load_both(spec, image_path, colour) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let value = match ddsl::write::parse_value(value) {
        Ok(value) => value,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(1);
        }
    };
    match ddsl::write::set(&checked, &image, field, value) {
        Ok(fixes) => match save(image, &fixes, image_path) {
            Ok(()) => ExitCode::SUCCESS,
            Err(code) => code,
        },
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Applies `fixes` to `image` and writes it to `path` in one write, naming
/// each fix on standard error.
fn save(mut image: Vec<u8>, fixes: &[ddsl::fsck::Fix], path: &Path) -> Result<(), ExitCode> {
    if let Err(f) = ddsl::fsck::apply(&mut image, fixes) {
        eprintln!("error: {} (byte {}) lies outside the image; nothing written", f.path, f.offset);
        return Err(ExitCode::from(1));
    }
    if let Err(e) = std::fs::write(path, &image) {
        eprintln!("error: cannot write `{}`: {e}", path.display());
        return Err(ExitCode::from(2));
    }
    for f in fixes {
        eprintln!("wrote: {} (byte {})", f.path, f.offset);
    }
    Ok(())
}

/// Rewrites wrong derived fields until none is left (a counter fixed may
/// change bytes a checksum covers; at most four rounds), then saves.
fn fix_derived(checked: &Checked, image: &mut [u8], path: &Path, max_nodes: usize) -> Result<(), ExitCode> {
    let mut fixed = 0;
    for _ in 0..4 {
        let report = ddsl::fsck::fsck(checked, image, max_nodes);
        if report.fixes.is_empty() {
            break;
        }
        for f in &report.fixes {
            eprintln!("fixed: {} (byte {})", f.path, f.offset);
        }
        fixed += report.fixes.len();
        if let Err(f) = ddsl::fsck::apply(image, &report.fixes) {
            eprintln!("error: the fix of {} (byte {}) lies outside the image; nothing written", f.path, f.offset);
            return Err(ExitCode::from(1));
        }
    }
    if fixed > 0 {
        if let Err(e) = std::fs::write(path, &image) {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            return Err(ExitCode::from(2));
        }
    }
    Ok(())
}

fn dump(spec: &Path, image_path: &Path, colour: Colour) -> ExitCode {
    let (checked, image) = match load_both(spec, image_path, colour) {
        Ok(loaded) => loaded,
        Err(code) => return code,
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
