//! The TEI P5 renderer, beside the HTML one: for each edition text a TEI
//! document (`<text URL>/tei.xml`), and for the register a `listPerson`
//! (`<persons page>/register.xml`) with CSV and JSON copies
//! (`register.csv`, `register.json`); also each text's JSON-LD
//! (schema.org), embedded in its page.
//!
//! The TEI body is made by its own walk over pulldown-cmark's events, with
//! the rules of `markup/` (and its helpers: CriticMarkup splitting, parallel
//! markers, note identities, quotation marks and French spacing), so that
//! the TEI's reading text is the HTML's (see `tests/tei.rs`).
//! Every string goes through quick-xml's escaping, after characters that
//! XML 1.0 forbids are replaced by U+FFFD.

use crate::config::{Config, NotesBy};
use crate::content::{Kind, Page, Person};
use crate::edition::{Edition, Entry};
use crate::markup::{
    block_end, emend, french_spacing, link_text, marker_of, note_identity, smart_quote, Ev, Marker,
    Series,
};
use crate::output::SiteFile;
use crate::register_data::{localized, Columns};
use crate::version::Version;
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event as X};
use std::collections::{BTreeSet, HashMap};

const TEI_NS: &str = "http://www.tei-c.org/ns/1.0";
/// The file name of a text's TEI document, in its page's folder.
pub const TEXT_FILE: &str = "tei.xml";
/// The register's files, in the person index's folder.
pub const REGISTER_FILES: [&str; 3] = ["register.xml", "register.csv", "register.json"];

/// The register's entries by id, as [`text_tei`] reads them.
pub fn persons_by_id(ed: &Edition) -> HashMap<&str, &Person> {
    ed.register
        .iter()
        .map(|p| (p.id.get_ref().as_str(), p))
        .collect()
}

/// The language of the declared registers' entries that give one
/// (`lang`), by register id and entry id: their mentions carry it.
pub type EntryLangs<'a> = HashMap<(&'a str, &'a str), &'a str>;

/// The [`EntryLangs`] of the edition (tags `check` refuses are left out).
pub fn entry_langs(ed: &Edition) -> EntryLangs<'_> {
    ed.registers
        .iter()
        .flat_map(|r| {
            r.entries.iter().filter_map(|p| {
                let lang = p.lang.as_deref().filter(|l| crate::lang::is_known(l))?;
                Some(((r.decl.id.as_str(), p.id.get_ref().as_str()), lang))
            })
        })
        .collect()
}

/// A text's TEI document as a file of the site (`None` for other pages).
/// The engine makes it with the text's page, as part of the same unit, so
/// that a rebuild makes it again only when the page is rendered again.
pub fn text_file(
    config: &Config,
    entry: &Entry,
    version: &Version,
    persons: &HashMap<&str, &Person>,
    langs: &EntryLangs,
) -> Option<SiteFile> {
    (entry.page.front.kind == Kind::Text).then(|| SiteFile {
        path: text_path(&entry.page.url),
        bytes: text_tei(config, entry, version, persons, langs).into_bytes(),
    })
}

/// The register's three files (TEI, CSV, JSON) when it has entries.
pub fn register_files(config: &Config, ed: &Edition, version: &Version) -> Vec<SiteFile> {
    if ed.register.is_empty() && ed.registers.iter().all(|r| r.entries.is_empty()) {
        return Vec::new();
    }
    let dir = persons_dir(config);
    let [xml, csv, json] = REGISTER_FILES;
    vec![
        SiteFile {
            path: format!("{dir}{xml}"),
            bytes: register_tei_with(config, &ed.register, &ed.registers, version).into_bytes(),
        },
        SiteFile {
            path: format!("{dir}{csv}"),
            bytes: crate::register_data::csv(config, &ed.register, Columns::Persons).into_bytes(),
        },
        SiteFile {
            path: format!("{dir}{json}"),
            bytes: crate::register_data::json(config, &ed.register, Columns::Persons).into_bytes(),
        },
    ]
}

/// The output path of a text's TEI document (`paris-1978/tei.xml`).
pub fn text_path(url: &str) -> String {
    let decoded = crate::content::decode_url_path(url);
    let dir = decoded.trim_start_matches('/');
    if dir.is_empty() || dir.ends_with('/') {
        format!("{dir}{TEXT_FILE}")
    } else {
        format!("{dir}/{TEXT_FILE}")
    }
}

/// The person index's folder in the output (`personnes/`).
fn persons_dir(config: &Config) -> String {
    let p = config.persons_page.trim_matches('/');
    if p.is_empty() {
        String::new()
    } else {
        format!("{p}/")
    }
}

/// The `xml:id` of an entry of declared register `scheme` in register.xml
/// (`org-ic`): the person register's ids are bare, the others' prefixed.
pub fn entry_xml_id(scheme: &str, id: &str) -> String {
    format!("{scheme}-{id}")
}

/// The TEI list, entry and name elements of a register whose mentions are
/// `tei` elements: `orgName` → `listOrg`/`org`, `placeName` →
/// `listPlace`/`place`, `title` → `listBibl`/`bibl`, any other → `list`/`item`.
fn list_elements(tei: &str) -> (&'static str, &'static str) {
    match tei {
        "orgName" => ("listOrg", "org"),
        "placeName" => ("listPlace", "place"),
        "title" => ("listBibl", "bibl"),
        _ => ("list", "item"),
    }
}

/// The register entry's `xml:id`: the register id, which must be an XML
/// name; one starting with a digit gets a leading `_` (a character register
/// ids never contain, so no two ids meet).
pub fn person_xml_id(id: &str) -> String {
    if id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        id.to_string()
    } else {
        format!("_{id}")
    }
}

/// Characters that XML 1.0 forbids (C0 controls but tab, line feed and
/// carriage return; U+FFFE, U+FFFF) become U+FFFD.
fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
    };
    if s.contains(bad) {
        s.replace(bad, "\u{FFFD}").into()
    } else {
        s.into()
    }
}

/// An XML document being written, every text and attribute escaped by quick-xml.
struct Xml {
    w: quick_xml::Writer<Vec<u8>>,
}

impl Xml {
    fn new() -> Xml {
        Xml {
            w: quick_xml::Writer::new(Vec::new()),
        }
    }

    fn event(&mut self, e: X<'_>) {
        // writing into a Vec cannot fail
        let _ = self.w.write_event(e);
    }

