//! A generator of random well-typed CDSL programs, for the engine-agreement
//! proptest (issue #4) and the checks in `tests/progen.rs`.
//!
//! # What a generated program is
//!
//! [`GeneratedProgram::source`] is a complete, self-contained CDSL file: the
//! runtime prelude (`runtime/cdsl/prelude.cdsl`) pasted in verbatim, then the
//! program's own types, abstract allocation functions, constants and
//! functions. Nothing is `include`d.
//!
//! For every boxed record type `T<n>` the program declares, following the
//! runtime's allocation convention (implemented by shape):
//!
//! ```text
//! new_t<n>  : SysState -> R (SysState, T<n> take (..)) SysState   -- all fields taken
//! free_t<n> : (SysState, T<n> take (..)) -> SysState
//! ```
//!
//! # Entry and argument convention
//!
//! [`GeneratedProgram::entry`] names a function (always `main`) of one of two
//! shapes:
//!
//! - **pure**: `main : A -> B` where `A` and `B` are *literal types* (below).
//!   [`GeneratedProgram::arg`] is a literal of `A`.
//! - **stateful**: `main : (SysState, A1, ..., An) -> (SysState, B1, ..., Bm)`
//!   with n, m ≥ 1 and every `Ai`, `Bj` a literal type. `arg` is the tuple
//!   literal `(SysState, a1, ..., an)`, `SysState` standing for a fresh
//!   system state, as `cdsl run --arg` reads it (`compiler/src/interp/literal.rs`);
//!   the result is `(<SysState>, b1, ..., bm)` as the interpreters print it.
//!
//! So `cdsl run FILE --fn main --arg "$arg"` runs a program as generated.
//! [`GeneratedProgram::arg_value`] is `arg` without the state (`a1`, or
//! `(a1, ..., an)`; all of `arg` for a pure entry) and
//! [`GeneratedProgram::arg_value_type`] its type, which a CDSL constant can
//! hold: `tests/progen.rs` type-checks `progen_arg : T` / `progen_arg = v`.
//!
//! Literal types are `U8` `U16` `U32` `U64` `Bool` `()`, tuples of literal
//! types, unboxed records (declared `#{..}` synonyms) of literal types, and
//! variants (declared synonyms, `Option a`, `R a e`) of literal types. In
//! `arg`, words are plain decimal (`0` … `18446744073709551615`, their type
//! taken from the signature), booleans `True`/`False`, unit `()`, tuples
//! `(a, b)`, unboxed records `#{f = a, g = b}` with every field in
//! declaration order, and variants `Tag`, `Tag a`, or `Tag (a, b)` for a
//! constructor with several arguments (one parenthesised tuple, never
//! `Tag a b`). A compound argument of a constructor is parenthesised:
//! `Some (Some 3)`, `Error #{f = 1}`.
//!
//! # What generated programs rely on at run time
//!
//! - `+`, `-` and `*` may overflow; the result wraps modulo 2^bits (as in
//!   Cogent and unsigned C). `/` and `%` never divide by zero (the divisor is
//!   written `(d .|. 1)`); a shift amount is always below the word's width
//!   (written `(s .&. (bits - 1))`).
//! - Loops are short: `seq32`/`seq64` bounds are at most 16 apart and nest at
//!   most two deep; word arrays have at most 16 elements.
//! - Indices into word arrays may be out of range (the runtime defines that).
//! - Allocation may fail; every failure branch frees what it holds, so the
//!   update heap must end empty on every path.
//!
//! # How it works
//!
//! Type-directed and linear by construction. `types` picks the program's
//! types (records boxed and unboxed, variants nested, word arrays) and the
//! functions' signatures, and prints them; `values` builds expressions of
//! non-linear types from the variables, read-only views and function values
//! in scope, annotating where the checker could not know the expected type;
//! `body` builds function bodies from a context of linear variables, choosing
//! steps (observe, take, put, call, allocate, free, match, `if`, nested
//! linear `let`) and `arrays` the steps over word arrays and loops; before
//! each step `plan` proves that every branch it makes can still finish —
//! build the function's result from the linear variables left, freeing any
//! surplus through `SysState` — and at the end it does so. `patterns` makes
//! irrefutable and exhaustive (nested) patterns. Functions call only
//! functions defined after them, so the call graph is acyclic; loop bodies,
//! fold and map bodies and function arguments are helper functions made on
//! demand. Each program leans towards one theme (arrays, records, control,
//! or none), so that every feature is common somewhere. Beyond the brief's
//! list, programs also use variants narrowed to some alternatives where the
//! whole is expected (`let x : <Some U8> = …`), constants of literal types,
//! polymorphic functions with explicit and inferred instances, and in some
//! functions one shadowed name `ex` for every `SysState`.
//!
//! [`generate_with_mistake`] makes the same programs with one deliberate
//! linear-typing error (`mistakes`), which the checker must reject.
#![allow(dead_code)]

