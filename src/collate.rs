//! Collation of a text against its base witness.
//!
//! A text's front matter may name the witness it transcribes (a plain-text
//! file under the site root, e.g. an OCR) and the span(s) of it that the text
//! covers:
//!
//! ```toml
//! [witness]
//! file = "sources/scan.txt"
//! spans = [{ from = "First words", to = "last words." }, { lines = [40, 42] }]
//! ```
//!
//! `collate` rebuilds the text as the witness should read it — every
//! emendation's *source* reading restored, additions left out, markup
//! skipped (note calls, link destinations, emphasis marks, editorial notes
//! `[^ed-…]`, translation columns of parallel blocks) — and aligns it word by
//! word with the witness span (the `similar` crate). The author's notes are
//! text of the witness too, wherever the witness prints them in the span, so
//! they are aligned after the running text, against what the running text
//! left over. The differences that the edition declares as silent
//! normalisations (`[collation]` in `site.toml`) are removed and counted;
//! every other difference is an "unrecorded change".

use crate::content::Page;
use crate::diagnostics::{Diagnostics, Severity, SourceMap};
use serde::Serialize;
use similar::{Algorithm, DiffTag};
use std::collections::BTreeMap;
use std::path::{Component, Path};
use unicode_normalization::UnicodeNormalization;

pub use crate::witness::{Level, Replace, Settings, SpanRef, WitnessRef};

/// The built-in normalisations an edition may declare.
pub const NORMALISATIONS: &[(&str, &str)] = &[
    (
        "quotes",
        "typographic and straight quotation marks and apostrophes are the same",
    ),
    (
        "spacing",
        "a space present or missing between two words or signs",
    ),
    (
        "hyphenation",
        "a word cut by a hyphen at the end of a witness line is joined",
    ),
    (
        "note-calls",
        "note numbers and signs of the witness (detached, superscript, `^{…}`) are the edition's calls",
    ),
    (
        "emphasis-marks",
        "`*` and `_` glued to a word in the witness are emphasis marks",
    ),
    (
        "duplicate-lines",
        "a run of the witness repeated elsewhere in the span is read once",
    ),
];

/// What the collation of one text found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The text's content path (without `.md`) and title.
    pub rel: String,
    pub url: String,
    pub title: String,
    pub witness: String,
    /// Recorded emendations by kind: substitution, deletion, addition.
    pub emendations: BTreeMap<String, usize>,
    /// Normalisations applied, by name.
    pub normalisations: BTreeMap<String, usize>,
    pub unrecorded: usize,
    /// Words and signs compared on each side.
    pub witness_tokens: usize,
    pub edition_tokens: usize,
}

/// A word, a number or a single sign, with where it comes from.
#[derive(Debug, Clone)]
struct Tok {
    text: String,
    /// byte offsets in its file
    at: usize,
    end: usize,
    /// whitespace right before it
    space: bool,
    /// a line break right after it (witness)
    eol: bool,
    /// which flow of the edition (0: running text, 1..: notes)
    flow: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Digit,
    Sup,
    Sign,
}

fn class(c: char) -> Option<Class> {
    if c.is_whitespace() {
        None
    } else if "⁰¹²³⁴⁵⁶⁷⁸⁹".contains(c) {
        Some(Class::Sup)
    } else if c.is_numeric() {
        Some(Class::Digit)
    } else if c.is_alphabetic() || unicode_normalization::char::is_combining_mark(c) {
        Some(Class::Letter)
    } else {
        Some(Class::Sign)
    }
}

/// Characters with their byte offsets (skipped markup leaves no trace).
type Chars = Vec<(char, usize)>;

fn tokenize(chars: &[(char, usize)], flow: usize) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::new();
    let mut space = false;
    let mut prev: Option<Class> = None;
    for &(c, at) in chars {
        let Some(k) = class(c) else {
            space = true;
            if c == '\n' {
                if let Some(t) = out.last_mut() {
                    t.eol = true;
                }
            }
            prev = None;
            continue;
        };
        let joins = k != Class::Sign && prev == Some(k) && !space;
        if joins {
            if let Some(t) = out.last_mut() {
                t.text.push(c);
                t.end = at + c.len_utf8();
                continue;
            }
        }
        out.push(Tok {
            text: c.to_string(),
            at,
            end: at + c.len_utf8(),
            space,
            eol: false,
            flow,
        });
        space = false;
        prev = Some(k);
    }
    out
}

/// The edition's text as the witness should read it.
#[derive(Default)]
struct Scanned {
    /// running text, then each author's note
    flows: Vec<Chars>,
    labels: Vec<String>,
    emendations: BTreeMap<String, usize>,
}

