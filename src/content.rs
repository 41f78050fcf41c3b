//! load: `content/**/*.md` → [`Page`]s (front matter split and typed), and the
//! person register `content/persons.toml` → [`Person`]s. Walks are sorted so that
//! everything downstream is deterministic.

use crate::diagnostics::{Diagnostics, SourceMap};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use toml::Spanned;
use walkdir::WalkDir;

/// Bibliographic description of a text's source.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub container: String,
    #[serde(default)]
    pub publisher: String,
    #[serde(default)]
    pub place: String,
    #[serde(default, deserialize_with = "string_or_date")]
    pub year: String,
    #[serde(default, deserialize_with = "string_or_date")]
    pub date: String,
    #[serde(default)]
    pub pages: String,
    #[serde(default)]
    pub chapter: String,
    #[serde(default)]
    pub lang: String,
    #[serde(default)]
    pub note: String,
}

/// What a page is: an edition text (numbered paragraphs, apparatus, citation)
/// or an editorial page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Text,
    #[default]
    Page,
}

/// A page's front matter. Unknown keys are an error.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    #[serde(default)]
    pub author: String,
    #[serde(default, deserialize_with = "string_or_date")]
    pub date: String,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub weight: i64,
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub kind: Kind,
    #[serde(default)]
    pub translation_of: Option<String>,
    #[serde(default)]
    pub source: Option<Source>,
    /// The base witness this text transcribes (see `collate`).
    #[serde(default)]
    pub witness: Option<crate::witness::WitnessRef>,
    /// The label of a note called from the title (`title_note = "*"`), as
    /// a print calls a document's source note on its heading.
    #[serde(default)]
    pub title_note: Option<String>,
    #[serde(default)]
    pub extra: toml::Table,
}

/// One content file, split into front matter and Markdown body.
#[derive(Debug, Clone)]
pub struct Page {
    /// The file, relative to the site root (`content/a/b.md`).
    pub src: SourceMap,
    /// Path inside `content/` without extension (`a/b`, `a/_index`, `_index`).
    pub rel: String,
    /// Site-absolute URL (`/a/b/`, `/a/`, `/`).
    pub url: String,
    /// `_index.md`: a section page listing the pages of its folder.
    pub is_section: bool,
    pub front: FrontMatter,
    /// Byte offset of the Markdown body in `src.text`.
    pub body_start: usize,
    /// Byte offset of the `template = …` value, for error positions.
    pub template_offset: usize,
}

impl Page {
    /// The Markdown body (unpacked if the source is packed).
    pub fn body(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match self.src.text() {
            Cow::Borrowed(t) => Cow::Borrowed(t.get(self.body_start..).unwrap_or_default()),
            // (the unpacked text itself, its front matter cut off)
            Cow::Owned(mut t) => {
                if t.is_char_boundary(self.body_start) {
                    t.drain(..self.body_start);
                } else {
                    t.clear();
                }
                Cow::Owned(t)
            }
        }
    }

    /// The folder whose section lists this page (`` for the root).
    pub fn parent_section(&self) -> String {
        let folder = match self.rel.rfind('/') {
            Some(i) => &self.rel[..i],
            None => "",
        };
        if self.is_section {
            // a section belongs to the section above it
            match folder.rfind('/') {
                Some(i) => folder[..i].to_string(),
                None if folder.is_empty() => String::from("\u{0}none"),
                None => String::new(),
            }
        } else {
            folder.to_string()
        }
    }

    pub fn section_folder(&self) -> &str {
        match self.rel.rfind('/') {
            Some(i) => &self.rel[..i],
            None => "",
        }
    }
}

/// A register entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub id: Spanned<String>,
    pub name: String,
    pub sort: String,
    #[serde(default)]
    pub born: Option<String>,
    #[serde(default)]
    pub died: Option<String>,
    #[serde(default)]
    pub description: Localized,
    #[serde(default)]
    pub variants: Vec<String>,
    #[serde(default)]
    pub pseudonyms: Vec<String>,
    #[serde(default)]
    pub remark: Option<Localized>,
    /// Printed forms whose identification with this person is a conjecture.
    #[serde(default)]
    pub conjecture: Option<Conjecture>,
    /// The language of the name (a register entry's `lang`: a title or a
    /// name kept in its language in every text, such as *Amauta*, `qu`);
    /// not read from `persons.toml`.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// A work's bibliographic parts (an entry of a bibliography register),
    /// for its TEI `bibl`; not read from a register file.
    #[serde(skip)]
    pub bibl: Option<Box<Bibl>>,
}

