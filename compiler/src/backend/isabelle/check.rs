//! A structural check of Isabelle theory text, for machines without
//! Isabelle (`cdsl-thycheck`, `make proofs`). It is no type checker; it
//! catches what a generator most easily gets wrong:
//!
//! - unbalanced or unterminated comments `(* *)`, strings `"..."`,
//!   cartouches `\<open> \<close>`, and brackets inside each term;
//! - a theory whose name is not its file's, a theory missing from ROOT or
//!   listed twice, an import that is neither a known base theory nor a
//!   theory listed earlier in ROOT (so the imports follow ROOT's order);
//! - every name a term refers to is declared: by an earlier item of the
//!   theory, by a theory it imports (transitively), by the base theories
//!   of `proofs/`, or in HOL's vocabulary below; bound variables (`%x.`,
//!   `let x =`) aside. Generated lemmas have no free variables, so a name
//!   nobody declared is an error there too;
//! - a constant, fact (`f_def` included), type or locale declared twice in
//!   the session.
//!
//! Input: a ROOT's text and theory texts; output: [`Problem`]s.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Something wrong, with the theory (or `ROOT`) and line it is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// HOL (and HOL-Library.Word) names generated text may use, and the
/// inner-syntax keywords.
const HOL_VOCABULARY: &[&str] = &[
    "len",
    "foldr",
    "take",
    "drop",
    "concat",
    "if",
    "then",
    "else",
    "let",
    "in",
    "case",
    "of",
    "True",
    "False",
    "Some",
    "None",
    "case_option",
    "fst",
    "snd",
    "ucast",
    "unat",
    "of_nat",
    "NOT",
    "AND",
    "OR",
    "XOR",
    "div",
    "mod",
    "word",
    "bool",
    "unit",
    "string",
    "nat",
    "list",
    "option",
    "CHR",
    "max",
    "min",
    "fold",
    "length",
    "replicate",
    "push_bit",
    "drop_bit",
    "LENGTH",
    "map",
    "map_of",
    "set",
    "image",
    "insert",
    "Un",
    "Int",
    "ALL",
    "EX",
    "Let",
    "upt",
    "nth",
];

/// Outer-syntax commands that start an item.
const COMMANDS: &[&str] = &[
    "definition",
    "abbreviation",
    "primrec",
    "fun",
    "inductive",
    "consts",
    "typedecl",
    "type_synonym",
    "datatype",
    "record",
    "locale",
    "lemma",
    "theorem",
    "text",
    "section",
    "subsection",
    "context",
    "end",
    "begin",
];

/// Base theories every generated session may import, besides its own.
const BASE_IMPORTS: &[&str] = &["Main", "HOL-Library.Word"];

/// The declarations a theory makes: constants (and qualified names such
/// as `V_A_B.A`, `R_x.f_update`, `case_V_A_B`), types and locales.
#[derive(Clone, Debug, Default)]
pub struct Declared {
    pub names: BTreeSet<String>,
}

/// A lexed theory: outer-syntax words with their lines, and the terms
/// (contents of `"..."`) with theirs.
#[derive(Debug, Default)]
struct Lexed {
    words: Vec<(String, usize)>,
    /// Outer tokens in order; a term is `"` followed by its text.
    tokens: Vec<(String, usize)>,
}

