//! The C backend: a core-IR [`Program`] in, one C99 translation unit out,
//! over the C runtime in `runtime/c` ([`RUNTIME_H`], [`RUNTIME_C`]).
//!
//! The output builds with `cc -std=c99 -Wall -Wextra -Werror`. How CDSL
//! becomes C:
//!
//! - Every function instance is a C function of one parameter; a constant
//!   is a function of none. Values are passed and returned by value;
//!   linear ones are simply not used again (the type checker saw to that).
//! - Words are `uintN_t` with the interpreters' arithmetic through the
//!   runtime's `cdsl_add_u32`, .. (wrapping without C's promotion to `int`;
//!   `x / 0 == x % 0 == 0`; a shift by the width or more gives 0); `&&`/`||`
//!   evaluate both operands, as `&`/`|` on `bool`.
//! - Tuples, unboxed records and variants are structs (a variant: `tag`
//!   and a union of payloads), boxed records pointers to structs allocated
//!   by the allocator-shaped abstract functions (`cdsl_alloc`, zeroed) and
//!   released by the deallocator-shaped ones. A read-only view has the
//!   representation of what it views; a taken field stays in its struct
//!   (no flag: the type checker forbids reading it), so `put` on a boxed
//!   record writes in place, as the update semantics does.
//! - C has no block expressions: an expression that needs statements
//!   (`let`, `if`, a match, `take`, `put`, a widened variant) is computed
//!   into a temporary before the expression that uses it. Evaluation order
//!   can only move between computations on disjoint linear values, which
//!   cannot observe each other.
//! - Names are stable: types are named from their field names or tags and
//!   a hash of the type (`types::def_name`), function instances like the
//!   Rust backend's (`f__U32__Bool`), locals after their CDSL names with
//!   `_2`, `_3`, .. for rebindings within one function. An optional
//!   [`Options::prefix`] goes before every global name, so several programs
//!   can share one translation unit. `/* file.cdsl:LINE */` comments point
//!   back to the source.
//! - Abstract functions are bound to the C runtime (`abstracts.rs`). One it
//!   does not implement is left to the user with [`Options::user_abstracts`]
//!   (what `cdsl build --emit c` does): declared, not defined, for a C file
//!   of the user's that defines it (and `struct Abs_Name` for an abstract
//!   type `Name`); otherwise it gets a body that aborts naming it. Either way
//!   a warning in [`Output::warnings`]. With [`Options::header`] the types
//!   and declarations go to a header the user's file includes (the
//!   user-defined functions first, under their own comment), and the unit
//!   includes it too.

mod abstracts;
pub mod engine;
mod names;

pub use names::C_KEYWORDS;
mod types;

use crate::core::ir::{Expr, ExprKind, Function, Program};
use crate::source::SourceMap;
use crate::syntax::ast::{BinOp, Lit, UnOp};
use crate::typeck::types::{Prim, Ty};
use cdsl_runtime::Value;
use names::{c_ident, function_ident, Locals};
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use types::{has_function, has_taken, Types};

/// The C runtime's header and implementation, written beside generated code.
pub const RUNTIME_H: &str = include_str!("../../../runtime/c/cdsl_runtime.h");
pub const RUNTIME_C: &str = include_str!("../../../runtime/c/cdsl_runtime.c");

/// The compiler flags generated code must build with.
pub const CFLAGS: &[&str] = &["-std=c99", "-Wall", "-Wextra", "-Werror"];

/// Why a program could not be translated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendError {
    /// Something the C backend does not translate yet.
    Unsupported(String),
    /// An inconsistency in the core IR.
    Bug(String),
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendError::Unsupported(message) => write!(f, "the C backend cannot translate this yet: {message}"),
            BackendError::Bug(message) => write!(f, "bug in the C backend's input: {message}"),
        }
    }
}

/// How to generate.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Goes before every global name (types, functions).
    pub prefix: String,
    /// Whether to include the runtime header (off when the code is pasted
    /// into a unit that already did).
    pub no_include: bool,
    /// Abstract functions the C runtime does not implement are left to the
    /// user: declared, not defined, so the user's C file defining them is
    /// linked in (over the opaque `struct Abs_Name` types it also defines).
    /// Off, they get bodies that abort naming them.
    pub user_abstracts: bool,
    /// With `Some(stem)`, the types and function declarations go to
    /// [`Output::header`] (`stem.h`) for the user's C to include, and the
    /// unit includes it instead of the runtime header.
    pub header: Option<String>,
}