/// A work's bibliographic parts as its bibliography gives them: what the
/// TEI `bibl` of the entry carries besides its title.
#[derive(Debug, Clone, Default)]
pub struct Bibl {
    /// `a` (an article, a chapter: part of another work) or `m`.
    pub level: &'static str,
    /// "Family, Given", in order.
    pub authors: Vec<String>,
    pub editors: Vec<String>,
    /// The work it is part of: its title and level (`j` a periodical, `m`).
    pub container: Option<(String, &'static str)>,
    /// The date as written (`1928`, `1927-08-15`), ISO 8601.
    pub date: Option<String>,
    pub place: Option<String>,
    pub publisher: Option<String>,
    /// `volume`, `issue`, `page`: as the bibliography writes them.
    pub scope: Vec<(&'static str, String)>,
}

/// A conjectural identification: which forms, whose conjecture, and where
/// it is argued (a site-absolute link, e.g. `/text/#p-2`).
#[derive(Debug, Clone, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conjecture {
    pub forms: Vec<String>,
    pub by: String,
    #[serde(default)]
    pub argued: Option<String>,
}

/// A printed form as a mention writes it, without what surrounds the name:
/// quotation marks (`"Pierre"`, `« Pierre »`), emphasis marks, spaces.
pub fn bare_form(written: &str) -> &str {
    written.trim_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '"' | '\'' | '«' | '»' | '“' | '”' | '‘' | '’' | '„' | '*' | '_'
            )
    })
}

impl Person {
    /// What a printed form is of this person: `"pseudonym"`, `"variant"`,
    /// or `None` (its name, or a form the register does not list).
    pub fn form_kind(&self, written: &str) -> Option<&'static str> {
        let f = bare_form(written);
        if self.pseudonyms.iter().any(|p| p == f) {
            Some("pseudonym")
        } else if self.variants.iter().any(|v| v == f) {
            Some("variant")
        } else {
            None
        }
    }

    /// The conjecture that identifies a printed form with this person, if
    /// the form is one the register marks as conjectural.
    pub fn conjecture_for(&self, written: &str) -> Option<&Conjecture> {
        let f = bare_form(written);
        self.conjecture
            .as_ref()
            .filter(|c| c.forms.iter().any(|x| x == f))
    }
}

/// A text of the register in one or more languages: a string (in the
/// edition's language), or a table keyed by BCP 47 tags
/// (`{ fr = "…", es = "…", de = "…" }`), in the order written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Localized(pub Vec<(String, String)>);

impl Localized {
    /// The text for a page in `lang`, with its tag: the exact tag, else the same primary
    /// subtag (`es-CU` → `es`, or `es-ES` for `es`), else the same for the
    /// edition's language `default`, else the first one written. A string
    /// without tag counts as `default`'s. `None` when there is no text.
    pub fn choose<'a>(&'a self, lang: &str, default: &'a str) -> Option<(&'a str, &'a str)> {
        let tag_of = |k: &str| if k.is_empty() { default } else { k }.to_ascii_lowercase();
        let primary = |t: &str| t.split('-').next().unwrap_or(t).to_string();
        let find = |want: &str| {
            let want = want.to_ascii_lowercase();
            self.0.iter().find(|(k, _)| tag_of(k) == want).or_else(|| {
                self.0
                    .iter()
                    .find(|(k, _)| primary(&tag_of(k)) == primary(&want))
            })
        };
        find(lang)
            .or_else(|| find(default))
            .or_else(|| self.0.first())
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (if k.is_empty() { default } else { k.as_str() }, v.as_str()))
    }
}

