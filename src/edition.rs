//! resolve: cross-document work on parsed pages, pure data. Mentions →
//! register entries, the person index with every occurrence, listings and
//! previous/next. Every reference error is found here; `apparat check` stops here.

use crate::config::Config;
use crate::content::{Kind, Page, Register};
use crate::diagnostics::Diagnostics;
use crate::markup::{self, Document, ParseOptions};
use foldhash::{HashMap, HashMapExt};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::hash::Hash;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub mod kept;
pub use kept::KeptDocs;

/// A page with its parsed document.
#[derive(Debug, Clone)]
pub struct Entry {
    pub page: Page,
    pub doc: Document,
    /// Hash of the page's path and text: with the site configuration, it
    /// determines `doc` (used to tell which pages must be rendered again).
    pub hash: u64,
    /// One per mention of `doc.mentions`, for the person index.
    pub occurrences: Vec<Arc<Occurrence>>,
    /// Hash of what this page gives the person index: kind and occurrences.
    pub index_hash: u64,
    /// [`Document::ids_hash`] of `doc` (for the link check).
    pub ids_hash: u64,
    /// Its key in listing order ([`listing_key`]).
    pub listing: ListingKey,
    /// Each mention's position in the register, once looked up.
    pub resolved: Resolved,
    /// The body HTML, LZ4-compressed, when a build's budget took it out of
    /// `doc.html` (see [`ParseCache::html_budget`]).
    pub packed: Option<Packed>,
    /// The body HTML was let go past the budget (see
    /// [`ParseCache::drop_bodies`]): [`Entry::body_again`] makes it again.
    pub dropped: bool,
    /// `doc` set aside beside the output past the documents' budget (see
    /// [`ParseCache::documents`]): `doc` then holds only its links, its
    /// mentions of the declared registers (which resolve and every page's
    /// fingerprint read) and its counts, and [`Entry::document`] reads the
    /// rest back.
    pub aside: Option<crate::pack::Aside>,
    /// The number of notes of `doc` (set aside or not).
    pub notes: usize,
    /// The key of each mention of `doc` ([`markup::Mention::key`]), in
    /// order (set aside or not).
    pub mention_keys: Box<[u64]>,
}

impl Entry {
    /// The body HTML of an entry whose body was let go, made again from
    /// its source as parse made it (its diagnostics were given then).
    pub fn body_again(&self, config: &Config) -> String {
        let mut scratch = Diagnostics::default();
        parse_page(config, self.page.clone(), &mut scratch).doc.html
    }

    /// The page's parsed document: `doc`, or, when it was set aside, `doc`
    /// read back (its body HTML is never set aside: see [`Entry::packed`]).
    /// A document that cannot be read back gives what `doc` holds, and
    /// the spill's failure fails the build ([`crate::pack::Spill::failure`]).
    pub fn document(&self) -> std::borrow::Cow<'_, Document> {
        use std::borrow::Cow;
        let Some(aside) = &self.aside else {
            return Cow::Borrowed(&self.doc);
        };
        match aside.read(|b| minicbor::decode::<Document>(b).ok()) {
            Some(doc) => Cow::Owned(doc),
            None => Cow::Borrowed(&self.doc),
        }
    }

    /// Sets `doc` aside in `spill`, but what [`Entry::aside`] says stays;
    /// it all stays if it cannot be written.
    fn set_aside(&mut self, spill: &Arc<crate::pack::Spill>, cbor: &[u8]) {
        if let Some(aside) = crate::pack::Aside::new(spill, cbor) {
            let doc = &mut self.doc;
            *doc = Document {
                html: std::mem::take(&mut doc.html),
                links: std::mem::take(&mut doc.links),
                register_mentions: std::mem::take(&mut doc.register_mentions),
                paragraphs: doc.paragraphs,
                foreign_spans: doc.foreign_spans,
                ..Document::default()
            };
            self.aside = Some(aside);
        }
    }

    /// The body HTML when the entry holds it compressed (`None`: it is in
    /// `doc.html`).
    pub fn unpacked_html(&self) -> Option<String> {
        let packed = self.packed.as_ref()?;
        let mut bytes = Vec::with_capacity(packed.len);
        for block in packed.blocks() {
            bytes.extend_from_slice(&block.ok()?);
        }
        String::from_utf8(bytes).ok()
    }
}

pub use crate::pack::Packed;

/// The register position of each mention of an entry (`None`: an unknown
/// id), for the register ids it was looked up in (their hash): an unchanged
/// page of an unchanged register is not looked up again.
#[derive(Debug, Default)]
pub struct Resolved(std::sync::Mutex<Option<(u64, Positions)>>);

/// Register positions of an entry's mentions.
type Positions = Arc<[Option<u32>]>;

/// A person's occurrences in text order (entry, occurrence), and their identity.
type PersonOccurrences<'e> = (Vec<(usize, &'e Arc<Occurrence>)>, u64);

impl Clone for Resolved {
    fn clone(&self) -> Self {
        let inner = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Resolved(std::sync::Mutex::new(inner.clone()))
    }
}

impl Resolved {
    /// The positions for register `ids` (by their hash `key`), looked up
    /// with `lookup` unless known.
    fn get_or(&self, key: u64, lookup: impl FnOnce() -> Vec<Option<u32>>) -> Arc<[Option<u32>]> {
        let mut slot = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &*slot {
            Some((k, positions)) if *k == key => Arc::clone(positions),
            _ => {
                let positions: Arc<[Option<u32>]> = lookup().into();
                *slot = Some((key, Arc::clone(&positions)));
                positions
            }
        }
    }
}

pub use crate::hash::{hash_of, FINGERPRINTS};

/// One occurrence of a person in the index.
#[derive(Debug, Clone, Hash, Serialize)]
pub struct Occurrence {
    /// (one string for all the occurrences of a page, see [`occurrences`])
    pub page_title: Arc<str>,
    /// The page's URL (one string for all the occurrences of a page: the
    /// index's groups by text share it).
    #[serde(skip)]
    pub page_url: Arc<str>,
    /// URL of the mention (`/paris-1978/#m-humbert-droz-3`).
    pub url: String,
    pub para: Option<u32>,
    pub note: Option<String>,
    pub form: String,
    /// The kind of the page holding the mention: every page's mentions are
    /// indexed, an editorial page's (`page`) after the texts' (`text`).
    pub kind: Kind,
    /// A hash of the fields above: what the index compares.
    #[serde(skip)]
    pub hash: u64,
}

