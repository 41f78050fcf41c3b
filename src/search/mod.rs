//! Full-text search: an index of the rendered pages in Pagefind's format,
//! read by Pagefind's own client (`pagefind.js` and its WebAssembly).
//!
//! The built-in templates mark what a page contributes
//! (`data-pagefind-body`), its metadata and filters (`data-pagefind-meta`,
//! `data-pagefind-filter`: the text, its language, the kind of page) and
//! what weighs more (`data-pagefind-weight`: a person's names in the
//! register). The final HTML of every page is read in parallel
//! ([`page`]: one streaming pass, the words split and stemmed as Pagefind
//! does, [`words`]), then merged in a fixed order (path order: the same
//! pages give the same bytes) into Pagefind's files
//! ([`pagefind_format`]), in memory, for the site's own writer.
//! Pagefind's own indexer is used only for its static files (the
//! WebAssembly engine and `pagefind.js`, made once per process and
//! language), and, when `APPARAT_SEARCH_INDEXER=pagefind`, for the whole
//! index (the reference the tests compare apparat's index with).
//!
//! The search page (`search/`, template `search.html`) runs
//! `assets/search.js`, which loads `pagefind.js` on demand.

mod kept;
mod page;
mod pagefind_format;
mod words;

use crate::output::{PageBytes, SiteFile};
pub use kept::{Kept, Made};
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
        let config = PagefindServiceConfig::builder()
            .keep_index_url(false)
            .force_language(primary_language(language))
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
        memchr::memmem::find(html, BODY_MARK).is_some()
    }

    /// Adds one page written at `path` (relative to the output folder), if
    /// it asks to be indexed.
    pub fn add(&mut self, path: &str, html: &[u8]) -> Result<(), String> {
        if !path.ends_with(".html") || !Self::wants(html) {
            return Ok(());
        }
        let url = page_url(path);
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

/// The edition's language as Pagefind names an index: its primary subtag,
/// lowercased (`unknown` if none).
fn primary_language(language: &str) -> String {
    let primary = language
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    // it names files: letters and digits only
    if primary.is_empty() || !primary.bytes().all(|b| b.is_ascii_alphanumeric()) {
        "unknown".into()
    } else {
        primary
    }
}

/// The page's URL as links name it: its folder.
fn page_url(path: &str) -> String {
    let rel = path.trim_start_matches('/');
    format!("/{}", rel.strip_suffix("index.html").unwrap_or(rel))
}

/// Pagefind's static files for a language (its WebAssembly engine,
/// `pagefind.js`, its worker) and what its entry file says (its version,
/// the WebAssembly of the language, the characters words keep).
struct Statics {
    files: Vec<SiteFile>,
    version: String,
    wasm: serde_json::Value,
    include_characters: serde_json::Value,
}

/// [`Statics`] of `language`, taken from Pagefind's own index of a
/// one-word page, once per process and language.
fn statics(language: &str) -> Result<std::sync::Arc<Statics>, String> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Statics>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(s) = cache.lock().ok().and_then(|c| c.get(language).cloned()) {
        return Ok(s);
    }
    let mut indexer = Indexer::new(language)?;
    indexer.add(
        "index.html",
        b"<html><body data-pagefind-body><p>search</p></body></html>",
    )?;
    let mut files = Vec::new();
    let mut entry = None;
    for f in indexer.finish()? {
        let name = f
            .path
            .strip_prefix(&format!("{BUNDLE}/"))
            .unwrap_or(&f.path);
        let index_file = name.starts_with("fragment/")
            || name.starts_with("index/")
            || name.starts_with("filter/")
            || name.ends_with(".pf_meta");
        if name == ENTRY {
            entry = Some(f.bytes);
        } else if !index_file {
            files.push(f);
        }
    }
    let entry: serde_json::Value = entry
        .and_then(|e| serde_json::from_slice(&e).ok())
        .ok_or("cannot read Pagefind's entry file")?;
    let statics = Arc::new(Statics {
        files,
        version: entry["version"].as_str().unwrap_or_default().to_string(),
        wasm: entry["languages"][language]["wasm"].clone(),
        include_characters: entry["include_characters"].clone(),
    });
    if let Ok(mut c) = cache.lock() {
        c.insert(language.to_string(), Arc::clone(&statics));
    }
    Ok(statics)
}