fn lex(file: &str, text: &str, problems: &mut Vec<Problem>) -> Lexed {
    let mut out = Lexed::default();
    let bytes = text.as_bytes();
    let (mut i, mut line) = (0, 1);
    let problem = |line: usize, message: String| Problem { file: file.to_owned(), line, message };
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("(*") {
            let (start, mut depth) = (line, 0);
            loop {
                if i >= bytes.len() {
                    problems.push(problem(start, "unterminated comment `(*`".to_owned()));
                    break;
                }
                let r = &text[i..];
                if r.starts_with("(*") {
                    depth += 1;
                    i += 2;
                } else if r.starts_with("*)") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(bytes[i] == b'\n');
                    i += 1;
                }
            }
        } else if rest.starts_with("\\<open>") {
            let (start, mut depth) = (line, 0);
            loop {
                if i >= bytes.len() {
                    problems.push(problem(start, "unterminated cartouche `\\<open>`".to_owned()));
                    break;
                }
                let r = &text[i..];
                if r.starts_with("\\<open>") {
                    depth += 1;
                    i += 7;
                } else if r.starts_with("\\<close>") {
                    depth -= 1;
                    i += 8;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(bytes[i] == b'\n');
                    i += 1;
                }
            }
            out.tokens.push(("\\<open>".to_owned(), start));
        } else if rest.starts_with("\\<close>") {
            problems.push(problem(line, "`\\<close>` without `\\<open>`".to_owned()));
            i += 8;
        } else if rest.starts_with("*)") {
            problems.push(problem(line, "`*)` outside a comment".to_owned()));
            i += 2;
        } else if bytes[i] == b'"' {
            let start = line;
            let mut term = String::new();
            i += 1;
            loop {
                if i >= bytes.len() {
                    problems.push(problem(start, "unterminated string `\"`".to_owned()));
                    break;
                }
                match bytes[i] {
                    b'"' => {
                        i += 1;
                        break;
                    }
                    b'\\' if bytes.get(i + 1) == Some(&b'"') => {
                        term.push('"');
                        i += 2;
                    }
                    b => {
                        line += usize::from(b == b'\n');
                        term.push(b as char);
                        i += 1;
                    }
                }
            }
            out.tokens.push((format!("\"{term}"), start));
        } else if bytes[i].is_ascii_whitespace() {
            line += usize::from(bytes[i] == b'\n');
            i += 1;
        } else {
            let start = i;
            let word = |b: u8| b.is_ascii_alphanumeric() || b"_'.-".contains(&b);
            if word(bytes[i]) {
                while i < bytes.len() && word(bytes[i]) {
                    i += 1;
                }
            } else if rest.starts_with("::") {
                i += 2;
            } else {
                i += 1;
                while i < bytes.len() && !text.is_char_boundary(i) {
                    i += 1;
                }
            }
            let token = text[start..i].to_owned();
            out.words.push((token.clone(), line));
            out.tokens.push((token, line));
        }
    }
    out
}

/// Identifiers of a term: (name, is a binder here), with HOL string
/// literals, numbers and type variables skipped.
fn identifiers(term: &str) -> (Vec<String>, BTreeSet<String>, Option<String>) {
    let chars: Vec<char> = term.chars().collect();
    let mut names = Vec::new();
    let mut bound = BTreeSet::new();
    let mut depth: i64 = 0;
    let mut stack = Vec::new();
    let mut unbalanced = None;
    let mut i = 0;
    // Binders: after `%` up to `.`, after `let` or `;` (in a let) up to `=`.
    let mut binding = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' && chars.get(i + 1) == Some(&'\'') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '\'' && chars[i + 1] == '\'') {
                i += 1;
            }
            i += 2;
            continue;
        }
        if c == '\'' {
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric()) {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() {
                let d = chars[i];
                let dot_word = d == '.' && chars.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic());
                if d.is_ascii_alphanumeric() || d == '_' || d == '\'' || dot_word {
                    i += 1;
                } else {
                    break;
                }
            }
            let name: String = chars[start..i].iter().collect();
            if name == "let" || name == "ALL" || name == "EX" {
                binding = true;
            } else if binding {
                bound.insert(name);
            } else {
                names.push(name);
            }
            continue;
        }
        match c {
            '%' => binding = true,
            '.' | '=' => binding = false,
            '(' | '[' => {
                depth += 1;
                stack.push(c);
            }
            ')' | ']' => {
                depth -= 1;
                let open = if c == ')' { '(' } else { '[' };
                if stack.pop() != Some(open) && unbalanced.is_none() {
                    unbalanced = Some(format!("unbalanced `{c}` in a term"));
                }
            }
            ';' if depth >= 0 => binding = true,
            _ => {}
        }
        i += 1;
    }
    if !stack.is_empty() && unbalanced.is_none() {
        unbalanced = Some(format!("unclosed `{}` in a term", stack[stack.len() - 1]));
    }
    (names, bound, unbalanced)
}

