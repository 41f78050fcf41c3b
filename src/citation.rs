//! Citations of an edition text. One CSL-JSON record per text, built from
//! its front matter and `site.toml`, is the single source of
//! - the « Cite » box: the record formatted by hayagriva with the CSL styles
//!   of `citation_styles` (Chicago, MLA) in the interface language's CSL
//!   locale (fr, es, en);
//! - the CSL-JSON download: the record itself;
//! - the BibTeX download: the record's fields written as a BibTeX entry;
//! - the Highwire (`citation_*`) and Dublin Core meta tags that Zotero reads.

use crate::config::CitationStyle;
use crate::config::Config;
use crate::content::Page;
use crate::i18n::Ui;
use crate::text::escape_html;
use crate::version::Version;
use hayagriva::citationberg::json as csl_json;
use hayagriva::citationberg::{IndependentStyle, LocaleCode, Style};
use hayagriva::{
    BibliographyDriver, BibliographyRequest, CitationItem, CitationRequest, ElemChild, ElemChildren,
};
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

pub(crate) mod locales;
mod specialise;

/// A citation in the interface language. Missing fields are left out.
pub struct Citation {
    ui: Ui,
    title: String,
    author: String,
    date: String,
    container: String,
    publisher: String,
    place: String,
    year: String,
    pages: String,
    chapter: String,
    lang: String,
    site: String,
    editors: Vec<String>,
    edition_year: String,
    url: String,
    key: String,
    styles: Vec<CitationStyle>,
}

/// One style's text of the « Cite » box.
#[derive(serde::Serialize)]
pub struct Formatted {
    /// The style's id in `site.toml` (`chicago`), used in the element's id.
    pub id: &'static str,
    /// The style's name shown in the box (`Chicago`).
    pub label: &'static str,
    /// The citation as HTML: hayagriva's text, escaped by apparat, with
    /// `<i>`, `<b>`, `<sup>`, `<sub>` for the style's formatting.
    pub html: String,
}

impl Citation {
    pub fn new(page: &Page, config: &Config, version: &Version) -> Citation {
        let src = page.front.source.clone().unwrap_or_default();
        let title = if page.front.subtitle.is_empty() {
            page.front.title.clone()
        } else {
            format!("{}. {}", page.front.title, page.front.subtitle)
        };
        let edition_year = config
            .edition_year
            .clone()
            .or_else(|| version.date.get(..4).map(str::to_string))
            .unwrap_or_default();
        Citation {
            ui: config.ui().clone(),
            title,
            author: page.front.author.clone(),
            date: if src.date.is_empty() {
                page.front.date.clone()
            } else {
                src.date.clone()
            },
            container: src.container,
            publisher: src.publisher,
            place: src.place,
            year: if src.year.is_empty() {
                page.front.date.get(..4).unwrap_or("").to_string()
            } else {
                src.year
            },
            pages: src.pages,
            chapter: src.chapter,
            lang: page
                .front
                .lang
                .clone()
                .unwrap_or_else(|| config.language.clone()),
            site: config.title.clone(),
            editors: config.editors.clone(),
            edition_year,
            url: format!("{}{}", config.base_url, page.url.trim_start_matches('/')),
            key: crate::markup::slugify(&page.rel).replace('-', ""),
            styles: config.citation_styles.clone(),
        }
    }

    /// The same citation in the interface strings `ui`.
    pub fn with_ui(mut self, ui: Ui) -> Citation {
        self.ui = ui;
        self
    }

    fn s(&self, key: &'static str) -> &str {
        self.ui.get(key)
    }

    /// The printed source (container, place, publisher, date, chapter,
    /// pages), `*…*` around the container; empty if none is known. The
    /// source line above the text and Dublin Core's `DC.source`.
    pub fn original(&self) -> String {
        let mut parts = vec![];
        if !self.container.is_empty() {
            parts.push(format!("*{}*", self.container));
        }
        if !self.place.is_empty() {
            parts.push(self.place.clone());
        }
        if !self.publisher.is_empty() {
            parts.push(self.publisher.clone());
        }
        if !self.date.is_empty() {
            parts.push(self.date.clone());
        } else if !self.year.is_empty() {
            parts.push(self.year.clone());
        }
        if !self.chapter.is_empty() {
            parts.push(format!("{} {}", self.s("cite_chapter"), self.chapter));
        }
        if !self.pages.is_empty() {
            parts.push(self.pages.clone());
        }
        parts.join(self.s("list_separator"))
    }

