//! A page body's top-level blocks, without its note definitions, one block at
//! a time (issue 11: a page of 50,000 notes has millions of parser events).
//!
//! The note definitions are needed before the first block is emitted (a note
//! is placed after the block that first calls it, wherever it is defined), so
//! the body is read twice: [`first_pass`] takes the definitions out and shows
//! every other event to its caller (to count calls); [`Blocks`] then hands
//! the rest out block by block. A small body keeps its events from the first
//! pass; a large one ([`crate::pack::is_large`]) is parsed a second time
//! instead of held as a list (pulldown-cmark gives the same events for the
//! same text). Both parse and the TEI export walk bodies this way.

use super::{block_end, markdown_options, marker_of, Ev, Marker};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};

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

/// Where the blocks come from: the first pass's list, or a second parse.
enum Source<'a> {
    Listed(std::vec::IntoIter<Ev<'a>>),
    Parsed(Box<Flow<'a>>),
}

impl<'a> Iterator for Source<'a> {
    type Item = Ev<'a>;
    fn next(&mut self) -> Option<Ev<'a>> {
        match self {
            Source::Listed(it) => it.next(),
            Source::Parsed(it) => it.next(),
        }
    }
}

/// Reads `body` once: each note definition (its label, the offset of its
/// start and its inner events) goes to `def`, in the order written, and
/// every other event to `other`. Returns the body's blocks, to be read next.
pub(crate) fn first_pass<'a>(
    body: &'a str,
    mut def: impl FnMut(String, usize, Vec<Ev<'a>>),
    mut other: impl FnMut(&Event<'a>, &std::ops::Range<usize>),
) -> Blocks<'a> {
    let keep = !crate::pack::is_large(body.len());
    let mut main = Vec::new();
    let mut it = Parser::new_ext(body, markdown_options()).into_offset_iter();
    while let Some((ev, range)) = it.next() {
        if let Event::Start(Tag::FootnoteDefinition(label)) = &ev {
            let label = label.to_string();
            let inner = definition(&mut it);
            def(label, range.start, inner);
        } else {
            other(&ev, &range);
            if keep {
                main.push((ev, range));
            }
        }
    }
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
