//! Pagefind 1.6's index files, written from apparat's own pages
//! ([`super::page::Page`]), for Pagefind's client (`pagefind.js` and its
//! WebAssembly) to read unchanged:
//!
//! - `pagefind-entry.json`: the version, the language, its metadata file;
//! - `pagefind.<hash>.pf_meta`: the pages (fragment name, word count), the
//!   word chunks (first and last word of each), the filters, the sort
//!   orders, the metadata fields;
//! - `index/<hash>.pf_index`: the words in byte order, in chunks of about
//!   20,000 locations; for each word, its pages (numbers as differences
//!   from the previous one), on each page its positions (`locs`: a
//!   negative number `-(w + 1)` sets the weight `w` of the positions after
//!   it, the first position after it absolute, the others differences)
//!   and its positions in the metadata (`meta_locs`: `-(f + 1)` opens field
//!   `f`); the accented forms of the word (`additional_variants`), each
//!   with its own pages;
//! - `filter/<hash>.pf_filter`: a filter's values and their pages;
//! - `fragment/<hash>.pf_fragment`: a page's URL, text, metadata, filters
//!   and anchors (JSON).
//!
//! The binary files are CBOR (arrays of the fields in order); every index
//! file is gzip of `pagefind_dcd` followed by the data. A file is named
//! after the SHA-1 of its data, so the same pages give the same names and
//! bytes.

use super::page::{MetaPosition, Page, Positions};
use minicbor::Encode;
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use sha1::{Digest, Sha1};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

/// How many locations (about) a word chunk holds (Pagefind's default).
const CHUNK_LOCATIONS: usize = 20_000;
/// What every compressed index file starts with, once inflated.
const SIGNATURE: &[u8] = b"pagefind_dcd";

#[derive(Encode)]
struct WordIndex<'a> {
    #[n(0)]
    words: Vec<MergeWord<'a>>,
}

/// A word of a shard being merged, as [`PackedWord`] encodes it, borrowed
/// from its pages' packed words (see [`decode_words`]).
#[derive(Encode, Debug)]
struct MergeWord<'a> {
    #[n(0)]
    word: &'a str,
    #[n(1)]
    pages: Vec<MergePage<'a>>,
    #[n(2)]
    additional_variants: Vec<MergeVariant<'a>>,
}

#[derive(Encode, Debug)]
struct MergeVariant<'a> {
    #[n(0)]
    form: &'a str,
    #[n(1)]
    pages: Vec<MergePage<'a>>,
}

#[derive(Encode, Debug)]
struct MergePage<'a> {
    #[n(0)]
    page_number: usize,
    #[n(1)]
    locs: IntsRef<'a>,
    #[n(2)]
    meta_locs: Vec<i32>,
}

/// [`Ints`] borrowed from a page's packed words.
#[derive(Debug, Clone, Copy)]
struct IntsRef<'a> {
    len: usize,
    cbor: &'a [u8],
}

impl<C> Encode<C> for IntsRef<'_> {
    fn encode<W: minicbor::encode::Write>(
        &self,
        e: &mut minicbor::Encoder<W>,
        _: &mut C,
    ) -> Result<(), minicbor::encode::Error<W::Error>> {
        if self.cbor.is_empty() {
            e.array(0)?;
        } else {
            e.writer_mut()
                .write_all(self.cbor)
                .map_err(minicbor::encode::Error::write)?;
        }
        Ok(())
    }
}

#[derive(Encode, Clone, Debug)]
pub struct PackedWord {
    #[n(0)]
    word: String,
    #[n(1)]
    pages: Vec<PackedPage>,
    #[n(2)]
    additional_variants: Vec<PackedVariant>,
}

#[derive(Encode, Clone, Debug)]
struct PackedVariant {
    #[n(0)]
    form: String,
    #[n(1)]
    pages: Vec<PackedPage>,
}

#[derive(Encode, Clone, Debug)]
struct PackedPage {
    #[n(0)]
    page_number: usize,
    #[n(1)]
    locs: Ints,
    #[n(2)]
    meta_locs: Vec<i32>,
}

/// A list of integers as the index holds it: its CBOR array, encoded once
/// (when its page is digested) and copied as it is from then on; and its
/// length.
#[derive(Clone, Debug, Default, PartialEq)]
struct Ints {
    len: usize,
    /// The CBOR array (empty for an empty list).
    cbor: Vec<u8>,
}

impl Ints {
    /// The list of `len` integers `items` (the reference of the tests for
    /// [`packed_locs`], which writes its list directly).
    #[cfg(test)]
    fn of(len: usize, items: impl Iterator<Item = i32>) -> Ints {
        if len == 0 {
            return Ints::default();
        }
        let mut cbor = Vec::with_capacity(len * 2 + 5);
        cbor_head(&mut cbor, 4, len as u64);
        for n in items {
            match u64::try_from(n) {
                Ok(n) => cbor_head(&mut cbor, 0, n),
                Err(_) => cbor_head(&mut cbor, 1, (-1 - i64::from(n)) as u64),
            }
        }
        Ints { len, cbor }
    }
}

