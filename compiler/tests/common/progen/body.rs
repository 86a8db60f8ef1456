//! Function bodies over linear variables. A body is a chain of steps —
//! `let`s that observe, take, put, call, allocate, free or loop, and
//! branches (`if`, matches) whose every branch continues the chain — ending
//! in `plan::finish`. Each step consumes linear variables and binds new ones
//! in the context; a step is only taken if every branch it makes can still
//! finish (`plan::feasible`), so every linear variable is used exactly once
//! on every path and all branches agree.

use super::mistakes::{Mistake, MARK};
use super::patterns::Pat;
use super::plan::{feasible, wrap_lets};
use super::types::{subst, Ty, W};
use super::values::{atomic, Env};
use super::{Feature, Gen};

/// A variable in scope.
#[derive(Clone, Debug)]
pub(crate) struct Slot {
    pub(crate) name: String,
    pub(crate) ty: Ty,
    /// Not yet consumed (always true for values and views).
    pub(crate) live: bool,
    /// Out of reach here but not consumed (outside a nested body).
    pub(crate) hidden: bool,
}

/// The variables in scope, and the freshly allocated records whose fields
/// the body should fill next.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ctx {
    pub(crate) slots: Vec<Slot>,
    pub(crate) focus: Vec<String>,
    /// A step to try first (set by a step that prepares for it).
    pub(crate) next: Option<Op>,
}

impl Ctx {
    pub(crate) fn push(&mut self, name: String, ty: Ty) -> usize {
        self.slots.push(Slot { name, ty, live: true, hidden: false });
        self.slots.len() - 1
    }

    pub(crate) fn bind(&mut self, binds: &[(String, Ty)]) {
        for (n, t) in binds {
            self.push(n.clone(), t.clone());
        }
    }

    pub(crate) fn consume(&mut self, s: usize) {
        self.slots[s].live = false;
    }

    /// Puts live slot `s` out of reach without consuming it.
    pub(crate) fn hide(&mut self, s: usize) {
        self.slots[s].live = false;
        self.slots[s].hidden = true;
    }

    /// Rebinds slot `s` under a new name and type (a linear value passed
    /// through a step); the index stays.
    pub(crate) fn replace(&mut self, s: usize, name: String, ty: Ty) -> usize {
        self.slots[s] = Slot { name, ty, live: true, hidden: false };
        s
    }

    pub(crate) fn sys(&self) -> Option<usize> {
        self.slots.iter().position(|s| s.live && s.ty == Ty::Sys)
    }

    /// Live linear atoms other than `SysState`.
    pub(crate) fn atoms(&self) -> Vec<usize> {
        (0..self.slots.len())
            .filter(|&s| self.slots[s].live && self.slots[s].ty.is_atom() && self.slots[s].ty != Ty::Sys)
            .collect()
    }

    /// What expressions may read: the live non-linear variables.
    pub(crate) fn env(&self) -> Env {
        let mut env = Env::default();
        for s in &self.slots {
            if s.live && !s.ty.is_atom() {
                env.push(s.name.clone(), s.ty.clone());
            }
        }
        env
    }

    /// The environment with atoms `obs` observed (read-only views).
    pub(crate) fn env_observing(&self, obs: &[usize]) -> Env {
        let mut env = self.env();
        for &s in obs {
            env.push(self.slots[s].name.clone(), self.slots[s].ty.clone().bang());
        }
        env
    }
}

/// What a program leans towards: its steps' weights are scaled up for one
/// group, so that each group's features are common in some programs rather
/// than thin in all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Theme {
    Arrays,
    Records,
    Control,
    Mixed,
}

/// The most body steps in one function, whatever the fuel says.
const MAX_STEPS: usize = 6;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Op {
    Focus,
    Observe,
    Take,
    Put,
    Call,
    Alloc,
    CreateArray,
    Dispose,
    ArrayPut,
    ArrayCopy,
    ArrayMap,
    Fold,
    Loop,
    Case,
    If,
    LinearLet,
}

impl Gen {
    /// The definition of function `i`: its parameter pattern and body.
    pub(crate) fn function_body(&mut self, i: usize) -> String {
        let f = self.fns[i].clone();
        let pat = self.bind_pat(&f.param);
        let mut ctx = Ctx::default();
        ctx.bind(&pat.binds);
        if has_taken(&f.param) || has_taken(&f.result) {
            self.feat(Feature::TakeInSignature);
        }
        if has_bang(&f.param) {
            self.feat(Feature::BangParam);
        }
        // A stateful entry often starts by making something to work on.
        let force = match self.theme {
            _ if f.role != super::Role::Entry || ctx.sys().is_none() => None,
            Theme::Arrays => Some(Op::CreateArray),
            Theme::Records if !self.uni.boxed.is_empty() => Some(Op::Alloc),
            _ if self.rng.pct(30) => Some(Op::CreateArray),
            _ => None,
        };
        let body = self.body(ctx, &f.result, f.fuel.max(2), 2, force);
        format!("{} {} =\n  {body}", f.name, pat.text)
    }