/// The names a theory declares, read from its outer syntax.
pub fn declarations(text: &str) -> Declared {
    let mut problems = Vec::new();
    let lexed = lex("", text, &mut problems);
    let tokens: Vec<&str> = lexed.tokens.iter().map(|(t, _)| t.as_str()).collect();
    let mut names = BTreeSet::new();
    let skip_params = |mut k: usize| -> usize {
        // `'a`, `('a, 'b)` before a type's name.
        if tokens.get(k).is_some_and(|t| t.starts_with('\'')) {
            return k + 1;
        }
        if tokens.get(k) == Some(&"(") {
            while k < tokens.len() && tokens[k] != ")" {
                k += 1;
            }
            return k + 1;
        }
        k
    };
    let is_name = |t: &str| t.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    let mut k = 0;
    while k < tokens.len() {
        match tokens[k] {
            "definition" | "abbreviation" | "primrec" | "fun" | "inductive" | "locale" => {
                let mut j = k + 1;
                if tokens.get(j) == Some(&"(") {
                    while j < tokens.len() && tokens[j] != ")" {
                        j += 1;
                    }
                    j += 1;
                }
                if let Some(name) = tokens.get(j).filter(|t| is_name(t)) {
                    names.insert((*name).to_owned());
                }
                // Further predicates of a mutual inductive: `and NAME ::`.
                if tokens[k] == "inductive" {
                    let mut m = j;
                    while m + 2 < tokens.len() && tokens[m] != "where" {
                        if tokens[m] == "and" && is_name(tokens[m + 1]) {
                            names.insert(tokens[m + 1].to_owned());
                        }
                        m += 1;
                    }
                }
            }
            "consts" => {
                let mut j = k + 1;
                while j + 1 < tokens.len() && tokens[j + 1] == "::" {
                    names.insert(tokens[j].to_owned());
                    j += 3;
                }
            }
            "typedecl" | "type_synonym" => {
                if let Some(name) = tokens.get(skip_params(k + 1)) {
                    names.insert((*name).to_owned());
                }
            }
            "datatype" => {
                let j = skip_params(k + 1);
                let Some(ty) = tokens.get(j).map(|t| (*t).to_owned()) else { break };
                names.insert(ty.clone());
                names.insert(format!("case_{ty}"));
                // Constructors: after `=` and each `|`, up to the next command.
                let mut m = j + 1;
                while m + 1 < tokens.len() && !COMMANDS.contains(&tokens[m]) {
                    if tokens[m] == "=" || tokens[m] == "|" {
                        let ctor = tokens[m + 1];
                        names.insert(ctor.to_owned());
                        names.insert(format!("{ty}.{ctor}"));
                    }
                    m += 1;
                }
            }
            "record" => {
                let j = skip_params(k + 1);
                let Some(ty) = tokens.get(j).map(|t| (*t).to_owned()) else { break };
                names.insert(ty.clone());
                names.insert(format!("{ty}.make"));
                let mut m = j + 2;
                while m + 2 < tokens.len() && tokens[m + 1] == "::" {
                    let field = tokens[m];
                    for name in [field.to_owned(), format!("{ty}.{field}"), format!("{ty}.{field}_update")] {
                        names.insert(name);
                    }
                    m += 3;
                }
            }
            _ => {}
        }
        k += 1;
    }
    Declared { names }
}

/// The theories a ROOT's session lists, in order, and the line of each.
pub fn root_theories(root: &str) -> Vec<(String, usize)> {
    let mut problems = Vec::new();
    let lexed = lex("ROOT", root, &mut problems);
    let mut out = Vec::new();
    let mut in_theories = false;
    for (word, line) in &lexed.words {
        match word.as_str() {
            "theories" => in_theories = true,
            "session" | "sessions" | "options" | "description" | "document_files" => in_theories = false,
            w if in_theories && w.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) => {
                out.push((w.to_owned(), *line))
            }
            _ => {}
        }
    }
    out
}

/// Checks a session: its ROOT's text and its theories (name, text).
/// `base` holds the base theories (name, text) a theory may import as
/// `CDSL.<name>`.
pub fn check_session(root: &str, theories: &[(String, String)], base: &[(&str, &str)]) -> Vec<Problem> {
    check(root, theories, base, true)
}

/// Checks a hand-written session (the base theories themselves): balance,
/// ROOT and imports only, since its lemmas have free variables.
pub fn check_structure(root: &str, theories: &[(String, String)]) -> Vec<Problem> {
    check(root, theories, &[], false)
}

