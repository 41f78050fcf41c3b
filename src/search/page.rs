//! One page's contribution to the index: a single streaming pass over its
//! HTML (lol_html) that reads what Pagefind 1.6 reads from it, with the
//! same meaning, so that its client shows the same results:
//!
//! - the text of the element marked `data-pagefind-body` (of every such
//!   element), less what `data-pagefind-ignore` and the elements that are
//!   never text (`head`, `script`, `style`, `nav`, `footer`, `form`…) hide;
//!   block elements end a sentence;
//! - `data-pagefind-weight` (and the headings' own weights, `h1` 7 … `h6`
//!   2), `data-pagefind-filter`, `-meta`, `-default-meta`, `-sort`,
//!   `-index-attrs`, `-title`; the first `h1` (else `title`) as the title
//!   and the first image after it;
//! - every element with an `id` as an anchor, with its text and the
//!   position of the word it starts at (sub-results).
//!
//! Markers for weights and anchors are written into the text as Pagefind
//! does, then read back word by word ([`digest`]).

use super::pagefind_format::FragmentWriter;
use super::words::{self, normalize_content, Indexable};
use lol_html::html_content::Element;
use lol_html::{element, text, HtmlRewriter, Settings};
use pagefind_stem::Stemmer;
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::{Arc, LazyLock};

const SENTENCE_TAGS: &[&str] = &[
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "td", "div", "ul", "li", "article", "section",
];
const INLINE_TAGS: &[&str] = &[
    "a", "abbr", "acronym", "b", "bdo", "big", "br", "button", "cite", "code", "dfn", "em", "i",
    "img", "input", "kbd", "label", "map", "object", "output", "q", "samp", "script", "select",
    "small", "span", "strong", "sub", "sup", "textarea", "time", "tt", "var",
];
/// Never text, wherever they are (inside `html`: Pagefind's selectors are
/// `html head`, `html style`…).
const HIDDEN: &[&str] = &[
    "head", "style", "script", "noscript", "label", "form", "svg", "footer", "nav", "iframe",
    "template",
];

const ANCHOR: &str = "___PAGEFIND_ANCHOR___";
const WEIGHT: &str = "___PAGEFIND_WEIGHT___";
const AUTO_WEIGHT: &str = "___PAGEFIND_AUTO_WEIGHT___";
const END_WEIGHT: &str = "___END_PAGEFIND_WEIGHT___";

/// A character after which a block needs a full stop.
static SENTENCE_END: LazyLock<Option<regex::Regex>> =
    LazyLock::new(|| regex::Regex::new("^[\\w'\"\\)\\$\\*]$").ok());
static ATTRIBUTE: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
    regex::Regex::new("^\\s*(?P<name>[^:\\[\\]]+)\\[(?P<attribute>.+)\\]\\s*$").ok()
});
static MARKER: LazyLock<Option<regex::Regex>> =
    LazyLock::new(|| regex::Regex::new("___PAGEFIND_[\\S]+\\s?").ok());

fn ends_sentence(text: &str) -> bool {
    let mut buf = [0u8; 4];
    match (text.chars().last(), SENTENCE_END.as_ref()) {
        (Some(c), Some(re)) => re.is_match(c.encode_utf8(&mut buf)),
        _ => false,
    }
}

#[derive(Clone, Copy, PartialEq, Debug, Default)]
enum Status {
    #[default]
    Indexing,
    /// Its text is not indexed (its filters and metadata are).
    Ignored,
    /// Nothing of it counts.
    Excluded,
    Body,
    /// A body is inside: its own text no longer counts.
    ParentOfBody,
}

#[derive(Default)]
struct Node {
    text: String,
    status: Status,
    tag: String,
    filter: Option<Vec<String>>,
    meta: Option<Vec<String>>,
    default_meta: Option<Vec<String>>,
    sort: Option<Vec<String>>,
    weight: Option<String>,
    /// The anchors (by number) whose text this element's text adds to.
    anchors: Option<Rc<Vec<u32>>>,
    /// Its own anchor, if it is one.
    own_anchor: Option<u32>,
}

