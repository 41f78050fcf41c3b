//! The internal link check, run by `check` and `build` once the edition is
//! resolved: every link written in content (Markdown links and images, see
//! [`crate::markup::LinkRef`]) to a page (`/x/`, `../x/`, `@/x.md`), to a
//! file (`static/`, the theme's files, the generated ones) or to a fragment
//! (`#p-3`, a heading, a note, a mention, an emendation, a person of the
//! index) must lead somewhere in the built site. A broken one is an error at
//! the link's position, with the nearest target when one is close.
//!
//! Links with a scheme (`https:`, `mailto:`) or to another host (`//x`) are
//! not looked at here.

use crate::config::Config;
use crate::content::{decode_url_path, Kind};
use crate::diagnostics::Diagnostics;
use crate::edition::{Edition, IndexLine};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::path::Path;

pub use crate::config::Level;

/// Ids written by the built-in templates around a page's body.
const TEMPLATE_IDS: &[&str] = &[
    "main",
    "apparatus",
    "apparatus-title",
    "cite",
    "cite-chicago",
    "cite-mla",
    "cite-title",
    "contents",
    "contents-title",
    "index-title",
    "source-title",
    "text-title",
];

/// What a site path leads to.
enum Target<'s> {
    /// A page, with the ids of its body.
    Page(&'s HashSet<String>),
    /// A page whose ids are not known here (a text's source view).
    Opaque,
    /// A file.
    File,
}

/// What the link check keeps from one run to the next (a serve session):
/// the map of the site's paths, and every page's problems, reused while the
/// pages' paths, their ids and the site's files stay the same (a word
/// changed in one page checks that page's links alone).
#[derive(Default)]
pub struct LinkCache {
    /// [`site_key`] of `map`.
    site_key: u64,
    map: Option<SiteMap>,
    /// `site_key` with every page's ids: `problems` hold while it does.
    ids_key: u64,
    /// Each page's problems, by its [`Entry::hash`](crate::edition::Entry::hash).
    problems: HashMap<u64, Vec<crate::diagnostics::Diagnostic>>,
}

/// Checks every internal link of the edition's pages, reusing what
/// `cache` holds from an earlier run (a fresh cache: a whole check).
/// `bundled`: the files beside the pages in `content/`
/// ([`crate::content::Walked::bundled`]).
pub fn check_with(
    root: &Path,
    config: &Config,
    ed: &Edition,
    bundled: &[std::path::PathBuf],
    diags: &mut Diagnostics,
    cache: &mut LinkCache,
) {
    // ids the edition's own templates write literally (`id="x"`)
    let template_ids = template_ids(root);
    let persons_url = format!("/{}/", config.persons_page.trim_matches('/'));
    let person_ids: Vec<String> = ed
        .index
        .iter()
        .filter_map(|l| match l {
            IndexLine::Person(p) => Some(p.id.clone()),
            IndexLine::Xref(_) => None,
        })
        .collect();
    // the entries of the other registers, on their index pages
    let register_ids: HashMap<String, Vec<String>> = ed
        .registers
        .iter()
        .map(|r| {
            (
                r.decl.url(),
                r.entries.iter().map(|e| e.id.get_ref().clone()).collect(),
            )
        })
        .collect();
    let files = site_files(root, bundled);
    let ids = IdSets {
        ed,
        persons_url: &persons_url,
        persons: &person_ids,
        registers: &register_ids,
        templates: &template_ids,
        sets: (0..ed.entries.len()).map(|_| OnceCell::new()).collect(),
    };
    let key = site_key(config, &ids, &files);
    let ids_key = crate::hash::hash_of(&(
        key,
        ed.entries.iter().map(|e| e.ids_hash).collect::<Vec<_>>(),
    ));
    let kept = cache.map.is_some() && cache.site_key == key;
    let mut old = match kept && cache.ids_key == ids_key {
        true => std::mem::take(&mut cache.problems),
        false => HashMap::new(),
    };
    let map = match cache.map.take().filter(|_| kept) {
        Some(map) => map,
        None => SiteMap::new(ed, files),
    };
    let site = Site {
        map: &map,
        ids: &ids,
    };
    let mut problems = HashMap::with_capacity(ed.entries.len());
    for e in &ed.entries {
        let found = match old.remove(&e.hash) {
            Some(found) => found,
            None => check_page(e, &site, config),
        };
        for d in &found {
            diags.push(d.clone());
        }
        problems.insert(e.hash, found);
    }
    *cache = LinkCache {
        site_key: key,
        map: Some(map),
        ids_key,
        problems,
    };
}

