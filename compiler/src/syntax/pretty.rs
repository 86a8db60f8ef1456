//! The pretty printer: an AST back to CDSL source.
//!
//! Output re-parses to the same AST (up to spans). Parentheses are put back
//! exactly where precedence, the application-spine rule for constructors, or
//! the match-in-alternative rule need them. `let`, `if` and matches are laid
//! out over several lines, aligned on the column where they start; every
//! continuation line is indented, since column 1 starts a new item.

use crate::syntax::ast::*;
use std::fmt::Write;

pub fn module(m: &Module) -> String {
    let mut p = Printer::default();
    for (index, item) in m.items.iter().enumerate() {
        // Keep a signature and its definition together; separate the rest.
        let follows_its_signature = index > 0 && is_definition_of(&item.kind, &m.items[index - 1].kind);
        if index > 0 && !follows_its_signature {
            p.out.push('\n');
        }
        p.item(item);
        p.out.push('\n');
        p.col = 0;
    }
    p.out
}

pub fn expr(e: &Expr) -> String {
    let mut p = Printer { indent: 2, ..Printer::default() };
    p.expr(e, Level::Any, false);
    p.out
}

pub fn ty(t: &Type) -> String {
    let mut p = Printer::default();
    p.ty(t, TyLevel::Fun);
    p.out
}

fn is_definition_of(item: &ItemKind, previous: &ItemKind) -> bool {
    matches!((item, previous), (ItemKind::Definition { name, .. }, ItemKind::Signature { name: sig, .. }) if name.name == sig.name)
}

/// Expression levels, loosest first. An expression printed where a tighter
/// level is required gets parentheses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Any,
    Binary(Prec),
    Put,
    App,
    Prefix,
    Member,
    Atom,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum TyLevel {
    Fun,
    Applied,
    Banged,
    Atom,
}

fn level(e: &Expr) -> Level {
    match &e.kind {
        ExprKind::Let { .. } | ExprKind::If { .. } | ExprKind::Match { .. } => Level::Any,
        ExprKind::Binary(op, _, _) => Level::Binary(op.prec()),
        ExprKind::Put(..) => Level::Put,
        ExprKind::App(..) => Level::App,
        ExprKind::Con { args, .. } if !args.is_empty() => Level::App,
        ExprKind::Unary(..) | ExprKind::Upcast(..) => Level::Prefix,
        ExprKind::Member(..) => Level::Member,
        ExprKind::Var(_)
        | ExprKind::TypeApp { .. }
        | ExprKind::Lit(_)
        | ExprKind::Unit
        | ExprKind::Tuple(_)
        | ExprKind::UnboxedRecord(_)
        | ExprKind::Con { .. }
        | ExprKind::Annot(..) => Level::Atom,
    }
}

/// Whether a following `| alternative` would be taken as part of `e`.
fn ends_in_open_match(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Match { .. } => true,
        ExprKind::Let { body, .. } => ends_in_open_match(body),
        ExprKind::If { els, .. } => ends_in_open_match(els),
        _ => false,
    }
}

fn is_con(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Con { .. })
}

fn is_nullary_con(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Con { args, .. } if args.is_empty())
}

#[derive(Default)]
struct Printer {
    out: String,
    /// Column of the next character on the current line.
    col: usize,
    /// Indentation of continuation lines.
    indent: usize,
}

impl Printer {
    fn text(&mut self, s: &str) {
        self.out.push_str(s);
        match s.rfind('\n') {
            Some(i) => self.col = s[i + 1..].chars().count(),
            None => self.col += s.chars().count(),
        }
    }

    fn newline(&mut self) {
        self.out.push('\n');
        for _ in 0..self.indent {
            self.out.push(' ');
        }
        self.col = self.indent;
    }

    /// Runs `f` with continuation lines aligned on the current column.
    fn aligned(&mut self, f: impl FnOnce(&mut Printer)) {
        let saved = self.indent;
        self.indent = self.col.max(2);
        f(self);
        self.indent = saved;
    }