impl Node {
    /// Whether its text is read: it goes up to its parent, or its own
    /// filters, metadata or title read it.
    fn wants_text(&self) -> bool {
        match self.status {
            Status::Excluded => false,
            Status::Ignored => {
                self.filter.is_some()
                    || self.meta.is_some()
                    || self.default_meta.is_some()
                    || self.sort.is_some()
                    || self.tag == "h1"
                    || self.tag == "title"
            }
            _ => true,
        }
    }

    /// `name:value`, or `name` with this element's text as the value.
    fn pair(&self, spec: &str) -> Option<(String, String)> {
        match spec.split_once(':') {
            Some((name, value)) => Some((name.to_string(), normalize_content(value))),
            None if self.text.is_empty() => None,
            None => Some((spec.to_string(), normalize_content(&self.text))),
        }
    }
}

#[derive(Default)]
struct State {
    /// The open elements (the first: the document itself).
    stack: Vec<Node>,
    filters: BTreeMap<String, Vec<String>>,
    sort: BTreeMap<String, String>,
    meta: BTreeMap<String, String>,
    default_meta: BTreeMap<String, String>,
    /// Each anchor's id and text, by number (the `n` of its marker).
    anchor_text: Vec<AnchorText>,
    anchor_titles: BTreeMap<u32, String>,
}

/// An anchor's id and text: raw while its element is open, then
/// normalised (`settled`), so that a page's anchors never hold their raw
/// text all at once.
#[derive(Default)]
struct AnchorText {
    id: String,
    text: String,
    settled: bool,
}

impl AnchorText {
    fn settle(&mut self) {
        if !self.settled {
            self.text = normalize_content(&self.text);
            self.text.shrink_to_fit();
            self.settled = true;
        }
    }
}

impl State {
    /// Filters, sort keys and metadata an element gives when it ends.
    fn collect(&mut self, node: &Node) {
        for spec in node.filter.iter().flatten() {
            if let Some((name, value)) = node.pair(spec) {
                self.filters.entry(name).or_default().push(value);
            }
        }
        for spec in node.sort.iter().flatten() {
            if let Some((name, value)) = node.pair(spec) {
                self.sort.insert(name, value);
            }
        }
        for spec in node.meta.iter().flatten() {
            if let Some((name, value)) = node.pair(spec) {
                self.meta.insert(name, value);
            }
        }
        for spec in node.default_meta.iter().flatten() {
            if let Some((name, value)) = node.pair(spec) {
                self.default_meta.insert(name, value);
            }
        }
    }

    /// The element at `depth` ends.
    fn end(&mut self, depth: usize) {
        if self.stack.len() <= depth {
            return;
        }
        // elements left open inside it are dropped with it
        self.stack.truncate(depth + 1);
        let Some(mut node) = self.stack.pop() else {
            return;
        };
        // (no more text reaches its anchor)
        if let Some(a) = node
            .own_anchor
            .and_then(|a| self.anchor_text.get_mut(a as usize))
        {
            a.settle();
        }
        if node.status == Status::Excluded {
            return;
        }
        self.collect(&node);
        if node.tag == "h1" && !self.meta.contains_key("auto_title") && !node.text.trim().is_empty()
        {
            self.meta
                .insert("auto_title".into(), normalize_content(&node.text));
        }
        if node.tag == "title" && !self.meta.contains_key("auto_page_title") {
            self.meta
                .insert("auto_page_title".into(), normalize_content(&node.text));
        }
        if node.status == Status::Ignored {
            return;
        }
        let end_tag = node.tag.as_str();
        if SENTENCE_TAGS.contains(&end_tag) {
            node.text.insert(0, ' ');
            if ends_sentence(&node.text) {
                node.text.push('.');
            }
            node.text.push(' ');
        }
        let auto = match end_tag {
            "h1" => Some("7"),
            "h2" => Some("6"),
            "h3" => Some("5"),
            "h4" => Some("4"),
            "h5" => Some("3"),
            "h6" => Some("2"),
            _ => None,
        };
        if let Some(w) = &node.weight {
            node.text = [" ", WEIGHT, w, " ", &node.text, " ", END_WEIGHT, " "].concat();
        } else if let Some(w) = auto {
            node.text = [" ", AUTO_WEIGHT, w, " ", &node.text, " ", END_WEIGHT, " "].concat();
        }
        let Some(parent) = self.stack.last_mut() else {
            return;
        };
        give(parent, node);
    }
}

