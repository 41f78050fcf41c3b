//! Static checks of the templates, before anything is rendered.
//!
//! tera 1 has no recursion limit: a template that includes itself, two
//! templates that include (or extend, or import) each other, or a macro that
//! calls itself overflow the stack and abort the process. Its render errors
//! also come only when a page reaches the faulty tag. So every template is
//! parsed alone ([`tera::Template::new`]), its AST is walked for what it refers
//! to (extends, imports, includes, macro calls, filters, tests, functions), and
//!
//! - a missing template, macro, filter, test or function is an error at its tag;
//! - a cycle among templates and macros (`a.html → b.html → a.html`, a macro
//!   that calls itself, directly or not) is an error naming the chain: every
//!   cycle is refused, even one behind a condition that would end it;
//! - a chain deeper than [`MAX_DEPTH`] (each step weighted by how deeply its
//!   tag is nested) and a template nested deeper than [`MAX_NESTING`] (blocks
//!   and brackets, checked before tera's recursive parser sees it) are errors.
//!
//! The AST has no positions: a tag is found again in the source by a small
//! scanner ([`tags`]) that knows tera's delimiters, strings, comments and raw
//! blocks.

use super::TemplateSources;
use crate::diagnostics::{Diagnostic, Diagnostics, SourceMap};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use tera::ast::{Expr, ExprVal, Node};
use tera::Tera;

/// Deepest nesting of blocks (`if`, `for`, `block`, `macro`, `filter`) and
/// brackets inside one template. tera parses and renders recursively; far
/// deeper than any real template, far below what overflows a thread's stack.
pub const MAX_NESTING: usize = 64;

/// Deepest chain of templates and macros (extends, imports, includes, macro
/// calls), each step counting one plus the nesting of the tag that makes it.
pub const MAX_DEPTH: usize = 128;

/// What a template refers to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Needle {
    Extends(String),
    Import(String),
    Include(Vec<String>, bool),
    MacroCall(String, String),
    Filter(String),
    Test(String),
    Function(String),
    Var(String),
}

/// A reference and how deeply its tag is nested in the template.
#[derive(Clone, Debug)]
struct Ref {
    needle: Needle,
    depth: usize,
}

/// One parsed template and its references: outside macros, and in each macro.
struct Info<'a> {
    path: &'a Path,
    text: &'a str,
    tpl: tera::Template,
    top: Vec<Ref>,
    macros: BTreeMap<String, Vec<Ref>>,
}

/// What the render stage keeps from the analysis: for each template, the
/// templates it may render (itself first, then its parents, imports and
/// includes, transitively), and the variables each template names.
#[derive(Default)]
pub(super) struct Analysis {
    pub reach: BTreeMap<String, Vec<String>>,
    pub vars: BTreeMap<String, BTreeSet<String>>,
}

/// Parses and checks every template; `None` if any is refused (the reasons
/// are in `diags`).
pub(super) fn analyse(
    tera: &Tera,
    sources: &TemplateSources,
    diags: &mut Diagnostics,
) -> Option<Analysis> {
    let mut infos: BTreeMap<&str, Info> = BTreeMap::new();
    let mut ok = true;
    for (name, (path, text)) in sources {
        if let Some(d) = nesting(path, text) {
            diags.push(d);
            ok = false;
            continue;
        }
        match tera::Template::new(name, None, text) {
            Ok(tpl) => {
                let mut walk = Walk::default();
                walk.nodes(&tpl.ast, 0);
                infos.insert(
                    name.as_str(),
                    Info {
                        path,
                        text,
                        tpl,
                        top: walk.top,
                        macros: walk.macros,
                    },
                );
            }
            Err(e) => {
                diags.push(syntax_diag(path, text, &e));
                ok = false;
            }
        }
    }
    if !ok {
        return None;
    }
    let mut missing = Diagnostics::default();
    let graph = Graph::new(tera, &infos, &mut missing);
    if missing.has_errors() {
        diags.extend(missing);
        return None;
    }
    if !graph.check(&infos, diags) {
        return None;
    }
    Some(Analysis {
        reach: graph.reach(),
        vars: infos
            .iter()
            .map(|(n, i)| {
                let vars = all_refs(i)
                    .filter_map(|r| match &r.needle {
                        Needle::Var(v) => Some(v.clone()),
                        _ => None,
                    })
                    .collect();
                (n.to_string(), vars)
            })
            .collect(),
    })
}

