//! The decoder: an interpreter over a checked layout that reads structures
//! out of an image (a byte slice).
//!
//! Consumes a [`Checked`] layout (with no errors) and image bytes; produces
//! [`Value`]s and [`Fault`]s. A corrupt image never aborts decoding: every
//! problem is a fault with the structure path (`sb.s_magic`, `gdt[3]`) and
//! the byte offset, and decoding carries on wherever the position of what
//! follows is still known. Work is bounded (a budget of decoded values and a
//! nesting limit), so no image makes it hang.

use crate::check::{Checked, Global};
use crate::eval::ArithError;
use crate::syntax::ast::*;
use std::collections::HashMap;
use std::fmt;

mod expr;
pub use expr::EvalError;

/// A decoded value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Int(u64),
    /// An array of `u8`.
    Bytes(Vec<u8>),
    Array(Vec<Value>),
    Struct(StructValue),
    /// The arm a `select` chose.
    Variant {
        arm: String,
        value: Box<Value>,
    },
    /// An integer annotated as a pointer, read at byte `at`; `target` is
    /// `None` when its `when` condition is false or its address could not be
    /// computed.
    Pointer {
        raw: u64,
        at: u64,
        target: Option<Target>,
    },
    /// Could not be read; a fault says why.
    Missing,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructValue {
    pub name: String,
    pub offset: u64,
    /// Bytes the structure takes, if known.
    pub size: Option<u64>,
    pub fields: Vec<(String, Value)>,
}

impl StructValue {
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub ty: String,
    pub addr: u64,
    /// What the pointer's `owns`/`refs` annotation claims, if it has one.
    pub claim: Option<Claimed>,
}

/// A live pointer's claim on units of a `space`: `count` units from its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claimed {
    pub owns: bool,
    pub space: String,
    pub count: u64,
}

impl Value {
    /// The number in an integer or pointer value.
    pub fn as_int(&self) -> Option<u64> {
        match self {
            Value::Int(n) | Value::Pointer { raw: n, .. } => Some(*n),
            _ => None,
        }
    }
}

/// A problem found in the image, where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// Structure path, e.g. `sb.s_magic` or `gdt[2].bg_inode_table`.
    pub path: String,
    /// Byte offset in the image.
    pub offset: u64,
    pub kind: FaultKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// The bytes needed lie (partly) beyond the end of the image.
    OutOfBounds {
        need: u64,
        image_len: u64,
    },
    BadMagic {
        found: u64,
        expected: u64,
    },
    AssertFailed {
        message: String,
    },
    /// An incompatible feature flag this layout cannot read.
    UnsupportedFeature {
        name: Option<String>,
        mask: u64,
    },
    /// A `size` smaller than what the fields take.
    SizeTooSmall {
        size: u64,
        used: u64,
    },
    /// An entry of a `[T; ..]` array runs past its structure's end.
    Overrun {
        end: u64,
        limit: u64,
    },
    /// An entry of a `[T; ..]` array takes no bytes, so the array never ends.
    ZeroSizeEntry,
    /// A `checksum` field that disagrees with the bytes it covers.
    BadChecksum {
        algorithm: String,
        found: u64,
        expected: u64,
        /// The field's bytes and byte order, so a tool can write `expected`.
        width: u64,
        big_endian: bool,
    },
    /// A `checksum` range outside its structure (or backwards).
    ChecksumRange {
        from: u64,
        to: u64,
        size: u64,
    },
    /// No arm of a `select` matches and there is no `_` arm.
    NoArm {
        value: u64,
    },
    Eval(EvalError),
    /// The decoding budget ran out (a huge array in a corrupt image).
    Budget,
    TooDeep,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (byte {}): {}", self.path, self.offset, self.kind)
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultKind::OutOfBounds { need, image_len } => {
                write!(f, "needs {need} bytes here, beyond the end of the image ({image_len} bytes)")
            }
            FaultKind::BadMagic { found, expected } => write!(f, "bad magic {found:#x}, expected {expected:#x}"),
            FaultKind::AssertFailed { message } => write!(f, "assertion failed: {message}"),
            FaultKind::UnsupportedFeature { name: Some(name), mask } => {
                write!(f, "unsupported feature `{name}` ({mask:#x})")
            }
            FaultKind::UnsupportedFeature { name: None, mask } => write!(f, "unsupported feature {mask:#x} (unknown)"),
            FaultKind::SizeTooSmall { size, used } => {
                write!(f, "size {size} is smaller than the {used} bytes its fields take")
            }
            FaultKind::Overrun { end, limit } => {
                write!(f, "entry ends at byte {end}, past the end of its block at {limit}")
            }
            FaultKind::ZeroSizeEntry => f.write_str("entry takes no bytes, so the entries never end"),
            FaultKind::NoArm { value } => write!(f, "no arm selects {value}"),
            FaultKind::BadChecksum { algorithm, found, expected, .. } => {
                write!(f, "bad {algorithm} checksum {found:#x}, the bytes give {expected:#x}")
            }
            FaultKind::ChecksumRange { from, to, size } => {
                write!(f, "checksum over bytes {from}..{to} of a structure of {size} bytes")
            }
            FaultKind::Eval(e) => write!(f, "{e}"),
            FaultKind::Budget => f.write_str("decoding budget exhausted; the rest is not read"),
            FaultKind::TooDeep => f.write_str("structures nested too deeply"),
        }
    }
}

