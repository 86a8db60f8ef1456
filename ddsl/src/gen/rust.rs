//! The Rust generator: a checked layout to one Rust module (text).
//!
//! For every struct it can describe exactly, the module has an owned struct
//! `Foo` with `decode(&[u8]) -> Result<Foo, DecodeError>` and
//! `encode(&self, &mut [u8]) -> Result<(), EncodeError>`, a zero-copy
//! `FooView<'a>` over `&'a [u8]` and a `FooViewMut<'a>` over `&'a mut [u8]`.
//! This file plans each struct (static offsets, which fields are derived);
//! `emit.rs` writes the code, `expr.rs` translates expressions.
//!
//! A struct using a construct the generator cannot express yet (a length
//! or size read from a root, `[T; ..]`, arrays of structs, a field after a
//! variable-length array, ...) is not generated, and neither is any struct
//! holding it: each is reported as an [`Unsupported`] with its span, never
//! turned into code that would decode something else.

mod emit;
pub(crate) mod expr;
mod view;

use crate::check::Checked;
use crate::syntax::ast::*;
use cdsl::diagnostics::{Diagnostic, Severity};
use cdsl::source::Span;
use std::collections::{HashMap, HashSet};

/// A construct the generator does not support, in struct `strukt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported {
    pub what: String,
    pub span: Span,
    pub strukt: String,
}

impl Unsupported {
    /// A warning when the rest of the module is still generated, an error
    /// when the caller demands every struct.
    pub fn to_diagnostic(&self, fatal: bool) -> Diagnostic {
        let mut d = Diagnostic::error(
            format!("unsupported: {}", self.what),
            self.span,
            "not supported by the code generators yet",
        )
        .with_help(format!("struct `{}` is not generated, nor any struct that holds it", self.strukt));
        if !fatal {
            d.severity = Severity::Warning;
        }
        d
    }
}

/// The generated module and the structs left out of it.
#[derive(Clone, Debug)]
pub struct Generated {
    pub code: String,
    /// Names of the generated structs, in file order.
    pub structs: Vec<String>,
    pub skipped: Vec<Unsupported>,
}

/// Generates the Rust module for a checked layout. `source` names the
/// layout file in the module's header comment.
pub fn generate(checked: &Checked, source: &str) -> Generated {
    let (plans, skipped) = plan_all(checked);
    let code = emit::module(checked, source, &plans, &skipped);
    Generated { code, structs: plans.iter().map(|p| p.name.to_string()).collect(), skipped }
}

/// Plans every struct of the layout, in file order: those the generators
/// can express, and the rest with the reason (shared with the C generator).
pub(crate) fn plan_all(checked: &Checked) -> (Vec<Plan<'_>>, Vec<Unsupported>) {
    let mut planner = Planner { checked, plans: HashMap::new() };
    let mut plans = Vec::new();
    let mut skipped = Vec::new();
    for item in &checked.layout.items {
        if let Item::Struct(def) = item {
            match planner.plan(&def.name.name) {
                Ok(plan) => plans.push(plan),
                Err(e) => skipped.push(e),
            }
        }
    }
    (plans, skipped)
}

/// An integer field readable by expressions (as the local `f_<name>`).
#[derive(Clone, Debug)]
pub(crate) struct FieldInfo<'a> {
    pub name: &'a str,
    pub sub: &'a SubFields,
}

/// What the generator knows about one struct.
#[derive(Clone, Debug)]
pub(crate) struct Plan<'a> {
    pub name: &'a str,
    pub members: Vec<Member<'a>>,
    /// Bytes of the members at static offsets (all but a trailing variable array).
    pub fixed_len: u64,
    pub size: Size<'a>,
    pub asserts: Vec<(&'a Expr, Option<&'a str>)>,
    pub ints: HashMap<String, FieldInfo<'a>>,
    /// Integer fields computed on encode (the lengths of variable arrays).
    pub derived: HashSet<&'a str>,
}

