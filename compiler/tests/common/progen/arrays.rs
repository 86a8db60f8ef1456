//! Body steps over word arrays: making, putting into and copying arrays,
//! and the runtime's iterators (`wordarray_map`, `wordarray_fold`,
//! `seq32`/`seq64`) with accumulators that hold linear values.

use super::body::{Ctx, Op};
use super::types::{Ty, W};
use super::values::fold_param;
use super::{Feature, Gen};

impl Gen {
    /// `wordarray_create [w] (ex, n)` and a match on its result.
    pub(crate) fn op_create_array(
        &mut self,
        ctx: &Ctx,
        result: &Ty,
        fuel: u32,
        ind: usize,
        fill: Option<(W, String)>,
    ) -> Option<String> {
        let ex = ctx.sys()?;
        let existing: Vec<W> = ctx
            .atoms()
            .into_iter()
            .filter_map(|a| match ctx.slots[a].ty {
                Ty::Array(w) => Some(w),
                _ => None,
            })
            .collect();
        let w = match &fill {
            Some((w, _)) => *w,
            // Often the element type of an array at hand, so the two can be copied.
            None if !existing.is_empty() && self.rng.pct(60) => *self.rng.pick(&existing),
            None => *self.rng.pick(&[W::U8, W::U32, W::U32, W::U16, W::U64]),
        };
        let env = ctx.env();
        let len = if self.rng.pct(60) {
            self.rng.range(0, 16).to_string()
        } else {
            format!("({} .&. 15)", self.value(&Ty::Word(W::U32), &env, 1, true))
        };
        let mut ok = ctx.clone();
        let mut err = ctx.clone();
        let ex_ok = self.ex_name();
        let a = self.name("arr");
        ok.replace(ex, ex_ok.clone(), Ty::Sys);
        ok.push(a.clone(), Ty::Array(w));
        if let Some((_, outer)) = fill.filter(|(_, o)| !o.is_empty()) {
            ok.focus.push(outer.clone());
            err.focus.push(outer);
        }
        err.next = None;
        let ex_err = self.ex_name();
        err.replace(ex, ex_err.clone(), Ty::Sys);
        self.feat(Feature::ArrayCreateFree);
        self.feat(Feature::TypeArgs);
        self.feat(Feature::LinearMatch);
        let mut arms = vec![(format!("Success ({ex_ok}, {a})"), ok), (format!("Error {ex_err}"), err)];
        if self.rng.pct(30) {
            arms.reverse();
        }
        let scrut = format!("wordarray_create [{}] ({}, {len})", w.name(), ctx.slots[ex].name);
        self.branches(scrut, arms, result, fuel, ind)
    }

    /// `wordarray_put (a, i, v)`, matched at once or in a `let`.
    pub(crate) fn op_array_put(&mut self, ctx: &Ctx, result: &Ty, fuel: u32, ind: usize) -> Option<String> {
        let arrays: Vec<usize> = ctx.atoms().into_iter().filter(|&s| matches!(ctx.slots[s].ty, Ty::Array(_))).collect();
        if arrays.is_empty() {
            return None;
        }
        let s = *self.rng.pick(&arrays);
        let Ty::Array(w) = ctx.slots[s].ty else { return None };
        let env = ctx.env();
        let idx = self.value(&Ty::Word(W::U32), &env, 1, true);
        let explicit = self.rng.pct(40);
        let v = self.value(&Ty::Word(w), &env, 2, explicit);
        let targs = if explicit {
            self.feat(Feature::TypeArgs);
            format!(" [{}]", w.name())
        } else {
            String::new()
        };
        let call = format!("wordarray_put{targs} ({}, {idx}, {v})", ctx.slots[s].name);
        self.feat(Feature::ArrayPut);
        self.feat(Feature::LinearMatch);
        let mut c = ctx.clone();
        c.consume(s);
        if self.rng.pct(50) {
            let x = self.name("arr");
            let new = self.name("arr");
            c.push(new.clone(), Ty::Array(w));
            let binding = format!("{new} = ({call} | Success {x} -> {x} | Error {x} -> {x})");
            return self.then_let(binding, c, result, fuel, ind);
        }
        self.bind_result(call, &Ty::Res(Box::new(Ty::Array(w)), Box::new(Ty::Array(w))), c, result, fuel, ind)
    }

