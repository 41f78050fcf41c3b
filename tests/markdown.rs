//! Issue 13: ordinary Markdown that the dialect used to take away, and
//! what the dialect did wrong with it, through the real binary.

mod fixture;
use fixture::*;

fn page(body: &str) -> String {
    format!("+++\ntitle = \"Página\"\nlang = \"es\"\n+++\n{body}\n")
}

fn text(body: &str) -> String {
    format!("+++\ntitle = \"Texto\"\nlang = \"es\"\nkind = \"text\"\n+++\n{body}\n")
}

/// Builds the site and returns the page at `rel` (its stderr on failure).
#[track_caller]
fn built(s: &Site, rel: &str) -> String {
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    s.read(rel)
}

/// The opening tag of the element whose `id` is `id`.
#[track_caller]
fn tag_with_id<'h>(html: &'h str, id: &str) -> &'h str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no id `{id}` in:\n{html}"));
    let start = html[..at].rfind('<').unwrap_or(0);
    let end = at + html[at..].find('>').unwrap_or(0);
    &html[start..=end]
}

#[test]
fn a_plus_paragraph_is_text_but_a_second_front_matter_is_an_error() {
    let s = Site::new();
    s.write("content/_index.md", &page("Antes.\n\n+++\n\nDespués."));
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let home = s.read("public/index.html");
    assert!(home.contains("<p>+++</p>"), "{home}");
    // what looks like a second block of front matter is still refused
    s.write(
        "content/_index.md",
        &page("Antes.\n\n+++\ntitle = \"otra\"\n+++\n\nDespués."),
    );
    assert_fails_with(&s.build(), "`+++` inside the body");
}

#[test]
fn a_paragraph_beginning_with_two_colons_is_text() {
    let s = Site::new();
    s.write(
        "content/_index.md",
        &page("::before es un seudoelemento de CSS."),
    );
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(s
        .read("public/index.html")
        .contains("<p>::before es un seudoelemento de CSS.</p>"));
}

#[test]
fn relative_links_beginning_with_person_or_lang_are_links() {
    let s = Site::new();
    s.write(
        "content/_index.md",
        &page("[Personas](personas/), [idioma](language.html) y [lenguas](langues/)."),
    );
    s.write("content/personas.md", &page("Personas."));
    s.write("content/langues.md", &page("Lenguas."));
    s.write("static/language.html", "<!doctype html>");
    let o = s.build();
    assert!(o.status.success(), "{}", stderr(&o));
    let home = s.read("public/index.html");
    for href in ["personas/", "language.html", "langues/"] {
        assert!(home.contains(&format!("href=\"{href}\"")), "{href}: {home}");
    }
    // mistyped dialect links are still caught
    for bad in ["Person:x", "persons:x", "person;x", "lang=es"] {
        s.write("content/_index.md", &page(&format!("[x]({bad})")));
        assert_fails_with(&s.build(), &format!("malformed link `{bad}`"));
    }
}

