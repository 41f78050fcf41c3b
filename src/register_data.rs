//! The registers as data: each register's entries as CSV and JSON. A
//! declared register (`[[registers]]` in site.toml) has `register.csv` and
//! `register.json` in its index page's folder (`organisations/register.csv`);
//! the person register's files are written beside its TEI
//! (`tei::register_files`), with the person columns ([`Columns::Persons`]). The columns are the person
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
            bytes: csv(config, &r.entries, Columns::Register).into_bytes(),
        });
        out.push(SiteFile {
            path: format!("{dir}register.json"),
            bytes: json(config, &r.entries, Columns::Register).into_bytes(),
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
pub fn localized<'l>(
    l: &'l Localized,
    default: &'l str,
) -> impl Iterator<Item = (&'l str, &'l str)> {
    l.0.iter()
        .map(move |(k, v)| (if k.is_empty() { default } else { k.as_str() }, v.as_str()))
}

/// Which columns a register's data files have: the person register's
/// (`born`, `died`, `pseudonyms`) or a declared register's (`start`, `end`,
/// the name's `lang`, no pseudonyms).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Columns {
    Persons,
    Register,
}

impl Columns {
    /// The fixed columns before the texts, in order.
    fn head(self) -> [&'static str; 7] {
        match self {
            Columns::Persons => [
                "id",
                "name",
                "sort",
                "born",
                "died",
                "pseudonyms",
                "variants",
            ],
            Columns::Register => ["id", "name", "sort", "start", "end", "variants", "lang"],
        }
    }

    /// An entry's values for [`Columns::head`], as JSON values.
    fn values(self, p: &Person) -> [serde_json::Value; 7] {
        use serde_json::json;
        let forms = json!(p.variants);
        let (sixth, seventh) = match self {
            Columns::Persons => (json!(p.pseudonyms), forms),
            Columns::Register => (forms, json!(p.lang)),
        };
        [
            json!(p.id.get_ref()),
            json!(p.name),
            json!(p.sort),
            json!(p.born),
            json!(p.died),
            sixth,
            seventh,
        ]
    }
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

/// A JSON value as a CSV cell: a string as it is, a list of forms
/// separated by ` | `, nothing for null.
fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str())
            .collect::<Vec<_>>()
            .join(" | "),
        _ => String::new(),
    }
}

/// CSV (RFC 4180): one row per entry; several forms separated by ` | `;
/// descriptions and remarks in one column per language.
pub fn csv(config: &Config, entries: &[Person], columns: Columns) -> String {
    let langs = langs(config, entries);
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut head: Vec<String> = columns.head().iter().map(|s| s.to_string()).collect();
    head.extend(langs.iter().map(|l| format!("description_{l}")));
    head.extend(langs.iter().map(|l| format!("remark_{l}")));
    let _ = w.write_record(&head);
    let default = config.language.as_str();
    for p in entries {
        let mut row: Vec<String> = columns.values(p).iter().map(cell).collect();
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
pub fn json(config: &Config, entries: &[Person], columns: Columns) -> String {
    let lang = config.language.as_str();
    let texts = |l: &Localized| -> serde_json::Value {
        serde_json::Value::Object(
            localized(l, lang)
                .map(|(t, v)| (t.to_string(), serde_json::Value::String(v.to_string())))
                .collect(),
        )
    };
    let items: Vec<serde_json::Value> = entries
        .iter()
        .map(|p| {
            let mut item: serde_json::Map<String, serde_json::Value> = columns
                .head()
                .iter()
                .map(|k| k.to_string())
                .zip(columns.values(p))
                .collect();
            item.insert("description".into(), texts(&p.description));
            item.insert(
                "remark".into(),
                p.remark
                    .as_ref()
                    .map(texts)
                    .unwrap_or(serde_json::Value::Null),
            );
            serde_json::Value::Object(item)
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&items).unwrap_or_default();
    s.push('\n');
    s
}