    /// A body of type `result` consuming every live atom of `ctx`.
    pub(crate) fn body(&mut self, mut ctx: Ctx, result: &Ty, fuel: u32, ind: usize, force: Option<Op>) -> String {
        let force = force.or(ctx.next.take());
        if self.steps >= MAX_STEPS {
            return self.finish(ctx, result, ind);
        }
        self.steps += 1;
        if fuel == 0 {
            // Out of fuel, but a fresh record is filled before finishing,
            // or allocating it would have been for nothing.
            if ctx.focus.is_empty() {
                return self.finish(ctx, result, ind);
            }
            return match self.op_focus(&ctx, result, 1, ind) {
                Some(text) => text,
                None => self.finish(ctx, result, ind),
            };
        }
        let atoms = ctx.atoms();
        let arrays: Vec<&Ty> = atoms.iter().map(|&a| &ctx.slots[a].ty).filter(|t| matches!(t, Ty::Array(_))).collect();
        let boxed = atoms.iter().any(|&a| matches!(ctx.slots[a].ty, Ty::Boxed(..)));
        // A record holding a whole record: worth a nested take.
        let nested = atoms.iter().any(|&a| match ctx.slots[a].ty {
            Ty::Boxed(i, m) => self.uni.boxed[i]
                .fields
                .iter()
                .enumerate()
                .any(|(k, (_, t))| m & (1 << k) == 0 && matches!(t, Ty::Boxed(_, 0))),
            _ => false,
        });
        let pairs = arrays.iter().enumerate().any(|(k, a)| arrays[k + 1..].contains(a));
        let ex = ctx.sys().is_some();
        let loops = self.loops_allowed();
        let on = |b: bool, w: u32| if b { w } else { 0 };
        let (arr, rec, ctl) = match self.theme {
            Theme::Arrays => (3, 1, 1),
            Theme::Records => (1, 3, 1),
            Theme::Control => (1, 1, 3),
            Theme::Mixed => (1, 1, 1),
        };
        // Where a wanted mistake can be made, that step comes up more.
        let mistake = self.mistake;
        let boost = |op: Op| match mistake {
            Some(Mistake::EscapeView | Mistake::MemberOfLinear | Mistake::ObserveConsumed) if op == Op::Observe => 4,
            Some(Mistake::TakeTwice | Mistake::WildcardLinear) if op == Op::Take => 4,
            Some(Mistake::PutPresentLinear) if op == Op::Put => 4,
            Some(Mistake::NonExhaustive) if op == Op::Case => 4,
            Some(Mistake::BranchDisagree) if op == Op::If => 4,
            _ => 1,
        };
        let weights: &[(Op, u32)] = &[
            (Op::Focus, on(!ctx.focus.is_empty(), 60)),
            (Op::Observe, on(!atoms.is_empty(), 10) + 3),
            (Op::Take, rec * (on(boxed, 12) + on(nested, 30))),
            (Op::Put, rec * on(boxed, 8)),
            (Op::Call, ctl * 10),
            (Op::Alloc, rec * on(ex && !self.uni.boxed.is_empty(), 7)),
            (Op::CreateArray, arr * on(ex, if arrays.is_empty() { 9 } else { 4 })),
            (Op::Dispose, on(ex && !atoms.is_empty(), 4)),
            (Op::ArrayPut, arr * on(!arrays.is_empty(), 8)),
            (Op::ArrayCopy, arr * (on(pairs, 16) + on(arrays.len() == 1 && ex, 10))),
            (Op::ArrayMap, arr * on(loops && !arrays.is_empty(), 7)),
            (Op::Fold, arr * on(loops && !arrays.is_empty(), 7)),
            (Op::Loop, ctl * on(loops, 6)),
            (Op::Case, ctl * 7),
            (Op::If, ctl * 6),
            (Op::LinearLet, ctl * on(!atoms.is_empty() || ex, 4)),
        ];
        let boosted: Vec<u32> = weights.iter().map(|w| w.1 * boost(w.0)).collect();
        for attempt in 0..6 {
            let op = match force {
                Some(op) if attempt == 0 => op,
                _ => weights[self.rng.weighted(&boosted)].0,
            };
            if let Some(text) = self.step(op, &ctx, result, fuel, ind) {
                return text;
            }
        }
        self.finish(ctx, result, ind)
    }

