//! Parallel blocks: the same passage in two languages, aligned segment by
//! segment. Recognised on the top-level event stream:
//!
//! ```text
//! ::: parallel
//!
//! :: fr original
//!
//! Segment 1.
//!
//! ¶ Segment 2, opening a new paragraph of the passage.
//!
//! :: es translation
//!
//! Segmento 1.
//!
//! ¶ Segmento 2.
//!
//! :::
//! ```

use super::{block_end, escape_html, marker_of, Emitter, Ev, Marker, ParallelInfo};
use crate::i18n::t;
use pulldown_cmark::{Event, Tag};

/// A column's segments: events and whether the segment opens a new paragraph.
type Segments<'a> = Vec<(Vec<Ev<'a>>, bool)>;

struct Column<'a> {
    lang: String,
    original: bool,
    segments: Segments<'a>,
}

impl<'a> Emitter<'a, '_> {
    /// Handles a parallel block starting at `events[0]` (its opening marker);
    /// returns how many events it consumed.
    pub(super) fn parallel(&mut self, events: &[Ev<'a>], out: &mut Vec<Event<'a>>) -> usize {
        let open_at = events[0].1.start;
        // `::: parallel continue`, or a `::: continue` marker before it
        let cont_marker = self.cont_next.take();
        let mut i = block_end(events, 0);
        let mut columns: Vec<Column<'a>> = Vec::new();
        let mut closed = false;
        let mut ok = true;
        // every block of text met, in order: a malformed block is emitted
        // as these plain blocks, so that what they hold (mentions, notes,
        // emendations) is still seen and checked
        let mut loose: Vec<std::ops::Range<usize>> = Vec::new();
        while i < events.len() {
            let end = block_end(events, i);
            let block = &events[i..end];
            match marker_of(self.body, block) {
                Some(Marker::Close) => {
                    i = end;
                    closed = true;
                    break;
                }
                Some(Marker::Open | Marker::OpenContinued) => {
                    self.error(
                        block[0].1.start,
                        "parallel blocks cannot be nested: close the previous one with `:::`",
                    );
                    ok = false;
                    break;
                }
                Some(Marker::Continue) => {
                    self.error(
                        block[0].1.start,
                        "`::: continue` inside a parallel block: segments continue their paragraph unless they begin with `¶`",
                    );
                    ok = false;
                }
                Some(Marker::Malformed) => {
                    self.error(block[0].1.start, "malformed parallel-block marker: markers stand alone on their line, with blank lines around them");
                    ok = false;
                }
                Some(Marker::Column(spec)) => {
                    let mut parts = spec.split_whitespace();
                    let lang = parts.next().unwrap_or("").to_string();
                    let role = parts.next().unwrap_or("");
                    if !crate::lang::is_known(&lang) {
                        self.error(
                            block[0].1.start,
                            format!("unknown language tag `{lang}` in parallel column"),
                        );
                        ok = false;
                    }
                    let original = match role {
                        "original" => true,
                        "translation" => false,
                        other => {
                            self.error(
                                block[0].1.start,
                                format!("parallel column role must be `original` or `translation`, not `{other}`"),
                            );
                            ok = false;
                            false
                        }
                    };
                    columns.push(Column {
                        lang,
                        original,
                        segments: Vec::new(),
                    });
                }
                None => match columns.last_mut() {
                    Some(col) => {
                        loose.push(i..end);
                        let raw = self.body.get(block[0].1.clone()).unwrap_or("");
                        let newpara = raw.trim_start().starts_with('¶');
                        col.segments.push((block.to_vec(), newpara));
                    }
                    None => {
                        loose.push(i..end);
                        self.error(block[0].1.start, "text before the first column marker (`:: LANG original`) of a parallel block");
                        ok = false;
                    }
                },
            }
            i = end;
        }
        if !closed {
            self.error(
                open_at,
                "parallel block is never closed: add a `:::` line after it",
            );
            ok = false;
        }
        if columns.len() != 2 {
            self.error(
                open_at,
                format!(
                    "a parallel block needs exactly two columns, found {}",
                    columns.len()
                ),
            );
            ok = false;
        } else {
            if columns[0].original == columns[1].original {
                self.error(
                    open_at,
                    "a parallel block needs one `original` column and one `translation` column",
                );
                ok = false;
            }
            let (a, b) = (columns[0].segments.len(), columns[1].segments.len());
            if a != b {
                self.error(
                    open_at,
                    format!(
                        "unequal segment counts in parallel block: {a} in `{}`, {b} in `{}`",
                        columns[0].lang, columns[1].lang
                    ),
                );
                ok = false;
            }
        }
        if !ok {
            // a malformed block's parts are numbered as plain blocks
            self.cont_next = cont_marker;
            for r in loose {
                self.top_block(&events[r], out);
            }
            return i;
        }
        // original first
        if !columns[0].original {
            columns.swap(0, 1);
        }
        let cont = self.continuation(cont_marker);
        let para = match &cont {
            Some((n, _)) => Some(*n),
            None if self.numbering() => Some(self.new_para()),
            None => None,
        };
        self.para = para;
        let block_no = self.doc.parallels.len() + 1;
        let key = self.id(&format!("par{block_no}"));
        let ui = self.opts.ui.clone();
        // a continuation is a part of the § it continues, not a § of its own
        let data_para = match (&cont, para) {
            (Some((_, id)), _) => format!(" id=\"{id}\""),
            (None, Some(n)) => format!(" {}=\"{n}\"", super::markers().para),
            (None, None) => String::new(),
        };
        let class = if cont.is_some() {
            "parallel cont"
        } else {
            "parallel"
        };
        let (orig, tr) = (&columns[0], &columns[1]);
        out.push(Event::Html(
            format!(
                "<figure class=\"{class}\"{data_para}>\n<div class=\"parallel-head\" aria-hidden=\"true\"><div class=\"col-head\">{} · {}</div><div class=\"col-head\">{} · {}</div></div>\n",
                escape_html(&t(&ui, "original")),
                escape_html(&ui.language_name(&orig.lang)),
                escape_html(&t(&ui, "translation")),
                escape_html(&ui.language_name(&tr.lang)),
            )
            .into(),
        ));
        let n = orig.segments.len();
        let columns_data: Vec<(String, bool, Segments<'a>)> = columns
            .into_iter()
            .map(|c| (c.lang, c.original, c.segments))
            .collect();
        for s in 0..n {
            let newpara = columns_data[0].2[s].1 || columns_data[1].2[s].1;
            let class = if newpara {
                "seg-row newpara"
            } else {
                "seg-row"
            };
            out.push(Event::Html(format!("<div class=\"{class}\">\n").into()));
            for (c, (lang, original, segs)) in columns_data.iter().enumerate() {
                let role = if *original { "original" } else { "translation" };
                let me = format!("{key}-s{}-{}", s + 1, role);
                self.doc.extra_ids.push(me.clone());
                let other = format!(
                    "{key}-s{}-{}",
                    s + 1,
                    if *original { "translation" } else { "original" }
                );
                let label = if c == 0 {
                    format!("{} · {}", t(&ui, "original"), ui.language_name(lang))
                } else {
                    format!("{} · {}", t(&ui, "translation"), ui.language_name(lang))
                };
                out.push(Event::Html(
                    format!(
                        "<div class=\"seg seg-{role}\" lang=\"{}\" id=\"{me}\" data-pair=\"{other}\" data-label=\"{}\">\n",
                        escape_html(lang),
                        escape_html(&label)
                    )
                    .into(),
                ));
                let seg = strip_pilcrow(&segs[s].0);
                self.lang_stack.push(lang.clone());
                self.inline(&seg, out);
                self.lang_stack.pop();
                out.push(Event::Html("</div>\n".into()));
            }
            out.push(Event::Html("</div>\n".into()));
        }
        out.push(Event::Html(
            format!(
                "<figcaption>{} ({}){} {}.</figcaption>\n</figure>\n",
                escape_html(&t(&ui, "translation")),
                escape_html(&ui.language_name(&columns_data[1].0)),
                escape_html(ui.get("colon")),
                escape_html(&self.opts.translation_credit)
            )
            .into(),
        ));
        self.doc.parallels.push(ParallelInfo {
            para,
            langs: (columns_data[0].0.clone(), columns_data[1].0.clone()),
            segments: n,
        });
        i
    }
}

/// Removes a leading `¶` (and the space after it) from a segment.
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
