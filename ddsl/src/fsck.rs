//! The generic checker (`ddsl fsck`): walks an image with a layout and
//! checks every invariant the layout declares, reporting each violation with
//! a path and a byte offset. Knows nothing of any file system.
//!
//! Consumes a checked layout and image bytes; produces a [`Report`]. In
//! order: decoding faults met on the walk (magic numbers, `assert`s,
//! targets beyond the image, entries that do not tile their block, ...);
//! claims outside their `space`; units owned twice (`owns` pointers and
//! `reserve` items); `bitmap`s that disagree with what is used (owned or
//! referred to); `free` summary counters that disagree with the units
//! nothing uses; `links` fields that disagree with the number of `refs`
//! pointers. Work is bounded: the walk by a node budget, the unit checks by
//! [`MAX_UNITS`]; running out is itself reported, never a hang.

use crate::check::Checked;
use crate::decode::Decoder;
use crate::syntax::ast::*;
use crate::walk::{self, Walk};
use std::collections::BTreeMap;
use std::fmt;

/// Units (claimed, reserved, bitmap bits, link counts) checked at most.
pub const MAX_UNITS: u64 = 1 << 22;

/// One broken invariant, where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub offset: u64,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (byte {}): {}", self.path, self.offset, self.message)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub walk: Walk,
    pub violations: Vec<Violation>,
    /// Derived fields found wrong, with the bytes that make them right
    /// (`ddsl fsck --fix` writes them): `free` counters and checksums.
    pub fixes: Vec<Fix>,
}

/// Bytes to write at `offset` to make a derived field right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub path: String,
    pub offset: u64,
    pub bytes: Vec<u8>,
}

/// `value` as `width` bytes in the given byte order.
pub(crate) fn encode_word(value: u64, width: u64, big_endian: bool) -> Vec<u8> {
    let le = value.to_le_bytes();
    let mut bytes = le[..usize::try_from(width.min(8)).unwrap_or(8)].to_vec();
    if big_endian {
        bytes.reverse();
    }
    bytes
}

/// The bytes that make each checksum among `faults` right: a
/// [`BadChecksum`](crate::decode::FaultKind::BadChecksum) fault carries
/// the value the covered bytes give and the field's width and byte order.
/// `fsck --fix` and the writers of [`crate::write`] recompute checksums
/// with it.
pub fn checksum_fixes(faults: &[crate::decode::Fault]) -> Vec<Fix> {
    faults
        .iter()
        .filter_map(|f| match &f.kind {
            crate::decode::FaultKind::BadChecksum { expected, width, big_endian, .. } => {
                Some(Fix { path: f.path.clone(), offset: f.offset, bytes: encode_word(*expected, *width, *big_endian) })
            }
            _ => None,
        })
        .collect()
}

/// Writes `fixes` into `image`; the first that lies outside it is the
/// error, and nothing is written then.
pub fn apply<'f>(image: &mut [u8], fixes: &'f [Fix]) -> Result<(), &'f Fix> {
    let range = |fix: &Fix| usize::try_from(fix.offset).ok().and_then(|s| Some(s..s.checked_add(fix.bytes.len())?));
    if let Some(outside) = fixes.iter().find(|f| range(f).and_then(|r| image.get(r)).is_none()) {
        return Err(outside);
    }
    for fix in fixes {
        if let Some(slot) = range(fix).and_then(|r| image.get_mut(r)) {
            slot.copy_from_slice(&fix.bytes);
        }
    }
    Ok(())
}

/// Who uses one unit of a space.
#[derive(Clone, Debug, Default)]
struct Usage {
    /// (path, byte offset) of each owner, in the order met.
    owners: Vec<(String, u64)>,
    refs: u64,
    first_ref: Option<String>,
}

struct Fsck<'d, 'a> {
    decoder: &'d mut Decoder<'a>,
    layout: &'a Checked,
    violations: Vec<Violation>,
    /// Per space: its range and the units in use.
    spaces: BTreeMap<String, (u64, u64, BTreeMap<u64, Usage>)>,
    work: u64,
    out_of_work: bool,
    fixes: Vec<Fix>,
}

