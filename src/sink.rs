//! Where the engine's files go, and what it remembers between runs: the one
//! difference between `build` and `serve` (see [`crate::engine`]).
//!
//! - [`DiskSink`]: the atomic writer ([`output::Staging`]) and the manifest
//!   beside the output ([`manifest`]) that tells a rebuild which units are
//!   already written as it would write them.
//! - [`MemorySink`]: a map of every unit's files, kept by a serve
//!   [`crate::Session`] from one build to the next and served over HTTP.
//!
//! A unit is a page with its source view, a letter page of a divided index,
//! or the 404 page; its *fingerprint* hashes everything its templates can
//! read ([`crate::render::Renderer::fingerprint_unit`]).

use crate::diagnostics::Diagnostics;
use crate::manifest;
use crate::output::{self, PageBytes, SiteFile};
use crate::pack::{Dictionaries, Packed};
use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// A unit that did not change since the sink last took it.
pub struct Kept {
    /// Its page URLs (for the sitemap).
    pub urls: Vec<String>,
    /// What rendering it reported then (warnings), to report again.
    pub diags: Diagnostics,
}

/// Where the files of a run go. Called from the render workers in
/// parallel; nothing is visible to a reader before the run succeeds.
pub trait Sink: Sync {
    /// The unit `name` as the sink last took it, if its fingerprint is
    /// `fingerprint` and its files are intact; it is then kept as it is.
    fn keep(&self, name: &str, fingerprint: u64) -> Option<io::Result<Kept>>;
    /// A unit rendered now: its files (only those it writes) and page URLs.
    fn put(
        &self,
        name: &str,
        fingerprint: u64,
        files: Vec<SiteFile>,
        urls: Vec<String>,
        diags: &Diagnostics,
    ) -> io::Result<()>;
    /// The files that belong to no unit (static files, the theme, the
    /// sitemap…), after every unit.
    fn put_others(&self, files: Vec<SiteFile>) -> io::Result<()>;
    /// A large file of a unit written by `write` as it is made: the
    /// returned file goes into the unit's [`Sink::put`] with the others.
    /// By default the bytes are collected; [`DiskSink`] writes them
    /// straight into the staged file (and returns the file without bytes).
    fn put_stream(&self, path: &str, write: Write<'_>) -> io::Result<SiteFile> {
        let mut bytes = Vec::new();
        write(&mut bytes)?;
        Ok(SiteFile {
            path: path.to_string(),
            bytes,
        })
    }
    /// A page's bytes as put or kept, for the search index; `None`: this
    /// sink leaves the index to its reader (serve makes it when asked).
    fn read_back(&self, _path: &str) -> Option<io::Result<PageBytes>> {
        None
    }
    /// Whether [`Sink::read_back`] gives the pages back.
    fn reads_back(&self) -> bool {
        false
    }
    /// The fingerprint and page URLs (or, for a unit that is no page, the
    /// list it gave in their place) of unit `name` as the sink last took
    /// it, whether or not its files are still intact; `None` if it holds no
    /// such unit.
    fn recorded(&self, _name: &str) -> Option<(u64, &[String])> {
        None
    }
}

/// What writes a streamed file (see [`Sink::put_stream`]).
pub type Write<'w> = &'w mut dyn FnMut(&mut dyn io::Write) -> io::Result<()>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A unit's record for the next manifest. `kept`: its files are the
/// previous output's, with their stamps.
struct Record {
    fingerprint: u64,
    paths: Vec<String>,
    urls: Vec<String>,
    kept: Option<manifest::Unit>,
}

/// The atomic writer: a complete new tree staged beside the output, swapped
/// in by [`DiskSink::commit`]; dropped without a commit, it leaves the
/// previous output as it was.
pub struct DiskSink {
    out: PathBuf,
    staging: output::Staging,
    previous: Option<manifest::Manifest>,
    key: String,
    records: Mutex<HashMap<String, Record>>,
    written: std::sync::atomic::AtomicUsize,
    /// Files already staged by [`Sink::put_stream`], awaiting their unit.
    streamed: Mutex<HashSet<String>>,
}

impl DiskSink {
    pub fn new(out: &Path) -> io::Result<DiskSink> {
        let staging = output::Staging::new(out)?;
        let key = manifest::build_key();
        let previous = if staging.has_previous() {
            manifest::Manifest::load(&manifest::path_for(out), &key)
        } else {
            None
        };
        Ok(DiskSink {
            out: out.to_path_buf(),
            staging,
            previous,
            key,
            records: Mutex::default(),
            written: Default::default(),
            streamed: Mutex::default(),
        })
    }