/// A generated translation unit.
#[derive(Clone, Debug)]
pub struct Output {
    pub code: String,
    /// `stem.h` when [`Options::header`] asked for it: include guard, the
    /// runtime header, the types, then the abstract functions the user
    /// defines and the program's functions, declared.
    pub header: Option<String>,
    /// Things that compile but will fail when run (abstract functions
    /// without a C implementation).
    pub warnings: Vec<String>,
}

/// Translates a program. `sources` (when given) names files in comments.
pub fn generate(program: &Program, sources: Option<&SourceMap>, options: &Options) -> Result<Output, BackendError> {
    let mut types = Types::new(&options.prefix);
    for ty in program.functions.values().flat_map(Function::types) {
        types.collect(ty)?;
    }
    let idents: HashMap<String, String> =
        program.functions.values().map(|f| (f.name.clone(), function_ident(&options.prefix, f))).collect();
    let generator = Generator { program, sources, idents, types, user_abstracts: options.user_abstracts };
    let mut out = String::new();
    let origin = super::origin(sources);
    let generated = format!("/* Generated by `cdsl build --emit c` from {origin}; do not edit. */\n");
    out.push_str(&generated);
    let mut declarations = String::new();
    generator.types.definitions(&mut declarations);
    let (public, private) = generator.declarations();
    declarations.push_str(&public);
    let header = match &options.header {
        Some(stem) => {
            let _ = writeln!(out, "#include \"{stem}.h\"\n");
            out.push_str(&private);
            let guard = format!("CDSL_{}_H", super::rust::names::sanitize(stem).to_ascii_uppercase());
            Some(format!(
                "{generated}/* The types and functions of {origin}, for C that calls them or defines its abstract \
                 functions. */\n#ifndef {guard}\n#define {guard}\n\n#include \"cdsl_runtime.h\"\n\n{declarations}#endif \
                 /* {guard} */\n"
            ))
        }
        None => {
            if !options.no_include {
                out.push_str("#include \"cdsl_runtime.h\"\n\n");
            }
            out.push_str(&declarations);
            out.push_str(&private);
            None
        }
    };
    let mut warnings = Vec::new();
    for function in program.functions.values() {
        generator.function(function, &mut out, &mut warnings)?;
        out.push('\n');
    }
    Ok(Output { code: out, header, warnings })
}

/// A `void name(void)` function, for a test harness or `cdsl run`, that
/// runs `function` on `arg`, prints the result in the interpreters'
/// display format on a line of stdout, and releases what the result owns.
pub fn entry_function(
    program: &Program,
    options: &Options,
    name: &str,
    function: &str,
    arg: &Value,
) -> Result<String, BackendError> {
    let Some(entry) = program.functions.get(function) else {
        return Err(BackendError::Unsupported(format!("no function instance `{function}`")));
    };
    if has_function(&entry.result) || has_taken(&entry.result) {
        return Err(BackendError::Unsupported(format!(
            "printing a `{}` (a function, or a record with taken fields)",
            entry.result
        )));
    }
    let types = Types::new(&options.prefix);
    let ident = function_ident(&options.prefix, entry);
    let call = match &entry.param {
        Some((_, param)) => format!("{ident}({})", literal(&types, arg, param)?),
        None => format!("{ident}()"),
    };
    let mut out = format!("void {name}(void);\nvoid {name}(void) {{\n");
    let _ = writeln!(out, "    {} = {call};", types.decl(&entry.result, "result"));
    out.push_str("    (void)result;\n");
    out.push_str("    cdsl_buf buffer;\n    cdsl_buf *out = &buffer;\n    cdsl_buf_init(out);\n");
    types.show(&entry.result, "result", 0, &mut out)?;
    out.push_str("    cdsl_buf_println(out);\n");
    types.drop(&entry.result, "result", 0, &mut out);
    out.push_str("}\n");
    Ok(out)
}

/// A C expression for a literal value (an entry function's argument).
pub fn literal_code(program_types: &Options, value: &Value, ty: &Ty) -> Result<String, BackendError> {
    literal(&Types::new(&program_types.prefix), value, ty)
}

