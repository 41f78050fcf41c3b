//! rewrite: lol_html passes over rendered HTML. No string surgery on HTML.
//!
//! - `data-para="N"` (set by parse) → `id="p-N"` and a margin number linking to itself;
//! - `data-anchor` on headings → `id` and a self-link;
//! - every root-relative URL (`/persons/#x`) → relative to the page (`../persons/#x`),
//!   so that one output works under `/`, under `/repo/`, and (with `offline`,
//!   which names `index.html`) from disk;
//! - in serve mode, the live-reload script;
//! - the comment `<!--apparat:insert-->` → [`RewriteOptions::insert`], verbatim:
//!   large generated fragments that hold no URL and no anchor (a text's
//!   highlighted source) are put in place without going through the parser.

use crate::i18n::t;
use crate::markup::escape_html;
use lol_html::html_content::ContentType;
use lol_html::{doc_comments, element, rewrite_str, RewriteStrSettings};

/// The comment a template leaves where [`RewriteOptions::insert`] goes.
pub const INSERT_MARKER: &str = "apparat:insert";

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
}

/// The pages of a person index divided by initial letter: links to
/// `base#id` (as parse writes them) go to the page holding `id`.
#[derive(Debug, Clone, Default)]
pub struct PersonPages {
    /// The index's URL (`/personnes/`).
    pub base: String,
    /// Person id → URL of its letter's page (`/personnes/b/`).
    pub pages: std::collections::HashMap<String, String>,
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
            None => url.into(),
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
        return url.to_string();
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

pub fn rewrite(html: &str, page_url: &str, opts: &RewriteOptions) -> Result<String, String> {
    use lol_html::html_content::Element;
    let ui = opts.ui.clone();
    let offline = opts.offline;
    let prefix = opts.absolute_prefix.clone();
    let persons = opts.persons.clone();
    let page = page_url.to_string();
    // a root-relative URL in `attr` made relative to the page (or prefixed)
    let url_attr = move |el: &mut Element,
                         attr: &str|
          -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if let Some(v) = el.get_attribute(attr) {
            let mapped = match &persons {
                Some(p) => p.map(&v).into_owned(),
                None => v.clone(),
            };
            let new = match &prefix {
                Some(p) if mapped.starts_with('/') && !mapped.starts_with("//") => {
                    format!("{}{}", p, mapped.trim_start_matches('/'))
                }
                _ => relativize(&mapped, &page, offline),
            };
            if new != v {
                el.set_attribute(attr, &new)?;
            }
        }
        Ok(())
    };
    let live = opts.live_reload;
    let reload_src = match &opts.absolute_prefix {
        Some(p) => format!("{p}__apparat/reload.js"),
        None => relativize("/__apparat/reload.js", page_url, false),
    };
    // one handler for every element, dispatching on its name and attributes:
    // lol_html matches one `*` selector much faster than a list of selectors
    let handlers = vec![element!("*", move |el| {
        if let Some(n) = el.get_attribute("data-para") {
            el.remove_attribute("data-para");
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
        if let Some(id) = el.get_attribute("data-anchor") {
            el.remove_attribute("data-anchor");
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
        match tag.as_str() {
            "a" | "link" | "area" => url_attr(el, "href")?,
            "img" | "script" | "source" | "iframe" | "audio" | "video" => url_attr(el, "src")?,
            "form" => url_attr(el, "action")?,
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
    rewrite_str(
        html,
        RewriteStrSettings {
            element_content_handlers: handlers,
            document_content_handlers,
            ..RewriteStrSettings::new()
        },
    )
    .map_err(|e| e.to_string())
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
}
