//! Large pages written as they are made, never held whole (issue 11: a page
//! of 50,000 notes is a 14 MB source, a 45 MB page and a 22 MB source view).
//!
//! - A large body is not copied into the template's context: the template is
//!   rendered with [`BODY_MARKER`] in place of `page.content`, and the body is
//!   fed to the rewrite stage between the two halves of the rendered template
//!   ([`crate::rewrite::rewrite_into`]), when the templates read
//!   `page.content` only to print it ([`body_is_opaque`]).
//! - The highlighted source of a source view is written piece by piece in
//!   place of the insert marker ([`crate::highlight::highlight_to`]).
//! - A large file goes to the sink through a writer ([`crate::sink::Sink::put_stream`]):
//!   the atomic writer writes it straight into its staged file.
//!
//! Pages below [`STREAM_MIN`] take the in-memory path as before; the bytes
//! are the same either way.

pub use crate::render::apart::{body_is_opaque, BODY_MARKER, STREAM_MIN};
use crate::render::{Body, OutputFile, Pieces};
use crate::rewrite::{self, RewriteOptions, StreamError};
use std::io::Write;

/// Whether the bytes of `f` are worth streaming.
pub fn is_large(f: &OutputFile) -> bool {
    let body = f.body.as_ref().map_or(0, |b| b.len());
    let source = f.insert.as_ref().map_or(0, |h| h.code.len());
    f.html.len() + body + source >= STREAM_MIN
}

/// Writes page `f` rewritten (see [`crate::rewrite`]) to `out`: its body,
/// if it holds it apart, fed between the halves of the template's output,
/// and its highlighted source, if it has one, put in place of the insert
/// marker as it is made.
pub fn write_page(
    f: &OutputFile,
    url: &str,
    opts: &RewriteOptions,
    out: &mut dyn Write,
) -> Result<(), StreamError> {
    if let Some(pieces) = f.pieces.as_ref().filter(|_| f.body.is_none()) {
        // the template's output, small without its index lines, rewritten
        // whole; then each line's marker replaced by the line rewritten
        let page = rewrite::rewrite(&f.html, url, opts).map_err(StreamError::Rewrite)?;
        return put_pieces(&page, pieces, url, opts, out);
    }
    if let Some(h) = &f.insert {
        let marker = format!("<!--{}-->", rewrite::INSERT_MARKER);
        // the template's output is small: rewritten whole, then the marker
        // (which the rewrite stage leaves as it is) replaced
        let page = rewrite::rewrite(&f.html, url, opts).map_err(StreamError::Rewrite)?;
        if let Some((head, tail)) = page
            .split_once(&marker)
            .filter(|(_, t)| !t.contains(&marker))
        {
            let io = |e| StreamError::Io(e);
            out.write_all(head.as_bytes()).map_err(io)?;
            crate::highlight::highlight_to(&h.code, h.lang, out).map_err(io)?;
            return out.write_all(tail.as_bytes()).map_err(io);
        }
        // (the marker is not there once: the comment handler puts it in place)
        let opts = RewriteOptions {
            insert: Some(crate::highlight::highlight(&h.code, h.lang)),
            ..opts.clone()
        };
        return rewrite::rewrite_into(url, &opts, out, &mut |w| w(f.html.as_bytes()));
    }
    let Some(body) = &f.body else {
        return rewrite::rewrite_into(url, opts, out, &mut |w| w(f.html.as_bytes()));
    };
    let (head, tail) = f.html.split_once(BODY_MARKER).unwrap_or((&f.html, ""));
    rewrite::rewrite_into(url, opts, out, &mut |w| {
        w(head.as_bytes())?;
        match body {
            Body::Text(t) => w(t.as_bytes())?,
            Body::Packed(p) => {
                for block in p.blocks() {
                    w(&block.map_err(|e| {
                        StreamError::Rewrite(format!("cannot unpack the body: {e}"))
                    })?)?;
                }
            }
        }
        w(tail.as_bytes())
    })
}

/// `page` to `out`, each marker of a piece replaced by the piece rewritten
/// for the page (see [`Pieces`]); a marker that names no piece stays.
fn put_pieces(
    page: &str,
    pieces: &Pieces,
    url: &str,
    opts: &RewriteOptions,
    out: &mut dyn Write,
) -> Result<(), StreamError> {
    let io = |e| StreamError::Io(e);
    let open = format!("<!--{}", rewrite::PIECE_MARKER);
    let mut rest = page;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at + open.len()..];
        let piece = after.find("-->").and_then(|end| {
            let n = after[..end].parse::<usize>().ok()?;
            Some((pieces.lines.get(n)?, end))
        });
        match piece {
            Some((line, end)) => {
                out.write_all(&rest.as_bytes()[..at]).map_err(io)?;
                let html = pieces
                    .cache
                    .get(line, url, opts)
                    .map_err(StreamError::Rewrite)?;
                out.write_all(html.as_bytes()).map_err(io)?;
                rest = &after[end + 3..];
            }
            None => {
                out.write_all(&rest.as_bytes()[..at + open.len()])
                    .map_err(io)?;
                rest = after;
            }
        }
    }
    out.write_all(rest.as_bytes()).map_err(io)
}