fn literal(types: &Types, value: &Value, ty: &Ty) -> Result<String, BackendError> {
    let mismatch = || BackendError::Unsupported(format!("the value {value} cannot be written as a `{ty}` in C"));
    Ok(match (value, ty) {
        (Value::Word { value, .. }, Ty::Prim(p)) if p.is_word() => word_literal(*value, *p),
        (Value::Bool(b), Ty::Prim(Prim::Bool)) => b.to_string(),
        (Value::Str(s), Ty::Prim(Prim::String)) => string_literal(s),
        (Value::Unit, Ty::Unit) => "0".to_owned(),
        (Value::SysState, Ty::Abstract { name, .. }) if name == "SysState" => "0".to_owned(),
        (Value::Tuple(items), Ty::Tuple(tys)) if items.len() == tys.len() => {
            let parts = items
                .iter()
                .zip(tys.iter())
                .enumerate()
                .map(|(i, (v, t))| Ok(format!(".p{i} = {}", literal(types, v, t)?)))
                .collect::<Result<Vec<_>, BackendError>>()?;
            format!("(({}){{ {} }})", types.repr(ty), parts.join(", "))
        }
        (Value::Record(values), Ty::Record { fields, boxed: false, .. }) => {
            let mut parts = Vec::new();
            for (name, slot) in fields.iter() {
                let value = values.iter().find(|(n, _)| **n == **name).and_then(|(_, v)| v.as_ref());
                let value = value.ok_or_else(mismatch)?;
                parts.push(format!(".{} = {}", c_ident(name), literal(types, value, &slot.ty)?));
            }
            format!("(({}){{ {} }})", types.repr(ty), parts.join(", "))
        }
        (Value::Variant(tag, payload), Ty::Variant(alts)) => {
            let payload_ty = alts.get(tag).ok_or_else(mismatch)?;
            match payload_ty {
                Ty::Unit => format!("(({}){{ .tag = {} }})", types.repr(ty), types.tag(ty, tag)),
                _ => format!(
                    "(({}){{ .tag = {}, .u.{} = {} }})",
                    types.repr(ty),
                    types.tag(ty, tag),
                    c_ident(tag),
                    literal(types, payload, payload_ty)?
                ),
            }
        }
        _ => return Err(mismatch()),
    })
}

fn word_literal(n: u64, p: Prim) -> String {
    let n = cdsl_runtime::value::truncate(p.bits() as u8, n);
    match p.bits() {
        64 => format!("UINT64_C({n})"),
        32 => format!("UINT32_C({n})"),
        bits => format!("(uint{bits}_t){n}"),
    }
}

fn string_literal(s: &str) -> String {
    let mut out = String::from("\"");
    for byte in s.bytes() {
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e if byte != b'?' => out.push(byte as char),
            _ => {
                let _ = write!(out, "\\{byte:03o}");
            }
        }
    }
    out.push('"');
    out
}

