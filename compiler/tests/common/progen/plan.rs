//! Finishing a body: building the function's result from the linear
//! variables still live, and freeing the rest.
//!
//! A result type has *linear leaves* — `SysState`, word arrays, boxed records
//! (perhaps with fields taken) — which depend on the alternatives chosen for
//! the variants in it. A *plan* picks the alternatives and assigns a live
//! variable to each leaf; a boxed record with more fields taken than the leaf
//! allows has its linear holes filled by further live variables (its
//! discardable holes get fresh values). What is left over is freed, which
//! needs `SysState`. The body generator only takes a step if every branch it
//! makes still has a plan; so every body can always be finished.

use super::body::Ctx;
use super::mistakes::{Mistake, MARK};
use super::types::{Ty, Universe, W};
use super::{Feature, Gen, Rng};

/// A linear leaf of a result type.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Need {
    Sys,
    Array(W),
    /// A boxed record with exactly these fields taken.
    Boxed(usize, u32),
}

/// Which live variable fills a leaf, and what fills its linear holes.
#[derive(Clone, Debug)]
pub(crate) struct Fill {
    pub(crate) slot: usize,
    /// The leaf's own taken mask (for a boxed record).
    pub(crate) want: u32,
    /// Linear fields to put back, each with what fills it.
    pub(crate) puts: Vec<(usize, Fill)>,
}

/// A way to finish: alternatives picked (in the order `render` meets the
/// variants) and one fill per leaf (in the same order).
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub(crate) picks: Vec<usize>,
    pub(crate) fills: Vec<Fill>,
    pub(crate) leftover: Vec<usize>,
}

const MAX_CHOICES: usize = 24;

/// The choices of alternatives of `ty` with the linear leaves each gives.
pub(crate) fn leaf_sets(u: &Universe, ty: &Ty) -> Vec<(Vec<usize>, Vec<Need>)> {
    if !u.is_linear(ty) {
        return vec![(vec![], vec![])];
    }
    match ty {
        Ty::Sys => vec![(vec![], vec![Need::Sys])],
        Ty::Array(w) => vec![(vec![], vec![Need::Array(*w)])],
        Ty::Boxed(i, m) => vec![(vec![], vec![Need::Boxed(*i, *m)])],
        Ty::Tuple(ts) => product(u, ts.iter()),
        Ty::Rec(_) | Ty::Anon(_) => product(u, u.fields(ty).iter().map(|(_, t)| t)),
        Ty::Sum(_) | Ty::Option(_) | Ty::Res(..) | Ty::Narrow(..) => {
            let mut out = Vec::new();
            for (k, alt) in u.alts(ty).iter().enumerate() {
                let payload = alt.payload_ty().unwrap_or(Ty::Unit);
                for (picks, needs) in leaf_sets(u, &payload) {
                    let mut p = vec![k];
                    p.extend(picks);
                    out.push((p, needs));
                }
            }
            out.truncate(MAX_CHOICES);
            out
        }
        _ => unreachable!("bug: {ty:?} in a result"),
    }
}

fn product<'a>(u: &Universe, items: impl Iterator<Item = &'a Ty>) -> Vec<(Vec<usize>, Vec<Need>)> {
    let mut acc = vec![(vec![], vec![])];
    for t in items {
        let opts = leaf_sets(u, t);
        let mut next = Vec::new();
        for (p, n) in &acc {
            for (p2, n2) in &opts {
                let mut p = p.clone();
                p.extend(p2.iter().copied());
                let mut n = n.clone();
                n.extend(n2.iter().cloned());
                next.push((p, n));
            }
        }
        next.truncate(MAX_CHOICES);
        acc = next;
    }
    acc
}

/// Finds live atoms, not yet `used`, for `needs` and the holes of what
/// fills them, searching every combination (a hole's choice can starve a
/// later need). Returns the atoms in the order `build` takes them: each
/// leaf's atom, then (depth first) its holes', then the next leaf's.
fn solve(u: &Universe, ctx: &Ctx, needs: &[Need], used: &mut [bool], rng: &mut Option<&mut Rng>) -> Option<Vec<usize>> {
    let Some((need, rest)) = needs.split_first() else { return Some(vec![]) };
    let mut candidates: Vec<usize> = (0..ctx.slots.len())
        .filter(|&s| ctx.slots[s].live && !used[s] && matches_need(u, &ctx.slots[s].ty, need))
        .collect();
    if let Some(rng) = rng.as_deref_mut() {
        rng.shuffle(&mut candidates);
    }
    for s in candidates {
        used[s] = true;
        let mut next: Vec<Need> = holes(u, need, &ctx.slots[s].ty).into_iter().map(|(_, n)| n).collect();
        next.extend(rest.iter().cloned());
        if let Some(mut order) = solve(u, ctx, &next, used, rng) {
            order.insert(0, s);
            return Some(order);
        }
        used[s] = false;
    }
    None
}

