//! Issue 14, part 3: § numbers are the print's paragraphs. A block that
//! continues the paragraph before it (`::: continue`, `::: parallel
//! continue`) keeps that paragraph's number. A fixture test through the real
//! binary, then the article of the edition in this repository against the
//! paragraphs of its OCR witness.

mod fixture;
use fixture::*;
use std::path::Path;

const ARTICLE: &str = r#"+++
title = "Un article"
kind = "text"
lang = "fr"
weight = 10
+++

Premier paragraphe, qui cite sans aller à la ligne :

::: parallel continue

:: fr original

« Une citation. »

:: es translation

«Una cita.»

:::

::: continue

et la phrase de [Jules Humbert-Droz](person:humbert-droz) reprend[^1] ici.

Deuxième paragraphe, qui renvoie au [premier](#p-1).

[^1]: Une note dans la suite du premier paragraphe.
"#;

const TRANSLATION: &str = r#"+++
title = "Un artículo"
kind = "text"
lang = "es"
weight = 10
translation_of = "article"
+++

Primer párrafo, que cita sin punto y aparte:

::: continue

> «Una cita.»

::: continue

y la frase de [Jules Humbert-Droz](person:humbert-droz) sigue[^1] aquí.

Segundo párrafo.

[^1]: Una nota.
"#;

fn site() -> Site {
    let s = Site::with_register();
    s.write("content/article.md", ARTICLE);
    s
}

/// The ids of the page's § anchors, in order.
fn para_ids(html: &str) -> Vec<String> {
    html.split(" id=\"p-")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|s| format!("p-{s}"))
        .collect()
}

#[test]
fn a_continued_paragraph_keeps_its_number_through_the_block_and_after_it() {
    let s = site();
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let html = s.read("public/article/index.html");
    // two § of the print; the quotation and the resumed sentence are parts
    // of § 1, with ids of their own that are not § anchors
    assert_eq!(para_ids(&html), ["p-1", "p-1-2", "p-1-3", "p-2"], "{html}");
    assert_eq!(html.matches("class=\"pnum\"").count(), 2, "{html}");
    assert!(
        html.contains("<figure class=\"parallel cont\" id=\"p-1-2\">"),
        "{html}"
    );
    assert!(html.contains("<p class=\"cont\" id=\"p-1-3\">"), "{html}");
    assert!(!html.contains("id=\"p-3\""), "{html}");
    // the link to § 1 still resolves; no marker is left as text
    assert!(html.contains("href=\"#p-1\""), "{html}");
    assert!(!html.contains(":::"), "{html}");
    // the mention in the resumed sentence belongs to § 1
    let index = s.read("public/personnes/index.html");
    let at = index
        .find("href=\"../article/#m-humbert-droz-1\"")
        .unwrap_or_else(|| panic!("no occurrence in:\n{index}"));
    let link = &index[at..];
    let link = &link[link.find('>').map_or(0, |i| i + 1)..link.find("</a>").unwrap_or(0)];
    assert!(
        link.contains('§') && link.trim_end().ends_with('1'),
        "{link}"
    );
    // the TEI: the parts keep @n and point back to what they continue
    let tei = s.read("public/article/tei.xml");
    assert!(tei.contains("<p n=\"1\" xml:id=\"p-1\">"), "{tei}");
    assert!(
        tei.contains("<cit type=\"parallel\" n=\"1\" xml:id=\"p-1-2\" prev=\"#p-1\">"),
        "{tei}"
    );
    assert!(
        tei.contains("<p n=\"1\" xml:id=\"p-1-3\" prev=\"#p-1-2\">"),
        "{tei}"
    );
    assert!(tei.contains("<p n=\"2\" xml:id=\"p-2\">"), "{tei}");
    assert!(!tei.contains(":::"), "{tei}");
}

#[test]
fn a_translation_continues_the_same_paragraphs_and_the_parallel_view_keeps_them_together() {
    let s = site();
    s.write("content/es/article.md", TRANSLATION);
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let view = s.read("public/es/article/parallel/index.html");
    // the rows are the two §; the resumed sentences sit in row 1
    let row2 = view.find("id=\"fr-p-2\"").expect("row 2");
    let resumed = view.find("reprend").expect("French resumed sentence");
    let sigue = view.find("sigue").expect("Spanish resumed sentence");
    assert!(resumed < row2 && sigue < row2, "{view}");
    // a translation without the continuation has one § too many
    s.write(
        "content/es/article.md",
        &TRANSLATION.replacen("::: continue\n\ny la", "y la", 1),
    );
    let o = s.check();
    assert_fails_with(&o, "this translation has 3 numbered paragraphs");
}