struct Generator<'p> {
    program: &'p Program,
    sources: Option<&'p SourceMap>,
    idents: HashMap<String, String>,
    types: Types,
    user_abstracts: bool,
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

    fn signature(&self, function: &Function) -> String {
        let ident = &self.idents[&function.name];
        let param = match &function.param {
            Some((_, ty)) => self.types.decl(ty, "arg"),
            None => "void".to_owned(),
        };
        let linkage = if self.private(function) { "static inline " } else { "" };
        format!("{linkage}{}({param})", self.types.decl(&function.result, ident))
    }

    /// The C runtime's body for an abstract `function`, or why it has none.
    fn runtime_body(&self, function: &Function) -> Result<String, String> {
        let element = function.type_args.first();
        let param = function.param.as_ref().map(|(_, t)| t);
        abstracts::body(&self.types, &function.source_name, param, &function.result, element)
    }

    /// Whether `function` is abstract and left to the user's C.
    fn user_defined(&self, function: &Function) -> bool {
        function.body.is_none() && self.user_abstracts && self.runtime_body(function).is_err()
    }

    /// Whether `function` is an abstract function the C runtime implements:
    /// `static inline`, private to the unit (never a name user C must
    /// know, no warning when unused), so the C compiler may inline a loop
    /// instance into its one caller and call its body directly instead of
    /// through a function pointer (seven times faster at `-O2`).
    fn private(&self, function: &Function) -> bool {
        function.body.is_none() && self.runtime_body(function).is_ok()
    }

    /// The functions' declarations: for the header (first those the user
    /// defines, under a comment saying so, then the program's), and the
    /// unit's private ones.
    fn declarations(&self) -> (String, String) {
        let (private, public): (Vec<&Function>, Vec<&Function>) =
            self.program.functions.values().partition(|f| self.private(f));
        let (user, ours): (Vec<&Function>, Vec<&Function>) = public.into_iter().partition(|f| self.user_defined(f));
        let mut out = String::new();
        if !user.is_empty() {
            out.push_str(
                "/* Abstract functions the C runtime lacks: define them in your own C file, and `struct Abs_Name` \
                 for each abstract type `Name`. */\n",
            );
            for function in user {
                let _ = writeln!(out, "{};", self.signature(function));
            }
            out.push_str("\n/* The program's functions. */\n");
        }
        for function in ours {
            let _ = writeln!(out, "{};", self.signature(function));
        }
        out.push('\n');
        let mut private_out = String::new();
        for function in &private {
            let _ = writeln!(private_out, "{};", self.signature(function));
        }
        if !private.is_empty() {
            private_out.push('\n');
        }
        (out, private_out)
    }

    fn function(&self, function: &Function, out: &mut String, warnings: &mut Vec<String>) -> Result<(), BackendError> {
        let signature = match &function.param {
            Some((_, param)) => format!("{} : {param} -> {}", function.name, function.result),
            None => format!("{} : {}", function.name, function.result),
        };
        let location = self.location(function.span).map(|l| format!(" ({l})")).unwrap_or_default();
        let _ = writeln!(out, "/* `{}`{location} */", signature.replace("*/", "* /"));
        if function.body.is_none() && self.user_abstracts {
            let element = function.type_args.first();
            let param = function.param.as_ref().map(|(_, t)| t);
            if let Err(why) = abstracts::body(&self.types, &function.source_name, param, &function.result, element) {
                let ident = &self.idents[&function.name];
                warnings
                    .push(format!("abstract function `{}`: {why}; define `{ident}` in your own C file", function.name));
                // Declared with the others above; the user's C file defines it.
                let _ = writeln!(out, "/* `{ident}`: defined by the user (the C runtime has none). */");
                return Ok(());
            }
        }
        let _ = writeln!(out, "{} {{", self.signature(function));
        match &function.body {
            Some(body) => {
                let mut emitter =
                    FnEmitter { g: self, locals: Locals::default(), scope: Vec::new(), last_line: None, level: 1 };
                // A local must not hide a global function the body calls
                // (`uint32_t g = g(y);` would call itself): such a local
                // becomes `g_2`. Only the function's own calls decide it.
                let mut globals = Vec::new();
                calls(body, &mut globals);
                for name in globals {
                    emitter.locals.reserve(&self.idents[name]);
                }
                if let Some((name, ty)) = &function.param {
                    let ident = emitter.bind(name, ty);
                    let _ = writeln!(out, "    {} = arg;", self.types.decl(ty, &ident));
                    if !mentions(body, name) {
                        let _ = writeln!(out, "    (void){ident};");
                    }
                }
                emitter.stmt(body, RETURN, &function.result, out)?;
            }
            None => {
                let element = function.type_args.first();
                let param = function.param.as_ref().map(|(_, t)| t);
                match abstracts::body(&self.types, &function.source_name, param, &function.result, element) {
                    Ok(code) => {
                        for line in code.lines() {
                            let _ = writeln!(out, "    {line}");
                        }
                    }
                    Err(why) => {
                        warnings.push(format!("abstract function `{}`: {why}; calling it aborts", function.name));
                        if param.is_some() {
                            out.push_str("    (void)arg;\n");
                        }
                        let _ = writeln!(
                            out,
                            "    cdsl_unimplemented({}, {});",
                            string_literal(&function.source_name),
                            string_literal(&why)
                        );
                    }
                }
            }
        }
        out.push_str("}\n");
        Ok(())
    }
}

/// The destination of [`FnEmitter::stmt`] that returns from the function.
const RETURN: &str = "return";