    fn step(&mut self, op: Op, ctx: &Ctx, result: &Ty, fuel: u32, ind: usize) -> Option<String> {
        match op {
            Op::Focus => self.op_focus(ctx, result, fuel, ind),
            Op::Observe => self.op_observe(ctx, result, fuel, ind),
            Op::Take => self.op_take(ctx, result, fuel, ind),
            Op::Put => self.op_put(ctx, result, fuel, ind, None),
            Op::Call => self.op_call(ctx, result, fuel, ind),
            Op::Alloc => self.op_alloc(ctx, result, fuel, ind, None),
            Op::CreateArray => self.op_create_array(ctx, result, fuel, ind, None),
            Op::Dispose => self.op_dispose(ctx, result, fuel, ind),
            Op::ArrayPut => self.op_array_put(ctx, result, fuel, ind),
            Op::ArrayCopy => self.op_array_copy(ctx, result, fuel, ind),
            Op::ArrayMap => self.op_array_map(ctx, result, fuel, ind),
            Op::Fold => self.op_fold(ctx, result, fuel, ind),
            Op::Loop => self.op_loop(ctx, result, fuel, ind),
            Op::Case => self.op_case(ctx, result, fuel, ind),
            Op::If => self.op_if(ctx, result, fuel, ind),
            Op::LinearLet => self.op_linear_let(ctx, result, fuel, ind),
        }
    }

    /// `let <binding> in <rest>`, the rest generated from `ctx`.
    pub(crate) fn then_let(&mut self, binding: String, ctx: Ctx, result: &Ty, fuel: u32, ind: usize) -> Option<String> {
        if !feasible(&self.uni, &ctx, result) {
            return None;
        }
        let rest = self.body(ctx, result, fuel - 1, ind, None);
        let pad = " ".repeat(ind);
        Some(format!("let {binding}\n{pad}in {rest}"))
    }

    /// A match of `scrut` whose alternatives continue the body, each from
    /// its own context. One alternative gets most of the fuel.
    pub(crate) fn branches(
        &mut self,
        scrut: String,
        arms: Vec<(String, Ctx)>,
        result: &Ty,
        fuel: u32,
        ind: usize,
    ) -> Option<String> {
        if !arms.iter().all(|(_, c)| feasible(&self.uni, c, result)) {
            return None;
        }
        if arms.len() > 1 && arms[0].1.slots.iter().any(|s| s.live && s.ty.is_atom()) {
            self.feat(Feature::LinearBranches);
        }
        // The success path of an allocation is where the work is (and what
        // runs: allocation rarely fails).
        let success = arms.iter().position(|(p, _)| p.starts_with("Success"));
        let main = match success {
            Some(k) if self.rng.pct(85) => k,
            _ => self.rng.below(arms.len()),
        };
        let pad = " ".repeat(ind + 2);
        let mut out = format!("({scrut}");
        let n = arms.len() as u32;
        for (k, (pat, c)) in arms.into_iter().enumerate() {
            let f = if k == main { fuel - 1 } else { (fuel - 1) / (n + 1) };
            let arrow = *self.rng.pick(&["->", "->", "->", "=>", "~>"]);
            let rest = self.body(c, result, f, ind + 4, None);
            out.push_str(&format!("\n{pad}| {pat} {arrow} {rest}"));
        }
        out.push(')');
        Some(out)
    }

    /// The arms of a match on a value of `ty` that may hold linear values:
    /// one per alternative (payload bound irrefutably) for a linear variant,
    /// else an irrefutable pattern.
    fn split(&mut self, ty: &Ty, ctx: &Ctx) -> Vec<(String, Ctx)> {
        let alts = self.uni.alts(ty);
        let mut arms = Vec::new();
        for alt in alts {
            let mut c = ctx.clone();
            let text = match alt.payload_ty() {
                None => alt.tag.clone(),
                Some(p) => {
                    let pat = self.bind_pat(&p);
                    c.bind(&pat.binds);
                    let args = match &pat.parts {
                        Some(parts) if alt.payload.len() > 1 && self.rng.pct(40) => parts.join(" "),
                        _ => pat.text.clone(),
                    };
                    format!("{} {args}", alt.tag)
                }
            };
            arms.push((text, c));
        }
        self.rng.shuffle(&mut arms);
        arms
    }

    /// Binds the result of a step: irrefutably (a `let`), or by a match
    /// when it is a variant holding linear values.
    pub(crate) fn bind_result(
        &mut self,
        rhs: String,
        ty: &Ty,
        ctx: Ctx,
        result: &Ty,
        fuel: u32,
        ind: usize,
    ) -> Option<String> {
        if super::types::Universe::is_variant(ty) && self.uni.is_linear(ty) {
            self.feat(Feature::LinearMatch);
            let arms = self.split(ty, &ctx);
            return self.branches(rhs, arms, result, fuel, ind);
        }
        let pat = self.bind_pat(ty);
        let mut c = ctx;
        c.bind(&pat.binds);
        self.then_let(format!("{} = {rhs}", pat.text), c, result, fuel, ind)
    }