    /// The digital edition's statement (« édition critique numérique,
    /// *Title*, éd. X, 2026 »), without italics marks.
    fn edition(&self) -> String {
        let sep = self.s("list_separator");
        let mut s = self.s("cite_edition").to_string();
        if !self.site.is_empty() {
            s.push_str(&format!("{sep}{}", self.site));
        }
        if !self.editors.is_empty() {
            s.push_str(&format!(
                "{sep}{} {}",
                self.s("cite_editors"),
                self.editors.join(sep)
            ));
        }
        if !self.edition_year.is_empty() {
            s.push_str(&format!("{sep}{}", self.edition_year));
        }
        s
    }

    /// The CSL type of the printed source.
    fn csl_type(&self) -> &'static str {
        if self.container.is_empty() {
            "document"
        } else if self.chapter.is_empty() {
            "article-newspaper"
        } else {
            "chapter"
        }
    }

    /// The text's CSL-JSON record, the single source of every citation.
    /// Keys are written in a fixed order; empty fields are left out.
    pub fn record(&self) -> Value {
        let mut item = Map::new();
        let mut put = |k: &str, v: Value| {
            item.insert(k.to_string(), v);
        };
        put("id", self.key.clone().into());
        put("type", self.csl_type().into());
        put("title", self.title.clone().into());
        if !self.author.is_empty() {
            let (family, given) = split_name(&self.author);
            put("author", json!([name_json(&family, &given)]));
        }
        let parts = date_parts(&self.date);
        let parts = if parts.is_empty() {
            date_parts(&self.year)
        } else {
            parts
        };
        if !parts.is_empty() {
            put("issued", json!({ "date-parts": [parts] }));
        }
        for (k, v) in [
            ("container-title", &self.container),
            ("publisher", &self.publisher),
            ("publisher-place", &self.place),
            ("chapter-number", &self.chapter),
        ] {
            if !v.is_empty() {
                put(k, v.clone().into());
            }
        }
        if !self.pages.is_empty() {
            put("page", page_range(&self.pages).into());
        }
        if !self.lang.is_empty() {
            put("language", self.lang.clone().into());
        }
        if !self.url.is_empty() {
            put("URL", self.url.clone().into());
        }
        put("note", self.edition().into());
        Value::Object(item)
    }

    /// The CSL-JSON download: the record, in an array, pretty-printed.
    pub fn csl_json(&self) -> String {
        let mut s =
            serde_json::to_string_pretty(&Value::Array(vec![self.record()])).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The box's citations: the record formatted by hayagriva in each style
    /// of `citation_styles`, in the interface language's CSL locale.
    ///
    /// hayagriva formats the printed source the record describes (author,
    /// title, container, place, publisher, date, pages: the style's rules);
    /// the digital edition, which no CSL variable describes, follows as a
    /// sentence of its own in the interface words (the record's `note`),
    /// then the text's URL.
    pub fn formatted(&self) -> Vec<Formatted> {
        let mut record = self.record();
        if let Some(fields) = record.as_object_mut() {
            fields.remove("URL");
        }
        let Ok(item) = serde_json::from_value::<csl_json::Item>(record) else {
            return vec![];
        };
        let edition = self.edition_html(true);
        let edition_lower = self.edition_html(false);
        self.styles
            .iter()
            .map(|&style| {
                let mut html = format_item(&item, self.csl_type(), style, self.ui.lang());
                if html.is_empty() {
                    html.push_str(&edition);
                } else if style.note_form() {
                    // a note goes on after its last element: « …, 1978 ; édition… »
                    html.push_str(&escape_html(self.s("cite_separator")));
                    html.push_str(&edition_lower);
                } else {
                    html.push(' ');
                    html.push_str(&edition);
                }
                Formatted {
                    id: style.id(),
                    label: style.label(),
                    html,
                }
            })
            .collect()
    }

    /// The digital edition's sentence of the box, as HTML: « Édition
    /// critique numérique, <i>Title</i>, éd. X, 2026, URL. »
    fn edition_html(&self, capital: bool) -> String {
        let sep = self.s("list_separator");
        let first = self.s("cite_edition");
        let first = if capital {
            capitalize(first)
        } else {
            first.to_string()
        };
        let mut parts = vec![escape_html(&first)];
        if !self.site.is_empty() {
            parts.push(format!("<i>{}</i>", escape_html(&self.site)));
        }
        if !self.editors.is_empty() {
            parts.push(escape_html(&format!(
                "{} {}",
                self.s("cite_editors"),
                self.editors.join(sep)
            )));
        }
        if !self.edition_year.is_empty() {
            parts.push(escape_html(&self.edition_year));
        }
        if !self.url.is_empty() {
            parts.push(escape_html(&self.url));
        }
        let mut s = parts.join(&escape_html(sep));
        s.push('.');
        s
    }

    /// The BibTeX download, derived from the record: a small writer (the
    /// `biblatex` crate is not in hayagriva's tree without its default
    /// features) that escapes every value for TeX.
    pub fn bibtex(&self) -> String {
        bibtex_from_record(&self.record())
    }

    /// (name, content) pairs for `<meta>`: Highwire Press and Dublin Core.
    pub fn meta(&self) -> Vec<(String, String)> {
        let mut m: Vec<(String, String)> = vec![("citation_title".into(), self.title.clone())];
        if !self.author.is_empty() {
            m.push(("citation_author".into(), self.author.clone()));
        }
        if !self.date.is_empty() {
            m.push((
                "citation_publication_date".into(),
                self.date.replace('-', "/"),
            ));
        }
        if !self.container.is_empty() {
            let key = if self.chapter.is_empty() {
                "citation_journal_title"
            } else {
                "citation_inbook_title"
            };
            m.push((key.into(), self.container.clone()));
        }
        if !self.publisher.is_empty() {
            m.push(("citation_publisher".into(), self.publisher.clone()));
        }
        if !self.pages.is_empty() {
            let range = page_range(&self.pages);
            m.push((
                "citation_firstpage".into(),
                range.split(['-', '–']).next().unwrap_or(&range).to_string(),
            ));
        }
        m.push(("citation_language".into(), self.lang.clone()));
        m.push(("citation_public_url".into(), self.url.clone()));
        m.push(("DC.title".into(), self.title.clone()));
        if !self.author.is_empty() {
            m.push(("DC.creator".into(), self.author.clone()));
        }
        if !self.date.is_empty() {
            m.push(("DC.date".into(), self.date.clone()));
        }
        m.push(("DC.language".into(), self.lang.clone()));
        let original = self.original();
        if !original.is_empty() {
            m.push(("DC.source".into(), original.replace('*', "")));
        }
        m.push(("DC.publisher".into(), self.site.clone()));
        m.push(("DC.identifier".into(), self.url.clone()));
        m.push(("DC.type".into(), "Text".into()));
        m
    }
}

