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

use super::page::{MetaPosition, Page, Position};
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
struct WordIndex {
    #[n(0)]
    words: Vec<PackedWord>,
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
    locs: Vec<i32>,
    #[n(2)]
    meta_locs: Vec<i32>,
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
fn packed_locs(mut positions: Vec<&Position>) -> Vec<i32> {
    positions.sort_by_key(|p| (if p.weight == 25 { 0 } else { p.weight }, p.position));
    let mut weight = 25;
    let mut last = 0;
    let mut out = Vec::with_capacity(positions.len() + 2);
    for p in positions {
        if p.weight != weight {
            out.push(-(p.weight as i32) - 1);
            out.push(p.position as i32);
            weight = p.weight;
        } else {
            out.push((p.position - last) as i32);
        }
        last = p.position;
    }
    out
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
pub fn pack_words(words: HashMap<String, Vec<Position>>) -> HashMap<String, PackedWord> {
    let mut out: HashMap<String, PackedWord> =
        HashMap::with_capacity_and_hasher(words.len(), Default::default());
    for (word, positions) in words {
        let mut plain = Vec::new();
        let mut variants: BTreeMap<&str, Vec<&Position>> = BTreeMap::new();
        for p in &positions {
            match &p.original {
                None => plain.push(p),
                Some(form) => variants.entry(form).or_default().push(p),
            }
        }
        let mut entry = PackedWord {
            word: word.clone(),
            pages: Vec::new(),
            additional_variants: Vec::new(),
        };
        if !plain.is_empty() {
            entry.pages.push(PackedPage {
                page_number: 0,
                locs: packed_locs(plain),
                meta_locs: Vec::new(),
            });
        }
        for (form, positions) in variants {
            entry.additional_variants.push(PackedVariant {
                form: form.to_string(),
                pages: vec![PackedPage {
                    page_number: 0,
                    locs: packed_locs(positions),
                    meta_locs: Vec::new(),
                }],
            });
        }
        out.insert(word, entry);
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
        locs: Vec::new(),
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

/// The words, in byte order, cut into chunks of about [`CHUNK_LOCATIONS`].
fn chunks(mut words: Vec<PackedWord>) -> Vec<Vec<PackedWord>> {
    words.sort_unstable_by(|a, b| a.word.cmp(&b.word));
    let mut out = Vec::new();
    let mut chunk = Vec::new();
    let mut size = 0;
    for word in words {
        size += word
            .pages
            .iter()
            .chain(word.additional_variants.iter().flat_map(|v| &v.pages))
            .map(|p| p.locs.len() + p.meta_locs.len() + 1)
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

fn chunk_bounds(chunks: &[Vec<PackedWord>]) -> Vec<MetaChunk> {
    let mut bounds: Vec<MetaChunk> = chunks
        .iter()
        .map(|c| MetaChunk {
            from: c.first().map(|w| w.word.clone()).unwrap_or_default(),
            to: c.last().map(|w| w.word.clone()).unwrap_or_default(),
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
fn delta(pages: &mut [PackedPage]) {
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
    pub meta_hash: String,
    pub page_count: usize,
}

pub fn write(pages: Vec<Page>, language: &str, version: &str) -> Result<Index, String> {
    // as Pagefind: once one page marks its body, pages that do not are left
    // out; so are pages without words
    let any_body = pages.iter().any(|p| p.has_body);
    let pages: Vec<Page> = pages
        .into_iter()
        .filter(|p| (!any_body || p.has_body) && !p.words.is_empty())
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

    let fields: BTreeSet<&String> = pages.iter().flat_map(|p| p.fragment.meta.keys()).collect();
    let meta_fields: Vec<String> = fields.into_iter().cloned().collect();

    // per page, in parallel: its words packed, its fragment encoded
    type PerPage = (HashMap<String, PackedWord>, String, String);
    let mut pages = pages;
    let packed: Vec<HashMap<String, PackedWord>> = pages
        .iter_mut()
        .map(|p| std::mem::take(&mut p.words))
        .collect();
    let per_page: Vec<PerPage> = pages
        .par_iter()
        .zip(packed)
        .enumerate()
        .map(|(n, (page, packed))| {
            let field_ids: Vec<u16> = page
                .fragment
                .meta
                .keys()
                .map(|k| meta_fields.binary_search(k).unwrap_or(0) as u16)
                .collect();
            let words = page_words(n, packed, &page.meta_words, &field_ids);
            let json = serde_json::to_string(&page.fragment)
                .map_err(|e| format!("cannot encode the search index: {e}"))?;
            let hash = format!("{language}_{}", full_hash(json.as_bytes()));
            Ok((words, json, hash))
        })
        .collect::<Result<_, String>>()?;

    let mut words: HashMap<String, PackedWord> = HashMap::default();
    let mut filters: BTreeMap<&String, BTreeMap<&String, Vec<usize>>> = BTreeMap::new();
    let mut fragment_names: HashMap<String, String> = HashMap::default();
    let mut meta_pages = Vec::with_capacity(pages.len());
    let mut fragments = Vec::with_capacity(pages.len());
    for (n, (page, (page_words, json, hash))) in pages.iter().zip(per_page).enumerate() {
        for (word, packed) in page_words {
            match words.entry(word) {
                std::collections::hash_map::Entry::Occupied(mut e) => {
                    let e = e.get_mut();
                    e.pages.extend(packed.pages);
                    for v in packed.additional_variants {
                        match e.additional_variants.iter_mut().find(|x| x.form == v.form) {
                            Some(x) => x.pages.extend(v.pages),
                            None => e.additional_variants.push(v),
                        }
                    }
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(packed);
                }
            }
        }
        for (filter, values) in &page.fragment.filters {
            for value in values {
                filters
                    .entry(filter)
                    .or_default()
                    .entry(value)
                    .or_default()
                    .push(n);
            }
        }
        let name = short_name(&hash, language, 1, &|s| {
            fragment_names.get(s).is_some_and(|full| *full != hash)
        });
        let fresh = !fragment_names.contains_key(&name);
        fragment_names.insert(name.clone(), hash.clone());
        meta_pages.push(MetaPage {
            hash: name.clone(),
            word_count: page.fragment.word_count as u32,
            group_hash: String::new(),
        });
        if fresh {
            fragments.push((name, json));
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
                    .map(|(value, pages)| PackedValue {
                        value: value.clone(),
                        pages,
                    })
                    .collect(),
            };
            let bytes = cbor(&index)?;
            let hash = format!("{language}_{}", full_hash(&bytes));
            Ok((filter.clone(), bytes, hash))
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
        filter_data.push((format!("filter/{name}.pf_filter"), bytes));
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
        index_data.push((format!("index/{name}.pf_index"), bytes));
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

    let mut raw: Vec<(String, Vec<u8>)> = Vec::new();
    raw.push((format!("pagefind.{meta_hash}.pf_meta"), meta_bytes));
    raw.extend(
        fragments
            .into_iter()
            .map(|(name, json)| (format!("fragment/{name}.pf_fragment"), json.into_bytes())),
    );
    raw.extend(index_data);
    raw.extend(filter_data);
    let compressed: Vec<(String, Vec<u8>)> = raw
        .into_par_iter()
        .map(|(name, bytes)| gzip(&bytes).map(|gz| (name, gz)))
        .collect::<Result<_, String>>()?;
    files.extend(compressed);
    Ok(Index {
        files,
        meta_hash,
        page_count,
    })
}