/// Emits one function body.
struct FnEmitter<'g> {
    g: &'g Generator<'g>,
    locals: Locals,
    /// Variables in scope: CDSL name, C name, type.
    scope: Vec<(String, String, Ty)>,
    last_line: Option<String>,
    level: usize,
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
        let ident = self.locals.fresh(name);
        self.scope.push((name.to_owned(), ident.clone(), ty.clone()));
        ident
    }

    fn types(&self) -> &Types {
        &self.g.types
    }

    fn pad(&self) -> String {
        indent(self.level)
    }

    /// A `/* file:LINE */` comment for a source-named binding on a new line.
    fn line_comment(&mut self, var: &str, e: &Expr) -> String {
        if var.starts_with('%') {
            return String::new();
        }
        match self.g.location(e.span) {
            Some(location) if self.last_line.as_ref() != Some(&location) => {
                self.last_line = Some(location.clone());
                format!(" /* {location} */")
            }
            _ => String::new(),
        }
    }

    /// Declares a local for `var` holding `code`; `(void)` if `body` never uses it.
    fn declare(&mut self, var: &str, ty: &Ty, code: &str, body: &Expr, comment: &str, out: &mut String) -> String {
        let ident = self.bind(var, ty);
        let pad = self.pad();
        let _ = writeln!(out, "{pad}{} = {code};{comment}", self.types().decl(ty, &ident));
        if !mentions(body, var) {
            let _ = writeln!(out, "{pad}(void){ident};");
        }
        ident
    }

    /// Writes statements that store `e` (as a `want`) in `dest` (or return
    /// it, for [`RETURN`]).
    fn stmt(&mut self, e: &Expr, dest: &str, want: &Ty, out: &mut String) -> Result<(), BackendError> {
        let mark = self.scope.len();
        match &e.kind {
            ExprKind::Let { var, value, body } | ExprKind::LetBang { var, value, body, .. } => {
                let code = self.expr(value, &value.ty, out)?;
                let comment = self.line_comment(var, value);
                self.declare(var, &value.ty, &code, body, &comment, out);
                self.stmt(body, dest, want, out)?;
            }
            ExprKind::Split { vars, value, body } => {
                let code = self.expr(value, &value.ty, out)?;
                let Ty::Tuple(tys) = &value.ty else { return Err(bug(format!("splitting a `{}`", value.ty))) };
                let whole = self.locals.temp();
                let pad = self.pad();
                let _ = writeln!(out, "{pad}{} = {code};", self.types().decl(&value.ty, &whole));
                for (i, (var, ty)) in vars.iter().zip(tys.iter()).enumerate() {
                    self.declare(var, ty, &format!("{whole}.p{i}"), body, "", out);
                }
                self.stmt(body, dest, want, out)?;
            }
            ExprKind::Take { record, field, var, rest, body } => {
                let code = self.expr(record, &record.ty, out)?;
                let Some(slot) = record.ty.field(field) else {
                    return Err(bug(format!("taking `{field}` from a `{}`", record.ty)));
                };
                let rest_ty = record.ty.with_field_taken(field, true);
                let rest_ident = self.declare(rest, &rest_ty, &code, body, "", out);
                let access = if matches!(record.ty, Ty::Record { boxed: true, .. }) { "->" } else { "." };
                let value = format!("{rest_ident}{access}{}", c_ident(field));
                self.declare(var, &slot.ty.clone(), &value, body, "", out);
                self.stmt(body, dest, want, out)?;
            }
            ExprKind::Case { scrutinee, arms } => self.case(scrutinee, arms, dest, want, out)?,
            ExprKind::If { cond, then, els } => {
                let cond = self.expr(cond, &cond.ty, out)?;
                let pad = self.pad();
                let _ = writeln!(out, "{pad}if ({}) {{", unparen(&cond));
                self.level += 1;
                self.stmt(then, dest, want, out)?;
                self.level -= 1;
                let _ = writeln!(out, "{pad}}} else {{");
                self.level += 1;
                self.stmt(els, dest, want, out)?;
                self.level -= 1;
                let _ = writeln!(out, "{pad}}}");
            }
            _ => {
                let code = self.expr(e, want, out)?;
                if dest == RETURN {
                    let _ = writeln!(out, "{}return {};", self.pad(), unparen(&code));
                } else {
                    let _ = writeln!(out, "{}{dest} = {};", self.pad(), unparen(&code));
                }
            }
        }
        self.scope.truncate(mark);
        Ok(())
    }

    /// A match on the tag of `scrutinee`: a `switch`, the last arm as
    /// `default` (so every path stores to `dest`, visibly to the compiler).
    fn case(
        &mut self,
        scrutinee: &str,
        arms: &[crate::core::ir::CaseArm],
        dest: &str,
        want: &Ty,
        out: &mut String,
    ) -> Result<(), BackendError> {
        let (_, ident, ty) = self.lookup(scrutinee)?.clone();
        let Ty::Variant(alts) = &ty else { return Err(bug(format!("a case on a `{ty}`"))) };
        let pad = self.pad();
        let _ = writeln!(out, "{pad}switch ({ident}.tag) {{");
        for (k, arm) in arms.iter().enumerate() {
            let payload_ty = alts.get(&arm.tag).ok_or_else(|| bug(format!("no `{}` in `{ty}`", arm.tag)))?;
            let label = if k + 1 == arms.len() {
                "default:".to_owned()
            } else {
                format!("case {}:", self.types().tag(&ty, &arm.tag))
            };
            let _ = writeln!(out, "{pad}{label} {{");
            self.level += 1;
            let value = match payload_ty {
                Ty::Unit => "0".to_owned(),
                _ => format!("{ident}.u.{}", c_ident(&arm.tag)),
            };
            let inner = self.scope.len();
            self.declare(&arm.payload, payload_ty, &value, &arm.body, "", out);
            self.stmt(&arm.body, dest, want, out)?;
            self.scope.truncate(inner);
            if dest != RETURN {
                let _ = writeln!(out, "{}break;", self.pad());
            }
            self.level -= 1;
            let _ = writeln!(out, "{pad}}}");
        }
        let _ = writeln!(out, "{pad}}}");
        Ok(())
    }

    /// `e` as a C expression of type `want` (converted from `e.ty` where the
    /// two differ: a variant widened); statements it needs go to `out` first.
    fn expr(&mut self, e: &Expr, want: &Ty, out: &mut String) -> Result<String, BackendError> {
        let code = self.bare(e, out)?;
        self.coerce(code, &e.ty, want, out)
    }

    /// `e` computed into a fresh temporary by statements.
    fn hoist(&mut self, e: &Expr, out: &mut String) -> Result<String, BackendError> {
        let temp = self.locals.temp();
        let pad = self.pad();
        let _ = writeln!(out, "{pad}{};", self.types().decl(&e.ty, &temp));
        let _ = writeln!(out, "{pad}{{");
        self.level += 1;
        self.stmt(e, &temp, &e.ty, out)?;
        self.level -= 1;
        let _ = writeln!(out, "{pad}}}");
        Ok(temp)
    }

    fn bare(&mut self, e: &Expr, out: &mut String) -> Result<String, BackendError> {
        Ok(match &e.kind {
            ExprKind::Var(x) => {
                // A variable bound at a narrower variant type than this
                // use has (the core IR's implicit width subtyping) is
                // widened here.
                let (_, ident, bound) = self.lookup(x)?.clone();
                self.coerce(ident, &bound, &e.ty, out)?
            }
            ExprKind::Global(name) => {
                let function =
                    self.g.program.functions.get(name).ok_or_else(|| bug(format!("no instance `{name}`")))?;
                let ident = self.g.idents[name].clone();
                if function.param.is_some() {
                    ident
                } else {
                    format!("{ident}()")
                }
            }
            ExprKind::Lit(lit) => match (lit, &e.ty) {
                (Lit::Int(n), Ty::Prim(p)) if p.is_word() => word_literal(*n, *p),
                (Lit::Int(n), _) => format!("UINT64_C({n})"),
                (Lit::Bool(b), _) => b.to_string(),
                (Lit::Char(c), _) => format!("(uint8_t){c}"),
                (Lit::String(s), _) => string_literal(s),
            },
            ExprKind::Unit => "0".to_owned(),
            ExprKind::Tuple(items) => {
                let Ty::Tuple(tys) = &e.ty else { return Err(bug(format!("a tuple of type `{}`", e.ty))) };
                let mut parts = Vec::new();
                for (i, (item, ty)) in items.iter().zip(tys.iter()).enumerate() {
                    parts.push(format!(".p{i} = {}", self.expr(item, ty, out)?));
                }
                format!("(({}){{ {} }})", self.types().repr(&e.ty), parts.join(", "))
            }
            ExprKind::Struct(fields) => {
                let mut parts = Vec::new();
                for (name, value) in fields {
                    let slot = e.ty.field(name).ok_or_else(|| bug(format!("no field `{name}` in `{}`", e.ty)))?;
                    parts.push(format!(".{} = {}", c_ident(name), self.expr(value, &slot.ty, out)?));
                }
                if parts.is_empty() {
                    parts.push(".unused = 0".to_owned());
                }
                format!("(({}){{ {} }})", self.types().repr(&e.ty), parts.join(", "))
            }
            ExprKind::Con { tag, payload } => self.con(e, tag, payload, out)?,
            ExprKind::App(f, a) => {
                let Ty::Fun(param, result) = &f.ty else { return Err(bug(format!("applying a `{}`", f.ty))) };
                let callee = match &f.kind {
                    ExprKind::Global(_) | ExprKind::Var(_) => self.bare(f, out)?,
                    _ => format!("({})", self.bare(f, out)?),
                };
                let arg = self.expr(a, param, out)?;
                let call = format!("{callee}({})", unparen(&arg));
                self.coerce(call, result, &e.ty, out)?
            }
            ExprKind::Unary(op, a) => {
                let code = self.expr(a, &a.ty, out)?;
                match (op, &a.ty) {
                    (UnOp::Not, _) => format!("(!{code})"),
                    (UnOp::Complement, Ty::Prim(p)) => format!("cdsl_not_u{}({})", p.bits(), unparen(&code)),
                    (UnOp::Complement, ty) => return Err(bug(format!("complement of a `{ty}`"))),
                }
            }
            ExprKind::Binary(op, a, b) => {
                let x = self.expr(a, &a.ty, out)?;
                let y = self.expr(b, &b.ty, out)?;
                binary(*op, &a.ty, &x, &y)?
            }
            ExprKind::Upcast(a) => {
                let code = self.expr(a, &a.ty, out)?;
                format!("(({}){code})", self.types().repr(&e.ty))
            }
            ExprKind::Member(record, field) => {
                let code = self.expr(record, &record.ty, out)?;
                let access = if matches!(record.ty, Ty::Record { boxed: true, .. }) { "->" } else { "." };
                format!("{code}{access}{}", c_ident(field))
            }
            ExprKind::Put { record, field, value } => self.put(record, field, value, out)?,
            _ => self.hoist(e, out)?,
        })
    }

    /// A variant value: a compound literal of its tag and payload.
    fn con(&mut self, e: &Expr, tag: &str, payload: &Expr, out: &mut String) -> Result<String, BackendError> {
        let Ty::Variant(alts) = &e.ty else { return Err(bug(format!("`{tag}` of type `{}`", e.ty))) };
        let payload_ty = alts.get(tag).ok_or_else(|| bug(format!("no `{tag}` in `{}`", e.ty)))?;
        let (repr, tag_const) = (self.types().repr(&e.ty), self.types().tag(&e.ty, tag));
        Ok(match (payload_ty, &payload.kind) {
            (Ty::Unit, ExprKind::Unit) => format!("(({repr}){{ .tag = {tag_const} }})"),
            (Ty::Unit, _) => {
                let code = self.expr(payload, payload_ty, out)?;
                let _ = writeln!(out, "{}(void){code};", self.pad());
                format!("(({repr}){{ .tag = {tag_const} }})")
            }
            _ => {
                let code = self.expr(payload, payload_ty, out)?;
                format!("(({repr}){{ .tag = {tag_const}, .u.{} = {code} }})", c_ident(tag))
            }
        })
    }

    /// `record { field = value }`: the record in a temporary, the field
    /// written in place (through the pointer, for a boxed record).
    fn put(&mut self, record: &Expr, field: &str, value: &Expr, out: &mut String) -> Result<String, BackendError> {
        let record_code = self.expr(record, &record.ty, out)?;
        let slot = record.ty.field(field).ok_or_else(|| bug(format!("putting `{field}` in `{}`", record.ty)))?;
        let temp = self.locals.temp();
        let pad = self.pad();
        let _ = writeln!(out, "{pad}{} = {};", self.types().decl(&record.ty, &temp), unparen(&record_code));
        let value_code = self.expr(value, &slot.ty, out)?;
        let access = if matches!(record.ty, Ty::Record { boxed: true, .. }) { "->" } else { "." };
        let _ = writeln!(out, "{pad}{temp}{access}{} = {};", c_ident(field), unparen(&value_code));
        Ok(temp)
    }

    /// Converts `code` of type `from` to type `to` where their C types
    /// differ: a variant into a wider one, part by part through tuples.
    fn coerce(&mut self, code: String, from: &Ty, to: &Ty, out: &mut String) -> Result<String, BackendError> {
        let types = &self.g.types;
        if types.repr(from) == types.repr(to) {
            return Ok(code);
        }
        let pad = self.pad();
        let source = self.locals.temp();
        let _ = writeln!(out, "{pad}{} = {};", types.decl(from, &source), unparen(&code));
        let target = self.locals.temp();
        // Zeroed first: a variant's unused payload bytes are then defined.
        let _ = writeln!(out, "{pad}{};\n{pad}memset(&{target}, 0, sizeof {target});", types.decl(to, &target));
        match (from, to) {
            (Ty::Variant(from_alts), Ty::Variant(to_alts)) => {
                let _ = writeln!(out, "{pad}switch ({source}.tag) {{");
                let count = from_alts.len();
                for (k, (tag, payload)) in from_alts.iter().enumerate() {
                    let target_ty = to_alts.get(tag).ok_or_else(|| bug(format!("`{from}` does not fit in `{to}`")))?;
                    let label =
                        if k + 1 == count { "default:".to_owned() } else { format!("case {}:", types.tag(from, tag)) };
                    let _ = writeln!(out, "{pad}{label} {{");
                    let _ = writeln!(out, "{pad}    {target}.tag = {};", types.tag(to, tag));
                    if *payload != Ty::Unit {
                        self.level += 1;
                        let t = c_ident(tag);
                        let inner = self.coerce(format!("{source}.u.{t}"), payload, target_ty, out)?;
                        self.level -= 1;
                        let _ = writeln!(out, "{pad}    {target}.u.{t} = {inner};");
                    }
                    let _ = writeln!(out, "{pad}    break;\n{pad}}}");
                }
                let _ = writeln!(out, "{pad}}}");
            }
            (Ty::Tuple(from_items), Ty::Tuple(to_items)) if from_items.len() == to_items.len() => {
                for (i, (f, t)) in from_items.iter().zip(to_items.iter()).enumerate() {
                    let inner = self.coerce(format!("{source}.p{i}"), f, t, out)?;
                    let _ = writeln!(out, "{pad}{target}.p{i} = {inner};");
                }
            }
            _ => return Err(BackendError::Unsupported(format!("converting a `{from}` into a `{to}`"))),
        }
        Ok(target)
    }
}