fn all_refs<'a>(info: &'a Info<'_>) -> impl Iterator<Item = &'a Ref> + 'a {
    info.top.iter().chain(info.macros.values().flatten())
}

/// A parse error of tera, with its `--> line:col` when it has one.
fn syntax_diag(path: &Path, text: &str, e: &tera::Error) -> Diagnostic {
    let msg = super::error_chain(e);
    if msg.contains("--> ") {
        return super::template_diag(path, text, &msg);
    }
    // duplicate blocks or macros: no position in tera's message
    let inner = std::error::Error::source(e)
        .map(|s| s.to_string())
        .unwrap_or_else(|| e.to_string());
    let name = inner.split('`').nth(1).unwrap_or("");
    let word = if inner.starts_with("Block") {
        "block"
    } else {
        "macro"
    };
    let offset = tags(text)
        .iter()
        .filter(|t| t.block)
        .filter(|t| {
            let mut w = words(&text[t.inner.clone()]);
            w.next() == Some(word) && w.next().map(|n| n.split('(').next()) == Some(Some(name))
        })
        .nth(1)
        .map(|t| t.start);
    at(path, text, offset, format!("template syntax: {inner}"))
}

/// A diagnostic at `offset` of a template (at the whole file without one).
fn at(path: &Path, text: &str, offset: Option<usize>, message: String) -> Diagnostic {
    match offset {
        Some(o) => SourceMap::new(path, text.to_string()).error(o, message),
        None => Diagnostic {
            severity: crate::diagnostics::Severity::Error,
            path: path.to_path_buf(),
            line: 0,
            col: 0,
            message,
            snippet: None,
        },
    }
}

/// Collects references while walking the AST.
#[derive(Default)]
struct Walk {
    top: Vec<Ref>,
    macros: BTreeMap<String, Vec<Ref>>,
    /// The macro being walked, if any.
    current: Option<String>,
}

impl Walk {
    fn push(&mut self, needle: Needle, depth: usize) {
        let r = Ref { needle, depth };
        match &self.current {
            Some(m) => self.macros.entry(m.clone()).or_default().push(r),
            None => self.top.push(r),
        }
    }

    fn nodes(&mut self, nodes: &[Node], depth: usize) {
        for node in nodes {
            self.node(node, depth);
        }
    }

    fn node(&mut self, node: &Node, depth: usize) {
        match node {
            Node::VariableBlock(_, e) => self.expr(e, depth),
            Node::MacroDefinition(_, def, _) => {
                let outer = self.current.replace(def.name.clone());
                self.macros.entry(def.name.clone()).or_default();
                for e in def.args.values().flatten() {
                    self.expr(e, 0);
                }
                self.nodes(&def.body, 0);
                self.current = outer;
            }
            Node::Include(_, names, ignore) => {
                self.push(Needle::Include(names.clone(), *ignore), depth)
            }
            Node::Set(_, s) => self.expr(&s.value, depth),
            Node::FilterSection(_, f, _) => {
                self.push(Needle::Filter(f.filter.name.clone()), depth);
                for e in f.filter.args.values() {
                    self.expr(e, depth);
                }
                self.nodes(&f.body, depth + 1);
            }
            Node::Block(_, b, _) => self.nodes(&b.body, depth + 1),
            Node::Forloop(_, f, _) => {
                self.expr(&f.container, depth);
                self.nodes(&f.body, depth + 1);
                if let Some(body) = &f.empty_body {
                    self.nodes(body, depth + 1);
                }
            }
            Node::If(i, _) => {
                for (_, cond, body) in &i.conditions {
                    self.expr(cond, depth);
                    self.nodes(body, depth + 1);
                }
                if let Some((_, body)) = &i.otherwise {
                    self.nodes(body, depth + 1);
                }
            }
            // extends and imports are read from the template itself
            Node::Extends(..)
            | Node::ImportMacro(..)
            | Node::Super
            | Node::Text(_)
            | Node::Raw(..)
            | Node::Break(_)
            | Node::Continue(_)
            | Node::Comment(..) => {}
        }
    }

    fn expr(&mut self, e: &Expr, depth: usize) {
        self.val(&e.val, depth);
        for f in &e.filters {
            self.push(Needle::Filter(f.name.clone()), depth);
            for a in f.args.values() {
                self.expr(a, depth);
            }
        }
    }