/// Walks `image` and checks every invariant of `layout`.
pub fn fsck(layout: &Checked, image: &[u8], max_nodes: usize) -> Report {
    fsck_with_budget(layout, image, max_nodes, crate::decode::DEFAULT_BUDGET)
}

/// [`fsck`] with a decoder value budget of `budget`.
pub fn fsck_with_budget(layout: &Checked, image: &[u8], max_nodes: usize, budget: u64) -> Report {
    let mut decoder = Decoder::new(layout, image).with_budget(budget);
    let walk = walk::walk(&mut decoder, max_nodes);
    let mut violations: Vec<Violation> = decoder
        .faults()
        .iter()
        .map(|f| Violation { path: f.path.clone(), offset: f.offset, message: f.kind.to_string() })
        .collect();
    if walk.truncated || decoder.out_of_budget() {
        violations.push(Violation {
            path: "walk".to_owned(),
            offset: 0,
            message: format!(
                "stopped after {} structures (the node or decoding budget); what is used is unknown, so owners, \
                 bitmaps and link counts are not checked",
                walk.nodes.len()
            ),
        });
        return Report { walk, violations, fixes: Vec::new() };
    }
    let mut fixes = checksum_fixes(decoder.faults());
    let faults = decoder.faults().len();
    let mut fsck = Fsck::survey(&mut decoder, layout, violations, &walk);
    fsck.owners();
    fsck.bitmaps();
    fsck.frees();
    fsck.links();
    if fsck.out_of_work {
        let message = "out of work (units or decoding budget); the rest is not checked".to_owned();
        fsck.violation("fsck", 0, message);
    }
    fsck.decoder.truncate_faults(faults);
    let violations = fsck.violations;
    fixes.extend(fsck.fixes);
    Report { walk, violations, fixes }
}

/// Where a field lies, and its (width, big endian) when it can be rewritten.
struct Located {
    path: String,
    offset: u64,
    word: Option<(u64, bool)>,
}

/// The path and byte offset of the field a `free` value reads, when it is
/// `root.field` or `root[i].field` (the offset from the field's `@`
/// annotation, else the struct's own), and — when that offset is the
/// field's own — its width and byte order, so it can be rewritten.
fn locate(
    layout: &Checked,
    decoder: &Decoder<'_>,
    roots: &[crate::decode::RootValue],
    expr: &Expr,
    var: Option<(&str, u64)>,
) -> Option<Located> {
    use crate::decode::Value;
    let ExprKind::Member(base, field) = &expr.kind else { return None };
    let root_named = |name: &str| roots.iter().find(|r| r.name == name);
    let (name, s) = match &base.kind {
        ExprKind::Name(root) => match &root_named(root)?.value {
            Value::Struct(s) => (root.clone(), s),
            _ => return None,
        },
        ExprKind::Index(array, index) => {
            let ExprKind::Name(root) = &array.kind else { return None };
            let i = decoder.eval_global(index, var, None).ok()?;
            match &root_named(root)?.value {
                Value::Array(items) => match items.get(usize::try_from(i).ok()?)? {
                    Value::Struct(s) => (format!("{root}[{i}]"), s),
                    _ => return None,
                },
                _ => return None,
            }
        }
        _ => return None,
    };
    let def = layout.struct_def(&s.name)?;
    let f = def.members.iter().find_map(|m| match m {
        Member::Field(f) if f.name.name == field.name => Some(f),
        _ => None,
    })?;
    let word = match (&f.ty.kind, f.offset) {
        (TypeKind::Int { width, endian, sub: SubFields::None }, Some(_)) => {
            Some((width.bytes(), layout.endian(*endian) == Endian::Big))
        }
        _ => None,
    };
    let offset = f.offset.map_or(0, |(o, _)| o);
    Some(Located { path: format!("{name}.{}", field.name), offset: s.offset.saturating_add(offset), word })
}