/// Pagefind's entry file, which the client reads first.
const ENTRY: &str = "pagefind-entry.json";

/// One shard's index, by apparat's own indexer: the pages at `paths` read
/// and split in parallel, merged in path order. `None`: `read` leaves the
/// index to its reader.
fn index_shard(
    language: &str,
    paths: &[&str],
    read: &ReadPage,
) -> Result<Option<Vec<SiteFile>>, String> {
    let pages = compacts(language, paths, read, paths.iter().map(|_| None).collect())?;
    match pages {
        Some(pages) => index_compacts(language, pages),
        None => Ok(None),
    }
}

/// Each page of `paths` made compact: the one `ready` holds at its rank,
/// or read with `read`, parsed and digested. `None`: `read` leaves the
/// index to its reader.
fn compacts(
    language: &str,
    paths: &[&str],
    read: &ReadPage,
    ready: Vec<Option<pagefind_format::Compact>>,
) -> Result<Option<Vec<pagefind_format::Compact>>, String> {
    use rayon::prelude::*;
    let language = primary_language(language);
    let stemmer = words::stemmer(&language);
    let pages: Vec<Option<pagefind_format::Compact>> = paths
        .par_iter()
        .zip(ready)
        .map(|(&path, ready)| {
            if let Some(page) = ready {
                return Ok(Some(page));
            }
            let Some(html) = read(path) else {
                return Ok(None);
            };
            let parsed = page::parse_from(&mut html?.reader())
                .map_err(|e| format!("{path}: cannot index the page for search: {e}"))?;
            let page = page::digest(parsed, page_url(path), &language, stemmer.as_ref())?;
            pagefind_format::compact(page).map(Some)
        })
        .collect::<Result<_, String>>()?;
    Ok(pages.into_iter().collect::<Option<Vec<_>>>())
}

/// A shard's files made of its pages' compact forms (see [`index_shard`]).
fn index_compacts(
    language: &str,
    pages: Vec<pagefind_format::Compact>,
) -> Result<Option<Vec<SiteFile>>, String> {
    index_compacts_with(language, pages, &Default::default()).map(|(files, _)| files)
}

/// [`index_compacts`], taking from `before` the files it compressed (by
/// their hash), and giving those of this index for the next.
fn index_compacts_with(
    language: &str,
    pages: Vec<pagefind_format::Compact>,
    before: &pagefind_format::Gzipped,
) -> Result<(Option<Vec<SiteFile>>, Gzipped), String> {
    let language = primary_language(language);
    let statics = statics(&language)?;
    let index = pagefind_format::write(pages, &language, &statics.version, before)?;
    let gzipped = Gzipped {
        key: String::new(),
        files: index
            .gzipped
            .into_iter()
            .map(|(hash, gz)| Gz { hash, gz })
            .collect(),
    };
    let files = index_files_of(
        &language,
        &statics,
        index.files,
        index.page_count,
        &index.meta_hash,
    );
    Ok((files, gzipped))
}

/// A shard's files: Pagefind's own, the entry file, and the index's.
fn index_files_of(
    language: &str,
    statics: &Statics,
    index: Vec<(String, Vec<u8>)>,
    page_count: usize,
    meta_hash: &str,
) -> Option<Vec<SiteFile>> {
    let language = language.to_string();
    if page_count == 0 {
        return Some(Vec::new());
    }
    let entry = serde_json::json!({
        "version": statics.version,
        "languages": { language.clone(): {
            "hash": meta_hash,
            "wasm": statics.wasm,
            "page_count": page_count,
        }},
        "include_characters": statics.include_characters,
    });
    let mut out: Vec<SiteFile> = statics
        .files
        .iter()
        .map(|f| SiteFile {
            path: f.path.clone(),
            bytes: f.bytes.clone(),
        })
        .collect();
    out.push(SiteFile {
        path: format!("{BUNDLE}/{ENTRY}"),
        bytes: entry.to_string().into_bytes(),
    });
    out.extend(index.into_iter().map(|(name, bytes)| SiteFile {
        path: format!("{BUNDLE}/{name}"),
        bytes,
    }));
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Some(out)
}

