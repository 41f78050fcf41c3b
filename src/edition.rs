//! resolve: cross-document work on parsed pages, pure data. Mentions →
//! register entries, the person index with every occurrence, listings and
//! previous/next. Every reference error is found here; `apparat check` stops here.

use crate::config::Config;
use crate::content::{Content, Kind, Page, Person};
use crate::diagnostics::Diagnostics;
use crate::markup::{self, Document, ParseOptions};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A page with its parsed document.
#[derive(Debug, Clone)]
pub struct Entry {
    pub page: Page,
    pub doc: Document,
}

/// One occurrence of a person in the index.
#[derive(Debug, Clone, Serialize)]
pub struct Occurrence {
    pub page_title: String,
    /// URL of the mention (`/paris-1978/#m-humbert-droz-3`).
    pub url: String,
    pub para: Option<u32>,
    pub note: Option<String>,
    pub form: String,
}

/// A person with every occurrence, for the index.
#[derive(Debug, Clone, Serialize)]
pub struct IndexEntry {
    pub id: String,
    pub name: String,
    pub sort: String,
    pub dates: String,
    /// Inline HTML (register texts are Markdown: `*Amauta*`).
    pub description: String,
    pub description_fr: String,
    pub description_es: String,
    pub remark: Option<String>,
    pub variants: Vec<String>,
    pub pseudonyms: Vec<String>,
    /// Occurrences grouped by text, in text order.
    pub texts: Vec<TextOccurrences>,
    pub count: usize,
    pub letter: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TextOccurrences {
    pub title: String,
    pub url: String,
    pub occurrences: Vec<Occurrence>,
}

/// « Luis → Humbert-Droz, Jules »
#[derive(Debug, Clone, Serialize)]
pub struct CrossRef {
    pub form: String,
    pub target: String,
    pub target_id: String,
    pub kind: String,
    pub sort: String,
    pub letter: String,
}

/// An index line: a person or a cross-reference.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum IndexLine {
    Person(IndexEntry),
    Xref(CrossRef),
}

/// The resolved edition.
#[derive(Debug, Clone, Default)]
pub struct Edition {
    pub entries: Vec<Entry>,
    pub index: Vec<IndexLine>,
    pub persons: usize,
    pub notes: usize,
}

/// Accent-insensitive sort key: `Á` sorts with `A`, case ignored, then the raw
/// string breaks ties so that the order is total and stable.
pub fn collation_key(s: &str) -> (String, String) {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = s
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'œ' => 'o',
            'æ' => 'a',
            'ß' => 's',
            c => c,
        })
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == ',')
        .collect();
    (folded, s.to_string())
}

fn first_letter(sort: &str) -> String {
    collation_key(sort)
        .0
        .chars()
        .find(|c| c.is_alphanumeric())
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_else(|| "#".into())
}

pub fn parse_options(config: &Config, page: &Page) -> ParseOptions {
    ParseOptions {
        kind: page.front.kind,
        persons_url: format!("/{}/", config.persons_page.trim_matches('/')),
        translation_credit: config.translation_credit.clone(),
        ui: config.ui_lang().to_string(),
        prefix: String::new(),
        lang: page
            .front
            .lang
            .clone()
            .unwrap_or_else(|| config.language.clone()),
    }
}

/// Parses every page (load → parse), in parallel; entries and diagnostics
/// come out in page order.
pub fn parse_all(config: &Config, content: &Content, diags: &mut Diagnostics) -> Vec<Entry> {
    use rayon::prelude::*;
    let parsed: Vec<(Entry, Diagnostics)> = content
        .pages
        .par_iter()
        .map(|page| {
            let mut d = Diagnostics::default();
            let opts = parse_options(config, page);
            let doc = markup::parse(page.body(), page.body_start, &page.src, &opts, &mut d);
            let entry = Entry {
                page: page.clone(),
                doc,
            };
            (entry, d)
        })
        .collect();
    let mut entries = Vec::with_capacity(parsed.len());
    for (e, d) in parsed {
        diags.extend(d);
        entries.push(e);
    }
    entries
}

