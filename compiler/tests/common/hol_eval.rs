//! A small evaluator for the HOL terms the Isabelle backend generates (its
//! shallow embedding), for tests: Isabelle is not installable here, so the
//! generated definitions are parsed back and run on sample arguments, and
//! must compute what the value interpreter computes. It knows exactly the
//! fragment `backend/isabelle.rs` writes — lambdas over names and tuples,
//! `let`s, `if`, fully parenthesised operators, type annotations (which give
//! literals and `ucast` their width), tuples, HOL strings, record `make`,
//! selectors and `_update`s, qualified constructors and `case_` combinators
//! — and the base theories' `cdsl_div`, `cdsl_mod`, `cdsl_shl`, `cdsl_shr`.
//! Anything else is an `Err`, never a guess.

use cdsl::backend::isabelle::types::Types;
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Clone, Debug)]
pub enum Term {
    Name(String),
    Num(u64),
    Str(String),
    Unit,
    True,
    False,
    Tuple(Vec<Term>),
    App(Box<Term>, Box<Term>),
    Lam(Pat, Rc<Term>),
    Let(Vec<(Pat, Term)>, Box<Term>),
    If(Box<Term>, Box<Term>, Box<Term>),
    Op(String, Box<Term>, Box<Term>),
    Prefix(String, Box<Term>),
    /// A term with its type; `Some(bits)` for `N word`.
    Annot(Box<Term>, Option<u32>),
}

#[derive(Clone, Debug)]
pub enum Pat {
    Var(String),
    Wild,
    Tuple(Vec<String>),
}

#[derive(Clone, Debug)]
pub enum Val {
    Word(u32, u64),
    Bool(bool),
    Str(String),
    Unit,
    Tuple(Vec<Val>),
    Record(String, Vec<Val>),
    /// A constructor by its index in its datatype, and its payload.
    Ctor(usize, Box<Val>),
    Closure(Pat, Rc<Term>, Rc<HashMap<String, Val>>),
    /// A builtin waiting for arguments.
    Partial(String, Vec<Val>),
    /// A word array (a HOL list).
    List(Vec<Val>),
    /// A HOL option (the base theories' array models return them).
    Opt(Option<Box<Val>>),
}

// ---- parsing ----

fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' && chars.get(i + 1) == Some(&'\'') {
            let start = i;
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '\'' && chars[i + 1] == '\'') {
                i += 1;
            }
            i += 2;
            out.push(chars[start..i.min(chars.len())].iter().collect());
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() {
                let d = chars[i];
                let dot = d == '.' && chars.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic());
                if d.is_ascii_alphanumeric() || d == '_' || d == '\'' || dot {
                    i += 1;
                } else {
                    break;
                }
            }
            out.push(chars[start..i].iter().collect());
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            if ["::", "~=", "<=", "=>"].contains(&two.as_str()) {
                out.push(two);
                i += 2;
            } else {
                out.push(c.to_string());
                i += 1;
            }
        }
    }
    out
}

struct Parser {
    toks: Vec<String>,
    at: usize,
}

