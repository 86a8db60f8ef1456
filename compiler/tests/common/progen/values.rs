//! Expressions of value types (discardable, shareable, escapable) built from
//! the values, read-only views and function values in scope. Nothing linear
//! is reachable from here except through a view, so there is no linearity to
//! track — only which types the checker can infer.
//!
//! `known` says whether the checker will know the expected type where the
//! expression stands (a declared result, a typed `let`, an operand beside a
//! known one, …). Where it will not, a form that needs it (a literal that is
//! not `U32`, `upcast`, a constructor, an `if`) is annotated `(e : T)`.

use super::types::{subst, Ty, Universe, W};
use super::{Feature, Gen, Role};

/// What an expression may read: values, read-only views, function values.
#[derive(Clone, Debug, Default)]
pub(crate) struct Env {
    pub(crate) vars: Vec<(String, Ty)>,
}

impl Env {
    pub(crate) fn push(&mut self, name: String, ty: Ty) {
        self.vars.push((name, ty));
    }

    /// Every readable path (`v`, `v.f`, `v.f.g`) with its type.
    pub(crate) fn paths(&self, u: &Universe) -> Vec<(String, Ty)> {
        let mut out = Vec::new();
        for (name, ty) in &self.vars {
            expand(u, name.clone(), ty.clone(), 2, &mut out);
        }
        out
    }
}

fn expand(u: &Universe, path: String, ty: Ty, depth: u32, out: &mut Vec<(String, Ty)>) {
    out.push((path.clone(), ty.clone()));
    if depth == 0 {
        return;
    }
    match &ty {
        Ty::Rec(i) if u.is_value(&ty) => {
            for (f, t) in &u.unboxed[*i].fields {
                expand(u, format!("{path}.{f}"), t.clone(), depth - 1, out);
            }
        }
        Ty::Bang(inner) => {
            if let Ty::Boxed(i, mask) = **inner {
                for (k, (f, t)) in u.boxed[i].fields.iter().enumerate() {
                    if mask & (1 << k) != 0 {
                        continue;
                    }
                    // A field of a view is a view; a value is itself.
                    let viewed = match t {
                        Ty::Array(_) | Ty::Boxed(..) => t.clone().bang(),
                        _ => t.clone(),
                    };
                    expand(u, format!("{path}.{f}"), viewed, depth - 1, out);
                }
            }
        }
        _ => {}
    }
}

impl Gen {
    /// An expression of value type `ty` (or of a view type, when a path of
    /// that type is readable).
    pub(crate) fn value(&mut self, ty: &Ty, env: &Env, depth: u32, known: bool) -> String {
        if let Ty::Fun(..) | Ty::Bang(_) = ty {
            return self.form(ty, env, depth);
        }
        if !known && !self.synthesizes(ty) && self.rng.pct(60) {
            let e = self.value(ty, env, depth, true);
            return format!("({e} : {})", self.uni.show(ty));
        }
        if !known {
            // Only forms whose type the checker works out by itself.
            if let Some(e) = self.synth_form(ty, env, depth) {
                return e;
            }
            let e = self.value(ty, env, depth, true);
            return format!("({e} : {})", self.uni.show(ty));
        }
        // Where the type is known, a narrower variant fits too.
        let mut paths: Vec<String> =
            env.paths(&self.uni).into_iter().filter(|(_, t)| Universe::fits(t, ty)).map(|(p, _)| p).collect();
        if ty.as_word().is_none() {
            // Constants of other types read like variables (words have their own weight).
            let consts = self.consts.iter().filter(|c| c.1 == *ty).map(|c| c.0.clone());
            let consts: Vec<String> = consts.collect();
            if !consts.is_empty() {
                self.feat(Feature::Constant);
            }
            paths.extend(consts);
        }
        // Compound forms nest only from depth 2, so most operands are
        // variables, fields and literals.
        let d = depth > 1;
        let words = ty.as_word().is_some();
        let weights = [
            if paths.is_empty() {
                0
            } else if depth == 0 {
                75
            } else {
                35
            }, // 0 a readable path
            20,                                                                        // 1 a form of the type
            if d { 6 } else { 0 },                                                     // 2 if
            if d { 5 } else { 0 },                                                     // 3 match
            if d { 3 } else { 0 },                                                     // 4 let
            if depth > 0 { 8 } else { 0 },                                             // 5 call
            if depth > 0 && self.loops_allowed() && self.can_spawn() { 4 } else { 0 }, // 6 loop or fold
            if words && depth > 0 { 10 } else { 0 },                                   // 7 extra word forms
        ];
        match self.rng.weighted(&weights) {
            0 => self.read(&paths),
            2 => self.if_value(ty, env, depth),
            3 => self.match_value(ty, env, depth),
            4 => self.let_value(ty, env, depth),
            5 => self.call_value(ty, env, depth, false).unwrap_or_else(|| self.form(ty, env, depth)),
            6 => self.loop_value(ty, env, depth).unwrap_or_else(|| self.form(ty, env, depth)),
            7 => self.form(ty, env, depth),
            _ => self.form(ty, env, depth),
        }
    }

