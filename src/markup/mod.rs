//! parse: one page's Markdown → a [`Document`]: its body HTML and the
//! edition's apparatus found in it (notes and their calls, person mentions,
//! emendations, parallel blocks, headings, numbered paragraphs).
//!
//! Extensions are recognised on pulldown-cmark's event stream:
//! - notes: standard footnotes `[^12]`, `[^*]`; `[^ed-a]` is an editorial note;
//! - mentions: links `[form](person:id)`;
//! - languages: links `[texte](lang:es "glose")`;
//! - emendations: CriticMarkup in text runs (`emend.rs`);
//! - parallel blocks: marker paragraphs `::: parallel`, `:: es translation`, `:::` (`parallel.rs`);
//! - examples: fenced blocks with info string `example` (source next to result).

pub mod emend;
pub(crate) mod flow;
mod parallel;

use crate::content::Kind;
use crate::diagnostics::{Diagnostics, SourceMap};
use crate::i18n::{t, Ui};
use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

/// Which series a note belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, minicbor::Encode, minicbor::Decode)]
#[serde(rename_all = "lowercase")]
pub enum Series {
    #[n(0)]
    Author,
    #[n(1)]
    Editorial,
}

#[derive(Debug, Clone, Serialize, minicbor::Encode, minicbor::Decode)]
pub struct Note {
    /// The label as written (`12`, `*`, `ed-a`).
    #[n(0)]
    pub label: String,
    /// The label as printed (`12`, `*`, `a`).
    #[n(1)]
    pub display: String,
    /// Anchor of the note (`n-12`, `n-star`, `ed-a`).
    #[n(2)]
    pub id: String,
    #[n(3)]
    pub series: Series,
    /// Number of calls.
    #[n(4)]
    pub calls: usize,
    /// Byte offset of the definition in the page source.
    #[serde(skip)]
    #[n(5)]
    pub offset: usize,
    /// Paragraph where it is first called.
    #[n(6)]
    pub para: Option<u32>,
}

#[derive(Debug, Clone, Serialize, minicbor::Encode, minicbor::Decode)]
pub struct Mention {
    /// The entry's id (a person's, or another register's entry).
    #[n(0)]
    pub person: String,
    /// [`crate::hash::id_key`] of `person`.
    #[serde(skip)]
    #[n(1)]
    pub key: u64,
    /// The register of a mention of a declared register (`org`); empty for a person.
    #[serde(skip_serializing_if = "String::is_empty")]
    #[n(2)]
    pub register: String,
    /// The printed form (link text).
    #[n(3)]
    pub form: String,
    /// Anchor of the mention on its page.
    #[n(4)]
    pub anchor: String,
    #[n(5)]
    pub para: Option<u32>,
    /// The printed label of the note it sits in.
    #[n(6)]
    pub note: Option<String>,
    #[serde(skip)]
    #[n(7)]
    pub offset: usize,
}

#[derive(Debug, Clone, Serialize, minicbor::Encode, minicbor::Decode)]
pub struct Emendation {
    #[n(0)]
    pub id: String,
    /// Source reading (empty for an addition).
    #[n(1)]
    pub source: String,
    /// Edition's reading (empty for a deletion).
    #[n(2)]
    pub reading: String,
    #[n(3)]
    pub para: Option<u32>,
    #[n(4)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, minicbor::Encode, minicbor::Decode)]
pub struct Heading {
    #[n(0)]
    pub level: u8,
    #[n(1)]
    pub text: String,
    #[n(2)]
    pub id: String,
}

/// A parallel block's shape, for checks and tests.
#[derive(Debug, Clone, Serialize, minicbor::Encode, minicbor::Decode)]
pub struct ParallelInfo {
    #[n(0)]
    pub para: Option<u32>,
    #[n(1)]
    pub langs: (String, String),
    #[n(2)]
    pub segments: usize,
}

/// A parsed page.
#[derive(Debug, Clone, Default, Serialize, minicbor::Encode, minicbor::Decode)]
pub struct Document {
    #[cbor(skip)]
    pub html: String,
    #[n(0)]
    pub notes: Vec<Note>,
    #[n(1)]
    pub mentions: Vec<Mention>,
    /// Mentions of the registers declared beside the person register.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[n(2)]
    pub register_mentions: Vec<Mention>,
    #[n(3)]
    pub emendations: Vec<Emendation>,
    #[n(4)]
    pub headings: Vec<Heading>,
    #[n(5)]
    pub parallels: Vec<ParallelInfo>,
    /// Number of numbered paragraphs.
    #[n(6)]
    pub paragraphs: u32,
    /// Foreign-language spans.
    #[n(7)]
    pub foreign_spans: usize,
    /// Links written in the page (Markdown links and images), for the link check.
    #[serde(skip)]
    #[n(8)]
    pub links: Vec<LinkRef>,
    /// Ids generated besides those of headings, paragraphs, notes, mentions
    /// and emendations (parallel segments).
    #[serde(skip)]
    #[n(9)]
    pub extra_ids: Vec<String>,
    /// The call of the note called from the title (`title_note`), as HTML
    /// for the templates to put in the title heading; empty when there is none.
    #[n(10)]
    pub title_call: String,
    /// The body HTML packed as it was emitted, `html` then empty (see
    /// [`parse_with`]).
    #[serde(skip)]
    #[cbor(skip)]
    pub packed: Option<crate::pack::Packed>,
}

/// A link written in a page: its target and where it is.
#[derive(Debug, Clone, minicbor::Encode, minicbor::Decode)]
pub struct LinkRef {
    /// The target as written (`../x/#p-2`, `@/x.md`, `/data.json`).
    #[n(0)]
    pub written: String,
    /// The target as the page links to it (`@/x.md` → `/x/`).
    #[n(1)]
    pub url: String,
    /// Byte offset of the link in the page source.
    #[n(2)]
    pub offset: usize,
}

impl Document {
    /// Every id the page's body generates (headings, `p-N`, notes and their
    /// calls, mentions, emendations, parallel segments).
    pub fn ids(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        v.extend(self.headings.iter().map(|h| h.id.clone()));
        v.extend((1..=self.paragraphs).map(|n| format!("p-{n}")));
        for n in &self.notes {
            v.push(n.id.clone());
            v.extend((1..=n.calls.max(1)).map(|k| call_anchor(&n.id, k)));
        }
        v.extend(self.mentions.iter().map(|m| m.anchor.clone()));
        v.extend(self.emendations.iter().map(|e| e.id.clone()));
        v.extend(self.extra_ids.iter().cloned());
        v
    }

    /// A hash of [`Document::ids`] (made of the same parts, without
    /// making the list): the link check keeps its verdicts while no page's
    /// ids change. Keep the two together.
    pub fn ids_hash(&self) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut h = crate::hash::FINGERPRINTS.build_hasher();
        for x in &self.headings {
            x.id.hash(&mut h);
        }
        self.paragraphs.hash(&mut h);
        for n in &self.notes {
            (&n.id, n.calls.max(1)).hash(&mut h);
        }
        for m in &self.mentions {
            m.anchor.hash(&mut h);
        }
        for e in &self.emendations {
            e.id.hash(&mut h);
        }
        self.extra_ids.hash(&mut h);
        h.finish()
    }
}

/// The attribute names by which parse hands numbered paragraphs and heading
/// anchors to the rewriter (`rewrite.rs`), which replaces them with `id`s and
/// self-links. Their middle part is drawn at random once per process, so that
/// raw HTML written by an editor (`<p data-para="7">`) cannot forge one and is
/// left as written; the rewriter removes them, so the output does not depend
/// on the draw.
#[derive(Debug)]
pub struct Markers {
    /// On a numbered block: its number.
    pub para: String,
    /// On a heading: its id.
    pub anchor: String,
}

pub fn markers() -> &'static Markers {
    use std::hash::BuildHasher;
    static MARKERS: std::sync::OnceLock<Markers> = std::sync::OnceLock::new();
    MARKERS.get_or_init(|| {
        // std's hasher keys are random per process: no dependency needed
        let n = std::collections::hash_map::RandomState::new().hash_one(0x61707061u32);
        Markers {
            para: format!("data-apparat-{n:016x}-para"),
            anchor: format!("data-apparat-{n:016x}-anchor"),
        }
    })
}