fn count(map: &mut BTreeMap<String, usize>, key: &str) {
    *map.entry(key.to_string()).or_insert(0) += 1;
}

/// Reads the Markdown body of `page` (see the module documentation).
fn scan(page: &Page) -> Scanned {
    let text = &page.src.text();
    let mut s = Scanned {
        flows: vec![Vec::new()],
        ..Default::default()
    };
    #[derive(PartialEq)]
    enum Mode {
        Text,
        Note,
        Skip,
        SkipNote,
    }
    let mut mode = Mode::Text;
    let mut flow = 0usize;
    let mut fence: Option<&str> = None;
    let mut in_parallel = false;
    let mut after_blank = false;
    let mut pos = page.body_start;
    for line in text
        .get(page.body_start..)
        .unwrap_or_default()
        .split_inclusive('\n')
    {
        let start = pos;
        pos += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        let indent = content.len() - trimmed.len();
        if let Some(f) = fence {
            if trimmed.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
            continue;
        }
        if trimmed.is_empty() {
            after_blank = true;
            s.flows[flow].push(('\n', start));
            continue;
        }
        if matches!(mode, Mode::Note | Mode::SkipNote) && after_blank && indent < 4 {
            mode = Mode::Text;
            flow = 0;
        }
        after_blank = false;
        let t = trimmed.trim_end();
        if t == ":::" {
            in_parallel = false;
            mode = Mode::Text;
            continue;
        }
        if let Some(rest) = t.strip_prefix(":::") {
            // `::: parallel` opens a block; `::: continue` is only a marker
            in_parallel = rest.split_whitespace().next() == Some("parallel");
            continue;
        }
        if in_parallel && t.starts_with(":: ") {
            mode = if t.split_whitespace().nth(2) == Some("translation") {
                Mode::Skip
            } else {
                Mode::Text
            };
            continue;
        }
        let mut from = start + indent;
        if indent < 4 && trimmed.starts_with("[^") {
            if let Some(close) = trimmed.find("]:") {
                let label = &trimmed[2..close];
                if !label.is_empty() && !label.contains(char::is_whitespace) {
                    if label.starts_with("ed-") {
                        mode = Mode::SkipNote;
                    } else {
                        mode = Mode::Note;
                        s.flows.push(Vec::new());
                        s.labels.push(label.to_string());
                        flow = s.flows.len() - 1;
                    }
                    from += close + 2;
                }
            }
        }
        if matches!(mode, Mode::Skip | Mode::SkipNote) {
            continue;
        }
        // block markers: headings, block quotes, list items, the parallel
        // paragraph sign
        let mut rest = &text[from..start + content.len()];
        loop {
            let r = rest.trim_start();
            let skipped = if let Some(x) = r.strip_prefix('>') {
                x
            } else if r.starts_with('#') {
                r.trim_start_matches('#')
            } else if let Some(x) = r.strip_prefix('¶') {
                x
            } else if let Some(x) = r
                .strip_prefix("- ")
                .or_else(|| r.strip_prefix("* "))
                .or_else(|| r.strip_prefix("+ "))
            {
                x
            } else {
                break;
            };
            rest = skipped;
        }
        let off = start + content.len() - rest.len();
        inline(rest, off, &mut s.flows[flow], &mut s.emendations);
        s.flows[flow].push(('\n', start + content.len()));
    }
    s
}

/// The end of the bracketed group opening at `open` (`[` … `]`), or None.
fn matching(text: &str, open: usize, o: u8, c: u8) -> Option<usize> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut quoted = false;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'"' if o == b'(' => quoted = !quoted,
            x if x == o && !quoted => depth += 1,
            x if x == c && !quoted => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Inline markup of one line: what the witness would read goes to `out`.