impl<C> Encode<C> for Ints {
    fn encode<W: minicbor::encode::Write>(
        &self,
        e: &mut minicbor::Encoder<W>,
        ctx: &mut C,
    ) -> Result<(), minicbor::encode::Error<W::Error>> {
        let borrowed = IntsRef {
            len: self.len,
            cbor: &self.cbor,
        };
        borrowed.encode(e, ctx)
    }
}

#[derive(Encode)]
struct FilterIndex {
    #[n(0)]
    filter: String,
    #[n(1)]
    values: Vec<PackedValue>,
}

#[derive(Encode)]
struct PackedValue {
    #[n(0)]
    value: String,
    #[n(1)]
    pages: Vec<usize>,
}

#[derive(Encode)]
struct MetaIndex {
    #[n(0)]
    version: String,
    #[n(1)]
    pages: Vec<MetaPage>,
    #[n(2)]
    index_chunks: Vec<MetaChunk>,
    #[n(3)]
    filters: Vec<MetaFilter>,
    #[n(4)]
    sorts: Vec<MetaSort>,
    #[n(5)]
    meta_fields: Vec<String>,
}

#[derive(Encode)]
struct MetaChunk {
    #[n(0)]
    from: String,
    #[n(1)]
    to: String,
    #[n(2)]
    hash: String,
}

#[derive(Encode)]
struct MetaPage {
    #[n(0)]
    hash: String,
    #[n(1)]
    word_count: u32,
    #[n(2)]
    group_hash: String,
}

#[derive(Encode)]
struct MetaFilter {
    #[n(0)]
    filter: String,
    #[n(1)]
    hash: String,
}

#[derive(Encode)]
struct MetaSort {
    #[n(0)]
    sort: String,
    #[n(1)]
    pages: Vec<usize>,
}

/// The SHA-1 of `bytes` in hexadecimal, each byte without a leading zero
/// (as Pagefind names its files).
fn full_hash(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(40);
    for b in Sha1::digest(bytes) {
        let _ = write!(out, "{b:x}");
    }
    out
}

/// A page's fragment file made as its JSON is written, never held whole:
/// the JSON goes, through a buffer, to its SHA-1 (the fragment's name) and
/// to the gzip stream (the file). A page of 50,000 notes has a 19 MB text.
pub struct FragmentWriter {
    buf: Vec<u8>,
    sha: Sha1,
    gz: flate2::write::GzEncoder<Vec<u8>>,
}

/// How much JSON the writer buffers before it hashes and compresses it.
const FRAGMENT_BUFFER: usize = 1 << 16;

impl FragmentWriter {
    pub fn new() -> Result<FragmentWriter, String> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(SIGNATURE)
            .map_err(|e| format!("cannot compress the search index: {e}"))?;
        Ok(FragmentWriter {
            buf: Vec::with_capacity(FRAGMENT_BUFFER),
            sha: Sha1::new(),
            gz,
        })
    }

    /// JSON text as it is.
    pub fn raw(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= FRAGMENT_BUFFER {
            self.flush()?;
        }
        Ok(())
    }

    /// `value` as serde_json writes it.
    pub fn json<T: serde::Serialize>(&mut self, value: &T) -> Result<(), String> {
        serde_json::to_writer(&mut self.buf, value)
            .map_err(|e| format!("cannot encode the search index: {e}"))?;
        self.raw(b"")
    }

    /// The contents of a JSON string (without its quotes), escaped as
    /// serde_json escapes them.
    pub fn escaped(&mut self, text: &str) -> Result<(), String> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let bytes = text.as_bytes();
        // runs that need no escape are copied whole
        let mut run = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let short: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                0x08 => b"\\b",
                0x0C => b"\\f",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0..=0x1F => b"",
                _ => continue,
            };
            self.buf.extend_from_slice(&bytes[run..i]);
            run = i + 1;
            if short.is_empty() {
                let hex = [HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xF)]];
                self.buf.extend_from_slice(b"\\u00");
                self.buf.extend_from_slice(&hex);
            } else {
                self.buf.extend_from_slice(short);
            }
        }
        self.buf.extend_from_slice(&bytes[run..]);
        self.raw(b"")
    }

    fn flush(&mut self) -> Result<(), String> {
        self.sha.update(&self.buf);
        self.gz
            .write_all(&self.buf)
            .map_err(|e| format!("cannot compress the search index: {e}"))?;
        self.buf.clear();
        Ok(())
    }

    /// The fragment's name (`<language>_<SHA-1 of the JSON>`) and file.
    pub fn finish(mut self, language: &str) -> Result<(String, Vec<u8>), String> {
        use std::fmt::Write as _;
        self.flush()?;
        let mut name = format!("{language}_");
        for b in self.sha.finalize() {
            let _ = write!(name, "{b:x}");
        }
        let gz = self
            .gz
            .finish()
            .map_err(|e| format!("cannot compress the search index: {e}"))?;
        Ok((name, gz))
    }
}

