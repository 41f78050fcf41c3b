//! The index of a site held in memory (serve), made again after a change
//! from what the previous index kept: a page whose bytes did not change
//! keeps its mark (`data-pagefind-body`), and a shard whose pages did not
//! change keeps its files, so that the first search after a page is saved
//! in a large edition makes one shard of the index again, not all of them.
//! With nothing kept, it is how [`super::index_files`] and
//! [`super::index_paths`] make an index.

use super::{index_shard_of, shard_folder, whole, Indexer, ReadPage, BUNDLE, SHARDS_FILE};
use std::collections::HashMap;
use std::sync::Arc;

/// A file of the index: its path, and its bytes, shared with what serves
/// them.
pub type Shared = (String, Arc<Vec<u8>>);

/// A shard's pages, each with the hash of its bytes.
type Key = Vec<(String, u64)>;

/// Each page's mark, with the hash of the bytes it was read from.
type Marks = HashMap<String, (u64, bool)>;

/// Pages with the hashes of their bytes.
type Pages<'p> = Vec<(&'p str, u64)>;

/// A shard's files, and whether they were made now (else kept).
struct Shard {
    key: Key,
    files: Arc<[Shared]>,
    made: bool,
}

/// What an index kept for the next one.
#[derive(Default)]
pub struct Kept {
    language: String,
    shard: usize,
    marks: Marks,
    /// Each shard's files as [`index_shard_of`] made them (outside their
    /// folder), by its pages and their hashes.
    shards: HashMap<Key, Arc<[Shared]>>,
}

/// An index made with [`Kept::index`].
pub struct Made {
    /// Its files, sorted by path.
    pub files: Vec<Shared>,
    /// Shards made now, and shards kept.
    pub made: usize,
    pub kept: usize,
}