/// A hash of everything but the pages' bodies that a link's verdict
/// depends on: each page's URL, source path, kind and views, the site's
/// files, the ids the templates and the registers add, the setting.
fn site_key(config: &Config, ids: &IdSets, files: &BTreeSet<String>) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = crate::hash::FINGERPRINTS.build_hasher();
    (config.broken_links == Level::Error).hash(&mut h);
    (ids.persons_url, ids.persons, ids.templates).hash(&mut h);
    let mut registers: Vec<_> = ids.registers.iter().collect();
    registers.sort();
    registers.hash(&mut h);
    files.hash(&mut h);
    for e in &ids.ed.entries {
        let page = &e.page;
        (&page.url, &page.src.path, page.front.kind).hash(&mut h);
        let views = (
            page.front.translation_of.is_some(),
            page.front.witness.is_some(),
        );
        views.hash(&mut h);
    }
    h.finish()
}

/// The problems of one page's links.
fn check_page(
    e: &crate::edition::Entry,
    site: &Site,
    config: &Config,
) -> Vec<crate::diagnostics::Diagnostic> {
    let by_path = &site.map.by_path;
    let page_url = decode_url_path(&e.page.url);
    let mut found = Vec::new();
    for link in &e.doc.links {
        let Some(problem) = check_link(link, &page_url, by_path, site) else {
            continue;
        };
        let message = match problem {
            Problem::NoTarget { path } => {
                let near = nearest(
                    &path,
                    site.map
                        .pages
                        .keys()
                        .chain(site.map.files.iter())
                        .map(String::as_str),
                );
                let near = match near {
                    Some(n) => format!(" (did you mean `{n}`?)"),
                    None => String::new(),
                };
                if site.map.pages.contains_key(&format!("{path}/")) {
                    format!(
                        "broken link `{}`: a page's URL ends with a slash, write `{path}/`",
                        link.written
                    )
                } else {
                    format!(
                        "broken link `{}`: no page or file at `{path}`{near}",
                        link.written
                    )
                }
            }
            Problem::NoPage { path } => {
                let near = nearest(&path, by_path.keys().map(String::as_str));
                let near = match near {
                    Some(n) => {
                        format!(" (did you mean `@/{}`?)", n.trim_start_matches("content/"))
                    }
                    None => String::new(),
                };
                format!(
                    "broken link `{}`: there is no page `{path}`{near}",
                    link.written
                )
            }
            Problem::NoFragment {
                path,
                fragment,
                known,
            } => {
                let near = nearest(&fragment, known.iter().map(String::as_str));
                let near = match near {
                    Some(n) => format!(" (did you mean `#{n}`?)"),
                    None => String::new(),
                };
                format!(
                    "broken link `{}`: the page `{path}` has no anchor `#{fragment}`{near}",
                    link.written
                )
            }
            Problem::Outside => format!(
                "broken link `{}`: it leads above the site's root",
                link.written
            ),
        };
        found.push(match config.broken_links {
            Level::Error => e.page.src.error(link.offset, message),
            Level::Warning => e.page.src.warning(link.offset, message),
        });
    }
    found
}

/// The ids of each page, gathered the first time a link needs them.
struct IdSets<'e> {
    ed: &'e Edition,
    persons_url: &'e str,
    persons: &'e [String],
    /// Index page URL → the entries of that register.
    registers: &'e HashMap<String, Vec<String>>,
    templates: &'e [String],
    sets: Vec<OnceCell<HashSet<String>>>,
}

