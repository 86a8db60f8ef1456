//! CDSL field bindings over a program's own word access (`ddsl gen --emit
//! cdsl-fields`): a checked layout to plain CDSL *definitions* that read and
//! write its structs' fields where they lie, through word functions the
//! program declares (each an [`Interface`]). On a block device
//! (`block=Dev,dev_le,dev_set`):
//!
//! ```text
//! dev_le8, dev_le16, dev_le32 : (Dev!, U32, U32) -> U32          -- (dev, block, byte)
//! dev_set8, dev_set16, dev_set32 : (Dev, U32, U32, U32) -> Dev   -- low bytes of the value
//! ```
//!
//! or in a byte buffer (`bytes=Buf,le,set`: `le16 : (Buf!, U32) -> U32`,
//! `set16 : (Buf, U32, U32) -> Buf`). Since they are definitions, not
//! abstract functions, every engine (the interpreters, the Rust and C
//! backends, the prover exports) runs them with nothing more to implement.
//!
//! For struct `Foo` (`foo` in snake case) at byte `off` (of block `blk`),
//! and every member at a static offset (those before the first member of
//! variable size), with the first interface:
//!
//! ```text
//! foo_get_f : (Dev!, U32, U32) -> UN               -- an integer field, at its own width
//! foo_set_f : (Dev, U32, U32, UN) -> Dev
//! foo_get_f_b, foo_set_f_b                         -- bit field `b` of `f` (same types)
//! foo_get_f : (Dev!, U32, U32, U32) -> UN          -- an integer array: element `i` (no bound check)
//! foo_set_f : (Dev, U32, U32, U32, UN) -> Dev
//! foo_at_f : U32 -> U32                            -- any member: its byte offset, from `off`
//! foo_at_f : (U32, U32) -> U32                     -- an array's element `i` (fixed-size elements)
//! foo_f_flag : UN                                  -- a flag's mask; `foo_f_magic`: the magic value
//! foo_size : U32                                   -- a struct of static size
//! root_r_at : U32                                  -- root `r`'s byte address, if constant
//! ```
//!
//! Further interfaces get the getters and setters again, named after their
//! type (`buf_foo_get_f : (Buf!, U32) -> UN`). Words of 8, 16 and 32 bits
//! are one call of the interface; 64-bit words two 32-bit ones (low half
//! first), big-endian words one byte call per byte. Narrowing to the field's
//! width uses the prelude's casts (`u32_to_u16`, ...), so the program
//! includes the prelude.

use super::snake;
use crate::check::Checked;
use crate::gen::rust::fold;
use crate::syntax::ast::{Endian, Item, Length, Member, StructDef, SubFields, Type, TypeKind, Width};
use std::fmt::Write as _;

/// How the program's word functions address a word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addressing {
    /// `(device, block, byte)`.
    Block,
    /// `(buffer, byte)`.
    Bytes,
}

/// One word access of the program the bindings call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    pub addressing: Addressing,
    /// The device's (or buffer's) type: `Dev`.
    pub device: String,
    /// Readers `<read>8`, `<read>16`, `<read>32`: `dev_le`.
    pub read: String,
    /// Writers `<write>8`, `<write>16`, `<write>32`: `dev_set`.
    pub write: String,
}

impl Default for Interface {
    /// The block device of the ext2 example (`fs-examples/ext2/device.cdsl`).
    fn default() -> Interface {
        "block=Dev,dev_le,dev_set".parse().unwrap_or_else(|e| unreachable!("bug: the default parses: {e}"))
    }
}

impl std::str::FromStr for Interface {
    type Err = String;

    /// `block=TYPE,READ,WRITE` or `bytes=TYPE,READ,WRITE`.
    fn from_str(spec: &str) -> Result<Interface, String> {
        let usage = || format!("`{spec}`: expected `block=TYPE,READ,WRITE` or `bytes=TYPE,READ,WRITE`");
        let (kind, names) = spec.split_once('=').ok_or_else(usage)?;
        let addressing = match kind {
            "block" => Addressing::Block,
            "bytes" => Addressing::Bytes,
            _ => return Err(usage()),
        };
        let names: Vec<&str> = names.split(',').map(str::trim).collect();
        let ident = |s: &str, upper: bool| {
            let mut chars = s.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic() && c.is_ascii_uppercase() == upper)
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        match names[..] {
            [device, read, write] if ident(device, true) && ident(read, false) && ident(write, false) => {
                Ok(Interface { addressing, device: device.to_owned(), read: read.to_owned(), write: write.to_owned() })
            }
            _ => Err(usage()),
        }
    }
}