#[derive(Clone, Debug)]
pub(crate) enum Size<'a> {
    /// Exactly the fields (no `size`, or a constant one they add up to).
    Fields,
    /// `size e` over the struct's own fields: padded up to `e`.
    Computed(&'a Expr),
    /// `size e` reading the image elsewhere (`sb.s_inode_size`): the
    /// struct's stride in its container; the generated code covers the fields.
    Stride,
}

#[derive(Clone, Debug)]
pub(crate) struct Member<'a> {
    pub name: &'a str,
    pub offset: u64,
    pub kind: Kind<'a>,
    pub magic: Option<u64>,
    /// `checksum alg(from .. to)`: computed on encode, checked on decode.
    pub checksum: Option<&'a ChecksumDef>,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind<'a> {
    Int {
        width: Width,
        endian: Endian,
        sub: &'a SubFields,
    },
    /// `[uN; constant]` (`[u8; n]` is a byte string).
    Array {
        width: Width,
        endian: Endian,
        len: u64,
    },
    /// `[uN; e]` with `e` over earlier fields; always the last field.
    VarArray {
        width: Width,
        endian: Endian,
        len: &'a Expr,
    },
    Struct {
        name: &'a str,
        size: u64,
    },
    /// `[S; ..]`: structs tiling the rest of a struct whose extent the
    /// caller gives (its `size` reads the image); always the last field.
    /// `size_field` is the element's field its `size` names (`rec_len`),
    /// computed on encode for the last element so the tiling is exact;
    /// `None` when the element has a fixed size.
    Fill {
        elem: &'a str,
        size_field: Option<(&'a str, Width)>,
    },
    Select {
        selector: &'a Expr,
        arms: Vec<SelectArm<'a>>,
        size: u64,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct SelectArm<'a> {
    /// `None`: the default arm `_`.
    pub label: Option<u64>,
    pub name: &'a str,
    pub kind: Kind<'a>,
}

impl Kind<'_> {
    /// Static size in bytes; `None` for a variable array.
    fn size(&self) -> Option<u64> {
        match self {
            Kind::Int { width, .. } => Some(width.bytes()),
            Kind::Array { width, len, .. } => width.bytes().checked_mul(*len),
            Kind::VarArray { .. } | Kind::Fill { .. } => None,
            Kind::Struct { size, .. } | Kind::Select { size, .. } => Some(*size),
        }
    }
}

struct Planner<'a> {
    checked: &'a Checked,
    plans: HashMap<String, Result<Plan<'a>, Unsupported>>,
}

/// Largest fixed array or struct the generator emits as a Rust array.
const MAX_FIXED: u64 = 1 << 16;