    fn read(&mut self, paths: &[String]) -> String {
        let p = self.rng.pick(paths).clone();
        if p.contains('.') {
            self.feat(Feature::Member);
        }
        p
    }

    /// Whether a literal of `ty` needs no annotation.
    fn synthesizes(&self, ty: &Ty) -> bool {
        matches!(ty, Ty::Word(W::U32) | Ty::Bool | Ty::Unit)
    }

    /// A form that synthesizes its type, or `None`.
    fn synth_form(&mut self, ty: &Ty, env: &Env, depth: u32) -> Option<String> {
        let paths: Vec<String> = env.paths(&self.uni).into_iter().filter(|(_, t)| t == ty).map(|(p, _)| p).collect();
        if !paths.is_empty() && self.rng.pct(60) {
            return Some(self.read(&paths));
        }
        match ty {
            Ty::Bool => Some(self.form(ty, env, depth)),
            Ty::Word(W::U32) if depth > 0 && self.rng.pct(40) => {
                // Operands in an unknown context are themselves unknown.
                let op = *self.rng.pick(&["+", "-", "*", ".&.", ".|.", ".^."]);
                let a = self.value(ty, env, depth - 1, false);
                let b = self.value(ty, env, depth - 1, false);
                Some(format!("({a} {op} {b})"))
            }
            // A bare literal would be an unfixed `U32` that a later `upcast`
            // of the variable it is bound to fixes wrongly (/tmp/tc/bugs3/04).
            Ty::Word(W::U32) => Some(format!("({} : U32)", self.word_literal(W::U32))),
            Ty::Unit => Some("()".into()),
            _ if depth > 0 && self.rng.pct(40) => self.call_value(ty, env, depth, true),
            _ => None,
        }
    }

    /// The forms particular to `ty`.
    fn form(&mut self, ty: &Ty, env: &Env, depth: u32) -> String {
        match ty {
            Ty::Word(w) => self.word(*w, env, depth),
            Ty::Bool => self.boolean(env, depth),
            Ty::Unit => "()".into(),
            Ty::Tuple(ts) => {
                let items: Vec<String> = ts.iter().map(|t| self.value(t, env, depth.saturating_sub(1), true)).collect();
                format!("({})", items.join(", "))
            }
            Ty::Rec(i) => self.record_value(*i, env, depth),
            Ty::Anon(fs) => {
                let items: Vec<String> = fs
                    .iter()
                    .map(|(f, t)| format!("{f} = {}", self.value(t, env, depth.saturating_sub(1), true)))
                    .collect();
                format!("#{{{}}}", items.join(", "))
            }
            Ty::Sum(_) | Ty::Option(_) | Ty::Res(..) | Ty::Narrow(..) => self.construct(ty, env, depth),
            Ty::Fun(..) => self.fun_value(ty),
            Ty::Bang(_) => {
                // Only asked for when a path exists.
                let paths: Vec<String> =
                    env.paths(&self.uni).into_iter().filter(|(_, t)| t == ty).map(|(p, _)| p).collect();
                self.read(&paths)
            }
            _ => unreachable!("bug: no value of {ty:?}"),
        }
    }