/// A finished element's text goes to its parent.
fn give(parent: &mut Node, node: Node) {
    let body = matches!(node.status, Status::Body | Status::ParentOfBody);
    if parent.status == Status::ParentOfBody && !body {
        return;
    }
    match node.status {
        Status::Indexing if !parent.wants_text() => {}
        Status::Indexing if parent.text.is_empty() => parent.text = node.text,
        Status::Indexing => parent.text.push_str(&node.text),
        Status::Body | Status::ParentOfBody => {
            if parent.status != Status::ParentOfBody {
                parent.text.clear();
            }
            parent.text.push_str(&node.text);
            parent.status = Status::ParentOfBody;
        }
        Status::Ignored | Status::Excluded => {}
    }
}

/// `a, b[attr], c:literal` (a filter, meta or sort attribute).
fn parse_specs(input: &str, el: &Element) -> Vec<String> {
    if let Some((specs, literal)) = input.split_once(':') {
        let mut specs = parse_specs(specs, el);
        if let Some(last) = specs.last_mut() {
            last.push(':');
            last.push_str(literal);
        }
        return specs;
    }
    input
        .split(',')
        .map(|chunk| {
            let chunk = chunk.trim();
            match ATTRIBUTE.as_ref().and_then(|re| re.captures(chunk)) {
                Some(c) => format!(
                    "{}:{}",
                    &c["name"],
                    el.get_attribute(&c["attribute"]).unwrap_or_default()
                ),
                None => chunk.to_string(),
            }
        })
        .collect()
}

/// Whether `hay` contains `needle` (ASCII lowercase, not empty), ignoring
/// ASCII case.
fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    memchr::memchr2_iter(first, first.to_ascii_uppercase(), hay).any(|i| {
        hay.get(i..i + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    })
}

/// The piece of the page being parsed: where it starts in the page, and
/// its bytes.
type Piece = RefCell<(usize, Vec<u8>)>;

/// How many bytes of a page the HTML pass reads at a time.
const PIECE: usize = 1 << 16;

