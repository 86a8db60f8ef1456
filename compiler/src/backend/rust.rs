//! The Rust backend: a core-IR [`Program`] in, one safe Rust module out.
//!
//! The generated module starts with `#![forbid(unsafe_code)]` and needs
//! nothing but `std` and the native runtime (`cdsl_runtime::native`, copied
//! in as `mod cdsl_rt` or shared from the parent module). How CDSL becomes
//! Rust:
//!
//! - Linear values are moved; shareable ones are `Copy` (every shareable
//!   type's representation is), so rustc re-checks that nothing linear is
//!   used twice.
//! - Words are `u8`..`u64` with the interpreters' arithmetic (wrapping;
//!   `x / 0 == x % 0 == 0`; a shift by the width or more gives 0; `&&`/`||`
//!   evaluate both operands, as `&`/`|` on `bool`).
//! - Unboxed records are structs (`#[derive(Clone, Copy)]` when every field
//!   is), boxed records `Box<struct>`, variants enums, tuples tuples.
//!   Records and variants have no names in the core IR, so each is named
//!   from its fields or tags and a hash of its type (`types::def_name`).
//! - Read-only views (`!`) are shared references: a boxed record `&struct`,
//!   a word array `&[a]`; a tuple, unboxed record or variant holding boxes
//!   is viewed part by part. `let x = e !v in ..` shadows `v` with its view
//!   while `e` runs.
//! - Taken fields: a field of plain data (words, `bool`, and tuples,
//!   records and variants of them) is stored as it is — `take` copies it
//!   and the type checker forbids reading it until it is put back. Every
//!   other field is an `Option`, `None` while taken: `take` moves the value
//!   out, `put` stores `Some`. Taking never reallocates, so `put` on a
//!   boxed record updates it in place, as the update semantics does. (A
//!   typestate — one struct per set of taken fields — would need a new
//!   allocation per take in safe Rust.)
//! - Names are stable: a function instance `f[U32, Bool]` is `f__U32__Bool`
//!   (`names::function_ident`), locals keep their CDSL names (`x'` is
//!   `x_p`, the lowering's `%3` is `m3`), and no name comes from a counter
//!   over the program. `// file.cdsl:LINE` comments point back to the source.
//! - Abstract functions are bound to the native runtime (`abstracts.rs`).
//!   The rest are the user's: with [`Options::abstracts`] set to a module
//!   path `P`, an abstract type `T` is `P::T` (`P::T<A, ..>` with
//!   arguments) and an abstract function `f` is called as `P::f(arg)`, at
//!   the Rust types of its CDSL signature. Without it, such a function gets
//!   a body that panics naming it, and a warning in [`Output::warnings`].

mod abstracts;
pub mod engine;
pub(crate) mod names;
mod types;

use crate::core::ir::{Expr, ExprKind, Function, Program};
use crate::source::SourceMap;
use crate::syntax::ast::{BinOp, Lit, UnOp};
use crate::typeck::types::Ty;
use cdsl_runtime::Value;
use names::{field_ident, function_ident, Locals};
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use types::{has_ref, is_plain, repr, Types};

pub use types::literal;

/// The native runtime's source, copied into generated modules.
pub const RUNTIME: &str = include_str!("../../../runtime/src/native.rs");

/// Why a program could not be translated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendError {
    /// Something the Rust backend does not translate yet.
    Unsupported(String),
    /// An inconsistency in the core IR.
    Bug(String),
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendError::Unsupported(message) => write!(f, "the Rust backend cannot translate this yet: {message}"),
            BackendError::Bug(message) => write!(f, "bug in the Rust backend's input: {message}"),
        }
    }
}

/// Where a generated module finds the native runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuntimeLink {
    /// A copy inside the module, as `mod cdsl_rt`: the module stands alone.
    Inline,
    /// `super::cdsl_rt`, shared by several generated modules.
    Parent,
}

/// A generated module.
#[derive(Clone, Debug)]
pub struct Output {
    pub code: String,
    /// Things that compile but will fail when run (abstract functions
    /// without a native implementation).
    pub warnings: Vec<String>,
}

