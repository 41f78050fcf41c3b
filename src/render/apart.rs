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
        let Some(end) = inner.find(close) else {
            // (an unclosed tag: the template does not compile anyway)
            return false;
        };
        if !tag_is_opaque(close, &inner[..end]) {
            return false;
        }
        rest = &inner[end + close.len()..];
    }
    true
}

/// One tag's inner text (`close`: `}}` or `%}`); its string literals
/// (`"page"`) are not names.
fn tag_is_opaque(close: &str, inner: &str) -> bool {
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
    let inner = names.as_str();
    let words = |s: &str| -> Vec<String> {
        s.trim_matches('-')
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    let mut uses_page = false;
    let mut uses_content = false;
    let bytes = inner.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while let Some(at) = inner[i..].find("page") {
        let start = i + at;
        let end = start + 4;
        i = end;
        let before = start.checked_sub(1).map(|k| bytes[k]);
        if before.is_some_and(|b| ident(b) || b == b'.')
            || bytes.get(end).is_some_and(|&b| ident(b))
        {
            continue;
        }
        uses_page = true;
        if bytes.get(end) != Some(&b'.') {
            // `page` itself: passed on, dumped or aliased
            return false;
        }
        let field: String = inner[end + 1..]
            .bytes()
            .take_while(|&b| ident(b))
            .map(char::from)
            .collect();
        uses_content |= field == "content";
    }
    if !uses_page || !uses_content {
        return true;
    }
    let w = words(inner);
    let w: Vec<&str> = w.iter().map(String::as_str).collect();
    match close {
        "}}" => {
            matches!(
                w.as_slice(),
                ["page.content", "|", "safe"] | ["page.content|safe"]
            ) || matches!(
                w.as_slice(),
                ["page.content|", "safe"] | ["page.content", "|safe"]
            )
        }
        _ => matches!(w.as_slice(), ["if", "page.content"]),
    }
}