/// How many indexed pages (pages that carry `data-pagefind-body`) one shard of the index takes, unless
/// `APPARAT_SEARCH_SHARD` says otherwise (a tuning and test knob).
///
/// Pagefind's service API indexes one page at a time behind a lock and keeps
/// every page's words (twice, while it builds) until the end: one index of a
/// large edition is slow and big. Past this many pages the index is split,
/// in path order, into shards of this many pages, indexed in parallel (as
/// many at a time as rayon has threads, so that memory holds only those);
/// the browser merges them (`mergeIndex`, see `assets/search.js`). An edition
/// smaller than this gets one index, as before.
const SHARD_PAGES: usize = 1_000;
/// The list of the other shards' folders, relative to the site's root (a
/// JSON array, empty when there is one index), read by the search page.
pub const SHARDS_FILE: &str = "shards.json";

pub fn shard_pages() -> usize {
    std::env::var("APPARAT_SEARCH_SHARD")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(SHARD_PAGES)
}

/// A page's bytes by path (`None`: the writer leaves the index to its reader).
pub type ReadPage<'a> = dyn Fn(&str) -> Option<Result<PageBytes, String>> + Sync + 'a;

/// A page's bytes read whole.
pub(crate) fn whole(path: &str, bytes: PageBytes) -> Result<Vec<u8>, String> {
    bytes
        .whole()
        .map_err(|e| format!("{path}: cannot read the page back: {e}"))
}

/// The folder of shard `k` inside [`BUNDLE`] (shard 0 is the bundle itself).
fn shard_folder(k: usize) -> String {
    if k == 0 {
        String::new()
    } else {
        format!("shard-{k}/")
    }
}

/// The index of one shard's pages (sorted paths of pages that ask to be
/// indexed), its files under [`BUNDLE`] as if it were the only one: by
/// apparat's own indexer, or by Pagefind's with
/// `APPARAT_SEARCH_INDEXER=pagefind`. `None`: `read` leaves the index to its
/// reader. No files: none of the pages has a body to index.
pub fn index_shard_of(
    language: &str,
    chunk: &[&str],
    read: &ReadPage,
) -> Result<Option<Vec<SiteFile>>, String> {
    if !std::env::var("APPARAT_SEARCH_INDEXER").is_ok_and(|v| v == "pagefind") {
        return index_shard(language, chunk, read);
    }
    let mut indexer = Indexer::new(language)?;
    for &path in chunk {
        match read(path) {
            None => return Ok(None),
            Some(html) => indexer.add(path, &whole(path, html?)?)?,
        }
    }
    indexer.finish().map(Some)
}

/// What a shard's pages were made into for its index, kept beside the
/// output from one build to the next, so that a shard made again digests
/// only the pages that changed: each page's compact form, by path and
/// fingerprint (equal fingerprints, equal pages). Written by one apparat
/// binary (`key`), read only by the same.
#[derive(Default, minicbor::Encode, minicbor::Decode)]
pub struct ShardCache {
    #[n(0)]
    key: String,
    #[n(1)]
    pages: Vec<CachedPage>,
}

#[derive(minicbor::Encode, minicbor::Decode)]
struct CachedPage {
    #[n(0)]
    path: String,
    #[n(1)]
    fingerprint: u64,
    #[n(2)]
    page: pagefind_format::Compact,
}

/// A shard's compressed index files (metadata, word chunks, filters) by
/// the hash of what they hold, kept beside the output from one build to
/// the next: a file whose bytes did not change is not compressed again.
/// Written by one apparat binary (`key`), read only by the same.
#[derive(Default, minicbor::Encode, minicbor::Decode)]
pub struct Gzipped {
    #[n(0)]
    key: String,
    #[n(1)]
    files: Vec<Gz>,
}

