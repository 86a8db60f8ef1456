//! The two interpreters against each other on loop-heavy programs (`make
//! bench`): a checksum over a 1 MiB word array, a scan of directory entries,
//! and a bitmap allocator. Prints each engine's time and the value/update
//! ratio, measured in one run (target: value within 5x of update). The C
//! backend is a third column where `cc` is installed (compiled `-O2`, timed
//! inside the program with `clock()`, best of 3, result checked); the Rust
//! backend (issue #6) will join.

use cdsl::core::{ir, lower};
use cdsl::interp::Interpreter;
use cdsl::source::SourceMap;
use cdsl::syntax::loader;
use cdsl_runtime::{Heap, Library, Value, ValueStore};
use std::path::Path;
use std::time::{Duration, Instant};

const TARGET_RATIO: f64 = 5.0;

fn load(path: &Path) -> ir::Program {
    let mut sources = SourceMap::new();
    let (program, errors) = loader::load(&mut sources, path).expect("bench program readable");
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    let typed = cdsl::typeck::check_loaded(&program).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    lower::lower(&typed)
}

fn best_of(runs: usize, mut f: impl FnMut() -> Value) -> (Duration, Value) {
    let mut best = Duration::MAX;
    let mut value = Value::Unit;
    for _ in 0..runs {
        let start = Instant::now();
        value = f();
        best = best.min(start.elapsed());
    }
    (best, value)
}

/// The best of 3 timed runs of `main (SysState, n)` compiled by the C
/// backend, and its printed result; `None` (with the reason printed) when
/// it cannot be built here.
fn c_time(core: &ir::Program, name: &str, arg: &Value) -> Option<(Duration, String)> {
    use cdsl::backend::c::{self, engine, Options};
    let options = Options::default();
    let code = c::generate(core, None, &options).ok()?.code;
    let entry = c::entry_function(core, &options, "cdsl_entry", "main", arg).ok()?;
    let source = format!(
        "#include <stdio.h>\n#include <time.h>\n{code}\n{entry}\nint main(void) {{\n    double best = 1e30;\n    for (int k \
         = 0; k < 3; k++) {{\n        clock_t start = clock();\n        cdsl_entry();\n        double s = \
         (double)(clock() - start) / CLOCKS_PER_SEC;\n        if (s < best) best = s;\n    }}\n    fprintf(stderr, \
         \"%.9f\\n\", best);\n    return 0;\n}}\n"
    );
    let dir = std::env::temp_dir().join(format!("cdsl-bench-c-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let binary = match engine::compile(&dir, &source, &["-O2"]) {
        Ok(binary) => binary,
        Err(e) => {
            println!("  {name}: no C column ({e})");
            return None;
        }
    };
    let output = std::process::Command::new(&binary).output().ok()?;
    let _ = std::fs::remove_dir_all(&dir);
    let seconds: f64 = String::from_utf8_lossy(&output.stderr).trim().parse().ok()?;
    let result = String::from_utf8_lossy(&output.stdout).lines().next()?.to_owned();
    Some((Duration::from_secs_f64(seconds), result))
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let library = Library::default();
    let programs = [("checksum", 262_144u64), ("dirscan", 65_536), ("bitmap", 65_536)];
    println!("engines: best of 3 runs of `main (SysState, n)`");
    let mut worst: f64 = 0.0;
    for (name, n) in programs {
        let n = if quick { 64 } else { n };
        let core = load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("benches/engines/{name}.cdsl")));
        let arg = Value::tuple(vec![Value::SysState, Value::word(32, n)]);
        let run_value = || {
            Interpreter::new(&core, &library)
                .with_fuel(u64::MAX)
                .call("main", arg.clone(), &mut ValueStore)
                .expect("value run")
        };
        let run_update = || {
            let mut heap = Heap::default();
            let result = Interpreter::new(&core, &library).with_fuel(u64::MAX).call("main", arg.clone(), &mut heap);
            assert_eq!(heap.live(), 0, "update run leaked");
            result.expect("update run")
        };
        let (value_time, value_result) = best_of(3, run_value);
        let (update_time, update_result) = best_of(3, run_update);
        assert_eq!(value_result, update_result, "{name}: the engines disagree");
        let ratio = value_time.as_secs_f64() / update_time.as_secs_f64();
        worst = worst.max(ratio);
        let c_column = match c_time(&core, name, &arg) {
            Some((c_time, result)) => {
                assert_eq!(result, value_result.to_string(), "{name}: the C backend disagrees");
                let ratio = update_time.as_secs_f64() / c_time.as_secs_f64().max(1e-9);
                format!("  C {c_time:>10.2?}  update/C {ratio:>7.1}")
            }
            None => String::new(),
        };
        println!(
            "  {name:<9} n={n:<7} value {value_time:>10.2?}  update {update_time:>10.2?}  value/update \
             {ratio:>5.2}{c_column}"
        );
    }
    let verdict = if worst <= TARGET_RATIO { "meets" } else { "ABOVE" };
    println!("  worst value/update ratio {worst:.2} ({verdict} target <= {TARGET_RATIO})");
}