/// A person with every occurrence, for the index.
#[derive(Debug, Clone, Hash, Serialize)]
pub struct IndexEntry {
    pub id: String,
    pub name: String,
    pub sort: String,
    /// The language of the name when it is not the index page's (a
    /// register entry's `lang`).
    pub lang: Option<String>,
    pub dates: String,
    /// Inline HTML (register texts are Markdown: `*Amauta*`).
    pub description: String,
    /// The language of `description` when it is not the index page's.
    pub description_lang: Option<String>,
    /// The description in every language of the register, by tag.
    pub descriptions: BTreeMap<String, String>,
    pub remark: Option<String>,
    /// The language of `remark` when it is not the index page's.
    pub remark_lang: Option<String>,
    pub variants: Vec<String>,
    pub pseudonyms: Vec<String>,
    /// Occurrences grouped by text, in text order.
    pub texts: Arc<Vec<TextOccurrences>>,
    pub count: usize,
    pub letter: String,
    /// A work's reference formatted by its CSL style (HTML made by
    /// `bibliography.rs`); `None` for any other register.
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Hash, Serialize)]
pub struct TextOccurrences {
    /// (the strings of the page's occurrences, shared)
    pub title: Arc<str>,
    pub url: Arc<str>,
    /// `text` or `page` (an editorial page: home, section, any other).
    pub kind: Kind,
    pub occurrences: Vec<Arc<Occurrence>>,
}

impl IndexEntry {
    /// The entry with its count but not its occurrences.
    pub fn without_occurrences(&self) -> IndexEntry {
        IndexEntry {
            id: self.id.clone(),
            name: self.name.clone(),
            sort: self.sort.clone(),
            lang: self.lang.clone(),
            dates: self.dates.clone(),
            description: self.description.clone(),
            description_lang: self.description_lang.clone(),
            descriptions: self.descriptions.clone(),
            remark: self.remark.clone(),
            remark_lang: self.remark_lang.clone(),
            variants: self.variants.clone(),
            pseudonyms: self.pseudonyms.clone(),
            texts: Arc::new(Vec::new()),
            count: self.count,
            letter: self.letter.clone(),
            reference: self.reference.clone(),
        }
    }
}

/// « Luis → Humbert-Droz, Jules »
#[derive(Debug, Clone, Hash, Serialize)]
pub struct CrossRef {
    pub form: String,
    pub target: String,
    pub target_id: String,
    pub kind: String,
    pub sort: String,
    pub letter: String,
    /// For a conjectural identification: "conjecture of …", and where argued.
    pub conjecture: Option<String>,
    pub argued: Option<String>,
}

/// An index line: a person or a cross-reference.
#[derive(Debug, Clone, Hash, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum IndexLine {
    Person(IndexEntry),
    Xref(CrossRef),
}

/// The person index: its lines, and a hash of each line (computed once,
/// in parallel, and kept with the index when a later build reuses it).
#[derive(Debug, Clone, Default)]
pub struct Index {
    pub lines: Vec<IndexLine>,
    pub line_hashes: Vec<u64>,
    /// The register it was made from (its text and the interface language).
    register_key: u64,
    /// Per person: the identity of its occurrences (a hash of their
    /// contents, in order), its occurrences grouped by text, and the hash of its line;
    /// what the next index reuses for a person whose occurrences are the same.
    persons: HashMap<String, (u64, Arc<Vec<TextOccurrences>>, u64)>,
}

impl Index {
    /// Hashes the lines whose hash is not known (in parallel).
    fn with_hashes(
        lines: Vec<IndexLine>,
        known: Vec<Option<u64>>,
        register_key: u64,
        persons: HashMap<String, (u64, Arc<Vec<TextOccurrences>>, u64)>,
    ) -> Index {
        use rayon::prelude::*;
        let line_hashes = lines
            .par_iter()
            .enumerate()
            .map(|(i, l)| {
                known
                    .get(i)
                    .copied()
                    .flatten()
                    .unwrap_or_else(|| hash_of(l))
            })
            .collect();
        Index {
            lines,
            line_hashes,
            register_key,
            persons,
        }
    }
}

impl std::ops::Deref for Index {
    type Target = [IndexLine];
    fn deref(&self) -> &[IndexLine] {
        &self.lines
    }
}

/// The resolved edition.
#[derive(Debug, Clone, Default)]
pub struct Edition {
    pub entries: Vec<Arc<Entry>>,
    pub index: Arc<Index>,
    /// A hash of everything the index is made from (the register, and the
    /// texts' occurrences in text order), cheaper than hashing the index.
    pub index_hash: u64,
    pub persons: usize,
    pub notes: usize,
    /// The register's entries as written (for the TEI and data exports).
    pub register: Arc<Vec<crate::content::Person>>,
    /// The registers declared beside the person register, each with its index.
    pub registers: Vec<RegisterIndex>,
}

/// A register declared in site.toml (`[[registers]]`), resolved.
#[derive(Debug, Clone)]
pub struct RegisterIndex {
    pub decl: crate::config::RegisterDecl,
    /// Its entries as written (for the TEI export).
    pub entries: Arc<Vec<crate::content::Person>>,
    pub index: Arc<Index>,
    /// A hash of the index (what its pages show).
    pub hash: u64,
}

/// Accent-insensitive sort key: `Á` sorts with `A`, case ignored, then the raw
/// string breaks ties so that the order is total and stable.
pub fn collation_key(s: &str) -> (String, String) {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = s
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'œ' => 'o',
            'æ' => 'a',
            'ß' => 's',
            c => c,
        })
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == ',')
        .collect();
    (folded, s.to_string())
}

fn first_letter(sort: &str) -> String {
    collation_key(sort)
        .0
        .chars()
        .find(|c| c.is_alphanumeric())
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_else(|| "#".into())
}

