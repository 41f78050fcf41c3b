//! A page body's top-level blocks, without its note definitions, one block at
//! a time (issue 11: a page of 50,000 notes has millions of parser events).
//!
//! The note definitions are needed before the first block is emitted (a note
//! is placed after the block that first calls it, wherever it is defined), so
//! the body is read twice: [`first_pass`] takes the definitions out and shows
//! every other event to its caller (to count calls); [`Blocks`] then hands
//! the rest out block by block. A small body keeps its events from the first
//! pass. A large one ([`crate::pack::is_large`]) is parsed a second time
//! instead of held as a list, in pieces: pulldown-cmark builds the tree of a
//! whole document before its first event (about four bytes per byte of
//! source), so the second parse reads one piece of about [`PIECE`] bytes at a
//! time, cut where a top-level block starts (see [`Pieces`]). The events are
//! the same as the whole body's (tested on every Markdown file of the
//! repository, cut at every place allowed). Both parse and the TEI export
//! walk bodies this way.

use super::{block_end, markdown_options, marker_of, Ev, Marker};
use pulldown_cmark::{CowStr, Event, Parser, Tag, TagEnd};

/// The inner events of a note definition whose start was just read.
fn definition<'a>(it: &mut impl Iterator<Item = Ev<'a>>) -> Vec<Ev<'a>> {
    let mut depth = 1;
    let mut inner = Vec::new();
    for (e, r) in it.by_ref() {
        match &e {
            Event::Start(Tag::FootnoteDefinition(_)) => depth += 1,
            Event::End(TagEnd::FootnoteDefinition) => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
        inner.push((e, r));
    }
    // (held until the note is emitted: tens of thousands in a long text)
    inner.shrink_to_fit();
    inner
}

/// Reads `it` to its end: each note definition (label, offset, inner
/// events) goes to `def`, every other event to `rest`.
fn take_definitions<'a>(
    it: &mut impl Iterator<Item = Ev<'a>>,
    def: &mut impl FnMut(String, usize, Vec<Ev<'a>>),
    mut rest: impl FnMut(Ev<'a>),
) {
    while let Some((ev, range)) = it.next() {
        if let Event::Start(Tag::FootnoteDefinition(label)) = &ev {
            let label = label.to_string();
            let inner = definition(it);
            def(label, range.start, inner);
        } else {
            rest((ev, range));
        }
    }
}

/// The parser's events for a body, note definitions left out.
struct Flow<'a> {
    it: pulldown_cmark::OffsetIter<'a, pulldown_cmark::DefaultBrokenLinkCallback>,
}

impl<'a> Iterator for Flow<'a> {
    type Item = Ev<'a>;
    fn next(&mut self) -> Option<Ev<'a>> {
        loop {
            let (ev, range) = self.it.next()?;
            if matches!(ev, Event::Start(Tag::FootnoteDefinition(_))) {
                definition(&mut self.it);
            } else {
                return Some((ev, range));
            }
        }
    }
}