/// How many values one decoder reads at most, and how deeply it nests.
pub const DEFAULT_BUDGET: u64 = 4_000_000;
const MAX_DEPTH: u32 = 32;

/// A decoded root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootValue {
    pub name: String,
    pub offset: Option<u64>,
    pub value: Value,
}

pub struct Decoder<'a> {
    layout: &'a Checked,
    image: &'a [u8],
    roots: HashMap<String, Value>,
    faults: Vec<Fault>,
    budget: u64,
    depth: u32,
}

/// The result of decoding one member: its value and the bytes it takes, if
/// known. An unknown size stops the enclosing structure.
struct Decoded {
    value: Value,
    size: Option<u64>,
}

impl Decoded {
    fn stop(value: Value) -> Decoded {
        Decoded { value, size: None }
    }
}

impl<'a> Decoder<'a> {
    pub fn new(layout: &'a Checked, image: &'a [u8]) -> Decoder<'a> {
        Decoder { layout, image, roots: HashMap::new(), faults: Vec::new(), budget: DEFAULT_BUDGET, depth: 0 }
    }

    pub fn with_budget(mut self, budget: u64) -> Decoder<'a> {
        self.budget = budget;
        self
    }

    /// Whether the value budget is spent (every further decode is `Missing`).
    pub fn out_of_budget(&self) -> bool {
        self.budget == 0
    }

    /// The image being decoded.
    pub fn image(&self) -> &'a [u8] {
        self.image
    }

    pub fn faults(&self) -> &[Fault] {
        &self.faults
    }

    pub fn into_faults(self) -> Vec<Fault> {
        self.faults
    }

    /// Forgets the faults after the first `len`: a tool re-reading a
    /// structure it already reported on does not report it twice.
    pub fn truncate_faults(&mut self, len: usize) {
        self.faults.truncate(len);
    }

    /// Evaluates a layout expression outside any structure: roots decoded so
    /// far, constants, conversions, plus an optional named variable and `it`.
    pub fn eval_global(&self, expr: &'a Expr, var: Option<(&'a str, u64)>, it: Option<u64>) -> Result<u64, EvalError> {
        self.eval(expr, &expr::Ctx { it, param: var, ..expr::Ctx::global() })
    }

    /// Decodes every root in file order. Stops after a root with an
    /// unsupported feature: what follows might be misread.
    pub fn decode_roots(&mut self) -> Vec<RootValue> {
        let layout = self.layout;
        let mut out = Vec::new();
        for root in layout.roots() {
            let name = root.name.name.clone();
            let offset = match self.eval(&root.at, &expr::Ctx::global()) {
                Ok(offset) => offset,
                Err(e) => {
                    self.fault(&name, 0, FaultKind::Eval(e));
                    out.push(RootValue { name, offset: None, value: Value::Missing });
                    continue;
                }
            };
            let decoded = self.decode_type(&root.ty, offset, &name, &[], None, None);
            self.roots.insert(name.clone(), decoded.value.clone());
            out.push(RootValue { name, offset: Some(offset), value: decoded.value });
            if self.faults.iter().any(|f| matches!(f.kind, FaultKind::UnsupportedFeature { .. })) {
                break;
            }
        }
        out
    }

    /// Decodes the struct `name` at byte `offset`, naming it `path` in faults.
    pub fn decode_struct_at(&mut self, name: &str, offset: u64, path: &str) -> Value {
        match self.layout.struct_def(name) {
            Some(def) => self.decode_struct(def, offset, path).value,
            None => {
                let e = EvalError::Unknown { name: name.to_owned() };
                self.fault(path, offset, FaultKind::Eval(e));
                Value::Missing
            }
        }
    }

    /// Applies the address conversion `conversion` (an `addr` item) to `n`,
    /// with the roots decoded so far in scope.
    pub fn address(&self, conversion: &str, n: u64) -> Result<u64, EvalError> {
        self.call_addr(conversion, n)
    }

    fn fault(&mut self, path: &str, offset: u64, kind: FaultKind) {
        self.faults.push(Fault { path: path.to_owned(), offset, kind });
    }

    /// Spends one unit of budget; false (with a fault, once) when none is left.
    fn spend(&mut self, path: &str, offset: u64) -> bool {
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        if self.budget == 0 {
            self.fault(path, offset, FaultKind::Budget);
            return false;
        }
        true
    }

    fn bytes(&mut self, offset: u64, len: u64, path: &str) -> Option<&'a [u8]> {
        let image: &'a [u8] = self.image;
        let found = usize::try_from(offset)
            .ok()
            .zip(usize::try_from(len).ok())
            .and_then(|(start, len)| Some((start, start.checked_add(len)?)))
            .and_then(|(start, end)| image.get(start..end));
        if found.is_none() {
            self.fault(path, offset, FaultKind::OutOfBounds { need: len, image_len: image.len() as u64 });
        }
        found
    }

    fn read_int(&mut self, offset: u64, width: Width, endian: Endian, path: &str) -> Option<u64> {
        let bytes = self.bytes(offset, width.bytes(), path)?;
        let fold = |acc: u64, b: &u8| (acc << 8) | u64::from(*b);
        Some(match endian {
            Endian::Big => bytes.iter().fold(0, fold),
            Endian::Little => bytes.iter().rev().fold(0, fold),
        })
    }

    fn decode_struct(&mut self, def: &'a StructDef, offset: u64, path: &str) -> Decoded {
        if self.depth >= MAX_DEPTH {
            self.fault(path, offset, FaultKind::TooDeep);
            return Decoded::stop(Value::Missing);
        }
        self.depth += 1;
        let decoded = self.decode_struct_body(def, offset, path);
        self.depth -= 1;
        decoded
    }

    fn decode_struct_body(&mut self, def: &'a StructDef, offset: u64, path: &str) -> Decoded {
        let mut value = StructValue { name: def.name.name.clone(), offset, size: None, fields: Vec::new() };
        // A `..` array fills up to the size, which must be known first.
        let limit = match &def.size {
            Some(size) if !reads_own_fields(def, size) => match self.eval(size, &expr::Ctx::global()) {
                Ok(size) => offset.checked_add(size),
                Err(e) => {
                    self.fault(path, offset, FaultKind::Eval(e));
                    return Decoded::stop(Value::Struct(value));
                }
            },
            _ => None,
        };
        let mut cursor = offset;
        // Where each field starts, for the byte offsets of pointers.
        let mut starts = Vec::new();
        for member in &def.members {
            match member {
                Member::Field(f) => {
                    starts.push(cursor);
                    let field_path = format!("{path}.{}", f.name.name);
                    let d = self.decode_type(&f.ty, cursor, &field_path, &value.fields, Some(def), limit);
                    self.check_field(f, &d.value, cursor, &field_path);
                    value.fields.push((f.name.name.clone(), d.value));
                    match d.size.and_then(|s| cursor.checked_add(s)) {
                        Some(next) => cursor = next,
                        None => return Decoded::stop(Value::Struct(value)),
                    }
                }
                Member::Pad { len, .. } => {
                    let ctx = expr::Ctx::fields(&value.fields, def);
                    match self.eval(len, &ctx).map(|len| cursor.checked_add(len)) {
                        Ok(Some(next)) => cursor = next,
                        Ok(None) => {
                            self.fault(path, cursor, FaultKind::Eval(EvalError::Arith(ArithError::Overflow)));
                            return Decoded::stop(Value::Struct(value));
                        }
                        Err(e) => {
                            self.fault(path, cursor, FaultKind::Eval(e));
                            return Decoded::stop(Value::Struct(value));
                        }
                    }
                }
                Member::Assert { .. } => {}
            }
        }
        self.finish_struct(def, path, value, cursor - offset, &starts)
    }

    /// After the fields: the size clause, pointers and asserts.
    fn finish_struct(
        &mut self,
        def: &'a StructDef,
        path: &str,
        mut value: StructValue,
        used: u64,
        starts: &[u64],
    ) -> Decoded {
        let offset = value.offset;
        let size = match &def.size {
            None => Some(used),
            Some(size) => match self.eval(size, &expr::Ctx::fields(&value.fields, def)) {
                Ok(size) if size < used => {
                    self.fault(path, offset, FaultKind::SizeTooSmall { size, used });
                    None
                }
                Ok(size) => Some(size),
                Err(e) => {
                    self.fault(path, offset, FaultKind::Eval(e));
                    None
                }
            },
        };
        value.size = size;
        self.resolve_pointers(def, path, &mut value, starts);
        for member in &def.members {
            if let Member::Assert { cond, message, .. } = member {
                match self.eval(cond, &expr::Ctx::fields(&value.fields, def)) {
                    Ok(0) => {
                        let message = message.clone().unwrap_or_else(|| "the invariant does not hold".to_owned());
                        self.fault(path, offset, FaultKind::AssertFailed { message });
                    }
                    Ok(_) => {}
                    // A field the assert reads is missing; that was reported.
                    Err(EvalError::Missing { .. }) => {}
                    Err(e) => self.fault(path, offset, FaultKind::Eval(e)),
                }
            }
        }
        self.checksums(def, path, &value, size, starts);
        Decoded { value: Value::Struct(value), size }
    }

    /// Each `checksum` field against the bytes it covers (its own counted
    /// as zeros).
    fn checksums(&mut self, def: &'a StructDef, path: &str, value: &StructValue, size: Option<u64>, starts: &[u64]) {
        for member in &def.members {
            let Member::Field(f) = member else { continue };
            let (Some(c), TypeKind::Int { width, endian, .. }) = (&f.checksum, &f.ty.kind) else { continue };
            let Some(index) = value.fields.iter().position(|(n, _)| *n == f.name.name) else { continue };
            let (Some(&start), Some(found)) = (starts.get(index), value.fields[index].1.as_int()) else { continue };
            let field_path = format!("{path}.{}", f.name.name);
            let ctx = expr::Ctx::fields(&value.fields, def);
            let (from, to) = match (self.eval(&c.from, &ctx), self.eval(&c.to, &ctx)) {
                (Ok(from), Ok(to)) => (from, to),
                (Err(e), _) | (_, Err(e)) => {
                    self.fault(&field_path, start, FaultKind::Eval(e));
                    continue;
                }
            };
            // A size that could not be computed was reported already.
            let Some(size) = size else { continue };
            let range = (from <= to && to <= size)
                .then(|| Some(value.offset.checked_add(from)?..value.offset.checked_add(to)?))
                .flatten()
                .and_then(|r| Some(usize::try_from(r.start).ok()?..usize::try_from(r.end).ok()?));
            let Some(mut bytes) = range.and_then(|r| self.image.get(r)).map(<[u8]>::to_vec) else {
                self.fault(&field_path, start, FaultKind::ChecksumRange { from, to, size });
                continue;
            };
            let base = value.offset.saturating_add(from);
            for k in start..start.saturating_add(width.bytes()) {
                if let Some(b) =
                    k.checked_sub(base).and_then(|i| usize::try_from(i).ok()).and_then(|i| bytes.get_mut(i))
                {
                    *b = 0;
                }
            }
            let Some(expected) = crate::crc::checksum(&c.algorithm.name, &bytes) else { continue };
            if expected != found {
                let kind = FaultKind::BadChecksum {
                    algorithm: c.algorithm.name.clone(),
                    found,
                    expected,
                    width: width.bytes(),
                    big_endian: self.layout.endian(*endian) == Endian::Big,
                };
                self.fault(&field_path, start, kind);
            }
        }
    }

    /// Magic constants and feature gates of one decoded field.
    fn check_field(&mut self, f: &'a Field, value: &Value, offset: u64, path: &str) {
        let Some(found) = value.as_int() else { return };
        if let Some(magic) = &f.magic {
            if let Ok(expected) = self.eval(magic, &expr::Ctx::global()) {
                if found != expected {
                    self.fault(path, offset, FaultKind::BadMagic { found, expected });
                }
            }
        }
        if let TypeKind::Int { sub: SubFields::Flags { gate: true, flags }, .. } = &f.ty.kind {
            let mut known = 0u64;
            for flag in flags {
                known |= flag.mask;
                if flag.unsupported && found & flag.mask != 0 {
                    let kind = FaultKind::UnsupportedFeature { name: Some(flag.name.name.clone()), mask: flag.mask };
                    self.fault(path, offset, kind);
                }
            }
            if found & !known != 0 {
                self.fault(path, offset, FaultKind::UnsupportedFeature { name: None, mask: found & !known });
            }
        }
    }

    /// Turns pointer fields' integers into [`Value::Pointer`]s, evaluating
    /// `when` and `via` with all fields of the structure in scope.
    fn resolve_pointers(&mut self, def: &'a StructDef, path: &str, value: &mut StructValue, starts: &[u64]) {
        for member in &def.members {
            let Member::Field(f) = member else { continue };
            let Some(pointer) = &f.pointer else { continue };
            let Some(index) = value.fields.iter().position(|(n, _)| *n == f.name.name) else { continue };
            let Some(&start) = starts.get(index) else { continue };
            let width = match &f.ty.kind {
                TypeKind::Array { elem, .. } => match elem.kind {
                    TypeKind::Int { width, .. } => width.bytes(),
                    _ => 0,
                },
                _ => 0,
            };
            let field_path = format!("{path}.{}", f.name.name);
            let raw = std::mem::replace(&mut value.fields[index].1, Value::Missing);
            let resolved = match raw {
                Value::Int(n) => self.pointer(pointer, n, def, &value.fields, &field_path, start),
                Value::Array(items) => Value::Array(
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(i, item)| match item {
                            Value::Int(n) => {
                                let p = format!("{field_path}[{i}]");
                                let at = start.saturating_add((i as u64).saturating_mul(width));
                                self.pointer(pointer, n, def, &value.fields, &p, at)
                            }
                            other => other,
                        })
                        .collect(),
                ),
                other => other,
            };
            value.fields[index].1 = resolved;
        }
    }

    fn pointer(
        &mut self,
        pointer: &'a Pointer,
        raw: u64,
        def: &'a StructDef,
        fields: &[(String, Value)],
        path: &str,
        at: u64,
    ) -> Value {
        let ctx = expr::Ctx { it: Some(raw), ..expr::Ctx::fields(fields, def) };
        let follow = match &pointer.when {
            None => Ok(1),
            Some(when) => self.eval(when, &ctx),
        };
        let addr = match follow {
            Ok(0) => return Value::Pointer { raw, at, target: None },
            Ok(_) => match &pointer.via {
                None => Ok(raw),
                Some(via) => self.call_addr(&via.name, raw),
            },
            Err(e) => Err(e),
        };
        let claim = match &pointer.claim {
            None => Ok(None),
            Some(claim) => {
                let count = match &claim.count {
                    None => Ok(1),
                    Some(count) => self.eval(count, &ctx),
                };
                count.map(|count| Some(Claimed { owns: claim.owns, space: claim.space.name.clone(), count }))
            }
        };
        match addr.and_then(|addr| Ok((addr, claim?))) {
            Ok((addr, claim)) => {
                Value::Pointer { raw, at, target: Some(Target { ty: pointer.target.name.clone(), addr, claim }) }
            }
            Err(e) => {
                self.fault(path, at, FaultKind::Eval(e));
                Value::Pointer { raw, at, target: None }
            }
        }
    }

    fn decode_type(
        &mut self,
        ty: &'a Type,
        offset: u64,
        path: &str,
        fields: &[(String, Value)],
        def: Option<&'a StructDef>,
        limit: Option<u64>,
    ) -> Decoded {
        if !self.spend(path, offset) {
            return Decoded::stop(Value::Missing);
        }
        match &ty.kind {
            TypeKind::Int { width, endian, .. } => {
                let endian = self.layout.endian(*endian);
                match self.read_int(offset, *width, endian, path) {
                    Some(n) => Decoded { value: Value::Int(n), size: Some(width.bytes()) },
                    None => Decoded::stop(Value::Missing),
                }
            }
            TypeKind::Named(name) => match self.layout.struct_def(&name.name) {
                Some(inner) => self.decode_struct(inner, offset, path),
                None => {
                    let e = EvalError::Unknown { name: name.name.clone() };
                    self.fault(path, offset, FaultKind::Eval(e));
                    Decoded::stop(Value::Missing)
                }
            },
            TypeKind::Array { elem, len: Length::Expr(len) } => {
                let ctx = match def {
                    Some(def) => expr::Ctx::fields(fields, def),
                    None => expr::Ctx::global(),
                };
                match self.eval(len, &ctx) {
                    Ok(n) => self.decode_array(elem, n, offset, path, fields, def),
                    Err(e) => {
                        self.fault(path, offset, FaultKind::Eval(e));
                        Decoded::stop(Value::Missing)
                    }
                }
            }
            TypeKind::Array { elem, len: Length::Fill(_) } => self.decode_fill(elem, offset, path, limit),
            TypeKind::Select { selector, arms } => {
                let ctx = match def {
                    Some(def) => expr::Ctx::fields(fields, def),
                    None => expr::Ctx::global(),
                };
                let selected = match self.eval(selector, &ctx) {
                    Ok(value) => value,
                    Err(e) => {
                        self.fault(path, offset, FaultKind::Eval(e));
                        return Decoded::stop(Value::Missing);
                    }
                };
                let arm = arms
                    .iter()
                    .find(|arm| arm.label.as_ref().is_some_and(|l| self.eval(l, &expr::Ctx::global()) == Ok(selected)))
                    .or_else(|| arms.iter().find(|arm| arm.label.is_none()));
                let Some(arm) = arm else {
                    self.fault(path, offset, FaultKind::NoArm { value: selected });
                    return Decoded::stop(Value::Missing);
                };
                let arm_path = format!("{path}.{}", arm.name.name);
                let d = self.decode_type(&arm.ty, offset, &arm_path, fields, def, limit);
                Decoded { value: Value::Variant { arm: arm.name.name.clone(), value: Box::new(d.value) }, size: d.size }
            }
        }
    }

    fn decode_array(
        &mut self,
        elem: &'a Type,
        n: u64,
        offset: u64,
        path: &str,
        fields: &[(String, Value)],
        def: Option<&'a StructDef>,
    ) -> Decoded {
        if let TypeKind::Int { width, endian, .. } = &elem.kind {
            // Check the whole extent first: a corrupt length must not allocate.
            let Some(total) = n.checked_mul(width.bytes()) else {
                self.fault(path, offset, FaultKind::Eval(EvalError::Arith(ArithError::Overflow)));
                return Decoded::stop(Value::Missing);
            };
            let Some(bytes) = self.bytes(offset, total, path) else { return Decoded::stop(Value::Missing) };
            if *width == Width::U8 {
                return Decoded { value: Value::Bytes(bytes.to_vec()), size: Some(total) };
            }
            let endian = self.layout.endian(*endian);
            let fold = |acc: u64, b: &u8| (acc << 8) | u64::from(*b);
            let items = bytes
                .chunks_exact(width.bytes() as usize)
                .map(|chunk| {
                    Value::Int(match endian {
                        Endian::Big => chunk.iter().fold(0, fold),
                        Endian::Little => chunk.iter().rev().fold(0, fold),
                    })
                })
                .collect();
            return Decoded { value: Value::Array(items), size: Some(total) };
        }
        let mut items = Vec::new();
        let mut cursor = offset;
        for i in 0..n {
            let item_path = format!("{path}[{i}]");
            if cursor > self.image.len() as u64 {
                self.fault(&item_path, cursor, FaultKind::OutOfBounds { need: 1, image_len: self.image.len() as u64 });
                return Decoded::stop(Value::Array(items));
            }
            let d = self.decode_type(elem, cursor, &item_path, fields, def, None);
            items.push(d.value);
            match d.size.and_then(|s| cursor.checked_add(s)) {
                Some(next) => cursor = next,
                None => return Decoded::stop(Value::Array(items)),
            }
        }
        Decoded { value: Value::Array(items), size: Some(cursor - offset) }
    }

    /// `[T; ..]`: entries up to `limit`, the end of the enclosing structure.
    fn decode_fill(&mut self, elem: &'a Type, offset: u64, path: &str, limit: Option<u64>) -> Decoded {
        let Some(limit) = limit else {
            // The checker guarantees a size; an unevaluable one was reported.
            return Decoded::stop(Value::Missing);
        };
        let mut items = Vec::new();
        let mut cursor = offset;
        let mut i = 0u64;
        while cursor < limit {
            let item_path = format!("{path}[{i}]");
            let d = self.decode_type(elem, cursor, &item_path, &[], None, None);
            items.push(d.value);
            let Some(size) = d.size else { return Decoded::stop(Value::Array(items)) };
            if size == 0 {
                self.fault(&item_path, cursor, FaultKind::ZeroSizeEntry);
                return Decoded::stop(Value::Array(items));
            }
            let end = cursor.saturating_add(size);
            if end > limit {
                self.fault(&item_path, cursor, FaultKind::Overrun { end, limit });
                return Decoded::stop(Value::Array(items));
            }
            cursor = end;
            i += 1;
        }
        Decoded { value: Value::Array(items), size: Some(cursor.saturating_sub(offset)) }
    }
}

/// Whether a struct's size expression reads the struct's own fields.
fn reads_own_fields(def: &StructDef, size: &Expr) -> bool {
    let mut names = Vec::new();
    size.names(&mut names);
    names.iter().any(|(n, _)| crate::check::field_index(def, n).is_some())
}

/// What a global name is, for the expression evaluator.
pub(crate) fn global<'a>(layout: &'a Checked, name: &str) -> Option<Global<'a>> {
    layout.global(name)
}