/// What parsing needs to know about the page and the site.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    pub kind: Kind,
    /// Site-absolute URL of the person index (`/personnes/`).
    pub persons_url: String,
    /// The declared registers: mention scheme and index URL (`org`, `/organisations/`).
    pub registers: Vec<(String, String)>,
    pub translation_credit: String,
    /// Interface strings.
    pub ui: Ui,
    /// Prefix for every id (used for examples nested in a page).
    pub prefix: String,
    /// Language of the page's text (BCP 47).
    pub lang: String,
    /// The label of the note called from the page's title (front matter
    /// `title_note`).
    pub title_note: Option<String>,
}

pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

pub use crate::text::{escape_html, replace_nul};

/// Whether a link of a register text is printed: a site path or fragment,
/// or an `http`, `https` or `mailto` URL. Anything else (a mention scheme
/// such as `org:`, which register texts do not resolve, `javascript:`…) is
/// refused: its text is shown without the link, and `check` reports it.
fn register_link_allowed(url: &str) -> bool {
    let Some(colon) = url.find(':') else {
        return true;
    };
    if url[..colon].contains(['/', '?', '#']) {
        return true;
    }
    matches!(
        url[..colon].to_ascii_lowercase().as_str(),
        "http" | "https" | "mailto"
    )
}

/// The links of a register entry's descriptions and remarks that
/// [`inline_html`] refuses.
pub fn refused_entry_links(p: &crate::content::Person) -> Vec<String> {
    p.description
        .0
        .iter()
        .chain(p.remark.iter().flat_map(|r| r.0.iter()))
        .flat_map(|(_, text)| refused_register_links(text))
        .collect()
}

/// The link targets of register text `md` that [`inline_html`] refuses.
pub fn refused_register_links(md: &str) -> Vec<String> {
    Parser::new(md)
        .filter_map(|ev| match ev {
            Event::Start(Tag::Link { dest_url, .. }) if !register_link_allowed(&dest_url) => {
                Some(dest_url.to_string())
            }
            _ => None,
        })
        .collect()
}

/// A short Markdown text (a register description) in language `lang` as
/// inline HTML, with smart punctuation (quotation marks of `lang`, see
/// [`smart_quote`]), without the enclosing paragraph.
pub fn inline_html(md: &str, lang: &str) -> String {
    let mut html = String::new();
    // (a refused link keeps its text: see refused_register_links)
    let mut links: Vec<bool> = Vec::new();
    let events = Parser::new_ext(md, Options::ENABLE_SMART_PUNCTUATION)
        .into_offset_iter()
        .filter_map(move |(ev, range)| {
            let refused = match &ev {
                Event::Start(Tag::Link { dest_url, .. }) => {
                    let refused = !register_link_allowed(dest_url);
                    links.push(refused);
                    refused
                }
                Event::End(TagEnd::Link) => links.pop().unwrap_or(false),
                _ => false,
            };
            if refused {
                return None;
            }
            let quote = match &ev {
                Event::Text(t) if md.get(range) == Some("\"") => smart_quote(t, lang),
                _ => None,
            };
            Some(match (quote, ev) {
                (Some(q), _) => Event::Text(q.into()),
                // raw HTML in a register text is shown as written, never run
                (None, Event::Html(t) | Event::InlineHtml(t)) => Event::Text(t),
                (None, ev) => ev,
            })
        });
    pulldown_cmark::html::push_html(&mut html, events);
    let trimmed = html.trim_end();
    match trimmed
        .strip_prefix("<p>")
        .and_then(|t| t.strip_suffix("</p>"))
    {
        Some(inner) if !inner.contains("<p>") => inner.to_string(),
        _ => trimmed.to_string(),
    }
}

/// `Dürer & Co` → `durer-co`: ASCII, lowercase, hyphens.
pub fn slugify(s: &str) -> String {
    slug(s, false)
}

/// The id of a heading's text, as Zola and Hugo make them: lowercase, words
/// joined by hyphens; Latin letters lose their diacritics (`Dürer` →
/// `durer`), letters of other scripts are kept (`Глава первая` → `глава-первая`,
/// `Ἀρχή` → `ἀρχή`).
pub fn heading_slug(s: &str) -> String {
    slug(s, true)
}

/// Lowercase words joined by hyphens; a letter whose canonical decomposition
/// starts with an ASCII letter or digit becomes it; other letters and digits
/// are kept if `other_scripts`, else they separate words like punctuation.
fn slug(s: &str, other_scripts: bool) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::new();
    let mut dash = false;
    for c in s.nfc() {
        // a Latin letter with diacritics becomes its ASCII base letter
        let base = std::iter::once(c)
            .nfd()
            .next()
            .filter(|b| b.is_ascii_alphanumeric());
        if let Some(b) = base {
            out.push(b.to_ascii_lowercase());
            dash = false;
        } else if other_scripts && c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            dash = false;
        } else if unicode_normalization::char::is_combining_mark(c) {
            continue;
        } else if !dash && !out.is_empty() {
            out.push('-');
            dash = true;
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Series, printed label and anchor of a note label.
pub fn note_identity(label: &str) -> (Series, String, String) {
    if let Some(rest) = label.strip_prefix("ed-") {
        (
            Series::Editorial,
            rest.to_string(),
            format!("ed-{}", slug_label(rest)),
        )
    } else {
        (
            Series::Author,
            label.to_string(),
            format!("n-{}", slug_label(label)),
        )
    }
}

fn slug_label(label: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            cur.push(c.to_ascii_lowercase());
        } else {
            if !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
            if c == '*' {
                parts.push("star".into());
            } else if c == '†' {
                parts.push("dagger".into());
            }
        }
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    if parts.is_empty() {
        "x".into()
    } else {
        parts.join("-")
    }
}

pub(crate) type Ev<'a> = (Event<'a>, Range<usize>);

/// Parses a page body. `base` is the body's byte offset in `src`, so that
/// diagnostics point into the file.
pub fn parse(
    body: &str,
    base: usize,
    src: &SourceMap,
    opts: &ParseOptions,
    diags: &mut Diagnostics,
) -> Document {
    parse_with(body, base, src, opts, false, diags)
}

/// [`parse`]; with `pack`, the body HTML is packed as it is emitted
/// ([`Document::packed`], `html` left empty), never held whole.
pub fn parse_with(
    body: &str,
    base: usize,
    src: &SourceMap,
    opts: &ParseOptions,
    pack: bool,
    diags: &mut Diagnostics,
) -> Document {
    // the events are taken from the parser as they come (no list of them
    // all): notes out of the flow, then the body block by block (`flow.rs`)
    let mut p = Emitter::new(body, base, src, opts);
    p.run(pack);
    diags.extend(std::mem::take(&mut p.diags));
    p.doc
}

enum LinkKind {
    Plain,
    /// A mention (of a person or of a declared register's entry), with the
    /// gloss its link title gives, if any.
    Person {
        gloss: Option<String>,
    },
    Lang {
        gloss: Option<String>,
    },
}

struct NoteDef<'a> {
    events: Vec<Ev<'a>>,
    offset: usize,
}

struct Emitter<'a, 's> {
    body: &'a str,
    base: usize,
    src: &'s SourceMap,
    opts: &'s ParseOptions,
    diags: Diagnostics,
    doc: Document,
    defs: BTreeMap<String, NoteDef<'a>>,
    /// order of definition labels
    def_order: Vec<String>,
    /// calls seen so far, per label
    calls_seen: HashMap<String, usize>,
    /// total calls per label
    calls_total: HashMap<String, usize>,
    /// notes first called in the current top-level block, in order
    pending: Vec<String>,
    /// notes already emitted
    emitted: HashSet<String>,
    links: Vec<LinkKind>,
    mention_counts: HashMap<String, usize>,
    para: Option<u32>,
    /// The last numbered paragraph, which a continuation continues (none
    /// after a heading).
    last_para: Option<u32>,
    /// Parts of the last numbered paragraph so far (1 + its continuations).
    para_parts: u32,
    /// Where a `::: continue` marker (or `::: parallel continue`) waits for
    /// the block it applies to.
    cont_next: Option<usize>,
    in_note: Option<String>,
    heading: Option<HeadingStart>,
    anchors: HashMap<String, usize>,
    examples: usize,
    heading_buf: Option<String>,
    /// Languages of the open foreign spans and parallel columns.
    lang_stack: Vec<String>,
    /// Open images: the slot before each (for the anchors of emendations in
    /// its alt text) and the number of emendations when it opened.
    images: Vec<(usize, usize)>,
}

