//! Path lookup through the marked structures (`ddsl walk SPEC IMAGE PATH`,
//! `--cat`). Consumes a checked layout, a [`Decoder`] and a [`Walk`];
//! produces the structures met on the way to a path and, for a file, its
//! bytes. Knows no file system, only marks:
//!
//! - a struct marked `inode` is a file; its *contents* are the structures
//!   its pointers lead to — following owning pointers (and those with no
//!   claim) through any structures in between (indirect blocks), in field
//!   order, never into another `inode`, never through a `refs` pointer;
//! - contents marked `directory` hold structs marked `entry`, each with a
//!   field marked `name` and a live pointer to an `inode`;
//! - contents marked `file_data` are the file's bytes, in order, cut to the
//!   inode's field marked `file_size`.
//!
//! The root directory is found the POSIX way: from the first `directory`
//! the walk reached, follow `..` until a directory's `..` names itself.
//! Bounded: [`MAX_CONTENTS`] structures per file, [`MAX_DEPTH`] steps up.

use crate::check::Checked;
use crate::decode::{Decoder, StructValue, Value};
use crate::walk::Walk;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;

/// Structures read for one file's contents, at most.
pub const MAX_CONTENTS: usize = 1 << 20;
/// Steps up through `..` (and path components), at most.
pub const MAX_DEPTH: usize = 4096;
/// The largest file `read_file` returns.
pub const MAX_FILE: u64 = 1 << 30;

/// A structure met on the way: the path prefix it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Met {
    pub path: String,
    pub ty: String,
    pub offset: u64,
}

impl fmt::Display for Met {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} @ {}", self.path, self.ty, self.offset)
    }
}

/// Why a path could not be resolved, with the structure where it stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupError {
    /// The path (prefix) being resolved.
    pub path: String,
    /// Type and byte offset of the structure where it stopped, if any.
    pub at: Option<(String, u64)>,
    pub message: String,
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Some((ty, offset)) => write!(f, "{} ({ty} @ byte {offset}): {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for LookupError {}

/// A resolved path: what was met, and the file's inode.
#[derive(Clone, Debug)]
pub struct Found {
    pub met: Vec<Met>,
    pub inode: StructValue,
}

/// What an inode's pointers lead to.
#[derive(Clone, Debug, Default)]
struct Contents {
    dirs: Vec<StructValue>,
    data: Vec<Piece>,
    /// Everything decoded on the way, in order (for `met`).
    all: Vec<(String, u64)>,
}

/// A piece of a file's data, in order.
#[derive(Clone, Debug)]
enum Piece {
    Data(StructValue),
    /// A pointer to data that is not live (0 in ext2): that many zero bytes.
    Hole(u64),
}

struct Lookup<'c, 'd, 'a> {
    checked: &'c Checked,
    decoder: &'d mut Decoder<'a>,
    /// Bytes of file data a dead pointer to each type stands for.
    holes: HashMap<String, u64>,
}

fn err(path: &str, at: Option<(&str, u64)>, message: impl Into<String>) -> LookupError {
    LookupError { path: path.to_string(), at: at.map(|(t, o)| (t.to_string(), o)), message: message.into() }
}

/// Resolves `path` (`/a/b`, or `a/b` from the root) through the image.
/// Symlinks met on the way (an inode whose chosen `select` arm is marked
/// `symlink`) are followed, and so is the last one with `follow_last`.
pub fn lookup(
    checked: &Checked,
    decoder: &mut Decoder<'_>,
    walk: &Walk,
    path: &str,
    follow_last: bool,
) -> Result<Found, LookupError> {
    let mut l = Lookup { checked, decoder, holes: HashMap::new() };
    let root = l.root(walk)?;
    let mut inode = root.clone();
    let mut met = vec![Met { path: "/".into(), ty: inode.name.clone(), offset: inode.offset }];
    let mut so_far = String::new();
    let mut queue: VecDeque<String> = components(path);
    if queue.len() > MAX_DEPTH {
        return Err(err(path, None, format!("more than {MAX_DEPTH} components")));
    }
    let mut links = 0;
    while let Some(component) = queue.pop_front() {
        let here = if so_far.is_empty() { "/".to_string() } else { so_far.clone() };
        let contents = l.contents(&inode, &here)?;
        let parent = (inode.clone(), so_far.clone());
        so_far = format!("{so_far}/{component}");
        for (ty, offset) in &contents.all {
            met.push(Met { path: here.clone(), ty: ty.clone(), offset: *offset });
        }
        if contents.dirs.is_empty() {
            return Err(err(&here, Some((&inode.name, inode.offset)), "not a directory"));
        }
        let Some((entry, target)) = l.find(&contents.dirs, &component) else {
            return Err(err(&so_far, Some((&inode.name, inode.offset)), format!("no entry `{component}` in `{here}`")));
        };
        met.push(Met { path: so_far.clone(), ty: entry.name.clone(), offset: entry.offset });
        inode = target;
        met.push(Met { path: so_far.clone(), ty: inode.name.clone(), offset: inode.offset });
        if !queue.is_empty() || follow_last {
            let Some(text) = l.symlink(&inode, &so_far)? else { continue };
            links += 1;
            if links > MAX_SYMLINKS || queue.len() > MAX_DEPTH {
                return Err(err(&so_far, Some((&inode.name, inode.offset)), "too many levels of symbolic links"));
            }
            let text = String::from_utf8_lossy(&text).into_owned();
            met.push(Met { path: so_far.clone(), ty: format!("symlink to `{text}`"), offset: inode.offset });
            for c in components(&text).into_iter().rev() {
                queue.push_front(c);
            }
            (inode, so_far) = if text.starts_with('/') { (root.clone(), String::new()) } else { parent };
        }
    }
    Ok(Found { met, inode })
}