pub fn parse_options(config: &Config, page: &Page) -> ParseOptions {
    // a translation in another interface language has its own strings
    let ui = config
        .ui_for_page(page)
        .unwrap_or_else(|| config.ui().clone());
    ParseOptions {
        kind: page.front.kind,
        persons_url: format!("/{}/", config.persons_page.trim_matches('/')),
        registers: config
            .registers
            .iter()
            .map(|r| (r.id.clone(), r.url()))
            .collect(),
        translation_credit: ui.get("translation_credit").to_string(),
        ui,
        prefix: String::new(),
        title_note: page.front.title_note.clone(),
        lang: page
            .front
            .lang
            .clone()
            .unwrap_or_else(|| config.language.clone()),
    }
}

/// The index occurrences of `mentions` on `page`, which share one copy
/// of the page's title.
pub(crate) fn occurrences<'m>(
    page: &Page,
    mentions: impl IntoIterator<Item = &'m markup::Mention>,
) -> Vec<Arc<Occurrence>> {
    let shared = page_strings(page);
    mentions
        .into_iter()
        .map(|m| Arc::new(occurrence(page, m, &shared)))
        .collect()
}

/// A page's title and URL, as its occurrences share them.
pub(crate) fn page_strings(page: &Page) -> (Arc<str>, Arc<str>) {
    (page.front.title.as_str().into(), page.url.as_str().into())
}

/// The index occurrence of mention `m` on `page` (its title and URL shared:
/// [`page_strings`]).
pub(crate) fn occurrence(
    page: &Page,
    m: &markup::Mention,
    (title, url): &(Arc<str>, Arc<str>),
) -> Occurrence {
    let mut o = Occurrence {
        page_title: Arc::clone(title),
        page_url: Arc::clone(url),
        url: format!("{}#{}", page.url, m.anchor),
        para: m.para,
        note: m.note.clone(),
        form: m.form.clone(),
        kind: page.front.kind,
        hash: 0,
    };
    o.hash = hash_of(&o);
    o
}

/// Parses one loaded page.
pub fn parse_page(config: &Config, page: Page, diags: &mut Diagnostics) -> Entry {
    parse_page_with(config, page, false, diags)
}

/// [`parse_page`]; with `pack`, the body HTML is packed as parse emits it
/// ([`Entry::packed`]).
fn parse_page_with(config: &Config, page: Page, pack: bool, diags: &mut Diagnostics) -> Entry {
    let hash = page_hash(&page);
    parse_hashed(config, page, hash, pack, diags)
}

/// [`parse_page_with`] for a page whose [`page_hash`] is `hash`.
fn parse_hashed(
    config: &Config,
    page: Page,
    hash: u64,
    pack: bool,
    diags: &mut Diagnostics,
) -> Entry {
    let opts = parse_options(config, &page);
    let mut doc = markup::parse_with(&page.body(), page.body_start, &page.src, &opts, pack, diags);
    doc.html.shrink_to_fit();
    let packed = doc.packed.take();
    entry_of(page, doc, hash, packed)
}

/// What determines a page's document, with the site configuration: its
/// path and text ([`Entry::hash`]).
fn page_hash(page: &Page) -> u64 {
    hash_of(&(&page.src.path, &page.src.text()))
}

/// A page's entry, made of its parsed document.
fn entry_of(page: Page, mut doc: Document, hash: u64, packed: Option<Packed>) -> Entry {
    // (kept until the next change: no room for more)
    doc.mentions.shrink_to_fit();
    doc.links.shrink_to_fit();
    let occurrences = occurrences(&page, &doc.mentions);
    let persons: Vec<&str> = doc.mentions.iter().map(|m| m.person.as_str()).collect();
    let indexed = page.front.translation_of.is_none();
    let index_hash = hash_of(&(page.front.kind, indexed, persons, &occurrences));
    let ids_hash = doc.ids_hash();
    Entry {
        notes: doc.notes.len(),
        mention_keys: doc.mentions.iter().map(|m| m.key).collect(),
        aside: None,
        listing: listing_key(&page),
        page,
        doc,
        hash,
        occurrences,
        index_hash,
        ids_hash,
        resolved: Resolved::default(),
        packed,
        dropped: false,
    }
}

/// Parses every page (load → parse), in parallel; entries and diagnostics
/// come out in page order.
pub fn parse_all(config: &Config, pages: Vec<Page>, diags: &mut Diagnostics) -> Vec<Arc<Entry>> {
    use rayon::prelude::*;
    let parsed: Vec<(Entry, Diagnostics)> = pages
        .into_par_iter()
        .map(|page| {
            let mut d = Diagnostics::default();
            let entry = parse_page(config, page, &mut d);
            (entry, d)
        })
        .collect();
    let mut entries = Vec::with_capacity(parsed.len());
    for (e, d) in parsed {
        diags.extend(d);
        entries.push(Arc::new(e));
    }
    entries
}

/// What identifies a file's state on disk without reading it.
type Stamp = (u64, Option<std::time::SystemTime>, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let ino = 0;
    Some((m.len(), m.modified().ok(), ino))
}

/// One content file as last loaded and parsed.
struct CachedFile {
    stamp: Option<Stamp>,
    /// `None`: not a page of the site (a draft left out, or a load error).
    entry: Option<Arc<Entry>>,
    diags: Diagnostics,
    /// The build that last saw the file.
    epoch: u64,
}