fn inline(text: &str, base: usize, out: &mut Chars, em: &mut BTreeMap<String, usize>) {
    let mut i = 0;
    while i < text.len() {
        let tail = &text[i..];
        let Some(c) = tail.chars().next() else { break };
        if c == '\\' {
            match tail[1..].chars().next() {
                Some(n) if n.is_ascii_punctuation() => {
                    out.push((n, base + i + 1));
                    i += 1 + n.len_utf8();
                }
                _ => i += 1,
            }
            continue;
        }
        if tail.starts_with("[^") {
            if let Some(close) = tail.find(']') {
                if !tail[..close].contains(char::is_whitespace) {
                    i += close + 1;
                    continue;
                }
            }
        }
        if c == '[' {
            if let Some(close) = matching(text, i, b'[', b']') {
                if text[close + 1..].starts_with('(') {
                    if let Some(paren) = matching(text, close + 1, b'(', b')') {
                        inline(&text[i + 1..close], base + i + 1, out, em);
                        i = paren + 1;
                        continue;
                    }
                }
            }
        }
        if let Some(inner) = tail.strip_prefix("{~~") {
            if let Some(end) = inner.find("~~}") {
                if let Some(arrow) = inner[..end].find("~>") {
                    let src = &inner[..arrow];
                    let kind = if inner[arrow + 2..end].is_empty() {
                        "deletion"
                    } else {
                        "substitution"
                    };
                    count(em, kind);
                    for (j, ch) in src.char_indices() {
                        out.push((ch, base + i + 3 + j));
                    }
                    i += 3 + end + 3;
                    continue;
                }
            }
        }
        if let Some(inner) = tail.strip_prefix("{++") {
            if let Some(end) = inner.find("++}") {
                count(em, "addition");
                i += 3 + end + 3;
                continue;
            }
        }
        let prev_alnum = text[..i]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        let next_alnum = tail[c.len_utf8()..]
            .chars()
            .next()
            .is_some_and(char::is_alphanumeric);
        if c == '*' || c == '`' || (c == '_' && !(prev_alnum && next_alnum)) {
            i += 1;
            continue;
        }
        if c == '<' {
            if let Some(close) = tail.find('>') {
                let inside = &tail[1..close];
                if inside
                    .chars()
                    .next()
                    .is_some_and(|x| x.is_ascii_alphabetic() || x == '/')
                    && !inside.contains(char::is_whitespace)
                {
                    i += close + 1;
                    continue;
                }
            }
        }
        out.push((c, base + i));
        i += c.len_utf8();
    }
}

/// The comparison key of a token.
fn key(t: &str, quotes: bool) -> String {
    let s: String = t.nfc().collect();
    if !quotes {
        return s;
    }
    s.chars()
        .map(|c| match c {
            '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{2032}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' | '\u{2033}' => '"',
            c => c,
        })
        .collect()
}

/// Where a witness token stands after alignment.
#[derive(Clone, Debug, PartialEq)]
enum WState {
    Free,
    Matched(usize),
    Normalised(String),
    Claimed,
}

struct Aligner<'a> {
    w: &'a [Tok],
    wk: Vec<String>,
    ek: Vec<String>,
    ws: Vec<WState>,
    em: Vec<Option<usize>>,
}

impl Aligner<'_> {
    /// Aligns the free witness tokens with the edition tokens `eidx`;
    /// matched runs shorter than `min_run` are dropped, and so are short
    /// runs lost among long differences (chance agreements of common words).
    fn pass(&mut self, eidx: &[usize], min_run: usize) {
        let widx: Vec<usize> = (0..self.w.len())
            .filter(|&i| self.ws[i] == WState::Free)
            .collect();
        let a: Vec<&str> = widx.iter().map(|&i| self.wk[i].as_str()).collect();
        let b: Vec<&str> = eidx
            .iter()
            .filter(|&&j| self.em[j].is_none())
            .map(|&j| self.ek[j].as_str())
            .collect();
        let eidx: Vec<usize> = eidx
            .iter()
            .copied()
            .filter(|&j| self.em[j].is_none())
            .collect();
        let ops = similar::capture_diff_slices(Algorithm::Myers, &a, &b);
        let sizes: Vec<(DiffTag, usize, usize, usize, usize)> = ops
            .iter()
            .map(|op| {
                let (tag, o, n) = op.as_tag_tuple();
                (tag, o.start, o.len(), n.start, n.len())
            })
            .collect();
        let mut last: Option<usize> = None;
        for (k, &(tag, o, olen, n, _)) in sizes.iter().enumerate() {
            if tag != DiffTag::Equal || olen < min_run {
                continue;
            }
            // the ends of the sequences count as long differences
            let around = |j: Option<usize>| {
                j.and_then(|j| sizes.get(j))
                    .map(|s| if s.0 == DiffTag::Equal { 0 } else { s.2 + s.4 })
            };
            // an island: long differences on both sides (or on its only side)
            let neighbours = match (around(k.checked_sub(1)), around(Some(k + 1))) {
                (None, None) => 0,
                (Some(x), None) | (None, Some(x)) => x,
                (Some(x), Some(y)) => x.min(y),
            };
            let island = olen * 8 < neighbours;
            for d in 0..olen {
                // of two equal witness tokens, the one right after the
                // previous match (a sentence that a block of notes
                // interrupts keeps its own punctuation)
                let mut o = o + d;
                match last {
                    Some(l) if l + 1 < o && a[l + 1] == a[o] => o = l + 1,
                    // a chance agreement, unless it follows on
                    _ if island => break,
                    _ => {}
                }
                last = Some(o);
                let wi = widx[o];
                let ej = eidx[n + d];
                self.ws[wi] = WState::Matched(ej);
                self.em[ej] = Some(wi);
            }
        }
    }
}

