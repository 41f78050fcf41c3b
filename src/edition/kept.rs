//! What a rebuild's parse stage keeps beside the output
//! (`.public.apparat-parse`): each page's parsed document without its body
//! HTML, by the page's path and the hash of its path and text
//! ([`super::Entry::hash`]), so that a rebuild parses only the pages whose
//! text changed. A document is determined by the page's text, the site
//! configuration and the binary: the file is keyed by the last two and read
//! only by the same. The body of a page taken from here is made again when
//! the page is rendered ([`super::Entry::body_again`]), as for a page whose
//! body a rebuild let go past its budget.
//!
//! A page whose parse gave a diagnostic is not kept (it is parsed again, so
//! that every build reports it). A file that cannot be read, or that another
//! binary or configuration wrote, is no cache; one that cannot be written is
//! none either (the next rebuild parses every page).

use crate::markup::Document;
use foldhash::{HashMap, HashMapExt};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The documents of the last rebuild, as read from beside the output.
pub struct KeptDocs {
    file: PathBuf,
    /// This binary's key ([`crate::manifest::build_key`]).
    binary: String,
    /// The file's bytes, and where each page's document is in them.
    bytes: Vec<u8>,
    docs: HashMap<String, (u64, Range<usize>)>,
    /// The file written for the next rebuild, until the build that wrote
    /// it succeeds ([`KeptDocs::commit`]); removed if it fails.
    next: Option<PathBuf>,
}

/// A page's document for the next rebuild: new, or the bytes kept before.
pub enum Keep {
    New(Vec<u8>),
    Kept(Range<usize>),
}

impl KeptDocs {
    /// The documents kept beside the output folder `out`, for this binary
    /// (`binary`); none yet if there is no such file. `None`: no place
    /// for them (`out` has no file name).
    pub fn beside(out: &Path, binary: &str) -> Option<KeptDocs> {
        Some(KeptDocs {
            file: file_beside(out)?,
            binary: binary.to_string(),
            bytes: Vec::new(),
            docs: HashMap::new(),
            next: None,
        })
    }

    /// Reads the file, keeping its documents if it was written by this
    /// binary for the configuration `config` (a hash): anything else is
    /// no documents.
    pub fn read(&mut self, config: u64) {
        self.docs.clear();
        // (a link there is not followed: only a file this binary wrote)
        let file = std::fs::symlink_metadata(&self.file).is_ok_and(|m| m.is_file());
        self.bytes = match file {
            true => std::fs::read(&self.file).unwrap_or_default(),
            false => Vec::new(),
        };
        match decode(&self.bytes, &self.key(config)) {
            Some(docs) => self.docs = docs,
            None => self.bytes = Vec::new(),
        }
    }

    fn key(&self, config: u64) -> String {
        format!("{}\n{config:016x}", self.binary)
    }

    /// The document of the page at `path` whose hash is `hash`, if kept.
    pub fn get(&self, path: &str, hash: u64) -> Option<(Document, Keep)> {
        let (h, range) = self.docs.get(path)?;
        if *h != hash {
            return None;
        }
        let bytes = self.bytes.get(range.clone())?;
        let doc = minicbor::decode::<Document>(bytes).ok()?;
        Some((doc, Keep::Kept(range.clone())))
    }

    /// The document kept as `keep` says, as it is encoded (`None`: a new
    /// one, or one no longer held).
    pub fn encoded(&self, keep: &Keep) -> Option<&[u8]> {
        match keep {
            Keep::Kept(range) => self.bytes.get(range.clone()),
            Keep::New(_) => None,
        }
    }

    /// Whether the file would be the same if written with `pages`.
    pub fn holds(&self, pages: &[(String, u64, Keep)]) -> bool {
        pages.len() == self.docs.len()
            && pages.iter().all(|(path, hash, keep)| {
                matches!(keep, Keep::Kept(_)) && self.docs.get(path).is_some_and(|(h, _)| h == hash)
            })
    }