/// `code` without the parentheses around all of it, if it has them.
fn unparen(code: &str) -> &str {
    if code.starts_with('(') && code.ends_with(')') && !code.contains('"') {
        let mut depth = 0i32;
        for (i, c) in code.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 && i + 1 != code.len() {
                        return code;
                    }
                }
                _ => {}
            }
        }
        if depth == 0 {
            return &code[1..code.len() - 1];
        }
    }
    code
}

fn binary(op: BinOp, ty: &Ty, a: &str, b: &str) -> Result<String, BackendError> {
    let (a, b) = (unparen(a), unparen(b));
    let word = match ty {
        Ty::Prim(p) if p.is_word() => Some(p.bits()),
        _ => None,
    };
    let helper = |name: &str| match word {
        Some(bits) => Ok(format!("cdsl_{name}_u{bits}({a}, {b})")),
        None => Err(bug(format!("`{op:?}` on a `{ty}`"))),
    };
    // Words and `bool` are all `==` applies to in a well-typed program.
    let compare = |name: &str| match ty {
        Ty::Prim(Prim::Bool) => Ok(format!("cdsl_{name}_bool({a}, {b})")),
        _ => helper(name),
    };
    Ok(match op {
        BinOp::Add => helper("add")?,
        BinOp::Sub => helper("sub")?,
        BinOp::Mul => helper("mul")?,
        BinOp::Div => helper("div")?,
        BinOp::Mod => helper("mod")?,
        BinOp::Shl => helper("shl")?,
        BinOp::Shr => helper("shr")?,
        BinOp::BitAnd => helper("and")?,
        BinOp::BitOr => helper("or")?,
        BinOp::BitXor => helper("xor")?,
        BinOp::Eq => compare("eq")?,
        BinOp::Ne => compare("ne")?,
        BinOp::Lt => helper("lt")?,
        BinOp::Gt => helper("gt")?,
        BinOp::Le => helper("le")?,
        BinOp::Ge => helper("ge")?,
        BinOp::And => format!("cdsl_and_bool({a}, {b})"),
        BinOp::Or => format!("cdsl_or_bool({a}, {b})"),
    })
}

fn bug(message: String) -> BackendError {
    BackendError::Bug(message)
}

/// Whether C code for `e` reads the variable `name` (an observation alone
/// emits no read, so it does not count here).
/// The global functions `e` refers to.
fn calls<'e>(e: &'e Expr, into: &mut Vec<&'e String>) {
    if let ExprKind::Global(name) = &e.kind {
        into.push(name);
    }
    e.for_each_child(&mut |child| calls(child, into));
}

fn mentions(e: &Expr, name: &str) -> bool {
    match &e.kind {
        ExprKind::Var(x) => return x == name,
        ExprKind::Case { scrutinee, .. } if scrutinee == name => return true,
        _ => {}
    }
    let mut found = false;
    e.for_each_child(&mut |child| found = found || mentions(child, name));
    found
}