/// An open heading: explicit id, classes and attributes, and the
/// slot of its opening tag in the output.
struct HeadingStart {
    given: String,
    classes: Vec<String>,
    attrs: Vec<(String, Option<String>)>,
    slot: usize,
}

impl<'a, 's> Emitter<'a, 's> {
    fn new(body: &'a str, base: usize, src: &'s SourceMap, opts: &'s ParseOptions) -> Self {
        Emitter {
            body,
            base,
            src,
            opts,
            diags: Diagnostics::default(),
            doc: Document::default(),
            defs: BTreeMap::new(),
            def_order: Vec::new(),
            calls_seen: HashMap::new(),
            calls_total: HashMap::new(),
            pending: Vec::new(),
            emitted: HashSet::new(),
            links: Vec::new(),
            mention_counts: HashMap::new(),
            para: None,
            last_para: None,
            para_parts: 0,
            cont_next: None,
            in_note: None,
            heading: None,
            anchors: HashMap::new(),
            examples: 0,
            heading_buf: None,
            lang_stack: Vec::new(),
            images: Vec::new(),
        }
    }

    fn error(&mut self, offset: usize, msg: impl Into<String>) {
        let d = self.src.error(self.base + offset, msg);
        self.diags.push(d);
    }

    fn id(&self, s: &str) -> String {
        format!("{}{}", self.opts.prefix, s)
    }

