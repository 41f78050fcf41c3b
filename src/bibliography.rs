//! Works cited: a register whose file is a bibliography in a standard
//! format (`format = "hayagriva"` in its `[[registers]]` declaration: a
//! hayagriva YAML file whose keys are the entry ids), mentioned as
//! `[Mémoires](work:id)` like any other register, and formatted by
//! hayagriva with a CSL style (`style`, default Chicago author-date) in the
//! index page's language. The formatted output is turned into escaped HTML
//! here, element by element (never hayagriva's own HTML), and the index
//! lines are put in the order the style sorts its bibliography.

use crate::config::RegisterDecl;
use crate::content::{Localized, Person, Register};
use crate::diagnostics::Diagnostics;
use crate::edition::{Index, IndexLine};
use crate::text::escape_html;
use hayagriva::citationberg::{
    Display, FontStyle, FontVariant, FontWeight, LocaleCode, TextDecoration, VerticalAlign,
};
use hayagriva::{
    BibliographyDriver, BibliographyRequest, CitationItem, CitationRequest, ElemChild,
    ElemChildren, Library,
};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use toml::Spanned;

/// The style used when the declaration names none.
pub const DEFAULT_STYLE: &str = "chicago-author-date";

/// The bibliography formats apparat reads.
pub const FORMATS: &[&str] = &["hayagriva"];

/// A loaded bibliography: hayagriva's library, for the formatting.
#[derive(Default)]
pub struct Works {
    library: Option<Library>,
}

/// What apparat reads beside hayagriva's fields: a remark per entry
/// (hayagriva ignores fields it does not know).
#[derive(Deserialize)]
struct Extra {
    #[serde(default)]
    remark: Option<Localized>,
}

/// The byte offset of each top-level key of a YAML file (`key:` at the
/// start of a line), for positions: serde_yaml does not give them.
fn key_offsets(text: &str) -> HashMap<String, usize> {
    let mut at = HashMap::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let first = line.chars().next().unwrap_or(' ');
        if !first.is_whitespace() && !matches!(first, '#' | '-' | '.') {
            if let Some((key, _)) = line.split_once(':') {
                let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
                at.entry(key.to_string()).or_insert(offset);
            }
        }
        offset += line.len();
    }
    at
}

/// Reads the bibliography of register `decl`: its entries in the register's
/// shape (id, title as name, remark), and the library for the formatting. A
/// file that cannot be read or parsed is reported alone (at its position)
/// and gives a register marked `failed`.
pub fn load(
    root: &std::path::Path,
    decl: &RegisterDecl,
    diags: &mut Diagnostics,
) -> (Register, Works) {
    let rel = decl.file_path();
    let mut reg = Register::default();
    let Some(sm) = crate::content::read_text(root, &rel, diags) else {
        reg.failed = true;
        return (reg, Works::default());
    };
    let parsed = hayagriva::io::from_yaml_str(&sm.text()).and_then(|lib| {
        let extra: BTreeMap<String, Extra> = serde_yaml::from_str(&sm.text())?;
        Ok((lib, extra))
    });
    let (library, mut extra) = match parsed {
        Ok(p) => p,
        Err(e) => {
            let at = e.location().map(|l| l.index()).unwrap_or(0);
            let message = e.to_string();
            // the position is given as path:line:col already
            let message = match message.rfind(" at line ") {
                Some(i) => &message[..i],
                None => &message,
            };
            diags.push(sm.error(
                at,
                format!("malformed bibliography ({} format): {message}", decl.id),
            ));
            reg.failed = true;
            reg.src = Some(sm);
            return (reg, Works::default());
        }
    };
    let offsets = key_offsets(&sm.text());
    for entry in library.iter() {
        let id = entry.key().to_string();
        let at = offsets.get(&id).copied().unwrap_or(0);
        if !crate::content::valid_id(&id) {
            diags.push(sm.error(
                at,
                format!(
                    "{} id `{id}` must be lowercase ASCII letters, digits and hyphens",
                    decl.id
                ),
            ));
        }
        let name = entry
            .title()
            .map(|t| t.value.to_string())
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| id.clone());
        reg.persons.push(Person {
            id: Spanned::new(at..at + id.len(), id.clone()),
            sort: name.clone(),
            name,
            born: None,
            died: None,
            description: Localized::default(),
            variants: Vec::new(),
            pseudonyms: Vec::new(),
            remark: extra.remove(&id).and_then(|x| x.remark),
            conjecture: None,
            // the title's language, as another register entry's `lang`:
            // titles are cited as published
            lang: entry.language().map(|l| l.to_string()),
            bibl: Some(Box::new(bibl_of(entry))),
        });
    }
    reg.src = Some(sm);
    (
        reg,
        Works {
            library: Some(library),
        },
    )
}