    fn word_literal(&mut self, w: W) -> String {
        let v = super::types::word_value(&mut self.rng, w);
        match self.rng.below(10) {
            0 => format!("{v:#x}"),
            1 if v > 9999 => {
                // digit separators
                let s = v.to_string();
                let mut out = String::new();
                for (k, c) in s.chars().enumerate() {
                    if k > 0 && (s.len() - k).is_multiple_of(3) {
                        out.push('_');
                    }
                    out.push(c);
                }
                out
            }
            _ => v.to_string(),
        }
    }

    fn word(&mut self, w: W, env: &Env, depth: u32) -> String {
        let consts: Vec<String> = self.consts.iter().filter(|c| c.1 == Ty::Word(w)).map(|c| c.0.clone()).collect();
        let arrays: Vec<String> = env
            .paths(&self.uni)
            .into_iter()
            .filter(|(_, t)| matches!(t, Ty::Bang(a) if **a == Ty::Array(w)))
            .map(|(p, _)| p)
            .collect();
        let any_array: Vec<String> = env
            .paths(&self.uni)
            .into_iter()
            .filter(|(_, t)| matches!(t, Ty::Bang(a) if matches!(**a, Ty::Array(_))))
            .map(|(p, _)| p)
            .collect();
        let d = depth > 0;
        let weights = [
            30,
            if consts.is_empty() { 0 } else { 6 },
            if d { 14 } else { 0 },
            if d { 5 } else { 0 },
            if d { 5 } else { 0 },
            if d { 8 } else { 0 },
            if d && w != W::U8 { 8 } else { 0 },
            if arrays.is_empty() { 0 } else { 25 },
            if any_array.is_empty() || w != W::U32 { 0 } else { 10 },
        ];
        let sub = depth.saturating_sub(1);
        match self.rng.weighted(&weights) {
            1 => {
                self.feat(Feature::Constant);
                self.rng.pick(&consts).clone()
            }
            2 => {
                let op = *self.rng.pick(&["+", "-", "*", "+", "-"]);
                let (a, b) = (self.value(&Ty::Word(w), env, sub, true), self.value(&Ty::Word(w), env, sub, true));
                format!("({a} {op} {b})")
            }
            3 => {
                self.feat(Feature::DivMod);
                let op = *self.rng.pick(&["/", "%"]);
                let (a, b) = (self.value(&Ty::Word(w), env, sub, true), self.value(&Ty::Word(w), env, sub, true));
                format!("({a} {op} ({b} .|. 1))")
            }
            4 => {
                self.feat(Feature::Shift);
                let op = *self.rng.pick(&["<<", ">>"]);
                let (a, b) = (self.value(&Ty::Word(w), env, sub, true), self.value(&Ty::Word(w), env, sub, true));
                format!("({a} {op} ({b} .&. {}))", w.bits() - 1)
            }
            5 => {
                self.feat(Feature::Bitwise);
                if self.rng.pct(30) {
                    // The checker does not pass the expected type through
                    // `complement` (/tmp/tc/bugs3/02).
                    let a = self.value(&Ty::Word(w), env, sub, false);
                    format!("(complement {a})")
                } else {
                    let op = *self.rng.pick(&[".&.", ".|.", ".^."]);
                    let a = self.value(&Ty::Word(w), env, sub, true);
                    let b = self.value(&Ty::Word(w), env, sub, true);
                    format!("({a} {op} {b})")
                }
            }
            6 => {
                self.feat(Feature::Upcast);
                let narrower: Vec<W> = W::ALL.iter().copied().filter(|v| v.bits() < w.bits()).collect();
                let from = *self.rng.pick(&narrower);
                let a = self.value(&Ty::Word(from), env, sub, false);
                format!("(upcast {a})")
            }
            7 => {
                self.feat(Feature::ArrayRead);
                let arr = self.rng.pick(&arrays).clone();
                let idx = self.value(&Ty::Word(W::U32), env, sub, true);
                if self.rng.pct(30) {
                    self.feat(Feature::TypeArgs);
                    format!("(wordarray_get [{}] ({arr}, {idx}))", w.name())
                } else {
                    format!("(wordarray_get ({arr}, {idx}))")
                }
            }
            8 => {
                self.feat(Feature::ArrayRead);
                format!("(wordarray_length {})", self.rng.pick(&any_array))
            }
            _ => self.word_literal(w),
        }
    }

