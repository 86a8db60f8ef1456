//! The zero-copy views: `FooView<'a>` over `&'a [u8]` (getters) and
//! `FooViewMut<'a>` over `&'a mut [u8]` (setters). `new` checks that the
//! fields at fixed offsets are in the slice, so their getters cannot fail;
//! a variable-length array's getter checks its computed extent.

use super::emit::{bit_ranges, endian_fn, ident, int_ty, mask, read_int, StructGen};
use super::{camel, Kind};
use crate::syntax::ast::*;

macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}

impl StructGen<'_, '_> {
    /// `let f_x = self.x();` for every integer field, for computed lengths
    /// and selectors (`view` is how to reach the getters).
    fn bind_ints(&self, out: &mut String, view: &str) {
        for m in &self.plan.members {
            if let Kind::Int { .. } = m.kind {
                w!(out, "        let f_{} = {view}.{}();", m.name, ident(m.name));
            }
        }
    }

    pub(super) fn view(&self, out: &mut String) {
        let name = self.plan.name;
        let fixed = self.plan.fixed_len;
        w!(out, "");
        w!(out, "/// A zero-copy view of a `{name}` at the start of a byte slice.");
        w!(out, "#[derive(Clone, Copy, Debug)]");
        w!(out, "pub struct {name}View<'a> {{");
        w!(out, "    bytes: &'a [u8],");
        w!(out, "}}");
        w!(out, "");
        w!(out, "impl<'a> {name}View<'a> {{");
        w!(out, "    /// Fails when the fields at fixed offsets ({fixed} bytes) are not all in `bytes`.");
        w!(out, "    #[inline]");
        w!(out, "    pub fn new(bytes: &'a [u8]) -> Result<Self, DecodeError> {{");
        w!(out, "        need(bytes, 0, {fixed}, \"\", \"{name}\")?;");
        w!(out, "        Ok({name}View {{ bytes }})");
        w!(out, "    }}");
        w!(out, "");
        w!(out, "    pub fn bytes(&self) -> &'a [u8] {{");
        w!(out, "        self.bytes");
        w!(out, "    }}");
        w!(out, "");
        w!(out, "    pub fn decode(&self) -> Result<{name}, DecodeError> {{");
        w!(out, "        {name}::decode(self.bytes)");
        w!(out, "    }}");
        for m in &self.plan.members {
            let off = m.offset;
            let f = ident(m.name);
            w!(out, "");
            match &m.kind {
                Kind::Int { width, endian, sub } => {
                    let ty = int_ty(*width);
                    w!(out, "    pub fn {f}(&self) -> {ty} {{");
                    w!(out, "        {}", read_int(*width, *endian, "self.bytes", &off.to_string()));
                    w!(out, "    }}");
                    self.sub_getters(out, m.name, *width, sub, &format!("self.{f}()"));
                }
                Kind::Array { width: Width::U8, len, .. } => {
                    w!(out, "    pub fn {f}(&self) -> &'a [u8] {{");
                    w!(out, "        self.bytes.get({off}..{}).unwrap_or_default()", off + len);
                    w!(out, "    }}");
                }
                Kind::Array { width, endian, len } => {
                    let ty = int_ty(*width);
                    w!(out, "    /// Entry `i` of {len}; `None` past the end.");
                    w!(out, "    pub fn {f}(&self, i: usize) -> Option<{ty}> {{");
                    w!(
                        out,
                        "        if i < {len} {{ Some({}) }} else {{ None }}",
                        read_int(*width, *endian, "self.bytes", &format!("{off} + i * {}", width.bytes()))
                    );
                    w!(out, "    }}");
                }
                Kind::VarArray { width, len, .. } => {
                    w!(
                        out,
                        "    /// The raw bytes of `{}` ({} each), checked against the slice.",
                        m.name,
                        width.bytes()
                    );
                    w!(out, "    pub fn {f}(&self) -> Result<&'a [u8], DecodeError> {{");
                    self.bind_ints(out, "self");
                    let at = off.to_string();
                    w!(out, "        let len = {}.ok_or_else(|| DecodeError::new({at}, \"{}\", DecodeErrorKind::Arithmetic))?;", self.expr(len), m.name);
                    w!(out, "        let n = len.checked_mul({}).and_then(|n| usize::try_from(n).ok()).unwrap_or(usize::MAX);", width.bytes());
                    w!(out, "        need(self.bytes, {at}, n, \"{}\", \"\")?;", m.name);
                    w!(out, "        Ok(self.bytes.get({at}..{at} + n).unwrap_or_default())");
                    w!(out, "    }}");
                }
                Kind::Fill { .. } => {
                    w!(out, "    /// The bytes the elements of `{}` tile.", m.name);
                    w!(out, "    pub fn {}_bytes(&self) -> &'a [u8] {{", m.name);
                    w!(out, "        self.bytes.get({off}..).unwrap_or_default()");
                    w!(out, "    }}");
                    w!(out, "");
                    w!(out, "    /// The elements of `{}`, each a zero-copy view of its own bytes.", m.name);
                    w!(out, "    pub fn {f}(&self) -> {name}{}<'a> {{", camel(m.name));
                    w!(
                        out,
                        "        {name}{} {{ bytes: self.bytes, at: {off}, index: 0, done: false }}",
                        camel(m.name)
                    );
                    w!(out, "    }}");
                }
                Kind::Struct { name: inner, .. } => {
                    w!(out, "    pub fn {f}(&self) -> {inner}View<'a> {{");
                    w!(out, "        {inner}View {{ bytes: self.bytes.get({off}..).unwrap_or_default() }}");
                    w!(out, "    }}");
                }
                Kind::Select { selector, arms, size } => {
                    w!(out, "    /// The {size} bytes of the `select` `{}`, whichever arm holds.", m.name);
                    w!(out, "    pub fn {}_bytes(&self) -> &'a [u8] {{", m.name);
                    w!(out, "        self.bytes.get({off}..{}).unwrap_or_default()", off + size);
                    w!(out, "    }}");
                    w!(out, "");
                    w!(out, "    /// The arm of `{}` its selector chooses.", m.name);
                    w!(out, "    pub fn {}_arm(&self) -> Result<&'static str, DecodeError> {{", m.name);
                    self.bind_ints(out, "self");
                    w!(out, "        let sel = {}.ok_or_else(|| DecodeError::new({off}, \"{}\", DecodeErrorKind::Arithmetic))?;", self.expr(selector), m.name);
                    let mut chain = String::new();
                    let mut default = format!(
                        "Err(DecodeError::new({off}, \"{}\", DecodeErrorKind::NoArm {{ selector: sel }}))",
                        m.name
                    );
                    for arm in arms {
                        match arm.label {
                            Some(l) => chain.push_str(&format!("if sel == {l:#x} {{ Ok(\"{}\") }} else ", arm.name)),
                            None => default = format!("Ok(\"{}\")", arm.name),
                        }
                    }
                    w!(out, "        {chain}{{ {default} }}");
                    w!(out, "    }}");
                }
            }
        }
        w!(out, "}}");
    }