fn check(root: &str, theories: &[(String, String)], base: &[(&str, &str)], references: bool) -> Vec<Problem> {
    let mut problems = Vec::new();
    let _ = lex("ROOT", root, &mut problems);
    let listed = root_theories(root);
    let mut seen = BTreeSet::new();
    for (name, line) in &listed {
        if !seen.insert(name.clone()) {
            problems.push(Problem {
                file: "ROOT".into(),
                line: *line,
                message: format!("theory `{name}` listed twice"),
            });
        }
        if !theories.iter().any(|(n, _)| n == name) {
            problems.push(Problem {
                file: "ROOT".into(),
                line: *line,
                message: format!("no theory file `{name}.thy`"),
            });
        }
    }
    let mut base_names = BTreeSet::new();
    for (_, text) in base {
        base_names.extend(declarations(text).names);
    }
    let mut exported: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut seen = BTreeMap::new();
    for (position, (name, _)) in listed.iter().enumerate() {
        let Some((_, text)) = theories.iter().find(|(n, _)| n == name) else { continue };
        let file = format!("{name}.thy");
        let mut known = base_names.clone();
        let imports = check_header(&file, name, text, &listed[..position], base, &mut problems);
        for import in &imports {
            if let Some(names) = exported.get(import) {
                known.extend(names.iter().cloned());
            }
        }
        let mut visible = if references {
            check_items(&file, text, known, &mut seen, &mut problems)
        } else {
            declarations(text).names
        };
        for import in &imports {
            if let Some(names) = exported.get(import) {
                visible.extend(names.iter().cloned());
            }
        }
        exported.insert(name.clone(), visible);
    }
    for (name, _) in theories {
        if !listed.iter().any(|(n, _)| n == name) {
            problems.push(Problem { file: format!("{name}.thy"), line: 1, message: "not listed in ROOT".to_owned() });
        }
    }
    problems
}

/// Checks `theory NAME imports .. begin`; returns the session theories it
/// imports.
fn check_header(
    file: &str,
    name: &str,
    text: &str,
    earlier: &[(String, usize)],
    base: &[(&str, &str)],
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    let lexed = lex(file, text, problems);
    let words: Vec<&(String, usize)> = lexed.tokens.iter().filter(|(t, _)| t != "\\<open>").collect();
    let problem = |line: usize, message: String| Problem { file: file.to_owned(), line, message };
    let Some(at) = words.iter().position(|(w, _)| w == "theory") else {
        problems.push(problem(1, "no `theory` header".to_owned()));
        return Vec::new();
    };
    match words.get(at + 1) {
        Some((n, _)) if n == name => {}
        Some((n, line)) => problems.push(problem(*line, format!("theory `{n}` in a file named `{name}.thy`"))),
        None => problems.push(problem(1, "no theory name".to_owned())),
    }
    let mut imports = Vec::new();
    let mut k = at + 2;
    if words.get(k).map(|(w, _)| w.as_str()) == Some("imports") {
        k += 1;
        while let Some((word, line)) = words.get(k) {
            if word == "begin" {
                break;
            }
            let import = word.trim_start_matches('"');
            let base_theory = import.strip_prefix("CDSL.").is_some_and(|b| base.iter().any(|(n, _)| *n == b));
            if BASE_IMPORTS.contains(&import) || base_theory {
            } else if earlier.iter().any(|(n, _)| n == import) {
                imports.push(import.to_owned());
            } else {
                problems
                    .push(problem(*line, format!("import `{import}` is not a theory listed before this one in ROOT")));
            }
            k += 1;
        }
    }
    if words.get(k).map(|(w, _)| w.as_str()) != Some("begin") {
        problems.push(problem(1, "header without `begin`".to_owned()));
    }
    if words.last().map(|(w, _)| w.as_str()) != Some("end") {
        problems.push(problem(text.lines().count(), "theory does not close with `end`".to_owned()));
    }
    imports
}

