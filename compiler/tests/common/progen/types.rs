//! The generator's types: the program's declared types (the universe), kinds,
//! printing, random choice of types and signatures, and literals.

use super::Rng;
use std::fmt::Write as _;

/// A word type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum W {
    U8,
    U16,
    U32,
    U64,
}

impl W {
    pub(crate) const ALL: [W; 4] = [W::U8, W::U16, W::U32, W::U64];

    pub(crate) fn name(self) -> &'static str {
        match self {
            W::U8 => "U8",
            W::U16 => "U16",
            W::U32 => "U32",
            W::U64 => "U64",
        }
    }

    pub(crate) fn bits(self) -> u32 {
        match self {
            W::U8 => 8,
            W::U16 => 16,
            W::U32 => 32,
            W::U64 => 64,
        }
    }

    pub(crate) fn max(self) -> u64 {
        u64::MAX >> (64 - self.bits())
    }
}

/// A type as the generator sees it. Declared records and variants are
/// referred to by their index in the [`Universe`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    Word(W),
    Bool,
    Unit,
    Tuple(Vec<Ty>),
    /// A declared unboxed record `#{..}`.
    Rec(usize),
    /// An anonymous unboxed record, as the runtime's iterators take.
    Anon(Vec<(String, Ty)>),
    /// A declared variant.
    Sum(usize),
    Option(Box<Ty>),
    Res(Box<Ty>, Box<Ty>),
    /// A declared boxed record with the fields of the bit mask taken.
    Boxed(usize, u32),
    Array(W),
    Sys,
    /// A read-only view of a boxed record or word array.
    Bang(Box<Ty>),
    Fun(Box<Ty>, Box<Ty>),
    /// A type variable of a polymorphic function (`a`, `b`, …).
    Var(u8),
    /// Some of the alternatives (bit mask) of a variant type, written out
    /// (`<Some U8>`): a subtype of the whole variant.
    Narrow(Box<Ty>, u32),
}

impl Ty {
    pub(crate) fn tuple(mut items: Vec<Ty>) -> Ty {
        match items.len() {
            0 => Ty::Unit,
            1 => items.pop().unwrap_or(Ty::Unit),
            _ => Ty::Tuple(items),
        }
    }

    pub(crate) fn bang(self) -> Ty {
        Ty::Bang(Box::new(self))
    }

    /// A linear atom: the only linear types the body context holds.
    pub(crate) fn is_atom(&self) -> bool {
        matches!(self, Ty::Sys | Ty::Array(_) | Ty::Boxed(..))
    }

    pub(crate) fn as_word(&self) -> Option<W> {
        match self {
            Ty::Word(w) => Some(*w),
            _ => None,
        }
    }
}

/// One alternative of a variant: its tag and payload types (none, one, or
/// several carried as a tuple).
#[derive(Clone, Debug)]
pub(crate) struct Alt {
    pub(crate) tag: String,
    pub(crate) payload: Vec<Ty>,
    /// Declared as `Tag (a, b)` rather than `Tag a b` (the same type).
    pub(crate) paren: bool,
}