    fn boolean(&mut self, env: &Env, depth: u32) -> String {
        if depth == 0 {
            return if self.rng.pct(50) { "True" } else { "False" }.into();
        }
        let sub = depth - 1;
        match self.rng.weighted(&[10, 40, 20, 10, 8]) {
            0 => if self.rng.pct(50) { "True" } else { "False" }.into(),
            1 => {
                let w = self.word_in_scope(env);
                let op = *self.rng.pick(&["==", "/=", "<", ">", "<=", ">="]);
                // No expected type for either operand: a bare literal on one
                // side does not fix the other's `upcast` target (/tmp/tc/bugs3/01).
                let a = self.value(&Ty::Word(w), env, sub, false);
                let b = self.value(&Ty::Word(w), env, sub, false);
                format!("({a} {op} {b})")
            }
            2 => {
                let op = *self.rng.pick(&["&&", "||"]);
                let (a, b) = (self.value(&Ty::Bool, env, sub, true), self.value(&Ty::Bool, env, sub, true));
                format!("({a} {op} {b})")
            }
            3 => format!("(not {})", self.value(&Ty::Bool, env, sub, true)),
            _ => {
                let (a, b) = (self.value(&Ty::Bool, env, sub, true), self.value(&Ty::Bool, env, sub, true));
                format!("({a} == {b})")
            }
        }
    }

    fn record_value(&mut self, i: usize, env: &Env, depth: u32) -> String {
        self.feat(Feature::UnboxedRecord);
        let ty = Ty::Rec(i);
        let paths: Vec<String> = env.paths(&self.uni).into_iter().filter(|(_, t)| *t == ty).map(|(p, _)| p).collect();
        let fields = self.uni.unboxed[i].fields.clone();
        let sub = depth.saturating_sub(1);
        if !paths.is_empty() && self.rng.pct(65) {
            self.feat(Feature::UnboxedPut);
            let base = self.rng.pick(&paths).clone();
            let (f, t) = self.rng.pick(&fields).clone();
            let v = self.value(&t, env, sub, true);
            return format!("({base} {{{f} = {v}}})");
        }
        let mut items: Vec<String> =
            fields.iter().map(|(f, t)| format!("{f} = {}", self.value(t, env, sub, true))).collect();
        if self.rng.pct(20) {
            self.rng.shuffle(&mut items);
        }
        let literal = format!("#{{{}}}", items.join(", "));
        if self.rng.pct(20) {
            // A put overwriting a field of the literal. The put's base has no
            // expected type, so the literal is annotated.
            self.feat(Feature::UnboxedPut);
            let (f, t) = self.rng.pick(&fields).clone();
            let v = self.value(&t, env, sub, true);
            return format!("(({literal} : {}) {{{f} = {v}}})", self.uni.unboxed[i].name);
        }
        literal
    }