/// The linear fields a variable of type `have` lacks but leaf `need` wants
/// present, with what each needs.
fn holes(u: &Universe, need: &Need, have: &Ty) -> Vec<(usize, Need)> {
    match (need, have) {
        (Need::Boxed(_, want), Ty::Boxed(i, have)) => u.boxed[*i]
            .fields
            .iter()
            .enumerate()
            .filter(|(k, (_, t))| have & !want & (1 << k) != 0 && u.is_linear(t))
            .map(|(k, (_, t))| (k, need_of(t)))
            .collect(),
        _ => vec![],
    }
}

/// The fill of `need` from the atoms `solve` chose, in its order.
fn build(u: &Universe, ctx: &Ctx, need: &Need, order: &mut impl Iterator<Item = usize>) -> Fill {
    let slot = order.next().unwrap_or_else(|| unreachable!("bug: a plan too short"));
    let want = match need {
        Need::Boxed(_, want) => *want,
        _ => 0,
    };
    let puts = holes(u, need, &ctx.slots[slot].ty).into_iter().map(|(k, n)| (k, build(u, ctx, &n, order))).collect();
    Fill { slot, want, puts }
}

fn need_of(ty: &Ty) -> Need {
    match ty {
        Ty::Array(w) => Need::Array(*w),
        Ty::Boxed(i, m) => Need::Boxed(*i, *m),
        Ty::Sys => Need::Sys,
        _ => unreachable!("bug: a linear field of type {ty:?}"),
    }
}

fn matches_need(u: &Universe, have: &Ty, need: &Need) -> bool {
    match (have, need) {
        (Ty::Sys, Need::Sys) => true,
        (Ty::Array(a), Need::Array(b)) => a == b,
        // Fields taken in the leaf but present in the variable are taken out
        // on the way, which only discardable fields allow.
        (Ty::Boxed(i, have), Need::Boxed(j, want)) => {
            i == j
                && u.boxed[*i]
                    .fields
                    .iter()
                    .enumerate()
                    .all(|(k, (_, t))| want & !have & (1 << k) == 0 || !u.is_linear(t))
        }
        _ => false,
    }
}

/// All plans, one per feasible choice of alternatives.
pub(crate) fn plans(u: &Universe, ctx: &Ctx, result: &Ty, mut rng: Option<&mut Rng>) -> Vec<Plan> {
    let has_sys = ctx.slots.iter().any(|s| s.live && s.ty == Ty::Sys);
    let mut out = Vec::new();
    for (picks, needs) in leaf_sets(u, result) {
        let mut used = vec![false; ctx.slots.len()];
        let Some(order) = solve(u, ctx, &needs, &mut used, &mut rng) else { continue };
        let mut order = order.into_iter();
        let fills = needs.iter().map(|n| build(u, ctx, n, &mut order)).collect();
        let leftover: Vec<usize> =
            (0..ctx.slots.len()).filter(|&s| ctx.slots[s].live && ctx.slots[s].ty.is_atom() && !used[s]).collect();
        let sys_left = leftover.iter().any(|&s| ctx.slots[s].ty == Ty::Sys);
        if sys_left || (!leftover.is_empty() && !has_sys) {
            continue;
        }
        out.push(Plan { picks, fills, leftover });
        if rng.is_none() {
            break; // feasibility only
        }
    }
    out
}

pub(crate) fn feasible(u: &Universe, ctx: &Ctx, result: &Ty) -> bool {
    !plans(u, ctx, result, None).is_empty()
}

