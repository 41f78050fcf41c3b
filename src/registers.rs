//! Registers beside the person register: organisations, places,
//! periodicals… whatever `site.toml` declares (`[[registers]]`). Each is a
//! TOML file of `[[entry]]` tables shaped like the person register's (name,
//! sort key, variant forms, descriptions and remarks per language, dates),
//! mentioned as `[form](ID:entry)` in content, and indexed on its own page
//! with every occurrence, as persons are. Resolve only: parse records the
//! mentions (`markup`), render shows the index (`render`), the TEI export
//! names them (`tei`).

use crate::config::{Config, RegisterDecl};
use crate::content::{Conjecture, Localized, Person, Register};
use crate::diagnostics::Diagnostics;
use crate::edition::{self, Entry, Index, Occurrence, RegisterIndex};
use foldhash::{HashMap, HashMapExt};
use serde::Deserialize;
use std::sync::Arc;
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterFile {
    #[serde(default)]
    entry: Vec<FileEntry>,
}

/// An entry of a register file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    id: Spanned<String>,
    name: String,
    /// The index heading's sort form (default: the name).
    #[serde(default)]
    sort: Option<String>,
    /// Dates where known (founding, first issue…), as written.
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
    #[serde(default)]
    description: Localized,
    #[serde(default)]
    variants: Vec<String>,
    #[serde(default)]
    remark: Option<Localized>,
    #[serde(default)]
    conjecture: Option<Conjecture>,
    /// The language of the name and its variants when it is the same in
    /// every text (a periodical's title, `lang = "qu"` for *Amauta*): the
    /// mentions and the index heading carry it as `lang`.
    #[serde(default)]
    lang: Option<Spanned<String>>,
}

impl FileEntry {
    /// The entry in the person register's shape, which the index is made from.
    fn into_entry(self) -> Person {
        Person {
            sort: self.sort.unwrap_or_else(|| self.name.clone()),
            id: self.id,
            name: self.name,
            born: self.start,
            died: self.end,
            description: self.description,
            variants: self.variants,
            pseudonyms: Vec::new(),
            remark: self.remark,
            conjecture: self.conjecture,
            lang: self.lang.map(Spanned::into_inner),
            bibl: None,
        }
    }
}

/// Reads register `decl`'s file. A file that cannot be read or parsed is
/// reported and gives a register marked `failed`.
fn load(root: &std::path::Path, decl: &RegisterDecl, diags: &mut Diagnostics) -> Register {
    let rel = decl.file_path();
    let mut reg = Register::default();
    let Some(sm) = crate::content::read_text(root, &rel, diags) else {
        reg.failed = true;
        return reg;
    };
    match toml::from_str::<RegisterFile>(&sm.text()) {
        Ok(file) => {
            for e in &file.entry {
                let id = e.id.get_ref();
                if !crate::content::valid_id(id) {
                    diags.push(sm.error(
                        e.id.span().start,
                        format!(
                            "{} id `{id}` must be lowercase ASCII letters, digits and hyphens",
                            decl.id
                        ),
                    ));
                }
                if e.sort.as_deref().unwrap_or(&e.name).trim().is_empty() {
                    diags.push(sm.error(
                        e.id.span().start,
                        format!("{} `{id}` has an empty name or sort key", decl.id),
                    ));
                }
                if let Some(lang) = &e.lang {
                    if !crate::lang::is_known(lang.get_ref()) {
                        diags.push(sm.error(
                            lang.span().start,
                            format!(
                                "{} `{id}`: unknown language tag `{}`",
                                decl.id,
                                lang.get_ref()
                            ),
                        ));
                    }
                }
                if let Some(c) = &e.conjecture {
                    if c.forms.iter().any(|f| !e.variants.contains(f)) || c.by.trim().is_empty() {
                        diags.push(sm.error(
                            e.id.span().start,
                            format!(
                                "{} `{id}`: a conjecture names forms among its variants, and `by` (whose it is)",
                                decl.id
                            ),
                        ));
                    }
                }
            }
            reg.persons = file.entry.into_iter().map(FileEntry::into_entry).collect();
        }
        Err(e) => {
            let at = e.span().map(|s| s.start).unwrap_or(0);
            diags.push(sm.error(at, crate::diagnostics::toml_message(&e)));
            reg.failed = true;
        }
    }
    reg.src = Some(sm);
    reg
}

