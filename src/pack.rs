//! Text kept LZ4-compressed in blocks (lz4_flex), read back one block at a
//! time: the body HTML of a page that a build does not hold as it is (see
//! [`crate::edition::ParseCache::html_budget`]), packed whole or as parse
//! emits it ([`Packer`]); in a build, set aside in a file beside the
//! output ([`Spill`]).

use std::io::{Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex, PoisonError};

/// A page body from this many bytes of source on is large (see [`is_large`]).
pub const LARGE_BODY: usize = 1 << 20;

/// Whether a page body of `len` bytes of source is large: parse and the TEI
/// export read it twice rather than hold its parser events
/// (`markup/flow.rs`), parse packs its HTML as it emits it when the build
/// keeps bodies compressed, and the TEI export packs its body as it writes
/// it. The output is the same either way; `APPARAT_LARGE_BODY` (bytes) moves
/// the threshold, so that tests can take both paths on small pages.
pub fn is_large(len: usize) -> bool {
    static MIN: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    static MET: std::sync::Once = std::sync::Once::new();
    let min = MIN.get_or_init(|| {
        std::env::var("APPARAT_LARGE_BODY")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(LARGE_BODY)
    });
    let large = len >= *min;
    if large {
        if let Some(f) = ON_LARGE_BODY.get() {
            MET.call_once(f);
        }
    }
    large
}

/// Called once, the first time a large body is met ([`is_large`]): a
/// binary may then trade speed for memory (apparat's makes its allocator
/// return freed memory to the system at once).
pub static ON_LARGE_BODY: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Text compressed in blocks of at most [`Packed::BLOCK`] bytes (LZ4), so
/// that it can be read back one block at a time (see [`crate::stream`]),
/// each block against the pack's [`Dictionary`] if it has one.
/// Two packs are equal when their bytes are (by length and a hash of the
/// bytes, whatever their dictionaries and however they were pushed).
#[derive(Debug, Clone, Default)]
pub struct Packed {
    /// The length of the text.
    pub len: usize,
    /// A hash of the bytes, block by block.
    digest: u64,
    dictionary: Option<Dictionary>,
    blocks: Vec<Block>,
    /// Where the blocks set aside are ([`Block::Aside`]).
    spill: Option<Arc<Spill>>,
}

/// A compressed block: held, or set aside in the pack's [`Spill`].
#[derive(Debug, Clone)]
enum Block {
    Held(Box<[u8]>),
    Aside { at: u64, len: usize },
}

#[cfg(test)]
impl Block {
    fn len(&self) -> usize {
        match self {
            Block::Held(b) => b.len(),
            Block::Aside { len, .. } => *len,
        }
    }
}

/// An unnamed file beside a build's output, where the build sets aside the
/// packed text it does not render at once (each page's body HTML and
/// source past the budget), so that its memory holds what resolve needs
/// rather than every page: the kernel keeps the file in its cache or
/// writes it to disk as memory allows. The file has no name (unlinked as
/// it is made, or deleted when closed): a build that ends or is killed
/// leaves nothing behind.
///
/// A block that cannot be written stays in memory. A block that cannot be
/// read back is unpacked as nothing, and [`Spill::failure`] says why: the
/// build then reports it and writes nothing.
#[derive(Debug)]
pub struct Spill {
    /// The file, and where the next block goes (`None` once closed).
    file: Mutex<Option<(Arc<std::fs::File>, u64)>>,
    failure: Mutex<Option<String>>,
}

impl Spill {
    /// A spill file in the folder that holds the output folder `out`, or
    /// in the nearest folder above it that exists (the writer makes the
    /// others later); `None`: none can be made there.
    pub fn beside(out: &std::path::Path) -> Option<Arc<Spill>> {
        let here = std::path::Path::new(".");
        let folder = out
            .ancestors()
            .skip(1)
            .map(|p| if p.as_os_str().is_empty() { here } else { p })
            .find(|p| p.is_dir())?;
        let file = tempfile::tempfile_in(folder).ok()?;
        Some(Arc::new(Spill {
            file: Mutex::new(Some((Arc::new(file), 0))),
            failure: Mutex::new(None),
        }))
    }

    /// Appends `bytes`; where they are, if they could be written.
    fn put(&self, bytes: &[u8]) -> Option<u64> {
        let mut guard = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        let (file, end) = guard.as_mut()?;
        let at = *end;
        // (a write that failed half-way is written over by the next one)
        let mut file: &std::fs::File = file;
        file.seek(SeekFrom::Start(at)).ok()?;
        file.write_all(bytes).ok()?;
        *end = at + bytes.len() as u64;
        Some(at)
    }