impl Alt {
    pub(crate) fn payload_ty(&self) -> Option<Ty> {
        if self.payload.is_empty() {
            None
        } else {
            Some(Ty::tuple(self.payload.clone()))
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Record {
    pub(crate) name: String,
    pub(crate) fields: Vec<(String, Ty)>,
}

#[derive(Clone, Debug)]
pub(crate) struct SumDef {
    pub(crate) name: String,
    pub(crate) alts: Vec<Alt>,
}

/// The types a program declares.
#[derive(Clone, Debug, Default)]
pub(crate) struct Universe {
    pub(crate) sums: Vec<SumDef>,
    /// Unboxed records; some hold linear fields.
    pub(crate) unboxed: Vec<Record>,
    pub(crate) boxed: Vec<Record>,
}

const FIELD_NAMES: &[&str] =
    &["size", "ino", "links", "mode", "flags", "count", "next", "len", "gen", "used", "dirty", "blocks", "data", "pos"];
const TAGS: &[&str] = &["Dir", "File", "Link", "Hole", "Full", "Empty", "Pend", "Done", "Bad", "Ok", "Miss", "Hit"];

impl Universe {
    /// A random set of declarations; `nested` asks for two boxed records,
    /// one inside the other.
    pub(crate) fn random(rng: &mut Rng, nested: bool) -> Universe {
        let mut u = Universe::default();
        for i in 0..rng.weighted(&[25, 50, 25]) {
            let alts = (0..rng.range(2, 4))
                .map(|j| {
                    let tag = format!("{}{i}", TAGS[(j + 3 * i) % TAGS.len()]);
                    let payload = u.random_payload(rng);
                    Alt { tag, payload, paren: rng.pct(40) }
                })
                .collect();
            u.sums.push(SumDef { name: format!("V{i}"), alts });
        }
        for i in 0..rng.weighted(&[30, 45, 25]) {
            let n = rng.range(1, 3);
            let fields = u.random_fields(rng, n, |u, rng| u.random_plain(rng, true));
            u.unboxed.push(Record { name: format!("P{i}"), fields });
        }
        let boxed = if nested { 2 } else { rng.weighted(&[15, 45, 40]) };
        for i in 0..boxed {
            let n = rng.range(2, 4);
            let mut fields = u.random_fields(rng, n, |u, rng| match rng.weighted(&[50, 25, 15]) {
                0 => u.random_plain(rng, true),
                1 => Ty::Array(*rng.pick(&[W::U8, W::U32])),
                _ if !u.boxed.is_empty() && rng.pct(60) => Ty::Boxed(rng.below(u.boxed.len()), 0),
                _ => Ty::Array(W::U32),
            });
            if i > 0 && (nested || rng.pct(75)) && !fields.iter().any(|(_, t)| matches!(t, Ty::Boxed(..))) {
                // A record inside a record, for nested takes and frees.
                let k = rng.below(fields.len());
                fields[k].1 = Ty::Boxed(rng.below(i), 0);
            }
            u.boxed.push(Record { name: format!("T{i}"), fields });
        }
        if rng.pct(30) {
            // An unboxed record holding a linear value.
            let n = u.unboxed.len();
            let inner = if !u.boxed.is_empty() && rng.pct(40) {
                Ty::Boxed(rng.below(u.boxed.len()), 0)
            } else {
                Ty::Array(*rng.pick(&[W::U8, W::U32]))
            };
            let fields = vec![("held".to_owned(), inner), ("tag".to_owned(), Ty::Word(*rng.pick(&W::ALL)))];
            u.unboxed.push(Record { name: format!("P{n}"), fields });
        }
        u
    }

    fn random_fields(
        &mut self,
        rng: &mut Rng,
        n: usize,
        mut ty: impl FnMut(&Self, &mut Rng) -> Ty,
    ) -> Vec<(String, Ty)> {
        let start = rng.below(FIELD_NAMES.len());
        (0..n).map(|k| (FIELD_NAMES[(start + k) % FIELD_NAMES.len()].to_owned(), ty(self, rng))).collect()
    }

    fn random_payload(&self, rng: &mut Rng) -> Vec<Ty> {
        match rng.weighted(&[25, 30, 10, 15, 12, 8]) {
            0 => vec![],
            1 => vec![Ty::Word(*rng.pick(&W::ALL))],
            2 => vec![Ty::Bool],
            3 => vec![Ty::Word(*rng.pick(&W::ALL)), Ty::Bool],
            4 if !self.sums.is_empty() => vec![Ty::Sum(rng.below(self.sums.len()))],
            4 => vec![Ty::Option(Box::new(Ty::Word(W::U8)))],
            _ => vec![Ty::Word(W::U16), Ty::Word(W::U32)],
        }
    }

    /// A random plain value type made of what is declared so far (no
    /// functions, nothing linear): a field or payload type.
    fn random_plain(&self, rng: &mut Rng, compound: bool) -> Ty {
        match rng.weighted(&[55, 15, if compound { 12 } else { 0 }, if compound { 12 } else { 0 }]) {
            0 => Ty::Word(*rng.pick(&W::ALL)),
            1 => Ty::Bool,
            2 if !self.sums.is_empty() => Ty::Sum(rng.below(self.sums.len())),
            3 if !self.unboxed.is_empty() => Ty::Rec(rng.below(self.unboxed.len())),
            _ => Ty::Word(W::U32),
        }
    }

    pub(crate) fn alts(&self, ty: &Ty) -> Vec<Alt> {
        match ty {
            Ty::Sum(i) => self.sums[*i].alts.clone(),
            Ty::Option(a) => vec![
                Alt { tag: "None".into(), payload: vec![], paren: false },
                Alt { tag: "Some".into(), payload: vec![(**a).clone()], paren: false },
            ],
            Ty::Res(a, e) => vec![
                Alt { tag: "Success".into(), payload: vec![(**a).clone()], paren: false },
                Alt { tag: "Error".into(), payload: vec![(**e).clone()], paren: false },
            ],
            Ty::Narrow(base, mask) => {
                self.alts(base).into_iter().enumerate().filter(|(k, _)| mask & (1 << k) != 0).map(|(_, a)| a).collect()
            }
            _ => vec![],
        }
    }

    pub(crate) fn is_variant(ty: &Ty) -> bool {
        matches!(ty, Ty::Sum(_) | Ty::Option(_) | Ty::Res(..) | Ty::Narrow(..))
    }

    /// Sometimes `ty` narrowed to some of its alternatives (a variant of
    /// values with two or more), else `ty`.
    /// Variants inside tuples and `Option`/`R` payloads may be narrowed too
    /// (docs/cdsl.md 8.12: the subtyping holds inside them).
    pub(crate) fn maybe_narrow(&self, rng: &mut Rng, ty: Ty) -> Ty {
        let ty = match ty {
            Ty::Tuple(ts) => return Ty::Tuple(ts.into_iter().map(|t| self.maybe_narrow(rng, t)).collect()),
            Ty::Option(a) if rng.pct(50) => Ty::Option(Box::new(self.maybe_narrow(rng, *a))),
            Ty::Res(a, e) if rng.pct(50) => Ty::Res(Box::new(self.maybe_narrow(rng, *a)), e),
            t => t,
        };
        let n = self.alts(&ty).len();
        if !matches!(ty, Ty::Sum(_) | Ty::Option(_) | Ty::Res(..)) || n < 2 || !self.is_value(&ty) || !rng.pct(60) {
            return ty;
        }
        let all = (1u32 << n) - 1;
        let mask = loop {
            let m = (rng.next_u64() as u32) & all;
            if m != 0 && m != all {
                break m;
            }
        };
        Ty::Narrow(Box::new(ty), mask)
    }

    /// A value of type `have` fits where `want` is expected (the same type,
    /// or some alternatives of it).
    pub(crate) fn fits(have: &Ty, want: &Ty) -> bool {
        match (have, want) {
            _ if have == want => true,
            (Ty::Narrow(base, _), _) => Self::fits(base, want),
            (Ty::Tuple(hs), Ty::Tuple(ws)) => hs.len() == ws.len() && hs.iter().zip(ws).all(|(h, w)| Self::fits(h, w)),
            (Ty::Option(h), Ty::Option(w)) => Self::fits(h, w),
            (Ty::Res(h, he), Ty::Res(w, we)) => Self::fits(h, w) && Self::fits(he, we),
            _ => false,
        }
    }

    /// Has a narrowed variant somewhere inside.
    pub(crate) fn is_narrowed(ty: &Ty) -> bool {
        match ty {
            Ty::Narrow(..) => true,
            Ty::Tuple(ts) => ts.iter().any(Self::is_narrowed),
            Ty::Option(a) => Self::is_narrowed(a),
            Ty::Res(a, e) => Self::is_narrowed(a) || Self::is_narrowed(e),
            _ => false,
        }
    }

    /// The fields of a record type (boxed or unboxed).
    pub(crate) fn fields<'a>(&'a self, ty: &'a Ty) -> &'a [(String, Ty)] {
        match ty {
            Ty::Rec(i) => &self.unboxed[*i].fields,
            Ty::Anon(fs) => fs,
            Ty::Boxed(i, _) => &self.boxed[*i].fields,
            _ => &[],
        }
    }

    /// Linear: may be neither dropped nor shared (holds a boxed record, a
    /// word array or `SysState` outside a view, or an unbounded type variable).
    pub(crate) fn is_linear(&self, ty: &Ty) -> bool {
        match ty {
            Ty::Sys | Ty::Array(_) | Ty::Boxed(..) | Ty::Var(_) => true,
            Ty::Word(_) | Ty::Bool | Ty::Unit | Ty::Bang(_) | Ty::Fun(..) => false,
            Ty::Tuple(ts) => ts.iter().any(|t| self.is_linear(t)),
            Ty::Rec(i) => self.unboxed[*i].fields.iter().any(|(_, t)| self.is_linear(t)),
            Ty::Anon(fs) => fs.iter().any(|(_, t)| self.is_linear(t)),
            Ty::Sum(_) | Ty::Option(_) | Ty::Res(..) | Ty::Narrow(..) => {
                self.alts(ty).iter().any(|a| a.payload.iter().any(|t| self.is_linear(t)))
            }
        }
    }

    /// Holds a read-only view somewhere (so it may not escape an observation).
    pub(crate) fn has_view(&self, ty: &Ty) -> bool {
        match ty {
            Ty::Bang(_) => true,
            Ty::Tuple(ts) => ts.iter().any(|t| self.has_view(t)),
            Ty::Anon(fs) => fs.iter().any(|(_, t)| self.has_view(t)),
            _ => false,
        }
    }

    /// A value: discardable, shareable and escapable (kind DSE).
    pub(crate) fn is_value(&self, ty: &Ty) -> bool {
        !self.is_linear(ty) && !self.has_view(ty)
    }

    /// Can be written as an entry argument literal.
    pub(crate) fn is_literal(&self, ty: &Ty) -> bool {
        match ty {
            Ty::Word(_) | Ty::Bool | Ty::Unit => true,
            Ty::Tuple(ts) => ts.iter().all(|t| self.is_literal(t)),
            Ty::Rec(i) => self.unboxed[*i].fields.iter().all(|(_, t)| self.is_literal(t)),
            Ty::Sum(_) | Ty::Option(_) | Ty::Res(..) | Ty::Narrow(..) => {
                self.alts(ty).iter().all(|a| a.payload.iter().all(|t| self.is_literal(t)))
            }
            _ => false,
        }
    }

    /// The unboxed records whose fields are all values.
    pub(crate) fn value_records(&self) -> Vec<usize> {
        (0..self.unboxed.len()).filter(|&i| self.is_value(&Ty::Rec(i))).collect()
    }

    /// A random value type (DSE), for expressions, parameters and results.
    pub(crate) fn value_ty(&self, rng: &mut Rng, depth: u32) -> Ty {
        let records = self.value_records();
        let k = rng.weighted(&[
            50,
            14,
            if depth > 0 { 8 } else { 0 },
            if records.is_empty() { 0 } else { 10 },
            if self.sums.is_empty() { 0 } else { 12 },
            if depth > 0 { 5 } else { 0 },
            if depth > 0 { 2 } else { 0 },
            1,
        ]);
        match k {
            0 => Ty::Word(*rng.pick(&W::ALL)),
            1 => Ty::Bool,
            2 => Ty::Tuple((0..rng.range(2, 3)).map(|_| self.value_ty(rng, depth - 1)).collect()),
            3 => Ty::Rec(*rng.pick(&records)),
            4 => Ty::Sum(rng.below(self.sums.len())),
            5 => Ty::Option(Box::new(self.value_ty(rng, depth - 1))),
            6 => Ty::Res(Box::new(self.value_ty(rng, depth - 1)), Box::new(Ty::Word(W::U32))),
            _ => Ty::Unit,
        }
    }

    /// A random literal type (a value type without functions).
    pub(crate) fn literal_ty(&self, rng: &mut Rng, depth: u32) -> Ty {
        let t = self.value_ty(rng, depth);
        if self.is_literal(&t) {
            t
        } else {
            Ty::Word(W::U32)
        }
    }

    /// A random linear atom type that can be made by allocation.
    pub(crate) fn atom_ty(&self, rng: &mut Rng) -> Ty {
        if !self.boxed.is_empty() && rng.pct(50) {
            // The last record is the one most likely to hold another.
            let n = self.boxed.len();
            Ty::Boxed(if rng.pct(50) { n - 1 } else { rng.below(n) }, 0)
        } else {
            Ty::Array(*rng.pick(&[W::U8, W::U32]))
        }
    }

    /// The fields of boxed record `i` a `take` mask may cover: the mask of
    /// every field, and of the linear ones.
    pub(crate) fn all_fields(&self, i: usize) -> u32 {
        (1u32 << self.boxed[i].fields.len()) - 1
    }

    pub(crate) fn linear_fields(&self, i: usize) -> u32 {
        let mut m = 0;
        for (k, (_, t)) in self.boxed[i].fields.iter().enumerate() {
            if self.is_linear(t) {
                m |= 1 << k;
            }
        }
        m
    }
}

// ---------------------------------------------------------------------------
// Printing.

impl Universe {
    pub(crate) fn show(&self, ty: &Ty) -> String {
        match ty {
            Ty::Word(w) => w.name().to_owned(),
            Ty::Bool => "Bool".to_owned(),
            Ty::Unit => "()".to_owned(),
            Ty::Tuple(ts) => format!("({})", ts.iter().map(|t| self.show(t)).collect::<Vec<_>>().join(", ")),
            Ty::Rec(i) => self.unboxed[*i].name.clone(),
            Ty::Anon(fs) => format!("#{}", self.show_fields(fs)),
            Ty::Sum(i) => self.sums[*i].name.clone(),
            Ty::Option(a) => format!("Option {}", self.show_atom(a)),
            Ty::Res(a, e) => format!("R {} {}", self.show_atom(a), self.show_atom(e)),
            Ty::Boxed(i, mask) => {
                let name = &self.boxed[*i].name;
                let all = self.all_fields(*i);
                if *mask == 0 {
                    name.clone()
                } else if *mask == all {
                    format!("{name} take (..)")
                } else {
                    let taken: Vec<&str> = self.boxed[*i]
                        .fields
                        .iter()
                        .enumerate()
                        .filter(|(k, _)| mask & (1 << k) != 0)
                        .map(|(_, (f, _))| f.as_str())
                        .collect();
                    if taken.len() == 1 {
                        format!("{name} take {}", taken[0])
                    } else {
                        format!("{name} take ({})", taken.join(", "))
                    }
                }
            }
            Ty::Array(w) => format!("WordArray {}", w.name()),
            Ty::Sys => "SysState".to_owned(),
            Ty::Bang(t) => format!("{}!", self.show_atom(t)),
            Ty::Fun(a, b) => format!("{} -> {}", self.show_fun_arg(a), self.show(b)),
            Ty::Var(k) => ((b'a' + k) as char).to_string(),
            Ty::Narrow(..) => {
                let alts: Vec<String> = self.alts(ty).iter().map(|a| self.show_alt(a)).collect();
                format!("<{} >", alts.join(" | "))
            }
        }
    }

    /// One alternative of a variant type, as declared.
    fn show_alt(&self, a: &Alt) -> String {
        match a.payload.len() {
            0 => a.tag.clone(),
            1 => format!("{} {}", a.tag, self.show_atom(&a.payload[0])),
            _ if a.paren => format!("{} {}", a.tag, self.show(&Ty::Tuple(a.payload.clone()))),
            _ => format!("{} {}", a.tag, a.payload.iter().map(|t| self.show_atom(t)).collect::<Vec<_>>().join(" ")),
        }
    }

    /// A type as the argument of a function type (parenthesised if a function).
    pub(crate) fn show_fun_arg(&self, ty: &Ty) -> String {
        match ty {
            Ty::Fun(..) => format!("({})", self.show(ty)),
            _ => self.show(ty),
        }
    }

    /// A type where an atom is needed (argument of a type application, `!`).
    pub(crate) fn show_atom(&self, ty: &Ty) -> String {
        let s = self.show(ty);
        let atomic = match ty {
            Ty::Option(_) | Ty::Res(..) | Ty::Array(_) | Ty::Fun(..) | Ty::Bang(_) => false,
            Ty::Boxed(_, mask) => *mask == 0,
            _ => true,
        };
        if atomic {
            s
        } else {
            format!("({s})")
        }
    }

    pub(crate) fn print_decls(&self, out: &mut String) {
        for s in &self.sums {
            let alts: Vec<String> = s.alts.iter().map(|a| self.show_alt(a)).collect();
            // A variant ending in `>` needs a space before the closing `>`.
            let _ = writeln!(out, "type {} = <{} >", s.name, alts.join(" | "));
        }
        for r in &self.unboxed {
            let _ = writeln!(out, "type {} = #{}", r.name, self.show_fields(&r.fields));
        }
        for (i, r) in self.boxed.iter().enumerate() {
            let _ = writeln!(out, "type {} = {}", r.name, self.show_fields(&r.fields));
            let lower = r.name.to_lowercase();
            let shell = self.show(&Ty::Boxed(i, self.all_fields(i)));
            let _ = writeln!(out, "new_{lower} : SysState -> R (SysState, {shell}) SysState");
            let _ = writeln!(out, "free_{lower} : (SysState, {shell}) -> SysState");
        }
    }

    fn show_fields(&self, fields: &[(String, Ty)]) -> String {
        let fs: Vec<String> = fields.iter().map(|(f, t)| format!("{f} : {}", self.show(t))).collect();
        format!("{{ {} }}", fs.join(", "))
    }
}

// ---------------------------------------------------------------------------
// Literals.

/// A random value of word type `w`, often at a boundary.
pub(crate) fn word_value(rng: &mut Rng, w: W) -> u64 {
    match rng.weighted(&[40, 15, 10, 10, 25]) {
        0 => rng.below(10) as u64,
        1 => 0,
        2 => w.max(),
        3 => w.max() - rng.below(3) as u64,
        _ => rng.next_u64() & w.max(),
    }
}

/// A literal of `ty` (a literal type) in the entry argument convention.
pub(crate) fn literal(u: &Universe, rng: &mut Rng, ty: &Ty) -> String {
    match ty {
        Ty::Word(w) => word_value(rng, *w).to_string(),
        Ty::Bool => if rng.pct(50) { "True" } else { "False" }.to_owned(),
        Ty::Unit => "()".to_owned(),
        Ty::Tuple(ts) => format!("({})", ts.iter().map(|t| literal(u, rng, t)).collect::<Vec<_>>().join(", ")),
        Ty::Rec(i) => {
            let fs: Vec<String> =
                u.unboxed[*i].fields.iter().map(|(f, t)| format!("{f} = {}", literal(u, rng, t))).collect();
            format!("#{{{}}}", fs.join(", "))
        }
        Ty::Sum(_) | Ty::Option(_) | Ty::Res(..) | Ty::Narrow(..) => {
            let alts = u.alts(ty);
            let alt = rng.pick(&alts);
            match alt.payload_ty() {
                None => alt.tag.clone(),
                Some(p) => {
                    let v = literal(u, rng, &p);
                    let atomic = !v.contains(' ') || v.starts_with('(') || v.starts_with("#{");
                    if atomic {
                        format!("{} {v}", alt.tag)
                    } else {
                        format!("{} ({v})", alt.tag)
                    }
                }
            }
        }
        _ => unreachable!("bug: no literal for {ty:?}"),
    }
}

// ---------------------------------------------------------------------------
// Signatures.

/// The entry's parameter and result types (see the convention in
/// `progen.rs`).
pub(crate) fn entry_signature(u: &Universe, rng: &mut Rng, stateful: bool) -> (Ty, Ty) {
    if stateful {
        let args: Vec<Ty> = (0..rng.range(1, 3)).map(|_| u.literal_ty(rng, 1)).collect();
        let results: Vec<Ty> = (0..rng.range(1, 2)).map(|_| u.literal_ty(rng, 1)).collect();
        let param = Ty::Tuple(std::iter::once(Ty::Sys).chain(args).collect());
        let result = Ty::Tuple(std::iter::once(Ty::Sys).chain(results).collect());
        (param, result)
    } else {
        let arg = if rng.pct(50) {
            Ty::Tuple((0..rng.range(2, 3)).map(|_| u.literal_ty(rng, 1)).collect())
        } else {
            u.literal_ty(rng, 2)
        };
        (arg, u.literal_ty(rng, 2))
    }
}

/// A random signature for a pool function: pure, a linear transformer, a
/// stateful function or an allocator.
pub(crate) fn pool_signature(u: &Universe, rng: &mut Rng) -> (Ty, Ty) {
    match rng.weighted(&[20, 25, 40, 15]) {
        0 => {
            let mut params: Vec<Ty> = (0..rng.range(1, 2)).map(|_| u.value_ty(rng, 1)).collect();
            if rng.pct(40) {
                params.push(view_ty(u, rng));
            }
            if rng.pct(45) {
                let f = Ty::Fun(Box::new(u.value_ty(rng, 0)), Box::new(u.value_ty(rng, 0)));
                params.insert(rng.below(params.len() + 1), f);
            }
            (Ty::tuple(params), u.value_ty(rng, 1))
        }
        1 => {
            let atoms = linear_params(u, rng);
            let mut params = atoms.clone();
            params.extend((0..rng.range(0, 2)).map(|_| u.value_ty(rng, 0)));
            rng.shuffle(&mut params);
            let mut results: Vec<Ty> = atoms.iter().map(|t| whole(u, rng, t)).collect();
            results.push(u.value_ty(rng, 1));
            let result = if rng.pct(25) {
                let mut other: Vec<Ty> = atoms.iter().map(|t| whole(u, rng, t)).collect();
                other.push(Ty::Word(W::U32));
                Ty::Res(Box::new(Ty::tuple(results)), Box::new(Ty::tuple(other)))
            } else {
                Ty::tuple(results)
            };
            (Ty::tuple(params), result)
        }
        2 => {
            let atoms = if rng.pct(75) { linear_params(u, rng) } else { vec![] };
            let mut params = vec![Ty::Sys];
            params.extend(atoms.iter().cloned());
            params.extend((0..rng.range(0, 2)).map(|_| u.value_ty(rng, 0)));
            let mut kept = Vec::new();
            for t in &atoms {
                if rng.pct(70) {
                    kept.push(whole(u, rng, t));
                }
            }
            let mut results = vec![Ty::Sys];
            results.extend(kept.iter().cloned());
            if rng.pct(60) {
                results.push(u.value_ty(rng, 1));
            }
            let result = if rng.pct(30) {
                let mut other = vec![Ty::Sys];
                other.extend(kept.into_iter().filter(|_| rng.pct(50)));
                other.push(Ty::Word(W::U32));
                Ty::Res(Box::new(Ty::tuple(results)), Box::new(Ty::tuple(other)))
            } else {
                Ty::tuple(results)
            };
            (Ty::tuple(params), result)
        }
        _ => {
            let mut params = vec![Ty::Sys];
            params.extend((0..rng.range(0, 1)).map(|_| u.value_ty(rng, 0)));
            let mut ok = vec![Ty::Sys, u.atom_ty(rng)];
            if rng.pct(40) {
                ok.push(u.value_ty(rng, 0));
            }
            (Ty::tuple(params), Ty::Res(Box::new(Ty::tuple(ok)), Box::new(Ty::Sys)))
        }
    }
}

/// One or two linear parameters: atoms, sometimes with fields taken, or a
/// linear unboxed record.
fn linear_params(u: &Universe, rng: &mut Rng) -> Vec<Ty> {
    let linear_recs: Vec<usize> = (0..u.unboxed.len()).filter(|&i| u.is_linear(&Ty::Rec(i))).collect();
    (0..rng.range(1, 2))
        .map(|_| {
            if !linear_recs.is_empty() && rng.pct(15) {
                return Ty::Rec(*rng.pick(&linear_recs));
            }
            match u.atom_ty(rng) {
                Ty::Boxed(i, _) if rng.pct(25) => Ty::Boxed(i, 1 << rng.below(u.boxed[i].fields.len())),
                t => t,
            }
        })
        .collect()
}

/// A parameter's type as returned: usually whole again (if only
/// discardable fields are missing, which fresh values can fill), sometimes
/// as taken.
pub(crate) fn whole(u: &Universe, rng: &mut Rng, ty: &Ty) -> Ty {
    match ty {
        Ty::Boxed(i, m) if *m != 0 && m & u.linear_fields(*i) == 0 && rng.pct(70) => Ty::Boxed(*i, 0),
        t => t.clone(),
    }
}

/// A read-only parameter: a boxed record or a word array.
fn view_ty(u: &Universe, rng: &mut Rng) -> Ty {
    match u.atom_ty(rng) {
        Ty::Boxed(i, _) => Ty::Boxed(i, 0).bang(),
        t => t.bang(),
    }
}

// ---------------------------------------------------------------------------
// Polymorphic functions: a few fixed templates.

/// A polymorphic function: its text, and its signature over `Ty::Var`s.
#[derive(Clone, Debug)]
pub(crate) struct PolyFn {
    pub(crate) name: String,
    pub(crate) param: Ty,
    pub(crate) result: Ty,
    /// For each type variable: may it be linear (no bound)?
    pub(crate) linear_ok: Vec<bool>,
    pub(crate) text: String,
}

impl PolyFn {
    /// `pdup : all (a :< DS). a -> (a, a)`.
    pub(crate) fn dup() -> PolyFn {
        PolyFn {
            name: "pdup".to_owned(),
            param: Ty::Var(0),
            result: Ty::Tuple(vec![Ty::Var(0), Ty::Var(0)]),
            linear_ok: vec![false],
            text: "pdup : all (a :< DS). a -> (a, a)\npdup x = (x, x)\n".to_owned(),
        }
    }

    pub(crate) fn random(rng: &mut Rng) -> PolyFn {
        let a = || Ty::Var(0);
        let b = || Ty::Var(1);
        let (name, param, result, linear_ok, text) = match rng.below(4) {
            0 => (
                "pswap",
                Ty::Tuple(vec![a(), b()]),
                Ty::Tuple(vec![b(), a()]),
                vec![true, true],
                "pswap : all (a, b). (a, b) -> (b, a)\npswap (x, y) = (y, x)\n",
            ),
            1 => (
                "pdup",
                a(),
                Ty::Tuple(vec![a(), a()]),
                vec![false],
                "pdup : all (a :< DS). a -> (a, a)\npdup x = (x, x)\n",
            ),
            2 => (
                "ppick",
                Ty::Tuple(vec![Ty::Bool, a(), a()]),
                a(),
                vec![false],
                "ppick : all (a :< DSE). (Bool, a, a) -> a\nppick (c, x, y) = if c then x else y\n",
            ),
            _ => (
                "pkeep",
                Ty::Tuple(vec![a(), b(), Ty::Bool]),
                Ty::Tuple(vec![a(), Ty::Bool]),
                vec![true, false],
                "pkeep : all (a, b :< D). (a, b, Bool) -> (a, Bool)\npkeep (x, _, c) = (x, not c)\n",
            ),
        };
        PolyFn { name: name.to_owned(), param, result, linear_ok, text: text.to_owned() }
    }
}

/// `ty` with type variable `k` replaced by `args[k]`.
pub(crate) fn subst(ty: &Ty, args: &[Ty]) -> Ty {
    match ty {
        Ty::Var(k) => args[*k as usize].clone(),
        Ty::Tuple(ts) => Ty::Tuple(ts.iter().map(|t| subst(t, args)).collect()),
        Ty::Anon(fs) => Ty::Anon(fs.iter().map(|(f, t)| (f.clone(), subst(t, args))).collect()),
        Ty::Option(a) => Ty::Option(Box::new(subst(a, args))),
        Ty::Res(a, e) => Ty::Res(Box::new(subst(a, args)), Box::new(subst(e, args))),
        Ty::Bang(a) => Ty::Bang(Box::new(subst(a, args))),
        Ty::Fun(a, b) => Ty::Fun(Box::new(subst(a, args)), Box::new(subst(b, args))),
        t => t.clone(),
    }
}
