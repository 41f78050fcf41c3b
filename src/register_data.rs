//! The declared registers (`[[registers]]` in site.toml) as data: each
//! register's entries as CSV (`register.csv`) and JSON (`register.json`) in
//! its index page's folder (`organisations/register.csv`), beside the person
//! register's own files (`tei::register_files`). The columns are the person
//! register's where they apply (`start` and `end` for `born` and `died`, no
//! pseudonyms) plus the name's language; rows in the order of the register
//! file, so the output is deterministic.

use crate::config::Config;
use crate::content::{Localized, Person};
use crate::edition::{Edition, RegisterIndex};
use crate::output::SiteFile;

/// The two data files of each declared register that has entries.
pub fn files(config: &Config, ed: &Edition) -> Vec<SiteFile> {
    let mut out = Vec::new();
    for r in ed.registers.iter().filter(|r| !r.entries.is_empty()) {
        let dir = dir_of(r);
        out.push(SiteFile {
            path: format!("{dir}register.csv"),
            bytes: csv(config, &r.entries).into_bytes(),
        });
        out.push(SiteFile {
            path: format!("{dir}register.json"),
            bytes: json(config, &r.entries).into_bytes(),
        });
    }
    out
}

/// The register's index folder in the output (`organisations/`).
fn dir_of(r: &RegisterIndex) -> String {
    let rel = r.decl.page_rel();
    if rel.is_empty() {
        String::new()
    } else {
        format!("{rel}/")
    }
}

/// A register text's pieces with their language tags (an untagged text is
/// in the edition's language).
fn localized<'l>(l: &'l Localized, default: &'l str) -> impl Iterator<Item = (&'l str, &'l str)> {
    l.0.iter()
        .map(move |(k, v)| (if k.is_empty() { default } else { k.as_str() }, v.as_str()))
}

/// Every language tag of the entries' descriptions and remarks, in order
/// of first use.
fn langs(config: &Config, entries: &[Person]) -> Vec<String> {
    let mut langs: Vec<String> = Vec::new();
    for p in entries {
        for l in std::iter::once(&p.description).chain(p.remark.as_ref()) {
            for (tag, _) in localized(l, &config.language) {
                if !langs.iter().any(|t| t == tag) {
                    langs.push(tag.to_string());
                }
            }
        }
    }
    langs
}

fn text_in(l: Option<&Localized>, tag: &str, default: &str) -> String {
    l.and_then(|l| localized(l, default).find(|(t, _)| *t == tag))
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

/// CSV (RFC 4180): one row per entry; several forms separated by ` | `;
/// descriptions and remarks in one column per language.
pub fn csv(config: &Config, entries: &[Person]) -> String {
    let langs = langs(config, entries);
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut head: Vec<String> = ["id", "name", "sort", "start", "end", "variants", "lang"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    head.extend(langs.iter().map(|l| format!("description_{l}")));
    head.extend(langs.iter().map(|l| format!("remark_{l}")));
    let _ = w.write_record(&head);
    for p in entries {
        let mut row = vec![
            p.id.get_ref().clone(),
            p.name.clone(),
            p.sort.clone(),
            p.born.clone().unwrap_or_default(),
            p.died.clone().unwrap_or_default(),
            p.variants.join(" | "),
            p.lang.clone().unwrap_or_default(),
        ];
        let default = config.language.as_str();
        row.extend(
            langs
                .iter()
                .map(|l| text_in(Some(&p.description), l, default)),
        );
        row.extend(langs.iter().map(|l| text_in(p.remark.as_ref(), l, default)));
        let _ = w.write_record(&row);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// JSON: an array of entries, texts by language tag.
pub fn json(config: &Config, entries: &[Person]) -> String {
    let lang = config.language.as_str();
    let texts = |l: &Localized| -> serde_json::Map<String, serde_json::Value> {
        localized(l, lang)
            .map(|(t, v)| (t.to_string(), serde_json::Value::String(v.to_string())))
            .collect()
    };
    let items: Vec<serde_json::Value> = entries
        .iter()
        .map(|p| {
            serde_json::json!({
                "id": p.id.get_ref(),
                "name": p.name,
                "sort": p.sort,
                "start": p.born,
                "end": p.died,
                "variants": p.variants,
                "lang": p.lang,
                "description": texts(&p.description),
                "remark": p.remark.as_ref().map(texts),
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&items).unwrap_or_default();
    s.push('\n');
    s
}