    fn val(&mut self, v: &ExprVal, depth: usize) {
        match v {
            ExprVal::Ident(path) => self.push(Needle::Var(path.clone()), depth),
            ExprVal::Math(m) => {
                self.expr(&m.lhs, depth);
                self.expr(&m.rhs, depth);
            }
            ExprVal::Logic(l) => {
                self.expr(&l.lhs, depth);
                self.expr(&l.rhs, depth);
            }
            ExprVal::Test(t) => {
                self.push(Needle::Test(t.name.clone()), depth);
                self.push(Needle::Var(t.ident.clone()), depth);
                for a in &t.args {
                    self.expr(a, depth);
                }
            }
            ExprVal::MacroCall(m) => {
                self.push(
                    Needle::MacroCall(m.namespace.clone(), m.name.clone()),
                    depth,
                );
                for a in m.args.values() {
                    self.expr(a, depth);
                }
            }
            ExprVal::FunctionCall(f) => {
                self.push(Needle::Function(f.name.clone()), depth);
                for a in f.args.values() {
                    self.expr(a, depth);
                }
            }
            ExprVal::Array(items) => {
                for a in items {
                    self.expr(a, depth);
                }
            }
            ExprVal::StringConcat(s) => {
                for v in &s.values {
                    self.val(v, depth);
                }
            }
            ExprVal::In(i) => {
                self.expr(&i.lhs, depth);
                self.expr(&i.rhs, depth);
            }
            ExprVal::String(_) | ExprVal::Int(_) | ExprVal::Float(_) | ExprVal::Bool(_) => {}
        }
    }
}

/// A node of the graph: a template's body, or one of its macros.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    template: String,
    r#macro: Option<String>,
}

impl Key {
    fn label(&self) -> String {
        match &self.r#macro {
            None => self.template.clone(),
            Some(m) => format!("{}::{m}", self.template),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Extends,
    Import,
    Include,
    Call,
}

/// An edge: from a node to another, made by `needle` (at that nesting depth).
#[derive(Clone, Debug)]
struct Edge {
    to: usize,
    step: Step,
    needle: Needle,
    depth: usize,
}

/// Templates and macros, and which renders which.
struct Graph {
    keys: Vec<Key>,
    edges: Vec<Vec<Edge>>,
}

/// Where a needle is in a template: searched from the macro's definition
/// when it is in a macro.
fn locate(info: &Info, within: Option<&str>, needle: &Needle) -> Option<usize> {
    let text = info.text;
    let all = tags(text);
    let from = within
        .and_then(|m| {
            all.iter().position(|t| {
                let mut w = words(&text[t.inner.clone()]);
                t.block
                    && w.next() == Some("macro")
                    && w.next().map(|n| n.split('(').next()) == Some(Some(m))
            })
        })
        .unwrap_or(0);
    all[from..]
        .iter()
        .find_map(|t| find_in_tag(text, t, needle))
}

/// The offset of `needle` in tag `t`, if it is there.
fn find_in_tag(text: &str, t: &Tag, needle: &Needle) -> Option<usize> {
    let inner = &text[t.inner.clone()];
    let base = t.inner.start;
    let keyword = |kw: &str, names: &[String]| -> Option<usize> {
        let trimmed = inner.trim_start_matches('-').trim_start();
        let lead = inner.len() - trimmed.len();
        (t.block
            && word_at(trimmed, 0, kw)
            && names.iter().any(|n| {
                trimmed.contains(&format!("\"{n}\""))
                    || trimmed.contains(&format!("'{n}'"))
                    || trimmed.contains(&format!("`{n}`"))
            }))
        .then_some(base + lead)
    };
    match needle {
        Needle::Extends(n) => keyword("extends", std::slice::from_ref(n)),
        Needle::Import(n) => keyword("import", std::slice::from_ref(n)),
        Needle::Include(names, _) => keyword("include", names),
        Needle::MacroCall(ns, name) => find_word(inner, &format!("{ns}::{name}")).map(|i| base + i),
        Needle::Filter(f) => {
            // `| f` in an expression, or `{% filter f %}`
            let trimmed = inner.trim_start_matches('-').trim_start();
            if t.block && word_at(trimmed, 0, "filter") {
                let rest = trimmed["filter".len()..].trim_start();
                if word_at(rest, 0, f) {
                    return Some(base + inner.len() - rest.len());
                }
            }
            code_positions(inner, f).into_iter().find_map(|i| {
                let before = inner[..i].trim_end();
                before.ends_with('|').then_some(base + i)
            })
        }
        Needle::Test(name) => code_positions(inner, name).into_iter().find_map(|i| {
            let before = inner[..i].trim_end();
            let before = before.strip_suffix("not").map_or(before, str::trim_end);
            (before.ends_with(" is") || before == "is").then_some(base + i)
        }),
        Needle::Function(f) => code_positions(inner, f).into_iter().find_map(|i| {
            let after = inner[i + f.len()..].trim_start();
            let before = inner[..i].trim_end();
            (after.starts_with('(') && !before.ends_with('|') && !before.ends_with("::"))
                .then_some(base + i)
        }),
        Needle::Var(v) => find_word(inner, v).map(|i| base + i),
    }
}

/// Whether `word` is at `i` of `s`, as a whole word.
fn word_at(s: &str, i: usize, word: &str) -> bool {
    s[i..].starts_with(word)
        && !s[i + word.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Offsets in `s`, outside strings, where `word` starts as a whole word
/// (not after a `.`, which would make it an attribute).
fn code_positions(s: &str, word: &str) -> Vec<usize> {
    let mut out = Vec::new();
    if word.is_empty() {
        return out;
    }
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'' | '`') => quote = Some(c),
            None => {
                if s[i..].starts_with(word)
                    && !s[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|p| is_ident(p) || p == '.')
                    && !s[i + word.len()..].chars().next().is_some_and(is_ident)
                {
                    out.push(i);
                }
            }
        }
    }
    out
}

