//! rewrite: lol_html passes over rendered HTML. No string surgery on HTML.
//!
//! - the paragraph marker (set by parse, see [`crate::markup::markers`]) →
//!   `id="p-N"` and a margin number linking to itself;
//! - the anchor marker on headings → `id` and a self-link;
//! - every root-relative URL (`/persons/#x`) → relative to the page (`../persons/#x`),
//!   so that one output works under `/`, under `/repo/`, and (with `offline`,
//!   which names `index.html`) from disk: in `href`, `src`, `action`,
//!   `srcset`, `poster`, `<object data>`, `<svg><use href>` (and `xlink:href`)
//!   and `url(…)` in `style` attributes; with `offline`, a relative URL of a
//!   folder (`../x/`) names its `index.html` too;
//! - in serve mode, the live-reload script;
//! - the comment `<!--apparat:insert-->` → [`RewriteOptions::insert`], verbatim:
//!   large generated fragments that hold no URL and no anchor (a text's
//!   highlighted source) are put in place without going through the parser.

use crate::i18n::t;
use crate::markup::escape_html;
use lol_html::html_content::ContentType;
use lol_html::{doc_comments, element, RewriteStrSettings};

/// The comment a template leaves where [`RewriteOptions::insert`] goes.
pub const INSERT_MARKER: &str = "apparat:insert";
/// The start of the comment that stands for a line of an index
/// (`<!--apparat:piece:N-->`, see [`crate::render::Pieces`]).
pub const PIECE_MARKER: &str = "apparat:piece:";

#[derive(Debug, Clone, Default)]
pub struct RewriteOptions {
    /// Links name `index.html` explicitly (for `file://`).
    pub offline: bool,
    /// Inject the live-reload client (serve mode).
    pub live_reload: bool,
    /// Interface strings.
    pub ui: crate::i18n::Ui,
    /// For pages served at unknown depths (404.html): prefix root-relative URLs
    /// with this absolute path (`/repo/`) instead of making them relative.
    pub absolute_prefix: Option<String>,
    /// HTML that replaces the comment `<!--apparat:insert-->`, as it is.
    pub insert: Option<String>,
    /// Where each person's entry is when the index is divided by letter.
    pub persons: Option<std::sync::Arc<PersonPages>>,
    /// A `title` (tooltip) for the elements with these ids, unless they
    /// have one.
    pub titles: Vec<(String, String)>,
    /// A `lang` for the elements with these ids, unless they have one.
    pub langs: Vec<(String, String)>,
}

/// The pages of a person index divided by initial letter: links to
/// `base#id` (as parse writes them) go to the page holding `id`.
#[derive(Debug, Clone, Default)]
pub struct PersonPages {
    /// The index's URL (`/personnes/`).
    pub base: String,
    /// Person id → URL of its letter's page (`/personnes/b/`).
    pub pages: std::collections::HashMap<String, String>,
    /// The same for the other registers whose index is divided.
    pub more: Vec<PersonPages>,
}

impl PersonPages {
    /// `url` sent to the page of the person it names, if it names one.
    pub fn map<'u>(&self, url: &'u str) -> std::borrow::Cow<'u, str> {
        let target = url
            .strip_prefix(self.base.as_str())
            .and_then(|rest| rest.strip_prefix('#'))
            .and_then(|id| self.pages.get(id).map(|page| (page, id)));
        match target {
            Some((page, id)) => format!("{page}#{id}").into(),
            None => match self.more.iter().find(|m| url.starts_with(m.base.as_str())) {
                Some(m) => m.map(url),
                None => url.into(),
            },
        }
    }
}

/// `../` repeated once per folder of the page URL.
fn up(page_url: &str) -> String {
    let depth = page_url.trim_start_matches('/').matches('/').count();
    "../".repeat(depth)
}

