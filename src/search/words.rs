//! From a word of a page to the words the index holds, as Pagefind 1.6
//! splits, normalises and stems them, so that Pagefind's client (which
//! splits and stems a query the same way) finds them.
//!
//! A word (a run of text between spaces) gives its normalised form
//! (letters and digits, lowercased), stemmed; the parts of a compound
//! (`Humbert-Droz`, `l'Internationale`, `ThreeWords`, `a.b_c`) at a lower
//! weight; and, when the word carries diacritics, its accented form beside
//! the unaccented key (`mariátegui` under `mariategui`), which the client
//! ranks higher when the query has the same accents.
//!
//! Stemming is most of the cost, and a page repeats its words: each thread
//! keeps the split of every distinct word it met ([`split`]), so a word is
//! stemmed once per thread, not once per occurrence.

use convert_case::{Case, Casing};
use pagefind_stem::{Algorithm, Stemmer};
use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// Characters that count as part of a word beside letters and digits (the
/// Unicode "connector punctuation", as Pagefind has them; the search page
/// gets the same list in `pagefind-entry.json`).
pub const WORD_SYMBOLS: [char; 10] = ['_', '‿', '⁀', '⁔', '︳', '︴', '﹍', '﹎', '﹏', '＿'];

const MAX_KATAKANA_SUFFIX_CHARS: usize = 16;
const MAX_DOTTED_TAIL_CHARS: usize = 64;

static EMOJI: LazyLock<Option<regex::Regex>> =
    LazyLock::new(|| regex::Regex::new("\\p{Emoji}").ok());

/// One word as the index holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Indexable {
    /// The key: normalised, without diacritics, stemmed.
    pub stem: String,
    /// A part of a compound word (weighs less).
    pub compound_part: bool,
    /// The normalised form with its diacritics, when they were removed.
    pub original: Option<Arc<str>>,
}

/// The words one word of text gives: `words` (the word itself and its
/// parts) and `tails` (the compound tails after a dot, indexed in the
/// body only, not in metadata).
#[derive(Debug, Default)]
pub struct Split {
    pub words: Vec<Indexable>,
    pub tails: Vec<Indexable>,
}

/// The stemmer of a language (its primary subtag), if Snowball has one.
pub fn stemmer(language: &str) -> Option<Stemmer> {
    let algorithm = match language.split('-').next().unwrap_or("") {
        "ar" => Algorithm::Arabic,
        "hy" => Algorithm::Armenian,
        "eu" => Algorithm::Basque,
        "ca" => Algorithm::Catalan,
        "da" => Algorithm::Danish,
        "nl" => Algorithm::Dutch,
        "en" => Algorithm::English,
        "eo" => Algorithm::Esperanto,
        "et" => Algorithm::Estonian,
        "fi" => Algorithm::Finnish,
        "fr" => Algorithm::French,
        "de" => Algorithm::German,
        "el" => Algorithm::Greek,
        "hi" => Algorithm::Hindi,
        "hu" => Algorithm::Hungarian,
        "id" => Algorithm::Indonesian,
        "ga" => Algorithm::Irish,
        "it" => Algorithm::Italian,
        "lt" => Algorithm::Lithuanian,
        "nb" | "nn" | "no" => Algorithm::Norwegian,
        "ne" => Algorithm::Nepali,
        "pt" => Algorithm::Portuguese,
        "ro" => Algorithm::Romanian,
        "ru" => Algorithm::Russian,
        "sr" => Algorithm::Serbian,
        "pl" => Algorithm::Polish,
        "es" => Algorithm::Spanish,
        "sv" => Algorithm::Swedish,
        "ta" => Algorithm::Tamil,
        "tr" => Algorithm::Turkish,
        "yi" => Algorithm::Yiddish,
        _ => return None,
    };
    Some(Stemmer::create(algorithm))
}

/// Past this many distinct words a thread's cache starts afresh (a bound
/// on memory for a very large vocabulary or a long `serve` session); it is
/// emptied only between pages, so that a page's stem numbers hold.
const CACHE_WORDS: usize = 1 << 20;

/// A word's split, and the number of each of its words' stems (in the
/// order of `words`, then `tails`) in the thread's table of stems.
pub struct Cached {
    pub split: Rc<Split>,
    pub ids: Box<[u32]>,
}

