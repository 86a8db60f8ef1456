//! Expressions in the checker: name resolution, what each expression denotes
//! ([`Ty`]), and constant folding.

use super::errors::{closest, LayoutErrorKind as K};
use super::{field_index, Checker, Scope, Ty};
use crate::eval;
use crate::syntax::ast::*;

/// Constants may refer to constants; this bounds folding on a (reported) cycle.
const MAX_FOLD_DEPTH: u32 = 64;

impl<'a> Checker<'a> {
    /// Checks an expression that must be a number.
    pub(crate) fn expect_num(&mut self, expr: &'a Expr, scope: Scope<'a>) {
        let ty = self.check_expr(expr, scope);
        self.require_num(&ty, expr);
    }

    fn require_num(&mut self, ty: &Ty<'a>, expr: &Expr) {
        let what = match ty {
            Ty::Num | Ty::Sub(_) | Ty::Unknown => return,
            Ty::Struct(name) => format!("structure `{name}`"),
            Ty::Array(_) => "an array".to_owned(),
            Ty::Select(_) => "a `select`".to_owned(),
        };
        self.error(K::NotANumber { what }, expr.span);
    }

    pub(crate) fn check_expr(&mut self, expr: &'a Expr, scope: Scope<'a>) -> Ty<'a> {
        match &expr.kind {
            ExprKind::Int(_) => Ty::Num,
            ExprKind::It => {
                if !scope.it {
                    self.error(K::ItOutsidePointer, expr.span);
                }
                Ty::Num
            }
            ExprKind::Name(name) => self.check_name(name, expr, scope),
            ExprKind::Member(base, field) => {
                let ty = self.check_expr(base, scope);
                self.member(ty, field)
            }
            ExprKind::Index(base, index) => {
                let ty = self.check_expr(base, scope);
                self.expect_num(index, scope);
                match ty {
                    Ty::Array(elem) => *elem,
                    Ty::Unknown => Ty::Unknown,
                    _ => {
                        self.error(K::NotIndexable { what: describe(base) }, base.span);
                        Ty::Unknown
                    }
                }
            }
            ExprKind::Call(function, args) => {
                for arg in args {
                    self.expect_num(arg, scope);
                }
                self.check_call(function, args.len(), scope);
                Ty::Num
            }
            ExprKind::Unary(_, e) => {
                self.expect_num(e, scope);
                Ty::Num
            }
            ExprKind::Binary(_, a, b) => {
                self.expect_num(a, scope);
                self.expect_num(b, scope);
                Ty::Num
            }
        }
    }

    fn check_name(&mut self, name: &str, expr: &Expr, scope: Scope<'a>) -> Ty<'a> {
        if let Some(def) = scope.fields {
            if let Some(k) = field_index(def, name) {
                let Some(Member::Field(field)) = def.members.get(k) else { unreachable!("bug: index of a field") };
                if scope.visible.is_some_and(|visible| k >= visible) {
                    let kind = K::LaterField { role: scope.role, name: name.to_owned(), defined: field.name.span };
                    self.error(kind, expr.span);
                }
                return self.type_ty(&field.ty);
            }
        }
        if scope.param.is_some_and(|p| p.name == name) {
            return Ty::Num;
        }
        if let Some(&(index, defined)) = self.globals.get(name) {
            if scope.global_order && index >= scope.item {
                self.error(K::GlobalDefinedLater { name: name.to_owned(), defined }, expr.span);
            }
            let layout = self.layout;
            return match layout.items.get(index) {
                Some(Item::Root(root)) => self.type_ty(&root.ty),
                Some(Item::Addr(_)) => {
                    self.error(K::NotANumber { what: format!("conversion `{name}`") }, expr.span);
                    Ty::Unknown
                }
                _ => Ty::Num,
            };
        }
        let mut candidates: Vec<&str> = self.globals.keys().copied().collect();
        if let Some(def) = scope.fields {
            candidates.extend(def.members.iter().filter_map(|m| match m {
                Member::Field(f) => Some(f.name.name.as_str()),
                _ => None,
            }));
        }
        if let Some(param) = scope.param {
            candidates.push(&param.name);
        }
        candidates.sort();
        let suggestion = closest(name, candidates);
        self.error(K::UnknownName { name: name.to_owned(), suggestion }, expr.span);
        Ty::Unknown
    }

    fn member(&mut self, ty: Ty<'a>, field: &Ident) -> Ty<'a> {
        let (owner, names): (String, Vec<&str>) = match ty {
            Ty::Unknown => return Ty::Unknown,
            Ty::Struct(name) => {
                let Some(def) = self.structs.get(name).copied() else { return Ty::Unknown };
                if let Some(Member::Field(f)) = field_index(def, &field.name).and_then(|k| def.members.get(k)) {
                    return self.type_ty(&f.ty);
                }
                let names = def.members.iter().filter_map(|m| match m {
                    Member::Field(f) => Some(f.name.name.as_str()),
                    _ => None,
                });
                (name.to_owned(), names.collect())
            }
            Ty::Sub(SubFields::Bits(bits)) => {
                if bits.iter().any(|b| b.name.name == field.name) {
                    return Ty::Num;
                }
                ("this bit field word".to_owned(), bits.iter().map(|b| b.name.name.as_str()).collect())
            }
            Ty::Sub(SubFields::Flags { flags, .. }) => {
                if flags.iter().any(|f| f.name.name == field.name) {
                    return Ty::Num;
                }
                ("this flag word".to_owned(), flags.iter().map(|f| f.name.name.as_str()).collect())
            }
            Ty::Select(arms) => {
                if let Some(arm) = arms.iter().find(|a| a.name.name == field.name) {
                    return self.type_ty(&arm.ty);
                }
                ("this `select`".to_owned(), arms.iter().map(|a| a.name.name.as_str()).collect())
            }
            Ty::Num | Ty::Sub(SubFields::None) => ("a number".to_owned(), Vec::new()),
            Ty::Array(_) => ("an array".to_owned(), Vec::new()),
        };
        let suggestion = closest(&field.name, names);
        self.error(K::UnknownField { owner, name: field.name.clone(), suggestion }, field.span);
        Ty::Unknown
    }

    fn check_call(&mut self, function: &Ident, found: usize, scope: Scope<'a>) {
        let name = function.name.as_str();
        let expected = if let Some((_, arity)) = eval::BUILTINS.iter().find(|(n, _)| *n == name) {
            *arity
        } else if let Some(&(index, defined)) = self.globals.get(name) {
            if !matches!(self.layout.items.get(index), Some(Item::Addr(_))) {
                self.error(K::UnknownFunction { name: name.to_owned() }, function.span);
                return;
            }
            if scope.global_order && index >= scope.item {
                self.error(K::GlobalDefinedLater { name: name.to_owned(), defined }, function.span);
            }
            1
        } else {
            self.error(K::UnknownFunction { name: name.to_owned() }, function.span);
            return;
        };
        if expected != found {
            self.error(K::WrongArity { name: name.to_owned(), expected, found }, function.span);
        }
    }

    pub(crate) fn type_ty(&self, ty: &'a Type) -> Ty<'a> {
        match &ty.kind {
            TypeKind::Int { sub: SubFields::None, .. } => Ty::Num,
            TypeKind::Int { sub, .. } => Ty::Sub(sub),
            TypeKind::Array { elem, .. } => Ty::Array(Box::new(self.type_ty(elem))),
            TypeKind::Named(name) => {
                if self.structs.contains_key(name.name.as_str()) {
                    Ty::Struct(&name.name)
                } else {
                    Ty::Unknown
                }
            }
            TypeKind::Select { arms, .. } => Ty::Select(arms),
        }
    }

    /// Folds an expression made of literals and constants; `None` if it reads
    /// the image (a field of `fields`, a root) or fails.
    pub(crate) fn const_eval(&self, expr: &Expr, fields: Option<&StructDef>) -> Option<u64> {
        self.fold(expr, fields, 0)
    }

    fn fold(&self, expr: &Expr, fields: Option<&StructDef>, depth: u32) -> Option<u64> {
        if depth > MAX_FOLD_DEPTH {
            return None;
        }
        match &expr.kind {
            ExprKind::Int(n) => Some(*n),
            ExprKind::Name(name) => {
                if fields.is_some_and(|def| field_index(def, name).is_some()) {
                    return None;
                }
                let (index, _) = self.globals.get(name.as_str())?;
                match self.layout.items.get(*index)? {
                    Item::Const(c) => self.fold(&c.value, None, depth + 1),
                    _ => None,
                }
            }
            ExprKind::Unary(op, e) => eval::unary(*op, self.fold(e, fields, depth + 1)?).ok(),
            ExprKind::Binary(op, a, b) => {
                let a = self.fold(a, fields, depth + 1)?;
                let b = self.fold(b, fields, depth + 1)?;
                eval::binary(*op, a, b).ok()
            }
            ExprKind::Call(function, args) => {
                let values: Option<Vec<u64>> = args.iter().map(|a| self.fold(a, fields, depth + 1)).collect();
                eval::builtin(&function.name, &values?)?.ok()
            }
            ExprKind::It | ExprKind::Member(..) | ExprKind::Index(..) => None,
        }
    }
}

/// How an expression is named in messages.
fn describe(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Name(name) => format!("`{name}`"),
        ExprKind::Member(_, field) => format!("`.{}`", field.name),
        _ => "this expression".to_owned(),
    }
}