/// Makes a root-relative URL relative to `page_url`.
pub fn relativize(url: &str, page_url: &str, offline: bool) -> String {
    if !url.starts_with('/') || url.starts_with("//") {
        return if offline {
            name_index(url)
        } else {
            url.to_string()
        };
    }
    let (path, frag) = match url.find(['#', '?']) {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let mut rel = format!("{}{}", up(page_url), path.trim_start_matches('/'));
    if offline && (rel.is_empty() || rel.ends_with('/')) {
        rel.push_str("index.html");
    }
    if rel.is_empty() {
        rel.push_str("./");
    }
    format!("{rel}{frag}")
}

/// A relative URL of a folder (`../x/`, `x/#f`, `..`) naming its
/// `index.html`, for pages opened from disk; any other URL as it is.
fn name_index(url: &str) -> String {
    let has_scheme = url.split_once(':').is_some_and(|(s, _)| {
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    });
    if has_scheme || url.starts_with('/') || url.is_empty() || url.starts_with(['#', '?']) {
        return url.to_string();
    }
    let (path, rest) = match url.find(['#', '?']) {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    if path.ends_with('/') {
        format!("{path}index.html{rest}")
    } else if path == "." || path == ".." || path.ends_with("/..") || path.ends_with("/.") {
        format!("{path}/index.html{rest}")
    } else {
        url.to_string()
    }
}

/// Every URL in a `srcset` (`a.png 1x, /b.png 2x`) through `map`.
fn map_srcset(value: &str, map: &dyn Fn(&str) -> String) -> String {
    value
        .split(',')
        .map(|candidate| {
            let lead = candidate.len() - candidate.trim_start().len();
            let body = candidate.trim_start();
            let end = body.find(char::is_whitespace).unwrap_or(body.len());
            format!(
                "{}{}{}",
                &candidate[..lead],
                map(&body[..end]),
                &body[end..]
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Every `url(…)` of a CSS declaration list (a `style` attribute) through `map`.
fn map_css_urls(value: &str, map: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.to_ascii_lowercase().find("url(") {
        let (head, tail) = rest.split_at(i + 4);
        out.push_str(head);
        let ws = tail.len() - tail.trim_start().len();
        out.push_str(&tail[..ws]);
        let inner = &tail[ws..];
        let quote = inner.chars().next().filter(|c| *c == '"' || *c == '\'');
        let (open, body) = match quote {
            Some(q) => (q.len_utf8(), &inner[q.len_utf8()..]),
            None => (0, inner),
        };
        let end = match quote {
            Some(q) => body.find(q),
            None => body.find([')', ' ', '\t', '\n']),
        };
        let Some(end) = end else {
            out.push_str(inner);
            return out;
        };
        out.push_str(&inner[..open]);
        out.push_str(&map(&body[..end]));
        rest = &body[end..];
    }
    out.push_str(rest);
    out
}

pub fn rewrite(html: &str, page_url: &str, opts: &RewriteOptions) -> Result<String, String> {
    let mut out = Vec::with_capacity(html.len());
    rewrite_into(page_url, opts, &mut out, &mut |write| {
        write(html.as_bytes())
    })
    .map_err(|e| match e {
        StreamError::Rewrite(m) => m,
        StreamError::Io(e) => e.to_string(),
    })?;
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// Why [`rewrite_into`] stopped.
#[derive(Debug)]
pub enum StreamError {
    /// The rewriter failed (a handler's error).
    Rewrite(String),
    /// `out` failed.
    Io(std::io::Error),
}

/// [`rewrite`] as a stream: `feed` hands the page to the rewriter in
/// pieces, in order (the pieces need not end at tags or characters), and
/// the rewritten page goes to `out` as the rewriter gives it, so that
/// neither the page nor its rewritten copy need be held whole. The bytes
/// are those [`rewrite`] returns for the pieces joined.
pub fn rewrite_into(
    page_url: &str,
    opts: &RewriteOptions,
    out: &mut dyn std::io::Write,
    feed: Feed<'_>,
) -> Result<(), StreamError> {
    let failed: std::cell::RefCell<Option<std::io::Error>> = Default::default();
    let mut rewriter =
        lol_html::HtmlRewriter::new(settings(page_url, opts).into(), |c: &[u8]| {
            let mut failed = failed.borrow_mut();
            if failed.is_none() {
                if let Err(e) = out.write_all(c) {
                    *failed = Some(e);
                }
            }
        });
    let mut write = |chunk: &[u8]| -> Result<(), StreamError> {
        if let Some(e) = failed.borrow_mut().take() {
            return Err(StreamError::Io(e));
        }
        rewriter
            .write(chunk)
            .map_err(|e| StreamError::Rewrite(e.to_string()))
    };
    feed(&mut write)?;
    rewriter
        .end()
        .map_err(|e| StreamError::Rewrite(e.to_string()))?;
    match failed.into_inner() {
        Some(e) => Err(StreamError::Io(e)),
        None => Ok(()),
    }
}

/// What [`rewrite_into`] reads the page from: it calls its argument with
/// each piece in turn.
pub type Feed<'f> =
    &'f mut dyn FnMut(&mut dyn FnMut(&[u8]) -> Result<(), StreamError>) -> Result<(), StreamError>;

/// The rewriter's handlers for a page at `page_url`.
fn settings(page_url: &str, opts: &RewriteOptions) -> RewriteStrSettings<'static, 'static> {
    use lol_html::html_content::Element;
    let ui = opts.ui.clone();
    let offline = opts.offline;
    let prefix = opts.absolute_prefix.clone();
    let persons = opts.persons.clone();
    let page = page_url.to_string();
    let titles: std::collections::HashMap<String, String> = opts.titles.iter().cloned().collect();
    let langs: std::collections::HashMap<String, String> = opts.langs.iter().cloned().collect();
    // a root-relative URL made relative to the page (or prefixed)
    let map = move |v: &str| -> String {
        let mapped = match &persons {
            Some(p) => p.map(v).into_owned(),
            None => v.to_string(),
        };
        match &prefix {
            Some(p) if mapped.starts_with('/') && !mapped.starts_with("//") => {
                format!("{}{}", p, mapped.trim_start_matches('/'))
            }
            _ => relativize(&mapped, &page, offline),
        }
    };
    // `attr` of `el` through `how` (the URL, a srcset, a style)
    let url_attr = move |el: &mut Element,
                         attr: &str,
                         how: Value|
          -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if let Some(v) = el.get_attribute(attr) {
            let new = match how {
                Value::Url => map(&v),
                Value::Srcset => map_srcset(&v, &map),
                Value::Style => map_css_urls(&v, &map),
            };
            if new != v {
                el.set_attribute(attr, &new)?;
            }
        }
        Ok(())
    };
    let markers = crate::markup::markers();
    let live = opts.live_reload;
    let reload_src = match &opts.absolute_prefix {
        Some(p) => format!("{p}__apparat/reload.js"),
        None => relativize("/__apparat/reload.js", page_url, false),
    };
    // one handler for every element, dispatching on its name and attributes:
    // lol_html matches one `*` selector much faster than a list of selectors
    let handlers = vec![element!("*", move |el| {
        if let Some(n) = el.get_attribute(&markers.para) {
            el.remove_attribute(&markers.para);
            let id = format!("p-{n}");
            el.set_attribute("id", &id)?;
            let label = t(&ui, "paragraph_link").replace("{n}", &n);
            el.prepend(
                &format!(
                    "<a class=\"pnum\" href=\"#{id}\" aria-label=\"{}\">{}</a>",
                    escape_html(&label),
                    escape_html(&n)
                ),
                ContentType::Html,
            );
        }
        if let Some(id) = el.get_attribute(&markers.anchor) {
            el.remove_attribute(&markers.anchor);
            el.set_attribute("id", &id)?;
            el.append(
                &format!(
                    " <a class=\"anchor\" href=\"#{}\" aria-label=\"{}\">#</a>",
                    escape_html(&id),
                    escape_html(&t(&ui, "heading_link"))
                ),
                ContentType::Html,
            );
        }
        let tag = el.tag_name();
        if el.has_attribute("style") {
            url_attr(el, "style", Value::Style)?;
        }
        match tag.as_str() {
            "a" if !titles.is_empty() || !langs.is_empty() => {
                url_attr(el, "href", Value::Url)?;
                let id = el.get_attribute("id");
                let title = id.as_ref().and_then(|id| titles.get(id));
                if let Some(t) = title.filter(|_| !el.has_attribute("title")) {
                    el.set_attribute("title", t)?;
                }
                let lang = id.as_ref().and_then(|id| langs.get(id));
                if let Some(l) = lang.filter(|_| !el.has_attribute("lang")) {
                    el.set_attribute("lang", l)?;
                }
            }
            "a" | "link" | "area" => url_attr(el, "href", Value::Url)?,
            "img" | "source" => {
                url_attr(el, "src", Value::Url)?;
                url_attr(el, "srcset", Value::Srcset)?;
            }
            "script" | "iframe" | "audio" | "embed" | "track" => url_attr(el, "src", Value::Url)?,
            "video" => {
                url_attr(el, "src", Value::Url)?;
                url_attr(el, "poster", Value::Url)?;
            }
            "object" => url_attr(el, "data", Value::Url)?,
            "use" | "image" => {
                url_attr(el, "href", Value::Url)?;
                url_attr(el, "xlink:href", Value::Url)?;
            }
            "form" => url_attr(el, "action", Value::Url)?,
            "body" if live => el.append(
                &format!(
                    "<script src=\"{}\" defer></script>",
                    escape_html(&reload_src)
                ),
                ContentType::Html,
            ),
            _ => {}
        }
        Ok(())
    })];
    let insert = opts.insert.clone();
    let document_content_handlers = match insert {
        Some(fragment) => vec![doc_comments!(move |c| {
            if c.text() == INSERT_MARKER {
                c.replace(&fragment, ContentType::Html);
            }
            Ok(())
        })],
        None => Vec::new(),
    };
    RewriteStrSettings {
        element_content_handlers: handlers,
        document_content_handlers,
        ..RewriteStrSettings::new()
    }
}

/// What an attribute holds.
#[derive(Clone, Copy)]
enum Value {
    Url,
    Srcset,
    Style,
}

#[cfg(test)]
mod tests {
    use super::relativize;

    #[test]
    fn relative_urls() {
        assert_eq!(relativize("/persons/#x", "/paris/", false), "../persons/#x");
        assert_eq!(relativize("/", "/paris/", false), "../");
        assert_eq!(relativize("/", "/", false), "./");
        assert_eq!(relativize("/", "/", true), "index.html");
        assert_eq!(relativize("/a/", "/", true), "a/index.html");
        assert_eq!(
            relativize("/assets/s.css", "/a/b/", false),
            "../../assets/s.css"
        );
        assert_eq!(relativize("#n-1", "/a/", false), "#n-1");
        assert_eq!(relativize("https://x.org/", "/a/", false), "https://x.org/");
        assert_eq!(relativize("/p/#f", "/404.html", true), "p/index.html#f");
    }

    #[test]
    fn offline_relative_folders_name_index_html() {
        assert_eq!(relativize("../x/#f", "/a/", true), "../x/index.html#f");
        assert_eq!(relativize("..", "/a/", true), "../index.html");
        assert_eq!(relativize("x.html", "/a/", true), "x.html");
        assert_eq!(relativize("mailto:a@b.c", "/a/", true), "mailto:a@b.c");
        assert_eq!(relativize("../x/", "/a/", false), "../x/");
    }

    #[test]
    fn srcset_and_css_urls() {
        let map = |u: &str| relativize(u, "/a/", false);
        assert_eq!(
            super::map_srcset("/i.png 1x,/j.png 2x", &map),
            "../i.png 1x,../j.png 2x"
        );
        assert_eq!(
            super::map_css_urls(
                "background: URL( \"/i.png\" ), url(x.png), url(/j.png)",
                &map
            ),
            "background: URL( \"../i.png\" ), url(x.png), url(../j.png)"
        );
        // malformed CSS is left as written
        assert_eq!(super::map_css_urls("url(/unclosed", &map), "url(/unclosed");
    }
}