/// A CBOR head of major type `major` and argument `n`, in its shortest form
/// (as minicbor writes it).
fn cbor_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= u64::from(u8::MAX) {
        out.extend_from_slice(&[m | 24, n as u8]);
    } else if n <= u64::from(u16::MAX) {
        out.push(m | 25);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= u64::from(u32::MAX) {
        out.push(m | 26);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn cbor<T: Encode<()>>(value: &T) -> Result<Vec<u8>, String> {
    minicbor::to_vec(value).map_err(|e| format!("cannot encode the search index: {e}"))
}

/// gzip of the signature and `data`, at a fast level (the client only
/// inflates).
pub fn gzip(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut gz = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 3 + 64),
        flate2::Compression::fast(),
    );
    gz.write_all(SIGNATURE)
        .and_then(|()| gz.write_all(data))
        .and_then(|()| gz.finish())
        .map_err(|e| format!("cannot compress the search index: {e}"))
}

/// A page's positions of one word: by weight (the default weight first),
/// then by position, weights changed inline.
fn packed_locs(mut positions: Vec<(u32, u8)>) -> Ints {
    positions.sort_unstable_by_key(|&(p, w)| (if w == 25 { 0 } else { w }, p));
    // (a weight that changes takes two numbers: the weight, then the
    // position)
    let mut len = positions.len();
    let mut weight = 25;
    for &(_, w) in &positions {
        if w != weight {
            len += 1;
            weight = w;
        }
    }
    let mut cbor = Vec::with_capacity(len * 2 + 5);
    cbor_head(&mut cbor, 4, len as u64);
    let mut weight = 25;
    let mut last = 0;
    for (position, w) in positions {
        if w != weight {
            // -(w + 1)
            cbor_head(&mut cbor, 1, u64::from(w));
            cbor_head(&mut cbor, 0, u64::from(position));
            weight = w;
        } else {
            cbor_head(&mut cbor, 0, u64::from(position.wrapping_sub(last)));
        }
        last = position;
    }
    Ints { len, cbor }
}

/// A page's positions of one word in its metadata, by field then position.
fn packed_meta_locs(mut positions: Vec<(u16, u32)>) -> Vec<i32> {
    positions.sort_unstable();
    let mut field = None;
    let mut last = 0;
    let mut out = Vec::with_capacity(positions.len() + 2);
    for (f, position) in positions {
        if Some(f) != field {
            out.push(-(f as i32) - 1);
            field = Some(f);
            last = 0;
        }
        out.push((position - last) as i32);
        last = position;
    }
    out
}

/// One page's words packed (page number 0 until the page is numbered):
/// its entries in the index.
pub fn pack_words<'w>(
    count: usize,
    words: impl Iterator<Item = (&'w str, Positions)>,
) -> HashMap<String, PackedWord> {
    let mut out: HashMap<String, PackedWord> =
        HashMap::with_capacity_and_hasher(count, Default::default());
    for (word, positions) in words {
        let Positions {
            plain,
            mut variants,
        } = positions;
        // (each list allocated to its length: a large page has 100,000
        // words, most in one page and without variants)
        let pages = if plain.is_empty() {
            Vec::new()
        } else {
            vec![PackedPage {
                page_number: 0,
                locs: packed_locs(plain),
                meta_locs: Vec::new(),
            }]
        };
        // (forms in order; each form once, see `Positions::push`)
        variants.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let additional_variants = variants
            .into_iter()
            .map(|(form, positions)| PackedVariant {
                form: form.to_string(),
                pages: vec![PackedPage {
                    page_number: 0,
                    locs: packed_locs(positions),
                    meta_locs: Vec::new(),
                }],
            })
            .collect();
        let entry = PackedWord {
            word: word.to_string(),
            pages,
            additional_variants,
        };
        out.insert(word.to_string(), entry);
    }
    out
}

/// A page's packed words numbered `page_number`, with the words of its
/// metadata added (`field_ids`: the page's fields' ranks among all).
fn page_words(
    page_number: usize,
    mut out: HashMap<String, PackedWord>,
    meta_words: &HashMap<String, Vec<MetaPosition>>,
    field_ids: &[u16],
) -> HashMap<String, PackedWord> {
    for w in out.values_mut() {
        for p in w.pages.iter_mut().chain(
            w.additional_variants
                .iter_mut()
                .flat_map(|v| v.pages.iter_mut()),
        ) {
            p.page_number = page_number;
        }
    }
    let new = |word: &str| PackedWord {
        word: word.to_string(),
        pages: Vec::new(),
        additional_variants: Vec::new(),
    };
    let empty = || PackedPage {
        page_number,
        locs: Ints::default(),
        meta_locs: Vec::new(),
    };
    for (word, positions) in meta_words {
        let mut plain = Vec::new();
        let mut variants: BTreeMap<&str, Vec<(u16, u32)>> = BTreeMap::new();
        for p in positions {
            let field = field_ids.get(p.field as usize).copied().unwrap_or(p.field);
            match &p.original {
                None => plain.push((field, p.position)),
                Some(form) => variants.entry(form).or_default().push((field, p.position)),
            }
        }
        let entry = out.entry(word.clone()).or_insert_with(|| new(word));
        if !plain.is_empty() {
            let meta_locs = packed_meta_locs(plain);
            match entry
                .pages
                .iter_mut()
                .find(|p| p.page_number == page_number)
            {
                Some(p) => p.meta_locs = meta_locs,
                None => entry.pages.push(PackedPage {
                    meta_locs,
                    ..empty()
                }),
            }
        }
        for (form, positions) in variants {
            let meta_locs = packed_meta_locs(positions);
            match entry
                .additional_variants
                .iter_mut()
                .find(|v| v.form == form)
            {
                Some(v) => match v.pages.iter_mut().find(|p| p.page_number == page_number) {
                    Some(p) => p.meta_locs = meta_locs,
                    None => v.pages.push(PackedPage {
                        meta_locs,
                        ..empty()
                    }),
                },
                None => entry.additional_variants.push(PackedVariant {
                    form: form.to_string(),
                    pages: vec![PackedPage {
                        meta_locs,
                        ..empty()
                    }],
                }),
            }
        }
    }
    out
}