impl<'a> Planner<'a> {
    fn plan(&mut self, name: &str) -> Result<Plan<'a>, Unsupported> {
        if let Some(done) = self.plans.get(name) {
            return done.clone();
        }
        let checked: &'a Checked = self.checked;
        let Some(def) = checked.struct_def(name) else {
            unreachable!("bug: struct `{name}` resolved by the checker but not found")
        };
        let plan = self.plan_struct(def);
        self.plans.insert(name.to_string(), plan.clone());
        plan
    }

    fn unsupported(def: &StructDef, what: impl Into<String>, span: Span) -> Unsupported {
        Unsupported { what: what.into(), span, strukt: def.name.name.clone() }
    }

    fn plan_struct(&mut self, def: &'a StructDef) -> Result<Plan<'a>, Unsupported> {
        if RESERVED.contains(&def.name.name.as_str()) {
            return Err(Self::unsupported(def, "a struct named like a type of the generated module", def.name.span));
        }
        let mut plan = Plan {
            name: &def.name.name,
            members: Vec::new(),
            fixed_len: 0,
            size: Size::Fields,
            asserts: Vec::new(),
            ints: HashMap::new(),
            derived: HashSet::new(),
        };
        let mut offset = 0u64;
        let mut after_var: Option<Span> = None;
        for member in &def.members {
            match member {
                crate::syntax::ast::Member::Pad { len, span } => {
                    if after_var.is_some() {
                        return Err(Self::unsupported(def, "padding after a variable-length array", *span));
                    }
                    let n = fold(self.checked, len)
                        .ok_or_else(|| Self::unsupported(def, "padding of a computed length", len.span))?;
                    offset = offset
                        .checked_add(n)
                        .ok_or_else(|| Self::unsupported(def, "a struct larger than 2^64", *span))?;
                }
                crate::syntax::ast::Member::Assert { cond, message, .. } => {
                    plan.asserts.push((cond, message.as_deref()))
                }
                crate::syntax::ast::Member::Field(field) => {
                    if after_var.is_some() {
                        return Err(Self::unsupported(def, "a field after a variable-length array", field.span));
                    }
                    let kind = self.kind(def, &field.ty, &plan)?;
                    if let Kind::Int { sub, .. } = &kind {
                        plan.ints.insert(field.name.name.clone(), FieldInfo { name: &field.name.name, sub });
                    }
                    let magic =
                        match &field.magic {
                            None => None,
                            Some(m) => Some(fold(self.checked, m).ok_or_else(|| {
                                Self::unsupported(def, "a magic value that is not a constant", m.span)
                            })?),
                        };
                    match kind.size() {
                        Some(n) => {
                            offset = offset
                                .checked_add(n)
                                .filter(|o| *o <= MAX_FIXED)
                                .ok_or_else(|| Self::unsupported(def, "a struct larger than 64 KiB", field.span))?;
                        }
                        None => after_var = Some(field.span),
                    }
                    let start = offset - kind.size().unwrap_or(0);
                    if let Some(c) = &field.checksum {
                        let env = expr::Env { checked: self.checked, fields: &plan.ints, strukt: plan.name };
                        env.rust(&c.from)?;
                        env.rust(&c.to)?;
                    }
                    let checksum = field.checksum.as_ref();
                    plan.members.push(Member { name: &field.name.name, offset: start, kind, magic, checksum });
                }
            }
        }
        plan.fixed_len = offset;
        self.plan_size(def, &mut plan)?;
        self.plan_derived(&mut plan);
        // Every expression must translate; checked here so emitting cannot fail.
        let env = expr::Env { checked: self.checked, fields: &plan.ints, strukt: plan.name };
        for (cond, _) in &plan.asserts {
            env.rust(cond)?;
        }
        Ok(plan)
    }

    fn plan_size(&self, def: &'a StructDef, plan: &mut Plan<'a>) -> Result<(), Unsupported> {
        let fill = plan.members.iter().find(|m| matches!(m.kind, Kind::Fill { .. })).map(|m| m.name);
        let constant = def.size.as_ref().and_then(|size| fold(self.checked, size));
        if fill.is_some() && (def.size.is_none() || constant.is_some()) {
            // The elements tile the extent the caller gives: only a size read
            // from the image (a stride) leaves that to the caller.
            let span = def.size.as_ref().map_or(def.name.span, |s| s.span);
            return Err(Self::unsupported(
                def,
                "an array filling a struct whose size is not read from the image",
                span,
            ));
        }
        let Some(size) = &def.size else { return Ok(()) };
        if constant.is_some() {
            // The checker made a constant size equal to the fields.
            return Ok(());
        }
        let env = expr::Env { checked: self.checked, fields: &plan.ints, strukt: plan.name };
        match env.rust(size) {
            Ok(_) => plan.size = Size::Computed(size),
            Err(_) if reads_root(self.checked, size, 0) => plan.size = Size::Stride,
            Err(e) => return Err(e),
        }
        if fill.is_some() && !matches!(plan.size, Size::Stride) {
            return Err(Self::unsupported(
                def,
                "an array filling a struct whose size is not read from the image",
                size.span,
            ));
        }
        if plan.members.iter().any(|m| matches!(m.kind, Kind::VarArray { .. }))
            && !matches!(plan.size, Size::Computed(_))
        {
            return Err(Self::unsupported(
                def,
                "a variable-length array in a struct whose size reads the image",
                size.span,
            ));
        }
        Ok(())
    }

    /// A variable array's length that is just an integer field (no magic, no
    /// bits) is derived: computed from the array on encode, not stored.
    fn plan_derived(&self, plan: &mut Plan<'a>) {
        let mut derived = HashSet::new();
        for m in &plan.members {
            if let Kind::VarArray { len, .. } = &m.kind {
                if let ExprKind::Name(n) = &len.kind {
                    let plain = plan.members.iter().any(|f| {
                        f.name == n && f.magic.is_none() && matches!(f.kind, Kind::Int { sub: SubFields::None, .. })
                    });
                    if let (true, Some(info)) = (plain, plan.ints.get(n)) {
                        derived.insert(info.name);
                    }
                }
            }
        }
        plan.derived = derived;
    }

    fn kind(&mut self, def: &'a StructDef, ty: &'a Type, plan: &Plan<'a>) -> Result<Kind<'a>, Unsupported> {
        let endian_of = |e: Option<Endian>| self.checked.endian(e);
        match &ty.kind {
            TypeKind::Int { width, endian, sub } => Ok(Kind::Int { width: *width, endian: endian_of(*endian), sub }),
            TypeKind::Array { elem, len } => {
                if let (TypeKind::Named(target), Length::Fill(_)) = (&elem.kind, len) {
                    return self.fill(def, &target.name, ty.span);
                }
                let TypeKind::Int { width, endian, sub } = &elem.kind else {
                    return Err(Self::unsupported(def, "an array of structs or unions", ty.span));
                };
                if !matches!(sub, SubFields::None) {
                    return Err(Self::unsupported(def, "an array of bit or flag fields", ty.span));
                }
                let endian = endian_of(*endian);
                let Length::Expr(len) = len else {
                    return Err(Self::unsupported(def, "an array filling its struct (`..`)", ty.span));
                };
                if let Some(n) = fold(self.checked, len) {
                    if !matches!(width.bytes().checked_mul(n), Some(b) if b <= MAX_FIXED) {
                        return Err(Self::unsupported(def, "a fixed array larger than 64 KiB", ty.span));
                    }
                    return Ok(Kind::Array { width: *width, endian, len: n });
                }
                let env = expr::Env { checked: self.checked, fields: &plan.ints, strukt: plan.name };
                env.rust(len)?;
                Ok(Kind::VarArray { width: *width, endian, len })
            }
            TypeKind::Named(target) => {
                let inner = self.plan(&target.name).map_err(|e| {
                    Self::unsupported(
                        def,
                        format!("a field of type `{}`, which is not generated ({})", target.name, e.what),
                        ty.span,
                    )
                })?;
                match inner.size {
                    Size::Fields if !inner.members.iter().any(|m| matches!(m.kind, Kind::VarArray { .. })) => {
                        Ok(Kind::Struct { name: &target.name, size: inner.fixed_len })
                    }
                    _ => Err(Self::unsupported(
                        def,
                        format!("a field of `{}`, whose size is computed", target.name),
                        ty.span,
                    )),
                }
            }
            TypeKind::Select { selector, arms } => {
                let env = expr::Env { checked: self.checked, fields: &plan.ints, strukt: plan.name };
                env.rust(selector)?;
                let mut planned = Vec::new();
                let mut size = None;
                for arm in arms {
                    let label =
                        match &arm.label {
                            None => None,
                            Some(l) => Some(fold(self.checked, l).ok_or_else(|| {
                                Self::unsupported(def, "a select label that is not a constant", l.span)
                            })?),
                        };
                    let kind = self.kind(def, &arm.ty, plan)?;
                    let arm_size = match (&kind, kind.size()) {
                        (Kind::Int { .. }, _) => {
                            return Err(Self::unsupported(def, "a select arm of integer type", arm.ty.span))
                        }
                        (_, None) => return Err(Self::unsupported(def, "a select arm of variable size", arm.ty.span)),
                        (_, Some(n)) => n,
                    };
                    if size.is_some_and(|s| s != arm_size) {
                        return Err(Self::unsupported(def, "select arms of different sizes", arm.span));
                    }
                    size = Some(arm_size);
                    planned.push(SelectArm { label, name: &arm.name.name, kind });
                }
                let Some(size) = size else { return Err(Self::unsupported(def, "a select without arms", ty.span)) };
                Ok(Kind::Select { selector, arms: planned, size })
            }
        }
    }
}

impl<'a> Planner<'a> {
    /// `[elem; ..]`: each element must know its own size — fixed, or a
    /// plain stored field of its own (`size rec_len`).
    fn fill(&mut self, def: &'a StructDef, elem: &'a str, span: Span) -> Result<Kind<'a>, Unsupported> {
        let inner = self.plan(elem).map_err(|e| {
            Self::unsupported(def, format!("an array of `{elem}`, which is not generated ({})", e.what), span)
        })?;
        let has_var = inner.members.iter().any(|m| matches!(m.kind, Kind::VarArray { .. } | Kind::Fill { .. }));
        let size_field = match inner.size {
            Size::Fields if !has_var && inner.fixed_len > 0 => None,
            Size::Computed(Expr { kind: ExprKind::Name(f), .. })
                if inner.fixed_len > 0
                    && inner.members.iter().any(|m| {
                        m.name == f
                            && m.magic.is_none()
                            && !inner.derived.contains(m.name)
                            && matches!(m.kind, Kind::Int { sub: SubFields::None, .. })
                    }) =>
            {
                inner.members.iter().find_map(|m| match m.kind {
                    Kind::Int { width, .. } if m.name == f => Some((m.name, width)),
                    _ => None,
                })
            }
            _ => {
                return Err(Self::unsupported(
                    def,
                    format!(
                        "an array filling its struct with `{elem}`, whose size is neither fixed nor one of its fields"
                    ),
                    span,
                ))
            }
        };
        Ok(Kind::Fill { elem: inner.name, size_field })
    }
}

