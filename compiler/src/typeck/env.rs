//! The global environment: every top-level type and function of a program,
//! and the translation of surface types into checker types.

use crate::source::Span;
use crate::syntax::ast::{self, ItemKind};
use crate::typeck::errors::{TypeError, TypeErrorKind};
use crate::typeck::types::{Field, Kind, Prim, Ty};
use std::cell::{Cell, OnceCell};
use std::collections::HashMap;

pub struct Synonym<'a> {
    pub params: Vec<String>,
    pub body: &'a ast::Type,
    /// The body resolved once, its parameters left as type variables.
    resolved: OnceCell<Ty>,
    /// Set while the body is being resolved, to catch a synonym that
    /// mentions itself.
    resolving: Cell<bool>,
}

/// A function's or constant's type: `all (vars). ty`.
#[derive(Clone, Debug, PartialEq)]
pub struct Scheme {
    pub vars: Vec<(String, Kind)>,
    pub ty: Ty,
}

pub struct Function<'a> {
    pub name: &'a ast::Ident,
    pub scheme: Scheme,
    pub definition: Option<Definition<'a>>,
}

pub struct Definition<'a> {
    pub name: &'a ast::Ident,
    pub param: Option<&'a ast::Pat>,
    pub body: &'a ast::Expr,
}

#[derive(Default)]
pub struct Env<'a> {
    pub synonyms: HashMap<String, Synonym<'a>>,
    /// Abstract types and their number of parameters.
    pub abstracts: HashMap<String, usize>,
    /// Functions by name; iterate through [`Env::functions_in_order`] for a
    /// stable order.
    pub functions: HashMap<String, Function<'a>>,
    type_spans: HashMap<String, Span>,
}