impl Interface {
    /// The parameter naming the device: `dev` for `Dev`.
    fn var(&self) -> String {
        snake(&self.device)
    }

    /// The block argument, with its comma, if the interface has one.
    fn blk(&self) -> &'static str {
        match self.addressing {
            Addressing::Block => "blk, ",
            Addressing::Bytes => "",
        }
    }

    /// The parameter types before the byte offset: `Dev!, U32` or `Buf!`.
    fn params(&self, read_only: bool) -> String {
        let bang = if read_only { "!" } else { "" };
        match self.addressing {
            Addressing::Block => format!("{}{bang}, U32", self.device),
            Addressing::Bytes => format!("{}{bang}", self.device),
        }
    }
}

/// What one struct member gets.
enum Binding<'a> {
    Int { at: u64, width: Width, endian: Endian, sub: &'a SubFields, magic: Option<u64> },
    IntArray { at: u64, width: Width, endian: Endian },
    At { at: u64 },
    Array { at: u64, stride: Option<u64> },
}

/// The bindings file for `checked` over `interfaces` (the first one's
/// functions unprefixed); `source` names the layout in its header.
pub fn generate(checked: &Checked, source: &str, interfaces: &[Interface]) -> String {
    let mut out = format!(
        "-- Generated by `ddsl gen --emit cdsl-fields` from {source}. Do not edit: regenerate.\n\
         -- The layout's fields read and written in place (a struct at byte `off`), through\n\
         -- the including program's word access and the prelude's narrowing casts:\n"
    );
    for i in interfaces {
        let (blk, var) = (i.blk(), i.var());
        let _ = writeln!(
            out,
            "--   {r}8, {r}16, {r}32 : ({}, U32) -> U32 -- ({var}, {blk}byte)\n\
             --   {w}8, {w}16, {w}32 : ({}, U32, U32) -> {d}",
            i.params(true),
            i.params(false),
            r = i.read,
            w = i.write,
            d = i.device
        );
    }
    for root in checked.roots() {
        // A root at a constant byte address (below 4 GiB): `root_sb_at`.
        if let Some(at) = fold(checked, &root.at).filter(|a| u32::try_from(*a).is_ok()) {
            let name = format!("root_{}_at", root.name.name);
            let _ = write!(out, "\n-- Root `{}`'s byte address.\n{name} : U32\n{name} = {at}\n", root.name.name);
        }
    }
    for item in &checked.layout.items {
        let Item::Struct(def) = item else { continue };
        let gen = Gen { checked, interfaces, prefix: snake(&def.name.name) };
        gen.strukt(def, &mut out);
    }
    out
}

struct Gen<'a> {
    checked: &'a Checked,
    interfaces: &'a [Interface],
    prefix: String,
}