impl Gen {
    /// The end of a body: frees what the result does not hold, then builds
    /// the result.
    pub(crate) fn finish(&mut self, mut ctx: Ctx, result: &Ty, ind: usize) -> String {
        let mut options = plans(&self.uni, &ctx, result, Some(&mut self.rng));
        if options.is_empty() {
            unreachable!("bug: no way to finish {result:?} from {:?}", ctx.slots);
        }
        // Mostly the plan that keeps the most (an allocator's `Success`).
        options.sort_by_key(|p| p.leftover.len());
        let plan = if self.rng.pct(75) { options[0].clone() } else { self.rng.pick(&options).clone() };
        let mut lets = Vec::new();
        for &s in &plan.leftover {
            if self.wants(Mistake::DropLinear) {
                // Left unused: neither freed nor returned.
                lets.push(format!("{MARK} _ = ()"));
                continue;
            }
            let twice = self.wants(Mistake::UseTwice) && matches!(ctx.slots[s].ty, Ty::Array(_));
            let name = ctx.slots[s].name.clone();
            self.dispose(&mut ctx, s, &mut lets);
            if twice {
                let ex = ctx.sys().unwrap_or_else(|| unreachable!("bug: freed without SysState"));
                let (old, new) = (ctx.slots[ex].name.clone(), self.ex_name());
                lets.push(format!("{MARK} {new} = wordarray_free ({old}, {name})"));
                ctx.replace(ex, new, Ty::Sys);
            }
        }
        let mut fills = plan.fills.clone();
        for fill in &mut fills {
            self.extract(&mut ctx, fill, &mut lets);
        }
        let env = ctx.env();
        let mut picks = plan.picks.iter().copied();
        let mut fills = fills.into_iter();
        let e = self.render(&ctx, &env, result, &mut picks, &mut fills);
        wrap_lets(&lets, &e, ind)
    }

    /// Takes out the discardable fields a leaf wants taken but its variable
    /// still has, so the types agree.
    fn extract(&mut self, ctx: &mut Ctx, fill: &mut Fill, lets: &mut Vec<String>) {
        for (_, sub) in &mut fill.puts {
            self.extract(ctx, sub, lets);
        }
        let Ty::Boxed(i, have) = ctx.slots[fill.slot].ty else { return };
        let extra = fill.want & !have;
        if extra == 0 {
            return;
        }
        let fields: Vec<String> = (0..self.uni.boxed[i].fields.len())
            .filter(|k| extra & (1 << k) != 0)
            .map(|k| format!("{} = _", self.uni.boxed[i].fields[k].0))
            .collect();
        let old = ctx.slots[fill.slot].name.clone();
        let new = self.name("t");
        lets.push(format!("{new} {{{}}} = {old}", fields.join(", ")));
        self.feat(Feature::Take);
        fill.slot = ctx.replace(fill.slot, new, Ty::Boxed(i, have | extra));
    }

    /// Frees live atom `s`, threading `SysState`: a word array directly, a
    /// boxed record after taking (and freeing) what it still holds.
    pub(crate) fn dispose(&mut self, ctx: &mut Ctx, s: usize, lets: &mut Vec<String>) {
        let ex = ctx.sys().unwrap_or_else(|| unreachable!("bug: freeing without SysState"));
        let name = ctx.slots[s].name.clone();
        match ctx.slots[s].ty.clone() {
            Ty::Array(w) => {
                self.feat(Feature::ArrayCreateFree);
                let targs = if self.rng.pct(30) { format!(" [{}]", w.name()) } else { String::new() };
                let ex_name = ctx.slots[ex].name.clone();
                let ex2 = self.ex_name();
                lets.push(format!("{ex2} = wordarray_free{targs} ({ex_name}, {name})"));
                ctx.consume(s);
                ctx.replace(ex, ex2, Ty::Sys);
            }
            Ty::Boxed(i, mask) => {
                let present: Vec<usize> =
                    (0..self.uni.boxed[i].fields.len()).filter(|k| mask & (1 << k) == 0).collect();
                let mut shell = name;
                let mut inner = Vec::new();
                if !present.is_empty() {
                    self.feat(Feature::Take);
                    let mut parts = Vec::new();
                    for &k in &present {
                        let (f, t) = self.uni.boxed[i].fields[k].clone();
                        if let (Ty::Boxed(j, 0), true) = (&t, self.rng.pct(80)) {
                            // Take the inner record apart in the same pattern.
                            let v = self.name("t");
                            let mut sub = Vec::new();
                            for (g, u) in self.uni.boxed[*j].fields.clone() {
                                if self.uni.is_linear(&u) {
                                    let x = self.name(super::patterns::prefix(&u));
                                    sub.push(format!("{g} = {x}"));
                                    inner.push((x, u));
                                } else {
                                    sub.push(format!("{g} = _"));
                                }
                            }
                            parts.push(format!("{f} = {v} {{{}}}", sub.join(", ")));
                            inner.push((v, Ty::Boxed(*j, self.uni.all_fields(*j))));
                            self.feat(Feature::NestedTake);
                        } else if self.uni.is_linear(&t) {
                            let v = self.name(super::patterns::prefix(&t));
                            parts.push(format!("{f} = {v}"));
                            inner.push((v, t));
                        } else {
                            parts.push(format!("{f} = _"));
                        }
                    }
                    let new = self.name("t");
                    lets.push(format!("{new} {{{}}} = {shell}", parts.join(", ")));
                    shell = new;
                }
                ctx.consume(s);
                for (v, t) in inner {
                    let slot = ctx.push(v, t);
                    self.dispose(ctx, slot, lets);
                }
                let ex = ctx.sys().unwrap_or_else(|| unreachable!("bug: SysState lost"));
                let ex_name = ctx.slots[ex].name.clone();
                let ex2 = self.ex_name();
                let lower = self.uni.boxed[i].name.to_lowercase();
                lets.push(format!("{ex2} = free_{lower} ({ex_name}, {shell})"));
                self.feat(Feature::Free);
                ctx.replace(ex, ex2, Ty::Sys);
            }
            t => unreachable!("bug: disposing of {t:?}"),
        }
    }