    /// A constructor application of variant type `ty`.
    fn construct(&mut self, ty: &Ty, env: &Env, depth: u32) -> String {
        if matches!(ty, Ty::Sum(_)) {
            self.feat(Feature::Variant);
        }
        let alts = self.uni.alts(ty);
        let alt = self.rng.pick(&alts).clone();
        let sub = depth.saturating_sub(1);
        match alt.payload.len() {
            0 => alt.tag,
            1 => {
                if Universe::is_variant(&alt.payload[0]) {
                    self.feat(Feature::NestedVariant);
                }
                format!("({} {})", alt.tag, self.value(&alt.payload[0], env, sub, true))
            }
            _ => {
                let items: Vec<String> = alt.payload.iter().map(|t| self.value(t, env, sub, true)).collect();
                if self.rng.pct(50) {
                    format!("({} {})", alt.tag, items.join(" "))
                } else {
                    format!("({} ({}))", alt.tag, items.join(", "))
                }
            }
        }
    }

    fn if_value(&mut self, ty: &Ty, env: &Env, depth: u32) -> String {
        self.feat(Feature::If);
        let c = self.value(&Ty::Bool, env, depth - 1, true);
        let a = self.value(ty, env, depth - 1, true);
        let b = self.value(ty, env, depth - 1, true);
        format!("(if {c} then {a} else {b})")
    }

    /// A match on a value (a readable path or a fresh expression).
    fn match_value(&mut self, ty: &Ty, env: &Env, depth: u32) -> String {
        let (scrut, sty) = self.scrutinee(env, depth - 1);
        let rows = self.cover(&sty, 1);
        self.feat(Feature::Match);
        let mut out = format!("({scrut}");
        for row in rows {
            let mut inner = env.clone();
            for (n, t) in &row.binds {
                inner.push(n.clone(), t.clone());
            }
            let arrow = *self.rng.pick(&["->", "->", "->", "=>", "~>"]);
            let e = self.value(ty, &inner, depth - 1, true);
            out.push_str(&format!(" | {} {arrow} {e}", row.text));
        }
        out.push(')');
        out
    }

    /// Something worth matching on: a readable variant, word or boolean, or a
    /// fresh expression of a random value type.
    pub(crate) fn scrutinee(&mut self, env: &Env, depth: u32) -> (String, Ty) {
        let interesting: Vec<(String, Ty)> = env
            .paths(&self.uni)
            .into_iter()
            .filter(|(_, t)| self.uni.is_value(t) && !matches!(t, Ty::Fun(..) | Ty::Unit))
            .collect();
        if !interesting.is_empty() && self.rng.pct(75) {
            let (p, t) = self.rng.pick(&interesting).clone();
            if p.contains('.') {
                self.feat(Feature::Member);
            }
            return (p, t);
        }
        let ty = self.uni.value_ty(&mut self.rng, 1);
        let ty = if matches!(ty, Ty::Unit) { Ty::Bool } else { ty };
        let e = self.value(&ty, env, depth, false);
        (e, ty)
    }

    /// A word type, usually one that something in scope has (so the
    /// expressions made of it can use variables rather than literals).
    pub(crate) fn word_in_scope(&mut self, env: &Env) -> W {
        let words: Vec<W> = env.paths(&self.uni).iter().filter_map(|(_, t)| t.as_word()).collect();
        if !words.is_empty() && self.rng.pct(75) {
            *self.rng.pick(&words)
        } else {
            *self.rng.pick(&W::ALL)
        }
    }

    /// Sometimes `ty` narrowed to some of its alternatives, for a typed `let`.
    pub(crate) fn narrow(&mut self, ty: Ty) -> Ty {
        let t = self.uni.maybe_narrow(&mut self.rng, ty);
        if Universe::is_narrowed(&t) {
            self.feat(Feature::VariantSubtyping);
        }
        t
    }

    /// A value type for a new variable: often a word type in scope.
    pub(crate) fn value_ty_in_scope(&mut self, env: &Env) -> Ty {
        if self.rng.pct(40) {
            Ty::Word(self.word_in_scope(env))
        } else {
            self.uni.value_ty(&mut self.rng, 1)
        }
    }