    /// Swaps the new tree in, then writes the manifest of what is now in
    /// the output (if it cannot be written, none: the next build renders
    /// everything). Returns how many files were written.
    pub fn commit(self) -> io::Result<usize> {
        let relinked = self.staging.commit()?;
        let mut next = manifest::Manifest::new(self.key);
        let records = self
            .records
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        for (name, r) in records {
            let unit = match r.kept {
                // a kept unit keeps its stamps, unless a file of it was
                // linked into the new tree (which changed its change time)
                Some(k) if !k.files.iter().any(|f| relinked.contains(&f.path)) => Some(k),
                Some(k) => restamp(
                    &self.out,
                    r.fingerprint,
                    k.files.into_iter().map(|f| f.path),
                    k.urls,
                ),
                None => restamp(&self.out, r.fingerprint, r.paths.into_iter(), r.urls),
            };
            if let Some(unit) = unit {
                next.units.insert(name, unit);
            }
        }
        let path = manifest::path_for(&self.out);
        if next.save(&path).is_err() {
            let _ = std::fs::remove_file(&path);
        }
        Ok(self.written.into_inner())
    }
}

/// A unit's files stamped as they are now in `out` (none if one is missing).
fn restamp(
    out: &Path,
    fingerprint: u64,
    paths: impl Iterator<Item = String>,
    urls: Vec<String>,
) -> Option<manifest::Unit> {
    paths
        .map(|p| manifest::stamp(out, &p))
        .collect::<Option<Vec<_>>>()
        .map(|files| manifest::Unit {
            fingerprint,
            urls,
            files,
        })
}

impl Sink for DiskSink {
    fn keep(&self, name: &str, fingerprint: u64) -> Option<io::Result<Kept>> {
        let unit = self
            .previous
            .as_ref()?
            .intact(name, fingerprint, &self.out)?;
        let kept = unit
            .files
            .iter()
            .try_for_each(|f| self.staging.keep(&f.path));
        if let Err(e) = kept {
            return Some(Err(e));
        }
        lock(&self.records).insert(
            name.to_string(),
            Record {
                fingerprint,
                paths: Vec::new(),
                urls: Vec::new(),
                kept: Some(unit.clone()),
            },
        );
        // (the manifest keeps no warnings: a unit with warnings is never kept)
        Some(Ok(Kept {
            urls: unit.urls.clone(),
            diags: Diagnostics::default(),
        }))
    }

    fn put(
        &self,
        name: &str,
        fingerprint: u64,
        files: Vec<SiteFile>,
        urls: Vec<String>,
        diags: &Diagnostics,
    ) -> io::Result<()> {
        let mut paths = Vec::with_capacity(files.len());
        for f in files {
            if !lock(&self.streamed).remove(&f.path) {
                self.staging.put(&f.path, &f.bytes)?;
            }
            self.written
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            paths.push(f.path);
        }
        // a unit that reported something is rendered again next time, so
        // that its warnings are reported again
        if diags.is_empty() {
            lock(&self.records).insert(
                name.to_string(),
                Record {
                    fingerprint,
                    paths,
                    urls,
                    kept: None,
                },
            );
        }
        Ok(())
    }

    fn put_others(&self, files: Vec<SiteFile>) -> io::Result<()> {
        for f in files {
            self.staging.put(&f.path, &f.bytes)?;
            self.written
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    }

    fn read_back(&self, path: &str) -> Option<io::Result<PageBytes>> {
        Some(self.staging.read(path))
    }

    fn reads_back(&self) -> bool {
        true
    }

    fn recorded(&self, name: &str) -> Option<(u64, &[String])> {
        let unit = self.previous.as_ref()?.units.get(name)?;
        Some((unit.fingerprint, &unit.urls))
    }

    fn put_stream(&self, path: &str, write: Write<'_>) -> io::Result<SiteFile> {
        self.staging.put_with(path, write)?;
        lock(&self.streamed).insert(path.to_string());
        Ok(SiteFile {
            path: path.to_string(),
            bytes: Vec::new(),
        })
    }
}

/// A file of a site built in memory, kept LZ4-compressed against the
/// dictionary of its kind ([`crate::pack::Dictionaries`]: a site of 10,000
/// texts is about 800 MB of HTML and XML, under a third of that packed); its
/// bytes are shared with the [`crate::Session`] that built it, and with the
/// next build if they did not change.
#[derive(Debug, Clone)]
pub struct SharedFile {
    pub path: String,
    pub packed: Arc<Packed>,
}

impl SharedFile {
    /// The file's bytes, unpacked.
    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        self.packed.unpack()
    }
}

/// A unit's files as last rendered and rewritten.
pub struct Rendered {
    fingerprint: u64,
    files: Vec<SharedFile>,
    urls: Vec<String>,
    diags: Diagnostics,
}

/// What a [`MemorySink`] holds after a run: every unit by name, and the
/// other files by path.
#[derive(Default)]
pub struct Memory {
    units: Map<Arc<Rendered>>,
    others: Map<Arc<Packed>>,
    /// What files are packed against, the same from one run to the next.
    dictionaries: Arc<Dictionaries>,
}

