//! The two interpreters against each other on loop-heavy programs (`make
//! bench`): a checksum over a 1 MiB word array, a scan of directory entries,
//! and a bitmap allocator. Prints each engine's time and the value/update
//! ratio, measured in one run (target: value within 5x of update). The
//! compiled engines run the same programs in `benches/backends.rs`.

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
        println!(
            "  {name:<9} n={n:<7} value {value_time:>10.2?}  update {update_time:>10.2?}  value/update \
             {ratio:>5.2}"
        );
    }
    let verdict = if worst <= TARGET_RATIO { "meets" } else { "ABOVE" };
    println!("  worst value/update ratio {worst:.2} ({verdict} target <= {TARGET_RATIO})");
}