fn start(state: &Rc<RefCell<State>>, el: &mut Element, piece: &Piece) -> Result<(), String> {
    let tag = el.tag_name();
    // Most elements carry none of the attributes read here: a look at the
    // start tag's own bytes spares the lookups (a superset: a tag whose
    // bytes hold the name anywhere, or that began in an earlier piece, is
    // looked up as usual).
    let at = el.source_location().bytes();
    let (marked, with_id) = {
        let piece = piece.borrow();
        let raw = at
            .start
            .checked_sub(piece.0)
            .and_then(|start| piece.1.get(start..at.end - piece.0));
        match raw {
            Some(raw) => (
                contains_ignore_case(raw, b"data-pagefind"),
                contains_ignore_case(raw, b"id"),
            ),
            None => (true, true),
        }
    };
    let attr = |name: &str| {
        if marked {
            el.get_attribute(name)
        } else {
            None
        }
    };
    let ignore = attr("data-pagefind-ignore").map(|v| match v.to_ascii_lowercase().as_str() {
        "" | "index" | "true" => Status::Ignored,
        _ => Status::Excluded,
    });
    let status = if marked && el.has_attribute("data-pagefind-body") {
        Status::Body
    } else {
        ignore.unwrap_or_default()
    };
    let id = if with_id {
        el.get_attribute("id")
    } else {
        None
    }
    .map(|id| {
        id.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
    });
    let title = attr("data-pagefind-title")
        .map(|t| normalize_content(&t))
        .filter(|t| !t.is_empty());
    let spec = |name: &str| attr(name).map(|v| parse_specs(&v, el));
    let mut node = Node {
        filter: spec("data-pagefind-filter"),
        meta: spec("data-pagefind-meta"),
        default_meta: spec("data-pagefind-default-meta"),
        sort: spec("data-pagefind-sort"),
        weight: attr("data-pagefind-weight"),
        ..Node::default()
    };
    let index_attrs: Option<Vec<String>> = attr("data-pagefind-index-attrs")
        .map(|a| a.split(',').map(|a| a.trim().to_string()).collect());

    let mut st = state.borrow_mut();
    let st = &mut *st;
    let Some(parent) = st.stack.last_mut() else {
        return Ok(());
    };
    let mut anchor = None;
    if let (Some(id), Status::Indexing | Status::Body) = (id, status) {
        if parent.status != Status::ParentOfBody || status == Status::Body {
            let n = u32::try_from(st.anchor_text.len()).unwrap_or(u32::MAX);
            // (writing to a String cannot fail)
            let _ = write!(parent.text, " {ANCHOR}{tag}:{n}:{id} ");
            st.anchor_text.push(AnchorText {
                id,
                ..AnchorText::default()
            });
            anchor = Some(n);
        }
    }
    if let (Some(a), Some(t)) = (anchor, title) {
        st.anchor_titles.insert(a, t);
    }
    if status != Status::Excluded {
        for attr in index_attrs.iter().flatten() {
            let mut value = el.get_attribute(attr.trim()).unwrap_or_default();
            if ends_sentence(&value) {
                value.push('.');
            }
            parent.text.push(' ');
            parent.text.push_str(&value);
            parent.text.push(' ');
        }
        if tag == "br" {
            parent.text.push(' ');
        }
    }
    let mut anchors = if parent.anchors.is_some() && INLINE_TAGS.contains(&tag.as_str()) {
        parent.anchors.clone()
    } else {
        None
    };
    if let Some(a) = anchor {
        match &mut anchors {
            Some(v) => Rc::make_mut(v).push(a),
            None => anchors = Some(Rc::new(vec![a])),
        }
    }
    node.anchors = anchors;
    node.own_anchor = anchor;
    node.status = if parent.status == Status::Excluded {
        Status::Excluded
    } else {
        status
    };
    let hidden = HIDDEN.contains(&tag.as_str());
    if hidden {
        node.status = Status::Ignored;
    }
    let img = tag == "img";
    node.tag = tag;
    let depth = st.stack.len();
    st.stack.push(node);

    if let Some(handlers) = el.end_tag_handlers() {
        let state = Rc::clone(state);
        handlers.push(Box::new(move |end| {
            // (its end tag: the same name as its tag)
            let _ = end;
            state.borrow_mut().end(depth);
            Ok(())
        }));
        return Ok(());
    }
    // an element without content (`img`, `br`…): it ends here
    let Some(node) = st.stack.pop() else {
        return Ok(());
    };
    if hidden {
        // (as Pagefind's selector for hidden elements, run after this
        // one, marks the element on top: now its parent)
        if let Some(parent) = st.stack.last_mut() {
            parent.status = Status::Ignored;
        }
    }
    if node.status == Status::Excluded {
        return Ok(());
    }
    st.collect(&node);
    if img
        && !st.meta.contains_key("auto_image")
        && (st.meta.contains_key("auto_title") || st.meta.contains_key("title"))
    {
        if let Some(src) = el.get_attribute("src") {
            st.meta.insert("auto_image".into(), normalize_content(&src));
            if let Some(alt) = el.get_attribute("alt") {
                st.meta
                    .insert("auto_image_alt".into(), normalize_content(&alt));
            }
        }
    }
    Ok(())
}

/// Reads into `buf`, again if interrupted.
fn read_some(from: &mut dyn std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match from.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            r => return r,
        }
    }
}

/// What the HTML pass reads from a page, before its words are counted.
pub struct Parsed {
    digest: String,
    filters: BTreeMap<String, Vec<String>>,
    meta: BTreeMap<String, String>,
    pub sort: BTreeMap<String, String>,
    /// Each anchor's id and normalised text.
    anchor_text: Vec<AnchorText>,
    anchor_titles: BTreeMap<u32, String>,
    /// The page has an element marked `data-pagefind-body`.
    pub has_body: bool,
}

/// The HTML pass over a page held whole.
#[cfg(test)]
pub fn parse(html: &[u8]) -> Result<Parsed, String> {
    parse_from(&mut &html[..])
}

/// The HTML pass over a page, read a piece at a time.
pub fn parse_from(html: &mut dyn std::io::Read) -> Result<Parsed, String> {
    parse_pieces(html, PIECE)
}

