//! The state of checking one function body: unknowns, and the linear
//! context that makes every linear value used exactly once on every path.

use crate::source::Span;
use crate::syntax::ast;
use crate::typeck::env::{Env, Scheme};
use crate::typeck::errors::{TypeError, TypeErrorKind};
use crate::typeck::infer::Metas;
use crate::typeck::types::{Kind, Ty};
use std::collections::HashMap;

/// A local variable and what has happened to it.
#[derive(Clone)]
pub struct Local {
    pub name: String,
    pub ty: Ty,
    pub bound: Span,
    pub used: Option<Span>,
    /// Set while the variable is observed with `!`.
    pub observed: Option<Span>,
}

/// A kind requirement to check once all unknowns are solved.
struct KindCheck {
    ty: Ty,
    required: Kind,
    why: &'static str,
    span: Span,
}

pub struct FnChecker<'e, 'a> {
    pub env: &'e Env<'a>,
    pub metas: Metas,
    pub locals: Vec<Local>,
    pub var_kinds: HashMap<String, Kind>,
    pub errors: Vec<TypeError>,
    /// Top-level functions referred to, for the call graph.
    pub calls: Vec<(String, Span)>,
    pub(super) literals: Vec<(Ty, u64, Span)>,
    /// Type arguments left to inference: (unknown, function, variable, use).
    pub(super) inferred_args: Vec<(Ty, String, String, Span)>,
    /// Results of observations, which must be escapable: (type, observed
    /// variable, where it is observed, the observing expression).
    pub(super) escape_checks: Vec<(Ty, String, Span, Span)>,
    /// Upcasts of words not yet known: (source type, target, where).
    pub(super) upcasts: Vec<(Ty, crate::typeck::types::Prim, Span)>,
    kind_checks: Vec<KindCheck>,
}

impl<'e, 'a> FnChecker<'e, 'a> {
    pub fn new(env: &'e Env<'a>, scheme: &Scheme) -> Self {
        FnChecker {
            env,
            metas: Metas::default(),
            locals: Vec::new(),
            var_kinds: scheme.vars.iter().cloned().collect(),
            errors: Vec::new(),
            calls: Vec::new(),
            literals: Vec::new(),
            inferred_args: Vec::new(),
            escape_checks: Vec::new(),
            upcasts: Vec::new(),
            kind_checks: Vec::new(),
        }
    }

    pub fn error(&mut self, kind: TypeErrorKind, span: Span) {
        self.errors.push(TypeError::new(kind, span));
    }

    pub fn unify(&mut self, expected: &Ty, found: &Ty, span: Span) {
        if let Err(e) = self.metas.unify(expected, found, span) {
            self.errors.push(e);
        }
    }

    pub fn kind(&self, ty: &Ty) -> Kind {
        // `Metas::kind` follows solved unknowns itself: no copy needed.
        self.metas.kind(ty, &self.var_kinds)
    }

    pub(super) fn require_kind_later(&mut self, ty: Ty, required: Kind, why: &'static str, span: Span) {
        self.kind_checks.push(KindCheck { ty, required, why, span });
    }

    /// Checks what could only be checked once every unknown was solved:
    /// literal ranges and the kinds of instantiated type variables.
    pub fn finish(&mut self) {
        // A literal whose only constraint is an upcast takes the target type;
        // one fixed elsewhere must be no wider than the target.
        let upcasts = std::mem::take(&mut self.upcasts);
        for (from, to, span) in &upcasts {
            if self.metas.unsolved(from) {
                self.unify(&Ty::Prim(*to), from, *span);
            }
        }
        self.metas.default_integrals();
        for (from, to, span) in upcasts {
            if let Ty::Prim(p) = self.metas.zonk(&from) {
                if p.bits() > to.bits() {
                    self.error(TypeErrorKind::BadUpcast { from: format!("{p:?}"), to: format!("{to:?}") }, span);
                }
            }
        }
        for (ty, value, span) in std::mem::take(&mut self.literals) {
            if let Ty::Prim(p) = self.metas.zonk(&ty) {
                if p.max_value().is_some_and(|max| value > max) {
                    self.error(TypeErrorKind::LiteralOutOfRange { value, ty: format!("{p:?}") }, span);
                }
            }
        }
        let mut undetermined = Vec::new();
        let mut reported: Vec<Ty> = Vec::new();
        for (ty, function, var, span) in std::mem::take(&mut self.inferred_args) {
            if self.metas.unsolved(&ty) {
                undetermined.push(span);
                // Unknowns unified with each other are one mistake.
                let unknown = self.metas.zonk(&ty);
                if !reported.contains(&unknown) {
                    self.error(TypeErrorKind::UndeterminedTypeArgument { function, var }, span);
                    reported.push(unknown);
                }
            }
        }
        for (ty, var, observed, span) in std::mem::take(&mut self.escape_checks) {
            let ty = self.metas.zonk(&ty);
            if !self.kind(&ty).escape {
                self.error(TypeErrorKind::ObservedEscapes { var, ty: ty.to_string(), observed }, span);
            }
        }
        for check in std::mem::take(&mut self.kind_checks) {
            // An undetermined argument was reported as such; its kind says nothing.
            if undetermined.contains(&check.span) && self.metas.unsolved(&check.ty) {
                continue;
            }
            let ty = self.metas.zonk(&check.ty);
            let kind = self.kind(&ty);
            if !kind.satisfies(check.required) {
                self.error(
                    TypeErrorKind::KindViolation {
                        ty: ty.to_string(),
                        kind: kind.to_string(),
                        required: check.required.to_string(),
                        why: check.why,
                    },
                    check.span,
                );
            }
        }
    }