/// The register files declared in `config`, relative to the edition root
/// (they are data, not files to copy beside the pages).
pub fn files(config: &Config) -> Vec<std::path::PathBuf> {
    config.registers.iter().map(|r| r.file_path()).collect()
}

/// Loads every declared register, checks every mention of it (unknown ids
/// with a suggestion, duplicate ids, entries never mentioned, a missing
/// index page) and makes its index, as [`edition::resolve`] does for persons.
pub fn resolve(
    root: &std::path::Path,
    config: &Config,
    entries: &[Arc<Entry>],
    diags: &mut Diagnostics,
) -> Vec<RegisterIndex> {
    config
        .registers
        .iter()
        .map(|decl| {
            let (register, works) = match crate::bibliography::is_bibliography(decl) {
                true => crate::bibliography::load(root, decl, diags),
                false => (load(root, decl, diags), Default::default()),
            };
            resolve_one(config, decl, (&register, &works), entries, diags)
        })
        .collect()
}

fn resolve_one(
    config: &Config,
    decl: &RegisterDecl,
    (register, works): (&Register, &crate::bibliography::Works),
    entries: &[Arc<Entry>],
    diags: &mut Diagnostics,
) -> RegisterIndex {
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (pos, p) in register.persons.iter().enumerate() {
        let id = p.id.get_ref().as_str();
        if by_id.insert(id, pos).is_some() {
            if let Some(sm) = &register.src {
                diags.push(sm.error(
                    p.id.span().start,
                    format!("duplicate {} id `{id}`", decl.id),
                ));
            }
        }
    }
    let page_rel = decl.page_rel();
    let index_page = entries.iter().find(|e| e.page.rel == page_rel);
    let index_lang = index_page
        .and_then(|e| e.page.front.lang.as_deref())
        .unwrap_or(&config.language);
    let mut mentioned = vec![false; register.persons.len()];
    let mut occurrences: Vec<Vec<(usize, &Arc<Occurrence>)>> =
        vec![Vec::new(); register.persons.len()];
    let mut made: Vec<(usize, usize, Arc<Occurrence>)> = Vec::new();
    for (ei, e) in entries.iter().enumerate() {
        let indexed = e.page.front.translation_of.is_none();
        let shared = edition::page_strings(&e.page);
        // (held even when the document is set aside)
        for m in e
            .doc
            .register_mentions
            .iter()
            .filter(|m| m.register == decl.id)
        {
            match by_id.get(m.person.as_str()) {
                Some(&pos) => {
                    mentioned[pos] = true;
                    if indexed {
                        made.push((pos, ei, Arc::new(edition::occurrence(&e.page, m, &shared))));
                    }
                }
                None if register.failed => {}
                None => {
                    let hint = edition::suggestion(&m.person, by_id.keys().copied());
                    diags.push(e.page.src.error(
                        m.offset,
                        format!("unknown {} id `{}`{hint}", decl.id, m.person),
                    ));
                }
            }
        }
    }
    for (pos, ei, o) in &made {
        occurrences[*pos].push((*ei, o));
    }
    if mentioned.contains(&true) && index_page.is_none() {
        diags.file_error(
            std::path::Path::new("site.toml"),
            format!(
                "register `{}`: its index page `{page_rel}` does not exist: add content/{page_rel}.md",
                decl.id
            ),
        );
    }
    edition::check_entries(register, &by_id, &mentioned, &decl.id, diags);
    let order = edition::text_order(entries);
    let mut index: Index = edition::build_index(
        register,
        (config.ui(), (index_lang, config.language.as_str())),
        entries,
        &order,
        (occurrences, &by_id),
        None,
        false,
    );
    if crate::bibliography::is_bibliography(decl) && !register.failed {
        crate::bibliography::arrange(&mut index, works, decl, index_lang, diags);
    }
    RegisterIndex {
        decl: decl.clone(),
        entries: Arc::new(register.persons.clone()),
        hash: edition::hash_of(&(&decl.id, &index.line_hashes)),
        index: Arc::new(index),
    }
}