/// One thread's splits and stems, for one language: each distinct word is
/// split and stemmed once, and each stem numbered, so that a page counts
/// its words by number (a mark per stem), not by hashing each stem again.
#[derive(Default)]
pub struct Splits {
    language: String,
    /// Word → its place in `cached`.
    words: HashMap<String, u32>,
    cached: Vec<Cached>,
    /// Stem → its number, and number → stem.
    numbers: HashMap<Rc<str>, u32>,
    stems: Vec<Rc<str>>,
    /// A mark for each stem (by number), for a page's use: the page's
    /// number (see [`Splits::page`]) and a place; a mark left by another
    /// page counts as none.
    marks: Vec<(u32, u32)>,
    /// The number of the page being digested.
    page: u32,
}

impl Splits {
    /// A new page: its number, which no mark holds yet.
    pub fn page(&mut self) -> u32 {
        self.page = self.page.wrapping_add(1);
        if self.page == 0 {
            self.marks.iter_mut().for_each(|m| *m = (0, 0));
            self.page = 1;
        }
        self.page
    }

    /// The split of `word`, made once; and the stems' marks.
    pub fn get(&mut self, word: &str, stemmer: Option<&Stemmer>) -> (&Cached, &mut [(u32, u32)]) {
        let place = match self.words.get(word) {
            Some(&place) => place,
            None => self.add(word, stemmer),
        };
        (&self.cached[place as usize], &mut self.marks)
    }

    /// `word`'s split, made: its place.
    fn add(&mut self, word: &str, stemmer: Option<&Stemmer>) -> u32 {
        let mut words = indexable_words(word, stemmer);
        let mut tails = dotted_tails(word, stemmer, &words);
        // (held for every distinct word: most have one form, and a
        // vector grown by one push holds four)
        words.shrink_to_fit();
        tails.shrink_to_fit();
        let ids = words
            .iter()
            .chain(&tails)
            .map(|w| self.number(&w.stem))
            .collect();
        let split = Rc::new(Split { words, tails });
        let place = u32::try_from(self.cached.len()).unwrap_or(u32::MAX);
        self.cached.push(Cached { split, ids });
        self.words.insert(word.to_string(), place);
        place
    }

    fn number(&mut self, stem: &str) -> u32 {
        if let Some(&n) = self.numbers.get(stem) {
            return n;
        }
        let n = u32::try_from(self.stems.len()).unwrap_or(u32::MAX);
        let stem: Rc<str> = Rc::from(stem);
        self.stems.push(Rc::clone(&stem));
        self.marks.push((0, 0));
        self.numbers.insert(stem, n);
        n
    }

    /// The stem numbered `n`.
    pub fn stem(&self, n: u32) -> &str {
        self.stems.get(n as usize).map_or("", |s| s)
    }
}

thread_local! {
    static CACHE: RefCell<Splits> = RefCell::new(Splits::default());
}

/// `f` given this thread's splits in `language` (emptied first if the
/// language changed or past [`CACHE_WORDS`]).
pub fn with_splits<R>(language: &str, f: impl FnOnce(&mut Splits) -> R) -> R {
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.language != language || cache.words.len() >= CACHE_WORDS {
            *cache = Splits {
                language: language.to_string(),
                ..Splits::default()
            };
        }
        f(&mut cache)
    })
}

/// The split of `word` in `language`, from this thread's cache.
pub fn split(word: &str, language: &str, stemmer: Option<&Stemmer>) -> Rc<Split> {
    with_splits(language, |s| Rc::clone(&s.get(word, stemmer).0.split))
}

/// Letters, digits and [`WORD_SYMBOLS`], lowercased.
fn normalize_word(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_alphanumeric() || WORD_SYMBOLS.contains(&c) {
            let c = c.to_ascii_lowercase();
            if c.is_uppercase() {
                out.extend(c.to_lowercase());
            } else {
                out.push(c);
            }
        }
    }
    out
}

fn stem_word(normalized: &str, stemmer: Option<&Stemmer>, compound_part: bool) -> Indexable {
    let bare = without_diacritics(normalized);
    let base = bare.as_deref().unwrap_or(normalized);
    let stem = match stemmer {
        Some(s) => s.stem(base).into_owned(),
        None => base.to_string(),
    };
    Indexable {
        stem,
        compound_part,
        original: bare.map(|_| Arc::from(normalized)),
    }
}

/// Whether `word` may be a compound: a character that is neither letter
/// nor digit, or an uppercase letter after the first.
fn possibly_compound(word: &str) -> bool {
    word.chars().any(|c| !c.is_alphanumeric()) || word.chars().skip(1).any(|c| c.is_uppercase())
}

