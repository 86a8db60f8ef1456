//! Deliberate mistakes: a generated program with one linear-typing error
//! put in on purpose, which the checker must reject. Each mistake is made
//! where the generator would otherwise have written the correct form, and is
//! marked with the comment [`MARK`] so a program is only counted as broken
//! if the mistake survived into its text (a step may be abandoned after the
//! mistake was made in it).

use super::body::Ctx;
use super::types::Ty;
use super::Gen;

/// The comment written just before every deliberate mistake.
pub const MARK: &str = "{- mistake -}";

/// A mistake against the linear type system, each a rule of
/// docs/cdsl.md section 8 that the checker must enforce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mistake {
    /// A linear variable that should have been freed is left unused (8.6).
    DropLinear,
    /// A word array is freed twice (8.6).
    UseTwice,
    /// A record is returned with a discardable field still taken (8.9).
    ForgetPut,
    /// A read-only view is bound outside its observation (8.11).
    EscapeView,
    /// A field of a linear record is read without observing it (8.10).
    MemberOfLinear,
    /// A variable is observed after it was consumed (8.11).
    ObserveConsumed,
    /// One branch of an `if` leaves a linear variable unused (8.7).
    BranchDisagree,
    /// A field that is already taken is taken again (8.9).
    TakeTwice,
    /// A linear field is put while present, losing its value (8.9).
    PutPresentLinear,
    /// A linear field is taken into `_` (8.14).
    WildcardLinear,
    /// A match misses a case (8.13).
    NonExhaustive,
    /// A linear variable is bound to `_` by a `let` (8.14).
    LetWildcardLinear,
    /// An observed variable is consumed inside its observation (8.11).
    ConsumeObserved,
    /// A linear type instantiates a type variable bounded by `DS` (8.15).
    PolyKind,
    /// A function calls itself (8.18).
    Recursion,
    /// A pattern literal does not fit in the scrutinee's word type (8.3).
    PatternLiteralRange,
}

impl Mistake {
    pub const ALL: &'static [Mistake] = &[
        Mistake::DropLinear,
        Mistake::UseTwice,
        Mistake::ForgetPut,
        Mistake::EscapeView,
        Mistake::MemberOfLinear,
        Mistake::ObserveConsumed,
        Mistake::BranchDisagree,
        Mistake::TakeTwice,
        Mistake::PutPresentLinear,
        Mistake::WildcardLinear,
        Mistake::NonExhaustive,
        Mistake::LetWildcardLinear,
        Mistake::ConsumeObserved,
        Mistake::PolyKind,
        Mistake::Recursion,
        Mistake::PatternLiteralRange,
    ];
}

impl Gen {
    /// Is mistake `m` to be made (wherever the chance comes)?
    pub(crate) fn wants(&self, m: Mistake) -> bool {
        self.mistake == Some(m)
    }