/// A CSL name: family and given, or a literal when there is no given name.
fn name_json(family: &str, given: &str) -> Value {
    if given.is_empty() {
        json!({ "literal": family })
    } else {
        json!({ "family": family, "given": given })
    }
}

/// `1927-06-15` → `[1927, 6, 15]`; parts that are not numbers end it.
fn date_parts(date: &str) -> Vec<Value> {
    date.split('-')
        .map_while(|p| p.trim().parse::<u32>().ok())
        .take(3)
        .map(Value::from)
        .collect()
}

/// `p. 3`, `pp. 3-5` → `3`, `3-5`.
fn page_range(pages: &str) -> String {
    pages
        .trim()
        .trim_start_matches("pp.")
        .trim_start_matches("p.")
        .trim()
        .to_string()
}

/// The CSL locale of an interface language.
fn csl_locale(ui_lang: &str) -> LocaleCode {
    LocaleCode(
        match ui_lang {
            "fr" => "fr-FR",
            "es" => "es-ES",
            _ => "en-US",
        }
        .to_string(),
    )
}

/// The bundled CSL style of `style`, decoded once.
fn csl_style(style: CitationStyle) -> Option<&'static IndependentStyle> {
    static CHICAGO: OnceLock<Option<IndependentStyle>> = OnceLock::new();
    static MLA: OnceLock<Option<IndependentStyle>> = OnceLock::new();
    let cell = match style {
        CitationStyle::Chicago => &CHICAGO,
        CitationStyle::Mla => &MLA,
    };
    cell.get_or_init(|| {
        match hayagriva::archive::ArchivedStyle::by_name(style.csl_name())?.get() {
            Style::Independent(mut s) => {
                // The box shows a note-form style's note only (without its
                // bibliography layout, hayagriva formats the item once, not
                // twice), another style's bibliography entry only (its
                // citation, which the driver renders twice, renders nothing)
                if style.note_form() {
                    s.bibliography = None;
                } else {
                    s.citation.layout.elements.clear();
                }
                Some(s)
            }
            Style::Dependent(_) => None,
        }
    })
    .as_ref()
}

/// Past this many decided styles, a record of a new shape is formatted with
/// the whole style, by the bibliography driver (a bound on what the process
/// keeps).
const DECIDED_MAX: usize = 64;