    // -----------------------------------------------------------------------
    // Steps.

    /// Fills the holes of a freshly allocated record: puts what can be put,
    /// or makes what a linear field needs.
    fn op_focus(&mut self, ctx: &Ctx, result: &Ty, fuel: u32, ind: usize) -> Option<String> {
        let mut c = ctx.clone();
        while let Some(name) = c.focus.last().cloned() {
            let s = c.slots.iter().position(|s| s.live && s.name == name);
            match s.map(|s| c.slots[s].ty.clone()) {
                Some(Ty::Boxed(_, mask)) if mask != 0 => break,
                _ => {
                    c.focus.pop();
                }
            }
        }
        let name = c.focus.last()?.clone();
        let s = c.slots.iter().position(|s| s.live && s.name == name)?;
        let Ty::Boxed(i, mask) = c.slots[s].ty else { return None };
        // A linear hole with nothing to fill it: make something.
        for (k, (_, t)) in self.uni.boxed[i].fields.clone().iter().enumerate() {
            if mask & (1 << k) == 0 || !self.uni.is_linear(t) {
                continue;
            }
            if c.atoms().iter().any(|&a| c.slots[a].ty == *t) {
                continue;
            }
            c.focus.pop();
            return match t {
                Ty::Array(w) => self.op_create_array(&c, result, fuel, ind, Some((*w, name))),
                Ty::Boxed(j, _) => self.op_alloc(&c, result, fuel, ind, Some((*j, name))),
                _ => None,
            };
        }
        self.op_put(&c, result, fuel, ind, Some(s))
    }

    /// `let x = <value> !v … in`: computes a value, observing atoms.
    fn op_observe(&mut self, ctx: &Ctx, result: &Ty, fuel: u32, ind: usize) -> Option<String> {
        if let Some((binding, c)) = self.observe_mistake(ctx) {
            return self.then_let(binding, c, result, fuel, ind);
        }
        let mut atoms = ctx.atoms();
        self.rng.shuffle(&mut atoms);
        let k = if atoms.is_empty() { 0 } else { self.rng.weighted(&[25, 55, 20]).min(atoms.len()) };
        let obs = &atoms[..k];
        let env = ctx.env_observing(obs);
        let observed_arrays: Vec<W> = obs
            .iter()
            .filter_map(|&s| match ctx.slots[s].ty {
                Ty::Array(w) => Some(w),
                _ => None,
            })
            .collect();
        let records: Vec<Ty> =
            env.paths(&self.uni).into_iter().map(|(_, t)| t).filter(|t| matches!(t, Ty::Rec(_))).collect();
        // Something the observed arrays or records in scope can give.
        let ty = if !observed_arrays.is_empty() && self.rng.pct(60) {
            Ty::Word(*self.rng.pick(&observed_arrays))
        } else if !records.is_empty() && self.rng.pct(30) {
            self.rng.pick(&records).clone()
        } else {
            self.value_ty_in_scope(&env)
        };
        let typed = self.rng.pct(40);
        let ty = if typed { self.narrow(ty) } else { ty };
        let mut rhs = self.value(&ty, &env, 2, typed);
        if !obs.is_empty() {
            self.feat(Feature::Observation);
            rhs = atomic(&rhs);
            for &s in obs {
                rhs.push_str(&format!(" !{}", ctx.slots[s].name));
            }
        }
        let pat = self.bind_pat(&ty);
        let mut c = ctx.clone();
        c.bind(&pat.binds);
        let binding = if typed {
            format!("{} : {} = {rhs}", pat.text, self.uni.show(&ty))
        } else {
            format!("{} = {rhs}", pat.text)
        };
        self.then_let(binding, c, result, fuel, ind)
    }