fn clip(s: &str) -> String {
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 80 {
        let head: String = s.chars().take(77).collect();
        format!("{head}…")
    } else {
        s
    }
}

fn join(toks: &[&Tok]) -> String {
    let mut s = String::new();
    for (i, t) in toks.iter().enumerate() {
        if i > 0 && t.space {
            s.push(' ');
        }
        s.push_str(&t.text);
    }
    clip(&s)
}

fn superscript_to_digit(s: &str) -> String {
    s.chars()
        .map(|c| match "⁰¹²³⁴⁵⁶⁷⁸⁹".chars().position(|x| x == c) {
            Some(d) => char::from(b'0' + d as u8),
            None => c,
        })
        .collect()
}

/// A position in the front matter for a witness error: the first occurrence
/// of `needle` there, else the `[witness]` table.
fn fm_offset(page: &Page, needle: &str) -> usize {
    let src = page.src.text();
    let fm = src.get(..page.body_start).unwrap_or(&src);
    fm.find(needle).or_else(|| fm.find("witness")).unwrap_or(0)
}

/// Resolves the spans of `w` in `wtext`: byte ranges, in order.
fn resolve_spans(
    page: &Page,
    w: &WitnessRef,
    wtext: &str,
    diags: &mut Diagnostics,
) -> Option<Vec<(usize, usize)>> {
    if w.spans.is_empty() {
        return Some(vec![(0, wtext.len())]);
    }
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(wtext.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let nlines = if wtext.ends_with('\n') {
        line_starts.len() - 1
    } else {
        line_starts.len()
    };
    let mut out = Vec::new();
    let mut ok = true;
    for sp in &w.spans {
        match (&sp.from, &sp.to, sp.lines) {
            (Some(from), Some(to), None) => {
                let found: Vec<usize> = wtext.match_indices(from.as_str()).map(|m| m.0).collect();
                let at = fm_offset(page, &format!("{from:?}"));
                if from.is_empty() || found.is_empty() {
                    diags.push(page.src.error(
                        at,
                        format!("witness span: `from` marker {from:?} is not in {}", w.file),
                    ));
                    ok = false;
                    continue;
                }
                if found.len() > 1 {
                    diags.push(page.src.error(
                        at,
                        format!(
                            "witness span: `from` marker {from:?} occurs {} times in {}: give a longer one",
                            found.len(),
                            w.file
                        ),
                    ));
                    ok = false;
                    continue;
                }
                let start = found[0];
                match wtext[start..].find(to.as_str()).filter(|_| !to.is_empty()) {
                    Some(rel) => out.push((start, start + rel + to.len())),
                    None => {
                        diags.push(page.src.error(
                            fm_offset(page, &format!("{to:?}")),
                            format!(
                                "witness span: `to` marker {to:?} does not follow the `from` marker in {}",
                                w.file
                            ),
                        ));
                        ok = false;
                    }
                }
            }
            (None, None, Some([a, b])) => {
                if a == 0 || a > b || b > nlines {
                    diags.push(page.src.error(
                        fm_offset(page, "lines"),
                        format!(
                            "witness span: lines [{a}, {b}] are not a range of {} ({nlines} lines)",
                            w.file
                        ),
                    ));
                    ok = false;
                    continue;
                }
                let end = line_starts.get(b).copied().unwrap_or(wtext.len());
                out.push((line_starts[a - 1], end));
            }
            _ => {
                diags.push(page.src.error(
                    fm_offset(page, "spans"),
                    "witness span: give either `from` and `to` (text markers) or `lines = [first, last]`",
                ));
                ok = false;
            }
        }
    }
    for p in out.windows(2) {
        if p[1].0 < p[0].1 {
            diags.push(page.src.error(
                fm_offset(page, "spans"),
                "witness spans overlap or are out of order",
            ));
            ok = false;
        }
    }
    ok.then_some(out)
}

/// Checks `[collation]` of `site.toml`.
pub fn check_settings(root: &Path, settings: &Settings, diags: &mut Diagnostics) {
    let rel = Path::new("site.toml");
    let text = std::fs::read_to_string(root.join(rel)).unwrap_or_default();
    let sm = SourceMap::new(rel, text);
    for n in &settings.normalize {
        if !NORMALISATIONS.iter().any(|(k, _)| k == n) {
            let at = sm.text().find(&format!("\"{n}\"")).unwrap_or(0);
            let known: Vec<&str> = NORMALISATIONS.iter().map(|(k, _)| *k).collect();
            diags.push(sm.error(
                at,
                format!(
                    "unknown normalisation `{n}` in [collation]: known ones are {}",
                    known.join(", ")
                ),
            ));
        }
    }
    for r in &settings.replace {
        if r.witness.trim().is_empty() || r.name.trim().is_empty() {
            let at = sm.text().find("[[collation.replace]]").unwrap_or(0);
            diags.push(sm.error(
                at,
                "a [[collation.replace]] rule needs a `name` and a non-empty `witness` reading",
            ));
        }
    }
}

fn safe_relative(p: &str) -> bool {
    let path = Path::new(p);
    !p.is_empty()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Collates every page whose front matter names a witness; diagnostics for
/// bad witness references and for every unrecorded change.
pub fn collate<'a>(
    root: &Path,
    settings: &Settings,
    pages: impl Iterator<Item = &'a Page>,
    diags: &mut Diagnostics,
) -> Vec<Report> {
    let mut reports = Vec::new();
    for page in pages {
        let Some(w) = &page.front.witness else {
            continue;
        };
        if !safe_relative(&w.file) {
            diags.push(page.src.error(
                fm_offset(page, &format!("{:?}", w.file)),
                format!(
                    "witness file {:?} must be a relative path inside the edition",
                    w.file
                ),
            ));
            continue;
        }
        let wtext = match std::fs::read_to_string(root.join(&w.file)) {
            Ok(t) => t,
            Err(e) => {
                diags.push(page.src.error(
                    fm_offset(page, &format!("{:?}", w.file)),
                    format!("cannot read witness file {}: {e}", w.file),
                ));
                continue;
            }
        };
        let Some(spans) = resolve_spans(page, w, &wtext, diags) else {
            continue;
        };
        reports.push(collate_one(page, w, &wtext, &spans, settings, diags));
    }
    reports
}

fn collate_one(
    page: &Page,
    wref: &WitnessRef,
    wtext: &str,
    spans: &[(usize, usize)],
    settings: &Settings,
    diags: &mut Diagnostics,
) -> Report {
    let on = |n: &str| settings.normalize.iter().any(|x| x == n);
    let quotes = on("quotes");
    let mut norms: BTreeMap<String, usize> = BTreeMap::new();

    // the witness
    let mut w: Vec<Tok> = Vec::new();
    for &(a, b) in spans {
        let chars: Chars = wtext[a..b]
            .char_indices()
            .map(|(i, c)| (c, a + i))
            .collect();
        let mut t = tokenize(&chars, 0);
        if let Some(first) = t.first_mut() {
            first.space = true;
        }
        w.extend(t);
    }
    // declared substitutions of the witness's conventions
    let mut wk: Vec<String> = w.iter().map(|t| key(&t.text, quotes)).collect();
    for r in &settings.replace {
        let pat: Vec<String> = tokenize(&r.witness.chars().map(|c| (c, 0)).collect::<Vec<_>>(), 0)
            .iter()
            .map(|t| key(&t.text, quotes))
            .collect();
        let rep: Vec<Tok> = tokenize(&r.edition.chars().map(|c| (c, 0)).collect::<Vec<_>>(), 0);
        if pat.is_empty() {
            continue;
        }
        let mut i = 0;
        while i + pat.len() <= wk.len() {
            if wk[i..i + pat.len()] == pat[..] {
                let (at, end, space) = (w[i].at, w[i + pat.len() - 1].end, w[i].space);
                let new: Vec<Tok> = rep
                    .iter()
                    .enumerate()
                    .map(|(k, t)| Tok {
                        at,
                        end,
                        space: if k == 0 { space } else { t.space },
                        ..t.clone()
                    })
                    .collect();
                let keys: Vec<String> = new.iter().map(|t| key(&t.text, quotes)).collect();
                let n = new.len();
                w.splice(i..i + pat.len(), new);
                wk.splice(i..i + pat.len(), keys);
                count(&mut norms, &r.name);
                i += n.max(1);
            } else {
                i += 1;
            }
        }
    }

    // the edition
    let scanned = scan(page);
    let mut e: Vec<Tok> = Vec::new();
    let mut flows: Vec<Vec<usize>> = Vec::new();
    for (f, chars) in scanned.flows.iter().enumerate() {
        let toks = tokenize(chars, f);
        let start = e.len();
        e.extend(toks);
        flows.push((start..e.len()).collect());
    }
    let ek: Vec<String> = e.iter().map(|t| key(&t.text, quotes)).collect();

    let mut al = Aligner {
        w: &w,
        wk,
        ek,
        ws: vec![WState::Free; w.len()],
        em: vec![None; e.len()],
    };
    // the running text, then the notes, then whatever moved
    if let Some(main) = flows.first() {
        al.pass(main, 1);
    }
    let notes: Vec<usize> = flows.iter().skip(1).flatten().copied().collect();
    al.pass(&notes, 1);
    let all: Vec<usize> = (0..e.len()).collect();
    al.pass(&all, 3);
    al.pass(&all, 3);

    // quotation marks: matched, different as written
    for (wi, st) in al.ws.iter().enumerate() {
        if let WState::Matched(ej) = st {
            if w[wi].text.nfc().collect::<String>() != e[*ej].text.nfc().collect::<String>() {
                count(&mut norms, "quotes");
            }
        }
    }

    // witness-only normalisations
    let labels: Vec<String> = scanned.labels.clone();
    let is_label = |t: &str| {
        let d = superscript_to_digit(t);
        labels.contains(&d) || (t == "*" && labels.iter().any(|l| l.chars().all(|c| c == '*')))
    };
    for i in 0..w.len() {
        if al.ws[i] != WState::Free {
            continue;
        }
        let t = &w[i].text;
        if on("emphasis-marks") && (t == "*" || t == "_") {
            let glued_next = w.get(i + 1).is_some_and(|n| {
                !n.space && class(n.text.chars().next().unwrap_or(' ')) == Some(Class::Letter)
            });
            let glued_prev = i > 0
                && !w[i].space
                && class(w[i - 1].text.chars().last().unwrap_or(' ')) == Some(Class::Letter);
            if glued_next || glued_prev {
                al.ws[i] = WState::Normalised("emphasis-marks".into());
                continue;
            }
        }
        // a number inside a range (`8-9`) is not a call
        let in_range = |k: usize| {
            let dash = |x: Option<&Tok>| x.is_some_and(|x| x.text == "-" || x.text == "–");
            (!w[k].space && k > 0 && dash(w.get(k - 1)))
                || w.get(k + 1).is_some_and(|n| !n.space && dash(Some(n)))
        };
        if on("note-calls") {
            if is_label(t) && !in_range(i) {
                al.ws[i] = WState::Normalised("note-calls".into());
                continue;
            }
            // ^{…} around labels
            if t == "^" && w.get(i + 1).is_some_and(|n| n.text == "{") {
                if let Some(close) = (i + 2..(i + 8).min(w.len())).find(|&k| w[k].text == "}") {
                    let inner_ok = (i + 2..close).all(|k| is_label(&w[k].text) || w[k].text == "&");
                    if inner_ok && close > i + 2 {
                        for k in i..=close {
                            if al.ws[k] == WState::Free {
                                al.ws[k] = WState::Normalised("note-calls".into());
                            }
                        }
                        continue;
                    }
                }
            }
            if (t == "{" || t == "}")
                && i > 0
                && matches!(&al.ws[i - 1], WState::Normalised(n) if n == "note-calls")
            {
                al.ws[i] = WState::Normalised("note-calls".into());
                continue;
            }
        }
    }
    if on("duplicate-lines") {
        // a run of at least four unread tokens that the witness has
        // elsewhere, read there
        let mut i = 0;
        while i < w.len() {
            if al.ws[i] != WState::Free {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < w.len() && al.ws[j] == WState::Free {
                j += 1;
            }
            let len = j - i;
            let elsewhere = len >= 4
                && (0..=w.len() - len).any(|s| {
                    (s + len <= i || s >= j)
                        && (0..len).all(|d| {
                            al.wk[s + d] == al.wk[i + d]
                                && matches!(al.ws[s + d], WState::Matched(_))
                        })
                });
            if elsewhere {
                for x in i..j {
                    al.ws[x] = WState::Normalised("duplicate-lines".into());
                }
                count(&mut norms, "duplicate-lines");
            }
            i = j;
        }
    }
    for st in &al.ws {
        if let WState::Normalised(n) = st {
            if n != "duplicate-lines" {
                count(&mut norms, n);
            }
        }
    }

    // spacing between matched neighbours
    let mut changes: Vec<(usize, String, String)> = Vec::new();
    for wi in 1..w.len() {
        if let (WState::Matched(a), WState::Matched(b)) = (&al.ws[wi - 1], &al.ws[wi]) {
            if *b == a + 1 && e[*a].flow == e[*b].flow && w[wi].space != e[*b].space {
                if on("spacing") {
                    count(&mut norms, "spacing");
                } else {
                    let ws = join(&[&w[wi - 1], &w[wi]]);
                    let es = join(&[&e[*a], &e[*b]]);
                    changes.push((e[*b].at, ws, es));
                }
            }
        }
    }

    // the edition's unmatched runs, paired with the witness's in the same gap
    let free_w = |ws: &[WState], lo: usize, hi: usize| -> Vec<usize> {
        (lo..hi).filter(|&i| ws[i] == WState::Free).collect()
    };
    let mut j = 0;
    while j < e.len() {
        if al.em[j].is_some() {
            j += 1;
            continue;
        }
        let flow = e[j].flow;
        let mut k = j;
        while k < e.len() && al.em[k].is_none() && e[k].flow == flow {
            k += 1;
        }
        let prev = (j > 0 && e[j - 1].flow == flow)
            .then(|| al.em[j - 1])
            .flatten();
        let next = (k < e.len() && e[k].flow == flow)
            .then(|| al.em[k])
            .flatten();
        let gap: Vec<usize> = match (prev, next) {
            (Some(p), Some(n)) if p < n => free_w(&al.ws, p + 1, n),
            (Some(p), _) => {
                let end = (p + 1..w.len())
                    .find(|&i| matches!(al.ws[i], WState::Matched(_)))
                    .unwrap_or(w.len());
                free_w(&al.ws, p + 1, end)
            }
            (None, Some(n)) => {
                let start = (0..n)
                    .rev()
                    .find(|&i| matches!(al.ws[i], WState::Matched(_)))
                    .map(|i| i + 1)
                    .unwrap_or(0);
                free_w(&al.ws, start, n)
            }
            _ => Vec::new(),
        };
        for &g in &gap {
            al.ws[g] = WState::Claimed;
        }
        let wt: Vec<&Tok> = gap.iter().map(|&g| &w[g]).collect();
        let et: Vec<&Tok> = (j..k).map(|x| &e[x]).collect();
        // a word cut at a witness line end
        let joined_w: String = wt
            .iter()
            .enumerate()
            .filter(|(n, t)| !(t.text == "-" && t.eol && *n + 1 < wt.len()))
            .map(|(_, t)| key(&t.text, quotes))
            .collect();
        let joined_e: String = et.iter().map(|t| key(&t.text, quotes)).collect();
        let same: bool = wt.len() == et.len()
            && wt
                .iter()
                .zip(&et)
                .all(|(a, b)| key(&a.text, quotes) == key(&b.text, quotes));
        if same {
            // the same words, left over by the alignment
        } else if on("hyphenation")
            && wt.iter().any(|t| t.text == "-" && t.eol)
            && joined_w == joined_e
        {
            count(&mut norms, "hyphenation");
        } else {
            changes.push((e[j].at, join(&wt), join(&et)));
        }
        j = k;
    }
    // what the witness has and the edition lacks
    let mut i = 0;
    while i < w.len() {
        if al.ws[i] != WState::Free {
            i += 1;
            continue;
        }
        let mut k = i;
        while k < w.len() && matches!(al.ws[k], WState::Free | WState::Normalised(_)) {
            k += 1;
        }
        let run: Vec<&Tok> = (i..k)
            .filter(|&x| al.ws[x] == WState::Free)
            .map(|x| &w[x])
            .collect();
        let before = (0..i).rev().find_map(|x| match al.ws[x] {
            WState::Matched(ej) => Some(e[ej].end),
            _ => None,
        });
        let after = (k..w.len()).find_map(|x| match al.ws[x] {
            WState::Matched(ej) => Some(e[ej].at),
            _ => None,
        });
        let at = before.or(after).unwrap_or(page.body_start);
        changes.push((at, join(&run), String::new()));
        i = k;
    }

    changes.sort();
    let severity = match settings.unrecorded {
        Level::Warning => Severity::Warning,
        Level::Error => Severity::Error,
    };
    for (at, ws, es) in &changes {
        diags.push(page.src.diag(
            severity,
            *at,
            format!("unrecorded change: witness \"{ws}\" → edition \"{es}\""),
        ));
    }
    Report {
        rel: page.rel.clone(),
        url: page.url.clone(),
        title: page.front.title.clone(),
        witness: wref.file.clone(),
        emendations: scanned.emendations,
        normalisations: norms,
        unrecorded: changes.len(),
        witness_tokens: w.len(),
        edition_tokens: e.len(),
    }
}

/// The interface strings of the collation page, by interface language.
/// A built-in normalisation's name for readers, in the page's language
/// (the edition's own replacements keep the name site.toml gives them).
fn normalisation_label(lang: &str, key: &str) -> Option<&'static str> {
    let i = NORMALISATIONS.iter().position(|(k, _)| *k == key)?;
    let labels: [&str; 6] = match lang {
        "fr" => [
            "guillemets et apostrophes",
            "espaces",
            "coupures de fin de ligne",
            "appels de note",
            "marques d'italique",
            "lignes répétées",
        ],
        "es" => [
            "comillas y apóstrofos",
            "espacios",
            "cortes de fin de línea",
            "llamadas de nota",
            "marcas de cursiva",
            "líneas repetidas",
        ],
        _ => [
            "quotation marks and apostrophes",
            "spacing",
            "line-end hyphenation",
            "note calls",
            "emphasis marks",
            "repeated lines",
        ],
    };
    labels.get(i).copied()
}

fn words(lang: &str) -> [&'static str; 12] {
    match lang {
        "fr" => [
            "Collation avec le témoin",
            "Chaque texte est comparé mot à mot, par le logiciel, avec le témoin qu'il transcrit, les leçons de la source de toutes les émendations étant rétablies. Les différences que l'édition déclare comme normalisations silencieuses sont comptées ; toute autre différence est une modification non consignée.",
            "Texte",
            "Témoin",
            "Émendations consignées",
            "Normalisations appliquées",
            "Modifications non consignées",
            "substitution",
            "suppression",
            "ajout",
            "mots et signes comparés (témoin / édition)",
            "aucune",
        ],
        "es" => [
            "Cotejo con el testimonio",
            "Cada texto se compara palabra por palabra, por el programa, con el testimonio que transcribe, restituidas las lecturas de la fuente de todas las enmiendas. Las diferencias que la edición declara como normalizaciones silenciosas se cuentan; cualquier otra diferencia es un cambio no consignado.",
            "Texto",
            "Testimonio",
            "Enmiendas consignadas",
            "Normalizaciones aplicadas",
            "Cambios no consignados",
            "sustitución",
            "supresión",
            "adición",
            "palabras y signos cotejados (testimonio / edición)",
            "ninguna",
        ],
        _ => [
            "Collation with the witness",
            "Each text is compared word by word, by the software, with the witness it transcribes, every emendation's source reading restored. The differences the edition declares as silent normalisations are counted; any other difference is an unrecorded change.",
            "Text",
            "Witness",
            "Recorded emendations",
            "Normalisations applied",
            "Unrecorded changes",
            "substitution",
            "deletion",
            "addition",
            "words and signs compared (witness / edition)",
            "none",
        ],
    }
}

/// The collation page's title and body (HTML, rendered by the template
/// `collation.html` into `collation/index.html`): for each collated text,
/// its recorded emendations by kind, the normalisations applied by name, and
/// the unrecorded changes. `None` when no text names a witness.
pub fn page(reports: &[Report], lang: &str) -> Option<(String, String)> {
    use crate::markup::escape_html as esc;
    if reports.is_empty() {
        return None;
    }
    let w = words(lang);
    let list = |m: &BTreeMap<String, usize>, names: &dyn Fn(&str) -> String| {
        if m.is_empty() {
            return w[11].to_string();
        }
        m.iter()
            .map(|(k, n)| format!("{} {n}", esc(&names(k))))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let kind = |k: &str| {
        match k {
            "substitution" => w[7],
            "deletion" => w[8],
            "addition" => w[9],
            other => other,
        }
        .to_string()
    };
    let mut h = format!("<p>{}</p>\n", esc(w[1]));
    for r in reports {
        let emended: usize = r.emendations.values().sum();
        h.push_str(&format!(
            "<section class=\"collation\">\n<h2><a href=\"{}\">{}</a></h2>\n<dl>\n\
             <dt>{}</dt><dd><code>{}</code> ({}{} {} / {})</dd>\n\
             <dt>{}</dt><dd>{} ({})</dd>\n<dt>{}</dt><dd>{}</dd>\n<dt>{}</dt><dd>{}</dd>\n</dl>\n</section>\n",
            esc(&crate::content::encode_url_path(&r.url)),
            esc(&r.title),
            esc(w[3]),
            esc(&r.witness),
            esc(w[10]),
            if lang == "fr" { "\u{a0}:" } else { ":" },
            r.witness_tokens,
            r.edition_tokens,
            esc(w[4]),
            emended,
            list(&r.emendations, &kind),
            esc(w[5]),
            list(&r.normalisations, &|k: &str| normalisation_label(lang, k)
                .unwrap_or(k)
                .to_string()),
            esc(w[6]),
            r.unrecorded
        ));
    }
    Some((w[0].to_string(), h))
}

/// What a build adds: the collation of every text that names a witness (its
/// diagnostics with the others), and the collation page's title and body.
pub fn site_page<'a>(
    root: &Path,
    config: &crate::config::Config,
    pages: impl Iterator<Item = &'a Page>,
    diags: &mut Diagnostics,
) -> Option<(String, String)> {
    let reports = collate(root, &config.collation, pages, diags);
    page(&reports, config.ui_lang())
}

#[cfg(test)]
mod label_tests {
    use super::*;

    #[test]
    fn every_normalisation_has_a_label_in_every_interface_language() {
        for lang in ["fr", "es", "en"] {
            for (k, _) in NORMALISATIONS {
                assert!(normalisation_label(lang, k).is_some(), "{lang} {k}");
            }
        }
        assert_eq!(normalisation_label("fr", "encoded-quotes"), None);
    }
}