fn parse_pieces(html: &mut dyn std::io::Read, size: usize) -> Result<Parsed, String> {
    let state = Rc::new(RefCell::new(State {
        stack: vec![Node::default()],
        ..State::default()
    }));
    let piece: Rc<Piece> = Rc::new(RefCell::new((0, Vec::with_capacity(size))));
    let settings = Settings {
        element_content_handlers: vec![
            element!("html, html *", {
                let state = Rc::clone(&state);
                let piece = Rc::clone(&piece);
                move |el| start(&state, el, &piece).map_err(Into::into)
            }),
            text!("html", {
                let state = Rc::clone(&state);
                move |t| {
                    let mut st = state.borrow_mut();
                    let st = &mut *st;
                    let Some(node) = st.stack.last_mut() else {
                        return Ok(());
                    };
                    let chunk = t.as_str();
                    if node.wants_text() {
                        node.text.push_str(chunk);
                    }
                    if !matches!(node.status, Status::Ignored | Status::Excluded) {
                        for &a in node.anchors.iter().flat_map(|v| v.iter()) {
                            if let Some(t) = st.anchor_text.get_mut(a as usize) {
                                t.text.push_str(chunk);
                            }
                        }
                    }
                    Ok(())
                }
            }),
        ],
        strict: false,
        ..Settings::new()
    };
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    loop {
        let read = {
            let mut p = piece.borrow_mut();
            let (start, bytes) = &mut *p;
            *start += bytes.len();
            bytes.resize(size, 0);
            let read = read_some(html, bytes);
            bytes.truncate(*read.as_ref().unwrap_or(&0));
            read
        };
        if read.map_err(|e| e.to_string())? == 0 {
            break;
        }
        rewriter
            .write(&piece.borrow().1)
            .map_err(|e| e.to_string())?;
    }
    rewriter.end().map_err(|e| e.to_string())?;
    drop(piece);
    let mut st = Rc::try_unwrap(state)
        .map_err(|_| "the HTML pass kept its state".to_string())?
        .into_inner();
    // elements never closed: their text goes up to the document
    while st.stack.len() > 1 {
        let Some(node) = st.stack.pop() else { break };
        if let Some(parent) = st.stack.last_mut() {
            if parent.status != Status::ParentOfBody {
                give(parent, node);
            }
        }
    }
    let root = st.stack.pop().unwrap_or_default();
    let mut meta = st.meta;
    if let Some(image) = meta.remove("auto_image") {
        let alt = meta.remove("auto_image_alt").unwrap_or_default();
        if !meta.contains_key("image") {
            meta.insert("image".into(), image);
            meta.insert("image_alt".into(), alt);
        }
    }
    for auto in ["auto_title", "auto_page_title"] {
        if let Some(title) = meta.remove(auto) {
            meta.entry("title".into()).or_insert(title);
        }
    }
    let mut all_meta = st.default_meta;
    all_meta.extend(meta);
    // markers do not belong in filters and metadata
    let unmark = |s: &mut String| {
        if let Some(re) = MARKER.as_ref() {
            if let std::borrow::Cow::Owned(t) = re.replace_all(s, "") {
                *s = t;
            }
        }
    };
    let mut filters = st.filters;
    filters.values_mut().flatten().for_each(unmark);
    all_meta.values_mut().for_each(unmark);
    Ok(Parsed {
        // (only its words are read, split at white space: of Pagefind's
        // normalisation, only the entities' decoding changes them)
        digest: match html_escape::decode_html_entities(&root.text) {
            std::borrow::Cow::Borrowed(_) => root.text,
            std::borrow::Cow::Owned(decoded) => decoded,
        },
        filters,
        meta: all_meta,
        sort: st.sort,
        anchor_text: {
            // (those whose element was never closed)
            st.anchor_text.iter_mut().for_each(AnchorText::settle);
            st.anchor_text
        },
        anchor_titles: st.anchor_titles,
        has_body: root.status == Status::ParentOfBody,
    })
}