    fn let_value(&mut self, ty: &Ty, env: &Env, depth: u32) -> String {
        let typed = self.rng.pct(50);
        let bty = self.value_ty_in_scope(env);
        let bty = if typed { self.narrow(bty) } else { bty };
        let rhs = self.value(&bty, env, depth - 1, typed);
        let pat = self.bind_pat(&bty);
        let mut inner = env.clone();
        for (n, t) in &pat.binds {
            inner.push(n.clone(), t.clone());
        }
        let body = self.value(ty, &inner, depth - 1, true);
        if typed {
            format!("(let {} : {} = {rhs} in {body})", pat.text, self.uni.show(&bty))
        } else {
            format!("(let {} = {rhs} in {body})", pat.text)
        }
    }

    /// The functions the current one may call: defined after it, not the
    /// entry, with no more loop levels than it has.
    pub(crate) fn callees(&self) -> Vec<usize> {
        let budget = self.fns[self.cur].loop_budget;
        (self.cur + 1..self.fns.len())
            .filter(|&j| self.fns[j].role != Role::Entry && self.fns[j].loop_budget <= budget)
            .collect()
    }

    pub(crate) fn loops_allowed(&self) -> bool {
        // Loop bodies may go past the soft limit on functions: loops matter more.
        self.fns[self.cur].loop_budget > 0 && self.fns.len() < super::MAX_FNS + 2
    }

    /// A call producing `ty`: of a generated function, a function-valued
    /// variable, a polymorphic function, or a new helper.
    /// `exact`: the call's type must be `ty` itself, not a narrower variant
    /// (where nothing expects `ty`, the call's own type is what counts).
    fn call_value(&mut self, ty: &Ty, env: &Env, depth: u32, exact: bool) -> Option<String> {
        let sub = depth.saturating_sub(1);
        let mut options: Vec<(usize, Ty)> = Vec::new();
        for j in self.callees() {
            let f = &self.fns[j];
            if let Some(poly) = &f.poly {
                let args: Vec<Ty> = poly.linear_ok.iter().map(|_| ty.clone()).collect();
                if subst(&poly.result, &args) == *ty && matches!(poly.name.as_str(), "ppick") {
                    options.push((j, subst(&poly.param, &args)));
                }
            } else if f.result == *ty && self.buildable(&f.param, env) {
                options.push((j, f.param.clone()));
            }
        }
        let fun_vars: Vec<(String, Ty)> =
            env.vars.iter().filter(|(_, t)| matches!(t, Ty::Fun(_, r) if **r == *ty)).cloned().collect();
        if !fun_vars.is_empty() && self.rng.pct(50) {
            let (name, fty) = self.rng.pick(&fun_vars).clone();
            let Ty::Fun(p, _) = fty else { unreachable!("bug: not a function") };
            let arg = self.value(&p, env, sub, true);
            self.feat(Feature::HigherOrder);
            return Some(format!("({name} {})", atomic(&arg)));
        }
        if options.is_empty() || (self.can_spawn() && self.rng.pct(15)) {
            if !self.can_spawn() || self.rng.pct(60) {
                return None;
            }
            let mut params: Vec<Ty> = (0..self.rng.range(0, 2)).map(|_| self.uni.value_ty(&mut self.rng, 1)).collect();
            if self.rng.pct(10) {
                // A higher-order helper: takes a function to call.
                let f = Ty::Fun(
                    Box::new(self.uni.value_ty(&mut self.rng, 0)),
                    Box::new(self.uni.value_ty(&mut self.rng, 0)),
                );
                params.push(f);
            }
            let views: Vec<Ty> =
                env.paths(&self.uni).into_iter().map(|(_, t)| t).filter(|t| matches!(t, Ty::Bang(_))).collect();
            if !views.is_empty() && self.rng.pct(50) {
                params.push(self.rng.pick(&views).clone());
                self.feat(Feature::BangParam);
            }
            let param = Ty::tuple(params);
            let budget = self.fns[self.cur].loop_budget;
            // A helper may promise fewer alternatives than asked for.
            let result = if exact { ty.clone() } else { self.narrow(ty.clone()) };
            self.spawn("g", param.clone(), result, budget);
            options = vec![(self.fns.len() - 1, param)];
        }
        let (j, param) = self.rng.pick(&options).clone();
        let mut name = self.fns[j].name.clone();
        let mut known = true;
        if self.fns[j].poly.is_some() {
            self.feat(Feature::Polymorphic);
            if self.rng.pct(50) {
                self.feat(Feature::TypeArgs);
                name = format!("{name} [{}]", self.uni.show(ty));
            } else {
                known = false;
            }
        }
        let args = self.args(&param, env, sub, known)?;
        self.feat(Feature::Call);
        Some(format!("({name} {})", atomic(&args)))
    }