#[derive(minicbor::Encode, minicbor::Decode)]
struct Gz {
    #[n(0)]
    hash: String,
    #[cbor(n(1), with = "minicbor::bytes")]
    gz: Vec<u8>,
}

impl Gzipped {
    /// Files as [`Gzipped::to_bytes`] wrote them, if written by the binary
    /// of `key` (anything else is none).
    pub fn from_bytes(bytes: &[u8], key: &str) -> Option<Gzipped> {
        minicbor::decode::<Gzipped>(bytes)
            .ok()
            .filter(|c| c.key == key)
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        minicbor::to_vec(self).map_err(|e| format!("cannot encode the search cache: {e}"))
    }

    fn by_hash(self) -> pagefind_format::Gzipped {
        self.files.into_iter().map(|g| (g.hash, g.gz)).collect()
    }
}

impl ShardCache {
    /// A cache as [`ShardCache::to_bytes`] wrote it, if written by the
    /// binary of `key` (anything else is no cache).
    pub fn from_bytes(bytes: &[u8], key: &str) -> Option<ShardCache> {
        minicbor::decode::<ShardCache>(bytes)
            .ok()
            .filter(|c| c.key == key)
    }

    /// Whether it holds no page.
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        minicbor::to_vec(self).map_err(|e| format!("cannot encode the search cache: {e}"))
    }
}

/// A shard's cache is written again when more than one page in this many
/// missed it (see [`index_shard_cached`]).
const STALE_SHARE: usize = 64;

/// [`index_shard_of`] for pages with their fingerprints, each page's
/// compact form taken from `cache` when its fingerprint there is the same;
/// also how many pages came from `cache`. The shard's cache for the next
/// build (`key`: this binary's) is handed to `save` while the shard is
/// merged, unless `cache` missed no more than one page in [`STALE_SHARE`].
/// With `APPARAT_SEARCH_INDEXER=pagefind`, no cache.
pub fn index_shard_cached(
    language: &str,
    pages: &[(&str, u64)],
    read: &ReadPage,
    kept: ShardKept,
    (key, save): (&str, &(dyn Fn(ShardCache) + Sync)),
) -> Result<ShardMade, String> {
    let paths: Vec<&str> = pages.iter().map(|(p, _)| *p).collect();
    if std::env::var("APPARAT_SEARCH_INDEXER").is_ok_and(|v| v == "pagefind") {
        save(ShardCache::default());
        let files = index_shard_of(language, &paths, read)?;
        return Ok(ShardMade::new(files, 0, Gzipped::default()));
    }
    let mut old: std::collections::HashMap<(String, u64), pagefind_format::Compact> = kept
        .pages
        .map(|c| c.pages)
        .unwrap_or_default()
        .into_iter()
        .map(|c| ((c.path, c.fingerprint), c.page))
        .collect();
    let hits: Vec<Option<pagefind_format::Compact>> = pages
        .iter()
        .map(|(p, fp)| old.remove(&(p.to_string(), *fp)))
        .collect();
    drop(old);
    let from_cache = hits.iter().flatten().count();
    let Some(compacts) = compacts(language, &paths, read, hits)? else {
        save(ShardCache::default());
        return Ok(ShardMade::new(None, 0, Gzipped::default()));
    };
    let before = kept.gzipped.map(Gzipped::by_hash).unwrap_or_default();
    let merge = |compacts| {
        let (files, mut gzipped) = index_compacts_with(language, compacts, &before)?;
        gzipped.key = key.to_string();
        Ok::<_, String>(ShardMade::new(files, from_cache, gzipped))
    };
    // a cache that misses few pages is kept as it is: those pages are
    // digested again by the next build, instead of every page's compact
    // form written again for a few (a text edited again and again)
    let misses = pages.len() - from_cache;
    if from_cache > 0 && misses * STALE_SHARE <= pages.len() {
        return merge(compacts);
    }
    let next = ShardCache {
        key: key.to_string(),
        pages: pages
            .iter()
            .zip(&compacts)
            .map(|((path, fingerprint), page)| CachedPage {
                path: path.to_string(),
                fingerprint: *fingerprint,
                page: page.clone(),
            })
            .collect(),
    };
    // (a shard merges on one thread: the cache is written beside it)
    let ((), made) = rayon::join(|| save(next), || merge(compacts));
    made
}

