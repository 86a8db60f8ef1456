//! Writing integer fields of an image (`ddsl set`, `ddsl alloc --into`),
//! keeping what the layout derives consistent.
//!
//! Consumes a checked layout, image bytes and a field named by the path the
//! other tools print (`gdt[0].bg_free_blocks_count`,
//! `gdt[0].bg_inode_table.inodes[11].i_block.file.direct[3]`,
//! `inodes#12.i_links_count`); produces the [`Fix`]es to write — the
//! field's bytes, then every checksum of the structures holding it — or a
//! [`WriteError`] naming the path and byte offset. Nothing is written
//! here: the caller applies the fixes in one write ([`fsck::apply`]).
//!
//! A path is resolved by decoding: from a root (or a unit `space#n`
//! through a `links` item), each `.name` is a field, a chosen `select` arm
//! or a bit field (`bits`, `flags`), each `[i]` an array item, and a live
//! pointer followed by more of the path leads to its target. Fields the
//! layout computes are refused: magic constants, checksums, array lengths
//! and structure sizes, and `free` counters. `alloc --into` also checks,
//! before anything is written, that `ddsl fsck` finds the result clean.

use crate::check::{Checked, Global};
use crate::decode::{Decoder, StructValue, Value};
use crate::fsck::{self, Fix};
use crate::syntax::ast::*;
use std::fmt;

/// Why a field cannot be written, where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteError {
    /// The path (or the prefix of it) where resolving or writing stopped.
    pub path: String,
    pub offset: Option<u64>,
    pub message: String,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(offset) => write!(f, "`{}` (byte {offset}): {}", self.path, self.message),
            None => write!(f, "`{}`: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for WriteError {}

fn error(path: &str, offset: Option<u64>, message: impl Into<String>) -> WriteError {
    WriteError { path: path.to_owned(), offset, message: message.into() }
}

/// Which bits of its word a field is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Whole,
    /// A `bits` field: `width` bits from bit `shift`.
    Bits {
        shift: u64,
        width: u64,
    },
    /// A `flags` bit: 1 when every bit of `mask` is set.
    Flag {
        mask: u64,
    },
}

/// A structure holding a field by value (so covering its bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Holder {
    ty: String,
    offset: u64,
    path: String,
}

/// An integer field resolved in an image.
#[derive(Clone, Debug)]
pub struct FieldRef {
    pub path: String,
    /// Byte offset of the field's word.
    pub offset: u64,
    /// The word's bytes and byte order.
    pub width: u64,
    pub big_endian: bool,
    pub part: Part,
    /// The whole word as it is now.
    pub word: u64,
    /// What makes the layout compute the field, if it does.
    pub derived: Option<String>,
    /// When the field is a pointer: the space its claim is on (`owns` or
    /// `refs`) and whether it is live (leads somewhere) now.
    pub pointer: Option<PointerField>,
    /// Structures holding the field, outermost first.
    holders: Vec<Holder>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PointerField {
    pub claim: Option<(bool, String)>,
    pub live: bool,
}

impl FieldRef {
    /// The field's value now.
    pub fn value(&self) -> u64 {
        match self.part {
            Part::Whole => self.word,
            Part::Bits { shift, width } => shr(self.word, shift) & mask(width),
            Part::Flag { mask } => u64::from(self.word & mask == mask),
        }
    }

    /// Refuses a field the layout computes.
    pub fn writable(&self) -> Result<(), WriteError> {
        match &self.derived {
            Some(derived) => Err(error(&self.path, Some(self.offset), format!("{derived}; it is not written by hand"))),
            None => Ok(()),
        }
    }