    /// The result expression for `ty` following a plan.
    fn render(
        &mut self,
        ctx: &Ctx,
        env: &super::values::Env,
        ty: &Ty,
        picks: &mut impl Iterator<Item = usize>,
        fills: &mut impl Iterator<Item = Fill>,
    ) -> String {
        if !self.uni.is_linear(ty) {
            return self.value(ty, env, 2, true);
        }
        match ty {
            Ty::Sys | Ty::Array(_) => {
                let fill = fills.next().unwrap_or_else(|| unreachable!("bug: plan too short"));
                ctx.slots[fill.slot].name.clone()
            }
            Ty::Boxed(..) => {
                let fill = fills.next().unwrap_or_else(|| unreachable!("bug: plan too short"));
                self.render_fill(ctx, env, &fill)
            }
            Ty::Tuple(ts) => {
                let items: Vec<String> = ts.iter().map(|t| self.render(ctx, env, t, picks, fills)).collect();
                format!("({})", items.join(", "))
            }
            Ty::Rec(_) | Ty::Anon(_) => {
                self.feat(Feature::UnboxedRecord);
                let fields = self.uni.fields(ty).to_vec();
                let items: Vec<String> =
                    fields.iter().map(|(f, t)| format!("{f} = {}", self.render(ctx, env, t, picks, fills))).collect();
                format!("#{{{}}}", items.join(", "))
            }
            Ty::Sum(_) | Ty::Option(_) | Ty::Res(..) | Ty::Narrow(..) => {
                let k = picks.next().unwrap_or_else(|| unreachable!("bug: no pick"));
                let alt = self.uni.alts(ty)[k].clone();
                match alt.payload_ty() {
                    None => alt.tag,
                    Some(p) => {
                        let arg = self.render(ctx, env, &p, picks, fills);
                        format!("({} {})", alt.tag, super::values::atomic(&arg))
                    }
                }
            }
            _ => unreachable!("bug: rendering {ty:?}"),
        }
    }

    /// A boxed record variable with its holes put back.
    fn render_fill(&mut self, ctx: &Ctx, env: &super::values::Env, fill: &Fill) -> String {
        let name = ctx.slots[fill.slot].name.clone();
        let Ty::Boxed(i, have) = ctx.slots[fill.slot].ty else { return name };
        let mut puts = Vec::new();
        let fields = self.uni.boxed[i].fields.clone();
        for (k, (f, t)) in fields.iter().enumerate() {
            let bit = 1 << k;
            if have & !fill.want & bit != 0 {
                if let Some((_, sub)) = fill.puts.iter().find(|(j, _)| *j == k) {
                    let v = self.render_fill(ctx, env, sub);
                    puts.push(format!("{f} = {v}"));
                } else if self.wants(Mistake::ForgetPut) {
                    // Returned with this field still taken.
                    return format!("{MARK} {name}");
                } else {
                    let v = self.value(t, env, 1, true);
                    puts.push(format!("{f} = {v}"));
                }
            } else if have & bit == 0 && !self.uni.is_linear(t) && self.rng.pct(10) {
                // Overwriting a present discardable field is a put too.
                let v = self.value(t, env, 1, true);
                puts.push(format!("{f} = {v}"));
            }
        }
        if puts.is_empty() {
            name
        } else {
            self.feat(Feature::Put);
            format!("({name} {{{}}})", puts.join(", "))
        }
    }
}

/// `let b1 and b2 … in e`, one binding a line (or `e` alone).
pub(crate) fn wrap_lets(lets: &[String], e: &str, ind: usize) -> String {
    if lets.is_empty() {
        return e.to_owned();
    }
    let pad = " ".repeat(ind);
    let mut out = format!("let {}", lets[0]);
    for l in &lets[1..] {
        out.push_str(&format!("\n{pad}and {l}"));
    }
    out.push_str(&format!("\n{pad}in {e}"));
    out
}
