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
enum Target<'e> {
    /// A page, with the ids of its body.
    Page(&'e Ids<'e>),
    /// A page whose ids are not known here (a text's source view).
    Opaque,
    /// A file.
    File,
}

/// Checks every internal link of the edition's pages.
/// `bundled`: the files beside the pages in `content/`
/// ([`crate::content::Walked::bundled`]).
pub fn check(
    root: &Path,
    config: &Config,
    ed: &Edition,
    bundled: &[std::path::PathBuf],
    diags: &mut Diagnostics,
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
    // page URL (decoded) → its ids, made when a link names a fragment of it
    let mut ids: HashMap<String, Ids> = HashMap::new();
    let mut opaque: HashSet<String> = HashSet::new();
    // content path (`content/a/b.md`) → page URL
    let mut by_path: HashMap<String, String> = HashMap::new();
    for e in &ed.entries {
        let url = decode_url_path(&e.page.url);
        let set = Ids {
            doc: &e.doc,
            persons: if e.page.url == persons_url {
                &person_ids
            } else {
                register_ids.get(&e.page.url).map_or(&[], Vec::as_slice)
            },
            templates: &template_ids,
            set: std::cell::OnceCell::new(),
        };
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
        ids.insert(url, set);
    }
    let site = SiteMap {
        ids,
        opaque,
        files: site_files(root, bundled),
    };
    for e in &ed.entries {
        let page_url = decode_url_path(&e.page.url);
        for link in &e.doc.links {
            let Some(problem) = check_link(link, &page_url, &by_path, &site) else {
                continue;
            };
            let message = match problem {
                Problem::NoTarget { path } => {
                    let near = nearest(
                        &path,
                        site.ids.keys().chain(site.files.iter()).map(String::as_str),
                    );
                    let near = match near {
                        Some(n) => format!(" (did you mean `{n}`?)"),
                        None => String::new(),
                    };
                    if site.ids.contains_key(&format!("{path}/")) {
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
            diags.push(match config.broken_links {
                Level::Error => e.page.src.error(link.offset, message),
                Level::Warning => e.page.src.warning(link.offset, message),
            });
        }
    }
}

/// The ids of a page, gathered the first time a link needs them.
struct Ids<'e> {
    doc: &'e crate::markup::Document,
    persons: &'e [String],
    templates: &'e [String],
    set: std::cell::OnceCell<HashSet<String>>,
}

impl Ids<'_> {
    fn get(&self) -> &HashSet<String> {
        self.set.get_or_init(|| {
            let mut set: HashSet<String> = self.doc.ids().into_iter().collect();
            set.extend(TEMPLATE_IDS.iter().map(|s| s.to_string()));
            set.extend(self.templates.iter().cloned());
            set.extend(self.persons.iter().cloned());
            set
        })
    }
}

/// The built site's paths, as far as links go.
struct SiteMap<'e> {
    /// Page URL (decoded) → the ids of the page.
    ids: HashMap<String, Ids<'e>>,
    /// Pages whose ids are not known here.
    opaque: HashSet<String>,
    /// Files that are not pages.
    files: BTreeSet<String>,
}

impl SiteMap<'_> {
    /// What a site path (decoded, normalised) leads to.
    fn resolve(&self, path: &str) -> Option<Target<'_>> {
        let page = if path.ends_with('/') {
            Some(path.to_string())
        } else {
            path.strip_suffix("index.html").map(str::to_string)
        };
        if let Some(p) = &page {
            if let Some(set) = self.ids.get(p) {
                return Some(Target::Page(set));
            }
            if self.opaque.contains(p) {
                return Some(Target::Opaque);
            }
        }
        if self.files.contains(path) {
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
    site: &SiteMap,
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
    let known = known.get();
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