    /// The bytes that give the field `value`; refuses derived fields and
    /// values that do not fit.
    pub fn write(&self, value: u64) -> Result<Fix, WriteError> {
        let here = |message: String| error(&self.path, Some(self.offset), message);
        self.writable()?;
        let word = match self.part {
            Part::Whole => {
                let max = mask(self.width * 8);
                if value > max {
                    return Err(here(format!("{value} does not fit in a u{} (at most {max})", self.width * 8)));
                }
                value
            }
            Part::Bits { shift, width } => {
                if value > mask(width) {
                    let max = mask(width);
                    return Err(here(format!("{value} does not fit in a bit field of {width} bits (at most {max})")));
                }
                (self.word & !shl(mask(width), shift)) | shl(value, shift)
            }
            Part::Flag { mask } => match value {
                0 => self.word & !mask,
                1 => self.word | mask,
                _ => return Err(here(format!("{value} is not a flag value (0 or 1)"))),
            },
        };
        Ok(Fix {
            path: self.path.clone(),
            offset: self.offset,
            bytes: fsck::encode_word(word, self.width, self.big_endian),
        })
    }
}

/// `n << by`, 0 once every bit is shifted out (a zero-width bit field may
/// sit at bit 64).
fn shl(n: u64, by: u64) -> u64 {
    u32::try_from(by).ok().and_then(|by| n.checked_shl(by)).unwrap_or(0)
}

fn shr(n: u64, by: u64) -> u64 {
    u32::try_from(by).ok().and_then(|by| n.checked_shr(by)).unwrap_or(0)
}

/// The `width` low bits set.
fn mask(width: u64) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1 << width) - 1
    }
}

/// A number as written on a command line: decimal, `0x`, `0o` or `0b`.
pub fn parse_value(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, radix) = match t.get(..2) {
        Some("0x" | "0X") => (&t[2..], 16),
        Some("0o" | "0O") => (&t[2..], 8),
        Some("0b" | "0B") => (&t[2..], 2),
        _ => (t, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(format!("`{text}` is not a number (decimal, 0x, 0o or 0b; no sign)"));
    }
    u64::from_str_radix(digits, radix).map_err(|_| format!("`{text}` does not fit in 64 bits"))
}

/// The fixes that set the field at `path` to `value`: its bytes, then the
/// checksums of the structures holding it, recomputed.
pub fn set(layout: &Checked, image: &[u8], path: &str, value: u64) -> Result<Vec<Fix>, WriteError> {
    let field = resolve(layout, image, path)?;
    let mut fixes = vec![field.write(value)?];
    let mut out = image.to_vec();
    apply(&mut out, &fixes)?;
    fixes.extend(checksums(layout, &mut out, &field.holders)?);
    Ok(fixes)
}

/// Allocates a unit of `space` ([`fsck::allocate`]) and writes its number
/// into the pointer at `path`, which must claim units of `space` and lead
/// nowhere now. Returns the unit and every fix — bitmap bit, `free`
/// counters, the pointer, checksums over them — once `fsck` finds the
/// image with them applied clean; otherwise the first problem is the error.
pub fn alloc_into(
    layout: &Checked,
    image: &[u8],
    space: &str,
    path: &str,
    max_nodes: usize,
) -> Result<(u64, Vec<Fix>), WriteError> {
    let field = resolve(layout, image, path)?;
    field.writable()?;
    let here = |message: String| error(&field.path, Some(field.offset), message);
    match &field.pointer {
        Some(PointerField { claim: Some((_, claimed)), live: false }) if claimed == space => {}
        Some(PointerField { claim: Some((_, claimed)), live: false }) => {
            return Err(here(format!("points into {claimed}, not {space}")));
        }
        Some(PointerField { claim: Some(_), live: true }) => {
            let message = format!("already points to {space}#{}; writing over it would lose that unit", field.value());
            return Err(here(message));
        }
        _ => return Err(here(format!("is not a pointer that owns or refers to units of {space}"))),
    }
    let allocation = fsck::allocate(layout, image, space, max_nodes)
        .map_err(|reason| error(&field.path, Some(field.offset), format!("cannot allocate: {reason}")))?;
    let mut fixes = allocation.fixes.clone();
    fixes.push(field.write(allocation.unit)?);
    let mut out = image.to_vec();
    apply(&mut out, &fixes)?;
    fixes.extend(checksums(layout, &mut out, &field.holders)?);
    for counter in &allocation.fixes {
        if let Ok(at) = resolve(layout, &out, &counter.path) {
            fixes.extend(checksums(layout, &mut out, &at.holders)?);
        }
    }
    let report = fsck::fsck(layout, &out, max_nodes);
    if let Some(first) = report.violations.first() {
        let message = format!(
            "writing {space}#{} here would leave the image inconsistent ({} problems, the first: {first}); nothing written",
            allocation.unit,
            report.violations.len()
        );
        return Err(here(message));
    }
    Ok((allocation.unit, fixes))
}