#[test]
fn root_relative_urls_are_rewritten_in_every_url_attribute() {
    let s = Site::new();
    s.write(
        "content/sub/pagina.md",
        &page(concat!(
            "<img src=\"/img/a.png\" srcset=\"/img/a.png 1x, /img/b.png 2x\" alt=\"a\">\n",
            "<video src=\"/v.mp4\" poster=\"/img/p.jpg\"></video>\n",
            "<object data=\"/d.svg\"></object>\n",
            "<span style=\"background: url(/img/a.png) no-repeat, url('/img/b.png')\">x</span>\n",
            "<svg><use href=\"/icons.svg#i\"></use></svg>\n",
            "<svg><use xlink:href=\"/icons.svg#j\"></use></svg>\n",
        )),
    );
    let html = built(&s, "public/sub/pagina/index.html");
    for want in [
        "srcset=\"../../img/a.png 1x, ../../img/b.png 2x\"",
        "poster=\"../../img/p.jpg\"",
        "data=\"../../d.svg\"",
        "url(../../img/a.png) no-repeat, url('../../img/b.png')",
        "href=\"../../icons.svg#i\"",
        "xlink:href=\"../../icons.svg#j\"",
    ] {
        assert!(html.contains(want), "no {want} in:\n{html}");
    }
    // and with --offline and under a sub-path, the same rule
    let o = s.run(&["build", "--offline"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = s.read("public/sub/pagina/index.html");
    assert!(html.contains("poster=\"../../img/p.jpg\""), "{html}");
}

#[test]
fn an_emendation_in_alt_text_gives_the_reading_and_a_linkable_anchor() {
    let s = Site::new();
    s.write(
        "content/texto.md",
        &text("![Retrato de {~~Mariâtegui~>Mariátegui~~}](/img/p.png)"),
    );
    s.write_bytes("static/img/p.png", b"\x89PNG");
    let html = built(&s, "public/texto/index.html");
    assert!(html.contains("alt=\"Retrato de Mariátegui\""), "{html}");
    assert!(!html.contains("&lt;span"), "{html}");
    // the apparatus links to an element that exists, next to the image
    assert!(html.contains("href=\"#em-1\""), "{html}");
    let anchor = tag_with_id(&html, "em-1");
    assert!(anchor.starts_with("<span"), "{anchor}");
}

#[test]
fn an_emendation_in_a_heading_gives_the_reading_to_the_contents_and_the_id() {
    let s = Site::new();
    s.write(
        "content/texto.md",
        &text("## Un {~~titlo~>título~~}\n\nTexto.\n\n## Otro\n\nMás."),
    );
    let html = built(&s, "public/texto/index.html");
    assert!(html.contains("id=\"un-titulo\""), "{html}");
    assert!(!html.contains("{~~"), "CriticMarkup in the output:\n{html}");
    assert!(!html.contains("titlo-titulo"), "{html}");
    // the table of contents links to the heading with the reading
    let toc = html
        .find("href=\"#un-titulo\"")
        .map(|i| &html[i..i + 80])
        .unwrap_or_else(|| panic!("no contents entry:\n{html}"));
    assert!(toc.contains(">Un título<"), "{toc}");
}

#[test]
fn heading_attributes_keep_their_classes() {
    let s = Site::new();
    s.write(
        "content/_index.md",
        &page("## Destacado {.destacado .grande #mi-id}\n\nTexto."),
    );
    let html = built(&s, "public/index.html");
    let h = tag_with_id(&html, "mi-id");
    assert!(h.starts_with("<h2"), "{h}");
    assert!(h.contains("class=\"destacado grande\""), "{h}");
}

#[test]
fn heading_ids_keep_letters_of_every_script_and_inline_code() {
    let s = Site::new();
    s.write(
        "content/_index.md",
        &page("## Глава первая\n\n## Ἀρχή τοῦ λόγου\n\n## La función `main`\n\n## Dürer & Co"),
    );
    let html = built(&s, "public/index.html");
    for id in [
        "глава-первая",
        "ἀρχή-τοῦ-λόγου",
        "la-funcion-main",
        "durer-co",
    ] {
        assert!(tag_with_id(&html, id).starts_with("<h2"), "{id}:\n{html}");
    }
    assert!(!html.contains("id=\"section\""), "{html}");
}

#[test]
fn raw_html_with_the_markers_names_is_not_taken_over() {
    let s = Site::new();
    s.write(
        "content/texto.md",
        &text("Primero.\n\n<p data-para=\"7\">Crudo.</p>\n\n<h2 data-anchor=\"falso\">Título crudo</h2>\n\nÚltimo."),
    );
    let html = built(&s, "public/texto/index.html");
    assert!(html.contains("<p data-para=\"7\">Crudo.</p>"), "{html}");
    assert!(
        html.contains("<h2 data-anchor=\"falso\">Título crudo</h2>"),
        "{html}"
    );
    assert!(!html.contains("id=\"p-7\""), "{html}");
    assert!(!html.contains("id=\"falso\""), "{html}");
    // apparat's own numbering goes on: the raw paragraph is not numbered
    assert!(tag_with_id(&html, "p-1").starts_with("<p"), "{html}");
    assert!(tag_with_id(&html, "p-2").starts_with("<p"), "{html}");
    assert!(!html.contains("id=\"p-3\""), "{html}");
}

#[test]
fn a_literal_note_call_without_text_is_an_error_with_a_way_out() {
    let s = Site::new();
    s.write("content/_index.md", &page("La expresión [^abc] en regex."));
    let o = s.build();
    assert_fails_with(&o, "`[^abc]` has no note text");
    assert_fails_with(&o, "write `\\[^abc]`");
    assert!(
        stderr(&o).contains("content/_index.md:5:14: error"),
        "{}",
        stderr(&o)
    );
    // the way out works
    s.write(
        "content/_index.md",
        &page("La expresión \\[^abc] en regex."),
    );
    let html = built(&s, "public/index.html");
    assert!(html.contains("La expresión [^abc] en regex."), "{html}");
}