    /// `let t' {f = p, …} = t in`: takes fields out of a boxed record.
    fn op_take(&mut self, ctx: &Ctx, result: &Ty, fuel: u32, ind: usize) -> Option<String> {
        let cands: Vec<usize> = ctx
            .atoms()
            .into_iter()
            .filter(|&s| matches!(ctx.slots[s].ty, Ty::Boxed(i, m) if m != self.uni.all_fields(i)))
            .collect();
        if cands.is_empty() {
            return None;
        }
        let s = *self.rng.pick(&cands);
        let Ty::Boxed(i, mask) = ctx.slots[s].ty else { return None };
        if let Some(text) = self.take_mistake(ctx, s, result, fuel, ind) {
            return Some(text);
        }
        let mut present: Vec<usize> = (0..self.uni.boxed[i].fields.len()).filter(|k| mask & (1 << k) == 0).collect();
        self.rng.shuffle(&mut present);
        // An inner record, if any, is worth taking apart in place.
        if let Some(k) = present.iter().position(|&k| matches!(self.uni.boxed[i].fields[k].1, Ty::Boxed(_, 0))) {
            if self.rng.pct(60) {
                present.swap(0, k);
            }
        }
        present.truncate(self.rng.range(1, 2));
        present.sort();
        let mut c = ctx.clone();
        let mut parts = Vec::new();
        let mut new_mask = mask;
        for &k in &present {
            let (f, t) = self.uni.boxed[i].fields[k].clone();
            new_mask |= 1 << k;
            let pat = match t {
                Ty::Boxed(j, 0) if self.rng.pct(80) => self.nested_take(j),
                _ if !self.uni.is_linear(&t) && !c.slots.iter().any(|x| x.name == f) && self.rng.pct(20) => {
                    // A pun binds the field's own name (if no other variable has it).
                    parts.push(f.clone());
                    c.push(f.clone(), t.clone());
                    continue;
                }
                _ => self.bind_pat(&t),
            };
            c.bind(&pat.binds);
            parts.push(format!("{f} = {}", pat.text));
        }
        let new = self.name("t");
        c.consume(s);
        c.push(new.clone(), Ty::Boxed(i, new_mask));
        self.feat(Feature::Take);
        let old = &ctx.slots[s].name;
        self.then_let(format!("{new} {{{}}} = {old}", parts.join(", ")), c, result, fuel, ind)
    }

    /// `i {g = p}`: a take pattern for an inner boxed record.
    fn nested_take(&mut self, j: usize) -> Pat {
        let k = self.rng.below(self.uni.boxed[j].fields.len());
        let (f, t) = self.uni.boxed[j].fields[k].clone();
        let inner = self.bind_pat(&t);
        let name = self.name("t");
        let mut binds = vec![(name.clone(), Ty::Boxed(j, 1 << k))];
        binds.extend(inner.binds);
        self.feat(Feature::NestedTake);
        Pat { text: format!("{name} {{{f} = {}}}", inner.text), binds, refutable: false, parts: None }
    }

    /// `let t' = t {f = e, …} in`: puts fields back (or overwrites
    /// discardable ones).
    fn op_put(&mut self, ctx: &Ctx, result: &Ty, fuel: u32, ind: usize, only: Option<usize>) -> Option<String> {
        let cands: Vec<usize> = match only {
            Some(s) => vec![s],
            None => ctx.atoms().into_iter().filter(|&s| matches!(ctx.slots[s].ty, Ty::Boxed(..))).collect(),
        };
        if cands.is_empty() {
            return None;
        }
        let s = *self.rng.pick(&cands);
        let Ty::Boxed(i, mask) = ctx.slots[s].ty else { return None };
        if self.wants(Mistake::PutPresentLinear) {
            if let Some(text) = self.put_present_linear(ctx, s, result, fuel, ind) {
                return Some(text);
            }
        }
        let env = ctx.env();
        let mut c = ctx.clone();
        let mut puts = Vec::new();
        let mut new_mask = mask;
        for (k, (f, t)) in self.uni.boxed[i].fields.clone().iter().enumerate() {
            let taken = mask & (1 << k) != 0;
            if self.uni.is_linear(t) {
                if !taken {
                    continue;
                }
                let fillers: Vec<usize> = c.atoms().into_iter().filter(|&a| a != s && c.slots[a].ty == *t).collect();
                if fillers.is_empty() || (only.is_none() && self.rng.pct(30)) {
                    continue;
                }
                let a = *self.rng.pick(&fillers);
                puts.push(format!("{f} = {}", c.slots[a].name));
                c.consume(a);
                new_mask &= !(1 << k);
            } else if (taken && (only.is_some() || self.rng.pct(70))) || (!taken && self.rng.pct(15)) {
                let v = self.value(t, &env, 2, true);
                puts.push(format!("{f} = {v}"));
                new_mask &= !(1 << k);
            }
        }
        if puts.is_empty() {
            return None;
        }
        let new = self.name("t");
        c.consume(s);
        c.push(new.clone(), Ty::Boxed(i, new_mask));
        self.feat(Feature::Put);
        let old = &ctx.slots[s].name;
        self.then_let(format!("{new} = {old} {{{}}}", puts.join(", ")), c, result, fuel, ind)
    }