/// [`write_page`] into memory.
pub fn page_bytes(f: &OutputFile, url: &str, opts: &RewriteOptions) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(f.html.len() + f.body.as_ref().map_or(0, |b| b.len()));
    match write_page(f, url, opts, &mut out) {
        Ok(()) => Ok(out),
        Err(StreamError::Rewrite(e)) => Err(e),
        Err(StreamError::Io(e)) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::body_is_opaque;
    use crate::rewrite::{rewrite, rewrite_into, RewriteOptions};

    #[test]
    fn a_page_fed_in_pieces_is_rewritten_as_when_whole() {
        let m = crate::markup::markers();
        let html = format!(
            "<html><body><p {}=\"1\">Été <a href=\"/personnes/#x\">é</a>\
             <img src=\"/i.png\" srcset=\"/i.png 1x, /j.png 2x\"></p>\
             <!--apparat:insert--><h2 {}=\"s\">Ñ</h2></body></html>",
            m.para, m.anchor
        );
        let opts = RewriteOptions::default();
        let whole = rewrite(&html, "/a/b/", &opts).expect("rewrite");
        assert!(whole.contains("class=\"pnum\"") && whole.contains("../../i.png"));
        // every cut, inside tags, attributes and characters included
        for cut in 1..html.len() {
            let (a, b) = html.as_bytes().split_at(cut);
            let mut out = Vec::new();
            rewrite_into("/a/b/", &opts, &mut out, &mut |w| {
                w(a)?;
                w(b)
            })
            .expect("rewrite_into");
            assert_eq!(String::from_utf8_lossy(&out), whole, "cut at {cut}");
        }
    }

    #[test]
    fn the_source_view_is_highlighted_into_a_writer_as_into_a_string() {
        let mut code = String::from("+++\ntitle = \"x\"\n+++\n\n## Titre\n\n");
        for i in 0..20_000 {
            code.push_str(&format!(
                "Un [nom](person:a) {{~~a~>b~~}} <b>&</b>.[^{i}]\n\n"
            ));
        }
        let mut out = Vec::new();
        crate::highlight::highlight_to(&code, "md", &mut out).expect("write");
        assert_eq!(
            String::from_utf8_lossy(&out),
            crate::highlight::highlight(&code, "md")
        );
    }

    #[test]
    fn the_body_is_opaque_to_templates_that_only_print_or_test_it() {
        let built_in = crate::render::BUILTIN.iter().map(|(_, t)| *t);
        assert!(body_is_opaque(built_in));
        assert!(body_is_opaque(["{{ page.content | safe }}"]));
        assert!(body_is_opaque(["{{- page.content|safe -}}"]));
        assert!(body_is_opaque(["{% if page.content %}x{% endif %}"]));
        assert!(body_is_opaque([r#"<p class="page">{{ page.title }}</p>"#]));
        assert!(body_is_opaque([
            r#"{% if t.kind == "page" %}{{ page.content | safe }}{% endif %}"#
        ]));
        for t in [
            "{{ page.content | length }}",
            "{{ page.content | striptags | truncate(length=9) }}",
            "{% if page.content is containing(\"x\") %}{% endif %}",
            "{% set p = page %}{{ p.content }}",
            "{{ page | json_encode }}",
            "{{ page[\"content\"] }}",
            "{{ __tera_context }}",
            "{{ macros::show(p=page) }}",
            "{{ page.content ~ \"page\" }}",
        ] {
            assert!(!body_is_opaque([t]), "{t}");
        }
    }

    #[test]
    fn index_lines_are_opaque_to_templates_that_only_print_them() {
        use crate::render::apart::lines_are_opaque;
        // (every built-in template: the set a page's template is read with
        // when one of them includes another)
        assert!(lines_are_opaque(
            crate::render::BUILTIN.iter().map(|(_, t)| *t)
        ));
        assert!(lines_are_opaque([
            "{% if persons %}{{ persons | length }}{% for line in persons %}\
             <h2>{{ line.letter }}</h2>{{- line.html|safe -}}{% endfor %}{% endif %}"
        ]));
        for t in [
            "{% for line in persons %}{{ line.html | striptags }}{% endfor %}",
            "{% for line in persons %}{{ line.html }}{% endfor %}",
            "{% for line in persons %}{% set h = line.html %}{{ h | safe }}{% endfor %}",
            "{% for line in persons %}{% set l = line %}{{ l.html | safe }}{% endfor %}",
            "{% for p in persons %}{{ p.html | safe }}{% endfor %}",
            "{{ persons | json_encode }}",
            "{% for line in entries %}{{ line | json_encode }}{% endfor %}",
            "{{ macros::index(lines=persons) }}",
            "{% for line in persons %}{{ line[\"html\"] | safe }}{% endfor %}",
            "{{ __tera_context }}",
        ] {
            assert!(!lines_are_opaque([t]), "{t}");
        }
    }

    #[test]
    fn a_page_field_is_unread_when_no_template_names_it() {
        use crate::render::apart::page_field_unread;
        let built_in = || crate::render::BUILTIN.iter().map(|(_, t)| *t);
        assert!(page_field_unread(built_in(), "notes"));
        assert!(!page_field_unread(built_in(), "author_notes"));
        assert!(page_field_unread(
            ["{{ page.author_notes | length }}"],
            "notes"
        ));
        for t in [
            "{{ page.notes | length }}",
            "{% for n in page.notes %}{{ n.id }}{% endfor %}",
            "{{ page | json_encode }}",
            "{% set p = page %}{{ p.notes }}",
            "{{ page[\"notes\"] }}",
            "{{ __tera_context }}",
        ] {
            assert!(!page_field_unread([t], "notes"), "{t}");
        }
    }
}