    // ------------------------------------------------------------ locals

    pub fn bind(&mut self, name: &ast::Ident, ty: Ty) {
        self.locals.push(Local { name: name.name.clone(), ty, bound: name.span, used: None, observed: None });
    }

    /// Closes the scope opened when `locals` had `mark` entries: every linear
    /// variable bound since must have been used.
    pub fn close_scope(&mut self, mark: usize, end: Span) {
        let closing: Vec<Local> = self.locals.drain(mark..).collect();
        for local in closing {
            if local.used.is_none() && !self.kind(&local.ty).discard {
                let ty = self.metas.zonk(&local.ty);
                let taken = ty.taken_fields().into_iter().map(str::to_owned).collect();
                let kind =
                    TypeErrorKind::LinearDropped { var: local.name, ty: ty.to_string(), bound: local.bound, taken };
                self.error(kind, end);
            }
        }
    }

    pub(super) fn lookup(&self, name: &str) -> Option<usize> {
        self.locals.iter().rposition(|l| l.name == name)
    }

    /// A use of a local variable. Whether a record with taken fields may be
    /// used here is for unification with the expected type to decide.
    pub(super) fn use_local(&mut self, index: usize, span: Span) -> Ty {
        let local = self.locals[index].clone();
        let kind = self.kind(&local.ty);
        if local.observed.is_none() && !kind.share {
            if let Some(first_use) = local.used {
                self.error(
                    TypeErrorKind::LinearUsedTwice { var: local.name.clone(), bound: local.bound, first_use },
                    span,
                );
            }
        }
        self.locals[index].used = Some(span);
        self.metas.zonk(&local.ty)
    }

    /// Runs each branch from the same starting context and merges them,
    /// reporting variables from outside that some branches consume and
    /// others do not.
    pub fn branches<T>(&mut self, spans: &[Span], mut run: impl FnMut(&mut Self, usize) -> T) -> Vec<T> {
        let before: Vec<Option<Span>> = self.locals.iter().map(|l| l.used).collect();
        let mut outcomes: Vec<Vec<Option<Span>>> = Vec::new();
        let mut results = Vec::new();
        for i in 0..spans.len() {
            for (local, used) in self.locals.iter_mut().zip(&before) {
                local.used = *used;
            }
            results.push(run(self, i));
            outcomes.push(self.locals.iter().map(|l| l.used).collect());
        }
        for index in 0..before.len() {
            let used_in: Vec<Option<Span>> = outcomes.iter().map(|o| o[index]).collect();
            let newly = |u: &Option<Span>| *u != before[index];
            let consumed = used_in.iter().position(newly);
            let skipped = used_in.iter().position(|u| !newly(u));
            if let (Some(a), Some(b)) = (consumed, skipped) {
                let local = &self.locals[index];
                if !self.kind(&local.ty).discard {
                    let (var, bound) = (local.name.clone(), local.bound);
                    let used = used_in[a].unwrap_or(spans[a]);
                    self.error(
                        TypeErrorKind::LinearUsedInOneBranch { var, bound, used, other_branch: spans[b] },
                        spans[b],
                    );
                }
            }
            self.locals[index].used = used_in.iter().find(|u| newly(u)).copied().flatten().or(before[index]);
        }
        results
    }
}

/// A zero-width span at the end of `span`: where a scope closes.
pub fn end_of(span: Span) -> Span {
    Span { start: span.end, ..span }
}