/// The CSL locale for an interface language (`fr` → `fr-FR`).
fn locale_for(lang: &str) -> LocaleCode {
    let primary = lang.split(['-', '_']).next().unwrap_or(lang);
    let code = match primary.to_ascii_lowercase().as_str() {
        _ if lang.contains('-') => lang.to_string(),
        "en" => "en-US".into(),
        "fr" => "fr-FR".into(),
        "es" => "es-ES".into(),
        "de" => "de-DE".into(),
        "it" => "it-IT".into(),
        "pt" => "pt-PT".into(),
        other => other.to_string(),
    };
    LocaleCode(code)
}

/// One formatted entry: its key, its HTML (escaped by apparat) and its
/// plain text.
pub struct Formatted {
    pub key: String,
    pub html: String,
    pub text: String,
    /// What the entry is alphabetised by (its letter in the index): the
    /// name a reader looks for (see `alphabet_key`), or the text.
    pub sort: String,
}

/// Formats every work of `works` with `style` (a name hayagriva's archive
/// knows) in `lang`, in the order the style sorts its bibliography (an
/// alphabetical style's by the entries' text, see [`sorts_alphabetically`]). `Err`:
/// the style is unknown or has no bibliography.
pub fn format(works: &Works, style: &str, lang: &str) -> Result<Vec<Formatted>, String> {
    let Some(library) = &works.library else {
        return Ok(Vec::new());
    };
    let archived = hayagriva::archive::ArchivedStyle::by_name(style)
        .ok_or_else(|| format!("unknown bibliography style `{style}`"))?;
    let hayagriva::citationberg::Style::Independent(style_def) = archived.get() else {
        return Err(format!("bibliography style `{style}` is a dependent style"));
    };
    let locale = locale_for(lang);
    let locales =
        crate::citation::locales::for_request(&[Some(&locale), style_def.default_locale.as_ref()]);
    let mut driver = BibliographyDriver::new();
    for entry in library.iter() {
        driver.citation(CitationRequest::from_items(
            vec![CitationItem::with_entry(entry)],
            &style_def,
            locales,
        ));
    }
    let rendered = driver.finish(BibliographyRequest {
        style: &style_def,
        locale: Some(locale),
        locale_files: locales,
    });
    let bibliography = rendered
        .bibliography
        .ok_or_else(|| format!("bibliography style `{style}` has no bibliography"))?;
    let alphabetical = sorts_alphabetically(&style_def);
    let mut out: Vec<Formatted> = bibliography
        .items
        .into_iter()
        .map(|item| {
            let mut html = String::new();
            let mut text = String::new();
            if let Some(first) = &item.first_field {
                child_html(first, &mut html);
                child_text(first, &mut text);
                html.push(' ');
                text.push(' ');
            }
            children_html(&item.content, &mut html);
            children_text(&item.content, &mut text);
            let text = text.trim().to_string();
            Formatted {
                sort: match library.get(&item.key) {
                    Some(entry) if alphabetical => alphabet_key(entry),
                    _ => text.clone(),
                },
                key: item.key,
                html: html.trim().to_string(),
                text,
            }
        })
        .collect();
    if alphabetical {
        // hayagriva 0.10 puts every work without an author before the
        // others (an unsigned article sorts by its title's quotation
        // marks): order by the name a reader looks for, the first author's
        // (else editor's), else the title, as CSL's substitution does; a
        // stable sort, so that one author's works keep the style's order
        out.sort_by(|a, b| a.sort.cmp(&b.sort));
    }
    Ok(out)
}