/// Where the blocks come from: the first pass's list, a second parse, or
/// a second parse in pieces.
enum Source<'a> {
    Listed(std::vec::IntoIter<Ev<'a>>),
    Parsed(Box<Flow<'a>>),
    Pieces(Box<Pieces<'a>>),
}

impl<'a> Iterator for Source<'a> {
    type Item = Ev<'a>;
    fn next(&mut self) -> Option<Ev<'a>> {
        match self {
            Source::Listed(it) => it.next(),
            Source::Parsed(it) => it.next(),
            Source::Pieces(it) => it.next(),
        }
    }
}

/// Reads `body` once: each note definition (its label, the offset of its
/// start and its inner events) goes to `def`, in the order written, and
/// every other event to `other`. Returns the body's blocks, to be read next.
pub(crate) fn first_pass<'a>(
    body: &'a str,
    def: impl FnMut(String, usize, Vec<Ev<'a>>),
    other: impl FnMut(&Event<'a>, &std::ops::Range<usize>),
) -> Blocks<'a> {
    let piece = crate::pack::is_large(body.len()).then_some(PIECE);
    first_pass_in(body, piece, def, other)
}

/// The size of the pieces a large body is read in (bytes; a piece ends at
/// the first place allowed after it).
pub(crate) const PIECE: usize = 256 * 1024;

/// [`first_pass`], read in pieces of about `piece` bytes when `Some`
/// (both passes), whole when `None` (the events kept from the first pass).
pub(crate) fn first_pass_in<'a>(
    body: &'a str,
    piece: Option<usize>,
    mut def: impl FnMut(String, usize, Vec<Ev<'a>>),
    mut other: impl FnMut(&Event<'a>, &std::ops::Range<usize>),
) -> Blocks<'a> {
    if let Some(plan) = piece.and_then(|size| Plan::new(body, size)) {
        plan.first_pass(body, &mut def, &mut other);
        return Blocks {
            src: Source::Pieces(Box::new(Pieces::new(body, plan))),
            buf: Vec::new(),
        };
    }
    let keep = piece.is_none();
    let mut main = Vec::new();
    let mut it = Parser::new_ext(body, markdown_options()).into_offset_iter();
    take_definitions(&mut it, &mut def, |(ev, range)| {
        other(&ev, &range);
        if keep {
            main.push((ev, range));
        }
    });
    // the parser's tree of the whole body goes before a second one is made
    drop(it);
    let src = if keep {
        Source::Listed(main.into_iter())
    } else {
        Source::Parsed(Box::new(Flow {
            it: Parser::new_ext(body, markdown_options()).into_offset_iter(),
        }))
    };
    Blocks {
        src,
        buf: Vec::new(),
    }
}

/// Where a piece may start: a line in the first column after a blank line,
/// which cannot continue a list or a block quote (no `-`, `+`, `*`, `>` or
/// digit first). Whether anything before it is still open (a fenced code
/// block, an HTML block) is checked when the piece before is parsed.
fn candidates(body: &str) -> Vec<usize> {
    let b = body.as_bytes();
    let mut out = Vec::new();
    let mut prev_blank = false;
    let mut at = 0;
    while at < b.len() {
        let end = b[at..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(b.len(), |i| at + i);
        let line = &b[at..end];
        let blank = line.iter().all(|&c| matches!(c, b' ' | b'\t' | b'\r'));
        if prev_blank && !blank {
            let c = line[0];
            if !(c.is_ascii_whitespace() || b"-+*>".contains(&c) || c.is_ascii_digit()) {
                out.push(at);
            }
        }
        prev_blank = blank;
        at = end + 1;
    }
    out
}

/// The pieces of a large body, checked: each parsed alone ends where the
/// body's parse closes every block (a paragraph put after it is a paragraph
/// of the document), and no note label needs more than ASCII to be matched.
struct Plan {
    /// The start of each piece, and the body's end.
    bounds: Vec<usize>,
    /// The labels of the note definitions (any case).
    labels: std::collections::HashSet<String>,
}

impl Plan {
    /// The pieces of `body`, about `size` bytes each; `None` when the body
    /// must be parsed whole (one piece, a link reference definition, a note
    /// label that is not plain ASCII).
    fn new(body: &str, size: usize) -> Option<Plan> {
        let cands = candidates(body);
        let next_after = |at: usize| {
            let i = cands.partition_point(|&c| c < at);
            cands.get(i).copied().unwrap_or(body.len())
        };
        let mut bounds = vec![0];
        let mut labels = std::collections::HashSet::new();
        let mut start = 0;
        while start < body.len() {
            let mut end = next_after(start + size.max(1));
            loop {
                let last = end == body.len();
                let mut text = body[start..end].to_string();
                if !last {
                    text.push_str("x\n");
                }
                let mut closed = last;
                let mut depth = 0usize;
                let mut it = Parser::new_ext(&text, markdown_options()).into_offset_iter();
                for (ev, range) in it.by_ref() {
                    match &ev {
                        Event::Start(Tag::FootnoteDefinition(l)) => {
                            if !l
                                .bytes()
                                .all(|c| c.is_ascii_graphic() && !b"\\[]|".contains(&c))
                            {
                                return None;
                            }
                            labels.insert(l.to_ascii_lowercase());
                        }
                        Event::Start(Tag::Paragraph)
                            if depth == 0 && range.start == end - start =>
                        {
                            closed = true;
                        }
                        _ => {}
                    }
                    match ev {
                        Event::Start(_) => depth += 1,
                        Event::End(_) => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                }
                if it.reference_definitions().iter().next().is_some() {
                    return None;
                }
                if closed {
                    break;
                }
                // something is still open there: a longer piece
                end = next_after(end + (end - start));
            }
            bounds.push(end);
            start = end;
        }
        (bounds.len() > 2).then_some(Plan { bounds, labels })
    }

    /// The notes a piece calls: each `[^label]` of its source whose label is
    /// defined (what pulldown-cmark reads as a call, and more).
    fn stubs(&self, src: &str) -> String {
        let mut out = String::new();
        let mut seen = std::collections::HashSet::new();
        let mut rest = src;
        while let Some(i) = rest.find("[^") {
            rest = &rest[i + 2..];
            let Some(j) = rest.find(']') else { break };
            let label = &rest[..j];
            if self.labels.contains(&label.to_ascii_lowercase()) && seen.insert(label) {
                out.push_str("[^");
                out.push_str(label);
                out.push_str("]: .\n\n");
            }
        }
        out
    }

    /// Piece `i` as parsed: its text (the piece, after the definitions of the
    /// notes it calls or, for the first piece, before them and after the
    /// paragraph that stands for the next block), and where the piece is in
    /// that text.
    fn text(&self, body: &str, i: usize) -> (String, std::ops::Range<usize>) {
        let (start, end) = (self.bounds[i], self.bounds[i + 1]);
        let piece = &body[start..end];
        let stubs = self.stubs(piece);
        let last = end == body.len();
        if start == 0 {
            let mut text = piece.to_string();
            if !last {
                text.push_str("x\n\n");
                text.push_str(&stubs);
            }
            return (text, 0..piece.len());
        }
        let mut text = stubs;
        let at = text.len();
        text.push_str(piece);
        if !last {
            text.push_str("x\n");
        }
        (text, at..at + piece.len())
    }

    /// The first pass over the pieces.
    fn first_pass<'a>(
        &self,
        body: &'a str,
        def: &mut impl FnMut(String, usize, Vec<Ev<'a>>),
        other: &mut impl FnMut(&Event<'a>, &std::ops::Range<usize>),
    ) {
        for i in 0..self.bounds.len() - 1 {
            let (text, at) = self.text(body, i);
            let mut it = in_body(body, &text, at, self.bounds[i]);
            take_definitions(&mut it, def, |(ev, range)| other(&ev, &range));
        }
    }
}

/// The events of a piece's `text` that come from the body (in `at`), with
/// the body's offsets (the piece starts at `start`); text that is the
/// body's, borrowed from it.
fn in_body<'a, 't>(
    body: &'a str,
    text: &'t str,
    at: std::ops::Range<usize>,
    start: usize,
) -> impl Iterator<Item = Ev<'a>> + 't
where
    'a: 't,
{
    Parser::new_ext(text, markdown_options())
        .into_offset_iter()
        .filter(move |(_, r)| r.start >= at.start && r.start < at.end)
        .map(move |(ev, r)| {
            let r = r.start - at.start + start..r.end.min(at.end) - at.start + start;
            let ev = match ev {
                Event::Text(t) if body.get(r.clone()) == Some(&*t) => {
                    Event::Text(CowStr::Borrowed(&body[r.clone()]))
                }
                ev => ev.into_static(),
            };
            (ev, r)
        })
}

/// A large body parsed again piece by piece ([`Plan`]): the definitions
/// the pieces are parsed with, and the paragraph after them, are left out,
/// as every note definition is.
struct Pieces<'a> {
    body: &'a str,
    plan: Plan,
    /// the next piece to parse
    next: usize,
    /// the events of the piece at hand
    events: std::vec::IntoIter<Ev<'a>>,
}

impl<'a> Pieces<'a> {
    fn new(body: &'a str, plan: Plan) -> Pieces<'a> {
        Pieces {
            body,
            plan,
            next: 0,
            events: Vec::new().into_iter(),
        }
    }

    /// Parses the next piece; false when there is none.
    fn parse_next(&mut self) -> bool {
        if self.next + 1 >= self.plan.bounds.len() {
            return false;
        }
        let (text, at) = self.plan.text(self.body, self.next);
        let start = self.plan.bounds[self.next];
        self.next += 1;
        let mut events = Vec::new();
        let mut it = in_body(self.body, &text, at, start);
        while let Some(e) = it.next() {
            if matches!(e.0, Event::Start(Tag::FootnoteDefinition(_))) {
                definition(&mut it);
            } else {
                events.push(e);
            }
        }
        self.events = events.into_iter();
        true
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Ev<'a>;
    fn next(&mut self) -> Option<Ev<'a>> {
        loop {
            if let Some(e) = self.events.next() {
                return Some(e);
            }
            if !self.parse_next() {
                return None;
            }
        }
    }
}

/// A body's top-level blocks, read as they are needed: the buffer holds the
/// blocks read and not yet consumed (one, except for a parallel block).
pub(crate) struct Blocks<'a> {
    src: Source<'a>,
    buf: Vec<Ev<'a>>,
}

impl<'a> Blocks<'a> {
    /// Reads one more top-level block into the buffer; false at the end.
    fn read(&mut self) -> bool {
        let mut depth = 0i32;
        let mut any = false;
        for (ev, range) in self.src.by_ref() {
            any = true;
            match &ev {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth -= 1,
                _ => {}
            }
            self.buf.push((ev, range));
            if depth <= 0 {
                break;
            }
        }
        any
    }

    /// The end of the first block in the buffer (read if need be); `None`
    /// when every block has been consumed.
    pub(crate) fn next_end(&mut self) -> Option<usize> {
        if self.buf.is_empty() && !self.read() {
            return None;
        }
        Some(block_end(&self.buf, 0))
    }

    /// The blocks read and not consumed.
    pub(crate) fn buffered(&self) -> &[Ev<'a>] {
        &self.buf
    }

    /// Drops the first `n` events of the buffer (whole blocks).
    pub(crate) fn consume(&mut self, n: usize) {
        self.buf.drain(..n.min(self.buf.len()));
    }

    /// Reads the blocks of the parallel block that opens the buffer: up to
    /// and including the next closing or opening marker, or to the end. A
    /// parallel block's walk never looks past that block.
    pub(crate) fn read_parallel(&mut self, body: &str) {
        let mut i = block_end(&self.buf, 0);
        loop {
            while i >= self.buf.len() {
                if !self.read() {
                    return;
                }
            }
            let end = block_end(&self.buf, i);
            if matches!(
                marker_of(body, &self.buf[i..end]),
                Some(Marker::Close | Marker::Open | Marker::OpenContinued)
            ) {
                return;
            }
            i = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Defs = Vec<(String, usize, Vec<Ev<'static>>)>;

    /// What the two passes over `body` give: the note definitions, the other
    /// events of the first pass, the events of the blocks; and how many
    /// pieces the body was read in (0: whole).
    fn flow(body: &str, piece: Option<usize>) -> (Defs, Vec<Ev<'static>>, Vec<Ev<'static>>, usize) {
        let mut defs = Vec::new();
        let mut others = Vec::new();
        let mut blocks = first_pass_in(
            body,
            piece,
            |l, at, inner| {
                let inner = inner
                    .into_iter()
                    .map(|(e, r)| (e.into_static(), r))
                    .collect();
                defs.push((l, at, inner));
            },
            |e, r| others.push((e.clone().into_static(), r.clone())),
        );
        let pieces = match &blocks.src {
            Source::Pieces(p) => p.plan.bounds.len() - 1,
            _ => 0,
        };
        let mut out = Vec::new();
        while let Some(end) = blocks.next_end() {
            out.extend(
                blocks.buffered()[..end]
                    .iter()
                    .map(|(e, r)| (e.clone().into_static(), r.clone())),
            );
            blocks.consume(end);
        }
        (defs, others, out, pieces)
    }

    fn first_difference(name: &str, what: &str, a: &[Ev], b: &[Ev]) {
        if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
            panic!(
                "{name}: {what}: event {i} differs in pieces\n whole: {:?}\n  cut: {:?}",
                a.get(i),
                b.get(i)
            );
        }
    }

    /// Read in pieces cut at every place allowed, `body` gives what its whole
    /// parse gives; returns the number of pieces.
    fn same_in_pieces(name: &str, body: &str) -> usize {
        let (d1, o1, b1, _) = flow(body, None);
        let (d2, o2, b2, pieces) = flow(body, Some(1));
        first_difference(name, "blocks", &b1, &b2);
        first_difference(name, "first pass", &o1, &o2);
        assert_eq!(d1.len(), d2.len(), "{name}: note definitions");
        for ((l1, a1, i1), (l2, a2, i2)) in d1.iter().zip(&d2) {
            assert_eq!((l1, a1), (l2, a2), "{name}: note definition");
            first_difference(name, &format!("note {l1}"), i1, i2);
        }
        pieces
    }

    fn markdown_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') || name == "target" || name == "node_modules" {
                continue;
            }
            if p.is_dir() {
                markdown_files(&p, out);
            } else if name.ends_with(".md") {
                out.push(p);
            }
        }
    }

    #[test]
    fn every_markdown_file_of_the_repository_parses_the_same_in_pieces() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        markdown_files(root, &mut files);
        assert!(files.len() > 20, "{} Markdown files", files.len());
        let mut cut = 0;
        for f in &files {
            let Ok(text) = std::fs::read_to_string(f) else {
                continue;
            };
            if same_in_pieces(&f.display().to_string(), &text) > 1 {
                cut += 1;
            }
        }
        // most files are cut somewhere (a file with a link reference
        // definition, or one block, is parsed whole)
        assert!(cut * 2 > files.len(), "{cut} of {} files cut", files.len());
    }

    #[test]
    fn each_commonmark_example_between_notes_parses_the_same_in_pieces() {
        let spec = include_str!("../../tests/commonmark/spec.json");
        let examples: Vec<serde_json::Value> = serde_json::from_str(spec).expect("spec.json");
        let mut cut = 0;
        for ex in &examples {
            let md = ex["markdown"].as_str().unwrap_or("").replace('→', "\t");
            let body = format!(
                "A call[^a] and [^B].\n\n{md}\n\nAfter[^a], [^b] and [^c], [^nothing].\n\n\
                 | t[^c] |\n|---|\n| x |\n\n[^a]: One.\n\n[^b]: Two.\n\n    still two\n\n[^c]: Three.\n"
            );
            if same_in_pieces(&format!("example {}", ex["example"]), &body) > 1 {
                cut += 1;
            }
        }
        assert!(
            cut * 2 > examples.len(),
            "{cut} of {} examples cut",
            examples.len()
        );
        // and one after the other, in one body (those without a link
        // reference definition, which would make the body parsed whole)
        let all: Vec<String> = examples
            .iter()
            .map(|ex| ex["markdown"].as_str().unwrap_or("").replace('→', "\t"))
            .filter(|md| !md.contains("]:"))
            .collect();
        let body = format!("{}\n\nA call[^a].\n\n[^a]: One.\n", all.join("\n\n"));
        assert!(same_in_pieces("the examples in one body", &body) > 100);
    }

    #[test]
    fn what_a_piece_cannot_end_in_makes_it_longer() {
        // indented first line, a fence and an HTML comment with blank lines
        // in them, labels in other cases, a call that calls nothing
        let body = "    code[^a]\n\nText[^a] and [^B].\n\n```\nin code\n\nstill[^a]\n\n```\n\n\
                    After.\n\n<!-- a comment\n\nstill -->\n\nThen[^A], [^none].\n\n\
                    > quoted[^b]\n\nlazy\n\n- item[^a]\n\n- item\n\nEnd.\n\n[^a]: One.\n\n[^b]: Two[^a].\n";
        assert!(same_in_pieces("odd places", body) > 3);
        // a label beyond ASCII: read whole
        assert_eq!(same_in_pieces("label", "A[^é].\n\nB.\n\n[^é]: Note.\n"), 0);
    }

    #[test]
    fn a_body_with_a_link_reference_definition_is_parsed_again_whole() {
        let body = "See [the site][s].\n\nMore[^1].\n\n[s]: https://example.org\n\n[^1]: A note.\n";
        assert_eq!(same_in_pieces("refdef", body), 0);
        let body = "See the site.\n\nMore[^1].\n\nAnd more.\n\n[^1]: A note.\n";
        assert!(same_in_pieces("no refdef", body) > 1);
    }
}