    fn start(name: &str, attrs: &[(&str, &str)]) -> BytesStart<'static> {
        let mut e = BytesStart::new(name.to_string());
        for (k, v) in attrs {
            e.push_attribute((*k, clean(v).as_ref()));
        }
        e
    }

    fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.event(X::Start(Self::start(name, attrs)));
    }

    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.event(X::Empty(Self::start(name, attrs)));
    }

    fn close(&mut self, name: &str) {
        self.event(X::End(BytesEnd::new(name)));
    }

    fn text(&mut self, s: &str) {
        if !s.is_empty() {
            // `'` and `"` need no escaping in text (attributes escape them)
            let c = clean(s);
            self.event(X::Text(BytesText::from_escaped(
                quick_xml::escape::partial_escape(c.as_ref()),
            )));
        }
    }

    /// `<name attrs>text</name>`, left out when `text` is empty.
    fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        if text.trim().is_empty() {
            return;
        }
        self.open(name, attrs);
        self.text(text);
        self.close(name);
    }

    fn nl(&mut self) {
        self.text("\n");
    }

    fn into_string(self) -> String {
        String::from_utf8(self.w.into_inner()).unwrap_or_default()
    }
}

/// Whether `s` is a W3C date (`1891`, `1927-06`, `1927-06-15`), as
/// `@when` requires.
fn w3c_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [y] => digits(y, 4),
        [y, m] => digits(y, 4) && digits(m, 2) && ("01"..="12").contains(m),
        [y, m, d] => {
            digits(y, 4)
                && digits(m, 2)
                && digits(d, 2)
                && ("01"..="12").contains(m)
                && ("01"..="31").contains(d)
        }
        _ => false,
    }
}

fn page_lang(config: &Config, page: &Page) -> String {
    page.front
        .lang
        .clone()
        .unwrap_or_else(|| config.language.clone())
}

