//! render: tera templates (autoescape on) over a context built from the
//! resolved edition. Templates never compute what resolve could.
//!
//! Context of every page: `site`, `page`, `section` (section pages), `pages`
//! (the section's pages, listing order), `texts` (every edition text, in order),
//! `nav` (editorial pages), `ui` (interface strings), `persons` (the index, on
//! the person-index page only: each line without its occurrences, with `html`,
//! the line rendered by `index-entry.html`), `mode` (`build` or `serve`).

use crate::config::Config;
use crate::content::{Kind, Page};
use crate::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::edition::{hash_of, Edition, Entry};
use foldhash::{HashMap, HashMapExt};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tera::{Context, Tera};

pub mod apart;
mod validate;

/// Default templates, built into the binary; `templates/` in the edition overrides them by name.
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("page.html", include_str!("templates/page.html")),
    ("text.html", include_str!("templates/text.html")),
    ("section.html", include_str!("templates/section.html")),
    ("index.html", include_str!("templates/index.html")),
    ("persons.html", include_str!("templates/persons.html")),
    ("register.html", include_str!("templates/register.html")),
    (
        "index-entry.html",
        include_str!("templates/index-entry.html"),
    ),
    ("source.html", include_str!("templates/source.html")),
    ("parallel.html", include_str!("templates/parallel.html")),
    ("404.html", include_str!("templates/404.html")),
    ("collation.html", include_str!("templates/collation.html")),
    ("search.html", include_str!("templates/search.html")),
    ("macros.html", include_str!("templates/macros.html")),
];

/// The loaded templates with their sources (for error lines).
pub struct Templates {
    pub tera: Tera,
    sources: BTreeMap<String, (PathBuf, String)>,
    /// What each template may render and the variables it names.
    analysis: validate::Analysis,
}

/// Loads built-in then edition templates; reports parse errors with name and line.
pub fn load_templates(root: &Path, diags: &mut Diagnostics) -> Option<Templates> {
    compile_templates(read_templates(root, diags), diags)
}

/// Template sources by name: the built-in ones, then the edition's.
pub type TemplateSources = BTreeMap<String, (PathBuf, String)>;

/// Reads the built-in then the edition templates. A built-in template is
/// also named `apparat/NAME` when an edition's template names it, so that
/// the edition's template of the same name extends it and replaces only some
/// blocks (`{% extends "apparat/base.html" %}`).
pub fn read_templates(root: &Path, diags: &mut Diagnostics) -> TemplateSources {
    let mut sources: BTreeMap<String, (PathBuf, String)> = BUILTIN
        .iter()
        .map(|(n, s)| {
            (
                n.to_string(),
                (
                    PathBuf::from(format!("templates/{n} (built-in)")),
                    s.to_string(),
                ),
            )
        })
        .collect();
    let dir = root.join("templates");
    if dir.is_dir() {
        let mut found = Vec::new();
        crate::content::walk_files(root, "templates", diags, |entry, rel| {
            let file_name = entry.file_name().to_string_lossy();
            if file_name.starts_with('.') || file_name == "README.md" {
                return;
            }
            let Ok(name_path) = entry.path().strip_prefix(&dir) else {
                return;
            };
            let name = name_path.to_string_lossy().replace('\\', "/");
            found.push((name, rel));
        });
        let mut named = Vec::new();
        for (name, rel) in found {
            if let Some(sm) = crate::content::read_text(root, &rel, diags) {
                named.extend(
                    BUILTIN
                        .iter()
                        .filter(|(n, _)| sm.text().contains(&format!("apparat/{n}")))
                        .map(|(n, s)| (*n, *s)),
                );
                sources.insert(name, (rel, sm.text().into_owned()));
            }
        }
        for (n, s) in named {
            sources.insert(
                format!("apparat/{n}"),
                (
                    PathBuf::from(format!("templates/{n} (built-in)")),
                    s.to_string(),
                ),
            );
        }
    }
    sources
}

/// Parses and checks template sources (see [`validate`]): syntax errors,
/// missing templates, macros, filters, tests and functions, cycles and
/// over-deep nesting are reported with the template's path and line, and
/// nothing is rendered from templates that have any.
pub fn compile_templates(sources: TemplateSources, diags: &mut Diagnostics) -> Option<Templates> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html", ".xml"]);
    // tera's default escaper also turns `/` into `&#x2F;`, which hides URLs from
    // the rewrite stage; `&<>"'` are all that HTML needs.
    tera.set_escape_fn(escape_fn);
    tera.register_filter("slugify", slugify_filter);
    // tera's `get_env` would let a template publish the build's environment
    // (tokens of a CI job, for instance): it is refused
    tera.register_function("get_env", no_env);
    let analysis = validate::analyse(&tera, &sources, diags)?;
    let all: Vec<(String, String)> = sources
        .iter()
        .map(|(n, (_, t))| (n.clone(), t.clone()))
        .collect();
    if let Err(e) = tera.add_raw_templates(all) {
        diags.file_error(Path::new("templates"), error_chain(&e));
        return None;
    }
    Some(Templates {
        tera,
        sources,
        analysis,
    })
}

/// Replaces tera's `get_env`: templates never read the environment.
fn no_env(_: &std::collections::HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    Err(tera::Error::msg(
        "`get_env` is disabled in apparat: a template may not read the environment \
         (put the value in `[extra]` of site.toml and use `site.extra`)",
    ))
}

/// `{{ x | slugify }}`: ASCII, lowercase, hyphens (the generator's own slugs).
fn slugify_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let s = value
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| value.to_string());
    Ok(tera::Value::String(crate::markup::slugify(&s)))
}

fn escape_fn(s: &str) -> String {
    crate::markup::escape_html(s)
}

fn error_chain(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

/// Turns tera's `--> line:col` into our format.
fn template_diag(path: &Path, text: &str, msg: &str) -> Diagnostic {
    let (mut line, mut col) = (0, 0);
    if let Some(i) = msg.find("--> ") {
        let rest = &msg[i + 4..];
        let pos: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ':')
            .collect();
        let mut it = pos.split(':');
        line = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        col = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    }
    let summary = msg
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("= "))
        .map(|l| l.trim_start().trim_start_matches("= ").to_string())
        .unwrap_or_else(|| msg.lines().next().unwrap_or(msg).to_string());
    Diagnostic {
        severity: Severity::Error,
        path: path.to_path_buf(),
        line,
        col,
        message: format!("template syntax: {summary}"),
        snippet: if line > 0 {
            text.lines().nth(line - 1).map(str::to_string)
        } else {
            None
        },
    }
}

impl Templates {
    pub fn has(&self, name: &str) -> bool {
        self.sources.contains_key(name)
    }

    /// Renders, reporting errors against the template and line they come
    /// from (see [`validate::render_diag`]): the same error from many pages
    /// is one diagnostic.
    pub fn render(&self, name: &str, ctx: &Context) -> Result<String, Diagnostic> {
        self.tera
            .render(name, ctx)
            .map_err(|e| validate::render_diag(&self.sources, &self.analysis, name, &e))
    }
}

#[derive(Serialize, Clone, Hash)]
struct PageSummary {
    title: String,
    subtitle: String,
    author: String,
    date: String,
    description: String,
    url: String,
    kind: Kind,
    lang: String,
    weight: i64,
}

fn summary(p: &Page, config: &Config) -> PageSummary {
    PageSummary {
        title: p.front.title.clone(),
        subtitle: p.front.subtitle.clone(),
        author: p.front.author.clone(),
        date: p.front.date.clone(),
        description: p.front.description.clone(),
        url: p.url.clone(),
        kind: p.front.kind,
        lang: p
            .front
            .lang
            .clone()
            .unwrap_or_else(|| config.language.clone()),
        weight: p.front.weight,
    }
}

pub use crate::version::Version;