    /// `wordarray_copy (dst, src, …) !src`.
    pub(crate) fn op_array_copy(&mut self, ctx: &Ctx, result: &Ty, fuel: u32, ind: usize) -> Option<String> {
        let arrays: Vec<usize> = ctx.atoms().into_iter().filter(|&s| matches!(ctx.slots[s].ty, Ty::Array(_))).collect();
        if arrays.len() == 1 && ctx.sys().is_some() {
            // Make a second array of the same type to copy into.
            let Ty::Array(w) = ctx.slots[arrays[0]].ty else { return None };
            let mut c = ctx.clone();
            c.next = Some(Op::ArrayCopy);
            return self.op_create_array(&c, result, fuel, ind, Some((w, String::new())));
        }
        let mut pairs = Vec::new();
        for &a in &arrays {
            for &b in &arrays {
                if a != b && ctx.slots[a].ty == ctx.slots[b].ty {
                    pairs.push((a, b));
                }
            }
        }
        if pairs.is_empty() {
            return None;
        }
        let (dst, src) = *self.rng.pick(&pairs);
        let env = ctx.env();
        let nums: Vec<String> = (0..3).map(|_| self.value(&Ty::Word(W::U32), &env, 1, true)).collect();
        let mut c = ctx.clone();
        let new = self.name("arr");
        let ty = c.slots[dst].ty.clone();
        c.consume(dst);
        c.push(new.clone(), ty);
        self.feat(Feature::ArrayCopy);
        self.feat(Feature::Observation);
        let (d, s) = (&ctx.slots[dst].name, &ctx.slots[src].name);
        let binding = format!("{new} = wordarray_copy ({d}, {s}, {}, {}, {}) !{s}", nums[0], nums[1], nums[2]);
        self.then_let(binding, c, result, fuel, ind)
    }

    /// An accumulator for a loop, fold or map: some live atoms (not those
    /// in `exclude`) and a value, as a tuple. Returns its type and text,
    /// consuming the atoms in `c`.
    pub(crate) fn accumulator(&mut self, c: &mut Ctx, exclude: &[usize], linear: bool) -> (Ty, String) {
        let mut atoms: Vec<usize> = if linear {
            let mut all: Vec<usize> = (0..c.slots.len())
                .filter(|&s| c.slots[s].live && c.slots[s].ty.is_atom() && !exclude.contains(&s))
                .collect();
            self.rng.shuffle(&mut all);
            all.truncate(self.rng.range(1, 2));
            all
        } else {
            vec![]
        };
        atoms.sort();
        let env = c.env();
        let mut tys = Vec::new();
        let mut items = Vec::new();
        for &a in &atoms {
            tys.push(c.slots[a].ty.clone());
            items.push(c.slots[a].name.clone());
            c.consume(a);
        }
        if atoms.is_empty() || self.rng.pct(60) {
            let t = self.uni.value_ty(&mut self.rng, 0);
            items.push(self.value(&t, &env, 1, false));
            tys.push(t);
        }
        if !atoms.is_empty() {
            self.feat(Feature::LinearAccumulator);
        }
        let ty = Ty::tuple(tys);
        let text = if items.len() == 1 { items.pop().unwrap_or_default() } else { format!("({})", items.join(", ")) };
        (ty, text)
    }

    /// An observer for a loop: a live atom observed (its name is returned
    /// to be banged), or a value.
    pub(crate) fn loop_observer(&mut self, c: &Ctx, exclude: &[usize]) -> (Ty, String, Option<String>) {
        let cands: Vec<usize> = c.atoms().into_iter().filter(|s| !exclude.contains(s)).collect();
        if !cands.is_empty() && self.rng.pct(50) {
            let s = *self.rng.pick(&cands);
            let name = c.slots[s].name.clone();
            return (c.slots[s].ty.clone().bang(), name.clone(), Some(name));
        }
        let (t, e) = self.observer(&c.env(), 2);
        (t, e, None)
    }