/// A work's bibliographic parts for its TEI `bibl` (see
/// [`crate::content::Bibl`]): its own fields, else its parent's (an
/// article's issue and date are often the periodical's).
fn bibl_of(entry: &hayagriva::Entry) -> crate::content::Bibl {
    use hayagriva::types::EntryType;
    let names = |people: Option<&[hayagriva::types::Person]>| -> Vec<String> {
        people
            .unwrap_or_default()
            .iter()
            .map(|p| match &p.given_name {
                Some(given) => format!("{}, {given}", p.name),
                None => p.name.clone(),
            })
            .collect()
    };
    let parent = entry.parents().first();
    let either =
        |f: &dyn Fn(&hayagriva::Entry) -> Option<String>| f(entry).or_else(|| parent.and_then(f));
    let date = either(&|e| {
        e.date().map(|d| {
            let mut s = format!("{:04}", d.year);
            if let Some(m) = d.month {
                s.push_str(&format!("-{:02}", u32::from(m) + 1));
                if let Some(day) = d.day {
                    s.push_str(&format!("-{:02}", u32::from(day) + 1));
                }
            }
            s
        })
    });
    let publisher = |e: &hayagriva::Entry| e.publisher().cloned();
    let pubd = publisher(entry).or_else(|| parent.and_then(publisher));
    let mut scope = Vec::new();
    let volume = either(&|e| e.volume().map(|v| v.to_string()));
    let issue = either(&|e| e.issue().map(|v| v.to_string()));
    let pages = either(&|e| e.page_range().map(|v| v.to_string()));
    for (unit, v) in [("volume", volume), ("issue", issue), ("page", pages)] {
        if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
            scope.push((unit, v));
        }
    }
    crate::content::Bibl {
        level: if parent.is_some() { "a" } else { "m" },
        authors: names(entry.authors()),
        editors: names(entry.editors()),
        container: parent.and_then(|p| {
            let title = p.title()?.value.to_string();
            let level = match p.entry_type() {
                EntryType::Periodical | EntryType::Newspaper => "j",
                _ => "m",
            };
            Some((title, level))
        }),
        date,
        place: pubd
            .as_ref()
            .and_then(|p| p.location())
            .map(|l| l.value.to_string()),
        publisher: pubd
            .as_ref()
            .and_then(|p| p.name())
            .map(|n| n.value.to_string()),
        scope,
    }
}

/// What an alphabetical bibliography sorts a work by: its first author's
/// (else editor's) family and given names, else its title, folded as the
/// index folds names (accents, case and punctuation aside).
fn alphabet_key(entry: &hayagriva::Entry) -> String {
    let person = (entry.authors().and_then(|p| p.first()))
        .or_else(|| entry.editors().and_then(|p| p.first()));
    let name = match person {
        Some(p) => format!("{} {}", p.name, p.given_name.as_deref().unwrap_or("")),
        None => entry
            .title()
            .map(|t| t.value.to_string())
            .unwrap_or_default(),
    };
    let (key, _) = crate::edition::collation_key(&name);
    key.trim_start_matches([' ', ',']).to_string()
}

/// Whether a style sorts its bibliography alphabetically: its first sort
/// key is a macro (the author-or-title macro of author-date and
/// author-page styles), a name variable or the title, ascending. A
/// numeric style (citation order, or a `citation-number` key) is not.
fn sorts_alphabetically(style: &hayagriva::citationberg::IndependentStyle) -> bool {
    use hayagriva::citationberg::taxonomy::{StandardVariable, Variable};
    use hayagriva::citationberg::{SortDirection, SortKey};
    let Some(first) = style
        .bibliography
        .as_ref()
        .and_then(|b| b.sort.as_ref())
        .and_then(|s| s.keys.first())
    else {
        return false;
    };
    match first {
        SortKey::MacroName { sort_direction, .. } => *sort_direction == SortDirection::Ascending,
        SortKey::Variable {
            variable,
            sort_direction,
        } => {
            *sort_direction == SortDirection::Ascending
                && matches!(
                    variable,
                    Variable::Name(_) | Variable::Standard(StandardVariable::Title)
                )
        }
    }
}

fn children_html(children: &ElemChildren, out: &mut String) {
    for c in &children.0 {
        child_html(c, out);
    }
}

fn children_text(children: &ElemChildren, out: &mut String) {
    for c in &children.0 {
        child_text(c, out);
    }
}

fn child_text(child: &ElemChild, out: &mut String) {
    match child {
        ElemChild::Text(t) => out.push_str(&t.text),
        ElemChild::Elem(e) => children_text(&e.children, out),
        ElemChild::Markup(m) => out.push_str(m),
        ElemChild::Link { text, .. } => out.push_str(&text.text),
        ElemChild::Transparent { .. } => {}
    }
}

/// The tags that open and close a piece of text with `f`'s formatting.
fn formatting_tags(f: &hayagriva::Formatting) -> (String, String) {
    let mut tags: Vec<(&str, &str)> = Vec::new();
    if matches!(f.font_style, FontStyle::Italic) {
        tags.push(("<i>", "</i>"));
    }
    if matches!(f.font_weight, FontWeight::Bold) {
        tags.push(("<b>", "</b>"));
    }
    if matches!(f.font_variant, FontVariant::SmallCaps) {
        tags.push(("<span class=\"small-caps\">", "</span>"));
    }
    if matches!(f.text_decoration, TextDecoration::Underline) {
        tags.push(("<u>", "</u>"));
    }
    match f.vertical_align {
        VerticalAlign::Sup => tags.push(("<sup>", "</sup>")),
        VerticalAlign::Sub => tags.push(("<sub>", "</sub>")),
        _ => {}
    }
    let open = tags.iter().map(|t| t.0).collect();
    let close = tags.iter().rev().map(|t| t.1).collect();
    (open, close)
}