    fn sep<T>(&mut self, items: &[T], sep: &str, mut each: impl FnMut(&mut Printer, &T)) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.text(sep);
            }
            each(self, item);
        }
    }

    fn ident(&mut self, i: &Ident) {
        self.text(&i.name);
    }

    // ------------------------------------------------------------ items

    fn item(&mut self, item: &Item) {
        self.indent = 2;
        match &item.kind {
            ItemKind::Include { path } => {
                self.text("include ");
                self.string_lit(path);
            }
            ItemKind::TypeSynonym { name, params, body } => {
                self.type_head(name, params);
                self.text(" = ");
                self.ty(body, TyLevel::Fun);
            }
            ItemKind::AbstractType { name, params } => self.type_head(name, params),
            ItemKind::Signature { name, scheme } => {
                self.ident(name);
                self.text(" : ");
                self.scheme(scheme);
            }
            ItemKind::Definition { name, param, body } => {
                self.ident(name);
                if let Some(param) = param {
                    self.text(" ");
                    self.pat(param, true);
                }
                self.text(" =");
                if level(body) == Level::Any {
                    self.newline();
                } else {
                    self.text(" ");
                }
                self.expr(body, Level::Any, false);
            }
        }
    }

    fn type_head(&mut self, name: &Ident, params: &[Ident]) {
        self.text("type ");
        self.ident(name);
        for param in params {
            self.text(" ");
            self.ident(param);
        }
    }

    fn scheme(&mut self, scheme: &Scheme) {
        if !scheme.vars.is_empty() {
            self.text("all (");
            self.sep(&scheme.vars, ", ", |p, binder| {
                p.ident(&binder.name);
                if let Some(kind) = binder.kind {
                    p.text(" :< ");
                    p.text(&kind_letters(kind));
                }
            });
            self.text("). ");
        }
        self.ty(&scheme.ty, TyLevel::Fun);
    }

    // ------------------------------------------------------------ types

    fn ty(&mut self, t: &Type, at: TyLevel) {
        if ty_level(t) < at {
            self.text("(");
            self.ty(t, TyLevel::Fun);
            self.text(")");
            return;
        }
        match &t.kind {
            TypeKind::Var(v) => self.ident(v),
            TypeKind::Con { name, args, unboxed } => {
                if *unboxed {
                    self.text("#");
                }
                self.ident(name);
                for arg in args {
                    self.text(" ");
                    self.ty(arg, TyLevel::Banged);
                }
            }
            TypeKind::Unit => self.text("()"),
            TypeKind::Tuple(items) => {
                self.text("(");
                self.sep(items, ", ", |p, t| p.ty(t, TyLevel::Fun));
                self.text(")");
            }
            TypeKind::Record { fields, boxed } => {
                self.text(if *boxed { "{" } else { "#{" });
                self.sep(fields, ", ", |p, f| {
                    p.ident(&f.name);
                    p.text(" : ");
                    p.ty(&f.ty, TyLevel::Fun);
                });
                self.text("}");
            }
            TypeKind::Variant(alts) => self.variant(alts),
            TypeKind::TakePut { ty, op, fields } => {
                // The base of `take`/`put` is an atom, a banged atom or
                // another `take`/`put`.
                if matches!(ty.kind, TypeKind::TakePut { .. }) {
                    self.ty(ty, TyLevel::Applied);
                } else {
                    self.ty(ty, TyLevel::Banged);
                }
                self.text(match op {
                    TakeOrPut::Take => " take ",
                    TakeOrPut::Put => " put ",
                });
                match fields {
                    FieldSet::All => self.text("(..)"),
                    FieldSet::Some(names) if names.len() == 1 => self.ident(&names[0]),
                    FieldSet::Some(names) => {
                        self.text("(");
                        self.sep(names, ", ", |p, n| p.ident(n));
                        self.text(")");
                    }
                }
            }
            TypeKind::Bang(inner) => {
                self.ty(inner, TyLevel::Atom);
                self.text("!");
            }
            TypeKind::Fun(a, b) => {
                self.ty(a, TyLevel::Applied);
                self.text(" -> ");
                self.ty(b, TyLevel::Fun);
            }
        }
    }

    fn variant(&mut self, alts: &[VariantAlt]) {
        self.text("<");
        self.sep(alts, " | ", |p, alt| {
            p.ident(&alt.tag);
            for arg in &alt.args {
                p.text(" ");
                p.ty(arg, TyLevel::Banged);
            }
        });
        // `>>` would lex as a shift operator.
        if self.out.ends_with('>') {
            self.text(" ");
        }
        self.text(">");
    }

    // ------------------------------------------------------------ expressions

    /// Prints `e` where level `at` is required; `closed` means a following
    /// `|` belongs to an enclosing match, so `e` must not end in one.
    fn expr(&mut self, e: &Expr, at: Level, closed: bool) {
        if level(e) < at || (closed && ends_in_open_match(e)) {
            self.text("(");
            self.aligned(|p| p.expr(e, Level::Any, false));
            self.text(")");
            return;
        }
        match &e.kind {
            ExprKind::Var(v) => self.ident(v),
            ExprKind::TypeApp { name, args } => {
                self.ident(name);
                self.text(" [");
                self.sep(args, ", ", |p, arg| match arg {
                    Some(t) => p.ty(t, TyLevel::Fun),
                    None => p.text("_"),
                });
                self.text("]");
            }
            ExprKind::Lit(lit) => self.lit(lit),
            ExprKind::Unit => self.text("()"),
            ExprKind::Tuple(items) => {
                self.text("(");
                self.sep(items, ", ", |p, item| p.expr(item, Level::Any, false));
                self.text(")");
            }
            ExprKind::UnboxedRecord(fields) => {
                self.text("#");
                self.field_exprs(fields);
            }
            ExprKind::Con { tag, args } => {
                self.ident(tag);
                for arg in args {
                    self.text(" ");
                    self.spine_arg(arg, false);
                }
            }
            ExprKind::App(..) => self.app(e),
            ExprKind::Unary(op, operand) => {
                self.text(op.keyword());
                self.text(" ");
                self.expr(operand, Level::Prefix, false);
            }
            ExprKind::Upcast(operand) => {
                self.text("upcast ");
                self.expr(operand, Level::Prefix, false);
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, closed),
            ExprKind::Member(record, field) => {
                self.expr(record, Level::Member, false);
                self.text(".");
                self.ident(field);
            }
            ExprKind::Put(record, fields) => {
                self.expr(record, Level::Put, false);
                self.text(" ");
                self.field_exprs(fields);
            }
            ExprKind::If { cond, bangs, then, els } => self.if_expr(cond, bangs, then, els, closed),
            ExprKind::Let { bindings, body } => self.let_expr(bindings, body, closed),
            ExprKind::Match { scrutinee, bangs, alts } => self.match_expr(scrutinee, bangs, alts),
            ExprKind::Annot(inner, t) => {
                self.text("(");
                self.expr(inner, Level::Any, false);
                self.text(" : ");
                self.ty(t, TyLevel::Fun);
                self.text(")");
            }
        }
    }

    /// `f a b`: the head and the arguments of an application spine. A
    /// constructor written bare would take the rest of the spine as its
    /// arguments, so constructors in the head, and nullary ones before the
    /// last argument, are parenthesised.
    fn app(&mut self, e: &Expr) {
        let mut args = Vec::new();
        let mut head = e;
        while let ExprKind::App(f, arg) = &head.kind {
            args.push(arg.as_ref());
            head = f;
        }
        args.reverse();
        if is_con(head) {
            self.parenthesised(head);
        } else {
            self.expr(head, Level::App, false);
        }
        let last = args.len() - 1;
        for (i, arg) in args.into_iter().enumerate() {
            self.text(" ");
            self.spine_arg(arg, i < last && is_nullary_con(arg));
        }
    }

    fn spine_arg(&mut self, arg: &Expr, force_parens: bool) {
        if force_parens || (is_con(arg) && !is_nullary_con(arg)) {
            self.parenthesised(arg);
        } else {
            self.expr(arg, Level::Member, false);
        }
    }

    fn parenthesised(&mut self, e: &Expr) {
        self.text("(");
        self.aligned(|p| p.expr(e, Level::Any, false));
        self.text(")");
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, closed: bool) {
        let here = Level::Binary(op.prec());
        let tighter = tighter_than(op.prec());
        let (left, right) = match op.assoc() {
            Assoc::Left => (here, tighter),
            Assoc::Right => (tighter, here),
            Assoc::None => (tighter, tighter),
        };
        self.expr(a, left, false);
        self.text(" ");
        self.text(op.symbol());
        self.text(" ");
        self.expr(b, right, closed);
    }

    fn field_exprs(&mut self, fields: &[FieldExpr]) {
        self.text("{");
        self.sep(fields, ", ", |p, field| {
            p.ident(&field.name);
            if !matches!(&field.value.kind, ExprKind::Var(v) if v.name == field.name.name) {
                p.text(" = ");
                p.expr(&field.value, Level::Any, false);
            }
        });
        self.text("}");
    }

    fn if_expr(&mut self, cond: &Expr, bangs: &[Ident], then: &Expr, els: &Expr, closed: bool) {
        self.aligned(|p| {
            p.text("if ");
            p.banged(cond, bangs);
            p.newline();
            p.text("then ");
            p.aligned(|p| p.expr(then, Level::Any, false));
            p.newline();
            p.text("else ");
            p.aligned(|p| p.expr(els, Level::Any, closed));
        });
    }

    fn let_expr(&mut self, bindings: &[Binding], body: &Expr, closed: bool) {
        self.aligned(|p| {
            for (i, binding) in bindings.iter().enumerate() {
                if i > 0 {
                    p.newline();
                }
                p.text(if i == 0 { "let " } else { "and " });
                p.pat(&binding.pat, false);
                if let Some(t) = &binding.ty {
                    p.text(" : ");
                    p.ty(t, TyLevel::Fun);
                }
                p.text(" = ");
                p.aligned(|p| p.banged(&binding.value, &binding.bangs));
            }
            p.newline();
            p.text("in ");
            p.aligned(|p| p.expr(body, Level::Any, closed));
        });
    }

    /// `e !v !w` as a `let` right-hand side or an `if` condition: with bangs,
    /// the expression must be a basic one, so a `let`, `if` or match goes in
    /// parentheses.
    fn banged(&mut self, e: &Expr, bangs: &[Ident]) {
        let at = if bangs.is_empty() { Level::Any } else { Level::Binary(Prec::Or) };
        self.expr(e, at, false);
        self.bangs(bangs);
    }

    fn bangs(&mut self, bangs: &[Ident]) {
        for bang in bangs {
            self.text(" !");
            self.ident(bang);
        }
    }

    fn match_expr(&mut self, scrutinee: &Expr, bangs: &[Ident], alts: &[Alt]) {
        self.aligned(|p| {
            p.expr(scrutinee, Level::Binary(Prec::Or), false);
            p.bangs(bangs);
            p.indent += 2;
            for alt in alts {
                p.newline();
                p.text("| ");
                p.pat(&alt.pat, false);
                p.text(match alt.likelihood {
                    Likelihood::Regular => " -> ",
                    Likelihood::Likely => " => ",
                    Likelihood::Unlikely => " ~> ",
                });
                p.aligned(|p| p.expr(&alt.body, Level::Any, true));
            }
        });
    }

    fn lit(&mut self, lit: &Lit) {
        match lit {
            Lit::Int(n) => self.text(&n.to_string()),
            Lit::Bool(true) => self.text("True"),
            Lit::Bool(false) => self.text("False"),
            Lit::Char(c) => {
                let mut s = String::from("'");
                escape_byte(&mut s, *c, b'\'');
                s.push('\'');
                self.text(&s);
            }
            Lit::String(s) => self.string_lit(s),
        }
    }

    fn string_lit(&mut self, text: &str) {
        let mut s = String::from("\"");
        for c in text.chars() {
            if c.is_ascii() {
                escape_byte(&mut s, c as u8, b'"');
            } else {
                s.push(c);
            }
        }
        s.push('"');
        self.text(&s);
    }

    // ------------------------------------------------------------ patterns

    /// Prints a pattern; `atomic` where only an atomic pattern may stand (a
    /// function's parameter, a constructor's argument).
    fn pat(&mut self, pat: &Pat, atomic: bool) {
        match &pat.kind {
            PatKind::Con { tag, args } if !args.is_empty() => {
                if atomic {
                    self.text("(");
                }
                self.ident(tag);
                for arg in args {
                    self.text(" ");
                    self.pat(arg, true);
                }
                if atomic {
                    self.text(")");
                }
            }
            PatKind::Con { tag, .. } => self.ident(tag),
            PatKind::Wildcard => self.text("_"),
            PatKind::Var(v) => self.ident(v),
            PatKind::Lit(lit) => self.lit(lit),
            PatKind::Unit => self.text("()"),
            PatKind::Tuple(items) => {
                self.text("(");
                self.sep(items, ", ", |p, item| p.pat(item, false));
                self.text(")");
            }
            PatKind::UnboxedRecord(fields) => {
                self.text("#");
                self.field_pats(fields);
            }
            PatKind::Take { record, fields } => {
                self.ident(record);
                self.text(" ");
                self.field_pats(fields);
            }
        }
    }

    fn field_pats(&mut self, fields: &[FieldPat]) {
        self.text("{");
        self.sep(fields, ", ", |p, field| {
            p.ident(&field.name);
            if !matches!(&field.pat.kind, PatKind::Var(v) if v.name == field.name.name) {
                p.text(" = ");
                p.pat(&field.pat, false);
            }
        });
        self.text("}");
    }
}