fn apply(image: &mut [u8], fixes: &[Fix]) -> Result<(), WriteError> {
    fsck::apply(image, fixes).map_err(|f| error(&f.path, Some(f.offset), "lies outside the image"))
}

/// Recomputes every checksum field of `holders`, innermost first (an outer
/// checksum may cover an inner one), in `image`; returns the fixes.
fn checksums(layout: &Checked, image: &mut [u8], holders: &[Holder]) -> Result<Vec<Fix>, WriteError> {
    let mut out = Vec::new();
    for holder in holders.iter().rev() {
        let Some(def) = layout.struct_def(&holder.ty) else { continue };
        let sums: Vec<String> =
            fields(def).filter(|f| f.checksum.is_some()).map(|f| format!("{}.{}", holder.path, f.name.name)).collect();
        if sums.is_empty() {
            continue;
        }
        let fixes = {
            let mut decoder = Decoder::new(layout, image);
            decoder.decode_roots();
            let before = decoder.faults().len();
            decoder.decode_struct_at(&holder.ty, holder.offset, &holder.path);
            let faults = decoder.faults().get(before..).unwrap_or_default();
            fsck::checksum_fixes(faults).into_iter().filter(|f| sums.contains(&f.path)).collect::<Vec<_>>()
        };
        apply(image, &fixes)?;
        out.extend(fixes);
    }
    Ok(out)
}

fn fields(def: &StructDef) -> impl Iterator<Item = &Field> {
    def.members.iter().filter_map(|m| match m {
        Member::Field(f) => Some(&**f),
        _ => None,
    })
}

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Name(String),
    Index(u64),
}

/// Splits `root.a[3].b` (or `space#12.a`) into its start and steps.
fn parse_path(text: &str) -> Result<(String, Option<u64>, Vec<Step>), WriteError> {
    let bad = |at: usize, what: &str| error(text, None, format!("{what} at character {}", at + 1));
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let ident = |i: &mut usize| {
        let start = *i;
        while chars.get(*i).is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_') {
            *i += 1;
        }
        let name: String = chars[start..*i].iter().collect();
        (!name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit())).then_some(name)
    };
    let number = |i: &mut usize| {
        let start = *i;
        while chars.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>().parse::<u64>().ok()
    };
    let Some(start) = ident(&mut i) else { return Err(bad(i, "expected a root or space name")) };
    let mut unit = None;
    if chars.get(i) == Some(&'#') {
        i += 1;
        unit = Some(number(&mut i).ok_or_else(|| bad(i, "expected a unit number after `#`"))?);
    }
    let mut steps = Vec::new();
    while let Some(c) = chars.get(i) {
        i += 1;
        match c {
            '.' => steps.push(Step::Name(ident(&mut i).ok_or_else(|| bad(i, "expected a field name after `.`"))?)),
            '[' => {
                let n = number(&mut i).ok_or_else(|| bad(i, "expected an index after `[`"))?;
                if chars.get(i) != Some(&']') {
                    return Err(bad(i, "expected `]`"));
                }
                i += 1;
                steps.push(Step::Index(n));
            }
            _ => return Err(bad(i - 1, &format!("unexpected `{c}`"))),
        }
    }
    Ok((start, unit, steps))
}

