//! The layout checker: a parsed [`Layout`] to a [`Checked`] layout plus every
//! [`LayoutError`] found.
//!
//! It resolves every name (types, pointer targets, conversions, fields,
//! constants, roots), checks that lengths, selectors and offsets only read
//! fields decoded before them, computes the static size of every member it
//! can, and compares them with `@ offset` and `size` clauses: overlapping
//! fields, gaps, and sizes that do not add up. Every independent error is
//! reported; an unresolved name is typed `Unknown` so it causes no more.
//! The decoder relies on a layout with no errors: every name resolves, no
//! struct contains itself by value, `..` arrays are last in a sized struct.

pub mod errors;
mod expr;
mod invariants;

use crate::syntax::ast::*;
use cdsl::source::Span;
use errors::{closest, LayoutError, LayoutErrorKind as K, MARKS};
use std::collections::HashMap;

/// A layout with its symbol tables. Only meaningful if checking found no errors.
#[derive(Clone, Debug)]
pub struct Checked {
    pub layout: Layout,
    pub default_endian: Option<Endian>,
    structs: HashMap<String, usize>,
    globals: HashMap<String, usize>,
    spaces: HashMap<String, usize>,
}

/// A global name: what the item at its index defines.
pub enum Global<'a> {
    Const(&'a ConstDef),
    Addr(&'a AddrDef),
    Root(&'a RootDef),
}

impl Checked {
    pub fn struct_def(&self, name: &str) -> Option<&StructDef> {
        match self.layout.items.get(*self.structs.get(name)?)? {
            Item::Struct(s) => Some(s),
            _ => None,
        }
    }

    pub fn global(&self, name: &str) -> Option<Global<'_>> {
        match self.layout.items.get(*self.globals.get(name)?)? {
            Item::Const(c) => Some(Global::Const(c)),
            Item::Addr(a) => Some(Global::Addr(a)),
            Item::Root(r) => Some(Global::Root(r)),
            _ => None,
        }
    }

    /// The roots, in file order.
    pub fn roots(&self) -> impl Iterator<Item = &RootDef> {
        self.layout.items.iter().filter_map(|item| match item {
            Item::Root(r) => Some(r),
            _ => None,
        })
    }

    /// The `space` item called `name`.
    pub fn space(&self, name: &str) -> Option<&SpaceDef> {
        match self.layout.items.get(*self.spaces.get(name)?)? {
            Item::Space(s) => Some(s),
            _ => None,
        }
    }

    /// The byte order of a field that names `declared` (or none).
    pub fn endian(&self, declared: Option<Endian>) -> Endian {
        declared.or(self.default_endian).unwrap_or(Endian::Little)
    }
}

/// Checks a layout, returning it with its symbol tables and every error.
pub fn check(layout: Layout) -> (Checked, Vec<LayoutError>) {
    let mut checker = Checker::new(&layout);
    checker.run();
    let Checker { errors, default_endian, .. } = checker;
    let mut structs = HashMap::new();
    let mut globals = HashMap::new();
    let mut spaces = HashMap::new();
    for (index, item) in layout.items.iter().enumerate() {
        match item {
            Item::Space(s) => {
                spaces.entry(s.name.name.clone()).or_insert(index);
            }
            Item::Reserve(_) | Item::Bitmap(_) | Item::Links(_) | Item::Free(_) => {}
            Item::Struct(s) => {
                structs.entry(s.name.name.clone()).or_insert(index);
            }
            Item::Const(ConstDef { name, .. })
            | Item::Addr(AddrDef { name, .. })
            | Item::Root(RootDef { name, .. }) => {
                globals.entry(name.name.clone()).or_insert(index);
            }
            Item::Endian { .. } => {}
        }
    }
    (Checked { layout, default_endian, structs, globals, spaces }, errors)
}

/// What an expression denotes, as far as the checker needs to know.
#[derive(Clone, Debug)]
pub(crate) enum Ty<'a> {
    Num,
    /// An integer with named bits or flags.
    Sub(&'a SubFields),
    Struct(&'a str),
    Array(Box<Ty<'a>>),
    Select(&'a [Arm]),
    /// Already reported; accepted everywhere.
    Unknown,
}

/// Where an expression is and what it may read.
#[derive(Clone, Copy)]
pub(crate) struct Scope<'a> {
    /// Index of the enclosing item.
    item: usize,
    /// Whether globals must be defined above (outside structs).
    global_order: bool,
    fields: Option<&'a StructDef>,
    /// Members before this index are readable; `None`: all of them.
    visible: Option<usize>,
    /// What the expression is, for "refers to a later field" messages.
    role: &'static str,
    param: Option<&'a Ident>,
    it: bool,
}

pub(crate) struct Checker<'a> {
    layout: &'a Layout,
    errors: Vec<LayoutError>,
    default_endian: Option<Endian>,
    structs: HashMap<&'a str, &'a StructDef>,
    /// Global names with the index of their item.
    globals: HashMap<&'a str, (usize, Span)>,
    /// `space` names with their definition.
    spaces: HashMap<&'a str, Span>,
    sizes: HashMap<&'a str, Option<Option<u64>>>,
}

impl<'a> Checker<'a> {
    fn new(layout: &'a Layout) -> Checker<'a> {
        Checker {
            layout,
            errors: Vec::new(),
            default_endian: None,
            structs: HashMap::new(),
            globals: HashMap::new(),
            spaces: HashMap::new(),
            sizes: HashMap::new(),
        }
    }

    fn error(&mut self, kind: K, span: Span) {
        self.errors.push(LayoutError::new(kind, span));
    }

    fn run(&mut self) {
        self.collect();
        self.find_containment_cycles();
        let layout = self.layout;
        for (index, item) in layout.items.iter().enumerate() {
            let scope = Scope {
                item: index,
                global_order: true,
                fields: None,
                visible: None,
                role: "expression",
                param: None,
                it: false,
            };
            match item {
                Item::Endian { .. } => {}
                Item::Const(c) => {
                    self.expect_num(&c.value, scope);
                }
                Item::Addr(a) => {
                    self.expect_num(&a.body, Scope { param: Some(&a.param), ..scope });
                }
                Item::Root(r) => self.check_root(r, scope),
                Item::Struct(s) => self.check_struct(index, s),
                Item::Space(s) => self.check_space(s, scope),
                Item::Reserve(r) => self.check_reserve(r, scope),
                Item::Bitmap(b) => self.check_bitmap(b, scope),
                Item::Links(l) => self.check_links(l, scope),
                Item::Free(f) => self.check_free(f, scope),
            }
        }
    }

    /// Builds the symbol tables, reporting duplicates and the byte order.
    fn collect(&mut self) {
        let layout = self.layout;
        let mut endian_span: Option<Span> = None;
        for (index, item) in layout.items.iter().enumerate() {
            match item {
                Item::Endian { endian, span } => match endian_span {
                    Some(first) => self.error(K::TwoByteOrders { first }, *span),
                    None => {
                        endian_span = Some(*span);
                        self.default_endian = Some(*endian);
                    }
                },
                Item::Space(s) => match self.spaces.get(s.name.name.as_str()) {
                    Some(&first) => {
                        self.error(K::Duplicate { what: "space", name: s.name.name.clone(), first }, s.name.span)
                    }
                    None => {
                        self.spaces.insert(&s.name.name, s.name.span);
                    }
                },
                Item::Reserve(_) | Item::Bitmap(_) | Item::Links(_) | Item::Free(_) => {}
                Item::Struct(s) => match self.structs.get(s.name.name.as_str()) {
                    Some(first) => {
                        let first = first.name.span;
                        self.error(K::Duplicate { what: "struct", name: s.name.name.clone(), first }, s.name.span)
                    }
                    None => {
                        self.structs.insert(&s.name.name, s);
                    }
                },
                Item::Const(ConstDef { name, .. })
                | Item::Addr(AddrDef { name, .. })
                | Item::Root(RootDef { name, .. }) => match self.globals.get(name.name.as_str()) {
                    Some(&(_, first)) => {
                        self.error(K::Duplicate { what: "name", name: name.name.clone(), first }, name.span)
                    }
                    None => {
                        self.globals.insert(&name.name, (index, name.span));
                    }
                },
            }
        }
    }

    fn check_root(&mut self, root: &'a RootDef, scope: Scope<'a>) {
        let named = match &root.ty.kind {
            TypeKind::Named(_) => true,
            TypeKind::Array { elem, len: Length::Expr(_) } => matches!(elem.kind, TypeKind::Named(_)),
            _ => false,
        };
        if !named {
            self.error(K::RootNotStruct, root.ty.span);
        }
        self.check_type(&root.ty, Scope { role: "root length", ..scope });
        self.expect_num(&root.at, scope);
    }

    fn check_struct(&mut self, index: usize, def: &'a StructDef) {
        let scope = Scope {
            item: index,
            global_order: false,
            fields: Some(def),
            visible: None,
            role: "expression",
            param: None,
            it: false,
        };
        for mark in &def.marks {
            self.check_mark(mark);
        }
        let mut seen: HashMap<&str, Span> = HashMap::new();
        // Static extent of each field laid out so far: (name, start, end, span).
        let mut extents: Vec<(&str, u64, u64, Span)> = Vec::new();
        let mut cursor = Some(0u64);
        let last = def.members.len().saturating_sub(1);
        for (k, member) in def.members.iter().enumerate() {
            let before = Scope { visible: Some(k), ..scope };
            match member {
                Member::Field(f) => {
                    if let Some(first) = seen.insert(&f.name.name, f.name.span) {
                        let kind = K::Duplicate { what: "field", name: f.name.name.clone(), first };
                        self.error(kind, f.name.span);
                    }
                    if let Some((offset, span)) = f.offset {
                        cursor = self.check_offset(&f.name.name, offset, span, cursor, &extents);
                    }
                    self.check_field(def, f, k == last, before, scope);
                    if let Some(c) = &f.checksum {
                        self.check_checksum(f, c, scope);
                    }
                    let size = self.static_size(&f.ty, Some(def));
                    if let (Some(start), Some(size)) = (cursor, size) {
                        if let Some(end) = start.checked_add(size) {
                            extents.push((&f.name.name, start, end, f.name.span));
                        }
                    }
                    cursor = cursor.zip(size).and_then(|(c, s)| c.checked_add(s));
                }
                Member::Pad { len, .. } => {
                    self.expect_num(len, Scope { role: "padding length", ..before });
                    cursor = cursor.zip(self.const_eval(len, Some(def))).and_then(|(c, s)| c.checked_add(s));
                }
                Member::Assert { cond, .. } => {
                    self.expect_num(cond, scope);
                }
            }
        }
        if let Some(size) = &def.size {
            self.expect_num(size, Scope { role: "size", ..scope });
            if let (Some(declared), Some(used)) = (self.const_eval(size, Some(def)), cursor) {
                let name = def.name.name.clone();
                if used > declared {
                    self.error(K::SizeTooSmall { name, declared, used }, size.span);
                } else if used < declared {
                    self.error(K::SizeNotCovered { name, declared, used }, size.span);
                }
            }
        }
    }

    /// Compares an `@ offset` with where the fields above end; returns the
    /// cursor to carry on with (the written offset, to avoid cascades).
    fn check_offset(
        &mut self,
        field: &str,
        offset: u64,
        span: Span,
        cursor: Option<u64>,
        extents: &[(&str, u64, u64, Span)],
    ) -> Option<u64> {
        match cursor {
            None => self.error(K::OffsetNotFixed { field: field.to_owned() }, span),
            Some(c) if offset < c => {
                let other = extents.iter().rev().find(|(_, start, end, _)| *start <= offset && offset < *end);
                let other = other.or(extents.last());
                if let Some(&(name, start, end, other_span)) = other {
                    let kind = K::Overlap {
                        field: field.to_owned(),
                        offset,
                        other: name.to_owned(),
                        other_start: start,
                        other_end: end,
                        other_span,
                    };
                    self.error(kind, span);
                }
            }
            Some(c) if offset > c => self.error(K::Gap { field: field.to_owned(), offset, cursor: c }, span),
            Some(_) => {}
        }
        Some(offset)
    }

    fn check_field(&mut self, def: &'a StructDef, f: &'a Field, is_last: bool, before: Scope<'a>, all: Scope<'a>) {
        self.check_type(&f.ty, Scope { role: "length", ..before });
        if let TypeKind::Array { len: Length::Fill(span), .. } = &f.ty.kind {
            self.check_fill(def, *span, is_last);
        }
        let integer = match &f.ty.kind {
            TypeKind::Int { width, .. } => Some(*width),
            _ => None,
        };
        if let Some(magic) = &f.magic {
            match (integer, self.const_eval(magic, None)) {
                (None, _) => self.error(K::MagicOnNonInteger, magic.span),
                (Some(_), None) => {
                    // Names are still resolved; "not a number" would only repeat this.
                    self.check_expr(magic, before);
                    self.error(K::MagicNotConstant, magic.span);
                }
                (Some(width), Some(value)) if value > width.max() => {
                    self.error(K::MagicTooWide { value, width: width.name() }, magic.span)
                }
                _ => {}
            }
        }
        if let Some(pointer) = &f.pointer {
            self.check_pointer(f, pointer, all);
        }
        for mark in &f.marks {
            self.check_mark(mark);
        }
    }

    fn check_fill(&mut self, def: &'a StructDef, span: Span, is_last: bool) {
        if !is_last {
            self.error(K::FillNotLast, span);
        }
        match &def.size {
            None => self.error(K::FillWithoutSize, span),
            Some(size) => {
                let mut names = Vec::new();
                size.names(&mut names);
                if names.iter().any(|(n, _)| field_index(def, n).is_some()) {
                    self.error(K::FillSizeFromFields, size.span);
                }
            }
        }
    }

    fn check_pointer(&mut self, f: &'a Field, pointer: &'a Pointer, all: Scope<'a>) {
        let integer = match &f.ty.kind {
            TypeKind::Int { .. } => true,
            TypeKind::Array { elem, .. } => matches!(elem.kind, TypeKind::Int { .. }),
            _ => false,
        };
        if !integer {
            self.error(K::PointerNotInteger, f.ty.span);
        }
        let target = &pointer.target;
        if !self.structs.contains_key(target.name.as_str()) {
            let suggestion = closest(&target.name, self.structs.keys().copied());
            self.error(K::UnknownPointerTarget { name: target.name.clone(), suggestion }, target.span);
        }
        if let Some(via) = &pointer.via {
            let is_addr = matches!(self.global_item(&via.name), Some(Item::Addr(_)));
            if !is_addr {
                let addrs: Vec<&str> = self.global_names_where(|i| matches!(i, Item::Addr(_)));
                let suggestion = closest(&via.name, addrs);
                self.error(K::UnknownConversion { name: via.name.clone(), suggestion }, via.span);
            }
        }
        if let Some(when) = &pointer.when {
            self.expect_num(when, Scope { it: true, role: "condition", ..all });
        }
        if let Some(claim) = &pointer.claim {
            self.check_claim(claim, all);
        }
    }

    fn check_mark(&mut self, mark: &Ident) {
        if !MARKS.contains(&mark.name.as_str()) {
            self.error(K::UnknownMark { name: mark.name.clone() }, mark.span);
        }
    }

    fn check_type(&mut self, ty: &'a Type, scope: Scope<'a>) {
        match &ty.kind {
            TypeKind::Int { width, endian, sub } => {
                if *width != Width::U8 && endian.is_none() && self.default_endian.is_none() {
                    self.error(K::NoByteOrder { width: width.name() }, ty.span);
                }
                self.check_sub_fields(*width, sub);
            }
            TypeKind::Array { elem, len } => {
                self.check_type(elem, scope);
                if let Length::Expr(e) = len {
                    self.expect_num(e, scope);
                }
            }
            TypeKind::Named(name) => {
                if !self.structs.contains_key(name.name.as_str()) {
                    let suggestion = closest(&name.name, self.structs.keys().copied());
                    self.error(K::UnknownType { name: name.name.clone(), suggestion }, name.span);
                }
            }
            TypeKind::Select { selector, arms } => self.check_select(ty.span, selector, arms, scope),
        }
    }

    fn check_select(&mut self, span: Span, selector: &'a Expr, arms: &'a [Arm], scope: Scope<'a>) {
        self.expect_num(selector, Scope { role: "selector", ..scope });
        if arms.is_empty() {
            self.error(K::EmptySelect, span);
        }
        let mut labels: HashMap<u64, Span> = HashMap::new();
        let mut names: HashMap<&str, Span> = HashMap::new();
        for arm in arms {
            for mark in &arm.marks {
                self.check_mark(mark);
            }
            if let Some(first) = names.insert(&arm.name.name, arm.name.span) {
                self.error(K::Duplicate { what: "arm", name: arm.name.name.clone(), first }, arm.name.span);
            }
            if let Some(label) = &arm.label {
                match self.const_eval(label, None) {
                    None => self.error(K::ArmLabelNotConstant, label.span),
                    Some(value) => {
                        if let Some(first) = labels.insert(value, label.span) {
                            self.error(K::DuplicateArmLabel { value, first }, label.span);
                        }
                    }
                }
            }
            self.check_type(&arm.ty, scope);
        }
    }

    fn check_sub_fields(&mut self, width: Width, sub: &SubFields) {
        match sub {
            SubFields::None => {}
            SubFields::Bits(bits) => {
                let mut seen: HashMap<&str, Span> = HashMap::new();
                let mut used = 0u64;
                for bit in bits {
                    if let Some(first) = seen.insert(&bit.name.name, bit.name.span) {
                        self.error(
                            K::Duplicate { what: "bit field", name: bit.name.name.clone(), first },
                            bit.name.span,
                        );
                    }
                    if bit.width == 0 {
                        self.error(K::ZeroWidthBits, bit.span);
                    }
                    used = used.saturating_add(bit.width);
                }
                if used > width.bits() {
                    let span = bits.last().map_or_else(Span::default, |b| b.span);
                    self.error(K::BitsOverflow { used, width: width.bits() }, span);
                }
            }
            SubFields::Flags { flags, .. } => {
                let mut seen: HashMap<&str, Span> = HashMap::new();
                for flag in flags {
                    if let Some(first) = seen.insert(&flag.name.name, flag.name.span) {
                        self.error(K::Duplicate { what: "flag", name: flag.name.name.clone(), first }, flag.name.span);
                    }
                    if flag.mask == 0 {
                        self.error(K::ZeroMask, flag.span);
                    } else if flag.mask > width.max() {
                        self.error(K::MaskTooWide { mask: flag.mask, width: width.name() }, flag.span);
                    }
                }
            }
        }
    }

    /// Reports every by-value containment cycle once, at the struct where it
    /// is found.
    fn find_containment_cycles(&mut self) {
        let mut state: HashMap<&'a str, bool> = HashMap::new(); // false: on the stack, true: done
        let mut names: Vec<&'a str> = self.structs.keys().copied().collect();
        names.sort();
        for name in names {
            self.visit(name, &mut state);
        }
    }

    fn visit(&mut self, name: &'a str, state: &mut HashMap<&'a str, bool>) {
        match state.get(name) {
            Some(true) => return,
            Some(false) => {
                if let Some(def) = self.structs.get(name) {
                    let span = def.name.span;
                    self.error(K::ContainsItself { name: name.to_owned() }, span);
                }
                return;
            }
            None => {}
        }
        state.insert(name, false);
        let Some(def) = self.structs.get(name).copied() else { return };
        let mut inner = Vec::new();
        for member in &def.members {
            if let Member::Field(f) = member {
                contained(&f.ty, &mut inner);
            }
        }
        for child in inner {
            if self.structs.contains_key(child) {
                self.visit(child, state);
            }
        }
        state.insert(name, true);
    }

    /// The size of a type when it does not depend on the image.
    pub(crate) fn static_size(&mut self, ty: &'a Type, fields: Option<&'a StructDef>) -> Option<u64> {
        match &ty.kind {
            TypeKind::Int { width, .. } => Some(width.bytes()),
            TypeKind::Array { elem, len: Length::Expr(len) } => {
                let n = self.const_eval(len, fields)?;
                self.static_size(elem, fields)?.checked_mul(n)
            }
            TypeKind::Array { len: Length::Fill(_), .. } => None,
            TypeKind::Named(name) => self.struct_size(&name.name),
            TypeKind::Select { arms, .. } => {
                let mut size = None;
                for arm in arms {
                    let s = self.static_size(&arm.ty, fields)?;
                    if size.is_some_and(|size| size != s) {
                        return None;
                    }
                    size = Some(s);
                }
                size
            }
        }
    }

    fn struct_size(&mut self, name: &'a str) -> Option<u64> {
        match self.sizes.get(name) {
            Some(Some(done)) => return *done,
            Some(None) => return None, // a cycle, reported elsewhere
            None => {}
        }
        let def = self.structs.get(name).copied()?;
        self.sizes.insert(name, None);
        let size = match &def.size {
            Some(size) => self.const_eval(size, Some(def)),
            None => {
                let mut total = Some(0u64);
                for member in &def.members {
                    let size = match member {
                        Member::Field(f) => self.static_size(&f.ty, Some(def)),
                        Member::Pad { len, .. } => self.const_eval(len, Some(def)),
                        Member::Assert { .. } => Some(0),
                    };
                    total = total.zip(size).and_then(|(t, s)| t.checked_add(s));
                }
                total
            }
        };
        self.sizes.insert(name, Some(size));
        size
    }

    /// A known algorithm, on an integer of its width; the range may read
    /// any field of the struct (it is computed after decoding).
    fn check_checksum(&mut self, f: &'a Field, c: &'a ChecksumDef, scope: Scope<'a>) {
        self.expect_num(&c.from, Scope { role: "checksum range", ..scope });
        self.expect_num(&c.to, Scope { role: "checksum range", ..scope });
        let Some(&(_, bytes)) = crate::crc::ALGORITHMS.iter().find(|(n, _)| *n == c.algorithm.name) else {
            let kind = K::UnknownChecksum { name: c.algorithm.name.clone() };
            self.error(kind, c.algorithm.span);
            return;
        };
        match &f.ty.kind {
            TypeKind::Int { width, .. } if width.bytes() == bytes => {}
            _ => {
                let kind = K::ChecksumWidth { algorithm: c.algorithm.name.clone(), bytes };
                self.error(kind, f.ty.span);
            }
        }
    }

    fn global_item(&self, name: &str) -> Option<&'a Item> {
        let layout = self.layout;
        self.globals.get(name).and_then(|(index, _)| layout.items.get(*index))
    }

    fn global_names_where(&self, keep: impl Fn(&Item) -> bool) -> Vec<&'a str> {
        let layout = self.layout;
        let mut names: Vec<&'a str> = self
            .globals
            .iter()
            .filter(|(_, (index, _))| layout.items.get(*index).is_some_and(&keep))
            .map(|(name, _)| *name)
            .collect();
        names.sort();
        names
    }
}

/// The structs a type holds by value.
fn contained<'a>(ty: &'a Type, out: &mut Vec<&'a str>) {
    match &ty.kind {
        TypeKind::Int { .. } => {}
        TypeKind::Array { elem, .. } => contained(elem, out),
        TypeKind::Named(name) => out.push(&name.name),
        TypeKind::Select { arms, .. } => arms.iter().for_each(|arm| contained(&arm.ty, out)),
    }
}

/// The index of the member that is the field `name`.
pub(crate) fn field_index(def: &StructDef, name: &str) -> Option<usize> {
    def.members.iter().position(|m| matches!(m, Member::Field(f) if f.name.name == name))
}