/// The word itself, its katakana suffixes, its compound parts, its emoji.
fn indexable_words(raw: &str, stemmer: Option<&Stemmer>) -> Vec<Indexable> {
    let mut out = Vec::new();
    let normalized = normalize_word(raw);
    if !normalized.is_empty() {
        out.push(stem_word(&normalized, stemmer, false));
    }
    for suffix in katakana_suffixes(raw) {
        let bare = without_diacritics(suffix);
        out.push(Indexable {
            stem: bare.clone().unwrap_or_else(|| suffix.to_string()),
            compound_part: true,
            original: bare.map(|_| Arc::from(suffix)),
        });
    }
    if !possibly_compound(raw) {
        return out;
    }
    let parts = raw
        .replace(|c: char| c.is_ascii_punctuation(), " ")
        .to_case(Case::Lower)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !normalized.is_empty()
        && (parts.contains(char::is_whitespace) || !normalized.starts_with(&parts))
    {
        // parts of two bytes or more
        for part in parts.split_whitespace().filter(|w| w.len() > 1) {
            out.push(stem_word(part, stemmer, true));
        }
    }
    if EMOJI.as_ref().is_some_and(|re| re.is_match(raw)) {
        for g in raw.graphemes(true) {
            if emojis::get(g).is_some() {
                out.push(Indexable {
                    stem: g.to_string(),
                    compound_part: false,
                    original: None,
                });
            }
        }
    }
    out
}

/// The compound tails after each dot (`is_build` in `config.is_build`) not
/// already among `existing`.
fn dotted_tails(raw: &str, stemmer: Option<&Stemmer>, existing: &[Indexable]) -> Vec<Indexable> {
    let mut tails: Vec<Indexable> = Vec::new();
    if !raw.contains('.') {
        return tails;
    }
    for (i, _) in raw.match_indices('.') {
        let rest = &raw[i + 1..];
        let tail = match rest.char_indices().nth(MAX_DOTTED_TAIL_CHARS) {
            Some((end, _)) => &rest[..end],
            None => rest,
        };
        if !possibly_compound(tail) {
            continue;
        }
        let normalized = normalize_word(tail);
        if normalized.chars().count() < 2 {
            continue;
        }
        let word = stem_word(&normalized, stemmer, true);
        if !existing.iter().any(|w| w.stem == word.stem)
            && !tails.iter().any(|w| w.stem == word.stem)
        {
            tails.push(word);
        }
    }
    tails
}

fn is_katakana(c: char) -> bool {
    matches!(c as u32, 0x30A1..=0x30FA | 0x30FC..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F)
}

/// Every suffix (up to 16 characters, at least 2) of a katakana word of 3
/// characters or more, so that a query for a part finds it.
fn katakana_suffixes(word: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    if word.chars().count() < 3 || !word.chars().all(is_katakana) {
        return out;
    }
    for (i, _) in word.char_indices().skip(1) {
        let rest = &word[i..];
        let suffix = match rest.char_indices().nth(MAX_KATAKANA_SUFFIX_CHARS) {
            Some((end, _)) => &rest[..end],
            None => rest,
        };
        if suffix.chars().count() >= 2 && !out.contains(&suffix) {
            out.push(suffix);
        }
    }
    out
}

/// `word` without its combining marks (kana voicing marks kept), if that
/// changes it.
fn without_diacritics(word: &str) -> Option<String> {
    if word.is_ascii() || !decomposes(word) {
        return None;
    }
    let voicing = |c: char| matches!(c, '\u{3099}' | '\u{309A}');
    let stripped: String = word
        .nfd()
        .filter(|&c| !unicode_normalization::char::is_combining_mark(c) || voicing(c))
        .collect();
    let bare = if stripped.chars().any(voicing) {
        stripped.nfc().collect::<String>()
    } else {
        stripped
    };
    (bare != word).then_some(bare)
}

fn decomposes(word: &str) -> bool {
    word.chars().any(|c| {
        unicode_normalization::char::is_combining_mark(c) || {
            let mut changes = false;
            unicode_normalization::char::decompose_canonical(c, |part| changes |= part != c);
            changes
        }
    })
}

/// The length in bytes of the white-space character (`char::is_whitespace`)
/// at the start of `b`, or 0. Byte tests, so that a page's text is not
/// decoded character by character: every white-space character is ASCII or
/// starts with one of four bytes.
#[inline]
fn space_at(b: &[u8]) -> usize {
    match b {
        [b'\t'..=b'\r' | b' ', ..] => 1,
        // U+0085, U+00A0
        [0xC2, 0x85 | 0xA0, ..] => 2,
        // U+1680
        [0xE1, 0x9A, 0x80, ..] => 3,
        // U+2000–U+200A, U+2028, U+2029, U+202F; U+205F
        [0xE2, 0x80, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF, ..] | [0xE2, 0x81, 0x9F, ..] => 3,
        // U+3000
        [0xE3, 0x80, 0x80, ..] => 3,
        _ => 0,
    }
}