    /// The iterator over a filling array's element views: each element's
    /// view covers exactly its bytes; an element that is cut short, or
    /// whose size runs past the end or is smaller than its fields, ends
    /// the iteration with its error.
    pub(super) fn fill_iterators(&self, out: &mut String) {
        let name = self.plan.name;
        for m in &self.plan.members {
            let Kind::Fill { elem, size_field } = &m.kind else { continue };
            let it = format!("{name}{}", camel(m.name));
            let size = match size_field {
                Some((f, _)) => format!("usize::try_from(v.{}()).unwrap_or(usize::MAX)", ident(f)),
                None => format!("{elem}::FIXED_LEN"),
            };
            w!(out, "");
            w!(out, "/// The elements of `{name}.{}` as views (see `{name}View::{}`).", m.name, m.name);
            w!(out, "#[derive(Clone, Debug)]");
            w!(out, "pub struct {it}<'a> {{");
            w!(out, "    bytes: &'a [u8],");
            w!(out, "    at: usize,");
            w!(out, "    index: usize,");
            w!(out, "    done: bool,");
            w!(out, "}}");
            w!(out, "");
            w!(out, "impl<'a> Iterator for {it}<'a> {{");
            w!(out, "    type Item = Result<{elem}View<'a>, DecodeError>;");
            w!(out, "");
            w!(out, "    fn next(&mut self) -> Option<Self::Item> {{");
            w!(out, "        if self.done || self.at >= self.bytes.len() {{");
            w!(out, "            return None;");
            w!(out, "        }}");
            w!(out, "        let path = format!(\"{}[{{}}]\", self.index);", m.name);
            w!(out, "        let rest = self.bytes.get(self.at..).unwrap_or_default();");
            w!(out, "        let v = match {elem}View::new(rest) {{");
            w!(out, "            Ok(v) => v,");
            w!(out, "            Err(mut e) => {{");
            w!(out, "                self.done = true;");
            w!(out, "                e.offset = (self.at as u64).saturating_add(e.offset);");
            w!(out, "                e.path = path;");
            w!(out, "                return Some(Err(e));");
            w!(out, "            }}");
            w!(out, "        }};");
            w!(out, "        let size = {size};");
            w!(out, "        if size < {elem}::FIXED_LEN || size > rest.len() {{");
            w!(out, "            self.done = true;");
            w!(out, "            let kind = if size < {elem}::FIXED_LEN {{ DecodeErrorKind::SizeTooSmall {{ size: size as u64, used: {elem}::FIXED_LEN as u64 }} }} else {{ DecodeErrorKind::OutOfBounds {{ need: size as u64, len: rest.len() as u64 }} }};");
            w!(out, "            return Some(Err(DecodeError::new(self.at, &path, kind)));");
            w!(out, "        }}");
            w!(out, "        let view = {elem}View {{ bytes: rest.get(..size).unwrap_or_default() }};");
            w!(out, "        self.at += size;");
            w!(out, "        self.index += 1;");
            w!(out, "        Some(Ok(view))");
            w!(out, "    }}");
            w!(out, "}}");
        }
    }