    /// The `len` bytes at `at`.
    fn get(&self, at: u64, len: usize) -> Result<Vec<u8>, String> {
        let read = || -> std::io::Result<Vec<u8>> {
            let mut bytes = vec![0; len];
            let guard = self.file.lock().unwrap_or_else(PoisonError::into_inner);
            let closed = || std::io::Error::other("the file was closed");
            let file = Arc::clone(&guard.as_ref().ok_or_else(closed)?.0);
            // (a positional read needs no lock held)
            #[cfg(unix)]
            {
                drop(guard);
                std::os::unix::fs::FileExt::read_exact_at(&*file, &mut bytes, at)?;
            }
            #[cfg(not(unix))]
            {
                use std::io::Read;
                let mut file: &std::fs::File = &file;
                file.seek(SeekFrom::Start(at))?;
                file.read_exact(&mut bytes)?;
                drop(guard);
            }
            Ok(bytes)
        };
        read().map_err(|e| {
            self.fail(format!(
                "cannot read back the text set aside beside the output: {e}"
            ))
        })
    }

    /// Closes the file, once nothing will be read from it (on Windows, where
    /// it has a name until closed, this removes it): a block read after is
    /// a failure.
    pub fn close(&self) {
        drop(
            self.file
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
    }

    /// Records why a block could not be read back (the first reason is
    /// kept), and gives it back.
    fn fail(&self, why: String) -> String {
        let mut failure = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        failure.get_or_insert_with(|| why.clone());
        why
    }

    /// Why a block could not be read back, if one could not.
    pub fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Bytes set aside as they are in a [`Spill`] (a page's parsed document
/// past the documents' budget, see [`crate::edition::Entry::document`]; a
/// search shard's files until they are written).
#[derive(Debug, Clone)]
pub struct Aside {
    spill: Arc<Spill>,
    at: u64,
    len: usize,
}

impl Aside {
    /// `bytes` set aside in `spill`; `None` if they could not be written
    /// (the caller then keeps what it has).
    pub fn new(spill: &Arc<Spill>, bytes: &[u8]) -> Option<Aside> {
        let at = spill.put(bytes)?;
        Some(Aside {
            spill: Arc::clone(spill),
            at,
            len: bytes.len(),
        })
    }

    /// The bytes set aside (an error says why they cannot be read back).
    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        self.spill.get(self.at, self.len)
    }

    /// The bytes set aside, decoded by `decode`; `None` if they cannot be
    /// read back or decoded: the spill's [`Spill::failure`] then says why
    /// (a build reports it and writes nothing).
    pub fn read<T>(&self, decode: impl FnOnce(&[u8]) -> Option<T>) -> Option<T> {
        let bytes = self.bytes().ok()?;
        let value = decode(&bytes);
        if value.is_none() {
            self.spill
                .fail("cannot decode what was set aside beside the output".into());
        }
        value
    }
}

impl PartialEq for Packed {
    fn eq(&self, other: &Packed) -> bool {
        (self.len, self.digest) == (other.len, other.digest)
    }
}

impl Eq for Packed {}

/// Bytes that the files of one kind share (the markup of their template),
/// against which each is compressed: a page of a large site then takes
/// about a third less memory packed (see [`Dictionaries`]).
pub type Dictionary = std::sync::Arc<[u8]>;

impl Packed {
    pub const BLOCK: usize = 1 << 20;

    pub fn new(text: &str) -> Packed {
        Packed::new_in(text, None)
    }

    /// [`Packed::new`], its blocks set aside in `spill` if there is one.
    pub fn new_in(text: &str, spill: Option<&Arc<Spill>>) -> Packed {
        let mut p = Packer::setting_aside(spill);
        p.push(text);
        p.finish()
    }

    /// Any bytes packed (a file of a site kept in memory, see
    /// [`crate::sink::SharedFile`]), against `dictionary` if there is one.
    pub fn from_bytes(bytes: &[u8], dictionary: Option<Dictionary>) -> Packed {
        let mut p = Packer {
            packed: Packed {
                dictionary,
                ..Packed::default()
            },
            pending: Vec::new(),
        };
        p.push_bytes(bytes);
        p.finish()
    }

    /// A hash of the bytes packed (equal bytes, equal hashes: see
    /// [`Packed`]).
    pub fn hash(&self) -> u64 {
        crate::hash::hash_of(&(self.len, self.digest))
    }

    /// The bytes packed, unpacked whole.
    pub fn unpack(&self) -> Result<Vec<u8>, String> {
        let mut bytes = Vec::with_capacity(self.len);
        for block in self.blocks() {
            bytes.extend_from_slice(&block?);
        }
        Ok(bytes)
    }

    /// The blocks in order, each unpacked when it is reached (a block may
    /// end inside a character).
    pub fn blocks(&self) -> impl Iterator<Item = Result<Vec<u8>, String>> + '_ {
        self.blocks.iter().map(|block| {
            let aside;
            let b: &[u8] = match (block, &self.spill) {
                (Block::Held(b), _) => b,
                (&Block::Aside { at, len }, Some(spill)) => {
                    aside = spill.get(at, len)?;
                    &aside
                }
                (Block::Aside { .. }, None) => return Err("a block set aside is lost".into()),
            };
            match &self.dictionary {
                Some(d) => lz4_flex::block::decompress_size_prepended_with_dict(b, d),
                None => lz4_flex::decompress_size_prepended(b),
            }
            .map_err(|e| match (block, &self.spill) {
                // (read back, but not as it was written)
                (Block::Aside { .. }, Some(spill)) => spill.fail(format!(
                    "the text set aside beside the output was read back damaged: {e}"
                )),
                _ => e.to_string(),
            })
        })
    }
}

/// Builds a [`Packed`] from text given in pieces: each full block is
/// compressed as soon as it is complete, so only one block is held as it is.
#[derive(Debug, Default)]
pub struct Packer {
    packed: Packed,
    pending: Vec<u8>,
}

impl Packer {
    /// A packer whose blocks are set aside in `spill`, if there is one.
    pub fn setting_aside(spill: Option<&Arc<Spill>>) -> Packer {
        Packer {
            packed: Packed {
                spill: spill.cloned(),
                ..Packed::default()
            },
            pending: Vec::new(),
        }
    }