#[path = "progen/arrays.rs"]
mod arrays;
#[path = "progen/body.rs"]
mod body;
#[path = "progen/mistakes.rs"]
mod mistakes;
#[path = "progen/patterns.rs"]
mod patterns;
#[path = "progen/plan.rs"]
mod plan;
#[path = "progen/types.rs"]
mod types;
#[path = "progen/values.rs"]
mod values;

use proptest::prelude::*;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use types::{Ty, Universe, W};

pub use mistakes::{Mistake, MARK};

/// The runtime prelude, pasted into every program.
pub const PRELUDE: &str = include_str!("../../../runtime/cdsl/prelude.cdsl");

/// One generated program: its text, the function to run and its argument.
#[derive(Clone, Debug)]
pub struct GeneratedProgram {
    pub source: String,
    pub entry: String,
    /// The argument, for `cdsl run --arg` (see the convention above).
    pub arg: String,
    /// `arg` without `SysState`, and its type, as CDSL text.
    pub arg_value: String,
    pub arg_value_type: String,
    /// The seed it was generated from: `generate(seed)` gives it back.
    pub seed: u64,
    /// The language features the program exercises, for coverage counts.
    pub features: BTreeSet<Feature>,
}

/// Random well-typed programs. A failing case prints its `seed`; shrinking
/// is of no use on a seed, so there is none.
pub fn program() -> impl Strategy<Value = GeneratedProgram> {
    any::<u64>().no_shrink().prop_map(generate)
}

/// The language features a program can exercise; each should appear in a
/// good fraction of generated programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Feature {
    /// A boxed record is allocated with `new_*`.
    Alloc,
    /// A boxed record is freed with `free_*`.
    Free,
    /// Fields taken out of a boxed record with a record pattern.
    Take,
    /// A take pattern nested inside another (`t {inner = i {n}}`).
    NestedTake,
    /// Fields put back into a boxed record.
    Put,
    /// A `take` type (`T take f`) in a function signature.
    TakeInSignature,
    /// An unboxed record literal, pattern or member read.
    UnboxedRecord,
    /// A put into an unboxed record value.
    UnboxedPut,
    /// A declared variant type constructed or matched.
    Variant,
    /// A variant type with a variant inside one of its payloads.
    NestedVariant,
    /// A match expression.
    Match,
    /// A value of a variant type narrowed to some alternatives (`<Some U8>`)
    /// used where the whole variant is expected.
    VariantSubtyping,
    /// A match alternative whose pattern has a refutable pattern inside.
    NestedPattern,
    /// A match on a variant carrying linear values (`R (SysState, T) SysState`).
    LinearMatch,
    /// An `if` expression.
    If,
    /// An `if` or match whose branches consume linear variables.
    LinearBranches,
    /// A `let` whose right-hand side consumes and gives back linear values
    /// through an `if` or a match.
    LinearLet,
    /// `!v` observation of a linear variable.
    Observation,
    /// A function with a read-only (`T!`) parameter.
    BangParam,
    /// A member access `e.f`.
    Member,
    /// A `seq32` or `seq64` loop.
    Loop,
    /// A `seq64` loop.
    Seq64,
    /// A loop or fold whose accumulator holds linear values.
    LinearAccumulator,
    /// `wordarray_get` or `wordarray_length`.
    ArrayRead,
    /// `wordarray_put`.
    ArrayPut,
    /// `wordarray_fold`.
    ArrayFold,
    /// `wordarray_map`.
    ArrayMap,
    /// `wordarray_copy`.
    ArrayCopy,
    /// `wordarray_create` or `wordarray_free`.
    ArrayCreateFree,
    /// A call of a generated function.
    Call,
    /// A generated function passed as a value to another generated function.
    HigherOrder,
    /// A polymorphic generated function.
    Polymorphic,
    /// An explicit type application `f [T, _]`.
    TypeArgs,
    /// `upcast`.
    Upcast,
    /// `/` or `%`.
    DivMod,
    /// `<<` or `>>`.
    Shift,
    /// `complement`, `.&.`, `.|.` or `.^.`.
    Bitwise,
    /// A top-level constant.
    Constant,
    /// The entry takes and gives back `SysState`.
    StatefulEntry,
}