/// Whether `expr` reads a root, directly or through constants.
fn reads_root(checked: &Checked, expr: &Expr, depth: usize) -> bool {
    if depth > 64 {
        return false;
    }
    let mut names = Vec::new();
    expr.names(&mut names);
    names.iter().any(|(n, _)| match checked.global(n) {
        Some(crate::check::Global::Root(_)) => true,
        Some(crate::check::Global::Const(c)) => reads_root(checked, &c.value, depth + 1),
        _ => false,
    })
}

/// Names the generated module defines itself; a struct may not take them.
const RESERVED: &[&str] = &[
    "Bytes",
    "DecodeError",
    "DecodeErrorKind",
    "DecodeFault",
    "EncodeError",
    "EncodeErrorKind",
    "EncodeFault",
    "FieldValue",
];

/// The value of an expression that reads nothing from the image.
pub(crate) fn fold(checked: &Checked, expr: &Expr) -> Option<u64> {
    fold_depth(checked, expr, 0)
}

fn fold_depth(checked: &Checked, expr: &Expr, depth: usize) -> Option<u64> {
    if depth > 64 {
        return None;
    }
    let sub = |e: &Expr| fold_depth(checked, e, depth + 1);
    match &expr.kind {
        ExprKind::Int(n) => Some(*n),
        ExprKind::Name(n) => match checked.global(n)? {
            crate::check::Global::Const(c) => sub(&c.value),
            _ => None,
        },
        ExprKind::Unary(op, e) => crate::eval::unary(*op, sub(e)?).ok(),
        ExprKind::Binary(op, a, b) => crate::eval::binary(*op, sub(a)?, sub(b)?).ok(),
        ExprKind::Call(f, args) => {
            let args: Option<Vec<u64>> = args.iter().map(sub).collect();
            crate::eval::builtin(&f.name, &args?)?.ok()
        }
        ExprKind::It | ExprKind::Member(..) | ExprKind::Index(..) => None,
    }
}

/// `i_block` → `IBlock`, `dir_map` → `DirMap`.
pub(crate) fn camel(name: &str) -> String {
    name.split('_')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let mut c = s.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}