    /// Can an argument of type `param` be made here without linear values?
    pub(crate) fn buildable(&self, param: &Ty, env: &Env) -> bool {
        match param {
            Ty::Tuple(ts) => ts.iter().all(|t| self.buildable(t, env)),
            Ty::Anon(fs) => fs.iter().all(|(_, t)| self.buildable(t, env)),
            Ty::Bang(_) => env.paths(&self.uni).iter().any(|(_, t)| t == param),
            Ty::Fun(..) => true,
            t => self.uni.is_value(t),
        }
    }

    /// The argument of a call, of type `param`.
    pub(crate) fn args(&mut self, param: &Ty, env: &Env, depth: u32, known: bool) -> Option<String> {
        match param {
            Ty::Tuple(ts) => {
                let mut items = Vec::new();
                for t in ts {
                    items.push(self.args(t, env, depth, known)?);
                }
                Some(format!("({})", items.join(", ")))
            }
            Ty::Anon(fs) => {
                let mut items = Vec::new();
                for (f, t) in fs {
                    items.push(format!("{f} = {}", self.args(t, env, depth, known)?));
                }
                Some(format!("#{{{}}}", items.join(", ")))
            }
            Ty::Bang(_) => {
                let paths: Vec<String> =
                    env.paths(&self.uni).into_iter().filter(|(_, t)| t == param).map(|(p, _)| p).collect();
                if paths.is_empty() {
                    return None;
                }
                Some(self.read(&paths))
            }
            Ty::Fun(..) => {
                self.feat(Feature::HigherOrder);
                Some(self.fun_value(param))
            }
            t => Some(self.value(t, env, depth, known)),
        }
    }

    /// The name of a function of exactly type `ty` (a function type of
    /// values), made if there is none.
    pub(crate) fn fun_value(&mut self, ty: &Ty) -> String {
        let Ty::Fun(p, r) = ty else { unreachable!("bug: not a function type") };
        let existing: Vec<String> = self
            .callees()
            .into_iter()
            .filter(|&j| self.fns[j].poly.is_none() && self.fns[j].param == **p && self.fns[j].result == **r)
            .map(|j| self.fns[j].name.clone())
            .collect();
        if !existing.is_empty() && (self.rng.pct(60) || !self.can_spawn()) {
            return self.rng.pick(&existing).clone();
        }
        // A function argument must exist, so this helper is made even past
        // the soft limit on the number of functions.
        let budget = self.fns[self.cur].loop_budget.min(1);
        self.spawn("h", (**p).clone(), (**r).clone(), budget)
    }