type R<T> = Result<T, String>;

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.at).map(String::as_str)
    }
    fn next(&mut self) -> R<String> {
        let t = self.toks.get(self.at).cloned().ok_or("unexpected end")?;
        self.at += 1;
        Ok(t)
    }
    fn expect(&mut self, t: &str) -> R<()> {
        let got = self.next()?;
        if got == t {
            Ok(())
        } else {
            Err(format!("expected `{t}`, found `{got}`"))
        }
    }

    fn term(&mut self) -> R<Term> {
        match self.peek() {
            Some("%") => {
                self.next()?;
                let mut pats = vec![self.pattern()?];
                while self.peek() != Some(".") {
                    pats.push(self.pattern()?);
                }
                self.expect(".")?;
                let mut body = self.term()?;
                for pat in pats.into_iter().rev() {
                    body = Term::Lam(pat, Rc::new(body));
                }
                Ok(body)
            }
            Some("let") => {
                self.next()?;
                let mut binds = Vec::new();
                loop {
                    let pat = self.pattern()?;
                    self.expect("=")?;
                    let value = self.term()?;
                    binds.push((pat, value));
                    match self.next()?.as_str() {
                        ";" => continue,
                        "in" => break,
                        other => return Err(format!("`{other}` in a let")),
                    }
                }
                Ok(Term::Let(binds, Box::new(self.term()?)))
            }
            Some("if") => {
                self.next()?;
                let c = self.term()?;
                self.expect("then")?;
                let t = self.term()?;
                self.expect("else")?;
                let e = self.term()?;
                Ok(Term::If(Box::new(c), Box::new(t), Box::new(e)))
            }
            _ => self.binary(),
        }
    }

    fn pattern(&mut self) -> R<Pat> {
        let t = self.next()?;
        if t == "_" {
            return Ok(Pat::Wild);
        }
        if t == "(" {
            let mut names = vec![self.next()?];
            while self.peek() == Some(",") {
                self.next()?;
                names.push(self.next()?);
            }
            self.expect(")")?;
            return Ok(Pat::Tuple(names));
        }
        Ok(Pat::Var(t))
    }

    fn binary(&mut self) -> R<Term> {
        let left = self.application()?;
        const OPS: &[&str] = &["+", "-", "*", "=", "~=", "<", "<=", "&", "|", "AND", "OR", "XOR"];
        if let Some(op) = self.peek().filter(|t| OPS.contains(t)).map(str::to_owned) {
            self.next()?;
            let right = self.application()?;
            return Ok(Term::Op(op, Box::new(left), Box::new(right)));
        }
        Ok(left)
    }

    fn application(&mut self) -> R<Term> {
        if let Some(prefix) = self.peek().filter(|t| *t == "~" || *t == "NOT").map(str::to_owned) {
            self.next()?;
            return Ok(Term::Prefix(prefix, Box::new(self.atom()?)));
        }
        let mut f = self.atom()?;
        while let Some(t) = self.peek() {
            if [")", ",", ";", "in", "then", "else", "::", "=", "]"].contains(&t)
                || ["+", "-", "*", "~=", "<", "<=", "&", "|", "AND", "OR", "XOR"].contains(&t)
            {
                break;
            }
            let arg = self.atom()?;
            f = Term::App(Box::new(f), Box::new(arg));
        }
        Ok(f)
    }

    fn atom(&mut self) -> R<Term> {
        let t = self.next()?;
        match t.as_str() {
            "(" => {
                if self.peek() == Some(")") {
                    self.next()?;
                    return Ok(Term::Unit);
                }
                let first = self.term()?;
                match self.next()?.as_str() {
                    ")" => Ok(first),
                    "::" => {
                        let bits = self.ty()?;
                        Ok(Term::Annot(Box::new(first), bits))
                    }
                    "," => {
                        let mut items = vec![first, self.term()?];
                        while self.peek() == Some(",") {
                            self.next()?;
                            items.push(self.term()?);
                        }
                        self.expect(")")?;
                        Ok(Term::Tuple(items))
                    }
                    other => Err(format!("`{other}` after a term")),
                }
            }
            "[" => {
                let mut s = String::new();
                while self.peek() == Some("CHR") {
                    self.next()?;
                    let hex = self.next()?;
                    let byte = u8::from_str_radix(hex.trim_start_matches("0x"), 16).map_err(|e| e.to_string())?;
                    s.push(char::from(byte));
                    if self.peek() == Some(",") {
                        self.next()?;
                    }
                }
                self.expect("]")?;
                Ok(Term::Str(s))
            }
            "True" => Ok(Term::True),
            "False" => Ok(Term::False),
            s if s.starts_with("''") => Ok(Term::Str(s[2..s.len() - 2].to_owned())),
            s if s.chars().all(|c| c.is_ascii_digit()) => Ok(Term::Num(s.parse().map_err(|_| "number")?)),
            _ => Ok(Term::Name(t)),
        }
    }

    /// A type up to the closing `)` (consumed); `Some(bits)` for `N word`.
    fn ty(&mut self) -> R<Option<u32>> {
        let mut depth = 0;
        let mut parts = Vec::new();
        loop {
            let t = self.next()?;
            match t.as_str() {
                "(" => depth += 1,
                ")" if depth == 0 => break,
                ")" => depth -= 1,
                _ => parts.push(t),
            }
        }
        Ok(match parts.as_slice() {
            [n, w] if w == "word" => n.parse().ok(),
            _ => None,
        })
    }
}