impl Gen<'_> {
    fn strukt(&self, def: &StructDef, out: &mut String) {
        let p = &self.prefix;
        let _ = write!(out, "\n-- {}\n", def.name.name);
        if let Some(size) = struct_size(self.checked, def, 0) {
            let _ = write!(out, "\n{p}_size : U32\n{p}_size = {size}\n");
        }
        let mut at = Some(0u64);
        for member in &def.members {
            match member {
                Member::Assert { .. } => {}
                Member::Pad { len, .. } => at = at.zip(fold(self.checked, len)).map(|(a, n)| a + n),
                Member::Field(field) => {
                    let name = &field.name.name;
                    let Some(offset) = at else {
                        let _ = write!(out, "\n-- not generated: `{name}`, after a member of variable size\n");
                        continue;
                    };
                    let magic = field.magic.as_ref().and_then(|m| fold(self.checked, m));
                    self.emit(name, &self.binding(&field.ty, offset, magic), out);
                    at = type_size(self.checked, &field.ty, 0).map(|n| offset + n);
                }
            }
        }
    }

    fn binding<'t>(&self, ty: &'t Type, at: u64, magic: Option<u64>) -> Binding<'t> {
        match &ty.kind {
            TypeKind::Int { width, endian, sub } => {
                Binding::Int { at, width: *width, endian: self.checked.endian(*endian), sub, magic }
            }
            TypeKind::Array { elem, len } => match (&elem.kind, len) {
                (TypeKind::Int { width, endian, .. }, _) => {
                    Binding::IntArray { at, width: *width, endian: self.checked.endian(*endian) }
                }
                (_, Length::Expr(_)) => Binding::Array { at, stride: type_size(self.checked, elem, 0) },
                (_, Length::Fill(_)) => Binding::Array { at, stride: None },
            },
            TypeKind::Named(_) | TypeKind::Select { .. } => Binding::At { at },
        }
    }

    fn emit(&self, name: &str, binding: &Binding, out: &mut String) {
        let p = &self.prefix;
        match binding {
            Binding::Int { at, width, endian, sub, magic } => {
                let ty = word_type(*width);
                let _ = write!(out, "\n{p}_at_{name} : U32 -> U32\n{p}_at_{name} off = {}\n", Place::at(*at));
                for (n, i) in self.interfaces.iter().enumerate() {
                    let q = self.qualified(n, i);
                    self.int(i, &q, name, *width, *endian, Place::at(*at), out);
                    let SubFields::Bits(bits) = sub else { continue };
                    let mut shift = 0;
                    for b in bits {
                        self.bits(
                            i,
                            &format!("{q}_get_{name}"),
                            &format!("{q}_set_{name}"),
                            &b.name.name,
                            &ty,
                            shift,
                            b.width,
                            out,
                        );
                        shift += b.width;
                    }
                }
                if let Some(value) = magic {
                    let _ = write!(out, "\n{p}_{name}_magic : {ty}\n{p}_{name}_magic = {value:#X}\n");
                }
                if let SubFields::Flags { flags, .. } = sub {
                    for f in flags {
                        let flag = format!("{p}_{name}_{}", f.name.name);
                        let _ = write!(out, "\n{flag} : {ty}\n{flag} = {:#X}\n", f.mask);
                    }
                }
            }
            Binding::IntArray { at, width, endian } => {
                let place = Place { at: *at, stride: Some(width.bytes()) };
                let _ = write!(out, "\n{p}_at_{name} : (U32, U32) -> U32\n{p}_at_{name} (off, i) = {place}\n");
                for (n, i) in self.interfaces.iter().enumerate() {
                    self.int(i, &self.qualified(n, i), name, *width, *endian, place, out);
                }
            }
            Binding::At { at } => {
                let _ = write!(out, "\n{p}_at_{name} : U32 -> U32\n{p}_at_{name} off = {}\n", Place::at(*at));
            }
            Binding::Array { at, stride: Some(stride) } => {
                let place = Place { at: *at, stride: Some(*stride) };
                let _ = write!(out, "\n{p}_at_{name} : (U32, U32) -> U32\n{p}_at_{name} (off, i) = {place}\n");
            }
            Binding::Array { at, stride: None } => {
                let _ = write!(
                    out,
                    "\n-- `{name}`: elements of variable size, the first at {p}_at_{name}\n\
                     {p}_at_{name} : U32 -> U32\n{p}_at_{name} off = {}\n",
                    Place::at(*at)
                );
            }
        }
    }

    /// The struct's prefix for the `n`th interface: `foo`, then `buf_foo`.
    fn qualified(&self, n: usize, interface: &Interface) -> String {
        match n {
            0 => self.prefix.clone(),
            _ => format!("{}_{}", interface.var(), self.prefix),
        }
    }

    /// The getter and setter of an integer field (or, with a stride, of an
    /// array's element `i`).
    #[allow(clippy::too_many_arguments)]
    fn int(&self, i: &Interface, q: &str, name: &str, width: Width, endian: Endian, place: Place, out: &mut String) {
        let ty = word_type(width);
        let (get, set) = (format!("{q}_get_{name}"), format!("{q}_set_{name}"));
        let (var, blk, d) = (i.var(), i.blk(), &i.device);
        let (index_ty, index) = if place.stride.is_some() { (", U32", ", i") } else { ("", "") };
        let read = self.read(i, width, endian, place);
        let written = self.write(i, width, endian, place, "v");
        let _ = write!(
            out,
            "\n{get} : ({}, U32{index_ty}) -> {ty}\n{get} ({var}, {blk}off{index}) ={}{read}\n\
             \n{set} : ({}, U32{index_ty}, {ty}) -> {d}\n{set} ({var}, {blk}off{index}, v) ={}{written}\n",
            i.params(true),
            gap(&read),
            i.params(false),
            gap(&written)
        );
    }

    /// The getter and setter of bit field `field` (`bits` wide, `shift` up)
    /// of the integer field whose getter and setter are `get` and `set`.
    #[allow(clippy::too_many_arguments)]
    fn bits(
        &self,
        i: &Interface,
        get: &str,
        set: &str,
        field: &str,
        ty: &str,
        shift: u64,
        bits: u64,
        out: &mut String,
    ) {
        let mask = if bits >= 64 { u64::MAX } else { (1u64 << bits) - 1 };
        let (var, blk, d) = (i.var(), i.blk(), &i.device);
        let word = format!("{get} ({var}, {blk}off)");
        let (field_of_word, clear, put) = match shift {
            0 => (format!("{word} .&. {mask:#X}"), format!("complement {mask:#X}"), format!("(v .&. {mask:#X})")),
            n => (
                format!("({word} >> {n}) .&. {mask:#X}"),
                format!("complement ({mask:#X} << {n})"),
                format!("((v .&. {mask:#X}) << {n})"),
            ),
        };
        let _ = write!(
            out,
            "\n{get}_{field} : ({}, U32) -> {ty}\n\
             {get}_{field} ({var}, {blk}off) = {field_of_word}\n\
             \n{set}_{field} : ({}, U32, {ty}) -> {d}\n\
             {set}_{field} ({var}, {blk}off, v) =\n  \
             let w = {word} !{var}\n  \
             in {set} ({var}, {blk}off, (w .&. {clear}) .|. {put})\n",
            i.params(true),
            i.params(false),
        );
    }

    /// The word of `width` at `place`, at its own type.
    fn read(&self, i: &Interface, width: Width, endian: Endian, place: Place) -> String {
        let (r, var, blk) = (&i.read, i.var(), i.blk());
        let bits = width.bytes() * 8;
        let endian = if width.bytes() == 1 { Endian::Little } else { endian };
        match (width.bytes(), endian) {
            (4, Endian::Little) => format!("{r}32 ({var}, {blk}{place})"),
            (1 | 2, Endian::Little) => format!("u32_to_u{bits} ({r}{bits} ({var}, {blk}{place}))"),
            (8, Endian::Little) => format!(
                "let lo : U64 = upcast ({r}32 ({var}, {blk}{place}))\n  \
                 and hi : U64 = upcast ({r}32 ({var}, {blk}{}))\n  \
                 in lo .|. (hi << 32)",
                place.plus(4)
            ),
            (2, Endian::Big) => format!("u32_to_u16 ({})", self.big(i, place, 2)),
            (4, Endian::Big) => self.big(i, place, 4),
            _ => format!(
                "let hi : U64 = upcast ({})\n  and lo : U64 = upcast ({})\n  in (hi << 32) .|. lo",
                self.big(i, place, 4),
                self.big(i, place.plus(4), 4)
            ),
        }
    }

    /// The big-endian word of `n` (2 or 4) bytes at `place`, as a `U32`,
    /// from byte reads.
    fn big(&self, i: &Interface, place: Place, n: u64) -> String {
        let (r, var, blk) = (&i.read, i.var(), i.blk());
        let byte = |k: u64| match 8 * (n - 1 - k) {
            0 => format!("{r}8 ({var}, {blk}{})", place.plus(k)),
            shift => format!("({r}8 ({var}, {blk}{}) << {shift})", place.plus(k)),
        };
        (0..n).map(byte).collect::<Vec<_>>().join(" .|. ")
    }

    /// `v`, of `width`'s type, written at `place`.
    fn write(&self, i: &Interface, width: Width, endian: Endian, place: Place, v: &str) -> String {
        let (w, var, blk) = (&i.write, i.var(), i.blk());
        let endian = if width.bytes() == 1 { Endian::Little } else { endian };
        match (width.bytes(), endian) {
            (4, Endian::Little) => format!("{w}32 ({var}, {blk}{place}, {v})"),
            (n @ (1 | 2), Endian::Little) => format!("{w}{} ({var}, {blk}{place}, upcast {v})", n * 8),
            (8, Endian::Little) => format!(
                "{w}32 ({w}32 ({var}, {blk}{place}, u64_to_u32 {v}), {blk}{}, u64_to_u32 ({v} >> 32))",
                place.plus(4)
            ),
            (n, _) => {
                // Byte by byte, most significant first, from a U32 (or the
                // two halves of a U64).
                let word = |v: &str, base: u64, bytes: u64, expr: String| {
                    (0..bytes).fold(expr, |expr, k| {
                        let shift = 8 * (bytes - 1 - k);
                        let value = if shift == 0 { v.to_owned() } else { format!("{v} >> {shift}") };
                        format!("{w}8 ({expr}, {blk}{}, {value})", place.plus(base + k))
                    })
                };
                match n {
                    8 => format!(
                        "let hi = u64_to_u32 ({v} >> 32)\n  and lo = u64_to_u32 {v}\n  in {}",
                        word("lo", 4, 4, word("hi", 0, 4, var))
                    ),
                    4 => word(v, 0, 4, var),
                    _ => format!("let w : U32 = upcast {v}\n  in {}", word("w", 0, n, var)),
                }
            }
        }
    }
}

