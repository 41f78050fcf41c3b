//! `site.toml` → [`Config`].

use crate::diagnostics::{Diagnostics, SourceMap};
use crate::i18n::Ui;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

/// The edition's settings. Unknown keys are an error.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    /// Absolute URL of the published site, possibly with a path
    /// (`https://user.github.io/repo/`). Used only where an absolute URL is required.
    #[serde(default)]
    pub base_url: String,
    /// Default language of the edition's pages (BCP 47).
    #[serde(default = "default_language")]
    pub language: String,
    /// Language of the interface strings (`fr`, `es` or `en`); by default
    /// the primary subtag of `language`, or `en` when it has no table.
    /// After [`Config::load`], the language in use.
    #[serde(default)]
    pub ui_language: Option<String>,
    /// Interface strings replacing those of the table (`[ui]`).
    #[serde(default)]
    pub ui: BTreeMap<String, String>,
    /// Whose the numbered notes (`[^1]`) are: their label in the interface.
    #[serde(default)]
    pub numbered_notes: NotesBy,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub editors: Vec<String>,
    /// Year of the digital edition, used in citations.
    #[serde(default)]
    pub edition_year: Option<String>,
    /// The CSL styles of each text's « Cite » box, in order (`chicago`,
    /// `mla`; default both).
    #[serde(default = "CitationStyle::defaults")]
    pub citation_styles: Vec<CitationStyle>,
    /// Repository on a forge, e.g. `https://github.com/user/repo`.
    #[serde(default)]
    pub repository: Option<String>,
    /// Branch used for "edit this page" links.
    #[serde(default = "default_branch")]
    pub repository_branch: String,
    #[serde(default = "default_output")]
    pub output_dir: String,
    /// Content path (without `.md`) of the person index page.
    #[serde(default = "default_persons_page")]
    pub persons_page: String,
    /// Above this many occurrences, the person index is divided into one page
    /// per initial letter, and mentions link to their letter's page (0: never).
    #[serde(default = "default_persons_split")]
    pub persons_split: usize,
    /// Registers beside the person register (`[[registers]]`: organisations,
    /// places, periodicals…), each with its mention scheme and index page.
    #[serde(default)]
    pub registers: Vec<RegisterDecl>,
    /// Credit shown on translation columns of parallel blocks (by default
    /// the interface string `translation_credit`).
    #[serde(default)]
    pub translation_credit: Option<String>,
    /// What a broken internal link in content is: `"error"` (the default)
    /// or `"warning"` (while an edition is being moved in, say).
    #[serde(default)]
    pub broken_links: Level,
    /// The licence of the edition's texts (`"CC BY 4.0"`) and its URL, for
    /// the TEI exports' `availability`; left out when not given.
    #[serde(default)]
    pub license: Option<String>,
    #[serde(default)]
    pub license_url: Option<String>,
    /// Full-text search: the index (`pagefind/`), the search page and the
    /// header's search box (see [`crate::search`]). Default: on.
    #[serde(default = "default_search")]
    pub search: bool,
    /// Free values passed to templates as `site.extra`.
    #[serde(default)]
    pub extra: toml::Table,
    /// Collation against the texts' witnesses: declared normalisations and
    /// the severity of an unrecorded change (see `collate`).
    #[serde(default)]
    pub collation: crate::witness::Settings,
    /// The interface strings, made once.
    #[serde(skip)]
    resolved_ui: OnceLock<Ui>,
}

/// Whose the numbered notes are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotesBy {
    #[default]
    Author,
    Editor,
    Translator,
}

fn default_language() -> String {
    "en".into()
}
fn default_branch() -> String {
    "main".into()
}
fn default_output() -> String {
    "public".into()
}
fn default_persons_page() -> String {
    "persons".into()
}
fn default_search() -> bool {
    true
}

fn default_persons_split() -> usize {
    2000
}