/// How a module is generated besides the program itself.
#[derive(Clone, Debug)]
pub struct Options {
    pub link: RuntimeLink,
    /// The Rust module path (`crate::device`, `super::native`) holding the
    /// user's abstract types and the abstract functions the runtime lacks.
    pub abstracts: Option<String>,
}

/// Translates a program. `sources` (when given) names files in `// file:LINE` comments.
pub fn generate(program: &Program, sources: Option<&SourceMap>, link: RuntimeLink) -> Result<Output, BackendError> {
    generate_with(program, sources, &Options { link, abstracts: None })
}

/// [`generate`], with abstract functions and types the runtime lacks bound
/// to the user's module when `options.abstracts` names one.
pub fn generate_with(
    program: &Program,
    sources: Option<&SourceMap>,
    options: &Options,
) -> Result<Output, BackendError> {
    let link = options.link;
    let mut types = Types::default();
    for ty in program.functions.values().flat_map(Function::types) {
        types.collect(ty)?;
    }
    let generator = Generator {
        program,
        sources,
        abstracts: options.abstracts.as_deref(),
        idents: program.functions.values().map(|f| (f.name.clone(), function_ident(f))).collect(),
    };
    let mut out = String::new();
    let origin = super::origin(sources);
    let _ = writeln!(out, "//! Generated by `cdsl build --emit rust` from {origin}; do not edit.");
    out.push_str("#![forbid(unsafe_code)]\n");
    out.push_str(
        "#![allow(non_camel_case_types, non_snake_case, unused_variables, unused_mut, unused_parens, \
         unused_braces, dead_code, unreachable_patterns, clippy::all)]\n\n",
    );
    if link == RuntimeLink::Parent {
        out.push_str("use super::cdsl_rt;\n\n");
    }
    for (name, def) in &types.defs {
        types::definition(name, def, options.abstracts.as_deref(), &mut out);
        out.push('\n');
    }
    let mut warnings = Vec::new();
    for function in program.functions.values() {
        generator.function(function, &mut out, &mut warnings)?;
        out.push('\n');
    }
    if link == RuntimeLink::Inline {
        out.push_str("/// The native runtime (`cdsl_runtime::native`).\npub mod cdsl_rt {\n");
        out.push_str(RUNTIME);
        out.push_str("}\n");
    }
    Ok(Output { code: out, warnings })
}

/// A Rust module name for a program from a file stem (`ext2` for
/// `ext2.cdsl`): the stem sanitised, never a keyword.
pub fn module_ident(stem: &str) -> String {
    names::field_ident(stem)
}

/// A function, for a test harness, that runs `function` on `arg` and gives
/// the result in the interpreters' display format; placed in the module
/// `generate` produced.
pub fn entry_function(program: &Program, name: &str, function: &str, arg: &Value) -> Result<String, BackendError> {
    let Some(entry) = program.functions.get(function) else {
        return Err(BackendError::Unsupported(format!("no function instance `{function}`")));
    };
    if types::has_function(&entry.result) || types::has_taken(&entry.result) {
        return Err(BackendError::Unsupported(format!(
            "printing a `{}` (a function, or a record with taken fields)",
            entry.result
        )));
    }
    let call = match &entry.param {
        Some((_, param)) => format!("{}({})", function_ident(entry), literal(arg, param)?),
        None => format!("{}()", function_ident(entry)),
    };
    Ok(format!("pub fn {name}() -> String {{\n    cdsl_rt::show(&{call})\n}}\n"))
}

struct Generator<'p> {
    program: &'p Program,
    sources: Option<&'p SourceMap>,
    abstracts: Option<&'p str>,
    idents: HashMap<String, String>,
}

fn indent(level: usize) -> String {
    "    ".repeat(level)
}