    fn run(&mut self, pack: bool) {
        // 1. take the note definitions out of the flow, count the calls
        let mut defs: Vec<(String, usize, Vec<Ev<'a>>)> = Vec::new();
        let mut calls: Vec<(CowStr<'a>, usize)> = Vec::new();
        let mut blocks = flow::first_pass(
            self.body,
            |label, offset, events| defs.push((label, offset, events)),
            |ev, range| {
                if let Event::FootnoteReference(label) = ev {
                    calls.push((label.clone(), range.start));
                }
            },
        );
        for (label, offset, events) in defs {
            if self.defs.contains_key(&label) {
                self.error(
                    offset,
                    format!("duplicate note label `[^{label}]`: this note is defined twice"),
                );
                continue;
            }
            self.def_order.push(label.clone());
            self.defs.insert(label, NoteDef { events, offset });
        }
        // 2. count calls
        for (label, at) in calls {
            *self.calls_total.entry(label.to_string()).or_default() += 1;
            if !self.defs.contains_key(label.as_ref()) {
                self.error(at, no_note_text(&label));
            }
        }
        // the call from the title (`title_note`) is the note's first
        if let Some(label) = &self.opts.title_note {
            if self.defs.contains_key(label) {
                *self.calls_total.entry(label.clone()).or_default() += 1;
            }
        }
        for label in self.def_order.clone() {
            let has_call_inside = self.defs[&label]
                .events
                .iter()
                .find(|(e, _)| matches!(e, Event::FootnoteReference(_)))
                .map(|(_, r)| r.start);
            if let Some(at) = has_call_inside {
                self.error(
                    at,
                    format!("a note cannot call another note (inside note `[^{label}]`)"),
                );
            }
            if !self.calls_total.contains_key(&label) {
                let at = self.defs[&label].offset;
                self.error(at, format!("note `[^{label}]` is never called"));
            }
        }
        // 3. emit the top-level blocks, after the note called from the title
        let mut out: Vec<Event<'a>> = Vec::new();
        let mut html = Html::new(self.body.len(), pack);
        self.title_note(&mut out);
        while let Some(end) = blocks.next_end() {
            let block = &blocks.buffered()[..end];
            match marker_of(self.body, block) {
                Some(Marker::Continue) => {
                    let at = block[0].1.start;
                    if self.cont_next.replace(at).is_some() {
                        self.error(at, "two `::: continue` markers in a row: one is enough");
                    }
                    blocks.consume(end);
                    continue;
                }
                Some(m @ (Marker::Open | Marker::OpenContinued)) => {
                    if m == Marker::OpenContinued {
                        self.cont_next.get_or_insert(block[0].1.start);
                    }
                    blocks.read_parallel(self.body);
                    let consumed = self.parallel(blocks.buffered(), &mut out);
                    blocks.consume(consumed);
                    self.flush_notes(&mut out);
                    html.write(&mut out, false);
                    continue;
                }
                Some(Marker::Column(_)) | Some(Marker::Close) => {
                    let at = block[0].1.start;
                    self.error(at, "parallel-block marker outside a `::: parallel` block");
                }
                Some(Marker::Malformed) => {
                    let at = block[0].1.start;
                    self.error(at, "malformed parallel-block marker: markers stand alone on their line, with blank lines around them (`::: parallel`, `::: parallel continue`, `:: LANG original|translation`, `:::`, `::: continue`)");
                }
                None => {}
            }
            self.top_block(block, &mut out);
            html.write(&mut out, false);
            blocks.consume(end);
        }
        if let Some(at) = self.cont_next.take() {
            self.error(
                at,
                "`::: continue` ends the text: no block follows it to continue the paragraph",
            );
        }
        html.write(&mut out, true);
        (self.doc.html, self.doc.packed) = html.finish();
        // notes in definition order, for the table of contents
        let mut notes = Vec::new();
        for label in &self.def_order {
            let (series, display, id) = note_identity(label);
            let offset = self.base + self.defs[label].offset;
            notes.push(Note {
                label: label.clone(),
                display,
                id: self.id(&id),
                series,
                calls: self.calls_total.get(label).copied().unwrap_or(0),
                offset,
                para: None,
            });
        }
        // the paragraph of each note, as placed (the first placement of a label)
        let mut placed: HashMap<&str, Option<u32>> = HashMap::with_capacity(self.doc.notes.len());
        for m in &self.doc.notes {
            placed.entry(m.label.as_str()).or_insert(m.para);
        }
        for n in &mut notes {
            n.para = placed.get(n.label.as_str()).copied().flatten();
        }
        self.doc.notes = notes;
    }

    /// The note called from the title (`title_note` in front matter): its
    /// call is the first call of the note (`call-…-1`), rendered by the
    /// templates in the title heading from `page.title_note`; the note itself
    /// opens the body, before § 1, and its backlink leads to the title.
    fn title_note(&mut self, out: &mut Vec<Event<'a>>) {
        let Some(label) = self.opts.title_note.clone() else {
            return;
        };
        if !self.defs.contains_key(&label) {
            let at = self.src.text().find("title_note").unwrap_or(0);
            let d = self.src.error(
                at,
                format!(
                    "`title_note`: this page defines no note `[^{label}]` for its title to call"
                ),
            );
            self.diags.push(d);
            return;
        }
        *self.calls_seen.entry(label.clone()).or_default() += 1;
        let (series, display, raw_id) = note_identity(&label);
        let id = self.id(&raw_id);
        let (class, kind) = match series {
            Series::Author => ("noteref", t(&self.opts.ui, "note")),
            Series::Editorial => (
                "noteref noteref-editorial",
                t(&self.opts.ui, "editorial_note"),
            ),
        };
        self.doc.title_call = format!(
            "<sup class=\"call\"><a class=\"{class}\" id=\"{}\" href=\"#{id}\" role=\"doc-noteref\" aria-label=\"{} {}\">{}</a></sup>",
            call_anchor(&id, 1),
            escape_html(&kind),
            escape_html(&display),
            escape_html(&display)
        );
        self.para = None;
        self.pending.push(label);
        self.flush_notes(out);
    }

    /// Whether top-level blocks are numbered here (a text, not an example).
    fn numbering(&self) -> bool {
        self.opts.kind == Kind::Text && self.opts.prefix.is_empty()
    }

    /// Numbers a new § and returns its number.
    fn new_para(&mut self) -> u32 {
        self.doc.paragraphs += 1;
        self.last_para = Some(self.doc.paragraphs);
        self.para_parts = 1;
        self.doc.paragraphs
    }

    /// The § that the block at hand continues, when a `::: continue` marker
    /// (or `::: parallel continue`) precedes it, and the id of this part
    /// (`p-N-2`, `p-N-3`…: not a § anchor, but a target for search results).
    /// Where paragraphs are not numbered the marker has no effect.
    fn continuation(&mut self, marker: Option<usize>) -> Option<(u32, String)> {
        let at = marker?;
        if !self.numbering() {
            return None;
        }
        let Some(n) = self.last_para else {
            self.error(at, "`::: continue`: no numbered paragraph precedes it in this section, so there is nothing to continue");
            return None;
        };
        self.para_parts += 1;
        let id = self.id(&format!("p-{n}-{}", self.para_parts));
        self.doc.extra_ids.push(id.clone());
        Some((n, id))
    }

    /// A top-level block: numbered when the page is a text, then its notes.
    fn top_block(&mut self, block: &[Ev<'a>], out: &mut Vec<Event<'a>>) {
        let numberable = matches!(
            block[0].0,
            Event::Start(Tag::Paragraph)
                | Event::Start(Tag::BlockQuote(_))
                | Event::Start(Tag::List(_))
                | Event::Start(Tag::Table(_))
        );
        let marker = self.cont_next.take();
        if let (Some(at), false) = (marker, numberable) {
            self.error(at, "`::: continue` must be followed by a paragraph, a block quotation, a list, a table or a parallel block");
        }
        if matches!(block[0].0, Event::Start(Tag::Heading { .. })) {
            self.last_para = None;
        }
        let numbered = self.numbering() && numberable;
        let cont = if numbered {
            self.continuation(marker)
        } else {
            None
        };
        if let Some((n, id)) = cont {
            self.para = Some(n);
            if matches!(block[0].0, Event::Start(Tag::Paragraph)) {
                out.push(Event::Html(
                    format!("<p class=\"cont\" id=\"{id}\">").into(),
                ));
                self.inline(&block[1..block.len() - 1], out);
                out.push(Event::Html("</p>\n".into()));
            } else {
                out.push(Event::Html(
                    format!("<div class=\"block cont\" id=\"{id}\">\n").into(),
                ));
                self.inline(block, out);
                out.push(Event::Html("</div>\n".into()));
            }
        } else if numbered {
            let n = self.new_para();
            self.para = Some(n);
            if matches!(block[0].0, Event::Start(Tag::Paragraph)) {
                let attr = &markers().para;
                out.push(Event::Html(format!("<p {attr}=\"{n}\">").into()));
                self.inline(&block[1..block.len() - 1], out);
                out.push(Event::Html("</p>\n".into()));
            } else {
                let attr = &markers().para;
                out.push(Event::Html(
                    format!("<div class=\"block\" {attr}=\"{n}\">\n").into(),
                ));
                self.inline(block, out);
                out.push(Event::Html("</div>\n".into()));
            }
        } else {
            self.para = None;
            self.inline(block, out);
        }
        self.flush_notes(out);
    }

    /// Emits the notes first called in the block just closed.
    fn flush_notes(&mut self, out: &mut Vec<Event<'a>>) {
        let pending = std::mem::take(&mut self.pending);
        for label in pending {
            if self.emitted.contains(&label) || !self.defs.contains_key(&label) {
                continue;
            }
            self.emitted.insert(label.clone());
            let html = self.note_html(&label);
            out.push(Event::Html(html.into()));
        }
    }

    fn note_html(&mut self, label: &str) -> String {
        let (series, display, raw_id) = note_identity(label);
        let id = self.id(&raw_id);
        let events = match self.defs.get_mut(label) {
            Some(d) => std::mem::take(&mut d.events),
            None => Vec::new(),
        };
        let saved_para = self.para;
        let saved_note = self.in_note.replace(display.clone());
        let mut inner: Vec<Event<'a>> = Vec::new();
        self.inline(&events, &mut inner);
        self.in_note = saved_note;
        self.para = saved_para;
        let mut body = String::new();
        pulldown_cmark::html::push_html(&mut body, inner.into_iter());
        let calls = self.calls_total.get(label).copied().unwrap_or(0);
        let ui = &self.opts.ui;
        let (class, kind_label) = match series {
            Series::Author => ("note note-author", t(ui, "note")),
            Series::Editorial => ("note note-editorial", t(ui, "editorial_note")),
        };
        let mut back = String::new();
        for k in 1..=calls {
            let call_id = call_anchor(&id, k);
            let aria = if calls == 1 {
                t(ui, "backlink").replace("{label}", &display)
            } else {
                t(ui, "backlink_n")
                    .replace("{n}", &k.to_string())
                    .replace("{label}", &display)
            };
            let text = if calls == 1 {
                "↩".to_string()
            } else {
                format!("↩ {k}")
            };
            back.push_str(&format!(
                " <a class=\"backlink\" href=\"#{call_id}\" role=\"doc-backlink\" aria-label=\"{}\">{text}</a>",
                escape_html(&aria)
            ));
        }
        self.doc.notes.push(Note {
            label: label.to_string(),
            display: display.clone(),
            id: id.clone(),
            series,
            calls,
            offset: 0,
            para: self.para,
        });
        format!(
            "<div class=\"{class}\" id=\"{id}\" role=\"doc-footnote\" aria-label=\"{kl} {d}\">\n<div class=\"note-num\">{d}</div>\n<div class=\"note-body\">\n{body}</div>\n<div class=\"backlinks\">{back}</div>\n</div>\n",
            kl = escape_html(&kind_label),
            d = escape_html(&display),
        )
    }

    /// Any run of events below the top level.
    fn inline(&mut self, events: &[Ev<'a>], out: &mut Vec<Event<'a>>) {
        let mut i = 0;
        while i < events.len() {
            let (ev, range) = &events[i];
            match ev {
                Event::Text(_) => {
                    // merge adjacent text events into one run
                    let mut j = i;
                    let mut run = String::new();
                    while j < events.len() {
                        if let Event::Text(t) = &events[j].0 {
                            // a quotation mark that smart punctuation made
                            // from `"` takes the form of the run's language
                            let typed = self.body.get(events[j].1.clone()) == Some("\"");
                            match smart_quote(t, self.current_lang()).filter(|_| typed) {
                                Some(q) => run.push_str(q),
                                None => run.push_str(t),
                            }
                            j += 1;
                        } else {
                            break;
                        }
                    }
                    let start = range.start;
                    self.text_run(&run, start, out);
                    i = j;
                    continue;
                }
                Event::FootnoteReference(label) => {
                    let label = label.to_string();
                    if self.in_note.is_some() {
                        // already reported
                    } else if self.defs.contains_key(&label) {
                        let k = {
                            let c = self.calls_seen.entry(label.clone()).or_default();
                            *c += 1;
                            *c
                        };
                        if k == 1 {
                            self.pending.push(label.clone());
                        }
                        let (series, display, raw_id) = note_identity(&label);
                        let id = self.id(&raw_id);
                        let call_id = call_anchor(&id, k);
                        let class = match series {
                            Series::Author => "noteref",
                            Series::Editorial => "noteref noteref-editorial",
                        };
                        let kind = match series {
                            Series::Author => t(&self.opts.ui, "note"),
                            Series::Editorial => t(&self.opts.ui, "editorial_note"),
                        };
                        out.push(Event::InlineHtml(
                            format!(
                                "<sup class=\"call\"><a class=\"{class}\" id=\"{call_id}\" href=\"#{id}\" role=\"doc-noteref\" aria-label=\"{} {}\">{}</a></sup>",
                                escape_html(&kind),
                                escape_html(&display),
                                escape_html(&display)
                            )
                            .into(),
                        ));
                    }
                }
                Event::Start(Tag::Link {
                    dest_url, title, ..
                }) => {
                    self.open_link(dest_url, title, range.start, ev.clone(), out);
                }
                Event::End(TagEnd::Link) => match self.links.pop() {
                    Some(LinkKind::Person { gloss }) => {
                        let mut s = String::from("</a>");
                        if let Some(g) = gloss {
                            s.push_str(&self.gloss_html(&g));
                        }
                        out.push(Event::InlineHtml(s.into()));
                    }
                    Some(LinkKind::Lang { gloss }) => {
                        self.lang_stack.pop();
                        let mut s = String::from("</span>");
                        if let Some(g) = gloss {
                            s.push_str(&self.gloss_html(&g));
                        }
                        out.push(Event::InlineHtml(s.into()));
                    }
                    _ => out.push(ev.clone()),
                },
                Event::Start(Tag::CodeBlock(kind)) => {
                    let info = match kind {
                        CodeBlockKind::Fenced(info) => {
                            info.split_whitespace().next().unwrap_or("").to_string()
                        }
                        CodeBlockKind::Indented => String::new(),
                    };
                    let mut code = String::new();
                    let mut j = i + 1;
                    while j < events.len() {
                        match &events[j].0 {
                            Event::Text(t) => code.push_str(t),
                            Event::End(TagEnd::CodeBlock) => break,
                            _ => {}
                        }
                        j += 1;
                    }
                    let html = if info == "example" {
                        let content_start = range.start
                            + self.body[range.clone()]
                                .find('\n')
                                .map(|n| n + 1)
                                .unwrap_or(0);
                        self.example(&code, content_start)
                    } else {
                        crate::highlight::highlight(&code, &info)
                    };
                    block_start(out);
                    out.push(Event::Html(html.into()));
                    i = j + 1;
                    continue;
                }
                Event::Start(Tag::Heading {
                    level: _,
                    id,
                    classes,
                    attrs,
                }) => {
                    self.heading = Some(HeadingStart {
                        given: id.as_ref().map(|s| s.to_string()).unwrap_or_default(),
                        classes: classes.iter().map(|c| c.to_string()).collect(),
                        attrs: attrs
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.as_ref().map(|v| v.to_string())))
                            .collect(),
                        slot: {
                            block_start(out);
                            out.len()
                        },
                    });
                    out.push(Event::Html(String::new().into())); // placeholder, set at the end
                    self.heading_text_start();
                }
                Event::End(TagEnd::Heading(level)) => {
                    let lvl = heading_level(*level);
                    if let Some(HeadingStart {
                        given,
                        classes,
                        attrs,
                        slot,
                        ..
                    }) = self.heading.take()
                    {
                        let text = self.heading_text_take();
                        if !given.is_empty()
                            && (self.anchors.contains_key(&given) || reserved_id(&given))
                        {
                            self.error(range.start, format!("duplicate id `{given}`: another heading or a generated anchor (p-N, n-N, ed-x, call-…, m-…, em-N) has it"));
                        }
                        let base = if given.is_empty() {
                            heading_slug(&text)
                        } else {
                            given
                        };
                        let base = if base.is_empty() {
                            "section".to_string()
                        } else {
                            base
                        };
                        let n = self.anchors.entry(base.clone()).or_default();
                        *n += 1;
                        let anchor = if *n == 1 { base } else { format!("{base}-{n}") };
                        let anchor = self.id(&anchor);
                        // classes and attributes written `{.class key=value}` are kept
                        let mut extra = String::new();
                        if !classes.is_empty() {
                            extra.push_str(&format!(
                                " class=\"{}\"",
                                escape_html(&classes.join(" "))
                            ));
                        }
                        for (k, v) in &attrs {
                            let k: String = k
                                .chars()
                                .filter(|c| {
                                    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.')
                                })
                                .collect();
                            // no event handler (`onclick`): the rest as written
                            let lower = k.to_ascii_lowercase();
                            if lower.is_empty()
                                || lower == "id"
                                || lower == "class"
                                || lower.starts_with("on")
                            {
                                continue;
                            }
                            match v {
                                Some(v) => extra.push_str(&format!(" {k}=\"{}\"", escape_html(v))),
                                None => extra.push_str(&format!(" {k}")),
                            }
                        }
                        out[slot] = Event::Html(
                            format!(
                                "<h{lvl} {}=\"{}\"{extra}>",
                                markers().anchor,
                                escape_html(&anchor)
                            )
                            .into(),
                        );
                        self.doc.headings.push(Heading {
                            level: lvl,
                            text,
                            id: anchor,
                        });
                    }
                    out.push(Event::Html(format!("</h{lvl}>\n").into()));
                }
                Event::Code(code) => {
                    if let Some(buf) = self.heading_buf.as_mut() {
                        buf.push_str(code);
                    }
                    out.push(ev.clone());
                }
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => {
                    let url = self.written_link(dest_url, range.start);
                    // a slot for the anchors of emendations in the alt text
                    self.images.push((out.len(), self.doc.emendations.len()));
                    out.push(Event::InlineHtml(CowStr::from("")));
                    out.push(Event::Start(Tag::Image {
                        link_type: *link_type,
                        dest_url: url,
                        title: title.clone(),
                        id: id.clone(),
                    }));
                }
                Event::End(TagEnd::Image) => {
                    if let Some((slot, from)) = self.images.pop() {
                        let anchors: String = self.doc.emendations[from..]
                            .iter()
                            .map(|e| {
                                format!(
                                    "<span class=\"emend-anchor\" id=\"{}\"></span>",
                                    escape_html(&e.id)
                                )
                            })
                            .collect();
                        if let Some(s) = out.get_mut(slot) {
                            *s = Event::InlineHtml(anchors.into());
                        }
                    }
                    out.push(ev.clone());
                }
                _ => out.push(ev.clone()),
            }
            i += 1;
        }
    }

    /// Records a link written in the page (for the link check) and returns
    /// the URL it points to: a content path `@/a/b.md#x` becomes the page's
    /// URL `/a/b/#x`.
    fn written_link(&mut self, dest: &CowStr<'a>, at: usize) -> CowStr<'a> {
        let url: CowStr<'a> = match content_path_url(dest) {
            Some(u) => u.into(),
            None => dest.clone(),
        };
        if self.opts.prefix.is_empty() {
            self.doc.links.push(LinkRef {
                written: dest.to_string(),
                url: url.to_string(),
                offset: self.base + at,
            });
        }
        url
    }

    fn heading_text_start(&mut self) {
        self.heading_buf = Some(String::new());
    }

    fn heading_text_take(&mut self) -> String {
        self.heading_buf
            .take()
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    fn page_lang(&self) -> String {
        self.opts.lang.clone()
    }

    /// Language of the text being emitted: a foreign span or a parallel column
    /// overrides the page's.
    fn current_lang(&self) -> &str {
        self.lang_stack
            .last()
            .map(String::as_str)
            .unwrap_or(&self.opts.lang)
    }

    /// The declared register a link target names (`org:ic` → `org`, its URL).
    fn register_of(&self, dest: &str) -> Option<(String, String)> {
        let (scheme, _) = dest.split_once(':')?;
        self.opts
            .registers
            .iter()
            .find(|(s, _)| s == scheme)
            .cloned()
    }

    /// `[form](org:id)`: a link to the entry in its register's index, with
    /// an anchor of its own (`m-org-id-2`), recorded for the index.
    fn open_register_mention(
        &mut self,
        dest: &str,
        (scheme, url): (&str, &str),
        title: &str,
        at: usize,
        out: &mut Vec<Event<'a>>,
    ) {
        let id = dest[scheme.len() + 1..].trim().to_string();
        let k = {
            let c = self
                .mention_counts
                .entry(format!("{scheme}:{id}"))
                .or_default();
            *c += 1;
            *c
        };
        let anchor = self.id(&format!("m-{scheme}-{id}-{k}"));
        let href = format!("{url}#{id}");
        let gloss = self.open_glossed(title, out);
        out.push(Event::InlineHtml(
            format!(
                "<a class=\"mention {}\" id=\"{}\" href=\"{}\">",
                escape_html(scheme),
                escape_html(&anchor),
                escape_html(&href)
            )
            .into(),
        ));
        let form = link_text(self.body, at);
        if self.opts.prefix.is_empty() {
            self.doc.extra_ids.push(anchor.clone());
            self.doc.register_mentions.push(Mention {
                key: crate::hash::id_key(&id),
                person: id,
                register: scheme.to_string(),
                form,
                anchor,
                para: self.para,
                note: self.in_note.clone(),
                offset: self.base + at,
            });
        }
        self.links.push(LinkKind::Person { gloss });
    }

    /// A mention's link title is a gloss (as a `lang:` link's is): the
    /// mention and its gloss are wrapped together. The gloss, if any.
    fn open_glossed(&mut self, title: &str, out: &mut Vec<Event<'a>>) -> Option<String> {
        if title.trim().is_empty() {
            return None;
        }
        out.push(Event::InlineHtml("<span class=\"glossed\">".into()));
        Some(title.to_string())
    }

    /// The gloss shown after a glossed passage or mention, in the page's
    /// language, its label in the interface language; closes the
    /// `glossed` wrapper.
    fn gloss_html(&self, gloss: &str) -> String {
        let page_lang = self.page_lang();
        let ui = &self.opts.ui;
        let label_lang = if page_lang.split('-').next() == Some(ui.lang()) {
            String::new()
        } else {
            format!(" lang=\"{}\"", ui.lang())
        };
        format!(
            "<span class=\"gloss\" lang=\"{}\"><span class=\"gloss-label\"{label_lang}>{}{} </span>{}</span></span>",
            escape_html(&page_lang),
            escape_html(&t(ui, "gloss")),
            escape_html(ui.get("colon")),
            escape_html(gloss)
        )
    }

    fn open_link(
        &mut self,
        dest: &CowStr<'a>,
        title: &CowStr<'a>,
        at: usize,
        ev: Event<'a>,
        out: &mut Vec<Event<'a>>,
    ) {
        if let Some(id) = dest.strip_prefix("person:") {
            let id = id.trim().to_string();
            let k = {
                let c = self.mention_counts.entry(id.clone()).or_default();
                *c += 1;
                *c
            };
            let anchor = self.id(&format!("m-{id}-{k}"));
            let href = format!("{}#{}", self.opts.persons_url, id);
            let gloss = self.open_glossed(title, out);
            out.push(Event::InlineHtml(
                format!(
                    "<a class=\"person\" id=\"{}\" href=\"{}\">",
                    escape_html(&anchor),
                    escape_html(&href)
                )
                .into(),
            ));
            let form = link_text(self.body, at);
            if self.opts.prefix.is_empty() {
                self.doc.mentions.push(Mention {
                    key: crate::hash::id_key(&id),
                    person: id,
                    register: String::new(),
                    form,
                    anchor,
                    para: self.para,
                    note: self.in_note.clone(),
                    offset: self.base + at,
                });
            }
            self.links.push(LinkKind::Person { gloss });
        } else if let Some((scheme, url)) = self.register_of(dest) {
            self.open_register_mention(dest, (&scheme, &url), title, at, out);
        } else if let Some(lang) = dest.strip_prefix("lang:") {
            let lang = lang.trim().to_string();
            if !crate::lang::is_known(&lang) {
                self.error(at, format!("unknown language tag `{lang}`"));
            }
            self.doc.foreign_spans += 1;
            let gloss = if title.is_empty() {
                None
            } else {
                Some(title.to_string())
            };
            let open = if gloss.is_some() {
                let focus = if self
                    .links
                    .iter()
                    .any(|l| !matches!(l, LinkKind::Lang { .. }))
                {
                    ""
                } else {
                    " tabindex=\"0\""
                };
                format!(
                    "<span class=\"glossed\"{focus}><span class=\"foreign\" lang=\"{}\">",
                    escape_html(&lang)
                )
            } else {
                format!("<span class=\"foreign\" lang=\"{}\">", escape_html(&lang))
            };
            out.push(Event::InlineHtml(open.into()));
            self.lang_stack.push(lang);
            self.links.push(LinkKind::Lang { gloss });
        } else {
            if looks_like_dialect_link(dest) {
                self.error(
                    at,
                    format!("malformed link `{dest}`: write `person:ID` or `lang:TAG`"),
                );
            } else if let Some(scheme) = undeclared_scheme(dest) {
                let declared: Vec<&str> = self
                    .opts
                    .registers
                    .iter()
                    .map(|(s, _)| s.as_str())
                    .collect();
                let known = if declared.is_empty() {
                    "no register is declared".to_string()
                } else {
                    format!("the declared registers are `{}`", declared.join("`, `"))
                };
                self.error(
                    at,
                    format!(
                        "mention of an undeclared register `{scheme}:` ({known}): declare it in \
                         site.toml with [[registers]] and id = \"{scheme}\", or write `person:ID`"
                    ),
                );
            }
            let url = self.written_link(dest, at);
            match ev {
                Event::Start(Tag::Link {
                    link_type,
                    title,
                    id,
                    ..
                }) => out.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url: url,
                    title,
                    id,
                })),
                other => out.push(other),
            }
            self.links.push(LinkKind::Plain);
        }
    }