/// A unit [`allocate`] found, and the bytes that mark it used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocation {
    pub unit: u64,
    /// The bitmap byte with its bit set, and every `free` counter over the
    /// unit lowered: write them (with [`apply`]) and the image stays
    /// consistent once a pointer owns the unit.
    pub fixes: Vec<Fix>,
}

/// Allocates a unit of `space` in a clean image: the first whose bitmap bit
/// is clear and that nothing owns, reserves or refers to. Errors (with
/// where) when the image is not clean — what is used would be guessed —
/// when nothing is free, or when a counter over the unit cannot be located.
pub fn allocate(layout: &Checked, image: &[u8], space: &str, max_nodes: usize) -> Result<Allocation, String> {
    let report = fsck(layout, image, max_nodes);
    if let Some(first) = report.violations.first() {
        return Err(format!("the image is not clean ({} problems, the first: {first})", report.violations.len()));
    }
    let mut decoder = Decoder::new(layout, image);
    let walk = walk::walk(&mut decoder, max_nodes);
    Fsck::survey(&mut decoder, layout, Vec::new(), &walk).allocate_in(space)
}

impl<'d, 'a> Fsck<'d, 'a> {
    /// The spaces of `layout` and who claims and reserves what in them:
    /// what both checking and allocating start from.
    fn survey(decoder: &'d mut Decoder<'a>, layout: &'a Checked, violations: Vec<Violation>, walk: &Walk) -> Self {
        let mut fsck = Fsck {
            decoder,
            layout,
            violations,
            spaces: BTreeMap::new(),
            work: 0,
            out_of_work: false,
            fixes: Vec::new(),
        };
        fsck.spaces();
        fsck.claims(walk);
        fsck.reserves();
        fsck
    }

    fn allocate_in(&mut self, space: &str) -> Result<Allocation, String> {
        let Some((from, to, usage)) = self.spaces.get(space) else { return Err(format!("no space `{space}`")) };
        let (from, to) = (*from, *to);
        let used: std::collections::BTreeSet<u64> = usage.keys().copied().collect();
        for item in self.items() {
            let Item::Bitmap(def) = item else { continue };
            if def.space.name != space {
                continue;
            }
            for var in self.each(def.each.as_ref(), &format!("bitmap {space}")) {
                let path = format!("bitmap {space}");
                let (Some(first), Some(count), Some(at)) = (
                    self.eval(&def.first, var, None, &path),
                    self.eval(&def.count, var, None, &path),
                    self.eval(&def.at, var, None, &path),
                ) else {
                    continue;
                };
                let image = self.decoder.image();
                for index in 0..count {
                    let Some(unit) = first.checked_add(index) else { break };
                    if unit < from || unit >= to || used.contains(&unit) {
                        continue;
                    }
                    let Some(byte_at) = at.checked_add(index / 8) else { break };
                    let Some(&byte) = usize::try_from(byte_at).ok().and_then(|i| image.get(i)) else {
                        return Err(format!("{path} (byte {byte_at}): runs past the end of the image"));
                    };
                    if byte >> (index % 8) & 1 == 1 {
                        continue;
                    }
                    let set =
                        Fix { path: format!("{space}#{unit}"), offset: byte_at, bytes: vec![byte | 1 << (index % 8)] };
                    let mut fixes = vec![set];
                    fixes.extend(self.counters_after(space, unit, &used)?);
                    return Ok(Allocation { unit, fixes });
                }
            }
        }
        Err(format!("no free unit in {space} {from}..{to}"))
    }