    /// A call of a generated (or polymorphic) function, passing linear
    /// values, observing others; or of a new helper made for the purpose.
    fn op_call(&mut self, ctx: &Ctx, result: &Ty, fuel: u32, ind: usize) -> Option<String> {
        let mut cands = self.callees();
        self.rng.shuffle(&mut cands);
        if self.can_spawn() && (cands.is_empty() || self.rng.pct(35)) {
            cands.insert(0, self.spawn_linear_helper(ctx));
        }
        if self.wants(Mistake::Recursion) && self.fns[self.cur].poly.is_none() {
            cands.insert(0, self.cur);
        }
        for j in cands {
            let (name, param, ret) = if let Some(poly) = self.fns[j].poly.clone() {
                let args: Vec<Ty> = poly
                    .linear_ok
                    .iter()
                    .map(|&lin| {
                        let atoms = ctx.atoms();
                        if lin && !atoms.is_empty() && self.rng.pct(60) {
                            ctx.slots[*self.rng.pick(&atoms)].ty.clone()
                        } else {
                            self.uni.value_ty(&mut self.rng, 0)
                        }
                    })
                    .collect();
                let mut name = poly.name.clone();
                if self.rng.pct(40) {
                    self.feat(Feature::TypeArgs);
                    let shown: Vec<String> = args.iter().map(|t| self.uni.show(t)).collect();
                    name = format!("{name} [{}]", shown.join(", "));
                }
                (name, subst(&poly.param, &args), subst(&poly.result, &args))
            } else {
                (self.fns[j].name.clone(), self.fns[j].param.clone(), self.fns[j].result.clone())
            };
            let mut c = ctx.clone();
            let mut obs = Vec::new();
            let known = self.fns[j].poly.is_none() || name.contains('[');
            let Some(arg) = self.linear_arg(&param, &mut c, &mut obs, known) else { continue };
            self.feat(Feature::Call);
            if self.fns[j].poly.is_some() {
                self.feat(Feature::Polymorphic);
            }
            let mark = if j == self.cur { MARK } else { "" };
            let mut rhs = format!("{mark}{name} {}", atomic(&arg));
            if !obs.is_empty() {
                self.feat(Feature::Observation);
                rhs = format!("({rhs})");
                for o in &obs {
                    rhs.push_str(&format!(" !{o}"));
                }
            }
            if let Some(text) = self.bind_result(rhs, &ret, c, result, fuel, ind) {
                return Some(text);
            }
        }
        None
    }

    /// The argument of type `param` from the context: linear parts are
    /// live variables of exactly that type (consumed), views observe live
    /// variables, the rest are values.
    fn linear_arg(&mut self, param: &Ty, c: &mut Ctx, obs: &mut Vec<String>, known: bool) -> Option<String> {
        match param {
            Ty::Tuple(ts) => {
                let mut items = Vec::new();
                for t in ts {
                    items.push(self.linear_arg(t, c, obs, known)?);
                }
                Some(format!("({})", items.join(", ")))
            }
            Ty::Anon(_) | Ty::Rec(_) if matches!(param, Ty::Anon(_)) || self.uni.is_linear(param) => {
                let fields = self.uni.fields(param).to_vec();
                let mut items = Vec::new();
                for (f, t) in &fields {
                    items.push(format!("{f} = {}", self.linear_arg(t, c, obs, known)?));
                }
                self.feat(Feature::UnboxedRecord);
                Some(format!("#{{{}}}", items.join(", ")))
            }
            t if t.is_atom() => {
                let cands: Vec<usize> = (0..c.slots.len())
                    .filter(|&s| c.slots[s].live && c.slots[s].ty == *t && !obs.contains(&c.slots[s].name))
                    .collect();
                if cands.is_empty() {
                    return None;
                }
                let s = *self.rng.pick(&cands);
                c.consume(s);
                Some(c.slots[s].name.clone())
            }
            Ty::Bang(inner) => {
                let env = c.env();
                let paths: Vec<String> =
                    env.paths(&self.uni).into_iter().filter(|(_, t)| t == param).map(|(p, _)| p).collect();
                let cands: Vec<usize> =
                    (0..c.slots.len()).filter(|&s| c.slots[s].live && c.slots[s].ty == **inner).collect();
                if !cands.is_empty() && (paths.is_empty() || self.rng.pct(70)) {
                    let s = *self.rng.pick(&cands);
                    let name = c.slots[s].name.clone();
                    if !obs.contains(&name) {
                        obs.push(name.clone());
                    }
                    return Some(name);
                }
                if paths.is_empty() {
                    return None;
                }
                Some(self.rng.pick(&paths).clone())
            }
            Ty::Fun(..) => {
                self.feat(Feature::HigherOrder);
                Some(self.fun_value(param))
            }
            t => {
                // Views observed in this call are readable in its values.
                let mut env = c.env();
                for o in obs.iter() {
                    if let Some(s) = c.slots.iter().find(|s| s.live && &s.name == o) {
                        env.push(o.clone(), s.ty.clone().bang());
                    }
                }
                Some(self.value(t, &env, 2, known))
            }
        }
    }