    /// A `let` binding that observes wrongly, and the context after it:
    /// binding a view itself, reading a linear record's field without `!`,
    /// or observing a consumed variable.
    pub(crate) fn observe_mistake(&mut self, ctx: &Ctx) -> Option<(String, Ctx)> {
        let atoms = ctx.atoms();
        let x = self.name("n");
        let mut c = ctx.clone();
        if self.wants(Mistake::EscapeView) && !atoms.is_empty() {
            let name = &ctx.slots[*self.rng.pick(&atoms)].name;
            let v = self.name("view");
            return Some((format!("{MARK} {v} = {name} !{name}"), c));
        }
        if self.wants(Mistake::MemberOfLinear) {
            let reads: Vec<(String, String, Ty)> = atoms
                .iter()
                .filter_map(|&s| match ctx.slots[s].ty {
                    Ty::Boxed(i, m) => self.uni.boxed[i]
                        .fields
                        .iter()
                        .enumerate()
                        .find(|(k, (_, t))| m & (1 << k) == 0 && self.uni.is_value(t))
                        .map(|(_, (f, t))| (ctx.slots[s].name.clone(), f.clone(), t.clone())),
                    _ => None,
                })
                .collect();
            if reads.is_empty() {
                return None;
            }
            let (name, f, t) = self.rng.pick(&reads).clone();
            c.push(x.clone(), t);
            return Some((format!("{MARK} {x} = {name}.{f}"), c));
        }
        if self.wants(Mistake::LetWildcardLinear) && !atoms.is_empty() {
            let s = *self.rng.pick(&atoms);
            let name = ctx.slots[s].name.clone();
            c.consume(s);
            return Some((format!("{MARK} _ = {name}"), c));
        }
        if self.wants(Mistake::ConsumeObserved) {
            let ex = ctx.sys()?;
            let a = *atoms.iter().find(|&&a| matches!(ctx.slots[a].ty, Ty::Array(_)))?;
            let (e, name) = (ctx.slots[ex].name.clone(), ctx.slots[a].name.clone());
            let ex2 = self.ex_name();
            c.consume(a);
            c.replace(ex, ex2.clone(), Ty::Sys);
            return Some((format!("{MARK} {ex2} = wordarray_free ({e}, {name}) !{name}"), c));
        }
        if self.wants(Mistake::PolyKind) && !atoms.is_empty() {
            let s = *self.rng.pick(&atoms);
            let name = ctx.slots[s].name.clone();
            c.consume(s);
            let v = self.name("v");
            // `pdup : all (a :< DS). a -> (a, a)`, always present in this mode.
            return Some((format!("{MARK} {v} = pdup {name}"), c));
        }
        if self.wants(Mistake::ObserveConsumed) {
            // Consumed for good, not just out of a nested body's reach.
            let gone: Vec<usize> = (0..ctx.slots.len())
                .filter(|&s| {
                    let slot = &ctx.slots[s];
                    // Not `SysState`: a consumed `ex` may be shadowed by a live one.
                    !slot.live && !slot.hidden && slot.ty.is_atom() && slot.ty != Ty::Sys
                })
                .collect();
            if gone.is_empty() {
                return None;
            }
            let name = &ctx.slots[*self.rng.pick(&gone)].name;
            c.push(x.clone(), Ty::Word(super::types::W::U32));
            return Some((format!("{MARK} {x} = 0 !{name}"), c));
        }
        None
    }

    /// `let t' {f = _} = t` for a field `f` already taken, or for a linear
    /// one, when that mistake is wanted.
    pub(crate) fn take_mistake(&mut self, ctx: &Ctx, s: usize, result: &Ty, fuel: u32, ind: usize) -> Option<String> {
        let Ty::Boxed(i, mask) = ctx.slots[s].ty else { return None };
        let fields = self.uni.boxed[i].fields.clone();
        let k = if self.wants(Mistake::TakeTwice) {
            (0..fields.len()).find(|&k| mask & (1 << k) != 0 && !self.uni.is_linear(&fields[k].1))?
        } else if self.wants(Mistake::WildcardLinear) {
            (0..fields.len()).find(|&k| mask & (1 << k) == 0 && self.uni.is_linear(&fields[k].1))?
        } else {
            return None;
        };
        let new = self.name("t");
        let mut c = ctx.clone();
        c.consume(s);
        c.push(new.clone(), Ty::Boxed(i, mask | (1 << k)));
        let old = &ctx.slots[s].name;
        self.then_let(format!("{MARK} {new} {{{} = _}} = {old}", fields[k].0), c, result, fuel, ind)
    }

    /// `let t' = t {f = a}` with linear field `f` present.
    pub(crate) fn put_present_linear(
        &mut self,
        ctx: &Ctx,
        s: usize,
        result: &Ty,
        fuel: u32,
        ind: usize,
    ) -> Option<String> {
        let Ty::Boxed(i, mask) = ctx.slots[s].ty else { return None };
        let fields = self.uni.boxed[i].fields.clone();
        for (k, (f, t)) in fields.iter().enumerate() {
            if mask & (1 << k) != 0 || !self.uni.is_linear(t) {
                continue;
            }
            let Some(a) = ctx.atoms().into_iter().find(|&a| a != s && ctx.slots[a].ty == *t) else { continue };
            let new = self.name("t");
            let mut c = ctx.clone();
            c.consume(s);
            c.consume(a);
            c.push(new.clone(), Ty::Boxed(i, mask));
            let (old, filler) = (&ctx.slots[s].name, &ctx.slots[a].name);
            return self.then_let(format!("{MARK} {new} = {old} {{{f} = {filler}}}"), c, result, fuel, ind);
        }
        None
    }
}