/// Whether a byte may start a white-space character.
#[inline]
fn may_start_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ' | 0xC2 | 0xE1 | 0xE2 | 0xE3)
}

/// Where the run of white space at `at` ends (`at` if there is none).
fn past_spaces(bytes: &[u8], mut at: usize) -> usize {
    loop {
        let n = bytes.get(at..).map_or(0, space_at);
        if n == 0 {
            return at;
        }
        at += n;
    }
}

/// The words of `text` between white space, as `str::split_whitespace`
/// gives them.
pub fn words_of(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        // (white space first, then the word up to the next)
        at = past_spaces(bytes, at);
        if at >= bytes.len() {
            return None;
        }
        let start = at;
        while at < bytes.len() {
            if may_start_space(bytes[at]) && space_at(&bytes[at..]) > 0 {
                break;
            }
            at += 1;
        }
        text.get(start..at)
    })
}

/// Text as Pagefind keeps it: HTML entities decoded, trimmed, a run of
/// white space (or a line break) made one space.
pub fn normalize_content(text: &str) -> String {
    let text = if text.as_bytes().contains(&b'&') {
        html_escape::decode_html_entities(text)
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    let text = text.trim();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // `text[done..at]` is kept as it is; it is copied when a run of white
    // space must change (a single white-space character other than a line
    // break stays, so most of a text is copied in a few long pieces)
    let (mut done, mut at) = (0, 0);
    while at < bytes.len() {
        if !may_start_space(bytes[at]) {
            at += 1;
            continue;
        }
        let first = space_at(&bytes[at..]);
        if first == 0 {
            at += 1;
            continue;
        }
        let end = past_spaces(bytes, at + first);
        if end != at + first || bytes[at] == b'\n' {
            out.push_str(&text[done..at]);
            out.push(' ');
            done = end;
        }
        at = end;
    }
    out.push_str(&text[done..]);
    out
}

/// [`normalize_content`] as it was written first, character by character
/// (the reference of the tests).
#[cfg(test)]
fn normalize_content_chars(text: &str) -> String {
    let text = html_escape::decode_html_entities(text);
    let text = text.trim();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(char::is_whitespace) {
        out.push_str(&rest[..i]);
        let spaces = &rest[i..];
        let end = spaces
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(spaces.len());
        let run = &spaces[..end];
        let mut chars = run.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c != '\n' => out.push(c),
            _ => out.push(' '),
        }
        rest = &spaces[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_normalised_as_pagefind_does() {
        assert_eq!(
            normalize_content("  a\n\nb \t c\u{a0}d&amp;e\r\n"),
            "a b c\u{a0}d&e"
        );
        assert_eq!(normalize_content("a\tb\nc\r\nd"), "a\tb c d");
    }

    /// The byte tests find the same white space as `char::is_whitespace`:
    /// every character is tried alone, and strings of letters, white space
    /// and entities are normalised and split as character by character.
    #[test]
    fn white_space_is_found_as_char_is_whitespace_finds_it() {
        let all = (0..=0x10FFFFu32).filter_map(char::from_u32);
        for c in all {
            assert_eq!(
                space_at(c.to_string().as_bytes()) > 0,
                c.is_whitespace(),
                "U+{:04X}",
                c as u32
            );
        }
        let pieces = [
            "a", "é", " ", "\n", "\t", "\u{a0}", "\u{2009}", "\u{3000}", "\u{85}", "\u{200b}",
            "\u{2028}", "&amp;", "&", "\u{e2}", "\u{1680}", "\u{205f}", "\r\n",
        ];
        let mut seed = 7u64;
        for _ in 0..20_000 {
            let mut s = String::new();
            for _ in 0..(seed % 9) {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            assert_eq!(normalize_content(&s), normalize_content_chars(&s), "{s:?}");
            let split: Vec<&str> = s.split_whitespace().collect();
            assert_eq!(words_of(&s).collect::<Vec<_>>(), split, "{s:?}");
        }
    }

    #[test]
    fn compounds_give_their_parts() {
        let fr = stemmer("fr");
        let w = indexable_words("Humbert-Droz", fr.as_ref());
        let stems: Vec<&str> = w.iter().map(|w| w.stem.as_str()).collect();
        assert_eq!(stems, ["humbertdroz", "humbert", "droz"]);
        let w = indexable_words("Mariátegui", fr.as_ref());
        assert_eq!(w[0].original.as_deref(), Some("mariátegui"));
    }
}