pub fn parse(text: &str) -> R<Term> {
    let mut p = Parser { toks: tokens(text), at: 0 };
    let t = p.term()?;
    if p.at != p.toks.len() {
        return Err(format!("trailing `{}`", p.toks[p.at]));
    }
    Ok(t)
}

/// The definitions of a shallow theory: name → body (the right-hand side).
pub fn definitions(theory: &str) -> R<HashMap<String, Term>> {
    let mut out = HashMap::new();
    for chunk in theory.split("\ndefinition ").skip(1) {
        let name = chunk.split_whitespace().next().ok_or("no name")?.to_owned();
        let equation = chunk.split("where\n  \"").nth(1).ok_or("no equation")?;
        let equation = &equation[..equation.find("\"\n").ok_or("unterminated")?];
        let body = equation.strip_prefix(&format!("{name} = ")).ok_or("not `name = ..`")?;
        let term = parse(body).map_err(|e| format!("{name}: {e}"))?;
        out.insert(name, term);
    }
    Ok(out)
}

/// The runtime models a shallow theory assumes in its locale: the
/// abstract function's name → its model.
pub fn models(theory: &str) -> R<HashMap<String, Term>> {
    let mut out = HashMap::new();
    for line in theory.lines() {
        let line = line.trim_start();
        let Some(rest) = line.strip_prefix("assumes ").or_else(|| line.strip_prefix("and ")) else { continue };
        let Some((_, equation)) = rest.split_once(": \"") else { continue };
        let equation = equation.strip_suffix('"').ok_or("unterminated model")?;
        let (name, body) = equation.split_once(" = ").ok_or("not `name = ..`")?;
        let term = parse(body).map_err(|e| format!("{name}: {e}"))?;
        out.insert(name.to_owned(), term);
    }
    Ok(out)
}

// ---- evaluation ----

pub struct Eval<'t> {
    pub globals: HashMap<String, Term>,
    pub types: &'t Types,
    pub steps: u64,
}

const BUILTINS: &[&str] = &[
    "cdsl_div",
    "cdsl_mod",
    "cdsl_shl",
    "cdsl_shr",
    "ucast",
    "cdsl_wa_length",
    "cdsl_wa_get",
    "cdsl_wa_put",
    "cdsl_wa_create",
    "cdsl_seq",
    "case_option",
];

fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