impl<'de> Deserialize<'de> for Localized {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Localized;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, or a table of strings keyed by language tags")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Localized, E> {
                Ok(Localized(vec![(String::new(), v.to_string())]))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Localized, A::Error> {
                let mut v = Vec::new();
                while let Some((k, text)) = map.next_entry::<String, String>()? {
                    if !crate::lang::is_known(&k) {
                        return Err(serde::de::Error::custom(format!(
                            "unknown language tag `{k}`"
                        )));
                    }
                    v.push((k, text));
                }
                Ok(Localized(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// A date written as a string (`"1895-05-18"`, `"1895"`), a TOML date
/// (`1895-05-18`) or a year (`1895`), as a string.
fn string_or_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a date (1895-05-18 or \"1895-05-18\") or a year")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<String, A::Error> {
            let date = toml::value::Datetime::deserialize(
                serde::de::value::MapAccessDeserializer::new(map),
            )?;
            Ok(date.to_string())
        }
    }
    d.deserialize_any(V)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterFile {
    #[serde(default)]
    person: Vec<Person>,
}

/// The person register with its source, for positions.
#[derive(Debug, Clone, Default)]
pub struct Register {
    pub persons: Vec<Person>,
    pub src: Option<SourceMap>,
    /// A register file could not be read or parsed (its error is reported):
    /// the checks that depend on the register (unknown ids, unused entries)
    /// would only repeat that one failure, and are skipped.
    pub failed: bool,
}

/// Everything read from disk.
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub pages: Vec<Page>,
    pub register: Register,
}

/// Reads a file as UTF-8, reporting unreadable files and invalid bytes.
pub fn read_text(root: &Path, rel: &Path, diags: &mut Diagnostics) -> Option<SourceMap> {
    if link_leaves_root(root, &root.join(rel)) {
        diags.file_error(rel, LINK_OUTSIDE);
        return None;
    }
    let bytes = match std::fs::read(root.join(rel)) {
        Ok(b) => b,
        Err(e) => {
            diags.file_error(rel, format!("cannot read file: {e}"));
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(t) => Some(SourceMap::new(rel, crate::text::replace_nul(t))),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let sm = SourceMap::new(rel, String::from_utf8_lossy(e.as_bytes()).into_owned());
            diags.push(sm.error(at, "file is not valid UTF-8"));
            None
        }
    }
}

/// The files of `content/`, in path order: pages (`.md`) and the register.
#[derive(Debug, Clone, Default)]
pub struct Walked {
    /// Every `.md` file, relative to the site root.
    pub pages: Vec<PathBuf>,
    /// `persons.toml` files, relative to the site root.
    pub registers: Vec<PathBuf>,
    /// Every other file but hidden ones (`.DS_Store`, editors' swap
    /// files), relative to the site root: page bundles' files, and the
    /// declared registers' (see [`crate::bundle`]).
    pub bundled: Vec<PathBuf>,
}

/// The message for a symbolic link whose target is outside the edition root.
pub const LINK_OUTSIDE: &str = "symbolic link leads outside the edition root; \
     copy the file into the edition, or point the link inside it";

/// Whether `path` is a symbolic link whose target, resolved and canonicalised,
/// lies outside the edition `root`. A broken link is not (reading it fails
/// and is reported as such); the target is never read.
pub fn link_leaves_root(root: &Path, path: &Path) -> bool {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return false;
    }
    let Ok(target) = path.canonicalize() else {
        return false;
    };
    match root.canonicalize() {
        Ok(root) => !target.starts_with(root),
        Err(_) => true,
    }
}

/// Walks `root/dir` in name order, following symbolic links that stay inside
/// the edition root, and gives every regular file to `file` with its path
/// relative to the root. Links that lead outside the root (their target is
/// never read), link loops, unreadable entries and names that are not UTF-8
/// are reported against the entry's own path.
pub fn walk_files(
    root: &Path,
    dir: &str,
    diags: &mut Diagnostics,
    mut file: impl FnMut(&walkdir::DirEntry, PathBuf),
) {
    let top = root.join(dir);
    let canon_root = root.canonicalize().ok();
    let mut walker = WalkDir::new(&top)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .and_then(|p| p.strip_prefix(root).ok())
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| PathBuf::from(dir));
                let msg = if e.loop_ancestor().is_some() {
                    "symbolic link loop".to_string()
                } else if let Some(io) = e.io_error() {
                    // the walker's message repeats the (absolute) path
                    format!("cannot read: {io}")
                } else {
                    format!("cannot read: {e}")
                };
                diags.file_error(&path, msg);
                continue;
            }
        };
        let rel = entry
            .path()
            .strip_prefix(root)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| entry.path().to_path_buf());
        if entry.path_is_symlink() {
            let inside = match (&canon_root, entry.path().canonicalize()) {
                (Some(r), Ok(t)) => t.starts_with(r),
                _ => false,
            };
            if !inside {
                diags.file_error(&rel, LINK_OUTSIDE);
                if entry.file_type().is_dir() {
                    walker.skip_current_dir();
                }
                continue;
            }
        }
        if rel.to_str().is_none() {
            diags.file_error(
                &rel,
                "file name is not valid UTF-8: rename the file or folder",
            );
            if entry.file_type().is_dir() {
                walker.skip_current_dir();
            }
            continue;
        }
        if entry.file_type().is_file() {
            file(&entry, rel);
        }
    }
}