fn find_word(s: &str, word: &str) -> Option<usize> {
    code_positions(s, word).into_iter().next()
}

/// The whitespace-separated words of a tag's inside, without `-`.
fn words(inner: &str) -> impl Iterator<Item = &str> {
    inner
        .trim_matches('-')
        .split_whitespace()
        .filter(|w| !w.is_empty())
}

/// A `{{ … }}` or `{% … %}` tag of a template.
#[derive(Clone, Debug)]
pub(super) struct Tag {
    /// Offset of its `{`.
    pub start: usize,
    /// Its inside, between the delimiters.
    pub inner: std::ops::Range<usize>,
    /// `{% … %}` rather than `{{ … }}`.
    pub block: bool,
}

/// The tags of a template, in order: comments and raw blocks skipped,
/// strings inside tags skipped when looking for the closing delimiter.
pub(super) fn tags(text: &str) -> Vec<Tag> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(rel) = text[i..].find('{') {
        let open = i + rel;
        let kind = bytes.get(open + 1).copied();
        match kind {
            Some(b'#') => {
                i = text[open + 2..]
                    .find("#}")
                    .map_or(text.len(), |e| open + 2 + e + 2);
            }
            Some(b'{') | Some(b'%') => {
                let close = if kind == Some(b'{') { "}}" } else { "%}" };
                let start = open + 2;
                let end = close_of(text, start, close);
                let tag = Tag {
                    start: open,
                    inner: start..end,
                    block: kind == Some(b'%'),
                };
                i = (end + 2).min(text.len());
                let raw = tag.block && words(&text[tag.inner.clone()]).next() == Some("raw");
                out.push(tag);
                if raw {
                    // skip to `{% endraw %}`
                    let mut j = i;
                    i = text.len();
                    while let Some(r) = text[j..].find("{%") {
                        let s = j + r + 2;
                        let e = close_of(text, s, "%}");
                        if words(&text[s..e]).next() == Some("endraw") {
                            i = (e + 2).min(text.len());
                            break;
                        }
                        j = s;
                    }
                }
            }
            _ => i = open + 1,
        }
    }
    out
}

/// Where `close` ends the tag whose inside starts at `start` (the end of the
/// text if it never does), skipping strings.
fn close_of(text: &str, start: usize, close: &str) -> usize {
    let mut quote: Option<char> = None;
    for (k, c) in text[start..].char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'' | '`') => quote = Some(c),
            None if text[start + k..].starts_with(close) => return start + k,
            None => {}
        }
    }
    // an unterminated string: end at the first delimiter after all
    text[start..].find(close).map_or(text.len(), |e| start + e)
}