    /// Plain text with emendations and stray note calls.
    fn text_run(&mut self, run: &str, at: usize, out: &mut Vec<Event<'a>>) {
        if let Some(buf) = self.heading_buf.as_mut() {
            // the heading's text (for its id and the table of contents) is
            // the edition's reading
            for piece in emend::split(run) {
                match piece {
                    emend::Piece::Text(t) => buf.push_str(t),
                    emend::Piece::Emend { reading, .. } | emend::Piece::Add { reading, .. } => {
                        buf.push_str(reading)
                    }
                    emend::Piece::Bad { .. } => {}
                }
            }
        }
        // a `[^x]` left as text is a call without a note (GFM footnotes keep it as text)
        let mut from = 0;
        while let Some(p) = run[from..].find("[^") {
            let s = from + p;
            if let Some(e) = run[s..].find(']') {
                let label = &run[s + 2..s + e];
                if !label.is_empty() && !label.contains(char::is_whitespace) {
                    let call = &run[s..s + e + 1];
                    let offset = self.locate_nth(at, call, run[..s].matches(call).count());
                    // `\[^abc]` is the text itself
                    if !escaped(self.body, offset) {
                        self.error(offset, no_note_text(label));
                    }
                }
            }
            from = s + 2;
        }
        for piece in emend::split(run) {
            match piece {
                emend::Piece::Text(t) => {
                    let t = if self.current_lang().starts_with("fr") {
                        french_spacing(t)
                    } else {
                        t.to_string()
                    };
                    out.push(Event::Text(CowStr::from(t)))
                }
                emend::Piece::Bad { at: p, message } => {
                    let frag = &run[p..(p + 3).min(run.len())];
                    // the same opening earlier in the run: skip as many in the source
                    let before = run[..p].matches(frag).count();
                    let offset = self.locate_nth(at, frag, before);
                    // an emendation open at the end of its run may have been
                    // cut by markup that it cannot hold: say so
                    let cut = if message.starts_with("unclosed") {
                        self.body.get(offset..).and_then(emend::cut_by_markup)
                    } else {
                        None
                    };
                    match cut {
                        Some(m) => self.error(offset, m),
                        None => self.error(offset, message),
                    }
                }
                emend::Piece::Emend {
                    source, reading, ..
                } => self.emendation(source, reading, out),
                emend::Piece::Add { reading, .. } => self.emendation("", reading, out),
            }
        }
    }

