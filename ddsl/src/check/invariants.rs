//! Checking the cross-structure invariant items — `space`, `reserve`,
//! `bitmap`, `links` — and the `owns`/`refs` claims on pointers: every space
//! named exists, every expression is a number over what is in scope there
//! (the `for` variable; `it` in a claim's `count` and in `links ... when`).

use super::errors::{closest, LayoutErrorKind as K};
use super::{Checker, Scope};
use crate::syntax::ast::*;

impl<'a> Checker<'a> {
    /// Invariant items are evaluated after the whole image is walked, so they
    /// may use names defined anywhere in the file.
    fn invariant_scope(scope: Scope<'a>, each: Option<&'a ForEach>) -> Scope<'a> {
        Scope { global_order: false, param: each.map(|e| &e.var), ..scope }
    }

    fn check_space_name(&mut self, space: &Ident) {
        if !self.spaces.contains_key(space.name.as_str()) {
            let mut names: Vec<&str> = self.spaces.keys().copied().collect();
            names.sort();
            let suggestion = closest(&space.name, names);
            self.error(K::UnknownSpace { name: space.name.clone(), suggestion }, space.span);
        }
    }

    fn check_each(&mut self, each: Option<&'a ForEach>, scope: Scope<'a>) {
        if let Some(each) = each {
            let outer = Scope { param: None, ..scope };
            self.expect_num(&each.from, outer);
            self.expect_num(&each.to, outer);
        }
    }

    pub(super) fn check_space(&mut self, def: &'a SpaceDef, scope: Scope<'a>) {
        let scope = Self::invariant_scope(scope, None);
        self.expect_num(&def.from, scope);
        self.expect_num(&def.to, scope);
    }

    pub(super) fn check_reserve(&mut self, def: &'a ReserveDef, scope: Scope<'a>) {
        self.check_space_name(&def.space);
        let scope = Self::invariant_scope(scope, def.each.as_ref());
        self.check_each(def.each.as_ref(), scope);
        self.expect_num(&def.start, scope);
        if let Some(count) = &def.count {
            self.expect_num(count, scope);
        }
        if let Some(when) = &def.when {
            self.expect_num(when, Scope { role: "condition", ..scope });
        }
    }

    pub(super) fn check_bitmap(&mut self, def: &'a BitmapDef, scope: Scope<'a>) {
        self.check_space_name(&def.space);
        let scope = Self::invariant_scope(scope, def.each.as_ref());
        self.check_each(def.each.as_ref(), scope);
        self.expect_num(&def.first, scope);
        self.expect_num(&def.count, scope);
        self.expect_num(&def.at, scope);
    }

    pub(super) fn check_free(&mut self, def: &'a FreeDef, scope: Scope<'a>) {
        self.check_space_name(&def.space);
        let scope = Self::invariant_scope(scope, def.each.as_ref());
        self.check_each(def.each.as_ref(), scope);
        self.expect_num(&def.value, scope);
        if let Some((first, count)) = &def.range {
            self.expect_num(first, scope);
            self.expect_num(count, scope);
        }
    }

    pub(super) fn check_links(&mut self, def: &'a LinksDef, scope: Scope<'a>) {
        self.check_space_name(&def.space);
        match self.structs.get(def.ty.name.as_str()).copied() {
            None => {
                let suggestion = closest(&def.ty.name, self.structs.keys().copied());
                self.error(K::UnknownType { name: def.ty.name.clone(), suggestion }, def.ty.span);
            }
            Some(target) => {
                let field = target.members.iter().find_map(|m| match m {
                    Member::Field(f) if f.name.name == def.field.name => Some(f),
                    _ => None,
                });
                match field.map(|f| &f.ty.kind) {
                    Some(TypeKind::Int { .. }) => {}
                    Some(_) => {
                        let kind = K::LinksNotInteger { owner: def.ty.name.clone(), name: def.field.name.clone() };
                        self.error(kind, def.field.span);
                    }
                    None => {
                        let names = target.members.iter().filter_map(|m| match m {
                            Member::Field(f) => Some(f.name.name.as_str()),
                            _ => None,
                        });
                        let suggestion = closest(&def.field.name, names);
                        let kind =
                            K::UnknownField { owner: def.ty.name.clone(), name: def.field.name.clone(), suggestion };
                        self.error(kind, def.field.span);
                    }
                }
            }
        }
        if !matches!(self.global_item(&def.via.name), Some(Item::Addr(_))) {
            let addrs: Vec<&str> = self.global_names_where(|i| matches!(i, Item::Addr(_)));
            let suggestion = closest(&def.via.name, addrs);
            self.error(K::UnknownConversion { name: def.via.name.clone(), suggestion }, def.via.span);
        }
        if let Some(when) = &def.when {
            let scope = Scope { it: true, role: "condition", ..Self::invariant_scope(scope, None) };
            self.expect_num(when, scope);
        }
    }

    /// `owns space count n` / `refs space` on a pointer; `all` sees every field.
    pub(super) fn check_claim(&mut self, claim: &'a Claim, all: Scope<'a>) {
        self.check_space_name(&claim.space);
        // The grammar allows `count` only after `owns`.
        if let Some(count) = &claim.count {
            self.expect_num(count, Scope { it: true, role: "count", ..all });
        }
    }
}