/// Symlinks followed in one lookup, at most (as Linux's 40).
pub const MAX_SYMLINKS: usize = 40;

fn components(path: &str) -> VecDeque<String> {
    path.split('/').filter(|c| !c.is_empty()).map(str::to_owned).collect()
}

/// The bytes of a resolved regular file: its `file_data` contents in order,
/// cut to its `file_size`. Also the structures met reading them.
pub fn read_file(
    checked: &Checked,
    decoder: &mut Decoder<'_>,
    found: &Found,
    path: &str,
) -> Result<(Vec<u8>, Vec<Met>), LookupError> {
    let mut l = Lookup { checked, decoder, holes: HashMap::new() };
    let contents = l.contents(&found.inode, path)?;
    if !contents.dirs.is_empty() {
        return Err(err(path, Some((&found.inode.name, found.inode.offset)), "is a directory"));
    }
    let bytes = l.file_bytes(&found.inode, &contents, path)?;
    let met = contents.all.iter().map(|(ty, offset)| Met { path: path.into(), ty: ty.clone(), offset: *offset });
    Ok((bytes, met.collect()))
}

fn has_mark(checked: &Checked, ty: &str, mark: &str) -> bool {
    checked.struct_def(ty).is_some_and(|d| d.marks.iter().any(|m| m.name == mark))
}

/// The name of `ty`'s field marked `mark`.
fn field_marked<'c>(checked: &'c Checked, ty: &str, mark: &str) -> Option<&'c str> {
    checked.struct_def(ty)?.members.iter().find_map(|m| match m {
        crate::syntax::ast::Member::Field(f) if f.marks.iter().any(|k| k.name == mark) => Some(f.name.name.as_str()),
        _ => None,
    })
}