impl IdSets<'_> {
    fn get(&self, i: usize) -> Option<&HashSet<String>> {
        let e = self.ed.entries.get(i)?;
        let set = self.sets.get(i)?.get_or_init(|| {
            let mut set: HashSet<String> = e.document().ids().into_iter().collect();
            set.extend(TEMPLATE_IDS.iter().map(|s| s.to_string()));
            set.extend(self.templates.iter().cloned());
            let persons = if e.page.url == self.persons_url {
                self.persons
            } else {
                self.registers
                    .get(&e.page.url)
                    .map_or(&[][..], Vec::as_slice)
            };
            set.extend(persons.iter().cloned());
            set
        });
        Some(set)
    }
}

/// The built site's paths, as far as links go: made from the pages' URLs,
/// paths and kinds and the site's files, not from their bodies.
struct SiteMap {
    /// Page URL (decoded) → the entry whose page it is.
    pages: HashMap<String, usize>,
    /// Pages whose ids are not known here.
    opaque: HashSet<String>,
    /// Files that are not pages.
    files: BTreeSet<String>,
    /// Content path (`content/a/b.md`) → page URL.
    by_path: HashMap<String, String>,
}

impl SiteMap {
    fn new(ed: &Edition, files: BTreeSet<String>) -> SiteMap {
        let mut pages = HashMap::with_capacity(ed.entries.len());
        let mut opaque: HashSet<String> = HashSet::new();
        let mut by_path = HashMap::with_capacity(ed.entries.len());
        for (i, e) in ed.entries.iter().enumerate() {
            let url = decode_url_path(&e.page.url);
            // the collation page, when a text names its witness
            if e.page.front.witness.is_some() {
                opaque.insert("/collation/".to_string());
            }
            if e.page.front.kind == Kind::Text {
                opaque.insert(format!("{url}source/"));
                // a translated text's side-by-side view
                if e.page.front.translation_of.is_some() {
                    opaque.insert(format!("{url}{}", crate::translation::PARALLEL_DIR));
                }
            }
            by_path.insert(
                e.page.src.path.to_string_lossy().replace('\\', "/"),
                url.clone(),
            );
            pages.insert(url, i);
        }
        SiteMap {
            pages,
            opaque,
            files,
            by_path,
        }
    }
}

/// The site map with this run's pages' ids.
struct Site<'s> {
    map: &'s SiteMap,
    ids: &'s IdSets<'s>,
}

impl Site<'_> {
    /// What a site path (decoded, normalised) leads to.
    fn resolve(&self, path: &str) -> Option<Target<'_>> {
        let page = if path.ends_with('/') {
            Some(path.to_string())
        } else {
            path.strip_suffix("index.html").map(str::to_string)
        };
        if let Some(p) = &page {
            if let Some(&i) = self.map.pages.get(p) {
                return self.ids.get(i).map(Target::Page);
            }
            if self.map.opaque.contains(p) {
                return Some(Target::Opaque);
            }
        }
        if self.map.files.contains(path) {
            return Some(Target::File);
        }
        None
    }
}

enum Problem {
    NoTarget {
        path: String,
    },
    NoPage {
        path: String,
    },
    NoFragment {
        path: String,
        fragment: String,
        known: Vec<String>,
    },
    Outside,
}