/// The bundled CSL style of `style` decided for records of CSL type
/// `item_type` with the fields `fields` (`specialise`), made once per
/// style and shape; `false` with the whole style, past [`DECIDED_MAX`].
fn csl_style_for(
    style: CitationStyle,
    item_type: &str,
    fields: Vec<String>,
) -> Option<(&'static IndependentStyle, bool)> {
    type Made = Vec<(
        CitationStyle,
        String,
        Vec<String>,
        &'static IndependentStyle,
    )>;
    static MADE: OnceLock<std::sync::Mutex<Made>> = OnceLock::new();
    let whole = csl_style(style)?;
    let mut made = match MADE.get_or_init(Default::default).lock() {
        Ok(made) => made,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some((.., found)) = made
        .iter()
        .find(|(s, t, f, _)| *s == style && t == item_type && *f == fields)
    {
        return Some((found, true));
    }
    if made.len() >= DECIDED_MAX {
        return Some((whole, false));
    }
    // a note-form style renders the box's one note, its first citation
    let first = style.note_form();
    let decided = specialise::for_shape(whole, item_type, &fields, first);
    // (a few per process: the styles of the box times the shapes of the texts' records)
    let decided: &'static IndependentStyle = Box::leak(Box::new(decided));
    made.push((style, item_type.to_string(), fields, decided));
    Some((decided, true))
}

/// `item` (of CSL type `item_type`)'s entry in `style`, as escaped HTML.
fn format_item(
    item: &csl_json::Item,
    item_type: &str,
    style: CitationStyle,
    ui_lang: &str,
) -> String {
    let fields = item.0.keys().cloned().collect();
    let Some((csl, decided)) = csl_style_for(style, item_type, fields) else {
        return String::new();
    };
    format_with(item, csl, style, ui_lang, decided)
}

/// `item`'s entry in the CSL style `csl` (that of `style`), as escaped HTML.
///
/// With `alone`, a note-form style's note is rendered alone
/// (`standalone_citation`), once; the bibliography driver would render it
/// twice (a speculative pass for disambiguation, which one item never
/// needs, then the final one). Alone, hayagriva takes a citation for a
/// subsequent one: `alone` is only for a style whose position tests are
/// decided for a first citation ([`specialise::for_shape`]). Another
/// style's bibliography entry needs the driver.
fn format_with(
    item: &csl_json::Item,
    csl: &IndependentStyle,
    style: CitationStyle,
    ui_lang: &str,
    alone: bool,
) -> String {
    let locale = Some(csl_locale(ui_lang));
    let locales = locales::for_request(&[locale.as_ref(), csl.default_locale.as_ref()]);
    let request = CitationRequest::new(
        vec![CitationItem::with_entry(item)],
        csl,
        locale.clone(),
        locales,
        None,
    );
    let mut html = String::new();
    if style.note_form() {
        if alone {
            children_html(&hayagriva::standalone_citation(request), &mut html);
        } else {
            let mut driver: BibliographyDriver<'_, csl_json::Item> = BibliographyDriver::new();
            driver.citation(request);
            let rendered = driver.finish(BibliographyRequest::new(csl, locale, locales));
            for note in rendered.citations {
                children_html(&note.citation, &mut html);
            }
        }
        // (the edition's sentence ends it)
        while html.ends_with('.') {
            html.pop();
        }
        return html;
    }
    let mut driver: BibliographyDriver<'_, csl_json::Item> = BibliographyDriver::new();
    driver.citation(request);
    let rendered = driver.finish(BibliographyRequest::new(csl, locale, locales));
    if let Some(bib) = rendered.bibliography {
        for entry in bib.items {
            children_html(&entry.content, &mut html);
        }
    }
    html
}

/// hayagriva's formatted text as HTML: every piece of text escaped here.
fn children_html(children: &ElemChildren, out: &mut String) {
    for child in &children.0 {
        match child {
            ElemChild::Text(t) => text_html(t, None, out),
            ElemChild::Elem(e) => children_html(&e.children, out),
            ElemChild::Markup(m) => out.push_str(&escape_html(m)),
            ElemChild::Link { text, url } => text_html(text, Some(url), out),
            ElemChild::Transparent { .. } => {}
        }
    }
}

fn text_html(t: &hayagriva::Formatted, url: Option<&str>, out: &mut String) {
    use hayagriva::citationberg::{FontStyle, FontWeight, VerticalAlign};
    let f = &t.formatting;
    let mut close = vec![];
    let mut open = |tag: &'static str, out: &mut String| {
        out.push('<');
        out.push_str(tag);
        out.push('>');
        close.push(tag);
    };
    if let Some(url) = url {
        out.push_str(&format!("<a href=\"{}\">", escape_html(url)));
    }
    if f.font_style == FontStyle::Italic {
        open("i", out);
    }
    if f.font_weight == FontWeight::Bold {
        open("b", out);
    }
    match f.vertical_align {
        VerticalAlign::Sup => open("sup", out),
        VerticalAlign::Sub => open("sub", out),
        _ => {}
    }
    out.push_str(&escape_html(&t.text));
    for tag in close.iter().rev() {
        out.push_str("</");
        out.push_str(tag);
        out.push('>');
    }
    if url.is_some() {
        out.push_str("</a>");
    }
}