/// Where a word is: `off + at`, plus `stride * i` in an array.
#[derive(Clone, Copy)]
struct Place {
    at: u64,
    stride: Option<u64>,
}

impl Place {
    fn at(at: u64) -> Place {
        Place { at, stride: None }
    }

    fn plus(self, bytes: u64) -> Place {
        Place { at: self.at + bytes, ..self }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("off")?;
        if self.at != 0 {
            write!(f, " + {}", self.at)?;
        }
        match self.stride {
            None => Ok(()),
            Some(1) => f.write_str(" + i"),
            Some(n) => write!(f, " + {n} * i"),
        }
    }
}

/// What separates `=` from a body: a space, or a new line before a `let`.
fn gap(body: &str) -> &'static str {
    if body.contains('\n') {
        "\n  "
    } else {
        " "
    }
}

fn word_type(width: Width) -> String {
    format!("U{}", width.bytes() * 8)
}

/// A type's size, when it does not depend on the image.
fn type_size(checked: &Checked, ty: &Type, depth: usize) -> Option<u64> {
    if depth > 64 {
        return None;
    }
    match &ty.kind {
        TypeKind::Int { width, .. } => Some(width.bytes()),
        TypeKind::Array { elem, len: Length::Expr(len) } => {
            type_size(checked, elem, depth + 1)?.checked_mul(fold(checked, len)?)
        }
        TypeKind::Array { len: Length::Fill(_), .. } => None,
        TypeKind::Named(name) => struct_size(checked, checked.struct_def(&name.name)?, depth + 1),
        TypeKind::Select { arms, .. } => {
            let mut sizes = arms.iter().map(|arm| type_size(checked, &arm.ty, depth + 1));
            let first = sizes.next()??;
            sizes.all(|s| s == Some(first)).then_some(first)
        }
    }
}

/// A struct's size, when it does not depend on the image: its `size`
/// clause, or its members.
fn struct_size(checked: &Checked, def: &StructDef, depth: usize) -> Option<u64> {
    if let Some(size) = &def.size {
        return fold(checked, size);
    }
    def.members.iter().try_fold(0u64, |total, member| match member {
        Member::Field(field) => total.checked_add(type_size(checked, &field.ty, depth + 1)?),
        Member::Pad { len, .. } => total.checked_add(fold(checked, len)?),
        Member::Assert { .. } => Some(total),
    })
}