fn child_html(child: &ElemChild, out: &mut String) {
    match child {
        ElemChild::Text(t) => {
            let (open, close) = formatting_tags(&t.formatting);
            out.push_str(&open);
            out.push_str(&escape_html(&t.text));
            out.push_str(&close);
        }
        ElemChild::Elem(e) => {
            let class = match e.display {
                Some(Display::Block) => Some("csl-block"),
                Some(Display::Indent) => Some("csl-indent"),
                Some(Display::LeftMargin) => Some("csl-left-margin"),
                Some(Display::RightInline) => Some("csl-right-inline"),
                None => None,
            };
            if let Some(c) = class {
                out.push_str(&format!("<span class=\"{c}\">"));
            }
            children_html(&e.children, out);
            if class.is_some() {
                out.push_str("</span>");
            }
        }
        ElemChild::Markup(m) => out.push_str(&escape_html(m)),
        ElemChild::Link { text, url } => {
            let (open, close) = formatting_tags(&text.formatting);
            // only web links: a bibliography file is data, not markup
            let web = url.starts_with("https://") || url.starts_with("http://");
            if web {
                out.push_str(&format!("<a href=\"{}\">", escape_html(url)));
            }
            out.push_str(&open);
            out.push_str(&escape_html(&text.text));
            out.push_str(&close);
            if web {
                out.push_str("</a>");
            }
        }
        ElemChild::Transparent { .. } => {}
    }
}

/// The bibliography's index in the style's order, each work's line given
/// its formatted reference (`reference`, HTML), its plain text as sort key
/// and its letter. A style that cannot be used is reported on site.toml.
pub fn arrange(
    index: &mut Index,
    works: &Works,
    decl: &RegisterDecl,
    lang: &str,
    diags: &mut Diagnostics,
) {
    let style = decl.style.as_deref().unwrap_or(DEFAULT_STYLE);
    let formatted = match format(works, style, lang) {
        Ok(f) => f,
        // an unknown style is reported where site.toml names it (config)
        Err(_) if hayagriva::archive::ArchivedStyle::by_name(style).is_none() => return,
        Err(e) => {
            diags.file_error(
                std::path::Path::new("site.toml"),
                format!("register `{}`: {e}", decl.id),
            );
            return;
        }
    };
    let position: HashMap<&str, usize> = formatted
        .iter()
        .enumerate()
        .map(|(i, f)| (f.key.as_str(), i))
        .collect();
    let mut lines: Vec<(usize, IndexLine)> = std::mem::take(&mut index.lines)
        .into_iter()
        .map(|mut line| {
            let at = match &mut line {
                IndexLine::Person(e) => match position.get(e.id.as_str()) {
                    Some(&i) => {
                        e.reference = Some(formatted[i].html.clone());
                        e.sort = formatted[i].sort.clone();
                        i
                    }
                    None => usize::MAX,
                },
                IndexLine::Xref(_) => usize::MAX,
            };
            (at, line)
        })
        .collect();
    // a stable sort: what the style does not place keeps its order
    lines.sort_by_key(|(at, _)| *at);
    // letters as the style's order gives them; a letter met again later
    // (a style that does not sort by the first word) stays in the section open
    let mut seen: Vec<String> = Vec::new();
    for (_, line) in &mut lines {
        if let IndexLine::Person(e) = line {
            let letter = crate::edition::collation_key(&e.sort)
                .0
                .chars()
                .find(|c| c.is_alphanumeric())
                .map(|c| c.to_uppercase().to_string())
                .unwrap_or_else(|| "#".into());
            e.letter = match seen.last() {
                Some(last) if seen.contains(&letter) => last.clone(),
                _ => {
                    seen.push(letter.clone());
                    letter
                }
            };
        }
    }
    index.lines = lines.into_iter().map(|(_, l)| l).collect();
    index.line_hashes = index.lines.iter().map(crate::edition::hash_of).collect();
}

/// Whether `decl` declares a bibliography (a register with a `format`).
pub fn is_bibliography(decl: &RegisterDecl) -> bool {
    decl.format.is_some()
}
