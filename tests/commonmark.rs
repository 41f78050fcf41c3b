//! CommonMark conformance (issue 13): the examples of the CommonMark spec
//! 0.31.2 (tests/commonmark/spec.json) built by the real binary as pages of
//! one edition, each compared with what pulldown-cmark makes of it with the
//! same options, once apparat's documented transformations (the encoding
//! guide, « Ce qui reste du Markdown ordinaire ») are accounted for:
//!
//! - root-relative URLs are made relative to the page: the reference goes
//!   through apparat's own rewriter, which does only that to it;
//! - code blocks are highlighted, with their language as a class of `<pre>`
//!   (`text` when they have none): both sides are brought to
//!   `<pre><code class="language-X">` with the plain code;
//! - headings get an id and a self-link: both are removed (an id written
//!   `{#id}` too, on both sides).
//!
//! Nothing else is changed. Prints `N/652 match`; fails unless all match.

mod fixture;
use fixture::*;

use apparat::markup::markdown_options;
use apparat::rewrite::{rewrite, RewriteOptions};

#[derive(serde::Deserialize)]
struct Example {
    markdown: String,
    example: usize,
    section: String,
}

fn examples() -> Vec<Example> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/commonmark/spec.json");
    let text = std::fs::read_to_string(path).expect("read spec.json");
    serde_json::from_str(&text).expect("parse spec.json")
}

/// pulldown-cmark's HTML for `md`, with apparat's options.
fn reference(md: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(
        &mut html,
        pulldown_cmark::Parser::new_ext(md, markdown_options()),
    );
    html
}

/// The body of a built page: what the page template puts in `text-body`.
fn body(page: &str) -> Option<&str> {
    const OPEN: &str = "<div class=\"text-body\">\n";
    const CLOSE: &str = "\n</div>\n</article>";
    let start = page.find(OPEN)? + OPEN.len();
    let end = page.rfind(CLOSE)?;
    page.get(start..end)
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Drops every tag from `s` (the highlighter's `<span>`s), keeping the text.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Code blocks in one form: `<pre><code class="language-X">code</code></pre>`,
/// no class for `text` or none, the code as plain escaped text.
fn canonical_code(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find("<pre") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(code_open) = tail.find("<code") else {
            break;
        };
        let Some(gt) = tail[code_open..].find('>') else {
            break;
        };
        let content_start = code_open + gt + 1;
        let Some(close) = tail[content_start..].find("</code></pre>") else {
            break;
        };
        let head = &tail[..content_start];
        let lang = head
            .split("language-")
            .nth(1)
            .and_then(|l| l.split('"').next())
            .map(unescape)
            .unwrap_or_default();
        let code = unescape(&strip_tags(&tail[content_start..content_start + close]));
        if lang.is_empty() || lang == "text" {
            out.push_str("<pre><code>");
        } else {
            out.push_str(&format!(
                "<pre><code class=\"language-{}\">",
                escape(&lang).replace('"', "&quot;")
            ));
        }
        out.push_str(&escape(&code));
        out.push_str("</code></pre>");
        rest = &tail[content_start + close + "</code></pre>".len()..];
    }
    out.push_str(rest);
    out
}

/// Headings without their id and self-link.
fn bare_headings(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find("<h") {
        let level = rest.as_bytes().get(i + 2).copied().unwrap_or(0);
        let after = rest.as_bytes().get(i + 3).copied().unwrap_or(0);
        if !(b'1'..=b'6').contains(&level) || !(after == b'>' || after == b' ') {
            out.push_str(&rest[..i + 2]);
            rest = &rest[i + 2..];
            continue;
        }
        out.push_str(&rest[..i]);
        let Some(gt) = rest[i..].find('>') else {
            break;
        };
        let tag = &rest[i..i + gt + 1];
        // the id, wherever it stands among the attributes
        let tag = match tag.find(" id=\"") {
            Some(a) => {
                let end = tag[a + 5..].find('"').map(|e| a + 5 + e + 1).unwrap_or(a);
                format!("{}{}", &tag[..a], &tag[end..])
            }
            None => tag.to_string(),
        };
        out.push_str(&tag);
        rest = &rest[i + gt + 1..];
        // the self-link before the closing tag
        let close = format!("</h{}>", level as char);
        if let Some(c) = rest.find(&close) {
            let inner = &rest[..c];
            match inner.rfind(" <a class=\"anchor\"") {
                Some(a) if inner[a..].ends_with(">#</a>") => out.push_str(&inner[..a]),
                _ => out.push_str(inner),
            }
            out.push_str(&close);
            rest = &rest[c + close.len()..];
        }
    }
    out.push_str(rest);
    out
}

fn normal(html: &str) -> String {
    bare_headings(&canonical_code(html))
}

#[test]
fn commonmark_examples_stay_commonmark() {
    let examples = examples();
    let s = Site::new();
    // links in the examples lead nowhere: reported, not refused
    s.write(
        "site.toml",
        &format!("{SITE_TOML}broken_links = \"warning\"\n"),
    );
    for e in &examples {
        // `→` stands for a tab in the spec
        let md = e.markdown.replace('→', "\t");
        s.write(
            &format!("content/e{:03}.md", e.example),
            &format!(
                "+++\ntitle = \"Example {}\"\nlang = \"en\"\n+++\n{md}",
                e.example
            ),
        );
    }
    s.write("content/_index.md", "+++\ntitle = \"CommonMark\"\n+++\n");
    let o = s.run(&["build", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut matched = 0;
    let mut failures = Vec::new();
    for e in &examples {
        let md = e.markdown.replace('→', "\t");
        let url = format!("/e{:03}/", e.example);
        let page = s.read(&format!("public/e{:03}/index.html", e.example));
        let got = body(&page).map(normal).unwrap_or_default();
        let want = match rewrite(&reference(&md), &url, &RewriteOptions::default()) {
            Ok(h) => normal(&h),
            Err(err) => format!("rewrite error: {err}"),
        };
        // the template's newline before `</div>` ends the body
        if got.trim_end_matches('\n') == want.trim_end_matches('\n') {
            matched += 1;
        } else {
            failures.push(format!(
                "example {} ({}):\n--- markdown\n{md}--- apparat\n{got}\n--- pulldown-cmark\n{want}",
                e.example, e.section
            ));
        }
    }
    println!("{matched}/{} match", examples.len());
    for f in failures.iter().take(10) {
        eprintln!("{f}");
    }
    assert_eq!(examples.len(), 652, "the spec 0.31.2 has 652 examples");
    assert_eq!(
        matched,
        examples.len(),
        "{} examples differ (first ones above)",
        failures.len()
    );
}