/// A page made ready to merge as soon as it is read, so that a shard holds
/// a few bytes per word of its pages rather than their maps: its fragment
/// already encoded and compressed, its words (as [`page_words`] gives them,
/// numbered 0 and with the page's own field ranks) packed into bytes.
#[derive(Clone, minicbor::Encode, minicbor::Decode)]
pub struct Compact {
    /// `<language>_<SHA-1 of the fragment's JSON>`.
    #[n(0)]
    fragment_hash: String,
    /// The fragment's file (gzipped JSON).
    #[cbor(n(1), with = "minicbor::bytes")]
    fragment_gz: Vec<u8>,
    #[n(2)]
    word_count: u32,
    #[n(3)]
    filters: BTreeMap<String, Vec<String>>,
    /// The page's metadata fields, sorted (their ranks are the field
    /// numbers of `words`).
    #[n(4)]
    meta_keys: Vec<String>,
    #[n(5)]
    sort: BTreeMap<String, String>,
    #[n(6)]
    has_body: bool,
    /// The page's text has words (pages without are left out).
    #[n(7)]
    has_words: bool,
    /// See [`encode_words`].
    #[cbor(n(8), with = "minicbor::bytes")]
    words: Vec<u8>,
}

/// `page` made [`Compact`].
pub fn compact(page: Page) -> Result<Compact, String> {
    let Page {
        fragment,
        words,
        meta_words,
        sort,
        has_body,
    } = page;
    let has_words = !words.is_empty();
    let own_fields: Vec<u16> = (0..fragment.meta.len())
        .map(|i| u16::try_from(i).unwrap_or(u16::MAX))
        .collect();
    let words = encode_words(page_words(0, words, &meta_words, &own_fields));
    Ok(Compact {
        fragment_hash: fragment.name,
        fragment_gz: fragment.file,
        word_count: u32::try_from(fragment.word_count).unwrap_or(u32::MAX),
        filters: fragment.filters,
        meta_keys: fragment.meta.into_keys().collect(),
        sort,
        has_body,
        has_words,
        words,
    })
}

fn put_uint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_int(out: &mut Vec<u8>, n: i32) {
    put_uint(out, u64::from(((n << 1) ^ (n >> 31)) as u32));
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_uint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_ints(out: &mut Vec<u8>, v: &[i32]) {
    put_uint(out, v.len() as u64);
    for &n in v {
        put_int(out, n);
    }
}

/// A page's packed words as bytes: for each word, its text, then its page
/// entries (their positions and metadata positions) and its variants (form,
/// then page entries), each list preceded by its length; numbers as LEB128
/// varints, signed ones zigzagged. The page number (0) is left out.
fn encode_words(words: HashMap<String, PackedWord>) -> Vec<u8> {
    let mut out = Vec::new();
    put_uint(&mut out, words.len() as u64);
    let pages = |out: &mut Vec<u8>, pages: &[PackedPage]| {
        put_uint(out, pages.len() as u64);
        for p in pages {
            put_uint(out, p.locs.len as u64);
            put_uint(out, p.locs.cbor.len() as u64);
            out.extend_from_slice(&p.locs.cbor);
            put_ints(out, &p.meta_locs);
        }
    };
    for w in words.into_values() {
        put_str(&mut out, &w.word);
        pages(&mut out, &w.pages);
        put_uint(&mut out, w.additional_variants.len() as u64);
        for v in &w.additional_variants {
            put_str(&mut out, &v.form);
            pages(&mut out, &v.pages);
        }
    }
    out.shrink_to_fit();
    out
}

/// Reads what [`encode_words`] wrote.
struct Reader<'a> {
    bytes: &'a [u8],
}

const CORRUPT: &str = "the search index's page data is corrupt";

/// Bytes that [`encode_words`] did not write (said as [`CORRUPT`]).
#[derive(Debug)]
struct Corrupt;

impl<'a> Reader<'a> {
    #[inline]
    fn uint(&mut self) -> Result<u64, Corrupt> {
        // (most numbers are one byte)
        match self.bytes.split_first() {
            Some((&b, rest)) if b < 0x80 => {
                self.bytes = rest;
                Ok(u64::from(b))
            }
            _ => self.long_uint(),
        }
    }