impl Feature {
    pub const ALL: &'static [Feature] = &[
        Feature::Alloc,
        Feature::Free,
        Feature::Take,
        Feature::NestedTake,
        Feature::Put,
        Feature::TakeInSignature,
        Feature::UnboxedRecord,
        Feature::UnboxedPut,
        Feature::Variant,
        Feature::NestedVariant,
        Feature::Match,
        Feature::VariantSubtyping,
        Feature::NestedPattern,
        Feature::LinearMatch,
        Feature::If,
        Feature::LinearBranches,
        Feature::LinearLet,
        Feature::Observation,
        Feature::BangParam,
        Feature::Member,
        Feature::Loop,
        Feature::Seq64,
        Feature::LinearAccumulator,
        Feature::ArrayRead,
        Feature::ArrayPut,
        Feature::ArrayFold,
        Feature::ArrayMap,
        Feature::ArrayCopy,
        Feature::ArrayCreateFree,
        Feature::Call,
        Feature::HigherOrder,
        Feature::Polymorphic,
        Feature::TypeArgs,
        Feature::Upcast,
        Feature::DivMod,
        Feature::Shift,
        Feature::Bitwise,
        Feature::Constant,
        Feature::StatefulEntry,
    ];
}

/// A small, fast, seedable generator (SplitMix64): programs are a pure
/// function of their seed, whatever proptest's own RNG does.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0, "bug: below(0)");
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub(crate) fn pct(&mut self, percent: u32) -> bool {
        (self.next_u64() % 100) < u64::from(percent)
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An index chosen with the given weights (not all zero).
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = (self.next_u64() % u64::from(total.max(1))) as u32;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// What a generated function is for; decides who may call it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Role {
    Entry,
    /// Planned up front with a random signature.
    Pool,
    /// Made on demand for a call, a loop body or a function argument.
    Helper,
}

/// A generated function: its signature now, its body once generated.
#[derive(Clone, Debug)]
pub(crate) struct FnDef {
    pub(crate) name: String,
    pub(crate) param: Ty,
    pub(crate) result: Ty,
    pub(crate) role: Role,
    /// How many body steps its body may take.
    pub(crate) fuel: u32,
    /// How many loop levels its body may still open (0: none); it may call
    /// only functions whose budget is at most its own.
    pub(crate) loop_budget: u32,
    /// A polymorphic function's whole text (signature and body), fixed.
    pub(crate) poly: Option<types::PolyFn>,
    pub(crate) body: Option<String>,
}

/// The generator's state for one program.
pub(crate) struct Gen {
    pub(crate) rng: Rng,
    pub(crate) uni: Universe,
    pub(crate) fns: Vec<FnDef>,
    /// Constants: name, type (a literal type), value.
    pub(crate) consts: Vec<(String, Ty, String)>,
    pub(crate) features: BTreeSet<Feature>,
    /// The function whose body is being generated.
    pub(crate) cur: usize,
    /// Fresh-name counter, per function.
    pub(crate) fresh: usize,
    /// Body steps taken, per function.
    pub(crate) steps: usize,
    pub(crate) theme: body::Theme,
    /// The current function names every `SysState` `ex`, each binding
    /// shadowing the last (as hand-written code threads it).
    pub(crate) shadow_ex: bool,
    /// The mistake to make, for [`generate_with_mistake`].
    pub(crate) mistake: Option<Mistake>,
}

/// The most functions a program has (entry, pool and helpers).
pub(crate) const MAX_FNS: usize = 5;

/// Generates the program of `seed`.
pub fn generate(seed: u64) -> GeneratedProgram {
    build(seed, None)
}

/// The program of `seed` with mistake `m` made wherever the chance came,
/// or `None` if it never did. The checker must reject it.
pub fn generate_with_mistake(seed: u64, m: Mistake) -> Option<GeneratedProgram> {
    Some(build(seed, Some(m))).filter(|p| p.source.contains(MARK))
}

fn build(seed: u64, mistake: Option<Mistake>) -> GeneratedProgram {
    let mut g = Gen {
        rng: Rng::new(seed),
        uni: Universe::default(),
        fns: Vec::new(),
        consts: Vec::new(),
        features: BTreeSet::new(),
        cur: 0,
        fresh: 0,
        steps: 0,
        theme: body::Theme::Mixed,
        shadow_ex: false,
        mistake,
    };
    g.theme = *g.rng.pick(&[body::Theme::Arrays, body::Theme::Records, body::Theme::Control, body::Theme::Mixed]);
    g.uni = Universe::random(&mut g.rng, g.theme == body::Theme::Records);
    g.plan_constants();
    let entry_param = g.plan_functions();
    let mut i = 0;
    while i < g.fns.len() {
        g.cur = i;
        g.fresh = 0;
        g.steps = 0;
        g.shadow_ex = g.rng.pct(40);
        if g.fns[i].poly.is_none() {
            let body = g.function_body(i);
            g.fns[i].body = Some(body);
        }
        i += 1;
    }
    let (arg, arg_value, arg_value_type) = g.entry_arg(&entry_param);
    let source = g.print();
    GeneratedProgram { source, entry: "main".to_owned(), arg, arg_value, arg_value_type, seed, features: g.features }
}

impl Gen {
    pub(crate) fn feat(&mut self, f: Feature) {
        self.features.insert(f);
    }