impl Generator<'_> {
    fn location(&self, span: crate::source::Span) -> Option<String> {
        let sources = self.sources?;
        let (line, _) = sources.line_col(span.file, span.start);
        Some(format!("{}:{line}", super::file_name(sources.name(span.file))))
    }

    fn function(&self, function: &Function, out: &mut String, warnings: &mut Vec<String>) -> Result<(), BackendError> {
        let ident = &self.idents[&function.name];
        let signature = match &function.param {
            Some((_, param)) => format!("{} : {param} -> {}", function.name, function.result),
            None => format!("{} : {}", function.name, function.result),
        };
        let _ = writeln!(out, "/// `{signature}`");
        if let Some(location) = self.location(function.span) {
            let _ = writeln!(out, "// {location}");
        }
        let lifetime = function.param.as_ref().is_some_and(|(_, p)| has_ref(p)) || has_ref(&function.result);
        let generics = if lifetime { "<'a>" } else { "" };
        let result = repr(&function.result, "'a", 0);
        let mut emitter = FnEmitter { g: self, locals: Locals::default(), scope: Vec::new(), last_line: None };
        let param = match (&function.param, &function.body) {
            (Some((name, ty)), Some(_)) => {
                let ident = emitter.locals.ident(name);
                emitter.scope.push((name.clone(), ident.clone(), ty.clone()));
                format!("{ident}: {}", repr(ty, "'a", 0))
            }
            (Some((_, ty)), None) => format!("arg: {}", repr(ty, "'a", 0)),
            (None, _) => String::new(),
        };
        let _ = writeln!(out, "pub fn {ident}{generics}({param}) -> {result} {{");
        match &function.body {
            Some(body) => emitter.body(body, &function.result, 1, out)?,
            None => match abstracts::body(function) {
                Ok(code) => {
                    for line in code.lines() {
                        let _ = writeln!(out, "    {line}");
                    }
                }
                Err(_) if self.abstracts.is_some() => {
                    let module = self.abstracts.unwrap_or_default();
                    let _ = writeln!(out, "    {module}::{}(arg)", field_ident(&function.source_name));
                }
                Err(why) => {
                    warnings.push(format!("abstract function `{}`: {why}; calling it panics", function.name));
                    let _ = writeln!(out, "    cdsl_rt::unimplemented({:?}, {why:?})", function.source_name);
                }
            },
        }
        out.push_str("}\n");
        Ok(())
    }
}

/// Emits one function body.
struct FnEmitter<'g> {
    g: &'g Generator<'g>,
    locals: Locals,
    /// Variables in scope: CDSL name, Rust name, type.
    scope: Vec<(String, String, Ty)>,
    last_line: Option<String>,
}