/// Where a path has got to.
struct Cursor<'a> {
    path: String,
    value: Value,
    /// The type of a value that is not a structure.
    ty: Option<&'a Type>,
    offset: Option<u64>,
    /// The field declaration the value belongs to, in its structure.
    field: Option<(&'a Field, &'a StructDef)>,
    part: Part,
    holders: Vec<Holder>,
    /// Set while at a root (or an item of a root array): its name.
    at_root: Option<String>,
    /// `(root, field)` when the path is `root.field` or `root[i].field`.
    global: Option<(String, String)>,
}

/// Resolves `path` to an integer field of `image`.
pub fn resolve(layout: &Checked, image: &[u8], path: &str) -> Result<FieldRef, WriteError> {
    let (start, unit, steps) = parse_path(path)?;
    let mut decoder = Decoder::new(layout, image);
    let roots = decoder.decode_roots();
    let mut cur = match unit {
        None => {
            let Some(root) = roots.iter().find(|r| r.name == start) else {
                let names: Vec<String> = roots.iter().map(|r| format!("`{}`", r.name)).collect();
                return Err(error(&start, None, format!("no root `{start}` (the roots: {})", names.join(", "))));
            };
            let ty = layout.roots().find(|r| r.name.name == start).map(|r| &r.ty);
            Cursor {
                path: start.clone(),
                value: root.value.clone(),
                ty,
                offset: root.offset,
                field: None,
                part: Part::Whole,
                holders: Vec::new(),
                at_root: Some(start.clone()),
                global: None,
            }
        }
        Some(n) => unit_struct(layout, &mut decoder, &start, n)?,
    };
    for step in &steps {
        cur = Walker { layout, decoder: &mut decoder }.step(cur, step)?;
    }
    finish(layout, cur)
}

/// The structure a `links` item puts at unit `n` of `space`.
fn unit_struct<'a>(
    layout: &'a Checked,
    decoder: &mut Decoder<'a>,
    space: &str,
    n: u64,
) -> Result<Cursor<'a>, WriteError> {
    let path = format!("{space}#{n}");
    let links = layout.layout.items.iter().find_map(|item| match item {
        Item::Links(def) if def.space.name == space => Some(def),
        _ => None,
    });
    let Some(links) = links else {
        return Err(error(&path, None, format!("no `links` item says which structure a unit of `{space}` is")));
    };
    let addr = decoder.address(&links.via.name, n).map_err(|e| error(&path, None, e.to_string()))?;
    let value = decoder.decode_struct_at(&links.ty.name, addr, &path);
    Ok(Cursor {
        path,
        value,
        ty: None,
        offset: Some(addr),
        field: None,
        part: Part::Whole,
        holders: Vec::new(),
        at_root: None,
        global: None,
    })
}

struct Walker<'d, 'a> {
    layout: &'a Checked,
    decoder: &'d mut Decoder<'a>,
}