    fn long_uint(&mut self) -> Result<u64, Corrupt> {
        let mut n = 0u64;
        let mut shift = 0;
        while shift < 64 {
            let (&b, rest) = self.bytes.split_first().ok_or(Corrupt)?;
            self.bytes = rest;
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(n);
            }
            shift += 7;
        }
        Err(Corrupt)
    }

    fn len(&mut self) -> Result<usize, Corrupt> {
        usize::try_from(self.uint()?).map_err(|_| Corrupt)
    }

    #[inline]
    fn int(&mut self) -> Result<i32, Corrupt> {
        let z = u32::try_from(self.uint()?).map_err(|_| Corrupt)?;
        Ok(((z >> 1) as i32) ^ -((z & 1) as i32))
    }

    fn str(&mut self) -> Result<&'a str, Corrupt> {
        let n = self.len()?;
        if n > self.bytes.len() {
            return Err(Corrupt);
        }
        let (s, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        std::str::from_utf8(s).map_err(|_| Corrupt)
    }

    /// Metadata positions, their field markers renumbered by `fields` (the
    /// page's field ranks among the shard's).
    fn meta_ints(&mut self, fields: &[u16]) -> Result<Vec<i32>, Corrupt> {
        let n = self.len()?;
        let mut v = Vec::with_capacity(n.min(self.bytes.len()));
        for _ in 0..n {
            let x = self.int()?;
            v.push(if x < 0 {
                let own = usize::try_from(-(i64::from(x)) - 1).unwrap_or(usize::MAX);
                -i32::from(fields.get(own).copied().ok_or(Corrupt)?) - 1
            } else {
                x
            });
        }
        Ok(v)
    }

    /// A list of page entries, pushed onto `v`.
    fn pages(
        &mut self,
        page_number: usize,
        fields: &[u16],
        v: &mut Vec<MergePage<'a>>,
    ) -> Result<(), Corrupt> {
        let n = self.len()?;
        v.reserve(n.min(self.bytes.len()));
        for _ in 0..n {
            let len = self.len()?;
            let bytes = self.len()?;
            if bytes > self.bytes.len() {
                return Err(Corrupt);
            }
            let (cbor, rest) = self.bytes.split_at(bytes);
            self.bytes = rest;
            let meta_locs = self.meta_ints(fields)?;
            v.push(MergePage {
                page_number,
                locs: IntsRef { len, cbor },
                meta_locs,
            });
        }
        Ok(())
    }
}

/// Each word of `bytes` (see [`encode_words`]) as page `page_number` gives
/// it, its metadata fields renumbered by `fields`, merged into `words`: a
/// new word added, a known one given the page and its variants (a variant
/// already known gets the page too, a new one is added after the others).
fn decode_words<'b>(
    bytes: &'b [u8],
    page_number: usize,
    fields: &[u16],
    words: &mut HashMap<&'b str, MergeWord<'b>>,
) -> Result<(), String> {
    let mut r = Reader { bytes };
    let mut read = || -> Result<(), Corrupt> {
        for _ in 0..r.len()? {
            let word = r.str()?;
            let mut fresh = false;
            let e = words.entry(word).or_insert_with(|| {
                fresh = true;
                MergeWord {
                    word,
                    pages: Vec::new(),
                    additional_variants: Vec::new(),
                }
            });
            r.pages(page_number, fields, &mut e.pages)?;
            for _ in 0..r.len()? {
                let form = r.str()?;
                let known = match fresh {
                    true => None,
                    false => e.additional_variants.iter().position(|x| x.form == form),
                };
                let v = match known {
                    Some(k) => &mut e.additional_variants[k],
                    None => {
                        e.additional_variants.push(MergeVariant {
                            form,
                            pages: Vec::new(),
                        });
                        let last = e.additional_variants.len() - 1;
                        &mut e.additional_variants[last]
                    }
                };
                r.pages(page_number, fields, &mut v.pages)?;
            }
        }
        Ok(())
    };
    read().map_err(|_| CORRUPT.to_string())
}

/// The words of every page (page `n`'s in `bodies[n]`, its metadata fields
/// renumbered by `fields[n]`) merged in page order, as [`decode_words`]
/// merges them one page after the other: runs of pages unpacked in
/// parallel, then joined in their order (a run's pages come after the
/// runs before it, and so do the variants it adds).
fn merge_words<'b>(
    bodies: &'b [Vec<u8>],
    fields: &[Vec<u16>],
) -> Result<HashMap<&'b str, MergeWord<'b>>, String> {
    let runs = rayon::current_num_threads().clamp(1, 8);
    let size = bodies.len().div_ceil(runs).max(1);
    let maps: Vec<HashMap<&str, MergeWord<'_>>> = bodies
        .par_chunks(size)
        .enumerate()
        .map(|(k, run)| {
            let mut words = HashMap::default();
            for (j, body) in run.iter().enumerate() {
                let n = k * size + j;
                let fields = fields.get(n).map_or(&[][..], Vec::as_slice);
                decode_words(body, n, fields, &mut words)?;
            }
            Ok(words)
        })
        .collect::<Result<_, String>>()?;
    let mut maps = maps.into_iter();
    let mut all = maps.next().unwrap_or_default();
    for map in maps {
        for (word, w) in map {
            let Some(e) = all.get_mut(word) else {
                all.insert(word, w);
                continue;
            };
            e.pages.extend(w.pages);
            for v in w.additional_variants {
                match e.additional_variants.iter_mut().find(|x| x.form == v.form) {
                    Some(x) => x.pages.extend(v.pages),
                    None => e.additional_variants.push(v),
                }
            }
        }
    }
    Ok(all)
}