/// Walks `content/` (sorted, following links that stay inside the edition
/// root, see [`walk_files`]). `None` when there is no `content/` folder.
pub fn walk(root: &Path, diags: &mut Diagnostics) -> Option<Walked> {
    let content_dir = root.join("content");
    if !content_dir.is_dir() {
        diags.file_error(Path::new("content"), "no content/ folder");
        return None;
    }
    let mut walked = Walked::default();
    walk_files(root, "content", diags, |_, rel| {
        match rel.extension().and_then(|e| e.to_str()) {
            Some("md") => walked.pages.push(rel),
            Some("toml") if rel.file_name().and_then(|n| n.to_str()) == Some("persons.toml") => {
                walked.registers.push(rel)
            }
            _ => {
                let hidden = rel
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'));
                if !hidden {
                    walked.bundled.push(rel);
                }
            }
        }
    });
    Some(walked)
}

/// Reads the register files found by [`walk`].
pub fn load_registers(root: &Path, walked: &Walked, diags: &mut Diagnostics) -> Register {
    let mut register = Register::default();
    for rel in &walked.registers {
        load_register(root, rel, &mut register, diags);
    }
    register
}

/// Walks `content/` and reads every page (in parallel) and the register.
pub fn load(root: &Path, include_drafts: bool, diags: &mut Diagnostics) -> Content {
    use rayon::prelude::*;
    let Some(walked) = walk(root, diags) else {
        return Content::default();
    };
    let loaded: Vec<(Option<Page>, Diagnostics)> = walked
        .pages
        .par_iter()
        .map(|rel| {
            let mut d = Diagnostics::default();
            let page = load_page(root, rel, &mut d).filter(|p| !p.front.draft || include_drafts);
            (page, d)
        })
        .collect();
    let mut content = Content::default();
    for (page, d) in loaded {
        diags.extend(d);
        content.pages.extend(page);
    }
    content.register = load_registers(root, &walked, diags);
    content
}

/// A register id: lowercase ASCII letters, digits and hyphens, not empty.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn load_register(root: &Path, rel: &Path, reg: &mut Register, diags: &mut Diagnostics) {
    let Some(sm) = read_text(root, rel, diags) else {
        reg.failed = true;
        return;
    };
    match toml::from_str::<RegisterFile>(&sm.text()) {
        Ok(file) => {
            for p in &file.person {
                let id = p.id.get_ref();
                if !valid_id(id) {
                    diags.push(sm.error(
                        p.id.span().start,
                        format!(
                            "person id `{id}` must be lowercase ASCII letters, digits and hyphens"
                        ),
                    ));
                }
                if p.sort.trim().is_empty() {
                    diags.push(sm.error(
                        p.id.span().start,
                        format!("person `{id}` has an empty sort key"),
                    ));
                }
                if let Some(c) = &p.conjecture {
                    for f in &c.forms {
                        if !p.pseudonyms.contains(f) && !p.variants.contains(f) {
                            diags.push(sm.error(
                                p.id.span().start,
                                format!(
                                    "person `{id}`: conjectural form `{f}` is not one of its pseudonyms or variants"
                                ),
                            ));
                        }
                    }
                    if c.by.trim().is_empty()
                        || c.argued.as_ref().is_some_and(|a| !a.starts_with('/'))
                    {
                        diags.push(sm.error(
                            p.id.span().start,
                            format!(
                                "person `{id}`: a conjecture needs `by` (whose it is) and, for `argued`, a site-absolute link such as `/text/#p-2`"
                            ),
                        ));
                    }
                }
            }
            reg.persons.extend(file.person);
        }
        Err(e) => {
            let at = e.span().map(|s| s.start).unwrap_or(0);
            diags.push(sm.error(at, crate::diagnostics::toml_message(&e)));
            reg.failed = true;
        }
    }
    reg.src = Some(sm);
}