impl Config {
    /// Reads and validates `site.toml` in `root`.
    pub fn load(root: &Path, diags: &mut Diagnostics) -> Option<Config> {
        let path = Path::new("site.toml");
        let full = root.join(path);
        if crate::content::link_leaves_root(root, &full) {
            diags.file_error(path, crate::content::LINK_OUTSIDE);
            return None;
        }
        let bytes = match std::fs::read(&full) {
            Ok(b) => b,
            Err(e) => {
                diags.file_error(path, format!("cannot read site.toml: {e}"));
                return None;
            }
        };
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let sm = SourceMap::new(path, String::from_utf8_lossy(e.as_bytes()).into_owned());
                diags.push(sm.error(e.utf8_error().valid_up_to(), "file is not valid UTF-8"));
                return None;
            }
        };
        let sm = SourceMap::new(path, crate::text::replace_nul(text));
        match toml::from_str::<Config>(&sm.text()) {
            Ok(mut c) => {
                for field in [&mut c.title, &mut c.subtitle, &mut c.description] {
                    *field = field.replace('\'', "’");
                }
                if !c.base_url.is_empty() && !c.base_url.ends_with('/') {
                    c.base_url.push('/');
                }
                if !crate::lang::is_known(&c.language) {
                    diags.push(sm.error(
                        key_offset(&sm.text(), None, "language"),
                        format!("unknown language tag `{}`", c.language),
                    ));
                }
                c.check_ui(&sm, diags);
                c.check_registers(&sm, diags);
                Some(c)
            }
            Err(e) => {
                let offset = e.span().map(|s| s.start).unwrap_or(0);
                diags.push(sm.error(offset, crate::diagnostics::toml_message(&e)));
                None
            }
        }
    }

    /// Checks the interface settings, and records the interface language
    /// in use as `ui_language`.
    fn check_ui(&mut self, sm: &SourceMap, diags: &mut Diagnostics) {
        let supported = crate::i18n::SUPPORTED.join(", ");
        match &self.ui_language {
            Some(l) if crate::i18n::supported(l).is_some() => {}
            Some(l) => diags.push(sm.error(
                key_offset(&sm.text(), None, "ui_language"),
                format!("unsupported ui_language `{l}`: the interface languages are {supported}"),
            )),
            None if crate::i18n::supported(&self.language).is_none()
                && crate::lang::is_known(&self.language) =>
            {
                diags.push(sm.warning(
                    key_offset(&sm.text(), None, "language"),
                    format!(
                        "no interface strings for language `{}`: the interface is in `en` \
                         (set ui_language to one of {supported}, and translate strings in [ui])",
                        self.language
                    ),
                ))
            }
            None => {}
        }
        for key in self.ui.keys() {
            if !crate::i18n::is_key(key) {
                diags.push(sm.error(
                    key_offset(&sm.text(), Some("ui"), key),
                    format!("unknown interface string `{key}` in [ui]"),
                ));
            }
        }
        self.ui_language = Some(self.ui_lang().to_string());
    }

    /// The interface language: `ui_language`, else `language`'s primary
    /// subtag if it has a table, else `en`.
    pub fn ui_lang(&self) -> &str {
        self.ui_language
            .as_deref()
            .and_then(crate::i18n::supported)
            .or_else(|| crate::i18n::supported(&self.language))
            .unwrap_or("en")
    }

    /// The interface strings of a translation (`translation_of`) when they are
    /// not the edition's: its language has an interface table and is not the
    /// edition's interface language. Every other page has the edition's
    /// interface (`ui_language`). The edition's `[ui]` overrides are written in
    /// its own interface language and do not apply; `numbered_notes` does.
    pub fn ui_for_page(&self, page: &crate::content::Page) -> Option<Ui> {
        page.front.translation_of.as_ref()?;
        let lang = crate::i18n::supported(page.front.lang.as_deref()?)?;
        if lang == self.ui_lang() {
            return None;
        }
        let mut ui = Ui::new(lang);
        let by = match self.numbered_notes {
            NotesBy::Author => "author_notes",
            NotesBy::Editor => "editor_notes",
            NotesBy::Translator => "translator_notes",
        };
        let label = ui.get(by).to_string();
        ui.set("numbered_notes", &label);
        Some(ui)
    }

    /// The interface strings: the table of [`Config::ui_lang`] with the
    /// edition's `[ui]`, `numbered_notes` and `translation_credit`.
    pub fn ui(&self) -> &Ui {
        self.resolved_ui.get_or_init(|| {
            let mut ui = Ui::new(self.ui_lang());
            for (k, v) in &self.ui {
                ui.set(k, v);
            }
            if !self.ui.contains_key("numbered_notes") {
                let by = match self.numbered_notes {
                    NotesBy::Author => "author_notes",
                    NotesBy::Editor => "editor_notes",
                    NotesBy::Translator => "translator_notes",
                };
                let label = ui.get(by).to_string();
                ui.set("numbered_notes", &label);
            }
            if let Some(credit) = &self.translation_credit {
                ui.set("translation_credit", credit);
            }
            ui
        })
    }
}