/// Checks every term against what is declared before it; returns the
/// theory's own declarations.
/// The names an item introduces in Isabelle's separate name spaces
/// (constants, facts, types, locales), for finding duplicates.
fn primary_names(item: &[(String, usize)]) -> Vec<(&'static str, String)> {
    let tokens: Vec<&str> = item.iter().map(|(t, _)| t.as_str()).collect();
    let is_name = |t: &&str| t.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    // The name after a command, past `(in X)` or type parameters.
    let after = |mut k: usize| -> Option<String> {
        if tokens.get(k).is_some_and(|t| t.starts_with('\'')) {
            k += 1;
        } else if tokens.get(k) == Some(&"(") {
            while k < tokens.len() && tokens[k] != ")" {
                k += 1;
            }
            k += 1;
        }
        tokens.get(k).filter(|t| is_name(t)).map(|t| (*t).to_owned())
    };
    match tokens.first().copied() {
        Some("definition") => {
            after(1).map(|n| vec![("constant", n.clone()), ("fact", format!("{n}_def"))]).unwrap_or_default()
        }
        Some("lemma") => after(1).map(|n| vec![("fact", n)]).unwrap_or_default(),
        Some("datatype" | "record" | "typedecl" | "type_synonym") => {
            after(1).map(|n| vec![("type", n)]).unwrap_or_default()
        }
        Some("locale") => after(1).map(|n| vec![("locale", n)]).unwrap_or_default(),
        Some("consts") => {
            let mut out = Vec::new();
            let mut j = 1;
            while j + 1 < tokens.len() && tokens[j + 1] == "::" {
                out.push(("constant", tokens[j].to_owned()));
                j += 3;
            }
            out
        }
        _ => Vec::new(),
    }
}

fn check_items(
    file: &str,
    text: &str,
    mut known: BTreeSet<String>,
    seen: &mut BTreeMap<(&'static str, String), String>,
    problems: &mut Vec<Problem>,
) -> BTreeSet<String> {
    let mut own = BTreeSet::new();
    let lexed = lex(file, text, &mut Vec::new());
    // Split into items at each command; declare each item's names before
    // checking its terms (a definition's equation names its constant).
    let mut items: Vec<Vec<(String, usize)>> = Vec::new();
    for token in &lexed.tokens {
        if COMMANDS.contains(&token.0.as_str()) || items.is_empty() {
            items.push(Vec::new());
        }
        if let Some(item) = items.last_mut() {
            item.push(token.clone());
        }
    }
    for item in items.into_iter().filter(|item| item.first().is_some_and(|(t, _)| t != "theory")) {
        let item_text: String = item
            .iter()
            .map(|(t, _)| match t.strip_prefix('"') {
                Some(term) => format!("\"{term}\" "),
                None => format!("{t} "),
            })
            .collect();
        for (space, name) in primary_names(&item) {
            let line = item.first().map_or(1, |(_, l)| *l);
            if let Some(first) = seen.get(&(space, name.clone())) {
                problems.push(Problem {
                    file: file.to_owned(),
                    line,
                    message: format!("{space} `{name}` declared twice (first in {first})"),
                });
            } else {
                seen.insert((space, name), file.to_owned());
            }
        }
        let declared = declarations(&item_text).names;
        known.extend(declared.iter().cloned());
        own.extend(declared);
        let is_lemma = item.first().is_some_and(|(t, _)| t == "lemma");
        if let [(_, line), (open, _), (word, _), (locale, _), ..] = item.as_slice() {
            if is_lemma && open == "(" && word == "in" && !known.contains(locale) {
                problems.push(Problem {
                    file: file.to_owned(),
                    line: *line,
                    message: format!("a lemma in locale `{locale}`, which is neither declared nor imported"),
                });
            }
        }
        for (token, line) in &item {
            let Some(term) = token.strip_prefix('"') else { continue };
            let (names, bound, unbalanced) = identifiers(term);
            if let Some(message) = unbalanced {
                problems.push(Problem { file: file.to_owned(), line: *line, message });
            }
            for name in names {
                let ok = known.contains(&name) || bound.contains(&name) || HOL_VOCABULARY.contains(&name.as_str());
                if !ok {
                    let what = if is_lemma { "a lemma refers to" } else { "a term refers to" };
                    problems.push(Problem {
                        file: file.to_owned(),
                        line: *line,
                        message: format!("{what} `{name}`, which is neither declared nor imported"),
                    });
                }
            }
        }
    }
    own
}