/// A word's occurrences on a page, `(position, weight)` (Pagefind's
/// scale: 24 is weight 1, 0 not ranked): those of the key itself, and
/// apart those of each accented form the key stands for. Eight bytes an
/// occurrence: a page of 50,000 notes has millions.
#[derive(Debug, Clone, Default)]
pub struct Positions {
    pub plain: Vec<At>,
    pub variants: Vec<(Arc<str>, Vec<At>)>,
}

/// One occurrence: its position among the page's words, and its weight.
pub type At = (u32, u8);

impl Positions {
    fn push(&mut self, at: (u32, u8), original: Option<&Arc<str>>) {
        let Some(form) = original else {
            self.plain.push(at);
            return;
        };
        match self
            .variants
            .iter_mut()
            .find(|(f, _)| Arc::ptr_eq(f, form) || f == form)
        {
            Some((_, v)) => v.push(at),
            None => self.variants.push((Arc::clone(form), vec![at])),
        }
    }
}

/// One occurrence of a word in a metadata field.
#[derive(Debug, Clone)]
pub struct MetaPosition {
    /// The field's rank among the page's field names (sorted).
    pub field: u16,
    pub position: u32,
    pub original: Option<Arc<str>>,
}

/// A page's anchors' JSON as it is written: packed (LZ4) a megabyte at a
/// time, so that a page of 180,000 anchors does not hold 20 MB of it; a
/// page with less is never packed.
#[derive(Default)]
struct AnchorJson {
    packed: Option<crate::pack::Packer>,
    pending: Vec<u8>,
}

impl AnchorJson {
    fn push_bytes(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= crate::pack::Packed::BLOCK {
            let packer = self.packed.get_or_insert_with(Default::default);
            packer.push_bytes(&self.pending);
            self.pending.clear();
        }
    }

    /// Writes it all to `json`, in pieces no larger than its buffer.
    fn write_to(self, json: &mut FragmentWriter) -> Result<(), String> {
        if let Some(packer) = self.packed {
            for block in packer.finish().blocks() {
                for piece in block?.chunks(1 << 16) {
                    json.raw(piece)?;
                }
            }
        }
        for piece in self.pending.chunks(1 << 16) {
            json.raw(piece)?;
        }
        Ok(())
    }
}

/// An anchor of a fragment, as Pagefind writes it.
#[derive(Serialize)]
struct Anchor<'a> {
    element: &'a str,
    id: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    location: u32,
}

/// A page's fragment: what the search page shows of it, as its file
/// (Pagefind's JSON, `url`, `content`, `word_count`, `filters`, `meta`,
/// `anchors`, gzipped: see [`FragmentWriter`]), and what the index reads
/// of it.
#[derive(Debug)]
pub struct Fragment {
    /// `<language>_<SHA-1 of the JSON>`.
    pub name: String,
    pub file: Vec<u8>,
    pub word_count: usize,
    pub filters: BTreeMap<String, Vec<String>>,
    pub meta: BTreeMap<String, String>,
}

/// A page ready to be merged into the index.
pub struct Page {
    pub fragment: Fragment,
    /// The words of its text, packed as the index holds them.
    pub words: HashMap<String, super::pagefind_format::PackedWord>,
    pub meta_words: HashMap<String, Vec<MetaPosition>>,
    pub sort: BTreeMap<String, String>,
    pub has_body: bool,
}

const WEIGHT_SCALE: f32 = 24.0;
const WEIGHT_MAX: f32 = 10.0;

fn marker_weight(s: &str) -> f32 {
    s.parse::<f32>().unwrap_or(1.0)
}