/// A register declared in site.toml (`[[registers]]`).
#[derive(Debug, Clone, Serialize, Deserialize, Hash)]
#[serde(deny_unknown_fields)]
pub struct RegisterDecl {
    /// The mention scheme: `[Comintern](org:ic)`.
    pub id: String,
    /// The register file, relative to `content/` (default `ID.toml`).
    #[serde(default)]
    pub file: Option<String>,
    /// Content path (without `.md`) of the index page (default: the id).
    #[serde(default)]
    pub page: Option<String>,
    /// The register's name per interface language (`fr = "Organisations"`).
    #[serde(default)]
    pub title: BTreeMap<String, String>,
    /// Above this many occurrences, the index is divided by initial letter (0: never).
    #[serde(default = "default_persons_split")]
    pub split: usize,
    /// The TEI element of a mention (`orgName`, `placeName`, `title`…).
    #[serde(default = "default_tei")]
    pub tei: String,
    /// A bibliography: the file's format (`"hayagriva"`), formatted with
    /// CSL `style` (default Chicago author-date; see `bibliography.rs`).
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub style: Option<String>,
}

fn default_tei() -> String {
    "name".into()
}

impl RegisterDecl {
    /// The register file, relative to the edition root.
    pub fn file_path(&self) -> std::path::PathBuf {
        let file = self
            .file
            .clone()
            .unwrap_or_else(|| format!("{}.toml", self.id));
        Path::new("content").join(file.trim_start_matches('/'))
    }

    /// The index page's content path (`organisations`).
    pub fn page_rel(&self) -> String {
        self.page
            .as_deref()
            .unwrap_or(&self.id)
            .trim_matches('/')
            .to_string()
    }

    /// The index page's site-absolute URL (`/organisations/`).
    pub fn url(&self) -> String {
        format!("/{}/", self.page_rel())
    }

    /// The TEI element of a mention: `tei` when it is one apparat knows, else `name`.
    pub fn tei_element(&self) -> &str {
        match self.tei.as_str() {
            "orgName" => "orgName",
            "placeName" => "placeName",
            "title" => "title",
            "persName" => "persName",
            "rs" => "rs",
            _ => "name",
        }
    }

    /// The register's title in interface language `lang`: that language's,
    /// else the first one given, else the id.
    pub fn title_in(&self, lang: &str) -> String {
        self.title
            .get(lang)
            .or_else(|| self.title.values().next())
            .cloned()
            .unwrap_or_else(|| self.id.clone())
    }
}