/// Loaded and parsed pages kept between builds (`serve`): a file whose size,
/// modification time and inode are unchanged, and that the caller did not
/// name as changed, is not read or parsed again. A change of the site
/// configuration or of the options drops everything.
#[derive(Default)]
pub struct ParseCache {
    key: u64,
    epoch: u64,
    files: HashMap<PathBuf, CachedFile>,
    /// Files read and parsed by the last call of [`load_and_parse`].
    pub parsed: usize,
    /// The last person index, with its [`Edition::index_hash`].
    pub index: Option<(u64, Arc<Index>)>,
    /// Trust the caller's list of changed files (a file watcher's): files
    /// not named are not even looked at, and the last walk of `content/` is
    /// reused when no named file is new, gone or a folder.
    pub trust_changes: bool,
    /// The last walk of `content/`.
    pub walked: Option<Arc<crate::content::Walked>>,
    /// Bytes of body HTML still to keep as it is (`None`: keep all). A
    /// page whose HTML does not fit keeps it compressed ([`Entry::packed`],
    /// about a quarter of the size), unpacked when the page is rendered: a
    /// build parses every page once and still never holds every body at once.
    pub html_budget: Option<Arc<std::sync::atomic::AtomicUsize>>,
    /// Past the budget, let the body HTML go instead of packing it: a
    /// rebuild renders few pages, and each one that is rendered parses its
    /// source again ([`Entry::body_again`]) instead of every page packing
    /// a body nobody reads.
    pub drop_bodies: bool,
    /// Where what is packed past the budget is set aside (`None`: it is
    /// held in memory).
    pub spill: Option<Arc<crate::pack::Spill>>,
    /// With a spill: bytes of parsed documents (CBOR, about a third of
    /// their size in memory) to hold past the body budget before the
    /// others are set aside too ([`Entry::aside`]): an edition of some
    /// thousands of texts holds them all; one of tens of thousands holds
    /// in memory what resolve and the person index need, and reads each
    /// page's document back when it renders the page.
    pub documents: usize,
    /// The documents a rebuild keeps beside the output for the next
    /// (`build` only: a session keeps its pages in memory).
    pub kept: Option<KeptDocs>,
}

impl ParseCache {
    /// The last walk, if it still holds: the changes are trusted, and every
    /// changed file under `content/` is a page or register already known
    /// that still exists.
    pub fn reusable_walk(
        &self,
        root: &Path,
        changed: &HashSet<PathBuf>,
    ) -> Option<Arc<crate::content::Walked>> {
        let walked = self.walked.as_ref().filter(|_| self.trust_changes)?;
        let known = |rel: &Path| {
            self.files.contains_key(rel)
                || walked.registers.iter().any(|r| r == rel)
                || walked.bundled.iter().any(|r| r == rel)
        };
        let holds = changed.iter().all(|rel| {
            let path = root.join(rel);
            !rel.starts_with("content")
                || (known(rel) && path.is_file())
                // a file that came and went between two looks (an editor's
                // temporary file, saved and renamed over the real one):
                // nothing the walk found is at or under it
                || (!known(rel)
                    && std::fs::symlink_metadata(&path).is_err()
                    && !self.files.keys().any(|k| k.starts_with(rel))
                    && !walked.registers.iter().any(|k| k.starts_with(rel))
                    && !walked.bundled.iter().any(|k| k.starts_with(rel)))
        });
        holds.then(|| Arc::clone(walked))
    }
}

/// load → parse for the `.md` files found by the walk, in parallel, reusing
/// what `cache` holds for files unchanged since (see [`ParseCache`]); `changed`
/// names files known to have changed. Entries and diagnostics come out in path
/// order, as [`parse_all`] gives them.
pub fn load_and_parse(
    root: &Path,
    config: &Config,
    drafts: bool,
    pages: &[PathBuf],
    changed: &HashSet<PathBuf>,
    cache: &mut ParseCache,
    diags: &mut Diagnostics,
) -> Vec<Arc<Entry>> {
    use rayon::prelude::*;
    let key = hash_of(&(serde_json::to_string(config).unwrap_or_default(), drafts));
    if key != cache.key {
        cache.files.clear();
        cache.key = key;
    }
    if let Some(k) = cache.kept.as_mut() {
        k.read(key);
    }
    let old = &cache.files;
    let documents = std::sync::atomic::AtomicUsize::new(cache.documents);
    let with = ParseWith {
        config,
        drafts,
        documents: &documents,
        budget: cache.html_budget.as_ref(),
        drop_bodies: cache.drop_bodies,
        spill: cache.spill.as_ref(),
        kept: cache.kept.as_ref(),
    };
    let trust = cache.trust_changes;
    // `None`: unchanged, reuse the cached file
    let loaded: Vec<Option<(CachedFile, Option<kept::Keep>)>> = pages
        .par_iter()
        .map(|rel| {
            if trust && !changed.contains(rel) && old.contains_key(rel) {
                return None;
            }
            let st = stamp(&root.join(rel));
            if let Some(c) = old.get(rel) {
                if st.is_some() && c.stamp == st && !changed.contains(rel) {
                    return None;
                }
            }
            let mut d = Diagnostics::default();
            let (entry, keep) = with.load(root, rel, &mut d);
            let file = CachedFile {
                stamp: st,
                entry,
                diags: d,
                epoch: 0,
            };
            Some((file, keep))
        })
        .collect();
    let (loaded, reused) = keep_documents(cache, key, pages, loaded);
    cache.epoch += 1;
    let epoch = cache.epoch;
    let mut entries = Vec::with_capacity(loaded.len());
    cache.parsed = 0;
    for (rel, new) in pages.iter().zip(loaded) {
        if let Some(mut c) = new {
            cache.parsed += 1;
            c.epoch = epoch;
            cache.files.insert(rel.clone(), c);
        }
        if let Some(c) = cache.files.get_mut(rel) {
            c.epoch = epoch;
            diags.extend(c.diags.clone());
            entries.extend(c.entry.clone());
        }
    }
    cache.parsed -= reused;
    // files gone since the last build
    cache.files.retain(|_, c| c.epoch == epoch);
    entries
}

/// What parsing a page needs besides the page (see [`ParseCache`]).
struct ParseWith<'a> {
    config: &'a Config,
    drafts: bool,
    /// What is left of [`ParseCache::documents`].
    documents: &'a std::sync::atomic::AtomicUsize,
    budget: Option<&'a Arc<std::sync::atomic::AtomicUsize>>,
    drop_bodies: bool,
    spill: Option<&'a Arc<crate::pack::Spill>>,
    kept: Option<&'a KeptDocs>,
}