/// One rendered HTML file (path relative to the output folder).
pub struct OutputFile<'a> {
    pub path: String,
    pub html: String,
    /// The page URL when the file is an HTML page (for the rewrite stage).
    pub page_url: Option<String>,
    /// What the rewrite stage puts in place of `<!--apparat:insert-->`
    /// (see [`crate::stream::write_page`]).
    pub insert: Option<Highlight<'a>>,
    /// A large body held apart from `html`: it goes in place of the
    /// [`apart::BODY_MARKER`] that `html` holds once, and through
    /// the rewrite stage with it (see [`crate::stream`]).
    pub body: Option<Body<'a>>,
    /// The page's interface strings when they are not the edition's.
    pub ui: Option<crate::i18n::Ui>,
    /// Tooltips (`title`) for elements of the body, by id: the mentions of
    /// a person under a form the register identifies only by conjecture.
    pub titles: Vec<(String, String)>,
    /// A `lang` for elements of the body, by id: the mentions of register
    /// entries whose name has a language of its own (`lang` in the register).
    pub langs: Vec<(String, String)>,
    /// The lines of an index that `html` holds as markers (see [`Pieces`]).
    pub pieces: Option<Pieces>,
}

/// The lines of an index page, each left out of the template's output (a
/// marker, `<!--apparat:piece:N-->`, printed where the template prints
/// `line.html`) and put in its place by the rewrite stage
/// ([`crate::stream::write_page`]), rewritten on its own and kept: a
/// rebuild after one person's occurrences changed rewrites that line
/// alone, and the page's template output is small. Used when the index
/// templates print `line.html` only as it is ([`apart::lines_are_opaque`]);
/// the bytes are the same either way.
pub struct Pieces {
    /// Each line's HTML as `index-entry.html` made it, and its key in the
    /// cache (line hash, view).
    pub lines: Vec<((u64, u8), std::sync::Arc<str>)>,
    pub cache: std::sync::Arc<PieceCache>,
}

/// The marker of piece `n` (see [`Pieces`]).
pub fn piece_marker(n: usize) -> String {
    format!("<!--{}{n}-->", crate::rewrite::PIECE_MARKER)
}

/// Index lines as the rewrite stage made them, by line hash, view and
/// page options (see [`Pieces`]): those of an earlier build (read only),
/// and those made or reused by this one.
#[derive(Default)]
pub struct PieceCache {
    old: HashMap<(u64, u8, u64), std::sync::Arc<str>>,
    new: std::sync::Mutex<HashMap<(u64, u8, u64), std::sync::Arc<str>>>,
    /// The lines are kept for a next build (serve); a build writes each
    /// line once and keeps none.
    keep: bool,
}

impl PieceCache {
    /// Line `key` of a page at `url` rewritten with `opts`: kept, or made by
    /// `rewrite` (the line's HTML rewritten on its own).
    pub fn get(
        &self,
        (key, html): &((u64, u8), std::sync::Arc<str>),
        url: &str,
        opts: &crate::rewrite::RewriteOptions,
    ) -> Result<std::sync::Arc<str>, String> {
        let ui = &opts.ui;
        let options = hash_of(&(
            url,
            opts.offline,
            opts.live_reload,
            &opts.absolute_prefix,
            crate::i18n::t(ui, "paragraph_link"),
            crate::i18n::t(ui, "heading_link"),
            &opts.titles,
            &opts.langs,
        ));
        let full = (key.0, key.1, options);
        let lock = || {
            self.new
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let kept = lock()
            .get(&full)
            .cloned()
            .or_else(|| self.old.get(&full).cloned());
        let done = match kept {
            Some(done) => done,
            None => std::sync::Arc::from(crate::rewrite::rewrite(html, url, opts)?),
        };
        if self.keep {
            lock().insert(full, std::sync::Arc::clone(&done));
        }
        Ok(done)
    }
}

/// A page's body held apart from its template's output.
pub enum Body<'a> {
    Text(std::borrow::Cow<'a, str>),
    /// As the edition holds it compressed, unpacked block by block as it
    /// is written.
    Packed(&'a crate::edition::Packed),
}

impl Default for Body<'_> {
    fn default() -> Self {
        Body::Text("".into())
    }
}

impl<'a> Body<'a> {
    pub fn len(&self) -> usize {
        match self {
            Body::Text(t) => t.len(),
            Body::Packed(p) => p.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole text (unpacked if need be).
    pub fn into_string(self) -> String {
        match self {
            Body::Text(t) => t.into_owned(),
            Body::Packed(p) => {
                let mut bytes = Vec::with_capacity(p.len);
                for block in p.blocks() {
                    bytes.extend_from_slice(&block.unwrap_or_default());
                }
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
            }
        }
    }

    fn text(&self) -> String {
        match self {
            Body::Text(t) => t.to_string(),
            Body::Packed(p) => Body::Packed(p).into_string(),
        }
    }
}

/// Source code to highlight in place of the insert marker.
pub struct Highlight<'a> {
    pub code: std::borrow::Cow<'a, str>,
    pub lang: &'static str,
}

pub struct RenderSettings<'a> {
    pub config: &'a Config,
    pub mode: &'a str,
    pub version: Version,
}

/// What every page of one render shares, computed once: the site, interface
/// strings, listings, text order, translations. Pages are then rendered one by
/// one ([`Renderer::render_unit`]), in any order or in parallel.
/// Above this many texts, the header no longer lists them (see `menu_texts`).
pub const MENU_TEXTS_MAX: usize = 24;

pub struct Renderer<'a> {
    ed: &'a Edition,
    templates: &'a Templates,
    settings: &'a RenderSettings<'a>,
    ui: crate::i18n::Ui,
    site: serde_json::Value,
    order: Vec<&'a Entry>,
    texts: Vec<std::sync::Arc<PageSummary>>,
    /// The texts for the header menu: all of them in a small edition, none
    /// past [`MENU_TEXTS_MAX`] (the menu then links to the home page's contents).
    menu_texts: Vec<std::sync::Arc<PageSummary>>,
    nav: Vec<std::sync::Arc<PageSummary>>,
    /// The summaries made or reused by this run, for the next.
    summaries: HashMap<u64, (std::sync::Arc<PageSummary>, u64)>,
    /// Each edition text's position in `texts`, by URL.
    text_pos: HashMap<&'a str, usize>,
    /// Entries by `rel`, and entries by the `rel` they translate.
    by_rel: HashMap<&'a str, Vec<usize>>,
    by_original: HashMap<&'a str, Vec<usize>>,
    /// Per template: does it (with its parents, macros, includes) name `texts`, `nav`?
    uses: HashMap<String, (bool, bool)>,
    /// Per template: may its index lines be left to the rewrite stage
    /// ([`apart::lines_are_opaque`], decided once, not per page)?
    lines_opaque: HashMap<String, bool>,
    /// The person index divided by letter, in large editions.
    split: Vec<LetterPage>,
    /// Where each person's entry is, when the index is divided (and each
    /// entry of another divided register's index, in `more`).
    pub person_pages: Option<std::sync::Arc<crate::rewrite::PersonPages>>,
    /// The declared registers' indexes divided by letter (empty: one page).
    register_split: Vec<Vec<LetterPage>>,
    /// Persons whose identification under some form is a conjecture, by id;
    /// and, for every person, a hash of what a page's mentions of them show
    /// (forms and conjecture: the tooltips, the TEI `persName`).
    conjectures: HashMap<&'a str, &'a crate::content::Person>,
    form_hashes: HashMap<u64, u64>,
    /// The language of each register entry that declares one, by scheme and
    /// id (the pages' mentions; the engine gives it to the TEI documents).
    pub entry_langs: crate::tei::EntryLangs<'a>,
    /// Hashes of what every page may read (see [`Renderer::fingerprint`]).
    global_hash: u64,
    texts_hash: u64,
    /// Hash of each text's summary, aligned with `texts`.
    text_hashes: Vec<u64>,
    nav_hash: u64,
    index_hash: u64,
    /// Lines of the person index rendered by an earlier build (read only),
    /// and those rendered or reused by this one.
    old_fragments: Fragments,
    fragments: std::sync::Mutex<HashMap<(u64, u8), std::sync::Arc<str>>>,
    /// The lines as the rewrite stage made them (see [`Pieces`]).
    pieces: std::sync::Arc<PieceCache>,
    /// Some template may read `page.notes` (see [`apart::page_field_unread`]):
    /// a page of 50,000 notes lists them twice in its context otherwise.
    notes_read: bool,
    /// Each entry's template and the index it shows (see [`Renderer::index_of`]),
    /// decided once per run: every unit's fingerprint and paths read them.
    plans: Vec<(&'a str, Option<Option<usize>>)>,
}

/// Lines of the person index as `index-entry.html` rendered them, by line
/// hash and view, for one set of templates and settings. A serve session
/// keeps them from one build to the next: a change to one person's
/// occurrences then renders that line again, not every line of its page.
#[derive(Default)]
pub struct Fragments {
    global: u64,
    map: HashMap<(u64, u8), std::sync::Arc<str>>,
    /// The same lines as the rewrite stage made them (see [`Pieces`]).
    pieces: HashMap<(u64, u8, u64), std::sync::Arc<str>>,
    /// Each listed page's summary and the summary's hash, by the page's
    /// source hash, URL and the site configuration: a rebuild makes only
    /// the changed pages' summaries again.
    summaries: HashMap<u64, (std::sync::Arc<PageSummary>, u64)>,
}

/// How a line of the index is shown: on the only page of the index, on the
/// overview of an index divided by letter, or on a letter's page.
#[derive(Clone, Copy)]
enum View {
    Whole = 0,
    Overview = 1,
    Letter = 2,
}

/// One page of a person index divided by initial letter.
struct LetterPage {
    letter: String,
    url: String,
    /// Positions of its lines in the index.
    lines: std::ops::Range<usize>,
    /// Hash of its lines.
    hash: u64,
}

#[derive(Serialize)]
struct LetterLink<'a> {
    letter: &'a str,
    url: &'a str,
}

