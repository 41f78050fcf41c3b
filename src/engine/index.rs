//! The search index as units of the sink: one per shard of the index
//! (`search index/K`, the shard's pages in path order), and one for the
//! list of shards (`search index`). A shard whose pages did not change is
//! kept as it is, so that a rebuild in which one text changed indexes the
//! pages of one shard, not the edition's; and of that shard's pages, those
//! that did not change come from its cache beside the output
//! ([`search::ShardCache`], written by rebuilds).
//!
//! Which pages ask to be indexed (`data-pagefind-body`) fixes the shards'
//! bounds. It is known without reading a page back: from its bytes when it
//! was rendered in this run, else from the shards of the previous run (a
//! page kept as it was asks what it asked then). Only a page written as it
//! was made (see [`crate::stream`]), or one the previous run did not
//! record, is read back for it.

use super::{Claims, Done};
use crate::diagnostics::Diagnostics;
use crate::output::SiteFile;
use crate::search::{self, ReadPage};
use crate::sink::Sink;
use crate::{config, edition, timing};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// The unit of the list of shards (and of the whole index when it could
/// not be kept shard by shard).
const LIST: &str = "search index";

/// The unit of shard `k`.
fn shard_name(k: usize) -> String {
    format!("{LIST}/{k}")
}

/// What the search index is made from, once the edition is no longer held.
pub(crate) struct SearchInput {
    /// Every HTML file a page writes, sorted by path.
    pages: Vec<Page>,
    /// The edition's language; `None`: search is off.
    language: Option<String>,
    /// Paths of the index already written by other files (a static file
    /// there stays), sorted.
    taken: Vec<String>,
    /// The output folder, for messages.
    out: PathBuf,
    /// Bytes of the made shards' files held in memory until they are put
    /// (see [`Shards::hold`]).
    held: usize,
}

/// An HTML file of a page.
struct Page {
    path: String,
    /// Its entry's fingerprint (every unit of the entry).
    fingerprint: u64,
    mark: Mark,
}

/// How a page's mark (`data-pagefind-body`) is known.
enum Mark {
    /// Rendered now: from its bytes.
    Known(bool),
    /// Rendered now, written as it was made: read back.
    Read,
    /// Kept from the previous run: as the previous run recorded.
    Kept,
}

/// Whether each HTML file of `files` (rendered now) asks to be indexed
/// (`None`: written as it was made, its bytes are not here). Nothing when
/// search is off.
pub(super) fn marks(config: &config::Config, files: &[SiteFile]) -> Vec<(String, Option<bool>)> {
    if !config.search {
        return Vec::new();
    }
    files
        .iter()
        .filter(|f| f.path.ends_with(".html"))
        .map(|f| {
            let known = (!f.bytes.is_empty()).then(|| search::Indexer::wants(&f.bytes));
            (f.path.clone(), known)
        })
        .collect()
}

/// The run's entries as the search index sees them: each one's
/// fingerprint, whether it was rendered now, and the marks of the files it
/// rendered.
pub(super) struct Entries {
    fingerprints: Vec<u64>,
    fresh: Vec<bool>,
    marks: HashMap<String, Option<bool>>,
}

impl Entries {
    /// From the outcome of every unit (`results`, in the order of `units`:
    /// (entry, unit)), whose marks it takes.
    pub(super) fn collect(units: &[(usize, usize)], results: &mut [Done]) -> Entries {
        let n = units.iter().map(|&(i, _)| i + 1).max().unwrap_or(0);
        let mut each: Vec<Vec<u64>> = vec![Vec::new(); n];
        let mut fresh = vec![false; n];
        let mut marks = HashMap::new();
        for (&(i, _), r) in units.iter().zip(results.iter_mut()) {
            if let Some(fps) = each.get_mut(i) {
                fps.push(r.fingerprint);
            }
            if let Some(f) = fresh.get_mut(i) {
                *f |= r.fresh;
            }
            marks.extend(std::mem::take(&mut r.marks));
        }
        Entries {
            fingerprints: each.iter().map(edition::hash_of).collect(),
            fresh,
            marks,
        }
    }

