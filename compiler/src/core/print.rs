//! Printing the core IR readably (`cdsl build FILE --emit core`).

use crate::core::ir::*;
use crate::syntax::ast::{Lit, UnOp};
use std::fmt::Write;

pub fn program(p: &Program) -> String {
    let mut out = String::new();
    for (index, f) in p.functions.values().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        function(&mut out, f);
    }
    out
}

fn function(out: &mut String, f: &Function) {
    let head = match &f.param {
        Some((param, ty)) => format!("{} ({param} : {ty}) : {}", f.name, f.result),
        None => format!("{} : {}", f.name, f.result),
    };
    match &f.body {
        None => {
            let _ = writeln!(out, "abstract {head}");
        }
        Some(body) => {
            let _ = writeln!(out, "fun {head} =");
            expr(out, body, 1);
            out.push('\n');
        }
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// Prints `e` at `depth`, starting on a fresh, already indented line.
fn expr(out: &mut String, e: &Expr, depth: usize) {
    indent(out, depth);
    block(out, e, depth);
}

fn block(out: &mut String, e: &Expr, depth: usize) {
    match &e.kind {
        ExprKind::Let { var, value, body } => {
            let _ = write!(out, "let {var} : {} = {}", value.ty, inline(value));
            out.push_str(" in\n");
            expr(out, body, depth);
        }
        ExprKind::LetBang { observed, var, value, body } => {
            let bangs: Vec<String> = observed.iter().map(|v| format!("!{v}")).collect();
            let _ = writeln!(out, "let {var} : {} = {} {} in", value.ty, inline(value), bangs.join(" "));
            expr(out, body, depth);
        }
        ExprKind::Split { vars, value, body } => {
            let _ = writeln!(out, "split ({}) = {} in", vars.join(", "), inline(value));
            expr(out, body, depth);
        }
        ExprKind::Take { record, field, var, rest, body } => {
            let _ = writeln!(out, "take {rest} {{{field} = {var}}} = {} in", inline(record));
            expr(out, body, depth);
        }
        ExprKind::If { cond, then, els } => {
            let _ = writeln!(out, "if {} then", inline(cond));
            expr(out, then, depth + 1);
            out.push('\n');
            indent(out, depth);
            out.push_str("else\n");
            expr(out, els, depth + 1);
        }
        ExprKind::Case { scrutinee, arms } => {
            let _ = write!(out, "case {scrutinee} of");
            for arm in arms {
                out.push('\n');
                indent(out, depth + 1);
                let _ = writeln!(out, "{} {} ->", arm.tag, arm.payload);
                expr(out, &arm.body, depth + 2);
            }
        }
        _ => out.push_str(&inline(e)),
    }
}

/// An expression on one line (nested blocks are parenthesised).
fn inline(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Var(v) => v.clone(),
        ExprKind::Global(g) => format!("@{g}"),
        ExprKind::Lit(Lit::Int(n)) => format!("{n} : {}", e.ty),
        ExprKind::Lit(Lit::Bool(b)) => if *b { "True" } else { "False" }.to_owned(),
        ExprKind::Lit(Lit::Char(c)) => format!("{c} : U8"),
        ExprKind::Lit(Lit::String(s)) => format!("{s:?}"),
        ExprKind::Unit => "()".to_owned(),
        ExprKind::Tuple(items) => format!("({})", items.iter().map(inline).collect::<Vec<_>>().join(", ")),
        ExprKind::Struct(fields) => {
            let fields: Vec<String> = fields.iter().map(|(n, v)| format!("{n} = {}", inline(v))).collect();
            format!("#{{{}}}", fields.join(", "))
        }
        ExprKind::Con { tag, payload } => format!("{tag} ({})", inline(payload)),
        ExprKind::App(f, a) => format!("{} ({})", inline(f), inline(a)),
        ExprKind::Unary(UnOp::Not, a) => format!("not ({})", inline(a)),
        ExprKind::Unary(UnOp::Complement, a) => format!("complement ({})", inline(a)),
        ExprKind::Binary(op, a, b) => format!("({} {} {})", inline(a), op.symbol(), inline(b)),
        ExprKind::Upcast(a) => format!("upcast ({}) : {}", inline(a), e.ty),
        ExprKind::Member(r, f) => format!("{}.{f}", inline(r)),
        ExprKind::Put { record, field, value } => format!("{} {{{field} = {}}}", inline(record), inline(value)),
        _ => {
            let mut out = String::from("(\n");
            expr(&mut out, e, 2);
            out.push(')');
            out
        }
    }
}