    /// Writes the documents of `pages` (path, hash, document) for the
    /// configuration `config`, to a file that replaces the last when the
    /// build succeeds ([`KeptDocs::commit`]).
    pub fn write(&mut self, config: u64, pages: &[(String, u64, Keep)]) -> std::io::Result<()> {
        use std::io::Write;
        let next = next_of(&self.file);
        // a new file, never one already there (nor what a link there
        // points to): what a killed build left is removed first
        forget_unfinished(&self.file);
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&next)?;
        self.next = Some(next);
        // written page by page (the file is a CBOR array of them), never
        // held whole: tens of megabytes at tens of thousands of texts
        let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
        self.encode(config, pages, &mut |b| w.write_all(b))?;
        w.into_inner().map_err(|e| e.into_error())?;
        Ok(())
    }

    /// Lets go of the documents read (once the next are written).
    pub fn let_go(&mut self) {
        self.bytes = Vec::new();
        self.docs = HashMap::new();
    }

    /// The build succeeded: what it wrote replaces the last file.
    pub fn commit(mut self) {
        if let Some(next) = self.next.take() {
            if std::fs::rename(&next, &self.file).is_err() {
                let _ = std::fs::remove_file(&next);
            }
        }
    }

    /// The file's bytes for `pages`, handed to `out` a piece at a time (its
    /// head, then each page).
    fn encode(
        &self,
        config: u64,
        pages: &[(String, u64, Keep)],
        out: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let cbor = std::io::Error::other;
        let mut e = minicbor::Encoder::new(Vec::new());
        e.str(&self.key(config))
            .and_then(|e| e.array(pages.len() as u64))
            .map_err(cbor)?;
        out(e.writer())?;
        for (path, hash, keep) in pages {
            let doc = match keep {
                Keep::New(bytes) => bytes.as_slice(),
                Keep::Kept(range) => self.bytes.get(range.clone()).unwrap_or_default(),
            };
            e.writer_mut().clear();
            e.array(3)
                .and_then(|e| e.str(path))
                .and_then(|e| e.u64(*hash))
                .map_err(cbor)?;
            out(e.writer())?;
            // (the document's bytes as they are, after their head)
            e.writer_mut().clear();
            e.bytes_len(doc.len() as u64).map_err(cbor)?;
            out(e.writer())?;
            out(doc)?;
        }
        Ok(())
    }
}

impl Drop for KeptDocs {
    /// A build that did not succeed leaves the last file as it was.
    fn drop(&mut self) {
        if let Some(next) = self.next.take() {
            let _ = std::fs::remove_file(next);
        }
    }
}

/// Where the documents for the next rebuild are written, until the build
/// succeeds.
fn next_of(file: &Path) -> PathBuf {
    file.with_extension("apparat-parse-next")
}

/// Removes what a build killed before it succeeded left beside the output
/// folder `out` (its documents for the next rebuild).
pub fn forget_unfinished_beside(out: &Path) {
    if let Some(file) = file_beside(out) {
        forget_unfinished(&file);
    }
}

/// The documents' file beside the output folder `out`.
fn file_beside(out: &Path) -> Option<PathBuf> {
    let name = out.file_name()?.to_string_lossy().into_owned();
    Some(out.with_file_name(format!(".{name}.apparat-parse")))
}

fn forget_unfinished(file: &Path) {
    let next = next_of(file);
    if std::fs::symlink_metadata(&next).is_ok() {
        let _ = std::fs::remove_file(&next);
    }
}

/// A document's bytes for the file.
pub fn encode(doc: &Document) -> Option<Vec<u8>> {
    minicbor::to_vec(doc).ok()
}