/// A template nested deeper than [`MAX_NESTING`]: an error at the tag where
/// it gets too deep. Checked on the source, before tera parses it.
fn nesting(path: &Path, text: &str) -> Option<Diagnostic> {
    const OPEN: [&str; 5] = ["if", "for", "block", "macro", "filter"];
    let mut blocks: usize = 0;
    for t in tags(text) {
        let inner = &text[t.inner.clone()];
        let first = words(inner).next().unwrap_or("");
        if t.block && OPEN.contains(&first) {
            blocks += 1;
        } else if t.block && first.starts_with("end") {
            blocks = blocks.saturating_sub(1);
        }
        let mut depth: usize = 0;
        let mut deepest: usize = 0;
        let mut quote: Option<char> = None;
        for c in inner.chars() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    '"' | '\'' | '`' => quote = Some(c),
                    '(' | '[' => {
                        depth += 1;
                        deepest = deepest.max(depth);
                    }
                    ')' | ']' => depth = depth.saturating_sub(1),
                    _ => {}
                },
            }
        }
        // `not not not …` is nested too
        let nots = words(inner).filter(|w| *w == "not").count();
        if blocks + deepest + nots > MAX_NESTING {
            return Some(at(
                path,
                text,
                Some(t.start),
                format!("template nested more than {MAX_NESTING} levels deep (blocks, brackets and `not`)"),
            ));
        }
    }
    None
}

/// Namespaces of macros a template can call: `self`, its imports, what they
/// import, and its parents' (as tera resolves them).
fn namespaces<'a>(
    infos: &'a BTreeMap<&str, Info>,
    name: &'a str,
    seen: &mut Vec<&'a str>,
) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    if seen.contains(&name) {
        return map;
    }
    seen.push(name);
    let Some(info) = infos.get(name) else {
        return map;
    };
    if !info.tpl.macros.is_empty() {
        map.insert("self".to_string(), name.to_string());
    }
    for (file, ns) in &info.tpl.imported_macro_files {
        map.insert(ns.clone(), file.clone());
        for (n, f) in namespaces(infos, file, seen) {
            map.entry(n).or_insert(f);
        }
    }
    if let Some(parent) = &info.tpl.parent {
        for (n, f) in namespaces(infos, parent, seen) {
            map.entry(n).or_insert(f);
        }
    }
    seen.pop();
    map
}