    /// What the search index is made from: the HTML files `claims` gives
    /// each entry.
    pub(super) fn input(
        self,
        opts: &crate::BuildOptions,
        config: &config::Config,
        claims: &Claims,
        taken: &HashSet<String>,
    ) -> SearchInput {
        let mut pages: Vec<Page> = claims
            .iter()
            .filter(|(path, _)| path.ends_with(".html"))
            .map(|(path, &i)| {
                let mark = if !self.fresh.get(i).copied().unwrap_or(true) {
                    Mark::Kept
                } else {
                    match self.marks.get(path) {
                        Some(Some(b)) => Mark::Known(*b),
                        _ => Mark::Read,
                    }
                };
                Page {
                    path: path.clone(),
                    fingerprint: self.fingerprints.get(i).copied().unwrap_or_default(),
                    mark,
                }
            })
            .collect();
        pages.sort_by(|a, b| a.path.cmp(&b.path));
        let bundle = format!("{}/", search::BUNDLE);
        let mut taken: Vec<String> = taken
            .iter()
            .filter(|p| p.starts_with(&bundle))
            .cloned()
            .collect();
        taken.sort();
        SearchInput {
            pages,
            language: config.search.then(|| config.language.clone()),
            taken,
            out: crate::output_dir(opts, config),
            // (twice the bodies' budget)
            held: opts.html_budget.unwrap_or(crate::HTML_BUDGET) * 2,
        }
    }
}

/// The search index of the pages as written (if the sink reads them back),
/// made after [`super::render`], once the caller has dropped what the pages
/// were made from: shard by shard, each kept if its pages did not change.
pub(crate) fn search_index(
    input: SearchInput,
    sink: &dyn Sink,
    diags: &mut Diagnostics,
) -> Result<(), Diagnostics> {
    // (serve makes the index when it is first asked for)
    let Some(language) = input.language.as_deref().filter(|_| sink.reads_back()) else {
        return Ok(());
    };
    let t = Instant::now();
    let read = |p: &str| {
        sink.read_back(p)
            .map(|r| r.map_err(|e| format!("{p}: cannot read the page back: {e}")))
    };
    let made = Shards::plan(&input, language, sink, &read).and_then(|s| s.make(sink, &read));
    match made {
        Ok(Some(label)) => timing(&label, t),
        Ok(None) => {}
        Err(e) => {
            diags.file_error(&input.out, e);
            return Err(std::mem::take(diags));
        }
    }
    Ok(())
}

/// The pages the previous run indexed, if it recorded them all.
fn indexed_before(sink: &dyn Sink) -> Option<HashSet<&str>> {
    let (_, list) = sink.recorded(LIST)?;
    let count: usize = list.first()?.parse().ok()?;
    let mut pages = HashSet::new();
    for k in 0..count {
        let (_, urls) = sink.recorded(&shard_name(k))?;
        pages.extend(urls.iter().map(String::as_str));
    }
    Some(pages)
}

