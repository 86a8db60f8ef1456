//! Patterns: irrefutable ones binding every part of a value (linear parts to
//! fresh variables, discardable parts sometimes to `_`), and exhaustive sets
//! of alternatives for matching a value, nested.

use super::types::{Ty, Universe, W};
use super::{Feature, Gen};

/// A pattern, always atomic as text (a constructor with arguments is in
/// parentheses), and the variables it binds.
#[derive(Clone, Debug)]
pub(crate) struct Pat {
    pub(crate) text: String,
    pub(crate) binds: Vec<(String, Ty)>,
    /// Matches only some values.
    pub(crate) refutable: bool,
    /// For a tuple pattern, its components (so `Tag p1 p2` can be written).
    pub(crate) parts: Option<Vec<String>>,
}

impl Pat {
    fn leaf(text: String, binds: Vec<(String, Ty)>, refutable: bool) -> Pat {
        Pat { text, binds, refutable, parts: None }
    }
}

/// A name prefix that says what a variable holds.
pub(crate) fn prefix(ty: &Ty) -> &'static str {
    match ty {
        Ty::Sys => "ex",
        Ty::Array(_) => "arr",
        Ty::Boxed(..) => "t",
        Ty::Word(_) => "n",
        Ty::Bool => "b",
        Ty::Bang(_) => "view",
        Ty::Fun(..) => "fn",
        _ => "v",
    }
}

impl Gen {
    /// An irrefutable pattern for `ty`, which holds no linear variant:
    /// tuples and records with a linear part are destructured, linear atoms
    /// and (mostly) values bound to fresh names, discardable parts sometimes
    /// dropped with `_`.
    pub(crate) fn bind_pat(&mut self, ty: &Ty) -> Pat {
        let linear = self.uni.is_linear(ty);
        match ty {
            Ty::Tuple(ts) if linear || self.rng.pct(30) => {
                let ps: Vec<Pat> = ts.iter().map(|t| self.bind_pat(t)).collect();
                self.tuple_pat(ps)
            }
            Ty::Anon(_) | Ty::Rec(_) if linear || matches!(ty, Ty::Anon(_)) || self.rng.pct(25) => {
                if matches!(ty, Ty::Rec(_)) {
                    self.feat(Feature::UnboxedRecord);
                }
                let fields = self.uni.fields(ty).to_vec();
                let mut parts = Vec::new();
                let mut binds = Vec::new();
                for (f, t) in &fields {
                    if !self.uni.is_linear(t) && self.rng.pct(30) {
                        continue; // a discardable field may be left out
                    }
                    let p = self.bind_pat(t);
                    parts.push(format!("{f} = {}", p.text));
                    binds.extend(p.binds);
                }
                if parts.is_empty() {
                    return Pat::leaf("_".into(), vec![], false);
                }
                Pat::leaf(format!("#{{{}}}", parts.join(", ")), binds, false)
            }
            Ty::Unit if self.rng.pct(50) => Pat::leaf("()".into(), vec![], false),
            _ if !linear && self.rng.pct(6) => Pat::leaf("_".into(), vec![], false),
            _ => {
                let name = if *ty == Ty::Sys { self.ex_name() } else { self.name(prefix(ty)) };
                Pat::leaf(name.clone(), vec![(name, ty.clone())], false)
            }
        }
    }

    fn tuple_pat(&mut self, ps: Vec<Pat>) -> Pat {
        let text = format!("({})", ps.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join(", "));
        let refutable = ps.iter().any(|p| p.refutable);
        let parts = Some(ps.iter().map(|p| p.text.clone()).collect());
        Pat { text, binds: ps.into_iter().flat_map(|p| p.binds).collect(), refutable, parts }
    }