/// The index divided by initial letter when it holds more than `limit`
/// occurrences (0: never), with each person's page.
fn split_index(
    index: &crate::edition::Index,
    persons_url: &str,
    limit: usize,
) -> (Vec<LetterPage>, Option<crate::rewrite::PersonPages>) {
    use crate::edition::IndexLine;
    let total: usize = index
        .iter()
        .map(|l| match l {
            IndexLine::Person(p) => p.count,
            IndexLine::Xref(_) => 0,
        })
        .sum();
    if limit == 0 || total <= limit {
        return (Vec::new(), None);
    }
    let letter_of = |l: &IndexLine| match l {
        IndexLine::Person(p) => p.letter.clone(),
        IndexLine::Xref(x) => x.letter.clone(),
    };
    let mut pages: Vec<LetterPage> = Vec::new();
    let mut slugs: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (i, line) in index.iter().enumerate() {
        let letter = letter_of(line);
        match pages.last_mut() {
            Some(p) if p.letter == letter => p.lines.end = i + 1,
            _ => {
                let base = match crate::markup::slugify(&letter) {
                    s if s.is_empty() => "0".to_string(),
                    s => s,
                };
                let mut slug = base.clone();
                let mut n = 1;
                while !slugs.insert(slug.clone()) {
                    n += 1;
                    slug = format!("{base}-{n}");
                }
                pages.push(LetterPage {
                    url: format!("{persons_url}{slug}/"),
                    letter,
                    lines: i..i + 1,
                    hash: 0,
                });
            }
        }
    }
    let mut map = crate::rewrite::PersonPages {
        base: persons_url.to_string(),
        pages: std::collections::HashMap::new(),
        more: Vec::new(),
    };
    for p in &mut pages {
        p.hash = hash_of(&index.line_hashes[p.lines.clone()]);
        for line in &index[p.lines.clone()] {
            if let IndexLine::Person(e) = line {
                map.pages.insert(e.id.clone(), p.url.clone());
            }
        }
    }
    (pages, Some(map))
}

/// Whether the tags (`{{ … }}`, `{% … %}`) of template `text` name the
/// variable `var`: as a whole word, not as an attribute (`ui.texts`).
/// Conservative: a string or a macro argument of that name counts too.
fn names(text: &str, var: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut rest = text;
    while let Some(open) = rest.find(['{']) {
        let after = &rest[open + 1..];
        let close = match after.chars().next() {
            Some('{') => "}}",
            Some('%') => "%}",
            _ => {
                rest = after;
                continue;
            }
        };
        let inner = &after[1..];
        let end = inner.find(close).unwrap_or(inner.len());
        let tag = &inner[..end];
        let hit = tag.match_indices(var).any(|(i, _)| {
            !tag[..i]
                .chars()
                .next_back()
                .is_some_and(|c| ident(c) || c == '.')
                && !tag[i + var.len()..].chars().next().is_some_and(ident)
        });
        if hit {
            return true;
        }
        rest = &inner[end..];
    }
    false
}

impl Templates {
    /// The sources a template can read the context from: itself, its parents
    /// and macro files, transitively; every source if one of them includes
    /// another template or dumps the whole context.
    fn context_sources(&self, name: &str) -> Vec<&str> {
        let mut seen: Vec<String> = Vec::new();
        let mut todo = vec![name.to_string()];
        while let Some(n) = todo.pop() {
            if seen.contains(&n) {
                continue;
            }
            if let Ok(t) = self.tera.get_template(&n) {
                todo.extend(t.parents.iter().cloned());
                todo.extend(t.imported_macro_files.iter().map(|(f, _)| f.clone()));
            }
            seen.push(n);
        }
        let texts: Vec<&str> = seen
            .iter()
            .filter_map(|n| self.sources.get(n).map(|(_, t)| t.as_str()))
            .collect();
        if seen.len() != texts.len()
            || texts
                .iter()
                .any(|t| names(t, "include") || t.contains("__tera_context"))
        {
            return self.sources.values().map(|(_, t)| t.as_str()).collect();
        }
        texts
    }
}

impl<'a> Renderer<'a> {
    pub fn new(
        ed: &'a Edition,
        templates: &'a Templates,
        settings: &'a RenderSettings<'a>,
    ) -> Self {
        Self::new_with(ed, templates, settings, Fragments::default())
    }