/// Percent-encodes a URL path: every byte outside the RFC 3986 unreserved
/// set (`A-Z a-z 0-9 - . _ ~`) and `/` becomes `%XX` (upper-case hex; non-ASCII
/// letters are encoded as their UTF-8 bytes, as Hugo does). The result holds
/// nothing that HTML or XML would need to escape.
pub fn encode_url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The inverse of [`encode_url_path`]: `%XX` → byte. A `%` not followed by two
/// hex digits is kept as it is; invalid UTF-8 is replaced (never produced by
/// [`encode_url_path`]).
pub fn decode_url_path(url: &str) -> String {
    if !url.contains('%') {
        return url.to_string();
    }
    let b = url.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Why a file or folder name cannot be a URL path segment, if it cannot.
fn bad_segment(seg: &str) -> Option<String> {
    if seg == "." || seg == ".." {
        return Some(format!("`{seg}` cannot be a URL path segment"));
    }
    if seg.contains('\\') {
        return Some("a backslash cannot be part of a URL path segment".into());
    }
    if let Some(c) = seg.chars().find(|c| c.is_control()) {
        return Some(format!(
            "the control character {:?} cannot be part of a URL path segment",
            c
        ));
    }
    None
}

/// The page's path inside `content/` without extension (`a/b`, `a/_index`),
/// from its file, or why its name cannot give a URL.
fn rel_of(path: &Path) -> Result<String, String> {
    let inner = path.strip_prefix("content").unwrap_or(path);
    let names: Vec<&std::ffi::OsStr> = inner
        .components()
        .map(|c| match c {
            std::path::Component::Normal(n) => Ok(n),
            _ => Err(()),
        })
        .collect::<Result<_, _>>()
        .map_err(|()| "file name cannot become a URL: rename the file".to_string())?;
    let last = names.len().saturating_sub(1);
    let mut segs = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        // the file's name without its extension (`..md` → `.`)
        let name = if i == last {
            Path::new(name).file_stem().unwrap_or(name)
        } else {
            name
        };
        let Some(seg) = name.to_str() else {
            return Err("file name is not valid UTF-8: rename the file".into());
        };
        if let Some(why) = bad_segment(seg) {
            return Err(format!(
                "file name cannot become a URL: {why}; rename the file"
            ));
        }
        segs.push(seg);
    }
    if segs.is_empty() {
        return Err("file name cannot become a URL: rename the file".into());
    }
    Ok(segs.join("/"))
}

/// The URL rule: a page's URL is its path inside `content/` without extension,
/// between slashes (`a/_index` → `/a/`, `_index` → `/`), percent-encoded by
/// [`encode_url_path`]. The output file keeps the real name
/// (`a b/index.html` for `/a%20b/`).
pub fn url_for(rel: &str) -> (String, bool) {
    if rel == "_index" {
        return ("/".into(), true);
    }
    if let Some(folder) = rel.strip_suffix("/_index") {
        return (format!("/{}/", encode_url_path(folder)), true);
    }
    (format!("/{}/", encode_url_path(rel)), false)
}

/// Splits `+++` front matter from the body and types it.
pub fn load_page(root: &Path, rel: &Path, diags: &mut Diagnostics) -> Option<Page> {
    let sm = read_text(root, rel, diags)?;
    parse_page(sm, diags)
}