    pub(super) fn view_mut(&self, out: &mut String) {
        let name = self.plan.name;
        let fixed = self.plan.fixed_len;
        w!(out, "");
        w!(out, "/// A mutable zero-copy view of a `{name}`: setters write in place.");
        w!(out, "#[derive(Debug)]");
        w!(out, "pub struct {name}ViewMut<'a> {{");
        w!(out, "    bytes: &'a mut [u8],");
        w!(out, "}}");
        w!(out, "");
        w!(out, "impl<'a> {name}ViewMut<'a> {{");
        w!(out, "    pub fn new(bytes: &'a mut [u8]) -> Result<Self, DecodeError> {{");
        w!(out, "        need(bytes, 0, {fixed}, \"\", \"{name}\")?;");
        w!(out, "        Ok({name}ViewMut {{ bytes }})");
        w!(out, "    }}");
        w!(out, "");
        w!(out, "    pub fn as_view(&self) -> {name}View<'_> {{");
        w!(out, "        {name}View {{ bytes: self.bytes }}");
        w!(out, "    }}");
        for m in &self.plan.members {
            let off = m.offset;
            let f = ident(m.name);
            w!(out, "");
            match &m.kind {
                Kind::Int { width, endian, sub } => {
                    let ty = int_ty(*width);
                    w!(out, "    pub fn set_{}(&mut self, value: {ty}) {{", m.name);
                    w!(out, "        wr(self.bytes, {off}, &value.{}());", endian_fn(*endian, "to"));
                    w!(out, "    }}");
                    self.sub_setters(out, m.name, *width, sub);
                }
                Kind::Array { width: Width::U8, len, .. } => {
                    w!(out, "    pub fn {}_mut(&mut self) -> &mut [u8] {{", m.name);
                    w!(out, "        self.bytes.get_mut({off}..{}).unwrap_or_default()", off + len);
                    w!(out, "    }}");
                }
                Kind::Array { width, endian, len } => {
                    let ty = int_ty(*width);
                    w!(
                        out,
                        "    pub fn set_{}(&mut self, i: usize, value: {ty}) -> Result<(), EncodeError> {{",
                        m.name
                    );
                    w!(out, "        if i >= {len} {{");
                    w!(out, "            return Err(EncodeError::new({off}, \"{}\", EncodeErrorKind::IndexOutOfRange {{ index: i, len: {len} }}));", m.name);
                    w!(out, "        }}");
                    w!(
                        out,
                        "        wr(self.bytes, {off} + i * {}, &value.{}());",
                        width.bytes(),
                        endian_fn(*endian, "to")
                    );
                    w!(out, "        Ok(())");
                    w!(out, "    }}");
                }
                Kind::VarArray { .. } => {
                    w!(out, "    /// The raw bytes of `{}`, whose length the fields above give.", m.name);
                    w!(out, "    pub fn {}_mut(&mut self) -> Result<&mut [u8], DecodeError> {{", m.name);
                    w!(out, "        let n = self.as_view().{f}()?.len();");
                    w!(out, "        Ok(self.bytes.get_mut({off}..{off} + n).unwrap_or_default())");
                    w!(out, "    }}");
                }
                Kind::Fill { .. } => {
                    w!(out, "    pub fn {}_bytes_mut(&mut self) -> &mut [u8] {{", m.name);
                    w!(out, "        self.bytes.get_mut({off}..).unwrap_or_default()");
                    w!(out, "    }}");
                }
                Kind::Struct { name: inner, .. } => {
                    w!(out, "    pub fn {}_mut(&mut self) -> {inner}ViewMut<'_> {{", m.name);
                    w!(out, "        {inner}ViewMut {{ bytes: self.bytes.get_mut({off}..).unwrap_or_default() }}");
                    w!(out, "    }}");
                }
                Kind::Select { size, .. } => {
                    w!(out, "    pub fn {}_bytes_mut(&mut self) -> &mut [u8] {{", m.name);
                    w!(out, "        self.bytes.get_mut({off}..{}).unwrap_or_default()", off + size);
                    w!(out, "    }}");
                }
            }
        }
        w!(out, "}}");
    }