impl Eval<'_> {
    fn record_fields(&self, name: &str) -> Option<usize> {
        self.types.records.values().find(|r| r.name == name).map(|r| r.fields.len())
    }

    fn name(&mut self, name: &str, env: &HashMap<String, Val>) -> R<Val> {
        if let Some(v) = env.get(name) {
            return Ok(v.clone());
        }
        if let Some(body) = self.globals.get(name).cloned() {
            return self.eval(&body, &Rc::new(HashMap::new()));
        }
        if BUILTINS.contains(&name) {
            return Ok(Val::Partial(name.to_owned(), vec![]));
        }
        if let Some(ty) = name.strip_prefix("case_") {
            if self.types.variants.values().any(|v| v.name == ty) {
                return Ok(Val::Partial(name.to_owned(), vec![]));
            }
        }
        if let Some((ty, member)) = name.rsplit_once('.') {
            if self.types.variants.values().any(|v| v.name == ty && v.ctors.iter().any(|(_, c)| c == member))
                || self.types.records.values().any(|r| r.name == ty)
            {
                return Ok(Val::Partial(name.to_owned(), vec![]));
            }
        }
        Err(format!("unknown name `{name}`"))
    }

    /// How many arguments a builtin takes.
    fn arity(&self, name: &str) -> R<usize> {
        if ["cdsl_div", "cdsl_mod", "cdsl_shl", "cdsl_shr"].contains(&name) {
            return Ok(2);
        }
        match name {
            "ucast" | "cdsl_wa_length" => return Ok(1),
            "cdsl_wa_create" => return Ok(2),
            "cdsl_wa_get" | "cdsl_wa_put" | "case_option" => return Ok(3),
            "cdsl_seq" => return Ok(5),
            _ => {}
        }
        if let Some(ty) = name.strip_prefix("case_") {
            let v = self.types.variants.values().find(|v| v.name == ty).ok_or("case")?;
            return Ok(v.ctors.len() + 1);
        }
        let (ty, member) = name.rsplit_once('.').ok_or("member")?;
        if member == "make" {
            return self.record_fields(ty).ok_or_else(|| format!("record `{ty}`"));
        }
        if member.ends_with("_update") {
            return Ok(2);
        }
        Ok(1)
    }

    /// Applies a function value to an argument.
    pub fn apply_value(&mut self, f: Val, arg: Val) -> R<Val> {
        self.apply(f, arg)
    }

    fn apply(&mut self, f: Val, arg: Val) -> R<Val> {
        self.steps += 1;
        if self.steps > 1_000_000 {
            return Err("out of steps".into());
        }
        match f {
            Val::Closure(pat, body, env) => {
                let mut env = (*env).clone();
                bind(&pat, arg, &mut env)?;
                self.eval(&body, &Rc::new(env))
            }
            Val::Partial(name, mut args) => {
                args.push(arg);
                if args.len() < self.arity(&name)? {
                    return Ok(Val::Partial(name, args));
                }
                self.builtin(&name, args)
            }
            other => Err(format!("applying {other:?}")),
        }
    }

    fn builtin(&mut self, name: &str, mut args: Vec<Val>) -> R<Val> {
        let words = |args: &[Val]| match args {
            [Val::Word(b, x), Val::Word(_, y)] => Ok((*b, *x, *y)),
            other => Err(format!("{name} on {other:?}")),
        };
        match name {
            "cdsl_div" => words(&args).map(|(b, x, y)| Val::Word(b, x.checked_div(y).unwrap_or(0))),
            "cdsl_mod" => words(&args).map(|(b, x, y)| Val::Word(b, x.checked_rem(y).unwrap_or(0))),
            "cdsl_shl" => {
                words(&args).map(|(b, x, y)| Val::Word(b, if y >= u64::from(b) { 0 } else { (x << y) & mask(b) }))
            }
            "cdsl_shr" => words(&args).map(|(b, x, y)| Val::Word(b, if y >= u64::from(b) { 0 } else { x >> y })),
            "ucast" => Ok(Val::Partial("ucast_value".into(), args)),
            "cdsl_wa_length" => match args.as_slice() {
                [Val::List(xs)] => Ok(Val::Word(32, xs.len() as u64)),
                other => Err(format!("{name} on {other:?}")),
            },
            "cdsl_wa_get" => match args.as_slice() {
                [zero, Val::List(xs), Val::Word(_, i)] => {
                    Ok(xs.get(usize::try_from(*i).unwrap_or(usize::MAX)).cloned().unwrap_or_else(|| zero.clone()))
                }
                other => Err(format!("{name} on {other:?}")),
            },
            "cdsl_wa_put" => match args.as_slice() {
                [Val::List(xs), Val::Word(_, i), v] => Ok(Val::Opt(match usize::try_from(*i) {
                    Ok(i) if i < xs.len() => {
                        let mut ys = xs.clone();
                        ys[i] = v.clone();
                        Some(Box::new(Val::List(ys)))
                    }
                    _ => None,
                })),
                other => Err(format!("{name} on {other:?}")),
            },
            "cdsl_wa_create" => match args.as_slice() {
                [zero, Val::Word(_, n)] if *n > 1 << 24 => {
                    let _ = zero;
                    Ok(Val::Opt(None))
                }
                [zero, Val::Word(_, n)] => Ok(Val::Opt(Some(Box::new(Val::List(vec![zero.clone(); *n as usize]))))),
                other => Err(format!("{name} on {other:?}")),
            },
            "case_option" => {
                let opt = args.pop().ok_or("case_option")?;
                let some = args.pop().ok_or("case_option")?;
                let none = args.pop().ok_or("case_option")?;
                match opt {
                    Val::Opt(None) => Ok(none),
                    Val::Opt(Some(v)) => self.apply(some, *v),
                    other => Err(format!("case_option on {other:?}")),
                }
            }
            "cdsl_seq" => {
                let [Val::Word(bits, lo), Val::Word(_, hi), Val::Word(_, st), f, acc] =
                    <[Val; 5]>::try_from(args).map_err(|_| "cdsl_seq arity")?
                else {
                    return Err("cdsl_seq on non-words".into());
                };
                let step = st.max(1);
                let count = if hi <= lo { 0 } else { (hi - lo).div_ceil(step) };
                let mut acc = acc;
                for k in 0..count {
                    let idx = Val::Word(bits, lo.wrapping_add(k.wrapping_mul(step)) & mask(bits));
                    let partial = self.apply(f.clone(), acc)?;
                    acc = self.apply(partial, idx)?;
                }
                Ok(acc)
            }
            _ if name.starts_with("case_") => {
                let scrutinee = args.pop().ok_or("case")?;
                let Val::Ctor(index, payload) = scrutinee else { return Err(format!("{name} on {scrutinee:?}")) };
                let arm = args.get(index).cloned().ok_or("arm")?;
                self.apply(arm, *payload)
            }
            _ => {
                let (ty, member) = name.rsplit_once('.').ok_or("member")?;
                if member == "make" {
                    return Ok(Val::Record(ty.to_owned(), args));
                }
                if let Some(v) = self.types.variants.values().find(|v| v.name == ty) {
                    let index = v.ctors.iter().position(|(_, c)| c == member).ok_or("ctor")?;
                    return Ok(Val::Ctor(index, Box::new(args.remove(0))));
                }
                let r = self.types.records.values().find(|r| r.name == ty).ok_or("record")?;
                let field = member.strip_suffix("_update").unwrap_or(member);
                let index = r.fields.iter().position(|(_, f)| f == field).ok_or_else(|| format!("field {field}"))?;
                if member.ends_with("_update") {
                    let record = args.pop().ok_or("update")?;
                    let f = args.pop().ok_or("update")?;
                    let Val::Record(n, mut fields) = record else { return Err("update of a non-record".into()) };
                    let old = fields[index].clone();
                    fields[index] = self.apply(f, old)?;
                    return Ok(Val::Record(n, fields));
                }
                match args.remove(0) {
                    Val::Record(_, fields) => fields.get(index).cloned().ok_or_else(|| "field".into()),
                    other => Err(format!("selecting from {other:?}")),
                }
            }
        }
    }

    pub fn eval(&mut self, t: &Term, env: &Rc<HashMap<String, Val>>) -> R<Val> {
        Ok(match t {
            Term::Name(n) => self.name(n, env)?,
            Term::Num(n) => return Err(format!("a literal {n} without a width")),
            Term::Str(s) => Val::Str(s.clone()),
            Term::Unit => Val::Unit,
            Term::True => Val::Bool(true),
            Term::False => Val::Bool(false),
            Term::Tuple(items) => Val::Tuple(items.iter().map(|i| self.eval(i, env)).collect::<R<_>>()?),
            Term::App(f, a) => {
                let f = self.eval(f, env)?;
                let a = self.eval(a, env)?;
                self.apply(f, a)?
            }
            Term::Lam(p, body) => Val::Closure(p.clone(), body.clone(), env.clone()),
            Term::Let(binds, body) => {
                let mut inner = (**env).clone();
                for (p, v) in binds {
                    let v = self.eval(v, &Rc::new(inner.clone()))?;
                    bind(p, v, &mut inner)?;
                }
                self.eval(body, &Rc::new(inner))?
            }
            Term::If(c, a, b) => match self.eval(c, env)? {
                Val::Bool(true) => self.eval(a, env)?,
                Val::Bool(false) => self.eval(b, env)?,
                other => return Err(format!("if on {other:?}")),
            },
            Term::Prefix(op, a) => match (op.as_str(), self.eval(a, env)?) {
                ("~", Val::Bool(b)) => Val::Bool(!b),
                ("NOT", Val::Word(bits, x)) => Val::Word(bits, !x & mask(bits)),
                (op, v) => return Err(format!("{op} on {v:?}")),
            },
            Term::Op(op, a, b) => {
                let (x, y) = (self.eval(a, env)?, self.eval(b, env)?);
                op_value(op, x, y)?
            }
            Term::Annot(inner, bits) => match (&**inner, bits) {
                (Term::Num(n), Some(b)) => Val::Word(*b, n & mask(*b)),
                (Term::Num(_), None) => return Err("a literal of a non-word type".into()),
                (_, Some(b)) => match self.eval(inner, env)? {
                    Val::Partial(name, args) if name == "ucast_value" => match args.as_slice() {
                        [Val::Word(_, x)] => Val::Word(*b, x & mask(*b)),
                        other => return Err(format!("ucast of {other:?}")),
                    },
                    v => v,
                },
                _ => self.eval(inner, env)?,
            },
        })
    }
}