/// Reads a parsed page word by word: its text, its words with their
/// positions and weights, its anchors, its metadata's words.
pub fn digest(
    parsed: Parsed,
    url: String,
    language: &str,
    stemmer: Option<&Stemmer>,
) -> Result<Page, String> {
    let Parsed {
        digest: text,
        filters,
        meta,
        sort,
        mut anchor_text,
        anchor_titles,
        has_body,
    } = parsed;
    // the anchors' JSON, written as they come and packed (LZ4): a page of
    // 50,000 notes has 180,000 anchors, 20 MB of JSON
    let mut anchors = AnchorJson::default();
    let mut any_anchor = false;
    let mut scratch = Vec::new();
    // the fragment's JSON, its text written word by word
    let mut json = FragmentWriter::new()?;
    json.raw(b"{\"url\":")?;
    json.json(&url)?;
    json.raw(b",\"content\":\"")?;
    let mut first = true;
    let mut index: usize = 0;
    let mut last_index = 0;
    let mut weights: Vec<u8> = vec![WEIGHT_SCALE as u8];
    // (most pages hold no zero-width space: one look for the whole text)
    let zero_width = memchr::memmem::find(text.as_bytes(), "\u{200B}".as_bytes()).is_some();
    // the page's words: (stem number, occurrences)
    let mut entries: Vec<(u32, Positions)> = Vec::new();
    let words = words::with_splits(language, |splits| -> Result<_, String> {
        let page = splits.page();
        for word in words::words_of(&text) {
            if word.starts_with('_') {
                if let Some(rest) = word.strip_prefix(ANCHOR) {
                    let rest = rest.replace(ANCHOR, "");
                    if let Some((element, anchor)) = rest.split_once(':') {
                        if let Some((n, id)) = anchor.split_once(':') {
                            // the anchor numbered `n`, if it has this id (its
                            // text taken: a large page's anchors hold as much
                            // text as the page)
                            let n = n.parse::<u32>().ok();
                            let own = n.and_then(|n| {
                                anchor_text
                                    .get_mut(n as usize)
                                    .filter(|a| a.id == id)
                                    .map(|a| (n, std::mem::take(&mut a.text)))
                            });
                            let title = own.as_ref().and_then(|(n, _)| anchor_titles.get(n));
                            // (normalised when its element ended; normalised
                            // text holding no `&` is normalised again as it is)
                            let text = own.map(|(_, t)| t).unwrap_or_default();
                            let text = if text.contains('&') {
                                normalize_content(&text)
                            } else {
                                text
                            };
                            if std::mem::replace(&mut any_anchor, true) {
                                anchors.push_bytes(b",");
                            }
                            let anchor = Anchor {
                                element,
                                id,
                                text: &text,
                                title: title.map(String::as_str),
                                location: index as u32,
                            };
                            scratch.clear();
                            serde_json::to_writer(&mut scratch, &anchor)
                                .map_err(|e| format!("cannot encode the search index: {e}"))?;
                            anchors.push_bytes(&scratch);
                        }
                    }
                    continue;
                }
                if let Some(rest) = word.strip_prefix(WEIGHT) {
                    let w = marker_weight(&rest.replace(WEIGHT, ""));
                    weights.push(if w <= 0.0 {
                        0
                    } else {
                        ((w.clamp(0.0, WEIGHT_MAX) * WEIGHT_SCALE) as u8).max(1)
                    });
                    continue;
                }
                if let Some(rest) = word.strip_prefix(AUTO_WEIGHT) {
                    let w = if weights.len() == 1 {
                        (marker_weight(&rest.replace(AUTO_WEIGHT, "")).clamp(0.0, WEIGHT_MAX)
                            * WEIGHT_SCALE) as u8
                    } else {
                        weights.last().copied().unwrap_or_default()
                    };
                    weights.push(w);
                    continue;
                }
                if word.starts_with(END_WEIGHT) {
                    weights.pop();
                    continue;
                }
            }
            let base: std::borrow::Cow<str> = if zero_width && word.contains('\u{200B}') {
                word.replace('\u{200B}', "").into()
            } else {
                word.into()
            };
            if base.is_empty() {
                continue;
            }
            if !first {
                json.raw(b" ")?;
            }
            first = false;
            json.escaped(&base)?;
            let weight = weights.last().copied().unwrap_or(1);
            let (cached, marks) = splits.get(&base, stemmer);
            let split = &cached.split;
            let parts = split
                .words
                .iter()
                .chain(&split.tails)
                .filter(|w| w.compound_part)
                .count();
            let part_weight = if parts > 0 && weight > 0 {
                (weight / u8::try_from(parts).unwrap_or(u8::MAX)).max(1)
            } else {
                0
            };
            // (each stem's mark: this page and its place in `entries`)
            for (w, &n) in split
                .words
                .iter()
                .chain(&split.tails)
                .zip(cached.ids.iter())
            {
                let weight = if w.compound_part { part_weight } else { weight };
                let at = (index as u32, weight);
                let Some(mark) = marks.get_mut(n as usize) else {
                    continue;
                };
                match *mark {
                    (p, k) if p == page => {
                        if let Some((_, p)) = entries.get_mut(k as usize) {
                            p.push(at, w.original.as_ref());
                        }
                    }
                    _ => {
                        let mut p = Positions::default();
                        p.push(at, w.original.as_ref());
                        *mark = (page, u32::try_from(entries.len()).unwrap_or(u32::MAX));
                        entries.push((n, p));
                    }
                }
            }
            last_index = index;
            index += 1;
        }
        // the words by stem, packed
        Ok(super::pagefind_format::pack_words(
            entries.len(),
            entries.into_iter().map(|(n, p)| (splits.stem(n), p)),
        ))
    })?;
    drop(text);
    drop(anchor_text);
    let word_count = last_index + 1;
    json.raw(format!("\",\"word_count\":{word_count},\"filters\":").as_bytes())?;
    json.json(&filters)?;
    json.raw(b",\"meta\":")?;
    json.json(&meta)?;
    // (the list as serde_json writes one, its pieces no larger than the
    // writer's buffer)
    json.raw(b",\"anchors\":[")?;
    anchors.write_to(&mut json)?;
    json.raw(b"]}")?;
    let (name, file) = json.finish(language)?;
    let meta_words = meta_words(&meta, language, stemmer);
    Ok(Page {
        fragment: Fragment {
            name,
            file,
            word_count,
            filters,
            meta,
        },
        words,
        meta_words,
        sort,
        has_body,
    })
}