#[test]
fn a_continuation_with_nothing_to_continue_is_an_error_at_its_marker() {
    let s = site();
    s.write(
        "content/article.md",
        "+++\ntitle = \"Un article\"\nkind = \"text\"\n+++\n\n::: continue\n\nPremier.\n\n## Titre\n\n::: continue\n\nAprès un titre.\n\nTexte.\n\n::: continue\n\n## Un titre ne continue rien\n\nFin.\n\n::: continue\n",
    );
    let o = s.check();
    let err = stderr(&o);
    assert!(!o.status.success(), "{err}");
    for needle in [
        "content/article.md:6:1: error: `::: continue`: no numbered paragraph precedes it",
        "content/article.md:12:1: error: `::: continue`: no numbered paragraph precedes it",
        "content/article.md:18:1: error: `::: continue` must be followed by a paragraph",
        "content/article.md:24:1: error: `::: continue` ends the text",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

// ---- the edition's article against its OCR witness ----

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Lowercase words of letters and digits, the OCR's `[&]quot;` (an encoded
/// quotation mark) and markup signs dropped.
fn words(s: &str) -> Vec<String> {
    s.replace("[&]quot;", " ")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// The first `n` words of `s`, joined by spaces.
fn opening(s: &str, n: usize) -> String {
    words(s).into_iter().take(n).collect::<Vec<_>>().join(" ")
}

/// A value of the `[witness]` table of a page's front matter.
fn witness_value(front: &str, key: &str) -> String {
    let at = front
        .find(&format!("{key} = \""))
        .unwrap_or_else(|| panic!("no {key} in the witness span"));
    let rest = &front[at + key.len() + 4..];
    rest[..rest.find('"').expect("closing quote")].to_string()
}

/// The print's paragraphs in the witness span of a text, by their opening
/// words. The OCR gives one block (a line between blank lines) per paragraph,
/// but cuts paragraphs at page breaks and puts the page's notes between the
/// two halves. So: a block is a note when it begins with a note number
/// (superscript or plain digits, `^{`) or when its first words are words of
/// one of the text's notes (the OCR lost many numbers); a block of running text opens a
/// paragraph unless it continues the previous one: it begins with a
/// lowercase letter, or the previous block of running text did not end a
/// sentence.
fn print_paragraphs(rel: &str) -> Vec<String> {
    let md = std::fs::read_to_string(repo().join(rel)).expect("text");
    let front = md.split("+++").nth(1).expect("front matter");
    let wit = &front[front.find("[witness]").expect("[witness]")..];
    let file = witness_value(wit, "file");
    let (from, to) = (witness_value(wit, "from"), witness_value(wit, "to"));
    let ocr = std::fs::read_to_string(repo().join(&file)).expect("witness");
    let start = ocr.find(&from).expect("from");
    let end = start + ocr[start..].find(&to).expect("to") + to.len();
    let span = &ocr[start..end];
    // the words of the text's notes, to recognise their pieces in the OCR
    let notes: String = md
        .lines()
        .filter(|l| l.starts_with("[^") && !l.starts_with("[^ed-"))
        .filter_map(|l| l.split_once("]:"))
        .map(|(_, t)| format!(" {} |", words(&strip_markdown(t)).join(" ")))
        .collect();
    let in_a_note = |block: &str| notes.contains(&format!(" {} ", opening(block, 4)));
    let mut starts = Vec::new();
    let mut ended = true;
    for block in span.split("\n\n").map(str::trim).filter(|b| !b.is_empty()) {
        let first = block.chars().next().unwrap_or(' ');
        let numbered =
            first.is_ascii_digit() || "¹²³⁴⁵⁶⁷⁸⁹⁰".contains(first) || block.starts_with("^{");
        if numbered || in_a_note(block) {
            continue;
        }
        let letter = block
            .replace("[&]quot;", "\"")
            .chars()
            .find(|c| c.is_alphabetic())
            .unwrap_or('a');
        if ended && !letter.is_lowercase() {
            // three words: the fourth is already an OCR misreading in one
            starts.push(opening(block, 3));
        }
        let last =
            block.trim_end_matches(|c: char| c.is_ascii_digit() || "¹²³⁴⁵⁶⁷⁸⁹⁰ ".contains(c));
        ended = last.ends_with(['.', ':', '"', '”', '»', '!', '?']);
    }
    starts
}

/// Markdown link syntax and emphasis removed (`[a](b)` → `a`).
fn strip_markdown(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("](") {
        out.push_str(&rest[..i]);
        rest = &rest[i + 2..];
        rest = &rest[rest.find(')').map_or(rest.len(), |j| j + 1)..];
    }
    out.push_str(rest);
    out.replace(['[', '*'], "")
}

/// The § of a built page, by their opening words (a parallel block by its
/// original column).
fn built_paragraphs(html: &str) -> Vec<String> {
    let mut v = Vec::new();
    let mut from = 0;
    while let Some(i) = html[from..].find(" id=\"p-") {
        let tag = &html[html[..from + i].rfind('<').unwrap_or(0)..from + i];
        let rest = &html[from + i + 7..];
        from += i + 7;
        let Some(num) = rest.split('"').next() else {
            break;
        };
        if num.contains('-') {
            continue;
        }
        let mut body = &rest[rest.find('>').map_or(0, |j| j + 1)..];
        if tag.starts_with("<figure") {
            body = &body[body.find("seg-original").unwrap_or(0)..];
            body = &body[body.find('>').map_or(0, |j| j + 1)..];
        }
        // the margin number, then the text without its tags
        let cut = (0..=body.len().min(3000))
            .rev()
            .find(|&i| body.is_char_boundary(i))
            .unwrap_or(0);
        let text = strip_tags(&body[..cut]);
        let text = text.trim_start().trim_start_matches(num).to_string();
        v.push(opening(&text, 3));
    }
    v
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn built(rel: &str) -> String {
    let (_dir, out, _) = fixture::build_repository();
    std::fs::read_to_string(out.join(rel).join("index.html")).expect("page")
}

#[test]
fn the_articles_paragraphs_are_the_prints() {
    let print = print_paragraphs("content/paris-1978.md");
    // the OCR's paragraphs as read by hand: the sanity of the reading above
    assert_eq!(print.len(), 13, "{print:#?}");
    assert_eq!(print[0], "le premier de");
    assert_eq!(print[12], "la question chinoise");
    let edition = built_paragraphs(&built("paris-1978"));
    assert_eq!(
        edition, print,
        "the article's § (left) must be the print's paragraphs (right), by their first words"
    );
}