impl ParseWith<'_> {
    /// The page at `rel` loaded and parsed (`None`: a draft left out, or
    /// not loaded), its document taken from the kept documents if they
    /// hold it; and what the next rebuild keeps of it, if anything.
    fn load(
        &self,
        root: &Path,
        rel: &Path,
        d: &mut Diagnostics,
    ) -> (Option<Arc<Entry>>, Option<kept::Keep>) {
        let Some(p) =
            crate::content::load_page(root, rel, d).filter(|p| !p.front.draft || self.drafts)
        else {
            return (None, None);
        };
        let hash = page_hash(&p);
        let path = rel.to_string_lossy();
        // a large body is packed as it is made, whatever is left of the
        // budget; such a page is parsed every time (made again from a kept
        // document, its body would be held whole when rendered)
        let pack = self.budget.is_some() && crate::pack::is_large(p.body().len());
        let kept = self.kept.filter(|_| !pack);
        if let Some((doc, keep)) = kept.and_then(|k| k.get(&path, hash)) {
            // its body is made again if the page is rendered; its source
            // is held as it is while the budget lasts
            let mut e = entry_of(p, doc, hash, None);
            e.dropped = true;
            if !self.spend(e.page.src.len()) {
                e.page.src.pack_in(self.spill);
            }
            self.set_aside(&mut e, kept.and_then(|k| k.encoded(&keep)));
            return (Some(Arc::new(e)), Some(keep));
        }
        let mut pd = Diagnostics::default();
        let mut e = parse_hashed(self.config, p, hash, pack, &mut pd);
        let keep = match kept {
            Some(_) if pd.is_empty() => kept::encode(&e.doc).map(kept::Keep::New),
            _ => None,
        };
        d.extend(pd);
        if e.packed.is_none() && !self.spend(e.doc.html.len()) {
            let html = std::mem::take(&mut e.doc.html);
            if self.drop_bodies {
                e.dropped = true;
            } else {
                e.packed = Some(Packed::new_in(&html, self.spill));
            }
        }
        // past the budget, the source is kept packed too: the
        // source view and the TEI export read it once more
        if e.packed.is_some() || e.dropped {
            e.page.src.pack_in(self.spill);
        }
        let cbor = match &keep {
            Some(kept::Keep::New(b)) => Some(b.as_slice()),
            _ => None,
        };
        self.set_aside(&mut e, cbor);
        (Some(Arc::new(e)), keep)
    }

    /// Sets the document of `e` aside once the documents' budget is spent,
    /// if its body is not held either (`cbor`: the document encoded, if it
    /// already is).
    fn set_aside(&self, e: &mut Entry, cbor: Option<&[u8]>) {
        use std::sync::atomic::Ordering::Relaxed;
        let Some(spill) = self.spill.filter(|_| e.packed.is_some() || e.dropped) else {
            return;
        };
        let encoded;
        let bytes = match cbor {
            Some(b) => b,
            None => match kept::encode(&e.doc) {
                Some(b) => {
                    encoded = b;
                    &encoded
                }
                None => return,
            },
        };
        let spent = self
            .documents
            .fetch_update(Relaxed, Relaxed, |l| l.checked_sub(bytes.len()));
        if spent.is_err() {
            e.set_aside(spill, bytes);
        }
    }

    /// Takes `len` bytes from the budget: whether they fit (always, with
    /// no budget).
    fn spend(&self, len: usize) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        self.budget.is_none_or(|left| {
            left.fetch_update(Relaxed, Relaxed, |l| l.checked_sub(len))
                .is_ok()
        })
    }
}

/// The files loaded, once the documents they give are kept for the next
/// rebuild (if the cache keeps them, and they changed: see [`KeptDocs`]);
/// and how many documents were taken from the last.
fn keep_documents(
    cache: &mut ParseCache,
    config: u64,
    pages: &[PathBuf],
    loaded: Vec<Option<(CachedFile, Option<kept::Keep>)>>,
) -> (Vec<Option<CachedFile>>, usize) {
    let Some(k) = cache.kept.as_mut() else {
        return (loaded.into_iter().map(|l| l.map(|(c, _)| c)).collect(), 0);
    };
    let mut docs = Vec::with_capacity(loaded.len());
    let mut files = Vec::with_capacity(loaded.len());
    for (rel, l) in pages.iter().zip(loaded) {
        let Some((file, keep)) = l else {
            files.push(None);
            continue;
        };
        if let (Some(e), Some(keep)) = (&file.entry, keep) {
            docs.push((rel.to_string_lossy().into_owned(), e.hash, keep));
        }
        files.push(Some(file));
    }
    // (a rebuild in which nothing changed writes nothing)
    if !k.holds(&docs) {
        let _ = k.write(config, &docs);
    }
    k.let_go();
    let reused = docs
        .iter()
        .filter(|(_, _, keep)| matches!(keep, kept::Keep::Kept(_)))
        .count();
    (files, reused)
}

/// resolve: checks every cross-reference and builds the index.
pub fn resolve(
    config: &Config,
    register: &Register,
    entries: Vec<Arc<Entry>>,
    diags: &mut Diagnostics,
) -> Edition {
    resolve_with(config, register, entries, None, diags)
}