impl Kept {
    /// The index of `pages` (sorted, deduplicated paths of HTML files, each
    /// with a hash of its bytes) in shards of `shard` pages, each page read
    /// with `read` only if its bytes changed since the last call, each
    /// shard made only if its pages changed. `None`: `read` leaves the
    /// index to its reader.
    pub fn index(
        &mut self,
        language: &str,
        pages: &[(&str, u64)],
        shard: usize,
        read: &ReadPage,
    ) -> Result<Option<Made>, String> {
        use rayon::prelude::*;
        if self.language != language || self.shard != shard {
            *self = Kept {
                language: language.to_string(),
                shard,
                ..Kept::default()
            };
        }
        let Some((marks, wanted)) = self.marks(pages, read)? else {
            return Ok(None);
        };
        let shards: Vec<Option<Shard>> = wanted
            .chunks(shard.max(1))
            .collect::<Vec<_>>()
            .par_iter()
            .map(|chunk| self.shard_of(language, chunk, read))
            .collect::<Result<_, String>>()?;
        let Some(shards) = shards.into_iter().collect::<Option<Vec<_>>>() else {
            return Ok(None);
        };
        let made = shards.iter().filter(|s| s.made).count();
        let kept = shards.len() - made;
        // (a shard of pages none of which has a body to index has no
        // files: the shards with files are numbered in order)
        let with_files: Vec<&Arc<[Shared]>> = shards
            .iter()
            .map(|s| &s.files)
            .filter(|f| !f.is_empty())
            .collect();
        let mut files = Vec::new();
        for (k, shard_files) in with_files.iter().enumerate() {
            let folder = shard_folder(k);
            files.extend(shard_files.iter().map(|(path, bytes)| {
                let path = match path.strip_prefix(&format!("{BUNDLE}/")) {
                    Some(name) => format!("{BUNDLE}/{folder}{name}"),
                    None => path.clone(),
                };
                (path, Arc::clone(bytes))
            }));
        }
        if !with_files.is_empty() {
            let list = super::shard_list(with_files.len())?;
            debug_assert!(list.path.ends_with(SHARDS_FILE));
            files.push((list.path, Arc::new(list.bytes)));
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        self.marks = marks;
        self.shards = shards.into_iter().map(|s| (s.key, s.files)).collect();
        Ok(Some(Made { files, made, kept }))
    }

    /// Each page's mark (read only if its bytes changed), and the pages
    /// that ask to be indexed, in order.
    fn marks<'p>(
        &self,
        pages: &[(&'p str, u64)],
        read: &ReadPage,
    ) -> Result<Option<(Marks, Pages<'p>)>, String> {
        use rayon::prelude::*;
        let found: Vec<Option<Result<bool, String>>> = pages
            .par_iter()
            .map(|&(path, hash)| match self.marks.get(path) {
                Some(&(before, mark)) if before == hash => Some(Ok(mark)),
                _ => read(path).map(|r| {
                    r.and_then(|b| whole(path, b))
                        .map(|html| Indexer::wants(&html))
                }),
            })
            .collect();
        let mut marks = HashMap::with_capacity(pages.len());
        let mut wanted = Vec::new();
        for (&(path, hash), mark) in pages.iter().zip(found) {
            let Some(mark) = mark else {
                return Ok(None);
            };
            let mark = mark?;
            marks.insert(path.to_string(), (hash, mark));
            if mark {
                wanted.push((path, hash));
            }
        }
        Ok(Some((marks, wanted)))
    }

    /// One shard's files: kept if its pages did not change, else made
    /// (`true`). `None`: `read` leaves the index to its reader.
    fn shard_of(
        &self,
        language: &str,
        chunk: &[(&str, u64)],
        read: &ReadPage,
    ) -> Result<Option<Shard>, String> {
        let key: Vec<(String, u64)> = chunk.iter().map(|&(p, h)| (p.to_string(), h)).collect();
        if let Some(files) = self.shards.get(&key) {
            return Ok(Some(Shard {
                key,
                files: Arc::clone(files),
                made: false,
            }));
        }
        let paths: Vec<&str> = chunk.iter().map(|&(p, _)| p).collect();
        Ok(index_shard_of(language, &paths, read)?.map(|files| {
            let files: Arc<[Shared]> = files
                .into_iter()
                .map(|f| (f.path, Arc::new(f.bytes)))
                .collect();
            Shard {
                key,
                files,
                made: true,
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::PageBytes;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn page(i: usize, word: &str) -> String {
        format!(
            "<!doctype html><html lang=\"fr\"><head><title>T{i}</title></head>\
             <body><main data-pagefind-body><h1>Texte {i}</h1>\
             <p id=\"p-1\">{word} numéro {i}.</p></main></body></html>"
        )
    }

    /// The index as [`super::super::index_files`] makes it of the same
    /// pages, in shards of `shard` pages.
    fn reference(pages: &[(String, String)], shard: usize) -> Vec<(String, Vec<u8>)> {
        let paths: Vec<&str> = pages.iter().map(|(p, _)| p.as_str()).collect();
        let read = |p: &str| {
            let at = paths.binary_search(&p).ok()?;
            pages
                .get(at)
                .map(|(_, h)| Ok(PageBytes::Whole(h.clone().into_bytes())))
        };
        let files = super::super::index_sharded_by("fr", &paths, &read, shard).expect("index");
        files.into_iter().map(|f| (f.path, f.bytes)).collect()
    }

    /// Indexes `pages` with `kept`; the files, and how many pages were read.
    fn index(kept: &mut Kept, pages: &[(String, String)], shard: usize) -> (Made, usize) {
        let reads = AtomicUsize::new(0);
        let hashed: Vec<(&str, u64)> = pages
            .iter()
            .map(|(p, h)| (p.as_str(), crate::hash::hash_of(h)))
            .collect();
        let read = |p: &str| {
            reads.fetch_add(1, Ordering::Relaxed);
            pages
                .iter()
                .find(|(q, _)| q == p)
                .map(|(_, h)| Ok(PageBytes::Whole(h.clone().into_bytes())))
        };
        let made = kept
            .index("fr", &hashed, shard, &read)
            .expect("index")
            .expect("pages");
        (made, reads.into_inner())
    }

    fn plain(made: &Made) -> Vec<(String, Vec<u8>)> {
        made.files
            .iter()
            .map(|(p, b)| (p.clone(), b.to_vec()))
            .collect()
    }

    /// A page changed makes its shard again and reads that shard's pages
    /// alone; the index is the one made from nothing.
    #[test]
    fn a_page_changed_makes_its_shard_again_and_no_other() {
        let mut pages: Vec<(String, String)> = (0..6)
            .map(|i| (format!("t{i}/index.html"), page(i, "Mariátegui")))
            .collect();
        let mut kept = Kept::default();
        let (first, reads) = index(&mut kept, &pages, 2);
        assert_eq!((first.made, first.kept), (3, 0));
        assert_eq!(plain(&first), reference(&pages, 2));
        assert!(reads >= 6, "{reads}");

        pages[3].1 = page(3, "Humbert-Droz");
        let (second, reads) = index(&mut kept, &pages, 2);
        assert_eq!((second.made, second.kept), (1, 2));
        // the changed page for its mark, then its shard's two pages
        assert_eq!(reads, 3);
        assert_eq!(plain(&second), reference(&pages, 2));
        assert_ne!(plain(&second), plain(&first));

        let (third, reads) = index(&mut kept, &pages, 2);
        assert_eq!((third.made, third.kept, reads), (0, 3, 0));
    }
}