impl Graph {
    /// Builds the graph; reports missing templates, macros, filters, tests
    /// and functions.
    fn new(tera: &Tera, infos: &BTreeMap<&str, Info>, diags: &mut Diagnostics) -> Graph {
        let mut keys = Vec::new();
        for (name, info) in infos {
            keys.push(Key {
                template: name.to_string(),
                r#macro: None,
            });
            for m in info.macros.keys() {
                keys.push(Key {
                    template: name.to_string(),
                    r#macro: Some(m.clone()),
                });
            }
        }
        let index: BTreeMap<Key, usize> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), i))
            .collect();
        let mut edges = vec![Vec::new(); keys.len()];
        let mut reported: BTreeSet<(String, Needle)> = BTreeSet::new();
        for (i, key) in keys.iter().enumerate() {
            let name = key.template.as_str();
            let Some(info) = infos.get(name) else {
                continue;
            };
            let within = key.r#macro.as_deref();
            let mut report = |needle: &Needle, message: String| {
                if reported.insert((name.to_string(), needle.clone())) {
                    let offset = locate(info, within, needle);
                    diags.push(at(info.path, info.text, offset, message));
                }
            };
            let tpl_key = |t: &str| Key {
                template: t.to_string(),
                r#macro: None,
            };
            let mut refs: Vec<Ref> = Vec::new();
            if within.is_none() {
                if let Some(p) = &info.tpl.parent {
                    refs.push(Ref {
                        needle: Needle::Extends(p.clone()),
                        depth: 0,
                    });
                }
                for (f, _) in &info.tpl.imported_macro_files {
                    refs.push(Ref {
                        needle: Needle::Import(f.clone()),
                        depth: 0,
                    });
                }
                refs.extend(info.top.iter().cloned());
            } else if let Some(m) = within.and_then(|m| info.macros.get(m)) {
                refs.extend(m.iter().cloned());
            }
            let ns = namespaces(infos, name, &mut Vec::new());
            for r in refs {
                let mut edge = |to: Key, step: Step| {
                    if let Some(&to) = index.get(&to) {
                        edges[i].push(Edge {
                            to,
                            step,
                            needle: r.needle.clone(),
                            depth: r.depth,
                        });
                    }
                };
                match &r.needle {
                    Needle::Extends(p) => match infos.get(p.as_str()) {
                        Some(_) => edge(tpl_key(p), Step::Extends),
                        None => report(
                            &r.needle,
                            format!("`extends` names a missing template `{p}`"),
                        ),
                    },
                    Needle::Import(f) => match infos.get(f.as_str()) {
                        Some(_) => edge(tpl_key(f), Step::Import),
                        None => report(
                            &r.needle,
                            format!("`import` names a missing template `{f}`"),
                        ),
                    },
                    Needle::Include(names, ignore) => {
                        let present: Vec<&String> = names
                            .iter()
                            .filter(|n| infos.contains_key(n.as_str()))
                            .collect();
                        if present.is_empty() && !ignore {
                            report(
                                &r.needle,
                                format!(
                                    "`include` names a missing template `{}`",
                                    names.join("`, `")
                                ),
                            );
                        }
                        for n in present {
                            if infos
                                .get(n.as_str())
                                .is_some_and(|t| t.tpl.parent.is_some())
                            {
                                report(
                                    &r.needle,
                                    format!("`include` of `{n}`, which uses `extends`: tera cannot render it in an include"),
                                );
                            }
                            edge(tpl_key(n), Step::Include);
                        }
                    }
                    Needle::MacroCall(space, m) => {
                        let target = ns.get(space).filter(|f| {
                            infos
                                .get(f.as_str())
                                .is_some_and(|t| t.tpl.macros.contains_key(m))
                        });
                        match target {
                            Some(f) => edge(
                                Key {
                                    template: f.clone(),
                                    r#macro: Some(m.clone()),
                                },
                                Step::Call,
                            ),
                            None if ns.contains_key(space) => report(
                                &r.needle,
                                format!("unknown macro `{space}::{m}`: `{}` defines no macro `{m}`", ns[space]),
                            ),
                            None => report(
                                &r.needle,
                                format!("unknown macro `{space}::{m}`: no `{{% import … as {space} %}}` (or macro of this template, for `self`)"),
                            ),
                        }
                    }
                    Needle::Filter(f) => {
                        if f != "safe" && f != "default" && tera.get_filter(f).is_err() {
                            report(&r.needle, format!("unknown filter `{f}`"));
                        }
                    }
                    Needle::Test(t) => {
                        if tera.get_tester(t).is_err() {
                            report(&r.needle, format!("unknown test `{t}`"));
                        }
                    }
                    Needle::Function(f) => {
                        if tera.get_function(f).is_err() {
                            report(&r.needle, format!("unknown function `{f}`"));
                        }
                    }
                    Needle::Var(_) => {}
                }
            }
        }
        Graph { keys, edges }
    }

    /// Reports every group of templates and macros that can render each
    /// other (once, with one cycle through it), then chains deeper than
    /// [`MAX_DEPTH`]. `false` if anything was reported.
    fn check(&self, infos: &BTreeMap<&str, Info>, diags: &mut Diagnostics) -> bool {
        let mut ok = true;
        for group in self.components() {
            let looped = group.len() > 1 || self.edges[group[0]].iter().any(|e| e.to == group[0]);
            if !looped {
                continue;
            }
            ok = false;
            // start at a template body if there is one, else at a macro
            let start = group
                .iter()
                .copied()
                .min_by_key(|&k| (self.keys[k].r#macro.is_some(), &self.keys[k]))
                .unwrap_or(group[0]);
            let cycle = self.cycle_from(start, &group);
            let Some(first) = cycle.first() else {
                continue;
            };
            let mut chain = vec![self.keys[start].label()];
            chain.extend(cycle.iter().map(|e| self.keys[e.to].label()));
            let steps: BTreeSet<_> = cycle.iter().map(|e| format!("{:?}", e.step)).collect();
            let what = match (steps.len(), cycle[0].step) {
                (1, Step::Include) => "include cycle",
                (1, Step::Extends) => "extends cycle",
                (1, Step::Import) => "import cycle",
                (1, Step::Call) => {
                    "recursive macro (macros may not call themselves, directly or not)"
                }
                _ => "template cycle",
            };
            diags.push(self.site(
                infos,
                start,
                first,
                format!("{what}: {}", chain.join(" → ")),
            ));
        }
        if !ok {
            return false;
        }
        // longest chains, by memoised search (the graph has no cycle now)
        let mut memo: Vec<Option<(usize, Option<usize>)>> = vec![None; self.keys.len()];
        let order = self.postorder();
        for &k in &order {
            let best = self.edges[k]
                .iter()
                .enumerate()
                .map(|(j, e)| (e.depth + 1 + memo[e.to].map_or(0, |m| m.0), Some(j)))
                .max_by_key(|p| p.0)
                .unwrap_or((0, None));
            memo[k] = Some(best);
        }
        let deepest = (0..self.keys.len())
            .filter(|&k| self.keys[k].r#macro.is_none())
            .max_by_key(|&k| (memo[k].map_or(0, |m| m.0), std::cmp::Reverse(k)));
        if let Some(start) = deepest {
            let depth = memo[start].map_or(0, |m| m.0);
            if depth > MAX_DEPTH {
                let mut chain = vec![self.keys[start].label()];
                let mut k = start;
                let mut first = None;
                while let Some((_, Some(j))) = memo[k] {
                    let e = &self.edges[k][j];
                    first.get_or_insert(e);
                    chain.push(self.keys[e.to].label());
                    k = e.to;
                }
                if chain.len() > 12 {
                    let tail = chain.split_off(chain.len() - 3);
                    chain.truncate(8);
                    chain.push("…".into());
                    chain.extend(tail);
                }
                if let Some(first) = first {
                    diags.push(self.site(
                        infos,
                        start,
                        first,
                        format!(
                            "templates nested too deep ({depth} levels of includes, macros, parents and blocks; the limit is {MAX_DEPTH}): {}",
                            chain.join(" → ")
                        ),
                    ));
                    return false;
                }
            }
        }
        true
    }

    /// A diagnostic at the tag of edge `e` out of node `k`.
    fn site(
        &self,
        infos: &BTreeMap<&str, Info>,
        k: usize,
        e: &Edge,
        message: String,
    ) -> Diagnostic {
        let key = &self.keys[k];
        match infos.get(key.template.as_str()) {
            Some(info) => {
                let offset = locate(info, key.r#macro.as_deref(), &e.needle);
                at(info.path, info.text, offset, message)
            }
            None => at(Path::new("templates"), "", None, message),
        }
    }

    /// The shortest cycle from `start` back to it within `group` (edges).
    fn cycle_from(&self, start: usize, group: &[usize]) -> Vec<&Edge> {
        let mut prev: BTreeMap<usize, (usize, &Edge)> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(k) = queue.pop_front() {
            for e in &self.edges[k] {
                if !group.contains(&e.to) {
                    continue;
                }
                if e.to == start {
                    let mut path = vec![e];
                    let mut at = k;
                    while at != start {
                        let (p, pe) = prev[&at];
                        path.push(pe);
                        at = p;
                    }
                    path.reverse();
                    return path;
                }
                if let std::collections::btree_map::Entry::Vacant(v) = prev.entry(e.to) {
                    v.insert((k, e));
                    queue.push_back(e.to);
                }
            }
        }
        Vec::new()
    }

    /// Strongly connected components (Tarjan, iterative), each sorted.
    fn components(&self) -> Vec<Vec<usize>> {
        let n = self.keys.len();
        let mut index = vec![usize::MAX; n];
        let mut low = vec![0; n];
        let mut on_stack = vec![false; n];
        let mut stack = Vec::new();
        let mut out = Vec::new();
        let mut next = 0;
        for root in 0..n {
            if index[root] != usize::MAX {
                continue;
            }
            // (node, next edge to look at)
            let mut work = vec![(root, 0usize)];
            while let Some(&mut (v, ref mut ei)) = work.last_mut() {
                if *ei == 0 && index[v] == usize::MAX {
                    index[v] = next;
                    low[v] = next;
                    next += 1;
                    stack.push(v);
                    on_stack[v] = true;
                }
                if let Some(e) = self.edges[v].get(*ei) {
                    *ei += 1;
                    let w = e.to;
                    if index[w] == usize::MAX {
                        work.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                    continue;
                }
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut group = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        group.push(w);
                        if w == v {
                            break;
                        }
                    }
                    group.sort_unstable();
                    out.push(group);
                }
            }
        }
        out.sort();
        out
    }

    /// Nodes in an order where every node comes after those it leads to
    /// (the graph has no cycle).
    fn postorder(&self) -> Vec<usize> {
        let n = self.keys.len();
        let mut done = vec![false; n];
        let mut out = Vec::with_capacity(n);
        for root in 0..n {
            if done[root] {
                continue;
            }
            let mut work = vec![(root, 0usize)];
            done[root] = true;
            while let Some(&mut (v, ref mut ei)) = work.last_mut() {
                if let Some(e) = self.edges[v].get(*ei) {
                    *ei += 1;
                    if !done[e.to] {
                        done[e.to] = true;
                        work.push((e.to, 0));
                    }
                    continue;
                }
                work.pop();
                out.push(v);
            }
        }
        out
    }

    /// For each template, the templates it may render: itself, then those
    /// reachable through parents, imports, includes and macros.
    fn reach(&self) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        for (k, key) in self.keys.iter().enumerate() {
            if key.r#macro.is_some() {
                continue;
            }
            let mut seen = vec![false; self.keys.len()];
            let mut queue = std::collections::VecDeque::from([k]);
            seen[k] = true;
            let mut names: Vec<String> = Vec::new();
            while let Some(v) = queue.pop_front() {
                let t = &self.keys[v].template;
                if !names.contains(t) {
                    names.push(t.clone());
                }
                for e in &self.edges[v] {
                    if !seen[e.to] {
                        seen[e.to] = true;
                        queue.push_back(e.to);
                    }
                }
            }
            out.insert(key.template.clone(), names);
        }
        out
    }
}

