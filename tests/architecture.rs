//! The shape ARCHITECTURE.md promises: the modules of `src/` import one
//! another without circles (each stage depends only on earlier ones and on
//! leaves), and the pipeline's functions (`lib.rs`, `engine.rs` and `engine/index.rs`, `sink.rs`)
//! stay short enough to read.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Module name of a source file: `src/markup/parallel.rs` → `markup`.
fn module_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_string())
}

fn sources(dir: &Path, out: &mut Vec<(std::path::PathBuf, String)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let text = fs::read_to_string(&p).expect("read source");
            out.push((p, text));
        }
    }
}

/// Code without comments and without `#[cfg(test)] mod tests` (unit tests
/// may reach anywhere).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `crate::a`, and `a` in `use crate::{a, b::c}`.
fn imports(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name = part.trim().split("::").next().unwrap_or("").trim();
                if modules.contains(name) {
                    found.insert(name.to_string());
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if modules.contains(&name) {
                found.insert(name);
            }
        }
    }
    found
}

/// A circle in `graph`, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut c = path[i..].to_vec();
            c.push(m.to_string());
            return Some(c);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for next in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(c) = visit(m, graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|(p, _)| p.strip_prefix(&src).ok().and_then(module_of))
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (p, text) in &files {
        let Some(m) = p.strip_prefix(&src).ok().and_then(module_of) else {
            continue;
        };
        let mut uses = imports(&code(text), &modules);
        uses.remove(&m);
        graph.entry(m).or_default().extend(uses);
    }
    graph
}

#[test]
fn modules_import_each_other_without_circles() {
    let graph = module_graph();
    assert!(graph.len() > 10, "modules found: {graph:?}");
    for (m, uses) in &graph {
        eprintln!(
            "{m} → {}",
            uses.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    if let Some(c) = circle(&graph) {
        panic!("import circle: {}", c.join(" → "));
    }
}

#[test]
fn the_circle_check_finds_a_circle() {
    let mut graph = module_graph();
    graph
        .entry("text".into())
        .or_default()
        .insert("render".into());
    assert!(
        circle(&graph).is_some(),
        "text → render → … → text not found"
    );
}

/// No function of the pipeline's centre is longer than about a screen.
#[test]
fn pipeline_functions_stay_short() {
    const MAX: usize = 80;
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut long = Vec::new();
    for file in ["lib.rs", "engine.rs", "engine/index.rs", "sink.rs"] {
        let text = fs::read_to_string(src.join(file)).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let t = l.trim_start();
            let indent = l.len() - t.len();
            let is_fn = ["fn ", "pub fn ", "pub(crate) fn ", "pub(super) fn "]
                .iter()
                .any(|p| t.starts_with(p));
            if !is_fn || t.ends_with(';') {
                continue;
            }
            // the function ends at the first `}` at its own indentation
            let close = format!("{}}}", " ".repeat(indent));
            if let Some(len) = lines[i..].iter().position(|x| *x == close) {
                if len + 1 > MAX {
                    long.push(format!("src/{file}:{}: {} lines", i + 1, len + 1));
                }
            }
        }
    }
    assert!(long.is_empty(), "functions over {MAX} lines: {long:?}");
}