/// A map by name or path (foldhash: a rebuild looks up every unit).
type Map<V> = foldhash::HashMap<String, V>;

/// The site in memory, for serve: a run takes over the units of the
/// previous one that did not change (their bytes are shared, not copied).
pub struct MemorySink<'a> {
    previous: &'a Memory,
    next: Mutex<Memory>,
}

impl<'a> MemorySink<'a> {
    pub fn new(previous: &'a Memory) -> MemorySink<'a> {
        MemorySink {
            previous,
            next: Mutex::new(Memory {
                dictionaries: Arc::clone(&previous.dictionaries),
                ..Memory::default()
            }),
        }
    }

    /// A file packed against the dictionary of its kind.
    fn pack(&self, f: &SiteFile) -> Packed {
        let d = self.previous.dictionaries.for_file(&f.path, &f.bytes);
        Packed::from_bytes(&f.bytes, d)
    }

    /// The files of the run (in no particular order), and the paths whose
    /// bytes changed since `previous` (added, changed or removed).
    pub fn finish(self) -> (Memory, Vec<SharedFile>, Vec<String>) {
        let next = self
            .next
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let old = self.previous;
        let mut changed = Vec::new();
        for (name, r) in &next.units {
            match old.units.get(name) {
                Some(o) if Arc::ptr_eq(o, r) => {}
                Some(o) => diff_files(&o.files, &r.files, &mut changed),
                None => changed.extend(r.files.iter().map(|f| f.path.clone())),
            }
        }
        for (name, o) in &old.units {
            if !next.units.contains_key(name) {
                changed.extend(o.files.iter().map(|f| f.path.clone()));
            }
        }
        for (path, bytes) in &next.others {
            // (unchanged bytes share the previous run's pack: see put_others)
            match old.others.get(path) {
                Some(o) if Arc::ptr_eq(o, bytes) || o == bytes => {}
                _ => changed.push(path.clone()),
            }
        }
        changed.extend(
            old.others
                .keys()
                .filter(|p| !next.others.contains_key(*p))
                .cloned(),
        );
        changed.sort();
        changed.dedup();
        let count = next.units.values().map(|r| r.files.len()).sum::<usize>() + next.others.len();
        let mut files: Vec<SharedFile> = Vec::with_capacity(count);
        files.extend(next.units.values().flat_map(|r| r.files.iter().cloned()));
        files.extend(next.others.iter().map(|(path, packed)| SharedFile {
            path: path.clone(),
            packed: Arc::clone(packed),
        }));
        (next, files, changed)
    }
}

/// Paths of `new` that are not in `old` with the same bytes, then paths of
/// `old` that `new` lacks.
fn diff_files(old: &[SharedFile], new: &[SharedFile], out: &mut Vec<String>) {
    let before: HashMap<&str, &Arc<Packed>> =
        old.iter().map(|f| (f.path.as_str(), &f.packed)).collect();
    let after: HashSet<&str> = new.iter().map(|f| f.path.as_str()).collect();
    for f in new {
        // (packing is deterministic: equal packs, equal bytes)
        if before.get(f.path.as_str()) != Some(&&f.packed) {
            out.push(f.path.clone());
        }
    }
    out.extend(
        old.iter()
            .filter(|o| !after.contains(o.path.as_str()))
            .map(|o| o.path.clone()),
    );
}

impl Sink for MemorySink<'_> {
    fn keep(&self, name: &str, fingerprint: u64) -> Option<io::Result<Kept>> {
        let r = self.previous.units.get(name)?;
        if r.fingerprint != fingerprint {
            return None;
        }
        lock(&self.next)
            .units
            .insert(name.to_string(), Arc::clone(r));
        Some(Ok(Kept {
            urls: r.urls.clone(),
            diags: r.diags.clone(),
        }))
    }

    fn put(
        &self,
        name: &str,
        fingerprint: u64,
        files: Vec<SiteFile>,
        urls: Vec<String>,
        diags: &Diagnostics,
    ) -> io::Result<()> {
        let files = files
            .into_iter()
            .map(|f| SharedFile {
                packed: Arc::new(self.pack(&f)),
                path: f.path,
            })
            .collect();
        let r = Rendered {
            fingerprint,
            files,
            urls,
            diags: diags.clone(),
        };
        lock(&self.next).units.insert(name.to_string(), Arc::new(r));
        Ok(())
    }

    fn put_others(&self, files: Vec<SiteFile>) -> io::Result<()> {
        let mut next = lock(&self.next);
        for f in files {
            // unchanged bytes stay shared with the previous run
            let packed =
                Packed::from_bytes(&f.bytes, next.dictionaries.for_file(&f.path, &f.bytes));
            let packed = match self.previous.others.get(&f.path) {
                Some(b) if **b == packed => Arc::clone(b),
                _ => Arc::new(packed),
            };
            next.others.insert(f.path, packed);
        }
        Ok(())
    }
}