    /// Finds `needle` in the source at or after `at` (text runs lose their exact
    /// offsets to escapes and smart punctuation); falls back to `at`.
    /// The `nth` (from 0) occurrence of `needle` at or after `at`; falls
    /// back to the last one found, then to `at`.
    fn locate_nth(&self, at: usize, needle: &str, nth: usize) -> usize {
        let Some(rest) = self.body.get(at..) else {
            return at;
        };
        let mut found = None;
        for (k, (i, _)) in rest.match_indices(needle).enumerate() {
            found = Some(at + i);
            if k == nth {
                break;
            }
        }
        found.unwrap_or(at)
    }

    fn emendation(&mut self, source: &str, reading: &str, out: &mut Vec<Event<'a>>) {
        let n = self.doc.emendations.len() + 1;
        let id = self.id(&format!("em-{n}"));
        let ui = &self.opts.ui;
        let html = if !self.images.is_empty() {
            // in an image's alt text: the edition's reading as plain text;
            // the anchor the apparatus links to goes before the image
            out.push(Event::Text(reading.to_string().into()));
            String::new()
        } else if source.is_empty() {
            format!(
                "<span class=\"emend emend-add\" id=\"{id}\" data-source=\"{}\">{}</span>",
                escape_html(&t(ui, "supplied")),
                escape_html(reading)
            )
        } else if reading.is_empty() {
            format!(
                "<span class=\"emend emend-del\" id=\"{id}\" data-source=\"{}{} {}\"></span>",
                escape_html(&t(ui, "source_reading")),
                escape_html(ui.get("colon")),
                escape_html(source)
            )
        } else {
            format!(
                "<span class=\"emend\" id=\"{id}\" data-source=\"{}{} {}\">{}</span>",
                escape_html(&t(ui, "source_reading")),
                escape_html(ui.get("colon")),
                escape_html(source),
                escape_html(reading)
            )
        };
        if !html.is_empty() {
            out.push(Event::InlineHtml(html.into()));
        }
        self.doc.emendations.push(Emendation {
            id,
            source: source.to_string(),
            reading: reading.to_string(),
            para: self.para,
            note: self.in_note.clone(),
        });
    }