impl FnEmitter<'_> {
    fn lookup(&self, name: &str) -> Result<&(String, String, Ty), BackendError> {
        self.scope
            .iter()
            .rev()
            .find(|(n, _, _)| n == name)
            .ok_or_else(|| BackendError::Bug(format!("unbound variable `{name}`")))
    }

    fn bind(&mut self, name: &str, ty: &Ty) -> String {
        let ident = self.locals.ident(name);
        self.scope.push((name.to_owned(), ident.clone(), ty.clone()));
        ident
    }

    /// A `// file:LINE` comment for a source-named binding on a new line.
    fn line_comment(&mut self, var: &str, e: &Expr) -> String {
        if var.starts_with('%') {
            return String::new();
        }
        match self.g.location(e.span) {
            Some(location) if self.last_line.as_ref() != Some(&location) => {
                self.last_line = Some(location.clone());
                format!(" // {location}")
            }
            _ => String::new(),
        }
    }

    /// Writes `e` as the statements and tail of a block at `level`.
    fn body(&mut self, e: &Expr, want: &Ty, level: usize, out: &mut String) -> Result<(), BackendError> {
        let pad = indent(level);
        match &e.kind {
            ExprKind::Let { var, value, body } => {
                let code = self.expr(value, &value.ty, level)?;
                let comment = self.line_comment(var, value);
                let ident = self.bind(var, &value.ty);
                let _ = writeln!(out, "{pad}let {ident} = {code};{comment}");
                self.body(body, want, level, out)?;
                self.scope.pop();
            }
            ExprKind::LetBang { observed, var, value, body } => {
                let mut views = String::new();
                let mark = self.scope.len();
                // Only observed variables `value` uses get a view (whose
                // type then occurs in the program, so is defined).
                for name in observed.iter().filter(|name| value.mentions(name)) {
                    let (_, ident, ty) = self.lookup(name)?.clone();
                    let view = types::view(&ident, &ty);
                    if view != ident {
                        let _ = writeln!(views, "{}let {ident} = {view};", indent(level + 1));
                    }
                    self.scope.push((name.clone(), ident, ty.bang()));
                }
                let code = if views.is_empty() {
                    self.expr(value, &value.ty, level)?
                } else {
                    let inner = self.expr(value, &value.ty, level + 1)?;
                    format!("{{\n{views}{}{inner}\n{pad}}}", indent(level + 1))
                };
                self.scope.truncate(mark);
                let comment = self.line_comment(var, value);
                let ident = self.bind(var, &value.ty);
                let _ = writeln!(out, "{pad}let {ident} = {code};{comment}");
                self.body(body, want, level, out)?;
                self.scope.pop();
            }
            ExprKind::Split { vars, value, body } => {
                let code = self.expr(value, &value.ty, level)?;
                let Ty::Tuple(tys) = &value.ty else { return Err(bug(format!("splitting a `{}`", value.ty))) };
                let idents: Vec<String> = vars.iter().zip(tys.iter()).map(|(v, t)| self.bind(v, t)).collect();
                let _ = writeln!(out, "{pad}let ({}) = {code};", idents.join(", "));
                self.body(body, want, level, out)?;
                self.scope.truncate(self.scope.len() - vars.len());
            }
            ExprKind::Take { record, field, var, rest, body } => {
                let code = self.expr(record, &record.ty, level)?;
                let Some(slot) = record.ty.field(field) else {
                    return Err(bug(format!("taking `{field}` from a `{}`", record.ty)));
                };
                let rest_ty = record.ty.with_field_taken(field, true);
                let f = field_ident(field);
                let rest_ident = self.bind(rest, &rest_ty);
                let value_ty = slot.ty.clone();
                let var_ident = self.bind(var, &value_ty);
                if matches!(record.ty, Ty::Record { boxed: true, read_only: true, .. }) {
                    let _ = writeln!(out, "{pad}let {rest_ident} = {code};");
                    let member = member_code(&rest_ident, &record.ty, field)?;
                    let _ = writeln!(out, "{pad}let {var_ident} = {member};");
                } else if is_plain(&stored_field(&record.ty, field)?) {
                    let _ = writeln!(out, "{pad}let {rest_ident} = {code};");
                    let _ = writeln!(out, "{pad}let {var_ident} = {rest_ident}.{f};");
                } else {
                    let _ = writeln!(out, "{pad}let mut {rest_ident} = {code};");
                    let _ = writeln!(out, "{pad}let {var_ident} = cdsl_rt::take(&mut {rest_ident}.{f});");
                }
                self.body(body, want, level, out)?;
                self.scope.truncate(self.scope.len() - 2);
            }
            ExprKind::Case { scrutinee, arms } => {
                let (_, ident, ty) = self.lookup(scrutinee)?.clone();
                let Ty::Variant(alts) = &ty else { return Err(bug(format!("a case on a `{ty}`"))) };
                let enum_name = types::def_name(&ty);
                let _ = writeln!(out, "{pad}match {ident} {{");
                for arm in arms {
                    let payload_ty = alts.get(&arm.tag).ok_or_else(|| bug(format!("no `{}` in `{ty}`", arm.tag)))?;
                    let tag = field_ident(&arm.tag);
                    let payload = self.bind(&arm.payload, payload_ty);
                    match payload_ty {
                        Ty::Unit => {
                            let _ = writeln!(out, "{pad}    {enum_name}::{tag} => {{");
                            if arm.body.mentions(&arm.payload) {
                                let _ = writeln!(out, "{pad}        let {payload} = ();");
                            }
                        }
                        _ => {
                            let _ = writeln!(out, "{pad}    {enum_name}::{tag}({payload}) => {{");
                        }
                    }
                    self.body(&arm.body, want, level + 2, out)?;
                    let _ = writeln!(out, "{pad}    }}");
                    self.scope.pop();
                }
                let _ = writeln!(out, "{pad}}}");
            }
            ExprKind::If { cond, then, els } => {
                let cond = unparen(self.expr(cond, &cond.ty, level)?);
                let _ = writeln!(out, "{pad}if {cond} {{");
                self.body(then, want, level + 1, out)?;
                let _ = writeln!(out, "{pad}}} else {{");
                self.body(els, want, level + 1, out)?;
                let _ = writeln!(out, "{pad}}}");
            }
            _ => {
                let code = self.expr(e, want, level)?;
                let _ = writeln!(out, "{pad}{code}");
            }
        }
        Ok(())
    }

    /// `e` as a Rust expression of type `want` (coerced from `e.ty` where
    /// the two differ, e.g. a variant widened), laid out for `level`.
    fn expr(&mut self, e: &Expr, want: &Ty, level: usize) -> Result<String, BackendError> {
        let code = self.bare(e, level)?;
        coerce(code, &e.ty, want)
    }

    fn bare(&mut self, e: &Expr, level: usize) -> Result<String, BackendError> {
        Ok(match &e.kind {
            ExprKind::Var(x) => {
                // A variable bound at a narrower variant type than this
                // use has (the core IR's implicit width subtyping) is
                // widened here.
                let (_, ident, bound) = self.lookup(x)?;
                coerce(ident.clone(), bound, &e.ty)?
            }
            ExprKind::Global(name) => {
                let function =
                    self.g.program.functions.get(name).ok_or_else(|| bug(format!("no instance `{name}`")))?;
                let ident = &self.g.idents[name];
                let shadowed = self.scope.iter().any(|(_, i, _)| i == ident);
                let path = if shadowed { format!("self::{ident}") } else { ident.clone() };
                if function.param.is_some() {
                    path
                } else {
                    format!("{path}()")
                }
            }
            ExprKind::Lit(lit) => literal_code(lit, &e.ty),
            ExprKind::Unit => "()".to_owned(),
            ExprKind::Tuple(items) => {
                let Ty::Tuple(tys) = &e.ty else { return Err(bug(format!("a tuple of type `{}`", e.ty))) };
                let parts = items
                    .iter()
                    .zip(tys.iter())
                    .map(|(item, ty)| self.expr(item, ty, level))
                    .collect::<Result<Vec<_>, _>>()?;
                format!("({})", parts.join(", "))
            }
            ExprKind::Struct(fields) => {
                let mut parts = Vec::new();
                for (name, value) in fields {
                    let slot = e.ty.field(name).ok_or_else(|| bug(format!("no field `{name}` in `{}`", e.ty)))?;
                    let code = self.expr(value, &slot.ty, level)?;
                    let code = if is_plain(&slot.ty) { code } else { format!("Some({code})") };
                    let ident = field_ident(name);
                    parts.push(if code == ident { code } else { format!("{ident}: {code}") });
                }
                format!("{} {{ {} }}", types::def_name(&e.ty), parts.join(", "))
            }
            ExprKind::Con { tag, payload } => {
                let Ty::Variant(alts) = &e.ty else { return Err(bug(format!("`{tag}` of type `{}`", e.ty))) };
                let payload_ty = alts.get(tag).ok_or_else(|| bug(format!("no `{tag}` in `{}`", e.ty)))?;
                let con = format!("{}::{}", types::def_name(&e.ty), field_ident(tag));
                match (payload_ty, &payload.kind) {
                    (Ty::Unit, ExprKind::Unit) => con,
                    (Ty::Unit, _) => format!("{{ let () = {}; {con} }}", self.expr(payload, payload_ty, level)?),
                    _ => format!("{con}({})", self.expr(payload, payload_ty, level)?),
                }
            }
            ExprKind::App(f, a) => {
                let Ty::Fun(param, result) = &f.ty else { return Err(bug(format!("applying a `{}`", f.ty))) };
                let callee = match &f.kind {
                    ExprKind::Global(_) | ExprKind::Var(_) => self.bare(f, level)?,
                    _ => format!("({})", self.bare(f, level)?),
                };
                let arg = self.expr(a, param, level)?;
                coerce(format!("{callee}({arg})"), result, &e.ty)?
            }
            ExprKind::Unary(op, a) => {
                let a = self.expr(a, &a.ty, level)?;
                match op {
                    UnOp::Not | UnOp::Complement => format!("!{}", atom(a)),
                }
            }
            ExprKind::Binary(op, a, b) => {
                let a = atom(self.expr(a, &a.ty, level)?);
                let b = self.expr(b, &b.ty, level)?;
                binary(*op, a, b)
            }
            ExprKind::Upcast(a) => {
                let code = self.expr(a, &a.ty, level)?;
                format!("{}::from({code})", repr(&e.ty, "'a", 0))
            }
            ExprKind::If { cond, then, els } if is_simple(then) && is_simple(els) => {
                let cond = unparen(self.expr(cond, &cond.ty, level)?);
                let then = self.expr(then, &e.ty, level)?;
                let els = self.expr(els, &e.ty, level)?;
                format!("if {cond} {{ {then} }} else {{ {els} }}")
            }
            ExprKind::Member(record, field) => {
                let code = atom(self.expr(record, &record.ty, level)?);
                member_code(&code, &record.ty, field)?
            }
            ExprKind::Put { record, field, value } => {
                let record_code = self.expr(record, &record.ty, level + 1)?;
                let slot =
                    record.ty.field(field).ok_or_else(|| bug(format!("putting `{field}` in `{}`", record.ty)))?;
                let value_code = self.expr(value, &slot.ty, level + 1)?;
                let stored = if is_plain(&stored_field(&record.ty, field)?) {
                    value_code
                } else {
                    format!("Some({value_code})")
                };
                let pad = indent(level + 1);
                format!(
                    "{{\n{pad}let mut Put = {record_code};\n{pad}Put.{} = {stored};\n{pad}Put\n{}}}",
                    field_ident(field),
                    indent(level)
                )
            }
            _ => {
                let mut block = String::from("{\n");
                let mark = self.scope.len();
                self.body(e, &e.ty, level + 1, &mut block)?;
                self.scope.truncate(mark);
                block.push_str(&indent(level));
                block.push('}');
                block
            }
        })
    }
}