/// resolve: checks every cross-reference and builds the index.
pub fn resolve(
    config: &Config,
    content: &Content,
    entries: Vec<Entry>,
    diags: &mut Diagnostics,
) -> Edition {
    let register = &content.register;
    let mut by_id: HashMap<&str, &Person> = HashMap::new();
    for p in &register.persons {
        let id = p.id.get_ref().as_str();
        if by_id.insert(id, p).is_some() {
            if let Some(sm) = &register.src {
                diags.push(sm.error(p.id.span().start, format!("duplicate person id `{id}`")));
            }
        }
    }
    // duplicate URLs (e.g. a.md and a/_index.md)
    let mut urls: HashMap<&str, &Page> = HashMap::new();
    for e in &entries {
        if let Some(other) = urls.insert(e.page.url.as_str(), &e.page) {
            diags.push(e.page.src.error(
                0,
                format!(
                    "page URL `{}` is also produced by {}",
                    e.page.url,
                    other.src.path.display()
                ),
            ));
        }
    }
    let persons_rel = config.persons_page.trim_matches('/').to_string();
    let has_persons_page = entries.iter().any(|e| e.page.rel == persons_rel);
    let ui = config.ui_lang();

    // mentions → register
    let mut occurrences: BTreeMap<String, Vec<(usize, Occurrence)>> = BTreeMap::new();
    let mut mentioned: HashMap<String, usize> = HashMap::new();
    let order = text_order(&entries);
    for (ei, e) in entries.iter().enumerate() {
        for m in &e.doc.mentions {
            if !by_id.contains_key(m.person.as_str()) {
                let hint = suggestion(&m.person, by_id.keys().copied());
                diags.push(
                    e.page
                        .src
                        .error(m.offset, format!("unknown person id `{}`{hint}", m.person)),
                );
                continue;
            }
            *mentioned.entry(m.person.clone()).or_default() += 1;
            if e.page.front.kind != Kind::Text {
                continue;
            }
            occurrences.entry(m.person.clone()).or_default().push((
                ei,
                Occurrence {
                    page_title: e.page.front.title.clone(),
                    url: format!("{}#{}", e.page.url, m.anchor),
                    para: m.para,
                    note: m.note.clone(),
                    form: m.form.clone(),
                },
            ));
        }
    }
    if !mentioned.is_empty() && !has_persons_page {
        diags.file_error(
            std::path::Path::new("site.toml"),
            format!("persons_page `{persons_rel}` does not exist: add content/{persons_rel}.md (template persons.html)"),
        );
    }
    for p in &register.persons {
        if !mentioned.contains_key(p.id.get_ref()) {
            if let Some(sm) = &register.src {
                diags.push(sm.warning(
                    p.id.span().start,
                    format!("register entry `{}` is never mentioned", p.id.get_ref()),
                ));
            }
        }
    }

    // the index: persons and cross-references, accent-insensitive order
    let mut lines: Vec<(String, String, IndexLine)> = Vec::new();
    for p in &register.persons {
        let id = p.id.get_ref().clone();
        let mut occ = occurrences.remove(&id).unwrap_or_default();
        occ.sort_by_key(|(ei, o)| {
            (
                order.get(ei).copied().unwrap_or(usize::MAX),
                o.para.unwrap_or(0),
            )
        });
        let mut texts: Vec<TextOccurrences> = Vec::new();
        let count = occ.len();
        for (ei, o) in occ {
            let page = &entries[ei].page;
            match texts.last_mut() {
                Some(t) if t.url == page.url => t.occurrences.push(o),
                _ => texts.push(TextOccurrences {
                    title: page.front.title.clone(),
                    url: page.url.clone(),
                    occurrences: vec![o],
                }),
            }
        }
        let dates = match (&p.born, &p.died) {
            (Some(b), Some(d)) => format!("{b}–{d}"),
            (Some(b), None) => format!("{b}–"),
            (None, Some(d)) => format!("?–{d}"),
            (None, None) => String::new(),
        };
        let description = if ui == "es" && !p.description.es.is_empty() {
            markup::inline_html(&p.description.es)
        } else {
            markup::inline_html(&p.description.fr)
        };
        let (k, raw) = collation_key(&p.sort);
        for (forms, kind) in [(&p.pseudonyms, "pseudonym"), (&p.variants, "variant")] {
            for f in forms {
                let (fk, fraw) = collation_key(f);
                lines.push((
                    fk,
                    fraw,
                    IndexLine::Xref(CrossRef {
                        form: f.clone(),
                        target: p.sort.clone(),
                        target_id: id.clone(),
                        kind: crate::i18n::t(ui, kind),
                        sort: f.clone(),
                        letter: first_letter(f),
                    }),
                ));
            }
        }
        lines.push((
            k,
            raw,
            IndexLine::Person(IndexEntry {
                id,
                name: p.name.clone(),
                sort: p.sort.clone(),
                dates,
                description,
                description_fr: markup::inline_html(&p.description.fr),
                description_es: markup::inline_html(&p.description.es),
                remark: p.remark.as_deref().map(markup::inline_html),
                variants: p.variants.clone(),
                pseudonyms: p.pseudonyms.clone(),
                texts,
                count,
                letter: first_letter(&p.sort),
            }),
        ));
    }
    lines.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let notes = entries.iter().map(|e| e.doc.notes.len()).sum();
    Edition {
        persons: register.persons.len(),
        index: lines.into_iter().map(|(_, _, l)| l).collect(),
        entries,
        notes,
    }
}

/// Position of each text among the texts (weight, then title).
fn text_order(entries: &[Entry]) -> HashMap<usize, usize> {
    let mut idx: Vec<usize> = (0..entries.len()).collect();
    idx.sort_by(|&a, &b| listing_cmp(&entries[a].page, &entries[b].page));
    idx.into_iter()
        .enumerate()
        .map(|(pos, ei)| (ei, pos))
        .collect()
}

/// Listing order: weight, then title (accent-insensitive), then path.
pub fn listing_cmp(a: &Page, b: &Page) -> std::cmp::Ordering {
    (a.front.weight, collation_key(&a.front.title), &a.rel).cmp(&(
        b.front.weight,
        collation_key(&b.front.title),
        &b.rel,
    ))
}

fn suggestion<'a>(id: &str, known: impl Iterator<Item = &'a str>) -> String {
    let best = known
        .filter(|k| {
            k.contains(id) || id.contains(*k) || k.split('-').any(|p| id.split('-').any(|q| p == q))
        })
        .min();
    match best {
        Some(b) => format!(" (did you mean `{b}`?)"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_sort_with_their_base_letter() {
        let mut v = vec!["Zamora", "Álvarez", "Avila", "Éluard", "Espinoza"];
        v.sort_by_key(|s| collation_key(s));
        assert_eq!(v, vec!["Álvarez", "Avila", "Éluard", "Espinoza", "Zamora"]);
        assert_eq!(first_letter("Á"), "A");
    }
}