/// What a shard kept from its last build, beside the output.
#[derive(Default)]
pub struct ShardKept {
    /// Its pages' compact forms.
    pub pages: Option<ShardCache>,
    /// Its compressed index files.
    pub gzipped: Option<Gzipped>,
}

/// A shard made by [`index_shard_cached`].
pub struct ShardMade {
    /// Its files (`None`: the reader of the pages leaves the index to its
    /// own reader).
    pub files: Option<Vec<SiteFile>>,
    /// How many of its pages came from the cache.
    pub from_cache: usize,
    /// Its compressed index files, for the next build.
    pub gzipped: Gzipped,
}

impl ShardMade {
    fn new(files: Option<Vec<SiteFile>>, from_cache: usize, gzipped: Gzipped) -> ShardMade {
        ShardMade {
            files,
            from_cache,
            gzipped,
        }
    }
}

/// Shard `k`'s files (as [`index_shard_of`] gives them) moved into its
/// folder, when every shard before it has files: shard 0 is the bundle
/// itself, shard `k` is in `shard-k/`.
pub fn in_folder(k: usize, files: Vec<SiteFile>) -> Vec<SiteFile> {
    let folder = shard_folder(k);
    files
        .into_iter()
        .map(|f| SiteFile {
            path: match f.path.strip_prefix(&format!("{BUNDLE}/")) {
                Some(name) => format!("{BUNDLE}/{folder}{name}"),
                None => f.path,
            },
            bytes: f.bytes,
        })
        .collect()
}

/// The list of the shards after the first ([`SHARDS_FILE`]), for an index
/// of `count` shards, each with files.
pub fn shard_list(count: usize) -> Result<SiteFile, String> {
    let others: Vec<String> = (1..count)
        .map(|k| format!("{BUNDLE}/{}", shard_folder(k)))
        .collect();
    let list =
        serde_json::to_vec(&others).map_err(|e| format!("cannot list the search index: {e}"))?;
    Ok(SiteFile {
        path: format!("{BUNDLE}/{SHARDS_FILE}"),
        bytes: list,
    })
}

/// Indexes `pages` (sorted, deduplicated paths of HTML files) in shards of
/// [`shard_pages`], in parallel; each page's bytes come from `read` (`None`:
/// no index at all). The files of every shard, under [`BUNDLE`], and the
/// list of shards ([`SHARDS_FILE`]).
fn index_sharded(language: &str, pages: &[&str], read: &ReadPage) -> Result<Vec<SiteFile>, String> {
    index_sharded_by(language, pages, read, shard_pages())
}

/// [`index_sharded`] in shards of `shard` pages.
fn index_sharded_by(
    language: &str,
    pages: &[&str],
    read: &ReadPage,
    shard: usize,
) -> Result<Vec<SiteFile>, String> {
    // (what serve does after a save, with nothing kept from before)
    let pages: Vec<(&str, u64)> = pages.iter().map(|&p| (p, 0)).collect();
    let made = {
        let mut nothing = Kept::default();
        nothing.index(language, &pages, shard, read)?
    };
    Ok(made
        .map(|m| m.files)
        .unwrap_or_default()
        .into_iter()
        .map(|(path, bytes)| SiteFile {
            path,
            // (the only holder now: no copy)
            bytes: std::sync::Arc::try_unwrap(bytes).unwrap_or_else(|b| b.to_vec()),
        })
        .collect())
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
    pages.dedup_by(|a, b| a.0 == b.0);
    let paths: Vec<&str> = pages.iter().map(|p| p.0).collect();
    let read = |p: &str| {
        let at = paths.binary_search(&p).ok()?;
        pages.get(at).map(|(_, b)| Ok(PageBytes::Whole(b.to_vec())))
    };
    index_sharded(language, &paths, &read)
}