/// The shards of a run's index, before they are made.
struct Shards<'a> {
    input: &'a SearchInput,
    language: &'a str,
    /// Each shard's pages (paths, in order, with their fingerprints) and
    /// fingerprint.
    shards: Vec<(Vec<(&'a str, u64)>, u64)>,
    /// Where each shard's [`search::ShardCache`] is kept (`K.cbor`), if
    /// anywhere, whether this run writes them, and the key of this binary.
    cache: Option<PathBuf>,
    write_cache: bool,
    key: String,
    /// Pages digested, and taken from the caches (for `APPARAT_TIMINGS`).
    digested: AtomicUsize,
    cached: AtomicUsize,
    /// Where the files of shards made past [`SearchInput::held`] wait
    /// until they are put (`None`: in memory), and what is left of it.
    aside: Option<std::sync::Arc<crate::pack::Spill>>,
    held: AtomicUsize,
}

/// A shard made: its files, held or set aside.
struct Made {
    k: usize,
    files: Vec<(String, Held)>,
}

/// A file of a made shard.
enum Held {
    Bytes(Vec<u8>),
    Aside(crate::pack::Aside),
}

impl<'a> Shards<'a> {
    /// The pages that ask to be indexed, in shards.
    fn plan(
        input: &'a SearchInput,
        language: &'a str,
        sink: &dyn Sink,
        read: &ReadPage,
    ) -> Result<Shards<'a>, String> {
        use rayon::prelude::*;
        let before = indexed_before(sink);
        let rebuild = before.is_some();
        let marks: Vec<Result<bool, String>> = input
            .pages
            .par_iter()
            .map(|p| match (&p.mark, &before) {
                (Mark::Known(b), _) => Ok(*b),
                (Mark::Kept, Some(before)) => Ok(before.contains(p.path.as_str())),
                _ => match read(&p.path) {
                    Some(html) => html
                        .and_then(|h| search::whole(&p.path, h))
                        .map(|h| search::Indexer::wants(&h)),
                    None => Ok(false),
                },
            })
            .collect();
        let mut wanted = Vec::new();
        for (p, m) in input.pages.iter().zip(marks) {
            if m? {
                wanted.push(p);
            }
        }
        let shards = wanted
            .chunks(search::shard_pages())
            .enumerate()
            .map(|(k, chunk)| {
                let pages: Vec<(&str, u64)> = chunk
                    .iter()
                    .map(|p| (p.path.as_str(), p.fingerprint))
                    .collect();
                let fingerprint = edition::hash_of(&(k, language, &input.taken, &pages));
                (pages, fingerprint)
            })
            .collect();
        Ok(Shards {
            input,
            language,
            shards,
            // a first build writes no cache (a deploy would never read it):
            // a rebuild writes the caches of the shards it makes again
            cache: cache_dir(&input.out, rebuild),
            write_cache: rebuild,
            key: crate::manifest::build_key(),
            digested: AtomicUsize::new(0),
            cached: AtomicUsize::new(0),
            aside: crate::pack::Spill::beside(&input.out),
            held: AtomicUsize::new(input.held),
        })
    }

    /// Shard `k`'s files held until they are put: in memory while
    /// [`SearchInput::held`] lasts, else set aside (in memory if they
    /// cannot be). The shards are made in parallel and put once all are
    /// ([`Shards::make`]): an edition of tens of thousands of texts would
    /// otherwise hold its whole index (a third of a gigabyte at 30,000).
    fn hold(&self, (k, files): (usize, Vec<SiteFile>)) -> Made {
        let files = files
            .into_iter()
            .map(|f| {
                let fits = self
                    .held
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| {
                        l.checked_sub(f.bytes.len())
                    })
                    .is_ok();
                let aside = self.aside.as_ref().filter(|_| !fits);
                match aside.and_then(|s| crate::pack::Aside::new(s, &f.bytes)) {
                    Some(a) => (f.path, Held::Aside(a)),
                    None => (f.path, Held::Bytes(f.bytes)),
                }
            })
            .collect();
        Made { k, files }
    }

    /// Keeps the shards that did not change, makes the others, and hands
    /// them to the sink. If any was made, what to call the phase (with its
    /// counts, for `APPARAT_TIMINGS`).
    fn make(self, sink: &dyn Sink, read: &ReadPage) -> Result<Option<String>, String> {
        use rayon::prelude::*;
        let same = |k: usize, fp: u64| sink.recorded(&shard_name(k)).is_some_and(|(f, _)| f == fp);
        let index = |k: usize| self.index(k, read).map(|made| self.hold(made));
        let (kept, changed): (Vec<usize>, Vec<usize>) =
            (0..self.shards.len()).partition(|&k| same(k, self.shards[k].1));
        let mut made: Vec<Made> = changed
            .into_par_iter()
            .map(index)
            .collect::<Result<_, String>>()?;
        // (a shard none of whose pages has a body to index has no files,
        // and the shards after it take its place: made whole, as before)
        if made.iter().any(|m| m.files.is_empty()) {
            return self.make_whole(sink, read);
        }
        let mut late = Vec::new();
        for k in kept {
            match sink.keep(&shard_name(k), self.shards[k].1) {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(format!("cannot write the site: {e}")),
                None => late.push(k),
            }
        }
        let late: Vec<Made> = late
            .into_par_iter()
            .map(index)
            .collect::<Result<_, String>>()?;
        made.extend(late);
        if made.iter().any(|m| m.files.is_empty()) {
            return self.make_whole(sink, read);
        }
        let label = format!(
            "search index ({} pages digested, {} from the cache)",
            self.digested.load(Ordering::Relaxed),
            self.cached.load(Ordering::Relaxed)
        );
        Ok(self.put(sink, made)?.then_some(label))
    }

    /// Hands the shards made now to the sink, with the list of shards.
    fn put(self, sink: &dyn Sink, made: Vec<Made>) -> Result<bool, String> {
        use rayon::prelude::*;
        let none = Diagnostics::default();
        let taken = |f: &SiteFile| self.input.taken.binary_search(&f.path).is_ok();
        let any = !made.is_empty();
        // (in parallel: a shard is a thousand fragment files)
        made.into_par_iter().try_for_each(|Made { k, files }| {
            let Some((pages, fingerprint)) = self.shards.get(k) else {
                return Ok(());
            };
            let files = files
                .into_iter()
                .map(|(path, held)| match held {
                    Held::Bytes(bytes) => Ok(SiteFile { path, bytes }),
                    Held::Aside(a) => a.bytes().map(|bytes| SiteFile { path, bytes }),
                })
                .collect::<Result<Vec<_>, String>>()?;
            let mut files = search::in_folder(k, files);
            files.retain(|f| !taken(f));
            let pages = pages.iter().map(|(p, _)| p.to_string()).collect();
            sink.put(&shard_name(k), *fingerprint, files, pages, &none)
                .map_err(|e| format!("cannot write the site: {e}"))
        })?;
        let count = self.shards.len();
        let mut list = Vec::new();
        if count > 0 {
            list.push(search::shard_list(count)?);
            list.retain(|f| !taken(f));
        }
        let fingerprint = edition::hash_of(&(count, &self.input.taken));
        sink.put(LIST, fingerprint, list, vec![count.to_string()], &none)
            .map_err(|e| format!("cannot write the site: {e}"))?;
        self.forget_from(count);
        Ok(any)
    }

    /// Shard `k` made: its pages' compact forms taken from its cache where
    /// they did not change, the others read back and digested; its cache
    /// written again for the next build (a cache that cannot be written is
    /// no cache: the next build digests those pages again).
    fn index(&self, k: usize, read: &ReadPage) -> Result<(usize, Vec<SiteFile>), String> {
        let pages = self.shards.get(k).map_or(&[][..], |s| &s.0[..]);
        let file = self.cache.as_ref().map(|d| d.join(format!("{k}.cbor")));
        let cache =
            read_cache(file.as_deref()).and_then(|b| search::ShardCache::from_bytes(&b, &self.key));
        let keep = |next: search::ShardCache| {
            let bytes = next.to_bytes().ok().filter(|_| !next.is_empty());
            self.write(file.as_deref(), bytes);
        };
        // and its compressed index files, by what they hold
        let gz_file = self.cache.as_ref().map(|d| d.join(format!("{k}.gz")));
        let gzipped =
            read_cache(gz_file.as_deref()).and_then(|b| search::Gzipped::from_bytes(&b, &self.key));
        let kept = search::ShardKept {
            pages: cache,
            gzipped,
        };
        let made =
            search::index_shard_cached(self.language, pages, read, kept, (&self.key, &keep))?;
        let g = &made.gzipped;
        self.write(
            gz_file.as_deref(),
            g.to_bytes().ok().filter(|_| !g.is_empty()),
        );
        let hits = made.from_cache;
        self.digested
            .fetch_add(pages.len() - hits, Ordering::Relaxed);
        self.cached.fetch_add(hits, Ordering::Relaxed);
        made.files
            .map(|files| (k, files))
            .ok_or_else(|| "cannot read the pages back for the search index".to_string())
    }

    /// Writes a cache file if this run writes caches (`None`: a cache of
    /// nothing, removed); one that cannot be written is no cache.
    fn write(&self, file: Option<&Path>, bytes: Option<Vec<u8>>) {
        if let Some(file) = file.filter(|_| self.write_cache) {
            if save(file, bytes).is_err() {
                let _ = std::fs::remove_file(file);
            }
        }
    }

    /// Removes the caches of shards `count` and after (no longer part of
    /// the index), and unfinished ones.
    fn forget_from(&self, count: usize) {
        let Some(entries) = self.cache.as_ref().and_then(|d| std::fs::read_dir(d).ok()) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_str().unwrap_or_default();
            let k = name
                .strip_suffix(".cbor")
                .or_else(|| name.strip_suffix(".gz"))
                .and_then(|k| k.parse::<usize>().ok());
            // (and what a killed build left: the output's lock keeps any
            // other build out while this one runs)
            if k.is_some_and(|k| k >= count) || name.contains(".tmp-") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    /// The whole index made in one unit, as [`search::index_paths`] makes
    /// it, which the next run does not keep shard by shard.
    fn make_whole(self, sink: &dyn Sink, read: &ReadPage) -> Result<Option<String>, String> {
        let paths = self.input.pages.iter().map(|p| p.path.as_str());
        let read = |p: &str| read(p).map(|r| r.map_err(std::io::Error::other));
        let mut files = search::index_paths(self.language, paths, read)?;
        files.retain(|f| self.input.taken.binary_search(&f.path).is_err());
        let none = Diagnostics::default();
        sink.put(LIST, 0, files, Vec::new(), &none)
            .map_err(|e| format!("cannot write the site: {e}"))?;
        Ok(Some("search index (whole)".into()))
    }
}

