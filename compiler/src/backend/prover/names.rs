//! Prover names for CDSL names: deterministic, derived from source names
//! (and an instance's type arguments) alone — never from counters over the
//! program. One allocator; each prover brings its [`Rules`]: which
//! identifiers are well formed, which words it reserves, how to sanitise a
//! name, and the character appended until a renamed name is free.
//!
//! Names that need no renaming claim themselves first, so a renaming
//! depends only on which other names exist, not on any order. Names
//! starting with `cdsl_` are reserved for base libraries and helpers in
//! both provers.

use crate::core::ir::Function;
use crate::typeck::types::Ty;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

/// One prover's naming rules.
pub struct Rules {
    /// Words the prover reserves and library names generated code uses.
    pub reserved: &'static [&'static str],
    /// Whether a name is a well-formed identifier (reserved words aside).
    pub well_formed: fn(&str) -> bool,
    /// A well-formed (or nearly: it may still be reserved) version of any name.
    pub sanitize: fn(&str) -> String,
    /// Appended to a name until it is free.
    pub bump: char,
}

impl Rules {
    /// Whether `name` may be used as it is.
    pub fn usable(&self, name: &str) -> bool {
        (self.well_formed)(name) && !self.reserved.contains(&name) && !name.starts_with("cdsl_")
    }

    /// `name` if usable and not in `used`, else `sanitize(name)` bumped
    /// until it is.
    fn fresh(&self, name: &str, used: &HashSet<String>, avoid: &HashSet<String>) -> String {
        let mut ident = (self.sanitize)(name);
        while !self.usable(&ident) || used.contains(&ident) || avoid.contains(&ident) {
            ident.push(self.bump);
        }
        ident
    }
}

/// Allocates names in one namespace: usable names claim themselves, the
/// others become `sanitize(name)` plus as many bumps as make them free.
pub fn allocate(rules: &Rules, wanted: &BTreeSet<String>, taken: &HashSet<String>) -> BTreeMap<String, String> {
    let mut used: HashSet<String> = taken.clone();
    let mut out = BTreeMap::new();
    for name in wanted.iter().filter(|n| rules.usable(n) && !taken.contains(*n)) {
        used.insert(name.clone());
        out.insert(name.clone(), name.clone());
    }
    let rest: Vec<&String> = wanted.iter().filter(|n| !out.contains_key(*n)).collect();
    for name in rest {
        let ident = rules.fresh(name, &used, &HashSet::new());
        used.insert(ident.clone());
        out.insert(name.clone(), ident);
    }
    out
}

/// 32-bit FNV-1a: a stable hash.
pub fn fnv32(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193))
}

/// Letters and digits of `s`, every other run of characters one `_`,
/// no `_` at either end.
pub fn plain(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

/// The wanted (pre-allocation) name of a function instance: `f`, or
/// `wordarray_get__U32` for `wordarray_get[U32]`. A type argument that is
/// more than words and spaces is shortened and gets a hash of its text.
pub fn instance_name(function: &Function) -> String {
    let mut name = function.source_name.clone();
    for arg in &function.type_args {
        let _ = write!(name, "__{}", type_arg(arg));
    }
    name
}

fn type_arg(ty: &Ty) -> String {
    if *ty == Ty::Unit {
        return "Unit".to_owned();
    }
    let text = ty.to_string();
    if text.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '_') {
        return plain(&text);
    }
    let short = match ty {
        Ty::Record { fields, .. } => {
            format!("Rec_{}", fields.iter().take(2).map(|(n, _)| plain(n)).collect::<Vec<_>>().join("_"))
        }
        Ty::Variant(alts) => format!("V_{}", alts.keys().take(2).map(|t| plain(t)).collect::<Vec<_>>().join("_")),
        _ => plain(&text).chars().take(24).collect(),
    };
    format!("{short}_{:06x}", fnv32(&text) & 0xff_ffff)
}

/// Names of one function's locals (and of the helpers its translation
/// binds). Each CDSL variable gets one prover name for the whole function.
/// Locals avoid `globals`, which should be the globals this function
/// refers to (not every global of the program: a local is then renamed
/// only by a change to its own function). Helpers are `cdsl_<hint><k>`, a
/// prefix no user name keeps.
pub struct Locals<'g> {
    rules: &'static Rules,
    globals: &'g HashSet<String>,
    names: HashMap<String, String>,
    types: HashMap<String, Ty>,
    /// Types that bindings replaced, restored when their scope ends.
    saved: Vec<(String, Option<Ty>)>,
    used: HashSet<String>,
    helpers: usize,
}

impl<'g> Locals<'g> {
    pub fn new(rules: &'static Rules, globals: &'g HashSet<String>) -> Locals<'g> {
        Locals {
            rules,
            globals,
            names: HashMap::new(),
            types: HashMap::new(),
            saved: Vec::new(),
            used: HashSet::new(),
            helpers: 0,
        }
    }

    pub fn ident(&mut self, name: &str) -> String {
        if let Some(ident) = self.names.get(name) {
            return ident.clone();
        }
        let wanted = match name.strip_prefix('%') {
            Some(rest) => format!("m{}", rest.replace(|c: char| !c.is_ascii_alphanumeric(), "_")),
            None => name.to_owned(),
        };
        let ident = self.rules.fresh(&wanted, &self.used, self.globals);
        self.used.insert(ident.clone());
        self.names.insert(name.to_owned(), ident.clone());
        ident
    }

    /// Names a variable at its binding, recording its type.
    pub fn bind(&mut self, name: &str, ty: &Ty) -> String {
        let previous = self.types.insert(name.to_owned(), ty.clone());
        self.saved.push((name.to_owned(), previous));
        self.ident(name)
    }

    /// Where a scope starts: [`Locals::restore`] with it ends the scope.
    pub fn mark(&self) -> usize {
        self.saved.len()
    }

    /// Forgets the bindings made since `mark`, uncovering shadowed ones.
    pub fn restore(&mut self, mark: usize) {
        while self.saved.len() > mark {
            let Some((name, previous)) = self.saved.pop() else { break };
            match previous {
                Some(ty) => self.types.insert(name, ty),
                None => self.types.remove(&name),
            };
        }
    }

    /// The type of the innermost binding of a variable in scope.
    pub fn type_of(&self, name: &str) -> Option<Ty> {
        self.types.get(name).cloned()
    }

    pub fn helper(&mut self, hint: &str) -> String {
        self.helpers += 1;
        format!("cdsl_{hint}{}", self.helpers)
    }
}