fn bind(p: &Pat, v: Val, env: &mut HashMap<String, Val>) -> R<()> {
    match p {
        Pat::Wild => Ok(()),
        Pat::Var(n) => {
            env.insert(n.clone(), v);
            Ok(())
        }
        Pat::Tuple(names) => match v {
            Val::Tuple(items) if items.len() == names.len() => {
                for (n, i) in names.iter().zip(items) {
                    env.insert(n.clone(), i);
                }
                Ok(())
            }
            other => Err(format!("splitting {other:?} into {names:?}")),
        },
    }
}

fn op_value(op: &str, x: Val, y: Val) -> R<Val> {
    Ok(match (op, x, y) {
        ("+", Val::Word(b, x), Val::Word(_, y)) => Val::Word(b, x.wrapping_add(y) & mask(b)),
        ("-", Val::Word(b, x), Val::Word(_, y)) => Val::Word(b, x.wrapping_sub(y) & mask(b)),
        ("*", Val::Word(b, x), Val::Word(_, y)) => Val::Word(b, x.wrapping_mul(y) & mask(b)),
        ("AND", Val::Word(b, x), Val::Word(_, y)) => Val::Word(b, x & y),
        ("OR", Val::Word(b, x), Val::Word(_, y)) => Val::Word(b, x | y),
        ("XOR", Val::Word(b, x), Val::Word(_, y)) => Val::Word(b, x ^ y),
        ("<", Val::Word(_, x), Val::Word(_, y)) => Val::Bool(x < y),
        ("<=", Val::Word(_, x), Val::Word(_, y)) => Val::Bool(x <= y),
        ("&", Val::Bool(x), Val::Bool(y)) => Val::Bool(x && y),
        ("|", Val::Bool(x), Val::Bool(y)) => Val::Bool(x || y),
        ("=", x, y) => Val::Bool(same(&x, &y)?),
        ("~=", x, y) => Val::Bool(!same(&x, &y)?),
        (op, x, y) => return Err(format!("{op} on {x:?} and {y:?}")),
    })
}

/// HOL equality on first-order values.
pub fn same(x: &Val, y: &Val) -> R<bool> {
    Ok(match (x, y) {
        (Val::Word(_, a), Val::Word(_, b)) => a == b,
        (Val::Bool(a), Val::Bool(b)) => a == b,
        (Val::Str(a), Val::Str(b)) => a == b,
        (Val::Unit, Val::Unit) => true,
        (Val::Tuple(a), Val::Tuple(b)) | (Val::Record(_, a), Val::Record(_, b)) => {
            a.len() == b.len() && a.iter().zip(b).map(|(x, y)| same(x, y)).collect::<R<Vec<_>>>()?.iter().all(|b| *b)
        }
        (Val::Ctor(i, a), Val::Ctor(j, b)) => i == j && same(a, b)?,
        (Val::List(a), Val::List(b)) => {
            a.len() == b.len() && a.iter().zip(b).map(|(x, y)| same(x, y)).collect::<R<Vec<_>>>()?.iter().all(|b| *b)
        }
        (x, y) => return Err(format!("comparing {x:?} and {y:?}")),
    })
}