impl<'a> Env<'a> {
    /// Collects the items of every module, reporting duplicates and
    /// definitions that do not follow their signature.
    pub fn collect(modules: &[&'a ast::Module], errors: &mut Vec<TypeError>) -> Env<'a> {
        let mut env = Env::default();
        for module in modules {
            env.collect_types(module, errors);
        }
        // Resolve every synonym now, so that a mistake in one is reported
        // once, at its definition, however often it is used.
        let mut names: Vec<&String> = env.synonyms.keys().collect();
        names.sort();
        for name in names {
            env.synonym_body(&env.synonyms[name], errors);
        }
        for module in modules {
            env.collect_functions(module, errors);
        }
        env
    }

    /// Every function, ordered by name.
    pub fn functions_in_order(&self) -> Vec<(&String, &Function<'a>)> {
        let mut all: Vec<(&String, &Function<'a>)> = self.functions.iter().collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all
    }

    /// A synonym's body as a type over its parameters.
    fn synonym_body(&self, synonym: &Synonym, errors: &mut Vec<TypeError>) -> Ty {
        if let Some(ty) = synonym.resolved.get() {
            return ty.clone();
        }
        synonym.resolving.set(true);
        let ty = self.resolve(synonym.body, &synonym.params, errors);
        synonym.resolving.set(false);
        synonym.resolved.get_or_init(|| ty).clone()
    }

    fn collect_types(&mut self, module: &'a ast::Module, errors: &mut Vec<TypeError>) {
        for item in &module.items {
            let (name, params) = match &item.kind {
                ItemKind::TypeSynonym { name, params, .. } | ItemKind::AbstractType { name, params } => (name, params),
                _ => continue,
            };
            if let Some(first) = self.type_spans.get(&name.name) {
                errors.push(duplicate("type", name, *first));
                continue;
            }
            if Prim::from_name(&name.name).is_some() {
                errors.push(TypeError::new(TypeErrorKind::BuiltinRedefined { name: name.name.clone() }, name.span));
                continue;
            }
            self.type_spans.insert(name.name.clone(), name.span);
            match &item.kind {
                ItemKind::TypeSynonym { body, .. } => {
                    let params = params.iter().map(|p| p.name.clone()).collect();
                    let synonym = Synonym { params, body, resolved: OnceCell::new(), resolving: Cell::new(false) };
                    self.synonyms.insert(name.name.clone(), synonym);
                }
                _ => {
                    self.abstracts.insert(name.name.clone(), params.len());
                }
            }
        }
    }

    fn collect_functions(&mut self, module: &'a ast::Module, errors: &mut Vec<TypeError>) {
        let mut previous_signature: Option<&'a ast::Ident> = None;
        // The definition after a duplicate signature: already reported.
        let mut skip_definition_of: Option<&str> = None;
        for item in &module.items {
            if let (ItemKind::Definition { name, .. }, Some(skip)) = (&item.kind, skip_definition_of.take()) {
                if name.name == skip {
                    continue;
                }
            }
            match &item.kind {
                ItemKind::Signature { name, scheme } => {
                    if let Some(existing) = self.functions.get(&name.name) {
                        errors.push(duplicate("function", name, existing.name.span));
                        previous_signature = None;
                        skip_definition_of = Some(&name.name);
                        continue;
                    }
                    let scheme = self.resolve_scheme(scheme, errors);
                    self.functions.insert(name.name.clone(), Function { name, scheme, definition: None });
                    previous_signature = Some(name);
                }
                ItemKind::Definition { name, .. }
                    if self.functions.get(&name.name).and_then(|f| f.definition.as_ref()).is_some() =>
                {
                    let first = self.functions.get(&name.name).and_then(|f| f.definition.as_ref()).map(|d| d.name.span);
                    errors.push(duplicate("function", name, first.unwrap_or(name.span)));
                    previous_signature = None;
                }
                ItemKind::Definition { name, param, body } => match previous_signature.take() {
                    Some(signature) if signature.name == name.name => {
                        if let Some(function) = self.functions.get_mut(&name.name) {
                            function.definition = Some(Definition { name, param: param.as_ref(), body });
                        }
                    }
                    other => {
                        let own_signature = module.items.iter().find_map(|item| match &item.kind {
                            ItemKind::Signature { name: sig, .. } if sig.name == name.name => Some(sig.span),
                            _ => None,
                        });
                        let kind = match (own_signature, other) {
                            (Some(signature), _) => {
                                TypeErrorKind::DefinitionApart { name: name.name.clone(), signature }
                            }
                            (None, Some(signature)) => {
                                TypeErrorKind::SignatureNameMismatch { signature: signature.name.clone() }
                            }
                            (None, None) => TypeErrorKind::DefinitionWithoutSignature { name: name.name.clone() },
                        };
                        errors.push(TypeError::new(kind, name.span));
                    }
                },
                _ => previous_signature = None,
            }
        }
    }

    fn resolve_scheme(&self, scheme: &ast::Scheme, errors: &mut Vec<TypeError>) -> Scheme {
        let vars: Vec<(String, Kind)> = scheme
            .vars
            .iter()
            .map(|binder| {
                let kind =
                    binder.kind.map_or(Kind::NONE, |k| Kind { discard: k.discard, share: k.share, escape: k.escape });
                (binder.name.name.clone(), kind)
            })
            .collect();
        let names: Vec<String> = vars.iter().map(|(n, _)| n.clone()).collect();
        let ty = self.resolve(&scheme.ty, &names, errors);
        Scheme { vars, ty }
    }

    /// Translates a surface type, expanding synonyms; `vars` are the type
    /// variables in scope.
    pub fn resolve(&self, t: &ast::Type, vars: &[String], errors: &mut Vec<TypeError>) -> Ty {
        use ast::TypeKind as K;
        let go = |t: &ast::Type, errors: &mut Vec<TypeError>| self.resolve(t, vars, errors);
        match &t.kind {
            K::Var(v) => {
                if vars.contains(&v.name) {
                    Ty::Var { name: v.name.clone(), banged: false }
                } else {
                    errors.push(TypeError::new(TypeErrorKind::UnknownTypeVariable { name: v.name.clone() }, v.span));
                    Ty::Error
                }
            }
            K::Con { name, args: type_args, unboxed } => {
                let resolved: Vec<Ty> = type_args.iter().map(|a| go(a, errors)).collect();
                self.resolve_con(name, resolved, *unboxed, t.span, errors)
            }
            K::Unit => Ty::Unit,
            K::Tuple(items) => Ty::Tuple(items.iter().map(|i| go(i, errors)).collect()),
            K::Record { fields, boxed } => {
                let mut seen: HashMap<&str, Span> = HashMap::new();
                let mut out = Vec::new();
                for field in fields {
                    if let Some(first) = seen.insert(&field.name.name, field.name.span) {
                        errors.push(duplicate("field", &field.name, first));
                        continue;
                    }
                    out.push((field.name.name.clone(), Field { ty: go(&field.ty, errors), taken: false }));
                }
                Ty::Record { fields: out.into(), boxed: *boxed, read_only: false }
            }
            K::Variant(alts) => {
                let mut out: Vec<(String, Ty)> = Vec::new();
                for alt in alts {
                    let arg = match alt.args.as_slice() {
                        [] => Ty::Unit,
                        [one] => go(one, errors),
                        many => Ty::Tuple(many.iter().map(|a| go(a, errors)).collect()),
                    };
                    if let Some(first) =
                        alts.iter().find(|a| a.tag.name == alt.tag.name).filter(|a| a.tag.span != alt.tag.span)
                    {
                        errors.push(duplicate("alternative", &alt.tag, first.tag.span));
                        continue;
                    }
                    out.push((alt.tag.name.clone(), arg));
                }
                Ty::Variant(out.into_iter().collect())
            }
            K::TakePut { ty, op, fields } => {
                let base = go(ty, errors);
                take_put(base, *op == ast::TakeOrPut::Take, fields, t.span, errors)
            }
            K::Bang(inner) => go(inner, errors).bang(),
            K::Fun(a, b) => Ty::fun(go(a, errors), go(b, errors)),
        }
    }

    fn resolve_con(
        &self,
        name: &ast::Ident,
        args: Vec<Ty>,
        unboxed: bool,
        span: Span,
        errors: &mut Vec<TypeError>,
    ) -> Ty {
        let arity_error = |expected: usize, errors: &mut Vec<TypeError>| {
            errors.push(TypeError::new(
                TypeErrorKind::WrongTypeArity { name: name.name.clone(), expected, found: args.len() },
                span,
            ));
            Ty::Error
        };
        if let Some(prim) = Prim::from_name(&name.name) {
            return if args.is_empty() { Ty::Prim(prim) } else { arity_error(0, errors) };
        }
        if let Some(synonym) = self.synonyms.get(&name.name) {
            if synonym.params.len() != args.len() {
                return arity_error(synonym.params.len(), errors);
            }
            if synonym.resolving.get() {
                // A synonym that mentions itself would expand forever.
                errors.push(TypeError::new(TypeErrorKind::RecursiveSynonym { name: name.name.clone() }, span));
                return Ty::Error;
            }
            let body = self.synonym_body(synonym, errors);
            let ty = if args.is_empty() {
                body
            } else {
                body.substitute(&synonym.params.iter().cloned().zip(args).collect())
            };
            return if unboxed { unbox(ty) } else { ty };
        }
        if let Some(&arity) = self.abstracts.get(&name.name) {
            if arity != args.len() {
                return arity_error(arity, errors);
            }
            return Ty::Abstract { name: name.name.clone(), args: args.into(), unboxed, read_only: false };
        }
        errors.push(TypeError::new(TypeErrorKind::UnknownType { name: name.name.clone() }, name.span));
        Ty::Error
    }
}

fn unbox(ty: Ty) -> Ty {
    match ty {
        Ty::Record { fields, read_only, .. } => Ty::Record { fields, boxed: false, read_only },
        Ty::Abstract { name, args, read_only, .. } => Ty::Abstract { name, args, unboxed: true, read_only },
        other => other,
    }
}

fn take_put(base: Ty, take: bool, fields: &ast::FieldSet, span: Span, errors: &mut Vec<TypeError>) -> Ty {
    let Ty::Record { fields: record_fields, boxed, read_only } = base else {
        if base != Ty::Error {
            errors.push(TypeError::new(TypeErrorKind::NotARecord { found: base.to_string() }, span));
        }
        return Ty::Error;
    };
    let mut record_fields = record_fields.to_vec();
    match fields {
        ast::FieldSet::All => record_fields.iter_mut().for_each(|(_, f)| f.taken = take),
        ast::FieldSet::Some(names) => {
            for name in names {
                match record_fields.iter_mut().find(|(n, _)| *n == name.name) {
                    Some((_, field)) => field.taken = take,
                    None => errors.push(TypeError::new(
                        TypeErrorKind::NoSuchField {
                            field: name.name.clone(),
                            ty: Ty::Record { fields: record_fields.clone().into(), boxed, read_only }.to_string(),
                        },
                        name.span,
                    )),
                }
            }
        }
    }
    Ty::Record { fields: record_fields.into(), boxed, read_only }
}

fn duplicate(what: &'static str, name: &ast::Ident, first: Span) -> TypeError {
    TypeError::new(TypeErrorKind::Duplicate { what, name: name.name.clone(), first }, name.span)
}