/// The words, in byte order, cut into chunks of about [`CHUNK_LOCATIONS`].
fn chunks(mut words: Vec<MergeWord<'_>>) -> Vec<Vec<MergeWord<'_>>> {
    words.sort_unstable_by(|a, b| a.word.cmp(b.word));
    let mut out = Vec::new();
    let mut chunk = Vec::new();
    let mut size = 0;
    for word in words {
        size += word
            .pages
            .iter()
            .chain(word.additional_variants.iter().flat_map(|v| &v.pages))
            .map(|p| p.locs.len + p.meta_locs.len() + 1)
            .sum::<usize>()
            + word.additional_variants.len();
        chunk.push(word);
        if size >= CHUNK_LOCATIONS {
            out.push(std::mem::take(&mut chunk));
            size = 0;
        }
    }
    if !chunk.is_empty() {
        out.push(chunk);
    }
    out
}

/// The shortest prefixes that still tell the last word of a chunk from the
/// first of the next.
fn prefixes(a: &str, b: &str) -> (String, String) {
    let common = b.chars().zip(a.chars()).take_while(|(x, y)| x == y).count();
    (
        a.chars().take(common + 1).collect(),
        b.chars().take(common + 1).collect(),
    )
}

fn chunk_bounds(chunks: &[Vec<MergeWord<'_>>]) -> Vec<MetaChunk> {
    let mut bounds: Vec<MetaChunk> = chunks
        .iter()
        .map(|c| MetaChunk {
            from: c.first().map(|w| w.word.to_string()).unwrap_or_default(),
            to: c.last().map(|w| w.word.to_string()).unwrap_or_default(),
            hash: String::new(),
        })
        .collect();
    for i in 1..bounds.len() {
        let (to, from) = prefixes(&bounds[i - 1].to, &bounds[i].from);
        if to >= bounds[i - 1].from {
            bounds[i - 1].to = to;
        }
        bounds[i].from = from;
    }
    bounds
}

/// Delta-encodes page numbers within a list of pages.
fn delta(pages: &mut [MergePage<'_>]) {
    let mut last = 0;
    for p in pages {
        let n = p.page_number;
        p.page_number = n - last;
        last = n;
    }
}

/// A short name for `hash` (the language, `_`, seven characters), longer
/// while it collides with one in `taken`; `step`: how many characters a
/// collision adds.
fn short_name(hash: &str, language: &str, step: usize, taken: &dyn Fn(&str) -> bool) -> String {
    let mut len = language.len() + 8;
    while len < hash.len() && taken(&hash[..len]) {
        len = (len + step).min(hash.len());
    }
    hash[..len.min(hash.len())].to_string()
}

/// The index of `pages` (in their order), in `language`: the files under
/// the bundle folder (relative names) and the name of the metadata file.
pub struct Index {
    pub files: Vec<(String, Vec<u8>)>,
    /// The compressed files (metadata, word chunks, filters) by the hash
    /// of what they hold (`<language>_<SHA-1>`), for [`write`]'s next call.
    pub gzipped: Vec<(String, Vec<u8>)>,
    pub meta_hash: String,
    pub page_count: usize,
}

/// Compressed files by the hash of what they hold (see [`Index::gzipped`]).
pub type Gzipped = HashMap<String, Vec<u8>>;

/// The index of `pages`; a file whose bytes `before` holds compressed (by
/// their hash) is taken from there rather than compressed again (one text
/// changed leaves most word chunks as they were).
pub fn write(
    pages: Vec<Compact>,
    language: &str,
    version: &str,
    before: &Gzipped,
) -> Result<Index, String> {
    // as Pagefind: once one page marks its body, pages that do not are left
    // out; so are pages without words
    let any_body = pages.iter().any(|p| p.has_body);
    let pages: Vec<Compact> = pages
        .into_iter()
        .filter(|p| (!any_body || p.has_body) && p.has_words)
        .collect();

    let mut sort_keys: Vec<&String> = pages.iter().flat_map(|p| p.sort.keys()).collect();
    sort_keys.sort_unstable();
    sort_keys.dedup();
    let sorts = sort_keys
        .into_iter()
        .map(|key| {
            let mut values: Vec<(&String, usize)> = pages
                .iter()
                .enumerate()
                .filter_map(|(n, p)| p.sort.get(key).map(|v| (v, n)))
                .collect();
            let numeric = values
                .iter()
                .all(|(v, _)| v.parse::<i32>().is_ok() || v.parse::<f32>().is_ok());
            if numeric {
                let num = |v: &str| {
                    v.parse::<i32>()
                        .map(|i| i as f32)
                        .unwrap_or_else(|_| v.parse::<f32>().unwrap_or_default())
                };
                values.sort_by(|a, b| num(a.0).total_cmp(&num(b.0)));
            } else {
                values.sort_by_key(|v| v.0);
            }
            MetaSort {
                sort: key.clone(),
                pages: values.into_iter().map(|v| v.1).collect(),
            }
        })
        .collect();

    let fields: BTreeSet<&String> = pages.iter().flat_map(|p| &p.meta_keys).collect();
    let meta_fields: Vec<String> = fields.into_iter().cloned().collect();

    // the pages merged in their order (their numbers), each page's words
    // unpacked into the shard's as it comes (borrowed from its bytes)
    let mut pages = pages;
    let bodies: Vec<Vec<u8>> = pages
        .iter_mut()
        .map(|p| std::mem::take(&mut p.words))
        .collect();
    let field_ids: Vec<Vec<u16>> = pages
        .iter()
        .map(|page| {
            page.meta_keys
                .iter()
                .map(|k| meta_fields.binary_search(k).unwrap_or(0) as u16)
                .collect()
        })
        .collect();
    let words = merge_words(&bodies, &field_ids)?;
    let mut filters: BTreeMap<String, BTreeMap<String, Vec<usize>>> = BTreeMap::new();
    let mut fragment_names: HashMap<String, String> = HashMap::default();
    let mut meta_pages = Vec::with_capacity(pages.len());
    let mut fragments = Vec::with_capacity(pages.len());
    for (n, page) in pages.into_iter().enumerate() {
        for (filter, values) in page.filters {
            let by_value = filters.entry(filter).or_default();
            for value in values {
                by_value.entry(value).or_default().push(n);
            }
        }
        let hash = page.fragment_hash;
        let name = short_name(&hash, language, 1, &|s| {
            fragment_names.get(s).is_some_and(|full| *full != hash)
        });
        let fresh = !fragment_names.contains_key(&name);
        fragment_names.insert(name.clone(), hash.clone());
        meta_pages.push(MetaPage {
            hash: name.clone(),
            word_count: page.word_count,
            group_hash: String::new(),
        });
        if fresh {
            fragments.push((format!("fragment/{name}.pf_fragment"), page.fragment_gz));
        }
    }

    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut filter_names: Vec<String> = Vec::new();
    let mut meta_filters = Vec::new();
    let encoded: Vec<(String, Vec<u8>, String)> = filters
        .into_par_iter()
        .map(|(filter, values)| {
            let index = FilterIndex {
                filter: filter.clone(),
                values: values
                    .into_iter()
                    .map(|(value, pages)| PackedValue { value, pages })
                    .collect(),
            };
            let bytes = cbor(&index)?;
            let hash = format!("{language}_{}", full_hash(&bytes));
            Ok((filter, bytes, hash))
        })
        .collect::<Result<_, String>>()?;
    let mut filter_data = Vec::new();
    for (filter, bytes, hash) in encoded {
        let name = short_name(&hash, language, 2, &|s| filter_names.iter().any(|n| n == s));
        filter_names.push(name.clone());
        meta_filters.push(MetaFilter {
            filter,
            hash: name.clone(),
        });
        filter_data.push((format!("filter/{name}.pf_filter"), bytes, hash));
    }

    let mut chunks = chunks(words.into_values().collect());
    let mut index_chunks = chunk_bounds(&chunks);
    let encoded: Vec<(Vec<u8>, String)> = chunks
        .par_iter_mut()
        .map(|chunk| {
            for w in chunk.iter_mut() {
                delta(&mut w.pages);
                for v in &mut w.additional_variants {
                    delta(&mut v.pages);
                }
            }
            let bytes = cbor(&WordIndex {
                words: std::mem::take(chunk),
            })?;
            let hash = format!("{language}_{}", full_hash(&bytes));
            Ok((bytes, hash))
        })
        .collect::<Result<_, String>>()?;
    let mut chunk_names: Vec<String> = Vec::new();
    let mut index_data = Vec::new();
    for ((bytes, hash), bound) in encoded.into_iter().zip(index_chunks.iter_mut()) {
        let name = short_name(&hash, language, 2, &|s| chunk_names.iter().any(|n| n == s));
        chunk_names.push(name.clone());
        bound.hash = name.clone();
        index_data.push((format!("index/{name}.pf_index"), bytes, hash));
    }

    let page_count = meta_pages.len();
    let meta = MetaIndex {
        version: version.to_string(),
        pages: meta_pages,
        index_chunks,
        filters: meta_filters,
        sorts,
        meta_fields,
    };
    let meta_bytes = cbor(&meta)?;
    let meta_full = full_hash(&meta_bytes);
    let meta_hash = format!(
        "{language}_{}",
        &meta_full[..(language.len() + 8).min(meta_full.len())]
    );

    let mut raw: Vec<(String, Vec<u8>, String)> = Vec::new();
    let meta_key = format!("{language}_{meta_full}");
    raw.push((
        format!("pagefind.{meta_hash}.pf_meta"),
        meta_bytes,
        meta_key,
    ));
    raw.extend(index_data);
    raw.extend(filter_data);
    let compressed: Vec<(String, Vec<u8>, String)> = raw
        .into_par_iter()
        .map(|(name, bytes, key)| match before.get(&key) {
            Some(gz) => Ok((name, gz.clone(), key)),
            None => gzip(&bytes).map(|gz| (name, gz, key)),
        })
        .collect::<Result<_, String>>()?;
    let mut gzipped = Vec::with_capacity(compressed.len());
    for (name, gz, key) in compressed {
        gzipped.push((key, gz.clone()));
        files.push((name, gz));
    }
    // (the fragments were compressed as their pages were read)
    files.extend(fragments);
    Ok(Index {
        files,
        gzipped,
        meta_hash,
        page_count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Page {
        let html = "<html><head><title>T</title>\
            <meta data-pagefind-meta=\"kind:texte\"></head>\
            <body data-pagefind-body><h1>Mariátegui et l'Internationale</h1>\
            <p id=\"p-1\">José Carlos Mariátegui écrit à l'Internationale.</p>\
            <p data-pagefind-weight=\"3\">Mariategui, Humbert-Droz.</p></body></html>";
        let parsed = super::super::page::parse(html.as_bytes()).expect("parse");
        let stemmer = super::super::words::stemmer("fr");
        super::super::page::digest(parsed, "/t/".into(), "fr", stemmer.as_ref()).expect("digest")
    }

    /// The fragment writer escapes a JSON string as serde_json does.
    #[test]
    fn fragment_strings_are_escaped_as_serde_json_escapes_them() {
        let mut text: String = (0u8..0x80).map(char::from).collect();
        text.push_str("é\u{2028}\u{1F600}\"\\/");
        let mut w = FragmentWriter::new().expect("writer");
        w.raw(b"\"").expect("raw");
        w.escaped(&text).expect("escape");
        w.raw(b"\"").expect("raw");
        let expected = serde_json::to_string(&text).expect("json");
        assert_eq!(String::from_utf8_lossy(&w.buf), expected);
        let (name, _) = w.finish("fr").expect("finish");
        assert_eq!(name, format!("fr_{}", full_hash(expected.as_bytes())));
    }

    /// A list of integers is encoded as minicbor encodes it: every size of
    /// head, both signs, lists of every size of length.
    #[test]
    fn integers_are_encoded_as_minicbor_encodes_them() {
        let edges: Vec<i32> = [0i64, 1, 23, 24, 255, 256, 65_535, 65_536, i32::MAX as i64]
            .iter()
            .flat_map(|&n| [n - 1, n, n + 1, -n - 1, -n, -n + 1])
            .filter_map(|n| i32::try_from(n).ok())
            .chain([i32::MIN, i32::MIN + 1])
            .collect();
        for len in [0, 1, 23, 24, 25, 255, 256, 300, 70_000] {
            let v: Vec<i32> = edges.iter().copied().cycle().take(len).collect();
            let ours = Ints::of(v.len(), v.iter().copied());
            let theirs = minicbor::to_vec(&v).expect("cbor");
            let ours = minicbor::to_vec(&ours).expect("cbor");
            assert_eq!(ours, theirs, "{len} integers");
        }
    }

    fn sorted(mut words: Vec<PackedWord>) -> String {
        words.sort_by(|a, b| a.word.cmp(&b.word));
        format!("{words:?}")
    }

    /// A compact page unpacks to the words the page gives when merged
    /// directly: same positions, variants in the same order, metadata
    /// fields renumbered to the shard's ranks.
    #[test]
    fn a_compact_page_unpacks_to_the_same_words() {
        // the shard's fields: one before each of the page's own
        let all = ["a", "kind", "m", "title"].map(String::from);
        let p = page();
        let ids: Vec<u16> = p
            .fragment
            .meta
            .keys()
            .map(|k| all.binary_search(k).expect("field") as u16)
            .collect();
        assert_eq!(ids, [1, 3]);
        let expected = page_words(7, p.words.clone(), &p.meta_words, &ids);
        assert!(expected.values().any(|w| !w.additional_variants.is_empty()));
        assert!(expected
            .values()
            .any(|w| w.pages.iter().any(|p| !p.meta_locs.is_empty())));
        let c = compact(p).expect("compact");
        assert_eq!(c.meta_keys, ["kind", "title"]);
        let mut words = HashMap::default();
        decode_words(&c.words, 7, &ids, &mut words).expect("decode");
        let owned = |pages: &[MergePage]| -> Vec<PackedPage> {
            pages
                .iter()
                .map(|p| PackedPage {
                    page_number: p.page_number,
                    locs: Ints {
                        len: p.locs.len,
                        cbor: p.locs.cbor.to_vec(),
                    },
                    meta_locs: p.meta_locs.clone(),
                })
                .collect()
        };
        let got = words
            .into_values()
            .map(|w| PackedWord {
                word: w.word.to_string(),
                pages: owned(&w.pages),
                additional_variants: w
                    .additional_variants
                    .iter()
                    .map(|v| PackedVariant {
                        form: v.form.to_string(),
                        pages: owned(&v.pages),
                    })
                    .collect(),
            })
            .collect();
        assert_eq!(sorted(got), sorted(expected.into_values().collect()));
    }

    #[test]
    fn corrupt_page_data_is_an_error_not_a_panic() {
        let c = compact(page()).expect("compact");
        for cut in [1, c.words.len() / 2, c.words.len() - 1] {
            let mut words = HashMap::default();
            assert!(decode_words(&c.words[..cut], 0, &[0, 1], &mut words).is_err());
        }
    }
}