/// Expressions written inline (no statements).
fn is_simple(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Var(_) | ExprKind::Global(_) | ExprKind::Lit(_) | ExprKind::Unit => true,
        ExprKind::Tuple(items) => items.iter().all(is_simple),
        ExprKind::Struct(fields) => fields.iter().all(|(_, v)| is_simple(v)),
        ExprKind::Con { payload, .. } | ExprKind::Unary(_, payload) | ExprKind::Upcast(payload) => is_simple(payload),
        ExprKind::Member(record, _) => is_simple(record),
        ExprKind::App(a, b) | ExprKind::Binary(_, a, b) => is_simple(a) && is_simple(b),
        _ => false,
    }
}

/// Parenthesises anything but a name, literal, call, field access or
/// parenthesised expression.
fn atom(code: String) -> String {
    let name = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == ':');
    let call = code.find('(').is_some_and(|open| name(&code[..open]) && balanced_outer(&code[open..]));
    if name(&code) || call {
        code
    } else {
        format!("({code})")
    }
}

/// `code` without the parentheses around all of it, if it has them.
fn unparen(code: String) -> String {
    if code.starts_with('(') && balanced_outer(&code) {
        code[1..code.len() - 1].to_owned()
    } else {
        code
    }
}

/// Whether the first `(` of `code` closes at its last character.
fn balanced_outer(code: &str) -> bool {
    if code.contains('"') || code.contains('\'') {
        return false;
    }
    let mut depth = 0i32;
    for (i, c) in code.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 && i + 1 != code.len() {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

fn binary(op: BinOp, a: String, b: String) -> String {
    match op {
        BinOp::Add => format!("{a}.wrapping_add({b})"),
        BinOp::Sub => format!("{a}.wrapping_sub({b})"),
        BinOp::Mul => format!("{a}.wrapping_mul({b})"),
        BinOp::Div => format!("cdsl_rt::div({a}, {b})"),
        BinOp::Mod => format!("cdsl_rt::rem({a}, {b})"),
        BinOp::Shl => format!("cdsl_rt::shl({a}, {b})"),
        BinOp::Shr => format!("cdsl_rt::shr({a}, {b})"),
        BinOp::BitAnd | BinOp::And => format!("({a} & {})", atom(b)),
        BinOp::BitOr | BinOp::Or => format!("({a} | {})", atom(b)),
        BinOp::BitXor => format!("({a} ^ {})", atom(b)),
        BinOp::Eq => format!("({a} == {})", atom(b)),
        BinOp::Ne => format!("({a} != {})", atom(b)),
        BinOp::Lt => format!("({a} < {})", atom(b)),
        BinOp::Gt => format!("({a} > {})", atom(b)),
        BinOp::Le => format!("({a} <= {})", atom(b)),
        BinOp::Ge => format!("({a} >= {})", atom(b)),
    }
}

fn literal_code(lit: &Lit, ty: &Ty) -> String {
    match (lit, ty) {
        (Lit::Int(n), Ty::Prim(p)) if p.is_word() => {
            format!("{}u{}", cdsl_runtime::value::truncate(p.bits() as u8, *n), p.bits())
        }
        (Lit::Int(n), _) => format!("{n}u64"),
        (Lit::Bool(b), _) => b.to_string(),
        (Lit::Char(c), _) => format!("{c}u8"),
        (Lit::String(s), _) => format!("{s:?}"),
    }
}

/// The type of a field as its struct stores it (for a read-only boxed
/// record, the field of the record it views).
fn stored_field(record: &Ty, field: &str) -> Result<Ty, BackendError> {
    let stored = match record {
        Ty::Record { boxed: true, read_only: true, .. } => record.unbang(),
        _ => record.clone(),
    };
    stored.field(field).map(|f| f.ty.clone()).ok_or_else(|| bug(format!("no field `{field}` in `{record}`")))
}

/// Reads `field` of the record `code` (of type `record`) without consuming
/// the record: through a view when the record is read-only.
fn member_code(code: &str, record: &Ty, field: &str) -> Result<String, BackendError> {
    let stored = stored_field(record, field)?;
    let f = field_ident(field);
    Ok(match record {
        Ty::Record { boxed: true, read_only: true, .. } if !is_plain(&stored) => {
            types::view(&format!("(*cdsl_rt::present(&{code}.{f}))"), &stored)
        }
        _ if is_plain(&stored) => format!("{code}.{f}"),
        _ => format!("cdsl_rt::present_owned({code}.{f})"),
    })
}

/// Converts `code` of type `from` to type `to` where their Rust types
/// differ: a variant into a wider one, part by part through tuples.
fn coerce(code: String, from: &Ty, to: &Ty) -> Result<String, BackendError> {
    if repr(from, "'a", 0) == repr(to, "'a", 0) {
        return Ok(code);
    }
    match (from, to) {
        (Ty::Variant(from_alts), Ty::Variant(to_alts)) => {
            let (from_name, to_name) = (types::def_name(from), types::def_name(to));
            let mut arms = Vec::new();
            for (tag, payload) in from_alts.iter() {
                let target = to_alts.get(tag).ok_or_else(|| bug(format!("`{from}` does not fit in `{to}`")))?;
                let t = field_ident(tag);
                arms.push(match payload {
                    Ty::Unit => format!("{from_name}::{t} => {to_name}::{t}"),
                    _ => format!("{from_name}::{t}(x) => {to_name}::{t}({})", coerce("x".to_owned(), payload, target)?),
                });
            }
            Ok(format!("match {code} {{ {} }}", arms.join(", ")))
        }
        (Ty::Tuple(from_items), Ty::Tuple(to_items)) if from_items.len() == to_items.len() => {
            let names: Vec<String> = (0..from_items.len()).map(|i| format!("x{i}")).collect();
            let parts = names
                .iter()
                .zip(from_items.iter().zip(to_items.iter()))
                .map(|(n, (f, t))| coerce(n.clone(), f, t))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(format!("{{ let ({}) = {code}; ({}) }}", names.join(", "), parts.join(", ")))
        }
        _ => Err(BackendError::Unsupported(format!("converting a `{from}` into a `{to}`"))),
    }
}

fn bug(message: String) -> BackendError {
    BackendError::Bug(message)
}