/// The folder of the shards' caches: beside the output folder, like the
/// manifest (`.public.apparat-search`), so that it is never deployed;
/// made if `create`. None if it is there as something other than a folder
/// (a link is not followed).
fn cache_dir(out: &Path, create: bool) -> Option<PathBuf> {
    let name = out.file_name()?.to_string_lossy().into_owned();
    let dir = out.with_file_name(format!(".{name}.apparat-search"));
    match std::fs::symlink_metadata(&dir) {
        Ok(m) if m.is_dir() => Some(dir),
        Ok(_) => None,
        Err(_) if create => std::fs::create_dir(&dir).ok().map(|()| dir),
        Err(_) => None,
    }
}

/// A cache file's bytes; a link there is not followed (only a file this
/// binary wrote).
fn read_cache(file: Option<&Path>) -> Option<Vec<u8>> {
    let file = file.filter(|f| std::fs::symlink_metadata(f).is_ok_and(|m| m.is_file()))?;
    std::fs::read(file).ok()
}

/// Writes a shard's cache (to a temporary file renamed into place); none
/// for a cache of nothing (`None`).
fn save(file: &Path, bytes: Option<Vec<u8>>) -> std::io::Result<()> {
    let Some(bytes) = bytes else {
        return match std::fs::remove_file(file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    };
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    let tmp = file.with_file_name(format!("{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, file).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