/// The agents of the edition: `#editor-1 #editor-2`.
fn editor_refs(config: &Config) -> String {
    (1..=config.editors.len())
        .map(|i| format!("#editor-{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `publicationStmt`: the edition as publisher, its URL, version (git
/// commit) and date, and its licence when the edition states one.
fn publication_stmt(x: &mut Xml, config: &Config, version: &Version, url: &str) {
    x.open("publicationStmt", &[]);
    x.leaf("publisher", &[], &config.title);
    if !config.base_url.is_empty() {
        let full = format!(
            "{}{}",
            config.base_url,
            url.trim_start_matches('/').replace(' ', "%20")
        );
        x.leaf("idno", &[("type", "URI")], &full);
    }
    if !version.commit.is_empty() {
        x.leaf("idno", &[("type", "git-commit")], &version.commit);
    }
    if let Some(license) = config.license.as_deref().filter(|l| !l.trim().is_empty()) {
        x.open("availability", &[]);
        match config
            .license_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
        {
            Some(u) => x.open("licence", &[("target", &u.replace(' ', "%20"))]),
            None => x.open("licence", &[]),
        }
        x.text(license);
        x.close("licence");
        x.close("availability");
    }
    if w3c_date(&version.date) {
        x.leaf("date", &[("when", &version.date)], &version.date);
    } else if let Some(y) = config.edition_year.as_deref() {
        x.leaf("date", &[], y);
    }
    x.close("publicationStmt");
}

fn tei_open(x: &mut Xml, lang: &str) {
    x.event(X::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    x.nl();
    x.open("TEI", &[("xmlns", TEI_NS), ("xml:lang", lang)]);
    x.nl();
}

/// What the TEI says of its own encoding: the same for every apparat edition.
fn encoding_desc(x: &mut Xml, config: &Config) {
    x.open("encodingDesc", &[]);
    if !config.description.trim().is_empty() {
        x.open("projectDesc", &[]);
        x.leaf("p", &[("xml:lang", &config.language)], &config.description);
        x.close("projectDesc");
    }
    x.open("editorialDecl", &[]);
    x.open("correction", &[]);
    x.leaf("p", &[("xml:lang", "en")], "Emendations of the printed source are encoded as choice: sic holds the reading of the source, corr the edition's correction of an error of the source or of its transcription (a correction, not a regularisation of the author's own usage: hence sic and corr rather than orig and reg); an empty corr marks a deletion. Words supplied by the editors are in supplied. The author's own interventions in square brackets ([sic], [recte: …], […], initialled additions) are kept as printed, as plain text.");
    x.close("correction");
    x.open("normalization", &[]);
    x.leaf("p", &[("xml:lang", "en")], "Straight quotation marks of the transcription are given in the typography of each passage's language; in French, the space before high punctuation is a no-break space.");
    x.close("normalization");
    x.open("segmentation", &[]);
    x.leaf("p", &[("xml:lang", "en")], "Each top-level block of a text (paragraph, quotation, list, table, parallel passage) is numbered as in the edition: @n is its § number, @xml:id is p-N; a block that continues the paragraph before it (after a quotation set apart, say) keeps that paragraph's @n, has the @xml:id p-N-2, p-N-3… and points to the part it continues with @prev. Notes keep their printed labels in @n and are placed where they are first called; further calls are ptr elements. Parallel passages are a cit of two quote elements (original and translation), aligned segment by segment (seg), the pairs linked by a linkGrp of type translation.");
    x.close("segmentation");
    x.open("interpretation", &[]);
    x.leaf("p", &[("xml:lang", "en")], "Mentions of persons are persName elements whose @ref points to the register's person/@xml:id; @type is pseudonym or variant when the printed form is one the register lists as such. Passages in another language are foreign with @xml:lang; an editorial gloss follows as gloss, pointing to its passage.");
    if !config.registers.is_empty() {
        let kinds: Vec<String> = config
            .registers
            .iter()
            .map(|r| format!("{} ({})", r.tei_element(), r.id))
            .collect();
        x.leaf(
            "p",
            &[("xml:lang", "en")],
            &format!(
                "Mentions of the edition's other registers are {} elements whose @ref points to the entry's @xml:id (the register's id, a hyphen and the entry's id) in the register's list.",
                kinds.join(", ")
            ),
        );
    }
    x.close("interpretation");
    x.close("editorialDecl");
    x.close("encodingDesc");
}

/// A text's TEI document.
pub fn text_tei(
    config: &Config,
    entry: &Entry,
    version: &Version,
    persons: &HashMap<&str, &Person>,
    langs: &EntryLangs,
) -> String {
    let mut out = Vec::new();
    // (writing into a Vec cannot fail)
    let _ = write_text_tei(config, entry, version, persons, langs, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// [`text_tei`] written to `out`: the body is held once (never copied into
/// the whole document), for texts too large to hold twice.
pub fn write_text_tei(
    config: &Config,
    entry: &Entry,
    version: &Version,
    persons: &HashMap<&str, &Person>,
    langs: &EntryLangs,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let page = &entry.page;
    let lang = page_lang(config, page);
    let depth = crate::content::decode_url_path(&page.url)
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .count();
    let register_url = format!(
        "{}{}{}",
        "../".repeat(depth),
        crate::content::encode_url_path(&persons_dir(config)),
        REGISTER_FILES[0]
    );
    let editors = editor_refs(config);
    let author_ref = if page.front.author.trim().is_empty() {
        String::new()
    } else {
        "#author-1".to_string()
    };
    let author_resp = match config.numbered_notes {
        NotesBy::Author => author_ref.clone(),
        NotesBy::Editor | NotesBy::Translator => editors.clone(),
    };
    let src = page.body();
    let mut body = Body {
        src: &src,
        x: Xml::new(),
        defs: HashMap::new(),
        calls: HashMap::new(),
        para: 0,
        parts: 0,
        cont: false,
        title_note: page.front.title_note.clone(),
        lang: lang.clone(),
        lang_stack: Vec::new(),
        links: Vec::new(),
        registers: &config.registers,
        emendations: 0,
        foreign: 0,
        glossed: 0,
        parallels: 0,
        divs: Vec::new(),
        persons,
        entry_langs: langs,
        register_url,
        resp: (author_resp, editors.clone()),
        langs: BTreeSet::new(),
        translation_langs: false,
        pack: crate::pack::is_large(src.len()).then(crate::pack::Packer::default),
    };
    body.langs.insert(lang.clone());
    body.run();
    body.spill(true);
    let Body {
        x: body_xml,
        langs,
        translation_langs,
        pack,
        ..
    } = body;

    let mut x = Xml::new();
    tei_open(&mut x, &lang);
    x.open("teiHeader", &[]);
    x.open("fileDesc", &[]);
    x.open("titleStmt", &[]);
    x.leaf("title", &[("type", "main")], &page.front.title);
    x.leaf("title", &[("type", "sub")], &page.front.subtitle);
    x.leaf("author", &[("xml:id", "author-1")], &page.front.author);
    for (i, e) in config.editors.iter().enumerate() {
        x.leaf("editor", &[("xml:id", &format!("editor-{}", i + 1))], e);
    }
    if !config.editors.is_empty() {
        let mut roles = vec!["transcription", "annotation"];
        if translation_langs {
            roles.push("translation");
        }
        for role in roles {
            x.open("respStmt", &[]);
            x.leaf("resp", &[("xml:lang", "en")], role);
            for (i, e) in config.editors.iter().enumerate() {
                x.leaf("name", &[("ref", &format!("#editor-{}", i + 1))], e);
            }
            x.close("respStmt");
        }
    }
    x.close("titleStmt");
    publication_stmt(&mut x, config, version, &format!("{}{TEXT_FILE}", page.url));
    x.open("sourceDesc", &[]);
    source_bibl(&mut x, page);
    x.close("sourceDesc");
    x.close("fileDesc");
    encoding_desc(&mut x, config);
    x.open("profileDesc", &[]);
    x.open("langUsage", &[]);
    for l in &langs {
        x.leaf("language", &[("ident", l)], &config.ui().language_name(l));
    }
    x.close("langUsage");
    x.close("profileDesc");
    x.close("teiHeader");
    x.nl();
    x.open("text", &[]);
    x.open("body", &[]);
    x.nl();
    out.write_all(&x.w.into_inner())?;
    match pack {
        Some(p) => {
            for block in p.finish().blocks() {
                out.write_all(&block.map_err(std::io::Error::other)?)?;
            }
        }
        None => out.write_all(&body_xml.w.into_inner())?,
    }
    let mut x = Xml::new();
    x.close("body");
    x.close("text");
    x.nl();
    x.close("TEI");
    x.nl();
    out.write_all(&x.w.into_inner())
}

/// The printed source as a `biblStruct` (an article or chapter in its
/// container: `analytic` and `monogr`), or a statement that the text has
/// none recorded.
fn source_bibl(x: &mut Xml, page: &Page) {
    let Some(src) = &page.front.source else {
        x.leaf(
            "p",
            &[("xml:lang", "en")],
            "No printed source is recorded for this text.",
        );
        return;
    };
    let title = if src.title.trim().is_empty() {
        &page.front.title
    } else {
        &src.title
    };
    let author = &page.front.author;
    x.open("biblStruct", &[]);
    let has_container = !src.container.trim().is_empty() && src.container != *title;
    if has_container {
        x.open("analytic", &[]);
        x.leaf("author", &[], author);
        x.leaf("title", &[("level", "a")], title);
        x.close("analytic");
    }
    x.open("monogr", &[]);
    if has_container {
        x.leaf("title", &[], &src.container);
    } else {
        x.leaf("author", &[], author);
        x.leaf("title", &[], title);
    }
    if !src.lang.trim().is_empty() {
        x.empty("textLang", &[("mainLang", &src.lang)]);
    }
    x.open("imprint", &[]);
    x.leaf("pubPlace", &[], &src.place);
    x.leaf("publisher", &[], &src.publisher);
    let date = if src.date.trim().is_empty() {
        &src.year
    } else {
        &src.date
    };
    if w3c_date(date) {
        x.leaf("date", &[("when", date)], date);
    } else if !date.trim().is_empty() {
        x.leaf("date", &[], date);
    } else if src.place.trim().is_empty() && src.publisher.trim().is_empty() {
        // an imprint needs a child: an empty date says it is unknown
        x.empty("date", &[]);
    }
    x.close("imprint");
    x.leaf("biblScope", &[("unit", "chapter")], &src.chapter);
    x.leaf("biblScope", &[("unit", "page")], &src.pages);
    x.close("monogr");
    x.leaf("note", &[], &src.note);
    x.close("biblStruct");
}

enum Link<'r> {
    Plain,
    /// A mention of a person, with its gloss (text, id of the mention).
    Person(Option<(String, String)>),
    /// A mention of a declared register: its TEI element, and its gloss.
    Register(&'r str, Option<(String, String)>),
    Lang {
        gloss: Option<String>,
        id: String,
    },
    Image,
}

/// The walk over a text's body.
struct Body<'a, 'p> {
    src: &'a str,
    x: Xml,
    defs: HashMap<String, Vec<Ev<'a>>>,
    /// calls seen so far, per label
    calls: HashMap<String, usize>,
    para: u32,
    /// parts of the current § (1 + its continuations)
    parts: u32,
    /// the next top-level block continues the current §
    cont: bool,
    /// the note called from the title (`title_note`)
    title_note: Option<String>,
    lang: String,
    lang_stack: Vec<String>,
    links: Vec<Link<'p>>,
    /// The registers declared beside the person register.
    registers: &'p [crate::config::RegisterDecl],
    emendations: usize,
    foreign: usize,
    /// Mentions with a gloss so far (their ids, `g-N`).
    glossed: usize,
    parallels: usize,
    /// heading levels of the open `div`s
    divs: Vec<u8>,
    persons: &'p HashMap<&'p str, &'p Person>,
    /// The language of register entries' names (`xml:lang` on their mentions).
    entry_langs: &'p EntryLangs<'p>,
    register_url: String,
    /// `@resp` of the author's (numbered) notes, of the editorial notes
    resp: (String, String),
    /// languages used, for `langUsage`
    langs: BTreeSet<String>,
    translation_langs: bool,
    /// A large body's XML, packed as it is written (the header, written
    /// first, needs what the whole body uses).
    pack: Option<crate::pack::Packer>,
}

impl<'a> Body<'a, '_> {
    /// Passes the XML written so far to the packer, if the body is packed,
    /// once there is a block of it.
    fn spill(&mut self, all: bool) {
        if let Some(p) = &mut self.pack {
            let buf = self.x.w.get_mut();
            if all || buf.len() >= crate::pack::Packed::BLOCK {
                p.push_bytes(buf);
                buf.clear();
            }
        }
    }

    fn current_lang(&self) -> &str {
        self.lang_stack
            .last()
            .map(String::as_str)
            .unwrap_or(&self.lang)
    }

    fn run(&mut self) {
        // the note definitions, out of the flow (as in markup/), then the
        // body block by block (`markup/flow.rs`)
        let mut defs = HashMap::new();
        let mut blocks = crate::markup::flow::first_pass(
            self.src,
            |label, _, inner| {
                defs.entry(label).or_insert(inner);
            },
            |_, _| {},
        );
        self.defs = defs;
        let mut wrote = false;
        // the note called from the title opens the body, as in the HTML
        if let Some(label) = self.title_note.clone() {
            self.call(&label);
            self.x.nl();
        }
        while let Some(end) = blocks.next_end() {
            let marker = marker_of(self.src, &blocks.buffered()[..end]);
            if marker == Some(Marker::Continue) {
                self.cont = true;
                blocks.consume(end);
                continue;
            }
            if matches!(marker, Some(Marker::Open | Marker::OpenContinued)) {
                self.cont |= marker == Some(Marker::OpenContinued);
                blocks.read_parallel(self.src);
                if let Some(consumed) = self.parallel(blocks.buffered()) {
                    blocks.consume(consumed);
                    wrote = true;
                    self.spill(false);
                    continue;
                }
            }
            wrote |= self.top_block(&blocks.buffered()[..end]);
            blocks.consume(end);
            self.spill(false);
        }
        while self.divs.pop().is_some() {
            self.x.close("div");
            self.x.nl();
        }
        if !wrote {
            self.x.empty("p", &[]);
            self.x.nl();
        }
    }

    /// A top-level block; whether it wrote anything.
    fn top_block(&mut self, block: &[Ev<'a>]) -> bool {
        let Some((first, _)) = block.first() else {
            return false;
        };
        let numbered = matches!(
            first,
            Event::Start(Tag::Paragraph)
                | Event::Start(Tag::BlockQuote(_))
                | Event::Start(Tag::List(_))
                | Event::Start(Tag::Table(_))
        );
        if numbered {
            let (n, id, prev) = self.number();
            let mut attrs = vec![("n", n.as_str()), ("xml:id", id.as_str())];
            if let Some(prev) = &prev {
                attrs.push(("prev", prev.as_str()));
            }
            self.block(block, &attrs);
            self.x.nl();
            return true;
        }
        self.cont = false;
        if let Event::Start(Tag::Heading { level, .. }) = first {
            let lvl = *level as u8;
            while self.divs.last().is_some_and(|&l| l >= lvl) {
                self.divs.pop();
                self.x.close("div");
                self.x.nl();
            }
            self.divs.push(lvl);
            self.x.open("div", &[]);
            self.x.nl();
            self.x.open("head", &[]);
            self.inline(&block[1..block.len().saturating_sub(1)]);
            self.x.close("head");
            self.x.nl();
            return true;
        }
        let wrote = self.block(block, &[]);
        if wrote {
            self.x.nl();
        }
        wrote
    }

    /// The § of the top-level block at hand: its number, its id (`p-N`, or
    /// `p-N-K` for the K-th part of a § continued after a block), and for a
    /// continuation the id of the part it continues (`@prev`).
    fn number(&mut self) -> (String, String, Option<String>) {
        if std::mem::take(&mut self.cont) && self.para > 0 {
            let prev = match self.parts {
                1 => format!("#p-{}", self.para),
                k => format!("#p-{}-{k}", self.para),
            };
            self.parts += 1;
            let id = format!("p-{}-{}", self.para, self.parts);
            return (self.para.to_string(), id, Some(prev));
        }
        self.para += 1;
        self.parts = 1;
        (self.para.to_string(), format!("p-{}", self.para), None)
    }

    /// A block (top-level or nested) with the attributes given to its element.
    fn block(&mut self, block: &[Ev<'a>], attrs: &[(&str, &str)]) -> bool {
        let Some((first, _)) = block.first() else {
            return false;
        };
        let inner = &block[1..block.len().saturating_sub(1)];
        match first {
            Event::Start(Tag::Paragraph) => {
                self.x.open("p", attrs);
                self.inline(inner);
                self.x.close("p");
            }
            Event::Start(Tag::BlockQuote(_)) => {
                self.x.open("quote", attrs);
                self.blocks(inner);
                self.x.close("quote");
            }
            Event::Start(Tag::List(start)) => {
                let mut a: Vec<(&str, &str)> = attrs.to_vec();
                if start.is_some() {
                    a.push(("rend", "numbered"));
                }
                self.x.open("list", &a);
                let mut i = 0;
                while i < inner.len() {
                    let end = block_end(inner, i);
                    let item = &inner[i..end];
                    self.x.open("item", &[]);
                    self.item(&item[1..item.len().saturating_sub(1)]);
                    self.x.close("item");
                    i = end;
                }
                self.x.close("list");
            }
            Event::Start(Tag::Table(_)) => {
                self.x.open("table", attrs);
                let mut i = 0;
                while i < inner.len() {
                    let end = block_end(inner, i);
                    let row = &inner[i..end];
                    let head = matches!(row[0].0, Event::Start(Tag::TableHead));
                    if head {
                        self.x.open("row", &[("role", "label")]);
                    } else {
                        self.x.open("row", &[]);
                    }
                    let cells = &row[1..row.len().saturating_sub(1)];
                    let mut j = 0;
                    while j < cells.len() {
                        let cend = block_end(cells, j);
                        self.x.open("cell", &[]);
                        self.inline(&cells[j + 1..cend.saturating_sub(1)]);
                        self.x.close("cell");
                        j = cend;
                    }
                    self.x.close("row");
                    i = end;
                }
                self.x.close("table");
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                let code: String = inner
                    .iter()
                    .filter_map(|(e, _)| match e {
                        Event::Text(t) => Some(t.as_ref()),
                        _ => None,
                    })
                    .collect();
                let mut a: Vec<(&str, &str)> = attrs.to_vec();
                a.push(("type", "code"));
                self.x.open("ab", &a);
                if info.is_empty() {
                    self.x.open("code", &[]);
                } else {
                    self.x.open("code", &[("lang", &info)]);
                }
                self.x.text(&code);
                self.x.close("code");
                self.x.close("ab");
            }
            Event::Rule => self.x.empty("milestone", &[("unit", "section")]),
            Event::Start(Tag::Heading { .. }) => {
                // a heading inside a block: a label
                self.x.open("label", attrs);
                self.inline(inner);
                self.x.close("label");
            }
            // raw HTML and anything else has no TEI form
            _ => return false,
        }
        true
    }

    /// Nested blocks (in a quotation or a list item).
    fn blocks(&mut self, events: &[Ev<'a>]) {
        let mut i = 0;
        while i < events.len() {
            let end = block_end(events, i);
            self.block(&events[i..end], &[]);
            i = end;
        }
    }

    /// A list item: inline content (a tight list) or blocks.
    fn item(&mut self, events: &[Ev<'a>]) {
        let mut i = 0;
        while i < events.len() {
            let end = block_end(events, i);
            let piece = &events[i..end];
            let is_block = matches!(
                piece[0].0,
                Event::Start(
                    Tag::Paragraph
                        | Tag::BlockQuote(_)
                        | Tag::List(_)
                        | Tag::Table(_)
                        | Tag::CodeBlock(_)
                        | Tag::Heading { .. }
                ) | Event::Rule
            );
            if is_block {
                self.block(piece, &[]);
            } else {
                self.inline(piece);
            }
            i = end;
        }
    }

    /// A parallel block; `None` if it is malformed (a build reports it and
    /// writes nothing, so this does not happen in an export).
    fn parallel(&mut self, events: &[Ev<'a>]) -> Option<usize> {
        type Seg<'e> = (Vec<Ev<'e>>, bool);
        let mut i = block_end(events, 0);
        let mut columns: Vec<(String, bool, Vec<Seg<'a>>)> = Vec::new();
        loop {
            if i >= events.len() {
                return None;
            }
            let end = block_end(events, i);
            let block = &events[i..end];
            match marker_of(self.src, block) {
                Some(Marker::Close) => {
                    i = end;
                    break;
                }
                Some(Marker::Column(spec)) => {
                    let mut parts = spec.split_whitespace();
                    let lang = parts.next().unwrap_or("").to_string();
                    let original = parts.next() == Some("original");
                    columns.push((lang, original, Vec::new()));
                }
                Some(_) => return None,
                None => {
                    let col = columns.last_mut()?;
                    let raw = self.src.get(block[0].1.clone()).unwrap_or("");
                    let newpara = raw.trim_start().starts_with('¶');
                    col.2.push((block.to_vec(), newpara));
                }
            }
            i = end;
        }
        if columns.len() != 2
            || columns[0].1 == columns[1].1
            || columns[0].2.len() != columns[1].2.len()
        {
            return None;
        }
        if !columns[0].1 {
            columns.swap(0, 1);
        }
        let (n, id, prev) = self.number();
        self.parallels += 1;
        self.translation_langs = true;
        let key = format!("par{}", self.parallels);
        let count = columns[0].2.len();
        let mut attrs = vec![
            ("type", "parallel"),
            ("n", n.as_str()),
            ("xml:id", id.as_str()),
        ];
        if let Some(prev) = &prev {
            attrs.push(("prev", prev.as_str()));
        }
        self.x.open("cit", &attrs);
        self.x.nl();
        for (c, (lang, original, segs)) in columns.iter().enumerate() {
            let role = if *original { "original" } else { "translation" };
            self.langs.insert(lang.clone());
            let mut attrs = vec![("type", role), ("xml:lang", lang.as_str())];
            let resp = self.resp.1.clone();
            if c == 1 && !resp.is_empty() {
                attrs.push(("resp", &resp));
            }
            self.x.open("quote", &attrs);
            self.x.nl();
            let mut open_p = false;
            for (s, (seg_events, _)) in segs.iter().enumerate() {
                // a new paragraph where either column marks one (as the HTML rows)
                let newpara = columns[0].2[s].1 || columns[1].2[s].1;
                if !open_p || newpara {
                    if open_p {
                        self.x.close("p");
                        self.x.nl();
                    }
                    self.x.open("p", &[]);
                    open_p = true;
                } else {
                    self.x.text("\n");
                }
                let id = format!("{key}-s{}-{role}", s + 1);
                self.x.open("seg", &[("xml:id", &id)]);
                self.lang_stack.push(lang.clone());
                let seg = strip_pilcrow(seg_events);
                match seg.first().map(|e| &e.0) {
                    Some(Event::Start(Tag::Paragraph)) => {
                        self.inline(&seg[1..seg.len().saturating_sub(1)])
                    }
                    _ => self.inline(&seg),
                }
                self.lang_stack.pop();
                self.x.close("seg");
            }
            if open_p {
                self.x.close("p");
                self.x.nl();
            }
            self.x.close("quote");
            self.x.nl();
        }
        self.x.close("cit");
        self.x.nl();
        self.x.open("linkGrp", &[("type", "translation")]);
        for s in 1..=count {
            let target = format!("#{key}-s{s}-original #{key}-s{s}-translation");
            self.x.empty("link", &[("target", &target)]);
        }
        self.x.close("linkGrp");
        self.x.nl();
        Some(i)
    }

    /// Inline events (and, inside a note or a list, whole blocks).
    fn inline(&mut self, events: &[Ev<'a>]) {
        let mut i = 0;
        while i < events.len() {
            let (ev, range) = &events[i];
            match ev {
                Event::Text(_) => {
                    let mut run = String::new();
                    let mut j = i;
                    while let Some((Event::Text(t), r)) = events.get(j) {
                        let typed = self.src.get(r.clone()) == Some("\"");
                        match smart_quote(t, self.current_lang()).filter(|_| typed) {
                            Some(q) => run.push_str(q),
                            None => run.push_str(t),
                        }
                        j += 1;
                    }
                    self.text_run(&run);
                    i = j;
                    continue;
                }
                Event::Code(c) => {
                    self.x.open("code", &[]);
                    self.x.text(c);
                    self.x.close("code");
                }
                Event::SoftBreak => self.x.text("\n"),
                Event::HardBreak => {
                    // as the HTML's `<br />` and its line end
                    self.x.empty("lb", &[]);
                    self.x.text("\n");
                }
                Event::FootnoteReference(label) => self.call(label),
                Event::Start(Tag::Emphasis) => self.x.open("hi", &[("rend", "italic")]),
                Event::Start(Tag::Strong) => self.x.open("hi", &[("rend", "bold")]),
                Event::End(TagEnd::Emphasis | TagEnd::Strong) => self.x.close("hi"),
                Event::Start(Tag::Link {
                    dest_url, title, ..
                }) => self.open_link(dest_url, title, range.start),
                Event::End(TagEnd::Link) => self.close_link(),
                Event::Start(Tag::Image { dest_url, .. }) => {
                    self.x
                        .empty("graphic", &[("url", &dest_url.replace(' ', "%20"))]);
                    self.links.push(Link::Image);
                }
                Event::End(TagEnd::Image) => {
                    self.links.pop();
                }
                Event::Start(Tag::Paragraph) => self.x.open("p", &[]),
                Event::End(TagEnd::Paragraph) => {
                    self.x.close("p");
                }
                Event::Start(
                    Tag::BlockQuote(_)
                    | Tag::List(_)
                    | Tag::Table(_)
                    | Tag::CodeBlock(_)
                    | Tag::Heading { .. },
                ) => {
                    let end = block_end(events, i);
                    self.block(&events[i..end], &[]);
                    i = end;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }

    /// Text with CriticMarkup emendations, typeset as the HTML is.
    fn text_run(&mut self, run: &str) {
        if matches!(self.links.last(), Some(Link::Image)) {
            // an image's description is its `alt`, not text
            return;
        }
        for piece in emend::split(run) {
            match piece {
                emend::Piece::Text(t) => {
                    if self.current_lang().starts_with("fr") {
                        self.x.text(&french_spacing(t));
                    } else {
                        self.x.text(t);
                    }
                }
                emend::Piece::Emend {
                    source, reading, ..
                } => {
                    self.emendations += 1;
                    let id = format!("em-{}", self.emendations);
                    self.x.open("choice", &[("xml:id", &id)]);
                    self.x.open("sic", &[]);
                    self.x.text(source);
                    self.x.close("sic");
                    if reading.is_empty() {
                        self.x.empty("corr", &[]);
                    } else {
                        self.x.open("corr", &[]);
                        self.x.text(reading);
                        self.x.close("corr");
                    }
                    self.x.close("choice");
                }
                emend::Piece::Add { reading, .. } => {
                    self.emendations += 1;
                    let id = format!("em-{}", self.emendations);
                    self.x.open("supplied", &[("xml:id", &id)]);
                    self.x.text(reading);
                    self.x.close("supplied");
                }
                emend::Piece::Bad { .. } => {}
            }
        }
    }

    /// A note call: the note itself at its first call, a pointer to it at the others.
    fn call(&mut self, label: &str) {
        // a note's definition is taken when it is first called (later
        // calls point to it): a long text's notes are not all held to its end
        let def = if self.calls.contains_key(label) {
            Vec::new()
        } else {
            match self.defs.remove(label) {
                Some(def) => def,
                None => return,
            }
        };
        let k = {
            let c = self.calls.entry(label.to_string()).or_default();
            *c += 1;
            *c
        };
        let (series, display, id) = note_identity(label);
        if k > 1 {
            self.x.empty(
                "ptr",
                &[
                    ("type", "noteref"),
                    ("n", &display),
                    ("target", &format!("#{id}")),
                ],
            );
            return;
        }
        let (kind, resp) = match series {
            Series::Author => ("author", self.resp.0.clone()),
            Series::Editorial => ("editorial", self.resp.1.clone()),
        };
        let mut attrs = vec![
            ("xml:id", id.as_str()),
            ("n", display.as_str()),
            ("type", kind),
            ("place", "foot"),
        ];
        if !resp.is_empty() {
            attrs.push(("resp", &resp));
        }
        self.x.open("note", &attrs);
        // notes are in the page's language, whatever passage calls them
        let stack = std::mem::take(&mut self.lang_stack);
        let links = std::mem::take(&mut self.links);
        let single = def
            .iter()
            .filter(|(e, _)| matches!(e, Event::Start(Tag::Paragraph)))
            .count()
            == 1
            && matches!(def.first(), Some((Event::Start(Tag::Paragraph), _)));
        if single {
            self.inline(&def[1..def.len().saturating_sub(1)]);
        } else {
            self.inline(&def);
        }
        self.lang_stack = stack;
        self.links = links;
        self.x.close("note");
    }

    fn open_link(&mut self, dest: &str, title: &str, at: usize) {
        let register = dest.split_once(':').and_then(|(scheme, id)| {
            let r = self.registers.iter().find(|r| r.id == scheme)?;
            Some((r, id.trim()))
        });
        if let Some((r, id)) = register {
            let element = r.tei_element();
            let target = format!("{}#{}", self.register_url, entry_xml_id(&r.id, id));
            let mut attrs = vec![("ref", target.as_str())];
            if let Some(lang) = self.entry_langs.get(&(r.id.as_str(), id)) {
                attrs.push(("xml:lang", lang));
                self.langs.insert(lang.to_string());
            }
            let gloss = self.gloss_of(title);
            if let Some((_, id)) = &gloss {
                attrs.push(("xml:id", id));
            }
            self.x.open(element, &attrs);
            self.links.push(Link::Register(element, gloss));
        } else if let Some(id) = dest.strip_prefix("person:") {
            let id = id.trim();
            let form = link_text(self.src, at);
            let form = form.trim();
            let person = self.persons.get(id);
            let kind = person.and_then(|p| p.form_kind(form));
            // a conjectural identification: the edition does not grade the
            // conjecture it reports (cert="unknown"); the register says whose it is
            let conjectural = person.and_then(|p| p.conjecture_for(form)).is_some();
            let target = format!("{}#{}", self.register_url, person_xml_id(id));
            let mut attrs = vec![("ref", target.as_str())];
            attrs.extend(kind.map(|t| ("type", t)));
            if conjectural {
                attrs.push(("cert", "unknown"));
            }
            let gloss = self.gloss_of(title);
            if let Some((_, id)) = &gloss {
                attrs.push(("xml:id", id));
            }
            self.x.open("persName", &attrs);
            self.links.push(Link::Person(gloss));
        } else if let Some(lang) = dest.strip_prefix("lang:") {
            let lang = lang.trim().to_string();
            self.foreign += 1;
            let id = format!("f-{}", self.foreign);
            self.x
                .open("foreign", &[("xml:lang", &lang), ("xml:id", &id)]);
            self.langs.insert(lang.clone());
            self.lang_stack.push(lang);
            let gloss = (!title.is_empty()).then(|| title.to_string());
            self.links.push(Link::Lang { gloss, id });
        } else {
            self.x
                .open("ref", &[("target", &dest.trim().replace(' ', "%20"))]);
            self.links.push(Link::Plain);
        }
    }

    /// A mention's link title, its gloss, with the id the gloss points to.
    fn gloss_of(&mut self, title: &str) -> Option<(String, String)> {
        if title.trim().is_empty() {
            return None;
        }
        self.glossed += 1;
        Some((title.to_string(), format!("g-{}", self.glossed)))
    }

    /// A gloss after the passage it glosses, in the passage's surrounding
    /// language, pointing to it.
    fn gloss(&mut self, gloss: Option<(String, String)>) {
        if let Some((g, id)) = gloss {
            let lang = self.current_lang().to_string();
            self.x.open(
                "gloss",
                &[("xml:lang", &lang), ("target", &format!("#{id}"))],
            );
            self.x.text(&g);
            self.x.close("gloss");
        }
    }

    fn close_link(&mut self) {
        match self.links.pop() {
            Some(Link::Person(gloss)) => {
                self.x.close("persName");
                self.gloss(gloss);
            }
            Some(Link::Register(element, gloss)) => {
                self.x.close(element);
                self.gloss(gloss);
            }
            Some(Link::Lang { gloss, id }) => {
                self.lang_stack.pop();
                self.x.close("foreign");
                self.gloss(gloss.map(|g| (g, id)));
            }
            Some(Link::Plain) => self.x.close("ref"),
            Some(Link::Image) | None => {}
        }
    }
}

/// A segment without its leading `¶` (as `markup/parallel.rs` shows it).
fn strip_pilcrow<'a>(seg: &[Ev<'a>]) -> Vec<Ev<'a>> {
    let mut v = seg.to_vec();
    for (ev, _) in v.iter_mut() {
        match ev {
            Event::Start(Tag::Paragraph) => continue,
            Event::Text(t) => {
                if let Some(rest) = t.trim_start().strip_prefix('¶') {
                    *ev = Event::Text(rest.trim_start().to_string().into());
                }
                break;
            }
            _ => break,
        }
    }
    v
}

/// A register text (Markdown) in language `lang` as TEI phrases, with the
/// quotation marks of `markup::inline_html`.
fn inline_md(x: &mut Xml, md: &str, lang: &str) {
    let mut paragraphs = 0;
    let parser = Parser::new_ext(md, pulldown_cmark::Options::ENABLE_SMART_PUNCTUATION);
    for (ev, range) in parser.into_offset_iter() {
        match ev {
            Event::Text(t) => match smart_quote(&t, lang).filter(|_| md.get(range) == Some("\"")) {
                Some(q) => x.text(q),
                None => x.text(&t),
            },
            Event::Code(t) => x.text(&t),
            // raw HTML in a register text is text, as the HTML index shows it
            Event::Html(t) | Event::InlineHtml(t) => x.text(&t),
            Event::SoftBreak => x.text("\n"),
            Event::HardBreak => x.empty("lb", &[]),
            Event::Start(Tag::Emphasis) => x.open("hi", &[("rend", "italic")]),
            Event::Start(Tag::Strong) => x.open("hi", &[("rend", "bold")]),
            Event::End(TagEnd::Emphasis | TagEnd::Strong) => x.close("hi"),
            Event::Start(Tag::Paragraph) => {
                if paragraphs > 0 {
                    x.text(" ");
                }
                paragraphs += 1;
            }
            _ => {}
        }
    }
}

/// The register as a TEI `listPerson`.
pub fn register_tei(config: &Config, register: &[Person], version: &Version) -> String {
    register_tei_with(config, register, &[], version)
}

/// The person register as a TEI `listPerson`, followed by each declared
/// register as a `listOrg`, `listPlace`, `listBibl` or `list` (by the TEI
/// element of its mentions).
pub fn register_tei_with(
    config: &Config,
    register: &[Person],
    others: &[crate::edition::RegisterIndex],
    version: &Version,
) -> String {
    let mut x = Xml::new();
    tei_open(&mut x, &config.language);
    x.open("teiHeader", &[]);
    x.open("fileDesc", &[]);
    x.open("titleStmt", &[]);
    x.leaf("title", &[("type", "main")], &config.title);
    x.leaf(
        "title",
        &[("type", "sub")],
        &crate::i18n::t(config.ui(), "persons"),
    );
    for (i, e) in config.editors.iter().enumerate() {
        x.leaf("editor", &[("xml:id", &format!("editor-{}", i + 1))], e);
    }
    x.close("titleStmt");
    publication_stmt(
        &mut x,
        config,
        version,
        &format!("/{}{}", persons_dir(config), REGISTER_FILES[0]),
    );
    x.open("sourceDesc", &[]);
    x.leaf(
        "p",
        &[("xml:lang", "en")],
        "The person register of the edition, compiled by its editors from the texts.",
    );
    x.close("sourceDesc");
    x.close("fileDesc");
    x.close("teiHeader");
    x.nl();
    x.open("text", &[]);
    x.open("body", &[]);
    x.nl();
    x.open("listPerson", &[]);
    x.nl();
    let lang = config.language.as_str();
    for p in register {
        let id = p.id.get_ref();
        x.open("person", &[("xml:id", &person_xml_id(id))]);
        x.nl();
        x.leaf("persName", &[("type", "main")], &p.name);
        x.leaf("persName", &[("type", "sort")], &p.sort);
        for (forms, kind) in [(&p.pseudonyms, "pseudonym"), (&p.variants, "variant")] {
            for f in forms {
                if p.conjecture_for(f).is_some() {
                    x.leaf("persName", &[("type", kind), ("cert", "unknown")], f);
                } else {
                    x.leaf("persName", &[("type", kind)], f);
                }
            }
        }
        for (el, date) in [("birth", &p.born), ("death", &p.died)] {
            if let Some(d) = date.as_deref().filter(|d| !d.trim().is_empty()) {
                if w3c_date(d) {
                    x.leaf(el, &[("when", d)], d);
                } else {
                    x.leaf(el, &[], d);
                }
            }
        }
        for (tag, text) in localized(&p.description, lang) {
            x.open("note", &[("type", "description"), ("xml:lang", tag)]);
            inline_md(&mut x, text.trim(), tag);
            x.close("note");
        }
        if let Some(r) = &p.remark {
            for (tag, text) in localized(r, lang) {
                x.open("note", &[("type", "remark"), ("xml:lang", tag)]);
                inline_md(&mut x, text.trim(), tag);
                x.close("note");
            }
        }
        x.close("person");
        x.nl();
    }
    x.close("listPerson");
    x.nl();
    for r in others {
        other_list(&mut x, config, r);
    }
    x.close("body");
    x.close("text");
    x.nl();
    x.close("TEI");
    x.nl();
    x.into_string()
}

/// A work's authors, editors, the work it is part of, imprint, date and
/// scope, inside its `bibl`.
fn bibl_parts(x: &mut Xml, b: &crate::content::Bibl) {
    for a in &b.authors {
        x.leaf("author", &[], a);
    }
    for e in &b.editors {
        x.leaf("editor", &[], e);
    }
    if let Some((title, level)) = &b.container {
        x.leaf("title", &[("level", level)], title);
    }
    if let Some(place) = &b.place {
        x.leaf("pubPlace", &[], place);
    }
    if let Some(publisher) = &b.publisher {
        x.leaf("publisher", &[], publisher);
    }
    if let Some(date) = &b.date {
        let when: Vec<(&str, &str)> = Some(("when", date.as_str()))
            .filter(|_| w3c_date(date))
            .into_iter()
            .collect();
        x.leaf("date", &when, date);
    }
    for (unit, v) in &b.scope {
        x.leaf("biblScope", &[("unit", unit)], v);
    }
}

/// A declared register's entries as a TEI list (see [`list_elements`]).
fn other_list(x: &mut Xml, config: &Config, r: &crate::edition::RegisterIndex) {
    let element = r.decl.tei_element();
    let (list, item) = list_elements(element);
    x.open(list, &[("type", &r.decl.id)]);
    x.nl();
    x.leaf("head", &[], &r.decl.title_in(config.ui_lang()));
    x.nl();
    let lang = config.language.as_str();
    for p in r.entries.iter() {
        x.open(
            item,
            &[("xml:id", &entry_xml_id(&r.decl.id, p.id.get_ref()))],
        );
        x.nl();
        // the name's language, when the register gives it
        let name_lang: Vec<(&str, &str)> = p
            .lang
            .as_deref()
            .filter(|l| crate::lang::is_known(l))
            .map(|l| ("xml:lang", l))
            .into_iter()
            .collect();
        let level: Vec<(&str, &str)> = p.bibl.iter().map(|b| ("level", b.level)).collect();
        x.leaf(
            element,
            &[&[("type", "main")], &level[..], &name_lang[..]].concat(),
            &p.name,
        );
        if p.sort != p.name {
            x.leaf(element, &[("type", "sort")], &p.sort);
        }
        for f in &p.variants {
            x.leaf(
                element,
                &[&[("type", "variant")], &name_lang[..]].concat(),
                f,
            );
        }
        if let Some(b) = &p.bibl {
            bibl_parts(x, b);
        }
        let dates: Vec<(&str, &str)> = [("from", &p.born), ("to", &p.died)]
            .into_iter()
            .filter_map(|(k, d)| Some((k, d.as_deref().filter(|d| !d.trim().is_empty())?)))
            .collect();
        if !dates.is_empty() {
            let text = format!(
                "{}–{}",
                p.born.as_deref().unwrap_or("?"),
                p.died.as_deref().unwrap_or("")
            );
            let w3c = dates.iter().all(|(_, d)| w3c_date(d));
            match (item, w3c) {
                // an org or a place has no date of its own: a note says it
                ("org" | "place", _) => x.leaf("note", &[("type", "dates")], &text),
                (_, true) => x.leaf("date", &dates, &text),
                (_, false) => x.leaf("date", &[], &text),
            }
        }
        for (tag, text) in localized(&p.description, lang) {
            x.open("note", &[("type", "description"), ("xml:lang", tag)]);
            inline_md(x, text.trim(), tag);
            x.close("note");
        }
        if let Some(rm) = &p.remark {
            for (tag, text) in localized(rm, lang) {
                x.open("note", &[("type", "remark"), ("xml:lang", tag)]);
                inline_md(x, text.trim(), tag);
                x.close("note");
            }
        }
        x.close(item);
        x.nl();
    }
    x.close(list);
    x.nl();
}

/// A text's schema.org description (JSON-LD), ready to be put inside
/// `<script type="application/ld+json">`: `<`, `>` and `&` are written as
/// `\u003c`…, so no `</script>` can end it early.
pub fn json_ld(config: &Config, entry: &Entry, version: &Version) -> String {
    let page = &entry.page;
    let doc = &*entry.document();
    let base = &config.base_url;
    let url = format!("{base}{}", page.url.trim_start_matches('/'));
    let persons = format!(
        "{base}{}",
        crate::content::encode_url_path(&persons_dir(config))
    );
    let mut mentioned: Vec<&str> = Vec::new();
    for m in &doc.mentions {
        if !mentioned.contains(&m.person.as_str()) {
            mentioned.push(&m.person);
        }
    }
    let mentions: Vec<serde_json::Value> = mentioned
        .iter()
        .map(|id| {
            let forms: BTreeSet<&str> = doc
                .mentions
                .iter()
                .filter(|m| m.person == *id)
                .map(|m| m.form.as_str())
                .collect();
            serde_json::json!({
                "@type": "Person",
                "@id": format!("{persons}#{id}"),
                "identifier": id,
                "alternateName": forms,
            })
        })
        .collect();
    let mut v = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "@id": url,
        "url": url,
        "headline": page.front.title,
        "name": page.front.title,
        "inLanguage": page_lang(config, page),
        "isPartOf": {
            "@type": "CreativeWork",
            "name": config.title,
            "url": base,
        },
        "encoding": {
            "@type": "MediaObject",
            "encodingFormat": "application/tei+xml",
            "contentUrl": format!("{url}{TEXT_FILE}"),
        },
        "mentions": mentions,
    });
    let obj = match v.as_object_mut() {
        Some(o) => o,
        None => return String::new(),
    };
    if !page.front.subtitle.is_empty() {
        obj.insert(
            "alternativeHeadline".into(),
            page.front.subtitle.clone().into(),
        );
    }
    if !page.front.author.trim().is_empty() {
        obj.insert(
            "author".into(),
            serde_json::json!({"@type": "Person", "name": page.front.author}),
        );
    }
    if !page.front.description.is_empty() {
        obj.insert("description".into(), page.front.description.clone().into());
    }
    if !config.editors.is_empty() {
        let editors: Vec<serde_json::Value> = config
            .editors
            .iter()
            .map(|e| serde_json::json!({"@type": "Person", "name": e}))
            .collect();
        obj.insert("editor".into(), editors.into());
    }
    if !doc.parallels.is_empty() {
        // the translations are the edition's
        obj.insert(
            "translator".into(),
            serde_json::json!({"@type": "Organization", "name": config.title, "url": base}),
        );
    }
    if let Some(src) = &page.front.source {
        let mut based = serde_json::json!({
            "@type": "CreativeWork",
            "name": if src.title.is_empty() { &page.front.title } else { &src.title },
        });
        if let Some(b) = based.as_object_mut() {
            if !src.container.is_empty() {
                b.insert(
                    "isPartOf".into(),
                    serde_json::json!({"@type": "CreativeWork", "name": src.container}),
                );
            }
            let date = if src.date.is_empty() {
                &src.year
            } else {
                &src.date
            };
            if !date.is_empty() {
                b.insert("datePublished".into(), date.clone().into());
            }
        }
        obj.insert("isBasedOn".into(), based);
    }
    if !version.commit.is_empty() {
        obj.insert("version".into(), version.commit.clone().into());
    }
    let s = serde_json::to_string(&v).unwrap_or_default();
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}
