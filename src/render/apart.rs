//! Whether a page's body may be kept out of the template context while it
//! renders (the streamed path of large pages, [`crate::stream`]): the
//! marker that stands for it, the size from which a page is streamed, and
//! the check that the templates only print the body.

/// What a template prints where the body goes when the body is fed to the
/// rewrite stage separately.
pub const BODY_MARKER: &str = "<!--apparat:body-->";

/// From this many bytes (a page's template output, body and source view
/// together), a page is streamed.
pub const STREAM_MIN: usize = 1 << 20;

/// Whether templates whose sources are `sources` read `page.content` only
/// to print it as it is (`{{ page.content | safe }}`) or to test it
/// (`{% if page.content %}`), and read `page` only through its fields: the
/// body can then be replaced by [`BODY_MARKER`] while rendering (a
/// non-empty body tests true like the marker). Any other use (a filter, a
/// dump of `page` or of the whole context, `page` passed on or aliased)
/// keeps the body in the context.
pub fn body_is_opaque<'s>(sources: impl IntoIterator<Item = &'s str>) -> bool {
    sources.into_iter().all(source_is_opaque)
}

fn source_is_opaque(text: &str) -> bool {
    if text.contains("__tera_context") {
        return false;
    }
    let Some(tags) = tags(text) else {
        return false;
    };
    tags.iter()
        .all(|(close, inner)| tag_is_opaque(close, inner))
}

/// The tags of a template's text: each as its closing delimiter (`}}` or
/// `%}`) and its inner text with every string literal (`"page"`) made
/// empty (`""`), so that what is left are names. `None`: a tag is not closed.
fn tags(text: &str) -> Option<Vec<(&'static str, String)>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{']) {
        let after = &rest[open + 1..];
        let close = match after.as_bytes().first() {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            _ => {
                rest = after;
                continue;
            }
        };
        let inner = &after[1..];
        // (an unclosed tag: the template does not compile anyway)
        let end = inner.find(close)?;
        out.push((close, without_literals(&inner[..end])));
        rest = &inner[end + close.len()..];
    }
    Some(out)
}

fn without_literals(inner: &str) -> String {
    let mut names = String::with_capacity(inner.len());
    let mut quote = None;
    for c in inner.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'' | '`') => {
                quote = Some(c);
                names.push_str("\"\"");
            }
            None => names.push(c),
        }
    }
    names
}

/// A tag's words, its whitespace control (`-`) left out.
fn words(s: &str) -> Vec<String> {
    s.trim_matches('-')
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The name that opens `text` (a field after its dot).
fn name_at(text: &str) -> &str {
    let end = text
        .bytes()
        .position(|b| !is_ident(b))
        .unwrap_or(text.len());
    &text[..end]
}

/// The uses of the name `name` in a tag's inner text (not as a field of
/// something else, not as part of a longer name): for each, the text that
/// follows it.
fn uses<'t>(inner: &'t str, name: &str) -> Vec<&'t str> {
    let bytes = inner.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(at) = inner[i..].find(name) {
        let start = i + at;
        let end = start + name.len();
        i = end;
        let before = start.checked_sub(1).map(|k| bytes[k]);
        if before.is_some_and(|b| is_ident(b) || b == b'.')
            || bytes.get(end).is_some_and(|&b| is_ident(b))
        {
            continue;
        }
        out.push(&inner[end..]);
    }
    out
}

/// One tag's inner text (`close`: `}}` or `%}`, string literals made empty).
fn tag_is_opaque(close: &str, inner: &str) -> bool {
    let mut uses_content = false;
    let page = uses(inner, "page");
    for after in &page {
        let Some(field) = after.strip_prefix('.') else {
            // `page` itself: passed on, dumped or aliased
            return false;
        };
        uses_content |= name_at(field) == "content";
    }
    if page.is_empty() || !uses_content {
        return true;
    }
    let w = words(inner);
    let w: Vec<&str> = w.iter().map(String::as_str).collect();
    match close {
        "}}" => prints_safe(&w, "page.content"),
        _ => matches!(w.as_slice(), ["if", "page.content"]),
    }
}

/// Whether a tag's words are `{{ value | safe }}`, however spaced.
fn prints_safe(w: &[&str], value: &str) -> bool {
    w.concat() == format!("{value}|safe") && w.first().is_some_and(|f| f.starts_with(value))
}

/// Whether templates whose sources are `sources` read the lines of an
/// index (`persons`, or a register's `entries`) only as `line` in `{% for
/// line in persons %}`, `line` only through its fields, and `line.html`
/// only to print it as it is (`{{ line.html | safe }}`); the lists
/// themselves only in such loops, in `{% if persons %}` or through
/// `| length`. Each line's HTML can then be left to the rewrite stage,
/// a marker in its place (see [`crate::render::Piece`]).
pub fn lines_are_opaque<'s>(sources: impl IntoIterator<Item = &'s str>) -> bool {
    sources.into_iter().all(|text| {
        !text.contains("__tera_context")
            && tags(text).is_some_and(|tags| tags.iter().all(|(c, t)| line_tag_is_opaque(c, t)))
    })
}

fn line_tag_is_opaque(close: &str, inner: &str) -> bool {
    let w = words(inner);
    let w: Vec<&str> = w.iter().map(String::as_str).collect();
    let is_loop =
        close == "%}" && matches!(w.as_slice(), ["for", "line", "in", "persons" | "entries"]);
    for list in ["persons", "entries"] {
        for after in uses(inner, list) {
            let length = after
                .trim_start()
                .strip_prefix('|')
                .is_some_and(|f| f.trim_start().starts_with("length"));
            let test = close == "%}"
                && matches!(w.as_slice(), ["if" | "elif", l] | ["if" | "elif", "not", l] if *l == list);
            if !(is_loop || length || test) {
                return false;
            }
        }
    }
    for after in uses(inner, "line") {
        let Some(field) = after.strip_prefix('.') else {
            if is_loop {
                continue;
            }
            // `line` itself: passed on, dumped or aliased
            return false;
        };
        if name_at(field) == "html" && !(close == "}}" && prints_safe(&w, "line.html")) {
            return false;
        }
    }
    true
}

/// Whether no template of `sources` reads `page.FIELD`: each reads `page`
/// only through its fields (not passed on, dumped or aliased, nor through
/// `__tera_context`), and never `field` among them. The render stage may
/// then leave that field out of the page's context.
pub fn page_field_unread<'s>(sources: impl IntoIterator<Item = &'s str>, field: &str) -> bool {
    sources.into_iter().all(|text| {
        !text.contains("__tera_context")
            && tags(text).is_some_and(|tags| {
                tags.iter().all(|(_, inner)| {
                    uses(inner, "page")
                        .iter()
                        .all(|after| after.strip_prefix('.').is_some_and(|f| name_at(f) != field))
                })
            })
    })
}