    fn sub_setters(&self, out: &mut String, field: &str, width: Width, sub: &SubFields) {
        let ty = int_ty(width);
        match sub {
            SubFields::None => {}
            SubFields::Bits(bits) => {
                for (bit, shift, w) in bit_ranges(bits) {
                    let m = mask(w);
                    w!(out, "    pub fn set_{field}_{bit}(&mut self, value: {ty}) -> Result<(), EncodeError> {{");
                    w!(out, "        if u64::from(value) > {m:#x} {{");
                    w!(out, "            return Err(EncodeError::new(0, \"{field}.{bit}\", EncodeErrorKind::ValueTooLarge {{ value: u64::from(value), max: {m:#x} }}));");
                    w!(out, "        }}");
                    w!(out, "        let old = u64::from(self.as_view().{}());", ident(field));
                    w!(out, "        let new = (old & !({m:#x}u64 << {shift})) | (u64::from(value) << {shift});");
                    w!(out, "        self.set_{field}(new as {ty});");
                    w!(out, "        Ok(())");
                    w!(out, "    }}");
                }
            }
            SubFields::Flags { flags, .. } => {
                for flag in flags {
                    let m = flag.mask;
                    w!(out, "    pub fn set_{field}_{}(&mut self, on: bool) {{", flag.name.name);
                    w!(out, "        let old = self.as_view().{}();", ident(field));
                    w!(out, "        self.set_{field}(if on {{ old | {m:#x} }} else {{ old & !{m:#x} }});");
                    w!(out, "    }}");
                }
            }
        }
    }
}