    /// Appends `text`.
    pub fn push(&mut self, text: &str) {
        self.push_bytes(text.as_bytes());
    }

    /// Appends bytes (the blocks, once unpacked and joined, give them back).
    pub fn push_bytes(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let room = Packed::BLOCK - self.pending.len();
            let (now, later) = rest.split_at(room.min(rest.len()));
            if self.pending.is_empty() && now.len() == Packed::BLOCK {
                // a whole block from the text itself: no copy
                self.seal(now);
            } else {
                self.pending.extend_from_slice(now);
                if self.pending.len() == Packed::BLOCK {
                    let block = std::mem::take(&mut self.pending);
                    self.seal(&block);
                }
            }
            rest = later;
        }
    }

    fn seal(&mut self, block: &[u8]) {
        let p = &mut self.packed;
        p.len += block.len();
        // (blocks are cut at the same places however the bytes come)
        p.digest = crate::hash::hash_of(&(p.digest, block));
        let packed = match &p.dictionary {
            Some(d) => lz4_flex::block::compress_prepend_size_with_dict(block, d),
            None => lz4_flex::compress_prepend_size(block),
        };
        let aside = p.spill.as_ref().and_then(|s| s.put(&packed));
        p.blocks.push(match aside {
            Some(at) => Block::Aside {
                at,
                len: packed.len(),
            },
            None => Block::Held(packed.into()),
        });
    }

    /// The text packed.
    pub fn finish(mut self) -> Packed {
        if !self.pending.is_empty() {
            let block = std::mem::take(&mut self.pending);
            self.seal(&block);
        }
        self.packed
    }
}

/// The [`Dictionary`] of each kind of file of a site: the first
/// [`Dictionaries::SIZE`] bytes of the first file of that kind met, kept
/// for every later one (a serve session keeps them from one build to the
/// next). A file's kind is its first folder, its depth and its name
/// (`textes/*/index.html`, `textes/*/source/index.html`,
/// `textes/*/tei.xml`…), so files made by the same template usually share
/// one. Which file gives a kind its dictionary may vary from run to run;
/// the bytes unpacked never do.
#[derive(Debug, Default)]
pub struct Dictionaries(std::sync::Mutex<std::collections::HashMap<String, Dictionary>>);

impl Dictionaries {
    /// At most this many bytes: LZ4 looks back 64 KiB.
    pub const SIZE: usize = 1 << 16;

    /// The dictionary for the file at `path`, made of `bytes` if its kind
    /// has none yet. None for a file too short to gain from one.
    pub fn for_file(&self, path: &str, bytes: &[u8]) -> Option<Dictionary> {
        if bytes.len() < 1024 {
            return None;
        }
        let mut parts = path.split('/');
        let first = parts.next().unwrap_or_default();
        let name = path.rsplit('/').next().unwrap_or_default();
        let kind = format!("{first}|{}|{name}", path.matches('/').count());
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let d = map
            .entry(kind)
            .or_insert_with(|| bytes[..bytes.len().min(Self::SIZE)].into());
        Some(std::sync::Arc::clone(d))
    }
}

#[cfg(test)]
mod tests {
    use super::{Dictionaries, Packed, Packer};
    use std::sync::Arc;