    /// [`Renderer::new`], reusing what an earlier build of the session
    /// made: the index lines, if rendered with the same templates and
    /// settings, and the pages' summaries.
    pub fn new_with(
        ed: &'a Edition,
        templates: &'a Templates,
        settings: &'a RenderSettings<'a>,
        mut old: Fragments,
    ) -> Self {
        let config = settings.config;
        let ui_lang = config.ui_lang().to_string();
        let ui = config.ui().clone();
        let mut site = serde_json::to_value(config).unwrap_or_default();
        if let Some(obj) = site.as_object_mut() {
            obj.insert(
                "version".into(),
                serde_json::to_value(&settings.version).unwrap_or_default(),
            );
            obj.insert(
                "persons_url".into(),
                format!("/{}/", config.persons_page.trim_matches('/')).into(),
            );
        }
        let mut order: Vec<&Entry> = ed.entries.iter().map(|e| &**e).collect();
        order.sort_by(|a, b| a.listing.cmp(&b.listing));
        let site_json = serde_json::to_string(&site).unwrap_or_default();
        let site_key = hash_of(&site_json);
        let mut summaries = HashMap::with_capacity(order.len());
        let mut summary_of = |e: &Entry| {
            let key = hash_of(&(e.hash, &e.page.url, site_key));
            let made = old.summaries.remove(&key).unwrap_or_else(|| {
                let s = summary(&e.page, config);
                let h = hash_of(&s);
                (std::sync::Arc::new(s), h)
            });
            summaries.insert(key, made.clone());
            made
        };
        let (texts, text_hashes): (Vec<_>, Vec<_>) = order
            .iter()
            .filter(|e| e.page.front.kind == Kind::Text && e.page.front.translation_of.is_none())
            .map(|e| summary_of(e))
            .unzip();
        let nav: Vec<std::sync::Arc<PageSummary>> = order
            .iter()
            .filter(|e| {
                e.page.front.kind == Kind::Page
                    && !e.page.is_section
                    && e.page.front.translation_of.is_none()
            })
            .map(|e| summary_of(e).0)
            .collect();
        let text_list: Vec<&Entry> = order
            .iter()
            .copied()
            .filter(|e| e.page.front.kind == Kind::Text && e.page.front.translation_of.is_none())
            .collect();
        let mut text_pos = HashMap::with_capacity(text_list.len());
        for (i, e) in text_list.iter().enumerate() {
            // the first of equal URLs, as a linear search would find
            text_pos.entry(e.page.url.as_str()).or_insert(i);
        }
        let mut by_rel: HashMap<&str, Vec<usize>> = HashMap::with_capacity(ed.entries.len());
        let mut by_original: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, e) in ed.entries.iter().enumerate() {
            by_rel.entry(e.page.rel.as_str()).or_default().push(i);
            if let Some(t) = e.page.front.translation_of.as_deref() {
                by_original.entry(t).or_default().push(i);
            }
        }
        let (uses, lines_opaque) = templates
            .tera
            .get_template_names()
            .map(|n| {
                let sources = templates.context_sources(n);
                let reads = (
                    sources.iter().any(|t| names(t, "texts")),
                    sources.iter().any(|t| names(t, "nav")),
                );
                let opaque = apart::lines_are_opaque(sources);
                ((n.to_string(), reads), (n.to_string(), opaque))
            })
            .unzip();
        let menu_texts = if texts.len() <= MENU_TEXTS_MAX {
            texts.clone()
        } else {
            Vec::new()
        };
        let persons_url = format!("/{}/", config.persons_page.trim_matches('/'));
        let (split, mut person_pages) = split_index(&ed.index, &persons_url, config.persons_split);
        let mut register_split = Vec::new();
        for r in &ed.registers {
            let (pages, map) = split_index(&r.index, &r.decl.url(), r.decl.split);
            register_split.push(pages);
            if let Some(map) = map {
                person_pages
                    .get_or_insert_with(|| crate::rewrite::PersonPages {
                        base: persons_url.clone(),
                        ..Default::default()
                    })
                    .more
                    .push(map);
            }
        }
        let pages_of: Vec<(&str, &str)> = split
            .iter()
            .map(|p| (p.letter.as_str(), p.url.as_str()))
            .collect();
        let mut placed: Vec<(&String, &String)> = person_pages
            .as_ref()
            .map(|m| m.pages.iter().collect())
            .unwrap_or_default();
        placed.sort();
        // where the other registers' entries are, when their index is divided
        let mut placed_more: Vec<(&String, &String, &String)> = person_pages
            .iter()
            .flat_map(|m| &m.more)
            .flat_map(|m| m.pages.iter().map(move |(id, url)| (&m.base, id, url)))
            .collect();
        placed_more.sort();
        let registers_hash = (!ed.registers.is_empty()).then(|| hash_of(&placed_more));
        let global_hash = hash_of(&(
            &templates.sources,
            site_json,
            settings.mode,
            &ui_lang,
            &menu_texts,
            (pages_of, placed),
            registers_hash,
        ));
        let mut renderer = Renderer {
            plans: Vec::new(),
            conjectures: ed
                .register
                .iter()
                .filter(|p| p.conjecture.is_some())
                .map(|p| (p.id.get_ref().as_str(), p))
                .collect(),
            form_hashes: ed
                .register
                .iter()
                .map(|p| {
                    (
                        crate::hash::id_key(p.id.get_ref()),
                        hash_of(&(&p.pseudonyms, &p.variants, &p.conjecture)),
                    )
                })
                .collect(),
            entry_langs: crate::tei::entry_langs(ed),
            split,
            register_split,
            person_pages: person_pages.map(std::sync::Arc::new),
            global_hash,
            texts_hash: hash_of(&text_hashes),
            text_hashes,
            summaries,
            nav_hash: hash_of(&nav),
            index_hash: ed.index_hash,
            old_fragments: Fragments::default(),
            fragments: std::sync::Mutex::new(HashMap::new()),
            pieces: std::sync::Arc::new(PieceCache {
                keep: settings.mode == "serve",
                ..Default::default()
            }),
            notes_read: !apart::page_field_unread(
                templates.sources.values().map(|(_, t)| t.as_str()),
                "notes",
            ),
            ed,
            templates,
            settings,
            ui,
            site,
            order,
            menu_texts,
            texts,
            nav,
            text_pos,
            by_rel,
            by_original,
            uses,
            lines_opaque,
        };
        renderer.plans = ed
            .entries
            .iter()
            .map(|e| {
                let template = renderer.decide_template(&e.page);
                let index = if renderer.is_persons_page(&e.page, template) {
                    Some(None)
                } else {
                    renderer.register_of(&e.page).map(Some)
                };
                (template, index)
            })
            .collect();
        if old.global == renderer.global_hash {
            old.summaries = HashMap::new();
            renderer.pieces = std::sync::Arc::new(PieceCache {
                old: std::mem::take(&mut old.pieces),
                new: Default::default(),
                keep: renderer.pieces.keep,
            });
            renderer.old_fragments = old;
        }
        renderer
    }

    /// The index lines rendered so far, by this build or an earlier one,
    /// that the index still holds: for the next build.
    pub fn take_fragments(&mut self) -> Fragments {
        let mut map = std::mem::take(
            self.fragments
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let live: std::collections::HashSet<u64> =
            self.ed.index.line_hashes.iter().copied().collect();
        for (key, html) in std::mem::take(&mut self.old_fragments.map) {
            if live.contains(&key.0) {
                map.entry(key).or_insert(html);
            }
        }
        let cache = std::mem::take(&mut self.pieces);
        let (mut pieces, old) = match std::sync::Arc::try_unwrap(cache) {
            Ok(c) => (
                c.new
                    .into_inner()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
                c.old,
            ),
            // (a page still holds the cache: nothing is kept)
            Err(_) => Default::default(),
        };
        for (key, html) in old {
            if live.contains(&key.0) {
                pieces.entry(key).or_insert(html);
            }
        }
        Fragments {
            global: self.global_hash,
            map,
            pieces,
            summaries: std::mem::take(&mut self.summaries),
        }
    }

    /// Number of pages ([`Renderer::render_unit`] takes `0..len()`).
    pub fn len(&self) -> usize {
        self.ed.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ed.entries.is_empty()
    }

    /// The context every page starts from. `texts` and `nav` are left out when
    /// the template cannot read them: serialising the list of every text into
    /// every page's context would make the build quadratic.
    fn base_context(&self, template: &str) -> Context {
        let mut ctx = Context::new();
        ctx.insert("site", &self.site);
        ctx.insert("ui", &self.ui);
        ctx.insert("mode", self.settings.mode);
        ctx.insert("menu_texts", &self.menu_texts);
        self.complete(&mut ctx, template);
        ctx
    }

    /// The base context with `page`, which is moved in, not copied.
    fn page_context_for(&self, page: serde_json::Value, template: &str) -> Context {
        // (the value moved in: `json!` would copy it, and a large text's
        // lists of notes are tens of megabytes)
        let mut top = serde_json::Map::new();
        top.insert("page".into(), page);
        let mut ctx = Context::from_value(serde_json::Value::Object(top)).unwrap_or_default();
        ctx.extend(self.base_context(template));
        ctx
    }

    /// Adds `texts` and `nav` if `template` reads them and they are missing.
    fn complete(&self, ctx: &mut Context, template: &str) {
        let (texts, nav) = self.uses.get(template).copied().unwrap_or((true, true));
        if texts && !ctx.contains_key("texts") {
            ctx.insert("texts", &self.texts);
        }
        if nav && !ctx.contains_key("nav") {
            ctx.insert("nav", &self.nav);
        }
    }

    /// The template entry `i` renders with ([`Renderer::decide_template`]).
    fn template_of(&self, i: usize) -> &'a str {
        self.plans.get(i).map_or("page.html", |p| p.0)
    }

    fn decide_template(&self, page: &'a Page) -> &'a str {
        match &page.front.template {
            Some(t) => t.as_str(),
            None if page.rel == "_index" => "index.html",
            None if self.register_of(page).is_some() => "register.html",
            None if page.is_section => "section.html",
            None if page.front.kind == Kind::Text => "text.html",
            None => "page.html",
        }
    }

    /// A hash of everything [`Renderer::paths`] and [`Renderer::paths_404`]
    /// read, for every entry (with the entry's kind, which decides its TEI
    /// document): equal keys, equal paths, so that a serve rebuild reuses
    /// its map of which entry writes each path. Keep the two together.
    pub fn paths_key(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::BuildHasher::build_hasher(&crate::edition::FINGERPRINTS);
        self.settings.config.search.hash(&mut h);
        for (i, e) in self.ed.entries.iter().enumerate() {
            let page = &e.page;
            (&page.url, page.front.kind, self.original_of(e).is_some()).hash(&mut h);
            let split = self.index_of(i).map_or(&[][..], |w| self.split_for(w));
            split.len().hash(&mut h);
            for letter in split {
                letter.url.hash(&mut h);
            }
        }
        h.finish()
    }

    /// Output paths entry `i` produces when it renders: its page, and for a
    /// text its source view.
    pub fn paths(&self, i: usize) -> Vec<String> {
        let Some(entry) = self.ed.entries.get(i) else {
            return Vec::new();
        };
        let page = &entry.page;
        let mut v = vec![out_path(&page.url)];
        if let Some(which) = self.index_of(i) {
            v.extend(self.split_for(which).iter().map(|p| out_path(&p.url)));
        }
        if page.front.kind == Kind::Text {
            v.push(out_path(&format!("{}source/", page.url)));
        }
        if self.original_of(entry).is_some() {
            v.push(out_path(&format!(
                "{}{}",
                page.url,
                crate::translation::PARALLEL_DIR
            )));
        }
        v
    }

    /// Whether entry `i` is the person index (the largest page by far).
    pub fn is_persons_entry(&self, i: usize) -> bool {
        self.plans.get(i).is_some_and(|p| p.1 == Some(None))
    }

    /// How many units entry `i` renders in: 1, and for a person index (or
    /// another register's) divided by letter, one more per letter page.
    pub fn units(&self, i: usize) -> usize {
        self.index_of(i)
            .map_or(1, |which| 1 + self.split_for(which).len())
    }

    /// The declared register whose index `page` is, by position.
    fn register_of(&self, page: &Page) -> Option<usize> {
        self.ed
            .registers
            .iter()
            .position(|r| r.decl.page_rel() == page.rel)
    }

    /// The index entry `i` shows: `Some(None)` the person index,
    /// `Some(Some(r))` declared register `r`'s, `None` none.
    fn index_of(&self, i: usize) -> Option<Option<usize>> {
        self.plans.get(i).and_then(|p| p.1)
    }

    /// The letter pages of an index (`None`: the person index).
    fn split_for(&self, which: Option<usize>) -> &[LetterPage] {
        match which {
            None => &self.split,
            Some(r) => self.register_split.get(r).map_or(&[], |v| v.as_slice()),
        }
    }

    /// [`Renderer::fingerprint`] of one unit of entry `i`.
    pub fn fingerprint_unit(&self, i: usize, unit: usize) -> u64 {
        let split = self.index_of(i).map_or(&[][..], |w| self.split_for(w));
        match unit.checked_sub(1).and_then(|k| split.get(k)) {
            Some(letter) => {
                let hash = self.ed.entries.get(i).map(|e| e.hash);
                hash_of(&(self.global_hash, hash, &letter.url, letter.hash))
            }
            None => self.fingerprint(i),
        }
    }

    /// Renders one unit of entry `i`: unit 0 is [`Renderer::render_entry_with`],
    /// the others the letter pages of a divided person index.
    pub fn render_unit(
        &self,
        i: usize,
        unit: usize,
        content: Option<String>,
    ) -> (Vec<OutputFile<'a>>, Diagnostics) {
        let Some(k) = unit.checked_sub(1) else {
            return self.render_entry_with(i, content);
        };
        let mut diags = Diagnostics::default();
        let Some(which) = self.index_of(i) else {
            return (Vec::new(), diags);
        };
        let (Some(entry), Some(letter)) = (self.ed.entries.get(i), self.split_for(which).get(k))
        else {
            return (Vec::new(), diags);
        };
        let page = &entry.page;
        let template = self.template_of(i);
        let mut page_value = self.page_context(entry, Some(String::new()));
        if let Some(obj) = page_value.as_object_mut() {
            let title = format!(
                "{}{} {}",
                page.front.title,
                self.ui.get("colon"),
                letter.letter
            );
            let permalink = format!(
                "{}{}",
                self.settings.config.base_url,
                letter.url.trim_start_matches('/')
            );
            obj.insert("title".into(), title.into());
            obj.insert("url".into(), letter.url.clone().into());
            obj.insert("permalink".into(), permalink.into());
        }
        let mut ctx = self.page_context_for(page_value, template);
        ctx.insert("pages", &Vec::<PageSummary>::new());
        let mut pieces = self.pieces_for(template);
        if let Err(d) = self.index_context(&mut ctx, which, Some(k), pieces.as_mut()) {
            diags.push(d);
            return (Vec::new(), diags);
        }
        match self.templates.render(template, &ctx) {
            Ok(html) => (
                vec![OutputFile {
                    path: out_path(&letter.url),
                    html,
                    page_url: Some(letter.url.clone()),
                    insert: None,
                    body: None,
                    ui: None,
                    titles: Vec::new(),
                    langs: Vec::new(),
                    pieces,
                }],
                diags,
            ),
            Err(d) => {
                diags.push(d);
                (Vec::new(), diags)
            }
        }
    }

    /// `persons` (the index lines to show, each with its `html` as
    /// `index-entry.html` renders it), `letter_pages` (the letter pages of a
    /// divided index, else empty) and `index_letter` (the letter of this
    /// page, else empty). The first page of a divided index shows every
    /// entry without its occurrences.
    fn persons_context(
        &self,
        ctx: &mut Context,
        letter: Option<usize>,
        pieces: Option<&mut Pieces>,
    ) -> Result<(), Diagnostic> {
        self.index_context(ctx, None, letter, pieces)
    }

    /// Empty [`Pieces`] for a page of `template`, if its index lines may be
    /// left to the rewrite stage.
    fn pieces_for(&self, template: &str) -> Option<Pieces> {
        let opaque = match self.lines_opaque.get(template) {
            Some(&o) => o,
            None => apart::lines_are_opaque(self.templates.context_sources(template)),
        };
        opaque.then(|| Pieces {
            lines: Vec::new(),
            cache: std::sync::Arc::clone(&self.pieces),
        })
    }

    /// [`Renderer::persons_context`] for the person index (`which`: `None`)
    /// or a declared register's (`Some(r)`): its lines are `entries` and the
    /// register (`id`, `title`, `url`) is `register`.
    fn index_context(
        &self,
        ctx: &mut Context,
        which: Option<usize>,
        letter: Option<usize>,
        pieces: Option<&mut Pieces>,
    ) -> Result<(), Diagnostic> {
        let split = self.split_for(which);
        let links: Vec<LetterLink> = split
            .iter()
            .map(|p| LetterLink {
                letter: &p.letter,
                url: &p.url,
            })
            .collect();
        ctx.insert("letter_pages", &links);
        let register = which.and_then(|r| self.ed.registers.get(r));
        let index = register.map_or(&self.ed.index, |r| &r.index);
        let (range, view, current) = match letter.and_then(|k| split.get(k)) {
            Some(p) => (p.lines.clone(), View::Letter, p.letter.as_str()),
            None if split.is_empty() => (0..index.len(), View::Whole, ""),
            None => (0..index.len(), View::Overview, ""),
        };
        ctx.insert("index_letter", current);
        let lines = &index.lines[range.clone()];
        let hashes = &index.line_hashes[range];
        let shown = self.index_lines(lines, hashes, (view, which, !split.is_empty()), pieces)?;
        match register {
            None => ctx.insert("persons", &shown),
            Some(r) => {
                ctx.insert("entries", &shown);
                ctx.insert(
                    "register",
                    &serde_json::json!({
                        "id": r.decl.id,
                        "title": r.decl.title_in(self.settings.config.ui_lang()),
                        "url": r.decl.url(),
                        "tei": r.decl.tei,
                    }),
                );
            }
        }
        Ok(())
    }

    /// Index lines for a page: each without its occurrences, with `html`.
    fn index_lines(
        &self,
        lines: &[crate::edition::IndexLine],
        hashes: &[u64],
        (view, which, divided): (View, Option<usize>, bool),
        mut pieces: Option<&mut Pieces>,
    ) -> Result<Vec<serde_json::Value>, Diagnostic> {
        use crate::edition::IndexLine;
        let index_url = match which.and_then(|r| self.ed.registers.get(r)) {
            Some(r) => r.decl.url(),
            None => format!("/{}/", self.settings.config.persons_page.trim_matches('/')),
        };
        let mut base = Context::new();
        base.insert("site", &self.site);
        base.insert("ui", &self.ui);
        base.insert("mode", self.settings.mode);
        base.insert("overview", &matches!(view, View::Overview));
        base.insert("divided", &divided);
        base.insert("index_url", &index_url);
        let mut shown = Vec::with_capacity(lines.len());
        for (line, &hash) in lines.iter().zip(hashes) {
            // another register's line is cached apart from a person's
            let hash = match which {
                None => hash,
                Some(r) => hash_of(&(hash, r, &index_url)),
            };
            let key = (hash, view as u8);
            let cached = self
                .fragments
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(&key)
                .cloned()
                .or_else(|| self.old_fragments.map.get(&key).cloned());
            let html = match cached {
                Some(html) => html,
                None => {
                    let mut ctx = base.clone();
                    ctx.insert("line", line);
                    std::sync::Arc::from(self.templates.render("index-entry.html", &ctx)?)
                }
            };
            // (kept for a next build, serve's; a build renders each line
            // once, and would hold every line of the index to the end)
            if self.pieces.keep {
                self.fragments
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(key, std::sync::Arc::clone(&html));
            }
            let light = match line {
                IndexLine::Person(p) => IndexLine::Person(p.without_occurrences()),
                other => other.clone(),
            };
            let mut value = serde_json::to_value(&light).unwrap_or_default();
            let printed = match pieces.as_deref_mut() {
                Some(p) => {
                    p.lines.push((key, html));
                    piece_marker(p.lines.len() - 1)
                }
                None => html.to_string(),
            };
            if let Some(obj) = value.as_object_mut() {
                obj.insert("html".into(), printed.into());
            }
            shown.push(value);
        }
        Ok(shown)
    }

    /// Renders entry `i`: its page, and for a text the source view.
    /// `content`: the body HTML when the edition holds none (a build past
    /// its HTML budget parses it again, and it is freed with the page); `None`:
    /// the body the edition holds.
    pub fn render_entry_with(
        &self,
        i: usize,
        content: Option<String>,
    ) -> (Vec<OutputFile<'a>>, Diagnostics) {
        let ed: &'a Edition = self.ed;
        let Some(entry) = ed.entries.get(i) else {
            return (Vec::new(), Diagnostics::default());
        };
        let body = match (content, &entry.packed) {
            (Some(c), _) => Body::Text(c.into()),
            (None, Some(p)) => Body::Packed(p),
            (None, None) if entry.dropped => {
                Body::Text(entry.body_again(self.settings.config).into())
            }
            (None, None) => Body::Text(entry.doc.html.as_str().into()),
        };
        // a large body is held apart from the context if the templates
        // only print it (see crate::stream)
        // (the source view and the parallel view see the same context)
        let apart = body.len() >= apart::STREAM_MIN
            && [self.template_of(i), "source.html", "parallel.html"]
                .iter()
                .all(|t| apart::body_is_opaque(self.templates.context_sources(t)));
        match self.render_entry(i, entry, body, apart) {
            Ok(done) => done,
            // (never `Err` when the body is in the context)
            Err(body) => self.render_entry(i, entry, body, false).unwrap_or_default(),
        }
    }

    /// [`Renderer::render_entry_with`]; `apart`: the body is held apart
    /// from the context, and given back (`Err`) if the template's output
    /// does not hold the marker once.
    #[allow(clippy::type_complexity)]
    fn render_entry(
        &self,
        i: usize,
        entry: &'a Entry,
        body: Body<'a>,
        apart: bool,
    ) -> Result<(Vec<OutputFile<'a>>, Diagnostics), Body<'a>> {
        let mut files = Vec::new();
        let mut diags = Diagnostics::default();
        let config = self.settings.config;
        let page = &entry.page;
        let template = self.template_of(i);
        // a page in another interface language than the edition's, and a
        // translated text's original (see crate::translation)
        let page_ui = crate::translation::ui_for(config, page);
        let original = self.original_of(entry);
        let translated_html = original.map(|_| body.text());
        let (content, body) = if apart {
            (apart::BODY_MARKER.to_string(), Some(body))
        } else {
            (body.into_string(), None)
        };
        let mut page_value = self.page_context(entry, Some(content));
        crate::translation::extend_page(&mut page_value, config, entry, original, page_ui.as_ref());
        // moved into the context, not copied
        let mut ctx = self.page_context_for(page_value, template);
        if let Some(ui) = &page_ui {
            ctx.insert("ui", ui);
        }
        if page.is_section {
            ctx.insert("section", &summary(page, config));
            ctx.insert("pages", &self.section_pages(page));
        } else {
            ctx.insert("pages", &Vec::<PageSummary>::new());
        }
        // (index lines as pieces only when the body is not held apart too)
        let mut pieces = body.is_none().then(|| self.pieces_for(template)).flatten();
        if self.is_persons_page(page, template) {
            if let Err(d) = self.persons_context(&mut ctx, None, pieces.as_mut()) {
                diags.push(d);
                return Ok((files, diags));
            }
        } else if let Some(r) = self.register_of(page) {
            if let Err(d) = self.index_context(&mut ctx, Some(r), None, pieces.as_mut()) {
                diags.push(d);
                return Ok((files, diags));
            }
        }
        if !self.templates.has(template) {
            diags.push(page.src.error(
                page.template_offset,
                format!("template `{template}` not found in templates/"),
            ));
            return Ok((files, diags));
        }
        match self.templates.render(template, &ctx) {
            Ok(html) if body.is_some() && html.matches(apart::BODY_MARKER).count() != 1 => {
                return Err(body.unwrap_or_default());
            }
            Ok(html) => files.push(OutputFile {
                path: out_path(&page.url),
                html,
                page_url: Some(page.url.clone()),
                insert: None,
                body,
                ui: page_ui.clone(),
                titles: self.conjectural_mentions(entry, page_ui.as_ref().unwrap_or(&self.ui)),
                langs: self.mention_langs(entry),
                pieces: pieces.filter(|p| !p.lines.is_empty()),
            }),
            Err(d) => diags.push(d),
        }
        if page.front.kind == Kind::Text {
            // a view of the page's own Markdown source
            let url = format!("{}source/", page.url);
            // the highlighted source holds no URL and no anchor: the rewrite
            // stage puts it in place of a marker instead of parsing it
            let marker = format!("<!--{}-->", crate::rewrite::INSERT_MARKER);
            ctx.insert("source_html", &marker);
            self.complete(&mut ctx, "source.html");
            match self.templates.render("source.html", &ctx) {
                Ok(html) => {
                    // a template that does not print the marker exactly once
                    // (or escapes it) gets the source rendered in place
                    let (html, insert) = if html.matches(&marker).count() == 1 {
                        let code = entry.page.src.text();
                        (html, Some(Highlight { code, lang: "md" }))
                    } else {
                        let source = crate::highlight::highlight(&page.src.text(), "md");
                        ctx.insert("source_html", &source);
                        match self.templates.render("source.html", &ctx) {
                            Ok(html) => (html, None),
                            Err(d) => {
                                diags.push(d);
                                return Ok((files, diags));
                            }
                        }
                    };
                    if apart && html.contains(apart::BODY_MARKER) {
                        return Err(files.into_iter().find_map(|f| f.body).unwrap_or_default());
                    }
                    files.push(OutputFile {
                        path: out_path(&url),
                        html,
                        page_url: Some(url),
                        insert,
                        body: None,
                        ui: page_ui.clone(),
                        titles: Vec::new(),
                        langs: Vec::new(),
                        pieces: None,
                    })
                }
                Err(d) => diags.push(d),
            }
        }
        if let (Some(orig), Some(html)) = (original, translated_html) {
            // the parallel reading view: the original beside the translation
            let rendered =
                crate::translation::parallel_context(config, &mut ctx, orig, entry, &html)
                    .map_err(|e| page.src.error(0, e))
                    .and_then(|()| {
                        self.complete(&mut ctx, "parallel.html");
                        self.templates.render("parallel.html", &ctx)
                    });
            match rendered {
                Ok(html) if apart && html.contains(apart::BODY_MARKER) => {
                    return Err(files.into_iter().find_map(|f| f.body).unwrap_or_default());
                }
                Ok(html) => {
                    let url = format!("{}{}", page.url, crate::translation::PARALLEL_DIR);
                    files.push(OutputFile {
                        path: out_path(&url),
                        html,
                        page_url: Some(url),
                        insert: None,
                        body: None,
                        ui: page_ui.clone(),
                        titles: Vec::new(),
                        langs: Vec::new(),
                        pieces: None,
                    })
                }
                Err(d) => diags.push(d),
            }
        }
        Ok((files, diags))
    }

    /// The text entry `entry` translates, if it is a translated text.
    fn original_of(&self, entry: &Entry) -> Option<&'a Entry> {
        let target = entry
            .page
            .front
            .translation_of
            .as_deref()?
            .trim_matches('/');
        if entry.page.front.kind != Kind::Text {
            return None;
        }
        self.by_rel
            .get(target)?
            .iter()
            .map(|&i| &*self.ed.entries[i])
            .find(|o| o.page.url != entry.page.url && o.page.front.kind == Kind::Text)
    }

    /// What the 404 page is made from (see [`Renderer::fingerprint`]).
    pub fn fingerprint_404(&self) -> u64 {
        let uses = |t: &str| self.uses.get(t).copied().unwrap_or((true, true));
        let (texts, nav) = uses("404.html");
        let (search_texts, search_nav) = uses("search.html");
        hash_of(&(
            self.global_hash,
            (texts || search_texts).then_some(self.texts_hash),
            (nav || search_nav).then_some(self.nav_hash),
        ))
    }

    /// The paths of the pages made from no content file (see [`Self::render_404`]).
    pub fn paths_404(&self) -> Vec<&'static str> {
        let mut paths = vec!["404.html"];
        if self.settings.config.search {
            paths.push(crate::search::PAGE_PATH);
        }
        paths
    }

    /// The pages made from no content file: the 404 page and, unless
    /// site.toml turns search off, the search page ([`crate::search`]).
    pub fn render_404(&self) -> (Vec<OutputFile<'a>>, Diagnostics) {
        let config = self.settings.config;
        let mut diags = Diagnostics::default();
        let mut files = Vec::new();
        let pages = [
            ("404.html", "404.html", "/404.html", "not_found"),
            (
                "search.html",
                crate::search::PAGE_PATH,
                crate::search::PAGE_URL,
                "search",
            ),
        ];
        let count = self.paths_404().len();
        for (template, path, url, title) in pages.into_iter().take(count) {
            let mut ctx = self.base_context(template);
            ctx.insert("pages", &Vec::<PageSummary>::new());
            if template == "search.html" {
                // the strings search.js shows, and whether there is an index of persons to point to
                let strings: BTreeMap<&str, &str> =
                    ["paragraph", "note", "translation", "original"]
                        .into_iter()
                        .chain(crate::i18n::search_keys())
                        .filter_map(|k| self.ui.get_opt(k).map(|v| (k, v)))
                        .collect();
                ctx.insert("search_strings", &strings);
                let persons = self.settings.config.persons_page.trim_matches('/');
                ctx.insert(
                    "has_persons",
                    &self.ed.entries.iter().any(|e| e.page.rel == persons),
                );
            }
            ctx.insert(
                "page",
                &serde_json::json!({"title": self.ui.get(title), "url": url, "lang": config.language, "kind": "page"}),
            );
            match self.templates.render(template, &ctx) {
                Ok(html) => files.push(OutputFile {
                    path: path.into(),
                    html,
                    page_url: Some(url.into()),
                    insert: None,
                    body: None,
                    ui: None,
                    titles: Vec::new(),
                    langs: Vec::new(),
                    pieces: None,
                }),
                Err(d) => diags.push(d),
            }
        }
        (files, diags)
    }

    /// A page apparat makes from data rather than from content (the
    /// collation page): `body` is HTML apparat produced, shown by `template`
    /// as `page.content`; written at `url` (`/x/` → `x/index.html`).
    pub fn render_generated(
        &self,
        template: &str,
        url: &str,
        title: &str,
        body: String,
    ) -> (Option<OutputFile<'a>>, Diagnostics) {
        let config = self.settings.config;
        let mut diags = Diagnostics::default();
        let mut ctx = self.base_context(template);
        ctx.insert("pages", &Vec::<PageSummary>::new());
        ctx.insert(
            "page",
            &serde_json::json!({"title": title, "url": url, "lang": config.language, "kind": "page", "content": body}),
        );
        match self.templates.render(template, &ctx) {
            Ok(html) => (
                Some(OutputFile {
                    path: format!("{}index.html", url.trim_start_matches('/')),
                    html,
                    page_url: Some(url.to_string()),
                    insert: None,
                    body: None,
                    ui: None,
                    titles: Vec::new(),
                    langs: Vec::new(),
                    pieces: None,
                }),
                diags,
            ),
            Err(d) => {
                diags.push(d);
                (None, diags)
            }
        }
    }

    /// The pages a section lists.
    fn section_pages(&self, page: &Page) -> Vec<PageSummary> {
        let folder = page.section_folder();
        self.order
            .iter()
            .filter(|e| !e.page.is_section && e.page.parent_section() == folder)
            .map(|e| summary(&e.page, self.settings.config))
            .collect()
    }

    fn is_persons_page(&self, page: &Page, template: &str) -> bool {
        template == "persons.html"
            || page.rel == self.settings.config.persons_page.trim_matches('/')
    }

    /// A hash of everything entry `i`'s files are made from: the page's own
    /// source, its previous and next texts and translations, and whatever
    /// else its templates may read (the templates themselves, the site
    /// configuration and version, the list of texts, the section's pages,
    /// the person index). Equal fingerprints give byte-identical files, so an
    /// incremental build renders again only the entries whose fingerprint changed.
    pub fn fingerprint(&self, i: usize) -> u64 {
        use std::hash::{Hash, Hasher};
        let Some(entry) = self.ed.entries.get(i) else {
            return 0;
        };
        let page = &entry.page;
        let template = self.template_of(i);
        let mut reads = self.uses.get(template).copied().unwrap_or((true, true));
        if page.front.kind == Kind::Text {
            let (t, n) = self
                .uses
                .get("source.html")
                .copied()
                .unwrap_or((true, true));
            reads = (reads.0 || t, reads.1 || n);
        }
        let mut h = std::hash::BuildHasher::build_hasher(&crate::edition::FINGERPRINTS);
        (self.global_hash, entry.hash, &template).hash(&mut h);
        let (prev, next) = self.prev_next(entry);
        prev.map(|i| self.text_hashes[i]).hash(&mut h);
        next.map(|i| self.text_hashes[i]).hash(&mut h);
        self.translations(entry).hash(&mut h);
        // a translation's parallel view shows its original
        self.original_of(entry).map(|o| o.hash).hash(&mut h);
        if reads.0 {
            self.texts_hash.hash(&mut h);
        }
        if reads.1 {
            self.nav_hash.hash(&mut h);
        }
        if page.is_section {
            self.section_pages(page).hash(&mut h);
        }
        if self.is_persons_page(page, template) {
            self.index_hash.hash(&mut h);
        } else if let Some(r) = self.register_of(page) {
            self.ed.registers.get(r).map(|r| r.hash).hash(&mut h);
        }
        // what the register says of the forms it mentions
        for k in &entry.mention_keys {
            self.form_hashes.get(k).hash(&mut h);
        }
        self.mention_langs(entry).hash(&mut h);
        h.finish()
    }

    /// The tooltips of the mentions of `entry` whose form the register
    /// identifies by conjecture only: « conjectural identification (whose) ».
    fn conjectural_mentions(&self, entry: &Entry, ui: &crate::i18n::Ui) -> Vec<(String, String)> {
        if self.conjectures.is_empty() {
            return Vec::new();
        }
        entry
            .document()
            .mentions
            .iter()
            .filter_map(|m| {
                let p = self.conjectures.get(m.person.as_str())?;
                let c = p.conjecture_for(&m.form)?;
                let title = crate::i18n::t(ui, "conjecture_by").replace("{by}", &c.by);
                Some((m.anchor.clone(), title))
            })
            .collect()
    }

    /// The `lang` of the mentions of `entry` whose register entry gives
    /// its name a language, by mention id.
    fn mention_langs(&self, entry: &Entry) -> Vec<(String, String)> {
        if self.entry_langs.is_empty() {
            return Vec::new();
        }
        // (held even when the document is set aside: read by every fingerprint)
        entry
            .doc
            .register_mentions
            .iter()
            .filter_map(|m| {
                let lang = self
                    .entry_langs
                    .get(&(m.register.as_str(), m.person.as_str()))?;
                Some((m.anchor.clone(), lang.to_string()))
            })
            .collect()
    }

    /// Positions in `texts` of the previous and next texts of `entry`.
    fn prev_next(&self, entry: &Entry) -> (Option<usize>, Option<usize>) {
        let page = &entry.page;
        if page.front.kind != Kind::Text {
            return (None, None);
        }
        match self.text_pos.get(page.url.as_str()) {
            Some(&pos) => (
                pos.checked_sub(1),
                Some(pos + 1).filter(|&n| n < self.texts.len()),
            ),
            None => (None, None),
        }
    }

    /// The previous and next texts of `entry`, and its translations.
    fn neighbours(
        &self,
        entry: &Entry,
    ) -> (Option<PageSummary>, Option<PageSummary>, Vec<PageSummary>) {
        let (prev, next) = self.prev_next(entry);
        (
            prev.map(|i| (*self.texts[i]).clone()),
            next.map(|i| (*self.texts[i]).clone()),
            self.translations(entry),
        )
    }

    /// Pages that translate `entry`, or the page it translates.
    fn translations(&self, entry: &Entry) -> Vec<PageSummary> {
        let config = self.settings.config;
        let page = &entry.page;
        let mut related: Vec<usize> = self
            .by_original
            .get(page.rel.as_str())
            .cloned()
            .unwrap_or_default();
        if let Some(t) = page.front.translation_of.as_deref() {
            related.extend(self.by_rel.get(t).into_iter().flatten());
        }
        related.sort_unstable();
        related.dedup();
        related
            .into_iter()
            .map(|i| &self.ed.entries[i].page)
            .filter(|other| other.url != page.url)
            .map(|other| summary(other, config))
            .collect()
    }

    fn page_context(&self, entry: &Entry, content: Option<String>) -> serde_json::Value {
        let (prev, next, translations) = self.neighbours(entry);
        page_context(
            entry,
            content,
            self.settings.config,
            &self.ui,
            &self.settings.version,
            (prev, next, translations),
            self.notes_read,
        )
    }
}