/// Where each page's document is in `bytes`, if they begin with `key`.
fn decode(bytes: &[u8], key: &str) -> Option<HashMap<String, (u64, Range<usize>)>> {
    let mut d = minicbor::Decoder::new(bytes);
    if d.str().ok()? != key {
        return None;
    }
    let n = d.array().ok()??;
    let mut docs = HashMap::with_capacity(n.min(1 << 20) as usize);
    for _ in 0..n {
        if d.array().ok()? != Some(3) {
            return None;
        }
        let path = d.str().ok()?.to_string();
        let hash = d.u64().ok()?;
        let doc = d.bytes().ok()?;
        // (where the slice is in `bytes`)
        let start = doc.as_ptr() as usize - bytes.as_ptr() as usize;
        docs.insert(path, (hash, start..start + doc.len()));
    }
    Some(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Document {
        let mut diags = crate::diagnostics::Diagnostics::default();
        let sm = crate::diagnostics::SourceMap::new("content/t.md", String::new());
        let opts = crate::markup::ParseOptions {
            kind: crate::content::Kind::Text,
            persons_url: "/persons/".into(),
            registers: Vec::new(),
            translation_credit: String::new(),
            ui: crate::i18n::Ui::new("en"),
            prefix: String::new(),
            lang: "en".into(),
            title_note: None,
        };
        let body = "# A heading\n\nA paragraph with a note.[^1]\n\n[^1]: The note.\n";
        crate::markup::parse_with(body, 0, &sm, &opts, false, &mut diags)
    }

    /// Documents written are read back as they were, by the same binary and
    /// configuration only; a damaged file is no documents.
    #[test]
    fn documents_kept_are_read_back_for_the_same_binary_and_configuration() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("public");
        let d = doc();
        let bytes = encode(&d).expect("encode");
        let pages = vec![("content/t.md".to_string(), 7, Keep::New(bytes))];
        let mut failed = KeptDocs::beside(&out, "binary 1").expect("beside");
        failed.write(1, &pages).expect("write");
        drop(failed);
        let mut none = KeptDocs::beside(&out, "binary 1").expect("beside");
        none.read(1);
        assert!(
            none.get("content/t.md", 7).is_none(),
            "written by a failed build"
        );
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
        let mut kept = KeptDocs::beside(&out, "binary 1").expect("beside");
        kept.write(1, &pages).expect("write");
        kept.commit();

        let mut again = KeptDocs::beside(&out, "binary 1").expect("beside");
        again.read(1);
        assert!(again.holds(&[("content/t.md".to_string(), 7, Keep::Kept(0..0))]));
        let (back, _) = again.get("content/t.md", 7).expect("kept");
        assert_eq!(
            format!("{back:?}"),
            format!(
                "{:?}",
                Document {
                    html: String::new(),
                    ..d
                }
            )
        );
        assert!(again.get("content/t.md", 8).is_none(), "another text");

        again.read(2);
        assert!(
            again.get("content/t.md", 7).is_none(),
            "another configuration"
        );
        let mut other = KeptDocs::beside(&out, "binary 2").expect("beside");
        other.read(1);
        assert!(other.get("content/t.md", 7).is_none(), "another binary");

        let file = dir.path().join(".public.apparat-parse");
        let whole = std::fs::read(&file).expect("read");
        std::fs::write(&file, &whole[..whole.len() - 3]).expect("cut");
        let mut cut = KeptDocs::beside(&out, "binary 1").expect("beside");
        cut.read(1);
        assert!(cut.get("content/t.md", 7).is_none(), "a file cut short");
    }

    /// Links beside the output are neither followed when read nor written
    /// through; what a killed build left is removed.
    #[cfg(unix)]
    #[test]
    fn links_beside_the_output_are_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("public");
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep me").expect("victim");
        let next = dir.path().join(".public.apparat-parse-next");
        std::os::unix::fs::symlink(&victim, &next).expect("link");
        let pages = vec![(
            "content/t.md".to_string(),
            7,
            Keep::New(encode(&doc()).expect("doc")),
        )];
        let mut kept = KeptDocs::beside(&out, "b").expect("beside");
        kept.write(1, &pages).expect("write");
        kept.commit();
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep me");
        assert!(std::fs::symlink_metadata(&next).is_err(), "left behind");

        // the documents replaced by a link to a file of the same bytes
        let file = dir.path().join(".public.apparat-parse");
        let elsewhere = dir.path().join("elsewhere");
        std::fs::rename(&file, &elsewhere).expect("move");
        std::os::unix::fs::symlink(&elsewhere, &file).expect("link");
        let mut linked = KeptDocs::beside(&out, "b").expect("beside");
        linked.read(1);
        assert!(
            linked.get("content/t.md", 7).is_none(),
            "a link was followed"
        );

        // what a killed build left
        std::fs::write(&next, "half").expect("left");
        forget_unfinished_beside(&out);
        assert!(!next.exists());
    }
}
