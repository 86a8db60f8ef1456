//! The walker: follows pointers from the roots of a layout through an image
//! and collects the reachable structure graph (`ddsl walk`), plus what the
//! pointers claim (`owns`/`refs` annotations), for `fsck`.
//!
//! Consumes a [`Decoder`] over a checked layout and an image; produces
//! [`Node`]s (path, type, byte offset) in breadth-first order and
//! [`Claim`]s. Knows nothing of any file system: only roots, structs held by
//! value, and pointers with their targets. Bounded: at most `max_nodes`
//! structures are decoded, and a structure is visited once per
//! (byte offset, type) — a cycle of pointers, or a structure reached both by
//! value and through a pointer (an inode in its table and named by a
//! directory entry), is read once. Decoding faults stay in the decoder.

use crate::decode::{Decoder, Value};
use std::collections::{HashSet, VecDeque};

/// How many structures a walk decodes by default.
pub const DEFAULT_MAX_NODES: usize = 1_000_000;

/// A structure reached from a root: the path of the pointer (or root) that
/// first reached it, its type and its byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub path: String,
    pub ty: String,
    pub offset: u64,
    /// Pointers followed from a root to get here.
    pub depth: u32,
}

/// A live pointer annotated `owns space` or `refs space`: it claims units
/// `unit .. unit + count` of `space`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// Path of the pointer field, e.g. `gdt[0].bg_inode_table.inodes[11].i_block.file.direct[0]`.
    pub path: String,
    /// Byte offset of the pointer in the image.
    pub at: u64,
    pub owns: bool,
    pub space: String,
    pub unit: u64,
    pub count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Walk {
    pub nodes: Vec<Node>,
    pub claims: Vec<Claim>,
    /// The node budget ran out with pointers still to follow.
    pub truncated: bool,
}

struct Walker {
    seen: HashSet<(u64, String)>,
    /// Claims are per pointer slot: (byte offset, target type, space).
    claimed: HashSet<(u64, String, String)>,
    queue: VecDeque<(String, String, u64, u32)>,
    out: Walk,
}

/// Decodes the roots, then follows every live pointer breadth first.
pub fn walk(decoder: &mut Decoder<'_>, max_nodes: usize) -> Walk {
    let mut walker =
        Walker { seen: HashSet::new(), claimed: HashSet::new(), queue: VecDeque::new(), out: Walk::default() };
    for root in decoder.decode_roots() {
        let Some(offset) = root.offset else { continue };
        let ty = match &root.value {
            Value::Struct(s) => s.name.clone(),
            Value::Array(items) => match items.first() {
                Some(Value::Struct(s)) => format!("[{}; {}]", s.name, items.len()),
                _ => format!("[{}]", items.len()),
            },
            _ => continue,
        };
        walker.out.nodes.push(Node { path: root.name.clone(), ty, offset, depth: 0 });
        walker.visit(&root.value, &root.name, 0);
    }
    while let Some((path, ty, addr, depth)) = walker.queue.pop_front() {
        if walker.seen.contains(&(addr, ty.clone())) {
            continue;
        }
        if walker.out.nodes.len() >= max_nodes {
            walker.out.truncated = true;
            break;
        }
        walker.seen.insert((addr, ty.clone()));
        let value = decoder.decode_struct_at(&ty, addr, &path);
        walker.out.nodes.push(Node { path: path.clone(), ty, offset: addr, depth });
        walker.visit(&value, &path, depth);
    }
    walker.out
}

impl Walker {
    fn visit(&mut self, value: &Value, path: &str, depth: u32) {
        match value {
            Value::Struct(s) => {
                self.seen.insert((s.offset, s.name.clone()));
                for (name, field) in &s.fields {
                    if holds_structure(field) {
                        self.visit(field, &format!("{path}.{name}"), depth);
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if holds_structure(item) {
                        self.visit(item, &format!("{path}[{i}]"), depth);
                    }
                }
            }
            Value::Variant { arm, value } => self.visit(value, &format!("{path}.{arm}"), depth),
            Value::Pointer { raw, at, target: Some(target) } => {
                if let Some(claim) = &target.claim {
                    if self.claimed.insert((*at, target.ty.clone(), claim.space.clone())) {
                        self.out.claims.push(Claim {
                            path: path.to_owned(),
                            at: *at,
                            owns: claim.owns,
                            space: claim.space.clone(),
                            unit: *raw,
                            count: claim.count,
                        });
                    }
                }
                if !self.seen.contains(&(target.addr, target.ty.clone())) {
                    self.queue.push_back((path.to_owned(), target.ty.clone(), target.addr, depth.saturating_add(1)));
                }
            }
            Value::Pointer { target: None, .. } | Value::Int(_) | Value::Bytes(_) | Value::Missing => {}
        }
    }
}

/// Whether a value can hold a struct or a live pointer (so is worth a path).
fn holds_structure(value: &Value) -> bool {
    match value {
        Value::Struct(_) | Value::Variant { .. } | Value::Pointer { target: Some(_), .. } => true,
        Value::Array(items) => items.iter().any(holds_structure),
        Value::Int(_) | Value::Bytes(_) | Value::Missing | Value::Pointer { target: None, .. } => false,
    }
}

/// `path: Type @ offset`, one line per node, in the order they were reached.
pub fn render(walk: &Walk) -> String {
    walk.nodes.iter().map(|node| format!("{}: {} @ {}\n", node.path, node.ty, node.offset)).collect()
}