impl<'a> Walker<'_, 'a> {
    fn step(&mut self, cur: Cursor<'a>, step: &Step) -> Result<Cursor<'a>, WriteError> {
        let here = |message: String| error(&cur.path, cur.offset, message);
        if cur.part != Part::Whole {
            return Err(here("is a bit field; it has no parts".to_owned()));
        }
        match (&cur.value, step) {
            (Value::Pointer { target: Some(t), .. }, _) => {
                let value = self.decoder.decode_struct_at(&t.ty, t.addr, &cur.path);
                let target = Cursor {
                    value,
                    ty: None,
                    offset: Some(t.addr),
                    field: None,
                    holders: Vec::new(),
                    at_root: None,
                    global: None,
                    ..cur
                };
                self.step(target, step)
            }
            (Value::Pointer { raw, .. }, _) => Err(here(format!(
                "is a pointer that leads nowhere ({raw}: its `when` is false or its address unknown)"
            ))),
            (Value::Missing, _) => Err(here("could not be decoded (`ddsl fsck` says why)".to_owned())),
            (Value::Struct(s), Step::Name(name)) => self.member(&cur, s, name),
            (Value::Variant { arm, value }, Step::Name(name)) => {
                let Some(TypeKind::Select { arms, .. }) = cur.ty.map(|t| &t.kind) else {
                    return Err(here("is a select of unknown type".to_owned()));
                };
                if arm != name {
                    let names: Vec<String> = arms.iter().map(|a| format!("`{}`", a.name.name)).collect();
                    let message = if arms.iter().any(|a| a.name.name == *name) {
                        format!("holds `{arm}`, not `{name}` (the arm its select chose)")
                    } else {
                        format!("has no arm `{name}` (the arms: {})", names.join(", "))
                    };
                    return Err(here(message));
                }
                let ty = arms.iter().find(|a| a.name.name == *arm).map(|a| &a.ty);
                let value = (**value).clone();
                Ok(Cursor { path: format!("{}.{name}", cur.path), value, ty, at_root: None, ..cur })
            }
            (Value::Int(word), Step::Name(name)) => {
                let part =
                    sub_field(cur.ty, name).ok_or_else(|| here(format!("is an integer with no part `{name}`")))?;
                let value = Value::Int(*word);
                Ok(Cursor { path: format!("{}.{name}", cur.path), value, part, ..cur })
            }
            (Value::Array(_) | Value::Bytes(_), Step::Index(i)) => self.item(cur, *i),
            (Value::Struct(s), Step::Index(_)) => Err(here(format!("is a `{}`, not an array", s.name))),
            (Value::Array(_) | Value::Bytes(_), Step::Name(name)) => {
                Err(here(format!("is an array; it has no field `{name}` (an item is `[i]`)")))
            }
            (Value::Int(_) | Value::Variant { .. }, Step::Index(_)) => Err(here("is not an array".to_owned())),
        }
    }

    fn member(&mut self, cur: &Cursor<'a>, s: &StructValue, name: &str) -> Result<Cursor<'a>, WriteError> {
        let path = format!("{}.{name}", cur.path);
        let def = self.layout.struct_def(&s.name).ok_or_else(|| error(&cur.path, cur.offset, "unknown structure"))?;
        let Some(f) = fields(def).find(|f| f.name.name == name) else {
            let names: Vec<&str> = fields(def).map(|f| f.name.name.as_str()).collect();
            let message = format!("`{}` has no field `{name}` (its fields: {})", s.name, names.join(", "));
            return Err(error(&cur.path, Some(s.offset), message));
        };
        let offset = self.field_offset(def, s, name);
        let value = s.field(name).cloned().unwrap_or(Value::Missing);
        let mut holders = cur.holders.clone();
        holders.push(Holder { ty: s.name.clone(), offset: s.offset, path: cur.path.clone() });
        Ok(Cursor {
            path,
            value,
            ty: Some(&f.ty),
            offset,
            field: Some((f, def)),
            part: Part::Whole,
            holders,
            at_root: None,
            global: cur.at_root.clone().map(|root| (root, name.to_owned())),
        })
    }

    fn item(&mut self, cur: Cursor<'a>, i: u64) -> Result<Cursor<'a>, WriteError> {
        let here = |message: String| error(&cur.path, cur.offset, message);
        let Some(TypeKind::Array { elem, .. }) = cur.ty.map(|t| &t.kind) else {
            return Err(here("is an array of unknown type".to_owned()));
        };
        let (value, len) = match &cur.value {
            Value::Bytes(bytes) => {
                (usize::try_from(i).ok().and_then(|i| bytes.get(i)).map(|b| Value::Int(u64::from(*b))), bytes.len())
            }
            Value::Array(items) => (usize::try_from(i).ok().and_then(|i| items.get(i)).cloned(), items.len()),
            _ => (None, 0),
        };
        let Some(value) = value else { return Err(here(format!("index {i} is past the end ({len} items)"))) };
        let offset = match (&value, &elem.kind, cur.offset) {
            (Value::Struct(s), _, _) => Some(s.offset),
            (_, TypeKind::Int { width, .. }, Some(start)) => {
                i.checked_mul(width.bytes()).and_then(|o| start.checked_add(o))
            }
            (_, _, Some(start)) => match &cur.value {
                Value::Array(items) => items
                    .iter()
                    .take(i as usize)
                    .try_fold(start, |at, item| value_size(elem, item).and_then(|n| at.checked_add(n))),
                _ => None,
            },
            _ => None,
        };
        let at_root = cur.at_root.clone().filter(|_| cur.field.is_none());
        Ok(Cursor { path: format!("{}[{i}]", cur.path), value, ty: Some(elem), offset, at_root, ..cur })
    }

    /// Where field `name` of `s` starts: the fields before it added up
    /// (as the decoder read them), else its `@` offset.
    fn field_offset(&self, def: &'a StructDef, s: &StructValue, name: &str) -> Option<u64> {
        let mut cursor = Some(s.offset);
        for member in &def.members {
            match member {
                Member::Field(f) => {
                    let start = cursor.or_else(|| f.offset.and_then(|(o, _)| s.offset.checked_add(o)));
                    if f.name.name == name {
                        return start;
                    }
                    let size = s.field(&f.name.name).and_then(|v| value_size(&f.ty, v));
                    cursor = start.zip(size).and_then(|(a, b)| a.checked_add(b));
                }
                Member::Pad { len, .. } => {
                    let len = self.decoder.eval_global(len, None, None).ok();
                    cursor = cursor.zip(len).and_then(|(a, b)| a.checked_add(b));
                }
                Member::Assert { .. } => {}
            }
        }
        None
    }
}

/// A `bits` field or `flags` bit of an integer type.
fn sub_field(ty: Option<&Type>, name: &str) -> Option<Part> {
    let Some(TypeKind::Int { sub, .. }) = ty.map(|t| &t.kind) else { return None };
    match sub {
        SubFields::None => None,
        SubFields::Bits(bits) => {
            let mut shift = 0;
            for b in bits {
                if b.name.name == name {
                    return Some(Part::Bits { shift, width: b.width });
                }
                shift = shift.saturating_add(b.width);
            }
            None
        }
        SubFields::Flags { flags, .. } => {
            flags.iter().find(|f| f.name.name == name).map(|f| Part::Flag { mask: f.mask })
        }
    }
}

/// The bytes a decoded value of type `ty` takes.
fn value_size(ty: &Type, value: &Value) -> Option<u64> {
    match (&ty.kind, value) {
        (TypeKind::Int { width, .. }, _) => Some(width.bytes()),
        (_, Value::Struct(s)) => s.size,
        (TypeKind::Array { .. }, Value::Bytes(bytes)) => Some(bytes.len() as u64),
        (TypeKind::Array { elem, .. }, Value::Array(items)) => {
            items.iter().try_fold(0u64, |n, item| n.checked_add(value_size(elem, item)?))
        }
        (TypeKind::Select { arms, .. }, Value::Variant { arm, value }) => {
            let arm = arms.iter().find(|a| a.name.name == *arm)?;
            value_size(&arm.ty, value)
        }
        _ => None,
    }
}

/// The resolved cursor as an integer field, with what derives it.
fn finish(layout: &Checked, cur: Cursor<'_>) -> Result<FieldRef, WriteError> {
    let here = |message: String| error(&cur.path, cur.offset, message);
    let (word, pointer) = match &cur.value {
        Value::Int(n) => (*n, None),
        Value::Pointer { raw, target, .. } => (*raw, Some(target.is_some())),
        Value::Struct(s) => return Err(here(format!("is a `{}` structure, not an integer field", s.name))),
        Value::Array(_) | Value::Bytes(_) => return Err(here("is an array, not an integer field".to_owned())),
        Value::Variant { arm, .. } => return Err(here(format!("is a select (holding `{arm}`), not an integer field"))),
        Value::Missing => return Err(here("could not be decoded (`ddsl fsck` says why)".to_owned())),
    };
    let Some(TypeKind::Int { width, endian, .. }) = cur.ty.map(|t| &t.kind) else {
        return Err(here("is not an integer field".to_owned()));
    };
    let Some(offset) = cur.offset else {
        return Err(here("its byte offset cannot be worked out (a `pad` whose length reads fields)".to_owned()));
    };
    let pointer = pointer.map(|live| PointerField {
        claim: cur.field.and_then(|(f, _)| f.pointer.as_ref()?.claim.as_ref().map(|c| (c.owns, c.space.name.clone()))),
        live,
    });
    Ok(FieldRef {
        derived: derived(layout, &cur),
        path: cur.path,
        offset,
        width: width.bytes(),
        big_endian: layout.endian(*endian) == Endian::Big,
        part: cur.part,
        word,
        pointer,
        holders: cur.holders,
    })
}

/// Why the layout computes the field at `cur`, if it does.
fn derived(layout: &Checked, cur: &Cursor<'_>) -> Option<String> {
    let (f, def) = cur.field?;
    let name = f.name.name.as_str();
    if let Some(magic) = &f.magic {
        let value = match magic.kind {
            ExprKind::Int(n) => format!(" {n:#x}"),
            _ => String::new(),
        };
        return Some(format!("is a magic constant{value}, fixed by the layout"));
    }
    if let Some(c) = &f.checksum {
        return Some(format!(
            "is a {} checksum, computed from the bytes it covers (written with them)",
            c.algorithm.name
        ));
    }
    let mut names = Vec::new();
    for e in lengths(def) {
        e.names(&mut names);
    }
    if names.iter().any(|(n, _)| n == name) {
        return Some(format!("gives the length or size of part of its `{}`", def.name.name));
    }
    let (root, field) = cur.global.as_ref()?;
    for item in &layout.layout.items {
        if let Item::Free(free) = item {
            if reads_field(layout, &free.value, root, field, 0) {
                return Some(format!(
                    "is a `free` counter of {} (`ddsl alloc` and `fsck --fix` compute it)",
                    free.space.name
                ));
            }
        }
    }
    let in_lengths = layout.layout.items.iter().any(|item| match item {
        Item::Struct(d) => lengths(d).iter().any(|e| reads_field(layout, e, root, field, 0)),
        Item::Root(r) => type_lengths(&r.ty).iter().any(|e| reads_field(layout, e, root, field, 0)),
        _ => false,
    });
    in_lengths.then(|| "gives the length or size of structures of the layout".to_owned())
}

/// The array lengths and the size clause of a structure.
fn lengths(def: &StructDef) -> Vec<&Expr> {
    let mut out: Vec<&Expr> = def.size.iter().collect();
    for f in fields(def) {
        out.extend(type_lengths(&f.ty));
    }
    out
}

fn type_lengths(ty: &Type) -> Vec<&Expr> {
    match &ty.kind {
        TypeKind::Array { elem, len } => {
            let mut out = type_lengths(elem);
            if let Length::Expr(e) = len {
                out.push(e);
            }
            out
        }
        TypeKind::Select { arms, .. } => arms.iter().flat_map(|a| type_lengths(&a.ty)).collect(),
        TypeKind::Int { .. } | TypeKind::Named(_) => Vec::new(),
    }
}

/// Whether `e` reads `root.field` or `root[i].field`, directly or through
/// constants.
fn reads_field(layout: &Checked, e: &Expr, root: &str, field: &str, depth: u32) -> bool {
    if depth > 32 {
        return false;
    }
    let again = |e: &Expr| reads_field(layout, e, root, field, depth + 1);
    match &e.kind {
        ExprKind::Member(base, name) => {
            let named = match &base.kind {
                ExprKind::Name(n) => n == root,
                ExprKind::Index(a, _) => matches!(&a.kind, ExprKind::Name(n) if n == root),
                _ => false,
            };
            (named && name.name == field) || again(base)
        }
        ExprKind::Name(n) => match layout.global(n) {
            Some(Global::Const(c)) => again(&c.value),
            _ => false,
        },
        ExprKind::Int(_) | ExprKind::It => false,
        ExprKind::Unary(_, a) => again(a),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => again(a) || again(b),
        ExprKind::Call(_, args) => args.iter().any(again),
    }
}