/// [`resolve`], reusing `previous` (an index with its [`Edition::index_hash`])
/// if the index would be the same.
pub fn resolve_with(
    config: &Config,
    register: &Register,
    entries: Vec<Arc<Entry>>,
    previous: Option<&(u64, Arc<Index>)>,
    diags: &mut Diagnostics,
) -> Edition {
    use rayon::prelude::*;
    // id → position in the register (of its last entry, if duplicated)
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (pos, p) in register.persons.iter().enumerate() {
        let id = p.id.get_ref().as_str();
        if by_id.insert(id, pos).is_some() {
            if let Some(sm) = &register.src {
                diags.push(sm.error(p.id.span().start, format!("duplicate person id `{id}`")));
            }
        }
    }
    // the same by key (a mention's [`markup::Mention::key`])
    let by_key: HashMap<u64, usize> = by_id
        .iter()
        .map(|(id, &pos)| (crate::hash::id_key(id), pos))
        .collect();
    // duplicate URLs (e.g. a.md and a/_index.md)
    let mut urls: HashMap<&str, &Page> = HashMap::new();
    for e in &entries {
        if let Some(other) = urls.insert(e.page.url.as_str(), &e.page) {
            diags.push(e.page.src.error(
                0,
                format!(
                    "page URL `{}` is also produced by {}",
                    e.page.url,
                    other.src.path.display()
                ),
            ));
        }
    }
    let persons_rel = config.persons_page.trim_matches('/').to_string();
    let has_persons_page = entries.iter().any(|e| e.page.rel == persons_rel);
    let ui = config.ui();
    // register texts are chosen by the index page's language
    let index_lang = entries
        .iter()
        .find(|e| e.page.rel == persons_rel)
        .and_then(|e| e.page.front.lang.as_deref())
        .unwrap_or(&config.language);
    let langs = (index_lang, config.language.as_str());

    // the index is made from the register (with the interface language) and
    // the texts' occurrences in text order: when those did not change, the
    // index of the last build is reused
    let order = text_order(&entries);
    let mut by_order: Vec<usize> = (0..entries.len()).collect();
    by_order.sort_by_key(|&i| order[i]);
    let index_hash = hash_of(&(
        register.src.as_ref().map(|s| s.text()),
        ui,
        langs,
        by_order
            .iter()
            .map(|&i| (&entries[i].page.url, entries[i].index_hash))
            .collect::<Vec<_>>(),
    ));
    let reused = previous
        .filter(|(h, _)| *h == index_hash)
        .map(|(_, index)| Arc::clone(index));

    // mentions → register: every mention checked (in parallel), and the
    // occurrences gathered by person (register position) when the index is
    // built again
    let gather = reused.is_none();
    // what a mention's register position depends on
    let ids_key = hash_of(
        &register
            .persons
            .iter()
            .map(|p| p.id.get_ref().as_str())
            .collect::<Vec<_>>(),
    );
    type Found<'e> = Vec<(usize, usize, &'e Arc<Occurrence>)>;
    let checked: Vec<(Vec<bool>, Found, Diagnostics)> = entries
        .par_chunks(256)
        .enumerate()
        .map(|(c, chunk)| {
            let mut seen = vec![false; register.persons.len()];
            let mut found = Vec::new();
            let mut d = Diagnostics::default();
            for (k, e) in chunk.iter().enumerate() {
                // every page's mentions, but a translation's: they link to
                // the index, which lists the original's
                let indexed = gather && e.page.front.translation_of.is_none();
                let positions = e.resolved.get_or(ids_key, || {
                    let pos = |k| by_key.get(k).and_then(|&p| u32::try_from(p).ok());
                    e.mention_keys.iter().map(pos).collect()
                });
                let start = found.len();
                for (j, pos) in positions.iter().enumerate() {
                    match pos.map(|p| p as usize) {
                        Some(pos) => {
                            seen[pos] = true;
                            if let Some(o) = e.occurrences.get(j).filter(|_| indexed) {
                                found.push((pos, c * 256 + k, o));
                            }
                        }
                        // a register that failed to load reports that alone
                        None if register.failed => {}
                        // (the document read back, if it was set aside, to say which)
                        None => {
                            if let Some(m) = e.document().mentions.get(j) {
                                let hint = suggestion(&m.person, by_id.keys().copied());
                                d.push(e.page.src.error(
                                    m.offset,
                                    format!("unknown person id `{}`{hint}", m.person),
                                ));
                            }
                        }
                    }
                }
                // in paragraph order, as the index lists them (see below)
                found[start..].sort_by_key(|f| f.2.para.unwrap_or(0));
            }
            (seen, found, d)
        })
        .collect();
    let mut mentioned = vec![false; register.persons.len()];
    let mut founds = Vec::with_capacity(checked.len());
    for (seen, found, d) in checked {
        diags.extend(d);
        for (m, s) in mentioned.iter_mut().zip(seen) {
            *m |= s;
        }
        founds.push(found);
    }
    // gathered in the index's order (the texts first, then the other pages,
    // each in listing order), so that `build_index` finds each person's
    // occurrences already sorted (its sort was most of a rebuild's resolve)
    let mut by_entry: Vec<&[(usize, usize, &Arc<Occurrence>)]> = vec![&[]; entries.len()];
    for found in &founds {
        for run in found.chunk_by(|a, b| a.1 == b.1) {
            if let Some(slot) = run.first().and_then(|f| by_entry.get_mut(f.1)) {
                *slot = run;
            }
        }
    }
    let is_text = |i: &usize| entries[*i].page.front.kind == Kind::Text;
    let ranked = by_order.iter().filter(|i| is_text(i));
    let ranked = ranked.chain(by_order.iter().filter(|i| !is_text(i)));
    let mut occurrences: Vec<Vec<(usize, &Arc<Occurrence>)>> =
        vec![Vec::new(); register.persons.len()];
    for &ei in ranked {
        for &(pos, ei, o) in by_entry[ei] {
            occurrences[pos].push((ei, o));
        }
    }
    if mentioned.contains(&true) && !has_persons_page {
        diags.file_error(
            std::path::Path::new("site.toml"),
            format!("persons_page `{persons_rel}` does not exist: add content/{persons_rel}.md (template persons.html)"),
        );
    }
    check_entries(register, &by_id, &mentioned, "", diags);

    let notes = entries.iter().map(|e| e.notes).sum();
    let index = reused.unwrap_or_else(|| {
        let previous = previous.map(|(_, index)| &**index);
        Arc::new(build_index(
            register,
            (ui, langs),
            &entries,
            &order,
            (occurrences, &by_id),
            previous,
            true,
        ))
    });
    Edition {
        index_hash,
        persons: register.persons.len(),
        index,
        entries,
        notes,
        register: Arc::new(register.persons.clone()),
        registers: Vec::new(),
    }
}

