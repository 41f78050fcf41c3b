//! Full-text search: a Pagefind index of the rendered pages.
//!
//! The built-in templates mark what a page contributes
//! (`data-pagefind-body`), its metadata and filters (`data-pagefind-meta`,
//! `data-pagefind-filter`: the text, its language, the kind of page) and
//! what weighs more (`data-pagefind-weight`: a person's names in the
//! register). An [`Indexer`] is given the final HTML of every page, in a
//! fixed order (Pagefind numbers pages in the order they are added, so the
//! same pages in the same order give the same bytes), and returns Pagefind's
//! files (index chunks, fragments, filters, the WebAssembly search engine and
//! `pagefind.js`) in memory, for the site's own writer.
//!
//! The search page (`search/`, template `search.html`) runs
//! `assets/search.js`, which loads `pagefind.js` on demand.

use crate::output::SiteFile;
use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;

/// The folder of Pagefind's files in the output.
pub const BUNDLE: &str = "pagefind";
/// Where the search page is written, and its URL.
pub const PAGE_PATH: &str = "search/index.html";
pub const PAGE_URL: &str = "/search/";
/// The attribute that marks a page as searchable.
const BODY_MARK: &[u8] = b"data-pagefind-body";

/// Files of Pagefind's bundle that apparat does not use: its ready-made
/// interfaces (the search page has its own small script).
const UNUSED: &[&str] = &[
    "pagefind-ui.",
    "pagefind-component-ui.",
    "pagefind-modular-ui.",
    "pagefind-highlight.",
];

/// A search index being built. Pages are added one at a time, in the
/// order that fixes the output (see the module's documentation).
pub struct Indexer {
    runtime: tokio::runtime::Runtime,
    index: PagefindIndex,
    pages: usize,
}

impl Indexer {
    /// An empty index. `language`: the edition's language; every page is
    /// indexed as that language (one index, one stemmer), so that one search
    /// reaches every page whatever its language.
    pub fn new(language: &str) -> Result<Indexer, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| format!("cannot start the search indexer: {e}"))?;
        let primary = language
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let config = PagefindServiceConfig::builder()
            .keep_index_url(false)
            .force_language(if primary.is_empty() {
                "unknown".into()
            } else {
                primary
            })
            .build();
        let index = PagefindIndex::new(Some(config))
            .map_err(|e| format!("cannot start the search indexer: {e}"))?;
        Ok(Indexer {
            runtime,
            index,
            pages: 0,
        })
    }

    /// Whether a page's HTML asks to be indexed (carries `data-pagefind-body`).
    pub fn wants(html: &[u8]) -> bool {
        html.windows(BODY_MARK.len()).any(|w| w == BODY_MARK)
    }

    /// Adds one page written at `path` (relative to the output folder), if
    /// it asks to be indexed.
    pub fn add(&mut self, path: &str, html: &[u8]) -> Result<(), String> {
        if !path.ends_with(".html") || !Self::wants(html) {
            return Ok(());
        }
        // the page's URL as links name it: its folder
        let rel = path.trim_start_matches('/');
        let url = format!("/{}", rel.strip_suffix("index.html").unwrap_or(rel));
        let html = String::from_utf8_lossy(html).into_owned();
        self.runtime
            .block_on(self.index.add_html_file(None, Some(url), html))
            .map_err(|e| format!("{path}: cannot index the page for search: {e}"))?;
        self.pages += 1;
        Ok(())
    }

    /// How many pages were indexed.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// Pagefind's files, under [`BUNDLE`], sorted by path. None if no page
    /// asked to be indexed.
    pub fn finish(mut self) -> Result<Vec<SiteFile>, String> {
        if self.pages == 0 {
            return Ok(Vec::new());
        }
        let files = self
            .runtime
            .block_on(self.index.get_files())
            .map_err(|e| format!("cannot write the search index: {e}"))?;
        let mut out: Vec<SiteFile> = files
            .into_iter()
            .filter_map(|f| {
                let name = f.filename.to_string_lossy().replace('\\', "/");
                let name = name.trim_start_matches('/');
                (!UNUSED.iter().any(|u| name.starts_with(u))).then(|| SiteFile {
                    path: format!("{BUNDLE}/{name}"),
                    bytes: f.contents,
                })
            })
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }
}

/// The search index of a site held in memory: every page of `files` that
/// asks to be indexed, in path order (as [`crate::build`] adds them).
pub fn index_files<'a>(
    language: &str,
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<Vec<SiteFile>, String> {
    let mut pages: Vec<(&str, &[u8])> = files
        .into_iter()
        .filter(|(p, _)| p.ends_with(".html"))
        .collect();
    pages.sort_by(|a, b| a.0.cmp(b.0));
    let mut indexer = Indexer::new(language)?;
    for (path, html) in pages {
        indexer.add(path, html)?;
    }
    indexer.finish()
}

/// The search index of a site being written: the pages at `paths` (every
/// path a page was written at) that ask to be indexed, read back with
/// `read`, in path order (as [`index_files`] adds them). If `read` returns
/// `None`, the writer leaves the index to its reader: none is made.
pub fn index_paths<'a>(
    language: &str,
    paths: impl IntoIterator<Item = &'a str>,
    read: impl Fn(&str) -> Option<std::io::Result<Vec<u8>>>,
) -> Result<Vec<SiteFile>, String> {
    let mut pages: Vec<&str> = paths.into_iter().filter(|p| p.ends_with(".html")).collect();
    pages.sort_unstable();
    pages.dedup();
    let mut indexer = Indexer::new(language)?;
    for path in pages {
        let html = match read(path) {
            None => return Ok(Vec::new()),
            Some(r) => r.map_err(|e| format!("{path}: cannot read the page back: {e}"))?,
        };
        indexer.add(path, &html)?;
    }
    indexer.finish()
}

/// The edition's language as site.toml sets it, if search is on (none if
/// site.toml cannot be read: the build reports why).
pub fn site_search(root: &std::path::Path) -> Option<String> {
    crate::config::Config::load(root, &mut crate::diagnostics::Diagnostics::default())
        .filter(|c| c.search)
        .map(|c| c.language)
}