/// The BibTeX entry of a CSL-JSON record.
fn bibtex_from_record(record: &Value) -> String {
    let get = |k: &str| record.get(k).and_then(Value::as_str).unwrap_or("");
    let csl_type = get("type");
    let kind = match csl_type {
        "chapter" => "incollection",
        "article-newspaper" | "article-magazine" | "article-journal" => "article",
        _ => "misc",
    };
    let mut fields: Vec<(&str, String)> = vec![];
    let names = |k: &str| -> String {
        record
            .get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(
                        |n| match (n.get("family"), n.get("given"), n.get("literal")) {
                            (Some(f), Some(g), _) => format!(
                                "{}, {}",
                                tex(f.as_str().unwrap_or("")),
                                tex(g.as_str().unwrap_or(""))
                            ),
                            // a literal name is one name: braces keep it whole
                            (_, _, Some(l)) => format!("{{{}}}", tex(l.as_str().unwrap_or(""))),
                            _ => String::new(),
                        },
                    )
                    .collect::<Vec<_>>()
                    .join(" and ")
            })
            .unwrap_or_default()
    };
    fields.push(("title", tex(get("title"))));
    let author = names("author");
    if !author.is_empty() {
        fields.push(("author", author));
    }
    let container = match kind {
        "incollection" => "booktitle",
        "article" => "journal",
        _ => "howpublished",
    };
    for (bib, csl) in [
        (container, "container-title"),
        ("publisher", "publisher"),
        ("address", "publisher-place"),
        ("chapter", "chapter-number"),
    ] {
        if !get(csl).is_empty() {
            fields.push((bib, tex(get(csl))));
        }
    }
    if let Some(parts) = record
        .pointer("/issued/date-parts/0")
        .and_then(Value::as_array)
    {
        let parts: Vec<u64> = parts.iter().filter_map(Value::as_u64).collect();
        if let Some(year) = parts.first() {
            fields.push(("year", year.to_string()));
        }
        if parts.len() > 1 {
            let date: Vec<String> = parts
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    if i == 0 {
                        format!("{p:04}")
                    } else {
                        format!("{p:02}")
                    }
                })
                .collect();
            fields.push(("date", date.join("-")));
        }
    }
    if !get("page").is_empty() {
        fields.push(("pages", tex(&get("page").replace(['-', '–'], "--"))));
    }
    if !get("language").is_empty() {
        fields.push(("language", tex(get("language"))));
    }
    if !get("URL").is_empty() {
        // the url field is verbatim in BibLaTeX; only braces and `%` matter
        fields.push((
            "url",
            get("URL").replace('%', "\\%").replace(['{', '}'], ""),
        ));
    }
    if !get("note").is_empty() {
        fields.push(("note", tex(get("note"))));
    }
    let key: String = get("id")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_:.".contains(*c))
        .collect();
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("  {k} = {{{v}}}"))
        .collect();
    format!("@{kind}{{{key},\n{}\n}}\n", body.join(",\n"))
}

/// A value escaped for a braced BibTeX field: TeX's special characters as
/// their commands, so that the braces balance and nothing is markup.
fn tex(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' => out.push_str("\\{"),
            '}' => out.push_str("\\}"),
            '%' => out.push_str("\\%"),
            '&' => out.push_str("\\&"),
            '$' => out.push_str("\\$"),
            '#' => out.push_str("\\#"),
            '_' => out.push_str("\\_"),
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            _ => out.push(c),
        }
    }
    out
}

/// `s` with its first letter in upper case.
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn split_name(name: &str) -> (String, String) {
    match name.rsplit_once(' ') {
        Some((given, family)) => (family.to_string(), given.to_string()),
        None => (name.to_string(), String::new()),
    }
}