/// The search index of a site being written: the pages at `paths` (every
/// path a page was written at) that ask to be indexed, read back with
/// `read`, in path order (as [`index_files`] adds them). If `read` returns
/// `None`, the writer leaves the index to its reader: none is made.
pub fn index_paths<'a>(
    language: &str,
    paths: impl IntoIterator<Item = &'a str>,
    read: impl Fn(&str) -> Option<std::io::Result<PageBytes>> + Sync,
) -> Result<Vec<SiteFile>, String> {
    let mut pages: Vec<&str> = paths.into_iter().filter(|p| p.ends_with(".html")).collect();
    pages.sort_unstable();
    pages.dedup();
    let read =
        |p: &str| read(p).map(|r| r.map_err(|e| format!("{p}: cannot read the page back: {e}")));
    index_sharded(language, &pages, &read)
}

/// The edition's language as site.toml sets it, if search is on (none if
/// site.toml cannot be read: the build reports why).
pub fn site_search(root: &std::path::Path) -> Option<String> {
    crate::config::Config::load(root, &mut crate::diagnostics::Diagnostics::default())
        .filter(|c| c.search)
        .map(|c| c.language)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A shard's cache that misses one page in [`STALE_SHARE`] or fewer is
    /// not written again; one that misses more is. The index is the same
    /// as without any cache either way.
    #[test]
    fn a_cache_missing_few_pages_is_kept_and_the_index_is_the_same() {
        let n = 2 * STALE_SHARE;
        let paths: Vec<String> = (0..n).map(|i| format!("p{i:03}/index.html")).collect();
        let page = |i: usize, rev: usize| {
            format!(
                "<html lang=\"fr\"><head><title>Page {i}</title></head>\
                 <body data-pagefind-body><p id=\"p-1\">Texte {i}, révision {rev}, \
                 Mariátegui.</p></body></html>"
            )
        };
        let index = |revs: &[usize], cache: Option<ShardCache>| {
            let read = |p: &str| {
                let i = paths.iter().position(|q| q == p)?;
                Some(Ok(PageBytes::Whole(page(i, revs[i]).into_bytes())))
            };
            let pages: Vec<(&str, u64)> = paths
                .iter()
                .zip(revs)
                .map(|(p, r)| (p.as_str(), *r as u64))
                .collect();
            let saved = Mutex::new(None);
            let save = |c: ShardCache| *saved.lock().expect("lock") = Some(c);
            let kept = ShardKept {
                pages: cache,
                gzipped: None,
            };
            let made =
                index_shard_cached("fr", &pages, &read, kept, ("key", &save)).expect("index");
            let (files, hits) = (made.files, made.from_cache);
            let saved = saved.into_inner().expect("lock");
            let files: Vec<(String, Vec<u8>)> = files
                .expect("files")
                .into_iter()
                .map(|f| (f.path, f.bytes))
                .collect();
            (files, hits, saved)
        };
        let mut revs = vec![0; n];
        let (_, hits, first) = index(&revs, None);
        assert_eq!(hits, 0);
        let first = first.expect("a cache made");
        let bytes = first.to_bytes().expect("encode");
        let cache = || ShardCache::from_bytes(&bytes, "key");

        // two pages changed: two misses in 128 pages, the cache kept
        revs[3] = 1;
        revs[70] = 1;
        let (files, hits, saved) = index(&revs, cache());
        assert_eq!(hits, n - 2);
        assert!(
            saved.is_none(),
            "a cache missing 2 of {n} pages written again"
        );
        let (fresh, _, _) = index(&revs, None);
        assert!(files == fresh, "the index differs from a fresh one");

        // three: written again
        revs[100] = 1;
        let (files, hits, saved) = index(&revs, cache());
        assert_eq!(hits, n - 3);
        assert!(saved.is_some_and(|c| c.pages.len() == n));
        let (fresh, _, _) = index(&revs, None);
        assert!(files == fresh, "the index differs from a fresh one");
    }
}