    /// `wordarray_map` over a live array, with an accumulator that may
    /// hold other atoms.
    pub(crate) fn op_array_map(&mut self, ctx: &Ctx, result: &Ty, fuel: u32, ind: usize) -> Option<String> {
        if !self.loops_allowed() {
            return None;
        }
        let arrays: Vec<usize> = ctx.atoms().into_iter().filter(|&s| matches!(ctx.slots[s].ty, Ty::Array(_))).collect();
        if arrays.is_empty() {
            return None;
        }
        let s = *self.rng.pick(&arrays);
        let Ty::Array(w) = ctx.slots[s].ty else { return None };
        let mut c = ctx.clone();
        let (oty, obsv, banged) = self.loop_observer(&c, &[s]);
        let mut exclude = vec![s];
        exclude.extend(banged.iter().filter_map(|b| c.slots.iter().position(|x| x.live && &x.name == b)));
        let linear = self.rng.pct(40);
        let (acc_ty, acc) = self.accumulator(&mut c, &exclude, linear);
        c.consume(s);
        let budget = self.fns[self.cur].loop_budget - 1;
        let f = self.spawn(
            "map",
            fold_param(Ty::Word(w), acc_ty.clone(), oty),
            Ty::Tuple(vec![Ty::Word(w), acc_ty.clone()]),
            budget,
        );
        let (frm, to) = self.bounds(W::U32, &ctx.env());
        self.feat(Feature::ArrayMap);
        let mut rhs = format!(
            "wordarray_map #{{arr = {}, frm = {frm}, to = {to}, f = {f}, acc = {acc}, obsv = {obsv}}}",
            ctx.slots[s].name
        );
        if let Some(b) = banged {
            self.feat(Feature::Observation);
            rhs = format!("({rhs}) !{b}");
        }
        self.bind_result(rhs, &Ty::Tuple(vec![Ty::Array(w), acc_ty]), c, result, fuel, ind)
    }

    /// `wordarray_fold` over an observed live array, the accumulator
    /// holding other atoms.
    pub(crate) fn op_fold(&mut self, ctx: &Ctx, result: &Ty, fuel: u32, ind: usize) -> Option<String> {
        if !self.loops_allowed() {
            return None;
        }
        let arrays: Vec<usize> = ctx.atoms().into_iter().filter(|&s| matches!(ctx.slots[s].ty, Ty::Array(_))).collect();
        if arrays.is_empty() {
            return None;
        }
        let s = *self.rng.pick(&arrays);
        let Ty::Array(w) = ctx.slots[s].ty else { return None };
        let mut c = ctx.clone();
        let (oty, obsv, banged) = self.loop_observer(&c, &[s]);
        let mut exclude = vec![s];
        exclude.extend(banged.iter().filter_map(|b| c.slots.iter().position(|x| x.live && &x.name == b)));
        let linear = self.rng.pct(70);
        let (acc_ty, acc) = self.accumulator(&mut c, &exclude, linear);
        let budget = self.fns[self.cur].loop_budget - 1;
        let f = self.spawn("fold", fold_param(Ty::Word(w), acc_ty.clone(), oty), acc_ty.clone(), budget);
        let (frm, to) = self.bounds(W::U32, &ctx.env());
        self.feat(Feature::ArrayFold);
        self.feat(Feature::Observation);
        let a = &ctx.slots[s].name;
        let mut rhs = format!(
            "(wordarray_fold #{{arr = {a}, frm = {frm}, to = {to}, f = {f}, acc = {acc}, obsv = {obsv}}}) !{a}"
        );
        if let Some(b) = banged {
            rhs.push_str(&format!(" !{b}"));
        }
        self.bind_result(rhs, &acc_ty, c, result, fuel, ind)
    }

    /// A `seq32`/`seq64` loop whose accumulator holds live atoms.
    pub(crate) fn op_loop(&mut self, ctx: &Ctx, result: &Ty, fuel: u32, ind: usize) -> Option<String> {
        if !self.loops_allowed() {
            return None;
        }
        let mut c = ctx.clone();
        let (oty, obsv, banged) = self.loop_observer(&c, &[]);
        let exclude: Vec<usize> =
            banged.iter().filter_map(|b| c.slots.iter().position(|x| x.live && &x.name == b)).collect();
        let linear = self.rng.pct(75);
        let (acc_ty, acc) = self.accumulator(&mut c, &exclude, linear);
        let budget = self.fns[self.cur].loop_budget - 1;
        let mut rhs = self.seq(acc_ty.clone(), acc, oty, obsv, &ctx.env(), budget);
        if let Some(b) = banged {
            self.feat(Feature::Observation);
            rhs.push_str(&format!(" !{b}"));
        }
        self.bind_result(rhs, &acc_ty, c, result, fuel, ind)
    }
}