fn check_link(
    link: &crate::markup::LinkRef,
    page_url: &str,
    by_path: &HashMap<String, String>,
    site: &Site,
) -> Option<Problem> {
    let url = link.url.trim();
    if url.is_empty() || url.starts_with("//") || has_scheme(url) {
        return None;
    }
    if let Some(rest) = link.written.trim().strip_prefix("@/") {
        let file = rest.split(['#', '?']).next().unwrap_or(rest);
        let path = format!("content/{}", decode_url_path(file));
        if !by_path.contains_key(&path) {
            return Some(Problem::NoPage { path });
        }
    }
    let (before, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let path = before.split('?').next().unwrap_or(before);
    let path = if path.is_empty() {
        page_url.to_string()
    } else {
        let joined = if path.starts_with('/') {
            path.to_string()
        } else {
            let dir = &page_url[..page_url.rfind('/').map(|i| i + 1).unwrap_or(0)];
            format!("{dir}{path}")
        };
        match normalize(&decode_url_path(&joined)) {
            Some(p) => p,
            None => return Some(Problem::Outside),
        }
    };
    let target = match site.resolve(&path) {
        Some(t) => t,
        None => return Some(Problem::NoTarget { path }),
    };
    let (Some(fragment), Target::Page(known)) = (fragment, target) else {
        return None;
    };
    let fragment = decode_url_path(fragment);
    if fragment.is_empty() || known.contains(&fragment) || fragment.starts_with("letter-") {
        return None;
    }
    let mut known: Vec<String> = known.iter().cloned().collect();
    known.sort();
    Some(Problem::NoFragment {
        path,
        fragment,
        known,
    })
}

/// `/a/./b/../c/` → `/a/c/`; `None` above the root.
fn normalize(path: &str) -> Option<String> {
    let mut segs: Vec<&str> = Vec::new();
    let parts: Vec<&str> = path.split('/').collect();
    for s in &parts {
        match *s {
            "" | "." => {}
            ".." => {
                segs.pop()?;
            }
            s => segs.push(s),
        }
    }
    let folder = matches!(parts.last(), Some(&"" | &"." | &".."));
    let mut out = format!("/{}", segs.join("/"));
    if folder && !out.ends_with('/') {
        out.push('/');
    }
    Some(out)
}

fn has_scheme(url: &str) -> bool {
    url.split_once(':').is_some_and(|(s, _)| {
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    })
}

/// Every file of the built site that is not a page: the edition's static
/// files, the theme's and the generated ones (site paths, `/a/b.css`).
fn site_files(root: &Path, bundled: &[std::path::PathBuf]) -> BTreeSet<String> {
    let mut files: BTreeSet<String> = crate::theme::FILES
        .iter()
        .map(|(p, _)| format!("/{p}"))
        .collect();
    for p in [
        "/assets/highlight.css",
        "/sitemap.xml",
        "/robots.txt",
        "/404.html",
    ] {
        files.insert(p.to_string());
    }
    for rel in bundled {
        if let Ok(inner) = rel.strip_prefix("content") {
            files.insert(format!("/{}", inner.to_string_lossy().replace('\\', "/")));
        }
    }
    let dir = root.join("static");
    for e in walkdir::WalkDir::new(&dir).into_iter().flatten() {
        if e.file_type().is_file() {
            if let Ok(rel) = e.path().strip_prefix(&dir) {
                files.insert(format!("/{}", rel.to_string_lossy().replace('\\', "/")));
            }
        }
    }
    files
}

/// The ids an edition's own templates write literally (`id="x"`).
fn template_ids(root: &Path) -> Vec<String> {
    let mut v = Vec::new();
    let dir = root.join("templates");
    for e in walkdir::WalkDir::new(&dir).into_iter().flatten() {
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        for part in text.split("id=\"").skip(1) {
            if let Some(id) = part.split('"').next() {
                if !id.contains(['{', '}']) && !id.is_empty() {
                    v.push(id.to_string());
                }
            }
        }
    }
    v
}

/// The candidate closest to `word`, if it is close enough to be a likely typo.
fn nearest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::normalized_damerau_levenshtein(word, c);
        if score >= 0.6 && best.is_none_or(|(s, b)| score > s || (score == s && c < b)) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised() {
        assert_eq!(normalize("/a/../b/").as_deref(), Some("/b/"));
        assert_eq!(normalize("/a/./b.css").as_deref(), Some("/a/b.css"));
        assert_eq!(normalize("/a/..").as_deref(), Some("/"));
        assert_eq!(normalize("/../x/"), None);
    }

    #[test]
    fn near_targets_are_suggested() {
        let c = ["/texte/", "/apropos/"];
        assert_eq!(nearest("/textes/", c.iter().copied()), Some("/texte/"));
        assert_eq!(nearest("/zzz/", c.iter().copied()), None);
    }
}