/// The output file of a page URL: the URL decoded (URLs are percent-encoded
/// by `content::encode_url_path`; files keep their real names).
fn out_path(url: &str) -> String {
    let decoded = crate::content::decode_url_path(url);
    let trimmed = decoded.trim_start_matches('/');
    if trimmed.is_empty() || trimmed.ends_with('/') {
        format!("{trimmed}index.html")
    } else {
        trimmed.to_string()
    }
}

#[allow(clippy::too_many_arguments)]
fn page_context(
    entry: &Entry,
    content: Option<String>,
    config: &Config,
    ui: &crate::i18n::Ui,
    version: &Version,
    (prev, next, translations): (Option<PageSummary>, Option<PageSummary>, Vec<PageSummary>),
    notes_read: bool,
) -> serde_json::Value {
    let page = &entry.page;
    let doc = &*entry.document();
    let lang = page
        .front
        .lang
        .clone()
        .unwrap_or_else(|| config.language.clone());
    let permalink = format!("{}{}", config.base_url, page.url.trim_start_matches('/'));
    let edit_url = config.repository.as_ref().map(|r| {
        format!(
            "{}/blob/{}/{}",
            r.trim_end_matches('/'),
            config.repository_branch,
            crate::content::encode_url_path(&page.src.path.to_string_lossy().replace('\\', "/"))
        )
    });
    let (author_notes, editorial_notes): (Vec<_>, Vec<_>) = doc
        .notes
        .iter()
        .partition(|n| n.series == crate::markup::Series::Author);
    let cite = crate::translation::citation(page, config, version);
    // (every note again, beside `author_notes` and `editorial_notes`: left
    // out when no template reads it, see `Renderer::notes_read`)
    let notes = match notes_read {
        true => serde_json::to_value(&doc.notes).unwrap_or_default(),
        false => serde_json::Value::Null,
    };
    let mut value = serde_json::json!({
        "title": page.front.title,
        "subtitle": page.front.subtitle,
        "author": page.front.author,
        "date": page.front.date,
        "lang": lang,
        "description": page.front.description,
        "kind": page.front.kind,
        "url": page.url,
        "rel": page.rel,
        "is_section": page.is_section,
        "permalink": permalink,
        "content": content.unwrap_or_else(|| doc.html.clone()),
        "toc": doc.headings,
        "notes": notes,
        "author_notes": author_notes,
        "editorial_notes": editorial_notes,
        "emendations": doc.emendations,
        "emendations_html": if doc.emendations.is_empty() { String::new() } else { crate::markup::emendation_list(&doc.emendations, ui) },
        "parallels": doc.parallels,
        "paragraphs": doc.paragraphs,
        "title_note": doc.title_call,
        "source": page.front.source,
        "extra": page.front.extra,
        "prev": prev,
        "next": next,
        "translations": translations,
        "edit_url": edit_url,
        "source_view_url": format!("{}source/", page.url),
        "tei_url": if page.front.kind == Kind::Text { format!("{}{}", page.url, crate::tei::TEXT_FILE) } else { String::new() },
        "json_ld": if page.front.kind == Kind::Text { crate::tei::json_ld(config, entry, version) } else { String::new() },
        "citation": {
            "styles": cite.formatted(),
            "source_line": cite.original(),
            "bibtex": cite.bibtex(),
            "bibtex_url": data_url("application/x-bibtex", &cite.bibtex()),
            "csl_url": data_url("application/vnd.citationstyles.csl+json", &cite.csl_json()),
            "file_name": file_name(&page.url),
            "meta": cite.meta(),
        },
    });
    if !notes_read {
        if let Some(obj) = value.as_object_mut() {
            obj.remove("notes");
        }
    }
    value
}

/// A `data:` URL holding `text` (percent-encoded UTF-8): a text's citation
/// files are links in its page, not two more files per text in the output.
fn data_url(mime: &str, text: &str) -> String {
    let mut url = format!("data:{mime};charset=utf-8,");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// The name a downloaded citation file takes: the last segment of the page
/// URL (`/textes/t00001/` → `t00001`).
fn file_name(url: &str) -> String {
    match crate::content::decode_url_path(url.trim_matches('/'))
        .rsplit('/')
        .next()
    {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => "citation".to_string(),
    }
}

#[cfg(test)]
mod names_tests {
    use super::names;

    #[test]
    fn a_variable_is_named_only_in_tags_and_not_as_an_attribute() {
        assert!(names("{% for t in texts %}{% endfor %}", "texts"));
        assert!(names("{{ texts | length }}", "texts"));
        assert!(names("{{ macros::list(items=texts) }}", "texts"));
        assert!(!names(
            "<li class=\"nav-texts\">{{ ui.texts }}</li>",
            "texts"
        ));
        assert!(!names("{% for t in all_texts %}{% endfor %}", "texts"));
        assert!(!names("texts {# no tag #}", "texts"));
        assert!(names("{% include \"x.html\" %}", "include"));
    }
}