    /// A helper taking some of the live atoms (perhaps `SysState`) and
    /// values, giving the atoms back (and a value), perhaps in an `R`.
    fn spawn_linear_helper(&mut self, ctx: &Ctx) -> usize {
        let mut atoms = ctx.atoms();
        self.rng.shuffle(&mut atoms);
        atoms.truncate(self.rng.range(0, 2));
        let with_sys = ctx.sys().is_some() && self.rng.pct(50);
        let mut params = Vec::new();
        if with_sys {
            params.push(Ty::Sys);
        }
        for &a in &atoms {
            params.push(ctx.slots[a].ty.clone());
        }
        let views: Vec<usize> = ctx.atoms().into_iter().filter(|a| !atoms.contains(a)).collect();
        if !views.is_empty() && self.rng.pct(30) {
            params.push(ctx.slots[*self.rng.pick(&views)].ty.clone().bang());
        }
        for _ in 0..self.rng.range(0, 2) {
            params.push(self.uni.value_ty(&mut self.rng, 1));
        }
        let mut back = Vec::new();
        for t in params.iter().filter(|t| t.is_atom()) {
            back.push(super::types::whole(&self.uni, &mut self.rng, t));
        }
        let mut ok = back.clone();
        ok.push(self.uni.value_ty(&mut self.rng, 1));
        let result = if self.rng.pct(25) {
            let mut err: Vec<Ty> =
                back.into_iter().filter(|t| *t == Ty::Sys || !with_sys || self.rng.pct(50)).collect();
            err.push(Ty::Word(W::U32));
            Ty::Res(Box::new(Ty::tuple(ok)), Box::new(Ty::tuple(err)))
        } else {
            Ty::tuple(ok)
        };
        let budget = self.fns[self.cur].loop_budget;
        self.spawn("g", Ty::tuple(params), result, budget);
        self.fns.len() - 1
    }

    /// `new_t ex | Success (ex', t) -> … | Error ex' -> …`; the new record
    /// (all fields taken) becomes the focus. `fill` puts it into a field of
    /// a record being filled.
    fn op_alloc(
        &mut self,
        ctx: &Ctx,
        result: &Ty,
        fuel: u32,
        ind: usize,
        fill: Option<(usize, String)>,
    ) -> Option<String> {
        let ex = ctx.sys()?;
        if self.uni.boxed.is_empty() {
            return None;
        }
        let outer: Vec<usize> = (0..self.uni.boxed.len())
            .filter(|&i| self.uni.boxed[i].fields.iter().any(|(_, t)| matches!(t, Ty::Boxed(..))))
            .collect();
        let i = match &fill {
            Some((j, _)) => *j,
            // Records holding records make for nested takes and frees.
            None if !outer.is_empty() && self.rng.pct(60) => *self.rng.pick(&outer),
            None => self.rng.below(self.uni.boxed.len()),
        };
        let lower = self.uni.boxed[i].name.to_lowercase();
        let mut ok = ctx.clone();
        let mut err = ctx.clone();
        let ex_ok = self.ex_name();
        let t = self.name("t");
        ok.replace(ex, ex_ok.clone(), Ty::Sys);
        ok.push(t.clone(), Ty::Boxed(i, self.uni.all_fields(i)));
        if let Some((_, outer)) = fill {
            ok.focus.push(outer.clone());
            err.focus.push(outer);
        }
        ok.focus.push(t.clone());
        let ex_err = self.ex_name();
        err.replace(ex, ex_err.clone(), Ty::Sys);
        self.feat(Feature::Alloc);
        self.feat(Feature::LinearMatch);
        let mut arms = vec![(format!("Success ({ex_ok}, {t})"), ok), (format!("Error {ex_err}"), err)];
        if self.rng.pct(30) {
            arms.reverse();
        }
        let scrut = format!("new_{lower} {}", ctx.slots[ex].name);
        self.branches(scrut, arms, result, fuel, ind)
    }

    /// Frees a live atom now.
    fn op_dispose(&mut self, ctx: &Ctx, result: &Ty, fuel: u32, ind: usize) -> Option<String> {
        ctx.sys()?;
        let atoms = ctx.atoms();
        if atoms.is_empty() {
            return None;
        }
        let s = *self.rng.pick(&atoms);
        let mut c = ctx.clone();
        let mut lets = Vec::new();
        self.dispose(&mut c, s, &mut lets);
        if !feasible(&self.uni, &c, result) {
            return None;
        }
        let rest = self.body(c, result, fuel - 1, ind, None);
        let pad = " ".repeat(ind);
        let text = wrap_lets(&lets, "", ind);
        Some(format!("{}\n{pad}{rest}", text.trim_end()))
    }