    /// An `example` fence: highlighted source next to its rendering.
    fn example(&mut self, code: &str, content_start: usize) -> String {
        self.examples += 1;
        let opts = ParseOptions {
            prefix: format!("{}ex{}-", self.opts.prefix, self.examples),
            title_note: None,
            ..self.opts.clone()
        };
        let mut nested_diags = Diagnostics::default();
        let doc = parse(
            code,
            self.base + content_start,
            self.src,
            &opts,
            &mut nested_diags,
        );
        self.diags.extend(nested_diags);
        let source = crate::highlight::highlight(code, "md");
        let mut apparatus = String::new();
        if !doc.emendations.is_empty() {
            apparatus = emendation_list(&doc.emendations, &self.opts.ui);
        }
        format!(
            "<div class=\"example\">\n<div class=\"example-source\"><p class=\"example-label\">{}</p>\n{source}</div>\n<div class=\"example-result\"><p class=\"example-label\">{}</p>\n{}{apparatus}</div>\n</div>\n",
            escape_html(&t(&self.opts.ui, "example_source")),
            escape_html(&t(&self.opts.ui, "example_result")),
            doc.html
        )
    }
}

/// French typography: the space before `: ; ! ? »` and after `«` becomes
/// no-break (U+00A0 before a colon, U+202F otherwise), so no line starts with them.
pub fn french_spacing(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len() + 8);
    // every space is ASCII: copy the runs between spaces as they are (the
    // bytes around a space are compared as bytes: `«` and `»` are two)
    let mut start = 0;
    for i in memchr::memchr_iter(b' ', b) {
        let next = b.get(i + 1..).unwrap_or_default();
        let nbsp = match next.first() {
            Some(b':') => '\u{a0}',
            Some(b';' | b'!' | b'?') => '\u{202f}',
            _ if next.starts_with("»".as_bytes()) || b[..i].ends_with("«".as_bytes()) => {
                '\u{202f}'
            }
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push(nbsp);
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out
}

/// A double quotation mark of smart punctuation (`“` or `”`, made from a
/// typed `"`) in the typography of language `lang`: French « » with
/// no-break spaces inside, Spanish « » without (as the RAE recommends);
/// `None` (keep “ ”) in other languages. Single quotes stay ‘ ’: `’` is
/// also the apostrophe.
pub fn smart_quote(mark: &str, lang: &str) -> Option<&'static str> {
    let primary = lang.split('-').next().unwrap_or(lang);
    match (primary, mark) {
        ("fr", "“") => Some("«\u{202f}"),
        ("fr", "”") => Some("\u{202f}»"),
        ("es", "“") => Some("«"),
        ("es", "”") => Some("»"),
        _ => None,
    }
}

/// The apparatus of emendations as an HTML list (also used by templates via the page context).
pub fn emendation_list(ems: &[Emendation], ui: &Ui) -> String {
    let mut s = String::from("<ol class=\"emendations\">\n");
    for (i, e) in ems.iter().enumerate() {
        let place = match (&e.note, e.para) {
            (Some(n), _) => format!("{} {}", t(ui, "in_note"), escape_html(n)),
            (None, Some(p)) => format!("§ {p}"),
            (None, None) => (i + 1).to_string(),
        };
        let lemma = if e.reading.is_empty() {
            format!("<i>{}</i>", escape_html(&t(ui, "deleted")))
        } else {
            escape_html(&e.reading)
        };
        let src = if e.source.is_empty() {
            format!("<i>{}</i>", escape_html(&t(ui, "supplied")))
        } else {
            format!(
                "{} <i>{}</i>",
                escape_html(&e.source),
                escape_html(&t(ui, "source_reading"))
            )
        };
        s.push_str(&format!(
            "<li><a href=\"#{}\">{place}</a> <span class=\"lemma\">{lemma}</span> ] {src}</li>\n",
            escape_html(&e.id)
        ));
    }
    s.push_str("</ol>\n");
    s
}

/// The message for a note call without note text.
fn no_note_text(label: &str) -> String {
    format!(
        "note call `[^{label}]` has no note text: add a line `[^{label}]: …`, or write `\\[^{label}]` for the text `[^{label}]` itself"
    )
}