    /// A `seq32`/`seq64` loop or a `wordarray_fold` with a value accumulator.
    fn loop_value(&mut self, ty: &Ty, env: &Env, depth: u32) -> Option<String> {
        let arrays: Vec<(String, W)> = env
            .paths(&self.uni)
            .into_iter()
            .filter_map(|(p, t)| match t {
                Ty::Bang(a) => match *a {
                    Ty::Array(w) => Some((p, w)),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let (obsv_ty, obsv) = self.observer(env, depth);
        let acc = self.value(ty, env, depth - 1, false);
        let budget = self.fns[self.cur].loop_budget - 1;
        if !arrays.is_empty() && self.rng.pct(45) {
            let (arr, w) = self.rng.pick(&arrays).clone();
            let param = fold_param(Ty::Word(w), ty.clone(), obsv_ty);
            let f = self.spawn("fold", param, ty.clone(), budget);
            self.feat(Feature::ArrayFold);
            let (frm, to) = self.bounds(W::U32, env);
            return Some(format!(
                "(wordarray_fold #{{arr = {arr}, frm = {frm}, to = {to}, f = {f}, acc = {acc}, obsv = {obsv}}})"
            ));
        }
        Some(self.seq(ty.clone(), acc, obsv_ty, obsv, env, budget))
    }

    /// A `seq32`/`seq64` call with accumulator `acc : acc_ty`.
    pub(crate) fn seq(&mut self, acc_ty: Ty, acc: String, obsv_ty: Ty, obsv: String, env: &Env, budget: u32) -> String {
        self.feat(Feature::Loop);
        let w = if self.rng.pct(20) {
            self.feat(Feature::Seq64);
            W::U64
        } else {
            W::U32
        };
        let param = loop_param(acc_ty.clone(), obsv_ty, w);
        let f = self.spawn("body", param, acc_ty, budget);
        let (frm, to) = self.bounds(w, env);
        let step = self.rng.range(0, 3);
        let name = if w == W::U64 { "seq64" } else { "seq32" };
        format!("({name} #{{frm = {frm}, to = {to}, step = {step}, f = {f}, acc = {acc}, obsv = {obsv}}})")
    }

    /// Loop bounds at most 16 apart.
    pub(crate) fn bounds(&mut self, w: W, env: &Env) -> (String, String) {
        let frm = self.rng.range(0, 3);
        let to = if self.rng.pct(50) {
            format!("{}", frm + self.rng.range(0, 8))
        } else {
            let x = self.value(&Ty::Word(w), env, 1, true);
            format!("({} + ({x} .&. 15))", frm)
        };
        (frm.to_string(), to)
    }

    /// The observer of a loop: a readable view, a value, or `()`.
    pub(crate) fn observer(&mut self, env: &Env, depth: u32) -> (Ty, String) {
        let views: Vec<(String, Ty)> =
            env.paths(&self.uni).into_iter().filter(|(_, t)| matches!(t, Ty::Bang(_))).collect();
        match self.rng.weighted(&[if views.is_empty() { 0 } else { 45 }, 30, 25]) {
            0 => {
                let (p, t) = self.rng.pick(&views).clone();
                if p.contains('.') {
                    self.feat(Feature::Member);
                }
                (t, p)
            }
            1 => {
                let t = self.uni.value_ty(&mut self.rng, 1);
                let e = self.value(&t, env, depth.saturating_sub(1), false);
                (t, e)
            }
            _ => (Ty::Unit, "()".into()),
        }
    }
}

/// A loop body's parameter: `#{acc : acc, obsv : obsv, idx : U32}` (the
/// fields in the prelude's order, which record equality requires).
pub(crate) fn loop_param(acc: Ty, obsv: Ty, w: W) -> Ty {
    Ty::Anon(vec![("acc".into(), acc), ("obsv".into(), obsv), ("idx".into(), Ty::Word(w))])
}

/// A fold or map body's parameter: `#{elem : a, acc : acc, obsv : obsv}`.
pub(crate) fn fold_param(elem: Ty, acc: Ty, obsv: Ty) -> Ty {
    Ty::Anon(vec![("elem".into(), elem), ("acc".into(), acc), ("obsv".into(), obsv)])
}

/// `e` as an atom: it already is one unless it contains a space outside
/// brackets.
pub(crate) fn atomic(e: &str) -> String {
    let mut depth = 0i32;
    for c in e.chars() {
        match c {
            '(' | '{' | '[' => depth += 1,
            ')' | '}' | ']' => depth -= 1,
            ' ' if depth == 0 => return format!("({e})"),
            _ => {}
        }
    }
    e.to_owned()
}