    /// A match on a value (perhaps observing an atom in the scrutinee)
    /// whose alternatives continue the body.
    fn op_case(&mut self, ctx: &Ctx, result: &Ty, fuel: u32, ind: usize) -> Option<String> {
        let atoms = ctx.atoms();
        let obs: Vec<usize> = if !atoms.is_empty() && self.rng.pct(35) { vec![*self.rng.pick(&atoms)] } else { vec![] };
        let env = ctx.env_observing(&obs);
        let (mut scrut, sty) = self.scrutinee(&env, 2);
        if let Some(&o) = obs.first() {
            self.feat(Feature::Observation);
            scrut = format!("{} !{}", atomic(&scrut), ctx.slots[o].name);
        }
        let mut rows = self.cover(&sty, 2);
        if rows.len() > 6 {
            return None;
        }
        if self.wants(Mistake::NonExhaustive) && rows.len() > 1 {
            // Each alternative of a cover is needed, so without the last
            // one some value is not matched.
            rows.pop();
            scrut = format!("{MARK} {scrut}");
        }
        self.feat(Feature::Match);
        let arms: Vec<(String, Ctx)> = rows
            .into_iter()
            .map(|row| {
                let mut c = ctx.clone();
                c.bind(&row.binds);
                (row.text, c)
            })
            .collect();
        self.branches(scrut, arms, result, fuel, ind)
    }

    /// `if c then … else …` with the body continuing in both branches.
    fn op_if(&mut self, ctx: &Ctx, result: &Ty, fuel: u32, ind: usize) -> Option<String> {
        let atoms = ctx.atoms();
        let obs: Vec<usize> = if !atoms.is_empty() && self.rng.pct(40) { vec![*self.rng.pick(&atoms)] } else { vec![] };
        let env = ctx.env_observing(&obs);
        let mut cond = self.value(&Ty::Bool, &env, 2, true);
        if let Some(&o) = obs.first() {
            self.feat(Feature::Observation);
            cond = format!("{} !{}", atomic(&cond), ctx.slots[o].name);
        }
        self.feat(Feature::If);
        if !atoms.is_empty() {
            self.feat(Feature::LinearBranches);
        }
        let pad = " ".repeat(ind + 2);
        let mut else_ctx = ctx.clone();
        let mut mark = "";
        if self.wants(Mistake::BranchDisagree) && !atoms.is_empty() {
            // The `else` branch never sees one of the atoms.
            let s = *self.rng.pick(&atoms);
            let mut c = ctx.clone();
            c.hide(s);
            if feasible(&self.uni, &c, result) {
                else_ctx = c;
                mark = MARK;
            }
        }
        let a = self.body(ctx.clone(), result, fuel - 1, ind + 4, None);
        let b = self.body(else_ctx, result, (fuel - 1) / 2, ind + 4, None);
        Some(format!("if {cond}\n{pad}then {a}\n{pad}else {mark}{b}"))
    }

    /// `let p : T = (<if or match consuming some atoms>) in`: a nested body
    /// that takes some atoms and gives them back.
    fn op_linear_let(&mut self, ctx: &Ctx, result: &Ty, fuel: u32, ind: usize) -> Option<String> {
        let mut atoms: Vec<usize> =
            (0..ctx.slots.len()).filter(|&s| ctx.slots[s].live && ctx.slots[s].ty.is_atom()).collect();
        if atoms.is_empty() {
            return None;
        }
        self.rng.shuffle(&mut atoms);
        atoms.truncate(self.rng.range(1, 3));
        atoms.sort();
        let mut sub = ctx.clone();
        let mut outer = ctx.clone();
        let mut tys = Vec::new();
        for s in 0..ctx.slots.len() {
            if ctx.slots[s].ty.is_atom() && !atoms.contains(&s) {
                sub.hide(s); // out of the nested body's reach
            }
        }
        for &s in &atoms {
            tys.push(ctx.slots[s].ty.clone());
            outer.consume(s);
        }
        if self.rng.pct(60) {
            tys.push(self.uni.value_ty(&mut self.rng, 1));
        }
        let ty = Ty::tuple(tys);
        sub.focus.clear();
        let force = if self.rng.pct(50) { Op::If } else { Op::Case };
        let inner = self.body(sub, &ty, fuel.min(3), ind + 4, Some(force));
        let pat = self.bind_pat(&ty);
        outer.bind(&pat.binds);
        self.feat(Feature::LinearLet);
        let binding = format!("{} : {} = ({inner})", pat.text, self.uni.show(&ty));
        self.then_let(binding, outer, result, fuel, ind)
    }
}

fn has_taken(ty: &Ty) -> bool {
    match ty {
        Ty::Boxed(_, m) => *m != 0,
        Ty::Tuple(ts) => ts.iter().any(has_taken),
        Ty::Anon(fs) => fs.iter().any(|(_, t)| has_taken(t)),
        Ty::Bang(t) => has_taken(t),
        Ty::Option(a) => has_taken(a),
        Ty::Res(a, e) => has_taken(a) || has_taken(e),
        _ => false,
    }
}

fn has_bang(ty: &Ty) -> bool {
    match ty {
        Ty::Bang(_) => true,
        Ty::Tuple(ts) => ts.iter().any(has_bang),
        Ty::Anon(fs) => fs.iter().any(|(_, t)| has_bang(t)),
        _ => false,
    }
}