    #[test]
    fn files_of_a_kind_are_packed_against_the_first_and_unpack_the_same() {
        let page = |i: usize| {
            let words: String = (0..400)
                .map(|w| format!("w{} ", (w * 7919 + i) % 1000))
                .collect();
            format!("<!doctype html><html><head><title>T{i}</title><style>{}</style></head><body><p>{words}</p></body></html>", "a{b:c} ".repeat(300))
        };
        let dicts = Dictionaries::default();
        let first = page(0);
        let d0 = dicts.for_file("textes/t0/index.html", first.as_bytes());
        assert!(d0.is_some());
        let second = page(1);
        let d1 = dicts.for_file("textes/t1/index.html", second.as_bytes());
        // the kind's dictionary is the first file's, whatever comes next
        assert_eq!(d1.as_deref(), Some(first.as_bytes()));
        // another kind, another dictionary; a short file, none
        let other = dicts.for_file("textes/t1/tei.xml", second.as_bytes());
        assert_eq!(other.as_deref(), Some(second.as_bytes()));
        assert!(dicts.for_file("textes/t1/x.txt", b"short").is_none());

        let with = Packed::from_bytes(second.as_bytes(), d1);
        let without = Packed::from_bytes(second.as_bytes(), None);
        assert_eq!(with.unpack().expect("unpack"), second.as_bytes());
        assert_eq!(without.unpack().expect("unpack"), second.as_bytes());
        // equal bytes, equal packs, whatever the dictionary
        assert_eq!(with, without);
        assert_eq!(with.hash(), without.hash());
        assert_ne!(with, Packed::from_bytes(first.as_bytes(), None));
        let size = |p: &Packed| p.blocks.iter().map(|b| b.len()).sum::<usize>();
        assert!(
            size(&with) < size(&without),
            "{} {}",
            size(&with),
            size(&without)
        );
    }

    #[test]
    fn text_set_aside_unpacks_the_same_and_a_lost_block_is_reported() {
        let dir = tempfile::tempdir().expect("dir");
        let spill = super::Spill::beside(&dir.path().join("public")).expect("spill");
        let texts: Vec<String> = (0..50)
            .map(|i| format!("<p>page {i}</p>").repeat(i * 997))
            .collect();
        let packs: Vec<Packed> = texts
            .iter()
            .map(|t| Packed::new_in(t, Some(&spill)))
            .collect();
        for (t, p) in texts.iter().zip(&packs) {
            assert_eq!(p.unpack().expect("unpack"), t.as_bytes());
            assert_eq!(*p, Packed::new(t));
            assert!(p
                .blocks
                .iter()
                .all(|b| matches!(b, super::Block::Aside { .. })));
        }
        // nothing named in the folder, and no failure yet
        assert_eq!(std::fs::read_dir(dir.path()).expect("read").count(), 0);
        assert_eq!(spill.failure(), None);
        // the file cut short: the block cannot be read back, and the spill says so
        let file = spill
            .file
            .lock()
            .expect("lock")
            .as_ref()
            .map(|f| Arc::clone(&f.0));
        file.expect("open").set_len(1).expect("cut");
        assert!(packs[49].unpack().is_err());
        assert!(spill
            .failure()
            .is_some_and(|e| e.contains("cannot read back")));
        // closed: read as a failure, written nowhere
        let other = super::Spill::beside(&dir.path().join("public")).expect("spill");
        let p = Packed::new_in(&texts[10], Some(&other));
        other.close();
        assert!(p.unpack().is_err());
        assert!(other.failure().is_some_and(|e| e.contains("closed")));
        let q = Packed::new_in(&texts[10], Some(&other));
        assert_eq!(q.unpack().expect("held"), texts[10].as_bytes());
    }

    #[test]
    fn text_packed_in_pieces_is_packed_as_when_whole() {
        let text: String = (0..300_000).map(|i| format!("é{i} ")).collect();
        let whole = Packed::new(&text);
        let unpack = |p: &Packed| {
            let mut v = Vec::new();
            for b in p.blocks() {
                v.extend(b.expect("unpack"));
            }
            v
        };
        assert_eq!(unpack(&whole), text.as_bytes());
        for piece in [1, 7, 4096, Packed::BLOCK - 1, Packed::BLOCK, 3 << 20] {
            let mut p = Packer::default();
            let mut rest = text.as_str();
            while !rest.is_empty() {
                let mut cut = piece.min(rest.len());
                while !rest.is_char_boundary(cut) {
                    cut += 1;
                }
                p.push(&rest[..cut]);
                rest = &rest[cut..];
            }
            let p = p.finish();
            assert_eq!(p.len, text.len());
            assert_eq!(unpack(&p), text.as_bytes(), "pieces of {piece}");
        }
    }
}
