//! Issue 13 (items 1–3): ordinary Markdown that the dialect used to take
//! away, through the real binary.

mod fixture;
use fixture::*;

fn page(body: &str) -> String {
    format!("+++\ntitle = \"Página\"\nlang = \"es\"\n+++\n{body}\n")
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