/// A render error of template `name` as a diagnostic against the template
/// and line it comes from, with a message that does not depend on the page
/// (so that the same error from many pages is one diagnostic).
///
/// tera names the template it was asked to render, not always the one where
/// the error is (an edition's `base.html` fails while rendering the built-in
/// `page.html`), and gives no line: an unknown variable is looked for among
/// the templates `name` may render, those named in the error first, then the
/// edition's, then the built-in ones.
pub(super) fn render_diag(
    sources: &TemplateSources,
    analysis: &Analysis,
    name: &str,
    e: &tera::Error,
) -> Diagnostic {
    // the innermost cause is the error; the others say where tera was
    let mut chain = vec![e.to_string()];
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        chain.push(s.to_string());
        src = s.source();
    }
    let full = chain.join(": ");
    let cause = chain.last().cloned().unwrap_or_default();
    // templates named in the chain, innermost first
    let mut named: Vec<&str> = Vec::new();
    for part in full.split('\'').rev() {
        if sources.contains_key(part) && !named.contains(&part) {
            named.push(part);
        }
    }
    let var = cause
        .strip_prefix("Variable `")
        .and_then(|r| r.split('`').next())
        .filter(|_| cause.contains("not found in context"));
    let (at, needle, message) = match var {
        Some(v) => {
            let uses = |t: &&str| analysis.vars.get(*t).is_some_and(|vs| vs.contains(v));
            let reach: Vec<&str> = analysis
                .reach
                .get(name)
                .map(|r| r.iter().map(String::as_str).collect())
                .unwrap_or_default();
            let built_in = |t: &str| {
                sources
                    .get(t)
                    .is_some_and(|(p, _)| p.to_string_lossy().ends_with("(built-in)"))
            };
            let at = named
                .iter()
                .copied()
                .find(|t| uses(t))
                .or_else(|| reach.iter().copied().find(|t| !built_in(t) && uses(t)))
                .or_else(|| reach.iter().copied().find(|t| uses(t)))
                .or_else(|| named.first().copied())
                .unwrap_or(name);
            let mut message = format!("variable `{v}` not found in the context");
            if let Some(rest) = cause.split(": the evaluated version was ").nth(1) {
                message.push_str(&format!(" (evaluated as {rest})"));
            }
            (at, Some(Needle::Var(v.to_string())), message)
        }
        None => {
            let at = named.first().copied().unwrap_or(name);
            let message = match cause.find(" while rendering '") {
                Some(i) => cause[..i].to_string(),
                None => cause.clone(),
            };
            let needle = cause
                .split('`')
                .nth(1)
                .or_else(|| cause.split('\'').nth(1))
                .filter(|w| !w.is_empty() && !sources.contains_key(*w))
                .map(|w| Needle::Var(w.to_string()));
            (at, needle, format!("template: {message}"))
        }
    };
    match sources.get(at) {
        Some((path, text)) => {
            let offset =
                needle.and_then(|n| tags(text).iter().find_map(|t| find_in_tag(text, t, &n)));
            self::at(path, text, offset, message)
        }
        None => self::at(Path::new(&format!("templates/{at}")), "", None, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_skip_comments_raw_blocks_and_strings() {
        let text = "a {# {{ x }} #} {{ \"}}\" }} {% raw %}{{ y }}{% endraw %} {%- if z -%}";
        let found: Vec<&str> = tags(text).iter().map(|t| &text[t.inner.clone()]).collect();
        assert_eq!(found, vec![" \"}}\" ", " raw ", "- if z -"]);
    }

    #[test]
    fn needles_are_found_as_words_in_code() {
        assert_eq!(code_positions("x | upper | upperx", "upper"), vec![4]);
        assert_eq!(code_positions("a.texts | texts", "texts"), vec![10]);
        assert!(code_positions("\"texts\"", "texts").is_empty());
    }
}