/// The same as [`load_page`] on text already read.
pub fn parse_page(sm: SourceMap, diags: &mut Diagnostics) -> Option<Page> {
    let rel_str = match rel_of(&sm.path) {
        Ok(r) => r,
        Err(why) => {
            diags.file_error(&sm.path, why);
            return None;
        }
    };
    let text = &sm.text();
    if text.trim().is_empty() {
        diags.push(sm.error(
            0,
            "empty file: a page starts with `+++` front matter giving at least a title",
        ));
        return None;
    }
    let body_text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = text.len() - body_text.len();
    let first_line_end = body_text.find('\n').unwrap_or(body_text.len());
    if body_text[..first_line_end].trim_end() != "+++" {
        diags.push(sm.error(bom, "expected `+++` front matter on the first line"));
        return None;
    }
    let fm_start = bom + first_line_end + 1;
    // find the closing +++ line
    let mut pos = fm_start.min(text.len());
    let mut close = None;
    while pos < text.len() {
        let end = text[pos..]
            .find('\n')
            .map(|i| pos + i)
            .unwrap_or(text.len());
        if text[pos..end].trim_end() == "+++" {
            close = Some((pos, (end + 1).min(text.len())));
            break;
        }
        pos = end + 1;
    }
    let Some((fm_end, body_start)) = close else {
        diags.push(sm.error(
            bom,
            "front matter is never closed: add a `+++` line after it",
        ));
        return None;
    };
    let fm_text = &text[fm_start..fm_end];
    let mut front: FrontMatter = match toml::from_str(fm_text) {
        Ok(f) => f,
        Err(e) => {
            let at = fm_start + e.span().map(|s| s.start).unwrap_or(0);
            diags.push(sm.error(at, crate::diagnostics::toml_message(&e)));
            return None;
        }
    };
    // typographic apostrophes in what is displayed, as smart punctuation does in bodies
    for field in [
        &mut front.title,
        &mut front.subtitle,
        &mut front.description,
    ] {
        *field = field.replace('\'', "’");
    }
    // a stray `+++` line in the body is almost always a broken front matter
    let mut ok = true;
    let mut p = body_start;
    let mut in_fence = false;
    while p < text.len() {
        let end = text[p..].find('\n').map(|i| p + i).unwrap_or(text.len());
        let line = text[p..end].trim_end();
        if line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~") {
            in_fence = !in_fence;
        }
        // (a `+++` paragraph of ordinary text is allowed: only one followed
        // by what looks like front matter, `key = …` or `[table]`, is refused)
        if line == "+++" && !in_fence && front_matter_follows(&text[end.min(text.len())..]) {
            diags.push(sm.error(
                p,
                "`+++` inside the body: front matter was already closed above; remove this line or merge the two blocks",
            ));
            ok = false;
        }
        p = end + 1;
    }
    if let Some(lang) = &front.lang {
        if !crate::lang::is_known(lang) {
            let at = fm_text
                .find("lang")
                .map(|i| fm_start + i)
                .unwrap_or(fm_start);
            diags.push(sm.error(at, format!("unknown language tag `{lang}`")));
        }
    }
    if front.title.trim().is_empty() {
        diags.push(sm.error(fm_start, "front matter needs a non-empty `title`"));
        ok = false;
    }
    let template_offset = fm_text
        .find("template")
        .map(|i| fm_start + i)
        .unwrap_or(fm_start);
    let (url, is_section) = url_for(&rel_str);
    if !ok {
        return None;
    }
    Some(Page {
        rel: rel_str,
        url,
        is_section,
        front,
        body_start,
        template_offset,
        src: sm,
    })
}

/// Whether the first non-blank line of `rest` looks like TOML front matter.
fn front_matter_follows(rest: &str) -> bool {
    let Some(line) = rest.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return false;
    };
    if line.starts_with('[') && line.ends_with(']') {
        return true;
    }
    match line.split_once('=') {
        Some((key, _)) => {
            let key = key.trim();
            !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        }
        None => false,
    }
}