    /// Every `free` counter over `unit`, set to what it is once `unit` is used.
    fn counters_after(
        &mut self,
        space: &str,
        unit: u64,
        used: &std::collections::BTreeSet<u64>,
    ) -> Result<Vec<Fix>, String> {
        let Some((from, to, _)) = self.spaces.get(space).map(|(f, t, u)| (*f, *t, u.len())) else {
            return Ok(Vec::new());
        };
        let mut roots = None;
        let mut fixes = Vec::new();
        for item in self.items() {
            let Item::Free(def) = item else { continue };
            if def.space.name != space {
                continue;
            }
            for var in self.each(def.each.as_ref(), &format!("free {space}")) {
                let path = format!("free {space}");
                let (lo, hi) = match &def.range {
                    None => (from, to),
                    Some((first, count)) => {
                        let (Some(first), Some(count)) =
                            (self.eval(first, var, None, &path), self.eval(count, var, None, &path))
                        else {
                            return Err(format!("{path}: its range cannot be computed"));
                        };
                        (first.max(from), first.saturating_add(count).min(to))
                    }
                };
                if !(lo <= unit && unit < hi) {
                    continue;
                }
                let free = (hi - lo).saturating_sub(used.range(lo..hi).count() as u64 + 1);
                let roots = roots.get_or_insert_with(|| self.decoder.decode_roots());
                match locate(self.layout, self.decoder, roots, &def.value, var) {
                    Some(Located { path, offset, word: Some((width, big)) }) => {
                        fixes.push(Fix { path, offset, bytes: encode_word(free, width, big) })
                    }
                    _ => {
                        return Err(format!("{path}: the counter over {space}#{unit} cannot be located to be written"))
                    }
                }
            }
        }
        Ok(fixes)
    }

    fn violation(&mut self, path: impl Into<String>, offset: u64, message: String) {
        self.violations.push(Violation { path: path.into(), offset, message });
    }

    /// Spends `n` units of work; false once there is none left.
    fn spend(&mut self, n: u64) -> bool {
        self.work = self.work.saturating_add(n);
        if self.work > MAX_UNITS {
            self.out_of_work = true;
        }
        !self.out_of_work
    }