/// A person's occurrences grouped by text (they are in text order).
fn group_by_text(
    entries: &[Arc<Entry>],
    occ: &[(usize, &Arc<Occurrence>)],
) -> Vec<TextOccurrences> {
    let mut texts: Vec<TextOccurrences> = Vec::new();
    for &(ei, o) in occ {
        let page = &entries[ei].page;
        match texts.last_mut() {
            Some(t) if *t.url == *page.url => t.occurrences.push(Arc::clone(o)),
            _ => texts.push(TextOccurrences {
                title: Arc::clone(&o.page_title),
                url: Arc::clone(&o.page_url),
                kind: o.kind,
                occurrences: vec![Arc::clone(o)],
            }),
        }
    }
    texts
}

/// Occurrences by register position, and the position of each person id.
pub(crate) type Gathered<'e, 'r> = (
    Vec<Vec<(usize, &'e Arc<Occurrence>)>>,
    &'r HashMap<&'r str, usize>,
);

/// The person index: persons and cross-references, accent-insensitive order.
/// `sorted`: each person's occurrences come in the index's order already
/// (the texts first, then the other pages, each in listing order, then by
/// paragraph), as [`resolve_with`] gathers them; otherwise they are sorted.
pub(crate) fn build_index(
    register: &Register,
    (ui, (lang, default)): (&crate::i18n::Ui, (&str, &str)),
    entries: &[Arc<Entry>],
    order: &[usize],
    (mut occurrences, by_id): Gathered,
    previous: Option<&Index>,
    sorted: bool,
) -> Index {
    use rayon::prelude::*;
    // a person's line is reused when the register is the same and its
    // occurrences are the same (by their content), in the same order
    let register_key = hash_of(&(register.src.as_ref().map(|s| s.text()), ui, (lang, default)));
    let previous = previous.filter(|p| p.register_key == register_key);
    // each person's occurrences in text order, and their identity (the
    // first entry of a duplicated id takes them)
    let taken: Vec<Vec<(usize, &Arc<Occurrence>)>> = register
        .persons
        .iter()
        .map(|p| {
            by_id
                .get(p.id.get_ref().as_str())
                .and_then(|&pos| occurrences.get_mut(pos))
                .map(std::mem::take)
                .unwrap_or_default()
        })
        .collect();
    // (in parallel: reading every occurrence is most of a rebuild's resolve)
    let gathered: Vec<PersonOccurrences> = taken
        .into_par_iter()
        .map(|mut occ| {
            // the texts first, then the editorial pages, each in listing
            // order (`sorted`: the caller gathered them so)
            let key = |(ei, o): &(usize, &Arc<Occurrence>)| {
                (o.kind != Kind::Text, order[*ei], o.para.unwrap_or(0))
            };
            if !sorted {
                occ.sort_by_key(key);
            }
            debug_assert!(occ.is_sorted_by_key(key), "occurrences out of order");
            let identity = hash_of(&occ.iter().map(|(_, o)| o.hash).collect::<Vec<_>>());
            (occ, identity)
        })
        .collect();
    if let Some(prev) = previous {
        if let Some(index) = update_index(register, entries, &gathered, prev) {
            return index;
        }
    }
    let mut persons = HashMap::new();
    let mut lines: Vec<(String, String, IndexLine, Option<u64>)> = Vec::new();
    for (p, (occ, identity)) in register.persons.iter().zip(gathered) {
        let id = p.id.get_ref().clone();
        let count = occ.len();
        let reused = previous
            .and_then(|prev| prev.persons.get(&id))
            .filter(|(same, _, _)| *same == identity);
        let (texts, line_hash) = match reused {
            Some((_, texts, line_hash)) => (Arc::clone(texts), Some(*line_hash)),
            None => (Arc::new(group_by_text(entries, &occ)), None),
        };
        let dates = match (&p.born, &p.died) {
            (Some(b), Some(d)) => format!("{b}–{d}"),
            (Some(b), None) => format!("{b}–"),
            (None, Some(d)) => format!("?–{d}"),
            (None, None) => String::new(),
        };
        let (description_lang, description) = p
            .description
            .choose(lang, default)
            .map(|(tag, d)| (tag, markup::inline_html(d, tag)))
            .unwrap_or_default();
        // the language of the text shown, when it is not the page's
        let other = |tag: &str| {
            (!tag.is_empty() && !tag.eq_ignore_ascii_case(lang)).then(|| tag.to_string())
        };
        let descriptions = p
            .description
            .0
            .iter()
            .map(|(k, d)| {
                let tag = if k.is_empty() { default } else { k };
                (tag.to_string(), markup::inline_html(d, tag))
            })
            .collect();
        let (k, raw) = collation_key(&p.sort);
        for (forms, kind) in [(&p.pseudonyms, "pseudonym"), (&p.variants, "variant")] {
            for f in forms {
                let (fk, fraw) = collation_key(f);
                let conj = p.conjecture.as_ref().filter(|c| c.forms.contains(f));
                lines.push((
                    fk,
                    fraw,
                    IndexLine::Xref(CrossRef {
                        form: f.clone(),
                        target: p.sort.clone(),
                        target_id: id.clone(),
                        kind: crate::i18n::t(ui, kind),
                        sort: f.clone(),
                        letter: first_letter(f),
                        conjecture: conj
                            .map(|c| crate::i18n::t(ui, "conjecture_by").replace("{by}", &c.by)),
                        argued: conj.and_then(|c| c.argued.clone()),
                    }),
                    None,
                ));
            }
        }
        lines.push((
            k,
            raw,
            IndexLine::Person(IndexEntry {
                id,
                name: p.name.clone(),
                sort: p.sort.clone(),
                lang: p
                    .lang
                    .as_deref()
                    .filter(|l| crate::lang::is_known(l))
                    .and_then(other),
                dates,
                description,
                description_lang: other(description_lang),
                descriptions,
                remark: p
                    .remark
                    .as_ref()
                    .and_then(|r| r.choose(lang, default))
                    .map(|(tag, r)| markup::inline_html(r, tag)),
                remark_lang: p
                    .remark
                    .as_ref()
                    .and_then(|r| r.choose(lang, default))
                    .and_then(|(tag, _)| other(tag)),
                variants: p.variants.clone(),
                pseudonyms: p.pseudonyms.clone(),
                texts: Arc::clone(&texts),
                count,
                letter: first_letter(&p.sort),
                reference: None,
            }),
            line_hash,
        ));
        persons.insert(p.id.get_ref().clone(), (identity, texts, 0));
    }
    lines.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let (lines, known): (Vec<IndexLine>, Vec<Option<u64>>) =
        lines.into_iter().map(|(_, _, l, h)| (l, h)).unzip();
    let mut index = Index::with_hashes(lines, known, register_key, persons);
    // each person's line hash, for the next index
    for (line, h) in index.lines.iter().zip(&index.line_hashes) {
        if let IndexLine::Person(e) = line {
            if let Some(entry) = index.persons.get_mut(&e.id) {
                entry.2 = *h;
            }
        }
    }
    index
}

/// The previous index (made from the same register) with the lines of the
/// persons whose occurrences changed made again; `None` if a person is
/// missing from it.
fn update_index(
    register: &Register,
    entries: &[Arc<Entry>],
    gathered: &[PersonOccurrences],
    prev: &Index,
) -> Option<Index> {
    let mut lines = prev.lines.clone();
    let mut line_hashes = prev.line_hashes.clone();
    let mut persons = prev.persons.clone();
    let at: HashMap<&str, usize> = prev
        .lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| match l {
            IndexLine::Person(e) => Some((e.id.as_str(), i)),
            IndexLine::Xref(_) => None,
        })
        .collect();
    let mut done = std::collections::HashSet::new();
    for (p, (occ, identity)) in register.persons.iter().zip(gathered) {
        let id = p.id.get_ref();
        if !done.insert(id.as_str()) {
            continue; // a duplicated id: its first entry made the line
        }
        let (same, _, _) = prev.persons.get(id)?;
        if same == identity {
            continue;
        }
        let i = *at.get(id.as_str())?;
        let texts = Arc::new(group_by_text(entries, occ));
        if let Some(IndexLine::Person(e)) = lines.get_mut(i) {
            e.texts = Arc::clone(&texts);
            e.count = occ.len();
        }
        let hash = hash_of(&lines[i]);
        line_hashes[i] = hash;
        persons.insert(id.clone(), (*identity, texts, hash));
    }
    Some(Index {
        lines,
        line_hashes,
        register_key: prev.register_key,
        persons,
    })
}