    /// Alternatives covering every value of the value type `ty`, specific
    /// ones first; `depth` bounds the nesting.
    pub(crate) fn cover(&mut self, ty: &Ty, depth: u32) -> Vec<Pat> {
        if depth == 0 || self.rng.pct(20) {
            return vec![self.bind_pat(ty)];
        }
        match ty {
            Ty::Word(w) => self.cover_word(*w),
            Ty::Bool => {
                if self.rng.pct(60) {
                    let first = self.rng.pct(50);
                    vec![Pat::leaf(bool_text(first), vec![], true), Pat::leaf(bool_text(!first), vec![], true)]
                } else {
                    let first = self.rng.pct(50);
                    vec![Pat::leaf(bool_text(first), vec![], true), self.bind_pat(ty)]
                }
            }
            Ty::Tuple(ts) => {
                let split = self.rng.below(ts.len());
                let rows = self.cover(&ts[split], depth - 1);
                rows.into_iter()
                    .map(|row| {
                        let ps: Vec<Pat> = ts
                            .iter()
                            .enumerate()
                            .map(|(k, t)| if k == split { row.clone() } else { self.bind_pat(t) })
                            .collect();
                        if row.refutable {
                            self.feat(Feature::NestedPattern);
                        }
                        self.tuple_pat(ps)
                    })
                    .collect()
            }
            Ty::Rec(i) => {
                self.feat(Feature::UnboxedRecord);
                let fields = self.uni.unboxed[*i].fields.clone();
                let split = self.rng.below(fields.len());
                let rows = self.cover(&fields[split].1, depth - 1);
                rows.into_iter()
                    .map(|row| {
                        if row.refutable {
                            self.feat(Feature::NestedPattern);
                        }
                        let mut parts = vec![format!("{} = {}", fields[split].0, row.text)];
                        let mut binds = row.binds.clone();
                        for (k, (f, t)) in fields.iter().enumerate() {
                            if k != split && self.rng.pct(40) {
                                let p = self.bind_pat(t);
                                parts.push(format!("{f} = {}", p.text));
                                binds.extend(p.binds);
                            }
                        }
                        Pat::leaf(format!("#{{{}}}", parts.join(", ")), binds, row.refutable)
                    })
                    .collect()
            }
            Ty::Sum(_) | Ty::Option(_) | Ty::Res(..) | Ty::Narrow(..) => self.cover_variant(ty, depth),
            _ => vec![self.bind_pat(ty)],
        }
    }

    fn cover_word(&mut self, w: W) -> Vec<Pat> {
        let mut seen = Vec::new();
        let mut rows = Vec::new();
        for _ in 0..self.rng.range(1, 3) {
            let v =
                if self.rng.pct(70) { self.rng.below(4) as u64 } else { super::types::word_value(&mut self.rng, w) };
            if seen.contains(&v) {
                continue;
            }
            seen.push(v);
            let text = if w == W::U8 && (0x61..0x7b).contains(&v) && self.rng.pct(50) {
                format!("'{}'", v as u8 as char)
            } else {
                v.to_string()
            };
            rows.push(Pat::leaf(text, vec![], true));
        }
        if self.wants(super::mistakes::Mistake::PatternLiteralRange) && w != W::U64 {
            rows.insert(0, Pat::leaf(format!("{} {}", super::mistakes::MARK, w.max() + 1), vec![], true));
        }
        rows.push(self.bind_pat(&Ty::Word(w)));
        rows
    }

    fn cover_variant(&mut self, ty: &Ty, depth: u32) -> Vec<Pat> {
        if matches!(ty, Ty::Sum(_)) {
            self.feat(Feature::Variant);
        }
        let alts = self.uni.alts(ty);
        // Sometimes the last few alternatives are left to a catch-all.
        let explicit = if alts.len() >= 3 && self.rng.pct(30) { self.rng.range(1, alts.len() - 1) } else { alts.len() };
        let mut rows = Vec::new();
        for alt in &alts[..explicit] {
            let Some(payload) = alt.payload_ty() else {
                rows.push(Pat::leaf(alt.tag.clone(), vec![], true));
                continue;
            };
            if Universe::is_variant(&payload) {
                self.feat(Feature::NestedVariant);
            }
            for sub in self.cover(&payload, depth - 1) {
                if sub.refutable {
                    self.feat(Feature::NestedPattern);
                }
                let args = match &sub.parts {
                    Some(parts) if alt.payload.len() > 1 && self.rng.pct(50) => parts.join(" "),
                    _ => sub.text.clone(),
                };
                rows.push(Pat {
                    text: format!("({} {args})", alt.tag),
                    binds: sub.binds,
                    refutable: true,
                    parts: None,
                });
            }
        }
        if explicit < alts.len() {
            rows.push(self.bind_pat(ty));
        }
        rows
    }
}

fn bool_text(b: bool) -> String {
    if b { "True" } else { "False" }.to_owned()
}