impl Lookup<'_, '_, '_> {
    /// A file's data pieces in order, holes as zeros, cut to its `file_size`.
    fn file_bytes(&mut self, inode: &StructValue, contents: &Contents, path: &str) -> Result<Vec<u8>, LookupError> {
        let at = Some((inode.name.as_str(), inode.offset));
        let size = self.file_size(inode, path)?;
        let image = self.decoder.image();
        let mut bytes = Vec::new();
        for piece in &contents.data {
            if bytes.len() as u64 >= size {
                break;
            }
            let block = match piece {
                Piece::Data(block) => block,
                Piece::Hole(n) => {
                    let zeros = (*n).min(size - bytes.len() as u64) as usize;
                    bytes.resize(bytes.len() + zeros, 0);
                    continue;
                }
            };
            let Some(len) = block.size else {
                return Err(err(path, Some((&block.name, block.offset)), "data block of unknown size"));
            };
            let range = usize::try_from(block.offset)
                .ok()
                .and_then(|start| Some(start..start.checked_add(usize::try_from(len).ok()?)?))
                .and_then(|r| image.get(r));
            let Some(data) = range else {
                return Err(err(path, Some((&block.name, block.offset)), "data block outside the image"));
            };
            bytes.extend_from_slice(data);
        }
        if (bytes.len() as u64) < size {
            return Err(err(path, at, format!("the size is {size}, but the data blocks hold {} bytes", bytes.len())));
        }
        bytes.truncate(size as usize);
        Ok(bytes)
    }

    /// The inode's field marked `file_size`, at most [`MAX_FILE`].
    fn file_size(&self, inode: &StructValue, path: &str) -> Result<u64, LookupError> {
        let at = Some((inode.name.as_str(), inode.offset));
        let Some(size_field) = field_marked(self.checked, &inode.name, "file_size") else {
            return Err(err(path, at, format!("struct `{}` has no field marked `file_size`", inode.name)));
        };
        let Some(size) = inode.field(size_field).and_then(Value::as_int) else {
            return Err(err(path, at, format!("`{size_field}` could not be read")));
        };
        if size > MAX_FILE {
            return Err(err(path, at, format!("{size_field} is {size}, more than the {MAX_FILE} bytes read here")));
        }
        Ok(size)
    }

    /// A symlink's target: the inode's chosen arm of a `select` field is
    /// marked `symlink`; its bytes (a fast symlink) or the file data its
    /// pointers lead to (a slow one), cut to the `file_size`.
    fn symlink(&mut self, inode: &StructValue, path: &str) -> Result<Option<Vec<u8>>, LookupError> {
        let Some(def) = self.checked.struct_def(&inode.name) else { return Ok(None) };
        for member in &def.members {
            let crate::syntax::ast::Member::Field(f) = member else { continue };
            let mut ty = &f.ty;
            let Some(mut value) = inode.field(&f.name.name) else { continue };
            while let (crate::syntax::ast::TypeKind::Select { arms, .. }, Value::Variant { arm, value: inner }) =
                (&ty.kind, value)
            {
                let Some(chosen) = arms.iter().find(|a| a.name.name == *arm) else { break };
                if chosen.marks.iter().any(|m| m.name == "symlink") {
                    let size = self.file_size(inode, path)?;
                    return match inner.as_ref() {
                        Value::Bytes(b) => Ok(Some(b.iter().take(size as usize).copied().collect())),
                        _ => {
                            let contents = self.contents(inode, path)?;
                            self.file_bytes(inode, &contents, path).map(Some)
                        }
                    };
                }
                ty = &chosen.ty;
                value = inner;
            }
        }
        Ok(None)
    }

    /// The root directory's inode.
    fn root(&mut self, walk: &Walk) -> Result<StructValue, LookupError> {
        let Some(first) = walk.nodes.iter().find(|n| has_mark(self.checked, &n.ty, "directory")) else {
            return Err(err("/", None, "the walk reached no structure marked `directory`"));
        };
        let Value::Struct(dir) = self.decoder.decode_struct_at(&first.ty, first.offset, &first.path) else {
            return Err(err("/", Some((&first.ty, first.offset)), "the first directory could not be decoded"));
        };
        let Some((_, mut inode)) = self.find(std::slice::from_ref(&dir), "..") else {
            return Err(err("/", Some((&dir.name, dir.offset)), "the first directory has no `..` entry"));
        };
        for _ in 0..MAX_DEPTH {
            let contents = self.contents(&inode, "/")?;
            let Some((_, parent)) = self.find(&contents.dirs, "..") else {
                return Err(err("/", Some((&inode.name, inode.offset)), "a directory without `..` on the way up"));
            };
            if (parent.offset, &parent.name) == (inode.offset, &inode.name) {
                return Ok(inode);
            }
            inode = parent;
        }
        Err(err("/", None, format!("no root within {MAX_DEPTH} steps up through `..`")))
    }

    /// The first entry named `name` in the directory structures, and the
    /// inode it points to.
    fn find(&mut self, dirs: &[StructValue], name: &str) -> Option<(StructValue, StructValue)> {
        let mut entries = Vec::new();
        for dir in dirs {
            self.entries(&Value::Struct(dir.clone()), &mut entries);
        }
        for entry in entries {
            let Some(name_field) = field_marked(self.checked, &entry.name, "name") else { continue };
            let Some(Value::Bytes(bytes)) = entry.field(name_field) else { continue };
            if bytes.as_slice() != name.as_bytes() {
                continue;
            }
            for (_, value) in &entry.fields {
                if let Value::Pointer { target: Some(t), .. } = value {
                    if has_mark(self.checked, &t.ty, "inode") {
                        let path = format!("{name} -> {}", t.ty);
                        if let Value::Struct(inode) = self.decoder.decode_struct_at(&t.ty, t.addr, &path) {
                            return Some((entry, inode));
                        }
                    }
                }
            }
        }
        None
    }

    /// Every struct marked `entry` inside `value`.
    fn entries(&self, value: &Value, out: &mut Vec<StructValue>) {
        match value {
            Value::Struct(s) if has_mark(self.checked, &s.name, "entry") => out.push(s.clone()),
            Value::Struct(s) => s.fields.iter().for_each(|(_, v)| self.entries(v, out)),
            Value::Array(items) => items.iter().for_each(|v| self.entries(v, out)),
            Value::Variant { value, .. } => self.entries(value, out),
            _ => {}
        }
    }

    /// What `inode`'s pointers lead to, depth first in field order; a
    /// dead pointer to file data is a hole of the bytes it stands for.
    fn contents(&mut self, inode: &StructValue, path: &str) -> Result<Contents, LookupError> {
        let mut out = Contents::default();
        let mut seen = HashSet::new();
        // Each value with the pointer annotation of its field: (target, refs).
        let mut stack: Vec<(Value, Option<(String, bool)>)> = self.fields_of(inode);
        while let Some((value, pointer)) = stack.pop() {
            match value {
                Value::Struct(s) => stack.extend(self.fields_of(&s)),
                Value::Array(items) => items.into_iter().rev().for_each(|v| stack.push((v, pointer.clone()))),
                Value::Variant { value, .. } => stack.push((*value, None)),
                Value::Pointer { target: None, .. } => {
                    if let Some((ty, false)) = pointer {
                        if !has_mark(self.checked, &ty, "inode") {
                            let n = self.hole_size(&ty, 0);
                            if n > 0 {
                                out.data.push(Piece::Hole(n));
                            }
                        }
                    }
                }
                Value::Pointer { target: Some(t), .. } => {
                    let refs = t.claim.as_ref().is_some_and(|c| !c.owns);
                    if refs || has_mark(self.checked, &t.ty, "inode") || !seen.insert((t.addr, t.ty.clone())) {
                        continue;
                    }
                    if out.all.len() >= MAX_CONTENTS {
                        return Err(err(path, Some((&inode.name, inode.offset)), "too many structures"));
                    }
                    let Value::Struct(s) = self.decoder.decode_struct_at(&t.ty, t.addr, path) else {
                        return Err(err(path, Some((&t.ty, t.addr)), "could not be decoded"));
                    };
                    out.all.push((s.name.clone(), s.offset));
                    if has_mark(self.checked, &s.name, "directory") {
                        out.dirs.push(s);
                    } else if has_mark(self.checked, &s.name, "file_data") {
                        out.data.push(Piece::Data(s));
                    } else {
                        stack.extend(self.fields_of(&s));
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// A struct's fields, last first (for the stack), each with its
    /// pointer annotation: target type, and whether it only `refs`.
    fn fields_of(&self, s: &StructValue) -> Vec<(Value, Option<(String, bool)>)> {
        let def = self.checked.struct_def(&s.name);
        let pointer = |name: &str| {
            def.and_then(|d| {
                d.members.iter().find_map(|m| match m {
                    crate::syntax::ast::Member::Field(f) if f.name.name == name => f.pointer.as_ref(),
                    _ => None,
                })
            })
            .map(|p| (p.target.name.clone(), p.claim.as_ref().is_some_and(|c| !c.owns)))
        };
        s.fields.iter().rev().map(|(name, v)| (v.clone(), pointer(name))).collect()
    }

    /// Bytes of file data a dead pointer to `ty` stands for: a data
    /// structure's size, or all that a structure of pointers (an indirect
    /// block) would map. Sizes are read from a copy decoded at byte 0, so
    /// they must not depend on its fields (they are the image's, e.g. the
    /// block size); its faults are dropped.
    fn hole_size(&mut self, ty: &str, depth: usize) -> u64 {
        if let Some(&n) = self.holes.get(ty) {
            return n;
        }
        if depth > 8 || has_mark(self.checked, ty, "directory") || has_mark(self.checked, ty, "inode") {
            return 0;
        }
        let faults = self.decoder.faults().len();
        let sample = self.decoder.decode_struct_at(ty, 0, "hole");
        self.decoder.truncate_faults(faults);
        let Value::Struct(s) = sample else { return 0 };
        let n = if has_mark(self.checked, ty, "file_data") {
            s.size.unwrap_or(0)
        } else {
            let mut total = 0u64;
            for (value, pointer) in self.fields_of(&s) {
                let Some((target, false)) = pointer else { continue };
                let slots = match &value {
                    Value::Array(items) => items.len() as u64,
                    _ => 1,
                };
                total = total.saturating_add(slots.saturating_mul(self.hole_size(&target, depth + 1)));
            }
            total
        };
        self.holes.insert(ty.to_string(), n);
        n
    }
}
