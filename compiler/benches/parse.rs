//! Parse throughput: lexing and parsing (`parse_module`) of generated
//! file-system-shaped programs of about 10,000 and 100,000 lines, in lines
//! per second, and the ratio of the two times, which is 10 when parsing is
//! linear in size. Target: at least 1,000,000 lines/s. Dropping the AST is
//! not timed; the lexer alone is, to show how the time splits.
//!
//! A plain harness rather than criterion: the two numbers wanted are a rate
//! and a ratio measured in the same run, printed against their targets.
//! Under `cargo test --benches` (no `--bench` argument) it only checks that
//! the generated programs parse, on a small size.

use cdsl::source::FileId;
use cdsl::syntax::ast::Module;
use cdsl::syntax::{lexer, parse_module};
use std::hint::black_box;
use std::time::{Duration, Instant};

const TARGET_LINES_PER_SECOND: f64 = 1_000_000.0;

/// One unit of a program: an inode record, a directory entry, a variant and
/// the functions over them — records, signatures, `let`/`if`/match, `put`,
/// `take` patterns, observation and operators, as in `fs-examples/`. `{n}`
/// makes every name unique.
const TEMPLATE: &str = "\
-- Inode {n}: an inode record, its block map, and the operations on it.
type Inode{n} = { ino : U32, mode : U16, links : U16, size : U64, blocks : WordArray U32 }
type Dirent{n} = #{ inode : U32, rec_len : U16, name_len : U8, file_type : U8 }
type Lookup{n} = <Direct U32 | Indirect U32 | TooFar>
type Cache{n} a

n_direct{n} : U32
n_direct{n} = 12

{- Where logical block `n` lives: in the inode's block map, behind
   the indirect block, or beyond what this lookup handles. -}
classify{n} : (U32, U32) -> Lookup{n}
classify{n} (n, per_block) =
  if n < n_direct{n}
  then Direct n
  else if n - n_direct{n} < per_block
       then Indirect (n - n_direct{n})
       else TooFar

block_of{n} : all (a :< DS). (Inode{n}!, U32, a) -> R U32 ErrCode
block_of{n} (node, n, _) =
  classify{n} (n, 256)
    | Direct i -> let b = wordarray_get [U32] (node.blocks, i) in
        if b == 0 then Error eNoEnt else Success b
    | Indirect _ ~> Error eNoEnt
    | TooFar ~> Error eOverflow

grow{n} : (Inode{n}, U64) -> R Inode{n} (ErrCode, Inode{n})
grow{n} (node, n) =
  let node' { size = s } = node
  in if s + n < s
     then Error (eOverflow, node' { size = s })
     else Success (node' { size = s + n })

entry_size{n} : U8 -> U16
entry_size{n} name_len = (8 + upcast name_len + 3) .&. complement 3

is_dir{n} : Inode{n}! -> Bool
is_dir{n} node = node.mode .&. 0xF000 == 0x4000 && node.links > 0

";

/// A program of at least `lines` lines.
fn program(lines: usize) -> String {
    let per_unit = TEMPLATE.lines().count();
    let units = lines.div_ceil(per_unit);
    let mut text = String::with_capacity(units * (TEMPLATE.len() + 64));
    for n in 0..units {
        text.push_str(&TEMPLATE.replace("{n}", &n.to_string()));
    }
    text
}

struct Measurement {
    lines: usize,
    bytes: usize,
    /// The fastest of the runs: the least disturbed by the rest of the machine.
    best: Duration,
    median: Duration,
    runs: usize,
}

impl Measurement {
    fn lines_per_second(&self) -> f64 {
        self.lines as f64 / self.best.as_secs_f64()
    }
}

/// Runs `f` on a program of `lines` lines repeatedly for about `budget`,
/// timing each run but not the dropping of its result.
fn measure<T>(lines: usize, budget: Duration, f: impl Fn(&str) -> T) -> Measurement {
    let text = program(lines);
    let mut times = Vec::new();
    let started = Instant::now();
    while times.len() < 3 || (started.elapsed() < budget && times.len() < 1000) {
        let start = Instant::now();
        let result = black_box(f(black_box(&text)));
        times.push(start.elapsed());
        drop(result);
    }
    times.sort();
    Measurement {
        lines: text.lines().count(),
        bytes: text.len(),
        best: times[0],
        median: times[times.len() / 2],
        runs: times.len(),
    }
}

fn parse(text: &str) -> Module {
    let (module, errors) = parse_module(FileId(0), text);
    assert!(errors.is_empty(), "bug: the benchmark program does not parse: {:?}", &errors[..errors.len().min(3)]);
    module
}

fn report(what: &str, m: &Measurement) {
    println!(
        "{what} {:>7} lines ({:>4.1} MB): {:>10.0} lines/s ({:>5.1} MB/s)  best {:>8.2?}  median {:>8.2?}  {} runs",
        m.lines,
        m.bytes as f64 / 1e6,
        m.lines_per_second(),
        m.bytes as f64 / 1e6 / m.best.as_secs_f64(),
        m.best,
        m.median,
        m.runs,
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not.
    if !std::env::args().any(|a| a == "--bench") {
        let m = measure(1_000, Duration::ZERO, parse);
        println!("parse bench (test mode): {} lines parse", m.lines);
        return;
    }
    // Warm caches and the allocator before timing anything.
    measure(10_000, Duration::from_millis(300), parse);
    let small = measure(10_000, Duration::from_secs(3), parse);
    let large = measure(100_000, Duration::from_secs(6), parse);
    // The lexer alone, to show how the time splits.
    let lex_only = measure(100_000, Duration::from_secs(2), lexer::lex);
    report("parse", &small);
    report("parse", &large);
    report("  lex", &lex_only);

    let rate = small.lines_per_second().min(large.lines_per_second());
    let verdict = if rate >= TARGET_LINES_PER_SECOND { "meets" } else { "BELOW" };
    println!("throughput: {rate:.0} lines/s, {verdict} the target of {TARGET_LINES_PER_SECOND:.0} lines/s");
    let ratio = large.best.as_secs_f64() / small.best.as_secs_f64();
    let size_ratio = large.lines as f64 / small.lines as f64;
    let linear = if ratio <= size_ratio * 1.25 { "linear" } else { "NOT linear" };
    println!(
        "time ratio 100k/10k: {ratio:.2} for {size_ratio:.2}x the lines ({linear}: at most 1.25 x {size_ratio:.2})"
    );
}