    fn items(&self) -> impl Iterator<Item = &'a Item> {
        self.layout.layout.items.iter()
    }

    fn eval(&mut self, expr: &'a Expr, var: Option<(&'a str, u64)>, it: Option<u64>, path: &str) -> Option<u64> {
        match self.decoder.eval_global(expr, var, it) {
            Ok(n) => Some(n),
            Err(e) => {
                self.violation(path, 0, e.to_string());
                None
            }
        }
    }

    /// The values of an item's `for` variable (one pass without one).
    fn each(&mut self, each: Option<&'a ForEach>, path: &str) -> Vec<Option<(&'a str, u64)>> {
        let Some(each) = each else { return vec![None] };
        let (Some(from), Some(to)) = (self.eval(&each.from, None, None, path), self.eval(&each.to, None, None, path))
        else {
            return Vec::new();
        };
        if !self.spend(to.saturating_sub(from)) {
            return Vec::new();
        }
        (from..to).map(|v| Some((each.var.name.as_str(), v))).collect()
    }

    fn spaces(&mut self) {
        for item in self.items() {
            let Item::Space(def) = item else { continue };
            let path = format!("space {}", def.name.name);
            if let (Some(from), Some(to)) =
                (self.eval(&def.from, None, None, &path), self.eval(&def.to, None, None, &path))
            {
                self.spaces.insert(def.name.name.clone(), (from, to, BTreeMap::new()));
            }
        }
    }

    /// Records the units a claim (or reservation) uses; reports those outside the space.
    fn use_units(&mut self, space: &str, unit: u64, count: u64, owner: Option<(&str, u64)>, who: (&str, u64)) {
        if !self.spend(count) {
            return;
        }
        let Some((from, to, _)) = self.spaces.get(space) else { return };
        let (from, to) = (*from, *to);
        let end = unit.saturating_add(count);
        if unit < from || end > to {
            let what = if count == 1 { format!("{space}#{unit}") } else { format!("{space}#{unit}..{end}") };
            self.violation(who.0, who.1, format!("points to {what}, outside {space} {from}..{to}"));
        }
        let Some((_, _, usage)) = self.spaces.get_mut(space) else { return };
        for u in unit.max(from)..end.min(to) {
            let entry = usage.entry(u).or_default();
            match owner {
                Some((path, at)) => entry.owners.push((path.to_owned(), at)),
                None => {
                    entry.refs += 1;
                    if entry.first_ref.is_none() {
                        entry.first_ref = Some(who.0.to_owned());
                    }
                }
            }
        }
    }

    fn claims(&mut self, walk: &Walk) {
        for claim in &walk.claims {
            let owner = claim.owns.then_some((claim.path.as_str(), claim.at));
            self.use_units(&claim.space, claim.unit, claim.count, owner, (&claim.path, claim.at));
        }
    }

    fn reserves(&mut self) {
        for item in self.items() {
            let Item::Reserve(def) = item else { continue };
            for var in self.each(def.each.as_ref(), &format!("reserve {}", def.space.name)) {
                let path = match var {
                    Some((name, v)) => format!("reserve {} ({name} = {v})", def.space.name),
                    None => format!("reserve {}", def.space.name),
                };
                if let Some(when) = &def.when {
                    if self.eval(when, var, None, &path) != Some(1) {
                        continue;
                    }
                }
                let Some(start) = self.eval(&def.start, var, None, &path) else { continue };
                let count = match &def.count {
                    Some(count) => match self.eval(count, var, None, &path) {
                        Some(n) => n,
                        None => continue,
                    },
                    None => 1,
                };
                self.use_units(&def.space.name, start, count, Some((&path, 0)), (&path, 0));
            }
        }
    }

    /// Every unit with more than one owner.
    fn owners(&mut self) {
        let mut found = Vec::new();
        for (space, (_, _, usage)) in &self.spaces {
            for (unit, use_) in usage {
                if let [(first, _), rest @ ..] = use_.owners.as_slice() {
                    for (path, at) in rest {
                        let message = format!("{space}#{unit} is owned twice: also by {first}");
                        found.push(Violation { path: path.clone(), offset: *at, message });
                    }
                }
            }
        }
        self.violations.extend(found);
    }

    fn bitmaps(&mut self) {
        for item in self.items() {
            let Item::Bitmap(def) = item else { continue };
            let space = def.space.name.as_str();
            for var in self.each(def.each.as_ref(), &format!("bitmap {space}")) {
                let path = match var {
                    Some((name, v)) => format!("bitmap {space} ({name} = {v})"),
                    None => format!("bitmap {space}"),
                };
                let (Some(first), Some(count), Some(at)) = (
                    self.eval(&def.first, var, None, &path),
                    self.eval(&def.count, var, None, &path),
                    self.eval(&def.at, var, None, &path),
                ) else {
                    continue;
                };
                self.bitmap(space, first, count, at, &path);
            }
        }
    }

    fn bitmap(&mut self, space: &str, first: u64, count: u64, at: u64, path: &str) {
        if !self.spend(count) {
            return;
        }
        let image = self.decoder.image();
        let bytes = usize::try_from(at)
            .ok()
            .zip(usize::try_from(count.div_ceil(8)).ok())
            .and_then(|(start, len)| image.get(start..start.checked_add(len)?));
        let Some(bytes) = bytes else {
            let message =
                format!("a bitmap of {count} bits here runs past the end of the image ({} bytes)", image.len());
            self.violation(path, at, message);
            return;
        };
        let Some((from, to, usage)) = self.spaces.get(space) else { return };
        let mut found = Vec::new();
        for (i, byte) in bytes.iter().enumerate() {
            for bit in 0..8u64 {
                let index = i as u64 * 8 + bit;
                let Some(unit) = first.checked_add(index) else { break };
                if index >= count || unit < *from || unit >= *to {
                    continue;
                }
                let set = byte >> bit & 1 == 1;
                let use_ = usage.get(&unit);
                let user = use_.and_then(|u| u.owners.first().map(|(p, _)| p.as_str()).or(u.first_ref.as_deref()));
                let message = match (set, user) {
                    (false, Some(user)) => {
                        format!("in use (by {user}) but free in the bitmap at byte {at}, bit {index}")
                    }
                    (true, None) => {
                        format!("marked in use in the bitmap at byte {at}, bit {index}, but nothing uses it")
                    }
                    _ => continue,
                };
                found.push(Violation { path: format!("{space}#{unit}"), offset: at + i as u64, message });
            }
        }
        self.violations.extend(found);
    }

    /// Summary counters: each `free` value against the units nothing uses.
    fn frees(&mut self) {
        let mut roots = None;
        for item in self.items() {
            let Item::Free(def) = item else { continue };
            let space = def.space.name.as_str();
            let Some((from, to)) = self.spaces.get(space).map(|(f, t, _)| (*f, *t)) else { continue };
            for var in self.each(def.each.as_ref(), &format!("free {space}")) {
                let path = match var {
                    Some((name, v)) => format!("free {space} ({name} = {v})"),
                    None => format!("free {space}"),
                };
                let Some(value) = self.eval(&def.value, var, None, &path) else { continue };
                let (lo, hi) = match &def.range {
                    None => (from, to),
                    Some((first, count)) => {
                        let (Some(first), Some(count)) =
                            (self.eval(first, var, None, &path), self.eval(count, var, None, &path))
                        else {
                            continue;
                        };
                        (first.max(from), first.saturating_add(count).min(to))
                    }
                };
                let hi = hi.max(lo);
                let used = self.spaces.get(space).map_or(0, |(_, _, usage)| usage.range(lo..hi).count() as u64);
                let free = hi - lo - used.min(hi - lo);
                if value != free {
                    let roots = roots.get_or_insert_with(|| self.decoder.decode_roots());
                    let found = locate(self.layout, self.decoder, roots, &def.value, var);
                    let message = format!("is {value}, but {free} of {space}#{lo}..{hi} are free");
                    match found {
                        Some(Located { path: at_path, offset: at, word }) => {
                            if let Some((width, big)) = word {
                                let bytes = encode_word(free, width, big);
                                self.fixes.push(Fix { path: at_path.clone(), offset: at, bytes });
                            }
                            self.violations.push(Violation { path: at_path, offset: at, message });
                        }
                        None => self.violations.push(Violation { path, offset: 0, message }),
                    }
                }
            }
        }
    }

    fn links(&mut self) {
        for item in self.items() {
            let Item::Links(def) = item else { continue };
            let space = def.space.name.as_str();
            let Some(&(from, to, _)) = self.spaces.get(space) else { continue };
            if !self.spend(to.saturating_sub(from)) {
                return;
            }
            for unit in from..to {
                if self.decoder.out_of_budget() {
                    self.out_of_work = true;
                    return;
                }
                let path = format!("{space}#{unit}");
                if let Some(when) = &def.when {
                    if self.eval(when, None, Some(unit), &path) != Some(1) {
                        continue;
                    }
                }
                self.link_count(def, space, unit, &path);
            }
        }
    }

    fn link_count(&mut self, def: &'a LinksDef, space: &str, unit: u64, path: &str) {
        let addr = match self.decoder.address(&def.via.name, unit) {
            Ok(addr) => addr,
            Err(e) => return self.violation(path, 0, e.to_string()),
        };
        // Faults of this structure were reported on the walk, or will be by
        // the bitmap check (an inode nothing reaches); keep only the count.
        let faults = self.decoder.faults().len();
        let value = self.decoder.decode_struct_at(&def.ty.name, addr, path);
        self.decoder.truncate_faults(faults);
        let crate::decode::Value::Struct(s) = value else { return };
        let Some(links) = s.field(&def.field.name).and_then(|v| v.as_int()) else { return };
        let usage = self.spaces.get(space).and_then(|(_, _, usage)| usage.get(&unit));
        let refs = usage.map_or(0, |u| u.refs);
        if refs != links {
            let named = match usage.and_then(|u| u.first_ref.as_deref()) {
                Some(first) => {
                    format!("{refs} pointer{} to it (first {first})", if refs == 1 { " points" } else { "s point" })
                }
                None => "nothing refers to it".to_owned(),
            };
            let message = format!("{} is {links}, but {named}", def.field.name);
            self.violation(format!("{path}.{}", def.field.name), addr, message);
        }
    }
}