/// Position of each entry in listing order (weight, then title), by entry index.
pub(crate) fn text_order(entries: &[Arc<Entry>]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..entries.len()).collect();
    idx.sort_by(|&a, &b| entries[a].listing.cmp(&entries[b].listing));
    let mut pos = vec![0; entries.len()];
    for (p, ei) in idx.into_iter().enumerate() {
        pos[ei] = p;
    }
    pos
}

/// Listing order: weight, then title (accent-insensitive), then path.
pub fn listing_cmp(a: &Page, b: &Page) -> std::cmp::Ordering {
    listing_key(a).cmp(&listing_key(b))
}

/// Weight, collation key of the title, path.
pub type ListingKey = (i64, (String, String), String);

/// The key of [`listing_cmp`], for sorting by cached key.
pub fn listing_key(p: &Page) -> ListingKey {
    (p.front.weight, collation_key(&p.front.title), p.rel.clone())
}

pub(crate) fn suggestion<'a>(id: &str, known: impl Iterator<Item = &'a str>) -> String {
    let known: Vec<&str> = known.collect();
    // an id that contains the other or shares a part of it (`humbert` →
    // `humbert-droz`), else the nearest by edits (a typo: `exemple` → `example`)
    let related = known
        .iter()
        .copied()
        .filter(|k| {
            k.contains(id) || id.contains(*k) || k.split('-').any(|p| id.split('-').any(|q| p == q))
        })
        .min();
    let near = || {
        let limit = (id.chars().count() / 3).max(1);
        known
            .iter()
            .map(|k| (strsim::damerau_levenshtein(id, k), *k))
            .filter(|(d, _)| *d <= limit)
            .min()
            .map(|(_, k)| k)
    };
    match related.or_else(near) {
        Some(b) => format!(" (did you mean `{b}`?)"),
        None => String::new(),
    }
}

/// The checks of a register's entries once every mention is known: an
/// entry never mentioned (a warning) and a link in its texts that register
/// texts may not carry (an error), both at the entry's id. `label`: the
/// register's id before "register entry" (empty for the person register).
pub(crate) fn check_entries(
    register: &Register,
    by_id: &HashMap<&str, usize>,
    mentioned: &[bool],
    label: &str,
    diags: &mut Diagnostics,
) {
    let (Some(sm), false) = (&register.src, register.failed) else {
        return;
    };
    let what = if label.is_empty() {
        "register entry".to_string()
    } else {
        format!("{label} register entry")
    };
    for p in &register.persons {
        let (id, at) = (p.id.get_ref(), p.id.span().start);
        let pos = by_id.get(id.as_str()).copied();
        if !pos.is_some_and(|pos| mentioned.get(pos).copied().unwrap_or(false)) {
            diags.push(sm.warning(at, format!("{what} `{id}` is never mentioned")));
        }
        for url in crate::markup::refused_entry_links(p) {
            diags.push(sm.error(
                at,
                format!(
                    "register entry `{id}`: link `{url}` in a description or remark: register texts may link only to site paths and http(s) or mailto URLs; write the name as text"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_ids_get_the_nearest_known_one() {
        let known = ["example", "humbert-droz", "sample"];
        let hint = |id: &str| suggestion(id, known.iter().copied());
        assert_eq!(hint("humbert"), " (did you mean `humbert-droz`?)");
        assert_eq!(hint("exemple"), " (did you mean `example`?)");
        assert_eq!(hint("sampel"), " (did you mean `sample`?)");
        assert_eq!(hint("zzz"), "");
    }

    #[test]
    fn accents_sort_with_their_base_letter() {
        let mut v = vec!["Zamora", "Álvarez", "Avila", "Éluard", "Espinoza"];
        v.sort_by_key(|s| collation_key(s));
        assert_eq!(v, vec!["Álvarez", "Avila", "Éluard", "Espinoza", "Zamora"]);
        assert_eq!(first_letter("Á"), "A");
    }
}