/// Whether the byte at `offset` is escaped by a backslash (an odd number of them).
fn escaped(body: &str, offset: usize) -> bool {
    let before = body.get(..offset).unwrap_or("");
    before.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

/// A content path `@/a/b.md#frag` (as in Zola) as the page's URL
/// `/a/b/#frag`, by the URL rule of [`crate::content`]; `None` for any other
/// link. A path that names no page is reported by the link check.
pub fn content_path_url(dest: &str) -> Option<String> {
    let rest = dest.strip_prefix("@/")?;
    let (path, frag) = match rest.find(['#', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let rel = path.strip_suffix(".md")?;
    Some(format!("{}{frag}", crate::content::url_for(rel).0))
}

/// Ids the generator makes itself; an explicit heading id must not take one.
fn reserved_id(id: &str) -> bool {
    ["p-", "n-", "ed-", "call-", "m-", "em-", "par", "ex"]
        .iter()
        .any(|p| id.starts_with(p))
        || ["main", "apparatus", "cite", "text-title"].contains(&id)
}

pub fn call_anchor(note_id: &str, k: usize) -> String {
    // `n-12` → `call-n-12`, with a prefix kept in front
    let (prefix, bare) = match note_id.rfind("n-").or_else(|| note_id.rfind("ed-")) {
        Some(i) if note_id[i..].starts_with("n-") || note_id[i..].starts_with("ed-") => {
            note_id.split_at(i)
        }
        _ => ("", note_id),
    };
    if k == 1 {
        format!("{prefix}call-{bare}")
    } else {
        format!("{prefix}call-{bare}-{k}")
    }
}

fn heading_level(l: HeadingLevel) -> u8 {
    match l {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// The raw link text of `[text](…)` starting at `at`.
pub(crate) fn link_text(body: &str, at: usize) -> String {
    let s = &body[at..];
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    return s[1..i].to_string();
                }
            }
            _ => {}
        }
    }
    String::new()
}

/// Starts a block written as HTML on a line of its own, as pulldown-cmark
/// does for its own blocks (a code block or a heading in a list item:
/// `<li>\n<pre>`), so that the HTML is CommonMark's.
fn block_start(out: &mut Vec<Event<'_>>) {
    let fresh = match out.last() {
        // the HTML written before these events ended with a newline
        None => true,
        Some(Event::Html(s) | Event::InlineHtml(s) | Event::Text(s)) => s.ends_with('\n'),
        Some(Event::SoftBreak | Event::HardBreak | Event::Rule) => true,
        Some(Event::Start(Tag::BlockQuote(_) | Tag::List(_))) => true,
        Some(Event::End(
            TagEnd::Paragraph
            | TagEnd::Item
            | TagEnd::List(_)
            | TagEnd::BlockQuote(_)
            | TagEnd::CodeBlock
            | TagEnd::Table
            | TagEnd::HtmlBlock
            | TagEnd::FootnoteDefinition,
        )) => true,
        Some(_) => false,
    };
    if !fresh {
        out.push(Event::Html("\n".into()));
    }
}

/// The body HTML as it is written: a String, or packed block by block.
struct Html {
    text: String,
    packer: Option<crate::pack::Packer>,
}

impl Html {
    fn new(source_len: usize, pack: bool) -> Html {
        if pack {
            Html {
                text: String::with_capacity(2 * crate::pack::Packed::BLOCK),
                packer: Some(crate::pack::Packer::default()),
            }
        } else {
            Html {
                text: String::with_capacity(source_len * 2),
                packer: None,
            }
        }
    }

    /// [`write_html`], then whatever is written passed on to the packer.
    fn write(&mut self, out: &mut Vec<Event<'_>>, end: bool) {
        write_html(&mut self.text, out, end);
        if let Some(p) = &mut self.packer {
            if end || self.text.len() >= crate::pack::Packed::BLOCK {
                p.push(&self.text);
                self.text.clear();
            }
        }
    }

    /// The HTML, or the packed HTML.
    fn finish(self) -> (String, Option<crate::pack::Packed>) {
        match self.packer {
            Some(p) => (String::new(), Some(p.finish())),
            None => (self.text, None),
        }
    }
}

/// Writes the events of the blocks emitted so far as HTML, once there are
/// many of them (or at the `end`), so that a long page never holds the
/// events of its whole body. Only where the writer's one state across
/// top-level blocks (did the output end with a newline?) is that of a new
/// writer, so that the HTML is the same as in one pass.
fn write_html(html: &mut String, out: &mut Vec<Event<'_>>, end: bool) {
    const BATCH: usize = 4096;
    let fresh = match out.last() {
        Some(Event::Html(s)) => s.ends_with('\n'),
        Some(Event::End(TagEnd::Paragraph)) => true,
        _ => false,
    };
    if end || (out.len() >= BATCH && fresh) {
        pulldown_cmark::html::push_html(html, out.drain(..));
    }
}

/// Index one past the end of the top-level block starting at `i`.
pub(crate) fn block_end(events: &[Ev], i: usize) -> usize {
    let mut depth = 0i32;
    let mut j = i;
    while j < events.len() {
        match &events[j].0 {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth -= 1,
            _ => {}
        }
        j += 1;
        if depth <= 0 {
            break;
        }
    }
    j
}

#[derive(Debug, PartialEq)]
pub(crate) enum Marker {
    Open,
    /// `::: parallel continue`: a parallel block that continues the
    /// preceding numbered paragraph.
    OpenContinued,
    /// `::: continue`: the next top-level block continues the preceding
    /// numbered paragraph (same § number, no `p-N` anchor of its own).
    Continue,
    Column(String),
    Close,
    Malformed,
}

/// Is this top-level block a parallel-block marker paragraph?
/// Whether a link target that is not `person:…` or `lang:…` is a mistyped
/// one (`Person:x`, `persons:x`, `person;x`, `lang=es`), rather than an
/// ordinary relative URL that happens to begin with those letters
/// (`personas/`, `language.html`, `langues/`), which stays a link.
fn looks_like_dialect_link(dest: &str) -> bool {
    let lower = dest.to_ascii_lowercase();
    for word in ["person", "lang"] {
        let Some(rest) = lower.strip_prefix(word) else {
            continue;
        };
        // a scheme close to ours: `Person:`, `persons:`, `language:`
        if let Some((scheme, _)) = lower.split_once(':') {
            if scheme.bytes().all(|b| b.is_ascii_alphabetic()) && scheme.starts_with(word) {
                return true;
            }
        }
        // another separator where the colon goes
        if rest.starts_with([';', '=', ',']) {
            return true;
        }
    }
    false
}

/// The scheme of a link target that reads as a register mention
/// (`org:ic`: a lowercase word, a colon, an id without `/` or `.`) but is no
/// URL scheme in use on the web (`mailto:`, `tel:`…).
fn undeclared_scheme(dest: &str) -> Option<&str> {
    const URL_SCHEMES: &[&str] = &[
        "http",
        "https",
        "mailto",
        "tel",
        "sms",
        "fax",
        "callto",
        "geo",
        "urn",
        "news",
        "data",
        "javascript",
        "about",
        "ftp",
        "file",
        "irc",
        "ircs",
        "xmpp",
        "magnet",
        "skype",
        "doi",
        "isbn",
        "issn",
        "info",
        "blob",
        "ws",
        "wss",
    ];
    let (scheme, id) = dest.split_once(':')?;
    let word = scheme.starts_with(|c: char| c.is_ascii_lowercase())
        && scheme
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let entry = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (word && entry && !URL_SCHEMES.contains(&scheme)).then_some(scheme)
}

pub(crate) fn marker_of(body: &str, block: &[Ev]) -> Option<Marker> {
    if !matches!(
        block.first().map(|e| &e.0),
        Some(Event::Start(Tag::Paragraph))
    ) {
        return None;
    }
    let raw = body.get(block[0].1.clone())?.trim();
    if !raw.starts_with("::") {
        return None;
    }
    if raw.contains('\n') {
        return Some(Marker::Malformed);
    }
    if raw == ":::" {
        return Some(Marker::Close);
    }
    if let Some(rest) = raw.strip_prefix(":::") {
        let words: Vec<&str> = rest.split_whitespace().collect();
        return match words.as_slice() {
            ["parallel"] => Some(Marker::Open),
            ["parallel", "continue"] => Some(Marker::OpenContinued),
            ["continue"] => Some(Marker::Continue),
            _ => Some(Marker::Malformed),
        };
    }
    // a column is `:: TAG original|translation`, with a space after `::`;
    // a paragraph such as `::before is a pseudo-element` is ordinary text
    if let Some(rest) = raw.strip_prefix("::") {
        if rest.starts_with(char::is_whitespace) || rest.is_empty() {
            return Some(Marker::Column(rest.trim().to_string()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_spacing_binds_punctuation() {
        assert_eq!(
            french_spacing("« Oui : non ; si ! »"),
            "«\u{202f}Oui\u{a0}: non\u{202f}; si\u{202f}!\u{202f}»"
        );
        assert_eq!(french_spacing("a: b"), "a: b");
    }

    /// The rule as first written, char by char: what [`french_spacing`]
    /// must do.
    fn french_spacing_by_chars(s: &str) -> String {
        let mut out = String::new();
        let mut start = 0;
        for (i, _) in s.match_indices(' ') {
            let next = s[i + 1..].chars().next();
            let prev = s[..i].chars().next_back();
            let nbsp = if next == Some(':') {
                '\u{a0}'
            } else if matches!(next, Some(';' | '!' | '?' | '»')) || prev == Some('«') {
                '\u{202f}'
            } else {
                continue;
            };
            out.push_str(&s[start..i]);
            out.push(nbsp);
            start = i + 1;
        }
        out.push_str(&s[start..]);
        out
    }

    #[test]
    fn french_spacing_is_the_rule_char_by_char() {
        // every string of up to four of these pieces
        let pieces = [
            " ", ":", ";", "!", "?", "«", "»", "a", "é", "\u{a0}", "«»", "  ",
        ];
        let mut strings = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = strings
                .iter()
                .flat_map(|s| pieces.iter().map(move |p| format!("{s}{p}")))
                .collect();
            strings.extend(longer);
            strings.dedup();
        }
        assert!(strings.len() > 20_000, "{}", strings.len());
        for s in &strings {
            assert_eq!(french_spacing(s), french_spacing_by_chars(s), "{s:?}");
        }
    }

    #[test]
    fn note_ids_derive_from_series_and_label() {
        assert_eq!(note_identity("12").2, "n-12");
        assert_eq!(note_identity("*").2, "n-star");
        assert_eq!(note_identity("**").2, "n-star-star");
        assert_eq!(
            note_identity("ed-a"),
            (Series::Editorial, "a".into(), "ed-a".into())
        );
    }

    /// A page of `n` paragraphs, each calling its own note, the notes at the end.
    fn page_with_notes(n: usize) -> String {
        let mut s = String::new();
        for i in 1..=n {
            s.push_str(&format!("Paragraphe {i} avec [X](person:x).[^{i}]\n\n"));
        }
        for i in 1..=n {
            s.push_str(&format!("[^{i}]: Note {i}.\n\n"));
        }
        s
    }

    /// A page with thousands of notes keeps every one (its speed is measured
    /// in BENCHMARKS.md, "One huge page", not asserted here).
    #[test]
    fn a_page_with_thousands_of_notes_keeps_every_note() {
        let opts = ParseOptions {
            kind: Kind::Text,
            persons_url: "/p/".into(),
            registers: Vec::new(),
            translation_credit: String::new(),
            ui: crate::i18n::Ui::new("fr"),
            prefix: String::new(),
            lang: "fr".into(),
            title_note: None,
        };
        let body = page_with_notes(3_000);
        let src = SourceMap::new("t.md", body.clone());
        let mut d = Diagnostics::default();
        let doc = parse(&body, 0, &src, &opts, &mut d);
        assert!(d.is_empty());
        assert_eq!(doc.notes.len(), 3_000);
    }

    #[test]
    fn slugs_are_ascii() {
        assert_eq!(slugify("Les Revues — Clarté !"), "les-revues-clarte");
    }
}

#[cfg(test)]
mod register_text_tests {
    use super::{inline_html, refused_register_links};

    #[test]
    fn refused_links_keep_their_text_only() {
        let md = "[a](org:ic) [b](JavaScript:x) [c](/p/#x) [d](https://e.org/) [e](mailto:a@b.c) [f](#n-1)";
        let html = inline_html(md, "fr");
        assert!(html.starts_with("a b <a href=\"/p/#x\">c</a>"), "{html}");
        assert!(
            !html.contains("org:") && !html.contains("avaScript"),
            "{html}"
        );
        assert_eq!(refused_register_links(md), ["org:ic", "JavaScript:x"]);
    }
}
