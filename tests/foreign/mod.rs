//! The interface strings of each language that the other languages do not
//! share, read from src/i18n.rs: what must never appear in an edition
//! whose interface is another language.
#![allow(dead_code)]

use std::fs;
use std::path::Path;

/// The interface strings of one language that the two others do not share,
/// read from the tables in src/i18n.rs (`("key", "fr", "es", "en"),`).
pub fn only_in(lang: &str) -> Vec<String> {
    let col = match lang {
        "fr" => 1,
        "es" => 2,
        _ => 3,
    };
    let source = include_str!("../../src/i18n.rs");
    let mut out = Vec::new();
    for line in source.lines() {
        let line = line.trim();
        if !line.starts_with("(\"") || !line.ends_with("),") {
            continue;
        }
        let fields: Vec<&str> = line[1..line.len() - 2]
            .split("\", \"")
            .map(|f| f.trim_matches('"'))
            .collect();
        if fields.len() != 4 {
            continue;
        }
        let s = fields[col];
        // too short or too common to tell languages apart (`§`, `note`)
        if s.chars().count() < 5 || s.contains('\\') || s.contains('{') {
            continue;
        }
        let others: Vec<&str> = (1..4).filter(|c| *c != col).map(|c| fields[c]).collect();
        if others
            .iter()
            .any(|o| o.to_lowercase().contains(&s.to_lowercase()))
        {
            continue;
        }
        out.push(s.to_string());
    }
    assert!(
        out.len() > 30,
        "too few strings read from src/i18n.rs: {out:?}"
    );
    out
}

/// Attributes whose values a reader sees or hears.
const READ_ATTRIBUTES: &[&str] = &[
    "aria-label",
    "title",
    "alt",
    "content",
    "placeholder",
    "data-label",
    "data-copy",
    "data-copied",
    "data-source",
    "data-notes-label",
    "data-ednotes-label",
];

/// What a reader of `html` reads: its text, and the values of the
/// attributes read aloud or shown (not class names, ids or URLs, which are
/// the same in every language), without code (`<pre>`: a text's Markdown
/// source shows the markup's keywords, `:: es translation`) or scripts.
pub fn readable(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        // code, and scripts (JSON-LD is data for machines, its keys schema.org's)
        let skip = [("<pre", "</pre>"), ("<script", "</script>")]
            .into_iter()
            .find(|(o, _)| rest[open..].starts_with(o));
        if let Some((_, end_tag)) = skip {
            match rest[open..].find(end_tag) {
                Some(end) => {
                    rest = &rest[open + end + end_tag.len()..];
                    continue;
                }
                None => break,
            }
        }
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let tag = &rest[open..open + close];
        for name in READ_ATTRIBUTES {
            let key = format!(" {name}=\"");
            if let Some(at) = tag.find(&key) {
                let value = &tag[at + key.len()..];
                out.push('\n');
                out.push_str(value.split('"').next().unwrap_or(""));
            }
        }
        out.push('\n');
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// Every HTML, XML and text file under `dir`, with what a reader reads of
/// it. Not the TEI exports (`tei.xml`, `register.xml`): their element and
/// attribute vocabulary is TEI's, and their encoding description is
/// written in English whatever the edition's language (a known limit).
pub fn output(dir: &Path) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.expect("walk");
        let p = e.path();
        let tei = p
            .file_name()
            .is_some_and(|n| n == "tei.xml" || n == "register.xml");
        if e.file_type().is_file()
            && !tei
            && p.extension()
                .is_some_and(|x| x == "html" || x == "xml" || x == "txt")
        {
            let t = fs::read_to_string(p).expect("read");
            v.push((p.display().to_string(), readable(&t)));
        }
    }
    v
}

/// Asserts that no interface string only `lang` has appears in `files`.
#[track_caller]
pub fn assert_none_of(lang: &str, files: &[(String, String)]) {
    for s in only_in(lang) {
        for (path, t) in files {
            assert!(
                !t.contains(&s),
                "interface string `{s}` of {lang} in {path}"
            );
        }
    }
}