impl Config {
    /// Checks the declared registers: ids are schemes of their own
    /// (lowercase ASCII, not `person` or `lang`), ids and pages unique.
    fn check_registers(&self, sm: &SourceMap, diags: &mut Diagnostics) {
        let persons = self.persons_page.trim_matches('/').to_string();
        let mut ids = std::collections::HashSet::new();
        let mut pages = std::collections::HashSet::from([persons]);
        let mut from = 0;
        for r in &self.registers {
            // the declaration's own `id = …` line, in order
            let at = find_key_from(&sm.text(), from, "id").unwrap_or(0);
            from = at + 1;
            let ok = r.id.starts_with(|c: char| c.is_ascii_lowercase())
                && r.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            // `person:` and `lang:` are the dialect's, and a URL scheme stays a link
            let reserved = [
                "person", "lang", "http", "https", "mailto", "tel", "ftp", "file", "data",
            ];
            if !ok || reserved.contains(&r.id.as_str()) {
                diags.push(sm.error(
                    at,
                    format!(
                        "register id `{}` must be lowercase ASCII letters, digits and hyphens, \
                         and not `person`, `lang` or a URL scheme",
                        r.id
                    ),
                ));
            }
            if r.tei_element() != r.tei {
                diags.push(sm.error(
                    at,
                    format!(
                        "register `{}`: unknown tei element `{}` (one of orgName, placeName, \
                         title, name, rs, persName)",
                        r.id, r.tei
                    ),
                ));
            }
            // a bibliography's format and CSL style (hayagriva's archive)
            match (&r.format, &r.style) {
                (Some(f), _) if f != "hayagriva" => diags.push(sm.error(
                    at,
                    format!("register `{}`: unknown bibliography format `{f}` (the format is `hayagriva`)", r.id),
                )),
                (None, Some(_)) => diags.push(sm.error(
                    at,
                    format!("register `{}`: a `style` needs a bibliography `format`", r.id),
                )),
                (Some(_), Some(s)) if hayagriva::archive::ArchivedStyle::by_name(s).is_none() => {
                    diags.push(sm.error(
                        at,
                        format!(
                            "register `{}`: unknown bibliography style `{s}` (for instance \
                             chicago-author-date, chicago-notes, modern-language-association)",
                            r.id
                        ),
                    ))
                }
                _ => {}
            }
            if !ids.insert(r.id.clone()) {
                diags.push(sm.error(at, format!("duplicate register id `{}`", r.id)));
            }
            if !pages.insert(r.page_rel()) {
                diags.push(sm.error(
                    at,
                    format!(
                        "register `{}`: page `{}` is already another register's index",
                        r.id,
                        r.page_rel()
                    ),
                ));
            }
        }
    }
}

/// Byte offset of the next line `key = …` at or after `from`.
fn find_key_from(text: &str, from: usize, key: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if start < from {
            continue;
        }
        let l = line.trim_start();
        if l.split('=').next().unwrap_or("").trim() == key && l.contains('=') {
            return Some(start + (line.len() - l.len()));
        }
    }
    None
}

/// Byte offset of `key = …` in site.toml (in table `[table]` if given), for
/// diagnostics; 0 if not found.
fn key_offset(text: &str, table: Option<&str>, key: &str) -> usize {
    let mut current: Option<&str> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let l = line.trim();
        if let Some(name) = l.strip_prefix('[').and_then(|r| r.split(']').next()) {
            current = Some(name.trim());
        } else if current == table {
            let k = l.split('=').next().unwrap_or("").trim().trim_matches('"');
            if k == key {
                return offset + (line.len() - line.trim_start().len());
            }
        }
        offset += line.len();
    }
    0
}

/// What a broken link is (`broken_links` in site.toml).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    Error,
    Warning,
}

/// A CSL style of the « Cite » box (`citation_styles` in `site.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CitationStyle {
    /// The Chicago Manual of Style, notes and bibliography (its bibliography
    /// entry).
    Chicago,
    /// The MLA Handbook.
    Mla,
}

impl CitationStyle {
    /// The styles of the box when `site.toml` names none.
    pub fn defaults() -> Vec<CitationStyle> {
        vec![CitationStyle::Chicago, CitationStyle::Mla]
    }

    pub(crate) fn id(self) -> &'static str {
        match self {
            CitationStyle::Chicago => "chicago",
            CitationStyle::Mla => "mla",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            CitationStyle::Chicago => "Chicago",
            CitationStyle::Mla => "MLA",
        }
    }

    /// Whether the box gives the style's full note rather than its
    /// bibliography entry: Chicago's notes-and-bibliography style, whose
    /// note is what a reader copies into a footnote (and whose bibliography
    /// entry of an unsigned newspaper article, as hayagriva 0.10 renders it,
    /// sets the article's title in italics). MLA has only its list of works
    /// cited.
    pub(crate) fn note_form(self) -> bool {
        matches!(self, CitationStyle::Chicago)
    }

    /// The style's name in hayagriva's archive of bundled CSL styles.
    pub(crate) fn csl_name(self) -> &'static str {
        match self {
            CitationStyle::Chicago => "chicago-notes",
            CitationStyle::Mla => "modern-language-association",
        }
    }
}