    /// The name for a new `SysState`: fresh, or `ex` again.
    pub(crate) fn ex_name(&mut self) -> String {
        if self.shadow_ex {
            "ex".to_owned()
        } else {
            self.name("ex")
        }
    }

    /// A fresh variable name, `prefix` followed by a per-function number.
    pub(crate) fn name(&mut self, prefix: &str) -> String {
        self.fresh += 1;
        format!("{prefix}{}", self.fresh)
    }

    fn plan_constants(&mut self) {
        for i in 0..self.rng.range(0, 1) {
            let ty = if self.rng.pct(70) {
                Ty::Word(*self.rng.pick(&W::ALL))
            } else {
                self.uni.literal_ty(&mut self.rng, 1)
            };
            let v = types::literal(&self.uni, &mut self.rng, &ty);
            self.consts.push((format!("k{i}"), ty, v));
        }
    }

    /// The entry's argument for `cdsl run`, and the same without the
    /// state with its type (`param` is the entry's parameter type).
    fn entry_arg(&mut self, param: &Ty) -> (String, String, String) {
        match param {
            Ty::Tuple(items) if items.first() == Some(&Ty::Sys) => {
                let rest = &items[1..];
                let lits: Vec<String> = rest.iter().map(|t| types::literal(&self.uni, &mut self.rng, t)).collect();
                let value = if lits.len() == 1 { lits[0].clone() } else { format!("({})", lits.join(", ")) };
                let ty = self.uni.show(&Ty::tuple(rest.to_vec()));
                (format!("(SysState, {})", lits.join(", ")), value, ty)
            }
            _ => {
                let lit = types::literal(&self.uni, &mut self.rng, param);
                (lit.clone(), lit, self.uni.show(param))
            }
        }
    }

    /// The entry `main` and a few pool functions with random signatures.
    /// Returns the entry's parameter type.
    fn plan_functions(&mut self) -> Ty {
        let stateful = self.rng.pct(70);
        let (param, result) = types::entry_signature(&self.uni, &mut self.rng, stateful);
        if stateful {
            self.feat(Feature::StatefulEntry);
        }
        let fuel = self.rng.range(2, 5) as u32;
        self.fns.push(FnDef {
            name: "main".to_owned(),
            param,
            result,
            role: Role::Entry,
            fuel,
            loop_budget: 2,
            poly: None,
            body: None,
        });
        let entry_param = self.fns[0].param.clone();
        for i in 1..=self.rng.range(0, 2) {
            let (param, result) = types::pool_signature(&self.uni, &mut self.rng);
            let fuel = self.rng.range(2, 3) as u32;
            let name = format!("f{i}");
            self.fns.push(FnDef {
                name,
                param,
                result,
                role: Role::Pool,
                fuel,
                loop_budget: 1,
                poly: None,
                body: None,
            });
        }
        let dup_wanted = self.mistake == Some(Mistake::PolyKind);
        if self.rng.pct(25) || dup_wanted {
            let poly = if dup_wanted { types::PolyFn::dup() } else { types::PolyFn::random(&mut self.rng) };
            self.fns.push(FnDef {
                name: poly.name.clone(),
                param: poly.param.clone(),
                result: poly.result.clone(),
                role: Role::Pool,
                fuel: 0,
                loop_budget: 0,
                poly: Some(poly),
                body: None,
            });
        }
        entry_param
    }

    /// Adds a helper function to be generated later; returns its name.
    pub(crate) fn spawn(&mut self, prefix: &str, param: Ty, result: Ty, loop_budget: u32) -> String {
        let name = format!("{prefix}{}", self.fns.len());
        let fuel = self.fns[self.cur].fuel.saturating_sub(1).clamp(1, 2);
        self.fns.push(FnDef {
            name: name.clone(),
            param,
            result,
            role: Role::Helper,
            fuel,
            loop_budget,
            poly: None,
            body: None,
        });
        name
    }

    pub(crate) fn can_spawn(&self) -> bool {
        self.fns.len() < MAX_FNS
    }

    fn print(&self) -> String {
        let mut out = String::new();
        out.push_str(PRELUDE);
        out.push_str("\n-- Generated.\n");
        self.uni.print_decls(&mut out);
        for (name, ty, v) in &self.consts {
            let _ = write!(out, "\n{name} : {}\n{name} = {v}\n", self.uni.show(ty));
        }
        for f in &self.fns {
            out.push('\n');
            if let Some(poly) = &f.poly {
                out.push_str(&poly.text);
                continue;
            }
            let _ = writeln!(out, "{} : {} -> {}", f.name, self.uni.show_fun_arg(&f.param), self.uni.show(&f.result));
            if let Some(body) = &f.body {
                out.push_str(body);
                out.push('\n');
            }
        }
        out
    }
}