fn ty_level(t: &Type) -> TyLevel {
    match &t.kind {
        TypeKind::Fun(..) => TyLevel::Fun,
        TypeKind::Con { args, .. } if !args.is_empty() => TyLevel::Applied,
        TypeKind::TakePut { .. } => TyLevel::Applied,
        TypeKind::Bang(_) => TyLevel::Banged,
        _ => TyLevel::Atom,
    }
}

fn tighter_than(prec: Prec) -> Level {
    match prec {
        Prec::Or => Level::Binary(Prec::And),
        Prec::And => Level::Binary(Prec::Shift),
        Prec::Shift => Level::Binary(Prec::BitOr),
        Prec::BitOr => Level::Binary(Prec::BitXor),
        Prec::BitXor => Level::Binary(Prec::BitAnd),
        Prec::BitAnd => Level::Binary(Prec::Compare),
        Prec::Compare => Level::Binary(Prec::Additive),
        Prec::Additive => Level::Binary(Prec::Multiplicative),
        Prec::Multiplicative => Level::Put,
    }
}

fn kind_letters(kind: KindBound) -> String {
    let mut s = String::new();
    for (set, letter) in [(kind.discard, 'D'), (kind.share, 'S'), (kind.escape, 'E')] {
        if set {
            s.push(letter);
        }
    }
    s
}

fn escape_byte(out: &mut String, byte: u8, quote: u8) {
    match byte {
        b'\n' => out.push_str("\\n"),
        b'\t' => out.push_str("\\t"),
        b'\r' => out.push_str("\\r"),
        0 => out.push_str("\\0"),
        b'\\' => out.push_str("\\\\"),
        b if b == quote => {
            out.push('\\');
            out.push(b as char);
        }
        0x20..=0x7e => out.push(byte as char),
        _ => {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
}