/// The words of the metadata fields, by field (in name order) and position.
fn meta_words(
    meta: &BTreeMap<String, String>,
    language: &str,
    stemmer: Option<&Stemmer>,
) -> HashMap<String, Vec<MetaPosition>> {
    let mut map: HashMap<String, Vec<MetaPosition>> = HashMap::default();
    for (field, value) in meta.values().enumerate() {
        for (position, word) in value.split_whitespace().enumerate() {
            let split = words::split(word, language, stemmer);
            for Indexable { stem, original, .. } in &split.words {
                map.entry(stem.clone()).or_default().push(MetaPosition {
                    field: field as u16,
                    position: position as u32,
                    original: original.clone(),
                });
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fragment and words of a page parsed in pieces of `size` bytes.
    fn indexed(html: &str, size: usize) -> (String, Vec<u8>, String) {
        let parsed = parse_pieces(&mut html.as_bytes(), size).expect("parse");
        let stemmer = words::stemmer("fr");
        let page = digest(parsed, "/t/".into(), "fr", stemmer.as_ref()).expect("digest");
        let mut words: Vec<String> = page.words.iter().map(|w| format!("{w:?}")).collect();
        words.sort();
        let meta = format!(
            "{:?} {:?} {words:?}",
            page.fragment.filters, page.fragment.meta
        );
        (page.fragment.name, page.fragment.file, meta)
    }

    /// A page read a few bytes at a time (tags cut across pieces, or
    /// whole inside a later piece) is indexed as when it is read whole.
    #[test]
    fn a_page_read_in_pieces_is_indexed_as_a_whole_one() {
        let html = "<html><head><title>T</title>\
            <meta data-pagefind-meta=\"kind:texte\"></head>\
            <body><main id=\"main\" data-pagefind-body><h1 id=\"t\">Mariátegui</h1>\
            <p id=\"p-1\" data-pagefind-filter=\"langue:fr\">José Carlos <em>Mariátegui</em> écrit.</p>\
            <p data-pagefind-weight=\"3\" id=\"p-2\">Humbert-Droz, <a id=\"c\" href=\"#n\">1</a>.</p>\
            <div data-pagefind-ignore><p id=\"x\">caché</p></div>\
            <section id=\"notes\"><div id=\"n-1\" data-pagefind-meta=\"note:1\">Une note.</div></section>\
            </main></body></html>";
        let whole = indexed(html, html.len() + 1);
        assert!(whole.2.contains("langue"), "{}", whole.2);
        for size in (1..=40).chain((41..html.len()).step_by(7)) {
            assert_eq!(indexed(html, size), whole, "pieces of {size} bytes");
        }
    }
}
